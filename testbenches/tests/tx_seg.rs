//! The segment transmit path (`<prefix>_tx_seg`: segment fetch unit, DMA read engine,
//! frame generator) under Verilator against the host memory model: every segment's
//! payload, gathered from its scatter-gather pieces (unaligned, across 4 KB pages),
//! leaves as exactly the frame etherparse builds from the memory bytes, with both
//! checksums right; under back-pressure and read latency on every side; a segment whose
//! read fails is not sent and is counted; full-size segments leave back to back.

use anyhow::Result;
use host_model::Resolved;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::rx::test_paths;
use testbenches::tx::{TxSegSim, random_fields, random_pieces};

const MEM: usize = 1 << 20;

fn sim(test: &str) -> Result<TxSegSim> {
    let (out, waves) = test_paths(test);
    let mut sim = TxSegSim::build(&Resolved::default_config(), &out, waves.as_deref(), MEM)?;
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for b in sim.mem.mem.iter_mut() {
        *b = rng.random();
    }
    Ok(sim)
}

#[test]
fn random_segments_match_etherparse_byte_for_byte() -> Result<()> {
    let mut sim = sim("tx_seg_random")?;
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
            let pieces = random_pieces(&mut rng, MEM, plen);
            let f = random_fields(&mut rng);
            want.push(sim.push(f, rng.random_bool(0.3), &pieces));
        }
        sim.run_until(want.len())?;
        println!("round {round}: {} frames", sim.sink.frames().len());
    }
    sim.check(&want)?;
    assert_eq!(sim.seg_errors(), 0);
    Ok(())
}

/// Segments whose reads fail (SLVERR) send no frame and are counted; the segments
/// around them are unaffected.
#[test]
fn failed_reads_send_nothing_and_count() -> Result<()> {
    let mut sim = sim("tx_seg_errors")?;
    let bad = 0x80000..0x81000u64;
    sim.mem.fail_range(bad.clone());
    sim.mem.latency = 10;
    let mut rng = ChaCha8Rng::seed_from_u64(61);
    let mut want = vec![];
    let mut failed = 0;
    for i in 0..200 {
        let plen = rng.random_range(1..=1500);
        let mut pieces = random_pieces(&mut rng, MEM, plen);
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
    assert_eq!(sim.seg_errors(), failed);
    Ok(())
}

/// Full-size (1460-byte) segments gathered from 1 to 3 pieces each, with 40 and 200
/// clocks of read latency: after the first frame, the frames leave back to back with no
/// idle clock (exact, in simulated clocks).
#[test]
fn full_size_segments_leave_back_to_back() -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(62);
    for latency in [40, 200] {
        let mut sim = sim(&format!("tx_seg_rate_{latency}"))?;
        sim.mem.latency = latency;
        let mut want = vec![];
        for _ in 0..300 {
            let mut pieces = random_pieces(&mut rng, MEM, 1460);
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
