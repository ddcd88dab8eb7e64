//! Receive fast path model, case by case: each rule of `host_model::rcv` with the
//! expected bytes in host memory, events and ACK frames worked out by hand. Frames are
//! built by etherparse, their records by the reference parser, ACK frames are checked
//! by etherparse.

use host_model::Resolved;
use host_model::proto::{
    CmdStatus, Command, ConnRef, EntryStatus, Event, FlowKey, FlushItem, Kind, RX_BUF_BYTES,
    RcvDone, RcvList, SgEntry, UploadReason, WinUpdate,
};
use host_model::rcv::{RcvModel, RegionMemory};
use testbenches::rcv_e2e::{OUR_ISS, PEER_ISN, RCV_WSCALE, ack_fields, hand_out, stream_byte};
use testbenches::reference::reference;
use testbenches::scenario::peer_frame;

const RING: u64 = 0x1000_0000;
const APP: u64 = 0x4000_0000;
const BASE: u32 = PEER_ISN.wrapping_add(1);
const SEED: u64 = 3;
const PSH: u16 = 8;

struct Fx {
    eng: RcvModel,
    mem: RegionMemory,
    key: FlowKey,
    h: u16,
    min: u32,
}

fn fx_with(cfg: &Resolved, rcv_wnd: u32) -> Fx {
    let mut mem = RegionMemory::new();
    mem.add(RING, 16 * RX_BUF_BYTES);
    mem.add(APP, 1 << 20);
    let mut eng = RcvModel::new(cfg);
    let key = FlowKey {
        local_ip: 0x0a00_0001,
        remote_ip: 0x0a00_1001,
        local_port: 80,
        remote_port: 40000,
        ..FlowKey::default()
    };
    let h = hand_out(&mut eng, &mut mem, &key, 7, BASE, rcv_wnd).unwrap();
    let mut f = Fx {
        eng,
        mem,
        key,
        h,
        min: cfg.config.rx.min_frame_len,
    };
    let addrs = (0..8).map(|i| RING + i * RX_BUF_BYTES as u64).collect();
    f.cmd(Command::RxBuf { tag: 1, addrs });
    f
}

fn fx() -> Fx {
    fx_with(&Resolved::default_config(), 65535)
}

impl Fx {
    fn cmd(&mut self, c: Command) -> Event {
        let w = self.eng.command_event(&c.encode(), &mut self.mem).encode();
        Event::decode(&w).unwrap()
    }

    fn raw(&mut self, w: &[u64]) -> Event {
        Event::decode(&self.eng.command_event(w, &mut self.mem).encode()).unwrap()
    }

    fn list(&mut self, tag: u32, sg: &[(u64, u32)]) -> Event {
        let (handle, host_ctx) = (self.h, 7);
        self.cmd(Command::RcvList {
            tag,
            lists: vec![RcvList {
                handle,
                host_ctx,
                list_tag: tag,
                sg: sg
                    .iter()
                    .map(|&(addr, len)| SgEntry { addr, len })
                    .collect(),
            }],
        })
    }

    /// Stream bytes `[off, off + len)` as one segment.
    fn seg(&mut self, off: u32, len: u32, flags: u16) {
        let payload: Vec<u8> = (off..off + len)
            .map(|i| stream_byte(SEED, i as u64))
            .collect();
        let f = peer_frame(
            &self.key,
            BASE.wrapping_add(off),
            Some(OUR_ISS.wrapping_add(1)),
            flags,
            &payload,
        );
        let rec = reference(&f, false, self.min).encode();
        self.eng.engine_mut().lookup(&rec);
        for d in self.eng.engine_mut().take_delivered() {
            assert_eq!(d.record, rec);
            self.eng.deliver(&d, &f, &mut self.mem);
        }
    }

