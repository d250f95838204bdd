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
        match ty {
            Ty::I32 => {
                let [a, b, c] = args.map(|v| f32::from_bits(v as u32));
                let r = match self {
                    FloatOp::Add => a + b,
                    FloatOp::Sub => a - b,
                    FloatOp::Mul => a * b,
                    FloatOp::Div => a / b,
                    FloatOp::Sqrt => a.sqrt(),
                    FloatOp::MulAdd => a.mul_add(b, c),
                    FloatOp::Eq => return u64::from(a == b),
                    FloatOp::Lt => return u64::from(a < b),
                    FloatOp::Le => return u64::from(a <= b),
                };
                u64::from(if r.is_nan() {
                    CANONICAL_NAN_32
                } else {
                    r.to_bits()
                })
            }
            Ty::I64 => {
                let [a, b, c] = args.map(f64::from_bits);
                let r = match self {
                    FloatOp::Add => a + b,
                    FloatOp::Sub => a - b,
                    FloatOp::Mul => a * b,
                    FloatOp::Div => a / b,
                    FloatOp::Sqrt => a.sqrt(),
                    FloatOp::MulAdd => a.mul_add(b, c),
                    FloatOp::Eq => return u64::from(a == b),
                    FloatOp::Lt => return u64::from(a < b),
                    FloatOp::Le => return u64::from(a <= b),
                };
                if r.is_nan() {
                    CANONICAL_NAN_64
                } else {
                    r.to_bits()
                }
            }
        }
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
    fn comparisons_are_ordered() {
        let nan = u64::from(CANONICAL_NAN_32);
        assert_eq!(FloatOp::Eq.eval(Ty::I32, [s(-0.0), s(0.0), 0]), 1);
        assert_eq!(FloatOp::Lt.eval(Ty::I32, [nan, s(1.0), 0]), 0);
        assert_eq!(FloatOp::Le.eval(Ty::I64, [d(1.0), d(1.0), 0]), 1);
        assert_eq!(FloatOp::Lt.eval(Ty::I64, [d(2.0), d(1.0), 0]), 0);
    }
}
