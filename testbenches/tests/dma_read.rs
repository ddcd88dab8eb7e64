//! The DMA read engine under Verilator against the host memory model: every request's
//! bytes come out exactly as in memory, packed, in order; the AXI4 rules hold; errors are
//! answered, not hung.

use anyhow::Result;
use host_model::Resolved;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::dma::DmaReadSim;

const MEM: usize = 1 << 20;

/// Random reads (unaligned, 1 byte to 20 KB, across 4 KB boundaries) under random stalls
/// on every side: each request's frame equals the memory bytes, completions OK in order.
#[test]
fn random_reads_are_byte_exact() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = DmaReadSim::for_test(&cfg, "dma_read_random", MEM)?;
    let mut rng = ChaCha8Rng::seed_from_u64(2027);
    for b in sim.mem.mem.iter_mut() {
        *b = rng.random();
    }
    let mut reqs = vec![];
    for round in 0..4 {
        let (ar, r, lat, dr, cr) = [
            (1.0, 1.0, 1, 1.0, 1.0),
            (0.5, 0.7, 12, 0.6, 0.5),
            (0.9, 0.3, 2, 0.9, 0.9),
            (0.2, 0.9, 30, 0.3, 0.2),
        ][round];
        sim.set_drive(ar, r, lat, dr, cr);
        for _ in 0..150 {
            let len: u16 = match rng.random_range(0..4) {
                0 => rng.random_range(1..=24),
                1 => rng.random_range(25..=1600),
                2 => rng.random_range(1600..=9000),
                _ => rng.random_range(9000..=20000),
            };
            let addr = if rng.random_bool(0.5) {
                let page = rng.random_range(1..(MEM as u64 / 4096 - 6));
                (page * 4096).saturating_sub(rng.random_range(0..24))
            } else {
                rng.random_range(0..(MEM as u64 - 20_001))
            };
            let tag = reqs.len() as u16;
            sim.push(addr, len, tag);
            reqs.push((addr, len, tag));
        }
        let (done, frames) = sim.wait_done(reqs.len())?;
        assert_eq!(
            done.iter().map(|d| (d.tag, d.status)).collect::<Vec<_>>(),
            reqs.iter().map(|r| (r.2, 0)).collect::<Vec<_>>(),
            "round {round}"
        );
        assert_eq!(
            frames.len(),
            reqs.len(),
            "round {round}: one frame per request"
        );
        for (f, (addr, len, tag)) in frames.iter().zip(&reqs) {
            let want = &sim.mem.mem[*addr as usize..*addr as usize + *len as usize];
            assert!(
                f.data == want,
                "request {tag}: {len} bytes at {addr:#x} differ"
            );
        }
        assert!(sim.mem.violations.is_empty(), "{:?}", sim.mem.violations);
    }
    Ok(())
}

/// Zero length (no frame, status 4), past the end of memory (DECERR), a failing range
/// (SLVERR): answered, with the requests around them read normally.
#[test]
fn read_errors_are_answered_and_the_engine_goes_on() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = DmaReadSim::for_test(&cfg, "dma_read_errors", MEM)?;
    for (i, b) in sim.mem.mem.iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    sim.mem.fail_range(0x8000..0x8100);
    let reqs: [(u64, u16, u16); 5] = [
        (0x101, 100, 1),
        (0x200, 0, 2),
        (MEM as u64 - 50, 100, 3),
        (0x7FF0, 0x40, 4),
        (0x303, 9, 5),
    ];
    for (a, l, t) in reqs {
        sim.push(a, l, t);
    }
    let (done, frames) = sim.wait_done(reqs.len())?;
    assert_eq!(
        done.iter().map(|d| (d.tag, d.status)).collect::<Vec<_>>(),
        vec![(1, 0), (2, 4), (3, 3), (4, 2), (5, 0)]
    );
    assert_eq!(frames.len(), 4, "no frame for the zero-length request");
    assert_eq!(frames[0].data, sim.mem.mem[0x101..0x165].to_vec());
    assert_eq!(
        frames[1].data.len(),
        100,
        "a failed read still delivers its length"
    );
    assert_eq!(frames[3].data, sim.mem.mem[0x303..0x30c].to_vec());
    assert!(sim.mem.violations.is_empty(), "{:?}", sim.mem.violations);
    Ok(())
}

/// Memory and sink always ready: an unaligned 65,535-byte read streams out at one beat per
/// clock.
#[test]
fn reads_stream_at_one_beat_per_clock() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = DmaReadSim::for_test(&cfg, "dma_read_rate", MEM)?;
    for (i, b) in sim.mem.mem.iter_mut().enumerate() {
        *b = (i * 13) as u8;
    }
    sim.push(0x1005, 65_535, 9);
    let (_, frames) = sim.wait_done(1)?;
    let f = &frames[0];
    assert_eq!(f.data, sim.mem.mem[0x1005..0x1005 + 65_535].to_vec());
    let span = f.last_cycle - f.first_cycle + 1;
    eprintln!("65,535-byte read: {} beats in {span} clocks", f.beats);
    assert_eq!(span, f.beats, "no idle clock inside the frame");
    Ok(())
}

/// Memory and sink always ready: 100 back-to-back 1,500-byte reads leave at most one
/// idle clock between requests (the clock that emits a request's last beat when its
/// reads are all in; a read that needs one beat more than it outputs has none).
#[test]
fn back_to_back_reads_leave_at_most_one_idle_clock() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = DmaReadSim::for_test(&cfg, "dma_read_b2b", MEM)?;
    for (i, b) in sim.mem.mem.iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    let addr = |i: u64| 0x2000 + i * 1531;
    for i in 0..100u64 {
        sim.push(addr(i), 1500, i as u16);
    }
    let (_, frames) = sim.wait_done(100)?;
    for (i, f) in frames.iter().enumerate() {
        let a = addr(i as u64) as usize;
        assert_eq!(f.data, sim.mem.mem[a..a + 1500].to_vec(), "request {i}");
    }
    let beats: u64 = frames.iter().map(|f| f.beats).sum();
    let span = frames[99].last_cycle - frames[0].first_cycle + 1;
    eprintln!("100 x 1500-byte reads: {beats} beats in {span} clocks");
    assert!(
        span <= beats + 99,
        "more than one idle clock between requests: {beats} beats in {span} clocks"
    );
    Ok(())
}
