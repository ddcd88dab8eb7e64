//! The error type shared by every part of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while building, loading or driving a model, or while
/// reading and writing capture files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CosimError {
    /// `verilator` could not be started.
    #[error("`verilator` was not found on PATH; install it with `apt-get install verilator`")]
    VerilatorNotFound,

    /// A build tool was started but did not succeed.
    #[error("command failed ({status}): {command}\n--- last lines of output ---\n{output_tail}")]
    CommandFailed {
        /// The command line, shell-quoted for copy and paste.
        command: String,
        /// How the process ended (exit code or signal).
        status: String,
        /// The last lines of its combined stdout and stderr.
        output_tail: String,
    },

    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, including the path involved.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The arguments to [`build_model`](crate::build_model) are unusable.
    #[error("invalid build request: {0}")]
    InvalidRequest(String),

    /// The port list does not match the model Verilator generated.
    #[error("port `{port}` does not match the Verilated model `{top}`: {reason}")]
    PortMismatch {
        /// The top module.
        top: String,
        /// The port as named in the port list.
        port: String,
        /// What differs.
        reason: String,
    },

    /// The shared library could not be loaded or lacks an expected symbol.
    #[error("cannot load model library {path}: {reason}")]
    Load {
        /// The shared library.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// The C++ side failed to construct the model.
    #[error("failed to instantiate model `{0}` (C++ constructor threw)")]
    Instantiate(String),

    /// A port name that the model does not have.
    #[error("model `{top}` has no port `{name}` (known ports: {known})")]
    UnknownPort {
        /// The top module.
        top: String,
        /// The name that was asked for.
        name: String,
        /// Comma-separated list of the ports the model has.
        known: String,
    },

    /// A port exists but is unsuitable for the requested use (wrong direction or width).
    #[error("port `{name}` cannot be used here: {reason}")]
    BadPort {
        /// The port.
        name: String,
        /// Why it is unsuitable.
        reason: String,
    },

    /// [`Model::open_trace`](crate::Model::open_trace) on a model built without tracing.
    #[error(
        "model `{0}` was built without tracing; build it with `BuildOptions {{ trace: true, .. }}`"
    )]
    TraceNotEnabled(String),

    /// The VCD file could not be opened, or a trace is already open.
    #[error("cannot open VCD trace {path}: {reason}")]
    Trace {
        /// The requested VCD file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },

    /// A bench ran out of cycles before its condition became true.
    #[error("timeout: condition not met after {cycles} cycles (model cycle count {at_cycle})")]
    Timeout {
        /// Cycles run by the call that timed out.
        cycles: u64,
        /// [`Model::cycles`](crate::Model::cycles) when giving up.
        at_cycle: u64,
    },

    /// A capture file does not exist.
    #[error("capture file {0} does not exist")]
    PcapMissing(PathBuf),

    /// A file is neither pcap nor pcapng.
    #[error("{path} is not a pcap or pcapng file: {reason}")]
    NotPcap {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },

    /// A capture uses a link type other than Ethernet.
    #[error(
        "{path}: unsupported link type {linktype} ({name}); only Ethernet (LINKTYPE_ETHERNET = 1) is accepted"
    )]
    UnsupportedLinkType {
        /// The file.
        path: PathBuf,
        /// The numeric LINKTYPE found.
        linktype: u32,
        /// Its symbolic name as known to `pcap-file`.
        name: String,
    },

    /// A capture file is damaged or could not be written.
    #[error("{path}: {source}")]
    Pcap {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: pcap_file::PcapError,
    },
}

impl CosimError {
    /// Wraps an I/O error with a description of what was being attempted.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CosimError::Io {
            context: context.into(),
            source,
        }
    }
}
