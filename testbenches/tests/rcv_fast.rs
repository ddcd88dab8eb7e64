//! The receive fast path (`hdl::rcv_core` inside `<prefix>_rx`) under Verilator, in
//! lockstep with its golden model (`host_model::rcv::RcvModel`, fed by the independent
//! reference parser): the same commands get the same responses, the same frames give
//! the same RCV_DONE, RX_FRAME / FRAME_DATA and UPLOAD_REQUEST events in the same
//! order, and host memory (receive lists and ring buffers) ends up byte-identical.
//!
//! What the RTL does not build yet is kept out of these streams and said so: no
//! out-of-order segments (the model places them after a hole), no frames while a
//! connection waits for a list after a FRAME_DATA (the model holds them), and ACK frames
//! are not compared (the RTL does not send them yet).

use anyhow::{Result, ensure};
use host_model::proto::*;
use host_model::{Config, Resolved};
use testbenches::rcv_e2e::hand_out_via;
use testbenches::rcv_rtl::{
    APP, BASE, HOST_CTX, MEM, RING, cmd, key, lockstep_config, payload, rcvlist,
};
use testbenches::rx_lock::RxLock;
use testbenches::rx_sim::RxSim;
use testbenches::scenario::peer_frame;

fn cfg() -> Resolved {
    let mut c = Config::default();
    c.offload.connections = 256;
    c.offload.handout_timeout_us = 1_000_000;
    lockstep_config(&c.resolve().unwrap()).unwrap()
}

fn lock(test: &str) -> Result<RxLock> {
    Ok(RxLock::new(RxSim::for_test(&cfg(), test, MEM)?))
}

/// Post `n` receive-ring buffers.
fn post_ring(lk: &mut RxLock, n: u64) -> Result<()> {
    let addrs = (0..n).map(|i| RING + i * RX_BUF_BYTES as u64).collect();
    cmd(lk, &Command::RxBuf { tag: 1, addrs }.encode())?;
    Ok(())
}

#[test]
fn in_order_placement_matches_the_model() -> Result<()> {
    let mut lk = lock("rcv_fast_in_order")?;
    let r = testbenches::rcv_rtl::run_on(&mut lk, 160, 0x5EED_0005)?;
    println!("{r:?}");
    assert!(r.lists_completed > 100, "{r:?}");
    assert!(r.frame_data > 10, "{r:?}");
    assert!(r.acks > 100, "ACK frames compared with the model: {r:?}");
    assert!(r.ooo_placed > 20, "out-of-order segments placed: {r:?}");
    assert!(r.ooo_jumps > 10, "holes filled with a jump: {r:?}");
    assert!(r.held > 20, "frames held while waiting for a list: {r:?}");
    assert!(
        r.no_ring_buffer_drops > 3,
        "indications with no ring buffer: {r:?}"
    );
    assert!(
        r.old_segments > 10 && r.past_window_segments > 10 && r.push_segments > 10,
        "{r:?}"
    );
    Ok(())
}

/// Directed: a segment split over two entries, the first crossing a 4 KB boundary,
/// the second unaligned (a case the random stream found).
#[test]
fn pieces_across_4k_boundary() -> Result<()> {
    let mut lk = lock("rcv_fast_4k")?;
    let k = key();
    let h = hand_out_via(&mut |w: &[u64]| cmd(&mut lk, w), &k, HOST_CTX, BASE, 65535)?;
    let l = RcvList {
        handle: h,
        host_ctx: HOST_CTX,
        list_tag: 5,
        sg: vec![
            SgEntry {
                addr: 0x10cfdd,
                len: 420,
            },
            SgEntry {
                addr: 0x10d18e,
                len: 1012,
            },
        ],
    };
    cmd(&mut lk, &rcvlist(9, h, vec![l]))?;
    for (i, len) in [1396usize, 36, 1000].into_iter().enumerate() {
        let seq = lk
            .model
            .engine()
            .conn(h)
            .map(|c| c.tcp.rcv_nxt as u32)
            .unwrap_or(BASE);
        lk.frame(peer_frame(&k, seq, Some(1), 0, &payload(seq, len)), false);
        lk.check(&format!("segment {i}"), 2000)?;
    }
    Ok(())
}

