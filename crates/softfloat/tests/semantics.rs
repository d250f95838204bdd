//! Hand-written cases for the choices the oracles cannot make for us: the
//! architecture-specific rules (RISC-V vs ARM NaNs, tininess, flush-to-zero,
//! default NaN, alternative half precision, float-to-integer NaN results,
//! minimum/maximum) and a few rounding landmarks.
//!
//! The brief named simple-soft-float as the oracle; version 0.1.0 (the only
//! one) no longer builds on Rust 1.87+ (its `usize::is_multiple_of` call now
//! resolves to the inherent method) and costs 0.6–6 ms per binary64 operation,
//! so the random comparisons use the host FPU and softfp instead (see
//! `oracle.rs`). Neither models ARM: its rules are pinned here, from the ARMv7-M
//! pseudocode (FPProcessNaNs, FPMulAdd, FPRound with FZ, FPUnpack,
//! FPToFixed, FPSingleToHalf with AHP).

use chimera_softfloat::*;

const NV: u8 = Flags::INVALID;
const DZ: u8 = Flags::DIV_BY_ZERO;
const OF: u8 = Flags::OVERFLOW;
const UF: u8 = Flags::UNDERFLOW;
const NX: u8 = Flags::INEXACT;
const ID: u8 = Flags::INPUT_DENORMAL;

const ONE: u32 = 0x3f80_0000;
const TWO: u32 = 0x4000_0000;
const INF: u32 = 0x7f80_0000;
const MAX: u32 = 0x7f7f_ffff;
const MIN_NORMAL: u32 = 0x0080_0000;
const QNAN_A: u32 = 0x7fc0_0001;
const QNAN_B: u32 = 0xffc0_0002;
const SNAN_A: u32 = 0x7f80_0003;
const SNAN_B: u32 = 0xff80_0004;
const DEFAULT_NAN: u32 = 0x7fc0_0000;

fn riscv() -> FloatEnv {
    FloatEnv::riscv()
}

fn arm() -> FloatEnv {
    FloatEnv::arm()
}

fn arm_fz() -> FloatEnv {
    let mut env = FloatEnv::arm();
    env.flush_inputs = true;
    env.flush_outputs = true;
    env
}

/// Runs `f` in `env` and returns its result with the flags it raised.
fn run<T>(mut env: FloatEnv, f: impl FnOnce(&mut FloatEnv) -> T) -> (T, u8) {
    let r = f(&mut env);
    (r, env.flags.0)
}

#[test]
fn environments_start_as_the_architectures_reset() {
    let r = riscv();
    assert_eq!(
        (
            r.rounding,
            r.tininess,
            r.nan_rule,
            r.use_default_nan,
            r.flush_inputs,
            r.flush_outputs,
            r.flags
        ),
        (
            Rounding::NearestEven,
            Tininess::AfterRounding,
            NanRule::Canonical,
            false,
            false,
            false,
            Flags(0)
        )
    );
    let a = arm();
    assert_eq!(
        (
            a.rounding,
            a.tininess,
            a.nan_rule,
            a.use_default_nan,
            a.flush_inputs,
            a.flush_outputs
        ),
        (
            Rounding::NearestEven,
            Tininess::BeforeRounding,
            NanRule::PropagateFirst,
            false,
            false,
            false
        )
    );
}

#[test]
fn riscv_nan_results_are_canonical() {
    assert_eq!(run(riscv(), |e| f32_add(e, QNAN_A, ONE)), (DEFAULT_NAN, 0));
    assert_eq!(
        run(riscv(), |e| f32_mul(e, SNAN_B, QNAN_A)),
        (DEFAULT_NAN, NV)
    );
    assert_eq!(
        run(riscv(), |e| f64_sqrt(e, 0x7ff0_0000_0000_0001)),
        (0x7ff8_0000_0000_0000, NV)
    );
    assert_eq!(run(riscv(), |e| f16_div(e, 0x7e01, 0x3c00)), (0x7e00, 0));
    assert_eq!(
        run(riscv(), |e| f32_to_f64(e, QNAN_B)),
        (0x7ff8_0000_0000_0000, 0)
    );
}

