//! The host's x86-64 FPU as an oracle: one SSE/AVX instruction at a time under
//! a chosen MXCSR, returning the result and the IEEE flags it raised.
//!
//! Every function saves MXCSR, loads a control word with all exceptions
//! masked and the requested rounding, runs one instruction on register
//! operands, reads the sticky flags back and restores the saved MXCSR, all in
//! one `asm!` block, so no compiler-generated float code ever sees the changed
//! mode. x86 detects tininess after rounding, like RISC-V; it has no
//! round-to-nearest-away mode.

#![allow(dead_code)]

use std::arch::asm;

use chimera_softfloat::{Flags, Rounding};

/// The MXCSR for `rounding` (all exceptions masked, no FTZ/DAZ); `None` for
/// ties-away, which x86 lacks.
pub fn mxcsr(rounding: Rounding) -> Option<u32> {
    let rc = match rounding {
        Rounding::NearestEven => 0,
        Rounding::Down => 1,
        Rounding::Up => 2,
        Rounding::TowardZero => 3,
        Rounding::NearestMaxMagnitude => return None,
    };
    Some(0x1f80 | rc << 13)
}

/// Our flags for MXCSR's sticky flags (the denormal-operand flag has no counterpart).
fn flags(csr: u32) -> u8 {
    let mut f = 0;
    for (bit, flag) in [
        (0x01, Flags::INVALID),
        (0x04, Flags::DIV_BY_ZERO),
        (0x08, Flags::OVERFLOW),
        (0x10, Flags::UNDERFLOW),
        (0x20, Flags::INEXACT),
    ] {
        if csr & bit != 0 {
            f |= flag;
        }
    }
    f
}

/// Runs `$body` (an instruction template) under the MXCSR `$csr`, binding the
/// given operands; evaluates to our flags.
macro_rules! under_mxcsr {
    ($csr:expr, $insn:expr, $($operands:tt)*) => {{
        let mut csr: u32 = $csr;
        let mut saved: u32 = 0;
        // SAFETY: the block only saves MXCSR to `saved`, loads `csr` (a valid
        // control word: reserved bits clear), runs one instruction on register
        // operands, stores the flags to `csr` and restores the saved MXCSR. Both
        // pointers are to live locals of this function; the stack is untouched.
        unsafe {
            asm!(
                "stmxcsr [{saved}]",
                "ldmxcsr [{csr}]",
                $insn,
                "stmxcsr [{csr}]",
                "ldmxcsr [{saved}]",
                saved = in(reg) &raw mut saved,
                csr = in(reg) &raw mut csr,
                $($operands)*
                options(nostack, preserves_flags),
            );
        }
        flags(csr)
    }};
}

macro_rules! binary {
    ($($name:ident: $t:ty, $insn:literal;)*) => {$(
        /// `a op b` on the host.
        pub fn $name(csr: u32, a: $t, b: $t) -> ($t, u8) {
            let mut x = a;
            let f = under_mxcsr!(csr, concat!($insn, " {x}, {y}"), x = inout(xmm_reg) x, y = in(xmm_reg) b,);
            (x, f)
        }
    )*};
}

binary! {
    add32: f32, "addss";
    sub32: f32, "subss";
    mul32: f32, "mulss";
    div32: f32, "divss";
    add64: f64, "addsd";
    sub64: f64, "subsd";
    mul64: f64, "mulsd";
    div64: f64, "divsd";
}

/// `sqrt(a)` on the host.
pub fn sqrt32(csr: u32, a: f32) -> (f32, u8) {
    let mut x = a;
    let f = under_mxcsr!(csr, "sqrtss {x}, {x}", x = inout(xmm_reg) x,);
    (x, f)
}

/// `sqrt(a)` on the host.
pub fn sqrt64(csr: u32, a: f64) -> (f64, u8) {
    let mut x = a;
    let f = under_mxcsr!(csr, "sqrtsd {x}, {x}", x = inout(xmm_reg) x,);
    (x, f)
}

/// `a × b + c` on the host (needs FMA3).
pub fn fma32(csr: u32, a: f32, b: f32, c: f32) -> (f32, u8) {
    let mut x = a;
    let f = under_mxcsr!(csr, "vfmadd213ss {x}, {y}, {z}", x = inout(xmm_reg) x, y = in(xmm_reg) b, z = in(xmm_reg) c,);
    (x, f)
}

