//! The inline path of float arithmetic and comparisons: the host's IEEE
//! operations ([`FloatOp`]) where RISC-V's rules give the same result and
//! flags, the float helper everywhere else.
//!
//! A comparison of two numbers (no NaN) raises nothing. Arithmetic
//! rounding to nearest even whose result is a normal number larger than
//! the least one raises at most the inexact flag (an infinite or NaN
//! operand, a division by zero, an overflow or an underflow each give an
//! infinite, NaN, zero or subnormal result, or at the boundary exactly
//! the least normal); so where `fflags.NX` is already set it raises
//! nothing new. Whether NX is set and `frm` rounds to nearest is part of
//! the block mode ([`host_arithmetic`]): both change only through the
//! float helper (NX from clear to set, which keeps blocks of the old mode
//! correct) or a CSR write, which ends the block.

use chimera_engine::ir::{BinOp, Cond, FloatOp, Label, Temp, Ty};

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
    /// of them.
    pub srcs: [Temp; 3],
}

/// What an inline operation computed.
pub(crate) enum Inline {
    /// A result for an `f` register (NaN-boxed when single).
    Float(Temp),
    /// A comparison's 0 or 1, at XLEN.
    Int(Temp),
}

/// Emits the inline path of `insn` when there is one: the result, which
/// is valid unless control went to `slow` (where the caller emits the
/// helper call). `host_rounding` is [`host_arithmetic`] of the block.
pub(crate) fn emit_inline(
    e: &mut Emit,
    insn: &FpInsn,
    host_rounding: bool,
    slow: Label,
) -> Option<Inline> {
    let rounds_to_nearest = host_rounding && (insn.rm == 0 || insn.rm == 7);
    let (op, compare) = match insn.op {
        FpOp::Eq => (FloatOp::Eq, true),
        FpOp::Lt => (FloatOp::Lt, true),
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
    let (ty, sign) = match insn.fmt {
        FpFmt::S => (Ty::I32, 1u64 << 31),
        FpFmt::D => (Ty::I64, 1u64 << 63),
    };
    let n = insn.op.sources();
    let mut x = insn.srcs;
    if insn.fmt == FpFmt::S {
        // An operand that is not NaN-boxed reads as the canonical NaN: leave
        // that to the helper.
        let mut all = x[0];
        for &s in &x[1..n] {
            all = e.b.binary(BinOp::And, all, s);
        }
        let bound = e.b.constant(Ty::I64, 0xffff_ffff_0000_0000);
        let unboxed = e.b.compare(Cond::LtUnsigned, all, bound, Ty::I64);
        e.b.branch(unboxed, slow);
        for s in &mut x[..n] {
            *s = e.b.zext(*s, 32, Ty::I32);
        }
    }
    if compare {
        let a_number = e.b.float(FloatOp::Eq, &[x[0], x[0]]);
        let b_number = e.b.float(FloatOp::Eq, &[x[1], x[1]]);
        let numbers = e.b.binary(BinOp::And, a_number, b_number);
        let zero = e.b.constant(ty, 0);
        let nan = e.b.compare(Cond::Eq, numbers, zero, Ty::I32);
        e.b.branch(nan, slow);
        let r = e.b.float(op, &[x[0], x[1]]);
        return Some(Inline::Int(e.b.zext(r, 1, e.ty)));
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
    Some(Inline::Float(match insn.fmt {
        FpFmt::S => {
            let wide = e.b.zext(r, 32, Ty::I64);
            e.b.binary_imm(BinOp::Or, wide, 0xffff_ffff_0000_0000)
        }
        FpFmt::D => r,
    }))
}
