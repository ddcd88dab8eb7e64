//! End-to-end scenarios: the host stack model driving the Verilated engine, with the
//! engine model answering the same commands alongside (every response compared).

use crate::engine_sim::{EngineSim, Tagged};
use crate::reference::reference;
use crate::rx_lock::RxLock;
use crate::rx_sim::RxSim;
use anyhow::{Result, bail};
use etherparse::PacketBuilder;
use host_model::engine::Delivery;
use host_model::engine::{EngineModel, Lookup};
use host_model::proto::{CmdStatus, Command, RX_BUF_BYTES, RX_RING_SLOTS};
use host_model::proto::{Event, FlowKey};
use host_model::stack::{EngineLink, FrameClass, HostStack, OffloadPolicy, Segment};
use host_model::{Resolved, RxMeta};
use std::path::Path;

/// The RTL and the model side by side: commands go to both, the RTL's response is
/// used, and every difference is counted.
pub struct Mirror {
    pub sim: EngineSim,
    pub model: EngineModel,
    pub mismatches: u64,
    pub commands: u64,
}

impl EngineLink for Mirror {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        self.commands += 1;
        let want = self.model.command(words);
        let got = self.sim.command(words).unwrap_or_default();
        if got != want {
            self.mismatches += 1;
            eprintln!("RTL/model differ on {words:x?}:\n  RTL   {got:x?}\n  model {want:x?}");
        }
        // Frames the command releases (held since HANDOUT1): the same on both sides.
        // (The scenarios send no frame while a connection is held, so none reach the
        // host stack here.)
        let released = self.model.take_delivered();
        match self.sim.wait_tagged(released.len()) {
            Ok(got) => self.mismatches += self.compare(&got, &released),
            Err(_) => self.mismatches += 1,
        }
        got
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        let got = self.sim.poll_events();
        let want: Vec<Vec<u64>> = self
            .model
            .take_unsolicited()
            .iter()
            .map(Event::encode)
            .collect();
        if got != want {
            self.mismatches += 1;
            eprintln!("upload requests differ:\n  RTL   {got:x?}\n  model {want:x?}");
        }
        got
    }
}

impl Mirror {
    /// Frames through the RTL and the model (records from the reference parser);
    /// the frames delivered must match (differences counted). Returns what the RTL
    /// delivered, with its lookup.
    pub fn frames(&mut self, frames: &[Vec<u8>]) -> Result<Vec<(Tagged, Lookup)>> {
        let min = self.sim.config().config.rx.min_frame_len;
        for f in frames {
            self.sim.push_frame(f.clone());
            self.model.lookup(&reference(f, false, min).encode());
        }
        let want = self.model.take_delivered();
        let got = self.sim.wait_tagged(want.len())?;
        self.mismatches += self.compare(&got, &want);
        Ok(got
            .into_iter()
            .map(|t| {
                let l = lookup_of(&t);
                (t, l)
            })
            .collect())
    }

    /// Deliveries that differ (status, handle or record).
    fn compare(&self, got: &[Tagged], want: &[Delivery]) -> u64 {
        let mut bad = (got.len() != want.len()) as u64;
        for (g, w) in got.iter().zip(want) {
            if lookup_of(g) != w.lookup || RxMeta::decode(&g.record) != RxMeta::decode(&w.record) {
                bad += 1;
            }
        }
        bad
    }
}

/// A frame as the host stack receives it from the engine side.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The TCP segment the host sees (`None`: not TCP).
    pub seg: Option<Segment>,
    pub lookup: Lookup,
    /// Cycle the frame reached the host (tagged record, or RX_FRAME event).
    pub cycle: u64,
}

/// The engine side of a scenario: the Verilated RTL with its model alongside. Commands
/// go to both (the [`EngineLink`] side); frames go through both and arrive at the host.
pub trait FramePath: EngineLink {
    /// Send frames; return what arrives at the host, in order (differences from the
    /// model are counted).
    fn deliver(&mut self, frames: &[Vec<u8>]) -> Result<Vec<Arrival>>;
    /// Simulated cycles so far.
    fn cycles(&self) -> u64;
    /// Run `n` cycles.
    fn settle(&mut self, n: u64);
    /// (commands sent, differences between the RTL and the model).
    fn counts(&self) -> (u64, u64);
}

