//! DMA write engine (`DmaWrite`): writes byte streams to host memory through an AXI4
//! master write port, in bursts.
//!
//! # Interface
//! - **Requests** (`s_req_*`): `addr` (any byte address), `len` (bytes, 0..=65535) and a
//!   `tag`. The request's data arrives on `s_data_*` as `⌈len / 8⌉` beats packed from
//!   byte 0 of the first beat (lane 0 = `tdata[7:0]`); bytes past `len` in the last beat
//!   are ignored. A request of length 0 reads no data and writes nothing.
//! - **AXI4 write master** (`m_axi_aw*`, `m_axi_w*`, `m_axi_b*`), 64-bit data. The subset:
//!   INCR bursts of 8-byte beats (`awsize` = 3, `awburst` = 1), 1 to 256 beats, never
//!   crossing a 4 KB boundary; one ID (responses in order); `wstrb` marks exactly the
//!   request's bytes (the first and last beat of an unaligned request are partial);
//!   `awaddr` is 8-byte aligned. No `awlock`, `awcache`, `awprot`, `awqos`: tie them off
//!   (0, 0, 0, 0) at the interconnect if it needs them. Addresses go out on all 64 bits.
//!   Several bursts (of one or more requests) may be outstanding; the address of the
//!   next burst may go out before the data of the previous one.
//! - **Completions** (`m_done_*`), one per request, in request order: the tag and a
//!   status: the worst `bresp` of the request's bursts (0 OKAY, 2 SLVERR, 3 DECERR), or
//!   4 for a zero-length request. An error is reported, never hangs the engine, and the
//!   following requests proceed normally.
//!
//! # Structure
//! - *Planner*: splits a request into bursts (at most 256 beats, not across 4 KB) and
//!   issues their addresses; per burst it queues the beat count for the write sender and
//!   a `{tag, last}` entry for the response tracker.
//! - *Aligner*: shifts the packed data by `addr mod 8` lanes (one register of carry) and
//!   makes the byte strobes; one beat per clock; an unaligned request may need one beat
//!   more than it brought.
//! - *Write sender*: sends aligned beats with `wlast` on each burst's last beat.
//! - *Response tracker*: one `bresp` per burst; completes a request at its last burst.

use crate::burst::BurstPlanner;
use crate::sync_fifo::SyncFifo;
use rust_hdl::prelude::*;

