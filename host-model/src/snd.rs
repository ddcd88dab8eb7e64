//! Model of the send fast path (A5, A7, B3, I9, M7): send lists, segmentation paced
//! by the send and congestion windows, ACK processing, NewReno congestion control,
//! RTT estimation, and flush with residuals.
//!
//! The per-connection state and its rules live here ([`SndConn`]); the fast path model
//! ([`crate::rcv::RcvModel`]) owns one per offloaded connection, feeds it the ACK field
//! of every fast-path segment, its commands and the time, and builds the frames. It is
//! the golden reference of the RTL send core (`hdl::snd_core`, checked in lockstep by
//! `testbenches/tests/snd_core.rs`), which is not yet inside the engine.
//!
//! # Send lists (SENDLIST, 0x0B)
//! A send list is data to send on an offloaded connection, as scatter-gather entries
//! of host memory, queued behind the connection's earlier lists. The lists hold the
//! connection's unacknowledged data in stream order: the first byte of the first list
//! posted after a handout is `SND.UNA`'s (bytes the host had sent before the handout,
//! `[SND.UNA, SND.NXT)`, come first in it). A list whose entries do not fit in what is
//! left of `snd.sg_entries` is refused `NO_RESOURCES`; a connection that is not
//! Offloaded with that host context gets `UNKNOWN_HANDLE`. A list completes (SEND_DONE,
//! `acked` = its length) when the peer acknowledged all of it; lists complete in order.
//!
//! # Segmentation (B3, I9)
//! New data goes out from `SND.NXT` (the engine keeps `SND.NXT` = `SND.MAX`:
//! retransmissions do not move it) in segments of `min(MSS, queued bytes not sent)`
//! bytes, MSS = `eff_mss` (536 when 0, at most [`SND_MAX_PAYLOAD`]); a segment goes out
//! only when it fits in the usable window `min(SND.WND, cwnd) - (SND.NXT - SND.UNA)`
//! (no silly small segments: a segment smaller than the MSS is only the tail of the
//! queued data; `nagle` is not applied). A segment may span scatter-gather entries and
//! lists. Its headers come from the connection's templates as an ACK frame's do
//! ([`crate::rcv`], "ACK frames": addresses, VLAN, TTL, IP ID from the Path's M7
//! counter, which advances for IPv4), with `seq` = its first byte, `ack` = `RCV.NXT`,
//! the advertised window of the moment, flags ACK, and PSH when it carries the last
//! byte of a list posted with [`crate::proto::SEND_LIST_PUSH`]. No options. Data
//! segments do not reset the receive side's delayed-ACK count (ACK frames stay
//! separate).
//!
//! # ACK processing (B3)
//! Every fast-path candidate segment of the connection (payload or not, in order or
//! not, held or not) carries an ACK field `A`, a window `W` and its sequence number `S`:
//! 1. `A` beyond `SND.MAX`: ignored (`bad_acks`).
//! 2. Window: if `S > SND.WL1`, or `S = SND.WL1` and `A >= SND.WL2`, and `A >=
//!    SND.UNA`: `SND.WND = W << snd_wscale` (`wscale_ok`), `WL1 = S`, `WL2 = A`.
//! 3. `A > SND.UNA` (new data acknowledged, `acked` bytes): `SND.UNA = A`; the lists
//!    it covers complete; an RTT sample is taken if the timed segment is covered; and
//!    - in fast recovery: `A >= recover` (full ACK) ends it, `cwnd = ssthresh`; else
//!      (partial ACK, NewReno) the segment at `SND.UNA` is sent again at once and
//!      `cwnd = cwnd - acked + MSS` (never below one MSS);
//!    - else slow start (`cwnd < ssthresh`: `cwnd += min(acked, MSS)`) or congestion
//!      avoidance (`cwnd += max(1, MSS * MSS / cwnd)`);
//!    - the duplicate count is reset and the retransmission timer restarted.
//! 4. `A = SND.UNA`, no payload, window unchanged, data outstanding: a duplicate ACK.
//!    The third starts fast retransmit (if `SND.UNA > recover` or no recovery yet):
//!    `ssthresh = max(flight / 2, 2 MSS)`, `recover = SND.MAX`, the segment at
//!    `SND.UNA` is sent again, `cwnd = ssthresh + 3 MSS`; each further one in recovery
//!    inflates `cwnd` by one MSS.
//!
//! # RTT and the retransmission timeout
//! Karn's algorithm: one segment of new data is timed at a time; a retransmission
//! cancels the timing. Times are in ticks of the engine's microsecond clock
//! ([`crate::Resolved::us_cycles`]). RFC 6298 in fixed point: `srtt` is kept ×8 and
//! `rttvar` ×4 (the DELEGATED fields hold them so): the first sample `R` gives `srtt8 =
//! 8R`, `rttvar4 = 2R`; later ones `srtt8 += R - srtt8 / 8`, `rttvar4 += |R - srtt8 /
//! 8| - rttvar4 / 4` (with the old `srtt8`). `RTO = srtt8 / 8 + rttvar4`, within
//! `snd.rto_min_us ..= snd.rto_max_us` (`rto_min_us` before the first sample).
//! `rto_delta` in the DELEGATED state is the RTO.
//!
//! The deadline is kept in ticks (`now / us_cycles + RTO`) and expires when the tick
//! count reaches it, as the RTL's microsecond clock does.
//!
//! The timer runs while the lists hold data not acknowledged (sent or not): started
//! when it stops being so, restarted by every ACK of new data. When it expires the
//! engine does **not** retransmit: it stops sending on the connection and asks for an
//! upload (`RETRANSMIT_TIMEOUT`, A7); the host recovers in its slow path. So a window
//! too small for the next segment for a whole RTO (zero window) also goes to the host.
//!
//! # Flush (A7)
//! After a FLUSH or CLOSE result `OK`, each list still queued is returned, oldest first,
//! as SEND_DONE `flushed` with `acked` = its bytes below `SND.UNA` and `sent` = its bytes
//! below `SND.MAX`; the DELEGATED state has `snd_una`, `snd_nxt` = `snd_max` = `SND.MAX`,
//! `snd_wnd`, `snd_wl1/2`, `cwnd`, `ssthresh`, `srtt`, `rttvar`, `dup_acks`,
//! `retransmit_count`, `rto_delta`. The host owns the residual (the bytes from `SND.UNA`
//! on) and continues from `SND.UNA`: nothing is skipped, and the peer's TCP discards
//! whatever arrives twice.

