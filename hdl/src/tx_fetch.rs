//! Segment fetch unit (`TxFetch`, A5, B3): reads each data segment's payload from host
//! memory by DMA, piece by piece (the scatter-gather pieces of the send lists it
//! spans), packs the pieces into one byte stream, computes the payload's
//! ones'-complement sum and stages the segment in an 8 KB ring, so that the transmit
//! frame generator ([`crate::ack_gen::AckGen`]) can put the TCP checksum in the header
//! before the payload streams behind it.
//!
//! # Interface
//! - **Pieces** (`s_pc_*`): host byte address and length (1..=4095) of one piece of a
//!   segment; `last` on the segment's last piece. With a segment's first piece come its
//!   payload length `plen` (1..=4095, the sum of its pieces' lengths) and `meta`, 64
//!   bits handed back with the segment (the connection, the sequence number, ...). A
//!   segment's first piece is taken only when the ring has room for its whole payload.
//! - **DMA reads** (`m_rd_*` requests, `s_rd_*` data, `s_rd_done_*` completions) to a
//!   [`crate::dma_read::DmaRead`]: one request per piece, in order.
//! - **Segments** (`m_seg_*`), in order, once the whole payload is in the ring and every
//!   piece's read completed: `meta`, `plen`, `psum` (the sum of big-endian 16-bit words,
//!   an odd last byte padded with zero, folded to 16 bits) and `err` (a read of the
//!   segment failed: its payload is discarded here and nothing streams for it).
//! - **Payload** (`m_pay_*`, AXI4-Stream): each handed-over segment's bytes, byte 0 in
//!   lane 0, `ceil(plen / 8)` beats, `tkeep` on the last one, `tlast` on it.
//! - `seg_errors`: segments handed over with `err`.
//!
//! # Structure and timing
//! - *Input*: read beats, masked to their bytes and with their byte count, wait in a
//!   4-beat FIFO with registered flags.
//! - *Packer*: read data beats (each piece's bytes from lane 0) are shifted behind the
//!   bytes left over from the piece before, so that a segment is one contiguous stream
//!   starting at a ring word; one beat per clock, plus one clock at a segment's end when
//!   its last beat leaves both a full word and a remainder.
//! - *Sum*: two pipeline stages behind the packer add each word's four 16-bit lanes
//!   (little-endian halves: the byte-swapped fold is the big-endian sum, RFC 1071).
//! - *Ring*: 1,024 words of `{last, keep, data}` (a FIFO with registered flags). A segment reserves its words when its
//!   first piece is taken and frees them as they leave, so the ring never overflows and
//!   the reads of the next segments go on while a segment streams out: DMA latency up to
//!   the ring's depth minus two segments is hidden, and back-to-back segments leave
//!   back to back.
//! - *Output*: a 4-word FIFO with registered flags between the ring and `m_pay_*`, so
//!   that the consumer's ready logic and the hand-over counters are on separate paths.

use crate::fast_fifo::FastFifo;
use crate::sync_fifo::SyncFifo;
use rust_hdl::prelude::*;

/// Words of the staging ring (64-bit): [`TX_RING_WORDS`] = `2^TX_RING_BITS`.
pub const TX_RING_BITS: usize = 10;
/// Words of the staging ring.
pub const TX_RING_WORDS: usize = 1 << TX_RING_BITS;
const _: () = assert!(
    TX_RING_BITS == 10,
    "ring FIFO and counters are sized for 1,024 words"
);

