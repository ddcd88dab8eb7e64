//! Host stack model: the host side of the offload protocol, as a clear state machine
//! (not a full TCP implementation).
//!
//! - **Setup and teardown stay on the host** (B2): the handshake runs here; only an
//!   ESTABLISHED connection is handed out, and a FIN or RST takes it back.
//! - **When to offload** (F2, B5): the stack watches the handshake (SYN, SYN+ACK, then the
//!   ACK that completes it). With [`OffloadPolicy::min_bytes`] = 0 the connection is
//!   offloaded as soon as the handshake completes; otherwise it stays on the host until
//!   its byte count (in + out) reaches `min_bytes`. Offloaded connections idle for
//!   [`OffloadPolicy::idle_upload`] ticks are uploaded again ([`HostStack::tick`]).
//! - **Filter** (F1): [`HostStack::send`] routes a data request of an offloaded
//!   connection to the engine and everything else to the host stack ([`Route`]).
//! - **Incoming frames** (F3, [`HostStack::classify`] / [`HostStack::receive`]): FIN or
//!   RST for an offloaded connection → closing process (FLUSH, or CLOSE for RST); SYN or
//!   SYN+ACK → new-connection process; a data frame with an offload handle → engine path;
//!   the ACK completing a handshake → offload-complete process; anything else → host stack.
//! - **State objects** (M1, M2, M3): the host keeps its own Neighbor (one per VLAN: the
//!   next hop), Path (one per address pair) and TCP objects. A handout is one HANDOUT1
//!   block list in tree order that reuses the engine handles the host already holds for
//!   Paths and Neighbors, then one HANDOUT2 with the DELEGATED state. Paths and
//!   Neighbors the engine frees (it says so in FLUSH responses) lose their handle; ones
//!   created by a handout whose connections were all refused are freed explicitly.
//! - **Ownership** (B1, M1): while a connection is offloaded the host never changes its
//!   DELEGATED fields; FLUSH returns them and the host applies them. CONST and CACHED
//!   stay the host's; a CACHED change is pushed with one UPDATE ([`HostStack::set_next_hop_mac`],
//!   [`HostStack::set_path_mtu`]) and reaches every dependent connection (M4).
//! - **Refusal** (M6): a refused handout leaves the connection on the host
//!   ([`HostConn::refused`]); the policy retries it after [`OffloadPolicy::retry_after`] ticks.
//! - **Statistics** (A10, B5, F4): per-connection [`ConnStats`], host counters
//!   [`HostStats`], merged with the engine's STATS in [`MergedStats`].
//! - **Upload requests** (M5, A7, F3): the engine's unsolicited
//!   [`Event::UploadRequest`]s are fetched with [`EngineLink::poll_events`] and handled
//!   by [`HostStack::poll`] (the driver calls it when the engine has sent events; the
//!   stack also polls between INTERLOCK and HANDOUT2). A request is acted on only if
//!   the connection `host_ctx` is still held by the engine under `handle`, Offloaded
//!   for RST / FIN / SYN / URG and Held for a handout timeout; anything else is a stale
//!   request (the host already took the connection back, e.g. because the frame itself
//!   reached [`HostStack::receive`] first) and is ignored.
//!   - RST → CLOSE (abortive): the connection is back on the host and closed (removed).
//!   - FIN → FLUSH: the connection continues in the host's slow path. The engine leaves
//!     the FIN to the host (the returned `rcv_nxt` is the FIN's sequence number): the
//!     host counts it (`rcv_nxt + 1`), ACKs it and goes to CLOSE-WAIT.
//!   - SYN, URG → FLUSH: back on the host, TCP state unchanged.
//!   - Handout timeout → FLUSH of the Held connection (the handout is abandoned; the
//!     host keeps its own DELEGATED state). It stays on the host with
//!     [`HostConn::refused`] = `NotPending`, so the policy may offer it again after
//!     [`OffloadPolicy::retry_after`] ticks. A HANDOUT2 answered `NotPending` (the
//!     timeout fired before the host saw its request) is handled the same way.
//!
//! The engine is anything implementing [`EngineLink`]: the [`EngineModel`], or the RTL
//! under simulation.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::engine::{EngineModel, Lookup, record_key};
use crate::meta::{self, RawRecord};
use crate::proto::{
    Block, CachedUpdate, Caps, Class, CmdStatus, Command, ConnRef, DecodeError, EntryStatus, Event,
    EventType, FlowKey, FlushItem, Handout2Entry, Kind, Neighbor, ObjRef, PROTOCOL_VERSION, Path,
    Stats, Tcp, TcpState, UploadReason,
};

/// A command/response channel to an engine: one command message in (all its words up
/// to `tlast`), one response message out; unsolicited events (which the engine sends
/// between responses) are kept by the link until [`EngineLink::poll_events`].
pub trait EngineLink {
    /// Send one command message; return the response message's words.
    fn command(&mut self, words: &[u64]) -> Vec<u64>;

    /// Take the unsolicited event messages received so far, oldest first (default: none).
    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        Vec::new()
    }
}

impl EngineLink for EngineModel {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        EngineModel::command(self, words)
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        self.take_unsolicited().iter().map(Event::encode).collect()
    }
}

impl<T: EngineLink + ?Sized> EngineLink for &mut T {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        (**self).command(words)
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        (**self).poll_events()
    }
}

impl<T: EngineLink + ?Sized> EngineLink for Box<T> {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        (**self).command(words)
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        (**self).poll_events()
    }
}

/// TCP header flag bits (as in the metadata record's `tcp_flags`).
pub mod flags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
}

/// The host's id of a connection (its HostContext on the wire).
pub type ConnId = u32;

/// A received TCP segment as the host stack sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Flow key from our side (local = the frame's destination).
    pub key: FlowKey,
    /// TCP flags ([`flags`]).
    pub flags: u16,
    pub seq: u32,
    pub ack: u32,
    pub payload_len: u32,
    /// The engine's handle when its lookup hit an offloaded connection.
    pub offload_handle: Option<u16>,
}

impl Segment {
    /// A segment from a receive metadata record and the engine's lookup result, or
    /// `None` when the record has no TCP tuple.
    pub fn from_record(rec: &RawRecord, lookup: Lookup) -> Option<Segment> {
        let key = record_key(rec)?;
        let num = |name: &str| meta::field(name).map(|f| rec.get(f)).unwrap_or(0);
        Some(Segment {
            key,
            flags: num("tcp_flags") as u16,
            seq: num("tcp_seq") as u32,
            ack: num("tcp_ack") as u32,
            payload_len: if num("payload_valid") != 0 {
                num("payload_len") as u32
            } else {
                0
            },
            offload_handle: match lookup {
                Lookup::Hit(h) => Some(h),
                _ => None,
            },
        })
    }

