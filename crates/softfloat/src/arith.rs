//! Addition, subtraction, multiplication, division and square root, each
//! correctly rounded with exact flags.
//!
//! Operands are unpacked (flushing subnormal inputs when asked), special
//! values are settled first, and finite results go through
//! [`round_pack`](crate::round::round_pack). The finite paths use only integer
//! arithmetic: a 64×64→128-bit product, a 128/64-bit quotient and an integer
//! square root.

use crate::env::{Flags, FloatEnv};
use crate::format::{unpack, Format, Kind, Unpacked};
use crate::nan::propagate;
use crate::round::{exact_zero, infinity, invalid, norm_round_pack, round_pack, shr_jam64, zero};

/// An exact finite operand as a result (for `x + 0` and the like).
#[inline(always)]
pub(crate) fn pack_finite<F: Format>(env: &mut FloatEnv, u: Unpacked) -> u64 {
    let flush = env.flush_outputs;
    round_pack::<F>(env, u.sign, u.exp, u.sig << (62 - F::FRAC_BITS), flush)
}

/// `a + b`, or `a − b` when `negate_b` is set.
#[inline(always)]
pub(crate) fn add<F: Format>(env: &mut FloatEnv, a: u64, b: u64, negate_b: bool) -> u64 {
    let ua = unpack::<F>(env, a, env.flush_inputs);
    let mut ub = unpack::<F>(env, b, env.flush_inputs);
    ub.sign ^= negate_b;
    if ua.kind == Kind::Finite && ub.kind == Kind::Finite {
        return add_finite::<F>(env, ua, ub);
    }
    add_special::<F>(env, a, b, ua, ub)
}

/// `a + b` when either operand is zero, infinite or NaN.
#[inline(never)]
fn add_special<F: Format>(env: &mut FloatEnv, a: u64, b: u64, ua: Unpacked, ub: Unpacked) -> u64 {
    match (ua.kind, ub.kind) {
        (Kind::Nan, _) | (_, Kind::Nan) => propagate::<F>(env, &[a, b]),
        (Kind::Inf, Kind::Inf) if ua.sign != ub.sign => invalid::<F>(env),
        (Kind::Inf, _) => infinity::<F>(ua.sign),
        (_, Kind::Inf) => infinity::<F>(ub.sign),
        (Kind::Zero, Kind::Zero) if ua.sign == ub.sign => zero::<F>(ua.sign),
        (Kind::Zero, Kind::Zero) => exact_zero::<F>(env),
        (Kind::Zero, _) => pack_finite::<F>(env, ub),
        (_, Kind::Zero) => pack_finite::<F>(env, ua),
        (Kind::Finite, Kind::Finite) => add_finite::<F>(env, ua, ub),
    }
}

/// `a + b` for finite nonzero operands.
#[inline(always)]
fn add_finite<F: Format>(env: &mut FloatEnv, ua: Unpacked, ub: Unpacked) -> u64 {
    let (big, small) = if (ua.exp, ua.sig) >= (ub.exp, ub.sig) {
        (ua, ub)
    } else {
        (ub, ua)
    };
    // Top bit at 61: one bit of headroom for the carry, and at least 9 guard
    // bits below the result's last place.
    let shift = 61 - F::FRAC_BITS;
    let big_sig = big.sig << shift;
    let small_sig = shr_jam64(small.sig << shift, (big.exp - small.exp) as u32);
    let sum = if big.sign == small.sign {
        big_sig + small_sig
    } else {
        big_sig - small_sig
    };
    if sum == 0 {
        return exact_zero::<F>(env);
    }
    let flush = env.flush_outputs;
    norm_round_pack::<F>(env, big.sign, big.exp + 1, sum, flush)
}

/// `a × b`.
#[inline(always)]
pub(crate) fn mul<F: Format>(env: &mut FloatEnv, a: u64, b: u64) -> u64 {
    let ua = unpack::<F>(env, a, env.flush_inputs);
    let ub = unpack::<F>(env, b, env.flush_inputs);
    let sign = ua.sign ^ ub.sign;
    if ua.kind != Kind::Finite || ub.kind != Kind::Finite {
        return mul_special::<F>(env, a, b, ua, ub);
    }
    // Top bits at 62 and 63: the product's top 64 bits hold its top bit at 61 or 62.
    let product =
        u128::from(ua.sig << (62 - F::FRAC_BITS)) * u128::from(ub.sig << (63 - F::FRAC_BITS));
    let mut sig = (product >> 64) as u64 | u64::from(product as u64 != 0);
    let mut exp = ua.exp + ub.exp + 1;
    if sig < 1 << 62 {
        sig <<= 1;
        exp -= 1;
    }
    let flush = env.flush_outputs;
    round_pack::<F>(env, sign, exp, sig, flush)
}

