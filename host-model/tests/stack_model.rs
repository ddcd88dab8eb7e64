//! The host stack model against the engine model.

mod common;

use common::cfg;
use host_model::engine::{ConnState, EngineModel, Lookup};
use host_model::meta::{self, RawRecord};
use host_model::proto::*;
use host_model::stack::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The engine model, recording every command (decoded strictly: the stack only sends
/// well-formed commands).
struct Recorder {
    eng: EngineModel,
    cmds: Vec<Command>,
    /// Simulated engine progress: added to `rcv_nxt` of every connection FLUSH returns.
    progress: u32,
    /// Unsolicited messages to deliver before the engine's own (forged or timeouts).
    injected: Vec<Vec<u64>>,
    /// A slow host: the handout timeout fires right after INTERLOCK...
    expire_after_handout1: bool,
    /// ... or just before HANDOUT2 reaches the engine.
    expire_before_handout2: bool,
}

impl EngineLink for Recorder {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        let cmd = Command::decode(words).expect("the stack sends well-formed commands");
        if self.expire_before_handout2
            && let Command::Handout2 { entries, .. } = &cmd
        {
            for e in entries {
                if let Some(ev) = self.eng.expire(e.handle) {
                    self.injected.push(ev.encode());
                }
            }
        }
        self.cmds.push(cmd);
        let resp = self.eng.command(words);
        if self.expire_after_handout1
            && let Ok(Event::Interlock { results, .. }) = Event::decode(&resp)
        {
            for r in results {
                if r.kind == Kind::Tcp
                    && r.status == EntryStatus::Ok
                    && let Some(ev) = self.eng.expire(r.handle)
                {
                    self.injected.push(ev.encode());
                }
            }
        }
        if self.progress == 0 {
            return resp;
        }
        match Event::decode(&resp).unwrap() {
            Event::Flushed {
                tag,
                close,
                mut items,
                trailer,
            } => {
                for it in &mut items {
                    if let FlushItem::Conn { tcp: Some(t), .. } = it {
                        t.rcv_nxt = (t.rcv_nxt as u32).wrapping_add(self.progress) as u64;
                    }
                }
                Event::Flushed {
                    tag,
                    close,
                    items,
                    trailer,
                }
                .encode()
            }
            _ => resp,
        }
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        let mut v = std::mem::take(&mut self.injected);
        v.extend(self.eng.poll_events());
        v
    }
}

impl Recorder {
    fn ops(&self) -> Vec<Opcode> {
        self.cmds.iter().map(|c| c.opcode()).collect()
    }
}

fn stack(connections: u32, policy: OffloadPolicy) -> HostStack<Recorder> {
    let link = Recorder {
        eng: EngineModel::new(&cfg(connections)),
        cmds: vec![],
        progress: 0,
        injected: vec![],
        expire_after_handout1: false,
        expire_before_handout2: false,
    };
    HostStack::new(link, policy).expect("CAPS")
}

fn key(remote: u32, port: u16, vlan: Option<u16>) -> FlowKey {
    FlowKey {
        ipv6: false,
        vlan_present: vlan.is_some(),
        vlan_id: vlan.unwrap_or(0),
        local_ip: 0x0a00_0001,
        remote_ip: remote as u128,
        local_port: 80,
        remote_port: port,
    }
}

fn seg(key: FlowKey, flags: u16, seq: u32, ack: u32, len: u32, handle: Option<u16>) -> Segment {
    Segment {
        key,
        flags,
        seq,
        ack,
        payload_len: len,
        offload_handle: handle,
    }
}

const IRS: u32 = 7000;

/// Passive open: SYN, our SYN+ACK, then the peer's ACK.
fn open<E: EngineLink>(s: &mut HostStack<E>, k: FlowKey) -> (ConnId, FrameClass) {
    assert_eq!(
        s.receive(&seg(k, flags::SYN, IRS, 0, 0, None)).unwrap(),
        FrameClass::NewConnection
    );
    let synack = *s.sent().last().unwrap();
    assert_eq!(synack.flags, flags::SYN | flags::ACK);
    assert_eq!(synack.ack, IRS + 1);
    let id = s.conn_by_key(&k).unwrap();
    assert_eq!(s.conn(id).unwrap().state(), TcpState::SynReceived as u64);
    let ack = seg(k, flags::ACK, IRS + 1, synack.seq.wrapping_add(1), 0, None);
    let class = s.receive(&ack).unwrap();
    (id, class)
}

fn handle(s: &HostStack<Recorder>, id: ConnId) -> u16 {
    match s.conn(id).unwrap().placement {
        Placement::Offloaded(h) => h,
        p => panic!("conn {id} is {p:?}"),
    }
}

fn delegated(t: &Tcp) -> Vec<u64> {
    t.class_words(Class::Delegated)
}

