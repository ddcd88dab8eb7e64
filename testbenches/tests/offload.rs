//! The offload core under Verilator against the host model's engine model
//! (`host_model::engine`): same responses word for word, same lookup results.

use anyhow::Result;
use host_model::engine::{EngineModel, Lookup};
use host_model::proto::*;
use host_model::{Config, Resolved};
use host_model::{RawRecord, RxMeta};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::engine_sim::{EngineSim, Tagged};
use testbenches::reference::reference;
use testbenches::scenario::peer_frame;

fn cfg(connections: u32) -> Resolved {
    cfg_timeout(connections, 1_000_000)
}

/// `timeout_us`: HANDOUT1 timeout (1 s by default here, so random runs never see one).
fn cfg_timeout(connections: u32, timeout_us: u32) -> Resolved {
    let mut c = Config::default();
    c.offload.connections = connections;
    c.offload.handout_timeout_us = timeout_us;
    c.resolve().unwrap()
}

/// A TCP frame from the peer to us for `key` (etherparse builds it).
fn frame_for(key: &FlowKey, seq: u32, payload: &[u8]) -> Vec<u8> {
    frame_flags(key, seq, payload, 0)
}

/// As [`frame_for`], with extra TCP flags (bit 0 FIN, 1 SYN, 2 RST, 5 URG).
fn frame_flags(key: &FlowKey, seq: u32, payload: &[u8], flags: u16) -> Vec<u8> {
    peer_frame(key, seq, Some(1), flags, payload)
}

fn status_of(l: Lookup) -> (u8, u16) {
    l.code()
}

/// The record the receive parser makes of `frame` (the independent reference parser).
fn record_of(sim: &EngineSim, frame: &[u8]) -> RawRecord {
    reference(frame, false, sim.config().config.rx.min_frame_len).encode()
}

/// The frames the model delivered since the last call leave the RTL in the same order,
/// with the same status, connection and record, each with its own bytes.
fn check_delivered(sim: &mut EngineSim, model: &mut EngineModel, what: &str) -> Result<()> {
    let want = model.take_delivered();
    let got = sim.wait_tagged(want.len())?;
    let min = sim.config().config.rx.min_frame_len;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let meta = RxMeta::decode(&w.record);
        assert_eq!(
            (g.status, g.conn),
            status_of(w.lookup),
            "{what}: delivery {i} (seq {:?})",
            meta.tcp_seq
        );
        assert_eq!(
            RxMeta::decode(&g.record),
            meta,
            "{what}: delivery {i} record"
        );
        assert_eq!(
            reference(&g.frame, g.user, min),
            meta,
            "{what}: delivery {i}: the frame is not the record's"
        );
    }
    Ok(())
}

/// Both engines answer `cmd`; the responses must be identical, and so must the frames
/// the command releases.
fn both(sim: &mut EngineSim, model: &mut EngineModel, cmd: &[u64], what: &str) -> Result<Event> {
    let want = model.command(cmd);
    let got = sim.command(cmd)?;
    check_delivered(sim, model, what)?;
    assert_eq!(
        got,
        want,
        "{what}: RTL and model responses differ\ncommand {cmd:x?}\nRTL   {:?}\nmodel {:?}",
        Event::decode(&got),
        Event::decode(&want)
    );
    Ok(Event::decode(&want).expect("the model's response decodes"))
}

/// Frames for `keys` through both; lookup results must match.
fn lookups(
    sim: &mut EngineSim,
    model: &mut EngineModel,
    keys: &[FlowKey],
) -> Result<Vec<(u8, u16)>> {
    lookups_flags(
        sim,
        model,
        &keys.iter().map(|k| (*k, 0)).collect::<Vec<_>>(),
    )
}

/// Frames with TCP flags through both: same lookups, and the same upload requests
/// (RST, FIN, SYN, URG on offloaded connections), once per connection, in order.
fn lookups_flags(
    sim: &mut EngineSim,
    model: &mut EngineModel,
    keys: &[(FlowKey, u16)],
) -> Result<Vec<(u8, u16)>> {
    let frames: Vec<Vec<u8>> = keys
        .iter()
        .enumerate()
        .map(|(i, (k, f))| frame_flags(k, i as u32, &[0x55; 20], *f))
        .collect();
    let mut out = vec![];
    for f in &frames {
        sim.push_frame(f.clone());
        out.push(status_of(model.lookup(&record_of(sim, f))));
    }
    check_delivered(sim, model, "frames")?;
    // The engine sends its upload requests between responses: give it time.
    sim.run_cycles(200);
    let got: Vec<Event> = sim
        .unsolicited
        .drain(..)
        .map(|(w, _)| Event::decode(&w).expect("upload request decodes"))
        .collect();
    assert_eq!(got, model.take_unsolicited(), "upload requests");
    assert_eq!(
        sim.pending_tagged(),
        0,
        "the engine delivered frames the model holds"
    );
    Ok(out)
}

