//! Send fast path core (`SndCore`, A5, A7, B3, I9): send lists (SENDLIST), the send
//! state of every offloaded connection, ACK processing with NewReno congestion control
//! and Karn RTT estimation, segmentation paced by the send and congestion windows, the
//! retransmission timeout, and flush with residuals. The golden reference is
//! `host_model::snd::SndConn`, checked in lockstep (segments and their pieces, SEND_DONE
//! events, uploads, flush state, counters).
//!
//! # Interface
//! - **Activation** (`s_act_*`): a connection handed out, with its DELEGATED send state
//!   (as `SndConn::new`: MSS 0 means 536 and is capped at
//!   [`host_model::snd::SND_MAX_PAYLOAD`], `cwnd` 0 means `snd.initial_cwnd_segs`
//!   MSS, `ssthresh` 0 means unlimited, the scale applies when `wsok`), then the
//!   retransmission timer started if data is outstanding.
//! - **Send lists** (`s_pl_*`): a header beat (`first`: handle, host context, tag, PSH
//!   flag, entry count) then the entries (address, length; `last` on the list's last).
//!   One result per list on `m_plr_*` (`OK`, `UNKNOWN_HANDLE`, `NO_RESOURCES` when the
//!   entries do not fit in what is left of `snd.sg_entries` slots), after its last beat.
//!   The command parser in front has checked the entries (1..=`snd.sg_entries` of
//!   them, lengths 1..2^32).
//! - **ACK fields** (`s_ak_*`): `{conn, ack, window (unscaled), seq, payload length}` of
//!   every fast-path candidate segment of an active connection.
//! - **Flush** (`s_fl_*`): the connection's send state on `m_fl_*` (the DELEGATED
//!   fields; `active` 0 if it has none), then SEND_DONE `flushed` for every list still
//!   queued, oldest first; the connection stops.
//! - **Segments** (`m_pc_*`, the pieces interface of [`crate::tx_fetch::TxFetch`]):
//!   per segment its pieces of host memory in order, `last` on the last; with each piece
//!   the segment's payload length and `meta` = `{rtx [49], psh [48], conn [47:32], seq
//!   [31:0]}`.
//! - **SEND_DONE** (`m_sd_*`): `{conn, host context, tag, acked, sent, flushed}`.
//! - **Uploads** (`m_up_*`): connections whose retransmission timer expired (A7).
//! - `timer_en`: the microsecond clock runs (tie to 1; a testbench may stop time).
//!
//! # Structure and timing
//! One event at a time (activation, flush, expired timer, list, ACK), each followed by
//! the completions it allows and then by every segment the windows allow, as the model
//! does after each event, so the segments are cut at the same moments and are the
//! same. An ACK of new data takes about 13 clocks (plus 22 in congestion avoidance for
//! the `MSS * MSS / cwnd` division), a completed list 4 more, a segment 3 plus 4 per
//! scatter-gather entry walked from the connection's first: far below one full frame
//! time (190 clocks). The memories' outputs are registered before use and the longer
//! decisions (the next segment, an ACK's rules, a piece, a list's completion) are
//! registered one clock before they act, for the clock rate. Segment pieces and
//! descriptors wait in FIFOs (32 pieces, 16 segments) for the fetch unit; while they are
//! full the core waits, and with it the next event (a window's worth of segments is cut
//! at once, as in the model).
//! A shadow of every connection's `{timer running, deadline}` is swept one connection
//! per clock; due ones are checked again before they stop the connection.

use crate::sync_fifo::SyncFifo;
use host_model::proto::{EntryStatus, SND_SG_SLOTS};
use host_model::snd::SND_MAX_PAYLOAD;
use rust_hdl::prelude::*;

const _: () = assert!(SND_SG_SLOTS == 16, "slot index is 4 bits (CB4 = CB + 4)");
const _: () = assert!(
    SND_MAX_PAYLOAD < 2048,
    "MSS * MSS fits 22 bits (the congestion avoidance divider)"
);

/// Per-connection send state (`host_model::snd::SndConn`).
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct SndCtx {
    pub active: Bit,
    pub ctx: Bits<32>,
    pub una: Bits<32>,
    pub max: Bits<32>,
    pub wnd: Bits<32>,
    pub wl1: Bits<32>,
    pub wl2: Bits<32>,
    pub cwnd: Bits<32>,
    pub ssthresh: Bits<32>,
    pub srtt8: Bits<32>,
    pub rttvar4: Bits<32>,
    pub dup: Bits<8>,
    pub rtxc: Bits<8>,
    pub inrec: Bit,
    /// `recover` holds a value (it is kept after recovery ends).
    pub recv: Bit,
    pub recover: Bits<32>,
    /// Sequence number of the first byte of the first list; just past the queued data.
    pub head: Bits<32>,
    pub qend: Bits<32>,
    /// Scatter-gather slot ring `sh..st` and list ring `lh..lt` (mod 32, index mod 16).
    pub sh: Bits<5>,
    pub st: Bits<5>,
    pub lh: Bits<5>,
    pub lt: Bits<5>,
    /// Timed segment (Karn): its end and the tick it was sent.
    pub tmv: Bit,
    pub tm_end: Bits<32>,
    pub tm_sent: Bits<32>,
    /// Retransmission deadline (ticks).
    pub dlv: Bit,
    pub dl: Bits<32>,
    pub rtxp: Bit,
    pub stopped: Bit,
    pub wsc: Bits<4>,
    pub mss: Bits<16>,
    /// `MSS * MSS` (congestion avoidance).
    pub mss2: Bits<22>,
}

/// Main state machine.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum SState {
    Init,
    Idle,
    ActM,
    ActR,
    Rd,
    Rd2,
    Ld,
    Disp,
    PEnt,
    PFin,
    A0,
    A1,
    A2,
    ADiv,
    ADF,
    A3,
    CmpA,
    CmpR,
    CmpW,
    CmpD,
    Pm0,
    Pm,
    WA,
    WR,
    WB,
    WD,
    WSeg,
    Fin,
    FResp,
    FLA,
    FLR,
    FLW,
    FLD,
    TChk,
}

/// Event kinds (which one `Disp` continues with).
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum SEv {
    Post,
    Ack,
    Flush,
    Timer,
}

