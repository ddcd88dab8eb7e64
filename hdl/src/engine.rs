//! The engine top (`Engine`): receive parser + offload core.
//!
//! Frames enter on `s_*`. Each frame's metadata record is looked up in the connection
//! table; the frame then leaves on `m_*` and its record on `m_lk_*` with its status
//! (0 not TCP, 1 miss, 3 hit) and connection handle, both in the same order. Frames of
//! connections between HANDOUT1 and HANDOUT2 (lookup status 2, held) wait in the hold
//! stage ([`crate::hold`]) and leave when HANDOUT2 completes (status 3) or when a
//! timeout, FLUSH or CLOSE ends the handout (status 1). Host commands enter on
//! `s_cmd_*`; responses leave on `m_evt_*`.

use crate::ack_gen::AckGen;
use crate::hold::Hold;
use crate::offload::Offload;
use crate::rx_meta::RxMetaRecord;
use crate::rx_parser::RxParser;
use rust_hdl::prelude::*;

/// Receive parser and offload core, 64-bit datapath.
#[derive(LogicBlock)]
pub struct Engine<
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
    pub s_tdata: Signal<In, Bits<64>>,
    pub s_tkeep: Signal<In, Bits<8>>,
    pub s_tvalid: Signal<In, Bit>,
    pub s_tready: Signal<Out, Bit>,
    pub s_tlast: Signal<In, Bit>,
    pub s_tuser: Signal<In, Bit>,
    pub m_tdata: Signal<Out, Bits<64>>,
    pub m_tkeep: Signal<Out, Bits<8>>,
    pub m_tvalid: Signal<Out, Bit>,
    pub m_tready: Signal<In, Bit>,
    pub m_tlast: Signal<Out, Bit>,
    pub m_tuser: Signal<Out, Bit>,
    pub m_lk_meta: Signal<Out, RxMetaRecord>,
    pub m_lk_status: Signal<Out, Bits<2>>,
    pub m_lk_conn: Signal<Out, Bits<16>>,
    pub m_lk_tvalid: Signal<Out, Bit>,
    pub m_lk_tready: Signal<In, Bit>,
    pub s_cmd_tdata: Signal<In, Bits<64>>,
    pub s_cmd_tvalid: Signal<In, Bit>,
    pub s_cmd_tlast: Signal<In, Bit>,
    pub s_cmd_tready: Signal<Out, Bit>,
    pub m_evt_tdata: Signal<Out, Bits<64>>,
    pub m_evt_tlast: Signal<Out, Bit>,
    pub m_evt_tvalid: Signal<Out, Bit>,
    pub m_evt_tready: Signal<In, Bit>,
    /// Counters of the receive path around the engine top, reported by STATS (0 if none).
    pub ring_frames: Signal<In, Bits<32>>,
    pub ring_bytes: Signal<In, Bits<32>>,
    pub ring_drops: Signal<In, Bits<32>>,
    pub ring_dma_errors: Signal<In, Bits<32>>,
    pub ext_cmd_errors: Signal<In, Bits<32>>,
    pub rcv_placed_segs: Signal<In, Bits<32>>,
    pub rcv_placed_bytes: Signal<In, Bits<32>>,
    pub rcv_ooo_segs: Signal<In, Bits<32>>,
    pub rcv_dup_segs: Signal<In, Bits<32>>,
    pub rcv_out_of_window: Signal<In, Bits<32>>,
    pub rcv_ooo_drops: Signal<In, Bits<32>>,
    pub rcv_indicated: Signal<In, Bits<32>>,
    pub rcv_lists_done: Signal<In, Bits<32>>,
    pub rcv_acks: Signal<In, Bits<32>>,
    /// Fast path activations from the offload core (see `crate::offload::Offload`).
    pub m_act_valid: Signal<Out, Bit>,
    pub m_act_conn: Signal<Out, Bits<16>>,
    pub m_act_ctx: Signal<Out, Bits<32>>,
    pub m_act_nxt: Signal<Out, Bits<32>>,
    pub m_act_wnd: Signal<Out, Bits<32>>,
    pub m_act_wsh: Signal<Out, Bits<4>>,
    /// FLUSH queries to the receive fast path (see `crate::offload::Offload`).
    /// Upload requests from the receive fast path (see `crate::offload::Offload`).
    pub s_up_valid: Signal<In, Bit>,
    pub s_up_word: Signal<In, Bits<24>>,
    pub s_up_ready: Signal<Out, Bit>,
    pub m_fq_valid: Signal<Out, Bit>,
    pub m_fq_conn: Signal<Out, Bits<16>>,
    pub s_fq_done: Signal<In, Bit>,
    pub s_fq_active: Signal<In, Bit>,
    pub s_fq_nxt: Signal<In, Bits<32>>,
    pub s_fq_wnd: Signal<In, Bits<32>>,
    /// ACK requests from a receive fast path (`crate::offload::Offload`'s `s_ak_*`;
    /// tie `s_ak_valid` to 0 without one) and the pure ACK frames they make
    /// (`crate::ack_gen::AckGen`), on the transmit stream `m_ack_*`.
    pub m_act_mss: Signal<Out, Bits<16>>,
    pub s_ak_valid: Signal<In, Bit>,
    pub s_ak_conn: Signal<In, Bits<16>>,
    pub s_ak_ack: Signal<In, Bits<32>>,
    pub s_ak_win: Signal<In, Bits<16>>,
    pub s_ak_ready: Signal<Out, Bit>,
    pub m_ak_busy: Signal<Out, Bit>,
    pub m_ack_tdata: Signal<Out, Bits<64>>,
    pub m_ack_tkeep: Signal<Out, Bits<8>>,
    pub m_ack_tlast: Signal<Out, Bit>,
    pub m_ack_tvalid: Signal<Out, Bit>,
    pub m_ack_tready: Signal<In, Bit>,
    parser: RxParser,
    core: Offload<CB, CB4, BB, PB, PB3, NB, NB2>,
    hold: Hold,
    ack_gen: AckGen,
}

