//! Receive fast path core (`RcvCore`): receive lists (RCVLIST), window updates
//! (WINUPDATE), in-order and out-of-order placement of offloaded connections' payload
//! into the host's buffers, ACK requests, the hold store and flush (A4, A7, A8, I5, I6,
//! I8). The golden reference is `host_model::rcv`, checked in lockstep (responses,
//! events, ACK frames, host memory, STATS).
//!
//! # Where it sits
//! In `<prefix>_rx` between the engine top and the receive ring
//! (`crate::receive::Receive`): frames and their lookup records come in on `s_*` /
//! `s_lk_*`; frames that are not for the fast path leave unchanged on `m_*` / `m_lk_*`
//! for the ring; fast-path frames go to the byte extractor (`m_x_*` with their pieces on
//! `m_pc_*`, see `crate::extract`), whose output is the data of the DMA write requests
//! on `m_req_*` (completions on `s_done_*`). RCVLIST / WINUPDATE commands come on
//! `s_cmd_*`; their responses and the RCV_DONE events leave on `m_evt_*`.
//!
//! # Built (all of the model)
//! - **Activation**: the offload core's `s_act_*` (HANDOUT2 result OK) sets the
//!   connection's context: `RCV.NXT`, right edge `R = rcv_nxt + rcv_wnd`, host context,
//!   largest window, no lists.
//! - **RCVLIST / WINUPDATE**: parsed and checked word by word as the model's
//!   `CommandReader` does (same statuses, same precedence); one result per entry
//!   (`UNKNOWN_HANDLE`, `NO_RESOURCES` when the entries do not fit in what is left of the
//!   [`RCV_SG_SLOTS`]-slot ring of the connection, limited to `rcv.sg_entries`; a list's
//!   slots count until the list completes); a posted list extends `R` to
//!   `RCV.NXT + posted space` (capped at the largest window); WINUPDATE moves `R` right,
//!   capped. Non-OK trailers count in `cmd_errors` (STATS `command_errors`).
//! - **Segments** of Hits of active connections: exceptions (not a candidate, or the
//!   payload past the engine's [`ENGINE_MAX_FRAME`] bytes) go to the ring; zero payload
//!   is consumed; all-old data is dropped (`dup_segs`), a trimmed head skipped; bytes
//!   at or past `R` drop the segment (`out_of_window`); in-order payload fills the
//!   posted lists from the current list's offset, one DMA write per scatter-gather
//!   piece, completing each list that fills (RCV_DONE) and the current list short on
//!   PSH (RCV_DONE short, push); `RCV.NXT` and `R` follow. Bytes no list takes are
//!   indicated: the frame goes to the ring with FRAME_DATA (`m_lk_fdata`) if the ring
//!   has a buffer for it (this block counts the ring's buffers: `s_buf_posted` minus the
//!   frames it sent; a frame sent with none is dropped by the ring, `m_lk_nobuf`), and the
//!   connection waits for a list.
//! - **RCV_DONE** is sent after all the list's writes completed, trailer `DMA_ERROR`
//!   when one of them failed; a failed write also asks for an upload (`DMA_ERROR`,
//!   `m_up_*`, through the offload core: once per connection).
//! - **Out of order** (`S > RCV.NXT`): placed at its stream position when it ends
//!   inside the posted lists and starts the connection's range or extends it at its end
//!   (`[os, oe)`, one per connection): the lists are walked past the hole with no write,
//!   then one DMA write per piece; nothing completes. Inside the range: a duplicate;
//!   otherwise dropped (`ooo_drops`). When in-order data reaches the range, RCV.NXT
//!   jumps to its end: the lists advance with no write, completing those that fill
//!   (each RCV_DONE behind a zero-length write, as a flush does).
//! - **ACKs** (I8): requests `{conn, RCV.NXT, window >> shift}` go to the offload core
//!   (`m_ak_*`), which builds the frame from the connection's state. Sent every
//!   `rcv.ack_every` accepted segments, `rcv.delack_us` after the first unacknowledged
//!   one (a shadow of every connection's deadline is swept one connection per clock;
//!   due ones are checked again in TChk), at once for a keep-alive / old / past-window /
//!   out-of-order segment and a filled hole, and when RCVLIST / WINUPDATE opens the
//!   window from below one MSS to at least one. Every ACK resets the count and the
//!   deadline. A FLUSH is answered after the connection's ACK requests were served.
//! - **FLUSH / CLOSE** (`s_fq_*` from the offload core): RCV.NXT and the window go back
//!   into the response's DELEGATED words; the connection stops; every posted list comes
//!   back as RCV_DONE `flushed` (the current one with its bytes placed), each after a
//!   zero-length write that follows the list's writes (its DMA error flag).
//!
//! - **Hold store** (A4): while a connection waits for a list (a FRAME_DATA was
//!   indicated), its frames with payload are held, not acknowledged, in a store of
//!   `rcv.hold_frames` (at most [`RCV_HOLD_SLOTS`]) frames of all connections
//!   ([`ENGINE_MAX_FRAME`] bytes each, their records, their order of arrival); with the
//!   store full one is dropped and an upload asked for (NO_BUFFER, through the offload
//!   core, once per connection). A RCVLIST that ends the wait releases the
//!   connection's held frames, oldest first, through the same decision before anything
//!   else (a frame that finds the connection waiting again stays); a FLUSH sends them
//!   to the ring as misses after the lists. A released frame streams from its slot at
//!   one beat per two clocks.
//!
//! # Timing
//! A segment's decision takes 2 clocks (ring, drop) or 3 plus 2 per scatter-gather
//! entry it touches (placement), while earlier frames stream: back-to-back segments
//! into posted lists go at line rate (one frame time each). Commands take one clock per
//! word; frames wait while a command streams.

use crate::rx_meta::RxMetaRecord;
use crate::sync_fifo::SyncFifo;
use host_model::proto::{
    CmdStatus, ENGINE_MAX_FRAME, EntryStatus, EventType, Opcode, RCV_HOLD_SLOTS, RCV_SG_SLOTS,
    UploadReason,
};
use rust_hdl::prelude::*;

const _: () = assert!(RCV_SG_SLOTS == 16, "slot index is 4 bits (CB4 = CB + 4)");
const _: () = assert!(RCV_HOLD_SLOTS == 16, "hold slot index is 4 bits");
const _: () = assert!(ENGINE_MAX_FRAME == 2048, "a hold slot is 256 beats");

/// Per-connection context of the fast path.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct RcvCtx {
    pub active: Bit,
    pub ctx: Bits<32>,
    /// Largest window = `65535 << wsh`.
    pub wsh: Bits<4>,
    pub nxt: Bits<32>,
    pub right: Bits<32>,
    /// Scatter-gather ring: slots `head..tail` (mod 32, index mod 16) are posted.
    pub head: Bits<5>,
    pub tail: Bits<5>,
    /// First slot of the current list: slots `lhead..tail` count as used until their
    /// list completes (`rcv.sg_entries`).
    pub lhead: Bits<5>,
    /// Bytes used of the slot at `head`.
    pub eoff: Bits<32>,
    /// Bytes placed in the current list.
    pub placed: Bits<32>,
    /// Posted bytes not yet placed.
    pub space: Bits<36>,
    /// A FRAME_DATA was indicated and no list was posted since.
    pub waiting: Bit,
    /// Accepted segments not acknowledged yet (`rcv.ack_every`).
    pub unacked: Bits<8>,
    /// Delayed-ACK deadline (`tnow` clocks), while `unacked` is not 0.
    pub dl: Bits<32>,
    /// Effective MSS (536 when the connection's is 0): the window-update ACK's limit.
    pub mss: Bits<16>,
    /// Out-of-order range `[os, oe)` placed in the posted lists (`ooo`: there is one).
    pub ooo: Bit,
    pub os: Bits<32>,
    pub oe: Bits<32>,
}

/// One scatter-gather slot.
#[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
pub struct SgSlot {
    pub addr: Bits<64>,
    pub len: Bits<32>,
    /// The list's last entry.
    pub last: Bit,
    pub tag: Bits<32>,
}

/// Main state machine.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum MState {
    Init,
    Idle,
    FRd,
    FPlace,
    FWait,
    FSkip,
    FSkipW,
    FDone,
    Cmd,
    CFit,
    CFit2,
    CAp,
    CAp2,
    CTr,
    Q1,
    Q2,
    QRd,
    QUse,
    TChk,
    RScan,
    RRec,
}

/// Command word parser states.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum CState {
    Hdr,
    Ent,
    ListW,
    WinW,
    Addr,
    Len,
    Disc,
}

/// Event emitter states.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum EmState {
    Idle,
    Resp,
    D0,
    D1,
    D2,
    D3,
    D4,
}

