//! `toe bench`'s report code (Verilator): a small run joined with a synthetic synthesis
//! report written into a fresh out folder; checks the four files and the measured figures.

use hdl::synth::{BlockReport, DeviceResult, Resources, SynthReport, Target};
use host_model::Resolved;
use std::collections::BTreeMap;
use std::path::PathBuf;
use testbenches::report::{BenchParams, BenchReport, SeriesKind, run_bench};

const FRAMES: u64 = 2000;

/// A fresh `target/toe-tests/bench_report/`.
fn out_dir() -> PathBuf {
    let tests = testbenches::rx::cache_dir().join("..").join("toe-tests");
    std::fs::create_dir_all(&tests).unwrap();
    let out = std::fs::canonicalize(tests).unwrap().join("bench_report");
    let _ = std::fs::remove_dir_all(&out);
    out
}

fn device(name: &str, fits: bool, fmax: Option<f64>) -> DeviceResult {
    DeviceResult {
        device: name.into(),
        fits,
        note: (!fits).then(|| "does not fit: synthetic".into()),
        estimate_only: fmax.is_none(),
        resources: Resources {
            lut: 4321,
            ff: 2345,
            bram: 0.0,
            dsp: 0,
            lutram: Some(94),
            carry: Some(120),
        },
        capacity: None,
        fmax_mhz: fmax
            .map(|f| BTreeMap::from([("clk".to_string(), f)]))
            .unwrap_or_default(),
        target_mhz: fmax.map(|_| 156.25),
        critical_path: None,
    }
}

/// A synthetic ECP5 report: speed grades 8 and 6 with an Fmax, one device that does not fit.
fn synthetic_ecp5(cfg: &Resolved) -> SynthReport {
    SynthReport {
        generator: "toe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        config: cfg.config.name.clone(),
        prefix: cfg.config.prefix.clone(),
        data_width: cfg.config.data_width,
        target: Target::Ecp5,
        tools: BTreeMap::from([("yosys (YoWASP)".to_string(), "synthetic".to_string())]),
        blocks: vec![BlockReport {
            block: "rx_parser".into(),
            top: format!("{}_rx_parser", cfg.config.prefix),
            io_ports: 17,
            io_bits: 644,
            seconds: 1.0,
            results: vec![
                device("SYNTH-A-8 (synthetic)", true, Some(201.5)),
                device("SYNTH-A-6 (synthetic)", true, Some(163.25)),
                device("SYNTH-TINY (synthetic)", false, None),
            ],
        }],
    }
}

/// `<polyline ... points="x,y x,y ..."/>` elements with more than two points: the chart's
/// data lines (axes and ticks are two-point polylines); returns their stroke colours.
fn data_polylines(svg: &str) -> Vec<String> {
    let mut found = vec![];
    for part in svg.split("<polyline").skip(1) {
        let tag = &part[..part.find("/>").expect("polyline closes")];
        let attr = |name: &str| {
            let start = tag.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            tag[start..start + tag[start..].find('"').unwrap()].to_string()
        };
        if attr("points").split_whitespace().count() > 2 {
            found.push(attr("stroke").to_lowercase());
        }
    }
    found
}

