//! Debian's OpenSBI (`fw_jump`) and U-Boot on `riscv-virt`, as QEMU's
//! `virt` boots them with `-bios` and `-kernel`: OpenSBI's banner, U-Boot's
//! prompt, `version` and `help` typed on the UART, and Ctrl-A X to quit.
//! When QEMU is installed the same session runs on it, and the answers of
//! the two must be the same. Every wait is bounded.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const FW_JUMP: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
const UBOOT: &str = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf";

/// Generous enough for a debug build on a loaded machine; a release build
/// reaches the prompt in about a second.
const BOOT_TIMEOUT: Duration = Duration::from_secs(180);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Whether the firmware is installed; in CI its absence is a failure.
fn firmware_present() -> bool {
    let missing: Vec<&str> = [FW_JUMP, UBOOT]
        .into_iter()
        .filter(|p| !Path::new(p).is_file())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !in_ci(),
        "{} missing: scripts/install-test-tools.sh installs Debian's opensbi and u-boot-qemu",
        missing.join(" and ")
    );
    eprintln!(
        "SKIPPED: {} missing (run scripts/install-test-tools.sh)",
        missing.join(" and ")
    );
    false
}

/// Everything a child wrote to stdout so far, filled by a reader thread.
#[derive(Default)]
struct Output {
    bytes: Mutex<(Vec<u8>, bool)>,
    grew: Condvar,
}

/// A console session with an emulator: its stdin, and its stdout read
/// from `seen` on.
struct Session {
    name: &'static str,
    child: Child,
    stdin: ChildStdin,
    out: Arc<Output>,
    seen: usize,
    started: Instant,
}

impl Session {
    fn start(name: &'static str, command: &mut Command) -> Session {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        let started = Instant::now();
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let out = Arc::new(Output::default());
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = stdout.read(&mut buf).unwrap_or(0);
                let mut bytes = sink.bytes.lock().unwrap();
                if n == 0 {
                    bytes.1 = true;
                } else {
                    bytes.0.extend_from_slice(&buf[..n]);
                }
                sink.grew.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        Session {
            name,
            child,
            stdin,
            out,
            seen: 0,
            started,
        }
    }

    /// Waits until `text` appears past what was already consumed; returns
    /// what came up to and including it.
    fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut bytes = self.out.bytes.lock().unwrap();
        loop {
            let fresh = &bytes.0[self.seen..];
            if let Some(at) = fresh.windows(text.len()).position(|w| w == text.as_bytes()) {
                let got = String::from_utf8_lossy(&fresh[..at + text.len()]).into_owned();
                self.seen += at + text.len();
                return got;
            }
            let now = Instant::now();
            assert!(
                now < deadline && !bytes.1,
                "{}: {} waiting for {text:?}; the output ends with:\n{}",
                self.name,
                if bytes.1 {
                    "output closed"
                } else {
                    "timed out"
                },
                String::from_utf8_lossy(&bytes.0[bytes.0.len().saturating_sub(2000)..])
            );
            bytes = self.out.grew.wait_timeout(bytes, deadline - now).unwrap().0;
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stdin
            .write_all(bytes)
            .expect("the console takes input");
        self.stdin.flush().expect("the console takes input");
    }

    /// Types `command` at the prompt and returns its answer (without the
    /// echo and the next prompt).
    fn command(&mut self, command: &str) -> String {
        self.send(format!("{command}\n").as_bytes());
        let answer = self.wait_for("\n=> ", COMMAND_TIMEOUT);
        let answer = answer.strip_suffix("=> ").unwrap_or(&answer);
        let answer = answer.replace('\r', "");
        answer
            .strip_prefix(command)
            .unwrap_or(&answer)
            .trim()
            .to_string()
    }

    /// Boots to U-Boot's prompt, stopping autoboot; returns the time taken.
    fn boot_to_prompt(&mut self) -> Duration {
        self.wait_for("OpenSBI v", BOOT_TIMEOUT);
        self.wait_for("Hit any key to stop autoboot", BOOT_TIMEOUT);
        self.send(b" ");
        self.wait_for("=> ", COMMAND_TIMEOUT);
        self.started.elapsed()
    }