#[test]
fn arm_propagates_signaling_nans_first_then_quiet_in_operand_order() {
    assert_eq!(run(arm(), |e| f32_add(e, QNAN_A, QNAN_B)), (QNAN_A, 0));
    assert_eq!(run(arm(), |e| f32_add(e, QNAN_B, QNAN_A)), (QNAN_B, 0));
    assert_eq!(
        run(arm(), |e| f32_mul(e, QNAN_A, SNAN_B)),
        (SNAN_B | 0x40_0000, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_div(e, SNAN_A, SNAN_B)),
        (SNAN_A | 0x40_0000, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_sub(e, ONE, QNAN_B)),
        (QNAN_B, 0),
        "sub keeps the NaN's sign"
    );
    assert_eq!(
        run(arm(), |e| f32_sqrt(e, SNAN_B)),
        (SNAN_B | 0x40_0000, NV)
    );
    // Invalid operations without NaN operands give the default NaN.
    assert_eq!(run(arm(), |e| f32_sub(e, INF, INF)), (DEFAULT_NAN, NV));
    // FPSCR.DN: every NaN result is the default NaN.
    let mut dn = arm();
    dn.use_default_nan = true;
    assert_eq!(
        run(dn.clone(), |e| f32_add(e, QNAN_B, ONE)),
        (DEFAULT_NAN, 0)
    );
    assert_eq!(run(dn, |e| f32_add(e, SNAN_B, ONE)), (DEFAULT_NAN, NV));
}

#[test]
fn fused_multiply_add_nan_order_and_infinity_times_zero() {
    let zero = 0;
    // ARM VFMA looks at the addend first; signaling NaNs still win.
    assert_eq!(
        run(arm(), |e| f32_mul_add_nan_order(
            e, QNAN_A, ONE, QNAN_B, true
        )),
        (QNAN_B, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_mul_add_nan_order(
            e, QNAN_A, ONE, QNAN_B, false
        )),
        (QNAN_A, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_mul_add_nan_order(
            e, SNAN_A, ONE, QNAN_B, true
        )),
        (SNAN_A | 0x40_0000, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_mul_add(e, ONE, SNAN_B, QNAN_A)),
        (SNAN_B | 0x40_0000, NV)
    );
    // ∞ × 0 + quiet NaN: invalid, default NaN, on both architectures.
    assert_eq!(
        run(riscv(), |e| f32_mul_add(e, INF, zero, QNAN_A)),
        (DEFAULT_NAN, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_mul_add_nan_order(e, zero, INF, QNAN_A, true)),
        (DEFAULT_NAN, NV)
    );
    // ... and with a signaling NaN addend ARM returns it quieted.
    assert_eq!(
        run(arm(), |e| f32_mul_add_nan_order(e, INF, zero, SNAN_A, true)),
        (SNAN_A | 0x40_0000, NV)
    );
    // Exact zero sums: same-signed zeros keep the sign, else +0 (−0 rounding down).
    let neg_one = ONE | 0x8000_0000;
    assert_eq!(run(riscv(), |e| f32_mul_add(e, ONE, ONE, neg_one)), (0, 0));
    let mut down = riscv();
    down.rounding = Rounding::Down;
    assert_eq!(
        run(down, |e| f32_mul_add(e, ONE, ONE, neg_one)),
        (0x8000_0000, 0)
    );
    assert_eq!(
        run(riscv(), |e| f32_mul_add(e, 0x8000_0000, ONE, 0x8000_0000)),
        (0x8000_0000, 0)
    );
    // One rounding: (1 + 2^-12)² − 1 = 2^-11 + 2^-24 exactly; a separate
    // product would round away the 2^-24 (a tie, to even) and give 2^-11.
    assert_eq!(
        run(riscv(), |e| f32_mul_add(
            e,
            0x3f80_0800,
            0x3f80_0800,
            neg_one
        )),
        (0x3a00_0400, 0)
    );
    let product = run(riscv(), |e| f32_mul(e, 0x3f80_0800, 0x3f80_0800)).0;
    assert_eq!(
        run(riscv(), |e| f32_add(e, product, neg_one)),
        (0x3a00_0000, 0)
    );
}

