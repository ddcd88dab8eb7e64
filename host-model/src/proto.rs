//! The offload protocol's wire formats: commands (host → engine), responses and
//! events (engine → host), and the Neighbor / Path / TCP state objects with their
//! CONST / CACHED / DELEGATED split. This module is the single source of truth: the
//! RTL generator reads the field tables from here, the engine model and the tests
//! encode and decode with these functions.
//!
//! # Framing
//! Every message is a sequence of 64-bit words on an AXI4-Stream (`tlast` on its last
//! word). Bit 0 of a word is `tdata[0]`. Field positions below are `[hi:lo]` bits of a
//! word.
//!
//! ## Command header (word 0 of every command)
//! | bits | field |
//! |---|---|
//! | `[7:0]` | opcode ([`Opcode`]) |
//! | `[15:8]` | reserved, must be 0 |
//! | `[31:16]` | `count`: number of entries in the body |
//! | `[63:32]` | `tag`: chosen by the host, echoed in the response |
//!
//! ## Entry header (first word of every block / entry in a body)
//! | bits | field |
//! |---|---|
//! | `[3:0]` | kind: 1 = Neighbor, 2 = Path, 3 = TCP connection ([`Kind`]) |
//! | `[4]` | `reuse`: (HANDOUT1, Neighbor and Path only) the object already lives on the engine under `handle`; no state words follow |
//! | `[15:5]` | reserved, must be 0 |
//! | `[31:16]` | `handle`: the engine's handle (LowerContext for a connection); ignored for new objects |
//! | `[63:32]` | `host_ctx`: the host's handle (HostContext), echoed in results |
//!
//! ## Commands
//! | opcode | name | body (`count` entries) |
//! |---|---|---|
//! | 0x01 | CAPS | none (`count` = 0) |
//! | 0x02 | HANDOUT1 | a **block list**: Neighbor, Path and TCP blocks in tree order (below) |
//! | 0x03 | HANDOUT2 | per connection: entry header (TCP, handle) + the TCP DELEGATED words |
//! | 0x04 | FLUSH | per entry: entry header (TCP, handle); a Path or Neighbor entry frees that object if nothing uses it (else `IN_USE`) |
//! | 0x05 | UPDATE | `count` = 1: entry header (Neighbor, Path or TCP, handle) + that object's CACHED words |
//! | 0x06 | CLOSE | as FLUSH; the response says `close` |
//! | 0x07 | STATS | none (`count` = 0) |
//!
//! | 0x08 | RXBUF | per entry: one word, the host address of a receive-ring buffer of [`RX_BUF_BYTES`] bytes, 8-byte aligned (bits `[2:0]` = 0) and not wrapping past 2^64 - 1; else `BAD_ENTRY` |
//! | 0x09 | RCVLIST | per entry: entry header (TCP, handle); a word: `[31:0]` list tag, `[47:32]` scatter-gather entries `n` (1 or more), `[63:48]` reserved; then `n` pairs: the address, and a word with the length in `[31:0]` (1 or more, the entry must not wrap past 2^64 - 1), `[63:32]` reserved ([`CommandReader::next_rcv_list`]) |
//! | 0x0A | WINUPDATE | per entry: entry header (TCP, handle); a word: `[31:0]` bytes the application consumed, `[63:32]` reserved |
//! | 0x0B | SENDLIST | per entry: as RCVLIST, and bit `[48]` of the list word ([`SEND_LIST_PUSH`]) asks for PSH on the segment that carries the list's last byte ([`CommandReader::next_send_list`]) |
//!
//! Opcodes 0x08-0x0F belong to the data path ([`Opcode::is_data_path`]): the blocks
//! around the offload core take these commands whole and answer them themselves; the
//! offload core never sees them. RCVLIST and WINUPDATE belong to the receive fast
//! path ([`crate::rcv`], in the RTL), SENDLIST to the send fast path ([`crate::snd`],
//! whose core is in the RTL (`hdl::snd_core`) but not yet behind the engine's command
//! path: the engine answers it, like 0x0C-0x0F, with ERROR (`BAD_OPCODE`)).
//!
//! ### Receive ring (slow path, A2, M10)
//! The host posts buffers with RXBUF; the engine keeps up to [`RX_RING_SLOTS`] of them
//! in a FIFO and uses them in the order posted. Every frame that leaves the engine top
//! (misses, frames that are not TCP, released held frames, and today also hits: the
//! fast-path placement is not built yet) is written from byte 0 of the next buffer, at
//! most [`RX_BUF_BYTES`] bytes, and announced with an RX_FRAME event once the write
//! has completed. A frame that finds no buffer is dropped and counted (`ring_drops`).
//!
//! ### Block list (HANDOUT1)
//! The inverted tree (connections share Paths, Paths share Neighbors) is sent
//! depth first: a Neighbor block, then each of its Paths followed by that Path's TCP
//! blocks. A block is new (entry header + the object's CONST, CACHED and DELEGATED
//! words, [`Neighbor::WORDS`] / [`Path::WORDS`]) or, with `reuse`, refers to an object the
//! engine already holds (entry header only). A TCP block is the entry header + the TCP
//! CONST and CACHED words ([`TCP_HANDOUT1_WORDS`]); its connection belongs to the most
//! recent Path block, which belongs to the most recent Neighbor block (a reused Path
//! keeps its own Neighbor). HANDOUT1 allocates every new object, inserts each
//! connection's flow key in the connection table in the *held* state (frames for it
//! are held, not given to the host) and answers INTERLOCK; HANDOUT2 then carries each
//! connection's DELEGATED state and starts its fast path.
//!
//! ## Responses and events (engine → host)
//! Word 0: `[7:0]` type ([`EventType`]; a response is `0x80 | opcode`), `[63:32]` the
//! command's tag (0 for unsolicited events), other bits 0. Then result entries, then a
//! **trailer** word: `[7:0]` command status ([`CmdStatus`]), `[31:16]` number of
//! command entries consumed, other bits 0.
//!
//! A result entry is one word: `[3:0]` kind, `[15:8]` entry status ([`EntryStatus`]),
//! `[31:16]` engine handle, `[63:32]` host context.
//!
//! | type | response to | body |
//! |---|---|---|
//! | 0x81 | CAPS | [`Caps`] (2 words) |
//! | 0x82 | HANDOUT1 (INTERLOCK) | one result per block, in order (handle = the engine's handle of the new or reused object) |
//! | 0x83 | HANDOUT2 | one result per entry |
//! | 0x84 | FLUSH | per entry: result; if OK the TCP DELEGATED words follow. A Path whose last connection left is freed: result (Path) + its DELEGATED word; a Neighbor whose last Path left: result (Neighbor) |
//! | 0x85 | UPDATE | one result |
//! | 0x86 | CLOSE | as FLUSH |
//! | 0x87 | STATS | the engine's counters, one word each ([`STAT_NAMES`]) |
//! | 0x88 | RXBUF | none; the trailer's `consumed` = buffers posted. `RING_FULL` when the ring filled up (later entries are not posted) |
//! | 0x89 | RCVLIST | one result per list (`UNKNOWN_HANDLE`: not an offloaded connection with that host context; `NO_RESOURCES`: its entries do not fit in what is left of `rcv.sg_entries`) |
//! | 0x8A | WINUPDATE | one result per entry |
//! | 0x8B | SENDLIST | one result per list (`UNKNOWN_HANDLE`, `NO_RESOURCES` as for RCVLIST, with `snd.sg_entries`) |
//! | 0xC4 | unsolicited SEND_DONE (tag 0) | a send list completed ([`SendDone`], 3 words: connection, tag and bytes acknowledged, flag flushed and bytes sent); trailer OK or `DMA_ERROR` |
//! | 0xC2 | unsolicited FRAME_DATA (tag 0) | as RX_FRAME: an offloaded connection's in-order frame whose payload the engine accepted with no receive list for it (the application takes it from the ring buffer) |
//! | 0xC3 | unsolicited RCV_DONE (tag 0) | a receive list completed ([`RcvDone`], 3 words: connection, tag and bytes placed, flags short / push / flushed); trailer OK or `DMA_ERROR` |
//! | 0xC1 | unsolicited RX_FRAME (tag 0) | two words: the buffer's address, then the frame's status word ([`RxStatus`]); trailer OK, or `DMA_ERROR` (the buffer holds no valid frame); `consumed` 0 |
//! | 0xFF | (any) ERROR | none: the header could not be accepted (bad opcode, reserved bits, a body where none belongs); the trailer says why |
//! | 0xC0 | unsolicited UPLOAD_REQUEST (tag 0) | one entry word: `[3:0]` = 3 (TCP), `[15:8]` reason ([`UploadReason`]), `[31:16]` handle, `[63:32]` host context; trailer OK |
//!
//! Unsolicited events are sent between responses, never inside one.
//!
//! A command whose body is malformed (a `tlast` before `count` entries were read, an
//! entry header with a bad kind or reserved bits) is answered with its own response
//! type: the results of the entries completed before the fault (those entries stay in
//! effect, nothing else is touched), then the trailer with the error status. Words
//! after the fault up to `tlast` are discarded.
//!
//! # Engine resources (what the model and the RTL share)
//! - Handles are allocated from a free list: a freed handle goes to the tail of a FIFO;
//!   allocation takes the FIFO's head if it is not empty, else the lowest handle never
//!   used. Connections, Paths and Neighbors each have their own.
//! - The connection table: [`TABLE_BANKS`] banks of `connections / 4` buckets
//!   ([`TABLE_WAYS`] ways each, so twice as many slots as connections). The key
//!   ([`FlowKey`]) is hashed with one H3 hash per bank ([`h3_hash`]). An insert takes the
//!   first free way of bank 0's bucket, else the first free way of bank 1's, else it
//!   fails (`TABLE_FULL`, counted in `insert_failures`). A key already present is
//!   `DUPLICATE`.

use std::fmt;

/// Bits per protocol word.
pub const WORD_BITS: usize = 64;
/// Opcodes `DATA_PATH_OPCODES..DATA_PATH_OPCODES + 8` are data-path commands.
pub const DATA_PATH_OPCODES: u8 = 0x08;
/// Protocol version reported by CAPS.
pub const PROTOCOL_VERSION: u16 = 1;
/// Connection-table banks (one bucket choice per bank).
pub const TABLE_BANKS: usize = 2;
/// Ways per bucket.
pub const TABLE_WAYS: usize = 4;

/// Errors from decoding words that do not form a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty message")]
    Empty,
    #[error("message ends at word {at} but more words were expected")]
    Truncated { at: usize },
    #[error("{extra} word(s) after the end of the message body")]
    TrailingWords { extra: usize },
    #[error("unknown opcode 0x{0:02x}")]
    BadOpcode(u8),
    #[error("unknown event type 0x{0:02x}")]
    BadEventType(u8),
    #[error("reserved bits set in word {at}: 0x{word:016x}")]
    ReservedBits { at: usize, word: u64 },
    #[error("entry {index}: unknown kind {kind}")]
    BadKind { index: usize, kind: u8 },
    #[error("entry {index}: kind {kind:?} not allowed here")]
    WrongKind { index: usize, kind: Kind },
    #[error("count {count} is not allowed for opcode {opcode:?}")]
    BadCount { opcode: Opcode, count: u16 },
    #[error("unknown status code 0x{0:02x}")]
    BadStatus(u8),
    #[error(
        "entry {index}: buffer address 0x{addr:x} is not 8-byte aligned or the buffer wraps past the end of the address space"
    )]
    Misaligned { index: usize, addr: u64 },
    #[error("entry {index}: bad receive list: {reason}")]
    BadList { index: usize, reason: &'static str },
}

