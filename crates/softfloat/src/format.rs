//! The three IEEE 754 binary interchange formats as types, and unpacking raw
//! bits into sign, exponent and significand.
//!
//! Every operation is written once, generic over [`Format`]; the format's field
//! widths are associated constants, so each instantiation compiles to code with
//! its own shifts and masks. Bits travel as `u64` inside the crate whatever the
//! format's width. This module knows nothing of rounding or NaN rules.

use crate::env::{Flags, FloatEnv};

mod sealed {
    /// Keeps [`super::Format`] implementable only inside this crate.
    pub trait Sealed {}
}

/// An IEEE 754 binary format, described by its field widths.
pub trait Format: sealed::Sealed {
    /// Width of the biased exponent field.
    const EXP_BITS: u32;
    /// Width of the stored fraction field (the significand without its implicit bit).
    const FRAC_BITS: u32;
    /// ARM's alternative half precision: the top exponent encodes normal numbers,
    /// there are no infinities or NaNs.
    #[doc(hidden)]
    const AHP: bool = false;

    /// Total width in bits.
    const WIDTH: u32 = 1 + Self::EXP_BITS + Self::FRAC_BITS;
    /// Exponent bias.
    const BIAS: i32 = (1 << (Self::EXP_BITS - 1)) - 1;
    /// Unbiased exponent of the smallest normal number.
    const EMIN: i32 = 1 - Self::BIAS;
    /// Unbiased exponent of the largest finite number.
    const EMAX: i32 = Self::BIAS;
    /// The all-ones biased exponent.
    const EXP_FIELD_MAX: u64 = (1 << Self::EXP_BITS) - 1;
    /// The sign bit.
    const SIGN_BIT: u64 = 1 << (Self::WIDTH - 1);
    /// The fraction field.
    const FRAC_MASK: u64 = (1 << Self::FRAC_BITS) - 1;
    /// The fraction bit that marks a NaN as quiet.
    const QUIET_BIT: u64 = 1 << (Self::FRAC_BITS - 1);
    /// Positive infinity.
    const INFINITY: u64 = Self::EXP_FIELD_MAX << Self::FRAC_BITS;
    /// The default (RISC-V canonical, ARM default) quiet NaN: positive, quiet bit only.
    const DEFAULT_NAN: u64 = Self::INFINITY | Self::QUIET_BIT;
    /// The largest finite number.
    const MAX_FINITE: u64 = Self::INFINITY - 1;
    /// The smallest positive normal number.
    const MIN_NORMAL: u64 = 1 << Self::FRAC_BITS;
}

/// IEEE 754 binary16 (half precision).
#[derive(Clone, Copy, Debug)]
pub struct F16;
/// IEEE 754 binary32 (single precision).
#[derive(Clone, Copy, Debug)]
pub struct F32;
/// IEEE 754 binary64 (double precision).
#[derive(Clone, Copy, Debug)]
pub struct F64;
/// ARM's alternative half precision (`FPSCR.AHP`), for conversions only.
#[derive(Clone, Copy, Debug)]
pub(crate) struct F16Alt;

impl sealed::Sealed for F16 {}
impl sealed::Sealed for F32 {}
impl sealed::Sealed for F64 {}
impl sealed::Sealed for F16Alt {}

impl Format for F16 {
    const EXP_BITS: u32 = 5;
    const FRAC_BITS: u32 = 10;
}
impl Format for F32 {
    const EXP_BITS: u32 = 8;
    const FRAC_BITS: u32 = 23;
}
impl Format for F64 {
    const EXP_BITS: u32 = 11;
    const FRAC_BITS: u32 = 52;
}
impl Format for F16Alt {
    const EXP_BITS: u32 = 5;
    const FRAC_BITS: u32 = 10;
    const AHP: bool = true;
}

/// What an operand is, once subnormal flushing has been applied.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Zero,
    Finite,
    Inf,
    Nan,
}

/// An operand split into its parts. For [`Kind::Finite`] the value is
/// `sig × 2^(exp − FRAC_BITS)` with `sig` normalized: its top bit is bit
/// `FRAC_BITS` (subnormals are normalized, so `exp` may be below `EMIN`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unpacked {
    pub kind: Kind,
    pub sign: bool,
    pub exp: i32,
    pub sig: u64,
}

