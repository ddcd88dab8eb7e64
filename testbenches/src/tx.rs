//! Transmit-side test helpers shared by the frame generator's and the segment transmit
//! path's testbenches: a header request driver, random header fields, the payload sum,
//! and an independent check of a frame's checksums (etherparse recomputes them).

use cosim::{Agent, Model, PortId};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use host_model::rcv::AckFields;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// The ones'-complement sum of big-endian 16-bit words (an odd tail padded with zero),
/// folded to 16 bits.
pub fn payload_sum(p: &[u8]) -> u16 {
    let mut s: u32 = p
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .sum();
    while s > 0xFFFF {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

/// Both checksums of a TCP frame are right (etherparse recomputes them).
pub fn checksums_ok(f: &[u8]) -> bool {
    let Ok(p) = SlicedPacket::from_ethernet(f) else {
        return false;
    };
    let Some(TransportSlice::Tcp(t)) = &p.transport else {
        return false;
    };
    let th = t.to_header();
    match &p.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header().to_header();
            h.calc_header_checksum() == h.header_checksum
                && th.calc_checksum_ipv4(&h, t.payload()).ok() == Some(th.checksum)
        }
        Some(NetSlice::Ipv6(ip)) => {
            let h = ip.header().to_header();
            th.calc_checksum_ipv6(&h, t.payload()).ok() == Some(th.checksum)
        }
        _ => false,
    }
}

/// Random header fields: IPv4 or IPv6, with or without an 802.1Q tag, random addresses,
/// ports and numbers.
pub fn random_fields(rng: &mut ChaCha8Rng) -> AckFields {
    let ipv6 = rng.random_bool(0.5);
    let ip = |rng: &mut ChaCha8Rng| {
        if ipv6 {
            rng.random::<u128>()
        } else {
            rng.random::<u32>() as u128
        }
    };
    AckFields {
        dst_mac: rng.random::<u64>() & 0xFFFF_FFFF_FFFF,
        src_mac: rng.random::<u64>() & 0xFFFF_FFFF_FFFF,
        vlan: rng
            .random_bool(0.5)
            .then(|| (rng.random_range(0..8), rng.random_range(0..4096))),
        ipv6,
        local_ip: ip(rng),
        remote_ip: ip(rng),
        ttl: rng.random(),
        tos: rng.random(),
        flow_label: if ipv6 {
            rng.random_range(0..1 << 20)
        } else {
            0
        },
        ip_id: rng.random(),
        local_port: rng.random(),
        remote_port: rng.random(),
        seq: rng.random(),
        ack: rng.random(),
        window: rng.random(),
    }
}

/// Header field ports after the prefix, in [`HdrDriver`]'s order; `plen` and `psum`
/// (the last two) only where the block takes them.
const FIELDS: [&str; 19] = [
    "dst_mac",
    "src_mac",
    "vlan",
    "vlan_tci",
    "ipv6",
    "local_ip",
    "remote_ip",
    "ttl",
    "tos",
    "flow_label",
    "ip_id",
    "local_port",
    "remote_port",
    "seq",
    "ack",
    "window",
    "psh",
    "plen",
    "psum",
];

/// Drives header requests `<prefix>{field}` / `<prefix>valid` / `<prefix>ready`, one per
/// queued `(fields, psh, payload)`; with `with_payload`, also `plen` and `psum` of the
/// payload.
pub struct HdrDriver {
    ports: Vec<PortId>,
    valid: PortId,
    ready: PortId,
    pub queue: VecDeque<(AckFields, bool, Vec<u8>)>,
    presenting: bool,
}

impl HdrDriver {
    pub fn new(model: &Model, prefix: &str, with_payload: bool) -> anyhow::Result<Self> {
        let n = if with_payload { 19 } else { 17 };
        Ok(HdrDriver {
            ports: FIELDS[..n]
                .iter()
                .map(|f| model.port(&format!("{prefix}{f}")))
                .collect::<Result<_, _>>()?,
            valid: model.port(&format!("{prefix}valid"))?,
            ready: model.port(&format!("{prefix}ready"))?,
            queue: VecDeque::new(),
            presenting: false,
        })
    }
}

impl Agent for HdrDriver {
    fn drive(&mut self, model: &mut Model) {
        self.presenting = false;
        if let Some((f, psh, pay)) = self.queue.front() {
            let (pcp, vid) = f.vlan.unwrap_or((0, 0));
            let vals: [u128; 19] = [
                f.dst_mac as u128,
                f.src_mac as u128,
                f.vlan.is_some() as u128,
                ((pcp as u128) << 13) | vid as u128,
                f.ipv6 as u128,
                f.local_ip,
                f.remote_ip,
                f.ttl as u128,
                f.tos as u128,
                f.flow_label as u128,
                f.ip_id as u128,
                f.local_port as u128,
                f.remote_port as u128,
                f.seq as u128,
                f.ack as u128,
                f.window as u128,
                *psh as u128,
                pay.len() as u128,
                payload_sum(pay) as u128,
            ];
            for (p, v) in self.ports.iter().zip(vals) {
                let words: Vec<u32> = (0..4).map(|i| (v >> (32 * i)) as u32).collect();
                model.set_wide(*p, &words);
            }
            self.presenting = true;
        }
        model.set(self.valid, self.presenting as u64);
    }
    fn observe(&mut self, model: &Model) {
        if self.presenting && model.get(self.ready) != 0 {
            self.queue.pop_front();
        }
    }
}
