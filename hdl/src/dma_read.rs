//! DMA read engine (`DmaRead`): reads byte ranges of host memory through an AXI4 master
//! read port, in bursts, and streams them out packed.
//!
//! # Interface
//! - **Requests** (`s_req_*`): `addr` (any byte address), `len` (bytes, 0..=65535) and a
//!   `tag`.
//! - **AXI4 read master** (`m_axi_ar*`, `m_axi_r*`), 64-bit data, the same subset as
//!   [`crate::dma_write`]: INCR bursts of 8-byte beats, 1 to 256 beats, never across a
//!   4 KB boundary, one ID (data in order), `araddr` 8-byte aligned. Several bursts may be
//!   outstanding.
//! - **Data** (`m_data_*`, AXI4-Stream): each request's bytes packed from byte 0 of its
//!   first beat, `tkeep` set for the bytes of the last beat, `tlast` on it. A zero-length
//!   request sends no beat.
//! - **Completions** (`m_done_*`), one per request, in request order, after its last data
//!   beat has been queued: the tag and a status: the worst `rresp` of its beats (0 OKAY,
//!   2 SLVERR, 3 DECERR; the data of a failed read is whatever the slave returned), or 4
//!   for a zero-length request.
//!
//! # Structure
//! - *Planner*: splits a request into bursts and issues their addresses.
//! - *Aligner*: shifts the read beats down by `addr mod 8` lanes: output beat `k` is
//!   made of read beats `k` and `k + 1`, so it leaves when read beat `k + 1` arrives (or
//!   one clock after the request's last read beat). One beat per clock. The next
//!   request loads in the clock the current one's last beat leaves, so back-to-back
//!   requests are at most one clock apart (that extra clock when the last output beat
//!   comes after the last read beat).

use crate::burst::BurstPlanner;
use crate::fast_fifo::FastFifo;
use crate::sync_fifo::SyncFifo;
use rust_hdl::prelude::*;

/// DMA read engine, 64-bit data, AXI4 read master.
#[derive(LogicBlock)]
pub struct DmaRead {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_req_addr: Signal<In, Bits<64>>,
    pub s_req_len: Signal<In, Bits<16>>,
    pub s_req_tag: Signal<In, Bits<16>>,
    pub s_req_valid: Signal<In, Bit>,
    pub s_req_ready: Signal<Out, Bit>,
    pub m_axi_araddr: Signal<Out, Bits<64>>,
    pub m_axi_arlen: Signal<Out, Bits<8>>,
    pub m_axi_arsize: Signal<Out, Bits<3>>,
    pub m_axi_arburst: Signal<Out, Bits<2>>,
    pub m_axi_arvalid: Signal<Out, Bit>,
    pub m_axi_arready: Signal<In, Bit>,
    pub m_axi_rdata: Signal<In, Bits<64>>,
    pub m_axi_rresp: Signal<In, Bits<2>>,
    pub m_axi_rlast: Signal<In, Bit>,
    pub m_axi_rvalid: Signal<In, Bit>,
    pub m_axi_rready: Signal<Out, Bit>,
    pub m_data_tdata: Signal<Out, Bits<64>>,
    pub m_data_tkeep: Signal<Out, Bits<8>>,
    pub m_data_tlast: Signal<Out, Bit>,
    pub m_data_tvalid: Signal<Out, Bit>,
    pub m_data_tready: Signal<In, Bit>,
    pub m_done_status: Signal<Out, Bits<3>>,
    pub m_done_tag: Signal<Out, Bits<16>>,
    pub m_done_valid: Signal<Out, Bit>,
    pub m_done_ready: Signal<In, Bit>,
    // Planner.
    planner: BurstPlanner,
    req_take: Signal<Local, Bit>,
    req_sum: Signal<Local, Bits<17>>,
    /// Aligner requests `{tag[15:0], len[15:0], offset[2:0]}` at 34..19, 18..3, 2..0.
    aq: SyncFifo<Bits<35>, 4, 5>,
    aq_in: Signal<Local, Bits<35>>,
    aq_tag: Signal<Local, Bits<35>>,
    aq_len: Signal<Local, Bits<35>>,
    // Aligner.
    al_busy: DFF<Bit>,
    al_o: DFF<Bits<3>>,
    al_tag: DFF<Bits<16>>,
    al_prev: DFF<Bits<64>>,
    /// Read and output beats left of the current request; a read beat was taken.
    al_rl: DFF<Bits<14>>,
    al_ol: DFF<Bits<14>>,
    /// `al_rl != 0`, `al_ol != 0`, `al_ol == 1`, kept as registers.
    al_rnz: DFF<Bit>,
    al_onz: DFF<Bit>,
    al_o1: DFF<Bit>,
    al_seen: DFF<Bit>,
    /// `tkeep` of the last beat.
    al_keep: DFF<Bits<8>>,
    keep8: Signal<Local, Bits<8>>,
    al_worst: DFF<Bits<2>>,
    h_len: Signal<Local, Bits<17>>,
    h_o: Signal<Local, Bits<17>>,
    h_nr: Signal<Local, Bits<17>>,
    h_no: Signal<Local, Bits<17>>,
    r_fire: Signal<Local, Bit>,
    flush: Signal<Local, Bit>,
    emit: Signal<Local, Bit>,
    shr: Signal<Local, Bits<7>>,
    shl: Signal<Local, Bits<7>>,
    c64: Signal<Local, Bits<7>>,
    finishing: Signal<Local, Bit>,
    part_a: Signal<Local, Bits<64>>,
    part_b: Signal<Local, Bits<64>>,
    part_ab: Signal<Local, Bits<64>>,
    out_last: Signal<Local, Bit>,
    keep_n: Signal<Local, Bits<4>>,
    one9: Signal<Local, Bits<9>>,
    keep9: Signal<Local, Bits<9>>,
    worst_now: Signal<Local, Bits<2>>,
    od_in: Signal<Local, Bits<73>>,
    od_keep: Signal<Local, Bits<73>>,
    od_last: Signal<Local, Bits<73>>,
    /// Output beats `{last, keep, data}`.
    od: FastFifo<Bits<73>, 4, 5>,
    done_in: Signal<Local, Bits<19>>,
    done_st: Signal<Local, Bits<19>>,
    /// Completions `{status[2:0], tag[15:0]}`.
    done: SyncFifo<Bits<19>, 4, 5>,
}