/// DMA write engine, 64-bit data, AXI4 write master.
#[derive(LogicBlock)]
pub struct DmaWrite {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_req_addr: Signal<In, Bits<64>>,
    pub s_req_len: Signal<In, Bits<16>>,
    pub s_req_tag: Signal<In, Bits<16>>,
    pub s_req_valid: Signal<In, Bit>,
    pub s_req_ready: Signal<Out, Bit>,
    pub s_data_tdata: Signal<In, Bits<64>>,
    pub s_data_tvalid: Signal<In, Bit>,
    pub s_data_tready: Signal<Out, Bit>,
    pub m_axi_awaddr: Signal<Out, Bits<64>>,
    pub m_axi_awlen: Signal<Out, Bits<8>>,
    pub m_axi_awsize: Signal<Out, Bits<3>>,
    pub m_axi_awburst: Signal<Out, Bits<2>>,
    pub m_axi_awvalid: Signal<Out, Bit>,
    pub m_axi_awready: Signal<In, Bit>,
    pub m_axi_wdata: Signal<Out, Bits<64>>,
    pub m_axi_wstrb: Signal<Out, Bits<8>>,
    pub m_axi_wlast: Signal<Out, Bit>,
    pub m_axi_wvalid: Signal<Out, Bit>,
    pub m_axi_wready: Signal<In, Bit>,
    pub m_axi_bresp: Signal<In, Bits<2>>,
    pub m_axi_bvalid: Signal<In, Bit>,
    pub m_axi_bready: Signal<Out, Bit>,
    pub m_done_status: Signal<Out, Bits<3>>,
    pub m_done_tag: Signal<Out, Bits<16>>,
    pub m_done_valid: Signal<Out, Bit>,
    pub m_done_ready: Signal<In, Bit>,
    // Planner.
    planner: BurstPlanner,
    pl_tag: DFF<Bits<16>>,
    req_take: Signal<Local, Bit>,
    c64: Signal<Local, Bits<7>>,
    part_ab: Signal<Local, Bits<64>>,
    req_off: Signal<Local, Bits<14>>,
    req_len14: Signal<Local, Bits<17>>,
    req_beats: Signal<Local, Bits<17>>,
    aw_fire: Signal<Local, Bit>,
    aw_last: Signal<Local, Bit>,
    /// Aligner requests: `{len[15:0], offset[2:0]}` at bits 18..3 and 2..0.
    aq: SyncFifo<Bits<19>, 4, 5>,
    /// Burst beat counts minus one, for the write sender.
    wq: SyncFifo<Bits<8>, 4, 5>,
    /// Response tracker entries: `{err, no_burst, last, tag}` at bits 18, 17, 16, 15..0.
    bq: SyncFifo<Bits<19>, 4, 5>,
    bq_in: Signal<Local, Bits<19>>,
    // Aligner.
    al_busy: DFF<Bit>,
    al_o: DFF<Bits<3>>,
    al_prev: DFF<Bits<64>>,
    al_first: DFF<Bit>,
    /// Input and output beats left of the current request.
    al_inl: DFF<Bits<14>>,
    al_outl: DFF<Bits<14>>,
    /// `al_inl != 0` and `al_outl == 1`, kept as registers.
    al_need: DFF<Bit>,
    al_outl1: DFF<Bit>,
    /// Strobes of the first and of the last beat.
    al_sf: DFF<Bits<8>>,
    al_sl: DFF<Bits<8>>,
    st_sf: Signal<Local, Bits<8>>,
    st_n: Signal<Local, Bits<4>>,
    st_sl: Signal<Local, Bits<9>>,
    strb8: Signal<Local, Bits<8>>,
    aq_len: Signal<Local, Bits<17>>,
    aq_o: Signal<Local, Bits<17>>,
    aq_in: Signal<Local, Bits<17>>,
    aq_out: Signal<Local, Bits<17>>,
    need_in: Signal<Local, Bit>,
    al_fire: Signal<Local, Bit>,
    cur: Signal<Local, Bits<64>>,
    shl: Signal<Local, Bits<7>>,
    shr: Signal<Local, Bits<7>>,
    part_a: Signal<Local, Bits<64>>,
    part_b: Signal<Local, Bits<64>>,
    one9: Signal<Local, Bits<9>>,
    wd_in: Signal<Local, Bits<72>>,
    wd_strb: Signal<Local, Bits<72>>,
    /// Aligned beats `{strb, data}`.
    wdf: SyncFifo<Bits<72>, 4, 5>,
    // Write sender.
    w_beat: DFF<Bits<8>>,
    w_fire: Signal<Local, Bit>,
    // Response tracker.
    worst: DFF<Bits<2>>,
    b_worst: Signal<Local, Bits<2>>,
    done_in: Signal<Local, Bits<19>>,
    done_st: Signal<Local, Bits<19>>,
    /// Completions `{status[2:0], tag[15:0]}`.
    done: SyncFifo<Bits<19>, 4, 5>,
}

