//! The send fast path core (`<prefix>_snd_core`) under Verilator, and a lockstep
//! reference built from `host_model::snd::SndConn` the way the fast path model
//! (`host_model::rcv`) drives it: a list is posted, then its completions, then every
//! segment the windows allow; an ACK is processed, then the same; time advances and
//! expired timers stop their connection and ask for an upload; a flush returns the
//! state and the residuals.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, ensure};
use cosim::{Model, PortId};
use host_model::Resolved;
use host_model::proto::{EntryStatus, SendDone, SendList, Tcp};
use host_model::rcv::AckFields;
use host_model::snd::{SndConn, SndParams, SndStats};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::rx::{pulse_reset, verilate_block};
use crate::tx::TxSegSim;

/// A segment as the RTL hands it to the fetch unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtlSegment {
    pub conn: u16,
    pub seq: u32,
    pub len: u32,
    pub push: bool,
    pub retransmit: bool,
    pub pieces: Vec<(u64, u32)>,
}

/// The flush response's send state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlushState {
    pub active: bool,
    pub una: u32,
    pub max: u32,
    pub wnd: u32,
    pub wl1: u32,
    pub wl2: u32,
    pub cwnd: u32,
    pub ssthresh: u32,
    pub srtt: u32,
    pub rttvar: u32,
    pub dup: u8,
    pub rtxc: u8,
    pub rto: u32,
}

/// What the RTL produced.
#[derive(Debug, Default)]
pub struct SndOut {
    pub segments: Vec<RtlSegment>,
    pub dones: Vec<SendDone>,
    pub uploads: Vec<u16>,
    pub results: Vec<u8>,
    pub flushes: Vec<FlushState>,
}

/// The Verilated send core with its inputs driven one event at a time.
pub struct SndSim {
    pub model: Model,
    ports: BTreeMap<String, PortId>,
    rng: ChaCha8Rng,
    /// Probability that `m_pc_ready` is high in a cycle.
    pub pc_ready: f64,
    cur: Vec<(u64, u32, bool, u32, u64)>,
    pub out: SndOut,
    /// Microsecond ticks advanced so far.
    pub ticks: u64,
    pub us_cycles: u64,
    conns: u64,
    /// The segment transmit path fed by the core's pieces, clock for clock, and the
    /// header template of each connection (the offload core's part in the engine).
    pub tx: Option<(TxSegSim, BTreeMap<u16, AckFields>)>,
}

impl SndSim {
    /// Generate, Verilate (cached), reset and initialise the core for `cfg`.
    pub fn build(cfg: &Resolved, out: &Path, waves: Option<&Path>, seed: u64) -> Result<Self> {
        let mut model = verilate_block(cfg, "snd_core", out, waves)?;
        pulse_reset(&mut model)?;
        let ports = hdl::generate::generate_snd_core(cfg)?
            .ports
            .iter()
            .map(|p| Ok((p.name.clone(), model.port(&p.name)?)))
            .collect::<Result<BTreeMap<_, _>>>()?;
        let mut sim = SndSim {
            model,
            ports,
            rng: ChaCha8Rng::seed_from_u64(seed),
            pc_ready: 1.0,
            cur: Vec::new(),
            out: SndOut::default(),
            ticks: 0,
            us_cycles: cfg.us_cycles,
            conns: cfg.config.offload.connections as u64,
            tx: None,
        };
        for n in ["m_plr_ready", "m_fl_ready", "m_sd_ready", "m_up_ready"] {
            sim.set(n, 1);
        }
        sim.settle()?;
        Ok(sim)
    }

    fn p(&self, n: &str) -> PortId {
        self.ports[n]
    }

    pub fn set(&mut self, n: &str, v: u64) {
        let p = self.p(n);
        self.model.set(p, v);
    }

    pub fn get(&self, n: &str) -> u64 {
        self.model.get(self.p(n))
    }