impl FramePath for Mirror {
    fn deliver(&mut self, frames: &[Vec<u8>]) -> Result<Vec<Arrival>> {
        Ok(self
            .frames(frames)?
            .into_iter()
            .map(|(t, l)| Arrival {
                seg: Segment::from_record(&t.record, l),
                lookup: l,
                cycle: t.cycle,
            })
            .collect())
    }
    fn cycles(&self) -> u64 {
        self.sim.cycles()
    }
    fn settle(&mut self, n: u64) {
        self.sim.run_cycles(n)
    }
    fn counts(&self) -> (u64, u64) {
        (self.commands, self.mismatches)
    }
}

/// The receive engine top (`<prefix>_rx`) and its model (`host_model::rcv::RcvModel`)
/// side by side ([`RxLock`]): frames reach the host through receive-ring buffers in
/// host memory (RX_FRAME, or FRAME_DATA for an offloaded connection's in-order data
/// with no receive list posted), which the host reads and parses itself
/// (`Segment::from_frame`, etherparse).
pub struct RingMirror {
    pub lock: RxLock,
    pub mismatches: u64,
    pub commands: u64,
    tag: u32,
    /// The model's events not compared yet.
    pending: std::collections::VecDeque<Event>,
}

impl RingMirror {
    pub fn new(sim: RxSim) -> Self {
        RingMirror {
            lock: RxLock::new(sim),
            mismatches: 0,
            commands: 0,
            tag: 0,
            pending: Default::default(),
        }
    }

    fn pull(&mut self) {
        let evs = self.lock.model.take_events();
        self.pending.extend(evs);
    }
}

impl EngineLink for RingMirror {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        self.commands += 1;
        let want = self
            .lock
            .model
            .command_event(words, &mut self.lock.mem)
            .encode();
        let got = self.lock.sim.command(words).unwrap_or_default();
        if got != want {
            self.mismatches += 1;
            eprintln!("RTL/model differ on {words:x?}:\n  RTL   {got:x?}\n  model {want:x?}");
        }
        // The scenarios send no frame while a connection is held: nothing is released.
        if !self.lock.model.engine_mut().take_delivered().is_empty() {
            self.mismatches += 1;
        }
        got
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        self.pull();
        let got = self.lock.sim.poll_events();
        let want: Vec<Vec<u64>> = self
            .pending
            .iter()
            .filter(|e| matches!(e, Event::UploadRequest { .. }))
            .map(Event::encode)
            .collect();
        self.pending
            .retain(|e| !matches!(e, Event::UploadRequest { .. }));
        if got != want {
            self.mismatches += 1;
            eprintln!("upload requests differ:\n  RTL   {got:x?}\n  model {want:x?}");
        }
        got
    }
}

impl RingMirror {
    /// Post buffers for a chunk of frames (region `half` of two) and send the chunk;
    /// returns the ring events the model expects of it.
    fn send_chunk(&mut self, chunk: &[Vec<u8>], half: usize) -> Result<Vec<Event>> {
        self.tag += 1;
        let base = half * RING_CHUNK;
        let addrs = (0..chunk.len())
            .map(|i| ((base + i) * RX_BUF_BYTES) as u64)
            .collect();
        let posted = EngineLink::command(
            self,
            &Command::RxBuf {
                tag: self.tag,
                addrs,
            }
            .encode(),
        );
        if Event::decode(&posted).map(|e| e.trailer().status) != Ok(CmdStatus::Ok) {
            bail!("RXBUF failed: {posted:x?}");
        }
        for f in chunk {
            self.lock.frame(f.clone(), false);
        }
        self.pull();
        let mut want = vec![];
        let mut keep = std::collections::VecDeque::new();
        for e in self.pending.drain(..) {
            match e {
                Event::RxFrame { .. } | Event::FrameData { .. } => want.push(e),
                Event::UploadRequest { .. } => keep.push_back(e),
                _ => self.mismatches += 1,
            }
        }
        self.pending = keep;
        Ok(want)
    }