#[test]
fn tininess_is_detected_after_rounding_on_riscv_and_before_on_arm() {
    // (1 − 2^-23) × 2^-126 (1 + 2^-23) = 2^-126 (1 − 2^-46): below the smallest
    // normal, but rounds to it at full precision with an unbounded exponent.
    let (a, b) = (0x3f7f_fffe, 0x0080_0001);
    assert_eq!(run(riscv(), |e| f32_mul(e, a, b)), (MIN_NORMAL, NX));
    assert_eq!(run(arm(), |e| f32_mul(e, a, b)), (MIN_NORMAL, UF | NX));
    // A result that stays subnormal underflows in both.
    assert_eq!(
        run(riscv(), |e| f32_mul(e, 0x3f00_0001, MIN_NORMAL)),
        (0x0040_0000, UF | NX)
    );
    // An exact subnormal result raises nothing.
    assert_eq!(
        run(arm(), |e| f32_mul(e, 0x3f00_0000, MIN_NORMAL)),
        (0x0040_0000, 0)
    );
}

#[test]
fn arm_flush_to_zero_flushes_inputs_and_tiny_results() {
    // A subnormal input reads as zero and sets IDC.
    assert_eq!(run(arm_fz(), |e| f32_add(e, 0x0000_0001, 0)), (0, ID));
    assert_eq!(
        run(arm_fz(), |e| f32_mul(e, 0x8000_0010, ONE)),
        (0x8000_0000, ID)
    );
    assert_eq!(
        run(arm_fz(), |e| f32_compare(
            e,
            0x0000_0001,
            0x8000_0000,
            false
        )),
        (Ordering4::Equal, ID)
    );
    assert_eq!(
        run(arm_fz(), |e| f32_to_i32_arm(e, 0x0000_0001, Rounding::Up)),
        (0, ID)
    );
    // A tiny result becomes a signed zero with UFC and without IXC, even when
    // it would round up to the smallest normal.
    assert_eq!(
        run(arm_fz(), |e| f32_mul(e, 0x3f00_0001, 0x8080_0000)),
        (0x8000_0000, UF)
    );
    assert_eq!(
        run(arm_fz(), |e| f32_mul(e, 0x3f7f_fffe, 0x0080_0001)),
        (0, UF)
    );
    assert_eq!(
        run(arm_fz(), |e| f32_sub(e, 0x0080_0001, MIN_NORMAL)),
        (0, UF),
        "exact but tiny"
    );
    // An exact zero is not tiny.
    assert_eq!(run(arm_fz(), |e| f32_sub(e, ONE, ONE)), (0, 0));
    // Half-precision conversions ignore FZ; the single side still flushes.
    assert_eq!(run(arm_fz(), |e| f16_to_f32(e, 0x0001)), (0x3380_0000, 0));
    assert_eq!(run(arm_fz(), |e| f32_to_f16(e, 0x3380_0000)), (0x0001, 0));
    assert_eq!(run(arm_fz(), |e| f32_to_f16(e, 0x0000_0001)), (0x0000, ID));
}

