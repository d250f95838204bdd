//! Nanoseconds per operation for the common cases (`cargo bench -p
//! chimera-softfloat`): add, mul, fused multiply-add, div and sqrt of normal
//! binary32/binary64 operands in the RISC-V environment, plus conversions.
//! Under `cargo test --all-targets` one short round proves it runs.

use std::hint::black_box;
use std::time::Instant;

use chimera_softfloat::*;

/// Normal operands in [1, 4), varied so branch predictors see real data.
fn operands32(n: usize) -> Vec<u32> {
    let mut x = 0x9e37_79b9u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            0x3f80_0000 | (x & 0x00ff_ffff)
        })
        .collect()
}

fn operands64(n: usize) -> Vec<u64> {
    operands32(n)
        .iter()
        .map(|&x| 0x3ff0_0000_0000_0000 | (u64::from(x) << 29 & 0x001f_ffff_ffff_ffff))
        .collect()
}

/// Runs `f` over the operands `rounds` times and prints ns per call.
fn bench<T: Copy>(
    name: &str,
    ops: &[T],
    rounds: usize,
    mut f: impl FnMut(&mut FloatEnv, T, T) -> u64,
) {
    let mut env = FloatEnv::riscv();
    let mut sink = 0u64;
    let start = Instant::now();
    for _ in 0..rounds {
        for pair in ops.windows(2) {
            sink = sink.wrapping_add(f(&mut env, black_box(pair[0]), black_box(pair[1])));
        }
    }
    let calls = rounds * (ops.len() - 1);
    let ns = start.elapsed().as_secs_f64() * 1e9 / calls as f64;
    black_box(sink);
    println!("{name:<16} {ns:6.2} ns/op");
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let rounds = if measuring { 2_000 } else { 1 };
    let s = operands32(4096);
    let d = operands64(4096);
    bench("f32_add", &s, rounds, |e, a, b| u64::from(f32_add(e, a, b)));
    bench("f32_sub", &s, rounds, |e, a, b| u64::from(f32_sub(e, a, b)));
    bench("f32_mul", &s, rounds, |e, a, b| u64::from(f32_mul(e, a, b)));
    bench("f32_mul_add", &s, rounds, |e, a, b| {
        u64::from(f32_mul_add(e, a, b, a))
    });
    bench("f32_div", &s, rounds, |e, a, b| u64::from(f32_div(e, a, b)));
    bench("f32_sqrt", &s, rounds, |e, a, _| u64::from(f32_sqrt(e, a)));
    bench("f64_add", &d, rounds, f64_add);
    bench("f64_sub", &d, rounds, f64_sub);
    bench("f64_mul", &d, rounds, f64_mul);
    bench("f64_mul_add", &d, rounds, |e, a, b| f64_mul_add(e, a, b, a));
    bench("f64_div", &d, rounds, f64_div);
    bench("f64_sqrt", &d, rounds, |e, a, _| f64_sqrt(e, a));
    bench("f64_to_f32", &d, rounds, |e, a, _| {
        u64::from(f64_to_f32(e, a))
    });
    bench("f32_to_i32", &s, rounds, |e, a, _| {
        f32_to_i32(e, a, Rounding::TowardZero) as u64
    });
    bench("f32_from_i32", &s, rounds, |e, a, _| {
        u64::from(f32_from_i32(e, a as i32))
    });
    bench("f32_lt", &s, rounds, |e, a, b| u64::from(f32_lt(e, a, b)));
}
