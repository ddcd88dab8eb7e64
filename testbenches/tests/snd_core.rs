//! The send fast path core RTL (`<prefix>_snd_core`, Verilator) in lockstep with the
//! send model (`host_model::snd::SndConn`, driven as the fast path model drives it):
//! random send lists (some refused), random peer ACKs (new data, partial, duplicate,
//! window updates, beyond SND.MAX, old, with payload), time passing (RTT samples,
//! retransmission timeouts), flushes and re-activations. After every event the
//! segments (sequence number, length, PSH, retransmission, every piece of host
//! memory), the SEND_DONE events, the list results, the uploads and the flush state
//! must be equal; at the end the counters.

use std::path::PathBuf;

use host_model::Config;
use host_model::proto::{SendList, SgEntry, Tcp};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::snd::{RtlSegment, SndRef, SndSim, compare, stats_words};
use testbenches::tx::{TxSegSim, random_fields, segment_frame};

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("toe_snd_core_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cfg(extra: &str) -> host_model::Resolved {
    let text = format!(
        "clock_mhz = 4.0\n[offload]\nconnections = 256\n[snd]\nrto_min_us = 400\nrto_max_us = 3000\n{extra}"
    );
    Config::from_toml_str(&text, "test")
        .unwrap()
        .resolve()
        .unwrap()
}

struct Conn {
    handle: u16,
    ctx: u32,
    mss: u64,
    wsc: u64,
    wsok: u64,
    peer_seq: u32,
    peer_wnd: u16,
    tag: u32,
}

fn tcp_for(c: &Conn, una: u32, nxt: u32, wnd: u32, rng: &mut ChaCha8Rng) -> Tcp {
    Tcp {
        snd_una: una as u64,
        snd_nxt: nxt as u64,
        snd_wnd: wnd as u64,
        snd_wl1: c.peer_seq.wrapping_sub(1) as u64,
        snd_wl2: una as u64,
        cwnd: if rng.random_bool(0.7) {
            0
        } else {
            rng.random_range(1000..200_000)
        },
        ssthresh: if rng.random_bool(0.6) {
            0
        } else {
            rng.random_range(2000..100_000)
        },
        srtt: if rng.random_bool(0.5) {
            0
        } else {
            rng.random_range(8..4000)
        },
        rttvar: rng.random_range(0..2000),
        dup_acks: 0,
        retransmit_count: 0,
        eff_mss: c.mss,
        snd_wscale: c.wsc,
        wscale_ok: c.wsok,
        ..Tcp::default()
    }
}

