//! Frame output stage (`Hold`): joins every frame with its lookup result and holds the
//! frames of connections between HANDOUT1 and HANDOUT2 (A6).
//!
//! # What it does
//! - Frames from the receive parser (`s_*`) wait in a join FIFO (512 beats) until
//!   their lookup result arrives from the offload core (`s_lk_*`, in frame order).
//! - Results 0 (not TCP), 1 (miss) and 3 (hit): the record goes to `m_lk_*` and the
//!   frame to `m_*`, at one beat per clock with no idle clock between frames.
//! - Result 2 (held): the frame goes into the hold store, [`HOLD_FRAMES`] slots of
//!   [`ENGINE_MAX_FRAME`] bytes shared by all connections, with its record and its
//!   connection. No free slot: the frame is dropped and counted (`hold_drops`).
//! - A *marker* from the core (`s_lk_mark`, no frame) releases the held frames of
//!   connection `s_lk_conn`, oldest first, with status `s_lk_status`: 3 (hit,
//!   HANDOUT2 done) keeps the handle, 1 (miss: timeout, FLUSH or CLOSE) sends handle 0.
//!   The core sends the marker at the clock the command takes effect, with its lookup
//!   pipeline empty, so a released frame never overtakes or follows a frame out of
//!   order. A released frame takes two clocks per beat.
//! - Frames longer than [`ENGINE_MAX_FRAME`] bytes are cut after that many bytes: the
//!   last kept beat carries `tlast` and `tuser`, the rest is discarded, and `oversize`
//!   counts it. This bounds the join FIFO and the hold slots; the record is unchanged
//!   (its `frame_len` is the length received).
//!
//! The order of arrival of held frames is a list of `{connection, slot}` entries; a
//! release scans it and removes the entries it sends.

use crate::rx_meta::RxMetaRecord;
use crate::sync_fifo::SyncFifo;
use host_model::proto::{ENGINE_MAX_FRAME, HOLD_FRAMES};
use rust_hdl::prelude::*;

/// Beats per hold slot (64-bit beats).
const SLOT_BEATS: usize = ENGINE_MAX_FRAME / 8;
const _: () = assert!(SLOT_BEATS == 256, "slot address is 8 bits");
const _: () = assert!(HOLD_FRAMES == 8, "slot number is 3 bits");

/// Output stage states.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum HState {
    Idle,
    Pass,
    Store,
    Drop,
    RelScan,
    RelRec,
    RelRec2,
    RelA,
    RelD,
}

