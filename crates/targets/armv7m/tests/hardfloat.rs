//! The inline VFP path against the soft-float crate: 40,000 random
//! arithmetic, comparison and integer conversion instructions on a Cortex-M4F, on operands drawn near the
//! edges where the host's result or flags could differ (zeros, the least
//! normal, subnormals, overflow, infinities, NaNs), run with FPSCR.IXC
//! already set (the inline path) and, one run in eight, clear (the
//! helper), with default NaN on and off. The destination register and
//! FPSCR (flags and NZCV) must be what the soft-float crate computes under FPSCR's rules.

mod common;

use chimera_armv7m::fpu::{float_env, fpscr_flags};
use chimera_armv7m::scs::CoreKind;
use chimera_armv7m::ArmCpu;
use chimera_engine::{Clock, ClusterRun};
use chimera_memory::Endian;
use chimera_softfloat as sf;
use common::{core, Rng, CODE};

/// The operations with an inline path, as `op.f32 s2, s4, s6` (VSQRT:
/// `s2, s6`; VCMP: `s2, s6` or `s2, #0`): name, first halfword, and the
/// second's low byte (opc3/`o` bits and Vm).
const OPS: &[(&str, u32, u32)] = &[
    ("vmla", 0xee02, 0x03),
    ("vmls", 0xee02, 0x43),
    ("vnmls", 0xee12, 0x03),
    ("vnmla", 0xee12, 0x43),
    ("vmul", 0xee22, 0x03),
    ("vnmul", 0xee22, 0x43),
    ("vadd", 0xee32, 0x03),
    ("vsub", 0xee32, 0x43),
    ("vdiv", 0xee82, 0x03),
    ("vfnms", 0xee92, 0x03),
    ("vfnma", 0xee92, 0x43),
    ("vfma", 0xeea2, 0x03),
    ("vfms", 0xeea2, 0x43),
    ("vsqrt", 0xeeb1, 0xc3),
    ("vcmp", 0xeeb4, 0x43),
    ("vcmpe", 0xeeb4, 0xc3),
    ("vcmp0", 0xeeb5, 0x40),
    ("vcmpe0", 0xeeb5, 0xc0),
    ("vcvt.f32.u32", 0xeeb8, 0x43),
    ("vcvt.f32.s32", 0xeeb8, 0xc3),
    ("vcvtr.u32.f32", 0xeebc, 0x43),
    ("vcvt.u32.f32", 0xeebc, 0xc3),
    ("vcvtr.s32.f32", 0xeebd, 0x43),
    ("vcvt.s32.f32", 0xeebd, 0xc3),
];

/// The instruction's two halfwords in memory order (Vd = 1: `s2`).
fn encode(hw1: u32, low: u32) -> u32 {
    hw1 | ((0x1a00 | low) << 16)
}

/// What the FPU computes for `name` on `d`, `n`, `m`: the new `d`, or for
/// a comparison the new FPSCR.NZCV.
fn reference(name: &str, e: &mut sf::FloatEnv, d: u32, n: u32, m: u32) -> Result<u32, u32> {
    const SIGN: u32 = 1 << 31;
    let fused = |e: &mut sf::FloatEnv, neg_n: bool, neg_d: bool| {
        let a = if neg_n { n ^ SIGN } else { n };
        let acc = if neg_d { d ^ SIGN } else { d };
        sf::f32_mul_add_nan_order(e, a, m, acc, true)
    };
    let chained = |e: &mut sf::FloatEnv, neg_p: bool, neg_d: bool| {
        let p = sf::f32_mul(e, n, m);
        let p = if neg_p { p ^ SIGN } else { p };
        sf::f32_add(e, if neg_d { d ^ SIGN } else { d }, p)
    };
    if let Some(kind) = name.strip_prefix("vcmp") {
        let b = if kind.ends_with('0') { 0 } else { m };
        return Err(match sf::f32_compare(e, d, b, kind.starts_with('e')) {
            sf::Ordering4::Less => 0b1000,
            sf::Ordering4::Equal => 0b0110,
            sf::Ordering4::Greater => 0b0010,
            sf::Ordering4::Unordered => 0b0011,
        });
    }
    Ok(match name {
        "vmla" => chained(e, false, false),
        "vmls" => chained(e, true, false),
        "vnmls" => chained(e, false, true),
        "vnmla" => chained(e, true, true),
        "vmul" => sf::f32_mul(e, n, m),
        "vnmul" => sf::f32_mul(e, n, m) ^ SIGN,
        "vadd" => sf::f32_add(e, n, m),
        "vsub" => sf::f32_sub(e, n, m),
        "vdiv" => sf::f32_div(e, n, m),
        "vfma" => fused(e, false, false),
        "vfms" => fused(e, true, false),
        "vfnma" => fused(e, true, true),
        "vfnms" => fused(e, false, true),
        "vcvt.f32.u32" => sf::f32_from_u32(e, m),
        "vcvt.f32.s32" => sf::f32_from_i32(e, m as i32),
        "vcvt.u32.f32" => sf::f32_to_u32_arm(e, m, sf::Rounding::TowardZero),
        "vcvtr.u32.f32" => sf::f32_to_u32_arm(e, m, e.rounding),
        "vcvt.s32.f32" => sf::f32_to_i32_arm(e, m, sf::Rounding::TowardZero) as u32,
        "vcvtr.s32.f32" => sf::f32_to_i32_arm(e, m, e.rounding) as u32,
        _ => sf::f32_sqrt(e, m),
    })
}

