//! Reading and writing Ethernet packet captures (pcap, and pcapng for reading).

use std::borrow::Cow;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::PcapNgReader;
use pcap_file::pcapng::blocks::Block;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use crate::error::CosimError;

/// One captured Ethernet frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapFrame {
    /// The captured bytes, starting with the Ethernet header (no preamble, usually no FCS).
    pub data: Vec<u8>,
    /// Length of the frame on the wire; larger than `data.len()` if the capture truncated it.
    pub orig_len: u32,
    /// Capture time since the Unix epoch.
    pub ts: Duration,
}

/// LINKTYPE_ETHERNET.
const ETHERNET: u32 = 1;
/// Link types converted to Ethernet II on reading (see [`to_ethernet`]).
const CONVERTED: [u32; 8] = [0, 12, 14, 101, 113, 228, 229, 276];

/// Turn a packet of a non-Ethernet link type into an Ethernet II frame, so that it can
/// be replayed into an Ethernet datapath: BSD loopback (`NULL`, 0), raw IP (12, 14,
/// 101, 228, 229) and Linux cooked captures (`tcpdump -i any`: SLL 113, SLL2 276).
/// The synthesized header has a zero destination MAC, the captured link-layer address
/// (if any) as source, and the EtherType the capture recorded (for raw IP, from the
/// version nibble). A packet too short for its link header becomes an empty frame,
/// which the parser flags as truncated. Returns `None` for other link types.
pub fn to_ethernet(linktype: u32, data: &[u8]) -> Option<Vec<u8>> {
    let eth = |src: &[u8], ethertype: u16, payload: &[u8]| {
        let mut f = Vec::with_capacity(14 + payload.len());
        f.extend_from_slice(&[0; 6]);
        let mut mac = [0u8; 6];
        let n = src.len().min(6);
        mac[..n].copy_from_slice(&src[..n]);
        f.extend_from_slice(&mac);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    };
    let by_version = |ip: &[u8]| match ip.first().map(|b| b >> 4) {
        Some(6) => 0x86DDu16,
        _ => 0x0800,
    };
    let be16 = |b: &[u8], at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
    Some(match linktype {
        0 => {
            if data.len() < 4 {
                return Some(Vec::new());
            }
            // AF_ value in host byte order of the capturing machine: accept either.
            let af = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            let af = if af > 0xFFFF { af.swap_bytes() } else { af };
            let ethertype = match af {
                2 => 0x0800,
                24 | 28 | 30 => 0x86DD,
                _ => by_version(&data[4..]),
            };
            eth(&[], ethertype, &data[4..])
        }
        12 | 14 | 101 | 228 | 229 => eth(&[], by_version(data), data),
        113 => {
            if data.len() < 16 {
                return Some(Vec::new());
            }
            let alen = usize::from(be16(data, 4)).min(8);
            eth(&data[6..6 + alen], be16(data, 14), &data[16..])
        }
        276 => {
            if data.len() < 20 {
                return Some(Vec::new());
            }
            let alen = usize::from(data[11]).min(8);
            eth(&data[12..12 + alen], be16(data, 0), &data[20..])
        }
        _ => return None,
    })
}
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x4d, 0x3c, 0xb2, 0xa1],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Reads every frame of a pcap or pcapng capture as Ethernet frames: Ethernet link
/// type as is, loopback, raw IP and Linux cooked captures converted by [`to_ethernet`].
///
/// Errors: [`CosimError::PcapMissing`] if the file does not exist,
/// [`CosimError::NotPcap`] if it is neither format, [`CosimError::UnsupportedLinkType`]
/// for any other link type, [`CosimError::Pcap`] for a damaged file.
pub fn read_pcap(path: impl AsRef<Path>) -> Result<Vec<PcapFrame>, CosimError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            CosimError::PcapMissing(path.to_path_buf())
        } else {
            CosimError::io(format!("reading {}", path.display()), e)
        }
    })?;
    let Some(magic) = bytes.get(..4) else {
        return Err(CosimError::NotPcap {
            path: path.to_path_buf(),
            reason: format!("only {} bytes long", bytes.len()),
        });
    };
    if PCAP_MAGICS.iter().any(|m| m == magic) {
        read_classic(path, &bytes)
    } else if magic == PCAPNG_MAGIC {
        read_ng(path, &bytes)
    } else {
        Err(CosimError::NotPcap {
            path: path.to_path_buf(),
            reason: format!("unknown magic number {:02x?}", magic),
        })
    }
}

fn pcap_err(path: &Path) -> impl Fn(pcap_file::PcapError) -> CosimError + '_ {
    move |source| CosimError::Pcap {
        path: path.to_path_buf(),
        source,
    }
}

fn unsupported(path: &Path, link: DataLink) -> CosimError {
    CosimError::UnsupportedLinkType {
        path: path.to_path_buf(),
        linktype: u32::from(link),
        name: format!("{link:?}"),
    }
}

fn read_classic(path: &Path, bytes: &[u8]) -> Result<Vec<PcapFrame>, CosimError> {
    let mut reader = PcapReader::new(bytes).map_err(pcap_err(path))?;
    let link = reader.header().datalink;
    let linktype = u32::from(link);
    if linktype != ETHERNET && !CONVERTED.contains(&linktype) {
        return Err(unsupported(path, link));
    }
    let mut frames = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.map_err(pcap_err(path))?;
        let data = if linktype == ETHERNET {
            packet.data.into_owned()
        } else {
            to_ethernet(linktype, &packet.data).unwrap_or_default()
        };
        frames.push(PcapFrame {
            data,
            orig_len: packet.orig_len,
            ts: packet.timestamp,
        });
    }
    Ok(frames)
}