/// Command opcodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    Caps = 0x01,
    Handout1 = 0x02,
    Handout2 = 0x03,
    Flush = 0x04,
    Update = 0x05,
    Close = 0x06,
    Stats = 0x07,
    /// Post receive-ring buffers (handled by the receive path, `hdl::rx_path`).
    RxBuf = 0x08,
    /// Post receive lists (scatter-gather lists of host buffers) for connections
    /// (fast-path receive, A4, I5; see [`crate::rcv`]).
    RcvList = 0x09,
    /// Tell the engine how many indicated bytes the application consumed (A8).
    WinUpdate = 0x0A,
    /// Post send lists (scatter-gather lists of data to send) for connections
    /// (fast-path send, A5; see [`crate::snd`]).
    SendList = 0x0B,
}

impl Opcode {
    pub const ALL: [Opcode; 11] = [
        Opcode::Caps,
        Opcode::Handout1,
        Opcode::Handout2,
        Opcode::Flush,
        Opcode::Update,
        Opcode::Close,
        Opcode::Stats,
        Opcode::RxBuf,
        Opcode::RcvList,
        Opcode::WinUpdate,
        Opcode::SendList,
    ];

    /// Opcodes 0x08-0x0F belong to the data path: the receive path takes the whole
    /// command (and answers it), not the offload core.
    pub fn is_data_path(op: u8) -> bool {
        op & 0xF8 == DATA_PATH_OPCODES
    }

    pub fn from_u8(v: u8) -> Option<Opcode> {
        Self::ALL.into_iter().find(|o| *o as u8 == v)
    }
}

/// Response and event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventType {
    Caps = 0x81,
    Interlock = 0x82,
    HandoutDone = 0x83,
    Flushed = 0x84,
    Updated = 0x85,
    Closed = 0x86,
    Stats = 0x87,
    RxBufPosted = 0x88,
    RcvListPosted = 0x89,
    WinUpdated = 0x8A,
    SendListPosted = 0x8B,
    /// Unsolicited: the engine asks the host to upload (flush) a connection.
    UploadRequest = 0xC0,
    /// Unsolicited: a frame was written into a receive-ring buffer (slow path).
    RxFrame = 0xC1,
    /// Unsolicited: an offloaded connection's in-order frame was written into a
    /// receive-ring buffer and its payload accepted (FRAME_DATA, A4).
    FrameData = 0xC2,
    /// Unsolicited: a receive list completed (full, short, or returned by a flush).
    RcvDone = 0xC3,
    /// Unsolicited: a send list completed (all its data acknowledged, or returned by a
    /// flush with its residual).
    SendDone = 0xC4,
    Error = 0xFF,
}

impl EventType {
    pub const ALL: [EventType; 17] = [
        EventType::Caps,
        EventType::Interlock,
        EventType::HandoutDone,
        EventType::Flushed,
        EventType::Updated,
        EventType::Closed,
        EventType::Stats,
        EventType::RxBufPosted,
        EventType::RcvListPosted,
        EventType::WinUpdated,
        EventType::UploadRequest,
        EventType::RxFrame,
        EventType::FrameData,
        EventType::RcvDone,
        EventType::SendListPosted,
        EventType::SendDone,
        EventType::Error,
    ];

    pub fn from_u8(v: u8) -> Option<EventType> {
        Self::ALL.into_iter().find(|o| *o as u8 == v)
    }

    /// The response type of a command.
    pub fn response_to(op: Opcode) -> EventType {
        EventType::from_u8(0x80 | op as u8).expect("every opcode has a response type")
    }
}

/// State object kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    Neighbor = 1,
    Path = 2,
    Tcp = 3,
}

impl Kind {
    pub fn from_u8(v: u8) -> Option<Kind> {
        match v {
            1 => Some(Kind::Neighbor),
            2 => Some(Kind::Path),
            3 => Some(Kind::Tcp),
            _ => None,
        }
    }
}

/// Status of a whole command (trailer word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CmdStatus {
    Ok = 0,
    /// `tlast` came before `count` entries were read.
    Truncated = 1,
    /// An entry header has an unknown kind, a kind not allowed here, or reserved bits.
    BadEntry = 2,
    /// Unknown opcode.
    BadOpcode = 3,
    /// Reserved header bits set, or a count not allowed for the opcode.
    BadHeader = 4,
    /// Words after the last entry and before `tlast`.
    TrailingWords = 5,
    /// RXBUF: the receive ring has no free slot; entries before it were posted.
    RingFull = 6,
    /// RX_FRAME: the DMA write of the frame failed (SLVERR or DECERR); the buffer
    /// holds no valid frame and is the host's again.
    DmaError = 7,
}

impl CmdStatus {
    pub fn from_u8(v: u8) -> Option<CmdStatus> {
        use CmdStatus::*;
        [
            Ok,
            Truncated,
            BadEntry,
            BadOpcode,
            BadHeader,
            TrailingWords,
            RingFull,
            DmaError,
        ]
        .into_iter()
        .find(|s| *s as u8 == v)
    }
}

/// Status of one result entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EntryStatus {
    Ok = 0,
    /// No slot for the key in either bucket (counted in `insert_failures`).
    TableFull = 1,
    /// No free connection, Path or Neighbor entry.
    NoResources = 2,
    /// The flow key is already in the table (double handout).
    Duplicate = 3,
    /// The handle does not name a live object of that kind, or the host context differs.
    UnknownHandle = 4,
    /// HANDOUT2 for a connection that is not waiting for it.
    NotPending = 5,
    /// The block's parent (Path or Neighbor) was refused.
    ParentRefused = 6,
    /// A Path or TCP block with no parent block before it in the list.
    NoParent = 7,
    /// FLUSH of a Path or Neighbor that connections or Paths still use.
    InUse = 8,
}

impl EntryStatus {
    pub fn from_u8(v: u8) -> Option<EntryStatus> {
        use EntryStatus::*;
        [
            Ok,
            TableFull,
            NoResources,
            Duplicate,
            UnknownHandle,
            NotPending,
            ParentRefused,
            NoParent,
            InUse,
        ]
        .into_iter()
        .find(|s| *s as u8 == v)
    }
}

/// Ownership class of a state variable (M1, B1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Never changes while offloaded; not returned on upload.
    Const,
    /// Owned by the host; pushed to the engine on change (UPDATE).
    Cached,
    /// Owned by the engine while offloaded; returned on flush.
    Delegated,
}

/// One field of a state object: its word (from the first state word), bits, class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateField {
    pub name: &'static str,
    pub class: Class,
    pub word: usize,
    pub lo: usize,
    pub width: usize,
}

impl StateField {
    /// The field's value in a word slice (`words[self.word]`).
    pub fn get(&self, words: &[u64]) -> u64 {
        let w = words.get(self.word).copied().unwrap_or(0);
        (w >> self.lo) & mask(self.width)
    }

    fn put(&self, words: &mut [u64], value: u64) {
        let m = mask(self.width) << self.lo;
        words[self.word] = (words[self.word] & !m) | ((value << self.lo) & m);
    }
}

