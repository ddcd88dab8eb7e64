//! Loading a built model library and driving instances of it.
//!
//! This module holds all of the crate's `unsafe` code: the calls through the C ABI exported
//! by the generated shim (see the `shim` module).

use std::collections::HashMap;
use std::ffi::{CString, c_char, c_void};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libloading::Library;

use crate::error::CosimError;
use crate::shim::{self, Storage};
use crate::verilate::PortSpec;

type CreateFn = unsafe extern "C" fn() -> *mut c_void;
type HandleFn = unsafe extern "C" fn(*mut c_void);
type SetU64Fn = unsafe extern "C" fn(*mut c_void, u32, u64) -> i32;
type SetWordsFn = unsafe extern "C" fn(*mut c_void, u32, *const u32, u32) -> i32;
type GetU64Fn = unsafe extern "C" fn(*mut c_void, u32) -> u64;
type GetWordsFn = unsafe extern "C" fn(*mut c_void, u32, *mut u32, u32) -> i32;
type FinishedFn = unsafe extern "C" fn(*mut c_void) -> u32;
type TraceOpenFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> i32;
type InfoFn = unsafe extern "C" fn() -> u32;

/// The shim's entry points, copied out of the library. Only valid while the `Library` they
/// came from is loaded, which [`LibInner`] guarantees by owning both.
#[derive(Clone, Copy)]
struct Vtable {
    create: CreateFn,
    destroy: HandleFn,
    set_u64: SetU64Fn,
    set_words: SetWordsFn,
    get_u64: GetU64Fn,
    get_words: GetWordsFn,
    eval: HandleFn,
    tick: HandleFn,
    low: HandleFn,
    high: HandleFn,
    finished: FinishedFn,
    trace_open: TraceOpenFn,
    trace_flush: HandleFn,
    trace_close: HandleFn,
}

struct LibInner {
    vt: Vtable,
    top: String,
    path: PathBuf,
    ports: Vec<PortSpec>,
    by_name: HashMap<String, u32>,
    trace: bool,
    // Declared last so that it is dropped (unloaded) last.
    _lib: Library,
}

/// A loaded model library, obtained from [`build_model`](crate::build_model). Cheap to
/// clone; every [`Model`] instantiated from it keeps the library loaded.
#[derive(Clone)]
pub struct ModelLib {
    inner: Arc<LibInner>,
}

impl std::fmt::Debug for ModelLib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelLib")
            .field("top", &self.inner.top)
            .field("path", &self.inner.path)
            .field("trace", &self.inner.trace)
            .finish_non_exhaustive()
    }
}

/// Identifies a port of a model by its index in the port list given to
/// [`build_model`](crate::build_model). Valid for every [`Model`] of the same
/// [`ModelLib`]; obtain it with [`Model::port`] or [`ModelLib::port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortId(u32);

