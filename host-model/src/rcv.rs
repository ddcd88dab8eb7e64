//! Model of the receive fast path (A4, A7, A8, I5, I6, I8, M5, M10): receive lists,
//! in-order and out-of-order placement, ACK generation, window, flush with residuals.
//!
//! [`RcvModel`] wraps the ring path ([`RxPathModel`], itself wrapping the engine core)
//! the way the fast path will sit in the RTL between the engine top and the receive
//! ring. It is the golden reference of that block; the RTL does not have it yet (today
//! every frame the engine delivers, hits included, goes to the ring: that is
//! [`RxPathModel`]).
//!
//! # Commands
//! RCVLIST (0x09) and WINUPDATE (0x0A) are answered here ([`crate::proto`] gives their
//! formats), RXBUF by the ring path, all others by the engine core. Entries are
//! processed in order, each fully applied before the next; a fault while reading an
//! entry stops the command as for every command (`BAD_ENTRY`, `TRUNCATED`, words after
//! the last entry `TRAILING_WORDS`), entries done stay done. Each entry gets one
//! result (kind TCP, the entry's handle and host context):
//! - the connection must be Offloaded with that host context, else `UNKNOWN_HANDLE`;
//! - RCVLIST: a list whose scatter-gather entries do not fit in what is left of the
//!   connection's `rcv.sg_entries` is refused `NO_RESOURCES` (nothing posted). Else it
//!   is queued behind the connection's earlier lists and `OK`. Posting ends a wait for a
//!   list (below): the frames held for the connection are then processed, oldest first,
//!   as if they arrived now.
//! - WINUPDATE: the application consumed `bytes` more indicated bytes: the window's
//!   right edge moves `bytes` to the right (capped, below), `OK`.
//!
//! After either, if the advertised window was below one MSS (`eff_mss`, 536 when 0)
//! and now is at least one, a window-update ACK is sent at once.
//!
//! # Connection state
//! Created by a HANDOUT2 result `OK` from the DELEGATED state: `RCV.NXT` = `rcv_nxt`,
//! right edge `R = rcv_nxt + rcv_wnd`. The fast path keeps `rcv_nxt` and `rcv_wnd =
//! R - RCV.NXT` in the engine's DELEGATED state as they change, so FLUSH and CLOSE
//! return them. Per connection it also has: its posted lists in order (the first is the
//! *current* list, with `placed` = bytes placed from its start in stream order), at
//! most one out-of-order range `[ooo_start, ooo_end)` placed in the posted lists, a
//! count of accepted segments not yet acknowledged, a delayed-ACK deadline, and a
//! *waiting* flag (a FRAME_DATA was indicated and no list was posted since).
//!
//! The window: `R` never moves left. It moves right by the bytes placed in lists (they
//! are consumed at once: zero copy), by WINUPDATE, and to `RCV.NXT + posted space`
//! (what is left of the current list plus the later lists) whenever that is further
//! right. The advertised window is `R - RCV.NXT`, at most `65535 << rcv_wscale`
//! (`wscale_ok`) or 65535, sent as `(R - RCV.NXT) >> rcv_wscale`.
//!
//! # Frames
//! Every frame the engine core delivers ([`Delivery`], in order) comes here with its
//! bytes. All but `Hit`s of connections the fast path holds go to the ring unchanged
//! (RX_FRAME). For a Hit (`L` = payload length, `S` = sequence number):
//! 1. **Exceptions**: not a fast-path candidate (SYN, FIN, RST or URG set, checksum or
//!    header errors, fragments, IPv6 extension headers): to the ring as RX_FRAME with
//!    its Hit status. The engine core has raised the upload request for SYN / FIN /
//!    RST / URG; the host takes the frame into its slow path after the flush.
//!
//! Every candidate Hit first gives its ACK field, window and sequence number to the
//! connection's send side ([`crate::snd`]; once, not again when a held frame is
//! released), which may complete send lists and send segments. Then:
//! 2. `L = 0`: `S = RCV.NXT` → consumed (a pure ACK);
//!    otherwise (a keep-alive probe, an old segment) an ACK is sent at once.
//! 3. While the connection is *waiting*, every frame with payload is held in the
//!    engine's store of `rcv.hold_frames` frames (all connections together), not
//!    acknowledged. A frame that finds the store full is dropped (`hold_drops`) and the
//!    engine requests an upload (`NO_BUFFER`), once per connection.
//! 4. `S + L <= RCV.NXT` (all old): dropped (`dup_segs`), ACK at once. If `S < RCV.NXT`
//!    the old head is trimmed: the segment is taken as starting at `RCV.NXT`.
//! 5. Any byte at or beyond `R`: dropped (`out_of_window`), ACK at once.
//! 6. **In order** (`S = RCV.NXT`): the payload fills the posted lists in order from
//!    the current list's offset `placed` (split over the scatter-gather entries and
//!    lists it spans); each list that fills up completes (`RcvDone`, full). `RCV.NXT`
//!    and `R` advance by the bytes placed. If `RCV.NXT` reached the out-of-order range
//!    (`RCV.NXT >= ooo_start`), it jumps to `ooo_end` (`R` follows; the lists fill up
//!    to there, completing those that fill), the range is cleared and an ACK is sent
//!    at once instead of counting the segment (hole filled). If all of the payload
//!    was placed and the segment has PSH, a current list with bytes placed completes
//!    short (`push`; a range still pending is discarded, `ooo_discarded`).
//! 7. **In order, past the lists**: the bytes no list took are indicated (FRAME_DATA):
//!    the frame goes to the next ring buffer (a FRAME_DATA event instead of
//!    RX_FRAME; the host skips the bytes before its own stream position), `RCV.NXT`
//!    advances past the frame (`R` does not: the host returns the space with
//!    WINUPDATE), the connection starts *waiting*, and a range is discarded. With no
//!    ring buffer those bytes are dropped (`ring_drops`; the peer sends them again).
//! 8. **Out of order** (`S > RCV.NXT`) is placed when the segment ends inside the
//!    posted lists (`S - RCV.NXT + L <=` posted bytes not yet placed), and there is no
//!    range yet (the range becomes `[S, S + L)`) or the segment starts at `ooo_end`
//!    (the range grows): it is written at its stream position, over the lists it spans
//!    (a failed write marks the current list). A segment inside the range is a
//!    duplicate (`dup_segs`); any other is dropped (`ooo_drops`). An ACK (a duplicate
//!    ACK) is sent at once in all these cases.
//!
//! Accepted in-order segments (6 and 7) count towards the ACK: after `rcv.ack_every`
//! of them, or `rcv.delack_us` after the first of them ([`RcvModel::tick`]), an ACK
//! is sent. Every ACK resets the count and the deadline.
//!
//! A list completes with trailer `DMA_ERROR` when any write into it failed; the first
//! failure also requests an upload (`DMA_ERROR`). The segment still counts as accepted
//! (the host posted a bad buffer; its data is lost to the application, reported).
//!
//! # ACK frames (I8)
//! Built from the connection's templates: Ethernet from the Neighbor (source `src_mac`,
//! destination `dst_mac`, an 802.1Q tag with `vlan_id` / `vlan_pcp` when
//! `vlan_present`), IPv4 (DF, TTL `ttl`, TOS `tos`, ID = the Path's current IP ID,
//! after which its counter advances, M7) or IPv6 (hop limit, traffic class, flow
//! label) from the Path, TCP from the connection: ports, `seq = snd_nxt`, `ack =
//! RCV.NXT`, the window above, flag ACK only, no options; checksums correct; padded
//! with zeros to 60 bytes. (Timestamps are not echoed: the engine does not parse the
//! option yet.)
//!
//! # Flush (A7, M5)
//! After a FLUSH or CLOSE result `OK` for a connection, its lists are returned, oldest
//! first, as `RcvDone { flushed }` events (the current one with its `placed` bytes,
//! the later ones with 0), then its held frames go to the ring as RX_FRAME `Miss`
//! (the host's stack owns the connection again). The DELEGATED state in the response
//! has `rcv_nxt` = the end of the data placed or indicated: data acknowledged to the
//! peer is always in a list or a ring buffer already, so nothing is lost.