impl Default for DmaWrite {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_req_addr: Default::default(),
            s_req_len: Default::default(),
            s_req_tag: Default::default(),
            s_req_valid: Default::default(),
            s_req_ready: Default::default(),
            s_data_tdata: Default::default(),
            s_data_tvalid: Default::default(),
            s_data_tready: Default::default(),
            m_axi_awaddr: Default::default(),
            m_axi_awlen: Default::default(),
            m_axi_awsize: Default::default(),
            m_axi_awburst: Default::default(),
            m_axi_awvalid: Default::default(),
            m_axi_awready: Default::default(),
            m_axi_wdata: Default::default(),
            m_axi_wstrb: Default::default(),
            m_axi_wlast: Default::default(),
            m_axi_wvalid: Default::default(),
            m_axi_wready: Default::default(),
            m_axi_bresp: Default::default(),
            m_axi_bvalid: Default::default(),
            m_axi_bready: Default::default(),
            m_done_status: Default::default(),
            m_done_tag: Default::default(),
            m_done_valid: Default::default(),
            m_done_ready: Default::default(),
            pl_tag: Default::default(),
            planner: Default::default(),
            req_take: Default::default(),
            c64: Default::default(),
            part_ab: Default::default(),
            req_off: Default::default(),
            req_len14: Default::default(),
            req_beats: Default::default(),
            aw_fire: Default::default(),
            aw_last: Default::default(),
            aq: SyncFifo::new(1),
            wq: SyncFifo::new(1),
            bq: SyncFifo::new(1),
            bq_in: Default::default(),
            al_busy: Default::default(),
            al_o: Default::default(),
            al_prev: Default::default(),
            al_first: Default::default(),
            al_inl: Default::default(),
            al_outl: Default::default(),
            al_need: Default::default(),
            al_outl1: Default::default(),
            al_sf: Default::default(),
            al_sl: Default::default(),
            st_sf: Default::default(),
            st_n: Default::default(),
            st_sl: Default::default(),
            strb8: Default::default(),
            aq_len: Default::default(),
            aq_o: Default::default(),
            aq_in: Default::default(),
            aq_out: Default::default(),
            need_in: Default::default(),
            al_fire: Default::default(),
            cur: Default::default(),
            shl: Default::default(),
            shr: Default::default(),
            part_a: Default::default(),
            part_b: Default::default(),
            one9: Default::default(),
            wd_in: Default::default(),
            wd_strb: Default::default(),
            wdf: SyncFifo::new(1),
            w_beat: Default::default(),
            w_fire: Default::default(),
            worst: Default::default(),
            b_worst: Default::default(),
            done_in: Default::default(),
            done_st: Default::default(),
            done: SyncFifo::new(1),
        }
    }
}

