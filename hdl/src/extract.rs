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
//! A window of two input beats (`w0` = frame beat `base`, `w1` = `base + 1`) and the
//! current piece (byte position `p`, bytes left `rem`). A beat goes out when the window
//! holds beat `p / 8` (and `p / 8 + 1` if the beat's bytes straddle it): the 128-bit
//! window shifted right by `8 * (p mod 8)` bits. A window beat wholly before `p` (or
//! any beat while discarding) leaves in the same clock as a new beat comes in, so a
//! piece streams at one beat per clock and the skipped bytes cost one clock per beat,
//! like the frame's own arrival. The next frame's first beat comes in, and its first
//! piece loads, in the clock the previous frame's last beat leaves.

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
    // Window: two beats with valid and tlast flags; `base` = frame beat index of `w0`.
    d0: DFF<Bits<64>>,
    d1: DFF<Bits<64>>,
    v0: DFF<Bit>,
    v1: DFF<Bit>,
    base: DFF<Bits<13>>,
    /// The frame's tlast beat came in (further beats belong to the next frame).
    ended: DFF<Bit>,
    /// The next frame's first beat, taken while this frame finishes (and its tlast).
    dn: DFF<Bits<64>>,
    vn: DFF<Bit>,
    ln: DFF<Bit>,
    // Current piece.
    act: DFF<Bit>,
    p: DFF<Bits<16>>,
    rem: DFF<Bits<16>>,
    gt8: DFF<Bit>,
    oend: DFF<Bits<5>>,
    plast: DFF<Bit>,
    /// Discarding the rest of the frame.
    drain: DFF<Bit>,
    // Combinational.
    k: Signal<Local, Bits<13>>,
    o: Signal<Local, Bits<3>>,
    step: Signal<Local, Bits<16>>,
    o_end: Signal<Local, Bits<5>>,
    need2: Signal<Local, Bit>,
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
    adv: Signal<Local, Bit>,
    behind: Signal<Local, Bit>,
    drop: Signal<Local, Bit>,
    v0a: Signal<Local, Bit>,
    v1a: Signal<Local, Bit>,
    finishing: Signal<Local, Bit>,
    frame_done: Signal<Local, Bit>,
    accept: Signal<Local, Bit>,
    cmd_ok: Signal<Local, Bit>,
}

