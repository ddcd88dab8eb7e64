//! Full-duplex TCP between the engine (with the host model as its host) and an
//! independent TCP implementation, `smoltcp`, in the same process, through a
//! simulated link (rate, latency, a queue that drops at its tail, random loss and
//! reordering).
//!
//! - The host opens the connection from its slow path (SYN with MSS and window
//!   scale, no SACK, no timestamps; the peer's SYN-ACK comes back through the
//!   engine's receive ring) and hands it out.
//! - Offloaded, the host posts send lists of its stream (SENDLIST) and receive lists
//!   (RCVLIST); the engine segments, processes ACKs and places received data.
//! - At chosen points (and whenever the engine asks: retransmission timeout, no
//!   buffer) the host flushes: the residuals of the send lists come back with the
//!   DELEGATED state, the host runs the connection in its own slow path for a while
//!   (resending from SND.UNA, receiving in order), then hands it out again.
//! - The peer closes once it received everything and sent its stream; the FIN takes
//!   the connection back to the host, which acknowledges it and closes its side.
//!
//! Checked: each side's application receives exactly the other's stream; every frame
//! our side sends is parsed by etherparse (checksums with the pseudo-header,
//! addresses, ports; a data segment never carries bytes other than the stream's at
//! its sequence number); smoltcp verifies checksums itself. Optionally the whole
//! conversation is written to a pcap file.

use crate::rcv_e2e::{
    APP_BASE, APP_BYTES, ModelEngine, RING_BASE, RING_BUFS, SEND_BASE, SEND_BYTES, StreamEngine,
    flush_conn, hand_out_tcp, list_accepted, post_list, stream_byte, tcp_payload, win_update,
};
use anyhow::{Context, Result, bail, ensure};
use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, NetSlice, PacketBuilder, SlicedPacket,
    TcpOptionElement, TransportSlice,
};
use host_model::Resolved;
use host_model::proto::{
    CmdStatus, Command, Event, FlowKey, RX_BUF_BYTES, SendList, SgEntry, Tcp, TcpState,
    UploadReason,
};
use host_model::snd::SndStats;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use smoltcp::iface::{Config as IfConfig, Interface, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::tcp;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};
use std::collections::VecDeque;

const OUR_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
const OUR_IP: [u8; 4] = [10, 0, 0, 1];
const PEER_IP: [u8; 4] = [10, 0, 0, 2];
const OUR_PORT: u16 = 40000;
const PEER_PORT: u16 = 5001;
const OUR_ISS: u32 = 0xFFFF_F000;
/// Our window scale (advertised in the SYN) and the window the host stack offers.
const WSCALE: u8 = 7;
const HOST_WND: u32 = 256 << 10;
const MSS: u32 = 1460;
/// The peer's socket buffers (its receive buffer bounds the window it offers).
const PEER_BUF: usize = 256 << 10;
/// The host keeps at most this much of its stream posted in send lists.
const SEND_POSTED: u32 = 1 << 20;

/// What the run does.
#[derive(Debug, Clone)]
pub struct DuplexConfig {
    /// Bytes our application sends, and the peer's application sends.
    pub out_bytes: usize,
    pub in_bytes: usize,
    pub seed: u64,
    /// Per frame, each direction: lost, delayed behind later frames.
    pub loss: f64,
    pub reorder: f64,
    /// Flush / re-handout cycles the host starts itself, spread over the run.
    pub flushes: u32,
    /// Link: bytes per microsecond each way (1250 = 10 Gb/s), one-way latency,
    /// queue (bytes waiting beyond which a frame is dropped).
    pub rate: u64,
    pub latency_us: u64,
    pub queue_bytes: u64,
    /// Send lists: 1..=`max_sg` entries, each 1..=`max_entry` bytes.
    pub max_sg: usize,
    pub max_entry: u32,
    /// Write the conversation to this pcap file.
    pub pcap: Option<std::path::PathBuf>,
}

impl Default for DuplexConfig {
    fn default() -> Self {
        DuplexConfig {
            out_bytes: 10 << 20,
            in_bytes: 10 << 20,
            seed: 1,
            loss: 0.002,
            reorder: 0.002,
            flushes: 2,
            rate: 1250,
            latency_us: 5,
            queue_bytes: 1 << 20,
            max_sg: 4,
            max_entry: 65536,
            pcap: None,
        }
    }
}

/// What the run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DuplexReport {
    pub out_bytes: usize,
    pub in_bytes: usize,
    /// Bytes each application received (equal to what the other sent).
    pub peer_received: usize,
    pub host_received: usize,
    /// Frames our side sent, by kind; all checked with etherparse.
    pub data_segments: u64,
    pub ack_frames: u64,
    pub host_frames: u64,
    pub peer_frames: u64,
    pub frames_lost: u64,
    pub frames_reordered: u64,
    pub queue_drops: u64,
    /// Of those, frames to the peer.
    pub queue_drops_to_peer: u64,
    pub flushes: u64,
    pub timeouts: u64,
    pub send_lists: u64,
    pub send_lists_done: u64,
    pub recv_lists: u64,
    /// Bytes the host's slow path sent and received (handshake, between handouts,
    /// close).
    pub slow_sent: u64,
    pub slow_received: u64,
    /// The engine's send-side and receive-side counters.
    pub snd: SndStats,
    pub rcv: host_model::rcv::RcvStats,
    /// Simulated time in microseconds, and in engine clocks.
    pub sim_us: u64,
    pub cycles: u64,
    /// Application bytes each way per engine clock (in bits).
    pub out_bits_per_cycle: f64,
    pub in_bits_per_cycle: f64,
    pub peer_state: String,
    pub wall_seconds: f64,
}

