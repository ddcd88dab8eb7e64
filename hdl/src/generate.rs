//! Verilog generation: rust-hdl's output, renamed under the configured prefix, plus a
//! top-level wrapper with ANSI ports and plain AXI4-Stream names.
//!
//! rust-hdl always names its top module `top` and its submodules `top$path`, and
//! uses `$` inside identifiers. [`generate`] renames every module to
//! `<prefix>_<block>_core[__path]` and every `$` to `__`, so two configurations with
//! different prefixes can live in one design, and wraps the core in
//! `<prefix>_<block>` whose ports a user would type in a block design.
//! The output depends only on the configuration: same config, byte-identical files.

use host_model::{RX_META_BITS, RX_META_LAYOUT, RX_META_TDATA_BITS, Resolved};
use rust_hdl::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::rx_parser::RxParser;

/// Errors of generation and of the lint / elaboration checks.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("internal: rust-hdl output has no port `{0}` of the expected width")]
    PortMismatch(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("`{tool}` not found on PATH; install it with `{install}`")]
    ToolMissing { tool: String, install: String },
    #[error("{tool} rejected {top}:\n{output}")]
    ToolFailed {
        tool: String,
        top: String,
        output: String,
    },
}

/// Direction of a top-level port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortDir {
    In,
    Out,
}

/// One port of a generated top-level module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortInfo {
    pub name: String,
    pub dir: PortDir,
    pub width: usize,
    /// Group comment (`Frame input`, ...).
    pub group: &'static str,
}

/// One generated block: its top module, its files and its ports.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedBlock {
    /// Block name without prefix (`rx_parser`).
    pub block: String,
    /// Top-level (wrapper) module name (`<prefix>_rx_parser`).
    pub top: String,
    /// File name → contents, in the order they should be read.
    #[serde(skip)]
    pub files: Vec<(String, String)>,
    pub ports: Vec<PortInfo>,
}

/// Everything `generate` produces for one configuration.
#[derive(Debug, Clone)]
pub struct Generated {
    pub config: Resolved,
    pub blocks: Vec<GeneratedBlock>,
}

/// Wrapper port → (rust-hdl core port, direction, width, group).
/// A wrapper port and the core signal it connects to.
fn port_entry(
    name: &str,
    dir: PortDir,
    width: usize,
    group: &'static str,
    core: &'static str,
) -> (PortInfo, &'static str) {
    (
        PortInfo {
            name: name.to_string(),
            dir,
            width,
            group,
        },
        core,
    )
}

fn rx_parser_ports(cfg: &Resolved) -> Vec<(PortInfo, &'static str)> {
    let w = cfg.config.data_width as usize;
    let k = cfg.keep_width as usize;
    let p = port_entry;
    use PortDir::*;
    vec![
        p("clk", In, 1, "Clock and reset", "clock"),
        p("rst", In, 1, "Clock and reset", "reset"),
        p(
            "s_axis_tdata",
            In,
            w,
            "Frame input (AXI4-Stream)",
            "s_tdata",
        ),
        p(
            "s_axis_tkeep",
            In,
            k,
            "Frame input (AXI4-Stream)",
            "s_tkeep",
        ),
        p(
            "s_axis_tvalid",
            In,
            1,
            "Frame input (AXI4-Stream)",
            "s_tvalid",
        ),
        p(
            "s_axis_tready",
            Out,
            1,
            "Frame input (AXI4-Stream)",
            "s_tready",
        ),
        p(
            "s_axis_tlast",
            In,
            1,
            "Frame input (AXI4-Stream)",
            "s_tlast",
        ),
        p(
            "s_axis_tuser",
            In,
            1,
            "Frame input (AXI4-Stream)",
            "s_tuser",
        ),
        p(
            "m_axis_tdata",
            Out,
            w,
            "Frame output (AXI4-Stream)",
            "m_tdata",
        ),
        p(
            "m_axis_tkeep",
            Out,
            k,
            "Frame output (AXI4-Stream)",
            "m_tkeep",
        ),
        p(
            "m_axis_tvalid",
            Out,
            1,
            "Frame output (AXI4-Stream)",
            "m_tvalid",
        ),
        p(
            "m_axis_tready",
            In,
            1,
            "Frame output (AXI4-Stream)",
            "m_tready",
        ),
        p(
            "m_axis_tlast",
            Out,
            1,
            "Frame output (AXI4-Stream)",
            "m_tlast",
        ),
        p(
            "m_axis_tuser",
            Out,
            1,
            "Frame output (AXI4-Stream)",
            "m_tuser",
        ),
        p(
            "m_axis_meta_tdata",
            Out,
            RX_META_TDATA_BITS,
            "Metadata output, one record per frame (AXI4-Stream)",
            "m_meta_tdata",
        ),
        p(
            "m_axis_meta_tvalid",
            Out,
            1,
            "Metadata output, one record per frame (AXI4-Stream)",
            "m_meta_tvalid",
        ),
        p(
            "m_axis_meta_tready",
            In,
            1,
            "Metadata output, one record per frame (AXI4-Stream)",
            "m_meta_tready",
        ),
    ]
}

/// Width of each port declared in rust-hdl's (non-ANSI) top module.
fn core_port_widths(verilog: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let Some(start) = verilog.find("module top(") else {
        return out;
    };
    let Some(len) = verilog[start..].find("endmodule") else {
        return out;
    };
    for line in verilog[start..start + len].lines() {
        let t = line.trim();
        if !(t.starts_with("input ") || t.starts_with("output ")) {
            continue;
        }
        let t = t.trim_end_matches(';');
        let name = t.split_whitespace().last().unwrap_or("").to_string();
        let width = match (t.find('['), t.find(':')) {
            (Some(a), Some(b)) if b > a => t[a + 1..b]
                .trim()
                .parse::<usize>()
                .map(|m| m + 1)
                .unwrap_or(0),
            _ => 1,
        };
        out.insert(name, width);
    }
    out
}

