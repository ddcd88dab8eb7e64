//! End-to-end receive stream: a peer model sends a TCP byte stream through an impaired
//! link (loss, duplication, reordering, lost ACKs) to the engine, the host posts
//! receive lists of random shapes, consumes FRAME_DATA indications, and flushes and
//! hands the connection out again at random points, continuing it in its own slow
//! path in between. Every byte the application ends up with is compared with the
//! stream, every ACK frame the engine sends is parsed and checked with etherparse
//! (checksums, addresses, ports, monotonic ACK number and right edge, never an ACK of
//! data not sent) and fed back to the peer.
//!
//! The engine is either the fast-path model ([`RcvModel`], [`run_model`]) or the
//! receive engine RTL under Verilator ([`run_rtl`]); both sit behind [`StreamEngine`].

use crate::reference::reference;
use crate::rx_lock::RxLock;
use crate::rx_sim::RxSim;
use crate::scenario::peer_frame;
use anyhow::{Context, Result, bail, ensure};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use host_model::Resolved;
use host_model::proto::{
    Block, CmdStatus, Command, ConnRef, EntryStatus, Event, FlowKey, FlushItem, Handout2Entry,
    Kind, Neighbor, ObjRef, Path, RX_BUF_BYTES, RcvDone, RcvList, SgEntry, Tcp, TcpState,
    UploadReason, WinUpdate,
};
use host_model::rcv::{RcvModel, RcvStats, RegionMemory};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// What the run does.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Stream length in bytes.
    pub bytes: usize,
    pub seed: u64,
    /// Probabilities per data frame: lost, duplicated, swapped with the next one.
    pub loss: f64,
    pub dup: f64,
    pub reorder: f64,
    /// Probability that an ACK is lost on its way back.
    pub ack_loss: f64,
    /// Probability per round of a flush (then 1..=20 rounds in the host's slow path
    /// and a new handout).
    pub flush: f64,
    /// Probability per round that the host stops posting lists for 1..=30 rounds.
    pub stall: f64,
    /// Scatter-gather entries per list: 1..=`max_sg`, each 1..=`max_entry` bytes.
    pub max_sg: usize,
    pub max_entry: u32,
    pub mss: u32,
    /// The flow: IPv6 and / or 802.1Q tagged.
    pub ipv6: bool,
    pub vlan: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            bytes: 10 << 20,
            seed: 1,
            loss: 0.01,
            dup: 0.01,
            reorder: 0.02,
            ack_loss: 0.01,
            flush: 0.002,
            stall: 0.01,
            max_sg: 4,
            max_entry: 16384,
            mss: 1460,
            ipv6: false,
            vlan: false,
        }
    }
}

/// What the run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreamReport {
    pub bytes: usize,
    pub rounds: u64,
    pub segments: u64,
    pub retransmits: u64,
    pub frames_lost: u64,
    pub frames_duplicated: u64,
    pub frames_reordered: u64,
    pub acks_checked: u64,
    pub host_acks: u64,
    pub handouts: u64,
    pub flushes: u64,
    pub upload_requests: u64,
    pub lists_posted: u64,
    pub lists_completed: u64,
    pub bytes_from_lists: u64,
    pub bytes_indicated: u64,
    pub bytes_slow_path: u64,
    pub window_updates: u64,
    pub engine: RcvStats,
    /// RTL runs: simulated clocks and wall time.
    pub sim_cycles: u64,
    pub wall_seconds: f64,
}

