//! Every Cortex-M guest program through the shipped `mps2-an385`
//! (Cortex-M3) and `mps2-an386` (Cortex-M4F) profiles: the same console
//! output (UART and semihosting) as QEMU's, recorded in
//! guests/arm-m/expected, and the same exit code; twice, with identical
//! instruction counts.

// Shared with the other guest tests, which use the RISC-V list.
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};

use chimera_devices::BufferBackend;
use chimera_engine::{ExitRequest, RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, ImageSpec, SerialConfig, SerialSpec};
use common::{M3_PROGRAMS, M4_PROGRAMS};

fn guests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/arm-m")
}

/// Runs `image` on `profile`; returns the outcome, the console's bytes
/// and the instructions retired.
fn run(profile: &str, image: &Path) -> (RunOutcome, String, u64) {
    let mut loaded = load_profile(profile, builtin_registry()).expect("profile loads");
    loaded.builder.clear_images("cpu");
    loaded
        .builder
        .add_image(ImageSpec {
            cluster: "cpu".into(),
            path: image.to_path_buf(),
            addr: None,
            entry: true,
        })
        .unwrap();
    let console = BufferBackend::new();
    let mut serial = SerialConfig::default();
    serial.set("uart0", SerialSpec::Buffer(console.clone()));
    let mut machine = loaded.realize(&serial).expect("machine builds");
    let outcome = machine.run(RunLimits {
        max_insns: Some(300_000_000),
        max_ns: None,
        held: false,
    });
    let out = String::from_utf8_lossy(&console.contents()).into_owned();
    (outcome, out, machine.scheduler().insns())
}

fn check(core: &str, profile: &str, programs: &[&str]) {
    let mut failures = Vec::new();
    for name in programs {
        let image = guests().join(format!("images/{core}/{name}.elf"));
        let expected =
            std::fs::read_to_string(guests().join(format!("expected/{core}/{name}.out")))
                .expect("expected output recorded from QEMU");
        let (outcome, out, insns) = run(profile, &image);
        if outcome != RunOutcome::Exit(ExitRequest::Exit(0)) || out != expected {
            failures.push(format!(
                "{core} {name}: {outcome:?}\n--- got\n{out}--- QEMU\n{expected}"
            ));
            continue;
        }
        let (again, out2, insns2) = run(profile, &image);
        if again != outcome || out2 != out || insns2 != insns {
            failures.push(format!(
                "{core} {name}: second run differs ({insns} vs {insns2} instructions)"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cortex_m3_guests_match_qemu_on_mps2_an385() {
    check("m3", "mps2-an385", M3_PROGRAMS);
}

#[test]
fn cortex_m4_guests_match_qemu_on_mps2_an386() {
    check("m4", "mps2-an386", M4_PROGRAMS);
}
