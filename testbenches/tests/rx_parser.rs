//! Receive parser under Verilator, checked against the etherparse-based reference.

use host_model::Resolved;
use testbenches::framegen::FrameGen;
use testbenches::reference::reference;
use testbenches::rx::{Drive, RxParserSim, tcp_frame};

/// Clocks from a beat's acceptance to its appearance on `m_axis_*`.
const LATENCY_DATA: u64 = 3;
/// Clocks from a frame's last accepted beat to its record on `m_axis_meta_*`.
const LATENCY_META: u64 = 11;

fn sim(test: &str) -> RxParserSim {
    RxParserSim::for_test(&Resolved::default_config(), test).expect("build the parser")
}

/// Run `frames` and compare every record and every output frame with the reference.
fn check(
    sim: &mut RxParserSim,
    frames: &[(Vec<u8>, bool)],
    drive: Drive,
) -> testbenches::rx::RunResult {
    let min = sim.config().config.rx.min_frame_len;
    let r = sim.run(frames, drive).expect("run");
    assert_eq!(r.metas.len(), frames.len());
    let mut bad = 0;
    for (i, ((f, user), got)) in frames.iter().zip(&r.metas).enumerate() {
        let want = reference(f, *user, min);
        if *got != want {
            bad += 1;
            if bad <= 3 {
                eprintln!(
                    "frame {i} ({} bytes) {:02x?}\n  rtl: {}\n  ref: {}",
                    f.len(),
                    f,
                    got.to_json(0),
                    want.to_json(0)
                );
            }
        }
        assert_eq!(&r.frames[i].0, f, "output frame {i} differs from input");
        assert_eq!(r.frames[i].1, *user, "tuser of frame {i}");
    }
    assert_eq!(
        bad,
        0,
        "{bad} of {} records differ from the reference",
        frames.len()
    );
    r
}

#[test]
fn differential_100k_frames_with_gaps_and_backpressure() {
    let mut s = sim("rx_diff_100k");
    let mut g = FrameGen::new(0x70e);
    let mut total = 0;
    for round in 0..25u64 {
        let frames: Vec<(Vec<u8>, bool)> = (0..4000).map(|_| g.any()).collect();
        // Alternate clean streaming with random gaps and back-pressure on both outputs.
        let drive = match round % 4 {
            0 => Drive::default(),
            1 => Drive {
                gap_prob: 0.3,
                out_ready_prob: 1.0,
                meta_ready_prob: 1.0,
                seed: round,
            },
            2 => Drive {
                gap_prob: 0.0,
                out_ready_prob: 0.6,
                meta_ready_prob: 0.5,
                seed: round,
            },
            _ => Drive {
                gap_prob: 0.2,
                out_ready_prob: 0.7,
                meta_ready_prob: 0.9,
                seed: round,
            },
        };
        check(&mut s, &frames, drive);
        total += frames.len();
    }
    assert!(total >= 100_000);
}

#[test]
fn back_to_back_64_byte_frames_take_exactly_8_cycles_each() {
    let mut s = sim("rx_line_rate_64");
    let frames: Vec<(Vec<u8>, bool)> = (0..2000).map(|i| (tcp_frame(64, i), false)).collect();
    let r = check(&mut s, &frames, Drive::default());
    // Every output frame starts exactly 8 cycles after the previous one: no bubble.
    for w in r.frame_cycles.windows(2) {
        assert_eq!(w[1].0 - w[0].0, 8, "bubble between frames: {:?}", w);
        assert_eq!(w[0].1 - w[0].0, 7);
    }
    // And the metadata stream keeps up: one record every 8 cycles.
    for w in r.meta_cycles.windows(2) {
        assert_eq!(w[1] - w[0], 8);
    }
    assert!(r.metas.iter().all(|m| m.candidate));
    // Latency: first output beat, and the record after the frame's last input beat.
    let data_latency = r.frame_cycles[0].0 - r.start_cycle;
    let meta_latency = r.meta_cycles[0] - (r.start_cycle + 7);
    eprintln!(
        "latency: data {data_latency} cycles, record {meta_latency} cycles after the last beat"
    );
    assert_eq!((data_latency, meta_latency), (LATENCY_DATA, LATENCY_META));
    // The input never waited: 2000 frames x 8 beats, plus pipeline fill and drain.
    assert_eq!(r.beats_in, 16_000);
    assert!(r.cycles <= 16_000 + 40, "took {} cycles", r.cycles);
}

#[test]
fn back_to_back_mixed_sizes_have_zero_idle_cycles() {
    let mut s = sim("rx_line_rate_mixed");
    let sizes = [
        60usize, 61, 64, 65, 71, 72, 127, 128, 129, 576, 1500, 1514, 1518, 9000,
    ];
    let frames: Vec<(Vec<u8>, bool)> = (0..3000)
        .map(|i| (tcp_frame(sizes[i % sizes.len()].max(60), i as u32), false))
        .collect();
    let r = check(&mut s, &frames, Drive::default());
    for w in r.frame_cycles.windows(2) {
        assert_eq!(w[1].0, w[0].1 + 1, "idle cycle between frames");
    }
}

