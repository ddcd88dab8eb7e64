//! The engine model's semantics, rule by rule (see `host_model::engine`).

mod common;

use std::collections::HashMap;

use common::*;
use host_model::engine::{ConnState, EngineModel, Lookup, record_key};
use host_model::meta::{self, RawRecord};
use host_model::proto::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn ok(kind: Kind, handle: u16, host_ctx: u32) -> ResultEntry {
    ResultEntry {
        kind,
        status: EntryStatus::Ok,
        handle,
        host_ctx,
    }
}
fn res(kind: Kind, status: EntryStatus, handle: u16, host_ctx: u32) -> ResultEntry {
    ResultEntry {
        kind,
        status,
        handle,
        host_ctx,
    }
}

fn v4(l: u32, r: u32) -> Path {
    Path::v4(l, r)
}

/// Key of a connection under `nbr`, `path` with these ports.
fn key(nbr: &Neighbor, path: &Path, lp: u16, rp: u16) -> FlowKey {
    let t = Tcp {
        local_port: lp as u64,
        remote_port: rp as u64,
        ..Tcp::default()
    };
    FlowKey::of(nbr, path, &t)
}

/// Neighbor 0, Path 0 and `n` connections (ports 1000+i) handed out, not yet started.
fn setup(e: &mut EngineModel, rng: &mut ChaCha8Rng, n: usize) -> Vec<Tcp> {
    let mut blocks = vec![
        new_nbr(100, nbr_vlan(Some(5))),
        new_path(200, v4(0x0a000001, 0x0a000002)),
    ];
    let tcps: Vec<Tcp> = (0..n)
        .map(|i| tcp_ports(rng, 1000 + i as u16, 80))
        .collect();
    blocks.extend(
        tcps.iter()
            .enumerate()
            .map(|(i, t)| tcp_block(i as u32, *t)),
    );
    let ev = handout1(e, 1, blocks);
    assert_eq!(ev.trailer(), Trailer::ok(n as u16 + 2));
    tcps
}

#[test]
fn caps_reports_the_configuration() {
    let cfg = cfg(4096);
    let mut e = EngineModel::new(&cfg);
    let ev = e.command_event(&Command::Caps { tag: 0xdead_beef }.encode());
    assert_eq!(
        ev,
        Event::Caps {
            tag: 0xdead_beef,
            caps: Caps {
                connections: 4096,
                paths: 1024,
                neighbors: 256,
                banks: 2,
                ways: 4,
                bucket_bits: 10,
                beat_bytes: 8,
                version: PROTOCOL_VERSION
            },
            trailer: Trailer::ok(0)
        }
    );
    assert_eq!(EngineModel::new(&common::cfg(65536)).caps().paths, 16384);
}

#[test]
fn header_errors_answer_error_events() {
    let mut e = EngineModel::new(&cfg(256));
    let err = |status| Trailer {
        status,
        consumed: 0,
    };
    let cases: Vec<(Vec<u64>, Event)> = vec![
        (
            vec![0x1234_5678_0000_0009],
            Event::Error {
                tag: 0x1234_5678,
                trailer: err(CmdStatus::BadOpcode),
            },
        ),
        (
            vec![0x0000_0001_0000_0000],
            Event::Error {
                tag: 1,
                trailer: err(CmdStatus::BadOpcode),
            },
        ),
        (
            vec![0x0000_0002_0000_0101],
            Event::Error {
                tag: 2,
                trailer: err(CmdStatus::BadHeader),
            },
        ),
        (
            vec![0x0000_0003_0001_0001],
            Event::Error {
                tag: 3,
                trailer: err(CmdStatus::BadHeader),
            },
        ),
        (
            vec![0x0000_0004_0001_0007],
            Event::Error {
                tag: 4,
                trailer: err(CmdStatus::BadHeader),
            },
        ),
        (
            vec![0x0000_0005_0002_0005],
            Event::Error {
                tag: 5,
                trailer: err(CmdStatus::BadHeader),
            },
        ),
        (
            vec![0x0000_0006_0000_0005],
            Event::Error {
                tag: 6,
                trailer: err(CmdStatus::BadHeader),
            },
        ),
        (
            vec![],
            Event::Error {
                tag: 0,
                trailer: err(CmdStatus::Truncated),
            },
        ),
    ];
    for (i, (w, want)) in cases.iter().enumerate() {
        assert_eq!(&Event::decode(&e.command(w)).unwrap(), want, "{w:x?}");
        assert_eq!(e.stats().command_errors, i as u64 + 1);
    }
}

#[test]
fn handout_lookup_and_start() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let nbr = nbr_vlan(Some(5));
    let path = v4(0x0a000001, 0x0a000002);
    let t0 = tcp_ports(&mut rng, 80, 5000);
    let t1 = tcp_ports(&mut rng, 80, 5001);
    let ev = handout1(
        &mut e,
        77,
        vec![
            new_nbr(9, nbr),
            new_path(8, path),
            tcp_block(70, t0),
            tcp_block(71, t1),
        ],
    );
    assert_eq!(
        ev,
        Event::Interlock {
            tag: 77,
            results: vec![
                ok(Kind::Neighbor, 0, 9),
                ok(Kind::Path, 0, 8),
                ok(Kind::Tcp, 0, 70),
                ok(Kind::Tcp, 1, 71)
            ],
            trailer: Trailer::ok(4)
        }
    );
    let s = e.stats();
    assert_eq!(
        (s.handout1, s.connections, s.paths, s.neighbors, s.refused),
        (2, 2, 1, 1, 0)
    );
    assert_eq!(e.path(0).unwrap().refcount, 2);
    assert_eq!(e.neighbor(0).unwrap().refcount, 1);
    let c = e.conn(1).unwrap();
    assert_eq!(c.state, ConnState::Held);
    assert_eq!(c.host_ctx, 71);
    assert_eq!(c.tcp, t1, "CONST + CACHED stored, DELEGATED zero");
    let k1 = key(&nbr, &path, 80, 5001);
    assert_eq!(c.key, k1);
    assert_eq!(e.lookup_key(&k1), Lookup::Held(1));
    // HANDOUT2 starts it.
    let d = tcp_only(&rand_tcp(&mut rng), &[Class::Delegated]);
    let ev = handout2(&mut e, vec![(1, 71, d)]);
    assert_eq!(results(&ev), vec![ok(Kind::Tcp, 1, 71)]);
    let c = e.conn(1).unwrap();
    assert_eq!(c.state, ConnState::Offloaded);
    assert_eq!(
        c.tcp.class_words(Class::Delegated),
        d.class_words(Class::Delegated)
    );
    assert_eq!(
        c.tcp.class_words(Class::Const),
        t1.class_words(Class::Const)
    );
    assert_eq!(e.lookup_key(&k1), Lookup::Hit(1));
    assert_eq!(e.lookup_key(&key(&nbr, &path, 80, 5002)), Lookup::Miss);
    assert_eq!(
        e.lookup_key(&key(&nbr_vlan(None), &path, 80, 5001)),
        Lookup::Miss,
        "VLAN is in the key"
    );
    let s = e.stats();
    assert_eq!(
        (s.lookups, s.held, s.hits, s.misses, s.handout2),
        (4, 1, 1, 2, 1)
    );
    check_invariants(&e, &cfg);
}

#[test]
fn handout2_refusals() {
    let mut e = EngineModel::new(&cfg(256));
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    setup(&mut e, &mut rng, 2);
    let d = Tcp::default();
    let ev = handout2(
        &mut e,
        vec![
            (0, 0, d),
            (0, 0, d),
            (1, 99, d),
            (2, 2, d),
            (300, 0, d),
            (1, 1, d),
        ],
    );
    let st: Vec<_> = results(&ev).iter().map(|r| r.status).collect();
    use EntryStatus::*;
    assert_eq!(
        st,
        vec![
            Ok,
            NotPending,
            UnknownHandle,
            UnknownHandle,
            UnknownHandle,
            Ok
        ]
    );
    assert_eq!(
        ev.trailer(),
        Trailer::ok(6),
        "entry refusals are not command errors"
    );
    assert_eq!(e.stats().handout2, 2);
    assert_eq!(e.stats().command_errors, 0);
}

