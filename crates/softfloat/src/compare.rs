//! Comparisons, minimum/maximum and classification.
//!
//! These never round. Subnormal inputs are flushed first when
//! `flush_inputs` is set (ARM's VCMP and VMINNM do so); classification looks at
//! the raw bits only.

use crate::env::{Flags, FloatEnv, Ordering4};
use crate::format::{flush_input, is_nan, is_snan, Format};
use crate::nan::propagate;
use crate::round::exact_result;

/// A key that orders non-NaN values numerically, with `-0` equal to `+0`.
#[inline(always)]
fn numeric_key<F: Format>(bits: u64) -> i64 {
    let magnitude = (bits & !F::SIGN_BIT) as i64;
    if bits & F::SIGN_BIT != 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// A key that orders non-NaN values numerically, with `-0` below `+0`.
#[inline(always)]
fn signed_zero_key<F: Format>(bits: u64) -> i64 {
    let magnitude = (bits & !F::SIGN_BIT) as i64;
    if bits & F::SIGN_BIT != 0 {
        -magnitude - 1
    } else {
        magnitude
    }
}

/// Compares `a` with `b`; any NaN raises invalid when `signaling`, a signaling
/// NaN always does.
pub(crate) fn compare<F: Format>(env: &mut FloatEnv, a: u64, b: u64, signaling: bool) -> Ordering4 {
    let flush = env.flush_inputs;
    let a = flush_input::<F>(env, a, flush);
    let b = flush_input::<F>(env, b, flush);
    if is_nan::<F>(a) || is_nan::<F>(b) {
        if signaling || is_snan::<F>(a) || is_snan::<F>(b) {
            env.raise(Flags::INVALID);
        }
        return Ordering4::Unordered;
    }
    match numeric_key::<F>(a).cmp(&numeric_key::<F>(b)) {
        core::cmp::Ordering::Less => Ordering4::Less,
        core::cmp::Ordering::Equal => Ordering4::Equal,
        core::cmp::Ordering::Greater => Ordering4::Greater,
    }
}

/// IEEE 754-2019 minimumNumber / maximumNumber (RISC-V `fmin`/`fmax`): a NaN
/// and a number give the number, `-0 < +0`, a signaling NaN raises invalid, two
/// NaNs give a NaN by the environment's rule.
pub(crate) fn min_max<F: Format>(env: &mut FloatEnv, a: u64, b: u64, max: bool) -> u64 {
    let flush = env.flush_inputs;
    let a = flush_input::<F>(env, a, flush);
    let b = flush_input::<F>(env, b, flush);
    let (a_nan, b_nan) = (is_nan::<F>(a), is_nan::<F>(b));
    if is_snan::<F>(a) || is_snan::<F>(b) {
        env.raise(Flags::INVALID);
    }
    let result = match (a_nan, b_nan) {
        (true, true) => return propagate::<F>(env, &[a, b]),
        (true, false) => b,
        (false, true) => a,
        (false, false) => pick::<F>(a, b, max),
    };
    let flush = env.flush_outputs;
    exact_result::<F>(env, result, flush)
}

/// ARM VMIN/VMAX (FPMin/FPMax): NaN operands give a NaN by the environment's
/// rule, otherwise the smaller/larger with `-0 < +0`.
pub(crate) fn min_max_arm<F: Format>(env: &mut FloatEnv, a: u64, b: u64, max: bool) -> u64 {
    let flush = env.flush_inputs;
    let a = flush_input::<F>(env, a, flush);
    let b = flush_input::<F>(env, b, flush);
    if is_nan::<F>(a) || is_nan::<F>(b) {
        return propagate::<F>(env, &[a, b]);
    }
    let result = pick::<F>(a, b, max);
    let flush = env.flush_outputs;
    exact_result::<F>(env, result, flush)
}

/// The smaller (or larger, when `max`) of two non-NaN values, `-0 < +0`.
#[inline(always)]
fn pick<F: Format>(a: u64, b: u64, max: bool) -> u64 {
    let a_less = signed_zero_key::<F>(a) < signed_zero_key::<F>(b);
    if a_less != max {
        a
    } else {
        b
    }
}

/// RISC-V `fclass` bits: 0 −∞, 1 −normal, 2 −subnormal, 3 −0, 4 +0,
/// 5 +subnormal, 6 +normal, 7 +∞, 8 signaling NaN, 9 quiet NaN.
pub(crate) fn classify<F: Format>(a: u64) -> u16 {
    let negative = a & F::SIGN_BIT != 0;
    let field = (a >> F::FRAC_BITS) & F::EXP_FIELD_MAX;
    let frac = a & F::FRAC_MASK;
    let bit = if field == F::EXP_FIELD_MAX {
        match (frac == 0, negative) {
            (true, true) => 0,
            (true, false) => 7,
            (false, _) if frac & F::QUIET_BIT == 0 => 8,
            (false, _) => 9,
        }
    } else {
        let positive_bit = match (field == 0, frac == 0) {
            (true, true) => 4,
            (true, false) => 5,
            (false, _) => 6,
        };
        if negative {
            7 - positive_bit
        } else {
            positive_bit
        }
    };
    1 << bit
}
