//! Interpreter against JIT: every guest program of the RISC-V and Cortex-M
//! suites runs under the interpreter, under the JIT with every block
//! compiled before its first run, under both tiers with Cranelift in the
//! background (blocks of either tier chaining to each other) at the tier
//! policy's thresholds and at three runs, and on the JIT's first tier
//! alone from every block's first run; all must end with the same
//! outcome, console output, instruction count, virtual time and
//! registers of every CPU.

mod common;

use std::path::{Path, PathBuf};

use chimera_devices::BufferBackend;
use chimera_engine::{RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, Accel, ImageSpec, SerialConfig, SerialSpec};
use common::{M3_PROGRAMS, M4_PROGRAMS, RISCV_PROGRAMS};

fn guests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests")
}

/// What a run leaves behind.
#[derive(Debug, PartialEq)]
struct End {
    outcome: RunOutcome,
    console: String,
    insns: u64,
    now_ns: u64,
    registers: Vec<String>,
}

/// How a run executes guest code.
#[derive(Debug, Clone, Copy)]
enum Exec {
    Interp,
    /// Cranelift in the CPU's thread, blocks compiled at this many runs.
    Jit(u32),
    /// Both tiers, Cranelift in its thread, blocks compiled at this many
    /// runs (`None`: when the tier policy says).
    Tiered(Option<u32>),
    /// The first tier only, from every block's first run.
    FirstTier,
}

/// Runs `image` on `profile` with `harts` CPUs for at most `max_insns`
/// as `exec` says. Returns what it left and the blocks compiled (by
/// either tier).
fn run(profile: &str, image: &Path, harts: u32, exec: Exec, max_insns: u64) -> (End, u64) {
    let mut loaded = load_profile(profile, builtin_registry()).expect("profile loads");
    if harts > 1 {
        loaded
            .builder
            .set_property("cpu", "harts", harts.into())
            .unwrap();
    }
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
    // Compiling in the CPU's thread: with a threshold of 1, every block
    // runs compiled from its first run.
    let (accel, threshold) = match exec {
        Exec::Interp => (Accel::Interp, None),
        Exec::Jit(t) => (Accel::JitSync, Some(t)),
        Exec::Tiered(t) => (Accel::Jit, t),
        Exec::FirstTier => (Accel::Baseline, Some(1)),
    };
    loaded.builder.set_accel(accel);
    let console = BufferBackend::new();
    console.push_input(&std::fs::read(guests().join("riscv/input.txt")).expect("console input"));
    let mut serial = SerialConfig::default();
    serial.set("uart0", SerialSpec::Buffer(console.clone()));
    let mut machine = loaded.realize(&serial).expect("machine builds");
    if let Some(threshold) = threshold {
        for c in machine.scheduler_mut().clusters_mut() {
            c.set_hot_threshold(threshold);
        }
    }
    let outcome = machine.run(RunLimits {
        max_insns: Some(max_insns),
        max_ns: None,
        held: false,
    });
    if outcome == RunOutcome::InsnLimit {
        // Every accelerator stops at the limit itself, not after the
        // block that crosses it.
        assert_eq!(machine.scheduler().insns(), max_insns, "{exec:?}");
    }
    let clusters = machine.scheduler().clusters();
    let registers = clusters
        .iter()
        .flat_map(|c| (0..c.cpus().len() as u32).map(|h| c.dump_registers(h).unwrap_or_default()))
        .collect();
    let compiled = clusters
        .iter()
        .filter_map(|c| c.backend_stats())
        .map(|(_, s)| s.compiled + s.baseline_compiled)
        .sum();
    let end = End {
        outcome,
        console: String::from_utf8_lossy(&console.contents()).into_owned(),
        insns: machine.scheduler().insns(),
        now_ns: machine.scheduler().now_ns(),
        registers,
    };
    (end, compiled)
}

fn check(profile: &str, dir: &str, programs: &[&str], harts_for: impl Fn(&str) -> u32) {
    check_for(profile, dir, programs, harts_for, 300_000_000);
}

