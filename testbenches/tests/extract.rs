//! The byte-range extractor (`<prefix>_extract`) under Verilator: random frames cut
//! into random pieces under random stalls, compared with slices of the frames; exact
//! throughput at line rate; a piece past its frame's end reads zeros and does not hang.

use anyhow::Result;
use cosim::{Agent, AxisSink, AxisSource, Model, PortId};
use host_model::Resolved;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use testbenches::rx::{pulse_reset, test_paths, verilate_block};

/// Presents pieces `(start, len, last)` on `s_cmd_*`, with random idle cycles.
struct CmdDriver {
    start: PortId,
    len: PortId,
    last: PortId,
    valid: PortId,
    ready: PortId,
    queue: VecDeque<(u16, u16, bool)>,
    presenting: bool,
    idle: f64,
    rng: ChaCha8Rng,
}

impl Agent for CmdDriver {
    fn drive(&mut self, model: &mut Model) {
        self.presenting = false;
        if let Some(&(s, l, last)) = self.queue.front()
            && !(self.idle > 0.0 && self.rng.random_bool(self.idle))
        {
            model.set(self.start, s as u64);
            model.set(self.len, l as u64);
            model.set(self.last, last as u64);
            self.presenting = true;
        }
        model.set(self.valid, self.presenting as u64);
    }
    fn observe(&mut self, model: &Model) {
        if self.presenting && model.get(self.ready) != 0 {
            self.queue.pop_front();
        }
    }
}

struct Sim {
    model: Model,
    cmd: CmdDriver,
    src: AxisSource,
    sink: AxisSink,
}

impl Sim {
    fn new(test: &str) -> Result<Sim> {
        let cfg = Resolved::default_config();
        let (out, waves) = test_paths(test);
        let mut model = verilate_block(&cfg, "extract", &out, waves.as_deref())?;
        pulse_reset(&mut model)?;
        let port = |n: &str| model.port(n);
        let cmd = CmdDriver {
            start: port("s_cmd_start")?,
            len: port("s_cmd_len")?,
            last: port("s_cmd_last")?,
            valid: port("s_cmd_valid")?,
            ready: port("s_cmd_ready")?,
            queue: VecDeque::new(),
            presenting: false,
            idle: 0.0,
            rng: ChaCha8Rng::seed_from_u64(5),
        };
        let src = AxisSource::new(&model, "s_axis", 0.0, 6)?;
        let sink = AxisSink::new(&model, "m_axis", 1.0, 7)?;
        Ok(Sim {
            model,
            cmd,
            src,
            sink,
        })
    }

    fn run_until(&mut self, pieces: usize, limit: u64) -> Result<u64> {
        let start = self.model.cycles();
        while self.sink.frames().len() < pieces {
            anyhow::ensure!(
                self.model.cycles() - start < limit,
                "timeout: {} of {pieces} pieces",
                self.sink.frames().len()
            );
            cosim::step(
                &mut self.model,
                &mut (&mut self.cmd, &mut self.src, &mut self.sink),
            );
        }
        Ok(self.model.cycles() - start)
    }
}

/// Random pieces of a frame of `n` bytes, in order, not overlapping.
fn pieces(rng: &mut ChaCha8Rng, n: usize) -> Vec<(u16, u16, bool)> {
    let mut out = vec![];
    let mut at = 0usize;
    for _ in 0..rng.random_range(0..5) {
        if at >= n {
            break;
        }
        let start = if rng.random_bool(0.3) {
            at
        } else {
            rng.random_range(at..n)
        };
        let len = rng.random_range(1..=n - start);
        let len = if rng.random_bool(0.5) {
            len.min(rng.random_range(1..40))
        } else {
            len
        };
        out.push((start as u16, len as u16, false));
        at = start + len;
    }
    match out.last_mut() {
        Some(p) if rng.random_bool(0.8) => p.2 = true,
        _ => out.push((0, 0, true)), // discard the rest (or the whole frame)
    }
    out
}