impl Logic for ByteExtract {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, d0, d1, v0, v1, base, ended, dn, vn, ln, act, p, rem, gt8, oend, plast,
            drain
        );
        // The current piece's beat.
        self.k.next = self.p.q.val().get_bits::<13>(3);
        self.o.next = self.p.q.val().get_bits::<3>(0);
        // `gt8` (rem > 8) and `oend` (p mod 8 + min(rem, 8)) are registers, computed for
        // the next piece state in the clock before, so the handshake logic starts from
        // flip-flops.
        self.step.next = self.rem.q.val();
        if self.gt8.q.val() {
            self.step.next = 8.into();
        }
        self.o_end.next = self.oend.q.val();
        self.need2.next = self.o_end.val() > 8;
        self.w0.next = 0.into();
        if self.v0.q.val() {
            self.w0.next = self.d0.q.val();
        }
        self.w1.next = 0.into();
        if self.v1.q.val() {
            self.w1.next = self.d1.q.val();
        }
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
            & (self.v0.q.val() | self.ended.q.val())
            & (!self.need2.val() | self.v1.q.val() | self.ended.q.val());
        self.m_tvalid.next = self.valid_out.val();
        self.emit.next = self.valid_out.val() & self.m_tready.val();
        self.pdone.next = self.emit.val() & !self.gt8.q.val();
        // The piece state after this beat, and its flags.
        self.p_next.next = self.p.q.val() + self.step.val();
        self.rem_next.next = self.rem.q.val() - self.step.val();
        self.step_next.next = self.rem_next.val();
        if self.rem_next.val() > 8 {
            self.step_next.next = 8.into();
        }
        if self.emit.val() {
            self.p.d.next = self.p_next.val();
            self.rem.d.next = self.rem_next.val();
            self.gt8.d.next = self.rem_next.val() > 8;
            self.oend.d.next = bit_cast::<5, 3>(self.p_next.val().get_bits::<3>(0))
                + bit_cast::<5, 4>(self.step_next.val().get_bits::<4>(0));
        }
        // Beats wholly before the piece, or any beat while discarding, leave the window.
        // Emitting happens at `base == p / 8`, so the beat leaves when the piece moves
        // past it (`p mod 8 + step >= 8`); otherwise when it lies before `p / 8`. (Both
        // compares come from registers: `m_tready` only picks one.)
        self.adv.next = self.o_end.val() >= 8;
        self.behind.next = self.base.q.val() < self.k.val();
        self.drop.next = self.drain.q.val() & self.v0.q.val();
        if self.act.q.val() & (self.v0.q.val() | self.ended.q.val()) {
            if self.emit.val() {
                self.drop.next = self.adv.val();
            } else {
                self.drop.next = self.behind.val();
            }
        }
        self.v0a.next = self.v0.q.val();
        self.v1a.next = self.v1.q.val();
        if self.drop.val() {
            self.d0.d.next = self.d1.q.val();
            self.v0.d.next = self.v1.q.val();
            self.v1.d.next = false;
            self.base.d.next = self.base.q.val() + 1;
            self.v0a.next = self.v1.q.val();
            self.v1a.next = false;
        }
        // The frame is done when it is being discarded, its last beat came in and
        // nothing of it is left in the window.
        self.finishing.next = self.drain.q.val() | (self.pdone.val() & self.plast.q.val());
        self.frame_done.next =
            self.finishing.val() & self.ended.q.val() & !self.v0a.val() & !self.v1a.val();
        if self.pdone.val() {
            self.act.d.next = false;
            if self.plast.q.val() {
                self.drain.d.next = true;
            }
        }
        if self.frame_done.val() {
            self.drain.d.next = false;
            self.ended.d.next = false;
            self.base.d.next = 0.into();
        }
        // Input. While the frame is open: into the first free window slot after the
        // drop. Once its last beat came in: the next frame's first beat waits in `dn`.
        // When the frame is done, `dn` becomes the window's first beat and the input
        // goes on behind it.
        if !self.ended.q.val() {
            self.s_tready.next = !(self.v0a.val() & self.v1a.val());
        } else if !self.frame_done.val() {
            self.s_tready.next = !self.vn.q.val();
        } else {
            self.s_tready.next = true;
        }
        self.accept.next = self.s_tready.val() & self.s_tvalid.val();
        if !self.ended.q.val() {
            if self.accept.val() {
                if !self.v0a.val() {
                    self.d0.d.next = self.s_tdata.val();
                    self.v0.d.next = true;
                } else {
                    self.d1.d.next = self.s_tdata.val();
                    self.v1.d.next = true;
                }
                if self.s_tlast.val() {
                    self.ended.d.next = true;
                }
            }
        } else if !self.frame_done.val() {
            if self.accept.val() {
                self.dn.d.next = self.s_tdata.val();
                self.vn.d.next = true;
                self.ln.d.next = self.s_tlast.val();
            }
        } else if self.vn.q.val() {
            self.d0.d.next = self.dn.q.val();
            self.v0.d.next = true;
            self.v1.d.next = false;
            self.ended.d.next = self.ln.q.val();
            self.vn.d.next = false;
            if self.accept.val() {
                if self.ln.q.val() {
                    // The next frame is one beat: this one is the frame after it.
                    self.dn.d.next = self.s_tdata.val();
                    self.vn.d.next = true;
                    self.ln.d.next = self.s_tlast.val();
                } else {
                    self.d1.d.next = self.s_tdata.val();
                    self.v1.d.next = true;
                    if self.s_tlast.val() {
                        self.ended.d.next = true;
                    }
                }
            }
        } else if self.accept.val() {
            self.d0.d.next = self.s_tdata.val();
            self.v0.d.next = true;
            self.ended.d.next = self.s_tlast.val();
        }
        // The next piece loads when none is active, or in the clock the current one's
        // last beat goes out; after a frame's last piece, once the frame is done.
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
            self.v0.d.next = false;
            self.v1.d.next = false;
            self.base.d.next = 0.into();
            self.ended.d.next = false;
            self.vn.d.next = false;
            self.act.d.next = false;
            self.drain.d.next = false;
        }
    }
}
