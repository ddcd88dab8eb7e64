//! Segment transmit path (`TxSeg`): the segment fetch unit ([`crate::tx_fetch::TxFetch`])
//! with its DMA read engine ([`crate::dma_read::DmaRead`], AXI4 read master) feeding the
//! transmit frame generator ([`crate::ack_gen::AckGen`]): data segments from host memory
//! to TCP frames on the wire, checksums computed in hardware.
//!
//! Each segment's pieces come on `s_pc_*`; its header fields (the connection's
//! templates, SEQ / ACK / window, PSH) come on `s_hdr_*`, one request per segment in the
//! same order, and are joined with the fetched segment's length and payload sum. A
//! segment whose read failed sends no frame: its header request is taken with it and
//! `seg_errors` counts it.

use crate::ack_gen::AckGen;
use crate::dma_read::DmaRead;
use crate::tx_fetch::TxFetch;
use rust_hdl::prelude::*;

/// Segment transmit path, 64-bit data.
#[derive(LogicBlock, Default)]
pub struct TxSeg {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_pc_addr: Signal<In, Bits<64>>,
    pub s_pc_len: Signal<In, Bits<12>>,
    pub s_pc_last: Signal<In, Bit>,
    pub s_pc_plen: Signal<In, Bits<12>>,
    pub s_pc_valid: Signal<In, Bit>,
    pub s_pc_ready: Signal<Out, Bit>,
    pub s_dst_mac: Signal<In, Bits<48>>,
    pub s_src_mac: Signal<In, Bits<48>>,
    pub s_vlan: Signal<In, Bit>,
    pub s_vlan_tci: Signal<In, Bits<16>>,
    pub s_ipv6: Signal<In, Bit>,
    pub s_local_ip: Signal<In, Bits<128>>,
    pub s_remote_ip: Signal<In, Bits<128>>,
    pub s_ttl: Signal<In, Bits<8>>,
    pub s_tos: Signal<In, Bits<8>>,
    pub s_flow_label: Signal<In, Bits<20>>,
    pub s_ip_id: Signal<In, Bits<16>>,
    pub s_local_port: Signal<In, Bits<16>>,
    pub s_remote_port: Signal<In, Bits<16>>,
    pub s_seq: Signal<In, Bits<32>>,
    pub s_ack: Signal<In, Bits<32>>,
    pub s_window: Signal<In, Bits<16>>,
    pub s_psh: Signal<In, Bit>,
    pub s_hdr_valid: Signal<In, Bit>,
    pub s_hdr_ready: Signal<Out, Bit>,
    pub m_axi_araddr: Signal<Out, Bits<64>>,
    pub m_axi_arlen: Signal<Out, Bits<8>>,
    pub m_axi_arsize: Signal<Out, Bits<3>>,
    pub m_axi_arburst: Signal<Out, Bits<2>>,
    pub m_axi_arvalid: Signal<Out, Bit>,
    pub m_axi_arready: Signal<In, Bit>,
    pub m_axi_rdata: Signal<In, Bits<64>>,
    pub m_axi_rresp: Signal<In, Bits<2>>,
    pub m_axi_rlast: Signal<In, Bit>,
    pub m_axi_rvalid: Signal<In, Bit>,
    pub m_axi_rready: Signal<Out, Bit>,
    pub m_tdata: Signal<Out, Bits<64>>,
    pub m_tkeep: Signal<Out, Bits<8>>,
    pub m_tlast: Signal<Out, Bit>,
    pub m_tvalid: Signal<Out, Bit>,
    pub m_tready: Signal<In, Bit>,
    pub seg_errors: Signal<Out, Bits<32>>,
    fetch: TxFetch,
    dma: DmaRead,
    fgen: AckGen,
    both: Signal<Local, Bit>,
    hs: Signal<Local, Bit>,
}

