//! Engine configuration: one TOML file, validated once, derived values computed once.
//!
//! Every block generator, the co-simulation harness and the testbenches take a
//! [`Resolved`] configuration, so they cannot disagree on a width or a size.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Errors from loading or validating a configuration. Each names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("config {origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("config key `{key}` = {value}: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
}

/// The configuration as written by the user (all keys optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Configuration name; the default output folder is `build/<name>/`.
    pub name: String,
    /// Prefix of every emitted Verilog module (`<prefix>_rx_parser`, ...).
    pub prefix: String,
    /// Width of the AXI4-Stream data path in bits.
    pub data_width: u32,
    /// Target clock frequency in MHz: timing constraints and synthesis aim for it
    /// (156.25 MHz carries 10 Gb/s at 64 bits).
    pub clock_mhz: f64,
    /// Receive parser settings.
    pub rx: RxConfig,
    /// Connection table and state memories.
    pub offload: OffloadConfig,
    /// Receive fast path (receive lists, ACK generation; see `host_model::rcv`).
    pub rcv: RcvConfig,
    /// Send fast path (send lists, segmentation, ACK processing, congestion control;
    /// see `host_model::snd`).
    pub snd: SndConfig,
}

/// Send fast-path settings (A5, B3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SndConfig {
    /// Scatter-gather entries of posted send lists the engine keeps per connection
    /// (1..=16, `proto::SND_SG_SLOTS`): a list that does not fit in what is left is
    /// refused (`NO_RESOURCES`).
    pub sg_entries: u32,
    /// Smallest retransmission timeout in microseconds (RFC 6298's lower bound,
    /// 1..=1000000); also the timeout before the first RTT sample.
    pub rto_min_us: u32,
    /// Largest retransmission timeout in microseconds (`rto_min_us`..=60000000).
    pub rto_max_us: u32,
    /// Congestion window at handout when the host hands out `cwnd` = 0, in segments
    /// (1..=64; RFC 6928's 10).
    pub initial_cwnd_segs: u32,
}

impl Default for SndConfig {
    fn default() -> Self {
        SndConfig {
            sg_entries: 16,
            rto_min_us: 1000,
            rto_max_us: 1_000_000,
            initial_cwnd_segs: 10,
        }
    }
}

/// Receive fast-path settings (A4, I5, I8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RcvConfig {
    /// Send an ACK after this many in-order segments were accepted (1..=64, I8).
    pub ack_every: u32,
    /// Or when the oldest unacknowledged accepted segment is this old, in microseconds
    /// (delayed ACK, 1..=500000).
    pub delack_us: u32,
    /// Scatter-gather entries of posted receive lists the engine keeps per connection
    /// (1..=16, `proto::RCV_SG_SLOTS`): a list that does not fit in what is left is
    /// refused (`NO_RESOURCES`).
    pub sg_entries: u32,
    /// Frames the engine stores, all connections together, for connections that have
    /// no receive list posted after their first indicated frame (A4, 1..=64).
    pub hold_frames: u32,
}

impl Default for RcvConfig {
    fn default() -> Self {
        RcvConfig {
            ack_every: 2,
            delack_us: 40,
            sg_entries: 16,
            hold_frames: 8,
        }
    }
}

/// Connection table and context memory sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OffloadConfig {
    /// Offloaded connections the engine holds: 256, 1024, 4096, 16384 or 65536. The
    /// connection table has twice as many slots (2 banks of `connections / 4` buckets
    /// of 4 ways); the engine also holds `connections / 4` Paths and
    /// `connections / 16` Neighbors.
    pub connections: u32,
    /// How long the engine holds a connection's frames after HANDOUT1 waiting for
    /// HANDOUT2, in microseconds (1..=1000000); then it stops holding and asks the
    /// host to upload the connection (`UploadReason::HandoutTimeout`).
    pub handout_timeout_us: u32,
}

impl Default for OffloadConfig {
    fn default() -> Self {
        OffloadConfig {
            connections: 1024,
            handout_timeout_us: 1000,
        }
    }
}

/// Receive parser settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RxConfig {
    /// Frames shorter than this many bytes (FCS excluded) are flagged `runt`.
    pub min_frame_len: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            name: "default".into(),
            prefix: "toe".into(),
            data_width: 64,
            clock_mhz: 156.25,
            rx: RxConfig::default(),
            offload: OffloadConfig::default(),
            rcv: RcvConfig::default(),
            snd: SndConfig::default(),
        }
    }
}

impl Default for RxConfig {
    fn default() -> Self {
        RxConfig { min_frame_len: 60 }
    }
}

