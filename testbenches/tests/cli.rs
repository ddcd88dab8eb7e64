//! The `toe` command line: generate, lint, parse a capture made here, and clear errors.

use std::path::PathBuf;
use std::process::Command;
use testbenches::framegen::FrameGen;
use testbenches::reference::reference;

fn toe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_toe"))
}

fn tmp(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&p).unwrap();
    p
}

#[test]
fn generate_then_lint() {
    let out = tmp("cli-gen");
    let o = toe()
        .args(["generate", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("rtl/toe_rx_parser.v").exists());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["config"]["prefix"], "toe");
    assert_eq!(manifest["rx_meta"]["record_bits"], host_model::RX_META_BITS);
    let o = toe().args(["lint", "--out"]).arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn parse_replays_a_pcap_through_the_rtl() {
    let dir = tmp("cli-parse");
    let mut g = FrameGen::new(42);
    let frames: Vec<Vec<u8>> = (0..3000).map(|_| g.any().0).collect();
    let pcap = dir.join("capture.pcap");
    cosim::write_pcap(&pcap, &frames).unwrap();
    let o = toe()
        .args(["parse", "--pcap"])
        .arg(&pcap)
        .arg("--out")
        .arg(dir.join("build"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), frames.len());
    for (i, (line, f)) in lines.iter().zip(&frames).enumerate() {
        let got: serde_json::Value = serde_json::from_str(line).unwrap();
        let want = reference(f, false, 60).to_json(i as u64 + 1);
        assert_eq!(got, want, "frame {}", i + 1);
    }
    // The keys the users asked for are all present.
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    for k in [
        "frame",
        "len",
        "eth_type",
        "vlan",
        "ip_version",
        "ip_hdr_len",
        "src_ip",
        "dst_ip",
        "ip_proto",
        "fragment",
        "ip_csum_ok",
        "l4",
        "src_port",
        "dst_port",
        "tcp_seq",
        "tcp_ack",
        "tcp_flags",
        "tcp_hdr_len",
        "payload_len",
        "l4_csum_ok",
        "candidate",
        "errors",
    ] {
        assert!(first.get(k).is_some(), "missing key {k}");
    }
}

#[test]
fn parse_writes_waves_when_asked() {
    let dir = tmp("cli-waves");
    let pcap = dir.join("one.pcap");
    cosim::write_pcap(&pcap, &[testbenches::rx::tcp_frame(64, 1)]).unwrap();
    let vcd = dir.join("run.vcd");
    let o = toe()
        .args(["parse", "--pcap"])
        .arg(&pcap)
        .arg("--waves")
        .arg(&vcd)
        .arg("--out")
        .arg(dir.join("build"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(text.contains("$enddefinitions"));
    assert!(text.contains("s_axis_tvalid"));
}

#[test]
fn clear_errors() {
    let dir = tmp("cli-errors");
    // Missing pcap.
    let o = toe()
        .args(["parse", "--pcap"])
        .arg(dir.join("nope.pcap"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("nope.pcap"), "{e}");
    // Not a pcap.
    let bad = dir.join("bad.pcap");
    std::fs::write(&bad, b"this is not a capture at all").unwrap();
    let o = toe().args(["parse", "--pcap"]).arg(&bad).output().unwrap();
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    // Bad configuration value names the key.
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "data_width = 48\n").unwrap();
    let o = toe()
        .args(["generate", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("data_width") && e.contains("48"), "{e}");
    // Unknown key is named.
    std::fs::write(&cfg, "[rx]\nmin_frame_length = 60\n").unwrap();
    let o = toe()
        .args(["generate", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("min_frame_length"));
}

/// `toe receive` replays a capture through the receive engine top: every frame lands in a
/// ring buffer byte-exact with the status word the model computes from the reference
/// parser (frames of every kind, over 2,048 bytes included).
#[test]
fn receive_replays_a_pcap_into_ring_buffers() {
    let dir = tmp("cli-receive");
    let mut g = FrameGen::new(43);
    let mut frames: Vec<Vec<u8>> = (0..600).map(|_| g.any().0).collect();
    let mut big = g.valid();
    big.resize(3000, 0x77);
    frames.push(big);
    let pcap = dir.join("capture.pcap");
    cosim::write_pcap(&pcap, &frames).unwrap();
    let o = toe()
        .args(["receive", "--pcap"])
        .arg(&pcap)
        .arg("--out")
        .arg(dir.join("build"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), frames.len());
    for (i, (j, f)) in lines.iter().zip(&frames).enumerate() {
        assert_eq!(j["frame"], i as u64 + 1);
        assert_eq!(j["bytes_ok"], true, "frame {}", i + 1);
        assert_eq!(j["matches_model"], true, "frame {}: {j}", i + 1);
        let m = reference(f, false, 60);
        assert_eq!(j["status"]["frame_len"], m.len);
        assert_eq!(j["errors"], serde_json::json!(m.errors), "frame {}", i + 1);
    }
    assert_eq!(lines.last().unwrap()["status"]["cut"], 1);
    // A capture that is not a pcap is refused with a message naming it.
    let bad = dir.join("bad.pcap");
    std::fs::write(&bad, b"not a pcap").unwrap();
    let o = toe()
        .args(["receive", "--pcap"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.pcap"));
}

#[test]
fn rcv_stream_runs_the_fast_path_model_and_checks_its_arguments() {
    let o = toe()
        .args(["rcv-stream", "--bytes", "300000", "--seed", "4", "--ipv6"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rep["bytes"], 300000);
    assert!(rep["acks_checked"].as_u64().unwrap() > 0);
    let o = toe()
        .args(["rcv-stream", "--reorder", "1.5"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--reorder"));
}

#[test]
fn rcv_rtl_runs_the_fast_path_rtl_against_its_model() {
    let out = std::env::temp_dir().join(format!("toe-cli-rcv-rtl-{}", std::process::id()));
    let o = toe()
        .args(["rcv-rtl", "--rounds", "24", "--seed", "9", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rep["rounds"], 24);
    assert!(rep["lists_completed"].as_u64().unwrap() > 5, "{rep}");
    assert!(rep["bytes_placed"].as_u64().unwrap() > 10_000, "{rep}");
    let o = toe().args(["rcv-rtl", "--rounds", "0"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--rounds"));
    let _ = std::fs::remove_dir_all(&out);
}
