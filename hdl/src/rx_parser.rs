//! Receive parser with checksum verification (`RxParser`).
//!
//! # What it does
//! Takes Ethernet frames on an AXI4-Stream input (64-bit data, one beat per clock),
//! passes them through unchanged on an AXI4-Stream output, and emits one
//! [`RxMetaRecord`] per frame on a second stream: layer types, VLAN, addresses,
//! ports, TCP sequence/ACK/flags, header lengths, payload offset and length, IPv4
//! header and TCP/UDP checksum results (with pseudo-header, IPv4 and IPv6), error
//! bits and the fast-path-candidate bit. The exact semantics of every field are in
//! `host_model::meta`.
//!
//! # Parameters
//! - `min_frame_len` (bytes, 14..=1518, from `rx.min_frame_len`): shorter frames are
//!   flagged `runt`.
//! - Data width: 64 bits (8 byte lanes). Frames up to 131,071 bytes are measured.
//!
//! # Ports
//! - `clock`, `reset` (synchronous, active high: clears the pipeline and empties both
//!   output FIFOs).
//! - `s_tdata/s_tkeep/s_tvalid/s_tready/s_tlast/s_tuser`: frame input; byte 0 of the
//!   frame in `tdata[7:0]`; `tkeep` all ones except on the last beat, where it is
//!   contiguous from lane 0; `tuser` on any beat marks a MAC receive error.
//! - `m_tdata/m_tkeep/m_tvalid/m_tready/m_tlast/m_tuser`: the same frames, unchanged.
//! - `m_meta_tdata/m_meta_tvalid/m_meta_tready`: one record per frame, in frame order
//!   (the k-th record describes the k-th frame).
//!
//! # Timing
//! Accepts one beat per clock while both output FIFOs have room (`s_tready` depends
//! only on FIFO fill levels, never combinationally on `m_tready`). Latency (checked
//! in `testbenches/tests/rx_parser.rs`): a beat appears on `m_*` 3 clocks after it
//! is accepted; a frame's record appears on `m_meta_*` 11 clocks after its last beat
//! is accepted. Back-pressure on either output fills its FIFO (32 beats / 16
//! records) and then deasserts `s_tready`; nothing is dropped (the record FIFO stops
//! the input while 10 or fewer words are free: up to 10 records are in flight).
//!
//! # Structure
//! Every stage is a register-to-register step of a few LUT levels or one carry chain
//! (ECP5 target: 200 MHz, met at speed grade 8 out of context); wide decisions are
//! split over several stages. Timing-driven choices (keep them when editing):
//! - both output FIFOs are [`FastFifo`]s (up/down fill counter with flags selected
//!   from constant compares, two RAM copies read at the head and head + 1 from
//!   registered addresses), not `SyncFifo`: same port behaviour, no adder or address
//!   mux between the pointers and the flags / RAMs;
//! - the stage A beat registers load every clock (no clock enable on ~300 flip-flops;
//!   nothing downstream uses a clock without `a_valid`); only `a_valid` and the beat
//!   counters depend on the handshake;
//! - everything decoded from IP pair 0 is computed for both the R and the S view and
//!   selected by `f_vlan` last, with no carry-chain compares (`< 8` is a zero test of
//!   the upper bits); `f_et6` tracks `f_vlan ? f_t1v6 : f_t0v6` as a register;
//! - the `2 * beat` compares of the header-checksum and pseudo-header slots are
//!   registered in stage A (`a_g3` ... `a_ltl`); the IP-end lane mask is registered
//!   as compares (`b2_elt`, `b2_egt`, `b2_emk`) and finished in B2;
//! - the L4 header words are captured from registered flags `w_is0`, `w_is1`,
//!   `w_m1`..`w_m3` (`w_d` == 0, 1, -1, -2, -3), not from 16-bit compares of `w_d`;
//! - C1 pre-combines the layer-2 and QinQ flags and `IHL < 5` for C2.
//!
//! The realigned view: with Ethernet (14 bytes) and one VLAN tag (18), every IPv4,
//! IPv6, TCP and UDP header starts 2 bytes past a 4-byte boundary, so in the stream of
//! 32-bit words starting at frame byte 14 ("realigned word" j at byte 14 + 4j) every
//! header field sits at a word boundary. View `R` (previous beat's lanes 6-7 + lanes
//! 0-5) holds realigned words 2B-4 (hi slot) and 2B-3 (lo slot) at beat B; each header
//! word is captured from the slot of the beat where it completes, so a frame that ends
//! right after a header still has it.
//!
//! - **A** registers the accepted beat with one-hot strobes of beats 0-7, `2 * beat`
//!   (saturating) and eight walker thresholds (below).
//! - **B** (per beat) captures the Ethernet type/TCI (beat 1-2) and IP words 0-9 by
//!   beat strobe and VLAN flag. At IP pair 0 (beat 2 + vlan, words 0-1 read through `S`
//!   = R shifted by one word) it registers the raw geometry (header words, IP-end base
//!   and length) and classifies the start of the IPv6 walk; the IP end, raw L4 start
//!   and header-checksum limits are derived from those registers one clock later (the
//!   one beat that follows pair 0 directly uses fixed masks). It also computes, per
//!   beat and registered for B2: the raw L4 byte-lane masks (lanes inside
//!   `[raw start, IP end)`, raw start = end of the fixed/IPv4 header), the
//!   header-checksum and pseudo-header slot flags, and per R slot the decode of a
//!   would-be extension header (next type, length, and "does not fit" compares of its
//!   length byte against the thresholds).
//! - **B2** runs the IPv6 extension-header walker, one step per slot, so a chain of
//!   8-byte headers (one per beat) is followed at line rate. Its state is a signed
//!   distance `w_d` (realigned words) from the current beat's hi slot to the next
//!   header (while walking) or to the L4 header (once armed), with `== 0`, `== 1`,
//!   `> 0`, `> 1` kept as registered flags; a step only selects among precomputed
//!   candidates (new distance `size - 2` or `size - 1`, no adder in the loop). The limit
//!   checks `p + size > ip_end - 8` (header fits) and `p + size > ip_end` (L4 start)
//!   become `len >= K' - beat` or `len >= K' - 2 beat` with per-frame constants
//!   `K' = floor((ip_end - c) / 4 or 8)`, subtracted in stage A and compared in B.
//!   B2 captures L4 words 0-3 at `w_d == -k` (hi) / `1 - k` (lo), and builds the
//!   checksum words of the beat in the R grid: raw L4 bytes not inside an extension
//!   header (`walking` or `w_d > 0` for the slot) plus pseudo-header address words
//!   (IPv4 words 3-4, IPv6 words 2-9), and the IPv4 header words (words below
//!   `max(5, IHL)`). Lanes 6-7 of the last beat (never in a later R view) are kept
//!   as the "tail".
//! - **B3** accumulates the four 16-bit lanes of the L4 words and of the IP header
//!   words in separate 32-bit / 20-bit accumulators (one add per clock each).
//! - **C1-C6** run after the frame's last beat (C1 two clocks after it left stage B,
//!   while the frame's header and walker registers are still intact) and carry the
//!   record along: C1 first-level flags and fields (length compares, L4 offset =
//!   `8 * last beat + 6 + 4 * w_d`), C2 layer decisions, L4 length, payload offsets,
//!   pairwise checksum sums, C3 L4 length checks and checksum sums, C4 TCP/UDP
//!   decisions, errors and the L4 total (sum + tail + protocol + L4 length), C5 the
//!   candidate decision, IPv4 verdict and L4 fold, C6 the L4 verdict (a multiple of
//!   65535 iff `lo == 0xFFFF - hi` after one fold) and the candidate bit; E writes the
//!   record FIFO.
//!
//! IPv6 extension headers (Hop-by-Hop, Routing, Destination Options, AH, Mobility,
//! HIP, Shim6, experimental) are walked to the L4 header; a Fragment header ends the
//! walk as a fragment; ESP is reported as `other`. Such frames are never candidates.

use crate::fast_fifo::FastFifo;
use crate::rx_meta::RxMetaRecord;
use rust_hdl::prelude::*;

/// Free words at which the data FIFO stops the input (covers the beat in stage A).
const FIFO_SLACK: usize = 8;
/// Free words at which the record FIFO stops the input: a record is written 9 clocks
/// after its frame's last beat is accepted, so up to 10 (one per accepted beat at
/// worst) are in flight.
const META_SLACK: usize = 10;

/// Data FIFO word: `{tuser, tlast, tkeep[7:0], tdata[63:0]}`.
const DATA_FIFO_BITS: usize = 74;

/// The receive parser block (64-bit AXI4-Stream).
#[derive(LogicBlock)]
pub struct RxParser {
    // Clock and reset
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // Frame input
    pub s_tdata: Signal<In, Bits<64>>,
    pub s_tkeep: Signal<In, Bits<8>>,
    pub s_tvalid: Signal<In, Bit>,
    pub s_tready: Signal<Out, Bit>,
    pub s_tlast: Signal<In, Bit>,
    pub s_tuser: Signal<In, Bit>,
    // Frame output
    pub m_tdata: Signal<Out, Bits<64>>,
    pub m_tkeep: Signal<Out, Bits<8>>,
    pub m_tvalid: Signal<Out, Bit>,
    pub m_tready: Signal<In, Bit>,
    pub m_tlast: Signal<Out, Bit>,
    pub m_tuser: Signal<Out, Bit>,
    // Metadata output
    pub m_meta_tdata: Signal<Out, RxMetaRecord>,
    pub m_meta_tvalid: Signal<Out, Bit>,
    pub m_meta_tready: Signal<In, Bit>,

    // Parameters
    min_frame_len: Constant<Bits<17>>,

    // Output FIFOs
    data_fifo: FastFifo<Bits<DATA_FIFO_BITS>, 5, 6>,
    meta_fifo: FastFifo<RxMetaRecord, 4, 5>,