    /// One clock: outputs sampled (handshakes recorded) before the rising edge.
    pub fn cycle(&mut self) {
        let r = if let Some((tx, _)) = self.tx.as_mut() {
            // The pieces go to the transmit path: its ready is this core's.
            self.model.settle_low();
            let g = |n: &str| self.model.get(self.ports[n]);
            let pc = (g("m_pc_valid") != 0).then(|| {
                let (a, l) = (g("m_pc_addr"), g("m_pc_len") as u16);
                (a, l, g("m_pc_last") != 0, g("m_pc_plen") as u16)
            });
            let r = tx.low(pc);
            let p = self.ports["m_pc_ready"];
            self.model.set(p, r as u64);
            self.model.eval();
            r
        } else {
            let r = self.rng.random_bool(self.pc_ready);
            self.set("m_pc_ready", r as u64);
            self.model.settle_low();
            r
        };
        if r && self.get("m_pc_valid") != 0 {
            let meta = self.get("m_pc_meta");
            if self.cur.is_empty()
                && let Some((tx, tpl)) = self.tx.as_mut()
            {
                // A segment's first piece: its header, from the connection's template.
                let mut f = tpl[&((meta >> 32) as u16)];
                f.seq = meta as u32;
                tx.push_header(f, meta >> 48 & 1 != 0);
            }
            self.cur.push((
                self.get("m_pc_addr"),
                self.get("m_pc_len") as u32,
                self.get("m_pc_last") != 0,
                self.get("m_pc_plen") as u32,
                meta,
            ));
            if self.get("m_pc_last") != 0 {
                let pcs = std::mem::take(&mut self.cur);
                let (plen, meta) = (pcs[0].3, pcs[0].4);
                self.out.segments.push(RtlSegment {
                    conn: (meta >> 32) as u16,
                    seq: meta as u32,
                    len: plen,
                    push: meta >> 48 & 1 != 0,
                    retransmit: meta >> 49 & 1 != 0,
                    pieces: pcs.iter().map(|p| (p.0, p.1)).collect(),
                });
            }
        }
        if self.get("m_sd_valid") != 0 {
            self.out.dones.push(SendDone {
                handle: self.get("m_sd_conn") as u16,
                host_ctx: self.get("m_sd_ctx") as u32,
                list_tag: self.get("m_sd_tag") as u32,
                acked: self.get("m_sd_acked") as u32,
                sent: self.get("m_sd_sent") as u32,
                flushed: self.get("m_sd_flushed") != 0,
            });
        }
        if self.get("m_up_valid") != 0 {
            self.out.uploads.push(self.get("m_up_conn") as u16);
        }
        if self.get("m_plr_valid") != 0 {
            self.out.results.push(self.get("m_plr_status") as u8);
        }
        if self.get("m_fl_valid") != 0 {
            let g = |n: &str| self.get(&format!("m_fl_{n}")) as u32;
            self.out.flushes.push(FlushState {
                active: g("active") != 0,
                una: g("una"),
                max: g("max"),
                wnd: g("wnd"),
                wl1: g("wl1"),
                wl2: g("wl2"),
                cwnd: g("cwnd"),
                ssthresh: g("ssthresh"),
                srtt: g("srtt"),
                rttvar: g("rttvar"),
                dup: g("dup") as u8,
                rtxc: g("rtxc") as u8,
                rto: g("rto"),
            });
        }
        self.model.rise();
        if let Some((tx, _)) = self.tx.as_mut() {
            tx.rise();
        }
    }

    /// Present `beat` (port values) with `<prefix>valid` until `<prefix>ready`.
    fn handshake(&mut self, prefix: &str, beat: &[(&str, u64)]) -> Result<()> {
        for &(n, v) in beat {
            self.set(&format!("{prefix}{n}"), v);
        }
        self.set(&format!("{prefix}valid"), 1);
        let ready = self.p(&format!("{prefix}ready"));
        for _ in 0..100_000 {
            self.model.eval();
            let taken = self.model.get(ready) != 0;
            self.cycle();
            if taken {
                self.set(&format!("{prefix}valid"), 0);
                return Ok(());
            }
        }
        anyhow::bail!("{prefix}ready stuck low")
    }

    /// Run until the core is idle and every output is drained.
    pub fn settle(&mut self) -> Result<()> {
        let mut quiet = 0;
        for _ in 0..1_000_000 {
            self.cycle();
            let busy = self.get("idle") == 0
                || [
                    "m_pc_valid",
                    "m_sd_valid",
                    "m_up_valid",
                    "m_plr_valid",
                    "m_fl_valid",
                ]
                .iter()
                .any(|n| self.get(n) != 0);
            quiet = if busy { 0 } else { quiet + 1 };
            if quiet >= 8 {
                return Ok(());
            }
        }
        anyhow::bail!("the send core did not settle")
    }

