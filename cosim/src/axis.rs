//! AXI4-Stream drivers and monitors, and the cycle loop that runs them.
//!
//! Every agent implements [`Agent`], whose two methods correspond to the phases of one clock
//! cycle (see the [crate documentation](crate)): [`Agent::drive`] sets this cycle's inputs
//! and [`Agent::observe`] sees the settled outputs just before the rising edge and decides
//! which handshakes (`tvalid && tready`) happen at that edge.
//!
//! Ports are found by name: an agent with prefix `rx` uses `rx_tdata`, `rx_tvalid`, etc.
//! Beats are little-endian: byte `i` of a beat travels in `tdata[8*i+7 : 8*i]` and is
//! qualified by `tkeep[i]`.

use std::collections::VecDeque;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::CosimError;
use crate::model::{Model, PortId};
use crate::verilate::Dir;

/// Something that takes part in the cycle protocol. The agents of this crate also have
/// `drive` and `observe` as inherent methods, so hand-written loops need not import this
/// trait.
pub trait Agent {
    /// Phase (a): set this cycle's inputs. Must not depend on outputs of the model.
    fn drive(&mut self, model: &mut Model);
    /// Phase (c): look at the settled outputs and record the handshakes of the coming
    /// rising edge, numbered [`Model::cycles`].
    fn observe(&mut self, model: &Model);
}

impl<T: Agent + ?Sized> Agent for &mut T {
    fn drive(&mut self, model: &mut Model) {
        (**self).drive(model);
    }
    fn observe(&mut self, model: &Model) {
        (**self).observe(model);
    }
}

impl<T: Agent + ?Sized> Agent for Box<T> {
    fn drive(&mut self, model: &mut Model) {
        (**self).drive(model);
    }
    fn observe(&mut self, model: &Model) {
        (**self).observe(model);
    }
}

/// A group of agents run together: tuples of up to eight agents, slices, arrays and
/// vectors. Members drive, and later observe, in order.
pub trait Agents {
    /// Runs [`Agent::drive`] of every member.
    fn drive_all(&mut self, model: &mut Model);
    /// Runs [`Agent::observe`] of every member.
    fn observe_all(&mut self, model: &Model);
}

impl<A: Agent> Agents for [A] {
    fn drive_all(&mut self, model: &mut Model) {
        self.iter_mut().for_each(|a| a.drive(model));
    }
    fn observe_all(&mut self, model: &Model) {
        self.iter_mut().for_each(|a| a.observe(model));
    }
}

impl<A: Agent, const N: usize> Agents for [A; N] {
    fn drive_all(&mut self, model: &mut Model) {
        self.as_mut_slice().drive_all(model);
    }
    fn observe_all(&mut self, model: &Model) {
        self.as_mut_slice().observe_all(model);
    }
}

impl<A: Agent> Agents for Vec<A> {
    fn drive_all(&mut self, model: &mut Model) {
        self.as_mut_slice().drive_all(model);
    }
    fn observe_all(&mut self, model: &Model) {
        self.as_mut_slice().observe_all(model);
    }
}

impl Agents for () {
    fn drive_all(&mut self, _model: &mut Model) {}
    fn observe_all(&mut self, _model: &Model) {}
}

macro_rules! agents_tuple {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Agent),+> Agents for ($($name,)+) {
            fn drive_all(&mut self, model: &mut Model) {
                $(self.$idx.drive(model);)+
            }
            fn observe_all(&mut self, model: &Model) {
                $(self.$idx.observe(model);)+
            }
        }
    };
}
agents_tuple!(A 0);
agents_tuple!(A 0, B 1);
agents_tuple!(A 0, B 1, C 2);
agents_tuple!(A 0, B 1, C 2, D 3);
agents_tuple!(A 0, B 1, C 2, D 3, E 4);
agents_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
agents_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
agents_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Runs one clock cycle of the protocol: (a) agents drive, (b) clock low + `eval`
/// ([`Model::settle_low`]), (c) agents observe, (d) the rising edge ([`Model::rise`]).
pub fn step<A: Agents + ?Sized>(model: &mut Model, agents: &mut A) {
    agents.drive_all(model);
    // Clock low + eval settles the new inputs: outputs are observed in the low phase,
    // then the rising edge. Two evaluations per cycle.
    model.settle_low();
    agents.observe_all(model);
    model.rise();
}