    // ---- Stage A: registered input beat and per-beat precomputation
    a_valid: DFF<Bit>,
    a_data: DFF<Bits<64>>,
    a_keep: DFF<Bits<8>>,
    a_last: DFF<Bit>,
    a_user: DFF<Bit>,
    a_beat: DFF<Bits<14>>,
    a_x2: DFF<Bits<8>>,
    a_b0: DFF<Bit>,
    a_b1: DFF<Bit>,
    a_b2: DFF<Bit>,
    a_b3: DFF<Bit>,
    a_b4: DFF<Bit>,
    a_b5: DFF<Bit>,
    a_b6: DFF<Bit>,
    a_b7: DFF<Bit>,
    a_t1: DFF<Bits<17>>,
    a_t2: DFF<Bits<17>>,
    a_t3: DFF<Bits<17>>,
    a_t4: DFF<Bits<17>>,
    a_t5: DFF<Bits<17>>,
    a_t6: DFF<Bits<17>>,
    a_t7: DFF<Bits<17>>,
    a_t8: DFF<Bits<17>>,
    beat_cnt: DFF<Bits<14>>,
    x2_cnt: DFF<Bits<8>>,
    // walker limit constants of the frame, derived from f_ip_end
    k1: DFF<Bits<17>>,
    k2: DFF<Bits<17>>,
    k3: DFF<Bits<17>>,
    k4: DFF<Bits<17>>,
    k5: DFF<Bits<17>>,
    k6: DFF<Bits<17>>,
    k7: DFF<Bits<17>>,
    k8: DFF<Bits<17>>,
    em6: Signal<Local, Bits<17>>,
    em10: Signal<Local, Bits<17>>,
    em14: Signal<Local, Bits<17>>,
    ep2: Signal<Local, Bits<17>>,
    em2: Signal<Local, Bits<17>>,
    // ---- Stage B: views (combinational)
    be: Signal<Local, Bits<64>>,
    rv: Signal<Local, Bits<64>>,
    sv: Signal<Local, Bits<64>>,
    rhi: Signal<Local, Bits<32>>,
    rlo: Signal<Local, Bits<32>>,
    t0_now: Signal<Local, Bits<16>>,
    t1_now: Signal<Local, Bits<16>>,
    ip_q0: Signal<Local, Bit>,
    v6_b: Signal<Local, Bit>,
    eth_v6_now: Signal<Local, Bit>,
    hdr_words_now: Signal<Local, Bits<5>>,
    ihe_lo_now: Signal<Local, Bits<8>>,
    ihe_hi_now: Signal<Local, Bits<8>>,
    nh_now: Signal<Local, Bits<8>>,
    ip_end_base: Signal<Local, Bits<17>>,
    ip_len_now: Signal<Local, Bits<17>>,
    di5: Signal<Local, Bits<5>>,
    ih_hi: Signal<Local, Bit>,
    ih_lo: Signal<Local, Bit>,
    ph_hi: Signal<Local, Bit>,
    ph_lo: Signal<Local, Bit>,
    sm: Signal<Local, Bits<8>>,
    em: Signal<Local, Bits<8>>,
    nbytes: Signal<Local, Bits<17>>,
    // walker slot decode (combinational)
    th_hi: Signal<Local, Bits<8>>,
    th_lo: Signal<Local, Bits<8>>,
    len_hi: Signal<Local, Bits<8>>,
    len_lo: Signal<Local, Bits<8>>,
    bw_o_hi: Signal<Local, Bit>,
    bw_o_lo: Signal<Local, Bit>,
    bw_a_hi: Signal<Local, Bit>,
    bw_a_lo: Signal<Local, Bit>,
    bf_o_hi: Signal<Local, Bit>,
    bf_o_lo: Signal<Local, Bit>,
    bf_a_hi: Signal<Local, Bit>,
    bf_a_lo: Signal<Local, Bit>,
    // ---- Stage B: per-frame header state
    prev_lo16: DFF<Bits<16>>,
    prev_rlo: DFF<Bits<32>>,
    f_t0: DFF<Bits<16>>,
    f_tci: DFF<Bits<16>>,
    f_t1: DFF<Bits<16>>,
    f_vlan: DFF<Bit>,
    f_t0v4: DFF<Bit>,
    f_t0v6: DFF<Bit>,
    f_t1v4: DFF<Bit>,
    f_t1v6: DFF<Bit>,
    ip_w0: DFF<Bits<32>>,
    ip_w1: DFF<Bits<32>>,
    ip_w2: DFF<Bits<32>>,
    ip_w3: DFF<Bits<32>>,
    ip_w4: DFF<Bits<32>>,
    ip_w5: DFF<Bits<32>>,
    ip_w6: DFF<Bits<32>>,
    ip_w7: DFF<Bits<32>>,
    ip_w8: DFF<Bits<32>>,
    ip_w9: DFF<Bits<32>>,
    f_geom: DFF<Bit>,
    f_ip_end: DFF<Bits<17>>,
    f_raw_start: DFF<Bits<17>>,
    f_ihe_hi: DFF<Bits<8>>,
    f_ihe_lo: DFF<Bits<8>>,
    f_hw5: DFF<Bits<5>>,
    f_qvlan: DFF<Bit>,
    f_ieb: DFF<Bits<17>>,
    f_iel: DFF<Bits<17>>,
    f_q0d: DFF<Bit>,
    // ---- Stage B2 inputs (registered from stage B)
    b2_valid: DFF<Bit>,
    b2_last: DFF<Bit>,
    b2_b0: DFF<Bit>,
    b2_user: DFF<Bit>,
    b2_beat: DFF<Bits<14>>,
    b2_n: DFF<Bits<17>>,
    b2_rhi: DFF<Bits<32>>,
    b2_rlo: DFF<Bits<32>>,
    b2_be67: DFF<Bits<16>>,
    b2_sm: DFF<Bits<8>>,
    b2_ph_hi: DFF<Bit>,
    b2_ph_lo: DFF<Bit>,
    b2_ih_hi: DFF<Bit>,
    b2_ih_lo: DFF<Bit>,
    b2_tw_hi: DFF<Bit>,
    b2_tw_lo: DFF<Bit>,
    b2_t44_hi: DFF<Bit>,
    b2_t44_lo: DFF<Bit>,
    b2_t51_hi: DFF<Bit>,
    b2_t51_lo: DFF<Bit>,
    b2_bwo_hi: DFF<Bit>,
    b2_bwo_lo: DFF<Bit>,
    b2_bwa_hi: DFF<Bit>,
    b2_bwa_lo: DFF<Bit>,
    b2_bfo_hi: DFF<Bit>,
    b2_bfo_lo: DFF<Bit>,
    b2_bfa_hi: DFF<Bit>,
    b2_bfa_lo: DFF<Bit>,
    b2_dno_hi: DFF<Bits<16>>,
    b2_dna_hi: DFF<Bits<16>>,
    b2_dno_lo: DFF<Bits<16>>,
    b2_dna_lo: DFF<Bits<16>>,
    b2_z0_hi: DFF<Bit>,
    b2_z1_hi: DFF<Bit>,
    b2_z0_lo: DFF<Bit>,
    b2_q0: DFF<Bit>,
    b2_iwalk: DFF<Bit>,
    b2_ibad: DFF<Bit>,
    b2_ifrag: DFF<Bit>,
    b2_il4: DFF<Bit>,
    b2_iah: DFF<Bit>,
    b2_inh: DFF<Bits<8>>,
    b2_id: DFF<Bits<16>>,
    b2_id0: DFF<Bit>,
    b2_id1: DFF<Bit>,
    b2_idp: DFF<Bit>,
    b2_idg: DFF<Bit>,
    // ---- Stage B2: walker and L4 state
    w_walk: DFF<Bit>,
    w_ah: DFF<Bit>,
    w_is0: DFF<Bit>,
    w_is1: DFF<Bit>,
    w_pos: DFF<Bit>,
    w_gt1: DFF<Bit>,
    w_d: DFF<Bits<16>>,
    w_bad: DFF<Bit>,
    w_frag6: DFF<Bit>,
    w_l4found: DFF<Bit>,
    w_armed: DFF<Bit>,
    w_l4proto: DFF<Bits<8>>,
    w_user: DFF<Bit>,
    w_pm6: DFF<Bit>,
    w_pm7: DFF<Bit>,
    f_len2: DFF<Bits<17>>,
    f_lastbeat: DFF<Bits<14>>,
    l4_w0: DFF<Bits<32>>,
    l4_w1: DFF<Bits<32>>,
    l4_w2: DFF<Bits<32>>,
    l4_w3: DFF<Bits<32>>,
    // walker step (combinational)
    hit: Signal<Local, Bit>,
    s_tw: Signal<Local, Bit>,
    s_t44: Signal<Local, Bit>,
    s_t51: Signal<Local, Bit>,
    s_t: Signal<Local, Bits<8>>,
    s_bw: Signal<Local, Bit>,
    s_bf: Signal<Local, Bit>,
    s_dn: Signal<Local, Bits<16>>,
    s_z0: Signal<Local, Bit>,
    s_z1: Signal<Local, Bit>,
    s_zp: Signal<Local, Bit>,
    s_zg: Signal<Local, Bit>,
    d_m2: Signal<Local, Bits<16>>,
    d_eq2: Signal<Local, Bit>,
    d_eq3: Signal<Local, Bit>,
    d_gt2: Signal<Local, Bit>,
    d_gt3: Signal<Local, Bit>,
    // checksum byte masks (combinational)
    ext_hi: Signal<Local, Bit>,
    ext_lo: Signal<Local, Bit>,
    rm: Signal<Local, Bits<8>>,
    kb0: Signal<Local, Bits<8>>,
    kb1: Signal<Local, Bits<8>>,
    kb2: Signal<Local, Bits<8>>,
    kb3: Signal<Local, Bits<8>>,
    kb4: Signal<Local, Bits<8>>,
    kb5: Signal<Local, Bits<8>>,
    kb6: Signal<Local, Bits<8>>,
    kb7: Signal<Local, Bits<8>>,
    tb6: Signal<Local, Bits<8>>,
    tb7: Signal<Local, Bits<8>>,
    // ---- Stage B3: checksum accumulators
    b3_valid: DFF<Bit>,
    b3_b0: DFF<Bit>,
    b3_l0: DFF<Bits<16>>,
    b3_l1: DFF<Bits<16>>,
    b3_l2: DFF<Bits<16>>,
    b3_l3: DFF<Bits<16>>,
    b3_i0: DFF<Bits<16>>,
    b3_i1: DFF<Bits<16>>,
    b3_i2: DFF<Bits<16>>,
    b3_i3: DFF<Bits<16>>,
    b3_tail: DFF<Bits<16>>,
    acc_l0: DFF<Bits<32>>,
    acc_l1: DFF<Bits<32>>,
    acc_l2: DFF<Bits<32>>,
    acc_l3: DFF<Bits<32>>,
    acc_i0: DFF<Bits<20>>,
    acc_i1: DFF<Bits<20>>,
    acc_i2: DFF<Bits<20>>,
    acc_i3: DFF<Bits<20>>,
    // ---- Stage C1
    c1_go: DFF<Bit>,
    dx: Signal<Local, Bits<17>>,
    lb6: Signal<Local, Bits<17>>,
    et6_c: Signal<Local, Bit>,
    c1_vlan: DFF<Bit>,
    c1_ge14: DFF<Bit>,
    c1_ge18: DFF<Bit>,
    c1_nfix4: DFF<Bit>,
    c1_nfix6: DFF<Bit>,
    c1_runt: DFF<Bit>,
    c1_ngehl: DFF<Bit>,
    c1_endfit: DFF<Bit>,
    c1_totlt: DFF<Bit>,
    c1_et4: DFF<Bit>,
    c1_et6: DFF<Bit>,
    c1_qp: DFF<Bit>,
    c1_ver4: DFF<Bit>,
    c1_ver6: DFF<Bit>,
    c1_ihl: DFF<Bits<4>>,
    c1_frag4: DFF<Bit>,
    c1_nh: DFF<Bits<8>>,
    c1_ext6: DFF<Bit>,
    c1_nh44: DFF<Bit>,
    c1_proto4: DFF<Bits<8>>,
    c1_l4off: DFF<Bits<17>>,
    c1_ipend: DFF<Bits<17>>,
    c1_l4found: DFF<Bit>,
    c1_walkbad: DFF<Bit>,
    c1_frag6: DFF<Bit>,
    c1_l4proto: DFF<Bits<8>>,
    c1_tcp4: DFF<Bit>,
    c1_udp4: DFF<Bit>,
    c1_tcp6: DFF<Bit>,
    c1_udp6: DFF<Bit>,
    c1_thl: DFF<Bits<4>>,
    c1_udplen: DFF<Bits<16>>,
    c1_udpcz: DFF<Bit>,
    c1_flagok: DFF<Bit>,
    c1_tail: DFF<Bits<16>>,
    c1_user: DFF<Bit>,
    rec1: DFF<RxMetaRecord>,
    // ---- Stage C2
    c2_go: DFF<Bit>,
    l2_ok: Signal<Local, Bit>,
    qinq: Signal<Local, Bit>,
    ip4: Signal<Local, Bit>,
    ip6: Signal<Local, Bit>,
    fix4: Signal<Local, Bit>,
    valid4: Signal<Local, Bit>,
    ihl_lt5: Signal<Local, Bit>,
    ihl_bad: Signal<Local, Bit>,
    csum4: Signal<Local, Bit>,
    tot_bad: Signal<Local, Bit>,
    fix6: Signal<Local, Bit>,
    valid6: Signal<Local, Bit>,
    l4p: Signal<Local, Bits<8>>,
    thl17: Signal<Local, Bits<17>>,
    thl17c: Signal<Local, Bits<17>>,
    c2_l4go: DFF<Bit>,
    c2_trunc: DFF<Bit>,
    c2_badip: DFF<Bit>,
    c2_ip6ext: DFF<Bit>,
    c2_csum4: DFF<Bit>,
    c2_tcp: DFF<Bit>,
    c2_udp: DFF<Bit>,
    c2_l4len: DFF<Bits<17>>,
    c2_pot: DFF<Bits<17>>,
    c2_pou: DFF<Bits<17>>,
    c2_thl: DFF<Bits<4>>,
    c2_udplen: DFF<Bits<16>>,
    c2_udpcz: DFF<Bit>,
    c2_flagok: DFF<Bit>,
    c2_user: DFF<Bit>,
    c2_runt: DFF<Bit>,
    c2_s01: DFF<Bits<33>>,
    c2_s23: DFF<Bits<33>>,
    c2_i01: DFF<Bits<21>>,
    c2_i23: DFF<Bits<21>>,
    c2_pt: DFF<Bits<17>>,
    rec2: DFF<RxMetaRecord>,
    // ---- Stage C3
    c3_go: DFF<Bit>,
    c3_l4go: DFF<Bit>,
    c3_trunc: DFF<Bit>,
    c3_badip: DFF<Bit>,
    c3_ip6ext: DFF<Bit>,
    c3_csum4: DFF<Bit>,
    c3_tcp: DFF<Bit>,
    c3_udp: DFF<Bit>,
    c3_ge20: DFF<Bit>,
    c3_ge8: DFF<Bit>,
    c3_thlgt: DFF<Bit>,
    c3_udpne: DFF<Bit>,
    c3_plt: DFF<Bits<17>>,
    c3_plu: DFF<Bits<17>>,
    c3_pot: DFF<Bits<17>>,
    c3_pou: DFF<Bits<17>>,
    c3_thl: DFF<Bits<4>>,
    c3_udpcz: DFF<Bit>,
    c3_flagok: DFF<Bit>,
    c3_user: DFF<Bit>,
    c3_runt: DFF<Bit>,
    c3_s: DFF<Bits<34>>,
    c3_i: DFF<Bits<22>>,
    c3_p: DFF<Bits<18>>,
    rec3: DFF<RxMetaRecord>,
    // ---- Stage C4
    c4_go: DFF<Bit>,
    tcp_ok: Signal<Local, Bit>,
    ports_ok: Signal<Local, Bit>,
    tcp_hdr_bad: Signal<Local, Bit>,
    udp_hdr_bad: Signal<Local, Bit>,
    pay_ok: Signal<Local, Bit>,
    err_bad_l4: Signal<Local, Bit>,
    c4_tcpok: DFF<Bit>,
    c4_payok: DFF<Bit>,
    c4_badl4: DFF<Bit>,
    c4_trunc: DFF<Bit>,
    c4_badip: DFF<Bit>,
    c4_ip6ext: DFF<Bit>,
    c4_csum4: DFF<Bit>,
    c4_flagok: DFF<Bit>,
    c4_user: DFF<Bit>,
    c4_runt: DFF<Bit>,
    c4_t: DFF<Bits<35>>,
    c4_if: DFF<Bits<17>>,
    rec4: DFF<RxMetaRecord>,
    // ---- Stage C5
    c5_go: DFF<Bit>,
    c5_cand: DFF<Bit>,
    c5_csum4: DFF<Bit>,
    c5_ipok: DFF<Bit>,
    c5_f1: DFF<Bits<20>>,
    rec5: DFF<RxMetaRecord>,
    // ---- Stage C6
    c6_go: DFF<Bit>,
    f1h: Signal<Local, Bits<4>>,
    f1hn: Signal<Local, Bits<4>>,
    l4_ok: Signal<Local, Bit>,
    rec6: DFF<RxMetaRecord>,
    f_et6: DFF<Bit>,
    pv_r: Signal<Local, Bits<64>>,
    v6_r: Signal<Local, Bit>,
    nib_r: Signal<Local, Bits<4>>,
    hw_r: Signal<Local, Bits<5>>,
    len_r: Signal<Local, Bits<17>>,
    ieb_r: Signal<Local, Bits<17>>,
    iha_r: Signal<Local, Bits<8>>,
    ihb_r: Signal<Local, Bits<8>>,
    ihc_r: Signal<Local, Bits<8>>,
    nh_r: Signal<Local, Bits<8>>,
    nhw_r: Signal<Local, Bit>,
    nh44_r: Signal<Local, Bit>,
    pl8_r: Signal<Local, Bit>,
    di_r: Signal<Local, Bits<5>>,
    iwalk_r: Signal<Local, Bit>,
    ibad_r: Signal<Local, Bit>,
    ifrag_r: Signal<Local, Bit>,
    il4_r: Signal<Local, Bit>,
    id0_r: Signal<Local, Bit>,
    id1_r: Signal<Local, Bit>,
    idp_r: Signal<Local, Bit>,
    idg_r: Signal<Local, Bit>,
    pv_s: Signal<Local, Bits<64>>,
    v6_s: Signal<Local, Bit>,
    nib_s: Signal<Local, Bits<4>>,
    hw_s: Signal<Local, Bits<5>>,
    len_s: Signal<Local, Bits<17>>,
    ieb_s: Signal<Local, Bits<17>>,
    iha_s: Signal<Local, Bits<8>>,
    ihb_s: Signal<Local, Bits<8>>,
    ihc_s: Signal<Local, Bits<8>>,
    nh_s: Signal<Local, Bits<8>>,
    nhw_s: Signal<Local, Bit>,
    nh44_s: Signal<Local, Bit>,
    pl8_s: Signal<Local, Bit>,
    di_s: Signal<Local, Bits<5>>,
    iwalk_s: Signal<Local, Bit>,
    ibad_s: Signal<Local, Bit>,
    ifrag_s: Signal<Local, Bit>,
    il4_s: Signal<Local, Bit>,
    id0_s: Signal<Local, Bit>,
    id1_s: Signal<Local, Bit>,
    idp_s: Signal<Local, Bit>,
    idg_s: Signal<Local, Bit>,
    a_g3: DFF<Bit>,
    a_g4: DFF<Bit>,
    a_g5: DFF<Bit>,
    a_l8: DFF<Bit>,
    a_l9: DFF<Bit>,
    a_l10: DFF<Bit>,
    a_r512: DFF<Bit>,
    a_r613: DFF<Bit>,
    a_r714: DFF<Bit>,
    a_e67: DFF<Bit>,
    a_e78: DFF<Bit>,
    a_e89: DFF<Bit>,
    a_lth: DFF<Bit>,
    a_ltl: DFF<Bit>,
    b2_elt: DFF<Bit>,
    b2_egt: DFF<Bit>,
    b2_emk: DFF<Bits<8>>,
    b2_eq0d: DFF<Bit>,
    w_m1: DFF<Bit>,
    w_m2: DFF<Bit>,
    w_m3: DFF<Bit>,
    b2_idm1: DFF<Bit>,
    b2_idm2: DFF<Bit>,
    b2_idm3: DFF<Bit>,
    idm1_r: Signal<Local, Bit>,
    idm2_r: Signal<Local, Bit>,
    idm3_r: Signal<Local, Bit>,
    idm1_s: Signal<Local, Bit>,
    idm2_s: Signal<Local, Bit>,
    idm3_s: Signal<Local, Bit>,
    c1_l2ok: DFF<Bit>,
    c1_ihllt5: DFF<Bit>,
    c1_vqp: DFF<Bit>,
    e_go: DFF<Bit>,
}

