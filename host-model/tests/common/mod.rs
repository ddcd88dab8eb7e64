//! Helpers shared by the integration tests.
#![allow(dead_code)]

use host_model::engine::EngineModel;
use host_model::proto::*;
use host_model::{Config, Resolved};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A resolved configuration with this many connections (Paths and Neighbors follow).
pub fn cfg(connections: u32) -> Resolved {
    let mut c = Config::default();
    c.offload.connections = connections;
    c.resolve().expect("valid test config")
}

pub fn words(rng: &mut ChaCha8Rng, n: usize) -> Vec<u64> {
    (0..n).map(|_| rng.random::<u64>()).collect()
}

pub fn rand_neighbor(rng: &mut ChaCha8Rng) -> Neighbor {
    Neighbor::from_words(&words(rng, Neighbor::WORDS))
}

pub fn rand_path(rng: &mut ChaCha8Rng) -> Path {
    Path::from_words(&words(rng, Path::WORDS))
}

pub fn rand_tcp(rng: &mut ChaCha8Rng) -> Tcp {
    Tcp::from_words(&words(rng, Tcp::WORDS))
}

pub fn tcp_only(t: &Tcp, classes: &[Class]) -> Tcp {
    let mut z = Tcp::default();
    for c in classes {
        z.set_class_words(*c, &t.class_words(*c));
    }
    z
}

pub fn path_only(p: &Path, classes: &[Class]) -> Path {
    let mut z = Path::default();
    for c in classes {
        z.set_class_words(*c, &p.class_words(*c));
    }
    z
}

pub fn nbr_only(n: &Neighbor, classes: &[Class]) -> Neighbor {
    let mut z = Neighbor::default();
    for c in classes {
        z.set_class_words(*c, &n.class_words(*c));
    }
    z
}

/// A TCP object with given ports and otherwise random CONST + CACHED fields.
pub fn tcp_ports(rng: &mut ChaCha8Rng, local: u16, remote: u16) -> Tcp {
    let mut t = tcp_only(&rand_tcp(rng), &[Class::Const, Class::Cached]);
    t.local_port = local as u64;
    t.remote_port = remote as u64;
    t
}

pub fn nbr_vlan(vlan: Option<u16>) -> Neighbor {
    Neighbor {
        vlan_id: vlan.unwrap_or(0) as u64,
        vlan_present: vlan.is_some() as u64,
        dst_mac: 0x0200_0000_0099,
        src_mac: 0x0200_0000_0001,
        ..Neighbor::default()
    }
}

pub fn new_nbr(ctx: u32, n: Neighbor) -> Block {
    Block::Neighbor {
        host_ctx: ctx,
        obj: ObjRef::New(n),
    }
}
pub fn reuse_nbr(ctx: u32, h: u16) -> Block {
    Block::Neighbor {
        host_ctx: ctx,
        obj: ObjRef::Reuse(h),
    }
}
pub fn new_path(ctx: u32, p: Path) -> Block {
    Block::Path {
        host_ctx: ctx,
        obj: ObjRef::New(p),
    }
}
pub fn reuse_path(ctx: u32, h: u16) -> Block {
    Block::Path {
        host_ctx: ctx,
        obj: ObjRef::Reuse(h),
    }
}
pub fn tcp_block(ctx: u32, tcp: Tcp) -> Block {
    Block::Tcp { host_ctx: ctx, tcp }
}

pub fn handout1(e: &mut EngineModel, tag: u32, blocks: Vec<Block>) -> Event {
    e.command_event(&Command::Handout1 { tag, blocks }.encode())
}

pub fn results(ev: &Event) -> Vec<ResultEntry> {
    match ev {
        Event::Interlock { results, .. }
        | Event::HandoutDone { results, .. }
        | Event::Updated { results, .. } => results.clone(),
        other => panic!("no results in {other:?}"),
    }
}

pub fn items(ev: &Event) -> Vec<FlushItem> {
    match ev {
        Event::Flushed { items, .. } => items.clone(),
        other => panic!("not a flush response: {other:?}"),
    }
}