#[test]
fn float_to_integer_saturates_and_nan_depends_on_the_architecture() {
    let rz = Rounding::TowardZero;
    assert_eq!(run(riscv(), |e| f32_to_i32(e, QNAN_B, rz)), (i32::MAX, NV));
    assert_eq!(run(riscv(), |e| f32_to_u32(e, QNAN_A, rz)), (u32::MAX, NV));
    assert_eq!(
        run(riscv(), |e| f64_to_i64(e, 0x7ff8_0000_0000_0000, rz)),
        (i64::MAX, NV)
    );
    assert_eq!(
        run(riscv(), |e| f64_to_u64(e, 0xfff8_0000_0000_0000, rz)),
        (u64::MAX, NV)
    );
    assert_eq!(run(arm(), |e| f32_to_i32_arm(e, QNAN_B, rz)), (0, NV));
    assert_eq!(run(arm(), |e| f32_to_u32_arm(e, SNAN_A, rz)), (0, NV));
    assert_eq!(
        run(riscv(), |e| f32_to_i32(e, INF | 0x8000_0000, rz)),
        (i32::MIN, NV)
    );
    assert_eq!(
        run(riscv(), |e| f32_to_u32(e, 0xbfc0_0000, rz)),
        (0, NV),
        "-1.5 to unsigned"
    );
    assert_eq!(
        run(riscv(), |e| f32_to_u32(e, 0xbecc_cccd, rz)),
        (0, NX),
        "-0.4 rounds to 0"
    );
    assert_eq!(
        run(riscv(), |e| f32_to_i32(e, 0x4f00_0000, rz)),
        (i32::MAX, NV),
        "2^31"
    );
    assert_eq!(
        run(riscv(), |e| f32_to_i32(e, 0xcf00_0000, rz)),
        (i32::MIN, 0),
        "-2^31"
    );
    assert_eq!(
        run(riscv(), |e| f32_to_i32(
            e,
            0x3fc0_0000,
            Rounding::NearestEven
        )),
        (2, NX)
    );
    assert_eq!(
        run(riscv(), |e| f32_to_i32(
            e,
            0x4020_0000,
            Rounding::NearestEven
        )),
        (2, NX),
        "2.5"
    );
    assert_eq!(
        run(riscv(), |e| f32_to_i32(
            e,
            0x4020_0000,
            Rounding::NearestMaxMagnitude
        )),
        (3, NX)
    );
    assert_eq!(
        run(riscv(), |e| f32_to_i32(e, 0xc020_0000, Rounding::Down)),
        (-3, NX)
    );
}

#[test]
fn integer_to_float_rounds_by_the_environment() {
    assert_eq!(run(riscv(), |e| f32_from_i32(e, 0)), (0, 0));
    assert_eq!(run(riscv(), |e| f32_from_i32(e, -1)), (0xbf80_0000, 0));
    assert_eq!(
        run(riscv(), |e| f32_from_u32(e, 0x0100_0001)),
        (0x4b80_0000, NX)
    );
    let mut up = riscv();
    up.rounding = Rounding::Up;
    assert_eq!(run(up, |e| f32_from_u32(e, 0x0100_0001)), (0x4b80_0001, NX));
    assert_eq!(
        run(riscv(), |e| f64_from_u64(e, u64::MAX)),
        (0x43f0_0000_0000_0000, NX)
    );
    assert_eq!(
        run(riscv(), |e| f64_from_i64(e, i64::MIN)),
        (0xc3e0_0000_0000_0000, 0)
    );
    assert_eq!(run(riscv(), |e| f16_from_u32(e, 65520)), (0x7c00, OF | NX));
    let mut rz = riscv();
    rz.rounding = Rounding::TowardZero;
    // 65520 is halfway between 65504 (the largest half) and 2^16: toward zero
    // it rounds to 65504 without overflowing.
    assert_eq!(run(rz, |e| f16_from_u32(e, 65520)), (0x7bff, NX));
}

#[test]
fn min_and_max_follow_ieee_minimum_number_and_arm_propagates() {
    let neg_zero = 0x8000_0000;
    assert_eq!(run(riscv(), |e| f32_min(e, 0, neg_zero)), (neg_zero, 0));
    assert_eq!(run(riscv(), |e| f32_max(e, neg_zero, 0)), (0, 0));
    assert_eq!(run(riscv(), |e| f32_min(e, QNAN_A, TWO)), (TWO, 0));
    assert_eq!(run(riscv(), |e| f32_max(e, ONE, SNAN_B)), (ONE, NV));
    assert_eq!(
        run(riscv(), |e| f32_min(e, QNAN_A, SNAN_B)),
        (DEFAULT_NAN, NV)
    );
    assert_eq!(
        run(riscv(), |e| f32_min(e, ONE | neg_zero, TWO)),
        (ONE | neg_zero, 0)
    );
    assert_eq!(
        run(riscv(), |e| f32_max(e, INF | neg_zero, MAX | neg_zero)),
        (MAX | neg_zero, 0)
    );
    assert_eq!(run(arm(), |e| f32_min_arm(e, ONE, QNAN_B)), (QNAN_B, 0));
    assert_eq!(
        run(arm(), |e| f32_max_arm(e, QNAN_A, SNAN_B)),
        (SNAN_B | 0x40_0000, NV)
    );
    assert_eq!(run(arm(), |e| f32_max_arm(e, neg_zero, 0)), (0, 0));
    assert_eq!(run(arm(), |e| f64_min_arm(e, 1 << 63, 0)), (1 << 63, 0));
}

