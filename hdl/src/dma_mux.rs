//! Two-port front end of the DMA write engine (`DmaMux`): the receive ring
//! (`crate::rx_path`, port A) and the fast path (`crate::rcv_core`, port B) share one
//! `crate::dma_write::DmaWrite`.
//!
//! # What it does
//! - Requests are passed on as the engine takes them; when both ports ask, they take
//!   turns. The data beats follow in the same order: a FIFO of the granted requests'
//!   `{port, ⌈len / 8⌉}` (16 deep) says whose beats go next, so the next request may go
//!   out while the previous one's data still streams.
//! - Completions come back from the engine in request order; a FIFO of the owner of
//!   each granted request (64 deep: more than the engine keeps outstanding) sends each
//!   to its port. Tags pass through unchanged.
//!
//! # Timing
//! A request per clock, beats at one per clock with no idle clock between requests.

use crate::sync_fifo::SyncFifo;
use rust_hdl::prelude::*;

/// Two request ports onto one DMA write engine, 64-bit data.
#[derive(LogicBlock)]
pub struct DmaMux {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub a_req_addr: Signal<In, Bits<64>>,
    pub a_req_len: Signal<In, Bits<16>>,
    pub a_req_tag: Signal<In, Bits<16>>,
    pub a_req_valid: Signal<In, Bit>,
    pub a_req_ready: Signal<Out, Bit>,
    pub a_data_tdata: Signal<In, Bits<64>>,
    pub a_data_tvalid: Signal<In, Bit>,
    pub a_data_tready: Signal<Out, Bit>,
    pub a_done_status: Signal<Out, Bits<3>>,
    pub a_done_tag: Signal<Out, Bits<16>>,
    pub a_done_valid: Signal<Out, Bit>,
    pub a_done_ready: Signal<In, Bit>,
    pub b_req_addr: Signal<In, Bits<64>>,
    pub b_req_len: Signal<In, Bits<16>>,
    pub b_req_tag: Signal<In, Bits<16>>,
    pub b_req_valid: Signal<In, Bit>,
    pub b_req_ready: Signal<Out, Bit>,
    pub b_data_tdata: Signal<In, Bits<64>>,
    pub b_data_tvalid: Signal<In, Bit>,
    pub b_data_tready: Signal<Out, Bit>,
    pub b_done_status: Signal<Out, Bits<3>>,
    pub b_done_tag: Signal<Out, Bits<16>>,
    pub b_done_valid: Signal<Out, Bit>,
    pub b_done_ready: Signal<In, Bit>,
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
    pri: DFF<Bit>,
    /// Beats sent of the request at the head of `dq`.
    cnt: DFF<Bits<14>>,
    own: Signal<Local, Bit>,
    hbeats: Signal<Local, Bits<14>>,
    pick_b: Signal<Local, Bit>,
    len: Signal<Local, Bits<17>>,
    beats: Signal<Local, Bits<14>>,
    take: Signal<Local, Bit>,
    beat: Signal<Local, Bit>,
    order: SyncFifo<Bit, 6, 7>,
    /// Granted requests' data `{port, beats}`, in order.
    dq: SyncFifo<Bits<15>, 4, 5>,
}

impl Default for DmaMux {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            a_req_addr: Default::default(),
            a_req_len: Default::default(),
            a_req_tag: Default::default(),
            a_req_valid: Default::default(),
            a_req_ready: Default::default(),
            a_data_tdata: Default::default(),
            a_data_tvalid: Default::default(),
            a_data_tready: Default::default(),
            a_done_status: Default::default(),
            a_done_tag: Default::default(),
            a_done_valid: Default::default(),
            a_done_ready: Default::default(),
            b_req_addr: Default::default(),
            b_req_len: Default::default(),
            b_req_tag: Default::default(),
            b_req_valid: Default::default(),
            b_req_ready: Default::default(),
            b_data_tdata: Default::default(),
            b_data_tvalid: Default::default(),
            b_data_tready: Default::default(),
            b_done_status: Default::default(),
            b_done_tag: Default::default(),
            b_done_valid: Default::default(),
            b_done_ready: Default::default(),
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
            pri: Default::default(),
            cnt: Default::default(),
            own: Default::default(),
            hbeats: Default::default(),
            pick_b: Default::default(),
            len: Default::default(),
            beats: Default::default(),
            take: Default::default(),
            beat: Default::default(),
            order: SyncFifo::new(2),
            dq: SyncFifo::new(1),
        }
    }
}