    /// Wait for a chunk's ring events; read and parse each buffer.
    fn receive_chunk(&mut self, want: &[Event], out: &mut Vec<Arrival>) -> Result<()> {
        let got = self.lock.sim.wait_rx_frames(want.len())?;
        for (g, w) in got.iter().zip(want) {
            let ev = Event::decode(&g.words)?;
            if ev != *w {
                self.mismatches += 1;
            }
            let (Event::RxFrame { addr, status, .. } | Event::FrameData { addr, status, .. }) = ev
            else {
                bail!("not an RX_FRAME or FRAME_DATA event: {ev:?}");
            };
            let at = addr as usize;
            let bytes = &self.lock.sim.mem.mem[at..at + status.written()];
            let lookup = match status.lookup {
                3 => Lookup::Hit(status.conn as u16),
                1 => Lookup::Miss,
                _ => Lookup::NotTcp,
            };
            let handle = match lookup {
                Lookup::Hit(h) => Some(h),
                _ => None,
            };
            out.push(Arrival {
                seg: Segment::from_frame(bytes, handle),
                lookup,
                cycle: g.cycle,
            });
        }
        Ok(())
    }
}

/// Frames per chunk of [`RingMirror::deliver`]: two chunks of buffers fit the ring.
const RING_CHUNK: usize = RX_RING_SLOTS / 2 - 8;

impl FramePath for RingMirror {
    /// Chunks go back to back: the next chunk's buffers are posted and its frames sent
    /// before the previous chunk's events are awaited, so the ring never runs dry and
    /// the input never waits.
    fn deliver(&mut self, frames: &[Vec<u8>]) -> Result<Vec<Arrival>> {
        let mut out = vec![];
        let mut pending: Option<Vec<Event>> = None;
        for (k, chunk) in frames.chunks(RING_CHUNK).enumerate() {
            let want = self.send_chunk(chunk, k % 2)?;
            if let Some(prev) = pending.replace(want) {
                self.receive_chunk(&prev, &mut out)?;
            }
        }
        if let Some(prev) = pending {
            self.receive_chunk(&prev, &mut out)?;
        }
        Ok(out)
    }
    fn cycles(&self) -> u64 {
        self.lock.sim.cycles()
    }
    fn settle(&mut self, n: u64) {
        self.lock.sim.run_cycles(n)
    }
    fn counts(&self) -> (u64, u64) {
        (self.commands, self.mismatches)
    }
}

/// The RTL's status of a delivered frame as a [`Lookup`].
fn lookup_of(t: &Tagged) -> Lookup {
    match t.status {
        0 => Lookup::NotTcp,
        1 => Lookup::Miss,
        2 => Lookup::Held(t.conn),
        _ => Lookup::Hit(t.conn),
    }
}

/// A TCP segment from the peer to us (etherparse builds it); `flags`: bit 0 FIN,
/// 1 SYN, 2 RST, 3 PSH, 5 URG. Padded to the 60-byte Ethernet minimum.
pub fn peer_frame(
    key: &FlowKey,
    seq: u32,
    ack: Option<u32>,
    flags: u16,
    payload: &[u8],
) -> Vec<u8> {
    let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]);
    let mut out = Vec::new();
    macro_rules! finish {
        ($b:expr) => {{
            let mut b = $b.tcp(key.remote_port, key.local_port, seq, 65535);
            if let Some(a) = ack {
                b = b.ack(a);
            }
            if flags & 1 != 0 {
                b = b.fin();
            }
            if flags & 2 != 0 {
                b = b.syn();
            }
            if flags & 4 != 0 {
                b = b.rst();
            }
            if flags & 8 != 0 {
                b = b.psh();
            }
            if flags & 0x20 != 0 {
                b = b.urg(1);
            }
            b.write(&mut out, payload)
                .expect("etherparse writes the frame");
        }};
    }
    let v4 = |x: u128| (x as u32).to_be_bytes();
    let v6 = |x: u128| x.to_be_bytes();
    let vlan = etherparse::VlanId::try_new(key.vlan_id).unwrap_or(etherparse::VlanId::ZERO);
    match (key.vlan_present, key.ipv6) {
        (false, false) => finish!(eth.ipv4(v4(key.remote_ip), v4(key.local_ip), 64)),
        (false, true) => finish!(eth.ipv6(v6(key.remote_ip), v6(key.local_ip), 64)),
        (true, false) => finish!(eth.single_vlan(vlan).ipv4(
            v4(key.remote_ip),
            v4(key.local_ip),
            64
        )),
        (true, true) => finish!(eth.single_vlan(vlan).ipv6(
            v6(key.remote_ip),
            v6(key.local_ip),
            64
        )),
    }
    if out.len() < 60 {
        out.resize(60, 0);
    }
    out
}