struct Gen {
    rng: ChaCha8Rng,
    /// Small pools so keys repeat (duplicates) and buckets collide.
    remote_pool: Vec<u128>,
    tag: u32,
    ctx: u32,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let remote_pool = (0..6).map(|_| rng.random::<u32>() as u128).collect();
        Gen {
            rng,
            remote_pool,
            tag: 0,
            ctx: 0,
        }
    }

    fn tag(&mut self) -> u32 {
        self.tag += 1;
        self.tag
    }

    fn ctx(&mut self) -> u32 {
        self.ctx += 1;
        self.ctx
    }

    fn nbr(&mut self) -> Neighbor {
        let mut n =
            Neighbor::from_words(&[self.rng.random(), self.rng.random(), self.rng.random()]);
        n.vlan_present = self.rng.random_bool(0.3) as u64;
        n.vlan_id = self.rng.random_range(0..4);
        n
    }

    fn path(&mut self) -> Path {
        let v6 = self.rng.random_bool(0.3);
        let r = self.remote_pool[self.rng.random_range(0..self.remote_pool.len())];
        let mut p = if v6 {
            Path::v6(0xfd00 << 112 | 1, 0xfd00 << 112 | r)
        } else {
            Path::v4(0x0a00_0001, r as u32)
        };
        // Garbage above an IPv4 address must not matter.
        if !v6 && self.rng.random_bool(0.2) {
            p.local_ip_hi = self.rng.random();
        }
        p.ip_id_start = self.rng.random_range(0..65536);
        p.path_mtu = 1500;
        p
    }

    fn tcp(&mut self) -> Tcp {
        let mut t = Tcp::from_words(
            &(0..Tcp::WORDS)
                .map(|_| self.rng.random())
                .collect::<Vec<u64>>(),
        );
        t.local_port = [80, 443][self.rng.random_range(0..2)];
        t.remote_port = self.rng.random_range(40000..40040);
        t
    }

    /// A block list: a few trees, sometimes reusing live objects.
    fn block_list(&mut self, model: &EngineModel, n_conns: usize) -> Vec<Block> {
        let mut blocks = vec![];
        let live: Vec<u16> = model.live_conns();
        let mut left = n_conns;
        while left > 0 {
            // A Neighbor: new, or reuse a live one (through a live connection's Path).
            let pick = self.rng.random_range(0..10);
            if !live.is_empty() && pick < 3 {
                let c = model
                    .conn(live[self.rng.random_range(0..live.len())])
                    .unwrap();
                let p = model.path(c.path).unwrap();
                let h = if self.rng.random_bool(0.1) {
                    c.path ^ 1
                } else {
                    c.path
                };
                blocks.push(Block::Path {
                    host_ctx: if self.rng.random_bool(0.1) {
                        7
                    } else {
                        p.host_ctx
                    },
                    obj: ObjRef::Reuse(h),
                });
            } else if !live.is_empty() && pick < 7 {
                // Reuse a live Neighbor, new Path.
                let c = model
                    .conn(live[self.rng.random_range(0..live.len())])
                    .unwrap();
                let n = model.path(c.path).unwrap().nbr;
                let nv = model.neighbor(n).unwrap();
                blocks.push(Block::Neighbor {
                    host_ctx: nv.host_ctx,
                    obj: ObjRef::Reuse(n),
                });
                let ctx = self.ctx();
                blocks.push(Block::Path {
                    host_ctx: ctx,
                    obj: ObjRef::New(self.path()),
                });
            } else {
                let ctx = self.ctx();
                blocks.push(Block::Neighbor {
                    host_ctx: ctx,
                    obj: ObjRef::New(self.nbr()),
                });
                let ctx = self.ctx();
                blocks.push(Block::Path {
                    host_ctx: ctx,
                    obj: ObjRef::New(self.path()),
                });
            }
            let k = self.rng.random_range(1..=left.min(8));
            for _ in 0..k {
                let ctx = self.ctx();
                let tcp = self.tcp();
                blocks.push(Block::Tcp { host_ctx: ctx, tcp });
            }
            left -= k;
        }
        if self.rng.random_bool(0.05) {
            // A TCP block with no Path before it.
            let ctx = self.ctx();
            blocks.insert(
                0,
                Block::Tcp {
                    host_ctx: ctx,
                    tcp: self.tcp(),
                },
            );
        }
        blocks
    }

    fn conn_refs(&mut self, model: &EngineModel, n: usize) -> Vec<ConnRef> {
        let live = model.live_conns();
        (0..n)
            .map(|_| {
                if !live.is_empty() && self.rng.random_bool(0.85) {
                    let h = live[self.rng.random_range(0..live.len())];
                    let c = model.conn(h).unwrap();
                    ConnRef {
                        kind: Kind::Tcp,
                        handle: h,
                        host_ctx: c.host_ctx,
                    }
                } else {
                    let kind = [Kind::Tcp, Kind::Path, Kind::Neighbor][self.rng.random_range(0..3)];
                    ConnRef {
                        kind,
                        handle: self.rng.random_range(0..300),
                        host_ctx: self.rng.random_range(0..50),
                    }
                }
            })
            .collect()
    }

    /// Corrupt a valid command: truncate it, set reserved bits, break a kind, add words.
    fn mangle(&mut self, mut w: Vec<u64>) -> Vec<u64> {
        match self.rng.random_range(0..6) {
            0 if w.len() > 1 => {
                let n = self.rng.random_range(1..w.len());
                w.truncate(n);
            }
            1 => w[0] |= 1 << self.rng.random_range(8..16),
            2 => w[0] = (w[0] & !0xFF) | self.rng.random_range(8..0x80),
            3 if w.len() > 1 => {
                let i = self.rng.random_range(1..w.len());
                w[i] = self.rng.random();
            }
            4 => w.push(self.rng.random()),
            _ => w[0] = w[0].wrapping_add(1 << 16),
        }
        w
    }
}

