//! Behavioural model of the offload engine's command processor and connection table:
//! the golden reference the RTL is checked against, word for word. The wire formats
//! are in [`crate::proto`]; this page states what the engine *does* with them.
//!
//! # State
//! - `N = offload.connections` connections, each Free, Held (between HANDOUT1 and
//!   HANDOUT2), Offloaded or Expired (HANDOUT2 did not come in time), with its host
//!   context, Path handle, [`Tcp`] object, connection-table slot and an
//!   `upload_requested` flag (false when HANDOUT1 creates it).
//! - `P` Paths ([`Resolved::paths`] = `connections / 4`: live, host context, Neighbor
//!   handle, refcount = live connections using it, [`Path`] object) and `M` Neighbors
//!   ([`Resolved::neighbors`] = `connections / 16`: live, host context, refcount =
//!   live Paths using it, [`Neighbor`] object).
//! - The connection table: [`TABLE_BANKS`] (2) banks × `2^bucket_bits` buckets ×
//!   [`TABLE_WAYS`] (4) ways of `(FlowKey, connection handle)` or empty, with
//!   `bucket_bits = conn_bits - 2`.
//! - The counters [`Stats`].
//! - The queue of unsolicited events ([`EngineModel::take_unsolicited`]).
//!
//! # Handle allocation
//! Connections, Paths and Neighbors each have their own allocator: a freed handle goes
//! to the tail of a FIFO; allocation takes the FIFO's head if it is not empty, else the
//! lowest handle never used (a counter); when neither exists the request is refused
//! with `NoResources`.
//!
//! # Commands
//! Every command message (all its words up to and including `tlast`) gets exactly one
//! response message. `command_errors += 1` for every response whose trailer status is
//! not `Ok` (ERROR events included).
//!
//! 1. **Header.** If the header cannot be accepted the answer is
//!    `Event::Error { tag, trailer { status, consumed: 0 } }`, with `tag` = bits
//!    `[63:32]` of word 0 (0 for an empty message) and `status` = `BadOpcode` for an
//!    unknown opcode, `BadHeader` for reserved header bits or a count the opcode does
//!    not allow (CAPS and STATS need 0, UPDATE needs 1). (An empty message, which the
//!    stream cannot carry, is answered `Truncated`.)
//! 2. **Entries** are processed one by one in order, each fully applied before the next.
//!    If reading an entry fails (truncated, bad kind, reserved bits, `reuse` where it is
//!    not allowed, wrong kind for HANDOUT2), processing stops: the response carries the
//!    results of the entries done so far, trailer status =
//!    [`CommandReader::status_of`] (`Truncated` or `BadEntry`), `consumed` = entries
//!    done. After all `count` entries, words left before `tlast` give status
//!    `TrailingWords` (the entries stay applied). CAPS and STATS report
//!    `TrailingWords` the same way (their body is still sent).
//! 3. **CAPS** → [`Event::Caps`]: connections `N`, paths `P`, neighbors `M` (both
//!    saturated at 65,535 should a configuration ever exceed the 16-bit field), banks 2, ways 4, `bucket_bits`,
//!    `beat_bytes = data_width / 8`, version [`PROTOCOL_VERSION`].
//! 4. **HANDOUT1** (block list). `cur_nbr` and `cur_path` start as *none*. Each block
//!    gives one result (its kind, a status, a handle, the block's host context):
//!    - Neighbor, new: allocate (none → `NoResources`, `cur_nbr` = *refused*), else
//!      store the object with refcount 0, result `Ok` with the new handle, `cur_nbr` = it.
//!      Neighbor, reuse: handle `< M`, live and host context equal → `Ok` (the handle),
//!      `cur_nbr` = it; else `UnknownHandle` (handle echoed), `cur_nbr` = *refused*.
//!    - Path, new: `cur_nbr` *none* → `NoParent`; *refused* → `ParentRefused`; else
//!      allocate (`NoResources` if none); on `Ok` store it, the Neighbor's refcount
//!      += 1, `cur_path` = it; on any refusal `cur_path` = *refused*. Path, reuse:
//!      handle `< P`, live, host context equal → `Ok`, `cur_path` = it (a reused Path
//!      keeps its own Neighbor, needs no current Neighbor, and leaves `cur_nbr`
//!      unchanged); else `UnknownHandle`, `cur_path` = *refused*.
//!    - TCP: `cur_path` *none* → `NoParent`; *refused* → `ParentRefused`; else the key
//!      is [`FlowKey::of`]`(path's Neighbor, path, tcp)` and the checks run in this
//!      order: key already in the table (any state) → `Duplicate`; no free connection
//!      handle → `NoResources`; a free way in bank 0's bucket
//!      `h3_hash(0, key, bucket_bits)` (lowest way first), else in bank 1's bucket
//!      `h3_hash(1, ..)` → insert there; else `TableFull` (`insert_failures += 1`, no
//!      handle allocated). On `Ok` the handle is allocated (only now), the connection
//!      becomes Held with the host context, Path, and the TCP CONST + CACHED fields
//!      (DELEGATED all zero); the Path's refcount += 1, `handout1 += 1`,
//!      `connections += 1`.
//!    - The result's handle is the new handle, 0 for a refused new object, and the given
//!      handle for a refused reuse. `refused += 1` for every non-`Ok` result.
//!      `paths` / `neighbors` count live objects.
//! 5. **HANDOUT2** entry (handle, host context, DELEGATED words): handle `>= N`, state
//!    Free, or host context different → `UnknownHandle`; Offloaded or Expired →
//!    `NotPending`; Held → store the DELEGATED fields, state Offloaded,
//!    `handout2 += 1`, `Ok`.
//! 6. **FLUSH / CLOSE** entries (response [`Event::Flushed`] with `close` set for
//!    CLOSE), items in order:
//!    - TCP entry: handle `< N`, Held, Offloaded or Expired, host context equal → item
//!      `Conn { Ok, tcp: Some(DELEGATED state) }` (all zero if Held or Expired); its key
//!      leaves the table, the handle is freed, `flushes += 1`, `connections -= 1`; the
//!      Path's refcount -= 1 and if it reaches 0 the Path is freed: item
//!      `PathFreed { (Path, Ok, handle, host context), the Path's DELEGATED state }`,
//!      `paths -= 1`, and its Neighbor's refcount -= 1; if that reaches 0 the Neighbor
//!      is freed: item `NeighborFreed { (Neighbor, Ok, handle, host context) }`,
//!      `neighbors -= 1`. Otherwise item `Conn { UnknownHandle, tcp: None }`.
//!    - Path entry: live, host context equal, refcount 0 → freed exactly as above
//!      (`PathFreed`, then the Neighbor cascade); refcount > 0 → `NotFreed { InUse }`;
//!      otherwise `NotFreed { UnknownHandle }`. Neighbor entry: live, host context
//!      equal, refcount 0 → `NeighborFreed`; > 0 → `NotFreed { InUse }`; otherwise
//!      `NotFreed { UnknownHandle }`. `NotFreed` echoes the entry's handle and context.
//! 7. **UPDATE** (one entry: kind, handle, CACHED words): Neighbor / Path live with the
//!    host context equal, or TCP Held, Offloaded or Expired with the host context equal →
//!    overwrite its CACHED fields, `Ok`, `updates += 1`; else `UnknownHandle`. One
//!    result in [`Event::Updated`].
//! 8. **STATS** → [`Event::Stats`] with the counters as they are before this command's
//!    own error accounting.
//!
//! # Receive lookup
//! A receive metadata record ([`RawRecord`]) is looked up iff `tcp_valid` is 1 (else
//! [`Lookup::NotTcp`], `not_tcp += 1`). The key ([`record_key`]): `ipv6` = `ip6`,
//! `vlan_present` = `vlan_valid`, `vlan_id` = `vlan_id` if `vlan_valid` else 0,
//! `local_ip` = `dst_ip`, `remote_ip` = `src_ip` (both masked to the low 32 bits for
//! IPv4), `local_port` = `dst_port`, `remote_port` = `src_port`. Found in either bank:
//! Held → `held += 1`, [`Lookup::Held`]; Offloaded → `hits += 1`, [`Lookup::Hit`];
//! Expired, or not found → `misses += 1`, [`Lookup::Miss`] (an Expired connection's
//! frames go to the host again). `lookups += 1` for every frame looked up.
//!
//! # Held frames and the output stream (A6)
//! [`EngineModel::lookup`] also decides where the frame goes. Frames leave the engine
//! top in order, each with its record and final status ([`Delivery`],
//! [`EngineModel::take_delivered`]), except frames of Held connections: these wait in
//! a store of [`HOLD_FRAMES`] frames shared by all connections (a held frame that finds
//! it full is dropped, `hold_drops += 1`). The store is emptied per connection, oldest
//! frame first, at the point in the stream where the command takes effect:
//! - HANDOUT2 `Ok` → its held frames leave as `Hit(handle)` (no upload request is
//!   raised for them);
//! - handout timeout ([`EngineModel::expire`]), FLUSH or CLOSE of a Held connection →
//!   they leave as `Miss` (to the host, whose stack owns the connection again).
//!
//! Frames longer than [`ENGINE_MAX_FRAME`] bytes are cut to that length and flagged
//! (`tuser`) on the engine's frame output; `oversize += 1` (their record is unchanged).
//!
//! # Upload requests (unsolicited events, M5, A7)
//! The engine asks the host to upload a connection with
//! [`Event::UploadRequest`]`{ handle, host_ctx, reason }` (type 0xC0, tag 0).
//! - **Exception.** A lookup that is a Hit (Offloaded connection) of a record whose
//!   `tcp_flags` give [`UploadReason::of_tcp_flags`]`(tcp_flags) = Some(r)` (RST, else
//!   FIN, else SYN, else URG), while the connection's `upload_requested` flag is false:
//!   the flag is set and `UploadRequest { handle, host_ctx, reason: r }` is queued. The
//!   lookup result is still `Hit` and the counters are as for any hit. So a connection
//!   raises at most one exception request until it is freed (a new HANDOUT1 of the same
//!   handle starts with the flag false). Held and Expired connections never raise one.
//! - **Handout timeout.** When `offload.handout_timeout_us`
//!   ([`Resolved::handout_timeout_cycles`]) passes after the HANDOUT1 that created a
//!   connection and it is still Held, it becomes Expired and the engine sends
//!   `UploadRequest { handle, host_ctx, reason: HandoutTimeout }`
//!   ([`EngineModel::expire`]; the model has no clock, the testbench calls it when the
//!   RTL reports the timeout, and the event is returned, not queued). The
//!   `upload_requested` flag is not changed by it. An Expired connection stays in the
//!   table and in `connections` until FLUSH or CLOSE frees it.
//! - Queued events are sent in the order they were raised, between responses, never
//!   inside one ([`EngineModel::take_unsolicited`]). No counter counts them. A queued
//!   request is not withdrawn when its connection is freed (the host ignores requests
//!   for connections it no longer has on the engine).