// ------------------------------------------------------------------ the peer

struct PeerDev {
    rx: VecDeque<Vec<u8>>,
    tx: Vec<Vec<u8>>,
}

struct PRx(Vec<u8>);
struct PTx<'a>(&'a mut Vec<Vec<u8>>);

impl RxToken for PRx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for PTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut b = vec![0; len];
        let r = f(&mut b);
        self.0.push(b);
        r
    }
}

impl Device for PeerDev {
    type RxToken<'a> = PRx;
    type TxToken<'a> = PTx<'a>;
    fn receive(&mut self, _: smoltcp::time::Instant) -> Option<(PRx, PTx<'_>)> {
        let f = self.rx.pop_front()?;
        Some((PRx(f), PTx(&mut self.tx)))
    }
    fn transmit(&mut self, _: smoltcp::time::Instant) -> Option<PTx<'_>> {
        Some(PTx(&mut self.tx))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ethernet;
        c.max_transmission_unit = 1514;
        c
    }
}

/// The peer: smoltcp listening, its application reading everything and sending its
/// own stream, closing when both are done.
struct Peer {
    dev: PeerDev,
    iface: Interface,
    sockets: SocketSet<'static>,
    sock: smoltcp::iface::SocketHandle,
    received: usize,
    sent: usize,
    closed: bool,
}

/// The byte `i` of the peer's stream.
fn peer_byte(seed: u64, i: u64) -> u8 {
    stream_byte(seed ^ 0xA5A5_5A5A, i)
}

impl Peer {
    fn new(seed: u64) -> Result<Peer> {
        let mut dev = PeerDev {
            rx: VecDeque::new(),
            tx: Vec::new(),
        };
        let mut cfg = IfConfig::new(HardwareAddress::Ethernet(EthernetAddress(PEER_MAC)));
        cfg.random_seed = seed;
        let mut iface = Interface::new(cfg, &mut dev, smoltcp::time::Instant::from_micros(0));
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::v4(10, 0, 0, 2), 24))
                .expect("one address fits")
        });
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; PEER_BUF]),
            tcp::SocketBuffer::new(vec![0; PEER_BUF]),
        );
        s.set_ack_delay(None);
        s.set_nagle_enabled(false);
        s.set_congestion_control(tcp::CongestionControl::Reno);
        s.listen(PEER_PORT)
            .map_err(|e| anyhow::anyhow!("listen: {e:?}"))?;
        let mut sockets = SocketSet::new(Vec::new());
        let sock = sockets.add(s);
        Ok(Peer {
            dev,
            iface,
            sockets,
            sock,
            received: 0,
            sent: 0,
            closed: false,
        })
    }

    /// Run smoltcp at `now_us`; its application reads, checks and writes.
    fn poll(&mut self, now_us: u64, dc: &DuplexConfig) -> Result<()> {
        let t = smoltcp::time::Instant::from_micros(now_us as i64);
        self.iface.poll(t, &mut self.dev, &mut self.sockets);
        let s = self.sockets.get_mut::<tcp::Socket>(self.sock);
        while s.can_recv() {
            let at = self.received as u64;
            let (n, bad) = s
                .recv(|buf| {
                    let bad = buf
                        .iter()
                        .enumerate()
                        .find(|(i, b)| **b != stream_byte(dc.seed, at + *i as u64))
                        .map(|(i, _)| at + i as u64);
                    (buf.len(), (buf.len(), bad))
                })
                .map_err(|e| anyhow::anyhow!("peer recv: {e:?}"))?;
            if let Some(i) = bad {
                bail!("the peer received a wrong byte at stream offset {i}");
            }
            self.received += n;
            ensure!(
                self.received <= dc.out_bytes,
                "the peer received more than was sent"
            );
        }
        while s.can_send() && self.sent < dc.in_bytes {
            let n = (dc.in_bytes - self.sent).min(16384);
            let chunk: Vec<u8> = (self.sent..self.sent + n)
                .map(|i| peer_byte(dc.seed, i as u64))
                .collect();
            let k = s
                .send_slice(&chunk)
                .map_err(|e| anyhow::anyhow!("peer send: {e:?}"))?;
            if k == 0 {
                break;
            }
            self.sent += k;
        }
        if !self.closed
            && self.sent == dc.in_bytes
            && self.received == dc.out_bytes
            && s.send_queue() == 0
        {
            s.close();
            self.closed = true;
        }
        let t = smoltcp::time::Instant::from_micros(now_us as i64);
        self.iface.poll(t, &mut self.dev, &mut self.sockets);
        Ok(())
    }

    fn state(&self) -> tcp::State {
        self.sockets.get::<tcp::Socket>(self.sock).state()
    }
}

// ------------------------------------------------------------------ the link

/// One direction: frames leave at the link rate after a queue; some are lost, some
/// delayed behind later ones.
struct Link {
    busy_until: u64,
    q: Vec<(u64, u64, Vec<u8>)>,
    seq: u64,
}

impl Link {
    fn new() -> Link {
        Link {
            busy_until: 0,
            q: Vec::new(),
            seq: 0,
        }
    }

