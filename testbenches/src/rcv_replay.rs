//! Replay of a capture through the receive fast path RTL (`toe rcv-replay`): every
//! direction of a TCP connection that carries payload is handed out to the engine
//! before the replay (RCV.NXT from its SYN, else from its first segment), receive lists
//! are kept posted, every frame of the capture goes through the engine in order, and
//! at the end each connection is flushed and the host's slow path takes the frames the
//! engine passed to the ring for it (exceptions such as a FIN carrying data) where they
//! continue the stream. The bytes the host got (lists, FRAME_DATA, the flushed
//! residuals, the slow path) are compared with an independent reassembly: the payload of
//! the segments whose headers and checksums etherparse finds valid, laid out by
//! sequence number from the same start, up to the first byte no segment carries.
//!
//! The engine must deliver a byte-exact prefix of that stream; it may stop short where
//! the capture needs more than one out-of-order range at a time (the peer would send
//! again; a capture does not), which the report shows.

use crate::rcv_e2e::{RtlEngine, StreamEngine, hand_out_via, post_list, win_update};
use crate::reference::reference;
use crate::rx_sim::RxSim;
use anyhow::{Context, Result, bail, ensure};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use host_model::Resolved;
use host_model::proto::{
    CmdStatus, Command, ConnRef, Event, FlowKey, FlushItem, Kind, RX_BUF_BYTES, SgEntry,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;

const RING_BUFS: u64 = 64;
/// Application buffers of flow `i` start at `APP + i * PER_FLOW`.
const APP: u64 = 1 << 20;
const PER_FLOW: u64 = 4 << 20;
/// Lists kept posted per flow, each of two entries of `ENTRY` bytes.
const LISTS: usize = 3;
const ENTRY: u32 = 256 << 10;
/// Flows handed out at most.
pub const MAX_FLOWS: usize = 16;
const HOST_CTX: u32 = 0x100;

/// One direction of a connection, as the replay saw it.
#[derive(Debug, Clone, Serialize)]
pub struct FlowReport {
    /// `src:port > dst:port` of the data.
    pub flow: String,
    pub handle: u16,
    /// Initial RCV.NXT.
    pub start: u32,
    /// Segments with payload, and of those the fast-path candidates (valid checksums,
    /// no SYN / FIN / RST / URG, no fragment, ...; a capture taken on a host that
    /// offloads checksums has none: its checksums are not filled in yet).
    pub segments: u64,
    pub candidates: u64,
    /// Bytes the independent reassembly has from `start`, and bytes the host got.
    pub expected: u64,
    pub delivered: u64,
    /// The host's bytes equal the first `delivered` bytes of the reassembly.
    pub byte_exact: bool,
    pub lists_completed: u64,
    pub frame_data_bytes: u64,
    /// Bytes the host's slow path took from ring frames after the FLUSH.
    pub slow_path_bytes: u64,
}

/// The replay's report.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub frames: usize,
    pub flows: Vec<FlowReport>,
    /// The bytes each flow's host got, in `flows` order.
    #[serde(skip)]
    pub delivered: Vec<Vec<u8>>,
    pub acks: u64,
    pub upload_requests: u64,
    pub sim_cycles: u64,
}

struct Flow {
    key: FlowKey,
    name: String,
    start: u32,
    handle: u16,
    base: u64,
    cursor: u64,
    lists: VecDeque<(u32, Vec<SgEntry>)>,
    got: Vec<u8>,
    lists_completed: u64,
    frame_data: u64,
    /// Ring frames of this flow (exceptions): `(seq, payload)`.
    slow: Vec<(u32, Vec<u8>)>,
    slow_bytes: u64,
}