fn read_ng(path: &Path, bytes: &[u8]) -> Result<Vec<PcapFrame>, CosimError> {
    let mut reader = PcapNgReader::new(bytes).map_err(pcap_err(path))?;
    // Interfaces of the current section, tracked here because a block borrows the reader.
    let mut interfaces: Vec<NgInterface> = Vec::new();
    let mut frames = Vec::new();
    let bad_interface = |id: u32| CosimError::Pcap {
        path: path.to_path_buf(),
        source: pcap_file::PcapError::InvalidInterfaceId(id),
    };
    while let Some(block) = reader.next_block() {
        match block.map_err(pcap_err(path))? {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                let lt = u32::from(idb.linktype);
                if lt != ETHERNET && !CONVERTED.contains(&lt) {
                    return Err(unsupported(path, idb.linktype));
                }
                interfaces.push(NgInterface::new(&idb));
            }
            Block::EnhancedPacket(epb) => {
                let iface = interfaces
                    .get(epb.interface_id as usize)
                    .ok_or_else(|| bad_interface(epb.interface_id))?;
                // pcap-file 2.0 reports the raw timestamp as nanoseconds whatever the
                // interface's resolution; rescale it.
                let raw = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                let data = if iface.linktype == ETHERNET {
                    epb.data.into_owned()
                } else {
                    to_ethernet(iface.linktype, &epb.data).unwrap_or_default()
                };
                frames.push(PcapFrame {
                    ts: iface.timestamp(raw),
                    orig_len: epb.original_len,
                    data,
                });
            }
            Block::SimplePacket(spb) => {
                let Some(iface) = interfaces.first() else {
                    return Err(bad_interface(0));
                };
                let data = if iface.linktype == ETHERNET {
                    spb.data.into_owned()
                } else {
                    to_ethernet(iface.linktype, &spb.data).unwrap_or_default()
                };
                frames.push(PcapFrame {
                    ts: Duration::ZERO,
                    orig_len: spb.original_len,
                    data,
                });
            }
            _ => {}
        }
    }
    Ok(frames)
}

/// What matters about a pcapng interface for timestamps.
#[derive(Debug, Clone, Copy)]
struct NgInterface {
    /// `if_tsresol`: units of 10^-n seconds, or 2^-n if the top bit is set. Default 6.
    resol: u8,
    /// `if_tsoffset` in seconds.
    offset: u64,
    /// Link type of the interface.
    linktype: u32,
}

impl NgInterface {
    fn new(idb: &InterfaceDescriptionBlock<'_>) -> Self {
        let mut iface = NgInterface {
            resol: 6,
            offset: 0,
            linktype: u32::from(idb.linktype),
        };
        for opt in &idb.options {
            match opt {
                InterfaceDescriptionOption::IfTsResol(r) => iface.resol = *r,
                InterfaceDescriptionOption::IfTsOffset(o) => iface.offset = *o,
                _ => {}
            }
        }
        iface
    }

    /// Converts a timestamp in this interface's units into a duration since the epoch.
    fn timestamp(&self, raw: u64) -> Duration {
        let raw = u128::from(raw);
        let nanos: u128 = if self.resol & 0x80 == 0 {
            let exp = u32::from(self.resol);
            if exp <= 9 {
                raw * 10u128.pow(9 - exp)
            } else {
                10u128.checked_pow(exp - 9).map_or(0, |d| raw / d)
            }
        } else {
            (raw * 1_000_000_000) >> u32::from(self.resol & 0x7f)
        };
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        let sub = (nanos % 1_000_000_000) as u32;
        Duration::new(secs.saturating_add(self.offset), sub)
    }
}

/// Writes frames to a classic pcap file with link type Ethernet, microsecond timestamps
/// 1 µs apart starting at zero, and a snap length covering the longest frame.
pub fn write_pcap<T: AsRef<[u8]>>(path: impl AsRef<Path>, frames: &[T]) -> Result<(), CosimError> {
    let path = path.as_ref();
    let longest = frames.iter().map(|f| f.as_ref().len()).max().unwrap_or(0);
    let too_long = || CosimError::Pcap {
        path: path.to_path_buf(),
        source: pcap_file::PcapError::InvalidField("frame longer than 4 GiB"),
    };
    let header = PcapHeader {
        snaplen: u32::try_from(longest).map_err(|_| too_long())?.max(65535),
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let file = fs::File::create(path)
        .map_err(|e| CosimError::io(format!("creating {}", path.display()), e))?;
    let mut writer =
        PcapWriter::with_header(BufWriter::new(file), header).map_err(pcap_err(path))?;
    for (i, frame) in frames.iter().enumerate() {
        let data = frame.as_ref();
        let packet = PcapPacket {
            timestamp: Duration::from_micros(i as u64),
            orig_len: u32::try_from(data.len()).map_err(|_| too_long())?,
            data: Cow::Borrowed(data),
        };
        writer.write_packet(&packet).map_err(pcap_err(path))?;
    }
    writer
        .into_writer()
        .flush()
        .map_err(|e| CosimError::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescales_pcapng_timestamps() {
        let mut idb = InterfaceDescriptionBlock::new(DataLink::ETHERNET, 65535);
        let us = NgInterface::new(&idb);
        assert_eq!(us.timestamp(1_500_000), Duration::from_millis(1500));
        idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
        assert_eq!(
            NgInterface::new(&idb).timestamp(1_500),
            Duration::from_nanos(1500)
        );
        idb.options[0] = InterfaceDescriptionOption::IfTsResol(0x80 | 10);
        assert_eq!(
            NgInterface::new(&idb).timestamp(1024),
            Duration::from_secs(1)
        );
        idb.options.push(InterfaceDescriptionOption::IfTsOffset(7));
        assert_eq!(NgInterface::new(&idb).timestamp(0), Duration::from_secs(7));
    }
}
