//! The F and D extensions: the IR of float loads, stores, moves and sign
//! injection, and the float helper that does everything that rounds or
//! raises flags through `chimera-softfloat` under RISC-V's rules.
//!
//! `f` registers are the IR's globals 32..63, 64 bits wide; a
//! single-precision value is NaN-boxed (upper 32 bits all ones), and an
//! operation reading a single from a register that is not properly boxed
//! sees the canonical NaN. Moves (`fmv.x.w`, `fsw`) copy raw bits.
//!
//! `mstatus.FS` is checked at run time, once per block at its first float
//! instruction (FS can only change at a CSR write, a trap or an `xret`,
//! all of which end the block); the same check marks FS Dirty before the
//! first instruction that may change float state.

use chimera_engine::ir::{BinOp, Cond, Global, Temp, Ty};
use chimera_engine::Trap;
use chimera_memory::Endian;
use chimera_softfloat as sf;
use chimera_softfloat::{Flags, FloatEnv, Rounding};

use crate::cpu::{RiscvCpu, G_F0};
use crate::hardfloat::{emit_inline, host_arithmetic, FpInsn, Inline};
use crate::helpers::{H_FP, H_FP_ENABLE};
use crate::inst::{FpFmt, FpOp, Inst, Sgnj, FP_OPS};
use crate::translate::Emit;

/// The upper half of a NaN-boxed single.
const BOX: u64 = 0xffff_ffff_0000_0000;
/// binary32's canonical NaN, boxed.
const CANONICAL_S: u64 = BOX | 0x7fc0_0000;

/// What the current block has already checked of `mstatus.FS`, and
/// whether it may round on the host ([`host_arithmetic`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct FpBlock {
    checked: bool,
    dirtied: bool,
    host_rounding: bool,
}

impl FpBlock {
    /// The state of a block starting on `cpu`.
    pub fn new(cpu: &RiscvCpu) -> Self {
        FpBlock {
            host_rounding: host_arithmetic(cpu),
            ..FpBlock::default()
        }
    }
}

fn f_get(e: &mut Emit, r: u8) -> Temp {
    e.b.get(Global(G_F0 + u32::from(r)), Ty::I64)
}

fn f_set(e: &mut Emit, r: u8, t: Temp) {
    e.b.set(Global(G_F0 + u32::from(r)), t);
}

/// The register as a single: itself when boxed, else the canonical NaN.
fn unboxed(e: &mut Emit, v: Temp) -> Temp {
    let bound = e.b.constant(Ty::I64, BOX);
    let boxed = e.b.compare(Cond::GeUnsigned, v, bound, Ty::I64);
    let canonical = e.b.constant(Ty::I64, CANONICAL_S);
    e.b.select(boxed, v, canonical)
}