#[test]
fn heavy_metadata_backpressure_loses_nothing() {
    let mut s = sim("rx_meta_backpressure");
    let mut g = FrameGen::new(99);
    // Short frames stress the record FIFO: up to one record per beat.
    let frames: Vec<(Vec<u8>, bool)> = (0..3000)
        .map(|i| {
            let (mut f, u) = g.any();
            if i % 3 == 0 {
                f.truncate(1 + i % 16);
            }
            (f, u)
        })
        .collect();
    check(
        &mut s,
        &frames,
        Drive {
            gap_prob: 0.0,
            out_ready_prob: 1.0,
            meta_ready_prob: 0.05,
            seed: 3,
        },
    );
    check(
        &mut s,
        &frames,
        Drive {
            gap_prob: 0.0,
            out_ready_prob: 0.05,
            meta_ready_prob: 1.0,
            seed: 4,
        },
    );
    check(
        &mut s,
        &frames,
        Drive {
            gap_prob: 0.5,
            out_ready_prob: 0.3,
            meta_ready_prob: 0.3,
            seed: 5,
        },
    );
}

#[test]
fn reset_between_runs_keeps_results_exact() {
    let mut s = sim("rx_reset");
    let mut g = FrameGen::new(5);
    let frames: Vec<(Vec<u8>, bool)> = (0..500).map(|_| g.any()).collect();
    check(&mut s, &frames, Drive::default());
    s.reset();
    check(
        &mut s,
        &frames,
        Drive {
            gap_prob: 0.1,
            out_ready_prob: 0.9,
            meta_ready_prob: 0.9,
            seed: 8,
        },
    );
}

#[test]
fn empty_tiny_and_jumbo_frames() {
    let mut s = sim("rx_sizes");
    let base = tcp_frame(9018, 77);
    let mut frames: Vec<(Vec<u8>, bool)> = vec![(Vec::new(), false), (Vec::new(), true)];
    for n in 1..80 {
        frames.push((base[..n].to_vec(), n % 7 == 0));
    }
    // Frames longer than 64 KiB: IPv4 total length 65535 (frame 65,549 bytes), IPv6
    // payload length 65535 (frame 65,589 bytes), and trailing bytes up to 70,000.
    let payload: Vec<u8> = (0..65_515u32).map(|i| (i * 7) as u8).collect();
    let mut v4 = Vec::new();
    etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 1, 1, 1], [10, 1, 1, 2], 64)
        .tcp(1, 2, 3, 4)
        .ack(5)
        .write(&mut v4, &payload[..65_495])
        .unwrap();
    assert_eq!(v4.len(), 65_549);
    let mut v6 = Vec::new();
    etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv6([1; 16], [2; 16], 64)
        .tcp(1, 2, 3, 4)
        .ack(5)
        .write(&mut v6, &payload[..65_515])
        .unwrap();
    assert_eq!(v6.len(), 65_589);
    let mut padded = v4.clone();
    padded.resize(70_000, 0xA5);
    frames.push((v4, false));
    frames.push((v6, false));
    frames.push((padded, false));
    frames.push((base.clone(), false));
    check(&mut s, &frames, Drive::default());
    check(
        &mut s,
        &frames,
        Drive {
            gap_prob: 0.3,
            out_ready_prob: 0.5,
            meta_ready_prob: 0.5,
            seed: 9,
        },
    );
}