/// Stream byte `i`.
pub fn stream_byte(seed: u64, i: u64) -> u8 {
    let x = (i ^ seed.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8
}

pub const RING_BASE: u64 = 0;
pub const RING_BUFS: usize = 64;
pub const APP_BASE: u64 = 1 << 20;
pub const APP_BYTES: u64 = 8 << 20;
/// Data to send (the duplex runs), after the application's receive buffers.
pub const SEND_BASE: u64 = APP_BASE + APP_BYTES;
pub const SEND_BYTES: u64 = 4 << 20;
/// Host memory the RTL run gives the engine (ring buffers, then application buffers).
pub const RTL_MEM: usize = (APP_BASE + APP_BYTES) as usize;

/// The receive engine a stream runs through.
pub trait StreamEngine {
    /// One command; its response.
    fn command(&mut self, words: &[u64]) -> Result<Event>;
    /// One frame from the link, processed.
    fn frame(&mut self, f: Vec<u8>) -> Result<()>;
    /// Events (not responses) since the last call, in the order sent.
    fn take_events(&mut self) -> Result<Vec<Event>>;
    /// Frames sent since the last call (ACK frames, and data segments where the
    /// engine sends).
    fn take_acks(&mut self) -> Vec<Vec<u8>>;
    /// Time passes up to `now` clocks since the start.
    fn tick(&mut self, now: u64) -> Result<()>;
    /// Host memory.
    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>>;
    /// The host writes its memory (data to send).
    fn write(&mut self, _addr: u64, _data: &[u8]) -> Result<()> {
        bail!("this engine has no send path")
    }

    /// The model's counters (the RTL has none here).
    fn stats(&self) -> RcvStats {
        RcvStats::default()
    }
}

/// The fast-path model with its host memory.
pub struct ModelEngine {
    eng: RcvModel,
    mem: RegionMemory,
    /// Every frame sent, by its metadata record (equal records, equal frames).
    frames: HashMap<Vec<u32>, Vec<u8>>,
    min: u32,
}

impl ModelEngine {
    pub fn new(cfg: &Resolved) -> ModelEngine {
        let mut mem = RegionMemory::new();
        mem.add(RING_BASE, RING_BUFS * RX_BUF_BYTES);
        mem.add(APP_BASE, APP_BYTES as usize);
        mem.add(SEND_BASE, SEND_BYTES as usize);
        ModelEngine {
            eng: RcvModel::new(cfg),
            mem,
            frames: HashMap::new(),
            min: cfg.config.rx.min_frame_len,
        }
    }
}

impl StreamEngine for ModelEngine {
    fn command(&mut self, words: &[u64]) -> Result<Event> {
        Ok(Event::decode(
            &self.eng.command_event(words, &mut self.mem).encode(),
        )?)
    }
    fn frame(&mut self, f: Vec<u8>) -> Result<()> {
        let rec = reference(&f, false, self.min).encode();
        self.frames.entry(rec.0.clone()).or_insert(f);
        self.eng.engine_mut().lookup(&rec);
        for d in self.eng.engine_mut().take_delivered() {
            let f = self
                .frames
                .get(&d.record.0)
                .context("delivered frame never sent")?
                .clone();
            self.eng.deliver(&d, &f, &mut self.mem);
        }
        Ok(())
    }
    fn take_events(&mut self) -> Result<Vec<Event>> {
        Ok(self.eng.take_events())
    }
    fn take_acks(&mut self) -> Vec<Vec<u8>> {
        self.eng.take_acks()
    }
    fn tick(&mut self, now: u64) -> Result<()> {
        self.eng.tick(now);
        Ok(())
    }
    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>> {
        Ok(self.mem.read(addr, len).context("host memory")?.to_vec())
    }
    fn write(&mut self, addr: u64, data: &[u8]) -> Result<()> {
        ensure!(
            host_model::rcv::HostMemory::write(&mut self.mem, addr, data),
            "host memory write at {addr:#x}"
        );
        Ok(())
    }
    fn stats(&self) -> RcvStats {
        self.eng.stats()
    }
}

impl ModelEngine {
    /// The model underneath.
    pub fn model(&self) -> &RcvModel {
        &self.eng
    }
}

/// The receive engine RTL (`<prefix>_rx` under Verilator): each frame runs through
/// before the next; time runs with the delayed-ACK clock on.
pub struct RtlEngine {
    pub sim: RxSim,
    c0: u64,
}

impl RtlEngine {
    pub fn new(mut sim: RxSim) -> RtlEngine {
        sim.take_event_log();
        let c0 = sim.cycles();
        RtlEngine { sim, c0 }
    }
}

impl StreamEngine for RtlEngine {
    fn command(&mut self, words: &[u64]) -> Result<Event> {
        Ok(Event::decode(&self.sim.command(words)?)?)
    }
    fn frame(&mut self, f: Vec<u8>) -> Result<()> {
        self.sim.push_frame(f, false);
        self.sim.drain(0)
    }
    fn take_events(&mut self) -> Result<Vec<Event>> {
        // Writes in flight complete (a FLUSH's RCV_DONE events follow its response).
        self.sim.drain(400)?;
        self.sim
            .take_event_log()
            .iter()
            .map(|w| Ok(Event::decode(w)?))
            .collect()
    }
    fn take_acks(&mut self) -> Vec<Vec<u8>> {
        self.sim.run_cycles(0);
        self.sim.acks.drain(..).collect()
    }
    fn tick(&mut self, now: u64) -> Result<()> {
        let at = self.sim.cycles() - self.c0;
        if now > at {
            self.sim.run_cycles(now - at);
        }
        Ok(())
    }
    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>> {
        let m = &self.sim.mem.mem;
        let (a, e) = (addr as usize, addr as usize + len);
        ensure!(e <= m.len(), "read past host memory at {addr:#x}");
        Ok(m[a..e].to_vec())
    }
}
/// The peer's initial sequence number (the stream starts at `PEER_ISN + 1`, and
/// wraps past 2^32 early on).
pub const PEER_ISN: u32 = 0xFFFF_0000;
/// Ours.
pub const OUR_ISS: u32 = 0x1234_5678;
/// The window scale the engine applies to the windows it advertises.
pub const RCV_WSCALE: u8 = 7;
const HOST_WND: u32 = 256 * 1024;

struct Peer {
    una: u32,
    nxt: u32,
    max: u32,
    wnd: u32,
    dupacks: u32,
    last_progress: u64,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Place {
    Offloaded { handle: u16 },
    Host { until: u64 },
}

struct Host {
    place: Place,
    host_ctx: u32,
    /// Next stream sequence number the application expects.
    app_nxt: u32,
    /// The host stack's RCV.NXT while the connection is on the host.
    rcv_nxt: u32,
    lists: VecDeque<(u32, Vec<SgEntry>)>,
    next_tag: u32,
    app_cursor: u64,
    stall_until: u64,
    app: Vec<u8>,
    free_bufs: Vec<u64>,
    last_ack: Option<(u32, u32)>,
}

/// Run the stream through the fast-path model. Errors name the first byte or frame
/// that went wrong.
pub fn run_model(cfg: &Resolved, sc: &StreamConfig) -> Result<StreamReport> {
    run_on(&mut ModelEngine::new(cfg), sc)
}

/// Run the stream through the receive engine RTL for `cfg` (built under `out`).
pub fn run_rtl(cfg: &Resolved, out: &std::path::Path, sc: &StreamConfig) -> Result<StreamReport> {
    let sim = RxSim::build(cfg, out, None, RTL_MEM)?;
    let t0 = std::time::Instant::now();
    let mut eng = RtlEngine::new(sim);
    let mut rep = run_on(&mut eng, sc)?;
    rep.sim_cycles = eng.sim.cycles() - eng.c0;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}

/// The RTL and the model in lockstep ([`RxLock`]): every frame, command and stretch of
/// delayed-ACK time is followed by a comparison of everything both sent (responses,
/// events, ACK frames, host memory); the host sees the model's (equal) events.
pub struct LockEngine {
    pub lk: RxLock,
    events: Vec<Event>,
    acks: Vec<Vec<u8>>,
    now: u64,
    steps: u64,
}

impl LockEngine {
    pub fn new(sim: RxSim) -> LockEngine {
        LockEngine {
            lk: RxLock::new(sim),
            events: Vec::new(),
            acks: Vec::new(),
            now: 0,
            steps: 0,
        }
    }

    fn check(&mut self, what: &str) -> Result<()> {
        self.steps += 1;
        let what = format!("step {} ({what})", self.steps);
        self.acks.extend(self.lk.model.peek_acks());
        let evs = self.lk.check(&what, 2000)?;
        self.events.extend(evs);
        Ok(())
    }
}

impl StreamEngine for LockEngine {
    fn command(&mut self, words: &[u64]) -> Result<Event> {
        let ev = self.lk.command(words)?;
        self.check("command")?;
        Ok(ev)
    }
    fn frame(&mut self, f: Vec<u8>) -> Result<()> {
        self.lk.frame(f, false);
        self.check("frame")
    }
    fn take_events(&mut self) -> Result<Vec<Event>> {
        Ok(std::mem::take(&mut self.events))
    }
    fn take_acks(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.acks)
    }
    fn tick(&mut self, now: u64) -> Result<()> {
        if now > self.now {
            self.lk.advance(now - self.now)?;
            self.now = now;
            self.check("time")?;
        }
        Ok(())
    }
    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>> {
        let m = &self.lk.mem.bytes;
        let (a, e) = (addr as usize, addr as usize + len);
        ensure!(e <= m.len(), "read past host memory at {addr:#x}");
        Ok(m[a..e].to_vec())
    }
    fn stats(&self) -> RcvStats {
        self.lk.model.stats()
    }
}

/// Run the stream through the RTL and the model in lockstep (RTL built under `out`).
pub fn run_lockstep(
    cfg: &Resolved,
    out: &std::path::Path,
    sc: &StreamConfig,
) -> Result<StreamReport> {
    let sim = RxSim::build(cfg, out, None, RTL_MEM)?;
    let t0 = std::time::Instant::now();
    let c0 = sim.cycles();
    let mut eng = LockEngine::new(sim);
    let mut rep = run_on(&mut eng, sc)?;
    rep.sim_cycles = eng.lk.sim.cycles() - c0;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}

/// Post one receive list (RCVLIST with the list's tag as the command's); it must be
/// accepted.
pub fn post_list(
    eng: &mut dyn StreamEngine,
    handle: u16,
    host_ctx: u32,
    list_tag: u32,
    sg: Vec<SgEntry>,
) -> Result<()> {
    let ev = eng.command(
        &Command::RcvList {
            tag: list_tag,
            lists: vec![RcvList {
                handle,
                host_ctx,
                list_tag,
                sg,
            }],
        }
        .encode(),
    )?;
    list_accepted(&ev, "RCVLIST")
}

/// A RCVLIST or SENDLIST response of one list: it must be accepted.
pub fn list_accepted(ev: &Event, what: &str) -> Result<()> {
    let (Event::RcvListPosted {
        results, trailer, ..
    }
    | Event::SendListPosted {
        results, trailer, ..
    }) = ev
    else {
        bail!("{what} answered {ev:?}");
    };
    ensure!(
        trailer.status == CmdStatus::Ok
            && results.first().is_some_and(|r| r.status == EntryStatus::Ok),
        "{what} refused: {ev:?}"
    );
    Ok(())
}

/// Return `bytes` consumed indicated bytes (WINUPDATE); it must be accepted.
pub fn win_update(
    eng: &mut dyn StreamEngine,
    handle: u16,
    host_ctx: u32,
    bytes: u32,
) -> Result<()> {
    let ev = eng.command(
        &Command::WinUpdate {
            tag: 9,
            updates: vec![WinUpdate {
                handle,
                host_ctx,
                bytes,
            }],
        }
        .encode(),
    )?;
    ensure!(ev.trailer().status == CmdStatus::Ok, "WINUPDATE: {ev:?}");
    Ok(())
}

/// Run the stream through `eng`.
pub fn run_on(eng: &mut dyn StreamEngine, sc: &StreamConfig) -> Result<StreamReport> {
    let base = PEER_ISN.wrapping_add(1);
    let mut r = Run {
        sc,
        rng: ChaCha8Rng::seed_from_u64(sc.seed),
        eng,
        rep: StreamReport {
            bytes: sc.bytes,
            ..StreamReport::default()
        },
        key: FlowKey {
            ipv6: sc.ipv6,
            vlan_present: sc.vlan,
            vlan_id: if sc.vlan { 42 } else { 0 },
            local_ip: if sc.ipv6 {
                0xfd00 << 112 | 1
            } else {
                0x0a00_0001
            },
            remote_ip: if sc.ipv6 {
                0xfd00 << 112 | 2
            } else {
                0x0a00_1001
            },
            local_port: 80,
            remote_port: 40000,
        },
        peer: Peer {
            una: base,
            nxt: base,
            max: base,
            wnd: 65535,
            dupacks: 0,
            last_progress: 0,
        },
        host: Host {
            place: Place::Host { until: 0 },
            host_ctx: 7,
            app_nxt: base,
            rcv_nxt: base,
            lists: VecDeque::new(),
            next_tag: 1,
            app_cursor: 0,
            stall_until: 0,
            app: Vec::with_capacity(sc.bytes),
            free_bufs: Vec::new(),
            last_ack: None,
        },
        round: 0,
        flush_now: false,
    };
    let addrs = (0..RING_BUFS as u64)
        .map(|i| RING_BASE + i * RX_BUF_BYTES as u64)
        .collect();
    let ev = r.cmd(Command::RxBuf { tag: 1, addrs })?;
    ensure!(
        ev.trailer().status == CmdStatus::Ok,
        "RXBUF answered {ev:?}"
    );
    let total = sc.bytes as u32;
    let max_rounds = 200 + sc.bytes as u64 / 100;
    while (r.host.app.len() as u32) < total {
        r.round += 1;
        ensure!(
            r.round < max_rounds,
            "no end after {} rounds: app has {} of {} bytes, peer una {}",
            r.round,
            r.host.app.len(),
            total,
            r.peer.una.wrapping_sub(base)
        );
        r.eng.tick(r.round * 2000)?;
        r.acks_to_peer()?;
        // Hand the connection (back) out.
        if let Place::Host { until } = r.host.place
            && r.round >= until
        {
            let (ctx, nxt) = (r.host.host_ctx, r.host.rcv_nxt);
            let eng = &mut *r.eng;
            let handle = hand_out_via(&mut |w: &[u64]| eng.command(w), &r.key, ctx, nxt, 65535)?;
            r.host.place = Place::Offloaded { handle };
            r.host.last_ack = None;
            r.rep.handouts += 1;
        }
        if matches!(r.host.place, Place::Offloaded { .. }) && r.rng.random_bool(sc.stall) {
            r.host.stall_until = r.round + r.rng.random_range(1..=30);
        }
        r.post_lists()?;
        // The peer sends what its window allows; the link delivers it.
        for f in r.peer_send() {
            r.frame_in(f)?;
        }
        // While on the host, its stack ACKs what it took.
        if let Place::Host { .. } = r.host.place {
            r.rep.host_acks += 1;
            if !r.rng.random_bool(sc.ack_loss) {
                let (nxt, round) = (r.host.rcv_nxt, r.round);
                peer_ack(&mut r.peer, nxt, HOST_WND, round);
            }
        }
        // A flush now and then.
        if matches!(r.host.place, Place::Offloaded { .. }) && r.rng.random_bool(sc.flush) {
            r.flush()?;
        }
    }
    ensure!(
        r.host.app.len() == sc.bytes,
        "application has {} bytes, stream {}",
        r.host.app.len(),
        sc.bytes
    );
    r.rep.rounds = r.round;
    r.rep.engine = r.eng.stats();
    Ok(r.rep)
}

struct Run<'a> {
    sc: &'a StreamConfig,
    rng: ChaCha8Rng,
    eng: &'a mut dyn StreamEngine,
    rep: StreamReport,
    key: FlowKey,
    peer: Peer,
    host: Host,
    round: u64,
    flush_now: bool,
}

