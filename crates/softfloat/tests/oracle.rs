//! Every rounding operation, for binary32 and binary64, compared result and
//! flags against two independent oracles: the host's x86-64 FPU for the four
//! IEEE directed/nearest-even modes, and the `softfp` crate for
//! round-to-nearest-away (which x86 lacks).
//!
//! x86 detects tininess after rounding and returns its own NaNs, so the
//! architecture-specific choices are layered on as small models that use the
//! oracle for the arithmetic: RISC-V canonical NaNs; ARM's before-rounding
//! tininess (tiny iff the round-toward-zero result is below the smallest
//! normal); ARM's NaN propagation; ARM's flush-to-zero of inputs and of
//! results whose exact value is below the smallest normal.
//!
//! Operands are random bit patterns biased toward edge exponents, halfway
//! fractions and operand pairs that cancel or land at the overflow and
//! underflow boundaries, plus every pair (and triple) of hand-picked edge
//! values. Each operation gets 100,000 random cases in debug builds (what
//! `cargo test` and CI run) and 500,000 with `--release`, every case checked in
//! three environments × four host rounding modes plus ties-away.

#![cfg(target_arch = "x86_64")]

mod common;
mod host;

use chimera_softfloat::*;
use common::{Rng, Shape, D, S};

/// Random cases per operation, rounding mode and environment.
fn iterations() -> usize {
    if cfg!(debug_assertions) {
        100_000
    } else {
        500_000
    }
}

const HOST_MODES: [Rounding; 4] = [
    Rounding::NearestEven,
    Rounding::TowardZero,
    Rounding::Down,
    Rounding::Up,
];

const UF: u8 = Flags::UNDERFLOW;
const NX: u8 = Flags::INEXACT;
const NV: u8 = Flags::INVALID;
const DN: u8 = Flags::INPUT_DENORMAL;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    MulAdd,
}

const OPS: [Op; 6] = [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Sqrt, Op::MulAdd];

impl Op {
    fn arity(self) -> usize {
        match self {
            Op::Sqrt => 1,
            Op::MulAdd => 3,
            _ => 2,
        }
    }
}

/// The environment a case runs in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arch {
    RiscV,
    Arm,
    ArmFlushToZero,
}

impl Arch {
    fn env(self, rounding: Rounding) -> FloatEnv {
        let mut env = match self {
            Arch::RiscV => FloatEnv::riscv(),
            Arch::Arm | Arch::ArmFlushToZero => FloatEnv::arm(),
        };
        env.rounding = rounding;
        env.flush_inputs = self == Arch::ArmFlushToZero;
        env.flush_outputs = self == Arch::ArmFlushToZero;
        env
    }
}

/// One format under test: our functions, the host's and softfp's.
trait Fmt {
    const SHAPE: Shape;
    fn ours(env: &mut FloatEnv, op: Op, a: u64, b: u64, c: u64, addend_first: bool) -> u64;
    fn host(csr: u32, op: Op, a: u64, b: u64, c: u64) -> (u64, u8);
    fn softfp(rounding: Rounding, op: Op, a: u64, b: u64, c: u64) -> Option<(u64, u8)>;

    fn sign() -> u64 {
        1 << (Self::SHAPE.exp_bits + Self::SHAPE.frac_bits)
    }
    fn inf() -> u64 {
        Self::SHAPE.exp_max() << Self::SHAPE.frac_bits
    }
    fn quiet() -> u64 {
        1 << (Self::SHAPE.frac_bits - 1)
    }
    fn default_nan() -> u64 {
        Self::inf() | Self::quiet()
    }
    fn min_normal() -> u64 {
        1 << Self::SHAPE.frac_bits
    }
    fn is_nan(x: u64) -> bool {
        x & !Self::sign() > Self::inf()
    }
    fn is_snan(x: u64) -> bool {
        Self::is_nan(x) && x & Self::quiet() == 0
    }
    fn is_zero(x: u64) -> bool {
        x & !Self::sign() == 0
    }
    fn is_inf(x: u64) -> bool {
        x & !Self::sign() == Self::inf()
    }
    fn is_subnormal(x: u64) -> bool {
        x & !Self::sign() != 0 && x & !Self::sign() < Self::min_normal()
    }
}

struct F32Ops;
struct F64Ops;

