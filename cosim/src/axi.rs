//! Host memory behind an AXI4 slave port: answers a model's AXI4 master (`<prefix>_aw*`,
//! `_w*`, `_b*`) from a byte array, with configurable back-pressure and response latency,
//! and checks the master's side of the protocol.
//!
//! Supported: INCR bursts, any `awlen` (1..=256 beats), beats of the data width given by
//! `awsize`, byte strobes, one ID (responses in order). A burst that reaches past the end
//! of the memory, or that touches an address range marked with
//! [`AxiMemory::fail_range`], writes nothing and is answered DECERR or SLVERR. Every
//! protocol rule the master breaks (burst type, size, a burst across 4 KB, `wlast` on the
//! wrong beat, write data before its address) is recorded in [`AxiMemory::violations`].

use std::collections::VecDeque;
use std::ops::Range;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::axis::Agent;
use crate::error::CosimError;
use crate::model::{Model, PortId};

/// AXI4 response codes.
pub const OKAY: u8 = 0;
pub const SLVERR: u8 = 2;
pub const DECERR: u8 = 3;

#[derive(Debug, Clone)]
struct Burst {
    addr: u64,
    beats: u64,
    /// Beats taken so far.
    done: u64,
    resp: u8,
}

/// The ports of one AXI4 write channel set.
#[derive(Debug, Clone, Copy)]
struct WritePorts {
    awaddr: PortId,
    awlen: PortId,
    awsize: PortId,
    awburst: PortId,
    awvalid: PortId,
    awready: PortId,
    wdata: PortId,
    wstrb: PortId,
    wlast: PortId,
    wvalid: PortId,
    wready: PortId,
    bresp: PortId,
    bvalid: PortId,
    bready: PortId,
}

/// A byte-addressed memory (address 0 = `mem[0]`) serving an AXI4 write master.
#[derive(Debug)]
pub struct AxiMemory {
    p: WritePorts,
    /// Bytes per data beat (the `wdata` width / 8).
    beat_bytes: u64,
    pub mem: Vec<u8>,
    fail: Vec<Range<u64>>,
    aw_ready_probability: f64,
    w_ready_probability: f64,
    /// Clocks from a burst's last data beat to its response.
    pub latency: u64,
    rng: ChaCha8Rng,
    bursts: VecDeque<Burst>,
    responses: VecDeque<(u64, u8)>,
    aw_ready: bool,
    w_ready: bool,
    b_valid: bool,
    /// Bursts completed (responses accepted by the master).
    pub bursts_done: u64,
    /// Data beats taken.
    pub beats: u64,
    /// Protocol rules the master broke, with the cycle.
    pub violations: Vec<String>,
}

impl AxiMemory {
    /// Finds the write ports `<prefix>_*` of `model`; `size` bytes of memory, all zero;
    /// the ready signals are high with probability 1 and responses come 1 clock after the
    /// last beat until changed. `seed` seeds the back-pressure.
    pub fn new(model: &Model, prefix: &str, size: usize, seed: u64) -> Result<Self, CosimError> {
        let port = |n: &str| model.port(&format!("{prefix}_{n}"));
        let p = WritePorts {
            awaddr: port("awaddr")?,
            awlen: port("awlen")?,
            awsize: port("awsize")?,
            awburst: port("awburst")?,
            awvalid: port("awvalid")?,
            awready: port("awready")?,
            wdata: port("wdata")?,
            wstrb: port("wstrb")?,
            wlast: port("wlast")?,
            wvalid: port("wvalid")?,
            wready: port("wready")?,
            bresp: port("bresp")?,
            bvalid: port("bvalid")?,
            bready: port("bready")?,
        };
        let width = model.port_spec(p.wdata).map_or(64, |s| s.width) as u64;
        Ok(AxiMemory {
            p,
            beat_bytes: (width / 8).max(1),
            mem: vec![0; size],
            fail: vec![],
            aw_ready_probability: 1.0,
            w_ready_probability: 1.0,
            latency: 1,
            rng: ChaCha8Rng::seed_from_u64(seed),
            bursts: VecDeque::new(),
            responses: VecDeque::new(),
            aw_ready: false,
            w_ready: false,
            b_valid: false,
            bursts_done: 0,
            beats: 0,
            violations: vec![],
        })
    }