#[test]
fn random_pieces_of_random_frames_under_stalls() -> Result<()> {
    let mut sim = Sim::new("extract_random")?;
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut want: Vec<Vec<u8>> = vec![];
    for round in 0..3 {
        // Round 0 runs at full rate, the others with random stalls on every side.
        sim.src.set_idle_probability([0.0, 0.3, 0.1][round]);
        sim.sink.set_ready_probability([1.0, 0.6, 0.3][round]);
        sim.cmd.idle = [0.0, 0.3, 0.5][round];
        for _ in 0..150 {
            let n = rng.random_range(1..=2048);
            let frame: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            for (s, l, last) in pieces(&mut rng, n) {
                if l > 0 {
                    want.push(frame[s as usize..(s + l) as usize].to_vec());
                }
                sim.cmd.queue.push_back((s, l, last));
            }
            sim.src.push(frame, false);
        }
        sim.run_until(want.len(), 2_000_000)?;
    }
    let got = sim.sink.frames();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.beats as usize, w.len().div_ceil(8), "piece {i} beats");
        assert_eq!(&g.data[..w.len()], &w[..], "piece {i}");
    }
    // Nothing left over: every frame is consumed to its end.
    for _ in 0..5000 {
        if sim.src.pending() == 0 && sim.cmd.queue.is_empty() {
            break;
        }
        cosim::step(
            &mut sim.model,
            &mut (&mut sim.cmd, &mut sim.src, &mut sim.sink),
        );
    }
    assert_eq!((sim.src.pending(), sim.cmd.queue.len()), (0, 0));
    Ok(())
}

#[test]
fn line_rate_header_stripping() -> Result<()> {
    let mut sim = Sim::new("extract_rate")?;
    for (len, per_frame) in [(64usize, 8u64), (118, 15), (1514, 190)] {
        let n = 200;
        let before = sim.sink.frames().len();
        for i in 0..n {
            let frame: Vec<u8> = (0..len).map(|b| (b + i) as u8).collect();
            sim.cmd.queue.push_back((54, (len - 54) as u16, true));
            sim.src.push(frame, false);
        }
        sim.run_until(before + n, 1_000_000)?;
        let f = &sim.sink.frames()[before..];
        let span = f[n - 1].last_cycle - f[0].last_cycle;
        println!(
            "{len}-byte frames, payload from byte 54: {:.2} clocks per frame",
            span as f64 / (n - 1) as f64
        );
        // The frames arrive at one beat per clock: one frame's beats per frame.
        assert_eq!(span, per_frame * (n as u64 - 1), "{len}-byte frames");
        for (i, g) in f.iter().enumerate() {
            let w: Vec<u8> = (54..len).map(|b| (b + i) as u8).collect();
            assert_eq!(&g.data[..w.len()], &w[..]);
        }
    }
    Ok(())
}

#[test]
fn a_piece_past_the_frame_end_reads_zeros() -> Result<()> {
    let mut sim = Sim::new("extract_past_end")?;
    sim.cmd.queue.push_back((4, 30, true));
    sim.src.push((1..=20).collect(), false);
    sim.cmd.queue.push_back((0, 3, true));
    sim.src.push(vec![7, 8, 9, 10], false);
    sim.run_until(2, 1000)?;
    let f = sim.sink.frames();
    let mut want: Vec<u8> = (5..=20).collect();
    want.resize(30, 0);
    assert_eq!(&f[0].data[..30], &want[..]);
    assert_eq!(&f[1].data[..3], &[7, 8, 9]);
    Ok(())
}

#[test]
fn tiny_frames_back_to_back() -> Result<()> {
    let mut sim = Sim::new("extract_tiny")?;
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let mut want = vec![];
    for i in 0..400 {
        let n = rng.random_range(1..=20);
        let frame: Vec<u8> = (0..n).map(|b| (b * 7 + i) as u8).collect();
        for (s, l, last) in pieces(&mut rng, n) {
            if l > 0 {
                want.push(frame[s as usize..(s + l) as usize].to_vec());
            }
            sim.cmd.queue.push_back((s, l, last));
        }
        sim.src.push(frame, false);
    }
    sim.run_until(want.len(), 100_000)?;
    for (i, (g, w)) in sim.sink.frames().iter().zip(&want).enumerate() {
        assert_eq!(&g.data[..w.len()], &w[..], "piece {i}");
    }
    assert_eq!(sim.sink.frames().len(), want.len());
    Ok(())
}