impl Fmt for F32Ops {
    const SHAPE: Shape = S;
    fn ours(env: &mut FloatEnv, op: Op, a: u64, b: u64, c: u64, addend_first: bool) -> u64 {
        let (a, b, c) = (a as u32, b as u32, c as u32);
        u64::from(match op {
            Op::Add => f32_add(env, a, b),
            Op::Sub => f32_sub(env, a, b),
            Op::Mul => f32_mul(env, a, b),
            Op::Div => f32_div(env, a, b),
            Op::Sqrt => f32_sqrt(env, a),
            Op::MulAdd => f32_mul_add_nan_order(env, a, b, c, addend_first),
        })
    }
    fn host(csr: u32, op: Op, a: u64, b: u64, c: u64) -> (u64, u8) {
        let (a, b, c) = (
            f32::from_bits(a as u32),
            f32::from_bits(b as u32),
            f32::from_bits(c as u32),
        );
        let (r, f) = match op {
            Op::Add => host::add32(csr, a, b),
            Op::Sub => host::sub32(csr, a, b),
            Op::Mul => host::mul32(csr, a, b),
            Op::Div => host::div32(csr, a, b),
            Op::Sqrt => host::sqrt32(csr, a),
            Op::MulAdd => host::fma32(csr, a, b, c),
        };
        (u64::from(r.to_bits()), f)
    }
    fn softfp(rounding: Rounding, op: Op, a: u64, b: u64, c: u64) -> Option<(u64, u8)> {
        use softfp::F32;
        let (a, b, c) = (F32::new(a as u32), F32::new(b as u32), F32::new(c as u32));
        let (r, f) = softfp_adapter::run(rounding, || match op {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Sqrt => a.square_root(),
            Op::MulAdd => F32::fused_multiply_add(a, b, c),
        });
        Some((u64::from(r.0), f))
    }
}

impl Fmt for F64Ops {
    const SHAPE: Shape = D;
    fn ours(env: &mut FloatEnv, op: Op, a: u64, b: u64, c: u64, addend_first: bool) -> u64 {
        match op {
            Op::Add => f64_add(env, a, b),
            Op::Sub => f64_sub(env, a, b),
            Op::Mul => f64_mul(env, a, b),
            Op::Div => f64_div(env, a, b),
            Op::Sqrt => f64_sqrt(env, a),
            Op::MulAdd => f64_mul_add_nan_order(env, a, b, c, addend_first),
        }
    }
    fn host(csr: u32, op: Op, a: u64, b: u64, c: u64) -> (u64, u8) {
        let (a, b, c) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(c));
        let (r, f) = match op {
            Op::Add => host::add64(csr, a, b),
            Op::Sub => host::sub64(csr, a, b),
            Op::Mul => host::mul64(csr, a, b),
            Op::Div => host::div64(csr, a, b),
            Op::Sqrt => host::sqrt64(csr, a),
            Op::MulAdd => host::fma64(csr, a, b, c),
        };
        (r.to_bits(), f)
    }
    fn softfp(rounding: Rounding, op: Op, a: u64, b: u64, c: u64) -> Option<(u64, u8)> {
        use softfp::F64;
        let (a, b, c) = (F64::new(a), F64::new(b), F64::new(c));
        let (r, f) = softfp_adapter::run(rounding, || match op {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Sqrt => a.square_root(),
            Op::MulAdd => F64::fused_multiply_add(a, b, c),
        });
        Some((r.0, f))
    }
}

/// binary16 through the host: the operation in binary64 rounded to odd (toward
/// zero, last bit set if inexact), narrowed to binary32 the same way, then
/// rounded to binary16 in the wanted mode. Each odd rounding keeps more than
/// 11 + 2 bits, so the final rounding and its flags are those of the exact
/// result. An exact zero is recomputed in the wanted mode for its sign.
struct F16Ops;

