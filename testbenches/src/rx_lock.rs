//! The receive engine top (`<prefix>_rx`) under Verilator side by side with its golden
//! model, `host_model::rcv::RcvModel` (the fast path on top of the receive ring and the
//! engine core), fed by the independent reference parser. Commands must get the same
//! responses; frames must give the same events in the same order per kind (RCV_DONE,
//! RX_FRAME / FRAME_DATA, UPLOAD_REQUEST) and the same host memory.

use crate::reference::reference;
use crate::rx_sim::RxSim;
use anyhow::{Result, bail, ensure};
use host_model::proto::Event;
use host_model::rcv::{HostMemory, RcvModel};
use std::ops::Range;

/// Flat host memory as the model sees it, the twin of `cosim::AxiMemory` behind the
/// DMA write engine: a write goes out as the engine's bursts (8-byte beats from the
/// aligned start, at most 256 beats, never across 4 KB); a burst that leaves the memory
/// or touches a failing range writes nothing and fails the write, the others land.
#[derive(Debug, Clone)]
pub struct ModelMemory {
    pub bytes: Vec<u8>,
    pub fail: Vec<Range<u64>>,
}

impl HostMemory for ModelMemory {
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let s = usize::try_from(addr).ok()?;
        self.bytes.get(s..s.checked_add(len)?).map(|b| b.to_vec())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> bool {
        let Some(end) = addr.checked_add(data.len() as u64) else {
            return false;
        };
        if data.is_empty() {
            return true;
        }
        let mut ok = true;
        let mut a = addr & !7;
        while a < end {
            let b = (end.saturating_add(7) & !7)
                .min((a | 0xFFF).saturating_add(1))
                .min(a.saturating_add(256 * 8));
            let fits = b <= self.bytes.len() as u64;
            let fails = self.fail.iter().any(|r| a < r.end && r.start < b);
            if fits && !fails {
                let (s, e) = (a.max(addr), b.min(end));
                self.bytes[s as usize..e as usize]
                    .copy_from_slice(&data[(s - addr) as usize..(e - addr) as usize]);
            } else {
                ok = false;
            }
            a = b;
        }
        if std::env::var("RCV_TRACE").is_ok() {
            eprintln!("    write {addr:#x} +{}", data.len());
        }
        ok
    }
}

/// The RTL and the model side by side.
pub struct RxLock {
    pub sim: RxSim,
    pub model: RcvModel,
    pub mem: ModelMemory,
    min: u32,
    /// The delayed-ACK clock of both (it runs only in [`RxLock::advance`]).
    now: u64,
    /// ACK frames compared so far.
    pub acks: u64,
}

/// The flow an ACK frame belongs to (addresses and ports), as etherparse reads it.
pub fn ack_flow(f: &[u8]) -> Option<(Vec<u8>, Vec<u8>, u16, u16)> {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    let p = SlicedPacket::from_ethernet(f).ok()?;
    let (src, dst) = match p.net? {
        NetSlice::Ipv4(v4) => (
            v4.header().source().to_vec(),
            v4.header().destination().to_vec(),
        ),
        NetSlice::Ipv6(v6) => (
            v6.header().source().to_vec(),
            v6.header().destination().to_vec(),
        ),
        _ => return None,
    };
    match p.transport? {
        TransportSlice::Tcp(t) => Some((src, dst, t.source_port(), t.destination_port())),
        _ => None,
    }
}

impl RxLock {
    /// The model starts from the configuration and memory of `sim` (reset).
    /// The RTL's delayed-ACK clock stops (it runs in [`RxLock::advance`]); it has not
    /// run since reset when `sim` was just built.
    pub fn new(mut sim: RxSim) -> RxLock {
        sim.set_timers(false);
        let cfg = sim.config().clone();
        let mem = ModelMemory {
            bytes: sim.mem.mem.clone(),
            fail: vec![],
        };
        RxLock {
            model: RcvModel::receive_only(&cfg),
            min: cfg.config.rx.min_frame_len,
            sim,
            mem,
            now: 0,
            acks: 0,
        }
    }

    /// Let `cycles` clocks of delayed-ACK time pass on both sides, with the input
    /// drained first (ACKs that come due are sent; [`RxLock::check`] compares them).
    pub fn advance(&mut self, cycles: u64) -> Result<()> {
        self.sim.drain(64)?;
        self.sim.set_timers(true);
        self.sim.run_cycles(cycles);
        self.sim.set_timers(false);
        self.now += cycles;
        self.model.tick(self.now);
        Ok(())
    }

    /// Fill both memories with `b`.
    pub fn fill(&mut self, b: u8) {
        self.sim.mem.mem.fill(b);
        self.mem.bytes.fill(b);
    }

    /// Writes touching `r` fail on both sides.
    pub fn fail_range(&mut self, r: Range<u64>) {
        self.sim.mem.fail_range(r.clone());
        self.mem.fail.push(r);
    }

    /// One command to both: the same response, or an error naming both.
    pub fn command(&mut self, words: &[u64]) -> Result<Event> {
        let want = self.model.command_event(words, &mut self.mem).encode();
        let got = self.sim.command(words)?;
        ensure!(
            got == want,
            "RTL and model answer differently\ncommand {words:x?}\nRTL   {:?}\nmodel {:?}\n\
             words RTL {got:x?}\nwords model {want:x?}",
            Event::decode(&got),
            Event::decode(&want)
        );
        Ok(Event::decode(&want)?)
    }

