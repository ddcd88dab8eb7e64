//! Independent reference model of the receive parser.
//!
//! [`reference`] computes the [`RxMeta`] record the RTL must emit for one frame,
//! following the semantics written in the module documentation of
//! [`host_model::meta`] step by step. It shares no code with the RTL or its
//! generator: headers are decoded with `etherparse` and checksums are summed with
//! `etherparse::checksum::Sum16BitWords`.
//!
//! `etherparse` refuses some malformed headers for which the specification still
//! reports fields (IPv4 IHL < 5 or options cut off, TCP data offset < 5 or larger
//! than the segment). In those places the fields are read from their fixed byte
//! positions instead; each such place says so.
//!
//! Checksums are verified the way the specification defines them: the ones'
//! complement sum over the covered bytes *including* the transmitted checksum
//! field, folded to 16 bits, must equal 0xFFFF. This accepts both encodings of a
//! zero checksum (0x0000 and 0xFFFF), and rejects a region that sums to 0 (which
//! never happens for a region the parser checks: an IPv4 header reaching the check
//! has version 4, an L4 pseudo-header has a non-zero protocol).

use std::net::{Ipv4Addr, Ipv6Addr};

use etherparse::checksum::Sum16BitWords;
use etherparse::{
    Ethernet2Header, Ipv4HeaderSlice, Ipv6HeaderSlice, SingleVlanHeader, TcpHeaderSlice,
    UdpHeaderSlice,
};
use host_model::{L4Kind, RxMeta};

/// TPID of an IEEE 802.1Q customer tag.
const TPID_CTAG: u16 = 0x8100;
/// TPID of an IEEE 802.1ad service tag.
const TPID_STAG: u16 = 0x88A8;
const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86DD;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
/// IPv6 next-header values the parser treats as extension headers.
pub const IPV6_EXT_HEADERS: [u8; 11] = [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254];

/// IPv6 extension headers the parser walks past (all but Fragment and ESP).
pub const IPV6_WALKED: [u8; 9] = [0, 43, 51, 60, 135, 139, 140, 253, 254];
/// TCP flags (byte 13) that make a segment a non-candidate: URG, RST, SYN, FIN.
const TCP_NON_CANDIDATE_FLAGS: u16 = 0x20 | 0x04 | 0x02 | 0x01;

/// Error flags, turned into the ordered `errors` list at the end.
#[derive(Default)]
struct Errs {
    mac: bool,
    runt: bool,
    truncated: bool,
    bad_ip_header: bool,
    bad_l4_header: bool,
}

/// What the L4 stage needs from the IP stage.
struct IpInfo {
    /// Offset of the L4 header in the frame (`l3 + ip_hdr_len`).
    l4: usize,
    /// One past the last IP byte (`l3 + total length` / `l3 + 40 + payload length`).
    ip_end: usize,
    proto: u8,
    /// Source and destination address bytes (8 for IPv4, 32 for IPv6).
    addrs: Vec<u8>,
}

/// The metadata record the receive parser must emit for `frame`.
///
/// `mac_error` is the MAC's error flag (`tuser`) for this frame, `min_frame_len` the
/// configured runt threshold (`rx.min_frame_len`). Never panics.
pub fn reference(frame: &[u8], mac_error: bool, min_frame_len: u32) -> RxMeta {
    let mut m = RxMeta {
        len: u32::try_from(frame.len()).unwrap_or(u32::MAX),
        eth_type: None,
        vlan: None,
        qinq: false,
        ip_version: None,
        ip_hdr_len: None,
        ip_options: None,
        src_ip: None,
        dst_ip: None,
        ip_proto: None,
        fragment: None,
        ip_csum_ok: None,
        l4: None,
        src_port: None,
        dst_port: None,
        tcp_seq: None,
        tcp_ack: None,
        tcp_flags: None,
        tcp_window: None,
        tcp_hdr_len: None,
        tcp_options: None,
        payload_offset: None,
        payload_len: None,
        l4_csum_ok: None,
        candidate: false,
        errors: Vec::new(),
    };
    let mut e = Errs {
        mac: mac_error,
        runt: (frame.len() as u64) < u64::from(min_frame_len),
        ..Errs::default()
    };

    if let Some(ip) = parse_link_and_ip(frame, &mut m, &mut e) {
        parse_l4(frame, &ip, &mut m, &mut e);
    }

    // Step 6: the error list, in `host_model::meta::ERROR_NAMES` order.
    for (set, name) in [
        (e.mac, "mac_error"),
        (e.runt, "runt"),
        (e.truncated, "truncated"),
        (e.bad_ip_header, "bad_ip_header"),
        (e.bad_l4_header, "bad_l4_header"),
        (m.ip_csum_ok == Some(false), "ip_checksum"),
        (m.l4_csum_ok == Some(false), "l4_checksum"),
    ] {
        if set {
            m.errors.push(name);
        }
    }

    // Step 7: candidate.
    m.candidate = m.l4 == Some(L4Kind::Tcp)
        && m.payload_offset.is_some()
        && m.errors.is_empty()
        && m.fragment != Some(true)
        && !(m.ip_version == Some(6) && m.ip_options == Some(true))
        && m.l4_csum_ok == Some(true)
        && m.tcp_flags
            .is_some_and(|f| f & TCP_NON_CANDIDATE_FLAGS == 0);
    m
}

/// Steps 1–4. Returns the IP information when L4 parsing should follow.
fn parse_link_and_ip(b: &[u8], m: &mut RxMeta, e: &mut Errs) -> Option<IpInfo> {
    // Step 1: the Ethernet header (etherparse only checks the length).
    let Ok((eth, _)) = Ethernet2Header::from_slice(b) else {
        e.truncated = true;
        return None;
    };
    let t0 = eth.ether_type.0;

    // Step 2: one VLAN tag, QinQ detection.
    let (eth_type, l3) = if t0 == TPID_CTAG || t0 == TPID_STAG {
        let Ok((tag, _)) = SingleVlanHeader::from_slice(&b[Ethernet2Header::LEN..]) else {
            e.truncated = true;
            return None;
        };
        let inner = tag.ether_type.0;
        m.vlan = Some(tag.vlan_id.value());
        m.eth_type = Some(inner);
        if t0 == TPID_STAG || inner == TPID_CTAG || inner == TPID_STAG {
            m.qinq = true;
            return None;
        }
        (inner, Ethernet2Header::LEN + SingleVlanHeader::LEN)
    } else {
        m.eth_type = Some(t0);
        (t0, Ethernet2Header::LEN)
    };

    match eth_type {
        ETH_IPV4 => parse_ipv4(b, l3, m, e),
        ETH_IPV6 => parse_ipv6(b, l3, m, e),
        _ => None,
    }
}