#[test]
fn bench_report_from_a_small_run_and_a_synthetic_synth_report() {
    let cfg = Resolved::default_config();
    let out = out_dir();
    let reports = out.join("reports");
    synthetic_ecp5(&cfg)
        .write(&reports)
        .expect("write the synthetic report");
    std::fs::write(reports.join("synth-broken.json"), "{ not json").unwrap();

    let params = BenchParams {
        frames: FRAMES,
        raw_cycles: 100_000,
    };
    let (report, files) = run_bench(&cfg, &out, &params, " --out X", false).expect("bench");

    // The four files, under <out>/reports/.
    for p in [&files.markdown, &files.html, &files.svg, &files.json] {
        assert!(p.is_file(), "{} missing", p.display());
        assert_eq!(p.parent().unwrap(), reports);
    }
    let md = std::fs::read_to_string(&files.markdown).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    let svg = std::fs::read_to_string(&files.svg).unwrap();
    let json = std::fs::read_to_string(&files.json).unwrap();
    assert_eq!(md, report.markdown());

    // Measured: back-to-back 64-byte frames flow with exactly zero idle cycles.
    let m = &report.measurements;
    let small = m.workload("64-byte").expect("64-byte row");
    assert_eq!(small.frames, FRAMES);
    assert_eq!(small.idle_cycles_between_frames, 0);
    assert_eq!(small.idle_cycles_per_frame, 0.0);
    assert_eq!(small.gaps, FRAMES - small.runs);
    assert_eq!(small.beats, FRAMES * 8);
    assert_eq!(small.span_cycles, small.beats);
    assert_eq!(small.beats_per_cycle, 1.0);
    for name in ["1518-byte", "mixed"] {
        let w = m.workload(name).expect(name);
        assert!(w.frames >= 2 && w.gaps > 0, "{name}: {w:?}");
        assert!(
            w.cycles_per_sec > 0.0 && w.frames_per_sec > 0.0,
            "{name}: {w:?}"
        );
    }
    assert!(m.raw.cycles >= 100_000 && m.raw.cycles_per_sec > 0.0);
    // The engine top: 64-byte frames that all hit flow with zero idle cycles too.
    let hits = m
        .engine
        .iter()
        .find(|w| w.name == "engine 64-byte hits")
        .expect("engine row");
    assert_eq!(hits.frames, FRAMES / 4);
    assert_eq!(hits.idle_cycles_between_frames, 0);
    assert_eq!(hits.span_cycles, hits.beats);
    let mixed = m
        .engine
        .iter()
        .find(|w| w.name == "engine mixed")
        .expect("engine mixed");
    assert!(
        mixed.frames == FRAMES / 4 && mixed.cycles_per_sec > 0.0,
        "{mixed:?}"
    );
    assert!(md.contains("| engine 64-byte hits |"), "{md}");
    // The DMA engines: every request's bytes landed / came back (checked by the bench).
    for name in [
        "dma_write 1500-byte requests",
        "dma_read 1500-byte requests",
    ] {
        let w = m.engine.iter().find(|w| w.name == name).expect(name);
        assert!(w.frames == FRAMES / 16 && w.beats_per_cycle > 0.9, "{w:?}");
    }
    // The segment transmit path: full-size segments leave back to back, no idle clock.
    let tx = m
        .engine
        .iter()
        .find(|w| w.name == "tx_seg 1460-byte segments")
        .expect("tx_seg row");
    assert_eq!(tx.frames, FRAMES / 16);
    assert_eq!(tx.idle_cycles_between_frames, 0, "{tx:?}");
    assert_eq!(tx.span_cycles, tx.beats, "{tx:?}");
    // The send core cutting send lists into segments for it keeps that rate.
    let snd = m
        .engine
        .iter()
        .find(|w| w.name == "snd_core+tx_seg send lists, 1460-byte segments")
        .expect("snd_core row");
    assert_eq!(snd.frames, FRAMES / 16);
    assert_eq!(snd.idle_cycles_between_frames, 0, "{snd:?}");
    assert_eq!(snd.span_cycles, snd.beats, "{snd:?}");

    // The receive engine top: 64-byte frames (past the fast path) land in ring buffers
    // at line rate too, after one gap of at most 2 clocks behind the first frame of the
    // burst (the fast path's decision pipeline filling; measured: 2 clocks before frame
    // 1, none after).
    let rx = m
        .engine
        .iter()
        .find(|w| w.name == "rx ring 64-byte misses")
        .expect("rx row");
    assert_eq!(rx.frames, FRAMES / 4);
    assert!(
        rx.idle_cycles_between_frames == rx.max_idle_cycles && rx.max_idle_cycles <= 2,
        "{rx:?}"
    );
    assert_eq!(rx.span_cycles, rx.beats + rx.idle_cycles_between_frames);
    let rx_mixed = m
        .engine
        .iter()
        .find(|w| w.name == "rx ring mixed")
        .expect("rx mixed");
    assert_eq!(rx_mixed.frames, FRAMES / 4);

    // The Markdown: both tables have the three measured rows; the 64-byte idle figure is 0.
    for name in ["64-byte", "1518-byte", "mixed"] {
        let rows = md
            .lines()
            .filter(|l| l.starts_with(&format!("| {name} |")))
            .count();
        assert_eq!(rows, 2, "{name} rows in:\n{md}");
    }
    let throughput_row = md
        .lines()
        .filter(|l| l.starts_with("| 64-byte |"))
        .nth(1)
        .unwrap();
    assert!(
        throughput_row.contains(&format!("| 1.0000 | 0 (0 cycles / {} gaps) |", "1,999")),
        "{throughput_row}"
    );
    assert!(md.contains("M cycles/s"), "{md}");

    // Synthesis: ECP5 joined, the other targets missing with the command that makes them,
    // the broken file skipped, the device that does not fit listed without Fmax.
    assert_eq!(report.synth.found.len(), 1);
    assert_eq!(report.fmax.len(), 2);
    assert_eq!(report.no_fmax.len(), 1);
    assert!(
        md.contains("SYNTH-A-8 (synthetic)") && md.contains("201.5"),
        "{md}"
    );
    for t in ["ice40", "xilinx"] {
        assert!(
            md.contains(&format!("`toe synth --target {t} --out X`")),
            "{md}"
        );
    }
    assert!(!md.contains("toe synth --target ecp5"), "{md}");
    assert!(md.contains("synth-broken.json"), "{md}");

    // The chart: an SVG with one data polyline per series, in the series' colours.
    assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    // 2 Fmax lines, the config's target clock, 10 and 25 GbE.
    assert_eq!(report.series.len(), 5);
    let gbe = report
        .series
        .iter()
        .filter(|s| matches!(s.kind, SeriesKind::LineRate { .. }))
        .count();
    assert_eq!(gbe, 2);
    let mut colours = data_polylines(&svg);
    let mut want: Vec<String> = report
        .series
        .iter()
        .map(|s| s.color.to_lowercase())
        .collect();
    colours.sort();
    want.sort();
    assert_eq!(colours, want, "one polyline per series");
    for s in &report.series {
        assert!(svg.contains(&s.label), "legend lacks {}", s.label);
    }

    // HTML: self-contained, chart inline, tables.
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg") && html.contains("<table>") && html.contains("64-byte"));
    assert!(!html.contains("src=\"http"));

    // JSON: reads back as the same report (wall-clock floats may differ in the last bit).
    let back: BenchReport = serde_json::from_str(&json).expect("bench.json parses");
    assert_eq!(back.schema, "toe-bench/1");
    assert_eq!(back.synth, report.synth);
    assert_eq!((&back.fmax, &back.series), (&report.fmax, &report.series));
    let cycles = |r: &BenchReport| {
        r.measurements
            .workloads
            .iter()
            .map(|w| {
                (
                    w.name.clone(),
                    w.frames,
                    w.beats,
                    w.span_cycles,
                    w.gaps,
                    w.idle_cycles_between_frames,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(cycles(&back), cycles(&report));
}
