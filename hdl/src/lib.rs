//! rust-hdl descriptions of the TCP offload engine's blocks, and the generator that
//! emits them as Verilog a user can drop into a design.

pub mod ack_gen;
pub mod burst;
pub mod constraints;
pub mod dma_mux;
pub mod dma_read;
pub mod dma_write;
pub mod engine;
pub mod extract;
pub mod fast_fifo;
pub mod generate;
pub mod hold;
pub mod offload;
pub mod pack;
pub mod rcv_core;
pub mod receive;
pub mod rx_meta;
pub mod rx_parser;
pub mod rx_path;
pub mod snd_core;
pub mod sync_fifo;
pub mod synth;
pub mod tx_fetch;
pub mod tx_seg;

pub use generate::{Generated, GeneratedBlock, PortDir, PortInfo, generate};
pub use rx_meta::RxMetaRecord;
pub use rx_parser::RxParser;