use std::collections::{HashMap, VecDeque};

use etherparse::{
    EtherType, IpDscp, IpEcn, IpHeaders, IpNumber, Ipv4Extensions, Ipv4Header, Ipv6Extensions,
    Ipv6FlowLabel, Ipv6Header, PacketBuilder, SingleVlanHeader, TcpHeader, VlanHeader, VlanId,
    VlanPcp,
};
use serde::Serialize;

use crate::config::Resolved;
use crate::engine::{Delivery, EngineModel, Lookup};
use crate::meta::RxMeta;
use crate::proto::{
    CmdStatus, CommandReader, DecodeError, EntryStatus, Event, FlushItem, Kind, Opcode, RcvDone,
    RcvList, ResultEntry, SendList, SgEntry, Trailer, UploadReason,
};
use crate::rx_path::{RingWrite, RxPathModel, ring_bytes};
use crate::snd::{SndConn, SndParams, SndStats};

/// Host memory as the engine's DMA port sees it.
pub trait HostMemory {
    /// Write `data` at `addr`; false when the write fails (SLVERR / DECERR).
    fn write(&mut self, addr: u64, data: &[u8]) -> bool;
    /// Read `len` bytes at `addr` (the send path's DMA reads); `None` when the read
    /// fails.
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>>;
}

/// Host memory made of regions; a write that is not wholly inside one region fails.
#[derive(Debug, Clone, Default)]
pub struct RegionMemory {
    regions: Vec<(u64, Vec<u8>)>,
}

impl RegionMemory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a zeroed region of `len` bytes at `base` (regions must not overlap).
    pub fn add(&mut self, base: u64, len: usize) {
        self.regions.push((base, vec![0; len]));
    }

    fn find(&self, addr: u64, len: usize) -> Option<(usize, usize)> {
        self.regions.iter().enumerate().find_map(|(i, (b, v))| {
            let off = addr.checked_sub(*b)? as usize;
            (off.checked_add(len)? <= v.len()).then_some((i, off))
        })
    }

    /// `len` bytes at `addr`, `None` unless wholly inside one region.
    pub fn read(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let (i, off) = self.find(addr, len)?;
        Some(&self.regions[i].1[off..off + len])
    }
}

impl HostMemory for RegionMemory {
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.read(addr, len).map(|b| b.to_vec())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> bool {
        match self.find(addr, data.len()) {
            Some((i, off)) => {
                self.regions[i].1[off..off + data.len()].copy_from_slice(data);
                true
            }
            None => false,
        }
    }
}

/// The fast path's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RcvStats {
    /// In-order segments placed in receive lists, and their bytes.
    pub placed_segs: u64,
    pub placed_bytes: u64,
    /// Out-of-order segments placed after a hole, and their bytes.
    pub ooo_segs: u64,
    pub ooo_bytes: u64,
    /// Frames indicated with FRAME_DATA, and their payload bytes accepted.
    pub indicated: u64,
    pub indicated_bytes: u64,
    /// Duplicate segments dropped (all old, or inside the out-of-order range).
    pub dup_segs: u64,
    /// Out-of-order segments dropped (no room, or not next to the range).
    pub ooo_drops: u64,
    /// Out-of-order ranges discarded by a short completion or an indication.
    pub ooo_discarded: u64,
    /// Holes filled by in-order data (RCV.NXT reached the range), and of those, ones
    /// after which RCV.NXT jumped over placed bytes.
    pub ooo_filled: u64,
    pub ooo_jumps: u64,
    /// Segments dropped for bytes outside the window.
    pub out_of_window: u64,
    /// Frames held waiting for a list, and those dropped with the store full.
    pub held: u64,
    pub hold_drops: u64,
    /// Lists completed (full, short, flushed), and of those short ones.
    pub lists_done: u64,
    pub lists_short: u64,
    /// Writes into lists that failed on the DMA port.
    pub dma_errors: u64,
    /// Pure ACKs consumed.
    pub pure_acks: u64,
    /// Exception frames of offloaded connections passed to the ring.
    pub exceptions: u64,
    /// ACK frames sent.
    pub acks: u64,
}