/// What `offload-many` measured.
#[derive(Debug, Default)]
pub struct OffloadManySummary {
    /// Where the frames reach the host.
    pub path: &'static str,
    pub connections: usize,
    pub offloaded: u64,
    pub refused: u64,
    pub handout_cycles: u64,
    pub data_frames: usize,
    pub data_hits: usize,
    /// Data frames whose engine lookup (hit or not) and host classification (engine
    /// path or not) disagree.
    pub misrouted: usize,
    /// Clocks between the first and last tagged data record.
    pub data_span_cycles: u64,
    /// Beats of the data frames (8 bytes each).
    pub data_beats: u64,
    /// `data_span_cycles` minus the beats after the first frame: 0 = one lookup per
    /// frame with no bubble.
    pub lookup_bubbles: i64,
    pub fins: usize,
    pub uploads_requested: usize,
    pub uploaded: u64,
    pub commands: u64,
    pub mismatches: u64,
    pub engine_connections_after: u64,
    pub sim_cycles: u64,
    pub wall_seconds: f64,
}

/// `n` connections: handshakes seen by the host stack through the engine, one block
/// list hands them all out, a data frame each hits at line rate, a FIN on every tenth
/// raises an upload request and the host flushes it.
pub fn offload_many(cfg: &Resolved, n: usize, out: &Path) -> Result<OffloadManySummary> {
    let t0 = std::time::Instant::now();
    let sim = EngineSim::build(cfg, out, None)?;
    let mirror = Mirror {
        sim,
        model: EngineModel::new(cfg),
        mismatches: 0,
        commands: 0,
    };
    offload_many_on(mirror, "engine top: frames and records on m_axis", n, t0)
}

/// [`offload_many`] on the receive engine top: the host stack reads every frame from a
/// receive-ring buffer in host memory (RX_FRAME events) and parses it itself.
pub fn offload_many_ring(cfg: &Resolved, n: usize, out: &Path) -> Result<OffloadManySummary> {
    let t0 = std::time::Instant::now();
    let sim = RxSim::build(cfg, out, None, RX_RING_SLOTS * RX_BUF_BYTES)?;
    let mirror = RingMirror::new(sim);
    offload_many_on(
        mirror,
        "receive engine top: frames in receive-ring buffers, parsed by the host",
        n,
        t0,
    )
}