/// Runs cycles until `done` returns `true` (checked before every cycle) or `max_cycles`
/// cycles have run, returning the number of cycles run or [`CosimError::Timeout`].
pub fn run_until<A, F>(
    model: &mut Model,
    agents: &mut A,
    max_cycles: u64,
    mut done: F,
) -> Result<u64, CosimError>
where
    A: Agents + ?Sized,
    F: FnMut(&Model, &A) -> bool,
{
    let mut ran = 0;
    loop {
        if done(model, agents) {
            return Ok(ran);
        }
        if ran >= max_cycles {
            return Err(CosimError::Timeout {
                cycles: ran,
                at_cycle: model.cycles(),
            });
        }
        step(model, agents);
        ran += 1;
    }
}

/// A model plus a default cycle limit, for testbenches.
///
/// ```no_run
/// # fn demo(model: cosim::Model) -> Result<(), cosim::CosimError> {
/// use cosim::{AxisSink, AxisSource, Bench};
/// let mut bench = Bench::new(model).with_timeout(10_000);
/// let mut src = AxisSource::new(&bench.model, "s_axis", 0.0, 1)?;
/// let mut sink = AxisSink::new(&bench.model, "m_axis", 1.0, 2)?;
/// src.push(vec![1, 2, 3], false);
/// bench.run_until(&mut (&mut src, &mut sink), |_, (_, sink)| sink.frames().len() == 1)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Bench {
    /// The model under test.
    pub model: Model,
    /// Cycle limit of each [`run_until`](Bench::run_until) call.
    pub timeout: u64,
}

impl Bench {
    /// Default cycle limit of [`Bench::run_until`].
    pub const DEFAULT_TIMEOUT: u64 = 1_000_000;

