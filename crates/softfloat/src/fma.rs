//! Fused multiply-add: `a × b + c` with a single rounding.
//!
//! The exact product (up to 106 bits for binary64) and the addend are aligned
//! in a 128-bit accumulator, added, and the sum rounded once. `∞ × 0` raises
//! invalid even when `c` is a quiet NaN, and then returns the default NaN
//! (RISC-V's rule, and ARM's FPMulAdd); a signaling-NaN `c` is returned quieted
//! under NaN propagation, as ARM does.

use crate::arith::pack_finite;
use crate::env::{Flags, FloatEnv};
use crate::format::{is_snan, unpack, Format, Kind};
use crate::nan::propagate;
use crate::round::{exact_zero, infinity, invalid, round_pack, shr_jam128, zero};

/// `a × b + c`; NaN operands are looked at in the order `c, a, b` when
/// `addend_first` is set (ARM VFMA), else `a, b, c`.
pub(crate) fn mul_add<F: Format>(
    env: &mut FloatEnv,
    a: u64,
    b: u64,
    c: u64,
    addend_first: bool,
) -> u64 {
    let flush_in = env.flush_inputs;
    let ua = unpack::<F>(env, a, flush_in);
    let ub = unpack::<F>(env, b, flush_in);
    let uc = unpack::<F>(env, c, flush_in);
    let inf_times_zero = (ua.kind == Kind::Inf && ub.kind == Kind::Zero)
        || (ua.kind == Kind::Zero && ub.kind == Kind::Inf);
    if ua.kind == Kind::Nan || ub.kind == Kind::Nan || uc.kind == Kind::Nan {
        let order = if addend_first { [c, a, b] } else { [a, b, c] };
        let nan = propagate::<F>(env, &order);
        // Only c can be the NaN here.
        if inf_times_zero {
            env.raise(Flags::INVALID);
            if !is_snan::<F>(c) {
                return F::DEFAULT_NAN;
            }
        }
        return nan;
    }
    if inf_times_zero {
        return invalid::<F>(env);
    }
    let sign_p = ua.sign ^ ub.sign;
    let inf_p = ua.kind == Kind::Inf || ub.kind == Kind::Inf;
    if uc.kind == Kind::Inf {
        if inf_p && sign_p != uc.sign {
            return invalid::<F>(env);
        }
        return infinity::<F>(uc.sign);
    }
    if inf_p {
        return infinity::<F>(sign_p);
    }
    if ua.kind == Kind::Zero || ub.kind == Kind::Zero {
        return match uc.kind {
            Kind::Zero if uc.sign == sign_p => zero::<F>(sign_p),
            Kind::Zero => exact_zero::<F>(env),
            _ => pack_finite::<F>(env, uc),
        };
    }
    // The product, top bit moved to 125: value = p × 2^(exp_p − 125).
    let frac = F::FRAC_BITS;
    let mut p = (u128::from(ua.sig) * u128::from(ub.sig)) << (124 - 2 * frac);
    let mut exp_p = ua.exp + ub.exp + 1;
    if p < 1 << 125 {
        p <<= 1;
        exp_p -= 1;
    }
    let (sign, exp, sum) = if uc.kind == Kind::Zero {
        (sign_p, exp_p, p)
    } else {
        let mut c_sig = u128::from(uc.sig) << (125 - frac);
        let exp = if exp_p >= uc.exp {
            c_sig = shr_jam128(c_sig, (exp_p - uc.exp) as u32);
            exp_p
        } else {
            p = shr_jam128(p, (uc.exp - exp_p) as u32);
            uc.exp
        };
        if sign_p == uc.sign {
            (sign_p, exp, p + c_sig)
        } else if p >= c_sig {
            (sign_p, exp, p - c_sig)
        } else {
            (uc.sign, exp, c_sig - p)
        }
    };
    if sum == 0 {
        return exact_zero::<F>(env);
    }
    // Narrow to 64 bits with the top bit at 62.
    let top = 127 - sum.leading_zeros() as i32;
    let sig = if top >= 62 {
        shr_jam128(sum, (top - 62) as u32) as u64
    } else {
        (sum as u64) << (62 - top)
    };
    let flush = env.flush_outputs;
    round_pack::<F>(env, sign, exp + top - 125, sig, flush)
}
