//! The transmit frame generator (`<prefix>_ack_gen`) under Verilator: random requests
//! (IPv4 / IPv6, with and without an 802.1Q tag, random addresses, ports, numbers;
//! pure ACKs and data segments of 1 to 1,970 payload bytes, with and without PSH) give
//! exactly the frame etherparse builds (`host_model::rcv::tcp_frame_bytes`), and
//! etherparse finds both checksums right; back to back under back-pressure and payload
//! gaps; full-size segments leave with no idle clock between them.

use anyhow::Result;
use cosim::AxisSink;
use host_model::Resolved;
use host_model::rcv::tcp_frame_bytes;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbenches::rx::{pulse_reset, test_paths, verilate_block};
use testbenches::tx::{HdrDriver, checksums_ok, random_fields};

#[test]
fn random_acks_match_etherparse_byte_for_byte() -> Result<()> {
    let cfg = Resolved::default_config();
    let (out, waves) = test_paths("ack_gen_random");
    let mut model = verilate_block(&cfg, "ack_gen", &out, waves.as_deref())?;
    pulse_reset(&mut model)?;
    let mut req = HdrDriver::new(&model, "s_req_", true)?;
    let mut sink = AxisSink::new(&model, "m_axis", 1.0, 3)?;
    let mut pay = cosim::AxisSource::new(&model, "s_pay", 0.0, 4)?;
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut want = vec![];
    // Rounds: ACKs at full rate; full-size segments at full rate; a random mix with
    // back-pressure and payload gaps.
    for round in 0..3 {
        sink.set_ready_probability([1.0, 1.0, 0.5][round]);
        pay.set_idle_probability([0.0, 0.0, 0.3][round]);
        let first = sink.frames().len();
        for _ in 0..300 {
            let f = random_fields(&mut rng);
            let n = match round {
                0 => 0,
                1 => 1460,
                _ => [0, rng.random_range(1..=70), rng.random_range(1..=1970)]
                    [rng.random_range(0..3)],
            };
            let payload: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let psh = n > 0 && rng.random_bool(0.5);
            want.push(tcp_frame_bytes(&f, psh, &payload).expect("fields in range"));
            if n > 0 {
                pay.push(payload.clone(), false);
            }
            req.queue.push_back((f, psh, payload));
        }
        let start = model.cycles();
        while sink.frames().len() < want.len() {
            anyhow::ensure!(model.cycles() - start < 1_000_000, "timeout");
            cosim::step(&mut model, &mut (&mut req, &mut pay, &mut sink));
        }
        if round < 2 {
            // Full rate: frames back to back, no idle clock between them.
            let f = &sink.frames()[first..];
            let beats: u64 = f.iter().map(|x| x.beats).sum();
            let span = f[f.len() - 1].last_cycle - f[0].first_cycle + 1;
            println!("{} frames, {beats} beats in {span} clocks", f.len());
            assert_eq!(span, beats, "idle clocks between frames");
        }
    }
    for (i, (g, w)) in sink.frames().iter().zip(&want).enumerate() {
        assert_eq!(&g.data, w, "frame {i}");
        assert!(checksums_ok(&g.data), "frame {i}: checksums");
    }
    Ok(())
}