/// The fixed (first 20 bytes) IPv4 header fields the specification reports.
struct Ipv4Fixed {
    ihl: u8,
    total_len: u16,
    more_fragments: bool,
    frag_offset: u16,
    proto: u8,
    src: [u8; 4],
    dst: [u8; 4],
}

/// Step 3.
fn parse_ipv4(b: &[u8], l3: usize, m: &mut RxMeta, e: &mut Errs) -> Option<IpInfo> {
    use etherparse::err::ipv4::{HeaderError, HeaderSliceError};

    m.ip_version = Some(4);
    let s = &b[l3..];
    if s.len() < 20 {
        e.truncated = true;
        return None;
    }
    let h = match Ipv4HeaderSlice::from_slice(s) {
        Ok(h) => Ipv4Fixed {
            ihl: h.ihl(),
            total_len: h.total_len(),
            more_fragments: h.more_fragments(),
            frag_offset: h.fragments_offset().value(),
            proto: h.protocol().0,
            src: h.source(),
            dst: h.destination(),
        },
        Err(HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. })) => {
            e.bad_ip_header = true;
            return None;
        }
        // etherparse refuses IHL < 5 and a header whose options are cut off, but the
        // specification still reports the fixed fields in both cases (then raises
        // bad_ip_header / truncated below), so read them from their fixed positions.
        // The slice holds at least 20 bytes (checked above) and version 4 (etherparse
        // checks the version before the IHL and the options length).
        Err(_) => Ipv4Fixed {
            ihl: s[0] & 0x0F,
            total_len: u16::from_be_bytes([s[2], s[3]]),
            more_fragments: s[6] & 0x20 != 0,
            frag_offset: u16::from_be_bytes([s[6], s[7]]) & 0x1FFF,
            proto: s[9],
            src: [s[12], s[13], s[14], s[15]],
            dst: [s[16], s[17], s[18], s[19]],
        },
    };

    let hdr_len = usize::from(h.ihl) * 4;
    let fragment = h.more_fragments || h.frag_offset != 0;
    m.ip_hdr_len = Some(h.ihl * 4);
    m.ip_options = Some(h.ihl > 5);
    m.src_ip = Some(Ipv4Addr::from(h.src).to_string());
    m.dst_ip = Some(Ipv4Addr::from(h.dst).to_string());
    m.ip_proto = Some(h.proto);
    m.fragment = Some(fragment);

    if h.ihl < 5 {
        e.bad_ip_header = true;
        return None;
    }
    if s.len() < hdr_len {
        e.truncated = true;
        return None;
    }
    m.ip_csum_ok = Some(sums_to_ffff(Sum16BitWords::new().add_slice(&s[..hdr_len])));
    let total = usize::from(h.total_len);
    if total < hdr_len {
        e.bad_ip_header = true;
        return None;
    }
    if s.len() < total {
        e.truncated = true;
        return None;
    }
    if fragment {
        return None;
    }
    let mut addrs = h.src.to_vec();
    addrs.extend_from_slice(&h.dst);
    Some(IpInfo {
        l4: l3 + hdr_len,
        ip_end: l3 + total,
        proto: h.proto,
        addrs,
    })
}

/// Step 4.
fn parse_ipv6(b: &[u8], l3: usize, m: &mut RxMeta, e: &mut Errs) -> Option<IpInfo> {
    use etherparse::err::ipv6::HeaderSliceError;

    m.ip_version = Some(6);
    let s = &b[l3..];
    let h = match Ipv6HeaderSlice::from_slice(s) {
        Ok(h) => h,
        Err(HeaderSliceError::Len(_)) => {
            e.truncated = true;
            return None;
        }
        Err(HeaderSliceError::Content(_)) => {
            e.bad_ip_header = true;
            return None;
        }
    };
    let nh = h.next_header().0;
    let ext = IPV6_EXT_HEADERS.contains(&nh);
    m.ip_hdr_len = Some(40);
    m.ip_options = Some(ext);
    m.src_ip = Some(Ipv6Addr::from(h.source()).to_string());
    m.dst_ip = Some(Ipv6Addr::from(h.destination()).to_string());
    m.ip_proto = Some(nh);
    m.fragment = Some(nh == 44);

    let end = 40 + usize::from(h.payload_length());
    if s.len() < end {
        e.truncated = true;
        return None;
    }
    // Walk the extension-header chain (spec step 4): generic headers are
    // (len+1)*8 bytes, AH (51) is (len+2)*4; a Fragment header (44) stops the walk.
    let ip_end = l3 + end;
    let mut p = l3 + 40;
    let mut t = nh;
    while IPV6_WALKED.contains(&t) {
        if p + 8 > ip_end {
            e.bad_ip_header = true;
            return None;
        }
        let len = usize::from(b[p + 1]);
        let size = if t == 51 {
            (len + 2) * 4
        } else {
            (len + 1) * 8
        };
        t = b[p];
        p += size;
    }
    if t == 44 {
        // A Fragment header (8 bytes) must fit in the payload like any other.
        if p + 8 > ip_end {
            e.bad_ip_header = true;
        } else {
            m.fragment = Some(true);
        }
        return None;
    }
    if p > ip_end {
        e.bad_ip_header = true;
        return None;
    }
    let mut addrs = h.source().to_vec();
    addrs.extend_from_slice(&h.destination());
    Some(IpInfo {
        l4: p,
        ip_end,
        proto: t,
        addrs,
    })
}

/// The fixed TCP header fields the specification reports.
struct TcpFixed {
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    flags: u16,
    window: u16,
    data_offset: u8,
}

