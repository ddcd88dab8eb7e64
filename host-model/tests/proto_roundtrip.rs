//! Encode/decode round trips of every command and event variant, and fuzzing of the
//! decoders and of the engine model's command processor.

mod common;

use common::*;
use host_model::engine::{ConnState, EngineModel, Lookup};
use host_model::proto::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ENTRY_STATUSES: [EntryStatus; 9] = [
    EntryStatus::Ok,
    EntryStatus::TableFull,
    EntryStatus::NoResources,
    EntryStatus::Duplicate,
    EntryStatus::UnknownHandle,
    EntryStatus::NotPending,
    EntryStatus::ParentRefused,
    EntryStatus::NoParent,
    EntryStatus::InUse,
];
const CMD_STATUSES: [CmdStatus; 8] = [
    CmdStatus::Ok,
    CmdStatus::Truncated,
    CmdStatus::BadEntry,
    CmdStatus::BadOpcode,
    CmdStatus::BadHeader,
    CmdStatus::TrailingWords,
    CmdStatus::RingFull,
    CmdStatus::DmaError,
];
const KINDS: [Kind; 3] = [Kind::Neighbor, Kind::Path, Kind::Tcp];
const REASONS: [UploadReason; 8] = [
    UploadReason::HandoutTimeout,
    UploadReason::Rst,
    UploadReason::Fin,
    UploadReason::Syn,
    UploadReason::Urg,
    UploadReason::DmaError,
    UploadReason::NoBuffer,
    UploadReason::RetransmitTimeout,
];

fn pick<T: Copy>(rng: &mut ChaCha8Rng, xs: &[T]) -> T {
    xs[rng.random_range(0..xs.len())]
}

/// 1..=4 random scatter-gather entries (non-zero lengths, no wrap).
fn rand_sg(rng: &mut ChaCha8Rng) -> Vec<SgEntry> {
    (0..rng.random_range(1..5))
        .map(|_| SgEntry {
            addr: rng.random::<u64>() >> 1,
            len: rng.random_range(1..=u32::MAX),
        })
        .collect()
}

/// A random block; `small` draws handles and contexts from small ranges (for fuzzing
/// against a live engine).
fn rand_block(rng: &mut ChaCha8Rng, small: bool) -> Block {
    let ctx = if small {
        rng.random_range(0..4)
    } else {
        rng.random()
    };
    let h = if small {
        rng.random_range(0..24)
    } else {
        rng.random()
    };
    match rng.random_range(0..5) {
        0 => new_nbr(ctx, rand_neighbor(rng)),
        1 => reuse_nbr(ctx, h),
        2 => new_path(ctx, rand_path(rng)),
        3 => reuse_path(ctx, h),
        _ => {
            let mut t = tcp_only(&rand_tcp(rng), &[Class::Const, Class::Cached]);
            if small {
                t.local_port = rng.random_range(0..4);
                t.remote_port = rng.random_range(0..4);
            }
            tcp_block(ctx, t)
        }
    }
}

fn rand_small_path(rng: &mut ChaCha8Rng) -> Path {
    let mut p = rand_path(rng);
    p.ipv6 = rng.random_range(0..2);
    p.local_ip_hi = 0;
    p.remote_ip_hi = 0;
    p.local_ip_lo = rng.random_range(0..3);
    p.remote_ip_lo = rng.random_range(0..3);
    p
}

