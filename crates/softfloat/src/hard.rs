//! The host's own floating point as a fast path (what QEMU calls
//! "hardfloat"): when the result cannot raise any flag but inexact, and
//! inexact is already raised, the host's IEEE arithmetic gives the same
//! bits as the soft path, much faster.
//!
//! Taken only when: rounding is to nearest even (the host's mode); the
//! caller's flags already hold inexact (so whether this operation was
//! exact does not matter); every operand is a normal number or a zero
//! (no NaN, infinity or subnormal: no invalid, no input-denormal, no
//! NaN rule); and the result is finite and strictly above the smallest
//! normal in magnitude (no overflow, no tininess before or after
//! rounding, nothing to flush), or an exact zero of a kind listed per
//! operation. Anything else returns `None` and the caller computes in
//! software. The host must run with IEEE default modes (round to nearest,
//! no flush-to-zero), as Rust programs do.

use crate::env::{Flags, FloatEnv, Rounding};

fn usable(env: &FloatEnv) -> bool {
    env.rounding == Rounding::NearestEven && env.flags.contains(Flags::INEXACT)
}

/// Generates one host format's fast paths.
macro_rules! host_format {
    ($module:ident, $T:ty, $H:ty, $exp_shift:literal, $exp_max:literal) => {
        /// Fast paths for this format.
        pub(crate) mod $module {
            use super::usable;
            use crate::env::FloatEnv;

            fn normal_or_zero(x: $T) -> bool {
                let e = (x >> $exp_shift) & $exp_max;
                e != $exp_max && (e != 0 || x << 1 == 0)
            }

            fn zero(x: $T) -> bool {
                x << 1 == 0
            }

            /// Whether host result `r` is finite and clear of the
            /// subnormal range.
            fn clear(r: $H) -> bool {
                r.is_finite() && r.abs() > <$H>::MIN_POSITIVE
            }

            /// `a + b` (`a − b` when `negate`).
            #[inline]
            pub(crate) fn add(env: &FloatEnv, a: $T, b: $T, negate: bool) -> Option<$T> {
                if !(usable(env) && normal_or_zero(a) && normal_or_zero(b)) {
                    return None;
                }
                let (x, y) = (<$H>::from_bits(a), <$H>::from_bits(b));
                let r = if negate { x - y } else { x + y };
                // A zero sum of normals or zeros is exact; its sign follows
                // IEEE's rule for round to nearest, as the host's does.
                (clear(r) || r == 0.0).then(|| r.to_bits())
            }

            /// `a × b`.
            #[inline]
            pub(crate) fn mul(env: &FloatEnv, a: $T, b: $T) -> Option<$T> {
                if !(usable(env) && normal_or_zero(a) && normal_or_zero(b)) {
                    return None;
                }
                let r = <$H>::from_bits(a) * <$H>::from_bits(b);
                (clear(r) || zero(a) || zero(b)).then(|| r.to_bits())
            }

            /// `a ÷ b`.
            #[inline]
            pub(crate) fn div(env: &FloatEnv, a: $T, b: $T) -> Option<$T> {
                if !(usable(env) && normal_or_zero(a) && normal_or_zero(b)) || zero(b) {
                    return None;
                }
                let r = <$H>::from_bits(a) / <$H>::from_bits(b);
                (clear(r) || zero(a)).then(|| r.to_bits())
            }

            /// Square root.
            #[inline]
            pub(crate) fn sqrt(env: &FloatEnv, a: $T) -> Option<$T> {
                let negative = a >> (<$T>::BITS - 1) != 0;
                if !(usable(env) && normal_or_zero(a)) || (negative && !zero(a)) {
                    return None;
                }
                Some(<$H>::from_bits(a).sqrt().to_bits())
            }

            /// `a × b + c`, rounded once.
            #[inline]
            pub(crate) fn mul_add(env: &FloatEnv, a: $T, b: $T, c: $T) -> Option<$T> {
                if !(usable(env) && normal_or_zero(a) && normal_or_zero(b) && normal_or_zero(c)) {
                    return None;
                }
                let r = <$H>::from_bits(a).mul_add(<$H>::from_bits(b), <$H>::from_bits(c));
                clear(r).then(|| r.to_bits())
            }
        }
    };
}

host_format!(single, u32, f32, 23, 0xff);
host_format!(double, u64, f64, 52, 0x7ff);

/// No host type (binary16): always the soft path.
pub(crate) mod none {
    use crate::env::FloatEnv;

    pub(crate) fn add<T>(_: &FloatEnv, _: T, _: T, _: bool) -> Option<T> {
        None
    }

    pub(crate) fn mul<T>(_: &FloatEnv, _: T, _: T) -> Option<T> {
        None
    }

    pub(crate) fn div<T>(_: &FloatEnv, _: T, _: T) -> Option<T> {
        None
    }

