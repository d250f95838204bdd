//! End-to-end tests of the engine with a toy architecture: translation,
//! the interpreter, traps, interrupts, virtual time, self-modifying code,
//! debugging, and two machines running at once in one process.

mod toy_isa;

use std::sync::Arc;

use chimera_engine::{
    irq_inputs_for, Clock, Cluster, ClusterParams, ClusterSetup, ExitRequest, MemoryOrder,
    RunControl, RunLimits, RunOutcome, Scheduler,
};
use chimera_memory::{AddressSpace, Endian, Ram, Region};
use toy_isa::*;

#[test]
fn a_loop_runs_and_exits_with_its_result() {
    let mut m = machine(&sum_program(100), 1);
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Exit(5050)));
    // 2 setup + 3 per iteration; the exit instruction retires too.
    assert_eq!(m.scheduler.insns(), 2 + 3 * 100 + 1);
}

#[test]
fn unmapped_load_becomes_a_guest_fault_not_a_panic() {
    let program = vec![
        li(3, 0x7000),
        shl(3, 3, 16), // r3 = 0x7000_0000: nothing there
        ld(4, 3),
        li(5, 7),
        exit(5),
    ];
    let mut m = machine(&program, 1);
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Exit(7)));
    let cpu = &m.scheduler.clusters()[0];
    assert!(cpu.dump_registers(0).is_some());
}

#[test]
fn illegal_instruction_is_reported_with_its_pc() {
    let mut m = machine(&[li(1, 1), 0xff00_0000], 1);
    match run(&mut m) {
        RunOutcome::Exit(ExitRequest::Error(msg)) => assert!(msg.contains("at 0x4"), "{msg}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wfi_lets_virtual_time_jump_to_the_next_timer() {
    // Arm the countdown for 1 ms, sleep, count the wake-up, exit.
    let program = vec![
        li(6, 0x1000),
        shl(6, 6, 16), // r6 = 0x1000_0000, the countdown
        li(7, 50000),
        addi(7, 7, 0),
        shl(7, 7, 4), // ~800 µs
        st(6, 7),
        WFI,
        exit(13),
    ];
    let mut m = machine(&program, 1);
    let out = run(&mut m);
    assert_eq!(out, RunOutcome::Exit(ExitRequest::Exit(1)));
    assert!(m.scheduler.now_ns() >= 800_000, "{}", m.scheduler.now_ns());
    assert!(m.scheduler.insns() < 20, "the idle CPU must not spin");
}

#[test]
fn idle_forever_is_reported() {
    let mut m = machine(&[WFI], 1);
    assert_eq!(run(&mut m), RunOutcome::Idle);
}

#[test]
fn instruction_limit_stops_the_run_at_the_next_block_boundary() {
    // An endless three-instruction loop.
    let mut m = machine(&[li(1, 1), addi(2, 2, 1), addi(3, 3, 1), bnez(1, -2)], 1);
    let out = m.scheduler.run(RunLimits {
        max_insns: Some(1000),
        max_ns: None,
        held: false,
    });
    assert_eq!(out, RunOutcome::InsnLimit);
    assert!(
        (1000..1003).contains(&m.scheduler.insns()),
        "{}",
        m.scheduler.insns()
    );
}

#[test]
fn a_store_over_translated_code_drops_the_stale_block() {
    // Run a block once, overwrite its first instruction, run it again.
    let program = vec![
        li(1, 2),       // 0: r1 = pass counter
        li(9, 0x40),    // 4: r9 = address of `target`
        li(10, 0x0301), // 8: r10 low half of the patch
        shl(10, 10, 16),
        addi(10, 10, 0), // 16
        li(2, 0),        // 20
        bnez(1, 10),     // 24: go to target (at 64)
        exit(2),         // 28
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        addi(2, 2, 1), // 64 target: r2 += 1 (patched to r1 += ... on pass 2)
        addi(1, 1, -1),
        st32(9, 11), // overwrite `target` with r11
        bnez(1, -3),
        exit(2),
    ];
    let mut m = machine(&program, 1);
    // r11 = "addi r2, r2, 16", written in by the loader into the register file
    // is not possible; build it in code instead.
    let _ = &mut m;
    let patch = addi(2, 2, 16);
    let mut prog = program.clone();
    prog[2] = li(11, (patch >> 16) as u16);
    prog[3] = shl(11, 11, 16);
    prog[4] = li(12, (patch & 0xffff) as u16);
    prog[5] = add(11, 11, 12);
    let mut m = machine(&prog, 1);
    // Pass 1 adds 1, pass 2 runs the patched instruction and adds 16.
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Exit(17)));
    let (translated, invalidated) = m.scheduler.clusters()[0].cache_stats();
    assert!(
        invalidated >= 1 && translated >= 2,
        "{translated} {invalidated}"
    );
    let _ = m.ram;
}

