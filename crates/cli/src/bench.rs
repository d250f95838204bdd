//! `chimera bench`: guest MIPS of the workloads in guests/bench under
//! Chimera's interpreter, its JIT and, when it is installed, QEMU on the
//! same image, in one run, with the median time the JIT took to compile a
//! block. Wall-clock time; the instruction count is Chimera's (the guests
//! are deterministic, so QEMU retires the same instructions).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use chimera_devices::BufferBackend;
use chimera_engine::{RunLimits, RunOutcome};
use chimera_machine::{builtin_registry, load_profile, Accel, ImageSpec, SerialConfig, SerialSpec};

/// One workload: an image, the profile it runs on, and QEMU's equivalent
/// (its binary and the arguments that give the same board).
struct Workload {
    name: &'static str,
    profile: &'static str,
    image: &'static str,
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

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "crc-rv64",
        profile: "riscv-virt",
        image: "guests/bench/images/crc-rv64.elf",
        qemu: "qemu-system-riscv64",
        qemu_args: QEMU_VIRT,
    },
    Workload {
        name: "crc-rv32",
        profile: "riscv32-virt",
        image: "guests/bench/images/crc-rv32.elf",
        qemu: "qemu-system-riscv32",
        qemu_args: QEMU_VIRT,
    },
    Workload {
        name: "crc-sort-m3",
        profile: "mps2-an385",
        image: "guests/arm-m/images/m3/bench.elf",
        qemu: "qemu-system-arm",
        qemu_args: &["-M", "mps2-an385"],
    },
    Workload {
        name: "crc-sort-m4",
        profile: "mps2-an386",
        image: "guests/arm-m/images/m4/bench.elf",
        qemu: "qemu-system-arm",
        qemu_args: &["-M", "mps2-an386"],
    },
];

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
    let mut loaded = load_profile(w.profile, builtin_registry()).map_err(|d| d.to_string())?;
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

/// Runs one workload under QEMU, if installed: (seconds, output).
fn run_qemu(w: &Workload, image: &Path) -> Option<(f64, String)> {
    let start = Instant::now();
    let mut cmd = Command::new(w.qemu);
    cmd.args(w.qemu_args)
        .args(["-nographic", "-monitor", "none"]);
    if w.qemu == "qemu-system-arm" {
        cmd.args(QEMU_MPS2_ARGS);
    }
    let out = cmd
        .arg("-kernel")
        .arg(image)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let secs = start.elapsed().as_secs_f64();
    out.status
        .success()
        .then(|| (secs, String::from_utf8_lossy(&out.stdout).replace('\r', "")))
}

/// Runs every workload and prints a table; returns the exit code.
pub fn bench() -> u8 {
    println!(
        "{:<12} {:>12} {:>11} {:>9} {:>9} {:>8} {:>11} {:>12}",
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
    for w in WORKLOADS {
        let image = source_root().join(w.image);
        let runs = run_chimera(w, &image, Accel::Interp)
            .and_then(|i| Ok((i, run_chimera(w, &image, Accel::Jit)?)));
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
        let jit_mips = insns as f64 / jit.secs / 1e6;
        let (qemu_mips, ratio) = match run_qemu(w, &image) {
            Some((qsecs, qout)) => {
                if qout.trim_end() != interp.output.trim_end() {
                    eprintln!("chimera: {}: output differs from QEMU's", w.name);
                    failed = true;
                }
                let q = insns as f64 / qsecs / 1e6;
                (format!("{q:.1}"), format!("{:.2}", jit_mips / q))
            }
            None => ("-".to_string(), "-".to_string()),
        };
        let compile = jit
            .compile_ns
            .map_or("-".to_string(), |ns| format!("{:.1}", ns as f64 / 1e3));
        println!(
            "{:<12} {:>12} {:>11.1} {:>9.1} {:>9} {:>8} {:>11.2} {:>12}",
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
    println!("(QEMU and JIT times include start-up and, for the JIT, compiling.)");
    failed |= !crate::bench_hetero::bench_hetero();
    if failed {
        crate::exit::EMULATOR_ERROR
    } else {
        0
    }
}