    /// A segment from a frame's bytes as the host reads them from a receive-ring buffer
    /// (parsed with `etherparse`, independently of the engine's parser) and the engine's
    /// handle when its lookup hit; `None` for a frame that is not a well-formed TCP
    /// segment over IPv4 or IPv6 (with at most one VLAN tag).
    pub fn from_frame(frame: &[u8], offload_handle: Option<u16>) -> Option<Segment> {
        use etherparse::{LinkSlice, NetSlice, SlicedPacket, TransportSlice, VlanSlice};
        let p = SlicedPacket::from_ethernet(frame).ok()?;
        if !matches!(p.link, Some(LinkSlice::Ethernet2(_))) {
            return None;
        }
        let vlan = match p.vlan() {
            None => None,
            Some(VlanSlice::SingleVlan(v)) => Some(v.vlan_identifier().value()),
            Some(_) => return None,
        };
        let (ipv6, src, dst) = match &p.net {
            Some(NetSlice::Ipv4(ip)) => (
                false,
                u32::from_be_bytes(ip.header().source()) as u128,
                u32::from_be_bytes(ip.header().destination()) as u128,
            ),
            Some(NetSlice::Ipv6(ip)) => (
                true,
                u128::from_be_bytes(ip.header().source()),
                u128::from_be_bytes(ip.header().destination()),
            ),
            _ => return None,
        };
        let Some(TransportSlice::Tcp(tcp)) = &p.transport else {
            return None;
        };
        let f = |b: bool, v: u16| if b { v } else { 0 };
        Some(Segment {
            key: FlowKey {
                ipv6,
                vlan_present: vlan.is_some(),
                vlan_id: vlan.unwrap_or(0),
                local_ip: dst,
                remote_ip: src,
                local_port: tcp.destination_port(),
                remote_port: tcp.source_port(),
            },
            flags: f(tcp.fin(), flags::FIN)
                | f(tcp.syn(), flags::SYN)
                | f(tcp.rst(), flags::RST)
                | f(tcp.psh(), flags::PSH)
                | f(tcp.ack(), flags::ACK)
                | f(tcp.urg(), flags::URG),
            seq: tcp.sequence_number(),
            ack: tcp.acknowledgment_number(),
            payload_len: tcp.payload().len() as u32,
            offload_handle,
        })
    }

    fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

/// Where an incoming frame goes (F3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameClass {
    /// Data for an offloaded connection, carrying its offload handle.
    EnginePath(ConnId),
    /// SYN or SYN+ACK.
    NewConnection,
    /// FIN or RST for an offloaded connection: it is flushed back to the host.
    Closing(ConnId),
    /// The ACK completing a passive open's handshake.
    OffloadComplete(ConnId),
    /// Everything else.
    HostStack,
}

/// Where an application data request goes (F1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// To the engine, for the connection with this engine handle.
    Engine(u16),
    /// To the host stack.
    Host,
}

/// Where a connection lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On the host stack.
    Host,
    /// Handed out by HANDOUT1, waiting for HANDOUT2 (engine handle).
    Held(u16),
    /// Offloaded (engine handle).
    Offloaded(u16),
}

impl Placement {
    /// The engine handle, when the engine holds the connection.
    pub fn handle(&self) -> Option<u16> {
        match *self {
            Placement::Host => None,
            Placement::Held(h) | Placement::Offloaded(h) => Some(h),
        }
    }
}

/// Per-connection statistics (B5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnStats {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub segments_in: u64,
    pub segments_out: u64,
    /// Segments dropped as out of order or unacceptable by the host stack.
    pub errors: u64,
    /// TCP state changes and placement changes.
    pub state_changes: u64,
    /// Tick of the last data activity.
    pub last_activity: u64,
}

/// A connection as the host holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostConn {
    /// Host id of its Path.
    pub path: u32,
    /// All its state. While offloaded the DELEGATED fields are stale (the engine owns them).
    pub tcp: Tcp,
    pub placement: Placement,
    pub stats: ConnStats,
    /// The last refusal of a handout and its tick (M6); `NotPending` for a handout
    /// abandoned after the engine's handout timeout.
    pub refused: Option<(EntryStatus, u64)>,
}

impl HostConn {
    /// The RFC 793 state (as last known to the host).
    pub fn state(&self) -> u64 {
        self.tcp.tcp_state
    }
}

/// A Path as the host holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPath {
    /// Host id of its Neighbor.
    pub nbr: u32,
    pub path: Path,
    /// The engine's handle while the engine holds it.
    pub engine: Option<u16>,
}

/// A Neighbor (next hop) as the host holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostNeighbor {
    pub nbr: Neighbor,
    /// The engine's handle while the engine holds it.
    pub engine: Option<u16>,
}

/// The offload policy (F2, B5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffloadPolicy {
    /// Offload a connection once `bytes_in + bytes_out` reaches this (0: as soon as the
    /// handshake completes).
    pub min_bytes: u64,
    /// Upload offloaded connections with no data activity for this many ticks.
    pub idle_upload: Option<u64>,
    /// Ticks before the policy retries a connection whose handout was refused.
    pub retry_after: u64,
}

impl Default for OffloadPolicy {
    fn default() -> Self {
        OffloadPolicy {
            min_bytes: 0,
            idle_upload: None,
            retry_after: 1000,
        }
    }
}

/// The host stack's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostStats {
    /// Frames by class (F3).
    pub frames_engine_path: u64,
    pub frames_new_connection: u64,
    pub frames_closing: u64,
    pub frames_offload_complete: u64,
    pub frames_host: u64,
    /// Application requests routed to the engine / the host stack (F1).
    pub requests_engine: u64,
    pub requests_host: u64,
    /// Connections handed out and started (HANDOUT2 OK).
    pub offloads: u64,
    /// Handouts refused by the engine (connection stayed on the host).
    pub offload_refused: u64,
    /// Connections uploaded (FLUSH or CLOSE).
    pub uploads: u64,
    /// CACHED updates sent.
    pub updates: u64,
    /// Engine answers that broke the protocol (bad trailer, unexpected result, an
    /// unsolicited message that is not a valid upload request).
    pub protocol_errors: u64,
    /// Upload requests received ([`HostStack::poll`]): all of them, then those acted on
    /// by reason (RST → CLOSE, FIN / SYN / URG and the receive path's DMA_ERROR /
    /// NO_BUFFER → FLUSH), and the stale ones ignored. `upload_requests` = the reasons +
    /// `upload_requests_timeout` + `upload_requests_stale`.
    pub upload_requests: u64,
    pub upload_requests_rst: u64,
    pub upload_requests_fin: u64,
    pub upload_requests_syn: u64,
    pub upload_requests_urg: u64,
    /// DMA_ERROR and NO_BUFFER requests (receive fast path).
    pub upload_requests_rcv: u64,
    pub upload_requests_timeout: u64,
    pub upload_requests_stale: u64,
    /// Handouts abandoned after the engine's handout timeout: a `HandoutTimeout`
    /// request acted on, or HANDOUT2 answered `NotPending`.
    pub handout_timeouts: u64,
    /// Connections the host knows now, and those of them on the host stack.
    pub connections: u64,
    pub connections_on_host: u64,
}

/// Host and engine statistics merged (F4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedStats {
    pub host: HostStats,
    pub engine: Stats,
    /// Connections open: on the host stack plus live on the engine.
    pub connections: u64,
    /// Frames received: by the host stack (all classes) plus the engine's fast path
    /// (lookups that hit an offloaded connection).
    pub frames: u64,
}

/// Errors from talking to the engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StackError {
    #[error("engine response does not decode: {0}")]
    Decode(#[from] DecodeError),
    #[error("response tag {got} does not match command tag {sent}")]
    TagMismatch { sent: u32, got: u32 },
    #[error("expected a {expected:?} response, got {got:?}")]
    UnexpectedEvent { expected: EventType, got: EventType },
    #[error("engine answered status {0:?}")]
    Engine(CmdStatus),
    #[error("engine speaks protocol version {0}")]
    Version(u16),
    #[error("no connection {0}")]
    UnknownConn(ConnId),
}

