//! Any bytes as guest code: run by the interpreter, by the JIT's first
//! tier and by Cranelift (every block compiled from its first run) on
//! `riscv-virt`, `riscv32-virt` or `mps2-an386` (the first byte chooses);
//! all must end with the same outcome, instruction count and registers.
#![no_main]

use chimera_engine::{RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, Accel, ImageSpec, SerialConfig};
use libfuzzer_sys::fuzz_target;

/// What a run leaves behind.
#[derive(Debug, PartialEq)]
struct End {
    outcome: RunOutcome,
    insns: u64,
    registers: Vec<String>,
}

/// Memories of the two profiles, shrunk to what a fuzzed program can use.
const SMALL_MEMORIES: &[(&str, &str)] = &[
    ("ram", "64K"),
    ("ssram1", "64K"),
    ("ssram23", "64K"),
    ("ssram", "64K"),
];

fn run(profile: &str, addr: u64, image: &std::path::Path, accel: Accel) -> Option<End> {
    let mut loaded = load_profile(profile, builtin_registry()).ok()?;
    // Small memories: each input builds three machines, and the
    // sanitizer touches every byte it allocates.
    for (id, size) in SMALL_MEMORIES {
        let _ = loaded.builder.set_property(id, "size", (*size).into());
    }
    let cluster = loaded.kernel_cluster()?;
    loaded.builder.clear_images(&cluster);
    loaded
        .builder
        .add_image(ImageSpec {
            cluster,
            path: image.to_path_buf(),
            addr: Some(addr),
            entry: true,
        })
        .ok()?;
    loaded.builder.set_accel(accel);
    let mut serial = SerialConfig::default();
    for _ in 0..8 {
        let _ = serial.add("none");
    }
    let mut machine = loaded.realize(&serial).ok()?;
    if accel != Accel::Interp {
        for c in machine.scheduler_mut().clusters_mut() {
            c.set_hot_threshold(1);
        }
    }
    let outcome = machine.run(RunLimits {
        max_insns: Some(2_000),
        // Traps cost time but retire nothing: a program that traps on and
        // on ends here rather than after a trap storm's 100,000.
        max_ns: Some(20_000),
        held: false,
    });
    let registers = machine
        .scheduler()
        .clusters()
        .iter()
        .flat_map(|c| (0..c.cpus().len() as u32).map(|h| c.dump_registers(h).unwrap_or_default()))
        .collect();
    Some(End {
        outcome,
        insns: machine.scheduler().insns(),
        registers,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, code)) = data.split_first() else {
        return;
    };
    if code.is_empty() {
        return;
    }
    // The Cortex-M image needs a vector table: SP and the reset vector
    // (Thumb) ahead of the code.
    let (profile, addr, bytes) = if which % 3 == 0 {
        ("riscv-virt", 0x8000_0000u64, code.to_vec())
    } else if which % 3 == 2 {
        ("riscv32-virt", 0x8000_0000u64, code.to_vec())
    } else {
        let mut v = Vec::with_capacity(code.len() + 8);
        v.extend_from_slice(&0x2000_8000u32.to_le_bytes());
        v.extend_from_slice(&0x0000_0009u32.to_le_bytes());
        v.extend_from_slice(code);
        ("mps2-an386", 0, v)
    };
    let path = std::env::temp_dir().join(format!("chimera-fuzz-accels-{}.bin", std::process::id()));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let Some(reference) = run(profile, addr, &path, Accel::Interp) else {
        return;
    };
    for accel in [Accel::Baseline, Accel::JitSync] {
        let end = run(profile, addr, &path, accel).expect("builds as it did interpreted");
        assert_eq!(end, reference, "{accel:?} on {profile}");
    }
});
