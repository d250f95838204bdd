//! The inline path of VFP arithmetic, comparisons and integer
//! conversions: the host's IEEE
//! operations ([`FloatOp`]) where FPSCR's rules give the same result and
//! flags, the FPU helper everywhere else.
//!
//! A comparison of two numbers (no NaN) raises nothing unless
//! flush-to-zero is on (a subnormal operand raises IDC).
//! Round-to-nearest arithmetic whose result is a normal number above the
//! least one raises at most the inexact flag (see
//! [`IrBuilder::branch_unless_normal`](chimera_engine::ir::IrBuilder::branch_unless_normal);
//! ARM detects tininess before rounding, which such a result never is),
//! so where FPSCR.IXC is already set it changes nothing in FPSCR. Whether
//! it is, with round-to-nearest and no flush-to-zero, is part of the block
//! mode ([`host_float`]). FPSCR changes only through the FPU helper
//! (IXC from clear to set, which keeps blocks of the old mode correct),
//! VMSR (which ends the block), exception entry and return (block
//! boundaries), and the first FP instruction of a context under automatic
//! preservation, which loads FPDSCR: blocks where that can happen keep the
//! helper.

use chimera_engine::ir::{BinOp, Cond, FloatConv, FloatOp, Global, Label, Temp, Ty};

use crate::cpu::{ArmCpu, CONTROL_FPCA, G_FPSCR, G_S0};
use crate::fpu::op;
use crate::translate::Emit;

/// FPSCR.IXC, cumulative inexact.
const FPSCR_IXC: u32 = 1 << 4;
/// FPSCR.RMode (00: round to nearest) and FZ.
const FPSCR_RMODE_FZ: u32 = 0b111 << 22;
/// FPSCR.FZ.
const FPSCR_FZ: u32 = 1 << 24;
/// FPCCR.ASPEN: the first FP instruction of a context loads FPDSCR.
const FPCCR_ASPEN: u32 = 1 << 31;
const SIGN: u64 = 1 << 31;

/// What VFP instructions a block may run on the host (see the module
/// docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostFloat {
    /// Comparisons: no flush to zero.
    pub compare: bool,
    /// Arithmetic: also IXC set and round to nearest.
    pub arithmetic: bool,
}

impl HostFloat {
    /// Its two bits in the block mode.
    pub fn mode_bits(self) -> u32 {
        u32::from(self.compare) | (u32::from(self.arithmetic) << 1)
    }
}

/// What a block starting on `cpu` may run on the host; both need that
/// FPSCR cannot be reloaded from FPDSCR by the block's first FP
/// instruction.
pub fn host_float(cpu: &ArmCpu) -> HostFloat {
    let kept = cpu.control & CONTROL_FPCA != 0 || cpu.scs.fpccr & FPCCR_ASPEN == 0;
    let fpscr = cpu.fpscr();
    let compare = kept && fpscr & FPSCR_FZ == 0;
    HostFloat {
        compare,
        arithmetic: compare && fpscr & FPSCR_IXC != 0 && fpscr & FPSCR_RMODE_FZ == 0,
    }
}

fn s_reg(e: &mut Emit, s: u32) -> Temp {
    e.b.get(Global(G_S0 + s), Ty::I32)
}

fn checked(e: &mut Emit, op: FloatOp, args: &[Temp], slow: Label) -> Temp {
    let r = e.b.float(op, args);
    e.b.branch_unless_normal(r, slow);
    r
}

/// How [`emit_inline`] emitted an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inlined {
    /// Not at all: the helper does it.
    No,
    /// Inline, with checks that may go to the helper.
    WithFallback,
    /// Inline, never needing the helper.
    Complete,
}

