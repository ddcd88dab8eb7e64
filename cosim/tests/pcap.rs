//! pcap reading and writing.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use cosim::{CosimError, read_pcap, write_pcap};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapWriter};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()))
}

#[test]
fn write_then_read_round_trips() {
    let path = tmp("roundtrip.pcap");
    let frames: Vec<Vec<u8>> = vec![vec![0xff; 60], (0..=255).collect(), vec![1; 9000], vec![]];
    write_pcap(&path, &frames).unwrap();
    let read = read_pcap(&path).unwrap();
    assert_eq!(read.len(), frames.len());
    for (i, (r, f)) in read.iter().zip(&frames).enumerate() {
        assert_eq!(&r.data, f);
        assert_eq!(r.orig_len as usize, f.len());
        assert_eq!(r.ts, Duration::from_micros(i as u64));
    }
    // Slices of borrowed frames work too.
    let borrowed: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    write_pcap(&path, &borrowed).unwrap();
    assert_eq!(read_pcap(&path).unwrap(), read);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn missing_file_is_reported() {
    let err = read_pcap("/definitely/not/here.pcap").unwrap_err();
    assert!(matches!(err, CosimError::PcapMissing(_)), "{err}");
    assert!(err.to_string().contains("/definitely/not/here.pcap"));
}

#[test]
fn non_pcap_file_is_reported() {
    let path = tmp("not-a.pcap");
    std::fs::write(&path, b"hello, this is text").unwrap();
    let err = read_pcap(&path).unwrap_err();
    assert!(matches!(err, CosimError::NotPcap { .. }), "{err}");
    std::fs::write(&path, b"ab").unwrap();
    assert!(matches!(read_pcap(&path), Err(CosimError::NotPcap { .. })));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn truncated_pcap_is_an_error_not_a_panic() {
    let path = tmp("truncated.pcap");
    write_pcap(&path, &[vec![7u8; 100]]).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    assert!(read_pcap(&path).is_err());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn other_link_types_are_rejected_by_name() {
    let path = tmp("wifi.pcap");
    let header = PcapHeader {
        datalink: DataLink::IEEE802_11,
        ..PcapHeader::default()
    };
    let file = std::fs::File::create(&path).unwrap();
    drop(PcapWriter::with_header(file, header).unwrap());
    let err = read_pcap(&path).unwrap_err();
    let CosimError::UnsupportedLinkType { linktype, .. } = &err else {
        panic!("unexpected {err}");
    };
    assert_eq!(*linktype, u32::from(DataLink::IEEE802_11));
    assert!(err.to_string().contains("IEEE802_11"), "{err}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn reads_pcapng() {
    let path = tmp("capture.pcapng");
    let file = std::fs::File::create(&path).unwrap();
    let mut writer = PcapNgWriter::new(file).unwrap();
    writer
        .write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::ETHERNET, 65535))
        .unwrap();
    for i in 0..3u8 {
        writer
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                // Raw units; with the default if_tsresol these are microseconds.
                timestamp: Duration::from_nanos(1_000_000 + u64::from(i)),
                original_len: 64,
                data: Cow::Owned(vec![i; 64]),
                options: vec![],
            })
            .unwrap();
    }
    drop(writer);
    let frames = read_pcap(&path).unwrap();
    assert_eq!(frames.len(), 3);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.data, vec![i as u8; 64]);
        assert_eq!(
            f.ts,
            Duration::from_secs(1) + Duration::from_micros(i as u64)
        );
    }
    std::fs::remove_file(&path).unwrap();
}

/// Linux cooked (`tcpdump -i any`) and raw-IP captures are replayed as Ethernet II.
#[test]
fn cooked_and_raw_ip_captures_become_ethernet() {
    let ip = {
        let mut v = vec![0x45u8, 0, 0, 20];
        v.extend_from_slice(&[0; 16]);
        v
    };
    for (link, header) in [
        (DataLink::LINUX_SLL, {
            // packet type, ARPHRD_ETHER, addr len 6, addr (8 bytes), protocol 0x0800
            let mut h = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
            h.extend_from_slice(&ip);
            h
        }),
        (DataLink::LINUX_SLL2, {
            // protocol 0x0800, reserved, ifindex, ARPHRD_ETHER, pkt type, addr len 6, addr
            let mut h = vec![
                0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
            ];
            h.extend_from_slice(&ip);
            h
        }),
        (DataLink::RAW, ip.clone()),
    ] {
        let path = tmp(&format!("link{}.pcap", u32::from(link)));
        let header_p = PcapHeader {
            datalink: link,
            ..PcapHeader::default()
        };
        let file = std::fs::File::create(&path).unwrap();
        let mut w = PcapWriter::with_header(file, header_p).unwrap();
        w.write_packet(&pcap_file::pcap::PcapPacket::new(
            std::time::Duration::ZERO,
            header.len() as u32,
            &header,
        ))
        .unwrap();
        // A packet shorter than its link header.
        w.write_packet(&pcap_file::pcap::PcapPacket::new(
            std::time::Duration::ZERO,
            1,
            &[0x45],
        ))
        .unwrap();
        drop(w);
        let frames = read_pcap(&path).unwrap();
        assert_eq!(frames.len(), 2);
        let f = &frames[0].data;
        assert_eq!(&f[12..14], &[0x08, 0x00], "{link:?}");
        assert_eq!(&f[14..], &ip[..], "{link:?}");
        if link != DataLink::RAW {
            assert_eq!(&f[6..12], &[1, 2, 3, 4, 5, 6]);
            assert!(frames[1].data.is_empty());
        }
        std::fs::remove_file(&path).unwrap();
    }
}
