//! Every RISC-V guest program, on both widths, through the shipped
//! profiles: same UART output as QEMU's (guests/riscv/expected, recorded
//! from qemu-system-riscv64/32 -M virt) and a passing exit code; twice,
//! with identical instruction counts.

// Shared with the other guest tests, which use the Cortex-M lists.
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};

use chimera_devices::BufferBackend;
use chimera_engine::{ExitRequest, RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, ImageSpec, SerialConfig, SerialSpec};
use common::RISCV_PROGRAMS;

fn guests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/riscv")
}

/// Runs `image` on `profile`; returns the outcome, the UART's bytes and
/// the instructions retired.
fn run(profile: &str, image: &Path, harts: u32) -> (RunOutcome, String, u64) {
    run_with(profile, image, harts, "")
}

/// [`run`] with the cluster's `isa` property set to `isa`.
fn run_with(profile: &str, image: &Path, harts: u32, isa: &str) -> (RunOutcome, String, u64) {
    let mut loaded = load_profile(profile, builtin_registry()).expect("profile loads");
    loaded
        .builder
        .set_property("cpu", "harts", harts.into())
        .unwrap();
    loaded
        .builder
        .set_property("cpu", "isa", isa.into())
        .unwrap();
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
    let uart = BufferBackend::new();
    // What guests/riscv/input.txt gives QEMU's console.
    uart.push_input(&std::fs::read(guests().join("input.txt")).expect("console input"));
    let mut serial = SerialConfig::default();
    serial.set("uart0", SerialSpec::Buffer(uart.clone()));
    let mut machine = loaded.realize(&serial).expect("machine builds");
    let outcome = machine.run(RunLimits {
        max_insns: Some(200_000_000),
        max_ns: None,
        held: false,
    });
    let out = String::from_utf8_lossy(&uart.contents()).into_owned();
    (outcome, out, machine.scheduler().insns())
}

fn check_width(width: u32) {
    let profile = if width == 64 {
        "riscv-virt"
    } else {
        "riscv32-virt"
    };
    let mut failures = Vec::new();
    for name in RISCV_PROGRAMS {
        let image = guests().join(format!("images/rv{width}/{name}.elf"));
        let expected =
            std::fs::read_to_string(guests().join(format!("expected/rv{width}/{name}.out")))
                .expect("expected output recorded from QEMU");
        let harts = if *name == "amo_smp" { 2 } else { 1 };
        let (outcome, out, insns) = run(profile, &image, harts);
        if outcome != RunOutcome::Exit(ExitRequest::Exit(0))
            || out.trim_end() != expected.trim_end()
        {
            failures.push(format!(
                "rv{width} {name}: {outcome:?}\n--- got\n{out}--- QEMU\n{expected}"
            ));
            continue;
        }
        let (again, out2, insns2) = run(profile, &image, harts);
        if again != outcome || out2 != out || insns2 != insns {
            failures.push(format!(
                "rv{width} {name}: second run differs ({insns} vs {insns2} instructions)"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rv64_guests_match_qemu() {
    check_width(64);
}

#[test]
fn rv32_guests_match_qemu() {
    check_width(32);
}

#[test]
fn two_machines_of_different_widths_run_at_once() {
    let a = std::thread::spawn(|| run("riscv-virt", &guests().join("images/rv64/alu.elf"), 1));
    let b = std::thread::spawn(|| run("riscv32-virt", &guests().join("images/rv32/alu.elf"), 1));
    let (ra, _, _) = a.join().unwrap();
    let (rb, _, _) = b.join().unwrap();
    assert_eq!(ra, RunOutcome::Exit(ExitRequest::Exit(0)));
    assert_eq!(rb, RunOutcome::Exit(ExitRequest::Exit(0)));
}

/// Each program of guests/riscv/Makefile's `ISA_OFF` lists, with one
/// extension turned off through `isa`, traps where QEMU's `-cpu
/// rvW,EXT=false` does, and each of `ISA_ON`, with one turned on, runs as
/// QEMU's `EXT=true`: same output and exit status
/// (guests/riscv/expected/rvW/isa-off, isa-on).
#[test]
fn an_extension_turned_off_or_on_runs_as_on_qemu() {
    let makefile = std::fs::read_to_string(guests().join("Makefile")).expect("Makefile");
    let list = |name: &str| {
        makefile
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} := ")))
            .unwrap_or_else(|| panic!("{name} in the Makefile"))
            .to_string()
    };
    let mut failures = Vec::new();
    for (runs, value, dir, widths) in [
        (list("ISA_OFF"), "false", "isa-off", &[64, 32][..]),
        (list("ISA_OFF64"), "false", "isa-off", &[64][..]),
        (list("ISA_ON"), "true", "isa-on", &[64, 32][..]),
    ] {
        for &width in widths {
            let profile = if width == 64 {
                "riscv-virt"
            } else {
                "riscv32-virt"
            };
            for pair in runs.split_whitespace() {
                let (program, ext) = pair.split_once(':').expect("PROGRAM:EXT");
                let image = guests().join(format!("images/rv{width}/{program}.elf"));
                let expected = std::fs::read_to_string(
                    guests().join(format!("expected/rv{width}/{dir}/{program}.{ext}.out")),
                )
                .expect("expected output recorded from QEMU");
                let isa = format!("{ext}={value}");
                let (outcome, out, _) = run_with(profile, &image, 1, &isa);
                let code = match outcome {
                    RunOutcome::Exit(ExitRequest::Exit(code)) => code,
                    other => {
                        failures.push(format!("rv{width} {program} {isa}: {other:?}"));
                        continue;
                    }
                };
                let got = format!("{out}exit {code}");
                if got.trim_end() != expected.trim_end() {
                    failures.push(format!(
                        "rv{width} {program} {isa}:\n--- got\n{got}\n--- QEMU\n{expected}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
