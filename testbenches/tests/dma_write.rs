//! The DMA write engine under Verilator against the host memory model: every byte lands
//! where a plain Rust copy puts it, the AXI4 rules hold, errors are answered, not hung.

use anyhow::Result;
use host_model::Resolved;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::dma::{DmaWriteSim, WriteReq};

const MEM: usize = 1 << 20;

fn random_req(rng: &mut ChaCha8Rng, tag: u16) -> WriteReq {
    let len = match rng.random_range(0..10) {
        0..=3 => rng.random_range(1..=24),
        4..=6 => rng.random_range(25..=1600),
        7 => rng.random_range(1600..=9000),
        8 => 2048 * rng.random_range(1..=4) + rng.random_range(0..3) - 1,
        _ => rng.random_range(9000..=20000),
    };
    // Near 4 KB boundaries half of the time.
    let addr = if rng.random_bool(0.5) {
        let page = rng.random_range(1..(MEM as u64 / 4096 - 6));
        (page * 4096).saturating_sub(rng.random_range(0..24))
    } else {
        rng.random_range(0..(MEM as u64 - 20_001))
    };
    let data = (0..len).map(|_| rng.random()).collect();
    WriteReq { addr, data, tag }
}

/// Random requests (unaligned, 1 byte to 20 KB, across 4 KB boundaries, overlapping)
/// under random stalls on every side: the memory ends up exactly as the requests applied
/// in order say; every request completes OK, in order; the bursts obey AXI4.
#[test]
fn random_writes_land_byte_exact() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = DmaWriteSim::for_test(&cfg, "dma_write_random", MEM)?;
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut want = vec![0u8; MEM];
    let mut tags = vec![];
    for round in 0..4 {
        let (idle, aw, w, dr, lat) = [
            (0.0, 1.0, 1.0, 1.0, 1),
            (0.3, 0.5, 0.7, 0.5, 17),
            (0.05, 0.9, 0.3, 0.9, 3),
            (0.5, 0.2, 0.9, 0.2, 40),
        ][round];
        sim.set_drive(idle, aw, w, dr, lat);
        for _ in 0..150 {
            let tag = tags.len() as u16;
            let r = random_req(&mut rng, tag);
            want[r.addr as usize..r.addr as usize + r.data.len()].copy_from_slice(&r.data);
            sim.push(&r);
            tags.push(tag);
        }
        let done = sim.wait_done(tags.len())?;
        assert_eq!(
            done.iter().map(|d| (d.tag, d.status)).collect::<Vec<_>>(),
            tags.iter().map(|t| (*t, 0)).collect::<Vec<_>>(),
            "round {round}: one OK completion per request, in order"
        );
        assert!(sim.mem.violations.is_empty(), "{:?}", sim.mem.violations);
        if let Some(i) = (0..MEM).find(|&i| sim.mem.mem[i] != want[i]) {
            panic!(
                "round {round}: byte {i:#x} is {:#04x}, want {:#04x}",
                sim.mem.mem[i], want[i]
            );
        }
    }
    Ok(())
}

/// Zero length, a burst past the end of memory (DECERR) and a failing range (SLVERR)
/// each get their status (the worst of the request's bursts); the failing bursts write
/// nothing; the requests around them are written normally.
#[test]
fn errors_are_answered_and_the_engine_goes_on() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = DmaWriteSim::for_test(&cfg, "dma_write_errors", MEM)?;
    sim.mem.fail_range(0x8000..0x8100);
    let reqs = [
        WriteReq {
            addr: 0x100,
            data: vec![1; 100],
            tag: 1,
        },
        WriteReq {
            addr: 0x200,
            data: vec![],
            tag: 2,
        },
        WriteReq {
            addr: MEM as u64 - 50,
            data: vec![3; 100],
            tag: 3,
        },
        WriteReq {
            addr: 0x7FF0,
            data: vec![4; 0x40],
            tag: 4,
        },
        WriteReq {
            addr: u64::MAX - 7,
            data: vec![5; 5],
            tag: 5,
        },
        WriteReq {
            addr: 0x300,
            data: vec![6; 9],
            tag: 6,
        },
    ];
    for r in &reqs {
        sim.push(r);
    }
    let done = sim.wait_done(reqs.len())?;
    assert_eq!(
        done.iter().map(|d| (d.tag, d.status)).collect::<Vec<_>>(),
        vec![(1, 0), (2, 4), (3, 3), (4, 2), (5, 3), (6, 0)]
    );
    assert_eq!(sim.data_pending(), 0, "every request's data was taken");
    let mut want = vec![0u8; MEM];
    want[0x100..0x164].fill(1);
    want[0x300..0x309].fill(6);
    // 0x7FF0 + 0x40 crosses 4 KB: two bursts; the first lands, the second fails.
    want[0x7FF0..0x8000].fill(4);
    // MEM - 50 + 100 also crosses 4 KB (at the end of memory): the first burst lands.
    want[MEM - 50..].fill(3);
    if let Some(i) = (0..MEM).find(|&i| sim.mem.mem[i] != want[i]) {
        panic!(
            "byte {i:#x} is {:#04x}, want {:#04x}",
            sim.mem.mem[i], want[i]
        );
    }
    assert!(sim.mem.violations.is_empty(), "{:?}", sim.mem.violations);
    Ok(())
}

/// With the memory always ready, data flows at one beat per clock across burst and
/// request boundaries: a 64 KB - 8 unaligned request and 100 back-to-back 1,500-byte
/// requests take exactly their beats between the first and the last data beat.
#[test]
fn one_beat_per_clock() -> Result<()> {
    let cfg = Resolved::default_config();
    let mut sim = DmaWriteSim::for_test(&cfg, "dma_write_rate", MEM)?;
    let big = WriteReq {
        addr: 0x1003,
        data: (0..65_528u32).map(|i| i as u8).collect(),
        tag: 7,
    };
    sim.push(&big);
    sim.wait_done(1)?;
    let c = sim.w_cycles().to_vec();
    let beats = (3 + 65_528u64).div_ceil(8);
    assert_eq!(c.len() as u64, beats);
    eprintln!(
        "64 KB request: {beats} beats in {} clocks",
        c[c.len() - 1] - c[0] + 1
    );
    assert_eq!(
        c[c.len() - 1] - c[0] + 1,
        beats,
        "no idle clock inside a request"
    );
    for i in 0..100u16 {
        sim.push(&WriteReq {
            addr: 0x20000 + i as u64 * 1600,
            data: vec![i as u8; 1500],
            tag: i,
        });
    }
    sim.wait_done(101)?;
    let c = &sim.w_cycles()[beats as usize..];
    assert_eq!(c.len(), 100 * 188);
    let span = c[c.len() - 1] - c[0] + 1;
    eprintln!(
        "100 x 1500-byte requests: {} beats in {span} clocks",
        c.len()
    );
    assert_eq!(
        span,
        c.len() as u64,
        "no idle clock between back-to-back requests"
    );
    assert!(sim.mem.violations.is_empty(), "{:?}", sim.mem.violations);
    Ok(())
}