    /// ACK frames sent since the last call: (ACK number relative to the stream,
    /// window in bytes), each checked by etherparse.
    fn acks(&mut self) -> Vec<(u32, u32)> {
        self.eng
            .take_acks()
            .iter()
            .map(|a| {
                let (ack, wnd) = ack_fields(a, &self.key).unwrap();
                (ack.wrapping_sub(BASE), wnd)
            })
            .collect()
    }

    /// FLUSH the connection; its DELEGATED state.
    fn flush(&mut self) -> host_model::proto::Tcp {
        let h = self.h;
        let ev = self.cmd(Command::Flush {
            tag: 2,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle: h,
                host_ctx: 7,
            }],
        });
        let Event::Flushed { items, .. } = &ev else {
            panic!("{ev:?}")
        };
        let FlushItem::Conn { tcp: Some(t), .. } = items[0] else {
            panic!("{ev:?}")
        };
        t
    }

    fn events(&mut self) -> Vec<Event> {
        self.eng.take_events()
    }

    fn rcv_nxt(&self) -> u32 {
        (self.eng.engine().conn(self.h).unwrap().tcp.rcv_nxt as u32).wrapping_sub(BASE)
    }

    /// Memory holds stream bytes `[off, off + len)` at `addr`.
    fn holds(&self, addr: u64, off: u32, len: u32) -> bool {
        let want: Vec<u8> = (off..off + len)
            .map(|i| stream_byte(SEED, i as u64))
            .collect();
        self.mem.read(addr, len as usize) == Some(&want[..])
    }
}

fn done(ev: &Event) -> (RcvDone, CmdStatus) {
    match ev {
        Event::RcvDone { done, trailer } => (*done, trailer.status),
        e => panic!("expected RCV_DONE, got {e:?}"),
    }
}

#[test]
fn in_order_fills_scatter_gather_entries_and_acks_every_second_segment() {
    let mut f = fx();
    // Two entries, 1000 + 2000 bytes, apart.
    let ev = f.list(11, &[(APP, 1000), (APP + 0x10000, 2000)]);
    assert_eq!(ev.trailer().status, CmdStatus::Ok);
    f.seg(0, 1460, 0);
    assert!(f.acks().is_empty(), "one segment: no ACK yet");
    f.seg(1460, 1460, 0);
    // Placed bytes are consumed at once: the window stays 65535 (511 << 7).
    assert_eq!(f.acks(), vec![(2920, 511 << RCV_WSCALE)]);
    assert!(f.holds(APP, 0, 1000) && f.holds(APP + 0x10000, 1000, 1920));
    // 80 bytes fill the list, the other 1380 are indicated (no list left).
    f.seg(2920, 1460, 0);
    let evs = f.events();
    assert_eq!(evs.len(), 2, "{evs:?}");
    let (d, st) = done(&evs[0]);
    assert_eq!(st, CmdStatus::Ok);
    assert_eq!(
        (d.list_tag, d.bytes, d.short, d.push, d.flushed),
        (11, 3000, false, false, false)
    );
    assert!(f.holds(APP + 0x10000 + 1920, 2920, 80));
    let Event::FrameData { addr, status, .. } = &evs[1] else {
        panic!("expected FRAME_DATA, got {:?}", evs[1]);
    };
    assert_eq!(*addr, RING);
    assert_eq!(status.frame_len as usize, 54 + 1460);
    assert_eq!(f.rcv_nxt(), 4380);
    let s = f.eng.stats();
    assert_eq!((s.placed_segs, s.placed_bytes), (3, 3000));
    assert_eq!((s.indicated, s.indicated_bytes), (1, 1380));
}