fn mask(width: usize) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// Defines a state object: a struct of named fields, its field table, and packing by
/// class. Words are ordered CONST, then CACHED, then DELEGATED.
macro_rules! state_object {
    (
        $(#[$meta:meta])*
        $name:ident {
            words: [$nconst:expr, $ncached:expr, $ndeleg:expr],
            $( $(#[$fmeta:meta])* $field:ident : $class:ident, $word:expr, $lo:expr, $width:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: u64, )*
        }

        impl $name {
            /// Field table (one source of truth for the RTL and the codecs).
            pub const FIELDS: &'static [StateField] = &[
                $( StateField {
                    name: stringify!($field),
                    class: Class::$class,
                    word: $word,
                    lo: $lo,
                    width: $width,
                }, )*
            ];
            /// Words of each class: CONST, CACHED, DELEGATED.
            pub const CLASS_WORDS: [usize; 3] = [$nconst, $ncached, $ndeleg];
            /// All state words.
            pub const WORDS: usize = $nconst + $ncached + $ndeleg;

            /// First word and number of words of a class.
            pub const fn class_range(class: Class) -> (usize, usize) {
                match class {
                    Class::Const => (0, $nconst),
                    Class::Cached => ($nconst, $ncached),
                    Class::Delegated => ($nconst + $ncached, $ndeleg),
                }
            }

            /// Look a field up by name.
            pub fn field(name: &str) -> Option<StateField> {
                Self::FIELDS.iter().copied().find(|f| f.name == name)
            }

            /// All state words.
            pub fn to_words(&self) -> Vec<u64> {
                let mut w = vec![0u64; Self::WORDS];
                let mut i = 0;
                $( Self::FIELDS[i].put(&mut w, self.$field); i += 1; )*
                let _ = i;
                w
            }

            /// The words of one class.
            pub fn class_words(&self, class: Class) -> Vec<u64> {
                let (start, n) = Self::class_range(class);
                self.to_words()[start..start + n].to_vec()
            }

            /// Overwrite the fields of one class from its words (`words.len()` must be
            /// the class's word count; bits outside every field are ignored).
            pub fn set_class_words(&mut self, class: Class, words: &[u64]) {
                let (start, n) = Self::class_range(class);
                let mut all = self.to_words();
                for (k, w) in words.iter().take(n).enumerate() {
                    all[start + k] = *w;
                }
                let mut i = 0;
                $(
                    if Self::FIELDS[i].class == class {
                        self.$field = Self::FIELDS[i].get(&all);
                    }
                    i += 1;
                )*
                let _ = i;
            }

            /// Build from all state words.
            pub fn from_words(words: &[u64]) -> Self {
                let mut s = Self::default();
                for class in [Class::Const, Class::Cached, Class::Delegated] {
                    let (start, n) = Self::class_range(class);
                    if start + n <= words.len() {
                        s.set_class_words(class, &words[start..start + n]);
                    }
                }
                s
            }

            /// Clear bits that do not fit their fields.
            pub fn normalized(&self) -> Self {
                Self::from_words(&self.to_words())
            }
        }
    };
}

state_object! {
    /// Neighbor (framing layer) state: next hop and VLAN (M2, M9).
    Neighbor {
        words: [1, 2, 0],
        /// 802.1Q VLAN id (part of the flow key).
        vlan_id: Const, 0, 0, 12;
        /// 802.1Q priority.
        vlan_pcp: Const, 0, 12, 3;
        /// Frames carry an 802.1Q tag.
        vlan_present: Const, 0, 15, 1;
        /// Next hop's MAC address, as a 48-bit number whose bits `[47:40]` are the
        /// first byte on the wire.
        dst_mac: Cached, 1, 0, 48;
        /// Our MAC address on this interface.
        src_mac: Cached, 2, 0, 48;
    }
}

state_object! {
    /// Path (network layer) state: addresses, path MTU, IP ID (M2, M7).
    Path {
        words: [5, 1, 1],
        /// IPv6 (else IPv4, address in the low 32 bits of `*_lo`, upper bits 0).
        ipv6: Const, 0, 0, 1;
        local_ip_hi: Const, 1, 0, 64;
        local_ip_lo: Const, 2, 0, 64;
        remote_ip_hi: Const, 3, 0, 64;
        remote_ip_lo: Const, 4, 0, 64;
        path_mtu: Cached, 5, 0, 16;
        /// TTL / hop limit.
        ttl: Cached, 5, 16, 8;
        /// TOS / traffic class.
        tos: Cached, 5, 24, 8;
        /// IPv6 flow label.
        flow_label: Cached, 5, 32, 20;
        /// IP ID start for this path (M7).
        ip_id_start: Delegated, 6, 0, 16;
        /// IP ID counter (M7: `cur = (start + counter mod 32K) mod 64K`).
        ip_id_counter: Delegated, 6, 16, 15;
    }
}

state_object! {
    /// TCP connection state (transport layer), variables as listed in the seeds.
    Tcp {
        words: [1, 3, 10],
        local_port: Const, 0, 0, 16;
        remote_port: Const, 0, 16, 16;
        snd_wscale: Const, 0, 32, 4;
        rcv_wscale: Const, 0, 36, 4;
        remote_mss: Const, 0, 40, 16;
        wscale_ok: Const, 0, 56, 1;
        sack_ok: Const, 0, 57, 1;
        timestamps_ok: Const, 0, 58, 1;
        eff_mss: Cached, 1, 0, 16;
        nagle: Cached, 1, 16, 1;
        keepalive: Cached, 1, 17, 1;
        ka_max_probes: Cached, 1, 24, 8;
        initial_rcv_wnd: Cached, 1, 32, 32;
        ka_interval_ms: Cached, 2, 0, 32;
        ka_time_ms: Cached, 2, 32, 32;
        indicate_bytes: Cached, 3, 0, 32;
        /// RFC 793 state ([`TcpState`]).
        tcp_state: Delegated, 4, 0, 4;
        flags: Delegated, 4, 8, 8;
        rcv_nxt: Delegated, 4, 32, 32;
        rcv_wnd: Delegated, 5, 0, 32;
        snd_una: Delegated, 5, 32, 32;
        snd_nxt: Delegated, 6, 0, 32;
        snd_wnd: Delegated, 6, 32, 32;
        snd_wl1: Delegated, 7, 0, 32;
        snd_wl2: Delegated, 7, 32, 32;
        snd_max: Delegated, 8, 0, 32;
        max_win: Delegated, 8, 32, 32;
        cwnd: Delegated, 9, 0, 32;
        ssthresh: Delegated, 9, 32, 32;
        srtt: Delegated, 10, 0, 32;
        rttvar: Delegated, 10, 32, 32;
        ts_recent: Delegated, 11, 0, 32;
        ts_recent_age: Delegated, 11, 32, 32;
        dup_acks: Delegated, 12, 0, 8;
        ka_probe_count: Delegated, 12, 8, 8;
        retransmit_count: Delegated, 12, 16, 8;
        ka_timeout_delta: Delegated, 12, 32, 32;
        rto_delta: Delegated, 13, 0, 32;
    }
}

/// Words of a TCP block in HANDOUT1 after its entry header (CONST + CACHED).
pub const TCP_HANDOUT1_WORDS: usize = Tcp::CLASS_WORDS[0] + Tcp::CLASS_WORDS[1];
/// Words of a HANDOUT2 entry after its entry header (TCP DELEGATED).
pub const TCP_DELEGATED_WORDS: usize = Tcp::CLASS_WORDS[2];
/// Words of a Path's DELEGATED state (returned when a Path is freed).
pub const PATH_DELEGATED_WORDS: usize = Path::CLASS_WORDS[2];

/// RFC 793 connection states (the `tcp_state` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TcpState {
    Closed = 0,
    Listen = 1,
    SynSent = 2,
    SynReceived = 3,
    Established = 4,
    FinWait1 = 5,
    FinWait2 = 6,
    CloseWait = 7,
    Closing = 8,
    LastAck = 9,
    TimeWait = 10,
}

impl Path {
    /// Local address (IPv4 in the low 32 bits when `ipv6` is 0).
    pub fn local_ip(&self) -> u128 {
        ((self.local_ip_hi as u128) << 64) | self.local_ip_lo as u128
    }

    pub fn remote_ip(&self) -> u128 {
        ((self.remote_ip_hi as u128) << 64) | self.remote_ip_lo as u128
    }

    /// IPv4 path (addresses in host order).
    pub fn v4(local: u32, remote: u32) -> Path {
        Path {
            local_ip_lo: local as u64,
            remote_ip_lo: remote as u64,
            path_mtu: 1500,
            ttl: 64,
            ..Path::default()
        }
    }

    /// IPv6 path.
    pub fn v6(local: u128, remote: u128) -> Path {
        Path {
            ipv6: 1,
            local_ip_hi: (local >> 64) as u64,
            local_ip_lo: local as u64,
            remote_ip_hi: (remote >> 64) as u64,
            remote_ip_lo: remote as u64,
            path_mtu: 1500,
            ttl: 64,
            ..Path::default()
        }
    }

    /// Current IP ID per M7: `(start + counter mod 32K) mod 64K`.
    pub fn current_ip_id(&self) -> u16 {
        ((self.ip_id_start + (self.ip_id_counter % 32768)) % 65536) as u16
    }
}

/// The connection table's key: the flow tuple as seen from the engine, plus VLAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlowKey {
    pub ipv6: bool,
    pub vlan_present: bool,
    pub vlan_id: u16,
    /// IPv4 addresses in the low 32 bits, upper bits 0.
    pub local_ip: u128,
    pub remote_ip: u128,
    pub local_port: u16,
    pub remote_port: u16,
}

/// Bits of a packed [`FlowKey`].
pub const FLOW_KEY_BITS: usize = 302;

impl FlowKey {
    /// The key of a connection from its Neighbor, Path and TCP objects.
    pub fn of(nbr: &Neighbor, path: &Path, tcp: &Tcp) -> FlowKey {
        let v6 = path.ipv6 != 0;
        let m = if v6 { u128::MAX } else { u32::MAX as u128 };
        FlowKey {
            ipv6: v6,
            vlan_present: nbr.vlan_present != 0,
            vlan_id: if nbr.vlan_present != 0 {
                nbr.vlan_id as u16
            } else {
                0
            },
            local_ip: path.local_ip() & m,
            remote_ip: path.remote_ip() & m,
            local_port: tcp.local_port as u16,
            remote_port: tcp.remote_port as u16,
        }
    }

    /// Packed bits, LSB first: `[127:0]` local IP, `[255:128]` remote IP, `[271:256]`
    /// local port, `[287:272]` remote port, `[299:288]` VLAN id, `[300]` VLAN present,
    /// `[301]` IPv6. Returned as five words (bit `i` in word `i / 64`).
    pub fn packed(&self) -> [u64; 5] {
        let mut w = [0u64; 5];
        w[0] = self.local_ip as u64;
        w[1] = (self.local_ip >> 64) as u64;
        w[2] = self.remote_ip as u64;
        w[3] = (self.remote_ip >> 64) as u64;
        w[4] = self.local_port as u64
            | (self.remote_port as u64) << 16
            | ((self.vlan_id as u64) & 0xFFF) << 32
            | (self.vlan_present as u64) << 44
            | (self.ipv6 as u64) << 45;
        w
    }

    /// Bit `i` of the packed key.
    pub fn bit(&self, i: usize) -> bool {
        let w = self.packed();
        i < FLOW_KEY_BITS && (w[i / 64] >> (i % 64)) & 1 == 1
    }
}

/// Row `i` of bank `bank`'s H3 matrix: hash bit `j` is the XOR of the key bits `i`
/// whose row has bit `j` set. The rows come from SplitMix64 seeded per bank, so the
/// RTL generator and the model derive the same matrix from this function.
pub fn h3_row(bank: usize, i: usize) -> u32 {
    let mut z = (0x9E37_79B9_7F4A_7C15u64)
        .wrapping_mul((bank as u64 + 1) * 0x1_0000 + i as u64 + 1)
        .wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    z as u32
}

/// The H3 hash of a key for one bank, `bits` wide.
pub fn h3_hash(bank: usize, key: &FlowKey, bits: u32) -> u32 {
    let w = key.packed();
    let mut h = 0u32;
    for i in 0..FLOW_KEY_BITS {
        if (w[i / 64] >> (i % 64)) & 1 == 1 {
            h ^= h3_row(bank, i);
        }
    }
    if bits >= 32 {
        h
    } else {
        h & ((1u32 << bits) - 1)
    }
}

/// Entry header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryHeader {
    pub kind: Kind,
    pub reuse: bool,
    pub handle: u16,
    pub host_ctx: u32,
}

impl EntryHeader {
    pub fn new(kind: Kind, handle: u16, host_ctx: u32) -> Self {
        EntryHeader {
            kind,
            reuse: false,
            handle,
            host_ctx,
        }
    }

    pub fn encode(&self) -> u64 {
        self.kind as u64
            | (self.reuse as u64) << 4
            | (self.handle as u64) << 16
            | (self.host_ctx as u64) << 32
    }

    /// Decode; `index` names the entry in errors.
    pub fn decode(w: u64, index: usize) -> Result<EntryHeader, DecodeError> {
        let k = (w & 0xF) as u8;
        let kind = Kind::from_u8(k).ok_or(DecodeError::BadKind { index, kind: k })?;
        if (w >> 5) & 0x7FF != 0 {
            return Err(DecodeError::ReservedBits { at: index, word: w });
        }
        Ok(EntryHeader {
            kind,
            reuse: (w >> 4) & 1 == 1,
            handle: (w >> 16) as u16,
            host_ctx: (w >> 32) as u32,
        })
    }
}

/// A reference to a Neighbor or Path in a block list: a new object or one the engine holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjRef<T> {
    New(T),
    Reuse(u16),
}

/// One block of a HANDOUT1 block list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Neighbor {
        host_ctx: u32,
        obj: ObjRef<Neighbor>,
    },
    Path {
        host_ctx: u32,
        obj: ObjRef<Path>,
    },
    /// A connection: its CONST and CACHED state (DELEGATED comes with HANDOUT2).
    Tcp {
        host_ctx: u32,
        tcp: Tcp,
    },
}

impl Block {
    pub fn kind(&self) -> Kind {
        match self {
            Block::Neighbor { .. } => Kind::Neighbor,
            Block::Path { .. } => Kind::Path,
            Block::Tcp { .. } => Kind::Tcp,
        }
    }

    pub fn host_ctx(&self) -> u32 {
        match self {
            Block::Neighbor { host_ctx, .. }
            | Block::Path { host_ctx, .. }
            | Block::Tcp { host_ctx, .. } => *host_ctx,
        }
    }

    fn encode_into(&self, out: &mut Vec<u64>) {
        let (kind, reuse, handle, words) = match self {
            Block::Neighbor { obj, .. } => match obj {
                ObjRef::New(n) => (Kind::Neighbor, false, 0, n.to_words()),
                ObjRef::Reuse(h) => (Kind::Neighbor, true, *h, vec![]),
            },
            Block::Path { obj, .. } => match obj {
                ObjRef::New(p) => (Kind::Path, false, 0, p.to_words()),
                ObjRef::Reuse(h) => (Kind::Path, true, *h, vec![]),
            },
            Block::Tcp { tcp, .. } => {
                let mut w = tcp.class_words(Class::Const);
                w.extend(tcp.class_words(Class::Cached));
                (Kind::Tcp, false, 0, w)
            }
        };
        let h = EntryHeader {
            kind,
            reuse,
            handle,
            host_ctx: self.host_ctx(),
        };
        out.push(h.encode());
        out.extend(words);
    }

    /// Words after the entry header for a block with this header.
    pub fn body_words(h: &EntryHeader) -> usize {
        match (h.kind, h.reuse) {
            (_, true) => 0,
            (Kind::Neighbor, false) => Neighbor::WORDS,
            (Kind::Path, false) => Path::WORDS,
            (Kind::Tcp, false) => TCP_HANDOUT1_WORDS,
        }
    }

