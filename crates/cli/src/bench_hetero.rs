//! The heterogeneous part of `chimera bench`: the default machine
//! (`hetero-demo`) with a compute-bound guest on each side — the rv64 CRC
//! workload on the application core, the M4 CRC workload on the
//! microcontroller, both started at once and given comparable virtual
//! clocks — run in deterministic mode and in parallel mode (a host thread
//! per cluster) for a fixed number of instructions (more on the JIT, so
//! that its run is long enough to time), on the interpreter and on the
//! JIT. Prints each cluster's guest MIPS and the speed-up.

use crate::out::outln;
use std::time::Instant;

use chimera_engine::RunLimits;
use chimera_machine::{builtin_registry, load_profile, Accel, ImageSpec, SerialConfig, SerialSpec};

use crate::bench::source_root;

/// The quantum of both runs: 100 µs of virtual time, 100,000
/// instructions per cluster between meetings.
const QUANTUM_NS: u64 = 100_000;

/// Instructions (both clusters together) each run executes.
fn budget(accel: Accel) -> u64 {
    match accel {
        Accel::Interp => 60_000_000,
        Accel::Baseline => 300_000_000,
        Accel::Jit | Accel::JitSync => 1_000_000_000,
    }
}

/// Per-cluster instructions and the wall-clock seconds of one run.
fn run(parallel: bool, accel: Accel) -> Result<(Vec<(String, u64)>, f64), String> {
    let mut loaded = load_profile("hetero-demo", builtin_registry()).map_err(|d| d.to_string())?;
    loaded.builder.set_accel(accel);
    let b = &mut loaded.builder;
    let set =
        |b: &mut chimera_machine::MachineBuilder, id: &str, prop: &str, v: serde_json::Value| {
            b.set_property(id, prop, v).map_err(|e| e.kind.to_string())
        };
    // The microcontroller runs from the start, as fast as the core.
    set(b, "mcu-reset", "held", 0.into())?;
    set(b, "mcu", "freq-hz", 1_000_000_000u64.into())?;
    for (cluster, image) in [
        ("app", "guests/bench/images/rv64/crc.elf"),
        ("mcu", "guests/bench/images/m4/crc.elf"),
    ] {
        b.clear_images(cluster);
        b.add_image(ImageSpec {
            cluster: cluster.into(),
            path: source_root().join(image),
            addr: None,
            entry: true,
        })
        .map_err(|e| e.kind.to_string())?;
    }
    let mut serial = SerialConfig::default();
    for uart in ["app/uart0", "mcu/uart0", "mcu/semihosting"] {
        serial.set(
            uart,
            SerialSpec::Buffer(chimera_devices::BufferBackend::new()),
        );
    }
    let mut machine = loaded.realize(&serial).map_err(|d| d.to_string())?;
    machine.scheduler_mut().set_parallel(parallel);
    machine.scheduler_mut().set_quantum_ns(QUANTUM_NS);
    let start = Instant::now();
    // The same span of guest work in both modes (each guest runs longer
    // than this).
    machine.run(RunLimits {
        max_insns: Some(budget(accel)),
        ..RunLimits::default()
    });
    let secs = start.elapsed().as_secs_f64();
    let counts = machine
        .scheduler()
        .clusters()
        .iter()
        .map(|c| (c.name().to_string(), c.insns()))
        .collect();
    Ok((counts, secs))
}

/// Prints the table; returns whether both runs worked.
pub fn bench_hetero() -> bool {
    outln!();
    outln!(
        "hetero-demo, compute-bound (rv64/crc on app, m4/crc on mcu, both at 1 GHz, quantum {} us):",
        QUANTUM_NS / 1000
    );
    for accel in [Accel::Interp, Accel::Jit] {
        if !bench_modes(accel) {
            return false;
        }
    }
    true
}

/// Both modes on `accel`; returns whether both runs worked.
fn bench_modes(accel: Accel) -> bool {
    let mut mips_total = Vec::new();
    for parallel in [false, true] {
        match run(parallel, accel) {
            Ok((counts, secs)) => {
                let mode = if parallel {
                    format!("parallel {accel}")
                } else {
                    format!("deterministic {accel}")
                };
                let per: Vec<String> = counts
                    .iter()
                    .map(|(name, n)| {
                        format!("{name} {:.1} MIPS ({n} insns)", *n as f64 / secs / 1e6)
                    })
                    .collect();
                let total: u64 = counts.iter().map(|(_, n)| n).sum();
                let mips = total as f64 / secs / 1e6;
                outln!(
                    "  {mode:<20} {secs:.3} s  {}  total {mips:.1} MIPS",
                    per.join("  ")
                );
                mips_total.push(mips);
            }
            Err(e) => {
                eprintln!("chimera: hetero bench: {e}");
                return false;
            }
        }
    }
    if let [det, par] = mips_total[..] {
        outln!("  parallel speed-up ({accel}): {:.2}x", par / det);
    }
    true
}
