//! `chimera bench`: guest MIPS of the workloads in guests/bench (each
//! built for rv64, rv32, Cortex-M3 and Cortex-M4) under Chimera's
//! interpreter, its JIT and, when it is installed, QEMU on the same image,
//! in one run, with the median time the JIT took to compile a block and
//! geometric means per target. Wall-clock time; the instruction count is
//! Chimera's (the guests are deterministic, so QEMU retires the same
//! instructions, give or take its UART polling).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use chimera_devices::BufferBackend;
use chimera_engine::{RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, Accel, ImageSpec, SerialConfig, SerialSpec};

/// A target the workloads are built for: the profile that runs them and
/// QEMU's equivalent (its binary and the arguments that give the same
/// board).
struct Target {
    name: &'static str,
    profile: &'static str,
    qemu: &'static str,
    qemu_args: &'static [&'static str],
}

const QEMU_VIRT: &[&str] = &["-M", "virt", "-bios", "none"];
/// UART and semihosting on one stdout, as guests/arm-m/Makefile runs them.
const QEMU_MPS2_ARGS: &[&str] = &[
    "-chardev",
    "stdio,id=con,mux=on",
    "-serial",
    "chardev:con",
    "-semihosting-config",
    "enable=on,target=native,chardev=con",
];

const TARGETS: &[Target] = &[
    Target {
        name: "rv64",
        profile: "riscv-virt",
        qemu: "qemu-system-riscv64",
        qemu_args: QEMU_VIRT,
    },
    Target {
        name: "rv32",
        profile: "riscv32-virt",
        qemu: "qemu-system-riscv32",
        qemu_args: QEMU_VIRT,
    },
    Target {
        name: "m3",
        profile: "mps2-an385",
        qemu: "qemu-system-arm",
        qemu_args: &["-M", "mps2-an385"],
    },
    Target {
        name: "m4",
        profile: "mps2-an386",
        qemu: "qemu-system-arm",
        qemu_args: &["-M", "mps2-an386"],
    },
];

/// The workloads of guests/bench, each built for every target (float not
/// for the M3, which has no FPU: a missing image is skipped).
const WORKLOADS: &[&str] = &[
    "crc", "sort", "hash", "matmul", "interp", "memory", "branchy", "float",
];

/// Wall-clock runs of the JIT and of QEMU per workload; the best counts
/// (these runs are short, and the machine is shared).
const TIMED_RUNS: usize = 3;

/// One workload on one target.
struct Workload {
    name: String,
    target: &'static Target,
    image: PathBuf,
}

/// The source tree, where the bench images are.
pub(crate) fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One workload's run under Chimera.
struct ChimeraRun {
    insns: u64,
    secs: f64,
    output: String,
    /// Median block compile time (ns), under the JIT.
    compile_ns: Option<u64>,
}

/// Runs one workload under Chimera with `accel`.
fn run_chimera(w: &Workload, image: &Path, accel: Accel) -> Result<ChimeraRun, String> {
    let mut loaded =
        load_profile(w.target.profile, builtin_registry()).map_err(|d| d.to_string())?;
    loaded.builder.set_accel(accel);
    loaded.builder.clear_images("cpu");
    loaded
        .builder
        .add_image(ImageSpec {
            cluster: "cpu".into(),
            path: image.to_path_buf(),
            addr: None,
            entry: true,
        })
        .map_err(|e| e.kind.to_string())?;
    let uart = BufferBackend::new();
    let mut serial = SerialConfig::default();
    serial.set("uart0", SerialSpec::Buffer(uart.clone()));
    let mut machine = loaded.realize(&serial).map_err(|d| d.to_string())?;
    let start = Instant::now();
    let outcome = machine.run(RunLimits::default());
    let secs = start.elapsed().as_secs_f64();
    if !matches!(
        outcome,
        RunOutcome::Exit(chimera_engine::ExitRequest::Exit(0))
    ) {
        return Err(format!("{}: the guest ended with {outcome:?}", w.name));
    }
    let output = String::from_utf8_lossy(&uart.contents()).into_owned();
    let compile_ns = machine
        .scheduler()
        .clusters()
        .iter()
        .find_map(|c| c.backend_stats())
        .map(|(_, s)| s.median_compile_ns);
    Ok(ChimeraRun {
        insns: machine.scheduler().insns(),
        secs,
        output,
        compile_ns,
    })
}

/// Runs `command` to its end: (wall-clock seconds, stdout), or `None`
/// when it cannot start or fails.
fn timed(command: &mut Command) -> Option<(f64, String)> {
    let start = Instant::now();
    let out = command.stdin(Stdio::null()).output().ok()?;
    let secs = start.elapsed().as_secs_f64();
    out.status
        .success()
        .then(|| (secs, String::from_utf8_lossy(&out.stdout).replace('\r', "")))
}

/// The best of [`TIMED_RUNS`] runs of `make()`'s command.
fn best_of(mut make: impl FnMut() -> Command) -> Option<(f64, String)> {
    let mut best: Option<(f64, String)> = None;
    for _ in 0..TIMED_RUNS {
        let run = timed(&mut make())?;
        if best.as_ref().is_none_or(|b| run.0 < b.0) {
            best = Some(run);
        }
    }
    best
}