use std::collections::VecDeque;

use crate::config::Resolved;
use crate::meta::{self, RawRecord};
use crate::proto::{
    Block, CachedUpdate, Caps, Class, CmdStatus, CommandReader, DecodeError, ENGINE_MAX_FRAME,
    EntryStatus, Event, FlowKey, FlushItem, HOLD_FRAMES, Kind, Neighbor, ObjRef, Opcode,
    PROTOCOL_VERSION, Path, ResultEntry, Stats, TABLE_BANKS, TABLE_WAYS, Tcp, Trailer,
    UploadReason, h3_hash,
};

/// Result of looking a received frame up in the connection table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// The record has no TCP tuple (`tcp_valid` clear): not looked up.
    NotTcp,
    /// No connection has this key, or its connection is Expired.
    Miss,
    /// A connection between HANDOUT1 and HANDOUT2 (its frames are held).
    Held(u16),
    /// An offloaded connection.
    Hit(u16),
}

impl Lookup {
    /// The (status, connection handle) pair of the engine's `m_lk_status` /
    /// `m_lk_conn` ports: 0 not TCP, 1 miss, 2 held, 3 hit; handle 0 unless held or hit.
    pub fn code(&self) -> (u8, u16) {
        match *self {
            Lookup::NotTcp => (0, 0),
            Lookup::Miss => (1, 0),
            Lookup::Held(h) => (2, h),
            Lookup::Hit(h) => (3, h),
        }
    }
}

