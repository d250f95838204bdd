//! Conversions compared result and flags against the host's x86-64 FPU (four
//! rounding modes) and, for ties away, softfp (integer to float) or a model
//! built on host float operations (float to integer): float to integer (RISC-V and ARM
//! NaN rules), integer to float, and between binary16, binary32 and binary64,
//! in the RISC-V, ARM and ARM flush-to-zero environments.
//!
//! binary64 to binary16 has no host instruction; its oracle converts to
//! binary32 with round-to-odd (round toward zero, then set the last bit if
//! inexact) and then to binary16, which is exact because binary32 carries more
//! than 11 + 2 bits.

#![cfg(target_arch = "x86_64")]

mod common;
mod host;

use chimera_softfloat::*;
use common::{Rng, Shape, D, H, S};

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

const NV: u8 = Flags::INVALID;
const UF: u8 = Flags::UNDERFLOW;
const NX: u8 = Flags::INEXACT;
const DN: u8 = Flags::INPUT_DENORMAL;

fn csr(rounding: Rounding) -> u32 {
    host::mxcsr(rounding).expect("host rounding mode")
}

fn sign_of(shape: Shape) -> u64 {
    1 << (shape.exp_bits + shape.frac_bits)
}

fn is_nan(shape: Shape, x: u64) -> bool {
    x & !sign_of(shape) > shape.exp_max() << shape.frac_bits
}

fn is_subnormal(shape: Shape, x: u64) -> bool {
    let m = x & !sign_of(shape);
    m != 0 && m < 1 << shape.frac_bits
}

/// An operand whose magnitude is near an integer width's limits or below one.
fn int_range_operand(shape: Shape, rng: &mut Rng) -> u64 {
    if rng.below(4) == 0 {
        return shape.operand(rng);
    }
    let k = rng.below(70) as i64 - 3;
    shape.make(rng.below(2) == 1, shape.bias() + k, shape.frac(rng))
}

/// Which integer a case converts to.
#[derive(Clone, Copy, Debug)]
enum IntKind {
    I32,
    U32,
    I64,
    U64,
}

impl IntKind {
    fn max(self) -> u64 {
        match self {
            IntKind::I32 => i32::MAX as u64,
            IntKind::U32 => u64::from(u32::MAX),
            IntKind::I64 => i64::MAX as u64,
            IntKind::U64 => u64::MAX,
        }
    }
    fn min(self) -> u64 {
        match self {
            IntKind::I32 => i64::from(i32::MIN) as u64,
            IntKind::I64 => i64::MIN as u64,
            _ => 0,
        }
    }
    fn unsigned(self) -> bool {
        matches!(self, IntKind::U32 | IntKind::U64)
    }
}

/// Ours: float (of `shape`) to integer, as 64-bit two's complement.
fn ours_to_int(
    env: &mut FloatEnv,
    double: bool,
    kind: IntKind,
    arm: bool,
    a: u64,
    r: Rounding,
) -> u64 {
    macro_rules! pick {
        ($f:ident, $fa:ident, $t:ty) => {
            if arm {
                $fa(env, a as $t, r)
            } else {
                $f(env, a as $t, r)
            }
        };
    }
    match (double, kind) {
        (false, IntKind::I32) => pick!(f32_to_i32, f32_to_i32_arm, u32) as i64 as u64,
        (false, IntKind::U32) => u64::from(pick!(f32_to_u32, f32_to_u32_arm, u32)),
        (false, IntKind::I64) => pick!(f32_to_i64, f32_to_i64_arm, u32) as u64,
        (false, IntKind::U64) => pick!(f32_to_u64, f32_to_u64_arm, u32),
        (true, IntKind::I32) => pick!(f64_to_i32, f64_to_i32_arm, u64) as i64 as u64,
        (true, IntKind::U32) => u64::from(pick!(f64_to_u32, f64_to_u32_arm, u64)),
        (true, IntKind::I64) => pick!(f64_to_i64, f64_to_i64_arm, u64) as u64,
        (true, IntKind::U64) => pick!(f64_to_u64, f64_to_u64_arm, u64),
    }
}