#[test]
fn out_of_order_segment_is_placed_after_a_hole_and_the_fill_acks_at_once() {
    let mut f = fx();
    f.list(1, &[(APP, 10000)]);
    f.seg(1460, 1460, 0);
    assert_eq!(
        f.acks(),
        vec![(0, 65535 >> RCV_WSCALE << RCV_WSCALE)],
        "duplicate ACK"
    );
    assert!(f.holds(APP + 1460, 1460, 1460), "placed after the hole");
    assert_eq!(f.rcv_nxt(), 0);
    // The range grows with the next segment; one that does not continue it is dropped.
    f.seg(2920, 1460, 0);
    f.seg(5840, 1460, 0);
    assert_eq!(f.acks().len(), 2);
    let s = f.eng.stats();
    assert_eq!((s.ooo_segs, s.ooo_drops), (2, 1));
    // The hole is filled: RCV.NXT jumps past the range, ACK at once.
    f.seg(0, 1460, 0);
    assert_eq!(f.rcv_nxt(), 4380);
    let a = f.acks();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].0, 4380);
    assert!(f.holds(APP, 0, 4380));
    // PSH completes the list short.
    f.seg(4380, 1000, PSH);
    let evs = f.events();
    let (d, _) = done(&evs[0]);
    assert_eq!((d.bytes, d.short, d.push), (5380, true, true));
}

#[test]
fn duplicates_and_data_beyond_the_window_are_dropped_and_acknowledged() {
    let mut f = fx_with(&Resolved::default_config(), 4000);
    f.list(1, &[(APP, 3000)]);
    f.seg(0, 1000, 0);
    f.seg(1000, 1000, 0);
    assert_eq!(f.acks().len(), 1);
    // All old.
    f.seg(0, 1000, 0);
    assert_eq!(f.acks().len(), 1);
    // Partly old: the new part is placed.
    f.seg(1500, 1000, 0);
    assert_eq!(f.rcv_nxt(), 2500);
    assert!(f.holds(APP, 0, 2500));
    // R = 0 + 4000 + 2500 placed = 6500: a segment ending past it is dropped.
    f.seg(5600, 1000, 0);
    let s = f.eng.stats();
    assert_eq!((s.dup_segs, s.out_of_window, s.ooo_segs), (1, 1, 0));
    assert_eq!(f.rcv_nxt(), 2500);
}

#[test]
fn delayed_ack_fires_after_its_time() {
    let cfg = Resolved::default_config();
    let mut f = fx_with(&cfg, 65535);
    f.list(1, &[(APP, 100000)]);
    f.eng.tick(1000);
    f.seg(0, 500, 0);
    f.eng.tick(1000 + cfg.delack_cycles - 1);
    assert!(f.acks().is_empty());
    f.eng.tick(1000 + cfg.delack_cycles);
    assert_eq!(f.acks().len(), 1);
}