#[test]
fn parents_reuse_and_refusals() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let t = |rng: &mut ChaCha8Rng, p: u16| tcp_ports(rng, 80, p);
    use EntryStatus::*;
    // No parent at all.
    let blocks = vec![new_path(1, v4(1, 2)), tcp_block(2, t(&mut rng, 1))];
    let ev = handout1(&mut e, 1, blocks);
    assert_eq!(
        results(&ev),
        vec![
            res(Kind::Path, NoParent, 0, 1),
            res(Kind::Tcp, ParentRefused, 0, 2)
        ]
    );
    let ev = handout1(&mut e, 1, vec![tcp_block(2, t(&mut rng, 1))]);
    assert_eq!(results(&ev), vec![res(Kind::Tcp, NoParent, 0, 2)]);
    // A refused Neighbor reuse refuses its children; the refusal echoes the handle.
    let blocks = vec![
        reuse_nbr(5, 7),
        new_path(1, v4(1, 2)),
        tcp_block(2, t(&mut rng, 1)),
    ];
    let ev = handout1(&mut e, 2, blocks);
    assert_eq!(
        results(&ev),
        vec![
            res(Kind::Neighbor, UnknownHandle, 7, 5),
            res(Kind::Path, ParentRefused, 0, 1),
            res(Kind::Tcp, ParentRefused, 0, 2)
        ]
    );
    assert_eq!(e.stats().refused, 6);
    // Two Neighbors, a Path on each.
    let (na, nb) = (nbr_vlan(Some(1)), nbr_vlan(Some(2)));
    let (pa, pb) = (v4(1, 2), v4(1, 3));
    let ev = handout1(
        &mut e,
        3,
        vec![
            new_nbr(10, na),
            new_path(20, pa),
            tcp_block(30, t(&mut rng, 1)),
            new_nbr(11, nb),
            new_path(21, pb),
        ],
    );
    assert_eq!(
        results(&ev),
        vec![
            ok(Kind::Neighbor, 0, 10),
            ok(Kind::Path, 0, 20),
            ok(Kind::Tcp, 0, 30),
            ok(Kind::Neighbor, 1, 11),
            ok(Kind::Path, 1, 21)
        ]
    );
    // A reused Path needs no Neighbor and keeps its own; cur_nbr is unchanged by it.
    let ev = handout1(
        &mut e,
        4,
        vec![
            reuse_path(20, 0),
            tcp_block(31, t(&mut rng, 2)),
            reuse_nbr(11, 1),
            reuse_path(20, 0),
            new_path(22, v4(1, 4)),
            tcp_block(32, t(&mut rng, 3)),
        ],
    );
    assert!(results(&ev).iter().all(|r| r.status == Ok), "{ev:?}");
    assert_eq!(e.conn(1).unwrap().key, key(&na, &pa, 80, 2));
    assert_eq!(
        e.path(2).unwrap().nbr,
        1,
        "the new Path belongs to the current Neighbor (b)"
    );
    assert_eq!(e.conn(2).unwrap().key, key(&nb, &v4(1, 4), 80, 3));
    // Reuse with the wrong context or a handle out of range.
    let ev = handout1(
        &mut e,
        5,
        vec![
            reuse_path(99, 0),
            tcp_block(33, t(&mut rng, 4)),
            reuse_path(20, 0xFFFF),
            reuse_nbr(10, 0xFFFF),
        ],
    );
    assert_eq!(
        results(&ev),
        vec![
            res(Kind::Path, UnknownHandle, 0, 99),
            res(Kind::Tcp, ParentRefused, 0, 33),
            res(Kind::Path, UnknownHandle, 0xFFFF, 20),
            res(Kind::Neighbor, UnknownHandle, 0xFFFF, 10)
        ]
    );
    // Duplicate key (any state).
    let dup = tcp_ports(&mut rng, 80, 1);
    let ev = handout1(&mut e, 6, vec![reuse_path(20, 0), tcp_block(34, dup)]);
    assert_eq!(results(&ev)[1], res(Kind::Tcp, Duplicate, 0, 34));
    assert_eq!(e.stats().refused, 6 + 4 + 1);
    check_invariants(&e, &cfg);
}

#[test]
fn handles_come_from_a_fifo_then_the_counter() {
    let mut e = EngineModel::new(&cfg(256));
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    setup(&mut e, &mut rng, 4); // handles 0..3
    let ev = flush(&mut e, &[(Kind::Tcp, 2, 2), (Kind::Tcp, 0, 0)]);
    assert_eq!(items(&ev).len(), 2);
    let ts: Vec<Block> = (0..3)
        .map(|i| tcp_block(50 + i, tcp_ports(&mut rng, 9, i as u16)))
        .collect();
    let mut blocks = vec![reuse_path(200, 0)];
    blocks.extend(ts);
    let ev = handout1(&mut e, 2, blocks);
    let hs: Vec<u16> = results(&ev)[1..].iter().map(|r| r.handle).collect();
    assert_eq!(hs, vec![2, 0, 4]);
}

#[test]
fn resources_run_out() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    use EntryStatus::*;
    // 17 Neighbors: the last is refused, and so are its Path and TCP.
    let mut blocks: Vec<Block> = (0..17)
        .map(|i| new_nbr(i, nbr_vlan(Some(i as u16))))
        .collect();
    blocks.push(new_path(1, v4(1, 1)));
    blocks.push(tcp_block(1, tcp_ports(&mut rng, 1, 1)));
    let ev = handout1(&mut e, 1, blocks);
    let r = results(&ev);
    assert_eq!(r[16], res(Kind::Neighbor, NoResources, 0, 16));
    assert_eq!((r[17].status, r[18].status), (ParentRefused, ParentRefused));
    assert_eq!(e.stats().neighbors, 16);
    // 65 Paths under Neighbor 0 (256 connections: 64 Paths).
    let mut blocks = vec![reuse_nbr(0, 0)];
    blocks.extend((0..65).map(|i| new_path(i, v4(1, 100 + i))));
    blocks.push(tcp_block(2, tcp_ports(&mut rng, 1, 1)));
    let ev = handout1(&mut e, 2, blocks);
    let r = results(&ev);
    assert_eq!(r[65], res(Kind::Path, NoResources, 0, 64));
    assert_eq!(r[66].status, ParentRefused);
    assert_eq!(e.neighbor(0).unwrap().refcount, 64);
    // Connections: fill all 256 handles (keys spread over the buckets so none is TableFull).
    let path0 = e.path(0).unwrap().path;
    let n0 = e.neighbor(0).unwrap().nbr;
    let mut load: HashMap<(usize, usize), usize> = HashMap::new();
    let mut tcps = vec![];
    let mut port = 0u16;
    while tcps.len() < 256 {
        port += 1;
        let k = key(&n0, &path0, 7, port);
        // simulate the insert: bank 0's bucket, else bank 1's; skip keys that would not fit
        for bank in 0..2 {
            let b = (bank, e.bucket_of(bank, &k));
            if load.get(&b).copied().unwrap_or(0) < 4 {
                *load.entry(b).or_default() += 1;
                tcps.push(tcp_ports(&mut rng, 7, port));
                break;
            }
        }
    }
    let mut blocks = vec![reuse_path(0, 0)];
    blocks.extend(
        tcps.iter()
            .enumerate()
            .map(|(i, t)| tcp_block(i as u32, *t)),
    );
    let ev = handout1(&mut e, 3, blocks);
    assert!(results(&ev).iter().all(|r| r.status == Ok));
    assert_eq!(e.stats().connections, 256);
    // One more: NoResources; an existing key: Duplicate (checked first).
    let ev = handout1(
        &mut e,
        4,
        vec![
            reuse_path(0, 0),
            tcp_block(1000, tcp_ports(&mut rng, 8, 8)),
            tcp_block(1001, tcps[5]),
        ],
    );
    assert_eq!(
        results(&ev)[1..],
        [
            res(Kind::Tcp, NoResources, 0, 1000),
            res(Kind::Tcp, Duplicate, 0, 1001)
        ]
    );
    assert_eq!(e.stats().insert_failures, 0);
    check_invariants(&e, &cfg);
}