/// With `mem` bytes of host memory the core's pieces feed the segment transmit path
/// (`tx_seg`) clock for clock, and every frame is checked against etherparse's.
fn run(name: &str, extra: &str, seed: u64, events: usize, pc_ready: f64, mem: Option<usize>) {
    let cfg = cfg(extra);
    let out = out_dir(name);
    let mut sim = SndSim::build(&cfg, &out, None, seed).expect("build");
    sim.pc_ready = pc_ready;
    let mut want_frames: Vec<Vec<u8>> = Vec::new();
    let mut trng = ChaCha8Rng::seed_from_u64(seed ^ 0x55);
    if let Some(size) = mem {
        let mut tx = TxSegSim::build(&cfg, &out, None, size).expect("tx_seg");
        trng.fill(&mut tx.mem.mem[..]);
        tx.mem.latency = 40;
        tx.sink.set_ready_probability(0.9);
        sim.tx = Some((tx, Default::default()));
    }
    let addr_limit = mem.map(|m| m as u64 - 200_000).unwrap_or(1u64 << 44);
    let mut r = SndRef::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut conns: Vec<Conn> = Vec::new();
    for i in 0..6u16 {
        let c = Conn {
            handle: i * 41 + 3,
            ctx: rng.random(),
            mss: [0, 536, 1000, 1460, 1970, 3000][i as usize],
            wsc: rng.random_range(0..16),
            wsok: rng.random_bool(0.6) as u64,
            peer_seq: rng.random(),
            peer_wnd: rng.random_range(2000..=65535),
            tag: 0,
        };
        let una: u32 = if i == 0 { 0xFFFF_F000 } else { rng.random() };
        let nxt = una.wrapping_add(if rng.random_bool(0.2) {
            rng.random_range(1..3000)
        } else {
            0
        });
        let t = tcp_for(&c, una, nxt, rng.random_range(3000..300_000), &mut rng);
        if let Some((_, tpl)) = sim.tx.as_mut() {
            tpl.insert(c.handle, random_fields(&mut trng));
        }
        sim.activate(c.handle, c.ctx, &t).unwrap();
        r.activate(c.handle, c.ctx, &t);
        conns.push(c);
    }
    compare(&mut sim.out, &mut r.out, "activation").unwrap();
    let mut counts = [0usize; 4];
    for ev in 0..events {
        let k = rng.random_range(0..conns.len());
        let roll = rng.random_range(0..100);
        let what;
        if roll < 28 {
            // A send list (some for an unknown handle or context, some too long).
            let c = &mut conns[k];
            c.tag = c.tag.wrapping_add(1);
            let n = if rng.random_bool(0.05) {
                rng.random_range(6..=20)
            } else {
                rng.random_range(1..=4)
            };
            let sg = (0..n)
                .map(|_| SgEntry {
                    addr: rng.random_range(0..addr_limit),
                    len: if rng.random_bool(0.05) {
                        rng.random_range(1..200_000)
                    } else {
                        rng.random_range(1..4000)
                    },
                })
                .collect();
            let mut l = SendList {
                handle: c.handle,
                host_ctx: c.ctx,
                list_tag: c.tag,
                push: rng.random_bool(0.5),
                sg,
            };
            match rng.random_range(0..40) {
                0 => l.host_ctx ^= 1,
                1 => l.handle = 200,
                2 => l.handle = 300,
                _ => {}
            }
            sim.post(&l).unwrap();
            r.post(&l);
            what = format!("event {ev}: post {l:?}");
            counts[0] += 1;
        } else if roll < 88 {
            // The peer's segment: its ACK field, window, sequence number, payload.
            let c = &mut conns[k];
            let Some((_, s)) = r.conns.get(&c.handle) else {
                continue;
            };
            let (una, max) = (s.snd_una, s.snd_max);
            let flight = max.wrapping_sub(una);
            let mut len: u16 = 0;
            let kind = rng.random_range(0..100);
            let ack = if kind < 45 {
                una.wrapping_add(if flight > 0 {
                    rng.random_range(1..=flight)
                } else {
                    0
                })
            } else if kind < 72 {
                una
            } else if kind < 80 {
                c.peer_wnd = rng.random_range(0..=65535);
                una
            } else if kind < 85 {
                max.wrapping_add(rng.random_range(1..5000))
            } else if kind < 90 {
                una.wrapping_sub(rng.random_range(1..5000))
            } else {
                len = rng.random_range(1..1460);
                una.wrapping_add(if flight > 0 {
                    rng.random_range(0..=flight)
                } else {
                    0
                })
            };
            let seq = if rng.random_bool(0.05) {
                c.peer_seq.wrapping_sub(rng.random_range(1..3000))
            } else {
                c.peer_seq
            };
            c.peer_seq = c.peer_seq.wrapping_add(len as u32);
            let reps = if (45..72).contains(&kind) {
                rng.random_range(1..=4)
            } else {
                1
            };
            for _ in 0..reps {
                sim.ack(c.handle, ack, c.peer_wnd, seq, len).unwrap();
                r.ack(c.handle, ack, c.peer_wnd, seq, len);
            }
            what = format!(
                "event {ev}: ack {ack:#x} wnd {} seq {seq:#x} len {len} x{reps} on {}",
                c.peer_wnd, c.handle
            );
            counts[1] += 1;
        } else if roll < 97 {
            let ticks = if rng.random_bool(0.15) {
                rng.random_range(300..4000)
            } else {
                rng.random_range(1..120)
            };
            sim.advance(ticks).unwrap();
            r.advance(ticks);
            what = format!("event {ev}: {ticks} us pass");
            counts[2] += 1;
        } else {
            // Flush, then hand the connection out again from its state.
            let c = &conns[k];
            sim.flush(c.handle).unwrap();
            let t = r.flush(c.handle);
            expect_frames(&sim, &r.out.segments, &mut want_frames);
            compare(
                &mut sim.out,
                &mut r.out,
                &format!("event {ev}: flush {}", c.handle),
            )
            .unwrap();
            if let Some(t) = t {
                let mut t2 = tcp_for(
                    c,
                    t.snd_una as u32,
                    t.snd_max as u32,
                    t.snd_wnd as u32,
                    &mut rng,
                );
                t2.snd_wl1 = t.snd_wl1;
                t2.snd_wl2 = t.snd_wl2;
                t2.cwnd = t.cwnd;
                t2.ssthresh = t.ssthresh;
                t2.srtt = t.srtt;
                t2.rttvar = t.rttvar;
                t2.dup_acks = t.dup_acks;
                t2.retransmit_count = t.retransmit_count;
                sim.activate(c.handle, c.ctx, &t2).unwrap();
                r.activate(c.handle, c.ctx, &t2);
            }
            what = format!("event {ev}: re-activation {}", c.handle);
            counts[3] += 1;
        }
        expect_frames(&sim, &r.out.segments, &mut want_frames);
        compare(&mut sim.out, &mut r.out, &what).unwrap();
    }
    // Flush everything: every list comes back with its residual.
    for c in &conns {
        sim.flush(c.handle).unwrap();
        r.flush(c.handle);
        compare(&mut sim.out, &mut r.out, "final flush").unwrap();
    }
    assert_eq!(
        sim.counters(),
        stats_words(&r.stats),
        "counters (SndStats order)"
    );
    if let Some((tx, _)) = sim.tx.as_mut() {
        tx.run_until(want_frames.len()).unwrap();
        tx.check(&want_frames).unwrap();
        eprintln!(
            "{name}: {} frames checked against etherparse",
            want_frames.len()
        );
    }
    let s = r.stats;
    eprintln!(
        "{name}: {counts:?} events (lists, ACKs, time, flushes), {} cycles: {:?}",
        sim.model.cycles(),
        s.fields()
    );
    // The scenario reached every rule.
    let f: std::collections::BTreeMap<_, _> = s.fields().into_iter().collect();
    for n in [
        "segs",
        "retransmits",
        "fast_retransmits",
        "partial_acks",
        "rtt_samples",
        "lists_done",
        "lists_flushed",
        "timeouts",
        "bad_acks",
    ] {
        assert!(f[n] > 0, "the scenario produced no {n}");
    }
}