pub fn handout2(e: &mut EngineModel, entries: Vec<(u16, u32, Tcp)>) -> Event {
    let entries = entries
        .into_iter()
        .map(|(handle, host_ctx, tcp)| Handout2Entry {
            handle,
            host_ctx,
            tcp,
        })
        .collect();
    e.command_event(&Command::Handout2 { tag: 3, entries }.encode())
}

pub fn flush(e: &mut EngineModel, refs: &[(Kind, u16, u32)]) -> Event {
    let conns = refs
        .iter()
        .map(|&(kind, handle, host_ctx)| ConnRef {
            kind,
            handle,
            host_ctx,
        })
        .collect();
    e.command_event(&Command::Flush { tag: 4, conns }.encode())
}

/// Check every invariant that ties the engine's state together.
pub fn check_invariants(e: &EngineModel, cfg: &Resolved) {
    let o = cfg.config.offload.clone();
    let s = e.stats();
    let mut live_conns = 0u64;
    let mut path_refs = vec![0u32; cfg.paths as usize];
    for h in 0..o.connections {
        let Some(c) = e.conn(h as u16) else { continue };
        live_conns += 1;
        assert_eq!(e.key_location(&c.key), Some(c.slot), "conn {h} slot");
        let p = e
            .path(c.path)
            .unwrap_or_else(|| panic!("conn {h}: path {} dead", c.path));
        let n = e.neighbor(p.nbr).expect("path's neighbor live");
        assert_eq!(FlowKey::of(&n.nbr, &p.path, &c.tcp), c.key);
        path_refs[c.path as usize] += 1;
        // Held and Expired connections never received DELEGATED state and never raise
        // an exception upload request.
        if c.state != host_model::ConnState::Offloaded {
            assert_eq!(
                c.tcp.class_words(Class::Delegated),
                vec![0; TCP_DELEGATED_WORDS],
                "conn {h} ({:?}) DELEGATED",
                c.state
            );
            assert!(!c.upload_requested, "conn {h} ({:?}) requested", c.state);
        }
    }
    assert_eq!(s.connections, live_conns);
    let mut nbr_refs = vec![0u32; cfg.neighbors as usize];
    let mut live_paths = 0u64;
    for h in 0..cfg.paths {
        let Some(p) = e.path(h as u16) else { continue };
        live_paths += 1;
        assert_eq!(p.refcount, path_refs[h as usize], "path {h} refcount");
        nbr_refs[p.nbr as usize] += 1;
    }
    assert_eq!(s.paths, live_paths);
    let mut live_nbrs = 0u64;
    for h in 0..cfg.neighbors {
        let Some(n) = e.neighbor(h as u16) else {
            continue;
        };
        live_nbrs += 1;
        assert_eq!(n.refcount, nbr_refs[h as usize], "neighbor {h} refcount");
    }
    assert_eq!(s.neighbors, live_nbrs);
    assert_eq!(s.lookups, s.hits + s.held + s.misses);
    // Only exception requests are queued (a handout timeout is returned by `expire`).
    // (A queued request may outlive its connection: FLUSH does not take it back.)
    for ev in e.unsolicited() {
        assert!(
            matches!(ev, Event::UploadRequest { reason, .. } if *reason != UploadReason::HandoutTimeout),
            "queued {ev:?}"
        );
    }
}

/// Everything observable about the engine's objects (for "nothing else changed").
pub fn snapshot(e: &EngineModel, cfg: &Resolved) -> String {
    let o = cfg.config.offload.clone();
    let mut s = String::new();
    for h in 0..o.connections {
        s += &format!("{:?}\n", e.conn(h as u16));
    }
    for h in 0..cfg.paths {
        s += &format!("{:?}\n", e.path(h as u16));
    }
    for h in 0..cfg.neighbors {
        s += &format!("{:?}\n", e.neighbor(h as u16));
    }
    s
}
