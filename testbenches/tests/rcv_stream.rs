//! Receive fast path, end to end on the model: a TCP byte stream through loss,
//! duplication, reordering, lost ACKs, host stalls and flush / re-handout cycles;
//! the application's bytes must be the stream, byte for byte.

use host_model::Resolved;
use testbenches::rcv_e2e::{StreamConfig, run_model};

fn run(sc: StreamConfig) {
    let cfg = Resolved::default_config();
    match run_model(&cfg, &sc) {
        Ok(rep) => println!("{}", serde_json::to_string_pretty(&rep).unwrap()),
        Err(e) => panic!("{sc:?}: {e:#}"),
    }
}

#[test]
fn clean_stream_all_in_lists() {
    run(StreamConfig {
        bytes: 2 << 20,
        loss: 0.0,
        dup: 0.0,
        reorder: 0.0,
        ack_loss: 0.0,
        flush: 0.0,
        stall: 0.0,
        ..StreamConfig::default()
    });
}

#[test]
fn impaired_stream_with_flushes() {
    run(StreamConfig {
        bytes: 10 << 20,
        seed: 7,
        ..StreamConfig::default()
    });
}

#[test]
fn ipv6_vlan_stream() {
    run(StreamConfig {
        bytes: 2 << 20,
        seed: 11,
        ipv6: true,
        vlan: true,
        ..StreamConfig::default()
    });
}

#[test]
fn heavy_impairment_tiny_buffers_many_seeds() {
    for seed in 100..108 {
        run(StreamConfig {
            bytes: 1 << 20,
            seed,
            loss: 0.05,
            dup: 0.05,
            reorder: 0.1,
            ack_loss: 0.05,
            flush: 0.01,
            stall: 0.03,
            max_sg: 8,
            max_entry: 700,
            mss: 536 + (seed as u32 % 4) * 300,
            ..StreamConfig::default()
        });
    }
}