/// Rename rust-hdl's modules under `core` and replace `$` inside identifiers by `__`.
fn rename_core(verilog: &str, core: &str) -> String {
    let mut out = String::with_capacity(verilog.len() + verilog.len() / 8);
    let bytes = verilog.as_bytes();
    let mut i = 0;
    let is_start = |c: u8| c.is_ascii_alphabetic() || c == b'_';
    let is_cont = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    while i < bytes.len() {
        let c = bytes[i];
        if is_start(c) && (i == 0 || !is_cont(bytes[i - 1]) && bytes[i - 1] != b'\'') {
            let s = i;
            while i < bytes.len() && is_cont(bytes[i]) {
                i += 1;
            }
            let ident = &verilog[s..i];
            if ident == "top" {
                out.push_str(core);
            } else if let Some(rest) = ident.strip_prefix("top$") {
                out.push_str(core);
                out.push_str("__");
                out.push_str(&rest.replace('$', "__"));
            } else {
                out.push_str(&ident.replace('$', "__"));
            }
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

fn header(cfg: &Resolved, what: &str) -> String {
    format!(
        "// {what}\n// Generated by toe {} from configuration \"{}\". Do not edit: regenerate with `toe generate`.\n// SPDX-License-Identifier: MIT OR Apache-2.0\n\n",
        env!("CARGO_PKG_VERSION"),
        cfg.config.name
    )
}

fn range(width: usize) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0]", width - 1)
    }
}