    /// Back-pressure: the chance of `awready` and of `wready` being high in a cycle.
    pub fn set_ready(&mut self, aw: f64, w: f64) {
        self.aw_ready_probability = aw.clamp(0.0, 1.0);
        self.w_ready_probability = w.clamp(0.0, 1.0);
    }

    /// Bursts touching `range` write nothing and get SLVERR.
    pub fn fail_range(&mut self, range: Range<u64>) {
        self.fail.push(range);
    }

    /// No burst waits for data or for its response.
    pub fn idle(&self) -> bool {
        self.bursts.is_empty() && self.responses.is_empty()
    }

    fn chance(&mut self, p: f64) -> bool {
        p >= 1.0 || (p > 0.0 && self.rng.random_bool(p))
    }
}

impl Agent for AxiMemory {
    fn drive(&mut self, model: &mut Model) {
        self.aw_ready = self.chance(self.aw_ready_probability);
        self.w_ready = !self.bursts.is_empty() && self.chance(self.w_ready_probability);
        let now = model.cycles();
        self.b_valid = self.responses.front().is_some_and(|(t, _)| *t <= now);
        model.set(self.p.awready, u64::from(self.aw_ready));
        model.set(self.p.wready, u64::from(self.w_ready));
        model.set(self.p.bvalid, u64::from(self.b_valid));
        let resp = self.responses.front().map_or(0, |(_, r)| *r);
        model.set(self.p.bresp, u64::from(resp));
    }

    fn observe(&mut self, model: &Model) {
        let now = model.cycles();
        let p = self.p;
        if self.b_valid && model.get(p.bready) != 0 {
            self.responses.pop_front();
            self.bursts_done += 1;
        }
        if model.get(p.wvalid) != 0 && self.bursts.is_empty() {
            self.violations
                .push(format!("cycle {now}: write data before its address"));
        }
        if self.w_ready && model.get(p.wvalid) != 0 {
            let data = model.get(p.wdata);
            let strb = model.get(p.wstrb);
            let last = model.get(p.wlast) != 0;
            let bb = self.beat_bytes;
            if let Some(b) = self.bursts.front_mut() {
                let addr = b.addr + b.done * bb;
                if b.resp == OKAY {
                    for lane in 0..bb.min(8) {
                        if (strb >> lane) & 1 == 1 {
                            self.mem[(addr + lane) as usize] = (data >> (8 * lane)) as u8;
                        }
                    }
                }
                b.done += 1;
                self.beats += 1;
                let should_end = b.done == b.beats;
                if last != should_end {
                    self.violations.push(format!(
                        "cycle {now}: wlast {last} on beat {} of a {}-beat burst",
                        b.done, b.beats
                    ));
                }
                if should_end {
                    let resp = b.resp;
                    self.bursts.pop_front();
                    self.responses.push_back((now + self.latency, resp));
                }
            }
        }
        if self.aw_ready && model.get(p.awvalid) != 0 {
            let addr = model.get(p.awaddr);
            let beats = model.get(p.awlen) + 1;
            let size = model.get(p.awsize);
            let burst = model.get(p.awburst);
            if burst != 1 {
                self.violations
                    .push(format!("cycle {now}: awburst {burst}, only INCR is served"));
            }
            if 1u64 << size != self.beat_bytes {
                self.violations.push(format!(
                    "cycle {now}: awsize {size} on a {}-byte bus",
                    self.beat_bytes
                ));
            }
            if addr % self.beat_bytes != 0 {
                self.violations
                    .push(format!("cycle {now}: unaligned awaddr {addr:#x}"));
            }
            let end = addr.saturating_add(beats * self.beat_bytes);
            if addr / 4096 != (end - 1) / 4096 {
                self.violations.push(format!(
                    "cycle {now}: burst {addr:#x}+{beats} beats crosses 4 KB"
                ));
            }
            let resp = if end > self.mem.len() as u64 {
                DECERR
            } else if self.fail.iter().any(|r| r.start < end && addr < r.end) {
                SLVERR
            } else {
                OKAY
            };
            self.bursts.push_back(Burst {
                addr,
                beats,
                done: 0,
                resp,
            });
        }
    }
}
