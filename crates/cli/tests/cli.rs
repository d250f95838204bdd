//! The `chimera` command as a person or a script uses it.

use std::process::Command;

fn chimera(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chimera"))
        .args(args)
        .output()
        .expect("chimera runs")
}

#[test]
fn types_json_lists_every_type_with_its_schema() {
    let out = chimera(&["types", "--json"]);
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let list = list.as_array().expect("a list");
    let names: Vec<&str> = list.iter().filter_map(|t| t["name"].as_str()).collect();
    for expected in [
        "address-space",
        "ram",
        "rom",
        "cpu",
        "ns16550a",
        "test-finisher",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for t in list {
        assert_eq!(t["schema"]["type"], "object", "{}", t["name"]);
        assert!(t["origin"]["kind"].is_string());
        assert!(!t["doc"].as_str().unwrap_or("").is_empty());
    }
}

#[test]
fn describe_prints_properties_and_pins() {
    let out = chimera(&["describe", "ns16550a"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("reg-shift"), "{text}");
    assert!(text.contains("default 3686400"), "{text}");
    assert!(text.contains("irq"), "{text}");
    let out = chimera(&["describe", "ns16550"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `ns16550a`"));
}

#[test]
fn check_reports_mistakes_with_locations_and_exit_code_125() {
    let dir = std::env::temp_dir().join(format!("chimera-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "[[space]]\nid = \"sys\"\n[[device]]\nid = \"u\"\ntype = \"uart\"\n",
    )
    .unwrap();
    let out = chimera(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:5:8: error: unknown type `uart`"),
        "{err}"
    );
}

#[test]
fn tree_prints_objects_and_the_memory_map() {
    let dir = std::env::temp_dir().join(format!("chimera-tree-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("board.toml");
    std::fs::write(
        &file,
        "[[space]]\nid = \"sys\"\n[[device]]\nid = \"u\"\ntype = \"ns16550a\"\nspace = \"sys\"\nbase = 0x1000\n",
    )
    .unwrap();
    let out = chimera(&["tree", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("u (ns16550a) [realized]"), "{text}");
    assert!(text.contains("0000000000001000-00000000000010ff"), "{text}");
}

#[test]
fn run_with_no_argument_runs_the_default_machine_reproducibly() {
    let a = chimera(&["run", "--stats"]);
    let b = chimera(&["run", "--stats"]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(a.stdout, b.stdout, "combined output differs between runs");
    // What the JIT compiled, and when, is the host's business (it
    // compiles in the background), and with it how the run loop got from
    // block to block; everything else is the guest's.
    let counts = |stderr: &[u8]| -> String {
        String::from_utf8_lossy(stderr)
            .lines()
            .filter(|l| {
                !["jit:", "run loop:"]
                    .iter()
                    .any(|p| l.trim_start().starts_with(p))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        counts(&a.stderr),
        counts(&b.stderr),
        "instruction counts differ between runs"
    );
    let out = String::from_utf8_lossy(&a.stdout);
    assert!(out.contains("[app/uart0] "), "{out}");
    assert!(out.contains("[mcu/uart0] "), "{out}");
}

#[test]
fn serial_output_can_be_routed_per_uart() {
    let dir = std::env::temp_dir().join(format!("chimera-serial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("mcu.log");
    let out = chimera(&[
        "run",
        "--serial",
        &format!("mcu.uart0=file:{}", log.display()),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("mcu:"), "{stdout}");
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("mcu: Cortex-M4 up"));
}

#[test]
fn tree_of_the_default_machine_shows_both_clusters_their_spaces_and_the_mailbox_lines() {
    let out = chimera(&["tree", "--profile", "hetero-demo"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "  app (riscv64) [realized]\n    clint (riscv-clint)",
        "  mcu (cortex-m4) [realized]\n    cpu0 (cpu)",
        "cluster app (riscv64, 1 cpu) sees address-space app-bus",
        "cluster mcu (armv7m, 1 cpu) sees address-space mcu-bus",
        "line mailbox.irq-a[0] -> app/plic.source[1]",
        "line mailbox.irq-b[0] -> mcu/cpu0.irq[16]",
        "line mcu-reset.reset[0] -> mcu/cpu0.reset[0]",
        "0000000090000000-000000009000ffff (prio 0, ram): shared",
        "0000000028000000-000000002800ffff (prio 0, ram): shared",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

#[test]
fn an_unknown_extension_in_isa_is_an_error_naming_it() {
    let hello = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../guests/riscv/images/rv64/hello.elf"
    );
    let out = chimera(&[
        "run",
        "--profile",
        "riscv-virt",
        "--set",
        "cpu.isa=zba=false,zbq=true",
        "--kernel",
        hello,
    ]);
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown extension `zbq`"), "{err}");
    // Known ones turned off run as before where they are not used.
    let out = chimera(&[
        "run",
        "--profile",
        "riscv-virt",
        "--set",
        "cpu.isa=zba=false,sstc=off",
        "--kernel",
        hello,
    ]);
    assert!(out.status.success(), "{out:?}");
}