impl RxParser {
    /// A parser flagging frames shorter than `min_frame_len` bytes as runts.
    ///
    /// `min_frame_len` is validated by the configuration (14..=1518).
    pub fn new(min_frame_len: u32) -> Self {
        assert!(
            (14..=1518).contains(&min_frame_len),
            "min_frame_len out of range"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_tdata: Default::default(),
            s_tkeep: Default::default(),
            s_tvalid: Default::default(),
            s_tready: Default::default(),
            s_tlast: Default::default(),
            s_tuser: Default::default(),
            m_tdata: Default::default(),
            m_tkeep: Default::default(),
            m_tvalid: Default::default(),
            m_tready: Default::default(),
            m_tlast: Default::default(),
            m_tuser: Default::default(),
            m_meta_tdata: Default::default(),
            m_meta_tvalid: Default::default(),
            m_meta_tready: Default::default(),
            min_frame_len: Constant::new((min_frame_len as u64).to_bits()),
            data_fifo: FastFifo::new(FIFO_SLACK),
            meta_fifo: FastFifo::new(META_SLACK),
            a_valid: Default::default(),
            a_data: Default::default(),
            a_keep: Default::default(),
            a_last: Default::default(),
            a_user: Default::default(),
            a_beat: Default::default(),
            a_x2: Default::default(),
            a_b0: Default::default(),
            a_b1: Default::default(),
            a_b2: Default::default(),
            a_b3: Default::default(),
            a_b4: Default::default(),
            a_b5: Default::default(),
            a_b6: Default::default(),
            a_b7: Default::default(),
            a_t1: Default::default(),
            a_t2: Default::default(),
            a_t3: Default::default(),
            a_t4: Default::default(),
            a_t5: Default::default(),
            a_t6: Default::default(),
            a_t7: Default::default(),
            a_t8: Default::default(),
            beat_cnt: Default::default(),
            x2_cnt: Default::default(),
            k1: Default::default(),
            k2: Default::default(),
            k3: Default::default(),
            k4: Default::default(),
            k5: Default::default(),
            k6: Default::default(),
            k7: Default::default(),
            k8: Default::default(),
            em6: Default::default(),
            em10: Default::default(),
            em14: Default::default(),
            ep2: Default::default(),
            em2: Default::default(),
            be: Default::default(),
            rv: Default::default(),
            sv: Default::default(),
            rhi: Default::default(),
            rlo: Default::default(),
            t0_now: Default::default(),
            t1_now: Default::default(),
            ip_q0: Default::default(),
            v6_b: Default::default(),
            eth_v6_now: Default::default(),
            hdr_words_now: Default::default(),
            ihe_lo_now: Default::default(),
            ihe_hi_now: Default::default(),
            nh_now: Default::default(),
            ip_end_base: Default::default(),
            ip_len_now: Default::default(),
            di5: Default::default(),
            ih_hi: Default::default(),
            ih_lo: Default::default(),
            ph_hi: Default::default(),
            ph_lo: Default::default(),
            sm: Default::default(),
            em: Default::default(),
            nbytes: Default::default(),
            th_hi: Default::default(),
            th_lo: Default::default(),
            len_hi: Default::default(),
            len_lo: Default::default(),
            bw_o_hi: Default::default(),
            bw_o_lo: Default::default(),
            bw_a_hi: Default::default(),
            bw_a_lo: Default::default(),
            bf_o_hi: Default::default(),
            bf_o_lo: Default::default(),
            bf_a_hi: Default::default(),
            bf_a_lo: Default::default(),
            prev_lo16: Default::default(),
            prev_rlo: Default::default(),
            f_t0: Default::default(),
            f_tci: Default::default(),
            f_t1: Default::default(),
            f_vlan: Default::default(),
            f_t0v4: Default::default(),
            f_t0v6: Default::default(),
            f_t1v4: Default::default(),
            f_t1v6: Default::default(),
            ip_w0: Default::default(),
            ip_w1: Default::default(),
            ip_w2: Default::default(),
            ip_w3: Default::default(),
            ip_w4: Default::default(),
            ip_w5: Default::default(),
            ip_w6: Default::default(),
            ip_w7: Default::default(),
            ip_w8: Default::default(),
            ip_w9: Default::default(),
            f_geom: Default::default(),
            f_ip_end: Default::default(),
            f_raw_start: Default::default(),
            f_ihe_hi: Default::default(),
            f_ihe_lo: Default::default(),
            f_hw5: Default::default(),
            f_qvlan: Default::default(),
            f_ieb: Default::default(),
            f_iel: Default::default(),
            f_q0d: Default::default(),
            b2_valid: Default::default(),
            b2_last: Default::default(),
            b2_b0: Default::default(),
            b2_user: Default::default(),
            b2_beat: Default::default(),
            b2_n: Default::default(),
            b2_rhi: Default::default(),
            b2_rlo: Default::default(),
            b2_be67: Default::default(),
            b2_sm: Default::default(),
            b2_ph_hi: Default::default(),
            b2_ph_lo: Default::default(),
            b2_ih_hi: Default::default(),
            b2_ih_lo: Default::default(),
            b2_tw_hi: Default::default(),
            b2_tw_lo: Default::default(),
            b2_t44_hi: Default::default(),
            b2_t44_lo: Default::default(),
            b2_t51_hi: Default::default(),
            b2_t51_lo: Default::default(),
            b2_bwo_hi: Default::default(),
            b2_bwo_lo: Default::default(),
            b2_bwa_hi: Default::default(),
            b2_bwa_lo: Default::default(),
            b2_bfo_hi: Default::default(),
            b2_bfo_lo: Default::default(),
            b2_bfa_hi: Default::default(),
            b2_bfa_lo: Default::default(),
            b2_dno_hi: Default::default(),
            b2_dna_hi: Default::default(),
            b2_dno_lo: Default::default(),
            b2_dna_lo: Default::default(),
            b2_z0_hi: Default::default(),
            b2_z1_hi: Default::default(),
            b2_z0_lo: Default::default(),
            b2_q0: Default::default(),
            b2_iwalk: Default::default(),
            b2_ibad: Default::default(),
            b2_ifrag: Default::default(),
            b2_il4: Default::default(),
            b2_iah: Default::default(),
            b2_inh: Default::default(),
            b2_id: Default::default(),
            b2_id0: Default::default(),
            b2_id1: Default::default(),
            b2_idp: Default::default(),
            b2_idg: Default::default(),
            w_walk: Default::default(),
            w_ah: Default::default(),
            w_is0: Default::default(),
            w_is1: Default::default(),
            w_pos: Default::default(),
            w_gt1: Default::default(),
            w_d: Default::default(),
            w_bad: Default::default(),
            w_frag6: Default::default(),
            w_l4found: Default::default(),
            w_armed: Default::default(),
            w_l4proto: Default::default(),
            w_user: Default::default(),
            w_pm6: Default::default(),
            w_pm7: Default::default(),
            f_len2: Default::default(),
            f_lastbeat: Default::default(),
            l4_w0: Default::default(),
            l4_w1: Default::default(),
            l4_w2: Default::default(),
            l4_w3: Default::default(),
            hit: Default::default(),
            s_tw: Default::default(),
            s_t44: Default::default(),
            s_t51: Default::default(),
            s_t: Default::default(),
            s_bw: Default::default(),
            s_bf: Default::default(),
            s_dn: Default::default(),
            s_z0: Default::default(),
            s_z1: Default::default(),
            s_zp: Default::default(),
            s_zg: Default::default(),
            d_m2: Default::default(),
            d_eq2: Default::default(),
            d_eq3: Default::default(),
            d_gt2: Default::default(),
            d_gt3: Default::default(),
            ext_hi: Default::default(),
            ext_lo: Default::default(),
            rm: Default::default(),
            kb0: Default::default(),
            kb1: Default::default(),
            kb2: Default::default(),
            kb3: Default::default(),
            kb4: Default::default(),
            kb5: Default::default(),
            kb6: Default::default(),
            kb7: Default::default(),
            tb6: Default::default(),
            tb7: Default::default(),
            b3_valid: Default::default(),
            b3_b0: Default::default(),
            b3_l0: Default::default(),
            b3_l1: Default::default(),
            b3_l2: Default::default(),
            b3_l3: Default::default(),
            b3_i0: Default::default(),
            b3_i1: Default::default(),
            b3_i2: Default::default(),
            b3_i3: Default::default(),
            b3_tail: Default::default(),
            acc_l0: Default::default(),
            acc_l1: Default::default(),
            acc_l2: Default::default(),
            acc_l3: Default::default(),
            acc_i0: Default::default(),
            acc_i1: Default::default(),
            acc_i2: Default::default(),
            acc_i3: Default::default(),
            c1_go: Default::default(),
            dx: Default::default(),
            lb6: Default::default(),
            et6_c: Default::default(),
            c1_vlan: Default::default(),
            c1_ge14: Default::default(),
            c1_ge18: Default::default(),
            c1_nfix4: Default::default(),
            c1_nfix6: Default::default(),
            c1_runt: Default::default(),
            c1_ngehl: Default::default(),
            c1_endfit: Default::default(),
            c1_totlt: Default::default(),
            c1_et4: Default::default(),
            c1_et6: Default::default(),
            c1_qp: Default::default(),
            c1_ver4: Default::default(),
            c1_ver6: Default::default(),
            c1_ihl: Default::default(),
            c1_frag4: Default::default(),
            c1_nh: Default::default(),
            c1_ext6: Default::default(),
            c1_nh44: Default::default(),
            c1_proto4: Default::default(),
            c1_l4off: Default::default(),
            c1_ipend: Default::default(),
            c1_l4found: Default::default(),
            c1_walkbad: Default::default(),
            c1_frag6: Default::default(),
            c1_l4proto: Default::default(),
            c1_tcp4: Default::default(),
            c1_udp4: Default::default(),
            c1_tcp6: Default::default(),
            c1_udp6: Default::default(),
            c1_thl: Default::default(),
            c1_udplen: Default::default(),
            c1_udpcz: Default::default(),
            c1_flagok: Default::default(),
            c1_tail: Default::default(),
            c1_user: Default::default(),
            rec1: Default::default(),
            c2_go: Default::default(),
            l2_ok: Default::default(),
            qinq: Default::default(),
            ip4: Default::default(),
            ip6: Default::default(),
            fix4: Default::default(),
            valid4: Default::default(),
            ihl_lt5: Default::default(),
            ihl_bad: Default::default(),
            csum4: Default::default(),
            tot_bad: Default::default(),
            fix6: Default::default(),
            valid6: Default::default(),
            l4p: Default::default(),
            thl17: Default::default(),
            thl17c: Default::default(),
            c2_l4go: Default::default(),
            c2_trunc: Default::default(),
            c2_badip: Default::default(),
            c2_ip6ext: Default::default(),
            c2_csum4: Default::default(),
            c2_tcp: Default::default(),
            c2_udp: Default::default(),
            c2_l4len: Default::default(),
            c2_pot: Default::default(),
            c2_pou: Default::default(),
            c2_thl: Default::default(),
            c2_udplen: Default::default(),
            c2_udpcz: Default::default(),
            c2_flagok: Default::default(),
            c2_user: Default::default(),
            c2_runt: Default::default(),
            c2_s01: Default::default(),
            c2_s23: Default::default(),
            c2_i01: Default::default(),
            c2_i23: Default::default(),
            c2_pt: Default::default(),
            rec2: Default::default(),
            c3_go: Default::default(),
            c3_l4go: Default::default(),
            c3_trunc: Default::default(),
            c3_badip: Default::default(),
            c3_ip6ext: Default::default(),
            c3_csum4: Default::default(),
            c3_tcp: Default::default(),
            c3_udp: Default::default(),
            c3_ge20: Default::default(),
            c3_ge8: Default::default(),
            c3_thlgt: Default::default(),
            c3_udpne: Default::default(),
            c3_plt: Default::default(),
            c3_plu: Default::default(),
            c3_pot: Default::default(),
            c3_pou: Default::default(),
            c3_thl: Default::default(),
            c3_udpcz: Default::default(),
            c3_flagok: Default::default(),
            c3_user: Default::default(),
            c3_runt: Default::default(),
            c3_s: Default::default(),
            c3_i: Default::default(),
            c3_p: Default::default(),
            rec3: Default::default(),
            c4_go: Default::default(),
            tcp_ok: Default::default(),
            ports_ok: Default::default(),
            tcp_hdr_bad: Default::default(),
            udp_hdr_bad: Default::default(),
            pay_ok: Default::default(),
            err_bad_l4: Default::default(),
            c4_tcpok: Default::default(),
            c4_payok: Default::default(),
            c4_badl4: Default::default(),
            c4_trunc: Default::default(),
            c4_badip: Default::default(),
            c4_ip6ext: Default::default(),
            c4_csum4: Default::default(),
            c4_flagok: Default::default(),
            c4_user: Default::default(),
            c4_runt: Default::default(),
            c4_t: Default::default(),
            c4_if: Default::default(),
            rec4: Default::default(),
            c5_go: Default::default(),
            c5_cand: Default::default(),
            c5_csum4: Default::default(),
            c5_ipok: Default::default(),
            c5_f1: Default::default(),
            rec5: Default::default(),
            c6_go: Default::default(),
            f1h: Default::default(),
            f1hn: Default::default(),
            l4_ok: Default::default(),
            rec6: Default::default(),
            f_et6: Default::default(),
            pv_r: Default::default(),
            v6_r: Default::default(),
            nib_r: Default::default(),
            hw_r: Default::default(),
            len_r: Default::default(),
            ieb_r: Default::default(),
            iha_r: Default::default(),
            ihb_r: Default::default(),
            ihc_r: Default::default(),
            nh_r: Default::default(),
            nhw_r: Default::default(),
            nh44_r: Default::default(),
            pl8_r: Default::default(),
            di_r: Default::default(),
            iwalk_r: Default::default(),
            ibad_r: Default::default(),
            ifrag_r: Default::default(),
            il4_r: Default::default(),
            id0_r: Default::default(),
            id1_r: Default::default(),
            idp_r: Default::default(),
            idg_r: Default::default(),
            pv_s: Default::default(),
            v6_s: Default::default(),
            nib_s: Default::default(),
            hw_s: Default::default(),
            len_s: Default::default(),
            ieb_s: Default::default(),
            iha_s: Default::default(),
            ihb_s: Default::default(),
            ihc_s: Default::default(),
            nh_s: Default::default(),
            nhw_s: Default::default(),
            nh44_s: Default::default(),
            pl8_s: Default::default(),
            di_s: Default::default(),
            iwalk_s: Default::default(),
            ibad_s: Default::default(),
            ifrag_s: Default::default(),
            il4_s: Default::default(),
            id0_s: Default::default(),
            id1_s: Default::default(),
            idp_s: Default::default(),
            idg_s: Default::default(),
            a_g3: Default::default(),
            a_g4: Default::default(),
            a_g5: Default::default(),
            a_l8: Default::default(),
            a_l9: Default::default(),
            a_l10: Default::default(),
            a_r512: Default::default(),
            a_r613: Default::default(),
            a_r714: Default::default(),
            a_e67: Default::default(),
            a_e78: Default::default(),
            a_e89: Default::default(),
            a_lth: Default::default(),
            a_ltl: Default::default(),
            b2_elt: Default::default(),
            b2_egt: Default::default(),
            b2_emk: Default::default(),
            b2_eq0d: Default::default(),
            w_m1: Default::default(),
            w_m2: Default::default(),
            w_m3: Default::default(),
            b2_idm1: Default::default(),
            b2_idm2: Default::default(),
            b2_idm3: Default::default(),
            idm1_r: Default::default(),
            idm2_r: Default::default(),
            idm3_r: Default::default(),
            idm1_s: Default::default(),
            idm2_s: Default::default(),
            idm3_s: Default::default(),
            c1_l2ok: Default::default(),
            c1_ihllt5: Default::default(),
            c1_vqp: Default::default(),
            e_go: Default::default(),
        }
    }
}

