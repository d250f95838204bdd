//! The FPU helper: single-precision arithmetic, comparisons and
//! conversions for the VFP instructions, computed by the workspace's
//! soft-float crate under a float environment made from FPSCR (rounding
//! mode, default NaN, flush-to-zero; ARM's NaN propagation and tininess
//! before rounding), with the cumulative exception flags folded back into
//! FPSCR.

use chimera_engine::{HelperCtx, Trap};
use chimera_softfloat as sf;
use sf::{Flags, FloatEnv, Rounding};

use crate::cpu::{ArmCpu, G_S0};
use crate::ArmM;

/// Operation codes of the FPU helper.
pub mod op {
    /// `d = d + n*m` (two roundings).
    pub const VMLA: u32 = 0;
    /// `d = d - n*m`.
    pub const VMLS: u32 = 1;
    /// `d = -d + n*m`.
    pub const VNMLS: u32 = 2;
    /// `d = -d - n*m`.
    pub const VNMLA: u32 = 3;
    /// `d = n*m`.
    pub const VMUL: u32 = 4;
    /// `d = -(n*m)`.
    pub const VNMUL: u32 = 5;
    /// `d = n + m`.
    pub const VADD: u32 = 6;
    /// `d = n - m`.
    pub const VSUB: u32 = 7;
    /// `d = n / m`.
    pub const VDIV: u32 = 8;
    /// `d = d + n*m` fused.
    pub const VFMA: u32 = 9;
    /// `d = d - n*m` fused.
    pub const VFMS: u32 = 10;
    /// `d = -d - n*m` fused.
    pub const VFNMA: u32 = 11;
    /// `d = -d + n*m` fused.
    pub const VFNMS: u32 = 12;
    /// `d = sqrt(m)`.
    pub const VSQRT: u32 = 13;
    /// Compare `d` with `m` (+1: signaling, VCMPE).
    pub const VCMP: u32 = 14;
    /// Compare `d` with zero (+1: signaling).
    pub const VCMP_ZERO: u32 = 16;
    /// `d = m` as unsigned integer (+1: signed).
    pub const VCVT_F32_U32: u32 = 18;
    /// `d = unsigned(m)` in FPSCR's rounding (+1: toward zero).
    pub const VCVT_U32_F32: u32 = 20;
    /// `d = signed(m)` in FPSCR's rounding (+1: toward zero).
    pub const VCVT_S32_F32: u32 = 22;
    /// `d = half n (0 bottom, 1 top) of m` widened.
    pub const VCVT_F32_F16: u32 = 24;
    /// Half `n` of `d` = `m` narrowed.
    pub const VCVT_F16_F32: u32 = 25;
    /// FPSCR = value.
    pub const VMSR: u32 = 26;
    /// Fixed-point conversion of `d` in place: | to_fixed << 8 |
    /// unsigned << 9 | halfword << 10 | fraction bits.
    pub const FIXED: u32 = 0x1000;
}

/// FPSCR bits software may write.
const FPSCR_MASK: u32 = 0xf7c0_009f;
const FPSCR_AHP: u32 = 1 << 26;
const FPSCR_DN: u32 = 1 << 25;
const FPSCR_FZ: u32 = 1 << 24;

/// The float environment FPSCR describes.
pub fn float_env(fpscr: u32) -> FloatEnv {
    let mut env = FloatEnv::arm();
    env.rounding = match (fpscr >> 22) & 3 {
        0 => Rounding::NearestEven,
        1 => Rounding::Up,
        2 => Rounding::Down,
        _ => Rounding::TowardZero,
    };
    env.use_default_nan = fpscr & FPSCR_DN != 0;
    env.flush_inputs = fpscr & FPSCR_FZ != 0;
    env.flush_outputs = fpscr & FPSCR_FZ != 0;
    // An inexact flag already raised (IXC, sticky) lets the soft-float
    // crate use the host's arithmetic where that gives the same result;
    // the caller ORs the flags back into FPSCR, so it stays raised.
    env.flags = if fpscr & (1 << 4) != 0 {
        Flags(Flags::INEXACT)
    } else {
        Flags::default()
    };
    env
}

/// FPSCR's cumulative flags for raised `flags`.
pub fn fpscr_flags(flags: Flags) -> u32 {
    let f = flags.0;
    let mut v = 0;
    for (bit, flag) in [
        (0, Flags::INVALID),
        (1, Flags::DIV_BY_ZERO),
        (2, Flags::OVERFLOW),
        (3, Flags::UNDERFLOW),
        (4, Flags::INEXACT),
        (7, Flags::INPUT_DENORMAL),
    ] {
        if f & flag != 0 {
            v |= 1 << bit;
        }
    }
    v
}

fn s(cpu: &ArmCpu, i: u32) -> u32 {
    cpu.regs[(G_S0 + (i & 31)) as usize] as u32
}

fn set_s(cpu: &mut ArmCpu, i: u32, v: u32) {
    cpu.regs[(G_S0 + (i & 31)) as usize] = u64::from(v);
}

