//! The heterogeneous part of `chimera bench`: the default machine
//! (`hetero-demo`) with a compute-bound guest on each side — the RV64 CRC
//! workload on the application core, the Cortex-M CRC + sort workload on
//! the microcontroller, both started at once and given comparable virtual
//! clocks — run in deterministic mode and in parallel mode (a host thread
//! per cluster), on the interpreter and on the JIT. Prints each cluster's
//! guest MIPS and the speed-up.

use std::time::Instant;

use chimera_engine::RunLimits;
use chimera_machine::{builtin_registry, load_profile, Accel, ImageSpec, SerialConfig, SerialSpec};

use crate::bench::source_root;

/// The quantum of both runs: 100 µs of virtual time, 100,000
/// instructions per cluster between meetings.
const QUANTUM_NS: u64 = 100_000;

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
        ("app", "guests/bench/images/crc-rv64.elf"),
        ("mcu", "guests/arm-m/images/m4/bench.elf"),
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
    // Until the first guest reports its exit: the same span of guest work
    // in both modes.
    machine.run(RunLimits::default());
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
    println!();
    println!(
        "hetero-demo, compute-bound (crc-rv64 on app, crc-sort-m4 on mcu, both at 1 GHz, quantum {} us):",
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
                println!(
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
        println!("  parallel speed-up ({accel}): {:.2}x", par / det);
    }
    true
}