#[test]
fn two_machines_run_at_the_same_time_in_one_process() {
    let a = std::thread::spawn(|| {
        let mut m = machine(&sum_program(1000), 1);
        (run(&mut m), m.scheduler.insns())
    });
    let b = std::thread::spawn(|| {
        let mut m = machine(&sum_program(10), 2);
        (run(&mut m), m.scheduler.insns())
    });
    let (ra, ia) = a.join().unwrap();
    let (rb, _) = b.join().unwrap();
    assert_eq!(ra, RunOutcome::Exit(ExitRequest::Exit(500500)));
    assert_eq!(rb, RunOutcome::Exit(ExitRequest::Exit(55)));
    assert_eq!(ia, 2 + 3 * 1000 + 1);
}

#[test]
fn runs_are_deterministic_to_the_instruction() {
    let counts: Vec<(RunOutcome, u64, u64)> = (0..2)
        .map(|_| {
            let mut m = machine(&sum_program(500), 3);
            let out = run(&mut m);
            (out, m.scheduler.insns(), m.scheduler.now_ns())
        })
        .collect();
    assert_eq!(counts[0], counts[1]);
}

/// Two toy clusters with private RAM at 0 and one shared RAM at 0x8000:
/// A computes and publishes a sum, B waits for it and exits with it.
fn two_clusters(parallel: bool) -> (RunOutcome, u64) {
    let shared = Arc::new(Ram::new(0x1000));
    let programs = [
        {
            let mut p = sum_program(300);
            p.pop();
            p.extend([li(3, 0x8000), st(3, 2), WFI]);
            p
        },
        vec![
            li(3, 0x8000),
            ld(4, 3),
            bnez(4, 3),
            li(5, 1),
            bnez(5, -3),
            exit(4),
        ],
    ];
    let clock = Clock::new();
    let control = Arc::new(RunControl::new());
    let params = ClusterParams {
        word_bits: 64,
        endian: Endian::Little,
        page_bits: 12,
        paddr_bits: 32,
        vaddr_bits: 32,
        memory_order: MemoryOrder::Weak,
        freq_hz: 1_000_000_000,
    };
    let clusters: Vec<Box<dyn chimera_engine::ClusterRun>> = programs
        .iter()
        .enumerate()
        .map(|(i, program)| {
            let ram = Arc::new(Ram::new(0x1000));
            for (n, w) in program.iter().enumerate() {
                ram.write(n as u64 * 4, 4, Endian::Little, u64::from(*w))
                    .unwrap();
            }
            let mut space = AddressSpace::new("toy");
            space.map(0, Region::ram("ram", ram), 0).unwrap();
            space
                .map(0x8000, Region::ram("shared", shared.clone()), 0)
                .unwrap();
            Box::new(Cluster::new(
                Toy,
                ClusterSetup {
                    name: format!("c{i}"),
                    params,
                    first_index: i as u32,
                    watcher: i as u32,
                    irqs: irq_inputs_for(&Toy, 1),
                    space: Arc::new(space),
                    control: control.clone(),
                    console: None,
                },
            )) as Box<dyn chimera_engine::ClusterRun>
        })
        .collect();
    let mut scheduler = Scheduler::new(clusters, clock, control);
    scheduler.set_parallel(parallel);
    let out = scheduler.run(RunLimits {
        max_insns: Some(10_000_000),
        max_ns: None,
        held: false,
    });
    (out, scheduler.insns())
}