use std::collections::VecDeque;

use serde::Serialize;

use crate::proto::{ENGINE_MAX_FRAME, SendDone, SendList, SgEntry, Tcp};

/// Largest segment payload: the engine's frame buffer less the largest headers
/// (Ethernet 14 + 802.1Q 4 + IPv6 40 + TCP 20).
pub const SND_MAX_PAYLOAD: u32 = ENGINE_MAX_FRAME as u32 - 78;

/// Duplicate ACKs that start fast retransmit.
pub const DUP_ACK_THRESHOLD: u8 = 3;

pub(crate) fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// The send fast path's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SndStats {
    /// Segments of new data sent, and their bytes.
    pub segs: u64,
    pub bytes: u64,
    /// Segments sent again (fast retransmit and NewReno partial ACKs), and their bytes.
    pub retransmits: u64,
    pub retransmit_bytes: u64,
    /// Fast retransmits (the third duplicate ACK) and partial ACKs in recovery.
    pub fast_retransmits: u64,
    pub partial_acks: u64,
    /// Duplicate ACKs counted.
    pub dup_acks: u64,
    /// ACKs of new data, and ACKs beyond `SND.MAX` ignored.
    pub new_acks: u64,
    pub bad_acks: u64,
    /// RTT samples taken.
    pub rtt_samples: u64,
    /// Send lists completed (all data acknowledged) and returned by a flush.
    pub lists_done: u64,
    pub lists_flushed: u64,
    /// Retransmission timeouts (each an upload request).
    pub timeouts: u64,
}