/// Receive fast path core. `CB` = log2 connections, `CB4` = `CB + 4`.
#[derive(LogicBlock)]
pub struct RcvCore<const CB: usize, const CB4: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // Activations from the offload core.
    pub s_act_valid: Signal<In, Bit>,
    pub s_act_conn: Signal<In, Bits<16>>,
    pub s_act_ctx: Signal<In, Bits<32>>,
    pub s_act_nxt: Signal<In, Bits<32>>,
    pub s_act_wnd: Signal<In, Bits<32>>,
    pub s_act_wsh: Signal<In, Bits<4>>,
    pub s_act_mss: Signal<In, Bits<16>>,
    /// ACK requests `{conn, ack, window}` to the offload core (which builds the
    /// frame from the connection's templates); `s_ak_busy`: it is serving one.
    pub m_ak_valid: Signal<Out, Bit>,
    pub m_ak_conn: Signal<Out, Bits<16>>,
    pub m_ak_ack: Signal<Out, Bits<32>>,
    pub m_ak_win: Signal<Out, Bits<16>>,
    pub m_ak_ready: Signal<In, Bit>,
    pub s_ak_busy: Signal<In, Bit>,
    /// The delayed-ACK clock runs (tie to 1; a testbench may stop time).
    pub timer_en: Signal<In, Bit>,
    /// ACK frames requested.
    pub acks: Signal<Out, Bits<32>>,
    /// Out-of-order segments placed.
    pub ooo_segs: Signal<Out, Bits<32>>,
    // FLUSH / CLOSE queries from the offload core.
    pub s_fq_valid: Signal<In, Bit>,
    pub s_fq_conn: Signal<In, Bits<16>>,
    pub m_fq_done: Signal<Out, Bit>,
    pub m_fq_active: Signal<Out, Bit>,
    pub m_fq_nxt: Signal<Out, Bits<32>>,
    pub m_fq_wnd: Signal<Out, Bits<32>>,
    /// Upload requests `{reason, handle}` (DMA_ERROR) to the offload core.
    pub m_up_valid: Signal<Out, Bit>,
    pub m_up_word: Signal<Out, Bits<24>>,
    pub m_up_ready: Signal<In, Bit>,
    // Frames and records from the engine top.
    pub s_tdata: Signal<In, Bits<64>>,
    pub s_tkeep: Signal<In, Bits<8>>,
    pub s_tvalid: Signal<In, Bit>,
    pub s_tready: Signal<Out, Bit>,
    pub s_tlast: Signal<In, Bit>,
    pub s_tuser: Signal<In, Bit>,
    pub s_lk_meta: Signal<In, RxMetaRecord>,
    pub s_lk_status: Signal<In, Bits<2>>,
    pub s_lk_conn: Signal<In, Bits<16>>,
    pub s_lk_tvalid: Signal<In, Bit>,
    pub s_lk_tready: Signal<Out, Bit>,
    // Frames and records for the receive ring.
    pub m_tdata: Signal<Out, Bits<64>>,
    pub m_tkeep: Signal<Out, Bits<8>>,
    pub m_tvalid: Signal<Out, Bit>,
    pub m_tready: Signal<In, Bit>,
    pub m_tlast: Signal<Out, Bit>,
    pub m_tuser: Signal<Out, Bit>,
    pub m_lk_meta: Signal<Out, RxMetaRecord>,
    pub m_lk_status: Signal<Out, Bits<2>>,
    pub m_lk_conn: Signal<Out, Bits<16>>,
    /// The frame is indicated (FRAME_DATA), not a plain RX_FRAME.
    pub m_lk_fdata: Signal<Out, Bit>,
    /// No ring buffer is left for the frame: the ring drops it.
    pub m_lk_nobuf: Signal<Out, Bit>,
    pub m_lk_tvalid: Signal<Out, Bit>,
    pub m_lk_tready: Signal<In, Bit>,
    /// One clock per buffer posted to the ring (RXBUF).
    pub s_buf_posted: Signal<In, Bit>,
    // Fast-path frames and their pieces, to the byte extractor.
    pub m_x_tdata: Signal<Out, Bits<64>>,
    pub m_x_tlast: Signal<Out, Bit>,
    pub m_x_tvalid: Signal<Out, Bit>,
    pub m_x_tready: Signal<In, Bit>,
    pub m_pc_start: Signal<Out, Bits<16>>,
    pub m_pc_len: Signal<Out, Bits<16>>,
    pub m_pc_last: Signal<Out, Bit>,
    pub m_pc_valid: Signal<Out, Bit>,
    pub m_pc_ready: Signal<In, Bit>,
    // DMA write requests (data: the extractor's output) and completions.
    pub m_req_addr: Signal<Out, Bits<64>>,
    pub m_req_len: Signal<Out, Bits<16>>,
    pub m_req_tag: Signal<Out, Bits<16>>,
    pub m_req_valid: Signal<Out, Bit>,
    pub m_req_ready: Signal<In, Bit>,
    pub s_done_status: Signal<In, Bits<3>>,
    pub s_done_tag: Signal<In, Bits<16>>,
    pub s_done_valid: Signal<In, Bit>,
    pub s_done_ready: Signal<Out, Bit>,
    // RCVLIST / WINUPDATE commands, and the events.
    pub s_cmd_tdata: Signal<In, Bits<64>>,
    pub s_cmd_tvalid: Signal<In, Bit>,
    pub s_cmd_tlast: Signal<In, Bit>,
    pub s_cmd_tready: Signal<Out, Bit>,
    pub m_evt_tdata: Signal<Out, Bits<64>>,
    pub m_evt_tlast: Signal<Out, Bit>,
    pub m_evt_tvalid: Signal<Out, Bit>,
    pub m_evt_tready: Signal<In, Bit>,
    // Counters (32 bits, wrapping), as `host_model::rcv::RcvStats`.
    pub placed_segs: Signal<Out, Bits<32>>,
    pub placed_bytes: Signal<Out, Bits<32>>,
    pub dup_segs: Signal<Out, Bits<32>>,
    pub out_of_window: Signal<Out, Bits<32>>,
    pub ooo_drops: Signal<Out, Bits<32>>,
    pub exceptions: Signal<Out, Bits<32>>,
    pub lists_done: Signal<Out, Bits<32>>,
    pub no_list: Signal<Out, Bits<32>>,
    pub indicated: Signal<Out, Bits<32>>,
    pub hold_drops: Signal<Out, Bits<32>>,
    /// RCVLIST / WINUPDATE commands answered with a trailer other than OK.
    pub cmd_errors: Signal<Out, Bits<32>>,
    /// `rcv.sg_entries` (1..=16).
    sg_limit: Constant<Bits<6>>,
    k_max_frame: Constant<Bits<17>>,
    k_conns: Constant<Bits<17>>,
    k_op_wu: Constant<Bits<8>>,
    k_ok: Constant<Bits<8>>,
    k_trunc: Constant<Bits<8>>,
    k_bad_entry: Constant<Bits<8>>,
    k_bad_header: Constant<Bits<8>>,
    k_trailing: Constant<Bits<8>>,
    k_dma: Constant<Bits<8>>,
    k_unknown: Constant<Bits<8>>,
    k_nores: Constant<Bits<8>>,
    k_t_error: Constant<Bits<8>>,
    k_t_done: Constant<Bits<8>>,
    ctx_ram: RAM<RcvCtx, CB>,
    sg_ram: RAM<SgSlot, CB4>,
    act_q: SyncFifo<Bits<132>, 2, 3>,
    /// `rcv.ack_every` and `rcv.delack_us` in clocks.
    k_every: Constant<Bits<8>>,
    k_delack: Constant<Bits<32>>,
    /// Delayed-ACK clock.
    tnow: DFF<Bits<32>>,
    /// ACK requests `{conn, ack, window}`.
    ackq: SyncFifo<Bits<64>, 4, 5>,
    /// Shadow of every connection's `{unacked != 0, dl}` (written with `ctx_ram`),
    /// swept one connection per clock for due delayed ACKs.
    tmr_ram: RAM<Bits<33>, CB>,
    /// Connections whose delayed ACK is due (checked again in TChk).
    dueq: SyncFifo<Bits<16>, 2, 3>,
    sw_i: DFF<Bits<16>>,
    sw_c: DFF<Bits<16>>,
    sw_nx: Signal<Local, Bits<16>>,
    sw_d: Signal<Local, Bits<32>>,
    tw_ctx: Signal<Local, RcvCtx>,
    n_acks: DFF<Bits<32>>,
    /// The segment was indicated (FRAME_DATA with a ring buffer).
    f_ind: DFF<Bit>,
    /// Out-of-order placement: `f_gap` bytes of the lists skipped first; nothing
    /// completes and the context is not written back (FRd wrote the range).
    f_oo: DFF<Bit>,
    f_gap: DFF<Bits<32>>,
    /// The hole is filled: the lists advance `f_vrem` bytes with no write
    /// (completing those that fill), then an ACK at once.
    f_virt: DFF<Bit>,
    f_vrem: DFF<Bits<32>>,
    f_fill: DFF<Bit>,
    n_oseg: DFF<Bits<32>>,
    o_off: Signal<Local, Bits<32>>,
    o_fit: Signal<Local, Bits<36>>,
    o_s: Signal<Local, Bits<32>>,
    o_e: Signal<Local, Bits<32>>,
    o_place: Signal<Local, Bit>,
    g_k: Signal<Local, Bits<32>>,
    j_nxt: Signal<Local, Bits<32>>,
    j_s: Signal<Local, Bits<32>>,
    j_e: Signal<Local, Bits<32>>,
    j_fill: Signal<Local, Bit>,
    j_go: Signal<Local, Bit>,
    // ACK request of this clock.
    ak_w: Signal<Local, Bit>,
    ak_conn: Signal<Local, Bits<16>>,
    ak_nxt: Signal<Local, Bits<32>>,
    ak_right: Signal<Local, Bits<32>>,
    ak_wsh: Signal<Local, Bits<4>>,
    ak_wnd: Signal<Local, Bits<32>>,
    ak_sc: Signal<Local, Bits<32>>,
    ak_w16: Signal<Local, Bits<16>>,
    acc: Signal<Local, Bit>,
    un1: Signal<Local, Bits<8>>,
    r_fin: Signal<Local, Bits<32>>,
    wo_b: Signal<Local, Bits<32>>,
    wo_r: Signal<Local, Bits<32>>,
    wo_a: Signal<Local, Bits<32>>,
    wo_ok: Signal<Local, Bit>,
    t_d: Signal<Local, Bits<32>>,
    tw33: Signal<Local, Bits<33>>,
    ms: DFF<MState>,
    init_i: DFF<Bits<16>>,
    // Segment being decided.
    r_rec: DFF<RxMetaRecord>,
    r_status: DFF<Bits<2>>,
    r_conn: DFF<Bits<16>>,
    fc: DFF<RcvCtx>,
    f_start: DFF<Bits<16>>,
    f_rem: DFF<Bits<16>>,
    f_push: DFF<Bit>,
    f_any: DFF<Bit>,
    f_bytes: DFF<Bits<16>>,
    // Decision locals.
    rc: Signal<Local, RcvCtx>,
    is_fast: Signal<Local, Bit>,
    flags: Signal<Local, Bits<12>>,
    seq: Signal<Local, Bits<32>>,
    plen: Signal<Local, Bits<32>>,
    pend: Signal<Local, Bits<32>>,
    pend17: Signal<Local, Bits<17>>,
    d_nxt_end: Signal<Local, Bits<32>>,
    d_right_end: Signal<Local, Bits<32>>,
    d_nxt_s: Signal<Local, Bits<32>>,
    skip: Signal<Local, Bits<32>>,
    slot: Signal<Local, SgSlot>,
    avail: Signal<Local, Bits<32>>,
    k: Signal<Local, Bits<32>>,
    kfull: Signal<Local, Bit>,
    klast: Signal<Local, Bit>,
    lend: Signal<Local, Bit>,
    short: Signal<Local, Bit>,
    nh: Signal<Local, Bits<5>>,
    rem32: Signal<Local, Bits<32>>,
    maxwin: Signal<Local, Bits<36>>,
    room: Signal<Local, Bits<36>>,
    redge: Signal<Local, Bits<32>>,
    sg_base: Signal<Local, Bits<CB4>>,
    sg_off: Signal<Local, Bits<CB4>>,
    // Output FIFOs.
    /// Frame input `{user, last, keep, data}`.
    inq: SyncFifo<Bits<74>, 5, 6>,
    /// Per frame: bit 0 to the ring, bit 1 to the extractor, bit 2 into hold slot
    /// `[7:4]`, bit 3 from hold slot `[7:4]` (else from the input FIFO).
    steer: SyncFifo<Bits<8>, 4, 5>,
    // Hold store: frames of connections waiting for a list.
    /// Beats `{user, last, keep, data}` at `{slot, beat}`.
    hbuf: RAM<Bits<74>, 12>,
    hrec: RAM<RxMetaRecord, 4>,
    /// Arrival order: entry `k` at bits `[20k+19:20k]` = `{conn, slot}`.
    hord: DFF<Bits<320>>,
    hcnt: DFF<Bits<5>>,
    hfree: DFF<Bits<16>>,
    /// `rcv.hold_frames`.
    k_hold: Constant<Bits<5>>,
    /// Release of connection `rel_conn`'s held frames (after a RCVLIST ended its wait,
    /// or to the ring as misses after a FLUSH: `rel_flush`), entry `rel_k` next;
    /// then back to the command's trailer (`rel_tr`) or Idle.
    rel_on: DFF<Bit>,
    rel_flush: DFF<Bit>,
    rel_tr: DFF<Bit>,
    rel_k: DFF<Bits<5>>,
    rel_conn: DFF<Bits<16>>,
    /// The segment being decided comes from hold slot `f_slot`.
    f_src: DFF<Bit>,
    f_slot: DFF<Bits<4>>,
    n_held: DFF<Bits<32>>,
    m_done: Signal<Local, MState>,
    h_low: Signal<Local, Bits<4>>,
    h_sh: Signal<Local, Bits<9>>,
    h_entry: Signal<Local, Bits<20>>,
    h_shifted: Signal<Local, Bits<320>>,
    h_one: Signal<Local, Bits<320>>,
    h_mask: Signal<Local, Bits<320>>,
    h_keep_hi: Signal<Local, Bits<320>>,
    h_new: Signal<Local, Bits<320>>,
    h_bit: Signal<Local, Bits<16>>,
    h_rm: Signal<Local, Bit>,
    h_add: Signal<Local, Bit>,
    h_src: Signal<Local, Bits<8>>,
    h_k: Signal<Local, Bits<5>>,
    h_go: Signal<Local, Bit>,
    rr_miss: Signal<Local, Bit>,
    /// NO_BUFFER upload requests (a held frame found the store full).
    upq2: SyncFifo<Bits<16>, 2, 3>,
    k_up_nobuf: Constant<Bits<8>>,
    up_drop: Signal<Local, Bit>,
    // Forwarder: hold destination / source, slot, beat, read phase.
    fw_hd: DFF<Bit>,
    fw_hs: DFF<Bit>,
    fw_slot: DFF<Bits<4>>,
    fw_hb: DFF<Bits<8>>,
    hr_ph: DFF<Bit>,
    fw_src: Signal<Local, Bit>,
    fw_hdst: Signal<Local, Bit>,
    fw_sl: Signal<Local, Bits<4>>,
    fw_word: Signal<Local, Bits<74>>,
    ring_rec: SyncFifo<RxMetaRecord, 4, 5>,
    /// `{nobuf, fdata, conn, status}`
    ring_res: SyncFifo<Bits<20>, 4, 5>,
    credit: DFF<Bits<9>>,
    cr_use: Signal<Local, Bit>,
    cr_has: Signal<Local, Bit>,
    rr_fd: Signal<Local, Bit>,
    f_ring: DFF<Bit>,
    i_valid: Signal<Local, Bit>,
    i_last: Signal<Local, Bit>,
    n_ind: DFF<Bits<32>>,
    n_hdrop: DFF<Bits<32>>,
    n_cmderr: DFF<Bits<32>>,
    fq_ack: DFF<Bit>,
    fq_done: DFF<Bit>,
    fq_act: DFF<Bit>,
    fq_nxt: DFF<Bits<32>>,
    fq_wnd: DFF<Bits<32>>,
    /// Flush walk: the next slot starts a list.
    q_first: DFF<Bit>,
    pcq: SyncFifo<Bits<33>, 5, 6>,
    reqq: SyncFifo<Bits<96>, 5, 6>,
    doneq: SyncFifo<Bits<115>, 5, 6>,
    lerr: SyncFifo<Bit, 5, 6>,
    /// The connection of every DMA write not completed yet, in order.
    connq: SyncFifo<Bits<16>, 7, 8>,
    /// Connections whose list write failed (an upload request each).
    upq: SyncFifo<Bits<16>, 2, 3>,
    k_up_dma: Constant<Bits<8>>,
    respq: SyncFifo<Bits<65>, 5, 6>,
    pc_word: Signal<Local, Bits<33>>,
    req_word: Signal<Local, Bits<96>>,
    done_word: Signal<Local, Bits<115>>,
    resp_word: Signal<Local, Bits<65>>,
    room_ok: Signal<Local, Bit>,
    // Frame forwarder.
    fw_busy: DFF<Bit>,
    fw_ring: DFF<Bit>,
    fw_xd: DFF<Bit>,
    fw_x: Signal<Local, Bit>,
    fw_act: Signal<Local, Bit>,
    fw_dst: Signal<Local, Bit>,
    fw_beat: Signal<Local, Bit>,
    // DMA completions.
    err_acc: DFF<Bit>,
    d_err: Signal<Local, Bit>,
    // Command parser.
    cs: DFF<CState>,
    c_op_wu: DFF<Bit>,
    c_tag: DFF<Bits<32>>,
    c_count: DFF<Bits<16>>,
    c_done: DFF<Bits<16>>,
    c_status: DFF<Bits<8>>,
    c_handle: DFF<Bits<16>>,
    c_ctx: DFF<Bits<32>>,
    c_n: DFF<Bits<16>>,
    c_i: DFF<Bits<16>>,
    c_ltag: DFF<Bits<32>>,
    c_addr: DFF<Bits<64>>,
    c_llen: DFF<Bits<36>>,
    c_verr: DFF<Bit>,
    c_ok: DFF<Bit>,
    c_tail: DFF<Bits<5>>,
    c_lastw: DFF<Bit>,
    c_bytes: DFF<Bits<32>>,
    c_rs: DFF<Bits<8>>,
    w: Signal<Local, Bits<64>>,
    w_take: Signal<Local, Bit>,
    c_known: Signal<Local, Bit>,
    c_used: Signal<Local, Bits<17>>,
    used5: Signal<Local, Bits<5>>,
    wnd32: Signal<Local, Bits<32>>,
    waddr: Signal<Local, Bits<64>>,
    pk: Signal<Local, Bits<32>>,
    d_bytes: Signal<Local, Bits<32>>,
    d_flags: Signal<Local, Bits<3>>,
    c_sum: Signal<Local, Bits<65>>,
    c_bad: Signal<Local, Bit>,
    /// The command word ends the message with status `c_fst`.
    c_fault: Signal<Local, Bit>,
    c_fst: Signal<Local, Bits<8>>,
    /// Slot index whose scatter-gather entry is read next clock.
    rd_head: Signal<Local, Bits<5>>,
    c_i1: Signal<Local, Bits<16>>,
    c_cons: Signal<Local, Bits<16>>,
    dr: Signal<Local, Bits<32>>,
    len1: Signal<Local, Bits<32>>,
    c_res: Signal<Local, Bit>,
    c_rst: Signal<Local, Bits<8>>,
    c_win: Signal<Local, Bits<36>>,
    c_hi: Signal<Local, Bit>,
    // Event emitter.
    es: DFF<EmState>,
    e_hs: Signal<Local, Bit>,
    // Counters.
    n_segs: DFF<Bits<32>>,
    n_bytes: DFF<Bits<32>>,
    n_dup: DFF<Bits<32>>,
    n_oow: DFF<Bits<32>>,
    n_ooo: DFF<Bits<32>>,
    n_exc: DFF<Bits<32>>,
    n_lists: DFF<Bits<32>>,
    n_nolist: DFF<Bits<32>>,
}