#[test]
fn with_no_list_the_first_frame_is_indicated_later_ones_held_until_a_list_comes() {
    let mut f = fx();
    f.seg(0, 1000, 0);
    let evs = f.events();
    assert!(matches!(evs[..], [Event::FrameData { .. }]), "{evs:?}");
    f.seg(1000, 1000, 0);
    f.seg(2000, 1000, 0);
    assert!(f.events().is_empty(), "held");
    assert_eq!(f.eng.held_frames(), 2);
    assert_eq!(f.rcv_nxt(), 1000, "held data is not accepted");
    f.list(1, &[(APP, 2000)]);
    assert_eq!(f.eng.held_frames(), 0);
    assert_eq!(f.rcv_nxt(), 3000);
    assert!(f.holds(APP, 1000, 2000));
    let evs = f.events();
    let (d, _) = done(&evs[0]);
    assert_eq!((d.bytes, d.short), (2000, false));
    // Waiting again (the list is full): the store fills, then NO_BUFFER.
    f.seg(3000, 100, 0);
    assert!(matches!(f.events()[..], [Event::FrameData { .. }]));
    let cap = Resolved::default_config().config.rcv.hold_frames;
    for i in 0..=cap {
        f.seg(3100 + i * 100, 100, 0);
    }
    let evs = f.events();
    assert_eq!(
        evs,
        vec![Event::UploadRequest {
            handle: f.h,
            host_ctx: 7,
            reason: UploadReason::NoBuffer
        }]
    );
    assert_eq!(f.eng.stats().hold_drops, 1);
    // FLUSH: the held frames go to the ring as misses, RCV.NXT excludes them.
    let addrs = (8..10).map(|i| RING + i * RX_BUF_BYTES as u64).collect();
    f.cmd(Command::RxBuf { tag: 1, addrs });
    let t = f.flush();
    assert_eq!((t.rcv_nxt as u32).wrapping_sub(BASE), 3100);
    let evs = f.events();
    assert_eq!(evs.len(), cap as usize, "{evs:?}");
    for e in &evs {
        let Event::RxFrame { status, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(status.lookup, 1, "miss");
    }
}

#[test]
fn window_update_reopens_the_window_with_an_ack() {
    let mut f = fx_with(&Resolved::default_config(), 2000);
    f.seg(0, 1460, 0);
    assert!(matches!(f.events()[..], [Event::FrameData { .. }]));
    assert!(f.acks().is_empty());
    let h = f.h;
    let ev = f.cmd(Command::WinUpdate {
        tag: 3,
        updates: vec![
            WinUpdate {
                handle: h,
                host_ctx: 7,
                bytes: 1460,
            },
            WinUpdate {
                handle: h,
                host_ctx: 8,
                bytes: 1,
            },
        ],
    });
    let Event::WinUpdated {
        results, trailer, ..
    } = &ev
    else {
        panic!("{ev:?}")
    };
    assert_eq!(trailer.status, CmdStatus::Ok);
    assert_eq!(
        results.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![EntryStatus::Ok, EntryStatus::UnknownHandle]
    );
    // 540 < MSS before, 2000 now: ACK at once; 2000 >> 7 = 15 (1920 bytes).
    assert_eq!(f.acks(), vec![(1460, 15 << RCV_WSCALE)]);
}

#[test]
fn malformed_receive_lists_are_refused_and_earlier_entries_stay() {
    let mut f = fx();
    let h = f.h as u64;
    let hdr = |count: u64| 0x09 | count << 16 | 5 << 32;
    let entry = 3 | h << 16 | 7 << 32;
    let good = [entry, 1 | 1 << 32, APP, 100];
    let bad_cases: [(&[u64], CmdStatus); 5] = [
        (&[entry, 1], CmdStatus::BadEntry), // no SG entries
        (&[entry, 1 | 1 << 32, APP, 0], CmdStatus::BadEntry), // zero length
        (
            &[entry, 1 | 1 << 32, u64::MAX - 10, 100],
            CmdStatus::BadEntry,
        ), // wraps
        (&[entry, 1 | 1 << 32, APP, 1 << 40], CmdStatus::BadEntry), // reserved bits
        (&[entry, 1 | 2 << 32, APP, 100], CmdStatus::Truncated), // 2 announced, 1 given
    ];
    for (body, want) in bad_cases {
        let mut w = vec![hdr(2)];
        w.extend(good);
        w.extend(body);
        let ev = f.raw(&w);
        let Event::RcvListPosted {
            results, trailer, ..
        } = &ev
        else {
            panic!("{ev:?}")
        };
        assert_eq!((trailer.status, trailer.consumed), (want, 1), "{w:x?}");
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].status, EntryStatus::Ok);
    }
    // Five good lists were posted, 100 bytes each: the stream fills them in order.
    f.seg(0, 500, 0);
    let evs = f.events();
    assert_eq!(evs.len(), 5);
    // Unknown handle, too many entries for the connection.
    let ev = f.raw(&[hdr(1), 3 | (h + 1) << 16 | 7 << 32, 1 | 1 << 32, APP, 100]);
    let Event::RcvListPosted { results, .. } = &ev else {
        panic!("{ev:?}")
    };
    assert_eq!(results[0].status, EntryStatus::UnknownHandle);
    let n = Resolved::default_config().config.rcv.sg_entries as u64 + 1;
    let mut w = vec![hdr(1), entry, 1 | n << 32];
    for i in 0..n {
        w.extend([APP + i * 100, 100]);
    }
    let ev = f.raw(&w);
    let Event::RcvListPosted { results, .. } = &ev else {
        panic!("{ev:?}")
    };
    assert_eq!(results[0].status, EntryStatus::NoResources);
    // Bad header, reserved opcodes.
    assert!(matches!(
        f.raw(&[0x09 | 1 << 8]),
        Event::Error { trailer, .. } if trailer.status == CmdStatus::BadHeader
    ));
    assert!(matches!(
        f.raw(&[0x0C]),
        Event::Error { trailer, .. } if trailer.status == CmdStatus::BadOpcode
    ));
    assert!(f.eng.engine().stats().command_errors >= 7);
}