/// State of a connection slot that is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnState {
    /// Inserted by HANDOUT1, waiting for HANDOUT2.
    Held,
    /// Started by HANDOUT2: the engine owns its DELEGATED state.
    Offloaded,
    /// HANDOUT2 did not come in time ([`EngineModel::expire`]): its frames miss again,
    /// HANDOUT2 is answered `NotPending`, it waits for FLUSH / CLOSE.
    Expired,
}

/// A live connection as the engine holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnView {
    pub state: ConnState,
    pub host_ctx: u32,
    /// Handle of its Path.
    pub path: u16,
    /// CONST and CACHED from HANDOUT1 (and UPDATE), DELEGATED from HANDOUT2 (zero while
    /// Held or Expired).
    pub tcp: Tcp,
    /// Its flow key.
    pub key: FlowKey,
    /// Where its key sits in the table: (bank, bucket, way).
    pub slot: (usize, usize, usize),
    /// An exception upload request was raised for it (false from HANDOUT1 on).
    pub upload_requested: bool,
}

/// A live Path as the engine holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathView {
    pub host_ctx: u32,
    /// Handle of its Neighbor.
    pub nbr: u16,
    /// Live connections using this Path.
    pub refcount: u32,
    pub path: Path,
}

/// A live Neighbor as the engine holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborView {
    pub host_ctx: u32,
    /// Live Paths using this Neighbor.
    pub refcount: u32,
    pub nbr: Neighbor,
}

/// Handle allocator: freed handles go to the tail of a FIFO; allocation takes the
/// FIFO's head, else the lowest handle never used.
#[derive(Debug, Clone)]
struct HandleAlloc {
    fifo: VecDeque<u16>,
    next: u32,
    limit: u32,
}

impl HandleAlloc {
    fn new(limit: u32) -> Self {
        HandleAlloc {
            fifo: VecDeque::new(),
            next: 0,
            limit: limit.min(1 << 16),
        }
    }

    fn available(&self) -> bool {
        !self.fifo.is_empty() || self.next < self.limit
    }

    fn alloc(&mut self) -> Option<u16> {
        if let Some(h) = self.fifo.pop_front() {
            return Some(h);
        }
        if self.next < self.limit {
            let h = self.next as u16;
            self.next += 1;
            return Some(h);
        }
        None
    }

    fn free(&mut self, h: u16) {
        self.fifo.push_back(h);
    }
}

#[derive(Debug, Clone, Copy)]
struct ConnSlot {
    state: ConnState,
    host_ctx: u32,
    path: u16,
    tcp: Tcp,
    key: FlowKey,
    slot: (usize, usize, usize),
    upload_requested: bool,
}

#[derive(Debug, Clone, Copy)]
struct PathSlot {
    host_ctx: u32,
    nbr: u16,
    refcount: u32,
    path: Path,
}

#[derive(Debug, Clone, Copy)]
struct NbrSlot {
    host_ctx: u32,
    refcount: u32,
    nbr: Neighbor,
}

/// The parent reference while walking a block list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cur {
    None,
    Refused,
    Some(u16),
}

/// The connection-table key of a receive metadata record, or `None` when the record
/// has no TCP tuple (`tcp_valid` clear). See the module documentation.
pub fn record_key(rec: &RawRecord) -> Option<FlowKey> {
    let num = |name: &str| meta::field(name).map(|f| rec.get(f)).unwrap_or(0);
    if num("tcp_valid") == 0 {
        return None;
    }
    let ipv6 = num("ip6") != 0;
    let vlan_present = num("vlan_valid") != 0;
    let m = if ipv6 { u128::MAX } else { u32::MAX as u128 };
    Some(FlowKey {
        ipv6,
        vlan_present,
        vlan_id: if vlan_present {
            num("vlan_id") as u16
        } else {
            0
        },
        local_ip: num("dst_ip") & m,
        remote_ip: num("src_ip") & m,
        local_port: num("dst_port") as u16,
        remote_port: num("src_port") as u16,
    })
}

/// The behavioural engine model (see the module documentation for its exact semantics).
#[derive(Debug, Clone)]
pub struct EngineModel {
    n_conns: usize,
    n_paths: usize,
    n_nbrs: usize,
    bucket_bits: u32,
    beat_bytes: u8,
    conns: Vec<Option<ConnSlot>>,
    paths: Vec<Option<PathSlot>>,
    nbrs: Vec<Option<NbrSlot>>,
    conn_alloc: HandleAlloc,
    path_alloc: HandleAlloc,
    nbr_alloc: HandleAlloc,
    /// `TABLE_BANKS × buckets × TABLE_WAYS` slots, bank-major.
    table: Vec<Option<(FlowKey, u16)>>,
    stats: Stats,
    /// Unsolicited events raised and not yet taken, oldest first.
    unsolicited: Vec<Event>,
    /// Held frames (connection handle, record), oldest first, at most [`HOLD_FRAMES`].
    hold: Vec<(u16, RawRecord)>,
    /// Frames delivered and not yet taken, in the engine's output order.
    delivered: VecDeque<Delivery>,
}

