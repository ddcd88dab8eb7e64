//! Generation of the C++ shim that gives a Verilated model a small C ABI.
//!
//! The shim exports `extern "C"` functions (all prefixed `cosim_`) taking an opaque handle
//! that owns one `VerilatedContext`, one `V<top>` instance and, in trace builds, one
//! `VerilatedVcdC`. Ports are addressed by their index in the port list given to
//! [`build_model`](crate::build_model); every accessor is a `switch` with one `case` per port.
//! Values cross the boundary as `u64` (fast path) or as arrays of 32-bit words, least
//! significant word first, which is also Verilator's `VlWide` layout.
//!
//! Every entry point catches C++ exceptions so that none unwinds into Rust.

use std::fmt::Write as _;

use crate::verilate::{Dir, PortSpec};

/// Version of the C ABI between this crate and the shim. Bump on any change to the
/// exported functions; it is part of the cache key and checked when loading.
pub(crate) const ABI_VERSION: u32 = 2;

/// How a port of a given width is stored in the Verilated model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Storage {
    /// `CData`, `SData`, `IData` or `QData`: a plain integer member.
    Scalar,
    /// `VlWide<N>`: an array of `N` 32-bit words.
    Wide(usize),
}

/// The Verilator storage class of a port `width` bits wide.
pub(crate) fn storage(width: usize) -> Storage {
    if width <= 64 {
        Storage::Scalar
    } else {
        Storage::Wide(width.div_ceil(32))
    }
}

/// Mirrors Verilator's `AstNode::encodeName`: the C++ member name Verilator gives to a
/// Verilog identifier (characters other than letters, digits and single underscores
/// become `__0XX` hex escapes, as in `rx$tdata` -> `rx__024tdata`).
pub(crate) fn verilator_cpp_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let keep = if i == 0 {
            c.is_ascii_alphabetic()
        } else {
            c.is_ascii_alphanumeric()
        };
        if keep {
            out.push(c as char);
        } else if c == b'_' {
            if bytes.get(i + 1) == Some(&b'_') {
                out.push_str("___05F");
                i += 1;
            } else {
                out.push('_');
            }
        } else {
            let _ = write!(out, "__0{c:02x}");
        }
        i += 1;
    }
    out
}

/// Mask covering the low `bits` bits (1..=64).
fn mask64(bits: usize) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// C++ type Verilator uses for a scalar port of `width` bits.
fn scalar_type(width: usize) -> &'static str {
    match width {
        0..=8 => "CData",
        9..=16 => "SData",
        17..=32 => "IData",
        _ => "QData",
    }
}

