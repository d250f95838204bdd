//! `chimera bench`: guest MIPS of the workloads in guests/bench (each
//! built for rv64, rv32, Cortex-M3 and Cortex-M4) under Chimera's
//! interpreter, its JIT and, when it is installed, QEMU on the same image,
//! in one run, with the median time the JIT took to compile a block (its
//! first tier's and Cranelift's) and geometric means per target.
//! Wall-clock time; the instruction count is Chimera's (the guests are
//! deterministic, so QEMU retires the same instructions, give or take its
//! UART polling).

use crate::out::outln;
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
    /// A guest that prints a line and exits: what start-up costs.
    idle: &'static str,
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
        idle: "guests/riscv/images/rv64/hello.elf",
        profile: "riscv-virt",
        qemu: "qemu-system-riscv64",
        qemu_args: QEMU_VIRT,
    },
    Target {
        name: "rv32",
        idle: "guests/riscv/images/rv32/hello.elf",
        profile: "riscv32-virt",
        qemu: "qemu-system-riscv32",
        qemu_args: QEMU_VIRT,
    },
    Target {
        name: "m3",
        idle: "guests/arm-m/images/m3/hello.elf",
        profile: "mps2-an385",
        qemu: "qemu-system-arm",
        qemu_args: &["-M", "mps2-an385"],
    },
    Target {
        name: "m4",
        idle: "guests/arm-m/images/m4/hello.elf",
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
    /// Median block compile times (ns) under the JIT: Cranelift's and
    /// the first tier's.
    compile_ns: Option<(u64, u64)>,
}

/// Instructions the interpreter runs of each workload: enough for a
/// steady rate, without waiting minutes for the long ones.
const INTERP_PREFIX: u64 = 40_000_000;

/// Runs one workload under Chimera with `accel`, to its end or for
/// `limit` instructions.
fn run_chimera(w: &Workload, accel: Accel, limit: Option<u64>) -> Result<ChimeraRun, String> {
    let mut loaded =
        load_profile(w.target.profile, builtin_registry()).map_err(|d| d.to_string())?;
    loaded.builder.set_accel(accel);
    loaded.builder.clear_images("cpu");
    loaded
        .builder
        .add_image(ImageSpec {
            cluster: "cpu".into(),
            path: w.image.clone(),
            addr: None,
            entry: true,
        })
        .map_err(|e| e.kind.to_string())?;
    let uart = BufferBackend::new();
    let mut serial = SerialConfig::default();
    serial.set("uart0", SerialSpec::Buffer(uart.clone()));
    let mut machine = loaded.realize(&serial).map_err(|d| d.to_string())?;
    let start = Instant::now();
    let outcome = machine.run(RunLimits {
        max_insns: limit,
        ..RunLimits::default()
    });
    let secs = start.elapsed().as_secs_f64();
    let ended = match outcome {
        RunOutcome::Exit(chimera_engine::ExitRequest::Exit(0)) => true,
        RunOutcome::InsnLimit => limit.is_some(),
        _ => false,
    };
    if !ended {
        return Err(format!("{}: the guest ended with {outcome:?}", w.name));
    }
    let output = String::from_utf8_lossy(&uart.contents()).into_owned();
    let compile_ns = machine
        .scheduler()
        .clusters()
        .iter()
        .find_map(|c| c.backend_stats())
        .map(|(_, s)| (s.median_compile_ns, s.median_baseline_ns));
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

/// Runs `image` on target `t` under QEMU, if installed: (best seconds,
/// output).
fn run_qemu(t: &Target, image: &Path) -> Option<(f64, String)> {
    best_of(|| {
        let mut cmd = Command::new(t.qemu);
        cmd.args(t.qemu_args)
            .args(["-nographic", "-monitor", "none"]);
        if t.qemu == "qemu-system-arm" {
            cmd.args(QEMU_MPS2_ARGS);
        }
        cmd.arg("-kernel").arg(image);
        cmd
    })
}

/// Runs `image` on target `t` as `chimera run --accel jit` in a process
/// of its own, timed like QEMU (start-up included): best seconds.
fn run_chimera_process(t: &Target, image: &Path) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    best_of(|| {
        let mut cmd = Command::new(&exe);
        cmd.args(["run", "--profile", t.profile, "--accel", "jit"])
            .arg("--kernel")
            .arg(image);
        cmd
    })
    .map(|(secs, _)| secs)
}