fn rand_command(rng: &mut ChaCha8Rng, small: bool) -> Command {
    let tag = rng.random();
    let n = rng.random_range(0..if small { 12 } else { 20 });
    let ctx = |rng: &mut ChaCha8Rng| {
        if small {
            rng.random_range(0..4)
        } else {
            rng.random()
        }
    };
    let h = |rng: &mut ChaCha8Rng| {
        if small {
            rng.random_range(0..24)
        } else {
            rng.random()
        }
    };
    match rng.random_range(0..11) {
        10 => Command::SendList {
            tag,
            lists: (0..n)
                .map(|_| SendList {
                    handle: h(rng),
                    host_ctx: ctx(rng),
                    list_tag: rng.random(),
                    push: rng.random(),
                    sg: rand_sg(rng),
                })
                .collect(),
        },
        8 => Command::RcvList {
            tag,
            lists: (0..n)
                .map(|_| RcvList {
                    handle: h(rng),
                    host_ctx: ctx(rng),
                    list_tag: rng.random(),
                    sg: rand_sg(rng),
                })
                .collect(),
        },
        9 => Command::WinUpdate {
            tag,
            updates: (0..n)
                .map(|_| WinUpdate {
                    handle: h(rng),
                    host_ctx: ctx(rng),
                    bytes: rng.random(),
                })
                .collect(),
        },
        7 => Command::RxBuf {
            tag,
            addrs: (0..n).map(|_| rng.random::<u64>() & !7).collect(),
        },
        0 => Command::Caps { tag },
        1 => Command::Stats { tag },
        2 => Command::Handout1 {
            tag,
            blocks: (0..n)
                .map(|_| {
                    let b = rand_block(rng, small);
                    match b {
                        Block::Path {
                            host_ctx,
                            obj: ObjRef::New(_),
                        } if small => new_path(host_ctx, rand_small_path(rng)),
                        Block::Neighbor {
                            host_ctx,
                            obj: ObjRef::New(mut nb),
                        } if small => {
                            nb.vlan_id = rng.random_range(0..2);
                            nb.vlan_present = rng.random_range(0..2);
                            new_nbr(host_ctx, nb)
                        }
                        b => b,
                    }
                })
                .collect(),
        },
        3 => Command::Handout2 {
            tag,
            entries: (0..n)
                .map(|_| Handout2Entry {
                    handle: h(rng),
                    host_ctx: ctx(rng),
                    tcp: tcp_only(&rand_tcp(rng), &[Class::Delegated]),
                })
                .collect(),
        },
        4 | 5 => {
            let conns = (0..n)
                .map(|_| ConnRef {
                    kind: pick(rng, &KINDS),
                    handle: h(rng),
                    host_ctx: ctx(rng),
                })
                .collect();
            if rng.random_bool(0.5) {
                Command::Flush { tag, conns }
            } else {
                Command::Close { tag, conns }
            }
        }
        _ => {
            let (handle, host_ctx) = (h(rng), ctx(rng));
            let update = match rng.random_range(0..3) {
                0 => CachedUpdate::Neighbor {
                    handle,
                    host_ctx,
                    nbr: nbr_only(&rand_neighbor(rng), &[Class::Cached]),
                },
                1 => CachedUpdate::Path {
                    handle,
                    host_ctx,
                    path: path_only(&rand_path(rng), &[Class::Cached]),
                },
                _ => CachedUpdate::Tcp {
                    handle,
                    host_ctx,
                    tcp: tcp_only(&rand_tcp(rng), &[Class::Cached]),
                },
            };
            Command::Update { tag, update }
        }
    }
}

fn rand_result(rng: &mut ChaCha8Rng) -> ResultEntry {
    ResultEntry {
        kind: pick(rng, &KINDS),
        status: pick(rng, &ENTRY_STATUSES),
        handle: rng.random(),
        host_ctx: rng.random(),
    }
}

fn rand_trailer(rng: &mut ChaCha8Rng) -> Trailer {
    Trailer {
        status: pick(rng, &CMD_STATUSES),
        consumed: rng.random(),
    }
}

