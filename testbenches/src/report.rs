//! The `toe bench` report: co-simulation speed, simulated throughput, the synthesis
//! reports' Fmax, and a frames-per-second chart.
//!
//! [`run_bench`] measures the receive parser ([`measure`]) and the engine top
//! ([`measure_engine`]) under Verilator, joins the
//! measurements with every `<out>/reports/synth-*.json` it finds ([`find_synth_reports`])
//! and writes, under `<out>/reports/`:
//!
//! - `bench.md`: the report (also what `toe bench` prints);
//! - `bench.html`: the same, self-contained, with the chart inline;
//! - `bench-fps.svg`: frames per second against frame size at each Fmax, with the 10 GbE
//!   and 25 GbE line rates;
//! - `bench.json`: [`BenchReport`] (measurements, synthesis reports used, chart lines), for
//!   later tooling. `schema` names its version.
//!
//! Conventions. *Frame size* on the chart is the Ethernet frame on the wire from the
//! destination MAC address to the end of the FCS (64 to 1518 bytes, jumbo up to 9000
//! here); preamble, SFD and inter-frame gap (7 + 1 + 12 = 20 bytes) are added for the
//! line rate: frames/s = rate / ((size + 20) · 8). The parser curves take one beat per
//! clock with no idle cycle between frames (what the simulation measures):
//! frames/s = Fmax / ⌈size / bytes per beat⌉. That counts the FCS as if the MAC handed it
//! to the parser; a MAC that strips it saves at most one beat per frame, so the curves
//! are a lower bound.

use crate::dma::{DmaReadSim, DmaWriteSim, WriteReq};
use crate::engine_sim::EngineSim;
use crate::framegen::FrameGen;
use crate::rx::{Drive, RunResult, RxParserSim, tcp_frame};
use crate::rx_sim::RxSim;
use crate::scenario::{hand_out, peer_frame};
use anyhow::{Context, Result, bail};
use hdl::synth::{SynthReport, Target};
use host_model::Resolved;
use host_model::proto::FlowKey;
use host_model::proto::{CmdStatus, Command, ENGINE_MAX_FRAME, Event, RX_BUF_BYTES};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// Version of the `bench.json` layout.
pub const SCHEMA: &str = "toe-bench/1";

/// Bytes of preamble (7), start-of-frame delimiter (1) and minimum inter-frame gap (12)
/// around every frame on the wire.
pub const WIRE_OVERHEAD_BYTES: u64 = 20;

/// Smallest and largest frame size on the chart (bytes on the wire, FCS included).
pub const CHART_SIZES: (u64, u64) = (64, 9000);

/// Line rates drawn as reference lines, in Gb/s.
pub const LINE_RATES_GBPS: [f64; 2] = [10.0, 25.0];

/// Frames per co-simulation run (each run ends with a pipeline drain).
pub const RUN_FRAMES: usize = 16_384;

/// Every synthesis target `toe synth` knows.
pub const TARGETS: [Target; 3] = [Target::Ecp5, Target::Ice40, Target::Xilinx];

/// How much to measure.
#[derive(Debug, Clone, Copy)]
pub struct BenchParams {
    /// Frames per workload (64-byte and mixed; 1518-byte frames get 1/16 of this).
    pub frames: u64,
    /// Cycles of the parser-alone speed measurement.
    pub raw_cycles: u64,
}

impl BenchParams {
    /// `frames` per workload and 4 million cycles for the parser alone.
    pub fn new(frames: u64) -> Self {
        BenchParams {
            frames,
            raw_cycles: 4_000_000,
        }
    }
}

/// The parser's co-simulation speed alone ([`RxParserSim::raw_speed`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawSpeed {
    /// Size of the frame streamed back to back.
    pub frame_bytes: u64,
    pub cycles: u64,
    pub seconds: f64,
    pub cycles_per_sec: f64,
}

/// One workload: frames streamed back to back (input `tvalid` held high, both outputs
/// always ready) through [`RxParserSim::run`], in runs of up to [`RUN_FRAMES`] frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// `64-byte`, `1518-byte` or `mixed`.
    pub name: String,
    pub frames: u64,
    /// Bytes handed to the parser (no FCS), all frames.
    pub bytes: u64,
    pub min_frame_bytes: u64,
    pub max_frame_bytes: u64,
    /// Input beats (⌈bytes / bytes per beat⌉ per frame).
    pub beats: u64,
    /// Co-simulation runs the frames were split into.
    pub runs: u64,
    // --- wall clock (Verilator with the stream agents)
    /// Simulated cycles, including each run's pipeline drain and trailing idle cycles.
    pub sim_cycles: u64,
    /// Wall-clock seconds inside [`RxParserSim::run`].
    pub seconds: f64,
    pub cycles_per_sec: f64,
    pub frames_per_sec: f64,
    // --- simulated throughput, from the output frames' first and last beat cycles
    /// Cycles from the first beat of each run's first output frame to the last beat of
    /// its last frame, summed over runs.
    pub span_cycles: u64,
    /// `beats / span_cycles` (1 = one beat every clock).
    pub beats_per_cycle: f64,
    /// Frame-to-frame gaps measured: `frames - runs` (no gap is measured across runs).
    pub gaps: u64,
    /// Sum over gaps of `first beat of frame i+1 - last beat of frame i - 1`.
    pub idle_cycles_between_frames: u64,
    /// Largest single gap, cycles.
    pub max_idle_cycles: u64,
    /// `idle_cycles_between_frames / gaps`.
    pub idle_cycles_per_frame: f64,
    /// Cycles without a beat inside frames (first to last beat), all frames.
    pub idle_cycles_inside_frames: u64,
}

/// Everything measured in simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    pub raw: RawSpeed,
    pub workloads: Vec<Workload>,
    /// The engine top (parser, offload core, hold stage) with connections handed out,
    /// then the DMA engines ([`measure_dma`]).
    #[serde(default)]
    pub engine: Vec<Workload>,
}

impl Measurements {
    /// The workload called `name`.
    pub fn workload(&self, name: &str) -> Option<&Workload> {
        self.workloads.iter().find(|w| w.name == name)
    }
}

/// A synthesis report used by the bench report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthSource {
    pub path: String,
    /// Modification time of the file (UTC, ISO 8601), when known.
    pub modified_utc: Option<String>,
    /// Mismatches with the benchmarked configuration, and other remarks.
    pub warnings: Vec<String>,
    pub report: SynthReport,
}

/// A target with no synthesis report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingSynth {
    pub target: Target,
    /// Where the report would be.
    pub expected: String,
    /// The command that writes it.
    pub command: String,
}

/// A `synth-*.json` that could not be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedSynth {
    pub path: String,
    pub reason: String,
}

/// What [`find_synth_reports`] found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SynthFindings {
    pub found: Vec<SynthSource>,
    pub missing: Vec<MissingSynth>,
    pub skipped: Vec<SkippedSynth>,
}

/// One receive-parser result with an Fmax: a parser line on the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FmaxLine {
    pub target: Target,
    pub block: String,
    pub device: String,
    /// The clock whose Fmax is used (the slowest when a result has several).
    pub clock: String,
    pub fmax_mhz: f64,
    pub source: String,
}

/// A parser result without an Fmax, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoFmax {
    pub target: Target,
    pub block: String,
    pub device: String,
    pub reason: String,
}

/// What a chart line is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeriesKind {
    /// The parser at a clock: frames/s = clock / ⌈size / bytes per beat⌉.
    Parser { mhz: f64, measured_fmax: bool },
    /// Ethernet line rate: frames/s = rate / ((size + 20) · 8).
    LineRate { gbps: f64 },
}

/// One line of the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub label: String,
    pub kind: SeriesKind,
    /// `#rrggbb`.
    pub color: String,
}

/// Host the simulation ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub os: String,
    pub arch: String,
    pub cpu: Option<String>,
    pub threads: usize,
}