/// The TCP segment in a frame: flow key as seen by the receiver, sequence number,
/// flags, payload.
fn segment(f: &[u8]) -> Option<(FlowKey, u32, u8, Vec<u8>)> {
    let p = SlicedPacket::from_ethernet(f).ok()?;
    let vlan = p.vlan().map(|v| match v {
        etherparse::VlanSlice::SingleVlan(s) => s.vlan_identifier().value(),
        etherparse::VlanSlice::DoubleVlan(d) => d.outer.vlan_identifier().value(),
    });
    let (ipv6, src, dst) = match p.net? {
        NetSlice::Ipv4(v4) => (
            false,
            u32::from_be_bytes(v4.header().source()) as u128,
            u32::from_be_bytes(v4.header().destination()) as u128,
        ),
        NetSlice::Ipv6(v6) => (
            true,
            u128::from_be_bytes(v6.header().source()),
            u128::from_be_bytes(v6.header().destination()),
        ),
        _ => return None,
    };
    let TransportSlice::Tcp(t) = p.transport? else {
        return None;
    };
    let key = FlowKey {
        ipv6,
        vlan_present: vlan.is_some(),
        vlan_id: vlan.unwrap_or(0),
        local_ip: dst,
        remote_ip: src,
        local_port: t.destination_port(),
        remote_port: t.source_port(),
    };
    let flags = (t.syn() as u8) << 1 | t.fin() as u8;
    Some((key, t.sequence_number(), flags, t.payload().to_vec()))
}

fn flow_name(k: &FlowKey) -> String {
    let ip = |a: u128| {
        if k.ipv6 {
            std::net::Ipv6Addr::from(a).to_string()
        } else {
            std::net::Ipv4Addr::from(a as u32).to_string()
        }
    };
    format!(
        "{}:{} > {}:{}",
        ip(k.remote_ip),
        k.remote_port,
        ip(k.local_ip),
        k.local_port
    )
}

/// The independent reassembly of `key`'s candidate segments from `start`; the
/// number of segments with payload and of candidates.
fn reassemble(frames: &[Vec<u8>], key: &FlowKey, start: u32, min: u32) -> (Vec<u8>, u64, u64) {
    let mut bytes: BTreeMap<u64, u8> = BTreeMap::new();
    let (mut segs, mut cands) = (0, 0);
    for f in frames {
        let Some((k, seq, _, payload)) = segment(f) else {
            continue;
        };
        if k != *key || payload.is_empty() {
            continue;
        }
        segs += 1;
        let m = reference(f, false, min);
        cands += m.candidate as u64;
        if !m.errors.is_empty() || m.fragment == Some(true) || m.l4_csum_ok != Some(true) {
            continue;
        }
        let off = seq.wrapping_sub(start) as i32 as i64;
        for (i, b) in payload.iter().enumerate() {
            let p = off + i as i64;
            if p >= 0 {
                bytes.entry(p as u64).or_insert(*b);
            }
        }
    }
    let mut out = Vec::new();
    while let Some(b) = bytes.get(&(out.len() as u64)) {
        out.push(*b);
    }
    (out, segs, cands)
}