    /// Put a frame on the link at `now` (µs scaled by 1000 for sub-µs precision).
    fn send(
        &mut self,
        now_ns: u64,
        f: Vec<u8>,
        dc: &DuplexConfig,
        rng: &mut ChaCha8Rng,
        rep: &mut DuplexReport,
    ) {
        let start = self.busy_until.max(now_ns);
        let backlog = (start - now_ns) * dc.rate / 1000;
        if backlog > dc.queue_bytes {
            rep.queue_drops += 1;
            return;
        }
        let wire = (f.len() as u64 + 24) * 1000 / dc.rate;
        self.busy_until = start + wire;
        if rng.random_bool(dc.loss) {
            rep.frames_lost += 1;
            return;
        }
        let mut at = self.busy_until + dc.latency_us * 1000;
        if rng.random_bool(dc.reorder) {
            rep.frames_reordered += 1;
            at += rng.random_range(2_000..20_000);
        }
        self.seq += 1;
        self.q.push((at, self.seq, f));
    }

    /// Frames arrived by `now_ns`, in arrival order.
    fn arrived(&mut self, now_ns: u64) -> Vec<Vec<u8>> {
        let mut out: Vec<(u64, u64, Vec<u8>)> = Vec::new();
        let mut keep = Vec::with_capacity(self.q.len());
        for x in self.q.drain(..) {
            if x.0 <= now_ns {
                out.push(x);
            } else {
                keep.push(x);
            }
        }
        self.q = keep;
        out.sort_by_key(|x| (x.0, x.1));
        out.into_iter().map(|x| x.2).collect()
    }
}

// ------------------------------------------------------------------ the host

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Handshake,
    Offloaded(u16),
    /// On the host until this time (µs), then handed out again.
    Host(u64),
    /// The peer's FIN was taken: the host closes.
    Closing,
}

struct HostSide {
    place: Place,
    host_ctx: u32,
    /// The peer's initial sequence number (from its SYN-ACK).
    irs: u32,
    /// The connection's TCP state as the host last had it (CONST, CACHED, DELEGATED).
    tcp: Tcp,
    /// Stream position (sequence number) of the send data posted next.
    posted_end: u32,
    /// Send lists posted: (tag, first sequence number, length, entries).
    send_lists: VecDeque<(u32, u32, u32, usize)>,
    /// Receive lists posted: (tag, entries).
    recv_lists: VecDeque<(u32, Vec<SgEntry>)>,
    next_tag: u32,
    app_cursor: u64,
    /// Bytes of the peer's stream the application has.
    received: u64,
    /// Bytes of our stream in send lists completed (acknowledged).
    acked: u64,
    free_bufs: Vec<u64>,
    /// Ring frames of the connection that arrived while offloaded (exceptions):
    /// taken by the slow path after the flush.
    deferred: Vec<Vec<u8>>,
    flush_now: bool,
    /// Slow path: last time SND.UNA advanced (µs), FIN sent / acknowledged.
    last_progress: u64,
    fin_sent: bool,
    fin_acked: bool,
    peer_fin: bool,
}

struct Run<'a> {
    dc: &'a DuplexConfig,
    eng: &'a mut ModelEngine,
    rng: ChaCha8Rng,
    rep: DuplexReport,
    key: FlowKey,
    peer: Peer,
    to_peer: Link,
    to_host: Link,
    host: HostSide,
    now_us: u64,
    us_cycles: u64,
    pcap: Vec<Vec<u8>>,
    /// `snd.sg_entries`.
    sg_slots: usize,
    /// Flushes still to start, each when this much of the host's stream is
    /// acknowledged (in completed send lists).
    flush_at: VecDeque<u64>,
}

/// Run the conversation with the engine model.
pub fn run_model(cfg: &Resolved, dc: &DuplexConfig) -> Result<DuplexReport> {
    let mut eng = ModelEngine::new(cfg);
    run_on(&mut eng, cfg, dc)
}