/// An IPv6 frame with a hand-built extension-header chain in front of a valid TCP
/// segment: `chain` lists (type, length in bytes) of each extension header, in order.
fn ipv6_chain_frame(vlan: bool, chain: &[(u8, usize)], payload_len: usize, seed: u32) -> Vec<u8> {
    use etherparse::{IpNumber, Ipv6Header, TcpHeader};
    let payload: Vec<u8> = (0..payload_len as u32).map(|i| (i ^ seed) as u8).collect();
    let mut ip = Ipv6Header {
        traffic_class: 0,
        flow_label: Default::default(),
        payload_length: 0,
        next_header: IpNumber(chain.first().map_or(6, |c| c.0)),
        hop_limit: 64,
        source: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        destination: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
    };
    let mut ext = Vec::new();
    for (i, &(t, len)) in chain.iter().enumerate() {
        let next = chain.get(i + 1).map_or(6, |c| c.0);
        let len_field = if t == 51 { len / 4 - 2 } else { len / 8 - 1 };
        let mut h = vec![next, len_field as u8];
        h.extend((2..len).map(|k| (k as u32 * 31 + seed) as u8));
        ext.extend(h);
    }
    let mut tcp = TcpHeader::new(4000 + seed as u16, 80, seed.wrapping_mul(977), 1000);
    tcp.ack = true;
    tcp.acknowledgment_number = seed;
    tcp.checksum = tcp.calc_checksum_ipv6(&ip, &payload).unwrap();
    let l4_len = tcp.header_len() + payload.len();
    ip.payload_length = (ext.len() + l4_len) as u16;
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    if vlan {
        f.extend([0x81, 0x00, 0x00, 0x2a]);
    }
    f.extend([0x86, 0xdd]);
    f.extend(ip.to_bytes());
    f.extend(ext);
    f.extend(tcp.to_bytes());
    f.extend(payload);
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

#[test]
fn ipv6_extension_header_chains() {
    let mut s = sim("rx_ipv6_ext");
    let chains: Vec<Vec<(u8, usize)>> = vec![
        vec![(0, 8)],
        vec![(0, 8), (60, 16), (43, 24)],
        vec![(51, 12)],           // AH of 3 words: shifts the L4 header by one word
        vec![(51, 12), (51, 12)], // two odd AHs: back to even
        vec![
            (0, 8),
            (51, 16),
            (60, 8),
            (135, 8),
            (139, 8),
            (140, 8),
            (253, 8),
            (254, 8),
        ],
        vec![(60, 8); 12],      // a long chain, one header per beat
        vec![(0, 2048)],        // a long header
        vec![(43, 8), (44, 8)], // ends at a fragment header
        vec![(0, 8), (50, 8)],  // ESP: "other"
    ];
    let mut frames = Vec::new();
    for (i, c) in chains.iter().enumerate() {
        for vlan in [false, true] {
            for pl in [0usize, 1, 5, 6, 7, 8, 100, 1001] {
                frames.push((ipv6_chain_frame(vlan, c, pl, (i * 16 + pl) as u32), false));
            }
        }
    }
    // Malformed chains: a length pointing past the payload, a header that does not fit,
    // and every truncation of one chained frame.
    let good = ipv6_chain_frame(false, &[(0, 8), (60, 16)], 40, 3);
    let mut bad = good.clone();
    bad[14 + 40 + 1] = 40; // hop-by-hop of 328 bytes
    frames.push((bad, false));
    let mut bad = good.clone();
    bad[14 + 40 + 8 + 1] = 9; // destination options running past the IP payload
    frames.push((bad, false));
    for n in 50..good.len() {
        frames.push((good[..n].to_vec(), false));
    }
    let r = check(&mut s, &frames, Drive::default());
    let walked = r
        .metas
        .iter()
        .filter(|m| m.ip_options == Some(true) && m.l4.is_some())
        .count();
    assert!(walked >= 100, "only {walked} frames had a walked chain");
    check(
        &mut s,
        &frames,
        Drive {
            gap_prob: 0.3,
            out_ready_prob: 0.6,
            meta_ready_prob: 0.6,
            seed: 21,
        },
    );
}

#[test]
fn ipv6_fragment_headers_must_fit() {
    let mut s = sim("rx_ipv6_frag_fit");
    // Hop-by-Hop (next header 44) running past a 16-byte payload; a fragment header
    // that does not fit after it; and a fixed header whose next header is 44 with a
    // 4-byte payload. All are bad IP headers; the fitting ones are fragments.
    let hex = "02000000000102000000000286dd600000000010004020010db800000000000000000000000120010db80000000000000000000000022c02011400000000000000000000000000000000000000000000000000000000";
    let bad: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut fits = bad.clone();
    fits[14 + 40 + 1] = 0; // hop-by-hop of 8 bytes, fragment header fits in the 16 bytes
    let mut short = bad.clone();
    short[14 + 40 + 1] = 0;
    short[14 + 5] = 12; // payload 12: the fragment header after 8 bytes does not fit
    let mut fixed = bad.clone();
    fixed[14 + 6] = 44;
    fixed[14 + 5] = 4;
    let frames: Vec<(Vec<u8>, bool)> = [bad, fits, short, fixed]
        .into_iter()
        .map(|f| (f, false))
        .collect();
    let r = check(&mut s, &frames, Drive::default());
    assert_eq!(r.metas[0].errors, vec!["bad_ip_header"]);
    assert_eq!(r.metas[1].fragment, Some(true));
    assert!(r.metas[1].errors.is_empty());
    assert_eq!(r.metas[2].errors, vec!["bad_ip_header"]);
    assert_eq!(r.metas[3].errors, vec!["bad_ip_header"]);
    assert_eq!(r.metas[3].fragment, Some(true));
}

#[test]
fn reset_in_the_middle_of_a_frame_recovers() {
    // Half a frame in (outputs not ready, so it sits in the data FIFO), then reset: the
    // parser and its FIFOs must forget it, and the next run must be exact.
    let mut s = sim("rx_reset_mid_frame");
    s.partial_frame(&tcp_frame(1518, 1), 20).unwrap();
    s.reset();
    let mut g = FrameGen::new(31);
    let frames: Vec<(Vec<u8>, bool)> = (0..300).map(|_| g.any()).collect();
    check(&mut s, &frames, Drive::default());
    // And again with a partial frame of a few beats, under back-pressure.
    s.partial_frame(&tcp_frame(200, 2), 3).unwrap();
    s.reset();
    check(
        &mut s,
        &frames,
        Drive {
            gap_prob: 0.2,
            out_ready_prob: 0.7,
            meta_ready_prob: 0.7,
            seed: 12,
        },
    );
}
