//! IEEE 754 arithmetic on bit patterns: the IR's float operations.
//!
//! They hold no float state: no rounding-mode register, no exception
//! flags. A frontend uses them for the common case its guest's rules
//! allow (round to nearest, no flag that is not already raised) and
//! checks the result, falling back to a helper otherwise: what QEMU calls
//! "hardfloat". Their exact results are fixed here so that every backend
//! computes the same bits.

use super::Ty;

/// A float operation on `I32` (binary32) or `I64` (binary64) bit
/// patterns. Results round to nearest, ties to even; subnormal operands
/// and results are kept (no flush to zero); every NaN result is the
/// canonical quiet NaN (sign clear, only the quiet bit of the fraction
/// set: `0x7fc0_0000`, `0x7ff8_0000_0000_0000`), whatever the operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloatOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// The square root of `a`.
    Sqrt,
    /// `a * b + c` rounded once.
    MulAdd,
    /// 1 when `a == b` (so `-0 == +0`), else 0; 0 when either is a NaN.
    Eq,
    /// 1 when `a < b`, else 0; 0 when either is a NaN.
    Lt,
    /// 1 when `a <= b`, else 0; 0 when either is a NaN.
    Le,
}

impl FloatOp {
    /// How many operands it reads (the first of `Op::Float`'s `args`).
    pub fn arity(self) -> usize {
        match self {
            FloatOp::Sqrt => 1,
            FloatOp::MulAdd => 3,
            _ => 2,
        }
    }

    /// Evaluates the operation at width `ty` on `args` (the first
    /// [`arity`](Self::arity) are read); the reference semantics every
    /// backend follows.
    pub fn eval(self, ty: Ty, args: [u64; 3]) -> u64 {
        // The result (`Ok`) or a comparison's truth (`Err`), in either
        // format.
        macro_rules! apply {
            ($a:expr, $b:expr, $c:expr) => {
                match self {
                    FloatOp::Add => Ok($a + $b),
                    FloatOp::Sub => Ok($a - $b),
                    FloatOp::Mul => Ok($a * $b),
                    FloatOp::Div => Ok($a / $b),
                    FloatOp::Sqrt => Ok($a.sqrt()),
                    FloatOp::MulAdd => Ok($a.mul_add($b, $c)),
                    FloatOp::Eq => Err($a == $b),
                    FloatOp::Lt => Err($a < $b),
                    FloatOp::Le => Err($a <= $b),
                }
            };
        }
        match ty {
            Ty::I32 => {
                let [a, b, c] = args.map(|v| f32::from_bits(v as u32));
                match apply!(a, b, c) {
                    Ok(r) => u64::from(canonical_32(r)),
                    Err(holds) => u64::from(holds),
                }
            }
            Ty::I64 => {
                let [a, b, c] = args.map(f64::from_bits);
                match apply!(a, b, c) {
                    Ok(r) => canonical_64(r),
                    Err(holds) => u64::from(holds),
                }
            }
        }
    }
}

/// A conversion between float formats, or between floats and integers.
/// The operand and result types (`I32`, `I64`) give the integer widths
/// and float formats (binary32, binary64). Results round to nearest, ties
/// to even, where they round at all; NaN results are canonical, as for
/// [`FloatOp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloatConv {
    /// The signed integer `src` as a float.
    FromSigned,
    /// The unsigned integer `src` as a float.
    FromUnsigned,
    /// Float `src` rounded toward zero to a signed integer; out of range
    /// saturates to the least or greatest, a NaN gives 0.
    ToSignedTruncated,
    /// Float `src` rounded toward zero to an unsigned integer; out of
    /// range saturates to 0 or the greatest, a NaN gives 0.
    ToUnsignedTruncated,
    /// Float `src` in the other format: binary32 to binary64 exactly,
    /// binary64 to binary32 rounded. `src` and `dst` differ in type.
    Resize,
}

impl FloatConv {
    /// Converts `src` of type `from` to type `to`; the reference
    /// semantics every backend follows.
    pub fn eval(self, from: Ty, to: Ty, src: u64) -> u64 {
        let float = |v: f64| match to {
            Ty::I32 => u64::from(canonical_32(v as f32)),
            Ty::I64 => canonical_64(v),
        };
        // Rust's float-to-integer `as` truncates, saturates and maps NaN
        // to 0, as these conversions do.
        let truncate = |v: f64, signed: bool| match (to, signed) {
            (Ty::I32, true) => u64::from(v as i32 as u32),
            (Ty::I32, false) => u64::from(v as u32),
            (Ty::I64, true) => v as i64 as u64,
            (Ty::I64, false) => v as u64,
        };
        let as_f64 = |bits: u64| match from {
            Ty::I32 => f64::from(f32::from_bits(bits as u32)),
            Ty::I64 => f64::from_bits(bits),
        };
        match self {
            // Through f32 directly: rounding via f64 first could round
            // twice.
            FloatConv::FromSigned => match (from, to) {
                (Ty::I32, Ty::I32) => u64::from((src as u32 as i32 as f32).to_bits()),
                (Ty::I64, Ty::I32) => u64::from((src as i64 as f32).to_bits()),
                (Ty::I32, Ty::I64) => f64::from(src as u32 as i32).to_bits(),
                (Ty::I64, Ty::I64) => (src as i64 as f64).to_bits(),
            },
            FloatConv::FromUnsigned => match (from, to) {
                (Ty::I32, Ty::I32) => u64::from((src as u32 as f32).to_bits()),
                (Ty::I64, Ty::I32) => u64::from((src as f32).to_bits()),
                (Ty::I32, Ty::I64) => f64::from(src as u32).to_bits(),
                (Ty::I64, Ty::I64) => (src as f64).to_bits(),
            },
            FloatConv::ToSignedTruncated => truncate(as_f64(src), true),
            FloatConv::ToUnsignedTruncated => truncate(as_f64(src), false),
            FloatConv::Resize => float(as_f64(src)),
        }
    }
}

