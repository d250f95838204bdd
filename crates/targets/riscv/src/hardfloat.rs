//! The inline path of float arithmetic, comparisons, `fmin`/`fmax` and
//! conversions: the host's IEEE operations ([`FloatOp`], [`FloatConv`])
//! where RISC-V's rules give the same result and flags, the float helper
//! everywhere else.
//!
//! A comparison, `fmin` or `fmax` of two numbers (no NaN) raises nothing,
//! nor does `fcvt.d.s` of a number; a conversion from an integer, or one
//! toward zero to an integer of a value in range, raises at most inexact.
//! Arithmetic
//! rounding to nearest even whose result is a normal number larger than
//! the least one raises at most the inexact flag (an infinite or NaN
//! operand, a division by zero, an overflow or an underflow each give an
//! infinite, NaN, zero or subnormal result, or at the boundary exactly
//! the least normal); so where `fflags.NX` is already set it raises
//! nothing new. Whether NX is set and `frm` rounds to nearest is part of
//! the block mode ([`host_arithmetic`]): both change only through the
//! float helper (NX from clear to set, which keeps blocks of the old mode
//! correct) or a CSR write, which ends the block.

use chimera_engine::ir::{BinOp, Cond, FloatConv, FloatOp, Label, Temp, Ty};

use crate::cpu::RiscvCpu;
use crate::inst::{FpFmt, FpOp};
use crate::translate::Emit;

/// `fflags.NX`.
const NX: u8 = 1;

/// Whether blocks may do rounding arithmetic on the host (see the module
/// docs): `fflags.NX` is set and `frm` is round-to-nearest-even.
pub fn host_arithmetic(cpu: &RiscvCpu) -> bool {
    cpu.csr.fflags & NX != 0 && cpu.csr.frm == 0
}

/// A float instruction's operands and where its result goes, as
/// [`emit_inline`] needs them.
pub(crate) struct FpInsn {
    pub op: FpOp,
    pub fmt: FpFmt,
    pub rm: u8,
    /// `f` register values (a NaN-boxed single or a double), `op.sources()`
    /// of them; for a conversion from an integer, the `x` register
    /// zero-extended to 64 bits.
    pub srcs: [Temp; 3],
}

/// What an inline operation computed.
pub(crate) enum Inline {
    /// A result for an `f` register (NaN-boxed when single).
    Float(Temp),
    /// A comparison's 0 or 1, at XLEN.
    Int(Temp),
}

/// NaN-boxed singles `x` as `I32`s; goes to `slow` if one is not boxed
/// (it reads as the canonical NaN: the helper's business).
fn unbox_all(e: &mut Emit, x: &mut [Temp], slow: Label) {
    let mut all = x[0];
    for &s in &x[1..] {
        all = e.b.binary(BinOp::And, all, s);
    }
    let bound = e.b.constant(Ty::I64, 0xffff_ffff_0000_0000);
    let unboxed = e.b.compare(Cond::LtUnsigned, all, bound, Ty::I64);
    e.b.branch(unboxed, slow);
    for s in x {
        *s = e.b.zext(*s, 32, Ty::I32);
    }
}

/// A result as an `f` register holds it: NaN-boxed when single.
fn boxed(e: &mut Emit, r: Temp) -> Temp {
    if e.b.ty(r) == Ty::I64 {
        return r;
    }
    let wide = e.b.zext(r, 32, Ty::I64);
    e.b.binary_imm(BinOp::Or, wide, 0xffff_ffff_0000_0000)
}

