//! Co-simulation of the generated engine top (receive parser + offload core) under
//! Verilator: commands in, responses out, frames in, tagged records out.

use crate::rx::{bytes_to_words, pulse_reset, test_paths, verilate_block, words_to_bytes};
use anyhow::{Result, bail};
use cosim::{AxisSink, AxisSource, Model, RecordSink};
use host_model::{RX_META_BITS, RawRecord, Resolved};
use std::path::Path;

/// A frame as the engine delivers it: its tagged record and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    /// 0 not TCP, 1 miss, 3 hit (2, held, never leaves the engine).
    pub status: u8,
    pub conn: u16,
    pub record: RawRecord,
    /// Cycle the tagged record was taken.
    pub cycle: u64,
    /// The frame's bytes on `m_axis` and its `tuser`.
    pub frame: Vec<u8>,
    pub user: bool,
    /// Cycles of the frame's first and last beat on `m_axis`.
    pub frame_cycles: (u64, u64),
}

/// The Verilated engine of one configuration, with its stream agents.
pub struct EngineSim {
    pub model: Model,
    cmd: AxisSource,
    evt: AxisSink,
    src: AxisSource,
    out: AxisSink,
    lk: RecordSink,
    cfg: Resolved,
    evt_seen: usize,
    lk_seen: usize,
    /// Frames received on `m_axis` and not yet paired with their record.
    out_frames: std::collections::VecDeque<cosim::ReceivedFrame>,
    /// Responses received and not yet returned.
    responses: std::collections::VecDeque<Vec<u64>>,
    /// Unsolicited events (type 0xC0) received, with the cycle they completed.
    pub unsolicited: Vec<(Vec<u64>, u64)>,
    /// Cycle limit of one wait.
    pub timeout: u64,
}

impl EngineSim {
    /// Generate, Verilate (cached) and reset the engine for `cfg`; RTL under `out`.
    pub fn build(cfg: &Resolved, out: &Path, waves: Option<&Path>) -> Result<Self> {
        let model = verilate_block(cfg, "engine", out, waves)?;
        let cmd = AxisSource::new(&model, "s_axis_cmd", 0.0, 11)?;
        let evt = AxisSink::new(&model, "m_axis_evt", 1.0, 12)?;
        let src = AxisSource::new(&model, "s_axis", 0.0, 13)?;
        let out_sink = AxisSink::new(&model, "m_axis", 1.0, 14)?;
        let lk = RecordSink::new(&model, "m_axis_lk", 1.0, 15)?;
        let mut sim = EngineSim {
            model,
            cmd,
            evt,
            src,
            out: out_sink,
            lk,
            cfg: cfg.clone(),
            evt_seen: 0,
            lk_seen: 0,
            out_frames: Default::default(),
            responses: Default::default(),
            unsolicited: Vec::new(),
            timeout: 2_000_000,
        };
        sim.reset()?;
        Ok(sim)
    }

    /// Build for a named test: RTL under `target/toe-tests/<test>`, waves when
    /// `TOE_WAVES=1`.
    pub fn for_test(cfg: &Resolved, test: &str) -> Result<Self> {
        let (out, waves) = test_paths(test);
        Self::build(cfg, &out, waves.as_deref())
    }

    pub fn config(&self) -> &Resolved {
        &self.cfg
    }

    /// Reset, then run until the core has swept its memories (it accepts commands).
    pub fn reset(&mut self) -> Result<()> {
        pulse_reset(&mut self.model)?;
        let ready = self.model.port("s_axis_cmd_tready")?;
        let limit = (1u64 << self.cfg.conn_bits) + 100;
        for _ in 0..limit {
            self.model.tick();
            self.model.eval();
            if self.model.get(ready) != 0 {
                return Ok(());
            }
        }
        bail!("the engine did not finish its reset sweep in {limit} cycles")
    }

    /// Input gaps and output back-pressure of the stream agents.
    pub fn set_drive(&mut self, gap: f64, ready: f64) {
        self.cmd.set_idle_probability(gap);
        self.src.set_idle_probability(gap);
        self.evt.set_ready_probability(ready);
        self.out.set_ready_probability(ready);
        self.lk.set_ready_probability(ready);
    }

    fn step(&mut self) {
        cosim::step(
            &mut self.model,
            &mut (
                &mut self.cmd,
                &mut self.evt,
                &mut self.src,
                &mut self.out,
                &mut self.lk,
            ),
        );
    }

