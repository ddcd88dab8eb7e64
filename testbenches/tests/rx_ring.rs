//! The receive engine top (`<prefix>_rx`) under Verilator: frames go through the engine
//! into host receive-ring buffers by DMA, announced by RX_FRAME events. Checked in
//! lockstep against the golden model (`host_model::rcv::RcvModel`: the fast path on top
//! of the receive ring and the engine core, `testbenches::rx_lock`) fed by the
//! independent reference parser: the same events, and host memory byte-identical
//! (frames in the buffers the model names, nothing written after them).

use anyhow::Result;
use host_model::proto::*;
use host_model::{Config, Resolved};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::framegen::FrameGen;
use testbenches::rx_lock::RxLock;
use testbenches::rx_sim::RxSim;
use testbenches::scenario::{hand_out, peer_frame};

/// Host memory of the tests (bytes); filled with [`FILL`] before a run.
const MEM: usize = 8 << 20;
const FILL: u8 = 0xA5;

fn cfg() -> Resolved {
    let mut c = Config::default();
    c.offload.handout_timeout_us = 1_000_000;
    c.resolve().unwrap()
}

fn lock(test: &str) -> Result<RxLock> {
    let mut lk = RxLock::new(RxSim::for_test(&cfg(), test, MEM)?);
    lk.fill(FILL);
    Ok(lk)
}

fn stats(lk: &mut RxLock, tag: u32) -> Result<Stats> {
    match lk.command(&Command::Stats { tag }.encode())? {
        Event::Stats { stats, .. } => Ok(stats),
        e => panic!("STATS answered {e:?}"),
    }
}

/// Send `frames` to both, then compare everything (dropped frames leave no event: let
/// the last of them pass the engine before the next round posts buffers).
fn send_check(lk: &mut RxLock, frames: Vec<(Vec<u8>, bool)>, what: &str) -> Result<()> {
    for (f, user) in frames {
        lk.frame(f, user);
    }
    lk.check(what, 5_000)?;
    Ok(())
}

/// `n` buffer addresses from `next` on: 8-byte aligned, 2,056 bytes apart so they start
/// at every alignment to 4 KB and frames cross 4 KB boundaries.
fn buffers(next: &mut u64, n: usize) -> Vec<u64> {
    (0..n)
        .map(|_| {
            let a = *next;
            *next += RX_BUF_BYTES as u64 + 8;
            a
        })
        .collect()
}

/// A2/M10: random frames of every kind (hits, misses, not TCP, malformed, MAC errors,
/// VLAN, IPv6, oversize) under random input gaps, event back-pressure and memory stalls,
/// with buffers posted in random batches so that some frames find none: every frame the
/// model writes lands byte-exact in the buffer the model names, with the same RX_FRAME
/// status word; every frame the model drops is dropped; STATS agree.
#[test]
fn ring_frames_match_model_and_memory() -> Result<()> {
    let mut lk = lock("rx_ring_random")?;
    // Handed out with RCV.NXT 0 and no window: their data segments are dropped by the
    // fast path (old or past the window), their empty ones consumed, their SYN / FIN /
    // RST ones go to the ring as exceptions.
    let keys = hand_out(&mut lk, 40)?;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut fg = FrameGen::new(55);
    let mut next = 0x100;
    let mut tag = 100;
    let mut frames_total = 0;
    for round in 0..150 {
        if round % 3 == 1 {
            lk.sim.set_drive(0.2, 0.7, 0.7, 0.8, 7);
        } else {
            lk.sim.set_drive(0.0, 1.0, 1.0, 1.0, 1);
        }
        // Post a batch (0..=24) of buffers; the ring is never allowed to fill here.
        let n = rng
            .random_range(0..=24usize)
            .min(RX_RING_SLOTS - lk.model.ring().len());
        let addrs = buffers(&mut next, n);
        tag += 1;
        lk.command(&Command::RxBuf { tag, addrs }.encode())?;
        let mut frames = vec![];
        for _ in 0..rng.random_range(1..=24) {
            let f = match rng.random_range(0..10) {
                0..=3 => {
                    let k = &keys[rng.random_range(0..keys.len())];
                    let len = rng.random_range(0..=1460);
                    let payload: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                    let flags = [0, 0, 0, 1, 2, 4, 8][rng.random_range(0..7)];
                    (peer_frame(k, rng.random(), Some(1), flags, &payload), false)
                }
                4 => {
                    let len = rng.random_range(2049..3000);
                    let mut f = fg.valid();
                    f.resize(len, 0x5A);
                    (f, false)
                }
                _ => fg.any(),
            };
            frames.push(f);
        }
        frames_total += frames.len();
        send_check(&mut lk, frames, &format!("round {round}"))?;
        assert!(next < MEM as u64 - 64 * 1024, "test memory too small");
    }
    let s = stats(&mut lk, 9)?;
    let fast = lk.model.stats();
    println!("{s:?}\n{fast:?}");
    assert!(s.ring_drops > 0 && s.ring_frames > 0, "{s:?}");
    assert!(
        s.hits > 0 && s.misses > 0 && s.not_tcp > 0 && s.oversize > 0,
        "{s:?}"
    );
    assert!(frames_total as u64 > s.ring_frames + s.ring_drops, "{s:?}");
    assert!(
        fast.exceptions > 0 && fast.dup_segs + fast.out_of_window > 0,
        "{fast:?}"
    );
    Ok(())
}

