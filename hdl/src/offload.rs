//! Offload core (`Offload`): the command/event interface, the connection table and
//! the context memories of the Neighbor, Path and TCP state objects.
//!
//! # What it does
//! - Executes host commands (`host_model::proto`: CAPS, HANDOUT1 block lists,
//!   HANDOUT2, FLUSH, UPDATE, CLOSE, STATS) arriving as 64-bit words on `s_cmd_*`,
//!   and answers each with exactly one response message on `m_evt_*`. The semantics
//!   are those of `host_model::engine` (the model it is checked against).
//! - Looks every receive metadata record (`s_meta_*`, from the receive parser) up in
//!   the connection table and passes it on (`m_lk_*`) tagged with a status
//!   (0 not TCP, 1 miss, 2 held: between HANDOUT1 and HANDOUT2, 3 hit) and the
//!   connection handle (0 unless held or hit). A connection whose HANDOUT2 did not
//!   come in time is *expired*: its frames miss again.
//! - Puts a release *marker* (`m_lk_mark`, no frame) into the same stream when a held
//!   connection's handout ends: status 3 and the handle when HANDOUT2 starts it, status 1
//!   when its timeout, FLUSH or CLOSE ends it. The command waits (records held back)
//!   until the lookup pipeline is empty, then changes the table state and writes the
//!   marker in the same clock, so every record before the marker was looked up in the
//!   old state and every record after it in the new one (`crate::hold` releases the
//!   held frames there).
//! - Sends unsolicited UPLOAD_REQUEST events (between responses): once per
//!   connection when a hit frame carries RST, FIN, SYN or URG (that reason), and when
//!   a held connection's HANDOUT1 deadline (`offload.handout_timeout_us`) passes. The
//!   deadline is checked by a sweep over the connections, one every third idle clock
//!   of the command processor: a timeout fires between `timeout` and
//!   `timeout + 3 * connections` clocks after HANDOUT1 (plus any command time).
//!
//! # Connection table
//! Two banks of `2^BB` buckets of 4 ways (`BB = CB - 2`: twice as many slots as
//! connections), each way a block RAM of `{conn, flow key (302 bits), valid}`. Bank
//! `b`'s bucket is the H3 hash of the key with bank `b`'s matrix (`host_model::proto::h3_hash`).
//! A lookup reads both buckets at once and compares 8 keys: one lookup per clock.
//! An insert takes the first free way of bank 0's bucket, else bank 1's, else it
//! fails (`TABLE_FULL`, counted). Commands probe the table through the same
//! pipeline (a probe has priority over a record for one clock).
//!
//! # Memories
//! TCP objects: 16 words per connection (CONST 1, CACHED 3, DELEGATED 10); Paths: 8
//! words; Neighbors: 4 words; per-object info words (state, location, parent, host
//! context) and reference counts; one free-list FIFO per object kind. After `reset`
//! the core sweeps its info memories and the table (`2^max(CB, PB, NB)` clocks) before
//! it accepts commands or records.
//!
//! # Timing
//! A record leaves the offload core 6 clocks after the core accepts it; records are accepted one per clock
//! while the output FIFO has room. Commands are read one word per clock while the
//! core is copying words; each block adds a few clocks of table probe and bookkeeping.

use crate::pack::{H3Hash, KeyPack, SLOT_BITS, SlotPack};
use crate::rx_meta::RxMetaRecord;
use crate::sync_fifo::SyncFifo;
use host_model::proto::{FLOW_KEY_BITS, PROTOCOL_VERSION, STAT_NAMES};
use rust_hdl::prelude::*;

/// Command processor states.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
pub enum OState {
    Init,
    Idle,
    Caps0,
    Caps1,
    StatsW,
    Entry,
    Body,
    Exec,
    CheckEnd,
    Drain,
    Trailer,
    Copy,
    EntryDone,
    NextEntry,
    NbrNew,
    NbrReuse,
    NbrReuse2,
    NbrReuse3,
    PathNew,
    PathNew2,
    PathReuse,
    PathReuse2,
    PathReuse3,
    PathReuse4,
    TcpStart,
    TcpWait,
    TcpRef,
    H2,
    H2b,
    FlC,
    FlC2,
    FlQ,
    FlEm,
    FlZero,
    FlPath,
    FlPath2,
    Fp1,
    Fp2,
    Fp3,
    Fp4,
    Fn1,
    Fn2,
    FlP,
    FlP2,
    FlN,
    FlN2,
    UpN,
    UpN2,
    UpP,
    UpP2,
    UpT,
    UpT2,
    UrRead,
    UrChk,
    UrEnt,
    SwRead,
    SwChk,
    H2a,
    AkA,
    AkB,
    AkC,
    AkOut,
}

/// Free words at which the event FIFO stops the command processor (covers the
/// largest response of one entry, or a CAPS/STATS response).
const EVT_SLACK: usize = STAT_NAMES.len() + 4;
// The STATS word multiplexer (state `StatsW`) lists the counters one by one.
const _: () = assert!(STAT_NAMES.len() == 30, "update the StatsW multiplexer");
/// Free words at which the lookup output FIFO stops records (pipeline depth + margin).
const LK_SLACK: usize = 8;

/// The offload core. `CB` = log2 connections, `CB4` = `CB + 4`, `BB` = `CB - 2`,
/// `PB` / `PB3` = log2 Paths and `PB + 3`, `NB` / `NB2` = log2 Neighbors and `NB + 2`.
#[derive(LogicBlock)]
pub struct Offload<
    const CB: usize,
    const CB4: usize,
    const BB: usize,
    const PB: usize,
    const PB3: usize,
    const NB: usize,
    const NB2: usize,
> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // Commands in
    pub s_cmd_tdata: Signal<In, Bits<64>>,
    pub s_cmd_tvalid: Signal<In, Bit>,
    pub s_cmd_tlast: Signal<In, Bit>,
    pub s_cmd_tready: Signal<Out, Bit>,
    // Responses out
    pub m_evt_tdata: Signal<Out, Bits<64>>,
    pub m_evt_tlast: Signal<Out, Bit>,
    pub m_evt_tvalid: Signal<Out, Bit>,
    pub m_evt_tready: Signal<In, Bit>,
    // Records in
    pub s_meta_tdata: Signal<In, RxMetaRecord>,
    pub s_meta_tvalid: Signal<In, Bit>,
    pub s_meta_tready: Signal<Out, Bit>,
    // Tagged records out
    pub m_lk_meta: Signal<Out, RxMetaRecord>,
    pub m_lk_status: Signal<Out, Bits<2>>,
    pub m_lk_conn: Signal<Out, Bits<16>>,
    pub m_lk_tvalid: Signal<Out, Bit>,
    /// The entry on `m_lk_*` is a release marker for the hold stage (no frame): release
    /// the held frames of `m_lk_conn` with status `m_lk_status` (3 hit, 1 miss).
    pub m_lk_mark: Signal<Out, Bit>,
    /// A HANDOUT2 started connection `m_act_conn`'s fast path (one clock, at the clock
    /// of its release marker): its host context, `rcv_nxt` and `rcv_wnd` from the
    /// DELEGATED state, and the largest window's shift (`rcv_wscale`, at most 14, when
    /// `wscale_ok`, else 0) for the receive fast path (`crate::rcv_core`).
    pub m_act_valid: Signal<Out, Bit>,
    pub m_act_conn: Signal<Out, Bits<16>>,
    pub m_act_ctx: Signal<Out, Bits<32>>,
    pub m_act_nxt: Signal<Out, Bits<32>>,
    pub m_act_wnd: Signal<Out, Bits<32>>,
    pub m_act_wsh: Signal<Out, Bits<4>>,
    /// FLUSH / CLOSE of an offloaded connection asks the receive fast path for its
    /// RCV.NXT and window (`m_fq_valid` until `s_fq_done`, with the fast path); the
    /// fast path returns its lists and stops. `s_fq_active` 0: it did not hold it.
    /// Upload requests from the receive fast path: `{reason[7:0], handle[15:0]}`.
    pub s_up_valid: Signal<In, Bit>,
    pub s_up_word: Signal<In, Bits<24>>,
    pub s_up_ready: Signal<Out, Bit>,
    pub m_fq_valid: Signal<Out, Bit>,
    pub m_fq_conn: Signal<Out, Bits<16>>,
    pub s_fq_done: Signal<In, Bit>,
    pub s_fq_active: Signal<In, Bit>,
    pub s_fq_nxt: Signal<In, Bits<32>>,
    pub s_fq_wnd: Signal<In, Bits<32>>,
    /// The connection's effective MSS (TCP CACHED `eff_mss`), with `m_act_*`.
    pub m_act_mss: Signal<Out, Bits<16>>,
    /// ACK requests from the receive fast path (taken with `s_ak_ready`): the
    /// connection, the ACK number and the scaled window. The core reads the
    /// connection's TCP, Path and Neighbor state (ports, `snd_nxt`, addresses, TTL /
    /// TOS / flow label, MACs, VLAN) and presents the ACK generator's request on
    /// `m_ak_*` (`crate::ack_gen::AckGen`, `m_ak_valid` until `m_ak_ready`), with the
    /// Path's current IP ID, after which the Path's IP ID counter advances (IPv4, M7).
    /// A connection that is no longer offloaded sends nothing. `m_ak_busy`: a request
    /// is being served.
    pub s_ak_valid: Signal<In, Bit>,
    pub s_ak_conn: Signal<In, Bits<16>>,
    pub s_ak_ack: Signal<In, Bits<32>>,
    pub s_ak_win: Signal<In, Bits<16>>,
    pub s_ak_ready: Signal<Out, Bit>,
    pub m_ak_dst_mac: Signal<Out, Bits<48>>,
    pub m_ak_src_mac: Signal<Out, Bits<48>>,
    pub m_ak_vlan: Signal<Out, Bit>,
    pub m_ak_vlan_tci: Signal<Out, Bits<16>>,
    pub m_ak_ipv6: Signal<Out, Bit>,
    pub m_ak_local_ip: Signal<Out, Bits<128>>,
    pub m_ak_remote_ip: Signal<Out, Bits<128>>,
    pub m_ak_ttl: Signal<Out, Bits<8>>,
    pub m_ak_tos: Signal<Out, Bits<8>>,
    pub m_ak_flow_label: Signal<Out, Bits<20>>,
    pub m_ak_ip_id: Signal<Out, Bits<16>>,
    pub m_ak_local_port: Signal<Out, Bits<16>>,
    pub m_ak_remote_port: Signal<Out, Bits<16>>,
    pub m_ak_seq: Signal<Out, Bits<32>>,
    pub m_ak_ack: Signal<Out, Bits<32>>,
    pub m_ak_window: Signal<Out, Bits<16>>,
    pub m_ak_valid: Signal<Out, Bit>,
    pub m_ak_ready: Signal<In, Bit>,
    pub m_ak_busy: Signal<Out, Bit>,
    /// Counters kept by the hold stage, reported by STATS.
    pub hold_drops: Signal<In, Bits<32>>,
    pub oversize: Signal<In, Bits<32>>,
    /// Counters of the receive path (`crate::rx_path`), reported by STATS; 0 without it.
    pub ring_frames: Signal<In, Bits<32>>,
    pub ring_bytes: Signal<In, Bits<32>>,
    pub ring_drops: Signal<In, Bits<32>>,
    pub ring_dma_errors: Signal<In, Bits<32>>,
    /// Commands the receive path answered with a non-OK trailer (added to `command_errors`).
    pub ext_cmd_errors: Signal<In, Bits<32>>,
    /// Counters of the receive fast path (`crate::rcv_core`), reported by STATS; 0 without it.
    pub rcv_placed_segs: Signal<In, Bits<32>>,
    pub rcv_placed_bytes: Signal<In, Bits<32>>,
    pub rcv_ooo_segs: Signal<In, Bits<32>>,
    pub rcv_dup_segs: Signal<In, Bits<32>>,
    pub rcv_out_of_window: Signal<In, Bits<32>>,
    pub rcv_ooo_drops: Signal<In, Bits<32>>,
    pub rcv_indicated: Signal<In, Bits<32>>,
    pub rcv_lists_done: Signal<In, Bits<32>>,
    pub rcv_acks: Signal<In, Bits<32>>,
    pub m_lk_tready: Signal<In, Bit>,

    // Sizes
    n_conns: Constant<Bits<17>>,
    n_paths: Constant<Bits<17>>,
    n_nbrs: Constant<Bits<17>>,
    init_n: Constant<Bits<17>>,
    caps0: Constant<Bits<64>>,
    caps1: Constant<Bits<64>>,

    // FIFOs
    evt_fifo: SyncFifo<Bits<65>, 6, 7>,
    lk_meta_fifo: SyncFifo<RxMetaRecord, 6, 7>,
    lk_res_fifo: SyncFifo<Bits<19>, 6, 7>,

    // Packers
    rec_key: KeyPack,
    prb_key: KeyPack,
    hash: H3Hash<BB>,
    slot_pack: SlotPack,

    // Connection table (bank, way)
    t00: RAM<Bits<SLOT_BITS>, BB>,
    t01: RAM<Bits<SLOT_BITS>, BB>,
    t02: RAM<Bits<SLOT_BITS>, BB>,
    t03: RAM<Bits<SLOT_BITS>, BB>,
    t10: RAM<Bits<SLOT_BITS>, BB>,
    t11: RAM<Bits<SLOT_BITS>, BB>,
    t12: RAM<Bits<SLOT_BITS>, BB>,
    t13: RAM<Bits<SLOT_BITS>, BB>,
    /// Lookup state per connection: 0 offloaded (hit), 1 held, 2 expired (miss).
    held_ram: RAM<Bits<2>, CB>,
    /// HANDOUT1 deadline per connection (`now + timeout`).
    conn_dl: RAM<Bits<32>, CB>,
    /// Exception requests from the lookup pipeline: `{reason[7:0], conn[15:0]}`.
    exc_fifo: SyncFifo<Bits<24>, 4, 5>,
    exc_reason: Signal<Local, Bits<8>>,
    p5_flags: Signal<Local, Bits<12>>,
    exc_word: Signal<Local, Bits<24>>,
    now: DFF<Bits<32>>,
    sweep_i: DFF<Bits<17>>,
    timeout: Constant<Bits<32>>,
    dl_diff: Signal<Local, Bits<32>>,

    // Context memories
    tcp_mem: RAM<Bits<64>, CB4>,
    path_mem: RAM<Bits<64>, PB3>,
    nbr_mem: RAM<Bits<64>, NB2>,
    conn_info: RAM<Bits<64>, CB>,
    conn_loc: RAM<Bits<16>, CB>,
    path_info: RAM<Bits<64>, PB>,
    path_ref: RAM<Bits<16>, PB>,
    nbr_info: RAM<Bits<64>, NB>,
    nbr_ref: RAM<Bits<16>, NB>,
    stage: RAM<Bits<64>, 4>,

    // Free lists
    conn_fl: RAM<Bits<16>, CB>,
    conn_fl_wr: DFF<Bits<17>>,
    conn_fl_rd: DFF<Bits<17>>,
    conn_next: DFF<Bits<17>>,
    path_fl: RAM<Bits<16>, PB>,
    path_fl_wr: DFF<Bits<17>>,
    path_fl_rd: DFF<Bits<17>>,
    path_next: DFF<Bits<17>>,
    nbr_fl: RAM<Bits<16>, NB>,
    nbr_fl_wr: DFF<Bits<17>>,
    nbr_fl_rd: DFF<Bits<17>>,
    nbr_next: DFF<Bits<17>>,
    conn_avail: Signal<Local, Bit>,
    conn_alloc: Signal<Local, Bits<16>>,
    path_avail: Signal<Local, Bit>,
    path_alloc: Signal<Local, Bits<16>>,
    nbr_avail: Signal<Local, Bit>,
    nbr_alloc: Signal<Local, Bits<16>>,

    // Lookup pipeline
    p_take_rec: Signal<Local, Bit>,
    p1_v: DFF<Bit>,
    p1_probe: DFF<Bit>,
    p1_tcp: DFF<Bit>,
    p1_rec: DFF<RxMetaRecord>,
    p1_key: DFF<Bits<FLOW_KEY_BITS>>,
    p2_v: DFF<Bit>,
    p2_probe: DFF<Bit>,
    p2_tcp: DFF<Bit>,
    p2_rec: DFF<RxMetaRecord>,
    p2_key: DFF<Bits<FLOW_KEY_BITS>>,
    p2_h0: DFF<Bits<BB>>,
    p2_h1: DFF<Bits<BB>>,
    p3_v: DFF<Bit>,
    p3_probe: DFF<Bit>,
    p3_tcp: DFF<Bit>,
    p3_rec: DFF<RxMetaRecord>,
    p3_key: DFF<Bits<FLOW_KEY_BITS>>,
    p3_h0: DFF<Bits<BB>>,
    p3_h1: DFF<Bits<BB>>,
    m00: Signal<Local, Bit>,
    m01: Signal<Local, Bit>,
    m02: Signal<Local, Bit>,
    m03: Signal<Local, Bit>,
    m10: Signal<Local, Bit>,
    m11: Signal<Local, Bit>,
    m12: Signal<Local, Bit>,
    m13: Signal<Local, Bit>,
    f_found: Signal<Local, Bit>,
    f_conn: Signal<Local, Bits<16>>,
    p4_v: DFF<Bit>,
    p4_tcp: DFF<Bit>,
    p4_rec: DFF<RxMetaRecord>,
    p4_found: DFF<Bit>,
    p4_conn: DFF<Bits<16>>,
    p5_v: DFF<Bit>,
    p5_tcp: DFF<Bit>,
    p5_rec: DFF<RxMetaRecord>,
    p5_found: DFF<Bit>,
    p5_conn: DFF<Bits<16>>,
    lk_status: Signal<Local, Bits<2>>,
    lk_res: Signal<Local, Bits<19>>,
    /// Records stay out while a command waits for the lookup pipeline to empty.
    quiet: DFF<Bit>,
    act_v: DFF<Bit>,
    act_conn: DFF<Bits<16>>,
    act_ctx: DFF<Bits<32>>,
    act_nxt: DFF<Bits<32>>,
    act_wnd: DFF<Bits<32>>,
    act_wsh: DFF<Bits<4>>,
    act_mss: DFF<Bits<16>>,
    /// ACK request being served: connection, its Path and Neighbor, word index,
    /// the connection is offloaded, return to FlQ.
    ak_conn: DFF<Bits<16>>,
    ak_path: DFF<Bits<16>>,
    ak_nbr: DFF<Bits<16>>,
    ak_i: DFF<Bits<4>>,
    ak_ok: DFF<Bit>,
    ak_ret: DFF<Bit>,
    ak_v: DFF<Bit>,
    ka: Signal<Local, Bits<20>>,
    kn: Signal<Local, Bits<20>>,
    kw6: Signal<Local, Bits<64>>,
    kcnt: Signal<Local, Bits<15>>,
    a_dst_mac: DFF<Bits<48>>,
    a_src_mac: DFF<Bits<48>>,
    a_vlan: DFF<Bit>,
    a_vlan_tci: DFF<Bits<16>>,
    a_ipv6: DFF<Bit>,
    a_local_ip: DFF<Bits<128>>,
    a_remote_ip: DFF<Bits<128>>,
    a_ttl: DFF<Bits<8>>,
    a_tos: DFF<Bits<8>>,
    a_flow_label: DFF<Bits<20>>,
    a_ip_id: DFF<Bits<16>>,
    a_local_port: DFF<Bits<16>>,
    a_remote_port: DFF<Bits<16>>,
    a_seq: DFF<Bits<32>>,
    a_ack: DFF<Bits<32>>,
    a_window: DFF<Bits<16>>,
    fq_v: DFF<Bit>,
    fq_act: DFF<Bit>,
    fq_nxt: DFF<Bits<32>>,
    fq_wnd: DFF<Bits<32>>,
    /// 1: a receive fast path answers `m_fq_*`.
    k_fast: Constant<Bit>,
    wsc: Signal<Local, Bits<4>>,
    pipe_idle: Signal<Local, Bit>,
    mk_w: Signal<Local, Bit>,
    mk_res: Signal<Local, Bits<19>>,
    mk_conn: Signal<Local, Bits<19>>,
    // Probe handshake
    pr_req: DFF<Bit>,
    pr_done: DFF<Bit>,
    pr_found: DFF<Bit>,
    pr_free0: DFF<Bit>,
    pr_way0: DFF<Bits<2>>,
    pr_free1: DFF<Bit>,
    pr_way1: DFF<Bits<2>>,
    pr_b0: DFF<Bits<BB>>,
    pr_b1: DFF<Bits<BB>>,

    // Table writes
    tw_en: Signal<Local, Bit>,
    tw_all: Signal<Local, Bit>,
    tw_bank: Signal<Local, Bit>,
    tw_way: Signal<Local, Bits<2>>,
    tw_addr: Signal<Local, Bits<BB>>,
    tw_data: Signal<Local, Bits<SLOT_BITS>>,

    // Counters
    c_lookups: DFF<Bits<32>>,
    c_hits: DFF<Bits<32>>,
    c_held: DFF<Bits<32>>,
    c_misses: DFF<Bits<32>>,
    c_not_tcp: DFF<Bits<32>>,
    c_h1: DFF<Bits<32>>,
    c_h2: DFF<Bits<32>>,
    c_refused: DFF<Bits<32>>,
    c_insfail: DFF<Bits<32>>,
    c_flushes: DFF<Bits<32>>,
    c_updates: DFF<Bits<32>>,
    c_cmderr: DFF<Bits<32>>,
    c_conns: DFF<Bits<32>>,
    c_paths: DFF<Bits<32>>,
    c_nbrs: DFF<Bits<32>>,

    // Command processor
    st: DFF<OState>,
    init_i: DFF<Bits<17>>,
    op: DFF<Bits<8>>,
    tag: DFF<Bits<32>>,
    count: DFF<Bits<16>>,
    done: DFF<Bits<16>>,
    status: DFF<Bits<8>>,
    last_seen: DFF<Bit>,
    eh_kind: DFF<Bits<4>>,
    eh_reuse: DFF<Bit>,
    eh_handle: DFF<Bits<16>>,
    eh_ctx: DFF<Bits<32>>,
    bidx: DFF<Bits<4>>,
    blen: DFF<Bits<4>>,
    cap0: DFF<Bits<64>>,
    cap1: DFF<Bits<64>>,
    cap2: DFF<Bits<64>>,
    cap3: DFF<Bits<64>>,
    cap4: DFF<Bits<64>>,
    nbr_st: DFF<Bits<2>>,
    nbr_h: DFF<Bits<16>>,
    n_vlan: DFF<Bits<13>>,
    path_st: DFF<Bits<2>>,
    path_h: DFF<Bits<16>>,
    p_ipv6: DFF<Bit>,
    p_lip: DFF<Bits<128>>,
    p_rip: DFF<Bits<128>>,
    p_vlan: DFF<Bits<13>>,
    th: DFF<Bits<16>>,
    tmp_path: DFF<Bits<16>>,
    tmp_nbr: DFF<Bits<16>>,
    fl_state: DFF<Bits<2>>,
    saved: DFF<Bits<64>>,
    res_kind: DFF<Bits<8>>,
    res_st: DFF<Bits<8>>,
    res_h: DFF<Bits<16>>,
    res_ctx: DFF<Bits<32>>,
    cp_tgt: DFF<Bits<2>>,
    cp_base: DFF<Bits<20>>,
    cp_n: DFF<Bits<4>>,
    cp_i: DFF<Bits<4>>,
    em_i: DFF<Bits<4>>,
    si: DFF<Bits<5>>,
    // Command processor combinational helpers
    ev_w: Signal<Local, Bit>,
    ev_last: Signal<Local, Bit>,
    ev_d: Signal<Local, Bits<64>>,
    ev_a: Signal<Local, Bits<8>>,
    ev_b: Signal<Local, Bits<8>>,
    ev_c: Signal<Local, Bits<16>>,
    ev_d32: Signal<Local, Bits<32>>,
    ev_word: Signal<Local, Bits<64>>,
    pk_t: Signal<Local, Bits<64>>,
    info_a: Signal<Local, Bits<8>>,
    info_c: Signal<Local, Bits<16>>,
    info_word: Signal<Local, Bits<64>>,
    use_res: Signal<Local, Bit>,
    cmd_take: Signal<Local, Bit>,
    w: Signal<Local, Bits<64>>,
    h20: Signal<Local, Bits<20>>,
    h17: Signal<Local, Bits<17>>,
    a20: Signal<Local, Bits<20>>,
    cp_addr: Signal<Local, Bits<20>>,
    cp_wi: Signal<Local, Bits<20>>,
    lo128: Signal<Local, Bits<128>>,
    hi128: Signal<Local, Bits<128>>,
    lo128b: Signal<Local, Bits<128>>,
    hi128b: Signal<Local, Bits<128>>,
    entry_ok: Signal<Local, Bit>,
    kind_ok: Signal<Local, Bit>,
    ctx_ok: Signal<Local, Bit>,
    ref_m1: Signal<Local, Bits<16>>,
    stat_word: Signal<Local, Bits<32>>,
    ci_state: Signal<Local, Bits<2>>,
    ci_a8: Signal<Local, Bits<8>>,
    ci_way8: Signal<Local, Bits<8>>,
    ci_bank8: Signal<Local, Bits<8>>,
    one_bank: Signal<Local, Bit>,
}