    /// Wraps a model, with [`Bench::DEFAULT_TIMEOUT`].
    pub fn new(model: Model) -> Self {
        Bench {
            model,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Sets the cycle limit of each [`run_until`](Bench::run_until) call.
    pub fn with_timeout(mut self, cycles: u64) -> Self {
        self.timeout = cycles;
        self
    }

    /// One cycle; see [`step`].
    pub fn step<A: Agents + ?Sized>(&mut self, agents: &mut A) {
        step(&mut self.model, agents);
    }

    /// Exactly `n` cycles.
    pub fn run_cycles<A: Agents + ?Sized>(&mut self, agents: &mut A, n: u64) {
        for _ in 0..n {
            step(&mut self.model, agents);
        }
    }

    /// Runs until `done` holds (checked before each cycle), at most [`Bench::timeout`]
    /// cycles; returns the number of cycles run.
    pub fn run_until<A, F>(&mut self, agents: &mut A, done: F) -> Result<u64, CosimError>
    where
        A: Agents + ?Sized,
        F: FnMut(&Model, &A) -> bool,
    {
        run_until(&mut self.model, agents, self.timeout, done)
    }
}

/// Clamps a probability into `[0, 1]`, mapping NaN to 0.
fn probability(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

/// Looks up `<prefix>_<suffix>` and checks its direction.
fn stream_port(model: &Model, prefix: &str, suffix: &str, dir: Dir) -> Result<PortId, CosimError> {
    let name = format!("{prefix}_{suffix}");
    let id = model.port(&name)?;
    check_dir(model, id, &name, dir)?;
    Ok(id)
}

/// Like [`stream_port`] but `None` when the port does not exist.
fn optional_port(
    model: &Model,
    prefix: &str,
    suffix: &str,
    dir: Dir,
) -> Result<Option<PortId>, CosimError> {
    let name = format!("{prefix}_{suffix}");
    match model.port(&name) {
        Ok(id) => check_dir(model, id, &name, dir).map(|()| Some(id)),
        Err(_) => Ok(None),
    }
}

fn check_dir(model: &Model, id: PortId, name: &str, dir: Dir) -> Result<(), CosimError> {
    let actual = model.port_spec(id).map(|s| s.dir);
    if actual == Some(dir) {
        Ok(())
    } else {
        Err(CosimError::BadPort {
            name: name.to_string(),
            reason: format!("expected a model {dir:?}put, found {actual:?}"),
        })
    }
}

/// The data and keep ports of a byte-oriented stream.
#[derive(Debug, Clone, Copy)]
struct DataPorts {
    tdata: PortId,
    tkeep: Option<PortId>,
    /// Bytes per beat.
    lanes: usize,
}

impl DataPorts {
    fn new(model: &Model, prefix: &str, dir: Dir) -> Result<Self, CosimError> {
        let tdata = stream_port(model, prefix, "tdata", dir)?;
        let width = model.width(tdata);
        if !width.is_multiple_of(8) {
            return Err(CosimError::BadPort {
                name: format!("{prefix}_tdata"),
                reason: format!("width {width} is not a whole number of bytes"),
            });
        }
        let lanes = width / 8;
        let tkeep = optional_port(model, prefix, "tkeep", dir)?;
        if let Some(k) = tkeep
            && model.width(k) != lanes
        {
            return Err(CosimError::BadPort {
                name: format!("{prefix}_tkeep"),
                reason: format!("width {} but tdata has {lanes} byte lanes", model.width(k)),
            });
        }
        Ok(DataPorts {
            tdata,
            tkeep,
            lanes,
        })
    }
}

/// Packs bytes little-endian into 32-bit words.
fn pack_words(bytes: &[u8], words: &mut [u32]) {
    words.fill(0);
    for (i, &b) in bytes.iter().enumerate() {
        words[i / 4] |= u32::from(b) << (8 * (i % 4));
    }
}

/// Sets a port from a bit mask of `n` ones starting at bit 0.
fn set_ones(model: &mut Model, port: PortId, n: usize, scratch: &mut Vec<u32>) {
    if n <= 64 {
        model.set(port, if n == 64 { u64::MAX } else { (1u64 << n) - 1 });
    } else {
        scratch.clear();
        scratch.resize(n.div_ceil(32), 0);
        for i in 0..n {
            scratch[i / 32] |= 1 << (i % 32);
        }
        model.set_wide(port, scratch);
    }
}

/// Drives an AXI4-Stream input of the model (`<prefix>_tdata`, `_tvalid`, `_tready`,
/// and optionally `_tlast`, `_tkeep` and `_tuser`) from a queue of frames (without
/// `_tlast`, the receiver must know where a frame ends, e.g. from a length).
///
/// Each frame becomes `ceil(len / bytes_per_beat)` beats; `tkeep` is all ones except on
/// the last beat, where it covers the remaining bytes from lane 0; `tuser` is asserted on
/// the last beat of frames queued with `user = true`. An empty frame is sent as one beat
/// with `tkeep = 0`. Without a `tkeep` port the last beat is zero-padded.
///
/// Once `tvalid` is asserted, the beat is held until accepted (AXI4-Stream rule). Before
/// presenting a new beat, the source stays idle for a cycle with the configured idle
/// probability; with probability 0, `tvalid` is high whenever data is queued and frames
/// follow each other without gaps.
#[derive(Debug)]
pub struct AxisSource {
    name: String,
    data: DataPorts,
    tvalid: PortId,
    tready: PortId,
    tlast: Option<PortId>,
    tuser: Option<PortId>,
    queue: VecDeque<(Vec<u8>, bool)>,
    /// Offset in the front frame of the beat being presented or next to present.
    offset: usize,
    /// A beat is presented (tvalid high) this cycle.
    presenting: bool,
    idle_probability: f64,
    rng: ChaCha8Rng,
    beats_sent: u64,
    frames_sent: u64,
    words: Vec<u32>,
    scratch: Vec<u32>,
}

impl AxisSource {
    /// Finds the ports `<prefix>_*` of `model`. `idle_probability` (clamped to `[0, 1]`)
    /// is the chance of an idle cycle before each beat; `seed` seeds its random generator.
    pub fn new(
        model: &Model,
        prefix: &str,
        idle_probability: f64,
        seed: u64,
    ) -> Result<Self, CosimError> {
        let data = DataPorts::new(model, prefix, Dir::In)?;
        Ok(AxisSource {
            name: prefix.to_string(),
            data,
            tvalid: stream_port(model, prefix, "tvalid", Dir::In)?,
            tready: stream_port(model, prefix, "tready", Dir::Out)?,
            tlast: optional_port(model, prefix, "tlast", Dir::In)?,
            tuser: optional_port(model, prefix, "tuser", Dir::In)?,
            queue: VecDeque::new(),
            offset: 0,
            presenting: false,
            idle_probability: probability(idle_probability),
            rng: ChaCha8Rng::seed_from_u64(seed),
            beats_sent: 0,
            frames_sent: 0,
            words: vec![0; data.lanes.div_ceil(4)],
            scratch: Vec::new(),
        })
    }

    /// Changes the idle probability (clamped to `[0, 1]`).
    pub fn set_idle_probability(&mut self, p: f64) {
        self.idle_probability = probability(p);
    }

    /// Queues a frame; `user` asserts `tuser` on its last beat.
    pub fn push(&mut self, frame: Vec<u8>, user: bool) {
        self.queue.push_back((frame, user));
    }

    /// Queues several frames with `tuser` low.
    pub fn extend<I: IntoIterator<Item = Vec<u8>>>(&mut self, frames: I) {
        self.queue.extend(frames.into_iter().map(|f| (f, false)));
    }

    /// Frames not yet completely sent (including a partly sent one).
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// `true` when every queued frame has been sent.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Beats accepted by the model so far.
    pub fn beats_sent(&self) -> u64 {
        self.beats_sent
    }

    /// Frames completely accepted by the model so far.
    pub fn frames_sent(&self) -> u64 {
        self.frames_sent
    }

    /// Bytes per beat (`tdata` width / 8).
    pub fn bytes_per_beat(&self) -> usize {
        self.data.lanes
    }

    /// The port prefix.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn present_beat(&mut self, model: &mut Model) {
        let Some((frame, user)) = self.queue.front() else {
            return;
        };
        let lanes = self.data.lanes;
        let end = (self.offset + lanes).min(frame.len());
        let chunk = &frame[self.offset.min(end)..end];
        let last = end == frame.len();
        let user = last && *user;
        let nbytes = chunk.len();
        pack_words(chunk, &mut self.words);
        if lanes <= 8 {
            let v = u64::from(self.words[0]) | self.words.get(1).map_or(0, |&w| u64::from(w) << 32);
            model.set(self.data.tdata, v);
        } else {
            model.set_wide(self.data.tdata, &self.words);
        }
        if let Some(k) = self.data.tkeep {
            set_ones(
                model,
                k,
                if last { nbytes } else { lanes },
                &mut self.scratch,
            );
        }
        if let Some(t) = self.tlast {
            model.set(t, u64::from(last));
        }
        if let Some(u) = self.tuser {
            model.set(u, u64::from(user));
        }
    }

    /// Phase (a): presents the next beat (or keeps the current one) and sets `tvalid`.
    pub fn drive(&mut self, model: &mut Model) {
        if !self.presenting && !self.queue.is_empty() {
            let idle = self.idle_probability > 0.0 && self.rng.random_bool(self.idle_probability);
            if !idle {
                self.presenting = true;
                self.present_beat(model);
            }
        }
        model.set(self.tvalid, u64::from(self.presenting));
    }

    /// Phase (c): if `tready` is high while a beat is presented, that beat is taken at the coming edge.
    pub fn observe(&mut self, model: &Model) {
        if !self.presenting || model.get(self.tready) == 0 {
            return;
        }
        self.presenting = false;
        self.beats_sent += 1;
        let Some((frame, _)) = self.queue.front() else {
            return;
        };
        self.offset += self.data.lanes;
        if self.offset >= frame.len() {
            self.queue.pop_front();
            self.offset = 0;
            self.frames_sent += 1;
        }
    }
}

impl Agent for AxisSource {
    fn drive(&mut self, model: &mut Model) {
        AxisSource::drive(self, model);
    }
    fn observe(&mut self, model: &Model) {
        AxisSource::observe(self, model);
    }
}

/// A frame collected by an [`AxisSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFrame {
    /// The bytes whose `tkeep` bit was set, in lane order.
    pub data: Vec<u8>,
    /// `tuser` on the last beat.
    pub user: bool,
    /// Cycle ([`Model::cycles`]) of the first beat's handshake.
    pub first_cycle: u64,
    /// Cycle of the last beat's handshake.
    pub last_cycle: u64,
    /// Number of beats.
    pub beats: u64,
}

/// Receives an AXI4-Stream output of the model (`<prefix>_tdata`, `_tvalid`, `_tready`,
/// `_tlast`, and optionally `_tkeep` and `_tuser`) and reassembles frames.
///
/// `tready` is asserted each cycle with the configured probability (1.0, the default, means
/// always ready), independently of `tvalid`.
#[derive(Debug)]
pub struct AxisSink {
    name: String,
    data: DataPorts,
    tvalid: PortId,
    tready: PortId,
    tlast: PortId,
    tuser: Option<PortId>,
    ready_probability: f64,
    rng: ChaCha8Rng,
    ready: bool,
    current: Option<ReceivedFrame>,
    frames: Vec<ReceivedFrame>,
    beats_received: u64,
    words: Vec<u32>,
    keep: Vec<u32>,
}

impl AxisSink {
    /// Finds the ports `<prefix>_*` of `model`. `ready_probability` (clamped to `[0, 1]`;
    /// 1 = always ready) is the chance of `tready` being high in a cycle; `seed` seeds its
    /// random generator.
    pub fn new(
        model: &Model,
        prefix: &str,
        ready_probability: f64,
        seed: u64,
    ) -> Result<Self, CosimError> {
        Ok(AxisSink {
            name: prefix.to_string(),
            data: DataPorts::new(model, prefix, Dir::Out)?,
            tvalid: stream_port(model, prefix, "tvalid", Dir::Out)?,
            tready: stream_port(model, prefix, "tready", Dir::In)?,
            tlast: stream_port(model, prefix, "tlast", Dir::Out)?,
            tuser: optional_port(model, prefix, "tuser", Dir::Out)?,
            ready_probability: probability(ready_probability),
            rng: ChaCha8Rng::seed_from_u64(seed),
            ready: false,
            current: None,
            frames: Vec::new(),
            beats_received: 0,
            words: Vec::new(),
            keep: Vec::new(),
        })
    }

