//! Building a Verilated model into a cached shared library; see [`build_model`].

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::CosimError;
use crate::model::ModelLib;
use crate::shim;

/// Direction of a port, seen from the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Driven by the testbench.
    In,
    /// Driven by the model.
    Out,
}

/// One port of the top module that the testbench wants to access.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortSpec {
    /// Verilog name of the port (letters, digits, `_` and `$`, not starting with a digit
    /// or `$`).
    pub name: String,
    /// Direction.
    pub dir: Dir,
    /// Width in bits, `1..=1024`.
    pub width: usize,
}

impl PortSpec {
    /// Convenience constructor for an input port.
    pub fn input(name: impl Into<String>, width: usize) -> Self {
        PortSpec {
            name: name.into(),
            dir: Dir::In,
            width,
        }
    }

    /// Convenience constructor for an output port.
    pub fn output(name: impl Into<String>, width: usize) -> Self {
        PortSpec {
            name: name.into(),
            dir: Dir::Out,
            width,
        }
    }
}

/// Largest supported port width, in bits.
pub const MAX_PORT_WIDTH: usize = 1024;

/// How to build a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// Compile with `--trace` so that [`Model::open_trace`](crate::Model::open_trace) can
    /// write VCD files. Traced models are somewhat slower.
    pub trace: bool,
    /// Directory holding one sub-directory per built model, e.g. `target/cosim-cache`.
    pub cache_dir: PathBuf,
    /// Parallel jobs for `make`.
    pub jobs: usize,
}

impl Default for BuildOptions {
    /// No tracing, [`default_cache_dir`], one job per available core.
    fn default() -> Self {
        BuildOptions {
            trace: false,
            cache_dir: default_cache_dir(),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Cargo's target directory as seen from the running program: `$CARGO_TARGET_DIR` if set,
/// else the nearest ancestor of the executable containing Cargo's `CACHEDIR.TAG` (test and
/// binary executables live in `<target>/<profile>/...`), else `./target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            if dir.join("CACHEDIR.TAG").is_file() {
                return dir.to_path_buf();
            }
        }
    }
    PathBuf::from("target")
}

/// `<target_dir()>/cosim-cache`.
pub fn default_cache_dir() -> PathBuf {
    target_dir().join("cosim-cache")
}

/// Bumped whenever the build recipe below changes; part of the cache key.
const RECIPE_VERSION: u32 = 1;

const VERILATOR_FLAGS: &[&str] = &[
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "--noassert",
    "-Wno-WIDTH",
    "-Wno-fatal",
    "-CFLAGS",
    "-fPIC -O3",
];

const MAKE_VARS: &[&str] = &["OPT_FAST=-O3", "OPT_SLOW=-O1", "OPT_GLOBAL=-O2"];

const LINK_FLAGS: &[&str] = &[
    "-Wl,--exclude-libs,ALL",
    "-Wl,-Bsymbolic",
    "-Wl,--no-undefined",
    "-pthread",
    "-lpthread",
    "-latomic",
];

