//! Rounding an exact intermediate result to a format, with every flag the
//! rounding can raise: inexact, overflow, underflow (either tininess rule) and
//! ARM's flush-to-zero of tiny results.
//!
//! Intermediates are `(sign, exp, sig)` with value `sig × 2^(exp − 62)`; the
//! operations leave bit 0 of `sig` set when any nonzero bits were shifted out
//! below it (a "sticky" bit), which is all the rounding needs to know about them.

use crate::env::{Flags, FloatEnv, Rounding, Tininess};
use crate::format::Format;

/// `x >> n`, with bit 0 set if any bit shifted out was set.
#[inline(always)]
pub(crate) fn shr_jam64(x: u64, n: u32) -> u64 {
    if n == 0 {
        x
    } else if n < 64 {
        (x >> n) | u64::from(x << (64 - n) != 0)
    } else {
        u64::from(x != 0)
    }
}

/// `x >> n`, with bit 0 set if any bit shifted out was set.
#[inline(always)]
pub(crate) fn shr_jam128(x: u128, n: u32) -> u128 {
    if n == 0 {
        x
    } else if n < 128 {
        (x >> n) | u128::from(x << (128 - n) != 0)
    } else {
        u128::from(x != 0)
    }
}

/// The signed zero of format `F`.
#[inline(always)]
pub(crate) fn zero<F: Format>(sign: bool) -> u64 {
    if sign {
        F::SIGN_BIT
    } else {
        0
    }
}

/// The signed infinity of format `F`.
#[inline(always)]
pub(crate) fn infinity<F: Format>(sign: bool) -> u64 {
    zero::<F>(sign) | F::INFINITY
}

/// The result of an invalid operation: raises [`Flags::INVALID`], returns the default NaN.
#[inline(always)]
pub(crate) fn invalid<F: Format>(env: &mut FloatEnv) -> u64 {
    env.raise(Flags::INVALID);
    F::DEFAULT_NAN
}

/// The sign of an exact zero sum of operands of opposite signs.
#[inline(always)]
pub(crate) fn exact_zero<F: Format>(env: &FloatEnv) -> u64 {
    zero::<F>(env.rounding == Rounding::Down)
}

/// Rounds `sig × 2^(exp − 62)`, `sig` in `[2^62, 2^63)`, to format `F` in the
/// environment's rounding mode. `flush` flushes tiny results to zero (ARM FZ).
#[inline(always)]
pub(crate) fn round_pack<F: Format>(
    env: &mut FloatEnv,
    sign: bool,
    exp: i32,
    sig: u64,
    flush: bool,
) -> u64 {
    let extra = 62 - F::FRAC_BITS;
    let mask = (1u64 << extra) - 1;
    let half = 1u64 << (extra - 1);
    let mode = env.rounding;
    let inc = match mode {
        Rounding::NearestEven | Rounding::NearestMaxMagnitude => half,
        Rounding::TowardZero => 0,
        Rounding::Down => {
            if sign {
                mask
            } else {
                0
            }
        }
        Rounding::Up => {
            if sign {
                0
            } else {
                mask
            }
        }
    };
    let emax = if F::AHP { F::EMAX + 1 } else { F::EMAX };
    if exp >= F::EMIN && exp <= emax {
        let rest = sig & mask;
        let mut kept = (sig + inc) >> extra;
        if mode == Rounding::NearestEven && rest == half {
            kept &= !1;
        }
        // The implicit bit lands in the exponent field, and a carry out of the
        // significand bumps the exponent: both by plain addition.
        let bits = ((exp + F::BIAS - 1) as u64) << F::FRAC_BITS;
        let bits = bits + kept;
        if rest != 0 {
            if bits >> F::FRAC_BITS >= F::EXP_FIELD_MAX + u64::from(F::AHP) {
                return overflow::<F>(env, sign, inc != 0);
            }
            env.raise(Flags::INEXACT);
        }
        return zero::<F>(sign) | bits;
    }
    if exp > emax {
        return overflow::<F>(env, sign, inc != 0);
    }
    // Below the normal range: the exact value is below 2^EMIN.
    if flush {
        env.raise(Flags::UNDERFLOW);
        return zero::<F>(sign);
    }
    let tiny = env.tininess == Tininess::BeforeRounding || exp < F::EMIN - 1 || sig + inc < 1 << 63;
    let sig = shr_jam64(sig, (F::EMIN - exp) as u32);
    let rest = sig & mask;
    let mut kept = (sig + inc) >> extra;
    if mode == Rounding::NearestEven && rest == half {
        kept &= !1;
    }
    if rest != 0 {
        env.raise(Flags::INEXACT | if tiny { Flags::UNDERFLOW } else { 0 });
    }
    // A subnormal that rounds up to the smallest normal encodes correctly as is.
    zero::<F>(sign) | kept
}