    /// Changes the ready probability (clamped to `[0, 1]`).
    pub fn set_ready_probability(&mut self, p: f64) {
        self.ready_probability = probability(p);
    }

    /// Frames completed so far.
    pub fn frames(&self) -> &[ReceivedFrame] {
        &self.frames
    }

    /// Removes and returns the frames completed so far.
    pub fn take_frames(&mut self) -> Vec<ReceivedFrame> {
        std::mem::take(&mut self.frames)
    }

    /// Beats received so far.
    pub fn beats_received(&self) -> u64 {
        self.beats_received
    }

    /// `true` while a frame has started but its last beat has not arrived.
    pub fn in_frame(&self) -> bool {
        self.current.is_some()
    }

    /// The port prefix.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Phase (a): decides and sets `tready` for this cycle.
    pub fn drive(&mut self, model: &mut Model) {
        self.ready = self.ready_probability >= 1.0
            || (self.ready_probability > 0.0 && self.rng.random_bool(self.ready_probability));
        model.set(self.tready, u64::from(self.ready));
    }

    /// Phase (c): takes the beat if `tvalid` and `tready` are both high.
    pub fn observe(&mut self, model: &Model) {
        let cycle = model.cycles();
        if !self.ready || model.get(self.tvalid) == 0 {
            return;
        }
        self.beats_received += 1;
        let lanes = self.data.lanes;
        model.get_wide(self.data.tdata, &mut self.words);
        let keep_all = self.data.tkeep.is_none();
        if let Some(k) = self.data.tkeep {
            model.get_wide(k, &mut self.keep);
        }
        let frame = self.current.get_or_insert_with(|| ReceivedFrame {
            data: Vec::new(),
            user: false,
            first_cycle: cycle,
            last_cycle: cycle,
            beats: 0,
        });
        for lane in 0..lanes {
            if keep_all || (self.keep[lane / 32] >> (lane % 32)) & 1 != 0 {
                frame
                    .data
                    .push((self.words[lane / 4] >> (8 * (lane % 4))) as u8);
            }
        }
        frame.beats += 1;
        frame.last_cycle = cycle;
        if model.get(self.tlast) != 0 {
            frame.user = self.tuser.is_some_and(|u| model.get(u) != 0);
            if let Some(done) = self.current.take() {
                self.frames.push(done);
            }
        }
    }
}

impl Agent for AxisSink {
    fn drive(&mut self, model: &mut Model) {
        AxisSink::drive(self, model);
    }
    fn observe(&mut self, model: &Model) {
        AxisSink::observe(self, model);
    }
}

/// One transfer collected by a [`RecordSink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `tdata` as 32-bit words, least significant first.
    pub words: Vec<u32>,
    /// Cycle ([`Model::cycles`]) of the handshake.
    pub cycle: u64,
}

