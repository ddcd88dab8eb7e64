//! A quick unit test of the receive parser in rust-hdl's own simulator (not the truth:
//! the Verilated RTL is; see `rx_parser.rs`). It catches description errors early, and
//! a disagreement between the two simulators shows up here.

use host_model::{RawRecord, RxMeta};
use rust_hdl::prelude::*;
use testbenches::reference::reference;
use testbenches::rx::tcp_frame;

/// One clock cycle; a record handed over at this edge (valid and ready) is decoded
/// into `got`.
fn clock(uut: &mut hdl::RxParser, got: &mut Vec<RxMeta>) {
    uut.clock.next = Clock::from(false);
    assert!(simulate(uut, 200), "did not settle (clock low)");
    if uut.m_meta_tvalid.val() && uut.m_meta_tready.val() {
        got.push(RxMeta::decode(&RawRecord(record_words(
            uut.m_meta_tdata.val(),
        ))));
    }
    uut.clock.next = Clock::from(true);
    assert!(simulate(uut, 200), "did not settle (clock high)");
}

fn record_words(r: RxMetaRecord) -> Vec<u32> {
    let bits: Bits<{ RxMetaRecord::BITS }> = r.into();
    (0..RxMetaRecord::BITS.div_ceil(32))
        .map(|w| {
            let mut v = 0u32;
            for i in 0..32 {
                let b = w * 32 + i;
                if b < RxMetaRecord::BITS && bits.get_bit(b) {
                    v |= 1 << i;
                }
            }
            v
        })
        .collect()
}

use hdl::RxMetaRecord;

#[test]
fn rust_hdl_simulation_agrees_with_the_reference_on_a_few_frames() {
    let mut uut = hdl::RxParser::new(60);
    uut.connect_all();
    let mut g = testbenches::framegen::FrameGen::new(4);
    let mut frames = vec![tcp_frame(64, 1), tcp_frame(60, 2), tcp_frame(130, 3)];
    // Valid frames of every kind (VLAN, IPv6, extension headers, options, UDP, ...) and
    // mutated ones; few enough for rust-hdl's simulator, and at most 15 records waiting
    // in the record FIFO (16 deep) while the input streams.
    frames.extend((0..12).map(|i| if i % 3 == 0 { g.mutated() } else { g.valid() }));
    let mut got = vec![];
    uut.m_tready.next = true;
    uut.m_meta_tready.next = true;
    uut.reset.next = true;
    clock(&mut uut, &mut got);
    uut.reset.next = false;
    for f in &frames {
        let beats: Vec<&[u8]> = f.chunks(8).collect();
        for (i, c) in beats.iter().enumerate() {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            uut.s_tdata.next = u64::from_le_bytes(w).to_bits();
            uut.s_tkeep.next = ((1u64 << c.len()) - 1).to_bits();
            uut.s_tlast.next = i + 1 == beats.len();
            uut.s_tuser.next = false;
            uut.s_tvalid.next = true;
            assert!(simulate(&mut uut, 200));
            assert!(uut.s_tready.val(), "input stalled");
            clock(&mut uut, &mut got);
        }
    }
    uut.s_tvalid.next = false;
    for _ in 0..20 {
        clock(&mut uut, &mut got);
    }
    assert_eq!(got.len(), frames.len());
    for (f, m) in frames.iter().zip(&got) {
        assert_eq!(*m, reference(f, false, 60), "frame of {} bytes", f.len());
    }
}
