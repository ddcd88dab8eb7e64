//! Transmit-side test helpers shared by the frame generator's and the segment transmit
//! path's testbenches and the bench: a header request driver, random header fields, the
//! payload sum, an independent check of a frame's checksums (etherparse recomputes
//! them), and the Verilated segment transmit path ([`TxSegSim`]).

use crate::rx::{pulse_reset, verilate_block};
use cosim::{Agent, Agents, AxiMemory, AxisSink, Model, PortId};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use host_model::Resolved;
use host_model::rcv::{AckFields, tcp_frame_bytes};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::path::Path;

/// The ones'-complement sum of big-endian 16-bit words (an odd tail padded with zero),
/// folded to 16 bits.
pub fn payload_sum(p: &[u8]) -> u16 {
    let mut s: u32 = p
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .sum();
    while s > 0xFFFF {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

/// Both checksums of a TCP frame are right (etherparse recomputes them).
pub fn checksums_ok(f: &[u8]) -> bool {
    let Ok(p) = SlicedPacket::from_ethernet(f) else {
        return false;
    };
    let Some(TransportSlice::Tcp(t)) = &p.transport else {
        return false;
    };
    let th = t.to_header();
    match &p.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header().to_header();
            h.calc_header_checksum() == h.header_checksum
                && th.calc_checksum_ipv4(&h, t.payload()).ok() == Some(th.checksum)
        }
        Some(NetSlice::Ipv6(ip)) => {
            let h = ip.header().to_header();
            th.calc_checksum_ipv6(&h, t.payload()).ok() == Some(th.checksum)
        }
        _ => false,
    }
}

/// Random header fields: IPv4 or IPv6, with or without an 802.1Q tag, random addresses,
/// ports and numbers.
pub fn random_fields(rng: &mut ChaCha8Rng) -> AckFields {
    let ipv6 = rng.random_bool(0.5);
    let ip = |rng: &mut ChaCha8Rng| {
        if ipv6 {
            rng.random::<u128>()
        } else {
            rng.random::<u32>() as u128
        }
    };
    AckFields {
        dst_mac: rng.random::<u64>() & 0xFFFF_FFFF_FFFF,
        src_mac: rng.random::<u64>() & 0xFFFF_FFFF_FFFF,
        vlan: rng
            .random_bool(0.5)
            .then(|| (rng.random_range(0..8), rng.random_range(0..4096))),
        ipv6,
        local_ip: ip(rng),
        remote_ip: ip(rng),
        ttl: rng.random(),
        tos: rng.random(),
        flow_label: if ipv6 {
            rng.random_range(0..1 << 20)
        } else {
            0
        },
        ip_id: rng.random(),
        local_port: rng.random(),
        remote_port: rng.random(),
        seq: rng.random(),
        ack: rng.random(),
        window: rng.random(),
    }
}

/// Drives header requests `<prefix>{field}` (`hdl::ack_gen::HDR_FIELDS`) /
/// `<prefix>valid` / `<prefix>ready`, one per queued `(fields, psh, payload)`; with
/// `with_payload`, also `plen` and `psum` of the payload.
pub struct HdrDriver {
    ports: Vec<PortId>,
    valid: PortId,
    ready: PortId,
    pub queue: VecDeque<(AckFields, bool, Vec<u8>)>,
    presenting: bool,
    /// The front request's fields are on the ports (set once per request).
    on_ports: bool,
}

impl HdrDriver {
    pub fn new(model: &Model, prefix: &str, with_payload: bool) -> anyhow::Result<Self> {
        let extra: &[&str] = if with_payload { &["plen", "psum"] } else { &[] };
        Ok(HdrDriver {
            ports: hdl::ack_gen::HDR_FIELDS
                .iter()
                .map(|f| f.0)
                .chain(extra.iter().copied())
                .map(|f| model.port(&format!("{prefix}{f}")))
                .collect::<Result<_, _>>()?,
            valid: model.port(&format!("{prefix}valid"))?,
            ready: model.port(&format!("{prefix}ready"))?,
            queue: VecDeque::new(),
            presenting: false,
            on_ports: false,
        })
    }
}

