//! Model of the receive path (`hdl::rx_path`): the receive ring behind the engine top.
//!
//! [`RxPathModel`] wraps an [`EngineModel`] the way the RTL's receive path wraps the
//! engine top: data-path commands ([`Opcode::is_data_path`]) are answered here, all
//! others go to the engine; every frame the engine delivers
//! ([`EngineModel::take_delivered`]) is written into the next posted ring buffer
//! (see [`crate::proto`], "Receive ring") and announced with an RX_FRAME event.
//!
//! # RXBUF rules
//! - The header is checked as for every command: an unknown opcode (0x09-0x0F today)
//!   is answered ERROR `BAD_OPCODE`, reserved bits ERROR `BAD_HEADER`; the words up to
//!   `tlast` are discarded.
//! - Entries are posted one by one, in order. A misaligned address stops with
//!   `BAD_ENTRY`, a `tlast` before `count` entries with `TRUNCATED`, a ring with
//!   [`RX_RING_SLOTS`] buffers already with `RING_FULL`; words left up to `tlast` are
//!   discarded and entries posted before the fault stay posted. Words after the last
//!   entry are `TRAILING_WORDS`. `consumed` = buffers posted.
//! - A non-OK trailer counts in `command_errors`, as for every command.

use std::collections::VecDeque;

use crate::engine::{Delivery, EngineModel};
use crate::meta::RxMeta;
use crate::proto::{
    CmdStatus, CommandReader, DecodeError, Event, Opcode, RX_BUF_BYTES, RX_RING_SLOTS, RxStatus,
    Trailer,
};

/// What happened to one delivered frame in the receive path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RingWrite {
    /// Written into the buffer at `addr` (the first `status.written()` bytes of the
    /// frame); the RX_FRAME event is `event`.
    Written { addr: u64, event: Event },
    /// No buffer was posted: dropped and counted in `ring_drops`.
    Dropped,
}

/// The engine model plus the receive ring.
#[derive(Debug, Clone)]
pub struct RxPathModel {
    pub engine: EngineModel,
    ring: VecDeque<u64>,
}

impl RxPathModel {
    pub fn new(engine: EngineModel) -> RxPathModel {
        RxPathModel {
            engine,
            ring: VecDeque::new(),
        }
    }

    /// Buffers posted and not used yet, oldest first.
    pub fn ring(&self) -> &VecDeque<u64> {
        &self.ring
    }

    /// Process one command message (either kind) and return its response.
    pub fn command_event(&mut self, words: &[u64]) -> Event {
        let op = words.first().map(|w| *w as u8).unwrap_or(0);
        if !Opcode::is_data_path(op) {
            return self.engine.command_event(words);
        }
        let ev = self.rxbuf(words);
        if ev.trailer().status != CmdStatus::Ok {
            self.engine.stats_mut().command_errors += 1;
        }
        ev
    }

    fn rxbuf(&mut self, words: &[u64]) -> Event {
        let tag = words.first().map(|w| (w >> 32) as u32).unwrap_or(0);
        let error = |status| Event::Error {
            tag,
            trailer: Trailer {
                status,
                consumed: 0,
            },
        };
        // The ring path knows RXBUF only (the receive lists and window updates are the
        // fast path's, `crate::rcv`, which the RTL does not have yet).
        if words.first().map(|w| *w as u8) != Some(Opcode::RxBuf as u8) {
            return error(CmdStatus::BadOpcode);
        }
        let mut r = match CommandReader::new(words) {
            Ok(r) if r.opcode == Opcode::RxBuf => r,
            Ok(_) | Err(DecodeError::BadOpcode(_)) => return error(CmdStatus::BadOpcode),
            Err(_) => return error(CmdStatus::BadHeader),
        };
        let mut posted = 0u16;
        let status = loop {
            match r.next_buffer() {
                Ok(Some(addr)) => {
                    if self.ring.len() == RX_RING_SLOTS {
                        break CmdStatus::RingFull;
                    }
                    self.ring.push_back(addr);
                    posted += 1;
                }
                Ok(None) => {
                    break match r.finish() {
                        Ok(()) => CmdStatus::Ok,
                        Err(e) => CommandReader::status_of(&e),
                    };
                }
                Err(e) => break CommandReader::status_of(&e),
            }
        };
        Event::RxBufPosted {
            tag,
            trailer: Trailer {
                status,
                consumed: posted,
            },
        }
    }

    /// Put one frame the engine delivered into the ring; `dma_ok` says whether the host
    /// memory accepted the write.
    pub fn deliver(&mut self, d: &Delivery, dma_ok: bool) -> RingWrite {
        let meta = RxMeta::decode(&d.record);
        let (lookup, conn) = d.lookup.code();
        let Some(addr) = self.ring.pop_front() else {
            self.engine.stats_mut().ring_drops += 1;
            return RingWrite::Dropped;
        };
        let status = RxStatus::of(&meta, lookup, conn);
        let stats = self.engine.stats_mut();
        let trailer = if dma_ok {
            stats.ring_frames += 1;
            stats.ring_bytes += status.written() as u64;
            Trailer::ok(0)
        } else {
            stats.ring_dma_errors += 1;
            Trailer {
                status: CmdStatus::DmaError,
                consumed: 0,
            }
        };
        RingWrite::Written {
            addr,
            event: Event::RxFrame {
                addr,
                status,
                trailer,
            },
        }
    }
}

/// Bytes of a frame that go into its ring buffer.
pub fn ring_bytes(frame: &[u8]) -> &[u8] {
    &frame[..frame.len().min(RX_BUF_BYTES)]
}

impl crate::stack::EngineLink for RxPathModel {
    fn command(&mut self, words: &[u64]) -> Vec<u64> {
        self.command_event(words).encode()
    }

    fn poll_events(&mut self) -> Vec<Vec<u64>> {
        self.engine
            .take_unsolicited()
            .iter()
            .map(Event::encode)
            .collect()
    }
}
