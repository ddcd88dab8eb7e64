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
//! is accepted; a frame's record appears on `m_meta_*` 6 clocks after its last beat
//! is accepted. Back-pressure on either output fills its FIFO (32 beats / 16
//! records) and then deasserts `s_tready`; nothing is dropped.
//!
//! # Structure
//! Stage A registers the input beat. Stage B works on the byte-swapped beat and a
//! realigned view: with Ethernet (14 bytes) and one VLAN tag (18), every IPv4, IPv6,
//! TCP and UDP header starts 2 bytes past a 4-byte boundary, so in the stream of
//! 32-bit words starting at frame byte 14 every header field sits at a word boundary.
//! View `R` (previous beat's lanes 6-7 + lanes 0-5) holds words 2(B-2) and 2(B-2)+1
//! at beat B; each header word is captured from the slot of the beat where it
//! completes (a word index per slot, compared with constants), so a frame that ends
//! right after a header still has it. IP words 0-1 are also read through `S` (R
//! shifted by one word) to compute the header geometry (L4 offset, IP end) once per
//! frame. Checksums accumulate per beat: the IPv4 header over IP words, the L4 sum
//! over the raw lanes inside `[l4 offset, IP end)` plus the pseudo-header address
//! words. Stage C derives every flag and field from the captured words and the frame
//! length, stage D folds the checksums and decides `candidate`, stage E writes the
//! record FIFO.
//!
//! IPv6 extension headers are not walked: a frame whose next header is an extension
//! header is reported with `ip_options` set and `l4` null, and is not a candidate.

use crate::rx_meta::RxMetaRecord;
use crate::sync_fifo::SyncFifo;
use rust_hdl::prelude::*;

