//! The receive fast path RTL on a random stream, in lockstep with its golden model
//! ([`crate::rx_lock::RxLock`]): lists of random shapes, in-order segments (trimmed
//! heads, PSH), old, past-window and empty segments, and segments that overflow the
//! lists into FRAME_DATA (with and without a ring buffer). Every response, event and
//! byte of host memory is compared after each round. What the RTL does not build yet is
//! kept out of the stream: out-of-order segments, frames while a connection waits for a
//! list, ACK-dependent state. `RCV_TRACE=1` prints every list, frame, model write and
//! event.

use crate::rcv_e2e::hand_out_via;
use crate::rx_lock::RxLock;
use crate::rx_sim::RxSim;
use crate::scenario::peer_frame;
use anyhow::{Result, bail, ensure};
use host_model::Resolved;
use host_model::proto::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::Path;

/// Host memory: ring buffers at [`RING`], application buffers from [`APP`].
pub const MEM: usize = 4 << 20;
pub const RING: u64 = 0;
/// Ring buffers posted at the start (fewer than the indications: some find none).
pub const RING_BUFS: u64 = 24;
pub const APP: u64 = 1 << 20;
/// The peer's first sequence number: the stream crosses the 2^32 wrap early.
pub const BASE: u32 = 0xFFFF_8000;
pub const HOST_CTX: u32 = 7;

/// The configuration the lockstep runs use: `cfg` as it is (kept as the one place to
/// change it).
pub fn lockstep_config(cfg: &Resolved) -> Result<Resolved> {
    Ok(cfg.config.clone().resolve()?)
}

/// The flow of the runs.
pub fn key() -> FlowKey {
    FlowKey {
        ipv6: false,
        vlan_present: false,
        vlan_id: 0,
        local_ip: 0x0a00_0001,
        remote_ip: 0x0a00_1001,
        local_port: 80,
        remote_port: 40000,
    }
}

/// A command after the frames sent before it have gone through.
pub fn cmd(lk: &mut RxLock, words: &[u64]) -> Result<Event> {
    lk.sim.drain(2000)?;
    lk.command(words)
}

/// A receive list of 1..=4 entries of 1..=`max` bytes at `*cursor` (moved past it, with
/// random gaps and alignment; wraps inside the application region).
pub fn random_list(rng: &mut ChaCha8Rng, cursor: &mut u64, tag: u32, max: u32) -> RcvList {
    let n = rng.random_range(1..=4);
    let sg = (0..n)
        .map(|_| {
            let len = rng.random_range(1..=max);
            if *cursor + len as u64 + 64 > MEM as u64 {
                *cursor = APP;
            }
            let addr = *cursor + rng.random_range(0..8u64);
            *cursor = addr + len as u64 + rng.random_range(0..32u64);
            SgEntry { addr, len }
        })
        .collect();
    RcvList {
        handle: 0,
        host_ctx: HOST_CTX,
        list_tag: tag,
        sg,
    }
}

/// RCVLIST of `lists` for `handle`.
pub fn rcvlist(tag: u32, handle: u16, lists: Vec<RcvList>) -> Vec<u64> {
    let lists = lists.into_iter().map(|l| RcvList { handle, ..l }).collect();
    Command::RcvList { tag, lists }.encode()
}

/// Payload bytes derived from their sequence number: a misplaced byte shows.
pub fn payload(seq: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let q = seq.wrapping_add(i as u32);
            (q as u8) ^ ((q >> 8) as u8).rotate_left(3) ^ ((q >> 16) as u8)
        })
        .collect()
}

/// What a run did (all of it identical on the RTL and the model).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LockstepReport {
    pub rounds: usize,
    pub seed: u64,
    pub in_order_segments: u64,
    pub push_segments: u64,
    pub old_segments: u64,
    pub past_window_segments: u64,
    pub empty_segments: u64,
    /// Segments sent past RCV.NXT (out of order), and those the model placed.
    pub ooo_segments: u64,
    pub ooo_placed: u64,
    /// Segments sent while the connection may be waiting for a list, and those the
    /// model held.
    pub held_segments: u64,
    pub held: u64,
    /// Holes the model saw filled, with a jump over placed bytes.
    pub ooo_jumps: u64,
    pub lists_completed: u64,
    pub frame_data: u64,
    pub no_ring_buffer_drops: u64,
    pub bytes_placed: u64,
    /// ACK frames sent (and compared).
    pub acks: u64,
    pub sim_cycles: u64,
    pub wall_seconds: f64,
}