/// Like [`round_pack`] for any nonzero `sig`: normalizes it first.
#[inline(always)]
pub(crate) fn norm_round_pack<F: Format>(
    env: &mut FloatEnv,
    sign: bool,
    exp: i32,
    sig: u64,
    flush: bool,
) -> u64 {
    let lz = sig.leading_zeros();
    if lz == 0 {
        round_pack::<F>(env, sign, exp + 1, shr_jam64(sig, 1), flush)
    } else {
        round_pack::<F>(env, sign, exp - (lz as i32 - 1), sig << (lz - 1), flush)
    }
}

/// The result of an overflow: infinity or the largest finite number by rounding
/// direction, or for ARM's alternative half precision the largest number and
/// [`Flags::INVALID`].
#[cold]
fn overflow<F: Format>(env: &mut FloatEnv, sign: bool, to_infinity: bool) -> u64 {
    if F::AHP {
        env.raise(Flags::INVALID);
        return zero::<F>(sign) | (F::SIGN_BIT - 1);
    }
    env.raise(Flags::OVERFLOW | Flags::INEXACT);
    zero::<F>(sign)
        | if to_infinity {
            F::INFINITY
        } else {
            F::MAX_FINITE
        }
}

/// Passes an exact finite result through, flushing a subnormal to zero when
/// `flush` is set (raising [`Flags::UNDERFLOW`], as ARM's FPRound does).
#[inline(always)]
pub(crate) fn exact_result<F: Format>(env: &mut FloatEnv, bits: u64, flush: bool) -> u64 {
    if flush && crate::format::is_subnormal::<F>(bits) {
        env.raise(Flags::UNDERFLOW);
        bits & F::SIGN_BIT
    } else {
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{F32, F64};

    #[test]
    fn shifts_keep_a_sticky_bit_for_lost_ones() {
        assert_eq!(shr_jam64(0b1000, 3), 1);
        assert_eq!(shr_jam64(0b1001, 3), 1 | 1);
        assert_eq!(shr_jam64(0b1_0001, 4), 0b1 | 1);
        assert_eq!(shr_jam64(0b1_0000, 4), 0b1);
        assert_eq!(shr_jam64(5, 0), 5);
        assert_eq!(shr_jam64(5, 64), 1);
        assert_eq!(shr_jam64(0, 1000), 0);
        assert_eq!(shr_jam128(1 << 100, 100), 1);
        assert_eq!(shr_jam128(3, 200), 1);
    }

    #[test]
    fn round_pack_encodes_normals_carries_and_subnormals() {
        let mut env = FloatEnv::riscv();
        // 1.0: sig 2^62 at exp 0.
        assert_eq!(
            round_pack::<F32>(&mut env, false, 0, 1 << 62, false),
            0x3f80_0000
        );
        assert_eq!(
            round_pack::<F64>(&mut env, true, 0, 1 << 62, false),
            0xbff0_0000_0000_0000
        );
        assert_eq!(env.flags, Flags(0));
        // All ones plus a half: carries into the next binade.
        let sig = (u64::MAX >> 1) & !((1 << 38) - 1);
        assert_eq!(
            round_pack::<F32>(&mut env, false, 0, sig, false),
            0x4000_0000
        );
        assert_eq!(env.take_flags(), Flags(Flags::INEXACT));
        // 2^-127 is half the smallest normal: an exact subnormal.
        assert_eq!(
            round_pack::<F32>(&mut env, false, -127, 1 << 62, false),
            0x0040_0000
        );
        assert_eq!(env.take_flags(), Flags(0));
        // Far below the subnormals: rounds to zero, tiny and inexact.
        assert_eq!(round_pack::<F32>(&mut env, false, -1000, 1 << 62, false), 0);
        assert_eq!(env.take_flags(), Flags(Flags::UNDERFLOW | Flags::INEXACT));
        // Flushed: signed zero, underflow only.
        assert_eq!(
            round_pack::<F32>(&mut env, true, -127, 1 << 62, true),
            0x8000_0000
        );
        assert_eq!(env.take_flags(), Flags(Flags::UNDERFLOW));
    }

    #[test]
    fn norm_round_pack_normalizes_from_any_position() {
        let mut env = FloatEnv::riscv();
        assert_eq!(
            norm_round_pack::<F32>(&mut env, false, 62, 1, false),
            0x3f80_0000
        );
        assert_eq!(
            norm_round_pack::<F32>(&mut env, false, -1, 1 << 63, false),
            0x3f80_0000
        );
        assert_eq!(env.flags, Flags(0));
    }
}