/// Host: float to integer, as 64-bit two's complement, and flags.
fn host_to_int(double: bool, kind: IntKind, a: u64, r: Rounding) -> (u64, u8) {
    let c = csr(r);
    let (x, y) = (f32::from_bits(a as u32), f64::from_bits(a));
    match (double, kind) {
        (false, IntKind::I32) => host::f32_to_i32(c, x).map_i32(),
        (false, IntKind::U32) => host::f32_to_u32(c, x).map_u32(),
        (false, IntKind::I64) => host::f32_to_i64(c, x),
        (false, IntKind::U64) => host::f32_to_u64(c, x),
        (true, IntKind::I32) => host::f64_to_i32(c, y).map_i32(),
        (true, IntKind::U32) => host::f64_to_u32(c, y).map_u32(),
        (true, IntKind::I64) => host::f64_to_i64(c, y),
        (true, IntKind::U64) => host::f64_to_u64(c, y),
    }
}

trait Widen {
    fn map_i32(self) -> (u64, u8);
    fn map_u32(self) -> (u64, u8);
}

impl Widen for (u32, u8) {
    fn map_i32(self) -> (u64, u8) {
        (self.0 as i32 as i64 as u64, self.1)
    }
    fn map_u32(self) -> (u64, u8) {
        (u64::from(self.0), self.1)
    }
}

/// Ties-away float to integer, modelled with host float operations (x86 has
/// no such rounding, and softfp mishandles out-of-range values): the
/// fraction `x - trunc(x)` is exact, ties round away from zero.
fn ties_away_to_int(double: bool, kind: IntKind, a: u64) -> (u64, u8) {
    let x = if double {
        f64::from_bits(a)
    } else {
        f64::from(f32::from_bits(a as u32))
    };
    let (lo, hi): (i128, i128) = match kind {
        IntKind::I32 => (i32::MIN.into(), i32::MAX.into()),
        IntKind::U32 => (0, u32::MAX.into()),
        IntKind::I64 => (i64::MIN.into(), i64::MAX.into()),
        IntKind::U64 => (0, u64::MAX.into()),
    };
    let t = x.trunc();
    let frac = (x - t).abs();
    let rounded = if frac >= 0.5 { t + x.signum() } else { t };
    // `as` saturates; every float below 2^127 converts exactly.
    let v = rounded as i128;
    if x.is_infinite() || v < lo || v > hi {
        return (if x < 0.0 { kind.min() } else { kind.max() }, NV);
    }
    (v as u64, if frac != 0.0 { NX } else { 0 })
}

mod softfp_adapter;
use softfp_adapter::run;