/// Emits float instruction `inst` (whose word is `raw`).
pub(crate) fn emit_float(e: &mut Emit, fp: &mut FpBlock, inst: Inst, raw: u64) {
    let dirties = inst.dirties_float();
    if !fp.checked || (dirties && !fp.dirtied) {
        let insn = e.b.constant(Ty::I64, raw);
        let dirty = e.b.constant(Ty::I64, u64::from(dirties));
        e.b.call(H_FP_ENABLE, &[insn, dirty], None);
        fp.checked = true;
        fp.dirtied |= dirties;
    }
    let ty = e.ty;
    match inst {
        Inst::FpLoad {
            fmt,
            rd,
            rs1,
            offset,
        } => {
            let addr = e.addr(rs1, offset);
            let v = match fmt {
                FpFmt::S => {
                    let v = e.b.load(addr, Ty::I64, 4, false, Endian::Little);
                    e.b.binary_imm(BinOp::Or, v, BOX)
                }
                FpFmt::D => e.b.load(addr, Ty::I64, 8, false, Endian::Little),
            };
            f_set(e, rd, v);
        }
        Inst::FpStore {
            fmt,
            rs1,
            rs2,
            offset,
        } => {
            let addr = e.addr(rs1, offset);
            let v = f_get(e, rs2);
            let size = if fmt == FpFmt::S { 4 } else { 8 };
            e.b.store(addr, v, size, Endian::Little);
        }
        Inst::FpMvToInt { fmt, rd, rs1 } => {
            let v = f_get(e, rs1);
            let r = match fmt {
                FpFmt::S => e.b.sext(v, 32, ty),
                FpFmt::D => v,
            };
            e.write(rd, r);
        }
        Inst::FpMvFromInt { fmt, rd, rs1 } => {
            let x = e.read(rs1);
            let v = match fmt {
                FpFmt::S => {
                    let low = e.b.zext(x, 32, Ty::I64);
                    e.b.binary_imm(BinOp::Or, low, BOX)
                }
                FpFmt::D => x,
            };
            f_set(e, rd, v);
        }
        Inst::FpSgnj {
            kind,
            fmt,
            rd,
            rs1,
            rs2,
        } => {
            let (mut a, mut b) = (f_get(e, rs1), f_get(e, rs2));
            let sign = match fmt {
                FpFmt::S => {
                    a = unboxed(e, a);
                    b = unboxed(e, b);
                    1u64 << 31
                }
                FpFmt::D => 1u64 << 63,
            };
            let r = match kind {
                Sgnj::Copy | Sgnj::Negate => {
                    let magnitude = e.b.binary_imm(BinOp::And, a, !sign);
                    let b = if kind == Sgnj::Negate {
                        e.b.binary_imm(BinOp::Xor, b, sign)
                    } else {
                        b
                    };
                    let s = e.b.binary_imm(BinOp::And, b, sign);
                    e.b.binary(BinOp::Or, magnitude, s)
                }
                Sgnj::Xor => {
                    let s = e.b.binary_imm(BinOp::And, b, sign);
                    e.b.binary(BinOp::Xor, a, s)
                }
            };
            f_set(e, rd, r);
        }
        Inst::Fp {
            op,
            fmt,
            rd,
            rs1,
            rs2,
            rs3,
            rm,
        } => {
            let code = fp_code(op, fmt, rm);
            let code = e.b.constant(Ty::I64, code);
            let a = if op.reads_int() {
                let x = e.read(rs1);
                e.b.zext(x, ty.bits() as u8, Ty::I64)
            } else {
                f_get(e, rs1)
            };
            let b = if op.sources() >= 2 {
                f_get(e, rs2)
            } else {
                e.b.constant(Ty::I64, 0)
            };
            let c = if op.sources() == 3 {
                f_get(e, rs3)
            } else {
                e.b.constant(Ty::I64, 0)
            };
            let slow = e.b.label();
            let done = e.b.label();
            let fast = FpInsn {
                op,
                fmt,
                rm,
                srcs: [a, b, c],
            };
            let inline = emit_inline(e, &fast, fp.host_rounding, slow);
            match inline {
                Some((Inline::Float(r), _)) => f_set(e, rd, r),
                Some((Inline::Int(r), _)) => e.write(rd, r),
                None => {}
            }
            match inline {
                Some((_, false)) => return,
                Some((_, true)) => {
                    e.b.jump(done);
                    e.b.set_label(slow);
                }
                None => {}
            }
            let insn = e.b.constant(Ty::I64, raw);
            if op.writes_int() {
                if let Some(r) = e.b.call(H_FP, &[code, a, b, c, insn], Some(ty)) {
                    e.write(rd, r);
                }
            } else if let Some(r) = e.b.call(H_FP, &[code, a, b, c, insn], Some(Ty::I64)) {
                f_set(e, rd, r);
            }
            if inline.is_some() {
                e.b.set_label(done);
            }
        }
        _ => {}
    }
}

/// The float helper's first argument: operation, format and `rm` field.
pub fn fp_code(op: FpOp, fmt: FpFmt, rm: u8) -> u64 {
    let index = FP_OPS.iter().position(|o| *o == op).unwrap_or(0) as u64;
    index | (u64::from(fmt == FpFmt::D) << 8) | (u64::from(rm) << 16)
}

/// Why an operation could not run: its rounding mode is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadRounding;

