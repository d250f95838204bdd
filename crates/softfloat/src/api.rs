//! The public per-format functions (`f16_*`, `f32_*`, `f64_*`) on raw bits.
//!
//! Each is a thin wrapper that widens the bits to `u64`, calls the generic core
//! for its [`Format`](crate::Format) and narrows the result. All take the
//! caller's [`FloatEnv`] first and OR any raised flags into `env.flags`.

use crate::arith;
use crate::compare;
use crate::convert::{self, IntTarget};
use crate::env::{FloatEnv, Ordering4, Rounding};
use crate::fma;
use crate::format::{F16Alt, F16, F32, F64};

/// Generates one format's functions; `$T` is its bits type, `$name` its name in docs.
macro_rules! format_api {
    (
        $F:ident, $T:ty, $name:literal, $hard:ident,
        $add:ident, $sub:ident, $mul:ident, $div:ident, $sqrt:ident,
        $mul_add:ident, $mul_add_nan_order:ident,
        $min:ident, $max:ident, $min_arm:ident, $max_arm:ident,
        $eq:ident, $lt:ident, $le:ident, $compare:ident, $classify:ident,
        $to_i32:ident, $to_u32:ident, $to_i64:ident, $to_u64:ident,
        $to_i32_arm:ident, $to_u32_arm:ident, $to_i64_arm:ident, $to_u64_arm:ident,
        $from_i32:ident, $from_u32:ident, $from_i64:ident, $from_u64:ident
    ) => {
        #[doc = concat!($name, " `a + b`.")]
        #[inline]
        pub fn $add(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            if let Some(r) = crate::hard::$hard::add(env, a, b, false) {
                return r;
            }
            arith::add::<$F>(env, u64::from(a), u64::from(b), false) as $T
        }

        #[doc = concat!($name, " `a − b` (a NaN `b` keeps its sign).")]
        #[inline]
        pub fn $sub(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            if let Some(r) = crate::hard::$hard::add(env, a, b, true) {
                return r;
            }
            arith::add::<$F>(env, u64::from(a), u64::from(b), true) as $T
        }

        #[doc = concat!($name, " `a × b`.")]
        #[inline]
        pub fn $mul(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            if let Some(r) = crate::hard::$hard::mul(env, a, b) {
                return r;
            }
            arith::mul::<$F>(env, u64::from(a), u64::from(b)) as $T
        }

        #[doc = concat!($name, " `a ÷ b`.")]
        pub fn $div(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            if let Some(r) = crate::hard::$hard::div(env, a, b) {
                return r;
            }
            arith::div::<$F>(env, u64::from(a), u64::from(b)) as $T
        }

        #[doc = concat!($name, " square root (`sqrt(-0) = -0`).")]
        pub fn $sqrt(env: &mut FloatEnv, a: $T) -> $T {
            if let Some(r) = crate::hard::$hard::sqrt(env, a) {
                return r;
            }
            arith::sqrt::<$F>(env, u64::from(a)) as $T
        }

        #[doc = concat!($name, " `a × b + c`, rounded once; NaN operands taken in the order a, b, c.")]
        pub fn $mul_add(env: &mut FloatEnv, a: $T, b: $T, c: $T) -> $T {
            if let Some(r) = crate::hard::$hard::mul_add(env, a, b, c) {
                return r;
            }
            fma::mul_add::<$F>(env, u64::from(a), u64::from(b), u64::from(c), false) as $T
        }

        #[doc = concat!($name, " `a × b + c`; NaN order c, a, b when `addend_first` (ARM VFMA).")]
        pub fn $mul_add_nan_order(env: &mut FloatEnv, a: $T, b: $T, c: $T, addend_first: bool) -> $T {
            if let Some(r) = crate::hard::$hard::mul_add(env, a, b, c) {
                return r;
            }
            fma::mul_add::<$F>(env, u64::from(a), u64::from(b), u64::from(c), addend_first) as $T
        }

        #[doc = concat!($name, " minimumNumber (RISC-V `fmin`): NaN loses to a number, `-0 < +0`.")]
        pub fn $min(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            compare::min_max::<$F>(env, u64::from(a), u64::from(b), false) as $T
        }

        #[doc = concat!($name, " maximumNumber (RISC-V `fmax`): NaN loses to a number, `-0 < +0`.")]
        pub fn $max(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            compare::min_max::<$F>(env, u64::from(a), u64::from(b), true) as $T
        }

        #[doc = concat!($name, " ARM VMIN (FPMin): NaNs propagate, `-0 < +0`.")]
        pub fn $min_arm(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            compare::min_max_arm::<$F>(env, u64::from(a), u64::from(b), false) as $T
        }

        #[doc = concat!($name, " ARM VMAX (FPMax): NaNs propagate, `-0 < +0`.")]
        pub fn $max_arm(env: &mut FloatEnv, a: $T, b: $T) -> $T {
            compare::min_max_arm::<$F>(env, u64::from(a), u64::from(b), true) as $T
        }

        #[doc = concat!($name, " quiet `a == b` (invalid only for a signaling NaN).")]
        pub fn $eq(env: &mut FloatEnv, a: $T, b: $T) -> bool {
            compare::compare::<$F>(env, u64::from(a), u64::from(b), false) == Ordering4::Equal
        }

        #[doc = concat!($name, " signaling `a < b` (invalid for any NaN).")]
        pub fn $lt(env: &mut FloatEnv, a: $T, b: $T) -> bool {
            compare::compare::<$F>(env, u64::from(a), u64::from(b), true) == Ordering4::Less
        }

        #[doc = concat!($name, " signaling `a <= b` (invalid for any NaN).")]
        pub fn $le(env: &mut FloatEnv, a: $T, b: $T) -> bool {
            matches!(
                compare::compare::<$F>(env, u64::from(a), u64::from(b), true),
                Ordering4::Less | Ordering4::Equal
            )
        }

        #[doc = concat!($name, " comparison (ARM VCMP, or VCMPE when `signaling`).")]
        pub fn $compare(env: &mut FloatEnv, a: $T, b: $T, signaling: bool) -> Ordering4 {
            compare::compare::<$F>(env, u64::from(a), u64::from(b), signaling)
        }

        #[doc = concat!($name, " RISC-V `fclass` bits (never flushes, raises nothing).")]
        pub fn $classify(_env: &mut FloatEnv, a: $T) -> u16 {
            compare::classify::<$F>(u64::from(a))
        }

        #[doc = concat!($name, " to `i32`, saturating; NaN gives `i32::MAX` (RISC-V).")]
        pub fn $to_i32(env: &mut FloatEnv, a: $T, rounding: Rounding) -> i32 {
            let to = IntTarget { width: 32, signed: true, nan_is_zero: false, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to) as i32
        }

        #[doc = concat!($name, " to `u32`, saturating; NaN gives `u32::MAX` (RISC-V).")]
        pub fn $to_u32(env: &mut FloatEnv, a: $T, rounding: Rounding) -> u32 {
            let to = IntTarget { width: 32, signed: false, nan_is_zero: false, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to) as u32
        }

        #[doc = concat!($name, " to `i64`, saturating; NaN gives `i64::MAX` (RISC-V).")]
        pub fn $to_i64(env: &mut FloatEnv, a: $T, rounding: Rounding) -> i64 {
            let to = IntTarget { width: 64, signed: true, nan_is_zero: false, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to) as i64
        }

        #[doc = concat!($name, " to `u64`, saturating; NaN gives `u64::MAX` (RISC-V).")]
        pub fn $to_u64(env: &mut FloatEnv, a: $T, rounding: Rounding) -> u64 {
            let to = IntTarget { width: 64, signed: false, nan_is_zero: false, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to)
        }

        #[doc = concat!($name, " to `i32`, saturating; NaN gives 0 (ARM VCVT).")]
        pub fn $to_i32_arm(env: &mut FloatEnv, a: $T, rounding: Rounding) -> i32 {
            let to = IntTarget { width: 32, signed: true, nan_is_zero: true, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to) as i32
        }

        #[doc = concat!($name, " to `u32`, saturating; NaN gives 0 (ARM VCVT).")]
        pub fn $to_u32_arm(env: &mut FloatEnv, a: $T, rounding: Rounding) -> u32 {
            let to = IntTarget { width: 32, signed: false, nan_is_zero: true, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to) as u32
        }

        #[doc = concat!($name, " to `i64`, saturating; NaN gives 0 (ARM).")]
        pub fn $to_i64_arm(env: &mut FloatEnv, a: $T, rounding: Rounding) -> i64 {
            let to = IntTarget { width: 64, signed: true, nan_is_zero: true, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to) as i64
        }

        #[doc = concat!($name, " to `u64`, saturating; NaN gives 0 (ARM).")]
        pub fn $to_u64_arm(env: &mut FloatEnv, a: $T, rounding: Rounding) -> u64 {
            let to = IntTarget { width: 64, signed: false, nan_is_zero: true, frac_bits: 0 };
            convert::to_int::<$F>(env, u64::from(a), rounding, to)
        }

        #[doc = concat!($name, " from `i32`, rounded by `env.rounding`.")]
        pub fn $from_i32(env: &mut FloatEnv, v: i32) -> $T {
            convert::from_int::<$F>(env, v < 0, u64::from(v.unsigned_abs()), 0) as $T
        }

        #[doc = concat!($name, " from `u32`, rounded by `env.rounding`.")]
        pub fn $from_u32(env: &mut FloatEnv, v: u32) -> $T {
            convert::from_int::<$F>(env, false, u64::from(v), 0) as $T
        }

        #[doc = concat!($name, " from `i64`, rounded by `env.rounding`.")]
        pub fn $from_i64(env: &mut FloatEnv, v: i64) -> $T {
            convert::from_int::<$F>(env, v < 0, v.unsigned_abs(), 0) as $T
        }

        #[doc = concat!($name, " from `u64`, rounded by `env.rounding`.")]
        pub fn $from_u64(env: &mut FloatEnv, v: u64) -> $T {
            convert::from_int::<$F>(env, false, v, 0) as $T
        }
    };
}