/// The whole report; `bench.json` is this, serialized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema: String,
    pub generator: String,
    pub version: String,
    pub generated_utc: String,
    pub host: Host,
    pub config: String,
    pub prefix: String,
    pub data_width: u32,
    /// Target clock of the configuration, MHz.
    pub clock_mhz: f64,
    pub measurements: Measurements,
    pub synth: SynthFindings,
    pub fmax: Vec<FmaxLine>,
    pub no_fmax: Vec<NoFmax>,
    /// The chart's lines, in drawing order.
    pub series: Vec<Series>,
    /// Conventions and assumptions behind the chart, as printed in the report.
    pub assumptions: Vec<String>,
}

/// Paths written by [`BenchReport::write`].
#[derive(Debug, Clone)]
pub struct BenchFiles {
    pub markdown: PathBuf,
    pub html: PathBuf,
    pub svg: PathBuf,
    pub json: PathBuf,
}

// ------------------------------------------------------------------ measurement

/// Measure the parser: speed alone, then 64-byte, 1518-byte and mixed frames back to
/// back. With `progress`, say what is running on stderr.
pub fn measure(
    sim: &mut RxParserSim,
    params: &BenchParams,
    progress: bool,
) -> Result<Measurements> {
    let bpb = sim.config().keep_width as u64;
    let frame = tcp_frame(64, 1);
    let frame_beats = (frame.len() as u64).div_ceil(bpb);
    // Whole frames only, so that the parser is between frames when the run stops.
    let raw_cycles = params.raw_cycles.max(frame_beats).div_ceil(frame_beats) * frame_beats;
    if progress {
        eprintln!("parser alone: {raw_cycles} cycles of 64-byte frames...");
    }
    let secs = sim.raw_speed(&frame, raw_cycles)?;
    sim.reset();
    let raw = RawSpeed {
        frame_bytes: frame.len() as u64,
        cycles: raw_cycles,
        seconds: secs,
        cycles_per_sec: raw_cycles as f64 / secs,
    };

    let frames = params.frames.max(2);
    let mut seq = 0u32;
    let mut fixed = |size: usize, n: u64| -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| {
                seq = seq.wrapping_add(1);
                tcp_frame(size, seq)
            })
            .collect()
    };
    let small = fixed(64, frames);
    let large = fixed(1518, (frames / 16).max(2));
    let mut g = FrameGen::new(7);
    let mixed: Vec<Vec<u8>> = (0..frames).map(|_| g.valid()).collect();
    let mut workloads = vec![];
    for (name, batch) in [("64-byte", small), ("1518-byte", large), ("mixed", mixed)] {
        if progress {
            eprintln!("{name} frames: {} back to back...", batch.len());
        }
        workloads.push(measure_workload(sim, name, batch, bpb)?);
    }
    Ok(Measurements {
        raw,
        workloads,
        engine: vec![],
    })
}

/// Connections handed out before the engine workloads (fewer if the table is smaller).
pub const ENGINE_BENCH_CONNECTIONS: usize = 1000;

/// The engine top under Verilator ([`EngineSim`], RTL under `out`): hands out
/// [`ENGINE_BENCH_CONNECTIONS`] connections, then streams a quarter of `params.frames`
/// 64-byte frames that all hit them (round robin), and as many mixed valid frames up to
/// [`ENGINE_MAX_FRAME`] bytes (misses and not-TCP), back to back.
pub fn measure_engine(
    cfg: &Resolved,
    out: &Path,
    params: &BenchParams,
    progress: bool,
) -> Result<Vec<Workload>> {
    let mut sim = EngineSim::build(cfg, out, None)?;
    let n = (cfg.config.offload.connections as usize).min(ENGINE_BENCH_CONNECTIONS);
    if progress {
        eprintln!("engine: handing out {n} connections...");
    }
    let keys = hand_out(&mut sim, n)?;
    let bpb = cfg.keep_width as u64;
    let frames = (params.frames / 4).max(2) as usize;
    let hits: Vec<Vec<u8>> = (0..frames)
        .map(|i| {
            let mut f = peer_frame(&keys[i % n], i as u32, Some(1), 0, &[]);
            f.resize(64, 0);
            f
        })
        .collect();
    let mut g = FrameGen::new(8);
    let mixed: Vec<Vec<u8>> = std::iter::repeat_with(|| g.valid())
        .filter(|f| f.len() <= ENGINE_MAX_FRAME)
        .take(frames)
        .collect();
    let mut workloads = vec![];
    for (name, batch) in [("engine 64-byte hits", hits), ("engine mixed", mixed)] {
        if progress {
            eprintln!("{name}: {} frames back to back...", batch.len());
        }
        workloads.push(measure_runs(name, &batch, bpb, |chunk| {
            for f in chunk {
                sim.push_frame(f.clone());
            }
            let c0 = sim.cycles();
            let got = sim.wait_tagged(chunk.len())?;
            let frame_cycles = got.iter().map(|t| t.frame_cycles).collect();
            let frames = got.into_iter().map(|t| t.frame).collect();
            Ok((frames, frame_cycles, sim.cycles() - c0))
        })?);
    }
    Ok(workloads)
}

/// Buffers the receive-ring benchmark keeps posted (the ring holds
/// [`host_model::proto::RX_RING_SLOTS`]).
const RX_BENCH_BUFFERS: usize = 240;
/// Buffers reposted at a time as their frames are announced.
const RX_BENCH_REPOST: usize = 48;

/// The receive engine top (`<prefix>_rx`): [`ENGINE_BENCH_CONNECTIONS`] connections
/// handed out, then a quarter of `params.frames` 64-byte frames that miss them (the
/// same addresses, other ports: the fast path passes them to the ring) and as many
/// mixed frames back to back into receive-ring buffers that the host reposts as their
/// RX_FRAME events arrive. The "output frames" are the frames' writes on the AXI4 write data channel;
/// their bytes are read back from host memory.
pub fn measure_rx(
    cfg: &Resolved,
    out: &Path,
    params: &BenchParams,
    progress: bool,
) -> Result<Vec<Workload>> {
    let mem = RX_BENCH_BUFFERS * RX_BUF_BYTES + 4096;
    let mut sim = RxSim::build(cfg, out, None, mem)?;
    let n = (cfg.config.offload.connections as usize).min(ENGINE_BENCH_CONNECTIONS);
    if progress {
        eprintln!("rx: handing out {n} connections...");
    }
    let keys = hand_out(&mut sim, n)?;
    let addr = |i: usize| (i * RX_BUF_BYTES) as u64;
    let mut tag = 0u32;
    let mut post = |sim: &mut RxSim, addrs: Vec<u64>| {
        tag += 1;
        sim.push_command(&Command::RxBuf { tag, addrs }.encode());
    };
    post(&mut sim, (0..RX_BENCH_BUFFERS).map(addr).collect());
    let bpb = cfg.keep_width as u64;
    let frames = (params.frames / 4).max(2) as usize;
    let misses: Vec<Vec<u8>> = (0..frames)
        .map(|i| {
            let k = FlowKey {
                remote_port: keys[i % n].remote_port ^ 0x8000,
                ..keys[i % n]
            };
            let mut f = peer_frame(&k, i as u32, Some(1), 0, &[]);
            f.resize(64, 0);
            f
        })
        .collect();
    let mut g = FrameGen::new(9);
    let mixed: Vec<Vec<u8>> = std::iter::repeat_with(|| g.valid())
        .filter(|f| f.len() <= RX_BUF_BYTES)
        .take(frames)
        .collect();
    let mut workloads = vec![];
    let mut posted = 1usize;
    for (name, batch) in [("rx ring 64-byte misses", misses), ("rx ring mixed", mixed)] {
        if progress {
            eprintln!("{name}: {} frames back to back...", batch.len());
        }
        workloads.push(measure_runs(name, &batch, bpb, |chunk| {
            let c0 = sim.cycles();
            let beats0 = sim.w_cycles().len();
            for f in chunk {
                sim.push_frame(f.clone(), false);
            }
            let mut landed = Vec::with_capacity(chunk.len());
            while landed.len() < chunk.len() {
                let k = RX_BENCH_REPOST.min(chunk.len() - landed.len());
                let mut again = vec![];
                for e in sim.wait_rx_frames(k)? {
                    let Ok(Event::RxFrame {
                        addr: a,
                        status,
                        trailer,
                    }) = Event::decode(&e.words)
                    else {
                        bail!("bad RX_FRAME event {:x?}", e.words)
                    };
                    if trailer.status != CmdStatus::Ok {
                        bail!("RX_FRAME {trailer:?}");
                    }
                    let at = a as usize;
                    landed.push(sim.mem.mem[at..at + status.written()].to_vec());
                    again.push(a);
                }
                post(&mut sim, again);
                posted += 1;
            }
            // Every buffer has been reposted: collect the RXBUF responses.
            for r in sim.wait_responses(posted)? {
                match Event::decode(&r) {
                    Ok(Event::RxBufPosted { trailer, .. }) if trailer.status == CmdStatus::Ok => {}
                    other => bail!("RXBUF answered {other:?}"),
                }
            }
            posted = 0;
            // The frames' data beats, in order, one request each (buffers are aligned).
            let cycles = &sim.w_cycles()[beats0..];
            let mut frame_cycles = vec![];
            let mut at = 0usize;
            for f in &landed {
                let beats = f.len().div_ceil(8);
                let span = cycles.get(at..at + beats).context("missing write beats")?;
                frame_cycles.push((span[0], span[beats - 1]));
                at += beats;
            }
            Ok((landed, frame_cycles, sim.cycles() - c0))
        })?);
    }
    Ok(workloads)
}