#[test]
fn handshake_completes_then_offload() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0102, 40000, Some(3));
    let (id, class) = open(&mut s, k);
    assert_eq!(class, FrameClass::OffloadComplete(id));
    let h = handle(&s, id);
    assert_eq!(
        s.link().ops(),
        vec![Opcode::Caps, Opcode::Handout1, Opcode::Handout2]
    );
    // Block list: new Neighbor, new Path, the TCP block.
    let Command::Handout1 { blocks, .. } = &s.link().cmds[1] else {
        panic!()
    };
    assert!(matches!(
        blocks[..],
        [
            Block::Neighbor {
                obj: ObjRef::New(_),
                ..
            },
            Block::Path {
                obj: ObjRef::New(_),
                ..
            },
            Block::Tcp { .. }
        ]
    ));
    let host = *s.conn(id).unwrap();
    assert_eq!(host.tcp.tcp_state, TcpState::Established as u64);
    assert_eq!(host.tcp.rcv_nxt, (IRS + 1) as u64);
    let e = s.link().eng.conn(h).unwrap();
    assert_eq!(e.state, ConnState::Offloaded);
    assert_eq!(e.host_ctx, id);
    assert_eq!(Some(e.key), s.key_of(id));
    assert_eq!(e.key, k);
    assert_eq!(
        delegated(&e.tcp),
        delegated(&host.tcp),
        "HANDOUT2 carried the host's DELEGATED state"
    );
    assert_eq!(
        e.tcp.class_words(Class::Const),
        host.tcp.class_words(Class::Const)
    );
    let p = s.path(host.path).unwrap();
    assert_eq!(p.engine, Some(e.path));
    assert_eq!(
        s.neighbor(p.nbr).unwrap().engine,
        Some(s.link().eng.path(e.path).unwrap().nbr)
    );
    assert_eq!(s.link_mut().eng.lookup_key(&k), Lookup::Hit(h));
    // F3: data with the offload handle goes the engine path; F1: sends go to the engine.
    let data = seg(k, flags::ACK | flags::PSH, IRS + 1, 0, 500, Some(h));
    assert_eq!(s.receive(&data).unwrap(), FrameClass::EnginePath(id));
    assert_eq!(s.send(id, 1000).unwrap(), Route::Engine(h));
    assert_eq!(s.conn(id).unwrap().stats.bytes_in, 500);
    assert_eq!(s.conn(id).unwrap().stats.bytes_out, 1000);
    assert_eq!(s.host_stats().offloads, 1);
    // Another connection to the same peer reuses the Path the engine holds.
    let (id2, _) = open(&mut s, key(0x0a00_0102, 40001, Some(3)));
    handle(&s, id2);
    let Some(Command::Handout1 { blocks, .. }) = s
        .link()
        .cmds
        .iter()
        .rev()
        .find(|c| c.opcode() == Opcode::Handout1)
    else {
        panic!()
    };
    assert!(
        matches!(
            blocks[..],
            [
                Block::Path {
                    obj: ObjRef::Reuse(_),
                    ..
                },
                Block::Tcp { .. }
            ]
        ),
        "{blocks:?}"
    );
    assert_eq!(s.link().eng.path(e.path).unwrap().refcount, 2);
}

#[test]
fn active_open_offloads_on_syn_ack() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0105, 50000, None);
    let id = s.connect(k);
    let syn = *s.sent().last().unwrap();
    assert_eq!(syn.flags, flags::SYN);
    assert_eq!(
        s.classify(&seg(k, flags::SYN | flags::ACK, 900, syn.seq + 1, 0, None)),
        FrameClass::NewConnection
    );
    assert_eq!(
        s.receive(&seg(k, flags::SYN | flags::ACK, 900, syn.seq + 1, 0, None))
            .unwrap(),
        FrameClass::NewConnection
    );
    assert_eq!(
        s.sent().last().unwrap().flags,
        flags::ACK,
        "our ACK completes the handshake"
    );
    let h = handle(&s, id);
    assert_eq!(s.link().eng.conn(h).unwrap().tcp.rcv_nxt, 901);
    // A SYN+ACK with the wrong ack number for a fresh connect does nothing.
    let k2 = key(0x0a00_0105, 50001, None);
    let id2 = s.connect(k2);
    s.receive(&seg(k2, flags::SYN | flags::ACK, 900, 12345, 0, None))
        .unwrap();
    assert_eq!(s.conn(id2).unwrap().placement, Placement::Host);
    assert_eq!(s.conn(id2).unwrap().state(), TcpState::SynSent as u64);
}

#[test]
fn fin_flushes_and_applies_the_engines_state() {
    let mut s = stack(256, OffloadPolicy::default());
    s.link_mut().progress = 1000; // the engine received 1000 bytes meanwhile
    let k = key(0x0a00_0107, 41000, None);
    let (id, _) = open(&mut s, k);
    let h = handle(&s, id);
    let before = *s.conn(id).unwrap();
    let fin = seg(k, flags::FIN | flags::ACK, IRS + 1 + 1000, 0, 0, Some(h));
    assert_eq!(s.classify(&fin), FrameClass::Closing(id));
    assert_eq!(s.receive(&fin).unwrap(), FrameClass::Closing(id));
    assert_eq!(s.link().ops().last(), Some(&Opcode::Flush));
    let c = *s.conn(id).unwrap();
    assert_eq!(c.placement, Placement::Host);
    assert_eq!(
        c.tcp.rcv_nxt,
        (IRS + 1 + 1000 + 1) as u64,
        "engine's rcv_nxt applied, then the FIN"
    );
    assert_eq!(c.tcp.tcp_state, TcpState::CloseWait as u64);
    assert_eq!(
        c.tcp.class_words(Class::Const),
        before.tcp.class_words(Class::Const)
    );
    assert_eq!(
        c.tcp.class_words(Class::Cached),
        before.tcp.class_words(Class::Cached)
    );
    // The engine freed the connection, its Path and its Neighbor; the host knows.
    let es = s.link().eng.stats();
    assert_eq!(
        (es.connections, es.paths, es.neighbors, es.flushes),
        (0, 0, 0, 1)
    );
    let p = s.path(c.path).unwrap();
    assert_eq!(p.engine, None);
    assert_eq!(s.neighbor(p.nbr).unwrap().engine, None);
    assert_eq!(s.host_stats().uploads, 1);
    // The application closes: FIN from the host, no engine command.
    let n = s.link().cmds.len();
    s.close(id).unwrap();
    assert_eq!(s.link().cmds.len(), n);
    assert_eq!(s.conn(id).unwrap().state(), TcpState::LastAck as u64);
    let ours = *s.sent().last().unwrap();
    assert_eq!(ours.flags, flags::FIN | flags::ACK);
    // The peer's ACK of our FIN ends it.
    s.receive(&seg(k, flags::ACK, IRS + 1002, ours.seq + 1, 0, None))
        .unwrap();
    assert!(s.conn(id).is_none());
}