/// A single near an edge: the exponent field from a list that reaches
/// both the least normal and overflow through one product or quotient.
fn single(rng: &mut Rng) -> u32 {
    // ... and, at 157-159, the 32-bit integers' limits.
    const EXPONENTS: [u32; 15] = [
        0, 1, 2, 63, 64, 65, 126, 127, 128, 157, 158, 159, 190, 253, 254,
    ];
    let r = rng.next();
    let exp = if r % 5 == 0 {
        255
    } else {
        EXPONENTS[((r >> 8) % 15) as usize]
    };
    let fraction = match (r >> 16) % 4 {
        0 => 0,
        1 => 0x7f_ffff,
        _ => (rng.next() as u32) & 0x7f_ffff,
    };
    (((r >> 24) as u32 & 1) << 31) | (exp << 23) | fraction
}

#[test]
fn inline_vfp_arithmetic_matches_soft_float() {
    let (mut cluster, _flash, sram) = core(CoreKind::CortexM4, true);
    let clock = Clock::new();
    cluster.step(0, &clock);
    let mut fresh: ArmCpu = cluster.cpu_state(0).unwrap().clone();
    fresh.scs.cpacr = 0xf << 20;
    // An active FP context: FPSCR is not reloaded from FPDSCR.
    fresh.control |= chimera_armv7m::cpu::CONTROL_FPCA;
    let mut rng = Rng(0x9e6c_63d0_676a_9a99);
    let mut inline_runs = 0;
    for run in 0..40_000 {
        let (name, hw1, low) = OPS[(rng.next() % OPS.len() as u64) as usize];
        sram.write(0, 4, Endian::Little, u64::from(encode(hw1, low)))
            .unwrap();
        let (d, n, m) = (single(&mut rng), single(&mut rng), single(&mut rng));
        let ixc = rng.next() % 8 != 0;
        let default_nan = rng.next() & 1 == 0;
        let fpscr =
            (rng.next() as u32 & 0xf) | (u32::from(ixc) << 4) | (u32::from(default_nan) << 25);
        inline_runs += u32::from(ixc);
        {
            let cpu = cluster.cpu_state_mut(0).unwrap();
            *cpu = fresh.clone();
            cpu.pc = CODE;
            cpu.set_fpscr(fpscr);
            let s0 = chimera_armv7m::cpu::G_S0 as usize;
            cpu.regs[s0 + 2] = u64::from(d);
            cpu.regs[s0 + 4] = u64::from(n);
            cpu.regs[s0 + 6] = u64::from(m);
        }
        cluster.step(0, &clock);
        let cpu = cluster.cpu_state(0).unwrap();
        let mut env = float_env(fpscr);
        let (want, nzcv) = match reference(name, &mut env, d, n, m) {
            Ok(r) => (r, fpscr >> 28),
            Err(nzcv) => (d, nzcv),
        };
        let what = format!("run {run}: {name} d {d:#x} n {n:#x} m {m:#x} fpscr {fpscr:#x}");
        assert_eq!(cpu.pc, CODE + 4, "{what}: did not retire");
        let got = cpu.regs[chimera_armv7m::cpu::G_S0 as usize + 2] as u32;
        assert_eq!(got, want, "{what}: result");
        let flags = fpscr_flags(env.flags);
        let want_fpscr = (fpscr & 0x0fff_ffff) | (nzcv << 28) | flags;
        assert_eq!(cpu.fpscr(), want_fpscr, "{what}: fpscr");
    }
    assert!(inline_runs > 30_000);
}