/// The fields of [`SndStats`], in order: also the names of the RTL's counter ports.
pub const SND_STAT_FIELDS: [&str; 13] = [
    "segs",
    "bytes",
    "retransmits",
    "retransmit_bytes",
    "fast_retransmits",
    "partial_acks",
    "dup_acks",
    "new_acks",
    "bad_acks",
    "rtt_samples",
    "lists_done",
    "lists_flushed",
    "timeouts",
];

impl SndStats {
    /// `(field, value)` in [`SND_STAT_FIELDS`] order.
    pub fn fields(&self) -> Vec<(&'static str, u64)> {
        let v = serde_json::to_value(self).expect("plain counters");
        SND_STAT_FIELDS
            .iter()
            .map(|n| (*n, v[*n].as_u64().expect("every field is a counter")))
            .collect()
    }
}

/// Settings the send path takes from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct SndParams {
    pub sg_entries: usize,
    pub rto_min: u64,
    pub rto_max: u64,
    pub initial_cwnd_segs: u32,
    /// Cycles per microsecond tick.
    pub us_cycles: u64,
}

impl SndParams {
    pub fn new(cfg: &crate::Resolved) -> SndParams {
        SndParams {
            sg_entries: cfg.config.snd.sg_entries as usize,
            rto_min: cfg.config.snd.rto_min_us as u64,
            rto_max: cfg.config.snd.rto_max_us as u64,
            initial_cwnd_segs: cfg.config.snd.initial_cwnd_segs,
            us_cycles: cfg.us_cycles,
        }
    }
}

#[derive(Debug, Clone)]
struct SendListState {
    tag: u32,
    push: bool,
    sg: Vec<SgEntry>,
    len: u32,
}

/// A segment to send: `len` bytes from `seq`, read from the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub seq: u32,
    pub len: u32,
    pub push: bool,
    pub retransmit: bool,
    /// (address, length) pieces of host memory, in order.
    pub pieces: Vec<(u64, u32)>,
}

/// One connection's send state (see the module documentation).
#[derive(Debug, Clone)]
pub struct SndConn {
    pub snd_una: u32,
    pub snd_max: u32,
    pub snd_wnd: u32,
    pub wl1: u32,
    pub wl2: u32,
    pub cwnd: u32,
    pub ssthresh: u32,
    pub srtt8: u32,
    pub rttvar4: u32,
    pub dup_acks: u8,
    pub retransmit_count: u8,
    /// Fast recovery: `Some(recover)`; `recover` is kept after it ends.
    pub in_recovery: bool,
    pub recover: Option<u32>,
    /// Sequence number of the first byte of the first list.
    head: u32,
    lists: VecDeque<SendListState>,
    sg_used: usize,
    /// Timed segment: (its end, the tick it was sent).
    timing: Option<(u32, u64)>,
    /// Retransmission deadline (ticks of the microsecond clock).
    pub rto_deadline: Option<u64>,
    /// The segment at `SND.UNA` is to be sent again.
    rtx_pending: bool,
    /// Sending stopped: an upload was asked for after a timeout.
    pub stopped: bool,
    wscale: u32,
    mss: u32,
}