/// Send fast path core. `CB` = log2 connections, `CB4` = `CB + 4`.
#[derive(LogicBlock)]
pub struct SndCore<const CB: usize, const CB4: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub timer_en: Signal<In, Bit>,
    // Activation.
    pub s_act_valid: Signal<In, Bit>,
    pub s_act_ready: Signal<Out, Bit>,
    pub s_act_conn: Signal<In, Bits<16>>,
    pub s_act_ctx: Signal<In, Bits<32>>,
    pub s_act_una: Signal<In, Bits<32>>,
    pub s_act_nxt: Signal<In, Bits<32>>,
    pub s_act_wnd: Signal<In, Bits<32>>,
    pub s_act_wl1: Signal<In, Bits<32>>,
    pub s_act_wl2: Signal<In, Bits<32>>,
    pub s_act_cwnd: Signal<In, Bits<32>>,
    pub s_act_ssthresh: Signal<In, Bits<32>>,
    pub s_act_srtt: Signal<In, Bits<32>>,
    pub s_act_rttvar: Signal<In, Bits<32>>,
    pub s_act_dup: Signal<In, Bits<8>>,
    pub s_act_rtxc: Signal<In, Bits<8>>,
    pub s_act_mss: Signal<In, Bits<16>>,
    pub s_act_wsc: Signal<In, Bits<4>>,
    pub s_act_wsok: Signal<In, Bit>,
    // Send lists.
    pub s_pl_valid: Signal<In, Bit>,
    pub s_pl_ready: Signal<Out, Bit>,
    pub s_pl_first: Signal<In, Bit>,
    pub s_pl_last: Signal<In, Bit>,
    pub s_pl_conn: Signal<In, Bits<16>>,
    pub s_pl_ctx: Signal<In, Bits<32>>,
    pub s_pl_tag: Signal<In, Bits<32>>,
    pub s_pl_push: Signal<In, Bit>,
    pub s_pl_n: Signal<In, Bits<16>>,
    pub s_pl_addr: Signal<In, Bits<64>>,
    pub s_pl_len: Signal<In, Bits<32>>,
    pub m_plr_valid: Signal<Out, Bit>,
    pub m_plr_ready: Signal<In, Bit>,
    pub m_plr_status: Signal<Out, Bits<8>>,
    // ACK fields.
    pub s_ak_valid: Signal<In, Bit>,
    pub s_ak_ready: Signal<Out, Bit>,
    pub s_ak_conn: Signal<In, Bits<16>>,
    pub s_ak_ack: Signal<In, Bits<32>>,
    pub s_ak_wnd: Signal<In, Bits<16>>,
    pub s_ak_seq: Signal<In, Bits<32>>,
    pub s_ak_len: Signal<In, Bits<16>>,
    // Flush.
    pub s_fl_valid: Signal<In, Bit>,
    pub s_fl_ready: Signal<Out, Bit>,
    pub s_fl_conn: Signal<In, Bits<16>>,
    pub m_fl_valid: Signal<Out, Bit>,
    pub m_fl_ready: Signal<In, Bit>,
    pub m_fl_active: Signal<Out, Bit>,
    pub m_fl_una: Signal<Out, Bits<32>>,
    pub m_fl_max: Signal<Out, Bits<32>>,
    pub m_fl_wnd: Signal<Out, Bits<32>>,
    pub m_fl_wl1: Signal<Out, Bits<32>>,
    pub m_fl_wl2: Signal<Out, Bits<32>>,
    pub m_fl_cwnd: Signal<Out, Bits<32>>,
    pub m_fl_ssthresh: Signal<Out, Bits<32>>,
    pub m_fl_srtt: Signal<Out, Bits<32>>,
    pub m_fl_rttvar: Signal<Out, Bits<32>>,
    pub m_fl_dup: Signal<Out, Bits<8>>,
    pub m_fl_rtxc: Signal<Out, Bits<8>>,
    pub m_fl_rto: Signal<Out, Bits<32>>,
    // Segments (pieces).
    pub m_pc_addr: Signal<Out, Bits<64>>,
    pub m_pc_len: Signal<Out, Bits<12>>,
    pub m_pc_last: Signal<Out, Bit>,
    pub m_pc_plen: Signal<Out, Bits<12>>,
    pub m_pc_meta: Signal<Out, Bits<64>>,
    pub m_pc_valid: Signal<Out, Bit>,
    pub m_pc_ready: Signal<In, Bit>,
    // SEND_DONE.
    pub m_sd_valid: Signal<Out, Bit>,
    pub m_sd_ready: Signal<In, Bit>,
    pub m_sd_conn: Signal<Out, Bits<16>>,
    pub m_sd_ctx: Signal<Out, Bits<32>>,
    pub m_sd_tag: Signal<Out, Bits<32>>,
    pub m_sd_acked: Signal<Out, Bits<32>>,
    pub m_sd_sent: Signal<Out, Bits<32>>,
    pub m_sd_flushed: Signal<Out, Bit>,
    // Uploads (RETRANSMIT_TIMEOUT).
    pub m_up_valid: Signal<Out, Bit>,
    pub m_up_ready: Signal<In, Bit>,
    pub m_up_conn: Signal<Out, Bits<16>>,
    /// No event in progress.
    pub idle: Signal<Out, Bit>,
    // Counters (32 bits, wrapping), as `host_model::snd::SndStats`.
    pub segs: Signal<Out, Bits<32>>,
    pub bytes: Signal<Out, Bits<32>>,
    pub retransmits: Signal<Out, Bits<32>>,
    pub retransmit_bytes: Signal<Out, Bits<32>>,
    pub fast_retransmits: Signal<Out, Bits<32>>,
    pub partial_acks: Signal<Out, Bits<32>>,
    pub dup_acks: Signal<Out, Bits<32>>,
    pub new_acks: Signal<Out, Bits<32>>,
    pub bad_acks: Signal<Out, Bits<32>>,
    pub rtt_samples: Signal<Out, Bits<32>>,
    pub lists_done: Signal<Out, Bits<32>>,
    pub lists_flushed: Signal<Out, Bits<32>>,
    pub timeouts: Signal<Out, Bits<32>>,
    // Configuration.
    k_sg: Constant<Bits<17>>,
    k_conns: Constant<Bits<17>>,
    k_rto_min: Constant<Bits<32>>,
    k_rto_max: Constant<Bits<32>>,
    k_icw: Constant<Bits<7>>,
    k_us: Constant<Bits<32>>,
    k_maxpay: Constant<Bits<16>>,
    k_ok: Constant<Bits<8>>,
    k_unknown: Constant<Bits<8>>,
    k_nores: Constant<Bits<8>>,
    k_ones: Constant<Bits<32>>,
    k_psh: Constant<Bits<64>>,
    k_rtx: Constant<Bits<64>>,
    k_last: Constant<Bits<77>>,
    k_pe: Constant<Bits<97>>,
    k_fl: Constant<Bits<145>>,
    k_tv: Constant<Bits<33>>,
    // Memories.
    ctx_ram: RAM<SndCtx, CB>,
    /// `{push list ends here [96], len [95:64], addr [63:0]}` at `{conn, slot}`.
    slot_ram: RAM<Bits<97>, CB4>,
    /// `{entries [68:64], len [63:32], tag [31:0]}` at `{conn, list}`.
    list_ram: RAM<Bits<69>, CB4>,
    /// Shadow of every connection's `{timer running, deadline}`.
    tmr_ram: RAM<Bits<33>, CB>,
    // FIFOs.
    /// Pieces `{last, len, addr}`.
    pcq: SyncFifo<Bits<77>, 5, 6>,
    /// Segments `{meta, plen}`, pushed after their last piece.
    sgq: SyncFifo<Bits<76>, 4, 5>,
    /// SEND_DONE `{flushed, sent, acked, tag, ctx, conn}`.
    sdq: SyncFifo<Bits<145>, 4, 5>,
    upq: SyncFifo<Bits<16>, 2, 3>,
    dueq: SyncFifo<Bits<16>, 2, 3>,
    // State.
    ms: DFF<SState>,
    ev: DFF<SEv>,
    init_i: DFF<Bits<17>>,
    c: DFF<SndCtx>,
    e_conn: DFF<Bits<16>>,
    e_ctx: DFF<Bits<32>>,
    e_tag: DFF<Bits<32>>,
    e_push: DFF<Bit>,
    e_n: DFF<Bits<16>>,
    e_ack: DFF<Bits<32>>,
    e_wnd: DFF<Bits<16>>,
    e_seq: DFF<Bits<32>>,
    e_len: DFF<Bits<16>>,
    e_acked: DFF<Bits<32>>,
    /// Post: the list is taken (else its entries are discarded), its status, entries
    /// and bytes so far.
    p_ok: DFF<Bit>,
    p_st: DFF<Bits<8>>,
    p_i: DFF<Bits<5>>,
    p_sum: DFF<Bits<37>>,
    plr_v: DFF<Bit>,
    plr_st: DFF<Bits<8>>,
    fl_v: DFF<Bit>,
    // Multiplier (activation) and divider (congestion avoidance).
    m_i: DFF<Bits<4>>,
    m_a: DFF<Bits<22>>,
    m_b: DFF<Bits<16>>,
    m_c: DFF<Bits<7>>,
    m_p2: DFF<Bits<22>>,
    m_pc: DFF<Bits<22>>,
    dv_i: DFF<Bits<5>>,
    dv_x: DFF<Bits<22>>,
    dv_r: DFF<Bits<33>>,
    dv_q: DFF<Bits<22>>,
    // Segment walk.
    w_seq: DFF<Bits<32>>,
    w_len: DFF<Bits<32>>,
    w_end: DFF<Bits<32>>,
    w_cur: DFF<Bits<32>>,
    w_es: DFF<Bits<32>>,
    w_i: DFF<Bits<5>>,
    w_psh: DFF<Bit>,
    w_rtx: DFF<Bit>,
    // Pipeline registers (timing): the next segment's values, a slot's piece, a
    // list's completion, an ACK's decisions, the RTO.
    q_rto: DFF<Bits<32>>,
    p_rclr: DFF<Bit>,
    p_rlen: DFF<Bits<32>>,
    p_nlen: DFF<Bits<32>>,
    p_f0: DFF<Bit>,
    q_ee: DFF<Bits<32>>,
    q_pa: DFF<Bits<64>>,
    q_n: DFF<Bits<32>>,
    q_ov: DFF<Bit>,
    q_fin: DFF<Bit>,
    q_ps: DFF<Bit>,
    q_lr: DFF<Bits<69>>,
    q_lend: DFF<Bits<32>>,
    q_done: DFF<Bit>,
    q_ua: DFF<Bits<32>>,
    q_us: DFF<Bits<32>>,
    q_bad: DFF<Bit>,
    q_wup: DFF<Bit>,
    q_new: DFF<Bit>,
    q_tm: DFF<Bit>,
    q_dup: DFF<Bit>,
    q_dup1: DFF<Bits<8>>,
    q_recok: DFF<Bit>,
    q_ass: DFF<Bits<32>>,
    q_cwm: DFF<Bits<32>>,
    q_d2: DFF<Bits<32>>,
    q_r: DFF<Bits<32>>,
    q_wsc: DFF<Bits<32>>,
    /// The memories' outputs, registered (their read paths cross many block RAMs).
    q_slr: DFF<Bits<97>>,
    q_lrr: DFF<Bits<69>>,
    q_tr: DFF<Bits<33>>,
    sw_c2: DFF<Bits<CB>>,
    p_fl: DFF<Bits<32>>,
    p_have: DFF<Bits<32>>,
    p_win: DFF<Bits<32>>,
    p_none: DFF<Bit>,
    q_ctx: DFF<SndCtx>,
    // Clock.
    tdiv: DFF<Bits<32>>,
    tick: DFF<Bits<32>>,
    sw_i: DFF<Bits<CB>>,
    sw_c: DFF<Bits<CB>>,
    // Counters.
    n_segs: DFF<Bits<32>>,
    n_bytes: DFF<Bits<32>>,
    n_rtx: DFF<Bits<32>>,
    n_rtxb: DFF<Bits<32>>,
    n_fast: DFF<Bits<32>>,
    n_part: DFF<Bits<32>>,
    n_dup: DFF<Bits<32>>,
    n_new: DFF<Bits<32>>,
    n_bad: DFF<Bits<32>>,
    n_rtt: DFF<Bits<32>>,
    n_done: DFF<Bits<32>>,
    n_fl: DFF<Bits<32>>,
    n_to: DFF<Bits<32>>,
    // Locals.
    wr: Signal<Local, Bit>,
    wr_data: Signal<Local, SndCtx>,
    conn_ok: Signal<Local, Bit>,
    base: Signal<Local, Bits<CB4>>,
    mss32: Signal<Local, Bits<32>>,
    flight: Signal<Local, Bits<32>>,
    rv1: Signal<Local, Bits<32>>,
    rsum: Signal<Local, Bits<33>>,
    rto: Signal<Local, Bits<32>>,
    pend: Signal<Local, Bit>,
    dl_new: Signal<Local, Bits<32>>,
    used: Signal<Local, Bits<5>>,
    fit: Signal<Local, Bit>,
    known: Signal<Local, Bit>,
    a_wsc: Signal<Local, Bits<32>>,
    a_bad: Signal<Local, Bit>,
    a_wup: Signal<Local, Bit>,
    a_new: Signal<Local, Bit>,
    a_tm: Signal<Local, Bit>,
    a_dup: Signal<Local, Bit>,
    a_dup1: Signal<Local, Bits<8>>,
    a_ss: Signal<Local, Bits<32>>,
    a_rec_ok: Signal<Local, Bit>,
    cw_mss: Signal<Local, Bits<33>>,
    s_r0: Signal<Local, Bits<32>>,
    s_r: Signal<Local, Bits<32>>,
    s_s: Signal<Local, Bits<32>>,
    s_err: Signal<Local, Bits<32>>,
    s_srtt: Signal<Local, Bits<33>>,
    s_rv: Signal<Local, Bits<33>>,
    p_sub: Signal<Local, Bits<32>>,
    p_add: Signal<Local, Bits<33>>,
    ss_inc: Signal<Local, Bits<32>>,
    ss_add: Signal<Local, Bits<33>>,
    ca_add: Signal<Local, Bits<33>>,
    dv_t: Signal<Local, Bits<33>>,
    r_len: Signal<Local, Bits<32>>,
    n_un: Signal<Local, Bits<32>>,
    n_len: Signal<Local, Bits<32>>,
    n_win: Signal<Local, Bits<32>>,
    sl: Signal<Local, Bits<97>>,
    w_ee: Signal<Local, Bits<32>>,
    w_ov: Signal<Local, Bit>,
    w_n: Signal<Local, Bits<32>>,
    w_pa: Signal<Local, Bits<64>>,
    w_fin: Signal<Local, Bit>,
    w_ps: Signal<Local, Bit>,
    lr: Signal<Local, Bits<69>>,
    l_len: Signal<Local, Bits<32>>,
    l_end: Signal<Local, Bits<32>>,
    l_done: Signal<Local, Bit>,
    u_a: Signal<Local, Bits<32>>,
    u_s: Signal<Local, Bits<32>>,
    pl_len: Signal<Local, Bits<32>>,
    pl_qend: Signal<Local, Bits<32>>,
    pl_pend: Signal<Local, Bit>,
    tm_due: Signal<Local, Bit>,
    sw_due: Signal<Local, Bit>,
    pc_w: Signal<Local, Bits<77>>,
    sg_w: Signal<Local, Bits<76>>,
    sd_w: Signal<Local, Bits<145>>,
    o_pc: Signal<Local, Bits<77>>,
    o_sg: Signal<Local, Bits<76>>,
    o_go: Signal<Local, Bit>,
    pm_rgo: Signal<Local, Bit>,
    pm_ngo: Signal<Local, Bit>,
    pm_nmax: Signal<Local, Bits<32>>,
    pm_sum: Signal<Local, Bits<33>>,
    lh5: Signal<Local, Bits<5>>,
    lt5: Signal<Local, Bits<5>>,
    act_mss: Signal<Local, Bits<16>>,
    act_wsc: Signal<Local, Bits<4>>,
    cur_n: Signal<Local, Bits<32>>,
    d1: Signal<Local, Bits<32>>,
    d10: Signal<Local, Bits<32>>,
    d11: Signal<Local, Bits<32>>,
    d12: Signal<Local, Bits<32>>,
    d13: Signal<Local, Bits<32>>,
    d14: Signal<Local, Bits<32>>,
    d15: Signal<Local, Bits<32>>,
    d16: Signal<Local, Bits<32>>,
    d17: Signal<Local, Bits<32>>,
    d18: Signal<Local, Bits<32>>,
    d19: Signal<Local, Bits<32>>,
    d2: Signal<Local, Bits<32>>,
    d3: Signal<Local, Bits<32>>,
    d4: Signal<Local, Bits<32>>,
    d5: Signal<Local, Bits<32>>,
    d6: Signal<Local, Bits<32>>,
    d7: Signal<Local, Bits<32>>,
    d8: Signal<Local, Bits<32>>,
    d9: Signal<Local, Bits<32>>,
    d_have: Signal<Local, Bits<32>>,
    dq1: Signal<Local, Bits<32>>,
    dvs: Signal<Local, Bits<33>>,
    fl2: Signal<Local, Bits<32>>,
    m2: Signal<Local, Bits<32>>,
    m3: Signal<Local, Bits<32>>,
    meta: Signal<Local, Bits<64>>,
    s_q: Signal<Local, Bits<32>>,
    s_r1: Signal<Local, Bits<32>>,
    s_r3: Signal<Local, Bits<32>>,
    s_sa: Signal<Local, Bits<32>>,
    s_vb: Signal<Local, Bits<32>>,
    sl_len: Signal<Local, Bits<32>>,
    sw_idx: Signal<Local, Bits<5>>,
    tr: Signal<Local, Bits<33>>,
    wa: Signal<Local, Bits<CB>>,
}