impl PortId {
    /// Index of the port in the port list.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ModelLib {
    /// Loads a library produced by the build step and checks that it matches `ports`.
    pub(crate) fn load(
        path: &Path,
        top: &str,
        ports: &[PortSpec],
        trace: bool,
    ) -> Result<ModelLib, CosimError> {
        let load_err = |reason: String| CosimError::Load {
            path: path.to_path_buf(),
            reason,
        };
        // SAFETY: the library is one we generated and linked ourselves; its initialisers
        // only set up the Verilator runtime's static state.
        let lib = unsafe { Library::new(path) }.map_err(|e| load_err(e.to_string()))?;

        macro_rules! sym {
            ($name:literal, $ty:ty) => {
                // SAFETY: the shim defines this symbol with exactly this C signature (see
                // `shim::generate`); ABI_VERSION is checked below before any other call.
                *unsafe { lib.get::<$ty>($name) }.map_err(|e| load_err(e.to_string()))?
            };
        }
        let abi: InfoFn = sym!("cosim_abi_version", InfoFn);
        let port_count: InfoFn = sym!("cosim_port_count", InfoFn);
        let has_trace: InfoFn = sym!("cosim_has_trace", InfoFn);
        // SAFETY: argument-less functions returning constants.
        let (abi, port_count, has_trace) = unsafe { (abi(), port_count(), has_trace()) };
        if abi != shim::ABI_VERSION {
            return Err(load_err(format!(
                "shim ABI version {abi}, expected {}; delete the cache directory",
                shim::ABI_VERSION
            )));
        }
        if port_count as usize != ports.len() || (has_trace != 0) != trace {
            return Err(load_err(
                "library does not match the requested ports or trace option".into(),
            ));
        }
        let vt = Vtable {
            create: sym!("cosim_create", CreateFn),
            destroy: sym!("cosim_destroy", HandleFn),
            set_u64: sym!("cosim_set_u64", SetU64Fn),
            set_words: sym!("cosim_set_words", SetWordsFn),
            get_u64: sym!("cosim_get_u64", GetU64Fn),
            get_words: sym!("cosim_get_words", GetWordsFn),
            eval: sym!("cosim_eval", HandleFn),
            tick: sym!("cosim_tick", HandleFn),
            low: sym!("cosim_low", HandleFn),
            high: sym!("cosim_high", HandleFn),
            finished: sym!("cosim_finished", FinishedFn),
            trace_open: sym!("cosim_trace_open", TraceOpenFn),
            trace_flush: sym!("cosim_trace_flush", HandleFn),
            trace_close: sym!("cosim_trace_close", HandleFn),
        };
        let by_name = ports
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i as u32))
            .collect();
        Ok(ModelLib {
            inner: Arc::new(LibInner {
                vt,
                top: top.to_string(),
                path: path.to_path_buf(),
                ports: ports.to_vec(),
                by_name,
                trace,
                _lib: lib,
            }),
        })
    }

    /// Creates a new, independent instance of the model (with its own `VerilatedContext`)
    /// and evaluates it once, which runs the Verilog `initial` blocks.
    pub fn instantiate(&self) -> Result<Model, CosimError> {
        // SAFETY: `create` has no preconditions; it returns null on failure.
        let handle = unsafe { (self.inner.vt.create)() };
        if handle.is_null() {
            return Err(CosimError::Instantiate(self.inner.top.clone()));
        }
        let mut model = Model {
            lib: Arc::clone(&self.inner),
            handle,
            cycles: 0,
            trace_open: false,
        };
        model.eval();
        Ok(model)
    }

    /// Name of the top module.
    pub fn top(&self) -> &str {
        &self.inner.top
    }

    /// Path of the loaded shared library.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Whether the library was built with tracing support.
    pub fn has_trace(&self) -> bool {
        self.inner.trace
    }

    /// The port list the library was built with.
    pub fn ports(&self) -> &[PortSpec] {
        &self.inner.ports
    }

    /// Looks a port up by name.
    pub fn port(&self, name: &str) -> Result<PortId, CosimError> {
        self.inner.port(name)
    }
}

