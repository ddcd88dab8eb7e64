//! VCD tracing.

mod common;

use std::path::PathBuf;

use cosim::{AxisSink, AxisSource, Bench, CosimError, waves_path};

#[test]
fn traced_model_writes_a_vcd() {
    let lib = common::fixture(true);
    assert!(lib.has_trace());
    let path = waves_path("cosim_traced_model_writes_a_vcd").unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("traced_model_writes_a_vcd.vcd")
    });
    let _ = std::fs::remove_file(&path);

    let mut model = lib.instantiate().unwrap();
    model.open_trace(&path).unwrap();
    assert!(model.trace_is_open());
    let err = model.open_trace(&path).unwrap_err();
    assert!(matches!(err, CosimError::Trace { .. }), "{err}");

    let mut bench = Bench::new(model).with_timeout(1000);
    let mut src = AxisSource::new(&bench.model, "s_axis", 0.0, 0).unwrap();
    let mut sink = AxisSink::new(&bench.model, "m_axis", 1.0, 0).unwrap();
    src.push(vec![0xab; 30], true);
    bench
        .run_until(&mut (&mut src, &mut sink), |_, (_, s)| {
            s.frames().len() == 1
        })
        .unwrap();
    assert_eq!(sink.frames()[0].data, vec![0xab; 30]);
    let cycles = bench.model.cycles();
    drop(bench); // closes the trace

    let vcd = std::fs::read_to_string(&path).unwrap();
    assert!(vcd.contains("$enddefinitions"), "not a VCD");
    assert!(vcd.contains("s_axis_tdata"));
    assert!(vcd.contains("count"));
    // Two dumps per cycle, 5 ns apart (default 1 ps precision).
    assert!(vcd.contains("\n#5000\n"));
    assert!(vcd.contains(&format!("\n#{}\n", (cycles - 1) * 10_000 + 5000)));
}

#[test]
fn untraced_model_refuses_to_trace() {
    let lib = common::fixture(false);
    let mut model = lib.instantiate().unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("never.vcd");
    let err = model.open_trace(&path).unwrap_err();
    assert!(matches!(err, CosimError::TraceNotEnabled(_)), "{err}");
}

#[test]
fn unwritable_trace_path_is_an_error() {
    let lib = common::fixture(true);
    let mut model = lib.instantiate().unwrap();
    let err = model
        .open_trace(std::path::Path::new("/nonexistent-dir/x/y.vcd"))
        .unwrap_err();
    assert!(matches!(err, CosimError::Trace { .. }), "{err}");
    // The model still works.
    model.tick();
    assert_eq!(model.cycles(), 1);
}
