//! Building, caching and port access.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use common::{TOP, fixture, fixture_file, fixture_ports};
use cosim::{BuildOptions, CosimError, PortSpec, build_model};

fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn builds_once_and_reuses_the_cache_even_concurrently() {
    let cache = scratch_dir("cosim-cache-reuse");
    let opts = BuildOptions {
        trace: false,
        cache_dir: cache.clone(),
        jobs: 2,
    };
    let build = || build_model(&[fixture_file()], TOP, &fixture_ports(), "clock", &opts);

    // Two concurrent builds of the same model: one builds, the other waits and reuses.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(build);
        let b = s.spawn(build);
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.path(), b.path());
    assert!(a.path().starts_with(&cache));

    let start = Instant::now();
    let c = build().unwrap();
    assert!(
        start.elapsed().as_secs_f64() < 2.0,
        "cache hit took {:?}",
        start.elapsed()
    );
    assert_eq!(c.path(), a.path());

    let model_dirs: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(model_dirs.len(), 1, "{model_dirs:?}");
    assert!(model_dirs[0].starts_with("axis_fixture-"));

    // A different port list is a different model.
    let mut ports = fixture_ports();
    ports.retain(|p| p.name != "magic");
    let d = build_model(&[fixture_file()], TOP, &ports, "clock", &opts).unwrap();
    assert_ne!(d.path(), a.path());
    let m = d.instantiate().unwrap();
    assert!(m.port("magic").is_err());

    drop((a, b, c, d, m));
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn initial_blocks_run_and_clock_ticks() {
    let lib = fixture(false);
    let mut m = lib.instantiate().unwrap();
    let magic = m.port("magic").unwrap();
    let count = m.port("count").unwrap();
    assert_eq!(m.get(magic), 0xbeef);
    assert_eq!(m.get(count), 100);
    assert_eq!(m.cycles(), 0);
    for _ in 0..5 {
        m.tick();
    }
    assert_eq!(m.get(count), 105);
    assert_eq!(m.cycles(), 5);
    assert!(!m.finished());
}

#[test]
fn set_and_get_ports_of_every_width() {
    let lib = fixture(false);
    let mut m = lib.instantiate().unwrap();
    let p = |name: &str| lib.port(name).unwrap();
    let (narrow_in, narrow_out) = (p("narrow_in"), p("narrow_out"));
    let (short_in, short_out) = (p("short_in"), p("short_out"));
    let (quad_in, quad_out) = (p("quad_in"), p("quad_out"));
    let (wide_in, wide_out) = (p("wide_in"), p("wide_out"));

    m.set(narrow_in, 0x1e);
    m.set(short_in, 0x123);
    m.set(quad_in, 0xab_cdef_0123);
    m.eval();
    assert_eq!(m.get(narrow_out), 0x1f);
    assert_eq!(m.get(short_out), 0xedc);
    assert_eq!(m.get(quad_out), 0xab_cdef_0124);

    // Values are truncated to the port width.
    m.set(narrow_in, 0xff);
    m.set(quad_in, u64::MAX);
    m.eval();
    assert_eq!(m.get(narrow_in), 0x1f);
    assert_eq!(m.get(narrow_out), 0x00);
    assert_eq!(m.get(quad_out), 0);

    // 128-bit port: wide_out = {wide_in[63:0], wide_in[127:64]}.
    m.set_wide(
        wide_in,
        &[0x1111_1111, 0x2222_2222, 0x3333_3333, 0x4444_4444],
    );
    m.eval();
    let mut out = Vec::new();
    m.get_wide(wide_out, &mut out);
    assert_eq!(out, [0x3333_3333, 0x4444_4444, 0x1111_1111, 0x2222_2222]);
    assert_eq!(m.get(wide_out), 0x4444_4444_3333_3333);
    m.get_wide(wide_in, &mut out);
    assert_eq!(out, [0x1111_1111, 0x2222_2222, 0x3333_3333, 0x4444_4444]);

    // `set` on a wide port clears the upper words; short `set_wide` zero-fills.
    m.set(wide_in, 0x5555_5555_6666_6666);
    m.eval();
    m.get_wide(wide_out, &mut out);
    assert_eq!(out, [0, 0, 0x6666_6666, 0x5555_5555]);
    m.set_wide(wide_in, &[7]);
    m.eval();
    m.get_wide(wide_out, &mut out);
    assert_eq!(out, [0, 0, 7, 0]);

    // Narrow ports through the word interface.
    m.set_wide(short_in, &[0xfff0]);
    m.eval();
    m.get_wide(short_out, &mut out);
    assert_eq!(out, [0x00f]);

    // Names with `$` (as rust-hdl emits for nested signals).
    let (din, dout) = (p("in$dollar"), p("out$dollar"));
    m.set(din, 0x0f);
    m.eval();
    assert_eq!(m.get(dout), 0xf0);

    // Setting an output is ignored.
    m.set(narrow_out, 3);
    m.eval();
    assert_eq!(m.get(narrow_out), 0x00);
}