/// Largest frame, in bytes, the receive parser measures exactly (17-bit length field).
pub const MAX_FRAME_LEN: usize = (1 << 17) - 1;

/// Connection counts the generator supports (powers of 4: each is one instantiation
/// of the offload core's widths).
pub const SUPPORTED_CONNECTIONS: &[u32] = &[256, 1024, 4096, 16384, 65536];

/// Datapath widths the generators support today.
pub const SUPPORTED_DATA_WIDTHS: &[u32] = &[64];

/// A validated configuration with its derived values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    #[serde(flatten)]
    pub config: Config,
    /// `data_width / 8`: bytes per beat and width of `tkeep`.
    pub keep_width: u32,
    /// `log2(keep_width)`: bits of a byte offset inside a beat.
    pub lane_bits: u32,
    /// Clock period in ns (`1000 / clock_mhz`).
    pub clock_period_ns: f64,
    /// `log2(offload.connections)`.
    pub conn_bits: u32,
    /// Path entries: `connections / 4`.
    pub paths: u32,
    /// Neighbor entries: `connections / 16`.
    pub neighbors: u32,
    /// `log2(paths)`.
    pub path_bits: u32,
    /// `log2(neighbors)`.
    pub nbr_bits: u32,
    /// `offload.handout_timeout_us` in clock cycles at `clock_mhz` (rounded up).
    pub handout_timeout_cycles: u32,
    /// `log2` of buckets per connection-table bank (`connections / 4` buckets).
    pub bucket_bits: u32,
    /// `rcv.delack_us` in clock cycles at `clock_mhz` (rounded up).
    pub delack_cycles: u64,
    /// Clock cycles per tick of the engine's microsecond clock (`clock_mhz` rounded,
    /// at least 1): RTT, RTO and the DELEGATED `srtt` / `rttvar` / `rto_delta` are in
    /// these ticks.
    pub us_cycles: u64,
}

impl Config {
    /// Parse a TOML document; `origin` names it in error messages.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            message: e.to_string(),
        })
    }

    /// Read and parse a TOML file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Check every value and compute the derived ones.
    pub fn resolve(self) -> Result<Resolved, ConfigError> {
        let ident_ok = |s: &str| {
            let mut c = s.chars();
            matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic())
                && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        };
        if !ident_ok(&self.prefix) {
            return Err(ConfigError::Invalid {
                key: "prefix",
                value: format!("{:?}", self.prefix),
                reason: "must be a Verilog identifier: a letter, then letters, digits or `_`"
                    .into(),
            });
        }
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            return Err(ConfigError::Invalid {
                key: "name",
                value: format!("{:?}", self.name),
                reason: "must be non-empty and use only letters, digits, `_` or `-`".into(),
            });
        }
        if !SUPPORTED_DATA_WIDTHS.contains(&self.data_width) {
            return Err(ConfigError::Invalid {
                key: "data_width",
                value: self.data_width.to_string(),
                reason: format!("supported widths today: {SUPPORTED_DATA_WIDTHS:?} bits"),
            });
        }
        if !(self.clock_mhz.is_finite() && (1.0..=1000.0).contains(&self.clock_mhz)) {
            return Err(ConfigError::Invalid {
                key: "clock_mhz",
                value: self.clock_mhz.to_string(),
                reason: "must be between 1 and 1000 MHz".into(),
            });
        }
        if !(14..=1518).contains(&self.rx.min_frame_len) {
            return Err(ConfigError::Invalid {
                key: "rx.min_frame_len",
                value: self.rx.min_frame_len.to_string(),
                reason: "must be between 14 and 1518 bytes".into(),
            });
        }
        if !SUPPORTED_CONNECTIONS.contains(&self.offload.connections) {
            return Err(ConfigError::Invalid {
                key: "offload.connections",
                value: self.offload.connections.to_string(),
                reason: format!("supported sizes: {SUPPORTED_CONNECTIONS:?}"),
            });
        }
        if !(1..=1_000_000).contains(&self.offload.handout_timeout_us) {
            return Err(ConfigError::Invalid {
                key: "offload.handout_timeout_us",
                value: self.offload.handout_timeout_us.to_string(),
                reason: "must be between 1 and 1000000 microseconds".into(),
            });
        }
        let ranges: [(&'static str, u32, u32, u32); 8] = [
            ("rcv.ack_every", self.rcv.ack_every, 1, 64),
            ("rcv.delack_us", self.rcv.delack_us, 1, 500_000),
            (
                "rcv.sg_entries",
                self.rcv.sg_entries,
                1,
                crate::proto::RCV_SG_SLOTS as u32,
            ),
            (
                "rcv.hold_frames",
                self.rcv.hold_frames,
                1,
                crate::proto::RCV_HOLD_SLOTS as u32,
            ),
            (
                "snd.sg_entries",
                self.snd.sg_entries,
                1,
                crate::proto::SND_SG_SLOTS as u32,
            ),
            ("snd.rto_min_us", self.snd.rto_min_us, 1, 1_000_000),
            (
                "snd.rto_max_us",
                self.snd.rto_max_us,
                self.snd.rto_min_us,
                60_000_000,
            ),
            ("snd.initial_cwnd_segs", self.snd.initial_cwnd_segs, 1, 64),
        ];
        for (key, v, lo, hi) in ranges {
            if !(lo..=hi).contains(&v) {
                return Err(ConfigError::Invalid {
                    key,
                    value: v.to_string(),
                    reason: format!("must be between {lo} and {hi}"),
                });
            }
        }
        let keep_width = self.data_width / 8;
        Ok(Resolved {
            delack_cycles: (self.rcv.delack_us as f64 * self.clock_mhz).ceil() as u64,
            clock_period_ns: 1000.0 / self.clock_mhz,
            us_cycles: (self.clock_mhz.round() as u64).max(1),
            keep_width,
            lane_bits: keep_width.trailing_zeros(),
            conn_bits: self.offload.connections.trailing_zeros(),
            paths: self.offload.connections / 4,
            neighbors: self.offload.connections / 16,
            path_bits: self.offload.connections.trailing_zeros() - 2,
            nbr_bits: self.offload.connections.trailing_zeros() - 4,
            bucket_bits: self.offload.connections.trailing_zeros() - 2,
            handout_timeout_cycles: (self.offload.handout_timeout_us as f64 * self.clock_mhz).ceil()
                as u32,
            config: self,
        })
    }
}