/// Ports (local 80) whose keys under `nbr`/`path` all share bank 0's and bank 1's bucket.
fn colliding_ports(e: &EngineModel, nbr: &Neighbor, path: &Path, n: usize) -> Vec<u16> {
    let mut groups: HashMap<(usize, usize), Vec<u16>> = HashMap::new();
    for p in 0..=u16::MAX {
        let k = key(nbr, path, 80, p);
        let g = groups
            .entry((e.bucket_of(0, &k), e.bucket_of(1, &k)))
            .or_default();
        g.push(p);
        if g.len() == n {
            return g.clone();
        }
    }
    panic!("no {n} colliding keys");
}

#[test]
fn collisions_fill_both_buckets_then_table_full() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let nbr = nbr_vlan(None);
    let path = v4(0xc0a80001, 0xc0a80002);
    let ports = colliding_ports(&e, &nbr, &path, 10);
    let k0 = key(&nbr, &path, 80, ports[0]);
    let (b0, b1) = (e.bucket_of(0, &k0), e.bucket_of(1, &k0));
    // A different key in the same bank-0 bucket exists by H3 linearity; the model's
    // hash is the proto one.
    assert_eq!(b0 as u32, h3_hash(0, &k0, cfg.bucket_bits));
    let mut blocks = vec![new_nbr(1, nbr), new_path(2, path)];
    blocks.extend(
        ports[..9]
            .iter()
            .enumerate()
            .map(|(i, p)| tcp_block(i as u32, tcp_ports(&mut rng, 80, *p))),
    );
    let ev = handout1(&mut e, 1, blocks);
    let r = results(&ev);
    for i in 0..8 {
        assert_eq!(r[2 + i], ok(Kind::Tcp, i as u16, i as u32));
        let k = key(&nbr, &path, 80, ports[i]);
        let want = if i < 4 { (0, b0, i) } else { (1, b1, i - 4) };
        assert_eq!(e.key_location(&k), Some(want), "key {i}");
        assert_eq!(e.conn(i as u16).unwrap().slot, want);
    }
    assert_eq!(r[10], res(Kind::Tcp, EntryStatus::TableFull, 0, 8));
    let s = e.stats();
    assert_eq!((s.insert_failures, s.refused, s.connections), (1, 1, 8));
    // Lookup finds keys in both banks.
    for (i, p) in ports[..8].iter().enumerate() {
        assert_eq!(
            e.lookup_key(&key(&nbr, &path, 80, *p)),
            Lookup::Held(i as u16)
        );
    }
    assert_eq!(e.lookup_key(&key(&nbr, &path, 80, ports[8])), Lookup::Miss);
    // Free bank 0 way 2: the next colliding key takes that way and handle 2 (FIFO).
    flush(&mut e, &[(Kind::Tcp, 2, 2)]);
    let ev = handout1(
        &mut e,
        2,
        vec![
            reuse_path(2, 0),
            tcp_block(9, tcp_ports(&mut rng, 80, ports[9])),
        ],
    );
    assert_eq!(
        results(&ev)[1],
        ok(Kind::Tcp, 2, 9),
        "no handle was consumed by the TableFull"
    );
    assert_eq!(
        e.key_location(&key(&nbr, &path, 80, ports[9])),
        Some((0, b0, 2))
    );
    check_invariants(&e, &cfg);
}

#[test]
fn block_list_of_2000_connections_sharing_paths() {
    let cfg = cfg(4096);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    // 4 Neighbors × 8 Paths × 40 connections in one list, then 896 more on reused Paths.
    let mut blocks = vec![];
    let mut ctx = 0u32;
    for n in 0..4u32 {
        blocks.push(new_nbr(n, nbr_vlan(Some(n as u16))));
        for p in 0..8u32 {
            blocks.push(new_path(n * 8 + p, v4(0x0a000001, 0x0a010000 + n * 8 + p)));
            for _ in 0..40 {
                blocks.push(tcp_block(ctx, tcp_ports(&mut rng, 443, ctx as u16)));
                ctx += 1;
            }
        }
    }
    let ev = handout1(&mut e, 1, blocks.clone());
    assert_eq!(ev.trailer(), Trailer::ok(blocks.len() as u16));
    assert!(results(&ev).iter().all(|r| r.status == EntryStatus::Ok));
    let mut more = vec![];
    for p in 0..32u32 {
        more.push(reuse_path(p, p as u16));
        for _ in 0..28 {
            more.push(tcp_block(ctx, tcp_ports(&mut rng, 443, ctx as u16)));
            ctx += 1;
        }
    }
    let ev = handout1(&mut e, 2, more);
    assert!(results(&ev).iter().all(|r| r.status == EntryStatus::Ok));
    assert_eq!(ctx, 2176);
    let s = e.stats();
    assert_eq!(
        (s.connections, s.paths, s.neighbors, s.handout1),
        (2176, 32, 4, 2176)
    );
    for p in 0..32u16 {
        assert_eq!(e.path(p).unwrap().refcount, 68);
        assert_eq!(e.path(p).unwrap().nbr, p / 8);
    }
    for n in 0..4u16 {
        assert_eq!(e.neighbor(n).unwrap().refcount, 8);
    }
    check_invariants(&e, &cfg);
    // One FLUSH of everything frees every Path and Neighbor, each once, in cascade order.
    let refs: Vec<(Kind, u16, u32)> = (0..2176u32).map(|i| (Kind::Tcp, i as u16, i)).collect();
    let ev = flush(&mut e, &refs);
    assert_eq!(ev.trailer(), Trailer::ok(2176));
    let it = items(&ev);
    let paths_freed = it
        .iter()
        .filter(|i| matches!(i, FlushItem::PathFreed { .. }))
        .count();
    let nbrs_freed = it
        .iter()
        .filter(|i| matches!(i, FlushItem::NeighborFreed { .. }))
        .count();
    assert_eq!((paths_freed, nbrs_freed, it.len()), (32, 4, 2176 + 36));
    let s = e.stats();
    assert_eq!(
        (s.connections, s.paths, s.neighbors, s.flushes),
        (0, 0, 0, 2176)
    );
    check_invariants(&e, &cfg);
}

#[test]
fn flush_right_after_handout_returns_the_state_handed_out() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    for round in 0..200u32 {
        let path = Path {
            ip_id_start: rng.random_range(0..65536),
            ip_id_counter: rng.random_range(0..32768),
            ..v4(1, round)
        };
        let t = tcp_ports(&mut rng, 80, round as u16);
        let d = tcp_only(&rand_tcp(&mut rng), &[Class::Delegated]);
        let r = results(&handout1(
            &mut e,
            round,
            vec![
                new_nbr(1, nbr_vlan(None)),
                new_path(2, path),
                tcp_block(3, t),
            ],
        ));
        let h = r[2].handle;
        assert_eq!(
            results(&handout2(&mut e, vec![(h, 3, d)]))[0].status,
            EntryStatus::Ok
        );
        let ev = flush(&mut e, &[(Kind::Tcp, h, 3)]);
        assert_eq!(
            items(&ev),
            vec![
                FlushItem::Conn {
                    result: ok(Kind::Tcp, h, 3),
                    tcp: Some(d)
                },
                FlushItem::PathFreed {
                    result: ok(Kind::Path, r[1].handle, 2),
                    path: path_only(&path, &[Class::Delegated])
                },
                FlushItem::NeighborFreed {
                    result: ok(Kind::Neighbor, r[0].handle, 1)
                },
            ]
        );
    }
    // A connection still Held returns all-zero DELEGATED state.
    let r = results(&handout1(
        &mut e,
        1,
        vec![
            new_nbr(1, nbr_vlan(None)),
            new_path(2, v4(1, 2)),
            tcp_block(3, tcp_ports(&mut rng, 1, 2)),
        ],
    ));
    let it = items(&flush(&mut e, &[(Kind::Tcp, r[2].handle, 3)]));
    assert_eq!(
        it[0],
        FlushItem::Conn {
            result: ok(Kind::Tcp, r[2].handle, 3),
            tcp: Some(Tcp::default())
        }
    );
    assert_eq!(e.stats().flushes, 201);
    check_invariants(&e, &cfg);
}

