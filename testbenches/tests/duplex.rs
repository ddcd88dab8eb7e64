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

/// The conversation as a pcap file, read by tshark with checksum validation on:
/// every TCP and IPv4 checksum, ours and the peer's, is good (none bad, none left
/// unverified).
#[test]
fn the_conversation_reads_in_tshark_with_zero_checksum_errors() {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "tshark is not on PATH and CI is set (Debian: apt-get install tshark)"
        );
        eprintln!("NOTE: skipped: tshark is not on PATH");
        return;
    }
    let dir = std::env::temp_dir().join(format!("toe-duplex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("duplex.pcap");
    let dc = DuplexConfig {
        out_bytes: 1 << 20,
        in_bytes: 1 << 20,
        seed: 7,
        pcap: Some(pcap.clone()),
        ..DuplexConfig::default()
    };
    let rep = run_model(&Resolved::default_config(), &dc).expect("duplex run");
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&pcap)
        .args([
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-Y",
            "tcp",
            "-T",
            "fields",
            "-e",
            "tcp.checksum.status",
            "-e",
            "ip.checksum.status",
            "-e",
            "tcp.len",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (mut good, mut data) = (0u64, 0u64);
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            &f[..2],
            ["1", "1"],
            "a checksum tshark does not call good: {line}"
        );
        good += 1;
        data += (f[2] != "0") as u64;
    }
    let ours = rep.data_segments + rep.ack_frames + rep.host_frames;
    assert!(good >= ours, "tshark saw {good} TCP frames, we sent {ours}");
    assert!(data > rep.data_segments, "{data} frames with payload");
    println!("tshark: {good} TCP frames, {data} with payload, all checksums good");
    std::fs::remove_dir_all(&dir).ok();
}

/// Goodput on a clean link (no loss, no reordering, no flush): application bits per
/// engine clock each way, the link being 10 Gb/s (64 bits per clock at 156.25 MHz).
/// The engine here is the model (no cycle cost of its own): the figure is the
/// protocol's (windows, ACKs, the peer), not the RTL's.
#[test]
fn clean_link_duplex_goodput() {
    let n = mb("TOE_DUPLEX_MB", 10) << 20;
    let dc = DuplexConfig {
        out_bytes: n,
        in_bytes: n,
        loss: 0.0,
        reorder: 0.0,
        flushes: 0,
        ..DuplexConfig::default()
    };
    let rep = run_model(&Resolved::default_config(), &dc).expect("duplex run");
    // Only the close takes the connection back (the peer's FIN); every byte of ours
    // went out of the engine, none again.
    assert_eq!(
        (rep.flushes, rep.timeouts, rep.slow_sent),
        (1, 0, 0),
        "{rep:?}"
    );
    assert_eq!(rep.snd.retransmits, 0, "{rep:?}");
    assert_eq!(rep.snd.bytes, n as u64, "{rep:?}");
    println!(
        "clean duplex: {:.1} bits/clock out, {:.1} in, {} clocks, {} data segments, {} ACK frames",
        rep.out_bits_per_cycle,
        rep.in_bits_per_cycle,
        rep.cycles,
        rep.data_segments,
        rep.ack_frames
    );
}
