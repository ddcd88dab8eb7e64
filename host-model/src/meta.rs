//! The receive metadata record: one per frame, emitted by the receive parser on
//! `m_axis_meta_*`. This module is the single source of truth for its layout.
//!
//! # Layout
//! The field list lives in [`rx_meta_fields!`]. The HDL crate expands the same list
//! into a `LogicStruct` (first field at bit 0), and this crate expands it into
//! [`RX_META_LAYOUT`]; the two cannot disagree. Fields whose `*_valid` flag is clear
//! hold don't-care values.
//!
//! # Semantics (what the parser reports for frame bytes `b[0..n]`)
//! `errors` starts with `mac_error` (`tuser` seen on any beat of the frame) and
//! `runt` (`n < rx.min_frame_len`); parsing continues regardless.
//! 1. `n < 14`: `truncated`, nothing else.
//! 2. Ethertype `t0 = b[12..14]`. If `t0` is 0x8100 or 0x88A8 (a tag): `n < 18` →
//!    `truncated`, stop; else `vlan = b[14..16] & 0xFFF`, `eth_type = b[16..18]`,
//!    L3 at 18; `qinq` when `t0 == 0x88A8` or the inner type is 0x8100/0x88A8, and a
//!    QinQ frame is not parsed further. Otherwise `eth_type = t0`, L3 at 14.
//! 3. IPv4 (`eth_type == 0x0800`, `ip_version = 4`): `n < l3+20` → `truncated`, stop.
//!    Version nibble ≠ 4 → `bad_ip_header`, stop. Report `ip_hdr_len = IHL*4`,
//!    `ip_options = IHL > 5`, addresses, `ip_proto`, `fragment = MF || offset != 0`.
//!    IHL < 5 → `bad_ip_header`, stop. `n < l3+IHL*4` → `truncated`, stop.
//!    `ip_csum_ok` = header sums to 0xFFFF. Total length < IHL*4 → `bad_ip_header`,
//!    stop. `n < l3+total` → `truncated`, stop (bytes past `l3+total` are Ethernet
//!    padding and ignored). A fragment is not parsed further (`l4` null).
//! 4. IPv6 (`eth_type == 0x86DD`, `ip_version = 6`): `n < l3+40` → `truncated`, stop.
//!    Version nibble ≠ 6 → `bad_ip_header`, stop. Report `ip_hdr_len = 40`,
//!    addresses, `ip_proto` = the fixed header's next header, `ip_options` = that next
//!    header is an extension header (0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254),
//!    `fragment` = that next header is 44. `n < l3+40+payload_len` → `truncated`, stop.
//!    **Extension headers are walked**: starting at `p = l3+40` with type `t` = next
//!    header, while `t` is one of 0, 43, 51, 60, 135, 139, 140, 253, 254:
//!    `p + 8 > ip_end` → `bad_ip_header`, stop; else `t = b[p]`, `p +=` `(b[p+1]+2)*4`
//!    for AH (51) or `(b[p+1]+1)*8` for the others. Then `t == 44` (Fragment):
//!    `p + 8 > ip_end` → `bad_ip_header`, else `fragment = true`; stop. Else
//!    `p > ip_end` → `bad_ip_header`, stop; else the L4
//!    header is at `p` with protocol `t` (ESP, 50, is `other`). The pseudo-header
//!    uses the fixed header's destination address: at the final destination of a
//!    Routing header (Segments Left 0) that is the final address.
//! 5. L4 spans `[l4, ip_end)` (`l4 = l3 + ip_hdr_len` for IPv4, the end of the
//!    extension-header chain for IPv6), `l4_len = ip_end - l4`. The L4 protocol (IPv4
//!    protocol, or the type that ended the IPv6 walk) 6 → `tcp`, 17 → `udp`, else
//!    `other` (nothing more).
//!    TCP: `l4_len < 20` → `bad_l4_header`, stop. Ports, seq, ack, flags (the 12 bits
//!    after the data offset: reserved, AE/NS, CWR ... FIN, as tshark's `tcp.flags`),
//!    `tcp_hdr_len = data offset * 4`, `l4_csum_ok` over pseudo-header + L4 bytes.
//!    `tcp_hdr_len < 20` or `> l4_len` → `bad_l4_header` (no payload fields); else
//!    `payload_offset = l4 + tcp_hdr_len`, `payload_len = l4_len - tcp_hdr_len`,
//!    `tcp_options = tcp_hdr_len > 20`.
//!    UDP: `l4_len < 8` → `bad_l4_header`, stop. Ports; `l4_csum_ok` null when the
//!    checksum field is 0, else checked. UDP length ≠ `l4_len` → `bad_l4_header`
//!    (no payload fields); else `payload_offset = l4 + 8`, `payload_len = l4_len - 8`.
//!    The pseudo-header always uses `l4_len` (derived from the IP header) and the L4
//!    protocol.
//! 6. `ip_checksum` / `l4_checksum` errors when the check ran and failed.
//! 7. `candidate` = TCP with payload fields valid, no error at all, not a fragment,
//!    no IPv6 extension header, `l4_csum_ok == true`, and none of SYN, FIN, RST, URG
//!    set.