impl SndConn {
    /// The send state of a connection just handed out, from its DELEGATED state.
    pub fn new(t: &Tcp, p: &SndParams) -> SndConn {
        let mss = match t.eff_mss as u32 {
            0 => 536,
            m => m.min(SND_MAX_PAYLOAD),
        };
        let una = t.snd_una as u32;
        let cwnd = match t.cwnd as u32 {
            0 => p.initial_cwnd_segs * mss,
            c => c,
        };
        SndConn {
            snd_una: una,
            snd_max: t.snd_nxt as u32,
            snd_wnd: t.snd_wnd as u32,
            wl1: t.snd_wl1 as u32,
            wl2: t.snd_wl2 as u32,
            cwnd,
            ssthresh: match t.ssthresh as u32 {
                0 => u32::MAX,
                s => s,
            },
            srtt8: t.srtt as u32,
            rttvar4: t.rttvar as u32,
            dup_acks: t.dup_acks as u8,
            retransmit_count: t.retransmit_count as u8,
            in_recovery: false,
            recover: None,
            head: una,
            lists: VecDeque::new(),
            sg_used: 0,
            timing: None,
            rto_deadline: None,
            rtx_pending: false,
            stopped: false,
            wscale: if t.wscale_ok != 0 {
                t.snd_wscale.min(14) as u32
            } else {
                0
            },
            mss,
        }
    }

    pub fn mss(&self) -> u32 {
        self.mss
    }

    /// Sequence number just past the queued data.
    pub fn queued_end(&self) -> u32 {
        self.head
            .wrapping_add(self.lists.iter().map(|l| l.len).sum::<u32>())
    }

    /// Bytes in flight (`SND.MAX - SND.UNA`).
    pub fn flight(&self) -> u32 {
        self.snd_max.wrapping_sub(self.snd_una)
    }

    /// The retransmission timeout in ticks.
    pub fn rto(&self, p: &SndParams) -> u64 {
        if self.srtt8 == 0 {
            return p.rto_min;
        }
        let r = (self.srtt8 >> 3) as u64 + (self.rttvar4 as u64).max(1);
        r.clamp(p.rto_min, p.rto_max)
    }

    /// Write the send state into the DELEGATED fields.
    pub fn store(&self, t: &mut Tcp, p: &SndParams) {
        t.snd_una = self.snd_una as u64;
        t.snd_nxt = self.snd_max as u64;
        t.snd_max = self.snd_max as u64;
        t.snd_wnd = self.snd_wnd as u64;
        t.snd_wl1 = self.wl1 as u64;
        t.snd_wl2 = self.wl2 as u64;
        t.cwnd = self.cwnd as u64;
        t.ssthresh = self.ssthresh as u64;
        t.srtt = self.srtt8 as u64;
        t.rttvar = self.rttvar4 as u64;
        t.dup_acks = self.dup_acks as u64;
        t.retransmit_count = self.retransmit_count as u64;
        t.rto_delta = self.rto(p);
    }

    /// Has data not acknowledged (the timer's condition).
    fn pending(&self) -> bool {
        self.snd_una != self.queued_end() || self.snd_una != self.snd_max
    }

    /// (Re)start the retransmission timer if there is data not acknowledged, else
    /// stop it.
    pub fn restart_timer(&mut self, now: u64, p: &SndParams) {
        self.rto_deadline = self.pending().then(|| now / p.us_cycles + self.rto(p));
    }

    /// Post a list (`Err` = refused for lack of scatter-gather slots).
    pub fn post(&mut self, l: &SendList, now: u64, p: &SndParams) -> Result<(), ()> {
        if self.sg_used + l.sg.len() > p.sg_entries {
            return Err(());
        }
        self.sg_used += l.sg.len();
        self.lists.push_back(SendListState {
            tag: l.list_tag,
            push: l.push,
            sg: l.sg.clone(),
            len: l.len().min(u32::MAX as u64 / 2) as u32,
        });
        if self.rto_deadline.is_none() {
            self.restart_timer(now, p);
        }
        Ok(())
    }

    /// Lists fully acknowledged, taken off (their completions).
    pub fn complete(&mut self, handle: u16, host_ctx: u32, out: &mut Vec<SendDone>) {
        while let Some(l) = self.lists.front() {
            let end = self.head.wrapping_add(l.len);
            if seq_lt(self.snd_una, end) {
                break;
            }
            let l = self.lists.pop_front().expect("front");
            self.sg_used -= l.sg.len();
            self.head = end;
            out.push(SendDone {
                handle,
                host_ctx,
                list_tag: l.tag,
                acked: l.len,
                sent: l.len,
                flushed: false,
            });
        }
    }