/// Emits the inline path of `insn` when there is one: the result, which
/// is valid unless control went to `slow` (where the caller emits the
/// helper call), and whether it may go there. `host_rounding` is
/// [`host_arithmetic`] of the block.
pub(crate) fn emit_inline(
    e: &mut Emit,
    insn: &FpInsn,
    host_rounding: bool,
    slow: Label,
) -> Option<(Inline, bool)> {
    if let Some(converted) = emit_convert(e, insn, host_rounding, slow) {
        return Some(converted);
    }
    let rounds_to_nearest = host_rounding && (insn.rm == 0 || insn.rm == 7);
    // Comparisons, fmin and fmax of two numbers round nothing and raise
    // nothing.
    let (op, compare) = match insn.op {
        FpOp::Eq => (FloatOp::Eq, true),
        FpOp::Lt | FpOp::Min | FpOp::Max => (FloatOp::Lt, true),
        FpOp::Le => (FloatOp::Le, true),
        _ if !rounds_to_nearest => return None,
        FpOp::Add => (FloatOp::Add, false),
        FpOp::Sub => (FloatOp::Sub, false),
        FpOp::Mul => (FloatOp::Mul, false),
        FpOp::Div => (FloatOp::Div, false),
        FpOp::Sqrt => (FloatOp::Sqrt, false),
        FpOp::MulAdd | FpOp::MulSub | FpOp::NegMulSub | FpOp::NegMulAdd => (FloatOp::MulAdd, false),
        _ => return None,
    };
    let sign = match insn.fmt {
        FpFmt::S => 1u64 << 31,
        FpFmt::D => 1u64 << 63,
    };
    let n = insn.op.sources();
    let mut x = insn.srcs;
    if insn.fmt == FpFmt::S {
        unbox_all(e, &mut x[..n], slow);
    }
    if compare {
        e.b.branch_if_nan(&x[..2], slow);
        if matches!(insn.op, FpOp::Min | FpOp::Max) {
            return Some((Inline::Float(min_max(e, insn.op, x[0], x[1])), true));
        }
        let r = e.b.float(op, &[x[0], x[1]]);
        return Some((Inline::Int(e.b.zext(r, 1, e.ty)), true));
    }
    let negate = |e: &mut Emit, t: Temp| e.b.binary_imm(BinOp::Xor, t, sign);
    match insn.op {
        FpOp::MulSub => x[2] = negate(e, x[2]),
        FpOp::NegMulSub => x[0] = negate(e, x[0]),
        FpOp::NegMulAdd => {
            x[0] = negate(e, x[0]);
            x[2] = negate(e, x[2]);
        }
        _ => {}
    }
    let r = e.b.float(op, &x[..op.arity()]);
    e.b.branch_unless_normal(r, slow);
    Some((Inline::Float(boxed(e, r)), true))
}

/// `fmin`/`fmax` (`op`) of numbers `a` and `b`, boxed: the smaller or
/// larger, and of two equal ones (only zeros differ) the bitwise OR (min:
/// -0 if either is) or AND (max: +0 if either is).
fn min_max(e: &mut Emit, op: FpOp, a: Temp, b: Temp) -> Temp {
    let max = op == FpOp::Max;
    let first = if max {
        e.b.float(FloatOp::Lt, &[b, a])
    } else {
        e.b.float(FloatOp::Lt, &[a, b])
    };
    let picked = e.b.select(first, a, b);
    let equal = e.b.float(FloatOp::Eq, &[a, b]);
    let merged = e.b.binary(if max { BinOp::And } else { BinOp::Or }, a, b);
    let r = e.b.select(equal, merged, picked);
    boxed(e, r)
}

