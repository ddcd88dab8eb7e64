//! Shared helpers for the integration tests: the fixture's port list and build.

#![allow(dead_code)]

use std::path::PathBuf;

use cosim::{BuildOptions, ModelLib, PortSpec, build_model};

pub const TOP: &str = "axis_fixture";

/// The hand-written Verilog fixture (kept here, not as a `.v` file, so that every
/// Verilog file in the tree is generated output).
pub const FIXTURE_VERILOG: &str = r#"// Test fixture for the cosim crate.
//
// * `s_axis` -> `m_axis`: a full-throughput AXI4-Stream register slice (skid
//   buffer) with 64-bit tdata, tkeep, tlast and tuser.
// * `ws_axis` -> `wm_axis`: a 512-bit combinational pass-through without tuser.
// * `rec`: a tdata/tvalid/tready-only stream emitting 0, 1, 2, ... as 96-bit
//   words {~n, n, n}; tvalid is high on two cycles out of three.
// * Combinational ports of various widths (and names containing `$`) for set/get tests.
// * `count`: free-running counter with an `initial` value of 100 and
//   `magic`: a register that is only ever assigned by an `initial` block,
//   the style of register initialisation rust-hdl emits (no reset).
module axis_fixture(
    input  wire         clock,

    input  wire [63:0]  s_axis_tdata,
    input  wire [7:0]   s_axis_tkeep,
    input  wire         s_axis_tvalid,
    output wire         s_axis_tready,
    input  wire         s_axis_tlast,
    input  wire         s_axis_tuser,

    output reg  [63:0]  m_axis_tdata,
    output reg  [7:0]   m_axis_tkeep,
    output reg          m_axis_tvalid,
    input  wire         m_axis_tready,
    output reg          m_axis_tlast,
    output reg          m_axis_tuser,

    input  wire [511:0] ws_axis_tdata,
    input  wire [63:0]  ws_axis_tkeep,
    input  wire         ws_axis_tvalid,
    output wire         ws_axis_tready,
    input  wire         ws_axis_tlast,
    output wire [511:0] wm_axis_tdata,
    output wire [63:0]  wm_axis_tkeep,
    output wire         wm_axis_tvalid,
    input  wire         wm_axis_tready,
    output wire         wm_axis_tlast,

    output wire [95:0]  rec_tdata,
    output wire         rec_tvalid,
    input  wire         rec_tready,

    input  wire [4:0]   narrow_in,
    output wire [4:0]   narrow_out,
    input  wire [11:0]  short_in,
    output wire [11:0]  short_out,
    input  wire [39:0]  quad_in,
    output wire [39:0]  quad_out,
    input  wire [127:0] wide_in,
    output wire [127:0] wide_out,
    input  wire [7:0]   in$dollar,    // rust-hdl joins nested names with `$`
    output wire [7:0]   out$dollar,

    output reg  [31:0]  count,
    output reg  [15:0]  magic
);
    // ---------------------------------------------------------------- slice
    reg [63:0] skid_tdata;
    reg [7:0]  skid_tkeep;
    reg        skid_tlast;
    reg        skid_tuser;
    reg        skid_valid;

    initial begin
        m_axis_tdata  = 64'd0;
        m_axis_tkeep  = 8'd0;
        m_axis_tvalid = 1'b0;
        m_axis_tlast  = 1'b0;
        m_axis_tuser  = 1'b0;
        skid_tdata    = 64'd0;
        skid_tkeep    = 8'd0;
        skid_tlast    = 1'b0;
        skid_tuser    = 1'b0;
        skid_valid    = 1'b0;
    end

    assign s_axis_tready = !skid_valid;

    always @(posedge clock) begin
        if (!skid_valid) begin
            if (s_axis_tvalid) begin
                if (!m_axis_tvalid || m_axis_tready) begin
                    m_axis_tdata  <= s_axis_tdata;
                    m_axis_tkeep  <= s_axis_tkeep;
                    m_axis_tlast  <= s_axis_tlast;
                    m_axis_tuser  <= s_axis_tuser;
                    m_axis_tvalid <= 1'b1;
                end else begin
                    skid_tdata <= s_axis_tdata;
                    skid_tkeep <= s_axis_tkeep;
                    skid_tlast <= s_axis_tlast;
                    skid_tuser <= s_axis_tuser;
                    skid_valid <= 1'b1;
                end
            end else if (m_axis_tready) begin
                m_axis_tvalid <= 1'b0;
            end
        end else if (m_axis_tready) begin
            m_axis_tdata  <= skid_tdata;
            m_axis_tkeep  <= skid_tkeep;
            m_axis_tlast  <= skid_tlast;
            m_axis_tuser  <= skid_tuser;
            skid_valid    <= 1'b0;
        end
    end

    // ------------------------------------- 512-bit combinational pass-through
    assign wm_axis_tdata  = ws_axis_tdata;
    assign wm_axis_tkeep  = ws_axis_tkeep;
    assign wm_axis_tvalid = ws_axis_tvalid;
    assign wm_axis_tlast  = ws_axis_tlast;
    assign ws_axis_tready = wm_axis_tready;

    // ------------------------------------------------------- record stream
    reg [31:0] rec_n;
    reg [1:0]  rec_phase;
    initial begin
        rec_n     = 32'd0;
        rec_phase = 2'd0;
    end
    assign rec_tvalid = rec_phase != 2'd2;
    assign rec_tdata  = {~rec_n, rec_n, rec_n};
    always @(posedge clock) begin
        rec_phase <= (rec_phase == 2'd2) ? 2'd0 : rec_phase + 2'd1;
        if (rec_tvalid && rec_tready)
            rec_n <= rec_n + 32'd1;
    end

    // ------------------------------------------------------- combinational
    assign narrow_out = narrow_in + 5'd1;
    assign short_out  = ~short_in;
    assign quad_out   = quad_in + 40'd1;
    assign wide_out   = {wide_in[63:0], wide_in[127:64]};
    assign out$dollar = ~in$dollar;

    // ------------------------------------------------------- initial values
    initial begin
        count = 32'd100;
        magic = 16'hbeef;
    end
    always @(posedge clock) count <= count + 32'd1;
endmodule
"#;

/// The fixture written to the test's scratch folder.
pub fn fixture_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixture");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let path = dir.join("axis_fixture.v");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(FIXTURE_VERILOG) {
        // Written next to the final name and renamed, so parallel tests never read a
        // half-written file.
        let tmp = dir.join(format!(
            "axis_fixture.v.{}.{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&tmp, FIXTURE_VERILOG).expect("write the fixture");
        std::fs::rename(&tmp, &path).expect("rename the fixture");
    }
    path
}

/// Every port of the fixture.
pub fn fixture_ports() -> Vec<PortSpec> {
    vec![
        PortSpec::input("clock", 1),
        PortSpec::input("s_axis_tdata", 64),
        PortSpec::input("s_axis_tkeep", 8),
        PortSpec::input("s_axis_tvalid", 1),
        PortSpec::output("s_axis_tready", 1),
        PortSpec::input("s_axis_tlast", 1),
        PortSpec::input("s_axis_tuser", 1),
        PortSpec::output("m_axis_tdata", 64),
        PortSpec::output("m_axis_tkeep", 8),
        PortSpec::output("m_axis_tvalid", 1),
        PortSpec::input("m_axis_tready", 1),
        PortSpec::output("m_axis_tlast", 1),
        PortSpec::output("m_axis_tuser", 1),
        PortSpec::input("ws_axis_tdata", 512),
        PortSpec::input("ws_axis_tkeep", 64),
        PortSpec::input("ws_axis_tvalid", 1),
        PortSpec::output("ws_axis_tready", 1),
        PortSpec::input("ws_axis_tlast", 1),
        PortSpec::output("wm_axis_tdata", 512),
        PortSpec::output("wm_axis_tkeep", 64),
        PortSpec::output("wm_axis_tvalid", 1),
        PortSpec::input("wm_axis_tready", 1),
        PortSpec::output("wm_axis_tlast", 1),
        PortSpec::output("rec_tdata", 96),
        PortSpec::output("rec_tvalid", 1),
        PortSpec::input("rec_tready", 1),
        PortSpec::input("narrow_in", 5),
        PortSpec::output("narrow_out", 5),
        PortSpec::input("short_in", 12),
        PortSpec::output("short_out", 12),
        PortSpec::input("quad_in", 40),
        PortSpec::output("quad_out", 40),
        PortSpec::input("wide_in", 128),
        PortSpec::output("wide_out", 128),
        PortSpec::input("in$dollar", 8),
        PortSpec::output("out$dollar", 8),
        PortSpec::output("count", 32),
        PortSpec::output("magic", 16),
    ]
}

/// The shared cache used by the tests (under Cargo's target directory).
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cosim-cache")
}

pub fn options(trace: bool) -> BuildOptions {
    BuildOptions {
        trace,
        cache_dir: cache_dir(),
        jobs: 2,
    }
}

/// Builds (or loads from the cache) the fixture.
pub fn fixture(trace: bool) -> ModelLib {
    build_model(
        &[fixture_file()],
        TOP,
        &fixture_ports(),
        "clock",
        &options(trace),
    )
    .unwrap_or_else(|e| panic!("building the fixture failed: {e}"))
}
