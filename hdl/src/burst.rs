//! AXI4 burst planner (`BurstPlanner`), shared by the DMA read and write engines: splits
//! a transfer of `beats` 8-byte beats starting at an 8-byte aligned address into INCR
//! bursts of at most [`MAX_BURST_BEATS`] beats that never cross a [`BURST_BOUNDARY`].
//!
//! `start` (while not `busy`) loads a transfer. The next burst is computed one clock
//! ahead from the registered address and remaining count, so `valid` rises one clock
//! after `start` and after every `take` (the address handshake of the burst shown on
//! `addr` / `len_m1`, with `last` set on the transfer's last burst).

use rust_hdl::prelude::*;

/// Largest AXI4 INCR burst, in beats.
pub const MAX_BURST_BEATS: u64 = 256;
/// Bursts may not cross this boundary (AXI4).
pub const BURST_BOUNDARY: u64 = 4096;

/// Burst planner for 8-byte beats.
#[derive(LogicBlock)]
pub struct BurstPlanner {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub start_addr: Signal<In, Bits<64>>,
    pub start_beats: Signal<In, Bits<14>>,
    pub take: Signal<In, Bit>,
    pub busy: Signal<Out, Bit>,
    pub valid: Signal<Out, Bit>,
    pub addr: Signal<Out, Bits<64>>,
    pub len_m1: Signal<Out, Bits<8>>,
    pub last: Signal<Out, Bit>,
    pl_busy: DFF<Bit>,
    pl_addr: DFF<Bits<64>>,
    pl_rem: DFF<Bits<14>>,
    br_n: DFF<Bits<14>>,
    br_last: DFF<Bit>,
    br_ok: DFF<Bit>,
    c_boundary: Constant<Bits<13>>,
    c_max: Constant<Bits<14>>,
    to_b: Signal<Local, Bits<13>>,
    to_b_beats: Signal<Local, Bits<14>>,
    burst: Signal<Local, Bits<14>>,
    burst_m1: Signal<Local, Bits<14>>,
    burst_bytes: Signal<Local, Bits<64>>,
}

impl Default for BurstPlanner {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            start_addr: Default::default(),
            start_beats: Default::default(),
            take: Default::default(),
            busy: Default::default(),
            valid: Default::default(),
            addr: Default::default(),
            len_m1: Default::default(),
            last: Default::default(),
            pl_busy: Default::default(),
            pl_addr: Default::default(),
            pl_rem: Default::default(),
            br_n: Default::default(),
            br_last: Default::default(),
            br_ok: Default::default(),
            c_boundary: Constant::new(BURST_BOUNDARY.to_bits()),
            c_max: Constant::new(MAX_BURST_BEATS.to_bits()),
            to_b: Default::default(),
            to_b_beats: Default::default(),
            burst: Default::default(),
            burst_m1: Default::default(),
            burst_bytes: Default::default(),
        }
    }
}

impl Logic for BurstPlanner {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pl_busy, pl_addr, pl_rem, br_n, br_last, br_ok);
        // Next burst = min(remaining, 256, beats to the next 4 KB boundary).
        self.to_b.next = bit_cast::<13, 12>(self.pl_addr.q.val().get_bits::<12>(0));
        self.to_b.next = self.c_boundary.val() - self.to_b.val();
        self.to_b_beats.next = bit_cast::<14, 13>(self.to_b.val());
        self.to_b_beats.next = self.to_b_beats.val() >> 3;
        self.burst.next = self.pl_rem.q.val();
        if self.burst.val() > self.c_max.val() {
            self.burst.next = self.c_max.val();
        }
        if self.burst.val() > self.to_b_beats.val() {
            self.burst.next = self.to_b_beats.val();
        }
        self.br_n.d.next = self.burst.val();
        self.br_last.d.next = self.burst.val() == self.pl_rem.q.val();
        self.br_ok.d.next = self.pl_busy.q.val();
        self.burst_m1.next = self.br_n.q.val() - 1;
        self.burst_bytes.next = bit_cast::<64, 14>(self.br_n.q.val());
        self.burst_bytes.next = self.burst_bytes.val() << 3;
        self.busy.next = self.pl_busy.q.val();
        self.valid.next = self.pl_busy.q.val() & self.br_ok.q.val();
        self.addr.next = self.pl_addr.q.val();
        self.len_m1.next = self.burst_m1.val().get_bits::<8>(0);
        self.last.next = self.br_last.q.val();
        if self.start.val() & !self.pl_busy.q.val() {
            self.pl_busy.d.next = true;
            self.pl_addr.d.next = self.start_addr.val();
            self.pl_rem.d.next = self.start_beats.val();
            self.br_ok.d.next = false;
        }
        if self.take.val() & self.valid.val() {
            self.pl_addr.d.next = self.pl_addr.q.val() + self.burst_bytes.val();
            self.pl_rem.d.next = self.pl_rem.q.val() - self.br_n.q.val();
            self.br_ok.d.next = false;
            if self.br_last.q.val() {
                self.pl_busy.d.next = false;
            }
        }
        if self.reset.val() {
            self.pl_busy.d.next = false;
            self.br_ok.d.next = false;
        }
    }
}
