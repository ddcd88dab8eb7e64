//! Real Linux TCP traffic through the receive fast path RTL: in a network namespace of
//! its own (nothing of this machine's network changes), two namespaces joined by a veth
//! pair with checksum and segmentation offloads turned off (so the kernel fills in every
//! checksum and sends MTU-sized frames), the kernel's TCP sends 500 kB from one socket to
//! another while tshark captures the wire; `toe rcv-replay --dump` replays the capture
//! through the Verilated receive engine, and the bytes the host got must be exactly the
//! bytes the application sent.
//!
//! Needs root (namespaces, raw capture), `unshare`, `nsenter`, `ip`, `tshark`, `python3`;
//! skipped with a note when any is missing or not permitted.

use std::path::Path;
use std::process::Command;

const BYTES: usize = 500_000;

/// `ETHTOOL_SFEATURES` / `ETHTOOL_SVALUE` through the ioctl (no ethtool binary needed):
/// checksum, scatter-gather, TSO, GSO and GRO off on the interface named in argv[1].
const OFFLOADS_OFF: &str = r#"
import fcntl, socket, struct, sys, ctypes
SIOCETHTOOL = 0x8946
ifname = sys.argv[1].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def ioctl(buf):
    fcntl.ioctl(s, SIOCETHTOOL, struct.pack("16sQ", ifname, ctypes.addressof(buf)))
for cmd in (0x1f, 0x24, 0x2c):  # TSO, GSO, GRO off
    ioctl(ctypes.create_string_buffer(struct.pack("II", cmd, 0)))
b = ctypes.create_string_buffer(struct.pack("IIQI", 0x37, 0, 1 << 4, 0) + b"\0" * 8)
ioctl(b)
n = struct.unpack_from("I", b.raw, 16)[0]
b = ctypes.create_string_buffer(struct.pack("III", 0x1b, 4, n) + b"\0" * (32 * n))
ioctl(b)
names = [b.raw[12 + 32 * i:44 + 32 * i].split(b"\0")[0].decode() for i in range(n)]
blocks = [[0, 0] for _ in range((n + 31) // 32)]
for i, nm in enumerate(names):
    if nm.startswith("tx-checksum") or nm == "tx-scatter-gather":
        blocks[i // 32][0] |= 1 << (i % 32)
ioctl(ctypes.create_string_buffer(struct.pack("II", 0x3b, len(blocks))
      + b"".join(struct.pack("II", v, r) for v, r in blocks)))
"#;

const SERVER: &str = r#"
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('10.9.0.2', 5001)); srv.listen(1)
c, _ = srv.accept(); got = b''
while True:
    b = c.recv(65536)
    if not b: break
    got += b
c.close(); print('server got', len(got))
"#;

const CLIENT: &str = r#"
import socket, sys
data = bytes((i * 7 + 3 + (i >> 9)) & 255 for i in range(int(sys.argv[1])))
s = socket.socket(); s.connect(('10.9.0.2', 5001)); s.sendall(data); s.close()
"#;

const SCRIPT: &str = r#"
set -e
D="$1"; N="$2"
ip link set lo up
ip link add va type veth peer name vb
unshare -n sleep 60 &
CP=$!
sleep 0.5
ip link set vb netns $CP
ip addr add 10.9.0.1/24 dev va
ip link set va up
nsenter -t $CP -n ip link set lo up
nsenter -t $CP -n ip addr add 10.9.0.2/24 dev vb
nsenter -t $CP -n ip link set vb up
python3 "$D/offloads_off.py" va
nsenter -t $CP -n python3 "$D/offloads_off.py" vb
tshark -i va -n -F pcap -w "$D/veth.pcap" -f tcp -a duration:60 > "$D/tshark.log" 2>&1 &
TP=$!
for i in $(seq 1 100); do grep -q "Capturing on" "$D/tshark.log" && break; sleep 0.1; done
sleep 0.3
nsenter -t $CP -n python3 "$D/server.py" &
SP=$!
sleep 0.5
python3 "$D/client.py" "$N"
wait $SP
sleep 0.5
kill $TP; wait $TP || true
kill $CP || true
"#;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn skip(why: &str) {
    eprintln!("NOTE: real_linux_stream skipped: {why}");
}

#[test]
fn real_linux_tcp_stream_through_the_fast_path() {
    for t in ["unshare", "nsenter", "ip", "tshark", "python3"] {
        if !have(t) {
            return skip(&format!("{t} not found"));
        }
    }
    if !Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        return skip("cannot create a network namespace (not root?)");
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-linux-stream");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("offloads_off.py", OFFLOADS_OFF),
        ("server.py", SERVER),
        ("client.py", CLIENT),
        ("capture.sh", SCRIPT),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let o = Command::new("unshare")
        .args(["-n", "bash"])
        .arg(dir.join("capture.sh"))
        .arg(&dir)
        .arg(BYTES.to_string())
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    if !o.status.success() || !log.contains(&format!("server got {BYTES}")) {
        return skip(&format!(
            "the namespaces or the capture did not work: {log}"
        ));
    }
    let dump = dir.join("dump");
    let o = Command::new(env!("CARGO_BIN_EXE_toe"))
        .args(["rcv-replay", "--pcap"])
        .arg(dir.join("veth.pcap"))
        .arg("--dump")
        .arg(&dump)
        .arg("--out")
        .arg(dir.join("build"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    eprintln!("{}", String::from_utf8_lossy(&o.stderr));
    let flows = r["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 1, "{r}");
    let f = &flows[0];
    assert!(
        f["flow"].as_str().unwrap().ends_with("10.9.0.2:5001"),
        "{f}"
    );
    // The kernel filled in every checksum: all its segments are candidates but the one
    // with FIN (its data reaches the host through the ring after the FLUSH).
    let segs = f["segments"].as_u64().unwrap();
    assert!(segs > 300, "{f}");
    assert!(f["candidates"].as_u64().unwrap() + 1 >= segs, "{f}");
    assert_eq!(f["byte_exact"], true, "{f}");
    let got = std::fs::read(dump.join("flow-1.bin")).unwrap();
    let sent: Vec<u8> = (0..BYTES)
        .map(|i| ((i * 7 + 3 + (i >> 9)) & 255) as u8)
        .collect();
    assert_eq!(got.len(), BYTES, "{f}");
    assert!(
        got == sent,
        "the bytes delivered differ from the bytes sent"
    );
    assert!(r["acks"].as_u64().unwrap() > 100, "{r}");
}
