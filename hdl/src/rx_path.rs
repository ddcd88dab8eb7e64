//! Receive path (`RxPath`): the receive ring behind the engine top, and the command /
//! event plumbing of the data path. The model it is checked against is
//! `host_model::rx_path`; the formats are in `host_model::proto` ("Receive ring").
//!
//! # What it does
//! - **Commands**: every command on `s_cmd_*` goes whole (header to `tlast`) either to
//!   the offload core (`m_core_cmd_*`), to the receive fast path (`m_fp_cmd_*`: RCVLIST
//!   and WINUPDATE) or, for the other data-path opcodes 0x08-0x0F, to this block's own
//!   command processor, which executes RXBUF (posts buffer addresses into the ring FIFO,
//!   [`RX_RING_SLOTS`] deep) and answers ERROR `BAD_OPCODE` to the others.
//! - **Frames**: each frame leaving the engine top (`s_*` with its record on `s_lk_*`)
//!   is written by DMA (`m_req_*`, `m_data_*`, through `crate::dma_write`) from byte 0 of
//!   the next posted buffer, at most [`RX_BUF_BYTES`] bytes. With no buffer posted the
//!   frame is dropped and counted (`ring_drops`); so is a frame the fast path marks
//!   `s_lk_nobuf` (it counts the buffers: `buf_posted`). `s_lk_fdata` makes the event
//!   FRAME_DATA instead of RX_FRAME. After the write has completed
//!   (`s_done_*`, in request order), an RX_FRAME event carries the buffer address and
//!   the frame's status word ([`RxStatusWord`]); a failed write gives trailer
//!   `DMA_ERROR` and counts in `ring_dma_errors`.
//! - **Events**: the core's responses (`s_core_evt_*`), this block's responses and the
//!   RX_FRAME events and the fast path's events (`s_fp_evt_*`) are merged onto `m_evt_*`
//!   a whole message at a time (core first, then command responses, frame events, fast
//!   path).
//!
//! # Timing
//! A frame's beats go at one per clock into a 512-beat data FIFO in front of the DMA
//! engine, the first in the clock its record is taken: no idle clock between frames
//! here. Up to 32 frames can wait for their write completions.

use crate::rx_meta::RxMetaRecord;
use crate::sync_fifo::SyncFifo;
use host_model::proto::{
    CmdStatus, DATA_PATH_OPCODES, EventType, Opcode, RX_BUF_BYTES, RX_RING_SLOTS,
    RX_STATUS_MAX_PAYLOAD_OFFSET,
};
use rust_hdl::prelude::*;

const _: () = assert!(RX_RING_SLOTS == 256, "ring FIFO has 8 address bits");
const _: () = assert!(RX_BUF_BYTES <= 65535, "DMA request length is 16 bits");
const _: () = assert!(
    RX_BUF_BYTES == 2048,
    "the wrap check looks at address bits [63:11]"
);

macro_rules! status_struct {
    ($($name:ident : $w:expr),* $(,)?) => {
        /// The RX_FRAME status word (`host_model::proto::RxStatus`), first field at bit 0.
        #[derive(Copy, Clone, Debug, PartialEq, Default, LogicStruct)]
        pub struct RxStatusWord {
            $(pub $name: Bits<$w>,)*
        }
    };
}
host_model::rx_status_fields!(status_struct);

/// Command processor states.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum LState {
    Idle,
    Body,
    Discard,
    Resp0,
    Resp1,
}

/// Frame writer states.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum FState {
    Idle,
    Data,
    Pad,
    Drop,
}

/// Frame event states.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum EState {
    Idle,
    Hdr,
    Addr,
    Status,
    Trailer,
}