/// Long random sequences of commands (valid and malformed) and frames, small table so
/// that it fills: every response and every lookup identical to the model's.
#[test]
fn random_commands_and_lookups_match_the_model() -> Result<()> {
    let cfg = cfg(256);
    let mut sim = EngineSim::for_test(&cfg, "offload_random")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(2027);
    let caps = both(
        &mut sim,
        &mut model,
        &Command::Caps { tag: 1 }.encode(),
        "caps",
    )?;
    assert!(matches!(caps, Event::Caps { caps, .. } if caps.connections == 256));
    let mut held: Vec<(u16, u32)> = vec![];
    let mut saw = std::collections::BTreeMap::<String, usize>::new();
    for step in 0..600 {
        let choice = g.rng.random_range(0..100);
        let tag = g.tag();
        let cmd: Vec<u64> = if choice < 30 {
            let n = g.rng.random_range(1..12);
            let blocks = g.block_list(&model, n);
            Command::Handout1 { tag, blocks }.encode()
        } else if choice < 50 {
            // HANDOUT2 for connections held, sometimes a wrong one.
            let live = model.live_conns();
            let mut entries = vec![];
            for h in live.iter().copied() {
                let c = model.conn(h).unwrap();
                if c.state == host_model::engine::ConnState::Held && g.rng.random_bool(0.7) {
                    entries.push(Handout2Entry {
                        handle: h,
                        host_ctx: c.host_ctx,
                        tcp: g.tcp(),
                    });
                }
            }
            if g.rng.random_bool(0.2) {
                entries.push(Handout2Entry {
                    handle: g.rng.random_range(0..300),
                    host_ctx: 3,
                    tcp: g.tcp(),
                });
            }
            Command::Handout2 { tag, entries }.encode()
        } else if choice < 65 {
            let n = g.rng.random_range(1..5);
            let conns = g.conn_refs(&model, n);
            if g.rng.random_bool(0.3) {
                Command::Close { tag, conns }.encode()
            } else {
                Command::Flush { tag, conns }.encode()
            }
        } else if choice < 72 {
            let live = model.live_conns();
            let update = if let Some(&h) = live.first() {
                let c = model.conn(h).unwrap();
                let p = model.path(c.path).unwrap();
                match g.rng.random_range(0..3) {
                    0 => CachedUpdate::Neighbor {
                        handle: p.nbr,
                        host_ctx: model.neighbor(p.nbr).unwrap().host_ctx,
                        nbr: g.nbr(),
                    },
                    1 => CachedUpdate::Path {
                        handle: c.path,
                        host_ctx: p.host_ctx,
                        path: g.path(),
                    },
                    _ => CachedUpdate::Tcp {
                        handle: h,
                        host_ctx: c.host_ctx,
                        tcp: g.tcp(),
                    },
                }
            } else {
                CachedUpdate::Tcp {
                    handle: 5,
                    host_ctx: 5,
                    tcp: g.tcp(),
                }
            };
            Command::Update { tag, update }.encode()
        } else if choice < 75 {
            Command::Stats { tag }.encode()
        } else if choice < 90 {
            let n = g.rng.random_range(1..6);
            let blocks = g.block_list(&model, n);
            let w = Command::Handout1 { tag, blocks }.encode();
            g.mangle(w)
        } else {
            // Frames: keys of live connections and random ones.
            let live = model.live_conns();
            let mut keys: Vec<(FlowKey, u16)> = vec![];
            for h in live.iter().take(20) {
                let f = [0, 0, 0, 0, 0, 1, 2, 4, 0x20, 5][g.rng.random_range(0..10)];
                keys.push((model.conn(*h).unwrap().key, f));
            }
            for _ in 0..5 {
                let p = g.path();
                let n = g.nbr();
                let t = g.tcp();
                keys.push((FlowKey::of(&n, &p, &t), 0));
            }
            let res = lookups_flags(&mut sim, &mut model, &keys)?;
            for (s, _) in res {
                *saw.entry(format!("lookup {s}")).or_default() += 1;
            }
            continue;
        };
        let ev = both(&mut sim, &mut model, &cmd, &format!("step {step}"))?;
        let t = ev.trailer();
        *saw.entry(format!("{:?} {:?}", ev.event_type(), t.status))
            .or_default() += 1;
        if let Event::Interlock { results, .. } = &ev {
            for r in results {
                *saw.entry(format!("h1 {:?}", r.status)).or_default() += 1;
                if r.kind == Kind::Tcp && r.status == EntryStatus::Ok {
                    held.push((r.handle, r.host_ctx));
                }
            }
        }
    }
    // Flush everything: the RTL returns the same state as the model.
    let all: Vec<ConnRef> = model
        .live_conns()
        .iter()
        .map(|h| ConnRef {
            kind: Kind::Tcp,
            handle: *h,
            host_ctx: model.conn(*h).unwrap().host_ctx,
        })
        .collect();
    for chunk in all.chunks(50) {
        let tag = g.tag();
        both(
            &mut sim,
            &mut model,
            &Command::Flush {
                tag,
                conns: chunk.to_vec(),
            }
            .encode(),
            "final flush",
        )?;
    }
    let tag = g.tag();
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Stats { tag }.encode(),
        "final stats",
    )?;
    eprintln!("outcomes: {saw:#?}\nfinal: {ev:?}");
    // The run exercised what it is meant to exercise.
    for must in [
        "h1 NoResources",
        "h1 Duplicate",
        "h1 Ok",
        "h1 ParentRefused",
        "lookup 1",
        "lookup 2",
        "lookup 3",
    ] {
        assert!(
            saw.contains_key(must),
            "the random run never produced `{must}`: {saw:?}"
        );
    }
    assert!(!held.is_empty());
    Ok(())
}

/// A flush right after a handout returns exactly the DELEGATED state handed out, and
/// every dependent connection sees one cached update of its Neighbor.
#[test]
fn flush_after_handout_returns_the_state() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = EngineSim::for_test(&cfg, "offload_flush_state")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(7);
    let blocks = vec![
        Block::Neighbor {
            host_ctx: 100,
            obj: ObjRef::New(g.nbr()),
        },
        Block::Path {
            host_ctx: 200,
            obj: ObjRef::New(Path::v4(0x0a000001, 0x0a000002)),
        },
        Block::Tcp {
            host_ctx: 300,
            tcp: Tcp {
                local_port: 80,
                remote_port: 5000,
                ..g.tcp()
            },
        },
        Block::Tcp {
            host_ctx: 301,
            tcp: Tcp {
                local_port: 80,
                remote_port: 5001,
                ..g.tcp()
            },
        },
    ];
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Handout1 { tag: 1, blocks }.encode(),
        "handout1",
    )?;
    let Event::Interlock { results, .. } = ev else {
        panic!("{ev:?}")
    };
    assert!(
        results.iter().all(|r| r.status == EntryStatus::Ok),
        "{results:?}"
    );
    let conns: Vec<(u16, u32)> = results
        .iter()
        .filter(|r| r.kind == Kind::Tcp)
        .map(|r| (r.handle, r.host_ctx))
        .collect();
    let states: Vec<Tcp> = conns.iter().map(|_| g.tcp()).collect();
    let entries = conns
        .iter()
        .zip(&states)
        .map(|((h, c), t)| Handout2Entry {
            handle: *h,
            host_ctx: *c,
            tcp: *t,
        })
        .collect();
    both(
        &mut sim,
        &mut model,
        &Command::Handout2 { tag: 2, entries }.encode(),
        "handout2",
    )?;
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Flush {
            tag: 3,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle: conns[0].0,
                host_ctx: conns[0].1,
            }],
        }
        .encode(),
        "flush",
    )?;
    let Event::Flushed { items, .. } = ev else {
        panic!("{ev:?}")
    };
    let FlushItem::Conn {
        tcp: Some(back), ..
    } = items[0]
    else {
        panic!("{items:?}")
    };
    let mut want = Tcp::default();
    want.set_class_words(Class::Delegated, &states[0].class_words(Class::Delegated));
    assert_eq!(back, want, "DELEGATED state comes back exactly");
    // The other connection still hits; a flush of the last one frees Path and Neighbor.
    let key = model.conn(conns[1].0).unwrap().key;
    assert_eq!(
        lookups(&mut sim, &mut model, &[key])?,
        vec![(3, conns[1].0)]
    );
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Close {
            tag: 4,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle: conns[1].0,
                host_ctx: conns[1].1,
            }],
        }
        .encode(),
        "close",
    )?;
    let Event::Flushed {
        items, close: true, ..
    } = ev
    else {
        panic!("{ev:?}")
    };
    assert!(
        matches!(items[1], FlushItem::PathFreed { .. })
            && matches!(items[2], FlushItem::NeighborFreed { .. }),
        "{items:?}"
    );
    assert_eq!(lookups(&mut sim, &mut model, &[key])?, vec![(1, 0)]);
    Ok(())
}

