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
        "tcp_window",
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
fn duplex_talks_to_smoltcp_and_writes_a_pcap() {
    let pcap = tmp("duplex").join("duplex.pcap");
    let o = toe()
        .args(["duplex", "--bytes", "300000", "--seed", "5", "--pcap"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rep["peer_received"], 300000);
    assert_eq!(rep["host_received"], 300000);
    assert!(rep["data_segments"].as_u64().unwrap() > 100);
    let frames = cosim::read_pcap(&pcap).unwrap();
    assert!(frames.len() as u64 > rep["data_segments"].as_u64().unwrap());
    let o = toe().args(["duplex", "--loss", "2"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--loss"));
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

/// `toe rcv-replay`: a capture of two connections (IPv4; IPv6 with an 802.1Q tag), each
/// with its handshake, segments reordered, duplicated and one lost and sent again
/// later, the receiver's ACKs and a FIN, through the receive fast path RTL: each
/// direction's bytes arrive byte-exact and complete (checked by the CLI against its
/// etherparse reassembly, and here against the stream itself).
#[test]
fn rcv_replay_delivers_each_captured_stream() {
    use host_model::proto::FlowKey;
    use testbenches::scenario::peer_frame;
    let dir = tmp("cli-rcv-replay");
    let keys = [
        FlowKey {
            local_ip: 0x0a00_0001,
            remote_ip: 0x0a00_0002,
            local_port: 80,
            remote_port: 40001,
            ..Default::default()
        },
        FlowKey {
            ipv6: true,
            vlan_present: true,
            vlan_id: 7,
            local_ip: 0xfd00 << 112 | 1,
            remote_ip: 0xfd00 << 112 | 2,
            local_port: 443,
            remote_port: 40002,
        },
    ];
    let reverse = |k: &FlowKey| FlowKey {
        local_ip: k.remote_ip,
        remote_ip: k.local_ip,
        local_port: k.remote_port,
        remote_port: k.local_port,
        ..*k
    };
    let byte = |f: usize, i: usize| (i * 31 + f * 17 + (i >> 8)) as u8;
    let len = 150_000usize;
    let mut frames = Vec::new();
    for (f, k) in keys.iter().enumerate() {
        let isn = 0xFFFF_F000u32.wrapping_add(f as u32 * 0x1000_0000); // wraps 2^32
        frames.push(peer_frame(k, isn, None, 2, &[]));
        frames.push(peer_frame(
            &reverse(k),
            0x1000,
            Some(isn.wrapping_add(1)),
            2,
            &[],
        ));
        let mut segs: Vec<Vec<u8>> = Vec::new();
        let mut off = 0;
        while off < len {
            let n = 1448.min(len - off);
            let data: Vec<u8> = (off..off + n).map(|i| byte(f, i)).collect();
            let seq = isn.wrapping_add(1).wrapping_add(off as u32);
            segs.push(peer_frame(
                k,
                seq,
                Some(0x1001),
                if off + n == len { 8 } else { 0 },
                &data,
            ));
            off += n;
        }
        let lost = 40;
        for (i, s) in segs.iter().enumerate() {
            match i {
                // Lost; sent again five segments later.
                _ if i == lost => continue,
                _ if i == lost + 5 => {
                    frames.push(s.clone());
                    frames.push(segs[lost].clone());
                }
                // Swapped with its successor.
                _ if i % 17 == 3 && i + 1 < segs.len() => {
                    frames.push(segs[i + 1].clone());
                    frames.push(s.clone());
                }
                _ if i % 17 == 4 => {}
                _ => frames.push(s.clone()),
            }
            if i % 13 == 0 {
                frames.push(s.clone()); // duplicate
            }
            if i % 2 == 1 {
                let ack = isn
                    .wrapping_add(1)
                    .wrapping_add(((i + 1) * 1448).min(len) as u32);
                frames.push(peer_frame(&reverse(k), 0x1001, Some(ack), 0, &[]));
            }
        }
        let end = isn.wrapping_add(1).wrapping_add(len as u32);
        frames.push(peer_frame(k, end, Some(0x1001), 1, &[]));
    }
    let pcap = dir.join("two-flows.pcap");
    cosim::write_pcap(&pcap, &frames).unwrap();
    let o = toe()
        .args(["rcv-replay", "--pcap"])
        .arg(&pcap)
        .arg("--out")
        .arg(dir.join("build"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let flows = r["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "{r}");
    for f in flows {
        assert_eq!(f["byte_exact"], true, "{f}");
        assert_eq!(f["expected"], len as u64, "{f}");
        assert_eq!(f["delivered"], len as u64, "{f}");
        assert!(f["lists_completed"].as_u64().unwrap() >= 1, "{f}");
        assert!(f["segments"].as_u64().unwrap() > 100, "{f}");
        assert_eq!(f["candidates"], f["segments"], "{f}");
    }
    assert!(r["acks"].as_u64().unwrap() > 50, "{r}");
}