/// Generates the complete shim source for the model `V<top>`.
pub(crate) fn generate(top: &str, clock: &str, ports: &[PortSpec], trace: bool) -> String {
    let class = format!("V{top}");
    let clock = verilator_cpp_name(clock);
    let mut set_u64 = String::new();
    let mut set_words = String::new();
    let mut get_u64 = String::new();
    let mut get_words = String::new();

    for (idx, port) in ports.iter().enumerate() {
        let m = format!("m->{}", verilator_cpp_name(&port.name));
        let w = port.width;
        match storage(w) {
            Storage::Scalar => {
                let ty = scalar_type(w);
                let mask = mask64(w);
                if port.dir == Dir::In {
                    let _ = writeln!(
                        set_u64,
                        "    case {idx}: {m} = static_cast<{ty}>(v & 0x{mask:x}ULL); return 0;"
                    );
                }
                let _ = writeln!(
                    get_u64,
                    "    case {idx}: return static_cast<uint64_t>({m});"
                );
                let _ = writeln!(
                    get_words,
                    "    case {idx}: {{ const uint64_t v = static_cast<uint64_t>({m}); \
                     if (n > 0) w[0] = static_cast<uint32_t>(v); \
                     if (n > 1) w[1] = static_cast<uint32_t>(v >> 32); return 0; }}"
                );
            }
            Storage::Wide(nw) => {
                let top_bits = w - (nw - 1) * 32;
                let top_mask = mask64(top_bits) as u32;
                if port.dir == Dir::In {
                    let _ = writeln!(
                        set_u64,
                        "    case {idx}: {m}[0] = static_cast<uint32_t>(v); \
                         {m}[1] = static_cast<uint32_t>(v >> 32); \
                         for (uint32_t k = 2; k < {nw}; ++k) {m}[k] = 0; return 0;"
                    );
                    let _ = writeln!(
                        set_words,
                        "    case {idx}: for (uint32_t k = 0; k < {nw}; ++k) {m}[k] = k < n ? w[k] : 0; \
                         {m}[{last}] &= 0x{top_mask:x}U; return 0;",
                        last = nw - 1
                    );
                }
                let _ = writeln!(
                    get_u64,
                    "    case {idx}: return static_cast<uint64_t>({m}[0]) | (static_cast<uint64_t>({m}[1]) << 32);"
                );
                let _ = writeln!(
                    get_words,
                    "    case {idx}: for (uint32_t k = 0; k < {nw} && k < n; ++k) w[k] = {m}[k]; return 0;"
                );
            }
        }
    }

    let n_ports = ports.len();
    let trace_flag = u32::from(trace);
    format!(
        r#"// Generated by the cosim crate for model {class}. Do not edit.
#include <cstdint>
#include "verilated.h"
#include "{class}.h"
#define COSIM_TRACE {trace_flag}
#if COSIM_TRACE
#include "verilated_vcd_c.h"
#endif

#define COSIM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {{
struct Handle {{
    VerilatedContext* ctx = nullptr;
    {class}* model = nullptr;
#if COSIM_TRACE
    VerilatedVcdC* vcd = nullptr;
#endif
    uint64_t time = 0;       // simulation time of the next dump, in precision units
    uint64_t half = 1;       // half a clock period (5 ns) in precision units
}};

inline Handle* H(void* p) {{ return static_cast<Handle*>(p); }}

inline uint64_t words_to_u64(const uint32_t* w, uint32_t n) {{
    uint64_t v = n > 0 ? w[0] : 0;
    if (n > 1) v |= static_cast<uint64_t>(w[1]) << 32;
    return v;
}}

inline void dump(Handle* h) {{
#if COSIM_TRACE
    if (h->vcd) h->vcd->dump(h->time);
#else
    (void)h;
#endif
}}
}}  // namespace

COSIM_EXPORT uint32_t cosim_abi_version(void) {{ return {ABI_VERSION}; }}
COSIM_EXPORT uint32_t cosim_port_count(void) {{ return {n_ports}; }}
COSIM_EXPORT uint32_t cosim_has_trace(void) {{ return COSIM_TRACE; }}

COSIM_EXPORT void* cosim_create(void) {{
    Handle* h = nullptr;
    try {{
        h = new Handle;
        h->ctx = new VerilatedContext;
        h->ctx->fatalOnError(false);
#if COSIM_TRACE
        h->ctx->traceEverOn(true);
#endif
        h->model = new {class}{{h->ctx, "TOP"}};
        // Waves show a 10 ns clock period whatever the design's time precision.
        for (int p = -9; p > h->ctx->timeprecision(); --p) h->half *= 10;
        h->half *= 5;
        return h;
    }} catch (...) {{
        if (h) {{
            delete h->model;
            delete h->ctx;
            delete h;
        }}
        return nullptr;
    }}
}}

COSIM_EXPORT void cosim_destroy(void* p) {{
    Handle* h = H(p);
    if (!h) return;
    try {{
        Verilated::threadContextp(h->ctx);
        h->model->final();
    }} catch (...) {{
    }}
#if COSIM_TRACE
    try {{
        if (h->vcd) h->vcd->close();
    }} catch (...) {{
    }}
    delete h->vcd;
#endif
    delete h->model;
    delete h->ctx;
    delete h;
}}

COSIM_EXPORT int32_t cosim_set_u64(void* p, uint32_t idx, uint64_t v) {{
    {class}* m = H(p)->model;
    (void)m;
    (void)v;
    switch (idx) {{
{set_u64}    default: return -1;
    }}
}}

COSIM_EXPORT int32_t cosim_set_words(void* p, uint32_t idx, const uint32_t* w, uint32_t n) {{
    {class}* m = H(p)->model;
    (void)m;
    switch (idx) {{
{set_words}    default: return cosim_set_u64(p, idx, words_to_u64(w, n));
    }}
}}

