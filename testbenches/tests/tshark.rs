//! tshark (Wireshark) as a second, independent dissector for `toe parse`.
//!
//! * `tshark_agrees_on_generated_frames`: a pcap of generated frames (mostly valid,
//!   some mutated) is replayed through the RTL by `toe parse` and dissected by
//!   `tshark -T fields`; every field on which both agree on meaning is compared frame
//!   by frame.
//! * `real_loopback_tcp_traffic`: real TCP traffic of this machine's kernel over
//!   127.0.0.1 and [::1] is captured on `lo` and replayed through `toe parse`, then
//!   compared with tshark and with the etherparse reference model on the same bytes;
//!   and replayed through the receive engine top (`toe receive`) into ring buffers, each
//!   frame's status word compared with tshark.
//!
//! Both tests need `tshark` on PATH. Without it they print a note and pass, unless the
//! environment variable `CI` is set, in which case they fail.
//!
//! # What is compared, and when
//!
//! [`compare_frame`] holds the policy; in short, a field is compared when our
//! specification (`host_model::meta`) reports it (it is not `null`), and then tshark
//! must report the same value, except in the few documented places where tshark
//! stops dissecting earlier than our specification does or gives a field another
//! meaning ([`Tally::skip`] counts those by reason). Our specification stops earlier
//! than tshark in many places (QinQ, fragments, every structural error), and then the
//! field is `null` and not compared; but for a frame whose structure tshark and we
//! both accept, tshark's protocol stack must match ours (an IP layer where we found
//! one, TCP/UDP/other where we classified L4).
//!
//! IPv6 extension headers are walked on both sides (`host_model::meta` step 4): where
//! the walk ends (L4, a Fragment header, or a header overrunning the payload), and the
//! offset of L4 behind the chain, come from tshark's own fields for each header
//! ([`ts_chain`], [`compare_ipv6_chain`]); then TCP/UDP are compared as for any frame.
//! tshark differs legitimately in a few places, each an exception counted by reason:
//! it decodes option and Routing header contents that our parser does not interpret
//! (and stops when they are malformed), it ends the chain at Mobility, HIP, Shim6
//! control and experimental headers, and its TCP/UDP pseudo-header uses a Routing
//! header's final destination while Segments Left > 0, or a Home Address option's
//! address as the source ([`Pseudo`]).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use testbenches::framegen::FrameGen;
use testbenches::reference::reference;

// ------------------------------------------------------------------- plumbing

/// A scratch folder of this process (runs in parallel do not collide); the tests
/// remove it when they pass and keep it for inspection when they fail.
fn tmp(name: &str) -> PathBuf {
    let p =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// True when tshark can be run. Otherwise fails under CI, or prints a note (the
/// caller then returns early).
fn have_tshark(test: &str) -> bool {
    let ok = Command::new("tshark")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: `tshark` is not on PATH and CI is set; install it (Debian: apt-get install tshark)"
        );
    }
    eprintln!(
        "NOTE: {test} skipped: `tshark` is not on PATH. Install Wireshark's tshark \
         (Debian: apt-get install tshark) to run it; with CI set this test fails instead."
    );
    false
}

/// Output of a finished child process.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `cmd` to completion with piped output, killing it after `timeout`.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Finished {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Finished {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

// ------------------------------------------------------------------ toe parse

/// One line of `toe parse`: the JSON object of `host_model::RxMeta` plus `frame`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // the whole record is decoded; the raw JSON is what messages show
struct Toe {
    frame: u64,
    len: u32,
    eth_type: Option<u16>,
    vlan: Option<u16>,
    qinq: bool,
    ip_version: Option<u8>,
    ip_hdr_len: Option<u8>,
    ip_options: Option<bool>,
    src_ip: Option<String>,
    dst_ip: Option<String>,
    ip_proto: Option<u8>,
    fragment: Option<bool>,
    ip_csum_ok: Option<bool>,
    l4: Option<String>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    tcp_seq: Option<u32>,
    tcp_ack: Option<u32>,
    tcp_flags: Option<u16>,
    tcp_window: Option<u16>,
    tcp_hdr_len: Option<u8>,
    tcp_options: Option<bool>,
    payload_offset: Option<u32>,
    payload_len: Option<u32>,
    l4_csum_ok: Option<bool>,
    candidate: bool,
    errors: Vec<String>,
}

impl Toe {
    fn has(&self, e: &str) -> bool {
        self.errors.iter().any(|x| x == e)
    }
}

/// Replays `pcap` through the RTL; one (raw JSON, decoded) pair per frame.
fn toe_parse(pcap: &Path, out: &Path) -> Vec<(serde_json::Value, Toe)> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toe"));
    cmd.args(["parse", "--pcap"])
        .arg(pcap)
        .arg("--out")
        .arg(out);
    // Generous: the first run of a checkout Verilates the parser (cached afterwards).
    let o = run_with_timeout(cmd, Duration::from_secs(600));
    assert!(
        o.status.success(),
        "toe parse --pcap {} failed: {}",
        pcap.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).expect("toe parse prints UTF-8");
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("toe parse line {}: {e}: {line}", i + 1));
            let t: Toe = serde_json::from_value(v.clone())
                .unwrap_or_else(|e| panic!("toe parse line {}: {e}: {line}", i + 1));
            assert_eq!(t.frame, i as u64 + 1, "toe parse frame numbers");
            (v, t)
        })
        .collect()
}