#[test]
fn rst_and_application_close_use_close() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0108, 41000, None);
    let (id, _) = open(&mut s, k);
    let h = handle(&s, id);
    assert_eq!(
        s.receive(&seg(k, flags::RST, IRS + 1, 0, 0, Some(h)))
            .unwrap(),
        FrameClass::Closing(id)
    );
    assert_eq!(s.link().ops().last(), Some(&Opcode::Close));
    assert!(s.conn(id).is_none(), "RST ends the connection on the host");
    assert_eq!(s.link().eng.stats().connections, 0);
    // Application close of an offloaded connection: CLOSE, then our FIN.
    let k2 = key(0x0a00_0108, 41001, None);
    let (id2, _) = open(&mut s, k2);
    handle(&s, id2);
    s.close(id2).unwrap();
    assert_eq!(s.link().ops().last(), Some(&Opcode::Close));
    let c = s.conn(id2).unwrap();
    assert_eq!(
        (c.placement, c.state()),
        (Placement::Host, TcpState::FinWait1 as u64)
    );
    assert_eq!(s.link().eng.stats().connections, 0);
}

#[test]
fn refused_offload_stays_on_the_host() {
    // 256 connections: 16 Neighbors. The 17th VLAN's Neighbor is refused.
    let mut s = stack(
        256,
        OffloadPolicy {
            retry_after: 100,
            ..OffloadPolicy::default()
        },
    );
    let mut ids = vec![];
    for v in 0..17u16 {
        let (id, _) = open(&mut s, key(0x0a00_0200, 42000, Some(v)));
        ids.push(id);
    }
    for id in &ids[..16] {
        handle(&s, *id);
    }
    let last = ids[16];
    let c = *s.conn(last).unwrap();
    assert_eq!(c.placement, Placement::Host);
    assert_eq!(c.refused.map(|r| r.0), Some(EntryStatus::ParentRefused));
    assert_eq!(s.host_stats().offload_refused, 1);
    let es = s.link().eng.stats();
    assert_eq!((es.connections, es.paths, es.neighbors), (16, 16, 16));
    // It works on the host: F1 and F3 route it there.
    let k = key(0x0a00_0200, 42000, Some(16));
    assert_eq!(s.send(last, 100).unwrap(), Route::Host);
    assert_eq!(
        s.receive(&seg(k, flags::ACK, IRS + 1, 0, 300, None))
            .unwrap(),
        FrameClass::HostStack
    );
    assert_eq!(s.conn(last).unwrap().tcp.rcv_nxt, (IRS + 301) as u64);
    assert_eq!(
        s.link()
            .ops()
            .iter()
            .filter(|o| **o == Opcode::Handout1)
            .count(),
        17,
        "no retry before retry_after"
    );
    // Free a Neighbor, wait, and the policy retries it with success.
    let h0 = handle(&s, ids[0]);
    s.upload(&[ids[0]], false).unwrap();
    assert!(s.link().eng.conn(h0).is_none());
    s.tick(200).unwrap();
    assert_eq!(s.send(last, 100).unwrap(), Route::Host);
    let h = handle(&s, last);
    assert_eq!(s.link().eng.conn(h).unwrap().host_ctx, last);
    assert_eq!(s.conn(last).unwrap().refused, None);
}

#[test]
fn refused_connection_leaves_no_objects_behind() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0300, 43000, None);
    // Someone else already handed out the same key: the stack's TCP block is a Duplicate.
    let nbr = Neighbor {
        src_mac: 1,
        ..Neighbor::default()
    };
    let t = Tcp {
        local_port: 80,
        remote_port: 43000,
        ..Tcp::default()
    };
    let blocks = vec![
        Block::Neighbor {
            host_ctx: 999,
            obj: ObjRef::New(nbr),
        },
        Block::Path {
            host_ctx: 999,
            obj: ObjRef::New(Path::v4(0x0a00_0001, 0x0a00_0300)),
        },
        Block::Tcp {
            host_ctx: 999,
            tcp: t,
        },
    ];
    s.link_mut()
        .eng
        .command(&Command::Handout1 { tag: 0, blocks }.encode());
    let (id, _) = open(&mut s, k);
    let c = *s.conn(id).unwrap();
    assert_eq!(c.placement, Placement::Host);
    assert_eq!(c.refused.map(|r| r.0), Some(EntryStatus::Duplicate));
    // The Path and Neighbor created for it were freed again (FLUSH of the Path, whose
    // Neighbor cascades).
    let es = s.link().eng.stats();
    assert_eq!((es.connections, es.paths, es.neighbors), (1, 1, 1));
    assert_eq!(s.path(c.path).unwrap().engine, None);
    assert_eq!(s.link().ops()[1..], [Opcode::Handout1, Opcode::Flush]);
}