impl<const CB: usize, const CB4: usize> SndCore<CB, CB4> {
    /// The core for `snd.sg_entries` (1..=16) slots per connection, `rto_min_us` ..=
    /// `rto_max_us` (1..=60,000,000), `snd.initial_cwnd_segs` (1..=64) and
    /// `us_cycles` clocks per microsecond.
    pub fn new(sg_entries: u32, rto_min: u32, rto_max: u32, icw: u32, us_cycles: u64) -> Self {
        assert!((1..=SND_SG_SLOTS as u32).contains(&sg_entries));
        assert!(rto_min >= 1 && rto_min <= rto_max && (1..=64).contains(&icw));
        assert!((1..1 << 31).contains(&us_cycles));
        assert_eq!(CB + 4, CB4);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            timer_en: Default::default(),
            s_act_valid: Default::default(),
            s_act_ready: Default::default(),
            s_act_conn: Default::default(),
            s_act_ctx: Default::default(),
            s_act_una: Default::default(),
            s_act_nxt: Default::default(),
            s_act_wnd: Default::default(),
            s_act_wl1: Default::default(),
            s_act_wl2: Default::default(),
            s_act_cwnd: Default::default(),
            s_act_ssthresh: Default::default(),
            s_act_srtt: Default::default(),
            s_act_rttvar: Default::default(),
            s_act_dup: Default::default(),
            s_act_rtxc: Default::default(),
            s_act_mss: Default::default(),
            s_act_wsc: Default::default(),
            s_act_wsok: Default::default(),
            s_pl_valid: Default::default(),
            s_pl_ready: Default::default(),
            s_pl_first: Default::default(),
            s_pl_last: Default::default(),
            s_pl_conn: Default::default(),
            s_pl_ctx: Default::default(),
            s_pl_tag: Default::default(),
            s_pl_push: Default::default(),
            s_pl_n: Default::default(),
            s_pl_addr: Default::default(),
            s_pl_len: Default::default(),
            m_plr_valid: Default::default(),
            m_plr_ready: Default::default(),
            m_plr_status: Default::default(),
            s_ak_valid: Default::default(),
            s_ak_ready: Default::default(),
            s_ak_conn: Default::default(),
            s_ak_ack: Default::default(),
            s_ak_wnd: Default::default(),
            s_ak_seq: Default::default(),
            s_ak_len: Default::default(),
            s_fl_valid: Default::default(),
            s_fl_ready: Default::default(),
            s_fl_conn: Default::default(),
            m_fl_valid: Default::default(),
            m_fl_ready: Default::default(),
            m_fl_active: Default::default(),
            m_fl_una: Default::default(),
            m_fl_max: Default::default(),
            m_fl_wnd: Default::default(),
            m_fl_wl1: Default::default(),
            m_fl_wl2: Default::default(),
            m_fl_cwnd: Default::default(),
            m_fl_ssthresh: Default::default(),
            m_fl_srtt: Default::default(),
            m_fl_rttvar: Default::default(),
            m_fl_dup: Default::default(),
            m_fl_rtxc: Default::default(),
            m_fl_rto: Default::default(),
            m_pc_addr: Default::default(),
            m_pc_len: Default::default(),
            m_pc_last: Default::default(),
            m_pc_plen: Default::default(),
            m_pc_meta: Default::default(),
            m_pc_valid: Default::default(),
            m_pc_ready: Default::default(),
            m_sd_valid: Default::default(),
            m_sd_ready: Default::default(),
            m_sd_conn: Default::default(),
            m_sd_ctx: Default::default(),
            m_sd_tag: Default::default(),
            m_sd_acked: Default::default(),
            m_sd_sent: Default::default(),
            m_sd_flushed: Default::default(),
            m_up_valid: Default::default(),
            m_up_ready: Default::default(),
            m_up_conn: Default::default(),
            idle: Default::default(),
            segs: Default::default(),
            bytes: Default::default(),
            retransmits: Default::default(),
            retransmit_bytes: Default::default(),
            fast_retransmits: Default::default(),
            partial_acks: Default::default(),
            dup_acks: Default::default(),
            new_acks: Default::default(),
            bad_acks: Default::default(),
            rtt_samples: Default::default(),
            lists_done: Default::default(),
            lists_flushed: Default::default(),
            timeouts: Default::default(),
            k_sg: Constant::new((sg_entries as u64).to_bits()),
            k_conns: Constant::new((1u64 << CB).to_bits()),
            k_rto_min: Constant::new((rto_min as u64).to_bits()),
            k_rto_max: Constant::new((rto_max as u64).to_bits()),
            k_icw: Constant::new((icw as u64).to_bits()),
            k_us: Constant::new(us_cycles.to_bits()),
            k_maxpay: Constant::new((SND_MAX_PAYLOAD as u64).to_bits()),
            k_ok: Constant::new((EntryStatus::Ok as u64).to_bits()),
            k_unknown: Constant::new((EntryStatus::UnknownHandle as u64).to_bits()),
            k_nores: Constant::new((EntryStatus::NoResources as u64).to_bits()),
            k_ones: Constant::new((u32::MAX as u64).to_bits()),
            k_psh: Constant::new((1u64 << 48).to_bits()),
            k_rtx: Constant::new((1u64 << 49).to_bits()),
            k_last: Constant::new(Bits::<77>::default().replace_bit(76, true)),
            k_pe: Constant::new(Bits::<97>::default().replace_bit(96, true)),
            k_fl: Constant::new(Bits::<145>::default().replace_bit(144, true)),
            k_tv: Constant::new(Bits::<33>::default().replace_bit(32, true)),
            ctx_ram: Default::default(),
            slot_ram: Default::default(),
            list_ram: Default::default(),
            tmr_ram: Default::default(),
            pcq: SyncFifo::new(1),
            sgq: SyncFifo::new(1),
            sdq: SyncFifo::new(1),
            upq: SyncFifo::new(1),
            dueq: SyncFifo::new(1),
            ms: Default::default(),
            ev: Default::default(),
            init_i: Default::default(),
            c: Default::default(),
            e_conn: Default::default(),
            e_ctx: Default::default(),
            e_tag: Default::default(),
            e_push: Default::default(),
            e_n: Default::default(),
            e_ack: Default::default(),
            e_wnd: Default::default(),
            e_seq: Default::default(),
            e_len: Default::default(),
            e_acked: Default::default(),
            p_ok: Default::default(),
            p_st: Default::default(),
            p_i: Default::default(),
            p_sum: Default::default(),
            plr_v: Default::default(),
            plr_st: Default::default(),
            fl_v: Default::default(),
            m_i: Default::default(),
            m_a: Default::default(),
            m_b: Default::default(),
            m_c: Default::default(),
            m_p2: Default::default(),
            m_pc: Default::default(),
            dv_i: Default::default(),
            dv_x: Default::default(),
            dv_r: Default::default(),
            dv_q: Default::default(),
            w_seq: Default::default(),
            w_len: Default::default(),
            w_end: Default::default(),
            w_cur: Default::default(),
            w_es: Default::default(),
            w_i: Default::default(),
            w_psh: Default::default(),
            w_rtx: Default::default(),
            q_rto: Default::default(),
            p_rclr: Default::default(),
            p_rlen: Default::default(),
            p_nlen: Default::default(),
            p_f0: Default::default(),
            q_ee: Default::default(),
            q_pa: Default::default(),
            q_n: Default::default(),
            q_ov: Default::default(),
            q_fin: Default::default(),
            q_ps: Default::default(),
            q_lr: Default::default(),
            q_lend: Default::default(),
            q_done: Default::default(),
            q_ua: Default::default(),
            q_us: Default::default(),
            q_bad: Default::default(),
            q_wup: Default::default(),
            q_new: Default::default(),
            q_tm: Default::default(),
            q_dup: Default::default(),
            q_dup1: Default::default(),
            q_recok: Default::default(),
            q_ass: Default::default(),
            q_cwm: Default::default(),
            q_d2: Default::default(),
            q_r: Default::default(),
            q_wsc: Default::default(),
            q_slr: Default::default(),
            q_lrr: Default::default(),
            q_tr: Default::default(),
            sw_c2: Default::default(),
            p_fl: Default::default(),
            p_have: Default::default(),
            p_win: Default::default(),
            p_none: Default::default(),
            q_ctx: Default::default(),
            tdiv: Default::default(),
            tick: Default::default(),
            sw_i: Default::default(),
            sw_c: Default::default(),
            n_segs: Default::default(),
            n_bytes: Default::default(),
            n_rtx: Default::default(),
            n_rtxb: Default::default(),
            n_fast: Default::default(),
            n_part: Default::default(),
            n_dup: Default::default(),
            n_new: Default::default(),
            n_bad: Default::default(),
            n_rtt: Default::default(),
            n_done: Default::default(),
            n_fl: Default::default(),
            n_to: Default::default(),
            wr: Default::default(),
            wr_data: Default::default(),
            conn_ok: Default::default(),
            base: Default::default(),
            mss32: Default::default(),
            flight: Default::default(),
            rv1: Default::default(),
            rsum: Default::default(),
            rto: Default::default(),
            pend: Default::default(),
            dl_new: Default::default(),
            used: Default::default(),
            fit: Default::default(),
            known: Default::default(),
            a_wsc: Default::default(),
            a_bad: Default::default(),
            a_wup: Default::default(),
            a_new: Default::default(),
            a_tm: Default::default(),
            a_dup: Default::default(),
            a_dup1: Default::default(),
            a_ss: Default::default(),
            a_rec_ok: Default::default(),
            cw_mss: Default::default(),
            s_r0: Default::default(),
            s_r: Default::default(),
            s_s: Default::default(),
            s_err: Default::default(),
            s_srtt: Default::default(),
            s_rv: Default::default(),
            p_sub: Default::default(),
            p_add: Default::default(),
            ss_inc: Default::default(),
            ss_add: Default::default(),
            ca_add: Default::default(),
            dv_t: Default::default(),
            r_len: Default::default(),
            n_un: Default::default(),
            n_len: Default::default(),
            n_win: Default::default(),
            sl: Default::default(),
            w_ee: Default::default(),
            w_ov: Default::default(),
            w_n: Default::default(),
            w_pa: Default::default(),
            w_fin: Default::default(),
            w_ps: Default::default(),
            lr: Default::default(),
            l_len: Default::default(),
            l_end: Default::default(),
            l_done: Default::default(),
            u_a: Default::default(),
            u_s: Default::default(),
            pl_len: Default::default(),
            pl_qend: Default::default(),
            pl_pend: Default::default(),
            tm_due: Default::default(),
            sw_due: Default::default(),
            pc_w: Default::default(),
            sg_w: Default::default(),
            sd_w: Default::default(),
            o_pc: Default::default(),
            o_sg: Default::default(),
            o_go: Default::default(),
            pm_rgo: Default::default(),
            pm_ngo: Default::default(),
            pm_nmax: Default::default(),
            pm_sum: Default::default(),
            lh5: Default::default(),
            lt5: Default::default(),
            act_mss: Default::default(),
            act_wsc: Default::default(),
            cur_n: Default::default(),
            d1: Default::default(),
            d10: Default::default(),
            d11: Default::default(),
            d12: Default::default(),
            d13: Default::default(),
            d14: Default::default(),
            d15: Default::default(),
            d16: Default::default(),
            d17: Default::default(),
            d18: Default::default(),
            d19: Default::default(),
            d2: Default::default(),
            d3: Default::default(),
            d4: Default::default(),
            d5: Default::default(),
            d6: Default::default(),
            d7: Default::default(),
            d8: Default::default(),
            d9: Default::default(),
            d_have: Default::default(),
            dq1: Default::default(),
            dvs: Default::default(),
            fl2: Default::default(),
            m2: Default::default(),
            m3: Default::default(),
            meta: Default::default(),
            s_q: Default::default(),
            s_r1: Default::default(),
            s_r3: Default::default(),
            s_sa: Default::default(),
            s_vb: Default::default(),
            sl_len: Default::default(),
            sw_idx: Default::default(),
            tr: Default::default(),
            wa: Default::default(),
        }
    }
}

