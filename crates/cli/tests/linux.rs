//! Debian's riscv64 Linux kernel with a busybox initramfs, booted through
//! Debian's OpenSBI `fw_jump` on `riscv-virt` as QEMU's `virt` boots it
//! (`--bios`, `--kernel`, `--initrd`, `--append`), on every accelerator:
//!
//! - cut off in the middle of the kernel's start-up with `--max-insns`,
//!   the interpreter, the first tier alone, the default JIT and jit-sync
//!   stop at the same instruction and pc with the same console output;
//! - booted to the end (`/init` runs a few commands and powers off), the
//!   compiling accelerators print the same console, timestamps included,
//!   after the same number of instructions, and what userspace printed is
//!   what it prints on QEMU.
//!
//! The kernel and busybox come from `scripts/fetch-linux-riscv64.sh`
//! (Debian 13's packages in `.tools/linux-riscv64`, called by
//! `scripts/install-test-tools.sh`); without them, or without OpenSBI or
//! QEMU, the test fails in CI and is skipped elsewhere.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";

/// What `/init` prints first.
const INIT_MARK: &str = "chimera-test: init";

/// `/init`: a few commands whose output does not depend on timing, then
/// power off.
const INIT: &str = "#!/bin/busybox sh
/bin/busybox echo chimera-test: init
/bin/busybox uname -s -r -m
/bin/busybox seq 1 20000 | /bin/busybox sha256sum
/bin/busybox ls /
/bin/busybox poweroff -f
";

/// Inside the kernel's start-up: it has printed a hundred-odd lines.
const CUT_OFF: u64 = 700_000_000;

/// Bounds the boot to the end (about a billion instructions).
const BOOT_LIMIT: u64 = 3_000_000_000;

/// Longest a run may take (the interpreter's share is ~25 s in a test
/// build on this machine class).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails in CI, else says why the test is skipped: whether `ok`.
fn present(ok: bool, what: &str) -> bool {
    if !ok {
        assert!(!in_ci(), "{what}");
        eprintln!("SKIPPED: {what}");
    }
    ok
}

/// The kernel and an initramfs with [`INIT`] written for `test`, when the
/// files are there.
fn linux(test: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = source_root().join(".tools/linux-riscv64");
    let kernel = dir.join("Image");
    let busybox = std::fs::read(dir.join("busybox")).ok();
    let found = kernel.is_file() && busybox.is_some();
    if !present(
        found,
        "no riscv64 kernel or busybox: run scripts/fetch-linux-riscv64.sh",
    ) || !present(
        Path::new(FW_JUMP).is_file(),
        "no OpenSBI: run scripts/install-test-tools.sh",
    ) {
        return None;
    }
    let archive =
        chimera_machine::initramfs::busybox_initramfs(&busybox.expect("read above"), INIT)
            .expect("busybox and a short script make an archive");
    let initrd = std::env::temp_dir().join(format!(
        "chimera-test-linux-{}-{test}.cpio",
        std::process::id()
    ));
    std::fs::write(&initrd, archive).expect("the temporary directory is writable");
    Some((kernel, initrd))
}

/// A finished run: its console and what `--stats` said of each CPU.
#[derive(Debug, PartialEq, Eq)]
struct Ended {
    console: String,
    /// `cpuN: pc ..., N instructions` and `virtual time: ...` lines.
    state: Vec<String>,
}

/// Runs `command` to its end within [`RUN_TIMEOUT`]: stdout, stderr.
fn run(name: &str, command: &mut Command) -> (String, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        stdout.read_to_end(&mut b).map(|_| b)
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("waitable child").is_some() {
            break;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            panic!("{name} did not end within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = out_reader.join().expect("reader").expect("stdout read");
    let err = err_reader.join().expect("reader").expect("stderr read");
    (String::from_utf8_lossy(&out).into_owned(), err)
}

/// `chimera run` of the kernel on `accel`, stopping after `max_insns`.
fn chimera(kernel: &Path, initrd: &Path, accel: &str, max_insns: u64) -> Ended {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chimera"));
    command
        .args(["run", "--profile", "riscv-virt", "--set", "ram.size=512M"])
        .args(["--bios", FW_JUMP, "--kernel"])
        .arg(kernel)
        .arg("--initrd")
        .arg(initrd)
        .args(["--append", "console=ttyS0", "--stats", "--accel", accel])
        .arg("--reproducible")
        .args(["--max-insns", &max_insns.to_string()]);
    let (console, err) = run(accel, &mut command);
    let state: Vec<String> = err
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("cpu") && l.contains(" instructions") || l.starts_with("virtual time")
        })
        .map(str::to_string)
        .collect();
    assert!(
        !state.is_empty(),
        "{accel}: --stats printed no CPU state:\n{err}"
    );
    Ended { console, state }
}