/// Malformed RXBUF commands and the other data-path opcodes get the model's error
/// response (consumed = buffers posted before the fault), count in `command_errors`,
/// and leave the engine working: the buffers posted before each fault are used, in order.
#[test]
fn malformed_rxbuf_commands_are_answered_and_nothing_hangs() -> Result<()> {
    let mut lk = lock("rx_ring_errors")?;
    let mut next = 0x40;
    let hdr = |op: u64, count: u64, tag: u64| op | count << 16 | tag << 32;
    let mut cmds: Vec<(&str, Vec<u64>)> = vec![];
    // Misaligned third entry: two posted.
    let mut a = buffers(&mut next, 3);
    a[2] += 4;
    cmds.push(("misaligned", [vec![hdr(8, 3, 1)], a].concat()));
    // tlast after one of three entries.
    cmds.push((
        "truncated",
        [vec![hdr(8, 3, 2)], buffers(&mut next, 1)].concat(),
    ));
    // One entry more than count.
    cmds.push((
        "trailing",
        [vec![hdr(8, 1, 3)], buffers(&mut next, 2)].concat(),
    ));
    // A buffer that would wrap past 2^64 - 1 (the one ending exactly there is fine).
    cmds.push((
        "wraps",
        vec![
            hdr(8, 3, 11),
            0xFFFF_FFFF_FFFF_F800,
            0xFFFF_FFFF_FFFF_F808,
            0x4000,
        ],
    ));
    // count 0 with a word after the header.
    cmds.push(("count 0 + word", vec![hdr(8, 0, 4), 0x1000]));
    cmds.push(("count 0", vec![hdr(8, 0, 5)]));
    // Reserved header bits, with a body.
    cmds.push(("reserved", vec![hdr(8, 1, 6) | 0x100, 0x2000]));
    // RCVLIST with a bad entry (answered by the fast path); a reserved data-path
    // opcode.
    cmds.push(("rcvlist bad entry", vec![hdr(9, 2, 7), 1, 2]));
    cmds.push(("opcode 0x0F", vec![hdr(0xF, 0, 8)]));
    // A core command between them still goes to the core.
    cmds.push(("caps", Command::Caps { tag: 9 }.encode()));
    for (what, c) in &cmds {
        lk.command(c).map_err(|e| e.context(*what))?;
    }
    // Fill the ring: the last command posts what fits and says RING_FULL.
    let room = RX_RING_SLOTS - lk.model.ring().len();
    let addrs = buffers(&mut next, room + 5);
    let ev = lk.command(&Command::RxBuf { tag: 10, addrs }.encode())?;
    assert_eq!(ev.trailer().status, CmdStatus::RingFull);
    assert_eq!(ev.trailer().consumed as usize, room);
    let s = stats(&mut lk, 11)?;
    assert_eq!(s.command_errors, 9, "{s:?}");
    // The ring works: frames use the buffers in the order posted (the buffer at
    // 2^64 - 2,048 is posted: its write fails, past the memory).
    let mut fg = FrameGen::new(3);
    let frames: Vec<(Vec<u8>, bool)> = (0..40).map(|_| (fg.valid(), false)).collect();
    send_check(&mut lk, frames, "after errors")?;
    Ok(())
}

/// Frames with no buffer posted are dropped and counted; a buffer in a failing range
/// (SLVERR) or past the end of memory (DECERR) gives RX_FRAME with `DMA_ERROR`,
/// counted, and the following frames are written normally.
#[test]
fn no_buffer_drops_and_dma_errors_are_counted() -> Result<()> {
    let mut lk = lock("rx_ring_dma_errors")?;
    let mut fg = FrameGen::new(4);
    let frames: Vec<(Vec<u8>, bool)> = (0..10).map(|_| (fg.valid(), false)).collect();
    send_check(&mut lk, frames, "no buffer")?;
    let fail = 0x10_0000u64..0x10_1000;
    lk.fail_range(fail.clone());
    let addrs = vec![
        0x1000,
        fail.start + 0x800,
        MEM as u64 + 0x100_0000,
        0x2000,
        fail.start - 0x10,
        0x3000,
    ];
    lk.command(&Command::RxBuf { tag: 1, addrs }.encode())?;
    let frames: Vec<(Vec<u8>, bool)> = (0..6).map(|_| (fg.valid(), false)).collect();
    send_check(&mut lk, frames, "dma errors")?;
    let s = stats(&mut lk, 2)?;
    assert_eq!(
        (s.ring_drops, s.ring_dma_errors, s.ring_frames),
        (10, 3, 3),
        "{s:?}"
    );
    Ok(())
}