#[test]
fn cached_update_reaches_every_dependent_connection_in_one_command() {
    let mut s = stack(1024, OffloadPolicy::default());
    let mut ids = vec![];
    for i in 0..40u32 {
        let (id, _) = open(&mut s, key(0x0a00_0400 + i % 4, 44000 + i as u16, Some(9)));
        ids.push(id);
    }
    let es = s.link().eng.stats();
    assert_eq!((es.connections, es.paths, es.neighbors), (40, 4, 1));
    let n = s.link().cmds.len();
    let mac = 0x0202_0304_0506;
    assert_eq!(
        s.set_next_hop_mac(Some(9), mac).unwrap(),
        Some(EntryStatus::Ok)
    );
    assert_eq!(s.link().cmds.len(), n + 1);
    assert!(matches!(
        s.link().cmds[n],
        Command::Update {
            update: CachedUpdate::Neighbor { .. },
            ..
        }
    ));
    let eng = &s.link().eng;
    for id in &ids {
        let c = eng.conn(handle(&s, *id)).unwrap();
        let p = eng.path(c.path).unwrap();
        assert_eq!(eng.neighbor(p.nbr).unwrap().nbr.dst_mac, mac);
    }
    // Path MTU of one Path: one UPDATE, seen by its 10 connections.
    let pid = s.conn(ids[1]).unwrap().path;
    assert_eq!(s.set_path_mtu(pid, 9000).unwrap(), Some(EntryStatus::Ok));
    assert_eq!(s.link().cmds.len(), n + 2);
    let eng = &s.link().eng;
    let on_path: Vec<_> = ids
        .iter()
        .filter(|id| s.conn(**id).unwrap().path == pid)
        .collect();
    assert_eq!(on_path.len(), 10);
    for id in on_path {
        let c = eng.conn(handle(&s, *id)).unwrap();
        assert_eq!(eng.path(c.path).unwrap().path.path_mtu, 9000);
    }
    assert_eq!(eng.stats().updates, 2);
    // A Neighbor the engine does not hold: no command.
    assert_eq!(s.set_next_hop_mac(Some(10), 5).unwrap(), None);
    assert_eq!(s.link().cmds.len(), n + 2);
}

#[test]
fn statistics_merge_host_and_engine() {
    let mut s = stack(256, OffloadPolicy::default());
    for i in 0..3 {
        open(&mut s, key(0x0a00_0500, 45000 + i, None));
    }
    s.set_policy(OffloadPolicy {
        min_bytes: u64::MAX,
        ..OffloadPolicy::default()
    });
    for i in 0..2 {
        open(&mut s, key(0x0a00_0501, 45000 + i, None));
    }
    for i in 0..5 {
        s.link_mut()
            .eng
            .lookup_key(&key(0x0a00_0500, 45000 + i % 3, None));
    }
    s.link_mut().eng.lookup_key(&key(0x0a00_0599, 1, None));
    let m = s.stats().unwrap();
    assert_eq!(m.engine.connections, 3);
    assert_eq!(m.engine.hits, 5);
    assert_eq!(m.engine.misses, 1);
    assert_eq!(m.engine.handout1, 3);
    assert_eq!((m.host.connections, m.host.connections_on_host), (5, 2));
    assert_eq!(m.connections, 5);
    let host_frames = m.host.frames_new_connection + m.host.frames_offload_complete;
    assert_eq!(host_frames, 10);
    assert_eq!(m.frames, host_frames + 5);
    assert_eq!(m.host.offloads, 3);
    assert_eq!(m.engine, s.link().eng.stats());
}

#[test]
fn byte_threshold_and_idle_upload_policy() {
    let policy = OffloadPolicy {
        min_bytes: 3000,
        idle_upload: Some(100),
        retry_after: 10,
    };
    let mut s = stack(256, policy);
    let k = key(0x0a00_0600, 46000, None);
    let (id, class) = open(&mut s, k);
    assert_eq!(class, FrameClass::OffloadComplete(id));
    assert_eq!(
        s.conn(id).unwrap().placement,
        Placement::Host,
        "below the threshold"
    );
    for i in 0..2 {
        let d = seg(
            k,
            flags::ACK | flags::PSH,
            IRS + 1 + i * 1000,
            0,
            1000,
            None,
        );
        assert_eq!(s.receive(&d).unwrap(), FrameClass::HostStack);
    }
    assert_eq!(s.send(id, 500).unwrap(), Route::Host);
    assert_eq!(s.conn(id).unwrap().placement, Placement::Host);
    s.receive(&seg(k, flags::ACK, IRS + 2001, 0, 1000, None))
        .unwrap();
    let h = handle(&s, id);
    let host = *s.conn(id).unwrap();
    assert_eq!(host.tcp.rcv_nxt, (IRS + 3001) as u64);
    assert_eq!(
        delegated(&s.link().eng.conn(h).unwrap().tcp),
        delegated(&host.tcp)
    );
    // Idle upload.
    assert!(s.tick(50).unwrap().is_empty());
    s.receive(&seg(k, flags::ACK, IRS + 3001, 0, 10, Some(h)))
        .unwrap(); // engine path activity at 50
    assert!(s.tick(149).unwrap().is_empty());
    assert_eq!(s.tick(150).unwrap(), vec![id]);
    assert_eq!(s.conn(id).unwrap().placement, Placement::Host);
    assert_eq!(s.link().eng.stats().connections, 0);
}