    /// Decode one block from its header and body words.
    pub fn from_parts(h: &EntryHeader, body: &[u64]) -> Block {
        match (h.kind, h.reuse) {
            (Kind::Neighbor, true) => Block::Neighbor {
                host_ctx: h.host_ctx,
                obj: ObjRef::Reuse(h.handle),
            },
            (Kind::Path, true) => Block::Path {
                host_ctx: h.host_ctx,
                obj: ObjRef::Reuse(h.handle),
            },
            (Kind::Neighbor, false) => Block::Neighbor {
                host_ctx: h.host_ctx,
                obj: ObjRef::New(Neighbor::from_words(body)),
            },
            (Kind::Path, false) => Block::Path {
                host_ctx: h.host_ctx,
                obj: ObjRef::New(Path::from_words(body)),
            },
            (Kind::Tcp, _) => {
                let mut tcp = Tcp::default();
                let (_, nc) = Tcp::class_range(Class::Const);
                // A short body (only possible from a direct call) leaves fields 0.
                tcp.set_class_words(Class::Const, body.get(..nc).unwrap_or(body));
                tcp.set_class_words(Class::Cached, body.get(nc..).unwrap_or(&[]));
                Block::Tcp {
                    host_ctx: h.host_ctx,
                    tcp,
                }
            }
        }
    }
}

/// An object named by its handles (FLUSH, CLOSE): a connection, or a Path or
/// Neighbor to free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnRef {
    pub kind: Kind,
    pub handle: u16,
    pub host_ctx: u32,
}

/// A HANDOUT2 entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handout2Entry {
    pub handle: u16,
    pub host_ctx: u32,
    /// Only the DELEGATED fields are sent.
    pub tcp: Tcp,
}

/// A cached-state update: one object, its new CACHED words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedUpdate {
    Neighbor {
        handle: u16,
        host_ctx: u32,
        nbr: Neighbor,
    },
    Path {
        handle: u16,
        host_ctx: u32,
        path: Path,
    },
    Tcp {
        handle: u16,
        host_ctx: u32,
        tcp: Tcp,
    },
}

/// Host → engine commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Caps {
        tag: u32,
    },
    Handout1 {
        tag: u32,
        blocks: Vec<Block>,
    },
    Handout2 {
        tag: u32,
        entries: Vec<Handout2Entry>,
    },
    Flush {
        tag: u32,
        conns: Vec<ConnRef>,
    },
    Update {
        tag: u32,
        update: CachedUpdate,
    },
    Close {
        tag: u32,
        conns: Vec<ConnRef>,
    },
    Stats {
        tag: u32,
    },
    /// Post receive-ring buffers (their host addresses).
    RxBuf {
        tag: u32,
        addrs: Vec<u64>,
    },
    /// Post receive lists.
    RcvList {
        tag: u32,
        lists: Vec<RcvList>,
    },
    /// Window updates.
    WinUpdate {
        tag: u32,
        updates: Vec<WinUpdate>,
    },
    /// Post send lists.
    SendList {
        tag: u32,
        lists: Vec<SendList>,
    },
}

/// A send list for one connection (SENDMDL, A5): the data to send, in stream order,
/// as scatter-gather entries of host memory; the host's tag for it (echoed in its
/// [`SendDone`]); `push`: the segment carrying the list's last byte has PSH.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SendList {
    pub handle: u16,
    pub host_ctx: u32,
    pub list_tag: u32,
    pub push: bool,
    pub sg: Vec<SgEntry>,
}

impl SendList {
    /// Bytes the list holds.
    pub fn len(&self) -> u64 {
        self.sg.iter().map(|e| e.len as u64).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.sg.is_empty()
    }
}

/// A send list's completion ([`Event::SendDone`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SendDone {
    pub handle: u16,
    pub host_ctx: u32,
    pub list_tag: u32,
    /// Bytes of the list the peer acknowledged, from its start. Equal to the list's
    /// length unless `flushed`; then the rest is the residual, the host's to send.
    pub acked: u32,
    /// Bytes of the list sent at least once (`>= acked`).
    pub sent: u32,
    /// Returned by a FLUSH or CLOSE of its connection (A7).
    pub flushed: bool,
}

impl SendDone {
    /// Three body words, laid out as [`RcvDone`]'s: `[3:0]` = 3 (TCP), `[31:16]`
    /// handle, `[63:32]` host context; then `[31:0]` list tag, `[63:32]` bytes
    /// acknowledged; then bit 2 flushed, `[63:32]` bytes sent.
    pub fn encode(&self) -> [u64; 3] {
        [
            Kind::Tcp as u64 | (self.handle as u64) << 16 | (self.host_ctx as u64) << 32,
            self.list_tag as u64 | (self.acked as u64) << 32,
            (self.flushed as u64) << 2 | (self.sent as u64) << 32,
        ]
    }

    pub fn decode(w: &[u64; 3]) -> Result<SendDone, DecodeError> {
        if w[0] & 0xFFFF != Kind::Tcp as u64 {
            return Err(DecodeError::ReservedBits { at: 1, word: w[0] });
        }
        if w[2] & 0xFFFF_FFFB != 0 {
            return Err(DecodeError::ReservedBits { at: 3, word: w[2] });
        }
        Ok(SendDone {
            handle: (w[0] >> 16) as u16,
            host_ctx: (w[0] >> 32) as u32,
            list_tag: w[1] as u32,
            acked: (w[1] >> 32) as u32,
            sent: (w[2] >> 32) as u32,
            flushed: w[2] & 4 != 0,
        })
    }
}

/// One scatter-gather entry of a receive list: `len` bytes of host memory at `addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SgEntry {
    pub addr: u64,
    pub len: u32,
}

/// A receive list for one connection (RCVMDL, A4, I5): its scatter-gather entries in
/// stream order, and the host's tag for it (echoed in its [`RcvDone`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RcvList {
    pub handle: u16,
    pub host_ctx: u32,
    pub list_tag: u32,
    pub sg: Vec<SgEntry>,
}

impl RcvList {
    /// Bytes the list holds.
    pub fn len(&self) -> u64 {
        self.sg.iter().map(|e| e.len as u64).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.sg.is_empty()
    }
}

/// A window update (A8): the application consumed `bytes` more indicated bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WinUpdate {
    pub handle: u16,
    pub host_ctx: u32,
    pub bytes: u32,
}

/// A receive list's completion ([`Event::RcvDone`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RcvDone {
    pub handle: u16,
    pub host_ctx: u32,
    pub list_tag: u32,
    /// Bytes placed from the start of the list, in stream order, with no gap.
    pub bytes: u32,
    /// The list is not full (`bytes` < its length).
    pub short: bool,
    /// Completed short because an in-order segment carried PSH.
    pub push: bool,
    /// Returned by a FLUSH or CLOSE of its connection (the residual, A7).
    pub flushed: bool,
}

impl RcvDone {
    /// The two body words: `[3:0]` = 3 (TCP), `[31:16]` handle, `[63:32]` host
    /// context; then `[31:0]` list tag, `[63:32]` bytes. Flags go in a third word:
    /// bit 0 short, bit 1 push, bit 2 flushed.
    pub fn encode(&self) -> [u64; 3] {
        [
            Kind::Tcp as u64 | (self.handle as u64) << 16 | (self.host_ctx as u64) << 32,
            self.list_tag as u64 | (self.bytes as u64) << 32,
            self.short as u64 | (self.push as u64) << 1 | (self.flushed as u64) << 2,
        ]
    }

    pub fn decode(w: &[u64; 3]) -> Result<RcvDone, DecodeError> {
        if w[0] & 0xFFFF != Kind::Tcp as u64 {
            return Err(DecodeError::ReservedBits { at: 1, word: w[0] });
        }
        if w[2] & !7 != 0 {
            return Err(DecodeError::ReservedBits { at: 3, word: w[2] });
        }
        Ok(RcvDone {
            handle: (w[0] >> 16) as u16,
            host_ctx: (w[0] >> 32) as u32,
            list_tag: w[1] as u32,
            bytes: (w[1] >> 32) as u32,
            short: w[2] & 1 != 0,
            push: w[2] & 2 != 0,
            flushed: w[2] & 4 != 0,
        })
    }
}

/// SENDLIST: bit of the list word (`[48]`) asking for PSH on the list's last byte.
pub const SEND_LIST_PUSH: u64 = 1 << 48;

/// One RCVLIST / SENDLIST entry: entry header, list word (tag, entry count, `flags`),
/// then the (address, length) pairs.
fn encode_sg_list(
    out: &mut Vec<u64>,
    handle: u16,
    host_ctx: u32,
    tag: u32,
    flags: u64,
    sg: &[SgEntry],
) {
    out.push(EntryHeader::new(Kind::Tcp, handle, host_ctx).encode());
    out.push(tag as u64 | ((sg.len() as u64) & 0xFFFF) << 32 | flags);
    for e in sg {
        out.push(e.addr);
        out.push(e.len as u64);
    }
}

fn cmd_header(op: Opcode, count: usize, tag: u32) -> u64 {
    op as u64 | ((count as u64) & 0xFFFF) << 16 | (tag as u64) << 32
}

impl Command {
    pub fn tag(&self) -> u32 {
        match self {
            Command::Caps { tag }
            | Command::Handout1 { tag, .. }
            | Command::Handout2 { tag, .. }
            | Command::Flush { tag, .. }
            | Command::Update { tag, .. }
            | Command::Close { tag, .. }
            | Command::Stats { tag }
            | Command::RxBuf { tag, .. }
            | Command::RcvList { tag, .. }
            | Command::WinUpdate { tag, .. }
            | Command::SendList { tag, .. } => *tag,
        }
    }

    pub fn opcode(&self) -> Opcode {
        match self {
            Command::Caps { .. } => Opcode::Caps,
            Command::Handout1 { .. } => Opcode::Handout1,
            Command::Handout2 { .. } => Opcode::Handout2,
            Command::Flush { .. } => Opcode::Flush,
            Command::Update { .. } => Opcode::Update,
            Command::Close { .. } => Opcode::Close,
            Command::Stats { .. } => Opcode::Stats,
            Command::RxBuf { .. } => Opcode::RxBuf,
            Command::RcvList { .. } => Opcode::RcvList,
            Command::WinUpdate { .. } => Opcode::WinUpdate,
            Command::SendList { .. } => Opcode::SendList,
        }
    }