fn rand_event(rng: &mut ChaCha8Rng) -> Event {
    let tag = rng.random();
    let trailer = rand_trailer(rng);
    let n = rng.random_range(0..20);
    let results = |rng: &mut ChaCha8Rng| (0..n).map(|_| rand_result(rng)).collect::<Vec<_>>();
    match rng.random_range(0..17) {
        15 => Event::SendListPosted {
            tag,
            results: results(rng),
            trailer,
        },
        16 => Event::SendDone {
            done: SendDone {
                handle: rng.random(),
                host_ctx: rng.random(),
                list_tag: rng.random(),
                acked: rng.random(),
                sent: rng.random(),
                flushed: rng.random(),
            },
            trailer: Trailer {
                status: pick(rng, &CMD_STATUSES),
                consumed: 0,
            },
        },
        11 => Event::RcvListPosted {
            tag,
            results: results(rng),
            trailer,
        },
        12 => Event::WinUpdated {
            tag,
            results: results(rng),
            trailer,
        },
        13 => Event::FrameData {
            addr: rng.random(),
            status: RxStatus::decode(rng.random()),
            trailer: Trailer {
                status: pick(rng, &CMD_STATUSES),
                consumed: 0,
            },
        },
        14 => Event::RcvDone {
            done: RcvDone {
                handle: rng.random(),
                host_ctx: rng.random(),
                list_tag: rng.random(),
                bytes: rng.random(),
                short: rng.random(),
                push: rng.random(),
                flushed: rng.random(),
            },
            trailer: Trailer {
                status: pick(rng, &CMD_STATUSES),
                consumed: 0,
            },
        },
        7 => Event::RxBufPosted { tag, trailer },
        8 => Event::RxFrame {
            addr: rng.random(),
            status: RxStatus::decode(rng.random()),
            trailer: Trailer {
                status: pick(rng, &CMD_STATUSES),
                consumed: 0,
            },
        },
        0 => Event::Caps {
            tag,
            caps: Caps::decode(&[rng.random(), rng.random::<u64>() & 0xFFFF_FFFF_FFFF]),
            trailer,
        },
        1 => Event::Interlock {
            tag,
            results: results(rng),
            trailer,
        },
        2 => Event::HandoutDone {
            tag,
            results: results(rng),
            trailer,
        },
        3 => Event::Updated {
            tag,
            results: results(rng),
            trailer,
        },
        4 => Event::Stats {
            tag,
            stats: Stats::from_words(&words(rng, STAT_NAMES.len())),
            trailer,
        },
        5 => Event::Error { tag, trailer },
        6 => Event::UploadRequest {
            handle: rng.random(),
            host_ctx: rng.random(),
            reason: pick(rng, &REASONS),
        },
        _ => {
            let items = (0..n)
                .map(|_| {
                    let mut r = rand_result(rng);
                    match rng.random_range(0..5) {
                        0 => {
                            r.kind = Kind::Tcp;
                            r.status = EntryStatus::Ok;
                            FlushItem::Conn {
                                result: r,
                                tcp: Some(tcp_only(&rand_tcp(rng), &[Class::Delegated])),
                            }
                        }
                        1 => {
                            r.kind = Kind::Tcp;
                            r.status = pick(rng, &ENTRY_STATUSES[1..]);
                            FlushItem::Conn {
                                result: r,
                                tcp: None,
                            }
                        }
                        2 => {
                            r.kind = Kind::Path;
                            r.status = EntryStatus::Ok;
                            FlushItem::PathFreed {
                                result: r,
                                path: path_only(&rand_path(rng), &[Class::Delegated]),
                            }
                        }
                        3 => {
                            r.kind = Kind::Neighbor;
                            r.status = EntryStatus::Ok;
                            FlushItem::NeighborFreed { result: r }
                        }
                        _ => {
                            r.kind = pick(rng, &KINDS[..2]);
                            r.status = pick(rng, &ENTRY_STATUSES[1..]);
                            FlushItem::NotFreed { result: r }
                        }
                    }
                })
                .collect();
            Event::Flushed {
                tag,
                close: rng.random_bool(0.5),
                items,
                trailer,
            }
        }
    }
}

#[test]
fn every_command_variant_round_trips() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5000 {
        let c = rand_command(&mut rng, false);
        seen.insert(c.opcode());
        let w = c.encode();
        assert_eq!(Command::decode(&w), Ok(c.clone()), "{w:x?}");
        assert_eq!(w[0] >> 32, c.tag() as u64);
    }
    assert_eq!(seen.len(), Opcode::ALL.len());
}

#[test]
fn every_event_variant_round_trips() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5000 {
        let e = rand_event(&mut rng);
        seen.insert(e.event_type());
        let w = e.encode();
        assert_eq!(Event::decode(&w), Ok(e.clone()), "{w:x?}");
    }
    assert_eq!(seen.len(), EventType::ALL.len());
}

