//! The receive engine top (`Receive`): engine top + receive path + DMA write engine.
//!
//! Frames enter on `s_*` and are parsed and looked up by the engine top
//! ([`crate::engine`]); the receive path ([`crate::rx_path`]) writes each into the next
//! receive-ring buffer the host posted (RXBUF) through the DMA write engine
//! ([`crate::dma_write`]) on the AXI4 write master `m_axi_*`, and announces it with an
//! RX_FRAME event. Commands enter on `s_cmd_*` (the receive path takes the data-path
//! ones, the offload core the others); all responses and events leave on `m_evt_*`.
//!
//! Between the engine top and the ring sits the receive fast path
//! ([`crate::rcv_core`]): it takes RCVLIST / WINUPDATE and places the in-order payload
//! of offloaded connections into the posted lists through the byte extractor
//! ([`crate::extract`]); its DMA writes share the DMA write engine with the ring's
//! ([`crate::dma_mux`]). Frames it does not take go to the ring as before.

use crate::dma_mux::DmaMux;
use crate::dma_write::DmaWrite;
use crate::engine::Engine;
use crate::extract::ByteExtract;
use crate::rcv_core::RcvCore;
use crate::rx_path::RxPath;
use crate::sync_fifo::SyncFifo;
use rust_hdl::prelude::*;

/// Receive engine top, 64-bit datapath, AXI4 write master.
#[derive(LogicBlock)]
pub struct Receive<
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
    pub s_cmd_tdata: Signal<In, Bits<64>>,
    pub s_cmd_tvalid: Signal<In, Bit>,
    pub s_cmd_tlast: Signal<In, Bit>,
    pub s_cmd_tready: Signal<Out, Bit>,
    pub m_evt_tdata: Signal<Out, Bits<64>>,
    pub m_evt_tlast: Signal<Out, Bit>,
    pub m_evt_tvalid: Signal<Out, Bit>,
    pub m_evt_tready: Signal<In, Bit>,
    pub m_axi_awaddr: Signal<Out, Bits<64>>,
    pub m_axi_awlen: Signal<Out, Bits<8>>,
    pub m_axi_awsize: Signal<Out, Bits<3>>,
    pub m_axi_awburst: Signal<Out, Bits<2>>,
    pub m_axi_awvalid: Signal<Out, Bit>,
    pub m_axi_awready: Signal<In, Bit>,
    pub m_axi_wdata: Signal<Out, Bits<64>>,
    pub m_axi_wstrb: Signal<Out, Bits<8>>,
    pub m_axi_wlast: Signal<Out, Bit>,
    pub m_axi_wvalid: Signal<Out, Bit>,
    pub m_axi_wready: Signal<In, Bit>,
    pub m_axi_bresp: Signal<In, Bits<2>>,
    pub m_axi_bvalid: Signal<In, Bit>,
    pub m_axi_bready: Signal<Out, Bit>,
    /// Pure ACK frames (I8) of the fast path's connections: the transmit stream.
    pub m_ack_tdata: Signal<Out, Bits<64>>,
    pub m_ack_tkeep: Signal<Out, Bits<8>>,
    pub m_ack_tlast: Signal<Out, Bit>,
    pub m_ack_tvalid: Signal<Out, Bit>,
    pub m_ack_tready: Signal<In, Bit>,
    /// The delayed-ACK clock runs (tie to 1; a testbench may stop time).
    pub timer_en: Signal<In, Bit>,
    engine: Engine<CB, CB4, BB, PB, PB3, NB, NB2>,
    fast: RcvCore<CB, CB4>,
    extract: ByteExtract,
    mux: DmaMux,
    /// The extractor's output waits here for the DMA engine (a whole frame's worth):
    /// a frame going both to the ring and into lists never waits on itself.
    xq: SyncFifo<Bits<64>, 9, 10>,
    path: RxPath,
    dma: DmaWrite,
}

impl<
    const CB: usize,
    const CB4: usize,
    const BB: usize,
    const PB: usize,
    const PB3: usize,
    const NB: usize,
    const NB2: usize,