/// A frame leaving the engine top: its record and its final lookup status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub record: RawRecord,
    /// `Hit(h)` for a held frame released by HANDOUT2, `Miss` for one released by a
    /// timeout, FLUSH or CLOSE; never `Held`.
    pub lookup: Lookup,
}

impl EngineModel {
    /// An engine sized by the configuration, everything free, counters zero.
    pub fn new(cfg: &Resolved) -> EngineModel {
        let n_conns = cfg.config.offload.connections as usize;
        let n_paths = cfg.paths as usize;
        let n_nbrs = cfg.neighbors as usize;
        let bucket_bits = cfg.bucket_bits;
        let buckets = 1usize << bucket_bits;
        EngineModel {
            n_conns,
            n_paths,
            n_nbrs,
            bucket_bits,
            beat_bytes: (cfg.config.data_width / 8) as u8,
            conns: vec![None; n_conns],
            paths: vec![None; n_paths],
            nbrs: vec![None; n_nbrs],
            conn_alloc: HandleAlloc::new(n_conns as u32),
            path_alloc: HandleAlloc::new(cfg.paths),
            nbr_alloc: HandleAlloc::new(cfg.neighbors),
            table: vec![None; TABLE_BANKS * buckets * TABLE_WAYS],
            stats: Stats::default(),
            unsolicited: Vec::new(),
            hold: Vec::new(),
            delivered: VecDeque::new(),
        }
    }