/// The rounding mode of `rm` (0-4); 7 reads `frm`. Anything else is invalid.
pub fn rounding(rm: u8, frm: u8) -> Result<Rounding, BadRounding> {
    let rm = if rm == 7 { frm } else { rm };
    Ok(match rm {
        0 => Rounding::NearestEven,
        1 => Rounding::TowardZero,
        2 => Rounding::Down,
        3 => Rounding::Up,
        4 => Rounding::NearestMaxMagnitude,
        _ => return Err(BadRounding),
    })
}

fn unbox(v: u64) -> u32 {
    if v & BOX == BOX {
        v as u32
    } else {
        CANONICAL_S as u32
    }
}

fn boxed(v: u32) -> u64 {
    BOX | u64::from(v)
}

fn sext32(v: u32) -> u64 {
    v as i32 as i64 as u64
}

/// Runs float helper call `code` on operands `a`, `b`, `c` with RISC-V's
/// rules and frm `frm`; returns the result (a boxed single, a double or an
/// integer sign-extended from its width) and the exception flags raised.
pub fn compute(code: u64, a: u64, b: u64, c: u64, frm: u8) -> Result<(u64, u8), BadRounding> {
    compute_sticky(code, a, b, c, frm, 0)
}

/// [`compute`] with the `fflags` already raised: the returned flags
/// include them, and an inexact flag already raised lets the soft-float
/// crate use the host's arithmetic where that gives the same result.
// Inlined into the float helper: one frame per operation, not two.
#[inline(always)]
pub fn compute_sticky(
    code: u64,
    a: u64,
    b: u64,
    c: u64,
    frm: u8,
    raised: u8,
) -> Result<(u64, u8), BadRounding> {
    let op = *FP_OPS.get((code & 0xff) as usize).ok_or(BadRounding)?;
    let double = code & 0x100 != 0;
    let rm = ((code >> 16) & 7) as u8;
    let mut env = FloatEnv::riscv();
    if raised & 1 != 0 {
        env.flags = Flags(Flags::INEXACT);
    }
    if op.has_rm() {
        env.rounding = rounding(rm, frm)?;
    }
    let r = if double {
        compute_d(&mut env, op, a, b, c)
    } else {
        compute_s(&mut env, op, a, b, c)
    };
    Ok((r, fflags(env.flags)))
}

/// The `fflags` bits (NV DZ OF UF NX, bit 4 down to bit 0) of `flags`.
pub fn fflags(flags: Flags) -> u8 {
    FFLAGS[usize::from(flags.0 & 31)]
}

/// `fflags` by the soft-float crate's five exception bits: the same flags
/// in the opposite bit order (a table, as this runs on every operation).
const FFLAGS: [u8; 32] = {
    let order = [
        Flags::INEXACT,
        Flags::UNDERFLOW,
        Flags::OVERFLOW,
        Flags::DIV_BY_ZERO,
        Flags::INVALID,
    ];
    let mut table = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        let mut bit = 0;
        while bit < 5 {
            if i as u8 & order[bit] != 0 {
                table[i] |= 1 << bit;
            }
            bit += 1;
        }
        i += 1;
    }
    table
};