/// Keys that land in the same bucket of both banks: 8 fit (4 ways in each bank), the
/// next ones are refused `TABLE_FULL` and counted; a freed way is reused.
#[test]
fn colliding_keys_fill_both_buckets_then_table_full() -> Result<()> {
    let cfg = cfg(256);
    let mut sim = EngineSim::for_test(&cfg, "offload_table_full")?;
    let mut model = EngineModel::new(&cfg);
    let bits = cfg.bucket_bits;
    let nbr = Neighbor::default();
    let path = Path::v4(0x0a00_0001, 0x0a00_0002);
    let key = |lp: u16, rp: u16| {
        FlowKey::of(
            &nbr,
            &path,
            &Tcp {
                local_port: lp as u64,
                remote_port: rp as u64,
                ..Tcp::default()
            },
        )
    };
    let target = (h3_hash(0, &key(80, 1), bits), h3_hash(1, &key(80, 1), bits));
    let mut ports = vec![];
    for rp in 1..=u16::MAX {
        let k = key(80, rp);
        if (h3_hash(0, &k, bits), h3_hash(1, &k, bits)) == target {
            ports.push(rp);
            if ports.len() == 10 {
                break;
            }
        }
    }
    assert_eq!(ports.len(), 10, "found 10 colliding keys");
    let mut blocks = vec![
        Block::Neighbor {
            host_ctx: 1,
            obj: ObjRef::New(nbr),
        },
        Block::Path {
            host_ctx: 2,
            obj: ObjRef::New(path),
        },
    ];
    for (i, rp) in ports.iter().enumerate() {
        blocks.push(Block::Tcp {
            host_ctx: 10 + i as u32,
            tcp: Tcp {
                local_port: 80,
                remote_port: *rp as u64,
                ..Tcp::default()
            },
        });
    }
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Handout1 { tag: 1, blocks }.encode(),
        "handout1",
    )?;
    let Event::Interlock { results, .. } = ev else {
        panic!()
    };
    let st: Vec<EntryStatus> = results[2..].iter().map(|r| r.status).collect();
    assert_eq!(&st[..8], &[EntryStatus::Ok; 8]);
    assert_eq!(&st[8..], &[EntryStatus::TableFull; 2]);
    let first = results[2];
    both(
        &mut sim,
        &mut model,
        &Command::Flush {
            tag: 2,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle: first.handle,
                host_ctx: first.host_ctx,
            }],
        }
        .encode(),
        "flush",
    )?;
    let blocks = vec![
        Block::Path {
            host_ctx: 2,
            obj: ObjRef::Reuse(results[1].handle),
        },
        Block::Tcp {
            host_ctx: 99,
            tcp: Tcp {
                local_port: 80,
                remote_port: ports[9] as u64,
                ..Tcp::default()
            },
        },
    ];
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Handout1 { tag: 3, blocks }.encode(),
        "reinsert",
    )?;
    let Event::Interlock { results, .. } = ev else {
        panic!()
    };
    assert_eq!(results[1].status, EntryStatus::Ok);
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Stats { tag: 4 }.encode(),
        "stats",
    )?;
    let Event::Stats { stats, .. } = ev else {
        panic!()
    };
    assert_eq!(stats.insert_failures, 2);
    // Every colliding key is found by lookup: 8 held (ports 1..8 minus the flushed + port 10), 1 miss.
    let keys: Vec<FlowKey> = ports.iter().map(|p| key(80, *p)).collect();
    let res = lookups(&mut sim, &mut model, &keys)?;
    assert_eq!(res.iter().filter(|r| r.0 == 2).count(), 8);
    Ok(())
}