/// The outcome of handing out one connection: its engine handle, or why it was refused.
pub type Outcome = (ConnId, Result<u16, EntryStatus>);

/// Most entries per command (the 16-bit `count` field).
pub const MAX_ENTRIES: usize = u16::MAX as usize;

/// What a block of a HANDOUT1 being built stands for.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Nbr(u32),
    Path(u32),
    Conn(ConnId),
}

/// The host stack model (see the module documentation).
#[derive(Debug)]
pub struct HostStack<E: EngineLink> {
    link: E,
    caps: Caps,
    policy: OffloadPolicy,
    max_blocks: usize,
    now: u64,
    next_tag: u32,
    conns: BTreeMap<ConnId, HostConn>,
    by_key: HashMap<FlowKey, ConnId>,
    next_conn: ConnId,
    paths: BTreeMap<u32, HostPath>,
    path_by_addr: HashMap<(u32, bool, u128, u128), u32>,
    nbrs: BTreeMap<u32, HostNeighbor>,
    nbr_by_vlan: HashMap<Option<u16>, u32>,
    next_hops: HashMap<Option<u16>, u64>,
    stats: HostStats,
    sent: Vec<Segment>,
}

/// Our MAC address in the model.
pub const LOCAL_MAC: u64 = 0x02_00_00_00_00_01;
/// The next hop's MAC address unless [`HostStack::set_next_hop_mac`] said otherwise.
pub const DEFAULT_NEXT_HOP_MAC: u64 = 0x02_00_00_00_00_fe;
/// Default MSS when nothing better is known.
pub const DEFAULT_MSS: u64 = 1460;
/// Our receive window.
pub const RCV_WND: u64 = 65535;

impl<E: EngineLink> HostStack<E> {
    /// Query the engine's capabilities (CAPS) and start with no connections.
    pub fn new(link: E, policy: OffloadPolicy) -> Result<Self, StackError> {
        let mut s = HostStack {
            link,
            caps: Caps {
                connections: 0,
                paths: 0,
                neighbors: 0,
                banks: 0,
                ways: 0,
                bucket_bits: 0,
                beat_bytes: 0,
                version: 0,
            },
            policy,
            max_blocks: MAX_ENTRIES,
            now: 0,
            next_tag: 1,
            conns: BTreeMap::new(),
            by_key: HashMap::new(),
            next_conn: 1,
            paths: BTreeMap::new(),
            path_by_addr: HashMap::new(),
            nbrs: BTreeMap::new(),
            nbr_by_vlan: HashMap::new(),
            next_hops: HashMap::new(),
            stats: HostStats::default(),
            sent: Vec::new(),
        };
        match s.exchange(&Command::Caps { tag: 0 })? {
            Event::Caps { caps, trailer, .. } => {
                if trailer.status != CmdStatus::Ok {
                    return Err(StackError::Engine(trailer.status));
                }
                if caps.version != PROTOCOL_VERSION {
                    return Err(StackError::Version(caps.version));
                }
                s.caps = caps;
            }
            other => return Err(unexpected(EventType::Caps, &other)),
        }
        Ok(s)
    }

    /// The engine's capabilities.
    pub fn caps(&self) -> Caps {
        self.caps
    }

    /// The engine link.
    pub fn link(&self) -> &E {
        &self.link
    }

    /// The engine link, mutable (e.g. to feed frames to an engine model).
    pub fn link_mut(&mut self) -> &mut E {
        &mut self.link
    }

    /// The policy in force.
    pub fn policy(&self) -> OffloadPolicy {
        self.policy
    }

    /// Change the policy.
    pub fn set_policy(&mut self, p: OffloadPolicy) {
        self.policy = p;
    }

    /// Limit the blocks of one HANDOUT1 (and entries of one FLUSH); at least 3.
    pub fn set_max_blocks(&mut self, n: usize) {
        self.max_blocks = n.clamp(3, MAX_ENTRIES);
    }

    /// A connection.
    pub fn conn(&self, id: ConnId) -> Option<&HostConn> {
        self.conns.get(&id)
    }

    /// The connection with this flow key.
    pub fn conn_by_key(&self, key: &FlowKey) -> Option<ConnId> {
        self.by_key.get(key).copied()
    }

    /// Ids of all connections.
    pub fn conn_ids(&self) -> Vec<ConnId> {
        self.conns.keys().copied().collect()
    }

    /// A Path.
    pub fn path(&self, id: u32) -> Option<&HostPath> {
        self.paths.get(&id)
    }

    /// A Neighbor.
    pub fn neighbor(&self, id: u32) -> Option<&HostNeighbor> {
        self.nbrs.get(&id)
    }

    /// The flow key of a connection from its host objects.
    pub fn key_of(&self, id: ConnId) -> Option<FlowKey> {
        let c = self.conns.get(&id)?;
        let p = self.paths.get(&c.path)?;
        let n = self.nbrs.get(&p.nbr)?;
        Some(FlowKey::of(&n.nbr, &p.path, &c.tcp))
    }

    /// Segments the host stack sent (SYN+ACK, ACKs, ...), oldest first.
    pub fn sent(&self) -> &[Segment] {
        &self.sent
    }

    /// The current tick.
    pub fn now(&self) -> u64 {
        self.now
    }

    // ----- commands ---------------------------------------------------------

    fn exchange(&mut self, cmd: &Command) -> Result<Event, StackError> {
        let tag = self.next_tag;
        self.next_tag = self.next_tag.wrapping_add(1);
        let cmd = with_tag(cmd, tag);
        let words = cmd.encode();
        let resp = self.link.command(&words);
        let ev = Event::decode(&resp)?;
        if ev.tag() != tag {
            return Err(StackError::TagMismatch {
                sent: tag,
                got: ev.tag(),
            });
        }
        if let Event::Error { trailer, .. } = ev {
            return Err(StackError::Engine(trailer.status));
        }
        let want = EventType::response_to(cmd.opcode());
        if ev.event_type() != want {
            return Err(unexpected(want, &ev));
        }
        Ok(ev)
    }

    fn trailer_check(&mut self, ev: &Event) -> Result<(), StackError> {
        let t = ev.trailer();
        if t.status != CmdStatus::Ok {
            self.stats.protocol_errors += 1;
            return Err(StackError::Engine(t.status));
        }
        Ok(())
    }

    // ----- objects ----------------------------------------------------------

    fn neighbor_for(&mut self, key: &FlowKey) -> u32 {
        let vlan = key.vlan_present.then_some(key.vlan_id & 0xFFF);
        if let Some(&id) = self.nbr_by_vlan.get(&vlan) {
            return id;
        }
        let id = self.nbrs.keys().next_back().map_or(1, |k| k + 1);
        let nbr = Neighbor {
            vlan_id: vlan.unwrap_or(0) as u64,
            vlan_present: vlan.is_some() as u64,
            dst_mac: self
                .next_hops
                .get(&vlan)
                .copied()
                .unwrap_or(DEFAULT_NEXT_HOP_MAC),
            src_mac: LOCAL_MAC,
            ..Neighbor::default()
        };
        self.nbrs.insert(id, HostNeighbor { nbr, engine: None });
        self.nbr_by_vlan.insert(vlan, id);
        id
    }