/// The frames the reference's segments make (templates from the transmit path's
/// table, payload from its host memory).
fn expect_frames(sim: &SndSim, segs: &[RtlSegment], out: &mut Vec<Vec<u8>>) {
    if let Some((tx, tpl)) = sim.tx.as_ref() {
        for s in segs {
            let mut f = tpl[&s.conn];
            f.seq = s.seq;
            let pieces: Vec<(u64, u16)> = s.pieces.iter().map(|p| (p.0, p.1 as u16)).collect();
            out.push(segment_frame(&tx.mem.mem, &f, s.push, &pieces));
        }
    }
}

#[test]
fn lockstep_with_the_send_model() {
    run("lock", "", 1, 3000, 1.0, None);
}

#[test]
fn lockstep_under_fetch_backpressure_with_few_slots() {
    run(
        "bp",
        "sg_entries = 5\ninitial_cwnd_segs = 2\n",
        2,
        2000,
        0.3,
        None,
    );
}

/// The core's segments go through the segment transmit path: frames equal etherparse's.
#[test]
fn segments_leave_as_frames_through_the_transmit_path() {
    run("frames", "", 3, 1200, 1.0, Some(4 << 20));
}

/// One connection with open windows and MSS 1460 posts 960,000 bytes in one list of 16
/// entries: the core cuts them into segments and the transmit path sends them back to
/// back, with no idle clock between the full-size frames (exact, in simulated clocks).
#[test]
fn full_size_segments_from_a_list_leave_back_to_back() {
    let cfg = cfg("");
    let out = out_dir("rate");
    let mut sim = SndSim::build(&cfg, &out, None, 9).expect("build");
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut tx = TxSegSim::build(&cfg, &out, None, 4 << 20).expect("tx_seg");
    rng.fill(&mut tx.mem.mem[..]);
    tx.mem.latency = 40;
    let mut f = random_fields(&mut rng);
    f.ipv6 = false;
    f.vlan = None;
    f.local_ip &= 0xFFFF_FFFF;
    f.remote_ip &= 0xFFFF_FFFF;
    let (h, ctx) = (7u16, 0x1234u32);
    sim.tx = Some((tx, [(h, f)].into_iter().collect()));
    let t = Tcp {
        snd_una: 1000,
        snd_nxt: 1000,
        snd_wnd: 4_000_000,
        cwnd: 4_000_000,
        eff_mss: 1460,
        ..Tcp::default()
    };
    let mut r = SndRef::new(&cfg);
    sim.activate(h, ctx, &t).unwrap();
    r.activate(h, ctx, &t);
    let l = SendList {
        handle: h,
        host_ctx: ctx,
        list_tag: 1,
        push: true,
        sg: (0..16)
            .map(|i| SgEntry {
                addr: i * 200_000 + 3,
                len: 60_000,
            })
            .collect(),
    };
    let start = sim.tx.as_ref().unwrap().0.model.cycles();
    sim.post(&l).unwrap();
    r.post(&l);
    let mut want = Vec::new();
    expect_frames(&sim, &r.out.segments, &mut want);
    compare(&mut sim.out, &mut r.out, "post").unwrap();
    let (tx, _) = sim.tx.as_mut().unwrap();
    tx.run_until(want.len()).unwrap();
    tx.check(&want).unwrap();
    let fr = tx.sink.frames();
    let full = &fr[..fr.len() - 1];
    let beats: u64 = full.iter().map(|x| x.beats).sum();
    let span = full[full.len() - 1].last_cycle - full[0].first_cycle + 1;
    eprintln!(
        "{} segments of 1460 B cut from one list and sent: {beats} beats in {span} clocks, \
         first frame {} clocks after the list's header, {:.2} payload bits per clock",
        full.len(),
        full[0].first_cycle - start,
        (1460 * 8 * full.len()) as f64 / span as f64
    );
    assert_eq!(fr.len(), 658);
    assert_eq!(span, beats, "idle clocks between full-size frames");
}
