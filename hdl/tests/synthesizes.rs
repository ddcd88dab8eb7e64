//! The emitted Verilog passes Verilator's lint (-Wall, WIDTH waived) and yosys
//! elaboration, for the default configuration and for a second prefix read in the
//! same design (two configurations side by side).

use host_model::{Config, Resolved};
use std::path::PathBuf;

fn out_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn default_config_lints_and_elaborates() {
    let cfg = Resolved::default_config();
    let g = hdl::generate(&cfg).unwrap();
    let out = out_dir("synth-default");
    g.write_to(&out).unwrap();
    let names: Vec<&str> = g.blocks.iter().map(|b| b.block.as_str()).collect();
    assert_eq!(
        names,
        [
            "rx_parser",
            "engine",
            "dma_write",
            "dma_read",
            "extract",
            "ack_gen",
            "tx_seg",
            "snd_core",
            "rx"
        ]
    );
    for b in &g.blocks {
        hdl::generate::lint_verilator(&b.paths(&out), &b.top).unwrap();
        hdl::generate::elaborate_yosys(&b.paths(&out), &b.top).unwrap();
    }
}

/// The largest connection table (65,536 connections) generates, lints and elaborates.
#[test]
fn largest_table_generates() {
    let mut c = Config::default();
    c.offload.connections = 65536;
    let g = hdl::generate(&c.resolve().unwrap()).unwrap();
    let out = out_dir("synth-65536");
    g.write_to(&out).unwrap();
    let b = g.block("engine").unwrap();
    hdl::generate::lint_verilator(&b.paths(&out), &b.top).unwrap();
}

#[test]
fn two_prefixes_live_in_one_design() {
    let out = out_dir("synth-two");
    let mut files = vec![];
    let mut tops = vec![];
    for prefix in ["nic_a", "nic_b"] {
        let c = Config {
            prefix: prefix.into(),
            ..Config::default()
        };
        let g = hdl::generate(&c.resolve().unwrap()).unwrap();
        let dir = out.join(prefix);
        g.write_to(&dir).unwrap();
        let b = g.block("rx_parser").unwrap();
        files.extend(b.paths(&dir));
        tops.push(b.top.clone());
    }
    // A top that instantiates both.
    let top = out.join("both.v");
    let mut v = String::from("module both(input wire clk);\n");
    for t in &tops {
        v.push_str(&format!(
            "{t} u_{t} (.clk(clk), .rst(1'b0), .s_axis_tdata(64'd0), .s_axis_tkeep(8'd0), .s_axis_tvalid(1'b0), .s_axis_tready(), .s_axis_tlast(1'b0), .s_axis_tuser(1'b0), .m_axis_tdata(), .m_axis_tkeep(), .m_axis_tvalid(), .m_axis_tready(1'b1), .m_axis_tlast(), .m_axis_tuser(), .m_axis_meta_tdata(), .m_axis_meta_tvalid(), .m_axis_meta_tready(1'b1));\n"
        ));
    }
    v.push_str("endmodule\n");
    std::fs::write(&top, v).unwrap();
    files.push(top);
    hdl::generate::elaborate_yosys(&files, "both").unwrap();
}

#[test]
fn output_is_byte_identical_across_runs() {
    let cfg = Resolved::default_config();
    let a = out_dir("det-a");
    let b = out_dir("det-b");
    hdl::generate(&cfg).unwrap().write_to(&a).unwrap();
    hdl::generate(&cfg).unwrap().write_to(&b).unwrap();
    for f in [
        "rtl/toe_rx_parser.v",
        "rtl/toe_rx_parser_core.v",
        "manifest.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}