/// Receive ring, command demultiplexer and event merger (64-bit datapath).
#[derive(LogicBlock)]
pub struct RxPath {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
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
    /// FRAME_DATA instead of RX_FRAME (the fast path indicates the frame's payload).
    pub s_lk_fdata: Signal<In, Bit>,
    /// No buffer for this frame (the fast path counted them): drop it.
    pub s_lk_nobuf: Signal<In, Bit>,
    pub s_lk_tvalid: Signal<In, Bit>,
    pub s_lk_tready: Signal<Out, Bit>,
    // Commands from the host, and those passed to the offload core.
    pub s_cmd_tdata: Signal<In, Bits<64>>,
    pub s_cmd_tvalid: Signal<In, Bit>,
    pub s_cmd_tlast: Signal<In, Bit>,
    pub s_cmd_tready: Signal<Out, Bit>,
    pub m_core_cmd_tdata: Signal<Out, Bits<64>>,
    pub m_core_cmd_tvalid: Signal<Out, Bit>,
    pub m_core_cmd_tlast: Signal<Out, Bit>,
    pub m_core_cmd_tready: Signal<In, Bit>,
    // RCVLIST / WINUPDATE to the fast path (`crate::rcv_core`), and its events.
    pub m_fp_cmd_tdata: Signal<Out, Bits<64>>,
    pub m_fp_cmd_tvalid: Signal<Out, Bit>,
    pub m_fp_cmd_tlast: Signal<Out, Bit>,
    pub m_fp_cmd_tready: Signal<In, Bit>,
    pub s_fp_evt_tdata: Signal<In, Bits<64>>,
    pub s_fp_evt_tlast: Signal<In, Bit>,
    pub s_fp_evt_tvalid: Signal<In, Bit>,
    pub s_fp_evt_tready: Signal<Out, Bit>,
    // The core's responses, and the merged events to the host.
    pub s_core_evt_tdata: Signal<In, Bits<64>>,
    pub s_core_evt_tlast: Signal<In, Bit>,
    pub s_core_evt_tvalid: Signal<In, Bit>,
    pub s_core_evt_tready: Signal<Out, Bit>,
    pub m_evt_tdata: Signal<Out, Bits<64>>,
    pub m_evt_tlast: Signal<Out, Bit>,
    pub m_evt_tvalid: Signal<Out, Bit>,
    pub m_evt_tready: Signal<In, Bit>,
    // DMA write engine.
    pub m_req_addr: Signal<Out, Bits<64>>,
    pub m_req_len: Signal<Out, Bits<16>>,
    pub m_req_tag: Signal<Out, Bits<16>>,
    pub m_req_valid: Signal<Out, Bit>,
    pub m_req_ready: Signal<In, Bit>,
    pub m_data_tdata: Signal<Out, Bits<64>>,
    pub m_data_tvalid: Signal<Out, Bit>,
    pub m_data_tready: Signal<In, Bit>,
    pub s_done_status: Signal<In, Bits<3>>,
    pub s_done_tag: Signal<In, Bits<16>>,
    pub s_done_valid: Signal<In, Bit>,
    pub s_done_ready: Signal<Out, Bit>,
    // Counters for STATS (32 bits, wrapping).
    pub ring_frames: Signal<Out, Bits<32>>,
    pub ring_bytes: Signal<Out, Bits<32>>,
    pub ring_drops: Signal<Out, Bits<32>>,
    pub ring_dma_errors: Signal<Out, Bits<32>>,
    pub cmd_errors: Signal<Out, Bits<32>>,
    /// One clock per buffer RXBUF posts (the fast path counts the ring's buffers).
    pub buf_posted: Signal<Out, Bit>,
    // Command demultiplexer.
    c_in: DFF<Bit>,
    c_loc: DFF<Bit>,
    c_fp: DFF<Bit>,
    sel_loc: Signal<Local, Bit>,
    sel_fp: Signal<Local, Bit>,
    l_valid: Signal<Local, Bit>,
    l_ready: Signal<Local, Bit>,
    // Command processor.
    lst: DFF<LState>,
    l_tag: DFF<Bits<32>>,
    l_count: DFF<Bits<16>>,
    l_done: DFF<Bits<16>>,
    l_status: DFF<Bits<8>>,
    l_err: DFF<Bit>,
    l_done1: Signal<Local, Bits<16>>,
    l_word: Signal<Local, Bits<64>>,
    l_top: Signal<Local, Bits<53>>,
    l_wraps: Signal<Local, Bit>,
    l_ev_valid: Signal<Local, Bit>,
    l_ev_ready: Signal<Local, Bit>,
    l_ev_data: Signal<Local, Bits<64>>,
    l_tr: Signal<Local, Bits<64>>,
    l_hdr: Signal<Local, Bits<64>>,
    l_tag64: Signal<Local, Bits<64>>,
    l_st64: Signal<Local, Bits<64>>,
    len32: Signal<Local, Bits<32>>,
    ring: SyncFifo<Bits<64>, 8, 9>,
    // Frame writer.
    fst: DFF<FState>,
    f_left: DFF<Bits<9>>,
    f_seq: DFF<Bits<16>>,
    f_big: Signal<Local, Bit>,
    f_len: Signal<Local, Bits<16>>,
    f_len7: Signal<Local, Bits<16>>,
    f_beats: Signal<Local, Bits<9>>,
    f_go: Signal<Local, Bit>,
    f_take: Signal<Local, Bit>,
    f_fire: Signal<Local, Bit>,
    errs: Signal<Local, Bits<7>>,
    pv: Signal<Local, Bit>,
    poff: Signal<Local, Bits<16>>,
    flen: Signal<Local, Bits<17>>,
    stw: Signal<Local, RxStatusWord>,
    pend_addr: SyncFifo<Bits<64>, 5, 6>,
    dq: SyncFifo<Bits<64>, 9, 10>,
    /// Input FIFO `{last, data}` (`tkeep` is implied by the record's length; `tuser` is
    /// in the record's `err_mac`).
    inq: SyncFifo<Bits<65>, 5, 6>,
    in_word: Signal<Local, Bits<65>>,
    in_last: Signal<Local, Bits<65>>,
    i_valid: Signal<Local, Bit>,
    i_data: Signal<Local, Bits<64>>,
    i_last: Signal<Local, Bit>,
    i_read: Signal<Local, Bit>,
    pend_st: SyncFifo<RxStatusWord, 5, 6>,
    pend_len: SyncFifo<Bits<17>, 5, 6>,
    /// DMA requests `{tag, len, addr}`.
    reqf: SyncFifo<Bits<96>, 4, 5>,
    // Frame events.
    est: DFF<EState>,
    e_err: DFF<Bit>,
    f_ev_valid: Signal<Local, Bit>,
    f_ev_ready: Signal<Local, Bit>,
    f_ev_data: Signal<Local, Bits<64>>,
    f_ev_last: Signal<Local, Bit>,
    st_word: Signal<Local, Bits<64>>,
    // Event merger.
    ev_busy: DFF<Bit>,
    ev_own: DFF<Bits<3>>,
    g: Signal<Local, Bits<3>>,
    // Counters.
    c_frames: DFF<Bits<32>>,
    c_bytes: DFF<Bits<32>>,
    c_drops: DFF<Bits<32>>,
    c_dmaerr: DFF<Bits<32>>,
    c_cmderr: DFF<Bits<32>>,
    // Constants (localparams).
    k_dp: Constant<Bits<5>>,
    k_rxbuf: Constant<Bits<8>>,
    k_rcvlist: Constant<Bits<8>>,
    k_winupdate: Constant<Bits<8>>,
    k_resp: Constant<Bits<64>>,
    k_error: Constant<Bits<64>>,
    k_rxframe: Constant<Bits<64>>,
    k_framedata: Constant<Bits<64>>,
    k_max_frame: Constant<Bits<17>>,
    k_max_off: Constant<Bits<16>>,
    k_ok: Constant<Bits<8>>,
    k_truncated: Constant<Bits<8>>,
    k_bad_entry: Constant<Bits<8>>,
    k_bad_opcode: Constant<Bits<8>>,
    k_bad_header: Constant<Bits<8>>,
    k_trailing: Constant<Bits<8>>,
    k_ring_full: Constant<Bits<8>>,
    k_dma_error: Constant<Bits<64>>,
}

