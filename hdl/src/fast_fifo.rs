//! Synchronous first-word-fall-through FIFO with short flag and address paths
//! (`FastFifo`), used by the receive parser.
//!
//! Same ports and the same clock-for-clock behaviour as [`crate::sync_fifo::SyncFifo`]
//! (a word written at edge `t` is on `data_out` after edge `t+1`; `full`,
//! `almost_full` and `empty` are registers with the same values), but built for
//! Fmax: instead of two pointers that are incremented, muxed, subtracted and compared
//! in one clock, it keeps
//! - the fill level `cnt = writes - reads` as an up/down counter, whose next-state
//!   flags are selected from constant compares of the *current* level (no adder in
//!   front of a compare);
//! - two copies of the RAM (same writes), one read at the read pointer and one at the
//!   read pointer plus one, both addressed straight from registers; the head word is
//!   selected after the RAMs' output registers by `read & !empty` of the previous clock
//!   (so `data_out` is a 2:1 select of two registers, and no logic sits between the
//!   pointer registers and the RAMs' address inputs).
//!
//! # Parameters
//! - `D`: the word type; `N`: address bits (depth `2^N`, 2..=12); `NP1` = `N + 1`.
//! - `slack` (constructor): `almost_full` rises when at most `slack` words are free
//!   (1..2^N - 1).
//!
//! # Ports
//! - `clock`, `reset` (synchronous, active high: empties the FIFO).
//! - Write side: `write`, `data_in`, `full`, `almost_full`. A write while full is ignored.
//! - Read side: `data_out` (the head word, valid while `!empty`), `empty`, `read`
//!   (pops the head; ignored while empty).

use rust_hdl::prelude::*;

/// FWFT FIFO of `2^N` words of `D`, with synchronous reset and registered flags.
#[derive(LogicBlock)]
pub struct FastFifo<D: Synth, const N: usize, const NP1: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub write: Signal<In, Bit>,
    pub data_in: Signal<In, D>,
    pub full: Signal<Out, Bit>,
    pub almost_full: Signal<Out, Bit>,
    pub read: Signal<In, Bit>,
    pub data_out: Signal<Out, D>,
    pub empty: Signal<Out, Bit>,
    ram: RAM<D, N>,
    ram1: RAM<D, N>,
    sel1: DFF<Bit>,
    wr_ptr: DFF<Bits<N>>,
    rd_ptr: DFF<Bits<N>>,
    /// `(rd_ptr + 1) ^ 1` (so that all-zero power-up and reset values agree).
    rd_p1x: DFF<Bits<N>>,
    rd_p1: Signal<Local, Bits<N>>,
    cnt: DFF<Bits<NP1>>,
    do_write: Signal<Local, Bit>,
    do_read: Signal<Local, Bit>,
    inc: Signal<Local, Bit>,
    dec: Signal<Local, Bit>,
    full_q: DFF<Bit>,
    af_q: DFF<Bit>,
    nempty_q: DFF<Bit>,
    depth_m1: Constant<Bits<NP1>>,
    af_m1: Constant<Bits<NP1>>,
    af_p1: Constant<Bits<NP1>>,
}

impl<D: Synth, const N: usize, const NP1: usize> FastFifo<D, N, NP1> {
    /// A FIFO whose `almost_full` rises when `slack` or fewer words are free.
    pub fn new(slack: usize) -> Self {
        assert_eq!(N + 1, NP1, "NP1 must be N + 1");
        assert!((2..=12).contains(&N), "depth 4..4096");
        assert!(slack >= 1 && slack < (1 << N), "slack 1..depth-1");
        let af = (1u64 << N) - slack as u64;
        Self {
            clock: Default::default(),
            reset: Default::default(),
            write: Default::default(),
            data_in: Default::default(),
            full: Default::default(),
            almost_full: Default::default(),
            read: Default::default(),
            data_out: Default::default(),
            empty: Default::default(),
            ram: Default::default(),
            ram1: Default::default(),
            sel1: Default::default(),
            wr_ptr: Default::default(),
            rd_ptr: Default::default(),
            rd_p1x: Default::default(),
            rd_p1: Default::default(),
            cnt: Default::default(),
            do_write: Default::default(),
            do_read: Default::default(),
            inc: Default::default(),
            dec: Default::default(),
            full_q: Default::default(),
            af_q: Default::default(),
            nempty_q: Default::default(),
            depth_m1: Constant::new(((1u64 << N) - 1).to_bits()),
            af_m1: Constant::new((af - 1).to_bits()),
            af_p1: Constant::new((af + 1).to_bits()),
        }
    }
}

impl<D: Synth, const N: usize, const NP1: usize> Logic for FastFifo<D, N, NP1> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, wr_ptr, rd_ptr, rd_p1x, cnt, sel1, full_q, af_q, nempty_q
        );
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_clock.next = self.clock.val();
        self.ram1.write_clock.next = self.clock.val();
        self.ram1.read_clock.next = self.clock.val();
        self.full.next = self.full_q.q.val();
        self.almost_full.next = self.af_q.q.val();
        self.empty.next = !self.nempty_q.q.val();
        self.do_write.next = self.write.val() & !self.full_q.q.val();
        self.do_read.next = self.read.val() & self.nempty_q.q.val();
        self.inc.next = self.do_write.val() & !self.do_read.val();
        self.dec.next = self.do_read.val() & !self.do_write.val();
        self.ram.write_enable.next = self.do_write.val();
        self.ram.write_address.next = self.wr_ptr.q.val();
        self.ram.write_data.next = self.data_in.val();
        self.ram1.write_enable.next = self.do_write.val();
        self.ram1.write_address.next = self.wr_ptr.q.val();
        self.ram1.write_data.next = self.data_in.val();
        self.rd_p1.next = self.rd_p1x.q.val() ^ 1;
        // ram holds the head if nothing is popped, ram1 the word after it.
        self.ram.read_address.next = self.rd_ptr.q.val();
        self.ram1.read_address.next = self.rd_p1.val();
        self.sel1.d.next = self.do_read.val();
        if self.do_read.val() {
            self.rd_ptr.d.next = self.rd_p1.val();
            self.rd_p1x.d.next = (self.rd_p1.val() + 1) ^ 1;
        }
        if self.do_write.val() {
            self.wr_ptr.d.next = self.wr_ptr.q.val() + 1;
        }
        // Occupancy as the write side sees it (a pop frees its word at once); the
        // flags are those of the next level, selected from compares of this one.
        if self.inc.val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
            self.full_q.d.next = self.cnt.q.val() == self.depth_m1.val();
            self.af_q.d.next = self.cnt.q.val() >= self.af_m1.val();
        }
        if self.dec.val() {
            self.cnt.d.next = self.cnt.q.val() - 1;
            self.full_q.d.next = false;
            self.af_q.d.next = self.cnt.q.val() >= self.af_p1.val();
        }
        // The read side sees a write one clock late (registered RAM read):
        // not empty next clock iff writes before this clock exceed reads after it.
        self.nempty_q.d.next = self.cnt.q.val() != 0;
        if self.do_read.val() {
            self.nempty_q.d.next = self.cnt.q.val() != 1;
        }
        self.data_out.next = self.ram.read_data.val();
        if self.sel1.q.val() {
            self.data_out.next = self.ram1.read_data.val();
        }
        if self.reset.val() {
            self.wr_ptr.d.next = 0.into();
            self.rd_ptr.d.next = 0.into();
            self.rd_p1x.d.next = 0.into();
            self.cnt.d.next = 0.into();
            self.full_q.d.next = false;
            self.af_q.d.next = false;
            self.nempty_q.d.next = false;
        }
    }
}