impl<
    const CB: usize,
    const CB4: usize,
    const BB: usize,
    const PB: usize,
    const PB3: usize,
    const NB: usize,
    const NB2: usize,
> Offload<CB, CB4, BB, PB, PB3, NB, NB2>
{
    /// The core for `2^CB` connections, `2^PB` Paths and `2^NB` Neighbors; `fast_path`:
    /// a receive fast path answers the FLUSH queries (`m_fq_*`).
    pub fn new(timeout_cycles: u32, fast_path: bool) -> Self {
        assert!((8..=16).contains(&CB) && CB4 == CB + 4 && BB == CB - 2);
        assert!((4..=16).contains(&PB) && PB3 == PB + 3);
        assert!((4..=16).contains(&NB) && NB2 == NB + 2);
        let n = |b: usize| -> Constant<Bits<17>> { Constant::new((1u64 << b).to_bits()) };
        let caps0 = (1u64 << CB) | ((1u64 << PB) & 0xFFFF) << 32 | ((1u64 << NB) & 0xFFFF) << 48;
        let caps1 = 2u64 | 4 << 8 | (BB as u64) << 16 | 8 << 24 | (PROTOCOL_VERSION as u64) << 32;
        let mut s: Self = Self {
            clock: Default::default(),
            reset: Default::default(),
            s_cmd_tdata: Default::default(),
            s_cmd_tvalid: Default::default(),
            s_cmd_tlast: Default::default(),
            s_cmd_tready: Default::default(),
            m_evt_tdata: Default::default(),
            m_evt_tlast: Default::default(),
            m_evt_tvalid: Default::default(),
            m_evt_tready: Default::default(),
            s_meta_tdata: Default::default(),
            s_meta_tvalid: Default::default(),
            s_meta_tready: Default::default(),
            m_lk_meta: Default::default(),
            m_lk_status: Default::default(),
            m_lk_conn: Default::default(),
            m_lk_tvalid: Default::default(),
            m_lk_mark: Default::default(),
            m_act_valid: Default::default(),
            m_act_conn: Default::default(),
            m_act_ctx: Default::default(),
            m_act_nxt: Default::default(),
            m_act_wnd: Default::default(),
            m_act_wsh: Default::default(),
            s_up_valid: Default::default(),
            s_up_word: Default::default(),
            s_up_ready: Default::default(),
            m_fq_valid: Default::default(),
            m_fq_conn: Default::default(),
            s_fq_done: Default::default(),
            s_fq_active: Default::default(),
            s_fq_nxt: Default::default(),
            s_fq_wnd: Default::default(),
            m_act_mss: Default::default(),
            s_ak_valid: Default::default(),
            s_ak_conn: Default::default(),
            s_ak_ack: Default::default(),
            s_ak_win: Default::default(),
            s_ak_ready: Default::default(),
            m_ak_dst_mac: Default::default(),
            m_ak_src_mac: Default::default(),
            m_ak_vlan: Default::default(),
            m_ak_vlan_tci: Default::default(),
            m_ak_ipv6: Default::default(),
            m_ak_local_ip: Default::default(),
            m_ak_remote_ip: Default::default(),
            m_ak_ttl: Default::default(),
            m_ak_tos: Default::default(),
            m_ak_flow_label: Default::default(),
            m_ak_ip_id: Default::default(),
            m_ak_local_port: Default::default(),
            m_ak_remote_port: Default::default(),
            m_ak_seq: Default::default(),
            m_ak_ack: Default::default(),
            m_ak_window: Default::default(),
            m_ak_valid: Default::default(),
            m_ak_ready: Default::default(),
            m_ak_busy: Default::default(),
            hold_drops: Default::default(),
            oversize: Default::default(),
            ring_frames: Default::default(),
            ring_bytes: Default::default(),
            ring_drops: Default::default(),
            ring_dma_errors: Default::default(),
            ext_cmd_errors: Default::default(),
            rcv_placed_segs: Default::default(),
            rcv_placed_bytes: Default::default(),
            rcv_ooo_segs: Default::default(),
            rcv_dup_segs: Default::default(),
            rcv_out_of_window: Default::default(),
            rcv_ooo_drops: Default::default(),
            rcv_indicated: Default::default(),
            rcv_lists_done: Default::default(),
            rcv_acks: Default::default(),
            m_lk_tready: Default::default(),
            n_conns: n(CB),
            n_paths: n(PB),
            n_nbrs: n(NB),
            init_n: n(CB.max(PB).max(NB)),
            caps0: Constant::new(caps0.to_bits()),
            caps1: Constant::new(caps1.to_bits()),
            evt_fifo: SyncFifo::new(EVT_SLACK),
            lk_meta_fifo: SyncFifo::new(LK_SLACK),
            lk_res_fifo: SyncFifo::new(LK_SLACK),
            rec_key: Default::default(),
            prb_key: Default::default(),
            hash: Default::default(),
            slot_pack: Default::default(),
            t00: Default::default(),
            t01: Default::default(),
            t02: Default::default(),
            t03: Default::default(),
            t10: Default::default(),
            t11: Default::default(),
            t12: Default::default(),
            t13: Default::default(),
            held_ram: Default::default(),
            conn_dl: Default::default(),
            exc_fifo: SyncFifo::new(LK_SLACK),
            exc_reason: Default::default(),
            p5_flags: Default::default(),
            exc_word: Default::default(),
            now: Default::default(),
            sweep_i: Default::default(),
            timeout: Constant::new((timeout_cycles as u64).to_bits()),
            dl_diff: Default::default(),
            tcp_mem: Default::default(),
            path_mem: Default::default(),
            nbr_mem: Default::default(),
            conn_info: Default::default(),
            conn_loc: Default::default(),
            path_info: Default::default(),
            path_ref: Default::default(),
            nbr_info: Default::default(),
            nbr_ref: Default::default(),
            stage: Default::default(),
            conn_fl: Default::default(),
            conn_fl_wr: Default::default(),
            conn_fl_rd: Default::default(),
            conn_next: Default::default(),
            path_fl: Default::default(),
            path_fl_wr: Default::default(),
            path_fl_rd: Default::default(),
            path_next: Default::default(),
            nbr_fl: Default::default(),
            nbr_fl_wr: Default::default(),
            nbr_fl_rd: Default::default(),
            nbr_next: Default::default(),
            conn_avail: Default::default(),
            conn_alloc: Default::default(),
            path_avail: Default::default(),
            path_alloc: Default::default(),
            nbr_avail: Default::default(),
            nbr_alloc: Default::default(),
            p_take_rec: Default::default(),
            p1_v: Default::default(),
            p1_probe: Default::default(),
            p1_tcp: Default::default(),
            p1_rec: Default::default(),
            p1_key: Default::default(),
            p2_v: Default::default(),
            p2_probe: Default::default(),
            p2_tcp: Default::default(),
            p2_rec: Default::default(),
            p2_key: Default::default(),
            p2_h0: Default::default(),
            p2_h1: Default::default(),
            p3_v: Default::default(),
            p3_probe: Default::default(),
            p3_tcp: Default::default(),
            p3_rec: Default::default(),
            p3_key: Default::default(),
            p3_h0: Default::default(),
            p3_h1: Default::default(),
            m00: Default::default(),
            m01: Default::default(),
            m02: Default::default(),
            m03: Default::default(),
            m10: Default::default(),
            m11: Default::default(),
            m12: Default::default(),
            m13: Default::default(),
            f_found: Default::default(),
            f_conn: Default::default(),
            p4_v: Default::default(),
            p4_tcp: Default::default(),
            p4_rec: Default::default(),
            p4_found: Default::default(),
            p4_conn: Default::default(),
            p5_v: Default::default(),
            p5_tcp: Default::default(),
            p5_rec: Default::default(),
            p5_found: Default::default(),
            p5_conn: Default::default(),
            lk_status: Default::default(),
            lk_res: Default::default(),
            quiet: Default::default(),
            act_v: Default::default(),
            act_conn: Default::default(),
            act_ctx: Default::default(),
            act_nxt: Default::default(),
            act_wnd: Default::default(),
            act_wsh: Default::default(),
            act_mss: Default::default(),
            ak_conn: Default::default(),
            ak_path: Default::default(),
            ak_nbr: Default::default(),
            ak_i: Default::default(),
            ak_ok: Default::default(),
            ak_ret: Default::default(),
            ak_v: Default::default(),
            ka: Default::default(),
            kn: Default::default(),
            kw6: Default::default(),
            kcnt: Default::default(),
            a_dst_mac: Default::default(),
            a_src_mac: Default::default(),
            a_vlan: Default::default(),
            a_vlan_tci: Default::default(),
            a_ipv6: Default::default(),
            a_local_ip: Default::default(),
            a_remote_ip: Default::default(),
            a_ttl: Default::default(),
            a_tos: Default::default(),
            a_flow_label: Default::default(),
            a_ip_id: Default::default(),
            a_local_port: Default::default(),
            a_remote_port: Default::default(),
            a_seq: Default::default(),
            a_ack: Default::default(),
            a_window: Default::default(),
            fq_v: Default::default(),
            fq_act: Default::default(),
            fq_nxt: Default::default(),
            fq_wnd: Default::default(),
            k_fast: Constant::new(fast_path),
            wsc: Default::default(),
            pipe_idle: Default::default(),
            mk_w: Default::default(),
            mk_res: Default::default(),
            mk_conn: Default::default(),
            pr_req: Default::default(),
            pr_done: Default::default(),
            pr_found: Default::default(),
            pr_free0: Default::default(),
            pr_way0: Default::default(),
            pr_free1: Default::default(),
            pr_way1: Default::default(),
            pr_b0: Default::default(),
            pr_b1: Default::default(),
            tw_en: Default::default(),
            tw_all: Default::default(),
            tw_bank: Default::default(),
            tw_way: Default::default(),
            tw_addr: Default::default(),
            tw_data: Default::default(),
            c_lookups: Default::default(),
            c_hits: Default::default(),
            c_held: Default::default(),
            c_misses: Default::default(),
            c_not_tcp: Default::default(),
            c_h1: Default::default(),
            c_h2: Default::default(),
            c_refused: Default::default(),
            c_insfail: Default::default(),
            c_flushes: Default::default(),
            c_updates: Default::default(),
            c_cmderr: Default::default(),
            c_conns: Default::default(),
            c_paths: Default::default(),
            c_nbrs: Default::default(),
            st: Default::default(),
            init_i: Default::default(),
            op: Default::default(),
            tag: Default::default(),
            count: Default::default(),
            done: Default::default(),
            status: Default::default(),
            last_seen: Default::default(),
            eh_kind: Default::default(),
            eh_reuse: Default::default(),
            eh_handle: Default::default(),
            eh_ctx: Default::default(),
            bidx: Default::default(),
            blen: Default::default(),
            cap0: Default::default(),
            cap1: Default::default(),
            cap2: Default::default(),
            cap3: Default::default(),
            cap4: Default::default(),
            nbr_st: Default::default(),
            nbr_h: Default::default(),
            n_vlan: Default::default(),
            path_st: Default::default(),
            path_h: Default::default(),
            p_ipv6: Default::default(),
            p_lip: Default::default(),
            p_rip: Default::default(),
            p_vlan: Default::default(),
            th: Default::default(),
            tmp_path: Default::default(),
            tmp_nbr: Default::default(),
            fl_state: Default::default(),
            saved: Default::default(),
            res_kind: Default::default(),
            res_st: Default::default(),
            res_h: Default::default(),
            res_ctx: Default::default(),
            cp_tgt: Default::default(),
            cp_base: Default::default(),
            cp_n: Default::default(),
            cp_i: Default::default(),
            em_i: Default::default(),
            si: Default::default(),
            ev_w: Default::default(),
            ev_last: Default::default(),
            ev_d: Default::default(),
            ev_a: Default::default(),
            ev_b: Default::default(),
            ev_c: Default::default(),
            ev_d32: Default::default(),
            ev_word: Default::default(),
            pk_t: Default::default(),
            info_a: Default::default(),
            info_c: Default::default(),
            info_word: Default::default(),
            use_res: Default::default(),
            cmd_take: Default::default(),
            w: Default::default(),
            h20: Default::default(),
            h17: Default::default(),
            a20: Default::default(),
            cp_addr: Default::default(),
            cp_wi: Default::default(),
            lo128: Default::default(),
            hi128: Default::default(),
            lo128b: Default::default(),
            hi128b: Default::default(),
            entry_ok: Default::default(),
            kind_ok: Default::default(),
            ctx_ok: Default::default(),
            ref_m1: Default::default(),
            stat_word: Default::default(),
            ci_state: Default::default(),
            ci_a8: Default::default(),
            ci_way8: Default::default(),
            ci_bank8: Default::default(),
            one_bank: Default::default(),
        };
        s.st = Default::default();
        s
    }
}