fn offload_many_on<L: FramePath>(
    mirror: L,
    path: &'static str,
    n: usize,
    t0: std::time::Instant,
) -> Result<OffloadManySummary> {
    let policy = OffloadPolicy {
        min_bytes: u64::MAX,
        ..OffloadPolicy::default()
    };
    let mut stack = HostStack::new(mirror, policy)?;
    let keys: Vec<FlowKey> = (0..n)
        .map(|i| {
            let v6 = i % 4 == 3;
            let remote = 0x0a01_0000 + (i / 200) as u128;
            FlowKey {
                ipv6: v6,
                vlan_present: i % 8 == 5,
                vlan_id: if i % 8 == 5 { 42 } else { 0 },
                local_ip: if v6 { 0xfd00 << 112 | 1 } else { 0x0a00_0001 },
                remote_ip: if v6 { 0xfd00 << 112 | remote } else { remote },
                local_port: 80,
                remote_port: 10_000 + (i % 200) as u16 * 7,
            }
        })
        .collect();
    // Handshakes: SYN from the peer, the host answers SYN+ACK, the peer's ACK completes.
    let isn = |i: usize| 1_000_000u32.wrapping_mul(i as u32 + 1);
    let syns: Vec<Vec<u8>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| peer_frame(k, isn(i), None, 2, &[]))
        .collect();
    for a in stack.link_mut().deliver(&syns)? {
        if let Some(seg) = a.seg {
            stack.receive(&seg)?;
        }
    }
    let mut acks = vec![];
    for (i, k) in keys.iter().enumerate() {
        let Some(id) = stack.conn_by_key(k) else {
            bail!("the host did not open connection {i}")
        };
        let our_isn = stack.conn(id).map(|c| c.tcp.snd_nxt as u32).unwrap_or(0);
        acks.push(peer_frame(k, isn(i).wrapping_add(1), Some(our_isn), 0, &[]));
    }
    for a in stack.link_mut().deliver(&acks)? {
        if let Some(seg) = a.seg {
            stack.receive(&seg)?;
        }
    }
    // One block list for all of them.
    let ids: Vec<u32> = keys.iter().filter_map(|k| stack.conn_by_key(k)).collect();
    let c0 = stack.link().cycles();
    let outcomes = stack.offload(&ids)?;
    let handout_cycles = stack.link().cycles() - c0;
    let mut s = OffloadManySummary {
        path,
        connections: n,
        handout_cycles,
        ..Default::default()
    };
    s.offloaded = outcomes.iter().filter(|o| o.1.is_ok()).count() as u64;
    s.refused = outcomes.len() as u64 - s.offloaded;
    // One data frame per connection, back to back.
    let data: Vec<Vec<u8>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| peer_frame(k, isn(i).wrapping_add(1), Some(0), 0, &[0xAB; 10]))
        .collect();
    s.data_beats = data.iter().map(|f| f.len().div_ceil(8) as u64).sum();
    let last_beats = data.last().map(|f| f.len().div_ceil(8) as u64).unwrap_or(0);
    let tagged = stack.link_mut().deliver(&data)?;
    s.data_frames = tagged.len();
    s.data_span_cycles =
        tagged.last().map(|a| a.cycle).unwrap_or(0) - tagged.first().map(|a| a.cycle).unwrap_or(0);
    // From the first record to the last, the input carried every frame but the first.
    let first_beats = data
        .first()
        .map(|f| f.len().div_ceil(8) as u64)
        .unwrap_or(0);
    s.lookup_bubbles = s.data_span_cycles as i64 - (s.data_beats - first_beats) as i64;
    let _ = last_beats;
    for a in &tagged {
        if matches!(a.lookup, Lookup::Hit(_)) {
            s.data_hits += 1;
        }
        if let Some(seg) = &a.seg {
            let class = stack.receive(seg)?;
            // A frame that hit an offloaded connection must take the engine path.
            if matches!(a.lookup, Lookup::Hit(_)) != matches!(class, FrameClass::EnginePath(_)) {
                s.misrouted += 1;
            }
        }
    }
    // FIN on every tenth: the engine asks for the upload, the host flushes.
    let fins: Vec<Vec<u8>> = keys
        .iter()
        .enumerate()
        .step_by(10)
        .map(|(i, k)| peer_frame(k, isn(i).wrapping_add(11), Some(0), 1, &[]))
        .collect();
    s.fins = fins.len();
    for a in stack.link_mut().deliver(&fins)? {
        // The host sees the FINs too (the engine also asks for the upload).
        if a.seg.is_none() {
            s.misrouted += 1;
        }
    }
    stack.link_mut().settle(200);
    s.uploads_requested = stack.poll()?.len();
    let merged = stack.stats()?;
    s.uploaded = merged.host.uploads;
    s.engine_connections_after = merged.engine.connections;
    let link = stack.link();
    (s.commands, s.mismatches) = link.counts();
    s.sim_cycles = link.cycles();
    s.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(s)
}