/// `toe receive --pcap`: one JSON object per frame.
fn toe_receive(pcap: &Path, out: &Path) -> Vec<serde_json::Value> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toe"));
    cmd.args(["receive", "--pcap"])
        .arg(pcap)
        .arg("--out")
        .arg(out);
    // Generous: the first run of a checkout Verilates the receive engine top.
    let o = run_with_timeout(cmd, Duration::from_secs(900));
    assert!(
        o.status.success(),
        "toe receive --pcap {} failed: {}",
        pcap.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .expect("toe receive prints UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

// --------------------------------------------------------------------- tshark

/// The fields asked of tshark, in column order. tshark prints every occurrence of a
/// field (`-E occurrence=a`, joined by [`TS_AGGREGATOR`]); [`TsRow::s`] and the
/// accessors built on it read the first, so the outermost header when tshark decodes
/// nested ones, and [`TsRow::all`] reads them all (the IPv6 extension headers of one
/// chain, e.g. two Destination Options headers, report the same fields each).
const TS_FIELDS: &[&str] = &[
    "frame.number",
    "frame.len",
    "frame.protocols",
    "eth.type",
    "vlan.id",
    "vlan.etype",
    "ieee8021ad.id",
    "ieee8021ad.svid",
    "ieee8021ah.etype",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.hdr_len",
    "ip.len",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.checksum.status",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.nxt",
    "ipv6.plen",
    // IPv6 extension headers, in the order tshark dissects them (see `Ts6Chain`).
    "ipv6.hopopts.nxt",
    "ipv6.hopopts.len_oct",
    "ipv6.dstopts.nxt",
    "ipv6.dstopts.len_oct",
    "ipv6.routing.nxt",
    "ipv6.routing.len_oct",
    "ipv6.routing.type",
    "ipv6.routing.segleft",
    "ipv6.routing.rpl.addr_count",
    "ah.next_header",
    "ah.length",
    "shim6.nxt",
    "shim6.len_oct",
    "ipv6.opt.mipv6.home_address",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.hdr_len",
    "tcp.len",
    "tcp.checksum",
    "tcp.checksum.status",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.checksum",
    "udp.checksum.status",
    "_ws.malformed",
];

/// Dissection options: verify every checksum; no TCP analysis, reassembly or IP
/// defragmentation (they add or move fields); total length 0 is not "TSO" (our
/// specification calls it a bad header); and every TCP/UDP port decodes as plain data
/// so that no payload dissector (DNS, VXLAN, ...) runs heuristics on our payloads.
const TS_OPTIONS: &[&str] = &[
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "tcp.analyze_sequence_numbers:FALSE",
    "-o",
    "tcp.relative_sequence_numbers:FALSE",
    "-o",
    "tcp.desegment_tcp_streams:FALSE",
    "-o",
    "tcp.calculate_timestamps:FALSE",
    "-o",
    "tcp.track_bytes_in_flight:FALSE",
    "-o",
    "ip.defragment:FALSE",
    "-o",
    "ipv6.defragment:FALSE",
    "-o",
    "ip.tso_support:FALSE",
    "-o",
    "ipv6.tso_support:FALSE",
    "-d",
    "tcp.port==0-65535,data",
    "-d",
    "udp.port==0-65535,data",
];

/// tshark's view of one frame.
struct TsRow {
    cols: Vec<Option<String>>,
}

fn col(name: &str) -> usize {
    TS_FIELDS
        .iter()
        .position(|f| *f == name)
        .unwrap_or_else(|| panic!("{name} is not in TS_FIELDS"))
}

/// Joins the occurrences of one field in tshark's output. No field we ask for prints a
/// comma in its value (addresses, numbers, `frame.protocols`), except possibly the
/// reason text of `_ws.malformed`, of which only the start is read.
const TS_AGGREGATOR: char = ',';

/// A number printed in decimal or as 0x-prefixed hex.
fn parse_num(name: &str, s: &str) -> u64 {
    let v = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    v.unwrap_or_else(|_| panic!("tshark {name} = {s:?} is not a number"))
}

impl TsRow {
    /// The first occurrence of a field.
    fn s(&self, name: &str) -> Option<&str> {
        self.cols[col(name)]
            .as_deref()
            .and_then(|v| v.split(TS_AGGREGATOR).next())
    }

    /// Every occurrence of a field, in dissection order.
    fn texts(&self, name: &str) -> Vec<&str> {
        self.cols[col(name)]
            .as_deref()
            .map(|v| v.split(TS_AGGREGATOR).collect())
            .unwrap_or_default()
    }

    /// tshark threw inside the layer whose protocol short name is `proto` ("IPv4",
    /// "IPv6 Routing", ...): `_ws.malformed` reads "[Malformed Packet: <proto>]" or
    /// "[Malformed Packet: <proto>: <why>]" (among other occurrences that read
    /// "_ws.malformed", in no fixed order).
    fn malformed_in(&self, proto: &str) -> bool {
        let head = format!("[Malformed Packet: {proto}");
        self.texts("_ws.malformed").iter().any(|m| {
            m.strip_prefix(head.as_str())
                .is_some_and(|rest| rest.starts_with(']') || rest.starts_with(':'))
        })
    }

    /// Every occurrence of a numeric field, in dissection order.
    fn all(&self, name: &str) -> Vec<u64> {
        self.cols[col(name)]
            .as_deref()
            .map(|v| v.split(TS_AGGREGATOR).map(|s| parse_num(name, s)).collect())
            .unwrap_or_default()
    }

    /// A number printed in decimal or as 0x-prefixed hex (first occurrence).
    fn num(&self, name: &str) -> Option<u64> {
        self.s(name).map(|s| parse_num(name, s))
    }

    /// A boolean field: tshark 4.0 prints 1/0, later versions True/False.
    fn flag(&self, name: &str) -> Option<bool> {
        self.s(name).map(|s| match s {
            "1" | "True" | "true" => true,
            "0" | "False" | "false" => false,
            _ => panic!("tshark {name} = {s:?} is not a boolean"),
        })
    }

    fn addr(&self, name: &str) -> Option<IpAddr> {
        self.s(name).map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("tshark {name} = {s:?} is not an address"))
        })
    }

    fn stack(&self) -> Vec<&str> {
        self.s("frame.protocols")
            .map(|p| p.split(':').collect())
            .unwrap_or_default()
    }

    /// The non-empty columns, for messages.
    fn describe(&self) -> String {
        TS_FIELDS
            .iter()
            .zip(&self.cols)
            .filter_map(|(n, v)| v.as_ref().map(|v| format!("{n}={v}")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Makes tshark ignore the user's personal Wireshark preferences, decode-as rules and
/// disabled protocols (an empty personal configuration folder under `scratch`).
fn isolate(cmd: &mut Command, scratch: &Path) {
    let empty = scratch.join("wireshark-config");
    std::fs::create_dir_all(&empty).unwrap();
    cmd.env("WIRESHARK_CONFIG_DIR", empty);
}

/// Dissects `pcap` with tshark; one row per frame.
fn tshark_fields(pcap: &Path) -> Vec<TsRow> {
    let mut cmd = Command::new("tshark");
    isolate(&mut cmd, pcap.parent().expect("pcap in a folder"));
    cmd.arg("-n").arg("-r").arg(pcap).args(TS_OPTIONS).args([
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "header=n",
    ]);
    cmd.arg("-E").arg(format!("aggregator={TS_AGGREGATOR}"));
    for f in TS_FIELDS {
        cmd.args(["-e", f]);
    }
    let o = run_with_timeout(cmd, Duration::from_secs(120));
    assert!(
        o.status.success(),
        "tshark -r {} failed: {}",
        pcap.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let cols: Vec<Option<String>> = line
                .split('\t')
                .map(|c| (!c.is_empty()).then(|| c.to_string()))
                .collect();
            assert_eq!(
                cols.len(),
                TS_FIELDS.len(),
                "tshark line {} has {} columns, want {}: {line:?}",
                i + 1,
                cols.len(),
                TS_FIELDS.len()
            );
            let row = TsRow { cols };
            assert_eq!(
                row.num("frame.number"),
                Some(i as u64 + 1),
                "tshark frame numbers"
            );
            row
        })
        .collect()
}

// ----------------------------------------------------------------- comparison

/// Counts of what was compared, what was deliberately not, and every disagreement.
#[derive(Default)]
struct Tally {
    frames: u64,
    /// Frames in which at least one field besides `len` was compared.
    frames_compared: u64,
    /// Comparisons per field (our JSON key, with the tshark source where ambiguous).
    fields: BTreeMap<&'static str, u64>,
    /// Fields we report that were deliberately not compared, by reason.
    skipped: BTreeMap<&'static str, u64>,
    /// Notable agreements (e.g. both say a checksum is bad), to show coverage.
    events: BTreeMap<&'static str, u64>,
    failures: Vec<String>,
}

impl Tally {
    fn total_fields(&self) -> u64 {
        self.fields.values().sum()
    }

    fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    fn event(&mut self, what: &'static str) {
        *self.events.entry(what).or_default() += 1;
    }

    fn field(&self, name: &str) -> u64 {
        self.fields.get(name).copied().unwrap_or(0)
    }

    fn report(&self, what: &str) -> String {
        let mut s = format!(
            "{what}: {} frames, {} compared with tshark, {} field comparisons, {} disagreements\n  per field:",
            self.frames,
            self.frames_compared,
            self.total_fields(),
            self.failures.len()
        );
        for (k, v) in &self.fields {
            s += &format!("\n    {k:<28} {v}");
        }
        if !self.events.is_empty() {
            s += "\n  coverage:";
            for (k, v) in &self.events {
                s += &format!("\n    {v:>6}  {k}");
            }
        }
        if !self.skipped.is_empty() {
            s += "\n  deliberately not compared:";
            for (k, v) in &self.skipped {
                s += &format!("\n    {v:>6}  {k}");
            }
        }
        s
    }
}

/// Collects the comparisons of one frame.
struct FrameCmp<'a> {
    tally: &'a mut Tally,
    compared: u64,
    diffs: Vec<String>,
}

impl FrameCmp<'_> {
    /// Our value must equal tshark's; tshark reporting nothing is a disagreement.
    fn check<T: PartialEq + Debug>(&mut self, field: &'static str, ours: T, theirs: Option<T>) {
        *self.tally.fields.entry(field).or_default() += 1;
        self.compared += 1;
        match theirs {
            Some(t) if t == ours => {}
            Some(t) => self
                .diffs
                .push(format!("{field}: toe {ours:?}, tshark {t:?}")),
            None => self
                .diffs
                .push(format!("{field}: toe {ours:?}, tshark reports nothing")),
        }
    }

    /// As [`FrameCmp::check`], for a field our specification must report here (toe
    /// printing `null` is a disagreement as well).
    fn check_opt<T: PartialEq + Debug>(
        &mut self,
        field: &'static str,
        ours: Option<T>,
        theirs: Option<T>,
    ) {
        match ours {
            Some(o) => self.check(field, o, theirs),
            None => {
                *self.tally.fields.entry(field).or_default() += 1;
                self.compared += 1;
                self.diffs.push(format!(
                    "{field}: toe null although the specification reports it here, tshark {theirs:?}"
                ));
            }
        }
    }

    /// A checksum verdict: ours (`true` good, `false` bad, `null` not checked) against
    /// tshark's `*.checksum.status`.
    fn check_csum(&mut self, field: &'static str, ours: &'static str, status: Option<u64>) {
        let before = self.diffs.len();
        self.check(field, ours, Some(ts_verdict(status)));
        if self.diffs.len() == before {
            match (field, ours) {
                ("ip_csum_ok", "bad") => self.tally.event("IPv4 header checksum bad on both sides"),
                ("l4_csum_ok (tcp)", "bad") => self.tally.event("TCP checksum bad on both sides"),
                ("l4_csum_ok (udp)", "bad") => self.tally.event("UDP checksum bad on both sides"),
                ("l4_csum_ok (udp)", _) if ours != "good" => self
                    .tally
                    .event("UDP checksum 0 (not checked) on both sides"),
                _ => {}
            }
        }
    }

    fn skip(&mut self, reason: &'static str) {
        self.tally.skip(reason);
    }

    /// A condition our record must meet for the exception being made to apply.
    fn require(&mut self, cond: bool, what: &str) {
        if !cond {
            self.diffs.push(what.to_string());
        }
    }
}

/// Our checksum verdict in the words of [`ts_verdict`].
fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "good",
        Some(false) => "bad",
        None => "not checked",
    }
}

/// tshark's `*.checksum.status`: 0 bad, 1 good, 2 unverified, 3 not present,
/// 4 illegal (a zero UDP checksum over IPv6). Absent = not checked.
fn ts_verdict(status: Option<u64>) -> &'static str {
    match status {
        Some(0) => "bad",
        Some(1) => "good",
        None | Some(2) | Some(3) => "not checked",
        Some(4) => "illegal",
        Some(_) => "unknown status",
    }
}

/// The IPv6 next-header values our specification treats as extension headers.
const IPV6_EXT: [u64; 11] = [0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254];

/// The ones its receive parser walks (not Fragment, 44, which stops the walk, nor ESP,
/// 50, which ends it as L4 `other`).
const IPV6_WALKED: [u64; 9] = [0, 43, 51, 60, 135, 139, 140, 253, 254];

// ------------------------------------------------- IPv6 extension headers, per tshark

/// One IPv6 extension header of the chain after the fixed header, as tshark dissected
/// it.
#[derive(Debug)]
struct TsExt {
    /// tshark's layer (`frame.protocols`): `ipv6.hopopts`, `ipv6.dstopts`,
    /// `ipv6.routing`, `ah` or `shim6`.
    layer: &'static str,
    /// Offset of the header from the end of the fixed IPv6 header.
    at: u64,
    /// Its next-header field and its length in bytes: `*.len_oct`, `(ah.length + 2) * 4`.
    /// `None` when tshark stopped before reporting them.
    nxt: Option<u64>,
    len: Option<u64>,
    /// Which occurrence of this layer's fields in the frame it is (0 for the first
    /// Destination Options header, 1 for the second, ...).
    occurrence: usize,
}

impl TsExt {
    /// The header lies within the IPv6 payload of `plen` bytes.
    fn fits(&self, plen: u64) -> bool {
        self.len.is_some_and(|l| self.at + l <= plen)
    }
}

/// Where tshark's walk of the IPv6 extension-header chain ended.
#[derive(Debug)]
enum TsEnd<'a> {
    /// At a protocol that is no extension header to our specification (TCP, UDP, ESP,
    /// ICMPv6, No Next Header, ...): tshark's next layer, if any, is L4.
    Proto,
    /// At a Fragment header (44).
    Fragment,
    /// Inside the last header of `hdrs`: tshark threw ("Malformed Packet") there.
    Stopped,
    /// At a type our specification walks as an extension header but tshark hands to a
    /// dissector that ends the chain: Mobility (135, `mipv6`), HIP (139), the
    /// experimental 253 and 254 (`data`), and a Shim6 header (140) after which tshark
    /// dissects nothing more (a Shim6 control message, not a payload extension header).
    Final { t: u64, layer: Option<&'a str> },
    /// At an extension header type tshark dissected no layer for.
    Missing { t: u64, layer: Option<&'a str> },
}

/// tshark's view of the IPv6 extension-header chain of a frame.
#[derive(Debug)]
struct Ts6Chain<'a> {
    /// The headers tshark dissected, in order.
    hdrs: Vec<TsExt>,
    /// Their total length: the offset of whatever follows the chain from the end of the
    /// fixed header (meaningful when the walk ended at `Proto` or `Fragment`).
    len: u64,
    end: TsEnd<'a>,
}