#[test]
fn comparisons_raise_invalid_by_kind() {
    assert_eq!(run(riscv(), |e| f32_eq(e, QNAN_A, ONE)), (false, 0));
    assert_eq!(run(riscv(), |e| f32_eq(e, SNAN_A, ONE)), (false, NV));
    assert_eq!(run(riscv(), |e| f32_lt(e, QNAN_A, ONE)), (false, NV));
    assert_eq!(run(riscv(), |e| f32_le(e, ONE, QNAN_A)), (false, NV));
    assert_eq!(run(riscv(), |e| f32_eq(e, 0, 0x8000_0000)), (true, 0));
    assert_eq!(run(riscv(), |e| f32_lt(e, 0x8000_0000, 0)), (false, 0));
    assert_eq!(
        run(riscv(), |e| f32_le(e, INF | 0x8000_0000, MAX | 0x8000_0000)),
        (true, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_compare(e, QNAN_A, ONE, false)),
        (Ordering4::Unordered, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_compare(e, QNAN_A, ONE, true)),
        (Ordering4::Unordered, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_compare(e, SNAN_A, ONE, false)),
        (Ordering4::Unordered, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_compare(e, TWO, ONE, true)),
        (Ordering4::Greater, 0)
    );
    assert_eq!(
        run(arm(), |e| f64_compare(e, 1, 2, false)),
        (Ordering4::Less, 0)
    );
}

#[test]
fn classify_sets_one_riscv_fclass_bit() {
    let cases: [(u32, u16); 10] = [
        (INF | 0x8000_0000, 1 << 0),
        (ONE | 0x8000_0000, 1 << 1),
        (0x8000_0001, 1 << 2),
        (0x8000_0000, 1 << 3),
        (0, 1 << 4),
        (0x0000_0001, 1 << 5),
        (ONE, 1 << 6),
        (INF, 1 << 7),
        (SNAN_B, 1 << 8),
        (QNAN_B, 1 << 9),
    ];
    for (x, bits) in cases {
        assert_eq!(run(arm_fz(), |e| f32_classify(e, x)), (bits, 0), "{x:#x}");
    }
    assert_eq!(run(riscv(), |e| f16_classify(e, 0x7d00)), (1 << 8, 0));
    assert_eq!(
        run(riscv(), |e| f64_classify(e, 0x000f_ffff_ffff_ffff)),
        (1 << 5, 0)
    );
}