/// Throughput of the ring path (exact, in simulated clocks): back-to-back frames of one
/// size with buffers posted and no stalls go through at line rate (zero idle clocks
/// between frames in steady state); the frames' bytes are checked.
#[test]
fn ring_throughput_figures() -> Result<()> {
    let mut lk = lock("rx_ring_rate")?;
    // A connection the engine does not hold: its frames miss and go to the ring.
    let key = FlowKey {
        ipv6: false,
        vlan_present: false,
        vlan_id: 0,
        local_ip: 0x0a00_0001,
        remote_ip: 0x0a09_0909,
        local_port: 80,
        remote_port: 5555,
    };
    let mut next = 0x40;
    // Frame sizes: minimum, 64-byte TCP payload (118 bytes), MSS 1460 (1514), maximum.
    for (size, n) in [(64usize, 250usize), (118, 200), (1514, 100), (1518, 100)] {
        let addrs = buffers(&mut next, n);
        lk.command(
            &Command::RxBuf {
                tag: size as u32,
                addrs,
            }
            .encode(),
        )?;
        let payload = vec![0x33u8; size - 54];
        let frames: Vec<(Vec<u8>, bool)> = (0..n)
            .map(|i| {
                (
                    peer_frame(&key, i as u32 * 1000, Some(1), 0, &payload),
                    false,
                )
            })
            .collect();
        assert!(frames.iter().all(|(f, _)| f.len() == size.max(60)));
        let start = lk.sim.cycles();
        for (f, user) in frames {
            lk.frame(f, user);
        }
        let got = lk.sim.wait_rx_frames(n)?;
        let clocks = got.last().unwrap().cycle - start;
        let beats = (n * size.div_ceil(8)) as u64;
        // Steady state: clocks between the events of frame n/4 and frame n-1.
        let q = n / 4;
        let steady = (got[n - 1].cycle - got[q].cycle) as f64 / (n - 1 - q) as f64;
        println!(
            "ring path, {}-byte TCP payloads: {:.1} payload bits per clock in steady state \
             ({:.1} % of the 64-bit datapath)",
            size - 54,
            (size - 54) as f64 * 8.0 / steady,
            (size - 54) as f64 * 8.0 / steady / 64.0 * 100.0
        );
        println!(
            "ring path, {n} back-to-back {size}-byte frames: {beats} beats in {clocks} clocks \
             ({:.3} beats/clock, {:.1} clocks/frame with the latency, {steady:.2} in steady state)",
            beats as f64 / clocks as f64,
            clocks as f64 / n as f64
        );
        // Line rate: in steady state one frame per its beat count of clocks (zero idle
        // clocks between frames), and the pipeline's latency paid once.
        let per_frame = size.div_ceil(8) as u64;
        assert_eq!(
            got[n - 1].cycle - got[q].cycle,
            (n - 1 - q) as u64 * per_frame,
            "{size}-byte frames: idle clocks between frames in steady state"
        );
        assert!(
            clocks <= n as u64 * per_frame + 300,
            "{size}-byte frames: {clocks} clocks for {n} frames"
        );
        // The same events as the model, and the same memory.
        let want: Vec<Vec<u64>> = lk.model.take_events().iter().map(Event::encode).collect();
        let got: Vec<Vec<u64>> = got.into_iter().map(|e| e.words).collect();
        assert_eq!(got, want, "{size}-byte frames: RX_FRAME events differ");
        lk.sim.drain(100)?;
        assert!(
            lk.sim.mem.mem == lk.mem.bytes,
            "{size}-byte frames: memory differs"
        );
    }
    Ok(())
}

/// A2 end to end: the offload-many scenario on the receive engine top. The host stack
/// gets every frame (handshakes, data, FINs) from receive-ring buffers and parses it
/// itself with etherparse; the RTL and the model agree on every command, event and
/// RX_FRAME; frames that hit offloaded connections carry their handle and take the
/// engine path; the FINs raise upload requests and the host uploads them.
#[test]
fn offload_many_scenario_over_the_ring() -> Result<()> {
    let cfg = cfg();
    let (out, _) = testbenches::rx::test_paths("rx_offload_many");
    let s = testbenches::scenario::offload_many_ring(&cfg, 300, &out)?;
    println!("{s}");
    assert_eq!(s.mismatches, 0, "{s}");
    assert_eq!(s.misrouted, 0, "{s}");
    assert_eq!(s.offloaded, 300, "{s}");
    assert_eq!(s.data_hits, 300, "{s}");
    assert_eq!(s.uploads_requested, s.fins, "{s}");
    assert_eq!(s.uploaded as usize, s.fins, "{s}");
    assert_eq!(s.engine_connections_after as usize, 300 - s.fins, "{s}");
    Ok(())
}
