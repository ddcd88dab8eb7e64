//! Co-simulation of the generated receive parser under Verilator.
//!
//! [`RxParserSim`] generates the RTL for a configuration, Verilates it (cached), and
//! replays frames through it with configurable input gaps and output back-pressure,
//! returning the frames that came out, the decoded metadata records, and cycle
//! figures.

use anyhow::{Context, Result, bail};
use cosim::{AxisSink, AxisSource, BuildOptions, Dir, Model, PortSpec, RecordSink};
use host_model::{RawRecord, Resolved, RxMeta};
use std::path::{Path, PathBuf};

/// How to drive the parser.
#[derive(Debug, Clone, Copy)]
pub struct Drive {
    /// Probability of an idle input cycle while frames are queued (0 = back-to-back).
    pub gap_prob: f64,
    /// Probability that `m_axis_tready` is high in a cycle (1 = always ready).
    pub out_ready_prob: f64,
    /// Probability that `m_axis_meta_tready` is high in a cycle.
    pub meta_ready_prob: f64,
    /// Seed of the driver's random choices.
    pub seed: u64,
}

impl Default for Drive {
    fn default() -> Self {
        Drive {
            gap_prob: 0.0,
            out_ready_prob: 1.0,
            meta_ready_prob: 1.0,
            seed: 1,
        }
    }
}

/// What came out of one run.
#[derive(Debug, Default)]
pub struct RunResult {
    /// Frames from `m_axis_*`, with their `tuser` bit.
    pub frames: Vec<(Vec<u8>, bool)>,
    /// Cycle of the first and last beat of each output frame.
    pub frame_cycles: Vec<(u64, u64)>,
    /// One decoded record per frame, in order.
    pub metas: Vec<RxMeta>,
    /// Cycle at which each record was taken.
    pub meta_cycles: Vec<u64>,
    /// Clock cycles the run took.
    pub cycles: u64,
    /// Model cycle at which the run started (the first input beat is offered then).
    pub start_cycle: u64,
    /// Input beats accepted.
    pub beats_in: u64,
}

/// The Verilated receive parser of one configuration.
pub struct RxParserSim {
    model: Model,
    cfg: Resolved,
    rst: cosim::PortId,
}

/// Where tests and the CLI keep Verilator builds.
pub fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // testbenches/../target
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    target.join("cosim-cache")
}

/// Where a named test keeps its RTL (`target/toe-tests/<test>`) and its waves (when
/// `TOE_WAVES=1`).
pub fn test_paths(test: &str) -> (PathBuf, Option<PathBuf>) {
    (
        cache_dir().join("..").join("toe-tests").join(test),
        cosim::waves_path(test),
    )
}

/// Holds `rst` high for 4 clocks, then low.
pub fn pulse_reset(model: &mut Model) -> Result<()> {
    let rst = model.port("rst")?;
    model.set(rst, 1);
    for _ in 0..4 {
        model.tick();
    }
    model.set(rst, 0);
    Ok(())
}

/// Generate the RTL for `cfg` into `out` (`rtl/`, `manifest.json`), Verilate the
/// block named `block` (cached by content) and instantiate it, tracing to `waves`.
pub fn verilate_block(
    cfg: &Resolved,
    block: &str,
    out: &Path,
    waves: Option<&Path>,
) -> Result<Model> {
    let generated = hdl::generate(cfg).context("generating the RTL")?;
    generated
        .write_to(out)
        .with_context(|| format!("writing the RTL under {}", out.display()))?;
    let b = generated
        .block(block)
        .with_context(|| format!("{block} block"))?;
    let ports: Vec<PortSpec> = b
        .ports
        .iter()
        .map(|p| PortSpec {
            name: p.name.clone(),
            dir: match p.dir {
                hdl::PortDir::In => Dir::In,
                hdl::PortDir::Out => Dir::Out,
            },
            width: p.width,
        })
        .collect();
    let opts = BuildOptions {
        trace: waves.is_some(),
        cache_dir: cache_dir(),
        jobs: 2,
    };
    let lib = cosim::build_model(&b.paths(out), &b.top, &ports, "clk", &opts)
        .with_context(|| format!("building {block} under Verilator"))?;
    let mut model = lib.instantiate()?;
    if let Some(w) = waves {
        if let Some(dir) = w.parent() {
            std::fs::create_dir_all(dir).ok();
        }
        model.open_trace(w)?;
    }
    Ok(model)
}