#[derive(Debug, Clone)]
struct ListState {
    tag: u32,
    sg: Vec<SgEntry>,
    len: u64,
    placed: u64,
    dma_error: bool,
}

#[derive(Debug, Clone)]
struct Conn {
    host_ctx: u32,
    lists: VecDeque<ListState>,
    sg_used: usize,
    right: u32,
    ooo: Option<(u32, u32)>,
    unacked: u32,
    deadline: Option<u64>,
    waiting: bool,
    upload_asked: bool,
}

/// A frame held for a connection waiting for a list.
#[derive(Debug, Clone)]
struct Held {
    handle: u16,
    delivery: Delivery,
    frame: Vec<u8>,
}

fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

fn seq_max(a: u32, b: u32) -> u32 {
    if seq_lt(a, b) { b } else { a }
}

/// The fast path model (see the module documentation).
#[derive(Debug, Clone)]
pub struct RcvModel {
    pub path: RxPathModel,
    ack_every: u32,
    delack_cycles: u64,
    sg_entries: usize,
    hold_frames: usize,
    conns: HashMap<u16, Conn>,
    hold: VecDeque<Held>,
    events: Vec<Event>,
    acks: Vec<Vec<u8>>,
    now: u64,
    stats: RcvStats,
    /// The send side of each connection (`crate::snd`).
    snd: HashMap<u16, SndConn>,
    snd_params: SndParams,
    snd_stats: SndStats,
    /// Held frames being released: their ACK fields were processed on arrival.
    releasing: bool,
    /// The send path is there (else SENDLIST is an unknown opcode and ACK fields are
    /// not looked at: the receive engine top, `<prefix>_rx`, as built today).
    snd_enabled: bool,
}

impl RcvModel {
    pub fn new(cfg: &Resolved) -> RcvModel {
        RcvModel {
            path: RxPathModel::new(EngineModel::new(cfg)),
            ack_every: cfg.config.rcv.ack_every,
            delack_cycles: cfg.delack_cycles,
            sg_entries: cfg.config.rcv.sg_entries as usize,
            hold_frames: cfg.config.rcv.hold_frames as usize,
            conns: HashMap::new(),
            hold: VecDeque::new(),
            events: Vec::new(),
            acks: Vec::new(),
            now: 0,
            stats: RcvStats::default(),
            snd: HashMap::new(),
            snd_params: SndParams::new(cfg),
            snd_stats: SndStats::default(),
            releasing: false,
            snd_enabled: true,
        }
    }

    /// The model of the receive engine top alone (`<prefix>_rx`): no send path.
    pub fn receive_only(cfg: &Resolved) -> RcvModel {
        RcvModel {
            snd_enabled: false,
            ..RcvModel::new(cfg)
        }
    }

    /// The send path's counters.
    pub fn snd_stats(&self) -> SndStats {
        self.snd_stats
    }

    /// A connection's send state.
    pub fn snd_conn(&self, handle: u16) -> Option<&SndConn> {
        self.snd.get(&handle)
    }

    pub fn engine(&self) -> &EngineModel {
        &self.path.engine
    }

    pub fn engine_mut(&mut self) -> &mut EngineModel {
        &mut self.path.engine
    }

    pub fn stats(&self) -> RcvStats {
        self.stats
    }