    pub fn activate(&mut self, conn: u16, ctx: u32, t: &Tcp) -> Result<()> {
        let beat = [
            ("conn", conn as u64),
            ("ctx", ctx as u64),
            ("una", t.snd_una),
            ("nxt", t.snd_nxt),
            ("wnd", t.snd_wnd),
            ("wl1", t.snd_wl1),
            ("wl2", t.snd_wl2),
            ("cwnd", t.cwnd),
            ("ssthresh", t.ssthresh),
            ("srtt", t.srtt),
            ("rttvar", t.rttvar),
            ("dup", t.dup_acks),
            ("rtxc", t.retransmit_count),
            ("mss", t.eff_mss),
            ("wsc", t.snd_wscale),
            ("wsok", t.wscale_ok),
        ];
        self.handshake("s_act_", &beat)?;
        self.settle()
    }

    pub fn post(&mut self, l: &SendList) -> Result<()> {
        let hdr = [
            ("first", 1),
            ("last", 0),
            ("conn", l.handle as u64),
            ("ctx", l.host_ctx as u64),
            ("tag", l.list_tag as u64),
            ("push", l.push as u64),
            ("n", l.sg.len() as u64),
        ];
        self.handshake("s_pl_", &hdr)?;
        for (i, e) in l.sg.iter().enumerate() {
            let beat = [
                ("first", 0),
                ("last", (i + 1 == l.sg.len()) as u64),
                ("addr", e.addr),
                ("len", e.len as u64),
            ];
            self.handshake("s_pl_", &beat)?;
        }
        self.settle()
    }

    pub fn ack(&mut self, conn: u16, ack: u32, wnd: u16, seq: u32, len: u16) -> Result<()> {
        let beat = [
            ("conn", conn as u64),
            ("ack", ack as u64),
            ("wnd", wnd as u64),
            ("seq", seq as u64),
            ("len", len as u64),
        ];
        self.handshake("s_ak_", &beat)?;
        self.settle()
    }

    pub fn flush(&mut self, conn: u16) -> Result<()> {
        self.handshake("s_fl_", &[("conn", conn as u64)])?;
        self.settle()
    }

    /// Let `ticks` microseconds pass, then wait for every timer that expired.
    pub fn advance(&mut self, ticks: u64) -> Result<()> {
        self.set("timer_en", 1);
        for _ in 0..ticks * self.us_cycles {
            self.cycle();
        }
        self.set("timer_en", 0);
        self.ticks += ticks;
        for _ in 0..2 * self.conns + 16 {
            self.cycle();
        }
        self.settle()
    }

    /// The counters, in `SndStats` order.
    pub fn counters(&self) -> Vec<u64> {
        host_model::snd::SND_STAT_FIELDS
            .iter()
            .map(|n| self.get(n))
            .collect()
    }
}

/// The counters of `SndStats`, in the RTL's port order, wrapped to 32 bits.
pub fn stats_words(s: &SndStats) -> Vec<u64> {
    s.fields().iter().map(|(_, v)| v & 0xFFFF_FFFF).collect()
}

/// The reference: one `SndConn` per active connection, driven as `host_model::rcv`
/// drives them.
pub struct SndRef {
    pub p: SndParams,
    pub conns: BTreeMap<u16, (u32, SndConn)>,
    pub stats: SndStats,
    pub out: SndOut,
    pub now: u64,
}

impl SndRef {
    pub fn new(cfg: &Resolved) -> Self {
        SndRef {
            p: SndParams::new(cfg),
            conns: BTreeMap::new(),
            stats: SndStats::default(),
            out: SndOut::default(),
            now: 0,
        }
    }

    pub fn activate(&mut self, conn: u16, ctx: u32, t: &Tcp) {
        let mut s = SndConn::new(t, &self.p);
        s.restart_timer(self.now, &self.p);
        self.conns.insert(conn, (ctx, s));
    }

    fn pump(&mut self, conn: u16) {
        let (now, p) = (self.now, self.p);
        let Some((_, s)) = self.conns.get_mut(&conn) else {
            return;
        };
        while let Some(seg) = s.next_segment(now, &p, &mut self.stats) {
            self.out.segments.push(RtlSegment {
                conn,
                seq: seg.seq,
                len: seg.len,
                push: seg.push,
                retransmit: seg.retransmit,
                pieces: seg.pieces,
            });
        }
    }