/// The inline path of a conversion (see [`emit_inline`]): integer to
/// float (rounding: `host_rounding` and round-to-nearest), float to
/// integer toward zero (the `rtz` of C's casts; `host_rounding` for the
/// inexact flag) of a value in range, a single widened, a double
/// narrowed to a normal single (`host_rounding`).
fn emit_convert(
    e: &mut Emit,
    insn: &FpInsn,
    host_rounding: bool,
    slow: Label,
) -> Option<(Inline, bool)> {
    let rounds_to_nearest = host_rounding && (insn.rm == 0 || insn.rm == 7);
    let format = match insn.fmt {
        FpFmt::S => Ty::I32,
        FpFmt::D => Ty::I64,
    };
    let (from_int, signed, word) = match insn.op {
        FpOp::FromW => (true, true, true),
        FpOp::FromWu => (true, false, true),
        FpOp::FromL => (true, true, false),
        FpOp::FromLu => (true, false, false),
        FpOp::ToW => (false, true, true),
        FpOp::ToWu => (false, false, true),
        FpOp::ToL => (false, true, false),
        FpOp::ToLu => (false, false, false),
        FpOp::FromOther => return resize(e, insn, host_rounding, slow),
        _ => return None,
    };
    let x = insn.srcs[0];
    if from_int {
        if !rounds_to_nearest {
            return None;
        }
        let x = if word { e.b.zext(x, 32, Ty::I32) } else { x };
        let conv = if signed {
            FloatConv::FromSigned
        } else {
            FloatConv::FromUnsigned
        };
        let r = e.b.float_convert(conv, x, format);
        // Integers are never too large for either format: nothing but
        // inexact can be raised.
        return Some((Inline::Float(boxed(e, r)), false));
    }
    if !(host_rounding && insn.rm == 1) {
        return None;
    }
    let mut v = [x];
    if insn.fmt == FpFmt::S {
        unbox_all(e, &mut v, slow);
    }
    // The bit patterns of 2^31, 2^32, 2^63, 2^64: a number whose magnitude
    // is below the limit truncates in range (unsigned: with the sign
    // clear); NaNs and infinities lie above.
    let limit_exponent: u64 = match (signed, word) {
        (true, true) => 31,
        (false, true) => 32,
        (true, false) => 63,
        (false, false) => 64,
    };
    let (limit, sign) = match insn.fmt {
        FpFmt::S => ((127 + limit_exponent) << 23, 1u64 << 31),
        FpFmt::D => ((1023 + limit_exponent) << 52, 1u64 << 63),
    };
    let magnitude = if signed {
        e.b.binary_imm(BinOp::And, v[0], !sign)
    } else {
        v[0]
    };
    let bound = e.b.constant(format, limit);
    let out = e.b.compare(Cond::GeUnsigned, magnitude, bound, Ty::I32);
    e.b.branch(out, slow);
    let conv = if signed {
        FloatConv::ToSignedTruncated
    } else {
        FloatConv::ToUnsignedTruncated
    };
    let int = if word { Ty::I32 } else { Ty::I64 };
    let r = e.b.float_convert(conv, v[0], int);
    // Word results are sign-extended to XLEN, unsigned ones too.
    let r = if word { e.b.sext(r, 32, e.ty) } else { r };
    Some((Inline::Int(r), true))
}

/// `fcvt.d.s` of a number (exact, raising nothing, but illegal under a
/// reserved rounding mode), `fcvt.s.d` to a normal single
/// (`host_rounding` and round-to-nearest).
fn resize(e: &mut Emit, insn: &FpInsn, host_rounding: bool, slow: Label) -> Option<(Inline, bool)> {
    let mut v = [insn.srcs[0]];
    let valid_rounding = insn.rm <= 4 || (insn.rm == 7 && host_rounding);
    match insn.fmt {
        FpFmt::D if !valid_rounding => None,
        FpFmt::D => {
            unbox_all(e, &mut v, slow);
            e.b.branch_if_nan(&v, slow);
            let r = e.b.float_convert(FloatConv::Resize, v[0], Ty::I64);
            Some((Inline::Float(r), true))
        }
        FpFmt::S => {
            if !(host_rounding && (insn.rm == 0 || insn.rm == 7)) {
                return None;
            }
            let r = e.b.float_convert(FloatConv::Resize, v[0], Ty::I32);
            e.b.branch_unless_normal(r, slow);
            Some((Inline::Float(boxed(e, r)), true))
        }
    }
}