/// Replay `frames` through the receive engine RTL for `cfg` (built under `out`).
pub fn replay(cfg: &Resolved, out: &Path, frames: &[Vec<u8>]) -> Result<ReplayReport> {
    let min = cfg.config.rx.min_frame_len;
    // The directions with payload, in order of first appearance; RCV.NXT from a SYN.
    let mut order: Vec<FlowKey> = Vec::new();
    let mut start: HashMap<FlowKey, u32> = HashMap::new();
    for f in frames {
        let Some((k, seq, flags, payload)) = segment(f) else {
            continue;
        };
        if flags & 2 != 0 {
            start.insert(k, seq.wrapping_add(1));
        } else if !payload.is_empty() && !order.contains(&k) {
            start.entry(k).or_insert(seq);
            order.push(k);
        }
    }
    ensure!(
        !order.is_empty(),
        "the capture has no TCP segment with payload"
    );
    order.truncate(MAX_FLOWS.min(1 << cfg.conn_bits));
    let mem = (APP + PER_FLOW * order.len() as u64) as usize;
    let sim = RxSim::build(cfg, out, None, mem)?;
    let mut eng = RtlEngine::new(sim);
    let c0 = eng.sim.cycles();
    let addrs = (0..RING_BUFS).map(|i| i * RX_BUF_BYTES as u64).collect();
    let ev = eng.command(&Command::RxBuf { tag: 1, addrs }.encode())?;
    ensure!(ev.trailer().status == CmdStatus::Ok, "RXBUF: {ev:?}");
    let mut flows: Vec<Flow> = Vec::new();
    for (i, k) in order.iter().enumerate() {
        let s = start[k];
        let handle = hand_out_via(
            &mut |w: &[u64]| eng.command(w),
            k,
            HOST_CTX + i as u32,
            s,
            65535,
        )
        .with_context(|| format!("handing out {}", flow_name(k)))?;
        let base = APP + PER_FLOW * i as u64;
        flows.push(Flow {
            key: *k,
            name: flow_name(k),
            start: s,
            handle,
            base,
            cursor: 0,
            lists: VecDeque::new(),
            got: Vec::new(),
            lists_completed: 0,
            frame_data: 0,
            slow: Vec::new(),
            slow_bytes: 0,
        });
    }
    let mut r = Replayer {
        min,
        eng,
        flows,
        tag: 10,
        uploads: 0,
        acks: 0,
    };
    for i in 0..r.flows.len() {
        r.post(i)?;
    }
    for f in frames {
        if f.is_empty() || f.len() > host_model::config::MAX_FRAME_LEN {
            continue;
        }
        r.eng.frame(f.clone())?;
        r.events()?;
    }
    // Flush: the residuals come back.
    for i in 0..r.flows.len() {
        let (handle, ctx) = (r.flows[i].handle, HOST_CTX + i as u32);
        r.events()?;
        let ev = r.eng.command(
            &Command::Flush {
                tag: 5,
                conns: vec![ConnRef {
                    kind: Kind::Tcp,
                    handle,
                    host_ctx: ctx,
                }],
            }
            .encode(),
        )?;
        let Event::Flushed { items, .. } = &ev else {
            bail!("FLUSH answered {ev:?}");
        };
        ensure!(
            matches!(items.first(), Some(FlushItem::Conn { tcp: Some(_), .. })),
            "FLUSH of {} returned no state: {ev:?}",
            r.flows[i].name
        );
        r.events()?;
        ensure!(
            r.flows[i].lists.is_empty(),
            "{}: lists not returned by FLUSH",
            r.flows[i].name
        );
        // The host's slow path: ring frames that continue the stream.
        let fl = &mut r.flows[i];
        let mut more = true;
        while more {
            more = false;
            let end = fl.start.wrapping_add(fl.got.len() as u32);
            for (seq, p) in &fl.slow {
                let off = end.wrapping_sub(*seq) as i32;
                if off >= 0 && (off as usize) < p.len() {
                    fl.got.extend_from_slice(&p[off as usize..]);
                    fl.slow_bytes += (p.len() - off as usize) as u64;
                    more = true;
                    break;
                }
            }
        }
    }
    let mut reports = Vec::new();
    for fl in &r.flows {
        let (want, segments, candidates) = reassemble(frames, &fl.key, fl.start, min);
        let n = fl.got.len().min(want.len());
        reports.push(FlowReport {
            flow: fl.name.clone(),
            handle: fl.handle,
            start: fl.start,
            segments,
            candidates,
            expected: want.len() as u64,
            delivered: fl.got.len() as u64,
            byte_exact: fl.got.len() <= want.len() && fl.got[..n] == want[..n],
            lists_completed: fl.lists_completed,
            frame_data_bytes: fl.frame_data,
            slow_path_bytes: fl.slow_bytes,
        });
    }
    Ok(ReplayReport {
        frames: frames.len(),
        flows: reports,
        delivered: r.flows.iter().map(|f| f.got.clone()).collect(),
        acks: r.acks,
        upload_requests: r.uploads,
        sim_cycles: r.eng.sim.cycles() - c0,
    })
}

struct Replayer {
    min: u32,
    eng: RtlEngine,
    flows: Vec<Flow>,
    tag: u32,
    uploads: u64,
    acks: u64,
}