/// A block list of 1,000 connections sharing 10 Paths: handout cost in clocks per
/// connection (HANDOUT1 + HANDOUT2), and lookups of back-to-back 64-byte frames at
/// one per frame with zero bubbles.
#[test]
fn block_list_of_1000_and_line_rate_lookups() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = EngineSim::for_test(&cfg, "offload_block_list")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(99);
    let mut blocks = vec![Block::Neighbor {
        host_ctx: 1,
        obj: ObjRef::New(g.nbr()),
    }];
    for p in 0..10u32 {
        blocks.push(Block::Path {
            host_ctx: 100 + p,
            obj: ObjRef::New(Path::v4(0x0a00_0001, 0x0a00_1000 + p)),
        });
        for c in 0..100u32 {
            blocks.push(Block::Tcp {
                host_ctx: 1000 + p * 100 + c,
                tcp: Tcp {
                    local_port: 80,
                    remote_port: (20000 + c) as u64,
                    ..g.tcp()
                },
            });
        }
    }
    let cmd = Command::Handout1 { tag: 1, blocks }.encode();
    let c0 = sim.cycles();
    let ev = both(&mut sim, &mut model, &cmd, "block list")?;
    let c1 = sim.cycles();
    let Event::Interlock {
        results, trailer, ..
    } = ev
    else {
        panic!()
    };
    assert_eq!(trailer.status, CmdStatus::Ok);
    let conns: Vec<_> = results
        .iter()
        .filter(|r| r.kind == Kind::Tcp && r.status == EntryStatus::Ok)
        .collect();
    assert_eq!(conns.len(), 1000, "all 1,000 connections fit");
    let entries = conns
        .iter()
        .map(|r| Handout2Entry {
            handle: r.handle,
            host_ctx: r.host_ctx,
            tcp: g.tcp(),
        })
        .collect();
    let c2 = sim.cycles();
    both(
        &mut sim,
        &mut model,
        &Command::Handout2 { tag: 2, entries }.encode(),
        "handout2",
    )?;
    let c3 = sim.cycles();
    let per_conn = ((c1 - c0) + (c3 - c2)) as f64 / 1000.0;
    eprintln!(
        "handout: HANDOUT1 {} clocks, HANDOUT2 {} clocks, {per_conn:.1} clocks per connection",
        c1 - c0,
        c3 - c2
    );
    assert!(
        per_conn <= 50.0,
        "handout costs {per_conn:.1} clocks per connection (target 50)"
    );
    // 64-byte frames back to back, all hits: one tagged record every 8 clocks.
    let keys: Vec<FlowKey> = conns
        .iter()
        .take(200)
        .map(|r| model.conn(r.handle).unwrap().key)
        .collect();
    let frames: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| {
            let mut f = frame_for(k, 1, &[]);
            f.truncate(64.max(f.len()));
            f.resize(64, 0);
            f
        })
        .collect();
    let tagged = sim.frames(&frames)?;
    for (t, k) in tagged.iter().zip(&keys) {
        let want = status_of(model.lookup(&t.record));
        assert_eq!((t.status, t.conn), want, "{k:?}");
        assert_eq!(t.status, 3);
    }
    model.take_delivered();
    let gaps: Vec<u64> = tagged.windows(2).map(|w| w[1].cycle - w[0].cycle).collect();
    assert!(
        gaps.iter().all(|g| *g == 8),
        "one lookup per 8-clock frame: {gaps:?}"
    );
    // The frames leave the same way: 8 beats each, no idle clock between frames.
    for w in tagged.windows(2) {
        assert_eq!(
            w[0].frame_cycles.1 - w[0].frame_cycles.0,
            7,
            "8 beats, one per clock"
        );
        assert_eq!(
            w[1].frame_cycles.0,
            w[0].frame_cycles.1 + 1,
            "no idle clock"
        );
    }
    Ok(())
}

/// HANDOUT1 without HANDOUT2: after the configured timeout the engine stops holding the
/// connection's frames (they miss), asks the host to upload it, and answers a late
/// HANDOUT2 with NOT_PENDING; the flush returns zeros. The model agrees.
#[test]
fn handout1_times_out_into_an_upload_request() -> Result<()> {
    let cfg = cfg_timeout(256, 20);
    let timeout = cfg.handout_timeout_cycles as u64;
    assert_eq!(timeout, 3125);
    let mut sim = EngineSim::for_test(&cfg, "offload_timeout")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(5);
    let blocks = vec![
        Block::Neighbor {
            host_ctx: 1,
            obj: ObjRef::New(g.nbr()),
        },
        Block::Path {
            host_ctx: 2,
            obj: ObjRef::New(Path::v4(0x0a000001, 0x0a000002)),
        },
        Block::Tcp {
            host_ctx: 30,
            tcp: Tcp {
                local_port: 80,
                remote_port: 1,
                ..g.tcp()
            },
        },
        Block::Tcp {
            host_ctx: 31,
            tcp: Tcp {
                local_port: 80,
                remote_port: 2,
                ..g.tcp()
            },
        },
    ];
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Handout1 { tag: 1, blocks }.encode(),
        "h1",
    )?;
    let t0 = sim.cycles();
    let Event::Interlock { results, .. } = ev else {
        panic!()
    };
    let (a, b) = (results[2], results[3]);
    let entries = vec![Handout2Entry {
        handle: a.handle,
        host_ctx: a.host_ctx,
        tcp: g.tcp(),
    }];
    both(
        &mut sim,
        &mut model,
        &Command::Handout2 { tag: 2, entries }.encode(),
        "h2",
    )?;
    let keys = [
        model.conn(a.handle).unwrap().key,
        model.conn(b.handle).unwrap().key,
    ];
    assert_eq!(
        lookups(&mut sim, &mut model, &keys)?,
        vec![(3, a.handle), (2, b.handle)]
    );
    // Wait past the deadline plus one sweep of the table (3 idle clocks per connection).
    sim.run_cycles(timeout + 3 * 256 + 100);
    let evs: Vec<(Event, u64)> = sim
        .unsolicited
        .drain(..)
        .map(|(w, c)| (Event::decode(&w).unwrap(), c))
        .collect();
    assert_eq!(evs.len(), 1, "{evs:?}");
    let want = model
        .expire(b.handle)
        .expect("the held connection expires in the model");
    // Its held frame leaves now, as a miss (to the host).
    check_delivered(&mut sim, &mut model, "expired")?;
    assert_eq!(evs[0].0, want);
    assert_eq!(
        want,
        Event::UploadRequest {
            handle: b.handle,
            host_ctx: 31,
            reason: UploadReason::HandoutTimeout
        }
    );
    let late = evs[0].1 - t0;
    assert!(
        late >= timeout && late <= timeout + 3 * 256 + 20,
        "timed out {late} clocks after HANDOUT1 (timeout {timeout})"
    );
    // Frames miss now; a late HANDOUT2 is NOT_PENDING; the flush returns zeros.
    assert_eq!(
        lookups(&mut sim, &mut model, &keys)?,
        vec![(3, a.handle), (1, 0)]
    );
    let entries = vec![Handout2Entry {
        handle: b.handle,
        host_ctx: b.host_ctx,
        tcp: g.tcp(),
    }];
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Handout2 { tag: 3, entries }.encode(),
        "late h2",
    )?;
    let Event::HandoutDone { results, .. } = ev else {
        panic!()
    };
    assert_eq!(results[0].status, EntryStatus::NotPending);
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Flush {
            tag: 4,
            conns: vec![ConnRef {
                kind: Kind::Tcp,
                handle: b.handle,
                host_ctx: 31,
            }],
        }
        .encode(),
        "flush",
    )?;
    let Event::Flushed { items, .. } = ev else {
        panic!()
    };
    assert_eq!(
        items[0],
        FlushItem::Conn {
            result: ResultEntry {
                kind: Kind::Tcp,
                status: EntryStatus::Ok,
                handle: b.handle,
                host_ctx: 31
            },
            tcp: Some(Tcp::default())
        }
    );
    Ok(())
}