#[test]
fn a_list_outside_host_memory_completes_with_dma_error_and_asks_for_an_upload() {
    let mut f = fx();
    f.list(9, &[(0xdead_0000_0000, 4000)]);
    f.seg(0, 1000, PSH);
    let evs = f.events();
    assert_eq!(evs.len(), 2, "{evs:?}");
    assert_eq!(
        evs[0],
        Event::UploadRequest {
            handle: f.h,
            host_ctx: 7,
            reason: UploadReason::DmaError
        }
    );
    let (d, st) = done(&evs[1]);
    assert_eq!((d.list_tag, d.bytes, st), (9, 1000, CmdStatus::DmaError));
    assert_eq!(f.eng.stats().dma_errors, 1);
}

#[test]
fn flush_returns_the_residual_of_every_list() {
    let mut f = fx();
    f.list(1, &[(APP, 5000)]);
    f.list(2, &[(APP + 8000, 5000)]);
    f.seg(0, 1460, 0);
    f.seg(1460, 1460, 0);
    f.seg(4380, 1460, 0); // out of order: not acknowledged, not returned
    f.acks();
    let t = f.flush();
    assert_eq!((t.rcv_nxt as u32).wrapping_sub(BASE), 2920);
    // The window: 65535 at handout, +2920 placed; posted space 10000 - 2920 is less.
    assert_eq!(t.rcv_wnd, 65535);
    let evs = f.events();
    let got: Vec<_> = evs.iter().map(|e| done(e).0).collect();
    assert_eq!(
        got.iter()
            .map(|d| (d.list_tag, d.bytes, d.short, d.flushed))
            .collect::<Vec<_>>(),
        vec![(1, 2920, true, true), (2, 0, true, true)]
    );
    assert!(!f.eng.has_conn(f.h));
}