impl Logic for TxSeg {
    #[hdl_gen]
    fn update(&mut self) {
        self.fetch.clock.next = self.clock.val();
        self.fetch.reset.next = self.reset.val();
        self.dma.clock.next = self.clock.val();
        self.dma.reset.next = self.reset.val();
        self.fgen.clock.next = self.clock.val();
        self.fgen.reset.next = self.reset.val();
        // Pieces → fetch unit → DMA read engine.
        self.fetch.s_pc_addr.next = self.s_pc_addr.val();
        self.fetch.s_pc_len.next = self.s_pc_len.val();
        self.fetch.s_pc_last.next = self.s_pc_last.val();
        self.fetch.s_pc_plen.next = self.s_pc_plen.val();
        self.fetch.s_pc_meta.next = 0.into();
        self.fetch.s_pc_valid.next = self.s_pc_valid.val();
        self.s_pc_ready.next = self.fetch.s_pc_ready.val();
        self.dma.s_req_addr.next = self.fetch.m_rd_addr.val();
        self.dma.s_req_len.next = self.fetch.m_rd_len.val();
        self.dma.s_req_tag.next = 0.into();
        self.dma.s_req_valid.next = self.fetch.m_rd_valid.val();
        self.fetch.m_rd_ready.next = self.dma.s_req_ready.val();
        self.fetch.s_rd_tdata.next = self.dma.m_data_tdata.val();
        self.fetch.s_rd_tkeep.next = self.dma.m_data_tkeep.val();
        self.fetch.s_rd_tlast.next = self.dma.m_data_tlast.val();
        self.fetch.s_rd_tvalid.next = self.dma.m_data_tvalid.val();
        self.dma.m_data_tready.next = self.fetch.s_rd_tready.val();
        self.fetch.s_rd_done_status.next = self.dma.m_done_status.val();
        self.fetch.s_rd_done_valid.next = self.dma.m_done_valid.val();
        self.dma.m_done_ready.next = self.fetch.s_rd_done_ready.val();
        self.m_axi_araddr.next = self.dma.m_axi_araddr.val();
        self.m_axi_arlen.next = self.dma.m_axi_arlen.val();
        self.m_axi_arsize.next = self.dma.m_axi_arsize.val();
        self.m_axi_arburst.next = self.dma.m_axi_arburst.val();
        self.m_axi_arvalid.next = self.dma.m_axi_arvalid.val();
        self.dma.m_axi_arready.next = self.m_axi_arready.val();
        self.dma.m_axi_rdata.next = self.m_axi_rdata.val();
        self.dma.m_axi_rresp.next = self.m_axi_rresp.val();
        self.dma.m_axi_rlast.next = self.m_axi_rlast.val();
        self.dma.m_axi_rvalid.next = self.m_axi_rvalid.val();
        self.m_axi_rready.next = self.dma.m_axi_rready.val();
        self.seg_errors.next = self.fetch.seg_errors.val();
        // Header requests joined with fetched segments → frame generator.
        self.fgen.s_dst_mac.next = self.s_dst_mac.val();
        self.fgen.s_src_mac.next = self.s_src_mac.val();
        self.fgen.s_vlan.next = self.s_vlan.val();
        self.fgen.s_vlan_tci.next = self.s_vlan_tci.val();
        self.fgen.s_ipv6.next = self.s_ipv6.val();
        self.fgen.s_local_ip.next = self.s_local_ip.val();
        self.fgen.s_remote_ip.next = self.s_remote_ip.val();
        self.fgen.s_ttl.next = self.s_ttl.val();
        self.fgen.s_tos.next = self.s_tos.val();
        self.fgen.s_flow_label.next = self.s_flow_label.val();
        self.fgen.s_ip_id.next = self.s_ip_id.val();
        self.fgen.s_local_port.next = self.s_local_port.val();
        self.fgen.s_remote_port.next = self.s_remote_port.val();
        self.fgen.s_seq.next = self.s_seq.val();
        self.fgen.s_ack.next = self.s_ack.val();
        self.fgen.s_window.next = self.s_window.val();
        self.fgen.s_psh.next = self.s_psh.val();
        self.fgen.s_plen.next = self.fetch.m_seg_plen.val();
        self.fgen.s_psum.next = self.fetch.m_seg_psum.val();
        self.both.next = self.s_hdr_valid.val() && self.fetch.m_seg_valid.val();
        self.fgen.s_valid.next = self.both.val() && !self.fetch.m_seg_err.val();
        self.hs.next = self.both.val() && (self.fetch.m_seg_err.val() || self.fgen.s_ready.val());
        self.s_hdr_ready.next = self.hs.val();
        self.fetch.m_seg_ready.next = self.hs.val();
        self.fgen.s_pay_tdata.next = self.fetch.m_pay_tdata.val();
        self.fgen.s_pay_tkeep.next = self.fetch.m_pay_tkeep.val();
        self.fgen.s_pay_tvalid.next = self.fetch.m_pay_tvalid.val();
        self.fetch.m_pay_tready.next = self.fgen.s_pay_tready.val();
        self.m_tdata.next = self.fgen.m_tdata.val();
        self.m_tkeep.next = self.fgen.m_tkeep.val();
        self.m_tlast.next = self.fgen.m_tlast.val();
        self.m_tvalid.next = self.fgen.m_tvalid.val();
        self.fgen.m_tready.next = self.m_tready.val();
    }
}