/// FLUSH of a connection the fast path holds: the response carries the fast path's
/// RCV.NXT and window, every posted list comes back (RCV_DONE flushed: the current one
/// with its bytes, a list whose write failed with DMA_ERROR), the connection's frames
/// then miss (ring), RCVLIST is refused, and a new handout from the returned state goes
/// on placing where the stream left off.
#[test]
fn flush_returns_lists_and_state_then_handout_again() -> Result<()> {
    let mut lk = lock("rcv_fast_flush")?;
    let k = key();
    post_ring(&mut lk, 8)?;
    let fail = 0x30_0000u64..0x30_1000;
    lk.fail_range(fail.clone());
    let h = hand_out_via(&mut |w: &[u64]| cmd(&mut lk, w), &k, HOST_CTX, BASE, 65535)?;
    let list = |tag: u32, sg: Vec<(u64, u32)>| RcvList {
        handle: h,
        host_ctx: HOST_CTX,
        list_tag: tag,
        sg: sg
            .into_iter()
            .map(|(addr, len)| SgEntry { addr, len })
            .collect(),
    };
    cmd(
        &mut lk,
        &rcvlist(
            2,
            h,
            vec![
                list(11, vec![(APP, 1000), (APP + 0x1003, 2000)]),
                // Its second entry is in the failing range.
                list(12, vec![(APP + 0x4000, 700), (fail.start + 0x10, 900)]),
                list(13, vec![(APP + 0x8000, 3000)]),
            ],
        ),
    )?;
    let mut nxt = BASE;
    for len in [1460usize, 1460, 1200] {
        lk.frame(peer_frame(&k, nxt, Some(1), 0, &payload(nxt, len)), false);
        nxt = nxt.wrapping_add(len as u32);
    }
    let evs = lk.check("placed", 2000)?;
    let kinds: Vec<_> = evs
        .iter()
        .map(|e| match e {
            Event::RcvDone { done, .. } => format!("done {}", done.list_tag),
            Event::UploadRequest { reason, .. } => format!("upload {reason:?}"),
            e => format!("{e:?}"),
        })
        .collect();
    assert_eq!(kinds, ["done 11", "upload DmaError"], "{evs:?}");
    let flush = Command::Flush {
        tag: 3,
        conns: vec![ConnRef {
            kind: Kind::Tcp,
            handle: h,
            host_ctx: HOST_CTX,
        }],
    };
    let ev = cmd(&mut lk, &flush.encode())?;
    let Event::Flushed { items, .. } = &ev else {
        anyhow::bail!("FLUSH answered {ev:?}")
    };
    let Some(FlushItem::Conn { tcp: Some(t), .. }) = items.first() else {
        anyhow::bail!("FLUSH answered {ev:?}")
    };
    assert_eq!(t.rcv_nxt as u32, nxt, "RCV.NXT at the flush");
    let evs = lk.check("flushed", 2000)?;
    let flushed: Vec<(u32, u32, bool)> = evs
        .iter()
        .filter_map(|e| match e {
            Event::RcvDone { done, trailer } if done.flushed => Some((
                done.list_tag,
                done.bytes,
                trailer.status == CmdStatus::DmaError,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(flushed, vec![(12, 1120, true), (13, 0, false)], "{evs:?}");
    // The connection is the host's again.
    let ev = cmd(
        &mut lk,
        &rcvlist(4, h, vec![list(14, vec![(APP + 0xC000, 100)])]),
    )?;
    let Event::RcvListPosted { results, .. } = &ev else {
        anyhow::bail!("{ev:?}")
    };
    assert_eq!(results[0].status, EntryStatus::UnknownHandle);
    lk.frame(peer_frame(&k, nxt, Some(1), 0, &payload(nxt, 300)), false);
    let evs = lk.check("after the flush", 2000)?;
    assert!(matches!(evs[..], [Event::RxFrame { .. }]), "{evs:?}");
    // Handed out again from the returned state: placement goes on.
    let h2 = hand_out_via(&mut |w: &[u64]| cmd(&mut lk, w), &k, HOST_CTX, nxt, 65535)?;
    cmd(
        &mut lk,
        &rcvlist(5, h2, vec![list(15, vec![(APP + 0xD000, 500)])]),
    )?;
    lk.frame(peer_frame(&k, nxt, Some(1), 8, &payload(nxt, 300)), false);
    let evs = lk.check("handed out again", 2000)?;
    assert!(
        matches!(&evs[..], [Event::RcvDone { done, .. }] if done.bytes == 300 && done.push),
        "{evs:?}"
    );
    Ok(())
}

/// Goodput of the fast path (exact, in simulated clocks): back-to-back in-order
/// segments of one size into receive lists posted ahead (large entries, no stalls),
/// checked against the model like every stream. Prints payload bits per clock in steady
/// state (the DMA writes of segment n/4 to the last) and the co-simulation speed of the
/// whole receive engine; asserts the fast path keeps up with the input: one segment per
/// frame time (its beat count of clocks) in steady state.
#[test]
fn fast_path_goodput_figures() -> Result<()> {
    let mut lk = lock("rcv_fast_rate")?;
    let k = key();
    let h = hand_out_via(
        &mut |w: &[u64]| cmd(&mut lk, w),
        &k,
        HOST_CTX,
        BASE,
        1 << 20,
    )?;
    let mut nxt = BASE;
    let mut at = APP;
    for (payload_len, n) in [(1460usize, 600usize), (64, 800), (10, 800)] {
        // One list of four large entries takes all the segments.
        let total = (payload_len * n) as u64;
        let part = total.div_ceil(4) as u32 + 8;
        let sg: Vec<SgEntry> = (0..4)
            .map(|i| SgEntry {
                addr: at + i as u64 * (part as u64 + 64) + 3,
                len: part,
            })
            .collect();
        at += 4 * (part as u64 + 64);
        at = (at + 0xFFF) & !0xFFF;
        cmd(
            &mut lk,
            &rcvlist(
                payload_len as u32,
                h,
                vec![RcvList {
                    handle: h,
                    host_ctx: HOST_CTX,
                    list_tag: payload_len as u32,
                    sg,
                }],
            ),
        )?;
        let frames: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let s = nxt.wrapping_add((i * payload_len) as u32);
                peer_frame(&k, s, Some(1), 0, &payload(s, payload_len))
            })
            .collect();
        nxt = nxt.wrapping_add(total as u32);
        let beats = frames[0].len().div_ceil(8);
        let w0 = lk.sim.w_cycles().len();
        let c0 = lk.sim.cycles();
        let t0 = std::time::Instant::now();
        for f in frames {
            lk.frame(f, false);
        }
        lk.sim.drain(3000)?;
        let wall = t0.elapsed().as_secs_f64();
        let cycles = lk.sim.cycles() - c0;
        let w: Vec<u64> = lk.sim.w_cycles()[w0..].to_vec();
        lk.check(&format!("{payload_len}-byte segments"), 2000)?;
        // Steady state: from the first W beat of segment n/4's data on (by bytes).
        let per_seg_w = w.len() as f64 / n as f64;
        let q = (w.len() / 4).max(1);
        let span = (w[w.len() - 1] - w[q]) as f64;
        let segs = (w.len() - 1 - q) as f64 / per_seg_w;
        let clocks_per_seg = span / segs;
        let bits = payload_len as f64 * 8.0 / clocks_per_seg;
        println!(
            "fast path, {n} back-to-back {payload_len}-byte segments ({}-byte frames, {beats} beats): \
             {clocks_per_seg:.2} clocks per segment in steady state, {bits:.1} payload bits per clock \
             ({:.1} % of the 64-bit datapath, {:.1} % of the frame-limited {:.1}); \
             co-simulation {:.2} M cycles/s",
            payload_len + 54,
            bits / 64.0 * 100.0,
            clocks_per_seg.recip() * beats as f64 * 100.0,
            payload_len as f64 * 8.0 / beats as f64,
            cycles as f64 / wall / 1e6
        );
        assert!(
            clocks_per_seg <= beats as f64 + 0.05,
            "{payload_len}-byte segments: {clocks_per_seg:.2} clocks per segment, the frames take {beats}"
        );
    }
    Ok(())
}

/// RCVLIST and WINUPDATE, well-formed and malformed, answered as the model answers them
/// (status, results, `consumed`, which entries took effect), and the state they leave
/// (lists posted, window) drives the next segments the same way.
#[test]
fn rcvlist_and_winupdate_commands_match_the_model() -> Result<()> {
    let mut lk = lock("rcv_fast_commands")?;
    let k = key();
    let h = hand_out_via(&mut |w: &[u64]| cmd(&mut lk, w), &k, HOST_CTX, BASE, 3000)? as u64;
    let hdr = |op: u64, count: u64, tag: u64| op | count << 16 | tag << 32;
    let ent = |handle: u64, ctx: u64| 3 | handle << 16 | ctx << 32;
    let lw = |tag: u64, n: u64| tag | n << 32;
    let a = APP;
    let mut cmds: Vec<(&str, Vec<u64>)> = vec![
        ("count 0", vec![hdr(9, 0, 1)]),
        ("count 0 + word", vec![hdr(9, 0, 2), 5]),
        ("reserved header bits", vec![hdr(9, 1, 3) | 0x100, 1, 2]),
        ("bad kind", vec![hdr(9, 1, 4), 1 | h << 16, lw(1, 1), a, 10]),
        (
            "entry reserved bits",
            vec![hdr(9, 1, 5), ent(h, 7) | 0x40, lw(1, 1), a, 10],
        ),
        (
            "list word reserved bits",
            vec![hdr(9, 1, 6), ent(h, 7), lw(1, 1) | 1 << 50, a, 10],
        ),
        ("no entries", vec![hdr(9, 1, 7), ent(h, 7), lw(1, 0), a, 10]),
        (
            "zero length",
            vec![hdr(9, 1, 8), ent(h, 7), lw(1, 2), a, 10, a + 20, 0],
        ),
        (
            "length reserved bits",
            vec![hdr(9, 1, 9), ent(h, 7), lw(1, 1), a, 10 | 1 << 40],
        ),
        (
            "wraps",
            vec![hdr(9, 1, 10), ent(h, 7), lw(1, 1), u64::MAX - 5, 10],
        ),
        (
            "ends at 2^64 - 1",
            vec![hdr(9, 1, 11), ent(h, 7), lw(1, 1), u64::MAX - 9, 10],
        ),
        (
            "zero length then truncated",
            vec![hdr(9, 1, 12), ent(h, 7), lw(1, 3), a, 0, a + 8],
        ),
        ("truncated after the header", vec![hdr(9, 2, 13), ent(h, 7)]),
        (
            "truncated after the list word",
            vec![hdr(9, 1, 14), ent(h, 7), lw(1, 2)],
        ),
        (
            "truncated in an entry",
            vec![hdr(9, 1, 15), ent(h, 7), lw(1, 2), a, 10, a + 64],
        ),
        (
            "unknown handle",
            vec![hdr(9, 1, 16), ent(h + 1, 7), lw(1, 1), a, 10],
        ),
        (
            "wrong host context",
            vec![hdr(9, 1, 17), ent(h, 8), lw(1, 1), a, 10],
        ),
        (
            "two lists, then trailing words",
            vec![
                hdr(9, 2, 18),
                ent(h, 7),
                lw(21, 1),
                a,
                100,
                ent(h, 7),
                lw(22, 2),
                a + 0x100,
                50,
                a + 0x200,
                60,
                99,
            ],
        ),
        ("winupdate", vec![hdr(10, 1, 19), ent(h, 7), 1000]),
        (
            "winupdate reserved bits",
            vec![hdr(10, 1, 20), ent(h, 7), 1 << 33],
        ),
        ("winupdate unknown", vec![hdr(10, 1, 21), ent(h + 2, 7), 10]),
        (
            "winupdate truncated",
            vec![hdr(10, 2, 22), ent(h, 7), 10, ent(h, 7)],
        ),
        (
            "winupdate capped",
            vec![hdr(10, 1, 23), ent(h, 7), 0xFFFF_FFFF],
        ),
    ];
    // More entries than the connection has slots left (3 are in use): refused, and a
    // list that fits after it is posted.
    let mut big = vec![hdr(9, 2, 24), ent(h, 7), lw(31, 14)];
    for i in 0..14u64 {
        big.extend([a + 0x1000 + i * 0x100, 0x80]);
    }
    big.extend([ent(h, 7), lw(32, 13)]);
    for i in 0..13u64 {
        big.extend([a + 0x3000 + i * 0x100, 0x80]);
    }
    cmds.push(("no resources, then one that fits", big));
    for (what, c) in &cmds {
        cmd(&mut lk, c).map_err(|e| e.context(*what))?;
    }
    let s = match cmd(&mut lk, &Command::Stats { tag: 99 }.encode())? {
        Event::Stats { stats, .. } => stats,
        e => anyhow::bail!("STATS answered {e:?}"),
    };
    assert!(s.command_errors >= 16, "{s:?}");
    // The lists posted (21, 22, 32) take the next in-order bytes, the window as moved.
    let mut nxt = BASE;
    for len in [1460usize, 1460, 1460] {
        lk.frame(peer_frame(&k, nxt, Some(1), 8, &payload(nxt, len)), false);
        nxt = nxt.wrapping_add(len as u32);
        lk.check(&format!("segment at {len}"), 2000)?;
    }
    Ok(())
}

/// The impaired stream of `rcv_e2e` (loss, duplication, reordering, lost ACKs, host
/// stalls, flush / re-handout cycles) through the RTL: every byte the application gets
/// is the stream's, every ACK frame is checked with etherparse and drives the peer.
#[test]
fn impaired_stream_through_the_rtl() -> Result<()> {
    let bytes = std::env::var("TOE_STREAM_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10)
        << 20;
    let sc = testbenches::rcv_e2e::StreamConfig {
        bytes,
        seed: 0x5EED_0007,
        flush: 0.02,
        ..Default::default()
    };
    let (out, _) = testbenches::rx::test_paths("rcv_fast_stream");
    let r = testbenches::rcv_e2e::run_rtl(&cfg(), &out, &sc)?;
    println!("{r:?}");
    ensure!(r.flushes > 2 && r.handouts > 2, "{r:?}");
    ensure!(r.frames_lost > 10 && r.frames_reordered > 10, "{r:?}");
    ensure!(r.acks_checked > 1000, "{r:?}");
    // An IPv6 flow with an 802.1Q tag: its ACK frames (tag, IPv6 header, checksum over
    // the IPv6 pseudo-header) checked the same way.
    let sc6 = testbenches::rcv_e2e::StreamConfig {
        bytes: 1 << 20,
        seed: 0x5EED_0009,
        flush: 0.02,
        ipv6: true,
        vlan: true,
        ..Default::default()
    };
    let r = testbenches::rcv_e2e::run_rtl(&cfg(), &out, &sc6)?;
    println!("{r:?}");
    ensure!(r.acks_checked > 100, "{r:?}");
    Ok(())
}

/// Directed: with no list left, the first frame is indicated (FRAME_DATA) and the next
/// ones are held (`rcv.hold_frames` = 8 of them; the rest dropped, one NO_BUFFER upload
/// request); a RCVLIST releases them into the list in order; held again and flushed,
/// they go to the ring as misses. Lockstep with the model throughout.
#[test]
fn held_frames_are_released_by_a_list_or_flushed_to_the_ring() -> Result<()> {
    let mut lk = lock("rcv_fast_hold")?;
    let k = key();
    post_ring(&mut lk, 8)?;
    let h = hand_out_via(&mut |w: &[u64]| cmd(&mut lk, w), &k, HOST_CTX, BASE, 65535)?;
    let list = |tag: u32, addr: u64, len: u32| RcvList {
        handle: h,
        host_ctx: HOST_CTX,
        list_tag: tag,
        sg: vec![SgEntry { addr, len }],
    };
    cmd(&mut lk, &rcvlist(2, h, vec![list(11, APP, 1000)]))?;
    let mut nxt = BASE;
    let mut send = |lk: &mut RxLock, n: usize, len: usize| {
        for _ in 0..n {
            lk.frame(peer_frame(&k, nxt, Some(1), 0, &payload(nxt, len)), false);
            nxt = nxt.wrapping_add(len as u32);
        }
    };
    // 1000 bytes into the list, 460 indicated, then 10 frames: 8 held, 2 dropped.
    send(&mut lk, 1, 1460);
    send(&mut lk, 10, 700);
    let evs = lk.check("held", 3000)?;
    let n = |f: &dyn Fn(&Event) -> bool| evs.iter().filter(|e| f(e)).count();
    assert_eq!(n(&|e| matches!(e, Event::FrameData { .. })), 1, "{evs:?}");
    assert_eq!(
        n(&|e| matches!(e, Event::UploadRequest { .. })),
        1,
        "{evs:?}"
    );
    assert_eq!(lk.model.held_frames(), 8);
    // A list: the held frames are placed, in order, before anything else.
    cmd(
        &mut lk,
        &rcvlist(3, h, vec![list(12, APP + 0x1000, 8 * 700)]),
    )?;
    let evs = lk.check("released", 3000)?;
    assert!(
        matches!(&evs[..], [Event::RcvDone { done, .. }] if done.bytes == 8 * 700),
        "{evs:?}"
    );
    assert_eq!(lk.model.held_frames(), 0);
    // Wait again (the dropped frames' bytes are not placed: the peer sends them again)
    // and hold three, then FLUSH: they go to the ring as misses.
    let mut s = lk
        .model
        .engine()
        .conn(h)
        .map_or(0, |c| c.tcp.rcv_nxt as u32);
    for _ in 0..4 {
        lk.frame(peer_frame(&k, s, Some(1), 0, &payload(s, 500)), false);
        s = s.wrapping_add(500);
    }
    lk.check("held again", 3000)?;
    assert_eq!(lk.model.held_frames(), 3);
    let flush = Command::Flush {
        tag: 4,
        conns: vec![ConnRef {
            kind: Kind::Tcp,
            handle: h,
            host_ctx: HOST_CTX,
        }],
    };
    cmd(&mut lk, &flush.encode())?;
    let evs = lk.check("flushed", 3000)?;
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, Event::RxFrame { status, .. } if status.lookup == 1))
            .count(),
        3,
        "{evs:?}"
    );
    Ok(())
}

/// The impaired stream with the RTL and the model in lockstep: after every frame,
/// command and stretch of delayed-ACK time, responses, events, ACK frames and host
/// memory are compared (`TOE_LOCK_MB=N` MB, default 2).
#[test]
fn impaired_stream_rtl_and_model_in_lockstep() -> Result<()> {
    let bytes = std::env::var("TOE_LOCK_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(2)
        << 20;
    let sc = testbenches::rcv_e2e::StreamConfig {
        bytes,
        seed: 0x5EED_0008,
        flush: 0.02,
        ..Default::default()
    };
    let (out, _) = testbenches::rx::test_paths("rcv_fast_lock_stream");
    let r = testbenches::rcv_e2e::run_lockstep(&cfg(), &out, &sc)?;
    println!("{r:?}");
    ensure!(r.flushes > 0 && r.frames_lost > 5, "{r:?}");
    ensure!(r.engine.ooo_segs > 5 && r.engine.acks > 300, "{r:?}");
    Ok(())
}
