//! Co-simulation of the receive engine top (`<prefix>_rx`: engine top + receive ring +
//! DMA write engine) under Verilator, with host memory ([`cosim::AxiMemory`]) on its
//! AXI4 write port.

use crate::rx::{WWatch, bytes_to_words, pulse_reset, test_paths, verilate_block, words_to_bytes};
use anyhow::{Result, bail};
use cosim::{AxiMemory, AxisSink, AxisSource, Model};
use host_model::Resolved;
use host_model::proto::EventType;
use std::collections::VecDeque;
use std::path::Path;

/// An RX_FRAME event as received: its words and the cycle it completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxFrameEvent {
    pub words: Vec<u64>,
    pub cycle: u64,
}

/// The Verilated receive engine with its stream agents and host memory.
pub struct RxSim {
    pub model: Model,
    cmd: AxisSource,
    evt: AxisSink,
    src: AxisSource,
    pub mem: AxiMemory,
    ack: AxisSink,
    timer_en: cosim::PortId,
    w: WWatch,
    cfg: Resolved,
    responses: VecDeque<Vec<u64>>,
    rx_frames: VecDeque<RxFrameEvent>,
    /// RCV_DONE events received (the fast path's list completions), not yet taken.
    pub rcv_done: VecDeque<Vec<u64>>,
    /// Unsolicited UPLOAD_REQUEST events received.
    pub unsolicited: Vec<Vec<u64>>,
    /// ACK frames the engine sent (`m_axis_ack`), not yet taken.
    pub acks: VecDeque<Vec<u8>>,
    /// Every event (not a response) in the order sent, when logging
    /// ([`RxSim::take_event_log`] turns it on).
    log: Option<Vec<Vec<u64>>>,
    /// Cycle limit of one wait.
    pub timeout: u64,
}

impl RxSim {
    /// Generate, Verilate (cached) and reset the receive engine for `cfg`, with
    /// `mem_size` bytes of host memory; RTL under `out`.
    pub fn build(
        cfg: &Resolved,
        out: &Path,
        waves: Option<&Path>,
        mem_size: usize,
    ) -> Result<Self> {
        let model = verilate_block(cfg, "rx", out, waves)?;
        let cmd = AxisSource::new(&model, "s_axis_cmd", 0.0, 31)?;
        let evt = AxisSink::new(&model, "m_axis_evt", 1.0, 32)?;
        let src = AxisSource::new(&model, "s_axis", 0.0, 33)?;
        let mem = AxiMemory::new(&model, "m_axi", mem_size, 34)?;
        let ack = AxisSink::new(&model, "m_axis_ack", 1.0, 35)?;
        let timer_en = model.port("timer_en")?;
        let w = WWatch::new(&model)?;
        let mut sim = RxSim {
            model,
            cmd,
            evt,
            src,
            mem,
            ack,
            timer_en,
            w,
            cfg: cfg.clone(),
            responses: VecDeque::new(),
            rx_frames: VecDeque::new(),
            rcv_done: VecDeque::new(),
            unsolicited: Vec::new(),
            acks: VecDeque::new(),
            log: None,
            timeout: 2_000_000,
        };
        sim.set_timers(true);
        sim.reset()?;
        Ok(sim)
    }

