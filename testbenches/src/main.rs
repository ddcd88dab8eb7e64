//! `toe`: generate, lint, co-simulate and measure the TCP offload engine's blocks.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use host_model::Resolved;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use testbenches::framegen::FrameGen;
use testbenches::reference::reference;
use testbenches::rx::{Drive, RxParserSim};

#[derive(Parser)]
#[command(
    name = "toe",
    version,
    about = "FPGA TCP offload engine generator and co-simulation harness"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write the engine's Verilog (rtl/*.v) and manifest.json for a configuration.
    Generate {
        /// Configuration file (TOML); defaults for every key not given.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output folder [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Lint (Verilator -Wall) and elaborate (yosys) what `generate` wrote.
    Lint {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder written by `toe generate` [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replay every frame of a pcap through the Verilated parser; print one JSON object
    /// per frame (JSON Lines) on standard output.
    Parse {
        /// Capture to replay (pcap, Ethernet link type).
        #[arg(long)]
        pcap: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Write a VCD waveform of the run to this file.
        #[arg(long)]
        waves: Option<PathBuf>,
        /// Folder for the generated RTL [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replay every frame of a pcap through the Verilated receive engine top (`rx`): each
    /// frame is written by DMA into a receive-ring buffer in host memory; print one JSON
    /// object per frame (buffer, status word, errors, whether the buffer holds the frame's
    /// bytes and whether the event equals the host model's, fed by the reference parser).
    /// Exits with an error if any frame differs.
    Receive {
        /// Capture to replay (pcap, Ethernet link type).
        #[arg(long)]
        pcap: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder for the generated RTL [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replay a pcap through the receive fast path RTL: every direction of a TCP
    /// connection carrying payload (up to 16) is handed out first (RCV.NXT from its SYN,
    /// else its first segment), receive lists stay posted, and each is flushed at the
    /// end. Prints a JSON report per flow: the bytes the host got must be a byte-exact
    /// prefix of an independent reassembly (etherparse) of the candidate segments; exits
    /// with an error if not.
    RcvReplay {
        /// Capture to replay (pcap; Ethernet, raw IP, Linux cooked and loopback link types).
        #[arg(long)]
        pcap: PathBuf,
        /// Write each flow's delivered bytes to <DIR>/flow-<n>.bin (n from 1, report order).
        #[arg(long)]
        dump: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder for the generated RTL [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Differential run: random and mutated frames through the RTL, compared field by
    /// field with the etherparse-based reference model.
    Diff {
        /// Number of frames.
        #[arg(long, default_value_t = 100_000)]
        frames: u64,
        /// Seed of the frame generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Probability of an idle input cycle.
        #[arg(long, default_value_t = 0.1)]
        gap: f64,
        /// Probability that each output is ready in a cycle.
        #[arg(long, default_value_t = 0.8)]
        ready: f64,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Synthesize and place-and-route the generated blocks; report area and Fmax
    /// (JSON and Markdown under <out>/reports/).
    Synth {
        #[arg(long)]
        config: Option<PathBuf>,
        /// ecp5 (yosys + nextpnr-ecp5, LFE5U-85F speed 8 and 6, out of context), ice40
        /// (UP5K, HX8K) or xilinx (7-series resource estimate).
        #[arg(long, default_value = "ecp5")]
        target: String,
        /// Block to synthesize (rx_parser), or all.
        #[arg(long, default_value = "all")]
        block: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Benchmark report: co-simulation speed (cycles/s, frames/s), simulated throughput
    /// (beats/cycle, idle cycles), joined with <out>/reports/synth-*.json into
    /// <out>/reports/bench.{md,html,json} and bench-fps.svg; prints the Markdown.
    Bench {
        /// Frames per measurement (1518-byte frames: a sixteenth of this).
        #[arg(long, default_value_t = 200_000)]
        frames: u64,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output folder: RTL, and reports/ read and written [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run an end-to-end scenario on the Verilated engine with the host stack model,
    /// the engine model answering alongside; prints a summary.
    Sim {
        /// offload-many: handshakes, one block-list handout, line-rate lookups, FINs
        /// raising upload requests, flushes, on the engine top; offload-many-ring: the
        /// same on the receive engine top, the host reading every frame from
        /// receive-ring buffers.
        #[arg(long, default_value = "offload-many")]
        scenario: String,
        /// Connections.
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder for the generated RTL [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The receive fast path RTL (`<prefix>_rx`) on a random stream in lockstep with its
    /// model (lists, in-order / old / past-window / empty segments, FRAME_DATA); prints
    /// a JSON report, fails on the first difference.
    RcvRtl {
        /// Rounds (each: lists posted and up to 8 segments, or segments past the lists).
        #[arg(long, default_value_t = 160)]
        rounds: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder for the generated RTL [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Full-duplex TCP between the engine model (send and receive fast paths, the host
    /// model as its host) and smoltcp through a simulated link (10 Gb/s, latency, a
    /// queue, loss, reordering): handshake by the host, handout, bulk data both ways,
    /// flush / re-handout cycles, close; every byte and every frame checked; prints a
    /// JSON report, optionally writes the conversation to a pcap file.
    Duplex {
        /// Bytes each way.
        #[arg(long, default_value_t = 10 << 20)]
        bytes: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Probabilities per frame, each direction: lost, delayed behind later frames.
        #[arg(long, default_value_t = 0.002)]
        loss: f64,
        #[arg(long, default_value_t = 0.002)]
        reorder: f64,
        /// Flush / re-handout cycles started by the host.
        #[arg(long, default_value_t = 2)]
        flushes: u32,
        /// Write the conversation to this pcap file.
        #[arg(long)]
        pcap: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Receive fast path end to end, on the host model (`host_model::rcv`) or with
    /// `--rtl` on the receive engine RTL under Verilator: a TCP stream from a peer model
    /// through loss, duplication, reordering and lost ACKs into receive lists of random
    /// shapes, with host stalls and flush / re-handout cycles; checks every byte the
    /// application gets and every ACK frame (etherparse); prints a JSON report.
    RcvStream {
        /// Stream length in bytes.
        #[arg(long, default_value_t = 10 << 20)]
        bytes: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Probabilities per data frame: lost, duplicated, swapped with the next.
        #[arg(long, default_value_t = 0.01)]
        loss: f64,
        #[arg(long, default_value_t = 0.01)]
        dup: f64,
        #[arg(long, default_value_t = 0.02)]
        reorder: f64,
        /// Probability that an ACK is lost.
        #[arg(long, default_value_t = 0.01)]
        ack_loss: f64,
        /// Probability per round of a flush and later re-handout.
        #[arg(long, default_value_t = 0.002)]
        flush: f64,
        /// Probability per round that the host stops posting lists for a while.
        #[arg(long, default_value_t = 0.01)]
        stall: f64,
        /// Segment payload size.
        #[arg(long, default_value_t = 1460)]
        mss: u32,
        /// IPv6 flow (else IPv4).
        #[arg(long)]
        ipv6: bool,
        /// 802.1Q-tagged flow.
        #[arg(long)]
        vlan: bool,
        /// Run the RTL (generated and Verilated under --out) instead of the model.
        #[arg(long)]
        rtl: bool,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder for the generated RTL [default: build/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The main job on the default configuration: generate, lint, Verilate, parse a
    /// sample capture made here, run the offload-many scenario on the engine top and on
    /// the receive engine top, replay the capture into ring buffers, run the receive fast
    /// path model on a 10 MB impaired stream, and print a summary.
    Demo {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn load(config: &Option<PathBuf>) -> Result<Resolved> {
    Ok(Resolved::load(config.as_deref())?)
}

fn out_dir(cfg: &Resolved, out: &Option<PathBuf>) -> PathBuf {
    out.clone()
        .unwrap_or_else(|| Path::new("build").join(&cfg.config.name))
}

fn cmd_generate(cfg: &Resolved, out: &Path) -> Result<()> {
    let g = hdl::generate(cfg)?;
    for p in g.write_to(out)? {
        println!("wrote {}", p.display());
    }
    Ok(())
}

fn cmd_lint(out: &Path) -> Result<()> {
    let manifest = out.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).with_context(|| {
        format!(
            "cannot read {}: run `toe generate` first",
            manifest.display()
        )
    })?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", manifest.display()))?;
    let blocks = m["blocks"].as_array().context("manifest has no `blocks`")?;
    for b in blocks {
        let top = b["top"].as_str().context("manifest block without `top`")?;
        let files: Vec<PathBuf> = b["files"]
            .as_array()
            .context("manifest block without `files`")?
            .iter()
            .filter_map(|f| f.as_str().map(|f| out.join(f)))
            .collect();
        hdl::generate::lint_verilator(&files, top)?;
        println!(
            "{top}: verilator --lint-only -Wall (-Wno-WIDTH -Wno-DECLFILENAME -Wno-UNUSED -Wno-UNOPTFLAT): clean"
        );
        hdl::generate::elaborate_yosys(&files, top)?;
        println!("{top}: yosys hierarchy -check; proc; check -assert: clean");
    }
    Ok(())
}

/// Frames per co-simulation run when replaying long captures.
const CHUNK: usize = 4096;

fn cmd_parse(cfg: &Resolved, pcap: &Path, waves: Option<&Path>, out: &Path) -> Result<()> {
    let frames = cosim::read_pcap(pcap)?;
    for (i, f) in frames.iter().enumerate() {
        if f.data.len() > host_model::config::MAX_FRAME_LEN {
            bail!(
                "frame {} of {} is {} bytes; the parser measures frames up to {} bytes",
                i + 1,
                pcap.display(),
                f.data.len(),
                host_model::config::MAX_FRAME_LEN
            );
        }
    }
    let mut sim = RxParserSim::build(cfg, out, waves)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let progress = frames.len() > 50_000;
    let mut n = 0u64;
    for chunk in frames.chunks(CHUNK) {
        let batch: Vec<(Vec<u8>, bool)> = chunk.iter().map(|f| (f.data.clone(), false)).collect();
        let r = sim.run(&batch, Drive::default())?;
        for m in &r.metas {
            n += 1;
            writeln!(w, "{}", m.to_json(n))?;
        }
        if progress {
            eprintln!("parsed {n}/{} frames", frames.len());
        }
    }
    w.flush()?;
    Ok(())
}

fn cmd_receive(cfg: &Resolved, pcap: &Path, out: &Path) -> Result<()> {
    let frames: Vec<(Vec<u8>, bool)> = cosim::read_pcap(pcap)?
        .into_iter()
        .map(|f| (f.data, false))
        .collect();
    let max = host_model::config::MAX_FRAME_LEN;
    if let Some(i) = frames
        .iter()
        .position(|(f, _)| f.is_empty() || f.len() > max)
    {
        bail!(
            "frame {} of {} is {} bytes; the engine takes frames of 1 to {max} bytes",
            i + 1,
            pcap.display(),
            frames[i].0.len()
        );
    }
    let mem = host_model::proto::RX_RING_SLOTS * host_model::proto::RX_BUF_BYTES;
    let mut sim = testbenches::rx_sim::RxSim::build(cfg, out, None, mem)?;
    let mut model = host_model::RxPathModel::new(host_model::EngineModel::new(cfg));
    let got = testbenches::rx_sim::replay(&mut sim, &mut model, &frames)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let mut bad = 0;
    for (i, r) in got.iter().enumerate() {
        writeln!(w, "{}", r.to_json(i as u64 + 1))?;
        if !r.bytes_ok || r.event != r.expected {
            bad += 1;
        }
    }
    w.flush()?;
    eprintln!(
        "{} frames written into receive-ring buffers in {} clocks; {bad} differ from the model",
        got.len(),
        sim.cycles()
    );
    if bad > 0 {
        bail!("{bad} frames differ (bytes or RX_FRAME event) from the model");
    }
    Ok(())
}

fn cmd_diff(cfg: &Resolved, frames: u64, seed: u64, gap: f64, ready: f64) -> Result<()> {
    let mut sim = RxParserSim::build(cfg, &out_dir(cfg, &None), None)?;
    let mut g = FrameGen::new(seed);
    let t0 = Instant::now();
    let (mut done, mut bad, mut cycles) = (0u64, 0u64, 0u64);
    while done < frames {
        let n = (frames - done).min(CHUNK as u64) as usize;
        let batch: Vec<(Vec<u8>, bool)> = (0..n).map(|_| g.any()).collect();
        let drive = Drive {
            gap_prob: gap,
            out_ready_prob: ready,
            meta_ready_prob: ready,
            seed: seed ^ done,
        };
        let r = sim.run(&batch, drive)?;
        cycles += r.cycles;
        for (i, ((f, user), got)) in batch.iter().zip(&r.metas).enumerate() {
            let want = reference(f, *user, cfg.config.rx.min_frame_len);
            let frame_ok = r.frames[i].0 == *f && r.frames[i].1 == *user;
            if *got != want || !frame_ok {
                bad += 1;
                if bad <= 5 {
                    eprintln!(
                        "MISMATCH frame {} ({} bytes): {:02x?}",
                        done + i as u64 + 1,
                        f.len(),
                        f
                    );
                    eprintln!("  rtl:       {}", got.to_json(0));
                    eprintln!("  reference: {}", want.to_json(0));
                    if !frame_ok {
                        eprintln!("  output frame differs from input");
                    }
                }
            }
        }
        done += n as u64;
        if done % (CHUNK as u64 * 25) == 0 || done == frames {
            eprintln!("{done}/{frames} frames, {bad} mismatches");
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "diff: {done} frames, {bad} mismatches, {cycles} cycles, {:.0} frames/s wall clock",
        done as f64 / secs
    );
    if bad > 0 {
        bail!("{bad} mismatches against the reference model");
    }
    Ok(())
}

fn cmd_bench(
    cfg: &Resolved,
    frames: u64,
    config: &Option<PathBuf>,
    out: &Option<PathBuf>,
) -> Result<()> {
    // The arguments a `toe synth` run needs to write its report where this one looks.
    let mut synth_args = String::new();
    for (flag, path) in [("--config", config), ("--out", out)] {
        if let Some(p) = path {
            let p = p.display().to_string();
            if p.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                synth_args.push_str(&format!(" {flag} '{}'", p.replace('\'', r"'\''")));
            } else {
                synth_args.push_str(&format!(" {flag} {p}"));
            }
        }
    }
    let params = testbenches::report::BenchParams::new(frames);
    let (report, files) =
        testbenches::report::run_bench(cfg, &out_dir(cfg, out), &params, &synth_args, true)?;
    print!("{}", report.markdown());
    for p in [&files.markdown, &files.html, &files.svg, &files.json] {
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

fn cmd_synth(cfg: &Resolved, target: &str, block: &str, out: &Path) -> Result<()> {
    let target = hdl::synth::Target::parse(target)
        .with_context(|| format!("unknown --target `{target}`: use ecp5, ice40 or xilinx"))?;
    let g = hdl::generate(cfg)?;
    g.write_to(out)?;
    eprintln!(
        "synthesizing for {} (this takes a minute or two per block)...",
        target.name()
    );
    let report = hdl::synth::synth(&g, out, target, block, &hdl::synth::Tools::discover())?;
    let (json, md) = report.write(&out.join("reports"))?;
    println!("{}", report.markdown());
    println!("wrote {} and {}", json.display(), md.display());
    Ok(())
}

fn cmd_demo(cfg: &Resolved, out: &Path) -> Result<()> {
    println!("== generate ({} -> {})", cfg.config.name, out.display());
    cmd_generate(cfg, out)?;
    println!("== lint");
    cmd_lint(out)?;
    println!("== build under Verilator");
    let t0 = Instant::now();
    let mut sim = RxParserSim::build(cfg, out, None)?;
    println!("model ready in {:.1} s", t0.elapsed().as_secs_f64());
    let pcap = out.join("sample.pcap");
    let mut g = FrameGen::new(2026);
    let frames: Vec<Vec<u8>> = (0..2000).map(|_| g.any().0).collect();
    cosim::write_pcap(&pcap, &frames)?;
    println!("== parse {} ({} frames)", pcap.display(), frames.len());
    let replay = cosim::read_pcap(&pcap)?;
    let batch: Vec<(Vec<u8>, bool)> = replay.iter().map(|f| (f.data.clone(), false)).collect();
    let r = sim.run(&batch, Drive::default())?;
    let mut mismatches = 0;
    let mut count = std::collections::BTreeMap::<String, u64>::new();
    for ((f, _), m) in batch.iter().zip(&r.metas) {
        if *m != reference(f, false, cfg.config.rx.min_frame_len) {
            mismatches += 1;
        }
        let kind = match (m.ip_version, m.l4) {
            (Some(v), Some(l4)) => format!(
                "ipv{v}/{}",
                serde_json::to_value(l4)?.as_str().unwrap_or("?")
            ),
            (Some(v), None) => format!("ipv{v}/no l4"),
            (None, _) => "non-ip".to_string(),
        };
        *count.entry(kind).or_default() += 1;
        if m.candidate {
            *count.entry("fast-path candidates".into()).or_default() += 1;
        }
        for e in &m.errors {
            *count.entry(format!("error: {e}")).or_default() += 1;
        }
    }
    println!("== summary");
    for (k, v) in &count {
        println!("{k:>24}: {v}");
    }
    println!(
        "{} frames, {} beats in {} cycles; {} mismatches against the etherparse reference",
        batch.len(),
        r.beats_in,
        r.cycles,
        mismatches
    );
    if mismatches > 0 {
        bail!("{mismatches} frames disagree with the reference model");
    }
    println!("== engine: offload-many scenario (host stack model + Verilated engine)");
    let s = testbenches::scenario::offload_many(cfg, 1000, out)?;
    println!("{s}");
    if s.mismatches > 0 || s.misrouted > 0 {
        bail!(
            "{} RTL/model differences, {} misrouted frames",
            s.mismatches,
            s.misrouted
        );
    }
    println!("== receive engine: offload-many scenario, the host reading frames from ring buffers");
    let s = testbenches::scenario::offload_many_ring(cfg, 1000, out)?;
    println!("{s}");
    if s.mismatches > 0 || s.misrouted > 0 {
        bail!(
            "{} RTL/model differences, {} misrouted frames",
            s.mismatches,
            s.misrouted
        );
    }
    println!("== receive engine: the sample capture into host receive-ring buffers by DMA");
    let mem = host_model::proto::RX_RING_SLOTS * host_model::proto::RX_BUF_BYTES;
    let mut rx = testbenches::rx_sim::RxSim::build(cfg, out, None, mem)?;
    let mut model = host_model::RxPathModel::new(host_model::EngineModel::new(cfg));
    let got = testbenches::rx_sim::replay(&mut rx, &mut model, &batch)?;
    let bad = got
        .iter()
        .filter(|r| !r.bytes_ok || r.event != r.expected)
        .count();
    println!(
        "{} frames written into ring buffers in {} clocks; {bad} differ from the model (bytes or RX_FRAME event)",
        got.len(),
        rx.cycles()
    );
    if bad > 0 {
        bail!("{bad} frames differ from the receive path model");
    }
    println!(
        "== receive fast path, RTL in lockstep with its model: lists, in-order / out-of-order / old / past-window / empty segments, FRAME_DATA, ACK frames"
    );
    let r = testbenches::rcv_rtl::run(cfg, out, 160, 5)?;
    println!(
        "{} in-order segments ({} with PSH), {} out of order ({} placed, {} holes filled with a jump), {} old, {} past the window, {} empty; {} lists completed, {} FRAME_DATA, {} dropped with no ring buffer; {} bytes placed; {} ACK frames; every response, event, ACK frame and memory byte identical; {} clocks in {:.1} s",
        r.in_order_segments,
        r.push_segments,
        r.ooo_segments,
        r.ooo_placed,
        r.ooo_jumps,
        r.old_segments,
        r.past_window_segments,
        r.empty_segments,
        r.lists_completed,
        r.frame_data,
        r.no_ring_buffer_drops,
        r.bytes_placed,
        r.acks,
        r.sim_cycles,
        r.wall_seconds
    );
    println!(
        "== receive fast path RTL end to end: a 10 MB stream from a peer model with loss, duplication, reordering, lost ACKs, host stalls and flush / re-handout cycles"
    );
    let sc = testbenches::rcv_e2e::StreamConfig {
        flush: 0.02,
        ..Default::default()
    };
    let rep = testbenches::rcv_e2e::run_rtl(cfg, out, &sc)?;
    println!(
        "{} bytes byte-exact: {} from receive lists, {} indicated (FRAME_DATA), {} through the host's slow path; {} segments sent ({} again), {} ACK frames of the RTL checked by etherparse and fed to the peer, {} flushes; {} clocks in {:.1} s",
        rep.bytes,
        rep.bytes_from_lists,
        rep.bytes_indicated,
        rep.bytes_slow_path,
        rep.segments,
        rep.retransmits,
        rep.acks_checked,
        rep.flushes,
        rep.sim_cycles,
        rep.wall_seconds
    );
    println!(
        "== segment transmit path: segments gathered from scatter-gather pieces of host memory by DMA, checksummed and framed in hardware"
    );
    let t = testbenches::tx::run_segments(cfg, out, 500, 9)?;
    println!(
        "{} segments ({} payload bytes from {} pieces): every frame equal to etherparse's with both checksums right; {} full-size segments back to back: {} beats in {} clocks ({:.1} payload bits per clock); {} clocks",
        t.segments,
        t.payload_bytes,
        t.pieces,
        t.full_size,
        t.full_size_beats,
        t.full_size_span,
        (1460 * 8 * t.full_size) as f64 / t.full_size_span as f64,
        t.sim_cycles
    );
    println!(
        "== send fast path core: a send list cut into MSS segments by the RTL (windows, send state) and sent through the segment transmit path"
    );
    let params = testbenches::report::BenchParams::new(16 * 500);
    for w in testbenches::report::measure_snd(cfg, out, &params, false)? {
        println!(
            "{} segments of 1460 bytes from one 16-entry send list: every frame equal to etherparse's, SEND_DONE after the ACK; {} beats in {} clocks ({} idle between frames, {:.1} payload bits per clock)",
            w.frames,
            w.beats,
            w.span_cycles,
            w.idle_cycles_between_frames,
            (1460 * 8 * w.frames) as f64 / w.span_cycles as f64
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match &cli.cmd {
        Cmd::Generate { config, out } => {
            let cfg = load(config)?;
            cmd_generate(&cfg, &out_dir(&cfg, out))
        }
        Cmd::Lint { config, out } => {
            let cfg = load(config)?;
            cmd_lint(&out_dir(&cfg, out))
        }
        Cmd::Parse {
            pcap,
            config,
            waves,
            out,
        } => {
            let cfg = load(config)?;
            cmd_parse(&cfg, pcap, waves.as_deref(), &out_dir(&cfg, out))
        }
        Cmd::RcvReplay {
            pcap,
            dump,
            config,
            out,
        } => {
            let cfg = load(config)?;
            let frames: Vec<Vec<u8>> = cosim::read_pcap(pcap)?
                .into_iter()
                .map(|f| f.data)
                .collect();
            let r = testbenches::rcv_replay::replay(&cfg, &out_dir(&cfg, out), &frames)?;
            if let Some(d) = dump {
                std::fs::create_dir_all(d)?;
                for (i, b) in r.delivered.iter().enumerate() {
                    std::fs::write(d.join(format!("flow-{}.bin", i + 1)), b)?;
                }
            }
            println!("{}", serde_json::to_string_pretty(&r)?);
            for f in &r.flows {
                eprintln!(
                    "{}: {} of {} segments with payload are fast-path candidates; {} of {} bytes delivered{}",
                    f.flow,
                    f.candidates,
                    f.segments,
                    f.delivered,
                    f.expected,
                    if f.byte_exact {
                        ", byte-exact"
                    } else {
                        ", DIFFERENT"
                    }
                );
            }
            if let Some(f) = r.flows.iter().find(|f| !f.byte_exact) {
                bail!(
                    "{}: the bytes delivered differ from the reassembled stream",
                    f.flow
                );
            }
            Ok(())
        }
        Cmd::Receive { pcap, config, out } => {
            let cfg = load(config)?;
            cmd_receive(&cfg, pcap, &out_dir(&cfg, out))
        }
        Cmd::Diff {
            frames,
            seed,
            gap,
            ready,
            config,
        } => cmd_diff(&load(config)?, *frames, *seed, *gap, *ready),
        Cmd::Synth {
            config,
            target,
            block,
            out,
        } => {
            let cfg = load(config)?;
            cmd_synth(&cfg, target, block, &out_dir(&cfg, out))
        }
        Cmd::Bench {
            frames,
            config,
            out,
        } => cmd_bench(&load(config)?, *frames, config, out),
        Cmd::Sim {
            scenario,
            connections,
            config,
            out,
        } => {
            let cfg = load(config)?;
            let dir = out_dir(&cfg, out);
            let s = match scenario.as_str() {
                "offload-many" => testbenches::scenario::offload_many(&cfg, *connections, &dir)?,
                "offload-many-ring" => {
                    testbenches::scenario::offload_many_ring(&cfg, *connections, &dir)?
                }
                _ => bail!(
                    "unknown scenario `{scenario}`; scenarios: offload-many, offload-many-ring"
                ),
            };
            println!("{s}");
            if s.mismatches > 0 || s.misrouted > 0 {
                bail!(
                    "{} RTL/model differences, {} misrouted frames",
                    s.mismatches,
                    s.misrouted
                );
            }
            Ok(())
        }
        Cmd::Duplex {
            bytes,
            seed,
            loss,
            reorder,
            flushes,
            pcap,
            config,
        } => {
            let cfg = load(config)?;
            for (name, p) in [("--loss", loss), ("--reorder", reorder)] {
                if !(0.0..=1.0).contains(p) {
                    bail!("{name} {p}: a probability is between 0 and 1");
                }
            }
            if *bytes == 0 || *bytes > (1 << 30) {
                bail!("--bytes must be 1..=2^30");
            }
            let dc = testbenches::duplex::DuplexConfig {
                out_bytes: *bytes,
                in_bytes: *bytes,
                seed: *seed,
                loss: *loss,
                reorder: *reorder,
                flushes: *flushes,
                pcap: pcap.clone(),
                ..Default::default()
            };
            let rep = testbenches::duplex::run_model(&cfg, &dc)?;
            println!("{}", serde_json::to_string_pretty(&rep)?);
            eprintln!(
                "{} bytes each way byte-exact, {:.1} / {:.1} application bits per clock",
                rep.out_bytes, rep.out_bits_per_cycle, rep.in_bits_per_cycle
            );
            Ok(())
        }
        Cmd::RcvStream {
            bytes,
            seed,
            loss,
            dup,
            reorder,
            ack_loss,
            flush,
            stall,
            mss,
            ipv6,
            vlan,
            rtl,
            config,
            out,
        } => {
            let cfg = load(config)?;
            for (name, p) in [
                ("--loss", loss),
                ("--dup", dup),
                ("--reorder", reorder),
                ("--ack-loss", ack_loss),
                ("--flush", flush),
                ("--stall", stall),
            ] {
                if !(0.0..=1.0).contains(p) {
                    bail!("{name} {p}: a probability is between 0 and 1");
                }
            }
            if !(1..=1460).contains(mss) || *bytes == 0 || *bytes > (1 << 31) {
                bail!("--mss must be 1..=1460 and --bytes 1..=2^31");
            }
            let sc = testbenches::rcv_e2e::StreamConfig {
                bytes: *bytes,
                seed: *seed,
                loss: *loss,
                dup: *dup,
                reorder: *reorder,
                ack_loss: *ack_loss,
                flush: *flush,
                stall: *stall,
                mss: *mss,
                ipv6: *ipv6,
                vlan: *vlan,
                ..Default::default()
            };
            let t = Instant::now();
            let rep = if *rtl {
                testbenches::rcv_e2e::run_rtl(&cfg, &out_dir(&cfg, out), &sc)?
            } else {
                testbenches::rcv_e2e::run_model(&cfg, &sc)?
            };
            println!("{}", serde_json::to_string_pretty(&rep)?);
            eprintln!(
                "{} bytes byte-exact in {:.2} s",
                rep.bytes,
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Cmd::RcvRtl {
            rounds,
            seed,
            config,
            out,
        } => {
            let cfg = load(config)?;
            if *rounds == 0 || *rounds > 1_000_000 {
                bail!("--rounds must be 1..=1000000");
            }
            let r = testbenches::rcv_rtl::run(&cfg, &out_dir(&cfg, out), *rounds, *seed)?;
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(())
        }
        Cmd::Demo { config, out } => {
            let cfg = load(config)?;
            cmd_demo(&cfg, &out_dir(&cfg, out))
        }
    }
}