#[test]
fn flush_paths_neighbors_and_close() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(18);
    setup(&mut e, &mut rng, 2); // nbr 0 (ctx 100), path 0 (ctx 200), conns 0, 1
    // An extra Path with no connection, on the same Neighbor.
    handout1(&mut e, 1, vec![reuse_nbr(100, 0), new_path(201, v4(5, 6))]);
    use EntryStatus::*;
    let ev = flush(
        &mut e,
        &[
            (Kind::Path, 0, 200),     // in use
            (Kind::Neighbor, 0, 100), // in use
            (Kind::Path, 1, 999),     // wrong ctx
            (Kind::Path, 1, 201),     // freed; neighbor still has path 0
            (Kind::Tcp, 0, 5),        // wrong ctx
            (Kind::Tcp, 0, 0),        // ok
            (Kind::Tcp, 0, 0),        // now unknown
            (Kind::Neighbor, 9, 100), // out of range
        ],
    );
    let it = items(&ev);
    assert_eq!(
        it,
        vec![
            FlushItem::NotFreed {
                result: res(Kind::Path, InUse, 0, 200)
            },
            FlushItem::NotFreed {
                result: res(Kind::Neighbor, InUse, 0, 100)
            },
            FlushItem::NotFreed {
                result: res(Kind::Path, UnknownHandle, 1, 999)
            },
            FlushItem::PathFreed {
                result: ok(Kind::Path, 1, 201),
                path: Path::default()
            },
            FlushItem::Conn {
                result: res(Kind::Tcp, UnknownHandle, 0, 5),
                tcp: None
            },
            FlushItem::Conn {
                result: ok(Kind::Tcp, 0, 0),
                tcp: Some(Tcp::default())
            },
            FlushItem::Conn {
                result: res(Kind::Tcp, UnknownHandle, 0, 0),
                tcp: None
            },
            FlushItem::NotFreed {
                result: res(Kind::Neighbor, UnknownHandle, 9, 100)
            },
        ]
    );
    assert_eq!(ev.trailer(), Trailer::ok(8));
    // CLOSE of the last connection cascades; the response says close.
    let ev = e.command_event(
        &Command::Close {
            tag: 9,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle: 1,
                host_ctx: 1,
            }],
        }
        .encode(),
    );
    let Event::Flushed {
        close: true,
        tag: 9,
        items: it,
        ..
    } = ev
    else {
        panic!("{ev:?}")
    };
    assert_eq!(it.len(), 3);
    assert!(matches!(it[2], FlushItem::NeighborFreed { .. }));
    // A Neighbor with no Path, freed by name.
    handout1(&mut e, 2, vec![new_nbr(300, nbr_vlan(None))]);
    let it = items(&flush(&mut e, &[(Kind::Neighbor, 0, 300)]));
    assert_eq!(
        it,
        vec![FlushItem::NeighborFreed {
            result: ok(Kind::Neighbor, 0, 300)
        }]
    );
    let s = e.stats();
    assert_eq!(
        (
            s.connections,
            s.paths,
            s.neighbors,
            s.flushes,
            s.command_errors
        ),
        (0, 0, 0, 2, 0)
    );
    check_invariants(&e, &cfg);
}

#[test]
fn update_overwrites_only_cached_fields() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let tcps = setup(&mut e, &mut rng, 2);
    let d = tcp_only(&rand_tcp(&mut rng), &[Class::Delegated]);
    handout2(&mut e, vec![(0, 0, d)]);
    let before_n = e.neighbor(0).unwrap().nbr;
    let before_p = e.path(0).unwrap().path;
    let send =
        |e: &mut EngineModel, u| e.command_event(&Command::Update { tag: 5, update: u }.encode());
    // Random objects: only their CACHED words go on the wire and are applied.
    let rn = rand_neighbor(&mut rng);
    let ev = send(
        &mut e,
        CachedUpdate::Neighbor {
            handle: 0,
            host_ctx: 100,
            nbr: rn,
        },
    );
    assert_eq!(
        ev,
        Event::Updated {
            tag: 5,
            results: vec![ok(Kind::Neighbor, 0, 100)],
            trailer: Trailer::ok(1)
        }
    );
    let n = e.neighbor(0).unwrap().nbr;
    assert_eq!(n.class_words(Class::Cached), rn.class_words(Class::Cached));
    assert_eq!(
        n.class_words(Class::Const),
        before_n.class_words(Class::Const)
    );
    let rp = rand_path(&mut rng);
    send(
        &mut e,
        CachedUpdate::Path {
            handle: 0,
            host_ctx: 200,
            path: rp,
        },
    );
    let p = e.path(0).unwrap().path;
    assert_eq!(p.class_words(Class::Cached), rp.class_words(Class::Cached));
    assert_eq!(
        p.class_words(Class::Const),
        before_p.class_words(Class::Const)
    );
    assert_eq!(
        p.class_words(Class::Delegated),
        before_p.class_words(Class::Delegated)
    );
    for h in [0u16, 1] {
        let rt = rand_tcp(&mut rng);
        send(
            &mut e,
            CachedUpdate::Tcp {
                handle: h,
                host_ctx: h as u32,
                tcp: rt,
            },
        );
        let c = e.conn(h).unwrap();
        assert_eq!(
            c.tcp.class_words(Class::Cached),
            rt.class_words(Class::Cached)
        );
        assert_eq!(
            c.tcp.class_words(Class::Const),
            tcps[h as usize].class_words(Class::Const)
        );
        let want_d = if h == 0 { d } else { Tcp::default() };
        assert_eq!(
            c.tcp.class_words(Class::Delegated),
            want_d.class_words(Class::Delegated)
        );
    }
    assert_eq!(e.stats().updates, 4);
    for u in [
        CachedUpdate::Neighbor {
            handle: 0,
            host_ctx: 1,
            nbr: rn,
        },
        CachedUpdate::Path {
            handle: 3,
            host_ctx: 200,
            path: rp,
        },
        CachedUpdate::Tcp {
            handle: 7,
            host_ctx: 7,
            tcp: Tcp::default(),
        },
        CachedUpdate::Tcp {
            handle: 0xFFFF,
            host_ctx: 0,
            tcp: Tcp::default(),
        },
    ] {
        assert_eq!(
            results(&send(&mut e, u))[0].status,
            EntryStatus::UnknownHandle
        );
    }
    assert_eq!(e.stats().updates, 4);
}

#[test]
fn stats_report_before_their_own_error() {
    let mut e = EngineModel::new(&cfg(256));
    e.command(&[9]);
    let mut w = Command::Stats { tag: 1 }.encode();
    w.push(0);
    let Event::Stats { stats, trailer, .. } = Event::decode(&e.command(&w)).unwrap() else {
        panic!()
    };
    assert_eq!(stats.command_errors, 1);
    assert_eq!(
        trailer,
        Trailer {
            status: CmdStatus::TrailingWords,
            consumed: 0
        }
    );
    let Event::Stats { stats, trailer, .. } =
        Event::decode(&e.command(&Command::Stats { tag: 2 }.encode())).unwrap()
    else {
        panic!()
    };
    assert_eq!(stats.command_errors, 2);
    assert_eq!(trailer, Trailer::ok(0));
    // CAPS with a trailing word still sends its body.
    let mut w = Command::Caps { tag: 3 }.encode();
    w.push(5);
    let ev = Event::decode(&e.command(&w)).unwrap();
    assert!(matches!(
        ev,
        Event::Caps {
            tag: 3,
            trailer: Trailer {
                status: CmdStatus::TrailingWords,
                consumed: 0
            },
            ..
        }
    ));
    assert_eq!(e.stats().command_errors, 3);
}