#[test]
fn one_block_list_hands_out_a_thousand_connections() {
    let mut s = stack(
        4096,
        OffloadPolicy {
            min_bytes: u64::MAX,
            ..OffloadPolicy::default()
        },
    );
    let mut ids = vec![];
    for i in 0..1000u32 {
        let (id, _) = open(
            &mut s,
            key(0x0a01_0000 + i % 25, 10000 + i as u16, Some((i % 2) as u16)),
        );
        ids.push(id);
    }
    assert_eq!(s.link().cmds.len(), 1, "only CAPS so far");
    let out = s.offload(&ids).unwrap();
    assert_eq!(out.len(), 1000);
    assert!(out.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(
        s.link().ops(),
        vec![Opcode::Caps, Opcode::Handout1, Opcode::Handout2]
    );
    let Command::Handout1 { blocks, .. } = &s.link().cmds[1] else {
        panic!()
    };
    let count = |k: Kind| blocks.iter().filter(|b| b.kind() == k).count();
    assert_eq!(
        (count(Kind::Neighbor), count(Kind::Path), count(Kind::Tcp)),
        (2, 50, 1000)
    );
    let es = s.link().eng.stats();
    assert_eq!(
        (es.connections, es.paths, es.neighbors, es.handout2),
        (1000, 50, 2, 1000)
    );
    // Upload half of them, offload them again: the Paths still on the engine are reused.
    let half: Vec<ConnId> = ids[..500].to_vec(); // every Path keeps connections
    s.upload(&half, false).unwrap();
    assert_eq!(s.link().eng.stats().connections, 500);
    s.offload(&half).unwrap();
    let Some(Command::Handout1 { blocks, .. }) = s
        .link()
        .cmds
        .iter()
        .rev()
        .find(|c| c.opcode() == Opcode::Handout1)
    else {
        panic!()
    };
    assert!(blocks.iter().all(|b| matches!(
        b,
        Block::Tcp { .. }
            | Block::Path {
                obj: ObjRef::Reuse(_),
                ..
            }
    )));
    assert_eq!(s.link().eng.stats().connections, 1000);
    for id in &ids {
        let h = handle(&s, *id);
        let e = s.link().eng.conn(h).unwrap();
        assert_eq!((e.host_ctx, e.state), (*id, ConnState::Offloaded));
    }
}

#[test]
fn long_lists_are_split_and_reuse_what_earlier_parts_created() {
    let mut s = stack(
        256,
        OffloadPolicy {
            min_bytes: u64::MAX,
            ..OffloadPolicy::default()
        },
    );
    s.set_max_blocks(10);
    let ids: Vec<ConnId> = (0..30u32)
        .map(|i| open(&mut s, key(0x0a00_0700 + i % 2, 20000 + i as u16, None)).0)
        .collect();
    let out = s.offload(&ids).unwrap();
    assert!(out.iter().all(|(_, r)| r.is_ok()));
    let h1: Vec<&Vec<Block>> = s
        .link()
        .cmds
        .iter()
        .filter_map(|c| match c {
            Command::Handout1 { blocks, .. } => Some(blocks),
            _ => None,
        })
        .collect();
    assert!(h1.len() >= 4);
    assert!(h1.iter().all(|b| b.len() <= 10));
    assert!(matches!(
        h1[1][0],
        Block::Path {
            obj: ObjRef::Reuse(_),
            ..
        }
    ));
    let es = s.link().eng.stats();
    assert_eq!((es.connections, es.paths, es.neighbors), (30, 2, 1));
}

#[test]
fn host_never_changes_delegated_state_while_offloaded() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0800, 47000, None);
    let (id, _) = open(&mut s, k);
    let h = handle(&s, id);
    let before = *s.conn(id).unwrap();
    // Frames that reach the host stack for an offloaded connection (no handle).
    for f in [
        seg(k, flags::ACK, IRS + 1, 0, 0, None),
        seg(k, flags::ACK | flags::PSH, IRS + 1, 0, 700, None),
        seg(k, flags::SYN, 1, 0, 0, None),
        seg(k, flags::ACK, IRS + 1, 0, 700, Some(h ^ 1)),
    ] {
        s.receive(&f).unwrap();
        assert_eq!(delegated(&s.conn(id).unwrap().tcp), delegated(&before.tcp));
        assert_eq!(s.conn(id).unwrap().placement, Placement::Offloaded(h));
    }
    // The engine never changed CONST or CACHED.
    let e = s.link().eng.conn(h).unwrap();
    for c in [Class::Const, Class::Cached] {
        assert_eq!(e.tcp.class_words(c), before.tcp.class_words(c));
    }
}

#[test]
fn received_record_through_engine_lookup_to_classification() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0900, 48000, Some(12));
    let (id, _) = open(&mut s, k);
    let h = handle(&s, id);
    let mut r = RawRecord(vec![]);
    for (n, v) in [
        ("tcp_valid", 1u128),
        ("ip4", 1),
        ("vlan_valid", 1),
        ("vlan_id", 12),
        ("dst_ip", 0x0a00_0001),
        ("src_ip", 0x0a00_0900),
        ("dst_port", 80),
        ("src_port", 48000),
        ("tcp_flags", flags::ACK as u128),
        ("tcp_seq", (IRS + 1) as u128),
        ("payload_valid", 1),
        ("payload_len", 1400),
    ] {
        r.set(meta::field(n).unwrap(), v);
    }
    let l = s.link_mut().eng.lookup(&r);
    assert_eq!(l, Lookup::Hit(h));
    let sg = Segment::from_record(&r, l).unwrap();
    assert_eq!(
        (sg.key, sg.payload_len, sg.offload_handle),
        (k, 1400, Some(h))
    );
    assert_eq!(s.receive(&sg).unwrap(), FrameClass::EnginePath(id));
    r.set(
        meta::field("tcp_flags").unwrap(),
        (flags::FIN | flags::ACK) as u128,
    );
    let sg = Segment::from_record(&r, s.link_mut().eng.lookup(&r)).unwrap();
    assert_eq!(s.classify(&sg), FrameClass::Closing(id));
}