#[test]
fn clusters_share_memory_in_deterministic_and_parallel_mode() {
    let (seq, seq_insns) = two_clusters(false);
    assert_eq!(seq, RunOutcome::Exit(ExitRequest::Exit(45150)));
    assert_eq!(
        two_clusters(false).1,
        seq_insns,
        "deterministic mode repeats exactly"
    );
    let (par, _) = two_clusters(true);
    assert_eq!(par, RunOutcome::Exit(ExitRequest::Exit(45150)));
}

#[test]
fn a_cpu_held_in_reset_runs_only_once_released() {
    let mut m = machine(&sum_program(10), 1);
    let irq = m.scheduler.clusters()[0].irq_inputs(0).unwrap();
    let reset = chimera_engine::reset_pin();
    let pins = m.scheduler.clusters()[0].irq_pins();
    assert_eq!(pins.last(), Some(&reset));
    irq.set(1, true);
    assert_eq!(run(&mut m), RunOutcome::Idle);
    assert_eq!(m.scheduler.insns(), 0);
    irq.set(1, false);
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Exit(55)));
}

#[test]
fn breakpoints_stop_the_machine_before_the_instruction_and_resume_past_it() {
    let mut m = machine(&sum_program(5), 1);
    // Break on the loop body's first instruction (pc 8).
    m.scheduler.clusters_mut()[0].set_breakpoints([8u64].into_iter().collect());
    let mut hits = 0;
    let out = loop {
        match run(&mut m) {
            RunOutcome::Exit(ExitRequest::Debug) => {
                let stop = m.scheduler.clusters_mut()[0].take_debug_stop().unwrap();
                assert_eq!((stop.hart, stop.pc), (0, 8));
                assert_eq!(m.scheduler.clusters()[0].cpus()[0].pc, 8);
                hits += 1;
            }
            other => break other,
        }
    };
    assert_eq!(hits, 5);
    assert_eq!(out, RunOutcome::Exit(ExitRequest::Exit(15)));
    assert_eq!(
        m.scheduler.insns(),
        2 + 3 * 5 + 1,
        "breakpoints change no count"
    );
}

#[test]
fn single_step_runs_exactly_one_instruction() {
    let mut m = machine(&sum_program(3), 1);
    let clock = Clock::new();
    let cluster = &mut m.scheduler.clusters_mut()[0];
    let pcs: Vec<u64> = (0..6).map(|_| cluster.step(0, &clock).unwrap()).collect();
    assert_eq!(pcs, [4, 8, 12, 16, 8, 12]);
    assert_eq!(cluster.insns(), 6);
}

#[test]
fn a_write_watchpoint_stops_after_the_storing_instruction() {
    // sum_program(300) with the result stored at 0x8000 before the WFI.
    let mut p = sum_program(4);
    p.pop();
    p.extend([li(3, 0x8000), st(3, 2), li(9, 9), exit(9)]);
    let mut m = machine(&p, 1);
    m.scheduler.clusters_mut()[0].set_watchpoints(vec![chimera_engine::Watchpoint {
        addr: 0x8004,
        len: 4,
        kind: chimera_engine::WatchKind::Write,
    }]);
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Debug));
    let stop = m.scheduler.clusters_mut()[0].take_debug_stop().unwrap();
    // The store is the instruction at 0x18; the stop is before 0x1c.
    assert_eq!(stop.pc, 0x1c);
    assert!(matches!(
        stop.reason,
        chimera_engine::DebugStopReason::Watchpoint { addr: 0x8000, .. }
    ));
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Exit(9)));
}

#[test]
fn software_single_step_by_a_breakpoint_on_the_next_instruction() {
    let mut m = machine(&sum_program(5), 1);
    m.scheduler.clusters_mut()[0].set_breakpoints([8u64].into_iter().collect());
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Debug));
    assert_eq!(
        m.scheduler.clusters_mut()[0].take_debug_stop().unwrap().pc,
        8
    );
    // GDB's software single-step: a breakpoint on the next instruction only.
    m.scheduler.clusters_mut()[0].set_breakpoints([12u64].into_iter().collect());
    assert_eq!(run(&mut m), RunOutcome::Exit(ExitRequest::Debug));
    assert_eq!(
        m.scheduler.clusters_mut()[0].take_debug_stop().unwrap().pc,
        12
    );
}