/// A wrapper port built from core ports: `(core port, width)` pieces, LSB first; the
/// rest of the port (up to its width) is zero. One piece of the full width is a
/// plain connection.
type PortMap = (PortInfo, Vec<(&'static str, usize)>);

/// Check rust-hdl's top against the port map, rename it under `<top>_core` and write
/// the ANSI wrapper `<top>`.
fn wrap_block(
    cfg: &Resolved,
    block: &str,
    title: &str,
    note: &str,
    raw: &str,
    ports: Vec<PortMap>,
) -> Result<GeneratedBlock, GenerateError> {
    let prefix = &cfg.config.prefix;
    let top = format!("{prefix}_{block}");
    let core = format!("{top}_core");
    let widths = core_port_widths(raw);
    let mut n_core = 0;
    for (_, pieces) in &ports {
        for (core_name, width) in pieces {
            n_core += 1;
            if widths.get(*core_name) != Some(width) {
                return Err(GenerateError::PortMismatch(core_name.to_string()));
            }
        }
    }
    if widths.len() != n_core {
        return Err(GenerateError::PortMismatch("(port count)".into()));
    }
    let core_text = format!(
        "{}{}",
        header(
            cfg,
            &format!("{core}: {title} core, emitted by rust-hdl (see {top} for the interface)")
        ),
        rename_core(raw, &core)
    );
    let mut w = header(cfg, &format!("{top}: {title}"));
    w.push_str(note);
    w.push_str("`resetall\n`default_nettype none\n\n");
    w.push_str(&format!("module {top} (\n"));
    let mut group = "";
    let n = ports.len();
    for (i, (p, _)) in ports.iter().enumerate() {
        if p.group != group {
            group = p.group;
            w.push_str(&format!("    /* {group} */\n"));
        }
        let dir = match p.dir {
            PortDir::In => "input ",
            PortDir::Out => "output",
        };
        let sep = if i + 1 == n { "" } else { "," };
        w.push_str(&format!(
            "    {dir} wire {:<9} {}{sep}\n",
            range(p.width),
            p.name
        ));
    }
    w.push_str(");\n\n");
    let direct =
        |p: &PortInfo, pieces: &Vec<(&str, usize)>| pieces.len() == 1 && pieces[0].1 == p.width;
    let mut conns = vec![];
    let mut assigns = String::new();
    for (p, pieces) in &ports {
        if direct(p, pieces) {
            conns.push((pieces[0].0, p.name.clone()));
            continue;
        }
        let mut parts = vec![];
        let mut used = 0;
        for (core_name, width) in pieces {
            let wire = format!("{}__{core_name}", p.name);
            w.push_str(&format!("wire {} {wire};\n", range(*width)));
            conns.push((*core_name, wire.clone()));
            parts.push(wire);
            used += width;
        }
        if used < p.width {
            parts.push(format!("{}'d0", p.width - used));
        }
        parts.reverse();
        assigns.push_str(&format!("assign {} = {{{}}};\n", p.name, parts.join(", ")));
    }
    w.push_str(&format!("\n{core} core (\n"));
    let m = conns.len();
    for (i, (core_name, sig)) in conns.iter().enumerate() {
        let sep = if i + 1 == m { "" } else { "," };
        w.push_str(&format!("    .{core_name}({sig}){sep}\n"));
    }
    w.push_str(");\n\n");
    if !assigns.is_empty() {
        w.push_str(&assigns);
        w.push('\n');
    }
    w.push_str("endmodule\n\n`resetall\n");
    Ok(GeneratedBlock {
        block: block.into(),
        top: top.clone(),
        files: vec![(format!("{top}.v"), w), (format!("{core}.v"), core_text)],
        ports: ports.into_iter().map(|(p, _)| p).collect(),
    })
}

/// Plain 1:1 port map entries.
fn direct_ports(list: Vec<(PortInfo, &'static str)>) -> Vec<PortMap> {
    list.into_iter()
        .map(|(p, core)| {
            let w = p.width;
            (p, vec![(core, w)])
        })
        .collect()
}

/// Generate the receive parser for a configuration.
pub fn generate_rx_parser(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let mut uut = RxParser::new(cfg.config.rx.min_frame_len);
    uut.connect_all();
    let raw = generate_verilog(&uut);
    let mut ports = direct_ports(rx_parser_ports(cfg));
    for (p, pieces) in ports.iter_mut() {
        if p.name == "m_axis_meta_tdata" {
            pieces[0].1 = RX_META_BITS;
        }
    }
    wrap_block(
        cfg,
        "rx_parser",
        "receive parser with checksum verification",
        "// One metadata record per frame on m_axis_meta_*; field layout in manifest.json.\n",
        &raw,
        ports,
    )
}

/// Bits of the engine's tagged record word: record, 2-bit status, 16-bit handle.
pub const ENGINE_LK_BITS: usize = RX_META_BITS + 2 + 16;
/// Width of `m_axis_lk_tdata` (whole bytes).
pub const ENGINE_LK_TDATA_BITS: usize = ENGINE_LK_BITS.div_ceil(8) * 8;

/// Generate the engine top (receive parser + offload core) for a configuration.
pub fn generate_engine(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let raw = crate::with_engine_type!(cfg.config.offload.connections, E => {
        let mut uut = E::new(cfg.config.rx.min_frame_len, cfg.handout_timeout_cycles, false);
        uut.connect_all();
        generate_verilog(&uut)
    })
    .ok_or_else(|| GenerateError::PortMismatch("offload.connections".into()))?;
    let mut ports: Vec<PortMap> = direct_ports(
        rx_parser_ports(cfg)
            .into_iter()
            .filter(|(p, _)| !p.name.starts_with("m_axis_meta"))
            .collect(),
    );
    let p = |name: &str, dir, width, group| PortInfo {
        name: name.to_string(),
        dir,
        width,
        group,
    };
    use PortDir::*;
    let lk = "Tagged records, one per frame on m_axis in the same order: record, status (0 not TCP, 1 miss, 3 hit), connection (AXI4-Stream)";
    ports.extend([
        (
            p("m_axis_lk_tdata", Out, ENGINE_LK_TDATA_BITS, lk),
            vec![
                ("m_lk_meta", RX_META_BITS),
                ("m_lk_status", 2),
                ("m_lk_conn", 16),
            ],
        ),
        (p("m_axis_lk_tvalid", Out, 1, lk), vec![("m_lk_tvalid", 1)]),
        (p("m_axis_lk_tready", In, 1, lk), vec![("m_lk_tready", 1)]),
    ]);
    ports.extend(direct_ports(cmd_evt_ports()));
    let ext = "Counters of a receive path around the engine, reported by STATS (tie to 0 if none)";
    ports.extend(direct_ports(
        [
            "ring_frames",
            "ring_bytes",
            "ring_drops",
            "ring_dma_errors",
            "ext_cmd_errors",
            "rcv_placed_segs",
            "rcv_placed_bytes",
            "rcv_ooo_segs",
            "rcv_dup_segs",
            "rcv_out_of_window",
            "rcv_ooo_drops",
            "rcv_indicated",
            "rcv_lists_done",
            "rcv_acks",
        ]
        .into_iter()
        .map(|n| port_entry(n, In, 32, ext, n))
        .collect(),
    ));
    let act = "Fast path activation: one clock per HANDOUT2 that started a connection (handle, host context, rcv_nxt, rcv_wnd, window shift)";
    ports.extend(direct_ports(vec![
        port_entry("m_act_valid", Out, 1, act, "m_act_valid"),
        port_entry("m_act_conn", Out, 16, act, "m_act_conn"),
        port_entry("m_act_ctx", Out, 32, act, "m_act_ctx"),
        port_entry("m_act_nxt", Out, 32, act, "m_act_nxt"),
        port_entry("m_act_wnd", Out, 32, act, "m_act_wnd"),
        port_entry("m_act_wsh", Out, 4, act, "m_act_wsh"),
        port_entry("m_act_mss", Out, 16, act, "m_act_mss"),
    ]));
    let ak = "ACK requests from a receive fast path: connection, ACK number, scaled window (tie s_ak_valid to 0 without one); m_ak_busy while one is served";
    ports.extend(direct_ports(vec![
        port_entry("s_ak_valid", In, 1, ak, "s_ak_valid"),
        port_entry("s_ak_conn", In, 16, ak, "s_ak_conn"),
        port_entry("s_ak_ack", In, 32, ak, "s_ak_ack"),
        port_entry("s_ak_win", In, 16, ak, "s_ak_win"),
        port_entry("s_ak_ready", Out, 1, ak, "s_ak_ready"),
        port_entry("m_ak_busy", Out, 1, ak, "m_ak_busy"),
    ]));
    ports.extend(direct_ports(ack_out_ports()));
    // Built without a fast path: the FLUSH query is never asked; tie its answer off.
    let fq = "Fast path FLUSH query (unused in this block: tie s_fq_* to 0)";
    ports.extend(direct_ports(vec![
        port_entry("m_fq_valid", Out, 1, fq, "m_fq_valid"),
        port_entry("m_fq_conn", Out, 16, fq, "m_fq_conn"),
        port_entry("s_fq_done", In, 1, fq, "s_fq_done"),
        port_entry("s_fq_active", In, 1, fq, "s_fq_active"),
        port_entry("s_fq_nxt", In, 32, fq, "s_fq_nxt"),
        port_entry("s_fq_wnd", In, 32, fq, "s_fq_wnd"),
    ]));
    let up = "Upload requests from a receive fast path, {reason[7:0], handle[15:0]} (tie s_up_valid to 0 without one)";
    ports.extend(direct_ports(vec![
        port_entry("s_up_valid", In, 1, up, "s_up_valid"),
        port_entry("s_up_word", In, 24, up, "s_up_word"),
        port_entry("s_up_ready", Out, 1, up, "s_up_ready"),
    ]));
    wrap_block(
        cfg,
        "engine",
        "TCP offload engine: receive parser, connection table, command/event interface, hold stage",
        "// m_axis_lk_tdata = {pad, conn[15:0], status[1:0], record}; record layout in manifest.json.\n",
        &raw,
        ports,
    )
}

/// Pure ACK frames out (AXI4-Stream, the transmit side).
fn ack_out_ports() -> Vec<(PortInfo, &'static str)> {
    let p = port_entry;
    use PortDir::*;
    let g = "Pure ACK frames to the network (AXI4-Stream, 64-bit, lane 0 first on the wire)";
    vec![
        p("m_axis_ack_tdata", Out, 64, g, "m_ack_tdata"),
        p("m_axis_ack_tkeep", Out, 8, g, "m_ack_tkeep"),
        p("m_axis_ack_tlast", Out, 1, g, "m_ack_tlast"),
        p("m_axis_ack_tvalid", Out, 1, g, "m_ack_tvalid"),
        p("m_axis_ack_tready", In, 1, g, "m_ack_tready"),
    ]
}

/// Command input and event output (AXI4-Stream, `host_model::proto`).
fn cmd_evt_ports() -> Vec<(PortInfo, &'static str)> {
    let p = port_entry;
    use PortDir::*;
    let cmd = "Commands from the host (AXI4-Stream, host_model::proto)";
    let evt = "Responses and events to the host (AXI4-Stream, host_model::proto)";
    vec![
        p("s_axis_cmd_tdata", In, 64, cmd, "s_cmd_tdata"),
        p("s_axis_cmd_tvalid", In, 1, cmd, "s_cmd_tvalid"),
        p("s_axis_cmd_tready", Out, 1, cmd, "s_cmd_tready"),
        p("s_axis_cmd_tlast", In, 1, cmd, "s_cmd_tlast"),
        p("m_axis_evt_tdata", Out, 64, evt, "m_evt_tdata"),
        p("m_axis_evt_tvalid", Out, 1, evt, "m_evt_tvalid"),
        p("m_axis_evt_tready", In, 1, evt, "m_evt_tready"),
        p("m_axis_evt_tlast", Out, 1, evt, "m_evt_tlast"),
    ]
}

/// AXI4 write master (address, data, response channels), 64-bit data.
fn axi_write_ports() -> Vec<(PortInfo, &'static str)> {
    let p = port_entry;
    use PortDir::*;
    let aw = "AXI4 write address channel (INCR, 8-byte beats)";
    let wc = "AXI4 write data channel";
    let bc = "AXI4 write response channel";
    vec![
        p("m_axi_awaddr", Out, 64, aw, "m_axi_awaddr"),
        p("m_axi_awlen", Out, 8, aw, "m_axi_awlen"),
        p("m_axi_awsize", Out, 3, aw, "m_axi_awsize"),
        p("m_axi_awburst", Out, 2, aw, "m_axi_awburst"),
        p("m_axi_awvalid", Out, 1, aw, "m_axi_awvalid"),
        p("m_axi_awready", In, 1, aw, "m_axi_awready"),
        p("m_axi_wdata", Out, 64, wc, "m_axi_wdata"),
        p("m_axi_wstrb", Out, 8, wc, "m_axi_wstrb"),
        p("m_axi_wlast", Out, 1, wc, "m_axi_wlast"),
        p("m_axi_wvalid", Out, 1, wc, "m_axi_wvalid"),
        p("m_axi_wready", In, 1, wc, "m_axi_wready"),
        p("m_axi_bresp", In, 2, bc, "m_axi_bresp"),
        p("m_axi_bvalid", In, 1, bc, "m_axi_bvalid"),
        p("m_axi_bready", Out, 1, bc, "m_axi_bready"),
    ]
}

/// The frame generator's header request fields ([`crate::ack_gen::HDR_FIELDS`]) as
/// inputs `<prefix><name>`.
fn hdr_ports(prefix: &str, group: &'static str) -> Vec<(PortInfo, &'static str)> {
    crate::ack_gen::HDR_FIELDS
        .iter()
        .map(|&(name, core, width)| {
            port_entry(&format!("{prefix}{name}"), PortDir::In, width, group, core)
        })
        .collect()
}

/// AXI4 read master (address and data channels), 64-bit data.
fn axi_read_ports() -> Vec<(PortInfo, &'static str)> {
    let p = port_entry;
    use PortDir::*;
    let ar = "AXI4 read address channel (INCR, 8-byte beats)";
    let rc = "AXI4 read data channel";
    vec![
        p("m_axi_araddr", Out, 64, ar, "m_axi_araddr"),
        p("m_axi_arlen", Out, 8, ar, "m_axi_arlen"),
        p("m_axi_arsize", Out, 3, ar, "m_axi_arsize"),
        p("m_axi_arburst", Out, 2, ar, "m_axi_arburst"),
        p("m_axi_arvalid", Out, 1, ar, "m_axi_arvalid"),
        p("m_axi_arready", In, 1, ar, "m_axi_arready"),
        p("m_axi_rdata", In, 64, rc, "m_axi_rdata"),
        p("m_axi_rresp", In, 2, rc, "m_axi_rresp"),
        p("m_axi_rlast", In, 1, rc, "m_axi_rlast"),
        p("m_axi_rvalid", In, 1, rc, "m_axi_rvalid"),
        p("m_axi_rready", Out, 1, rc, "m_axi_rready"),
    ]
}

/// The ports the DMA engines share (clock, reset, requests, completions) around `mid`.
fn dma_ports(
    rq: &'static str,
    dn: &'static str,
    mid: Vec<(PortInfo, &'static str)>,
) -> Vec<(PortInfo, &'static str)> {
    let p = port_entry;
    use PortDir::*;
    let ck = "Clock and reset";
    let mut v = vec![
        p("clk", In, 1, ck, "clock"),
        p("rst", In, 1, ck, "reset"),
        p("s_req_addr", In, 64, rq, "s_req_addr"),
        p("s_req_len", In, 16, rq, "s_req_len"),
        p("s_req_tag", In, 16, rq, "s_req_tag"),
        p("s_req_valid", In, 1, rq, "s_req_valid"),
        p("s_req_ready", Out, 1, rq, "s_req_ready"),
    ];
    v.extend(mid);
    v.extend([
        p("m_done_status", Out, 3, dn, "m_done_status"),
        p("m_done_tag", Out, 16, dn, "m_done_tag"),
        p("m_done_valid", Out, 1, dn, "m_done_valid"),
        p("m_done_ready", In, 1, dn, "m_done_ready"),
    ]);
    v
}

/// Generate the DMA write engine (AXI4 write master, 64-bit data).
pub fn generate_dma_write(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let mut uut = crate::dma_write::DmaWrite::default();
    uut.connect_all();
    let raw = generate_verilog(&uut);
    let p = port_entry;
    use PortDir::*;
    let rq = "Write requests: byte address, length in bytes, tag";
    let da = "Request data, packed from byte 0 (AXI4-Stream)";
    let dn = "Completions: tag, status (0 OK, 2 SLVERR, 3 DECERR, 4 zero length)";
    let mut mid = vec![
        p("s_axis_data_tdata", In, 64, da, "s_data_tdata"),
        p("s_axis_data_tvalid", In, 1, da, "s_data_tvalid"),
        p("s_axis_data_tready", Out, 1, da, "s_data_tready"),
    ];
    mid.extend(axi_write_ports());
    let ports = direct_ports(dma_ports(rq, dn, mid));
    wrap_block(
        cfg,
        "dma_write",
        "DMA write engine: AXI4 write master with bursts",
        "// AXI4 subset: INCR bursts of 8-byte beats, 1..256 beats, never across 4 KB; one ID.\n",
        &raw,
        ports,
    )
}

/// Generate the DMA read engine (AXI4 read master, 64-bit data).
pub fn generate_dma_read(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let mut uut = crate::dma_read::DmaRead::default();
    uut.connect_all();
    let raw = generate_verilog(&uut);
    let p = port_entry;
    use PortDir::*;
    let rq = "Read requests: byte address, length in bytes, tag";
    let da = "Read data, packed from byte 0, tlast per request (AXI4-Stream)";
    let dn = "Completions: tag, status (0 OK, 2 SLVERR, 3 DECERR, 4 zero length)";
    let mut mid = axi_read_ports();
    mid.extend([
        p("m_axis_data_tdata", Out, 64, da, "m_data_tdata"),
        p("m_axis_data_tkeep", Out, 8, da, "m_data_tkeep"),
        p("m_axis_data_tlast", Out, 1, da, "m_data_tlast"),
        p("m_axis_data_tvalid", Out, 1, da, "m_data_tvalid"),
        p("m_axis_data_tready", In, 1, da, "m_data_tready"),
    ]);
    let ports = direct_ports(dma_ports(rq, dn, mid));
    wrap_block(
        cfg,
        "dma_read",
        "DMA read engine: AXI4 read master with bursts",
        "// AXI4 subset: INCR bursts of 8-byte beats, 1..256 beats, never across 4 KB; one ID.\n",
        &raw,
        ports,
    )
}

/// Generate the receive engine top (engine top + receive ring + DMA write engine).
pub fn generate_rx(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let raw =
        crate::with_engine_type!(cfg.config.offload.connections, crate::receive::Receive, E => {
            let mut uut = E::new(
                cfg.config.rx.min_frame_len,
                cfg.handout_timeout_cycles,
                cfg.config.rcv.sg_entries,
                cfg.config.rcv.ack_every,
                cfg.delack_cycles,
                cfg.config.rcv.hold_frames,
            );
            uut.connect_all();
            generate_verilog(&uut)
        })
        .ok_or_else(|| GenerateError::PortMismatch("offload.connections".into()))?;
    let mut list: Vec<(PortInfo, &'static str)> = rx_parser_ports(cfg)
        .into_iter()
        .filter(|(p, _)| p.name.starts_with("s_axis") || p.name == "clk" || p.name == "rst")
        .collect();
    list.extend(cmd_evt_ports());
    list.extend(axi_write_ports());
    list.extend(ack_out_ports());
    list.push(port_entry(
        "timer_en",
        PortDir::In,
        1,
        "Delayed-ACK clock enable: tie to 1 (a testbench may stop time)",
        "timer_en",
    ));
    wrap_block(
        cfg,
        "rx",
        "TCP offload receive engine: engine top, receive fast path (RCVLIST / WINUPDATE, placement into receive lists), receive ring (RXBUF / RX_FRAME), DMA write engine",
        "// Frames go into host receive-ring buffers through m_axi_*; see host_model::proto (Receive ring).\n// AXI4 subset: INCR bursts of 8-byte beats, 1..256 beats, never across 4 KB; one ID.\n",
        &raw,
        direct_ports(list),
    )
}

/// Generate the byte-range extractor (payload placement data path).
pub fn generate_extract(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let mut uut = crate::extract::ByteExtract::default();
    uut.connect_all();
    let raw = generate_verilog(&uut);
    let p = port_entry;
    use PortDir::*;
    let clk = "Clock and synchronous reset";
    let fr = "Frames (AXI4-Stream, tkeep not needed)";
    let pc = "Pieces: byte offset in the frame, length, last piece of the frame";
    let out = "Pieces packed from byte 0, tlast on each piece's last beat (AXI4-Stream)";
    let ports = direct_ports(vec![
        p("clk", In, 1, clk, "clock"),
        p("rst", In, 1, clk, "reset"),
        p("s_axis_tdata", In, 64, fr, "s_tdata"),
        p("s_axis_tlast", In, 1, fr, "s_tlast"),
        p("s_axis_tvalid", In, 1, fr, "s_tvalid"),
        p("s_axis_tready", Out, 1, fr, "s_tready"),
        p("s_cmd_start", In, 16, pc, "s_cmd_start"),
        p("s_cmd_len", In, 16, pc, "s_cmd_len"),
        p("s_cmd_last", In, 1, pc, "s_cmd_last"),
        p("s_cmd_valid", In, 1, pc, "s_cmd_valid"),
        p("s_cmd_ready", Out, 1, pc, "s_cmd_ready"),
        p("m_axis_tdata", Out, 64, out, "m_tdata"),
        p("m_axis_tlast", Out, 1, out, "m_tlast"),
        p("m_axis_tvalid", Out, 1, out, "m_tvalid"),
        p("m_axis_tready", In, 1, out, "m_tready"),
    ]);
    wrap_block(
        cfg,
        "extract",
        "Byte-range extractor: pieces of frames packed from byte 0 (payload placement)",
        "",
        &raw,
        ports,
    )
}

/// Generate the ACK frame generator.
pub fn generate_ack_gen(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let mut uut = crate::ack_gen::AckGen::default();
    uut.connect_all();
    let raw = generate_verilog(&uut);
    let p = port_entry;
    use PortDir::*;
    let clk = "Clock and synchronous reset";
    let rq = "Frame request: the connection's header template fields, SEQ / ACK / window, \
              PSH, payload length and payload sum";
    let pay = "Payload (AXI4-Stream, byte 0 in lane 0, ceil(plen / 8) beats per request)";
    let out = "TCP frame (AXI4-Stream, lane 0 first on the wire)";
    let mut list = vec![p("clk", In, 1, clk, "clock"), p("rst", In, 1, clk, "reset")];
    list.extend(hdr_ports("s_req_", rq));
    list.extend([
        p("s_req_plen", In, 12, rq, "s_plen"),
        p("s_req_psum", In, 16, rq, "s_psum"),
        p("s_req_valid", In, 1, rq, "s_valid"),
        p("s_req_ready", Out, 1, rq, "s_ready"),
        p("s_pay_tdata", In, 64, pay, "s_pay_tdata"),
        p("s_pay_tkeep", In, 8, pay, "s_pay_tkeep"),
        p("s_pay_tvalid", In, 1, pay, "s_pay_tvalid"),
        p("s_pay_tready", Out, 1, pay, "s_pay_tready"),
        p("m_axis_tdata", Out, 64, out, "m_tdata"),
        p("m_axis_tkeep", Out, 8, out, "m_tkeep"),
        p("m_axis_tlast", Out, 1, out, "m_tlast"),
        p("m_axis_tvalid", Out, 1, out, "m_tvalid"),
        p("m_axis_tready", In, 1, out, "m_tready"),
    ]);
    let ports = direct_ports(list);
    wrap_block(
        cfg,
        "ack_gen",
        "Transmit frame generator: ACKs and data segments from header templates, IPv4 and TCP checksums",
        "",
        &raw,
        ports,
    )
}

/// Generate the segment transmit path (segment fetch unit, DMA read engine, frame
/// generator).
pub fn generate_tx_seg(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let mut uut = crate::tx_seg::TxSeg::default();
    uut.connect_all();
    let raw = generate_verilog(&uut);
    let p = port_entry;
    use PortDir::*;
    let clk = "Clock and synchronous reset";
    let pc = "Segment pieces: host address, length, last piece of the segment; the \
              segment's payload length with its first piece";
    let hd = "Segment headers, one per segment in piece order: the connection's header \
              template fields, SEQ / ACK / window, PSH";
    let out = "TCP frames (AXI4-Stream, lane 0 first on the wire)";
    let mut list = vec![
        p("clk", In, 1, clk, "clock"),
        p("rst", In, 1, clk, "reset"),
        p("s_pc_addr", In, 64, pc, "s_pc_addr"),
        p("s_pc_len", In, 12, pc, "s_pc_len"),
        p("s_pc_last", In, 1, pc, "s_pc_last"),
        p("s_pc_plen", In, 12, pc, "s_pc_plen"),
        p("s_pc_valid", In, 1, pc, "s_pc_valid"),
        p("s_pc_ready", Out, 1, pc, "s_pc_ready"),
    ];
    list.extend(hdr_ports("s_hdr_", hd));
    list.extend([
        p("s_hdr_valid", In, 1, hd, "s_hdr_valid"),
        p("s_hdr_ready", Out, 1, hd, "s_hdr_ready"),
    ]);
    list.extend(axi_read_ports());
    list.extend([
        p("m_axis_tdata", Out, 64, out, "m_tdata"),
        p("m_axis_tkeep", Out, 8, out, "m_tkeep"),
        p("m_axis_tlast", Out, 1, out, "m_tlast"),
        p("m_axis_tvalid", Out, 1, out, "m_tvalid"),
        p("m_axis_tready", In, 1, out, "m_tready"),
        p(
            "seg_errors",
            Out,
            32,
            "Segments not sent because a read of their payload failed",
            "seg_errors",
        ),
    ]);
    wrap_block(
        cfg,
        "tx_seg",
        "Segment transmit path: payload fetch by DMA (scatter-gather pieces), payload sum, staging ring, frame generator",
        "// AXI4 subset: INCR bursts of 8-byte beats, 1..256 beats, never across 4 KB; one ID.\n",
        &raw,
        direct_ports(list),
    )
}

/// A handshake port group: description, direction, its ready port, its other ports.
type PortGroup = (
    &'static str,
    PortDir,
    &'static str,
    &'static [(&'static str, usize)],
);

/// Generate the send fast path core (send lists, send state, ACK processing,
/// segmentation, retransmission timeout, flush).
pub fn generate_snd_core(cfg: &Resolved) -> Result<GeneratedBlock, GenerateError> {
    let c = &cfg.config.snd;
    macro_rules! raw {
        ($cb:literal, $cb4:literal) => {{
            let mut uut = crate::snd_core::SndCore::<$cb, $cb4>::new(
                c.sg_entries,
                c.rto_min_us,
                c.rto_max_us,
                c.initial_cwnd_segs,
                cfg.us_cycles,
            );
            uut.connect_all();
            generate_verilog(&uut)
        }};
    }
    let raw = match cfg.config.offload.connections {
        256 => raw!(8, 12),
        1024 => raw!(10, 14),
        4096 => raw!(12, 16),
        16384 => raw!(14, 18),
        65536 => raw!(16, 20),
        _ => return Err(GenerateError::PortMismatch("offload.connections".into())),
    };
    use PortDir::*;
    let clk = "Clock and synchronous reset";
    let act = "Activation: a connection handed out, with its DELEGATED send state";
    let pl = "Send lists: a header beat (first) then the scatter-gather entries (last on the list's last)";
    let plr = "Send list results (EntryStatus), one per list";
    let ak = "ACK fields of every fast-path candidate segment of an active connection";
    let fl = "Flush: the connection's send state (DELEGATED fields), then SEND_DONE flushed per queued list";
    let pc = "Segments: pieces of host memory; the segment's payload length and meta {rtx[49], psh[48], conn[47:32], seq[31:0]} with each";
    let sd = "SEND_DONE events";
    let up = "Upload requests (RETRANSMIT_TIMEOUT)";
    let ctr = "Counters (32 bits, wrapping), as host_model::snd::SndStats";
    let mut list: Vec<(PortInfo, &'static str)> = vec![
        port_entry("clk", In, 1, clk, "clock"),
        port_entry("rst", In, 1, clk, "reset"),
        port_entry(
            "timer_en",
            In,
            1,
            "Microsecond clock enable: tie to 1 (a testbench may stop time)",
            "timer_en",
        ),
        port_entry("idle", Out, 1, "No event in progress", "idle"),
    ];
    let groups: [PortGroup; 9] = [
        (
            act,
            In,
            "s_act_ready",
            &[
                ("s_act_conn", 16),
                ("s_act_ctx", 32),
                ("s_act_una", 32),
                ("s_act_nxt", 32),
                ("s_act_wnd", 32),
                ("s_act_wl1", 32),
                ("s_act_wl2", 32),
                ("s_act_cwnd", 32),
                ("s_act_ssthresh", 32),
                ("s_act_srtt", 32),
                ("s_act_rttvar", 32),
                ("s_act_dup", 8),
                ("s_act_rtxc", 8),
                ("s_act_mss", 16),
                ("s_act_wsc", 4),
                ("s_act_wsok", 1),
                ("s_act_valid", 1),
            ],
        ),
        (
            pl,
            In,
            "s_pl_ready",
            &[
                ("s_pl_first", 1),
                ("s_pl_last", 1),
                ("s_pl_conn", 16),
                ("s_pl_ctx", 32),
                ("s_pl_tag", 32),
                ("s_pl_push", 1),
                ("s_pl_n", 16),
                ("s_pl_addr", 64),
                ("s_pl_len", 32),
                ("s_pl_valid", 1),
            ],
        ),
        (
            plr,
            Out,
            "m_plr_ready",
            &[("m_plr_status", 8), ("m_plr_valid", 1)],
        ),
        (
            ak,
            In,
            "s_ak_ready",
            &[
                ("s_ak_conn", 16),
                ("s_ak_ack", 32),
                ("s_ak_wnd", 16),
                ("s_ak_seq", 32),
                ("s_ak_len", 16),
                ("s_ak_valid", 1),
            ],
        ),
        (
            fl,
            In,
            "s_fl_ready",
            &[("s_fl_conn", 16), ("s_fl_valid", 1)],
        ),
        (
            fl,
            Out,
            "m_fl_ready",
            &[
                ("m_fl_active", 1),
                ("m_fl_una", 32),
                ("m_fl_max", 32),
                ("m_fl_wnd", 32),
                ("m_fl_wl1", 32),
                ("m_fl_wl2", 32),
                ("m_fl_cwnd", 32),
                ("m_fl_ssthresh", 32),
                ("m_fl_srtt", 32),
                ("m_fl_rttvar", 32),
                ("m_fl_dup", 8),
                ("m_fl_rtxc", 8),
                ("m_fl_rto", 32),
                ("m_fl_valid", 1),
            ],
        ),
        (
            pc,
            Out,
            "m_pc_ready",
            &[
                ("m_pc_addr", 64),
                ("m_pc_len", 12),
                ("m_pc_last", 1),
                ("m_pc_plen", 12),
                ("m_pc_meta", 64),
                ("m_pc_valid", 1),
            ],
        ),
        (
            sd,
            Out,
            "m_sd_ready",
            &[
                ("m_sd_conn", 16),
                ("m_sd_ctx", 32),
                ("m_sd_tag", 32),
                ("m_sd_acked", 32),
                ("m_sd_sent", 32),
                ("m_sd_flushed", 1),
                ("m_sd_valid", 1),
            ],
        ),
        (
            up,
            Out,
            "m_up_ready",
            &[("m_up_conn", 16), ("m_up_valid", 1)],
        ),
    ];
    for (group, dir, ready, fields) in groups {
        let rev = if dir == In { Out } else { In };
        for &(name, w) in fields {
            list.push(port_entry(name, dir, w, group, name));
        }
        list.push(port_entry(ready, rev, 1, group, ready));
    }
    for n in host_model::snd::SND_STAT_FIELDS {
        list.push(port_entry(n, Out, 32, ctr, n));
    }
    wrap_block(
        cfg,
        "snd_core",
        "Send fast path core: send lists, send state, ACK processing (NewReno, Karn), segmentation by the send and congestion windows, retransmission timeout, flush",
        "",
        &raw,
        direct_ports(list),
    )
}

/// Generate every block of the engine for a configuration.
pub fn generate(cfg: &Resolved) -> Result<Generated, GenerateError> {
    Ok(Generated {
        config: cfg.clone(),
        blocks: vec![
            generate_rx_parser(cfg)?,
            generate_engine(cfg)?,
            generate_dma_write(cfg)?,
            generate_dma_read(cfg)?,
            generate_extract(cfg)?,
            generate_ack_gen(cfg)?,
            generate_tx_seg(cfg)?,
            generate_snd_core(cfg)?,
            generate_rx(cfg)?,
        ],
    })
}

/// The manifest: resolved configuration, blocks with their files and ports, and the
/// metadata record layout.
#[derive(Serialize)]
struct Manifest<'a> {
    generator: &'static str,
    version: &'static str,
    config: &'a Resolved,
    blocks: Vec<ManifestBlock<'a>>,
    rx_meta: ManifestMeta,
    /// Per-configuration timing constraints (`constraints/`), see `crate::constraints`.
    constraints: Vec<crate::constraints::ConstraintFile>,
    /// Board bring-up tops (`boards/`), see `crate::constraints::board_top`.
    boards: Vec<ManifestBoard>,
}

#[derive(Serialize)]
struct ManifestBoard {
    #[serde(flatten)]
    top: crate::constraints::BoardTop,
    /// Every file the board top needs, relative to the output folder, in read order
    /// (the parser's RTL, the bring-up module, the top, then the pin file).
    files: Vec<String>,
    /// The hand-written pin file (copied from `constraints/boards/`).
    pin_file: String,
    pin_file_format: &'static str,
}

#[derive(Serialize)]
struct ManifestBlock<'a> {
    #[serde(flatten)]
    block: &'a GeneratedBlock,
    files: Vec<String>,
}

#[derive(Serialize)]
struct ManifestMeta {
    record_bits: usize,
    tdata_bits: usize,
    fields: &'static [host_model::meta::Field],
}

impl Generated {
    /// The manifest as pretty JSON.
    pub fn manifest_json(&self) -> String {
        let m = Manifest {
            generator: "toe",
            version: env!("CARGO_PKG_VERSION"),
            config: &self.config,
            blocks: self
                .blocks
                .iter()
                .map(|b| ManifestBlock {
                    block: b,
                    files: b.files.iter().map(|(n, _)| format!("rtl/{n}")).collect(),
                })
                .collect(),
            rx_meta: ManifestMeta {
                record_bits: RX_META_BITS,
                tdata_bits: RX_META_TDATA_BITS,
                fields: &RX_META_LAYOUT,
            },
            constraints: self.constraint_files(),
            boards: self.board_manifest(),
        };
        let mut s = serde_json::to_string_pretty(&m).expect("manifest serializes");
        s.push('\n');
        s
    }

    /// Write `rtl/*.v`, the timing constraints (`constraints/`), the board bring-up tops
    /// (`boards/`) and `manifest.json` under `out`. Returns the files written.
    pub fn write_to(&self, out: &Path) -> Result<Vec<PathBuf>, GenerateError> {
        let rtl = out.join("rtl");
        std::fs::create_dir_all(&rtl).map_err(|source| GenerateError::Io {
            path: rtl.display().to_string(),
            source,
        })?;
        let mut written = vec![];
        let mut put = |path: PathBuf, text: &str| -> Result<(), GenerateError> {
            std::fs::write(&path, text).map_err(|source| GenerateError::Io {
                path: path.display().to_string(),
                source,
            })?;
            written.push(path);
            Ok(())
        };
        for b in &self.blocks {
            for (name, text) in &b.files {
                put(rtl.join(name), text)?;
            }
        }
        for c in self.constraint_files() {
            put(mkdirs(&out.join(&c.path))?, &c.text)?;
        }
        for (path, text) in self.board_files() {
            put(mkdirs(&out.join(path))?, &text)?;
        }
        put(out.join("manifest.json"), &self.manifest_json())?;
        Ok(written)
    }

    /// Timing constraint files of every block (paths relative to the output folder).
    pub fn constraint_files(&self) -> Vec<crate::constraints::ConstraintFile> {
        self.blocks
            .iter()
            .flat_map(|b| crate::constraints::timing_constraints(&self.config, b))
            .collect()
    }

    /// Board bring-up files: the shared bring-up module, then each board's top and pin
    /// file (paths relative to the output folder).
    pub fn board_files(&self) -> Vec<(String, String)> {
        let prefix = &self.config.config.prefix;
        let mut files = vec![(
            crate::constraints::bringup_path(prefix),
            crate::constraints::bringup_module(&self.config),
        )];
        for t in crate::constraints::board_tops(&self.config) {
            files.extend(t.files);
        }
        files
    }

    fn board_manifest(&self) -> Vec<ManifestBoard> {
        let prefix = &self.config.config.prefix;
        let mut rtl: Vec<String> = vec![];
        if let Some(b) = self.block("rx_parser") {
            rtl.extend(b.files.iter().map(|(n, _)| format!("rtl/{n}")));
        }
        rtl.push(crate::constraints::bringup_path(prefix));
        crate::constraints::board_tops(&self.config)
            .into_iter()
            .map(|t| {
                let mut files = rtl.clone();
                files.extend(t.files.iter().map(|(p, _)| p.clone()));
                let pin_file = t.files.last().map(|(p, _)| p.clone()).unwrap_or_default();
                ManifestBoard {
                    pin_file,
                    pin_file_format: t.board.pin_file_format(),
                    files,
                    top: t,
                }
            })
            .collect()
    }

    /// The block named `block` (`rx_parser`).
    pub fn block(&self, block: &str) -> Option<&GeneratedBlock> {
        self.blocks.iter().find(|b| b.block == block)
    }
}

impl GeneratedBlock {
    /// Paths of this block's files under `out/rtl`.
    pub fn paths(&self, out: &Path) -> Vec<PathBuf> {
        self.files
            .iter()
            .map(|(n, _)| out.join("rtl").join(n))
            .collect()
    }
}

/// Create the parent folder of `path`; returns `path`.
fn mkdirs(path: &Path) -> Result<PathBuf, GenerateError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| GenerateError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    Ok(path.to_path_buf())
}