/// Cycle figures of one run, from its output frames' first and last beat cycles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCycles {
    /// First beat of the first frame to last beat of the last frame, inclusive.
    pub span: u64,
    /// Gaps measured (frames - 1).
    pub gaps: u64,
    /// Sum of `first[i+1] - last[i] - 1`.
    pub idle_between: u64,
    pub max_idle: u64,
    /// Sum over frames of `last - first + 1 - beats`.
    pub idle_inside: u64,
}

/// Exact idle cycles of one run: `frame_cycles` are each output frame's (first, last)
/// beat cycle, `beats` each frame's beat count.
pub fn run_cycles(frame_cycles: &[(u64, u64)], beats: &[u64]) -> Result<RunCycles> {
    if frame_cycles.len() != beats.len() {
        bail!(
            "{} output frames for {} input frames",
            frame_cycles.len(),
            beats.len()
        );
    }
    let mut c = RunCycles::default();
    let (Some(first), Some(last)) = (frame_cycles.first(), frame_cycles.last()) else {
        return Ok(c);
    };
    c.span = last.1 - first.0 + 1;
    for (i, (&(a, b), &n)) in frame_cycles.iter().zip(beats).enumerate() {
        let len = (b + 1)
            .checked_sub(a)
            .filter(|&len| len >= n)
            .with_context(|| format!("frame {i}: {n} beats between cycles {a} and {b}"))?;
        c.idle_inside += len - n;
        if i > 0 {
            let prev = frame_cycles[i - 1].1;
            let gap = a.checked_sub(prev + 1).with_context(|| {
                format!(
                    "frame {i} starts at cycle {a}, before frame {} ended ({prev})",
                    i - 1
                )
            })?;
            c.idle_between += gap;
            c.max_idle = c.max_idle.max(gap);
            c.gaps += 1;
        }
    }
    Ok(c)
}

fn measure_workload(
    sim: &mut RxParserSim,
    name: &str,
    frames: Vec<Vec<u8>>,
    bpb: u64,
) -> Result<Workload> {
    measure_runs(name, &frames, bpb, |chunk| {
        let batch: Vec<(Vec<u8>, bool)> = chunk.iter().map(|f| (f.clone(), false)).collect();
        let r: RunResult = sim.run(&batch, Drive::default())?;
        let frames = r.frames.into_iter().map(|(f, _)| f).collect();
        Ok((frames, r.frame_cycles, r.cycles))
    })
}

/// One workload in runs of [`RUN_FRAMES`]: `run` sends a chunk of frames and returns the
/// output frames, their (first, last) beat cycles and the simulated cycles; the output
/// must equal the input. Wall-clock time is taken around `run`.
fn measure_runs(
    name: &str,
    frames: &[Vec<u8>],
    bpb: u64,
    mut run: impl FnMut(&[Vec<u8>]) -> Result<(Vec<Vec<u8>>, Vec<(u64, u64)>, u64)>,
) -> Result<Workload> {
    let beats_of = |f: &[u8]| (f.len() as u64).div_ceil(bpb).max(1);
    let mut w = Workload {
        name: name.into(),
        frames: frames.len() as u64,
        bytes: frames.iter().map(|f| f.len() as u64).sum(),
        min_frame_bytes: frames.iter().map(|f| f.len() as u64).min().unwrap_or(0),
        max_frame_bytes: frames.iter().map(|f| f.len() as u64).max().unwrap_or(0),
        beats: frames.iter().map(|f| beats_of(f)).sum(),
        runs: 0,
        sim_cycles: 0,
        seconds: 0.0,
        cycles_per_sec: 0.0,
        frames_per_sec: 0.0,
        span_cycles: 0,
        beats_per_cycle: 0.0,
        gaps: 0,
        idle_cycles_between_frames: 0,
        max_idle_cycles: 0,
        idle_cycles_per_frame: 0.0,
        idle_cycles_inside_frames: 0,
    };
    for chunk in frames.chunks(RUN_FRAMES) {
        let t0 = Instant::now();
        let (out, frame_cycles, cycles) = run(chunk)?;
        w.seconds += t0.elapsed().as_secs_f64();
        if out.as_slice() != chunk {
            bail!("{name} frames: the output frames differ from the input");
        }
        let beats: Vec<u64> = chunk.iter().map(|f| beats_of(f)).collect();
        let c = run_cycles(&frame_cycles, &beats).with_context(|| format!("{name} frames"))?;
        w.runs += 1;
        w.sim_cycles += cycles;
        w.span_cycles += c.span;
        w.gaps += c.gaps;
        w.idle_cycles_between_frames += c.idle_between;
        w.max_idle_cycles = w.max_idle_cycles.max(c.max_idle);
        w.idle_cycles_inside_frames += c.idle_inside;
    }
    w.cycles_per_sec = w.sim_cycles as f64 / w.seconds;
    w.frames_per_sec = w.frames as f64 / w.seconds;
    w.beats_per_cycle = w.beats as f64 / w.span_cycles as f64;
    w.idle_cycles_per_frame = if w.gaps == 0 {
        0.0
    } else {
        w.idle_cycles_between_frames as f64 / w.gaps as f64
    };
    Ok(w)
}