const SIGN: u32 = 0x8000_0000;

/// Runs FPU operation `code` (see [`op`]).
pub fn vfp(ctx: &mut HelperCtx<'_, '_, ArmM>, args: &[u64]) -> Result<u64, Trap> {
    let cpu = &mut *ctx.cpu;
    let (code, v, n, m) = (
        args[0] as u32,
        args[1] as u32,
        args[2] as u32,
        args[3] as u32,
    );
    let d = v;
    let fpscr = cpu.fpscr();
    let mut env = float_env(fpscr);
    let ahp = fpscr & FPSCR_AHP != 0;
    let e = &mut env;
    let result = match code {
        op::VMSR => {
            cpu.set_fpscr(v & FPSCR_MASK);
            return Ok(0);
        }
        op::VMLA | op::VMLS | op::VNMLS | op::VNMLA => {
            let mut p = sf::f32_mul(e, s(cpu, n), s(cpu, m));
            if code == op::VMLS || code == op::VNMLA {
                p ^= SIGN;
            }
            let mut acc = s(cpu, d);
            if code == op::VNMLS || code == op::VNMLA {
                acc ^= SIGN;
            }
            Some(sf::f32_add(e, acc, p))
        }
        op::VMUL => Some(sf::f32_mul(e, s(cpu, n), s(cpu, m))),
        op::VNMUL => Some(sf::f32_mul(e, s(cpu, n), s(cpu, m)) ^ SIGN),
        op::VADD => Some(sf::f32_add(e, s(cpu, n), s(cpu, m))),
        op::VSUB => Some(sf::f32_sub(e, s(cpu, n), s(cpu, m))),
        op::VDIV => Some(sf::f32_div(e, s(cpu, n), s(cpu, m))),
        op::VFMA | op::VFMS | op::VFNMA | op::VFNMS => {
            let mut a = s(cpu, n);
            if code == op::VFMS || code == op::VFNMA {
                a ^= SIGN;
            }
            let mut acc = s(cpu, d);
            if code == op::VFNMA || code == op::VFNMS {
                acc ^= SIGN;
            }
            Some(sf::f32_mul_add_nan_order(e, a, s(cpu, m), acc, true))
        }
        op::VSQRT => Some(sf::f32_sqrt(e, s(cpu, m))),
        op::VCMP..=17 => {
            let signaling = code & 1 != 0;
            let b = if code >= op::VCMP_ZERO { 0 } else { s(cpu, m) };
            let nzcv = match sf::f32_compare(e, s(cpu, d), b, signaling) {
                sf::Ordering4::Less => 0b1000,
                sf::Ordering4::Equal => 0b0110,
                sf::Ordering4::Greater => 0b0010,
                sf::Ordering4::Unordered => 0b0011,
            };
            cpu.set_fpscr((cpu.fpscr() & 0x0fff_ffff) | (nzcv << 28));
            None
        }
        op::VCVT_F32_U32 => Some(sf::f32_from_u32(e, s(cpu, m))),
        19 => Some(sf::f32_from_i32(e, s(cpu, m) as i32)),
        op::VCVT_U32_F32..=23 => {
            let rounding = if code & 1 != 0 {
                Rounding::TowardZero
            } else {
                e.rounding
            };
            let x = s(cpu, m);
            Some(if code < op::VCVT_S32_F32 {
                sf::f32_to_u32_arm(e, x, rounding)
            } else {
                sf::f32_to_i32_arm(e, x, rounding) as u32
            })
        }
        op::VCVT_F32_F16 => {
            let h = (s(cpu, m) >> (16 * (n & 1))) as u16;
            Some(if ahp {
                sf::f16_alt_to_f32(e, h)
            } else {
                sf::f16_to_f32(e, h)
            })
        }
        op::VCVT_F16_F32 => {
            let x = s(cpu, m);
            let h = u32::from(if ahp {
                sf::f32_to_f16_alt(e, x)
            } else {
                sf::f32_to_f16(e, x)
            });
            let shift = 16 * (n & 1);
            let old = s(cpu, d);
            Some((old & !(0xffff << shift)) | (h << shift))
        }
        c if c & op::FIXED != 0 => Some(fixed(e, s(cpu, d), c)),
        _ => None,
    };
    if let Some(r) = result {
        set_s(cpu, d, r);
    }
    cpu.set_fpscr(cpu.fpscr() | fpscr_flags(env.flags));
    Ok(0)
}

/// VCVT between single precision and fixed point (`code` packs the
/// direction, signedness, size and fraction bits).
fn fixed(e: &mut FloatEnv, x: u32, code: u32) -> u32 {
    let frac = code & 0x3f;
    let to_fixed = code & (1 << 8) != 0;
    let signed = code & (1 << 9) == 0;
    let size = if code & (1 << 10) != 0 { 16 } else { 32 };
    if to_fixed {
        sf::f32_to_fixed_arm(e, x, size, signed, frac, Rounding::TowardZero)
    } else {
        sf::f32_from_fixed_arm(e, x, size, signed, frac)
    }
}