format_api!(
    F16,
    u16,
    "binary16",
    none,
    f16_add,
    f16_sub,
    f16_mul,
    f16_div,
    f16_sqrt,
    f16_mul_add,
    f16_mul_add_nan_order,
    f16_min,
    f16_max,
    f16_min_arm,
    f16_max_arm,
    f16_eq,
    f16_lt,
    f16_le,
    f16_compare,
    f16_classify,
    f16_to_i32,
    f16_to_u32,
    f16_to_i64,
    f16_to_u64,
    f16_to_i32_arm,
    f16_to_u32_arm,
    f16_to_i64_arm,
    f16_to_u64_arm,
    f16_from_i32,
    f16_from_u32,
    f16_from_i64,
    f16_from_u64
);

format_api!(
    F32,
    u32,
    "binary32",
    single,
    f32_add,
    f32_sub,
    f32_mul,
    f32_div,
    f32_sqrt,
    f32_mul_add,
    f32_mul_add_nan_order,
    f32_min,
    f32_max,
    f32_min_arm,
    f32_max_arm,
    f32_eq,
    f32_lt,
    f32_le,
    f32_compare,
    f32_classify,
    f32_to_i32,
    f32_to_u32,
    f32_to_i64,
    f32_to_u64,
    f32_to_i32_arm,
    f32_to_u32_arm,
    f32_to_i64_arm,
    f32_to_u64_arm,
    f32_from_i32,
    f32_from_u32,
    f32_from_i64,
    f32_from_u64
);