use serde::Serialize;

/// Calls `$cb!` with the metadata record's field list: `name: width,` in layout
/// order, first field at bit 0. This is the one place the layout is written.
#[macro_export]
macro_rules! rx_meta_fields {
    ($cb:ident) => {
        $cb! {
            eth_valid: 1,
            vlan_valid: 1,
            qinq: 1,
            ip4: 1,
            ip6: 1,
            ip_valid: 1,
            ip_options: 1,
            fragment: 1,
            ip_csum_checked: 1,
            ip_csum_ok: 1,
            l4_valid: 1,
            l4_tcp: 1,
            l4_udp: 1,
            ports_valid: 1,
            tcp_valid: 1,
            tcp_options: 1,
            payload_valid: 1,
            l4_csum_checked: 1,
            l4_csum_ok: 1,
            err_mac: 1,
            err_runt: 1,
            err_truncated: 1,
            err_bad_ip_header: 1,
            err_bad_l4_header: 1,
            candidate: 1,
            frame_len: 17,
            eth_type: 16,
            vlan_id: 12,
            ip_hdr_len: 8,
            ip_proto: 8,
            src_ip: 128,
            dst_ip: 128,
            src_port: 16,
            dst_port: 16,
            tcp_seq: 32,
            tcp_ack: 32,
            tcp_flags: 12,
            tcp_window: 16,
            tcp_hdr_len: 8,
            payload_offset: 16,
            payload_len: 16,
        }
    };
}

/// One field of a record layout: its name, offset of its least significant bit, width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub offset: usize,
    pub width: usize,
}

macro_rules! layout_table {
    ($($name:ident : $w:expr),* $(,)?) => {
        const FIELD_LIST: &[(&str, usize)] = &[$((stringify!($name), $w)),*];
    };
}
rx_meta_fields!(layout_table);

const fn total_bits(list: &[(&str, usize)]) -> usize {
    let mut i = 0;
    let mut sum = 0;
    while i < list.len() {
        sum += list[i].1;
        i += 1;
    }
    sum
}

/// Width of the metadata record in bits.
pub const RX_META_BITS: usize = total_bits(FIELD_LIST);
/// Width of `m_axis_meta_tdata`: the record rounded up to whole bytes (upper bits zero).
pub const RX_META_TDATA_BITS: usize = RX_META_BITS.div_ceil(8) * 8;

const fn build_layout<const N: usize>(list: &[(&'static str, usize)]) -> [Field; N] {
    let mut out = [Field {
        name: "",
        offset: 0,
        width: 0,
    }; N];
    let mut i = 0;
    let mut off = 0;
    while i < N {
        out[i] = Field {
            name: list[i].0,
            offset: off,
            width: list[i].1,
        };
        off += list[i].1;
        i += 1;
    }
    out
}

/// The record layout, in order, with bit offsets.
pub static RX_META_LAYOUT: [Field; FIELD_LIST.len()] = build_layout(FIELD_LIST);

/// Look up a field of the layout by name.
pub fn field(name: &str) -> Option<Field> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, Field>> =
        std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| RX_META_LAYOUT.iter().map(|f| (f.name, *f)).collect())
        .get(name)
        .copied()
}

/// A packed record: little-endian 32-bit words, bit 0 of word 0 is bit 0 of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord(pub Vec<u32>);