impl Agent for HdrDriver {
    fn drive(&mut self, model: &mut Model) {
        self.presenting = false;
        if let Some((f, psh, pay)) = self.queue.front() {
            self.presenting = true;
            if self.on_ports {
                model.set(self.valid, 1);
                return;
            }
            self.on_ports = true;
            let (pcp, vid) = f.vlan.unwrap_or((0, 0));
            let vals: [u128; 19] = [
                f.dst_mac as u128,
                f.src_mac as u128,
                f.vlan.is_some() as u128,
                ((pcp as u128) << 13) | vid as u128,
                f.ipv6 as u128,
                f.local_ip,
                f.remote_ip,
                f.ttl as u128,
                f.tos as u128,
                f.flow_label as u128,
                f.ip_id as u128,
                f.local_port as u128,
                f.remote_port as u128,
                f.seq as u128,
                f.ack as u128,
                f.window as u128,
                *psh as u128,
                pay.len() as u128,
                payload_sum(pay) as u128,
            ];
            for (p, v) in self.ports.iter().zip(vals) {
                let words: [u32; 4] = std::array::from_fn(|i| (v >> (32 * i)) as u32);
                model.set_wide(*p, &words);
            }
        }
        model.set(self.valid, self.presenting as u64);
    }
    fn observe(&mut self, model: &Model) {
        if self.presenting && model.get(self.ready) != 0 {
            self.queue.pop_front();
            self.on_ports = false;
        }
    }
}

/// Drives `s_pc_*`: `(addr, len, last, plen)` per piece.
struct PieceDriver {
    addr: PortId,
    len: PortId,
    last: PortId,
    plen: PortId,
    valid: PortId,
    ready: PortId,
    queue: VecDeque<(u64, u16, bool, u16)>,
    presenting: bool,
}

impl Agent for PieceDriver {
    fn drive(&mut self, model: &mut Model) {
        self.presenting = false;
        if let Some(&(a, l, last, plen)) = self.queue.front() {
            model.set(self.addr, a);
            model.set(self.len, l as u64);
            model.set(self.last, last as u64);
            model.set(self.plen, plen as u64);
            self.presenting = true;
        }
        model.set(self.valid, self.presenting as u64);
    }
    fn observe(&mut self, model: &Model) {
        if self.presenting && model.get(self.ready) != 0 {
            self.queue.pop_front();
        }
    }
}

/// The Verilated segment transmit path (`<prefix>_tx_seg`) with a piece driver, a header
/// driver, host memory behind its AXI4 read port and a frame sink.
pub struct TxSegSim {
    pub model: Model,
    pcs: PieceDriver,
    hdr: HdrDriver,
    pub mem: AxiMemory,
    pub sink: AxisSink,
    errors: PortId,
    /// Cycle limit of one [`TxSegSim::run_until`].
    pub timeout: u64,
}

impl TxSegSim {
    /// Generate, Verilate (cached) and reset the block for `cfg` (RTL under `out`), with
    /// `mem_size` bytes of host memory (all zero).
    pub fn build(
        cfg: &Resolved,
        out: &Path,
        waves: Option<&Path>,
        mem_size: usize,
    ) -> anyhow::Result<Self> {
        let mut model = verilate_block(cfg, "tx_seg", out, waves)?;
        pulse_reset(&mut model)?;
        let p = |n: &str| model.port(&format!("s_pc_{n}"));
        let pcs = PieceDriver {
            addr: p("addr")?,
            len: p("len")?,
            last: p("last")?,
            plen: p("plen")?,
            valid: p("valid")?,
            ready: p("ready")?,
            queue: VecDeque::new(),
            presenting: false,
        };
        let hdr = HdrDriver::new(&model, "s_hdr_", false)?;
        let mem = AxiMemory::new(&model, "m_axi", mem_size, 41)?;
        let sink = AxisSink::new(&model, "m_axis", 1.0, 42)?;
        let errors = model.port("seg_errors")?;
        Ok(TxSegSim {
            model,
            pcs,
            hdr,
            mem,
            sink,
            errors,
            timeout: 2_000_000,
        })
    }