fn run_on(eng: &mut ModelEngine, cfg: &Resolved, dc: &DuplexConfig) -> Result<DuplexReport> {
    let t0 = std::time::Instant::now();
    let key = FlowKey {
        local_ip: u32::from_be_bytes(OUR_IP) as u128,
        remote_ip: u32::from_be_bytes(PEER_IP) as u128,
        local_port: OUR_PORT,
        remote_port: PEER_PORT,
        ..FlowKey::default()
    };
    let out = dc.out_bytes as u64;
    let flush_at = (1..=dc.flushes as u64)
        .map(|k| out * k / (dc.flushes as u64 + 1))
        .collect();
    let mut r = Run {
        dc,
        eng,
        rng: ChaCha8Rng::seed_from_u64(dc.seed),
        rep: DuplexReport {
            out_bytes: dc.out_bytes,
            in_bytes: dc.in_bytes,
            ..DuplexReport::default()
        },
        key,
        peer: Peer::new(dc.seed)?,
        to_peer: Link::new(),
        to_host: Link::new(),
        host: HostSide {
            place: Place::Handshake,
            host_ctx: 0x77,
            irs: 0,
            tcp: Tcp::default(),
            posted_end: OUR_ISS.wrapping_add(1),
            send_lists: VecDeque::new(),
            recv_lists: VecDeque::new(),
            next_tag: 1,
            app_cursor: 0,
            received: 0,
            acked: 0,
            free_bufs: Vec::new(),
            deferred: Vec::new(),
            flush_now: false,
            last_progress: 0,
            fin_sent: false,
            fin_acked: false,
            peer_fin: false,
        },
        now_us: 0,
        us_cycles: cfg.us_cycles,
        sg_slots: cfg.config.snd.sg_entries as usize,
        pcap: Vec::new(),
        flush_at,
    };
    r.start()?;
    // A generous bound: 100 times the time the data needs on the link.
    let limit = 1_000_000 + 100 * (dc.out_bytes.max(dc.in_bytes) as u64 / dc.rate.max(1));
    while !r.done() {
        ensure!(
            r.now_us < limit,
            "no end after {} µs: peer received {} of {}, host {} of {}, place {:?}, peer {:?}",
            r.now_us,
            r.peer.received,
            dc.out_bytes,
            r.host.received,
            dc.in_bytes,
            r.host.place,
            r.peer.state()
        );
        r.step()?;
    }
    let mut rep = r.rep;
    rep.peer_received = r.peer.received;
    rep.host_received = r.host.received as usize;
    rep.snd = r.eng.model().snd_stats();
    rep.rcv = r.eng.model().stats();
    rep.sim_us = r.now_us;
    rep.cycles = r.now_us * r.us_cycles;
    rep.out_bits_per_cycle = dc.out_bytes as f64 * 8.0 / rep.cycles.max(1) as f64;
    rep.in_bits_per_cycle = dc.in_bytes as f64 * 8.0 / rep.cycles.max(1) as f64;
    rep.peer_state = format!("{:?}", r.peer.state());
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    ensure!(
        rep.peer_received == dc.out_bytes && rep.host_received == dc.in_bytes,
        "incomplete: {rep:?}"
    );
    if let Some(p) = &dc.pcap {
        cosim::write_pcap(p, &r.pcap)?;
    }
    Ok(rep)
}