/// Segment fetch unit, 64-bit data.
#[derive(LogicBlock)]
pub struct TxFetch {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_pc_addr: Signal<In, Bits<64>>,
    pub s_pc_len: Signal<In, Bits<12>>,
    pub s_pc_last: Signal<In, Bit>,
    pub s_pc_plen: Signal<In, Bits<12>>,
    pub s_pc_meta: Signal<In, Bits<64>>,
    pub s_pc_valid: Signal<In, Bit>,
    pub s_pc_ready: Signal<Out, Bit>,
    pub m_rd_addr: Signal<Out, Bits<64>>,
    pub m_rd_len: Signal<Out, Bits<16>>,
    pub m_rd_valid: Signal<Out, Bit>,
    pub m_rd_ready: Signal<In, Bit>,
    pub s_rd_tdata: Signal<In, Bits<64>>,
    pub s_rd_tkeep: Signal<In, Bits<8>>,
    pub s_rd_tlast: Signal<In, Bit>,
    pub s_rd_tvalid: Signal<In, Bit>,
    pub s_rd_tready: Signal<Out, Bit>,
    pub s_rd_done_status: Signal<In, Bits<3>>,
    pub s_rd_done_valid: Signal<In, Bit>,
    pub s_rd_done_ready: Signal<Out, Bit>,
    pub m_seg_meta: Signal<Out, Bits<64>>,
    pub m_seg_plen: Signal<Out, Bits<12>>,
    pub m_seg_psum: Signal<Out, Bits<16>>,
    pub m_seg_err: Signal<Out, Bit>,
    pub m_seg_valid: Signal<Out, Bit>,
    pub m_seg_ready: Signal<In, Bit>,
    pub m_pay_tdata: Signal<Out, Bits<64>>,
    pub m_pay_tkeep: Signal<Out, Bits<8>>,
    pub m_pay_tlast: Signal<Out, Bit>,
    pub m_pay_tvalid: Signal<Out, Bit>,
    pub m_pay_tready: Signal<In, Bit>,
    pub seg_errors: Signal<Out, Bits<32>>,
    // ---- Piece intake.
    /// The next piece continues a segment (0: it is a segment's first).
    mid: DFF<Bit>,
    /// Ring words reserved (by segments taken) and not yet left.
    used: DFF<Bits<11>>,
    in_w: Signal<Local, Bits<13>>,
    in_words: Signal<Local, Bits<11>>,
    need: Signal<Local, Bits<11>>,
    room: Signal<Local, Bit>,
    rd_go: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    take_first: Signal<Local, Bit>,
    /// Segments taken: `{plen[75:64], meta[63:0]}`.
    mq: SyncFifo<Bits<76>, 4, 5>,
    mq_in: Signal<Local, Bits<76>>,
    /// Per piece, "last of its segment", for the packer and for the completions.
    pfc: SyncFifo<Bit, 5, 6>,
    pfd: SyncFifo<Bit, 5, 6>,
    // ---- Packer.
    acc: DFF<Bits<64>>,
    n: DFF<Bits<3>>,
    /// One more clock to write the segment's remainder (`acc`, `fl_keep`).
    flush: DFF<Bit>,
    fl_keep: DFF<Bits<8>>,
    in_take: Signal<Local, Bit>,
    /// Read beats `{last, k[3:0], masked data}` (k: bytes in the beat).
    inq: FastFifo<Bits<69>, 2, 3>,
    inq_k: Signal<Local, Bits<69>>,
    inq_l: Signal<Local, Bits<69>>,
    q_data: Signal<Local, Bits<64>>,
    q_k: Signal<Local, Bits<4>>,
    q_last: Signal<Local, Bit>,
    k: Signal<Local, Bits<4>>,
    kx8: Signal<Local, Bits<6>>,
    msh: Signal<Local, Bits<6>>,
    z64: Signal<Local, Bits<64>>,
    ones: Signal<Local, Bits<64>>,
    masked: Signal<Local, Bits<64>>,
    nsh: Signal<Local, Bits<7>>,
    wide: Signal<Local, Bits<128>>,
    wide_acc: Signal<Local, Bits<128>>,
    lo: Signal<Local, Bits<64>>,
    hi: Signal<Local, Bits<64>>,
    total: Signal<Local, Bits<4>>,
    n_after: Signal<Local, Bits<3>>,
    seg_end: Signal<Local, Bit>,
    ff8: Signal<Local, Bits<8>>,
    ksh_a: Signal<Local, Bits<3>>,
    ksh_t: Signal<Local, Bits<3>>,
    w_en: Signal<Local, Bit>,
    w_data: Signal<Local, Bits<64>>,
    w_keep: Signal<Local, Bits<8>>,
    w_last: Signal<Local, Bit>,
    ring_in: Signal<Local, Bits<73>>,
    ring_keep: Signal<Local, Bits<73>>,
    ring_last: Signal<Local, Bits<73>>,
    /// Staged payload `{last, keep[7:0], data[63:0]}`.
    ring: FastFifo<Bits<73>, 10, 11>,
    // ---- Sum.
    sw: DFF<Bits<64>>,
    sv: DFF<Bit>,
    sl: DFF<Bit>,
    ps: DFF<Bits<32>>,
    pt: DFF<Bits<32>>,
    pv: DFF<Bit>,
    s4: Signal<Local, Bits<32>>,
    psn: Signal<Local, Bits<32>>,
    f1: Signal<Local, Bits<17>>,
    f2: Signal<Local, Bits<16>>,
    /// Sums of the segments whose payload is in the ring.
    wq: SyncFifo<Bits<16>, 4, 5>,
    // ---- Completions.
    err: DFF<Bit>,
    d_take: Signal<Local, Bit>,
    d_bad: Signal<Local, Bit>,
    /// Per segment whose reads all completed: one failed.
    cq: SyncFifo<Bit, 4, 5>,
    // ---- Hand-over.
    /// Ring words of handed-over segments not yet streamed.
    pl: DFF<Bits<11>>,
    /// `pl != 0`, registered.
    pl_nz: DFF<Bit>,
    pl_next: Signal<Local, Bits<11>>,
    /// Discarding a failed segment's `dl` words.
    disc: DFF<Bit>,
    dl: DFF<Bits<10>>,
    errs: DFF<Bits<32>>,
    rel: Signal<Local, Bit>,
    h_w: Signal<Local, Bits<13>>,
    h_words: Signal<Local, Bits<11>>,
    seg_take: Signal<Local, Bit>,
    pay_take: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
    mv: Signal<Local, Bit>,
    /// Output stage (registered flags, off the consumer's paths).
    out: FastFifo<Bits<73>, 2, 3>,
}