/// Builds (or fetches from the cache) the Verilated model of `top` and loads it.
///
/// * `rtl_files`: Verilog sources; files they `include` are not part of the cache key.
/// * `ports`: the ports the testbench accesses, in the order that defines
///   [`PortId`](crate::PortId)s. Every entry is checked against the model Verilator
///   generates (name, direction and width). Ports not listed stay at zero.
/// * `clock`: the 1-bit input toggled by [`Model::tick`](crate::Model::tick); it may but
///   need not appear in `ports`.
///
/// # Recipe
///
/// Three external steps run in a fresh temporary directory:
///
/// 1. `verilator --cc <files> --top-module <top> -O3 --x-assign fast --x-initial fast
///    --noassert -Wno-WIDTH -Wno-fatal --Mdir <dir> -CFLAGS "-fPIC -O3" [--trace]`
///    generates the C++ model. `--x-initial fast` only concerns variables *without* an
///    initialiser; Verilog `initial` blocks (which rust-hdl uses instead of a reset) always
///    run, during the first `eval()`.
/// 2. One `make -j <jobs> OPT_FAST=-O3 OPT_SLOW=-O1 OPT_GLOBAL=-O2` run, through a small
///    makefile that includes Verilator's `V<top>.mk`, compiles the model (`V<top>__ALL.a`),
///    the Verilator runtime (`libverilated.a`, which Verilator 5.006's own `--build` does
///    not produce without `--exe`) and the generated C++ shim exporting the `cosim_*` C
///    functions, all with Verilator's own compiler flags.
/// 3. `g++ -shared -fPIC -O2 ... -lpthread` links them into `lib<top>.so`, hiding every
///    symbol except the shim's, so that several models (even two builds of the same top)
///    can be loaded into one process. Object files and archives are then deleted; the
///    output of all three steps (including Verilator's warnings) is kept in `build.log`.
///
/// The finished directory is renamed atomically to `<cache_dir>/<top>-<hash>`, where the
/// hash covers the RTL file names and contents, the top module, clock, port list, trace
/// flag, the Verilator version and the build recipe. An existing directory is reused
/// without running any tool (only `verilator --version`, once per process). A lock file
/// (`<top>-<hash>.lock`) serialises concurrent builds of the same model by different
/// threads or processes; should locking be unsupported, the atomic rename still keeps
/// concurrent builds safe (the loser discards its copy).
///
/// A fresh build of a small design takes about 5 s on two cores, most of it compiling the
/// Verilator runtime.
pub fn build_model(
    rtl_files: &[PathBuf],
    top: &str,
    ports: &[PortSpec],
    clock: &str,
    opts: &BuildOptions,
) -> Result<ModelLib, CosimError> {
    validate(rtl_files, top, ports, clock)?;
    let version = verilator_version()?;

    let mut sources = Vec::with_capacity(rtl_files.len());
    let mut hasher = Fnv::new();
    hasher.str("cosim model");
    hasher.u64(u64::from(RECIPE_VERSION));
    hasher.u64(u64::from(shim::ABI_VERSION));
    // The shim's source itself, so that any change to it rebuilds the model.
    hasher.str(&shim::generate(top, clock, ports, opts.trace));
    hasher.str(&version);
    hasher.str(top);
    hasher.str(clock);
    hasher.u64(u64::from(opts.trace));
    for flag in VERILATOR_FLAGS.iter().chain(MAKE_VARS).chain(LINK_FLAGS) {
        hasher.str(flag);
    }
    for p in ports {
        hasher.str(&p.name);
        hasher.u64(u64::from(p.dir == Dir::In));
        hasher.u64(p.width as u64);
    }
    for file in rtl_files {
        let abs = fs::canonicalize(file)
            .map_err(|e| CosimError::io(format!("RTL file {}", file.display()), e))?;
        let text = fs::read(&abs)
            .map_err(|e| CosimError::io(format!("reading RTL file {}", abs.display()), e))?;
        hasher.str(&abs.file_name().unwrap_or_default().to_string_lossy());
        hasher.bytes(&text);
        sources.push(abs);
    }

    let key = format!("{top}-{:016x}", hasher.finish());
    let cache_dir = absolute(&opts.cache_dir)?;
    let final_dir = cache_dir.join(&key);
    let lib_name = format!("lib{top}.so");
    let lib_path = final_dir.join(&lib_name);

    if !lib_path.is_file() {
        fs::create_dir_all(&cache_dir)
            .map_err(|e| CosimError::io(format!("creating {}", cache_dir.display()), e))?;
        let lock_path = cache_dir.join(format!("{key}.lock"));
        let lock = fs::File::create(&lock_path)
            .map_err(|e| CosimError::io(format!("creating {}", lock_path.display()), e))?;
        // Best effort: without working file locks the rename below still keeps us safe.
        let _ = lock.lock();
        if !lib_path.is_file() {
            let tmp = cache_dir.join(format!("{key}.tmp-{}", unique_suffix()));
            let built = build_in(&tmp, &sources, top, ports, clock, opts, &lib_name);
            if let Err(e) = built {
                let _ = fs::remove_dir_all(&tmp);
                return Err(e);
            }
            if let Err(e) = fs::rename(&tmp, &final_dir) {
                // Somebody else finished first: use theirs.
                let _ = fs::remove_dir_all(&tmp);
                if !lib_path.is_file() {
                    return Err(CosimError::io(
                        format!("renaming {} to {}", tmp.display(), final_dir.display()),
                        e,
                    ));
                }
            }
        }
        drop(lock);
    }

    ModelLib::load(&lib_path, top, ports, opts.trace)
}