    /// Process a segment's ACK field (`A`), window field (`W`, unscaled), sequence
    /// number and payload length; `now` in cycles. Completed lists go to `done`.
    #[allow(clippy::too_many_arguments)]
    pub fn on_ack(
        &mut self,
        ack: u32,
        wnd: u16,
        seq: u32,
        len: u32,
        now: u64,
        p: &SndParams,
        st: &mut SndStats,
        (handle, host_ctx, done): (u16, u32, &mut Vec<SendDone>),
    ) {
        if seq_lt(self.snd_max, ack) {
            st.bad_acks += 1;
            return;
        }
        let old_una = self.snd_una;
        let wnd = (wnd as u32) << self.wscale;
        let window_changed = wnd != self.snd_wnd;
        if !seq_lt(ack, self.snd_una)
            && (seq_lt(self.wl1, seq) || (self.wl1 == seq && !seq_lt(ack, self.wl2)))
        {
            self.snd_wnd = wnd;
            self.wl1 = seq;
            self.wl2 = ack;
        }
        if seq_lt(old_una, ack) {
            let acked = ack.wrapping_sub(old_una);
            st.new_acks += 1;
            self.snd_una = ack;
            if let Some((end, sent)) = self.timing
                && !seq_lt(ack, end)
            {
                self.sample(now / p.us_cycles - sent);
                st.rtt_samples += 1;
                self.timing = None;
            }
            let mss = self.mss;
            if self.in_recovery {
                let recover = self.recover.unwrap_or(ack);
                if !seq_lt(ack, recover) {
                    self.in_recovery = false;
                    self.cwnd = self.ssthresh;
                } else {
                    st.partial_acks += 1;
                    self.cwnd = self.cwnd.saturating_sub(acked).saturating_add(mss).max(mss);
                    self.rtx_pending = true;
                }
            } else if self.cwnd < self.ssthresh {
                self.cwnd = self.cwnd.saturating_add(acked.min(mss));
            } else {
                let inc = ((mss as u64 * mss as u64) / self.cwnd.max(1) as u64).max(1);
                self.cwnd = self.cwnd.saturating_add(inc as u32);
            }
            self.cwnd = self.cwnd.min(u32::MAX / 2);
            self.dup_acks = 0;
            self.complete(handle, host_ctx, done);
            self.restart_timer(now, p);
        } else if ack == self.snd_una && len == 0 && !window_changed && self.flight() != 0 {
            st.dup_acks += 1;
            self.dup_acks = self.dup_acks.saturating_add(1);
            let mss = self.mss;
            if self.in_recovery {
                self.cwnd = self.cwnd.saturating_add(mss).min(u32::MAX / 2);
            } else if self.dup_acks == DUP_ACK_THRESHOLD
                && self.recover.is_none_or(|r| seq_lt(r, self.snd_una))
            {
                st.fast_retransmits += 1;
                self.ssthresh = (self.flight() / 2).max(2 * mss);
                self.recover = Some(self.snd_max);
                self.cwnd = self.ssthresh + 3 * mss;
                self.in_recovery = true;
                self.rtx_pending = true;
            }
        }
    }

    fn sample(&mut self, r: u64) {
        let r = r.clamp(1, u32::MAX as u64 / 16) as u32;
        if self.srtt8 == 0 {
            self.srtt8 = r << 3;
            self.rttvar4 = r << 1;
        } else {
            let s = self.srtt8 >> 3;
            let err = r.abs_diff(s);
            self.srtt8 = (self.srtt8 - s).saturating_add(r);
            self.rttvar4 = (self.rttvar4 - (self.rttvar4 >> 2)).saturating_add(err);
        }
    }

