//! Seeded, reproducible generator of receive-parser test frames.
//!
//! [`FrameGen::valid`] builds well-formed frames with `etherparse`'s
//! [`PacketBuilder`] (Ethernet padding is appended afterwards);
//! [`FrameGen::mutated`] damages such a frame in ways aimed at the parser's checks;
//! [`FrameGen::any`] mixes both and occasionally raises the MAC error flag.
//! The same seed always yields the same sequence of frames.

use etherparse::checksum::Sum16BitWords;
use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, DoubleVlanHeader, EtherType, Ethernet2Header, IpDscp,
    IpEcn, IpFragOffset, IpHeaders, IpNumber, Ipv4Header, Ipv6Extensions, Ipv6FlowLabel,
    Ipv6FragmentHeader, Ipv6Header, Ipv6RawExtHeader, PacketBuilder, PacketBuilderStep,
    SingleVlanHeader, TcpHeader, TcpOptionElement, VlanHeader, VlanId, VlanPcp,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Ethernet minimum frame length without FCS.
pub const MIN_ETH_LEN: usize = 60;

/// IPv6 next-header values the parser treats as extension headers; never used as
/// the "other protocol" of a valid frame.
const IPV6_EXT: [u8; 11] = [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254];

/// Where the headers of a generated valid frame are, for targeted mutations.
#[derive(Debug, Clone, Copy, Default)]
struct Layout {
    /// Offset of the IP header (IP frames only, including QinQ ones).
    l3: Option<usize>,
    ip4: bool,
    /// Offset of the transport header (after IPv4 options / IPv6 extension headers).
    l4: usize,
    /// Transport protocol actually written: 6, 17 or something else.
    proto: u8,
    /// TCP header length (TCP only).
    tcp_hdr_len: usize,
    /// One past the last IP byte.
    ip_end: usize,
}

/// Seeded frame generator. See the module documentation.
pub struct FrameGen {
    rng: ChaCha8Rng,
}

impl FrameGen {
    /// A generator whose output depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        FrameGen {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A well-formed frame (padded to at least [`MIN_ETH_LEN`] bytes).
    pub fn valid(&mut self) -> Vec<u8> {
        self.valid_with_layout().0
    }

    /// A valid frame damaged by one or more mutations, or random garbage. Never
    /// empty (at least one byte).
    pub fn mutated(&mut self) -> Vec<u8> {
        let (mut f, lay) = self.valid_with_layout();
        let n = match self.pct() {
            0..70 => 1,
            70..92 => 2,
            _ => 3,
        };
        for _ in 0..n {
            self.mutate_once(&mut f, &lay);
        }
        f
    }

    /// About 60 % valid and 40 % mutated frames; the flag is the MAC error
    /// (`tuser`) to present with the frame, true about 2 % of the time.
    pub fn any(&mut self) -> (Vec<u8>, bool) {
        let f = if self.pct() < 60 {
            self.valid()
        } else {
            self.mutated()
        };
        let mac_error = self.rng.random_range(0..50) == 0;
        (f, mac_error)
    }

    // ----------------------------------------------------------------- helpers

    fn pct(&mut self) -> u32 {
        self.rng.random_range(0..100)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.rng.fill(&mut v[..]);
        v
    }

    fn mac(&mut self) -> [u8; 6] {
        let mut m: [u8; 6] = self.rng.random();
        if self.chance(0.8) {
            m[0] &= 0xFE; // mostly unicast
        }
        m
    }

    fn ipv4_addr(&mut self) -> [u8; 4] {
        match self.pct() {
            0..3 => [0, 0, 0, 0],
            3..6 => [255, 255, 255, 255],
            6..30 => {
                let last = self.rng.random();
                [192, 168, self.rng.random_range(0..4), last]
            }
            _ => self.rng.random(),
        }
    }