#[test]
fn upload_request_layout_and_strict_decoding() {
    let ev = Event::UploadRequest {
        handle: 0x1234,
        host_ctx: 0xdead_beef,
        reason: UploadReason::Fin,
    };
    let w = ev.encode();
    assert_eq!(w, vec![0xC0, 0xdead_beef_1234_0303, 0]);
    assert_eq!(ev.tag(), 0);
    assert_eq!(ev.trailer(), Trailer::ok(0));
    assert_eq!(ev.event_type(), EventType::UploadRequest);
    assert_eq!(Event::decode(&w), Ok(ev));
    for (r, v) in REASONS.iter().zip(1u8..) {
        assert_eq!(*r as u8, v);
        assert_eq!(UploadReason::from_u8(v), Some(*r));
    }
    assert_eq!(UploadReason::from_u8(0), None);
    assert_eq!(UploadReason::from_u8(9), None);
    // Flags: RST, then FIN, SYN, URG; ACK / PSH / ECN bits raise nothing.
    use UploadReason::*;
    for (flags, want) in [
        (0x000, None),
        (0x010, None),
        (0x018, None),
        (0x0C0 | 0x100, None),
        (0x004, Some(Rst)),
        (0x015, Some(Rst)),
        (0x027, Some(Rst)),
        (0x011, Some(Fin)),
        (0x023, Some(Fin)),
        (0x002, Some(Syn)),
        (0x012, Some(Syn)),
        (0x022, Some(Syn)),
        (0x020, Some(Urg)),
        (0x038, Some(Urg)),
    ] {
        assert_eq!(UploadReason::of_tcp_flags(flags), want, "{flags:#x}");
    }
    // Anything but the exact layout is refused.
    let bad = [
        vec![0xC0, 0xdead_beef_1234_0303], // no trailer
        vec![0xC0, 0],                     // no entry
        vec![0xC0, 0xdead_beef_1234_0303, 0xdead_beef_1234_0303, 0], // two entries
        vec![0xC0 | 7 << 32, 0xdead_beef_1234_0303, 0], // a tag
        vec![0xC0 | 1 << 8, 0xdead_beef_1234_0303, 0], // reserved header bits
        vec![0xC0, 0xdead_beef_1234_0303, 1], // trailer not OK
        vec![0xC0, 0xdead_beef_1234_0303, 1 << 16], // trailer consumed != 0
        vec![0xC0, 0xdead_beef_1234_0301, 0], // kind Neighbor
        vec![0xC0, 0xdead_beef_1234_0313, 0], // reserved entry bits
        vec![0xC0, 0xdead_beef_1234_0003, 0], // reason 0
        vec![0xC0, 0xdead_beef_1234_0903, 0], // reason 9
        vec![0xC0, 0xdead_beef_1234_FF03, 0], // reason 255
    ];
    for w in bad {
        assert!(Event::decode(&w).is_err(), "{w:x?}");
    }
}

#[test]
fn every_block_kind_round_trips_and_state_objects_pack() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..2000 {
        let n = rand_neighbor(&mut rng);
        let p = rand_path(&mut rng);
        let t = rand_tcp(&mut rng);
        assert_eq!(Neighbor::from_words(&n.to_words()), n);
        assert_eq!(Path::from_words(&p.to_words()), p);
        assert_eq!(Tcp::from_words(&t.to_words()), t);
        assert_eq!(t.normalized(), t);
        let mut t2 = Tcp::default();
        for c in [Class::Const, Class::Cached, Class::Delegated] {
            t2.set_class_words(c, &t.class_words(c));
        }
        assert_eq!(t2, t);
    }
}

/// Apply a random mutation to a valid message.
fn mutate(rng: &mut ChaCha8Rng, mut w: Vec<u64>) -> Vec<u64> {
    for _ in 0..rng.random_range(1..4) {
        match rng.random_range(0..7) {
            0 if !w.is_empty() => {
                let i = rng.random_range(0..w.len());
                w[i] ^= 1u64 << rng.random_range(0..64);
            }
            1 if !w.is_empty() => {
                let n = rng.random_range(0..w.len());
                w.truncate(n);
            }
            2 => w.push(rng.random()),
            3 if !w.is_empty() => {
                // a new count
                w[0] = (w[0] & !0xFFFF_0000) | (rng.random_range(0..40u64) << 16);
            }
            4 if !w.is_empty() => {
                let i = rng.random_range(0..w.len());
                w.remove(i);
            }
            5 if w.len() > 1 => {
                // a bad kind or reserved bits in some word
                let i = rng.random_range(1..w.len());
                w[i] ^= [0xF, 0x20, 0x10, 0x4000][rng.random_range(0..4)];
            }
            _ => {
                if !w.is_empty() {
                    let i = rng.random_range(0..w.len());
                    w[i] = rng.random();
                }
            }
        }
    }
    w
}