/// An engine that answers garbage (or mangles the model's answers).
struct Garbage {
    eng: EngineModel,
    rng: ChaCha8Rng,
}

impl EngineLink for Garbage {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        let mut resp = self.eng.command(words);
        match self.rng.random_range(0..6) {
            0 => {
                resp = (0..self.rng.random_range(0..6))
                    .map(|_| self.rng.random())
                    .collect()
            }
            1 if !resp.is_empty() => {
                let i = self.rng.random_range(0..resp.len());
                resp[i] ^= 1 << self.rng.random_range(0..64);
            }
            2 => {
                resp.pop();
            }
            _ => {}
        }
        resp
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        let mut v = self.eng.poll_events();
        for _ in 0..self.rng.random_range(0..3) {
            let mut w = Event::UploadRequest {
                handle: self.rng.random_range(0..4),
                host_ctx: self.rng.random_range(0..8),
                reason: UploadReason::from_u8(self.rng.random_range(1..6)).unwrap(),
            }
            .encode();
            if self.rng.random_bool(0.3) {
                let i = self.rng.random_range(0..w.len());
                w[i] ^= 1 << self.rng.random_range(0..64);
            }
            v.push(w);
        }
        v
    }
}

#[test]
fn a_misbehaving_engine_gives_errors_not_panics() {
    for seed in 0..40 {
        let mut link = Garbage {
            eng: EngineModel::new(&cfg(256)),
            rng: ChaCha8Rng::seed_from_u64(seed),
        };
        let mut s = loop {
            match HostStack::new(&mut link, OffloadPolicy::default()) {
                Ok(s) => break s,
                Err(_) => continue,
            }
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
        for i in 0..60u32 {
            let k = key(0x0a00_0a00 + i % 3, 30000 + (i % 7) as u16, None);
            let fl = [
                flags::SYN,
                flags::ACK,
                flags::FIN | flags::ACK,
                flags::RST,
                flags::SYN | flags::ACK,
            ][rng.random_range(0..5)];
            let synack_seq = s.sent().last().map_or(0, |x| x.seq);
            let _ = s.receive(&seg(
                k,
                fl,
                IRS + rng.random_range(0..2),
                synack_seq.wrapping_add(1),
                rng.random_range(0..3),
                None,
            ));
            if let Some(id) = s.conn_by_key(&k) {
                let _ = s.send(id, 10);
                let _ = s.tick(i as u64);
                if rng.random_bool(0.1) {
                    let _ = s.close(id);
                }
            }
            let _ = s.set_next_hop_mac(None, i as u64);
            let _ = s.link_mut().eng.lookup_key_flags(&k, fl);
            let _ = s.poll();
            let _ = s.stats();
        }
    }
}

// ----- upload requests (unsolicited events) -----------------------------------

fn upload_request(handle: u16, host_ctx: u32, reason: UploadReason) -> Vec<u64> {
    Event::UploadRequest {
        handle,
        host_ctx,
        reason,
    }
    .encode()
}

#[test]
fn rst_request_closes_and_ends_the_connection() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0b01, 42000, None);
    let (id, _) = open(&mut s, k);
    let h = handle(&s, id);
    assert_eq!(s.poll().unwrap(), vec![], "nothing pending");
    let n = s.link().cmds.len();
    // The engine sees the RST (its lookup still hits) and asks for the upload.
    assert_eq!(
        s.link_mut()
            .eng
            .lookup_key_flags(&k, flags::RST | flags::ACK),
        Lookup::Hit(h)
    );
    assert_eq!(s.poll().unwrap(), vec![(id, UploadReason::Rst)]);
    assert_eq!(s.link().ops()[n..], [Opcode::Close]);
    assert!(s.conn(id).is_none(), "abortive: the connection is closed");
    assert_eq!(s.conn_by_key(&k), None);
    let es = s.link().eng.stats();
    assert_eq!((es.connections, es.paths, es.neighbors), (0, 0, 0));
    let hs = s.host_stats();
    assert_eq!(
        (hs.upload_requests, hs.upload_requests_rst, hs.uploads),
        (1, 1, 1)
    );
    assert_eq!(hs.protocol_errors, 0);
    assert_eq!(s.poll().unwrap(), vec![], "taken once");
    // A later retransmitted RST is a plain host-stack frame for nobody.
    assert_eq!(
        s.receive(&seg(k, flags::RST, IRS + 1, 0, 0, None)).unwrap(),
        FrameClass::HostStack
    );
}