    /// Unsolicited events (the engine core's and the fast path's), oldest first.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.sync_events();
        std::mem::take(&mut self.events)
    }

    /// Frames sent, oldest first: ACK frames and, in their order among them, the send
    /// path's data segments (one transmit stream: a later frame never carries a
    /// sequence number behind data still queued before it).
    pub fn take_acks(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.acks)
    }

    /// ACK frames sent and not taken yet (left in place).
    pub fn peek_acks(&self) -> Vec<Vec<u8>> {
        self.acks.clone()
    }

    /// Does the fast path hold this connection (Offloaded and started)?
    pub fn has_conn(&self, handle: u16) -> bool {
        self.conns.contains_key(&handle)
    }

    /// Frames held now, all connections.
    pub fn held_frames(&self) -> usize {
        self.hold.len()
    }

    /// The receive ring's posted buffers, oldest first.
    pub fn ring(&self) -> &VecDeque<u64> {
        self.path.ring()
    }

    /// Bytes of the connection's posted lists not placed yet (`None`: not a fast-path
    /// connection).
    pub fn posted_space(&self, handle: u16) -> Option<u64> {
        self.conns
            .get(&handle)
            .map(|c| c.lists.iter().map(|l| l.len - l.placed).sum())
    }

    fn sync_events(&mut self) {
        let core = self.path.engine.take_unsolicited();
        self.events.extend(core);
    }

    /// Process one command message and return its response.
    pub fn command_event(&mut self, words: &[u64], mem: &mut dyn HostMemory) -> Event {
        self.sync_events();
        let op = words.first().map(|w| *w as u8).unwrap_or(0);
        if op == Opcode::Stats as u8 {
            let (r, s) = (self.stats, self.path.engine.stats_mut());
            s.rcv_placed_segs = r.placed_segs;
            s.rcv_placed_bytes = r.placed_bytes;
            s.rcv_ooo_segs = r.ooo_segs;
            s.rcv_dup_segs = r.dup_segs;
            s.rcv_out_of_window = r.out_of_window;
            s.rcv_ooo_drops = r.ooo_drops;
            s.rcv_indicated = r.indicated;
            s.rcv_lists_done = r.lists_done;
            s.rcv_acks = r.acks;
        }
        let ev = if op == Opcode::RcvList as u8
            || op == Opcode::WinUpdate as u8
            || (op == Opcode::SendList as u8 && self.snd_enabled)
        {
            let ev = self.data_command(words, mem);
            if ev.trailer().status != CmdStatus::Ok {
                self.path.engine.stats_mut().command_errors += 1;
            }
            ev
        } else {
            self.path.command_event(words)
        };
        self.sync_events();
        match &ev {
            Event::HandoutDone { results, .. } => {
                for r in results.iter().filter(|r| r.status == EntryStatus::Ok) {
                    self.start(r.handle, r.host_ctx);
                }
            }
            Event::Flushed { items, .. } => {
                for it in items {
                    if let FlushItem::Conn {
                        result,
                        tcp: Some(_),
                    } = it
                    {
                        self.flushed(result.handle, mem);
                    }
                }
            }
            _ => {}
        }
        ev
    }

    fn start(&mut self, handle: u16, host_ctx: u32) {
        let Some(tcp) = self.path.engine.conn(handle).map(|c| c.tcp) else {
            return;
        };
        let nxt = tcp.rcv_nxt as u32;
        if self.snd_enabled {
            let mut snd = SndConn::new(&tcp, &self.snd_params);
            snd.restart_timer(self.now, &self.snd_params);
            self.snd.insert(handle, snd);
            self.sync_snd(handle);
        }
        self.conns.insert(
            handle,
            Conn {
                host_ctx,
                lists: VecDeque::new(),
                sg_used: 0,
                right: nxt.wrapping_add(tcp.rcv_wnd as u32),
                ooo: None,
                unacked: 0,
                deadline: None,
                waiting: false,
                upload_asked: false,
            },
        );
    }

    fn flushed(&mut self, handle: u16, mem: &mut dyn HostMemory) {
        let Some(c) = self.conns.remove(&handle) else {
            return;
        };
        for l in c.lists {
            self.complete_list(handle, c.host_ctx, l, false, true);
        }
        if let Some(snd) = self.snd.remove(&handle) {
            for done in snd.flush(handle, c.host_ctx, &mut self.snd_stats) {
                self.events.push(Event::SendDone {
                    done,
                    trailer: Trailer::ok(0),
                });
            }
        }
        let (mine, keep): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.hold)
            .into_iter()
            .partition(|h| h.handle == handle);
        self.hold = keep;
        for h in mine {
            let d = Delivery {
                record: h.delivery.record,
                lookup: Lookup::Miss,
            };
            self.ring_out(&d, &h.frame, mem, false);
        }
    }

    /// Take the connection's current list off and complete it (`push`: short on PSH).
    fn complete_current(&mut self, h: u16, push: bool) {
        let c = self.conns.get_mut(&h).expect("started");
        if let Some(l) = c.lists.pop_front() {
            c.sg_used -= l.sg.len();
            let host_ctx = c.host_ctx;
            self.complete_list(h, host_ctx, l, push, false);
        }
    }

    fn complete_list(
        &mut self,
        handle: u16,
        host_ctx: u32,
        l: ListState,
        push: bool,
        flushed: bool,
    ) {
        self.stats.lists_done += 1;
        let short = l.placed < l.len;
        if short {
            self.stats.lists_short += 1;
        }
        self.events.push(Event::RcvDone {
            done: RcvDone {
                handle,
                host_ctx,
                list_tag: l.tag,
                bytes: l.placed as u32,
                short,
                push,
                flushed,
            },
            trailer: if l.dma_error {
                Trailer {
                    status: CmdStatus::DmaError,
                    consumed: 0,
                }
            } else {
                Trailer::ok(0)
            },
        });
    }

    fn data_command(&mut self, words: &[u64], mem: &mut dyn HostMemory) -> Event {
        let tag = words.first().map(|w| (w >> 32) as u32).unwrap_or(0);
        let mut r = match CommandReader::new(words) {
            Ok(r) => r,
            Err(DecodeError::BadOpcode(_)) => {
                return Event::Error {
                    tag,
                    trailer: Trailer {
                        status: CmdStatus::BadOpcode,
                        consumed: 0,
                    },
                };
            }
            Err(_) => {
                return Event::Error {
                    tag,
                    trailer: Trailer {
                        status: CmdStatus::BadHeader,
                        consumed: 0,
                    },
                };
            }
        };
        let mut results = Vec::new();
        let op = r.opcode;
        let status = loop {
            // Read one entry and apply it: (handle, host context, result).
            let next = if op == Opcode::RcvList {
                r.next_rcv_list()
                    .map(|o| o.map(|l| (l.handle, l.host_ctx, self.post_list(l, mem))))
            } else if op == Opcode::SendList {
                r.next_send_list()
                    .map(|o| o.map(|l| (l.handle, l.host_ctx, self.post_send(l, mem))))
            } else {
                r.next_win_update().map(|o| {
                    o.map(|u| {
                        (
                            u.handle,
                            u.host_ctx,
                            self.win_update(u.handle, u.host_ctx, u.bytes),
                        )
                    })
                })
            };
            match next {
                Ok(Some((handle, host_ctx, status))) => {
                    results.push(ResultEntry {
                        kind: Kind::Tcp,
                        status,
                        handle,
                        host_ctx,
                    });
                }
                Ok(None) => {
                    break match r.finish() {
                        Ok(()) => CmdStatus::Ok,
                        Err(e) => CommandReader::status_of(&e),
                    };
                }
                Err(e) => break CommandReader::status_of(&e),
            }
        };
        let trailer = Trailer {
            status,
            consumed: r.consumed,
        };
        if op == Opcode::RcvList {
            Event::RcvListPosted {
                tag,
                results,
                trailer,
            }
        } else if op == Opcode::SendList {
            Event::SendListPosted {
                tag,
                results,
                trailer,
            }
        } else {
            Event::WinUpdated {
                tag,
                results,
                trailer,
            }
        }
    }

    fn known(&self, handle: u16, host_ctx: u32) -> bool {
        self.conns
            .get(&handle)
            .is_some_and(|c| c.host_ctx == host_ctx)
    }

    fn post_list(&mut self, l: RcvList, mem: &mut dyn HostMemory) -> EntryStatus {
        if !self.known(l.handle, l.host_ctx) {
            return EntryStatus::UnknownHandle;
        }
        let h = l.handle;
        let before = self.window(h);
        let c = self.conns.get_mut(&h).expect("known");
        if c.sg_used + l.sg.len() > self.sg_entries {
            return EntryStatus::NoResources;
        }
        c.sg_used += l.sg.len();
        let len = l.len();
        c.lists.push_back(ListState {
            tag: l.list_tag,
            sg: l.sg,
            len,
            placed: 0,
            dma_error: false,
        });
        self.extend_right(h);
        self.window_opened(h, before);
        if self.conns[&h].waiting {
            self.conns.get_mut(&h).expect("known").waiting = false;
            let (mine, keep): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.hold)
                .into_iter()
                .partition(|x| x.handle == h);
            self.hold = keep;
            self.releasing = true;
            for x in mine {
                self.deliver(&x.delivery, &x.frame, mem);
            }
            self.releasing = false;
        }
        EntryStatus::Ok
    }

    fn post_send(&mut self, l: SendList, mem: &mut dyn HostMemory) -> EntryStatus {
        if !self.known(l.handle, l.host_ctx) {
            return EntryStatus::UnknownHandle;
        }
        let h = l.handle;
        let (now, p) = (self.now, self.snd_params);
        let snd = self
            .snd
            .get_mut(&h)
            .expect("known connections have a send side");
        if snd.post(&l, now, &p).is_err() {
            return EntryStatus::NoResources;
        }
        let mut done = Vec::new();
        snd.complete(h, l.host_ctx, &mut done);
        self.send_done(done);
        self.sync_snd(h);
        self.pump(h, mem);
        EntryStatus::Ok
    }

    fn send_done(&mut self, done: Vec<crate::proto::SendDone>) {
        for done in done {
            self.snd_stats.lists_done += 1;
            self.events.push(Event::SendDone {
                done,
                trailer: Trailer::ok(0),
            });
        }
    }

    /// Write the send state back into the engine's DELEGATED state.
    fn sync_snd(&mut self, handle: u16) {
        let p = self.snd_params;
        if let (Some(s), Some(t)) = (
            self.snd.get(&handle),
            self.path.engine.offloaded_tcp_mut(handle),
        ) {
            s.store(t, &p);
        }
    }

    /// Send what the connection's windows allow now.
    fn pump(&mut self, h: u16, mem: &mut dyn HostMemory) {
        let (now, p) = (self.now, self.snd_params);
        loop {
            let Some(snd) = self.snd.get_mut(&h) else {
                return;
            };
            let Some(seg) = snd.next_segment(now, &p, &mut self.snd_stats) else {
                break;
            };
            let mut payload = Vec::with_capacity(seg.len as usize);
            let mut ok = true;
            for (addr, n) in &seg.pieces {
                match mem.read_bytes(*addr, *n as usize) {
                    Some(b) => payload.extend(b),
                    None => ok = false,
                }
            }
            if !ok {
                snd.stopped = true;
                self.sync_snd(h);
                self.ask_upload(h, UploadReason::DmaError);
                return;
            }
            self.sync_snd(h);
            let Some(mut f) = self.ack_fields(h) else {
                return;
            };
            f.seq = seg.seq;
            if let Some(frame) = tcp_frame_bytes(&f, seg.push, &payload) {
                self.acks.push(frame);
                self.advance_ip_id(h);
            }
        }
        self.sync_snd(h);
    }

    /// The segment's ACK field, window and sequence number, for the send side.
    fn snd_ack(&mut self, h: u16, m: &RxMeta, frame: &[u8], mem: &mut dyn HostMemory) {
        let (Some(ack), Some(seq)) = (m.tcp_ack, m.tcp_seq) else {
            return;
        };
        let Some(wnd) = etherparse::SlicedPacket::from_ethernet(frame)
            .ok()
            .and_then(|p| match p.transport {
                Some(etherparse::TransportSlice::Tcp(t)) => Some(t.window_size()),
                _ => None,
            })
        else {
            return;
        };
        let len = m.payload_len.unwrap_or(0);
        let (now, p) = (self.now, self.snd_params);
        let host_ctx = self.conns[&h].host_ctx;
        let mut done = Vec::new();
        if let Some(snd) = self.snd.get_mut(&h) {
            snd.on_ack(
                ack,
                wnd,
                seq,
                len,
                now,
                &p,
                &mut self.snd_stats,
                (h, host_ctx, &mut done),
            );
        }
        self.send_done(done);
        self.sync_snd(h);
        self.pump(h, mem);
    }

    fn win_update(&mut self, handle: u16, host_ctx: u32, bytes: u32) -> EntryStatus {
        if !self.known(handle, host_ctx) {
            return EntryStatus::UnknownHandle;
        }
        let before = self.window(handle);
        let max = self.max_window(handle);
        let c = self.conns.get_mut(&handle).expect("known");
        let nxt = self
            .path
            .engine
            .conn(handle)
            .map_or(0, |v| v.tcp.rcv_nxt as u32);
        let wnd = c.right.wrapping_sub(nxt) as u64;
        c.right = nxt.wrapping_add((wnd + bytes as u64).min(max as u64) as u32);
        self.sync_tcp(handle);
        self.window_opened(handle, before);
        EntryStatus::Ok
    }

    /// The largest window the connection can advertise.
    fn max_window(&self, handle: u16) -> u32 {
        let t = self
            .path
            .engine
            .conn(handle)
            .map(|c| c.tcp)
            .unwrap_or_default();
        if t.wscale_ok != 0 {
            65535u32 << t.rcv_wscale.min(14)
        } else {
            65535
        }
    }

    fn rcv_nxt(&self, handle: u16) -> u32 {
        self.path
            .engine
            .conn(handle)
            .map_or(0, |c| c.tcp.rcv_nxt as u32)
    }

    /// The window now: `R - RCV.NXT`.
    fn window(&self, handle: u16) -> u32 {
        let nxt = self.rcv_nxt(handle);
        self.conns
            .get(&handle)
            .map_or(0, |c| c.right.wrapping_sub(nxt))
    }

    fn mss(&self, handle: u16) -> u32 {
        match self
            .path
            .engine
            .conn(handle)
            .map_or(0, |c| c.tcp.eff_mss as u32)
        {
            0 => 536,
            m => m,
        }
    }

    fn window_opened(&mut self, handle: u16, before: u32) {
        let mss = self.mss(handle);
        if before < mss && self.window(handle) >= mss {
            self.ack_now(handle);
        }
    }

    /// `R = max(R, RCV.NXT + posted space)`, capped at the largest window.
    fn extend_right(&mut self, handle: u16) {
        let nxt = self.rcv_nxt(handle);
        let max = self.max_window(handle) as u64;
        let c = self.conns.get_mut(&handle).expect("started");
        let space: u64 = c.lists.iter().map(|l| l.len - l.placed).sum();
        let edge = nxt.wrapping_add(space.min(max) as u32);
        c.right = seq_max(c.right, edge);
        self.sync_tcp(handle);
    }

    /// Write RCV.NXT / the window back into the engine's DELEGATED state.
    fn sync_tcp(&mut self, handle: u16) {
        let right = self.conns.get(&handle).map(|c| c.right);
        if let (Some(right), Some(t)) = (right, self.path.engine.offloaded_tcp_mut(handle)) {
            t.rcv_wnd = right.wrapping_sub(t.rcv_nxt as u32) as u64;
        }
    }

    fn set_rcv_nxt(&mut self, handle: u16, nxt: u32) {
        if let Some(t) = self.path.engine.offloaded_tcp_mut(handle) {
            t.rcv_nxt = nxt as u64;
        }
        self.sync_tcp(handle);
    }

    /// Advance the delayed-ACK clock to `now` (cycles): connections whose deadline
    /// passed send their ACK.
    pub fn tick(&mut self, now: u64) {
        self.now = now;
        let mut due: Vec<(u64, u16)> = self
            .conns
            .iter()
            .filter_map(|(h, c)| c.deadline.filter(|d| *d <= now).map(|d| (d, *h)))
            .collect();
        due.sort();
        for (_, h) in due {
            self.ack_now(h);
        }
        let mut expired: Vec<u16> = Vec::new();
        for (h, s) in self.snd.iter_mut() {
            if s.expired(now, &self.snd_params, &mut self.snd_stats) {
                expired.push(*h);
            }
        }
        expired.sort();
        for h in expired {
            self.sync_snd(h);
            self.ask_upload(h, UploadReason::RetransmitTimeout);
        }
    }

    /// The ACK frame the connection would send now (see the module documentation).
    pub fn ack_frame(&self, handle: u16) -> Option<Vec<u8>> {
        ack_frame_bytes(&self.ack_fields(handle)?)
    }

    /// The fields of the ACK the connection would send now.
    pub fn ack_fields(&self, handle: u16) -> Option<AckFields> {
        let conn = self.path.engine.conn(handle)?;
        let path = self.path.engine.path(conn.path)?;
        let nbr = self.path.engine.neighbor(path.nbr)?.nbr;
        let (p, t) = (path.path, conn.tcp);
        let wnd = self.window(handle);
        let shift = if t.wscale_ok != 0 {
            t.rcv_wscale.min(14)
        } else {
            0
        };
        Some(AckFields {
            dst_mac: nbr.dst_mac,
            src_mac: nbr.src_mac,
            vlan: (nbr.vlan_present != 0).then_some((nbr.vlan_pcp as u8, nbr.vlan_id as u16)),
            ipv6: p.ipv6 != 0,
            local_ip: p.local_ip(),
            remote_ip: p.remote_ip(),
            ttl: p.ttl as u8,
            tos: p.tos as u8,
            flow_label: p.flow_label as u32,
            ip_id: p.current_ip_id(),
            local_port: t.local_port as u16,
            remote_port: t.remote_port as u16,
            seq: t.snd_nxt as u32,
            ack: t.rcv_nxt as u32,
            window: (wnd >> shift).min(65535) as u16,
        })
    }

    fn ack_now(&mut self, handle: u16) {
        let Some(frame) = self.ack_frame(handle) else {
            return;
        };
        self.acks.push(frame);
        self.stats.acks += 1;
        if let Some(c) = self.conns.get_mut(&handle) {
            c.unacked = 0;
            c.deadline = None;
        }
        self.advance_ip_id(handle);
    }

    /// A frame went out: the Path's IP ID counter advances (IPv4, M7).
    fn advance_ip_id(&mut self, handle: u16) {
        let path = self.path.engine.conn(handle).map(|c| c.path);
        if let Some(p) = path.and_then(|p| self.path.engine.path_obj_mut(p))
            && p.ipv6 == 0
        {
            p.ip_id_counter = (p.ip_id_counter + 1) & 0x7FFF;
        }
    }

    fn accepted(&mut self, handle: u16) {
        let (every, now, delack) = (self.ack_every, self.now, self.delack_cycles);
        let c = self.conns.get_mut(&handle).expect("started");
        c.unacked += 1;
        if c.unacked >= every {
            self.ack_now(handle);
        } else if c.deadline.is_none() {
            c.deadline = Some(now + delack);
        }
    }

    fn ring_out(
        &mut self,
        d: &Delivery,
        frame: &[u8],
        mem: &mut dyn HostMemory,
        data: bool,
    ) -> bool {
        let ok = match self.path.ring().front() {
            Some(&addr) => mem.write(addr, ring_bytes(frame)),
            None => true,
        };
        match self.path.deliver(d, ok) {
            RingWrite::Written { event, .. } => {
                let event = match event {
                    Event::RxFrame {
                        addr,
                        status,
                        trailer,
                    } if data => Event::FrameData {
                        addr,
                        status,
                        trailer,
                    },
                    e => e,
                };
                self.events.push(event);
                true
            }
            RingWrite::Dropped => false,
        }
    }

    /// Write `data` at offset `pos` of list `l` (split over its scatter-gather
    /// entries); false if any write failed.
    fn write_list(l: &ListState, mut pos: u64, mut data: &[u8], mem: &mut dyn HostMemory) -> bool {
        let mut ok = true;
        let mut start = 0u64;
        for e in &l.sg {
            let end = start + e.len as u64;
            if !data.is_empty() && pos < end {
                let off = pos - start;
                let n = ((end - pos) as usize).min(data.len());
                ok &= mem.write(e.addr + off, &data[..n]);
                data = &data[n..];
                pos += n as u64;
            }
            start = end;
        }
        ok && data.is_empty()
    }

    /// One frame the engine core delivered, with its bytes.
    pub fn deliver(&mut self, d: &Delivery, frame: &[u8], mem: &mut dyn HostMemory) {
        self.sync_events();
        match d.lookup {
            Lookup::Hit(h) if self.conns.contains_key(&h) => self.fast(h, d, frame, mem),
            _ => {
                self.ring_out(d, frame, mem, false);
            }
        }
        self.sync_events();
    }

    fn fast(&mut self, h: u16, d: &Delivery, frame: &[u8], mem: &mut dyn HostMemory) {
        let m = RxMeta::decode(&d.record);
        if !m.candidate {
            self.stats.exceptions += 1;
            self.ring_out(d, frame, mem, false);
            return;
        }
        if !self.releasing && self.snd_enabled {
            self.snd_ack(h, &m, frame, mem);
        }
        let seq = m.tcp_seq.unwrap_or(0);
        let len = m.payload_len.unwrap_or(0);
        let poff = m.payload_offset.unwrap_or(0) as usize;
        let nxt = self.rcv_nxt(h);
        if len == 0 {
            if seq == nxt {
                self.stats.pure_acks += 1;
            } else {
                self.stats.dup_segs += 1;
                self.ack_now(h);
            }
            return;
        }
        if self.conns[&h].waiting {
            if self.hold.len() < self.hold_frames {
                self.stats.held += 1;
                self.hold.push_back(Held {
                    handle: h,
                    delivery: d.clone(),
                    frame: frame.to_vec(),
                });
            } else {
                self.stats.hold_drops += 1;
                self.ask_upload(h, UploadReason::NoBuffer);
            }
            return;
        }
        let end = seq.wrapping_add(len);
        if !seq_lt(nxt, end) {
            self.stats.dup_segs += 1;
            self.ack_now(h);
            return;
        }
        let right = self.conns[&h].right;
        if seq_lt(right, end) {
            self.stats.out_of_window += 1;
            self.ack_now(h);
            return;
        }
        let payload = frame.get(poff..poff + len as usize).unwrap_or(&[]).to_vec();
        if payload.len() != len as usize {
            // The record and the bytes disagree: not a frame the engine took whole.
            self.stats.exceptions += 1;
            self.ring_out(d, frame, mem, false);
            return;
        }
        if seq_lt(nxt, seq) {
            self.out_of_order(h, seq, &payload, mem);
            return;
        }
        let skip = nxt.wrapping_sub(seq) as usize;
        let data = &payload[skip..];
        let push = m.tcp_flags.unwrap_or(0) & 0x008 != 0;
        self.in_order(h, d, frame, data, push, mem);
    }

    fn in_order(
        &mut self,
        h: u16,
        d: &Delivery,
        frame: &[u8],
        data: &[u8],
        push: bool,
        mem: &mut dyn HostMemory,
    ) {
        let nxt = self.rcv_nxt(h);
        // Fill the lists in order, completing each one that fills up.
        let mut done = 0usize;
        while done < data.len() {
            let c = self.conns.get_mut(&h).expect("started");
            let Some(head) = c.lists.front_mut() else {
                break;
            };
            let k = ((head.len - head.placed) as usize).min(data.len() - done);
            if !Self::write_list(head, head.placed, &data[done..done + k], mem) {
                head.dma_error = true;
                self.stats.dma_errors += 1;
                self.ask_upload(h, UploadReason::DmaError);
            }
            let c = self.conns.get_mut(&h).expect("started");
            let head = c.lists.front_mut().expect("head");
            head.placed += k as u64;
            done += k;
            if head.placed == head.len {
                self.complete_current(h, false);
            }
        }
        let c = self.conns.get_mut(&h).expect("started");
        c.right = c.right.wrapping_add(done as u32);
        let mut end = nxt.wrapping_add(done as u32);
        // Reached the out-of-order range: the hole is filled, RCV.NXT jumps past it
        // (the lists fill up to the range's end, completing those that fill).
        let mut filled = false;
        if let Some((s, e)) = c.ooo
            && !seq_lt(end, s)
        {
            c.ooo = None;
            filled = true;
            self.stats.ooo_filled += 1;
            if seq_lt(end, e) {
                self.stats.ooo_jumps += 1;
                let jump = e.wrapping_sub(end);
                c.right = c.right.wrapping_add(jump);
                end = e;
                let mut left = jump as u64;
                while left > 0 {
                    let c = self.conns.get_mut(&h).expect("started");
                    let head = c
                        .lists
                        .front_mut()
                        .expect("the range is in the posted lists");
                    let k = (head.len - head.placed).min(left);
                    head.placed += k;
                    left -= k;
                    if head.placed == head.len {
                        self.complete_current(h, false);
                    }
                }
            }
        }
        if done > 0 {
            self.stats.placed_segs += 1;
            self.stats.placed_bytes += done as u64;
        }
        self.set_rcv_nxt(h, end);
        let rest = data.len() - done;
        if rest > 0 {
            // No list left for the rest: indicate the frame (the host skips what the
            // lists took).
            let indicated = self.indicate(h, d, frame, rest as u64, mem);
            if filled {
                self.ack_now(h);
            } else if indicated || done > 0 {
                self.accepted(h);
            }
            return;
        }
        let c = self.conns.get_mut(&h).expect("started");
        if push && c.lists.front().is_some_and(|l| l.placed > 0) {
            if c.ooo.take().is_some() {
                self.stats.ooo_discarded += 1;
            }
            self.complete_current(h, true);
        }
        self.extend_right(h);
        if filled {
            self.ack_now(h);
        } else {
            self.accepted(h);
        }
    }

    /// FRAME_DATA for the last `n` payload bytes of the frame; false when no ring
    /// buffer was posted (then nothing changes).
    fn indicate(
        &mut self,
        h: u16,
        d: &Delivery,
        frame: &[u8],
        n: u64,
        mem: &mut dyn HostMemory,
    ) -> bool {
        if !self.ring_out(d, frame, mem, true) {
            return false;
        }
        self.stats.indicated += 1;
        self.stats.indicated_bytes += n;
        let nxt = self.rcv_nxt(h).wrapping_add(n as u32);
        let c = self.conns.get_mut(&h).expect("started");
        if c.ooo.take().is_some() {
            self.stats.ooo_discarded += 1;
        }
        c.waiting = c.lists.is_empty();
        self.set_rcv_nxt(h, nxt);
        true
    }

    fn out_of_order(&mut self, h: u16, seq: u32, payload: &[u8], mem: &mut dyn HostMemory) {
        let nxt = self.rcv_nxt(h);
        let n = payload.len() as u32;
        let end = seq.wrapping_add(n);
        let c = self.conns.get_mut(&h).expect("started");
        let off = seq.wrapping_sub(nxt) as u64;
        let space: u64 = c.lists.iter().map(|l| l.len - l.placed).sum();
        let fits = off + n as u64 <= space;
        enum Act {
            New,
            Grow,
            Dup,
            Drop,
        }
        let act = match c.ooo {
            _ if !fits => Act::Drop,
            None => Act::New,
            Some((_, e)) if seq == e => Act::Grow,
            Some((s, e)) if !seq_lt(seq, s) && !seq_lt(e, end) => Act::Dup,
            Some(_) => Act::Drop,
        };
        match act {
            Act::New | Act::Grow => {
                // At stream offset `off` past RCV.NXT, over the lists it spans; a
                // failed write marks the current list.
                let mut ok = true;
                let (mut pos, mut data) = (off, payload);
                for l in c.lists.iter() {
                    let rem = l.len - l.placed;
                    if pos >= rem {
                        pos -= rem;
                        continue;
                    }
                    let k = ((rem - pos) as usize).min(data.len());
                    ok &= Self::write_list(l, l.placed + pos, &data[..k], mem);
                    data = &data[k..];
                    pos = 0;
                    if data.is_empty() {
                        break;
                    }
                }
                let head = c.lists.front_mut().expect("fits");
                if !ok {
                    head.dma_error = true;
                    self.stats.dma_errors += 1;
                    self.ask_upload(h, UploadReason::DmaError);
                }
                let c = self.conns.get_mut(&h).expect("started");
                c.ooo = Some(match c.ooo {
                    Some((s, _)) => (s, end),
                    None => (seq, end),
                });
                self.stats.ooo_segs += 1;
                self.stats.ooo_bytes += n as u64;
            }
            Act::Dup => self.stats.dup_segs += 1,
            Act::Drop => self.stats.ooo_drops += 1,
        }
        self.ack_now(h);
    }

    fn ask_upload(&mut self, h: u16, reason: UploadReason) {
        let c = self.conns.get_mut(&h).expect("started");
        if !c.upload_asked {
            c.upload_asked = true;
            self.path.engine.request_upload(h, reason);
            self.sync_events();
        }
    }
}