    fn ipv6_addr(&mut self) -> [u8; 16] {
        let mut a: [u8; 16] = self.rng.random();
        match self.pct() {
            0..30 => {
                a[..8].copy_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0]);
            }
            30..60 => {
                a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
                a[4..14].fill(0);
            }
            60..63 => a = [0; 16],
            _ => {}
        }
        a
    }

    fn payload_len(&mut self) -> usize {
        match self.pct() {
            0..70 => self.rng.random_range(0..=64),
            70..97 => self.rng.random_range(0..=1500),
            _ => self.rng.random_range(0..=9000),
        }
    }

    fn port(&mut self) -> u16 {
        match self.pct() {
            0..20 => [80, 443, 22, 53, 4791, 8080, 0, 65535][self.rng.random_range(0..8)],
            _ => self.rng.random(),
        }
    }

    fn vlan_tag(&mut self) -> SingleVlanHeader {
        SingleVlanHeader {
            pcp: VlanPcp::try_new(self.rng.random_range(0..8)).expect("pcp < 8"),
            drop_eligible_indicator: self.chance(0.1),
            vlan_id: VlanId::try_new(self.rng.random_range(0..4096)).expect("vid < 4096"),
            ether_type: EtherType(0), // set by the builder
        }
    }

    // ------------------------------------------------------------ valid frames

    /// Builds a valid frame and remembers where its headers are.
    fn valid_with_layout(&mut self) -> (Vec<u8>, Layout) {
        let src_mac = self.mac();
        let dst_mac = self.mac();

        // Link: none / single tag / QinQ (0x88A8 + 0x8100, or 0x8100 + 0x8100).
        let (tag, double_ctag) = match self.pct() {
            0..60 => (None, false),
            60..92 => (Some(VlanHeader::Single(self.vlan_tag())), false),
            _ => {
                let d = DoubleVlanHeader {
                    outer: self.vlan_tag(),
                    inner: self.vlan_tag(),
                };
                (Some(VlanHeader::Double(d)), self.chance(0.4))
            }
        };
        let link_len = 14
            + match &tag {
                None => 0,
                Some(VlanHeader::Single(_)) => 4,
                Some(VlanHeader::Double(_)) => 8,
            };

        let (mut f, lay) = if self.pct() < 7 {
            (self.non_ip_frame(src_mac, dst_mac, &tag), Layout::default())
        } else {
            self.ip_frame(src_mac, dst_mac, &tag, link_len)
        };
        if double_ctag {
            // PacketBuilder writes 0x88A8 as the outer TPID of a double tag; some
            // networks use 0x8100 twice.
            f[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
        }

        // Ethernet padding and trailing bytes beyond the IP datagram.
        if f.len() < MIN_ETH_LEN {
            if self.chance(0.75) {
                f.resize(MIN_ETH_LEN, 0);
            } else {
                let pad = self.bytes(MIN_ETH_LEN - f.len());
                f.extend_from_slice(&pad);
            }
        }
        if self.chance(0.08) {
            let n = self.rng.random_range(1..=40);
            if self.chance(0.5) {
                f.resize(f.len() + n, 0);
            } else {
                let extra = self.bytes(n);
                f.extend_from_slice(&extra);
            }
        }
        (f, lay)
    }

    /// ARP, LLDP or another non-IP ethertype, possibly tagged.
    fn non_ip_frame(&mut self, src: [u8; 6], dst: [u8; 6], tag: &Option<VlanHeader>) -> Vec<u8> {
        let mut f = Vec::new();
        if self.chance(0.5) {
            let (sha, tha) = (self.mac(), self.mac());
            let (spa, tpa) = (self.ipv4_addr(), self.ipv4_addr());
            let op = if self.chance(0.5) {
                ArpOperation::REQUEST
            } else {
                ArpOperation::REPLY
            };
            let arp = ArpPacket::new(
                ArpHardwareId::ETHERNET,
                EtherType::IPV4,
                op,
                &sha,
                &spa,
                &tha,
                &tpa,
            )
            .expect("valid ARP lengths");
            let eth = PacketBuilder::ethernet2(src, dst);
            match tag.clone() {
                None => eth.arp(arp).write(&mut f),
                Some(v) => eth.vlan(v).arp(arp).write(&mut f),
            }
            .expect("ARP frame builds");
        } else {
            let et = match self.pct() {
                0..60 => 0x88CC, // LLDP
                60..80 => [0x8847, 0x88B5, 0x0842, 0x8906][self.rng.random_range(0..4)],
                _ => self.rng.random_range(0x0600..=0xFFFF),
            };
            // Keep the random ethertype from being one the parser interprets.
            let et = if [0x0800, 0x86DD, 0x8100, 0x88A8].contains(&et) {
                0x88CC
            } else {
                et
            };
            let outer_type = match tag {
                None => et,
                Some(VlanHeader::Single(_)) => 0x8100,
                Some(VlanHeader::Double(_)) => 0x88A8,
            };
            let eth = Ethernet2Header {
                source: src,
                destination: dst,
                ether_type: EtherType(outer_type),
            };
            f.extend_from_slice(&eth.to_bytes());
            match tag {
                None => {}
                Some(VlanHeader::Single(t)) => {
                    let t = SingleVlanHeader {
                        ether_type: EtherType(et),
                        ..t.clone()
                    };
                    f.extend_from_slice(&t.to_bytes());
                }
                Some(VlanHeader::Double(d)) => {
                    let o = SingleVlanHeader {
                        ether_type: EtherType(0x8100),
                        ..d.outer.clone()
                    };
                    let i = SingleVlanHeader {
                        ether_type: EtherType(et),
                        ..d.inner.clone()
                    };
                    f.extend_from_slice(&o.to_bytes());
                    f.extend_from_slice(&i.to_bytes());
                }
            }
            let n = self.rng.random_range(0..=100);
            let body = self.bytes(n);
            f.extend_from_slice(&body);
        }
        f
    }

    /// IPv4 options of `len` bytes (a multiple of 4, 4..=40).
    fn ipv4_options(&mut self, len: usize) -> Vec<u8> {
        match self.pct() {
            0..30 => vec![1; len], // NOPs
            30..65 => {
                // Record route: type 7, length, pointer 4, room for addresses, then EOL.
                let room = (len - 3) / 4;
                let mut v = vec![7, (3 + 4 * room) as u8, 4];
                v.resize(3 + 4 * room, 0);
                v.resize(len, 0);
                v
            }
            65..85 => {
                // NOPs then EOL and zero fill.
                let k = self.rng.random_range(0..len);
                let mut v = vec![1; k];
                v.resize(len, 0);
                v
            }
            _ => self.bytes(len), // arbitrary bytes: the parser does not interpret options
        }
    }

    fn ipv4_header(&mut self) -> Ipv4Header {
        let mut h = Ipv4Header {
            dscp: IpDscp::try_new(self.rng.random_range(0..64)).expect("dscp < 64"),
            ecn: IpEcn::try_new(self.rng.random_range(0..4)).expect("ecn < 4"),
            identification: self.rng.random(),
            dont_fragment: self.chance(0.6),
            time_to_live: self.rng.random_range(1..=255),
            source: self.ipv4_addr(),
            destination: self.ipv4_addr(),
            ..Default::default()
        };
        if self.chance(0.2) {
            let words = self.rng.random_range(1..=10usize);
            let opts = self.ipv4_options(words * 4);
            h.options = opts
                .as_slice()
                .try_into()
                .expect("options length multiple of 4, <= 40");
        }
        if self.chance(0.08) {
            h.dont_fragment = false;
            let (mf, off) = match self.rng.random_range(0..3) {
                0 => (true, 0),
                1 => (false, self.rng.random_range(1..0x2000)),
                _ => (true, self.rng.random_range(1..0x2000)),
            };
            h.more_fragments = mf;
            h.fragment_offset = IpFragOffset::try_new(off).expect("offset < 8192");
        }
        h
    }

    fn ipv6_ext_raw(&mut self) -> Ipv6RawExtHeader {
        let len = 6 + 8 * self.rng.random_range(0..3usize);
        let body = if self.chance(0.5) {
            // PadN option filling the header.
            let mut v = vec![1, (len - 2) as u8];
            v.resize(len, 0);
            v
        } else {
            self.bytes(len)
        };
        Ipv6RawExtHeader::new_raw(IpNumber(59), &body).expect("aligned extension payload")
    }

    /// The IPv6 header and extension headers, plus the extension headers' length.
    fn ipv6_headers(&mut self) -> (Ipv6Header, Ipv6Extensions, usize) {
        let h = Ipv6Header {
            traffic_class: self.rng.random(),
            flow_label: Ipv6FlowLabel::try_new(self.rng.random_range(0..1 << 20)).expect("20 bits"),
            payload_length: 0,          // set by the builder
            next_header: IpNumber(255), // set by the builder
            hop_limit: self.rng.random(),
            source: self.ipv6_addr(),
            destination: self.ipv6_addr(),
        };
        let mut exts = Ipv6Extensions::default();
        if self.chance(0.15) {
            loop {
                if self.chance(0.5) {
                    exts.hop_by_hop_options = Some(self.ipv6_ext_raw());
                }
                if self.chance(0.3) {
                    exts.destination_options = Some(self.ipv6_ext_raw());
                }
                if self.chance(0.3) {
                    exts.routing = Some(etherparse::Ipv6RoutingExtensions {
                        routing: self.ipv6_ext_raw(),
                        final_destination_options: self.chance(0.3).then(|| self.ipv6_ext_raw()),
                    });
                }
                if self.chance(0.3) {
                    // AH: 12 bytes + ICV (a multiple of 4), so an odd number of 32-bit
                    // words is common and shifts every later header by one word.
                    let icv_len = 4 * self.rng.random_range(0..4usize);
                    let icv = self.bytes(icv_len);
                    exts.auth = Some(
                        etherparse::IpAuthHeader::new(
                            IpNumber(59),
                            self.rng.random(),
                            self.rng.random(),
                            &icv,
                        )
                        .expect("ICV length is a multiple of 4"),
                    );
                }
                if self.chance(0.3) {
                    let off = if self.chance(0.5) {
                        0
                    } else {
                        self.rng.random_range(1..0x2000)
                    };
                    exts.fragment = Some(Ipv6FragmentHeader::new(
                        IpNumber(59),
                        IpFragOffset::try_new(off).expect("offset < 8192"),
                        self.chance(0.7),
                        self.rng.random(),
                    ));
                }
                if exts.header_len() > 0 {
                    break;
                }
            }
        }
        let ext_len = exts.header_len();
        (h, exts, ext_len)
    }

    fn tcp_header(&mut self) -> TcpHeader {
        let mut t = TcpHeader::new(
            self.port(),
            self.port(),
            self.rng.random(),
            self.rng.random(),
        );
        t.acknowledgment_number = self.rng.random();
        t.ack = self.chance(0.9);
        t.psh = self.chance(0.3);
        t.syn = self.chance(0.05);
        t.fin = self.chance(0.05);
        t.rst = self.chance(0.03);
        t.ece = self.chance(0.04);
        t.cwr = self.chance(0.04);
        t.ns = self.chance(0.02);
        if self.chance(0.03) {
            t.urg = true;
            t.urgent_pointer = self.rng.random();
        }
        if self.chance(0.55) {
            let mut opts = Vec::new();
            let mut len = 0;
            let k = self.rng.random_range(1..=6);
            for _ in 0..k {
                let o = match self.rng.random_range(0..6) {
                    0 => TcpOptionElement::MaximumSegmentSize(self.rng.random()),
                    1 => TcpOptionElement::WindowScale(self.rng.random_range(0..15)),
                    2 => TcpOptionElement::SelectiveAcknowledgementPermitted,
                    3 => TcpOptionElement::Timestamp(self.rng.random(), self.rng.random()),
                    4 => TcpOptionElement::Noop,
                    _ => {
                        let b = |g: &mut Self| (g.rng.random(), g.rng.random());
                        let first = b(self);
                        let more = self.rng.random_range(0..=3);
                        let mut rest = [None; 3];
                        for r in rest.iter_mut().take(more) {
                            *r = Some(b(self));
                        }
                        TcpOptionElement::SelectiveAcknowledgement(first, rest)
                    }
                };
                let l = match &o {
                    TcpOptionElement::Noop => 1,
                    TcpOptionElement::MaximumSegmentSize(_) => 4,
                    TcpOptionElement::WindowScale(_) => 3,
                    TcpOptionElement::SelectiveAcknowledgementPermitted => 2,
                    TcpOptionElement::SelectiveAcknowledgement(_, r) => {
                        10 + 8 * r.iter().flatten().count()
                    }
                    TcpOptionElement::Timestamp(..) => 10,
                };
                if len + l <= 40 {
                    len += l;
                    opts.push(o);
                }
            }
            // Cannot fail: the total stays within 40 bytes.
            let _ = t.set_options(&opts);
        }
        t
    }

    /// An IPv4 or IPv6 frame with TCP, UDP, ICMP or another protocol.
    fn ip_frame(
        &mut self,
        src: [u8; 6],
        dst: [u8; 6],
        tag: &Option<VlanHeader>,
        link_len: usize,
    ) -> (Vec<u8>, Layout) {
        let ip4 = self.pct() < 65;
        let (ip, ip_hdr_len) = if ip4 {
            let h = self.ipv4_header();
            let hl = h.header_len();
            (IpHeaders::Ipv4(h, Default::default()), hl)
        } else {
            let (h, exts, ext_len) = self.ipv6_headers();
            (IpHeaders::Ipv6(h, exts), 40 + ext_len)
        };
        let eth = PacketBuilder::ethernet2(src, dst);
        let step: PacketBuilderStep<IpHeaders> = match tag.clone() {
            None => eth.ip(ip),
            Some(v) => eth.vlan(v).ip(ip),
        };
        let l3 = link_len;
        let l4 = l3 + ip_hdr_len;
        let n = self.payload_len();
        let payload = self.bytes(n);
        let mut f = Vec::new();
        let mut lay = Layout {
            l3: Some(l3),
            ip4,
            l4,
            proto: 0,
            tcp_hdr_len: 0,
            ip_end: 0,
        };
        match self.pct() {
            0..55 => {
                let t = self.tcp_header();
                lay.proto = 6;
                lay.tcp_hdr_len = t.header_len();
                step.tcp_header(t)
                    .write(&mut f, &payload)
                    .expect("TCP frame builds");
            }
            55..80 => {
                lay.proto = 17;
                let (sp, dp) = (self.port(), self.port());
                step.udp(sp, dp)
                    .write(&mut f, &payload)
                    .expect("UDP frame builds");
                if self.chance(0.12) {
                    // Checksum 0: "no checksum".
                    f[l4 + 6..l4 + 8].fill(0);
                }
            }
            80..88 => {
                lay.proto = if ip4 { 1 } else { 58 };
                let (id, seq) = (self.rng.random(), self.rng.random());
                if ip4 {
                    step.icmpv4_echo_request(id, seq).write(&mut f, &payload)
                } else {
                    step.icmpv6_echo_request(id, seq).write(&mut f, &payload)
                }
                .expect("ICMP frame builds");
            }
            _ => {
                let proto = loop {
                    let p = match self.pct() {
                        0..40 => 47,   // GRE
                        40..55 => 132, // SCTP
                        55..65 => 4,   // IP in IP
                        65..75 => 89,  // OSPF
                        _ => self.rng.random(),
                    };
                    if p != 6 && p != 17 && !IPV6_EXT.contains(&p) {
                        break p;
                    }
                };
                lay.proto = proto;
                step.write(&mut f, IpNumber(proto), &payload)
                    .expect("raw IP frame builds");
            }
        }
        lay.ip_end = f.len();
        (f, lay)
    }

    // --------------------------------------------------------------- mutations

    /// Header bytes worth flipping more often than others.
    fn hot_bytes(lay: &Layout) -> Vec<usize> {
        let mut v = vec![12, 13, 14, 16, 17];
        if let Some(l3) = lay.l3 {
            if lay.ip4 {
                v.extend([
                    l3,
                    l3,
                    l3 + 2,
                    l3 + 3,
                    l3 + 6,
                    l3 + 7,
                    l3 + 9,
                    l3 + 10,
                    l3 + 11,
                ]);
            } else {
                v.extend([l3, l3 + 4, l3 + 5, l3 + 6]);
            }
            let l4 = lay.l4;
            match lay.proto {
                6 => v.extend([l4 + 12, l4 + 12, l4 + 13, l4 + 16, l4 + 17]),
                17 => v.extend([l4 + 4, l4 + 5, l4 + 6, l4 + 7]),
                _ => {}
            }
        }
        v
    }

    /// Interesting truncation points: around every header boundary.
    fn cut_points(lay: &Layout) -> Vec<usize> {
        let mut v = vec![14, 18, 22];
        if let Some(l3) = lay.l3 {
            v.extend([
                l3,
                l3 + 20,
                l3 + 40,
                lay.l4,
                lay.l4 + 8,
                lay.l4 + 13,
                lay.l4 + 20,
            ]);
            v.extend([lay.l4 + lay.tcp_hdr_len, lay.ip_end]);
        }
        v
    }

    fn mutate_once(&mut self, f: &mut Vec<u8>, lay: &Layout) {
        let ip = lay.l3.is_some();
        let k = self.pct();
        match k {
            // Bit flips.
            0..28 => {
                let flips = if self.chance(0.7) {
                    1
                } else {
                    self.rng.random_range(2..=16)
                };
                let hot = Self::hot_bytes(lay);
                for _ in 0..flips {
                    if f.is_empty() {
                        break;
                    }
                    let pos = if self.chance(0.5) {
                        hot[self.rng.random_range(0..hot.len())]
                    } else {
                        self.rng.random_range(0..f.len())
                    };
                    let bit = self.rng.random_range(0..8);
                    if let Some(b) = f.get_mut(pos) {
                        *b ^= 1 << bit;
                    }
                }
            }
            // Truncation.
            28..44 => {
                if f.len() < 2 {
                    return;
                }
                let len = match self.pct() {
                    0..20 => self.rng.random_range(0..14),
                    20..30 => self.rng.random_range(14..22),
                    30..75 => {
                        let pts = Self::cut_points(lay);
                        let p = pts[self.rng.random_range(0..pts.len())] as i64;
                        (p + self.rng.random_range(-3..=3)).max(0) as usize
                    }
                    _ => self.rng.random_range(0..f.len()),
                };
                // At least one byte: an AXI-Stream frame cannot be empty.
                f.truncate(len.clamp(1, f.len().max(2) - 1));
            }
            // Wrong IP total length / IPv6 payload length.
            44..56 if ip => self.mutate_ip_len(f, lay),
            // Wrong UDP length.
            56..62 if lay.proto == 17 => {
                let at = lay.l4 + 4;
                if let Some(cur) = get16(f, at) {
                    let new = self.wrong_len(cur);
                    put16(f, at, new);
                    if self.chance(0.5) {
                        fix_l4_checksum(f, lay);
                    }
                }
            }
            // Bad IPv4 header checksum.
            62..69 if ip && lay.ip4 => {
                let at = lay.l3.unwrap_or(0) + 10;
                self.corrupt_checksum(f, at, false);
            }
            // Bad L4 checksum.
            69..77 if lay.proto == 6 || lay.proto == 17 => {
                let at = lay.l4 + if lay.proto == 6 { 16 } else { 6 };
                self.corrupt_checksum(f, at, lay.proto == 17);
            }
            // Rewrite a header field with a random / boundary value.
            77..92 if ip => self.mutate_field(f, lay),
            // Garbage.
            92..100 => {
                let n = self.rng.random_range(1..=200);
                *f = self.bytes(n);
                if n >= 34 && self.chance(0.5) {
                    // Plausible prefix so that garbage reaches the IP/L4 checks.
                    let (et, first) = match self.rng.random_range(0..3) {
                        0 => (0x0800u16, 0x40 | self.rng.random_range(0..16u8)),
                        1 => (0x86DD, 0x60),
                        _ => (0x0800, 0x45),
                    };
                    f[12..14].copy_from_slice(&et.to_be_bytes());
                    f[14] = first;
                    if self.chance(0.5) {
                        f[14 + if et == 0x0800 { 9 } else { 6 }] =
                            if self.chance(0.5) { 6 } else { 17 };
                    }
                }
            }
            // Guarded arm not applicable (e.g. UDP mutation of a TCP frame): flip a bit.
            _ => {
                if !f.is_empty() {
                    let pos = self.rng.random_range(0..f.len());
                    f[pos] ^= 1 << self.rng.random_range(0..8);
                }
            }
        }
    }

    /// A length different from `cur`: slightly or much bigger or smaller.
    fn wrong_len(&mut self, cur: u16) -> u16 {
        loop {
            let v = match self.pct() {
                0..30 => cur.saturating_add(self.rng.random_range(1..=64)),
                30..60 => cur.saturating_sub(self.rng.random_range(1..=64)),
                60..75 => self.rng.random_range(0..=cur),
                75..85 => self.rng.random_range(0..=40),
                _ => self.rng.random(),
            };
            if v != cur {
                return v;
            }
        }
    }

    fn mutate_ip_len(&mut self, f: &mut [u8], lay: &Layout) {
        let Some(l3) = lay.l3 else { return };
        let at = if lay.ip4 { l3 + 2 } else { l3 + 4 };
        if let Some(cur) = get16(f, at) {
            let new = self.wrong_len(cur);
            put16(f, at, new);
            if lay.ip4 && self.chance(0.7) {
                fix_ipv4_checksum(f, l3);
            }
        }
    }

    fn corrupt_checksum(&mut self, f: &mut [u8], at: usize, udp: bool) {
        let Some(old) = get16(f, at) else { return };
        let new = loop {
            let v = if self.chance(0.5) {
                old ^ (1 << self.rng.random_range(0..16))
            } else {
                self.rng.random()
            };
            // 0x0000 and 0xFFFF are the same ones' complement value; 0 means "no
            // checksum" in UDP.
            let same = v == old || (v | old == 0xFFFF && (v == 0 || old == 0));
            if !(same || (udp && v == 0)) {
                break v;
            }
        };
        put16(f, at, new);
    }

    fn mutate_field(&mut self, f: &mut [u8], lay: &Layout) {
        let Some(l3) = lay.l3 else { return };
        match self.rng.random_range(0..6) {
            // IHL (IPv4) or version nibble.
            0 => {
                if let Some(b) = f.get_mut(l3) {
                    if lay.ip4 && self.chance(0.7) {
                        *b = 0x40 | self.rng.random_range(0..16u8);
                    } else {
                        *b = (self.rng.random_range(0..16u8) << 4) | (*b & 0x0F);
                    }
                }
                if lay.ip4 && self.chance(0.5) {
                    fix_ipv4_checksum(f, l3);
                }
            }
            // TCP data offset.
            1 if lay.proto == 6 => {
                if let Some(b) = f.get_mut(lay.l4 + 12) {
                    *b = (self.rng.random_range(0..16u8) << 4) | (*b & 0x0F);
                }
            }
            // Protocol / next header.
            2 => {
                let at = if lay.ip4 { l3 + 9 } else { l3 + 6 };
                let v = [6u8, 17, 1, 0, 44, 43, 60, 255][self.rng.random_range(0..8)];
                if let Some(b) = f.get_mut(at) {
                    *b = v;
                }
                if lay.ip4 && self.chance(0.7) {
                    fix_ipv4_checksum(f, l3);
                }
            }
            // Ethertype.
            3 => {
                let v = [0x0800u16, 0x86DD, 0x8100, 0x88A8, 0x0806, 0x0000]
                    [self.rng.random_range(0..6)];
                let at = if self.chance(0.7) || f.len() < 18 {
                    12
                } else {
                    16
                };
                put16(f, at, v);
            }
            // Fragment bits.
            4 if lay.ip4 => {
                if let Some(b) = f.get_mut(l3 + 6) {
                    *b ^= 0x20 | self.rng.random_range(0..2u8);
                }
                fix_ipv4_checksum(f, l3);
            }
            // TCP flags.
            _ if lay.proto == 6 => {
                let v = self.rng.random();
                if let Some(b) = f.get_mut(lay.l4 + 13) {
                    *b = v;
                }
                if self.chance(0.5) {
                    fix_l4_checksum(f, lay);
                }
            }
            _ => self.mutate_ip_len(f, lay),
        }
    }
}

