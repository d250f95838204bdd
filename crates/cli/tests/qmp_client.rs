//! QEMU's own Python QMP client (`qemu.qmp`, installed by
//! scripts/install-test-tools.sh into .tools/venv) builds a shipped machine
//! command by command through `chimera serve`, runs, stops, resets and
//! continues it; the guests' output must equal `chimera run`'s.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> Option<PathBuf> {
    let py = workspace().join(".tools/venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import qemu.qmp"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

fn profile() -> &'static str {
    if workspace().join("machines/hetero-demo.toml").exists() {
        "hetero-demo"
    } else {
        "riscv-duo"
    }
}

#[test]
fn qemu_qmp_client_builds_and_drives_a_machine() {
    let Some(python) = python() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "qemu.qmp is missing: scripts/install-test-tools.sh installs it"
        );
        eprintln!("SKIPPED: qemu.qmp is not installed (run scripts/install-test-tools.sh)");
        return;
    };
    let chimera = env!("CARGO_BIN_EXE_chimera");
    let profile = profile();
    let reference = Command::new(chimera)
        .args(["run", "--profile", profile])
        .output()
        .expect("chimera run");
    assert!(
        reference.status.success(),
        "chimera run --profile {profile} failed: {}",
        String::from_utf8_lossy(&reference.stderr)
    );

    let sock = std::env::temp_dir().join(format!("chimera-qmp-client-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&sock);
    let mut serve = Command::new(chimera)
        .args(["serve", "--qmp", &format!("unix:{}", sock.display())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chimera serve");
    let start = Instant::now();
    while !sock.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the QMP socket never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let script = workspace().join("tests/qmp/build_and_run.py");
    let toml = workspace().join(format!("machines/{profile}.toml"));
    let client = Command::new(python)
        .arg(script)
        .arg(&sock)
        .arg(toml)
        .output()
        .expect("python runs");
    // A client that failed may leave the server waiting for `quit`.
    let deadline = Instant::now() + Duration::from_secs(10);
    while serve.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if serve.try_wait().ok().flatten().is_none() {
        let _ = serve.kill();
    }
    let served = serve.wait_with_output().expect("chimera serve ends");
    assert!(
        client.status.success(),
        "qemu.qmp client failed:\n{}",
        String::from_utf8_lossy(&client.stderr)
    );
    assert!(
        served.status.success(),
        "{}",
        String::from_utf8_lossy(&served.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&served.stdout),
        String::from_utf8_lossy(&reference.stdout),
        "the guests' output under QMP differs from chimera run's"
    );
}