> Receive<CB, CB4, BB, PB, PB3, NB, NB2>
{
    /// The receive engine for a minimum frame length, a HANDOUT1 timeout in clocks,
    /// `rcv.sg_entries`, `rcv.ack_every`, `rcv.delack_us` in clocks and `rcv.hold_frames`.
    pub fn new(
        min_frame_len: u32,
        handout_timeout_cycles: u32,
        sg_entries: u32,
        ack_every: u32,
        delack_cycles: u64,
        hold_frames: u32,
    ) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_tdata: Default::default(),
            s_tkeep: Default::default(),
            s_tvalid: Default::default(),
            s_tready: Default::default(),
            s_tlast: Default::default(),
            s_tuser: Default::default(),
            s_cmd_tdata: Default::default(),
            s_cmd_tvalid: Default::default(),
            s_cmd_tlast: Default::default(),
            s_cmd_tready: Default::default(),
            m_evt_tdata: Default::default(),
            m_evt_tlast: Default::default(),
            m_evt_tvalid: Default::default(),
            m_evt_tready: Default::default(),
            m_axi_awaddr: Default::default(),
            m_axi_awlen: Default::default(),
            m_axi_awsize: Default::default(),
            m_axi_awburst: Default::default(),
            m_axi_awvalid: Default::default(),
            m_axi_awready: Default::default(),
            m_axi_wdata: Default::default(),
            m_axi_wstrb: Default::default(),
            m_axi_wlast: Default::default(),
            m_axi_wvalid: Default::default(),
            m_axi_wready: Default::default(),
            m_axi_bresp: Default::default(),
            m_axi_bvalid: Default::default(),
            m_axi_bready: Default::default(),
            m_ack_tdata: Default::default(),
            m_ack_tkeep: Default::default(),
            m_ack_tlast: Default::default(),
            m_ack_tvalid: Default::default(),
            m_ack_tready: Default::default(),
            timer_en: Default::default(),
            engine: Engine::new(min_frame_len, handout_timeout_cycles, true),
            fast: RcvCore::new(sg_entries, ack_every, delack_cycles, hold_frames),
            extract: ByteExtract::default(),
            mux: DmaMux::default(),
            xq: SyncFifo::new(2),
            path: RxPath::default(),
            dma: DmaWrite::default(),
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
> Logic for Receive<CB, CB4, BB, PB, PB3, NB, NB2>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.engine.clock.next = self.clock.val();
        self.fast.clock.next = self.clock.val();
        self.extract.clock.next = self.clock.val();
        self.mux.clock.next = self.clock.val();
        self.xq.clock.next = self.clock.val();
        self.path.clock.next = self.clock.val();
        self.dma.clock.next = self.clock.val();
        self.engine.reset.next = self.reset.val();
        self.fast.reset.next = self.reset.val();
        self.extract.reset.next = self.reset.val();
        self.mux.reset.next = self.reset.val();
        self.xq.reset.next = self.reset.val();
        self.path.reset.next = self.reset.val();
        self.dma.reset.next = self.reset.val();
        // Frames in.
        self.engine.s_tdata.next = self.s_tdata.val();
        self.engine.s_tkeep.next = self.s_tkeep.val();
        self.engine.s_tvalid.next = self.s_tvalid.val();
        self.engine.s_tlast.next = self.s_tlast.val();
        self.engine.s_tuser.next = self.s_tuser.val();
        self.s_tready.next = self.engine.s_tready.val();
        // ACKs: fast path → offload core (templates) → ACK generator → m_ack_*.
        self.fast.s_act_mss.next = self.engine.m_act_mss.val();
        self.fast.timer_en.next = self.timer_en.val();
        self.engine.s_ak_valid.next = self.fast.m_ak_valid.val();
        self.engine.s_ak_conn.next = self.fast.m_ak_conn.val();
        self.engine.s_ak_ack.next = self.fast.m_ak_ack.val();
        self.engine.s_ak_win.next = self.fast.m_ak_win.val();
        self.fast.m_ak_ready.next = self.engine.s_ak_ready.val();
        self.fast.s_ak_busy.next = self.engine.m_ak_busy.val();
        self.m_ack_tdata.next = self.engine.m_ack_tdata.val();
        self.m_ack_tkeep.next = self.engine.m_ack_tkeep.val();
        self.m_ack_tlast.next = self.engine.m_ack_tlast.val();
        self.m_ack_tvalid.next = self.engine.m_ack_tvalid.val();
        self.engine.m_ack_tready.next = self.m_ack_tready.val();
        // Engine top → fast path.
        self.fast.s_tdata.next = self.engine.m_tdata.val();
        self.fast.s_tkeep.next = self.engine.m_tkeep.val();
        self.fast.s_tvalid.next = self.engine.m_tvalid.val();
        self.fast.s_tlast.next = self.engine.m_tlast.val();
        self.fast.s_tuser.next = self.engine.m_tuser.val();
        self.engine.m_tready.next = self.fast.s_tready.val();
        self.fast.s_lk_meta.next = self.engine.m_lk_meta.val();
        self.fast.s_lk_status.next = self.engine.m_lk_status.val();
        self.fast.s_lk_conn.next = self.engine.m_lk_conn.val();
        self.fast.s_lk_tvalid.next = self.engine.m_lk_tvalid.val();
        self.engine.m_lk_tready.next = self.fast.s_lk_tready.val();
        self.fast.s_act_valid.next = self.engine.m_act_valid.val();
        self.fast.s_act_conn.next = self.engine.m_act_conn.val();
        self.fast.s_act_ctx.next = self.engine.m_act_ctx.val();
        self.fast.s_act_nxt.next = self.engine.m_act_nxt.val();
        self.fast.s_act_wnd.next = self.engine.m_act_wnd.val();
        self.fast.s_act_wsh.next = self.engine.m_act_wsh.val();
        self.fast.s_fq_valid.next = self.engine.m_fq_valid.val();
        self.fast.s_fq_conn.next = self.engine.m_fq_conn.val();
        self.engine.s_fq_done.next = self.fast.m_fq_done.val();
        self.engine.s_fq_active.next = self.fast.m_fq_active.val();
        self.engine.s_fq_nxt.next = self.fast.m_fq_nxt.val();
        self.engine.s_fq_wnd.next = self.fast.m_fq_wnd.val();
        self.engine.s_up_valid.next = self.fast.m_up_valid.val();
        self.engine.s_up_word.next = self.fast.m_up_word.val();
        self.fast.m_up_ready.next = self.engine.s_up_ready.val();
        // Fast path → receive ring (the frames it does not take).
        self.path.s_tdata.next = self.fast.m_tdata.val();
        self.path.s_tkeep.next = self.fast.m_tkeep.val();
        self.path.s_tvalid.next = self.fast.m_tvalid.val();
        self.path.s_tlast.next = self.fast.m_tlast.val();
        self.path.s_tuser.next = self.fast.m_tuser.val();
        self.fast.m_tready.next = self.path.s_tready.val();
        self.path.s_lk_meta.next = self.fast.m_lk_meta.val();
        self.path.s_lk_status.next = self.fast.m_lk_status.val();
        self.path.s_lk_conn.next = self.fast.m_lk_conn.val();
        self.path.s_lk_fdata.next = self.fast.m_lk_fdata.val();
        self.path.s_lk_nobuf.next = self.fast.m_lk_nobuf.val();
        self.fast.s_buf_posted.next = self.path.buf_posted.val();
        self.path.s_lk_tvalid.next = self.fast.m_lk_tvalid.val();
        self.fast.m_lk_tready.next = self.path.s_lk_tready.val();
        // Fast path → byte extractor.
        self.extract.s_tdata.next = self.fast.m_x_tdata.val();
        self.extract.s_tlast.next = self.fast.m_x_tlast.val();
        self.extract.s_tvalid.next = self.fast.m_x_tvalid.val();
        self.fast.m_x_tready.next = self.extract.s_tready.val();
        self.extract.s_cmd_start.next = self.fast.m_pc_start.val();
        self.extract.s_cmd_len.next = self.fast.m_pc_len.val();
        self.extract.s_cmd_last.next = self.fast.m_pc_last.val();
        self.extract.s_cmd_valid.next = self.fast.m_pc_valid.val();
        self.fast.m_pc_ready.next = self.extract.s_cmd_ready.val();
        // Commands and events.
        self.path.s_cmd_tdata.next = self.s_cmd_tdata.val();
        self.path.s_cmd_tvalid.next = self.s_cmd_tvalid.val();
        self.path.s_cmd_tlast.next = self.s_cmd_tlast.val();
        self.s_cmd_tready.next = self.path.s_cmd_tready.val();
        self.engine.s_cmd_tdata.next = self.path.m_core_cmd_tdata.val();
        self.engine.s_cmd_tvalid.next = self.path.m_core_cmd_tvalid.val();
        self.engine.s_cmd_tlast.next = self.path.m_core_cmd_tlast.val();
        self.path.m_core_cmd_tready.next = self.engine.s_cmd_tready.val();
        self.fast.s_cmd_tdata.next = self.path.m_fp_cmd_tdata.val();
        self.fast.s_cmd_tvalid.next = self.path.m_fp_cmd_tvalid.val();
        self.fast.s_cmd_tlast.next = self.path.m_fp_cmd_tlast.val();
        self.path.m_fp_cmd_tready.next = self.fast.s_cmd_tready.val();
        self.path.s_core_evt_tdata.next = self.engine.m_evt_tdata.val();
        self.path.s_core_evt_tlast.next = self.engine.m_evt_tlast.val();
        self.path.s_core_evt_tvalid.next = self.engine.m_evt_tvalid.val();
        self.engine.m_evt_tready.next = self.path.s_core_evt_tready.val();
        self.path.s_fp_evt_tdata.next = self.fast.m_evt_tdata.val();
        self.path.s_fp_evt_tlast.next = self.fast.m_evt_tlast.val();
        self.path.s_fp_evt_tvalid.next = self.fast.m_evt_tvalid.val();
        self.fast.m_evt_tready.next = self.path.s_fp_evt_tready.val();
        self.m_evt_tdata.next = self.path.m_evt_tdata.val();
        self.m_evt_tlast.next = self.path.m_evt_tlast.val();
        self.m_evt_tvalid.next = self.path.m_evt_tvalid.val();
        self.path.m_evt_tready.next = self.m_evt_tready.val();
        // Counters into STATS.
        self.engine.ring_frames.next = self.path.ring_frames.val();
        self.engine.ring_bytes.next = self.path.ring_bytes.val();
        self.engine.ring_drops.next = self.path.ring_drops.val();
        self.engine.ring_dma_errors.next = self.path.ring_dma_errors.val();
        self.engine.ext_cmd_errors.next = self.path.cmd_errors.val() + self.fast.cmd_errors.val();
        self.engine.rcv_placed_segs.next = self.fast.placed_segs.val();
        self.engine.rcv_placed_bytes.next = self.fast.placed_bytes.val();
        self.engine.rcv_ooo_segs.next = self.fast.ooo_segs.val();
        self.engine.rcv_dup_segs.next = self.fast.dup_segs.val();
        self.engine.rcv_out_of_window.next = self.fast.out_of_window.val();
        self.engine.rcv_ooo_drops.next = self.fast.ooo_drops.val();
        self.engine.rcv_indicated.next = self.fast.indicated.val();
        self.engine.rcv_lists_done.next = self.fast.lists_done.val();
        self.engine.rcv_acks.next = self.fast.acks.val();
        // Receive ring (port A) and fast path (port B) → DMA write engine.
        self.mux.a_req_addr.next = self.path.m_req_addr.val();
        self.mux.a_req_len.next = self.path.m_req_len.val();
        self.mux.a_req_tag.next = self.path.m_req_tag.val();
        self.mux.a_req_valid.next = self.path.m_req_valid.val();
        self.path.m_req_ready.next = self.mux.a_req_ready.val();
        self.mux.a_data_tdata.next = self.path.m_data_tdata.val();
        self.mux.a_data_tvalid.next = self.path.m_data_tvalid.val();
        self.path.m_data_tready.next = self.mux.a_data_tready.val();
        self.path.s_done_status.next = self.mux.a_done_status.val();
        self.path.s_done_tag.next = self.mux.a_done_tag.val();
        self.path.s_done_valid.next = self.mux.a_done_valid.val();
        self.mux.a_done_ready.next = self.path.s_done_ready.val();
        self.mux.b_req_addr.next = self.fast.m_req_addr.val();
        self.mux.b_req_len.next = self.fast.m_req_len.val();
        self.mux.b_req_tag.next = self.fast.m_req_tag.val();
        self.mux.b_req_valid.next = self.fast.m_req_valid.val();
        self.fast.m_req_ready.next = self.mux.b_req_ready.val();
        self.xq.data_in.next = self.extract.m_tdata.val();
        self.xq.write.next = self.extract.m_tvalid.val() & !self.xq.full.val();
        self.extract.m_tready.next = !self.xq.full.val();
        self.mux.b_data_tdata.next = self.xq.data_out.val();
        self.mux.b_data_tvalid.next = !self.xq.empty.val();
        self.xq.read.next = self.mux.b_data_tready.val() & !self.xq.empty.val();
        self.fast.s_done_status.next = self.mux.b_done_status.val();
        self.fast.s_done_tag.next = self.mux.b_done_tag.val();
        self.fast.s_done_valid.next = self.mux.b_done_valid.val();
        self.mux.b_done_ready.next = self.fast.s_done_ready.val();
        self.dma.s_req_addr.next = self.mux.m_req_addr.val();
        self.dma.s_req_len.next = self.mux.m_req_len.val();
        self.dma.s_req_tag.next = self.mux.m_req_tag.val();
        self.dma.s_req_valid.next = self.mux.m_req_valid.val();
        self.mux.m_req_ready.next = self.dma.s_req_ready.val();
        self.dma.s_data_tdata.next = self.mux.m_data_tdata.val();
        self.dma.s_data_tvalid.next = self.mux.m_data_tvalid.val();
        self.mux.m_data_tready.next = self.dma.s_data_tready.val();
        self.mux.s_done_status.next = self.dma.m_done_status.val();
        self.mux.s_done_tag.next = self.dma.m_done_tag.val();
        self.mux.s_done_valid.next = self.dma.m_done_valid.val();
        self.dma.m_done_ready.next = self.mux.s_done_ready.val();
        // AXI4 write master.
        self.m_axi_awaddr.next = self.dma.m_axi_awaddr.val();
        self.m_axi_awlen.next = self.dma.m_axi_awlen.val();
        self.m_axi_awsize.next = self.dma.m_axi_awsize.val();
        self.m_axi_awburst.next = self.dma.m_axi_awburst.val();
        self.m_axi_awvalid.next = self.dma.m_axi_awvalid.val();
        self.dma.m_axi_awready.next = self.m_axi_awready.val();
        self.m_axi_wdata.next = self.dma.m_axi_wdata.val();
        self.m_axi_wstrb.next = self.dma.m_axi_wstrb.val();
        self.m_axi_wlast.next = self.dma.m_axi_wlast.val();
        self.m_axi_wvalid.next = self.dma.m_axi_wvalid.val();
        self.dma.m_axi_wready.next = self.m_axi_wready.val();
        self.dma.m_axi_bresp.next = self.m_axi_bresp.val();
        self.dma.m_axi_bvalid.next = self.m_axi_bvalid.val();
        self.m_axi_bready.next = self.dma.m_axi_bready.val();
    }
}