    /// Queue a segment made of `pieces` (address, length) of host memory, as it is now;
    /// returns its expected frame (etherparse's).
    pub fn push(&mut self, f: AckFields, psh: bool, pieces: &[(u64, u16)]) -> Vec<u8> {
        let plen: u16 = pieces.iter().map(|p| p.1).sum();
        for (i, &(a, l)) in pieces.iter().enumerate() {
            self.pcs
                .queue
                .push_back((a, l, i + 1 == pieces.len(), plen));
        }
        let payload = gather(&self.mem.mem, pieces);
        let frame = tcp_frame_bytes(&f, psh, &payload).expect("fields in range");
        self.hdr.queue.push_back((f, psh, payload));
        frame
    }

    fn step(&mut self) {
        cosim::step(
            &mut self.model,
            &mut (&mut self.pcs, &mut self.hdr, &mut self.mem, &mut self.sink),
        );
    }

    /// Run until `n` frames in all have left and every queued segment was taken, then
    /// 200 clocks more; the AXI4 rules must hold.
    pub fn run_until(&mut self, n: usize) -> anyhow::Result<()> {
        let start = self.model.cycles();
        while self.sink.frames().len() < n || !self.hdr.queue.is_empty() {
            anyhow::ensure!(
                self.model.cycles() - start < self.timeout,
                "timeout: {} of {n} frames",
                self.sink.frames().len()
            );
            self.step();
        }
        for _ in 0..200 {
            self.step();
        }
        anyhow::ensure!(
            self.mem.violations.is_empty(),
            "AXI rules broken: {:?}",
            &self.mem.violations[..self.mem.violations.len().min(5)]
        );
        Ok(())
    }

    /// First half of a clock with the pieces input driven from another block's output
    /// (`pc` = the piece presented this clock, or none): inputs set, settled, handshakes
    /// observed; returns `s_pc_ready`. Finish the clock with [`TxSegSim::rise`].
    pub fn low(&mut self, pc: Option<(u64, u16, bool, u16)>) -> bool {
        let (a, l, last, plen) = pc.unwrap_or_default();
        let p = &self.pcs;
        for (port, v) in [(p.addr, a), (p.len, l as u64), (p.last, last as u64)] {
            self.model.set(port, v);
        }
        self.model.set(p.plen, plen as u64);
        self.model.set(p.valid, pc.is_some() as u64);
        let mut agents = (&mut self.hdr, &mut self.mem, &mut self.sink);
        agents.drive_all(&mut self.model);
        self.model.settle_low();
        agents.observe_all(&self.model);
        self.model.get(self.pcs.ready) != 0
    }

    /// Second half of the clock begun by [`TxSegSim::low`]: the rising edge.
    pub fn rise(&mut self) {
        self.model.rise();
    }

    /// Queue the header of the next segment coming from another block's pieces.
    pub fn push_header(&mut self, f: AckFields, psh: bool) {
        self.hdr.queue.push_back((f, psh, Vec::new()));
    }

    /// Headers queued and not yet taken.
    pub fn headers_waiting(&self) -> usize {
        self.hdr.queue.len()
    }

    /// Segments not sent because a read failed (`seg_errors`).
    pub fn seg_errors(&self) -> u64 {
        self.model.get(self.errors)
    }

    /// The frames that left are exactly `want`, in order, both checksums right.
    pub fn check(&self, want: &[Vec<u8>]) -> anyhow::Result<()> {
        let got = self.sink.frames();
        anyhow::ensure!(
            got.len() == want.len(),
            "{} frames, want {}",
            got.len(),
            want.len()
        );
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            anyhow::ensure!(&g.data == w, "frame {i} differs");
            anyhow::ensure!(checksums_ok(&g.data), "frame {i}: checksums");
        }
        Ok(())
    }
}