impl Default for TxFetch {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_pc_addr: Default::default(),
            s_pc_len: Default::default(),
            s_pc_last: Default::default(),
            s_pc_plen: Default::default(),
            s_pc_meta: Default::default(),
            s_pc_valid: Default::default(),
            s_pc_ready: Default::default(),
            m_rd_addr: Default::default(),
            m_rd_len: Default::default(),
            m_rd_valid: Default::default(),
            m_rd_ready: Default::default(),
            s_rd_tdata: Default::default(),
            s_rd_tkeep: Default::default(),
            s_rd_tlast: Default::default(),
            s_rd_tvalid: Default::default(),
            s_rd_tready: Default::default(),
            s_rd_done_status: Default::default(),
            s_rd_done_valid: Default::default(),
            s_rd_done_ready: Default::default(),
            m_seg_meta: Default::default(),
            m_seg_plen: Default::default(),
            m_seg_psum: Default::default(),
            m_seg_err: Default::default(),
            m_seg_valid: Default::default(),
            m_seg_ready: Default::default(),
            m_pay_tdata: Default::default(),
            m_pay_tkeep: Default::default(),
            m_pay_tlast: Default::default(),
            m_pay_tvalid: Default::default(),
            m_pay_tready: Default::default(),
            seg_errors: Default::default(),
            mid: Default::default(),
            used: Default::default(),
            in_w: Default::default(),
            in_words: Default::default(),
            need: Default::default(),
            room: Default::default(),
            rd_go: Default::default(),
            take: Default::default(),
            take_first: Default::default(),
            mq: SyncFifo::new(1),
            mq_in: Default::default(),
            pfc: SyncFifo::new(1),
            pfd: SyncFifo::new(1),
            acc: Default::default(),
            n: Default::default(),
            flush: Default::default(),
            fl_keep: Default::default(),
            in_take: Default::default(),
            inq: FastFifo::new(1),
            inq_k: Default::default(),
            inq_l: Default::default(),
            q_data: Default::default(),
            q_k: Default::default(),
            q_last: Default::default(),
            k: Default::default(),
            kx8: Default::default(),
            msh: Default::default(),
            z64: Default::default(),
            ones: Default::default(),
            masked: Default::default(),
            nsh: Default::default(),
            wide: Default::default(),
            wide_acc: Default::default(),
            lo: Default::default(),
            hi: Default::default(),
            total: Default::default(),
            n_after: Default::default(),
            seg_end: Default::default(),
            ff8: Default::default(),
            ksh_a: Default::default(),
            ksh_t: Default::default(),
            w_en: Default::default(),
            w_data: Default::default(),
            w_keep: Default::default(),
            w_last: Default::default(),
            ring_in: Default::default(),
            ring_keep: Default::default(),
            ring_last: Default::default(),
            ring: FastFifo::new(1),
            sw: Default::default(),
            sv: Default::default(),
            sl: Default::default(),
            ps: Default::default(),
            pt: Default::default(),
            pv: Default::default(),
            s4: Default::default(),
            psn: Default::default(),
            f1: Default::default(),
            f2: Default::default(),
            wq: SyncFifo::new(1),
            err: Default::default(),
            d_take: Default::default(),
            d_bad: Default::default(),
            cq: SyncFifo::new(1),
            pl: Default::default(),
            pl_nz: Default::default(),
            pl_next: Default::default(),
            disc: Default::default(),
            dl: Default::default(),
            errs: Default::default(),
            rel: Default::default(),
            h_w: Default::default(),
            h_words: Default::default(),
            seg_take: Default::default(),
            pay_take: Default::default(),
            pop: Default::default(),
            mv: Default::default(),
            out: FastFifo::new(1),
        }
    }
}