impl Logic for RxParser {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, data_fifo, meta_fifo);
        dff_setup!(
            self,
            clock,
            a_valid,
            a_data,
            a_keep,
            a_last,
            a_user,
            a_beat,
            a_x2,
            a_b0,
            a_b1,
            a_b2,
            a_b3,
            a_b4,
            a_b5,
            a_b6,
            a_b7,
            a_t1,
            a_t2,
            a_t3,
            a_t4,
            a_t5,
            a_t6,
            a_t7,
            a_t8,
            beat_cnt,
            x2_cnt,
            k1,
            k2,
            k3,
            k4,
            k5,
            k6,
            k7,
            k8,
            prev_lo16,
            prev_rlo,
            f_t0,
            f_tci,
            f_t1,
            f_vlan,
            f_t0v4,
            f_t0v6,
            f_t1v4,
            f_t1v6,
            ip_w0,
            ip_w1,
            ip_w2,
            ip_w3,
            ip_w4,
            ip_w5,
            ip_w6,
            ip_w7,
            ip_w8,
            ip_w9,
            f_geom,
            f_ip_end,
            f_raw_start,
            f_ihe_hi,
            f_ihe_lo,
            f_hw5,
            f_qvlan,
            f_ieb,
            f_iel,
            f_q0d,
            b2_valid,
            b2_last,
            b2_b0,
            b2_user,
            b2_beat,
            b2_n,
            b2_rhi,
            b2_rlo,
            b2_be67,
            b2_sm,
            b2_ph_hi,
            b2_ph_lo,
            b2_ih_hi,
            b2_ih_lo,
            b2_tw_hi,
            b2_tw_lo,
            b2_t44_hi,
            b2_t44_lo,
            b2_t51_hi,
            b2_t51_lo,
            b2_bwo_hi,
            b2_bwo_lo,
            b2_bwa_hi,
            b2_bwa_lo,
            b2_bfo_hi,
            b2_bfo_lo,
            b2_bfa_hi,
            b2_bfa_lo,
            b2_dno_hi,
            b2_dna_hi,
            b2_dno_lo,
            b2_dna_lo,
            b2_z0_hi,
            b2_z1_hi,
            b2_z0_lo,
            b2_q0,
            b2_iwalk,
            b2_ibad,
            b2_ifrag,
            b2_il4,
            b2_iah,
            b2_inh,
            b2_id,
            b2_id0,
            b2_id1,
            b2_idp,
            b2_idg,
            w_walk,
            w_ah,
            w_is0,
            w_is1,
            w_pos,
            w_gt1,
            w_d,
            w_bad,
            w_frag6,
            w_l4found,
            w_armed,
            w_l4proto,
            w_user,
            w_pm6,
            w_pm7,
            f_len2,
            f_lastbeat,
            l4_w0,
            l4_w1,
            l4_w2,
            l4_w3,
            b3_valid,
            b3_b0,
            b3_l0,
            b3_l1,
            b3_l2,
            b3_l3,
            b3_i0,
            b3_i1,
            b3_i2,
            b3_i3,
            b3_tail,
            acc_l0,
            acc_l1,
            acc_l2,
            acc_l3,
            acc_i0,
            acc_i1,
            acc_i2,
            acc_i3,
            c1_go,
            c1_vlan,
            c1_ge14,
            c1_ge18,
            c1_nfix4,
            c1_nfix6,
            c1_runt,
            c1_ngehl,
            c1_endfit,
            c1_totlt,
            c1_et4,
            c1_et6,
            c1_qp,
            c1_ver4,
            c1_ver6,
            c1_ihl,
            c1_frag4,
            c1_nh,
            c1_ext6,
            c1_nh44,
            c1_proto4,
            c1_l4off,
            c1_ipend,
            c1_l4found,
            c1_walkbad,
            c1_frag6,
            c1_l4proto,
            c1_tcp4,
            c1_udp4,
            c1_tcp6,
            c1_udp6,
            c1_thl,
            c1_udplen,
            c1_udpcz,
            c1_flagok,
            c1_tail,
            c1_user,
            rec1,
            c2_go,
            c2_l4go,
            c2_trunc,
            c2_badip,
            c2_ip6ext,
            c2_csum4,
            c2_tcp,
            c2_udp,
            c2_l4len,
            c2_pot,
            c2_pou,
            c2_thl,
            c2_udplen,
            c2_udpcz,
            c2_flagok,
            c2_user,
            c2_runt,
            c2_s01,
            c2_s23,
            c2_i01,
            c2_i23,
            c2_pt,
            rec2,
            c3_go,
            c3_l4go,
            c3_trunc,
            c3_badip,
            c3_ip6ext,
            c3_csum4,
            c3_tcp,
            c3_udp,
            c3_ge20,
            c3_ge8,
            c3_thlgt,
            c3_udpne,
            c3_plt,
            c3_plu,
            c3_pot,
            c3_pou,
            c3_thl,
            c3_udpcz,
            c3_flagok,
            c3_user,
            c3_runt,
            c3_s,
            c3_i,
            c3_p,
            rec3,
            c4_go,
            c4_tcpok,
            c4_payok,
            c4_badl4,
            c4_trunc,
            c4_badip,
            c4_ip6ext,
            c4_csum4,
            c4_flagok,
            c4_user,
            c4_runt,
            c4_t,
            c4_if,
            rec4,
            c5_go,
            c5_cand,
            c5_csum4,
            c5_ipok,
            c5_f1,
            rec5,
            c6_go,
            rec6,
            f_et6,
            a_g3,
            a_g4,
            a_g5,
            a_l8,
            a_l9,
            a_l10,
            a_r512,
            a_r613,
            a_r714,
            a_e67,
            a_e78,
            a_e89,
            a_lth,
            a_ltl,
            b2_elt,
            b2_egt,
            b2_emk,
            b2_eq0d,
            w_m1,
            w_m2,
            w_m3,
            b2_idm1,
            b2_idm2,
            b2_idm3,
            c1_l2ok,
            c1_ihllt5,
            c1_vqp,
            e_go
        );

        // ---------------- Output FIFOs and input handshake ----------------
        self.s_tready.next = !self.data_fifo.almost_full.val()
            & !self.meta_fifo.almost_full.val()
            & !self.reset.val();
        self.m_tdata.next = self.data_fifo.data_out.val().get_bits::<64>(0);
        self.m_tkeep.next = self.data_fifo.data_out.val().get_bits::<8>(64);
        self.m_tlast.next = self.data_fifo.data_out.val().get_bit(72);
        self.m_tuser.next = self.data_fifo.data_out.val().get_bit(73);
        self.m_tvalid.next = !self.data_fifo.empty.val();
        self.data_fifo.reset.next = self.reset.val();
        self.meta_fifo.reset.next = self.reset.val();
        self.data_fifo.read.next = self.m_tready.val();
        self.data_fifo.write.next = self.a_valid.q.val();
        self.data_fifo.data_in.next = bit_cast::<DATA_FIFO_BITS, 64>(self.a_data.q.val())
            | (bit_cast::<DATA_FIFO_BITS, 8>(self.a_keep.q.val()) << 64)
            | (bit_cast::<DATA_FIFO_BITS, 1>(self.a_last.q.val().into()) << 72)
            | (bit_cast::<DATA_FIFO_BITS, 1>(self.a_user.q.val().into()) << 73);
        self.m_meta_tdata.next = self.meta_fifo.data_out.val();
        self.m_meta_tvalid.next = !self.meta_fifo.empty.val();
        self.meta_fifo.read.next = self.m_meta_tready.val();
        self.meta_fifo.write.next = self.e_go.q.val();
        self.meta_fifo.data_in.next = self.rec6.q.val();

        // ---------------- Walker limit constants (from the frame's IP end) ----------------
        // See the module doc: K' = floor((ip_end - c) / 2^s), one subtraction each.
        self.em6.next = self.f_ip_end.q.val() - 6;
        self.em10.next = self.f_ip_end.q.val() - 10;
        self.em14.next = self.f_ip_end.q.val() - 14;
        self.ep2.next = self.f_ip_end.q.val() + 2;
        self.em2.next = self.f_ip_end.q.val() - 2;
        self.k1.d.next = bit_cast::<17, 14>(self.em6.val().get_bits::<14>(3));
        self.k2.d.next = bit_cast::<17, 14>(self.em10.val().get_bits::<14>(3));
        self.k3.d.next = bit_cast::<17, 15>(self.em10.val().get_bits::<15>(2));
        self.k4.d.next = bit_cast::<17, 15>(self.em14.val().get_bits::<15>(2));
        self.k5.d.next = bit_cast::<17, 14>(self.ep2.val().get_bits::<14>(3));
        self.k6.d.next = bit_cast::<17, 14>(self.em2.val().get_bits::<14>(3));
        self.k7.d.next = bit_cast::<17, 15>(self.em2.val().get_bits::<15>(2));
        self.k8.d.next = bit_cast::<17, 15>(self.em6.val().get_bits::<15>(2));

        // ---------------- Stage A: register the accepted beat ----------------
        // The beat registers load every clock (no clock enable on ~300 flip-flops):
        // in a clock with a_valid they hold the accepted beat, and nothing downstream
        // uses stage A or B values of a clock without a valid beat.
        self.a_valid.d.next = self.s_tvalid.val() & self.s_tready.val();
        self.a_data.d.next = self.s_tdata.val();
        self.a_keep.d.next = self.s_tkeep.val();
        self.a_last.d.next = self.s_tlast.val();
        self.a_user.d.next = self.s_tuser.val();
        self.a_beat.d.next = self.beat_cnt.q.val();
        self.a_x2.d.next = self.x2_cnt.q.val();
        self.a_b0.d.next = self.beat_cnt.q.val() == 0;
        self.a_b1.d.next = self.beat_cnt.q.val() == 1;
        self.a_b2.d.next = self.beat_cnt.q.val() == 2;
        self.a_b3.d.next = self.beat_cnt.q.val() == 3;
        self.a_b4.d.next = self.beat_cnt.q.val() == 4;
        self.a_b5.d.next = self.beat_cnt.q.val() == 5;
        self.a_b6.d.next = self.beat_cnt.q.val() == 6;
        self.a_b7.d.next = self.beat_cnt.q.val() == 7;
        // Compares of 2 * beat for the header-checksum and pseudo-header slots (the
        // limits f_ihe_* are final before the first beat where they decide).
        self.a_g3.d.next = self.x2_cnt.q.val() >= 3;
        self.a_g4.d.next = self.x2_cnt.q.val() >= 4;
        self.a_g5.d.next = self.x2_cnt.q.val() >= 5;
        self.a_l8.d.next = self.x2_cnt.q.val() < 8;
        self.a_l9.d.next = self.x2_cnt.q.val() < 9;
        self.a_l10.d.next = self.x2_cnt.q.val() < 10;
        self.a_r512.d.next = (self.x2_cnt.q.val() >= 5) & (self.x2_cnt.q.val() <= 12);
        self.a_r613.d.next = (self.x2_cnt.q.val() >= 6) & (self.x2_cnt.q.val() <= 13);
        self.a_r714.d.next = (self.x2_cnt.q.val() >= 7) & (self.x2_cnt.q.val() <= 14);
        self.a_e67.d.next = (self.x2_cnt.q.val() == 6) | (self.x2_cnt.q.val() == 7);
        self.a_e78.d.next = (self.x2_cnt.q.val() == 7) | (self.x2_cnt.q.val() == 8);
        self.a_e89.d.next = (self.x2_cnt.q.val() == 8) | (self.x2_cnt.q.val() == 9);
        self.a_lth.d.next = self.x2_cnt.q.val() < self.f_ihe_hi.q.val();
        self.a_ltl.d.next = self.x2_cnt.q.val() < self.f_ihe_lo.q.val();
        // Walker limit thresholds of this beat (K' - beat or K' - 2 beat).
        self.a_t1.d.next = self.k1.q.val() - bit_cast::<17, 14>(self.beat_cnt.q.val());
        self.a_t2.d.next = self.k2.q.val() - bit_cast::<17, 14>(self.beat_cnt.q.val());
        self.a_t3.d.next = self.k3.q.val() - (bit_cast::<17, 14>(self.beat_cnt.q.val()) << 1);
        self.a_t4.d.next = self.k4.q.val() - (bit_cast::<17, 14>(self.beat_cnt.q.val()) << 1);
        self.a_t5.d.next = self.k5.q.val() - bit_cast::<17, 14>(self.beat_cnt.q.val());
        self.a_t6.d.next = self.k6.q.val() - bit_cast::<17, 14>(self.beat_cnt.q.val());
        self.a_t7.d.next = self.k7.q.val() - (bit_cast::<17, 14>(self.beat_cnt.q.val()) << 1);
        self.a_t8.d.next = self.k8.q.val() - (bit_cast::<17, 14>(self.beat_cnt.q.val()) << 1);
        if self.s_tvalid.val() & self.s_tready.val() {
            if self.s_tlast.val() {
                self.beat_cnt.d.next = 0.into();
                self.x2_cnt.d.next = 0.into();
            } else if self.beat_cnt.q.val() != 16383 {
                self.beat_cnt.d.next = self.beat_cnt.q.val() + 1;
                if self.x2_cnt.q.val() < 128 {
                    self.x2_cnt.d.next = self.x2_cnt.q.val() + 2;
                }
            }
        }

        // ---------------- Stage B: views of the current beat ----------------
        // Byte-swapped beat: frame byte at lane i sits at bits [63-8i : 56-8i].
        self.be.next = (bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(0)) << 56)
            | (bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(8)) << 48)
            | (bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(16)) << 40)
            | (bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(24)) << 32)
            | (bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(32)) << 24)
            | (bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(40)) << 16)
            | (bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(48)) << 8)
            | bit_cast::<64, 8>(self.a_data.q.val().get_bits::<8>(56));
        // R: words starting at frame byte 14 (previous beat's lanes 6-7 + lanes 0-5).
        self.rv.next = (bit_cast::<64, 16>(self.prev_lo16.q.val()) << 48) | (self.be.val() >> 16);
        // S: R shifted by one 32-bit word.
        self.sv.next = (bit_cast::<64, 32>(self.prev_rlo.q.val()) << 32) | (self.rv.val() >> 32);
        self.t0_now.next = self.be.val().get_bits::<16>(16);
        self.t1_now.next = self.be.val().get_bits::<16>(48);
        self.rhi.next = self.rv.val().get_bits::<32>(32);
        self.rlo.next = self.rv.val().get_bits::<32>(0);

        // IP pair 0 (IP words 0-1 in the S/R view) is at beat 2 + vlan. Everything
        // decoded from it is computed for both views and selected by f_vlan last.
        self.ip_q0.next = self.a_b2.q.val();
        if self.f_vlan.q.val() {
            self.ip_q0.next = self.a_b3.q.val();
        }
        self.v6_b.next = self.f_et6.q.val();
        self.eth_v6_now.next = self.v6_b.val();
        // View R (no VLAN): the decode as if IP pair 0 were in it.
        self.pv_r.next = self.rv.val();
        self.v6_r.next = self.f_t0v6.q.val();
        self.nib_r.next = self.pv_r.val().get_bits::<4>(56);
        self.hw_r.next = bit_cast::<5, 4>(self.nib_r.val());
        self.len_r.next = bit_cast::<17, 16>(self.pv_r.val().get_bits::<16>(32));
        self.ieb_r.next = 14.into();
        self.iha_r.next = 8.into();
        self.ihb_r.next = 9.into();
        self.ihc_r.next = 10.into();
        if self.nib_r.val() == 6 {
            self.iha_r.next = 9.into();
            self.ihb_r.next = 10.into();
            self.ihc_r.next = 11.into();
        }
        if self.nib_r.val() == 7 {
            self.iha_r.next = 10.into();
            self.ihb_r.next = 11.into();
            self.ihc_r.next = 12.into();
        }
        if self.nib_r.val() == 8 {
            self.iha_r.next = 11.into();
            self.ihb_r.next = 12.into();
            self.ihc_r.next = 13.into();
        }
        if self.nib_r.val() == 9 {
            self.iha_r.next = 12.into();
            self.ihb_r.next = 13.into();
            self.ihc_r.next = 14.into();
        }
        if self.nib_r.val() == 10 {
            self.iha_r.next = 13.into();
            self.ihb_r.next = 14.into();
            self.ihc_r.next = 15.into();
        }
        if self.nib_r.val() == 11 {
            self.iha_r.next = 14.into();
            self.ihb_r.next = 15.into();
            self.ihc_r.next = 16.into();
        }
        if self.nib_r.val() == 12 {
            self.iha_r.next = 15.into();
            self.ihb_r.next = 16.into();
            self.ihc_r.next = 17.into();
        }
        if self.nib_r.val() == 13 {
            self.iha_r.next = 16.into();
            self.ihb_r.next = 17.into();
            self.ihc_r.next = 18.into();
        }
        if self.nib_r.val() == 14 {
            self.iha_r.next = 17.into();
            self.ihb_r.next = 18.into();
            self.ihc_r.next = 19.into();
        }
        if self.nib_r.val() == 15 {
            self.iha_r.next = 18.into();
            self.ihb_r.next = 19.into();
            self.ihc_r.next = 20.into();
        }
        if self.v6_r.val() {
            self.hw_r.next = 10.into();
            self.len_r.next = bit_cast::<17, 16>(self.pv_r.val().get_bits::<16>(16));
            self.ieb_r.next = 54.into();
            self.iha_r.next = 13.into();
            self.ihb_r.next = 14.into();
            self.ihc_r.next = 15.into();
        }
        self.nh_r.next = self.pv_r.val().get_bits::<8>(8);
        self.nhw_r.next = (self.nh_r.val() == 0)
            | (self.nh_r.val() == 43)
            | (self.nh_r.val() == 51)
            | (self.nh_r.val() == 60)
            | (self.nh_r.val() == 135)
            | (self.nh_r.val() == 139)
            | (self.nh_r.val() == 140)
            | (self.nh_r.val() == 253)
            | (self.nh_r.val() == 254);
        self.nh44_r.next = self.nh_r.val() == 44;
        self.pl8_r.next = self.pv_r.val().get_bits::<13>(19) == 0;
        self.di_r.next = self.hw_r.val() - 2;
        self.iwalk_r.next = self.v6_r.val() & self.nhw_r.val() & !self.pl8_r.val();
        self.ibad_r.next =
            self.v6_r.val() & (self.nhw_r.val() | self.nh44_r.val()) & self.pl8_r.val();
        self.ifrag_r.next = self.v6_r.val() & self.nh44_r.val() & !self.pl8_r.val();
        self.il4_r.next = !(self.v6_r.val() & (self.nhw_r.val() | self.nh44_r.val()));
        self.idm1_r.next = !self.v6_r.val() & (self.nib_r.val() == 1);
        self.idm2_r.next = !self.v6_r.val() & (self.nib_r.val() == 0);
        self.idm3_r.next = false;
        self.id0_r.next = !self.v6_r.val() & (self.nib_r.val() == 2);
        self.id1_r.next = !self.v6_r.val() & (self.nib_r.val() == 3);
        self.idp_r.next = self.v6_r.val()
            | self.nib_r.val().get_bit(3)
            | self.nib_r.val().get_bit(2)
            | (self.nib_r.val().get_bit(1) & self.nib_r.val().get_bit(0));
        self.idg_r.next =
            self.v6_r.val() | self.nib_r.val().get_bit(3) | self.nib_r.val().get_bit(2);
        // View S (VLAN): the decode as if IP pair 0 were in it.
        self.pv_s.next = self.sv.val();
        self.v6_s.next = self.f_t1v6.q.val();
        self.nib_s.next = self.pv_s.val().get_bits::<4>(56);
        self.hw_s.next = bit_cast::<5, 4>(self.nib_s.val());
        self.len_s.next = bit_cast::<17, 16>(self.pv_s.val().get_bits::<16>(32));
        self.ieb_s.next = 18.into();
        self.iha_s.next = 8.into();
        self.ihb_s.next = 9.into();
        self.ihc_s.next = 10.into();
        if self.nib_s.val() == 6 {
            self.iha_s.next = 9.into();
            self.ihb_s.next = 10.into();
            self.ihc_s.next = 11.into();
        }
        if self.nib_s.val() == 7 {
            self.iha_s.next = 10.into();
            self.ihb_s.next = 11.into();
            self.ihc_s.next = 12.into();
        }
        if self.nib_s.val() == 8 {
            self.iha_s.next = 11.into();
            self.ihb_s.next = 12.into();
            self.ihc_s.next = 13.into();
        }
        if self.nib_s.val() == 9 {
            self.iha_s.next = 12.into();
            self.ihb_s.next = 13.into();
            self.ihc_s.next = 14.into();
        }
        if self.nib_s.val() == 10 {
            self.iha_s.next = 13.into();
            self.ihb_s.next = 14.into();
            self.ihc_s.next = 15.into();
        }
        if self.nib_s.val() == 11 {
            self.iha_s.next = 14.into();
            self.ihb_s.next = 15.into();
            self.ihc_s.next = 16.into();
        }
        if self.nib_s.val() == 12 {
            self.iha_s.next = 15.into();
            self.ihb_s.next = 16.into();
            self.ihc_s.next = 17.into();
        }
        if self.nib_s.val() == 13 {
            self.iha_s.next = 16.into();
            self.ihb_s.next = 17.into();
            self.ihc_s.next = 18.into();
        }
        if self.nib_s.val() == 14 {
            self.iha_s.next = 17.into();
            self.ihb_s.next = 18.into();
            self.ihc_s.next = 19.into();
        }
        if self.nib_s.val() == 15 {
            self.iha_s.next = 18.into();
            self.ihb_s.next = 19.into();
            self.ihc_s.next = 20.into();
        }
        if self.v6_s.val() {
            self.hw_s.next = 10.into();
            self.len_s.next = bit_cast::<17, 16>(self.pv_s.val().get_bits::<16>(16));
            self.ieb_s.next = 58.into();
            self.iha_s.next = 13.into();
            self.ihb_s.next = 14.into();
            self.ihc_s.next = 15.into();
        }
        self.nh_s.next = self.pv_s.val().get_bits::<8>(8);
        self.nhw_s.next = (self.nh_s.val() == 0)
            | (self.nh_s.val() == 43)
            | (self.nh_s.val() == 51)
            | (self.nh_s.val() == 60)
            | (self.nh_s.val() == 135)
            | (self.nh_s.val() == 139)
            | (self.nh_s.val() == 140)
            | (self.nh_s.val() == 253)
            | (self.nh_s.val() == 254);
        self.nh44_s.next = self.nh_s.val() == 44;
        self.pl8_s.next = self.pv_s.val().get_bits::<13>(19) == 0;
        self.di_s.next = self.hw_s.val() - 3;
        self.iwalk_s.next = self.v6_s.val() & self.nhw_s.val() & !self.pl8_s.val();
        self.ibad_s.next =
            self.v6_s.val() & (self.nhw_s.val() | self.nh44_s.val()) & self.pl8_s.val();
        self.ifrag_s.next = self.v6_s.val() & self.nh44_s.val() & !self.pl8_s.val();
        self.il4_s.next = !(self.v6_s.val() & (self.nhw_s.val() | self.nh44_s.val()));
        self.idm1_s.next = !self.v6_s.val() & (self.nib_s.val() == 2);
        self.idm2_s.next = !self.v6_s.val() & (self.nib_s.val() == 1);
        self.idm3_s.next = !self.v6_s.val() & (self.nib_s.val() == 0);
        self.id0_s.next = !self.v6_s.val() & (self.nib_s.val() == 3);
        self.id1_s.next = !self.v6_s.val() & (self.nib_s.val() == 4);
        self.idp_s.next =
            self.v6_s.val() | self.nib_s.val().get_bit(3) | self.nib_s.val().get_bit(2);
        self.idg_s.next = self.v6_s.val()
            | self.nib_s.val().get_bit(3)
            | (self.nib_s.val().get_bit(2)
                & (self.nib_s.val().get_bit(1) | self.nib_s.val().get_bit(0)));
        self.hdr_words_now.next = self.hw_r.val();
        self.ip_len_now.next = self.len_r.val();
        self.ip_end_base.next = self.ieb_r.val();
        self.ihe_lo_now.next = self.iha_r.val();
        self.ihe_hi_now.next = self.ihb_r.val();
        self.nh_now.next = self.nh_r.val();
        self.di5.next = self.di_r.val();
        if self.f_vlan.q.val() {
            self.hdr_words_now.next = self.hw_s.val();
            self.ip_len_now.next = self.len_s.val();
            self.ip_end_base.next = self.ieb_s.val();
            self.ihe_lo_now.next = self.ihb_s.val();
            self.ihe_hi_now.next = self.ihc_s.val();
            self.nh_now.next = self.nh_s.val();
            self.di5.next = self.di_s.val();
        }
        // Geometry registered at the ip_q0 beat (f_hw5, f_qvlan, f_ieb, f_iel) and
        // derived from those registers one clock later; the one beat that follows ip_q0
        // directly (f_q0d) does not need the derived values (see the lane masks).
        self.f_ip_end.d.next = self.f_ieb.q.val() + self.f_iel.q.val();
        self.f_raw_start.d.next = (bit_cast::<17, 5>(self.f_hw5.q.val()) << 2) + 14;
        if self.f_qvlan.q.val() {
            self.f_raw_start.d.next = (bit_cast::<17, 5>(self.f_hw5.q.val()) << 2) + 18;
        }
        self.f_q0d.d.next = self.a_valid.q.val() & self.ip_q0.val();

        // Header-checksum and pseudo-header slots, from the realigned word index
        // (x2 = 2 * beat: hi slot holds IP word x2 - 4 - vlan, lo slot x2 - 3 - vlan).
        self.ih_hi.next = self.a_g4.q.val() & (self.a_l9.q.val() | self.a_lth.q.val());
        self.ih_lo.next = self.a_g3.q.val() & (self.a_l8.q.val() | self.a_ltl.q.val());
        if self.f_vlan.q.val() {
            self.ih_hi.next = self.a_g5.q.val() & (self.a_l10.q.val() | self.a_lth.q.val());
            self.ih_lo.next = self.a_g4.q.val() & (self.a_l9.q.val() | self.a_ltl.q.val());
        }
        if self.v6_b.val() {
            // IPv6 address words 2-9
            if self.f_vlan.q.val() {
                self.ph_hi.next = self.a_r714.q.val();
                self.ph_lo.next = self.a_r613.q.val();
            } else {
                self.ph_hi.next = self.a_r613.q.val();
                self.ph_lo.next = self.a_r512.q.val();
            }
        } else {
            // IPv4 address words 3-4
            if self.f_vlan.q.val() {
                self.ph_hi.next = self.a_e89.q.val();
                self.ph_lo.next = self.a_e78.q.val();
            } else {
                self.ph_hi.next = self.a_e78.q.val();
                self.ph_lo.next = self.a_e67.q.val();
            }
        }

        // Raw L4 byte lanes of this beat: inside [f_raw_start, f_ip_end).
        self.sm.next = 0.into();
        if self.a_beat.q.val() > self.f_raw_start.q.val().get_bits::<14>(3) {
            self.sm.next = 0xFF.into();
        }
        if self.a_beat.q.val() == self.f_raw_start.q.val().get_bits::<14>(3) {
            self.sm.next = bits::<8>(0xFF) << self.f_raw_start.q.val().get_bits::<3>(0);
        }
        if self.f_q0d.q.val() {
            // beat ip_q0 + 1: raw bytes only with a VLAN tag and IHL 5 (lanes 6-7)
            self.sm.next = 0.into();
            if self.f_vlan.q.val() & (self.f_hw5.q.val() == 5) {
                self.sm.next = 0xC0.into();
            }
        }
        if !self.f_geom.q.val() {
            self.sm.next = 0.into();
        }
        // IP-end lanes: the compares are registered here, the mask is built in B2.
        self.b2_elt.d.next = self.a_beat.q.val() < self.f_ip_end.q.val().get_bits::<14>(3);
        self.b2_egt.d.next = self.a_beat.q.val() > self.f_ip_end.q.val().get_bits::<14>(3);
        self.b2_emk.d.next = !(bits::<8>(0xFF) << self.f_ip_end.q.val().get_bits::<3>(0));
        // (beat ip_q0 + 1: ip_end not known yet; it only matters there when the L4 is
        // too short)
        self.b2_eq0d.d.next = self.f_q0d.q.val();

        // Bytes in this beat (tkeep contiguous from lane 0).
        self.nbytes.next = 0.into();
        if self.a_keep.q.val().get_bit(0) {
            self.nbytes.next = 1.into();
        }
        if self.a_keep.q.val().get_bit(1) {
            self.nbytes.next = 2.into();
        }
        if self.a_keep.q.val().get_bit(2) {
            self.nbytes.next = 3.into();
        }
        if self.a_keep.q.val().get_bit(3) {
            self.nbytes.next = 4.into();
        }
        if self.a_keep.q.val().get_bit(4) {
            self.nbytes.next = 5.into();
        }
        if self.a_keep.q.val().get_bit(5) {
            self.nbytes.next = 6.into();
        }
        if self.a_keep.q.val().get_bit(6) {
            self.nbytes.next = 7.into();
        }
        if self.a_keep.q.val().get_bit(7) {
            self.nbytes.next = 8.into();
        }

        // Extension-header slot decode for the walker (one step per slot).
        self.th_hi.next = self.rhi.val().get_bits::<8>(24);
        self.len_hi.next = self.rhi.val().get_bits::<8>(16);
        self.th_lo.next = self.rlo.val().get_bits::<8>(24);
        self.len_lo.next = self.rlo.val().get_bits::<8>(16);
        // "The header starting here does not fit" (len >= threshold), see the module doc.
        self.bw_o_hi.next = self.a_t1.q.val().get_bit(16)
            | ((self.a_t1.q.val().get_bits::<8>(8) == 0)
                & (self.len_hi.val() >= self.a_t1.q.val().get_bits::<8>(0)));
        self.bw_o_lo.next = self.a_t2.q.val().get_bit(16)
            | ((self.a_t2.q.val().get_bits::<8>(8) == 0)
                & (self.len_lo.val() >= self.a_t2.q.val().get_bits::<8>(0)));
        self.bw_a_hi.next = self.a_t3.q.val().get_bit(16)
            | ((self.a_t3.q.val().get_bits::<8>(8) == 0)
                & (self.len_hi.val() >= self.a_t3.q.val().get_bits::<8>(0)));
        self.bw_a_lo.next = self.a_t4.q.val().get_bit(16)
            | ((self.a_t4.q.val().get_bits::<8>(8) == 0)
                & (self.len_lo.val() >= self.a_t4.q.val().get_bits::<8>(0)));
        self.bf_o_hi.next = self.a_t5.q.val().get_bit(16)
            | ((self.a_t5.q.val().get_bits::<8>(8) == 0)
                & (self.len_hi.val() >= self.a_t5.q.val().get_bits::<8>(0)));
        self.bf_o_lo.next = self.a_t6.q.val().get_bit(16)
            | ((self.a_t6.q.val().get_bits::<8>(8) == 0)
                & (self.len_lo.val() >= self.a_t6.q.val().get_bits::<8>(0)));
        self.bf_a_hi.next = self.a_t7.q.val().get_bit(16)
            | ((self.a_t7.q.val().get_bits::<8>(8) == 0)
                & (self.len_hi.val() >= self.a_t7.q.val().get_bits::<8>(0)));
        self.bf_a_lo.next = self.a_t8.q.val().get_bit(16)
            | ((self.a_t8.q.val().get_bits::<8>(8) == 0)
                & (self.len_lo.val() >= self.a_t8.q.val().get_bits::<8>(0)));

        // ---------------- Stage B: per-frame header state ----------------
        if self.a_valid.q.val() {
            self.prev_lo16.d.next = self.be.val().get_bits::<16>(0);
            self.prev_rlo.d.next = self.rv.val().get_bits::<32>(0);
            // f_et6 == (f_vlan ? f_t1v6 : f_t0v6) at all times (tracked from the
            // next-state values, so its users do not need the 2:1 select).
            if self.a_b1.q.val() {
                self.f_et6.d.next = self.f_t0v6.q.val();
                if (self.t0_now.val() == 0x8100) | (self.t0_now.val() == 0x88A8) {
                    self.f_et6.d.next = self.f_t1v6.q.val();
                } else {
                    self.f_et6.d.next = self.t0_now.val() == 0x86DD;
                }
            }
            if self.a_b2.q.val() {
                self.f_et6.d.next = self.f_t0v6.q.val();
                if self.f_vlan.q.val() {
                    self.f_et6.d.next = self.t1_now.val() == 0x86DD;
                }
            }
            if self.a_b1.q.val() {
                self.f_t0.d.next = self.t0_now.val();
                self.f_tci.d.next = self.be.val().get_bits::<16>(0);
                self.f_vlan.d.next = (self.t0_now.val() == 0x8100) | (self.t0_now.val() == 0x88A8);
                self.f_t0v4.d.next = self.t0_now.val() == 0x0800;
                self.f_t0v6.d.next = self.t0_now.val() == 0x86DD;
            }
            if self.a_b2.q.val() {
                self.f_t1.d.next = self.t1_now.val();
                self.f_t1v4.d.next = self.t1_now.val() == 0x0800;
                self.f_t1v6.d.next = self.t1_now.val() == 0x86DD;
            }
            // IP pair 0: header geometry.
            if self.ip_q0.val() {
                self.f_geom.d.next = true;
                self.f_hw5.d.next = self.hdr_words_now.val();
                self.f_qvlan.d.next = self.f_vlan.q.val();
                self.f_ieb.d.next = self.ip_end_base.val();
                self.f_iel.d.next = self.ip_len_now.val();
                self.f_ihe_lo.d.next = self.ihe_lo_now.val();
                self.f_ihe_hi.d.next = self.ihe_hi_now.val();
            }
            if self.a_last.q.val() {
                self.f_geom.d.next = false;
            }
            // IP header words, from the slot where each completes.
            if self.f_vlan.q.val() {
                if self.a_b2.q.val() {
                    self.ip_w0.d.next = self.rlo.val();
                }
                if self.a_b3.q.val() {
                    self.ip_w1.d.next = self.rhi.val();
                    self.ip_w2.d.next = self.rlo.val();
                }
                if self.a_b4.q.val() {
                    self.ip_w3.d.next = self.rhi.val();
                    self.ip_w4.d.next = self.rlo.val();
                }
                if self.a_b5.q.val() {
                    self.ip_w5.d.next = self.rhi.val();
                    self.ip_w6.d.next = self.rlo.val();
                }
                if self.a_b6.q.val() {
                    self.ip_w7.d.next = self.rhi.val();
                    self.ip_w8.d.next = self.rlo.val();
                }
                if self.a_b7.q.val() {
                    self.ip_w9.d.next = self.rhi.val();
                }
            } else {
                if self.a_b2.q.val() {
                    self.ip_w0.d.next = self.rhi.val();
                    self.ip_w1.d.next = self.rlo.val();
                }
                if self.a_b3.q.val() {
                    self.ip_w2.d.next = self.rhi.val();
                    self.ip_w3.d.next = self.rlo.val();
                }
                if self.a_b4.q.val() {
                    self.ip_w4.d.next = self.rhi.val();
                    self.ip_w5.d.next = self.rlo.val();
                }
                if self.a_b5.q.val() {
                    self.ip_w6.d.next = self.rhi.val();
                    self.ip_w7.d.next = self.rlo.val();
                }
                if self.a_b6.q.val() {
                    self.ip_w8.d.next = self.rhi.val();
                    self.ip_w9.d.next = self.rlo.val();
                }
            }
        }

        // ---------------- Stage B -> B2 registers ----------------
        self.b2_valid.d.next = self.a_valid.q.val();
        self.b2_last.d.next = self.a_last.q.val();
        self.b2_b0.d.next = self.a_b0.q.val();
        self.b2_user.d.next = self.a_user.q.val();
        self.b2_beat.d.next = self.a_beat.q.val();
        self.b2_n.d.next = (bit_cast::<17, 14>(self.a_beat.q.val()) << 3) + self.nbytes.val();
        self.b2_rhi.d.next = self.rhi.val();
        self.b2_rlo.d.next = self.rlo.val();
        self.b2_be67.d.next = self.be.val().get_bits::<16>(0);
        self.b2_sm.d.next = self.sm.val();
        self.b2_ph_hi.d.next = self.ph_hi.val();
        self.b2_ph_lo.d.next = self.ph_lo.val();
        self.b2_ih_hi.d.next = self.ih_hi.val();
        self.b2_ih_lo.d.next = self.ih_lo.val();
        self.b2_tw_hi.d.next = (self.th_hi.val() == 0)
            | (self.th_hi.val() == 43)
            | (self.th_hi.val() == 51)
            | (self.th_hi.val() == 60)
            | (self.th_hi.val() == 135)
            | (self.th_hi.val() == 139)
            | (self.th_hi.val() == 140)
            | (self.th_hi.val() == 253)
            | (self.th_hi.val() == 254);
        self.b2_tw_lo.d.next = (self.th_lo.val() == 0)
            | (self.th_lo.val() == 43)
            | (self.th_lo.val() == 51)
            | (self.th_lo.val() == 60)
            | (self.th_lo.val() == 135)
            | (self.th_lo.val() == 139)
            | (self.th_lo.val() == 140)
            | (self.th_lo.val() == 253)
            | (self.th_lo.val() == 254);
        self.b2_t44_hi.d.next = self.th_hi.val() == 44;
        self.b2_t44_lo.d.next = self.th_lo.val() == 44;
        self.b2_t51_hi.d.next = self.th_hi.val() == 51;
        self.b2_t51_lo.d.next = self.th_lo.val() == 51;
        self.b2_bwo_hi.d.next = self.bw_o_hi.val();
        self.b2_bwo_lo.d.next = self.bw_o_lo.val();
        self.b2_bwa_hi.d.next = self.bw_a_hi.val();
        self.b2_bwa_lo.d.next = self.bw_a_lo.val();
        self.b2_bfo_hi.d.next = self.bf_o_hi.val();
        self.b2_bfo_lo.d.next = self.bf_o_lo.val();
        self.b2_bfa_hi.d.next = self.bf_a_hi.val();
        self.b2_bfa_lo.d.next = self.bf_a_lo.val();
        // Distance to the next header after a step, relative to the next beat's hi
        // slot: size - 2 (step at hi) or size - 1 (step at lo).
        self.b2_dno_hi.d.next = bit_cast::<16, 8>(self.len_hi.val()) << 1;
        self.b2_dna_hi.d.next = bit_cast::<16, 8>(self.len_hi.val());
        self.b2_dno_lo.d.next = (bit_cast::<16, 8>(self.len_lo.val()) << 1) | 1;
        self.b2_dna_lo.d.next = bit_cast::<16, 8>(self.len_lo.val()) + 1;
        self.b2_z0_hi.d.next = self.len_hi.val() == 0;
        self.b2_z1_hi.d.next = self.len_hi.val() == 1;
        self.b2_z0_lo.d.next = self.len_lo.val() == 0;
        // Walker start at IP pair 0.
        self.b2_q0.d.next = self.ip_q0.val();
        self.b2_iwalk.d.next = self.iwalk_r.val();
        self.b2_ibad.d.next = self.ibad_r.val();
        self.b2_ifrag.d.next = self.ifrag_r.val();
        self.b2_il4.d.next = self.il4_r.val();
        if self.f_vlan.q.val() {
            self.b2_iwalk.d.next = self.iwalk_s.val();
            self.b2_ibad.d.next = self.ibad_s.val();
            self.b2_ifrag.d.next = self.ifrag_s.val();
            self.b2_il4.d.next = self.il4_s.val();
        }
        self.b2_iah.d.next = self.nh_now.val() == 51;
        self.b2_inh.d.next = self.nh_now.val();
        self.b2_id.d.next = bit_cast::<16, 5>(self.di5.val());
        if self.di5.val().get_bit(4) {
            self.b2_id.d.next = bit_cast::<16, 5>(self.di5.val()) | 0xFFE0;
        }
        self.b2_idm1.d.next = self.idm1_r.val();
        self.b2_idm2.d.next = self.idm2_r.val();
        self.b2_idm3.d.next = self.idm3_r.val();
        self.b2_id0.d.next = self.id0_r.val();
        self.b2_id1.d.next = self.id1_r.val();
        self.b2_idp.d.next = self.idp_r.val();
        self.b2_idg.d.next = self.idg_r.val();
        if self.f_vlan.q.val() {
            self.b2_idm1.d.next = self.idm1_s.val();
            self.b2_idm2.d.next = self.idm2_s.val();
            self.b2_idm3.d.next = self.idm3_s.val();
            self.b2_id0.d.next = self.id0_s.val();
            self.b2_id1.d.next = self.id1_s.val();
            self.b2_idp.d.next = self.idp_s.val();
            self.b2_idg.d.next = self.idg_s.val();
        }

        // ---------------- Stage B2: extension-header walker ----------------
        // State: w_d = distance (realigned words, signed) from this beat's hi slot to
        // the next extension header (while walking) or to the L4 header (once armed);
        // w_is0/w_is1/w_pos/w_gt1 = w_d == 0 / == 1 / > 0 / > 1, kept as flags.
        self.s_tw.next = self.b2_tw_lo.q.val();
        self.s_t44.next = self.b2_t44_lo.q.val();
        self.s_t51.next = self.b2_t51_lo.q.val();
        self.s_t.next = self.b2_rlo.q.val().get_bits::<8>(24);
        self.s_bw.next = self.b2_bwo_lo.q.val();
        self.s_bf.next = self.b2_bfo_lo.q.val();
        self.s_dn.next = self.b2_dno_lo.q.val();
        if self.w_ah.q.val() {
            self.s_bw.next = self.b2_bwa_lo.q.val();
            self.s_bf.next = self.b2_bfa_lo.q.val();
            self.s_dn.next = self.b2_dna_lo.q.val();
        }
        self.s_z0.next = false;
        self.s_z1.next = self.b2_z0_lo.q.val();
        self.s_zp.next = true;
        self.s_zg.next = !self.b2_z0_lo.q.val();
        if self.w_is0.q.val() {
            self.s_tw.next = self.b2_tw_hi.q.val();
            self.s_t44.next = self.b2_t44_hi.q.val();
            self.s_t51.next = self.b2_t51_hi.q.val();
            self.s_t.next = self.b2_rhi.q.val().get_bits::<8>(24);
            self.s_bw.next = self.b2_bwo_hi.q.val();
            self.s_bf.next = self.b2_bfo_hi.q.val();
            self.s_dn.next = self.b2_dno_hi.q.val();
            self.s_z0.next = self.b2_z0_hi.q.val();
            self.s_z1.next = false;
            self.s_zp.next = !self.b2_z0_hi.q.val();
            self.s_zg.next = !self.b2_z0_hi.q.val();
            if self.w_ah.q.val() {
                self.s_bw.next = self.b2_bwa_hi.q.val();
                self.s_bf.next = self.b2_bfa_hi.q.val();
                self.s_dn.next = self.b2_dna_hi.q.val();
                self.s_z1.next = self.b2_z1_hi.q.val();
                self.s_zg.next = !self.b2_z0_hi.q.val() & !self.b2_z1_hi.q.val();
            }
        }
        self.hit.next = self.w_walk.q.val() & (self.w_is0.q.val() | self.w_is1.q.val());
        self.d_m2.next = self.w_d.q.val() - 2;
        self.d_eq2.next = self.w_d.q.val() == 2;
        self.d_eq3.next = self.w_d.q.val() == 3;
        self.d_gt3.next = !self.w_d.q.val().get_bit(15) & (self.w_d.q.val().get_bits::<13>(2) != 0);
        self.d_gt2.next = self.d_gt3.val() | self.d_eq3.val();

        // Checksum byte masks in the R grid (R byte j = frame byte 8B - 2 + j): raw L4
        // bytes not inside an extension header, plus pseudo-header address words.
        self.ext_hi.next = self.w_walk.q.val() | self.w_pos.q.val();
        self.ext_lo.next = self.w_walk.q.val() | self.w_gt1.q.val();
        self.em.next = 0.into();
        if !self.b2_egt.q.val() {
            self.em.next = self.b2_emk.q.val();
        }
        if self.b2_elt.q.val() | self.b2_eq0d.q.val() {
            self.em.next = 0xFF.into();
        }
        self.rm.next = self.b2_sm.q.val() & self.em.val();
        self.kb0.next = 0.into();
        self.kb1.next = 0.into();
        self.kb2.next = 0.into();
        self.kb3.next = 0.into();
        self.kb4.next = 0.into();
        self.kb5.next = 0.into();
        self.kb6.next = 0.into();
        self.kb7.next = 0.into();
        self.tb6.next = 0.into();
        self.tb7.next = 0.into();
        if (self.w_pm6.q.val() & !self.b2_b0.q.val() & !self.ext_hi.val()) | self.b2_ph_hi.q.val() {
            self.kb0.next = self.b2_rhi.q.val().get_bits::<8>(24);
        }
        if (self.w_pm7.q.val() & !self.b2_b0.q.val() & !self.ext_hi.val()) | self.b2_ph_hi.q.val() {
            self.kb1.next = self.b2_rhi.q.val().get_bits::<8>(16);
        }
        if (self.rm.val().get_bit(0) & !self.ext_hi.val()) | self.b2_ph_hi.q.val() {
            self.kb2.next = self.b2_rhi.q.val().get_bits::<8>(8);
        }
        if (self.rm.val().get_bit(1) & !self.ext_hi.val()) | self.b2_ph_hi.q.val() {
            self.kb3.next = self.b2_rhi.q.val().get_bits::<8>(0);
        }
        if (self.rm.val().get_bit(2) & !self.ext_lo.val()) | self.b2_ph_lo.q.val() {
            self.kb4.next = self.b2_rlo.q.val().get_bits::<8>(24);
        }
        if (self.rm.val().get_bit(3) & !self.ext_lo.val()) | self.b2_ph_lo.q.val() {
            self.kb5.next = self.b2_rlo.q.val().get_bits::<8>(16);
        }
        if (self.rm.val().get_bit(4) & !self.ext_lo.val()) | self.b2_ph_lo.q.val() {
            self.kb6.next = self.b2_rlo.q.val().get_bits::<8>(8);
        }
        if (self.rm.val().get_bit(5) & !self.ext_lo.val()) | self.b2_ph_lo.q.val() {
            self.kb7.next = self.b2_rlo.q.val().get_bits::<8>(0);
        }
        // Lanes 6-7 of the beat (the next beat's R bytes 0-1; kept for the last beat).
        if self.rm.val().get_bit(6) {
            self.tb6.next = self.b2_be67.q.val().get_bits::<8>(8);
        }
        if self.rm.val().get_bit(7) {
            self.tb7.next = self.b2_be67.q.val().get_bits::<8>(0);
        }
        self.b3_valid.d.next = self.b2_valid.q.val();
        self.b3_b0.d.next = self.b2_b0.q.val();
        self.b3_l0.d.next =
            (bit_cast::<16, 8>(self.kb0.val()) << 8) | bit_cast::<16, 8>(self.kb1.val());
        self.b3_l1.d.next =
            (bit_cast::<16, 8>(self.kb2.val()) << 8) | bit_cast::<16, 8>(self.kb3.val());
        self.b3_l2.d.next =
            (bit_cast::<16, 8>(self.kb4.val()) << 8) | bit_cast::<16, 8>(self.kb5.val());
        self.b3_l3.d.next =
            (bit_cast::<16, 8>(self.kb6.val()) << 8) | bit_cast::<16, 8>(self.kb7.val());
        self.b3_tail.d.next =
            (bit_cast::<16, 8>(self.tb6.val()) << 8) | bit_cast::<16, 8>(self.tb7.val());
        self.b3_i0.d.next = 0.into();
        self.b3_i1.d.next = 0.into();
        self.b3_i2.d.next = 0.into();
        self.b3_i3.d.next = 0.into();
        if self.b2_ih_hi.q.val() {
            self.b3_i0.d.next = self.b2_rhi.q.val().get_bits::<16>(16);
            self.b3_i1.d.next = self.b2_rhi.q.val().get_bits::<16>(0);
        }
        if self.b2_ih_lo.q.val() {
            self.b3_i2.d.next = self.b2_rlo.q.val().get_bits::<16>(16);
            self.b3_i3.d.next = self.b2_rlo.q.val().get_bits::<16>(0);
        }

        if self.b2_valid.q.val() {
            self.w_d.d.next = self.d_m2.val();
            self.w_is0.d.next = self.d_eq2.val();
            self.w_is1.d.next = self.d_eq3.val();
            // w_m1/w_m2/w_m3 = w_d == -1/-2/-3 (the L4 word capture points)
            self.w_m1.d.next = self.w_is1.q.val();
            self.w_m2.d.next = self.w_is0.q.val();
            self.w_m3.d.next = self.w_m1.q.val();
            self.w_pos.d.next = self.d_gt2.val();
            self.w_gt1.d.next = self.d_gt3.val();
            self.w_pm6.d.next = self.rm.val().get_bit(6);
            self.w_pm7.d.next = self.rm.val().get_bit(7);
            if self.b2_b0.q.val() {
                self.w_user.d.next = self.b2_user.q.val();
            } else {
                self.w_user.d.next = self.w_user.q.val() | self.b2_user.q.val();
            }
            if self.b2_q0.q.val() {
                self.w_walk.d.next = self.b2_iwalk.q.val();
                self.w_bad.d.next = self.b2_ibad.q.val();
                self.w_frag6.d.next = self.b2_ifrag.q.val();
                self.w_l4found.d.next = self.b2_il4.q.val();
                self.w_armed.d.next = self.b2_il4.q.val();
                self.w_ah.d.next = self.b2_iah.q.val();
                self.w_l4proto.d.next = self.b2_inh.q.val();
                self.w_d.d.next = self.b2_id.q.val();
                self.w_is0.d.next = self.b2_id0.q.val();
                self.w_m1.d.next = self.b2_idm1.q.val();
                self.w_m2.d.next = self.b2_idm2.q.val();
                self.w_m3.d.next = self.b2_idm3.q.val();
                self.w_is1.d.next = self.b2_id1.q.val();
                self.w_pos.d.next = self.b2_idp.q.val();
                self.w_gt1.d.next = self.b2_idg.q.val();
            }
            if self.hit.val() {
                if self.s_tw.val() {
                    if self.s_bw.val() {
                        self.w_walk.d.next = false;
                        self.w_bad.d.next = true;
                    } else {
                        self.w_d.d.next = self.s_dn.val();
                        self.w_is0.d.next = self.s_z0.val();
                        self.w_m1.d.next = false;
                        self.w_m2.d.next = false;
                        self.w_m3.d.next = false;
                        self.w_is1.d.next = self.s_z1.val();
                        self.w_pos.d.next = self.s_zp.val();
                        self.w_gt1.d.next = self.s_zg.val();
                        self.w_ah.d.next = self.s_t51.val();
                    }
                } else {
                    self.w_walk.d.next = false;
                    if self.s_t44.val() {
                        if self.s_bw.val() {
                            self.w_bad.d.next = true;
                        } else {
                            self.w_frag6.d.next = true;
                        }
                    } else if self.s_bf.val() {
                        self.w_bad.d.next = true;
                    } else {
                        self.w_armed.d.next = true;
                        self.w_l4found.d.next = true;
                        self.w_l4proto.d.next = self.s_t.val();
                        self.w_d.d.next = self.s_dn.val();
                        self.w_is0.d.next = self.s_z0.val();
                        self.w_m1.d.next = false;
                        self.w_m2.d.next = false;
                        self.w_m3.d.next = false;
                        self.w_is1.d.next = self.s_z1.val();
                        self.w_pos.d.next = self.s_zp.val();
                        self.w_gt1.d.next = self.s_zg.val();
                    }
                }
            }
            // L4 header words 0-3 (L4 word k is in the hi slot at w_d == -k, in the lo
            // slot at w_d == 1 - k).
            if self.w_armed.q.val() {
                // (while armed, the flags equal the compares of w_d)
                if self.w_is0.q.val() {
                    self.l4_w0.d.next = self.b2_rhi.q.val();
                    self.l4_w1.d.next = self.b2_rlo.q.val();
                }
                if self.w_is1.q.val() {
                    self.l4_w0.d.next = self.b2_rlo.q.val();
                }
                if self.w_m1.q.val() {
                    self.l4_w1.d.next = self.b2_rhi.q.val();
                    self.l4_w2.d.next = self.b2_rlo.q.val();
                }
                if self.w_m2.q.val() {
                    self.l4_w2.d.next = self.b2_rhi.q.val();
                    self.l4_w3.d.next = self.b2_rlo.q.val();
                }
                if self.w_m3.q.val() {
                    self.l4_w3.d.next = self.b2_rhi.q.val();
                }
            }
            if self.b2_last.q.val() {
                self.w_walk.d.next = false;
                self.w_armed.d.next = false;
                self.f_len2.d.next = self.b2_n.q.val();
                self.f_lastbeat.d.next = self.b2_beat.q.val();
            }
        }

        // ---------------- Stage B3: checksum accumulators ----------------
        if self.b3_valid.q.val() {
            if self.b3_b0.q.val() {
                self.acc_l0.d.next = bit_cast::<32, 16>(self.b3_l0.q.val());
                self.acc_l1.d.next = bit_cast::<32, 16>(self.b3_l1.q.val());
                self.acc_l2.d.next = bit_cast::<32, 16>(self.b3_l2.q.val());
                self.acc_l3.d.next = bit_cast::<32, 16>(self.b3_l3.q.val());
                self.acc_i0.d.next = bit_cast::<20, 16>(self.b3_i0.q.val());
                self.acc_i1.d.next = bit_cast::<20, 16>(self.b3_i1.q.val());
                self.acc_i2.d.next = bit_cast::<20, 16>(self.b3_i2.q.val());
                self.acc_i3.d.next = bit_cast::<20, 16>(self.b3_i3.q.val());
            } else {
                self.acc_l0.d.next = self.acc_l0.q.val() + bit_cast::<32, 16>(self.b3_l0.q.val());
                self.acc_l1.d.next = self.acc_l1.q.val() + bit_cast::<32, 16>(self.b3_l1.q.val());
                self.acc_l2.d.next = self.acc_l2.q.val() + bit_cast::<32, 16>(self.b3_l2.q.val());
                self.acc_l3.d.next = self.acc_l3.q.val() + bit_cast::<32, 16>(self.b3_l3.q.val());
                self.acc_i0.d.next = self.acc_i0.q.val() + bit_cast::<20, 16>(self.b3_i0.q.val());
                self.acc_i1.d.next = self.acc_i1.q.val() + bit_cast::<20, 16>(self.b3_i1.q.val());
                self.acc_i2.d.next = self.acc_i2.q.val() + bit_cast::<20, 16>(self.b3_i2.q.val());
                self.acc_i3.d.next = self.acc_i3.q.val() + bit_cast::<20, 16>(self.b3_i3.q.val());
            }
        }

        // ---------------- Stage C1: first-level flags and fields ----------------
        // Runs two clocks after the frame's last beat left stage B (header state of
        // stage B and walker state of stage B2 are still the frame's).
        self.c1_go.d.next = self.b2_valid.q.val() & self.b2_last.q.val();
        self.c1_vlan.d.next = self.f_vlan.q.val();
        self.c1_ge14.d.next = self.f_len2.q.val() >= 14;
        self.c1_ge18.d.next = self.f_len2.q.val() >= 18;
        self.c1_nfix4.d.next = self.f_len2.q.val() >= 34;
        self.c1_nfix6.d.next = self.f_len2.q.val() >= 54;
        self.et6_c.next = self.f_et6.q.val();
        self.c1_et4.d.next = self.f_t0v4.q.val();
        if self.f_vlan.q.val() {
            self.c1_nfix4.d.next = self.f_len2.q.val() >= 38;
            self.c1_nfix6.d.next = self.f_len2.q.val() >= 58;
            self.c1_et4.d.next = self.f_t1v4.q.val();
        }
        self.c1_et6.d.next = self.et6_c.val();
        self.c1_runt.d.next = self.f_len2.q.val() < self.min_frame_len.val();
        self.c1_ngehl.d.next = self.f_len2.q.val() >= self.f_raw_start.q.val();
        self.c1_endfit.d.next = self.f_ip_end.q.val() <= self.f_len2.q.val();
        self.c1_totlt.d.next = self.f_ip_end.q.val() < self.f_raw_start.q.val();
        self.c1_qp.d.next = (self.f_t0.q.val() == 0x88A8)
            | (self.f_t1.q.val() == 0x8100)
            | (self.f_t1.q.val() == 0x88A8);
        // (pre-combined for C2)
        self.c1_l2ok.d.next =
            (self.f_len2.q.val() >= 14) & (!self.f_vlan.q.val() | (self.f_len2.q.val() >= 18));
        self.c1_ihllt5.d.next = self.ip_w0.q.val().get_bits::<4>(24) < 5;
        self.c1_vqp.d.next = self.f_vlan.q.val()
            & ((self.f_t0.q.val() == 0x88A8)
                | (self.f_t1.q.val() == 0x8100)
                | (self.f_t1.q.val() == 0x88A8));
        self.c1_ver4.d.next = self.ip_w0.q.val().get_bits::<4>(28) == 4;
        self.c1_ver6.d.next = self.ip_w0.q.val().get_bits::<4>(28) == 6;
        self.c1_ihl.d.next = self.ip_w0.q.val().get_bits::<4>(24);
        self.c1_frag4.d.next =
            self.ip_w1.q.val().get_bit(13) | (self.ip_w1.q.val().get_bits::<13>(0) != 0);
        self.c1_nh.d.next = self.ip_w1.q.val().get_bits::<8>(8);
        self.c1_ext6.d.next = (self.ip_w1.q.val().get_bits::<8>(8) == 0)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 43)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 44)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 50)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 51)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 60)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 135)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 139)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 140)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 253)
            | (self.ip_w1.q.val().get_bits::<8>(8) == 254);
        self.c1_nh44.d.next = self.ip_w1.q.val().get_bits::<8>(8) == 44;
        self.c1_proto4.d.next = self.ip_w2.q.val().get_bits::<8>(16);
        // L4 offset: realigned word (2 * last beat - 2) + w_d, at byte 14 + 4 * word.
        self.dx.next = bit_cast::<17, 16>(self.w_d.q.val());
        if self.w_d.q.val().get_bit(15) {
            self.dx.next = bit_cast::<17, 16>(self.w_d.q.val()) | 0x10000;
        }
        self.lb6.next = (bit_cast::<17, 14>(self.f_lastbeat.q.val()) << 3) | 6;
        self.c1_l4off.d.next = self.lb6.val() + (self.dx.val() << 2);
        self.c1_ipend.d.next = self.f_ip_end.q.val();
        self.c1_l4found.d.next = self.w_l4found.q.val();
        self.c1_walkbad.d.next = self.w_bad.q.val();
        self.c1_frag6.d.next = self.w_frag6.q.val();
        self.c1_l4proto.d.next = self.w_l4proto.q.val();
        self.c1_tcp4.d.next = self.ip_w2.q.val().get_bits::<8>(16) == 6;
        self.c1_udp4.d.next = self.ip_w2.q.val().get_bits::<8>(16) == 17;
        self.c1_tcp6.d.next = self.w_l4proto.q.val() == 6;
        self.c1_udp6.d.next = self.w_l4proto.q.val() == 17;
        self.c1_thl.d.next = self.l4_w3.q.val().get_bits::<4>(28);
        self.c1_udplen.d.next = self.l4_w1.q.val().get_bits::<16>(16);
        self.c1_udpcz.d.next = self.l4_w1.q.val().get_bits::<16>(0) != 0;
        self.c1_flagok.d.next = (self.l4_w3.q.val().get_bits::<8>(16) & 0x27) == 0;
        // The last beat's lanes 6-7, unless they are still before the L4 header.
        self.c1_tail.d.next = self.b3_tail.q.val();
        if self.w_pos.q.val() {
            self.c1_tail.d.next = 0.into();
        }
        self.c1_user.d.next = self.w_user.q.val();
        self.rec1.d.next.frame_len = self.f_len2.q.val();
        self.rec1.d.next.eth_type = self.f_t0.q.val();
        if self.f_vlan.q.val() {
            self.rec1.d.next.eth_type = self.f_t1.q.val();
        }
        self.rec1.d.next.vlan_id = self.f_tci.q.val().get_bits::<12>(0);
        if self.et6_c.val() {
            self.rec1.d.next.src_ip = (bit_cast::<128, 32>(self.ip_w2.q.val()) << 96)
                | (bit_cast::<128, 32>(self.ip_w3.q.val()) << 64)
                | (bit_cast::<128, 32>(self.ip_w4.q.val()) << 32)
                | bit_cast::<128, 32>(self.ip_w5.q.val());
            self.rec1.d.next.dst_ip = (bit_cast::<128, 32>(self.ip_w6.q.val()) << 96)
                | (bit_cast::<128, 32>(self.ip_w7.q.val()) << 64)
                | (bit_cast::<128, 32>(self.ip_w8.q.val()) << 32)
                | bit_cast::<128, 32>(self.ip_w9.q.val());
        } else {
            self.rec1.d.next.src_ip = bit_cast::<128, 32>(self.ip_w3.q.val());
            self.rec1.d.next.dst_ip = bit_cast::<128, 32>(self.ip_w4.q.val());
        }
        self.rec1.d.next.src_port = self.l4_w0.q.val().get_bits::<16>(16);
        self.rec1.d.next.dst_port = self.l4_w0.q.val().get_bits::<16>(0);
        self.rec1.d.next.tcp_seq = self.l4_w1.q.val();
        self.rec1.d.next.tcp_ack = self.l4_w2.q.val();
        self.rec1.d.next.tcp_flags = self.l4_w3.q.val().get_bits::<12>(16);
        self.rec1.d.next.tcp_window = self.l4_w3.q.val().get_bits::<16>(0);

        // ---------------- Stage C2: layer decisions, L4 length, checksum pairs ----------------
        self.c2_go.d.next = self.c1_go.q.val();
        self.l2_ok.next = self.c1_l2ok.q.val();
        self.qinq.next = self.l2_ok.val() & self.c1_vqp.q.val();
        self.ip4.next = self.l2_ok.val() & !self.c1_vqp.q.val() & self.c1_et4.q.val();
        self.ip6.next = self.l2_ok.val() & !self.c1_vqp.q.val() & self.c1_et6.q.val();
        self.ihl_lt5.next = self.c1_ihllt5.q.val();
        self.fix4.next = self.ip4.val() & self.c1_nfix4.q.val();
        self.valid4.next = self.fix4.val() & self.c1_ver4.q.val();
        self.ihl_bad.next = self.valid4.val() & self.ihl_lt5.val();
        self.csum4.next = self.valid4.val() & !self.ihl_lt5.val() & self.c1_ngehl.q.val();
        self.tot_bad.next = self.csum4.val() & self.c1_totlt.q.val();
        self.fix6.next = self.ip6.val() & self.c1_nfix6.q.val();
        self.valid6.next = self.fix6.val() & self.c1_ver6.q.val();
        self.c2_l4go.d.next = (self.csum4.val()
            & !self.c1_totlt.q.val()
            & self.c1_endfit.q.val()
            & !self.c1_frag4.q.val())
            | (self.valid6.val() & self.c1_endfit.q.val() & self.c1_l4found.q.val());
        self.c2_trunc.d.next = !self.c1_ge14.q.val()
            | (self.c1_ge14.q.val() & self.c1_vlan.q.val() & !self.c1_ge18.q.val())
            | (self.ip4.val() & !self.fix4.val())
            | (self.valid4.val() & !self.ihl_bad.val() & !self.csum4.val())
            | (self.csum4.val() & !self.tot_bad.val() & !self.c1_endfit.q.val())
            | (self.ip6.val() & !self.fix6.val())
            | (self.valid6.val() & !self.c1_endfit.q.val());
        self.c2_badip.d.next = (self.fix4.val() & !self.valid4.val())
            | self.ihl_bad.val()
            | self.tot_bad.val()
            | (self.fix6.val() & !self.valid6.val())
            | (self.valid6.val() & self.c1_endfit.q.val() & self.c1_walkbad.q.val());
        self.c2_ip6ext.d.next = self.ip6.val() & self.c1_ext6.q.val();
        self.c2_csum4.d.next = self.csum4.val();
        // (an IPv4 or IPv6 L4 is only reported with the matching Ethernet type)
        self.c2_tcp.d.next = self.c1_tcp4.q.val();
        self.c2_udp.d.next = self.c1_udp4.q.val();
        self.l4p.next = self.c1_proto4.q.val();
        if self.c1_et6.q.val() {
            self.c2_tcp.d.next = self.c1_tcp6.q.val();
            self.c2_udp.d.next = self.c1_udp6.q.val();
            self.l4p.next = self.c1_l4proto.q.val();
        }
        self.c2_l4len.d.next = self.c1_ipend.q.val() - self.c1_l4off.q.val();
        self.thl17.next = bit_cast::<17, 4>(self.c1_thl.q.val()) << 2;
        self.c2_pot.d.next = self.c1_l4off.q.val() + self.thl17.val();
        self.c2_pou.d.next = self.c1_l4off.q.val() + 8;
        self.c2_thl.d.next = self.c1_thl.q.val();
        self.c2_udplen.d.next = self.c1_udplen.q.val();
        self.c2_udpcz.d.next = self.c1_udpcz.q.val();
        self.c2_flagok.d.next = self.c1_flagok.q.val();
        self.c2_user.d.next = self.c1_user.q.val();
        self.c2_runt.d.next = self.c1_runt.q.val();
        self.c2_s01.d.next =
            bit_cast::<33, 32>(self.acc_l0.q.val()) + bit_cast::<33, 32>(self.acc_l1.q.val());
        self.c2_s23.d.next =
            bit_cast::<33, 32>(self.acc_l2.q.val()) + bit_cast::<33, 32>(self.acc_l3.q.val());
        self.c2_i01.d.next =
            bit_cast::<21, 20>(self.acc_i0.q.val()) + bit_cast::<21, 20>(self.acc_i1.q.val());
        self.c2_i23.d.next =
            bit_cast::<21, 20>(self.acc_i2.q.val()) + bit_cast::<21, 20>(self.acc_i3.q.val());
        self.c2_pt.d.next =
            bit_cast::<17, 8>(self.l4p.val()) + bit_cast::<17, 16>(self.c1_tail.q.val());
        self.rec2.d.next = self.rec1.q.val();
        self.rec2.d.next.eth_valid = self.l2_ok.val().into();
        self.rec2.d.next.vlan_valid = (self.l2_ok.val() & self.c1_vlan.q.val()).into();
        self.rec2.d.next.qinq = self.qinq.val().into();
        self.rec2.d.next.ip4 = self.ip4.val().into();
        self.rec2.d.next.ip6 = self.ip6.val().into();
        self.rec2.d.next.ip_valid = (self.valid4.val() | self.valid6.val()).into();
        self.rec2.d.next.ip_csum_checked = self.csum4.val().into();
        if self.c1_et6.q.val() {
            self.rec2.d.next.ip_proto = self.c1_nh.q.val();
            self.rec2.d.next.ip_hdr_len = 40.into();
            self.rec2.d.next.ip_options = self.c1_ext6.q.val().into();
            self.rec2.d.next.fragment =
                (self.c1_nh44.q.val() | (self.c1_frag6.q.val() & self.c1_endfit.q.val())).into();
        } else {
            self.rec2.d.next.ip_proto = self.c1_proto4.q.val();
            self.rec2.d.next.ip_hdr_len = bit_cast::<8, 4>(self.c1_ihl.q.val()) << 2;
            self.rec2.d.next.ip_options = (self.c1_ihl.q.val() > 5).into();
            self.rec2.d.next.fragment = self.c1_frag4.q.val().into();
        }

        // ---------------- Stage C3: L4 length checks, checksum sums ----------------
        self.c3_go.d.next = self.c2_go.q.val();
        self.c3_ge20.d.next = self.c2_l4len.q.val() >= 20;
        self.c3_ge8.d.next = self.c2_l4len.q.val() >= 8;
        self.thl17c.next = bit_cast::<17, 4>(self.c2_thl.q.val()) << 2;
        self.c3_thlgt.d.next = self.thl17c.val() > self.c2_l4len.q.val();
        self.c3_udpne.d.next = bit_cast::<17, 16>(self.c2_udplen.q.val()) != self.c2_l4len.q.val();
        self.c3_plt.d.next = self.c2_l4len.q.val() - self.thl17c.val();
        self.c3_plu.d.next = self.c2_l4len.q.val() - 8;
        self.c3_pot.d.next = self.c2_pot.q.val();
        self.c3_pou.d.next = self.c2_pou.q.val();
        self.c3_l4go.d.next = self.c2_l4go.q.val();
        self.c3_trunc.d.next = self.c2_trunc.q.val();
        self.c3_badip.d.next = self.c2_badip.q.val();
        self.c3_ip6ext.d.next = self.c2_ip6ext.q.val();
        self.c3_csum4.d.next = self.c2_csum4.q.val();
        self.c3_tcp.d.next = self.c2_tcp.q.val();
        self.c3_udp.d.next = self.c2_udp.q.val();
        self.c3_thl.d.next = self.c2_thl.q.val();
        self.c3_udpcz.d.next = self.c2_udpcz.q.val();
        self.c3_flagok.d.next = self.c2_flagok.q.val();
        self.c3_user.d.next = self.c2_user.q.val();
        self.c3_runt.d.next = self.c2_runt.q.val();
        self.c3_s.d.next =
            bit_cast::<34, 33>(self.c2_s01.q.val()) + bit_cast::<34, 33>(self.c2_s23.q.val());
        self.c3_i.d.next =
            bit_cast::<22, 21>(self.c2_i01.q.val()) + bit_cast::<22, 21>(self.c2_i23.q.val());
        self.c3_p.d.next =
            bit_cast::<18, 17>(self.c2_pt.q.val()) + bit_cast::<18, 17>(self.c2_l4len.q.val());
        self.rec3.d.next = self.rec2.q.val();

        // ---------------- Stage C4: L4 decisions, checksum totals ----------------
        self.c4_go.d.next = self.c3_go.q.val();
        self.tcp_ok.next = self.c3_l4go.q.val() & self.c3_tcp.q.val() & self.c3_ge20.q.val();
        self.ports_ok.next =
            self.tcp_ok.val() | (self.c3_l4go.q.val() & self.c3_udp.q.val() & self.c3_ge8.q.val());
        self.tcp_hdr_bad.next =
            self.tcp_ok.val() & ((self.c3_thl.q.val() < 5) | self.c3_thlgt.q.val());
        self.udp_hdr_bad.next = self.ports_ok.val() & self.c3_udp.q.val() & self.c3_udpne.q.val();
        self.pay_ok.next = (self.tcp_ok.val() & !self.tcp_hdr_bad.val())
            | (self.ports_ok.val() & self.c3_udp.q.val() & !self.udp_hdr_bad.val());
        self.err_bad_l4.next = (self.c3_l4go.q.val()
            & ((self.c3_tcp.q.val() & !self.c3_ge20.q.val())
                | (self.c3_udp.q.val() & !self.c3_ge8.q.val())))
            | self.tcp_hdr_bad.val()
            | self.udp_hdr_bad.val();
        self.c4_tcpok.d.next = self.tcp_ok.val();
        self.c4_payok.d.next = self.pay_ok.val();
        self.c4_badl4.d.next = self.err_bad_l4.val();
        self.c4_trunc.d.next = self.c3_trunc.q.val();
        self.c4_badip.d.next = self.c3_badip.q.val();
        self.c4_ip6ext.d.next = self.c3_ip6ext.q.val();
        self.c4_csum4.d.next = self.c3_csum4.q.val();
        self.c4_flagok.d.next = self.c3_flagok.q.val();
        self.c4_user.d.next = self.c3_user.q.val();
        self.c4_runt.d.next = self.c3_runt.q.val();
        self.c4_t.d.next =
            bit_cast::<35, 34>(self.c3_s.q.val()) + bit_cast::<35, 18>(self.c3_p.q.val());
        self.c4_if.d.next = bit_cast::<17, 16>(self.c3_i.q.val().get_bits::<16>(0))
            + bit_cast::<17, 6>(self.c3_i.q.val().get_bits::<6>(16));
        self.rec4.d.next = self.rec3.q.val();
        self.rec4.d.next.l4_valid = self.c3_l4go.q.val().into();
        self.rec4.d.next.l4_tcp = self.c3_tcp.q.val().into();
        self.rec4.d.next.l4_udp = self.c3_udp.q.val().into();
        self.rec4.d.next.ports_valid = self.ports_ok.val().into();
        self.rec4.d.next.tcp_valid = self.tcp_ok.val().into();
        self.rec4.d.next.tcp_hdr_len = bit_cast::<8, 4>(self.c3_thl.q.val()) << 2;
        self.rec4.d.next.tcp_options = (self.c3_thl.q.val() > 5).into();
        self.rec4.d.next.payload_valid = self.pay_ok.val().into();
        self.rec4.d.next.payload_offset = self.c3_pou.q.val().get_bits::<16>(0);
        self.rec4.d.next.payload_len = self.c3_plu.q.val().get_bits::<16>(0);
        if self.c3_tcp.q.val() {
            self.rec4.d.next.payload_offset = self.c3_pot.q.val().get_bits::<16>(0);
            self.rec4.d.next.payload_len = self.c3_plt.q.val().get_bits::<16>(0);
        }
        self.rec4.d.next.l4_csum_checked =
            (self.ports_ok.val() & (self.c3_tcp.q.val() | self.c3_udpcz.q.val())).into();
        self.rec4.d.next.err_mac = self.c3_user.q.val().into();
        self.rec4.d.next.err_runt = self.c3_runt.q.val().into();
        self.rec4.d.next.err_truncated = self.c3_trunc.q.val().into();
        self.rec4.d.next.err_bad_ip_header = self.c3_badip.q.val().into();
        self.rec4.d.next.err_bad_l4_header = self.err_bad_l4.val().into();

        // ---------------- Stage C5: candidate, IP checksum, L4 fold ----------------
        self.c5_go.d.next = self.c4_go.q.val();
        self.c5_cand.d.next = self.c4_tcpok.q.val()
            & self.c4_payok.q.val()
            & !self.c4_user.q.val()
            & !self.c4_runt.q.val()
            & !self.c4_trunc.q.val()
            & !self.c4_badip.q.val()
            & !self.c4_badl4.q.val()
            & !self.c4_ip6ext.q.val()
            & self.c4_flagok.q.val();
        self.c5_csum4.d.next = self.c4_csum4.q.val();
        self.c5_ipok.d.next = self.c4_if.q.val() == 0xFFFF;
        self.c5_f1.d.next = bit_cast::<20, 16>(self.c4_t.q.val().get_bits::<16>(0))
            + bit_cast::<20, 19>(self.c4_t.q.val().get_bits::<19>(16));
        self.rec5.d.next = self.rec4.q.val();

        // ---------------- Stage C6: L4 checksum verdict, candidate ----------------
        // f1 = lo + 65536 hi (hi <= 8) is a multiple of 65535 iff lo == 0xFFFF - hi.
        self.c6_go.d.next = self.c5_go.q.val();
        self.f1h.next = self.c5_f1.q.val().get_bits::<4>(16);
        self.f1hn.next = !self.f1h.val();
        self.l4_ok.next = (self.c5_f1.q.val().get_bits::<12>(4) == 0xFFF)
            & (self.c5_f1.q.val().get_bits::<4>(0) == self.f1hn.val());
        self.rec6.d.next = self.rec5.q.val();
        self.rec6.d.next.ip_csum_ok = self.c5_ipok.q.val().into();
        self.rec6.d.next.l4_csum_ok = self.l4_ok.val().into();
        self.rec6.d.next.candidate = (self.c5_cand.q.val()
            & self.l4_ok.val()
            & (!self.c5_csum4.q.val() | self.c5_ipok.q.val()))
        .into();
        self.e_go.d.next = self.c6_go.q.val();

        // ---------------- Reset ----------------
        if self.reset.val() {
            self.a_valid.d.next = false;
            self.beat_cnt.d.next = 0.into();
            self.x2_cnt.d.next = 0.into();
            self.f_geom.d.next = false;
            self.b2_valid.d.next = false;
            self.b3_valid.d.next = false;
            self.w_walk.d.next = false;
            self.w_armed.d.next = false;
            self.c1_go.d.next = false;
            self.c2_go.d.next = false;
            self.c3_go.d.next = false;
            self.c4_go.d.next = false;
            self.c5_go.d.next = false;
            self.c6_go.d.next = false;
            self.e_go.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rx_parser_emits_verilog() {
        let mut uut = RxParser::new(60);
        uut.connect_all();
        let v = generate_verilog(&uut);
        assert!(v.contains("module top"));
    }
}