impl Run<'_> {
    fn now_ns(&self) -> u64 {
        self.now_us * 1000
    }

    fn done(&self) -> bool {
        self.host.fin_acked
            && self.host.peer_fin
            && matches!(self.peer.state(), tcp::State::TimeWait | tcp::State::Closed)
    }

    fn cmd(&mut self, c: Command) -> Result<Event> {
        self.eng.command(&c.encode())
    }

    /// Our side puts a frame on the wire (checked first).
    fn wire_out(&mut self, f: Vec<u8>, kind: &str) -> Result<()> {
        self.check_ours(&f)
            .with_context(|| format!("our {kind} frame"))?;
        if self.dc.pcap.is_some() {
            self.pcap.push(f.clone());
        }
        let now = self.now_ns();
        let drops = self.rep.queue_drops;
        self.to_peer
            .send(now, f, self.dc, &mut self.rng, &mut self.rep);
        self.rep.queue_drops_to_peer += self.rep.queue_drops - drops;
        Ok(())
    }

    /// Check a frame our side sends with etherparse: Ethernet / IPv4 / TCP to the peer,
    /// valid checksums, and payload bytes equal to our stream at their position.
    fn check_ours(&self, f: &[u8]) -> Result<()> {
        let p = SlicedPacket::from_ethernet(f).context("etherparse")?;
        if let Some(NetSlice::Arp(_)) = &p.net {
            return Ok(());
        }
        let Some(NetSlice::Ipv4(ip)) = &p.net else {
            bail!("not IPv4");
        };
        let h = ip.header().to_header();
        ensure!(
            h.calc_header_checksum() == h.header_checksum,
            "bad IPv4 header checksum"
        );
        ensure!(
            h.source == OUR_IP && h.destination == PEER_IP,
            "IP addresses"
        );
        let Some(TransportSlice::Tcp(t)) = &p.transport else {
            bail!("not TCP");
        };
        let th = t.to_header();
        ensure!(
            th.calc_checksum_ipv4(&h, t.payload())? == th.checksum,
            "bad TCP checksum"
        );
        ensure!(
            th.source_port == OUR_PORT && th.destination_port == PEER_PORT,
            "ports"
        );
        let base = OUR_ISS.wrapping_add(1);
        let off = th.sequence_number.wrapping_sub(base) as u64;
        for (i, b) in t.payload().iter().enumerate() {
            let at = off + i as u64;
            ensure!(
                at < self.dc.out_bytes as u64 && *b == stream_byte(self.dc.seed, at),
                "payload byte at stream offset {at} is not the stream's"
            );
        }
        Ok(())
    }

    /// ARP request to the peer (fills its neighbour cache), then the SYN.
    fn start(&mut self) -> Result<()> {
        let mut out = Vec::new();
        PacketBuilder::ethernet2(OUR_MAC, PEER_MAC)
            .arp(
                ArpPacket::new(
                    ArpHardwareId::ETHERNET,
                    EtherType::IPV4,
                    ArpOperation::REQUEST,
                    &OUR_MAC,
                    &OUR_IP,
                    &[0; 6],
                    &PEER_IP,
                )
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            )
            .write(&mut out)?;
        self.wire_out(out, "ARP")?;
        let addrs = (0..RING_BUFS as u64)
            .map(|i| RING_BASE + i * RX_BUF_BYTES as u64)
            .collect();
        let ev = self.cmd(Command::RxBuf { tag: 1, addrs })?;
        ensure!(ev.trailer().status == CmdStatus::Ok, "RXBUF: {ev:?}");
        self.host.tcp = Tcp {
            local_port: OUR_PORT as u64,
            remote_port: PEER_PORT as u64,
            rcv_wscale: WSCALE as u64,
            eff_mss: MSS as u64,
            initial_rcv_wnd: HOST_WND as u64,
            tcp_state: TcpState::SynSent as u64,
            snd_una: OUR_ISS as u64,
            snd_nxt: OUR_ISS.wrapping_add(1) as u64,
            rcv_wnd: HOST_WND as u64,
            ..Tcp::default()
        };
        self.send_syn()
    }

    fn send_syn(&mut self) -> Result<()> {
        let opts = [
            TcpOptionElement::MaximumSegmentSize(MSS as u16),
            TcpOptionElement::Noop,
            TcpOptionElement::WindowScale(WSCALE),
        ];
        let f = self.host_frame(OUR_ISS, None, true, false, &[], Some(&opts))?;
        self.rep.host_frames += 1;
        self.wire_out(f, "SYN")
    }

    /// A frame of the host's slow path.
    fn host_frame(
        &self,
        seq: u32,
        ack: Option<u32>,
        syn: bool,
        fin: bool,
        payload: &[u8],
        opts: Option<&[TcpOptionElement]>,
    ) -> Result<Vec<u8>> {
        let wnd = if syn {
            (HOST_WND.min(65535)) as u16
        } else {
            (HOST_WND >> WSCALE) as u16
        };
        let mut b = PacketBuilder::ethernet2(OUR_MAC, PEER_MAC)
            .ipv4(OUR_IP, PEER_IP, 64)
            .tcp(OUR_PORT, PEER_PORT, seq, wnd);
        if let Some(a) = ack {
            b = b.ack(a);
        }
        if syn {
            b = b.syn();
        }
        if fin {
            b = b.fin();
        }
        if let Some(o) = opts {
            b = b
                .options(o)
                .map_err(|e| anyhow::anyhow!("TCP options: {e:?}"))?;
        }
        let mut out = Vec::new();
        b.write(&mut out, payload)?;
        if out.len() < 60 {
            out.resize(60, 0);
        }
        Ok(out)
    }

    /// One microsecond.
    fn step(&mut self) -> Result<()> {
        self.now_us += 1;
        let now_ns = self.now_ns();
        // The peer.
        for f in self.to_peer.arrived(now_ns) {
            self.peer.dev.rx.push_back(f);
        }
        self.peer.poll(self.now_us, self.dc)?;
        for mut f in std::mem::take(&mut self.peer.dev.tx) {
            // The peer's MAC pads to the Ethernet minimum (smoltcp does not).
            if f.len() < 60 {
                f.resize(60, 0);
            }
            self.rep.peer_frames += 1;
            if self.dc.pcap.is_some() {
                self.pcap.push(f.clone());
            }
            self.to_host
                .send(now_ns, f, self.dc, &mut self.rng, &mut self.rep);
        }
        // The engine and the host.
        self.eng.tick(self.now_us * self.us_cycles)?;
        for f in self.to_host.arrived(now_ns) {
            self.eng.frame(f)?;
            self.engine_out()?;
            self.host_events()?;
        }
        self.engine_out()?;
        self.host_events()?;
        self.host_work()?;
        self.engine_out()?;
        Ok(())
    }

    /// The engine's ACK frames and data segments to the wire.
    fn engine_out(&mut self) -> Result<()> {
        for f in self.eng.take_acks() {
            let data = tcp_payload(&f).is_ok_and(|(_, p)| !p.is_empty());
            if data {
                self.rep.data_segments += 1;
            } else {
                self.rep.ack_frames += 1;
            }
            self.wire_out(f, if data { "data segment" } else { "ACK" })?;
        }
        Ok(())
    }

    /// Events from the engine.
    fn host_events(&mut self) -> Result<()> {
        for ev in self.eng.take_events()? {
            self.event(ev)?;
        }
        if !self.host.free_bufs.is_empty() {
            let addrs = std::mem::take(&mut self.host.free_bufs);
            let ev = self.cmd(Command::RxBuf { tag: 2, addrs })?;
            ensure!(ev.trailer().status == CmdStatus::Ok, "RXBUF: {ev:?}");
        }
        if std::mem::take(&mut self.host.flush_now) {
            self.flush()?;
        }
        Ok(())
    }

    fn event(&mut self, ev: Event) -> Result<()> {
        match ev {
            Event::RcvDone { done, trailer } => {
                ensure!(trailer.status == CmdStatus::Ok, "list failed: {done:?}");
                self.recv_list_done(done.list_tag, done.bytes)?;
            }
            Event::SendDone { done, trailer } => {
                ensure!(
                    trailer.status == CmdStatus::Ok,
                    "send list failed: {done:?}"
                );
                let Some((tag, start, len, _)) = self.host.send_lists.pop_front() else {
                    bail!("completion of a send list not posted: {done:?}");
                };
                ensure!(
                    done.list_tag == tag,
                    "send list {} completed before {tag}",
                    done.list_tag
                );
                if done.flushed {
                    let una = self.host.tcp.snd_una as u32;
                    let want = if (una.wrapping_sub(start) as i32) <= 0 {
                        0
                    } else {
                        una.wrapping_sub(start).min(len)
                    };
                    ensure!(
                        done.acked == want && done.sent >= done.acked && done.sent <= len,
                        "flushed send list {tag} (from {start}, {len} bytes): {done:?}, SND.UNA {una}"
                    );
                } else {
                    ensure!(
                        done.acked == len && done.sent == len,
                        "send list {tag} of {len} bytes completed with {done:?}"
                    );
                    self.rep.send_lists_done += 1;
                    self.host.acked += len as u64;
                }
            }
            Event::FrameData { addr, status, .. } => {
                let f = self.ring_frame(addr, status.frame_len)?;
                let (seq, payload) = tcp_payload(&f)?;
                let nxt = self.peer_seq(self.host.received);
                let skip = nxt.wrapping_sub(seq) as usize;
                ensure!(
                    skip < payload.len(),
                    "FRAME_DATA does not continue the stream"
                );
                let n = payload.len() - skip;
                self.app_in(&payload[skip..], "FRAME_DATA")?;
                if let Place::Offloaded(h) = self.host.place {
                    let ctx = self.host.host_ctx;
                    win_update(&mut *self.eng, h, ctx, n as u32)?;
                }
            }
            Event::RxFrame { addr, status, .. } => {
                let f = self.ring_frame(addr, status.frame_len)?;
                match self.host.place {
                    Place::Offloaded(_) => self.host.deferred.push(f),
                    _ => self.slow_in(&f)?,
                }
            }
            Event::UploadRequest { reason, .. } => {
                ensure!(
                    matches!(
                        reason,
                        UploadReason::RetransmitTimeout
                            | UploadReason::Fin
                            | UploadReason::NoBuffer
                    ),
                    "unexpected upload request {reason:?}"
                );
                if reason == UploadReason::RetransmitTimeout {
                    self.rep.timeouts += 1;
                }
                if matches!(self.host.place, Place::Offloaded(_)) {
                    self.host.flush_now = true;
                }
            }
            other => bail!("unexpected event {other:?}"),
        }
        Ok(())
    }

    /// The sequence number of the peer's stream byte `off`.
    fn peer_seq(&self, off: u64) -> u32 {
        self.host.irs.wrapping_add(1).wrapping_add(off as u32)
    }

    fn ring_frame(&mut self, addr: u64, len: u32) -> Result<Vec<u8>> {
        let f = self.eng.read(addr, len as usize).context("ring buffer")?;
        self.host.free_bufs.push(addr);
        Ok(f)
    }

    fn app_in(&mut self, bytes: &[u8], what: &str) -> Result<()> {
        let at = self.host.received;
        for (i, b) in bytes.iter().enumerate() {
            let want = peer_byte(self.dc.seed, at + i as u64);
            ensure!(
                *b == want,
                "{what}: the host received a wrong byte at stream offset {}",
                at + i as u64
            );
        }
        self.host.received += bytes.len() as u64;
        ensure!(
            self.host.received <= self.dc.in_bytes as u64,
            "the host received more than the peer sent"
        );
        Ok(())
    }

    fn recv_list_done(&mut self, tag: u32, bytes: u32) -> Result<()> {
        let Some((t, sg)) = self.host.recv_lists.pop_front() else {
            bail!("completion of a receive list not posted");
        };
        ensure!(t == tag, "receive list {tag} completed before {t}");
        let mut left = bytes as usize;
        for e in &sg {
            let n = left.min(e.len as usize);
            let b = self.eng.read(e.addr, n)?;
            self.app_in(&b, "receive list")?;
            left -= n;
        }
        ensure!(left == 0, "receive list completion larger than the list");
        Ok(())
    }

    /// The host's own work this microsecond: post lists while offloaded, run the slow
    /// path otherwise, hand out again when due.
    fn host_work(&mut self) -> Result<()> {
        match self.host.place {
            Place::Offloaded(h) => {
                if let Some(&at) = self.flush_at.front()
                    && self.host.acked > at
                    && !self.host.send_lists.is_empty()
                {
                    self.flush_at.pop_front();
                    self.flush()?;
                    return Ok(());
                }
                self.post_send(h)?;
                self.post_recv(h)?;
            }
            Place::Host(until) => {
                self.slow_send()?;
                if self.now_us >= until && !self.host.peer_fin {
                    self.hand_out()?;
                }
            }
            Place::Closing => self.slow_send()?,
            Place::Handshake => {
                if self.now_us % 20_000 == 0 {
                    self.send_syn()?;
                }
            }
        }
        Ok(())
    }

    fn post_send(&mut self, h: u16) -> Result<()> {
        let base = OUR_ISS.wrapping_add(1);
        let end = base.wrapping_add(self.dc.out_bytes as u32);
        while self.host.send_lists.len() < 8 && self.host.posted_end != end {
            let una = self
                .host
                .send_lists
                .front()
                .map_or(self.host.posted_end, |l| l.1);
            if self.host.posted_end.wrapping_sub(una) >= SEND_POSTED {
                break;
            }
            let n = self.rng.random_range(1..=self.dc.max_sg);
            let used: usize = self.host.send_lists.iter().map(|l| l.3).sum();
            if used + n > self.sg_slots {
                break;
            }
            let mut sg = Vec::new();
            let mut pos = self.host.posted_end;
            let mut len = 0u32;
            for _ in 0..n {
                let left = end.wrapping_sub(pos);
                if left == 0 {
                    break;
                }
                let off = pos.wrapping_sub(base) as u64;
                let at = off % SEND_BYTES;
                let room = (SEND_BYTES - at) as u32;
                let k = self
                    .rng
                    .random_range(1..=self.dc.max_entry)
                    .min(left)
                    .min(room);
                let data: Vec<u8> = (off..off + k as u64)
                    .map(|i| stream_byte(self.dc.seed, i))
                    .collect();
                self.eng.write(SEND_BASE + at, &data)?;
                sg.push(SgEntry {
                    addr: SEND_BASE + at,
                    len: k,
                });
                pos = pos.wrapping_add(k);
                len += k;
            }
            let tag = self.host.next_tag;
            self.host.next_tag += 1;
            let entries = sg.len();
            let push = self.rng.random_bool(0.5);
            let ev = self.cmd(Command::SendList {
                tag,
                lists: vec![SendList {
                    handle: h,
                    host_ctx: self.host.host_ctx,
                    list_tag: tag,
                    push,
                    sg,
                }],
            })?;
            list_accepted(&ev, "SENDLIST")?;
            self.host
                .send_lists
                .push_back((tag, self.host.posted_end, len, entries));
            self.host.posted_end = pos;
            self.rep.send_lists += 1;
            // Completions of lists the peer had acknowledged already come at once.
            for ev in self.eng.take_events()? {
                self.event(ev)?;
            }
        }
        Ok(())
    }

    fn post_recv(&mut self, h: u16) -> Result<()> {
        while self.host.recv_lists.len() < 2 {
            let n = self.rng.random_range(1..=4usize);
            let mut sg = Vec::new();
            for _ in 0..n {
                let len = self.rng.random_range(1..=65536u32);
                if self.host.app_cursor + len as u64 > APP_BYTES {
                    self.host.app_cursor = 0;
                }
                sg.push(SgEntry {
                    addr: APP_BASE + self.host.app_cursor,
                    len,
                });
                self.host.app_cursor += len as u64;
            }
            let tag = self.host.next_tag;
            self.host.next_tag += 1;
            post_list(&mut *self.eng, h, self.host.host_ctx, tag, sg.clone())?;
            self.host.recv_lists.push_back((tag, sg));
            self.rep.recv_lists += 1;
        }
        Ok(())
    }

    /// FLUSH: residuals back, the host's slow path takes over for a while.
    fn flush(&mut self) -> Result<()> {
        let Place::Offloaded(h) = self.host.place else {
            return Ok(());
        };
        for ev in self.eng.take_events()? {
            self.event(ev)?;
        }
        let t = flush_conn(&mut *self.eng, h, self.host.host_ctx)?;
        self.rep.flushes += 1;
        self.host.tcp.set_class_words(
            host_model::proto::Class::Delegated,
            &t.class_words(host_model::proto::Class::Delegated),
        );
        self.host.place = Place::Host(self.now_us + self.rng.random_range(50..500));
        self.host.last_progress = self.now_us;
        for ev in self.eng.take_events()? {
            self.event(ev)?;
        }
        ensure!(
            self.host.send_lists.is_empty(),
            "send lists not returned by FLUSH"
        );
        ensure!(
            self.host.recv_lists.is_empty(),
            "receive lists not returned by FLUSH"
        );
        ensure!(
            t.rcv_nxt as u32 == self.peer_seq(self.host.received),
            "FLUSH says RCV.NXT {} but the application has the peer's stream up to {}",
            t.rcv_nxt,
            self.peer_seq(self.host.received)
        );
        // The slow path resends from SND.UNA.
        self.host.tcp.snd_nxt = self.host.tcp.snd_una;
        self.host.posted_end = self.host.tcp.snd_una as u32;
        for f in std::mem::take(&mut self.host.deferred) {
            self.slow_in(&f)?;
        }
        Ok(())
    }

    fn hand_out(&mut self) -> Result<()> {
        let mut t = self.host.tcp;
        t.tcp_state = TcpState::Established as u64;
        t.rcv_wnd = HOST_WND as u64;
        let key = self.key;
        let ctx = self.host.host_ctx;
        let eng = &mut *self.eng;
        let h = hand_out_tcp(&mut |w: &[u64]| eng.command(w), &key, ctx, &t)?;
        self.host.place = Place::Offloaded(h);
        self.host.posted_end = t.snd_una as u32;
        Ok(())
    }

    /// A frame for the host's stack (ring, not offloaded).
    fn slow_in(&mut self, f: &[u8]) -> Result<()> {
        let Ok(p) = SlicedPacket::from_ethernet(f) else {
            return Ok(());
        };
        let Some(TransportSlice::Tcp(t)) = &p.transport else {
            return Ok(()); // ARP replies and the like
        };
        let th = t.to_header();
        if th.destination_port != OUR_PORT || th.source_port != PEER_PORT {
            return Ok(());
        }
        let payload = t.payload().to_vec();
        if self.host.place == Place::Handshake {
            if th.syn && th.ack && th.acknowledgment_number == OUR_ISS.wrapping_add(1) {
                let mut wscale = None;
                for o in t.options_iterator() {
                    if let Ok(TcpOptionElement::WindowScale(s)) = o {
                        wscale = Some(s);
                    }
                }
                self.host.irs = th.sequence_number;
                let tt = &mut self.host.tcp;
                tt.rcv_nxt = th.sequence_number.wrapping_add(1) as u64;
                tt.snd_una = OUR_ISS.wrapping_add(1) as u64;
                tt.snd_wscale = wscale.unwrap_or(0) as u64;
                tt.wscale_ok = wscale.is_some() as u64;
                if wscale.is_none() {
                    tt.rcv_wscale = 0;
                }
                tt.snd_wnd = th.window_size as u64;
                tt.snd_wl1 = th.sequence_number as u64;
                tt.snd_wl2 = th.acknowledgment_number as u64;
                tt.remote_mss = MSS as u64;
                let (una, nxt) = (tt.snd_una as u32, tt.rcv_nxt as u32);
                let ack = self.host_frame(una, Some(nxt), false, false, &[], None)?;
                self.rep.host_frames += 1;
                self.wire_out(ack, "handshake ACK")?;
                self.hand_out()?;
            }
            return Ok(());
        }
        let tt = &mut self.host.tcp;
        let (una, max) = (tt.snd_una as u32, tt.snd_max.max(tt.snd_nxt) as u32);
        let ack = th.acknowledgment_number;
        if th.ack
            && (ack.wrapping_sub(una) as i32) > 0
            && (ack.wrapping_sub(max.max(tt.snd_nxt as u32)) as i32) <= 0
        {
            tt.snd_una = ack as u64;
            self.host.last_progress = self.now_us;
            if self.host.fin_sent
                && ack
                    == OUR_ISS
                        .wrapping_add(1)
                        .wrapping_add(self.dc.out_bytes as u32 + 1)
            {
                self.host.fin_acked = true;
            }
        }
        let shift = if tt.wscale_ok != 0 { tt.snd_wscale } else { 0 };
        tt.snd_wnd = (th.window_size as u64) << shift;
        let nxt = tt.rcv_nxt as u32;
        let mut ack_it = !payload.is_empty() || th.fin;
        if th.sequence_number == nxt && !payload.is_empty() {
            self.app_in(&payload, "slow path")?;
            self.rep.slow_received += payload.len() as u64;
            self.host.tcp.rcv_nxt = nxt.wrapping_add(payload.len() as u32) as u64;
        } else if (th.sequence_number.wrapping_sub(nxt) as i32) < 0
            && (th
                .sequence_number
                .wrapping_add(payload.len() as u32)
                .wrapping_sub(nxt) as i32)
                > 0
        {
            let skip = nxt.wrapping_sub(th.sequence_number) as usize;
            self.app_in(&payload[skip..], "slow path")?;
            self.rep.slow_received += (payload.len() - skip) as u64;
            self.host.tcp.rcv_nxt = th.sequence_number.wrapping_add(payload.len() as u32) as u64;
        }
        if th.fin
            && th.sequence_number.wrapping_add(payload.len() as u32) == self.host.tcp.rcv_nxt as u32
            && !self.host.peer_fin
        {
            self.host.peer_fin = true;
            self.host.tcp.rcv_nxt = (self.host.tcp.rcv_nxt as u32).wrapping_add(1) as u64;
            self.host.place = Place::Closing;
            ack_it = true;
        }
        if ack_it {
            let tt = &self.host.tcp;
            let f = self.host_frame(
                tt.snd_nxt as u32,
                Some(tt.rcv_nxt as u32),
                false,
                false,
                &[],
                None,
            )?;
            self.rep.host_frames += 1;
            self.wire_out(f, "slow-path ACK")?;
        }
        Ok(())
    }

    /// The host's slow-path sender: from SND.NXT within the peer's window; back to
    /// SND.UNA after 20 ms without progress; the FIN once everything is acknowledged
    /// and the connection is closing.
    fn slow_send(&mut self) -> Result<()> {
        let base = OUR_ISS.wrapping_add(1);
        let end = base.wrapping_add(self.dc.out_bytes as u32);
        if self.now_us.saturating_sub(self.host.last_progress) > 20_000 {
            self.host.tcp.snd_nxt = self.host.tcp.snd_una;
            self.host.last_progress = self.now_us;
            self.host.fin_sent = false;
        }
        // One segment per microsecond at most (the link's rate).
        for _ in 0..1 {
            let tt = self.host.tcp;
            let (una, nxt) = (tt.snd_una as u32, tt.snd_nxt as u32);
            let wnd = (tt.snd_wnd as u32).min(256 << 10);
            let limit = una.wrapping_add(wnd);
            let left = end.wrapping_sub(nxt) as i32;
            if left <= 0 {
                if self.host.place == Place::Closing && !self.host.fin_sent && una == end {
                    let f =
                        self.host_frame(end, Some(tt.rcv_nxt as u32), false, true, &[], None)?;
                    self.host.fin_sent = true;
                    self.host.tcp.snd_nxt = end.wrapping_add(1) as u64;
                    self.rep.host_frames += 1;
                    self.wire_out(f, "FIN")?;
                }
                break;
            }
            let room = limit.wrapping_sub(nxt) as i32;
            if room <= 0 {
                break;
            }
            let len = (MSS as i32).min(room).min(left) as u32;
            let off = nxt.wrapping_sub(base) as u64;
            let data: Vec<u8> = (off..off + len as u64)
                .map(|i| stream_byte(self.dc.seed, i))
                .collect();
            let f = self.host_frame(nxt, Some(tt.rcv_nxt as u32), false, false, &data, None)?;
            self.host.tcp.snd_nxt = nxt.wrapping_add(len) as u64;
            if (nxt.wrapping_add(len).wrapping_sub(tt.snd_max as u32) as i32) > 0 {
                self.host.tcp.snd_max = nxt.wrapping_add(len) as u64;
            }
            self.rep.slow_sent += len as u64;
            self.rep.host_frames += 1;
            self.wire_out(f, "slow-path data")?;
        }
        Ok(())
    }
}