impl Replayer {
    /// Keep [`LISTS`] lists posted for flow `i`.
    fn post(&mut self, i: usize) -> Result<()> {
        while self.flows[i].lists.len() < LISTS {
            let fl = &mut self.flows[i];
            let mut sg = Vec::new();
            for _ in 0..2 {
                if fl.cursor + ENTRY as u64 > PER_FLOW {
                    fl.cursor = 0;
                }
                sg.push(SgEntry {
                    addr: fl.base + fl.cursor,
                    len: ENTRY,
                });
                fl.cursor += ENTRY as u64;
            }
            self.tag += 1;
            let (tag, handle, host_ctx) = (self.tag, fl.handle, HOST_CTX + i as u32);
            post_list(&mut self.eng, handle, host_ctx, tag, sg.clone())?;
            self.flows[i].lists.push_back((tag, sg));
        }
        Ok(())
    }

    fn flow_of(&self, handle: u16) -> Result<usize> {
        self.flows
            .iter()
            .position(|f| f.handle == handle)
            .with_context(|| format!("event for handle {handle}, not handed out"))
    }

    /// Take the engine's events and ACKs; read completed lists and indicated frames;
    /// return ring buffers and post lists again.
    fn events(&mut self) -> Result<()> {
        self.acks += self.eng.take_acks().len() as u64;
        let mut free = Vec::new();
        for ev in self.eng.take_events()? {
            match ev {
                Event::RcvDone { done, trailer } => {
                    ensure!(trailer.status == CmdStatus::Ok, "list failed: {done:?}");
                    let i = self.flow_of(done.handle)?;
                    let Some((tag, sg)) = self.flows[i].lists.pop_front() else {
                        bail!("completion of a list not posted: {done:?}");
                    };
                    ensure!(
                        tag == done.list_tag,
                        "list {} completed before {tag}",
                        done.list_tag
                    );
                    let mut left = done.bytes as usize;
                    for e in &sg {
                        let n = left.min(e.len as usize);
                        let b = self.eng.read(e.addr, n)?;
                        self.flows[i].got.extend_from_slice(&b);
                        left -= n;
                    }
                    self.flows[i].lists_completed += 1;
                    if !done.flushed {
                        self.post(i)?;
                    }
                }
                Event::FrameData { addr, status, .. } => {
                    free.push(addr);
                    let f = self.eng.read(addr, status.frame_len as usize)?;
                    let (k, seq, _, payload) =
                        segment(&f).context("FRAME_DATA buffer is not a TCP frame")?;
                    let i = self
                        .flows
                        .iter()
                        .position(|fl| fl.key == k)
                        .context("FRAME_DATA of a flow not handed out")?;
                    let fl = &mut self.flows[i];
                    let at = fl.start.wrapping_add(fl.got.len() as u32);
                    let skip = at.wrapping_sub(seq) as usize;
                    ensure!(
                        skip < payload.len(),
                        "{}: FRAME_DATA does not continue the stream",
                        fl.name
                    );
                    fl.got.extend_from_slice(&payload[skip..]);
                    let n = (payload.len() - skip) as u32;
                    fl.frame_data += n as u64;
                    let (handle, host_ctx) = (fl.handle, HOST_CTX + i as u32);
                    win_update(&mut self.eng, handle, host_ctx, n)?;
                }
                Event::RxFrame { addr, status, .. } => {
                    free.push(addr);
                    let f = self.eng.read(addr, status.frame_len as usize)?;
                    // (A host's stack takes only frames with valid checksums.)
                    let m = reference(&f, false, self.min);
                    if let Some((k, seq, _, payload)) = segment(&f)
                        && !payload.is_empty()
                        && m.errors.is_empty()
                        && m.l4_csum_ok == Some(true)
                        && m.fragment != Some(true)
                        && let Some(fl) = self.flows.iter_mut().find(|fl| fl.key == k)
                    {
                        fl.slow.push((seq, payload));
                    }
                }
                Event::UploadRequest { .. } => self.uploads += 1,
                other => bail!("unexpected event {other:?}"),
            }
        }
        if !free.is_empty() {
            let ev = self.eng.command(
                &Command::RxBuf {
                    tag: 2,
                    addrs: free,
                }
                .encode(),
            )?;
            ensure!(ev.trailer().status == CmdStatus::Ok, "RXBUF: {ev:?}");
        }
        Ok(())
    }
}