impl<
    const CB: usize,
    const CB4: usize,
    const BB: usize,
    const PB: usize,
    const PB3: usize,
    const NB: usize,
    const NB2: usize,
> Default for Offload<CB, CB4, BB, PB, PB3, NB, NB2>
{
    fn default() -> Self {
        Self::new(156_250, false)
    }
}

impl<
    const CB: usize,
    const CB4: usize,
    const BB: usize,
    const PB: usize,
    const PB3: usize,
    const NB: usize,
    const NB2: usize,
> Logic for Offload<CB, CB4, BB, PB, PB3, NB, NB2>
{
    #[hdl_gen]
    fn update(&mut self) {
        // ---- Clocks and register defaults
        dff_setup!(
            self,
            clock,
            conn_fl_wr,
            conn_fl_rd,
            conn_next,
            path_fl_wr,
            path_fl_rd,
            path_next,
            nbr_fl_wr,
            nbr_fl_rd,
            nbr_next,
            p1_v,
            p1_probe,
            p1_tcp,
            p1_rec,
            p1_key,
            p2_v,
            p2_probe,
            p2_tcp,
            p2_rec,
            p2_key,
            p2_h0,
            p2_h1,
            p3_v,
            p3_probe,
            p3_tcp,
            p3_rec,
            p3_key,
            p3_h0,
            p3_h1,
            p4_v,
            p4_tcp,
            p4_rec,
            p4_found,
            p4_conn,
            p5_v,
            p5_tcp,
            p5_rec,
            p5_found,
            p5_conn,
            pr_req,
            pr_done,
            pr_found,
            pr_free0,
            pr_way0,
            pr_free1,
            pr_way1,
            pr_b0,
            pr_b1,
            c_lookups,
            c_hits,
            c_held,
            c_misses,
            c_not_tcp,
            c_h1,
            c_h2,
            c_refused,
            c_insfail,
            c_flushes,
            c_updates,
            c_cmderr,
            c_conns,
            c_paths,
            c_nbrs,
            st,
            init_i,
            op,
            tag,
            count,
            done,
            status,
            last_seen,
            eh_kind,
            eh_reuse,
            eh_handle,
            eh_ctx,
            bidx,
            blen,
            cap0,
            cap1,
            cap2,
            cap3,
            cap4,
            nbr_st,
            nbr_h,
            n_vlan,
            path_st,
            path_h,
            p_ipv6,
            p_lip,
            p_rip,
            p_vlan,
            th,
            tmp_path,
            tmp_nbr,
            fl_state,
            saved,
            res_kind,
            res_st,
            res_h,
            res_ctx,
            cp_tgt,
            cp_base,
            cp_n,
            cp_i,
            em_i,
            si,
            now,
            sweep_i,
            quiet,
            act_v,
            act_conn,
            act_ctx,
            act_nxt,
            act_wnd,
            act_wsh,
            fq_v,
            fq_act,
            fq_nxt,
            fq_wnd,
            act_mss,
            ak_conn,
            ak_path,
            ak_nbr,
            ak_i,
            ak_ok,
            ak_ret,
            ak_v,
            a_dst_mac,
            a_src_mac,
            a_vlan,
            a_vlan_tci,
            a_ipv6,
            a_local_ip,
            a_remote_ip,
            a_ttl,
            a_tos,
            a_flow_label,
            a_ip_id,
            a_local_port,
            a_remote_port,
            a_seq,
            a_ack,
            a_window
        );
        self.m_fq_valid.next = self.fq_v.q.val();
        self.m_fq_conn.next = self.eh_handle.q.val();
        self.act_v.d.next = false;
        self.m_act_valid.next = self.act_v.q.val();
        self.m_act_conn.next = self.act_conn.q.val();
        self.m_act_ctx.next = self.act_ctx.q.val();
        self.m_act_nxt.next = self.act_nxt.q.val();
        self.m_act_wnd.next = self.act_wnd.q.val();
        self.m_act_wsh.next = self.act_wsh.q.val();
        self.m_act_mss.next = self.act_mss.q.val();
        self.m_ak_dst_mac.next = self.a_dst_mac.q.val();
        self.m_ak_src_mac.next = self.a_src_mac.q.val();
        self.m_ak_vlan.next = self.a_vlan.q.val();
        self.m_ak_vlan_tci.next = self.a_vlan_tci.q.val();
        self.m_ak_ipv6.next = self.a_ipv6.q.val();
        self.m_ak_local_ip.next = self.a_local_ip.q.val();
        self.m_ak_remote_ip.next = self.a_remote_ip.q.val();
        self.m_ak_ttl.next = self.a_ttl.q.val();
        self.m_ak_tos.next = self.a_tos.q.val();
        self.m_ak_flow_label.next = self.a_flow_label.q.val();
        self.m_ak_ip_id.next = self.a_ip_id.q.val();
        self.m_ak_local_port.next = self.a_local_port.q.val();
        self.m_ak_remote_port.next = self.a_remote_port.q.val();
        self.m_ak_seq.next = self.a_seq.q.val();
        self.m_ak_ack.next = self.a_ack.q.val();
        self.m_ak_window.next = self.a_window.q.val();
        self.m_ak_valid.next = self.ak_v.q.val();
        self.m_ak_busy.next = (self.st.q.val() == OState::AkA)
            | (self.st.q.val() == OState::AkB)
            | (self.st.q.val() == OState::AkC)
            | (self.st.q.val() == OState::AkOut);
        self.s_ak_ready.next = false;
        self.ka.next = 0.into();
        self.kn.next = 0.into();
        self.kw6.next = 0.into();
        self.kcnt.next = 0.into();
        self.wsc.next = 0.into();
        self.now.d.next = self.now.q.val() + 1;
        clock!(self, clock, evt_fifo, lk_meta_fifo, lk_res_fifo, exc_fifo);
        self.exc_fifo.reset.next = self.reset.val();
        self.conn_dl.read_clock.next = self.clock.val();
        self.conn_dl.write_clock.next = self.clock.val();
        self.conn_dl.write_enable.next = false;
        self.conn_dl.write_address.next = self.th.q.val().get_bits::<CB>(0);
        self.conn_dl.write_data.next = self.now.q.val() + self.timeout.val();
        self.conn_dl.read_address.next = self.sweep_i.q.val().get_bits::<CB>(0);
        self.exc_fifo.read.next = false;
        self.evt_fifo.reset.next = self.reset.val();
        self.lk_meta_fifo.reset.next = self.reset.val();
        self.lk_res_fifo.reset.next = self.reset.val();
        self.t00.read_clock.next = self.clock.val();
        self.t00.write_clock.next = self.clock.val();
        self.t01.read_clock.next = self.clock.val();
        self.t01.write_clock.next = self.clock.val();
        self.t02.read_clock.next = self.clock.val();
        self.t02.write_clock.next = self.clock.val();
        self.t03.read_clock.next = self.clock.val();
        self.t03.write_clock.next = self.clock.val();
        self.t10.read_clock.next = self.clock.val();
        self.t10.write_clock.next = self.clock.val();
        self.t11.read_clock.next = self.clock.val();
        self.t11.write_clock.next = self.clock.val();
        self.t12.read_clock.next = self.clock.val();
        self.t12.write_clock.next = self.clock.val();
        self.t13.read_clock.next = self.clock.val();
        self.t13.write_clock.next = self.clock.val();
        self.held_ram.read_clock.next = self.clock.val();
        self.held_ram.write_clock.next = self.clock.val();
        self.tcp_mem.read_clock.next = self.clock.val();
        self.tcp_mem.write_clock.next = self.clock.val();
        self.path_mem.read_clock.next = self.clock.val();
        self.path_mem.write_clock.next = self.clock.val();
        self.nbr_mem.read_clock.next = self.clock.val();
        self.nbr_mem.write_clock.next = self.clock.val();
        self.conn_info.read_clock.next = self.clock.val();
        self.conn_info.write_clock.next = self.clock.val();
        self.conn_loc.read_clock.next = self.clock.val();
        self.conn_loc.write_clock.next = self.clock.val();
        self.path_info.read_clock.next = self.clock.val();
        self.path_info.write_clock.next = self.clock.val();
        self.path_ref.read_clock.next = self.clock.val();
        self.path_ref.write_clock.next = self.clock.val();
        self.nbr_info.read_clock.next = self.clock.val();
        self.nbr_info.write_clock.next = self.clock.val();
        self.nbr_ref.read_clock.next = self.clock.val();
        self.nbr_ref.write_clock.next = self.clock.val();
        self.stage.read_clock.next = self.clock.val();
        self.stage.write_clock.next = self.clock.val();
        self.conn_fl.read_clock.next = self.clock.val();
        self.conn_fl.write_clock.next = self.clock.val();
        self.path_fl.read_clock.next = self.clock.val();
        self.path_fl.write_clock.next = self.clock.val();
        self.nbr_fl.read_clock.next = self.clock.val();
        self.nbr_fl.write_clock.next = self.clock.val();

        // ---- Memory port defaults (no write, read address 0)
        self.held_ram.write_enable.next = false;
        self.held_ram.write_address.next = self.th.q.val().get_bits::<CB>(0);
        self.held_ram.write_data.next = 0.into();
        self.tcp_mem.write_enable.next = false;
        self.tcp_mem.read_address.next = 0.into();
        self.path_mem.write_enable.next = false;
        self.path_mem.read_address.next = 0.into();
        self.nbr_mem.write_enable.next = false;
        self.nbr_mem.read_address.next = 0.into();
        self.conn_info.write_enable.next = false;
        self.conn_info.read_address.next = self.eh_handle.q.val().get_bits::<CB>(0);
        self.conn_info.write_address.next = self.th.q.val().get_bits::<CB>(0);
        self.conn_info.write_data.next = 0.into();
        self.conn_loc.write_enable.next = false;
        self.conn_loc.read_address.next = self.eh_handle.q.val().get_bits::<CB>(0);
        self.conn_loc.write_address.next = self.th.q.val().get_bits::<CB>(0);
        self.conn_loc.write_data.next = 0.into();
        self.path_info.write_enable.next = false;
        self.path_info.read_address.next = self.eh_handle.q.val().get_bits::<PB>(0);
        self.path_info.write_address.next = self.th.q.val().get_bits::<PB>(0);
        self.path_info.write_data.next = 0.into();
        self.path_ref.write_enable.next = false;
        self.path_ref.read_address.next = self.path_h.q.val().get_bits::<PB>(0);
        self.path_ref.write_address.next = self.path_h.q.val().get_bits::<PB>(0);
        self.path_ref.write_data.next = 0.into();
        self.nbr_info.write_enable.next = false;
        self.nbr_info.read_address.next = self.eh_handle.q.val().get_bits::<NB>(0);
        self.nbr_info.write_address.next = self.th.q.val().get_bits::<NB>(0);
        self.nbr_info.write_data.next = 0.into();
        self.nbr_ref.write_enable.next = false;
        self.nbr_ref.read_address.next = self.nbr_h.q.val().get_bits::<NB>(0);
        self.nbr_ref.write_address.next = self.nbr_h.q.val().get_bits::<NB>(0);
        self.nbr_ref.write_data.next = 0.into();
        self.stage.write_enable.next = false;
        self.stage.write_address.next = self.bidx.q.val();
        self.stage.write_data.next = self.s_cmd_tdata.val();
        self.stage.read_address.next = self.cp_i.q.val();
        self.conn_fl.write_enable.next = false;
        self.conn_fl.write_address.next = self.conn_fl_wr.q.val().get_bits::<CB>(0);
        self.conn_fl.write_data.next = self.th.q.val();
        self.conn_fl.read_address.next = self.conn_fl_rd.q.val().get_bits::<CB>(0);
        self.path_fl.write_enable.next = false;
        self.path_fl.write_address.next = self.path_fl_wr.q.val().get_bits::<PB>(0);
        self.path_fl.write_data.next = self.tmp_path.q.val();
        self.path_fl.read_address.next = self.path_fl_rd.q.val().get_bits::<PB>(0);
        self.nbr_fl.write_enable.next = false;
        self.nbr_fl.write_address.next = self.nbr_fl_wr.q.val().get_bits::<NB>(0);
        self.nbr_fl.write_data.next = self.tmp_nbr.q.val();
        self.nbr_fl.read_address.next = self.nbr_fl_rd.q.val().get_bits::<NB>(0);

        // ---- Free lists: FIFO head, else the lowest handle never used
        self.conn_avail.next = (self.conn_fl_wr.q.val() != self.conn_fl_rd.q.val())
            | (self.conn_next.q.val() < self.n_conns.val());
        self.conn_alloc.next = self.conn_next.q.val().get_bits::<16>(0);
        if self.conn_fl_wr.q.val() != self.conn_fl_rd.q.val() {
            self.conn_alloc.next = self.conn_fl.read_data.val();
        }
        self.path_avail.next = (self.path_fl_wr.q.val() != self.path_fl_rd.q.val())
            | (self.path_next.q.val() < self.n_paths.val());
        self.path_alloc.next = self.path_next.q.val().get_bits::<16>(0);
        if self.path_fl_wr.q.val() != self.path_fl_rd.q.val() {
            self.path_alloc.next = self.path_fl.read_data.val();
        }
        self.nbr_avail.next = (self.nbr_fl_wr.q.val() != self.nbr_fl_rd.q.val())
            | (self.nbr_next.q.val() < self.n_nbrs.val());
        self.nbr_alloc.next = self.nbr_next.q.val().get_bits::<16>(0);
        if self.nbr_fl_wr.q.val() != self.nbr_fl_rd.q.val() {
            self.nbr_alloc.next = self.nbr_fl.read_data.val();
        }

        // ---- Lookup pipeline
        // P0: a probe from the command processor, else a record.
        self.rec_key.ipv6.next = self.s_meta_tdata.val().ip6.any();
        self.rec_key.vlan_present.next = self.s_meta_tdata.val().vlan_valid.any();
        self.rec_key.vlan_id.next = self.s_meta_tdata.val().vlan_id;
        self.rec_key.local_ip.next = self.s_meta_tdata.val().dst_ip;
        self.rec_key.remote_ip.next = self.s_meta_tdata.val().src_ip;
        self.rec_key.local_port.next = self.s_meta_tdata.val().dst_port;
        self.rec_key.remote_port.next = self.s_meta_tdata.val().src_port;
        self.prb_key.ipv6.next = self.p_ipv6.q.val();
        self.prb_key.vlan_present.next = self.p_vlan.q.val().get_bit(12);
        self.prb_key.vlan_id.next = self.p_vlan.q.val().get_bits::<12>(0);
        self.prb_key.local_ip.next = self.p_lip.q.val();
        self.prb_key.remote_ip.next = self.p_rip.q.val();
        self.prb_key.local_port.next = self.cap0.q.val().get_bits::<16>(0);
        self.prb_key.remote_port.next = self.cap0.q.val().get_bits::<16>(16);
        self.s_meta_tready.next = (self.st.q.val() != OState::Init)
            & !self.pr_req.q.val()
            & !self.quiet.q.val()
            & !self.lk_meta_fifo.almost_full.val()
            & !self.exc_fifo.almost_full.val();
        self.p_take_rec.next = self.s_meta_tready.val() & self.s_meta_tvalid.val();
        self.p1_v.d.next = self.p_take_rec.val() | self.pr_req.q.val();
        self.p1_probe.d.next = self.pr_req.q.val();
        self.p1_tcp.d.next = self.s_meta_tdata.val().tcp_valid.any() & !self.pr_req.q.val();
        self.p1_rec.d.next = self.s_meta_tdata.val();
        self.p1_key.d.next = self.rec_key.key.val();
        if self.pr_req.q.val() {
            self.p1_key.d.next = self.prb_key.key.val();
        }
        // P1: hash.
        self.hash.key.next = self.p1_key.q.val();
        self.p2_v.d.next = self.p1_v.q.val();
        self.p2_probe.d.next = self.p1_probe.q.val();
        self.p2_tcp.d.next = self.p1_tcp.q.val();
        self.p2_rec.d.next = self.p1_rec.q.val();
        self.p2_key.d.next = self.p1_key.q.val();
        self.p2_h0.d.next = self.hash.h0.val();
        self.p2_h1.d.next = self.hash.h1.val();
        // P2: read both buckets.
        self.t00.read_address.next = self.p2_h0.q.val();
        self.t01.read_address.next = self.p2_h0.q.val();
        self.t02.read_address.next = self.p2_h0.q.val();
        self.t03.read_address.next = self.p2_h0.q.val();
        self.t10.read_address.next = self.p2_h1.q.val();
        self.t11.read_address.next = self.p2_h1.q.val();
        self.t12.read_address.next = self.p2_h1.q.val();
        self.t13.read_address.next = self.p2_h1.q.val();
        self.p3_v.d.next = self.p2_v.q.val();
        self.p3_probe.d.next = self.p2_probe.q.val();
        self.p3_tcp.d.next = self.p2_tcp.q.val();
        self.p3_rec.d.next = self.p2_rec.q.val();
        self.p3_key.d.next = self.p2_key.q.val();
        self.p3_h0.d.next = self.p2_h0.q.val();
        self.p3_h1.d.next = self.p2_h1.q.val();
        // P3: compare 8 keys.
        self.m00.next = self.t00.read_data.val().get_bit(0)
            & (self.t00.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.m01.next = self.t01.read_data.val().get_bit(0)
            & (self.t01.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.m02.next = self.t02.read_data.val().get_bit(0)
            & (self.t02.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.m03.next = self.t03.read_data.val().get_bit(0)
            & (self.t03.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.m10.next = self.t10.read_data.val().get_bit(0)
            & (self.t10.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.m11.next = self.t11.read_data.val().get_bit(0)
            & (self.t11.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.m12.next = self.t12.read_data.val().get_bit(0)
            & (self.t12.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.m13.next = self.t13.read_data.val().get_bit(0)
            & (self.t13.read_data.val().get_bits::<FLOW_KEY_BITS>(1) == self.p3_key.q.val());
        self.f_found.next = self.m00.val()
            | self.m01.val()
            | self.m02.val()
            | self.m03.val()
            | self.m10.val()
            | self.m11.val()
            | self.m12.val()
            | self.m13.val();
        self.f_conn.next = 0.into();
        if self.m00.val() {
            self.f_conn.next = self.t00.read_data.val().get_bits::<16>(303);
        }
        if self.m01.val() {
            self.f_conn.next = self.t01.read_data.val().get_bits::<16>(303);
        }
        if self.m02.val() {
            self.f_conn.next = self.t02.read_data.val().get_bits::<16>(303);
        }
        if self.m03.val() {
            self.f_conn.next = self.t03.read_data.val().get_bits::<16>(303);
        }
        if self.m10.val() {
            self.f_conn.next = self.t10.read_data.val().get_bits::<16>(303);
        }
        if self.m11.val() {
            self.f_conn.next = self.t11.read_data.val().get_bits::<16>(303);
        }
        if self.m12.val() {
            self.f_conn.next = self.t12.read_data.val().get_bits::<16>(303);
        }
        if self.m13.val() {
            self.f_conn.next = self.t13.read_data.val().get_bits::<16>(303);
        }
        self.p4_v.d.next = self.p3_v.q.val() & !self.p3_probe.q.val();
        self.p4_tcp.d.next = self.p3_tcp.q.val();
        self.p4_rec.d.next = self.p3_rec.q.val();
        self.p4_found.d.next = self.f_found.val() & self.p3_tcp.q.val();
        self.p4_conn.d.next = self.f_conn.val();
        self.pr_done.d.next = self.p3_v.q.val() & self.p3_probe.q.val();
        if self.p3_v.q.val() & self.p3_probe.q.val() {
            self.pr_found.d.next = self.f_found.val();
            self.pr_b0.d.next = self.p3_h0.q.val();
            self.pr_b1.d.next = self.p3_h1.q.val();
            // First free way of each bank.
            self.pr_free0.d.next = true;
            if !self.t00.read_data.val().get_bit(0) {
                self.pr_way0.d.next = 0.into();
            } else if !self.t01.read_data.val().get_bit(0) {
                self.pr_way0.d.next = 1.into();
            } else if !self.t02.read_data.val().get_bit(0) {
                self.pr_way0.d.next = 2.into();
            } else if !self.t03.read_data.val().get_bit(0) {
                self.pr_way0.d.next = 3.into();
            } else {
                self.pr_free0.d.next = false;
            }
            self.pr_free1.d.next = true;
            if !self.t10.read_data.val().get_bit(0) {
                self.pr_way1.d.next = 0.into();
            } else if !self.t11.read_data.val().get_bit(0) {
                self.pr_way1.d.next = 1.into();
            } else if !self.t12.read_data.val().get_bit(0) {
                self.pr_way1.d.next = 2.into();
            } else if !self.t13.read_data.val().get_bit(0) {
                self.pr_way1.d.next = 3.into();
            } else {
                self.pr_free1.d.next = false;
            }
        }
        // P4: held bit of the connection found.
        self.held_ram.read_address.next = self.p4_conn.q.val().get_bits::<CB>(0);
        self.p5_v.d.next = self.p4_v.q.val();
        self.p5_tcp.d.next = self.p4_tcp.q.val();
        self.p5_rec.d.next = self.p4_rec.q.val();
        self.p5_found.d.next = self.p4_found.q.val();
        self.p5_conn.d.next = self.p4_conn.q.val();
        // P5: status, output, counters.
        self.lk_status.next = 0.into();
        if self.p5_tcp.q.val() {
            if !self.p5_found.q.val() {
                self.lk_status.next = 1.into();
            } else if self.held_ram.read_data.val() == 1 {
                self.lk_status.next = 2.into();
            } else if self.held_ram.read_data.val() == 2 {
                self.lk_status.next = 1.into();
            } else {
                self.lk_status.next = 3.into();
            }
        }
        // The handle goes out with held and hit records only (0 for not TCP and misses).
        self.lk_res.next = bit_cast::<19, 16>(self.p5_conn.q.val());
        if !self.lk_status.val().get_bit(1) {
            self.lk_res.next = 0.into();
        }
        // Exceptions on offloaded connections: RST, FIN, SYN, URG (in that order).
        self.dl_diff.next = 0.into();
        self.exc_reason.next = 0.into();
        self.p5_flags.next = self.p5_rec.q.val().tcp_flags;
        if self.p5_flags.val().get_bit(5) {
            self.exc_reason.next = 5.into();
        }
        if self.p5_flags.val().get_bit(1) {
            self.exc_reason.next = 4.into();
        }
        if self.p5_flags.val().get_bit(0) {
            self.exc_reason.next = 3.into();
        }
        if self.p5_flags.val().get_bit(2) {
            self.exc_reason.next = 2.into();
        }
        self.exc_word.next = bit_cast::<24, 8>(self.exc_reason.val());
        self.exc_word.next = self.exc_word.val() << 16;
        self.exc_word.next = self.exc_word.val() | bit_cast::<24, 16>(self.p5_conn.q.val());
        self.exc_fifo.data_in.next = self.exc_word.val();
        self.exc_fifo.write.next =
            self.p5_v.q.val() & (self.lk_status.val() == 3) & (self.exc_reason.val() != 0);
        // Upload requests of the receive fast path share the FIFO (the lookup pipeline
        // first): same once-per-connection rule, same event.
        self.s_up_ready.next = !self.exc_fifo.write.val() & !self.exc_fifo.full.val();
        if self.s_up_valid.val() & self.s_up_ready.val() {
            self.exc_fifo.write.next = true;
            self.exc_fifo.data_in.next = self.s_up_word.val();
        }
        self.lk_res.next = self.lk_res.val() << 2;
        self.lk_res.next = self.lk_res.val() | bit_cast::<19, 2>(self.lk_status.val());
        // Release markers (see `pipe_idle`): written only while P5 is empty.
        self.pipe_idle.next = !self.p1_v.q.val()
            & !self.p2_v.q.val()
            & !self.p3_v.q.val()
            & !self.p4_v.q.val()
            & !self.p5_v.q.val()
            & !self.lk_meta_fifo.full.val();
        self.mk_w.next = false;
        self.mk_conn.next = bit_cast::<19, 16>(self.eh_handle.q.val());
        self.mk_conn.next = self.mk_conn.val() << 2;
        self.mk_res.next = 0.into();
        self.lk_meta_fifo.data_in.next = self.p5_rec.q.val();
        self.lk_res_fifo.data_in.next = self.lk_res.val();
        self.lk_meta_fifo.write.next = self.p5_v.q.val();
        self.lk_res_fifo.write.next = self.p5_v.q.val();
        if self.p5_v.q.val() {
            if self.lk_status.val() == 0 {
                self.c_not_tcp.d.next = self.c_not_tcp.q.val() + 1;
            } else {
                self.c_lookups.d.next = self.c_lookups.q.val() + 1;
            }
            if self.lk_status.val() == 1 {
                self.c_misses.d.next = self.c_misses.q.val() + 1;
            }
            if self.lk_status.val() == 2 {
                self.c_held.d.next = self.c_held.q.val() + 1;
            }
            if self.lk_status.val() == 3 {
                self.c_hits.d.next = self.c_hits.q.val() + 1;
            }
        }
        self.m_lk_meta.next = self.lk_meta_fifo.data_out.val();
        self.m_lk_status.next = self.lk_res_fifo.data_out.val().get_bits::<2>(0);
        self.m_lk_conn.next = self.lk_res_fifo.data_out.val().get_bits::<16>(2);
        self.m_lk_mark.next = self.lk_res_fifo.data_out.val().get_bit(18);
        self.m_lk_tvalid.next = !self.lk_meta_fifo.empty.val();
        self.lk_meta_fifo.read.next = self.m_lk_tready.val() & !self.lk_meta_fifo.empty.val();
        self.lk_res_fifo.read.next = self.m_lk_tready.val() & !self.lk_meta_fifo.empty.val();

        // ---- Table writes (one port per way)
        self.tw_en.next = false;
        self.tw_all.next = false;
        self.tw_bank.next = false;
        self.tw_way.next = 0.into();
        self.tw_addr.next = 0.into();
        self.tw_data.next = 0.into();
        self.slot_pack.key.next = self.prb_key.key.val();
        self.slot_pack.conn.next = self.th.q.val();

        // ---- Events
        self.ev_w.next = false;
        self.ev_last.next = false;
        self.ev_d.next = 0.into();
        self.use_res.next = false;
        self.ev_a.next = self.res_kind.q.val();
        self.ev_b.next = self.res_st.q.val();
        self.ev_c.next = self.res_h.q.val();
        self.ev_d32.next = self.res_ctx.q.val();
        self.info_a.next = 0.into();
        self.info_c.next = 0.into();
        self.info_word.next = 0.into();
        self.ev_word.next = 0.into();
        self.pk_t.next = 0.into();

        // ---- Command processor helpers
        self.cmd_take.next = false;
        self.w.next = self.s_cmd_tdata.val();
        self.h20.next = bit_cast::<20, 16>(self.th.q.val());
        self.h17.next = bit_cast::<17, 16>(self.eh_handle.q.val());
        self.a20.next = 0.into();
        self.cp_wi.next = bit_cast::<20, 4>(self.cp_i.q.val());
        self.cp_wi.next = self.cp_wi.val() - 1;
        self.cp_addr.next = self.cp_base.q.val() + self.cp_wi.val();
        self.lo128.next = bit_cast::<128, 64>(self.cap2.q.val());
        self.hi128.next = bit_cast::<128, 64>(self.cap1.q.val());
        self.hi128.next = self.hi128.val() << 64;
        self.lo128b.next = bit_cast::<128, 64>(self.cap4.q.val());
        self.hi128b.next = bit_cast::<128, 64>(self.cap3.q.val());
        self.hi128b.next = self.hi128b.val() << 64;
        self.entry_ok.next = false;
        self.kind_ok.next = (self.w.val().get_bits::<4>(0) == 1)
            | (self.w.val().get_bits::<4>(0) == 2)
            | (self.w.val().get_bits::<4>(0) == 3);
        self.ctx_ok.next = false;
        self.ref_m1.next = 0.into();
        self.ci_state.next = 0.into();
        self.ci_a8.next = 0.into();
        self.ci_way8.next = 0.into();
        self.ci_bank8.next = 0.into();
        self.one_bank.next = false;
        self.stat_word.next = 0.into();
        self.s_cmd_tready.next = false;

        // Copy loop: stage[i] → memory at cp_base + i (i = 0..cp_n), one word per clock.
        self.tcp_mem.write_address.next = self.cp_addr.val().get_bits::<CB4>(0);
        self.tcp_mem.write_data.next = self.stage.read_data.val();
        self.path_mem.write_address.next = self.cp_addr.val().get_bits::<PB3>(0);
        self.path_mem.write_data.next = self.stage.read_data.val();
        self.nbr_mem.write_address.next = self.cp_addr.val().get_bits::<NB2>(0);
        self.nbr_mem.write_data.next = self.stage.read_data.val();

        match self.st.q.val() {
            OState::Init => {
                // Clear the table and the info memories.
                self.tw_en.next = true;
                self.tw_all.next = true;
                self.tw_addr.next = self.init_i.q.val().get_bits::<BB>(0);
                self.conn_info.write_enable.next = true;
                self.conn_info.write_address.next = self.init_i.q.val().get_bits::<CB>(0);
                self.path_info.write_enable.next = true;
                self.path_info.write_address.next = self.init_i.q.val().get_bits::<PB>(0);
                self.nbr_info.write_enable.next = true;
                self.nbr_info.write_address.next = self.init_i.q.val().get_bits::<NB>(0);
                self.init_i.d.next = self.init_i.q.val() + 1;
                if self.init_i.q.val() + 1 == self.init_n.val() {
                    self.st.d.next = OState::Idle;
                }
            }
            OState::Idle => {
                // ACK requests first (they keep the fast path going), then upload
                // requests, then commands; sweeps when idle.
                self.s_cmd_tready.next = !self.evt_fifo.almost_full.val()
                    & self.exc_fifo.empty.val()
                    & !self.s_ak_valid.val();
                if self.s_ak_valid.val() {
                    self.s_ak_ready.next = true;
                    self.ak_ret.d.next = false;
                    self.st.d.next = OState::AkA;
                } else if !self.evt_fifo.almost_full.val() & !self.exc_fifo.empty.val() {
                    self.st.d.next = OState::UrRead;
                } else if !self.s_cmd_tvalid.val() & !self.evt_fifo.almost_full.val() {
                    self.st.d.next = OState::SwRead;
                }
                if self.s_cmd_tvalid.val() & self.s_cmd_tready.val() {
                    self.cmd_take.next = true;
                    self.op.d.next = self.w.val().get_bits::<8>(0);
                    self.count.d.next = self.w.val().get_bits::<16>(16);
                    self.tag.d.next = self.w.val().get_bits::<32>(32);
                    self.last_seen.d.next = self.s_cmd_tlast.val();
                    self.done.d.next = 0.into();
                    self.status.d.next = 0.into();
                    self.nbr_st.d.next = 0.into();
                    self.path_st.d.next = 0.into();
                    self.si.d.next = 0.into();
                    // Header check.
                    self.entry_ok.next =
                        (self.w.val().get_bits::<8>(0) >= 1) & (self.w.val().get_bits::<8>(0) <= 7);
                    self.ev_w.next = true;
                    self.ev_a.next = self.w.val().get_bits::<8>(0) | 0x80;
                    self.ev_b.next = 0.into();
                    self.ev_c.next = 0.into();
                    self.ev_d32.next = self.w.val().get_bits::<32>(32);
                    self.use_res.next = true;
                    if !self.entry_ok.val() {
                        self.status.d.next = 3.into();
                        self.ev_a.next = 0xFF.into();
                    } else if self.w.val().get_bits::<8>(8) != 0 {
                        self.status.d.next = 4.into();
                        self.ev_a.next = 0xFF.into();
                    } else if ((self.w.val().get_bits::<8>(0) == 1)
                        | (self.w.val().get_bits::<8>(0) == 7))
                        & (self.w.val().get_bits::<16>(16) != 0)
                    {
                        self.status.d.next = 4.into();
                        self.ev_a.next = 0xFF.into();
                    } else if (self.w.val().get_bits::<8>(0) == 5)
                        & (self.w.val().get_bits::<16>(16) != 1)
                    {
                        self.status.d.next = 4.into();
                        self.ev_a.next = 0xFF.into();
                    }
                    if self.ev_a.val() == 0xFF {
                        if self.s_cmd_tlast.val() {
                            self.st.d.next = OState::Trailer;
                        } else {
                            self.st.d.next = OState::Drain;
                        }
                    } else if self.w.val().get_bits::<8>(0) == 1 {
                        self.st.d.next = OState::Caps0;
                    } else if self.w.val().get_bits::<8>(0) == 7 {
                        self.st.d.next = OState::StatsW;
                    } else {
                        self.st.d.next = OState::Entry;
                    }
                }
            }
            OState::Caps0 => {
                self.ev_w.next = true;
                self.ev_d.next = self.caps0.val();
                self.st.d.next = OState::Caps1;
            }
            OState::Caps1 => {
                self.ev_w.next = true;
                self.ev_d.next = self.caps1.val();
                self.st.d.next = OState::CheckEnd;
            }
            OState::StatsW => {
                self.ev_w.next = true;
                match self.si.q.val().index() {
                    0 => self.stat_word.next = self.c_lookups.q.val(),
                    1 => self.stat_word.next = self.c_hits.q.val(),
                    2 => self.stat_word.next = self.c_held.q.val(),
                    3 => self.stat_word.next = self.c_misses.q.val(),
                    4 => self.stat_word.next = self.c_not_tcp.q.val(),
                    5 => self.stat_word.next = self.c_h1.q.val(),
                    6 => self.stat_word.next = self.c_h2.q.val(),
                    7 => self.stat_word.next = self.c_refused.q.val(),
                    8 => self.stat_word.next = self.c_insfail.q.val(),
                    9 => self.stat_word.next = self.c_flushes.q.val(),
                    10 => self.stat_word.next = self.c_updates.q.val(),
                    11 => self.stat_word.next = self.c_cmderr.q.val() + self.ext_cmd_errors.val(),
                    12 => self.stat_word.next = self.c_conns.q.val(),
                    13 => self.stat_word.next = self.c_paths.q.val(),
                    14 => self.stat_word.next = self.c_nbrs.q.val(),
                    15 => self.stat_word.next = self.hold_drops.val(),
                    16 => self.stat_word.next = self.oversize.val(),
                    17 => self.stat_word.next = self.ring_frames.val(),
                    18 => self.stat_word.next = self.ring_bytes.val(),
                    19 => self.stat_word.next = self.ring_drops.val(),
                    20 => self.stat_word.next = self.ring_dma_errors.val(),
                    21 => self.stat_word.next = self.rcv_placed_segs.val(),
                    22 => self.stat_word.next = self.rcv_placed_bytes.val(),
                    23 => self.stat_word.next = self.rcv_ooo_segs.val(),
                    24 => self.stat_word.next = self.rcv_dup_segs.val(),
                    25 => self.stat_word.next = self.rcv_out_of_window.val(),
                    26 => self.stat_word.next = self.rcv_ooo_drops.val(),
                    27 => self.stat_word.next = self.rcv_indicated.val(),
                    28 => self.stat_word.next = self.rcv_lists_done.val(),
                    29 => self.stat_word.next = self.rcv_acks.val(),
                    _ => self.stat_word.next = 0.into(),
                }
                self.ev_d.next = bit_cast::<64, 32>(self.stat_word.val());
                self.si.d.next = self.si.q.val() + 1;
                if self.si.q.val() == 29 {
                    self.st.d.next = OState::CheckEnd;
                }
            }
            OState::Entry => {
                if self.done.q.val() == self.count.q.val() {
                    self.st.d.next = OState::CheckEnd;
                } else if self.last_seen.q.val() {
                    self.status.d.next = 1.into();
                    self.st.d.next = OState::Trailer;
                } else if !self.evt_fifo.almost_full.val() {
                    self.s_cmd_tready.next = true;
                    if self.s_cmd_tvalid.val() {
                        self.cmd_take.next = true;
                        self.last_seen.d.next = self.s_cmd_tlast.val();
                        self.eh_kind.d.next = self.w.val().get_bits::<4>(0);
                        self.eh_reuse.d.next = self.w.val().get_bit(4);
                        self.eh_handle.d.next = self.w.val().get_bits::<16>(16);
                        self.eh_ctx.d.next = self.w.val().get_bits::<32>(32);
                        self.bidx.d.next = 0.into();
                        self.entry_ok.next = self.kind_ok.val()
                            & (self.w.val().get_bits::<11>(5) == 0)
                            & !self.w.val().get_bit(4);
                        self.blen.d.next = 0.into();
                        if self.op.q.val() == 2 {
                            // HANDOUT1: reuse allowed for Neighbor and Path.
                            self.entry_ok.next = self.kind_ok.val()
                                & (self.w.val().get_bits::<11>(5) == 0)
                                & !(self.w.val().get_bit(4) & (self.w.val().get_bits::<4>(0) == 3));
                            if !self.w.val().get_bit(4) {
                                if self.w.val().get_bits::<4>(0) == 1 {
                                    self.blen.d.next = 3.into();
                                }
                                if self.w.val().get_bits::<4>(0) == 2 {
                                    self.blen.d.next = 7.into();
                                }
                                if self.w.val().get_bits::<4>(0) == 3 {
                                    self.blen.d.next = 4.into();
                                }
                            }
                        }
                        if self.op.q.val() == 3 {
                            self.entry_ok.next = (self.w.val().get_bits::<4>(0) == 3)
                                & (self.w.val().get_bits::<11>(5) == 0)
                                & !self.w.val().get_bit(4);
                            self.blen.d.next = 10.into();
                        }
                        if self.op.q.val() == 5 {
                            if self.w.val().get_bits::<4>(0) == 1 {
                                self.blen.d.next = 2.into();
                            }
                            if self.w.val().get_bits::<4>(0) == 2 {
                                self.blen.d.next = 1.into();
                            }
                            if self.w.val().get_bits::<4>(0) == 3 {
                                self.blen.d.next = 3.into();
                            }
                        }
                        if !self.entry_ok.val() {
                            self.status.d.next = 2.into();
                            if self.s_cmd_tlast.val() {
                                self.st.d.next = OState::Trailer;
                            } else {
                                self.st.d.next = OState::Drain;
                            }
                        } else if self.blen.d.val() == 0 {
                            self.st.d.next = OState::Exec;
                        } else {
                            self.st.d.next = OState::Body;
                        }
                    }
                }
            }
            OState::Body => {
                if self.last_seen.q.val() {
                    self.status.d.next = 1.into();
                    self.st.d.next = OState::Trailer;
                } else {
                    self.s_cmd_tready.next = true;
                    if self.s_cmd_tvalid.val() {
                        self.cmd_take.next = true;
                        self.last_seen.d.next = self.s_cmd_tlast.val();
                        self.stage.write_enable.next = true;
                        match self.bidx.q.val().index() {
                            0 => self.cap0.d.next = self.w.val(),
                            1 => self.cap1.d.next = self.w.val(),
                            2 => self.cap2.d.next = self.w.val(),
                            3 => self.cap3.d.next = self.w.val(),
                            4 => self.cap4.d.next = self.w.val(),
                            _ => {}
                        }
                        self.bidx.d.next = self.bidx.q.val() + 1;
                        if self.bidx.q.val() + 1 == self.blen.q.val() {
                            self.st.d.next = OState::Exec;
                        }
                    }
                }
            }
            OState::Exec => {
                self.res_kind.d.next = bit_cast::<8, 4>(self.eh_kind.q.val());
                self.res_ctx.d.next = self.eh_ctx.q.val();
                self.res_h.d.next = self.eh_handle.q.val();
                self.res_st.d.next = 0.into();
                self.th.d.next = self.eh_handle.q.val();
                self.cp_i.d.next = 0.into();
                self.em_i.d.next = 0.into();
                if self.op.q.val() == 2 {
                    if self.eh_kind.q.val() == 1 {
                        if self.eh_reuse.q.val() {
                            self.st.d.next = OState::NbrReuse;
                        } else {
                            self.st.d.next = OState::NbrNew;
                        }
                    } else if self.eh_kind.q.val() == 2 {
                        if self.eh_reuse.q.val() {
                            self.st.d.next = OState::PathReuse;
                        } else {
                            self.st.d.next = OState::PathNew;
                        }
                    } else {
                        self.st.d.next = OState::TcpStart;
                    }
                } else if self.op.q.val() == 3 {
                    self.st.d.next = OState::H2;
                } else if (self.op.q.val() == 4) | (self.op.q.val() == 6) {
                    if self.eh_kind.q.val() == 3 {
                        self.st.d.next = OState::FlC;
                    } else if self.eh_kind.q.val() == 2 {
                        self.st.d.next = OState::FlP;
                    } else {
                        self.st.d.next = OState::FlN;
                    }
                } else if self.eh_kind.q.val() == 1 {
                    self.st.d.next = OState::UpN;
                } else if self.eh_kind.q.val() == 2 {
                    self.st.d.next = OState::UpP;
                } else {
                    self.st.d.next = OState::UpT;
                }
            }
            OState::Copy => {
                // Read stage[cp_i]; write the word read last clock.
                if self.cp_i.q.val() != 0 {
                    if self.cp_tgt.q.val() == 0 {
                        self.tcp_mem.write_enable.next = true;
                    }
                    if self.cp_tgt.q.val() == 1 {
                        self.path_mem.write_enable.next = true;
                    }
                    if self.cp_tgt.q.val() == 2 {
                        self.nbr_mem.write_enable.next = true;
                    }
                }
                self.cp_i.d.next = self.cp_i.q.val() + 1;
                if self.cp_i.q.val() == self.cp_n.q.val() {
                    self.st.d.next = OState::EntryDone;
                }
            }
            OState::EntryDone => {
                self.ev_w.next = true;
                self.use_res.next = true;
                if (self.op.q.val() == 2) & (self.res_st.q.val() != 0) {
                    self.c_refused.d.next = self.c_refused.q.val() + 1;
                }
                self.done.d.next = self.done.q.val() + 1;
                self.st.d.next = OState::Entry;
            }
            OState::NextEntry => {
                self.done.d.next = self.done.q.val() + 1;
                self.st.d.next = OState::Entry;
            }
            // ---- HANDOUT1: Neighbor
            OState::NbrNew => {
                if self.nbr_avail.val() {
                    self.th.d.next = self.nbr_alloc.val();
                    self.res_h.d.next = self.nbr_alloc.val();
                    if self.nbr_fl_wr.q.val() != self.nbr_fl_rd.q.val() {
                        self.nbr_fl_rd.d.next = self.nbr_fl_rd.q.val() + 1;
                    } else {
                        self.nbr_next.d.next = self.nbr_next.q.val() + 1;
                    }
                    self.nbr_info.write_enable.next = true;
                    self.nbr_info.write_address.next = self.nbr_alloc.val().get_bits::<NB>(0);
                    self.info_a.next = 1.into();
                    self.nbr_ref.write_enable.next = true;
                    self.nbr_ref.write_address.next = self.nbr_alloc.val().get_bits::<NB>(0);
                    self.nbr_ref.write_data.next = 0.into();
                    self.c_nbrs.d.next = self.c_nbrs.q.val() + 1;
                    self.nbr_st.d.next = 1.into();
                    self.nbr_h.d.next = self.nbr_alloc.val();
                    self.n_vlan.d.next = self.cap0.q.val().get_bits::<13>(0);
                    self.n_vlan.d.next = self
                        .n_vlan
                        .d
                        .val()
                        .replace_bit(12, self.cap0.q.val().get_bit(15));
                    self.a20.next = bit_cast::<20, 16>(self.nbr_alloc.val());
                    self.cp_base.d.next = self.a20.val() << 2;
                    self.cp_tgt.d.next = 2.into();
                    self.cp_n.d.next = 3.into();
                    self.st.d.next = OState::Copy;
                } else {
                    self.res_st.d.next = 2.into();
                    self.res_h.d.next = 0.into();
                    self.nbr_st.d.next = 2.into();
                    self.st.d.next = OState::EntryDone;
                }
            }
            OState::NbrReuse => {
                self.st.d.next = OState::NbrReuse2;
            }
            OState::NbrReuse2 => {
                self.ctx_ok.next = (self.h17.val() < self.n_nbrs.val())
                    & self.nbr_info.read_data.val().get_bit(0)
                    & (self.nbr_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                self.a20.next = self.h20.val() << 2;
                self.nbr_mem.read_address.next = self.a20.val().get_bits::<NB2>(0);
                if self.ctx_ok.val() {
                    self.st.d.next = OState::NbrReuse3;
                } else {
                    self.res_st.d.next = 4.into();
                    self.nbr_st.d.next = 2.into();
                    self.st.d.next = OState::EntryDone;
                }
            }
            OState::NbrReuse3 => {
                self.n_vlan.d.next = self.nbr_mem.read_data.val().get_bits::<13>(0);
                self.n_vlan.d.next = self
                    .n_vlan
                    .d
                    .val()
                    .replace_bit(12, self.nbr_mem.read_data.val().get_bit(15));
                self.nbr_st.d.next = 1.into();
                self.nbr_h.d.next = self.th.q.val();
                self.st.d.next = OState::EntryDone;
            }
            // ---- HANDOUT1: Path
            OState::PathNew => {
                if self.nbr_st.q.val() == 0 {
                    self.res_st.d.next = 7.into();
                    self.res_h.d.next = 0.into();
                    self.path_st.d.next = 2.into();
                    self.st.d.next = OState::EntryDone;
                } else if self.nbr_st.q.val() == 2 {
                    self.res_st.d.next = 6.into();
                    self.res_h.d.next = 0.into();
                    self.path_st.d.next = 2.into();
                    self.st.d.next = OState::EntryDone;
                } else if !self.path_avail.val() {
                    self.res_st.d.next = 2.into();
                    self.res_h.d.next = 0.into();
                    self.path_st.d.next = 2.into();
                    self.st.d.next = OState::EntryDone;
                } else {
                    self.th.d.next = self.path_alloc.val();
                    self.res_h.d.next = self.path_alloc.val();
                    if self.path_fl_wr.q.val() != self.path_fl_rd.q.val() {
                        self.path_fl_rd.d.next = self.path_fl_rd.q.val() + 1;
                    } else {
                        self.path_next.d.next = self.path_next.q.val() + 1;
                    }
                    self.path_info.write_enable.next = true;
                    self.path_info.write_address.next = self.path_alloc.val().get_bits::<PB>(0);
                    self.info_a.next = 1.into();
                    self.info_c.next = self.nbr_h.q.val();
                    self.path_ref.write_enable.next = true;
                    self.path_ref.write_address.next = self.path_alloc.val().get_bits::<PB>(0);
                    self.path_ref.write_data.next = 0.into();
                    self.c_paths.d.next = self.c_paths.q.val() + 1;
                    self.path_st.d.next = 1.into();
                    self.path_h.d.next = self.path_alloc.val();
                    self.p_ipv6.d.next = self.cap0.q.val().get_bit(0);
                    self.p_lip.d.next = self.hi128.val() | self.lo128.val();
                    self.p_rip.d.next = self.hi128b.val() | self.lo128b.val();
                    self.p_vlan.d.next = self.n_vlan.q.val();
                    self.nbr_ref.read_address.next = self.nbr_h.q.val().get_bits::<NB>(0);
                    self.a20.next = bit_cast::<20, 16>(self.path_alloc.val());
                    self.cp_base.d.next = self.a20.val() << 3;
                    self.cp_tgt.d.next = 1.into();
                    self.cp_n.d.next = 7.into();
                    self.st.d.next = OState::PathNew2;
                }
            }
            OState::PathNew2 => {
                // Neighbor reference count + 1.
                self.nbr_ref.write_enable.next = true;
                self.nbr_ref.write_data.next = self.nbr_ref.read_data.val() + 1;
                self.st.d.next = OState::Copy;
            }
            OState::PathReuse => {
                self.st.d.next = OState::PathReuse2;
            }
            OState::PathReuse2 => {
                self.ctx_ok.next = (self.h17.val() < self.n_paths.val())
                    & self.path_info.read_data.val().get_bit(0)
                    & (self.path_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                self.tmp_nbr.d.next = self.path_info.read_data.val().get_bits::<16>(16);
                self.a20.next = self.h20.val() << 3;
                self.path_mem.read_address.next = self.a20.val().get_bits::<PB3>(0);
                self.em_i.d.next = 1.into();
                if self.ctx_ok.val() {
                    self.st.d.next = OState::PathReuse3;
                } else {
                    self.res_st.d.next = 4.into();
                    self.path_st.d.next = 2.into();
                    self.st.d.next = OState::EntryDone;
                }
            }
            OState::PathReuse3 => {
                // Words 0..4 of the Path (CONST) into cap0..cap4.
                match self.em_i.q.val().index() {
                    1 => self.cap0.d.next = self.path_mem.read_data.val(),
                    2 => self.cap1.d.next = self.path_mem.read_data.val(),
                    3 => self.cap2.d.next = self.path_mem.read_data.val(),
                    4 => self.cap3.d.next = self.path_mem.read_data.val(),
                    _ => self.cap4.d.next = self.path_mem.read_data.val(),
                }
                self.a20.next = self.h20.val() << 3;
                self.a20.next = self.a20.val() + bit_cast::<20, 4>(self.em_i.q.val());
                self.path_mem.read_address.next = self.a20.val().get_bits::<PB3>(0);
                self.em_i.d.next = self.em_i.q.val() + 1;
                if self.em_i.q.val() == 5 {
                    self.a20.next = bit_cast::<20, 16>(self.tmp_nbr.q.val());
                    self.a20.next = self.a20.val() << 2;
                    self.nbr_mem.read_address.next = self.a20.val().get_bits::<NB2>(0);
                    self.st.d.next = OState::PathReuse4;
                }
            }
            OState::PathReuse4 => {
                self.p_vlan.d.next = self.nbr_mem.read_data.val().get_bits::<13>(0);
                self.p_vlan.d.next = self
                    .p_vlan
                    .d
                    .val()
                    .replace_bit(12, self.nbr_mem.read_data.val().get_bit(15));
                self.p_ipv6.d.next = self.cap0.q.val().get_bit(0);
                self.p_lip.d.next = self.hi128.val() | self.lo128.val();
                self.p_rip.d.next = self.hi128b.val() | self.lo128b.val();
                self.path_st.d.next = 1.into();
                self.path_h.d.next = self.th.q.val();
                self.st.d.next = OState::EntryDone;
            }
            // ---- HANDOUT1: TCP connection
            OState::TcpStart => {
                self.res_h.d.next = 0.into();
                if self.path_st.q.val() == 0 {
                    self.res_st.d.next = 7.into();
                    self.st.d.next = OState::EntryDone;
                } else if self.path_st.q.val() == 2 {
                    self.res_st.d.next = 6.into();
                    self.st.d.next = OState::EntryDone;
                } else {
                    self.pr_req.d.next = true;
                    self.st.d.next = OState::TcpWait;
                }
            }
            OState::TcpWait => {
                self.pr_req.d.next = false;
                self.path_ref.read_address.next = self.path_h.q.val().get_bits::<PB>(0);
                if self.pr_done.q.val() {
                    if self.pr_found.q.val() {
                        self.res_st.d.next = 3.into();
                        self.st.d.next = OState::EntryDone;
                    } else if !self.conn_avail.val() {
                        self.res_st.d.next = 2.into();
                        self.st.d.next = OState::EntryDone;
                    } else if !(self.pr_free0.q.val() | self.pr_free1.q.val()) {
                        self.res_st.d.next = 1.into();
                        self.c_insfail.d.next = self.c_insfail.q.val() + 1;
                        self.st.d.next = OState::EntryDone;
                    } else {
                        self.th.d.next = self.conn_alloc.val();
                        self.res_h.d.next = self.conn_alloc.val();
                        if self.conn_fl_wr.q.val() != self.conn_fl_rd.q.val() {
                            self.conn_fl_rd.d.next = self.conn_fl_rd.q.val() + 1;
                        } else {
                            self.conn_next.d.next = self.conn_next.q.val() + 1;
                        }
                        self.c_conns.d.next = self.c_conns.q.val() + 1;
                        self.c_h1.d.next = self.c_h1.q.val() + 1;
                        self.a20.next = bit_cast::<20, 16>(self.conn_alloc.val());
                        self.cp_base.d.next = self.a20.val() << 4;
                        self.cp_tgt.d.next = 0.into();
                        self.cp_n.d.next = 4.into();
                        self.st.d.next = OState::TcpRef;
                    }
                }
            }
            OState::TcpRef => {
                // Path reference count + 1 (read issued in TcpWait).
                self.path_ref.write_enable.next = true;
                self.path_ref.write_data.next = self.path_ref.read_data.val() + 1;
                // Slot {th, key, 1} into the first free way (bank 0 first).
                self.one_bank.next = !self.pr_free0.q.val();
                self.tw_en.next = true;
                self.tw_bank.next = self.one_bank.val();
                self.tw_data.next = self.slot_pack.slot.val();
                if self.one_bank.val() {
                    self.tw_way.next = self.pr_way1.q.val();
                    self.tw_addr.next = self.pr_b1.q.val();
                } else {
                    self.tw_way.next = self.pr_way0.q.val();
                    self.tw_addr.next = self.pr_b0.q.val();
                }
                self.held_ram.write_enable.next = true;
                self.held_ram.write_data.next = 1.into();
                self.conn_dl.write_enable.next = true;
                // conn_info: {ctx, path, 8'b0, way<<3 | bank<<2 | state (1 = held)}
                self.ci_way8.next = bit_cast::<8, 2>(self.tw_way.val());
                self.ci_way8.next = self.ci_way8.val() << 3;
                self.ci_bank8.next = 0.into();
                if self.one_bank.val() {
                    self.ci_bank8.next = 4.into();
                }
                self.ci_a8.next = self.ci_way8.val() | self.ci_bank8.val();
                self.ci_a8.next = self.ci_a8.val() | 1;
                self.info_a.next = self.ci_a8.val();
                self.info_c.next = self.path_h.q.val();
                self.conn_info.write_enable.next = true;
                self.conn_loc.write_enable.next = true;
                self.conn_loc.write_data.next = bit_cast::<16, BB>(self.tw_addr.val());
                self.st.d.next = OState::Copy;
            }
            // ---- HANDOUT2
            OState::H2 => {
                // TCP CACHED word 1 (eff_mss), then CONST word 0 (window scale) for the
                // fast path's activation.
                self.a20.next = self.h20.val() << 4;
                self.a20.next = self.a20.val() + 1;
                self.tcp_mem.read_address.next = self.a20.val().get_bits::<CB4>(0);
                self.st.d.next = OState::H2a;
            }
            OState::H2a => {
                // eff_mss 0: 536 (RFC 1122 default).
                self.act_mss.d.next = self.tcp_mem.read_data.val().get_bits::<16>(0);
                if self.tcp_mem.read_data.val().get_bits::<16>(0) == 0 {
                    self.act_mss.d.next = 536.into();
                }
                self.a20.next = self.h20.val() << 4;
                self.tcp_mem.read_address.next = self.a20.val().get_bits::<CB4>(0);
                self.st.d.next = OState::H2b;
            }
            OState::H2b => {
                self.a20.next = self.h20.val() << 4;
                self.tcp_mem.read_address.next = self.a20.val().get_bits::<CB4>(0);
                self.ci_state.next = self.conn_info.read_data.val().get_bits::<2>(0);
                self.ctx_ok.next = (self.h17.val() < self.n_conns.val())
                    & (self.ci_state.val() != 0)
                    & (self.conn_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                if !self.ctx_ok.val() {
                    self.res_st.d.next = 4.into();
                    self.st.d.next = OState::EntryDone;
                } else if self.ci_state.val() != 1 {
                    self.res_st.d.next = 5.into();
                    self.st.d.next = OState::EntryDone;
                } else if !self.pipe_idle.val() {
                    // Wait for the lookup pipeline to empty, then release the held
                    // frames at the clock the connection starts hitting.
                    self.quiet.d.next = true;
                    self.st.d.next = OState::H2b;
                } else {
                    self.quiet.d.next = false;
                    self.mk_w.next = true;
                    self.mk_res.next = self.mk_conn.val() | 0x40003;
                    // Fast path activation: rcv_nxt = DELEGATED word 4 [63:32], rcv_wnd
                    // = word 5 [31:0] (the entry's first two body words).
                    self.act_v.d.next = true;
                    self.act_conn.d.next = self.eh_handle.q.val();
                    self.act_ctx.d.next = self.eh_ctx.q.val();
                    self.act_nxt.d.next = self.cap0.q.val().get_bits::<32>(32);
                    self.act_wnd.d.next = self.cap1.q.val().get_bits::<32>(0);
                    self.wsc.next = self.tcp_mem.read_data.val().get_bits::<4>(36);
                    if self.wsc.val() > 14 {
                        self.wsc.next = 14.into();
                    }
                    self.act_wsh.d.next = 0.into();
                    if self.tcp_mem.read_data.val().get_bit(56) {
                        self.act_wsh.d.next = self.wsc.val();
                    }
                    self.conn_info.write_enable.next = true;
                    self.conn_info.write_address.next = self.eh_handle.q.val().get_bits::<CB>(0);
                    self.conn_info.write_data.next = self.conn_info.read_data.val() + 1;
                    self.held_ram.write_enable.next = true;
                    self.held_ram.write_address.next = self.eh_handle.q.val().get_bits::<CB>(0);
                    self.held_ram.write_data.next = 0.into();
                    self.c_h2.d.next = self.c_h2.q.val() + 1;
                    self.a20.next = self.h20.val() << 4;
                    self.cp_base.d.next = self.a20.val() + 4;
                    self.cp_tgt.d.next = 0.into();
                    self.cp_n.d.next = 10.into();
                    self.st.d.next = OState::Copy;
                }
            }
            // ---- FLUSH / CLOSE: connection
            OState::FlC => {
                // A Held connection: empty the lookup pipeline first, so its held frames
                // are released (as misses) at the clock its key leaves the table.
                self.st.d.next = OState::FlC2;
                if (self.conn_info.read_data.val().get_bits::<2>(0) == 1)
                    & !(self.pipe_idle.val() & self.quiet.q.val())
                {
                    self.quiet.d.next = true;
                    self.st.d.next = OState::FlC;
                }
            }
            OState::FlC2 => {
                self.quiet.d.next = false;
                self.ci_state.next = self.conn_info.read_data.val().get_bits::<2>(0);
                self.ctx_ok.next = (self.h17.val() < self.n_conns.val())
                    & (self.ci_state.val() != 0)
                    & (self.conn_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                self.ev_w.next = true;
                self.use_res.next = true;
                self.ev_a.next = 3.into();
                self.ev_b.next = 0.into();
                if !self.ctx_ok.val() {
                    self.ev_b.next = 4.into();
                    self.st.d.next = OState::NextEntry;
                } else {
                    if self.ci_state.val() == 1 {
                        self.mk_w.next = true;
                        self.mk_res.next = self.mk_conn.val() | 0x40001;
                    }
                    self.fl_state.d.next = self.ci_state.val();
                    self.tmp_path.d.next = self.conn_info.read_data.val().get_bits::<16>(16);
                    // Remove the slot.
                    self.tw_en.next = true;
                    self.tw_bank.next = self.conn_info.read_data.val().get_bit(2);
                    self.tw_way.next = self.conn_info.read_data.val().get_bits::<2>(3);
                    self.tw_addr.next = self.conn_loc.read_data.val().get_bits::<BB>(0);
                    self.tw_data.next = 0.into();
                    self.conn_info.write_enable.next = true;
                    self.conn_info.write_address.next = self.eh_handle.q.val().get_bits::<CB>(0);
                    self.conn_info.write_data.next = 0.into();
                    // Free the handle.
                    self.conn_fl.write_enable.next = true;
                    self.conn_fl.write_data.next = self.eh_handle.q.val();
                    self.conn_fl_wr.d.next = self.conn_fl_wr.q.val() + 1;
                    self.c_conns.d.next = self.c_conns.q.val() - 1;
                    self.c_flushes.d.next = self.c_flushes.q.val() + 1;
                    self.em_i.d.next = 0.into();
                    self.a20.next = self.h20.val() << 4;
                    self.a20.next = self.a20.val() + 4;
                    self.tcp_mem.read_address.next = self.a20.val().get_bits::<CB4>(0);
                    self.fq_act.d.next = false;
                    if self.ci_state.val() != 2 {
                        self.st.d.next = OState::FlZero;
                    } else {
                        self.em_i.d.next = 1.into();
                        self.st.d.next = OState::FlEm;
                        if self.k_fast.val() {
                            self.fq_v.d.next = true;
                            self.st.d.next = OState::FlQ;
                        }
                    }
                }
            }
            OState::FlQ => {
                // Wait for the fast path's RCV.NXT and window (word 4 stays read).
                self.a20.next = self.h20.val() << 4;
                self.a20.next = self.a20.val() + 4;
                self.tcp_mem.read_address.next = self.a20.val().get_bits::<CB4>(0);
                if self.s_fq_done.val() {
                    self.fq_v.d.next = false;
                    self.fq_act.d.next = self.s_fq_active.val();
                    self.fq_nxt.d.next = self.s_fq_nxt.val();
                    self.fq_wnd.d.next = self.s_fq_wnd.val();
                    self.st.d.next = OState::FlEm;
                } else if self.s_ak_valid.val() {
                    // The fast path answers once its ACK requests are served.
                    self.s_ak_ready.next = true;
                    self.ak_ret.d.next = true;
                    self.st.d.next = OState::AkA;
                }
            }
            OState::FlEm => {
                // Emit DELEGATED word em_i-1, read word em_i; rcv_nxt (word 4 [63:32])
                // and rcv_wnd (word 5 [31:0]) from the fast path when it held the
                // connection.
                self.ev_w.next = true;
                self.ev_d.next = self.tcp_mem.read_data.val();
                if self.fq_act.q.val() & (self.em_i.q.val() == 1) {
                    self.ev_d.next = (bit_cast::<64, 32>(self.fq_nxt.q.val()) << 32)
                        | bit_cast::<64, 32>(self.tcp_mem.read_data.val().get_bits::<32>(0));
                }
                if self.fq_act.q.val() & (self.em_i.q.val() == 2) {
                    self.ev_d.next =
                        (bit_cast::<64, 32>(self.tcp_mem.read_data.val().get_bits::<32>(32)) << 32)
                            | bit_cast::<64, 32>(self.fq_wnd.q.val());
                }
                self.a20.next = self.h20.val() << 4;
                self.a20.next = self.a20.val() + 4;
                self.a20.next = self.a20.val() + bit_cast::<20, 4>(self.em_i.q.val());
                self.tcp_mem.read_address.next = self.a20.val().get_bits::<CB4>(0);
                self.em_i.d.next = self.em_i.q.val() + 1;
                if self.em_i.q.val() == 10 {
                    self.st.d.next = OState::FlPath;
                }
            }
            OState::FlZero => {
                self.ev_w.next = true;
                self.ev_d.next = 0.into();
                self.em_i.d.next = self.em_i.q.val() + 1;
                if self.em_i.q.val() == 9 {
                    self.st.d.next = OState::FlPath;
                }
            }
            OState::FlPath => {
                self.path_ref.read_address.next = self.tmp_path.q.val().get_bits::<PB>(0);
                self.st.d.next = OState::FlPath2;
            }
            OState::FlPath2 => {
                self.ref_m1.next = self.path_ref.read_data.val() - 1;
                self.path_ref.write_enable.next = true;
                self.path_ref.write_address.next = self.tmp_path.q.val().get_bits::<PB>(0);
                self.path_ref.write_data.next = self.ref_m1.val();
                if self.ref_m1.val() == 0 {
                    self.st.d.next = OState::Fp1;
                } else {
                    self.st.d.next = OState::NextEntry;
                }
            }
            // ---- Free a Path (tmp_path), then maybe its Neighbor
            OState::Fp1 => {
                self.path_info.read_address.next = self.tmp_path.q.val().get_bits::<PB>(0);
                self.a20.next = bit_cast::<20, 16>(self.tmp_path.q.val());
                self.a20.next = self.a20.val() << 3;
                self.a20.next = self.a20.val() + 6;
                self.path_mem.read_address.next = self.a20.val().get_bits::<PB3>(0);
                self.st.d.next = OState::Fp2;
            }
            OState::Fp2 => {
                self.ev_w.next = true;
                self.use_res.next = true;
                self.ev_a.next = 2.into();
                self.ev_b.next = 0.into();
                self.ev_c.next = self.tmp_path.q.val();
                self.ev_d32.next = self.path_info.read_data.val().get_bits::<32>(32);
                self.tmp_nbr.d.next = self.path_info.read_data.val().get_bits::<16>(16);
                self.saved.d.next = self.path_mem.read_data.val();
                self.path_info.write_enable.next = true;
                self.path_info.write_address.next = self.tmp_path.q.val().get_bits::<PB>(0);
                self.path_info.write_data.next = 0.into();
                self.path_fl.write_enable.next = true;
                self.path_fl_wr.d.next = self.path_fl_wr.q.val() + 1;
                self.c_paths.d.next = self.c_paths.q.val() - 1;
                self.st.d.next = OState::Fp3;
            }
            OState::Fp3 => {
                self.ev_w.next = true;
                self.ev_d.next = self.saved.q.val();
                self.nbr_ref.read_address.next = self.tmp_nbr.q.val().get_bits::<NB>(0);
                self.st.d.next = OState::Fp4;
            }
            OState::Fp4 => {
                self.ref_m1.next = self.nbr_ref.read_data.val() - 1;
                self.nbr_ref.write_enable.next = true;
                self.nbr_ref.write_address.next = self.tmp_nbr.q.val().get_bits::<NB>(0);
                self.nbr_ref.write_data.next = self.ref_m1.val();
                if self.ref_m1.val() == 0 {
                    self.st.d.next = OState::Fn1;
                } else {
                    self.st.d.next = OState::NextEntry;
                }
            }
            OState::Fn1 => {
                self.nbr_info.read_address.next = self.tmp_nbr.q.val().get_bits::<NB>(0);
                self.st.d.next = OState::Fn2;
            }
            OState::Fn2 => {
                self.ev_w.next = true;
                self.use_res.next = true;
                self.ev_a.next = 1.into();
                self.ev_b.next = 0.into();
                self.ev_c.next = self.tmp_nbr.q.val();
                self.ev_d32.next = self.nbr_info.read_data.val().get_bits::<32>(32);
                self.nbr_info.write_enable.next = true;
                self.nbr_info.write_address.next = self.tmp_nbr.q.val().get_bits::<NB>(0);
                self.nbr_info.write_data.next = 0.into();
                self.nbr_fl.write_enable.next = true;
                self.nbr_fl_wr.d.next = self.nbr_fl_wr.q.val() + 1;
                self.c_nbrs.d.next = self.c_nbrs.q.val() - 1;
                self.st.d.next = OState::NextEntry;
            }
            // ---- FLUSH: a Path or Neighbor entry
            OState::FlP => {
                self.path_ref.read_address.next = self.eh_handle.q.val().get_bits::<PB>(0);
                self.st.d.next = OState::FlP2;
            }
            OState::FlP2 => {
                self.ctx_ok.next = (self.h17.val() < self.n_paths.val())
                    & self.path_info.read_data.val().get_bit(0)
                    & (self.path_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                self.tmp_path.d.next = self.eh_handle.q.val();
                if !self.ctx_ok.val() {
                    self.res_st.d.next = 4.into();
                    self.st.d.next = OState::EntryDone;
                } else if self.path_ref.read_data.val() != 0 {
                    self.res_st.d.next = 8.into();
                    self.st.d.next = OState::EntryDone;
                } else {
                    self.st.d.next = OState::Fp1;
                }
            }
            OState::FlN => {
                self.nbr_ref.read_address.next = self.eh_handle.q.val().get_bits::<NB>(0);
                self.st.d.next = OState::FlN2;
            }
            OState::FlN2 => {
                self.ctx_ok.next = (self.h17.val() < self.n_nbrs.val())
                    & self.nbr_info.read_data.val().get_bit(0)
                    & (self.nbr_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                self.tmp_nbr.d.next = self.eh_handle.q.val();
                if !self.ctx_ok.val() {
                    self.res_st.d.next = 4.into();
                    self.st.d.next = OState::EntryDone;
                } else if self.nbr_ref.read_data.val() != 0 {
                    self.res_st.d.next = 8.into();
                    self.st.d.next = OState::EntryDone;
                } else {
                    self.st.d.next = OState::Fn1;
                }
            }
            // ---- ACK request: conn_info and TCP word 0, then TCP word 6, Path words
            // 0..6 and Neighbor words 0..2 (one read per clock and memory).
            OState::AkA => {
                self.conn_info.read_address.next = self.ak_conn.q.val().get_bits::<CB>(0);
                self.ka.next = bit_cast::<20, 16>(self.ak_conn.q.val()) << 4;
                self.tcp_mem.read_address.next = self.ka.val().get_bits::<CB4>(0);
                self.st.d.next = OState::AkB;
            }
            OState::AkB => {
                // conn_info {ctx, path, 8'b0, .. state}: offloaded is state 2.
                self.ak_ok.d.next = (bit_cast::<17, 16>(self.ak_conn.q.val()) < self.n_conns.val())
                    & (self.conn_info.read_data.val().get_bits::<2>(0) == 2);
                self.ak_path.d.next = self.conn_info.read_data.val().get_bits::<16>(16);
                self.a_local_port.d.next = self.tcp_mem.read_data.val().get_bits::<16>(0);
                self.a_remote_port.d.next = self.tcp_mem.read_data.val().get_bits::<16>(16);
                self.ka.next = bit_cast::<20, 16>(self.ak_conn.q.val()) << 4;
                self.ka.next = self.ka.val() + 6;
                self.tcp_mem.read_address.next = self.ka.val().get_bits::<CB4>(0);
                self.path_info.read_address.next =
                    self.conn_info.read_data.val().get_bits::<PB>(16);
                self.kn.next =
                    bit_cast::<20, 16>(self.conn_info.read_data.val().get_bits::<16>(16)) << 3;
                self.path_mem.read_address.next = self.kn.val().get_bits::<PB3>(0);
                self.ak_i.d.next = 1.into();
                self.st.d.next = OState::AkC;
            }
            OState::AkC => {
                // Path word ak_i - 1 arrives, word ak_i is read; Neighbor word ak_i - 2
                // arrives, word ak_i - 1 is read.
                self.kn.next = bit_cast::<20, 16>(self.ak_path.q.val()) << 3;
                self.kn.next = self.kn.val() + bit_cast::<20, 4>(self.ak_i.q.val());
                self.path_mem.read_address.next = self.kn.val().get_bits::<PB3>(0);
                self.ka.next = bit_cast::<20, 16>(self.ak_nbr.q.val());
                if self.ak_i.q.val() == 1 {
                    self.ka.next =
                        bit_cast::<20, 16>(self.path_info.read_data.val().get_bits::<16>(16));
                    self.ak_nbr.d.next = self.path_info.read_data.val().get_bits::<16>(16);
                    self.a_seq.d.next = self.tcp_mem.read_data.val().get_bits::<32>(0);
                    self.a_ipv6.d.next = self.path_mem.read_data.val().get_bit(0);
                }
                self.ka.next = self.ka.val() << 2;
                self.ka.next = self.ka.val() + bit_cast::<20, 4>(self.ak_i.q.val());
                self.ka.next = self.ka.val() - 1;
                self.nbr_mem.read_address.next = self.ka.val().get_bits::<NB2>(0);
                if self.ak_i.q.val() == 2 {
                    // Neighbor CONST word 0: {present, pcp, vid}; Path word 1.
                    self.a_vlan.d.next = self.nbr_mem.read_data.val().get_bit(15);
                    self.a_vlan_tci.d.next =
                        (bit_cast::<16, 3>(self.nbr_mem.read_data.val().get_bits::<3>(12)) << 13)
                            | bit_cast::<16, 12>(self.nbr_mem.read_data.val().get_bits::<12>(0));
                    self.a_local_ip.d.next =
                        bit_cast::<128, 64>(self.path_mem.read_data.val()) << 64;
                }
                if self.ak_i.q.val() == 3 {
                    self.a_dst_mac.d.next = self.nbr_mem.read_data.val().get_bits::<48>(0);
                    self.a_local_ip.d.next = self.a_local_ip.q.val()
                        | bit_cast::<128, 64>(self.path_mem.read_data.val());
                }
                if self.ak_i.q.val() == 4 {
                    self.a_src_mac.d.next = self.nbr_mem.read_data.val().get_bits::<48>(0);
                    self.a_remote_ip.d.next =
                        bit_cast::<128, 64>(self.path_mem.read_data.val()) << 64;
                }
                if self.ak_i.q.val() == 5 {
                    self.a_remote_ip.d.next = self.a_remote_ip.q.val()
                        | bit_cast::<128, 64>(self.path_mem.read_data.val());
                }
                if self.ak_i.q.val() == 6 {
                    // Path CACHED word 5: TTL, TOS, flow label.
                    self.a_ttl.d.next = self.path_mem.read_data.val().get_bits::<8>(16);
                    self.a_tos.d.next = self.path_mem.read_data.val().get_bits::<8>(24);
                    self.a_flow_label.d.next = self.path_mem.read_data.val().get_bits::<20>(32);
                }
                self.ak_i.d.next = self.ak_i.q.val() + 1;
                if self.ak_i.q.val() == 7 {
                    // Path DELEGATED word 6: IP ID = start + counter; the counter
                    // advances (IPv4).
                    self.kw6.next = self.path_mem.read_data.val();
                    self.a_ip_id.d.next = self.kw6.val().get_bits::<16>(0)
                        + bit_cast::<16, 15>(self.kw6.val().get_bits::<15>(16));
                    self.kcnt.next = self.kw6.val().get_bits::<15>(16) + 1;
                    if self.ak_ok.q.val() & !self.a_ipv6.q.val() {
                        self.kn.next = bit_cast::<20, 16>(self.ak_path.q.val()) << 3;
                        self.kn.next = self.kn.val() + 6;
                        self.path_mem.write_enable.next = true;
                        self.path_mem.write_address.next = self.kn.val().get_bits::<PB3>(0);
                        self.path_mem.write_data.next = ((self.kw6.val() >> 31) << 31)
                            | (bit_cast::<64, 15>(self.kcnt.val()) << 16)
                            | bit_cast::<64, 16>(self.kw6.val().get_bits::<16>(0));
                    }
                    self.ak_v.d.next = self.ak_ok.q.val();
                    if self.ak_ok.q.val() {
                        self.st.d.next = OState::AkOut;
                    } else if self.ak_ret.q.val() {
                        self.st.d.next = OState::FlQ;
                    } else {
                        self.st.d.next = OState::Idle;
                    }
                }
            }
            OState::AkOut => {
                if self.m_ak_ready.val() {
                    self.ak_v.d.next = false;
                    if self.ak_ret.q.val() {
                        self.st.d.next = OState::FlQ;
                    } else {
                        self.st.d.next = OState::Idle;
                    }
                }
            }
            // ---- UPDATE
            OState::UpN => {
                self.st.d.next = OState::UpN2;
            }
            OState::UpN2 => {
                self.ctx_ok.next = (self.h17.val() < self.n_nbrs.val())
                    & self.nbr_info.read_data.val().get_bit(0)
                    & (self.nbr_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                if self.ctx_ok.val() {
                    self.c_updates.d.next = self.c_updates.q.val() + 1;
                    self.a20.next = self.h20.val() << 2;
                    self.cp_base.d.next = self.a20.val() + 1;
                    self.cp_tgt.d.next = 2.into();
                    self.cp_n.d.next = 2.into();
                    self.st.d.next = OState::Copy;
                } else {
                    self.res_st.d.next = 4.into();
                    self.st.d.next = OState::EntryDone;
                }
            }
            OState::UpP => {
                self.st.d.next = OState::UpP2;
            }
            OState::UpP2 => {
                self.ctx_ok.next = (self.h17.val() < self.n_paths.val())
                    & self.path_info.read_data.val().get_bit(0)
                    & (self.path_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                if self.ctx_ok.val() {
                    self.c_updates.d.next = self.c_updates.q.val() + 1;
                    self.a20.next = self.h20.val() << 3;
                    self.cp_base.d.next = self.a20.val() + 5;
                    self.cp_tgt.d.next = 1.into();
                    self.cp_n.d.next = 1.into();
                    self.st.d.next = OState::Copy;
                } else {
                    self.res_st.d.next = 4.into();
                    self.st.d.next = OState::EntryDone;
                }
            }
            OState::UpT => {
                self.st.d.next = OState::UpT2;
            }
            OState::UpT2 => {
                self.ci_state.next = self.conn_info.read_data.val().get_bits::<2>(0);
                self.ctx_ok.next = (self.h17.val() < self.n_conns.val())
                    & (self.ci_state.val() != 0)
                    & (self.conn_info.read_data.val().get_bits::<32>(32) == self.eh_ctx.q.val());
                if self.ctx_ok.val() {
                    self.c_updates.d.next = self.c_updates.q.val() + 1;
                    self.a20.next = self.h20.val() << 4;
                    self.cp_base.d.next = self.a20.val() + 1;
                    self.cp_tgt.d.next = 0.into();
                    self.cp_n.d.next = 3.into();
                    self.st.d.next = OState::Copy;
                } else {
                    self.res_st.d.next = 4.into();
                    self.st.d.next = OState::EntryDone;
                }
            }
            // ---- Unsolicited upload requests
            OState::UrRead => {
                self.conn_info.read_address.next = self.exc_fifo.data_out.val().get_bits::<CB>(0);
                self.st.d.next = OState::UrChk;
            }
            OState::UrChk => {
                self.exc_fifo.read.next = true;
                self.th.d.next = self.exc_fifo.data_out.val().get_bits::<16>(0);
                self.res_kind.d.next = 3.into();
                self.res_st.d.next = self.exc_fifo.data_out.val().get_bits::<8>(16);
                self.res_h.d.next = self.exc_fifo.data_out.val().get_bits::<16>(0);
                self.res_ctx.d.next = self.conn_info.read_data.val().get_bits::<32>(32);
                self.st.d.next = OState::Idle;
                if (self.conn_info.read_data.val().get_bits::<2>(0) == 2)
                    & !self.conn_info.read_data.val().get_bit(5)
                {
                    // Once per connection: set its `requested` bit.
                    self.conn_info.write_enable.next = true;
                    self.conn_info.write_address.next =
                        self.exc_fifo.data_out.val().get_bits::<CB>(0);
                    self.conn_info.write_data.next = self.conn_info.read_data.val() | 0x20;
                    self.ev_w.next = true;
                    self.use_res.next = true;
                    self.ev_a.next = 0xC0.into();
                    self.ev_b.next = 0.into();
                    self.ev_c.next = 0.into();
                    self.ev_d32.next = 0.into();
                    self.st.d.next = OState::UrEnt;
                }
            }
            OState::UrEnt => {
                self.ev_w.next = true;
                self.use_res.next = true;
                self.status.d.next = 0.into();
                self.done.d.next = 0.into();
                self.st.d.next = OState::Trailer;
            }
            // ---- HANDOUT1 timeouts: one connection checked every third idle clock
            OState::SwRead => {
                self.conn_info.read_address.next = self.sweep_i.q.val().get_bits::<CB>(0);
                self.st.d.next = OState::SwChk;
            }
            OState::SwChk => {
                self.dl_diff.next = self.now.q.val() - self.conn_dl.read_data.val();
                self.sweep_i.d.next = self.sweep_i.q.val() + 1;
                if self.sweep_i.q.val() + 1 == self.n_conns.val() {
                    self.sweep_i.d.next = 0.into();
                }
                self.st.d.next = OState::Idle;
                if (self.conn_info.read_data.val().get_bits::<2>(0) == 1)
                    & !self.dl_diff.val().get_bit(31)
                    & !self.pipe_idle.val()
                {
                    // Expired, but records are in the lookup pipeline: hold them back
                    // and wait (the held frames are released at the clock it expires).
                    self.conn_info.read_address.next = self.sweep_i.q.val().get_bits::<CB>(0);
                    self.sweep_i.d.next = self.sweep_i.q.val();
                    self.quiet.d.next = true;
                    self.st.d.next = OState::SwChk;
                } else if (self.conn_info.read_data.val().get_bits::<2>(0) == 1)
                    & !self.dl_diff.val().get_bit(31)
                {
                    // Expired: stop holding (frames miss again), tell the host.
                    self.quiet.d.next = false;
                    self.mk_w.next = true;
                    self.mk_res.next = bit_cast::<19, 16>(self.sweep_i.q.val().get_bits::<16>(0));
                    self.mk_res.next = self.mk_res.val() << 2;
                    self.mk_res.next = self.mk_res.val() | 0x40001;
                    self.conn_info.write_enable.next = true;
                    self.conn_info.write_address.next = self.sweep_i.q.val().get_bits::<CB>(0);
                    self.conn_info.write_data.next = self.conn_info.read_data.val() + 2;
                    self.held_ram.write_enable.next = true;
                    self.held_ram.write_address.next = self.sweep_i.q.val().get_bits::<CB>(0);
                    self.held_ram.write_data.next = 2.into();
                    self.res_kind.d.next = 3.into();
                    self.res_st.d.next = 1.into();
                    self.res_h.d.next = self.sweep_i.q.val().get_bits::<16>(0);
                    self.res_ctx.d.next = self.conn_info.read_data.val().get_bits::<32>(32);
                    self.ev_w.next = true;
                    self.use_res.next = true;
                    self.ev_a.next = 0xC0.into();
                    self.ev_b.next = 0.into();
                    self.ev_c.next = 0.into();
                    self.ev_d32.next = 0.into();
                    self.st.d.next = OState::UrEnt;
                }
            }
            // ---- End of a command
            OState::CheckEnd => {
                if self.last_seen.q.val() {
                    self.st.d.next = OState::Trailer;
                } else {
                    self.status.d.next = 5.into();
                    self.st.d.next = OState::Drain;
                }
            }
            OState::Drain => {
                self.s_cmd_tready.next = true;
                if self.s_cmd_tvalid.val() {
                    self.cmd_take.next = true;
                    if self.s_cmd_tlast.val() {
                        self.st.d.next = OState::Trailer;
                    }
                }
            }
            OState::Trailer => {
                self.ev_w.next = true;
                self.ev_last.next = true;
                self.use_res.next = true;
                self.ev_a.next = self.status.q.val();
                self.ev_b.next = 0.into();
                self.ev_c.next = self.done.q.val();
                self.ev_d32.next = 0.into();
                if self.status.q.val() != 0 {
                    self.c_cmderr.d.next = self.c_cmderr.q.val() + 1;
                }
                self.st.d.next = OState::Idle;
            }
            _ => {
                self.st.d.next = OState::Idle;
            }
        }

        // ---- Release marker into the record FIFOs (P5 is empty when it is written)
        if self.mk_w.val() {
            self.lk_meta_fifo.write.next = true;
            self.lk_res_fifo.write.next = true;
            self.lk_res_fifo.data_in.next = self.mk_res.val();
        }

        // ---- Table write ports
        self.t00.write_address.next = self.tw_addr.val();
        self.t01.write_address.next = self.tw_addr.val();
        self.t02.write_address.next = self.tw_addr.val();
        self.t03.write_address.next = self.tw_addr.val();
        self.t10.write_address.next = self.tw_addr.val();
        self.t11.write_address.next = self.tw_addr.val();
        self.t12.write_address.next = self.tw_addr.val();
        self.t13.write_address.next = self.tw_addr.val();
        self.t00.write_data.next = self.tw_data.val();
        self.t01.write_data.next = self.tw_data.val();
        self.t02.write_data.next = self.tw_data.val();
        self.t03.write_data.next = self.tw_data.val();
        self.t10.write_data.next = self.tw_data.val();
        self.t11.write_data.next = self.tw_data.val();
        self.t12.write_data.next = self.tw_data.val();
        self.t13.write_data.next = self.tw_data.val();
        self.t00.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (!self.tw_bank.val() & (self.tw_way.val() == 0)));
        self.t01.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (!self.tw_bank.val() & (self.tw_way.val() == 1)));
        self.t02.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (!self.tw_bank.val() & (self.tw_way.val() == 2)));
        self.t03.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (!self.tw_bank.val() & (self.tw_way.val() == 3)));
        self.t10.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (self.tw_bank.val() & (self.tw_way.val() == 0)));
        self.t11.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (self.tw_bank.val() & (self.tw_way.val() == 1)));
        self.t12.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (self.tw_bank.val() & (self.tw_way.val() == 2)));
        self.t13.write_enable.next = self.tw_en.val()
            & (self.tw_all.val() | (self.tw_bank.val() & (self.tw_way.val() == 3)));

        // An ACK request taken (Idle, FlQ).
        if self.s_ak_ready.val() {
            self.ak_conn.d.next = self.s_ak_conn.val();
            self.a_ack.d.next = self.s_ak_ack.val();
            self.a_window.d.next = self.s_ak_win.val();
        }

        // Info words: {host ctx, c16, 8'b0, a8}.
        self.info_word.next = bit_cast::<64, 32>(self.eh_ctx.q.val());
        self.info_word.next = self.info_word.val() << 32;
        self.pk_t.next = bit_cast::<64, 16>(self.info_c.val());
        self.pk_t.next = self.pk_t.val() << 16;
        self.info_word.next = self.info_word.val() | self.pk_t.val();
        self.pk_t.next = bit_cast::<64, 8>(self.info_a.val());
        self.info_word.next = self.info_word.val() | self.pk_t.val();
        if self.conn_info.write_enable.val() & (self.st.q.val() == OState::TcpRef) {
            self.conn_info.write_data.next = self.info_word.val();
        }
        if self.path_info.write_enable.val() & (self.st.q.val() == OState::PathNew) {
            self.path_info.write_data.next = self.info_word.val();
        }
        if self.nbr_info.write_enable.val() & (self.st.q.val() == OState::NbrNew) {
            self.nbr_info.write_data.next = self.info_word.val();
        }

        // ---- Event FIFO
        if !self.use_res.val() {
            self.ev_a.next = self.ev_d.val().get_bits::<8>(0);
            self.ev_b.next = self.ev_d.val().get_bits::<8>(8);
            self.ev_c.next = self.ev_d.val().get_bits::<16>(16);
            self.ev_d32.next = self.ev_d.val().get_bits::<32>(32);
        }
        self.ev_word.next = bit_cast::<64, 32>(self.ev_d32.val());
        self.ev_word.next = self.ev_word.val() << 32;
        self.pk_t.next = bit_cast::<64, 16>(self.ev_c.val());
        self.pk_t.next = self.pk_t.val() << 16;
        self.ev_word.next = self.ev_word.val() | self.pk_t.val();
        self.pk_t.next = bit_cast::<64, 8>(self.ev_b.val());
        self.pk_t.next = self.pk_t.val() << 8;
        self.ev_word.next = self.ev_word.val() | self.pk_t.val();
        self.pk_t.next = bit_cast::<64, 8>(self.ev_a.val());
        self.ev_word.next = self.ev_word.val() | self.pk_t.val();
        self.evt_fifo.write.next = self.ev_w.val();
        self.evt_fifo.data_in.next = bit_cast::<65, 64>(self.ev_word.val());
        self.evt_fifo.data_in.next = self
            .evt_fifo
            .data_in
            .val()
            .replace_bit(64, self.ev_last.val());
        self.m_evt_tdata.next = self.evt_fifo.data_out.val().get_bits::<64>(0);
        self.m_evt_tlast.next = self.evt_fifo.data_out.val().get_bit(64);
        self.m_evt_tvalid.next = !self.evt_fifo.empty.val();
        self.evt_fifo.read.next = self.m_evt_tready.val() & !self.evt_fifo.empty.val();

        // ---- Reset
        if self.reset.val() {
            self.st.d.next = OState::Init;
            self.quiet.d.next = false;
            self.init_i.d.next = 0.into();
            self.now.d.next = 0.into();
            self.sweep_i.d.next = 0.into();
            self.pr_req.d.next = false;
            self.pr_done.d.next = false;
            self.p1_v.d.next = false;
            self.p2_v.d.next = false;
            self.p3_v.d.next = false;
            self.p4_v.d.next = false;
            self.p5_v.d.next = false;
            self.conn_fl_wr.d.next = 0.into();
            self.conn_fl_rd.d.next = 0.into();
            self.conn_next.d.next = 0.into();
            self.path_fl_wr.d.next = 0.into();
            self.path_fl_rd.d.next = 0.into();
            self.path_next.d.next = 0.into();
            self.nbr_fl_wr.d.next = 0.into();
            self.nbr_fl_rd.d.next = 0.into();
            self.nbr_next.d.next = 0.into();
            self.c_lookups.d.next = 0.into();
            self.c_hits.d.next = 0.into();
            self.c_held.d.next = 0.into();
            self.c_misses.d.next = 0.into();
            self.c_not_tcp.d.next = 0.into();
            self.c_h1.d.next = 0.into();
            self.c_h2.d.next = 0.into();
            self.c_refused.d.next = 0.into();
            self.c_insfail.d.next = 0.into();
            self.c_flushes.d.next = 0.into();
            self.c_updates.d.next = 0.into();
            self.c_cmderr.d.next = 0.into();
            self.c_conns.d.next = 0.into();
            self.c_paths.d.next = 0.into();
            self.c_nbrs.d.next = 0.into();
        }
    }
}

// The slot layout `{conn, key, valid}` puts the handle at bit 303.
const _: () = assert!(FLOW_KEY_BITS + 1 == 303 && SLOT_BITS == 319);