    fn done(&mut self, d: Vec<SendDone>) {
        self.stats.lists_done += d.len() as u64;
        self.out.dones.extend(d);
    }

    pub fn post(&mut self, l: &SendList) {
        let (now, p) = (self.now, self.p);
        let st = match self.conns.get_mut(&l.handle) {
            Some((ctx, s)) if *ctx == l.host_ctx => {
                if s.post(l, now, &p).is_err() {
                    EntryStatus::NoResources
                } else {
                    let mut d = Vec::new();
                    s.complete(l.handle, *ctx, &mut d);
                    self.done(d);
                    self.pump(l.handle);
                    EntryStatus::Ok
                }
            }
            _ => EntryStatus::UnknownHandle,
        };
        self.out.results.push(st as u8);
    }

    pub fn ack(&mut self, conn: u16, ack: u32, wnd: u16, seq: u32, len: u16) {
        let (now, p) = (self.now, self.p);
        let Some((ctx, s)) = self.conns.get_mut(&conn) else {
            return;
        };
        let mut d = Vec::new();
        let ctx = *ctx;
        s.on_ack(
            ack,
            wnd,
            seq,
            len as u32,
            now,
            &p,
            &mut self.stats,
            (conn, ctx, &mut d),
        );
        self.done(d);
        self.pump(conn);
    }

    pub fn advance(&mut self, ticks: u64) {
        self.now += ticks * self.p.us_cycles;
        for (h, (_, s)) in self.conns.iter_mut() {
            if s.expired(self.now, &self.p, &mut self.stats) {
                self.out.uploads.push(*h);
            }
        }
    }

    /// Flush: the state (as the DELEGATED fields), then the residuals.
    pub fn flush(&mut self, conn: u16) -> Option<Tcp> {
        let Some((ctx, s)) = self.conns.remove(&conn) else {
            self.out.flushes.push(FlushState::default());
            return None;
        };
        let mut t = Tcp::default();
        s.store(&mut t, &self.p);
        self.out.flushes.push(FlushState {
            active: true,
            una: t.snd_una as u32,
            max: t.snd_max as u32,
            wnd: t.snd_wnd as u32,
            wl1: t.snd_wl1 as u32,
            wl2: t.snd_wl2 as u32,
            cwnd: t.cwnd as u32,
            ssthresh: t.ssthresh as u32,
            srtt: t.srtt as u32,
            rttvar: t.rttvar as u32,
            dup: t.dup_acks as u8,
            rtxc: t.retransmit_count as u8,
            rto: t.rto_delta as u32,
        });
        let d = s.flush(conn, ctx, &mut self.stats);
        self.out.dones.extend(d);
        Some(t)
    }
}

/// Compare what the RTL and the reference produced since the last call (uploads as
/// sets: the RTL sweeps its timers in its own order); `what` names the event.
pub fn compare(rtl: &mut SndOut, r: &mut SndOut, what: &str) -> Result<()> {
    let take = |o: &mut SndOut| std::mem::take(o);
    let (mut a, mut b) = (take(rtl), take(r));
    check_pieces(&a.segments)?;
    ensure!(
        a.segments == b.segments,
        "{what}: segments differ\n  rtl {:?}\n  ref {:?}",
        a.segments,
        b.segments
    );
    ensure!(
        a.dones == b.dones,
        "{what}: SEND_DONE differ\n  rtl {:?}\n  ref {:?}",
        a.dones,
        b.dones
    );
    a.uploads.sort();
    b.uploads.sort();
    ensure!(
        a.uploads == b.uploads,
        "{what}: uploads {:?} vs {:?}",
        a.uploads,
        b.uploads
    );
    ensure!(
        a.results == b.results,
        "{what}: results {:?} vs {:?}",
        a.results,
        b.results
    );
    ensure!(
        a.flushes == b.flushes,
        "{what}: flush {:?} vs {:?}",
        a.flushes,
        b.flushes
    );
    Ok(())
}

/// Every segment's pieces cover its bytes exactly (the fetch unit's contract).
pub fn check_pieces(segs: &[RtlSegment]) -> Result<()> {
    for s in segs {
        let sum: u64 = s.pieces.iter().map(|p| p.1 as u64).sum();
        ensure!(sum == s.len as u64 && s.pieces.iter().all(|p| p.1 > 0 && p.1 < 4096));
    }
    Ok(())
}