#[test]
fn fin_request_flushes_and_the_host_goes_to_close_wait() {
    let mut s = stack(256, OffloadPolicy::default());
    s.link_mut().progress = 1000; // the engine placed 1000 bytes before the FIN
    let k = key(0x0a00_0b02, 42000, Some(9));
    let (id, _) = open(&mut s, k);
    let h = handle(&s, id);
    let before = *s.conn(id).unwrap();
    let n = s.link().cmds.len();
    assert_eq!(
        s.link_mut()
            .eng
            .lookup_key_flags(&k, flags::FIN | flags::ACK),
        Lookup::Hit(h)
    );
    assert_eq!(s.poll().unwrap(), vec![(id, UploadReason::Fin)]);
    assert_eq!(s.link().ops()[n..], [Opcode::Flush]);
    let c = *s.conn(id).unwrap();
    assert_eq!(c.placement, Placement::Host);
    assert_eq!(c.tcp.tcp_state, TcpState::CloseWait as u64);
    assert_eq!(
        c.tcp.rcv_nxt,
        (IRS + 1 + 1000 + 1) as u64,
        "the engine's rcv_nxt applied, then the FIN counted"
    );
    assert_eq!(
        c.tcp.class_words(Class::Const),
        before.tcp.class_words(Class::Const)
    );
    let ack = *s.sent().last().unwrap();
    assert_eq!((ack.flags, ack.ack), (flags::ACK, IRS + 1 + 1000 + 1));
    let hs = s.host_stats();
    assert_eq!(
        (hs.upload_requests, hs.upload_requests_fin, hs.uploads),
        (1, 1, 1)
    );
    assert_eq!(s.link().eng.stats().connections, 0);
    assert_eq!(s.link_mut().eng.lookup_key(&k), Lookup::Miss);
    // The FIN frame itself reaching the host now (a miss) is not counted twice.
    let fin = seg(k, flags::FIN | flags::ACK, IRS + 1 + 1000, 0, 0, None);
    assert_eq!(s.receive(&fin).unwrap(), FrameClass::HostStack);
    let c = *s.conn(id).unwrap();
    assert_eq!(c.tcp.rcv_nxt, (IRS + 1 + 1000 + 1) as u64);
    assert_eq!(c.tcp.tcp_state, TcpState::CloseWait as u64);
    // The application closes: FIN from the host (LAST-ACK), no engine command.
    let n = s.link().cmds.len();
    s.close(id).unwrap();
    assert_eq!(s.link().cmds.len(), n);
    assert_eq!(s.conn(id).unwrap().state(), TcpState::LastAck as u64);
}

#[test]
fn syn_and_urg_requests_bring_the_connection_back_to_the_host() {
    let mut s = stack(256, OffloadPolicy::default());
    let k1 = key(0x0a00_0b03, 42000, None);
    let k2 = key(0x0a00_0b03, 42001, None);
    let (id1, _) = open(&mut s, k1);
    let (id2, _) = open(&mut s, k2);
    let (h1, h2) = (handle(&s, id1), handle(&s, id2));
    let n = s.link().cmds.len();
    s.link_mut().eng.lookup_key_flags(&k1, flags::SYN);
    s.link_mut()
        .eng
        .lookup_key_flags(&k2, flags::URG | flags::ACK);
    s.link_mut().eng.lookup_key_flags(&k2, flags::RST); // second one: not raised
    assert_eq!(
        s.poll().unwrap(),
        vec![(id1, UploadReason::Syn), (id2, UploadReason::Urg)]
    );
    assert_eq!(s.link().ops()[n..], [Opcode::Flush, Opcode::Flush]);
    for id in [id1, id2] {
        let c = s.conn(id).unwrap();
        assert_eq!(
            (c.placement, c.state()),
            (Placement::Host, TcpState::Established as u64)
        );
    }
    assert_eq!(s.link().eng.conn(h1), None);
    assert_eq!(s.link().eng.conn(h2), None);
    let hs = s.host_stats();
    assert_eq!(
        (
            hs.upload_requests,
            hs.upload_requests_syn,
            hs.upload_requests_urg,
            hs.uploads,
            hs.connections_on_host
        ),
        (2, 1, 1, 2, 2)
    );
    // Back on the host, the policy may offer them again.
    assert_eq!(s.offload(&[id1]).unwrap()[0].0, id1);
    handle(&s, id1);
}

#[test]
fn stale_and_forged_requests_are_ignored() {
    let mut s = stack(256, OffloadPolicy::default());
    let k = key(0x0a00_0b04, 42000, None);
    let (id, _) = open(&mut s, k);
    let h = handle(&s, id);
    // The FIN frame reaches the host before the request: uploaded by `receive`.
    s.link_mut()
        .eng
        .lookup_key_flags(&k, flags::FIN | flags::ACK);
    let fin = seg(k, flags::FIN | flags::ACK, IRS + 1, 0, 0, Some(h));
    assert_eq!(s.receive(&fin).unwrap(), FrameClass::Closing(id));
    let n = s.link().cmds.len();
    let st = *s.conn(id).unwrap();
    assert_eq!(s.poll().unwrap(), vec![]);
    assert_eq!(s.link().cmds.len(), n, "no command for a stale request");
    assert_eq!(*s.conn(id).unwrap(), st);
    // Requests that do not match what the engine holds for the host.
    let k2 = key(0x0a00_0b04, 42001, None);
    let (id2, _) = open(&mut s, k2);
    let h2 = handle(&s, id2);
    s.link_mut().injected = vec![
        upload_request(h2 ^ 1, id2, UploadReason::Rst), // wrong handle
        upload_request(h2, id2 + 100, UploadReason::Rst), // unknown connection
        upload_request(h2, id2, UploadReason::HandoutTimeout), // not Held
        upload_request(h2, id, UploadReason::Fin),      // on the host
        vec![0xC0, 0x0303, 1],                          // not a valid message
        Event::Error {
            tag: 0,
            trailer: Trailer::ok(0),
        }
        .encode(), // not unsolicited
    ];
    let n = s.link().cmds.len();
    assert!(s.poll().is_err());
    assert_eq!(s.link().cmds.len(), n);
    assert_eq!(s.conn(id2).unwrap().placement, Placement::Offloaded(h2));
    let hs = s.host_stats();
    assert_eq!(
        (
            hs.upload_requests,
            hs.upload_requests_stale,
            hs.protocol_errors
        ),
        (5, 5, 2)
    );
    // A valid request after bad messages in the same poll is still acted on.
    s.link_mut().injected = vec![vec![], upload_request(h2, id2, UploadReason::Rst)];
    assert!(s.poll().is_err());
    assert!(s.conn(id2).is_none());
    assert_eq!(s.host_stats().upload_requests_rst, 1);
}