fn compute_s(env: &mut FloatEnv, op: FpOp, a: u64, b: u64, c: u64) -> u64 {
    const SIGN: u32 = 1 << 31;
    let rnd = env.rounding;
    let (x, y, z) = (unbox(a), unbox(b), unbox(c));
    match op {
        FpOp::Add => boxed(sf::f32_add(env, x, y)),
        FpOp::Sub => boxed(sf::f32_sub(env, x, y)),
        FpOp::Mul => boxed(sf::f32_mul(env, x, y)),
        FpOp::Div => boxed(sf::f32_div(env, x, y)),
        FpOp::Sqrt => boxed(sf::f32_sqrt(env, x)),
        FpOp::Min => boxed(sf::f32_min(env, x, y)),
        FpOp::Max => boxed(sf::f32_max(env, x, y)),
        FpOp::MulAdd => boxed(sf::f32_mul_add(env, x, y, z)),
        FpOp::MulSub => boxed(sf::f32_mul_add(env, x, y, z ^ SIGN)),
        FpOp::NegMulSub => boxed(sf::f32_mul_add(env, x ^ SIGN, y, z)),
        FpOp::NegMulAdd => boxed(sf::f32_mul_add(env, x ^ SIGN, y, z ^ SIGN)),
        FpOp::Eq => u64::from(sf::f32_eq(env, x, y)),
        FpOp::Lt => u64::from(sf::f32_lt(env, x, y)),
        FpOp::Le => u64::from(sf::f32_le(env, x, y)),
        FpOp::Class => u64::from(sf::f32_classify(env, x)),
        FpOp::ToW => sext32(sf::f32_to_i32(env, x, rnd) as u32),
        FpOp::ToWu => sext32(sf::f32_to_u32(env, x, rnd)),
        FpOp::ToL => sf::f32_to_i64(env, x, rnd) as u64,
        FpOp::ToLu => sf::f32_to_u64(env, x, rnd),
        FpOp::FromW => boxed(sf::f32_from_i32(env, a as u32 as i32)),
        FpOp::FromWu => boxed(sf::f32_from_u32(env, a as u32)),
        FpOp::FromL => boxed(sf::f32_from_i64(env, a as i64)),
        FpOp::FromLu => boxed(sf::f32_from_u64(env, a)),
        FpOp::FromOther => boxed(sf::f64_to_f32(env, a)),
    }
}

fn compute_d(env: &mut FloatEnv, op: FpOp, a: u64, b: u64, c: u64) -> u64 {
    const SIGN: u64 = 1 << 63;
    let rnd = env.rounding;
    match op {
        FpOp::Add => sf::f64_add(env, a, b),
        FpOp::Sub => sf::f64_sub(env, a, b),
        FpOp::Mul => sf::f64_mul(env, a, b),
        FpOp::Div => sf::f64_div(env, a, b),
        FpOp::Sqrt => sf::f64_sqrt(env, a),
        FpOp::Min => sf::f64_min(env, a, b),
        FpOp::Max => sf::f64_max(env, a, b),
        FpOp::MulAdd => sf::f64_mul_add(env, a, b, c),
        FpOp::MulSub => sf::f64_mul_add(env, a, b, c ^ SIGN),
        FpOp::NegMulSub => sf::f64_mul_add(env, a ^ SIGN, b, c),
        FpOp::NegMulAdd => sf::f64_mul_add(env, a ^ SIGN, b, c ^ SIGN),
        FpOp::Eq => u64::from(sf::f64_eq(env, a, b)),
        FpOp::Lt => u64::from(sf::f64_lt(env, a, b)),
        FpOp::Le => u64::from(sf::f64_le(env, a, b)),
        FpOp::Class => u64::from(sf::f64_classify(env, a)),
        FpOp::ToW => sext32(sf::f64_to_i32(env, a, rnd) as u32),
        FpOp::ToWu => sext32(sf::f64_to_u32(env, a, rnd)),
        FpOp::ToL => sf::f64_to_i64(env, a, rnd) as u64,
        FpOp::ToLu => sf::f64_to_u64(env, a, rnd),
        FpOp::FromW => sf::f64_from_i32(env, a as u32 as i32),
        FpOp::FromWu => sf::f64_from_u32(env, a as u32),
        FpOp::FromL => sf::f64_from_i64(env, a as i64),
        FpOp::FromLu => sf::f64_from_u64(env, a),
        FpOp::FromOther => sf::f32_to_f64(env, unbox(a)),
    }
}