/// Start-up costs of one target: (Chimera, QEMU if installed) seconds to
/// run its idle guest.
fn startup(t: &Target) -> (f64, Option<f64>) {
    let idle = source_root().join(t.idle);
    let chimera = run_chimera_process(t, &idle).unwrap_or(0.0);
    (chimera, run_qemu(t, &idle).map(|(secs, _)| secs))
}

/// Guest MIPS of `insns` run in `secs`, less `startup` seconds (never
/// below a millisecond, so a run shorter than the start-up estimate stays
/// finite).
fn mips_after(insns: u64, secs: f64, startup: f64) -> f64 {
    insns as f64 / (secs - startup).max(1e-3) / 1e6
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

/// The value kept for `target` in `list` (in order of first use), made
/// by `make` the first time.
fn per_target<'a, T>(
    list: &'a mut Vec<(&'static str, T)>,
    target: &'static str,
    make: impl FnOnce() -> T,
) -> &'a mut T {
    let index = match list.iter().position(|(t, _)| *t == target) {
        Some(i) => i,
        None => {
            list.push((target, make()));
            list.len() - 1
        }
    };
    &mut list[index].1
}

/// Geometric mean of positive ratios.
fn geomean(values: &[f64]) -> Option<f64> {
    (!values.is_empty())
        .then(|| (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

/// Per target: the ratios of each workload.
#[derive(Default)]
struct Ratios {
    vs_qemu: Vec<f64>,
    vs_qemu_run: Vec<f64>,
    vs_interp: Vec<f64>,
}

/// Runs the workloads `filters` select (all when empty; the compute-bound
/// heterogeneous variant too when empty or one names `hetero`, and the
/// whole-system rows, see [`crate::bench_system`]) and prints tables;
/// returns the exit code.
pub fn bench(filters: &[String]) -> u8 {
    let workloads = selected(filters);
    let mut failed = false;
    if !workloads.is_empty() {
        failed |= !bench_workloads(workloads);
    }
    if filters.is_empty() || filters.iter().any(|f| "hetero".contains(f.as_str())) {
        failed |= !crate::bench_hetero::bench_hetero();
    }
    failed |= !crate::bench_system::bench_system(filters);
    if failed {
        crate::exit::EMULATOR_ERROR
    } else {
        0
    }
}

/// Runs `workloads` and prints their table; whether all agreed and ran.
fn bench_workloads(workloads: Vec<Workload>) -> bool {
    outln!(
        "{:<14} {:>11} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>9} {:>6}",
        "workload",
        "insns",
        "interp",
        "jit",
        "qemu",
        "jit*",
        "qemu*",
        "jit/qemu",
        "jit*/qm*",
        "jit/int",
        "compile",
        "tier1"
    );
    let mut failed = false;
    let mut ratios: Vec<(&str, Ratios)> = Vec::new();
    let mut startups: Vec<(&str, (f64, Option<f64>))> = Vec::new();
    let (mut compile_ns, mut first_tier_ns) = (Vec::new(), Vec::new());
    for w in workloads {
        let runs = run_chimera(&w, Accel::Interp, Some(INTERP_PREFIX))
            .and_then(|i| Ok((i, run_chimera(&w, Accel::Jit, None)?)));
        let (interp, jit) = match runs {
            Ok(r) => r,
            Err(e) => {
                eprintln!("chimera: {e}");
                failed = true;
                continue;
            }
        };
        // The interpreter ran a prefix: what it printed, the JIT printed
        // first (the full comparison is the differential test's).
        let prefix_agrees = if interp.insns < INTERP_PREFIX {
            jit.output == interp.output && jit.insns == interp.insns
        } else {
            jit.output.starts_with(&interp.output)
        };
        if !prefix_agrees {
            eprintln!(
                "chimera: {}: the JIT's run differs from the interpreter's",
                w.name
            );
            failed = true;
        }
        let (chimera_start, qemu_start) =
            *per_target(&mut startups, w.target.name, || startup(w.target));
        let insns = jit.insns;
        let interp_mips = mips_after(interp.insns, interp.secs, 0.0);
        let jit_secs = run_chimera_process(w.target, &w.image).unwrap_or(jit.secs);
        let jit_mips = mips_after(insns, jit_secs, 0.0);
        let jit_run_mips = mips_after(insns, jit_secs, chimera_start);
        let entry = per_target(&mut ratios, w.target.name, Ratios::default);
        entry.vs_interp.push(jit_mips / interp_mips);
        let qemu = run_qemu(w.target, &w.image);
        let dash = || "-".to_string();
        let (qemu_cols, ratio_cols) = match (qemu, qemu_start) {
            (Some((qsecs, qout)), Some(qstart)) => {
                if qout.trim_end() != jit.output.trim_end() {
                    eprintln!("chimera: {}: output differs from QEMU's", w.name);
                    failed = true;
                }
                let q = mips_after(insns, qsecs, 0.0);
                let q_run = mips_after(insns, qsecs, qstart);
                entry.vs_qemu.push(jit_mips / q);
                entry.vs_qemu_run.push(jit_run_mips / q_run);
                (
                    (format!("{q:.0}"), format!("{q_run:.0}")),
                    (
                        format!("{:.2}", jit_mips / q),
                        format!("{:.2}", jit_run_mips / q_run),
                    ),
                )
            }
            _ => ((dash(), dash()), (dash(), dash())),
        };
        let (cranelift, tier1) = (jit.compile_ns.map(|t| t.0), jit.compile_ns.map(|t| t.1));
        compile_ns.extend(cranelift);
        first_tier_ns.extend(tier1);
        let us = |ns: Option<u64>| ns.map_or(dash(), |ns| format!("{:.0}us", ns as f64 / 1e3));
        let (compile, first_tier) = (us(cranelift), us(tier1));
        outln!(
            "{:<14} {:>11} {:>7.1} {:>7.0} {:>7} {:>7.0} {:>7} {:>8} {:>8} {:>7.1} {:>9} {:>6}",
            w.name,
            insns,
            interp_mips,
            jit_mips,
            qemu_cols.0,
            jit_run_mips,
            qemu_cols.1,
            ratio_cols.0,
            ratio_cols.1,
            jit_mips / interp_mips,
            compile,
            first_tier
        );
    }
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    for (target, r) in &ratios {
        outln!(
            "{target}: geometric mean jit/qemu {}, start-up excluded {}, jit/interp {}",
            fmt(geomean(&r.vs_qemu)),
            fmt(geomean(&r.vs_qemu_run)),
            fmt(geomean(&r.vs_interp))
        );
    }
    for (target, (chimera, qemu)) in &startups {
        outln!(
            "{target}: start-up (idle guest) chimera {:.1} ms, qemu {}",
            chimera * 1e3,
            qemu.map_or("-".to_string(), |q| format!("{:.1} ms", q * 1e3))
        );
    }
    for (name, mut times) in [("Cranelift", compile_ns), ("first tier", first_tier_ns)] {
        times.sort_unstable();
        if let Some(median) = times.get(times.len() / 2) {
            outln!(
                "median of the workloads' median block compile times, {name}: {:.1} us",
                *median as f64 / 1e3
            );
        }
    }
    outln!(
        "(MIPS from wall-clock time. jit, qemu: best of {TIMED_RUNS} whole-process runs; \
         jit*, qemu*: the same less each one's start-up on an idle guest; \
         interp: the first {INTERP_PREFIX} instructions, the run alone. \
         A block runs the JIT's first-tier code from its second run and \
         Cranelift's, compiled in the background, once the tier policy expects it to pay.)"
    );
    !failed
}
