//! A run ends when its guest does: the background compiler is stopped at
//! once when the machine goes, whatever is still queued.

use std::path::Path;
use std::time::{Duration, Instant};

use chimera_engine::{RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, Accel, ImageSpec, SerialConfig};

#[test]
fn dropping_a_machine_with_a_full_compile_queue_takes_under_100_ms() {
    let mut loaded = load_profile("riscv-virt", builtin_registry()).expect("profile loads");
    loaded.builder.clear_images("cpu");
    loaded
        .builder
        .add_image(ImageSpec {
            cluster: "cpu".into(),
            path: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../guests/bench/images/rv64/interp.elf"),
            addr: None,
            entry: true,
        })
        .unwrap();
    loaded.builder.set_accel(Accel::Jit);
    let mut machine = loaded.realize(&SerialConfig::default()).expect("builds");
    // Every block goes to Cranelift at its first run: the queue fills
    // faster than ~1 ms a block empties it.
    for c in machine.scheduler_mut().clusters_mut() {
        c.set_hot_threshold(1);
    }
    let outcome = machine.run(RunLimits {
        max_insns: Some(2_000_000),
        max_ns: None,
        held: false,
    });
    assert_eq!(outcome, RunOutcome::InsnLimit);
    let (_, stats) = machine.scheduler().clusters()[0]
        .backend_stats()
        .expect("a backend");
    let start = Instant::now();
    drop(machine);
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(100),
        "the machine took {took:?} to go ({} blocks compiled by then)",
        stats.compiled
    );
}
