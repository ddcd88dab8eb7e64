//! Transmit frame generator (`AckGen`, I8, I9): builds a TCP frame from a connection's
//! header templates — a pure ACK, or a data segment whose payload streams in on
//! `s_pay_*` — and streams it out as an Ethernet frame, IPv4 header checksum and TCP
//! checksum (with the pseudo-header, IPv4 or IPv6, and the payload's sum) computed in
//! hardware. The layout is the one `host_model::rcv::tcp_frame_bytes` builds with
//! etherparse:
//! - Ethernet II: destination `dst_mac`, source `src_mac` (48-bit numbers, bits
//!   `[47:40]` first on the wire); with `vlan`, an 802.1Q tag (`vlan_tci` = PCP, DEI 0,
//!   VID) before the EtherType (0x0800 or 0x86DD);
//! - IPv4: version 4, IHL 5, TOS `tos`, total length 40 + `plen`, ID `ip_id`, DF, TTL
//!   `ttl`, protocol 6, header checksum, `local_ip` → `remote_ip` (low 32 bits); or
//!   IPv6: traffic class `tos`, flow label, payload length 20 + `plen`, next header 6,
//!   hop limit `ttl`, `local_ip` → `remote_ip`;
//! - TCP: `local_port` → `remote_port`, `seq`, `ack`, data offset 5, flags ACK (and PSH
//!   with `psh`), `window`, checksum, urgent pointer 0, no options;
//! - the payload (`plen` bytes), then zero padding to 60 bytes.
//!
//! # Interface
//! A request (`s_*` fields, `s_valid` / `s_ready`) carries the header fields, `plen` and
//! `psum`, the payload's ones'-complement sum of big-endian 16-bit words (an odd last
//! byte padded with a zero byte; any fold of it, 0 for no payload). The payload comes on
//! `s_pay_*` (64-bit beats, payload byte 0 in lane 0, full beats but the last; lanes
//! outside `tkeep` are ignored), `ceil(plen / 8)` beats per request, in request order.
//! The header is prepared in four clocks (three stages of short adder trees), while the
//! frame before it is still leaving; frames leave on `m_axis_*` (lane 0 first on the
//! wire) at one beat per clock, back to back: with the payload on time, no idle clock
//! between frames. The payload is shifted into place behind the header (54, 58, 74 or 78
//! bytes) as it passes, with no buffering.

use rust_hdl::prelude::*;

/// The header fields of a frame request, in port order: name (the Verilog port is
/// `<prefix><name>`), the block's port, width. A data segment's request adds `plen` and
/// `psum`.
pub const HDR_FIELDS: [(&str, &str, usize); 17] = [
    ("dst_mac", "s_dst_mac", 48),
    ("src_mac", "s_src_mac", 48),
    ("vlan", "s_vlan", 1),
    ("vlan_tci", "s_vlan_tci", 16),
    ("ipv6", "s_ipv6", 1),
    ("local_ip", "s_local_ip", 128),
    ("remote_ip", "s_remote_ip", 128),
    ("ttl", "s_ttl", 8),
    ("tos", "s_tos", 8),
    ("flow_label", "s_flow_label", 20),
    ("ip_id", "s_ip_id", 16),
    ("local_port", "s_local_port", 16),
    ("remote_port", "s_remote_port", 16),
    ("seq", "s_seq", 32),
    ("ack", "s_ack", 32),
    ("window", "s_window", 16),
    ("psh", "s_psh", 1),
];

/// Frame bytes the generator's shift register holds (the longest ACK frame is 78).
const FRAME_BITS: usize = 640;