/// What userspace printed: the lines from the init mark on that are not
/// the kernel's (their timestamps differ between emulators).
fn userspace(console: &str) -> Vec<&str> {
    console
        .split(INIT_MARK)
        .nth(1)
        .unwrap_or("")
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim_start().starts_with('[') && !l.is_empty())
        .collect()
}

/// The first line that differs between two consoles, for a message.
fn first_difference(a: &str, b: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    format!(
        "line {}: {:?} vs {:?}",
        at + 1,
        a.get(at).unwrap_or(&"<end>"),
        b.get(at).unwrap_or(&"<end>")
    )
}

fn assert_alike(reference: &Ended, reference_name: &str, other: &Ended, other_name: &str) {
    assert!(
        reference.console == other.console,
        "{other_name} printed other than {reference_name}: {}",
        first_difference(&reference.console, &other.console)
    );
    assert_eq!(
        reference.state, other.state,
        "{other_name} ended elsewhere than {reference_name}"
    );
}

#[test]
fn every_accelerator_stops_at_the_same_instruction_inside_the_kernel() {
    let Some((kernel, initrd)) = linux("cut-off") else {
        return;
    };
    let interp = chimera(&kernel, &initrd, "interp", CUT_OFF);
    assert!(
        interp
            .console
            .lines()
            .filter(|l| l.starts_with('['))
            .count()
            > 50,
        "the kernel printed its start-up by the cut-off:\n{}",
        interp.console
    );
    assert!(
        interp
            .state
            .iter()
            .any(|l| l.contains(&format!(" {CUT_OFF} instructions"))),
        "the interpreter stopped at the cut-off: {:?}",
        interp.state
    );
    for accel in ["baseline", "jit", "jit-sync"] {
        let other = chimera(&kernel, &initrd, accel, CUT_OFF);
        assert_alike(&interp, "interp", &other, accel);
    }
    let _ = std::fs::remove_file(initrd);
}

#[test]
fn linux_boots_to_init_alike_on_the_jits_and_on_qemu() {
    let Some((kernel, initrd)) = linux("boot") else {
        return;
    };
    let first_tier = chimera(&kernel, &initrd, "baseline", BOOT_LIMIT);
    let mine = userspace(&first_tier.console);
    assert!(
        mine.first().is_some_and(|l| l.starts_with("Linux ")) && mine.len() >= 3,
        "/init ran its commands:\n{}",
        first_tier.console
    );
    assert!(
        first_tier
            .state
            .iter()
            .all(|l| !l.contains(&format!(" {BOOT_LIMIT} instructions"))),
        "the guest powered off before the limit: {:?}",
        first_tier.state
    );
    for accel in ["jit", "jit-sync"] {
        let other = chimera(&kernel, &initrd, accel, BOOT_LIMIT);
        assert_alike(&first_tier, "baseline", &other, accel);
    }
    let qemu_found = Command::new("qemu-system-riscv64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if present(
        qemu_found,
        "qemu-system-riscv64 is missing: run scripts/install-test-tools.sh",
    ) {
        let mut command = Command::new("qemu-system-riscv64");
        command
            .args(["-M", "virt", "-m", "512M", "-nographic", "-nic", "none"])
            .args(["-bios", FW_JUMP, "-kernel"])
            .arg(&kernel)
            .arg("-initrd")
            .arg(&initrd)
            .args(["-append", "console=ttyS0"]);
        let (console, _) = run("qemu", &mut command);
        assert_eq!(
            userspace(&console),
            mine,
            "userspace printed the same on QEMU"
        );
        // The same clock found at the same place, on QEMU from the host's
        // time, here pinned by --reproducible.
        for c in [&console, &first_tier.console] {
            assert!(
                c.contains("goldfish_rtc 101000.rtc: registered as rtc0"),
                "{c}"
            );
        }
        assert!(
            first_tier
                .console
                .contains("setting system clock to 2026-01-01T00:00:00 UTC"),
            "{}",
            first_tier.console
        );
    }
    let _ = std::fs::remove_file(initrd);
}