impl Run<'_> {
    fn cmd(&mut self, c: Command) -> Result<Event> {
        self.eng.command(&c.encode())
    }

    /// The peer's segments for this round, through the impairments.
    fn peer_send(&mut self) -> Vec<Vec<u8>> {
        let sc = self.sc;
        let base = PEER_ISN.wrapping_add(1);
        let end = base.wrapping_add(sc.bytes as u32);
        let peer = &mut self.peer;
        if self.round.saturating_sub(peer.last_progress) > 40 && peer.una != end {
            peer.nxt = peer.una; // retransmission timeout: go back
            peer.last_progress = self.round;
            peer.dupacks = 0;
        }
        let mut wire: Vec<Vec<u8>> = Vec::new();
        for _ in 0..24 {
            let limit = peer.una.wrapping_add(peer.wnd);
            let room = limit.wrapping_sub(peer.nxt) as i32;
            let left = end.wrapping_sub(peer.nxt) as i32;
            if room <= 0 || left <= 0 {
                break;
            }
            let len = (sc.mss as i32).min(room).min(left) as u32;
            let off = peer.nxt.wrapping_sub(base) as u64;
            let payload: Vec<u8> = (off..off + len as u64)
                .map(|i| stream_byte(sc.seed, i))
                .collect();
            let push = self.rng.random_bool(0.05) || left as u32 == len;
            let f = peer_frame(
                &self.key,
                peer.nxt,
                Some(OUR_ISS.wrapping_add(1)),
                if push { 8 } else { 0 },
                &payload,
            );
            if (peer.nxt.wrapping_sub(peer.max) as i32) < 0 {
                self.rep.retransmits += 1;
            }
            peer.nxt = peer.nxt.wrapping_add(len);
            if (peer.nxt.wrapping_sub(peer.max) as i32) > 0 {
                peer.max = peer.nxt;
            }
            self.rep.segments += 1;
            if self.rng.random_bool(sc.loss) {
                self.rep.frames_lost += 1;
                continue;
            }
            if self.rng.random_bool(sc.dup) {
                self.rep.frames_duplicated += 1;
                wire.push(f.clone());
            }
            wire.push(f);
            if wire.len() >= 2 && self.rng.random_bool(sc.reorder) {
                self.rep.frames_reordered += 1;
                let n = wire.len();
                wire.swap(n - 1, n - 2);
            }
        }
        wire
    }

    /// One frame into the engine; then the ACKs go back and the host reacts.
    fn frame_in(&mut self, f: Vec<u8>) -> Result<()> {
        self.eng.frame(f)?;
        self.acks_to_peer()?;
        self.host_events()?;
        self.post_lists()?;
        if std::mem::take(&mut self.flush_now) && matches!(self.host.place, Place::Offloaded { .. })
        {
            self.flush()?;
        }
        Ok(())
    }

    /// The engine's ACK frames, checked, to the peer (some lost).
    fn acks_to_peer(&mut self) -> Result<()> {
        for a in self.eng.take_acks() {
            let (ack, wnd) = check_ack(&a, &self.key, &self.peer, &mut self.host.last_ack)?;
            self.rep.acks_checked += 1;
            if !self.rng.random_bool(self.sc.ack_loss) {
                peer_ack(&mut self.peer, ack, wnd, self.round);
            }
        }
        Ok(())
    }

    /// Keep two lists posted (unless the host stalls).
    fn post_lists(&mut self) -> Result<()> {
        let Place::Offloaded { handle } = self.host.place else {
            return Ok(());
        };
        if self.round < self.host.stall_until {
            return Ok(());
        }
        while self.host.lists.len() < 2 {
            let n = self.rng.random_range(1..=self.sc.max_sg);
            let mut sg = Vec::new();
            for _ in 0..n {
                let len = self.rng.random_range(1..=self.sc.max_entry);
                let gap = self.rng.random_range(0..64u64) * 8;
                if self.host.app_cursor + gap + len as u64 > APP_BYTES {
                    self.host.app_cursor = 0;
                }
                sg.push(SgEntry {
                    addr: APP_BASE + self.host.app_cursor + gap,
                    len,
                });
                self.host.app_cursor += gap + len as u64;
            }
            let list_tag = self.host.next_tag;
            self.host.next_tag += 1;
            let host_ctx = self.host.host_ctx;
            post_list(&mut *self.eng, handle, host_ctx, list_tag, sg.clone())?;
            self.host.lists.push_back((list_tag, sg));
            self.rep.lists_posted += 1;
        }
        // What the host posted may have released held frames: their ACKs go out.
        self.acks_to_peer()?;
        Ok(())
    }

    fn list_bytes(&mut self, done: &RcvDone, what: &str) -> Result<()> {
        let Some((tag, sg)) = self.host.lists.pop_front() else {
            bail!("completion of a list not posted: {done:?}");
        };
        ensure!(
            done.list_tag == tag,
            "list {} completed before {tag}",
            done.list_tag
        );
        let mut left = done.bytes as usize;
        for e in &sg {
            let n = left.min(e.len as usize);
            let bytes = self.eng.read(e.addr, n).context("list bytes")?;
            app_append(&mut self.host, self.sc.seed, &bytes, what)?;
            left -= n;
        }
        ensure!(left == 0, "completion of {} bytes > list", done.bytes);
        self.rep.bytes_from_lists += done.bytes as u64;
        Ok(())
    }

    /// The TCP frame in a ring buffer (sequence number, payload); the buffer goes back
    /// to the host's free list.
    fn ring_frame(&mut self, addr: u64, len: u32) -> Result<(u32, Vec<u8>)> {
        let f = self.eng.read(addr, len as usize).context("ring buffer")?;
        let seg = tcp_payload(&f)?;
        self.host.free_bufs.push(addr);
        Ok(seg)
    }

    /// The host takes its events.
    fn host_events(&mut self) -> Result<()> {
        let base = PEER_ISN.wrapping_add(1);
        for ev in self.eng.take_events()? {
            match ev {
                Event::RcvDone { done, trailer } => {
                    ensure!(trailer.status == CmdStatus::Ok, "list failed: {done:?}");
                    ensure!(
                        !done.flushed,
                        "flushed completion outside a FLUSH: {done:?}"
                    );
                    self.list_bytes(&done, "list")?;
                    self.rep.lists_completed += 1;
                }
                Event::FrameData { addr, status, .. } => {
                    let (seq, payload) = self.ring_frame(addr, status.frame_len)?;
                    let skip = self.host.app_nxt.wrapping_sub(seq) as usize;
                    ensure!(
                        skip < payload.len(),
                        "FRAME_DATA seq {} len {} does not continue the stream at {}",
                        seq.wrapping_sub(base),
                        payload.len(),
                        self.host.app_nxt.wrapping_sub(base)
                    );
                    let n = payload.len() - skip;
                    app_append(&mut self.host, self.sc.seed, &payload[skip..], "FRAME_DATA")?;
                    self.rep.bytes_indicated += n as u64;
                    if let Place::Offloaded { handle } = self.host.place {
                        let host_ctx = self.host.host_ctx;
                        win_update(&mut *self.eng, handle, host_ctx, n as u32)?;
                        self.rep.window_updates += 1;
                    }
                }
                Event::RxFrame { addr, status, .. } => {
                    let (seq, payload) = self.ring_frame(addr, status.frame_len)?;
                    if matches!(self.host.place, Place::Host { .. }) {
                        slow_path(&mut self.host, self.sc.seed, seq, &payload, &mut self.rep)?;
                    }
                }
                Event::UploadRequest { reason, .. } => {
                    ensure!(
                        reason == UploadReason::NoBuffer,
                        "unexpected upload request {reason:?}"
                    );
                    self.rep.upload_requests += 1;
                    self.flush_now = true;
                }
                other => bail!("unexpected event {other:?}"),
            }
        }
        if !self.host.free_bufs.is_empty() {
            let addrs = std::mem::take(&mut self.host.free_bufs);
            let ev = self.cmd(Command::RxBuf { tag: 2, addrs })?;
            ensure!(ev.trailer().status == CmdStatus::Ok, "RXBUF: {ev:?}");
        }
        Ok(())
    }

    /// FLUSH: the residuals come back, the application has the stream exactly up to
    /// the returned `rcv_nxt`, and the host's stack carries on for a while.
    fn flush(&mut self) -> Result<()> {
        let Place::Offloaded { handle } = self.host.place else {
            return Ok(());
        };
        // Events the engine raised before the FLUSH are taken first, as a driver does.
        self.host_events()?;
        let t = flush_conn(&mut *self.eng, handle, self.host.host_ctx)?;
        self.rep.flushes += 1;
        let rcv_nxt = t.rcv_nxt as u32;
        self.host.place = Place::Host {
            until: self.round + self.rng.random_range(1..=20),
        };
        for ev in self.eng.take_events()? {
            match ev {
                Event::RcvDone { done, .. } => {
                    ensure!(done.flushed, "completion after FLUSH not flushed: {done:?}");
                    self.list_bytes(&done, "residual")?;
                }
                Event::RxFrame { addr, .. } => self.host.free_bufs.push(addr),
                Event::UploadRequest { .. } => {}
                other => bail!("unexpected event after FLUSH: {other:?}"),
            }
        }
        ensure!(self.host.lists.is_empty(), "lists not returned by FLUSH");
        let base = PEER_ISN.wrapping_add(1);
        ensure!(
            rcv_nxt == self.host.app_nxt,
            "FLUSH says rcv_nxt {} but the application has the stream up to {}",
            rcv_nxt.wrapping_sub(base),
            self.host.app_nxt.wrapping_sub(base)
        );
        self.host.rcv_nxt = rcv_nxt;
        Ok(())
    }
}