impl Default for DmaRead {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_req_addr: Default::default(),
            s_req_len: Default::default(),
            s_req_tag: Default::default(),
            s_req_valid: Default::default(),
            s_req_ready: Default::default(),
            m_axi_araddr: Default::default(),
            m_axi_arlen: Default::default(),
            m_axi_arsize: Default::default(),
            m_axi_arburst: Default::default(),
            m_axi_arvalid: Default::default(),
            m_axi_arready: Default::default(),
            m_axi_rdata: Default::default(),
            m_axi_rresp: Default::default(),
            m_axi_rlast: Default::default(),
            m_axi_rvalid: Default::default(),
            m_axi_rready: Default::default(),
            m_data_tdata: Default::default(),
            m_data_tkeep: Default::default(),
            m_data_tlast: Default::default(),
            m_data_tvalid: Default::default(),
            m_data_tready: Default::default(),
            m_done_status: Default::default(),
            m_done_tag: Default::default(),
            m_done_valid: Default::default(),
            m_done_ready: Default::default(),
            req_take: Default::default(),
            planner: Default::default(),
            req_sum: Default::default(),
            aq: SyncFifo::new(1),
            aq_in: Default::default(),
            aq_tag: Default::default(),
            aq_len: Default::default(),
            al_busy: Default::default(),
            al_o: Default::default(),
            al_tag: Default::default(),
            al_prev: Default::default(),
            al_rl: Default::default(),
            al_ol: Default::default(),
            al_rnz: Default::default(),
            al_onz: Default::default(),
            al_o1: Default::default(),
            al_seen: Default::default(),
            al_keep: Default::default(),
            keep8: Default::default(),
            al_worst: Default::default(),
            h_len: Default::default(),
            h_o: Default::default(),
            h_nr: Default::default(),
            h_no: Default::default(),
            r_fire: Default::default(),
            flush: Default::default(),
            emit: Default::default(),
            shr: Default::default(),
            shl: Default::default(),
            c64: Default::default(),
            finishing: Default::default(),
            part_a: Default::default(),
            part_b: Default::default(),
            part_ab: Default::default(),
            out_last: Default::default(),
            keep_n: Default::default(),
            one9: Default::default(),
            keep9: Default::default(),
            worst_now: Default::default(),
            od_in: Default::default(),
            od_keep: Default::default(),
            od_last: Default::default(),
            od: FastFifo::new(3),
            done_in: Default::default(),
            done_st: Default::default(),
            done: SyncFifo::new(1),
        }
    }
}