/// A FIN, RST, SYN or URG on an offloaded connection raises one upload request with
/// that reason, once per connection; held connections raise none.
#[test]
fn exceptions_raise_one_upload_request_per_connection() -> Result<()> {
    let cfg = cfg(256);
    let mut sim = EngineSim::for_test(&cfg, "offload_exceptions")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(6);
    let mut blocks = vec![
        Block::Neighbor {
            host_ctx: 1,
            obj: ObjRef::New(g.nbr()),
        },
        Block::Path {
            host_ctx: 2,
            obj: ObjRef::New(Path::v6(0xfd00 << 112 | 1, 0xfd00 << 112 | 2)),
        },
    ];
    for i in 0..6u64 {
        blocks.push(Block::Tcp {
            host_ctx: 40 + i as u32,
            tcp: Tcp {
                local_port: 443,
                remote_port: 100 + i,
                ..g.tcp()
            },
        });
    }
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Handout1 { tag: 1, blocks }.encode(),
        "h1",
    )?;
    let Event::Interlock { results, .. } = ev else {
        panic!()
    };
    let conns: Vec<ResultEntry> = results[2..].to_vec();
    // Hand out all but the last (it stays held).
    let entries = conns[..5]
        .iter()
        .map(|r| Handout2Entry {
            handle: r.handle,
            host_ctx: r.host_ctx,
            tcp: g.tcp(),
        })
        .collect();
    both(
        &mut sim,
        &mut model,
        &Command::Handout2 { tag: 2, entries }.encode(),
        "h2",
    )?;
    let key = |i: usize| model.conn(conns[i].handle).unwrap().key;
    let frames = vec![
        (key(0), 1),
        (key(1), 4),
        (key(2), 2),
        (key(3), 0x20),
        (key(4), 5),
        (key(0), 4),
        (key(5), 1),
        (key(4), 0),
    ];
    lookups_flags(&mut sim, &mut model, &frames)?;
    let stats = model.stats();
    assert_eq!((stats.hits, stats.held), (7, 1));
    Ok(())
}

/// The `toe sim --scenario offload-many` scenario on 300 connections: the host stack
/// model drives the RTL through handshakes, one block list, data and FINs; the engine
/// model answers alongside with no difference.
#[test]
fn offload_many_scenario_runs_clean() -> Result<()> {
    let cfg = Resolved::default_config();
    let out = testbenches::rx::cache_dir()
        .join("..")
        .join("toe-tests")
        .join("offload_many");
    let s = testbenches::scenario::offload_many(&cfg, 300, &out)?;
    eprintln!("{s}");
    assert_eq!(s.mismatches, 0);
    assert_eq!((s.offloaded, s.refused), (300, 0));
    assert_eq!((s.data_hits, s.misrouted), (300, 0));
    assert_eq!(s.lookup_bubbles, 0, "one lookup per frame, no bubble");
    assert_eq!((s.uploads_requested, s.uploaded), (30, 30));
    assert_eq!(s.engine_connections_after, 270);
    assert!(s.handout_cycles <= 50 * 300, "{} clocks", s.handout_cycles);
    Ok(())
}

/// HANDOUT1 of one Neighbor, one IPv4 Path and `n` connections (local port 80, remote
/// ports 7000 + i): (handle, host context, key) of each.
fn handout_n(
    sim: &mut EngineSim,
    model: &mut EngineModel,
    g: &mut Gen,
    n: u16,
) -> Result<Vec<(u16, u32, FlowKey)>> {
    let mut blocks = vec![
        Block::Neighbor {
            host_ctx: 1,
            obj: ObjRef::New(g.nbr()),
        },
        Block::Path {
            host_ctx: 2,
            obj: ObjRef::New(Path::v4(0x0a00_0001, 0x0a00_0002)),
        },
    ];
    for i in 0..n {
        blocks.push(Block::Tcp {
            host_ctx: 50 + i as u32,
            tcp: Tcp {
                local_port: 80,
                remote_port: 7000 + i as u64,
                ..g.tcp()
            },
        });
    }
    let ev = both(
        sim,
        model,
        &Command::Handout1 { tag: 1, blocks }.encode(),
        "h1",
    )?;
    let Event::Interlock { results, .. } = ev else {
        panic!("{ev:?}")
    };
    Ok(results
        .iter()
        .filter(|r| r.kind == Kind::Tcp && r.status == EntryStatus::Ok)
        .map(|r| (r.handle, r.host_ctx, model.conn(r.handle).unwrap().key))
        .collect())
}

/// Frames through both engines (records for the model from the reference parser); the
/// deliveries must match.
fn send(
    sim: &mut EngineSim,
    model: &mut EngineModel,
    frames: &[Vec<u8>],
    what: &str,
) -> Result<()> {
    for f in frames {
        sim.push_frame(f.clone());
        model.lookup(&record_of(sim, f));
    }
    check_delivered(sim, model, what)?;
    sim.run_cycles(2000);
    assert_eq!(
        sim.pending_tagged(),
        0,
        "{what}: the engine delivered frames the model holds"
    );
    Ok(())
}

fn stats_of(sim: &mut EngineSim, model: &mut EngineModel, tag: u32) -> Result<Stats> {
    let Event::Stats { stats, .. } = both(sim, model, &Command::Stats { tag }.encode(), "stats")?
    else {
        panic!()
    };
    Ok(stats)
}