/// Build the receive engine for `cfg` (RTL under `out`) and run `rounds` rounds.
pub fn run(cfg: &Resolved, out: &Path, rounds: usize, seed: u64) -> Result<LockstepReport> {
    let cfg = lockstep_config(cfg)?;
    let mut lk = RxLock::new(RxSim::build(&cfg, out, None, MEM)?);
    run_on(&mut lk, rounds, seed)
}

/// `rounds` rounds on a freshly reset engine.
pub fn run_on(lk: &mut RxLock, rounds: usize, seed: u64) -> Result<LockstepReport> {
    let t0 = std::time::Instant::now();
    let c0 = lk.sim.cycles();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let k = key();
    let ring: Vec<u64> = (0..RING_BUFS)
        .map(|i| RING + i * RX_BUF_BYTES as u64)
        .collect();
    cmd(
        lk,
        &Command::RxBuf {
            tag: 1,
            addrs: ring,
        }
        .encode(),
    )?;
    let h = hand_out_via(&mut |w: &[u64]| cmd(lk, w), &k, HOST_CTX, BASE, 65535)?;
    let mut nxt = BASE; // the peer's next new byte
    let mut cursor = APP;
    let mut tag = 100u32;
    let mut rep = LockstepReport {
        rounds,
        seed,
        ..Default::default()
    };
    for round in 0..rounds {
        if round % 4 != 3 {
            // Post lists, then send at most their bytes in order (PSH only on the last
            // segment), mixed with duplicates, trimmed retransmissions, segments past
            // the window and empty segments.
            let nl = rng.random_range(1..=2);
            let space_before = lk.model.posted_space(h).unwrap_or(0);
            let lists: Vec<RcvList> = (0..nl)
                .map(|_| {
                    tag += 1;
                    random_list(&mut rng, &mut cursor, tag, 2500)
                })
                .collect();
            let budget: u64 = lists.iter().map(|l| l.len()).sum();
            if std::env::var("RCV_TRACE").is_ok() {
                for l in &lists {
                    eprintln!(
                        "  list {}: {:?}",
                        l.list_tag,
                        l.sg.iter().map(|e| (e.addr, e.len)).collect::<Vec<_>>()
                    );
                }
            }
            let ev = cmd(lk, &rcvlist(tag, h, lists))?;
            ensure!(
                matches!(ev, Event::RcvListPosted { .. }),
                "RCVLIST answered {ev:?}"
            );
            // In order: at most what the lists hold (no FRAME_DATA here); out of order
            // inside or past the lists, starting or extending a range.
            let _ = (budget, space_before);
            let nseg = rng.random_range(2..=8);
            let mut oend: Option<u32> = None;
            for i in 0..nseg {
                // The stream position follows the model's RCV.NXT (a filled hole
                // moves it past the range).
                let mnxt = lk
                    .model
                    .engine()
                    .conn(h)
                    .map_or(nxt, |c| c.tcp.rcv_nxt as u32);
                if (mnxt.wrapping_sub(nxt) as i32) > 0 {
                    nxt = mnxt;
                }
                if oend.is_some_and(|e| (nxt.wrapping_sub(e) as i32) >= 0) {
                    oend = None;
                }
                let left = lk.model.posted_space(h).unwrap_or(0);
                match rng.random_range(0..10) {
                    0 if nxt != BASE => {
                        // All old.
                        let back = rng.random_range(1..=600u32).min(nxt.wrapping_sub(BASE));
                        let s = nxt.wrapping_sub(back);
                        let len = rng.random_range(1..=back) as usize;
                        lk.frame(peer_frame(&k, s, Some(1), 0, &payload(s, len)), false);
                        rep.old_segments += 1;
                    }
                    1 => {
                        // Past the window.
                        let s = nxt.wrapping_add(0x4000_0000);
                        lk.frame(peer_frame(&k, s, Some(1), 0, &payload(s, 100)), false);
                        rep.past_window_segments += 1;
                    }
                    2 => {
                        // Empty: a pure ACK, or one with an old sequence number.
                        let s = if rng.random_bool(0.5) {
                            nxt
                        } else {
                            nxt.wrapping_sub(5)
                        };
                        lk.frame(peer_frame(&k, s, Some(1), 0, &[]), false);
                        rep.empty_segments += 1;
                    }
                    4 | 5 => {
                        // Out of order: usually inside the lists, sometimes past them.
                        if left < 2 {
                            continue;
                        }
                        let s = match oend {
                            Some(e) if rng.random_bool(0.5) => e,
                            _ => {
                                nxt.wrapping_add(rng.random_range(1..=(left - 1).min(3000) as u32))
                            }
                        };
                        let gap = s.wrapping_sub(nxt) as u64;
                        if gap >= left {
                            continue;
                        }
                        let len = if rng.random_bool(0.1) {
                            rng.random_range(1..=1460usize)
                        } else {
                            rng.random_range(1..=(left - gap).min(1460)) as usize
                        };
                        let before = lk.model.stats().ooo_segs;
                        lk.frame(peer_frame(&k, s, Some(1), 0, &payload(s, len)), false);
                        rep.ooo_segments += 1;
                        if lk.model.stats().ooo_segs > before {
                            rep.ooo_placed += 1;
                            oend = Some(s.wrapping_add(len as u32));
                        }
                    }
                    r => {
                        if left == 0 {
                            continue;
                        }
                        // In order, possibly starting before RCV.NXT (trimmed head).
                        let back = if r == 3 && nxt != BASE {
                            rng.random_range(1..=100u32).min(nxt.wrapping_sub(BASE))
                        } else {
                            0
                        };
                        let new = rng.random_range(1..=1460u64).min(left) as u32;
                        let s = nxt.wrapping_sub(back);
                        let psh = i == nseg - 1 && rng.random_bool(0.5);
                        let data = payload(s, (back + new) as usize);
                        lk.frame(
                            peer_frame(&k, s, Some(1), if psh { 8 } else { 0 }, &data),
                            false,
                        );
                        nxt = nxt.wrapping_add(new);
                        rep.in_order_segments += 1;
                        if psh {
                            rep.push_segments += 1;
                            break;
                        }
                    }
                }
            }
        } else {
            // No list posted: in-order segments into what is left of the lists, then one
            // that does not fit: its rest is indicated (FRAME_DATA), or dropped when no
            // ring buffer is left.
            loop {
                let space = lk.model.posted_space(h).unwrap_or(0) as usize;
                let len = if space >= 1460 {
                    1460
                } else {
                    rng.random_range(space + 1..=1460)
                };
                let data = payload(nxt, len);
                lk.frame(peer_frame(&k, nxt, Some(1), 0, &data), false);
                nxt = nxt.wrapping_add(len as u32);
                rep.in_order_segments += 1;
                if space < 1460 {
                    break;
                }
            }
            // Then more in order: held while the connection waits for a list (or
            // dropped with the store full), released when the next round posts lists.
            let mut s = lk
                .model
                .engine()
                .conn(h)
                .map_or(nxt, |c| c.tcp.rcv_nxt as u32);
            for _ in 0..rng.random_range(0..=12) {
                let len = rng.random_range(1..=1460usize);
                lk.frame(peer_frame(&k, s, Some(1), 0, &payload(s, len)), false);
                s = s.wrapping_add(len as u32);
                rep.held_segments += 1;
            }
        }
        if std::env::var("RCV_TRACE").is_ok() {
            eprintln!(
                "round {round}: model rcv_nxt {:#x} (test nxt {:#x})",
                lk.model
                    .engine()
                    .conn(h)
                    .map(|c| c.tcp.rcv_nxt)
                    .unwrap_or(0),
                nxt
            );
        }
        if round % 3 == 2 {
            // Delayed-ACK time passes: some deadlines come due, some not.
            let delack = lk.sim.config().delack_cycles;
            lk.advance(rng.random_range(1..=2 * delack))?;
        }
        let evs = lk.check(&format!("round {round}"), 2000)?;
        if std::env::var("RCV_TRACE").is_ok() {
            for e in &evs {
                eprintln!("  {e:?}");
            }
        }
        for e in &evs {
            match e {
                Event::RcvDone { .. } => rep.lists_completed += 1,
                Event::FrameData { .. } => rep.frame_data += 1,
                _ => {}
            }
        }
        // A segment past the lists was indicated or dropped: the host's stream position
        // follows the model's RCV.NXT (what the engine accepted).
        nxt = lk
            .model
            .engine()
            .conn(h)
            .map(|c| c.tcp.rcv_nxt as u32)
            .unwrap_or(nxt);
    }
    let s = match cmd(lk, &Command::Stats { tag: 2 }.encode())? {
        Event::Stats { stats, .. } => stats,
        e => bail!("STATS answered {e:?}"),
    };
    rep.no_ring_buffer_drops = s.ring_drops;
    rep.bytes_placed = lk.model.stats().placed_bytes;
    rep.acks = lk.acks;
    rep.ooo_jumps = lk.model.stats().ooo_jumps;
    rep.held = lk.model.stats().held;
    rep.sim_cycles = lk.sim.cycles() - c0;
    rep.wall_seconds = t0.elapsed().as_secs_f64();
    Ok(rep)
}
