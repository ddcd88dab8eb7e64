//! The transmit frame generator (`<prefix>_ack_gen`) under Verilator: random requests
//! (IPv4 / IPv6, with and without an 802.1Q tag, random addresses, ports, numbers;
//! pure ACKs and data segments of 1 to 1,970 payload bytes, with and without PSH) give
//! exactly the frame etherparse builds (`host_model::rcv::tcp_frame_bytes`), and
//! etherparse finds both checksums right; back to back under back-pressure and payload
//! gaps; full-size segments leave with no idle clock between them.

use anyhow::Result;
use cosim::{Agent, AxisSink, Model, PortId};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use host_model::Resolved;
use host_model::rcv::{AckFields, tcp_frame_bytes};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use testbenches::rx::{pulse_reset, test_paths, verilate_block};

struct ReqDriver {
    ports: Vec<PortId>,
    valid: PortId,
    ready: PortId,
    queue: VecDeque<(AckFields, bool, Vec<u8>)>,
    presenting: bool,
}

/// The payload's ones'-complement sum of big-endian 16-bit words (odd tail padded).
fn psum(p: &[u8]) -> u16 {
    let mut s: u32 = p
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .sum();
    while s > 0xFFFF {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

impl ReqDriver {
    const FIELDS: [&'static str; 20] = [
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
        "valid",
    ];
}

impl Agent for ReqDriver {
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
                psum(pay) as u128,
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

fn random_fields(rng: &mut ChaCha8Rng) -> AckFields {
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

/// Both checksums of a frame are right (etherparse recomputes them).
fn checksums_ok(f: &[u8]) -> bool {
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

#[test]
fn random_acks_match_etherparse_byte_for_byte() -> Result<()> {
    let cfg = Resolved::default_config();
    let (out, waves) = test_paths("ack_gen_random");
    let mut model = verilate_block(&cfg, "ack_gen", &out, waves.as_deref())?;
    pulse_reset(&mut model)?;
    let mut req = ReqDriver {
        ports: ReqDriver::FIELDS[..19]
            .iter()
            .map(|n| model.port(&format!("s_req_{n}")))
            .collect::<Result<_, _>>()?,
        valid: model.port("s_req_valid")?,
        ready: model.port("s_req_ready")?,
        queue: VecDeque::new(),
        presenting: false,
    };
    let mut sink = AxisSink::new(&model, "m_axis", 1.0, 3)?;
    let mut pay = cosim::AxisSource::new(&model, "s_pay", 0.0, 4)?;
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut want = vec![];
    // Rounds: ACKs at full rate; full-size segments at full rate; a random mix with
    // back-pressure and payload gaps.
    for round in 0..3 {
        sink.set_ready_probability([1.0, 1.0, 0.5][round]);
        pay.set_idle_probability([0.0, 0.0, 0.3][round]);
        let first = sink.frames().len();
        for _ in 0..300 {
            let f = random_fields(&mut rng);
            let n = match round {
                0 => 0,
                1 => 1460,
                _ => [0, rng.random_range(1..=70), rng.random_range(1..=1970)]
                    [rng.random_range(0..3)],
            };
            let payload: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let psh = n > 0 && rng.random_bool(0.5);
            want.push(tcp_frame_bytes(&f, psh, &payload).expect("fields in range"));
            if n > 0 {
                pay.push(payload.clone(), false);
            }
            req.queue.push_back((f, psh, payload));
        }
        let start = model.cycles();
        while sink.frames().len() < want.len() {
            anyhow::ensure!(model.cycles() - start < 1_000_000, "timeout");
            cosim::step(&mut model, &mut (&mut req, &mut pay, &mut sink));
        }
        if round < 2 {
            // Full rate: frames back to back, no idle clock between them.
            let f = &sink.frames()[first..];
            let beats: u64 = f.iter().map(|x| x.beats).sum();
            let span = f[f.len() - 1].last_cycle - f[0].first_cycle + 1;
            println!("{} frames, {beats} beats in {span} clocks", f.len());
            assert_eq!(span, beats, "idle clocks between frames");
        }
    }
    for (i, (g, w)) in sink.frames().iter().zip(&want).enumerate() {
        assert_eq!(&g.data, w, "frame {i}");
        assert!(checksums_ok(&g.data), "frame {i}: checksums");
    }
    Ok(())
}