/// Step 5.
fn parse_l4(b: &[u8], ip: &IpInfo, m: &mut RxMeta, e: &mut Errs) {
    let seg = &b[ip.l4..ip.ip_end];
    let l4_len = seg.len();
    match ip.proto {
        PROTO_TCP => {
            m.l4 = Some(L4Kind::Tcp);
            if l4_len < 20 {
                e.bad_l4_header = true;
                return;
            }
            let t = match TcpHeaderSlice::from_slice(seg) {
                Ok(h) => TcpFixed {
                    src_port: h.source_port(),
                    dst_port: h.destination_port(),
                    seq: h.sequence_number(),
                    ack: h.acknowledgment_number(),
                    // etherparse has no accessor for the three reserved bits.
                    flags: u16::from(h.fin())
                        | u16::from(h.syn()) << 1
                        | u16::from(h.rst()) << 2
                        | u16::from(h.psh()) << 3
                        | u16::from(h.ack()) << 4
                        | u16::from(h.urg()) << 5
                        | u16::from(h.ece()) << 6
                        | u16::from(h.cwr()) << 7
                        | u16::from(h.ns()) << 8
                        | u16::from(seg[12] & 0x0E) << 8,
                    window: h.window_size(),
                    data_offset: h.data_offset(),
                },
                // etherparse refuses a data offset < 5 and a header longer than the
                // segment, but the specification still reports ports, seq, ack, flags,
                // the header length and the checksum (then raises bad_l4_header), so
                // read them from their fixed positions (the segment has >= 20 bytes).
                Err(_) => TcpFixed {
                    src_port: u16::from_be_bytes([seg[0], seg[1]]),
                    dst_port: u16::from_be_bytes([seg[2], seg[3]]),
                    seq: u32::from_be_bytes([seg[4], seg[5], seg[6], seg[7]]),
                    ack: u32::from_be_bytes([seg[8], seg[9], seg[10], seg[11]]),
                    flags: u16::from(seg[12] & 0x0F) << 8 | u16::from(seg[13]),
                    window: u16::from_be_bytes([seg[14], seg[15]]),
                    data_offset: seg[12] >> 4,
                },
            };
            let hdr_len = usize::from(t.data_offset) * 4;
            m.src_port = Some(t.src_port);
            m.dst_port = Some(t.dst_port);
            m.tcp_seq = Some(t.seq);
            m.tcp_ack = Some(t.ack);
            m.tcp_flags = Some(t.flags);
            m.tcp_window = Some(t.window);
            m.tcp_hdr_len = Some(t.data_offset * 4);
            m.l4_csum_ok = Some(l4_checksum_ok(ip, seg));
            if hdr_len < 20 || hdr_len > l4_len {
                e.bad_l4_header = true;
                return;
            }
            m.payload_offset = Some((ip.l4 + hdr_len) as u32);
            m.payload_len = Some((l4_len - hdr_len) as u32);
            m.tcp_options = Some(hdr_len > 20);
        }
        PROTO_UDP => {
            m.l4 = Some(L4Kind::Udp);
            // UdpHeaderSlice only checks that 8 bytes are present.
            let Ok(h) = UdpHeaderSlice::from_slice(seg) else {
                e.bad_l4_header = true;
                return;
            };
            m.src_port = Some(h.source_port());
            m.dst_port = Some(h.destination_port());
            m.l4_csum_ok = (h.checksum() != 0).then(|| l4_checksum_ok(ip, seg));
            if usize::from(h.length()) != l4_len {
                e.bad_l4_header = true;
                return;
            }
            m.payload_offset = Some((ip.l4 + 8) as u32);
            m.payload_len = Some((l4_len - 8) as u32);
        }
        _ => m.l4 = Some(L4Kind::Other),
    }
}

/// L4 checksum check: pseudo-header (addresses, protocol, `l4_len` derived from the
/// IP header) plus the L4 bytes including the transmitted checksum field.
///
/// The IPv4 pseudo-header carries `0, proto, l4_len(16)`; the IPv6 one carries
/// `l4_len(32), 0, 0, 0, next_header`. As `l4_len` < 65536 the two contribute the
/// same 16-bit words to a ones' complement sum, so one formula serves both.
fn l4_checksum_ok(ip: &IpInfo, seg: &[u8]) -> bool {
    let l4_len = u16::try_from(seg.len()).unwrap_or(u16::MAX);
    let sum = Sum16BitWords::new()
        .add_slice(&ip.addrs)
        .add_2bytes([0, ip.proto])
        .add_2bytes(l4_len.to_be_bytes())
        .add_slice(seg);
    sums_to_ffff(sum)
}