/// Send a message to the engine and check the response's shape.
fn engine_answers(e: &mut EngineModel, w: &[u64]) -> Event {
    let before = e.stats();
    let resp = e.command(w);
    let ev = Event::decode(&resp).unwrap_or_else(|err| panic!("{err}: {w:x?} -> {resp:x?}"));
    let t = ev.trailer();
    match w.first() {
        Some(h) => {
            assert_eq!(ev.tag() as u64, h >> 32, "tag echoed");
            match CommandReader::new(w) {
                // The engine model without the receive path does not take data-path
                // commands (`host_model::rx_path` does).
                Ok(r) if Opcode::is_data_path(r.opcode as u8) => {
                    assert_eq!(ev.event_type(), EventType::Error);
                    assert_eq!(t.status, CmdStatus::BadOpcode);
                }
                Ok(r) => {
                    assert_eq!(ev.event_type(), EventType::response_to(r.opcode));
                    assert!(t.consumed <= r.count);
                }
                Err(_) => {
                    assert_eq!(ev.event_type(), EventType::Error);
                    assert!(matches!(
                        t.status,
                        CmdStatus::BadOpcode | CmdStatus::BadHeader
                    ));
                }
            }
        }
        None => assert_eq!(
            ev,
            Event::Error {
                tag: 0,
                trailer: Trailer {
                    status: CmdStatus::Truncated,
                    consumed: 0
                }
            }
        ),
    }
    // The strict decoder agrees with the engine (with its receive path for data-path
    // commands) on whether the message was well formed.
    let op = w.first().map(|h| *h as u8);
    let ok = if op == Some(Opcode::RcvList as u8)
        || op == Some(Opcode::WinUpdate as u8)
        || op == Some(Opcode::SendList as u8)
    {
        let mut rm = host_model::rcv::RcvModel::new(&host_model::Resolved::default_config());
        let mut mem = host_model::rcv::RegionMemory::new();
        let ev = rm.command_event(w, &mut mem);
        assert!(matches!(
            ev.event_type(),
            EventType::RcvListPosted
                | EventType::WinUpdated
                | EventType::SendListPosted
                | EventType::Error
        ));
        ev.trailer().status == CmdStatus::Ok
    } else if op.is_some_and(Opcode::is_data_path) {
        let mut rp =
            host_model::RxPathModel::new(EngineModel::new(&host_model::Resolved::default_config()));
        rp.command_event(w).trailer().status == CmdStatus::Ok
    } else {
        t.status == CmdStatus::Ok
    };
    assert_eq!(Command::decode(w).is_ok(), ok, "{w:x?} {ev:?}");
    let errs = (t.status != CmdStatus::Ok) as u64;
    assert_eq!(e.stats().command_errors, before.command_errors + errs);
    ev
}

#[test]
fn fuzz_random_words_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    for i in 0..20000 {
        let n = rng.random_range(0..12);
        let mut w = words(&mut rng, n);
        if !w.is_empty() && i % 2 == 0 {
            // a plausible header: valid opcode, small count
            let op = rng.random_range(0..9u64);
            let count = rng.random_range(0..4u64);
            w[0] = (w[0] & !0xFFFF_FFFF) | op | count << 16;
            for x in w.iter_mut().skip(1) {
                if rng.random_bool(0.5) {
                    *x &= !0xFFE0; // entry headers without reserved bits
                }
            }
        }
        let _ = Command::decode(&w);
        let _ = Event::decode(&w);
        let _ = CommandReader::new(&w).map(|mut r| while let Ok(Some(_)) = r.next_block() {});
        engine_answers(&mut e, &w);
    }
    check_invariants(&e, &cfg);
}

#[test]
fn fuzz_mutated_messages_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut upload_requests = 0;
    for _ in 0..20000 {
        let ev = rand_event(&mut rng).encode();
        let ev = mutate(&mut rng, ev);
        // An upload request decodes only from its one exact encoding.
        if let Ok(d @ Event::UploadRequest { .. }) = Event::decode(&ev) {
            upload_requests += 1;
            assert_eq!(d.encode(), ev);
        }
        let c = rand_command(&mut rng, false).encode();
        let c = mutate(&mut rng, c);
        let _ = Command::decode(&c);
    }
    assert!(upload_requests > 0);
}