impl<
    const CB: usize,
    const CB4: usize,
    const BB: usize,
    const PB: usize,
    const PB3: usize,
    const NB: usize,
    const NB2: usize,
> Engine<CB, CB4, BB, PB, PB3, NB, NB2>
{
    /// The engine for a receive minimum frame length and a HANDOUT1 timeout in clocks.
    /// `fast_path`: a receive fast path answers the FLUSH queries (`m_fq_*`); without
    /// one they are not asked.
    pub fn new(min_frame_len: u32, handout_timeout_cycles: u32, fast_path: bool) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_tdata: Default::default(),
            s_tkeep: Default::default(),
            s_tvalid: Default::default(),
            s_tready: Default::default(),
            s_tlast: Default::default(),
            s_tuser: Default::default(),
            m_tdata: Default::default(),
            m_tkeep: Default::default(),
            m_tvalid: Default::default(),
            m_tready: Default::default(),
            m_tlast: Default::default(),
            m_tuser: Default::default(),
            m_lk_meta: Default::default(),
            m_lk_status: Default::default(),
            m_lk_conn: Default::default(),
            m_lk_tvalid: Default::default(),
            m_lk_tready: Default::default(),
            s_cmd_tdata: Default::default(),
            s_cmd_tvalid: Default::default(),
            s_cmd_tlast: Default::default(),
            s_cmd_tready: Default::default(),
            m_evt_tdata: Default::default(),
            m_evt_tlast: Default::default(),
            m_evt_tvalid: Default::default(),
            m_evt_tready: Default::default(),
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
            m_ak_busy: Default::default(),
            m_ack_tdata: Default::default(),
            m_ack_tkeep: Default::default(),
            m_ack_tlast: Default::default(),
            m_ack_tvalid: Default::default(),
            m_ack_tready: Default::default(),
            parser: RxParser::new(min_frame_len),
            core: Offload::new(handout_timeout_cycles, fast_path),
            hold: Hold::default(),
            ack_gen: AckGen::default(),
        }
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
> Logic for Engine<CB, CB4, BB, PB, PB3, NB, NB2>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.parser.clock.next = self.clock.val();
        self.core.clock.next = self.clock.val();
        self.hold.clock.next = self.clock.val();
        self.parser.reset.next = self.reset.val();
        self.core.reset.next = self.reset.val();
        self.hold.reset.next = self.reset.val();
        self.ack_gen.clock.next = self.clock.val();
        self.ack_gen.reset.next = self.reset.val();
        // Frames: parser → hold stage → out
        self.parser.s_tdata.next = self.s_tdata.val();
        self.parser.s_tkeep.next = self.s_tkeep.val();
        self.parser.s_tvalid.next = self.s_tvalid.val();
        self.parser.s_tlast.next = self.s_tlast.val();
        self.parser.s_tuser.next = self.s_tuser.val();
        self.s_tready.next = self.parser.s_tready.val();
        self.hold.s_tdata.next = self.parser.m_tdata.val();
        self.hold.s_tkeep.next = self.parser.m_tkeep.val();
        self.hold.s_tvalid.next = self.parser.m_tvalid.val();
        self.hold.s_tlast.next = self.parser.m_tlast.val();
        self.hold.s_tuser.next = self.parser.m_tuser.val();
        self.parser.m_tready.next = self.hold.s_tready.val();
        self.m_tdata.next = self.hold.m_tdata.val();
        self.m_tkeep.next = self.hold.m_tkeep.val();
        self.m_tvalid.next = self.hold.m_tvalid.val();
        self.m_tlast.next = self.hold.m_tlast.val();
        self.m_tuser.next = self.hold.m_tuser.val();
        self.hold.m_tready.next = self.m_tready.val();
        // Records: parser → lookup → hold stage → out
        self.core.s_meta_tdata.next = self.parser.m_meta_tdata.val();
        self.core.s_meta_tvalid.next = self.parser.m_meta_tvalid.val();
        self.parser.m_meta_tready.next = self.core.s_meta_tready.val();
        self.hold.s_lk_meta.next = self.core.m_lk_meta.val();
        self.hold.s_lk_status.next = self.core.m_lk_status.val();
        self.hold.s_lk_conn.next = self.core.m_lk_conn.val();
        self.hold.s_lk_mark.next = self.core.m_lk_mark.val();
        self.hold.s_lk_tvalid.next = self.core.m_lk_tvalid.val();
        self.core.m_lk_tready.next = self.hold.s_lk_tready.val();
        self.m_lk_meta.next = self.hold.m_lk_meta.val();
        self.m_lk_status.next = self.hold.m_lk_status.val();
        self.m_lk_conn.next = self.hold.m_lk_conn.val();
        self.m_lk_tvalid.next = self.hold.m_lk_tvalid.val();
        self.hold.m_lk_tready.next = self.m_lk_tready.val();
        self.core.hold_drops.next = self.hold.hold_drops.val();
        self.core.oversize.next = self.hold.oversize.val();
        self.core.ring_frames.next = self.ring_frames.val();
        self.core.ring_bytes.next = self.ring_bytes.val();
        self.core.ring_drops.next = self.ring_drops.val();
        self.core.ring_dma_errors.next = self.ring_dma_errors.val();
        self.core.ext_cmd_errors.next = self.ext_cmd_errors.val();
        self.core.rcv_placed_segs.next = self.rcv_placed_segs.val();
        self.core.rcv_placed_bytes.next = self.rcv_placed_bytes.val();
        self.core.rcv_ooo_segs.next = self.rcv_ooo_segs.val();
        self.core.rcv_dup_segs.next = self.rcv_dup_segs.val();
        self.core.rcv_out_of_window.next = self.rcv_out_of_window.val();
        self.core.rcv_ooo_drops.next = self.rcv_ooo_drops.val();
        self.core.rcv_indicated.next = self.rcv_indicated.val();
        self.core.rcv_lists_done.next = self.rcv_lists_done.val();
        self.core.rcv_acks.next = self.rcv_acks.val();
        // Commands and responses
        self.core.s_cmd_tdata.next = self.s_cmd_tdata.val();
        self.core.s_cmd_tvalid.next = self.s_cmd_tvalid.val();
        self.core.s_cmd_tlast.next = self.s_cmd_tlast.val();
        self.s_cmd_tready.next = self.core.s_cmd_tready.val();
        self.m_evt_tdata.next = self.core.m_evt_tdata.val();
        self.m_evt_tlast.next = self.core.m_evt_tlast.val();
        self.m_evt_tvalid.next = self.core.m_evt_tvalid.val();
        self.core.m_evt_tready.next = self.m_evt_tready.val();
        self.m_act_valid.next = self.core.m_act_valid.val();
        self.m_act_conn.next = self.core.m_act_conn.val();
        self.m_act_ctx.next = self.core.m_act_ctx.val();
        self.m_act_nxt.next = self.core.m_act_nxt.val();
        self.m_act_wnd.next = self.core.m_act_wnd.val();
        self.m_act_wsh.next = self.core.m_act_wsh.val();
        self.m_fq_valid.next = self.core.m_fq_valid.val();
        self.core.s_up_valid.next = self.s_up_valid.val();
        self.core.s_up_word.next = self.s_up_word.val();
        self.s_up_ready.next = self.core.s_up_ready.val();
        self.m_fq_conn.next = self.core.m_fq_conn.val();
        self.core.s_fq_done.next = self.s_fq_done.val();
        self.core.s_fq_active.next = self.s_fq_active.val();
        self.core.s_fq_nxt.next = self.s_fq_nxt.val();
        self.core.s_fq_wnd.next = self.s_fq_wnd.val();
        // ACK requests → offload core (templates) → ACK generator → m_ack_*
        self.m_act_mss.next = self.core.m_act_mss.val();
        self.core.s_ak_valid.next = self.s_ak_valid.val();
        self.core.s_ak_conn.next = self.s_ak_conn.val();
        self.core.s_ak_ack.next = self.s_ak_ack.val();
        self.core.s_ak_win.next = self.s_ak_win.val();
        self.s_ak_ready.next = self.core.s_ak_ready.val();
        self.m_ak_busy.next = self.core.m_ak_busy.val();
        self.ack_gen.s_dst_mac.next = self.core.m_ak_dst_mac.val();
        self.ack_gen.s_src_mac.next = self.core.m_ak_src_mac.val();
        self.ack_gen.s_vlan.next = self.core.m_ak_vlan.val();
        self.ack_gen.s_vlan_tci.next = self.core.m_ak_vlan_tci.val();
        self.ack_gen.s_ipv6.next = self.core.m_ak_ipv6.val();
        self.ack_gen.s_local_ip.next = self.core.m_ak_local_ip.val();
        self.ack_gen.s_remote_ip.next = self.core.m_ak_remote_ip.val();
        self.ack_gen.s_ttl.next = self.core.m_ak_ttl.val();
        self.ack_gen.s_tos.next = self.core.m_ak_tos.val();
        self.ack_gen.s_flow_label.next = self.core.m_ak_flow_label.val();
        self.ack_gen.s_ip_id.next = self.core.m_ak_ip_id.val();
        self.ack_gen.s_local_port.next = self.core.m_ak_local_port.val();
        self.ack_gen.s_remote_port.next = self.core.m_ak_remote_port.val();
        self.ack_gen.s_seq.next = self.core.m_ak_seq.val();
        self.ack_gen.s_ack.next = self.core.m_ak_ack.val();
        self.ack_gen.s_window.next = self.core.m_ak_window.val();
        // Pure ACKs only here (the send path is not built): no payload.
        self.ack_gen.s_psh.next = false;
        self.ack_gen.s_plen.next = 0.into();
        self.ack_gen.s_psum.next = 0.into();
        self.ack_gen.s_pay_tdata.next = 0.into();
        self.ack_gen.s_pay_tkeep.next = 0.into();
        self.ack_gen.s_pay_tvalid.next = false;
        self.ack_gen.s_valid.next = self.core.m_ak_valid.val();
        self.core.m_ak_ready.next = self.ack_gen.s_ready.val();
        self.m_ack_tdata.next = self.ack_gen.m_tdata.val();
        self.m_ack_tkeep.next = self.ack_gen.m_tkeep.val();
        self.m_ack_tlast.next = self.ack_gen.m_tlast.val();
        self.m_ack_tvalid.next = self.ack_gen.m_tvalid.val();
        self.ack_gen.m_tready.next = self.m_ack_tready.val();
    }
}

/// Calls `$body` with `$E` bound to the `Engine` type for a connection count
/// (`host_model::config::SUPPORTED_CONNECTIONS`); `None` for other counts. With a type
/// path first (`with_engine_type!(n, crate::receive::Receive, E => ...)`), binds that
/// type with the same parameters.
#[macro_export]
macro_rules! with_engine_type {
    ($conns:expr, $E:ident => $body:expr) => {
        $crate::with_engine_type!($conns, $crate::engine::Engine, $E => $body)
    };
    ($conns:expr, $($T:ident)::+, $E:ident => $body:expr) => {
        match $conns {
            256 => {
                type $E = $($T)::+<8, 12, 6, 6, 9, 4, 6>;
                Some($body)
            }
            1024 => {
                type $E = $($T)::+<10, 14, 8, 8, 11, 6, 8>;
                Some($body)
            }
            4096 => {
                type $E = $($T)::+<12, 16, 10, 10, 13, 8, 10>;
                Some($body)
            }
            16384 => {
                type $E = $($T)::+<14, 18, 12, 12, 15, 10, 12>;
                Some($body)
            }
            65536 => {
                type $E = $($T)::+<16, 20, 14, 14, 17, 12, 14>;
                Some($body)
            }
            _ => None,
        }
    };
}