format_api!(
    F64,
    u64,
    "binary64",
    double,
    f64_add,
    f64_sub,
    f64_mul,
    f64_div,
    f64_sqrt,
    f64_mul_add,
    f64_mul_add_nan_order,
    f64_min,
    f64_max,
    f64_min_arm,
    f64_max_arm,
    f64_eq,
    f64_lt,
    f64_le,
    f64_compare,
    f64_classify,
    f64_to_i32,
    f64_to_u32,
    f64_to_i64,
    f64_to_u64,
    f64_to_i32_arm,
    f64_to_u32_arm,
    f64_to_i64_arm,
    f64_to_u64_arm,
    f64_from_i32,
    f64_from_u32,
    f64_from_i64,
    f64_from_u64
);

/// Generates conversions between formats.
macro_rules! conversions {
    ($($name:ident: $S:ident, $ST:ty => $D:ident, $DT:ty, $doc:literal;)*) => {$(
        #[doc = $doc]
        pub fn $name(env: &mut FloatEnv, a: $ST) -> $DT {
            convert::convert::<$S, $D>(env, u64::from(a)) as $DT
        }
    )*};
}

conversions! {
    f16_to_f32: F16, u16 => F32, u32, "binary16 to binary32 (exact).";
    f16_to_f64: F16, u16 => F64, u64, "binary16 to binary64 (exact).";
    f32_to_f16: F32, u32 => F16, u16, "binary32 to binary16, rounded by `env.rounding`.";
    f32_to_f64: F32, u32 => F64, u64, "binary32 to binary64 (exact).";
    f64_to_f16: F64, u64 => F16, u16, "binary64 to binary16, rounded by `env.rounding`.";
    f64_to_f32: F64, u64 => F32, u32, "binary64 to binary32, rounded by `env.rounding`.";
    f16_alt_to_f32: F16Alt, u16 => F32, u32, "ARM alternative half precision (`FPSCR.AHP`) to binary32 (exact).";
    f16_alt_to_f64: F16Alt, u16 => F64, u64, "ARM alternative half precision to binary64 (exact).";
    f32_to_f16_alt: F32, u32 => F16Alt, u16, "binary32 to ARM alternative half precision: NaN → ±0 and ∞/overflow → ±max, both invalid.";
    f64_to_f16_alt: F64, u64 => F16Alt, u16, "binary64 to ARM alternative half precision: NaN → ±0 and ∞/overflow → ±max, both invalid.";
}

