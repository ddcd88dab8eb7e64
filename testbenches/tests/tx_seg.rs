//! The segment transmit path (`<prefix>_tx_seg`: segment fetch unit, DMA read engine,
//! frame generator) under Verilator against the host memory model: every segment's
//! payload, gathered from its scatter-gather pieces (unaligned, across 4 KB pages),
//! leaves as exactly the frame etherparse builds from the memory bytes, with both
//! checksums right; under back-pressure and read latency on every side; a segment whose
//! read fails is not sent and is counted; full-size segments leave back to back.

use anyhow::{Result, ensure};
use cosim::{Agent, AxiMemory, AxisSink, Model, PortId};
use host_model::Resolved;
use host_model::rcv::{AckFields, tcp_frame_bytes};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use testbenches::rx::{pulse_reset, test_paths, verilate_block};
use testbenches::tx::{HdrDriver, checksums_ok, random_fields};

const MEM: usize = 1 << 20;

/// Drives `s_pc_*`: `(addr, len, last, plen)` per piece.
struct PieceDriver {
    addr: PortId,
    len: PortId,
    last: PortId,
    plen: PortId,
    valid: PortId,
    ready: PortId,
    queue: VecDeque<(u64, u16, bool, u16)>,
    presenting: bool,
}

impl Agent for PieceDriver {
    fn drive(&mut self, model: &mut Model) {
        self.presenting = false;
        if let Some(&(a, l, last, plen)) = self.queue.front() {
            model.set(self.addr, a);
            model.set(self.len, l as u64);
            model.set(self.last, last as u64);
            model.set(self.plen, plen as u64);
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

struct TxSegSim {
    model: Model,
    pcs: PieceDriver,
    hdr: HdrDriver,
    mem: AxiMemory,
    sink: AxisSink,
    errors: PortId,
}

impl TxSegSim {
    fn new(test: &str) -> Result<Self> {
        let cfg = Resolved::default_config();
        let (out, waves) = test_paths(test);
        let mut model = verilate_block(&cfg, "tx_seg", &out, waves.as_deref())?;
        pulse_reset(&mut model)?;
        let p = |n: &str| model.port(&format!("s_pc_{n}"));
        let pcs = PieceDriver {
            addr: p("addr")?,
            len: p("len")?,
            last: p("last")?,
            plen: p("plen")?,
            valid: p("valid")?,
            ready: p("ready")?,
            queue: VecDeque::new(),
            presenting: false,
        };
        let hdr = HdrDriver::new(&model, "s_hdr_", false)?;
        let mut mem = AxiMemory::new(&model, "m_axi", MEM, 41)?;
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        for b in mem.mem.iter_mut() {
            *b = rng.random();
        }
        let sink = AxisSink::new(&model, "m_axis", 1.0, 42)?;
        let errors = model.port("seg_errors")?;
        Ok(TxSegSim {
            model,
            pcs,
            hdr,
            mem,
            sink,
            errors,
        })
    }

    /// Queue a segment from `pieces` (address, length); returns its expected frame.
    fn push(&mut self, f: AckFields, psh: bool, pieces: &[(u64, u16)]) -> Vec<u8> {
        let plen: u16 = pieces.iter().map(|p| p.1).sum();
        let mut payload = vec![];
        for (i, &(a, l)) in pieces.iter().enumerate() {
            payload.extend_from_slice(&self.mem.mem[a as usize..a as usize + l as usize]);
            self.pcs
                .queue
                .push_back((a, l, i + 1 == pieces.len(), plen));
        }
        let frame = tcp_frame_bytes(&f, psh, &payload).expect("fields in range");
        self.hdr.queue.push_back((f, psh, payload));
        frame
    }

    /// Run until `n` frames in all have left and the inputs are drained.
    fn run_until(&mut self, n: usize) -> Result<()> {
        let start = self.model.cycles();
        while self.sink.frames().len() < n || !self.hdr.queue.is_empty() {
            ensure!(
                self.model.cycles() - start < 2_000_000,
                "timeout: {} of {n} frames",
                self.sink.frames().len()
            );
            cosim::step(
                &mut self.model,
                &mut (&mut self.pcs, &mut self.hdr, &mut self.mem, &mut self.sink),
            );
        }
        for _ in 0..200 {
            cosim::step(
                &mut self.model,
                &mut (&mut self.pcs, &mut self.hdr, &mut self.mem, &mut self.sink),
            );
        }
        ensure!(
            self.mem.violations.is_empty(),
            "AXI rules broken: {:?}",
            &self.mem.violations[..self.mem.violations.len().min(5)]
        );
        Ok(())
    }
}

impl TxSegSim {
    /// The frames that left are exactly `want`, in order, both checksums right.
    fn check(&self, want: &[Vec<u8>]) -> Result<()> {
        let got = self.sink.frames();
        ensure!(
            got.len() == want.len(),
            "{} frames, want {}",
            got.len(),
            want.len()
        );
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            ensure!(&g.data == w, "frame {i} differs");
            ensure!(checksums_ok(&g.data), "frame {i}: checksums");
        }
        Ok(())
    }
}

/// `plen` bytes cut into 1 to 5 pieces at random addresses (unaligned, some ending or
/// starting at a 4 KB page boundary).
fn random_pieces(rng: &mut ChaCha8Rng, plen: u16) -> Vec<(u64, u16)> {
    let n = rng.random_range(1..=5.min(plen as usize));
    let mut cuts: Vec<u16> = (0..n - 1).map(|_| rng.random_range(1..plen)).collect();
    cuts.sort();
    cuts.dedup();
    let mut bounds = vec![0];
    bounds.extend(cuts);
    bounds.push(plen);
    bounds
        .windows(2)
        .map(|w| {
            let len = w[1] - w[0];
            let addr = if rng.random_bool(0.3) {
                let page = rng.random_range(1..(MEM as u64 / 4096 - 2));
                page * 4096 - rng.random_range(0..len as u64 + 1)
            } else {
                rng.random_range(0..(MEM as u64 - len as u64))
            };
            (addr, len)
        })
        .collect()
}

#[test]
fn random_segments_match_etherparse_byte_for_byte() -> Result<()> {
    let mut sim = TxSegSim::new("tx_seg_random")?;
    let mut rng = ChaCha8Rng::seed_from_u64(60);
    let mut want = vec![];
    // Rounds: (arready, rvalid probabilities, read latency, frame sink ready).
    for (round, &(ar, r, lat, ready)) in [
        (1.0, 1.0, 1, 1.0),
        (0.5, 0.7, 30, 1.0),
        (1.0, 1.0, 4, 0.4),
        (0.3, 0.5, 120, 0.8),
    ]
    .iter()
    .enumerate()
    {
        sim.mem.set_read_ready(ar, r);
        sim.mem.latency = lat;
        sim.sink.set_ready_probability(ready);
        for _ in 0..150 {
            let plen = match rng.random_range(0..4) {
                0 => rng.random_range(1..=16),
                1 => rng.random_range(17..=200),
                2 => 1460,
                _ => rng.random_range(201..=1970),
            };
            let pieces = random_pieces(&mut rng, plen);
            let f = random_fields(&mut rng);
            want.push(sim.push(f, rng.random_bool(0.3), &pieces));
        }
        sim.run_until(want.len())?;
        println!("round {round}: {} frames", sim.sink.frames().len());
    }
    sim.check(&want)?;
    assert_eq!(sim.model.get(sim.errors), 0);
    Ok(())
}

/// Segments whose reads fail (SLVERR) send no frame and are counted; the segments
/// around them are unaffected.
#[test]
fn failed_reads_send_nothing_and_count() -> Result<()> {
    let mut sim = TxSegSim::new("tx_seg_errors")?;
    let bad = 0x80000..0x81000u64;
    sim.mem.fail_range(bad.clone());
    sim.mem.latency = 10;
    let mut rng = ChaCha8Rng::seed_from_u64(61);
    let mut want = vec![];
    let mut failed = 0;
    for i in 0..200 {
        let plen = rng.random_range(1..=1500);
        let mut pieces = random_pieces(&mut rng, plen);
        let fails = i % 7 == 3;
        if fails {
            let k = rng.random_range(0..pieces.len());
            pieces[k].0 = bad.start + rng.random_range(0..(4096 - pieces[k].1 as u64));
            failed += 1;
        } else {
            for p in pieces.iter_mut() {
                if p.0 + p.1 as u64 > bad.start && p.0 < bad.end {
                    p.0 = rng.random_range(0..bad.start - p.1 as u64);
                }
            }
        }
        let frame = sim.push(random_fields(&mut rng), false, &pieces);
        if !fails {
            want.push(frame);
        }
    }
    sim.run_until(want.len())?;
    sim.check(&want)?;
    assert_eq!(sim.model.get(sim.errors), failed);
    Ok(())
}

/// Full-size (1460-byte) segments gathered from 1 to 3 pieces each, with 40 and 200
/// clocks of read latency: after the first frame, the frames leave back to back with no
/// idle clock (exact, in simulated clocks).
#[test]
fn full_size_segments_leave_back_to_back() -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(62);
    for latency in [40, 200] {
        let mut sim = TxSegSim::new(&format!("tx_seg_rate_{latency}"))?;
        sim.mem.latency = latency;
        let mut want = vec![];
        for _ in 0..300 {
            let mut pieces = random_pieces(&mut rng, 1460);
            pieces.truncate(3);
            let sum: u16 = pieces.iter().map(|p| p.1).sum();
            pieces.last_mut().expect("a piece").1 += 1460 - sum;
            let fix = pieces.last().copied().expect("a piece");
            if fix.0 as usize + fix.1 as usize > MEM {
                pieces.last_mut().expect("a piece").0 = 0;
            }
            want.push(sim.push(random_fields(&mut rng), false, &pieces));
        }
        let start = sim.model.cycles();
        sim.run_until(want.len())?;
        sim.check(&want)?;
        let f = sim.sink.frames();
        let beats: u64 = f.iter().map(|x| x.beats).sum();
        let span = f[f.len() - 1].last_cycle - f[0].first_cycle + 1;
        let payload_bits = 1460 * 8 * f.len() as u64;
        println!(
            "latency {latency}: {} segments of 1460 B, {beats} beats in {span} clocks \
             (first frame {} clocks after the first piece), {:.2} payload bits per clock",
            f.len(),
            f[0].first_cycle - start,
            payload_bits as f64 / span as f64
        );
        assert_eq!(
            span, beats,
            "idle clocks between frames (latency {latency})"
        );
    }
    Ok(())
}