/// The DMA engines under Verilator (RTL under `out`), memory always ready, 1-clock
/// latency: a sixteenth of `params.frames` requests of 1,500 bytes at unaligned
/// addresses, back to back, written (`dma_write`) and read back (`dma_read`). A request is
/// a "frame" in the tables; the bytes must land (or come back) exactly.
pub fn measure_dma(
    cfg: &Resolved,
    out: &Path,
    params: &BenchParams,
    progress: bool,
) -> Result<Vec<Workload>> {
    const LEN: usize = 1500;
    const STRIDE: u64 = 1531;
    let n = (params.frames / 16).max(2) as usize;
    let mem = (n as u64 * STRIDE + 4096) as usize;
    let bpb = cfg.keep_width as u64;
    let reqs: Vec<Vec<u8>> = (0..n)
        .map(|i| (0..LEN).map(|j| (i * 7 + j) as u8).collect())
        .collect();
    let addr = |i: usize| 3 + i as u64 * STRIDE;
    if progress {
        eprintln!("dma_write: {n} requests of {LEN} bytes back to back...");
    }
    let mut w = DmaWriteSim::build(cfg, out, None, mem)?;
    let mut next = 0usize;
    let write = measure_runs("dma_write 1500-byte requests", &reqs, bpb, |chunk| {
        let first = next;
        let beats0 = w.w_cycles().len();
        let c0 = w.model.cycles();
        for (k, d) in chunk.iter().enumerate() {
            w.push(&WriteReq {
                addr: addr(first + k),
                data: d.clone(),
                tag: (first + k) as u16,
            });
        }
        w.wait_done(first + chunk.len())?;
        next += chunk.len();
        // Data beats are in request order: split them per request.
        let cycles = &w.w_cycles()[beats0..];
        let mut frame_cycles = vec![];
        let mut at = 0usize;
        for k in 0..chunk.len() {
            let beats = (addr(first + k) % 8 + LEN as u64).div_ceil(8) as usize;
            let span = cycles.get(at..at + beats).context("missing write beats")?;
            frame_cycles.push((span[0], span[beats - 1]));
            at += beats;
        }
        let landed = (0..chunk.len())
            .map(|k| {
                let a = addr(first + k) as usize;
                w.mem.mem[a..a + LEN].to_vec()
            })
            .collect();
        Ok((landed, frame_cycles, w.model.cycles() - c0))
    })?;
    drop(w);
    if progress {
        eprintln!("dma_read: {n} requests of {LEN} bytes back to back...");
    }
    let mut r = DmaReadSim::build(cfg, out, None, mem)?;
    for (i, d) in reqs.iter().enumerate() {
        let a = addr(i) as usize;
        r.mem.mem[a..a + LEN].copy_from_slice(d);
    }
    let mut next = 0usize;
    let read = measure_runs("dma_read 1500-byte requests", &reqs, bpb, |chunk| {
        let first = next;
        let c0 = r.model.cycles();
        for k in 0..chunk.len() {
            r.push(addr(first + k), LEN as u16, (first + k) as u16);
        }
        let (_, frames) = r.wait_done(first + chunk.len())?;
        next += chunk.len();
        let got = &frames[first..];
        Ok((
            got.iter().map(|f| f.data.clone()).collect(),
            got.iter().map(|f| (f.first_cycle, f.last_cycle)).collect(),
            r.model.cycles() - c0,
        ))
    })?;
    Ok(vec![write, read])
}

/// The header of the transmit benches' segments: IPv4, untagged, SEQ 0.
fn bench_tcp_fields() -> host_model::rcv::AckFields {
    host_model::rcv::AckFields {
        dst_mac: 0x02_00_00_00_00_02,
        src_mac: 0x02_00_00_00_00_01,
        vlan: None,
        ipv6: false,
        local_ip: 0x0A00_0001,
        remote_ip: 0x0A00_0002,
        ttl: 64,
        tos: 0,
        flow_label: 0,
        ip_id: 0,
        local_port: 5001,
        remote_port: 40000,
        seq: 0,
        ack: 1,
        window: 512,
    }
}

/// The segment transmit path (`tx_seg`: fetch unit, DMA read engine, frame generator)
/// under Verilator (RTL under `out`): a sixteenth of `params.frames` IPv4 segments of
/// 1,460 payload bytes, each gathered from three unaligned pieces of host memory with
/// 40 clocks of read latency, back to back. A segment's frame is a "frame" in the tables;
/// each must equal the frame etherparse builds from the memory bytes.
pub fn measure_tx(
    cfg: &Resolved,
    out: &Path,
    params: &BenchParams,
    progress: bool,
) -> Result<Vec<Workload>> {
    const MSS: u16 = 1460;
    const STRIDE: u64 = 1500;
    let n = (params.frames / 16).max(2) as usize;
    let mem = (n as u64 * STRIDE + 4096) as usize;
    if progress {
        eprintln!("tx_seg: {n} segments of {MSS} bytes back to back...");
    }
    let mut t = crate::tx::TxSegSim::build(cfg, out, None, mem)?;
    t.mem.latency = 40;
    for (i, b) in t.mem.mem.iter_mut().enumerate() {
        *b = (i * 13 + i / 251) as u8;
    }
    let fields = |i: usize| host_model::rcv::AckFields {
        ip_id: i as u16,
        seq: (i as u32).wrapping_mul(u32::from(MSS)),
        ..bench_tcp_fields()
    };
    let pieces = |i: usize| {
        let a = 5 + i as u64 * STRIDE;
        [(a, 700), (a + 703, 13), (a + 719, MSS - 713)]
    };
    let frames: Vec<Vec<u8>> = (0..n)
        .map(|i| crate::tx::segment_frame(&t.mem.mem, &fields(i), false, &pieces(i)))
        .collect();
    let bpb = cfg.keep_width as u64;
    let mut next = 0usize;
    let tx = measure_runs("tx_seg 1460-byte segments", &frames, bpb, |chunk| {
        let first = next;
        let c0 = t.model.cycles();
        for k in 0..chunk.len() {
            t.push(fields(first + k), false, &pieces(first + k));
        }
        t.run_until(first + chunk.len())?;
        next += chunk.len();
        let got = &t.sink.frames()[first..];
        Ok((
            got.iter().map(|f| f.data.clone()).collect(),
            got.iter().map(|f| (f.first_cycle, f.last_cycle)).collect(),
            t.model.cycles() - c0,
        ))
    })?;
    Ok(vec![tx])
}

/// The send fast path core feeding the segment transmit path (`snd_core` + `tx_seg`,
/// clock for clock, under Verilator, RTL under `out`): one connection with open windows
/// and MSS 1,460 posts a sixteenth of `params.frames` segments' worth of data as one
/// send list of 16 entries per run (contiguous memory cut at unaligned points); the core
/// cuts the segments, the fetch unit reads them with 40 clocks of latency, and each
/// frame must equal etherparse's; then one ACK completes the list (its SEND_DONE is
/// checked).
pub fn measure_snd(
    cfg: &Resolved,
    out: &Path,
    params: &BenchParams,
    progress: bool,
) -> Result<Vec<Workload>> {
    const MSS: usize = 1460;
    const BASE: usize = 4096;
    const H: u16 = 5;
    let n = (params.frames / 16).max(2) as usize;
    if progress {
        eprintln!("snd_core + tx_seg: {n} segments of {MSS} bytes cut from send lists...");
    }
    let mut sim = crate::snd::SndSim::build(cfg, out, None, 5)?;
    let mut tx = crate::tx::TxSegSim::build(cfg, out, None, BASE + n * MSS + 64)?;
    tx.mem.latency = 40;
    for (i, b) in tx.mem.mem.iter_mut().enumerate() {
        *b = (i * 7 + i / 509) as u8;
    }
    let tpl = bench_tcp_fields();
    let una = 1u32;
    let frames: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut f = tpl;
            f.seq = una.wrapping_add((i * MSS) as u32);
            let piece = [((BASE + i * MSS) as u64, MSS as u16)];
            crate::tx::segment_frame(&tx.mem.mem, &f, false, &piece)
        })
        .collect();
    sim.tx = Some((tx, [(H, tpl)].into_iter().collect()));
    let t = host_model::proto::Tcp {
        snd_una: una as u64,
        snd_nxt: una as u64,
        snd_wnd: 1 << 30,
        cwnd: 1 << 30,
        eff_mss: MSS as u64,
        // The ACK after each run advertises 65,535 << 14: the window stays open.
        snd_wscale: 14,
        wscale_ok: 1,
        ..Default::default()
    };
    sim.activate(H, 0, &t)?;
    let bpb = cfg.keep_width as u64;
    let mut next = 0usize;
    let w = measure_runs(
        "snd_core+tx_seg send lists, 1460-byte segments",
        &frames,
        bpb,
        |chunk| {
            let (first, len) = (next, chunk.len() * MSS);
            let start = BASE + first * MSS;
            let k = 16.min(len);
            let cuts: Vec<usize> = (0..=k)
                .map(|j| if j == k { len } else { j * (len / k) + j % 3 })
                .collect();
            let l = host_model::proto::SendList {
                handle: H,
                host_ctx: 0,
                list_tag: first as u32,
                push: false,
                sg: cuts
                    .windows(2)
                    .map(|c| host_model::proto::SgEntry {
                        addr: (start + c[0]) as u64,
                        len: (c[1] - c[0]) as u32,
                    })
                    .collect(),
            };
            let c0 = sim.tx.as_ref().map_or(0, |t| t.0.model.cycles());
            sim.post(&l)?;
            let (tx, _) = sim.tx.as_mut().expect("coupled");
            tx.run_until(first + chunk.len())?;
            let c1 = tx.model.cycles();
            let got = &tx.sink.frames()[first..];
            let res = (
                got.iter().map(|f| f.data.clone()).collect(),
                got.iter().map(|f| (f.first_cycle, f.last_cycle)).collect(),
                c1 - c0,
            );
            next += chunk.len();
            let end = una.wrapping_add((next * MSS) as u32);
            sim.ack(H, end, 65535, 0, 0)?;
            let done = std::mem::take(&mut sim.out.dones);
            anyhow::ensure!(
                done.len() == 1 && done[0].acked as usize == len,
                "SEND_DONE of the run: {done:?}"
            );
            sim.out = Default::default();
            Ok(res)
        },
    )?;
    Ok(vec![w])
}