impl Fmt for F16Ops {
    const SHAPE: Shape = common::H;
    fn ours(env: &mut FloatEnv, op: Op, a: u64, b: u64, c: u64, addend_first: bool) -> u64 {
        let (a, b, c) = (a as u16, b as u16, c as u16);
        u64::from(match op {
            Op::Add => f16_add(env, a, b),
            Op::Sub => f16_sub(env, a, b),
            Op::Mul => f16_mul(env, a, b),
            Op::Div => f16_div(env, a, b),
            Op::Sqrt => f16_sqrt(env, a),
            Op::MulAdd => f16_mul_add_nan_order(env, a, b, c, addend_first),
        })
    }
    fn host(csr: u32, op: Op, a: u64, b: u64, c: u64) -> (u64, u8) {
        let widen = |x: u64| {
            let (s, _) = host::f16_to_f32(csr, x as u16);
            u64::from(s.to_bits())
        };
        let widen = |x: u64| f64::from(f32::from_bits(widen(x) as u32)).to_bits();
        let rtz = host::mxcsr(Rounding::TowardZero).expect("rtz");
        let (wide, f1) = F64Ops::host(rtz, op, widen(a), widen(b), widen(c));
        let wide = if f1 & NX != 0 {
            wide | 1
        } else if wide & !(1 << 63) == 0 {
            F64Ops::host(csr, op, widen(a), widen(b), widen(c)).0
        } else {
            wide
        };
        let (single, f2) = host::f64_to_f32(rtz, f64::from_bits(wide));
        let single = if f2 & NX != 0 && !single.is_nan() {
            f32::from_bits(single.to_bits() | 1)
        } else {
            single
        };
        let (half, f3) = host::f32_to_f16(csr, single);
        // Widening quiets a signaling NaN: its invalid flag comes from here.
        let snan = [a, b, c][..op.arity()].iter().any(|&x| Self::is_snan(x));
        let invalid = if snan { NV } else { 0 };
        (
            u64::from(half),
            invalid | (f1 & (NV | Flags::DIV_BY_ZERO)) | f3,
        )
    }
    fn softfp(_: Rounding, _: Op, _: u64, _: u64, _: u64) -> Option<(u64, u8)> {
        None
    }
}

mod softfp_adapter;

/// ARM's FPProcessNaNs over `ops` in order: first signaling NaN quieted, else
/// the first quiet NaN.
fn propagate_model<F: Fmt>(ops: &[u64]) -> u64 {
    if let Some(&x) = ops.iter().find(|&&x| F::is_snan(x)) {
        return x | F::quiet();
    }
    *ops.iter().find(|&&x| F::is_nan(x)).expect("a NaN operand")
}

/// The expected result and flags of `op` in `arch` under a host-supported mode.
fn expected<F: Fmt>(arch: Arch, rounding: Rounding, op: Op, a: u64, b: u64, c: u64) -> (u64, u8) {
    let csr = host::mxcsr(rounding).expect("host rounding mode");
    let mut ops = [a, b, c];
    let mut flags = 0;
    if arch == Arch::ArmFlushToZero {
        for x in &mut ops[..op.arity()] {
            if F::is_subnormal(*x) {
                *x &= F::sign();
                flags |= DN;
            }
        }
    }
    let [a, b, c] = ops;
    let used = &ops[..op.arity()];
    let (r, host_flags) = F::host(csr, op, a, b, c);
    let nan_in = used.iter().any(|&x| F::is_nan(x));
    if nan_in || F::is_nan(r) {
        flags |= host_flags & NV;
        let inf_times_zero = op == Op::MulAdd
            && ((F::is_inf(a) && F::is_zero(b)) || (F::is_zero(a) && F::is_inf(b)));
        if inf_times_zero {
            flags |= NV;
        }
        let result = if arch == Arch::RiscV || !nan_in {
            F::default_nan()
        } else if op == Op::MulAdd {
            if inf_times_zero && !F::is_snan(c) {
                F::default_nan()
            } else {
                propagate_model::<F>(&[c, a, b])
            }
        } else {
            propagate_model::<F>(used)
        };
        return (result, flags);
    }
    let tiny_before = || {
        let (rz, fz) = F::host(host::mxcsr(Rounding::TowardZero).expect("rtz"), op, a, b, c);
        let magnitude = rz & !F::sign();
        (
            magnitude < F::min_normal() && (magnitude != 0 || fz & NX != 0),
            rz & F::sign(),
        )
    };
    match arch {
        Arch::RiscV => (r, host_flags),
        Arch::Arm => {
            let underflow = if host_flags & NX != 0 && tiny_before().0 {
                UF
            } else {
                0
            };
            (r, (host_flags & !UF) | underflow)
        }
        Arch::ArmFlushToZero => match tiny_before() {
            (true, sign) => (sign, flags | UF),
            (false, _) => (r, flags | host_flags),
        },
    }
}