#[test]
fn malformed_bodies_keep_the_entries_before_the_fault() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(20);
    let blocks = vec![
        new_nbr(1, nbr_vlan(None)),
        new_path(2, v4(1, 2)),
        tcp_block(3, tcp_ports(&mut rng, 1, 1)),
    ];
    let good = Command::Handout1 { tag: 8, blocks }.encode();
    // Truncated: count says 4.
    let mut w = good.clone();
    w[0] = (w[0] & !0xFFFF_0000) | 4 << 16;
    let ev = e.command_event(&w);
    assert_eq!(
        ev.trailer(),
        Trailer {
            status: CmdStatus::Truncated,
            consumed: 3
        }
    );
    assert_eq!(results(&ev).len(), 3);
    assert_eq!(
        e.stats().connections,
        1,
        "entries before the fault stay applied"
    );
    // Truncated inside a block body.
    let mut w = Command::Handout1 {
        tag: 8,
        blocks: vec![reuse_path(2, 0), tcp_block(4, tcp_ports(&mut rng, 1, 2))],
    }
    .encode();
    w.pop();
    let ev = e.command_event(&w);
    assert_eq!(
        ev.trailer(),
        Trailer {
            status: CmdStatus::Truncated,
            consumed: 1
        }
    );
    assert_eq!(results(&ev), vec![ok(Kind::Path, 0, 2)]);
    // Bad kind in the second entry.
    let mut w = Command::Handout1 {
        tag: 8,
        blocks: vec![reuse_path(2, 0), tcp_block(5, tcp_ports(&mut rng, 1, 3))],
    }
    .encode();
    w[2] &= !0xF;
    let ev = e.command_event(&w);
    assert_eq!(
        ev.trailer(),
        Trailer {
            status: CmdStatus::BadEntry,
            consumed: 1
        }
    );
    // Reserved bits in an entry header; reuse on a TCP block.
    for bits in [0x20u64, 0x10] {
        let mut w = Command::Handout1 {
            tag: 8,
            blocks: vec![tcp_block(5, tcp_ports(&mut rng, 1, 3))],
        }
        .encode();
        w[1] |= bits;
        assert_eq!(
            e.command_event(&w).trailer(),
            Trailer {
                status: CmdStatus::BadEntry,
                consumed: 0
            }
        );
    }
    // Trailing words after a complete body: applied, status TrailingWords.
    let mut w = Command::Handout1 {
        tag: 8,
        blocks: vec![reuse_path(2, 0), tcp_block(6, tcp_ports(&mut rng, 1, 4))],
    }
    .encode();
    w.push(0);
    let ev = e.command_event(&w);
    assert_eq!(
        ev.trailer(),
        Trailer {
            status: CmdStatus::TrailingWords,
            consumed: 2
        }
    );
    assert_eq!(results(&ev)[1].status, EntryStatus::Ok);
    assert_eq!(e.stats().connections, 2);
    // HANDOUT2 with a Path entry; FLUSH with reuse set; UPDATE truncated.
    let mut w = Command::Handout2 {
        tag: 1,
        entries: vec![Handout2Entry {
            handle: 0,
            host_ctx: 3,
            tcp: Tcp::default(),
        }],
    }
    .encode();
    w[1] = (w[1] & !0xF) | Kind::Path as u64;
    assert_eq!(
        e.command_event(&w).trailer(),
        Trailer {
            status: CmdStatus::BadEntry,
            consumed: 0
        }
    );
    let mut w = Command::Flush {
        tag: 1,
        conns: vec![ConnRef {
            kind: Kind::Tcp,
            handle: 0,
            host_ctx: 3,
        }],
    }
    .encode();
    w[1] |= 0x10;
    assert_eq!(
        e.command_event(&w).trailer(),
        Trailer {
            status: CmdStatus::BadEntry,
            consumed: 0
        }
    );
    let mut w = Command::Update {
        tag: 1,
        update: CachedUpdate::Path {
            handle: 0,
            host_ctx: 2,
            path: Path::default(),
        },
    }
    .encode();
    w.pop();
    let ev = e.command_event(&w);
    assert_eq!(
        ev,
        Event::Updated {
            tag: 1,
            results: vec![],
            trailer: Trailer {
                status: CmdStatus::Truncated,
                consumed: 0
            }
        }
    );
    assert_eq!(e.stats().command_errors, 9);
    assert_eq!(e.stats().updates, 0);
    check_invariants(&e, &cfg);
}

#[test]
fn bad_commands_disturb_no_other_connection() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let tcps = setup(&mut e, &mut rng, 20);
    let entries = (0..10u16)
        .map(|h| {
            (
                h,
                h as u32,
                tcp_only(&rand_tcp(&mut rng), &[Class::Delegated]),
            )
        })
        .collect();
    handout2(&mut e, entries);
    let before = snapshot(&e, &cfg);
    let mut bad: Vec<Vec<u64>> = vec![
        vec![0xAB],
        vec![0x0000_0001_0000_FF02],
        Command::Handout2 {
            tag: 1,
            entries: vec![Handout2Entry {
                handle: 3,
                host_ctx: 99,
                tcp: rand_tcp(&mut rng),
            }],
        }
        .encode(),
        Command::Handout2 {
            tag: 1,
            entries: vec![Handout2Entry {
                handle: 4,
                host_ctx: 4,
                tcp: rand_tcp(&mut rng),
            }],
        }
        .encode(),
        Command::Handout2 {
            tag: 1,
            entries: vec![Handout2Entry {
                handle: 200,
                host_ctx: 0,
                tcp: rand_tcp(&mut rng),
            }],
        }
        .encode(),
        Command::Flush {
            tag: 1,
            conns: vec![
                ConnRef {
                    kind: Kind::Tcp,
                    handle: 3,
                    host_ctx: 4,
                },
                ConnRef {
                    kind: Kind::Path,
                    handle: 0,
                    host_ctx: 200,
                },
                ConnRef {
                    kind: Kind::Neighbor,
                    handle: 0,
                    host_ctx: 100,
                },
            ],
        }
        .encode(),
        Command::Close {
            tag: 1,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle: 30,
                host_ctx: 30,
            }],
        }
        .encode(),
        Command::Update {
            tag: 1,
            update: CachedUpdate::Tcp {
                handle: 5,
                host_ctx: 6,
                tcp: rand_tcp(&mut rng),
            },
        }
        .encode(),
        Command::Update {
            tag: 1,
            update: CachedUpdate::Neighbor {
                handle: 1,
                host_ctx: 100,
                nbr: rand_neighbor(&mut rng),
            },
        }
        .encode(),
        // duplicates of live keys, orphans, bad reuse
        Command::Handout1 {
            tag: 1,
            blocks: vec![
                reuse_path(200, 0),
                tcp_block(0, tcps[0]),
                tcp_block(7, tcps[7]),
                reuse_nbr(5, 0),
                new_path(1, v4(1, 2)),
                tcp_block(1, tcps[1]),
            ],
        }
        .encode(),
        Command::Handout1 {
            tag: 1,
            blocks: vec![tcp_block(1, tcps[1])],
        }
        .encode(),
    ];
    // and a truncated one whose first entry is already malformed
    let mut w = Command::Handout1 {
        tag: 1,
        blocks: vec![reuse_path(200, 0), tcp_block(1, tcp_ports(&mut rng, 5, 5))],
    }
    .encode();
    w[1] |= 0x100;
    bad.push(w);
    for w in &bad {
        let ev = Event::decode(&e.command(w)).unwrap();
        let all_refused = match &ev {
            // (reusing a live Path or Neighbor changes nothing)
            Event::Interlock { results, .. } => results
                .iter()
                .all(|r| r.status != EntryStatus::Ok || r.kind != Kind::Tcp),
            Event::HandoutDone { results, .. } | Event::Updated { results, .. } => {
                results.iter().all(|r| r.status != EntryStatus::Ok)
            }
            Event::Flushed { items, .. } => items.iter().all(|i| match i {
                FlushItem::Conn { result, .. } | FlushItem::NotFreed { result } => {
                    result.status != EntryStatus::Ok
                }
                _ => false,
            }),
            Event::Error { .. } => true,
            _ => false,
        };
        assert!(all_refused, "{ev:?}");
    }
    assert_eq!(snapshot(&e, &cfg), before);
    check_invariants(&e, &cfg);
}