    /// Build for a named test: RTL under `target/toe-tests/<test>`, waves when
    /// `TOE_WAVES=1`.
    pub fn for_test(cfg: &Resolved, test: &str, mem_size: usize) -> Result<Self> {
        let (out, waves) = test_paths(test);
        Self::build(cfg, &out, waves.as_deref(), mem_size)
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

    /// Run (1, the hardware's setting) or stop the fast path's delayed-ACK clock.
    pub fn set_timers(&mut self, on: bool) {
        self.model.set(self.timer_en, on as u64);
    }

    /// Input gaps (frames and commands), event `tready` probability, memory
    /// `awready`/`wready` probabilities and write-response latency.
    pub fn set_drive(&mut self, gap: f64, evt_ready: f64, aw: f64, w: f64, latency: u64) {
        self.cmd.set_idle_probability(gap);
        self.src.set_idle_probability(gap);
        self.evt.set_ready_probability(evt_ready);
        self.mem.set_ready(aw, w);
        self.mem.latency = latency;
    }

    fn step(&mut self) {
        cosim::step(
            &mut self.model,
            &mut (
                &mut self.cmd,
                &mut self.evt,
                &mut self.src,
                &mut self.mem,
                &mut self.ack,
                &mut self.w,
            ),
        );
    }

    /// Sort the event messages received so far.
    fn sort_events(&mut self) {
        self.acks
            .extend(self.ack.take_frames().into_iter().map(|f| f.data));
        for f in self.evt.take_frames() {
            let w = bytes_to_words(&f.data);
            let ty = w.first().map(|h| *h as u8).unwrap_or(0);
            if let Some(log) = &mut self.log
                && [
                    EventType::UploadRequest,
                    EventType::RcvDone,
                    EventType::RxFrame,
                    EventType::FrameData,
                ]
                .iter()
                .any(|t| *t as u8 == ty)
            {
                log.push(w.clone());
            }
            if ty == EventType::UploadRequest as u8 {
                self.unsolicited.push(w);
            } else if ty == EventType::RcvDone as u8 {
                self.rcv_done.push_back(w);
            } else if ty == EventType::RxFrame as u8 || ty == EventType::FrameData as u8 {
                self.rx_frames.push_back(RxFrameEvent {
                    words: w,
                    cycle: f.last_cycle,
                });
            } else {
                self.responses.push_back(w);
            }
        }
    }

    /// Queue a command (its words; the last carries `tlast`).
    pub fn push_command(&mut self, words: &[u64]) {
        self.cmd.push(words_to_bytes(words), false);
    }

    /// Queue a frame (`user`: `tuser` on its last beat, a MAC error).
    pub fn push_frame(&mut self, frame: Vec<u8>, user: bool) {
        self.src.push(frame, user);
    }

    /// Frames queued and not yet sent.
    pub fn frames_pending(&self) -> usize {
        self.src.pending()
    }

    /// Run until `n` more responses arrived; returns them.
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

    /// Send one command and return its response.
    pub fn command(&mut self, words: &[u64]) -> Result<Vec<u64>> {
        self.push_command(words);
        Ok(self.wait_responses(1)?.remove(0))
    }

    /// Run until `n` more RCV_DONE events arrived; returns them.
    pub fn wait_rcv_done(&mut self, n: usize) -> Result<Vec<Vec<u64>>> {
        let mut ran = 0;
        loop {
            self.sort_events();
            if self.rcv_done.len() >= n {
                break;
            }
            if ran >= self.timeout {
                bail!(
                    "timeout: {} of {n} RCV_DONE events after {ran} cycles",
                    self.rcv_done.len()
                );
            }
            self.step();
            ran += 1;
        }
        Ok(self.rcv_done.drain(..n).collect())
    }

    /// Run until `n` more RX_FRAME or FRAME_DATA events arrived; returns them.
    pub fn wait_rx_frames(&mut self, n: usize) -> Result<Vec<RxFrameEvent>> {
        let mut ran = 0;
        loop {
            self.sort_events();
            if self.rx_frames.len() >= n {
                break;
            }
            if ran >= self.timeout {
                bail!(
                    "timeout: {} of {n} RX_FRAME events after {ran} cycles",
                    self.rx_frames.len()
                );
            }
            self.step();
            ran += 1;
        }
        Ok(self.rx_frames.drain(..n).collect())
    }

    /// The events (RCV_DONE, RX_FRAME, FRAME_DATA, UPLOAD_REQUEST) sent since the last
    /// call, in order, as they are also sorted into their queues. The first call
    /// starts the log and returns nothing.
    pub fn take_event_log(&mut self) -> Vec<Vec<u64>> {
        self.sort_events();
        match &mut self.log {
            Some(l) => std::mem::take(l),
            None => {
                self.log = Some(Vec::new());
                Vec::new()
            }
        }
    }

    /// Run until at least `n` ACK frames are waiting in [`RxSim::acks`].
    pub fn wait_acks(&mut self, n: usize) -> Result<()> {
        let mut ran = 0;
        loop {
            self.sort_events();
            if self.acks.len() >= n {
                return Ok(());
            }
            if ran >= self.timeout {
                bail!(
                    "timeout: {} of {n} ACK frames after {ran} cycles",
                    self.acks.len()
                );
            }
            self.step();
            ran += 1;
        }
    }

    /// RX_FRAME events received and not yet returned.
    pub fn rx_frames_pending(&mut self) -> usize {
        self.sort_events();
        self.rx_frames.len()
    }

    /// Run `n` cycles with the agents active.
    pub fn run_cycles(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
        self.sort_events();
    }

    /// Run until every queued frame has been sent and the memory is idle, plus
    /// `settle` cycles.
    pub fn drain(&mut self, settle: u64) -> Result<()> {
        let mut ran = 0;
        while !(self.src.is_idle() && self.mem.idle()) {
            if ran >= self.timeout {
                bail!("timeout: frames still queued after {ran} cycles");
            }
            self.step();
            ran += 1;
        }
        self.run_cycles(settle);
        Ok(())
    }

    /// Cycles of every beat written on the AXI4 write data channel so far.
    pub fn w_cycles(&self) -> &[u64] {
        &self.w.cycles
    }

    /// Cycles since the model was built.
    pub fn cycles(&self) -> u64 {
        self.model.cycles()
    }
}

impl host_model::stack::EngineLink for RxSim {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        RxSim::command(self, words).unwrap_or_default()
    }
    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        self.sort_events();
        std::mem::take(&mut self.unsolicited)
    }
}