impl RxParserSim {
    /// Generate the RTL for `cfg` into `out` (`rtl/`, `manifest.json`), Verilate it
    /// (cached by content) and instantiate it. With `waves`, trace to that VCD file.
    pub fn build(cfg: &Resolved, out: &Path, waves: Option<&Path>) -> Result<Self> {
        let model = verilate_block(cfg, "rx_parser", out, waves)?;
        let rst = model.port("rst")?;
        let mut sim = RxParserSim {
            model,
            cfg: cfg.clone(),
            rst,
        };
        sim.reset();
        Ok(sim)
    }

    /// Build for a named test: RTL under `target/toe-tests/<test>`, waves when
    /// `TOE_WAVES=1` (to `target/waves/<test>.vcd`).
    pub fn for_test(cfg: &Resolved, test: &str) -> Result<Self> {
        let (out, waves) = test_paths(test);
        Self::build(cfg, &out, waves.as_deref())
    }

    /// The configuration this model was generated from.
    pub fn config(&self) -> &Resolved {
        &self.cfg
    }

    /// Hold reset for 4 cycles.
    pub fn reset(&mut self) {
        self.model.set(self.rst, 1);
        for _ in 0..4 {
            self.model.tick();
        }
        self.model.set(self.rst, 0);
        self.model.eval();
    }

    /// Offer the first `beats` beats of `frame` (no `tlast`) with both outputs not
    /// ready, then stop driving: leaves a partial frame inside the parser, e.g. to test
    /// a reset in the middle of a frame.
    pub fn partial_frame(&mut self, frame: &[u8], beats: usize) -> Result<()> {
        let m = &mut self.model;
        let (tdata, tkeep, tvalid, tlast) = (
            m.port("s_axis_tdata")?,
            m.port("s_axis_tkeep")?,
            m.port("s_axis_tvalid")?,
            m.port("s_axis_tlast")?,
        );
        m.set(m.port("m_axis_tready")?, 0);
        m.set(m.port("m_axis_meta_tready")?, 0);
        for c in frame.chunks(8).take(beats) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            m.set(tdata, u64::from_le_bytes(w));
            m.set(tkeep, 0xFF);
            m.set(tlast, 0);
            m.set(tvalid, 1);
            m.tick();
        }
        m.set(tvalid, 0);
        m.tick();
        Ok(())
    }

    /// Raw co-simulation speed of the parser alone: streams `frame` back to back for
    /// `cycles` cycles with both outputs always ready, setting input ports directly
    /// (no stream agents, nothing collected). Returns the wall-clock seconds taken.
    pub fn raw_speed(&mut self, frame: &[u8], cycles: u64) -> Result<f64> {
        let m = &mut self.model;
        let (tdata, tkeep, tvalid, tlast, tuser) = (
            m.port("s_axis_tdata")?,
            m.port("s_axis_tkeep")?,
            m.port("s_axis_tvalid")?,
            m.port("s_axis_tlast")?,
            m.port("s_axis_tuser")?,
        );
        m.set(m.port("m_axis_tready")?, 1);
        m.set(m.port("m_axis_meta_tready")?, 1);
        m.set(tuser, 0);
        m.set(tvalid, 1);
        let beats: Vec<(u64, u64, u64)> = frame
            .chunks(8)
            .enumerate()
            .map(|(i, c)| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                let last = (i + 1) * 8 >= frame.len();
                (
                    u64::from_le_bytes(w),
                    (1u64 << c.len()) - 1,
                    u64::from(last),
                )
            })
            .collect();
        let t0 = std::time::Instant::now();
        for i in 0..cycles {
            let (d, k, l) = beats[(i % beats.len() as u64) as usize];
            m.set(tdata, d);
            m.set(tkeep, k);
            m.set(tlast, l);
            m.tick();
        }
        let secs = t0.elapsed().as_secs_f64();
        m.set(tvalid, 0);
        for _ in 0..64 {
            m.tick();
        }
        Ok(secs)
    }

    /// Replay `frames` (bytes, MAC error flag) and collect everything that comes out.
    /// Fails if the outputs stall for 100,000 cycles.
    pub fn run(&mut self, frames: &[(Vec<u8>, bool)], drive: Drive) -> Result<RunResult> {
        let mut src = AxisSource::new(&self.model, "s_axis", drive.gap_prob, drive.seed)?;
        let mut out = AxisSink::new(
            &self.model,
            "m_axis",
            drive.out_ready_prob,
            drive.seed ^ 0x55,
        )?;
        let mut meta = RecordSink::new(
            &self.model,
            "m_axis_meta",
            drive.meta_ready_prob,
            drive.seed ^ 0xAA,
        )?;
        for (f, user) in frames {
            src.push(f.clone(), *user);
        }
        let start = self.model.cycles();
        let mut last_progress = start;
        let mut seen = (0usize, 0usize, 0u64);
        while out.frames().len() < frames.len() || meta.records().len() < frames.len() {
            cosim::step(&mut self.model, &mut (&mut src, &mut out, &mut meta));
            let now = (out.frames().len(), meta.records().len(), src.beats_sent());
            if now != seen {
                seen = now;
                last_progress = self.model.cycles();
            }
            if self.model.cycles() - last_progress > 100_000 {
                bail!(
                    "parser stalled: {} of {} frames and {} records out after {} cycles",
                    now.0,
                    frames.len(),
                    now.1,
                    self.model.cycles() - start
                );
            }
        }
        // A few idle cycles so that nothing extra comes out unnoticed.
        for _ in 0..16 {
            cosim::step(&mut self.model, &mut (&mut src, &mut out, &mut meta));
        }
        if out.frames().len() != frames.len() || meta.records().len() != frames.len() {
            bail!(
                "parser produced {} frames and {} records for {} input frames",
                out.frames().len(),
                meta.records().len(),
                frames.len()
            );
        }
        let metas = meta
            .records()
            .iter()
            .map(|r| RxMeta::decode(&RawRecord(r.words.clone())))
            .collect();
        Ok(RunResult {
            frames: out
                .frames()
                .iter()
                .map(|f| (f.data.clone(), f.user))
                .collect(),
            frame_cycles: out
                .frames()
                .iter()
                .map(|f| (f.first_cycle, f.last_cycle))
                .collect(),
            metas,
            meta_cycles: meta.records().iter().map(|r| r.cycle).collect(),
            cycles: self.model.cycles() - start,
            start_cycle: start,
            beats_in: src.beats_sent(),
        })
    }
}