    /// The pieces of host memory holding `len` bytes from `seq` (inside the lists),
    /// and whether they include the last byte of a list posted with PSH.
    fn pieces(&self, seq: u32, len: u32) -> (Vec<(u64, u32)>, bool) {
        let mut out = Vec::new();
        let mut push = false;
        let mut pos = seq.wrapping_sub(self.head) as u64;
        let end = pos + len as u64;
        let mut start = 0u64;
        for l in &self.lists {
            let lend = start + l.len as u64;
            if l.push && pos < lend && lend <= end {
                push = true;
            }
            let mut es = start;
            for e in &l.sg {
                let ee = es + e.len as u64;
                if pos < ee && pos < end && pos >= es {
                    let n = (ee.min(end) - pos) as u32;
                    out.push((e.addr + (pos - es), n));
                    pos += n as u64;
                }
                es = ee;
            }
            start = lend;
        }
        (out, push)
    }

    /// The next segment to send now, if any: a pending retransmission first, then new
    /// data as the windows allow. Updates the state as if it was sent.
    pub fn next_segment(&mut self, now: u64, p: &SndParams, st: &mut SndStats) -> Option<Segment> {
        if self.stopped {
            return None;
        }
        let end = self.queued_end();
        if self.rtx_pending {
            let len = self.flight().min(self.mss);
            // Queued bytes from SND.UNA (none when the peer acknowledged past the lists:
            // bytes sent before the handout that no list holds).
            let have = if seq_lt(end, self.snd_una) {
                0
            } else {
                end.wrapping_sub(self.snd_una)
            };
            if len > 0 && have >= len {
                self.rtx_pending = false;
                self.timing = None;
                self.retransmit_count = self.retransmit_count.saturating_add(1);
                st.retransmits += 1;
                st.retransmit_bytes += len as u64;
                let (pieces, push) = self.pieces(self.snd_una, len);
                return Some(Segment {
                    seq: self.snd_una,
                    len,
                    push,
                    retransmit: true,
                    pieces,
                });
            }
            if len == 0 {
                self.rtx_pending = false;
            }
        }
        let unsent = end.wrapping_sub(self.snd_max);
        if unsent == 0 || seq_lt(end, self.snd_max) {
            return None;
        }
        let len = unsent.min(self.mss);
        let usable = self.snd_wnd.min(self.cwnd).saturating_sub(self.flight());
        if len > usable {
            return None;
        }
        let seq = self.snd_max;
        let (pieces, push) = self.pieces(seq, len);
        if self.flight() == 0 {
            self.snd_max = seq.wrapping_add(len);
            self.restart_timer(now, p);
        } else {
            self.snd_max = seq.wrapping_add(len);
        }
        if self.timing.is_none() {
            self.timing = Some((self.snd_max, now / p.us_cycles));
        }
        st.segs += 1;
        st.bytes += len as u64;
        Some(Segment {
            seq,
            len,
            push,
            retransmit: false,
            pieces,
        })
    }

    /// Has the timer expired at `now` (cycles)? (Then sending stops; the caller asks for
    /// the upload.)
    pub fn expired(&mut self, now: u64, p: &SndParams, st: &mut SndStats) -> bool {
        match self.rto_deadline {
            Some(d) if d <= now / p.us_cycles && !self.stopped => {
                self.stopped = true;
                self.rto_deadline = None;
                st.timeouts += 1;
                true
            }
            _ => false,
        }
    }

    /// The lists' completions for a flush (residuals).
    pub fn flush(self, handle: u16, host_ctx: u32, st: &mut SndStats) -> Vec<SendDone> {
        let mut start = self.head;
        let mut out = Vec::new();
        for l in self.lists {
            let upto = |x: u32| {
                let d = x.wrapping_sub(start);
                if seq_lt(x, start) { 0 } else { d.min(l.len) }
            };
            out.push(SendDone {
                handle,
                host_ctx,
                list_tag: l.tag,
                acked: upto(self.snd_una),
                sent: upto(self.snd_max),
                flushed: true,
            });
            st.lists_flushed += 1;
            start = start.wrapping_add(l.len);
        }
        out
    }
}