    fn path_for(&mut self, key: &FlowKey) -> u32 {
        let nbr = self.neighbor_for(key);
        let k = (nbr, key.ipv6, key.local_ip, key.remote_ip);
        if let Some(&id) = self.path_by_addr.get(&k) {
            return id;
        }
        let id = self.paths.keys().next_back().map_or(1, |k| k + 1);
        let path = if key.ipv6 {
            Path::v6(key.local_ip, key.remote_ip)
        } else {
            Path::v4(key.local_ip as u32, key.remote_ip as u32)
        };
        let path = Path {
            ip_id_start: (id as u64).wrapping_mul(0x9E37) & 0xFFFF,
            ..path
        };
        self.paths.insert(
            id,
            HostPath {
                nbr,
                path,
                engine: None,
            },
        );
        self.path_by_addr.insert(k, id);
        id
    }

    fn new_conn(&mut self, key: &FlowKey, state: TcpState) -> ConnId {
        let path = self.path_for(key);
        let mtu = self.paths.get(&path).map_or(1500, |p| p.path.path_mtu);
        let hdr = if key.ipv6 { 60 } else { 40 };
        let iss = crate::proto::h3_hash(1, key, 32) ^ 0x5EED_0000;
        let tcp = Tcp {
            local_port: key.local_port as u64,
            remote_port: key.remote_port as u64,
            remote_mss: DEFAULT_MSS,
            eff_mss: DEFAULT_MSS.min(mtu.saturating_sub(hdr)),
            initial_rcv_wnd: RCV_WND,
            indicate_bytes: 0,
            tcp_state: state as u64,
            rcv_wnd: RCV_WND,
            snd_una: iss as u64,
            snd_nxt: iss.wrapping_add(1) as u64,
            snd_max: iss.wrapping_add(1) as u64,
            snd_wnd: RCV_WND,
            max_win: RCV_WND,
            cwnd: 10 * DEFAULT_MSS,
            ssthresh: u32::MAX as u64,
            ..Tcp::default()
        };
        let id = self.next_conn;
        self.next_conn = self.next_conn.wrapping_add(1).max(1);
        self.conns.insert(
            id,
            HostConn {
                path,
                tcp,
                placement: Placement::Host,
                stats: ConnStats {
                    last_activity: self.now,
                    ..ConnStats::default()
                },
                refused: None,
            },
        );
        self.by_key.insert(*key, id);
        id
    }

    fn remove_conn(&mut self, id: ConnId) {
        if let Some(k) = self.key_of(id) {
            self.by_key.remove(&k);
        }
        self.conns.remove(&id);
    }

    fn set_state(&mut self, id: ConnId, st: TcpState) {
        if let Some(c) = self.conns.get_mut(&id)
            && c.placement == Placement::Host
            && c.tcp.tcp_state != st as u64
        {
            c.tcp.tcp_state = st as u64;
            c.stats.state_changes += 1;
        }
    }

    fn send_segment(&mut self, id: ConnId, fl: u16, payload_len: u32) {
        let Some(key) = self.key_of(id) else { return };
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        let seq = if fl & flags::SYN != 0 {
            c.tcp.snd_una as u32
        } else {
            c.tcp.snd_nxt as u32
        };
        c.stats.segments_out += 1;
        self.sent.push(Segment {
            key,
            flags: fl,
            seq,
            ack: c.tcp.rcv_nxt as u32,
            payload_len,
            offload_handle: None,
        });
    }

    // ----- application side -------------------------------------------------

    /// Active open: create the connection and send SYN (state SYN-SENT).
    pub fn connect(&mut self, key: FlowKey) -> ConnId {
        if let Some(&id) = self.by_key.get(&key) {
            return id;
        }
        let id = self.new_conn(&key, TcpState::SynSent);
        self.send_segment(id, flags::SYN, 0);
        id
    }

    /// An application data request of `bytes` (F1): offloaded connections go to the
    /// engine, all else to the host stack (which sends it). May trigger the byte-count
    /// offload policy afterwards.
    pub fn send(&mut self, id: ConnId, bytes: u32) -> Result<Route, StackError> {
        let now = self.now;
        let c = self.conns.get_mut(&id).ok_or(StackError::UnknownConn(id))?;
        c.stats.bytes_out += bytes as u64;
        c.stats.last_activity = now;
        if let Placement::Offloaded(h) = c.placement {
            self.stats.requests_engine += 1;
            return Ok(Route::Engine(h));
        }
        self.stats.requests_host += 1;
        if c.placement == Placement::Host && c.tcp.tcp_state == TcpState::Established as u64 {
            c.tcp.snd_nxt = (c.tcp.snd_nxt as u32).wrapping_add(bytes) as u64;
            if seq_gt(c.tcp.snd_nxt as u32, c.tcp.snd_max as u32) {
                c.tcp.snd_max = c.tcp.snd_nxt;
            }
            self.send_segment(id, flags::ACK | flags::PSH, bytes);
            self.maybe_offload(id)?;
        }
        Ok(Route::Host)
    }

    /// Application close: an offloaded connection is taken back with CLOSE (its
    /// DELEGATED state applied), then the host sends FIN.
    pub fn close(&mut self, id: ConnId) -> Result<(), StackError> {
        let c = self.conns.get(&id).ok_or(StackError::UnknownConn(id))?;
        let mut result = Ok(());
        if c.placement != Placement::Host {
            result = self.upload(&[id], true);
        }
        let Some(c) = self.conns.get_mut(&id) else {
            return result;
        };
        if c.placement != Placement::Host {
            return result;
        }
        let next = match state_of(c.tcp.tcp_state) {
            Some(TcpState::Established) | Some(TcpState::SynReceived) => TcpState::FinWait1,
            Some(TcpState::CloseWait) => TcpState::LastAck,
            Some(TcpState::SynSent) | Some(TcpState::Listen) => {
                self.remove_conn(id);
                return result;
            }
            _ => return result,
        };
        self.send_segment(id, flags::FIN | flags::ACK, 0);
        if let Some(c) = self.conns.get_mut(&id) {
            c.tcp.snd_nxt = (c.tcp.snd_nxt as u32).wrapping_add(1) as u64;
            c.tcp.snd_max = c.tcp.snd_nxt;
        }
        self.set_state(id, next);
        result
    }