/// Emits FPU operation `code` on `d`, `n`, `m` inline when it has an
/// inline path the block may use: `d` (or FPSCR) is written only when no
/// check sent control to `slow` (where the caller emits the helper call).
pub(crate) fn emit_inline(e: &mut Emit, code: u32, d: u32, n: u32, m: u32, slow: Label) -> Inlined {
    if matches!(code, op::VCMP..=17) {
        if !e.host_float.compare {
            return Inlined::No;
        }
        compare(e, code, d, m, slow);
        return Inlined::WithFallback;
    }
    if !e.host_float.arithmetic {
        return Inlined::No;
    }
    if let Some((r, inlined)) = convert(e, code, m, slow) {
        e.b.set(Global(G_S0 + d), r);
        return inlined;
    }
    let binary = match code {
        op::VADD => Some(FloatOp::Add),
        op::VSUB => Some(FloatOp::Sub),
        op::VMUL | op::VNMUL => Some(FloatOp::Mul),
        op::VDIV => Some(FloatOp::Div),
        _ => None,
    };
    let r = if let Some(f) = binary {
        let (x, y) = (s_reg(e, n), s_reg(e, m));
        let r = checked(e, f, &[x, y], slow);
        if code == op::VNMUL {
            e.b.binary_imm(BinOp::Xor, r, SIGN)
        } else {
            r
        }
    } else {
        match code {
            op::VSQRT => {
                let x = s_reg(e, m);
                checked(e, FloatOp::Sqrt, &[x], slow)
            }
            op::VFMA | op::VFMS | op::VFNMA | op::VFNMS => {
                let (mut x, y, mut acc) = (s_reg(e, n), s_reg(e, m), s_reg(e, d));
                if code == op::VFMS || code == op::VFNMA {
                    x = e.b.binary_imm(BinOp::Xor, x, SIGN);
                }
                if code == op::VFNMA || code == op::VFNMS {
                    acc = e.b.binary_imm(BinOp::Xor, acc, SIGN);
                }
                checked(e, FloatOp::MulAdd, &[x, y, acc], slow)
            }
            op::VMLA | op::VMLS | op::VNMLS | op::VNMLA => {
                // Two roundings, each of which must raise nothing new.
                let (x, y, mut acc) = (s_reg(e, n), s_reg(e, m), s_reg(e, d));
                let mut p = checked(e, FloatOp::Mul, &[x, y], slow);
                if code == op::VMLS || code == op::VNMLA {
                    p = e.b.binary_imm(BinOp::Xor, p, SIGN);
                }
                if code == op::VNMLS || code == op::VNMLA {
                    acc = e.b.binary_imm(BinOp::Xor, acc, SIGN);
                }
                checked(e, FloatOp::Add, &[acc, p], slow)
            }
            _ => return Inlined::No,
        }
    };
    e.b.set(Global(G_S0 + d), r);
    Inlined::WithFallback
}

/// VCVT between single precision and 32-bit integers: from an integer
/// (rounded to nearest), or to one toward zero (VCVT, not VCVTR) from a
/// value in range; `None` for the other conversions.
fn convert(e: &mut Emit, code: u32, m: u32, slow: Label) -> Option<(Temp, Inlined)> {
    let to_int_toward_zero = [op::VCVT_U32_F32 + 1, op::VCVT_S32_F32 + 1];
    if !(matches!(code, op::VCVT_F32_U32..=19) || to_int_toward_zero.contains(&code)) {
        return None;
    }
    let x = s_reg(e, m);
    let (conv, limit) = match code {
        // Any integer converts; only inexact can be raised.
        op::VCVT_F32_U32 => {
            let r = e.b.float_convert(FloatConv::FromUnsigned, x, Ty::I32);
            return Some((r, Inlined::Complete));
        }
        c if c == op::VCVT_F32_U32 + 1 => {
            let r = e.b.float_convert(FloatConv::FromSigned, x, Ty::I32);
            return Some((r, Inlined::Complete));
        }
        // The bit patterns of 2^32 and 2^31: an unsigned result needs the
        // sign clear, a signed one the magnitude below; NaNs and
        // infinities lie above.
        c if c == op::VCVT_U32_F32 + 1 => (FloatConv::ToUnsignedTruncated, (x, 0x4f80_0000)),
        c if c == op::VCVT_S32_F32 + 1 => {
            let magnitude = e.b.binary_imm(BinOp::And, x, !SIGN);
            (FloatConv::ToSignedTruncated, (magnitude, 0x4f00_0000))
        }
        _ => return None,
    };
    let bound = e.b.constant(Ty::I32, limit.1);
    let out = e.b.compare(Cond::GeUnsigned, limit.0, bound, Ty::I32);
    e.b.branch(out, slow);
    Some((e.b.float_convert(conv, x, Ty::I32), Inlined::WithFallback))
}

/// VCMP{E} `d` with `m` (or zero): FPSCR.NZCV from a comparison of two
/// numbers; a NaN goes to `slow`.
fn compare(e: &mut Emit, code: u32, d: u32, m: u32, slow: Label) {
    let a = s_reg(e, d);
    let b = if code >= op::VCMP_ZERO {
        e.b.constant(Ty::I32, 0)
    } else {
        s_reg(e, m)
    };
    e.b.branch_if_nan(&[a, b], slow);
    // Less 1000, equal 0110, greater 0010.
    let less = e.b.float(FloatOp::Lt, &[a, b]);
    let equal = e.b.float(FloatOp::Eq, &[a, b]);
    let n = e.b.binary_imm(BinOp::Shl, less, 31);
    let z = e.b.binary_imm(BinOp::Shl, equal, 30);
    let not_less = e.b.binary_imm(BinOp::Xor, less, 1);
    let c = e.b.binary_imm(BinOp::Shl, not_less, 29);
    let fpscr = e.b.get(Global(G_FPSCR), Ty::I32);
    let others = e.b.binary_imm(BinOp::And, fpscr, 0x0fff_ffff);
    let nz = e.b.binary(BinOp::Or, n, z);
    let nzc = e.b.binary(BinOp::Or, nz, c);
    let r = e.b.binary(BinOp::Or, others, nzc);
    e.b.set(Global(G_FPSCR), r);
}