    /// Quits with Ctrl-A X and waits for the process to end.
    fn quit(mut self) -> (std::process::ExitStatus, String) {
        self.send(b"\x01x");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return (status, err);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{}: Ctrl-A X did not end the process", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A failed assertion must not leave an emulator running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The answers of one U-Boot session.
#[derive(Debug)]
struct Answers {
    to_prompt: Duration,
    version: String,
    help: String,
}

fn session(name: &'static str, command: &mut Command) -> Answers {
    let mut s = Session::start(name, command);
    let to_prompt = s.boot_to_prompt();
    let version = s.command("version");
    let help = s.command("help");
    let (status, stderr) = s.quit();
    assert!(status.success(), "{name} ended with {status}: {stderr}");
    Answers {
        to_prompt,
        version,
        help,
    }
}

/// A U-Boot session under Chimera with accelerator `accel`.
fn chimera_session(name: &'static str, accel: &str) -> Answers {
    session(
        name,
        Command::new(env!("CARGO_BIN_EXE_chimera")).args([
            "run",
            "--profile",
            "riscv-virt",
            "--accel",
            accel,
            "--bios",
            FW_JUMP,
            "--kernel",
            UBOOT,
        ]),
    )
}

#[test]
fn opensbi_and_uboot_reach_the_prompt_answer_commands_and_quit() {
    if !firmware_present() {
        return;
    }
    // The JIT is the default; the interpreter and the JIT's first tier
    // alone must reach the same answers.
    let chimera = chimera_session("chimera", "jit");
    let interp = chimera_session("chimera-interp", "interp");
    let first_tier = chimera_session("chimera-baseline", "baseline");
    assert_eq!(chimera.version, interp.version);
    assert_eq!(chimera.help, interp.help);
    assert_eq!(first_tier.version, interp.version);
    assert_eq!(first_tier.help, interp.help);
    assert!(
        chimera
            .version
            .lines()
            .any(|l| l.starts_with("U-Boot 20") && l.contains('(')),
        "no U-Boot version line in {:?}",
        chimera.version
    );
    for listed in ["bdinfo", "fdt", "help", "printenv", "version"] {
        assert!(
            chimera
                .help
                .lines()
                .any(|l| l.split_whitespace().next() == Some(listed)),
            "`help` does not list {listed}:\n{}",
            chimera.help
        );
    }
    eprintln!("chimera: U-Boot prompt after {:?}", chimera.to_prompt);
    eprintln!(
        "chimera --accel interp: U-Boot prompt after {:?}",
        interp.to_prompt
    );
    eprintln!(
        "chimera --accel baseline: U-Boot prompt after {:?}",
        first_tier.to_prompt
    );

    let qemu_there = Command::new("qemu-system-riscv64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !qemu_there {
        eprintln!("(qemu-system-riscv64 is not installed: no comparison)");
        return;
    }
    let qemu = session(
        "qemu",
        Command::new("qemu-system-riscv64").args([
            "-M",
            "virt",
            "-nographic",
            "-bios",
            FW_JUMP,
            "-kernel",
            UBOOT,
        ]),
    );
    eprintln!("qemu:    U-Boot prompt after {:?}", qemu.to_prompt);
    assert_eq!(chimera.version, qemu.version);
    assert_eq!(chimera.help, qemu.help);
}

#[test]
fn a_missing_or_malformed_bios_is_an_error_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("chimera-bios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.bin");
    let bad_elf = dir.join("bad.elf");
    std::fs::write(&bad_elf, b"\x7fELF\x02\x01\x01\x00garbage").unwrap();
    for bios in [&missing, &bad_elf] {
        let out = Command::new(env!("CARGO_BIN_EXE_chimera"))
            .args(["run", "--profile", "riscv-virt", "--bios"])
            .arg(bios)
            .stdin(Stdio::null())
            .output()
            .expect("chimera runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{err}");
        assert!(err.contains(&bios.display().to_string()), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