    /// The command's words (the last one carries `tlast`). Lists longer than 65,535
    /// entries do not fit the count field: split them.
    pub fn encode(&self) -> Vec<u64> {
        let tag = self.tag();
        let mut out = Vec::new();
        match self {
            Command::Caps { .. } | Command::Stats { .. } => {
                out.push(cmd_header(self.opcode(), 0, tag))
            }
            Command::Handout1 { blocks, .. } => {
                out.push(cmd_header(Opcode::Handout1, blocks.len(), tag));
                for b in blocks {
                    b.encode_into(&mut out);
                }
            }
            Command::Handout2 { entries, .. } => {
                out.push(cmd_header(Opcode::Handout2, entries.len(), tag));
                for e in entries {
                    out.push(EntryHeader::new(Kind::Tcp, e.handle, e.host_ctx).encode());
                    out.extend(e.tcp.class_words(Class::Delegated));
                }
            }
            Command::Flush { conns, .. } | Command::Close { conns, .. } => {
                out.push(cmd_header(self.opcode(), conns.len(), tag));
                for c in conns {
                    out.push(EntryHeader::new(c.kind, c.handle, c.host_ctx).encode());
                }
            }
            Command::RxBuf { addrs, .. } => {
                out.push(cmd_header(Opcode::RxBuf, addrs.len(), tag));
                out.extend(addrs);
            }
            Command::RcvList { lists, .. } => {
                out.push(cmd_header(Opcode::RcvList, lists.len(), tag));
                for l in lists {
                    encode_sg_list(&mut out, l.handle, l.host_ctx, l.list_tag, 0, &l.sg);
                }
            }
            Command::SendList { lists, .. } => {
                out.push(cmd_header(Opcode::SendList, lists.len(), tag));
                for l in lists {
                    let flags = if l.push { SEND_LIST_PUSH } else { 0 };
                    encode_sg_list(&mut out, l.handle, l.host_ctx, l.list_tag, flags, &l.sg);
                }
            }
            Command::WinUpdate { updates, .. } => {
                out.push(cmd_header(Opcode::WinUpdate, updates.len(), tag));
                for u in updates {
                    out.push(EntryHeader::new(Kind::Tcp, u.handle, u.host_ctx).encode());
                    out.push(u.bytes as u64);
                }
            }
            Command::Update { update, .. } => {
                out.push(cmd_header(Opcode::Update, 1, tag));
                let (kind, handle, host_ctx, words) = match update {
                    CachedUpdate::Neighbor {
                        handle,
                        host_ctx,
                        nbr,
                    } => (
                        Kind::Neighbor,
                        *handle,
                        *host_ctx,
                        nbr.class_words(Class::Cached),
                    ),
                    CachedUpdate::Path {
                        handle,
                        host_ctx,
                        path,
                    } => (
                        Kind::Path,
                        *handle,
                        *host_ctx,
                        path.class_words(Class::Cached),
                    ),
                    CachedUpdate::Tcp {
                        handle,
                        host_ctx,
                        tcp,
                    } => (
                        Kind::Tcp,
                        *handle,
                        *host_ctx,
                        tcp.class_words(Class::Cached),
                    ),
                };
                out.push(EntryHeader::new(kind, handle, host_ctx).encode());
                out.extend(words);
            }
        }
        out
    }

    /// Strict decode of one whole message (the words up to and including `tlast`).
    pub fn decode(words: &[u64]) -> Result<Command, DecodeError> {
        let mut r = CommandReader::new(words)?;
        let tag = r.tag;
        let cmd = match r.opcode {
            Opcode::Caps => Command::Caps { tag },
            Opcode::Stats => Command::Stats { tag },
            Opcode::Handout1 => {
                let mut blocks = Vec::new();
                while let Some(b) = r.next_block()? {
                    blocks.push(b);
                }
                Command::Handout1 { tag, blocks }
            }
            Opcode::Handout2 => {
                let mut entries = Vec::new();
                while let Some(e) = r.next_handout2()? {
                    entries.push(e);
                }
                Command::Handout2 { tag, entries }
            }
            Opcode::Flush | Opcode::Close => {
                let mut conns = Vec::new();
                while let Some(c) = r.next_conn()? {
                    conns.push(c);
                }
                if r.opcode == Opcode::Flush {
                    Command::Flush { tag, conns }
                } else {
                    Command::Close { tag, conns }
                }
            }
            Opcode::Update => {
                let u = r.next_update()?.ok_or(DecodeError::Truncated { at: 1 })?;
                Command::Update { tag, update: u }
            }
            Opcode::RxBuf => {
                let mut addrs = Vec::new();
                while let Some(a) = r.next_buffer()? {
                    addrs.push(a);
                }
                Command::RxBuf { tag, addrs }
            }
            Opcode::RcvList => {
                let mut lists = Vec::new();
                while let Some(l) = r.next_rcv_list()? {
                    lists.push(l);
                }
                Command::RcvList { tag, lists }
            }
            Opcode::WinUpdate => {
                let mut updates = Vec::new();
                while let Some(u) = r.next_win_update()? {
                    updates.push(u);
                }
                Command::WinUpdate { tag, updates }
            }
            Opcode::SendList => {
                let mut lists = Vec::new();
                while let Some(l) = r.next_send_list()? {
                    lists.push(l);
                }
                Command::SendList { tag, lists }
            }
        };
        r.finish()?;
        Ok(cmd)
    }
}

/// Entry-by-entry reader of a command, as the engine processes it: entries decoded
/// before a fault stay valid. Used by [`Command::decode`] and by the engine model.
#[derive(Debug)]
pub struct CommandReader<'a> {
    words: &'a [u64],
    pos: usize,
    pub opcode: Opcode,
    pub tag: u32,
    pub count: u16,
    /// Entries read so far.
    pub consumed: u16,
}

impl<'a> CommandReader<'a> {
    /// Check the header. Errors here mean the command is answered with ERROR.
    pub fn new(words: &'a [u64]) -> Result<Self, DecodeError> {
        let h = *words.first().ok_or(DecodeError::Empty)?;
        let op = (h & 0xFF) as u8;
        let opcode = Opcode::from_u8(op).ok_or(DecodeError::BadOpcode(op))?;
        if (h >> 8) & 0xFF != 0 {
            return Err(DecodeError::ReservedBits { at: 0, word: h });
        }
        let count = (h >> 16) as u16;
        let count_ok = match opcode {
            Opcode::Caps | Opcode::Stats => count == 0,
            Opcode::Update => count == 1,
            _ => true,
        };
        if !count_ok {
            return Err(DecodeError::BadCount { opcode, count });
        }
        Ok(CommandReader {
            words,
            pos: 1,
            opcode,
            tag: (h >> 32) as u32,
            count,
            consumed: 0,
        })
    }

    fn entry_header(&mut self) -> Result<Option<EntryHeader>, DecodeError> {
        if self.consumed == self.count {
            return Ok(None);
        }
        let w = *self
            .words
            .get(self.pos)
            .ok_or(DecodeError::Truncated { at: self.pos })?;
        let h = EntryHeader::decode(w, self.consumed as usize)?;
        Ok(Some(h))
    }

    fn body(&self, n: usize) -> Result<&'a [u64], DecodeError> {
        let start = self.pos + 1;
        if start + n > self.words.len() {
            return Err(DecodeError::Truncated {
                at: self.words.len(),
            });
        }
        Ok(&self.words[start..start + n])
    }

    fn advance(&mut self, n: usize) {
        self.pos += 1 + n;
        self.consumed += 1;
    }

    fn expect_kind(&self, h: &EntryHeader, kind: Kind) -> Result<(), DecodeError> {
        if h.kind != kind || h.reuse {
            return Err(DecodeError::WrongKind {
                index: self.consumed as usize,
                kind: h.kind,
            });
        }
        Ok(())
    }

    /// Next HANDOUT1 block.
    pub fn next_block(&mut self) -> Result<Option<Block>, DecodeError> {
        let Some(h) = self.entry_header()? else {
            return Ok(None);
        };
        if h.reuse && h.kind == Kind::Tcp {
            return Err(DecodeError::WrongKind {
                index: self.consumed as usize,
                kind: h.kind,
            });
        }
        let n = Block::body_words(&h);
        let body = self.body(n)?;
        let b = Block::from_parts(&h, body);
        self.advance(n);
        Ok(Some(b))
    }

    /// Next HANDOUT2 entry.
    pub fn next_handout2(&mut self) -> Result<Option<Handout2Entry>, DecodeError> {
        let Some(h) = self.entry_header()? else {
            return Ok(None);
        };
        self.expect_kind(&h, Kind::Tcp)?;
        let body = self.body(TCP_DELEGATED_WORDS)?;
        let mut tcp = Tcp::default();
        tcp.set_class_words(Class::Delegated, body);
        self.advance(TCP_DELEGATED_WORDS);
        Ok(Some(Handout2Entry {
            handle: h.handle,
            host_ctx: h.host_ctx,
            tcp,
        }))
    }

    /// Next FLUSH / CLOSE entry (any kind, `reuse` clear).
    pub fn next_conn(&mut self) -> Result<Option<ConnRef>, DecodeError> {
        let Some(h) = self.entry_header()? else {
            return Ok(None);
        };
        self.expect_kind(&h, h.kind)?;
        self.advance(0);
        Ok(Some(ConnRef {
            kind: h.kind,
            handle: h.handle,
            host_ctx: h.host_ctx,
        }))
    }

    /// The UPDATE entry.
    pub fn next_update(&mut self) -> Result<Option<CachedUpdate>, DecodeError> {
        let Some(h) = self.entry_header()? else {
            return Ok(None);
        };
        if h.reuse {
            return Err(DecodeError::WrongKind {
                index: self.consumed as usize,
                kind: h.kind,
            });
        }
        let u = match h.kind {
            Kind::Neighbor => {
                let n = Neighbor::CLASS_WORDS[1];
                let mut nbr = Neighbor::default();
                nbr.set_class_words(Class::Cached, self.body(n)?);
                self.advance(n);
                CachedUpdate::Neighbor {
                    handle: h.handle,
                    host_ctx: h.host_ctx,
                    nbr,
                }
            }
            Kind::Path => {
                let n = Path::CLASS_WORDS[1];
                let mut path = Path::default();
                path.set_class_words(Class::Cached, self.body(n)?);
                self.advance(n);
                CachedUpdate::Path {
                    handle: h.handle,
                    host_ctx: h.host_ctx,
                    path,
                }
            }
            Kind::Tcp => {
                let n = Tcp::CLASS_WORDS[1];
                let mut tcp = Tcp::default();
                tcp.set_class_words(Class::Cached, self.body(n)?);
                self.advance(n);
                CachedUpdate::Tcp {
                    handle: h.handle,
                    host_ctx: h.host_ctx,
                    tcp,
                }
            }
        };
        Ok(Some(u))
    }

    /// Next RXBUF entry: a buffer address, 8-byte aligned, whose [`RX_BUF_BYTES`] bytes
    /// do not wrap past the end of the 64-bit address space.
    pub fn next_buffer(&mut self) -> Result<Option<u64>, DecodeError> {
        if self.consumed == self.count {
            return Ok(None);
        }
        let w = *self
            .words
            .get(self.pos)
            .ok_or(DecodeError::Truncated { at: self.pos })?;
        if w & 7 != 0 || w.checked_add(RX_BUF_BYTES as u64 - 1).is_none() {
            return Err(DecodeError::Misaligned {
                index: self.consumed as usize,
                addr: w,
            });
        }
        self.pos += 1;
        self.consumed += 1;
        Ok(Some(w))
    }

    /// Next RCVLIST entry: entry header (TCP, handle), a word with the list tag in
    /// `[31:0]` and the number of scatter-gather entries `n` in `[47:32]` (1 or more;
    /// `[63:48]` reserved), then `n` pairs of words: the address, and the length in
    /// `[31:0]` (1 or more; `[63:32]` reserved). An entry whose bytes would wrap past
    /// the end of the address space is refused. Faults: `BadList` (n = 0, length 0,
    /// wrap), `ReservedBits`, `Truncated`.
    pub fn next_rcv_list(&mut self) -> Result<Option<RcvList>, DecodeError> {
        Ok(self.next_sg_list(0)?.map(|(h, w, sg)| RcvList {
            handle: h.handle,
            host_ctx: h.host_ctx,
            list_tag: w as u32,
            sg,
        }))
    }

    /// Next SENDLIST entry: as a RCVLIST entry, with [`SEND_LIST_PUSH`] allowed in the
    /// list word.
    pub fn next_send_list(&mut self) -> Result<Option<SendList>, DecodeError> {
        Ok(self
            .next_sg_list(SEND_LIST_PUSH)?
            .map(|(h, w, sg)| SendList {
                handle: h.handle,
                host_ctx: h.host_ctx,
                list_tag: w as u32,
                push: w & SEND_LIST_PUSH != 0,
                sg,
            }))
    }

    /// A scatter-gather list entry: (entry header, list word, entries); `flags` are
    /// the bits of `[63:48]` allowed in the list word.
    fn next_sg_list(
        &mut self,
        flags: u64,
    ) -> Result<Option<(EntryHeader, u64, Vec<SgEntry>)>, DecodeError> {
        let Some(h) = self.entry_header()? else {
            return Ok(None);
        };
        self.expect_kind(&h, Kind::Tcp)?;
        let index = self.consumed as usize;
        let w = self.body(1)?[0];
        if (w & !flags) >> 48 != 0 {
            return Err(DecodeError::ReservedBits {
                at: self.pos + 1,
                word: w,
            });
        }
        let n = ((w >> 32) & 0xFFFF) as usize;
        if n == 0 {
            return Err(DecodeError::BadList {
                index,
                reason: "no scatter-gather entries",
            });
        }
        let body = self.body(1 + 2 * n)?;
        let mut sg = Vec::with_capacity(n);
        for (i, pair) in body[1..].chunks(2).enumerate() {
            let (addr, lw) = (pair[0], pair[1]);
            if lw >> 32 != 0 {
                return Err(DecodeError::ReservedBits {
                    at: self.pos + 3 + 2 * i,
                    word: lw,
                });
            }
            if lw == 0 {
                return Err(DecodeError::BadList {
                    index,
                    reason: "zero-length scatter-gather entry",
                });
            }
            if addr.checked_add(lw - 1).is_none() {
                return Err(DecodeError::BadList {
                    index,
                    reason: "scatter-gather entry wraps past the end of the address space",
                });
            }
            sg.push(SgEntry {
                addr,
                len: lw as u32,
            });
        }
        self.advance(1 + 2 * n);
        Ok(Some((h, w, sg)))
    }

    /// Next WINUPDATE entry: entry header (TCP, handle), a word with the bytes consumed
    /// in `[31:0]` (`[63:32]` reserved).
    pub fn next_win_update(&mut self) -> Result<Option<WinUpdate>, DecodeError> {
        let Some(h) = self.entry_header()? else {
            return Ok(None);
        };
        self.expect_kind(&h, Kind::Tcp)?;
        let w = self.body(1)?[0];
        if w >> 32 != 0 {
            return Err(DecodeError::ReservedBits {
                at: self.pos + 1,
                word: w,
            });
        }
        self.advance(1);
        Ok(Some(WinUpdate {
            handle: h.handle,
            host_ctx: h.host_ctx,
            bytes: w as u32,
        }))
    }

    /// After the last entry: words left before `tlast` are an error.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.pos < self.words.len() {
            return Err(DecodeError::TrailingWords {
                extra: self.words.len() - self.pos,
            });
        }
        Ok(())
    }

    /// The trailer status an engine reports for a decode error met while reading entries.
    pub fn status_of(e: &DecodeError) -> CmdStatus {
        match e {
            DecodeError::Truncated { .. } | DecodeError::Empty => CmdStatus::Truncated,
            DecodeError::TrailingWords { .. } => CmdStatus::TrailingWords,
            DecodeError::BadOpcode(_) => CmdStatus::BadOpcode,
            DecodeError::BadCount { .. } => CmdStatus::BadHeader,
            _ => CmdStatus::BadEntry,
        }
    }
}