impl Resolved {
    /// The default configuration, resolved.
    pub fn default_config() -> Resolved {
        Config::default()
            .resolve()
            .expect("the default configuration is valid")
    }

    /// Load, parse and validate a TOML file, or the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Resolved, ConfigError> {
        match path {
            Some(p) => Config::load(p)?.resolve(),
            None => Config::default().resolve(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve() {
        let r = Resolved::default_config();
        assert_eq!(r.keep_width, 8);
        assert_eq!(r.lane_bits, 3);
        assert_eq!(r.config.prefix, "toe");
    }

    #[test]
    fn partial_file_keeps_defaults() {
        let c =
            Config::from_toml_str("prefix = \"nic0\"\n[rx]\nmin_frame_len = 64\n", "t").unwrap();
        let r = c.resolve().unwrap();
        assert_eq!(r.config.prefix, "nic0");
        assert_eq!(r.config.rx.min_frame_len, 64);
        assert_eq!(r.config.data_width, 64);
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Config::from_toml_str("data_width = 48", "t")
            .unwrap()
            .resolve()
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("data_width") && msg.contains("48"), "{msg}");
        let e = Config::from_toml_str("prefix = \"9x\"", "t")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.to_string().contains("prefix"));
        let e = Config::from_toml_str("[rx]\nmin_frame_len = 2", "t")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.to_string().contains("rx.min_frame_len"));
    }

    #[test]
    fn clock_is_checked() {
        let e = Config::from_toml_str("clock_mhz = 0.0", "t")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.to_string().contains("clock_mhz"), "{e}");
        let r = Config::from_toml_str("clock_mhz = 250.0", "t")
            .unwrap()
            .resolve()
            .unwrap();
        assert!((r.clock_period_ns - 4.0).abs() < 1e-9);
    }

    #[test]
    fn offload_sizes_are_checked() {
        let e = Config::from_toml_str("[offload]\nconnections = 1000", "t")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.to_string().contains("offload.connections"), "{e}");
        let r = Config::from_toml_str("[offload]\nconnections = 65536", "t")
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!((r.conn_bits, r.bucket_bits), (16, 14));
    }

    #[test]
    fn rcv_settings_are_checked() {
        let e = Config::from_toml_str("[rcv]\nack_every = 0", "t")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(e.to_string().contains("rcv.ack_every"), "{e}");
        let r = Config::from_toml_str("[rcv]\ndelack_us = 100", "t")
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(r.delack_cycles, 15_625);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::from_toml_str("data_widht = 64", "f.toml").unwrap_err();
        assert!(e.to_string().contains("data_widht"), "{e}");
    }
}