impl RawRecord {
    /// Extract a field of up to 128 bits. Bits beyond the stored words read as 0.
    pub fn get(&self, f: Field) -> u128 {
        let width = f.width.min(128);
        let mut v: u128 = 0;
        let mut done = 0;
        while done < width {
            let bit = f.offset + done;
            let word = self.0.get(bit / 32).copied().unwrap_or(0) as u128;
            let shift = bit % 32;
            let take = (32 - shift).min(width - done);
            let chunk = (word >> shift) & ((1u128 << take) - 1);
            v |= chunk << done;
            done += take;
        }
        v
    }

    /// Set a field (used by tests and models that pack records).
    pub fn set(&mut self, f: Field, value: u128) {
        let need = (f.offset + f.width).div_ceil(32);
        if self.0.len() < need {
            self.0.resize(need, 0);
        }
        for i in 0..f.width {
            let bit = f.offset + i;
            let mask = 1u32 << (bit % 32);
            if (value >> i) & 1 == 1 {
                self.0[bit / 32] |= mask;
            } else {
                self.0[bit / 32] &= !mask;
            }
        }
    }

    fn flag(&self, name: &str) -> bool {
        self.num(name) != 0
    }

    fn num(&self, name: &str) -> u128 {
        match field(name) {
            Some(f) => self.get(f),
            None => 0,
        }
    }
}

/// Transport layer kind as reported in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum L4Kind {
    Tcp,
    Udp,
    Other,
}

/// The decoded metadata of one frame; `None` = does not apply (JSON `null`).
/// Field names are the JSON keys printed by `toe parse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RxMeta {
    pub len: u32,
    pub eth_type: Option<u16>,
    pub vlan: Option<u16>,
    pub qinq: bool,
    pub ip_version: Option<u8>,
    pub ip_hdr_len: Option<u8>,
    pub ip_options: Option<bool>,
    pub src_ip: Option<String>,
    pub dst_ip: Option<String>,
    pub ip_proto: Option<u8>,
    pub fragment: Option<bool>,
    pub ip_csum_ok: Option<bool>,
    pub l4: Option<L4Kind>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub tcp_seq: Option<u32>,
    pub tcp_ack: Option<u32>,
    pub tcp_flags: Option<u16>,
    pub tcp_window: Option<u16>,
    pub tcp_hdr_len: Option<u8>,
    pub tcp_options: Option<bool>,
    pub payload_offset: Option<u32>,
    pub payload_len: Option<u32>,
    pub l4_csum_ok: Option<bool>,
    pub candidate: bool,
    pub errors: Vec<&'static str>,
}

/// Record flag and error name of the errors the parser flags directly (the checksum
/// errors come from the `*_csum_ok` fields).
const ERROR_FLAGS: &[(&str, &str)] = &[
    ("err_mac", "mac_error"),
    ("err_runt", "runt"),
    ("err_truncated", "truncated"),
    ("err_bad_ip_header", "bad_ip_header"),
    ("err_bad_l4_header", "bad_l4_header"),
];

/// Error names, in the order they are listed in `errors`.
pub const ERROR_NAMES: &[&str] = &[
    "mac_error",
    "runt",
    "truncated",
    "bad_ip_header",
    "bad_l4_header",
    "ip_checksum",
    "l4_checksum",
];

