//! Host model of the TCP offload engine: configuration, wire formats and the golden
//! reference the RTL is checked against. Every format and constant is defined here once.

pub mod config;
pub mod engine;
pub mod meta;
pub mod proto;
pub mod rcv;
pub mod rx_path;
pub mod snd;
pub mod stack;

pub use config::{Config, ConfigError, OffloadConfig, Resolved};
pub use engine::{ConnState, ConnView, Delivery, EngineModel, Lookup, NeighborView, PathView};
pub use meta::{L4Kind, RX_META_BITS, RX_META_LAYOUT, RX_META_TDATA_BITS, RawRecord, RxMeta};
pub use rx_path::{RingWrite, RxPathModel};
pub use stack::{EngineLink, HostStack};