/// [`check`], stopping every run after `max_insns` instructions.
fn check_for(
    profile: &str,
    dir: &str,
    programs: &[&str],
    harts_for: impl Fn(&str) -> u32,
    max_insns: u64,
) {
    let mut failures = Vec::new();
    for name in programs {
        let image = guests().join(format!("{dir}/{name}.elf"));
        let harts = harts_for(name);
        let (reference, _) = run(profile, &image, harts, Exec::Interp, max_insns);
        let execs = [
            Exec::Jit(1),
            Exec::Tiered(None),
            Exec::Tiered(Some(3)),
            Exec::FirstTier,
        ];
        for exec in execs {
            let (end, compiled) = run(profile, &image, harts, exec, max_insns);
            if end != reference {
                failures.push(format!(
                    "{dir}/{name} ({exec:?}):\n interp {reference:#?}\n jit {end:#?}"
                ));
            } else if compiled == 0 && !matches!(exec, Exec::Tiered(None)) {
                failures.push(format!("{dir}/{name} ({exec:?}): nothing was compiled"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A guest stepped one instruction at a time (as a debugger or an
/// instruction limit stops it, an interrupt can come) prints what it
/// prints when run: the CPU's state is complete between any two
/// instructions, inside IT blocks and compare-and-branch pairs too.
#[test]
fn guests_run_alike_one_instruction_at_a_time() {
    let stepped = |profile: &str, image: &str| {
        let mut loaded = load_profile(profile, builtin_registry()).expect("profile loads");
        loaded.builder.clear_images("cpu");
        loaded
            .builder
            .add_image(ImageSpec {
                cluster: "cpu".into(),
                path: guests().join(image),
                addr: None,
                entry: true,
            })
            .unwrap();
        loaded.builder.set_accel(Accel::Interp);
        let console = BufferBackend::new();
        let mut serial = SerialConfig::default();
        serial.set("uart0", SerialSpec::Buffer(console.clone()));
        let mut machine = loaded.realize(&serial).expect("machine builds");
        let clock = machine.clock().clone();
        let mut steps = 0u64;
        while !machine.control().stop_requested() && steps < 20_000_000 {
            machine.scheduler_mut().clusters_mut()[0].step(0, &clock);
            steps += 1;
        }
        String::from_utf8_lossy(&console.contents()).into_owned()
    };
    for (profile, image, pass) in [
        ("mps2-an386", "arm-m/images/m4/alu.elf", "PASS alu"),
        ("mps2-an386", "arm-m/images/m4/fpu.elf", "PASS fpu"),
        ("mps2-an385", "arm-m/images/m3/alu.elf", "PASS alu"),
        ("riscv-virt", "riscv/images/rv64/alu.elf", "alu: all passed"),
    ] {
        let out = stepped(profile, image);
        assert!(out.contains(pass), "{image}, stepped:\n{out}");
    }
}

fn riscv_harts(name: &str) -> u32 {
    if name == "amo_smp" {
        2
    } else {
        1
    }
}

/// The benchmark workloads, stopped mid-run: the compiled code's
/// superblocks, loops, side paths and inline float paths meet the
/// interpreter's registers and instruction count exactly there.
const BENCH: &[&str] = &[
    "crc", "sort", "hash", "matmul", "interp", "memory", "branchy", "float",
];

#[test]
fn bench_prefixes_end_identically_on_the_jit() {
    let one = |_: &str| 1;
    check_for("riscv-virt", "bench/images/rv64", BENCH, one, 3_000_000);
    check_for("riscv32-virt", "bench/images/rv32", BENCH, one, 3_000_000);
    check_for("mps2-an386", "bench/images/m4", BENCH, one, 3_000_000);
}

#[test]
fn rv64_guests_end_identically_on_the_jit() {
    check(
        "riscv-virt",
        "riscv/images/rv64",
        RISCV_PROGRAMS,
        riscv_harts,
    );
}

#[test]
fn rv32_guests_end_identically_on_the_jit() {
    check(
        "riscv32-virt",
        "riscv/images/rv32",
        RISCV_PROGRAMS,
        riscv_harts,
    );
}

#[test]
fn cortex_m3_guests_end_identically_on_the_jit() {
    check("mps2-an385", "arm-m/images/m3", M3_PROGRAMS, |_| 1);
}

#[test]
fn cortex_m4_guests_end_identically_on_the_jit() {
    check("mps2-an386", "arm-m/images/m4", M4_PROGRAMS, |_| 1);
}

/// The heterogeneous demo (RV64 + Cortex-M4F talking through a mailbox):
/// both consoles, counts, time and registers the same on the JIT.
#[test]
fn hetero_demo_ends_identically_on_the_jit() {
    let run = |accel: Accel, threshold: Option<u32>| {
        let mut loaded = load_profile("hetero-demo", builtin_registry()).expect("profile loads");
        loaded.builder.set_accel(accel);
        let (app, mcu) = (BufferBackend::new(), BufferBackend::new());
        let mut serial = SerialConfig::default();
        serial.set("app/uart0", SerialSpec::Buffer(app.clone()));
        serial.set("mcu/uart0", SerialSpec::Buffer(mcu.clone()));
        let mut machine = loaded.realize(&serial).expect("machine builds");
        if let Some(threshold) = threshold {
            for c in machine.scheduler_mut().clusters_mut() {
                c.set_hot_threshold(threshold);
            }
        }
        let outcome = machine.run(RunLimits {
            max_insns: Some(100_000_000),
            max_ns: None,
            held: false,
        });
        let s = machine.scheduler();
        let registers: Vec<String> = s
            .clusters()
            .iter()
            .flat_map(|c| {
                (0..c.cpus().len() as u32).map(|h| c.dump_registers(h).unwrap_or_default())
            })
            .collect();
        (
            outcome,
            String::from_utf8_lossy(&app.contents()).into_owned(),
            String::from_utf8_lossy(&mcu.contents()).into_owned(),
            s.insns(),
            s.now_ns(),
            registers,
        )
    };
    let reference = run(Accel::Interp, None);
    assert_eq!(run(Accel::JitSync, Some(1)), reference);
    assert_eq!(run(Accel::Baseline, Some(1)), reference);
    assert_eq!(run(Accel::Jit, Some(3)), reference);
    assert_eq!(run(Accel::Jit, None), reference);
}

#[test]
fn the_accel_property_chooses_a_cluster_backend() {
    let backend = |value: &str| {
        let mut loaded = load_profile("riscv-virt", builtin_registry()).expect("profile loads");
        loaded
            .builder
            .set_property("cpu", "accel", value.into())
            .map_err(|e| e.to_string())?;
        let machine = loaded
            .realize(&SerialConfig::default())
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(
            machine.scheduler().clusters()[0]
                .backend_stats()
                .map(|(name, _)| name),
        )
    };
    assert_eq!(backend("jit"), Ok(Some("jit".to_string())));
    assert_eq!(backend("interp"), Ok(None));
    assert_eq!(backend("baseline"), Ok(Some("jit".to_string())));
    let err = backend("fast").unwrap_err();
    assert!(err.contains("unknown accelerator `fast`"), "{err}");
}