    /// The capabilities CAPS reports.
    pub fn caps(&self) -> Caps {
        Caps {
            connections: self.n_conns as u32,
            paths: self.n_paths.min(u16::MAX as usize) as u16,
            neighbors: self.n_nbrs.min(u16::MAX as usize) as u16,
            banks: TABLE_BANKS as u8,
            ways: TABLE_WAYS as u8,
            bucket_bits: self.bucket_bits as u8,
            beat_bytes: self.beat_bytes,
            version: PROTOCOL_VERSION,
        }
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The counters, for the blocks around the engine top that count into STATS (the
    /// receive path's ring counters, its command errors).
    pub fn stats_mut(&mut self) -> &mut Stats {
        &mut self.stats
    }

    /// A live connection (Held, Offloaded or Expired), `None` when `handle` is free or out
    /// of range.
    pub fn conn(&self, handle: u16) -> Option<ConnView> {
        let c = self.conns.get(handle as usize)?.as_ref()?;
        Some(ConnView {
            state: c.state,
            host_ctx: c.host_ctx,
            path: c.path,
            tcp: c.tcp,
            key: c.key,
            slot: c.slot,
            upload_requested: c.upload_requested,
        })
    }

    /// A live Path.
    pub fn path(&self, handle: u16) -> Option<PathView> {
        let p = self.paths.get(handle as usize)?.as_ref()?;
        Some(PathView {
            host_ctx: p.host_ctx,
            nbr: p.nbr,
            refcount: p.refcount,
            path: p.path,
        })
    }

    /// The TCP object of an Offloaded connection, for the fast path beside the engine
    /// core, which owns its DELEGATED receive fields while it is offloaded
    /// ([`crate::rcv`]); `None` for any other handle.
    pub fn offloaded_tcp_mut(&mut self, handle: u16) -> Option<&mut Tcp> {
        match self.conns.get_mut(handle as usize)? {
            Some(c) if c.state == ConnState::Offloaded => Some(&mut c.tcp),
            _ => None,
        }
    }

    /// The Path object of a live Path (the fast path counts the IP IDs it uses, M7).
    pub fn path_obj_mut(&mut self, handle: u16) -> Option<&mut Path> {
        Some(&mut self.paths.get_mut(handle as usize)?.as_mut()?.path)
    }

    /// Queue an upload request for an Offloaded connection whose `upload_requested`
    /// flag is clear (then set it), as an exception does; returns whether one was
    /// queued.
    pub fn request_upload(&mut self, handle: u16, reason: UploadReason) -> bool {
        match self.conns.get_mut(handle as usize) {
            Some(Some(c)) if c.state == ConnState::Offloaded && !c.upload_requested => {
                c.upload_requested = true;
                self.unsolicited.push(Event::UploadRequest {
                    handle,
                    host_ctx: c.host_ctx,
                    reason,
                });
                true
            }
            _ => false,
        }
    }

    /// A live Neighbor.
    pub fn neighbor(&self, handle: u16) -> Option<NeighborView> {
        let n = self.nbrs.get(handle as usize)?.as_ref()?;
        Some(NeighborView {
            host_ctx: n.host_ctx,
            refcount: n.refcount,
            nbr: n.nbr,
        })
    }

    /// Handles of the live connections, ascending.
    pub fn live_conns(&self) -> Vec<u16> {
        (0..self.conns.len())
            .filter(|&h| self.conns[h].is_some())
            .map(|h| h as u16)
            .collect()
    }

    /// Where a key sits in the table: (bank, bucket, way).
    pub fn key_location(&self, key: &FlowKey) -> Option<(usize, usize, usize)> {
        self.find(key).map(|(loc, _)| loc)
    }

    /// Buckets per bank.
    pub fn buckets(&self) -> usize {
        1usize << self.bucket_bits
    }

    /// The bucket of `key` in `bank` (`h3_hash` cut to `bucket_bits`).
    pub fn bucket_of(&self, bank: usize, key: &FlowKey) -> usize {
        h3_hash(bank, key, self.bucket_bits) as usize
    }

    fn slot_index(&self, bank: usize, bucket: usize, way: usize) -> usize {
        (bank * self.buckets() + bucket) * TABLE_WAYS + way
    }

    fn find(&self, key: &FlowKey) -> Option<((usize, usize, usize), u16)> {
        for bank in 0..TABLE_BANKS {
            let bucket = self.bucket_of(bank, key);
            for way in 0..TABLE_WAYS {
                if let Some(Some((k, h))) = self.table.get(self.slot_index(bank, bucket, way))
                    && k == key
                {
                    return Some(((bank, bucket, way), *h));
                }
            }
        }
        None
    }

    fn free_slot(&self, key: &FlowKey) -> Option<(usize, usize, usize)> {
        for bank in 0..TABLE_BANKS {
            let bucket = self.bucket_of(bank, key);
            for way in 0..TABLE_WAYS {
                if matches!(
                    self.table.get(self.slot_index(bank, bucket, way)),
                    Some(None)
                ) {
                    return Some((bank, bucket, way));
                }
            }
        }
        None
    }

    /// Look a received frame's metadata record up (see the module documentation): a
    /// Hit whose `tcp_flags` carry RST, FIN, SYN or URG may queue an upload request.
    pub fn lookup(&mut self, rec: &RawRecord) -> Lookup {
        let len = meta::field("frame_len").map_or(0, |f| rec.get(f)) as usize;
        if len > ENGINE_MAX_FRAME {
            self.stats.oversize += 1;
        }
        let l = self.lookup_record(rec);
        match l {
            Lookup::Held(h) if self.hold.len() < HOLD_FRAMES => {
                self.hold.push((h, rec.clone()));
            }
            Lookup::Held(_) => self.stats.hold_drops += 1,
            _ => self.delivered.push_back(Delivery {
                record: rec.clone(),
                lookup: l,
            }),
        }
        l
    }

    /// Release the held frames of `handle`, oldest first, as `lookup`.
    fn release(&mut self, handle: u16, lookup: Lookup) {
        let (out, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.hold)
            .into_iter()
            .partition(|(h, _)| *h == handle);
        self.hold = keep;
        for (_, record) in out {
            self.delivered.push_back(Delivery { record, lookup });
        }
    }

    /// Return and clear the frames delivered so far, in output order.
    pub fn take_delivered(&mut self) -> Vec<Delivery> {
        self.delivered.drain(..).collect()
    }

    /// Frames held now (connection handle and record), oldest first.
    pub fn held_frames(&self) -> &[(u16, RawRecord)] {
        &self.hold
    }

    fn lookup_record(&mut self, rec: &RawRecord) -> Lookup {
        match record_key(rec) {
            None => {
                self.stats.not_tcp += 1;
                Lookup::NotTcp
            }
            Some(key) => {
                let flags = meta::field("tcp_flags").map_or(0, |f| rec.get(f)) as u16;
                self.lookup_key_flags(&key, flags)
            }
        }
    }

    /// Look a key up as [`EngineModel::lookup`] does for a TCP record with no flag that
    /// raises an upload request (counts alike).
    pub fn lookup_key(&mut self, key: &FlowKey) -> Lookup {
        self.lookup_key_flags(key, 0)
    }

    /// Look a key up as [`EngineModel::lookup`] does for a TCP record with these
    /// `tcp_flags` (counts and upload requests alike).
    pub fn lookup_key_flags(&mut self, key: &FlowKey, tcp_flags: u16) -> Lookup {
        self.stats.lookups += 1;
        let found = self.find(key).map(|(_, h)| h);
        let conn = found.and_then(|h| match self.conns.get_mut(h as usize) {
            Some(Some(c)) => Some((h, c)),
            _ => None,
        });
        match conn {
            Some((h, c)) if c.state == ConnState::Held => {
                self.stats.held += 1;
                Lookup::Held(h)
            }
            Some((h, c)) if c.state == ConnState::Offloaded => {
                self.stats.hits += 1;
                if !c.upload_requested
                    && let Some(reason) = UploadReason::of_tcp_flags(tcp_flags)
                {
                    c.upload_requested = true;
                    self.unsolicited.push(Event::UploadRequest {
                        handle: h,
                        host_ctx: c.host_ctx,
                        reason,
                    });
                }
                Lookup::Hit(h)
            }
            _ => {
                self.stats.misses += 1;
                Lookup::Miss
            }
        }
    }

    /// The HANDOUT1 timeout fired for `handle` (see the module documentation): a Held
    /// connection becomes Expired and the engine's `UploadRequest { reason:
    /// HandoutTimeout }` is returned (not queued). Any other handle (free, out of range,
    /// Offloaded, already Expired): `None`, nothing changes.
    pub fn expire(&mut self, handle: u16) -> Option<Event> {
        let c = self.conns.get_mut(handle as usize)?.as_mut()?;
        if c.state != ConnState::Held {
            return None;
        }
        c.state = ConnState::Expired;
        let host_ctx = c.host_ctx;
        self.release(handle, Lookup::Miss);
        Some(Event::UploadRequest {
            handle,
            host_ctx,
            reason: UploadReason::HandoutTimeout,
        })
    }

    /// Return and clear the queued unsolicited events, oldest first.
    pub fn take_unsolicited(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.unsolicited)
    }

    /// The queued unsolicited events, oldest first (not taken).
    pub fn unsolicited(&self) -> &[Event] {
        &self.unsolicited
    }

    /// Process one command message and return its response message's words.
    /// Never panics.
    pub fn command(&mut self, words: &[u64]) -> Vec<u64> {
        self.command_event(words).encode()
    }

    /// As [`EngineModel::command`], returning the response as an [`Event`].
    pub fn command_event(&mut self, words: &[u64]) -> Event {
        let ev = self.process(words);
        if ev.trailer().status != CmdStatus::Ok {
            self.stats.command_errors += 1;
        }
        ev
    }

    fn process(&mut self, words: &[u64]) -> Event {
        // Data-path opcodes belong to the blocks around the engine core: unknown here,
        // whatever the rest of the header says.
        if let Some(w) = words.first()
            && Opcode::is_data_path(*w as u8)
        {
            return Event::Error {
                tag: (w >> 32) as u32,
                trailer: Trailer {
                    status: CmdStatus::BadOpcode,
                    consumed: 0,
                },
            };
        }
        let mut r = match CommandReader::new(words) {
            Ok(r) => r,
            Err(e) => {
                let tag = words.first().map(|w| (w >> 32) as u32).unwrap_or(0);
                let status = match e {
                    DecodeError::BadOpcode(_) => CmdStatus::BadOpcode,
                    DecodeError::Empty => CmdStatus::Truncated,
                    _ => CmdStatus::BadHeader,
                };
                return Event::Error {
                    tag,
                    trailer: Trailer {
                        status,
                        consumed: 0,
                    },
                };
            }
        };
        let tag = r.tag;
        // `Err(e)` from an entry read stops processing with that status.
        let mut fault: Option<DecodeError> = None;
        let ev = match r.opcode {
            Opcode::Caps => Event::Caps {
                tag,
                caps: self.caps(),
                trailer: Trailer::ok(0),
            },
            Opcode::Stats => Event::Stats {
                tag,
                stats: self.stats,
                trailer: Trailer::ok(0),
            },
            Opcode::Handout1 => {
                let mut results = Vec::new();
                let mut cur_nbr = Cur::None;
                let mut cur_path = Cur::None;
                loop {
                    match r.next_block() {
                        Ok(Some(b)) => {
                            let res = self.block(&b, &mut cur_nbr, &mut cur_path);
                            if res.status != EntryStatus::Ok {
                                self.stats.refused += 1;
                            }
                            results.push(res);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            fault = Some(e);
                            break;
                        }
                    }
                }
                Event::Interlock {
                    tag,
                    results,
                    trailer: Trailer::ok(0),
                }
            }
            Opcode::Handout2 => {
                let mut results = Vec::new();
                loop {
                    match r.next_handout2() {
                        Ok(Some(e)) => results.push(self.handout2(e.handle, e.host_ctx, &e.tcp)),
                        Ok(None) => break,
                        Err(e) => {
                            fault = Some(e);
                            break;
                        }
                    }
                }
                Event::HandoutDone {
                    tag,
                    results,
                    trailer: Trailer::ok(0),
                }
            }
            Opcode::Flush | Opcode::Close => {
                let mut items = Vec::new();
                loop {
                    match r.next_conn() {
                        Ok(Some(c)) => self.flush_entry(c.kind, c.handle, c.host_ctx, &mut items),
                        Ok(None) => break,
                        Err(e) => {
                            fault = Some(e);
                            break;
                        }
                    }
                }
                Event::Flushed {
                    tag,
                    close: r.opcode == Opcode::Close,
                    items,
                    trailer: Trailer::ok(0),
                }
            }
            // Data-path commands are the receive path's (`crate::rx_path`); the engine
            // top without it does not know them.
            Opcode::RxBuf | Opcode::RcvList | Opcode::WinUpdate | Opcode::SendList => {
                return Event::Error {
                    tag,
                    trailer: Trailer {
                        status: CmdStatus::BadOpcode,
                        consumed: 0,
                    },
                };
            }
            Opcode::Update => {
                let mut results = Vec::new();
                match r.next_update() {
                    Ok(Some(u)) => results.push(self.update(&u)),
                    Ok(None) => {}
                    Err(e) => fault = Some(e),
                }
                Event::Updated {
                    tag,
                    results,
                    trailer: Trailer::ok(0),
                }
            }
        };
        let status = match &fault {
            Some(e) => CommandReader::status_of(e),
            None => match r.finish() {
                Ok(()) => CmdStatus::Ok,
                Err(e) => CommandReader::status_of(&e),
            },
        };
        let trailer = Trailer {
            status,
            consumed: r.consumed,
        };
        with_trailer(ev, trailer)
    }

    fn block(&mut self, b: &Block, cur_nbr: &mut Cur, cur_path: &mut Cur) -> ResultEntry {
        let host_ctx = b.host_ctx();
        let res = |kind, status, handle| ResultEntry {
            kind,
            status,
            handle,
            host_ctx,
        };
        match *b {
            Block::Neighbor {
                obj: ObjRef::New(nbr),
                ..
            } => match self.nbr_alloc.alloc() {
                Some(h) => {
                    self.nbrs[h as usize] = Some(NbrSlot {
                        host_ctx,
                        refcount: 0,
                        nbr,
                    });
                    self.stats.neighbors += 1;
                    *cur_nbr = Cur::Some(h);
                    res(Kind::Neighbor, EntryStatus::Ok, h)
                }
                None => {
                    *cur_nbr = Cur::Refused;
                    res(Kind::Neighbor, EntryStatus::NoResources, 0)
                }
            },
            Block::Neighbor {
                obj: ObjRef::Reuse(h),
                ..
            } => {
                if matches!(self.nbrs.get(h as usize), Some(Some(n)) if n.host_ctx == host_ctx) {
                    *cur_nbr = Cur::Some(h);
                    res(Kind::Neighbor, EntryStatus::Ok, h)
                } else {
                    *cur_nbr = Cur::Refused;
                    res(Kind::Neighbor, EntryStatus::UnknownHandle, h)
                }
            }
            Block::Path {
                obj: ObjRef::New(path),
                ..
            } => {
                let alloc = match *cur_nbr {
                    Cur::None => Err(EntryStatus::NoParent),
                    Cur::Refused => Err(EntryStatus::ParentRefused),
                    Cur::Some(n) => self
                        .path_alloc
                        .alloc()
                        .map(|h| (n, h))
                        .ok_or(EntryStatus::NoResources),
                };
                match alloc {
                    Ok((n, h)) => {
                        self.paths[h as usize] = Some(PathSlot {
                            host_ctx,
                            nbr: n,
                            refcount: 0,
                            path,
                        });
                        if let Some(Some(ns)) = self.nbrs.get_mut(n as usize) {
                            ns.refcount += 1;
                        }
                        self.stats.paths += 1;
                        *cur_path = Cur::Some(h);
                        res(Kind::Path, EntryStatus::Ok, h)
                    }
                    Err(s) => {
                        *cur_path = Cur::Refused;
                        res(Kind::Path, s, 0)
                    }
                }
            }
            Block::Path {
                obj: ObjRef::Reuse(h),
                ..
            } => {
                if matches!(self.paths.get(h as usize), Some(Some(p)) if p.host_ctx == host_ctx) {
                    *cur_path = Cur::Some(h);
                    res(Kind::Path, EntryStatus::Ok, h)
                } else {
                    *cur_path = Cur::Refused;
                    res(Kind::Path, EntryStatus::UnknownHandle, h)
                }
            }
            Block::Tcp { tcp, .. } => {
                let p = match *cur_path {
                    Cur::None => return res(Kind::Tcp, EntryStatus::NoParent, 0),
                    Cur::Refused => return res(Kind::Tcp, EntryStatus::ParentRefused, 0),
                    Cur::Some(p) => p,
                };
                let Some(Some(ps)) = self.paths.get(p as usize).copied() else {
                    return res(Kind::Tcp, EntryStatus::ParentRefused, 0);
                };
                let Some(Some(ns)) = self.nbrs.get(ps.nbr as usize).copied() else {
                    return res(Kind::Tcp, EntryStatus::ParentRefused, 0);
                };
                let key = FlowKey::of(&ns.nbr, &ps.path, &tcp);
                if self.find(&key).is_some() {
                    return res(Kind::Tcp, EntryStatus::Duplicate, 0);
                }
                if !self.conn_alloc.available() {
                    return res(Kind::Tcp, EntryStatus::NoResources, 0);
                }
                let Some(slot) = self.free_slot(&key) else {
                    self.stats.insert_failures += 1;
                    return res(Kind::Tcp, EntryStatus::TableFull, 0);
                };
                let Some(h) = self.conn_alloc.alloc() else {
                    return res(Kind::Tcp, EntryStatus::NoResources, 0);
                };
                let idx = self.slot_index(slot.0, slot.1, slot.2);
                self.table[idx] = Some((key, h));
                let mut t = Tcp::default();
                t.set_class_words(Class::Const, &tcp.class_words(Class::Const));
                t.set_class_words(Class::Cached, &tcp.class_words(Class::Cached));
                self.conns[h as usize] = Some(ConnSlot {
                    state: ConnState::Held,
                    host_ctx,
                    path: p,
                    tcp: t,
                    key,
                    slot,
                    upload_requested: false,
                });
                if let Some(Some(ps)) = self.paths.get_mut(p as usize) {
                    ps.refcount += 1;
                }
                self.stats.handout1 += 1;
                self.stats.connections += 1;
                res(Kind::Tcp, EntryStatus::Ok, h)
            }
        }
    }

    fn handout2(&mut self, handle: u16, host_ctx: u32, tcp: &Tcp) -> ResultEntry {
        let mut r = ResultEntry {
            kind: Kind::Tcp,
            status: EntryStatus::UnknownHandle,
            handle,
            host_ctx,
        };
        if let Some(Some(c)) = self.conns.get_mut(handle as usize)
            && c.host_ctx == host_ctx
        {
            match c.state {
                ConnState::Offloaded | ConnState::Expired => r.status = EntryStatus::NotPending,
                ConnState::Held => {
                    c.tcp
                        .set_class_words(Class::Delegated, &tcp.class_words(Class::Delegated));
                    c.state = ConnState::Offloaded;
                    self.stats.handout2 += 1;
                    r.status = EntryStatus::Ok;
                    self.release(handle, Lookup::Hit(handle));
                }
            }
        }
        r
    }

    fn flush_entry(&mut self, kind: Kind, handle: u16, host_ctx: u32, items: &mut Vec<FlushItem>) {
        let refused = |status| ResultEntry {
            kind,
            status,
            handle,
            host_ctx,
        };
        match kind {
            Kind::Tcp => {
                let c = match self.conns.get(handle as usize) {
                    Some(Some(c)) if c.host_ctx == host_ctx => *c,
                    _ => {
                        items.push(FlushItem::Conn {
                            result: refused(EntryStatus::UnknownHandle),
                            tcp: None,
                        });
                        return;
                    }
                };
                // Held and Expired connections never received DELEGATED state: zeros.
                let mut deleg = Tcp::default();
                if c.state == ConnState::Offloaded {
                    deleg.set_class_words(Class::Delegated, &c.tcp.class_words(Class::Delegated));
                }
                items.push(FlushItem::Conn {
                    result: refused(EntryStatus::Ok),
                    tcp: Some(deleg),
                });
                if c.state == ConnState::Held {
                    self.release(handle, Lookup::Miss);
                }
                let idx = self.slot_index(c.slot.0, c.slot.1, c.slot.2);
                if let Some(s) = self.table.get_mut(idx) {
                    *s = None;
                }
                self.conns[handle as usize] = None;
                self.conn_alloc.free(handle);
                self.stats.flushes += 1;
                self.stats.connections = self.stats.connections.saturating_sub(1);
                let now_zero = match self.paths.get_mut(c.path as usize) {
                    Some(Some(p)) => {
                        p.refcount = p.refcount.saturating_sub(1);
                        p.refcount == 0
                    }
                    _ => false,
                };
                if now_zero {
                    self.free_path(c.path, items);
                }
            }
            Kind::Path => match self.paths.get(handle as usize) {
                Some(Some(p)) if p.host_ctx == host_ctx => {
                    if p.refcount == 0 {
                        self.free_path(handle, items);
                    } else {
                        items.push(FlushItem::NotFreed {
                            result: refused(EntryStatus::InUse),
                        });
                    }
                }
                _ => items.push(FlushItem::NotFreed {
                    result: refused(EntryStatus::UnknownHandle),
                }),
            },
            Kind::Neighbor => match self.nbrs.get(handle as usize) {
                Some(Some(n)) if n.host_ctx == host_ctx => {
                    if n.refcount == 0 {
                        self.free_nbr(handle, items);
                    } else {
                        items.push(FlushItem::NotFreed {
                            result: refused(EntryStatus::InUse),
                        });
                    }
                }
                _ => items.push(FlushItem::NotFreed {
                    result: refused(EntryStatus::UnknownHandle),
                }),
            },
        }
    }

    /// Free a live Path (refcount 0): PathFreed, then the Neighbor cascade.
    fn free_path(&mut self, h: u16, items: &mut Vec<FlushItem>) {
        let Some(Some(p)) = self.paths.get(h as usize).copied() else {
            return;
        };
        let mut deleg = Path::default();
        deleg.set_class_words(Class::Delegated, &p.path.class_words(Class::Delegated));
        items.push(FlushItem::PathFreed {
            result: ResultEntry {
                kind: Kind::Path,
                status: EntryStatus::Ok,
                handle: h,
                host_ctx: p.host_ctx,
            },
            path: deleg,
        });
        self.paths[h as usize] = None;
        self.path_alloc.free(h);
        self.stats.paths = self.stats.paths.saturating_sub(1);
        let now_zero = match self.nbrs.get_mut(p.nbr as usize) {
            Some(Some(n)) => {
                n.refcount = n.refcount.saturating_sub(1);
                n.refcount == 0
            }
            _ => false,
        };
        if now_zero {
            self.free_nbr(p.nbr, items);
        }
    }

    /// Free a live Neighbor (refcount 0).
    fn free_nbr(&mut self, h: u16, items: &mut Vec<FlushItem>) {
        let Some(Some(n)) = self.nbrs.get(h as usize).copied() else {
            return;
        };
        items.push(FlushItem::NeighborFreed {
            result: ResultEntry {
                kind: Kind::Neighbor,
                status: EntryStatus::Ok,
                handle: h,
                host_ctx: n.host_ctx,
            },
        });
        self.nbrs[h as usize] = None;
        self.nbr_alloc.free(h);
        self.stats.neighbors = self.stats.neighbors.saturating_sub(1);
    }

    fn update(&mut self, u: &CachedUpdate) -> ResultEntry {
        let (kind, handle, host_ctx) = match *u {
            CachedUpdate::Neighbor {
                handle, host_ctx, ..
            } => (Kind::Neighbor, handle, host_ctx),
            CachedUpdate::Path {
                handle, host_ctx, ..
            } => (Kind::Path, handle, host_ctx),
            CachedUpdate::Tcp {
                handle, host_ctx, ..
            } => (Kind::Tcp, handle, host_ctx),
        };
        let ok = match u {
            CachedUpdate::Neighbor { nbr, .. } => match self.nbrs.get_mut(handle as usize) {
                Some(Some(n)) if n.host_ctx == host_ctx => {
                    n.nbr
                        .set_class_words(Class::Cached, &nbr.class_words(Class::Cached));
                    true
                }
                _ => false,
            },
            CachedUpdate::Path { path, .. } => match self.paths.get_mut(handle as usize) {
                Some(Some(p)) if p.host_ctx == host_ctx => {
                    p.path
                        .set_class_words(Class::Cached, &path.class_words(Class::Cached));
                    true
                }
                _ => false,
            },
            CachedUpdate::Tcp { tcp, .. } => match self.conns.get_mut(handle as usize) {
                Some(Some(c)) if c.host_ctx == host_ctx => {
                    c.tcp
                        .set_class_words(Class::Cached, &tcp.class_words(Class::Cached));
                    true
                }
                _ => false,
            },
        };
        if ok {
            self.stats.updates += 1;
        }
        ResultEntry {
            kind,
            status: if ok {
                EntryStatus::Ok
            } else {
                EntryStatus::UnknownHandle
            },
            handle,
            host_ctx,
        }
    }
}

fn with_trailer(ev: Event, t: Trailer) -> Event {
    match ev {
        Event::Caps { tag, caps, .. } => Event::Caps {
            tag,
            caps,
            trailer: t,
        },
        Event::Interlock { tag, results, .. } => Event::Interlock {
            tag,
            results,
            trailer: t,
        },
        Event::HandoutDone { tag, results, .. } => Event::HandoutDone {
            tag,
            results,
            trailer: t,
        },
        Event::Flushed {
            tag, close, items, ..
        } => Event::Flushed {
            tag,
            close,
            items,
            trailer: t,
        },
        Event::Updated { tag, results, .. } => Event::Updated {
            tag,
            results,
            trailer: t,
        },
        Event::Stats { tag, stats, .. } => Event::Stats {
            tag,
            stats,
            trailer: t,
        },
        Event::Error { tag, .. } => Event::Error { tag, trailer: t },
        Event::RxBufPosted { tag, .. } => Event::RxBufPosted { tag, trailer: t },
        Event::RxFrame { addr, status, .. } => Event::RxFrame {
            addr,
            status,
            trailer: t,
        },
        Event::FrameData { addr, status, .. } => Event::FrameData {
            addr,
            status,
            trailer: t,
        },
        Event::RcvListPosted { tag, results, .. } => Event::RcvListPosted {
            tag,
            results,
            trailer: t,
        },
        Event::WinUpdated { tag, results, .. } => Event::WinUpdated {
            tag,
            results,
            trailer: t,
        },
        Event::RcvDone { done, .. } => Event::RcvDone { done, trailer: t },
        Event::SendListPosted { tag, results, .. } => Event::SendListPosted {
            tag,
            results,
            trailer: t,
        },
        Event::SendDone { done, .. } => Event::SendDone { done, trailer: t },
        // Unsolicited: never a response, its trailer is fixed.
        ev @ Event::UploadRequest { .. } => ev,
    }
}
