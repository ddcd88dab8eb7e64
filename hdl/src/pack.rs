//! Small combinational blocks with hand-written Verilog bodies for what rust-hdl's
//! expression language lacks: bit concatenation and the H3 hash's XOR matrix.
//! Each has a native `update` for rust-hdl's simulator and emits one `always @(*)`.

use host_model::proto::{FLOW_KEY_BITS, h3_row};
use rust_hdl::prelude::*;

/// `out = {d, c, b, a}`: 8 + 8 + 16 + 32 bits into one 64-bit word (the layout of
/// protocol headers, result entries and trailers).
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct Pack4 {
    pub a: Signal<In, Bits<8>>,
    pub b: Signal<In, Bits<8>>,
    pub c: Signal<In, Bits<16>>,
    pub d: Signal<In, Bits<32>>,
    pub out: Signal<Out, Bits<64>>,
}

impl Logic for Pack4 {
    fn update(&mut self) {
        let v = self.a.val().index() as u64
            | (self.b.val().index() as u64) << 8
            | (self.c.val().index() as u64) << 16
            | (self.d.val().index() as u64) << 32;
        self.out.next = v.to_bits();
    }
    fn connect(&mut self) {
        self.out.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) out = {d, c, b, a};".into())
    }
}

/// The connection table's flow key (layout of `host_model::proto::FlowKey::packed`):
/// `{ipv6, vlan_present, vlan_id, remote_port, local_port, remote_ip, local_ip}`,
/// with IPv4 addresses cut to their low 32 bits.
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct KeyPack {
    pub ipv6: Signal<In, Bit>,
    pub vlan_present: Signal<In, Bit>,
    pub vlan_id: Signal<In, Bits<12>>,
    pub local_ip: Signal<In, Bits<128>>,
    pub remote_ip: Signal<In, Bits<128>>,
    pub local_port: Signal<In, Bits<16>>,
    pub remote_port: Signal<In, Bits<16>>,
    pub key: Signal<Out, Bits<FLOW_KEY_BITS>>,
}

impl Logic for KeyPack {
    fn update(&mut self) {
        let mut k: Bits<FLOW_KEY_BITS> = 0.into();
        let v6 = self.ipv6.val();
        let lip = self.local_ip.val();
        let rip = self.remote_ip.val();
        let bits = if v6 { 128 } else { 32 };
        for i in 0..bits {
            k = k.replace_bit(i, lip.get_bit(i));
            k = k.replace_bit(128 + i, rip.get_bit(i));
        }
        for i in 0..16 {
            k = k.replace_bit(256 + i, self.local_port.val().get_bit(i));
            k = k.replace_bit(272 + i, self.remote_port.val().get_bit(i));
        }
        let vp = self.vlan_present.val();
        for i in 0..12 {
            k = k.replace_bit(288 + i, vp && self.vlan_id.val().get_bit(i));
        }
        k = k.replace_bit(300, vp);
        k = k.replace_bit(301, v6);
        self.key.next = k;
    }
    fn connect(&mut self) {
        self.key.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "always @(*) key = {ipv6, vlan_present, vlan_id & {12{vlan_present}}, remote_port, local_port,\n\
             \x20   (ipv6 ? remote_ip : {96'd0, remote_ip[31:0]}), (ipv6 ? local_ip : {96'd0, local_ip[31:0]})};"
                .into(),
        )
    }
}

/// A connection-table slot: `{conn, key, valid = 1}`.
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct SlotPack {
    pub key: Signal<In, Bits<FLOW_KEY_BITS>>,
    pub conn: Signal<In, Bits<16>>,
    pub slot: Signal<Out, Bits<SLOT_BITS>>,
}

/// Bits of a connection-table slot: valid, key, connection handle.
pub const SLOT_BITS: usize = 1 + FLOW_KEY_BITS + 16;

impl Logic for SlotPack {
    fn update(&mut self) {
        let mut s: Bits<SLOT_BITS> = 1.into();
        for i in 0..FLOW_KEY_BITS {
            s = s.replace_bit(1 + i, self.key.val().get_bit(i));
        }
        for i in 0..16 {
            s = s.replace_bit(1 + FLOW_KEY_BITS + i, self.conn.val().get_bit(i));
        }
        self.slot.next = s;
    }
    fn connect(&mut self) {
        self.slot.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) slot = {conn, key, 1'b1};".into())
    }
}

/// The two banks' H3 hashes of a flow key, `B` bits each (`host_model::proto::h3_hash`).
#[derive(Clone, Debug, Default, LogicBlock)]
pub struct H3Hash<const B: usize> {
    pub key: Signal<In, Bits<FLOW_KEY_BITS>>,
    pub h0: Signal<Out, Bits<B>>,
    pub h1: Signal<Out, Bits<B>>,
}

/// Column `j` of bank `bank`'s matrix: the key bits that feed hash bit `j`, as hex.
fn column_hex(bank: usize, j: usize) -> String {
    let mut digits = vec![0u8; FLOW_KEY_BITS.div_ceil(4)];
    for i in 0..FLOW_KEY_BITS {
        if (h3_row(bank, i) >> j) & 1 == 1 {
            digits[i / 4] |= 1 << (i % 4);
        }
    }
    digits
        .iter()
        .rev()
        .map(|d| format!("{d:x}"))
        .collect::<String>()
}

impl<const B: usize> Logic for H3Hash<B> {
    fn update(&mut self) {
        let key = self.key.val();
        let mut h = [0u64; 2];
        for i in 0..FLOW_KEY_BITS {
            if key.get_bit(i) {
                h[0] ^= h3_row(0, i) as u64;
                h[1] ^= h3_row(1, i) as u64;
            }
        }
        let m = (1u64 << B) - 1;
        self.h0.next = (h[0] & m).to_bits();
        self.h1.next = (h[1] & m).to_bits();
    }
    fn connect(&mut self) {
        self.h0.connect();
        self.h1.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut v = String::from("always @(*) begin\n");
        for (bank, out) in [(0, "h0"), (1, "h1")] {
            for j in 0..B {
                v.push_str(&format!(
                    "   {out}[{j}] = ^(key & {FLOW_KEY_BITS}'h{});\n",
                    column_hex(bank, j)
                ));
            }
        }
        v.push_str("end\n");
        Verilog::Custom(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use host_model::proto::{FlowKey, h3_hash};

    #[test]
    fn hash_block_matches_model() {
        let key = FlowKey {
            ipv6: false,
            vlan_present: true,
            vlan_id: 7,
            local_ip: 0x0A00_0001,
            remote_ip: 0x0A00_0002,
            local_port: 80,
            remote_port: 40000,
        };
        let w = key.packed();
        let mut kb: Bits<FLOW_KEY_BITS> = 0.into();
        for i in 0..FLOW_KEY_BITS {
            kb = kb.replace_bit(i, (w[i / 64] >> (i % 64)) & 1 == 1);
        }
        // The Verilog columns: hash bit j = parity(key & column j).
        for (bank, bits) in [(0, h3_hash(0, &key, 8)), (1, h3_hash(1, &key, 8))] {
            for j in 0..8 {
                let col = column_hex(bank, j);
                let mut parity = false;
                for (d, ch) in col.chars().rev().enumerate() {
                    let v = ch.to_digit(16).unwrap();
                    for b in 0..4 {
                        if (v >> b) & 1 == 1 && kb.get_bit(4 * d + b) {
                            parity = !parity;
                        }
                    }
                }
                assert_eq!(parity, (bits >> j) & 1 == 1, "bank {bank} bit {j}");
            }
        }
    }
}
