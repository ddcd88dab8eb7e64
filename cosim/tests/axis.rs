//! AXI4-Stream agents against the fixture's register slice and record stream.

mod common;

use cosim::{AxisSink, AxisSource, Bench, CosimError, RecordSink, run_until};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_frames(seed: u64, n: usize) -> Vec<(Vec<u8>, bool)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let len = rng.random_range(1..=200);
            let data = (0..len).map(|_| rng.random::<u8>()).collect();
            (data, rng.random_bool(0.3))
        })
        .collect()
}

#[test]
fn frames_pass_unchanged_under_gaps_and_back_pressure() {
    let lib = common::fixture(false);
    for (seed, idle, ready) in [(1, 0.3, 0.5), (2, 0.7, 0.9), (3, 0.0, 0.2), (4, 0.5, 1.0)] {
        let mut bench = Bench::new(lib.instantiate().unwrap()).with_timeout(100_000);
        let mut src = AxisSource::new(&bench.model, "s_axis", idle, seed).unwrap();
        let mut sink = AxisSink::new(&bench.model, "m_axis", ready, seed + 100).unwrap();
        let frames = random_frames(seed, 40);
        for (data, user) in &frames {
            src.push(data.clone(), *user);
        }
        let n = frames.len();
        bench
            .run_until(&mut (&mut src, &mut sink), |_, (_, sink)| {
                sink.frames().len() == n
            })
            .unwrap();

        assert!(src.is_idle());
        assert_eq!(src.frames_sent(), n as u64);
        let expected_beats: u64 = frames.iter().map(|(d, _)| d.len().div_ceil(8) as u64).sum();
        assert_eq!(src.beats_sent(), expected_beats);
        assert_eq!(sink.beats_received(), expected_beats);
        for (i, (got, (data, user))) in sink.frames().iter().zip(&frames).enumerate() {
            assert_eq!(&got.data, data, "seed {seed} frame {i}");
            assert_eq!(got.user, *user, "seed {seed} frame {i}");
            assert_eq!(got.beats, data.len().div_ceil(8) as u64);
            assert!(got.first_cycle <= got.last_cycle);
        }
        for pair in sink.frames().windows(2) {
            assert!(pair[0].last_cycle < pair[1].first_cycle);
        }
        assert!(!sink.in_frame());
    }
}

#[test]
fn back_to_back_frames_have_no_idle_cycles() {
    let lib = common::fixture(false);
    let mut model = lib.instantiate().unwrap();
    let mut src = AxisSource::new(&model, "s_axis", 0.0, 1).unwrap();
    let mut sink = AxisSink::new(&model, "m_axis", 1.0, 2).unwrap();
    let lens = [64usize, 1, 8, 9, 60, 16];
    for (i, &len) in lens.iter().enumerate() {
        src.push(vec![i as u8; len], false);
    }
    let mut agents = (&mut src, &mut sink);
    let cycles = run_until(&mut model, &mut agents, 1000, |_, (_, sink)| {
        sink.frames().len() == lens.len()
    })
    .unwrap();

    let frames = sink.frames();
    let total_beats: u64 = lens.iter().map(|l| l.div_ceil(8) as u64).sum();
    // The first beat goes in at cycle 0 and comes out of the register slice at cycle 1.
    assert_eq!(frames[0].first_cycle, 1);
    for pair in frames.windows(2) {
        assert_eq!(pair[1].first_cycle, pair[0].last_cycle + 1, "{frames:?}");
    }
    for f in frames {
        assert_eq!(f.last_cycle - f.first_cycle + 1, f.beats);
    }
    assert_eq!(frames.last().unwrap().last_cycle, total_beats);
    assert_eq!(cycles, total_beats + 1);
    assert_eq!(src.frames_sent(), lens.len() as u64);
}

#[test]
fn back_pressure_holds_the_beat_stable() {
    // With the sink never ready, the slice fills (two beats) and then stalls the source.
    let lib = common::fixture(false);
    let mut bench = Bench::new(lib.instantiate().unwrap());
    let mut src = AxisSource::new(&bench.model, "s_axis", 0.0, 1).unwrap();
    let mut sink = AxisSink::new(&bench.model, "m_axis", 0.0, 2).unwrap();
    src.push((0..80).collect(), false);
    bench.run_cycles(&mut (&mut src, &mut sink), 20);
    assert_eq!(src.beats_sent(), 2);
    assert_eq!(sink.beats_received(), 0);
    sink.set_ready_probability(1.0);
    bench
        .run_until(&mut (&mut src, &mut sink), |_, (_, s)| {
            s.frames().len() == 1
        })
        .unwrap();
    assert_eq!(sink.frames()[0].data, (0..80).collect::<Vec<u8>>());
}