impl<const CB: usize, const CB4: usize> Logic for SndCore<CB, CB4> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, ms, ev, init_i, c, e_conn, e_ctx, e_tag, e_push, e_n, e_ack, e_wnd, e_seq,
            e_len, e_acked, p_ok, p_st, p_i, p_sum, plr_v, plr_st, fl_v, m_i, m_a, m_b, m_c, m_p2,
            m_pc, dv_i, dv_x, dv_r, dv_q, w_seq, w_len, w_end, w_cur, w_es, w_i, w_psh, w_rtx,
            tdiv, tick, sw_i, sw_c, n_segs, n_bytes, n_rtx, n_rtxb, n_fast, n_part, n_dup, n_new,
            n_bad, n_rtt, n_done, n_fl, n_to, q_rto, p_rclr, p_rlen, p_nlen, p_f0, q_ee, q_pa, q_n,
            q_ov, q_fin, q_ps, q_lr, q_lend, q_done, q_ua, q_us, q_bad, q_wup, q_new, q_tm, q_dup,
            q_dup1, q_recok, q_ass, q_cwm, q_d2, q_r, q_wsc, p_fl, p_have, p_win, p_none, q_ctx,
            q_slr, q_lrr, q_tr, sw_c2
        );
        clock!(self, clock, pcq, sgq, sdq, upq, dueq);
        self.pcq.reset.next = self.reset.val();
        self.sgq.reset.next = self.reset.val();
        self.sdq.reset.next = self.reset.val();
        self.upq.reset.next = self.reset.val();
        self.dueq.reset.next = self.reset.val();
        self.ctx_ram.read_clock.next = self.clock.val();
        self.ctx_ram.write_clock.next = self.clock.val();
        self.slot_ram.read_clock.next = self.clock.val();
        self.slot_ram.write_clock.next = self.clock.val();
        self.list_ram.read_clock.next = self.clock.val();
        self.list_ram.write_clock.next = self.clock.val();
        self.tmr_ram.read_clock.next = self.clock.val();
        self.tmr_ram.write_clock.next = self.clock.val();
        self.segs.next = self.n_segs.q.val();
        self.bytes.next = self.n_bytes.q.val();
        self.retransmits.next = self.n_rtx.q.val();
        self.retransmit_bytes.next = self.n_rtxb.q.val();
        self.fast_retransmits.next = self.n_fast.q.val();
        self.partial_acks.next = self.n_part.q.val();
        self.dup_acks.next = self.n_dup.q.val();
        self.new_acks.next = self.n_new.q.val();
        self.bad_acks.next = self.n_bad.q.val();
        self.rtt_samples.next = self.n_rtt.q.val();
        self.lists_done.next = self.n_done.q.val();
        self.lists_flushed.next = self.n_fl.q.val();
        self.timeouts.next = self.n_to.q.val();

        // ---- Microsecond clock.
        if self.timer_en.val() {
            if self.tdiv.q.val() + 1 == self.k_us.val() {
                self.tdiv.d.next = 0.into();
                self.tick.d.next = self.tick.q.val() + 1;
            } else {
                self.tdiv.d.next = self.tdiv.q.val() + 1;
            }
        }

        // ---- Common values of the working context `c`.
        self.conn_ok.next = bit_cast::<17, 16>(self.e_conn.q.val()) < self.k_conns.val();
        self.base.next = bit_cast::<CB4, 16>(self.e_conn.q.val()) << 4;
        self.mss32.next = bit_cast::<32, 16>(self.c.q.val().mss);
        self.flight.next = self.c.q.val().max - self.c.q.val().una;
        self.rv1.next = self.c.q.val().rttvar4;
        if self.c.q.val().rttvar4 == 0 {
            self.rv1.next = 1.into();
        }
        self.s_s.next = self.c.q.val().srtt8 >> 3;
        self.rsum.next = bit_cast::<33, 32>(self.s_s.val()) + bit_cast::<33, 32>(self.rv1.val());
        self.rto.next = self.rsum.val().get_bits::<32>(0);
        if self.rsum.val() > bit_cast::<33, 32>(self.k_rto_max.val()) {
            self.rto.next = self.k_rto_max.val();
        }
        if self.rsum.val() < bit_cast::<33, 32>(self.k_rto_min.val()) {
            self.rto.next = self.k_rto_min.val();
        }
        if self.c.q.val().srtt8 == 0 {
            self.rto.next = self.k_rto_min.val();
        }
        self.pend.next = (self.c.q.val().una != self.c.q.val().qend)
            | (self.c.q.val().una != self.c.q.val().max);
        self.q_rto.d.next = self.rto.val();
        self.dl_new.next = self.tick.q.val() + self.q_rto.q.val();
        self.used.next = self.c.q.val().st - self.c.q.val().sh;
        self.fit.next = (bit_cast::<17, 5>(self.used.val()) + bit_cast::<17, 16>(self.e_n.q.val()))
            <= self.k_sg.val();
        self.known.next =
            self.c.q.val().active & (self.c.q.val().ctx == self.e_ctx.q.val()) & self.conn_ok.val();

        // ---- ACK processing values (`SndConn::on_ack`).
        self.a_wsc.next =
            bit_cast::<32, 16>(self.e_wnd.q.val()) << bit_cast::<32, 4>(self.c.q.val().wsc);
        self.d1.next = self.c.q.val().max - self.e_ack.q.val();
        self.d2.next = self.e_ack.q.val() - self.c.q.val().una;
        self.d3.next = self.c.q.val().wl1 - self.e_seq.q.val();
        self.d4.next = self.e_ack.q.val() - self.c.q.val().wl2;
        self.d5.next = self.c.q.val().una - self.e_ack.q.val();
        self.d6.next = self.e_ack.q.val() - self.c.q.val().tm_end;
        self.d7.next = self.c.q.val().recover - self.c.q.val().una;
        self.d8.next = self.c.q.val().una - self.c.q.val().recover;
        self.a_bad.next = self.d1.val().get_bit(31);
        self.a_wup.next = !self.d2.val().get_bit(31)
            & (self.d3.val().get_bit(31)
                | ((self.c.q.val().wl1 == self.e_seq.q.val()) & !self.d4.val().get_bit(31)));
        self.a_new.next = self.d5.val().get_bit(31);
        self.a_tm.next = self.c.q.val().tmv & !self.d6.val().get_bit(31);
        self.a_dup.next = (self.e_ack.q.val() == self.c.q.val().una)
            & (self.e_len.q.val() == 0)
            & (self.a_wsc.val() == self.c.q.val().wnd)
            & (self.flight.val() != 0);
        self.a_dup1.next = self.c.q.val().dup + 1;
        if self.c.q.val().dup == 255 {
            self.a_dup1.next = 255.into();
        }
        self.fl2.next = self.flight.val() >> 1;
        self.m2.next = self.mss32.val() << 1;
        self.m3.next = self.m2.val() + self.mss32.val();
        self.a_ss.next = self.fl2.val();
        if self.m2.val() > self.fl2.val() {
            self.a_ss.next = self.m2.val();
        }
        self.a_rec_ok.next = !self.c.q.val().recv | self.d7.val().get_bit(31);
        self.cw_mss.next =
            bit_cast::<33, 32>(self.c.q.val().cwnd) + bit_cast::<33, 32>(self.mss32.val());
        // RTT sample (RFC 6298 in fixed point, `SndConn::sample`).
        self.s_r0.next = self.tick.q.val() - self.c.q.val().tm_sent;
        self.s_r.next = self.s_r0.val();
        if self.s_r0.val() == 0 {
            self.s_r.next = 1.into();
        }
        if self.s_r0.val() > 0x0FFF_FFFF {
            self.s_r.next = 0x0FFF_FFFF.into();
        }
        self.s_r3.next = self.q_r.q.val() << 3;
        self.s_r1.next = self.q_r.q.val() << 1;
        self.s_err.next = self.q_r.q.val() - self.s_s.val();
        if self.s_s.val() > self.q_r.q.val() {
            self.s_err.next = self.s_s.val() - self.q_r.q.val();
        }
        self.s_sa.next = self.c.q.val().srtt8 - self.s_s.val();
        self.s_q.next = self.c.q.val().rttvar4 >> 2;
        self.s_vb.next = self.c.q.val().rttvar4 - self.s_q.val();
        self.s_srtt.next =
            bit_cast::<33, 32>(self.s_sa.val()) + bit_cast::<33, 32>(self.q_r.q.val());
        self.s_rv.next = bit_cast::<33, 32>(self.s_vb.val()) + bit_cast::<33, 32>(self.s_err.val());
        // Congestion window after new data is acknowledged (`e_acked` bytes).
        self.p_sub.next = 0.into();
        if self.c.q.val().cwnd > self.e_acked.q.val() {
            self.p_sub.next = self.c.q.val().cwnd - self.e_acked.q.val();
        }
        self.p_add.next =
            bit_cast::<33, 32>(self.p_sub.val()) + bit_cast::<33, 32>(self.mss32.val());
        self.ss_inc.next = self.e_acked.q.val();
        if self.mss32.val() < self.e_acked.q.val() {
            self.ss_inc.next = self.mss32.val();
        }
        self.ss_add.next =
            bit_cast::<33, 32>(self.c.q.val().cwnd) + bit_cast::<33, 32>(self.ss_inc.val());
        self.dq1.next = bit_cast::<32, 22>(self.dv_q.q.val());
        if self.dv_q.q.val() == 0 {
            self.dq1.next = 1.into();
        }
        self.ca_add.next =
            bit_cast::<33, 32>(self.c.q.val().cwnd) + bit_cast::<33, 32>(self.dq1.val());
        self.dvs.next = bit_cast::<33, 32>(self.c.q.val().cwnd);
        if self.c.q.val().cwnd == 0 {
            self.dvs.next = 1.into();
        }
        self.dv_t.next = self.dv_r.q.val() << 1;
        if self.dv_x.q.val().get_bit(21) {
            self.dv_t.next = self.dv_t.val() + 1;
        }

        // ---- Next segment (`SndConn::next_segment`).
        self.r_len.next = self.flight.val();
        if self.mss32.val() < self.flight.val() {
            self.r_len.next = self.mss32.val();
        }
        self.d_have.next = self.c.q.val().qend - self.c.q.val().una;
        self.n_un.next = self.c.q.val().qend - self.c.q.val().max;
        self.n_len.next = self.n_un.val();
        if self.mss32.val() < self.n_un.val() {
            self.n_len.next = self.mss32.val();
        }
        self.n_win.next = self.c.q.val().wnd;
        if self.c.q.val().cwnd < self.c.q.val().wnd {
            self.n_win.next = self.c.q.val().cwnd;
        }

        self.pm_rgo.next = self.c.q.val().rtxp
            & (self.p_rlen.q.val() != 0)
            & !self.p_have.q.val().get_bit(31)
            & (self.p_have.q.val() >= self.p_rlen.q.val());
        self.pm_sum.next =
            bit_cast::<33, 32>(self.p_fl.q.val()) + bit_cast::<33, 32>(self.p_nlen.q.val());
        self.pm_ngo.next =
            !self.p_none.q.val() & (self.pm_sum.val() <= bit_cast::<33, 32>(self.p_win.q.val()));
        self.pm_nmax.next = self.c.q.val().max + self.p_nlen.q.val();

        // ---- Segment walk over the scatter-gather slots.
        self.slot_ram.read_address.next =
            self.base.val() | bit_cast::<CB4, 4>(self.w_i.q.val().get_bits::<4>(0));
        self.q_slr.d.next = self.slot_ram.read_data.val();
        self.sl.next = self.q_slr.q.val();
        self.sl_len.next = self.sl.val().get_bits::<32>(64);
        self.w_ee.next = self.w_es.q.val() + self.sl_len.val();
        self.d9.next = self.w_cur.q.val() - self.w_es.q.val();
        self.d10.next = self.w_cur.q.val() - self.w_ee.val();
        self.d11.next = self.w_cur.q.val() - self.w_end.q.val();
        self.d12.next = self.w_ee.val() - self.w_end.q.val();
        self.d13.next = self.w_seq.q.val() - self.w_ee.val();
        self.d14.next = self.w_end.q.val() - self.w_ee.val();
        self.w_ov.next =
            !self.d9.val().get_bit(31) & self.d10.val().get_bit(31) & self.d11.val().get_bit(31);
        self.w_n.next = self.w_end.q.val() - self.w_cur.q.val();
        if self.d12.val().get_bit(31) {
            self.w_n.next = self.w_ee.val() - self.w_cur.q.val();
        }
        self.w_pa.next = self.sl.val().get_bits::<64>(0) + bit_cast::<64, 32>(self.d9.val());
        self.cur_n.next = self.w_cur.q.val() + self.q_n.q.val();
        // The piece reaches the segment's end when the slot does.
        self.w_fin.next = self.w_ov.val() & !self.d12.val().get_bit(31);
        self.w_ps.next =
            self.sl.val().get_bit(96) & self.d13.val().get_bit(31) & !self.d14.val().get_bit(31);
        self.pc_w.next = bit_cast::<77, 64>(self.q_pa.q.val())
            | (bit_cast::<77, 12>(self.q_n.q.val().get_bits::<12>(0)) << 64);
        if self.q_fin.q.val() {
            self.pc_w.next = self.pc_w.val() | self.k_last.val();
        }
        self.meta.next = bit_cast::<64, 32>(self.w_seq.q.val())
            | (bit_cast::<64, 16>(self.e_conn.q.val()) << 32);
        if self.w_psh.q.val() {
            self.meta.next = self.meta.val() | self.k_psh.val();
        }
        if self.w_rtx.q.val() {
            self.meta.next = self.meta.val() | self.k_rtx.val();
        }
        self.sg_w.next = bit_cast::<76, 12>(self.w_len.q.val().get_bits::<12>(0))
            | (bit_cast::<76, 64>(self.meta.val()) << 12);
        self.pcq.data_in.next = self.pc_w.val();
        self.pcq.write.next = false;
        self.sgq.data_in.next = self.sg_w.val();
        self.sgq.write.next = false;

        // ---- Lists: completion and flush residuals.
        self.lh5.next = self.c.q.val().lh;
        self.lt5.next = self.c.q.val().lt;
        self.list_ram.read_address.next =
            self.base.val() | bit_cast::<CB4, 4>(self.lh5.val().get_bits::<4>(0));
        self.q_lrr.d.next = self.list_ram.read_data.val();
        self.lr.next = self.q_lrr.q.val();
        self.l_len.next = self.lr.val().get_bits::<32>(32);
        self.l_end.next = self.c.q.val().head + self.l_len.val();
        self.d15.next = self.c.q.val().una - self.l_end.val();
        self.l_done.next = !self.d15.val().get_bit(31);
        self.d16.next = self.c.q.val().una - self.c.q.val().head;
        self.d17.next = self.c.q.val().max - self.c.q.val().head;
        self.u_a.next = self.d16.val();
        if self.l_len.val() < self.d16.val() {
            self.u_a.next = self.l_len.val();
        }
        if self.d16.val().get_bit(31) {
            self.u_a.next = 0.into();
        }
        self.u_s.next = self.d17.val();
        if self.l_len.val() < self.d17.val() {
            self.u_s.next = self.l_len.val();
        }
        if self.d17.val().get_bit(31) {
            self.u_s.next = 0.into();
        }
        self.sd_w.next = bit_cast::<145, 16>(self.e_conn.q.val())
            | (bit_cast::<145, 32>(self.c.q.val().ctx) << 16)
            | (bit_cast::<145, 32>(self.q_lr.q.val().get_bits::<32>(0)) << 48)
            | (bit_cast::<145, 32>(self.q_lr.q.val().get_bits::<32>(32)) << 80)
            | (bit_cast::<145, 32>(self.q_lr.q.val().get_bits::<32>(32)) << 112);
        self.sdq.data_in.next = self.sd_w.val();
        self.sdq.write.next = false;

        // ---- Posting a list.
        self.pl_len.next = self.p_sum.q.val().get_bits::<32>(0);
        if self.p_sum.q.val() > 0x7FFF_FFFF {
            self.pl_len.next = 0x7FFF_FFFF.into();
        }
        self.pl_qend.next = self.c.q.val().qend + self.pl_len.val();
        self.pl_pend.next =
            (self.c.q.val().una != self.pl_qend.val()) | (self.c.q.val().una != self.c.q.val().max);
        self.sw_idx.next = self.c.q.val().st + self.p_i.q.val();
        self.slot_ram.write_address.next =
            self.base.val() | bit_cast::<CB4, 4>(self.sw_idx.val().get_bits::<4>(0));
        self.slot_ram.write_data.next = bit_cast::<97, 64>(self.s_pl_addr.val())
            | (bit_cast::<97, 32>(self.s_pl_len.val()) << 64);
        if self.s_pl_last.val() & self.e_push.q.val() {
            self.slot_ram.write_data.next = bit_cast::<97, 64>(self.s_pl_addr.val())
                | (bit_cast::<97, 32>(self.s_pl_len.val()) << 64)
                | self.k_pe.val();
        }
        self.slot_ram.write_enable.next = false;
        self.list_ram.write_address.next =
            self.base.val() | bit_cast::<CB4, 4>(self.lt5.val().get_bits::<4>(0));
        self.list_ram.write_data.next = bit_cast::<69, 32>(self.e_tag.q.val())
            | (bit_cast::<69, 32>(self.pl_len.val()) << 32)
            | (bit_cast::<69, 5>(self.p_i.q.val()) << 64);
        self.list_ram.write_enable.next = false;

        // ---- Timers: the sweep over the shadow, and the check of a due connection.
        self.d18.next = self.tick.q.val() - self.c.q.val().dl;
        self.tm_due.next = self.c.q.val().active
            & self.conn_ok.val()
            & self.c.q.val().dlv
            & !self.c.q.val().stopped
            & !self.d18.val().get_bit(31);
        self.sw_i.d.next = self.sw_i.q.val() + 1;
        self.sw_c.d.next = self.sw_i.q.val();
        self.tmr_ram.read_address.next = self.sw_i.q.val();
        self.q_tr.d.next = self.tmr_ram.read_data.val();
        self.sw_c2.d.next = self.sw_c.q.val();
        self.tr.next = self.q_tr.q.val();
        self.d19.next = self.tick.q.val() - self.tr.val().get_bits::<32>(0);
        self.sw_due.next = self.tr.val().get_bit(32) & !self.d19.val().get_bit(31);
        self.dueq.data_in.next = bit_cast::<16, CB>(self.sw_c2.q.val());
        self.dueq.write.next = self.sw_due.val() & !self.dueq.almost_full.val();
        self.dueq.read.next = false;
        self.upq.data_in.next = self.e_conn.q.val();
        self.upq.write.next = false;

        // ---- Outputs.
        self.o_pc.next = self.pcq.data_out.val();
        self.o_sg.next = self.sgq.data_out.val();
        self.o_go.next = !self.pcq.empty.val() & !self.sgq.empty.val();
        self.m_pc_valid.next = self.o_go.val();
        self.m_pc_addr.next = self.o_pc.val().get_bits::<64>(0);
        self.m_pc_len.next = self.o_pc.val().get_bits::<12>(64);
        self.m_pc_last.next = self.o_pc.val().get_bit(76);
        self.m_pc_plen.next = self.o_sg.val().get_bits::<12>(0);
        self.m_pc_meta.next = self.o_sg.val().get_bits::<64>(12);
        self.pcq.read.next = self.o_go.val() & self.m_pc_ready.val();
        self.sgq.read.next = self.o_go.val() & self.m_pc_ready.val() & self.o_pc.val().get_bit(76);
        self.m_sd_valid.next = !self.sdq.empty.val();
        self.m_sd_conn.next = self.sdq.data_out.val().get_bits::<16>(0);
        self.m_sd_ctx.next = self.sdq.data_out.val().get_bits::<32>(16);
        self.m_sd_tag.next = self.sdq.data_out.val().get_bits::<32>(48);
        self.m_sd_acked.next = self.sdq.data_out.val().get_bits::<32>(80);
        self.m_sd_sent.next = self.sdq.data_out.val().get_bits::<32>(112);
        self.m_sd_flushed.next = self.sdq.data_out.val().get_bit(144);
        self.sdq.read.next = !self.sdq.empty.val() & self.m_sd_ready.val();
        self.m_up_valid.next = !self.upq.empty.val();
        self.m_up_conn.next = self.upq.data_out.val();
        self.upq.read.next = !self.upq.empty.val() & self.m_up_ready.val();
        self.m_plr_valid.next = self.plr_v.q.val();
        self.m_plr_status.next = self.plr_st.q.val();
        if self.plr_v.q.val() & self.m_plr_ready.val() {
            self.plr_v.d.next = false;
        }
        self.m_fl_valid.next = self.fl_v.q.val();
        self.m_fl_active.next = self.c.q.val().active & self.conn_ok.val();
        self.m_fl_una.next = self.c.q.val().una;
        self.m_fl_max.next = self.c.q.val().max;
        self.m_fl_wnd.next = self.c.q.val().wnd;
        self.m_fl_wl1.next = self.c.q.val().wl1;
        self.m_fl_wl2.next = self.c.q.val().wl2;
        self.m_fl_cwnd.next = self.c.q.val().cwnd;
        self.m_fl_ssthresh.next = self.c.q.val().ssthresh;
        self.m_fl_srtt.next = self.c.q.val().srtt8;
        self.m_fl_rttvar.next = self.c.q.val().rttvar4;
        self.m_fl_dup.next = self.c.q.val().dup;
        self.m_fl_rtxc.next = self.c.q.val().rtxc;
        self.m_fl_rto.next = self.q_rto.q.val();

        // ---- Context memory: written back at the end of an event.
        self.ctx_ram.read_address.next = self.e_conn.q.val().get_bits::<CB>(0);
        self.q_ctx.d.next = self.ctx_ram.read_data.val();
        self.wr.next = false;
        self.wr_data.next = self.c.q.val();
        self.wa.next = self.e_conn.q.val().get_bits::<CB>(0);
        self.act_mss.next = self.s_act_mss.val();
        if self.s_act_mss.val() > self.k_maxpay.val() {
            self.act_mss.next = self.k_maxpay.val();
        }
        if self.s_act_mss.val() == 0 {
            self.act_mss.next = 536.into();
        }
        self.act_wsc.next = 0.into();
        if self.s_act_wsok.val() {
            self.act_wsc.next = self.s_act_wsc.val();
            if self.s_act_wsc.val() > 14 {
                self.act_wsc.next = 14.into();
            }
        }
        self.s_act_ready.next = false;
        self.s_pl_ready.next = false;
        self.s_ak_ready.next = false;
        self.s_fl_ready.next = false;
        self.idle.next = false;

        match self.ms.q.val() {
            SState::Init => {
                self.wr.next = true;
                self.wa.next = self.init_i.q.val().get_bits::<CB>(0);
                self.wr_data.next.active = false;
                self.wr_data.next.dlv = false;
                self.init_i.d.next = self.init_i.q.val() + 1;
                if self.init_i.q.val() + 1 == self.k_conns.val() {
                    self.ms.d.next = SState::Idle;
                }
            }
            SState::Idle => {
                self.idle.next = self.dueq.empty.val();
                if self.s_act_valid.val() {
                    self.s_act_ready.next = true;
                    self.e_conn.d.next = self.s_act_conn.val();
                    self.c.d.next.active = true;
                    self.c.d.next.ctx = self.s_act_ctx.val();
                    self.c.d.next.una = self.s_act_una.val();
                    self.c.d.next.max = self.s_act_nxt.val();
                    self.c.d.next.wnd = self.s_act_wnd.val();
                    self.c.d.next.wl1 = self.s_act_wl1.val();
                    self.c.d.next.wl2 = self.s_act_wl2.val();
                    self.c.d.next.cwnd = self.s_act_cwnd.val();
                    self.c.d.next.ssthresh = self.s_act_ssthresh.val();
                    if self.s_act_ssthresh.val() == 0 {
                        self.c.d.next.ssthresh = self.k_ones.val();
                    }
                    self.c.d.next.srtt8 = self.s_act_srtt.val();
                    self.c.d.next.rttvar4 = self.s_act_rttvar.val();
                    self.c.d.next.dup = self.s_act_dup.val();
                    self.c.d.next.rtxc = self.s_act_rtxc.val();
                    self.c.d.next.inrec = false;
                    self.c.d.next.recv = false;
                    self.c.d.next.recover = 0.into();
                    self.c.d.next.head = self.s_act_una.val();
                    self.c.d.next.qend = self.s_act_una.val();
                    self.c.d.next.sh = 0.into();
                    self.c.d.next.st = 0.into();
                    self.c.d.next.lh = 0.into();
                    self.c.d.next.lt = 0.into();
                    self.c.d.next.tmv = false;
                    self.c.d.next.tm_end = 0.into();
                    self.c.d.next.tm_sent = 0.into();
                    self.c.d.next.dlv = false;
                    self.c.d.next.dl = 0.into();
                    self.c.d.next.rtxp = false;
                    self.c.d.next.stopped = false;
                    self.c.d.next.wsc = self.act_wsc.val();
                    self.c.d.next.mss = self.act_mss.val();
                    self.c.d.next.mss2 = 0.into();
                    self.m_a.d.next = bit_cast::<22, 16>(self.act_mss.val());
                    self.m_b.d.next = self.act_mss.val();
                    self.m_c.d.next = self.k_icw.val();
                    self.m_p2.d.next = 0.into();
                    self.m_pc.d.next = 0.into();
                    self.m_i.d.next = 0.into();
                    self.ms.d.next = SState::ActM;
                } else if self.s_fl_valid.val() {
                    self.s_fl_ready.next = true;
                    self.e_conn.d.next = self.s_fl_conn.val();
                    self.ev.d.next = SEv::Flush;
                    self.ms.d.next = SState::Rd;
                } else if !self.dueq.empty.val() {
                    self.dueq.read.next = true;
                    self.e_conn.d.next = self.dueq.data_out.val();
                    self.ev.d.next = SEv::Timer;
                    self.ms.d.next = SState::Rd;
                } else if self.s_pl_valid.val() {
                    // A list's header beat (a stray entry beat is dropped).
                    self.s_pl_ready.next = true;
                    if self.s_pl_first.val() {
                        self.e_conn.d.next = self.s_pl_conn.val();
                        self.e_ctx.d.next = self.s_pl_ctx.val();
                        self.e_tag.d.next = self.s_pl_tag.val();
                        self.e_push.d.next = self.s_pl_push.val();
                        self.e_n.d.next = self.s_pl_n.val();
                        self.ev.d.next = SEv::Post;
                        self.ms.d.next = SState::Rd;
                    }
                } else if self.s_ak_valid.val() {
                    self.s_ak_ready.next = true;
                    self.e_conn.d.next = self.s_ak_conn.val();
                    self.e_ack.d.next = self.s_ak_ack.val();
                    self.e_wnd.d.next = self.s_ak_wnd.val();
                    self.e_seq.d.next = self.s_ak_seq.val();
                    self.e_len.d.next = self.s_ak_len.val();
                    self.ev.d.next = SEv::Ack;
                    self.ms.d.next = SState::Rd;
                }
            }
            SState::ActM => {
                if self.m_b.q.val().get_bit(0) {
                    self.m_p2.d.next = self.m_p2.q.val() + self.m_a.q.val();
                }
                if self.m_c.q.val().get_bit(0) {
                    self.m_pc.d.next = self.m_pc.q.val() + self.m_a.q.val();
                }
                self.m_a.d.next = self.m_a.q.val() << 1;
                self.m_b.d.next = self.m_b.q.val() >> 1;
                self.m_c.d.next = self.m_c.q.val() >> 1;
                self.m_i.d.next = self.m_i.q.val() + 1;
                if self.m_i.q.val() == 10 {
                    self.ms.d.next = SState::ActR;
                }
            }
            SState::ActR => {
                self.c.d.next.mss2 = self.m_p2.q.val();
                if self.c.q.val().cwnd == 0 {
                    self.c.d.next.cwnd = bit_cast::<32, 22>(self.m_pc.q.val());
                }
                self.c.d.next.dlv = self.pend.val();
                self.c.d.next.dl = self.dl_new.val();
                self.ms.d.next = SState::Fin;
            }
            SState::Rd => {
                self.ms.d.next = SState::Rd2;
            }
            SState::Rd2 => {
                self.ms.d.next = SState::Ld;
            }
            SState::Ld => {
                self.c.d.next = self.q_ctx.q.val();
                self.ms.d.next = SState::Disp;
            }
            SState::Disp => match self.ev.q.val() {
                SEv::Post => {
                    self.p_i.d.next = 0.into();
                    self.p_sum.d.next = 0.into();
                    self.p_ok.d.next = self.known.val() & self.fit.val();
                    self.p_st.d.next = self.k_ok.val();
                    if !self.fit.val() {
                        self.p_st.d.next = self.k_nores.val();
                    }
                    if !self.known.val() {
                        self.p_st.d.next = self.k_unknown.val();
                    }
                    self.ms.d.next = SState::PEnt;
                }
                SEv::Ack => {
                    if self.c.q.val().active & self.conn_ok.val() {
                        self.ms.d.next = SState::A0;
                    } else {
                        self.ms.d.next = SState::Idle;
                    }
                }
                SEv::Flush => {
                    self.fl_v.d.next = true;
                    self.ms.d.next = SState::FResp;
                }
                SEv::Timer => {
                    self.ms.d.next = SState::TChk;
                }
            },
            SState::PEnt => {
                self.s_pl_ready.next = true;
                if self.s_pl_valid.val() {
                    if self.p_ok.q.val() & (self.p_i.q.val() < 16) {
                        self.slot_ram.write_enable.next = true;
                        self.p_sum.d.next =
                            self.p_sum.q.val() + bit_cast::<37, 32>(self.s_pl_len.val());
                        self.p_i.d.next = self.p_i.q.val() + 1;
                    }
                    if self.s_pl_last.val() {
                        self.ms.d.next = SState::PFin;
                    }
                }
            }
            SState::PFin => {
                if !self.plr_v.q.val() {
                    self.plr_v.d.next = true;
                    self.plr_st.d.next = self.p_st.q.val();
                    if self.p_ok.q.val() {
                        self.list_ram.write_enable.next = true;
                        self.c.d.next.st = self.c.q.val().st + self.p_i.q.val();
                        self.c.d.next.lt = self.c.q.val().lt + 1;
                        self.c.d.next.qend = self.pl_qend.val();
                        if !self.c.q.val().dlv {
                            self.c.d.next.dlv = self.pl_pend.val();
                            self.c.d.next.dl = self.dl_new.val();
                        }
                        self.ms.d.next = SState::CmpA;
                    } else {
                        self.ms.d.next = SState::Idle;
                    }
                }
            }
            SState::A0 => {
                self.q_bad.d.next = self.a_bad.val();
                self.q_wup.d.next = self.a_wup.val();
                self.q_new.d.next = self.a_new.val();
                self.q_tm.d.next = self.a_tm.val();
                self.q_dup.d.next = self.a_dup.val();
                self.q_dup1.d.next = self.a_dup1.val();
                self.q_recok.d.next = self.a_rec_ok.val();
                self.q_ass.d.next = self.a_ss.val();
                self.q_cwm.d.next = self.cw_mss.val().get_bits::<32>(0);
                if self.cw_mss.val() > 0x7FFF_FFFF {
                    self.q_cwm.d.next = 0x7FFF_FFFF.into();
                }
                self.q_d2.d.next = self.d2.val();
                self.q_r.d.next = self.s_r.val();
                self.q_wsc.d.next = self.a_wsc.val();
                self.ms.d.next = SState::A1;
            }
            SState::A1 => {
                if self.q_bad.q.val() {
                    self.n_bad.d.next = self.n_bad.q.val() + 1;
                    self.ms.d.next = SState::Pm0;
                } else {
                    if self.q_wup.q.val() {
                        self.c.d.next.wnd = self.q_wsc.q.val();
                        self.c.d.next.wl1 = self.e_seq.q.val();
                        self.c.d.next.wl2 = self.e_ack.q.val();
                    }
                    if self.q_new.q.val() {
                        self.e_acked.d.next = self.q_d2.q.val();
                        self.n_new.d.next = self.n_new.q.val() + 1;
                        self.c.d.next.una = self.e_ack.q.val();
                        if self.q_tm.q.val() {
                            self.n_rtt.d.next = self.n_rtt.q.val() + 1;
                            self.c.d.next.tmv = false;
                            if self.c.q.val().srtt8 == 0 {
                                self.c.d.next.srtt8 = self.s_r3.val();
                                self.c.d.next.rttvar4 = self.s_r1.val();
                            } else {
                                self.c.d.next.srtt8 = self.s_srtt.val().get_bits::<32>(0);
                                if self.s_srtt.val().get_bit(32) {
                                    self.c.d.next.srtt8 = self.k_ones.val();
                                }
                                self.c.d.next.rttvar4 = self.s_rv.val().get_bits::<32>(0);
                                if self.s_rv.val().get_bit(32) {
                                    self.c.d.next.rttvar4 = self.k_ones.val();
                                }
                            }
                        }
                        self.ms.d.next = SState::A2;
                    } else if self.q_dup.q.val() {
                        self.n_dup.d.next = self.n_dup.q.val() + 1;
                        self.c.d.next.dup = self.q_dup1.q.val();
                        if self.c.q.val().inrec {
                            self.c.d.next.cwnd = self.q_cwm.q.val();
                        } else if (self.q_dup1.q.val() == 3) & self.q_recok.q.val() {
                            self.n_fast.d.next = self.n_fast.q.val() + 1;
                            self.c.d.next.ssthresh = self.q_ass.q.val();
                            self.c.d.next.recover = self.c.q.val().max;
                            self.c.d.next.recv = true;
                            self.c.d.next.cwnd = self.q_ass.q.val() + self.m3.val();
                            self.c.d.next.inrec = true;
                            self.c.d.next.rtxp = true;
                        }
                        self.ms.d.next = SState::Pm0;
                    } else {
                        self.ms.d.next = SState::Pm0;
                    }
                }
            }
            SState::A2 => {
                if self.c.q.val().inrec {
                    if !self.d8.val().get_bit(31) {
                        self.c.d.next.inrec = false;
                        self.c.d.next.cwnd = self.c.q.val().ssthresh;
                    } else {
                        self.n_part.d.next = self.n_part.q.val() + 1;
                        self.c.d.next.cwnd = self.p_add.val().get_bits::<32>(0);
                        if self.p_add.val().get_bit(32) {
                            self.c.d.next.cwnd = self.k_ones.val();
                        }
                        self.c.d.next.rtxp = true;
                    }
                    self.ms.d.next = SState::A3;
                } else if self.c.q.val().cwnd < self.c.q.val().ssthresh {
                    self.c.d.next.cwnd = self.ss_add.val().get_bits::<32>(0);
                    if self.ss_add.val().get_bit(32) {
                        self.c.d.next.cwnd = self.k_ones.val();
                    }
                    self.ms.d.next = SState::A3;
                } else {
                    self.dv_x.d.next = self.c.q.val().mss2;
                    self.dv_r.d.next = 0.into();
                    self.dv_q.d.next = 0.into();
                    self.dv_i.d.next = 0.into();
                    self.ms.d.next = SState::ADiv;
                }
            }
            SState::ADiv => {
                if self.dv_t.val() >= self.dvs.val() {
                    self.dv_r.d.next = self.dv_t.val() - self.dvs.val();
                    self.dv_q.d.next = (self.dv_q.q.val() << 1) + 1;
                } else {
                    self.dv_r.d.next = self.dv_t.val();
                    self.dv_q.d.next = self.dv_q.q.val() << 1;
                }
                self.dv_x.d.next = self.dv_x.q.val() << 1;
                self.dv_i.d.next = self.dv_i.q.val() + 1;
                if self.dv_i.q.val() == 21 {
                    self.ms.d.next = SState::ADF;
                }
            }
            SState::ADF => {
                self.c.d.next.cwnd = self.ca_add.val().get_bits::<32>(0);
                if self.ca_add.val().get_bit(32) {
                    self.c.d.next.cwnd = self.k_ones.val();
                }
                self.ms.d.next = SState::A3;
            }
            SState::A3 => {
                if self.c.q.val().cwnd > 0x7FFF_FFFF {
                    self.c.d.next.cwnd = 0x7FFF_FFFF.into();
                }
                self.c.d.next.dup = 0.into();
                self.c.d.next.dlv = self.pend.val();
                self.c.d.next.dl = self.dl_new.val();
                self.ms.d.next = SState::CmpA;
            }
            SState::CmpA => {
                if self.c.q.val().lh == self.c.q.val().lt {
                    self.ms.d.next = SState::Pm0;
                } else {
                    self.ms.d.next = SState::CmpR;
                }
            }
            SState::CmpR => {
                self.ms.d.next = SState::CmpW;
            }
            SState::CmpW => {
                self.q_lr.d.next = self.lr.val();
                self.q_lend.d.next = self.l_end.val();
                self.q_done.d.next = self.l_done.val();
                self.ms.d.next = SState::CmpD;
            }
            SState::CmpD => {
                if self.q_done.q.val() {
                    if !self.sdq.full.val() {
                        self.sdq.write.next = true;
                        self.n_done.d.next = self.n_done.q.val() + 1;
                        self.c.d.next.head = self.q_lend.q.val();
                        self.c.d.next.sh = self.c.q.val().sh + self.q_lr.q.val().get_bits::<5>(64);
                        self.c.d.next.lh = self.c.q.val().lh + 1;
                        self.ms.d.next = SState::CmpA;
                    }
                } else {
                    self.ms.d.next = SState::Pm0;
                }
            }
            SState::Pm0 => {
                self.p_rclr.d.next = self.c.q.val().rtxp & (self.r_len.val() == 0);
                self.p_rlen.d.next = self.r_len.val();
                self.p_nlen.d.next = self.n_len.val();
                self.p_f0.d.next = self.flight.val() == 0;
                self.p_fl.d.next = self.flight.val();
                self.p_have.d.next = self.d_have.val();
                self.p_win.d.next = self.n_win.val();
                self.p_none.d.next = (self.n_un.val() == 0) | self.n_un.val().get_bit(31);
                self.ms.d.next = SState::Pm;
            }
            SState::Pm => {
                self.w_es.d.next = self.c.q.val().head;
                self.w_i.d.next = self.c.q.val().sh;
                self.w_psh.d.next = false;
                if self.c.q.val().stopped {
                    self.ms.d.next = SState::Fin;
                } else if self.pm_rgo.val() {
                    self.c.d.next.rtxp = false;
                    self.c.d.next.tmv = false;
                    if self.c.q.val().rtxc != 255 {
                        self.c.d.next.rtxc = self.c.q.val().rtxc + 1;
                    }
                    self.n_rtx.d.next = self.n_rtx.q.val() + 1;
                    self.n_rtxb.d.next = self.n_rtxb.q.val() + self.p_rlen.q.val();
                    self.w_seq.d.next = self.c.q.val().una;
                    self.w_len.d.next = self.p_rlen.q.val();
                    self.w_end.d.next = self.c.q.val().una + self.p_rlen.q.val();
                    self.w_cur.d.next = self.c.q.val().una;
                    self.w_rtx.d.next = true;
                    self.ms.d.next = SState::WA;
                } else {
                    if self.p_rclr.q.val() {
                        self.c.d.next.rtxp = false;
                    }
                    if self.pm_ngo.val() {
                        self.c.d.next.max = self.pm_nmax.val();
                        if self.p_f0.q.val() {
                            self.c.d.next.dlv = true;
                            self.c.d.next.dl = self.dl_new.val();
                        }
                        if !self.c.q.val().tmv {
                            self.c.d.next.tmv = true;
                            self.c.d.next.tm_end = self.pm_nmax.val();
                            self.c.d.next.tm_sent = self.tick.q.val();
                        }
                        self.n_segs.d.next = self.n_segs.q.val() + 1;
                        self.n_bytes.d.next = self.n_bytes.q.val() + self.p_nlen.q.val();
                        self.w_seq.d.next = self.c.q.val().max;
                        self.w_len.d.next = self.p_nlen.q.val();
                        self.w_end.d.next = self.pm_nmax.val();
                        self.w_cur.d.next = self.c.q.val().max;
                        self.w_rtx.d.next = false;
                        self.ms.d.next = SState::WA;
                    } else {
                        self.ms.d.next = SState::Fin;
                    }
                }
            }
            SState::WA => {
                self.ms.d.next = SState::WR;
            }
            SState::WR => {
                self.ms.d.next = SState::WB;
            }
            SState::WB => {
                self.q_ee.d.next = self.w_ee.val();
                self.q_pa.d.next = self.w_pa.val();
                self.q_n.d.next = self.w_n.val();
                self.q_ov.d.next = self.w_ov.val();
                self.q_fin.d.next = self.w_fin.val();
                self.q_ps.d.next = self.w_ps.val();
                self.ms.d.next = SState::WD;
            }
            SState::WD => {
                if !(self.q_ov.q.val() & self.pcq.full.val()) {
                    if self.q_ov.q.val() {
                        self.pcq.write.next = true;
                        self.w_cur.d.next = self.cur_n.val();
                    }
                    if self.q_ps.q.val() {
                        self.w_psh.d.next = true;
                    }
                    self.w_es.d.next = self.q_ee.q.val();
                    self.w_i.d.next = self.w_i.q.val() + 1;
                    if self.q_fin.q.val() | (self.w_i.q.val() + 1 == self.c.q.val().st) {
                        self.ms.d.next = SState::WSeg;
                    } else {
                        self.ms.d.next = SState::WA;
                    }
                }
            }
            SState::WSeg => {
                if !self.sgq.full.val() {
                    self.sgq.write.next = true;
                    self.ms.d.next = SState::Pm0;
                }
            }
            SState::Fin => {
                self.wr.next = true;
                self.ms.d.next = SState::Idle;
            }
            SState::FResp => {
                if self.m_fl_ready.val() {
                    self.fl_v.d.next = false;
                    if self.c.q.val().active & self.conn_ok.val() {
                        self.ms.d.next = SState::FLA;
                    } else {
                        self.ms.d.next = SState::Idle;
                    }
                }
            }
            SState::FLA => {
                if self.c.q.val().lh == self.c.q.val().lt {
                    self.c.d.next.active = false;
                    self.c.d.next.dlv = false;
                    self.ms.d.next = SState::Fin;
                } else {
                    self.ms.d.next = SState::FLR;
                }
            }
            SState::FLR => {
                self.ms.d.next = SState::FLW;
            }
            SState::FLW => {
                self.q_lr.d.next = self.lr.val();
                self.q_lend.d.next = self.l_end.val();
                self.q_ua.d.next = self.u_a.val();
                self.q_us.d.next = self.u_s.val();
                self.ms.d.next = SState::FLD;
            }
            SState::FLD => {
                self.sd_w.next = bit_cast::<145, 16>(self.e_conn.q.val())
                    | (bit_cast::<145, 32>(self.c.q.val().ctx) << 16)
                    | (bit_cast::<145, 32>(self.q_lr.q.val().get_bits::<32>(0)) << 48)
                    | (bit_cast::<145, 32>(self.q_ua.q.val()) << 80)
                    | (bit_cast::<145, 32>(self.q_us.q.val()) << 112)
                    | self.k_fl.val();
                self.sdq.data_in.next = self.sd_w.val();
                if !self.sdq.full.val() {
                    self.sdq.write.next = true;
                    self.n_fl.d.next = self.n_fl.q.val() + 1;
                    self.c.d.next.head = self.q_lend.q.val();
                    self.c.d.next.lh = self.c.q.val().lh + 1;
                    self.ms.d.next = SState::FLA;
                }
            }
            SState::TChk => {
                if self.tm_due.val() {
                    if !self.upq.full.val() {
                        self.upq.write.next = true;
                        self.n_to.d.next = self.n_to.q.val() + 1;
                        self.c.d.next.stopped = true;
                        self.c.d.next.dlv = false;
                        self.ms.d.next = SState::Fin;
                    }
                } else {
                    self.ms.d.next = SState::Idle;
                }
            }
        }

        self.ctx_ram.write_enable.next = self.wr.val();
        self.ctx_ram.write_address.next = self.wa.val();
        self.ctx_ram.write_data.next = self.wr_data.val();
        self.tmr_ram.write_enable.next = self.wr.val();
        self.tmr_ram.write_address.next = self.wa.val();
        self.tmr_ram.write_data.next = bit_cast::<33, 32>(self.wr_data.val().dl);
        if self.wr_data.val().active & self.wr_data.val().dlv & !self.wr_data.val().stopped {
            self.tmr_ram.write_data.next =
                bit_cast::<33, 32>(self.wr_data.val().dl) | self.k_tv.val();
        }

        if self.reset.val() {
            self.ms.d.next = SState::Init;
            self.init_i.d.next = 0.into();
            self.plr_v.d.next = false;
            self.fl_v.d.next = false;
            self.tick.d.next = 0.into();
            self.tdiv.d.next = 0.into();
            self.n_segs.d.next = 0.into();
            self.n_bytes.d.next = 0.into();
            self.n_rtx.d.next = 0.into();
            self.n_rtxb.d.next = 0.into();
            self.n_fast.d.next = 0.into();
            self.n_part.d.next = 0.into();
            self.n_dup.d.next = 0.into();
            self.n_new.d.next = 0.into();
            self.n_bad.d.next = 0.into();
            self.n_rtt.d.next = 0.into();
            self.n_done.d.next = 0.into();
            self.n_fl.d.next = 0.into();
            self.n_to.d.next = 0.into();
        }
    }
}