/// The protocol short name tshark puts in "[Malformed Packet: ...]" for a layer.
fn ts_short_name(layer: &str) -> &str {
    match layer {
        "ipv6.hopopts" => "IPv6 Hop-by-Hop",
        "ipv6.dstopts" => "IPv6 Destination",
        "ipv6.routing" => "IPv6 Routing",
        "ipv6.fraghdr" => "IPv6 Fragment",
        "ah" => "AH",
        "shim6" => "Shim6",
        other => other,
    }
}

/// Follows the chain through tshark's own fields: starting at `ipv6.nxt`, each
/// extension header must be the next layer of `frame.protocols`, and its next header
/// and length come from that layer's fields. `None` when tshark reports no IPv6 layer
/// at `l3_pos` or no next header.
fn ts_chain<'a>(ts: &TsRow, stack: &[&'a str], l3_pos: usize) -> Option<Ts6Chain<'a>> {
    if stack.get(l3_pos) != Some(&"ipv6") {
        return None;
    }
    let mut t = ts.num("ipv6.nxt")?;
    let mut hdrs: Vec<TsExt> = Vec::new();
    let mut len = 0;
    let mut pos = l3_pos + 1;
    let end = loop {
        let layer = stack.get(pos).copied();
        let (want, nxt_f, len_f) = match t {
            0 => ("ipv6.hopopts", "ipv6.hopopts.nxt", "ipv6.hopopts.len_oct"),
            60 => ("ipv6.dstopts", "ipv6.dstopts.nxt", "ipv6.dstopts.len_oct"),
            43 => ("ipv6.routing", "ipv6.routing.nxt", "ipv6.routing.len_oct"),
            51 => ("ah", "ah.next_header", "ah.length"),
            140 => ("shim6", "shim6.nxt", "shim6.len_oct"),
            44 => break TsEnd::Fragment,
            135 | 139 | 253 | 254 => break TsEnd::Final { t, layer },
            _ => break TsEnd::Proto,
        };
        if layer != Some(want) {
            break TsEnd::Missing { t, layer };
        }
        let occurrence = stack[l3_pos + 1..pos]
            .iter()
            .filter(|l| **l == want)
            .count();
        let nxt = ts.all(nxt_f).get(occurrence).copied();
        let hlen = ts
            .all(len_f)
            .get(occurrence)
            .copied()
            .map(|l| if t == 51 { (l + 2) * 4 } else { l });
        hdrs.push(TsExt {
            layer: want,
            at: len,
            nxt,
            len: hlen,
            occurrence,
        });
        let last = stack.len() == pos + 1;
        let (Some(n), Some(l)) = (nxt, hlen) else {
            break TsEnd::Stopped;
        };
        if last && ts.malformed_in(ts_short_name(want)) {
            break TsEnd::Stopped;
        }
        if t == 140 && last {
            break TsEnd::Final { t, layer };
        }
        len += l;
        t = n;
        pos += 1;
    };
    Some(Ts6Chain { hdrs, len, end })
}

/// tshark computes the TCP/UDP pseudo-header with the final destination of a Routing
/// header of a type it decodes when Segments Left is not 0 (RFC 8200 section 8.1, as
/// seen by the sender or an intermediate node): the last address of a type 0 header
/// (with at least one address), the home address of type 2, the last address of an
/// RPL (type 3) header with at least one address, segment list[0] of an SRH (type 4).
/// Our parser uses the fixed header's destination address, which is the final one at
/// the final destination, where Segments Left is 0 (`host_model::meta` step 4).
fn ts_pseudo_dst_rewritten(ts: &TsRow, chain: &Ts6Chain) -> bool {
    let types = ts.all("ipv6.routing.type");
    let segleft = ts.all("ipv6.routing.segleft");
    let rpl_counts = ts.all("ipv6.routing.rpl.addr_count");
    let mut rpl_seen = 0;
    chain
        .hdrs
        .iter()
        .filter(|h| h.layer == "ipv6.routing")
        .any(|h| {
            let (Some(&ty), Some(&sl)) = (types.get(h.occurrence), segleft.get(h.occurrence))
            else {
                return false;
            };
            let with_addr = match ty {
                0 => h.len.is_some_and(|l| l >= 24),
                2 | 4 => true,
                3 => {
                    rpl_seen += 1;
                    rpl_counts.get(rpl_seen - 1).is_some_and(|&n| n > 0)
                }
                _ => false,
            };
            sl > 0 && with_addr
        })
}

/// tshark computes the TCP/UDP pseudo-header with the address of a Home Address
/// option (Mobile IPv6, RFC 6275, option type 0xC9) as the source, as the
/// correspondent node does after swapping it with the source address; tshark decodes
/// the option in Hop-by-Hop and Destination Options headers alike and reads 16 bytes
/// whatever the option's length. Our parser does not interpret options and uses the
/// fixed header's source address. Made when tshark reports such an option whose
/// address (the last one, which tshark uses) is not the fixed header's source.
fn ts_pseudo_src_rewritten(ts: &TsRow) -> bool {
    let home = ts.texts("ipv6.opt.mipv6.home_address");
    home.last()
        .is_some_and(|a| a.parse::<IpAddr>().ok() != ts.addr("ipv6.src"))
}

/// Why tshark's TCP/UDP pseudo-header differs from ours.
#[derive(Debug, Clone, Copy)]
enum Pseudo {
    /// [`ts_pseudo_dst_rewritten`]
    RoutingDst,
    /// [`ts_pseudo_src_rewritten`]
    HomeAddressSrc,
}

impl Pseudo {
    fn reason(self, l4: &str) -> &'static str {
        match (self, l4) {
            (Pseudo::RoutingDst, "tcp") => {
                "TCP checksum after a Routing header with Segments Left > 0 \
                 (tshark's pseudo-header uses its final destination)"
            }
            (Pseudo::RoutingDst, _) => {
                "UDP checksum after a Routing header with Segments Left > 0 \
                 (tshark's pseudo-header uses its final destination)"
            }
            (Pseudo::HomeAddressSrc, "tcp") => {
                "TCP checksum after a Home Address option \
                 (tshark's pseudo-header uses it as the source)"
            }
            (Pseudo::HomeAddressSrc, _) => {
                "UDP checksum after a Home Address option \
                 (tshark's pseudo-header uses it as the source)"
            }
        }
    }
}

/// Why tshark may throw inside an IPv6 extension header `h` that lies within the
/// payload, checked on the header's bytes `hb`: an option of a Hop-by-Hop or
/// Destination Options header that runs past the header's end (tshark dissects the
/// options, our specification does not interpret them), or type-specific Routing
/// header data tshark reads beyond the header (type 2 shorter than its home address,
/// an SRH, type 4, whose segment list does not fit, and the compressed layouts of RPL,
/// type 3, and CRH, types 5 and 6). `None` when no such reason is found.
fn ts_content_malformed(h: &TsExt, hb: &[u8]) -> Option<&'static str> {
    match h.layer {
        "ipv6.hopopts" | "ipv6.dstopts" => {
            let mut i = 2;
            while i < hb.len() {
                if hb[i] == 0 {
                    i += 1; // Pad1
                    continue;
                }
                // tshark reads the 16-byte address of a Home Address option (0xC9)
                // whatever the option's length says.
                let data = match hb[i] {
                    0xC9 => hb.get(i + 1).map_or(16, |&l| usize::from(l).max(16)),
                    _ => hb.get(i + 1).map_or(0, |&l| usize::from(l)),
                };
                if i + 2 > hb.len() || i + 2 + data > hb.len() {
                    return Some(
                        "IPv6 chain past an option running out of its Hop-by-Hop/Destination \
                         Options header (tshark stops)",
                    );
                }
                i += 2 + data;
            }
            None
        }
        "ipv6.routing" if hb.len() >= 8 => match hb[2] {
            2 if hb.len() < 24 => Some(
                "IPv6 chain past a Routing type 2 header without room for its address \
                 (tshark stops)",
            ),
            4 if 8 + 16 * (usize::from(hb[4]) + 1) > hb.len() => Some(
                "IPv6 chain past a Routing type 4 (SRH) header whose segment list does not fit \
                 (tshark stops)",
            ),
            3 => Some("IPv6 chain past a Routing type 3 (RPL) header tshark finds malformed"),
            5 | 6 => Some("IPv6 chain past a Routing type 5/6 (CRH) header tshark finds malformed"),
            _ => None,
        },
        _ => None,
    }
}

/// What lies between the IP header and L4 according to tshark, for the L4 comparisons.
struct L3Extra {
    /// Layers of `frame.protocols` between the IP layer and L4 (IPv6 extension headers).
    ext_layers: usize,
    /// Their total length in bytes.
    ext_len: u64,
    /// tshark reached L4 where our specification does, so L4 can be compared.
    l4_comparable: bool,
    /// At least one IPv6 extension header was walked to L4 on both sides.
    ext_walked: bool,
    /// A Routing header was walked to L4 on both sides.
    routing: bool,
    /// tshark's TCP/UDP pseudo-header has other addresses than ours.
    pseudo: Option<Pseudo>,
}

impl Default for L3Extra {
    fn default() -> Self {
        L3Extra {
            ext_layers: 0,
            ext_len: 0,
            l4_comparable: true,
            ext_walked: false,
            routing: false,
            pseudo: None,
        }
    }
}