/// Hand one connection out (a new Neighbor, Path and TCP block; then HANDOUT2 with
/// RCV.NXT = `rcv_nxt` and RCV.WND = `rcv_wnd`, `rcv_wscale` 7, MSS 1460, SND.NXT =
/// [`OUR_ISS`] + 1). Returns its handle.
pub fn hand_out(
    eng: &mut RcvModel,
    mem: &mut RegionMemory,
    key: &FlowKey,
    host_ctx: u32,
    rcv_nxt: u32,
    rcv_wnd: u32,
) -> Result<u16> {
    hand_out_via(
        &mut |w: &[u64]| Ok(eng.command_event(w, mem)),
        key,
        host_ctx,
        rcv_nxt,
        rcv_wnd,
    )
}

/// [`hand_out`] through any command path (`cmd` answers a command with its response).
pub fn hand_out_via(
    cmd: &mut dyn FnMut(&[u64]) -> Result<Event>,
    key: &FlowKey,
    host_ctx: u32,
    rcv_nxt: u32,
    rcv_wnd: u32,
) -> Result<u16> {
    let tcp = Tcp {
        local_port: key.local_port as u64,
        remote_port: key.remote_port as u64,
        rcv_wscale: RCV_WSCALE as u64,
        snd_wscale: 7,
        wscale_ok: 1,
        eff_mss: 1460,
        remote_mss: 1460,
        tcp_state: TcpState::Established as u64,
        rcv_nxt: rcv_nxt as u64,
        rcv_wnd: rcv_wnd as u64,
        snd_una: OUR_ISS.wrapping_add(1) as u64,
        snd_nxt: OUR_ISS.wrapping_add(1) as u64,
        ..Tcp::default()
    };
    hand_out_tcp(cmd, key, host_ctx, &tcp)
}