fn get16(f: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*f.get(at)?, *f.get(at + 1)?]))
}

fn put16(f: &mut [u8], at: usize, v: u16) {
    if at + 2 <= f.len() {
        f[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
}

/// The ones' complement checksum of `sum` as a big-endian field value.
fn checksum_field(sum: Sum16BitWords) -> u16 {
    // `ones_complement` works in native byte order; `to_be` turns it into the value.
    sum.ones_complement().to_be()
}

/// Recomputes the IPv4 header checksum at `l3` (when the header is complete).
fn fix_ipv4_checksum(f: &mut [u8], l3: usize) {
    let Some(&b0) = f.get(l3) else { return };
    let hl = usize::from(b0 & 0x0F) * 4;
    if hl < 20 || l3 + hl > f.len() {
        return;
    }
    put16(f, l3 + 10, 0);
    let c = checksum_field(Sum16BitWords::new().add_slice(&f[l3..l3 + hl]));
    put16(f, l3 + 10, c);
}

/// Recomputes the TCP/UDP checksum with the pseudo-header length derived from the
/// IP header as it currently is (when everything it covers is present).
fn fix_l4_checksum(f: &mut [u8], lay: &Layout) {
    let Some(l3) = lay.l3 else { return };
    let (addrs, end) = if lay.ip4 {
        let (Some(total), true) = (get16(f, l3 + 2), l3 + 20 <= f.len()) else {
            return;
        };
        (l3 + 12..l3 + 20, l3 + usize::from(total))
    } else {
        let (Some(pl), true) = (get16(f, l3 + 4), l3 + 40 <= f.len()) else {
            return;
        };
        (l3 + 8..l3 + 40, l3 + 40 + usize::from(pl))
    };
    let at = lay.l4 + if lay.proto == 6 { 16 } else { 6 };
    if end > f.len() || lay.l4 + 8 > end || at + 2 > end || (lay.proto != 6 && lay.proto != 17) {
        return;
    }
    put16(f, at, 0);
    let sum = Sum16BitWords::new()
        .add_slice(&f[addrs])
        .add_2bytes([0, lay.proto])
        .add_2bytes(((end - lay.l4) as u16).to_be_bytes())
        .add_slice(&f[lay.l4..end]);
    let mut c = checksum_field(sum);
    if lay.proto == 17 && c == 0 {
        c = 0xFFFF;
    }
    put16(f, at, c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::reference;
    use etherparse::{SlicedPacket, TransportSlice};
    use host_model::L4Kind;
    use host_model::meta::ERROR_NAMES;
    use std::collections::BTreeMap;

    #[test]
    fn same_seed_same_frames() {
        let mut a = FrameGen::new(7);
        let mut b = FrameGen::new(7);
        let mut c = FrameGen::new(8);
        let mut differs = false;
        for _ in 0..2000 {
            let x = a.any();
            assert!(!x.0.is_empty());
            assert_eq!(x, b.any());
            assert_eq!(a.valid(), b.valid());
            assert_eq!(a.mutated(), b.mutated());
            differs |= x != c.any();
        }
        assert!(differs);
    }

    #[test]
    fn valid_frames_are_clean_and_agree_with_etherparse() {
        let mut g = FrameGen::new(1);
        let mut checked = 0;
        for _ in 0..5000 {
            let f = g.valid();
            assert!(f.len() >= MIN_ETH_LEN);
            let m = reference(&f, false, MIN_ETH_LEN as u32);
            assert!(m.errors.is_empty(), "{:?} {:02x?}", m.errors, f);
            // Cross-check payload boundaries with etherparse's own full parser.
            let (Some(off), Some(len)) = (m.payload_offset, m.payload_len) else {
                continue;
            };
            let p = SlicedPacket::from_ethernet(&f).expect("valid frame slices");
            let want = match (&p.transport, m.l4) {
                (Some(TransportSlice::Tcp(t)), Some(L4Kind::Tcp)) => t.payload(),
                (Some(TransportSlice::Udp(u)), Some(L4Kind::Udp)) => u.payload(),
                other => panic!("transport mismatch {other:?}"),
            };
            assert_eq!(&f[off as usize..(off + len) as usize], want);
            checked += 1;
        }
        assert!(checked > 1000);
    }

    #[test]
    fn all_categories_appear() {
        let mut g = FrameGen::new(2024);
        let mut n: BTreeMap<&str, usize> = BTreeMap::new();
        let mut count = |k: &'static str, c: bool| {
            if c {
                *n.entry(k).or_default() += 1;
            }
        };
        for _ in 0..20_000 {
            let (f, mac) = g.any();
            let m = reference(&f, mac, MIN_ETH_LEN as u32);
            count("tcp_candidate", m.candidate);
            count(
                "tcp_not_candidate_flags",
                m.l4 == Some(L4Kind::Tcp) && m.errors.is_empty() && !m.candidate,
            );
            count("tcp_options", m.tcp_options == Some(true));
            count("udp", m.l4 == Some(L4Kind::Udp));
            count(
                "udp_csum_off",
                m.l4 == Some(L4Kind::Udp) && m.l4_csum_ok.is_none(),
            );
            count("other", m.l4 == Some(L4Kind::Other));
            count("ipv4", m.ip_version == Some(4));
            count(
                "ipv4_options",
                m.ip_version == Some(4) && m.ip_options == Some(true),
            );
            count("ipv6", m.ip_version == Some(6));
            count(
                "ipv6_ext",
                m.ip_version == Some(6) && m.ip_options == Some(true),
            );
            count("vlan", m.vlan.is_some() && !m.qinq);
            count("qinq", m.qinq);
            count("fragment", m.fragment == Some(true));
            count("arp", m.eth_type == Some(0x0806));
            count("lldp", m.eth_type == Some(0x88CC));
            count("jumbo", f.len() > 1518);
            count(
                "padding",
                m.errors.is_empty()
                    && m.payload_offset
                        .is_some_and(|o| o + m.payload_len.unwrap() < m.len),
            );
            count(
                "padded_to_60",
                m.errors.is_empty() && f.len() == MIN_ETH_LEN,
            );
            count("short_0_14", f.len() < 14);
            count("clean", m.errors.is_empty());
            for e in &m.errors {
                count(e, true);
            }
        }
        eprintln!("{n:#?}");
        let mut want = vec![
            "tcp_candidate",
            "tcp_not_candidate_flags",
            "tcp_options",
            "udp",
            "udp_csum_off",
            "other",
            "ipv4",
            "ipv4_options",
            "ipv6",
            "ipv6_ext",
            "vlan",
            "qinq",
            "fragment",
            "arp",
            "lldp",
            "jumbo",
            "padding",
            "padded_to_60",
            "short_0_14",
            "clean",
        ];
        want.extend(ERROR_NAMES);
        for k in want {
            let c = n.get(k).copied().unwrap_or(0);
            assert!(c >= 30, "category {k} appeared only {c} times");
        }
    }

    #[test]
    fn mutations_hit_every_error_alone() {
        // Each error kind also appears as the only error of a frame (so the RTL is
        // tested on it in isolation, not only in combination).
        let mut g = FrameGen::new(99);
        let mut alone: BTreeMap<&str, usize> = BTreeMap::new();
        for _ in 0..20_000 {
            let f = g.mutated();
            let m = reference(&f, false, 0);
            if let [e] = m.errors[..] {
                *alone.entry(e).or_default() += 1;
            }
        }
        eprintln!("{alone:#?}");
        for e in [
            "truncated",
            "bad_ip_header",
            "bad_l4_header",
            "ip_checksum",
            "l4_checksum",
        ] {
            assert!(alone.get(e).copied().unwrap_or(0) >= 30, "{e}: {alone:?}");
        }
    }
}