// ------------------------------------------------------------- synthesis reports

/// Read every `synth-*.json` under `reports_dir`. When several files hold the same
/// target, the most recently modified one is used and the others are listed as skipped.
/// Targets without a report are listed as missing with the `toe synth` command that makes
/// them; `synth_args` is appended to that command (e.g. ` --config my.toml`).
pub fn find_synth_reports(reports_dir: &Path, cfg: &Resolved, synth_args: &str) -> SynthFindings {
    let mut findings = SynthFindings::default();
    let mut candidates: Vec<(Option<SystemTime>, SynthSource)> = vec![];
    let mut entries: Vec<PathBuf> = std::fs::read_dir(reports_dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !(name.starts_with("synth-") && name.ends_with(".json") && path.is_file()) {
            continue;
        }
        let shown = path.display().to_string();
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<SynthReport>(&t).map_err(|e| e.to_string()));
        let report = match parsed {
            Ok(r) => r,
            Err(e) => {
                findings.skipped.push(SkippedSynth {
                    path: shown,
                    reason: format!("not a `toe synth` report: {e}"),
                });
                continue;
            }
        };
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let c = &cfg.config;
        let mut warnings = vec![];
        if report.config != c.name {
            warnings.push(format!(
                "written for config `{}`, not `{}`",
                report.config, c.name
            ));
        }
        if report.prefix != c.prefix {
            warnings.push(format!(
                "module prefix `{}`, not `{}`",
                report.prefix, c.prefix
            ));
        }
        if report.data_width != c.data_width {
            warnings.push(format!(
                "{}-bit datapath, not {}-bit",
                report.data_width, c.data_width
            ));
        }
        if report.version != env!("CARGO_PKG_VERSION") {
            warnings.push(format!(
                "written by toe {}, this is {}",
                report.version,
                env!("CARGO_PKG_VERSION")
            ));
        }
        candidates.push((
            modified,
            SynthSource {
                path: shown,
                modified_utc: modified.map(utc_iso),
                warnings,
                report,
            },
        ));
    }
    for t in TARGETS {
        let mut same: Vec<(Option<SystemTime>, SynthSource)> = vec![];
        let mut i = 0;
        while i < candidates.len() {
            if candidates[i].1.report.target == t {
                same.push(candidates.remove(i));
            } else {
                i += 1;
            }
        }
        // Latest first (files without a time last).
        same.sort_by_key(|s| std::cmp::Reverse(s.0));
        let mut it = same.into_iter();
        match it.next() {
            Some((_, s)) => {
                findings.found.push(s);
                for (_, older) in it {
                    findings.skipped.push(SkippedSynth {
                        path: older.path,
                        reason: format!(
                            "an older {} report than {}",
                            t.name(),
                            findings.found.last().map_or("", |f| f.path.as_str())
                        ),
                    });
                }
            }
            None => findings.missing.push(MissingSynth {
                target: t,
                expected: reports_dir
                    .join(format!("synth-{}.json", t.name()))
                    .display()
                    .to_string(),
                command: format!("toe synth --target {}{synth_args}", t.name()),
            }),
        }
    }
    findings
}

/// Parser results with and without an Fmax.
fn fmax_lines(found: &[SynthSource]) -> (Vec<FmaxLine>, Vec<NoFmax>) {
    let (mut with, mut without) = (vec![], vec![]);
    for s in found {
        for b in s.report.blocks.iter().filter(|b| b.block == "rx_parser") {
            for r in &b.results {
                let slowest = r
                    .fmax_mhz
                    .iter()
                    .filter(|(_, f)| f.is_finite() && **f > 0.0)
                    .min_by(|a, b| a.1.total_cmp(b.1));
                match slowest {
                    Some((clock, f)) if r.fits => with.push(FmaxLine {
                        target: s.report.target,
                        block: b.block.clone(),
                        device: r.device.clone(),
                        clock: clock.clone(),
                        fmax_mhz: *f,
                        source: s.path.clone(),
                    }),
                    _ => without.push(NoFmax {
                        target: s.report.target,
                        block: b.block.clone(),
                        device: r.device.clone(),
                        reason: if !r.fits {
                            r.note.clone().unwrap_or_else(|| "does not fit".into())
                        } else if r.estimate_only {
                            "resource estimate only (no place and route)".into()
                        } else {
                            "no Fmax in the report".into()
                        },
                    }),
                }
            }
        }
    }
    (with, without)
}

// ------------------------------------------------------------------ the figures

/// Frames per second of the parser at `mhz`, one beat of `bytes_per_beat` per clock and
/// no idle cycle between frames.
pub fn parser_fps(mhz: f64, size: u64, bytes_per_beat: u64) -> f64 {
    mhz * 1e6 / size.div_ceil(bytes_per_beat).max(1) as f64
}

/// Frames per second of an Ethernet link of `gbps` for frames of `size` bytes (FCS
/// included), with 20 bytes of preamble, SFD and inter-frame gap each.
pub fn line_fps(gbps: f64, size: u64) -> f64 {
    gbps * 1e9 / ((size + WIRE_OVERHEAD_BYTES) * 8) as f64
}

/// Smallest clock (MHz) at which the parser keeps up with `gbps` for every frame size in
/// [`CHART_SIZES`], and the size that needs it.
pub fn clock_for_line_rate(gbps: f64, bytes_per_beat: u64) -> (f64, u64) {
    (CHART_SIZES.0..=CHART_SIZES.1)
        .map(|s| {
            (
                s.div_ceil(bytes_per_beat) as f64 * line_fps(gbps, s) / 1e6,
                s,
            )
        })
        .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
}

/// Frame sizes sampled for the chart: log-spaced from 64 to 9000, integers.
pub fn chart_sizes() -> Vec<u64> {
    let (lo, hi) = (CHART_SIZES.0 as f64, CHART_SIZES.1 as f64);
    let n = 240;
    let mut v: Vec<u64> = (0..=n)
        .map(|i| (lo * (hi / lo).powf(i as f64 / n as f64)).round() as u64)
        .chain([1518])
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
];

impl Series {
    /// Frames per second of this line at `size`.
    pub fn fps(&self, size: u64, bytes_per_beat: u64) -> f64 {
        match self.kind {
            SeriesKind::Parser { mhz, .. } => parser_fps(mhz, size, bytes_per_beat),
            SeriesKind::LineRate { gbps } => line_fps(gbps, size),
        }
    }
}

