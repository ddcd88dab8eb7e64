//! The send fast path's rules (`host_model::snd`) checked against values worked out by
//! hand from RFC 5681 (slow start, congestion avoidance, fast retransmit), RFC 6582
//! (NewReno partial and full ACKs), RFC 6298 (RTT estimation, Karn) and the flush
//! residuals of A7.

use host_model::Resolved;
use host_model::proto::{SendList, SgEntry, Tcp};
use host_model::snd::{SndConn, SndParams, SndStats};

const UNA: u32 = 0xFFFF_FF00; // wraps past 2^32 early
const MSS: u32 = 1000;

fn conn(cwnd: u32, ssthresh: u32) -> (SndConn, SndParams) {
    let p = SndParams::new(&Resolved::default_config());
    let t = Tcp {
        eff_mss: MSS as u64,
        snd_una: UNA as u64,
        snd_nxt: UNA as u64,
        snd_wnd: 8192,
        cwnd: cwnd as u64,
        ssthresh: ssthresh as u64,
        ..Tcp::default()
    };
    (SndConn::new(&t, &p), p)
}

fn list(tag: u32, addr: u64, len: u32) -> SendList {
    SendList {
        handle: 0,
        host_ctx: 0,
        list_tag: tag,
        push: true,
        sg: vec![SgEntry { addr, len }],
    }
}

/// Send everything the windows allow: (seq offset from UNA, len, retransmit).
fn drain(c: &mut SndConn, now: u64, p: &SndParams, st: &mut SndStats) -> Vec<(u32, u32, bool)> {
    let mut v = Vec::new();
    while let Some(s) = c.next_segment(now, p, st) {
        v.push((s.seq.wrapping_sub(UNA), s.len, s.retransmit));
    }
    v
}

fn ack(c: &mut SndConn, off: u32, now: u64, p: &SndParams, st: &mut SndStats) -> usize {
    let mut done = Vec::new();
    c.on_ack(
        UNA.wrapping_add(off),
        8192,
        7,
        0,
        now,
        p,
        st,
        (0, 0, &mut done),
    );
    done.len()
}

#[test]
fn slow_start_then_congestion_avoidance() {
    let (mut c, p) = conn(0, 4000);
    let mut st = SndStats::default();
    c.post(&list(1, 0x1000, 100_000), 0, &p).unwrap();
    // cwnd 0 at handout: initial window of 10 segments (RFC 6928); the send window
    // (8,192) limits to 8.
    assert_eq!(c.cwnd, 10 * MSS);
    let segs = drain(&mut c, 0, &p, &mut st);
    assert_eq!(segs.len(), 8);
    assert!(
        segs.iter()
            .enumerate()
            .all(|(i, s)| *s == (i as u32 * MSS, MSS, false))
    );
    // cwnd 10,000 > ssthresh 4,000: congestion avoidance.
    ack(&mut c, 1000, 10, &p, &mut st);
    assert_eq!(c.cwnd, 10_000 + MSS * MSS / 10_000);
    // A fresh connection below ssthresh grows by min(acked, MSS) per ACK.
    let (mut c, p) = conn(2000, 100_000);
    c.post(&list(1, 0x1000, 100_000), 0, &p).unwrap();
    assert_eq!(drain(&mut c, 0, &p, &mut st).len(), 2);
    ack(&mut c, 2000, 10, &p, &mut st); // 2,000 acked in one ACK: +1 MSS only
    assert_eq!(c.cwnd, 3000);
    assert_eq!(c.snd_wnd, 8192);
    assert_eq!(drain(&mut c, 10, &p, &mut st).len(), 3);
}

#[test]
fn three_duplicate_acks_start_newreno_recovery() {
    let (mut c, p) = conn(10 * MSS, u32::MAX);
    let mut st = SndStats::default();
    c.post(&list(1, 0x1000, 20 * MSS), 0, &p).unwrap();
    assert_eq!(drain(&mut c, 0, &p, &mut st).len(), 8); // window 8,192: 8 segments
    ack(&mut c, 1000, 1, &p, &mut st); // segment 2 lost; 1 acked
    let after_first = c.cwnd;
    assert_eq!(after_first, 11 * MSS);
    let _ = drain(&mut c, 1, &p, &mut st);
    for k in 1..=2 {
        ack(&mut c, 1000, 2, &p, &mut st);
        assert_eq!(c.dup_acks, k);
        assert!(drain(&mut c, 2, &p, &mut st).is_empty());
    }
    ack(&mut c, 1000, 3, &p, &mut st); // third: fast retransmit
    let flight = c.flight();
    assert_eq!(c.ssthresh, (flight / 2).max(2 * MSS));
    assert_eq!(c.cwnd, c.ssthresh + 3 * MSS);
    assert!(c.in_recovery);
    let segs = drain(&mut c, 3, &p, &mut st);
    assert_eq!(segs[0], (1000, MSS, true), "{segs:?}");
    // A fourth duplicate inflates by one MSS.
    let cw = c.cwnd;
    ack(&mut c, 1000, 4, &p, &mut st);
    assert_eq!(c.cwnd, cw + MSS);
    // Partial ACK (below recover): the next hole goes out at once, cwnd deflates by
    // the bytes acknowledged and grows by one MSS.
    let cw = c.cwnd;
    ack(&mut c, 3000, 5, &p, &mut st);
    assert_eq!(c.cwnd, cw - 2000 + MSS);
    let segs = drain(&mut c, 5, &p, &mut st);
    assert_eq!(segs[0], (3000, MSS, true), "{segs:?}");
    assert_eq!(st.partial_acks, 1);
    // Full ACK (covers recover): recovery ends with cwnd = ssthresh.
    let recover = c.recover.unwrap().wrapping_sub(UNA);
    ack(&mut c, recover, 6, &p, &mut st);
    assert!(!c.in_recovery);
    assert_eq!(c.cwnd, c.ssthresh);
    assert_eq!(st.fast_retransmits, 1);
    assert_eq!(st.retransmits, 2);
}

