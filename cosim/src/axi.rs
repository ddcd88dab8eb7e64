//! Host memory behind an AXI4 slave port: answers a model's AXI4 master (write channels
//! `<prefix>_aw*`, `_w*`, `_b*` and/or read channels `_ar*`, `_r*`) from a byte array,
//! with configurable back-pressure and latency, and checks the master's side of the
//! protocol.
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

/// The ports of the AXI4 read channels.
#[derive(Debug, Clone, Copy)]
struct ReadPorts {
    araddr: PortId,
    arlen: PortId,
    arsize: PortId,
    arburst: PortId,
    arvalid: PortId,
    arready: PortId,
    rdata: PortId,
    rresp: PortId,
    rlast: PortId,
    rvalid: PortId,
    rready: PortId,
}

#[derive(Debug, Clone)]
struct ReadBurst {
    addr: u64,
    beats: u64,
    done: u64,
    resp: u8,
    /// First cycle its data may be presented.
    at: u64,
}

/// A byte-addressed memory (address 0 = `mem[0]`) serving an AXI4 master's write and/or
/// read channels.
#[derive(Debug)]
pub struct AxiMemory {
    p: Option<WritePorts>,
    r: Option<ReadPorts>,
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
    ar_ready_probability: f64,
    r_valid_probability: f64,
    reads: VecDeque<ReadBurst>,
    ar_ready: bool,
    r_presenting: bool,
    /// Read beats delivered.
    pub read_beats: u64,
}

impl AxiMemory {
    /// Finds the write ports `<prefix>_*` of `model`; `size` bytes of memory, all zero;
    /// the ready signals are high with probability 1 and responses come 1 clock after the
    /// last beat until changed. `seed` seeds the back-pressure.
    pub fn new(model: &Model, prefix: &str, size: usize, seed: u64) -> Result<Self, CosimError> {
        let port = |n: &str| model.port(&format!("{prefix}_{n}"));
        let has = |n: &str| model.port(&format!("{prefix}_{n}")).is_ok();
        let p = if has("awvalid") {
            Some(WritePorts {
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
            })
        } else {
            None
        };
        let r = if has("arvalid") || p.is_none() {
            Some(ReadPorts {
                araddr: port("araddr")?,
                arlen: port("arlen")?,
                arsize: port("arsize")?,
                arburst: port("arburst")?,
                arvalid: port("arvalid")?,
                arready: port("arready")?,
                rdata: port("rdata")?,
                rresp: port("rresp")?,
                rlast: port("rlast")?,
                rvalid: port("rvalid")?,
                rready: port("rready")?,
            })
        } else {
            None
        };
        let data = p.map(|p| p.wdata).or(r.map(|r| r.rdata));
        let width = data
            .and_then(|d| model.port_spec(d))
            .map_or(64, |s| s.width) as u64;
        Ok(AxiMemory {
            p,
            r,
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
            ar_ready_probability: 1.0,
            r_valid_probability: 1.0,
            reads: VecDeque::new(),
            ar_ready: false,
            r_presenting: false,
            read_beats: 0,
        })
    }

    /// Read side: the chance of `arready` being high, and of a due read beat being
    /// presented, in a cycle (read data comes `latency` clocks after its address).
    pub fn set_read_ready(&mut self, ar: f64, r: f64) {
        self.ar_ready_probability = ar.clamp(0.0, 1.0);
        self.r_valid_probability = r.clamp(0.0, 1.0);
    }

    /// The response for a burst `[addr, end)`.
    fn resp_of(&self, addr: u64, end: u64) -> u8 {
        if end > self.mem.len() as u64 {
            DECERR
        } else if self.fail.iter().any(|r| r.start < end && addr < r.end) {
            SLVERR
        } else {
            OKAY
        }
    }