impl RxMeta {
    /// Decode a packed record. Never panics: any bit pattern decodes.
    pub fn decode(r: &RawRecord) -> RxMeta {
        let ip_valid = r.flag("ip_valid");
        let ip6 = r.flag("ip6");
        let ip4 = r.flag("ip4");
        let addr = |name: &str| -> String {
            let v = r.num(name);
            if ip6 {
                std::net::Ipv6Addr::from(v).to_string()
            } else {
                std::net::Ipv4Addr::from(v as u32).to_string()
            }
        };
        let l4_valid = r.flag("l4_valid");
        let l4 = l4_valid.then(|| {
            if r.flag("l4_tcp") {
                L4Kind::Tcp
            } else if r.flag("l4_udp") {
                L4Kind::Udp
            } else {
                L4Kind::Other
            }
        });
        let ports = r.flag("ports_valid");
        let tcp = r.flag("tcp_valid");
        let payload = r.flag("payload_valid");
        let ip_checked = r.flag("ip_csum_checked");
        let l4_checked = r.flag("l4_csum_checked");
        let ip_ok = ip_checked.then(|| r.flag("ip_csum_ok"));
        let l4_ok = l4_checked.then(|| r.flag("l4_csum_ok"));
        let mut errors = Vec::new();
        for &(flag, name) in ERROR_FLAGS {
            if r.flag(flag) {
                errors.push(name);
            }
        }
        if ip_ok == Some(false) {
            errors.push("ip_checksum");
        }
        if l4_ok == Some(false) {
            errors.push("l4_checksum");
        }
        RxMeta {
            len: r.num("frame_len") as u32,
            eth_type: r.flag("eth_valid").then(|| r.num("eth_type") as u16),
            vlan: r.flag("vlan_valid").then(|| r.num("vlan_id") as u16),
            qinq: r.flag("qinq"),
            ip_version: if ip4 {
                Some(4)
            } else if ip6 {
                Some(6)
            } else {
                None
            },
            ip_hdr_len: ip_valid.then(|| r.num("ip_hdr_len") as u8),
            ip_options: ip_valid.then(|| r.flag("ip_options")),
            src_ip: ip_valid.then(|| addr("src_ip")),
            dst_ip: ip_valid.then(|| addr("dst_ip")),
            ip_proto: ip_valid.then(|| r.num("ip_proto") as u8),
            fragment: ip_valid.then(|| r.flag("fragment")),
            ip_csum_ok: ip_ok,
            l4,
            src_port: ports.then(|| r.num("src_port") as u16),
            dst_port: ports.then(|| r.num("dst_port") as u16),
            tcp_seq: tcp.then(|| r.num("tcp_seq") as u32),
            tcp_ack: tcp.then(|| r.num("tcp_ack") as u32),
            tcp_flags: tcp.then(|| r.num("tcp_flags") as u16),
            tcp_window: tcp.then(|| r.num("tcp_window") as u16),
            tcp_hdr_len: tcp.then(|| r.num("tcp_hdr_len") as u8),
            tcp_options: (tcp && payload).then(|| r.flag("tcp_options")),
            payload_offset: payload.then(|| r.num("payload_offset") as u32),
            payload_len: payload.then(|| r.num("payload_len") as u32),
            l4_csum_ok: l4_ok,
            candidate: r.flag("candidate"),
            errors,
        }
    }

    /// Pack into a record: `RxMeta::decode(&m.encode()) == m` for every `m` that
    /// `decode` produces (fields that do not apply are 0; an address that does not
    /// parse packs as 0).
    pub fn encode(&self) -> RawRecord {
        let mut r = RawRecord(vec![0; crate::RX_META_BITS.div_ceil(32)]);
        let mut set = |name: &str, v: u128| {
            if let Some(f) = field(name) {
                r.set(f, v);
            }
        };
        set("frame_len", self.len as u128);
        if let Some(t) = self.eth_type {
            set("eth_valid", 1);
            set("eth_type", t as u128);
        }
        if let Some(v) = self.vlan {
            set("vlan_valid", 1);
            set("vlan_id", v as u128);
        }
        set("qinq", self.qinq as u128);
        let ip6 = self.ip_version == Some(6);
        set("ip4", (self.ip_version == Some(4)) as u128);
        set("ip6", ip6 as u128);
        if let Some(h) = self.ip_hdr_len {
            set("ip_valid", 1);
            set("ip_hdr_len", h as u128);
        }
        set("ip_options", (self.ip_options == Some(true)) as u128);
        let addr = |a: &Option<String>| -> u128 {
            let Some(a) = a else { return 0 };
            if ip6 {
                a.parse::<std::net::Ipv6Addr>().map_or(0, u128::from)
            } else {
                a.parse::<std::net::Ipv4Addr>()
                    .map_or(0, |v| u32::from(v) as u128)
            }
        };
        set("src_ip", addr(&self.src_ip));
        set("dst_ip", addr(&self.dst_ip));
        set("ip_proto", self.ip_proto.unwrap_or(0) as u128);
        set("fragment", (self.fragment == Some(true)) as u128);
        if let Some(ok) = self.ip_csum_ok {
            set("ip_csum_checked", 1);
            set("ip_csum_ok", ok as u128);
        }
        if let Some(k) = self.l4 {
            set("l4_valid", 1);
            set("l4_tcp", (k == L4Kind::Tcp) as u128);
            set("l4_udp", (k == L4Kind::Udp) as u128);
        }
        if let (Some(s), Some(d)) = (self.src_port, self.dst_port) {
            set("ports_valid", 1);
            set("src_port", s as u128);
            set("dst_port", d as u128);
        }
        if let Some(seq) = self.tcp_seq {
            set("tcp_valid", 1);
            set("tcp_seq", seq as u128);
            set("tcp_ack", self.tcp_ack.unwrap_or(0) as u128);
            set("tcp_flags", self.tcp_flags.unwrap_or(0) as u128);
            set("tcp_window", self.tcp_window.unwrap_or(0) as u128);
            set("tcp_hdr_len", self.tcp_hdr_len.unwrap_or(0) as u128);
        }
        set("tcp_options", (self.tcp_options == Some(true)) as u128);
        if let Some(off) = self.payload_offset {
            set("payload_valid", 1);
            set("payload_offset", off as u128);
            set("payload_len", self.payload_len.unwrap_or(0) as u128);
        }
        if let Some(ok) = self.l4_csum_ok {
            set("l4_csum_checked", 1);
            set("l4_csum_ok", ok as u128);
        }
        set("candidate", self.candidate as u128);
        for &(flag, name) in ERROR_FLAGS {
            if self.errors.contains(&name) {
                set(flag, 1);
            }
        }
        r
    }