/// Random commands, frames and clock ticks: nothing panics, every message encodes and
/// decodes, RCV.NXT never moves back within a handout, the right edge (ACK + window)
/// never moves left, no completion claims more than its list holds, and a FLUSH always
/// returns every list posted.
#[test]
fn fuzz_random_commands_and_segments() {
    use rand::{RngExt, SeedableRng};
    let cfg = Resolved::default_config();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
    let mut total = host_model::rcv::RcvStats::default();
    for round in 0..40 {
        let mut f = fx_with(&cfg, rng.random_range(0..200_000));
        let mut posted: Vec<(u32, u64)> = vec![];
        let mut last_nxt = 0u32;
        let mut last_edge: Option<u32> = None;
        let mut now = 0;
        for step in 0..400 {
            let h = f.h;
            match rng.random_range(0..10) {
                0 => {
                    let tag = step;
                    let n = rng.random_range(1..6);
                    let sg: Vec<(u64, u32)> = (0..n)
                        .map(|_| {
                            let addr = if rng.random_bool(0.05) {
                                rng.random::<u64>() >> 1 // mostly outside memory
                            } else {
                                APP + rng.random_range(0..900_000u64)
                            };
                            (addr, rng.random_range(1..20_000))
                        })
                        .collect();
                    if let Event::RcvListPosted { results, .. } = f.list(tag, &sg)
                        && results[0].status == EntryStatus::Ok
                    {
                        posted.push((tag, sg.iter().map(|x| x.1 as u64).sum()));
                    }
                }
                1 => {
                    let bytes = rng.random();
                    f.cmd(Command::WinUpdate {
                        tag: 1,
                        updates: vec![WinUpdate {
                            handle: h,
                            host_ctx: 7,
                            bytes,
                        }],
                    });
                }
                2 => {
                    // Random words as a data-path command.
                    let mut w: Vec<u64> =
                        (0..rng.random_range(1..12)).map(|_| rng.random()).collect();
                    w[0] = (w[0] & !0xFF) | rng.random_range(0x08..0x10);
                    if rng.random_bool(0.5) {
                        w[0] &= !0xFF00;
                    }
                    let ev = f.raw(&w);
                    assert_eq!(Event::decode(&ev.encode()), Ok(ev));
                }
                3 => {
                    now += rng.random_range(0..20_000);
                    f.eng.tick(now);
                }
                _ => {
                    let off = match rng.random_range(0..10) {
                        0..4 => last_nxt,
                        4..7 => last_nxt
                            .wrapping_add(rng.random_range(0..6000u32))
                            .wrapping_sub(3000),
                        _ => last_nxt
                            .wrapping_add(rng.random_range(0..100_000u32))
                            .wrapping_sub(30_000),
                    };
                    let len = rng.random_range(0..1461);
                    let flags = [0, 0, 0, 8, 8, 1, 2, 4, 0x20][rng.random_range(0..9)];
                    f.seg(off, len, flags);
                }
            }
            for ev in f.events() {
                assert_eq!(Event::decode(&ev.encode()), Ok(ev.clone()));
                if let Event::RcvDone { done, .. } = ev {
                    let i = posted
                        .iter()
                        .position(|p| p.0 == done.list_tag)
                        .expect("completion of a posted list");
                    assert!(done.bytes as u64 <= posted[i].1, "{done:?}");
                    posted.remove(i);
                }
            }
            for (ack, wnd) in f.acks() {
                let edge = ack.wrapping_add(wnd);
                if let Some(e) = last_edge {
                    assert!(
                        (edge.wrapping_sub(e) as i32) >= -(1 << RCV_WSCALE),
                        "round {round} step {step}: right edge moved left"
                    );
                }
                last_edge = Some(edge);
            }
            if !f.eng.has_conn(h) {
                break; // uploaded by a CLOSE of random words
            }
            let nxt = f.rcv_nxt();
            assert!(
                (nxt.wrapping_sub(last_nxt) as i32) >= 0,
                "RCV.NXT went back"
            );
            last_nxt = nxt;
        }
        if f.eng.has_conn(f.h) {
            f.flush();
            for ev in f.events() {
                if let Event::RcvDone { done, .. } = ev {
                    assert!(done.flushed);
                    posted.retain(|p| p.0 != done.list_tag);
                }
            }
            assert!(posted.is_empty(), "lists not returned: {posted:?}");
        }
        let s = f.eng.stats();
        total.placed_segs += s.placed_segs;
        total.ooo_segs += s.ooo_segs;
        total.indicated += s.indicated;
        total.held += s.held;
        total.lists_done += s.lists_done;
        total.dma_errors += s.dma_errors;
        total.dup_segs += s.dup_segs;
        total.out_of_window += s.out_of_window;
    }
    println!("{total:?}");
    // The run reached every rule.
    for (what, n) in [
        ("placed", total.placed_segs),
        ("out of order", total.ooo_segs),
        ("indicated", total.indicated),
        ("held", total.held),
        ("lists done", total.lists_done),
        ("DMA errors", total.dma_errors),
        ("duplicates", total.dup_segs),
        ("out of window", total.out_of_window),
    ] {
        assert!(n > 0, "no {what}");
    }
}