impl Record {
    /// The low 64 bits of `tdata`.
    pub fn low_u64(&self) -> u64 {
        let lo = self.words.first().copied().unwrap_or(0);
        let hi = self.words.get(1).copied().unwrap_or(0);
        u64::from(lo) | (u64::from(hi) << 32)
    }
}

/// Receives a stream with only `<prefix>_tdata`, `_tvalid` and `_tready` (e.g. metadata
/// records), keeping every transfer.
#[derive(Debug)]
pub struct RecordSink {
    name: String,
    tdata: PortId,
    tvalid: PortId,
    tready: PortId,
    ready_probability: f64,
    rng: ChaCha8Rng,
    ready: bool,
    records: Vec<Record>,
}

impl RecordSink {
    /// Finds the ports `<prefix>_tdata`, `_tvalid` and `_tready`. `ready_probability`
    /// (clamped to `[0, 1]`; 1 = always ready) is the chance of `tready` being high in a
    /// cycle; `seed` seeds its random generator.
    pub fn new(
        model: &Model,
        prefix: &str,
        ready_probability: f64,
        seed: u64,
    ) -> Result<Self, CosimError> {
        Ok(RecordSink {
            name: prefix.to_string(),
            tdata: stream_port(model, prefix, "tdata", Dir::Out)?,
            tvalid: stream_port(model, prefix, "tvalid", Dir::Out)?,
            tready: stream_port(model, prefix, "tready", Dir::In)?,
            ready_probability: probability(ready_probability),
            rng: ChaCha8Rng::seed_from_u64(seed),
            ready: false,
            records: Vec::new(),
        })
    }