#[test]
fn karn_rtt_samples_and_rto() {
    let (mut c, p) = conn(10 * MSS, u32::MAX);
    let mut st = SndStats::default();
    let us = p.us_cycles;
    c.post(&list(1, 0x1000, 4 * MSS), 0, &p).unwrap();
    drain(&mut c, 0, &p, &mut st);
    assert_eq!(c.rto(&p), p.rto_min, "no sample yet");
    // The first segment is timed: ACK after 400 µs → srtt 400 (×8), rttvar 200 (×4).
    ack(&mut c, 1000, 400 * us, &p, &mut st);
    assert_eq!((c.srtt8, c.rttvar4), (3200, 800));
    assert_eq!(st.rtt_samples, 1);
    // Nothing timed now (the timed segment was the first): the next ACK gives no
    // sample. RTO = 400 + 800 = 1200 µs (above rto_min 1000).
    ack(&mut c, 2000, 500 * us, &p, &mut st);
    assert_eq!(st.rtt_samples, 1);
    assert_eq!(c.rto(&p), 1200);
    // New data is timed again; a second sample of 200 µs:
    // srtt8 = 3200 - 400 + 200 = 3000; rttvar4 = 800 - 200 + |200 - 400| = 800.
    c.post(&list(2, 0x9000, MSS), 500 * us, &p).unwrap();
    drain(&mut c, 500 * us, &p, &mut st);
    ack(&mut c, 5000, 700 * us, &p, &mut st);
    assert_eq!((c.srtt8, c.rttvar4), (3000, 800));
    assert_eq!(st.rtt_samples, 2);
}

#[test]
fn retransmissions_are_not_timed_and_the_timeout_stops_sending() {
    let (mut c, p) = conn(10 * MSS, u32::MAX);
    let mut st = SndStats::default();
    let us = p.us_cycles;
    c.post(&list(1, 0x1000, 20 * MSS), 0, &p).unwrap();
    drain(&mut c, 0, &p, &mut st);
    for _ in 0..3 {
        ack(&mut c, 0, 10 * us, &p, &mut st);
    }
    drain(&mut c, 10 * us, &p, &mut st); // the retransmission cancels the timing
    ack(&mut c, 8000, 300 * us, &p, &mut st);
    assert_eq!(
        st.rtt_samples, 0,
        "Karn: no sample from a retransmitted segment"
    );
    // The timer was restarted by that ACK: it expires rto_min later, not before.
    let deadline = c.rto_deadline.unwrap();
    assert_eq!(deadline, 300 + p.rto_min, "in microsecond ticks");
    assert!(!c.expired(deadline * us - 1, &p, &mut st));
    assert!(c.expired(deadline * us, &p, &mut st));
    assert!(c.stopped);
    assert!(drain(&mut c, deadline * us, &p, &mut st).is_empty());
    assert_eq!(st.timeouts, 1);
}

#[test]
fn lists_complete_in_order_and_a_flush_returns_residuals() {
    let (mut c, p) = conn(10 * MSS, u32::MAX);
    let mut st = SndStats::default();
    c.post(&list(1, 0x1000, 1500), 0, &p).unwrap();
    c.post(&list(2, 0x8000, 2500), 0, &p).unwrap();
    c.post(&list(3, 0x20000, 3000), 0, &p).unwrap();
    let segs = drain(&mut c, 0, &p, &mut st);
    // Segments span lists; PSH where a list ends inside the segment.
    assert_eq!(
        segs.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
        vec![
            (0, 1000),
            (1000, 1000),
            (2000, 1000),
            (3000, 1000),
            (4000, 1000),
            (5000, 1000),
            (6000, 1000)
        ]
    );
    assert_eq!(ack(&mut c, 1499, 1, &p, &mut st), 0);
    assert_eq!(ack(&mut c, 1500, 2, &p, &mut st), 1);
    assert_eq!(ack(&mut c, 4500, 3, &p, &mut st), 1);
    let done = c.clone().flush(0, 0, &mut st);
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].list_tag, done[0].acked, done[0].sent),
        (3, 500, 3000)
    );
    assert!(done[0].flushed);
}

#[test]
fn segment_pieces_follow_the_scatter_gather_entries() {
    let (mut c, p) = conn(10 * MSS, u32::MAX);
    let mut st = SndStats::default();
    let l = SendList {
        handle: 0,
        host_ctx: 0,
        list_tag: 1,
        push: false,
        sg: vec![
            SgEntry {
                addr: 0x100,
                len: 300,
            },
            SgEntry {
                addr: 0x5000,
                len: 900,
            },
        ],
    };
    c.post(&l, 0, &p).unwrap();
    let s1 = c.next_segment(0, &p, &mut st).unwrap();
    assert_eq!(s1.pieces, vec![(0x100, 300), (0x5000, 700)]);
    assert!(!s1.push);
    let s2 = c.next_segment(0, &p, &mut st).unwrap();
    assert_eq!(s2.pieces, vec![(0x5000 + 700, 200)]);
    assert!(c.next_segment(0, &p, &mut st).is_none());
}

#[test]
fn the_counter_list_names_every_counter() {
    let v = serde_json::to_value(SndStats::default()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut names = host_model::snd::SND_STAT_FIELDS.to_vec();
    let mut keys = keys;
    names.sort();
    keys.sort();
    assert_eq!(names, keys);
}