/// `a × b` when either operand is zero, infinite or NaN.
#[inline(never)]
fn mul_special<F: Format>(env: &mut FloatEnv, a: u64, b: u64, ua: Unpacked, ub: Unpacked) -> u64 {
    let sign = ua.sign ^ ub.sign;
    match (ua.kind, ub.kind) {
        (Kind::Nan, _) | (_, Kind::Nan) => propagate::<F>(env, &[a, b]),
        (Kind::Inf, Kind::Zero) | (Kind::Zero, Kind::Inf) => invalid::<F>(env),
        (Kind::Inf, _) | (_, Kind::Inf) => infinity::<F>(sign),
        _ => zero::<F>(sign),
    }
}

/// `a ÷ b`.
pub(crate) fn div<F: Format>(env: &mut FloatEnv, a: u64, b: u64) -> u64 {
    let ua = unpack::<F>(env, a, env.flush_inputs);
    let ub = unpack::<F>(env, b, env.flush_inputs);
    let sign = ua.sign ^ ub.sign;
    match (ua.kind, ub.kind) {
        (Kind::Nan, _) | (_, Kind::Nan) => return propagate::<F>(env, &[a, b]),
        (Kind::Inf, Kind::Inf) | (Kind::Zero, Kind::Zero) => return invalid::<F>(env),
        (Kind::Inf, _) => return infinity::<F>(sign),
        (_, Kind::Inf) | (Kind::Zero, _) => return zero::<F>(sign),
        (_, Kind::Zero) => {
            env.raise(Flags::DIV_BY_ZERO);
            return infinity::<F>(sign);
        }
        (Kind::Finite, Kind::Finite) => {}
    }
    let (mut num, den) = (ua.sig, ub.sig);
    let mut exp = ua.exp - ub.exp;
    if num < den {
        num <<= 1;
        exp -= 1;
    }
    // num / den is in [1, 2): scale num so the quotient carries enough bits.
    let flush = env.flush_outputs;
    if F::FRAC_BITS <= 30 {
        let k = 62 - F::FRAC_BITS;
        let n = num << k;
        let (q, r) = (n / den, n % den);
        norm_round_pack::<F>(env, sign, exp - k as i32 + 62, q | u64::from(r != 0), flush)
    } else {
        let n = u128::from(num) << 62;
        let d = u128::from(den);
        let (q, r) = (n / d, n % d);
        round_pack::<F>(env, sign, exp, q as u64 | u64::from(r != 0), flush)
    }
}

/// The square root of `a`.
pub(crate) fn sqrt<F: Format>(env: &mut FloatEnv, a: u64) -> u64 {
    let ua = unpack::<F>(env, a, env.flush_inputs);
    match ua.kind {
        Kind::Nan => return propagate::<F>(env, &[a]),
        Kind::Zero => return zero::<F>(ua.sign),
        _ if ua.sign => return invalid::<F>(env),
        Kind::Inf => return infinity::<F>(false),
        Kind::Finite => {}
    }
    // value = sig × 2^(exp − FRAC_BITS) = m × 2^(exp − FRAC_BITS − s) with the
    // last exponent even, m as wide as the integer type allows.
    let parity = (ua.exp & 1) as u32;
    let flush = env.flush_outputs;
    if F::FRAC_BITS <= 30 {
        let s = 62 - F::FRAC_BITS + parity;
        let m = ua.sig << s;
        let root = m.isqrt();
        let half_exp = (ua.exp - F::FRAC_BITS as i32 - s as i32) / 2;
        let sig = root | u64::from(root * root != m);
        norm_round_pack::<F>(env, false, half_exp + 62, sig, flush)
    } else {
        let s = 126 - F::FRAC_BITS + parity;
        let m = u128::from(ua.sig) << s;
        let root = m.isqrt();
        let half_exp = (ua.exp - F::FRAC_BITS as i32 - s as i32) / 2;
        let sig = root as u64 | u64::from(root * root != m);
        norm_round_pack::<F>(env, false, half_exp + 62, sig, flush)
    }
}