impl std::fmt::Display for OffloadManySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per = self.handout_cycles as f64 / self.connections.max(1) as f64;
        writeln!(
            f,
            "scenario offload-many: {} connections (IPv4 and IPv6, some VLAN-tagged); {}",
            self.connections, self.path
        )?;
        writeln!(
            f,
            "  handshakes: SYN, SYN+ACK, ACK through the engine (misses) to the host stack"
        )?;
        writeln!(
            f,
            "  handout: one block list, {} offloaded, {} refused; {} clocks = {per:.1} clocks per connection (HANDOUT1 + HANDOUT2)",
            self.offloaded, self.refused, self.handout_cycles
        )?;
        writeln!(
            f,
            "  data: {} frames back to back ({} beats), {} hit offloaded connections; {} clocks from the first frame's arrival at the host to the last, {} bubbles",
            self.data_frames,
            self.data_beats,
            self.data_hits,
            self.data_span_cycles,
            self.lookup_bubbles
        )?;
        writeln!(
            f,
            "  FIN on {} connections: {} upload requests from the engine, {} connections uploaded by the host; {} left on the engine",
            self.fins, self.uploads_requested, self.uploaded, self.engine_connections_after
        )?;
        writeln!(
            f,
            "  RTL vs model: {} commands and every lookup compared, {} differences",
            self.commands, self.mismatches
        )?;
        write!(
            f,
            "  {} simulated clocks in {:.1} s",
            self.sim_cycles, self.wall_seconds
        )
    }
}

/// Hand `n` IPv4 connections out to the engine and start them (HANDOUT1 as one block
/// list: one untagged Neighbor, a Path per 100 connections, local port 80; then
/// HANDOUT2). Returns their flow keys, in handle order of the block list.
pub fn hand_out<L: host_model::EngineLink>(sim: &mut L, n: usize) -> Result<Vec<FlowKey>> {
    use host_model::proto::{
        Block, CmdStatus, Command, EntryStatus, Handout2Entry, Kind, Neighbor, ObjRef, Path, Tcp,
    };
    let nbr = Neighbor::default();
    let mut blocks = vec![Block::Neighbor {
        host_ctx: 1,
        obj: ObjRef::New(nbr),
    }];
    let mut keys = vec![];
    for i in 0..n {
        let path = Path::v4(0x0a00_0001, 0x0a00_1000 + (i / 100) as u32);
        if i % 100 == 0 {
            blocks.push(Block::Path {
                host_ctx: 100 + (i / 100) as u32,
                obj: ObjRef::New(path),
            });
        }
        let tcp = Tcp {
            local_port: 80,
            remote_port: 20_000 + (i % 100) as u64,
            ..Tcp::default()
        };
        keys.push(FlowKey::of(&nbr, &path, &tcp));
        blocks.push(Block::Tcp {
            host_ctx: 1000 + i as u32,
            tcp,
        });
    }
    let ev = Event::decode(&sim.command(&Command::Handout1 { tag: 1, blocks }.encode()))?;
    let Event::Interlock { results, .. } = ev else {
        bail!("HANDOUT1 answered {ev:?}")
    };
    let entries: Vec<Handout2Entry> = results
        .iter()
        .filter(|r| r.kind == Kind::Tcp)
        .map(|r| Handout2Entry {
            handle: r.handle,
            host_ctx: r.host_ctx,
            tcp: Tcp::default(),
        })
        .collect();
    if entries.len() != n || results.iter().any(|r| r.status != EntryStatus::Ok) {
        bail!("HANDOUT1 refused connections: {results:?}");
    }
    let ev = Event::decode(&sim.command(&Command::Handout2 { tag: 2, entries }.encode()))?;
    if ev.trailer().status != CmdStatus::Ok {
        bail!("HANDOUT2 answered {ev:?}");
    }
    Ok(keys)
}