impl LibInner {
    fn port(&self, name: &str) -> Result<PortId, CosimError> {
        self.by_name
            .get(name)
            .map(|&i| PortId(i))
            .ok_or_else(|| CosimError::UnknownPort {
                top: self.top.clone(),
                name: name.to_string(),
                known: self
                    .ports
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// One instance of a Verilated model.
///
/// Values are passed as `u64` ([`set`](Model::set)/[`get`](Model::get), the low 64 bits
/// of the port) or as 32-bit words, least significant first
/// ([`set_wide`](Model::set_wide)/[`get_wide`](Model::get_wide)). Values wider than a port
/// are truncated to its width. Setting an output port is ignored, as is a [`PortId`] from a
/// different library (an index beyond this model's port list).
///
/// Dropping the model runs Verilog `final` blocks and closes the trace file.
pub struct Model {
    lib: Arc<LibInner>,
    handle: *mut c_void,
    cycles: u64,
    trace_open: bool,
}

// SAFETY: the handle owns a Verilated model and its private VerilatedContext, neither shared
// with any other object, so moving it to another thread is fine (the shim re-registers the
// context as the current thread's before each evaluation). It is not `Sync`: all access
// goes through `&mut self`, or `&self` for reads, never concurrently.
unsafe impl Send for Model {}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("top", &self.lib.top)
            .field("cycles", &self.cycles)
            .field("trace_open", &self.trace_open)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Looks a port up by name; the error lists the known ports.
    pub fn port(&self, name: &str) -> Result<PortId, CosimError> {
        self.lib.port(name)
    }

    /// The specification (name, direction, width) of a port, `None` for a foreign id.
    pub fn port_spec(&self, p: PortId) -> Option<&PortSpec> {
        self.lib.ports.get(p.index())
    }

    /// Width in bits of a port, 0 for a foreign id.
    pub fn width(&self, p: PortId) -> usize {
        self.port_spec(p).map_or(0, |s| s.width)
    }

    /// The port list the model was built with.
    pub fn ports(&self) -> &[PortSpec] {
        &self.lib.ports
    }

    /// Name of the top module.
    pub fn top(&self) -> &str {
        &self.lib.top
    }

    /// Sets an input port to `v` (truncated to the port width; ports wider than 64 bits get
    /// zeros above bit 63). Takes effect at the next [`eval`](Model::eval) or
    /// [`tick`](Model::tick).
    pub fn set(&mut self, p: PortId, v: u64) {
        // SAFETY: live handle; unknown indices are rejected by the shim's switch.
        unsafe { (self.lib.vt.set_u64)(self.handle, p.0, v) };
    }

    /// Sets an input port from 32-bit words, least significant first. Missing words are
    /// zero, extra words and bits above the port width are ignored.
    pub fn set_wide(&mut self, p: PortId, words: &[u32]) {
        let n = u32::try_from(words.len()).unwrap_or(u32::MAX);
        // SAFETY: live handle; the shim reads at most `n` words from `words`.
        unsafe { (self.lib.vt.set_words)(self.handle, p.0, words.as_ptr(), n) };
    }

    /// Reads a port (inputs read back their last set value); the low 64 bits for wide ports.
    pub fn get(&self, p: PortId) -> u64 {
        // SAFETY: live handle; unknown indices return 0.
        unsafe { (self.lib.vt.get_u64)(self.handle, p.0) }
    }

    /// Reads a port into `out` as 32-bit words, least significant first; `out` is resized
    /// to `ceil(width / 32)` words (emptied for a foreign id).
    pub fn get_wide(&self, p: PortId, out: &mut Vec<u32>) {
        let words = match self.port_spec(p) {
            Some(spec) => match shim::storage(spec.width) {
                Storage::Scalar => spec.width.div_ceil(32),
                Storage::Wide(n) => n,
            },
            None => 0,
        };
        out.clear();
        out.resize(words, 0);
        if words > 0 {
            // SAFETY: live handle; `out` holds `words` (<= 32) writable words, the count
            // passed, and the shim writes no more than that.
            unsafe { (self.lib.vt.get_words)(self.handle, p.0, out.as_mut_ptr(), words as u32) };
        }
    }

    /// Settles combinational logic after inputs changed, without a clock edge.
    pub fn eval(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.lib.vt.eval)(self.handle) };
    }

    /// One full clock cycle: clock low and eval, then clock high and eval (the rising
    /// edge). Both phases are dumped to the trace if one is open; in the waves a cycle
    /// lasts 10 ns, clock low during the first half.
    pub fn tick(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.lib.vt.tick)(self.handle) };
        self.cycles += 1;
    }

    /// First half of a cycle: clock low and eval, which also settles inputs set since
    /// the last edge. Follow with [`rise`](Model::rise); `settle_low` + `rise` is a
    /// [`tick`](Model::tick), with outputs observable in between.
    pub fn settle_low(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.lib.vt.low)(self.handle) };
    }

    /// Second half of a cycle: clock high and eval (the rising edge).
    pub fn rise(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.lib.vt.high)(self.handle) };
        self.cycles += 1;
    }

    /// Number of [`tick`](Model::tick)s so far (rising edges since construction).
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Whether the design executed `$finish` (or `$stop`, or hit a fatal runtime error).
    pub fn finished(&self) -> bool {
        // SAFETY: live handle.
        unsafe { (self.lib.vt.finished)(self.handle) != 0 }
    }

    /// Starts writing a VCD trace of every signal to `path`. Requires a library built with
    /// [`BuildOptions::trace`](crate::BuildOptions::trace); at most one trace per model.
    pub fn open_trace(&mut self, path: &Path) -> Result<(), CosimError> {
        if !self.lib.trace {
            return Err(CosimError::TraceNotEnabled(self.lib.top.clone()));
        }
        let trace_err = |reason: &str| CosimError::Trace {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let c_path = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| trace_err("path contains a NUL byte"))?;
        // SAFETY: live handle and a NUL-terminated path that outlives the call.
        let rc = unsafe { (self.lib.vt.trace_open)(self.handle, c_path.as_ptr()) };
        match rc {
            0 => {
                self.trace_open = true;
                Ok(())
            }
            -1 => Err(CosimError::TraceNotEnabled(self.lib.top.clone())),
            -2 => Err(trace_err("a trace is already open for this model")),
            -3 => Err(trace_err("the file cannot be created")),
            _ => Err(trace_err("Verilator raised an exception")),
        }
    }

    /// Whether a trace is being written.
    pub fn trace_is_open(&self) -> bool {
        self.trace_open
    }

    /// Flushes buffered trace output to the file.
    pub fn flush_trace(&mut self) {
        // SAFETY: live handle; a no-op without an open trace.
        unsafe { (self.lib.vt.trace_flush)(self.handle) };
    }

    /// Finishes and closes the trace file, if any (dropping the model also does this).
    pub fn close_trace(&mut self) {
        // SAFETY: live handle; a no-op without an open trace.
        unsafe { (self.lib.vt.trace_close)(self.handle) };
        self.trace_open = false;
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: the handle came from `create` and is destroyed exactly once, here.
        unsafe { (self.lib.vt.destroy)(self.handle) };
    }
}