/// The IPv6 extension-header walk (`host_model::meta` step 4): where it ends on our
/// side (`ipv6 chain end`: `l4`, `fragment` or `bad_ip_header`) and `fragment` must
/// match where tshark's own walk of the chain ([`ts_chain`]) ends; and tshark's chain
/// gives the offset of L4. Exceptions, each counted: tshark stops inside a header
/// whose contents it decodes and we do not ([`ts_content_malformed`]; the walk's end,
/// the L4 kind and offset are still compared when that header is the chain's last),
/// and tshark ends the chain at a header our specification walks past
/// (`TsEnd::Final`).
fn compare_ipv6_chain(
    c: &mut FrameCmp,
    bytes: &[u8],
    ours: &Toe,
    ts: &TsRow,
    stack: &[&str],
    l3_pos: usize,
    l3_off: u64,
) -> L3Extra {
    let mut x = L3Extra::default();
    let nxt = ts.num("ipv6.nxt");
    if ours.has("truncated") {
        // The frame ends before the IPv6 payload: our parser stops before walking any
        // extension header and reports `fragment` = next header 44 (`l4` is null).
        c.check_opt("fragment", ours.fragment, nxt.map(|x| x == 44));
        return x;
    }
    let Some(chain) = ts_chain(ts, stack, l3_pos) else {
        // No IPv6 layer or next header at all (`ip_version` disagrees already).
        c.check_opt("fragment", ours.fragment, None);
        return x;
    };
    let plen = ts.num("ipv6.plen").unwrap_or(0);
    let ours_end = if ours.has("bad_ip_header") {
        "bad_ip_header"
    } else if ours.fragment == Some(true) {
        "fragment"
    } else {
        "l4"
    };
    let ext = !chain.hdrs.is_empty();
    match &chain.end {
        TsEnd::Proto => {
            c.check("ipv6 chain end", ours_end, Some("l4"));
            c.check_opt("fragment", ours.fragment, Some(false));
            x.ext_layers = chain.hdrs.len();
            x.ext_len = chain.len;
            x.ext_walked = ext;
            x.routing = chain.hdrs.iter().any(|h| h.layer == "ipv6.routing");
            x.pseudo = if ts_pseudo_dst_rewritten(ts, &chain) {
                Some(Pseudo::RoutingDst)
            } else if ts_pseudo_src_rewritten(ts) {
                Some(Pseudo::HomeAddressSrc)
            } else {
                None
            };
            if ext && ours_end == "l4" {
                for h in &chain.hdrs {
                    c.tally.event(match h.layer {
                        "ipv6.hopopts" => "IPv6 Hop-by-Hop header walked to L4 on both sides",
                        "ipv6.dstopts" => {
                            "IPv6 Destination Options header walked to L4 on both sides"
                        }
                        "ipv6.routing" => "IPv6 Routing header walked to L4 on both sides",
                        "ah" => "IPv6 AH walked to L4 on both sides",
                        _ => "IPv6 other extension header walked to L4 on both sides",
                    });
                }
                if chain.hdrs.len() >= 3 {
                    c.tally.event(
                        "IPv6 chain of 3 or more extension headers walked to L4 on both sides",
                    );
                }
            }
        }
        TsEnd::Fragment => {
            // Neither side parses past a Fragment header. (tshark may find the Fragment
            // header itself cut short by the payload length; our specification does not
            // look at it, as for a fixed header's next header 44 before the walk.)
            c.check("ipv6 chain end", ours_end, Some("fragment"));
            c.check_opt("fragment", ours.fragment, Some(true));
            if ext && ours_end == "fragment" {
                c.tally
                    .event("IPv6 extension headers walked to a Fragment header on both sides");
            }
        }
        TsEnd::Stopped => {
            let h = chain.hdrs.last().expect("Stopped inside a header");
            if h.fits(plen) {
                // tshark threw inside a header that lies within the payload: it decodes
                // the header's contents, which our specification does not interpret,
                // and dissects nothing after it. Made only when the header's bytes show
                // why ([`ts_content_malformed`]).
                let start = (l3_off + 40 + h.at) as usize;
                let hb = bytes
                    .get(start..start + h.len.unwrap_or(0) as usize)
                    .unwrap_or(&[]);
                match ts_content_malformed(h, hb) {
                    Some(reason) => {
                        // The header's own next-header field and length are known: when
                        // it is the last of the chain, they still say where the walk
                        // ends, and where L4 starts and what it is.
                        match h.nxt {
                            Some(44) => {
                                c.check("ipv6 chain end", ours_end, Some("fragment"));
                                c.check_opt("fragment", ours.fragment, Some(true));
                            }
                            Some(n) if !IPV6_WALKED.contains(&n) => {
                                c.check("ipv6 chain end", ours_end, Some("l4"));
                                c.check_opt("fragment", ours.fragment, Some(false));
                                let kind = match n {
                                    6 => "tcp",
                                    17 => "udp",
                                    _ => "other",
                                };
                                c.check_opt(
                                    "l4 (by nxt, tshark stops)",
                                    ours.l4.as_deref(),
                                    Some(kind),
                                );
                                let ours_l4 = match (ours.l4.as_deref(), ours.payload_offset) {
                                    (Some("tcp"), Some(o)) => {
                                        ours.tcp_hdr_len.map(|h| u64::from(o) - u64::from(h))
                                    }
                                    (Some("udp"), Some(o)) => Some(u64::from(o) - 8),
                                    _ => None,
                                };
                                if let (Some(o), Some(l)) = (ours_l4, h.len) {
                                    c.check(
                                        "l4 offset (tshark stops)",
                                        o,
                                        Some(l3_off + 40 + h.at + l),
                                    );
                                }
                            }
                            _ => {}
                        }
                        c.skip(reason);
                        x.l4_comparable = false;
                    }
                    None => {
                        c.diffs.push(format!(
                            "tshark stopped inside a {} header that fits in the payload, for \
                             no reason the header's bytes show: {}",
                            h.layer,
                            hex(hb)
                        ));
                        x.l4_comparable = false;
                    }
                }
            } else {
                // The header does not fit in the payload: tshark throws, we must report
                // bad_ip_header (`p + 8 > ip_end`, or `p > ip_end` after the walk).
                c.check("ipv6 chain end", ours_end, Some("bad_ip_header"));
                c.check_opt("fragment", ours.fragment, Some(false));
                if ours_end == "bad_ip_header" {
                    c.tally.event(
                        "IPv6 extension header overrunning the payload on both sides (bad_ip_header)",
                    );
                }
            }
        }
        TsEnd::Final { t, layer } => {
            // Our specification walks 135, 139, 140, 253 and 254 like any extension
            // header (RFC 8200 / RFC 7045 numbering); tshark dissects Mobility (135),
            // HIP (139) and Shim6 control messages (140) as final protocols and shows
            // the experimental 253/254 as data, so it has no view of what follows.
            c.require(
                matches!(
                    (t, layer.unwrap_or("")),
                    (135, "mipv6") | (139, "hip") | (140, "shim6") | (253 | 254, "data") | (_, "")
                ),
                "tshark's layer for a Mobility/HIP/Shim6/experimental header is unexpected",
            );
            c.skip("IPv6 chain past a Mobility/HIP/Shim6/experimental header (tshark stops there)");
            x.l4_comparable = false;
        }
        TsEnd::Missing { t, layer } => {
            if chain.len >= plen {
                // Nothing left for the header: tshark calls no dissector, our walk
                // finds `p + 8 > ip_end`.
                c.check("ipv6 chain end", ours_end, Some("bad_ip_header"));
                c.check_opt("fragment", ours.fragment, Some(false));
            } else {
                c.diffs.push(format!(
                    "tshark dissected {layer:?} where the chain has extension header {t}"
                ));
                x.l4_comparable = false;
            }
        }
    }
    x
}