impl Default for RxPath {
    fn default() -> Self {
        let k8 = |s: CmdStatus| Constant::new((s as u64).to_bits());
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_tdata: Default::default(),
            s_tkeep: Default::default(),
            s_tvalid: Default::default(),
            s_tready: Default::default(),
            s_tlast: Default::default(),
            s_tuser: Default::default(),
            s_lk_meta: Default::default(),
            s_lk_status: Default::default(),
            s_lk_conn: Default::default(),
            s_lk_fdata: Default::default(),
            s_lk_nobuf: Default::default(),
            s_lk_tvalid: Default::default(),
            s_lk_tready: Default::default(),
            s_cmd_tdata: Default::default(),
            s_cmd_tvalid: Default::default(),
            s_cmd_tlast: Default::default(),
            s_cmd_tready: Default::default(),
            m_core_cmd_tdata: Default::default(),
            m_core_cmd_tvalid: Default::default(),
            m_core_cmd_tlast: Default::default(),
            m_core_cmd_tready: Default::default(),
            m_fp_cmd_tdata: Default::default(),
            m_fp_cmd_tvalid: Default::default(),
            m_fp_cmd_tlast: Default::default(),
            m_fp_cmd_tready: Default::default(),
            s_fp_evt_tdata: Default::default(),
            s_fp_evt_tlast: Default::default(),
            s_fp_evt_tvalid: Default::default(),
            s_fp_evt_tready: Default::default(),
            s_core_evt_tdata: Default::default(),
            s_core_evt_tlast: Default::default(),
            s_core_evt_tvalid: Default::default(),
            s_core_evt_tready: Default::default(),
            m_evt_tdata: Default::default(),
            m_evt_tlast: Default::default(),
            m_evt_tvalid: Default::default(),
            m_evt_tready: Default::default(),
            m_req_addr: Default::default(),
            m_req_len: Default::default(),
            m_req_tag: Default::default(),
            m_req_valid: Default::default(),
            m_req_ready: Default::default(),
            m_data_tdata: Default::default(),
            m_data_tvalid: Default::default(),
            m_data_tready: Default::default(),
            s_done_status: Default::default(),
            s_done_tag: Default::default(),
            s_done_valid: Default::default(),
            s_done_ready: Default::default(),
            ring_frames: Default::default(),
            ring_bytes: Default::default(),
            ring_drops: Default::default(),
            ring_dma_errors: Default::default(),
            cmd_errors: Default::default(),
            buf_posted: Default::default(),
            c_in: Default::default(),
            c_loc: Default::default(),
            c_fp: Default::default(),
            sel_loc: Default::default(),
            sel_fp: Default::default(),
            l_valid: Default::default(),
            l_ready: Default::default(),
            lst: Default::default(),
            l_tag: Default::default(),
            l_count: Default::default(),
            l_done: Default::default(),
            l_status: Default::default(),
            l_err: Default::default(),
            l_done1: Default::default(),
            l_word: Default::default(),
            l_top: Default::default(),
            l_wraps: Default::default(),
            l_ev_valid: Default::default(),
            l_ev_ready: Default::default(),
            l_ev_data: Default::default(),
            l_tr: Default::default(),
            l_hdr: Default::default(),
            l_tag64: Default::default(),
            l_st64: Default::default(),
            len32: Default::default(),
            ring: SyncFifo::new(2),
            fst: Default::default(),
            f_left: Default::default(),
            f_seq: Default::default(),
            f_big: Default::default(),
            f_len: Default::default(),
            f_len7: Default::default(),
            f_beats: Default::default(),
            f_go: Default::default(),
            f_take: Default::default(),
            f_fire: Default::default(),
            errs: Default::default(),
            pv: Default::default(),
            poff: Default::default(),
            flen: Default::default(),
            stw: Default::default(),
            pend_addr: SyncFifo::new(2),
            dq: SyncFifo::new(2),
            inq: SyncFifo::new(2),
            in_word: Default::default(),
            in_last: Default::default(),
            i_valid: Default::default(),
            i_data: Default::default(),
            i_last: Default::default(),
            i_read: Default::default(),
            pend_st: SyncFifo::new(2),
            pend_len: SyncFifo::new(2),
            reqf: SyncFifo::new(2),
            est: Default::default(),
            e_err: Default::default(),
            f_ev_valid: Default::default(),
            f_ev_ready: Default::default(),
            f_ev_data: Default::default(),
            f_ev_last: Default::default(),
            st_word: Default::default(),
            ev_busy: Default::default(),
            ev_own: Default::default(),
            g: Default::default(),
            c_frames: Default::default(),
            c_bytes: Default::default(),
            c_drops: Default::default(),
            c_dmaerr: Default::default(),
            c_cmderr: Default::default(),
            k_dp: Constant::new(((DATA_PATH_OPCODES >> 3) as u64).to_bits()),
            k_rxbuf: Constant::new((Opcode::RxBuf as u64).to_bits()),
            k_rcvlist: Constant::new((Opcode::RcvList as u64).to_bits()),
            k_winupdate: Constant::new((Opcode::WinUpdate as u64).to_bits()),
            k_resp: Constant::new((EventType::RxBufPosted as u64).to_bits()),
            k_error: Constant::new((EventType::Error as u64).to_bits()),
            k_rxframe: Constant::new((EventType::RxFrame as u64).to_bits()),
            k_framedata: Constant::new((EventType::FrameData as u64).to_bits()),
            k_max_frame: Constant::new((RX_BUF_BYTES as u64).to_bits()),
            k_max_off: Constant::new((RX_STATUS_MAX_PAYLOAD_OFFSET as u64).to_bits()),
            k_ok: k8(CmdStatus::Ok),
            k_truncated: k8(CmdStatus::Truncated),
            k_bad_entry: k8(CmdStatus::BadEntry),
            k_bad_opcode: k8(CmdStatus::BadOpcode),
            k_bad_header: k8(CmdStatus::BadHeader),
            k_trailing: k8(CmdStatus::TrailingWords),
            k_ring_full: k8(CmdStatus::RingFull),
            k_dma_error: Constant::new((CmdStatus::DmaError as u64).to_bits()),
        }
    }
}