fn rgb(hex: &str) -> plotters::style::RGBColor {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    plotters::style::RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

/// `12.3M`, `456k`, `7.89`.
fn si(v: f64) -> String {
    let (d, unit) = if v.abs() >= 1e9 {
        (1e9, "G")
    } else if v.abs() >= 1e6 {
        (1e6, "M")
    } else if v.abs() >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let x = v / d;
    let s = if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        trim_float(&format!("{x:.1}"))
    } else {
        trim_float(&format!("{x:.2}"))
    };
    format!("{s}{unit}")
}

/// Thousands separators: `1234567` → `1,234,567`.
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// UTC ISO 8601 of a time (seconds resolution).
fn utc_iso(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn host() -> Host {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    });
    Host {
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
        cpu,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

// ------------------------------------------------------------------ the document

/// A document block, rendered both to Markdown and to HTML. Inline text may use
/// `` `code` `` and `**bold**`.
enum Block {
    Heading(u8, String),
    Para(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
    Chart,
}

fn md_inline_html(s: &str) -> String {
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", esc(part)));
        } else {
            for (j, p) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    out.push_str(&format!("<strong>{}</strong>", esc(p)));
                } else {
                    out.push_str(&esc(p));
                }
            }
        }
    }
    out
}

impl BenchReport {
    /// Bytes per beat of the datapath.
    pub fn bytes_per_beat(&self) -> u64 {
        u64::from(self.data_width / 8).max(1)
    }

    /// Join measurements and synthesis findings.
    pub fn new(cfg: &Resolved, measurements: Measurements, synth: SynthFindings) -> Self {
        let (fmax, no_fmax) = fmax_lines(&synth.found);
        let mut series: Vec<Series> = fmax
            .iter()
            .enumerate()
            .map(|(i, f)| Series {
                label: format!("{}: {}, Fmax {} MHz", f.target.name(), f.device, f.fmax_mhz),
                kind: SeriesKind::Parser {
                    mhz: f.fmax_mhz,
                    measured_fmax: true,
                },
                color: PALETTE[i % PALETTE.len()].into(),
            })
            .collect();
        series.push(Series {
            label: format!(
                "config target clock {} MHz (not a measured Fmax)",
                cfg.config.clock_mhz
            ),
            kind: SeriesKind::Parser {
                mhz: cfg.config.clock_mhz,
                measured_fmax: false,
            },
            color: "#ff7f0e".into(),
        });
        for (gbps, color) in LINE_RATES_GBPS.iter().zip(["#000000", "#7f7f7f"]) {
            series.push(Series {
                label: format!("{gbps} GbE line rate"),
                kind: SeriesKind::LineRate { gbps: *gbps },
                color: color.into(),
            });
        }
        let bpb = u64::from(cfg.keep_width);
        let idle: u64 = measurements
            .workloads
            .iter()
            .map(|w| w.idle_cycles_between_frames + w.idle_cycles_inside_frames)
            .sum();
        let worst = measurements
            .workloads
            .iter()
            .map(|w| w.idle_cycles_per_frame)
            .fold(0.0, f64::max);
        let idle_note = if measurements.workloads.is_empty() {
            "nothing measured".to_string()
        } else if idle == 0 {
            "zero idle cycles between and inside frames in every workload above".to_string()
        } else {
            format!(
                "**but the simulation above measured {idle} idle cycles (up to {worst:.3} per frame between frames), so the curves are optimistic**"
            )
        };
        let assumptions = vec![
            format!(
                "Frame size is the Ethernet frame on the wire from destination MAC to the end of the FCS (64..1518 bytes, jumbo up to {} here); the {WIRE_OVERHEAD_BYTES} bytes of preamble (7), SFD (1) and minimum inter-frame gap (12) are added for the line rate: frames/s = rate / ((size + {WIRE_OVERHEAD_BYTES}) × 8).",
                CHART_SIZES.1
            ),
            format!(
                "Parser lines: frames/s = Fmax / ⌈size / {bpb}⌉, i.e. one {}-bit beat per clock and no idle cycle between frames, as measured in simulation ({idle_note}); Fmax is the synthesis report's (slowest clock when several). The FCS is counted as if the MAC passed it to the parser; a MAC that strips it saves at most one beat per frame, so these lines are a lower bound.",
                cfg.config.data_width
            ),
            "Measured rows use the bytes handed to the parser on `s_axis` (the test frames carry no FCS); wall-clock figures depend on this machine, cycle figures do not.".into(),
        ];
        let now = SystemTime::now();
        BenchReport {
            schema: SCHEMA.into(),
            generator: "toe bench".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            generated_utc: utc_iso(now),
            host: host(),
            config: cfg.config.name.clone(),
            prefix: cfg.config.prefix.clone(),
            data_width: cfg.config.data_width,
            clock_mhz: cfg.config.clock_mhz,
            measurements,
            synth,
            fmax,
            no_fmax,
            series,
            assumptions,
        }
    }