fn record(fields: &[(&str, u128)]) -> RawRecord {
    let mut r = RawRecord(vec![]);
    for (n, v) in fields {
        r.set(meta::field(n).unwrap(), *v);
    }
    r
}

#[test]
fn lookup_builds_the_key_from_the_record() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    // IPv4, VLAN 7, and IPv6 untagged.
    let p4 = v4(0x0a000001, 0x0a000002);
    let p6 = Path::v6(0x2001_0db8 << 96 | 1, 0x2001_0db8 << 96 | 2);
    let ev = handout1(
        &mut e,
        1,
        vec![
            new_nbr(1, nbr_vlan(Some(7))),
            new_path(1, p4),
            tcp_block(1, tcp_ports(&mut rng, 80, 4000)),
            new_nbr(2, nbr_vlan(None)),
            new_path(2, p6),
            tcp_block(2, tcp_ports(&mut rng, 443, 5000)),
        ],
    );
    assert!(results(&ev).iter().all(|r| r.status == EntryStatus::Ok));
    handout2(&mut e, vec![(0, 1, Tcp::default())]);
    let r4 = record(&[
        ("tcp_valid", 1),
        ("ip4", 1),
        ("vlan_valid", 1),
        ("vlan_id", 7),
        ("dst_ip", 0xffff_0000_0000_0000_0000_0000_0a00_0001), // upper bits ignored for IPv4
        ("src_ip", 0x0a00_0002),
        ("dst_port", 80),
        ("src_port", 4000),
    ]);
    assert_eq!(e.lookup(&r4), Lookup::Hit(0));
    let mut r4b = r4.clone();
    r4b.set(meta::field("vlan_valid").unwrap(), 0);
    assert_eq!(e.lookup(&r4b), Lookup::Miss);
    let r6 = record(&[
        ("tcp_valid", 1),
        ("ip6", 1),
        ("vlan_valid", 0),
        ("vlan_id", 99), // ignored without vlan_valid
        ("dst_ip", 0x2001_0db8 << 96 | 1),
        ("src_ip", 0x2001_0db8 << 96 | 2),
        ("dst_port", 443),
        ("src_port", 5000),
    ]);
    assert_eq!(record_key(&r6).unwrap().vlan_id, 0);
    assert_eq!(e.lookup(&r6), Lookup::Held(1));
    let mut udp = r6.clone();
    udp.set(meta::field("tcp_valid").unwrap(), 0);
    assert_eq!(e.lookup(&udp), Lookup::NotTcp);
    assert_eq!(e.lookup(&RawRecord(vec![])), Lookup::NotTcp);
    let s = e.stats();
    assert_eq!(
        (s.lookups, s.hits, s.held, s.misses, s.not_tcp),
        (3, 1, 1, 1, 2)
    );
}

// ----- upload requests (unsolicited events) -----------------------------------

/// The receive record of a segment for `k` with these TCP flags.
fn record_of(k: &FlowKey, tcp_flags: u16) -> RawRecord {
    let r = record(&[
        ("tcp_valid", 1),
        (if k.ipv6 { "ip6" } else { "ip4" }, 1),
        ("vlan_valid", k.vlan_present as u128),
        ("vlan_id", k.vlan_id as u128),
        ("dst_ip", k.local_ip),
        ("src_ip", k.remote_ip),
        ("dst_port", k.local_port as u128),
        ("src_port", k.remote_port as u128),
        ("tcp_flags", tcp_flags as u128),
    ]);
    assert_eq!(record_key(&r), Some(*k));
    r
}

/// The key of `setup`'s connection `i`.
fn setup_key(i: u16) -> FlowKey {
    key(
        &nbr_vlan(Some(5)),
        &v4(0x0a000001, 0x0a000002),
        1000 + i,
        80,
    )
}

fn upload_request(handle: u16, host_ctx: u32, reason: UploadReason) -> Event {
    Event::UploadRequest {
        handle,
        host_ctx,
        reason,
    }
}

const FIN: u16 = 0x001;
const SYN: u16 = 0x002;
const RST: u16 = 0x004;
const PSH: u16 = 0x008;
const ACK: u16 = 0x010;
const URG: u16 = 0x020;

#[test]
fn exception_flags_raise_one_upload_request_per_connection() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(30);
    setup(&mut e, &mut rng, 6);
    let ev = handout2(
        &mut e,
        (0..6).map(|i| (i, i as u32, Tcp::default())).collect(),
    );
    assert!(results(&ev).iter().all(|r| r.status == EntryStatus::Ok));
    use UploadReason::*;
    // Plain data raises nothing.
    for fl in [ACK, ACK | PSH, 0, 0x0C0] {
        assert_eq!(e.lookup(&record_of(&setup_key(0), fl)), Lookup::Hit(0));
    }
    assert_eq!(e.take_unsolicited(), vec![]);
    assert!(!e.conn(0).unwrap().upload_requested);
    // Each reason, by priority RST > FIN > SYN > URG.
    let cases = [
        (0, FIN | ACK, Fin),
        (1, RST | FIN | ACK, Rst),
        (2, SYN | URG, Syn),
        (3, URG | ACK | PSH, Urg),
        (4, RST, Rst),
        (5, FIN | URG, Fin),
    ];
    for (i, fl, _) in cases {
        assert_eq!(e.lookup(&record_of(&setup_key(i), fl)), Lookup::Hit(i));
        assert!(e.conn(i).unwrap().upload_requested);
        assert_eq!(e.conn(i).unwrap().state, ConnState::Offloaded);
    }
    // At most one per connection, whatever comes next.
    for i in 0..6 {
        for fl in [RST, FIN, SYN, URG] {
            assert_eq!(e.lookup(&record_of(&setup_key(i), fl)), Lookup::Hit(i));
        }
    }
    let want: Vec<Event> = cases
        .iter()
        .map(|&(i, _, r)| upload_request(i, i as u32, r))
        .collect();
    assert_eq!(e.unsolicited(), &want[..]);
    assert_eq!(e.take_unsolicited(), want, "in the order raised");
    assert_eq!(e.take_unsolicited(), vec![], "taken means cleared");
    // The lookups counted as plain hits.
    let s = e.stats();
    assert_eq!((s.lookups, s.hits, s.held, s.misses), (34, 34, 0, 0));
    // `lookup_key` has no flags; `lookup_key_flags` behaves as `lookup`.
    let mut e2 = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(30);
    setup(&mut e2, &mut rng, 2);
    handout2(
        &mut e2,
        vec![(0, 0, Tcp::default()), (1, 1, Tcp::default())],
    );
    assert_eq!(e2.lookup_key(&setup_key(0)), Lookup::Hit(0));
    assert_eq!(e2.lookup_key_flags(&setup_key(1), URG), Lookup::Hit(1));
    assert_eq!(e2.take_unsolicited(), vec![upload_request(1, 1, Urg)]);
    // The request is an ordinary wire message.
    let w = upload_request(1, 1, Urg).encode();
    assert_eq!(w, vec![0xC0, 1 << 32 | 1 << 16 | 5 << 8 | 3, 0]);
    check_invariants(&e, &cfg);
}

