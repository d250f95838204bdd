//! Conversions: float to integer (saturating), integer to float, and between
//! float formats (including ARM's alternative half precision).
//!
//! Float-to-integer results saturate and raise invalid when out of range or
//! NaN; a NaN converts to the largest positive integer on RISC-V and to zero on
//! ARM. Between formats, a half-precision operand or result is never flushed
//! (ARM's conversions ignore FZ for half precision); the single and double
//! sides follow `flush_inputs`/`flush_outputs`.

use crate::env::{Flags, FloatEnv, Rounding};
use crate::format::{is_snan, unpack, Format, Kind};
use crate::round::{infinity, round_pack, shr_jam128, zero};

/// What a float-to-integer conversion produces, as 64-bit two's complement.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IntTarget {
    /// Width of the integer in bits (16, 32 or 64).
    pub width: u32,
    /// Fraction bits of a fixed-point result (0 for an integer).
    pub frac_bits: u32,
    /// Whether the integer is signed.
    pub signed: bool,
    /// NaN converts to zero (ARM) rather than the largest positive value (RISC-V).
    pub nan_is_zero: bool,
}

impl IntTarget {
    /// The largest value, as bits.
    fn max(self) -> u64 {
        let bits = if self.signed {
            self.width - 1
        } else {
            self.width
        };
        if bits == 64 {
            u64::MAX
        } else {
            (1 << bits) - 1
        }
    }

    /// The smallest value, as 64-bit two's complement.
    fn min(self) -> u64 {
        if self.signed {
            (1u64 << (self.width - 1)).wrapping_neg()
        } else {
            0
        }
    }

    /// Largest magnitude allowed for a result of the given sign.
    fn limit(self, negative: bool) -> u128 {
        match (negative, self.signed) {
            (false, _) => u128::from(self.max()),
            (true, true) => 1 << (self.width - 1),
            (true, false) => 0,
        }
    }
}

/// Converts `a` to an integer, rounding by `rounding`.
pub(crate) fn to_int<F: Format>(
    env: &mut FloatEnv,
    a: u64,
    rounding: Rounding,
    to: IntTarget,
) -> u64 {
    let u = unpack::<F>(env, a, env.flush_inputs);
    let saturated = if u.sign { to.min() } else { to.max() };
    match u.kind {
        Kind::Nan => {
            env.raise(Flags::INVALID);
            return if to.nan_is_zero { 0 } else { to.max() };
        }
        Kind::Inf => {
            env.raise(Flags::INVALID);
            return saturated;
        }
        Kind::Zero => return 0,
        Kind::Finite => {}
    }
    // Scaling by 2^frac_bits is exact: it only moves the exponent.
    let exp = u.exp + to.frac_bits.min(128) as i32;
    if exp >= 64 {
        env.raise(Flags::INVALID);
        return saturated;
    }
    // Fixed point with 64 fraction bits: value = x × 2^-64 (fraction sticky).
    let frac_bits = F::FRAC_BITS as i32;
    let x = if exp >= frac_bits {
        u128::from(u.sig) << (64 + exp - frac_bits)
    } else {
        shr_jam128(u128::from(u.sig) << 64, (frac_bits - exp) as u32)
    };
    let (int, frac) = ((x >> 64) as u64, x as u64);
    let half = 1u64 << 63;
    let up = match rounding {
        Rounding::NearestEven => frac > half || (frac == half && int & 1 == 1),
        Rounding::NearestMaxMagnitude => frac >= half,
        Rounding::TowardZero => false,
        Rounding::Down => u.sign && frac != 0,
        Rounding::Up => !u.sign && frac != 0,
    };
    let magnitude = u128::from(int) + u128::from(up);
    if magnitude > to.limit(u.sign) {
        env.raise(Flags::INVALID);
        return saturated;
    }
    if frac != 0 {
        env.raise(Flags::INEXACT);
    }
    let magnitude = magnitude as u64;
    if u.sign {
        magnitude.wrapping_neg()
    } else {
        magnitude
    }
}

/// Converts the fixed-point number `±magnitude × 2^-frac_bits` to format `F`
/// (`frac_bits` 0 for an integer); zero is `+0`.
pub(crate) fn from_int<F: Format>(
    env: &mut FloatEnv,
    negative: bool,
    magnitude: u64,
    frac_bits: u32,
) -> u64 {
    if magnitude == 0 {
        return 0;
    }
    let top = 63 - magnitude.leading_zeros();
    let flush = env.flush_outputs;
    let scale = frac_bits.min(256) as i32;
    if top == 63 {
        let sig = (magnitude >> 1) | (magnitude & 1);
        round_pack::<F>(env, negative, 63 - scale, sig, flush)
    } else {
        round_pack::<F>(
            env,
            negative,
            top as i32 - scale,
            magnitude << (62 - top),
            flush,
        )
    }
}

/// Converts `a` from format `S` to format `D`.
pub(crate) fn convert<S: Format, D: Format>(env: &mut FloatEnv, a: u64) -> u64 {
    let flush_in = env.flush_inputs && S::FRAC_BITS > 10;
    let flush_out = env.flush_outputs && D::FRAC_BITS > 10;
    let u = unpack::<S>(env, a, flush_in);
    match u.kind {
        Kind::Nan if D::AHP => {
            env.raise(Flags::INVALID);
            zero::<D>(u.sign)
        }
        Kind::Nan => {
            if is_snan::<S>(a) {
                env.raise(Flags::INVALID);
            }
            if env.default_nan_only() {
                return D::DEFAULT_NAN;
            }
            // Keep the payload's top bits, quieted.
            let frac = a & S::FRAC_MASK;
            let payload = if D::FRAC_BITS >= S::FRAC_BITS {
                frac << (D::FRAC_BITS - S::FRAC_BITS)
            } else {
                frac >> (S::FRAC_BITS - D::FRAC_BITS)
            };
            infinity::<D>(u.sign) | D::QUIET_BIT | payload
        }
        Kind::Inf if D::AHP => {
            env.raise(Flags::INVALID);
            zero::<D>(u.sign) | (D::SIGN_BIT - 1)
        }
        Kind::Inf => infinity::<D>(u.sign),
        Kind::Zero => zero::<D>(u.sign),
        Kind::Finite => {
            round_pack::<D>(env, u.sign, u.exp, u.sig << (62 - S::FRAC_BITS), flush_out)
        }
    }
}