/// Compares one frame: `bytes` as captured, `ours` the RTL's record, `ts` tshark's
/// dissection. Every exception (a field we report but tshark does not, or gives
/// another meaning) is explained where it is made, counted under its reason, and made
/// only when tshark's own fields show that the exceptional case is at hand.
fn compare_frame(
    tally: &mut Tally,
    bytes: &[u8],
    ours: &Toe,
    ours_json: &serde_json::Value,
    ts: &TsRow,
) {
    tally.frames += 1;
    let mut c = FrameCmp {
        tally,
        compared: 0,
        diffs: Vec::new(),
    };
    let stack = ts.stack();
    let n = bytes.len() as u64;

    // ---- Frame. tshark's frame.len is the length on the wire (pcap orig_len); the
    // callers check that every frame was captured whole.
    c.check("len", u64::from(ours.len), ts.num("frame.len"));

    // ---- Link layer. `eth_type` is the type after at most one tag, `vlan` the first
    // tag's VID. tshark dissects a 0x8100 tag as `vlan`, a 0x88A8 tag as `ieee8021ad`.
    let outer = ts.num("eth.type");
    let s_tag = outer == Some(0x88A8);
    let tagged = ours.vlan.is_some();
    let inner = if s_tag {
        ts.num("ieee8021ah.etype")
    } else {
        ts.num("vlan.etype")
    };
    // tshark's 802.1ad dissector takes an S-tag directly followed by another 0x88A8
    // tag as one header (S-VID, C-VID) and reports no type field for the first tag.
    let s_s = s_tag && ts.num("ieee8021ad.svid").is_some();
    if let Some(et) = ours.eth_type {
        if et < 0x0600 {
            // IEEE 802.3: below 0x0600 the field is a length, not a type; tshark
            // reports it as eth.len / vlan.len and hands the payload to LLC.
            c.skip("eth_type < 0x0600 (an 802.3 length to tshark)");
        } else if !tagged && et == 0x8903 && stack.get(1) == Some(&"cfp") {
            // 0x8903 at offset 12 makes tshark read the frame as Cisco FabricPath,
            // whose outer header has another layout (no eth.type).
            c.skip("eth_type 0x8903 (Cisco FabricPath to tshark)");
        } else if tagged && s_s {
            c.require(
                et == 0x88A8,
                "tshark saw S-tag + S-tag but toe's eth_type is not 0x88A8",
            );
            c.skip("eth_type after an S-tag followed by an S-tag (tshark merges the tags)");
        } else {
            c.check(
                "eth_type",
                u64::from(et),
                if tagged { inner } else { outer },
            );
        }
        if let Some(v) = ours.vlan {
            let vid = if s_tag {
                ts.num("ieee8021ad.id").or(ts.num("ieee8021ad.svid"))
            } else {
                ts.num("vlan.id")
            };
            c.check("vlan", u64::from(v), vid);
        }
        // QinQ, derived from tshark's fields: outer TPID 0x88A8, or a 0x8100 tag whose
        // type is a TPID again.
        let ts_qinq = s_tag || (outer == Some(0x8100) && matches!(inner, Some(0x8100 | 0x88A8)));
        c.check("qinq", ours.qinq, Some(ts_qinq));
    }

    // ---- IP: compared when our parser reports the IP fields (`src_ip` non-null).
    let l3_pos = if tagged { 4 } else { 2 };
    let l3_off: u64 = if tagged { 18 } else { 14 };
    let mut ipv4_bad_opts = false;
    // What tshark found between the IP header and L4: for IPv6, the extension headers
    // it walked (see `compare_ipv6_chain`).
    let mut l3x = L3Extra::default();
    if let (Some(ver), Some(src), Some(dst)) = (ours.ip_version, &ours.src_ip, &ours.dst_ip) {
        let ts_ver = match stack.get(l3_pos) {
            Some(&"ip") => Some(4u8),
            Some(&"ipv6") => Some(6),
            _ => None,
        };
        c.check("ip_version", ver, ts_ver);
        let src: IpAddr = src.parse().expect("toe prints addresses");
        let dst: IpAddr = dst.parse().expect("toe prints addresses");
        if ver == 4 {
            let hdr = ts.num("ip.hdr_len");
            c.check_opt("ip_hdr_len", ours.ip_hdr_len.map(u64::from), hdr);
            c.check_opt("ip_options", ours.ip_options, hdr.map(|h| h > 20));
            let total = ts.num("ip.len");
            let bogus = match (hdr, total) {
                (Some(h), _) if h < 20 => true,
                (Some(h), Some(t)) => t < h,
                _ => false,
            };
            // tshark also checks the contents of IPv4 options, which our parser
            // does not interpret; a malformed option throws inside the IPv4 dissector
            // ("[Malformed Packet: IPv4]"), which then reports no field after the
            // option and hands nothing to TCP/UDP. Fields it did report are compared.
            let bad_opts = ours.ip_options == Some(true) && ts.malformed_in("IPv4");
            if bogus {
                // IHL < 5, or total length < header length (0 included: TSO support is
                // off): tshark stops ("Bogus IP header length" / "Bogus IP length")
                // right after those two fields, before addresses, protocol, flags and
                // checksum. Our specification still reports them (and the checksum when
                // the header is complete), then raises bad_ip_header, or truncated if
                // the options are cut off first.
                c.require(
                    ours.has("bad_ip_header") || ours.has("truncated"),
                    "tshark finds a bogus IPv4 length, toe has neither bad_ip_header nor truncated",
                );
                c.skip("IPv4 fields after IHL < 5 or total length < header length (tshark stops)");
            } else {
                c.check("src_ip", src, ts.addr("ip.src"));
                if hdr.is_some_and(|h| n < l3_off + h) {
                    // The frame ends inside the IPv4 options: tshark adds ip.dst only
                    // after dissecting the options (a source route changes what it
                    // displays as the destination), so it has none here.
                    c.require(ours.has("truncated"), "options cut off without truncated");
                    c.skip("IPv4 dst_ip when the frame ends inside the options");
                } else if bad_opts && ts.s("ip.dst").is_none() {
                    c.skip("IPv4 dst_ip after malformed options (tshark stops)");
                } else {
                    c.check("dst_ip", dst, ts.addr("ip.dst"));
                }
                c.check_opt("ip_proto", ours.ip_proto.map(u64::from), ts.num("ip.proto"));
                let ts_frag = match (ts.flag("ip.flags.mf"), ts.num("ip.frag_offset")) {
                    (Some(mf), Some(off)) => Some(mf || off != 0),
                    _ => None,
                };
                c.check_opt("fragment", ours.fragment, ts_frag);
                // Both verify the header when all of it is there (ours: null otherwise,
                // tshark: unverified).
                if bad_opts && ts.s("ip.checksum.status").is_none() {
                    c.skip("IPv4 checksum after malformed options (tshark stops)");
                } else {
                    c.check_csum(
                        "ip_csum_ok",
                        verdict(ours.ip_csum_ok),
                        ts.num("ip.checksum.status"),
                    );
                }
            }
            ipv4_bad_opts = bad_opts && !bogus;
        } else {
            c.check("src_ip", src, ts.addr("ipv6.src"));
            c.check("dst_ip", dst, ts.addr("ipv6.dst"));
            // `ip_proto` and `ip_options` describe the fixed header's next header.
            let nxt = ts.num("ipv6.nxt");
            c.check_opt("ip_proto", ours.ip_proto.map(u64::from), nxt);
            c.check_opt(
                "ip_options",
                ours.ip_options,
                nxt.map(|x| IPV6_EXT.contains(&x)),
            );
            // No header checksum and no header length field in IPv6: ours are fixed.
            c.require(
                ours.ip_csum_ok.is_none() && ours.ip_hdr_len == Some(40),
                "IPv6 record with ip_csum_ok non-null or ip_hdr_len != 40",
            );
            l3x = compare_ipv6_chain(&mut c, bytes, ours, ts, &stack, l3_pos, l3_off);
        }
    }

    // ---- L4. Not compared when tshark stopped inside malformed IPv4 options, or did
    // not walk an IPv6 extension-header chain to its end (`compare_ipv6_chain` counted
    // why).
    let l4 = if ipv4_bad_opts && stack.get(l3_pos + 1).is_none() {
        if ours.l4.is_some() {
            c.skip("L4 after IPv4 options tshark finds malformed (no TCP/UDP dissection)");
        }
        None
    } else if !l3x.l4_comparable {
        None
    } else {
        ours.l4.as_deref()
    };
    // tshark's layer after IP: past the IPv6 extension headers it walked.
    let l4_pos = l3_pos + 1 + l3x.ext_layers;
    // tshark's offset of L4 from the start of the IP header.
    let ts_l3_len = match ours.ip_version {
        Some(4) => ts.num("ip.hdr_len"),
        Some(6) => Some(40 + l3x.ext_len),
        _ => None,
    };

    // ---- L4 kind: whenever we classified L4, tshark's layer after IP must agree.
    if let Some(kind) = l4 {
        let empty = match ours.ip_version {
            Some(4) => ts.num("ip.len").is_some() && ts.num("ip.len") == ts.num("ip.hdr_len"),
            _ => ts.num("ipv6.plen") == Some(0),
        };
        if empty && kind != "other" {
            // tshark calls no dissector at all for an empty IP payload; ours reports
            // the protocol's L4 kind and bad_l4_header.
            c.require(
                ours.has("bad_l4_header"),
                "empty TCP/UDP without bad_l4_header",
            );
            c.skip("l4 of an empty IP payload (tshark calls no TCP/UDP dissector)");
        } else {
            let ts_kind = match stack.get(l4_pos) {
                Some(&"tcp") => "tcp",
                Some(&"udp") => "udp",
                _ => "other",
            };
            c.check("l4", kind, Some(ts_kind));
        }
    }

    // ---- TCP: compared when we report the TCP header (at least 20 bytes of L4).
    if l4 == Some("tcp") && ours.src_port.is_some() {
        let num = |v: Option<u32>| v.map(u64::from);
        c.check_opt(
            "src_port (tcp)",
            ours.src_port.map(u64::from),
            ts.num("tcp.srcport"),
        );
        c.check_opt(
            "dst_port (tcp)",
            ours.dst_port.map(u64::from),
            ts.num("tcp.dstport"),
        );
        c.check_opt("tcp_seq", num(ours.tcp_seq), ts.num("tcp.seq_raw"));
        let thl = ts.num("tcp.hdr_len");
        c.check_opt("tcp_hdr_len", ours.tcp_hdr_len.map(u64::from), thl);
        if thl.is_some_and(|h| h < 20) {
            // Data offset < 5: tshark stops ("Bogus TCP header length") right after
            // the header length, before ack, flags and checksum, which our
            // specification still reports (raising bad_l4_header).
            c.require(
                ours.has("bad_l4_header"),
                "TCP data offset < 5 without bad_l4_header",
            );
            c.skip("TCP ack, flags, checksum after a data offset < 5 (tshark stops)");
        } else {
            c.check_opt("tcp_ack", num(ours.tcp_ack), ts.num("tcp.ack_raw"));
            // tcp.flags has 12 bits (reserved bits, AE/NS, CWR..FIN), as ours.
            c.check_opt(
                "tcp_flags",
                ours.tcp_flags.map(u64::from),
                ts.num("tcp.flags"),
            );
            c.check_opt(
                "tcp_window",
                ours.tcp_window.map(u64::from),
                ts.num("tcp.window_size_value"),
            );
            if let Some(p) = l3x.pseudo {
                // See `Pseudo`: tshark's pseudo-header has other addresses than ours.
                c.skip(p.reason("tcp"));
            } else {
                // Pseudo-header and segment as delimited by the IP header, on both sides.
                c.check_csum(
                    "l4_csum_ok (tcp)",
                    verdict(ours.l4_csum_ok),
                    ts.num("tcp.checksum.status"),
                );
                if l3x.routing {
                    c.tally
                        .event("TCP/UDP checksum compared behind an IPv6 Routing header");
                }
            }
        }
        if let Some(pl) = ours.payload_len {
            // tcp.len = IP payload length - TCP header length, as ours.
            c.check("payload_len (tcp.len)", u64::from(pl), ts.num("tcp.len"));
            c.check_opt("tcp_options", ours.tcp_options, thl.map(|h| h > 20));
            // IPv6: the extension headers' lengths come from tshark's own fields.
            let ts_off = ts_l3_len.zip(thl).map(|(i, t)| l3_off + i + t);
            c.check_opt(
                "payload_offset (tcp)",
                ours.payload_offset.map(u64::from),
                ts_off,
            );
        }
    }

    // ---- UDP: compared when we report the UDP header (at least 8 bytes of L4).
    if l4 == Some("udp") && ours.src_port.is_some() {
        c.check_opt(
            "src_port (udp)",
            ours.src_port.map(u64::from),
            ts.num("udp.srcport"),
        );
        c.check_opt(
            "dst_port (udp)",
            ours.dst_port.map(u64::from),
            ts.num("udp.dstport"),
        );
        if let Some(pl) = ours.payload_len {
            // Reported only when the UDP length equals the IP payload length.
            c.check(
                "payload_len (udp.length-8)",
                u64::from(pl),
                ts.num("udp.length").map(|l| l.wrapping_sub(8)),
            );
            let ts_off = ts_l3_len.map(|i| l3_off + i + 8);
            c.check_opt(
                "payload_offset (udp)",
                ours.payload_offset.map(u64::from),
                ts_off,
            );
        }
        if ours.has("bad_l4_header") {
            // UDP length != IP payload length. tshark then checksums the first
            // udp.length bytes with udp.length in the pseudo-header, or nothing when
            // udp.length exceeds the payload; our specification always uses the
            // IP-derived length. Different computations: not comparable.
            c.skip("UDP checksum when the UDP length disagrees with the IP payload");
        } else {
            // A zero checksum field means "none": ours null; tshark "not present" over
            // IPv4 and "illegal" over IPv6 (RFC 8200 forbids it there).
            let want = match (ours.l4_csum_ok, ours.ip_version) {
                (None, Some(6)) => "illegal",
                (v, _) => verdict(v),
            };
            match l3x.pseudo {
                // As for TCP above (a zero checksum is computed by neither side).
                Some(p) if ours.l4_csum_ok.is_some() => c.skip(p.reason("udp")),
                _ => {
                    c.check_csum("l4_csum_ok (udp)", want, ts.num("udp.checksum.status"));
                    if l3x.routing {
                        c.tally
                            .event("TCP/UDP checksum compared behind an IPv6 Routing header");
                    }
                }
            }
        }
    }

    // ---- Coverage of the IPv6 extension-header walk: TCP/UDP compared behind it.
    if l3x.ext_walked && l4.is_some() && ours.src_port.is_some() {
        match l4 {
            Some("tcp") => c
                .tally
                .event("IPv6 extension headers walked, TCP fields compared"),
            Some("udp") => c
                .tally
                .event("IPv6 extension headers walked, UDP fields compared"),
            _ => {}
        }
        if ours.payload_offset.is_some() {
            c.tally
                .event("IPv6 extension headers walked, TCP/UDP payload offset compared");
        }
    }

    let (compared, diffs) = (c.compared, std::mem::take(&mut c.diffs));
    if compared > 1 {
        tally.frames_compared += 1;
        if !ours.errors.is_empty() {
            tally.event("frames with errors, fields besides len compared");
        }
    }
    if !diffs.is_empty() {
        let shown = &bytes[..bytes.len().min(200)];
        tally.failures.push(format!(
            "frame {} ({} bytes): {}\n  toe:    {}\n  tshark: {}\n  bytes{}: {}",
            ours.frame,
            bytes.len(),
            diffs.join("; "),
            ours_json,
            ts.describe(),
            if shown.len() < bytes.len() {
                " (first 200)"
            } else {
                ""
            },
            hex(shown)
        ));
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compares every frame with tshark; returns the tally (failures not yet asserted).
fn compare_all(frames: &[Vec<u8>], toe: &[(serde_json::Value, Toe)], ts: &[TsRow]) -> Tally {
    assert_eq!(
        toe.len(),
        frames.len(),
        "toe parse prints one line per frame"
    );
    assert_eq!(ts.len(), frames.len(), "tshark prints one line per frame");
    let mut t = Tally::default();
    for ((f, (json, ours)), row) in frames.iter().zip(toe).zip(ts) {
        compare_frame(&mut t, f, ours, json, row);
    }
    t
}

/// Frames where the RTL's record differs from the etherparse reference model.
fn reference_mismatches(frames: &[Vec<u8>], toe: &[(serde_json::Value, Toe)]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (f, (got, _))) in frames.iter().zip(toe).enumerate() {
        let want = reference(f, false, MIN_FRAME_LEN).to_json(i as u64 + 1);
        if *got != want {
            out.push(format!(
                "frame {} ({} bytes)\n  toe:       {got}\n  reference: {want}\n  bytes (first 200): {}",
                i + 1,
                f.len(),
                hex(&f[..f.len().min(200)])
            ));
        }
    }
    out
}

/// `rx.min_frame_len` of the default configuration, which `toe parse` uses.
const MIN_FRAME_LEN: u32 = 60;

fn fail_on(t: &Tally, refs: &[String], what: &str) {
    if t.failures.is_empty() && refs.is_empty() {
        return;
    }
    let list = |v: &[String]| v.iter().take(20).cloned().collect::<Vec<_>>().join("\n");
    panic!(
        "{what}: {} frames where toe and tshark disagree, {} where toe and the reference model \
         disagree (up to 20 of each shown)\n--- toe vs tshark:\n{}\n--- toe vs reference:\n{}\n\n{}",
        t.failures.len(),
        refs.len(),
        list(&t.failures),
        list(refs),
        t.report(what)
    );
}

/// Asserts that `field` was compared at least `min` times.
fn at_least(t: &Tally, field: &str, min: u64) {
    let got = t
        .field(field)
        .max(t.events.get(field).copied().unwrap_or(0));
    assert!(
        got >= min,
        "only {got} comparisons of {field} (want >= {min})\n{}",
        t.report("tally")
    );
}

// ------------------------------------------------------- test 1: generated frames

/// Extra generated frames with IPv6 extension headers (see the test).
const EXT_FRAMES: usize = 1600;

/// An untagged or single-tagged IPv6 frame whose fixed header's next header is an
/// extension header (by the bytes, whatever else a mutation did to them).
fn ipv6_ext_header_frame(f: &[u8]) -> bool {
    let et = |at: usize| f.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let l3 = match et(12) {
        Some(0x8100 | 0x88A8) => 18,
        _ => 14,
    };
    et(l3 - 2) == Some(0x86DD)
        && f.get(l3 + 6)
            .is_some_and(|&nh| IPV6_EXT.contains(&u64::from(nh)))
}

/// Internet checksum of the concatenation of `parts` (each of even length but the last).
fn inet_csum(parts: &[&[u8]]) -> u16 {
    let bytes: Vec<u8> = parts.concat();
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv6 frame with the extension headers `exts` (type, bytes after the next-header
/// and length fields) and a TCP (6) or UDP (17) segment whose checksum is computed, as
/// our specification does, with the fixed header's addresses.
fn crafted_ipv6_frame(exts: &[(u8, Vec<u8>)], l4: u8) -> Vec<u8> {
    let src: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    ];
    let dst: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
    ];
    let data = b"extension headers walked";
    let mut seg = if l4 == 6 {
        let mut t = vec![0x0f, 0xa0, 0x13, 0x88]; // ports 4000 -> 5000
        t.extend_from_slice(&0x0102_0304u32.to_be_bytes()); // seq
        t.extend_from_slice(&0x0506_0708u32.to_be_bytes()); // ack
        t.extend_from_slice(&[0x50, 0x18, 0x10, 0x00, 0, 0, 0, 0]); // ACK|PSH
        t
    } else {
        let len = (8 + data.len()) as u16;
        let mut u = vec![0x0f, 0xa0, 0x13, 0x88];
        u.extend_from_slice(&len.to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u
    };
    seg.extend_from_slice(data);
    let seg_len = (seg.len() as u32).to_be_bytes();
    let sum = inet_csum(&[&src, &dst, &seg_len, &[0, 0, 0, l4], &seg]);
    let at = if l4 == 6 { 16 } else { 6 };
    seg[at..at + 2].copy_from_slice(&sum.to_be_bytes());

    let mut chain = Vec::new();
    for (i, (t, body)) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map_or(l4, |e| e.0);
        let total = body.len() + 2;
        let len = if *t == 51 {
            total / 4 - 2
        } else {
            total / 8 - 1
        };
        assert!(
            total % if *t == 51 { 4 } else { 8 } == 0,
            "extension header size"
        );
        chain.push(next);
        chain.push(len as u8);
        chain.extend_from_slice(body);
    }
    let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xDD];
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&((chain.len() + seg.len()) as u16).to_be_bytes());
    f.push(exts.first().map_or(l4, |e| e.0));
    f.push(64);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&chain);
    f.extend_from_slice(&seg);
    f
}