/// Join FIFO, hold store and output stage of the engine top (64-bit datapath).
#[derive(LogicBlock)]
pub struct Hold {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_tdata: Signal<In, Bits<64>>,
    pub s_tkeep: Signal<In, Bits<8>>,
    pub s_tvalid: Signal<In, Bit>,
    pub s_tready: Signal<Out, Bit>,
    pub s_tlast: Signal<In, Bit>,
    pub s_tuser: Signal<In, Bit>,
    pub s_lk_meta: Signal<In, RxMetaRecord>,
    pub s_lk_status: Signal<In, Bits<2>>,
    pub s_lk_conn: Signal<In, Bits<16>>,
    pub s_lk_mark: Signal<In, Bit>,
    pub s_lk_tvalid: Signal<In, Bit>,
    pub s_lk_tready: Signal<Out, Bit>,
    pub m_tdata: Signal<Out, Bits<64>>,
    pub m_tkeep: Signal<Out, Bits<8>>,
    pub m_tvalid: Signal<Out, Bit>,
    pub m_tready: Signal<In, Bit>,
    pub m_tlast: Signal<Out, Bit>,
    pub m_tuser: Signal<Out, Bit>,
    pub m_lk_meta: Signal<Out, RxMetaRecord>,
    pub m_lk_status: Signal<Out, Bits<2>>,
    pub m_lk_conn: Signal<Out, Bits<16>>,
    pub m_lk_tvalid: Signal<Out, Bit>,
    pub m_lk_tready: Signal<In, Bit>,
    /// Held frames dropped (hold store full).
    pub hold_drops: Signal<Out, Bits<32>>,
    /// Frames cut at `ENGINE_MAX_FRAME` bytes.
    pub oversize: Signal<Out, Bits<32>>,
    /// Join FIFO: `{user, last, keep, data}`.
    jf: SyncFifo<Bits<74>, 9, 10>,
    in_word: Signal<Local, Bits<74>>,
    in_ctl: Signal<Local, Bits<2>>,
    in_hi: Signal<Local, Bits<74>>,
    in_mid: Signal<Local, Bits<74>>,
    in_beat: DFF<Bits<9>>,
    in_drop: DFF<Bit>,
    in_cut: Signal<Local, Bit>,
    in_take: Signal<Local, Bit>,
    c_drop: DFF<Bits<32>>,
    c_over: DFF<Bits<32>>,
    /// Hold store: slot (3 bits) × beat (8 bits) words `{user, last, keep, data}`.
    store: RAM<Bits<74>, 11>,
    rec_ram: RAM<RxMetaRecord, 3>,
    out_meta: SyncFifo<RxMetaRecord, 4, 5>,
    out_res: SyncFifo<Bits<18>, 4, 5>,
    /// Arrival order: entry `k` at bits `[19k+18:19k]` = `{conn, slot}`.
    order: DFF<Bits<152>>,
    count: DFF<Bits<4>>,
    free: DFF<Bits<8>>,
    st: DFF<HState>,
    cur_slot: DFF<Bits<3>>,
    cur_conn: DFF<Bits<16>>,
    beat: DFF<Bits<8>>,
    rel_k: DFF<Bits<4>>,
    rel_status: DFF<Bits<2>>,
    // Combinational helpers.
    head: Signal<Local, Bits<74>>,
    take_pass: Signal<Local, Bit>,
    pass_res: Signal<Local, Bits<18>>,
    low_free: Signal<Local, Bits<3>>,
    one8: Signal<Local, Bits<8>>,
    sh: Signal<Local, Bits<8>>,
    shifted: Signal<Local, Bits<152>>,
    entry: Signal<Local, Bits<19>>,
    ent152: Signal<Local, Bits<152>>,
    low_mask: Signal<Local, Bits<152>>,
    one152: Signal<Local, Bits<152>>,
    not_slot: Signal<Local, Bits<8>>,
    keep_lo: Signal<Local, Bits<152>>,
    keep_hi: Signal<Local, Bits<152>>,
    sh_a: Signal<Local, Bits<8>>,
    sh_b: Signal<Local, Bits<8>>,
    conn152: Signal<Local, Bits<152>>,
    res_conn: Signal<Local, Bits<18>>,
    wa_hi: Signal<Local, Bits<11>>,
    slot_bit: Signal<Local, Bits<8>>,
    rel_res: Signal<Local, Bits<18>>,
    sw: Signal<Local, Bits<74>>,
}

impl Default for Hold {
    fn default() -> Self {
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
            s_lk_mark: Default::default(),
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
            m_lk_tvalid: Default::default(),
            m_lk_tready: Default::default(),
            hold_drops: Default::default(),
            oversize: Default::default(),
            jf: SyncFifo::new(4),
            in_word: Default::default(),
            in_ctl: Default::default(),
            in_hi: Default::default(),
            in_mid: Default::default(),
            in_beat: Default::default(),
            in_drop: Default::default(),
            in_cut: Default::default(),
            in_take: Default::default(),
            c_drop: Default::default(),
            c_over: Default::default(),
            store: Default::default(),
            rec_ram: Default::default(),
            out_meta: SyncFifo::new(2),
            out_res: SyncFifo::new(2),
            order: Default::default(),
            count: Default::default(),
            free: Default::default(),
            st: Default::default(),
            cur_slot: Default::default(),
            cur_conn: Default::default(),
            beat: Default::default(),
            rel_k: Default::default(),
            rel_status: Default::default(),
            head: Default::default(),
            take_pass: Default::default(),
            pass_res: Default::default(),
            low_free: Default::default(),
            one8: Default::default(),
            sh: Default::default(),
            shifted: Default::default(),
            entry: Default::default(),
            ent152: Default::default(),
            low_mask: Default::default(),
            one152: Default::default(),
            not_slot: Default::default(),
            keep_lo: Default::default(),
            keep_hi: Default::default(),
            sh_a: Default::default(),
            sh_b: Default::default(),
            conn152: Default::default(),
            res_conn: Default::default(),
            wa_hi: Default::default(),
            slot_bit: Default::default(),
            rel_res: Default::default(),
            sw: Default::default(),
        }
    }
}