    /// One frame into both (`user`: a MAC error on its last beat).
    pub fn frame(&mut self, f: Vec<u8>, user: bool) {
        if std::env::var("RCV_TRACE").is_ok() {
            let r = reference(&f, user, self.min);
            eprintln!(
                "  frame seq {:#x} len {} flags {:#x}",
                r.tcp_seq.unwrap_or(0),
                r.payload_len.unwrap_or(0),
                r.tcp_flags.unwrap_or(0)
            );
        }
        self.sim.push_frame(f.clone(), user);
        let rec = reference(&f, user, self.min).encode();
        self.model.engine_mut().lookup(&rec);
        for d in self.model.engine_mut().take_delivered() {
            self.model.deliver(&d, &f, &mut self.mem);
        }
    }

    /// Wait for the events the model produced since the last check and compare them
    /// kind by kind, in order; check that the RTL sent nothing more (after `settle`
    /// clocks with the input drained), and that host memory is the same. Returns the
    /// model's events.
    pub fn check(&mut self, what: &str, settle: u64) -> Result<Vec<Event>> {
        let evs = self.model.take_events();
        let pick = |f: &dyn Fn(&Event) -> bool| -> Vec<Vec<u64>> {
            evs.iter().filter(|e| f(e)).map(|e| e.encode()).collect()
        };
        let done = pick(&|e| matches!(e, Event::RcvDone { .. }));
        let ring = pick(&|e| matches!(e, Event::RxFrame { .. } | Event::FrameData { .. }));
        let ups = pick(&|e| matches!(e, Event::UploadRequest { .. }));
        let want_acks = self.model.take_acks();
        self.sim.wait_acks(want_acks.len())?;
        let got_done = self.sim.wait_rcv_done(done.len())?;
        let got_ring: Vec<Vec<u64>> = self
            .sim
            .wait_rx_frames(ring.len())?
            .into_iter()
            .map(|e| e.words)
            .collect();
        self.sim.drain(settle)?;
        let show = |v: &[Vec<u64>]| -> Vec<String> {
            v.iter()
                .map(|w| format!("{:?}", Event::decode(w)))
                .collect()
        };
        ensure!(
            got_done == done,
            "{what}: RCV_DONE events differ\nRTL   {:#?}\nmodel {:#?}",
            show(&got_done),
            show(&done)
        );
        ensure!(
            got_ring == ring,
            "{what}: ring events differ\nRTL   {:#?}\nmodel {:#?}",
            show(&got_ring),
            show(&ring)
        );
        let extra_done = self.sim.wait_rcv_done(0).map(|_| self.sim.rcv_done.len())?;
        ensure!(
            extra_done == 0,
            "{what}: the RTL sent {extra_done} RCV_DONE more"
        );
        let extra_ring = self.sim.rx_frames_pending();
        ensure!(
            extra_ring == 0,
            "{what}: the RTL sent {extra_ring} ring events more"
        );
        // ACK frames: the same, in the same order per connection (the RTL may
        // interleave connections differently).
        let got_acks: Vec<Vec<u8>> = self.sim.acks.drain(..).collect();
        let per_flow = |v: &[Vec<u8>]| {
            let mut m: std::collections::BTreeMap<_, Vec<Vec<u8>>> = Default::default();
            for f in v {
                m.entry(ack_flow(f)).or_default().push(f.clone());
            }
            m
        };
        let (g, w) = (per_flow(&got_acks), per_flow(&want_acks));
        if g != w {
            let hex = |v: &[Vec<u8>]| -> Vec<String> {
                v.iter()
                    .map(|f| f.iter().map(|b| format!("{b:02x}")).collect())
                    .collect()
            };
            bail!(
                "{what}: ACK frames differ: RTL sent {}, model {}\nRTL   {:#?}\nmodel {:#?}",
                got_acks.len(),
                want_acks.len(),
                hex(&got_acks),
                hex(&want_acks)
            );
        }
        self.acks += got_acks.len() as u64;
        let got_ups: Vec<Vec<u64>> = std::mem::take(&mut self.sim.unsolicited);
        ensure!(
            got_ups == ups,
            "{what}: upload requests differ\nRTL   {:?}\nmodel {:?}",
            show(&got_ups),
            show(&ups)
        );
        ensure!(
            self.sim.mem.violations.is_empty(),
            "{what}: AXI protocol violations: {:?}",
            self.sim.mem.violations
        );
        if self.sim.mem.mem != self.mem.bytes {
            let first = self
                .sim
                .mem
                .mem
                .iter()
                .zip(&self.mem.bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let diff = self
                .sim
                .mem
                .mem
                .iter()
                .zip(&self.mem.bytes)
                .filter(|(a, b)| a != b)
                .count();
            let last = self
                .sim
                .mem
                .mem
                .iter()
                .zip(&self.mem.bytes)
                .rposition(|(a, b)| a != b)
                .unwrap_or(0);
            bail!(
                "{what}: host memory differs in {diff} bytes from {first:#x} to {last:#x}: \
                 first RTL {:#04x}, model {:#04x}; this round's model events: {:?}",
                self.sim.mem.mem[first],
                self.mem.bytes[first],
                evs
            );
        }
        Ok(evs)
    }
}

/// Commands go to both (a mismatch is an empty answer, which the caller's decoding
/// rejects, and is printed); upload requests come from the RTL.
impl host_model::stack::EngineLink for RxLock {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        match RxLock::command(self, words) {
            Ok(ev) => ev.encode(),
            Err(e) => {
                eprintln!("{e:#}");
                Vec::new()
            }
        }
    }
}