/// A6: frames of a connection between HANDOUT1 and HANDOUT2 wait in the engine and
/// leave (bytes intact, oldest first) as hits when HANDOUT2 completes, or as misses
/// when FLUSH or CLOSE ends the handout; a full hold store drops and counts; frames
/// longer than the engine's maximum are cut and flagged. Under input gaps and output
/// back-pressure; the model agrees on every delivery and counter.
#[test]
fn held_frames_leave_on_handout2_flush_close_and_drop_when_full() -> Result<()> {
    let cfg = cfg(256);
    let mut sim = EngineSim::for_test(&cfg, "offload_hold")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(77);
    sim.set_drive(0.1, 0.7);
    let conns = handout_n(&mut sim, &mut model, &mut g, 3)?;
    let [(a, a_ctx, ka), (b, b_ctx, kb), (c, c_ctx, kc)] = conns[..] else {
        panic!("{conns:?}")
    };
    let ku = FlowKey {
        remote_port: 9,
        ..ka
    };
    let sizes = [0usize, 100, 1400, 7, 333, 1460];
    let mut seq = 0u32;
    let mut frame = |k: &FlowKey| {
        seq += 1;
        frame_for(k, seq, &vec![seq as u8; sizes[seq as usize % sizes.len()]])
    };
    // a and b held (3 each), the unknown connection's frames pass.
    let mut fr = vec![];
    for _ in 0..3 {
        fr.extend([frame(&ka), frame(&kb), frame(&ku)]);
    }
    send(&mut sim, &mut model, &fr, "held")?;
    assert_eq!(model.held_frames().len(), 6);
    // HANDOUT2 of a: its 3 frames leave as hits (checked by `both`).
    let ev = both(
        &mut sim,
        &mut model,
        &Command::Handout2 {
            tag: 2,
            entries: vec![Handout2Entry {
                handle: a,
                host_ctx: a_ctx,
                tcp: g.tcp(),
            }],
        }
        .encode(),
        "h2 a",
    )?;
    assert_eq!(ev.trailer().status, CmdStatus::Ok);
    assert_eq!(model.held_frames().len(), 3);
    let fr: Vec<_> = (0..2).flat_map(|_| [frame(&ka), frame(&kb)]).collect();
    send(&mut sim, &mut model, &fr, "a hits, b held")?;
    // FLUSH of b: its 5 frames leave as misses.
    let flush = |h, ctx| {
        vec![ConnRef {
            kind: Kind::Tcp,
            handle: h,
            host_ctx: ctx,
        }]
    };
    both(
        &mut sim,
        &mut model,
        &Command::Flush {
            tag: 3,
            conns: flush(b, b_ctx),
        }
        .encode(),
        "flush b",
    )?;
    assert!(model.held_frames().is_empty());
    // 11 frames of c: 8 held, 3 dropped and counted.
    let fr: Vec<_> = (0..HOLD_FRAMES + 3).map(|_| frame(&kc)).collect();
    send(&mut sim, &mut model, &fr, "fill")?;
    let s = stats_of(&mut sim, &mut model, 4)?;
    assert_eq!((s.hold_drops, s.held), (3, 6 + 2 + 11));
    // CLOSE of c: the 8 leave as misses.
    both(
        &mut sim,
        &mut model,
        &Command::Close {
            tag: 5,
            conns: flush(c, c_ctx),
        }
        .encode(),
        "close c",
    )?;
    // Oversize: a hit and a miss, cut at ENGINE_MAX_FRAME bytes and flagged.
    let big = [
        frame_for(&ka, 1000, &[0x5a; 2500]),
        frame_for(&ku, 1001, &[0xa5; 3000]),
    ];
    for f in &big {
        sim.push_frame(f.clone());
        model.lookup(&record_of(&sim, f));
    }
    let want = model.take_delivered();
    let got = sim.wait_tagged(2)?;
    for ((g, w), f) in got.iter().zip(&want).zip(&big) {
        assert_eq!(
            (g.status, g.conn & 0xff),
            (status_of(w.lookup).0, status_of(w.lookup).1 & 0xff)
        );
        assert_eq!(RxMeta::decode(&g.record), RxMeta::decode(&w.record));
        assert_eq!(
            g.frame,
            f[..ENGINE_MAX_FRAME].to_vec(),
            "cut at the maximum"
        );
        assert!(g.user, "a cut frame is flagged");
    }
    assert_eq!(stats_of(&mut sim, &mut model, 6)?.oversize, 2);
    // Normal frames after a cut one are whole again.
    send(
        &mut sim,
        &mut model,
        &[frame(&ka), frame(&ku)],
        "after oversize",
    )?;
    Ok(())
}