impl Logic for RxPath {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, c_in, c_loc, c_fp, lst, l_tag, l_count, l_done, l_status, l_err, fst,
            f_left, f_seq, est, e_err, ev_busy, ev_own, c_frames, c_bytes, c_drops, c_dmaerr,
            c_cmderr
        );
        clock!(
            self, clock, ring, pend_addr, pend_st, pend_len, dq, inq, reqf
        );
        self.reqf.reset.next = self.reset.val();
        self.dq.reset.next = self.reset.val();
        self.inq.reset.next = self.reset.val();
        self.ring.reset.next = self.reset.val();
        self.pend_addr.reset.next = self.reset.val();
        self.pend_st.reset.next = self.reset.val();
        self.pend_len.reset.next = self.reset.val();
        self.ring_frames.next = self.c_frames.q.val();
        self.ring_bytes.next = self.c_bytes.q.val();
        self.ring_drops.next = self.c_drops.q.val();
        self.ring_dma_errors.next = self.c_dmaerr.q.val();
        self.cmd_errors.next = self.c_cmderr.q.val();

        // ---- Handshake signals that depend only on state (computed first).
        self.l_ready.next = (self.lst.q.val() == LState::Idle)
            | (self.lst.q.val() == LState::Body)
            | (self.lst.q.val() == LState::Discard);
        self.l_ev_valid.next =
            (self.lst.q.val() == LState::Resp0) | (self.lst.q.val() == LState::Resp1);
        self.f_ev_valid.next = self.est.q.val() != EState::Idle;
        // Event merger, grant: whole messages; core, then responses, then frame events.
        self.g.next = 0.into();
        if self.ev_busy.q.val() {
            self.g.next = self.ev_own.q.val();
        } else if self.s_core_evt_tvalid.val() {
            self.g.next = 1.into();
        } else if self.l_ev_valid.val() {
            self.g.next = 2.into();
        } else if self.f_ev_valid.val() {
            self.g.next = 3.into();
        } else if self.s_fp_evt_tvalid.val() {
            self.g.next = 4.into();
        }
        self.m_evt_tvalid.next = false;
        if self.g.val() == 1 {
            self.m_evt_tvalid.next = self.s_core_evt_tvalid.val();
        }
        if self.g.val() == 2 {
            self.m_evt_tvalid.next = self.l_ev_valid.val();
        }
        if self.g.val() == 3 {
            self.m_evt_tvalid.next = self.f_ev_valid.val();
        }
        if self.g.val() == 4 {
            self.m_evt_tvalid.next = self.s_fp_evt_tvalid.val();
        }
        self.s_core_evt_tready.next = (self.g.val() == 1) & self.m_evt_tready.val();
        self.l_ev_ready.next = (self.g.val() == 2) & self.m_evt_tready.val();
        self.f_ev_ready.next = (self.g.val() == 3) & self.m_evt_tready.val();
        self.s_fp_evt_tready.next = (self.g.val() == 4) & self.m_evt_tready.val();

        // ---- Command demultiplexer: a whole message to the core or to us.
        self.sel_fp.next = (self.s_cmd_tdata.val().get_bits::<8>(0) == self.k_rcvlist.val())
            | (self.s_cmd_tdata.val().get_bits::<8>(0) == self.k_winupdate.val());
        self.sel_loc.next =
            (self.s_cmd_tdata.val().get_bits::<5>(3) == self.k_dp.val()) & !self.sel_fp.val();
        if self.c_in.q.val() {
            self.sel_loc.next = self.c_loc.q.val();
            self.sel_fp.next = self.c_fp.q.val();
        }
        self.m_fp_cmd_tdata.next = self.s_cmd_tdata.val();
        self.m_fp_cmd_tlast.next = self.s_cmd_tlast.val();
        self.m_fp_cmd_tvalid.next = self.s_cmd_tvalid.val() & self.sel_fp.val();
        self.m_core_cmd_tdata.next = self.s_cmd_tdata.val();
        self.m_core_cmd_tlast.next = self.s_cmd_tlast.val();
        self.m_core_cmd_tvalid.next =
            self.s_cmd_tvalid.val() & !self.sel_loc.val() & !self.sel_fp.val();
        self.l_valid.next = self.s_cmd_tvalid.val() & self.sel_loc.val();
        self.s_cmd_tready.next = self.m_core_cmd_tready.val();
        if self.sel_loc.val() {
            self.s_cmd_tready.next = self.l_ready.val();
        }
        if self.sel_fp.val() {
            self.s_cmd_tready.next = self.m_fp_cmd_tready.val();
        }
        if self.s_cmd_tvalid.val() & self.s_cmd_tready.val() {
            self.c_in.d.next = !self.s_cmd_tlast.val();
            self.c_loc.d.next = self.sel_loc.val();
            self.c_fp.d.next = self.sel_fp.val();
        }

        // ---- Command processor (RXBUF).
        self.l_word.next = self.s_cmd_tdata.val();
        self.l_done1.next = self.l_done.q.val() + 1;
        // The buffer would wrap past 2^64 - 1: address bits [63:11] all ones and the
        // buffer not starting exactly 2,048 bytes below the end.
        self.l_top.next = self.l_word.val().get_bits::<53>(11);
        self.l_wraps.next = self.l_top.val().all() & self.l_word.val().get_bits::<8>(3).any();
        self.ring.write.next = false;
        self.ring.data_in.next = self.l_word.val();
        self.l_hdr.next = self.k_resp.val();
        if self.l_err.q.val() {
            self.l_hdr.next = self.k_error.val();
        }
        self.l_tag64.next = bit_cast::<64, 32>(self.l_tag.q.val());
        self.l_tag64.next = self.l_tag64.val() << 32;
        self.l_hdr.next = self.l_hdr.val() | self.l_tag64.val();
        self.l_tr.next = bit_cast::<64, 16>(self.l_done.q.val());
        self.l_tr.next = self.l_tr.val() << 16;
        self.l_st64.next = bit_cast::<64, 8>(self.l_status.q.val());
        self.l_tr.next = self.l_tr.val() | self.l_st64.val();
        self.l_ev_data.next = self.l_hdr.val();
        match self.lst.q.val() {
            LState::Idle => {
                if self.l_valid.val() {
                    self.l_tag.d.next = self.l_word.val().get_bits::<32>(32);
                    self.l_count.d.next = self.l_word.val().get_bits::<16>(16);
                    self.l_done.d.next = 0.into();
                    self.l_err.d.next = true;
                    if self.l_word.val().get_bits::<8>(0) != self.k_rxbuf.val() {
                        self.l_status.d.next = self.k_bad_opcode.val();
                        self.lst.d.next = LState::Discard;
                        if self.s_cmd_tlast.val() {
                            self.lst.d.next = LState::Resp0;
                        }
                    } else if self.l_word.val().get_bits::<8>(8).any() {
                        self.l_status.d.next = self.k_bad_header.val();
                        self.lst.d.next = LState::Discard;
                        if self.s_cmd_tlast.val() {
                            self.lst.d.next = LState::Resp0;
                        }
                    } else {
                        self.l_err.d.next = false;
                        if self.l_word.val().get_bits::<16>(16) == 0 {
                            self.l_status.d.next = self.k_ok.val();
                            self.lst.d.next = LState::Resp0;
                            if !self.s_cmd_tlast.val() {
                                self.l_status.d.next = self.k_trailing.val();
                                self.lst.d.next = LState::Discard;
                            }
                        } else {
                            self.l_status.d.next = self.k_truncated.val();
                            self.lst.d.next = LState::Body;
                            if self.s_cmd_tlast.val() {
                                self.lst.d.next = LState::Resp0;
                            }
                        }
                    }
                }
            }
            LState::Body => {
                if self.l_valid.val() {
                    if self.l_word.val().get_bits::<3>(0).any() | self.l_wraps.val() {
                        self.l_status.d.next = self.k_bad_entry.val();
                        self.lst.d.next = LState::Discard;
                        if self.s_cmd_tlast.val() {
                            self.lst.d.next = LState::Resp0;
                        }
                    } else if self.ring.full.val() {
                        self.l_status.d.next = self.k_ring_full.val();
                        self.lst.d.next = LState::Discard;
                        if self.s_cmd_tlast.val() {
                            self.lst.d.next = LState::Resp0;
                        }
                    } else {
                        self.ring.write.next = true;
                        self.l_done.d.next = self.l_done1.val();
                        if self.l_done1.val() == self.l_count.q.val() {
                            self.l_status.d.next = self.k_ok.val();
                            self.lst.d.next = LState::Resp0;
                            if !self.s_cmd_tlast.val() {
                                self.l_status.d.next = self.k_trailing.val();
                                self.lst.d.next = LState::Discard;
                            }
                        } else if self.s_cmd_tlast.val() {
                            self.lst.d.next = LState::Resp0;
                        }
                    }
                }
            }
            LState::Discard => {
                if self.l_valid.val() & self.s_cmd_tlast.val() {
                    self.lst.d.next = LState::Resp0;
                }
            }
            LState::Resp0 => {
                if self.l_ev_ready.val() {
                    self.lst.d.next = LState::Resp1;
                }
            }
            _ => {
                self.l_ev_data.next = self.l_tr.val();
                if self.l_ev_ready.val() {
                    self.lst.d.next = LState::Idle;
                    if self.l_status.q.val() != self.k_ok.val() {
                        self.c_cmderr.d.next = self.c_cmderr.q.val() + 1;
                    }
                }
            }
        }

        self.buf_posted.next = self.ring.write.val();

        // ---- Frame writer: status word of the frame at the head of the record stream.
        self.errs.next = 0.into();
        if self.s_lk_meta.val().err_mac.any() {
            self.errs.next = self.errs.val() | 1;
        }
        if self.s_lk_meta.val().err_runt.any() {
            self.errs.next = self.errs.val() | 2;
        }
        if self.s_lk_meta.val().err_truncated.any() {
            self.errs.next = self.errs.val() | 4;
        }
        if self.s_lk_meta.val().err_bad_ip_header.any() {
            self.errs.next = self.errs.val() | 8;
        }
        if self.s_lk_meta.val().err_bad_l4_header.any() {
            self.errs.next = self.errs.val() | 16;
        }
        if self.s_lk_meta.val().ip_csum_checked.any() & !self.s_lk_meta.val().ip_csum_ok.any() {
            self.errs.next = self.errs.val() | 32;
        }
        if self.s_lk_meta.val().l4_csum_checked.any() & !self.s_lk_meta.val().l4_csum_ok.any() {
            self.errs.next = self.errs.val() | 64;
        }
        // (Struct fields are copied to locals before bit selects: no double index.)
        self.poff.next = self.s_lk_meta.val().payload_offset;
        self.flen.next = self.s_lk_meta.val().frame_len;
        self.f_big.next = self.flen.val() > self.k_max_frame.val();
        self.pv.next = self.s_lk_meta.val().payload_valid.any()
            & (self.s_lk_meta.val().payload_offset <= self.k_max_off.val());
        self.stw.next.frame_len = self.s_lk_meta.val().frame_len;
        self.stw.next.cut = self.f_big.val().into();
        self.stw.next.lookup = self.s_lk_status.val();
        // The engine's handle is meaningful for hits only.
        self.stw.next.conn = 0.into();
        if self.s_lk_status.val() == 3 {
            self.stw.next.conn = self.s_lk_conn.val();
        }
        self.stw.next.candidate = self.s_lk_meta.val().candidate;
        self.stw.next.errors = self.errs.val();
        self.stw.next.vlan = self.s_lk_meta.val().vlan_valid;
        self.stw.next.ip4 = self.s_lk_meta.val().ip4;
        self.stw.next.ip6 = self.s_lk_meta.val().ip6;
        self.stw.next.tcp = self.s_lk_meta.val().l4_valid & self.s_lk_meta.val().l4_tcp;
        self.stw.next.udp = self.s_lk_meta.val().l4_valid & self.s_lk_meta.val().l4_udp;
        self.stw.next.ip_csum_ok =
            self.s_lk_meta.val().ip_csum_checked & self.s_lk_meta.val().ip_csum_ok;
        self.stw.next.l4_csum_ok =
            self.s_lk_meta.val().l4_csum_checked & self.s_lk_meta.val().l4_csum_ok;
        self.stw.next.payload_valid = self.pv.val().into();
        self.stw.next.payload_offset = 0.into();
        if self.pv.val() {
            self.stw.next.payload_offset = self.poff.val().get_bits::<12>(0);
        }
        self.f_len.next = self.flen.val().get_bits::<16>(0);
        if self.f_big.val() {
            self.f_len.next = self.k_max_frame.val().get_bits::<16>(0);
        }
        self.f_len7.next = self.f_len.val() + 7;
        self.f_beats.next = self.f_len7.val().get_bits::<9>(3);

        self.f_go.next = (self.fst.q.val() == FState::Idle)
            & self.s_lk_tvalid.val()
            & !self.s_lk_nobuf.val()
            & !self.ring.empty.val()
            & !self.pend_addr.full.val()
            & !self.reqf.full.val();
        // Requests wait in their own FIFO: the frame's beats move on into the data
        // FIFO whether or not the DMA engine has taken the request yet (the fast path
        // sends some frames both here and to its extractor, and shares the engine).
        self.f_take.next = self.f_go.val();
        self.reqf.write.next = self.f_take.val();
        self.reqf.data_in.next = (bit_cast::<96, 16>(self.f_seq.q.val()) << 80)
            | (bit_cast::<96, 16>(self.f_len.val()) << 64)
            | bit_cast::<96, 64>(self.ring.data_out.val());
        self.m_req_valid.next = !self.reqf.empty.val();
        self.m_req_addr.next = self.reqf.data_out.val().get_bits::<64>(0);
        self.m_req_len.next = self.reqf.data_out.val().get_bits::<16>(64);
        self.m_req_tag.next = self.reqf.data_out.val().get_bits::<16>(80);
        self.reqf.read.next = self.m_req_ready.val() & !self.reqf.empty.val();
        self.ring.read.next = self.f_take.val();
        self.pend_addr.write.next = self.f_take.val();
        self.pend_addr.data_in.next = self.ring.data_out.val();
        self.pend_st.write.next = self.f_take.val();
        self.pend_st.data_in.next = self.stw.val();
        self.pend_len.write.next = self.f_take.val();
        self.pend_len.data_in.next = bit_cast::<17, 16>(self.f_len.val());
        if self.s_lk_fdata.val() {
            self.pend_len.data_in.next = self.pend_len.data_in.val() | 0x10000;
        }
        self.s_lk_tready.next = self.f_take.val();
        // Frame beats enter an input FIFO first: the engine top's record trails its
        // frame's first beat by two clocks, and the beats must not wait for it.
        self.in_word.next = bit_cast::<65, 64>(self.s_tdata.val());
        self.in_last.next = bit_cast::<65, 1>(self.s_tlast.val().into());
        self.in_last.next = self.in_last.val() << 64;
        self.inq.data_in.next = self.in_word.val() | self.in_last.val();
        self.s_tready.next = !self.inq.full.val();
        self.inq.write.next = self.s_tvalid.val();
        self.i_valid.next = !self.inq.empty.val();
        self.i_data.next = self.inq.data_out.val().get_bits::<64>(0);
        self.i_last.next = self.inq.data_out.val().get_bit(64);
        // Frame beats go through a data FIFO, so the DMA engine can take the next request
        // while it still writes the previous frame's data.
        self.m_data_tdata.next = self.dq.data_out.val();
        self.m_data_tvalid.next = !self.dq.empty.val();
        self.dq.read.next = self.m_data_tready.val() & !self.dq.empty.val();
        self.dq.data_in.next = self.i_data.val();
        self.dq.write.next = false;
        self.i_read.next = false;
        self.f_fire.next = false;
        match self.fst.q.val() {
            FState::Idle => {
                if self.f_take.val() {
                    // The frame's first beat may go in the clock its record is taken.
                    self.f_seq.d.next = self.f_seq.q.val() + 1;
                    self.i_read.next = !self.dq.full.val();
                    self.f_fire.next = self.i_valid.val() & !self.dq.full.val();
                    self.dq.write.next = self.f_fire.val();
                    self.f_left.d.next = self.f_beats.val();
                    self.fst.d.next = FState::Data;
                    if self.f_fire.val() {
                        self.f_left.d.next = self.f_beats.val() - 1;
                        if self.i_last.val() {
                            self.fst.d.next = FState::Pad;
                            if self.f_beats.val() == 1 {
                                self.fst.d.next = FState::Idle;
                            }
                        }
                    }
                } else if self.s_lk_tvalid.val() & (self.ring.empty.val() | self.s_lk_nobuf.val()) {
                    // No buffer: drop the frame, count it.
                    self.s_lk_tready.next = true;
                    self.c_drops.d.next = self.c_drops.q.val() + 1;
                    self.fst.d.next = FState::Drop;
                }
            }
            FState::Data => {
                if self.f_left.q.val().any() {
                    self.i_read.next = !self.dq.full.val();
                    self.f_fire.next = self.i_valid.val() & !self.dq.full.val();
                    self.dq.write.next = self.f_fire.val();
                    if self.f_fire.val() {
                        self.f_left.d.next = self.f_left.q.val() - 1;
                        if self.i_last.val() {
                            self.fst.d.next = FState::Pad;
                            if self.f_left.q.val() == 1 {
                                self.fst.d.next = FState::Idle;
                            }
                        }
                    }
                } else {
                    // The stream is longer than the record said: discard the rest.
                    self.i_read.next = true;
                    if self.i_valid.val() & self.i_last.val() {
                        self.fst.d.next = FState::Idle;
                    }
                }
            }
            FState::Pad => {
                // The stream ended before the record's length: pad with zero beats so
                // the DMA request completes.
                self.dq.data_in.next = 0.into();
                self.dq.write.next = !self.dq.full.val();
                if !self.dq.full.val() {
                    self.f_left.d.next = self.f_left.q.val() - 1;
                    if self.f_left.q.val() == 1 {
                        self.fst.d.next = FState::Idle;
                    }
                }
            }
            _ => {
                self.i_read.next = true;
                if self.i_valid.val() & self.i_last.val() {
                    self.fst.d.next = FState::Idle;
                }
            }
        }

        self.inq.read.next = self.i_read.val() & !self.inq.empty.val();

        // ---- Frame events: one per completed write, in order.
        self.s_done_ready.next = false;
        self.f_ev_last.next = false;
        self.st_word.next = self.pend_st.data_out.val().into();
        self.len32.next = bit_cast::<32, 16>(self.pend_len.data_out.val().get_bits::<16>(0));
        self.f_ev_data.next = self.k_rxframe.val();
        if self.pend_len.data_out.val().get_bit(16) {
            self.f_ev_data.next = self.k_framedata.val();
        }
        self.pend_addr.read.next = false;
        self.pend_st.read.next = false;
        self.pend_len.read.next = false;
        match self.est.q.val() {
            EState::Idle => {
                if self.s_done_valid.val() & !self.pend_addr.empty.val() {
                    self.s_done_ready.next = true;
                    self.e_err.d.next = self.s_done_status.val().any();
                    if self.s_done_status.val().any() {
                        self.c_dmaerr.d.next = self.c_dmaerr.q.val() + 1;
                    } else {
                        self.c_frames.d.next = self.c_frames.q.val() + 1;
                        self.c_bytes.d.next = self.c_bytes.q.val() + self.len32.val();
                    }
                    self.est.d.next = EState::Hdr;
                }
            }
            EState::Hdr => {
                if self.f_ev_ready.val() {
                    self.est.d.next = EState::Addr;
                }
            }
            EState::Addr => {
                self.f_ev_data.next = self.pend_addr.data_out.val();
                if self.f_ev_ready.val() {
                    self.est.d.next = EState::Status;
                }
            }
            EState::Status => {
                self.f_ev_data.next = self.st_word.val();
                if self.f_ev_ready.val() {
                    self.est.d.next = EState::Trailer;
                }
            }
            _ => {
                self.f_ev_last.next = true;
                self.f_ev_data.next = 0.into();
                if self.e_err.q.val() {
                    self.f_ev_data.next = self.k_dma_error.val();
                }
                if self.f_ev_ready.val() {
                    self.pend_addr.read.next = true;
                    self.pend_st.read.next = true;
                    self.pend_len.read.next = true;
                    self.est.d.next = EState::Idle;
                }
            }
        }

        // ---- Event merger, output side (the messages' words are chosen above).
        self.m_evt_tdata.next = self.s_core_evt_tdata.val();
        self.m_evt_tlast.next = self.s_core_evt_tlast.val();
        if self.g.val() == 2 {
            self.m_evt_tdata.next = self.l_ev_data.val();
            self.m_evt_tlast.next = self.lst.q.val() == LState::Resp1;
        }
        if self.g.val() == 3 {
            self.m_evt_tdata.next = self.f_ev_data.val();
            self.m_evt_tlast.next = self.f_ev_last.val();
        }
        if self.g.val() == 4 {
            self.m_evt_tdata.next = self.s_fp_evt_tdata.val();
            self.m_evt_tlast.next = self.s_fp_evt_tlast.val();
        }
        if self.m_evt_tvalid.val() & self.m_evt_tready.val() {
            self.ev_busy.d.next = !self.m_evt_tlast.val();
            self.ev_own.d.next = self.g.val();
        }

        if self.reset.val() {
            self.c_in.d.next = false;
            self.lst.d.next = LState::Idle;
            self.fst.d.next = FState::Idle;
            self.est.d.next = EState::Idle;
            self.ev_busy.d.next = false;
            self.c_frames.d.next = 0.into();
            self.c_bytes.d.next = 0.into();
            self.c_drops.d.next = 0.into();
            self.c_dmaerr.d.next = 0.into();
            self.c_cmderr.d.next = 0.into();
            self.f_seq.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_layout_matches_host_model() {
        assert_eq!(RxStatusWord::BITS, 64);
        let w = RxStatusWord::default();
        for (name, off, width) in host_model::proto::RX_STATUS_FIELDS {
            let (o, wd) = match *name {
                "frame_len" => (w.get_my_offset_frame_len(), w.get_my_width_frame_len()),
                "conn" => (w.get_my_offset_conn(), w.get_my_width_conn()),
                "errors" => (w.get_my_offset_errors(), w.get_my_width_errors()),
                "payload_offset" => (
                    w.get_my_offset_payload_offset(),
                    w.get_my_width_payload_offset(),
                ),
                _ => continue,
            };
            assert_eq!((o, wd), (*off, *width), "{name}");
        }
    }

    #[test]
    fn error_bits_follow_error_names() {
        // The RTL sets errors bit i for ERROR_NAMES[i] in this order.
        assert_eq!(
            host_model::meta::ERROR_NAMES,
            &[
                "mac_error",
                "runt",
                "truncated",
                "bad_ip_header",
                "bad_l4_header",
                "ip_checksum",
                "l4_checksum"
            ]
        );
    }

    #[test]
    fn generates_verilog() {
        let mut uut = RxPath::default();
        uut.connect_all();
        let v = generate_verilog(&uut);
        assert!(v.contains("module top"));
    }
}