fn k8(v: u64) -> Constant<Bits<8>> {
    Constant::new(v.to_bits())
}

impl<const CB: usize, const CB4: usize> RcvCore<CB, CB4> {
    /// The core for `rcv.sg_entries` scatter-gather entries per connection (1..=16).
    /// `ack_every` (1..=64) and `delack_cycles` (below 2^31) are `rcv.ack_every` and
    /// `rcv.delack_us` in clocks.
    /// `hold_frames` (1..=16) is `rcv.hold_frames`.
    pub fn new(sg_entries: u32, ack_every: u32, delack_cycles: u64, hold_frames: u32) -> Self {
        assert!((1..=64).contains(&ack_every) && delack_cycles < 1 << 31);
        assert!((1..=RCV_HOLD_SLOTS as u32).contains(&hold_frames));
        assert!(
            (1..=RCV_SG_SLOTS as u32).contains(&sg_entries),
            "rcv.sg_entries is checked by the config"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_act_valid: Default::default(),
            s_act_conn: Default::default(),
            s_act_ctx: Default::default(),
            s_act_nxt: Default::default(),
            s_act_wnd: Default::default(),
            s_act_wsh: Default::default(),
            s_act_mss: Default::default(),
            m_ak_valid: Default::default(),
            m_ak_conn: Default::default(),
            m_ak_ack: Default::default(),
            m_ak_win: Default::default(),
            m_ak_ready: Default::default(),
            s_ak_busy: Default::default(),
            timer_en: Default::default(),
            acks: Default::default(),
            ooo_segs: Default::default(),
            s_fq_valid: Default::default(),
            s_fq_conn: Default::default(),
            m_fq_done: Default::default(),
            m_fq_active: Default::default(),
            m_fq_nxt: Default::default(),
            m_fq_wnd: Default::default(),
            m_up_valid: Default::default(),
            m_up_word: Default::default(),
            m_up_ready: Default::default(),
            s_tdata: Default::default(),
            s_tkeep: Default::default(),
            s_tvalid: Default::default(),
            s_tready: Default::default(),
            s_tlast: Default::default(),
            s_tuser: Default::default(),
            s_lk_meta: Default::default(),
            s_lk_status: Default::default(),
            s_lk_conn: Default::default(),
            s_lk_tvalid: Default::default(),
            s_lk_tready: Default::default(),
            m_tdata: Default::default(),
            m_tkeep: Default::default(),
            m_tvalid: Default::default(),
            m_tready: Default::default(),
            m_tlast: Default::default(),
            m_tuser: Default::default(),
            m_lk_meta: Default::default(),
            m_lk_status: Default::default(),
            m_lk_conn: Default::default(),
            m_lk_fdata: Default::default(),
            m_lk_nobuf: Default::default(),
            s_buf_posted: Default::default(),
            m_lk_tvalid: Default::default(),
            m_lk_tready: Default::default(),
            m_x_tdata: Default::default(),
            m_x_tlast: Default::default(),
            m_x_tvalid: Default::default(),
            m_x_tready: Default::default(),
            m_pc_start: Default::default(),
            m_pc_len: Default::default(),
            m_pc_last: Default::default(),
            m_pc_valid: Default::default(),
            m_pc_ready: Default::default(),
            m_req_addr: Default::default(),
            m_req_len: Default::default(),
            m_req_tag: Default::default(),
            m_req_valid: Default::default(),
            m_req_ready: Default::default(),
            s_done_status: Default::default(),
            s_done_tag: Default::default(),
            s_done_valid: Default::default(),
            s_done_ready: Default::default(),
            s_cmd_tdata: Default::default(),
            s_cmd_tvalid: Default::default(),
            s_cmd_tlast: Default::default(),
            s_cmd_tready: Default::default(),
            m_evt_tdata: Default::default(),
            m_evt_tlast: Default::default(),
            m_evt_tvalid: Default::default(),
            m_evt_tready: Default::default(),
            placed_segs: Default::default(),
            placed_bytes: Default::default(),
            dup_segs: Default::default(),
            out_of_window: Default::default(),
            ooo_drops: Default::default(),
            exceptions: Default::default(),
            lists_done: Default::default(),
            no_list: Default::default(),
            indicated: Default::default(),
            hold_drops: Default::default(),
            cmd_errors: Default::default(),
            sg_limit: Constant::new((sg_entries as u64).to_bits()),
            k_max_frame: Constant::new((ENGINE_MAX_FRAME as u64).to_bits()),
            k_conns: Constant::new((1u64 << CB).to_bits()),
            k_op_wu: k8(Opcode::WinUpdate as u64),
            k_ok: k8(CmdStatus::Ok as u64),
            k_trunc: k8(CmdStatus::Truncated as u64),
            k_bad_entry: k8(CmdStatus::BadEntry as u64),
            k_bad_header: k8(CmdStatus::BadHeader as u64),
            k_trailing: k8(CmdStatus::TrailingWords as u64),
            k_dma: k8(CmdStatus::DmaError as u64),
            k_unknown: k8(EntryStatus::UnknownHandle as u64),
            k_nores: k8(EntryStatus::NoResources as u64),
            k_t_error: k8(EventType::Error as u64),
            k_t_done: k8(EventType::RcvDone as u64),
            ctx_ram: Default::default(),
            sg_ram: Default::default(),
            act_q: SyncFifo::new(1),
            k_every: Constant::new((ack_every as u64).to_bits()),
            k_delack: Constant::new(delack_cycles.to_bits()),
            tnow: Default::default(),
            ackq: SyncFifo::new(2),
            tmr_ram: Default::default(),
            dueq: SyncFifo::new(1),
            sw_i: Default::default(),
            sw_c: Default::default(),
            sw_nx: Default::default(),
            sw_d: Default::default(),
            tw_ctx: Default::default(),
            n_acks: Default::default(),
            f_ind: Default::default(),
            f_oo: Default::default(),
            f_gap: Default::default(),
            f_virt: Default::default(),
            f_vrem: Default::default(),
            f_fill: Default::default(),
            n_oseg: Default::default(),
            o_off: Default::default(),
            o_fit: Default::default(),
            o_s: Default::default(),
            o_e: Default::default(),
            o_place: Default::default(),
            g_k: Default::default(),
            j_nxt: Default::default(),
            j_s: Default::default(),
            j_e: Default::default(),
            j_fill: Default::default(),
            j_go: Default::default(),
            ak_w: Default::default(),
            ak_conn: Default::default(),
            ak_nxt: Default::default(),
            ak_right: Default::default(),
            ak_wsh: Default::default(),
            ak_wnd: Default::default(),
            ak_sc: Default::default(),
            ak_w16: Default::default(),
            acc: Default::default(),
            un1: Default::default(),
            r_fin: Default::default(),
            wo_b: Default::default(),
            wo_r: Default::default(),
            wo_a: Default::default(),
            wo_ok: Default::default(),
            t_d: Default::default(),
            tw33: Default::default(),
            ms: Default::default(),
            init_i: Default::default(),
            r_rec: Default::default(),
            r_status: Default::default(),
            r_conn: Default::default(),
            fc: Default::default(),
            f_start: Default::default(),
            f_rem: Default::default(),
            f_push: Default::default(),
            f_any: Default::default(),
            f_bytes: Default::default(),
            rc: Default::default(),
            is_fast: Default::default(),
            flags: Default::default(),
            seq: Default::default(),
            plen: Default::default(),
            pend: Default::default(),
            pend17: Default::default(),
            d_nxt_end: Default::default(),
            d_right_end: Default::default(),
            d_nxt_s: Default::default(),
            skip: Default::default(),
            slot: Default::default(),
            avail: Default::default(),
            k: Default::default(),
            kfull: Default::default(),
            klast: Default::default(),
            lend: Default::default(),
            short: Default::default(),
            nh: Default::default(),
            rem32: Default::default(),
            maxwin: Default::default(),
            room: Default::default(),
            redge: Default::default(),
            sg_base: Default::default(),
            sg_off: Default::default(),
            inq: SyncFifo::new(2),
            steer: SyncFifo::new(2),
            hbuf: Default::default(),
            hrec: Default::default(),
            hord: Default::default(),
            hcnt: Default::default(),
            hfree: Default::default(),
            k_hold: Constant::new((hold_frames as u64).to_bits()),
            rel_on: Default::default(),
            rel_flush: Default::default(),
            rel_tr: Default::default(),
            rel_k: Default::default(),
            rel_conn: Default::default(),
            f_src: Default::default(),
            f_slot: Default::default(),
            n_held: Default::default(),
            m_done: Default::default(),
            h_low: Default::default(),
            h_sh: Default::default(),
            h_entry: Default::default(),
            h_shifted: Default::default(),
            h_one: Default::default(),
            h_mask: Default::default(),
            h_keep_hi: Default::default(),
            h_new: Default::default(),
            h_bit: Default::default(),
            h_rm: Default::default(),
            h_add: Default::default(),
            h_src: Default::default(),
            h_k: Default::default(),
            h_go: Default::default(),
            rr_miss: Default::default(),
            upq2: SyncFifo::new(1),
            k_up_nobuf: k8(UploadReason::NoBuffer as u64),
            up_drop: Default::default(),
            fw_hd: Default::default(),
            fw_hs: Default::default(),
            fw_slot: Default::default(),
            fw_hb: Default::default(),
            hr_ph: Default::default(),
            fw_src: Default::default(),
            fw_hdst: Default::default(),
            fw_sl: Default::default(),
            fw_word: Default::default(),
            credit: Default::default(),
            cr_use: Default::default(),
            cr_has: Default::default(),
            rr_fd: Default::default(),
            f_ring: Default::default(),
            i_valid: Default::default(),
            i_last: Default::default(),
            n_ind: Default::default(),
            n_hdrop: Default::default(),
            n_cmderr: Default::default(),
            fq_ack: Default::default(),
            fq_done: Default::default(),
            fq_act: Default::default(),
            fq_nxt: Default::default(),
            fq_wnd: Default::default(),
            q_first: Default::default(),
            ring_rec: SyncFifo::new(2),
            ring_res: SyncFifo::new(2),
            pcq: SyncFifo::new(3),
            reqq: SyncFifo::new(3),
            doneq: SyncFifo::new(3),
            lerr: SyncFifo::new(2),
            connq: SyncFifo::new(4),
            upq: SyncFifo::new(1),
            k_up_dma: k8(UploadReason::DmaError as u64),
            respq: SyncFifo::new(4),
            pc_word: Default::default(),
            req_word: Default::default(),
            done_word: Default::default(),
            resp_word: Default::default(),
            room_ok: Default::default(),
            fw_busy: Default::default(),
            fw_ring: Default::default(),
            fw_xd: Default::default(),
            fw_x: Default::default(),
            fw_act: Default::default(),
            fw_dst: Default::default(),
            fw_beat: Default::default(),
            err_acc: Default::default(),
            d_err: Default::default(),
            cs: Default::default(),
            c_op_wu: Default::default(),
            c_tag: Default::default(),
            c_count: Default::default(),
            c_done: Default::default(),
            c_status: Default::default(),
            c_handle: Default::default(),
            c_ctx: Default::default(),
            c_n: Default::default(),
            c_i: Default::default(),
            c_ltag: Default::default(),
            c_addr: Default::default(),
            c_llen: Default::default(),
            c_verr: Default::default(),
            c_ok: Default::default(),
            c_tail: Default::default(),
            c_lastw: Default::default(),
            c_bytes: Default::default(),
            c_rs: Default::default(),
            w: Default::default(),
            w_take: Default::default(),
            c_known: Default::default(),
            c_used: Default::default(),
            used5: Default::default(),
            wnd32: Default::default(),
            waddr: Default::default(),
            pk: Default::default(),
            d_bytes: Default::default(),
            d_flags: Default::default(),
            c_sum: Default::default(),
            c_bad: Default::default(),
            c_fault: Default::default(),
            c_fst: Default::default(),
            rd_head: Default::default(),
            c_i1: Default::default(),
            c_cons: Default::default(),
            dr: Default::default(),
            len1: Default::default(),
            c_res: Default::default(),
            c_rst: Default::default(),
            c_win: Default::default(),
            c_hi: Default::default(),
            es: Default::default(),
            e_hs: Default::default(),
            n_segs: Default::default(),
            n_bytes: Default::default(),
            n_dup: Default::default(),
            n_oow: Default::default(),
            n_ooo: Default::default(),
            n_exc: Default::default(),
            n_lists: Default::default(),
            n_nolist: Default::default(),
        }
    }
}

