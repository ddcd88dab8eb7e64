//! Byte-range extractor (`ByteExtract`): cuts pieces out of frames and packs each one
//! from byte 0, one beat per clock, for the DMA write engine. This is the payload
//! placement data path of the receive fast path (`host_model::rcv`): the headers are
//! stripped, a trimmed duplicate head is skipped, and a payload that spans several
//! scatter-gather entries is cut into one piece per entry.
//!
//! # Interface (64-bit beats, lane 0 = `tdata[7:0]` = the lowest byte offset)
//! - **Frames** (`s_tdata`, `s_tlast`, `s_tvalid`, `s_tready`): whole frames; `tkeep` is
//!   not needed (bytes past the end are never asked for).
//! - **Pieces** (`s_cmd_*`): `start` (byte offset in the frame), `len` (bytes) and
//!   `last` (the frame's last piece: the rest of the frame is discarded), for the frame
//!   now at the head of the input, in increasing order, not overlapping (a piece may
//!   start in the beat where the previous one ended). A piece of length 0 with `last`
//!   discards a frame none of whose bytes are wanted; one without `last` does nothing.
//!   A piece that reaches past its frame's last beat reads zeros there (no hang).
//! - **Output** (`m_tdata`, `m_tlast`, `m_tvalid`, `m_tready`): each piece as
//!   `⌈len / 8⌉` beats packed from byte 0, `tlast` on its last beat; bytes past `len` in
//!   that beat are don't-care (the DMA write engine ignores them).
//!
//! # How
//! Input beats go into a ring of four slots (with their `tlast`); the window is the
//! two oldest: `w0` = frame beat `base`, `w1` = `base + 1` (zero past the frame's last
//! beat). The current piece is a byte position `p` and the bytes left `rem`. A beat
//! goes out when the window holds beat `p / 8` (and `p / 8 + 1` if the beat's bytes
//! straddle it): the 128-bit window shifted right by `8 * (p mod 8)` bits. A window
//! beat wholly before `p` (or any beat while discarding) leaves the ring, one per
//! clock, while a new beat comes in: a piece streams at one beat per clock and skipped
//! bytes cost one clock per beat, like the frame's own arrival. The next frames' beats
//! wait in the ring behind the current frame's last beat, and the next frame's first
//! piece loads in the clock the previous frame's last beat leaves. The ring takes a
//! beat whenever it has a free slot, so `s_tready` comes from flip-flops.

use rust_hdl::prelude::*;

/// Byte-range extractor, 64-bit beats.
#[derive(LogicBlock, Default)]
pub struct ByteExtract {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_tdata: Signal<In, Bits<64>>,
    pub s_tlast: Signal<In, Bit>,
    pub s_tvalid: Signal<In, Bit>,
    pub s_tready: Signal<Out, Bit>,
    pub s_cmd_start: Signal<In, Bits<16>>,
    pub s_cmd_len: Signal<In, Bits<16>>,
    pub s_cmd_last: Signal<In, Bit>,
    pub s_cmd_valid: Signal<In, Bit>,
    pub s_cmd_ready: Signal<Out, Bit>,
    pub m_tdata: Signal<Out, Bits<64>>,
    pub m_tlast: Signal<Out, Bit>,
    pub m_tvalid: Signal<Out, Bit>,
    pub m_tready: Signal<In, Bit>,
    // The ring: four beats, their tlast flags, read and write slots, beats held.
    b0: DFF<Bits<64>>,
    b1: DFF<Bits<64>>,
    b2: DFF<Bits<64>>,
    b3: DFF<Bits<64>>,
    lf: DFF<Bits<4>>,
    rd: DFF<Bits<2>>,
    wr: DFF<Bits<2>>,
    cnt: DFF<Bits<3>>,
    /// Frame beat index of the oldest beat (slot `rd`).
    base: DFF<Bits<13>>,
    /// The current frame's last beat already left (a piece reaching past the end:
    /// the window reads zeros).
    gone: DFF<Bit>,
    // Current piece.
    act: DFF<Bit>,
    p: DFF<Bits<16>>,
    rem: DFF<Bits<16>>,
    /// `rem > 8`, and `p mod 8 + min(rem, 8)`, computed with `p` and `rem`.
    gt8: DFF<Bit>,
    oend: DFF<Bits<5>>,
    plast: DFF<Bit>,
    /// Discarding the rest of the frame.
    drain: DFF<Bit>,
    // Combinational.
    rd1: Signal<Local, Bits<2>>,
    k: Signal<Local, Bits<13>>,
    o: Signal<Local, Bits<3>>,
    step: Signal<Local, Bits<16>>,
    need2: Signal<Local, Bit>,
    adv: Signal<Local, Bit>,
    behind: Signal<Local, Bit>,
    last0: Signal<Local, Bit>,
    lf_sh: Signal<Local, Bits<4>>,
    one4: Signal<Local, Bits<4>>,
    wbit: Signal<Local, Bits<4>>,
    have0: Signal<Local, Bit>,
    have1: Signal<Local, Bit>,
    w0: Signal<Local, Bits<64>>,
    w1: Signal<Local, Bits<64>>,
    win: Signal<Local, Bits<128>>,
    win_hi: Signal<Local, Bits<128>>,
    sh: Signal<Local, Bits<7>>,
    shifted: Signal<Local, Bits<128>>,
    valid_out: Signal<Local, Bit>,
    emit: Signal<Local, Bit>,
    pdone: Signal<Local, Bit>,
    p_next: Signal<Local, Bits<16>>,
    rem_next: Signal<Local, Bits<16>>,
    step_next: Signal<Local, Bits<16>>,
    step_cmd: Signal<Local, Bits<16>>,
    drop: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
    finishing: Signal<Local, Bit>,
    frame_done: Signal<Local, Bit>,
    accept: Signal<Local, Bit>,
    cmd_ok: Signal<Local, Bit>,
}