/// Hand one connection out with all of `tcp` (CONST and CACHED in HANDOUT1, then
/// DELEGATED in HANDOUT2): a new Neighbor (MACs 02:00:00:00:00:01 → :02, the key's
/// VLAN) and Path (the key's addresses, IP ID start 0x4000). Returns its handle.
pub fn hand_out_tcp(
    cmd: &mut dyn FnMut(&[u64]) -> Result<Event>,
    key: &FlowKey,
    host_ctx: u32,
    tcp: &Tcp,
) -> Result<u16> {
    let nbr = Neighbor {
        vlan_present: key.vlan_present as u64,
        vlan_id: key.vlan_id as u64,
        src_mac: 0x0200_0000_0001,
        dst_mac: 0x0200_0000_0002,
        ..Neighbor::default()
    };
    let mut path = if key.ipv6 {
        Path::v6(key.local_ip, key.remote_ip)
    } else {
        Path::v4(key.local_ip as u32, key.remote_ip as u32)
    };
    path.ip_id_start = 0x4000;
    let tcp = *tcp;
    let blocks = vec![
        Block::Neighbor {
            host_ctx: 1,
            obj: ObjRef::New(nbr),
        },
        Block::Path {
            host_ctx: 2,
            obj: ObjRef::New(path),
        },
        Block::Tcp { host_ctx, tcp },
    ];
    let ev = cmd(&Command::Handout1 { tag: 3, blocks }.encode())?;
    let Event::Interlock { results, .. } = &ev else {
        bail!("HANDOUT1 answered {ev:?}");
    };
    ensure!(
        results.iter().all(|r| r.status == EntryStatus::Ok),
        "HANDOUT1 refused: {ev:?}"
    );
    let handle = results[2].handle;
    let ev = cmd(&Command::Handout2 {
        tag: 4,
        entries: vec![Handout2Entry {
            handle,
            host_ctx,
            tcp,
        }],
    }
    .encode())?;
    ensure!(
        ev.trailer().status == CmdStatus::Ok,
        "HANDOUT2 answered {ev:?}"
    );
    Ok(handle)
}