/// Frames for the pseudo-header exceptions ([`Pseudo`]), TCP and UDP each: Routing
/// headers of the types tshark decodes with Segments Left 1 (tshark's pseudo-header
/// uses the final destination: 5 frames per L4 protocol with the Home Address option
/// below), the same with Segments Left 0 and a type tshark does not decode (compared),
/// and a Home Address option; each behind another extension header as well.
fn crafted_pseudo_header_frames() -> Vec<Vec<u8>> {
    let hop = || (0u8, vec![1, 4, 0, 0, 0, 0]); // PadN
    let addr: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0xbb,
    ];
    let routing = |ty: u8, segleft: u8| {
        // Type, Segments Left, 4 bytes (reserved / RPL CmprI, CmprE, Pad 0 / SRH Last
        // Entry 0), one address.
        let mut b = vec![ty, segleft, 0, 0, 0, 0];
        b.extend_from_slice(&addr);
        (43u8, b)
    };
    let home = || {
        // PadN(2), then the Home Address option at 8n+6.
        let mut b = vec![1, 2, 0, 0, 0xC9, 16];
        b.extend_from_slice(&addr);
        (60u8, b)
    };
    let mut out = Vec::new();
    for l4 in [6u8, 17] {
        for ty in [0u8, 2, 3, 4] {
            out.push(crafted_ipv6_frame(&[routing(ty, 1)], l4));
            out.push(crafted_ipv6_frame(&[routing(ty, 0)], l4));
        }
        out.push(crafted_ipv6_frame(&[hop(), routing(1, 1)], l4));
        out.push(crafted_ipv6_frame(&[hop(), home()], l4));
    }
    out
}

/// Per L4 protocol, how many of [`crafted_pseudo_header_frames`] tshark computes
/// another pseudo-header for: Routing types 0, 2, 3, 4 with Segments Left 1.
const CRAFTED_ROUTING_DST: u64 = 4;