impl Logic for DmaWrite {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, pl_tag, al_busy, al_o, al_prev, w_beat, worst, al_first, al_inl, al_outl,
            al_sf, al_sl, al_need, al_outl1
        );
        clock!(self, clock, aq, wq, bq, wdf, done);
        self.aq.reset.next = self.reset.val();
        self.wq.reset.next = self.reset.val();
        self.bq.reset.next = self.reset.val();
        self.wdf.reset.next = self.reset.val();
        self.done.reset.next = self.reset.val();
        self.aq.write.next = false;
        self.aq.read.next = false;
        self.wq.write.next = false;
        self.wq.read.next = false;
        self.bq.write.next = false;
        self.bq.read.next = false;
        self.wdf.write.next = false;
        self.wdf.read.next = false;
        self.done.write.next = false;
        self.done.read.next = false;

        // ---- Planner: requests → bursts.
        self.planner.clock.next = self.clock.val();
        self.planner.reset.next = self.reset.val();
        self.s_req_ready.next =
            !self.planner.busy.val() & !self.aq.full.val() & !self.bq.full.val();
        self.req_take.next = self.s_req_ready.val() & self.s_req_valid.val();
        // Beats of the aligned request: ⌈(addr mod 8 + len) / 8⌉.
        self.req_off.next = bit_cast::<14, 3>(self.s_req_addr.val().get_bits::<3>(0));
        self.req_len14.next = bit_cast::<17, 16>(self.s_req_len.val());
        self.req_beats.next = self.req_len14.val() + bit_cast::<17, 14>(self.req_off.val());
        self.req_beats.next = self.req_beats.val() + 7;
        self.req_beats.next = self.req_beats.val() >> 3;
        self.aq.data_in.next = bit_cast::<19, 16>(self.s_req_len.val());
        self.aq.data_in.next = self.aq.data_in.val() << 3;
        self.aq.data_in.next =
            self.aq.data_in.val() | bit_cast::<19, 3>(self.s_req_addr.val().get_bits::<3>(0));
        self.planner.start.next = self.req_take.val() & (self.s_req_len.val() != 0);
        self.planner.start_addr.next = self.s_req_addr.val() & 0xFFFF_FFFF_FFFF_FFF8_u64;
        self.planner.start_beats.next = self.req_beats.val().get_bits::<14>(0);
        // Zero length: a response-tracker entry with no burst, status 4.
        self.bq_in.next = bit_cast::<19, 16>(self.s_req_tag.val());
        self.bq_in.next = self.bq_in.val() | 0x70000;
        if self.req_take.val() {
            if self.s_req_len.val() == 0 {
                self.bq.write.next = true;
            } else {
                self.aq.write.next = true;
                self.pl_tag.d.next = self.s_req_tag.val();
            }
        }
        self.aw_last.next = self.planner.last.val();
        self.m_axi_awaddr.next = self.planner.addr.val();
        self.m_axi_awlen.next = self.planner.len_m1.val();
        self.m_axi_awsize.next = 3.into();
        self.m_axi_awburst.next = 1.into();
        self.m_axi_awvalid.next =
            self.planner.valid.val() & !self.wq.full.val() & !self.bq.full.val();
        self.aw_fire.next = self.m_axi_awvalid.val() & self.m_axi_awready.val();
        self.planner.take.next = self.aw_fire.val();
        self.wq.data_in.next = self.planner.len_m1.val();
        if self.aw_fire.val() {
            self.wq.write.next = true;
            self.bq.write.next = true;
            self.bq_in.next = bit_cast::<19, 16>(self.pl_tag.q.val());
            if self.aw_last.val() {
                self.bq_in.next = self.bq_in.val() | 0x10000;
            }
        }
        self.bq.data_in.next = self.bq_in.val();

        // ---- Aligner: packed bytes → beats aligned to the destination, with strobes.
        self.aq_len.next = bit_cast::<17, 16>(self.aq.data_out.val().get_bits::<16>(3));
        self.aq_o.next = bit_cast::<17, 3>(self.aq.data_out.val().get_bits::<3>(0));
        self.aq_in.next = self.aq_len.val() + 7;
        self.aq_in.next = self.aq_in.val() >> 3;
        self.aq_out.next = self.aq_len.val() + self.aq_o.val();
        self.aq_out.next = self.aq_out.val() + 7;
        self.aq_out.next = self.aq_out.val() >> 3;
        // Strobes of the first and the last beat, made once per request: lanes from
        // `addr mod 8` on, and lanes below `(addr mod 8 + len) mod 8` (all if 0).
        self.one9.next = 1.into();
        self.st_sf.next = 0xFF.into();
        self.st_sf.next = self.st_sf.val() << self.aq.data_out.val().get_bits::<3>(0);
        self.st_n.next = self.aq_len.val().get_bits::<4>(0)
            + bit_cast::<4, 3>(self.aq.data_out.val().get_bits::<3>(0));
        self.st_n.next = self.st_n.val() & 7;
        self.st_sl.next = 0x100.into();
        if self.st_n.val() != 0 {
            self.st_sl.next = self.one9.val() << self.st_n.val();
        }
        self.st_sl.next = self.st_sl.val() - self.one9.val();
        self.need_in.next = self.al_need.q.val();
        self.s_data_tready.next = self.al_busy.q.val() & self.need_in.val() & !self.wdf.full.val();
        self.al_fire.next = self.al_busy.q.val()
            & !self.wdf.full.val()
            & (!self.need_in.val() | self.s_data_tvalid.val());
        self.cur.next = 0.into();
        if self.need_in.val() {
            self.cur.next = self.s_data_tdata.val();
        }
        self.shl.next = bit_cast::<7, 3>(self.al_o.q.val());
        self.shl.next = self.shl.val() << 3;
        self.c64.next = 64.into();
        self.shr.next = self.c64.val() - self.shl.val();
        self.part_a.next = self.cur.val() << self.shl.val();
        self.part_b.next = 0.into();
        if self.al_o.q.val() != 0 {
            self.part_b.next = self.al_prev.q.val() >> self.shr.val();
        }
        self.strb8.next = 0xFF.into();
        if self.al_first.q.val() {
            self.strb8.next = self.al_sf.q.val();
        }
        if self.al_outl1.q.val() {
            self.strb8.next = self.strb8.val() & self.al_sl.q.val();
        }
        self.wd_strb.next = bit_cast::<72, 8>(self.strb8.val());
        self.wd_strb.next = self.wd_strb.val() << 64;
        self.part_ab.next = self.part_a.val() | self.part_b.val();
        self.wd_in.next = bit_cast::<72, 64>(self.part_ab.val());
        self.wd_in.next = self.wd_in.val() | self.wd_strb.val();
        self.wdf.data_in.next = self.wd_in.val();
        if self.al_fire.val() {
            self.wdf.write.next = true;
            self.al_prev.d.next = self.cur.val();
            self.al_first.d.next = false;
            self.al_outl.d.next = self.al_outl.q.val() - 1;
            self.al_outl1.d.next = self.al_outl.q.val() == 2;
            if self.need_in.val() {
                self.al_inl.d.next = self.al_inl.q.val() - 1;
                self.al_need.d.next = self.al_inl.q.val() != 1;
            }
            if self.al_outl1.q.val() {
                self.al_busy.d.next = false;
            }
        }

        // The next request loads when the aligner is idle, or in the clock its current
        // request's last beat goes out (no idle clock between requests); written after
        // the beat's own updates so that the new request's values win.
        if (!self.al_busy.q.val() | (self.al_fire.val() & self.al_outl1.q.val()))
            & !self.aq.empty.val()
        {
            self.aq.read.next = true;
            self.al_busy.d.next = true;
            self.al_o.d.next = self.aq.data_out.val().get_bits::<3>(0);
            self.al_first.d.next = true;
            self.al_inl.d.next = self.aq_in.val().get_bits::<14>(0);
            self.al_need.d.next = true;
            self.al_outl1.d.next = self.aq_out.val() == 1;
            self.al_outl.d.next = self.aq_out.val().get_bits::<14>(0);
            self.al_sf.d.next = self.st_sf.val();
            self.al_sl.d.next = self.st_sl.val().get_bits::<8>(0);
            self.al_prev.d.next = 0.into();
        }

        // ---- Write sender.
        self.m_axi_wdata.next = self.wdf.data_out.val().get_bits::<64>(0);
        self.m_axi_wstrb.next = self.wdf.data_out.val().get_bits::<8>(64);
        self.m_axi_wlast.next = self.w_beat.q.val() == self.wq.data_out.val();
        self.m_axi_wvalid.next = !self.wdf.empty.val() & !self.wq.empty.val();
        self.w_fire.next = self.m_axi_wvalid.val() & self.m_axi_wready.val();
        if self.w_fire.val() {
            self.wdf.read.next = true;
            self.w_beat.d.next = self.w_beat.q.val() + 1;
            if self.m_axi_wlast.val() {
                self.wq.read.next = true;
                self.w_beat.d.next = 0.into();
            }
        }

        // ---- Response tracker.
        self.m_axi_bready.next =
            !self.bq.empty.val() & !self.bq.data_out.val().get_bit(17) & !self.done.full.val();
        self.b_worst.next = self.worst.q.val();
        if self.m_axi_bresp.val() > self.worst.q.val() {
            self.b_worst.next = self.m_axi_bresp.val();
        }
        self.done_st.next = bit_cast::<19, 2>(self.b_worst.val());
        self.done_st.next = self.done_st.val() << 16;
        self.done_in.next = bit_cast::<19, 16>(self.bq.data_out.val().get_bits::<16>(0));
        self.done_in.next = self.done_in.val() | self.done_st.val();
        if !self.bq.empty.val() & self.bq.data_out.val().get_bit(17) & !self.done.full.val() {
            // Zero-length request: status 4.
            self.bq.read.next = true;
            self.done.write.next = true;
            self.done_in.next = self.done_in.val() & 0xFFFF;
            self.done_in.next = self.done_in.val() | 0x40000;
        }
        if self.m_axi_bready.val() & self.m_axi_bvalid.val() {
            self.bq.read.next = true;
            self.worst.d.next = self.b_worst.val();
            if self.bq.data_out.val().get_bit(16) {
                self.done.write.next = true;
                self.worst.d.next = 0.into();
            }
        }
        self.done.data_in.next = self.done_in.val();
        self.m_done_status.next = self.done.data_out.val().get_bits::<3>(16);
        self.m_done_tag.next = self.done.data_out.val().get_bits::<16>(0);
        self.m_done_valid.next = !self.done.empty.val();
        self.done.read.next = self.m_done_ready.val() & !self.done.empty.val();

        if self.reset.val() {
            self.al_busy.d.next = false;
            self.w_beat.d.next = 0.into();
            self.worst.d.next = 0.into();
        }
    }
}