#[test]
fn held_and_expired_connections_raise_no_exception_request() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    setup(&mut e, &mut rng, 2);
    for fl in [RST, FIN, SYN, URG] {
        assert_eq!(e.lookup(&record_of(&setup_key(0), fl)), Lookup::Held(0));
    }
    assert!(e.expire(1).is_some());
    for fl in [RST, FIN, SYN, URG] {
        assert_eq!(e.lookup(&record_of(&setup_key(1), fl)), Lookup::Miss);
    }
    assert_eq!(e.take_unsolicited(), vec![]);
    assert!(!e.conn(0).unwrap().upload_requested);
    assert!(!e.conn(1).unwrap().upload_requested);
    let s = e.stats();
    assert_eq!((s.lookups, s.held, s.misses, s.hits), (8, 4, 4, 0));
    // HANDOUT2 of the Held one starts it; from then on it may raise a request.
    handout2(&mut e, vec![(0, 0, Tcp::default())]);
    assert_eq!(e.lookup(&record_of(&setup_key(0), RST)), Lookup::Hit(0));
    assert_eq!(
        e.take_unsolicited(),
        vec![upload_request(0, 0, UploadReason::Rst)]
    );
    check_invariants(&e, &cfg);
}

#[test]
fn handout_timeout_expires_a_held_connection() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(32);
    let tcps = setup(&mut e, &mut rng, 4);
    let d = tcp_only(&rand_tcp(&mut rng), &[Class::Delegated]);
    handout2(&mut e, vec![(3, 3, d)]);
    // Only a Held connection expires; the event is returned, not queued.
    assert_eq!(
        e.expire(1),
        Some(upload_request(1, 1, UploadReason::HandoutTimeout))
    );
    assert_eq!(e.take_unsolicited(), vec![]);
    let c = e.conn(1).unwrap();
    assert_eq!(c.state, ConnState::Expired);
    assert!(!c.upload_requested);
    assert_eq!(c.tcp, tcps[1], "nothing else changed");
    let before = snapshot(&e, &cfg);
    let stats = e.stats();
    assert_eq!(e.expire(1), None, "already Expired");
    assert_eq!(e.expire(3), None, "Offloaded");
    assert_eq!(e.expire(4), None, "free");
    assert_eq!(e.expire(256), None, "out of range");
    assert_eq!(e.expire(u16::MAX), None);
    assert_eq!(snapshot(&e, &cfg), before);
    assert_eq!(e.stats(), stats);
    assert_eq!(e.expire(2).unwrap().event_type(), EventType::UploadRequest);
    // Its frames miss again (counted as misses, not held).
    assert_eq!(e.lookup_key(&setup_key(1)), Lookup::Miss);
    assert_eq!(e.lookup(&record_of(&setup_key(1), ACK)), Lookup::Miss);
    assert_eq!(e.lookup_key(&setup_key(0)), Lookup::Held(0));
    let s = e.stats();
    assert_eq!((s.lookups, s.misses, s.held), (3, 2, 1));
    // It still occupies its slot and counts as a connection.
    assert_eq!(e.key_location(&setup_key(1)), Some(e.conn(1).unwrap().slot));
    assert_eq!(s.connections, 4);
    assert_eq!(e.path(0).unwrap().refcount, 4);
    // A late HANDOUT2 is NOT_PENDING and changes nothing.
    let ev = handout2(&mut e, vec![(1, 1, d), (0, 0, d)]);
    assert_eq!(
        results(&ev),
        vec![
            res(Kind::Tcp, EntryStatus::NotPending, 1, 1),
            ok(Kind::Tcp, 0, 0)
        ]
    );
    assert_eq!(e.conn(1).unwrap().state, ConnState::Expired);
    assert_eq!(e.conn(1).unwrap().tcp, tcps[1]);
    assert_eq!(e.stats().handout2, 2);
    // UPDATE of its CACHED state is allowed.
    let rt = rand_tcp(&mut rng);
    let ev = e.command_event(
        &Command::Update {
            tag: 5,
            update: CachedUpdate::Tcp {
                handle: 1,
                host_ctx: 1,
                tcp: rt,
            },
        }
        .encode(),
    );
    assert_eq!(results(&ev), vec![ok(Kind::Tcp, 1, 1)]);
    let c = e.conn(1).unwrap();
    assert_eq!(
        c.tcp.class_words(Class::Cached),
        rt.class_words(Class::Cached)
    );
    assert_eq!(
        c.tcp.class_words(Class::Delegated),
        vec![0; TCP_DELEGATED_WORDS]
    );
    check_invariants(&e, &cfg);
    // FLUSH: OK with all-zero DELEGATED words; key, handle and connection freed.
    let ev = flush(&mut e, &[(Kind::Tcp, 1, 1), (Kind::Tcp, 1, 1)]);
    assert_eq!(
        items(&ev),
        vec![
            FlushItem::Conn {
                result: ok(Kind::Tcp, 1, 1),
                tcp: Some(Tcp::default())
            },
            FlushItem::Conn {
                result: res(Kind::Tcp, EntryStatus::UnknownHandle, 1, 1),
                tcp: None
            },
        ]
    );
    assert_eq!(e.conn(1), None);
    assert_eq!(e.key_location(&setup_key(1)), None);
    let s = e.stats();
    assert_eq!((s.connections, s.flushes), (3, 1));
    assert_eq!(e.path(0).unwrap().refcount, 3);
    check_invariants(&e, &cfg);
    // CLOSE of the other Expired one, then of the rest: the Path and Neighbor cascade.
    let ev = e.command_event(
        &Command::Close {
            tag: 9,
            conns: [2u16, 0, 3]
                .iter()
                .map(|&h| ConnRef {
                    kind: Kind::Tcp,
                    handle: h,
                    host_ctx: h as u32,
                })
                .collect(),
        }
        .encode(),
    );
    let it = items(&ev);
    assert_eq!(
        it[0],
        FlushItem::Conn {
            result: ok(Kind::Tcp, 2, 2),
            tcp: Some(Tcp::default())
        }
    );
    assert_eq!(
        it[1],
        FlushItem::Conn {
            result: ok(Kind::Tcp, 0, 0),
            tcp: Some(d)
        }
    );
    assert!(matches!(it[3], FlushItem::PathFreed { .. }), "{it:?}");
    assert!(matches!(it[4], FlushItem::NeighborFreed { .. }), "{it:?}");
    let s = e.stats();
    assert_eq!((s.connections, s.paths, s.neighbors), (0, 0, 0));
    check_invariants(&e, &cfg);
}

#[test]
fn a_new_handout_of_a_freed_handle_starts_with_the_flag_clear() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(33);
    let nbr = nbr_vlan(None);
    let path = v4(1, 2);
    let t = tcp_ports(&mut rng, 80, 9000);
    let k = key(&nbr, &path, 80, 9000);
    let hand_out = |e: &mut EngineModel, ctx: u32| -> u16 {
        let r = results(&handout1(
            e,
            1,
            vec![new_nbr(1, nbr), new_path(2, path), tcp_block(ctx, t)],
        ));
        assert!(r.iter().all(|r| r.status == EntryStatus::Ok), "{r:?}");
        let c = e.conn(r[2].handle).unwrap();
        assert!(!c.upload_requested);
        assert_eq!(c.state, ConnState::Held);
        r[2].handle
    };
    // Round 1: offloaded, FIN raises a request, flushed.
    let h = hand_out(&mut e, 10);
    handout2(&mut e, vec![(h, 10, Tcp::default())]);
    e.lookup(&record_of(&k, FIN | ACK));
    assert!(e.conn(h).unwrap().upload_requested);
    flush(&mut e, &[(Kind::Tcp, h, 10)]);
    // Round 2: handle reused, the flag starts clear; a new request is raised.
    let h2 = hand_out(&mut e, 11);
    assert_eq!(h2, h, "the only freed handle is reused");
    handout2(&mut e, vec![(h2, 11, Tcp::default())]);
    e.lookup(&record_of(&k, RST));
    e.lookup(&record_of(&k, RST));
    // Round 3: expired, flushed, handed out again: Held, then a request again.
    flush(&mut e, &[(Kind::Tcp, h2, 11)]);
    let h3 = hand_out(&mut e, 12);
    assert_eq!(h3, h);
    assert!(e.expire(h3).is_some());
    flush(&mut e, &[(Kind::Tcp, h3, 12)]);
    let h4 = hand_out(&mut e, 13);
    assert_eq!(e.lookup(&record_of(&k, RST)), Lookup::Held(h4));
    handout2(&mut e, vec![(h4, 13, Tcp::default())]);
    assert_eq!(e.lookup(&record_of(&k, SYN)), Lookup::Hit(h4));
    use UploadReason::*;
    assert_eq!(
        e.take_unsolicited(),
        vec![
            upload_request(h, 10, Fin),
            upload_request(h, 11, Rst),
            upload_request(h, 13, Syn),
        ]
    );
    check_invariants(&e, &cfg);
}

