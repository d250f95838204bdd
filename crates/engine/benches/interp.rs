//! Interpreter throughput on the toy architecture: guest instructions per
//! second for a tight loop (`cargo bench -p chimera-engine`). The numbers
//! for real guests come from `chimera bench`.

#[path = "../tests/toy_isa/mod.rs"]
mod toy_isa;

use std::time::Instant;

use chimera_engine::{RunLimits, RunOutcome};
use toy_isa::*;

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this
    // too, and then one short round is enough to prove it works.
    let measuring = std::env::args().any(|a| a == "--bench");
    let (rounds, limit) = if measuring {
        (3, 50_000_000)
    } else {
        (1, 1_000_000)
    };
    // An endless four-instruction loop, stopped by the instruction limit.
    let program = [
        li(1, 1),
        addi(2, 2, 1),
        addi(3, 3, 1),
        add(4, 4, 2),
        bnez(1, -3),
    ];
    for round in 0..rounds {
        let mut m = machine(&program, 1);
        let start = Instant::now();
        let out = m.scheduler.run(RunLimits {
            max_insns: Some(limit),
            max_ns: None,
            held: false,
        });
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(out, RunOutcome::InsnLimit);
        let insns = m.scheduler.insns();
        println!(
            "round {round}: {insns} toy instructions in {secs:.3} s: {:.1} MIPS",
            insns as f64 / secs / 1e6
        );
    }
}