COSIM_EXPORT uint64_t cosim_get_u64(void* p, uint32_t idx) {{
    {class}* m = H(p)->model;
    (void)m;
    switch (idx) {{
{get_u64}    default: return 0;
    }}
}}

COSIM_EXPORT int32_t cosim_get_words(void* p, uint32_t idx, uint32_t* w, uint32_t n) {{
    {class}* m = H(p)->model;
    (void)m;
    (void)w;
    (void)n;
    switch (idx) {{
{get_words}    default: return -1;
    }}
}}

COSIM_EXPORT void cosim_eval(void* p) {{
    Handle* h = H(p);
    try {{
        Verilated::threadContextp(h->ctx);
        h->model->eval();
    }} catch (...) {{
    }}
}}

// Half a cycle: set the clock, eval, dump, advance time by half a period.
static void half_cycle(void* p, int level) {{
    Handle* h = H(p);
    {class}* m = h->model;
    try {{
        Verilated::threadContextp(h->ctx);
        h->ctx->time(h->time);
        m->{clock} = level;
        m->eval();
        dump(h);
        h->time += h->half;
    }} catch (...) {{
    }}
}}

// First half of a cycle: clock low + eval (+ dump): settles the inputs just set.
COSIM_EXPORT void cosim_low(void* p) {{ half_cycle(p, 0); }}

// Second half: clock high + eval (+ dump): the rising edge.
COSIM_EXPORT void cosim_high(void* p) {{ half_cycle(p, 1); }}

// One clock cycle: clock low + eval (+ dump), clock high + eval (+ dump).
COSIM_EXPORT void cosim_tick(void* p) {{
    half_cycle(p, 0);
    half_cycle(p, 1);
}}

COSIM_EXPORT uint32_t cosim_finished(void* p) {{
    return H(p)->ctx->gotFinish() ? 1 : 0;
}}

// 0 = opened, -1 = not a trace build, -2 = already open, -3 = cannot open, -4 = exception.
COSIM_EXPORT int32_t cosim_trace_open(void* p, const char* path) {{
#if COSIM_TRACE
    Handle* h = H(p);
    if (h->vcd) return -2;
    VerilatedVcdC* vcd = nullptr;
    try {{
        Verilated::threadContextp(h->ctx);
        vcd = new VerilatedVcdC;
        h->model->trace(vcd, 99);
        vcd->open(path);
        if (!vcd->isOpen()) {{
            delete vcd;
            return -3;
        }}
        h->vcd = vcd;
        return 0;
    }} catch (...) {{
        delete vcd;
        return -4;
    }}
#else
    (void)p;
    (void)path;
    return -1;
#endif
}}

COSIM_EXPORT void cosim_trace_dump(void* p, uint64_t time) {{
#if COSIM_TRACE
    Handle* h = H(p);
    try {{
        if (h->vcd) h->vcd->dump(time);
    }} catch (...) {{
    }}
#else
    (void)p;
    (void)time;
#endif
}}

COSIM_EXPORT void cosim_trace_flush(void* p) {{
#if COSIM_TRACE
    Handle* h = H(p);
    try {{
        if (h->vcd) h->vcd->flush();
    }} catch (...) {{
    }}
#else
    (void)p;
#endif
}}

COSIM_EXPORT void cosim_trace_close(void* p) {{
#if COSIM_TRACE
    Handle* h = H(p);
    try {{
        if (h->vcd) h->vcd->close();
    }} catch (...) {{
    }}
    delete h->vcd;
    h->vcd = nullptr;
#else
    (void)p;
#endif
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_names_like_verilator() {
        assert_eq!(verilator_cpp_name("s_axis_tdata"), "s_axis_tdata");
        assert_eq!(verilator_cpp_name("rx$tdata"), "rx__024tdata");
        assert_eq!(verilator_cpp_name("a__b"), "a___05Fb");
        assert_eq!(verilator_cpp_name("_x"), "_x");
    }

    #[test]
    fn storage_classes() {
        assert_eq!(storage(1), Storage::Scalar);
        assert_eq!(storage(64), Storage::Scalar);
        assert_eq!(storage(65), Storage::Wide(3));
        assert_eq!(storage(128), Storage::Wide(4));
        assert_eq!(storage(1024), Storage::Wide(32));
    }
}