/// One result entry of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResultEntry {
    pub kind: Kind,
    pub status: EntryStatus,
    pub handle: u16,
    pub host_ctx: u32,
}

impl ResultEntry {
    pub fn encode(&self) -> u64 {
        self.kind as u64
            | (self.status as u64) << 8
            | (self.handle as u64) << 16
            | (self.host_ctx as u64) << 32
    }

    pub fn decode(w: u64, index: usize) -> Result<ResultEntry, DecodeError> {
        let k = (w & 0xF) as u8;
        let kind = Kind::from_u8(k).ok_or(DecodeError::BadKind { index, kind: k })?;
        if (w >> 4) & 0xF != 0 {
            return Err(DecodeError::ReservedBits { at: index, word: w });
        }
        let s = (w >> 8) as u8;
        Ok(ResultEntry {
            kind,
            status: EntryStatus::from_u8(s).ok_or(DecodeError::BadStatus(s))?,
            handle: (w >> 16) as u16,
            host_ctx: (w >> 32) as u32,
        })
    }
}

/// The trailer of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Trailer {
    pub status: CmdStatus,
    /// Command entries consumed.
    pub consumed: u16,
}

impl Trailer {
    pub fn ok(consumed: u16) -> Trailer {
        Trailer {
            status: CmdStatus::Ok,
            consumed,
        }
    }

    pub fn encode(&self) -> u64 {
        self.status as u64 | (self.consumed as u64) << 16
    }

    pub fn decode(w: u64, at: usize) -> Result<Trailer, DecodeError> {
        if w & !0xFFFF_00FF != 0 {
            return Err(DecodeError::ReservedBits { at, word: w });
        }
        let s = w as u8;
        Ok(Trailer {
            status: CmdStatus::from_u8(s).ok_or(DecodeError::BadStatus(s))?,
            consumed: (w >> 16) as u16,
        })
    }
}

/// Engine capabilities (M6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Caps {
    pub connections: u32,
    pub paths: u16,
    pub neighbors: u16,
    pub banks: u8,
    pub ways: u8,
    /// log2 of buckets per bank.
    pub bucket_bits: u8,
    /// Datapath bytes per beat.
    pub beat_bytes: u8,
    pub version: u16,
}

impl Caps {
    pub const WORDS: usize = 2;

    pub fn encode(&self) -> [u64; 2] {
        [
            self.connections as u64 | (self.paths as u64) << 32 | (self.neighbors as u64) << 48,
            self.banks as u64
                | (self.ways as u64) << 8
                | (self.bucket_bits as u64) << 16
                | (self.beat_bytes as u64) << 24
                | (self.version as u64) << 32,
        ]
    }

    pub fn decode(w: &[u64; 2]) -> Caps {
        Caps {
            connections: w[0] as u32,
            paths: (w[0] >> 32) as u16,
            neighbors: (w[0] >> 48) as u16,
            banks: w[1] as u8,
            ways: (w[1] >> 8) as u8,
            bucket_bits: (w[1] >> 16) as u8,
            beat_bytes: (w[1] >> 24) as u8,
            version: (w[1] >> 32) as u16,
        }
    }
}

/// Frames the engine top can hold for connections between HANDOUT1 and HANDOUT2, all
/// connections together (A6); a held frame that finds the store full is dropped and
/// counted (`hold_drops`).
pub const HOLD_FRAMES: usize = 8;

/// Longest frame, in bytes, the engine top passes whole (and the size of a hold slot):
/// longer frames are cut to this length, flagged with `tuser` and counted (`oversize`).
pub const ENGINE_MAX_FRAME: usize = 2048;

/// Size of a receive-ring buffer in bytes: the longest frame the engine top passes.
pub const RX_BUF_BYTES: usize = ENGINE_MAX_FRAME;

/// Receive-ring buffers the engine can hold (posted with RXBUF, not yet used).
pub const RX_RING_SLOTS: usize = 256;

/// Scatter-gather slots of posted receive lists the engine has per connection: the
/// upper bound of `rcv.sg_entries`.
pub const RCV_SG_SLOTS: usize = 16;
/// Most frames the receive fast path holds for connections waiting for a list
/// (`rcv.hold_frames`, all connections together).
pub const RCV_HOLD_SLOTS: usize = 16;
/// Scatter-gather slots per connection for posted send lists (`snd.sg_entries` ≤ this).
pub const SND_SG_SLOTS: usize = 16;

/// Calls `$cb!` with the engine's statistics counters in STATS order. One word each.
#[macro_export]
macro_rules! stat_fields {
    ($cb:ident) => {
        $cb! {
            /// Frames looked up in the connection table (TCP frames with a parsed tuple).
            lookups,
            /// Lookups that found an offloaded connection.
            hits,
            /// Lookups that found a connection between HANDOUT1 and HANDOUT2.
            held,
            /// Lookups that found nothing.
            misses,
            /// Frames not looked up (no TCP tuple).
            not_tcp,
            /// Connections inserted by HANDOUT1.
            handout1,
            /// Connections started by HANDOUT2.
            handout2,
            /// Block-list entries refused (any reason).
            refused,
            /// Inserts that found both buckets full.
            insert_failures,
            /// Connections flushed (FLUSH and CLOSE).
            flushes,
            /// CACHED updates applied.
            updates,
            /// Commands answered with a non-OK trailer.
            command_errors,
            /// Connections live now.
            connections,
            /// Paths live now.
            paths,
            /// Neighbors live now.
            neighbors,
            /// Held frames dropped because the hold store ([`HOLD_FRAMES`]) was full.
            hold_drops,
            /// Frames longer than [`ENGINE_MAX_FRAME`] bytes (cut to it and flagged).
            oversize,
            /// Frames written into receive-ring buffers (RX_FRAME events with status OK).
            ring_frames,
            /// Bytes of those frames (as written, at most [`RX_BUF_BYTES`] each).
            ring_bytes,
            /// Frames dropped because no receive-ring buffer was posted.
            ring_drops,
            /// Receive-ring frame writes that failed on the DMA port (SLVERR, DECERR).
            ring_dma_errors,
            /// Receive fast path: segments with in-order bytes placed into receive lists.
            rcv_placed_segs,
            /// In-order bytes placed into receive lists.
            rcv_placed_bytes,
            /// Out-of-order segments placed (after a hole).
            rcv_ooo_segs,
            /// Duplicate segments dropped (all old, inside the out-of-order range, or empty with an old sequence number).
            rcv_dup_segs,
            /// Segments dropped with bytes at or past the window's right edge.
            rcv_out_of_window,
            /// Out-of-order segments dropped (past the posted lists, or not extending the range).
            rcv_ooo_drops,
            /// Frames indicated to the host (FRAME_DATA) for want of a list.
            rcv_indicated,
            /// Receive lists completed (full, short on PSH, or flushed).
            rcv_lists_done,
            /// Pure ACK frames sent.
            rcv_acks,
        }
    };
}