/// Transmit frame generator, 64-bit stream.
#[derive(LogicBlock, Default)]
pub struct AckGen {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_dst_mac: Signal<In, Bits<48>>,
    pub s_src_mac: Signal<In, Bits<48>>,
    pub s_vlan: Signal<In, Bit>,
    pub s_vlan_tci: Signal<In, Bits<16>>,
    pub s_ipv6: Signal<In, Bit>,
    pub s_local_ip: Signal<In, Bits<128>>,
    pub s_remote_ip: Signal<In, Bits<128>>,
    pub s_ttl: Signal<In, Bits<8>>,
    pub s_tos: Signal<In, Bits<8>>,
    pub s_flow_label: Signal<In, Bits<20>>,
    pub s_ip_id: Signal<In, Bits<16>>,
    pub s_local_port: Signal<In, Bits<16>>,
    pub s_remote_port: Signal<In, Bits<16>>,
    pub s_seq: Signal<In, Bits<32>>,
    pub s_ack: Signal<In, Bits<32>>,
    pub s_window: Signal<In, Bits<16>>,
    pub s_psh: Signal<In, Bit>,
    pub s_plen: Signal<In, Bits<12>>,
    pub s_psum: Signal<In, Bits<16>>,
    pub s_valid: Signal<In, Bit>,
    pub s_ready: Signal<Out, Bit>,
    pub s_pay_tdata: Signal<In, Bits<64>>,
    pub s_pay_tkeep: Signal<In, Bits<8>>,
    pub s_pay_tvalid: Signal<In, Bit>,
    pub s_pay_tready: Signal<Out, Bit>,
    pub m_tdata: Signal<Out, Bits<64>>,
    pub m_tkeep: Signal<Out, Bits<8>>,
    pub m_tlast: Signal<Out, Bit>,
    pub m_tvalid: Signal<Out, Bit>,
    pub m_tready: Signal<In, Bit>,
    // The request, registered.
    r_dst_mac: DFF<Bits<48>>,
    r_src_mac: DFF<Bits<48>>,
    r_vlan: DFF<Bit>,
    r_vlan_tci: DFF<Bits<16>>,
    r_ipv6: DFF<Bit>,
    r_local_ip: DFF<Bits<128>>,
    r_remote_ip: DFF<Bits<128>>,
    r_ttl: DFF<Bits<8>>,
    r_tos: DFF<Bits<8>>,
    r_flow_label: DFF<Bits<20>>,
    r_ip_id: DFF<Bits<16>>,
    r_local_port: DFF<Bits<16>>,
    r_remote_port: DFF<Bits<16>>,
    r_seq: DFF<Bits<32>>,
    r_ack: DFF<Bits<32>>,
    r_window: DFF<Bits<16>>,
    r_psh: DFF<Bit>,
    r_plen: DFF<Bits<12>>,
    r_psum: DFF<Bits<16>>,
    /// 1: request registered; 2, 3: checksum stages; 4: checksums registered (the
    /// header is formed and handed on when there is room); 0: free.
    stage: DFF<Bits<3>>,
    sum_l: DFF<Bits<32>>,
    sum_r: DFF<Bits<32>>,
    sum_ip: DFF<Bits<32>>,
    sum_tcp: DFF<Bits<32>>,
    ip_raw: DFF<Bits<32>>,
    tcp_raw: DFF<Bits<32>>,
    ip_csum: DFF<Bits<16>>,
    tcp_csum: DFF<Bits<16>>,
    /// The request's frame shape, registered in stage 3 (off stage 4's path).
    sh_tot: DFF<Bits<12>>,
    sh_nb: DFF<Bits<9>>,
    sh_hb: DFF<Bits<4>>,
    sh_r6: DFF<Bit>,
    sh_npb: DFF<Bits<9>>,
    sh_keep: DFF<Bits<8>>,
    /// The next frame's header and shape, waiting for the current frame to leave.
    nxt_full: DFF<Bit>,
    nxt_frame: DFF<Bits<FRAME_BITS>>,
    nxt_nb: DFF<Bits<9>>,
    nxt_hb: DFF<Bits<4>>,
    nxt_r6: DFF<Bit>,
    nxt_npb: DFF<Bits<9>>,
    nxt_keep: DFF<Bits<8>>,
    /// The frame leaving: header (first byte in the top bits, shifted left one beat
    /// per beat sent), beats sent, beats in all (`nb`), full header beats (`hb`),
    /// header bytes in its last partial beat 6 (`r6`) or 2, payload beats (`npb`),
    /// `tkeep` of the last beat, payload lanes carried into the next beat.
    busy: DFF<Bit>,
    frame: DFF<Bits<FRAME_BITS>>,
    beat: DFF<Bits<9>>,
    nb: DFF<Bits<9>>,
    hb: DFF<Bits<4>>,
    r6: DFF<Bit>,
    npb: DFF<Bits<9>>,
    last_keep: DFF<Bits<8>>,
    carry: DFF<Bits<64>>,
    /// The beat leaving, decoded one clock ahead (off the path to the frame
    /// register's enable): a header beat, the header's last partial beat, a beat that
    /// takes a payload beat, the last beat.
    d_hdr: DFF<Bit>,
    d_first: DFF<Bit>,
    d_pay: DFF<Bit>,
    d_last: DFF<Bit>,
    // Combinational.
    lip: Signal<Local, Bits<128>>,
    rip: Signal<Local, Bits<128>>,
    addr_sum: Signal<Local, Bits<32>>,
    sum_l_n: Signal<Local, Bits<32>>,
    sum_r_n: Signal<Local, Bits<32>>,
    sum_ip_n: Signal<Local, Bits<32>>,
    sum_tcp_n: Signal<Local, Bits<32>>,
    fold_ip: Signal<Local, Bits<32>>,
    fold_tcp: Signal<Local, Bits<32>>,
    h: Signal<Local, Bits<FRAME_BITS>>,
    k8100: Signal<Local, Bits<16>>,
    ktype: Signal<Local, Bits<16>>,
    k16: Signal<Local, Bits<16>>,
    k32: Signal<Local, Bits<32>>,
    top: Signal<Local, Bits<64>>,
    lane_top: Signal<Local, Bits<64>>,
    // The shape of the formed frame.
    f_hlen: Signal<Local, Bits<12>>,
    f_tot: Signal<Local, Bits<12>>,
    f_tot7: Signal<Local, Bits<12>>,
    f_plen7: Signal<Local, Bits<12>>,
    f_nb: Signal<Local, Bits<9>>,
    f_hb: Signal<Local, Bits<4>>,
    f_r6: Signal<Local, Bit>,
    f_npb: Signal<Local, Bits<9>>,
    f_keep: Signal<Local, Bits<8>>,
    // The beat after the one leaving.
    beat1: Signal<Local, Bits<9>>,
    n_hdr: Signal<Local, Bit>,
    kk: Signal<Local, Bits<9>>,
    ff: Signal<Local, Bits<64>>,
    pmask: Signal<Local, Bits<64>>,
    pay: Signal<Local, Bits<64>>,
    base: Signal<Local, Bits<64>>,
    merged: Signal<Local, Bits<64>>,
    carry_n: Signal<Local, Bits<64>>,
    send: Signal<Local, Bit>,
    last_send: Signal<Local, Bit>,
    free: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
}