/// One frame of a [`replay`]: the RX_FRAME event the RTL sent, whether the buffer holds
/// the frame's bytes, and the event the model expected (same frame, reference parser).
#[derive(Debug, Clone)]
pub struct Replayed {
    pub event: host_model::proto::Event,
    pub bytes_ok: bool,
    pub expected: host_model::proto::Event,
}

impl Replayed {
    /// The frame as a JSON object (`frame` = its 1-based number in the replay).
    pub fn to_json(&self, frame: u64) -> serde_json::Value {
        use host_model::proto::Event;
        let (addr, status, trailer) = match &self.event {
            Event::RxFrame {
                addr,
                status,
                trailer,
            } => (*addr, *status, trailer.status),
            _ => (
                0,
                Default::default(),
                host_model::proto::CmdStatus::BadHeader,
            ),
        };
        serde_json::json!({
            "frame": frame,
            "buffer": addr,
            "dma": format!("{trailer:?}"),
            "status": status,
            "errors": status.error_names(),
            "bytes_ok": self.bytes_ok,
            "matches_model": self.event == self.expected,
        })
    }
}

/// Replay frames (`(bytes, MAC error)`) through the receive engine top with buffers
/// posted ahead (in batches that never let the ring run dry): every frame is written into
/// a buffer and announced. Each RX_FRAME event is returned with its byte check and the
/// event the model (`model`, fed by the reference parser) expected.
pub fn replay(
    sim: &mut RxSim,
    model: &mut host_model::RxPathModel,
    frames: &[(Vec<u8>, bool)],
) -> Result<Vec<Replayed>> {
    use host_model::proto::{CmdStatus, Command, Event, RX_BUF_BYTES, RX_RING_SLOTS};
    use host_model::rx_path::{RingWrite, ring_bytes};
    let min = sim.config().config.rx.min_frame_len;
    let batch = RX_RING_SLOTS - 16;
    let mut out = Vec::with_capacity(frames.len());
    let mut tag = 0;
    for chunk in frames.chunks(batch) {
        tag += 1;
        let addrs: Vec<u64> = (0..chunk.len())
            .map(|i| (i * RX_BUF_BYTES) as u64)
            .collect();
        let cmd = Command::RxBuf { tag, addrs }.encode();
        let want = model.command_event(&cmd);
        let got = Event::decode(&sim.command(&cmd)?)?;
        if got != want || got.trailer().status != CmdStatus::Ok {
            bail!("RXBUF answered {got:?}, the model {want:?}");
        }
        let mut expected = vec![];
        for (f, user) in chunk {
            sim.push_frame(f.clone(), *user);
            model
                .engine
                .lookup(&crate::reference::reference(f, *user, min).encode());
            for d in model.engine.take_delivered() {
                expected.push(model.deliver(&d, true));
            }
        }
        let events = sim.wait_rx_frames(chunk.len())?;
        for ((ev, (f, _)), want) in events.iter().zip(chunk).zip(expected) {
            let event = Event::decode(&ev.words)?;
            let bytes_ok = match &event {
                Event::RxFrame { addr, .. } => {
                    let a = *addr as usize;
                    let b = ring_bytes(f);
                    sim.mem.mem.get(a..a + b.len()) == Some(b)
                }
                _ => false,
            };
            let expected = match want {
                RingWrite::Written { event, .. } => event,
                RingWrite::Dropped => bail!("the model dropped a frame with buffers posted"),
            };
            out.push(Replayed {
                event,
                bytes_ok,
                expected,
            });
        }
    }
    Ok(out)
}