/// `a × b + c` on the host (needs FMA3).
pub fn fma64(csr: u32, a: f64, b: f64, c: f64) -> (f64, u8) {
    let mut x = a;
    let f = under_mxcsr!(csr, "vfmadd213sd {x}, {y}, {z}", x = inout(xmm_reg) x, y = in(xmm_reg) b, z = in(xmm_reg) c,);
    (x, f)
}

/// binary32 to binary64 on the host.
pub fn f32_to_f64(csr: u32, a: f32) -> (f64, u8) {
    let x: f64;
    let f = under_mxcsr!(csr, "cvtss2sd {x}, {y}", x = out(xmm_reg) x, y = in(xmm_reg) a,);
    (x, f)
}

/// binary64 to binary32 on the host.
pub fn f64_to_f32(csr: u32, a: f64) -> (f32, u8) {
    let x: f32;
    let f = under_mxcsr!(csr, "cvtsd2ss {x}, {y}", x = out(xmm_reg) x, y = in(xmm_reg) a,);
    (x, f)
}

/// binary32 to binary16 bits on the host (needs F16C). The operand goes in
/// through a general register so the packed instruction's other lanes are zero.
pub fn f32_to_f16(csr: u32, a: f32) -> (u16, u8) {
    let x: f32;
    let f = under_mxcsr!(csr, "vmovd {x}, {r:e}\nvcvtps2ph {x}, {x}, 4", x = out(xmm_reg) x, r = in(reg) a.to_bits(),);
    (x.to_bits() as u16, f)
}

/// binary16 bits to binary32 on the host (needs F16C), other lanes zero.
pub fn f16_to_f32(csr: u32, a: u16) -> (f32, u8) {
    let x: f32;
    let f = under_mxcsr!(csr, "vmovd {x}, {r:e}\nvcvtph2ps {x}, {x}", x = out(xmm_reg) x, r = in(reg) u32::from(a),);
    (x, f)
}

macro_rules! to_int {
    ($($name:ident: $t:ty => $r:ty, $insn:literal;)*) => {$(
        /// Float to integer on the host, rounding by MXCSR (x86's "integer
        /// indefinite" on invalid).
        pub fn $name(csr: u32, a: $t) -> ($r, u8) {
            let r: $r;
            let f = under_mxcsr!(csr, $insn, r = out(reg) r, x = in(xmm_reg) a,);
            (r, f)
        }
    )*};
}

to_int! {
    f32_to_i32: f32 => u32, "cvtss2si {r:e}, {x}";
    f32_to_i64: f32 => u64, "cvtss2si {r}, {x}";
    f64_to_i32: f64 => u32, "cvtsd2si {r:e}, {x}";
    f64_to_i64: f64 => u64, "cvtsd2si {r}, {x}";
    f32_to_u32: f32 => u32, "vcvtss2usi {r:e}, {x}";
    f32_to_u64: f32 => u64, "vcvtss2usi {r}, {x}";
    f64_to_u32: f64 => u32, "vcvtsd2usi {r:e}, {x}";
    f64_to_u64: f64 => u64, "vcvtsd2usi {r}, {x}";
}

macro_rules! from_int {
    ($($name:ident: $i:ty => $t:ty, $insn:literal;)*) => {$(
        /// Integer to float on the host, rounding by MXCSR.
        pub fn $name(csr: u32, v: $i) -> ($t, u8) {
            let mut x: $t = 0.0;
            let f = under_mxcsr!(csr, $insn, x = inout(xmm_reg) x, r = in(reg) v,);
            (x, f)
        }
    )*};
}

from_int! {
    i32_to_f32: u32 => f32, "cvtsi2ss {x}, {r:e}";
    i64_to_f32: u64 => f32, "cvtsi2ss {x}, {r}";
    i32_to_f64: u32 => f64, "cvtsi2sd {x}, {r:e}";
    i64_to_f64: u64 => f64, "cvtsi2sd {x}, {r}";
    u32_to_f32: u32 => f32, "vcvtusi2ss {x}, {x}, {r:e}";
    u64_to_f32: u64 => f32, "vcvtusi2ss {x}, {x}, {r}";
    u32_to_f64: u32 => f64, "vcvtusi2sd {x}, {x}, {r:e}";
    u64_to_f64: u64 => f64, "vcvtusi2sd {x}, {x}, {r}";
}
