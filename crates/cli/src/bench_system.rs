//! The whole-system rows of `chimera bench`: software nobody here wrote,
//! booted the same way on Chimera and on QEMU in the same run — Debian's
//! riscv64 Linux with a busybox initramfs to the first line of `/init`, a
//! userspace job inside that Linux (busybox `sha256sum` and `gzip` over a
//! few megabytes made in the initramfs), and Debian's OpenSBI + U-Boot to
//! the `=>` prompt. Each run is a process of its own; it prints wall-clock
//! and CPU time (user + system of every thread, the compile thread's
//! included), best of [`TIMED_RUNS`], and the ratios to QEMU.
//!
//! The kernel and busybox come from `scripts/fetch-linux-riscv64.sh`
//! (Debian 13's packages, in `.tools/linux-riscv64`), the firmware from
//! Debian's `opensbi` and `u-boot-qemu` packages; a row whose files are
//! missing is skipped with the command that gets them.

use crate::out::outln;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::bench::source_root;

const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
const UBOOT: &str = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf";
const QEMU: &str = "qemu-system-riscv64";

/// Runs per emulator and row; the best counts (the machine is shared).
const TIMED_RUNS: usize = 3;

/// Longest a run may take (the interpreter's Linux boot takes about a
/// minute on this machine class).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// What `/init` prints first: the boot is over.
const INIT_MARK: &str = "chimera-bench: init";

/// The userspace job: a few megabytes of text made by `seq`, hashed and
/// compressed; what it prints must be the same on both emulators.
const USER_JOB: &str = "/bin/busybox seq 1 400000 > /tmp/data
/bin/busybox sha256sum /tmp/data
/bin/busybox gzip -c /tmp/data | /bin/busybox wc -c
";

/// How a row's run ends.
enum Until {
    /// The guest powers the machine off.
    Exit,
    /// This text appears on the console (the emulator is then stopped).
    Text(&'static str),
}

/// One whole-system workload.
struct System {
    name: &'static str,
    /// `chimera run` arguments besides `--accel`.
    chimera: Vec<String>,
    /// QEMU's arguments for the same machine.
    qemu: Vec<String>,
    until: Until,
    /// When this text appears, a key is typed (U-Boot's autoboot).
    key_at: Option<&'static str>,
    /// What the console must show for the run to count.
    expect: &'static str,
    /// A file made for the row, removed after it.
    made: Option<PathBuf>,
}

/// One timed run.
#[derive(Debug, Clone)]
struct Run {
    wall: f64,
    cpu: f64,
    output: String,
    insns: Option<u64>,
}

/// CPU seconds (user + system) of the children this process has waited
/// for.
fn children_cpu() -> f64 {
    // SAFETY: `getrusage` fills the `rusage` it is given, which lives on
    // this stack frame for the call; all-zero bytes are a valid `rusage`.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Runs `command` as `system` says: to its end or until its text shows,
/// typing a key where asked.
fn run_once(command: &mut Command, system: &System) -> Result<Run, String> {
    let cpu_before = children_cpu();
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let (mut stdin, mut stdout, mut stderr) =
        match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(i), Some(o), Some(e)) => (i, o, e),
            _ => return Err("no pipes to the child".into()),
        };
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut output = Vec::new();
    let mut keyed = system.key_at.is_none();
    let mut wall = None;
    let deadline = start + RUN_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => output.extend_from_slice(&chunk),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no end after {} s", RUN_TIMEOUT.as_secs()));
            }
        }
        let text = String::from_utf8_lossy(&output);
        if !keyed && system.key_at.is_some_and(|k| text.contains(k)) {
            keyed = true;
            let _ = stdin.write_all(b" ").and_then(|()| stdin.flush());
        }
        if let Until::Text(t) = system.until {
            if text.contains(t) {
                wall = Some(start.elapsed().as_secs_f64());
                let _ = child.kill();
                break;
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let wall = wall.unwrap_or_else(|| start.elapsed().as_secs_f64());
    let cpu = children_cpu() - cpu_before;
    let _ = reader.join();
    let errors = errors.join().unwrap_or_default();
    let output = String::from_utf8_lossy(&output).replace('\r', "");
    if matches!(system.until, Until::Exit) && !status.success() {
        return Err(format!("exited with {status}: {}", errors.trim()));
    }
    if !output.contains(system.expect) {
        let tail: String = output
            .chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!(
            "{:?} never appeared; the console ends with:\n{tail}",
            system.expect
        ));
    }
    let insns = errors.lines().find_map(|l| {
        l.split_once("): ")?
            .1
            .split_once(" instructions")?
            .0
            .parse()
            .ok()
    });
    Ok(Run {
        wall,
        cpu,
        output,
        insns,
    })
}

