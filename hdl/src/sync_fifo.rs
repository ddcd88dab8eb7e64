//! Synchronous first-word-fall-through FIFO with a synchronous reset (`SyncFifo`).
//!
//! rust-hdl's `SynchronousFIFO` has no reset, so a reset in the middle of a frame would
//! leave a partial frame behind; this one empties on `reset`.
//!
//! # Parameters
//! - `D`: the word type; `N`: address bits (depth `2^N`, 2..=12); `NP1` = `N + 1`.
//! - `slack` (constructor): `almost_full` rises when at most `slack` words are free.
//!
//! # Ports
//! - `clock`, `reset` (synchronous, active high: empties the FIFO).
//! - Write side: `write`, `data_in`, `full`, `almost_full`. A write while full is ignored.
//! - Read side: `data_out` (the head word, valid while `!empty`), `empty`, `read`
//!   (pops the head; ignored while empty).
//!
//! # Timing
//! A word written at clock edge `t` appears on `data_out` (and `empty` falls) after edge
//! `t+1`: the block RAM's read port is registered, so the head is read one clock ahead
//! from the next read address. One write and one read per clock.

use rust_hdl::prelude::*;

/// FWFT FIFO of `2^N` words of `D`, with synchronous reset.
#[derive(LogicBlock)]
pub struct SyncFifo<D: Synth, const N: usize, const NP1: usize> {
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
    wr_ptr: DFF<Bits<NP1>>,
    wr_ptr_d: DFF<Bits<NP1>>,
    rd_ptr: DFF<Bits<NP1>>,
    do_write: Signal<Local, Bit>,
    do_read: Signal<Local, Bit>,
    fill: Signal<Local, Bits<NP1>>,
    rd_next: Signal<Local, Bits<NP1>>,
    // Flags registered from the next-state pointers (same values, one clock earlier).
    wr_after: Signal<Local, Bits<NP1>>,
    rd_after: Signal<Local, Bits<NP1>>,
    full_q: DFF<Bit>,
    af_q: DFF<Bit>,
    nempty_q: DFF<Bit>,
    depth: Constant<Bits<NP1>>,
    af_level: Constant<Bits<NP1>>,
}

impl<D: Synth, const N: usize, const NP1: usize> SyncFifo<D, N, NP1> {
    /// A FIFO whose `almost_full` rises when `slack` or fewer words are free.
    pub fn new(slack: usize) -> Self {
        assert_eq!(N + 1, NP1, "NP1 must be N + 1");
        assert!((2..=12).contains(&N), "depth 4..4096");
        assert!(slack < (1 << N), "slack below the depth");
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
            wr_ptr: Default::default(),
            wr_ptr_d: Default::default(),
            rd_ptr: Default::default(),
            do_write: Default::default(),
            do_read: Default::default(),
            fill: Default::default(),
            rd_next: Default::default(),
            wr_after: Default::default(),
            rd_after: Default::default(),
            full_q: Default::default(),
            af_q: Default::default(),
            nempty_q: Default::default(),
            depth: Constant::new((1u64 << N).to_bits()),
            af_level: Constant::new(((1u64 << N) - slack as u64).to_bits()),
        }
    }
}

impl<D: Synth, const N: usize, const NP1: usize> Logic for SyncFifo<D, N, NP1> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, wr_ptr, wr_ptr_d, rd_ptr, full_q, af_q, nempty_q
        );
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_clock.next = self.clock.val();
        // The flags are registers: computed from the pointers as they will be after
        // this clock, they equal what a comparison of the pointers would give next clock.
        self.full.next = self.full_q.q.val();
        self.almost_full.next = self.af_q.q.val();
        self.empty.next = !self.nempty_q.q.val();
        self.do_write.next = self.write.val() & !self.full.val();
        self.do_read.next = self.read.val() & !self.empty.val();
        self.ram.write_enable.next = self.do_write.val();
        self.ram.write_address.next = self.wr_ptr.q.val().get_bits::<N>(0);
        self.ram.write_data.next = self.data_in.val();
        self.rd_next.next = self.rd_ptr.q.val() + 1;
        self.ram.read_address.next = self.rd_ptr.q.val().get_bits::<N>(0);
        if self.do_read.val() {
            self.ram.read_address.next = self.rd_next.val().get_bits::<N>(0);
            self.rd_ptr.d.next = self.rd_next.val();
        }
        if self.do_write.val() {
            self.wr_ptr.d.next = self.wr_ptr.q.val() + 1;
        }
        self.wr_ptr_d.d.next = self.wr_ptr.q.val();
        self.wr_after.next = self.wr_ptr.q.val();
        if self.do_write.val() {
            self.wr_after.next = self.wr_ptr.q.val() + 1;
        }
        self.rd_after.next = self.rd_ptr.q.val();
        if self.do_read.val() {
            self.rd_after.next = self.rd_next.val();
        }
        // Occupancy as the write side will see it (a pop frees its word at once).
        self.fill.next = self.wr_after.val() - self.rd_after.val();
        self.full_q.d.next = self.fill.val() == self.depth.val();
        self.af_q.d.next = self.fill.val() >= self.af_level.val();
        // The read side sees a write one clock late (registered RAM read).
        self.nempty_q.d.next = self.rd_after.val() != self.wr_ptr.q.val();
        self.data_out.next = self.ram.read_data.val();
        if self.reset.val() {
            self.wr_ptr.d.next = 0.into();
            self.wr_ptr_d.d.next = 0.into();
            self.rd_ptr.d.next = 0.into();
            self.full_q.d.next = false;
            self.af_q.d.next = false;
            self.nempty_q.d.next = false;
        }
    }
}