/// The trap of an illegal float instruction.
pub fn illegal(insn: u64) -> Trap {
    Trap::Guest {
        cause: crate::trap::CAUSE_ILLEGAL,
        value: insn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(op: FpOp, fmt: FpFmt, rm: u8, a: u64, b: u64, c: u64) -> (u64, u8) {
        compute(fp_code(op, fmt, rm), a, b, c, 0).unwrap()
    }

    #[test]
    fn fflags_reverses_the_flag_order() {
        assert_eq!(fflags(Flags(Flags::INEXACT)), 1);
        assert_eq!(fflags(Flags(Flags::UNDERFLOW)), 2);
        assert_eq!(fflags(Flags(Flags::OVERFLOW)), 4);
        assert_eq!(fflags(Flags(Flags::DIV_BY_ZERO)), 8);
        assert_eq!(fflags(Flags(Flags::INVALID)), 16);
        assert_eq!(fflags(Flags(Flags::INVALID | Flags::INEXACT)), 17);
        assert_eq!(fflags(Flags(Flags::INPUT_DENORMAL)), 0);
    }

    #[test]
    fn unboxed_singles_read_as_the_canonical_nan() {
        let one = boxed(0x3f80_0000);
        // 1 + (not boxed) = canonical NaN, no flag (a quiet NaN).
        assert_eq!(
            run(FpOp::Add, FpFmt::S, 0, one, 0x3f80_0000, 0),
            (CANONICAL_S, 0)
        );
        assert_eq!(
            run(FpOp::Add, FpFmt::S, 0, one, one, 0),
            (boxed(0x4000_0000), 0)
        );
        // fclass of a non-boxed value: quiet NaN.
        assert_eq!(run(FpOp::Class, FpFmt::S, 0, 0, 0, 0), (1 << 9, 0));
    }

    #[test]
    fn fused_forms_negate_as_the_spec_says() {
        let (two, three, one) = (
            0x4000_0000_0000_0000,
            0x4008_0000_0000_0000,
            0x3ff0_0000_0000_0000,
        );
        // 2*3+1, 2*3-1, -(2*3)+1, -(2*3)-1
        assert_eq!(
            run(FpOp::MulAdd, FpFmt::D, 0, two, three, one).0,
            0x401c_0000_0000_0000
        );
        assert_eq!(
            run(FpOp::MulSub, FpFmt::D, 0, two, three, one).0,
            0x4014_0000_0000_0000
        );
        assert_eq!(
            run(FpOp::NegMulSub, FpFmt::D, 0, two, three, one).0,
            0xc014_0000_0000_0000
        );
        assert_eq!(
            run(FpOp::NegMulAdd, FpFmt::D, 0, two, three, one).0,
            0xc01c_0000_0000_0000
        );
    }

    #[test]
    fn conversions_saturate_and_sign_extend() {
        // fcvt.wu.s of 3e9 fits and is sign-extended; of -1 saturates to 0 with NV.
        let big = boxed(0x4f32_d05e);
        assert_eq!(
            run(FpOp::ToWu, FpFmt::S, 1, big, 0, 0).0,
            0xffff_ffff_b2d0_5e00
        );
        assert_eq!(
            run(FpOp::ToWu, FpFmt::S, 1, boxed(0xbf80_0000), 0, 0),
            (0, 0x10)
        );
        // fcvt.w.d of NaN is i32::MAX with NV.
        assert_eq!(
            run(FpOp::ToW, FpFmt::D, 0, 0x7ff8_0000_0000_0000, 0, 0),
            (0x7fff_ffff, 0x10)
        );
    }

    #[test]
    fn dynamic_rounding_reads_frm_and_rejects_reserved_modes() {
        let code = fp_code(FpOp::Add, FpFmt::D, 7);
        assert!(compute(code, 0, 0, 0, 4).is_ok());
        assert_eq!(compute(code, 0, 0, 0, 5), Err(BadRounding));
        assert_eq!(compute(code, 0, 0, 0, 7), Err(BadRounding));
        // fmin has no rm field: an invalid frm does not matter.
        assert!(compute(fp_code(FpOp::Min, FpFmt::D, 7), 0, 0, 0, 7).is_ok());
        // 1/3 rounded down and up differ in the last place.
        let (one, three) = (0x3ff0_0000_0000_0000, 0x4008_0000_0000_0000);
        let div = fp_code(FpOp::Div, FpFmt::D, 7);
        let down = compute(div, one, three, 0, 2).unwrap();
        let up = compute(div, one, three, 0, 3).unwrap();
        assert_eq!(up.0, down.0 + 1);
        assert_eq!(down.1, 1);
    }
}