/// True when the folded ones' complement sum is 0xFFFF. `ones_complement()` returns
/// the complement of the folded sum (in native byte order, which does not matter for
/// the value 0), so the folded sum is 0xFFFF exactly when it returns 0.
fn sums_to_ffff(sum: Sum16BitWords) -> bool {
    sum.ones_complement() == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{
        DoubleVlanHeader, EtherType, IpFragOffset, IpHeaders, IpNumber, Ipv4Header, Ipv6Extensions,
        Ipv6FlowLabel, Ipv6FragmentHeader, Ipv6Header, Ipv6RawExtHeader, PacketBuilder,
        TcpOptionElement, VlanHeader, VlanId, VlanPcp,
    };
    use host_model::meta::ERROR_NAMES;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
    const DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 2];
    const SRC4: [u8; 4] = [192, 168, 1, 10];
    const DST4: [u8; 4] = [10, 0, 0, 1];
    const SRC6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const DST6: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34];

    fn payload(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(37).wrapping_add(11))
            .collect()
    }

    fn pad60(mut f: Vec<u8>) -> Vec<u8> {
        if f.len() < 60 {
            f.resize(60, 0);
        }
        f
    }

    fn tcp4(data: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv4(SRC4, DST4, 64)
            .tcp(40000, 80, 0x1234_5678, 65535)
            .ack(0x9abc_def0)
            .psh()
            .write(&mut f, data)
            .unwrap();
        f
    }

    fn udp4(data: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv4(SRC4, DST4, 64)
            .udp(5353, 53)
            .write(&mut f, data)
            .unwrap();
        f
    }

    /// Offset of the IPv4 header checksum / L4 header in an untagged IPv4 frame.
    const IP4_CSUM: usize = 14 + 10;
    const L4_UNTAGGED_V4: usize = 14 + 20;

    #[test]
    fn ipv4_tcp_fields_and_candidate() {
        let opts = [
            TcpOptionElement::MaximumSegmentSize(1460),
            TcpOptionElement::Noop,
            TcpOptionElement::WindowScale(7),
            TcpOptionElement::SelectiveAcknowledgementPermitted,
            TcpOptionElement::Timestamp(1, 2),
        ];
        for n in [0usize, 1, 2, 5, 6, 7, 33, 63, 64, 1459, 1460, 8999] {
            let data = payload(n);
            for with_opts in [false, true] {
                let mut b = PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                    .ipv4(SRC4, DST4, 64)
                    .tcp(40000, 443, 0xdead_beef, 1000)
                    .ack(7)
                    .psh()
                    .ece()
                    .cwr();
                if with_opts {
                    b = b.options(&opts).unwrap();
                }
                let mut f = Vec::new();
                b.write(&mut f, &data).unwrap();
                let f = pad60(f);
                let m = reference(&f, false, 60);
                let thl: u8 = if with_opts { 20 + 20 } else { 20 };
                assert_eq!(m.len as usize, f.len());
                assert_eq!(m.eth_type, Some(0x0800));
                assert_eq!(m.vlan, None);
                assert!(!m.qinq);
                assert_eq!(m.ip_version, Some(4));
                assert_eq!(m.ip_hdr_len, Some(20));
                assert_eq!(m.ip_options, Some(false));
                assert_eq!(m.src_ip.as_deref(), Some("192.168.1.10"));
                assert_eq!(m.dst_ip.as_deref(), Some("10.0.0.1"));
                assert_eq!(m.ip_proto, Some(6));
                assert_eq!(m.fragment, Some(false));
                assert_eq!(m.ip_csum_ok, Some(true));
                assert_eq!(m.l4, Some(L4Kind::Tcp));
                assert_eq!(m.src_port, Some(40000));
                assert_eq!(m.dst_port, Some(443));
                assert_eq!(m.tcp_seq, Some(0xdead_beef));
                assert_eq!(m.tcp_ack, Some(7));
                assert_eq!(m.tcp_flags, Some(0x10 | 0x08 | 0x40 | 0x80));
                assert_eq!(m.tcp_hdr_len, Some(thl));
                assert_eq!(m.tcp_options, Some(with_opts));
                assert_eq!(m.payload_offset, Some(34 + u32::from(thl)));
                assert_eq!(m.payload_len, Some(n as u32));
                assert_eq!(m.l4_csum_ok, Some(true));
                assert!(m.errors.is_empty(), "{:?}", m.errors);
                assert!(m.candidate);
                let off = m.payload_offset.unwrap() as usize;
                assert_eq!(&f[off..off + n], &data[..]);
            }
        }
    }

    #[test]
    fn ipv6_tcp_and_udp() {
        for n in [0usize, 1, 3, 18, 19, 20, 31, 100, 1501] {
            let data = payload(n);
            let mut f = Vec::new();
            PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                .ipv6(SRC6, DST6, 64)
                .tcp(1, 2, 3, 4)
                .ack(5)
                .options(&[TcpOptionElement::Timestamp(9, 9)])
                .unwrap()
                .write(&mut f, &data)
                .unwrap();
            let m = reference(&f, false, 60);
            assert_eq!(m.eth_type, Some(0x86DD));
            assert_eq!(m.ip_version, Some(6));
            assert_eq!(m.ip_hdr_len, Some(40));
            assert_eq!(m.ip_options, Some(false));
            assert_eq!(m.src_ip.as_deref(), Some("2001:db8::1"));
            assert_eq!(m.dst_ip.as_deref(), Some("fe80::1234"));
            assert_eq!(m.ip_proto, Some(6));
            assert_eq!(m.fragment, Some(false));
            assert_eq!(m.ip_csum_ok, None);
            assert_eq!(m.l4, Some(L4Kind::Tcp));
            assert_eq!(m.tcp_hdr_len, Some(32));
            assert_eq!(m.tcp_options, Some(true));
            assert_eq!(m.payload_offset, Some(14 + 40 + 32));
            assert_eq!(m.payload_len, Some(n as u32));
            assert_eq!(m.l4_csum_ok, Some(true));
            assert!(m.errors.is_empty(), "{:?}", m.errors);
            assert!(m.candidate);

            let mut f = Vec::new();
            PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                .ipv6(SRC6, DST6, 64)
                .udp(1000, 2000)
                .write(&mut f, &data)
                .unwrap();
            let f = pad60(f);
            let m = reference(&f, false, 60);
            assert_eq!(m.ip_proto, Some(17));
            assert_eq!(m.l4, Some(L4Kind::Udp));
            assert_eq!(m.src_port, Some(1000));
            assert_eq!(m.dst_port, Some(2000));
            assert_eq!(m.tcp_seq, None);
            assert_eq!(m.tcp_hdr_len, None);
            assert_eq!(m.tcp_options, None);
            assert_eq!(m.payload_offset, Some(14 + 40 + 8));
            assert_eq!(m.payload_len, Some(n as u32));
            assert_eq!(m.l4_csum_ok, Some(true));
            assert!(m.errors.is_empty());
            assert!(!m.candidate);
        }
    }

    #[test]
    fn ipv4_udp_and_vlan() {
        for n in [0usize, 1, 17, 18, 19, 64, 1472] {
            let data = payload(n);
            let mut f = Vec::new();
            PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                .single_vlan(VlanId::try_new(0x123).unwrap())
                .ipv4(SRC4, DST4, 1)
                .udp(7, 9)
                .write(&mut f, &data)
                .unwrap();
            let f = pad60(f);
            let m = reference(&f, false, 60);
            assert_eq!(m.vlan, Some(0x123));
            assert!(!m.qinq);
            assert_eq!(m.eth_type, Some(0x0800));
            assert_eq!(m.ip_version, Some(4));
            assert_eq!(m.ip_csum_ok, Some(true));
            assert_eq!(m.l4, Some(L4Kind::Udp));
            assert_eq!(m.payload_offset, Some(18 + 20 + 8));
            assert_eq!(m.payload_len, Some(n as u32));
            assert_eq!(m.l4_csum_ok, Some(true));
            assert!(m.errors.is_empty());

            // VLAN with PCP/DEI bits set and TCP: vlan reports only the VID.
            let mut f = Vec::new();
            PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                .vlan(VlanHeader::Single(SingleVlanHeader {
                    pcp: VlanPcp::try_new(5).unwrap(),
                    drop_eligible_indicator: true,
                    vlan_id: VlanId::try_new(0xFFF).unwrap(),
                    ether_type: EtherType(0),
                }))
                .ipv6(SRC6, DST6, 1)
                .tcp(7, 9, 1, 1)
                .ack(1)
                .write(&mut f, &data)
                .unwrap();
            let m = reference(&f, false, 60);
            assert_eq!(m.vlan, Some(0xFFF));
            assert_eq!(m.eth_type, Some(0x86DD));
            assert_eq!(m.payload_offset, Some(18 + 40 + 20));
            assert!(m.candidate);
        }
    }

    #[test]
    fn qinq_is_not_parsed_further() {
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .double_vlan(VlanId::try_new(100).unwrap(), VlanId::try_new(200).unwrap())
            .ipv4(SRC4, DST4, 64)
            .tcp(1, 2, 3, 4)
            .write(&mut f, &payload(10))
            .unwrap();
        assert_eq!(&f[12..14], &[0x88, 0xA8]);
        let m = reference(&f, false, 60);
        assert!(m.qinq);
        assert_eq!(m.vlan, Some(100));
        assert_eq!(m.eth_type, Some(0x8100));
        assert_eq!(m.ip_version, None);
        assert_eq!(m.l4, None);
        assert!(m.errors.is_empty());
        assert!(!m.candidate);

        // Double 0x8100.
        let mut g = f.clone();
        g[12..14].copy_from_slice(&[0x81, 0x00]);
        let m = reference(&g, false, 60);
        assert!(m.qinq);
        assert_eq!(m.vlan, Some(100));
        assert_eq!(m.eth_type, Some(0x8100));
        assert_eq!(m.ip_version, None);

        // 0x88A8 outer tag with IPv4 directly inside: still QinQ, not parsed.
        let mut g = f.clone();
        g[16..18].copy_from_slice(&[0x08, 0x00]);
        let m = reference(&g, false, 60);
        assert!(m.qinq);
        assert_eq!(m.eth_type, Some(0x0800));
        assert_eq!(m.ip_version, None);

        // 0x8100 outer with 0x88A8 inner.
        let mut g = f.clone();
        g[12..14].copy_from_slice(&[0x81, 0x00]);
        g[16..18].copy_from_slice(&[0x88, 0xA8]);
        let m = reference(&g, false, 60);
        assert!(m.qinq);
        assert_eq!(m.eth_type, Some(0x88A8));
    }

    #[test]
    fn corrupted_checksums() {
        let f = pad60(tcp4(&payload(11)));
        assert!(reference(&f, false, 60).candidate);

        let mut g = f.clone();
        g[IP4_CSUM] ^= 0x01;
        let m = reference(&g, false, 60);
        assert_eq!(m.ip_csum_ok, Some(false));
        assert_eq!(m.l4_csum_ok, Some(true));
        assert_eq!(m.errors, vec!["ip_checksum"]);
        assert_eq!(m.payload_len, Some(11));
        assert!(!m.candidate);

        let mut g = f.clone();
        g[L4_UNTAGGED_V4 + 20 + 3] ^= 0x80; // a payload byte
        let m = reference(&g, false, 60);
        assert_eq!(m.ip_csum_ok, Some(true));
        assert_eq!(m.l4_csum_ok, Some(false));
        assert_eq!(m.errors, vec!["l4_checksum"]);
        assert!(!m.candidate);

        // Corrupting a source address byte breaks both.
        let mut g = f.clone();
        g[14 + 12] ^= 0x40;
        let m = reference(&g, false, 60);
        assert_eq!(m.errors, vec!["ip_checksum", "l4_checksum"]);

        let f = pad60(udp4(&payload(5)));
        let mut g = f.clone();
        g[L4_UNTAGGED_V4 + 8] ^= 0x10;
        let m = reference(&g, false, 60);
        assert_eq!(m.l4_csum_ok, Some(false));
        assert_eq!(m.errors, vec!["l4_checksum"]);
        assert_eq!(m.payload_len, Some(5));
    }

    /// Both encodings of a zero ones' complement checksum (0x0000 and 0xFFFF) are
    /// accepted, since the check sums including the field.
    #[test]
    fn checksum_zero_and_ffff_both_accepted() {
        // UDP: make the sum of everything but the checksum field 0xFFFF (negative
        // zero) by choosing a payload word, so the correct field is 0x0000 ≡ 0xFFFF.
        let f = udp4(&[0, 0]);
        let c = u16::from_be_bytes([f[L4_UNTAGGED_V4 + 6], f[L4_UNTAGGED_V4 + 7]]);
        // rest = !c; adding payload word c makes the rest sum 0xFFFF.
        let mut g = f.clone();
        g[L4_UNTAGGED_V4 + 8..L4_UNTAGGED_V4 + 10].copy_from_slice(&c.to_be_bytes());
        g[L4_UNTAGGED_V4 + 6..L4_UNTAGGED_V4 + 8].copy_from_slice(&[0xFF, 0xFF]);
        let m = reference(&g, false, 0);
        assert_eq!(m.l4_csum_ok, Some(true));
        // 0x0000 means "no checksum" for UDP.
        g[L4_UNTAGGED_V4 + 6..L4_UNTAGGED_V4 + 8].copy_from_slice(&[0, 0]);
        assert_eq!(reference(&g, false, 0).l4_csum_ok, None);

        // TCP: both 0x0000 and 0xFFFF pass.
        let f = tcp4(&[0, 0]);
        let c = u16::from_be_bytes([f[L4_UNTAGGED_V4 + 16], f[L4_UNTAGGED_V4 + 17]]);
        let mut g = f.clone();
        g[L4_UNTAGGED_V4 + 20..L4_UNTAGGED_V4 + 22].copy_from_slice(&c.to_be_bytes());
        for field in [[0u8, 0], [0xFF, 0xFF]] {
            g[L4_UNTAGGED_V4 + 16..L4_UNTAGGED_V4 + 18].copy_from_slice(&field);
            let m = reference(&g, false, 0);
            assert_eq!(m.l4_csum_ok, Some(true), "{field:?}");
            assert!(m.candidate);
        }
        // A wrong value still fails.
        g[L4_UNTAGGED_V4 + 16..L4_UNTAGGED_V4 + 18].copy_from_slice(&[0xFF, 0xFE]);
        assert_eq!(reference(&g, false, 0).l4_csum_ok, Some(false));
    }

    #[test]
    fn padding_keeps_results_and_runt_is_reported() {
        for f in [tcp4(&[]), tcp4(&[1]), udp4(&[]), udp4(&payload(9))] {
            assert!(f.len() < 60);
            let m = reference(&f, false, 60);
            assert_eq!(m.errors, vec!["runt"]);
            assert!(!m.candidate);
            let base = reference(&f, false, 0);
            assert!(base.errors.is_empty());
            for fill in [0u8, 0xA5, 0xFF] {
                let mut g = f.clone();
                g.resize(60, fill);
                let m = reference(&g, false, 60);
                assert_eq!(
                    RxMeta {
                        len: base.len,
                        ..m.clone()
                    },
                    base
                );
                assert_eq!(m.len, 60);
                // Extra trailing bytes beyond 60 are ignored too.
                g.extend_from_slice(&payload(31));
                let m = reference(&g, false, 60);
                assert_eq!(RxMeta { len: base.len, ..m }, base);
            }
        }
    }

    #[test]
    fn truncations_give_truncated() {
        let mut frames = vec![tcp4(&payload(7)), udp4(&payload(10)), {
            let mut f = Vec::new();
            PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                .single_vlan(VlanId::try_new(5).unwrap())
                .ipv6(SRC6, DST6, 64)
                .tcp(1, 2, 3, 4)
                .options(&[TcpOptionElement::MaximumSegmentSize(1400)])
                .unwrap()
                .write(&mut f, &payload(9))
                .unwrap();
            f
        }];
        let mut hdr = Ipv4Header::new(0, 64, IpNumber(6), SRC4, DST4).unwrap();
        hdr.options = [1u8, 1, 1, 0, 7, 7, 4, 0].as_slice().try_into().unwrap();
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ip(IpHeaders::Ipv4(hdr, Default::default()))
            .udp(1, 2)
            .write(&mut f, &payload(3))
            .unwrap();
        frames.push(f);
        for f in frames {
            assert!(reference(&f, false, 0).errors.is_empty());
            for n in 0..f.len() {
                let m = reference(&f[..n], false, 0);
                assert_eq!(m.errors, vec!["truncated"], "cut at {n}");
                assert!(!m.candidate);
                assert_eq!(m.l4, None);
                assert_eq!(m.eth_type.is_some(), n >= 14 && !(n < 18 && f[12] == 0x81));
            }
        }
        // The two-step runt + truncated ordering.
        let m = reference(&[0u8; 5], true, 60);
        assert_eq!(m.errors, vec!["mac_error", "runt", "truncated"]);
        assert_eq!(m.len, 5);
        assert_eq!(m.eth_type, None);
    }

    #[test]
    fn udp_checksum_zero_is_unchecked() {
        let mut f = pad60(udp4(&payload(4)));
        f[L4_UNTAGGED_V4 + 6] = 0;
        f[L4_UNTAGGED_V4 + 7] = 0;
        let m = reference(&f, false, 60);
        assert_eq!(m.l4, Some(L4Kind::Udp));
        assert_eq!(m.l4_csum_ok, None);
        assert!(m.errors.is_empty());
        assert_eq!(m.payload_len, Some(4));
        // Even with a corrupted payload: nothing is checked.
        f[L4_UNTAGGED_V4 + 8] ^= 0xFF;
        assert!(reference(&f, false, 60).errors.is_empty());
    }

    fn ipv6_with_exts(exts: Ipv6Extensions) -> Vec<u8> {
        let hdr = Ipv6Header {
            traffic_class: 3,
            flow_label: Ipv6FlowLabel::try_new(0x12345).unwrap(),
            payload_length: 0,
            next_header: IpNumber(255),
            hop_limit: 9,
            source: SRC6,
            destination: DST6,
        };
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ip(IpHeaders::Ipv6(hdr, exts))
            .tcp(1, 2, 3, 4)
            .ack(1)
            .write(&mut f, &payload(20))
            .unwrap();
        f
    }

    #[test]
    fn ipv6_extension_headers_are_walked() {
        let hbh = Ipv6RawExtHeader::new_raw(IpNumber(0), &[1, 4, 0, 0, 0, 0]).unwrap();
        let f = ipv6_with_exts(Ipv6Extensions {
            hop_by_hop_options: Some(hbh.clone()),
            ..Default::default()
        });
        let m = reference(&f, false, 60);
        assert_eq!(m.ip_proto, Some(0));
        assert_eq!(m.ip_options, Some(true));
        assert_eq!(m.fragment, Some(false));
        assert_eq!(m.l4, Some(L4Kind::Tcp));
        assert_eq!((m.src_port, m.dst_port), (Some(1), Some(2)));
        assert_eq!(m.payload_offset, Some(14 + 40 + 8 + 20));
        assert_eq!(m.l4_csum_ok, Some(true));
        assert!(m.errors.is_empty());
        assert!(
            !m.candidate,
            "extension headers keep a frame off the fast path"
        );

        // AH of 3 words (odd), then a routing header: walked. The pseudo-header uses the
        // IPv6 header's destination, which is the final one at the final destination.
        let ah = etherparse::IpAuthHeader::new(IpNumber(0), 7, 9, &[]).unwrap();
        let rt = Ipv6RawExtHeader::new_raw(IpNumber(0), &[0, 0, 0, 0, 0, 0]).unwrap();
        let f = ipv6_with_exts(Ipv6Extensions {
            auth: Some(ah),
            routing: Some(etherparse::Ipv6RoutingExtensions {
                routing: rt,
                final_destination_options: None,
            }),
            ..Default::default()
        });
        let m = reference(&f, false, 60);
        assert_eq!(m.l4, Some(L4Kind::Tcp));
        assert_eq!(m.payload_offset, Some(14 + 40 + 8 + 12 + 20));
        assert_eq!(m.l4_csum_ok, Some(true));

        // A hop-by-hop length pointing past the payload is a bad IP header.
        let mut f = ipv6_with_exts(Ipv6Extensions {
            hop_by_hop_options: Some(hbh.clone()),
            ..Default::default()
        });
        f[14 + 40 + 1] = 200;
        let m = reference(&f, false, 60);
        assert_eq!(m.errors, vec!["bad_ip_header"]);
        assert_eq!(m.l4, None);

        let frag = Ipv6FragmentHeader::new(IpNumber(0), IpFragOffset::ZERO, true, 77);
        let f = ipv6_with_exts(Ipv6Extensions {
            fragment: Some(frag),
            ..Default::default()
        });
        let m = reference(&f, false, 60);
        assert_eq!(m.ip_proto, Some(44));
        assert_eq!(m.ip_options, Some(true));
        assert_eq!(m.fragment, Some(true));
        assert_eq!(m.l4, None);
        assert!(m.errors.is_empty());

        // Truncation is still checked against the payload length.
        let m = reference(&f[..f.len() - 1], false, 0);
        assert_eq!(m.errors, vec!["truncated"]);
        assert_eq!(m.fragment, Some(true));
    }

    #[test]
    fn ipv4_fragment_is_not_parsed_further() {
        for (mf, off) in [(true, 0u16), (false, 100), (true, 8191)] {
            let mut hdr = Ipv4Header::new(0, 64, IpNumber(6), SRC4, DST4).unwrap();
            hdr.more_fragments = mf;
            hdr.fragment_offset = IpFragOffset::try_new(off).unwrap();
            let mut f = Vec::new();
            PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                .ip(IpHeaders::Ipv4(hdr, Default::default()))
                .tcp(1, 2, 3, 4)
                .ack(1)
                .write(&mut f, &payload(30))
                .unwrap();
            let m = reference(&f, false, 60);
            assert_eq!(m.fragment, Some(true));
            assert_eq!(m.ip_proto, Some(6));
            assert_eq!(m.ip_csum_ok, Some(true));
            assert_eq!(m.l4, None);
            assert_eq!(m.payload_len, None);
            assert!(m.errors.is_empty());
            assert!(!m.candidate);
        }
    }

    #[test]
    fn flags_syn_fin_rst_urg_are_not_candidates() {
        let data = payload(12);
        let build = |flag: u8| {
            let mut b = PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
                .ipv4(SRC4, DST4, 64)
                .tcp(1, 2, 3, 4)
                .ack(9);
            b = match flag {
                0x01 => b.fin(),
                0x02 => b.syn(),
                0x04 => b.rst(),
                0x08 => b.psh(),
                0x20 => b.urg(5),
                0x40 => b.ece(),
                0x80 => b.cwr(),
                _ => b,
            };
            let mut f = Vec::new();
            b.write(&mut f, &data).unwrap();
            f
        };
        for flag in [0x01u8, 0x02, 0x04, 0x20] {
            let m = reference(&build(flag), false, 60);
            assert_eq!(m.tcp_flags, Some(0x10 | u16::from(flag)));
            assert!(m.errors.is_empty());
            assert!(!m.candidate, "flag {flag:#x}");
        }
        for flag in [0x00u8, 0x08, 0x40, 0x80] {
            let m = reference(&build(flag), false, 60);
            assert_eq!(m.tcp_flags, Some(0x10 | u16::from(flag)));
            assert!(m.candidate, "flag {flag:#x}");
        }
        // Bare SYN (no ACK).
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv4(SRC4, DST4, 64)
            .tcp(1, 2, 3, 4)
            .syn()
            .options(&[TcpOptionElement::MaximumSegmentSize(1460)])
            .unwrap()
            .write(&mut f, &[])
            .unwrap();
        let m = reference(&pad60(f), false, 60);
        assert_eq!(m.tcp_flags, Some(0x02));
        assert_eq!(m.payload_len, Some(0));
        assert!(!m.candidate);
        // mac_error alone disqualifies.
        let m = reference(&build(0), true, 60);
        assert_eq!(m.errors, vec!["mac_error"]);
        assert!(!m.candidate);
    }

    #[test]
    fn ipv4_options_and_bad_ip_headers() {
        // IHL 7 with options, checksum recomputed by the builder.
        let mut hdr = Ipv4Header::new(0, 64, IpNumber(6), SRC4, DST4).unwrap();
        hdr.options = [7u8, 7, 4, 0, 0, 0, 0, 0].as_slice().try_into().unwrap();
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ip(IpHeaders::Ipv4(hdr, Default::default()))
            .tcp(1, 2, 3, 4)
            .ack(1)
            .write(&mut f, &payload(3))
            .unwrap();
        let m = reference(&f, false, 60);
        assert_eq!(m.ip_hdr_len, Some(28));
        assert_eq!(m.ip_options, Some(true));
        assert_eq!(m.ip_csum_ok, Some(true));
        assert_eq!(m.payload_offset, Some(14 + 28 + 20));
        assert!(m.candidate);

        // Bad version: nothing beyond ip_version.
        let mut g = f.clone();
        g[14] = 0x57;
        let m = reference(&g, false, 60);
        assert_eq!(m.errors, vec!["bad_ip_header"]);
        assert_eq!(m.ip_version, Some(4));
        assert_eq!(m.ip_hdr_len, None);
        assert_eq!(m.src_ip, None);

        // IHL < 5: fields still reported, no checksum.
        for ihl in 0..5u8 {
            let mut g = f.clone();
            g[14] = 0x40 | ihl;
            let m = reference(&g, false, 60);
            assert_eq!(m.errors, vec!["bad_ip_header"]);
            assert_eq!(m.ip_hdr_len, Some(ihl * 4));
            assert_eq!(m.ip_options, Some(false));
            assert_eq!(m.src_ip.as_deref(), Some("192.168.1.10"));
            assert_eq!(m.ip_proto, Some(6));
            assert_eq!(m.fragment, Some(false));
            assert_eq!(m.ip_csum_ok, None);
            assert_eq!(m.l4, None);
        }

        // IHL 15 with the frame ending inside the options: truncated, fields reported.
        let mut g = f[..14 + 40].to_vec();
        g[14] = 0x4F;
        let m = reference(&g, false, 0);
        assert_eq!(m.errors, vec!["truncated"]);
        assert_eq!(m.ip_hdr_len, Some(60));
        assert_eq!(m.ip_options, Some(true));
        assert_eq!(m.ip_csum_ok, None);

        // Total length < IHL*4: checksum still checked (and here still good).
        let mut g = tcp4(&payload(20));
        g[14 + 2..14 + 4].copy_from_slice(&19u16.to_be_bytes());
        let mut h = Ipv4HeaderSlice::from_slice(&g[14..]).unwrap().to_header();
        h.header_checksum = h.calc_header_checksum();
        g[IP4_CSUM..IP4_CSUM + 2].copy_from_slice(&h.header_checksum.to_be_bytes());
        let m = reference(&g, false, 60);
        assert_eq!(m.errors, vec!["bad_ip_header"]);
        assert_eq!(m.ip_csum_ok, Some(true));
        assert_eq!(m.l4, None);

        // Total length too big: truncated (checksum corrected).
        let mut g = tcp4(&payload(20));
        g[14 + 2..14 + 4].copy_from_slice(&200u16.to_be_bytes());
        let mut h = Ipv4HeaderSlice::from_slice(&g[14..]).unwrap().to_header();
        h.header_checksum = h.calc_header_checksum();
        g[IP4_CSUM..IP4_CSUM + 2].copy_from_slice(&h.header_checksum.to_be_bytes());
        let m = reference(&g, false, 60);
        assert_eq!(m.errors, vec!["truncated"]);
        assert_eq!(m.ip_csum_ok, Some(true));

        // IPv6 with a bad version nibble.
        let mut g = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv6(SRC6, DST6, 64)
            .udp(1, 2)
            .write(&mut g, &[])
            .unwrap();
        g[14] = 0x40;
        let m = reference(&g, false, 60);
        assert_eq!(m.errors, vec!["bad_ip_header"]);
        assert_eq!(m.ip_version, Some(6));
        assert_eq!(m.ip_hdr_len, None);
    }

    #[test]
    fn bad_l4_headers() {
        // TCP data offset < 5 or > segment length (59 bytes): ports etc. and checksum
        // reported, no payload fields.
        let f = tcp4(&payload(39));
        for doff in [0u8, 4, 15] {
            let mut g = f.clone();
            g[L4_UNTAGGED_V4 + 12] = (doff << 4) | (g[L4_UNTAGGED_V4 + 12] & 0x0F);
            let m = reference(&g, false, 60);
            assert_eq!(m.src_port, Some(40000));
            assert_eq!(m.tcp_seq, Some(0x1234_5678));
            assert_eq!(m.tcp_ack, Some(0x9abc_def0));
            assert_eq!(m.tcp_flags, Some(0x18));
            assert_eq!(m.tcp_hdr_len, Some(doff * 4));
            assert_eq!(m.l4_csum_ok, Some(false));
            assert_eq!(m.tcp_options, None);
            assert_eq!(m.payload_offset, None);
            assert_eq!(m.payload_len, None);
            assert_eq!(m.errors, vec!["bad_l4_header", "l4_checksum"]);
            assert!(!m.candidate);
        }
        // Data offset exactly the segment length: valid, zero payload.
        let mut g = tcp4(&payload(40));
        g[L4_UNTAGGED_V4 + 12] = 15 << 4;
        let m = reference(&g, false, 60);
        assert_eq!(m.tcp_hdr_len, Some(60));
        assert_eq!(m.payload_len, Some(0));
        assert_eq!(m.tcp_options, Some(true));
        assert_eq!(m.errors, vec!["l4_checksum"]);

        // TCP segment shorter than 20 bytes (IP total length says so).
        let mut g = pad60(tcp4(&[]));
        g[14 + 2..14 + 4].copy_from_slice(&39u16.to_be_bytes());
        let mut h = Ipv4HeaderSlice::from_slice(&g[14..]).unwrap().to_header();
        h.header_checksum = h.calc_header_checksum();
        g[IP4_CSUM..IP4_CSUM + 2].copy_from_slice(&h.header_checksum.to_be_bytes());
        let m = reference(&g, false, 60);
        assert_eq!(m.l4, Some(L4Kind::Tcp));
        assert_eq!(m.src_port, None);
        assert_eq!(m.l4_csum_ok, None);
        assert_eq!(m.errors, vec!["bad_l4_header"]);

        // UDP length mismatch: ports and checksum reported, no payload fields.
        for len in [0u16, 7, 8, 12, 14, 100] {
            let mut g = pad60(udp4(&payload(5)));
            g[L4_UNTAGGED_V4 + 4..L4_UNTAGGED_V4 + 6].copy_from_slice(&len.to_be_bytes());
            let m = reference(&g, false, 60);
            assert_eq!(m.src_port, Some(5353));
            assert_eq!(m.payload_offset, None);
            assert_eq!(m.l4_csum_ok, Some(false));
            assert_eq!(m.errors, vec!["bad_l4_header", "l4_checksum"]);
        }
        // UDP shorter than 8 bytes.
        let mut g = pad60(udp4(&[]));
        g[14 + 2..14 + 4].copy_from_slice(&27u16.to_be_bytes());
        let mut h = Ipv4HeaderSlice::from_slice(&g[14..]).unwrap().to_header();
        h.header_checksum = h.calc_header_checksum();
        g[IP4_CSUM..IP4_CSUM + 2].copy_from_slice(&h.header_checksum.to_be_bytes());
        let m = reference(&g, false, 60);
        assert_eq!(m.l4, Some(L4Kind::Udp));
        assert_eq!(m.src_port, None);
        assert_eq!(m.errors, vec!["bad_l4_header"]);
    }

    #[test]
    fn other_protocols_and_non_ip() {
        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv4(SRC4, DST4, 64)
            .icmpv4_echo_request(1, 2)
            .write(&mut f, &payload(3))
            .unwrap();
        let m = reference(&pad60(f), false, 60);
        assert_eq!(m.ip_proto, Some(1));
        assert_eq!(m.l4, Some(L4Kind::Other));
        assert_eq!(m.src_port, None);
        assert_eq!(m.l4_csum_ok, None);
        assert!(m.errors.is_empty());

        let mut f = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .ipv6(SRC6, DST6, 64)
            .write(&mut f, IpNumber(47), &payload(3))
            .unwrap();
        let m = reference(&pad60(f), false, 60);
        assert_eq!(m.ip_proto, Some(47));
        assert_eq!(m.l4, Some(L4Kind::Other));
        assert!(m.errors.is_empty());

        let mut f = Ethernet2Header {
            source: SRC_MAC,
            destination: DST_MAC,
            ether_type: EtherType(0x88CC),
        }
        .to_bytes()
        .to_vec();
        f.resize(60, 0);
        let m = reference(&f, false, 60);
        assert_eq!(m.eth_type, Some(0x88CC));
        assert_eq!(m.ip_version, None);
        assert!(m.errors.is_empty());

        // Tagged frame cut inside the tag.
        let mut g = Vec::new();
        PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
            .vlan(VlanHeader::Double(DoubleVlanHeader::default()))
            .ipv4(SRC4, DST4, 1)
            .udp(1, 2)
            .write(&mut g, &[])
            .unwrap();
        let m = reference(&g[..17], false, 0);
        assert_eq!(m.errors, vec!["truncated"]);
        assert_eq!(m.eth_type, None);
        assert_eq!(m.vlan, None);
        assert!(!m.qinq);
    }

    /// Properties that hold for every input; also checks that nothing panics.
    fn check_invariants(f: &[u8], mac: bool) {
        let m = reference(f, mac, 60);
        assert_eq!(m.len as usize, f.len());
        let idx: Vec<usize> = m
            .errors
            .iter()
            .map(|e| ERROR_NAMES.iter().position(|n| n == e).unwrap())
            .collect();
        assert!(idx.windows(2).all(|w| w[0] < w[1]), "{:?}", m.errors);
        if m.candidate {
            assert!(m.errors.is_empty());
            assert_eq!(m.l4, Some(L4Kind::Tcp));
            let off = m.payload_offset.unwrap() as usize;
            assert!(off + m.payload_len.unwrap() as usize <= f.len());
        }
        if let Some(off) = m.payload_offset {
            assert!(off as usize + m.payload_len.unwrap() as usize <= f.len());
            assert!(off <= 255);
        }
        if m.qinq {
            assert!(m.ip_version.is_none());
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5EED);
        let mut lens: Vec<usize> = (0..=200).collect();
        lens.extend([
            1499, 1500, 1514, 1518, 9000, 9018, 65535, 65549, 65553, 70000,
        ]);
        for _ in 0..2000 {
            lens.push(rng.random_range(0..=70000));
        }
        for (i, &n) in lens.iter().enumerate() {
            let mut f = vec![0u8; n];
            rng.fill(&mut f[..]);
            // Make most frames reach the deeper layers.
            match i % 6 {
                0 => {}
                1 | 2 if n >= 14 => {
                    f[12..14].copy_from_slice(&[0x08, 0x00]);
                    if n > 14 {
                        f[14] = 0x40 | (f[14] & 0x0F);
                    }
                    if n > 23 {
                        f[23] = [6, 17, 6, 1][usize::from(f[23] & 3)];
                    }
                    if n >= 18 && i % 4 == 1 {
                        let total = (n - 14).min(65535) as u16;
                        f[16..18].copy_from_slice(&total.to_be_bytes());
                        f[14] = 0x45;
                    }
                }
                3 if n >= 14 => {
                    f[12..14].copy_from_slice(&[0x86, 0xDD]);
                    if n > 14 {
                        f[14] = 0x60 | (f[14] & 0x0F);
                    }
                    if n > 20 {
                        f[20] = [6, 17, 0, 44][usize::from(f[20] & 3)];
                    }
                    if n >= 58 && i % 4 == 3 {
                        let pl = (n - 54).min(65535) as u16;
                        f[18..20].copy_from_slice(&pl.to_be_bytes());
                    }
                }
                4 if n >= 18 => {
                    f[12..14].copy_from_slice(&[0x81, 0x00]);
                    f[16..18].copy_from_slice(&[0x08, 0x00]);
                }
                _ => {}
            }
            check_invariants(&f, i % 7 == 0);
        }
        // A valid TCP frame stays valid-looking under every single-byte change.
        let f = pad60(tcp4(&payload(7)));
        for pos in 0..f.len() {
            for v in [0u8, 0x0F, 0x45, 0xFF] {
                let mut g = f.clone();
                g[pos] = v;
                check_invariants(&g, false);
            }
        }
    }

    /// `RxMeta::encode` packs every record the reference produces so that `decode`
    /// gives it back (the engine tests feed the model records packed this way).
    #[test]
    fn encode_inverts_decode_on_reference_records() {
        let mut g = crate::framegen::FrameGen::new(31);
        for _ in 0..20_000 {
            let (f, err) = g.any();
            let m = reference(&f, err, 60);
            assert_eq!(RxMeta::decode(&m.encode()), m, "frame {f:02x?}");
        }
    }
}
