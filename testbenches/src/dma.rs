//! Co-simulation of the DMA write engine (`<prefix>_dma_write`) against the host memory
//! model ([`cosim::AxiMemory`]).

use crate::rx::{WWatch, pulse_reset, test_paths, verilate_block};
use anyhow::{Result, bail};
use cosim::{Agent, AxiMemory, AxisSink, AxisSource, Model, PortId};
use host_model::Resolved;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::path::Path;

/// One write request: bytes `data` to `addr`, with a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReq {
    pub addr: u64,
    pub data: Vec<u8>,
    pub tag: u16,
}

/// A completion: tag and status (0 OK, 2 SLVERR, 3 DECERR, 4 zero length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub tag: u16,
    pub status: u8,
    pub cycle: u64,
}

/// Presents requests on `s_req_*` (address, length, tag), in order.
struct ReqDriver {
    addr: PortId,
    len: PortId,
    tag: PortId,
    valid: PortId,
    ready: PortId,
    queue: VecDeque<(u64, u16, u16)>,
    presenting: bool,
}

impl Agent for ReqDriver {
    fn drive(&mut self, model: &mut Model) {
        self.presenting = false;
        if let Some(&(a, l, t)) = self.queue.front() {
            model.set(self.addr, a);
            model.set(self.len, u64::from(l));
            model.set(self.tag, u64::from(t));
            self.presenting = true;
        }
        model.set(self.valid, u64::from(self.presenting));
    }
    fn observe(&mut self, model: &Model) {
        if self.presenting && model.get(self.ready) != 0 {
            self.queue.pop_front();
        }
    }
}

impl ReqDriver {
    fn new(model: &Model) -> Result<Self> {
        let port = |n: &str| model.port(n);
        Ok(ReqDriver {
            addr: port("s_req_addr")?,
            len: port("s_req_len")?,
            tag: port("s_req_tag")?,
            valid: port("s_req_valid")?,
            ready: port("s_req_ready")?,
            queue: VecDeque::new(),
            presenting: false,
        })
    }
}

/// Takes completions from `m_done_*` with a random `ready`.
struct DoneSink {
    status: PortId,
    tag: PortId,
    valid: PortId,
    ready: PortId,
    ready_probability: f64,
    rng: ChaCha8Rng,
    ready_now: bool,
    got: Vec<Done>,
}

impl DoneSink {
    fn new(model: &Model, seed: u64) -> Result<Self> {
        let port = |n: &str| model.port(n);
        Ok(DoneSink {
            status: port("m_done_status")?,
            tag: port("m_done_tag")?,
            valid: port("m_done_valid")?,
            ready: port("m_done_ready")?,
            ready_probability: 1.0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ready_now: false,
            got: vec![],
        })
    }
}

impl Agent for DoneSink {
    fn drive(&mut self, model: &mut Model) {
        self.ready_now = self.ready_probability >= 1.0
            || (self.ready_probability > 0.0 && self.rng.random_bool(self.ready_probability));
        model.set(self.ready, u64::from(self.ready_now));
    }
    fn observe(&mut self, model: &Model) {
        if self.ready_now && model.get(self.valid) != 0 {
            self.got.push(Done {
                tag: model.get(self.tag) as u16,
                status: model.get(self.status) as u8,
                cycle: model.cycles(),
            });
        }
    }
}

/// The Verilated DMA write engine with a request driver, a data source, host memory and
/// a completion sink.
pub struct DmaWriteSim {
    pub model: Model,
    req: ReqDriver,
    data: AxisSource,
    pub mem: AxiMemory,
    done: DoneSink,
    w: WWatch,
    /// Cycle limit of one wait.
    pub timeout: u64,
}

impl DmaWriteSim {
    /// Generate, Verilate (cached) and reset the engine for `cfg`, with `mem_size` bytes
    /// of host memory.
    pub fn build(
        cfg: &Resolved,
        out: &Path,
        waves: Option<&Path>,
        mem_size: usize,
    ) -> Result<Self> {
        let model = verilate_block(cfg, "dma_write", out, waves)?;
        let req = ReqDriver::new(&model)?;
        let done = DoneSink::new(&model, 21)?;
        let w = WWatch::new(&model)?;
        let data = AxisSource::new(&model, "s_axis_data", 0.0, 22)?;
        let mem = AxiMemory::new(&model, "m_axi", mem_size, 23)?;
        let mut sim = DmaWriteSim {
            model,
            req,
            data,
            mem,
            done,
            w,
            timeout: 5_000_000,
        };
        pulse_reset(&mut sim.model)?;
        Ok(sim)
    }

    /// Build for a named test: RTL under `target/toe-tests/<test>`, waves when
    /// `TOE_WAVES=1`.
    pub fn for_test(cfg: &Resolved, test: &str, mem_size: usize) -> Result<Self> {
        let (out, waves) = test_paths(test);
        Self::build(cfg, &out, waves.as_deref(), mem_size)
    }