#[test]
fn fuzz_engine_with_valid_and_mutated_commands() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut ok = 0;
    // Handles whose connection raised an exception request since it was created.
    let mut requested = std::collections::HashSet::new();
    let (mut exceptions, mut timeouts) = (0, 0);
    for i in 0..40000 {
        let c = rand_command(&mut rng, true);
        let w = if rng.random_bool(0.7) {
            c.encode()
        } else {
            mutate(&mut rng, c.encode())
        };
        let ev = engine_answers(&mut e, &w);
        if ev.trailer().status == CmdStatus::Ok {
            ok += 1;
        }
        if i % 500 == 0 {
            check_invariants(&e, &cfg);
        }
        // lookups of small keys (some hit)
        let key = FlowKey {
            ipv6: rng.random_bool(0.5),
            vlan_present: false,
            vlan_id: 0,
            local_ip: rng.random_range(0..3),
            remote_ip: rng.random_range(0..3),
            local_port: rng.random_range(0..4),
            remote_port: rng.random_range(0..4),
        };
        let fl = if rng.random_bool(0.5) {
            rng.random_range(0..0x1000)
        } else {
            0x010
        };
        let l = e.lookup_key_flags(&key, fl);
        // Handout timeouts of random handles (most are not Held).
        let held_now: Vec<u16> = e
            .live_conns()
            .into_iter()
            .filter(|h| e.conn(*h).unwrap().state == ConnState::Held)
            .collect();
        let h = match held_now.len() {
            n if n > 0 && rng.random_bool(0.5) => held_now[rng.random_range(0..n)],
            _ => rng.random_range(0..300u16),
        };
        let held = e.conn(h).map(|c| (c.state, c.host_ctx));
        match rng.random_bool(0.02).then(|| e.expire(h)).flatten() {
            Some(ev) => {
                timeouts += 1;
                let (st, ctx) = held.unwrap();
                assert_eq!(st, ConnState::Held);
                assert_eq!(
                    ev,
                    Event::UploadRequest {
                        handle: h,
                        host_ctx: ctx,
                        reason: UploadReason::HandoutTimeout
                    }
                );
                assert_eq!(e.conn(h).unwrap().state, ConnState::Expired);
            }
            None => assert_eq!(e.conn(h).map(|c| (c.state, c.host_ctx)), held),
        }
        // Requests of freed connections are forgotten; a new one needs a Hit.
        requested.retain(|h| e.conn(*h).is_some());
        let evs = e.take_unsolicited();
        assert!(evs.len() <= 1);
        for ev in evs {
            let Event::UploadRequest {
                handle,
                host_ctx,
                reason,
            } = ev
            else {
                panic!("{ev:?}")
            };
            exceptions += 1;
            assert_eq!(l, Lookup::Hit(handle));
            assert_eq!(UploadReason::of_tcp_flags(fl), Some(reason));
            let c = e.conn(handle).unwrap();
            assert!(c.upload_requested && c.state == ConnState::Offloaded);
            assert_eq!(c.host_ctx, host_ctx);
            assert!(requested.insert(handle), "second request for {handle}");
        }
    }
    check_invariants(&e, &cfg);
    assert!(exceptions > 10 && timeouts > 10, "{exceptions} {timeouts}");
    // Every Held connection expires; nothing else does.
    for h in 0..cfg.config.offload.connections as u16 {
        let before = e.conn(h);
        let ev = e.expire(h);
        assert_eq!(
            ev.is_some(),
            before.is_some_and(|c| c.state == ConnState::Held)
        );
        if ev.is_none() {
            assert_eq!(e.conn(h), before);
        }
    }
    assert_eq!(e.expire(u16::MAX), None);
    check_invariants(&e, &cfg);
    let s = e.stats();
    assert!(ok > 10000, "most commands were valid: {ok}");
    assert!(
        s.handout1 > 100 && s.handout2 > 10 && s.flushes > 10 && s.updates > 10,
        "{s:?}"
    );
    assert!(s.hits > 0 && s.misses > 0, "{s:?}");
}

/// The RX_FRAME status word: fields tile 64 bits in order; encode/decode are inverses;
/// `RxStatus::of` follows the reference metadata.
#[test]
fn rx_status_word_layout_and_meaning() {
    let mut at = 0;
    for (name, off, w) in RX_STATUS_FIELDS {
        assert_eq!(*off, at, "{name}");
        at += w;
    }
    assert_eq!(at, 64);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..1000 {
        let w: u64 = rng.random();
        assert_eq!(RxStatus::decode(w).encode(), w);
    }
    let meta = host_model::RxMeta {
        len: 3000,
        errors: vec!["runt", "l4_checksum"],
        ip_version: Some(6),
        l4: Some(host_model::L4Kind::Tcp),
        payload_offset: Some(74),
        ip_csum_ok: None,
        l4_csum_ok: Some(false),
        ..host_model::RxMeta::decode(&host_model::RawRecord(vec![0; 16]))
    };
    let s = RxStatus::of(&meta, 3, 77);
    assert_eq!(
        (s.frame_len, s.cut, s.lookup, s.conn, s.errors),
        (3000, 1, 3, 77, 0b100_0010)
    );
    assert_eq!((s.ip6, s.ip4, s.tcp, s.udp), (1, 0, 1, 0));
    assert_eq!(
        (s.l4_csum_ok, s.payload_valid, s.payload_offset),
        (0, 1, 74)
    );
    assert_eq!(s.written(), RX_BUF_BYTES);
}