#[test]
fn rounding_modes_at_overflow_and_ties() {
    let cases = [
        (Rounding::NearestEven, INF, INF | 0x8000_0000),
        (Rounding::NearestMaxMagnitude, INF, INF | 0x8000_0000),
        (Rounding::TowardZero, MAX, MAX | 0x8000_0000),
        (Rounding::Down, MAX, INF | 0x8000_0000),
        (Rounding::Up, INF, MAX | 0x8000_0000),
    ];
    for (rounding, positive, negative) in cases {
        let mut env = riscv();
        env.rounding = rounding;
        assert_eq!(
            run(env.clone(), |e| f32_mul(e, MAX, TWO)),
            (positive, OF | NX),
            "{rounding:?}"
        );
        assert_eq!(
            run(env, |e| f32_mul(e, MAX | 0x8000_0000, TWO)),
            (negative, OF | NX),
            "{rounding:?}"
        );
    }
    // 1 + 2^-24 is halfway between 1 and 1 + 2^-23.
    let mut away = riscv();
    away.rounding = Rounding::NearestMaxMagnitude;
    assert_eq!(
        run(away, |e| f32_add(e, ONE, 0x3380_0000)),
        (0x3f80_0001, NX)
    );
    assert_eq!(run(riscv(), |e| f32_add(e, ONE, 0x3380_0000)), (ONE, NX));
    assert_eq!(run(riscv(), |e| f32_div(e, ONE, 0)), (INF, DZ));
    assert_eq!(run(riscv(), |e| f32_div(e, 0, 0)), (DEFAULT_NAN, NV));
    assert_eq!(run(riscv(), |e| f32_sqrt(e, 0x8000_0000)), (0x8000_0000, 0));
    assert_eq!(
        run(riscv(), |e| f32_sqrt(e, ONE | 0x8000_0000)),
        (DEFAULT_NAN, NV)
    );
}

#[test]
fn arm_alternative_half_precision_has_no_infinities_or_nans() {
    // Exponent 31 is a normal binade: 0x7c00 is 2^16.
    assert_eq!(run(arm(), |e| f16_alt_to_f32(e, 0x7c00)), (0x4780_0000, 0));
    assert_eq!(run(arm(), |e| f16_alt_to_f32(e, 0xffff)), (0xc7ff_e000, 0));
    assert_eq!(run(arm(), |e| f32_to_f16_alt(e, 0x4780_0000)), (0x7c00, 0));
    assert_eq!(
        run(arm(), |e| f32_to_f16_alt(e, 0x4800_0000)),
        (0x7fff, NV),
        "2^17 saturates"
    );
    assert_eq!(
        run(arm(), |e| f32_to_f16_alt(e, INF | 0x8000_0000)),
        (0xffff, NV)
    );
    assert_eq!(run(arm(), |e| f32_to_f16_alt(e, QNAN_B)), (0x8000, NV));
    assert_eq!(
        run(arm(), |e| f64_to_f16_alt(e, 0x3ff0_0000_0000_0000)),
        (0x3c00, 0)
    );
    assert_eq!(
        run(arm(), |e| f16_alt_to_f64(e, 0x0001)),
        (0x3e70_0000_0000_0000, 0)
    );
    // IEEE half keeps its infinities.
    assert_eq!(
        run(arm(), |e| f32_to_f16(e, 0x4780_0000)),
        (0x7c00, OF | NX)
    );
}

#[test]
fn arm_conversions_keep_nan_payload_top_bits() {
    assert_eq!(
        run(arm(), |e| f32_to_f64(e, SNAN_B)),
        (0xfff8_0000_8000_0000, NV)
    );
    assert_eq!(
        run(arm(), |e| f64_to_f32(e, 0x7ff4_0000_0000_0001)),
        (0x7fe0_0000, NV)
    );
    assert_eq!(
        run(arm(), |e| f64_to_f32(e, 0x7ffc_0000_0000_0001)),
        (0x7fe0_0000, 0)
    );
    assert_eq!(run(arm(), |e| f32_to_f16(e, 0xffc0_2000)), (0xfe01, 0));
}

#[test]
fn flags_accumulate_until_taken() {
    let mut env = riscv();
    f32_div(&mut env, ONE, 0);
    f32_add(&mut env, ONE, 0x3380_0000);
    assert!(env.flags.contains(DZ | NX));
    assert_eq!(env.take_flags(), Flags(DZ | NX));
    assert_eq!(env.flags, Flags(0));
}

