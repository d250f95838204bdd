//! `chimera dtb`: the device tree of a machine, checked by `dtc` (which
//! must decompile it without a warning) and read back for what the
//! description declares.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn chimera(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chimera"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("chimera runs")
}

fn dtc_present() -> bool {
    let ok = Command::new("dtc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "dtc is missing: scripts/install-test-tools.sh installs it"
        );
        eprintln!("SKIPPED: dtc is not installed (run scripts/install-test-tools.sh)");
    }
    ok
}

/// Writes the profile's tree with `-o` and decompiles it; `dtc` must not
/// warn.
fn decompile(args: &[&str], name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("chimera-dtb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join(format!("{name}.dtb"));
    let mut full = vec!["dtb"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", file.to_str().unwrap()]);
    let out = chimera(&full);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("dtc")
        .args(["-I", "dtb", "-O", "dts"])
        .arg(&file)
        .output()
        .expect("dtc runs");
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && warnings.trim().is_empty(),
        "{name}: {warnings}"
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn riscv_virt_tree_decompiles_cleanly_and_describes_the_machine() {
    if !dtc_present() {
        return;
    }
    let dts = decompile(&["--profile", "riscv-virt"], "riscv-virt");
    for expected in [
        "timebase-frequency = <0x989680>",
        "mmu-type = \"riscv,sv57\"",
        "riscv,isa = \"rv64ima",
        "memory@80000000",
        "reg = <0x00 0x80000000 0x00 0x8000000>",
        "compatible = \"sifive,clint0\\0riscv,clint0\"",
        "compatible = \"sifive,plic-1.0.0\\0riscv,plic0\"",
        "riscv,ndev = <0x5f>",
        "serial@10000000",
        "compatible = \"ns16550a\"",
        "interrupts = <0x0a>",
        "compatible = \"sifive,test1\\0sifive,test0\\0syscon\"",
        "compatible = \"syscon-poweroff\"",
        "stdout-path = \"/soc/serial@10000000\"",
    ] {
        assert!(dts.contains(expected), "{expected} missing from:\n{dts}");
    }
}

#[test]
fn harts_and_sizes_follow_the_description() {
    if !dtc_present() {
        return;
    }
    let dts = decompile(
        &[
            "--profile",
            "riscv-virt",
            "--set",
            "cpu.harts=2",
            "--set",
            "ram.size=256M",
        ],
        "two-harts",
    );
    assert!(dts.contains("cpu@1"), "{dts}");
    assert!(
        dts.contains("reg = <0x00 0x80000000 0x00 0x10000000>"),
        "{dts}"
    );
    // The CLINT's and the PLIC's lines reach both harts' controllers
    // (phandles 2 and 4): M software and timer, M and S external.
    assert!(
        dts.contains("interrupts-extended = <0x02 0x03 0x02 0x07 0x04 0x03 0x04 0x07>"),
        "{dts}"
    );
    assert!(
        dts.contains("interrupts-extended = <0x02 0x0b 0x02 0x09 0x04 0x0b 0x04 0x09>"),
        "{dts}"
    );
    let rv32 = decompile(&["--profile", "riscv32-virt"], "riscv32-virt");
    assert!(rv32.contains("mmu-type = \"riscv,sv32\""), "{rv32}");
    assert!(rv32.contains("riscv,isa = \"rv32ima"), "{rv32}");
}

#[test]
fn a_cluster_without_a_device_tree_description_is_an_error() {
    let out = chimera(&["dtb", "--profile", "mps2-an385", "-o", "/dev/null"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("armv7m"));
    let out = chimera(&[
        "dtb",
        "--profile",
        "riscv-virt",
        "--cluster",
        "nope",
        "-o",
        "/dev/null",
    ]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}