/// The bytes of `pieces` (address, length) of `mem`, concatenated.
fn gather(mem: &[u8], pieces: &[(u64, u16)]) -> Vec<u8> {
    pieces
        .iter()
        .flat_map(|&(a, l)| &mem[a as usize..a as usize + l as usize])
        .copied()
        .collect()
}

/// The frame etherparse builds for a segment of `pieces` of `mem` with header `f`.
pub fn segment_frame(mem: &[u8], f: &AckFields, psh: bool, pieces: &[(u64, u16)]) -> Vec<u8> {
    tcp_frame_bytes(f, psh, &gather(mem, pieces)).expect("fields in range")
}

/// `plen` bytes (1 or more) cut into 1 to 5 pieces at random addresses of a `mem`-byte
/// memory (unaligned, some ending or starting at a 4 KB page boundary).
pub fn random_pieces(rng: &mut ChaCha8Rng, mem: usize, plen: u16) -> Vec<(u64, u16)> {
    let n = rng.random_range(1..=5.min(plen as usize));
    let mut cuts: Vec<u16> = (0..n - 1).map(|_| rng.random_range(1..plen)).collect();
    cuts.sort();
    cuts.dedup();
    let mut bounds = vec![0];
    bounds.extend(cuts);
    bounds.push(plen);
    bounds
        .windows(2)
        .map(|w| {
            let len = w[1] - w[0];
            let addr = if rng.random_bool(0.3) {
                let page = rng.random_range(1..(mem as u64 / 4096 - 2));
                page * 4096 - rng.random_range(0..len as u64 + 1)
            } else {
                rng.random_range(0..(mem as u64 - len as u64))
            };
            (addr, len)
        })
        .collect()
}

/// What [`run_segments`] did.
#[derive(Debug, Clone)]
pub struct TxRun {
    pub segments: usize,
    pub payload_bytes: u64,
    pub pieces: usize,
    pub sim_cycles: u64,
    /// The full-size stretch: segments, beats, clocks from its first beat to its last.
    pub full_size: usize,
    pub full_size_beats: u64,
    pub full_size_span: u64,
}

/// The segment transmit path (RTL under `out`) with 40 clocks of read latency: `n`
/// segments of random sizes (1 to 1,970 bytes) and headers, each gathered from 1 to 5
/// pieces at random addresses of 1 MB of random host memory, then `n` full-size
/// (1,460-byte) segments back to back; every frame must equal etherparse's.
pub fn run_segments(cfg: &Resolved, out: &Path, n: usize, seed: u64) -> anyhow::Result<TxRun> {
    use rand::SeedableRng;
    const MEM: usize = 1 << 20;
    let mut sim = TxSegSim::build(cfg, out, None, MEM)?;
    sim.mem.latency = 40;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for b in sim.mem.mem.iter_mut() {
        *b = rng.random();
    }
    let mut want = vec![];
    let mut payload_bytes = 0;
    let mut pieces = 0;
    for _ in 0..n {
        let plen = rng.random_range(1..=1970);
        let p = random_pieces(&mut rng, MEM, plen);
        pieces += p.len();
        payload_bytes += u64::from(plen);
        want.push(sim.push(random_fields(&mut rng), rng.random_bool(0.3), &p));
    }
    sim.run_until(want.len())?;
    for _ in 0..n {
        let p = random_pieces(&mut rng, MEM, 1460);
        pieces += p.len();
        payload_bytes += 1460;
        want.push(sim.push(random_fields(&mut rng), false, &p));
    }
    sim.run_until(want.len())?;
    sim.check(&want)?;
    let f = &sim.sink.frames()[n..];
    Ok(TxRun {
        segments: want.len(),
        payload_bytes,
        pieces,
        sim_cycles: sim.model.cycles(),
        full_size: f.len(),
        full_size_beats: f.iter().map(|x| x.beats).sum(),
        full_size_span: f[f.len() - 1].last_cycle - f[0].first_cycle + 1,
    })
}
