//! ACK frame generator (`AckGen`, I8): builds a pure ACK from a connection's header
//! templates and streams it out as an Ethernet frame, IPv4 header checksum and TCP
//! checksum (with the pseudo-header, IPv4 or IPv6) computed in hardware. The layout is
//! the one `host_model::rcv::ack_frame_bytes` builds with etherparse:
//! - Ethernet II: destination `dst_mac`, source `src_mac` (48-bit numbers, bits
//!   `[47:40]` first on the wire); with `vlan`, an 802.1Q tag (`vlan_tci` = PCP, DEI 0,
//!   VID) before the EtherType (0x0800 or 0x86DD);
//! - IPv4: version 4, IHL 5, TOS `tos`, total length 40, ID `ip_id`, DF, TTL `ttl`,
//!   protocol 6, header checksum, `local_ip` → `remote_ip` (low 32 bits); or IPv6:
//!   traffic class `tos`, flow label, payload length 20, next header 6, hop limit
//!   `ttl`, `local_ip` → `remote_ip`;
//! - TCP: `local_port` → `remote_port`, `seq`, `ack`, data offset 5, flags ACK,
//!   `window`, checksum, urgent pointer 0, no options;
//! - zero padding to 60 bytes (54-byte IPv4 and 58-byte tagged IPv4 frames).
//!
//! # Interface
//! A request (`s_*` fields, `s_valid` / `s_ready`) is taken when the generator is idle;
//! the frame leaves on `m_axis_*` (64-bit `tdata`, lane 0 first on the wire, `tkeep`,
//! `tlast`) four clocks later (the checksums take three stages of short adder trees) at
//! one beat per clock: 8 beats (IPv4) or 10 (IPv6). A request is taken in the clock its
//! predecessor's last beat leaves.

use rust_hdl::prelude::*;

/// Frame bytes the generator's shift register holds (the longest ACK frame is 78).
const FRAME_BITS: usize = 640;

/// ACK frame generator, 64-bit stream.
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
    pub s_valid: Signal<In, Bit>,
    pub s_ready: Signal<Out, Bit>,
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
    /// 1: request registered; 2, 3: checksum stages; 4: checksums registered (frame
    /// next); 0: idle or sending.
    stage: DFF<Bits<3>>,
    sum_l: DFF<Bits<32>>,
    sum_r: DFF<Bits<32>>,
    sum_ip: DFF<Bits<32>>,
    sum_tcp: DFF<Bits<32>>,
    ip_raw: DFF<Bits<32>>,
    tcp_raw: DFF<Bits<32>>,
    ip_csum: DFF<Bits<16>>,
    tcp_csum: DFF<Bits<16>>,
    /// The frame, first byte in the top bits, shifted left one beat per beat sent.
    frame: DFF<Bits<FRAME_BITS>>,
    beats_left: DFF<Bits<4>>,
    last_keep: DFF<Bits<8>>,
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
    send: Signal<Local, Bit>,
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
            stage,
            sum_l,
            sum_r,
            sum_ip,
            sum_tcp,
            ip_raw,
            tcp_raw,
            ip_csum,
            tcp_csum,
            frame,
            beats_left,
            last_keep
        );
        // Defaults (every combinational signal is assigned on every path).
        self.k8100.next = 0.into();
        self.ktype.next = 0.into();
        self.k16.next = 0.into();
        self.k32.next = 0.into();
        self.s_ready.next = false;
        self.take.next = false;
        // ---- Output: the top 64 bits of the frame register, bytes in lane order.
        self.top.next = self.frame.q.val().get_bits::<64>(576);
        self.m_tdata.next = (bit_cast::<64, 8>(self.top.val().get_bits::<8>(0)) << 56)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(8)) << 48)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(16)) << 40)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(24)) << 32)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(32)) << 24)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(40)) << 16)
            | (bit_cast::<64, 8>(self.top.val().get_bits::<8>(48)) << 8)
            | bit_cast::<64, 8>(self.top.val().get_bits::<8>(56));
        self.m_tvalid.next = self.beats_left.q.val() != 0;
        self.m_tlast.next = self.beats_left.q.val() == 1;
        self.m_tkeep.next = 0xFF.into();
        if self.beats_left.q.val() == 1 {
            self.m_tkeep.next = self.last_keep.q.val();
        }
        self.send.next = self.m_tvalid.val() & self.m_tready.val();
        if self.send.val() {
            self.frame.d.next = self.frame.q.val() << 64;
            self.beats_left.d.next = self.beats_left.q.val() - 1;
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
        // IPv4 header words other than the addresses: 0x45|tos, 40, id, 0x4000, ttl|6.
        self.k32.next = 0x852E.into(); // 0x4500 + 40 + 0x4000 + 6
        self.sum_ip_n.next = (bit_cast::<32, 8>(self.r_tos.q.val())
            + bit_cast::<32, 16>(self.r_ip_id.q.val()))
            + ((bit_cast::<32, 8>(self.r_ttl.q.val()) << 8) + self.k32.val());
        // TCP: the pseudo-header's protocol and length, and the header words.
        self.k32.next = 0x502A.into(); // 6 + 20 + 0x5010
        self.sum_tcp_n.next = ((bit_cast::<32, 16>(self.r_local_port.q.val())
            + bit_cast::<32, 16>(self.r_remote_port.q.val()))
            + (bit_cast::<32, 16>(self.r_seq.q.val().get_bits::<16>(0))
                + bit_cast::<32, 16>(self.r_seq.q.val().get_bits::<16>(16))))
            + ((bit_cast::<32, 16>(self.r_ack.q.val().get_bits::<16>(0))
                + bit_cast::<32, 16>(self.r_ack.q.val().get_bits::<16>(16)))
                + (bit_cast::<32, 16>(self.r_window.q.val()) + self.k32.val()));
        if self.stage.q.val() == 1 {
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
            self.stage.d.next = 4.into();
        }

        // ---- Stage 4: the frame, appended field by field in wire order (big endian),
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
            self.k16.next = 40.into();
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
            self.k16.next = 20.into();
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
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.k16.val());
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.r_window.q.val());
        self.h.next = (self.h.val() << 16) | bit_cast::<FRAME_BITS, 16>(self.tcp_csum.q.val());
        // Urgent pointer 0, then left-align: 54, 58, 74 or 78 bytes (the first two
        // padded to 60 with the zeros below them).
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
        if self.stage.q.val() == 4 {
            self.frame.d.next = self.h.val();
            self.stage.d.next = 0.into();
            if self.r_ipv6.q.val() {
                self.beats_left.d.next = 10.into();
                self.last_keep.d.next = 0x03.into();
                if self.r_vlan.q.val() {
                    self.last_keep.d.next = 0x3F.into();
                }
            } else {
                self.beats_left.d.next = 8.into();
                self.last_keep.d.next = 0x0F.into();
            }
        }

        // ---- Take a request when nothing is pending (or the last beat leaves now).
        self.s_ready.next = (self.stage.q.val() == 0)
            & ((self.beats_left.q.val() == 0) | (self.send.val() & (self.beats_left.q.val() == 1)));
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
            self.stage.d.next = 1.into();
        }
        if self.reset.val() {
            self.stage.d.next = 0.into();
            self.beats_left.d.next = 0.into();
        }
    }
}