/// The best of `runs` runs (least CPU time).
fn best(runs: usize, mut make: impl FnMut() -> Command, system: &System) -> Result<Run, String> {
    let mut best: Option<Run> = None;
    for _ in 0..runs {
        let run = run_once(&mut make(), system)?;
        if best.as_ref().is_none_or(|b| run.cpu < b.cpu) {
            best = Some(run);
        }
    }
    best.ok_or_else(|| "no run".into())
}

/// The Linux files, or the command that gets them.
fn linux_files() -> Result<(PathBuf, Vec<u8>), String> {
    let dir = source_root().join(".tools/linux-riscv64");
    let busybox = std::fs::read(dir.join("busybox"));
    match (dir.join("Image").is_file(), busybox) {
        (true, Ok(busybox)) => Ok((dir.join("Image"), busybox)),
        _ => Err("no riscv64 kernel: run scripts/fetch-linux-riscv64.sh".into()),
    }
}

/// Writes an initramfs with `init` for `name` into the temporary
/// directory: its path.
fn initramfs(name: &str, busybox: &[u8], init: &str) -> Result<PathBuf, String> {
    let archive =
        chimera_machine::initramfs::busybox_initramfs(busybox, init).map_err(|e| e.to_string())?;
    let path =
        std::env::temp_dir().join(format!("chimera-bench-{}-{name}.cpio", std::process::id()));
    std::fs::write(&path, archive).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// The rows whose name contains a filter (all when there is none), with
/// the reason for each one that cannot run.
fn systems(filters: &[String]) -> Vec<Result<System, (String, String)>> {
    let wanted = |name: &str| {
        filters.is_empty()
            || filters
                .iter()
                .any(|f| name.contains(f.as_str()) || f == "system")
    };
    let firmware = |what: &str| {
        Path::new(FW_JUMP).is_file().then_some(()).ok_or_else(|| {
            (
                what.to_string(),
                "no OpenSBI: run scripts/install-test-tools.sh".into(),
            )
        })
    };
    let linux = |name: &'static str, job: &str, expect: &'static str| {
        firmware(name)?;
        let (kernel, busybox) = linux_files().map_err(|e| (name.to_string(), e))?;
        let init = format!(
            "#!/bin/busybox sh\n/bin/busybox echo {INIT_MARK}\n{job}/bin/busybox poweroff -f\n"
        );
        let initrd = initramfs(name.replace('/', "-").as_str(), &busybox, &init)
            .map_err(|e| (name.to_string(), e))?;
        let made = initrd.clone();
        let (kernel, initrd) = (kernel.display().to_string(), initrd.display().to_string());
        let chimera = [
            "--profile",
            "riscv-virt",
            "--set",
            "ram.size=512M",
            "--bios",
            FW_JUMP,
            "--kernel",
            &kernel,
            "--initrd",
            &initrd,
            "--append",
            "console=ttyS0",
            "--reproducible",
        ];
        let qemu = [
            "-M",
            "virt",
            "-m",
            "512M",
            "-nographic",
            "-nic",
            "none",
            "-bios",
            FW_JUMP,
            "-kernel",
            &kernel,
            "-initrd",
            &initrd,
            "-append",
            "console=ttyS0",
        ];
        Ok(System {
            name,
            chimera: chimera.iter().map(|s| s.to_string()).collect(),
            qemu: qemu.iter().map(|s| s.to_string()).collect(),
            until: Until::Exit,
            key_at: None,
            expect,
            made: Some(made),
        })
    };
    let mut out = Vec::new();
    if wanted("linux/init") {
        out.push(linux("linux/init", "", INIT_MARK));
    }
    if wanted("linux/user") {
        out.push(linux("linux/user", USER_JOB, "  /tmp/data"));
    }
    if wanted("uboot/prompt") {
        let uboot = firmware("uboot/prompt").and_then(|()| {
            Path::new(UBOOT).is_file().then_some(()).ok_or_else(|| {
                (
                    "uboot/prompt".to_string(),
                    "no U-Boot: run scripts/install-test-tools.sh".to_string(),
                )
            })
        });
        out.push(uboot.map(|()| {
            System {
                name: "uboot/prompt",
                chimera: [
                    "--profile",
                    "riscv-virt",
                    "--bios",
                    FW_JUMP,
                    "--kernel",
                    UBOOT,
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                qemu: [
                    "-M",
                    "virt",
                    "-nographic",
                    "-nic",
                    "none",
                    "-bios",
                    FW_JUMP,
                    "-kernel",
                    UBOOT,
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                until: Until::Text("=> "),
                key_at: Some("Hit any key"),
                expect: "U-Boot",
                made: None,
            }
        }));
    }
    out
}

/// The part of a Linux console the guest's userspace printed: from the
/// init mark on, without the kernel's own lines (their timestamps differ).
fn guest_lines(output: &str) -> String {
    output
        .split(INIT_MARK)
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with('['))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the whole-system rows `filters` select and prints them; whether
/// every row that could run agreed with QEMU and ran to its end.
pub(crate) fn bench_system(filters: &[String]) -> bool {
    let rows = systems(filters);
    if rows.is_empty() {
        return true;
    }
    outln!();
    outln!(
        "{:<13} {:>11} {:>15} {:>15} {:>15} {:>15} {:>8} {:>9}",
        "system",
        "insns",
        "interp",
        "tier1",
        "jit",
        "qemu",
        "jit/qemu",
        "jit/qemu"
    );
    outln!(
        "{:<13} {:>11} {:>15} {:>15} {:>15} {:>15} {:>8} {:>9}",
        "",
        "",
        "wall / cpu s",
        "wall / cpu s",
        "wall / cpu s",
        "wall / cpu s",
        "cpu",
        "wall"
    );
    let exe = std::env::current_exe().ok();
    let mut ok = true;
    for row in rows {
        let system = match row {
            Ok(s) => s,
            Err((name, why)) => {
                outln!("{name:<13} skipped: {why}");
                continue;
            }
        };
        let chimera = |accel: &'static str, runs: usize| {
            let exe = exe.clone().ok_or("no path to chimera itself")?;
            best(
                runs,
                || {
                    let mut cmd = Command::new(&exe);
                    cmd.args(["run", "--stats", "--accel", accel])
                        .args(&system.chimera);
                    cmd
                },
                &system,
            )
        };
        // The interpreter runs once: it takes minutes on Linux.
        let results = [
            chimera("interp", 1),
            chimera("baseline", TIMED_RUNS),
            chimera("jit", TIMED_RUNS),
            best(
                TIMED_RUNS,
                || {
                    let mut cmd = Command::new(QEMU);
                    cmd.args(&system.qemu);
                    cmd
                },
                &system,
            ),
        ];
        let cell = |r: &Result<Run, String>| match r {
            Ok(r) => format!("{:.2} / {:.2}", r.wall, r.cpu),
            Err(_) => "-".into(),
        };
        let [interp, tier1, jit, qemu] = &results;
        let ratio = |f: fn(&Run) -> f64| match (jit, qemu) {
            (Ok(j), Ok(q)) => format!("{:.2}", f(j) / f(q)),
            _ => "-".into(),
        };
        let insns = jit
            .as_ref()
            .ok()
            .and_then(|r| r.insns)
            .map_or("-".into(), |n| n.to_string());
        outln!(
            "{:<13} {:>11} {:>15} {:>15} {:>15} {:>15} {:>8} {:>9}",
            system.name,
            insns,
            cell(interp),
            cell(tier1),
            cell(jit),
            cell(qemu),
            ratio(|r| r.cpu),
            ratio(|r| r.wall)
        );
        for (who, r) in ["interp", "tier1", "jit", "qemu"].iter().zip(&results) {
            if let Err(e) = r {
                eprintln!("chimera: {} on {who}: {e}", system.name);
                ok &= *who == "qemu" && e.starts_with("cannot start");
            }
        }
        if let (Ok(j), Ok(q)) = (jit, qemu) {
            if system.name.starts_with("linux") && guest_lines(&j.output) != guest_lines(&q.output)
            {
                eprintln!(
                    "chimera: {}: the guest's output differs from QEMU's:\n{}\n---\n{}",
                    system.name,
                    guest_lines(&j.output),
                    guest_lines(&q.output)
                );
                ok = false;
            }
        }
        if let Some(path) = &system.made {
            let _ = std::fs::remove_file(path);
        }
        if let Ok(j) = jit {
            if system.name == "linux/user" {
                for line in guest_lines(&j.output).lines().filter(|l| !l.is_empty()) {
                    outln!("{:<13} guest: {line}", "");
                }
            }
        }
    }
    outln!(
        "(Each run a process of its own, started from scratch; best of {TIMED_RUNS} by CPU time, \
         the interpreter once. cpu: user + system time of all its threads. linux/user is \
         linux/init plus the job.)"
    );
    ok
}