    /// Queue a command (its words; the last carries `tlast`).
    pub fn push_command(&mut self, words: &[u64]) {
        self.cmd.push(words_to_bytes(words), false);
    }

    /// Queue a frame.
    pub fn push_frame(&mut self, frame: Vec<u8>) {
        self.src.push(frame, false);
    }

    /// Sort the event messages received so far into responses and unsolicited events.
    fn sort_events(&mut self) {
        let frames = self.evt.take_frames();
        self.evt_seen += frames.len();
        for f in frames {
            let w = bytes_to_words(&f.data);
            if w.first()
                .is_some_and(|h| *h as u8 == host_model::proto::EventType::UploadRequest as u8)
            {
                self.unsolicited.push((w, f.last_cycle));
            } else {
                self.responses.push_back(w);
            }
        }
    }

    /// Run until `n` more responses arrived; returns them (words each). Unsolicited
    /// events seen meanwhile go to [`EngineSim::unsolicited`].
    pub fn wait_responses(&mut self, n: usize) -> Result<Vec<Vec<u64>>> {
        let mut ran = 0;
        loop {
            self.sort_events();
            if self.responses.len() >= n {
                break;
            }
            if ran >= self.timeout {
                bail!(
                    "timeout: {} of {n} responses after {ran} cycles",
                    self.responses.len()
                );
            }
            self.step();
            ran += 1;
        }
        Ok(self.responses.drain(..n).collect())
    }

    /// Run `n` cycles with the agents active (e.g. to let timers run).
    pub fn run_cycles(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
        self.sort_events();
    }

    /// Send one command and return its response.
    pub fn command(&mut self, words: &[u64]) -> Result<Vec<u64>> {
        self.push_command(words);
        Ok(self.wait_responses(1)?.remove(0))
    }

    /// Tagged records received and not yet returned by [`EngineSim::wait_tagged`].
    pub fn pending_tagged(&self) -> usize {
        self.lk.records().len() - self.lk_seen
    }

    /// Run until `n` more frames were delivered (record and frame); returns them.
    pub fn wait_tagged(&mut self, n: usize) -> Result<Vec<Tagged>> {
        let target = self.lk_seen + n;
        let mut ran = 0;
        loop {
            self.out_frames.extend(self.out.take_frames());
            if self.lk.records().len() >= target && self.out_frames.len() >= n {
                break;
            }
            if ran >= self.timeout {
                bail!(
                    "timeout: {} records and {} frames of {n} after {ran} cycles",
                    self.lk.records().len() - self.lk_seen,
                    self.out_frames.len()
                );
            }
            self.step();
            ran += 1;
        }
        let frames: Vec<cosim::ReceivedFrame> = self.out_frames.drain(..n).collect();
        let out = self.lk.records()[self.lk_seen..target]
            .iter()
            .zip(frames)
            .map(|(r, f)| {
                let bit = |i: usize| (r.words.get(i / 32).copied().unwrap_or(0) >> (i % 32)) & 1;
                let mut status = 0u8;
                for k in 0..2 {
                    status |= (bit(RX_META_BITS + k) as u8) << k;
                }
                let mut conn = 0u16;
                for k in 0..16 {
                    conn |= (bit(RX_META_BITS + 2 + k) as u16) << k;
                }
                Tagged {
                    status,
                    conn,
                    record: RawRecord(r.words.clone()),
                    cycle: r.cycle,
                    frame_cycles: (f.first_cycle, f.last_cycle),
                    frame: f.data,
                    user: f.user,
                }
            })
            .collect();
        self.lk_seen = target;
        Ok(out)
    }

    /// Send frames and return their tagged records (all of them must leave: no
    /// frame of a held connection among them).
    pub fn frames(&mut self, frames: &[Vec<u8>]) -> Result<Vec<Tagged>> {
        for f in frames {
            self.push_frame(f.clone());
        }
        self.wait_tagged(frames.len())
    }

    /// Cycles since the model was built.
    pub fn cycles(&self) -> u64 {
        self.model.cycles()
    }
}

impl host_model::stack::EngineLink for EngineSim {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        EngineSim::command(self, words).unwrap_or_default()
    }
    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        self.sort_events();
        self.unsolicited.drain(..).map(|(w, _)| w).collect()
    }
}