#[test]
fn record_sink_collects_every_transfer() {
    let lib = common::fixture(false);
    let mut bench = Bench::new(lib.instantiate().unwrap()).with_timeout(10_000);
    let mut rec = RecordSink::new(&bench.model, "rec", 0.6, 7).unwrap();
    bench
        .run_until(&mut [&mut rec], |_, [r]| r.records().len() >= 50)
        .unwrap();
    let records = rec.take_records();
    for (n, r) in records.iter().enumerate() {
        let n = n as u32;
        assert_eq!(r.words, vec![n, n, !n]);
        assert_eq!(r.low_u64(), (u64::from(n) << 32) | u64::from(n));
    }
    for pair in records.windows(2) {
        assert!(pair[0].cycle < pair[1].cycle);
    }
    // tvalid is low one cycle in three.
    assert!(records.iter().all(|r| r.cycle % 3 != 2));
}

#[test]
fn run_until_times_out_instead_of_hanging() {
    let lib = common::fixture(false);
    let mut bench = Bench::new(lib.instantiate().unwrap()).with_timeout(50);
    let mut sink = AxisSink::new(&bench.model, "m_axis", 1.0, 0).unwrap();
    let err = bench
        .run_until(&mut (&mut sink,), |_, (s,)| !s.frames().is_empty())
        .unwrap_err();
    assert!(
        matches!(
            err,
            CosimError::Timeout {
                cycles: 50,
                at_cycle: 50
            }
        ),
        "{err}"
    );
    assert_eq!(bench.model.cycles(), 50);
}

#[test]
fn agents_check_their_ports() {
    let lib = common::fixture(false);
    let model = lib.instantiate().unwrap();
    // Missing stream.
    let err = AxisSource::new(&model, "nope", 0.0, 0).unwrap_err();
    assert!(err.to_string().contains("nope_tdata"), "{err}");
    // Wrong direction: m_axis is an output stream of the model.
    let err = AxisSource::new(&model, "m_axis", 0.0, 0).unwrap_err();
    assert!(matches!(err, CosimError::BadPort { .. }), "{err}");
    let err = AxisSink::new(&model, "s_axis", 1.0, 0).unwrap_err();
    assert!(matches!(err, CosimError::BadPort { .. }), "{err}");
    // The record stream has no tlast.
    assert!(AxisSink::new(&model, "rec", 1.0, 0).is_err());
}

#[test]
fn hand_written_loop_with_inherent_methods() {
    // The same protocol without `Bench`, as testbenches with extra per-cycle work write it.
    let lib = common::fixture(false);
    let mut model = lib.instantiate().unwrap();
    let mut src = AxisSource::new(&model, "s_axis", 0.5, 11).unwrap();
    let mut sink = AxisSink::new(&model, "m_axis", 0.5, 12).unwrap();
    let frame: Vec<u8> = (0..=255).collect();
    src.push(frame.clone(), true);
    while sink.frames().is_empty() {
        assert!(model.cycles() < 10_000, "stalled");
        src.drive(&mut model);
        sink.drive(&mut model);
        model.eval();
        src.observe(&model);
        sink.observe(&model);
        model.tick();
    }
    assert_eq!(sink.frames()[0].data, frame);
    assert!(sink.frames()[0].user);
}

#[test]
fn wide_512_bit_stream_passes_frames() {
    let lib = common::fixture(false);
    let mut bench = Bench::new(lib.instantiate().unwrap()).with_timeout(100_000);
    let mut src = AxisSource::new(&bench.model, "ws_axis", 0.4, 21).unwrap();
    let mut sink = AxisSink::new(&bench.model, "wm_axis", 0.6, 22).unwrap();
    assert_eq!(src.bytes_per_beat(), 64);
    let frames = random_frames(5, 30);
    for (data, user) in &frames {
        // No tuser port: the flag is dropped.
        src.push(data.clone(), *user);
    }
    bench
        .run_until(&mut (&mut src, &mut sink), |_, (_, s)| {
            s.frames().len() == frames.len()
        })
        .unwrap();
    for (got, (data, _)) in sink.frames().iter().zip(&frames) {
        assert_eq!(&got.data, data);
        assert!(!got.user);
        assert_eq!(got.beats, data.len().div_ceil(64) as u64);
    }
}