    /// The JSON object printed by `toe parse` for frame number `frame` (1-based).
    pub fn to_json(&self, frame: u64) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("RxMeta serializes");
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("frame".into(), frame.into());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_contiguous_and_named_once() {
        let mut off = 0;
        for (i, f) in RX_META_LAYOUT.iter().enumerate() {
            assert_eq!(f.offset, off);
            off += f.width;
            assert!(RX_META_LAYOUT[..i].iter().all(|g| g.name != f.name));
        }
        assert_eq!(off, RX_META_BITS);
        assert_eq!(RX_META_TDATA_BITS % 8, 0);
    }

    #[test]
    fn record_set_get_roundtrip_and_decode() {
        let mut r = RawRecord(vec![]);
        r.set(field("frame_len").unwrap(), 1514);
        r.set(field("eth_valid").unwrap(), 1);
        r.set(field("eth_type").unwrap(), 0x86dd);
        r.set(field("ip6").unwrap(), 1);
        r.set(field("ip_valid").unwrap(), 1);
        r.set(
            field("src_ip").unwrap(),
            0x2001_0db8_0000_0000_0000_0000_0000_0001,
        );
        r.set(field("ip_csum_checked").unwrap(), 0);
        let m = RxMeta::decode(&r);
        assert_eq!(m.len, 1514);
        assert_eq!(m.eth_type, Some(0x86dd));
        assert_eq!(m.ip_version, Some(6));
        assert_eq!(m.src_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(m.ip_csum_ok, None);
        assert_eq!(m.vlan, None);
        let j = m.to_json(3);
        assert_eq!(j["frame"], 3);
        assert!(j["vlan"].is_null());
    }

    #[test]
    fn decode_never_panics_on_garbage() {
        for seed in 0u32..64 {
            let words = (0..16)
                .map(|i| seed.wrapping_mul(2654435761).rotate_left(i))
                .collect();
            let _ = RxMeta::decode(&RawRecord(words));
        }
        let _ = RxMeta::decode(&RawRecord(vec![]));
    }
}

#[cfg(test)]
mod get_tests {
    use super::*;

    #[test]
    fn get_matches_bitwise_definition() {
        let words: Vec<u32> = (0..16u32)
            .map(|i| i.wrapping_mul(0x9E37_79B9) ^ 0xA5A5_5A5A)
            .collect();
        let r = RawRecord(words.clone());
        for f in RX_META_LAYOUT.iter() {
            let mut want = 0u128;
            for i in 0..f.width {
                let bit = f.offset + i;
                if (words[bit / 32] >> (bit % 32)) & 1 == 1 {
                    want |= 1 << i;
                }
            }
            assert_eq!(r.get(*f), want, "{}", f.name);
        }
    }
}