/// Whether `bits` is a NaN of format `F`.
#[inline(always)]
pub(crate) fn is_nan<F: Format>(bits: u64) -> bool {
    !F::AHP && bits & !F::SIGN_BIT > F::INFINITY
}

/// Whether `bits` is a signaling NaN of format `F`.
#[inline(always)]
pub(crate) fn is_snan<F: Format>(bits: u64) -> bool {
    is_nan::<F>(bits) && bits & F::QUIET_BIT == 0
}

/// Whether `bits` is a nonzero subnormal of format `F`.
#[inline(always)]
pub(crate) fn is_subnormal<F: Format>(bits: u64) -> bool {
    bits & (F::EXP_FIELD_MAX << F::FRAC_BITS) == 0 && bits & F::FRAC_MASK != 0
}

/// `bits` with a subnormal replaced by its signed zero when `flush` is set
/// (raising [`Flags::INPUT_DENORMAL`]).
#[inline(always)]
pub(crate) fn flush_input<F: Format>(env: &mut FloatEnv, bits: u64, flush: bool) -> u64 {
    if flush && is_subnormal::<F>(bits) {
        env.raise(Flags::INPUT_DENORMAL);
        bits & F::SIGN_BIT
    } else {
        bits
    }
}

/// Splits `bits` into its parts, flushing a subnormal to zero when `flush` is set.
#[inline(always)]
pub(crate) fn unpack<F: Format>(env: &mut FloatEnv, bits: u64, flush: bool) -> Unpacked {
    let sign = bits & F::SIGN_BIT != 0;
    let field = (bits >> F::FRAC_BITS) & F::EXP_FIELD_MAX;
    let frac = bits & F::FRAC_MASK;
    if field == 0 {
        if frac == 0 {
            return Unpacked {
                kind: Kind::Zero,
                sign,
                exp: 0,
                sig: 0,
            };
        }
        if flush {
            env.raise(Flags::INPUT_DENORMAL);
            return Unpacked {
                kind: Kind::Zero,
                sign,
                exp: 0,
                sig: 0,
            };
        }
        // Normalize: move the top set bit up to bit FRAC_BITS.
        let shift = frac.leading_zeros() - (63 - F::FRAC_BITS);
        return Unpacked {
            kind: Kind::Finite,
            sign,
            exp: F::EMIN - shift as i32,
            sig: frac << shift,
        };
    }
    if field == F::EXP_FIELD_MAX && !F::AHP {
        let kind = if frac == 0 { Kind::Inf } else { Kind::Nan };
        return Unpacked {
            kind,
            sign,
            exp: 0,
            sig: 0,
        };
    }
    Unpacked {
        kind: Kind::Finite,
        sign,
        exp: field as i32 - F::BIAS,
        sig: frac | (1 << F::FRAC_BITS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_constants_match_the_standard() {
        assert_eq!(
            (F16::BIAS, F16::EMIN, F16::EMAX, F16::DEFAULT_NAN),
            (15, -14, 15, 0x7e00)
        );
        assert_eq!(
            (F32::BIAS, F32::MAX_FINITE, F32::DEFAULT_NAN),
            (127, 0x7f7f_ffff, 0x7fc0_0000)
        );
        assert_eq!((F64::WIDTH, F64::INFINITY), (64, 0x7ff0_0000_0000_0000));
    }

    #[test]
    fn unpack_normalizes_subnormals_and_flushes_on_request() {
        let mut env = FloatEnv::riscv();
        let u = unpack::<F32>(&mut env, 0x0000_0001, false);
        assert_eq!((u.kind, u.exp, u.sig), (Kind::Finite, -149, 1 << 23));
        let u = unpack::<F32>(&mut env, 0x8000_0001, true);
        assert_eq!((u.kind, u.sign), (Kind::Zero, true));
        assert_eq!(env.flags, Flags(Flags::INPUT_DENORMAL));
        assert_eq!(unpack::<F16Alt>(&mut env, 0x7c00, false).kind, Kind::Finite);
        assert_eq!(unpack::<F16>(&mut env, 0x7c01, false).kind, Kind::Nan);
        assert!(is_snan::<F16>(0x7c01) && !is_snan::<F16>(0x7e00) && !is_nan::<F16Alt>(0x7e00));
    }
}