fn canonical_32(v: f32) -> u32 {
    if v.is_nan() {
        CANONICAL_NAN_32
    } else {
        v.to_bits()
    }
}

fn canonical_64(v: f64) -> u64 {
    if v.is_nan() {
        CANONICAL_NAN_64
    } else {
        v.to_bits()
    }
}

/// binary32's canonical quiet NaN, every NaN result of a [`FloatOp`].
pub const CANONICAL_NAN_32: u32 = 0x7fc0_0000;
/// binary64's canonical quiet NaN.
pub const CANONICAL_NAN_64: u64 = 0x7ff8_0000_0000_0000;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: f32) -> u64 {
        u64::from(v.to_bits())
    }

    fn d(v: f64) -> u64 {
        v.to_bits()
    }

    #[test]
    fn results_round_to_nearest_even() {
        // 1 + 2^-24 is a tie between 1 and 1 + 2^-23: even is 1.
        let tie = FloatOp::Add.eval(Ty::I32, [s(1.0), s(f32::EPSILON / 2.0), 0]);
        assert_eq!(tie, s(1.0));
        assert_eq!(
            FloatOp::Div.eval(Ty::I64, [d(1.0), d(3.0), 0]),
            d(1.0 / 3.0)
        );
        assert_eq!(FloatOp::Sqrt.eval(Ty::I64, [d(2.0), 0, 0]), d(2f64.sqrt()));
    }

    #[test]
    fn mul_add_rounds_once() {
        // (1 + e)(1 - e) - 1 = -e^2 exactly, which two roundings lose.
        let e = f64::EPSILON;
        let r = FloatOp::MulAdd.eval(Ty::I64, [d(1.0 + e), d(1.0 - e), d(-1.0)]);
        assert_eq!(r, d(-e * e));
    }

    #[test]
    fn nan_results_are_canonical() {
        let neg_nan = 0xffc0_0001u64;
        assert_eq!(
            FloatOp::Add.eval(Ty::I32, [neg_nan, s(1.0), 0]),
            u64::from(CANONICAL_NAN_32)
        );
        assert_eq!(
            FloatOp::Sqrt.eval(Ty::I64, [d(-1.0), 0, 0]),
            CANONICAL_NAN_64
        );
        assert_eq!(
            FloatOp::Sub.eval(Ty::I64, [d(f64::INFINITY), d(f64::INFINITY), 0]),
            CANONICAL_NAN_64
        );
    }

    #[test]
    fn subnormals_are_kept() {
        let tiny = f32::MIN_POSITIVE / 4.0;
        assert_eq!(
            FloatOp::Mul.eval(Ty::I32, [s(tiny), s(2.0), 0]),
            s(tiny * 2.0)
        );
        assert_ne!(tiny * 2.0, 0.0);
    }

    #[test]
    fn conversions_round_saturate_and_resize() {
        use FloatConv::*;
        // 2^24 + 1 is not a binary32: nearest even is 2^24.
        assert_eq!(
            FromSigned.eval(Ty::I32, Ty::I32, (1 << 24) + 1),
            s(16_777_216.0)
        );
        assert_eq!(FromSigned.eval(Ty::I32, Ty::I64, 0xffff_ffff), d(-1.0));
        assert_eq!(
            FromUnsigned.eval(Ty::I32, Ty::I64, 0xffff_ffff),
            d(4_294_967_295.0)
        );
        assert_eq!(
            FromUnsigned.eval(Ty::I64, Ty::I32, u64::MAX),
            s(18_446_744_073_709_551_616.0)
        );
        assert_eq!(
            ToSignedTruncated.eval(Ty::I64, Ty::I32, d(-2.9)),
            0xffff_fffe
        );
        assert_eq!(
            ToSignedTruncated.eval(Ty::I64, Ty::I32, d(1e10)),
            0x7fff_ffff
        );
        assert_eq!(
            ToSignedTruncated.eval(Ty::I32, Ty::I64, u64::from(CANONICAL_NAN_32)),
            0
        );
        assert_eq!(ToUnsignedTruncated.eval(Ty::I32, Ty::I32, s(-1.0)), 0);
        assert_eq!(
            ToUnsignedTruncated.eval(Ty::I64, Ty::I64, d(1e30)),
            u64::MAX
        );
        assert_eq!(Resize.eval(Ty::I32, Ty::I64, s(0.1)), d(f64::from(0.1f32)));
        assert_eq!(Resize.eval(Ty::I64, Ty::I32, d(0.1)), s(0.1));
        assert_eq!(
            Resize.eval(Ty::I64, Ty::I32, 0xfff8_0000_0000_0001),
            u64::from(CANONICAL_NAN_32)
        );
    }

    #[test]
    fn comparisons_are_ordered() {
        let nan = u64::from(CANONICAL_NAN_32);
        assert_eq!(FloatOp::Eq.eval(Ty::I32, [s(-0.0), s(0.0), 0]), 1);
        assert_eq!(FloatOp::Lt.eval(Ty::I32, [nan, s(1.0), 0]), 0);
        assert_eq!(FloatOp::Le.eval(Ty::I64, [d(1.0), d(1.0), 0]), 1);
        assert_eq!(FloatOp::Lt.eval(Ty::I64, [d(2.0), d(1.0), 0]), 0);
    }
}