fn slow_path(
    host: &mut Host,
    seed: u64,
    seq: u32,
    payload: &[u8],
    rep: &mut StreamReport,
) -> Result<()> {
    let end = seq.wrapping_add(payload.len() as u32);
    let skip = host.rcv_nxt.wrapping_sub(seq) as i32;
    if skip < 0 || (end.wrapping_sub(host.rcv_nxt) as i32) <= 0 {
        return Ok(()); // out of order or old: the host stack drops it
    }
    app_append(host, seed, &payload[skip as usize..], "slow path")?;
    rep.bytes_slow_path += (payload.len() - skip as usize) as u64;
    host.rcv_nxt = end;
    Ok(())
}

fn app_append(host: &mut Host, seed: u64, bytes: &[u8], what: &str) -> Result<()> {
    let at = host.app.len() as u64;
    for (i, b) in bytes.iter().enumerate() {
        let want = stream_byte(seed, at + i as u64);
        ensure!(
            *b == want,
            "{what}: stream byte {} is {b:#04x}, should be {want:#04x}",
            at + i as u64
        );
    }
    host.app.extend_from_slice(bytes);
    host.app_nxt = host.app_nxt.wrapping_add(bytes.len() as u32);
    Ok(())
}

fn peer_ack(peer: &mut Peer, ack: u32, wnd: u32, round: u64) {
    let adv = ack.wrapping_sub(peer.una) as i32;
    if adv > 0 && (peer.max.wrapping_sub(ack) as i32) >= 0 {
        peer.una = ack;
        if (peer.nxt.wrapping_sub(ack) as i32) < 0 {
            peer.nxt = ack;
        }
        peer.dupacks = 0;
        peer.last_progress = round;
    } else if adv == 0 && peer.nxt != peer.una {
        peer.dupacks += 1;
        if peer.dupacks == 3 {
            // Fast retransmit: send from the hole again.
            peer.nxt = peer.una;
        }
    }
    peer.wnd = wnd;
}