    fn blocks(&self) -> Vec<Block> {
        use Block::*;
        let m = &self.measurements;
        let bpb = self.bytes_per_beat();
        let mut b = vec![Heading(
            1,
            format!(
                "toe bench: config `{}` (prefix `{}`, {}-bit datapath, target clock {} MHz)",
                self.config, self.prefix, self.data_width, self.clock_mhz
            ),
        )];
        b.push(Para(format!(
            "Generated {} by toe {} on {} ({} {}, {} threads). Files in the same folder: `bench.md`, `bench.html`, `bench-fps.svg`, `bench.json`.",
            self.generated_utc,
            self.version,
            self.host.cpu.as_deref().unwrap_or("an unknown CPU"),
            self.host.os,
            self.host.arch,
            self.host.threads
        )));

        b.push(Heading(
            2,
            "Co-simulation speed (wall clock, Verilator)".into(),
        ));
        b.push(Para(format!(
            "Parser alone ({}-byte frames back to back, ports set directly, nothing collected): **{:.2} M cycles/s** ({} cycles in {:.2} s).",
            m.raw.frame_bytes,
            m.raw.cycles_per_sec / 1e6,
            grouped(m.raw.cycles),
            m.raw.seconds
        )));
        b.push(Para(format!(
            "With the stream agents driving every beat and collecting and decoding every frame and record. Rows `engine …`: the engine top (receive parser, offload core with its connection table, hold stage) with {} connections handed out; `64-byte hits` all hit them, `mixed` frames (up to {} bytes) miss or are not TCP. Rows `dma_…`: the DMA engines with the host memory model always ready; a frame is one 1,500-byte request at an unaligned address. Rows `rx ring …`: the receive engine top (engine top, receive ring, DMA write engine) with the same connections, writing every frame into a receive-ring buffer that the host reposts after reading it; the output frames are the frames' writes on the AXI4 write data channel:",
            grouped(ENGINE_BENCH_CONNECTIONS as u64),
            grouped(ENGINE_MAX_FRAME as u64)
        )));
        b.push(Table(
            [
                "frames",
                "count",
                "bytes/frame",
                "simulated cycles",
                "seconds",
                "cycles/s",
                "frames/s",
            ]
            .map(String::from)
            .to_vec(),
            m.workloads
                .iter()
                .chain(&m.engine)
                .map(|w| {
                    vec![
                        w.name.clone(),
                        grouped(w.frames),
                        size_range(w),
                        grouped(w.sim_cycles),
                        format!("{:.2}", w.seconds),
                        format!("{:.2} M", w.cycles_per_sec / 1e6),
                        grouped(w.frames_per_sec.round() as u64),
                    ]
                })
                .collect(),
        ));

        b.push(Heading(2, "Simulated throughput (clock cycles)".into()));
        b.push(Para(format!(
            "Input `tvalid` held high, both outputs always ready, runs of up to {} frames. Idle cycles are exact, from each output frame's first and last beat cycle: the gap between a frame's last beat and the next frame's first beat (the pipeline drain at the end of a run is not a gap). Beats/cycle = beats / cycles from the first beat to the last beat of each run.",
            grouped(RUN_FRAMES as u64)
        )));
        b.push(Table(
            [
                "frames",
                "count",
                "beats",
                "cycles first→last beat",
                "beats/cycle",
                "idle input cycles/frame",
                "largest gap",
                "idle cycles inside frames",
            ]
            .map(String::from)
            .to_vec(),
            m.workloads
                .iter()
                .chain(&m.engine)
                .map(|w| {
                    vec![
                        w.name.clone(),
                        grouped(w.frames),
                        grouped(w.beats),
                        grouped(w.span_cycles),
                        format!("{:.4}", w.beats_per_cycle),
                        format!(
                            "{} ({} cycles / {} gaps)",
                            trim_float(&format!("{:.3}", w.idle_cycles_per_frame)),
                            grouped(w.idle_cycles_between_frames),
                            grouped(w.gaps)
                        ),
                        grouped(w.max_idle_cycles),
                        grouped(w.idle_cycles_inside_frames),
                    ]
                })
                .collect(),
        ));

        b.push(Heading(2, "Synthesis".into()));
        if self.synth.found.is_empty() {
            b.push(Para("No synthesis report found.".into()));
        } else {
            let mut rows = vec![];
            for s in &self.synth.found {
                for blk in &s.report.blocks {
                    for r in &blk.results {
                        let fmax = if r.fmax_mhz.is_empty() {
                            "—".to_string()
                        } else {
                            r.fmax_mhz
                                .iter()
                                .map(|(c, f)| format!("{c}: {f}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        rows.push(vec![
                            s.report.target.name().to_string(),
                            blk.block.clone(),
                            r.device.clone(),
                            if r.fits {
                                "yes".into()
                            } else {
                                "**no**".into()
                            },
                            grouped(r.resources.lut),
                            grouped(r.resources.ff),
                            format!("{}", r.resources.bram),
                            grouped(r.resources.dsp),
                            fmax,
                        ]);
                    }
                }
            }
            b.push(Table(
                [
                    "target",
                    "block",
                    "device",
                    "fits",
                    "LUT",
                    "FF",
                    "BRAM",
                    "DSP",
                    "Fmax (MHz)",
                ]
                .map(String::from)
                .to_vec(),
                rows,
            ));
            b.push(List(
                self.synth
                    .found
                    .iter()
                    .map(|s| {
                        let mut line = format!(
                            "{}: `{}`{}",
                            s.report.target.name(),
                            s.path,
                            s.modified_utc
                                .as_ref()
                                .map_or(String::new(), |t| format!(", written {t}"))
                        );
                        if !s.warnings.is_empty() {
                            line.push_str(&format!(" (**warning**: {})", s.warnings.join("; ")));
                        }
                        line
                    })
                    .collect(),
            ));
        }
        if !self.synth.missing.is_empty() {
            b.push(Para(
                "**Missing synthesis reports** (no Fmax from these targets on the chart):".into(),
            ));
            b.push(List(
                self.synth
                    .missing
                    .iter()
                    .map(|x| {
                        format!(
                            "{}: no `{}`; make it with `{}`",
                            x.target.name(),
                            x.expected,
                            x.command
                        )
                    })
                    .collect(),
            ));
        }
        if !self.synth.skipped.is_empty() {
            b.push(Para("Skipped:".into()));
            b.push(List(
                self.synth
                    .skipped
                    .iter()
                    .map(|s| format!("`{}`: {}", s.path, s.reason))
                    .collect(),
            ));
        }
        if !self.no_fmax.is_empty() {
            b.push(Para(
                "Parser results without an Fmax (not on the chart):".into(),
            ));
            b.push(List(
                self.no_fmax
                    .iter()
                    .map(|n| format!("{} {}: {}", n.target.name(), n.device, n.reason))
                    .collect(),
            ));
        }

        b.push(Heading(2, "Frames per second at Fmax".into()));
        b.push(Chart);
        b.push(List(self.assumptions.clone()));
        let sizes = [64u64, 128, 512, 1518, 9000];
        let mut head = vec!["line".to_string(), "clock (MHz)".to_string()];
        head.extend(sizes.iter().map(|s| format!("{s} B")));
        head.extend(
            LINE_RATES_GBPS
                .iter()
                .map(|g| format!("≥ {g} GbE at 64..{} B", CHART_SIZES.1)),
        );
        let needed: Vec<(f64, u64)> = LINE_RATES_GBPS
            .iter()
            .map(|g| clock_for_line_rate(*g, bpb))
            .collect();
        let rows = self
            .series
            .iter()
            .map(|s| {
                let mut row = vec![s.label.clone()];
                match s.kind {
                    SeriesKind::Parser { mhz, .. } => row.push(format!("{mhz:.2}")),
                    SeriesKind::LineRate { .. } => row.push("—".into()),
                }
                row.extend(sizes.iter().map(|&z| si(s.fps(z, bpb))));
                for (need, _) in &needed {
                    row.push(match s.kind {
                        SeriesKind::Parser { mhz, .. } if mhz >= *need => {
                            format!("yes (×{:.3})", mhz / need)
                        }
                        SeriesKind::Parser { mhz, .. } => format!("**no** (×{:.3})", mhz / need),
                        SeriesKind::LineRate { .. } => "—".into(),
                    });
                }
                row
            })
            .collect();
        b.push(Table(head, rows));
        b.push(Para(format!(
            "Frames per second (k = 10³, M = 10⁶). To keep up with the line rate at every frame size from {} to {} bytes the parser needs {} (the ×factor is clock / that).",
            CHART_SIZES.0,
            CHART_SIZES.1,
            LINE_RATES_GBPS
                .iter()
                .zip(&needed)
                .map(|(g, (mhz, size))| format!("**{mhz:.2} MHz** for {g} GbE (worst at {size} bytes)"))
                .collect::<Vec<_>>()
                .join(" and ")
        )));
        b
    }

    /// The report as Markdown (what `toe bench` prints and `bench.md` holds).
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        for block in self.blocks() {
            match block {
                Block::Heading(level, t) => {
                    s.push_str(&format!("{} {t}\n\n", "#".repeat(level as usize)));
                }
                Block::Para(t) => s.push_str(&format!("{t}\n\n")),
                Block::List(items) => {
                    for i in items {
                        s.push_str(&format!("- {i}\n"));
                    }
                    s.push('\n');
                }
                Block::Table(head, rows) => {
                    let cell = |c: &String| c.replace('|', "\\|");
                    s.push_str(&format!(
                        "| {} |\n",
                        head.iter().map(cell).collect::<Vec<_>>().join(" | ")
                    ));
                    s.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                    for r in rows {
                        s.push_str(&format!(
                            "| {} |\n",
                            r.iter().map(cell).collect::<Vec<_>>().join(" | ")
                        ));
                    }
                    s.push('\n');
                }
                Block::Chart => {
                    s.push_str("![frames per second against frame size](bench-fps.svg)\n\n")
                }
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    }

    /// The report as a self-contained HTML page, the chart inline.
    pub fn html(&self) -> Result<String> {
        let svg = self.svg()?;
        let mut s =
            String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        s.push_str(&format!(
            "<title>toe bench: {}</title>\n",
            md_inline_html(&self.config)
        ));
        s.push_str(
            "<style>\nbody{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}\n\
             table{border-collapse:collapse;margin:.5em 0 1em}\nth,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}\n\
             th{background:#f3f3f3}\ntd:first-child,th:first-child{text-align:left}\ncode{background:#f3f3f3;padding:0 .2em}\n\
             figure{margin:1em 0}\nfigure svg{max-width:100%;height:auto}\n</style>\n</head>\n<body>\n",
        );
        for block in self.blocks() {
            match block {
                Block::Heading(level, t) => {
                    s.push_str(&format!("<h{level}>{}</h{level}>\n", md_inline_html(&t)));
                }
                Block::Para(t) => s.push_str(&format!("<p>{}</p>\n", md_inline_html(&t))),
                Block::List(items) => {
                    s.push_str("<ul>\n");
                    for i in items {
                        s.push_str(&format!("<li>{}</li>\n", md_inline_html(&i)));
                    }
                    s.push_str("</ul>\n");
                }
                Block::Table(head, rows) => {
                    s.push_str("<table>\n<thead><tr>");
                    for h in head {
                        s.push_str(&format!("<th>{}</th>", md_inline_html(&h)));
                    }
                    s.push_str("</tr></thead>\n<tbody>\n");
                    for r in rows {
                        s.push_str("<tr>");
                        for c in r {
                            s.push_str(&format!("<td>{}</td>", md_inline_html(&c)));
                        }
                        s.push_str("</tr>\n");
                    }
                    s.push_str("</tbody>\n</table>\n");
                }
                Block::Chart => {
                    s.push_str("<figure>\n");
                    s.push_str(&svg);
                    s.push_str(
                        "\n<figcaption>Frames per second against frame size (log–log); also in <code>bench-fps.svg</code>.</figcaption>\n</figure>\n",
                    );
                }
            }
        }
        s.push_str("</body>\n</html>\n");
        Ok(s)
    }

    /// The chart: frames/s against frame size, log–log, one polyline per [`Series`].
    pub fn svg(&self) -> Result<String> {
        use plotters::prelude::*;
        let bpb = self.bytes_per_beat();
        let sizes = chart_sizes();
        let lines: Vec<(&Series, Vec<(f64, f64)>)> = self
            .series
            .iter()
            .map(|s| {
                (
                    s,
                    sizes.iter().map(|&z| (z as f64, s.fps(z, bpb))).collect(),
                )
            })
            .collect();
        let (lo, hi) = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|q| q.1))
            .fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
        let (lo, hi) = (lo / 1.6, hi * 1.6);
        let mut out = String::new();
        let err = |e: &dyn std::fmt::Display| anyhow::anyhow!("drawing the chart: {e}");
        {
            let root = SVGBackend::with_string(&mut out, (960, 600)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| err(&e))?;
            let x_keys = vec![
                64.0, 128.0, 256.0, 512.0, 1024.0, 1518.0, 2048.0, 4096.0, 9000.0,
            ];
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!(
                        "toe rx_parser ({}-bit): frames/s vs frame size, one beat/clock",
                        self.data_width
                    ),
                    ("sans-serif", 20),
                )
                .margin(16)
                .x_label_area_size(48)
                .y_label_area_size(72)
                .build_cartesian_2d(
                    (CHART_SIZES.0 as f64..CHART_SIZES.1 as f64)
                        .log_scale()
                        .with_key_points(x_keys),
                    (lo..hi).log_scale(),
                )
                .map_err(|e| err(&e))?;
            chart
                .configure_mesh()
                .x_desc("frame size on the wire, FCS included (bytes, log scale)")
                .y_desc("frames per second (log scale)")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| si(*y))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(|e| err(&e))?;
            // Reference lines first, so that the parser lines are drawn over them.
            for (s, points) in lines.into_iter().rev() {
                let color = rgb(&s.color);
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))
                    .map_err(|e| err(&e))?
                    .label(s.label.clone())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 3), (x + 18, y + 3)], color.filled())
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(|e| err(&e))?;
            root.present().map_err(|e| err(&e))?;
        }
        Ok(out)
    }

    /// Write `bench.md`, `bench.html`, `bench-fps.svg` and `bench.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<BenchFiles> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let files = BenchFiles {
            markdown: dir.join("bench.md"),
            html: dir.join("bench.html"),
            svg: dir.join("bench-fps.svg"),
            json: dir.join("bench.json"),
        };
        let mut json = serde_json::to_string_pretty(self)?;
        json.push('\n');
        for (path, text) in [
            (&files.markdown, self.markdown()),
            (&files.html, self.html()?),
            (&files.svg, self.svg()?),
            (&files.json, json),
        ] {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(files)
    }
}