/// A valid TCP/IPv4 frame (ACK|PSH, no options) of exactly `len` bytes (54..=9018),
/// built with etherparse; `seq` varies the sequence number and payload.
pub fn tcp_frame(len: usize, seq: u32) -> Vec<u8> {
    let payload_len = len.clamp(54, 9018) - 54;
    let payload: Vec<u8> = (0..payload_len).map(|i| (i as u32 ^ seq) as u8).collect();
    let builder = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 80, seq, 65535)
        .ack(seq.wrapping_mul(3))
        .psh();
    let mut out = Vec::with_capacity(len);
    builder
        .write(&mut out, &payload)
        .expect("a frame this size always serializes");
    out
}

/// Message words as stream bytes (word 0 first, little-endian).
pub fn words_to_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Stream bytes as message words (a short last word is zero-padded).
pub fn bytes_to_words(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect()
}

/// Cycles of the beats on an AXI4 write data channel (`m_axi_wvalid` and `wready`), for
/// throughput figures.
pub struct WWatch {
    wvalid: cosim::PortId,
    wready: cosim::PortId,
    pub cycles: Vec<u64>,
}

impl WWatch {
    pub fn new(model: &Model) -> Result<Self> {
        Ok(WWatch {
            wvalid: model.port("m_axi_wvalid")?,
            wready: model.port("m_axi_wready")?,
            cycles: vec![],
        })
    }
}

impl cosim::Agent for WWatch {
    fn drive(&mut self, _model: &mut Model) {}
    fn observe(&mut self, model: &Model) {
        if model.get(self.wvalid) != 0 && model.get(self.wready) != 0 {
            self.cycles.push(model.cycles());
        }
    }
}