/// FLUSH one connection; it must come back with its DELEGATED state.
pub fn flush_conn(eng: &mut dyn StreamEngine, handle: u16, host_ctx: u32) -> Result<Tcp> {
    let ev = eng.command(
        &Command::Flush {
            tag: 5,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle,
                host_ctx,
            }],
        }
        .encode(),
    )?;
    let Event::Flushed { items, .. } = &ev else {
        bail!("FLUSH answered {ev:?}");
    };
    let Some(FlushItem::Conn { tcp: Some(t), .. }) = items.first() else {
        bail!("FLUSH returned no state: {ev:?}");
    };
    Ok(*t)
}

/// Sequence number and payload of a TCP frame (etherparse).
pub fn tcp_payload(f: &[u8]) -> Result<(u32, Vec<u8>)> {
    let p = SlicedPacket::from_ethernet(f).context("etherparse")?;
    let Some(TransportSlice::Tcp(t)) = p.transport else {
        bail!("not TCP");
    };
    Ok((t.sequence_number(), t.payload().to_vec()))
}

/// Check one ACK frame from the engine; returns (ack, window in bytes).
fn check_ack(
    f: &[u8],
    key: &FlowKey,
    peer: &Peer,
    last: &mut Option<(u32, u32)>,
) -> Result<(u32, u32)> {
    let (ack, wnd) = ack_fields(f, key)?;
    ensure!(
        (peer.max.wrapping_sub(ack) as i32) >= 0,
        "ACK {ack} of data never sent (peer sent up to {})",
        peer.max
    );
    if let Some((a, r)) = *last {
        ensure!((ack.wrapping_sub(a) as i32) >= 0, "ACK number went back");
        ensure!(
            (ack.wrapping_add(wnd).wrapping_sub(r) as i32) >= -(1 << RCV_WSCALE),
            "window right edge moved left"
        );
    }
    *last = Some((ack, ack.wrapping_add(wnd)));
    Ok((ack, wnd))
}