    /// Advance the clock; with [`OffloadPolicy::idle_upload`] set, upload offloaded
    /// connections idle that long. Returns the uploaded connections.
    pub fn tick(&mut self, now: u64) -> Result<Vec<ConnId>, StackError> {
        self.now = self.now.max(now);
        let Some(idle) = self.policy.idle_upload else {
            return Ok(vec![]);
        };
        let ids: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                matches!(c.placement, Placement::Offloaded(_))
                    && self.now.saturating_sub(c.stats.last_activity) >= idle
            })
            .map(|(id, _)| *id)
            .collect();
        if !ids.is_empty() {
            self.upload(&ids, false)?;
        }
        Ok(ids)
    }

    // ----- incoming frames --------------------------------------------------

    /// Classify an incoming segment (F3) without acting on it.
    pub fn classify(&self, seg: &Segment) -> FrameClass {
        let conn = self
            .by_key
            .get(&seg.key)
            .and_then(|id| Some((*id, self.conns.get(id)?)));
        let engine_holds = |c: &HostConn| c.placement != Placement::Host;
        if (seg.has(flags::FIN) || seg.has(flags::RST))
            && let Some((id, c)) = conn
            && engine_holds(c)
        {
            return FrameClass::Closing(id);
        }
        if seg.has(flags::SYN) {
            return FrameClass::NewConnection;
        }
        if let (Some(h), Some((id, c))) = (seg.offload_handle, conn)
            && c.placement == Placement::Offloaded(h)
        {
            return FrameClass::EnginePath(id);
        }
        if let Some((id, c)) = conn
            && seg.has(flags::ACK)
            && !seg.has(flags::FIN | flags::RST)
            && c.placement == Placement::Host
            && c.tcp.tcp_state == TcpState::SynReceived as u64
            && seg.ack == c.tcp.snd_nxt as u32
        {
            return FrameClass::OffloadComplete(id);
        }
        FrameClass::HostStack
    }

    /// Classify an incoming segment and run its process. Returns the class.
    pub fn receive(&mut self, seg: &Segment) -> Result<FrameClass, StackError> {
        let class = self.classify(seg);
        match class {
            FrameClass::EnginePath(id) => {
                self.stats.frames_engine_path += 1;
                let now = self.now;
                if let Some(c) = self.conns.get_mut(&id) {
                    c.stats.bytes_in += seg.payload_len as u64;
                    c.stats.segments_in += 1;
                    c.stats.last_activity = now;
                }
            }
            FrameClass::NewConnection => {
                self.stats.frames_new_connection += 1;
                self.new_connection(seg)?;
            }
            FrameClass::Closing(id) => {
                self.stats.frames_closing += 1;
                // FIN: upload and let the host finish the teardown; RST: CLOSE.
                let rst = seg.has(flags::RST);
                let r = self.upload(&[id], rst);
                if self
                    .conns
                    .get(&id)
                    .is_some_and(|c| c.placement == Placement::Host)
                {
                    self.host_segment(id, seg)?;
                }
                r?;
            }
            FrameClass::OffloadComplete(id) => {
                self.stats.frames_offload_complete += 1;
                if let Some(c) = self.conns.get_mut(&id) {
                    c.tcp.snd_una = seg.ack as u64;
                    c.stats.segments_in += 1;
                }
                self.set_state(id, TcpState::Established);
                self.handshake_done(id)?;
            }
            FrameClass::HostStack => {
                self.stats.frames_host += 1;
                if let Some(&id) = self.by_key.get(&seg.key) {
                    self.host_segment(id, seg)?;
                }
            }
        }
        Ok(class)
    }

    fn new_connection(&mut self, seg: &Segment) -> Result<(), StackError> {
        match self.by_key.get(&seg.key).copied() {
            None if !seg.has(flags::ACK) && !seg.has(flags::RST) => {
                // Passive open: SYN → SYN-RECEIVED, answer SYN+ACK.
                let id = self.new_conn(&seg.key, TcpState::SynReceived);
                if let Some(c) = self.conns.get_mut(&id) {
                    c.tcp.rcv_nxt = seg.seq.wrapping_add(1) as u64;
                    c.stats.segments_in += 1;
                }
                self.send_segment(id, flags::SYN | flags::ACK, 0);
            }
            Some(id) => {
                let Some(c) = self.conns.get_mut(&id) else {
                    return Ok(());
                };
                c.stats.segments_in += 1;
                let st = c.tcp.tcp_state;
                if c.placement != Placement::Host {
                    return Ok(()); // the engine owns its state: a stray SYN is not ours to act on
                }
                if seg.has(flags::ACK)
                    && st == TcpState::SynSent as u64
                    && seg.ack == c.tcp.snd_nxt as u32
                {
                    // Active open: SYN+ACK → ESTABLISHED; our ACK completes the handshake.
                    c.tcp.rcv_nxt = seg.seq.wrapping_add(1) as u64;
                    c.tcp.snd_una = seg.ack as u64;
                    self.set_state(id, TcpState::Established);
                    self.send_segment(id, flags::ACK, 0);
                    self.handshake_done(id)?;
                } else if !seg.has(flags::ACK) && st == TcpState::SynReceived as u64 {
                    self.send_segment(id, flags::SYN | flags::ACK, 0); // retransmitted SYN
                } else {
                    c.stats.errors += 1;
                }
            }
            None => {}
        }
        Ok(())
    }

    /// The handshake completed (F2): offload now if the policy says so.
    fn handshake_done(&mut self, id: ConnId) -> Result<(), StackError> {
        if self.policy.min_bytes == 0 {
            self.offload(&[id])?;
        }
        Ok(())
    }

    /// B5: offload a host connection whose byte count passed the threshold.
    fn maybe_offload(&mut self, id: ConnId) -> Result<(), StackError> {
        let Some(c) = self.conns.get(&id) else {
            return Ok(());
        };
        let due = c.placement == Placement::Host
            && c.tcp.tcp_state == TcpState::Established as u64
            && c.stats.bytes_in + c.stats.bytes_out >= self.policy.min_bytes
            && c.refused
                .is_none_or(|(_, at)| self.now.saturating_sub(at) >= self.policy.retry_after);
        if due {
            self.offload(&[id])?;
        }
        Ok(())
    }

    /// A segment processed by the host stack for a known connection. The DELEGATED
    /// fields are touched only when the connection is on the host (B1).
    fn host_segment(&mut self, id: ConnId, seg: &Segment) -> Result<(), StackError> {
        let now = self.now;
        let Some(c) = self.conns.get_mut(&id) else {
            return Ok(());
        };
        c.stats.segments_in += 1;
        if c.placement != Placement::Host {
            // The engine owns this connection's DELEGATED state: count only.
            c.stats.bytes_in += seg.payload_len as u64;
            return Ok(());
        }
        if seg.has(flags::RST) {
            self.set_state(id, TcpState::Closed);
            self.remove_conn(id);
            return Ok(());
        }
        let st = state_of(c.tcp.tcp_state);
        if seg.has(flags::ACK)
            && seq_gt(seg.ack, c.tcp.snd_una as u32)
            && !seq_gt(seg.ack, c.tcp.snd_max as u32)
        {
            c.tcp.snd_una = seg.ack as u64;
        }
        let in_order = seg.seq == c.tcp.rcv_nxt as u32;
        if seg.payload_len > 0 {
            if in_order {
                c.tcp.rcv_nxt = seg.seq.wrapping_add(seg.payload_len) as u64;
                c.stats.bytes_in += seg.payload_len as u64;
                c.stats.last_activity = now;
            } else {
                c.stats.errors += 1;
            }
        }
        let mut ack = seg.payload_len > 0;
        if seg.has(flags::FIN) && c.tcp.rcv_nxt as u32 == seg.seq.wrapping_add(seg.payload_len) {
            c.tcp.rcv_nxt = (c.tcp.rcv_nxt as u32).wrapping_add(1) as u64;
            ack = true;
            let fin_acked = c.tcp.snd_una == c.tcp.snd_max;
            let next = match st {
                Some(TcpState::Established) => Some(TcpState::CloseWait),
                Some(TcpState::FinWait1) if fin_acked => Some(TcpState::TimeWait),
                Some(TcpState::FinWait1) => Some(TcpState::Closing),
                Some(TcpState::FinWait2) => Some(TcpState::TimeWait),
                _ => None,
            };
            if let Some(n) = next {
                self.set_state(id, n);
            }
        } else if st == Some(TcpState::FinWait1) && c.tcp.snd_una == c.tcp.snd_max {
            self.set_state(id, TcpState::FinWait2);
        } else if st == Some(TcpState::LastAck) && c.tcp.snd_una == c.tcp.snd_max {
            self.set_state(id, TcpState::Closed);
            self.remove_conn(id);
            return Ok(());
        }
        if ack {
            self.send_segment(id, flags::ACK, 0);
        }
        self.maybe_offload(id)
    }

    // ----- offload, upload, update ------------------------------------------

    /// Hand out connections (A6, M3): one HANDOUT1 block list in tree order (several if
    /// it exceeds the block limit), reusing engine handles of Paths and Neighbors the
    /// engine already holds, then HANDOUT2 with their DELEGATED state. Only ESTABLISHED
    /// connections on the host are handed out; others are skipped. Returns each
    /// connection's outcome: its engine handle, or the refusal status (it stays on the
    /// host, M6).
    pub fn offload(&mut self, ids: &[ConnId]) -> Result<Vec<Outcome>, StackError> {
        // Group in tree order: Neighbor, then Path, then connections.
        let mut tree: BTreeMap<(u32, u32), Vec<ConnId>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for &id in ids {
            let Some(c) = self.conns.get(&id) else {
                continue;
            };
            if c.placement != Placement::Host
                || c.tcp.tcp_state != TcpState::Established as u64
                || !seen.insert(id)
            {
                continue;
            }
            let Some(p) = self.paths.get(&c.path) else {
                continue;
            };
            tree.entry((p.nbr, c.path)).or_default().push(id);
        }
        let mut outcomes = Vec::new();
        let mut blocks: Vec<Block> = Vec::new();
        let mut origins: Vec<Origin> = Vec::new();
        let mut cur_nbr: Option<u32> = None;
        let mut cur_path: Option<u32> = None;
        let mut first_err = None;
        for ((nbr_id, path_id), conns) in tree {
            for id in conns {
                if blocks.len() + 3 > self.max_blocks {
                    if let Err(e) = self.handout_batch(&blocks, &origins, &mut outcomes) {
                        first_err.get_or_insert(e);
                    }
                    blocks.clear();
                    origins.clear();
                    cur_nbr = None;
                    cur_path = None;
                }
                if cur_path != Some(path_id) {
                    let Some(p) = self.paths.get(&path_id).copied() else {
                        continue;
                    };
                    match p.engine {
                        Some(h) => blocks.push(Block::Path {
                            host_ctx: path_id,
                            obj: ObjRef::Reuse(h),
                        }),
                        None => {
                            if cur_nbr != Some(nbr_id) {
                                let Some(n) = self.nbrs.get(&nbr_id).copied() else {
                                    continue;
                                };
                                blocks.push(Block::Neighbor {
                                    host_ctx: nbr_id,
                                    obj: match n.engine {
                                        Some(h) => ObjRef::Reuse(h),
                                        None => ObjRef::New(n.nbr),
                                    },
                                });
                                origins.push(Origin::Nbr(nbr_id));
                                cur_nbr = Some(nbr_id);
                            }
                            blocks.push(Block::Path {
                                host_ctx: path_id,
                                obj: ObjRef::New(p.path),
                            });
                        }
                    }
                    origins.push(Origin::Path(path_id));
                    cur_path = Some(path_id);
                }
                let Some(c) = self.conns.get(&id) else {
                    continue;
                };
                blocks.push(Block::Tcp {
                    host_ctx: id,
                    tcp: c.tcp,
                });
                origins.push(Origin::Conn(id));
            }
        }
        if !blocks.is_empty()
            && let Err(e) = self.handout_batch(&blocks, &origins, &mut outcomes)
        {
            first_err.get_or_insert(e);
        }
        if let Err(e) = self.release_unused() {
            first_err.get_or_insert(e);
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(outcomes),
        }
    }

    fn handout_batch(
        &mut self,
        blocks: &[Block],
        origins: &[Origin],
        outcomes: &mut Vec<Outcome>,
    ) -> Result<(), StackError> {
        let now = self.now;
        let ev = self.exchange(&Command::Handout1 {
            tag: 0,
            blocks: blocks.to_vec(),
        });
        let (results, bad) = match &ev {
            Ok(Event::Interlock {
                results, trailer, ..
            }) => (results.clone(), trailer.status != CmdStatus::Ok),
            _ => (vec![], true),
        };
        let mut held = Vec::new();
        for (i, (origin, block)) in origins.iter().zip(blocks).enumerate() {
            let r = results
                .get(i)
                .filter(|r| r.kind == block.kind() && r.host_ctx == block.host_ctx());
            if results.get(i).is_some() && r.is_none() {
                self.stats.protocol_errors += 1;
            }
            let reuse = matches!(
                block,
                Block::Neighbor {
                    obj: ObjRef::Reuse(_),
                    ..
                } | Block::Path {
                    obj: ObjRef::Reuse(_),
                    ..
                }
            );
            match *origin {
                Origin::Nbr(n) => {
                    if let (Some(r), Some(hn)) = (r, self.nbrs.get_mut(&n)) {
                        if r.status == EntryStatus::Ok {
                            hn.engine = Some(r.handle);
                        } else if reuse && r.status == EntryStatus::UnknownHandle {
                            hn.engine = None;
                        }
                    }
                }
                Origin::Path(p) => {
                    if let (Some(r), Some(hp)) = (r, self.paths.get_mut(&p)) {
                        if r.status == EntryStatus::Ok {
                            hp.engine = Some(r.handle);
                        } else if reuse && r.status == EntryStatus::UnknownHandle {
                            hp.engine = None;
                        }
                    }
                }
                Origin::Conn(id) => {
                    let Some(c) = self.conns.get_mut(&id) else {
                        continue;
                    };
                    match r {
                        Some(r) if r.status == EntryStatus::Ok => {
                            c.placement = Placement::Held(r.handle);
                            held.push(id);
                        }
                        Some(r) => {
                            c.refused = Some((r.status, now));
                            self.stats.offload_refused += 1;
                            outcomes.push((id, Err(r.status)));
                        }
                        None => {
                            c.refused = Some((EntryStatus::NoResources, now));
                            outcomes.push((id, Err(EntryStatus::NoResources)));
                        }
                    }
                }
            }
        }
        let mut err = match ev {
            Err(e) => Some(e),
            Ok(_) if bad => {
                self.stats.protocol_errors += 1;
                Some(StackError::Engine(CmdStatus::Truncated))
            }
            Ok(_) => None,
        };
        if held.is_empty() {
            return err.map_or(Ok(()), Err);
        }
        // Events that came before we send HANDOUT2 (a handout timeout of a slow host,
        // requests for other connections) are handled first; connections whose handout
        // was abandoned meanwhile are not started.
        if let Err(e) = self.poll() {
            err.get_or_insert(e);
        }
        held.retain(|id| match self.conns.get(id) {
            Some(c) if matches!(c.placement, Placement::Held(_)) => true,
            Some(_) => {
                outcomes.push((*id, Err(EntryStatus::NotPending)));
                false
            }
            None => false,
        });
        if held.is_empty() {
            return err.map_or(Ok(()), Err);
        }
        // HANDOUT2: the DELEGATED state of every connection now held.
        let entries: Vec<Handout2Entry> = held
            .iter()
            .filter_map(|id| {
                let c = self.conns.get(id)?;
                Some(Handout2Entry {
                    handle: c.placement.handle()?,
                    host_ctx: *id,
                    tcp: c.tcp,
                })
            })
            .collect();
        let ev2 = self.exchange(&Command::Handout2 {
            tag: 0,
            entries: entries.clone(),
        });
        let results2 = match &ev2 {
            Ok(Event::HandoutDone { results, .. }) => results.clone(),
            _ => vec![],
        };
        let mut strays = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let status = results2
                .get(i)
                .filter(|r| r.kind == Kind::Tcp && r.handle == e.handle && r.host_ctx == e.host_ctx)
                .map(|r| r.status);
            let Some(c) = self.conns.get_mut(&e.host_ctx) else {
                continue;
            };
            if status == Some(EntryStatus::Ok) {
                c.placement = Placement::Offloaded(e.handle);
                c.stats.state_changes += 1;
                c.refused = None;
                self.stats.offloads += 1;
                outcomes.push((e.host_ctx, Ok(e.handle)));
            } else if status == Some(EntryStatus::NotPending) {
                // The handout timed out on the engine (its request comes later, stale):
                // take the connection back and let the policy offer it again later.
                c.refused = Some((EntryStatus::NotPending, now));
                self.stats.handout_timeouts += 1;
                strays.push(e.host_ctx);
                outcomes.push((e.host_ctx, Err(EntryStatus::NotPending)));
            } else {
                // Not started: take it back so nothing is left behind on the engine.
                self.stats.protocol_errors += 1;
                strays.push(e.host_ctx);
                outcomes.push((e.host_ctx, Err(EntryStatus::NotPending)));
            }
        }
        if let Err(e) = &ev2 {
            err.get_or_insert(e.clone());
        } else if let Ok(ev2) = &ev2
            && let Err(e) = self.trailer_check(ev2)
        {
            err.get_or_insert(e);
        }
        if !strays.is_empty()
            && let Err(e) = self.upload(&strays, false)
        {
            err.get_or_insert(e);
        }
        err.map_or(Ok(()), Err)
    }

    /// Free Paths the engine holds with no connection of ours on them, then Neighbors
    /// with no Path (objects created by a handout whose connections were all refused).
    fn release_unused(&mut self) -> Result<(), StackError> {
        let mut used_paths = BTreeSet::new();
        for c in self.conns.values() {
            if c.placement != Placement::Host {
                used_paths.insert(c.path);
            }
        }
        let paths: Vec<ConnRef> = self
            .paths
            .iter()
            .filter_map(|(id, p)| {
                let h = p.engine?;
                (!used_paths.contains(id)).then_some(ConnRef {
                    kind: Kind::Path,
                    handle: h,
                    host_ctx: *id,
                })
            })
            .collect();
        if !paths.is_empty() {
            self.flush_refs(paths, false)?;
        }
        let mut used_nbrs = BTreeSet::new();
        for p in self.paths.values() {
            if p.engine.is_some() {
                used_nbrs.insert(p.nbr);
            }
        }
        let nbrs: Vec<ConnRef> = self
            .nbrs
            .iter()
            .filter_map(|(id, n)| {
                let h = n.engine?;
                (!used_nbrs.contains(id)).then_some(ConnRef {
                    kind: Kind::Neighbor,
                    handle: h,
                    host_ctx: *id,
                })
            })
            .collect();
        if !nbrs.is_empty() {
            self.flush_refs(nbrs, false)?;
        }
        Ok(())
    }

    /// Upload connections (A7, M5): FLUSH (or CLOSE with `close`) and apply the
    /// DELEGATED state the engine returns. Connections not held by the engine are skipped.
    pub fn upload(&mut self, ids: &[ConnId], close: bool) -> Result<(), StackError> {
        let refs: Vec<ConnRef> = ids
            .iter()
            .filter_map(|id| {
                let h = self.conns.get(id)?.placement.handle()?;
                Some(ConnRef {
                    kind: Kind::Tcp,
                    handle: h,
                    host_ctx: *id,
                })
            })
            .collect();
        if refs.is_empty() {
            return Ok(());
        }
        let r = self.flush_refs(refs.clone(), close);
        // Whatever the engine said, these connections are the host's now.
        for c in refs {
            if let Some(hc) = self.conns.get_mut(&c.host_ctx)
                && hc.placement != Placement::Host
            {
                hc.placement = Placement::Host;
                hc.stats.state_changes += 1;
            }
        }
        r
    }

    fn flush_refs(&mut self, refs: Vec<ConnRef>, close: bool) -> Result<(), StackError> {
        let mut err = None;
        for chunk in refs.chunks(self.max_blocks) {
            let cmd = if close {
                Command::Close {
                    tag: 0,
                    conns: chunk.to_vec(),
                }
            } else {
                Command::Flush {
                    tag: 0,
                    conns: chunk.to_vec(),
                }
            };
            match self.exchange(&cmd) {
                Ok(ev) => {
                    if let Event::Flushed { items, .. } = &ev {
                        self.apply_flushed(items);
                    }
                    if let Err(e) = self.trailer_check(&ev) {
                        err.get_or_insert(e);
                    }
                }
                Err(e) => {
                    self.stats.protocol_errors += 1;
                    err.get_or_insert(e);
                }
            }
        }
        err.map_or(Ok(()), Err)
    }

    fn apply_flushed(&mut self, items: &[FlushItem]) {
        for it in items {
            match *it {
                FlushItem::Conn { result, tcp } => {
                    let Some(c) = self.conns.get_mut(&result.host_ctx) else {
                        self.stats.protocol_errors += 1;
                        continue;
                    };
                    match (result.status, tcp) {
                        (EntryStatus::Ok, Some(t))
                            if c.placement.handle() == Some(result.handle) =>
                        {
                            // B1: the engine's DELEGATED state becomes the host's.
                            if c.placement != Placement::Host {
                                let was_offloaded = matches!(c.placement, Placement::Offloaded(_));
                                if was_offloaded {
                                    c.tcp.set_class_words(
                                        Class::Delegated,
                                        &t.class_words(Class::Delegated),
                                    );
                                }
                                c.placement = Placement::Host;
                                c.stats.state_changes += 1;
                                self.stats.uploads += 1;
                            }
                        }
                        _ => self.stats.protocol_errors += 1,
                    }
                }
                FlushItem::PathFreed { result, path } => {
                    if let Some(p) = self.paths.get_mut(&result.host_ctx)
                        && p.engine == Some(result.handle)
                    {
                        p.engine = None;
                        p.path
                            .set_class_words(Class::Delegated, &path.class_words(Class::Delegated));
                    } else {
                        self.stats.protocol_errors += 1;
                    }
                }
                FlushItem::NeighborFreed { result } => {
                    if let Some(n) = self.nbrs.get_mut(&result.host_ctx)
                        && n.engine == Some(result.handle)
                    {
                        n.engine = None;
                    } else {
                        self.stats.protocol_errors += 1;
                    }
                }
                FlushItem::NotFreed { result } => {
                    if result.status == EntryStatus::UnknownHandle {
                        match result.kind {
                            Kind::Path => {
                                if let Some(p) = self.paths.get_mut(&result.host_ctx) {
                                    p.engine = None;
                                }
                            }
                            Kind::Neighbor => {
                                if let Some(n) = self.nbrs.get_mut(&result.host_ctx) {
                                    n.engine = None;
                                }
                            }
                            Kind::Tcp => {}
                        }
                    }
                }
            }
        }
    }

    fn update(&mut self, u: CachedUpdate) -> Result<EntryStatus, StackError> {
        let ev = self.exchange(&Command::Update { tag: 0, update: u })?;
        self.trailer_check(&ev)?;
        let status = match &ev {
            Event::Updated { results, .. } => results.first().map(|r| r.status),
            _ => None,
        };
        self.stats.updates += 1;
        Ok(status.unwrap_or(EntryStatus::UnknownHandle))
    }

    /// The next hop of a VLAN (`None`: untagged) has a new MAC address (M4): the host's
    /// Neighbor changes, and if the engine holds it one UPDATE reaches every connection
    /// under it. Returns the engine's entry status when an UPDATE was sent.
    pub fn set_next_hop_mac(
        &mut self,
        vlan: Option<u16>,
        mac: u64,
    ) -> Result<Option<EntryStatus>, StackError> {
        let vlan = vlan.map(|v| v & 0xFFF);
        self.next_hops.insert(vlan, mac);
        let Some(&id) = self.nbr_by_vlan.get(&vlan) else {
            return Ok(None);
        };
        let Some(n) = self.nbrs.get_mut(&id) else {
            return Ok(None);
        };
        n.nbr.dst_mac = mac & ((1 << 48) - 1);
        let (nbr, engine) = (n.nbr, n.engine);
        match engine {
            Some(handle) => self
                .update(CachedUpdate::Neighbor {
                    handle,
                    host_ctx: id,
                    nbr,
                })
                .map(Some),
            None => Ok(None),
        }
    }

    /// A Path's MTU changed (M4): one UPDATE if the engine holds the Path.
    pub fn set_path_mtu(&mut self, path: u32, mtu: u16) -> Result<Option<EntryStatus>, StackError> {
        let Some(p) = self.paths.get_mut(&path) else {
            return Ok(None);
        };
        p.path.path_mtu = mtu as u64;
        let (obj, engine) = (p.path, p.engine);
        match engine {
            Some(handle) => self
                .update(CachedUpdate::Path {
                    handle,
                    host_ctx: path,
                    path: obj,
                })
                .map(Some),
            None => Ok(None),
        }
    }

    // ----- unsolicited events -----------------------------------------------

    /// Handle the engine's unsolicited events (M5; see the module documentation):
    /// every message [`EngineLink::poll_events`] returns, in order. Returns the upload
    /// requests acted on (host context, reason); stale requests are counted and ignored.
    /// A message that is not a valid upload request is a protocol error; all messages
    /// are handled and the first error is returned.
    pub fn poll(&mut self) -> Result<Vec<(ConnId, UploadReason)>, StackError> {
        let msgs = self.link.poll_events();
        let mut acted = Vec::new();
        let mut err = None;
        for words in msgs {
            match Event::decode(&words) {
                Ok(Event::UploadRequest {
                    handle,
                    host_ctx,
                    reason,
                }) => {
                    self.stats.upload_requests += 1;
                    match self.upload_request(handle, host_ctx, reason) {
                        None => self.stats.upload_requests_stale += 1,
                        Some(r) => {
                            acted.push((host_ctx, reason));
                            if let Err(e) = r {
                                err.get_or_insert(e);
                            }
                        }
                    }
                }
                Ok(other) => {
                    self.stats.protocol_errors += 1;
                    err.get_or_insert(unexpected(EventType::UploadRequest, &other));
                }
                Err(e) => {
                    self.stats.protocol_errors += 1;
                    err.get_or_insert(StackError::Decode(e));
                }
            }
        }
        err.map_or(Ok(acted), Err)
    }

    /// Act on one upload request; `None` when it is stale (not acted on).
    fn upload_request(
        &mut self,
        handle: u16,
        id: ConnId,
        reason: UploadReason,
    ) -> Option<Result<(), StackError>> {
        let c = self.conns.get(&id)?;
        let expected = match reason {
            UploadReason::HandoutTimeout => Placement::Held(handle),
            _ => Placement::Offloaded(handle),
        };
        if c.placement != expected {
            return None;
        }
        let r = match reason {
            UploadReason::Rst => {
                self.stats.upload_requests_rst += 1;
                let r = self.upload(&[id], true);
                // Abortive: the connection ends on the host.
                self.set_state(id, TcpState::Closed);
                self.remove_conn(id);
                r
            }
            UploadReason::Fin => {
                self.stats.upload_requests_fin += 1;
                let r = self.upload(&[id], false);
                if let Some(c) = self.conns.get_mut(&id)
                    && c.placement == Placement::Host
                    && c.tcp.tcp_state == TcpState::Established as u64
                {
                    c.tcp.rcv_nxt = (c.tcp.rcv_nxt as u32).wrapping_add(1) as u64;
                    self.set_state(id, TcpState::CloseWait);
                    self.send_segment(id, flags::ACK, 0);
                }
                r
            }
            UploadReason::Syn | UploadReason::Urg => {
                if reason == UploadReason::Syn {
                    self.stats.upload_requests_syn += 1;
                } else {
                    self.stats.upload_requests_urg += 1;
                }
                self.upload(&[id], false)
            }
            UploadReason::DmaError | UploadReason::NoBuffer | UploadReason::RetransmitTimeout => {
                self.stats.upload_requests_rcv += 1;
                self.upload(&[id], false)
            }
            UploadReason::HandoutTimeout => {
                self.stats.upload_requests_timeout += 1;
                self.stats.handout_timeouts += 1;
                let r = self.upload(&[id], false);
                let now = self.now;
                if let Some(c) = self.conns.get_mut(&id) {
                    c.refused = Some((EntryStatus::NotPending, now));
                }
                r
            }
        };
        Some(r)
    }

    // ----- statistics -------------------------------------------------------

    /// The host's counters.
    pub fn host_stats(&self) -> HostStats {
        let mut s = self.stats;
        s.connections = self.conns.len() as u64;
        s.connections_on_host = self
            .conns
            .values()
            .filter(|c| c.placement == Placement::Host)
            .count() as u64;
        s
    }

    /// Host counters merged with the engine's (STATS) (F4).
    pub fn stats(&mut self) -> Result<MergedStats, StackError> {
        let ev = self.exchange(&Command::Stats { tag: 0 })?;
        self.trailer_check(&ev)?;
        let Event::Stats { stats: engine, .. } = ev else {
            return Err(unexpected(EventType::Stats, &ev));
        };
        let host = self.host_stats();
        Ok(MergedStats {
            host,
            engine,
            connections: host.connections_on_host + engine.connections,
            frames: host.frames_engine_path
                + host.frames_new_connection
                + host.frames_closing
                + host.frames_offload_complete
                + host.frames_host
                + engine.hits,
        })
    }
}

fn unexpected(expected: EventType, got: &Event) -> StackError {
    StackError::UnexpectedEvent {
        expected,
        got: got.event_type(),
    }
}

fn with_tag(cmd: &Command, tag: u32) -> Command {
    let mut c = cmd.clone();
    match &mut c {
        Command::Caps { tag: t }
        | Command::Stats { tag: t }
        | Command::Handout1 { tag: t, .. }
        | Command::Handout2 { tag: t, .. }
        | Command::Flush { tag: t, .. }
        | Command::Update { tag: t, .. }
        | Command::Close { tag: t, .. }
        | Command::RxBuf { tag: t, .. }
        | Command::RcvList { tag: t, .. }
        | Command::WinUpdate { tag: t, .. }
        | Command::SendList { tag: t, .. } => *t = tag,
    }
    c
}

fn state_of(v: u64) -> Option<TcpState> {
    use TcpState::*;
    [
        Closed,
        Listen,
        SynSent,
        SynReceived,
        Established,
        FinWait1,
        FinWait2,
        CloseWait,
        Closing,
        LastAck,
        TimeWait,
    ]
    .into_iter()
    .find(|s| *s as u64 == v)
}

/// `a > b` in sequence space.
fn seq_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}