#[test]
fn arm_fixed_point_conversions_scale_saturate_and_extend() {
    let rz = Rounding::TowardZero;
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(
            e,
            0x3fc0_0000,
            32,
            true,
            16,
            rz
        )),
        (0x0001_8000, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(
            e,
            0xbf80_0000,
            32,
            true,
            16,
            rz
        )),
        (0xffff_0000, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(e, 0xbf80_0000, 16, true, 0, rz)),
        (0xffff_ffff, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(e, 0x471c_4000, 16, true, 0, rz)),
        (0x7fff, NV),
        "40000"
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(
            e,
            0x471c_4000,
            16,
            false,
            0,
            rz
        )),
        (40000, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(e, 0xc71c_4000, 16, true, 0, rz)),
        (0xffff_8000, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(
            e,
            0x3eaa_aaab,
            16,
            false,
            16,
            rz
        )),
        (0x5555, NX)
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(e, QNAN_A, 32, true, 3, rz)),
        (0, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_to_fixed_arm(e, MAX, 32, false, 32, rz)),
        (u32::MAX, NV)
    );
    assert_eq!(
        run(arm(), |e| f32_from_fixed_arm(e, 0x8000, 16, true, 15)),
        (0xbf80_0000, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_from_fixed_arm(e, 0x1_8000, 32, true, 16)),
        (0x3fc0_0000, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_from_fixed_arm(e, 0xffff_ffff, 16, false, 0)),
        (0x477f_ff00, 0)
    );
    assert_eq!(
        run(arm(), |e| f32_from_fixed_arm(e, 0xffff_ffff, 32, false, 32)),
        (ONE, NX)
    );
    assert_eq!(
        run(arm(), |e| f64_from_fixed_arm(e, 0xffff_ffff, 32, true, 1)),
        (0xbfe0_0000_0000_0000, 0)
    );
    assert_eq!(
        run(arm(), |e| f64_to_fixed_arm(
            e,
            0xbfe0_0000_0000_0000,
            32,
            true,
            1,
            rz
        )),
        (0xffff_ffff, 0)
    );
}

#[test]
fn fixed_point_matches_integer_conversion_of_the_exactly_scaled_value() {
    // a × 2^fbits is exact in binary64, whose own conversion the oracle checks.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let a = (x as u32 & 0x8fff_ffff) | ((x >> 32) as u32 % 48 + 110) << 23;
        let frac_bits = (x >> 40) as u32 % 33;
        let size = if x >> 60 & 1 == 0 { 16 } else { 32 };
        let signed = x >> 61 & 1 == 0;
        let rounding =
            [Rounding::TowardZero, Rounding::NearestEven, Rounding::Down][(x >> 62) as usize % 3];
        let scaled = run(arm(), |e| f32_to_f64(e, a)).0 + (u64::from(frac_bits) << 52);
        let (wide, flags) = run(arm(), |e| f64_to_i64_arm(e, scaled, rounding));
        let (lo, hi) = match (size, signed) {
            (16, true) => (-0x8000, 0x7fff),
            (16, false) => (0, 0xffff),
            (_, true) => (i64::from(i32::MIN), i64::from(i32::MAX)),
            (_, false) => (0, i64::from(u32::MAX)),
        };
        let want = if flags & NV != 0 || wide < lo || wide > hi {
            ((if a >> 31 == 1 { lo } else { hi }) as u32, NV)
        } else {
            (wide as u32, flags)
        };
        let got = run(arm(), |e| {
            f32_to_fixed_arm(e, a, size, signed, frac_bits, rounding)
        });
        assert_eq!(
            got, want,
            "{a:#x} size {size} signed {signed} fbits {frac_bits} {rounding:?}"
        );
    }
}

#[test]
fn alternative_half_precision_agrees_with_ieee_half_below_the_top_binade() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let env = if x >> 63 == 0 { arm() } else { riscv() };
        // Magnitudes below 2^15: no overflow in either encoding.
        let a = (x as u32 & 0x807f_ffff) | (((x >> 32) as u32 % 40 + 87) << 23);
        assert_eq!(
            run(env.clone(), |e| f32_to_f16_alt(e, a)),
            run(env.clone(), |e| f32_to_f16(e, a)),
            "{a:#x}"
        );
        let h = x as u16;
        if h & 0x7c00 != 0x7c00 {
            assert_eq!(
                run(env.clone(), |e| f16_alt_to_f32(e, h)),
                run(env, |e| f16_to_f32(e, h)),
                "{h:#x}"
            );
        }
    }
}