fn run_tool(
    tool: &str,
    install: &str,
    args: &[String],
    top: &str,
) -> Result<String, GenerateError> {
    let output = Command::new(tool).args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            GenerateError::ToolMissing {
                tool: tool.into(),
                install: install.into(),
            }
        } else {
            GenerateError::ToolFailed {
                tool: tool.into(),
                top: top.into(),
                output: e.to_string(),
            }
        }
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(GenerateError::ToolFailed {
            tool: tool.into(),
            top: top.into(),
            output: text,
        })
    }
}

/// `verilator --lint-only -Wall` on a block's files; only WIDTH (rust-hdl's 32-bit
/// literals), the file-naming/unused-signal style warnings of rust-hdl's
/// one-module-per-register output, and UNOPTFLAT are waived. UNOPTFLAT: rust-hdl
/// emits each block's combinational logic as one `always @(*)`, so two blocks that
/// exchange a handshake both ways (a FIFO's `read` in, `empty` out) form a loop at
/// block granularity, never at bit level: yosys `check -assert` (which rejects real
/// combinational loops) passes on the same files.
pub fn lint_verilator(files: &[PathBuf], top: &str) -> Result<String, GenerateError> {
    let mut args: Vec<String> = [
        "--lint-only",
        "-Wall",
        "-Wno-WIDTH",
        "-Wno-DECLFILENAME",
        "-Wno-UNUSED",
        "-Wno-UNOPTFLAT",
        "--top-module",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(top.to_string());
    args.extend(files.iter().map(|f| f.display().to_string()));
    run_tool("verilator", "apt-get install -y verilator", &args, top)
}

/// yosys elaboration: read, `hierarchy -check`, `proc`, `check -assert`, and no latch
/// (a combinational signal not assigned on every path).
pub fn elaborate_yosys(files: &[PathBuf], top: &str) -> Result<String, GenerateError> {
    let reads: Vec<String> = files
        .iter()
        .map(|f| format!("read_verilog {};", f.display()))
        .collect();
    let script = format!(
        "{} hierarchy -check -top {top}; proc; opt_clean; check -assert; select -assert-none t:$dlatch",
        reads.join(" ")
    );
    run_tool(
        "yosys",
        "apt-get install -y yosys",
        &["-q".into(), "-p".into(), script],
        top,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_keeps_literals_and_prefixes_modules() {
        let v = "module top$a(d);\n  top$a$b x(.d(y$q));\n  assign z = 32'h1f;\nendmodule // top\n";
        let r = rename_core(v, "p_core");
        assert!(r.contains("module p_core__a(d)"));
        assert!(r.contains("p_core__a__b x(.d(y__q))"));
        assert!(r.contains("32'h1f"));
        assert!(r.contains("endmodule // p_core"));
        assert!(!r.contains('$'));
    }

    #[test]
    fn generation_is_deterministic_and_has_no_dollar() {
        let cfg = Resolved::default_config();
        let a = generate(&cfg).unwrap();
        let b = generate(&cfg).unwrap();
        for (x, y) in a.blocks[0].files.iter().zip(&b.blocks[0].files) {
            assert_eq!(x, y);
            assert!(!x.1.contains('$'), "{} contains `$`", x.0);
        }
        assert_eq!(a.manifest_json(), b.manifest_json());
        assert_eq!(a.blocks[0].top, "toe_rx_parser");
    }

    #[test]
    fn prefix_renames_every_module() {
        let c = host_model::Config {
            prefix: "nic1".into(),
            ..host_model::Config::default()
        };
        let g = generate(&c.resolve().unwrap()).unwrap();
        for (_, text) in &g.blocks[0].files {
            for line in text.lines().filter(|l| l.starts_with("module ")) {
                assert!(line.starts_with("module nic1_rx_parser"), "{line}");
            }
        }
    }
}