fn size_range(w: &Workload) -> String {
    if w.min_frame_bytes == w.max_frame_bytes {
        w.min_frame_bytes.to_string()
    } else {
        format!(
            "{}..{} (mean {:.0})",
            w.min_frame_bytes,
            w.max_frame_bytes,
            w.bytes as f64 / w.frames.max(1) as f64
        )
    }
}

/// `"0.000"` → `0`, `"1.250"` → `1.25`: a formatted number without trailing zeros.
fn trim_float(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Build the parser for `cfg` (RTL under `out`), measure it, join the synthesis reports
/// under `<out>/reports/` and write the bench report there. `synth_args` is appended to
/// the `toe synth` command suggested for missing reports.
pub fn run_bench(
    cfg: &Resolved,
    out: &Path,
    params: &BenchParams,
    synth_args: &str,
    progress: bool,
) -> Result<(BenchReport, BenchFiles)> {
    let mut sim = RxParserSim::build(cfg, out, None)?;
    let mut measurements = measure(&mut sim, params, progress)?;
    drop(sim);
    measurements.engine = measure_engine(cfg, out, params, progress)?;
    measurements
        .engine
        .extend(measure_dma(cfg, out, params, progress)?);
    measurements
        .engine
        .extend(measure_rx(cfg, out, params, progress)?);
    measurements
        .engine
        .extend(measure_tx(cfg, out, params, progress)?);
    measurements
        .engine
        .extend(measure_snd(cfg, out, params, progress)?);
    let reports = out.join("reports");
    let synth = find_synth_reports(&reports, cfg, synth_args);
    let report = BenchReport::new(cfg, measurements, synth);
    let files = report.write(&reports)?;
    Ok((report, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_cycles_are_exact() {
        // Three 8-beat frames back to back, then a 2-cycle gap and a bubble inside.
        let fc = [(10, 17), (18, 25), (28, 36)];
        let c = run_cycles(&fc, &[8, 8, 8]).unwrap();
        assert_eq!(c.span, 27);
        assert_eq!(
            (c.gaps, c.idle_between, c.max_idle, c.idle_inside),
            (2, 2, 2, 1)
        );
        assert!(run_cycles(&fc, &[8, 8]).is_err());
        assert!(run_cycles(&[(10, 12)], &[8]).is_err());
        assert_eq!(run_cycles(&[], &[]).unwrap(), RunCycles::default());
    }

    #[test]
    fn line_rate_figures() {
        // 10 GbE, 64-byte frames: 14.88 M frames/s.
        assert!((line_fps(10.0, 64) - 14_880_952.38).abs() < 1.0);
        assert_eq!(parser_fps(156.25, 64, 8), 156.25e6 / 8.0);
        assert_eq!(parser_fps(100.0, 65, 8), 100e6 / 9.0);
        // 156.25 MHz × 64 bits carries 10 GbE at every size.
        let (mhz, _) = clock_for_line_rate(10.0, 8);
        assert!(mhz < 156.25 && mhz > 155.0, "{mhz}");
        let s = chart_sizes();
        assert_eq!((s[0], *s.last().unwrap()), CHART_SIZES);
        assert!(s.contains(&1518));
    }

    #[test]
    fn formatting() {
        assert_eq!(utc_iso(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_709_251_199);
        assert_eq!(utc_iso(t), "2024-02-29T23:59:59Z");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(12), "12");
        assert_eq!(si(14_880_952.0), "14.9M");
        assert_eq!(si(1e6), "1M");
        assert_eq!(si(2_441_406.25), "2.44M");
        assert_eq!(trim_float("0.000"), "0");
        assert_eq!(trim_float("1.250"), "1.25");
        assert_eq!(trim_float("100"), "100");
        assert_eq!(
            md_inline_html("a `<b>` **c** & d"),
            "a <code>&lt;b&gt;</code> <strong>c</strong> &amp; d"
        );
    }
}