    pub(crate) fn sqrt<T>(_: &FloatEnv, _: T) -> Option<T> {
        None
    }

    pub(crate) fn mul_add<T>(_: &FloatEnv, _: T, _: T, _: T) -> Option<T> {
        None
    }
}

#[cfg(test)]
mod tests {
    //! The fast path against the soft path it stands for: same bits, and
    //! the soft path raising nothing but inexact, whenever the fast path
    //! answers.
    use super::{double, single};
    use crate::env::{Flags, FloatEnv};
    use crate::format::{F32, F64};
    use crate::{arith, fma};

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn env(flags: u8) -> FloatEnv {
        let mut e = FloatEnv::riscv();
        e.flags = Flags(flags);
        e
    }

    /// Operands: random bits, and values near the edges (tiny, huge,
    /// zeros, ones) of a format with `exp_shift` and the largest exponent
    /// `exp_max`.
    fn operand(rng: &mut Rng, exp_shift: u32, exp_max: u64) -> u64 {
        let r = rng.next();
        let mantissa = r & ((1 << exp_shift) - 1);
        let sign = (r >> 63) << (exp_shift + exp_max.count_ones());
        let exp = match r >> 60 & 7 {
            0 => 0,
            1 => 1,
            2 => 2,
            3 => exp_max - 1,
            4 => exp_max - 2,
            5 => exp_max >> 1,
            _ => (r >> 40) % exp_max,
        };
        let mantissa = if r >> 59 & 1 == 0 { mantissa } else { 0 };
        sign | (exp << exp_shift) | mantissa
    }

    macro_rules! check_format {
        ($name:ident, $F:ty, $T:ty, $m:ident, $shift:literal, $max:literal, $one:literal) => {
            #[test]
            fn $name() {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
                let mut taken = 0u32;
                for _ in 0..200_000 {
                    let a = operand(&mut rng, $shift, $max) as $T;
                    let b = operand(&mut rng, $shift, $max) as $T;
                    let c = operand(&mut rng, $shift, $max) as $T;
                    let (wa, wb, wc) = (u64::from(a), u64::from(b), u64::from(c));
                    let cases: [(Option<$T>, fn(&mut FloatEnv, u64, u64, u64) -> u64); 6] = [
                        ($m::add(&env(Flags::INEXACT), a, b, false), |e, a, b, _| {
                            arith::add::<$F>(e, a, b, false)
                        }),
                        ($m::add(&env(Flags::INEXACT), a, b, true), |e, a, b, _| {
                            arith::add::<$F>(e, a, b, true)
                        }),
                        ($m::mul(&env(Flags::INEXACT), a, b), |e, a, b, _| {
                            arith::mul::<$F>(e, a, b)
                        }),
                        ($m::div(&env(Flags::INEXACT), a, b), |e, a, b, _| {
                            arith::div::<$F>(e, a, b)
                        }),
                        ($m::sqrt(&env(Flags::INEXACT), a), |e, a, _, _| {
                            arith::sqrt::<$F>(e, a)
                        }),
                        ($m::mul_add(&env(Flags::INEXACT), a, b, c), |e, a, b, c| {
                            fma::mul_add::<$F>(e, a, b, c, false)
                        }),
                    ];
                    for (k, (fast, soft)) in cases.into_iter().enumerate() {
                        let Some(fast) = fast else { continue };
                        taken += 1;
                        let mut e = env(0);
                        let want = soft(&mut e, wa, wb, wc) as $T;
                        assert_eq!(
                            fast, want,
                            "op {k} on {a:#x} {b:#x} {c:#x}: host {fast:#x}, soft {want:#x}"
                        );
                        assert_eq!(
                            e.flags.0 & !Flags::INEXACT,
                            0,
                            "op {k} on {a:#x} {b:#x} {c:#x} raised {:#x}",
                            e.flags.0
                        );
                    }
                }
                assert!(taken > 100_000, "the fast path answered only {taken} times");
                // Never without inexact already raised, nor in another mode.
                let mut e = env(Flags::INEXACT);
                assert!($m::add(&e, $one, $one, false).is_some());
                e.flags = Flags(0);
                assert_eq!($m::add(&e, $one, $one, false), None);
                e.flags = Flags(Flags::INEXACT);
                e.rounding = crate::env::Rounding::TowardZero;
                assert_eq!($m::add(&e, $one, $one, false), None);
            }
        };
    }

    check_format!(
        binary32_fast_path_matches_the_soft_path,
        F32,
        u32,
        single,
        23,
        0xff,
        0x3f80_0000
    );
    check_format!(
        binary64_fast_path_matches_the_soft_path,
        F64,
        u64,
        double,
        52,
        0x7ff,
        0x3ff0_0000_0000_0000
    );
}
