//! Every public function takes any bits in any environment without panicking
//! (debug builds check arithmetic overflow too): random bit patterns, edge
//! values of each format, every rounding mode, with and without flushing,
//! default NaN and each NaN rule.

mod common;

use chimera_softfloat::*;
use common::{Rng, D, H, S};

const MODES: [Rounding; 5] = [
    Rounding::NearestEven,
    Rounding::TowardZero,
    Rounding::Down,
    Rounding::Up,
    Rounding::NearestMaxMagnitude,
];

/// A random environment.
fn env(rng: &mut Rng) -> FloatEnv {
    let mut env = if rng.below(2) == 0 {
        FloatEnv::riscv()
    } else {
        FloatEnv::arm()
    };
    env.rounding = MODES[rng.below(5) as usize];
    env.use_default_nan = rng.below(2) == 0;
    env.flush_inputs = rng.below(2) == 0;
    env.flush_outputs = rng.below(2) == 0;
    if rng.below(2) == 0 {
        env.tininess = Tininess::BeforeRounding;
    }
    env
}

/// Calls every function once on the operands; returns a checksum so nothing
/// is optimized away.
fn call_all(e: &mut FloatEnv, x: [u64; 3], i: i64, r: Rounding) -> u64 {
    let (h, s, d) = (x.map(|v| v as u16), x.map(|v| v as u32), x);
    let mut sum = 0u64;
    let mut add = |v: u64| sum = sum.wrapping_mul(31).wrapping_add(v);
    macro_rules! each_format {
        ($v:expr, $T:ty, $add:ident, $sub:ident, $mul:ident, $div:ident, $sqrt:ident, $fma:ident, $fma_order:ident,
         $min:ident, $max:ident, $min_arm:ident, $max_arm:ident, $eq:ident, $lt:ident, $le:ident, $cmp:ident, $class:ident,
         $ti32:ident, $tu32:ident, $ti64:ident, $tu64:ident, $ti32a:ident, $tu32a:ident, $ti64a:ident, $tu64a:ident,
         $fi32:ident, $fu32:ident, $fi64:ident, $fu64:ident) => {{
            let [a, b, c] = $v;
            add(u64::from($add(e, a, b)));
            add(u64::from($sub(e, a, b)));
            add(u64::from($mul(e, a, b)));
            add(u64::from($div(e, a, b)));
            add(u64::from($sqrt(e, a)));
            add(u64::from($fma(e, a, b, c)));
            add(u64::from($fma_order(e, a, b, c, true)));
            add(u64::from($min(e, a, b)));
            add(u64::from($max(e, a, b)));
            add(u64::from($min_arm(e, a, b)));
            add(u64::from($max_arm(e, a, b)));
            add(u64::from($eq(e, a, b)));
            add(u64::from($lt(e, a, b)));
            add(u64::from($le(e, a, b)));
            add($cmp(e, a, b, true) as u64);
            add(u64::from($class(e, a)));
            add($ti32(e, a, r) as u64);
            add(u64::from($tu32(e, a, r)));
            add($ti64(e, a, r) as u64);
            add($tu64(e, a, r));
            add($ti32a(e, a, r) as u64);
            add(u64::from($tu32a(e, a, r)));
            add($ti64a(e, a, r) as u64);
            add($tu64a(e, a, r));
            add(u64::from($fi32(e, i as i32)));
            add(u64::from($fu32(e, i as u32)));
            add(u64::from($fi64(e, i)));
            add(u64::from($fu64(e, i as u64)));
        }};
    }
    each_format!(
        h,
        u16,
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
    each_format!(
        s,
        u32,
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
    each_format!(
        d,
        u64,
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
    add(u64::from(f16_to_f32(e, h[0])));
    add(f16_to_f64(e, h[0]));
    add(u64::from(f32_to_f16(e, s[0])));
    add(f32_to_f64(e, s[0]));
    add(u64::from(f64_to_f16(e, d[0])));
    add(u64::from(f64_to_f32(e, d[0])));
    add(u64::from(f16_alt_to_f32(e, h[0])));
    add(f16_alt_to_f64(e, h[0]));
    add(u64::from(f32_to_f16_alt(e, s[0])));
    add(u64::from(f64_to_f16_alt(e, d[0])));
    let (size, fbits) = (i as u32 & 63, (i >> 8) as u32 & 127);
    add(u64::from(f32_to_fixed_arm(e, s[1], size, i < 0, fbits, r)));
    add(u64::from(f64_to_fixed_arm(e, d[1], size, i > 0, fbits, r)));
    add(u64::from(f32_from_fixed_arm(
        e,
        i as u32,
        size,
        i < 0,
        fbits,
    )));
    add(f64_from_fixed_arm(e, i as u32, size, i > 0, fbits));
    sum
}

#[test]
fn every_function_accepts_any_bits_in_any_environment() {
    let mut rng = Rng::new(0xdead_beef);
    let mut checksum = 0u64;
    // Edge values of all three formats, in all combinations of two, each format
    // reading its own low bits.
    let edges: Vec<u64> = [H, S, D].iter().flat_map(|s| s.edges()).collect();
    for &a in &edges {
        for &b in &edges {
            let mut e = env(&mut rng);
            let r = MODES[rng.below(5) as usize];
            checksum ^= call_all(
                &mut e,
                [a, b, edges[rng.below(edges.len() as u64) as usize]],
                a as i64,
                r,
            );
        }
    }
    let n = if cfg!(debug_assertions) {
        20_000
    } else {
        200_000
    };
    for _ in 0..n {
        let mut e = env(&mut rng);
        let r = MODES[rng.below(5) as usize];
        let shape = [H, S, D][rng.below(3) as usize];
        let pick = |rng: &mut Rng| {
            if rng.below(2) == 0 {
                rng.next()
            } else {
                shape.operand(rng)
            }
        };
        let x = [pick(&mut rng), pick(&mut rng), pick(&mut rng)];
        checksum ^= call_all(&mut e, x, rng.next() as i64, r);
    }
    println!("checksum {checksum:#x}");
}
