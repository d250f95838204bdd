//! The inline path of VFP arithmetic: the host's IEEE operations
//! ([`FloatOp`]) where FPSCR's rules give the same result and flags, the
//! FPU helper everywhere else.
//!
//! Round-to-nearest arithmetic whose result is a normal number above the
//! least one raises at most the inexact flag (see
//! [`IrBuilder::branch_unless_normal`](chimera_engine::ir::IrBuilder::branch_unless_normal);
//! ARM detects tininess before rounding, which such a result never is),
//! so where FPSCR.IXC is already set it changes nothing in FPSCR. Whether
//! it is, with round-to-nearest and no flush-to-zero, is part of the block
//! mode ([`host_arithmetic`]). FPSCR changes only through the FPU helper
//! (IXC from clear to set, which keeps blocks of the old mode correct),
//! VMSR (which ends the block), exception entry and return (block
//! boundaries), and the first FP instruction of a context under automatic
//! preservation, which loads FPDSCR: blocks where that can happen keep the
//! helper.

use chimera_engine::ir::{BinOp, FloatOp, Global, Label, Temp, Ty};

use crate::cpu::{ArmCpu, CONTROL_FPCA, G_S0};
use crate::fpu::op;
use crate::translate::Emit;

/// FPSCR.IXC, cumulative inexact.
const FPSCR_IXC: u32 = 1 << 4;
/// FPSCR.RMode (00: round to nearest) and FZ.
const FPSCR_RMODE_FZ: u32 = 0b111 << 22;
/// FPCCR.ASPEN: the first FP instruction of a context loads FPDSCR.
const FPCCR_ASPEN: u32 = 1 << 31;
const SIGN: u64 = 1 << 31;

/// Whether blocks may do VFP arithmetic on the host (see the module
/// docs): IXC set, round to nearest, no flush to zero, and FPSCR cannot
/// be reloaded from FPDSCR by the block's first FP instruction.
pub fn host_arithmetic(cpu: &ArmCpu) -> bool {
    let kept = cpu.control & CONTROL_FPCA != 0 || cpu.scs.fpccr & FPCCR_ASPEN == 0;
    cpu.fpscr & FPSCR_IXC != 0 && cpu.fpscr & FPSCR_RMODE_FZ == 0 && kept
}

fn s_reg(e: &mut Emit, s: u32) -> Temp {
    e.b.get(Global(G_S0 + s), Ty::I32)
}

fn checked(e: &mut Emit, op: FloatOp, args: &[Temp], slow: Label) -> Temp {
    let r = e.b.float(op, args);
    e.b.branch_unless_normal(r, slow);
    r
}

/// Emits FPU operation `code` on `d`, `n`, `m` inline when it has an
/// inline path: `d` is written only when no check sent control to `slow`
/// (where the caller emits the helper call). Returns whether it did.
pub(crate) fn emit_inline(e: &mut Emit, code: u32, d: u32, n: u32, m: u32, slow: Label) -> bool {
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
            _ => return false,
        }
    };
    e.b.set(Global(G_S0 + d), r);
    true
}