impl Logic for ByteExtract {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, b0, b1, b2, b3, lf, rd, wr, cnt, base, gone, act, p, rem, gt8, oend,
            plast, drain
        );
        self.one4.next = 1.into();
        self.wbit.next = 0.into();
        // ---- The window: slots `rd` and `rd + 1`.
        self.rd1.next = self.rd.q.val() + 1;
        self.w0.next = self.b0.q.val();
        if self.rd.q.val() == 1 {
            self.w0.next = self.b1.q.val();
        } else if self.rd.q.val() == 2 {
            self.w0.next = self.b2.q.val();
        } else if self.rd.q.val() == 3 {
            self.w0.next = self.b3.q.val();
        }
        self.w1.next = self.b0.q.val();
        if self.rd1.val() == 1 {
            self.w1.next = self.b1.q.val();
        } else if self.rd1.val() == 2 {
            self.w1.next = self.b2.q.val();
        } else if self.rd1.val() == 3 {
            self.w1.next = self.b3.q.val();
        }
        self.lf_sh.next = self.lf.q.val() >> self.rd.q.val();
        self.last0.next = self.lf_sh.val().get_bit(0);
        // Past the frame's last beat the window reads zeros (always available).
        self.have0.next = self.gone.q.val() | (self.cnt.q.val() != 0);
        self.have1.next = self.gone.q.val()
            | ((self.cnt.q.val() != 0) & self.last0.val())
            | (self.cnt.q.val() >= 2);
        if self.gone.q.val() | (self.cnt.q.val() == 0) {
            self.w0.next = 0.into();
        }
        if self.gone.q.val() | self.last0.val() | (self.cnt.q.val() < 2) {
            self.w1.next = 0.into();
        }

        // ---- The current piece's beat. `gt8` and `oend` are registers, computed for
        // the next piece state in the clock before.
        self.k.next = self.p.q.val().get_bits::<13>(3);
        self.o.next = self.p.q.val().get_bits::<3>(0);
        self.step.next = self.rem.q.val();
        if self.gt8.q.val() {
            self.step.next = 8.into();
        }
        self.need2.next = self.oend.q.val() > 8;
        self.adv.next = self.oend.q.val() >= 8;
        self.behind.next = self.base.q.val() < self.k.val();
        self.win_hi.next = bit_cast::<128, 64>(self.w1.val());
        self.win_hi.next = self.win_hi.val() << 64;
        self.win.next = self.win_hi.val() | bit_cast::<128, 64>(self.w0.val());
        self.sh.next = bit_cast::<7, 3>(self.o.val());
        self.sh.next = self.sh.val() << 3;
        self.shifted.next = self.win.val() >> self.sh.val();
        self.m_tdata.next = self.shifted.val().get_bits::<64>(0);
        self.m_tlast.next = !self.gt8.q.val();
        self.valid_out.next = self.act.q.val()
            & (self.base.q.val() == self.k.val())
            & self.have0.val()
            & (!self.need2.val() | self.have1.val());
        self.m_tvalid.next = self.valid_out.val();
        self.emit.next = self.valid_out.val() & self.m_tready.val();
        self.pdone.next = self.emit.val() & !self.gt8.q.val();
        // The piece state after this beat, and its flags.
        // (Only a beat with `rem > 8` leaves a piece going on: then `rem` drops by 8,
        // the new `rem > 8` is `rem > 16`, and `p mod 8` becomes `oend mod 8`.)
        self.p_next.next = self.p.q.val() + self.step.val();
        self.rem_next.next = self.rem.q.val() - self.step.val();
        self.step_next.next = bit_cast::<16, 4>(self.rem.q.val().get_bits::<4>(0) - 8);
        if self.rem.q.val() > 16 {
            self.step_next.next = 8.into();
        }
        if self.emit.val() {
            self.p.d.next = self.p_next.val();
            self.rem.d.next = self.rem_next.val();
            self.gt8.d.next = self.rem.q.val() > 16;
            self.oend.d.next = bit_cast::<5, 3>(self.oend.q.val().get_bits::<3>(0))
                + bit_cast::<5, 4>(self.step_next.val().get_bits::<4>(0));
        }

        // ---- The oldest beat leaves when the piece has moved past it (emitting happens
        // at `base == p / 8`: past it when `p mod 8 + step >= 8`), when it lies before
        // `p / 8`, or when the frame is being discarded. A beat past the frame's end is
        // only counted (`base`), the ring is not touched.
        self.drop.next = self.drain.q.val() & self.have0.val();
        if self.act.q.val() & self.have0.val() {
            if self.emit.val() {
                self.drop.next = self.adv.val();
            } else {
                self.drop.next = self.behind.val();
            }
        }
        self.pop.next = self.drop.val() & !self.gone.q.val();
        if self.drop.val() {
            self.base.d.next = self.base.q.val() + 1;
        }
        self.finishing.next = self.drain.q.val() | (self.pdone.val() & self.plast.q.val());
        // Done when the frame's last beat leaves (or left) while it finishes.
        self.frame_done.next =
            self.finishing.val() & (self.gone.q.val() | (self.pop.val() & self.last0.val()));
        if self.pop.val() & self.last0.val() & !self.finishing.val() {
            self.gone.d.next = true;
        }
        if self.pdone.val() {
            self.act.d.next = false;
            if self.plast.q.val() {
                self.drain.d.next = true;
            }
        }
        if self.frame_done.val() {
            self.drain.d.next = false;
            self.gone.d.next = false;
            self.base.d.next = 0.into();
        }

        // ---- Input: into slot `wr` whenever the ring has room.
        self.s_tready.next = self.cnt.q.val() != 4;
        self.accept.next = self.s_tready.val() & self.s_tvalid.val();
        if self.accept.val() {
            if self.wr.q.val() == 0 {
                self.b0.d.next = self.s_tdata.val();
            }
            if self.wr.q.val() == 1 {
                self.b1.d.next = self.s_tdata.val();
            }
            if self.wr.q.val() == 2 {
                self.b2.d.next = self.s_tdata.val();
            }
            if self.wr.q.val() == 3 {
                self.b3.d.next = self.s_tdata.val();
            }
            self.one4.next = 1.into();
            self.wbit.next = self.one4.val() << self.wr.q.val();
            self.lf.d.next = self.lf.q.val() & !self.wbit.val();
            if self.s_tlast.val() {
                self.lf.d.next = self.lf.q.val() | self.wbit.val();
            }
            self.wr.d.next = self.wr.q.val() + 1;
        }
        if self.pop.val() {
            self.rd.d.next = self.rd.q.val() + 1;
        }
        if self.accept.val() & !self.pop.val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
        } else if !self.accept.val() & self.pop.val() {
            self.cnt.d.next = self.cnt.q.val() - 1;
        }

        // ---- The next piece loads when none is active, or in the clock the current
        // one's last beat goes out; after a frame's last piece, once the frame is done.
        self.step_cmd.next = self.s_cmd_len.val();
        if self.s_cmd_len.val() > 8 {
            self.step_cmd.next = 8.into();
        }
        self.cmd_ok.next = (!self.act.q.val() | self.pdone.val())
            & (!self.finishing.val() | self.frame_done.val());
        self.s_cmd_ready.next = self.cmd_ok.val();
        if self.cmd_ok.val() & self.s_cmd_valid.val() {
            if self.s_cmd_len.val() != 0 {
                self.act.d.next = true;
                self.p.d.next = self.s_cmd_start.val();
                self.rem.d.next = self.s_cmd_len.val();
                self.gt8.d.next = self.s_cmd_len.val() > 8;
                self.oend.d.next = bit_cast::<5, 3>(self.s_cmd_start.val().get_bits::<3>(0))
                    + bit_cast::<5, 4>(self.step_cmd.val().get_bits::<4>(0));
                self.plast.d.next = self.s_cmd_last.val();
            } else if self.s_cmd_last.val() {
                self.drain.d.next = true;
            }
        }
        if self.reset.val() {
            self.rd.d.next = 0.into();
            self.wr.d.next = 0.into();
            self.cnt.d.next = 0.into();
            self.base.d.next = 0.into();
            self.gone.d.next = false;
            self.act.d.next = false;
            self.drain.d.next = false;
        }
    }
}