impl Logic for DmaRead {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, al_busy, al_o, al_tag, al_prev, al_worst, al_rl, al_ol, al_seen, al_keep,
            al_rnz, al_onz, al_o1
        );
        clock!(self, clock, aq, od, done);
        self.aq.reset.next = self.reset.val();
        self.od.reset.next = self.reset.val();
        self.done.reset.next = self.reset.val();
        self.aq.write.next = false;
        self.aq.read.next = false;
        self.od.write.next = false;
        self.od.read.next = false;
        self.done.write.next = false;
        self.done.read.next = false;

        // ---- Planner: requests → bursts (zero length: aligner entry only).
        self.planner.clock.next = self.clock.val();
        self.planner.reset.next = self.reset.val();
        self.s_req_ready.next = !self.planner.busy.val() & !self.aq.full.val();
        self.req_take.next = self.s_req_ready.val() & self.s_req_valid.val();
        self.req_sum.next = bit_cast::<17, 16>(self.s_req_len.val());
        self.req_sum.next =
            self.req_sum.val() + bit_cast::<17, 3>(self.s_req_addr.val().get_bits::<3>(0));
        self.req_sum.next = self.req_sum.val() + 7;
        self.req_sum.next = self.req_sum.val() >> 3;
        self.aq_tag.next = bit_cast::<35, 16>(self.s_req_tag.val());
        self.aq_tag.next = self.aq_tag.val() << 19;
        self.aq_len.next = bit_cast::<35, 16>(self.s_req_len.val());
        self.aq_len.next = self.aq_len.val() << 3;
        self.aq_in.next = bit_cast::<35, 3>(self.s_req_addr.val().get_bits::<3>(0));
        self.aq_in.next = self.aq_in.val() | self.aq_len.val() | self.aq_tag.val();
        self.aq.data_in.next = self.aq_in.val();
        self.aq.write.next = self.req_take.val();
        self.planner.start.next = self.req_take.val() & (self.s_req_len.val() != 0);
        self.planner.start_addr.next = self.s_req_addr.val() & 0xFFFF_FFFF_FFFF_FFF8_u64;
        self.planner.start_beats.next = self.req_sum.val().get_bits::<14>(0);
        self.m_axi_araddr.next = self.planner.addr.val();
        self.m_axi_arlen.next = self.planner.len_m1.val();
        self.m_axi_arsize.next = 3.into();
        self.m_axi_arburst.next = 1.into();
        self.m_axi_arvalid.next = self.planner.valid.val();
        self.planner.take.next = self.m_axi_arready.val();

        // ---- Aligner.
        self.h_len.next = bit_cast::<17, 16>(self.aq.data_out.val().get_bits::<16>(3));
        self.h_o.next = bit_cast::<17, 3>(self.aq.data_out.val().get_bits::<3>(0));
        self.h_nr.next = self.h_len.val() + self.h_o.val();
        self.h_nr.next = self.h_nr.val() + 7;
        self.h_nr.next = self.h_nr.val() >> 3;
        self.h_no.next = self.h_len.val() + 7;
        self.h_no.next = self.h_no.val() >> 3;
        // `tkeep` of the request's last beat: len mod 8 bytes, or 8.
        self.keep_n.next = 8.into();
        if self.h_len.val().get_bits::<3>(0) != 0 {
            self.keep_n.next = bit_cast::<4, 3>(self.h_len.val().get_bits::<3>(0));
        }
        self.one9.next = 1.into();
        self.keep9.next = self.one9.val() << self.keep_n.val();
        self.keep9.next = self.keep9.val() - self.one9.val();
        self.done_st.next = 0.into();
        self.done_in.next = bit_cast::<19, 16>(self.aq.data_out.val().get_bits::<16>(19));
        // Zero length (aligner idle): completion only, status 4.
        if !self.al_busy.q.val() & !self.aq.empty.val() & (self.h_len.val() == 0) {
            if !self.done.full.val() {
                self.aq.read.next = true;
                self.done.write.next = true;
                self.done_in.next = self.done_in.val() | 0x40000;
            }
        }
        // Read beats are taken while the output FIFO has room for this beat and a flush.
        self.m_axi_rready.next = self.al_busy.q.val()
            & self.al_rnz.q.val()
            & !self.od.almost_full.val()
            & !self.done.full.val();
        self.r_fire.next = self.m_axi_rready.val() & self.m_axi_rvalid.val();
        // After the last read beat, one more output beat may be owed.
        self.flush.next = self.al_busy.q.val()
            & !self.al_rnz.q.val()
            & !self.od.full.val()
            & !self.done.full.val();
        self.emit.next = (self.r_fire.val() & self.al_seen.q.val()) | self.flush.val();
        self.shr.next = bit_cast::<7, 3>(self.al_o.q.val());
        self.shr.next = self.shr.val() << 3;
        self.c64.next = 64.into();
        self.shl.next = self.c64.val() - self.shr.val();
        self.part_a.next = self.al_prev.q.val() >> self.shr.val();
        self.part_b.next = 0.into();
        if self.r_fire.val() & (self.al_o.q.val() != 0) {
            self.part_b.next = self.m_axi_rdata.val() << self.shl.val();
        }
        self.part_ab.next = self.part_a.val() | self.part_b.val();
        self.out_last.next = self.al_o1.q.val();
        self.keep8.next = 0xFF.into();
        if self.out_last.val() {
            self.keep8.next = self.al_keep.q.val();
        }
        self.od_keep.next = bit_cast::<73, 8>(self.keep8.val());
        self.od_keep.next = self.od_keep.val() << 64;
        self.od_last.next = 0.into();
        if self.out_last.val() {
            self.od_last.next = 1.into();
            self.od_last.next = self.od_last.val() << 72;
        }
        self.od_in.next = bit_cast::<73, 64>(self.part_ab.val());
        self.od_in.next = self.od_in.val() | self.od_keep.val() | self.od_last.val();
        self.od.data_in.next = self.od_in.val();
        self.worst_now.next = self.al_worst.q.val();
        if self.r_fire.val() & (self.m_axi_rresp.val() > self.al_worst.q.val()) {
            self.worst_now.next = self.m_axi_rresp.val();
        }
        if self.r_fire.val() {
            self.al_prev.d.next = self.m_axi_rdata.val();
            self.al_rl.d.next = self.al_rl.q.val() - 1;
            self.al_rnz.d.next = self.al_rl.q.val() != 1;
            self.al_seen.d.next = true;
            self.al_worst.d.next = self.worst_now.val();
        }
        // (Both emit paths wait for room in the completion FIFO too.)
        if self.emit.val() & self.al_onz.q.val() {
            self.od.write.next = true;
            self.al_ol.d.next = self.al_ol.q.val() - 1;
            self.al_onz.d.next = !self.al_o1.q.val();
            self.al_o1.d.next = self.al_ol.q.val() == 2;
            if self.out_last.val() {
                self.done.write.next = true;
                self.done_st.next = bit_cast::<19, 2>(self.worst_now.val());
                self.done_st.next = self.done_st.val() << 16;
                self.done_in.next = bit_cast::<19, 16>(self.al_tag.q.val());
                self.done_in.next = self.done_in.val() | self.done_st.val();
            }
        }
        // Done when every read beat is in and every output beat is out; `finishing`: the
        // request's last output beat leaves in this clock and no read beat is left.
        self.finishing.next = self.al_busy.q.val()
            & self.emit.val()
            & self.al_onz.q.val()
            & self.al_o1.q.val()
            & (!self.al_rnz.q.val() | (self.r_fire.val() & (self.al_rl.q.val() == 1)));
        if self.al_busy.q.val() & !self.al_rnz.q.val() & !self.al_onz.q.val() {
            self.al_busy.d.next = false;
        }
        if self.finishing.val() {
            self.al_busy.d.next = false;
        }
        // The next request (not zero length) loads when the aligner is idle or in the
        // clock the current one finishes; written after the beat's own updates so that
        // the new request's values win.
        if (!self.al_busy.q.val() | self.finishing.val())
            & !self.aq.empty.val()
            & (self.h_len.val() != 0)
        {
            self.aq.read.next = true;
            self.al_busy.d.next = true;
            self.al_o.d.next = self.aq.data_out.val().get_bits::<3>(0);
            self.al_keep.d.next = self.keep9.val().get_bits::<8>(0);
            self.al_tag.d.next = self.aq.data_out.val().get_bits::<16>(19);
            self.al_rl.d.next = self.h_nr.val().get_bits::<14>(0);
            self.al_ol.d.next = self.h_no.val().get_bits::<14>(0);
            self.al_rnz.d.next = true;
            self.al_onz.d.next = true;
            self.al_o1.d.next = self.h_no.val() == 1;
            self.al_seen.d.next = false;
            self.al_worst.d.next = 0.into();
        }
        self.done.data_in.next = self.done_in.val();

        // ---- Outputs.
        self.m_data_tdata.next = self.od.data_out.val().get_bits::<64>(0);
        self.m_data_tkeep.next = self.od.data_out.val().get_bits::<8>(64);
        self.m_data_tlast.next = self.od.data_out.val().get_bit(72);
        self.m_data_tvalid.next = !self.od.empty.val();
        self.od.read.next = self.m_data_tready.val() & !self.od.empty.val();
        self.m_done_status.next = self.done.data_out.val().get_bits::<3>(16);
        self.m_done_tag.next = self.done.data_out.val().get_bits::<16>(0);
        self.m_done_valid.next = !self.done.empty.val();
        self.done.read.next = self.m_done_ready.val() & !self.done.empty.val();

        if self.reset.val() {
            self.al_busy.d.next = false;
        }
    }
}
