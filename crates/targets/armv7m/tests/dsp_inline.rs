//! The halfword and word multiplies (SMUL<x><y>, SMLA<x><y>, SMULW<y>,
//! SMLAW<y>) and the saturating adds (QADD, QSUB, QDADD, QDSUB), which the
//! translator turns into IR, give the results and the Q flag of the
//! DSP extension's reference functions (`chimera_armv7m::dsp`), on edge
//! and random operands, interpreted and on the JIT's first tier.

mod common;

use chimera_armv7m::cpu::G_Q;
use chimera_armv7m::dsp;
use chimera_armv7m::scs::CoreKind;
use chimera_engine::{Clock, ClusterRun};
use chimera_memory::Endian;
use common::{core, Rng, CODE};

const EDGES: &[u32] = &[
    0,
    1,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x8000_7fff,
    0x7fff_8000,
    0x0001_0001,
];

/// One instruction: its 32-bit encoding for Rd = r0, Rn = r1, Rm = r2,
/// Ra = r3 (or none), and the reference's operation and operand order.
struct Case {
    name: &'static str,
    encoding: u32,
    op: u32,
    /// The reference takes (Rm, Rn) rather than (Rn, Rm).
    swapped: bool,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (top_n, top_m) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let xy = (top_n << 5) | (top_m << 4);
        let op = dsp::SMLAXY + top_n * dsp::MUL_TOP_A + top_m * dsp::MUL_TOP_B;
        // SMUL<x><y> (Ra = 15) and SMLA<x><y> (Ra = r3).
        out.push(Case {
            name: "smulxy",
            encoding: 0xfb10_f000 | 1 << 16 | xy | 2,
            op,
            swapped: false,
        });
        out.push(Case {
            name: "smlaxy",
            encoding: 0xfb10_3000 | 1 << 16 | xy | 2,
            op,
            swapped: false,
        });
    }
    for top_m in [0u32, 1] {
        let op = dsp::SMLAWY + top_m * dsp::MUL_TOP_B;
        out.push(Case {
            name: "smulwy",
            encoding: 0xfb30_f000 | 1 << 16 | top_m << 4 | 2,
            op,
            swapped: false,
        });
        out.push(Case {
            name: "smlawy",
            encoding: 0xfb30_3000 | 1 << 16 | top_m << 4 | 2,
            op,
            swapped: false,
        });
    }
    for (q, op) in [
        (0u32, dsp::QADD),
        (1, dsp::QDADD),
        (2, dsp::QSUB),
        (3, dsp::QDSUB),
    ] {
        // QADD Rd, Rm, Rn: the reference takes (Rm, Rn).
        out.push(Case {
            name: "qadd family",
            encoding: 0xfa80_f080 | 1 << 16 | q << 4 | 2,
            op,
            swapped: true,
        });
    }
    out
}

#[test]
fn inline_dsp_operations_match_the_reference() {
    for jit in [false, true] {
        let (mut cluster, _flash, sram) = core(CoreKind::CortexM4, true);
        if jit {
            let backend = chimera_jit::JitBackend::first_tier_only().expect("x86-64 host");
            cluster.set_backend(Some(Box::new(backend)));
            cluster.set_hot_threshold(1);
        }
        let clock = Clock::new();
        cluster.step(0, &clock);
        let fresh = cluster.cpu_state(0).unwrap().clone();
        let mut rng = Rng(0x5eed_d5b0);
        let mut operands: Vec<(u32, u32, u32)> = Vec::new();
        for &a in EDGES {
            for &b in EDGES {
                operands.push((a, b, 0x7fff_ffff));
                operands.push((a, b, 0x8000_0000));
            }
        }
        for _ in 0..300 {
            let r = rng.next();
            operands.push((r as u32, (r >> 32) as u32, rng.next() as u32));
        }
        for case in cases() {
            // The instruction and BX LR, a block of two; LR leads to a
            // branch to itself that the run stops before.
            let halves = u64::from(case.encoding >> 16) | u64::from(case.encoding & 0xffff) << 16;
            sram.write(0, 4, Endian::Little, halves).unwrap();
            sram.write(4, 2, Endian::Little, 0x4770).unwrap();
            sram.write(6, 2, Endian::Little, 0xe7fe).unwrap();
            for &(n, m, acc) in &operands {
                for q_before in [0u64, 1] {
                    let cpu = cluster.cpu_state_mut(0).unwrap();
                    *cpu = fresh.clone();
                    cpu.pc = CODE;
                    cpu.regs[1] = u64::from(n);
                    cpu.regs[2] = u64::from(m);
                    cpu.regs[3] = u64::from(acc);
                    cpu.regs[14] = (CODE + 6) | 1;
                    cpu.regs[G_Q as usize] = q_before;
                    if jit {
                        // Compiled blocks run from the run loop, not a step;
                        // the budget is the block.
                        cluster.run_until(u64::MAX, &clock, 2);
                    } else {
                        cluster.step(0, &clock);
                        cluster.step(0, &clock);
                    }
                    let cpu = cluster.cpu_state(0).unwrap();
                    let (a, b) = if case.swapped { (m, n) } else { (n, m) };
                    let accumulates = case.encoding & 0xf000 != 0xf000 && !case.swapped;
                    let want = dsp::eval(case.op, a, b, if accumulates { acc } else { 0 }, 0);
                    let at = format!(
                        "{} ({:#010x}) n {n:#x} m {m:#x} acc {acc:#x} q {q_before}, jit {jit}",
                        case.name, case.encoding
                    );
                    assert_eq!(cpu.regs[0] as u32, want.value as u32, "{at}: result");
                    let q = q_before == 1 || want.q;
                    assert_eq!(cpu.regs[G_Q as usize] == 1, q, "{at}: Q");
                }
            }
        }
        if jit {
            let (_, stats) = cluster.backend_stats().expect("a backend");
            let runs = cluster.run_stats();
            assert!(
                stats.baseline_compiled >= cases().len() as u64
                    && runs.native_insns > runs.interpreted_insns,
                "the cases ran as first-tier code: {stats:?}, {runs:?}"
            );
        }
    }
}