#[test]
fn handout_timeout_request_abandons_the_handout() {
    let mut s = stack(
        256,
        OffloadPolicy {
            retry_after: 50,
            ..OffloadPolicy::default()
        },
    );
    s.link_mut().expire_after_handout1 = true;
    s.tick(10).unwrap();
    let k = key(0x0a00_0b05, 42000, Some(4));
    let (id, class) = open(&mut s, k);
    assert_eq!(class, FrameClass::OffloadComplete(id));
    // INTERLOCK, then the timeout's request: FLUSH of the Held connection, no HANDOUT2.
    assert_eq!(
        s.link().ops(),
        vec![Opcode::Caps, Opcode::Handout1, Opcode::Flush]
    );
    let c = *s.conn(id).unwrap();
    assert_eq!(c.placement, Placement::Host);
    assert_eq!(c.state(), TcpState::Established as u64);
    assert_eq!(c.refused, Some((EntryStatus::NotPending, 10)));
    assert_eq!(
        c.tcp.rcv_nxt,
        (IRS + 1) as u64,
        "the host kept its own DELEGATED state"
    );
    let es = s.link().eng.stats();
    assert_eq!(
        (es.connections, es.paths, es.neighbors, es.handout2),
        (0, 0, 0, 0)
    );
    let p = s.path(c.path).unwrap();
    assert_eq!(p.engine, None);
    assert_eq!(s.neighbor(p.nbr).unwrap().engine, None);
    let hs = s.host_stats();
    assert_eq!(
        (
            hs.upload_requests,
            hs.upload_requests_timeout,
            hs.handout_timeouts,
            hs.offloads,
            hs.protocol_errors
        ),
        (1, 1, 1, 0, 0)
    );
    assert_eq!(s.link_mut().eng.lookup_key(&k), Lookup::Miss);
    // The policy offers it again after `retry_after`, on data activity.
    s.link_mut().expire_after_handout1 = false;
    s.tick(30).unwrap();
    s.receive(&seg(k, flags::ACK, IRS + 1, 0, 100, None))
        .unwrap();
    assert_eq!(s.conn(id).unwrap().placement, Placement::Host, "too early");
    s.tick(60).unwrap();
    s.receive(&seg(k, flags::ACK, IRS + 101, 0, 100, None))
        .unwrap();
    let h = handle(&s, id);
    assert_eq!(
        s.link().eng.conn(h).unwrap().tcp.rcv_nxt,
        (IRS + 201) as u64
    );
    assert_eq!(s.host_stats().offloads, 1);
}

#[test]
fn a_late_handout2_is_not_pending_and_the_request_then_stale() {
    let mut s = stack(256, OffloadPolicy::default());
    s.link_mut().expire_before_handout2 = true;
    let k = key(0x0a00_0b06, 42000, None);
    let (id, _) = open(&mut s, k);
    assert_eq!(
        s.link().ops(),
        vec![
            Opcode::Caps,
            Opcode::Handout1,
            Opcode::Handout2,
            Opcode::Flush
        ]
    );
    let c = *s.conn(id).unwrap();
    assert_eq!(c.placement, Placement::Host);
    assert_eq!(c.refused.map(|r| r.0), Some(EntryStatus::NotPending));
    let hs = s.host_stats();
    assert_eq!((hs.handout_timeouts, hs.protocol_errors), (1, 0));
    assert_eq!(s.link().eng.stats().connections, 0);
    // The timeout's request arrives after the host took the connection back.
    let n = s.link().cmds.len();
    assert_eq!(s.poll().unwrap(), vec![]);
    assert_eq!(s.link().cmds.len(), n);
    let hs = s.host_stats();
    assert_eq!(
        (
            hs.upload_requests,
            hs.upload_requests_stale,
            hs.handout_timeouts
        ),
        (1, 1, 1)
    );
    // Explicit offload: several connections, one handout; the timeout hits them all.
    let ids: Vec<ConnId> = (1..4)
        .map(|i| {
            let k = key(0x0a00_0b06, 42000 + i, None);
            s.link_mut().expire_before_handout2 = false;
            s.set_policy(OffloadPolicy {
                min_bytes: u64::MAX,
                ..OffloadPolicy::default()
            });
            open(&mut s, k).0
        })
        .collect();
    s.link_mut().expire_after_handout1 = true;
    let out = s.offload(&ids).unwrap();
    assert_eq!(
        out,
        ids.iter()
            .map(|id| (*id, Err(EntryStatus::NotPending)))
            .collect::<Vec<_>>()
    );
    assert_eq!(s.host_stats().upload_requests_timeout, 3);
    assert_eq!(s.link().ops().last(), Some(&Opcode::Flush));
    assert!(!s.link().ops()[n..].contains(&Opcode::Handout2));
    assert_eq!(s.link().eng.stats().connections, 0);
}
