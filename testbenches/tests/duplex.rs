//! Full-duplex TCP between the engine (send and receive fast paths, with the host
//! model as its host) and smoltcp, through a lossy, reordering link with a finite
//! queue (`testbenches::duplex`).

use host_model::Resolved;
use testbenches::duplex::{DuplexConfig, run_model};

fn mb(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 10 MB each way (`TOE_DUPLEX_MB=N` for other sizes) with loss, reordering, tail
/// drops, two flush / re-handout cycles in the middle and a close: each side gets
/// exactly the other's bytes.
#[test]
fn model_talks_tcp_to_smoltcp_both_ways() {
    let cfg = Resolved::default_config();
    let n = mb("TOE_DUPLEX_MB", 10) << 20;
    let dc = DuplexConfig {
        out_bytes: n,
        in_bytes: n,
        ..DuplexConfig::default()
    };
    let rep = run_model(&cfg, &dc).expect("duplex run");
    println!("{}", serde_json::to_string_pretty(&rep).unwrap());
    assert_eq!(rep.peer_received, n);
    assert_eq!(rep.host_received, n);
    assert!(rep.flushes >= 2, "{rep:?}");
    assert!(rep.frames_lost > 0 && rep.frames_reordered > 0, "{rep:?}");
    assert!(rep.snd.fast_retransmits > 0, "{rep:?}");
}