/// The fields of a pure ACK frame (the ACK generator's request, `hdl::ack_gen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AckFields {
    /// 48-bit MAC numbers, bits `[47:40]` first on the wire.
    pub dst_mac: u64,
    pub src_mac: u64,
    /// 802.1Q tag: (PCP, VID).
    pub vlan: Option<(u8, u16)>,
    pub ipv6: bool,
    /// IPv4 addresses in the low 32 bits.
    pub local_ip: u128,
    pub remote_ip: u128,
    /// TTL / hop limit, TOS / traffic class, IPv6 flow label (20 bits).
    pub ttl: u8,
    pub tos: u8,
    pub flow_label: u32,
    /// IPv4 identification (unused for IPv6).
    pub ip_id: u16,
    pub local_port: u16,
    pub remote_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// The window field as sent (already scaled).
    pub window: u16,
}

/// A pure ACK frame built with etherparse (see the module documentation, "ACK
/// frames"); `None` if a field is out of range (a PCP above 7, a VID above 4095, a
/// flow label above 20 bits).
pub fn ack_frame_bytes(f: &AckFields) -> Option<Vec<u8>> {
    tcp_frame_bytes(f, false, &[])
}

/// A TCP frame from the connection's templates carrying `payload` (a data segment of
/// the send path, `crate::snd`): as [`ack_frame_bytes`], with PSH when `psh`.
pub fn tcp_frame_bytes(f: &AckFields, psh: bool, payload: &[u8]) -> Option<Vec<u8>> {
    let mut tcp = TcpHeader::new(f.local_port, f.remote_port, f.seq, f.window);
    tcp.ack = true;
    tcp.psh = psh;
    tcp.acknowledgment_number = f.ack;
    let mac = |v: u64| {
        let b = v.to_be_bytes();
        [b[2], b[3], b[4], b[5], b[6], b[7]]
    };
    let eth = PacketBuilder::ethernet2(mac(f.src_mac), mac(f.dst_mac));
    let ip = if !f.ipv6 {
        let mut h = Ipv4Header::new(
            0,
            f.ttl,
            IpNumber::TCP,
            (f.local_ip as u32).to_be_bytes(),
            (f.remote_ip as u32).to_be_bytes(),
        )
        .ok()?;
        h.identification = f.ip_id;
        h.dont_fragment = true;
        h.dscp = IpDscp::try_new(f.tos >> 2).ok()?;
        h.ecn = IpEcn::try_new(f.tos & 3).ok()?;
        IpHeaders::Ipv4(h, Ipv4Extensions::default())
    } else {
        IpHeaders::Ipv6(
            Ipv6Header {
                traffic_class: f.tos,
                flow_label: Ipv6FlowLabel::try_new(f.flow_label).ok()?,
                payload_length: 0,
                next_header: IpNumber::TCP,
                hop_limit: f.ttl,
                source: f.local_ip.to_be_bytes(),
                destination: f.remote_ip.to_be_bytes(),
            },
            Ipv6Extensions::default(),
        )
    };
    let mut out = Vec::new();
    let written = match f.vlan {
        Some((pcp, vid)) => {
            let vlan = VlanHeader::Single(SingleVlanHeader {
                pcp: VlanPcp::try_new(pcp).ok()?,
                drop_eligible_indicator: false,
                vlan_id: VlanId::try_new(vid).ok()?,
                ether_type: if f.ipv6 {
                    EtherType::IPV6
                } else {
                    EtherType::IPV4
                },
            });
            eth.vlan(vlan)
                .ip(ip)
                .tcp_header(tcp)
                .write(&mut out, payload)
        }
        None => eth.ip(ip).tcp_header(tcp).write(&mut out, payload),
    };
    written.ok()?;
    if out.len() < 60 {
        out.resize(60, 0);
    }
    Some(out)
}