#[test]
fn tshark_agrees_on_generated_frames() {
    if !have_tshark("tshark_agrees_on_generated_frames") {
        return;
    }
    let t0 = Instant::now();
    let dir = tmp("tshark-generated");
    // Three valid frames to one mutated frame.
    let mut g = FrameGen::new(0x7473_6861_726b);
    let mut frames: Vec<Vec<u8>> = (0..3000)
        .map(|i| if i % 4 == 3 { g.mutated() } else { g.valid() })
        .collect();
    // IPv6 frames with extension headers are a few percent of that mix; EXT_FRAMES more
    // of them, drawn from the same generator in the same ratio, so that the walk of the
    // chain (and tshark's view of it) is compared often.
    let mut drawn = 0;
    let mut ext = 0;
    while ext < EXT_FRAMES {
        let f = if drawn % 4 == 3 {
            g.mutated()
        } else {
            g.valid()
        };
        drawn += 1;
        assert!(
            drawn < 200 * EXT_FRAMES,
            "the generator hardly makes IPv6 extension headers"
        );
        if ipv6_ext_header_frame(&f) {
            frames.push(f);
            ext += 1;
        }
    }
    // And the cases of the pseudo-header exceptions, which random headers hardly hit.
    frames.extend(crafted_pseudo_header_frames());
    let pcap = dir.join("generated.pcap");
    cosim::write_pcap(&pcap, &frames).unwrap();

    let toe = toe_parse(&pcap, &dir.join("build"));
    let ts = tshark_fields(&pcap);
    let t = compare_all(&frames, &toe, &ts);
    let refs = reference_mismatches(&frames, &toe);
    eprintln!("{}", t.report("generated frames"));
    fail_on(&t, &refs, "generated frames");

    // Not vacuous: (nearly) every frame compared beyond its length (frames of fewer
    // than 14 bytes have nothing else), and every field many times.
    assert!(
        t.frames_compared >= 2900 + EXT_FRAMES as u64,
        "{}",
        t.report("generated frames")
    );
    assert!(
        t.total_fields() >= 30_000,
        "{}",
        t.report("generated frames")
    );
    for (field, min) in [
        ("len", 3000),
        ("eth_type", 2500),
        ("vlan", 500),
        ("qinq", 2500),
        ("ip_version", 2000),
        ("src_ip", 2000),
        ("dst_ip", 2000),
        ("ip_proto", 2000),
        ("ip_hdr_len", 1000),
        ("fragment", 2000),
        ("ip_options", 2000),
        ("ip_csum_ok", 1000),
        ("l4", 1500),
        ("src_port (tcp)", 800),
        ("tcp_seq", 800),
        ("tcp_ack", 800),
        ("tcp_flags", 800),
        ("tcp_window", 800),
        ("tcp_hdr_len", 800),
        ("tcp_options", 800),
        ("payload_len (tcp.len)", 800),
        ("payload_offset (tcp)", 800),
        ("l4_csum_ok (tcp)", 800),
        ("src_port (udp)", 300),
        ("payload_len (udp.length-8)", 300),
        ("payload_offset (udp)", 300),
        ("l4_csum_ok (udp)", 300),
        ("frames with errors, fields besides len compared", 300),
        ("IPv4 header checksum bad on both sides", 10),
        ("TCP checksum bad on both sides", 10),
        ("UDP checksum bad on both sides", 5),
        ("UDP checksum 0 (not checked) on both sides", 5),
        // The IPv6 extension-header walk (about 1 in 4 of the EXT_FRAMES frames ends
        // at a Fragment header, about 1 in 5 in tshark throwing inside random options).
        ("ipv6 chain end", 1500),
        ("IPv6 extension headers walked, TCP fields compared", 300),
        ("IPv6 extension headers walked, UDP fields compared", 100),
        (
            "IPv6 extension headers walked, TCP/UDP payload offset compared",
            450,
        ),
        ("IPv6 Hop-by-Hop header walked to L4 on both sides", 250),
        (
            "IPv6 Destination Options header walked to L4 on both sides",
            200,
        ),
        ("IPv6 Routing header walked to L4 on both sides", 180),
        ("IPv6 AH walked to L4 on both sides", 180),
        (
            "IPv6 chain of 3 or more extension headers walked to L4 on both sides",
            80,
        ),
        (
            "IPv6 extension headers walked to a Fragment header on both sides",
            200,
        ),
        (
            "IPv6 extension header overrunning the payload on both sides (bad_ip_header)",
            10,
        ),
        (
            "TCP/UDP checksum compared behind an IPv6 Routing header",
            150,
        ),
    ] {
        at_least(&t, field, min);
    }
    // The pseudo-header exceptions applied to the crafted frames (and perhaps to a
    // random one).
    for (p, min) in [
        (Pseudo::RoutingDst, CRAFTED_ROUTING_DST),
        (Pseudo::HomeAddressSrc, 1),
    ] {
        for l4 in ["tcp", "udp"] {
            let got = t.skipped.get(p.reason(l4)).copied().unwrap_or(0);
            assert!(
                got >= min,
                "{}: {got} times, want >= {min}\n{}",
                p.reason(l4),
                t.report("generated frames")
            );
        }
    }
    eprintln!("generated frames: {:.1} s", t0.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&dir);
}

// ----------------------------------------------------- test 2: real loopback traffic

/// tshark capturing on `lo` in the background, in a process group of its own so that
/// it and the dumpcap it starts can be killed together. Killed on drop unless stopped.
struct Capture {
    child: Child,
    stopped: bool,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Capture {
    fn start(file: &Path, filter: &str) -> Capture {
        let mut cmd = Command::new("tshark");
        isolate(&mut cmd, file.parent().expect("capture file in a folder"));
        let mut child = cmd
            // 64 MiB kernel buffer: bulk transfers over loopback come in 64 KB frames.
            // The duration autostop is only a backstop should this process die.
            .args([
                "-i",
                "lo",
                "-n",
                "-B",
                "64",
                "-a",
                "duration:120",
                "-f",
                filter,
                "-w",
            ])
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("cannot start tshark");
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Capture {
            child,
            stopped: false,
            lines: rx,
            log: Vec::new(),
        }
    }

    /// Waits until tshark reports "Capturing on"; Err(what it said) if it exits or
    /// stays silent instead.
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "tshark did not report \"Capturing on\" within {timeout:?}; stderr: {}",
                    self.log.join(" | ")
                ));
            }
            match self.lines.recv_timeout(left.min(Duration::from_millis(50))) {
                Ok(line) => {
                    let ready = line.contains("Capturing on");
                    self.log.push(line);
                    if ready {
                        return Ok(());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // stderr closed: tshark is exiting.
                    let status = self.wait_exit(Duration::from_secs(5));
                    return Err(format!(
                        "tshark exited ({status:?}) before capturing; stderr: {}",
                        self.log.join(" | ")
                    ));
                }
            }
        }
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                self.stopped = true;
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGINT: tshark stops dumpcap, which writes out the file. Waits for the exit and
    /// returns everything tshark printed on stderr.
    fn stop(&mut self, timeout: Duration) -> Vec<String> {
        let pid = pid(&self.child);
        assert_eq!(
            signal(pid, SIGINT),
            0,
            "kill(2) SIGINT to tshark ({pid}) failed"
        );
        let status = self.wait_exit(timeout);
        let status = status.unwrap_or_else(|| panic!("tshark did not stop within {timeout:?}"));
        // The reader thread ends at EOF; bounded in case a grandchild holds the pipe.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.log.push(line);
        }
        assert!(
            status.success(),
            "tshark capture ended with {status}: {}",
            self.log.join(" | ")
        );
        self.log.clone()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if !self.stopped {
            // The whole process group we created: tshark and its dumpcap.
            let _ = signal(-pid(&self.child), SIGKILL);
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// kill(2) from the C library std already links (no extra dependency, and no need for
// a `kill` program).
unsafe extern "C" {
    #[link_name = "kill"]
    safe fn signal(pid: i32, sig: i32) -> i32;
}
const SIGINT: i32 = 2;
const SIGKILL: i32 = 9;

fn pid(child: &Child) -> i32 {
    i32::try_from(child.id()).expect("pid fits in pid_t")
}

/// One TCP connection's traffic: the client's writes, then the server's reply length.
struct Conn {
    writes: Vec<usize>,
    reply: usize,
}

/// Small writes (each its own segment: TCP_NODELAY and a pause), a bulk transfer of a
/// few MB in one write, and a connection that carries no data at all.
fn conns() -> Vec<Conn> {
    vec![
        Conn {
            writes: vec![],
            reply: 0,
        },
        Conn {
            writes: vec![
                1, 2, 3, 10, 64, 100, 536, 1000, 1400, 1460, 1500, 4000, 9000, 16384,
            ],
            reply: 1000,
        },
        Conn {
            writes: vec![(3 << 20) + 1234],
            reply: 256 << 10,
        },
    ]
}

/// Deterministic test data for connection `k`.
fn pattern(k: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 9) ^ k.wrapping_mul(0x9E)) as u8)
        .collect()
}

fn io_err(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The server side: accepts `conns().len()` connections in order, reads each to EOF,
/// answers with its reply and closes. Returns what it received per connection.
fn serve(listener: TcpListener, deadline: Instant) -> Result<Vec<Vec<u8>>, String> {
    listener
        .set_nonblocking(true)
        .map_err(io_err("listener nonblocking"))?;
    let mut got = Vec::new();
    for (k, conn) in conns().iter().enumerate() {
        let mut s = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        return Err(format!("no connection {k} before the deadline"));
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => return Err(format!("accept: {e}")),
            }
        };
        s.set_nonblocking(false)
            .map_err(io_err("stream blocking"))?;
        s.set_read_timeout(Some(IO_TIMEOUT))
            .map_err(io_err("timeout"))?;
        s.set_write_timeout(Some(IO_TIMEOUT))
            .map_err(io_err("timeout"))?;
        let mut data = Vec::new();
        s.read_to_end(&mut data).map_err(io_err("server read"))?;
        s.write_all(&pattern(k + 100, conn.reply))
            .map_err(io_err("server write"))?;
        s.shutdown(Shutdown::Write)
            .map_err(io_err("server shutdown"))?;
        // Wait for the client's close so that the exchange completes.
        let mut rest = Vec::new();
        s.read_to_end(&mut rest)
            .map_err(io_err("server final read"))?;
        got.push(data);
    }
    Ok(got)
}

/// The client side of every connection to `addr`, with a server thread on `listener`.
fn exchange(listener: TcpListener, addr: SocketAddr) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(serve(listener, deadline));
    });
    for (k, conn) in conns().iter().enumerate() {
        let mut s = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(io_err("connect"))?;
        s.set_read_timeout(Some(IO_TIMEOUT))
            .map_err(io_err("timeout"))?;
        s.set_write_timeout(Some(IO_TIMEOUT))
            .map_err(io_err("timeout"))?;
        s.set_nodelay(true).map_err(io_err("nodelay"))?;
        let data = pattern(k, conn.writes.iter().sum());
        let mut at = 0;
        for &w in &conn.writes {
            s.write_all(&data[at..at + w])
                .map_err(io_err("client write"))?;
            at += w;
            if conn.writes.len() > 1 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        s.shutdown(Shutdown::Write)
            .map_err(io_err("client shutdown"))?;
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).map_err(io_err("client read"))?;
        if reply != pattern(k + 100, conn.reply) {
            return Err(format!(
                "connection {k}: wrong reply ({} bytes)",
                reply.len()
            ));
        }
    }
    let got = rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()) + IO_TIMEOUT)
        .map_err(|_| "the server thread did not finish".to_string())??;
    for (k, (conn, data)) in conns().iter().zip(&got).enumerate() {
        if *data != pattern(k, conn.writes.iter().sum()) {
            return Err(format!("connection {k}: server received wrong data"));
        }
    }
    Ok(())
}