    /// Random stalls: data source idle probability, memory `awready`/`wready`
    /// probabilities, completion `ready` probability, response latency.
    pub fn set_drive(&mut self, data_idle: f64, aw: f64, w: f64, done_ready: f64, latency: u64) {
        self.data.set_idle_probability(data_idle);
        self.mem.set_ready(aw, w);
        self.done.ready_probability = done_ready;
        self.mem.latency = latency;
    }

    /// Queue a request (its data goes to the data stream; none for length 0).
    pub fn push(&mut self, r: &WriteReq) {
        self.req
            .queue
            .push_back((r.addr, r.data.len() as u16, r.tag));
        if !r.data.is_empty() {
            self.data.push(r.data.clone(), false);
        }
    }

    fn step(&mut self) {
        cosim::step(
            &mut self.model,
            &mut (
                &mut self.req,
                &mut self.data,
                &mut self.mem,
                &mut self.done,
                &mut self.w,
            ),
        );
    }

    /// Run until `n` completions (in total) arrived and the memory is idle; returns them.
    pub fn wait_done(&mut self, n: usize) -> Result<Vec<Done>> {
        let mut ran = 0;
        while self.done.got.len() < n || !self.mem.idle() {
            if ran >= self.timeout {
                bail!(
                    "timeout: {} of {n} completions after {ran} cycles",
                    self.done.got.len()
                );
            }
            self.step();
            ran += 1;
        }
        Ok(self.done.got.clone())
    }

    /// Run `n` cycles.
    pub fn run_cycles(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Cycles of every data beat taken by the memory so far.
    pub fn w_cycles(&self) -> &[u64] {
        &self.w.cycles
    }

    /// Requests whose data the engine has not completely taken.
    pub fn data_pending(&self) -> usize {
        self.data.pending()
    }
}

/// The Verilated DMA read engine with a request driver, host memory, a data sink and a
/// completion sink.
pub struct DmaReadSim {
    pub model: Model,
    req: ReqDriver,
    pub mem: AxiMemory,
    data: AxisSink,
    done: DoneSink,
    /// Cycle limit of one wait.
    pub timeout: u64,
}

impl DmaReadSim {
    /// Generate, Verilate (cached) and reset the engine for `cfg`, with `mem_size` bytes
    /// of host memory.
    pub fn for_test(cfg: &Resolved, test: &str, mem_size: usize) -> Result<Self> {
        let (out, waves) = test_paths(test);
        Self::build(cfg, &out, waves.as_deref(), mem_size)
    }

    /// Generate, Verilate (cached) and reset the engine for `cfg` (RTL under `out`), with
    /// `mem_size` bytes of host memory.
    pub fn build(
        cfg: &Resolved,
        out: &Path,
        waves: Option<&Path>,
        mem_size: usize,
    ) -> Result<Self> {
        let model = verilate_block(cfg, "dma_read", out, waves)?;
        let req = ReqDriver::new(&model)?;
        let done = DoneSink::new(&model, 31)?;
        let data = AxisSink::new(&model, "m_axis_data", 1.0, 32)?;
        let mem = AxiMemory::new(&model, "m_axi", mem_size, 33)?;
        let mut sim = DmaReadSim {
            model,
            req,
            mem,
            data,
            done,
            timeout: 5_000_000,
        };
        pulse_reset(&mut sim.model)?;
        Ok(sim)
    }

    /// Random stalls: memory `arready` and read-data probabilities, read latency, data
    /// and completion `ready` probabilities.
    pub fn set_drive(&mut self, ar: f64, r: f64, latency: u64, data_ready: f64, done_ready: f64) {
        self.mem.set_read_ready(ar, r);
        self.mem.latency = latency;
        self.data.set_ready_probability(data_ready);
        self.done.ready_probability = done_ready;
    }

    /// Queue a read of `len` bytes at `addr`.
    pub fn push(&mut self, addr: u64, len: u16, tag: u16) {
        self.req.queue.push_back((addr, len, tag));
    }

    fn step(&mut self) {
        cosim::step(
            &mut self.model,
            &mut (&mut self.req, &mut self.mem, &mut self.data, &mut self.done),
        );
    }

    /// Run until `n` completions (in total) arrived and the memory is idle; returns the
    /// completions and the data frames received so far.
    pub fn wait_done(&mut self, n: usize) -> Result<(Vec<Done>, Vec<cosim::ReceivedFrame>)> {
        let mut ran = 0;
        while self.done.got.len() < n || !self.mem.idle() {
            if ran >= self.timeout {
                bail!(
                    "timeout: {} of {n} completions after {ran} cycles",
                    self.done.got.len()
                );
            }
            self.step();
            ran += 1;
        }
        // The last beats may trail the completion by the output FIFO.
        for _ in 0..64 {
            self.step();
        }
        Ok((self.done.got.clone(), self.data.frames().to_vec()))
    }
}
