//! The engine's toy ISA run on the interpreter and on compiled code (every
//! block compiled before its first run, or once hot): same outcome, same
//! instruction count, same virtual time, same registers.

#[path = "../../engine/tests/toy_isa/mod.rs"]
mod toy_isa;

use chimera_engine::{ExitRequest, RunOutcome};
use chimera_jit::JitBackend;
use toy_isa::*;

/// Runs `program` on `cpus` CPUs; with `jit` = Some(threshold), through
/// the JIT. Returns the outcome, instructions and virtual time.
fn run_with(program: &[u32], cpus: u32, jit: Option<u32>) -> (RunOutcome, u64, u64, u64) {
    let mut m = machine(program, cpus);
    if let Some(threshold) = jit {
        let c = &mut m.scheduler.clusters_mut()[0];
        c.set_backend(Some(Box::new(JitBackend::new().expect("host supported"))));
        c.set_hot_threshold(threshold);
    }
    let out = run(&mut m);
    let compiled = m.scheduler.clusters()[0]
        .backend_stats()
        .map(|(_, s)| s.compiled)
        .unwrap_or(0);
    (out, m.scheduler.insns(), m.scheduler.now_ns(), compiled)
}

fn same_as_interpreter(program: &[u32], cpus: u32) {
    let (out, insns, ns, _) = run_with(program, cpus, None);
    for threshold in [1, 2, 50] {
        let (jout, jinsns, jns, compiled) = run_with(program, cpus, Some(threshold));
        assert_eq!(
            (jout, jinsns, jns),
            (out.clone(), insns, ns),
            "threshold {threshold}"
        );
        if threshold == 1 {
            assert!(compiled > 0, "nothing compiled");
        }
    }
}

#[test]
fn a_loop_gives_the_same_result_compiled() {
    let (out, ..) = run_with(&sum_program(1000), 1, Some(1));
    assert_eq!(out, RunOutcome::Exit(ExitRequest::Exit(500500)));
    same_as_interpreter(&sum_program(1000), 1);
    same_as_interpreter(&sum_program(300), 3);
}

#[test]
fn loads_stores_and_faults_match_the_interpreter() {
    let program = vec![
        li(1, 50),    // r1 = counter
        li(3, 0x800), // r3 = buffer
        li(2, 0),     // loop:
        st(3, 1),     // [r3] = r1
        ld(4, 3),     // r4 = [r3]
        add(2, 2, 4), // r2 += r4
        addi(1, 1, -1),
        bnez(1, -5),
        li(5, 0xffff), // unmapped address: the load faults
        shl(5, 5, 5),
        ld(6, 5),
        exit(2),
    ];
    same_as_interpreter(&program, 1);
}

#[test]
fn self_modifying_code_is_seen_by_compiled_blocks() {
    // The engine's own test program: a loop that overwrites an
    // instruction of its own block.
    let patch = addi(2, 2, 16);
    let program = vec![
        li(1, 2),
        li(9, 0x40),
        li(11, (patch >> 16) as u16),
        shl(11, 11, 16),
        li(12, (patch & 0xffff) as u16),
        add(11, 11, 12),
        bnez(1, 10),
        exit(2),
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        addi(2, 2, 1),
        addi(1, 1, -1),
        st32(9, 11),
        bnez(1, -3),
        exit(2),
    ];
    let (out, ..) = run_with(&program, 1, Some(1));
    assert_eq!(out, RunOutcome::Exit(ExitRequest::Exit(17)));
    same_as_interpreter(&program, 1);
}