/// Runs one workload under QEMU, if installed: (best seconds, output).
fn run_qemu(w: &Workload) -> Option<(f64, String)> {
    let t = w.target;
    best_of(|| {
        let mut cmd = Command::new(t.qemu);
        cmd.args(t.qemu_args)
            .args(["-nographic", "-monitor", "none"]);
        if t.qemu == "qemu-system-arm" {
            cmd.args(QEMU_MPS2_ARGS);
        }
        cmd.arg("-kernel").arg(&w.image);
        cmd
    })
}

/// Runs one workload as `chimera run --accel jit` in a process of its
/// own, timed like QEMU (start-up included): best seconds.
fn run_chimera_process(w: &Workload) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    best_of(|| {
        let mut cmd = Command::new(&exe);
        cmd.args(["run", "--profile", w.target.profile, "--accel", "jit"])
            .arg("--kernel")
            .arg(&w.image);
        cmd
    })
    .map(|(secs, _)| secs)
}

/// The workloads whose `target/name` contains one of `filters` (all when
/// there is none) and whose image exists.
fn selected(filters: &[String]) -> Vec<Workload> {
    let root = source_root();
    TARGETS
        .iter()
        .flat_map(|t| {
            let root = &root;
            WORKLOADS.iter().map(move |w| Workload {
                name: format!("{}/{w}", t.name),
                target: t,
                image: root.join(format!("guests/bench/images/{}/{w}.elf", t.name)),
            })
        })
        .filter(|w| filters.is_empty() || filters.iter().any(|f| w.name.contains(f.as_str())))
        .filter(|w| w.image.exists())
        .collect()
}

/// Geometric mean of positive ratios.
fn geomean(values: &[f64]) -> Option<f64> {
    (!values.is_empty())
        .then(|| (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

/// Runs the workloads `filters` select (all when empty; the compute-bound
/// heterogeneous variant too when empty or one names `hetero`) and prints
/// a table; returns the exit code.
pub fn bench(filters: &[String]) -> u8 {
    println!(
        "{:<14} {:>12} {:>11} {:>9} {:>9} {:>8} {:>10} {:>12}",
        "workload",
        "instructions",
        "interp MIPS",
        "jit MIPS",
        "qemu MIPS",
        "jit/qemu",
        "jit/interp",
        "compile (us)"
    );
    let mut failed = false;
    // Per target: (jit/qemu, jit/interp) of each workload.
    let mut ratios: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    let mut compile_ns = Vec::new();
    for w in selected(filters) {
        let runs = run_chimera(&w, &w.image, Accel::Interp)
            .and_then(|i| Ok((i, run_chimera(&w, &w.image, Accel::Jit)?)));
        let (interp, jit) = match runs {
            Ok(r) => r,
            Err(e) => {
                eprintln!("chimera: {e}");
                failed = true;
                continue;
            }
        };
        if jit.output != interp.output || jit.insns != interp.insns {
            eprintln!(
                "chimera: {}: the JIT's run differs from the interpreter's",
                w.name
            );
            failed = true;
        }
        let insns = interp.insns;
        let interp_mips = insns as f64 / interp.secs / 1e6;
        let jit_secs = run_chimera_process(&w).unwrap_or(jit.secs);
        let jit_mips = insns as f64 / jit_secs / 1e6;
        let entry = match ratios.iter_mut().position(|r| r.0 == w.target.name) {
            Some(i) => &mut ratios[i],
            None => {
                ratios.push((w.target.name, Vec::new(), Vec::new()));
                ratios.last_mut().expect("just pushed")
            }
        };
        entry.2.push(jit_mips / interp_mips);
        let (qemu_mips, ratio) = match run_qemu(&w) {
            Some((qsecs, qout)) => {
                if qout.trim_end() != interp.output.trim_end() {
                    eprintln!("chimera: {}: output differs from QEMU's", w.name);
                    failed = true;
                }
                let q = insns as f64 / qsecs / 1e6;
                entry.1.push(jit_mips / q);
                (format!("{q:.1}"), format!("{:.2}", jit_mips / q))
            }
            None => ("-".to_string(), "-".to_string()),
        };
        compile_ns.extend(jit.compile_ns);
        let compile = jit
            .compile_ns
            .map_or("-".to_string(), |ns| format!("{:.1}", ns as f64 / 1e3));
        println!(
            "{:<14} {:>12} {:>11.1} {:>9.1} {:>9} {:>8} {:>10.2} {:>12}",
            w.name,
            insns,
            interp_mips,
            jit_mips,
            qemu_mips,
            ratio,
            jit_mips / interp_mips,
            compile
        );
    }
    for (target, vs_qemu, vs_interp) in &ratios {
        let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
        println!(
            "{target}: geometric mean jit/qemu {}, jit/interp {}",
            fmt(geomean(vs_qemu)),
            fmt(geomean(vs_interp))
        );
    }
    compile_ns.sort_unstable();
    if let Some(median) = compile_ns.get(compile_ns.len() / 2) {
        println!(
            "median of the workloads' median block compile times: {:.1} us",
            *median as f64 / 1e3
        );
    }
    println!(
        "(JIT and QEMU: best of {TIMED_RUNS} whole-process runs, start-up and compiling included; \
         interpreter: the run alone.)"
    );
    if filters.is_empty() || filters.iter().any(|f| "hetero".contains(f.as_str())) {
        failed |= !crate::bench_hetero::bench_hetero();
    }
    if failed {
        crate::exit::EMULATOR_ERROR
    } else {
        0
    }
}