    /// Checks of an address phase: burst type, size, alignment, 4 KB.
    fn check_burst(&mut self, now: u64, ch: &str, addr: u64, beats: u64, size: u64, burst: u64) {
        if burst != 1 {
            self.violations.push(format!(
                "cycle {now}: {ch}burst {burst}, only INCR is served"
            ));
        }
        if 1u64 << size.min(63) != self.beat_bytes {
            self.violations.push(format!(
                "cycle {now}: {ch}size {size} on a {}-byte bus",
                self.beat_bytes
            ));
        }
        if addr % self.beat_bytes != 0 {
            self.violations
                .push(format!("cycle {now}: unaligned {ch}addr {addr:#x}"));
        }
        let end = addr.saturating_add(beats * self.beat_bytes);
        if addr / 4096 != (end - 1) / 4096 {
            self.violations.push(format!(
                "cycle {now}: {ch} burst {addr:#x}+{beats} beats crosses 4 KB"
            ));
        }
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

    /// No burst waits for data or for its response, no read is outstanding.
    pub fn idle(&self) -> bool {
        self.bursts.is_empty() && self.responses.is_empty() && self.reads.is_empty()
    }

    fn chance(&mut self, p: f64) -> bool {
        p >= 1.0 || (p > 0.0 && self.rng.random_bool(p))
    }
}

impl AxiMemory {
    fn drive_write(&mut self, model: &mut Model, p: WritePorts) {
        self.aw_ready = self.chance(self.aw_ready_probability);
        self.w_ready = !self.bursts.is_empty() && self.chance(self.w_ready_probability);
        let now = model.cycles();
        self.b_valid = self.responses.front().is_some_and(|(t, _)| *t <= now);
        model.set(p.awready, u64::from(self.aw_ready));
        model.set(p.wready, u64::from(self.w_ready));
        model.set(p.bvalid, u64::from(self.b_valid));
        let resp = self.responses.front().map_or(0, |(_, r)| *r);
        model.set(p.bresp, u64::from(resp));
    }

    fn observe_write(&mut self, model: &Model, p: WritePorts) {
        let now = model.cycles();
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
            let (size, burst) = (model.get(p.awsize), model.get(p.awburst));
            self.check_burst(now, "aw", addr, beats, size, burst);
            let end = addr.saturating_add(beats * self.beat_bytes);
            let resp = self.resp_of(addr, end);
            self.bursts.push_back(Burst {
                addr,
                beats,
                done: 0,
                resp,
            });
        }
    }

    fn drive_read(&mut self, model: &mut Model, r: ReadPorts) {
        self.ar_ready = self.chance(self.ar_ready_probability);
        model.set(r.arready, u64::from(self.ar_ready));
        let now = model.cycles();
        if !self.r_presenting
            && self.reads.front().is_some_and(|b| b.at <= now)
            && self.chance(self.r_valid_probability)
        {
            self.r_presenting = true;
        }
        let mut data = 0u64;
        let (mut resp, mut last) = (0u8, false);
        if self.r_presenting
            && let Some(b) = self.reads.front()
        {
            let addr = b.addr + b.done * self.beat_bytes;
            if b.resp == OKAY {
                for lane in 0..self.beat_bytes.min(8) {
                    data |= u64::from(self.mem[(addr + lane) as usize]) << (8 * lane);
                }
            }
            resp = b.resp;
            last = b.done + 1 == b.beats;
        }
        model.set(r.rvalid, u64::from(self.r_presenting));
        model.set(r.rdata, data);
        model.set(r.rresp, u64::from(resp));
        model.set(r.rlast, u64::from(last));
    }

    fn observe_read(&mut self, model: &Model, r: ReadPorts) {
        let now = model.cycles();
        if self.r_presenting && model.get(r.rready) != 0 {
            self.r_presenting = false;
            self.read_beats += 1;
            if let Some(b) = self.reads.front_mut() {
                b.done += 1;
                if b.done == b.beats {
                    self.reads.pop_front();
                }
            }
        }
        if self.ar_ready && model.get(r.arvalid) != 0 {
            let addr = model.get(r.araddr);
            let beats = model.get(r.arlen) + 1;
            let (size, burst) = (model.get(r.arsize), model.get(r.arburst));
            self.check_burst(now, "ar", addr, beats, size, burst);
            let end = addr.saturating_add(beats * self.beat_bytes);
            let resp = self.resp_of(addr, end);
            self.reads.push_back(ReadBurst {
                addr,
                beats,
                done: 0,
                resp,
                at: now + self.latency,
            });
        }
    }
}

impl Agent for AxiMemory {
    fn drive(&mut self, model: &mut Model) {
        if let Some(p) = self.p {
            self.drive_write(model, p);
        }
        if let Some(r) = self.r {
            self.drive_read(model, r);
        }
    }

    fn observe(&mut self, model: &Model) {
        if let Some(p) = self.p {
            self.observe_write(model, p);
        }
        if let Some(r) = self.r {
            self.observe_read(model, r);
        }
    }
}
