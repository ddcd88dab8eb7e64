//! Co-simulation scenarios, reference models and test-frame generation.

pub mod dma;
pub mod duplex;
pub mod engine_sim;
pub mod framegen;
pub mod rcv_e2e;
pub mod rcv_replay;
pub mod rcv_rtl;
pub mod reference;
pub mod report;
pub mod rx;
pub mod rx_lock;
pub mod rx_sim;
pub mod scenario;
pub mod snd;
pub mod tx;