/// Runs Verilator, make and the linker in `dir`.
fn build_in(
    dir: &Path,
    sources: &[PathBuf],
    top: &str,
    ports: &[PortSpec],
    clock: &str,
    opts: &BuildOptions,
    lib_name: &str,
) -> Result<(), CosimError> {
    fs::create_dir_all(dir)
        .map_err(|e| CosimError::io(format!("creating {}", dir.display()), e))?;

    let mut verilator = Command::new("verilator");
    verilator.arg("--cc").args(sources);
    verilator.args(["--top-module", top]);
    verilator.args(VERILATOR_FLAGS);
    verilator.arg("--Mdir").arg(dir);
    if opts.trace {
        verilator.arg("--trace");
    }
    verilator.current_dir(dir);
    let mut log = String::new();
    let out = run(&mut verilator)?;
    log_output(&mut log, &verilator, &out);

    check_ports(dir, top, ports, clock)?;

    let shim_src = shim::generate(top, clock, ports, opts.trace);
    write(&dir.join("cosim_shim.cpp"), shim_src.as_bytes())?;
    let makefile = format!(
        "# Generated by the cosim crate.\n\
         include V{top}.mk\n\
         libverilated.a: $(VK_GLOBAL_OBJS)\n\
         cosim_shim.o: CPPFLAGS += -fvisibility=hidden -fvisibility-inlines-hidden\n"
    );
    write(&dir.join("cosim.mk"), makefile.as_bytes())?;

    let mut make = Command::new("make");
    make.arg("-C")
        .arg(dir)
        .args(["-f", "cosim.mk"])
        .arg(format!("-j{}", opts.jobs.max(1)))
        .args(MAKE_VARS)
        .arg(format!("V{top}__ALL.a"))
        .args(["libverilated.a", "cosim_shim.o"]);
    // Do not let an outer make's jobserver or flags leak in.
    for var in ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES"] {
        make.env_remove(var);
    }
    let out = run(&mut make)?;
    log_output(&mut log, &make, &out);

    let mut link = Command::new("g++");
    link.args(["-shared", "-fPIC", "-O2", "-o", lib_name, "cosim_shim.o"])
        .arg(format!("V{top}__ALL.a"))
        .arg("libverilated.a")
        .args(LINK_FLAGS)
        .current_dir(dir);
    let out = run(&mut link)?;
    log_output(&mut log, &link, &out);
    // Verilator's warnings (not fatal with -Wno-fatal) are worth keeping.
    write(&dir.join("build.log"), log.as_bytes())?;

    // Intermediate objects are large for big designs and never reused.
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if matches!(path.extension().and_then(|e| e.to_str()), Some("o" | "a")) {
                let _ = fs::remove_file(path);
            }
        }
    }
    Ok(())
}