impl Logic for TxFetch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, mid, used, acc, n, flush, fl_keep, sw, sv, sl, ps, pt, pv, err, pl, pl_nz,
            disc, dl, errs
        );
        clock!(self, clock, mq, pfc, pfd, ring, wq, cq, out, inq);
        self.inq.reset.next = self.reset.val();
        self.out.reset.next = self.reset.val();
        self.mq.reset.next = self.reset.val();
        self.pfc.reset.next = self.reset.val();
        self.pfd.reset.next = self.reset.val();
        self.ring.reset.next = self.reset.val();
        self.wq.reset.next = self.reset.val();
        self.cq.reset.next = self.reset.val();
        self.seg_errors.next = self.errs.q.val();

        // ---- Piece intake: one read request per piece; a segment's first piece
        // reserves the ring words of its whole payload.
        self.in_w.next = bit_cast::<13, 12>(self.s_pc_plen.val()) + 7;
        self.in_w.next = self.in_w.val() >> 3;
        self.in_words.next = bit_cast::<11, 13>(self.in_w.val());
        self.need.next = self.used.q.val() + self.in_words.val();
        self.room.next = self.need.val() <= 1024 && !self.mq.full.val();
        self.rd_go.next = self.s_pc_valid.val()
            && !self.pfc.full.val()
            && !self.pfd.full.val()
            && (self.mid.q.val() || self.room.val());
        self.m_rd_valid.next = self.rd_go.val();
        self.m_rd_addr.next = self.s_pc_addr.val();
        self.m_rd_len.next = bit_cast::<16, 12>(self.s_pc_len.val());
        self.take.next = self.rd_go.val() && self.m_rd_ready.val();
        self.s_pc_ready.next = self.take.val();
        self.take_first.next = self.take.val() && !self.mid.q.val();
        self.pfc.write.next = self.take.val();
        self.pfc.data_in.next = self.s_pc_last.val();
        self.pfd.write.next = self.take.val();
        self.pfd.data_in.next = self.s_pc_last.val();
        self.mq_in.next = bit_cast::<76, 12>(self.s_pc_plen.val()) << 64;
        self.mq_in.next = self.mq_in.val() | bit_cast::<76, 64>(self.s_pc_meta.val());
        self.mq.data_in.next = self.mq_in.val();
        self.mq.write.next = self.take_first.val();
        if self.take.val() {
            self.mid.d.next = !self.s_pc_last.val();
        }

        // ---- Packer: each read beat shifted behind the `n` bytes left in `acc`.
        // Input stage: each read beat's byte count and masked data, queued.
        self.s_rd_tready.next = !self.inq.almost_full.val();
        self.inq.write.next = self.s_rd_tvalid.val() && !self.inq.almost_full.val();
        // Bytes in the beat (tkeep is contiguous from lane 0).
        self.k.next = 8.into();
        if self.s_rd_tlast.val() {
            self.k.next = 0.into();
            if self.s_rd_tkeep.val().get_bit(0) {
                self.k.next = 1.into();
            }
            if self.s_rd_tkeep.val().get_bit(1) {
                self.k.next = 2.into();
            }
            if self.s_rd_tkeep.val().get_bit(2) {
                self.k.next = 3.into();
            }
            if self.s_rd_tkeep.val().get_bit(3) {
                self.k.next = 4.into();
            }
            if self.s_rd_tkeep.val().get_bit(4) {
                self.k.next = 5.into();
            }
            if self.s_rd_tkeep.val().get_bit(5) {
                self.k.next = 6.into();
            }
            if self.s_rd_tkeep.val().get_bit(6) {
                self.k.next = 7.into();
            }
            if self.s_rd_tkeep.val().get_bit(7) {
                self.k.next = 8.into();
            }
        }
        // Lanes past the beat's bytes are cleared: (64 - 8k) mod 64 bits shifted off.
        self.kx8.next = bit_cast::<6, 4>(self.k.val()) << 3;
        self.msh.next = (!self.kx8.val()) + 1;
        self.z64.next = 0.into();
        self.ones.next = !self.z64.val();
        self.masked.next = self.s_rd_tdata.val() & (self.ones.val() >> self.msh.val());
        self.inq_k.next = bit_cast::<69, 4>(self.k.val()) << 64;
        self.inq_l.next = 0.into();
        if self.s_rd_tlast.val() {
            self.inq_l.next = 1.into();
            self.inq_l.next = self.inq_l.val() << 68;
        }
        self.inq.data_in.next =
            bit_cast::<69, 64>(self.masked.val()) | self.inq_k.val() | self.inq_l.val();
        // Packer.
        self.in_take.next = !self.inq.empty.val() && !self.flush.q.val() && !self.pfc.empty.val();
        self.inq.read.next = self.in_take.val();
        self.q_data.next = self.inq.data_out.val().get_bits::<64>(0);
        self.q_k.next = self.inq.data_out.val().get_bits::<4>(64);
        self.q_last.next = self.inq.data_out.val().get_bit(68);
        self.nsh.next = bit_cast::<7, 3>(self.n.q.val()) << 3;
        self.wide.next = bit_cast::<128, 64>(self.q_data.val()) << self.nsh.val();
        self.wide_acc.next = bit_cast::<128, 64>(self.acc.q.val());
        self.wide.next = self.wide.val() | self.wide_acc.val();
        self.lo.next = self.wide.val().get_bits::<64>(0);
        self.hi.next = self.wide.val().get_bits::<64>(64);
        self.total.next = bit_cast::<4, 3>(self.n.q.val()) + self.q_k.val();
        self.n_after.next = self.total.val().get_bits::<3>(0);
        self.seg_end.next = self.q_last.val() && self.pfc.data_out.val();
        self.pfc.read.next = self.in_take.val() && self.q_last.val();
        // keep(m) = 0xFF >> (8 - m) for m in 1..=7.
        self.ff8.next = 255.into();
        self.ksh_a.next = (!self.n_after.val()) + 1;
        self.ksh_t.next = (!self.total.val().get_bits::<3>(0)) + 1;
        self.w_en.next = false;
        self.w_data.next = self.lo.val();
        self.w_keep.next = self.ff8.val();
        self.w_last.next = false;
        if self.flush.q.val() {
            self.w_en.next = true;
            self.w_data.next = self.acc.q.val();
            self.w_keep.next = self.fl_keep.q.val();
            self.w_last.next = true;
            self.acc.d.next = 0.into();
            self.n.d.next = 0.into();
            self.flush.d.next = false;
        } else if self.in_take.val() {
            if self.total.val().get_bit(3) {
                self.w_en.next = true;
                self.w_last.next = self.seg_end.val() && self.n_after.val() == 0;
                self.acc.d.next = self.hi.val();
                self.n.d.next = self.n_after.val();
                if self.seg_end.val() && self.n_after.val() != 0 {
                    self.flush.d.next = true;
                    self.fl_keep.d.next = self.ff8.val() >> self.ksh_a.val();
                }
            } else if self.seg_end.val() {
                self.w_en.next = true;
                self.w_keep.next = self.ff8.val() >> self.ksh_t.val();
                self.w_last.next = true;
                self.acc.d.next = 0.into();
                self.n.d.next = 0.into();
            } else {
                self.acc.d.next = self.lo.val();
                self.n.d.next = self.n_after.val();
            }
        }
        self.ring_keep.next = bit_cast::<73, 8>(self.w_keep.val()) << 64;
        self.ring_last.next = 0.into();
        if self.w_last.val() {
            self.ring_last.next = 1.into();
            self.ring_last.next = self.ring_last.val() << 72;
        }
        self.ring_in.next = bit_cast::<73, 64>(self.w_data.val());
        self.ring_in.next = self.ring_in.val() | self.ring_keep.val() | self.ring_last.val();
        self.ring.data_in.next = self.ring_in.val();
        self.ring.write.next = self.w_en.val();

        // ---- Sum: the written word's four little-endian halves, then the segment's
        // total folded and byte-swapped.
        self.sv.d.next = self.w_en.val();
        self.sl.d.next = self.w_last.val();
        self.sw.d.next = self.w_data.val();
        self.s4.next = bit_cast::<32, 16>(self.sw.q.val().get_bits::<16>(0))
            + bit_cast::<32, 16>(self.sw.q.val().get_bits::<16>(16))
            + bit_cast::<32, 16>(self.sw.q.val().get_bits::<16>(32))
            + bit_cast::<32, 16>(self.sw.q.val().get_bits::<16>(48));
        self.psn.next = self.ps.q.val() + self.s4.val();
        self.pv.d.next = false;
        if self.sv.q.val() {
            if self.sl.q.val() {
                self.pt.d.next = self.psn.val();
                self.pv.d.next = true;
                self.ps.d.next = 0.into();
            } else {
                self.ps.d.next = self.psn.val();
            }
        }
        self.f1.next = bit_cast::<17, 16>(self.pt.q.val().get_bits::<16>(0))
            + bit_cast::<17, 16>(self.pt.q.val().get_bits::<16>(16));
        self.f2.next =
            self.f1.val().get_bits::<16>(0) + bit_cast::<16, 1>(self.f1.val().get_bits::<1>(16));
        self.wq.data_in.next = (self.f2.val() << 8) | (self.f2.val() >> 8);
        self.wq.write.next = self.pv.q.val();

        // ---- Completions: one per piece, in order; a segment's worst goes to `cq`.
        self.s_rd_done_ready.next = !self.pfd.empty.val();
        self.d_take.next = self.s_rd_done_valid.val() && !self.pfd.empty.val();
        self.d_bad.next = self.s_rd_done_status.val() != 0;
        self.pfd.read.next = self.d_take.val();
        self.cq.write.next = false;
        self.cq.data_in.next = self.err.q.val() || self.d_bad.val();
        if self.d_take.val() {
            if self.pfd.data_out.val() {
                self.cq.write.next = true;
                self.err.d.next = false;
            } else {
                self.err.d.next = self.err.q.val() || self.d_bad.val();
            }
        }

        // ---- Hand-over: a segment whose payload is in the ring and whose reads all
        // completed; a failed one waits for the payload before it, then its words are
        // discarded.
        self.rel.next = !self.mq.empty.val() && !self.wq.empty.val() && !self.cq.empty.val();
        self.h_w.next = bit_cast::<13, 12>(self.mq.data_out.val().get_bits::<12>(64)) + 7;
        self.h_w.next = self.h_w.val() >> 3;
        self.h_words.next = bit_cast::<11, 13>(self.h_w.val());
        self.m_seg_meta.next = self.mq.data_out.val().get_bits::<64>(0);
        self.m_seg_plen.next = self.mq.data_out.val().get_bits::<12>(64);
        self.m_seg_psum.next = self.wq.data_out.val();
        self.m_seg_err.next = self.cq.data_out.val();
        self.m_seg_valid.next = self.rel.val()
            && !self.disc.q.val()
            && (!self.cq.data_out.val() || !self.pl_nz.q.val());
        self.seg_take.next = self.m_seg_valid.val() && self.m_seg_ready.val();
        self.mq.read.next = self.seg_take.val();
        self.wq.read.next = self.seg_take.val();
        self.cq.read.next = self.seg_take.val();
        // Handed-over words move from the ring to the output stage.
        self.mv.next = !self.ring.empty.val()
            && self.pl_nz.q.val()
            && !self.disc.q.val()
            && !self.out.almost_full.val();
        self.out.write.next = self.mv.val();
        self.out.data_in.next = self.ring.data_out.val();
        self.m_pay_tdata.next = self.out.data_out.val().get_bits::<64>(0);
        self.m_pay_tkeep.next = self.out.data_out.val().get_bits::<8>(64);
        self.m_pay_tlast.next = self.out.data_out.val().get_bit(72);
        self.m_pay_tvalid.next = !self.out.empty.val();
        self.out.read.next = self.m_pay_tready.val();
        self.pay_take.next = self.mv.val();
        self.pop.next = self.mv.val() || (self.disc.q.val() && !self.ring.empty.val());
        self.ring.read.next = self.pop.val();
        // Words handed over minus words moved out.
        self.pl_next.next = self.pl.q.val();
        if self.seg_take.val() && !self.cq.data_out.val() {
            if self.pay_take.val() {
                self.pl_next.next = self.pl.q.val() + self.h_words.val() - 1;
            } else {
                self.pl_next.next = self.pl.q.val() + self.h_words.val();
            }
        } else if self.pay_take.val() {
            self.pl_next.next = self.pl.q.val() - 1;
        }
        self.pl.d.next = self.pl_next.val();
        self.pl_nz.d.next = self.pl_next.val() != 0;
        if self.seg_take.val() && self.cq.data_out.val() {
            self.disc.d.next = true;
            self.dl.d.next = self.h_words.val().get_bits::<10>(0);
            self.errs.d.next = self.errs.q.val() + 1;
        }
        if self.disc.q.val() && !self.ring.empty.val() {
            self.dl.d.next = self.dl.q.val() - 1;
            if self.dl.q.val() == 1 {
                self.disc.d.next = false;
            }
        }
        // Reserved words: plus a taken segment's, minus each word that leaves.
        if self.take_first.val() {
            if self.pop.val() {
                self.used.d.next = self.used.q.val() + self.in_words.val() - 1;
            } else {
                self.used.d.next = self.used.q.val() + self.in_words.val();
            }
        } else if self.pop.val() {
            self.used.d.next = self.used.q.val() - 1;
        }

        if self.reset.val() {
            self.mid.d.next = false;
            self.used.d.next = 0.into();
            self.acc.d.next = 0.into();
            self.n.d.next = 0.into();
            self.flush.d.next = false;
            self.sv.d.next = false;
            self.ps.d.next = 0.into();
            self.pv.d.next = false;
            self.err.d.next = false;
            self.pl.d.next = 0.into();
            self.pl_nz.d.next = false;
            self.disc.d.next = false;
            self.errs.d.next = 0.into();
        }
    }
}