/// Bytes of sequence space covered by payload per (ip version, client→server?),
/// counting retransmitted bytes once. Sequence numbers are taken relative to each
/// direction's SYN.
fn payload_coverage(
    toe: &[(serde_json::Value, Toe)],
    server_ports: &[u16],
) -> BTreeMap<(u8, bool), u64> {
    type Key = (u8, u16, u16);
    let mut isn: BTreeMap<Key, u32> = BTreeMap::new();
    let mut segs: BTreeMap<Key, Vec<(u32, u32)>> = BTreeMap::new();
    for (_, m) in toe {
        let (Some(v), Some(sp), Some(dp), Some(seq), Some(flags)) =
            (m.ip_version, m.src_port, m.dst_port, m.tcp_seq, m.tcp_flags)
        else {
            continue;
        };
        let key = (v, sp, dp);
        if flags & 0x02 != 0 {
            isn.insert(key, seq);
        }
        if let Some(len) = m.payload_len.filter(|&l| l > 0) {
            segs.entry(key).or_default().push((seq, len));
        }
    }
    let mut out = BTreeMap::new();
    for (key, list) in segs {
        let Some(&start) = isn.get(&key) else {
            continue;
        };
        let mut iv: Vec<(u64, u64)> = list
            .iter()
            .map(|&(seq, len)| {
                let off = u64::from(seq.wrapping_sub(start.wrapping_add(1)));
                (off, off + u64::from(len))
            })
            .collect();
        iv.sort();
        let (mut covered, mut end) = (0u64, 0u64);
        for (a, b) in iv {
            let a = a.max(end);
            if b > a {
                covered += b - a;
                end = b;
            }
        }
        let to_server = server_ports.contains(&key.2);
        *out.entry((key.0, to_server)).or_default() += covered;
    }
    out
}

/// Fails under CI, otherwise prints a note: the environment cannot capture.
fn cannot_capture(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("real_loopback_tcp_traffic: cannot capture on lo and CI is set: {why}");
    }
    eprintln!("NOTE: real_loopback_tcp_traffic skipped: cannot capture on lo: {why}");
}

#[test]
fn real_loopback_tcp_traffic() {
    if !have_tshark("real_loopback_tcp_traffic") {
        return;
    }
    let t0 = Instant::now();
    let dir = tmp("tshark-loopback");
    let file = dir.join("lo.pcapng");

    // Listeners first (free ports chosen by the kernel), so the filter can name them.
    let l4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1");
    let l6 = TcpListener::bind((Ipv6Addr::LOCALHOST, 0))
        .expect("bind [::1] (the test needs IPv6 on the loopback interface)");
    let a4 = l4.local_addr().unwrap();
    let a6 = l6.local_addr().unwrap();
    let filter = format!(
        "(ip host 127.0.0.1 and tcp port {}) or (ip6 host ::1 and tcp port {})",
        a4.port(),
        a6.port()
    );

    let mut cap = Capture::start(&file, &filter);
    if let Err(e) = cap.wait_ready(Duration::from_secs(20)) {
        let low = e.to_lowercase();
        if low.contains("permission") || low.contains("not permitted") {
            cannot_capture(&e);
            return;
        }
        panic!("{e}");
    }
    // "Capturing on" comes once dumpcap has opened lo with the filter; a moment more
    // for the message to have travelled through tshark.
    std::thread::sleep(Duration::from_millis(300));

    exchange(l4, a4).expect("IPv4 loopback traffic");
    exchange(l6, a6).expect("IPv6 loopback traffic");
    // Let the last ACKs reach the capture before stopping it.
    std::thread::sleep(Duration::from_millis(500));
    let log = cap.stop(Duration::from_secs(20));
    let dropped: u64 = log
        .iter()
        .filter(|l| l.contains("dropped"))
        .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .sum();

    let captured = cosim::read_pcap(&file).expect("reading the capture");
    for (i, f) in captured.iter().enumerate() {
        assert_eq!(
            f.data.len() as u64,
            u64::from(f.orig_len),
            "frame {} was cut by the snap length",
            i + 1
        );
    }
    let frames: Vec<Vec<u8>> = captured.into_iter().map(|f| f.data).collect();
    let toe = toe_parse(&file, &dir.join("build"));
    let ts = tshark_fields(&file);
    let t = compare_all(&frames, &toe, &ts);
    let refs = reference_mismatches(&frames, &toe);
    eprintln!("{}", t.report("loopback capture"));
    fail_on(&t, &refs, "loopback capture");

    // The same capture through the receive engine top (`toe receive`): every frame lands
    // in a ring buffer byte-exact, its RX_FRAME event equals the model's, and its status
    // word agrees with tshark (length, IP version, TCP, TCP checksum verdict, where the
    // payload starts).
    let rx = toe_receive(&file, &dir.join("build"));
    assert_eq!(rx.len(), frames.len());
    for (i, (j, row)) in rx.iter().zip(&ts).enumerate() {
        let n = i + 1;
        assert_eq!(j["bytes_ok"], true, "frame {n}");
        assert_eq!(j["matches_model"], true, "frame {n}: {j}");
        let st = &j["status"];
        assert_eq!(st["frame_len"].as_u64(), row.num("frame.len"), "frame {n}");
        let v = if row.s("ip.src").is_some() {
            Some(4)
        } else if row.s("ipv6.src").is_some() {
            Some(6)
        } else {
            None
        };
        assert_eq!(st["ip4"].as_u64() == Some(1), v == Some(4), "frame {n}");
        assert_eq!(st["ip6"].as_u64() == Some(1), v == Some(6), "frame {n}");
        assert_eq!(st["tcp"], 1, "frame {n}");
        let ok = ts_verdict(row.num("tcp.checksum.status")) == "good";
        assert_eq!(st["l4_csum_ok"].as_u64() == Some(1), ok, "frame {n}");
        let l3 = if v == Some(4) {
            14 + row.num("ip.hdr_len").unwrap_or(0)
        } else {
            54
        };
        assert_eq!(
            st["payload_offset"].as_u64(),
            Some(l3 + row.num("tcp.hdr_len").unwrap_or(0)),
            "frame {n}"
        );
    }

    // Every frame is fully comparable (no exception applies to clean kernel traffic)
    // and was compared down to the TCP checksum.
    assert!(t.skipped.is_empty(), "{}", t.report("loopback capture"));
    assert_eq!(t.frames_compared, frames.len() as u64);
    assert_eq!(
        t.field("l4_csum_ok (tcp)"),
        frames.len() as u64,
        "{}",
        t.report("loopback capture")
    );

    // The capture is what we made: TCP between our endpoints only, both families,
    // handshakes, data (including loopback-sized frames) and FINs.
    let ports = [a4.port(), a6.port()];
    let mut seen: BTreeMap<(u8, &str), u64> = BTreeMap::new();
    for (_, m) in &toe {
        let v = m.ip_version.expect("IP frame");
        let want: IpAddr = if v == 4 {
            Ipv4Addr::LOCALHOST.into()
        } else {
            Ipv6Addr::LOCALHOST.into()
        };
        assert_eq!(m.l4.as_deref(), Some("tcp"), "frame {}", m.frame);
        for a in [&m.src_ip, &m.dst_ip] {
            assert_eq!(
                a.as_deref().map(|a| a.parse::<IpAddr>().unwrap()),
                Some(want)
            );
        }
        let server = if v == 4 { ports[0] } else { ports[1] };
        assert!(
            m.src_port == Some(server) || m.dst_port == Some(server),
            "frame {}",
            m.frame
        );
        let flags = m.tcp_flags.unwrap();
        let mut count = |k| *seen.entry((v, k)).or_default() += 1;
        count("frames");
        if flags & 0x12 == 0x02 {
            count("SYN");
        }
        if flags & 0x12 == 0x12 {
            count("SYN-ACK");
        }
        if flags & 0x01 != 0 {
            count("FIN");
        }
        if m.payload_len.is_some_and(|l| l > 0) {
            count("data");
        }
        if m.len > 1518 {
            count("longer than 1518 bytes");
        }
        if m.l4_csum_ok == Some(false) {
            count("TCP checksum bad (partial on loopback)");
        }
    }
    eprintln!(
        "loopback capture: {}",
        seen.iter()
            .map(|((v, k), n)| format!("IPv{v} {k}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let n_conns = conns().len() as u64;
    for v in [4, 6] {
        let get = |k| seen.get(&(v, k)).copied().unwrap_or(0);
        assert!(get("frames") >= 40, "IPv{v}: only {} frames", get("frames"));
        assert!(get("SYN") >= n_conns, "IPv{v}: {} SYNs", get("SYN"));
        assert!(
            get("SYN-ACK") >= n_conns,
            "IPv{v}: {} SYN-ACKs",
            get("SYN-ACK")
        );
        assert!(get("FIN") >= 2 * n_conns, "IPv{v}: {} FINs", get("FIN"));
        assert!(get("data") >= 20, "IPv{v}: {} data frames", get("data"));
        assert!(
            get("longer than 1518 bytes") >= 1,
            "IPv{v}: no frame longer than 1518 bytes (loopback MTU is normally 65536)"
        );
    }

    // Payload bytes per direction, from our records, equal what the sockets carried
    // (unless the kernel dropped frames from the capture).
    let cover = payload_coverage(&toe, &ports);
    let up: u64 = conns()
        .iter()
        .map(|c| c.writes.iter().sum::<usize>() as u64)
        .sum();
    let down: u64 = conns().iter().map(|c| c.reply as u64).sum();
    if dropped == 0 {
        for v in [4u8, 6] {
            assert_eq!(
                cover.get(&(v, true)).copied().unwrap_or(0),
                up,
                "IPv{v} client to server payload"
            );
            assert_eq!(
                cover.get(&(v, false)).copied().unwrap_or(0),
                down,
                "IPv{v} server to client payload"
            );
        }
    } else {
        eprintln!("NOTE: the capture dropped {dropped} packets; payload byte totals not checked");
    }
    eprintln!(
        "loopback capture: {} frames, {:.1} MB, longest {} bytes, payload {up} bytes up and \
         {down} down per family, {dropped} dropped by the capture, {:.1} s",
        frames.len(),
        frames.iter().map(|f| f.len()).sum::<usize>() as f64 / 1e6,
        frames.iter().map(|f| f.len()).max().unwrap_or(0),
        t0.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
