//! Comparisons, minimum/maximum and classification of random edge-biased
//! operands against a model built on the host's own float comparisons
//! (`==`, `<`, `partial_cmp`, `classify`), with the flag rules of each
//! operation and ARM's flushing of subnormal inputs.

mod common;

use chimera_softfloat::*;
use common::{Rng, D, S};
use std::cmp::Ordering;
use std::num::FpCategory;

const NV: u8 = Flags::INVALID;
const ID: u8 = Flags::INPUT_DENORMAL;

/// The host float type standing in for one format.
trait Host: Copy + PartialOrd + PartialEq {
    const SIGN: u64;
    const QUIET: u64;
    const DEFAULT_NAN: u64;
    fn from(bits: u64) -> Self;
    fn is_nan(self) -> bool;
    fn category(self) -> FpCategory;
    fn negative(bits: u64) -> bool {
        bits & Self::SIGN != 0
    }
    fn is_snan(bits: u64) -> bool {
        Self::from(bits).is_nan() && bits & Self::QUIET == 0
    }
}

impl Host for f32 {
    const SIGN: u64 = 1 << 31;
    const QUIET: u64 = 1 << 22;
    const DEFAULT_NAN: u64 = 0x7fc0_0000;
    fn from(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn category(self) -> FpCategory {
        self.classify()
    }
}

impl Host for f64 {
    const SIGN: u64 = 1 << 63;
    const QUIET: u64 = 1 << 51;
    const DEFAULT_NAN: u64 = 0x7ff8_0000_0000_0000;
    fn from(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn category(self) -> FpCategory {
        self.classify()
    }
}

/// Our functions for one format, on `u64` bits.
struct Ops {
    eq: fn(&mut FloatEnv, u64, u64) -> bool,
    lt: fn(&mut FloatEnv, u64, u64) -> bool,
    le: fn(&mut FloatEnv, u64, u64) -> bool,
    compare: fn(&mut FloatEnv, u64, u64, bool) -> Ordering4,
    min: fn(&mut FloatEnv, u64, u64) -> u64,
    max: fn(&mut FloatEnv, u64, u64) -> u64,
    min_arm: fn(&mut FloatEnv, u64, u64) -> u64,
    max_arm: fn(&mut FloatEnv, u64, u64) -> u64,
    classify: fn(&mut FloatEnv, u64) -> u16,
}

const F32_OPS: Ops = Ops {
    eq: |e, a, b| f32_eq(e, a as u32, b as u32),
    lt: |e, a, b| f32_lt(e, a as u32, b as u32),
    le: |e, a, b| f32_le(e, a as u32, b as u32),
    compare: |e, a, b, s| f32_compare(e, a as u32, b as u32, s),
    min: |e, a, b| u64::from(f32_min(e, a as u32, b as u32)),
    max: |e, a, b| u64::from(f32_max(e, a as u32, b as u32)),
    min_arm: |e, a, b| u64::from(f32_min_arm(e, a as u32, b as u32)),
    max_arm: |e, a, b| u64::from(f32_max_arm(e, a as u32, b as u32)),
    classify: |e, a| f32_classify(e, a as u32),
};

const F64_OPS: Ops = Ops {
    eq: f64_eq,
    lt: f64_lt,
    le: f64_le,
    compare: f64_compare,
    min: f64_min,
    max: f64_max,
    min_arm: f64_min_arm,
    max_arm: f64_max_arm,
    classify: f64_classify,
};

/// The smaller (or larger) of two non-NaN values, `-0 < +0`.
fn pick<H: Host>(a: u64, b: u64, max: bool) -> u64 {
    let (x, y) = (H::from(a), H::from(b));
    let a_less = if x == y {
        H::negative(a) && !H::negative(b)
    } else {
        x < y
    };
    if a_less != max {
        a
    } else {
        b
    }
}

fn first_nan<H: Host>(a: u64, b: u64) -> u64 {
    for x in [a, b] {
        if H::is_snan(x) {
            return x | H::QUIET;
        }
    }
    if H::from(a).is_nan() {
        a
    } else {
        b
    }
}

fn check<H: Host>(ops: &Ops, shape: common::Shape, seed: u64) {
    let mut rng = Rng::new(seed);
    let edges = shape.edges();
    let mut pairs: Vec<(u64, u64)> = edges
        .iter()
        .flat_map(|&a| edges.iter().map(move |&b| (a, b)))
        .collect();
    pairs.extend((0..50_000).map(|_| {
        let a = shape.operand(&mut rng);
        let b = if rng.below(2) == 0 {
            shape.partner(&mut rng, a)
        } else {
            shape.operand(&mut rng)
        };
        (a, b)
    }));
    for &(a0, b0) in &pairs {
        for flush in [false, true] {
            let mut base = if flush {
                FloatEnv::arm()
            } else {
                FloatEnv::riscv()
            };
            base.flush_inputs = flush;
            base.flush_outputs = flush;
            let subnormal = |x: u64| matches!(H::from(x).category(), FpCategory::Subnormal);
            let flushed = |x: u64| {
                if flush && subnormal(x) {
                    x & H::SIGN
                } else {
                    x
                }
            };
            let (a, b) = (flushed(a0), flushed(b0));
            let id = if flush && (subnormal(a0) || subnormal(b0)) {
                ID
            } else {
                0
            };
            let (x, y) = (H::from(a), H::from(b));
            let any_nan = x.is_nan() || y.is_nan();
            let any_snan = H::is_snan(a) || H::is_snan(b);
            let quiet_nv = if any_snan { NV } else { 0 };
            let signaling_nv = if any_nan { NV } else { 0 };
            let run = |f: &dyn Fn(&mut FloatEnv) -> u64| {
                let mut env = base.clone();
                let r = f(&mut env);
                (r, env.flags.0)
            };
            let ctx = format!("a={a0:#x} b={b0:#x} flush={flush}");
            assert_eq!(
                run(&|e| u64::from((ops.eq)(e, a0, b0))),
                (u64::from(x == y), quiet_nv | id),
                "eq {ctx}"
            );
            assert_eq!(
                run(&|e| u64::from((ops.lt)(e, a0, b0))),
                (u64::from(x < y), signaling_nv | id),
                "lt {ctx}"
            );
            assert_eq!(
                run(&|e| u64::from((ops.le)(e, a0, b0))),
                (u64::from(x <= y), signaling_nv | id),
                "le {ctx}"
            );
            let order = match x.partial_cmp(&y) {
                Some(Ordering::Less) => Ordering4::Less,
                Some(Ordering::Equal) => Ordering4::Equal,
                Some(Ordering::Greater) => Ordering4::Greater,
                None => Ordering4::Unordered,
            };
            for signaling in [false, true] {
                let mut env = base.clone();
                let got = (ops.compare)(&mut env, a0, b0, signaling);
                let nv = if signaling { signaling_nv } else { quiet_nv };
                assert_eq!(
                    (got, env.flags.0),
                    (order, nv | id),
                    "compare({signaling}) {ctx}"
                );
            }
            for max in [false, true] {
                let want = match (x.is_nan(), y.is_nan()) {
                    (true, true) if flush => first_nan::<H>(a, b),
                    (true, true) => H::DEFAULT_NAN,
                    (true, false) => b,
                    (false, true) => a,
                    (false, false) => pick::<H>(a, b, max),
                };
                let f = if max { ops.max } else { ops.min };
                assert_eq!(
                    run(&|e| f(e, a0, b0)),
                    (want, quiet_nv | id),
                    "min/max({max}) {ctx}"
                );
                let want_arm = if any_nan {
                    first_nan::<H>(a, b)
                } else {
                    pick::<H>(a, b, max)
                };
                let f = if max { ops.max_arm } else { ops.min_arm };
                let mut env = FloatEnv::arm();
                env.flush_inputs = flush;
                env.flush_outputs = flush;
                let got = f(&mut env, a0, b0);
                assert_eq!(
                    (got, env.flags.0),
                    (want_arm, quiet_nv | id),
                    "min/max_arm({max}) {ctx}"
                );
            }
        }
        // fclass: one bit from the host's category, sign and quietness.
        let x = H::from(a0);
        let negative = H::negative(a0);
        let bit = match x.category() {
            FpCategory::Nan if H::is_snan(a0) => 8,
            FpCategory::Nan => 9,
            FpCategory::Infinite => {
                if negative {
                    0
                } else {
                    7
                }
            }
            FpCategory::Normal => {
                if negative {
                    1
                } else {
                    6
                }
            }
            FpCategory::Subnormal => {
                if negative {
                    2
                } else {
                    5
                }
            }
            FpCategory::Zero => {
                if negative {
                    3
                } else {
                    4
                }
            }
        };
        let mut env = FloatEnv::arm();
        env.flush_inputs = true;
        assert_eq!(
            ((ops.classify)(&mut env, a0), env.flags.0),
            (1 << bit, 0),
            "classify {a0:#x}"
        );
    }
}

#[test]
fn binary32_comparisons_min_max_and_classify_match_host_model() {
    check::<f32>(&F32_OPS, S, 1);
}

#[test]
fn binary64_comparisons_min_max_and_classify_match_host_model() {
    check::<f64>(&F64_OPS, D, 2);
}