    /// Changes the ready probability (clamped to `[0, 1]`).
    pub fn set_ready_probability(&mut self, p: f64) {
        self.ready_probability = probability(p);
    }

    /// Transfers received so far.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Removes and returns the transfers received so far.
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// The port prefix.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Phase (a): decides and sets `tready` for this cycle.
    pub fn drive(&mut self, model: &mut Model) {
        self.ready = self.ready_probability >= 1.0
            || (self.ready_probability > 0.0 && self.rng.random_bool(self.ready_probability));
        model.set(self.tready, u64::from(self.ready));
    }

    /// Phase (c): records the transfer if `tvalid` and `tready` are both high.
    pub fn observe(&mut self, model: &Model) {
        let cycle = model.cycles();
        if self.ready && model.get(self.tvalid) != 0 {
            let mut words = Vec::new();
            model.get_wide(self.tdata, &mut words);
            self.records.push(Record { words, cycle });
        }
    }
}

impl Agent for RecordSink {
    fn drive(&mut self, model: &mut Model) {
        RecordSink::drive(self, model);
    }
    fn observe(&mut self, model: &Model) {
        RecordSink::observe(self, model);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_little_endian() {
        let mut w = [0u32; 2];
        pack_words(&[1, 2, 3, 4, 5], &mut w);
        assert_eq!(w, [0x0403_0201, 0x05]);
    }

    #[test]
    fn clamps_probabilities() {
        assert_eq!(probability(f64::NAN), 0.0);
        assert_eq!(probability(-1.0), 0.0);
        assert_eq!(probability(2.0), 1.0);
        assert_eq!(probability(0.25), 0.25);
    }
}