macro_rules! stats_struct {
    ($( $(#[$m:meta])* $name:ident, )*) => {
        /// The engine's counters (STATS response), one 64-bit word each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
        pub struct Stats {
            $( $(#[$m])* pub $name: u64, )*
        }
        /// Counter names in STATS order.
        pub const STAT_NAMES: &[&str] = &[$(stringify!($name)),*];
        impl Stats {
            pub fn to_words(&self) -> Vec<u64> { vec![$(self.$name),*] }
            pub fn from_words(w: &[u64]) -> Stats {
                let mut it = w.iter().copied();
                Stats { $( $name: it.next().unwrap_or(0), )* }
            }
            /// (name, value) pairs.
            pub fn pairs(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }
    };
}
stat_fields!(stats_struct);

/// An item of a FLUSH / CLOSE response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushItem {
    /// A connection: its result, and its DELEGATED state when the result is OK.
    Conn {
        result: ResultEntry,
        tcp: Option<Tcp>,
    },
    /// A Path freed (its last connection left, or a FLUSH entry named it), with its
    /// DELEGATED state.
    PathFreed { result: ResultEntry, path: Path },
    /// A Neighbor freed (its last Path left, or a FLUSH entry named it).
    NeighborFreed { result: ResultEntry },
    /// A FLUSH entry naming a Path or Neighbor that was not freed (status not OK).
    NotFreed { result: ResultEntry },
}

/// Engine → host messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Caps {
        tag: u32,
        caps: Caps,
        trailer: Trailer,
    },
    Interlock {
        tag: u32,
        results: Vec<ResultEntry>,
        trailer: Trailer,
    },
    HandoutDone {
        tag: u32,
        results: Vec<ResultEntry>,
        trailer: Trailer,
    },
    Flushed {
        tag: u32,
        close: bool,
        items: Vec<FlushItem>,
        trailer: Trailer,
    },
    Updated {
        tag: u32,
        results: Vec<ResultEntry>,
        trailer: Trailer,
    },
    Stats {
        tag: u32,
        stats: Stats,
        trailer: Trailer,
    },
    Error {
        tag: u32,
        trailer: Trailer,
    },
    /// Unsolicited (tag 0): the engine asks the host to upload a connection (M5, A7).
    UploadRequest {
        handle: u16,
        host_ctx: u32,
        reason: UploadReason,
    },
    /// Response to RXBUF.
    RxBufPosted {
        tag: u32,
        trailer: Trailer,
    },
    /// Unsolicited (tag 0): a frame was written into the receive-ring buffer at `addr`
    /// (trailer OK), or its write failed (trailer `DMA_ERROR`).
    RxFrame {
        addr: u64,
        status: RxStatus,
        trailer: Trailer,
    },
    /// Response to RCVLIST: one result per list.
    RcvListPosted {
        tag: u32,
        results: Vec<ResultEntry>,
        trailer: Trailer,
    },
    /// Response to WINUPDATE: one result per entry.
    WinUpdated {
        tag: u32,
        results: Vec<ResultEntry>,
        trailer: Trailer,
    },
    /// Unsolicited (tag 0), FRAME_DATA: as [`Event::RxFrame`], for an in-order frame of
    /// an offloaded connection whose payload the engine accepted (RCV.NXT moved past
    /// it) with no receive list to place it in.
    FrameData {
        addr: u64,
        status: RxStatus,
        trailer: Trailer,
    },
    /// Unsolicited (tag 0): a receive list completed; trailer OK, or `DMA_ERROR` when a
    /// write into it failed.
    RcvDone {
        done: RcvDone,
        trailer: Trailer,
    },
    /// Response to SENDLIST: one result per list.
    SendListPosted {
        tag: u32,
        results: Vec<ResultEntry>,
        trailer: Trailer,
    },
    /// Unsolicited (tag 0): a send list completed (trailer OK), or a read of its data
    /// failed on the DMA port (trailer `DMA_ERROR`, returned by the flush that follows).
    SendDone {
        done: SendDone,
        trailer: Trailer,
    },
}

/// Why the engine asks for an upload (the entry word's `[15:8]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum UploadReason {
    /// HANDOUT2 did not come within `offload.handout_timeout_us` of HANDOUT1: the
    /// engine stopped holding the connection's frames (they miss again) and answers
    /// a late HANDOUT2 with `NOT_PENDING`; the host flushes it.
    HandoutTimeout = 1,
    /// RST received on an offloaded connection.
    Rst = 2,
    /// FIN received.
    Fin = 3,
    /// SYN received.
    Syn = 4,
    /// URG received (urgent data is not handled by the engine).
    Urg = 5,
    /// A fast-path write into one of the connection's receive lists failed on the DMA
    /// port (the list completed with `DMA_ERROR`).
    DmaError = 6,
    /// In-order data arrived with no receive list posted and the frame store for such
    /// data (`rcv.hold_frames`) was full (A4).
    NoBuffer = 7,
    /// The retransmission timer expired (A7): the engine does not retransmit after a
    /// timeout itself; the host takes the connection (and the send lists' residuals)
    /// back and recovers in its slow path. Also raised when the send window stays
    /// too small for the queued data for a whole RTO (zero-window probing is the
    /// host's).
    RetransmitTimeout = 8,
}

impl UploadReason {
    pub fn from_u8(v: u8) -> Option<UploadReason> {
        use UploadReason::*;
        [
            HandoutTimeout,
            Rst,
            Fin,
            Syn,
            Urg,
            DmaError,
            NoBuffer,
            RetransmitTimeout,
        ]
        .into_iter()
        .find(|r| *r as u8 == v)
    }

    /// The reason for a received segment's flags (RST, then FIN, SYN, URG), if any.
    pub fn of_tcp_flags(flags: u16) -> Option<UploadReason> {
        if flags & 0x004 != 0 {
            Some(UploadReason::Rst)
        } else if flags & 0x001 != 0 {
            Some(UploadReason::Fin)
        } else if flags & 0x002 != 0 {
            Some(UploadReason::Syn)
        } else if flags & 0x020 != 0 {
            Some(UploadReason::Urg)
        } else {
            None
        }
    }
}

impl Event {
    pub fn tag(&self) -> u32 {
        match self {
            Event::Caps { tag, .. }
            | Event::Interlock { tag, .. }
            | Event::HandoutDone { tag, .. }
            | Event::Flushed { tag, .. }
            | Event::Updated { tag, .. }
            | Event::Stats { tag, .. }
            | Event::Error { tag, .. }
            | Event::RxBufPosted { tag, .. }
            | Event::RcvListPosted { tag, .. }
            | Event::WinUpdated { tag, .. }
            | Event::SendListPosted { tag, .. } => *tag,
            Event::UploadRequest { .. }
            | Event::RxFrame { .. }
            | Event::FrameData { .. }
            | Event::RcvDone { .. }
            | Event::SendDone { .. } => 0,
        }
    }

    pub fn trailer(&self) -> Trailer {
        match self {
            Event::Caps { trailer, .. }
            | Event::Interlock { trailer, .. }
            | Event::HandoutDone { trailer, .. }
            | Event::Flushed { trailer, .. }
            | Event::Updated { trailer, .. }
            | Event::Stats { trailer, .. }
            | Event::Error { trailer, .. }
            | Event::RxBufPosted { trailer, .. }
            | Event::RxFrame { trailer, .. }
            | Event::RcvListPosted { trailer, .. }
            | Event::WinUpdated { trailer, .. }
            | Event::FrameData { trailer, .. }
            | Event::RcvDone { trailer, .. }
            | Event::SendListPosted { trailer, .. }
            | Event::SendDone { trailer, .. } => *trailer,
            Event::UploadRequest { .. } => Trailer::ok(0),
        }
    }

    pub fn event_type(&self) -> EventType {
        match self {
            Event::Caps { .. } => EventType::Caps,
            Event::Interlock { .. } => EventType::Interlock,
            Event::HandoutDone { .. } => EventType::HandoutDone,
            Event::Flushed { close: false, .. } => EventType::Flushed,
            Event::Flushed { close: true, .. } => EventType::Closed,
            Event::Updated { .. } => EventType::Updated,
            Event::Stats { .. } => EventType::Stats,
            Event::Error { .. } => EventType::Error,
            Event::UploadRequest { .. } => EventType::UploadRequest,
            Event::RxBufPosted { .. } => EventType::RxBufPosted,
            Event::RxFrame { .. } => EventType::RxFrame,
            Event::RcvListPosted { .. } => EventType::RcvListPosted,
            Event::WinUpdated { .. } => EventType::WinUpdated,
            Event::FrameData { .. } => EventType::FrameData,
            Event::RcvDone { .. } => EventType::RcvDone,
            Event::SendListPosted { .. } => EventType::SendListPosted,
            Event::SendDone { .. } => EventType::SendDone,
        }
    }

    /// The message's words (the last one carries `tlast`).
    pub fn encode(&self) -> Vec<u64> {
        let mut out = vec![self.event_type() as u64 | (self.tag() as u64) << 32];
        match self {
            Event::Caps { caps, .. } => out.extend(caps.encode()),
            Event::Interlock { results, .. }
            | Event::HandoutDone { results, .. }
            | Event::Updated { results, .. }
            | Event::RcvListPosted { results, .. }
            | Event::WinUpdated { results, .. }
            | Event::SendListPosted { results, .. } => {
                out.extend(results.iter().map(|r| r.encode()))
            }
            Event::Flushed { items, .. } => {
                for it in items {
                    match it {
                        FlushItem::Conn { result, tcp } => {
                            out.push(result.encode());
                            if let Some(t) = tcp {
                                out.extend(t.class_words(Class::Delegated));
                            }
                        }
                        FlushItem::PathFreed { result, path } => {
                            out.push(result.encode());
                            out.extend(path.class_words(Class::Delegated));
                        }
                        FlushItem::NeighborFreed { result } | FlushItem::NotFreed { result } => {
                            out.push(result.encode())
                        }
                    }
                }
            }
            Event::Stats { stats, .. } => out.extend(stats.to_words()),
            Event::Error { .. } | Event::RxBufPosted { .. } => {}
            Event::RxFrame { addr, status, .. } | Event::FrameData { addr, status, .. } => {
                out.push(*addr);
                out.push(status.encode());
            }
            Event::RcvDone { done, .. } => out.extend(done.encode()),
            Event::SendDone { done, .. } => out.extend(done.encode()),
            Event::UploadRequest {
                handle,
                host_ctx,
                reason,
            } => out.push(
                Kind::Tcp as u64
                    | (*reason as u64) << 8
                    | (*handle as u64) << 16
                    | (*host_ctx as u64) << 32,
            ),
        }
        out.push(self.trailer().encode());
        out
    }

    /// Decode one message (header to `tlast`). Never panics.
    pub fn decode(words: &[u64]) -> Result<Event, DecodeError> {
        let h = *words.first().ok_or(DecodeError::Empty)?;
        let ty = h as u8;
        let et = EventType::from_u8(ty).ok_or(DecodeError::BadEventType(ty))?;
        if (h >> 8) & 0xFF_FFFF != 0 {
            return Err(DecodeError::ReservedBits { at: 0, word: h });
        }
        let tag = (h >> 32) as u32;
        if words.len() < 2 {
            return Err(DecodeError::Truncated { at: words.len() });
        }
        let last = words.len() - 1;
        let trailer = Trailer::decode(words[last], last)?;
        let body = &words[1..last];
        let results = |body: &[u64]| -> Result<Vec<ResultEntry>, DecodeError> {
            body.iter()
                .enumerate()
                .map(|(i, w)| ResultEntry::decode(*w, i))
                .collect()
        };
        Ok(match et {
            EventType::Caps => {
                if body.len() != Caps::WORDS {
                    return Err(if body.len() < Caps::WORDS {
                        DecodeError::Truncated { at: words.len() }
                    } else {
                        DecodeError::TrailingWords {
                            extra: body.len() - Caps::WORDS,
                        }
                    });
                }
                Event::Caps {
                    tag,
                    caps: Caps::decode(&[body[0], body[1]]),
                    trailer,
                }
            }
            EventType::Interlock => Event::Interlock {
                tag,
                results: results(body)?,
                trailer,
            },
            EventType::HandoutDone => Event::HandoutDone {
                tag,
                results: results(body)?,
                trailer,
            },
            EventType::Updated => Event::Updated {
                tag,
                results: results(body)?,
                trailer,
            },
            EventType::RcvListPosted => Event::RcvListPosted {
                tag,
                results: results(body)?,
                trailer,
            },
            EventType::WinUpdated => Event::WinUpdated {
                tag,
                results: results(body)?,
                trailer,
            },
            EventType::SendListPosted => Event::SendListPosted {
                tag,
                results: results(body)?,
                trailer,
            },
            EventType::RcvDone | EventType::SendDone => {
                let [a, b, c] = body else {
                    return Err(if body.len() < 3 {
                        DecodeError::Truncated { at: words.len() }
                    } else {
                        DecodeError::TrailingWords {
                            extra: body.len() - 3,
                        }
                    });
                };
                if tag != 0 || trailer.consumed != 0 {
                    return Err(DecodeError::ReservedBits { at: 0, word: h });
                }
                if et == EventType::SendDone {
                    Event::SendDone {
                        done: SendDone::decode(&[*a, *b, *c])?,
                        trailer,
                    }
                } else {
                    Event::RcvDone {
                        done: RcvDone::decode(&[*a, *b, *c])?,
                        trailer,
                    }
                }
            }
            EventType::Stats => {
                if body.len() != STAT_NAMES.len() {
                    return Err(DecodeError::Truncated { at: words.len() });
                }
                Event::Stats {
                    tag,
                    stats: Stats::from_words(body),
                    trailer,
                }
            }
            EventType::UploadRequest => {
                let [w] = body else {
                    return Err(if body.is_empty() {
                        DecodeError::Truncated { at: words.len() }
                    } else {
                        DecodeError::TrailingWords {
                            extra: body.len() - 1,
                        }
                    });
                };
                if w & 0xF0 != 0 || w & 0xF != Kind::Tcp as u64 {
                    return Err(DecodeError::ReservedBits { at: 1, word: *w });
                }
                // Unsolicited: tag 0 and trailer OK with 0 consumed, nothing else.
                if tag != 0 {
                    return Err(DecodeError::ReservedBits { at: 0, word: h });
                }
                if trailer != Trailer::ok(0) {
                    return Err(DecodeError::ReservedBits {
                        at: last,
                        word: words[last],
                    });
                }
                let r = (w >> 8) as u8;
                Event::UploadRequest {
                    handle: (w >> 16) as u16,
                    host_ctx: (w >> 32) as u32,
                    reason: UploadReason::from_u8(r).ok_or(DecodeError::BadStatus(r))?,
                }
            }
            EventType::Error => {
                if !body.is_empty() {
                    return Err(DecodeError::TrailingWords { extra: body.len() });
                }
                Event::Error { tag, trailer }
            }
            EventType::RxBufPosted => {
                if !body.is_empty() {
                    return Err(DecodeError::TrailingWords { extra: body.len() });
                }
                Event::RxBufPosted { tag, trailer }
            }
            EventType::RxFrame | EventType::FrameData => {
                let [addr, status] = body else {
                    return Err(if body.len() < 2 {
                        DecodeError::Truncated { at: words.len() }
                    } else {
                        DecodeError::TrailingWords {
                            extra: body.len() - 2,
                        }
                    });
                };
                if tag != 0 || trailer.consumed != 0 {
                    return Err(DecodeError::ReservedBits { at: 0, word: h });
                }
                let (addr, status) = (*addr, RxStatus::decode(*status));
                if et == EventType::RxFrame {
                    Event::RxFrame {
                        addr,
                        status,
                        trailer,
                    }
                } else {
                    Event::FrameData {
                        addr,
                        status,
                        trailer,
                    }
                }
            }
            EventType::Flushed | EventType::Closed => {
                let mut items = Vec::new();
                let mut i = 0;
                while i < body.len() {
                    let r = ResultEntry::decode(body[i], items.len())?;
                    i += 1;
                    let take = |n: usize, i: usize| -> Result<&[u64], DecodeError> {
                        body.get(i..i + n)
                            .ok_or(DecodeError::Truncated { at: words.len() })
                    };
                    match r.kind {
                        Kind::Tcp => {
                            if r.status == EntryStatus::Ok {
                                let w = take(TCP_DELEGATED_WORDS, i)?;
                                let mut t = Tcp::default();
                                t.set_class_words(Class::Delegated, w);
                                i += TCP_DELEGATED_WORDS;
                                items.push(FlushItem::Conn {
                                    result: r,
                                    tcp: Some(t),
                                });
                            } else {
                                items.push(FlushItem::Conn {
                                    result: r,
                                    tcp: None,
                                });
                            }
                        }
                        Kind::Path | Kind::Neighbor if r.status != EntryStatus::Ok => {
                            items.push(FlushItem::NotFreed { result: r })
                        }
                        Kind::Path => {
                            let w = take(PATH_DELEGATED_WORDS, i)?;
                            let mut p = Path::default();
                            p.set_class_words(Class::Delegated, w);
                            i += PATH_DELEGATED_WORDS;
                            items.push(FlushItem::PathFreed { result: r, path: p });
                        }
                        Kind::Neighbor => items.push(FlushItem::NeighborFreed { result: r }),
                    }
                }
                Event::Flushed {
                    tag,
                    close: et == EventType::Closed,
                    items,
                    trailer,
                }
            }
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Neighbor => "neighbor",
            Kind::Path => "path",
            Kind::Tcp => "tcp",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_tables_fit_their_class_and_do_not_overlap() {
        fn check(fields: &[StateField], words: [usize; 3]) {
            let mut used = vec![0u64; words.iter().sum()];
            for f in fields {
                let (start, n) = match f.class {
                    Class::Const => (0, words[0]),
                    Class::Cached => (words[0], words[1]),
                    Class::Delegated => (words[0] + words[1], words[2]),
                };
                assert!(
                    f.word >= start && f.word < start + n,
                    "{} outside its class",
                    f.name
                );
                assert!(f.lo + f.width <= 64, "{} crosses a word", f.name);
                let m = mask(f.width) << f.lo;
                assert_eq!(used[f.word] & m, 0, "{} overlaps", f.name);
                used[f.word] |= m;
            }
        }
        check(Neighbor::FIELDS, Neighbor::CLASS_WORDS);
        check(Path::FIELDS, Path::CLASS_WORDS);
        check(Tcp::FIELDS, Tcp::CLASS_WORDS);
    }

    #[test]
    fn response_types_follow_opcodes() {
        for op in Opcode::ALL {
            assert_eq!(EventType::response_to(op) as u8, 0x80 | op as u8);
        }
    }

    #[test]
    fn h3_is_linear() {
        let a = FlowKey {
            local_ip: 1,
            local_port: 80,
            ..FlowKey::default()
        };
        let b = FlowKey {
            remote_ip: 7 << 100,
            remote_port: 9,
            ..FlowKey::default()
        };
        let ab = FlowKey {
            local_ip: 1,
            remote_ip: 7 << 100,
            local_port: 80,
            remote_port: 9,
            ..FlowKey::default()
        };
        for bank in 0..TABLE_BANKS {
            assert_eq!(
                h3_hash(bank, &ab, 32),
                h3_hash(bank, &a, 32) ^ h3_hash(bank, &b, 32)
            );
        }
        assert_ne!(h3_row(0, 5), h3_row(1, 5));
    }
}

/// Calls `$cb!` with the receive status word's fields (`name: width,`, first field at
/// bit 0, 64 bits in all). The one place the layout is written: the RTL expands the
/// same list into a `LogicStruct`.
#[macro_export]
macro_rules! rx_status_fields {
    ($cb:ident) => {
        $cb! {
            frame_len: 17,
            cut: 1,
            lookup: 2,
            conn: 16,
            candidate: 1,
            errors: 7,
            vlan: 1,
            ip4: 1,
            ip6: 1,
            tcp: 1,
            udp: 1,
            ip_csum_ok: 1,
            l4_csum_ok: 1,
            payload_valid: 1,
            payload_offset: 12,
        }
    };
}

macro_rules! rx_status_struct {
    ($($name:ident : $w:expr),* $(,)?) => {
        /// The status word of a frame written to the receive ring (A1, A2): what the
        /// parser and the lookup found, so the host stack gets the frame already
        /// validated.
        /// - `frame_len`: bytes received; `cut`: more than [`RX_BUF_BYTES`], only those
        ///   were written.
        /// - `lookup`: 0 not TCP, 1 miss, 3 hit ([`crate::engine::Lookup::code`]);
        ///   `conn`: the connection handle for a hit, else 0.
        /// - `candidate`: the parser's fast-path candidate bit.
        /// - `errors`: bit `i` = error [`crate::meta::ERROR_NAMES`]`[i]`.
        /// - `vlan`, `ip4`, `ip6`, `tcp`, `udp`: the layers found.
        /// - `ip_csum_ok`, `l4_csum_ok`: checked and correct.
        /// - `payload_valid`, `payload_offset`: where the TCP/UDP payload starts, when
        ///   the parser found it and it is below 4,096 (else 0, 0).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize)]
        pub struct RxStatus {
            $(pub $name: u32,)*
        }

        /// (name, bit offset, width) of the status word's fields, in layout order.
        pub const RX_STATUS_FIELDS: &[(&str, usize, usize)] = &{
            const W: &[usize] = &[$($w),*];
            const N: &[&str] = &[$(stringify!($name)),*];
            let mut out = [("", 0usize, 0usize); W.len()];
            let mut i = 0;
            let mut at = 0;
            while i < W.len() {
                out[i] = (N[i], at, W[i]);
                at += W[i];
                i += 1;
            }
            out
        };

        impl RxStatus {
            /// Pack into the 64-bit word.
            pub fn encode(&self) -> u64 {
                let mut w = 0u64;
                let mut at = 0;
                $(
                    w |= (self.$name as u64 & ((1u64 << $w) - 1)) << at;
                    at += $w;
                )*
                let _ = at;
                w
            }

            /// Unpack a word (any word decodes).
            pub fn decode(w: u64) -> RxStatus {
                let mut at = 0;
                $(
                    let $name = ((w >> at) & ((1u64 << $w) - 1)) as u32;
                    at += $w;
                )*
                let _ = at;
                RxStatus { $($name,)* }
            }
        }
    };
}
rx_status_fields!(rx_status_struct);

/// Highest payload offset the status word reports (`payload_offset` is 12 bits).
pub const RX_STATUS_MAX_PAYLOAD_OFFSET: u32 = 4095;

impl RxStatus {
    /// The status word of a frame, from its metadata (as the reference parser or the
    /// engine's record says), its lookup status and connection handle.
    pub fn of(meta: &crate::meta::RxMeta, lookup: u8, conn: u16) -> RxStatus {
        let mut errors = 0;
        for (i, name) in crate::meta::ERROR_NAMES.iter().enumerate() {
            if meta.errors.contains(name) {
                errors |= 1 << i;
            }
        }
        let payload = meta
            .payload_offset
            .filter(|o| *o <= RX_STATUS_MAX_PAYLOAD_OFFSET);
        RxStatus {
            frame_len: meta.len & 0x1_FFFF,
            cut: (meta.len as usize > RX_BUF_BYTES) as u32,
            lookup: lookup as u32 & 3,
            conn: conn as u32,
            candidate: meta.candidate as u32,
            errors,
            vlan: meta.vlan.is_some() as u32,
            ip4: (meta.ip_version == Some(4)) as u32,
            ip6: (meta.ip_version == Some(6)) as u32,
            tcp: (meta.l4 == Some(crate::meta::L4Kind::Tcp)) as u32,
            udp: (meta.l4 == Some(crate::meta::L4Kind::Udp)) as u32,
            ip_csum_ok: (meta.ip_csum_ok == Some(true)) as u32,
            l4_csum_ok: (meta.l4_csum_ok == Some(true)) as u32,
            payload_valid: payload.is_some() as u32,
            payload_offset: payload.unwrap_or(0),
        }
    }

    /// Names of the errors set in `errors` ([`crate::meta::ERROR_NAMES`] order).
    pub fn error_names(&self) -> Vec<&'static str> {
        crate::meta::ERROR_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.errors >> i & 1 != 0)
            .map(|(_, n)| *n)
            .collect()
    }

    /// Bytes of the frame in the buffer.
    pub fn written(&self) -> usize {
        (self.frame_len as usize).min(RX_BUF_BYTES)
    }
}