/// Check one ACK frame of the engine for `key` with etherparse (at least 60 bytes,
/// MACs, VLAN tag, IPv4 header checksum, addresses, TCP checksum with the
/// pseudo-header, ports, flag ACK alone, no payload, SND.NXT = [`OUR_ISS`] + 1);
/// returns the ACK number and the window in bytes (scaled by [`RCV_WSCALE`]).
pub fn ack_fields(f: &[u8], key: &FlowKey) -> Result<(u32, u32)> {
    ensure!(f.len() >= 60, "ACK frame of {} bytes", f.len());
    let p = SlicedPacket::from_ethernet(f).context("ACK frame: etherparse")?;
    let Some(etherparse::LinkSlice::Ethernet2(eth)) = &p.link else {
        bail!("ACK frame: not Ethernet II");
    };
    ensure!(
        eth.source() == [2, 0, 0, 0, 0, 1] && eth.destination() == [2, 0, 0, 0, 0, 2],
        "ACK frame MACs"
    );
    ensure!(
        p.vlan().map(|v| match v {
            etherparse::VlanSlice::SingleVlan(s) => s.vlan_identifier().value(),
            etherparse::VlanSlice::DoubleVlan(d) => d.outer.vlan_identifier().value(),
        }) == key.vlan_present.then_some(key.vlan_id),
        "ACK frame VLAN"
    );
    let Some(TransportSlice::Tcp(t)) = &p.transport else {
        bail!("ACK frame: not TCP");
    };
    let th = t.to_header();
    let csum = match &p.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header().to_header();
            ensure!(
                h.calc_header_checksum() == h.header_checksum,
                "ACK frame: bad IPv4 header checksum"
            );
            ensure!(
                u32::from_be_bytes(h.source) as u128 == key.local_ip
                    && u32::from_be_bytes(h.destination) as u128 == key.remote_ip,
                "ACK frame IP addresses"
            );
            th.calc_checksum_ipv4(&h, t.payload())?
        }
        Some(NetSlice::Ipv6(ip)) => {
            let h = ip.header().to_header();
            ensure!(
                u128::from_be_bytes(h.source) == key.local_ip
                    && u128::from_be_bytes(h.destination) == key.remote_ip,
                "ACK frame IP addresses"
            );
            th.calc_checksum_ipv6(&h, t.payload())?
        }
        _ => bail!("ACK frame: no IP"),
    };
    ensure!(csum == th.checksum, "ACK frame: bad TCP checksum");
    ensure!(
        th.source_port == key.local_port && th.destination_port == key.remote_port,
        "ACK frame ports"
    );
    ensure!(
        th.ack && !th.syn && !th.fin && !th.rst && !th.psh && t.payload().is_empty(),
        "ACK frame flags or payload"
    );
    ensure!(
        th.sequence_number == OUR_ISS.wrapping_add(1),
        "ACK frame sequence number"
    );
    Ok((
        th.acknowledgment_number,
        (th.window_size as u32) << RCV_WSCALE,
    ))
}