/// Generates ARM's fixed-point conversions (VCVT with `#fbits`) for one format.
macro_rules! fixed_point {
    ($F:ident, $T:ty, $name:literal, $to:ident, $from:ident) => {
        #[doc = concat!($name, " to ARM fixed point (`VCVT.{S,U}{16,32}` with `#fbits`): `size` 16 (else 32) bits with `frac_bits` fraction bits, saturating, NaN gives 0; the result sign- or zero-extended to 32 bits.")]
        pub fn $to(env: &mut FloatEnv, a: $T, size: u32, signed: bool, frac_bits: u32, rounding: Rounding) -> u32 {
            let width = if size <= 16 { 16 } else { 32 };
            let to = IntTarget { width, signed, nan_is_zero: true, frac_bits };
            convert::to_int::<$F>(env, u64::from(a), rounding, to) as u32
        }

        #[doc = concat!($name, " from ARM fixed point: the low `size` (16, else 32) bits of `v`, signed or not, with `frac_bits` fraction bits; rounded by `env.rounding`.")]
        pub fn $from(env: &mut FloatEnv, v: u32, size: u32, signed: bool, frac_bits: u32) -> $T {
            let value = match (size <= 16, signed) {
                (true, true) => i64::from(v as u16 as i16),
                (true, false) => i64::from(v as u16),
                (false, true) => i64::from(v as i32),
                (false, false) => i64::from(v),
            };
            convert::from_int::<$F>(env, value < 0, value.unsigned_abs(), frac_bits) as $T
        }
    };
}

fixed_point!(F32, u32, "binary32", f32_to_fixed_arm, f32_from_fixed_arm);
fixed_point!(F64, u64, "binary64", f64_to_fixed_arm, f64_from_fixed_arm);