impl<const CB: usize, const CB4: usize> Logic for RcvCore<CB, CB4> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, ms, init_i, r_rec, r_status, r_conn, fc, f_start, f_rem, f_push, f_any,
            f_bytes, fw_busy, fw_ring, fw_xd, err_acc, cs, c_op_wu, c_tag, c_count, c_done,
            c_status, c_handle, c_ctx, c_n, c_i, c_ltag, c_addr, c_llen, c_verr, c_ok, c_tail,
            c_lastw, c_bytes, c_rs, es, n_segs, n_bytes, n_dup, n_oow, n_ooo, n_exc, n_lists,
            n_nolist, credit, f_ring, n_ind, n_hdrop, n_cmderr, fq_ack, fq_done, fq_act, fq_nxt,
            fq_wnd, q_first, tnow, sw_i, sw_c, n_acks, f_ind, f_oo, f_gap, f_virt, f_vrem, f_fill,
            n_oseg, hord, hcnt, hfree, rel_on, rel_flush, rel_tr, rel_k, rel_conn, f_src, f_slot,
            n_held, fw_hd, fw_hs, fw_slot, fw_hb, hr_ph
        );
        clock!(
            self, clock, connq, upq, act_q, inq, steer, ring_rec, ring_res, pcq, reqq, doneq, lerr,
            respq, ackq, dueq, upq2
        );
        self.upq2.reset.next = self.reset.val();
        self.hbuf.read_clock.next = self.clock.val();
        self.hbuf.write_clock.next = self.clock.val();
        self.hrec.read_clock.next = self.clock.val();
        self.hrec.write_clock.next = self.clock.val();
        self.ackq.reset.next = self.reset.val();
        self.dueq.reset.next = self.reset.val();
        self.tmr_ram.read_clock.next = self.clock.val();
        self.tmr_ram.write_clock.next = self.clock.val();
        self.acks.next = self.n_acks.q.val();
        self.ooo_segs.next = self.n_oseg.q.val();
        if self.timer_en.val() {
            self.tnow.d.next = self.tnow.q.val() + 1;
        }
        self.act_q.reset.next = self.reset.val();
        self.steer.reset.next = self.reset.val();
        self.inq.reset.next = self.reset.val();
        self.connq.reset.next = self.reset.val();
        self.upq.reset.next = self.reset.val();
        self.ring_rec.reset.next = self.reset.val();
        self.ring_res.reset.next = self.reset.val();
        self.pcq.reset.next = self.reset.val();
        self.reqq.reset.next = self.reset.val();
        self.doneq.reset.next = self.reset.val();
        self.lerr.reset.next = self.reset.val();
        self.respq.reset.next = self.reset.val();
        self.ctx_ram.read_clock.next = self.clock.val();
        self.ctx_ram.write_clock.next = self.clock.val();
        self.sg_ram.read_clock.next = self.clock.val();
        self.sg_ram.write_clock.next = self.clock.val();
        self.placed_segs.next = self.n_segs.q.val();
        self.placed_bytes.next = self.n_bytes.q.val();
        self.dup_segs.next = self.n_dup.q.val();
        self.out_of_window.next = self.n_oow.q.val();
        self.ooo_drops.next = self.n_ooo.q.val();
        self.exceptions.next = self.n_exc.q.val();
        self.lists_done.next = self.n_lists.q.val();
        self.no_list.next = self.n_nolist.q.val();
        self.indicated.next = self.n_ind.q.val();
        self.hold_drops.next = self.n_hdrop.q.val();
        self.cmd_errors.next = self.n_cmderr.q.val();
        self.fq_done.d.next = false;
        self.m_fq_done.next = self.fq_done.q.val();
        self.m_fq_active.next = self.fq_act.q.val();
        self.m_fq_nxt.next = self.fq_nxt.q.val();
        self.m_fq_wnd.next = self.fq_wnd.q.val();
        if !self.s_fq_valid.val() {
            self.fq_ack.d.next = false;
        }

        // ---- Defaults of every local.
        self.rc.next = self.ctx_ram.read_data.val();
        self.slot.next = self.sg_ram.read_data.val();
        self.is_fast.next = false;
        self.flags.next = self.r_rec.q.val().tcp_flags;
        self.seq.next = self.r_rec.q.val().tcp_seq;
        self.plen.next = bit_cast::<32, 16>(self.r_rec.q.val().payload_len);
        self.pend.next = self.seq.val() + self.plen.val();
        self.pend17.next = bit_cast::<17, 16>(self.r_rec.q.val().payload_offset)
            + bit_cast::<17, 16>(self.r_rec.q.val().payload_len);
        self.d_nxt_end.next = self.rc.val().nxt - self.pend.val();
        self.d_right_end.next = self.rc.val().right - self.pend.val();
        self.d_nxt_s.next = self.rc.val().nxt - self.seq.val();
        self.skip.next = self.rc.val().nxt - self.seq.val();
        self.avail.next = self.slot.val().len - self.fc.q.val().eoff;
        self.rem32.next = bit_cast::<32, 16>(self.f_rem.q.val());
        if self.f_virt.q.val() {
            self.rem32.next = self.f_vrem.q.val();
        }
        self.k.next = self.rem32.val();
        if self.avail.val() < self.rem32.val() {
            self.k.next = self.avail.val();
        }
        self.kfull.next = self.k.val() == self.avail.val();
        self.nh.next = self.fc.q.val().head + 1;
        // (Out-of-order placement completes no list.)
        self.lend.next = self.kfull.val() & self.slot.val().last & !self.f_oo.q.val();
        // The in-order bytes end: the out-of-order range is reached (filled) and RCV.NXT
        // jumps to its end when that is further (`j_go`).
        self.j_nxt.next = self.fc.q.val().nxt + self.k.val();
        self.j_s.next = self.j_nxt.val() - self.fc.q.val().os;
        self.j_e.next = self.j_nxt.val() - self.fc.q.val().oe;
        self.j_fill.next = (self.k.val() == self.rem32.val())
            & !self.f_oo.q.val()
            & !self.f_virt.q.val()
            & self.fc.q.val().ooo
            & !self.j_s.val().get_bit(31);
        self.j_go.next = self.j_fill.val() & self.j_e.val().get_bit(31);
        self.short.next = (self.k.val() == self.rem32.val())
            & self.f_push.q.val()
            & !self.lend.val()
            & !self.j_go.val();
        self.klast.next = (self.k.val() == self.rem32.val())
            | (self.kfull.val() & (self.nh.val() == self.fc.q.val().tail));
        self.maxwin.next = 0xFFFF.into();
        self.maxwin.next = self.maxwin.val() << bit_cast::<36, 4>(self.fc.q.val().wsh);
        self.room.next = self.fc.q.val().space;
        if self.maxwin.val() < self.room.val() {
            self.room.next = self.maxwin.val();
        }
        self.redge.next = self.fc.q.val().nxt + self.room.val().get_bits::<32>(0);
        self.dr.next = self.fc.q.val().right - self.redge.val();
        self.sg_base.next = bit_cast::<CB4, 16>(self.r_conn.q.val()) << 4;
        self.rd_head.next = self.fc.q.val().head;
        self.w.next = self.s_cmd_tdata.val();
        self.w_take.next = false;
        // RCVLIST / WINUPDATE entries: the connection is the fast path's, with that host
        // context (read in CFit2 and CAp2).
        self.c_known.next = self.rc.val().active
            & (self.rc.val().ctx == self.c_ctx.q.val())
            & (bit_cast::<17, 16>(self.c_handle.q.val()) < self.k_conns.val());
        self.c_used.next = 0.into();
        self.used5.next = 0.into();
        self.wnd32.next = 0.into();
        self.len1.next = self.w.val().get_bits::<32>(0) - 1;
        self.c_sum.next =
            bit_cast::<65, 64>(self.c_addr.q.val()) + bit_cast::<65, 32>(self.len1.val());
        self.c_bad.next = false;
        self.c_fault.next = false;
        self.c_fst.next = self.k_trunc.val();
        self.c_i1.next = self.c_i.q.val() + 1;
        self.c_cons.next = self.c_done.q.val();
        self.c_res.next = false;
        self.c_rst.next = 0.into();
        self.c_win.next = 0.into();
        self.c_hi.next = false;
        self.d_err.next = false;
        self.e_hs.next = false;
        self.fw_act.next = false;
        self.fw_dst.next = false;
        self.fw_x.next = false;
        self.fw_beat.next = false;
        self.cr_has.next = self.credit.q.val() != 0;
        self.cr_use.next = false;
        self.rr_fd.next = false;
        self.i_valid.next = false;
        self.i_last.next = false;
        self.ak_w.next = false;
        self.ak_conn.next = self.r_conn.q.val();
        self.ak_nxt.next = self.rc.val().nxt;
        self.ak_right.next = self.rc.val().right;
        self.ak_wsh.next = self.rc.val().wsh;
        self.acc.next = false;
        self.un1.next = self.fc.q.val().unacked + 1;
        self.r_fin.next = self.fc.q.val().right;
        self.wo_b.next = self.rc.val().right - self.rc.val().nxt;
        self.wo_r.next = self.rc.val().right;
        self.wo_a.next = 0.into();
        self.wo_ok.next = false;
        self.t_d.next = self.tnow.q.val() - self.rc.val().dl;
        self.dueq.read.next = false;
        // Hold store helpers: where a decision ends, the lowest free slot, entry `h_k`.
        self.m_done.next = MState::Idle;
        if self.rel_on.q.val() {
            self.m_done.next = MState::RScan;
        }
        self.h_src.next = 0.into();
        if self.f_src.q.val() {
            self.h_src.next = (bit_cast::<8, 4>(self.f_slot.q.val()) << 4) | 8;
        }
        self.h_low.next = 0.into();
        if self.hfree.q.val().get_bit(15) {
            self.h_low.next = 15.into();
        }
        if self.hfree.q.val().get_bit(14) {
            self.h_low.next = 14.into();
        }
        if self.hfree.q.val().get_bit(13) {
            self.h_low.next = 13.into();
        }
        if self.hfree.q.val().get_bit(12) {
            self.h_low.next = 12.into();
        }
        if self.hfree.q.val().get_bit(11) {
            self.h_low.next = 11.into();
        }
        if self.hfree.q.val().get_bit(10) {
            self.h_low.next = 10.into();
        }
        if self.hfree.q.val().get_bit(9) {
            self.h_low.next = 9.into();
        }
        if self.hfree.q.val().get_bit(8) {
            self.h_low.next = 8.into();
        }
        if self.hfree.q.val().get_bit(7) {
            self.h_low.next = 7.into();
        }
        if self.hfree.q.val().get_bit(6) {
            self.h_low.next = 6.into();
        }
        if self.hfree.q.val().get_bit(5) {
            self.h_low.next = 5.into();
        }
        if self.hfree.q.val().get_bit(4) {
            self.h_low.next = 4.into();
        }
        if self.hfree.q.val().get_bit(3) {
            self.h_low.next = 3.into();
        }
        if self.hfree.q.val().get_bit(2) {
            self.h_low.next = 2.into();
        }
        if self.hfree.q.val().get_bit(1) {
            self.h_low.next = 1.into();
        }
        if self.hfree.q.val().get_bit(0) {
            self.h_low.next = 0.into();
        }
        self.h_k.next = self.hcnt.q.val();
        if self.rel_on.q.val() {
            self.h_k.next = self.rel_k.q.val();
        }
        self.h_sh.next =
            (bit_cast::<9, 5>(self.h_k.val()) << 4) + (bit_cast::<9, 5>(self.h_k.val()) << 2);
        self.h_shifted.next = self.hord.q.val() >> self.h_sh.val();
        self.h_entry.next = self.h_shifted.val().get_bits::<20>(0);
        self.h_one.next = 1.into();
        self.h_mask.next = (self.h_one.val() << self.h_sh.val()) - self.h_one.val();
        self.h_keep_hi.next = (self.hord.q.val() >> 20) & !self.h_mask.val();
        self.h_new.next = bit_cast::<320, 16>(self.r_conn.q.val()) << 4;
        self.h_new.next =
            (self.h_new.val() | bit_cast::<320, 4>(self.h_low.val())) << self.h_sh.val();
        self.h_bit.next = 1.into();
        self.h_rm.next = false;
        self.h_add.next = false;
        self.h_go.next = false;
        self.rr_miss.next = false;
        self.up_drop.next = false;
        self.hrec.read_address.next = self.f_slot.q.val();
        self.hrec.write_enable.next = false;
        self.hrec.write_address.next = self.h_low.val();
        self.hrec.write_data.next = self.r_rec.q.val();
        self.o_off.next = self.seq.val() - self.rc.val().nxt;
        self.o_fit.next =
            bit_cast::<36, 32>(self.o_off.val()) + bit_cast::<36, 32>(self.plen.val());
        self.o_s.next = self.seq.val() - self.rc.val().os;
        self.o_e.next = self.rc.val().oe - self.pend.val();
        self.o_place.next = false;
        self.g_k.next = self.f_gap.q.val();
        if self.avail.val() < self.f_gap.q.val() {
            self.g_k.next = self.avail.val();
        }

        // ---- RAM ports, FIFO writes: defaults.
        self.ctx_ram.read_address.next = self.r_conn.q.val().get_bits::<CB>(0);
        self.ctx_ram.write_address.next = self.r_conn.q.val().get_bits::<CB>(0);
        self.ctx_ram.write_data.next = self.fc.q.val();
        self.ctx_ram.write_enable.next = false;
        self.sg_ram.write_address.next = self.sg_base.val();
        self.sg_ram.write_data.next = self.slot.val();
        self.sg_ram.write_enable.next = false;
        self.act_q.write.next = self.s_act_valid.val();
        self.act_q.data_in.next = bit_cast::<132, 16>(self.s_act_conn.val());
        self.act_q.data_in.next =
            (self.act_q.data_in.val() << 32) | bit_cast::<132, 32>(self.s_act_ctx.val());
        self.act_q.data_in.next =
            (self.act_q.data_in.val() << 32) | bit_cast::<132, 32>(self.s_act_nxt.val());
        self.act_q.data_in.next =
            (self.act_q.data_in.val() << 32) | bit_cast::<132, 32>(self.s_act_wnd.val());
        self.act_q.data_in.next =
            (self.act_q.data_in.val() << 4) | bit_cast::<132, 4>(self.s_act_wsh.val());
        self.act_q.data_in.next =
            (self.act_q.data_in.val() << 16) | bit_cast::<132, 16>(self.s_act_mss.val());
        self.act_q.read.next = false;
        self.steer.write.next = false;
        self.steer.data_in.next = 2.into();
        self.ring_rec.write.next = false;
        self.ring_rec.data_in.next = self.r_rec.q.val();
        self.ring_res.write.next = false;
        self.pcq.write.next = false;
        self.reqq.write.next = false;
        self.doneq.write.next = false;
        self.respq.write.next = false;
        self.s_lk_tready.next = false;
        self.s_cmd_tready.next = false;
        self.room_ok.next = !self.ackq.almost_full.val()
            & !self.upq2.almost_full.val()
            & !self.connq.almost_full.val()
            & !self.steer.almost_full.val()
            & !self.ring_rec.almost_full.val()
            & !self.pcq.almost_full.val()
            & !self.reqq.almost_full.val()
            & !self.doneq.almost_full.val();

        // Piece {last, len, start}, request {tag, len, addr} and list completion bytes and
        // flags for the slot at `head` (used in FPlace).
        self.pc_word.next = (bit_cast::<33, 16>(self.k.val().get_bits::<16>(0)) << 16)
            | bit_cast::<33, 16>(self.f_start.q.val());
        if self.klast.val() {
            self.pc_word.next = self.pc_word.val() | (bit_cast::<33, 1>(1.into()) << 32);
        }
        self.waddr.next = self.slot.val().addr + bit_cast::<64, 32>(self.fc.q.val().eoff);
        self.req_word.next = (bit_cast::<96, 16>(self.k.val().get_bits::<16>(0)) << 64)
            | bit_cast::<96, 64>(self.waddr.val());
        if self.lend.val() | self.short.val() {
            // Tag bit 0: the list's last write.
            self.req_word.next = self.req_word.val() | (bit_cast::<96, 1>(1.into()) << 80);
        }
        self.pk.next = self.fc.q.val().placed + self.k.val();
        self.d_bytes.next = self.pk.val();
        self.d_flags.next = 0.into();
        if self.short.val() {
            self.d_flags.next = 3.into();
        }
        self.pcq.data_in.next = self.pc_word.val();
        self.reqq.data_in.next = self.req_word.val();
        self.resp_word.next = 0.into();

        // ---- Main state machine.
        match self.ms.q.val() {
            MState::Init => {
                // Clear every connection's context after reset.
                self.ctx_ram.write_enable.next = true;
                self.ctx_ram.write_address.next = self.init_i.q.val().get_bits::<CB>(0);
                self.ctx_ram.write_data.next.active = false;
                self.init_i.d.next = self.init_i.q.val() + 1;
                if self.init_i.q.val().get_bits::<CB>(0).all() {
                    self.ms.d.next = MState::Idle;
                }
            }
            MState::Idle => {
                if !self.act_q.empty.val() {
                    // {conn, ctx, nxt, wnd, wsh}: a new context, no lists.
                    self.act_q.read.next = true;
                    self.ctx_ram.write_enable.next = true;
                    self.ctx_ram.write_address.next = self.act_q.data_out.val().get_bits::<CB>(116);
                    self.ctx_ram.write_data.next.active = true;
                    self.ctx_ram.write_data.next.ctx = self.act_q.data_out.val().get_bits::<32>(84);
                    self.ctx_ram.write_data.next.nxt = self.act_q.data_out.val().get_bits::<32>(52);
                    self.ctx_ram.write_data.next.right =
                        self.act_q.data_out.val().get_bits::<32>(52)
                            + self.act_q.data_out.val().get_bits::<32>(20);
                    self.ctx_ram.write_data.next.wsh = self.act_q.data_out.val().get_bits::<4>(16);
                    self.ctx_ram.write_data.next.mss = self.act_q.data_out.val().get_bits::<16>(0);
                    self.ctx_ram.write_data.next.unacked = 0.into();
                    self.ctx_ram.write_data.next.dl = 0.into();
                    self.ctx_ram.write_data.next.ooo = false;
                    self.ctx_ram.write_data.next.head = 0.into();
                    self.ctx_ram.write_data.next.tail = 0.into();
                    self.ctx_ram.write_data.next.lhead = 0.into();
                    self.ctx_ram.write_data.next.eoff = 0.into();
                    self.ctx_ram.write_data.next.placed = 0.into();
                    self.ctx_ram.write_data.next.space = 0.into();
                    self.ctx_ram.write_data.next.waiting = false;
                } else if self.s_fq_valid.val() & !self.fq_ack.q.val() {
                    // The connection's ACK requests go first (the offload core serves
                    // them while it waits); nothing new is taken meanwhile.
                    if self.ackq.empty.val() & !self.s_ak_busy.val() {
                        self.fq_ack.d.next = true;
                        self.r_conn.d.next = self.s_fq_conn.val();
                        self.ms.d.next = MState::Q1;
                    }
                } else if !self.dueq.empty.val() & !self.ackq.almost_full.val() {
                    // A delayed ACK may be due.
                    self.dueq.read.next = true;
                    self.r_conn.d.next = self.dueq.data_out.val();
                    self.ctx_ram.read_address.next = self.dueq.data_out.val().get_bits::<CB>(0);
                    self.ms.d.next = MState::TChk;
                } else if self.s_cmd_tvalid.val() & !self.respq.almost_full.val() {
                    self.ms.d.next = MState::Cmd;
                } else if self.s_lk_tvalid.val() & self.room_ok.val() {
                    self.s_lk_tready.next = true;
                    self.r_rec.d.next = self.s_lk_meta.val();
                    self.r_status.d.next = self.s_lk_status.val();
                    self.r_conn.d.next = self.s_lk_conn.val();
                    self.ctx_ram.read_address.next = self.s_lk_conn.val().get_bits::<CB>(0);
                    self.f_src.d.next = false;
                    self.ms.d.next = MState::FRd;
                }
            }
            MState::FRd => {
                self.fc.d.next = self.rc.val();
                self.is_fast.next = (self.r_status.q.val() == 3) & self.rc.val().active;
                self.f_push.d.next = self.flags.val().get_bit(3);
                self.f_any.d.next = false;
                self.f_bytes.d.next = 0.into();
                self.f_start.d.next =
                    self.r_rec.q.val().payload_offset + self.skip.val().get_bits::<16>(0);
                self.f_rem.d.next =
                    self.r_rec.q.val().payload_len - self.skip.val().get_bits::<16>(0);
                self.f_ring.d.next = false;
                self.f_ind.d.next = false;
                self.f_oo.d.next = false;
                self.f_gap.d.next = 0.into();
                self.f_virt.d.next = false;
                self.f_vrem.d.next = 0.into();
                self.f_fill.d.next = false;
                self.ms.d.next = self.m_done.val();
                self.steer.write.next = true;
                // A released frame leaves the store unless it is held again.
                self.h_rm.next = self.rel_on.q.val();
                if !self.is_fast.val() {
                    self.steer.data_in.next = 1.into();
                    self.ring_rec.write.next = true;
                    self.ring_res.write.next = true;
                    self.cr_use.next = self.cr_has.val();
                } else if !self.r_rec.q.val().candidate.any()
                    | (self.pend17.val() > self.k_max_frame.val())
                {
                    self.n_exc.d.next = self.n_exc.q.val() + 1;
                    self.steer.data_in.next = 1.into();
                    self.ring_rec.write.next = true;
                    self.ring_res.write.next = true;
                    self.cr_use.next = self.cr_has.val();
                } else {
                    // Dropped unless placed: the extractor discards the frame.
                    self.pcq.data_in.next = bit_cast::<33, 1>(1.into()) << 32;
                    if self.plen.val() == 0 {
                        self.pcq.write.next = true;
                        if self.seq.val() != self.rc.val().nxt {
                            // A keep-alive probe or an old segment: ACK at once.
                            self.n_dup.d.next = self.n_dup.q.val() + 1;
                            self.ak_w.next = true;
                        }
                    } else if self.rc.val().waiting {
                        // Waiting for a list: held (not acknowledged) while the store
                        // has room, else dropped and an upload asked for (NO_BUFFER).
                        if self.rel_on.q.val() {
                            // Released, but the connection waits again: it stays.
                            self.steer.write.next = false;
                            self.h_rm.next = false;
                            self.rel_k.d.next = self.rel_k.q.val() + 1;
                        } else if self.hcnt.q.val() < self.k_hold.val() {
                            self.h_add.next = true;
                            self.steer.data_in.next = (bit_cast::<8, 4>(self.h_low.val()) << 4) | 4;
                            self.n_held.d.next = self.n_held.q.val() + 1;
                        } else {
                            self.pcq.write.next = true;
                            self.n_hdrop.d.next = self.n_hdrop.q.val() + 1;
                            self.up_drop.next = true;
                        }
                    } else if !self.d_nxt_end.val().get_bit(31) {
                        // S + L <= RCV.NXT: all old (ACK at once).
                        self.pcq.write.next = true;
                        self.n_dup.d.next = self.n_dup.q.val() + 1;
                        self.ak_w.next = true;
                    } else if self.d_right_end.val().get_bit(31) {
                        self.pcq.write.next = true;
                        self.n_oow.d.next = self.n_oow.q.val() + 1;
                        self.ak_w.next = true;
                    } else if self.d_nxt_s.val().get_bit(31) {
                        // Out of order (S > RCV.NXT), a duplicate ACK in any case. Placed
                        // at its stream position when it ends inside the posted lists
                        // and starts the range or extends it at its end; inside the
                        // range: a duplicate; else dropped.
                        self.ak_w.next = true;
                        self.pcq.write.next = true;
                        if self.o_fit.val() > self.rc.val().space {
                            self.n_ooo.d.next = self.n_ooo.q.val() + 1;
                        } else if !self.rc.val().ooo | (self.seq.val() == self.rc.val().oe) {
                            self.o_place.next = true;
                            self.pcq.write.next = false;
                            self.steer.write.next = false;
                            self.n_oseg.d.next = self.n_oseg.q.val() + 1;
                            self.f_oo.d.next = true;
                            self.f_gap.d.next = self.o_off.val();
                            self.f_start.d.next = self.r_rec.q.val().payload_offset;
                            self.f_rem.d.next = self.r_rec.q.val().payload_len;
                            self.f_push.d.next = false;
                            self.rd_head.next = self.rc.val().head;
                            self.ms.d.next = MState::FPlace;
                        } else if !self.o_s.val().get_bit(31) & !self.o_e.val().get_bit(31) {
                            self.n_dup.d.next = self.n_dup.q.val() + 1;
                        } else {
                            self.n_ooo.d.next = self.n_ooo.q.val() + 1;
                        }
                    } else {
                        // In order (a trimmed head skipped): read the slot at head.
                        self.steer.write.next = false;
                        self.rd_head.next = self.rc.val().head;
                        self.ms.d.next = MState::FPlace;
                    }
                }
                if self.ak_w.val() {
                    // An ACK now resets the count and the deadline.
                    self.ctx_ram.write_enable.next = true;
                    self.ctx_ram.write_data.next = self.rc.val();
                    self.ctx_ram.write_data.next.unacked = 0.into();
                }
                if self.o_place.val() {
                    // The range starts or grows (written now: the placement walk
                    // does not write the context back).
                    self.ctx_ram.write_data.next.ooo = true;
                    if !self.rc.val().ooo {
                        self.ctx_ram.write_data.next.os = self.seq.val();
                    }
                    self.ctx_ram.write_data.next.oe = self.pend.val();
                }
            }
            MState::FWait => {
                self.ms.d.next = MState::FPlace;
            }
            MState::FPlace => {
                if self.f_gap.q.val() != 0 {
                    // Out of order: skip the bytes before the segment (no write).
                    self.f_gap.d.next = self.f_gap.q.val() - self.g_k.val();
                    self.fc.d.next.eoff = self.fc.q.val().eoff + self.g_k.val();
                    self.rd_head.next = self.fc.q.val().head;
                    if self.g_k.val() == self.avail.val() {
                        self.fc.d.next.eoff = 0.into();
                        self.fc.d.next.head = self.nh.val();
                        self.rd_head.next = self.nh.val();
                        self.ms.d.next = MState::FWait;
                    }
                } else if self.fc.q.val().head == self.fc.q.val().tail {
                    // No list for the rest: indicate the frame (FRAME_DATA) if the ring
                    // has a buffer for it, else the ring drops it and nothing changes.
                    self.f_ring.d.next = true;
                    self.steer.write.next = true;
                    self.steer.data_in.next = 1.into();
                    if self.f_any.q.val() {
                        self.steer.data_in.next = 3.into();
                    }
                    self.ring_rec.write.next = true;
                    self.ring_res.write.next = true;
                    self.rr_fd.next = true;
                    self.cr_use.next = self.cr_has.val();
                    self.j_s.next = self.fc.q.val().nxt - self.fc.q.val().os;
                    if self.fc.q.val().ooo & !self.j_s.val().get_bit(31) {
                        // The placed bytes reached the range: filled.
                        self.f_fill.d.next = true;
                        self.fc.d.next.ooo = false;
                    }
                    if self.cr_has.val() {
                        // Indicated: a range still pending is given up.
                        self.fc.d.next.ooo = false;
                        self.f_ind.d.next = true;
                        self.n_ind.d.next = self.n_ind.q.val() + 1;
                        self.fc.d.next.nxt = self.fc.q.val().nxt + self.rem32.val();
                        self.fc.d.next.waiting = true;
                    } else {
                        self.n_nolist.d.next = self.n_nolist.q.val() + 1;
                    }
                    self.ms.d.next = MState::FDone;
                } else if !self.pcq.almost_full.val()
                    & !self.reqq.almost_full.val()
                    & !self.doneq.almost_full.val()
                    & !self.connq.almost_full.val()
                {
                    // (Filling the hole: the lists advance with no write.)
                    self.pcq.write.next = !self.f_virt.q.val();
                    self.reqq.write.next = !self.f_virt.q.val();
                    if self.f_virt.q.val() {
                        self.f_vrem.d.next = self.f_vrem.q.val() - self.k.val();
                    } else {
                        self.f_any.d.next = true;
                        if !self.f_oo.q.val() {
                            self.f_bytes.d.next =
                                self.f_bytes.q.val() + self.k.val().get_bits::<16>(0);
                        }
                        self.f_rem.d.next = self.f_rem.q.val() - self.k.val().get_bits::<16>(0);
                        self.f_start.d.next = self.f_start.q.val() + self.k.val().get_bits::<16>(0);
                    }
                    self.fc.d.next.nxt = self.fc.q.val().nxt + self.k.val();
                    self.fc.d.next.right = self.fc.q.val().right + self.k.val();
                    self.fc.d.next.placed = self.fc.q.val().placed + self.k.val();
                    self.fc.d.next.space = self.fc.q.val().space - bit_cast::<36, 32>(self.k.val());
                    self.fc.d.next.eoff = self.fc.q.val().eoff + self.k.val();
                    if self.kfull.val() {
                        self.fc.d.next.eoff = 0.into();
                        self.fc.d.next.head = self.nh.val();
                    }
                    if self.lend.val() | self.short.val() {
                        self.doneq.write.next = true;
                        if self.f_virt.q.val() {
                            // The list's completion marker (a zero-length write).
                            self.reqq.write.next = true;
                            self.reqq.data_in.next = bit_cast::<96, 1>(1.into()) << 80;
                        }
                        self.fc.d.next.placed = 0.into();
                        if self.lend.val() | self.slot.val().last {
                            self.fc.d.next.lhead = self.nh.val();
                        }
                        self.n_lists.d.next = self.n_lists.q.val() + 1;
                    }
                    // The next slot (FWait / FSkip read it).
                    self.rd_head.next = self.nh.val();
                    if self.j_fill.val() {
                        self.f_fill.d.next = true;
                        self.fc.d.next.ooo = false;
                    }
                    if self.short.val() {
                        // Short completion: the rest of the list is given up (and a
                        // range still pending).
                        self.fc.d.next.ooo = false;
                        self.fc.d.next.space =
                            self.fc.q.val().space - bit_cast::<36, 32>(self.avail.val());
                        self.fc.d.next.eoff = 0.into();
                        self.fc.d.next.head = self.nh.val();
                        self.ms.d.next = MState::FDone;
                        if !self.slot.val().last {
                            self.ms.d.next = MState::FSkip;
                        }
                    } else if self.j_go.val() {
                        // Fill the hole up to the range's end.
                        self.f_virt.d.next = true;
                        self.f_vrem.d.next = self.fc.q.val().oe - self.j_nxt.val();
                        self.ms.d.next = MState::FWait;
                        if !self.kfull.val() {
                            self.rd_head.next = self.fc.q.val().head;
                        }
                    } else if self.k.val() == self.rem32.val() {
                        self.ms.d.next = MState::FDone;
                    } else {
                        self.ms.d.next = MState::FWait;
                    }
                }
            }
            MState::FSkip => {
                self.ms.d.next = MState::FSkipW;
            }
            MState::FSkipW => {
                // The list's next entry, given up.
                self.fc.d.next.space =
                    self.fc.q.val().space - bit_cast::<36, 32>(self.slot.val().len);
                self.fc.d.next.head = self.nh.val();
                self.rd_head.next = self.nh.val();
                self.ms.d.next = MState::FSkip;
                if self.slot.val().last {
                    self.fc.d.next.lhead = self.nh.val();
                    self.ms.d.next = MState::FDone;
                }
            }
            MState::FDone => {
                // (Out-of-order placement: FRd wrote the context.)
                self.ctx_ram.write_enable.next = !self.f_oo.q.val();
                if !self.f_ring.q.val() {
                    self.steer.write.next = true;
                }
                if (self.f_rem.q.val() == 0) & self.dr.val().get_bit(31) {
                    // R = max(R, RCV.NXT + posted space capped at the largest window).
                    self.ctx_ram.write_data.next.right = self.redge.val();
                    self.r_fin.next = self.redge.val();
                }
                // An accepted segment (bytes placed or indicated) counts towards the
                // ACK: every `rcv.ack_every`-th sends it, the first arms the delay.
                self.acc.next = (self.f_any.q.val() | self.f_ind.q.val()) & !self.f_oo.q.val();
                if self.f_fill.q.val() {
                    // The hole is filled: an ACK at once.
                    self.ak_w.next = true;
                    self.ak_nxt.next = self.fc.q.val().nxt;
                    self.ak_right.next = self.r_fin.val();
                    self.ak_wsh.next = self.fc.q.val().wsh;
                    self.ctx_ram.write_data.next.unacked = 0.into();
                } else if self.acc.val() {
                    if self.un1.val() >= self.k_every.val() {
                        self.ak_w.next = true;
                        self.ak_nxt.next = self.fc.q.val().nxt;
                        self.ak_right.next = self.r_fin.val();
                        self.ak_wsh.next = self.fc.q.val().wsh;
                        self.ctx_ram.write_data.next.unacked = 0.into();
                    } else {
                        self.ctx_ram.write_data.next.unacked = self.un1.val();
                        if self.fc.q.val().unacked == 0 {
                            self.ctx_ram.write_data.next.dl =
                                self.tnow.q.val() + self.k_delack.val();
                        }
                    }
                }
                if self.f_any.q.val() & !self.f_oo.q.val() {
                    self.n_segs.d.next = self.n_segs.q.val() + 1;
                    self.n_bytes.d.next =
                        self.n_bytes.q.val() + bit_cast::<32, 16>(self.f_bytes.q.val());
                }
                self.ms.d.next = self.m_done.val();
            }
            MState::Cmd => {
                self.ms.d.next = MState::Idle;
                if self.s_cmd_tvalid.val() & !self.respq.almost_full.val() {
                    self.s_cmd_tready.next = true;
                    self.w_take.next = true;
                    self.ms.d.next = MState::Cmd;
                }
            }
            MState::CFit => {
                self.ctx_ram.read_address.next = self.c_handle.q.val().get_bits::<CB>(0);
                self.ms.d.next = MState::CFit2;
            }
            MState::CFit2 => {
                // Does the list fit? (Its entries are written only if it does.)
                // (Differences go through a local of their own width: in Verilog a
                // subtraction inside a wider expression does not wrap.)
                self.used5.next = self.rc.val().tail - self.rc.val().lhead;
                self.c_used.next =
                    bit_cast::<17, 5>(self.used5.val()) + bit_cast::<17, 16>(self.c_n.q.val());
                self.c_hi.next = self.c_used.val() > bit_cast::<17, 6>(self.sg_limit.val());
                self.c_ok.d.next = self.c_known.val() & !self.c_hi.val();
                self.c_rs.d.next = 0.into();
                if !self.c_known.val() {
                    self.c_rs.d.next = self.k_unknown.val();
                } else if self.c_hi.val() {
                    self.c_rs.d.next = self.k_nores.val();
                }
                self.c_tail.d.next = self.rc.val().tail;
                self.ms.d.next = MState::Cmd;
            }
            MState::CAp => {
                // (Room for a window-update ACK.)
                self.ctx_ram.read_address.next = self.c_handle.q.val().get_bits::<CB>(0);
                if !self.ackq.almost_full.val() {
                    self.ms.d.next = MState::CAp2;
                }
            }
            MState::CAp2 => {
                // Apply the complete entry and write its result.
                self.ctx_ram.write_address.next = self.c_handle.q.val().get_bits::<CB>(0);
                self.ctx_ram.write_data.next = self.rc.val();
                self.c_res.next = true;
                self.maxwin.next = 0xFFFF.into();
                self.maxwin.next = self.maxwin.val() << bit_cast::<36, 4>(self.rc.val().wsh);
                if self.c_op_wu.q.val() {
                    // WINUPDATE: R = RCV.NXT + min(window + bytes, largest window).
                    self.c_rst.next = self.k_unknown.val();
                    if self.c_known.val() {
                        self.c_rst.next = 0.into();
                        self.wnd32.next = self.rc.val().right - self.rc.val().nxt;
                        self.c_win.next = bit_cast::<36, 32>(self.wnd32.val())
                            + bit_cast::<36, 32>(self.c_bytes.q.val());
                        if self.maxwin.val() < self.c_win.val() {
                            self.c_win.next = self.maxwin.val();
                        }
                        self.ctx_ram.write_enable.next = true;
                        self.wo_r.next = self.rc.val().nxt + self.c_win.val().get_bits::<32>(0);
                        self.ctx_ram.write_data.next.right = self.wo_r.val();
                        self.wo_ok.next = true;
                    }
                } else {
                    // RCVLIST: queue the list; R = max(R, RCV.NXT + min(space, largest)).
                    self.c_rst.next = self.c_rs.q.val();
                    if !self.c_known.val() {
                        self.c_rst.next = self.k_unknown.val();
                    } else if self.c_ok.q.val() {
                        self.ctx_ram.write_enable.next = true;
                        self.ctx_ram.write_data.next.tail =
                            self.rc.val().tail + self.c_n.q.val().get_bits::<5>(0);
                        self.ctx_ram.write_data.next.waiting = false;
                        // The wait ends: the held frames are processed now.
                        self.h_go.next = self.rc.val().waiting;
                        self.c_win.next = self.rc.val().space + self.c_llen.q.val();
                        self.ctx_ram.write_data.next.space = self.c_win.val();
                        if self.maxwin.val() < self.c_win.val() {
                            self.c_win.next = self.maxwin.val();
                        }
                        self.redge.next = self.rc.val().nxt + self.c_win.val().get_bits::<32>(0);
                        self.dr.next = self.rc.val().right - self.redge.val();
                        if self.dr.val().get_bit(31) {
                            self.ctx_ram.write_data.next.right = self.redge.val();
                            self.wo_r.next = self.redge.val();
                        }
                        self.wo_ok.next = true;
                    }
                }
                // The window opened to one MSS: a window-update ACK at once.
                self.wo_a.next = self.wo_r.val() - self.rc.val().nxt;
                if self.wo_ok.val()
                    & (self.wo_b.val() < bit_cast::<32, 16>(self.rc.val().mss))
                    & (self.wo_a.val() >= bit_cast::<32, 16>(self.rc.val().mss))
                {
                    self.ak_w.next = true;
                    self.ak_conn.next = self.c_handle.q.val();
                    self.ak_right.next = self.wo_r.val();
                    self.ctx_ram.write_data.next.unacked = 0.into();
                }
                self.c_done.d.next = self.c_done.q.val() + 1;
                self.cs.d.next = CState::Ent;
                self.ms.d.next = MState::Idle;
                if self.c_lastw.q.val() {
                    // The command's last word: the trailer follows.
                    self.c_status.d.next = self.k_trunc.val();
                    if self.c_done.q.val() + 1 == self.c_count.q.val() {
                        self.c_status.d.next = self.k_ok.val();
                    }
                    self.cs.d.next = CState::Hdr;
                    self.ms.d.next = MState::CTr;
                }
                if self.h_go.val() {
                    self.rel_on.d.next = true;
                    self.rel_flush.d.next = false;
                    self.rel_k.d.next = 0.into();
                    self.rel_conn.d.next = self.c_handle.q.val();
                    self.rel_tr.d.next = self.c_lastw.q.val();
                    self.ms.d.next = MState::RScan;
                }
            }
            MState::Q1 => {
                // ctx_ram.read_address = r_conn (the default).
                self.ms.d.next = MState::Q2;
            }
            MState::Q2 => {
                // Answer the offload core with RCV.NXT and the window, stop the fast path
                // for the connection, and return its lists (RCV_DONE flushed).
                self.fq_done.d.next = true;
                self.fq_act.d.next = self.rc.val().active;
                self.fq_nxt.d.next = self.rc.val().nxt;
                self.fq_wnd.d.next = self.rc.val().right - self.rc.val().nxt;
                self.fc.d.next = self.rc.val();
                self.fc.d.next.head = self.rc.val().lhead;
                self.q_first.d.next = true;
                self.ms.d.next = MState::Idle;
                if self.rc.val().active {
                    self.ctx_ram.write_enable.next = true;
                    self.ctx_ram.write_data.next = self.rc.val();
                    self.ctx_ram.write_data.next.active = false;
                    self.ctx_ram.write_data.next.unacked = 0.into();
                    // After the lists, its held frames go to the ring as misses.
                    self.rel_on.d.next = true;
                    self.rel_flush.d.next = true;
                    self.rel_k.d.next = 0.into();
                    self.rel_conn.d.next = self.r_conn.q.val();
                    self.rel_tr.d.next = false;
                    self.ms.d.next = MState::RScan;
                    if self.rc.val().lhead != self.rc.val().tail {
                        self.ms.d.next = MState::QRd;
                    }
                }
            }
            MState::QRd => {
                // Read the slot at head (the default read address).
                self.ms.d.next = MState::QUse;
            }
            MState::QUse => {
                if !self.doneq.almost_full.val()
                    & !self.reqq.almost_full.val()
                    & !self.connq.almost_full.val()
                {
                    if self.q_first.q.val() {
                        // One RCV_DONE per list: the current one with its bytes placed,
                        // the later ones with 0; its trailer waits for a zero-length
                        // write after the list's writes (the list's DMA error flag).
                        self.doneq.write.next = true;
                        self.d_bytes.next = self.fc.q.val().placed;
                        self.d_flags.next = 5.into();
                        self.reqq.write.next = true;
                        self.reqq.data_in.next = bit_cast::<96, 1>(1.into()) << 80;
                        self.fc.d.next.placed = 0.into();
                        self.n_lists.d.next = self.n_lists.q.val() + 1;
                    }
                    self.q_first.d.next = self.slot.val().last;
                    self.fc.d.next.head = self.nh.val();
                    self.ms.d.next = MState::QRd;
                    if self.nh.val() == self.fc.q.val().tail {
                        self.ms.d.next = self.m_done.val();
                    }
                }
            }
            MState::RScan => {
                // The next held frame of `rel_conn`, in arrival order.
                if self.rel_k.q.val() >= self.hcnt.q.val() {
                    self.rel_on.d.next = false;
                    self.ms.d.next = MState::Idle;
                    if self.rel_tr.q.val() {
                        self.ms.d.next = MState::CTr;
                    }
                } else if self.h_entry.val().get_bits::<16>(4) == self.rel_conn.q.val() {
                    self.hrec.read_address.next = self.h_entry.val().get_bits::<4>(0);
                    self.f_slot.d.next = self.h_entry.val().get_bits::<4>(0);
                    self.f_src.d.next = true;
                    self.ms.d.next = MState::RRec;
                } else {
                    self.rel_k.d.next = self.rel_k.q.val() + 1;
                }
            }
            MState::RRec => {
                // Its record (hrec) and the connection's context are read.
                self.ctx_ram.read_address.next = self.rel_conn.q.val().get_bits::<CB>(0);
                if self.room_ok.val() {
                    if self.rel_flush.q.val() {
                        // To the ring as a miss: the host's stack has the connection.
                        self.ring_rec.write.next = true;
                        self.ring_rec.data_in.next = self.hrec.read_data.val();
                        self.ring_res.write.next = true;
                        self.rr_miss.next = true;
                        self.cr_use.next = self.cr_has.val();
                        self.steer.write.next = true;
                        self.steer.data_in.next = 1.into();
                        self.h_rm.next = true;
                        self.ms.d.next = MState::RScan;
                    } else {
                        self.r_rec.d.next = self.hrec.read_data.val();
                        self.r_status.d.next = 3.into();
                        self.r_conn.d.next = self.rel_conn.q.val();
                        self.ms.d.next = MState::FRd;
                    }
                }
            }
            MState::TChk => {
                // A delayed ACK due: send it (unless an ACK went out meanwhile).
                if self.rc.val().active & (self.rc.val().unacked != 0) & !self.t_d.val().get_bit(31)
                {
                    self.ak_w.next = true;
                    self.ctx_ram.write_enable.next = true;
                    self.ctx_ram.write_data.next = self.rc.val();
                    self.ctx_ram.write_data.next.unacked = 0.into();
                }
                self.ms.d.next = MState::Idle;
            }
            MState::CTr => {
                self.respq.write.next = true;
                self.resp_word.next = (bit_cast::<65, 1>(1.into()) << 64)
                    | (bit_cast::<65, 16>(self.c_done.q.val()) << 16)
                    | bit_cast::<65, 8>(self.c_status.q.val());
                if self.c_status.q.val() != self.k_ok.val() {
                    self.n_cmderr.d.next = self.n_cmderr.q.val() + 1;
                }
                self.ms.d.next = MState::Idle;
            }
            _ => {
                self.ms.d.next = MState::Idle;
            }
        }

        // Hold store: a frame held (slot h_low, appended), or released (entry rel_k
        // removed, its slot free).
        if self.h_add.val() {
            self.hrec.write_enable.next = true;
            self.hfree.d.next = self.hfree.q.val() & !(self.h_bit.val() << self.h_low.val());
            self.hord.d.next = self.hord.q.val() | self.h_new.val();
            self.hcnt.d.next = self.hcnt.q.val() + 1;
        }
        if self.h_rm.val() {
            self.hfree.d.next = self.hfree.q.val() | (self.h_bit.val() << self.f_slot.q.val());
            self.hord.d.next = (self.hord.q.val() & self.h_mask.val()) | self.h_keep_hi.val();
            self.hcnt.d.next = self.hcnt.q.val() - 1;
        }
        self.steer.data_in.next = self.steer.data_in.val() | self.h_src.val();
        self.upq2.write.next = self.up_drop.val();
        self.upq2.data_in.next = self.r_conn.q.val();

        // ACK request `{conn, ack, window >> shift (at most 65535)}`.
        self.ak_wnd.next = self.ak_right.val() - self.ak_nxt.val();
        self.ak_sc.next = self.ak_wnd.val() >> bit_cast::<32, 4>(self.ak_wsh.val());
        self.ak_w16.next = self.ak_sc.val().get_bits::<16>(0);
        if self.ak_sc.val().get_bits::<16>(16) != 0 {
            self.ak_w16.next = 0xFFFF.into();
        }
        self.ackq.write.next = self.ak_w.val();
        self.ackq.data_in.next = (bit_cast::<64, 16>(self.ak_conn.val()) << 48)
            | (bit_cast::<64, 32>(self.ak_nxt.val()) << 16)
            | bit_cast::<64, 16>(self.ak_w16.val());
        if self.ak_w.val() {
            self.n_acks.d.next = self.n_acks.q.val() + 1;
        }
        self.m_ak_valid.next = !self.ackq.empty.val();
        self.m_ak_conn.next = self.ackq.data_out.val().get_bits::<16>(48);
        self.m_ak_ack.next = self.ackq.data_out.val().get_bits::<32>(16);
        self.m_ak_win.next = self.ackq.data_out.val().get_bits::<16>(0);
        self.ackq.read.next = !self.ackq.empty.val() & self.m_ak_ready.val();

        // Delayed-ACK timers: a shadow of `{unacked != 0, dl}` written with the
        // context, swept one connection per clock; a due one goes to `dueq`.
        self.tw_ctx.next = self.ctx_ram.write_data.val();
        self.tw33.next = bit_cast::<33, 32>(self.tw_ctx.val().dl);
        if self.tw_ctx.val().unacked != 0 {
            self.tw33.next = self.tw33.val() | (bit_cast::<33, 1>(1.into()) << 32);
        }
        self.tmr_ram.write_enable.next = self.ctx_ram.write_enable.val();
        self.tmr_ram.write_address.next = self.ctx_ram.write_address.val();
        self.tmr_ram.write_data.next = self.tw33.val();
        self.sw_d.next = self.tnow.q.val() - self.tmr_ram.read_data.val().get_bits::<32>(0);
        self.sw_nx.next = self.sw_i.q.val();
        self.dueq.write.next = false;
        self.dueq.data_in.next = bit_cast::<16, CB>(self.sw_c.q.val().get_bits::<CB>(0));
        if self.tmr_ram.read_data.val().get_bit(32) & !self.sw_d.val().get_bit(31) {
            if self.dueq.almost_full.val() {
                // No room: read it again.
                self.sw_nx.next = self.sw_c.q.val();
            } else {
                self.dueq.write.next = true;
            }
        }
        self.tmr_ram.read_address.next = self.sw_nx.val().get_bits::<CB>(0);
        self.sw_c.d.next = self.sw_nx.val();
        self.sw_i.d.next = self.sw_nx.val() + 1;

        // RCV_DONE `{flags (short, push, flushed), bytes, tag, ctx, conn}` of the list at
        // the slot read (FPlace: filled or short on PSH; QUse: flushed).
        self.done_word.next = bit_cast::<115, 3>(self.d_flags.val());
        self.done_word.next =
            (self.done_word.val() << 32) | bit_cast::<115, 32>(self.d_bytes.val());
        self.done_word.next =
            (self.done_word.val() << 32) | bit_cast::<115, 32>(self.slot.val().tag);
        self.done_word.next =
            (self.done_word.val() << 32) | bit_cast::<115, 32>(self.fc.q.val().ctx);
        self.done_word.next =
            (self.done_word.val() << 16) | bit_cast::<115, 16>(self.r_conn.q.val());
        self.doneq.data_in.next = self.done_word.val();

        // The scatter-gather slot read for the next clock (the connection's `rd_head`).
        self.sg_off.next = bit_cast::<CB4, 5>(self.rd_head.val() & 15);
        self.sg_ram.read_address.next = self.sg_base.val() | self.sg_off.val();

        // ---- Command words (taken in MState::Cmd). A fault sets the trailer status
        // and discards up to `tlast`; the trailer is written in MState::CTr.
        if self.w_take.val() {
            match self.cs.q.val() {
                CState::Hdr => {
                    self.c_tag.d.next = self.w.val().get_bits::<32>(32);
                    self.c_count.d.next = self.w.val().get_bits::<16>(16);
                    self.c_done.d.next = 0.into();
                    self.c_op_wu.d.next = self.w.val().get_bits::<8>(0) == self.k_op_wu.val();
                    self.respq.write.next = true;
                    self.resp_word.next = (bit_cast::<65, 32>(self.w.val().get_bits::<32>(32))
                        << 32)
                        | bit_cast::<65, 8>(self.w.val().get_bits::<8>(0))
                        | 0x80;
                    if self.w.val().get_bits::<8>(8).any() {
                        self.resp_word.next = (bit_cast::<65, 32>(self.w.val().get_bits::<32>(32))
                            << 32)
                            | bit_cast::<65, 8>(self.k_t_error.val());
                        self.c_fault.next = true;
                        self.c_fst.next = self.k_bad_header.val();
                    } else if self.w.val().get_bits::<16>(16) == 0 {
                        // No entries: OK if the header is the last word.
                        self.c_fault.next = true;
                        self.c_fst.next = self.k_trailing.val();
                        if self.s_cmd_tlast.val() {
                            self.c_fst.next = self.k_ok.val();
                        }
                    } else if self.s_cmd_tlast.val() {
                        self.c_fault.next = true;
                    } else {
                        self.cs.d.next = CState::Ent;
                    }
                }
                CState::Ent => {
                    self.c_handle.d.next = self.w.val().get_bits::<16>(16);
                    self.c_ctx.d.next = self.w.val().get_bits::<32>(32);
                    if self.c_done.q.val() == self.c_count.q.val() {
                        self.c_fault.next = true;
                        self.c_fst.next = self.k_trailing.val();
                    } else if (self.w.val().get_bits::<4>(0) != 3)
                        | self.w.val().get_bits::<12>(4).any()
                    {
                        self.c_fault.next = true;
                        self.c_fst.next = self.k_bad_entry.val();
                    } else if self.s_cmd_tlast.val() {
                        self.c_fault.next = true;
                    } else if self.c_op_wu.q.val() {
                        self.cs.d.next = CState::WinW;
                    } else {
                        self.cs.d.next = CState::ListW;
                    }
                }
                CState::ListW => {
                    self.c_n.d.next = self.w.val().get_bits::<16>(32);
                    self.c_ltag.d.next = self.w.val().get_bits::<32>(0);
                    self.c_i.d.next = 0.into();
                    self.c_llen.d.next = 0.into();
                    self.c_verr.d.next = false;
                    if self.w.val().get_bits::<16>(48).any()
                        | (self.w.val().get_bits::<16>(32) == 0)
                    {
                        self.c_fault.next = true;
                        self.c_fst.next = self.k_bad_entry.val();
                    } else if self.s_cmd_tlast.val() {
                        self.c_fault.next = true;
                    } else {
                        self.cs.d.next = CState::Addr;
                        self.ms.d.next = MState::CFit;
                    }
                }
                CState::Addr => {
                    self.c_addr.d.next = self.w.val();
                    self.cs.d.next = CState::Len;
                    self.c_fault.next = self.s_cmd_tlast.val();
                }
                CState::Len => {
                    // Reserved bits, zero length, or past the end of the address space.
                    self.c_bad.next = self.w.val().get_bits::<32>(32).any()
                        | (self.w.val().get_bits::<32>(0) == 0)
                        | self.c_sum.val().get_bit(64);
                    self.c_i.d.next = self.c_i1.val();
                    self.c_llen.d.next =
                        self.c_llen.q.val() + bit_cast::<36, 32>(self.w.val().get_bits::<32>(0));
                    if self.c_bad.val() {
                        self.c_verr.d.next = true;
                    }
                    if self.c_ok.q.val() & !self.c_bad.val() & !self.c_verr.q.val() {
                        self.sg_ram.write_enable.next = true;
                        self.sg_base.next = bit_cast::<CB4, 16>(self.c_handle.q.val()) << 4;
                        self.nh.next = self.c_tail.q.val() + self.c_i.q.val().get_bits::<5>(0);
                        self.sg_off.next = bit_cast::<CB4, 5>(self.nh.val() & 15);
                        self.sg_ram.write_address.next = self.sg_base.val() | self.sg_off.val();
                        self.sg_ram.write_data.next.addr = self.c_addr.q.val();
                        self.sg_ram.write_data.next.len = self.w.val().get_bits::<32>(0);
                        self.sg_ram.write_data.next.last = self.c_i1.val() == self.c_n.q.val();
                        self.sg_ram.write_data.next.tag = self.c_ltag.q.val();
                    }
                    self.cs.d.next = CState::Addr;
                    if self.c_i1.val() == self.c_n.q.val() {
                        if self.c_bad.val() | self.c_verr.q.val() {
                            self.c_fault.next = true;
                            self.c_fst.next = self.k_bad_entry.val();
                        } else {
                            self.c_lastw.d.next = self.s_cmd_tlast.val();
                            self.ms.d.next = MState::CAp;
                        }
                    } else {
                        self.c_fault.next = self.s_cmd_tlast.val();
                    }
                }
                CState::WinW => {
                    self.c_bytes.d.next = self.w.val().get_bits::<32>(0);
                    if self.w.val().get_bits::<32>(32).any() {
                        self.c_fault.next = true;
                        self.c_fst.next = self.k_bad_entry.val();
                    } else {
                        self.c_lastw.d.next = self.s_cmd_tlast.val();
                        self.ms.d.next = MState::CAp;
                    }
                }
                CState::Disc => {
                    if self.s_cmd_tlast.val() {
                        self.cs.d.next = CState::Hdr;
                        self.ms.d.next = MState::CTr;
                    }
                }
                _ => {
                    self.cs.d.next = CState::Hdr;
                }
            }
            // The message ends with status `c_fst` (TRUNCATED unless set): words up to
            // `tlast` are discarded, then the trailer.
            if self.c_fault.val() {
                self.c_status.d.next = self.c_fst.val();
                self.cs.d.next = CState::Disc;
                if self.s_cmd_tlast.val() {
                    self.cs.d.next = CState::Hdr;
                    self.ms.d.next = MState::CTr;
                }
            }
        }
        if self.c_res.val() {
            // Result entry: kind TCP, status, handle, host context.
            self.respq.write.next = true;
            self.resp_word.next = (bit_cast::<65, 32>(self.c_ctx.q.val()) << 32)
                | (bit_cast::<65, 16>(self.c_handle.q.val()) << 16)
                | (bit_cast::<65, 8>(self.c_rst.val()) << 8)
                | 3;
        }
        self.respq.data_in.next = self.resp_word.val();

        // ---- Ring records `{nobuf, fdata, conn, status}` and the ring's buffer count.
        self.ring_res.data_in.next = (bit_cast::<20, 16>(self.r_conn.q.val()) << 2)
            | bit_cast::<20, 2>(self.r_status.q.val());
        if self.rr_fd.val() {
            self.ring_res.data_in.next = self.ring_res.data_in.val() | 0x40000;
        }
        if self.rr_miss.val() {
            // A held frame after a FLUSH: a miss, no handle.
            self.ring_res.data_in.next = 1.into();
        }
        if !self.cr_has.val() {
            self.ring_res.data_in.next = self.ring_res.data_in.val() | 0x80000;
        }
        if self.s_buf_posted.val() & !self.cr_use.val() {
            self.credit.d.next = self.credit.q.val() + 1;
        }
        if !self.s_buf_posted.val() & self.cr_use.val() {
            self.credit.d.next = self.credit.q.val() - 1;
        }

        // ---- Frame forwarder: each frame's beats (through the input FIFO) to the
        // ring, the extractor, or both.
        self.inq.data_in.next =
            bit_cast::<74, 64>(self.s_tdata.val()) | (bit_cast::<74, 8>(self.s_tkeep.val()) << 64);
        if self.s_tlast.val() {
            self.inq.data_in.next = self.inq.data_in.val() | (bit_cast::<74, 1>(1.into()) << 72);
        }
        if self.s_tuser.val() {
            self.inq.data_in.next = self.inq.data_in.val() | (bit_cast::<74, 1>(1.into()) << 73);
        }
        self.s_tready.next = !self.inq.full.val();
        self.inq.write.next = self.s_tvalid.val() & !self.inq.full.val();
        self.fw_act.next = self.fw_busy.q.val() | !self.steer.empty.val();
        self.fw_dst.next = self.steer.data_out.val().get_bit(0);
        self.fw_x.next = self.steer.data_out.val().get_bit(1);
        self.fw_hdst.next = self.steer.data_out.val().get_bit(2);
        self.fw_src.next = self.steer.data_out.val().get_bit(3);
        self.fw_sl.next = self.steer.data_out.val().get_bits::<4>(4);
        if self.fw_busy.q.val() {
            self.fw_dst.next = self.fw_ring.q.val();
            self.fw_x.next = self.fw_xd.q.val();
            self.fw_hdst.next = self.fw_hd.q.val();
            self.fw_src.next = self.fw_hs.q.val();
            self.fw_sl.next = self.fw_slot.q.val();
        }
        // Beats from the input FIFO, or from a hold slot (a read, then the beat: one
        // beat per two clocks).
        self.fw_word.next = self.inq.data_out.val();
        self.i_valid.next = !self.inq.empty.val();
        if self.fw_src.val() {
            self.fw_word.next = self.hbuf.read_data.val();
            self.i_valid.next = self.fw_busy.q.val() & self.hr_ph.q.val();
        }
        self.i_last.next = self.fw_word.val().get_bit(72);
        self.hbuf.read_address.next =
            (bit_cast::<12, 4>(self.fw_slot.q.val()) << 8) | bit_cast::<12, 8>(self.fw_hb.q.val());
        self.m_tdata.next = self.fw_word.val().get_bits::<64>(0);
        self.m_tkeep.next = self.fw_word.val().get_bits::<8>(64);
        self.m_tlast.next = self.i_last.val();
        self.m_tuser.next = self.fw_word.val().get_bit(73);
        self.m_x_tdata.next = self.fw_word.val().get_bits::<64>(0);
        self.m_x_tlast.next = self.i_last.val();
        self.m_tvalid.next = self.fw_act.val()
            & self.fw_dst.val()
            & self.i_valid.val()
            & (!self.fw_x.val() | self.m_x_tready.val());
        self.m_x_tvalid.next = self.fw_act.val()
            & self.fw_x.val()
            & self.i_valid.val()
            & (!self.fw_dst.val() | self.m_tready.val());
        self.fw_beat.next = self.fw_act.val()
            & self.i_valid.val()
            & (!self.fw_dst.val() | self.m_tready.val())
            & (!self.fw_x.val() | self.m_x_tready.val());
        self.inq.read.next = self.fw_beat.val() & !self.fw_src.val();
        self.steer.read.next = false;
        // Into a hold slot: beat fw_hb of slot fw_sl.
        self.hbuf.write_enable.next = self.fw_beat.val() & self.fw_hdst.val();
        self.hbuf.write_address.next = bit_cast::<12, 4>(self.fw_sl.val()) << 8;
        if self.fw_busy.q.val() {
            self.hbuf.write_address.next =
                self.hbuf.write_address.val() | bit_cast::<12, 8>(self.fw_hb.q.val());
        }
        self.hbuf.write_data.next = self.fw_word.val();
        if self.fw_beat.val() {
            if !self.fw_busy.q.val() {
                self.steer.read.next = true;
                self.fw_ring.d.next = self.fw_dst.val();
                self.fw_xd.d.next = self.fw_x.val();
                self.fw_hd.d.next = self.fw_hdst.val();
                self.fw_hs.d.next = false;
                self.fw_slot.d.next = self.fw_sl.val();
                self.fw_hb.d.next = 1.into();
            } else {
                self.fw_hb.d.next = self.fw_hb.q.val() + 1;
            }
            self.fw_busy.d.next = !self.i_last.val();
        }
        if !self.fw_busy.q.val() & !self.steer.empty.val() & self.fw_src.val() {
            // A frame from a hold slot starts: its first beat is read.
            self.steer.read.next = true;
            self.fw_busy.d.next = true;
            self.fw_ring.d.next = self.fw_dst.val();
            self.fw_xd.d.next = self.fw_x.val();
            self.fw_hd.d.next = false;
            self.fw_hs.d.next = true;
            self.fw_slot.d.next = self.fw_sl.val();
            self.fw_hb.d.next = 0.into();
            self.hr_ph.d.next = false;
        }
        if self.fw_busy.q.val() & self.fw_hs.q.val() {
            if !self.hr_ph.q.val() {
                self.hr_ph.d.next = true;
            } else if self.fw_beat.val() {
                self.hr_ph.d.next = false;
            }
        }
        // Records of ring frames.
        self.m_lk_meta.next = self.ring_rec.data_out.val();
        self.m_lk_status.next = self.ring_res.data_out.val().get_bits::<2>(0);
        self.m_lk_conn.next = self.ring_res.data_out.val().get_bits::<16>(2);
        self.m_lk_fdata.next = self.ring_res.data_out.val().get_bit(18);
        self.m_lk_nobuf.next = self.ring_res.data_out.val().get_bit(19);
        self.m_lk_tvalid.next = !self.ring_rec.empty.val();
        self.ring_rec.read.next = self.m_lk_tready.val() & !self.ring_rec.empty.val();
        self.ring_res.read.next = self.m_lk_tready.val() & !self.ring_rec.empty.val();
        // Pieces and DMA requests.
        self.m_pc_start.next = self.pcq.data_out.val().get_bits::<16>(0);
        self.m_pc_len.next = self.pcq.data_out.val().get_bits::<16>(16);
        self.m_pc_last.next = self.pcq.data_out.val().get_bit(32);
        self.m_pc_valid.next = !self.pcq.empty.val();
        self.pcq.read.next = self.m_pc_ready.val() & !self.pcq.empty.val();
        self.m_req_addr.next = self.reqq.data_out.val().get_bits::<64>(0);
        self.m_req_len.next = self.reqq.data_out.val().get_bits::<16>(64);
        self.m_req_tag.next = self.reqq.data_out.val().get_bits::<16>(80);
        self.m_req_valid.next = !self.reqq.empty.val();
        self.reqq.read.next = self.m_req_ready.val() & !self.reqq.empty.val();

        // ---- Every DMA write's connection, for its completion.
        self.connq.write.next = self.reqq.write.val();
        self.connq.data_in.next = self.r_conn.q.val();
        self.connq.read.next = self.s_done_valid.val() & !self.lerr.full.val();
        // A failed write asks for an upload (DMA_ERROR; once per connection in the core).
        self.upq.write.next = false;
        self.upq.data_in.next = self.connq.data_out.val();
        self.m_up_valid.next = !self.upq.empty.val() | !self.upq2.empty.val();
        self.m_up_word.next = (bit_cast::<24, 8>(self.k_up_dma.val()) << 16)
            | bit_cast::<24, 16>(self.upq.data_out.val());
        if self.upq.empty.val() {
            self.m_up_word.next = (bit_cast::<24, 8>(self.k_up_nobuf.val()) << 16)
                | bit_cast::<24, 16>(self.upq2.data_out.val());
        }
        self.upq.read.next = self.m_up_ready.val() & !self.upq.empty.val();
        self.upq2.read.next = self.m_up_ready.val() & self.upq.empty.val() & !self.upq2.empty.val();
        if self.s_done_valid.val()
            & !self.lerr.full.val()
            & (self.s_done_status.val() != 0)
            & (self.s_done_status.val() != 4)
            & !self.upq.full.val()
        {
            self.upq.write.next = true;
        }

        // ---- DMA completions: a list's error flag at its last write.
        self.s_done_ready.next = !self.lerr.full.val();
        self.lerr.write.next = false;
        // (Status 4: a zero-length request, the marker after a flushed list's writes.)
        self.d_err.next = self.err_acc.q.val()
            | ((self.s_done_status.val() != 0) & (self.s_done_status.val() != 4));
        self.lerr.data_in.next = self.d_err.val();
        if self.s_done_valid.val() & !self.lerr.full.val() {
            self.err_acc.d.next = self.d_err.val();
            if self.s_done_tag.val().get_bit(0) {
                self.lerr.write.next = true;
                self.err_acc.d.next = false;
            }
        }

        // ---- Events: responses stream whole; RCV_DONE once its writes completed.
        self.m_evt_tvalid.next = false;
        self.m_evt_tlast.next = false;
        self.m_evt_tdata.next = 0.into();
        self.respq.read.next = false;
        self.doneq.read.next = false;
        self.lerr.read.next = false;
        match self.es.q.val() {
            EmState::Idle => {
                if !self.respq.empty.val() {
                    self.es.d.next = EmState::Resp;
                } else if !self.doneq.empty.val() & !self.lerr.empty.val() {
                    self.es.d.next = EmState::D0;
                }
            }
            EmState::Resp => {
                self.m_evt_tvalid.next = !self.respq.empty.val();
                self.m_evt_tdata.next = self.respq.data_out.val().get_bits::<64>(0);
                self.m_evt_tlast.next = self.respq.data_out.val().get_bit(64);
                self.e_hs.next = self.m_evt_tready.val() & !self.respq.empty.val();
                self.respq.read.next = self.e_hs.val();
                if self.e_hs.val() & self.respq.data_out.val().get_bit(64) {
                    self.es.d.next = EmState::Idle;
                }
            }
            EmState::D0 => {
                self.m_evt_tvalid.next = true;
                self.m_evt_tdata.next = bit_cast::<64, 8>(self.k_t_done.val());
                if self.m_evt_tready.val() {
                    self.es.d.next = EmState::D1;
                }
            }
            EmState::D1 => {
                self.m_evt_tvalid.next = true;
                self.m_evt_tdata.next =
                    (bit_cast::<64, 32>(self.doneq.data_out.val().get_bits::<32>(16)) << 32)
                        | (bit_cast::<64, 16>(self.doneq.data_out.val().get_bits::<16>(0)) << 16)
                        | 3;
                if self.m_evt_tready.val() {
                    self.es.d.next = EmState::D2;
                }
            }
            EmState::D2 => {
                self.m_evt_tvalid.next = true;
                self.m_evt_tdata.next = self.doneq.data_out.val().get_bits::<64>(48);
                if self.m_evt_tready.val() {
                    self.es.d.next = EmState::D3;
                }
            }
            EmState::D3 => {
                self.m_evt_tvalid.next = true;
                self.m_evt_tdata.next =
                    bit_cast::<64, 3>(self.doneq.data_out.val().get_bits::<3>(112));
                if self.m_evt_tready.val() {
                    self.es.d.next = EmState::D4;
                }
            }
            EmState::D4 => {
                self.m_evt_tvalid.next = true;
                self.m_evt_tlast.next = true;
                self.m_evt_tdata.next = bit_cast::<64, 8>(self.k_ok.val());
                if self.lerr.data_out.val() {
                    self.m_evt_tdata.next = bit_cast::<64, 8>(self.k_dma.val());
                }
                if self.m_evt_tready.val() {
                    self.doneq.read.next = true;
                    self.lerr.read.next = true;
                    self.es.d.next = EmState::Idle;
                }
            }
            _ => {
                self.es.d.next = EmState::Idle;
            }
        }

        if self.reset.val() {
            self.ms.d.next = MState::Init;
            self.init_i.d.next = 0.into();
            self.cs.d.next = CState::Hdr;
            self.es.d.next = EmState::Idle;
            self.fw_busy.d.next = false;
            self.err_acc.d.next = false;
            self.credit.d.next = 0.into();
            self.hcnt.d.next = 0.into();
            self.hord.d.next = 0.into();
            self.hfree.d.next = 0xFFFF.into();
            self.rel_on.d.next = false;
            self.fw_hd.d.next = false;
            self.fw_hs.d.next = false;
        }
    }
}
