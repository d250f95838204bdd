//! The mixed-width machine (`riscv-duo`): an RV64 application core and an
//! RV32 microcontroller in one machine, talking through a mailbox and
//! shared SRAM; in deterministic and in parallel mode.

use std::path::Path;

use chimera_devices::BufferBackend;
use chimera_engine::{ExitRequest, RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, SerialConfig, SerialSpec};

struct Run {
    outcome: RunOutcome,
    app: String,
    mcu: String,
    insns: Vec<u64>,
}

fn run(parallel: bool) -> Run {
    let loaded = load_profile("riscv-duo", builtin_registry()).expect("profile loads");
    let (app, mcu) = (BufferBackend::new(), BufferBackend::new());
    let mut serial = SerialConfig::default();
    serial.set("app/uart0", SerialSpec::Buffer(app.clone()));
    serial.set("mcu/uart0", SerialSpec::Buffer(mcu.clone()));
    let mut machine = loaded.realize(&serial).expect("machine builds");
    machine.scheduler_mut().set_parallel(parallel);
    let outcome = machine.run(RunLimits {
        max_insns: Some(50_000_000),
        max_ns: None,
        held: false,
    });
    Run {
        outcome,
        app: String::from_utf8_lossy(&app.contents()).into_owned(),
        mcu: String::from_utf8_lossy(&mcu.contents()).into_owned(),
        insns: machine
            .scheduler()
            .clusters()
            .iter()
            .map(|c| c.insns())
            .collect(),
    }
}

/// The lines of `expected.out` from one UART, labels removed.
fn expected(uart: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/mixed/expected.out");
    let text = std::fs::read_to_string(path).expect("expected output");
    let label = format!("[{uart}] ");
    text.lines()
        .filter_map(|l| l.strip_prefix(&label))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn check(r: &Run) {
    assert_eq!(
        r.outcome,
        RunOutcome::Exit(ExitRequest::Exit(0)),
        "{}{}",
        r.app,
        r.mcu
    );
    assert_eq!(r.app, expected("app/uart0"));
    assert_eq!(r.mcu, expected("mcu/uart0"));
    assert!(r.app.contains("all jobs verified"));
}

#[test]
fn the_demo_passes_in_deterministic_mode() {
    check(&run(false));
}

#[test]
fn the_demo_passes_in_parallel_mode() {
    check(&run(true));
}

#[test]
fn default_mode_repeats_to_the_instruction() {
    let (a, b) = (run(false), run(false));
    assert_eq!((a.app, a.mcu), (b.app, b.mcu));
    assert_eq!(a.insns, b.insns);
    assert_eq!(a.insns.len(), 2);
}