/// Checks every requested port (and the clock) against the `VL_IN*`/`VL_OUT*` declarations
/// in the generated `V<top>.h`.
fn check_ports(dir: &Path, top: &str, ports: &[PortSpec], clock: &str) -> Result<(), CosimError> {
    let header_path = dir.join(format!("V{top}.h"));
    let header = fs::read_to_string(&header_path)
        .map_err(|e| CosimError::io(format!("reading {}", header_path.display()), e))?;
    let declared = parse_header_ports(&header);
    let known = || {
        let mut names: Vec<&str> = declared.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.join(", ")
    };
    let mismatch = |port: &str, reason: String| CosimError::PortMismatch {
        top: top.to_string(),
        port: port.to_string(),
        reason,
    };

    let clock_ok = matches!(
        declared.get(&shim::verilator_cpp_name(clock)),
        Some(&(HeaderDir::In, 1))
    );
    if !clock_ok {
        return Err(mismatch(
            clock,
            format!(
                "the clock must be a 1-bit input; model ports are: {}",
                known()
            ),
        ));
    }
    for p in ports {
        let cpp = shim::verilator_cpp_name(&p.name);
        let Some(&(dir, width)) = declared.get(&cpp) else {
            return Err(mismatch(
                &p.name,
                format!("no such port; model ports are: {}", known()),
            ));
        };
        let dir_ok = matches!(
            (dir, p.dir),
            (HeaderDir::In, Dir::In) | (HeaderDir::Out, Dir::Out)
        );
        if !dir_ok {
            return Err(mismatch(
                &p.name,
                format!("declared {:?} but the model has it as {dir:?}", p.dir),
            ));
        }
        if width != p.width {
            return Err(mismatch(
                &p.name,
                format!("declared {} bits wide but the model has {width}", p.width),
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderDir {
    In,
    Out,
    InOut,
}

/// Extracts `name -> (direction, width)` from lines such as `VL_IN8(&clock,0,0);` or
/// `VL_OUTW(&wide,127,0,4);` in a Verilator 5 model header.
fn parse_header_ports(header: &str) -> HashMap<String, (HeaderDir, usize)> {
    let mut out = HashMap::new();
    for line in header.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("VL_") else {
            continue;
        };
        let Some((macro_name, args)) = rest.split_once('(') else {
            continue;
        };
        let dir = if macro_name.starts_with("INOUT") {
            HeaderDir::InOut
        } else if macro_name.starts_with("IN") {
            HeaderDir::In
        } else if macro_name.starts_with("OUT") {
            HeaderDir::Out
        } else {
            continue;
        };
        let args = args.trim_end_matches(';').trim_end_matches(')');
        let fields: Vec<&str> = args.split(',').map(str::trim).collect();
        let [name, msb, lsb, ..] = fields[..] else {
            continue;
        };
        let (Some(name), Ok(msb), Ok(lsb)) = (
            name.strip_prefix('&'),
            msb.parse::<i64>(),
            lsb.parse::<i64>(),
        ) else {
            continue;
        };
        out.insert(name.to_string(), (dir, msb.abs_diff(lsb) as usize + 1));
    }
    out
}

/// Rejects requests that cannot possibly build or that the shim cannot express.
fn validate(
    rtl_files: &[PathBuf],
    top: &str,
    ports: &[PortSpec],
    clock: &str,
) -> Result<(), CosimError> {
    let bad = |msg: String| Err(CosimError::InvalidRequest(msg));
    if rtl_files.is_empty() {
        return bad("no RTL files given".into());
    }
    if !is_plain_identifier(top) {
        return bad(format!(
            "top module name `{top}` must consist of ASCII letters, digits and `_` and not start with a digit"
        ));
    }
    if !is_verilog_identifier(clock) {
        return bad(format!(
            "clock name `{clock}` is not a simple Verilog identifier"
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for p in ports {
        if !is_verilog_identifier(&p.name) {
            return bad(format!(
                "port name `{}` is not a simple Verilog identifier",
                p.name
            ));
        }
        if p.width == 0 || p.width > MAX_PORT_WIDTH {
            return bad(format!(
                "port `{}` has width {}; supported widths are 1..={MAX_PORT_WIDTH}",
                p.name, p.width
            ));
        }
        if !seen.insert(p.name.as_str()) {
            return bad(format!("port `{}` is listed twice", p.name));
        }
        if p.name == clock && (p.dir != Dir::In || p.width != 1) {
            return bad(format!(
                "clock port `{clock}` must be listed as a 1-bit input"
            ));
        }
    }
    Ok(())
}

fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_verilog_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// `verilator --version`, run once per process.
fn verilator_version() -> Result<String, CosimError> {
    static VERSION: OnceLock<String> = OnceLock::new();
    if let Some(v) = VERSION.get() {
        return Ok(v.clone());
    }
    let out = run(Command::new("verilator").arg("--version"))?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(VERSION.get_or_init(|| v).clone())
}

/// Runs a command to completion, capturing its output; a failure to start or a non-zero
/// exit becomes an error carrying the command line and the tail of the output.
fn run(cmd: &mut Command) -> Result<Output, CosimError> {
    let line = command_line(cmd);
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().map_err(|e| {
        if program == "verilator" && e.kind() == std::io::ErrorKind::NotFound {
            CosimError::VerilatorNotFound
        } else {
            CosimError::io(format!("cannot run `{line}`"), e)
        }
    })?;
    if out.status.success() {
        return Ok(out);
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(CosimError::CommandFailed {
        command: line,
        status: out.status.to_string(),
        output_tail: tail(&text, 40),
    })
}

/// Appends a command line and its output to a build log.
fn log_output(log: &mut String, cmd: &Command, out: &Output) {
    log.push_str("$ ");
    log.push_str(&command_line(cmd));
    log.push('\n');
    log.push_str(&String::from_utf8_lossy(&out.stdout));
    log.push_str(&String::from_utf8_lossy(&out.stderr));
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The command as a shell-quoted string, prefixed by `cd <dir> &&` when it has a working
/// directory.
fn command_line(cmd: &Command) -> String {
    fn quote(s: &str) -> String {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=./,:+@%".contains(c))
        {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    }
    let mut parts = Vec::new();
    if let Some(dir) = cmd.get_current_dir() {
        parts.push(format!("cd {} &&", quote(&dir.to_string_lossy())));
    }
    parts.push(quote(&cmd.get_program().to_string_lossy()));
    parts.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    parts.join(" ")
}

fn write(path: &Path, data: &[u8]) -> Result<(), CosimError> {
    fs::write(path, data).map_err(|e| CosimError::io(format!("writing {}", path.display()), e))
}

fn absolute(path: &Path) -> Result<PathBuf, CosimError> {
    std::path::absolute(path)
        .map_err(|e| CosimError::io(format!("resolving {}", path.display()), e))
}

/// Unique within this machine for the lifetime of the process: pid, time and a counter.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// 64-bit FNV-1a, stable across Rust releases (unlike `DefaultHasher`).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, data: &[u8]) {
        self.u64(data.len() as u64);
        self.raw(data);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }

    fn raw(&mut self, data: &[u8]) {
        for &b in data {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_port_declarations() {
        let header = "    VL_IN8(&clock,0,0);\n    VL_OUTW(&wide_out,127,0,4);\n    VL_IN64(&rx__024tdata,63,0);\n    VL_OUT(&count,31,0);\n";
        let ports = parse_header_ports(header);
        assert_eq!(ports["clock"], (HeaderDir::In, 1));
        assert_eq!(ports["wide_out"], (HeaderDir::Out, 128));
        assert_eq!(ports["rx__024tdata"], (HeaderDir::In, 64));
        assert_eq!(ports["count"], (HeaderDir::Out, 32));
    }

    #[test]
    fn validates_requests() {
        let files = vec![PathBuf::from("x.v")];
        let ok = [PortSpec::input("a", 8)];
        assert!(validate(&files, "top", &ok, "clock").is_ok());
        assert!(validate(&[], "top", &ok, "clock").is_err());
        assert!(validate(&files, "1top", &ok, "clock").is_err());
        assert!(validate(&files, "top", &[PortSpec::input("a", 0)], "clock").is_err());
        assert!(validate(&files, "top", &[PortSpec::input("a", 1025)], "clock").is_err());
        assert!(validate(&files, "top", &[PortSpec::input("a b", 1)], "clock").is_err());
        let dup = [PortSpec::input("a", 1), PortSpec::output("a", 1)];
        assert!(validate(&files, "top", &dup, "clock").is_err());
        assert!(validate(&files, "top", &[PortSpec::output("clock", 1)], "clock").is_err());
    }

    #[test]
    fn quotes_command_lines() {
        let mut cmd = Command::new("verilator");
        cmd.args(["-CFLAGS", "-fPIC -O3", "it's"]);
        assert_eq!(
            command_line(&cmd),
            r"verilator -CFLAGS '-fPIC -O3' 'it'\''s'"
        );
    }

    #[test]
    fn missing_verilator_says_how_to_install_it() {
        let mut cmd = Command::new("verilator");
        cmd.arg("--version").env("PATH", "/nonexistent-cosim-test");
        let err = run(&mut cmd).unwrap_err();
        assert!(matches!(err, CosimError::VerilatorNotFound), "{err}");
        assert!(err.to_string().contains("apt-get install verilator"));
    }

    #[test]
    fn failing_commands_report_command_and_output() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo first; echo oops >&2; exit 3"]);
        let err = run(&mut cmd).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("sh -c"), "{text}");
        assert!(text.contains("oops"), "{text}");
        assert!(text.contains('3'), "{text}");
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
