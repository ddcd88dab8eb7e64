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