/// Free words at which an output FIFO stops the input (covers the beats and records
/// in flight in the pipeline).
const FIFO_SLACK: usize = 8;

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
    data_fifo: SyncFifo<Bits<DATA_FIFO_BITS>, 5, 6>,
    meta_fifo: SyncFifo<RxMetaRecord, 4, 5>,

    // Stage A: registered input beat
    a_valid: DFF<Bit>,
    a_data: DFF<Bits<64>>,
    a_keep: DFF<Bits<8>>,
    a_last: DFF<Bit>,
    a_user: DFF<Bit>,
    a_beat: DFF<Bits<14>>,
    beat_cnt: DFF<Bits<14>>,
    a_jw: DFF<Bits<15>>,
    a_ipm_hi: DFF<Bits<15>>,
    a_ipm_lo: DFF<Bits<15>>,
    vlan_now: Signal<Local, Bit>,
    a_b0: DFF<Bit>,
    a_b1: DFF<Bit>,
    a_b2: DFF<Bit>,
    a_b3: DFF<Bit>,
    a_ge2: DFF<Bit>,
    jw2_cnt: DFF<Bits<15>>,

    // Stage B: per-beat views (combinational)
    be: Signal<Local, Bits<64>>,
    rv: Signal<Local, Bits<64>>,
    sv: Signal<Local, Bits<64>>,
    ipv: Signal<Local, Bits<64>>,
    rhi: Signal<Local, Bits<32>>,
    rlo: Signal<Local, Bits<32>>,
    b_ge2: Signal<Local, Bit>,
    ipm_hi: Signal<Local, Bits<15>>,
    ipm_lo: Signal<Local, Bits<15>>,
    ip_hi_ok: Signal<Local, Bit>,
    ip_lo_ok: Signal<Local, Bit>,
    l4m_hi: Signal<Local, Bits<15>>,
    l4m_lo: Signal<Local, Bits<15>>,
    l4_hi_ok: Signal<Local, Bit>,
    l4_lo_ok: Signal<Local, Bit>,
    t0_now: Signal<Local, Bits<16>>,
    ip_q0: Signal<Local, Bit>,
    // q0 decode (combinational)
    eth_eff: Signal<Local, Bits<16>>,
    is_v6_now: Signal<Local, Bit>,
    hdr_words_now: Signal<Local, Bits<5>>,
    l3_now: Signal<Local, Bits<8>>,
    j0l_now: Signal<Local, Bits<15>>,
    nh_now: Signal<Local, Bits<8>>,
    nh_walk: Signal<Local, Bit>,
    ip_end_now: Signal<Local, Bits<17>>,
    lim_w_now: Signal<Local, Bits<17>>,
    lim_l4_now: Signal<Local, Bits<17>>,
    // IPv6 extension-header walker (combinational)
    jw_hi: Signal<Local, Bits<15>>,
    jw_lo: Signal<Local, Bits<15>>,
    wk_hit_hi: Signal<Local, Bit>,
    wk_hit: Signal<Local, Bit>,
    wk_word: Signal<Local, Bits<32>>,
    wk_t: Signal<Local, Bits<8>>,
    wk_size: Signal<Local, Bits<15>>,
    wk_newpos: Signal<Local, Bits<15>>,
    wk_newbyte: Signal<Local, Bits<17>>,
    wk_walk: Signal<Local, Bit>,
    ext_hi: Signal<Local, Bit>,
    ext_lo: Signal<Local, Bit>,
    ext_hi_v: Signal<Local, Bits<32>>,
    ext_lo_v: Signal<Local, Bits<32>>,
    // L4 lane mask and per-lane masked bytes
    smask: Signal<Local, Bits<8>>,
    emask: Signal<Local, Bits<8>>,
    lmask: Signal<Local, Bits<8>>,
    mb0: Signal<Local, Bits<32>>,
    mb1: Signal<Local, Bits<32>>,
    mb2: Signal<Local, Bits<32>>,
    mb3: Signal<Local, Bits<32>>,
    mb4: Signal<Local, Bits<32>>,
    mb5: Signal<Local, Bits<32>>,
    mb6: Signal<Local, Bits<32>>,
    mb7: Signal<Local, Bits<32>>,
    // pseudo-header address words and IP header words added this beat
    ph_hi: Signal<Local, Bit>,
    ph_lo: Signal<Local, Bit>,
    ih_hi: Signal<Local, Bit>,
    ih_lo: Signal<Local, Bit>,
    raw_add: Signal<Local, Bits<32>>,
    ph_hi_v: Signal<Local, Bits<32>>,
    ph_lo_v: Signal<Local, Bits<32>>,
    ih_hi_v: Signal<Local, Bits<24>>,
    ih_lo_v: Signal<Local, Bits<24>>,
    l4_add: Signal<Local, Bits<32>>,
    ip_add: Signal<Local, Bits<24>>,
    nbytes: Signal<Local, Bits<17>>,

    // Stage B: per-frame state
    prev_lo16: DFF<Bits<16>>,
    prev_rlo: DFF<Bits<32>>,
    f_t0: DFF<Bits<16>>,
    f_tci: DFF<Bits<16>>,
    f_t1: DFF<Bits<16>>,
    f_vlan: DFF<Bit>,
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
    l4_w0: DFF<Bits<32>>,
    l4_w1: DFF<Bits<32>>,
    l4_w2: DFF<Bits<32>>,
    l4_w3: DFF<Bits<32>>,
    f_armed: DFF<Bit>,
    f_hdr_words: DFF<Bits<5>>,
    f_l4off: DFF<Bits<17>>,
    f_raw_start: DFF<Bits<17>>,
    f_lim_w: DFF<Bits<15>>,
    f_lim_l4: DFF<Bits<15>>,
    f_geom: DFF<Bit>,
    f_walk: DFF<Bit>,
    f_npos: DFF<Bits<15>>,
    f_ntype: DFF<Bits<8>>,
    f_walk_bad: DFF<Bit>,
    f_frag6: DFF<Bit>,
    f_l4found: DFF<Bit>,
    f_l4proto: DFF<Bits<8>>,
    ext_acc: DFF<Bits<32>>,
    f_ip_end: DFF<Bits<17>>,
    f_j0l: DFF<Bits<15>>,
    f_user: DFF<Bit>,
    f_len: DFF<Bits<17>>,
    ip_acc: DFF<Bits<24>>,
    l4_acc: DFF<Bits<32>>,
    c_go: DFF<Bit>,

    // Stage C: derive flags and fields (combinational), register the record
    n: Signal<Local, Bits<17>>,
    has_eth: Signal<Local, Bit>,
    l2_ok: Signal<Local, Bit>,
    eth_type: Signal<Local, Bits<16>>,
    qinq: Signal<Local, Bit>,
    l3: Signal<Local, Bits<17>>,
    ip4: Signal<Local, Bit>,
    ip6: Signal<Local, Bit>,
    ihl: Signal<Local, Bits<17>>,
    fix4: Signal<Local, Bit>,
    valid4: Signal<Local, Bit>,
    ihl_bad: Signal<Local, Bit>,
    csum4: Signal<Local, Bit>,
    tot_bad: Signal<Local, Bit>,
    end_fit: Signal<Local, Bit>,
    frag4: Signal<Local, Bit>,
    fix6: Signal<Local, Bit>,
    valid6: Signal<Local, Bit>,
    nh: Signal<Local, Bits<8>>,
    ext6: Signal<Local, Bit>,
    l4go: Signal<Local, Bit>,
    proto: Signal<Local, Bits<8>>,
    l4p: Signal<Local, Bits<8>>,
    ef1: Signal<Local, Bits<32>>,
    ef2: Signal<Local, Bits<32>>,
    ext_cpl: Signal<Local, Bits<16>>,
    ext_neg: Signal<Local, Bits<32>>,
    pay_off: Signal<Local, Bits<17>>,
    l4_len: Signal<Local, Bits<17>>,
    is_tcp: Signal<Local, Bit>,
    is_udp: Signal<Local, Bit>,
    ports_ok: Signal<Local, Bit>,
    tcp_ok: Signal<Local, Bit>,
    thl: Signal<Local, Bits<17>>,
    tcp_hdr_bad: Signal<Local, Bit>,
    udp_hdr_bad: Signal<Local, Bit>,
    pay_ok: Signal<Local, Bit>,
    hdr_l4: Signal<Local, Bits<17>>,
    pay_len: Signal<Local, Bits<17>>,
    err_trunc: Signal<Local, Bit>,
    err_bad_ip: Signal<Local, Bit>,
    err_bad_l4: Signal<Local, Bit>,
    err_runt: Signal<Local, Bit>,
    rec_c: DFF<RxMetaRecord>,
    c_ipsum: DFF<Bits<24>>,
    c_l4sum: DFF<Bits<32>>,
    c_cand: DFF<Bit>,
    d_go: DFF<Bit>,

    // Stage D: fold checksums, decide candidate
    ipf1: Signal<Local, Bits<24>>,
    ipf2: Signal<Local, Bits<24>>,
    l4f1: Signal<Local, Bits<32>>,
    l4f2: Signal<Local, Bits<32>>,
    ip_ok: Signal<Local, Bit>,
    l4_ok: Signal<Local, Bit>,
    rec_d: DFF<RxMetaRecord>,
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
            data_fifo: SyncFifo::new(FIFO_SLACK),
            meta_fifo: SyncFifo::new(FIFO_SLACK),
            a_valid: Default::default(),
            a_data: Default::default(),
            a_keep: Default::default(),
            a_last: Default::default(),
            a_user: Default::default(),
            a_beat: Default::default(),
            beat_cnt: Default::default(),
            a_jw: Default::default(),
            a_ipm_hi: Default::default(),
            a_ipm_lo: Default::default(),
            vlan_now: Default::default(),
            a_b0: Default::default(),
            a_b1: Default::default(),
            a_b2: Default::default(),
            a_b3: Default::default(),
            a_ge2: Default::default(),
            jw2_cnt: Default::default(),
            be: Default::default(),
            rv: Default::default(),
            sv: Default::default(),
            ipv: Default::default(),
            rhi: Default::default(),
            rlo: Default::default(),
            b_ge2: Default::default(),
            ipm_hi: Default::default(),
            ipm_lo: Default::default(),
            ip_hi_ok: Default::default(),
            ip_lo_ok: Default::default(),
            l4m_hi: Default::default(),
            l4m_lo: Default::default(),
            l4_hi_ok: Default::default(),
            l4_lo_ok: Default::default(),
            t0_now: Default::default(),
            ip_q0: Default::default(),
            eth_eff: Default::default(),
            is_v6_now: Default::default(),
            hdr_words_now: Default::default(),
            l3_now: Default::default(),
            j0l_now: Default::default(),
            nh_now: Default::default(),
            nh_walk: Default::default(),
            ip_end_now: Default::default(),
            lim_w_now: Default::default(),
            lim_l4_now: Default::default(),
            jw_hi: Default::default(),
            jw_lo: Default::default(),
            wk_hit_hi: Default::default(),
            wk_hit: Default::default(),
            wk_word: Default::default(),
            wk_t: Default::default(),
            wk_size: Default::default(),
            wk_newpos: Default::default(),
            wk_newbyte: Default::default(),
            wk_walk: Default::default(),
            ext_hi: Default::default(),
            ext_lo: Default::default(),
            ext_hi_v: Default::default(),
            ext_lo_v: Default::default(),
            smask: Default::default(),
            emask: Default::default(),
            lmask: Default::default(),
            mb0: Default::default(),
            mb1: Default::default(),
            mb2: Default::default(),
            mb3: Default::default(),
            mb4: Default::default(),
            mb5: Default::default(),
            mb6: Default::default(),
            mb7: Default::default(),
            ph_hi: Default::default(),
            ph_lo: Default::default(),
            ih_hi: Default::default(),
            ih_lo: Default::default(),
            raw_add: Default::default(),
            ph_hi_v: Default::default(),
            ph_lo_v: Default::default(),
            ih_hi_v: Default::default(),
            ih_lo_v: Default::default(),
            l4_add: Default::default(),
            ip_add: Default::default(),
            pay_len: Default::default(),
            nbytes: Default::default(),
            prev_lo16: Default::default(),
            prev_rlo: Default::default(),
            f_t0: Default::default(),
            f_tci: Default::default(),
            f_t1: Default::default(),
            f_vlan: Default::default(),
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
            l4_w0: Default::default(),
            l4_w1: Default::default(),
            l4_w2: Default::default(),
            l4_w3: Default::default(),
            f_armed: Default::default(),
            f_hdr_words: Default::default(),
            f_l4off: Default::default(),
            f_raw_start: Default::default(),
            f_lim_w: Default::default(),
            f_lim_l4: Default::default(),
            f_geom: Default::default(),
            f_walk: Default::default(),
            f_npos: Default::default(),
            f_ntype: Default::default(),
            f_walk_bad: Default::default(),
            f_frag6: Default::default(),
            f_l4found: Default::default(),
            f_l4proto: Default::default(),
            ext_acc: Default::default(),
            f_ip_end: Default::default(),
            f_j0l: Default::default(),
            f_user: Default::default(),
            f_len: Default::default(),
            ip_acc: Default::default(),
            l4_acc: Default::default(),
            c_go: Default::default(),
            n: Default::default(),
            has_eth: Default::default(),
            l2_ok: Default::default(),
            eth_type: Default::default(),
            qinq: Default::default(),
            l3: Default::default(),
            ip4: Default::default(),
            ip6: Default::default(),
            ihl: Default::default(),
            fix4: Default::default(),
            valid4: Default::default(),
            ihl_bad: Default::default(),
            csum4: Default::default(),
            tot_bad: Default::default(),
            end_fit: Default::default(),
            frag4: Default::default(),
            fix6: Default::default(),
            valid6: Default::default(),
            nh: Default::default(),
            ext6: Default::default(),
            l4go: Default::default(),
            proto: Default::default(),
            l4p: Default::default(),
            ef1: Default::default(),
            ef2: Default::default(),
            ext_cpl: Default::default(),
            ext_neg: Default::default(),
            pay_off: Default::default(),
            l4_len: Default::default(),
            is_tcp: Default::default(),
            is_udp: Default::default(),
            ports_ok: Default::default(),
            tcp_ok: Default::default(),
            thl: Default::default(),
            tcp_hdr_bad: Default::default(),
            udp_hdr_bad: Default::default(),
            pay_ok: Default::default(),
            hdr_l4: Default::default(),
            err_trunc: Default::default(),
            err_bad_ip: Default::default(),
            err_bad_l4: Default::default(),
            err_runt: Default::default(),
            rec_c: Default::default(),
            c_ipsum: Default::default(),
            c_l4sum: Default::default(),
            c_cand: Default::default(),
            d_go: Default::default(),
            ipf1: Default::default(),
            ipf2: Default::default(),
            l4f1: Default::default(),
            l4f2: Default::default(),
            ip_ok: Default::default(),
            l4_ok: Default::default(),
            rec_d: Default::default(),
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
            beat_cnt,
            a_jw,
            a_ipm_hi,
            a_ipm_lo,
            a_b0,
            a_b1,
            a_b2,
            a_b3,
            a_ge2,
            jw2_cnt,
            prev_lo16,
            prev_rlo,
            f_t0,
            f_tci,
            f_t1,
            f_vlan,
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
            l4_w0,
            l4_w1,
            l4_w2,
            l4_w3,
            f_armed,
            f_hdr_words,
            f_l4off,
            f_raw_start,
            f_lim_w,
            f_lim_l4,
            f_geom,
            f_walk,
            f_npos,
            f_ntype,
            f_walk_bad,
            f_frag6,
            f_l4found,
            f_l4proto,
            ext_acc,
            f_ip_end,
            f_j0l,
            f_user,
            f_len,
            ip_acc,
            l4_acc,
            c_go,
            rec_c,
            c_ipsum,
            c_l4sum,
            c_cand,
            d_go,
            rec_d,
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
        self.meta_fifo.data_in.next = self.rec_d.q.val();

        // ---------------- Stage A: register the accepted beat ----------------
        // The frame's VLAN flag as it will be when this beat reaches stage B: decided
        // from beat 1 (bytes 12-13, lanes 4-5) if stage B holds it now, else kept.
        self.vlan_now.next = self.f_vlan.q.val();
        if self.a_valid.q.val() & self.a_b1.q.val() {
            self.vlan_now.next = ((self.a_data.q.val().get_bits::<8>(32) == 0x81)
                & (self.a_data.q.val().get_bits::<8>(40) == 0x00))
                | ((self.a_data.q.val().get_bits::<8>(32) == 0x88)
                    & (self.a_data.q.val().get_bits::<8>(40) == 0xA8));
        }
        self.a_valid.d.next = self.s_tvalid.val() & self.s_tready.val();
        if self.s_tvalid.val() & self.s_tready.val() {
            self.a_data.d.next = self.s_tdata.val();
            self.a_keep.d.next = self.s_tkeep.val();
            self.a_last.d.next = self.s_tlast.val();
            self.a_user.d.next = self.s_tuser.val();
            self.a_beat.d.next = self.beat_cnt.q.val();
            // Realigned word index of the beat's hi slot, 2*beat - 4, kept as its own
            // counter so that no stage-B path starts with arithmetic on the beat number.
            self.a_jw.d.next = self.jw2_cnt.q.val() - 4;
            // IP-header word index of the hi and lo slots (2*beat - 4 - vlan, + 1).
            self.a_ipm_hi.d.next =
                self.jw2_cnt.q.val() - 4 - bit_cast::<15, 1>(self.vlan_now.val().into());
            self.a_ipm_lo.d.next =
                self.jw2_cnt.q.val() - 3 - bit_cast::<15, 1>(self.vlan_now.val().into());
            // One-hot strobes of the first beats, decoded here rather than in stage B.
            self.a_b0.d.next = self.beat_cnt.q.val() == 0;
            self.a_b1.d.next = self.beat_cnt.q.val() == 1;
            self.a_b2.d.next = self.beat_cnt.q.val() == 2;
            self.a_b3.d.next = self.beat_cnt.q.val() == 3;
            self.a_ge2.d.next = self.beat_cnt.q.val() >= 2;
            if self.s_tlast.val() {
                self.beat_cnt.d.next = 0.into();
                self.jw2_cnt.d.next = 0.into();
            } else if self.beat_cnt.q.val() != 16383 {
                self.beat_cnt.d.next = self.beat_cnt.q.val() + 1;
                self.jw2_cnt.d.next = self.jw2_cnt.q.val() + 2;
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
        self.ipv.next = self.rv.val();
        if self.f_vlan.q.val() {
            self.ipv.next = self.sv.val();
        }
        self.t0_now.next = self.be.val().get_bits::<16>(16);
        self.rhi.next = self.rv.val().get_bits::<32>(32);
        self.rlo.next = self.rv.val().get_bits::<32>(0);

        // IP pair 0 (IP words 0-1 in the S/R view) is at beat 2 + vlan.
        self.ip_q0.next = self.a_b2.q.val();
        if self.f_vlan.q.val() {
            self.ip_q0.next = self.a_b3.q.val();
        }
        // Word slots: R holds realigned words 2(B-2) (hi) and 2(B-2)+1 (lo) at beat B,
        // where realigned word j starts at frame byte 14+4j. Each header word is taken
        // from the slot in the beat where it completes, so a frame that ends right
        // after a header word still has it.
        self.b_ge2.next = self.a_ge2.q.val();
        self.jw_hi.next = self.a_jw.q.val();
        self.jw_lo.next = self.jw_hi.val() + 1;
        self.ipm_hi.next = self.a_ipm_hi.q.val();
        self.ipm_lo.next = self.a_ipm_lo.q.val();
        self.ip_hi_ok.next = self.b_ge2.val() & (self.ipm_hi.val() < 16);
        self.ip_lo_ok.next = self.b_ge2.val() & (self.ipm_lo.val() < 16);
        self.l4m_hi.next = self.jw_hi.val() - self.f_j0l.q.val();
        self.l4m_lo.next = self.l4m_hi.val() + 1;
        self.l4_hi_ok.next = self.b_ge2.val() & self.f_armed.q.val() & (self.l4m_hi.val() < 4);
        self.l4_lo_ok.next = self.b_ge2.val() & self.f_armed.q.val() & (self.l4m_lo.val() < 4);

        // Decode of IP pair 0 (used at the ip_q0 beat).
        self.eth_eff.next = self.f_t0.q.val();
        self.l3_now.next = 14.into();
        if self.f_vlan.q.val() {
            self.eth_eff.next = self.f_t1.q.val();
            self.l3_now.next = 18.into();
        }
        self.is_v6_now.next = self.eth_eff.val() == 0x86DD;
        self.hdr_words_now.next = bit_cast::<5, 4>(self.ipv.val().get_bits::<4>(56));
        if self.is_v6_now.val() {
            self.hdr_words_now.next = 10.into();
        }
        self.j0l_now.next = bit_cast::<15, 5>(self.hdr_words_now.val())
            + bit_cast::<15, 1>(self.f_vlan.q.val().into());
        self.nh_now.next = self.ipv.val().get_bits::<8>(8);
        self.nh_walk.next = (self.nh_now.val() == 0)
            | (self.nh_now.val() == 43)
            | (self.nh_now.val() == 51)
            | (self.nh_now.val() == 60)
            | (self.nh_now.val() == 135)
            | (self.nh_now.val() == 139)
            | (self.nh_now.val() == 140)
            | (self.nh_now.val() == 253)
            | (self.nh_now.val() == 254);
        self.ip_end_now.next = bit_cast::<17, 8>(self.l3_now.val())
            + bit_cast::<17, 16>(self.ipv.val().get_bits::<16>(32));
        if self.is_v6_now.val() {
            self.ip_end_now.next = bit_cast::<17, 8>(self.l3_now.val())
                + 40
                + bit_cast::<17, 16>(self.ipv.val().get_bits::<16>(16));
        }

        self.lim_w_now.next = self.ip_end_now.val() - 22;
        self.lim_l4_now.next = self.ip_end_now.val() - 14;

        // IPv6 extension-header walker: when the slot holding the first word of the
        // header under examination (realigned word f_npos) completes, read its next
        // header and length. Every extension header is at least 2 words long, so the
        // next one is never in the same beat.
        self.wk_hit_hi.next =
            self.f_walk.q.val() & self.b_ge2.val() & (self.jw_hi.val() == self.f_npos.q.val());
        self.wk_hit.next = self.wk_hit_hi.val()
            | (self.f_walk.q.val() & self.b_ge2.val() & (self.jw_lo.val() == self.f_npos.q.val()));
        self.wk_word.next = self.rlo.val();
        if self.wk_hit_hi.val() {
            self.wk_word.next = self.rhi.val();
        }
        self.wk_t.next = self.wk_word.val().get_bits::<8>(24);
        self.wk_size.next = (bit_cast::<15, 8>(self.wk_word.val().get_bits::<8>(16)) + 1) << 1;
        if self.f_ntype.q.val() == 51 {
            self.wk_size.next = bit_cast::<15, 8>(self.wk_word.val().get_bits::<8>(16)) + 2;
        }
        self.wk_newpos.next = self.f_npos.q.val() + self.wk_size.val();
        self.wk_newbyte.next = (bit_cast::<17, 15>(self.wk_newpos.val()) << 2) + 14;
        self.wk_walk.next = (self.wk_t.val() == 0)
            | (self.wk_t.val() == 43)
            | (self.wk_t.val() == 51)
            | (self.wk_t.val() == 60)
            | (self.wk_t.val() == 135)
            | (self.wk_t.val() == 139)
            | (self.wk_t.val() == 140)
            | (self.wk_t.val() == 253)
            | (self.wk_t.val() == 254);
        // Words of the extension headers (realigned index from the end of the fixed
        // IPv6 header up to the L4 header), summed to be taken out of the L4 sum.
        self.ext_hi.next = self.is_v6_now.val()
            & self.f_geom.q.val()
            & self.b_ge2.val()
            & (self.ipm_hi.val() >= 10)
            & (self.f_walk.q.val() | (self.jw_hi.val() < self.f_j0l.q.val()));
        self.ext_lo.next = self.is_v6_now.val()
            & self.f_geom.q.val()
            & self.b_ge2.val()
            & (self.ipm_lo.val() >= 10)
            & (self.f_walk.q.val() | (self.jw_lo.val() < self.f_j0l.q.val()));
        self.ext_hi_v.next = 0.into();
        if self.ext_hi.val() {
            self.ext_hi_v.next = bit_cast::<32, 16>(self.rhi.val().get_bits::<16>(16))
                + bit_cast::<32, 16>(self.rhi.val().get_bits::<16>(0));
        }
        self.ext_lo_v.next = 0.into();
        if self.ext_lo.val() {
            self.ext_lo_v.next = bit_cast::<32, 16>(self.rlo.val().get_bits::<16>(16))
                + bit_cast::<32, 16>(self.rlo.val().get_bits::<16>(0));
        }

        // L4 byte-lane mask: lanes inside [f_l4off, f_ip_end) of this beat.
        self.smask.next = 0.into();
        if self.a_beat.q.val() > self.f_raw_start.q.val().get_bits::<14>(3) {
            self.smask.next = 0xFF.into();
        }
        if self.a_beat.q.val() == self.f_raw_start.q.val().get_bits::<14>(3) {
            self.smask.next = bits::<8>(0xFF) << self.f_raw_start.q.val().get_bits::<3>(0);
        }
        self.emask.next = 0.into();
        if self.a_beat.q.val() < self.f_ip_end.q.val().get_bits::<14>(3) {
            self.emask.next = 0xFF.into();
        }
        if self.a_beat.q.val() == self.f_ip_end.q.val().get_bits::<14>(3) {
            self.emask.next = !(bits::<8>(0xFF) << self.f_ip_end.q.val().get_bits::<3>(0));
        }
        self.lmask.next = 0.into();
        if self.f_geom.q.val() {
            self.lmask.next = self.smask.val() & self.emask.val();
        }
        // Masked bytes, placed as the high (even lane) or low (odd lane) byte of a word.
        self.mb0.next = 0.into();
        self.mb1.next = 0.into();
        self.mb2.next = 0.into();
        self.mb3.next = 0.into();
        self.mb4.next = 0.into();
        self.mb5.next = 0.into();
        self.mb6.next = 0.into();
        self.mb7.next = 0.into();
        if self.lmask.val().get_bit(0) {
            self.mb0.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(56)) << 8;
        }
        if self.lmask.val().get_bit(1) {
            self.mb1.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(48));
        }
        if self.lmask.val().get_bit(2) {
            self.mb2.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(40)) << 8;
        }
        if self.lmask.val().get_bit(3) {
            self.mb3.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(32));
        }
        if self.lmask.val().get_bit(4) {
            self.mb4.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(24)) << 8;
        }
        if self.lmask.val().get_bit(5) {
            self.mb5.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(16));
        }
        if self.lmask.val().get_bit(6) {
            self.mb6.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(8)) << 8;
        }
        if self.lmask.val().get_bit(7) {
            self.mb7.next = bit_cast::<32, 8>(self.be.val().get_bits::<8>(0));
        }

        // Pseudo-header address words (IPv4 words 3-4, IPv6 words 2-9) and IPv4
        // header words (0-4 always, then while below IHL), per slot.
        self.ph_hi.next = false;
        self.ph_lo.next = false;
        if self.is_v6_now.val() {
            self.ph_hi.next =
                self.ip_hi_ok.val() & (self.ipm_hi.val() >= 2) & (self.ipm_hi.val() <= 9);
            self.ph_lo.next =
                self.ip_lo_ok.val() & (self.ipm_lo.val() >= 2) & (self.ipm_lo.val() <= 9);
        } else {
            self.ph_hi.next =
                self.ip_hi_ok.val() & ((self.ipm_hi.val() == 3) | (self.ipm_hi.val() == 4));
            self.ph_lo.next =
                self.ip_lo_ok.val() & ((self.ipm_lo.val() == 3) | (self.ipm_lo.val() == 4));
        }
        self.ih_hi.next = self.ip_hi_ok.val()
            & (self.ipm_hi.val() < 15)
            & ((self.ipm_hi.val() < 5)
                | (self.ipm_hi.val() < bit_cast::<15, 5>(self.f_hdr_words.q.val())));
        self.ih_lo.next = self.ip_lo_ok.val()
            & (self.ipm_lo.val() < 15)
            & ((self.ipm_lo.val() < 5)
                | (self.ipm_lo.val() < bit_cast::<15, 5>(self.f_hdr_words.q.val())));
        self.raw_add.next = self.mb0.val()
            + self.mb1.val()
            + self.mb2.val()
            + self.mb3.val()
            + self.mb4.val()
            + self.mb5.val()
            + self.mb6.val()
            + self.mb7.val();
        self.ph_hi_v.next = 0.into();
        if self.ph_hi.val() {
            self.ph_hi_v.next = bit_cast::<32, 16>(self.rhi.val().get_bits::<16>(16))
                + bit_cast::<32, 16>(self.rhi.val().get_bits::<16>(0));
        }
        self.ph_lo_v.next = 0.into();
        if self.ph_lo.val() {
            self.ph_lo_v.next = bit_cast::<32, 16>(self.rlo.val().get_bits::<16>(16))
                + bit_cast::<32, 16>(self.rlo.val().get_bits::<16>(0));
        }
        self.l4_add.next = self.raw_add.val() + self.ph_hi_v.val() + self.ph_lo_v.val();
        self.ih_hi_v.next = 0.into();
        if self.ih_hi.val() {
            self.ih_hi_v.next = bit_cast::<24, 16>(self.rhi.val().get_bits::<16>(16))
                + bit_cast::<24, 16>(self.rhi.val().get_bits::<16>(0));
        }
        self.ih_lo_v.next = 0.into();
        if self.ih_lo.val() {
            self.ih_lo_v.next = bit_cast::<24, 16>(self.rlo.val().get_bits::<16>(16))
                + bit_cast::<24, 16>(self.rlo.val().get_bits::<16>(0));
        }
        self.ip_add.next = self.ih_hi_v.val() + self.ih_lo_v.val();

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

        // ---------------- Stage B: per-frame state updates ----------------
        self.c_go.d.next = self.a_valid.q.val() & self.a_last.q.val();
        if self.a_valid.q.val() {
            self.prev_lo16.d.next = self.be.val().get_bits::<16>(0);
            self.prev_rlo.d.next = self.rv.val().get_bits::<32>(0);
            if self.a_b0.q.val() {
                self.ip_acc.d.next = self.ip_add.val();
                self.l4_acc.d.next = self.l4_add.val();
                self.ext_acc.d.next = self.ext_hi_v.val() + self.ext_lo_v.val();
                self.f_user.d.next = self.a_user.q.val();
            } else {
                self.ip_acc.d.next = self.ip_acc.q.val() + self.ip_add.val();
                self.l4_acc.d.next = self.l4_acc.q.val() + self.l4_add.val();
                self.ext_acc.d.next =
                    self.ext_acc.q.val() + self.ext_hi_v.val() + self.ext_lo_v.val();
                self.f_user.d.next = self.f_user.q.val() | self.a_user.q.val();
            }
            if self.a_b1.q.val() {
                self.f_t0.d.next = self.t0_now.val();
                self.f_tci.d.next = self.be.val().get_bits::<16>(0);
                self.f_vlan.d.next = (self.t0_now.val() == 0x8100) | (self.t0_now.val() == 0x88A8);
            }
            if self.a_b2.q.val() {
                self.f_t1.d.next = self.be.val().get_bits::<16>(48);
            }
            // IP pair 0 (words 0-1, through the S/R view): header geometry.
            if self.ip_q0.val() {
                self.f_geom.d.next = true;
                self.f_hdr_words.d.next = self.hdr_words_now.val();
                self.f_ip_end.d.next = self.ip_end_now.val();
                // Walker limits in realigned words (word j starts at byte 14 + 4j): an
                // extension header at word p fits when 4p + 14 + 8 <= ip_end, an L4 header
                // starts inside the payload when 4p + 14 <= ip_end.
                self.f_lim_w.d.next = self.lim_w_now.val().get_bits::<15>(2);
                self.f_lim_l4.d.next = self.lim_l4_now.val().get_bits::<15>(2);
                self.f_walk.d.next = false;
                self.f_walk_bad.d.next = false;
                self.f_frag6.d.next = false;
                self.f_l4found.d.next = false;
                self.f_armed.d.next = false;
                self.f_raw_start.d.next = bit_cast::<17, 8>(self.l3_now.val())
                    + (bit_cast::<17, 5>(self.hdr_words_now.val()) << 2);
                if self.is_v6_now.val() & self.nh_walk.val() {
                    if self.ipv.val().get_bits::<16>(16) < 8 {
                        self.f_walk_bad.d.next = true;
                    } else {
                        self.f_walk.d.next = true;
                        self.f_npos.d.next = self.j0l_now.val();
                        self.f_ntype.d.next = self.nh_now.val();
                    }
                } else if self.is_v6_now.val() & (self.nh_now.val() == 44) {
                    if self.ipv.val().get_bits::<16>(16) < 8 {
                        self.f_walk_bad.d.next = true;
                    } else {
                        self.f_frag6.d.next = true;
                    }
                } else {
                    self.f_armed.d.next = true;
                    self.f_l4found.d.next = true;
                    self.f_j0l.d.next = self.j0l_now.val();
                    self.f_l4off.d.next = bit_cast::<17, 8>(self.l3_now.val())
                        + (bit_cast::<17, 5>(self.hdr_words_now.val()) << 2);
                    self.f_l4proto.d.next = self.nh_now.val();
                }
            }
            if self.wk_hit.val() {
                if self.wk_walk.val() {
                    if self.wk_newpos.val() > self.f_lim_w.q.val() {
                        self.f_walk.d.next = false;
                        self.f_walk_bad.d.next = true;
                    } else {
                        self.f_npos.d.next = self.wk_newpos.val();
                        self.f_ntype.d.next = self.wk_t.val();
                    }
                } else {
                    self.f_walk.d.next = false;
                    if self.wk_t.val() == 44 {
                        if self.wk_newpos.val() > self.f_lim_w.q.val() {
                            self.f_walk_bad.d.next = true;
                        } else {
                            self.f_frag6.d.next = true;
                        }
                    } else if self.wk_newpos.val() > self.f_lim_l4.q.val() {
                        self.f_walk_bad.d.next = true;
                    } else {
                        self.f_armed.d.next = true;
                        self.f_l4found.d.next = true;
                        self.f_j0l.d.next = self.wk_newpos.val();
                        self.f_l4off.d.next = self.wk_newbyte.val();
                        self.f_l4proto.d.next = self.wk_t.val();
                    }
                }
            }
            // Header words, from the slot where each completes.
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 0) {
                self.ip_w0.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 0) {
                self.ip_w0.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 1) {
                self.ip_w1.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 1) {
                self.ip_w1.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 2) {
                self.ip_w2.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 2) {
                self.ip_w2.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 3) {
                self.ip_w3.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 3) {
                self.ip_w3.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 4) {
                self.ip_w4.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 4) {
                self.ip_w4.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 5) {
                self.ip_w5.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 5) {
                self.ip_w5.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 6) {
                self.ip_w6.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 6) {
                self.ip_w6.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 7) {
                self.ip_w7.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 7) {
                self.ip_w7.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 8) {
                self.ip_w8.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 8) {
                self.ip_w8.d.next = self.rlo.val();
            }
            if self.ip_hi_ok.val() & (self.ipm_hi.val() == 9) {
                self.ip_w9.d.next = self.rhi.val();
            }
            if self.ip_lo_ok.val() & (self.ipm_lo.val() == 9) {
                self.ip_w9.d.next = self.rlo.val();
            }
            if self.l4_hi_ok.val() & (self.l4m_hi.val() == 0) {
                self.l4_w0.d.next = self.rhi.val();
            }
            if self.l4_lo_ok.val() & (self.l4m_lo.val() == 0) {
                self.l4_w0.d.next = self.rlo.val();
            }
            if self.l4_hi_ok.val() & (self.l4m_hi.val() == 1) {
                self.l4_w1.d.next = self.rhi.val();
            }
            if self.l4_lo_ok.val() & (self.l4m_lo.val() == 1) {
                self.l4_w1.d.next = self.rlo.val();
            }
            if self.l4_hi_ok.val() & (self.l4m_hi.val() == 2) {
                self.l4_w2.d.next = self.rhi.val();
            }
            if self.l4_lo_ok.val() & (self.l4m_lo.val() == 2) {
                self.l4_w2.d.next = self.rlo.val();
            }
            if self.l4_hi_ok.val() & (self.l4m_hi.val() == 3) {
                self.l4_w3.d.next = self.rhi.val();
            }
            if self.l4_lo_ok.val() & (self.l4m_lo.val() == 3) {
                self.l4_w3.d.next = self.rlo.val();
            }
            if self.a_last.q.val() {
                self.f_armed.d.next = false;
                self.f_geom.d.next = false;
                self.f_walk.d.next = false;
                self.f_len.d.next =
                    (bit_cast::<17, 14>(self.a_beat.q.val()) << 3) + self.nbytes.val();
            }
        }

        // ---------------- Stage C: derive the record from the frame state ----------------
        self.n.next = self.f_len.q.val();
        self.has_eth.next = self.n.val() >= 14;
        self.l2_ok.next = self.has_eth.val() & (!self.f_vlan.q.val() | (self.n.val() >= 18));
        self.eth_type.next = self.f_t0.q.val();
        self.l3.next = 14.into();
        if self.f_vlan.q.val() {
            self.eth_type.next = self.f_t1.q.val();
            self.l3.next = 18.into();
        }
        self.qinq.next = self.l2_ok.val()
            & self.f_vlan.q.val()
            & ((self.f_t0.q.val() == 0x88A8)
                | (self.f_t1.q.val() == 0x8100)
                | (self.f_t1.q.val() == 0x88A8));
        self.ip4.next = self.l2_ok.val() & !self.qinq.val() & (self.eth_type.val() == 0x0800);
        self.ip6.next = self.l2_ok.val() & !self.qinq.val() & (self.eth_type.val() == 0x86DD);
        self.end_fit.next = self.f_ip_end.q.val() <= self.n.val();
        // IPv4
        self.ihl.next = bit_cast::<17, 4>(self.ip_w0.q.val().get_bits::<4>(24)) << 2;
        self.fix4.next = self.ip4.val() & (self.n.val() >= self.l3.val() + 20);
        self.valid4.next = self.fix4.val() & (self.ip_w0.q.val().get_bits::<4>(28) == 4);
        self.ihl_bad.next = self.valid4.val() & (self.ihl.val() < 20);
        self.csum4.next = self.valid4.val()
            & !self.ihl_bad.val()
            & (self.n.val() >= self.l3.val() + self.ihl.val());
        self.tot_bad.next = self.csum4.val()
            & (bit_cast::<17, 16>(self.ip_w0.q.val().get_bits::<16>(0)) < self.ihl.val());
        self.frag4.next =
            self.ip_w1.q.val().get_bit(13) | (self.ip_w1.q.val().get_bits::<13>(0) != 0);
        // IPv6
        self.fix6.next = self.ip6.val() & (self.n.val() >= self.l3.val() + 40);
        self.valid6.next = self.fix6.val() & (self.ip_w0.q.val().get_bits::<4>(28) == 6);
        self.nh.next = self.ip_w1.q.val().get_bits::<8>(8);
        self.ext6.next = (self.nh.val() == 0)
            | (self.nh.val() == 43)
            | (self.nh.val() == 44)
            | (self.nh.val() == 50)
            | (self.nh.val() == 51)
            | (self.nh.val() == 60)
            | (self.nh.val() == 135)
            | (self.nh.val() == 139)
            | (self.nh.val() == 140)
            | (self.nh.val() == 253)
            | (self.nh.val() == 254);
        // L4
        self.l4go.next =
            (self.csum4.val() & !self.tot_bad.val() & self.end_fit.val() & !self.frag4.val())
                | (self.valid6.val() & self.end_fit.val() & self.f_l4found.q.val());
        self.proto.next = self.ip_w2.q.val().get_bits::<8>(16);
        if self.ip6.val() {
            self.proto.next = self.nh.val();
        }
        self.l4p.next = self.ip_w2.q.val().get_bits::<8>(16);
        if self.ip6.val() {
            self.l4p.next = self.f_l4proto.q.val();
        }
        self.l4_len.next = self.f_ip_end.q.val() - self.f_l4off.q.val();
        self.is_tcp.next = self.l4p.val() == 6;
        self.is_udp.next = self.l4p.val() == 17;
        self.tcp_ok.next = self.l4go.val() & self.is_tcp.val() & (self.l4_len.val() >= 20);
        self.ports_ok.next =
            self.tcp_ok.val() | (self.l4go.val() & self.is_udp.val() & (self.l4_len.val() >= 8));
        self.thl.next = bit_cast::<17, 4>(self.l4_w3.q.val().get_bits::<4>(28)) << 2;
        self.tcp_hdr_bad.next =
            self.tcp_ok.val() & ((self.thl.val() < 20) | (self.thl.val() > self.l4_len.val()));
        self.udp_hdr_bad.next = self.ports_ok.val()
            & self.is_udp.val()
            & (bit_cast::<17, 16>(self.l4_w1.q.val().get_bits::<16>(16)) != self.l4_len.val());
        self.pay_ok.next = (self.tcp_ok.val() & !self.tcp_hdr_bad.val())
            | (self.ports_ok.val() & self.is_udp.val() & !self.udp_hdr_bad.val());
        self.hdr_l4.next = 8.into();
        if self.is_tcp.val() {
            self.hdr_l4.next = self.thl.val();
        }
        self.pay_len.next = self.l4_len.val() - self.hdr_l4.val();
        self.pay_off.next = self.f_l4off.q.val() + self.hdr_l4.val();
        // Extension-header words were summed with the L4 bytes; take them out.
        self.ef1.next = bit_cast::<32, 16>(self.ext_acc.q.val().get_bits::<16>(0))
            + bit_cast::<32, 16>(self.ext_acc.q.val().get_bits::<16>(16));
        self.ef2.next = bit_cast::<32, 16>(self.ef1.val().get_bits::<16>(0))
            + bit_cast::<32, 16>(self.ef1.val().get_bits::<16>(16));
        // (complement in a 16-bit signal: Verilog would widen before negating)
        self.ext_cpl.next = !self.ef2.val().get_bits::<16>(0);
        self.ext_neg.next = 0.into();
        if self.ip6.val() {
            self.ext_neg.next = bit_cast::<32, 16>(self.ext_cpl.val());
        }
        // Errors
        self.err_runt.next = self.n.val() < self.min_frame_len.val();
        self.err_trunc.next = !self.has_eth.val()
            | (self.has_eth.val() & self.f_vlan.q.val() & (self.n.val() < 18))
            | (self.ip4.val() & !self.fix4.val())
            | (self.valid4.val() & !self.ihl_bad.val() & !self.csum4.val())
            | (self.csum4.val() & !self.tot_bad.val() & !self.end_fit.val())
            | (self.ip6.val() & !self.fix6.val())
            | (self.valid6.val() & !self.end_fit.val());
        self.err_bad_ip.next = (self.fix4.val() & !self.valid4.val())
            | self.ihl_bad.val()
            | self.tot_bad.val()
            | (self.fix6.val() & !self.valid6.val())
            | (self.valid6.val() & self.end_fit.val() & self.f_walk_bad.q.val());
        self.err_bad_l4.next = (self.l4go.val()
            & ((self.is_tcp.val() & (self.l4_len.val() < 20))
                | (self.is_udp.val() & (self.l4_len.val() < 8))))
            | self.tcp_hdr_bad.val()
            | self.udp_hdr_bad.val();

        self.d_go.d.next = self.c_go.q.val();
        if self.c_go.q.val() {
            self.rec_c.d.next.frame_len = self.n.val();
            self.rec_c.d.next.eth_valid = self.l2_ok.val().into();
            self.rec_c.d.next.eth_type = self.eth_type.val();
            self.rec_c.d.next.vlan_valid = (self.l2_ok.val() & self.f_vlan.q.val()).into();
            self.rec_c.d.next.vlan_id = self.f_tci.q.val().get_bits::<12>(0);
            self.rec_c.d.next.qinq = self.qinq.val().into();
            self.rec_c.d.next.ip4 = self.ip4.val().into();
            self.rec_c.d.next.ip6 = self.ip6.val().into();
            self.rec_c.d.next.ip_valid = (self.valid4.val() | self.valid6.val()).into();
            self.rec_c.d.next.ip_proto = self.proto.val();
            if self.ip6.val() {
                self.rec_c.d.next.ip_hdr_len = 40.into();
                self.rec_c.d.next.ip_options = self.ext6.val().into();
                self.rec_c.d.next.fragment =
                    ((self.nh.val() == 44) | (self.f_frag6.q.val() & self.end_fit.val())).into();
                self.rec_c.d.next.src_ip = (bit_cast::<128, 32>(self.ip_w2.q.val()) << 96)
                    | (bit_cast::<128, 32>(self.ip_w3.q.val()) << 64)
                    | (bit_cast::<128, 32>(self.ip_w4.q.val()) << 32)
                    | bit_cast::<128, 32>(self.ip_w5.q.val());
                self.rec_c.d.next.dst_ip = (bit_cast::<128, 32>(self.ip_w6.q.val()) << 96)
                    | (bit_cast::<128, 32>(self.ip_w7.q.val()) << 64)
                    | (bit_cast::<128, 32>(self.ip_w8.q.val()) << 32)
                    | bit_cast::<128, 32>(self.ip_w9.q.val());
            } else {
                self.rec_c.d.next.ip_hdr_len = self.ihl.val().get_bits::<8>(0);
                self.rec_c.d.next.ip_options = (self.ihl.val() > 20).into();
                self.rec_c.d.next.fragment = self.frag4.val().into();
                self.rec_c.d.next.src_ip = bit_cast::<128, 32>(self.ip_w3.q.val());
                self.rec_c.d.next.dst_ip = bit_cast::<128, 32>(self.ip_w4.q.val());
            }
            self.rec_c.d.next.ip_csum_checked = self.csum4.val().into();
            self.rec_c.d.next.l4_valid = self.l4go.val().into();
            self.rec_c.d.next.l4_tcp = self.is_tcp.val().into();
            self.rec_c.d.next.l4_udp = self.is_udp.val().into();
            self.rec_c.d.next.ports_valid = self.ports_ok.val().into();
            self.rec_c.d.next.src_port = self.l4_w0.q.val().get_bits::<16>(16);
            self.rec_c.d.next.dst_port = self.l4_w0.q.val().get_bits::<16>(0);
            self.rec_c.d.next.tcp_valid = self.tcp_ok.val().into();
            self.rec_c.d.next.tcp_seq = self.l4_w1.q.val();
            self.rec_c.d.next.tcp_ack = self.l4_w2.q.val();
            self.rec_c.d.next.tcp_flags = self.l4_w3.q.val().get_bits::<12>(16);
            self.rec_c.d.next.tcp_hdr_len = self.thl.val().get_bits::<8>(0);
            self.rec_c.d.next.tcp_options = (self.thl.val() > 20).into();
            self.rec_c.d.next.payload_valid = self.pay_ok.val().into();
            self.rec_c.d.next.payload_offset = self.pay_off.val().get_bits::<16>(0);
            self.rec_c.d.next.payload_len = self.pay_len.val().get_bits::<16>(0);
            self.rec_c.d.next.l4_csum_checked = (self.ports_ok.val()
                & (self.is_tcp.val() | (self.l4_w1.q.val().get_bits::<16>(0) != 0)))
                .into();
            self.rec_c.d.next.err_mac = self.f_user.q.val().into();
            self.rec_c.d.next.err_runt = self.err_runt.val().into();
            self.rec_c.d.next.err_truncated = self.err_trunc.val().into();
            self.rec_c.d.next.err_bad_ip_header = self.err_bad_ip.val().into();
            self.rec_c.d.next.err_bad_l4_header = self.err_bad_l4.val().into();
            self.c_ipsum.d.next = self.ip_acc.q.val();
            self.c_l4sum.d.next = self.l4_acc.q.val()
                + bit_cast::<32, 8>(self.l4p.val())
                + bit_cast::<32, 17>(self.l4_len.val())
                + self.ext_neg.val();
            self.c_cand.d.next = self.tcp_ok.val()
                & self.pay_ok.val()
                & !self.f_user.q.val()
                & !self.err_runt.val()
                & !self.err_trunc.val()
                & !self.err_bad_ip.val()
                & !self.err_bad_l4.val()
                & !(self.ip6.val() & self.ext6.val())
                & ((self.l4_w3.q.val().get_bits::<8>(16) & 0x27) == 0);
        }

        // ---------------- Stage D: fold checksums, decide candidate ----------------
        self.ipf1.next = bit_cast::<24, 16>(self.c_ipsum.q.val().get_bits::<16>(0))
            + bit_cast::<24, 8>(self.c_ipsum.q.val().get_bits::<8>(16));
        self.ipf2.next = bit_cast::<24, 16>(self.ipf1.val().get_bits::<16>(0))
            + bit_cast::<24, 8>(self.ipf1.val().get_bits::<8>(16));
        self.l4f1.next = bit_cast::<32, 16>(self.c_l4sum.q.val().get_bits::<16>(0))
            + bit_cast::<32, 16>(self.c_l4sum.q.val().get_bits::<16>(16));
        self.l4f2.next = bit_cast::<32, 16>(self.l4f1.val().get_bits::<16>(0))
            + bit_cast::<32, 16>(self.l4f1.val().get_bits::<16>(16));
        self.ip_ok.next = self.ipf2.val() == 0xFFFF;
        self.l4_ok.next = self.l4f2.val() == 0xFFFF;
        self.e_go.d.next = self.d_go.q.val();
        if self.d_go.q.val() {
            self.rec_d.d.next = self.rec_c.q.val();
            self.rec_d.d.next.ip_csum_ok = self.ip_ok.val().into();
            self.rec_d.d.next.l4_csum_ok = self.l4_ok.val().into();
            self.rec_d.d.next.candidate = (self.c_cand.q.val()
                & self.l4_ok.val()
                & (!self.rec_c.q.val().ip_csum_checked.any() | self.ip_ok.val()))
            .into();
        }

        // ---------------- Reset ----------------
        if self.reset.val() {
            self.a_valid.d.next = false;
            self.beat_cnt.d.next = 0.into();
            self.jw2_cnt.d.next = 0.into();
            self.f_armed.d.next = false;
            self.c_go.d.next = false;
            self.d_go.d.next = false;
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
