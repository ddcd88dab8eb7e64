//! Shared helpers for the integration tests: the fixture's port list and build.

#![allow(dead_code)]

use std::path::PathBuf;

use cosim::{BuildOptions, ModelLib, PortSpec, build_model};

pub const TOP: &str = "axis_fixture";

pub fn fixture_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/axis_fixture.v")
}

/// Every port of `tests/fixtures/axis_fixture.v`.
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