/// Releases while frames stream in: HANDOUT2, FLUSH and the handout timeout each take
/// effect between two frames, so every connection's frames leave complete and in the
/// order they came, with the status of their side of the release.
#[test]
fn releases_keep_each_connections_frames_in_order_under_traffic() -> Result<()> {
    let cfg = cfg_timeout(256, 20);
    let timeout = cfg.handout_timeout_cycles as u64;
    let mut sim = EngineSim::for_test(&cfg, "offload_hold_traffic")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(78);
    let conns = handout_n(&mut sim, &mut model, &mut g, 3)?;
    let [(a, a_ctx, ka), (b, b_ctx, kb), (c, c_ctx, kc)] = conns[..] else {
        panic!("{conns:?}")
    };
    let ku = FlowKey {
        remote_port: 9,
        ..ka
    };
    let t0 = sim.cycles();
    let mut sent: Vec<(u16, u32, Vec<u8>)> = vec![]; // (remote port, seq, frame)
    let mut seq = 0u32;
    let mut step = 0;
    while sim.cycles() - t0 < timeout + 3 * 256 + 3000 {
        // Background traffic: 64-byte frames of the unknown connection.
        let mut keys = vec![ku, ku, ku];
        // At most HOLD_FRAMES held at any time: a 3 before HANDOUT2 (step 4), b 4
        // before its FLUSH (step 15), c 7 before its timeout (about step 78).
        if step < 12 && step % 2 == 0 {
            keys.push(ka);
        }
        if step < 30 && step % 4 == 0 {
            keys.push(kb);
        }
        if step % 12 == 0 {
            keys.push(kc);
        }
        for k in keys {
            seq += 1;
            let f = frame_for(&k, seq, &[]);
            sim.push_frame(f.clone());
            sent.push((k.remote_port, seq, f));
        }
        if step == 4 {
            sim.push_command(
                &Command::Handout2 {
                    tag: 2,
                    entries: vec![Handout2Entry {
                        handle: a,
                        host_ctx: a_ctx,
                        tcp: g.tcp(),
                    }],
                }
                .encode(),
            );
        }
        if step == 15 {
            sim.push_command(
                &Command::Flush {
                    tag: 3,
                    conns: vec![ConnRef {
                        kind: Kind::Tcp,
                        handle: b,
                        host_ctx: b_ctx,
                    }],
                }
                .encode(),
            );
        }
        sim.run_cycles(40);
        step += 1;
    }
    let resp = sim.wait_responses(2)?;
    assert_eq!(
        Event::decode(&resp[0]).unwrap().trailer().status,
        CmdStatus::Ok
    );
    assert_eq!(
        Event::decode(&resp[1]).unwrap().trailer().status,
        CmdStatus::Ok
    );
    let got = match sim.wait_tagged(sent.len()) {
        Ok(g) => g,
        Err(e) => {
            let n = sim.pending_tagged();
            let got = sim.wait_tagged(n)?;
            let min = cfg.config.rx.min_frame_len;
            let out: std::collections::BTreeSet<u32> = got
                .iter()
                .filter_map(|t| reference(&t.frame, t.user, min).tcp_seq)
                .collect();
            let missing: Vec<(u16, u32)> = sent
                .iter()
                .filter(|s| !out.contains(&s.1))
                .map(|s| (s.0, s.1))
                .collect();
            panic!(
                "{e}: missing (port, seq) {missing:?}; c expired around {}",
                sim.unsolicited.first().map(|u| u.1 - t0).unwrap_or(0)
            );
        }
    };
    let up: Vec<Event> = sim
        .unsolicited
        .drain(..)
        .map(|(w, _)| Event::decode(&w).unwrap())
        .collect();
    assert_eq!(
        up,
        vec![Event::UploadRequest {
            handle: c,
            host_ctx: c_ctx,
            reason: UploadReason::HandoutTimeout
        }]
    );
    let min = cfg.config.rx.min_frame_len;
    for (port, h, want_status) in [
        (ka.remote_port, a, 3u8),
        (kb.remote_port, b, 1),
        (kc.remote_port, c, 1),
        (9, 0, 1),
    ] {
        let mine: Vec<&(u16, u32, Vec<u8>)> = sent.iter().filter(|s| s.0 == port).collect();
        let out: Vec<_> = got
            .iter()
            .filter(|t| reference(&t.frame, t.user, min).src_port == Some(port))
            .collect();
        assert_eq!(
            out.len(),
            mine.len(),
            "port {port}: every frame leaves once"
        );
        for (o, m) in out.iter().zip(&mine) {
            assert_eq!(o.frame, m.2, "port {port}: in order, intact");
            assert_eq!(RxMeta::decode(&o.record).tcp_seq, Some(m.1));
            let conn = if want_status == 3 { h } else { 0 };
            assert_eq!(
                (o.status, o.conn),
                (want_status, conn),
                "port {port} seq {}",
                m.1
            );
        }
    }
    // Nothing was dropped, and the engine's counters add up.
    let Event::Stats { stats, .. } =
        Event::decode(&sim.command(&Command::Stats { tag: 9 }.encode())?).unwrap()
    else {
        panic!()
    };
    assert_eq!(stats.hold_drops, 0);
    assert_eq!(stats.lookups, sent.len() as u64);
    let n_a = sent.iter().filter(|s| s.0 == ka.remote_port).count() as u64;
    assert!(
        stats.held >= 5 && stats.hits + stats.held >= n_a,
        "{stats:?}"
    );
    Ok(())
}

/// The release races: HANDOUT2 or FLUSH of a held connection while its own frames
/// stream in back to back (one every 8 clocks), at 8 different phases. Whatever the
/// phase, each connection's frames leave complete, in order, with one status (hits
/// after HANDOUT2, misses after FLUSH), and nothing stays held.
#[test]
fn release_races_with_the_connections_own_frames() -> Result<()> {
    let cfg = cfg(256);
    let mut sim = EngineSim::for_test(&cfg, "offload_hold_race")?;
    let mut model = EngineModel::new(&cfg);
    let mut g = Gen::new(79);
    let conns = handout_n(&mut sim, &mut model, &mut g, 16)?;
    assert_eq!(conns.len(), 16);
    let mut sent: Vec<(u16, u32, Vec<u8>)> = vec![];
    let mut seq = 0u32;
    let mut push = |sim: &mut EngineSim, k: &FlowKey, sent: &mut Vec<(u16, u32, Vec<u8>)>| {
        seq += 1;
        let f = frame_for(k, seq, &[]);
        sim.push_frame(f.clone());
        sent.push((k.remote_port, seq, f));
    };
    for (i, (h, ctx, k)) in conns.iter().enumerate() {
        for _ in 0..4 {
            push(&mut sim, k, &mut sent);
        }
        sim.run_cycles(24 + (i % 8) as u64);
        let cmd = if i % 2 == 0 {
            Command::Handout2 {
                tag: i as u32,
                entries: vec![Handout2Entry {
                    handle: *h,
                    host_ctx: *ctx,
                    tcp: g.tcp(),
                }],
            }
        } else {
            Command::Flush {
                tag: i as u32,
                conns: vec![ConnRef {
                    kind: Kind::Tcp,
                    handle: *h,
                    host_ctx: *ctx,
                }],
            }
        };
        sim.push_command(&cmd.encode());
        for _ in 0..8 {
            push(&mut sim, k, &mut sent);
        }
        sim.run_cycles(300);
    }
    let resp = sim.wait_responses(16)?;
    for r in &resp {
        assert_eq!(Event::decode(r).unwrap().trailer().status, CmdStatus::Ok);
    }
    let n = sim.pending_tagged();
    let got = sim.wait_tagged(n)?;
    let min = cfg.config.rx.min_frame_len;
    for (i, (h, _, k)) in conns.iter().enumerate() {
        let mine: Vec<_> = sent.iter().filter(|s| s.0 == k.remote_port).collect();
        let out: Vec<_> = got
            .iter()
            .filter(|t| reference(&t.frame, t.user, min).src_port == Some(k.remote_port))
            .collect();
        let seqs = |v: &[&Tagged]| -> Vec<Option<u32>> {
            v.iter()
                .map(|t| RxMeta::decode(&t.record).tcp_seq)
                .collect()
        };
        assert_eq!(
            seqs(&out),
            mine.iter().map(|m| Some(m.1)).collect::<Vec<_>>(),
            "connection {i} (phase {}): every frame, in order",
            i % 8
        );
        let want = if i % 2 == 0 { (3, *h) } else { (1, 0) };
        for t in &out {
            assert_eq!((t.status, t.conn), want, "connection {i}");
        }
    }
    Ok(())
}