// ----- held frames and the output stream (A6) ----------------------------------

/// A record for `setup`'s connection `i` with sequence number `seq` (to tell frames apart).
fn seq_record(i: u16, seq: u32) -> RawRecord {
    let mut r = record_of(&setup_key(i), 0);
    r.set(meta::field("tcp_seq").unwrap(), seq as u128);
    r.set(meta::field("frame_len").unwrap(), 100);
    r
}

fn seqs(d: &[host_model::Delivery]) -> Vec<(u32, Lookup)> {
    d.iter()
        .map(|d| {
            (
                d.record.get(meta::field("tcp_seq").unwrap()) as u32,
                d.lookup,
            )
        })
        .collect()
}

#[test]
fn held_frames_wait_for_handout2_in_order() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(40);
    setup(&mut e, &mut rng, 3);
    // Conn 0 and 1 held; a frame of an unknown connection passes at once.
    assert_eq!(e.lookup(&seq_record(0, 1)), Lookup::Held(0));
    assert_eq!(e.lookup(&seq_record(1, 2)), Lookup::Held(1));
    assert_eq!(e.lookup(&seq_record(0, 3)), Lookup::Held(0));
    assert_eq!(e.lookup(&seq_record(9, 4)), Lookup::Miss);
    assert_eq!(seqs(&e.take_delivered()), vec![(4, Lookup::Miss)]);
    assert_eq!(e.held_frames().len(), 3);
    // HANDOUT2 of conn 0 releases its two frames, oldest first, as hits.
    let ev = handout2(&mut e, vec![(0, 0, Tcp::default())]);
    assert_eq!(results(&ev)[0].status, EntryStatus::Ok);
    assert_eq!(
        seqs(&e.take_delivered()),
        vec![(1, Lookup::Hit(0)), (3, Lookup::Hit(0))]
    );
    // Later frames of conn 0 pass; conn 1's frame is still held.
    assert_eq!(e.lookup(&seq_record(0, 5)), Lookup::Hit(0));
    assert_eq!(seqs(&e.take_delivered()), vec![(5, Lookup::Hit(0))]);
    assert_eq!(e.held_frames().len(), 1);
    // FLUSH of held conn 1 releases its frame as a miss (to the host).
    flush(&mut e, &[(Kind::Tcp, 1, 1)]);
    assert_eq!(seqs(&e.take_delivered()), vec![(2, Lookup::Miss)]);
    // Timeout of held conn 2 does the same.
    assert_eq!(e.lookup(&seq_record(2, 6)), Lookup::Held(2));
    assert!(e.take_delivered().is_empty());
    assert!(e.expire(2).is_some());
    assert_eq!(seqs(&e.take_delivered()), vec![(6, Lookup::Miss)]);
    assert!(e.held_frames().is_empty());
    assert_eq!(e.stats().hold_drops, 0);
}

#[test]
fn the_hold_store_drops_and_counts_when_full() {
    let cfg = cfg(256);
    let mut e = EngineModel::new(&cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    setup(&mut e, &mut rng, 2);
    for s in 0..HOLD_FRAMES as u32 + 3 {
        assert_eq!(
            e.lookup(&seq_record((s % 2) as u16, s)),
            Lookup::Held((s % 2) as u16)
        );
    }
    assert_eq!(e.held_frames().len(), HOLD_FRAMES);
    assert_eq!(e.stats().hold_drops, 3);
    assert_eq!(e.stats().held, HOLD_FRAMES as u64 + 3);
    // An oversize frame is counted (and still looked up).
    let mut big = seq_record(5, 99);
    big.set(
        meta::field("frame_len").unwrap(),
        ENGINE_MAX_FRAME as u128 + 1,
    );
    assert_eq!(e.lookup(&big), Lookup::Miss);
    assert_eq!(e.stats().oversize, 1);
    // Releasing conn 1 frees its slots: held frames fit again.
    handout2(&mut e, vec![(1, 1, Tcp::default())]);
    let out = seqs(&e.take_delivered());
    assert_eq!(out.len(), 1 + HOLD_FRAMES / 2);
    assert_eq!(e.lookup(&seq_record(0, 200)), Lookup::Held(0));
    assert_eq!(e.held_frames().len(), HOLD_FRAMES / 2 + 1);
}

/// The receive path model's RXBUF rules and ring accounting (`host_model::rx_path`).
#[test]
fn rx_path_model_rxbuf_rules_and_ring() {
    use host_model::rx_path::{RingWrite, RxPathModel};
    let cfg = host_model::Resolved::default_config();
    let mut m = RxPathModel::new(EngineModel::new(&cfg));
    let trailer = |m: &mut RxPathModel, w: &[u64]| m.command_event(w).trailer();
    let hdr = |count: u64, tag: u64| 8 | count << 16 | tag << 32;
    assert_eq!(trailer(&mut m, &[hdr(2, 1), 0x100, 0x900]), Trailer::ok(2));
    let t = trailer(&mut m, &[hdr(3, 2), 0x1100, 0x1903, 0x2100]);
    assert_eq!((t.status, t.consumed), (CmdStatus::BadEntry, 1));
    let t = trailer(&mut m, &[hdr(3, 3), 0x3000]);
    assert_eq!((t.status, t.consumed), (CmdStatus::Truncated, 1));
    let t = trailer(&mut m, &[hdr(1, 4), 0x4000, 0x5000]);
    assert_eq!((t.status, t.consumed), (CmdStatus::TrailingWords, 1));
    let ev = m.command_event(&[9 | 5 << 32]);
    assert!(matches!(ev, Event::Error { tag: 5, .. }));
    assert_eq!(ev.trailer().status, CmdStatus::BadOpcode);
    assert_eq!(m.ring().len(), 5);
    let room = RX_RING_SLOTS - 5;
    let mut w = vec![hdr(room as u64 + 2, 6)];
    w.extend((0..room + 2).map(|i| 0x10_0000 + 8 * i as u64));
    let t = trailer(&mut m, &w);
    assert_eq!((t.status, t.consumed as usize), (CmdStatus::RingFull, room));
    assert_eq!(m.engine.stats().command_errors, 5);
    // The engine without the receive path does not know RXBUF.
    let mut e = EngineModel::new(&cfg);
    assert_eq!(
        e.command_event(&[hdr(1, 7), 0x100]).trailer().status,
        CmdStatus::BadOpcode
    );
    // Frames use the buffers in order; with none left they are dropped and counted.
    let rec = host_model::RxMeta::decode(&host_model::RawRecord(vec![0; 16])).encode();
    let d = host_model::Delivery {
        record: rec,
        lookup: Lookup::NotTcp,
    };
    let RingWrite::Written { addr, .. } = m.deliver(&d, true) else {
        panic!("a buffer is posted")
    };
    assert_eq!(addr, 0x100);
    let mut m2 = RxPathModel::new(EngineModel::new(&cfg));
    assert_eq!(m2.deliver(&d, true), RingWrite::Dropped);
    assert_eq!(m2.engine.stats().ring_drops, 1);
}