/// Where a test should write its waves: `Some(<target>/waves/<test_name>.vcd)` when the
/// environment variable `TOE_WAVES` is `1` (the directory is created), `None` otherwise.
/// Characters other than letters, digits, `-`, `_` and `.` in `test_name` become `_`.
///
/// Typical use: build with `trace: waves_path(..).is_some()`, then call
/// [`Model::open_trace`] with the path.
pub fn waves_path(test_name: &str) -> Option<PathBuf> {
    let enabled = std::env::var("TOE_WAVES").is_ok_and(|v| v == "1");
    waves_path_in(enabled, &crate::target_dir().join("waves"), test_name)
}

fn waves_path_in(enabled: bool, dir: &Path, test_name: &str) -> Option<PathBuf> {
    if !enabled {
        return None;
    }
    let file: String = test_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // A failure surfaces as an error from `open_trace`.
    let _ = std::fs::create_dir_all(dir);
    Some(dir.join(format!("{file}.vcd")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waves_path_only_when_enabled() {
        let dir = std::env::temp_dir().join(format!("cosim-waves-{}", std::process::id()));
        assert_eq!(waves_path_in(false, &dir, "x"), None);
        let p = waves_path_in(true, &dir, "axis::pass/through").unwrap();
        assert_eq!(p, dir.join("axis__pass_through.vcd"));
        assert!(dir.is_dir());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