#[test]
fn instances_are_independent_and_can_move_between_threads() {
    let lib = fixture(false);
    let mut a = lib.instantiate().unwrap();
    let b = lib.instantiate().unwrap();
    let count = a.port("count").unwrap();
    a.tick();
    a.tick();
    let handle = std::thread::spawn(move || {
        let mut b = b;
        for _ in 0..10 {
            b.tick();
        }
        b
    });
    let b = handle.join().unwrap();
    assert_eq!(a.get(count), 102);
    assert_eq!(b.get(count), 110);
    // The library stays loaded while instances exist.
    drop(lib);
    a.tick();
    assert_eq!(a.get(count), 103);
}

#[test]
fn unknown_port_is_an_error_naming_it() {
    let m = fixture(false).instantiate().unwrap();
    let err = m.port("no_such_port").unwrap_err();
    assert!(matches!(err, CosimError::UnknownPort { .. }));
    let text = err.to_string();
    assert!(text.contains("no_such_port"), "{text}");
    assert!(text.contains("s_axis_tdata"), "{text}");
}

#[test]
fn port_list_is_checked_against_the_model() {
    let opts = BuildOptions {
        trace: false,
        cache_dir: scratch_dir("cosim-cache-mismatch"),
        jobs: 2,
    };
    let build = |ports: &[PortSpec], clock: &str| {
        build_model(&[fixture_file()], TOP, ports, clock, &opts).unwrap_err()
    };

    let err = build(&[PortSpec::input("bogus", 3)], "clock");
    assert!(matches!(err, CosimError::PortMismatch { .. }), "{err}");
    assert!(err.to_string().contains("bogus"), "{err}");

    let err = build(&[PortSpec::output("narrow_out", 6)], "clock");
    assert!(err.to_string().contains("5"), "{err}");

    let err = build(&[PortSpec::output("narrow_in", 5)], "clock");
    assert!(err.to_string().contains("narrow_in"), "{err}");

    let err = build(&[], "count");
    assert!(err.to_string().contains("clock"), "{err}");

    // Requests rejected before running any tool.
    let err = build(&[PortSpec::input("narrow_in", 0)], "clock");
    assert!(matches!(err, CosimError::InvalidRequest(_)), "{err}");
    let err = build_model(&[], TOP, &[], "clock", &opts).unwrap_err();
    assert!(matches!(err, CosimError::InvalidRequest(_)), "{err}");
    let err = build_model(&["missing.v".into()], TOP, &[], "clock", &opts).unwrap_err();
    assert!(err.to_string().contains("missing.v"), "{err}");

    let _ = std::fs::remove_dir_all(&opts.cache_dir);
}

#[test]
fn verilog_errors_are_reported_with_the_command() {
    let dir = scratch_dir("cosim-bad-verilog");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.v");
    std::fs::write(
        &file,
        "module broken(input clock); this is not verilog endmodule\n",
    )
    .unwrap();
    let opts = BuildOptions {
        trace: false,
        cache_dir: dir.join("cache"),
        jobs: 1,
    };
    let err = build_model(&[file], "broken", &[], "clock", &opts).unwrap_err();
    let CosimError::CommandFailed {
        command,
        output_tail,
        ..
    } = &err
    else {
        panic!("unexpected error {err}");
    };
    assert!(command.contains("verilator"), "{command}");
    assert!(output_tail.contains("broken.v"), "{output_tail}");
    // Failed builds leave no directories behind.
    let left: Vec<_> = std::fs::read_dir(&opts.cache_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