impl Logic for Hold {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, in_beat, in_drop, c_drop, c_over, order, count, free, st, cur_slot,
            cur_conn, beat, rel_k, rel_status
        );
        clock!(self, clock, jf, out_meta, out_res);
        self.jf.reset.next = self.reset.val();
        self.out_meta.reset.next = self.reset.val();
        self.out_res.reset.next = self.reset.val();
        self.store.write_clock.next = self.clock.val();
        self.store.read_clock.next = self.clock.val();
        self.rec_ram.write_clock.next = self.clock.val();
        self.rec_ram.read_clock.next = self.clock.val();
        self.hold_drops.next = self.c_drop.q.val();
        self.oversize.next = self.c_over.q.val();

        // ---- Input: frames into the join FIFO, cut at SLOT_BEATS beats.
        self.s_tready.next = !self.jf.full.val();
        self.in_take.next = self.s_tvalid.val() & !self.jf.full.val();
        self.in_cut.next =
            (self.in_beat.q.val() == 255) & !self.s_tlast.val() & !self.in_drop.q.val();
        self.in_ctl.next = 0.into();
        if self.s_tlast.val() | self.in_cut.val() {
            self.in_ctl.next = 1.into();
        }
        if self.s_tuser.val() | self.in_cut.val() {
            self.in_ctl.next = self.in_ctl.val() | 2;
        }
        self.in_hi.next = bit_cast::<74, 2>(self.in_ctl.val());
        self.in_hi.next = self.in_hi.val() << 72;
        self.in_mid.next = bit_cast::<74, 8>(self.s_tkeep.val());
        self.in_mid.next = self.in_mid.val() << 64;
        self.in_word.next = bit_cast::<74, 64>(self.s_tdata.val());
        self.in_word.next = self.in_word.val() | self.in_mid.val() | self.in_hi.val();
        self.jf.data_in.next = self.in_word.val();
        self.jf.write.next = self.in_take.val() & !self.in_drop.q.val();
        if self.in_take.val() {
            if self.s_tlast.val() {
                self.in_beat.d.next = 0.into();
                self.in_drop.d.next = false;
            } else if self.in_cut.val() {
                self.in_drop.d.next = true;
                self.c_over.d.next = self.c_over.q.val() + 1;
            } else if !self.in_drop.q.val() {
                self.in_beat.d.next = self.in_beat.q.val() + 1;
            }
        }

        // ---- Record output FIFO.
        self.m_lk_meta.next = self.out_meta.data_out.val();
        self.m_lk_status.next = self.out_res.data_out.val().get_bits::<2>(0);
        self.m_lk_conn.next = self.out_res.data_out.val().get_bits::<16>(2);
        self.m_lk_tvalid.next = !self.out_meta.empty.val();
        self.out_meta.read.next = self.m_lk_tready.val() & !self.out_meta.empty.val();
        self.out_res.read.next = self.m_lk_tready.val() & !self.out_meta.empty.val();
        self.out_meta.write.next = false;
        self.out_res.write.next = false;
        self.out_meta.data_in.next = self.s_lk_meta.val();
        self.pass_res.next = bit_cast::<18, 16>(self.s_lk_conn.val());
        self.pass_res.next = self.pass_res.val() << 2;
        self.pass_res.next = self.pass_res.val() | bit_cast::<18, 2>(self.s_lk_status.val());
        self.out_res.data_in.next = self.pass_res.val();

        // ---- Helpers.
        self.head.next = self.jf.data_out.val();
        self.take_pass.next = self.s_lk_tvalid.val()
            & !self.s_lk_mark.val()
            & (self.s_lk_status.val() != 2)
            & !self.out_meta.full.val();
        self.low_free.next = 0.into();
        if self.free.q.val().get_bit(7) {
            self.low_free.next = 7.into();
        }
        if self.free.q.val().get_bit(6) {
            self.low_free.next = 6.into();
        }
        if self.free.q.val().get_bit(5) {
            self.low_free.next = 5.into();
        }
        if self.free.q.val().get_bit(4) {
            self.low_free.next = 4.into();
        }
        if self.free.q.val().get_bit(3) {
            self.low_free.next = 3.into();
        }
        if self.free.q.val().get_bit(2) {
            self.low_free.next = 2.into();
        }
        if self.free.q.val().get_bit(1) {
            self.low_free.next = 1.into();
        }
        if self.free.q.val().get_bit(0) {
            self.low_free.next = 0.into();
        }
        self.one8.next = 1.into();
        // 19 * rel_k (or 19 * count in Store).
        self.sh_a.next = bit_cast::<8, 4>(self.rel_k.q.val());
        if self.st.q.val() == HState::Store {
            self.sh_a.next = bit_cast::<8, 4>(self.count.q.val());
        }
        self.sh_b.next = self.sh_a.val() << 4;
        self.sh.next = self.sh_a.val() << 1;
        self.sh.next = self.sh.val() + self.sh_b.val();
        self.sh.next = self.sh.val() + self.sh_a.val();
        self.shifted.next = self.order.q.val() >> self.sh.val();
        self.entry.next = self.shifted.val().get_bits::<19>(0);
        self.conn152.next = bit_cast::<152, 16>(self.cur_conn.q.val());
        self.conn152.next = self.conn152.val() << 3;
        self.ent152.next = bit_cast::<152, 3>(self.cur_slot.q.val());
        self.ent152.next = self.ent152.val() | self.conn152.val();
        self.ent152.next = self.ent152.val() << self.sh.val();
        self.one152.next = 1.into();
        self.low_mask.next = self.one152.val() << self.sh.val();
        self.low_mask.next = self.low_mask.val() - self.one152.val();
        self.keep_lo.next = self.order.q.val() & self.low_mask.val();
        self.keep_hi.next = self.order.q.val() >> 19;
        self.keep_hi.next = self.keep_hi.val() & !self.low_mask.val();
        self.not_slot.next = self.one8.val() << self.low_free.val();
        self.not_slot.next = !self.not_slot.val();
        self.slot_bit.next = self.one8.val() << self.cur_slot.q.val();
        self.rel_res.next = bit_cast::<18, 2>(self.rel_status.q.val());
        self.res_conn.next = bit_cast::<18, 16>(self.cur_conn.q.val());
        self.res_conn.next = self.res_conn.val() << 2;
        if self.rel_status.q.val() == 3 {
            self.rel_res.next = self.rel_res.val() | self.res_conn.val();
        }
        self.sw.next = self.store.read_data.val();

        // Memories.
        self.store.write_enable.next = false;
        self.wa_hi.next = bit_cast::<11, 3>(self.cur_slot.q.val());
        self.wa_hi.next = self.wa_hi.val() << 8;
        self.store.write_address.next = self.wa_hi.val() | bit_cast::<11, 8>(self.beat.q.val());
        self.store.write_data.next = self.head.val();
        self.store.read_address.next = self.store.write_address.val();
        self.rec_ram.write_enable.next = false;
        self.rec_ram.write_address.next = self.low_free.val();
        self.rec_ram.write_data.next = self.s_lk_meta.val();
        self.rec_ram.read_address.next = self.cur_slot.q.val();

        // ---- Output stage.
        self.s_lk_tready.next = false;
        self.jf.read.next = false;
        self.m_tvalid.next = false;
        self.m_tdata.next = self.head.val().get_bits::<64>(0);
        self.m_tkeep.next = self.head.val().get_bits::<8>(64);
        self.m_tlast.next = self.head.val().get_bit(72);
        self.m_tuser.next = self.head.val().get_bit(73);
        match self.st.q.val() {
            HState::Idle => {
                if self.s_lk_tvalid.val() {
                    if self.s_lk_mark.val() {
                        self.s_lk_tready.next = true;
                        self.cur_conn.d.next = self.s_lk_conn.val();
                        self.rel_status.d.next = self.s_lk_status.val();
                        self.rel_k.d.next = 0.into();
                        self.st.d.next = HState::RelScan;
                    } else if self.s_lk_status.val() == 2 {
                        self.s_lk_tready.next = true;
                        if self.free.q.val() != 0 {
                            self.cur_slot.d.next = self.low_free.val();
                            self.cur_conn.d.next = self.s_lk_conn.val();
                            self.beat.d.next = 0.into();
                            self.rec_ram.write_enable.next = true;
                            self.free.d.next = self.free.q.val() & self.not_slot.val();
                            self.st.d.next = HState::Store;
                        } else {
                            self.c_drop.d.next = self.c_drop.q.val() + 1;
                            self.st.d.next = HState::Drop;
                        }
                    } else if self.take_pass.val() {
                        self.s_lk_tready.next = true;
                        self.out_meta.write.next = true;
                        self.out_res.write.next = true;
                        self.st.d.next = HState::Pass;
                        // The frame is in the join FIFO (its record comes after its last
                        // beat): its first beat leaves in this clock.
                        self.m_tvalid.next = !self.jf.empty.val();
                        self.jf.read.next = !self.jf.empty.val() & self.m_tready.val();
                        if !self.jf.empty.val() & self.m_tready.val() & self.head.val().get_bit(72)
                        {
                            self.st.d.next = HState::Idle;
                        }
                    }
                }
            }
            HState::Pass => {
                self.m_tvalid.next = !self.jf.empty.val();
                self.jf.read.next = !self.jf.empty.val() & self.m_tready.val();
                if !self.jf.empty.val() & self.m_tready.val() & self.head.val().get_bit(72) {
                    self.st.d.next = HState::Idle;
                    // The next frame passes too: no idle clock between frames.
                    if self.take_pass.val() {
                        self.s_lk_tready.next = true;
                        self.out_meta.write.next = true;
                        self.out_res.write.next = true;
                        self.st.d.next = HState::Pass;
                    }
                }
            }
            HState::Store => {
                if !self.jf.empty.val() {
                    self.jf.read.next = true;
                    self.store.write_enable.next = true;
                    self.beat.d.next = self.beat.q.val() + 1;
                    if self.head.val().get_bit(72) {
                        self.order.d.next = self.order.q.val() | self.ent152.val();
                        self.count.d.next = self.count.q.val() + 1;
                        self.st.d.next = HState::Idle;
                    }
                }
            }
            HState::Drop => {
                if !self.jf.empty.val() {
                    self.jf.read.next = true;
                    if self.head.val().get_bit(72) {
                        self.st.d.next = HState::Idle;
                    }
                }
            }
            HState::RelScan => {
                if self.rel_k.q.val() == self.count.q.val() {
                    self.st.d.next = HState::Idle;
                } else if self.entry.val().get_bits::<16>(3) == self.cur_conn.q.val() {
                    self.cur_slot.d.next = self.entry.val().get_bits::<3>(0);
                    self.beat.d.next = 0.into();
                    self.st.d.next = HState::RelRec;
                } else {
                    self.rel_k.d.next = self.rel_k.q.val() + 1;
                }
            }
            HState::RelRec => {
                // rec_ram and store addresses are presented; data next clock.
                self.st.d.next = HState::RelRec2;
            }
            HState::RelRec2 => {
                self.out_meta.data_in.next = self.rec_ram.read_data.val();
                self.out_res.data_in.next = self.rel_res.val();
                if !self.out_meta.full.val() {
                    self.out_meta.write.next = true;
                    self.out_res.write.next = true;
                    self.st.d.next = HState::RelD;
                }
            }
            HState::RelA => {
                self.st.d.next = HState::RelD;
            }
            HState::RelD => {
                self.m_tvalid.next = true;
                self.m_tdata.next = self.sw.val().get_bits::<64>(0);
                self.m_tkeep.next = self.sw.val().get_bits::<8>(64);
                self.m_tlast.next = self.sw.val().get_bit(72);
                self.m_tuser.next = self.sw.val().get_bit(73);
                if self.m_tready.val() {
                    if self.sw.val().get_bit(72) {
                        // Remove entry rel_k; the entries above move down one place.
                        self.order.d.next = self.keep_lo.val() | self.keep_hi.val();
                        self.count.d.next = self.count.q.val() - 1;
                        self.free.d.next = self.free.q.val() | self.slot_bit.val();
                        self.st.d.next = HState::RelScan;
                    } else {
                        self.beat.d.next = self.beat.q.val() + 1;
                        self.st.d.next = HState::RelA;
                    }
                }
            }
            _ => {
                self.st.d.next = HState::Idle;
            }
        }
        if self.reset.val() {
            self.st.d.next = HState::Idle;
            self.count.d.next = 0.into();
            self.order.d.next = 0.into();
            self.free.d.next = 0xFF.into();
            self.in_beat.d.next = 0.into();
            self.in_drop.d.next = false;
            self.c_drop.d.next = 0.into();
            self.c_over.d.next = 0.into();
        }
    }
}