/// Runs `op` on `(a, b, c)` in every environment and host rounding mode, and
/// in round-to-nearest-away against softfp; returns a description of the first
/// mismatch.
fn check_case<F: Fmt>(op: Op, a: u64, b: u64, c: u64) -> Result<(), String> {
    for arch in [Arch::RiscV, Arch::Arm, Arch::ArmFlushToZero] {
        for rounding in HOST_MODES {
            let want = expected::<F>(arch, rounding, op, a, b, c);
            let mut env = arch.env(rounding);
            let got = F::ours(&mut env, op, a, b, c, arch != Arch::RiscV);
            let got = (got, env.flags.0);
            if got != want {
                return Err(format!(
                    "{op:?}({a:#x}, {b:#x}, {c:#x}) {arch:?} {rounding:?}: got {:#x} flags {:#04x}, want {:#x} flags {:#04x}",
                    got.0, got.1, want.0, want.1
                ));
            }
        }
    }
    // Ties away: softfp models RISC-V; NaN operands are covered above.
    if ![a, b, c][..op.arity()].iter().any(|&x| F::is_nan(x)) {
        let rounding = Rounding::NearestMaxMagnitude;
        let Some((want, want_flags)) = F::softfp(rounding, op, a, b, c) else {
            return Ok(());
        };
        let want = if F::is_nan(want) {
            F::default_nan()
        } else {
            want
        };
        // softfp bug: `±0 × x + ±0` with the product and addend of one sign
        // gives +0; IEEE 754 (and the host, in the other modes) give that sign.
        let same_sign_zeros = op == Op::MulAdd
            && (F::is_zero(a) || F::is_zero(b))
            && !F::is_inf(a)
            && !F::is_inf(b)
            && F::is_zero(c)
            && ((a ^ b) & F::sign() == c & F::sign());
        let want = if same_sign_zeros { c } else { want };
        let mut env = Arch::RiscV.env(rounding);
        let got = F::ours(&mut env, op, a, b, c, false);
        if (got, env.flags.0) != (want, want_flags) {
            return Err(format!(
                "{op:?}({a:#x}, {b:#x}, {c:#x}) RiscV NearestMaxMagnitude: got {got:#x} flags {:#04x}, softfp {want:#x} flags {want_flags:#04x}",
                env.flags.0
            ));
        }
    }
    Ok(())
}

/// Random and edge-case operands for every operation of format `F`.
fn check_format<F: Fmt>(seed: u64) {
    assert!(
        std::arch::is_x86_feature_detected!("fma"),
        "the oracle needs FMA3"
    );
    let shape = F::SHAPE;
    let edges = shape.edges();
    let mut failures = Vec::new();
    let mut count = 0usize;
    for op in OPS {
        // Every pair of edge values (and, for fused multiply-add, every triple
        // whose addend is an edge value too).
        for &a in &edges {
            for &b in &edges {
                let cs: &[u64] = if op == Op::MulAdd { &edges } else { &[0] };
                for &c in cs {
                    count += 1;
                    if let Err(e) = check_case::<F>(op, a, b, c) {
                        failures.push(e);
                    }
                }
            }
        }
        let mut rng = Rng::new(seed ^ op as u64);
        for _ in 0..iterations() {
            let a = shape.operand(&mut rng);
            let b = if rng.below(2) == 0 {
                shape.partner(&mut rng, a)
            } else {
                shape.operand(&mut rng)
            };
            let c = match (op, rng.below(3)) {
                // An addend near the product, for cancellation.
                (Op::MulAdd, 0) => {
                    let mut env = FloatEnv::riscv();
                    let p = F::ours(&mut env, Op::Mul, a, b, 0, false);
                    shape.partner(&mut rng, p)
                }
                _ => shape.operand(&mut rng),
            };
            count += 1;
            if let Err(e) = check_case::<F>(op, a, b, c) {
                failures.push(e);
            }
        }
    }
    println!("{count} cases, each in 3 environments x 4 host modes + ties-away");
    assert!(
        failures.is_empty(),
        "{} mismatches, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn binary32_arithmetic_matches_host_fpu_and_softfp() {
    check_format::<F32Ops>(0x5eed_0032);
}

#[test]
fn binary16_arithmetic_matches_host_fpu() {
    assert!(
        std::arch::is_x86_feature_detected!("f16c"),
        "the oracle needs F16C"
    );
    check_format::<F16Ops>(0x5eed_0016);
}

#[test]
fn binary64_arithmetic_matches_host_fpu_and_softfp() {
    check_format::<F64Ops>(0x5eed_0064);
}