impl Logic for AckGen {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            r_dst_mac,
            r_src_mac,
            r_vlan,
            r_vlan_tci,
            r_ipv6,
            r_local_ip,
            r_remote_ip,
            r_ttl,
            r_tos,
            r_flow_label,
            r_ip_id,
            r_local_port,
            r_remote_port,
            r_seq,
            r_ack,
            r_window,
            r_psh,
            r_plen,
            r_psum,
            stage,
            sum_l,
            sum_r,
            sum_ip,
            sum_tcp,
            ip_raw,
            tcp_raw,
            ip_csum,
            tcp_csum,
            sh_tot,
            sh_nb,
            sh_hb,
            sh_r6,
            sh_npb,
            sh_keep,
            nxt_full,
            nxt_frame,
            nxt_nb,
            nxt_hb,
            nxt_r6,
            nxt_npb,
            nxt_keep,
            busy,
            frame,
            beat,
            nb,
            hb,
            r6,
            npb,
            last_keep,
            carry,
            d_hdr,
            d_first,
            d_pay,
            d_last
        );
        // Defaults (every combinational signal is assigned on every path).
        self.k8100.next = 0.into();
        self.ktype.next = 0.into();
        self.k16.next = 0.into();
        self.k32.next = 0.into();
        self.s_ready.next = false;
        self.take.next = false;
        self.f_keep.next = 0xFF.into();
        // ---- The beat leaving: header beats from the top of the frame register; from
        // the header's last (partial) beat on, the payload shifted in behind it.
        self.top.next = self.frame.q.val().get_bits::<64>(576);
        self.lane_top.next = (bit_cast::<64, 8>(self.top.val().get_bits::<8>(0)) << 56)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(8)) << 48)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(16)) << 40)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(24)) << 32)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(32)) << 24)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(40)) << 16)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(48)) << 8)
            | bit_cast::<64, 8>(self.top.val().get_bits::<8>(56));
        // The decode of the next beat, registered when this one leaves.
        self.beat1.next = self.beat.q.val() + 1;
        self.n_hdr.next = self.beat1.val() < bit_cast::<9, 4>(self.hb.q.val());
        self.kk.next = self.beat1.val() - bit_cast::<9, 4>(self.hb.q.val());
        self.ff.next = 0xFF.into();
        self.pmask.next = 0.into();
        if self.s_pay_tkeep.val().get_bit(0) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 0);
        }
        if self.s_pay_tkeep.val().get_bit(1) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 8);
        }
        if self.s_pay_tkeep.val().get_bit(2) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 16);
        }
        if self.s_pay_tkeep.val().get_bit(3) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 24);
        }
        if self.s_pay_tkeep.val().get_bit(4) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 32);
        }
        if self.s_pay_tkeep.val().get_bit(5) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 40);
        }
        if self.s_pay_tkeep.val().get_bit(6) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 48);
        }
        if self.s_pay_tkeep.val().get_bit(7) {
            self.pmask.next = self.pmask.val() | (self.ff.val() << 56);
        }
        self.pay.next = 0.into();
        if self.d_pay.q.val() {
            self.pay.next = self.s_pay_tdata.val() & self.pmask.val();
        }
        self.base.next = self.carry.q.val();
        if self.d_first.q.val() {
            self.base.next = self.lane_top.val();
        }
        if self.r6.q.val() {
            self.merged.next = (self.base.val() & !(self.ff.val() << 56) & !(self.ff.val() << 48))
                | (self.pay.val() << 48);
            self.carry_n.next = self.pay.val() >> 16;
        } else {
            self.merged.next = (self.base.val() & 0xFFFF) | (self.pay.val() << 16);
            self.carry_n.next = self.pay.val() >> 48;
        }
        self.m_tdata.next = self.merged.val();
        if self.d_hdr.q.val() {
            self.m_tdata.next = self.lane_top.val();
        }
        self.m_tvalid.next = self.busy.q.val() & (!self.d_pay.q.val() | self.s_pay_tvalid.val());
        self.m_tlast.next = self.d_last.q.val();
        self.m_tkeep.next = 0xFF.into();
        if self.m_tlast.val() {
            self.m_tkeep.next = self.last_keep.q.val();
        }
        self.s_pay_tready.next = self.busy.q.val() & self.d_pay.q.val() & self.m_tready.val();
        self.send.next = self.m_tvalid.val() & self.m_tready.val();
        self.last_send.next = self.send.val() & self.m_tlast.val();
        if self.send.val() {
            self.frame.d.next = self.frame.q.val() << 64;
            self.beat.d.next = self.beat1.val();
            if !self.d_hdr.q.val() {
                self.carry.d.next = self.carry_n.val();
            }
            self.d_hdr.d.next = self.n_hdr.val();
            self.d_first.d.next = self.beat1.val() == bit_cast::<9, 4>(self.hb.q.val());
            self.d_pay.d.next = !self.n_hdr.val() & (self.kk.val() < self.npb.q.val());
            self.d_last.d.next = self.beat1.val() == (self.nb.q.val() - 1);
        }
        if self.last_send.val() {
            self.busy.d.next = false;
        }

        // ---- The request's frame shape: header bytes (54, 58, 74, 78), full header
        // beats, header bytes in its last partial beat (6 for 54 and 78, 2 for 58 and
        // 74), total bytes (at least 60; registered in stage 1), then beats, payload
        // beats and the last beat's `tkeep` (registered in stage 3).
        self.f_hlen.next = 54.into();
        self.f_hb.next = 6.into();
        if !self.r_ipv6.q.val() {
            if self.r_vlan.q.val() {
                self.f_hlen.next = 58.into();
                self.f_hb.next = 7.into();
            }
        } else if self.r_vlan.q.val() {
            self.f_hlen.next = 78.into();
            self.f_hb.next = 9.into();
        } else {
            self.f_hlen.next = 74.into();
            self.f_hb.next = 9.into();
        }
        self.f_r6.next = self.r_ipv6.q.val() == self.r_vlan.q.val();
        self.f_tot.next = self.f_hlen.val() + self.r_plen.q.val();
        if self.f_tot.val() < 60 {
            self.f_tot.next = 60.into();
        }
        self.f_tot7.next = self.sh_tot.q.val() + 7;
        self.f_nb.next = self.f_tot7.val().get_bits::<9>(3);
        self.f_plen7.next = self.r_plen.q.val() + 7;
        self.f_npb.next = self.f_plen7.val().get_bits::<9>(3);
        if self.sh_tot.q.val().get_bits::<3>(0) == 1 {
            self.f_keep.next = 0x01.into();
        }
        if self.sh_tot.q.val().get_bits::<3>(0) == 2 {
            self.f_keep.next = 0x03.into();
        }
        if self.sh_tot.q.val().get_bits::<3>(0) == 3 {
            self.f_keep.next = 0x07.into();
        }
        if self.sh_tot.q.val().get_bits::<3>(0) == 4 {
            self.f_keep.next = 0x0F.into();
        }
        if self.sh_tot.q.val().get_bits::<3>(0) == 5 {
            self.f_keep.next = 0x1F.into();
        }
        if self.sh_tot.q.val().get_bits::<3>(0) == 6 {
            self.f_keep.next = 0x3F.into();
        }
        if self.sh_tot.q.val().get_bits::<3>(0) == 7 {
            self.f_keep.next = 0x7F.into();
        }

        // ---- Checksums, in three stages of short adder trees: (1) partial sums of
        // the registered request, (2) the two 32-bit sums, (3) folded and inverted.
        // (IPv4 addresses were masked to their low 32 bits when the request was taken.)
        self.lip.next = self.r_local_ip.q.val();
        self.rip.next = self.r_remote_ip.q.val();
        self.sum_l_n.next = ((bit_cast::<32, 16>(self.lip.val().get_bits::<16>(0))
            + bit_cast::<32, 16>(self.lip.val().get_bits::<16>(16)))
            + (bit_cast::<32, 16>(self.lip.val().get_bits::<16>(32))
                + bit_cast::<32, 16>(self.lip.val().get_bits::<16>(48))))
            + ((bit_cast::<32, 16>(self.lip.val().get_bits::<16>(64))
                + bit_cast::<32, 16>(self.lip.val().get_bits::<16>(80)))
                + (bit_cast::<32, 16>(self.lip.val().get_bits::<16>(96))
                    + bit_cast::<32, 16>(self.lip.val().get_bits::<16>(112))));
        self.sum_r_n.next = ((bit_cast::<32, 16>(self.rip.val().get_bits::<16>(0))
            + bit_cast::<32, 16>(self.rip.val().get_bits::<16>(16)))
            + (bit_cast::<32, 16>(self.rip.val().get_bits::<16>(32))
                + bit_cast::<32, 16>(self.rip.val().get_bits::<16>(48))))
            + ((bit_cast::<32, 16>(self.rip.val().get_bits::<16>(64))
                + bit_cast::<32, 16>(self.rip.val().get_bits::<16>(80)))
                + (bit_cast::<32, 16>(self.rip.val().get_bits::<16>(96))
                    + bit_cast::<32, 16>(self.rip.val().get_bits::<16>(112))));
        // IPv4 header words other than the addresses: 0x45|tos, 40 + plen, id, 0x4000,
        // ttl|6.
        self.k32.next = 0x852E.into(); // 0x4500 + 40 + 0x4000 + 6
        self.sum_ip_n.next = (bit_cast::<32, 8>(self.r_tos.q.val())
            + bit_cast::<32, 16>(self.r_ip_id.q.val()))
            + ((bit_cast::<32, 8>(self.r_ttl.q.val()) << 8) + self.k32.val())
            + bit_cast::<32, 12>(self.r_plen.q.val());
        // TCP: the pseudo-header's protocol and length (20 + plen), the header words
        // (flags ACK, PSH), the payload's sum.
        self.k32.next = 0x502A.into(); // 6 + 20 + 0x5010
        if self.r_psh.q.val() {
            self.k32.next = 0x5032.into(); // 6 + 20 + 0x5018
        }
        self.sum_tcp_n.next = ((bit_cast::<32, 16>(self.r_local_port.q.val())
            + bit_cast::<32, 16>(self.r_remote_port.q.val()))
            + (bit_cast::<32, 16>(self.r_seq.q.val().get_bits::<16>(0))
                + bit_cast::<32, 16>(self.r_seq.q.val().get_bits::<16>(16))))
            + ((bit_cast::<32, 16>(self.r_ack.q.val().get_bits::<16>(0))
                + bit_cast::<32, 16>(self.r_ack.q.val().get_bits::<16>(16)))
                + (bit_cast::<32, 16>(self.r_window.q.val()) + self.k32.val()))
            + (bit_cast::<32, 12>(self.r_plen.q.val()) + bit_cast::<32, 16>(self.r_psum.q.val()));
        if self.stage.q.val() == 1 {
            self.sh_tot.d.next = self.f_tot.val();
            self.sum_l.d.next = self.sum_l_n.val();
            self.sum_r.d.next = self.sum_r_n.val();
            self.sum_ip.d.next = self.sum_ip_n.val();
            self.sum_tcp.d.next = self.sum_tcp_n.val();
            self.stage.d.next = 2.into();
        }
        self.addr_sum.next = self.sum_l.q.val() + self.sum_r.q.val();
        if self.stage.q.val() == 2 {
            self.ip_raw.d.next = self.addr_sum.val() + self.sum_ip.q.val();
            self.tcp_raw.d.next = self.addr_sum.val() + self.sum_tcp.q.val();
            self.stage.d.next = 3.into();
        }
        self.fold_ip.next = (self.ip_raw.q.val() & 0xFFFF) + (self.ip_raw.q.val() >> 16);
        self.fold_ip.next = (self.fold_ip.val() & 0xFFFF) + (self.fold_ip.val() >> 16);
        self.fold_tcp.next = (self.tcp_raw.q.val() & 0xFFFF) + (self.tcp_raw.q.val() >> 16);
        self.fold_tcp.next = (self.fold_tcp.val() & 0xFFFF) + (self.fold_tcp.val() >> 16);
        if self.stage.q.val() == 3 {
            self.ip_csum.d.next = !self.fold_ip.val().get_bits::<16>(0);
            self.tcp_csum.d.next = !self.fold_tcp.val().get_bits::<16>(0);
            self.sh_nb.d.next = self.f_nb.val();
            self.sh_hb.d.next = self.f_hb.val();
            self.sh_r6.d.next = self.f_r6.val();
            self.sh_npb.d.next = self.f_npb.val();
            self.sh_keep.d.next = self.f_keep.val();
            self.stage.d.next = 4.into();
        }

        // ---- Stage 4: the header, appended field by field in wire order (big endian),
        // then left-aligned in the register.
        self.h.next = bit_cast::<FRAME_BITS, 48>(self.r_dst_mac.q.val());
        self.h.next = (self.h.val() << 48) | bit_cast::<FRAME_BITS, 48>(self.r_src_mac.q.val());
        if self.r_vlan.q.val() {
            self.k8100.next = 0x8100.into();
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k8100.val());
            self.h.next =
                (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.r_vlan_tci.q.val());
        }
        self.ktype.next = 0x0800.into();
        if self.r_ipv6.q.val() {
            self.ktype.next = 0x86DD.into();
        }
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.ktype.val());
        if !self.r_ipv6.q.val() {
            self.k16.next = 0x4500.into();
            self.k16.next = self.k16.val() | bit_cast::<16, 8>(self.r_tos.q.val());
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
            self.k16.next = bit_cast::<16, 12>(self.r_plen.q.val()) + 40;
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.r_ip_id.q.val());
            self.k16.next = 0x4000.into();
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
            self.k16.next = bit_cast::<16, 8>(self.r_ttl.q.val()) << 8;
            self.k16.next = self.k16.val() | 6;
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.ip_csum.q.val());
            self.h.next = (self.h.val() << 32)
                | bit_cast::<FRAME_BITS, 32>(self.r_local_ip.q.val().get_bits::<32>(0));
            self.h.next = (self.h.val() << 32)
                | bit_cast::<FRAME_BITS, 32>(self.r_remote_ip.q.val().get_bits::<32>(0));
        } else {
            self.k32.next = 0x6000_0000.into();
            self.k32.next = self.k32.val() | (bit_cast::<32, 8>(self.r_tos.q.val()) << 20);
            self.k32.next = self.k32.val() | bit_cast::<32, 20>(self.r_flow_label.q.val());
            self.h.next = (self.h.val() << 32) | bit_cast::<FRAME_BITS, 32>(self.k32.val());
            self.k16.next = bit_cast::<16, 12>(self.r_plen.q.val()) + 20;
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
            self.k16.next = 0x0600.into();
            self.k16.next = self.k16.val() | bit_cast::<16, 8>(self.r_ttl.q.val());
            self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
            self.h.next =
                (self.h.val() << 128) | bit_cast::<FRAME_BITS, 128>(self.r_local_ip.q.val());
            self.h.next =
                (self.h.val() << 128) | bit_cast::<FRAME_BITS, 128>(self.r_remote_ip.q.val());
        }
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.r_local_port.q.val());
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.r_remote_port.q.val());
        self.h.next = (self.h.val() << 32) | bit_cast::<FRAME_BITS, 32>(self.r_seq.q.val());
        self.h.next = (self.h.val() << 32) | bit_cast::<FRAME_BITS, 32>(self.r_ack.q.val());
        self.k16.next = 0x5010.into();
        if self.r_psh.q.val() {
            self.k16.next = 0x5018.into();
        }
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.r_window.q.val());
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.tcp_csum.q.val());
        // Urgent pointer 0, then left-align: 54, 58, 74 or 78 bytes (zeros below).
        self.h.next = self.h.val() << 16;
        if !self.r_ipv6.q.val() {
            if self.r_vlan.q.val() {
                self.h.next = self.h.val() << 176;
            } else {
                self.h.next = self.h.val() << 208;
            }
        } else if self.r_vlan.q.val() {
            self.h.next = self.h.val() << 16;
        } else {
            self.h.next = self.h.val() << 48;
        }
        // ---- Hand-over: the waiting header starts when the frame register is free
        // (nothing leaving, or the last beat leaving now); a header just formed goes
        // there directly if nothing waits, else it waits.
        self.free.next = !self.busy.q.val() | self.last_send.val();
        if self.free.val() & self.nxt_full.q.val() {
            self.frame.d.next = self.nxt_frame.q.val();
            self.nb.d.next = self.nxt_nb.q.val();
            self.hb.d.next = self.nxt_hb.q.val();
            self.r6.d.next = self.nxt_r6.q.val();
            self.npb.d.next = self.nxt_npb.q.val();
            self.last_keep.d.next = self.nxt_keep.q.val();
            self.beat.d.next = 0.into();
            self.carry.d.next = 0.into();
            self.busy.d.next = true;
            self.nxt_full.d.next = false;
            self.d_hdr.d.next = true;
            self.d_first.d.next = false;
            self.d_pay.d.next = false;
            self.d_last.d.next = false;
        } else if self.free.val() & (self.stage.q.val() == 4) {
            self.frame.d.next = self.h.val();
            self.nb.d.next = self.sh_nb.q.val();
            self.hb.d.next = self.sh_hb.q.val();
            self.r6.d.next = self.sh_r6.q.val();
            self.npb.d.next = self.sh_npb.q.val();
            self.last_keep.d.next = self.sh_keep.q.val();
            self.beat.d.next = 0.into();
            self.carry.d.next = 0.into();
            self.busy.d.next = true;
            self.stage.d.next = 0.into();
            self.d_hdr.d.next = true;
            self.d_first.d.next = false;
            self.d_pay.d.next = false;
            self.d_last.d.next = false;
        }
        if !self.nxt_full.q.val() & (self.stage.q.val() == 4) & !self.free.val() {
            self.nxt_frame.d.next = self.h.val();
            self.nxt_nb.d.next = self.sh_nb.q.val();
            self.nxt_hb.d.next = self.sh_hb.q.val();
            self.nxt_r6.d.next = self.sh_r6.q.val();
            self.nxt_npb.d.next = self.sh_npb.q.val();
            self.nxt_keep.d.next = self.sh_keep.q.val();
            self.nxt_full.d.next = true;
            self.stage.d.next = 0.into();
        }

        // ---- Take a request when the header stages are free.
        self.s_ready.next = self.stage.q.val() == 0;
        self.take.next = self.s_ready.val() & self.s_valid.val();
        if self.take.val() {
            self.r_dst_mac.d.next = self.s_dst_mac.val();
            self.r_src_mac.d.next = self.s_src_mac.val();
            self.r_vlan.d.next = self.s_vlan.val();
            self.r_vlan_tci.d.next = self.s_vlan_tci.val();
            self.r_ipv6.d.next = self.s_ipv6.val();
            self.r_local_ip.d.next = self.s_local_ip.val();
            self.r_remote_ip.d.next = self.s_remote_ip.val();
            if !self.s_ipv6.val() {
                self.r_local_ip.d.next =
                    bit_cast::<128, 32>(self.s_local_ip.val().get_bits::<32>(0));
                self.r_remote_ip.d.next =
                    bit_cast::<128, 32>(self.s_remote_ip.val().get_bits::<32>(0));
            }
            self.r_ttl.d.next = self.s_ttl.val();
            self.r_tos.d.next = self.s_tos.val();
            self.r_flow_label.d.next = self.s_flow_label.val();
            self.r_ip_id.d.next = self.s_ip_id.val();
            self.r_local_port.d.next = self.s_local_port.val();
            self.r_remote_port.d.next = self.s_remote_port.val();
            self.r_seq.d.next = self.s_seq.val();
            self.r_ack.d.next = self.s_ack.val();
            self.r_window.d.next = self.s_window.val();
            self.r_psh.d.next = self.s_psh.val();
            self.r_plen.d.next = self.s_plen.val();
            self.r_psum.d.next = self.s_psum.val();
            self.stage.d.next = 1.into();
        }
        if self.reset.val() {
            self.stage.d.next = 0.into();
            self.busy.d.next = false;
            self.nxt_full.d.next = false;
        }
    }
}