impl Logic for DmaMux {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pri, cnt);
        clock!(self, clock, order, dq);
        self.order.reset.next = self.reset.val();
        self.dq.reset.next = self.reset.val();
        // ---- Grant: port B when only B asks, or both ask and it is B's turn.
        self.pick_b.next = self.b_req_valid.val() & (!self.a_req_valid.val() | self.pri.q.val());
        self.m_req_addr.next = self.a_req_addr.val();
        self.m_req_len.next = self.a_req_len.val();
        self.m_req_tag.next = self.a_req_tag.val();
        self.m_req_valid.next = self.a_req_valid.val();
        if self.pick_b.val() {
            self.m_req_addr.next = self.b_req_addr.val();
            self.m_req_len.next = self.b_req_len.val();
            self.m_req_tag.next = self.b_req_tag.val();
            self.m_req_valid.next = self.b_req_valid.val();
        }
        self.m_req_valid.next =
            self.m_req_valid.val() & !self.order.full.val() & !self.dq.almost_full.val();
        self.a_req_ready.next =
            self.m_req_ready.val() & self.m_req_valid.val() & !self.pick_b.val();
        self.b_req_ready.next = self.m_req_ready.val() & self.m_req_valid.val() & self.pick_b.val();
        self.take.next = self.m_req_valid.val() & self.m_req_ready.val();
        self.len.next = bit_cast::<17, 16>(self.m_req_len.val()) + 7;
        self.beats.next = self.len.val().get_bits::<14>(3);
        self.order.write.next = self.take.val();
        self.order.data_in.next = self.pick_b.val();
        self.dq.write.next = self.take.val() & (self.beats.val() != 0);
        self.dq.data_in.next = bit_cast::<15, 14>(self.beats.val());
        if self.pick_b.val() {
            self.dq.data_in.next = self.dq.data_in.val() | 0x4000;
        }
        if self.take.val() {
            self.pri.d.next = !self.pick_b.val();
        }
        // ---- Data beats of the oldest granted request with data.
        self.own.next = self.dq.data_out.val().get_bit(14);
        self.hbeats.next = self.dq.data_out.val().get_bits::<14>(0);
        self.m_data_tdata.next = self.a_data_tdata.val();
        self.m_data_tvalid.next = !self.dq.empty.val() & self.a_data_tvalid.val();
        if self.own.val() {
            self.m_data_tdata.next = self.b_data_tdata.val();
            self.m_data_tvalid.next = !self.dq.empty.val() & self.b_data_tvalid.val();
        }
        self.a_data_tready.next = !self.dq.empty.val() & !self.own.val() & self.m_data_tready.val();
        self.b_data_tready.next = !self.dq.empty.val() & self.own.val() & self.m_data_tready.val();
        self.beat.next = self.m_data_tvalid.val() & self.m_data_tready.val();
        self.dq.read.next = false;
        if self.beat.val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
            if self.cnt.q.val() + 1 == self.hbeats.val() {
                self.cnt.d.next = 0.into();
                self.dq.read.next = true;
            }
        }
        // ---- Completions to the owner of the oldest request.
        self.a_done_status.next = self.s_done_status.val();
        self.b_done_status.next = self.s_done_status.val();
        self.a_done_tag.next = self.s_done_tag.val();
        self.b_done_tag.next = self.s_done_tag.val();
        self.a_done_valid.next =
            self.s_done_valid.val() & !self.order.empty.val() & !self.order.data_out.val();
        self.b_done_valid.next =
            self.s_done_valid.val() & !self.order.empty.val() & self.order.data_out.val();
        self.s_done_ready.next = !self.order.empty.val() & self.a_done_ready.val();
        if self.order.data_out.val() {
            self.s_done_ready.next = !self.order.empty.val() & self.b_done_ready.val();
        }
        self.order.read.next = self.s_done_valid.val() & self.s_done_ready.val();
        if self.reset.val() {
            self.cnt.d.next = 0.into();
        }
    }
}