#[test]
fn float_to_int_matches_host_and_softfp() {
    let unsigned_on_host = std::arch::is_x86_feature_detected!("avx512f");
    let mut failures = Vec::new();
    let mut count = 0;
    for (double, shape) in [(false, S), (true, D)] {
        let mut rng = Rng::new(0x1234 + u64::from(double));
        let edges = shape.edges();
        let operands: Vec<u64> = edges
            .iter()
            .copied()
            .chain((0..iterations()).map(|_| int_range_operand(shape, &mut rng)))
            .collect();
        for kind in [IntKind::I32, IntKind::U32, IntKind::I64, IntKind::U64] {
            if kind.unsigned() && !unsigned_on_host {
                continue;
            }
            for &a in &operands {
                count += 1;
                for r in HOST_MODES {
                    for (arm, flush) in [(false, false), (true, false), (true, true)] {
                        let mut env = if arm {
                            FloatEnv::arm()
                        } else {
                            FloatEnv::riscv()
                        };
                        env.flush_inputs = flush;
                        env.flush_outputs = flush;
                        let flushed = flush && is_subnormal(shape, a);
                        let input = if flushed { a & sign_of(shape) } else { a };
                        let (value, flags) = host_to_int(double, kind, input, r);
                        let want = if flags & NV != 0 {
                            let v = if is_nan(shape, input) {
                                if arm {
                                    0
                                } else {
                                    kind.max()
                                }
                            } else if input & sign_of(shape) != 0 {
                                kind.min()
                            } else {
                                kind.max()
                            };
                            (v, NV)
                        } else {
                            (value, flags)
                        };
                        let want = (want.0, want.1 | if flushed { DN } else { 0 });
                        let got = ours_to_int(&mut env, double, kind, arm, a, r);
                        if (got, env.flags.0) != want {
                            failures.push(format!(
                                "{a:#x} to {kind:?} {r:?} arm={arm} fz={flush}: got {got:#x} {:#x}, want {:#x} {:#x}",
                                env.flags.0, want.0, want.1
                            ));
                        }
                    }
                }
                if !is_nan(shape, a) {
                    let want = ties_away_to_int(double, kind, a);
                    let mut env = FloatEnv::riscv();
                    let got = ours_to_int(
                        &mut env,
                        double,
                        kind,
                        false,
                        a,
                        Rounding::NearestMaxMagnitude,
                    );
                    if (got, env.flags.0) != want {
                        failures.push(format!(
                            "{a:#x} to {kind:?} ties-away: got {got:#x} {:#x}, want {:#x} {:#x}",
                            env.flags.0, want.0, want.1
                        ));
                    }
                }
            }
        }
    }
    println!("{count} float-to-integer cases (unsigned on host: {unsigned_on_host})");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// An integer with a random number of significant bits and patterns that
/// make halfway cases.
fn int_operand(rng: &mut Rng) -> u64 {
    let width = rng.below(65) as u32;
    let x = if width == 64 {
        rng.next()
    } else {
        rng.next() & ((1u64 << width) - 1)
    };
    match rng.below(4) {
        0 => x | (1u64 << width.saturating_sub(1)),
        1 => x & !((1u64 << rng.below(40)) - 1),
        _ => x,
    }
}

#[test]
fn int_to_float_matches_host_and_softfp() {
    let unsigned_on_host = std::arch::is_x86_feature_detected!("avx512f");
    let mut rng = Rng::new(99);
    let mut failures = Vec::new();
    let mut values: Vec<u64> = vec![
        0,
        1,
        u64::MAX,
        i64::MAX as u64,
        i64::MIN as u64,
        u64::from(u32::MAX),
        1 << 24,
        (1 << 24) + 1,
        (1 << 53) + 1,
        (1 << 54) + 2,
    ];
    values.extend((0..iterations()).map(|_| int_operand(&mut rng)));
    for &v in &values {
        for r in HOST_MODES
            .into_iter()
            .chain([Rounding::NearestMaxMagnitude])
        {
            let mut env = FloatEnv::riscv();
            env.rounding = r;
            let ours: [(u64, FloatEnv); 8] = {
                let run_ours = |f: &dyn Fn(&mut FloatEnv) -> u64| {
                    let mut e = env.clone();
                    (f(&mut e), e)
                };
                [
                    run_ours(&|e| u64::from(f32_from_i32(e, v as i32))),
                    run_ours(&|e| u64::from(f32_from_u32(e, v as u32))),
                    run_ours(&|e| u64::from(f32_from_i64(e, v as i64))),
                    run_ours(&|e| u64::from(f32_from_u64(e, v))),
                    run_ours(&|e| f64_from_i32(e, v as i32)),
                    run_ours(&|e| f64_from_u32(e, v as u32)),
                    run_ours(&|e| f64_from_i64(e, v as i64)),
                    run_ours(&|e| f64_from_u64(e, v)),
                ]
            };
            let want: [(u64, u8); 8] = if let Some(c) = host::mxcsr(r) {
                let s = |(x, f): (f32, u8)| (u64::from(x.to_bits()), f);
                let d = |(x, f): (f64, u8)| (x.to_bits(), f);
                let u32_f = if unsigned_on_host {
                    s(host::u32_to_f32(c, v as u32))
                } else {
                    (ours[1].0, ours[1].1.flags.0)
                };
                let u64_f = if unsigned_on_host {
                    s(host::u64_to_f32(c, v))
                } else {
                    (ours[3].0, ours[3].1.flags.0)
                };
                let u32_d = if unsigned_on_host {
                    d(host::u32_to_f64(c, v as u32))
                } else {
                    (ours[5].0, ours[5].1.flags.0)
                };
                let u64_d = if unsigned_on_host {
                    d(host::u64_to_f64(c, v))
                } else {
                    (ours[7].0, ours[7].1.flags.0)
                };
                [
                    s(host::i32_to_f32(c, v as u32)),
                    u32_f,
                    s(host::i64_to_f32(c, v)),
                    u64_f,
                    d(host::i32_to_f64(c, v as u32)),
                    u32_d,
                    d(host::i64_to_f64(c, v)),
                    u64_d,
                ]
            } else {
                let s = |(x, f): (softfp::F32, u8)| (u64::from(x.0), f);
                let d = |(x, f): (softfp::F64, u8)| (x.0, f);
                [
                    s(run(r, || softfp::F32::convert_from_sint::<u32>(v as u32))),
                    s(run(r, || softfp::F32::convert_from_uint::<u32>(v as u32))),
                    s(run(r, || softfp::F32::convert_from_sint::<u64>(v))),
                    s(run(r, || softfp::F32::convert_from_uint::<u64>(v))),
                    d(run(r, || softfp::F64::convert_from_sint::<u32>(v as u32))),
                    d(run(r, || softfp::F64::convert_from_uint::<u32>(v as u32))),
                    d(run(r, || softfp::F64::convert_from_sint::<u64>(v))),
                    d(run(r, || softfp::F64::convert_from_uint::<u64>(v))),
                ]
            };
            for (i, ((got, e), want)) in ours.iter().zip(want).enumerate() {
                if (*got, e.flags.0) != want {
                    failures.push(format!(
                        "{v:#x} kind {i} {r:?}: got {got:#x} {:#x}, want {:#x} {:#x}",
                        e.flags.0, want.0, want.1
                    ));
                }
            }
        }
    }
    println!("{} integers x 8 conversions x 5 modes", values.len());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// The environments a float-to-float case runs in.
fn envs(r: Rounding) -> [(FloatEnv, &'static str); 3] {
    let mut riscv = FloatEnv::riscv();
    riscv.rounding = r;
    let mut arm = FloatEnv::arm();
    arm.rounding = r;
    let mut fz = arm.clone();
    fz.flush_inputs = true;
    fz.flush_outputs = true;
    [(riscv, "riscv"), (arm, "arm"), (fz, "arm-fz")]
}

/// Checks one float-to-float conversion `from → to` against a host conversion
/// in each environment; `flush_from`/`flush_to` say whether ARM FZ applies to
/// that side (never to binary16).
fn check_float_conversion(
    from: Shape,
    to: Shape,
    a: u64,
    ours: &dyn Fn(&mut FloatEnv, u64) -> u64,
    host_conv: &dyn Fn(u32, u64) -> (u64, u8),
    failures: &mut Vec<String>,
) {
    let flush_from = from.frac_bits > 10;
    let flush_to = to.frac_bits > 10;
    for r in HOST_MODES {
        for (mut env, name) in envs(r) {
            let fz = env.flush_inputs;
            let mut flags = 0;
            let mut input = a;
            if fz && flush_from && is_subnormal(from, a) {
                input &= sign_of(from);
                flags |= DN;
            }
            let (mut want, host_flags) = host_conv(csr(r), input);
            let mut want_flags = flags | host_flags;
            if is_nan(to, want) {
                if name == "riscv" {
                    want = to.make(false, to.exp_max() as i64, 1 << (to.frac_bits - 1));
                }
            } else if name != "riscv" {
                // ARM: tininess before rounding, and flush-to-zero of tiny results.
                let (rz, _) = host_conv(csr(Rounding::TowardZero), input);
                let m = rz & !sign_of(to);
                let tiny = m < 1 << to.frac_bits && host_flags & NX != 0;
                let tiny = tiny || (m != 0 && m < 1 << to.frac_bits);
                if fz && flush_to && tiny {
                    want = rz & sign_of(to);
                    want_flags = flags | UF;
                } else {
                    want_flags =
                        (want_flags & !UF) | if tiny && host_flags & NX != 0 { UF } else { 0 };
                }
            }
            let got = ours(&mut env, a);
            if (got, env.flags.0) != (want, want_flags) {
                failures.push(format!(
                    "{a:#x} ({}->{}) {name} {r:?}: got {got:#x} {:#x}, want {want:#x} {want_flags:#x}",
                    from.frac_bits, to.frac_bits, env.flags.0
                ));
            }
        }
    }
}

#[test]
fn float_to_float_matches_host() {
    assert!(
        std::arch::is_x86_feature_detected!("f16c"),
        "the oracle needs F16C"
    );
    let mut failures = Vec::new();
    let mut rng = Rng::new(7);
    let h_to_s = |c: u32, a: u64| {
        let (x, f) = host::f16_to_f32(c, a as u16);
        (u64::from(x.to_bits()), f)
    };
    let s_to_h = |c: u32, a: u64| {
        let (x, f) = host::f32_to_f16(c, f32::from_bits(a as u32));
        (u64::from(x), f)
    };
    let s_to_d = |c: u32, a: u64| {
        let (x, f) = host::f32_to_f64(c, f32::from_bits(a as u32));
        (x.to_bits(), f)
    };
    let d_to_s = |c: u32, a: u64| {
        let (x, f) = host::f64_to_f32(c, f64::from_bits(a));
        (u64::from(x.to_bits()), f)
    };
    // Round to odd into binary32, then round to binary16.
    let d_to_h = |c: u32, a: u64| {
        let (x, f1) = host::f64_to_f32(csr(Rounding::TowardZero), f64::from_bits(a));
        let odd = if f1 & NX != 0 && !x.is_nan() {
            f32::from_bits(x.to_bits() | 1)
        } else {
            x
        };
        let (h, f2) = host::f32_to_f16(c, odd);
        (u64::from(h), (f1 & NV) | f2)
    };
    let h_to_d = |c: u32, a: u64| {
        let (x, f1) = host::f16_to_f32(c, a as u16);
        let (y, f2) = host::f32_to_f64(c, x);
        (y.to_bits(), f1 | f2)
    };
    // Every binary16 value.
    for a in 0..=0xffffu64 {
        check_float_conversion(
            H,
            S,
            a,
            &|e, a| u64::from(f16_to_f32(e, a as u16)),
            &h_to_s,
            &mut failures,
        );
        check_float_conversion(
            H,
            D,
            a,
            &|e, a| f16_to_f64(e, a as u16),
            &h_to_d,
            &mut failures,
        );
    }
    let n = iterations();
    for _ in 0..n {
        let near_half = |rng: &mut Rng, shape: Shape| {
            if rng.below(2) == 0 {
                shape.operand(rng)
            } else {
                let k = rng.below(50) as i64 - 28;
                shape.make(rng.below(2) == 1, shape.bias() + k, shape.frac(rng))
            }
        };
        let s = near_half(&mut rng, S);
        let d = near_half(&mut rng, D);
        let d_near_s = if rng.below(2) == 0 {
            let k = rng.below(300) as i64 - 150;
            D.make(rng.below(2) == 1, D.bias() + k, D.frac(&mut rng))
        } else {
            D.operand(&mut rng)
        };
        check_float_conversion(
            S,
            H,
            s,
            &|e, a| u64::from(f32_to_f16(e, a as u32)),
            &s_to_h,
            &mut failures,
        );
        check_float_conversion(
            S,
            D,
            s,
            &|e, a| f32_to_f64(e, a as u32),
            &s_to_d,
            &mut failures,
        );
        check_float_conversion(
            D,
            S,
            d_near_s,
            &|e, a| u64::from(f64_to_f32(e, a)),
            &d_to_s,
            &mut failures,
        );
        check_float_conversion(
            D,
            H,
            d,
            &|e, a| u64::from(f64_to_f16(e, a)),
            &d_to_h,
            &mut failures,
        );
    }
    println!(
        "65536 x 2 binary16 widenings and {n} x 4 random conversions, 3 environments x 4 modes"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
