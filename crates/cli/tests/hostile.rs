//! What a hostile guest, file or client sends: `chimera` answers with an
//! error that names the place, and neither hangs nor crashes.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chimera-hostile-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Runs `chimera` with `args`, killed if it is not done in 30 s.
fn chimera_within_30s(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chimera"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chimera starts");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("chimera {args:?} still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A firmware image of one all-zero word: an illegal instruction, whose
/// trap goes to `mtvec` 0, where nothing is mapped.
fn zero_word_bios(dir: &Path) -> PathBuf {
    let path = dir.join("z.bin");
    std::fs::write(&path, [0u8; 4]).expect("image written");
    path
}

#[test]
fn a_riscv_trap_loop_ends_the_run_as_a_hung_guest_on_every_accelerator() {
    let dir = scratch("trap-loop");
    let bios = zero_word_bios(&dir);
    let bios = bios.to_str().expect("utf-8 path");
    for accel in ["interp", "baseline", "jit"] {
        let (code, stderr) = chimera_within_30s(&[
            "run",
            "--profile",
            "riscv-virt",
            "--bios",
            bios,
            "--max-insns",
            "1000",
            "--accel",
            accel,
        ]);
        assert_eq!(code, Some(124), "{accel}: {stderr}");
        assert!(
            stderr.contains("traps in a row") && stderr.contains("pc 0x0"),
            "{accel}: {stderr}"
        );
    }
    let empty = dir.join("empty.bin");
    std::fs::write(&empty, []).expect("image written");
    let (code, stderr) = chimera_within_30s(&[
        "run",
        "--profile",
        "riscv32-virt",
        "--bios",
        empty.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, Some(124), "{stderr}");
}

/// One line of JSON from the server that is not an event, or `None` when
/// the server closed the connection.
fn read_reply(reader: &mut BufReader<UnixStream>) -> Option<Value> {
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let v: Value = serde_json::from_str(&line).ok()?;
        if v.get("event").is_none() {
            return Some(v);
        }
    }
}

#[test]
fn a_trap_loop_under_qmp_keeps_running_and_the_server_answers() {
    let dir = scratch("trap-loop-qmp");
    let bios = zero_word_bios(&dir);
    let socket = dir.join("qmp.sock");
    let _ = std::fs::remove_file(&socket);
    let mut child = Command::new(env!("CARGO_BIN_EXE_chimera"))
        .args(["run", "--profile", "riscv-virt", "--bios"])
        .arg(&bios)
        .arg("--qmp")
        .arg(format!("unix:{}", socket.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chimera starts");
    let start = Instant::now();
    let stream = loop {
        match UnixStream::connect(&socket) {
            Ok(s) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(20) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => {
                let _ = child.kill();
                panic!("no QMP socket: {e}");
            }
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout set");
    let mut writer = stream.try_clone().expect("second handle");
    let mut reader = BufReader::new(stream);
    let mut exchange = |msg: Option<Value>| -> Option<Value> {
        if let Some(msg) = msg {
            writer.write_all(format!("{msg}\n").as_bytes()).ok()?;
        }
        read_reply(&mut reader)
    };
    let mut replies = Vec::new();
    replies.push(exchange(None));
    replies.push(exchange(Some(json!({"execute": "qmp_capabilities"}))));
    // Long enough for many storms' worth of traps.
    std::thread::sleep(Duration::from_millis(500));
    replies.push(exchange(Some(json!({"execute": "query-status"}))));
    if replies.iter().any(Option::is_none) || child.try_wait().expect("wait").is_some() {
        let _ = child.kill();
        let out = child.wait_with_output().expect("output");
        panic!(
            "{replies:?}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        replies[2].as_ref().map(|r| &r["return"]["status"]),
        Some(&json!("running")),
        "{replies:?}"
    );
    exchange(Some(json!({"execute": "quit"})));
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "quit obeyed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn listings_into_a_closed_pipe_end_quietly() {
    for args in [
        &["types"][..],
        &["types", "--json"],
        &["profiles"],
        &["tree", "--profile", "riscv-virt"],
        &["describe", "ns16550a"],
        &["check", "--profile", "riscv-virt"],
    ] {
        // The reading end is closed before chimera writes a byte.
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_chimera"))
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("chimera runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_ram_size_beyond_the_limit_or_the_host_is_an_error_naming_the_object() {
    for size in ["2000T", "0xffffffffffffffff", "1T"] {
        let (code, stderr) = chimera_within_30s(&[
            "run",
            "--profile",
            "riscv-virt",
            "--set",
            &format!("ram.size={size}"),
            "--max-insns",
            "10",
        ]);
        // 1 TiB is within the limit: a host that has it runs the guest.
        if size == "1T" && code == Some(0) {
            continue;
        }
        assert_eq!(code, Some(125), "{size}: {stderr}");
        assert!(stderr.contains("`ram`: size:"), "{size}: {stderr}");
    }
}

/// A little-endian ELF64 RISC-V file with one segment: 4 bytes from the
/// file and `memsz` in memory at `addr`.
fn riscv_elf64(addr: u64, memsz: u64) -> Vec<u8> {
    let mut b = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    b.resize(16, 0);
    b.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    b.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&addr.to_le_bytes());
    b.extend_from_slice(&64u64.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    for half in [64u16, 56, 1, 64, 0, 0] {
        b.extend_from_slice(&half.to_le_bytes());
    }
    b.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    b.extend_from_slice(&5u32.to_le_bytes());
    for word in [120u64, addr, addr, 4, memsz, 4] {
        b.extend_from_slice(&word.to_le_bytes());
    }
    b.extend_from_slice(&[0x13, 0, 0, 0]);
    b
}

#[test]
fn images_are_checked_before_anything_is_loaded() {
    let dir = scratch("images");
    let huge_bss = dir.join("bss.elf");
    std::fs::write(&huge_bss, riscv_elf64(0x8000_0000, 3 << 30)).expect("written");
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "riscv-virt",
            huge_bss.display().to_string(),
            "nothing writable",
        ),
        ("riscv-virt", "/bin/true".into(), "x86-64"),
        (
            "mps2-an385",
            huge_bss.display().to_string(),
            "for RISC-V, not for this cluster's Arm",
        ),
        (
            "riscv32-virt",
            huge_bss.display().to_string(),
            "64-bit ELF file for a 32-bit",
        ),
        ("riscv-virt", "/dev/null".into(), "not a regular file"),
        ("riscv-virt", dir.display().to_string(), "is a directory"),
        (
            "riscv-virt",
            fifo.display().to_string(),
            "not a regular file",
        ),
    ];
    for (profile, image, want) in cases {
        if image.ends_with("fifo") && !made {
            continue;
        }
        let start = Instant::now();
        let (code, stderr) = chimera_within_30s(&[
            "run",
            "--profile",
            profile,
            "--kernel",
            &image,
            "--max-insns",
            "10",
        ]);
        assert_eq!(code, Some(125), "{profile} {image}: {stderr}");
        assert!(stderr.contains(want), "{profile} {image}: {stderr}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{image}: took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn endless_or_unreadable_descriptions_are_errors() {
    for (path, want) in [
        ("/dev/zero", "longer than a description"),
        ("/", "is a directory"),
    ] {
        let (code, stderr) = chimera_within_30s(&["check", path]);
        assert_eq!(code, Some(125), "{path}: {stderr}");
        assert!(stderr.contains(want), "{path}: {stderr}");
    }
}

/// Resident memory of process `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_stdin_flood_to_a_guest_that_never_reads_stays_bounded() {
    let dir = scratch("stdin-flood");
    // `j .`: spins forever, never looks at its UART.
    let spin = dir.join("spin.bin");
    std::fs::write(&spin, [0x6f, 0, 0, 0]).expect("image written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chimera"))
        .args([
            "run",
            "--profile",
            "riscv-virt",
            "--accel",
            "interp",
            "--bios",
        ])
        .arg(&spin)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chimera starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let flood = std::thread::spawn(move || {
        let block = vec![b'a'; 1 << 20];
        // Stops when the pipe stays full (the write blocks) or closes.
        for _ in 0..500 {
            if stdin.write_all(&block).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    let rss = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = flood.join();
    // Before the queue was bounded: 727 MB in 4 s.
    assert!(rss > 0 && rss < 200 << 10, "resident {rss} KiB");
}

#[test]
fn options_that_cannot_work_are_refused_not_ignored() {
    for (args, want) in [
        (&["run", "--nosuch"][..], "unexpected argument"),
        (
            &["run", "--max-insns", "5", "--gdb", "tcp::0"],
            "cannot be used with",
        ),
        (
            &["run", "--max-insns", "5", "--qmp", "tcp::0"],
            "cannot be used with",
        ),
        (
            &["run", "--qmp", "tcp::0", "--gdb", "tcp::0"],
            "cannot be used with",
        ),
        (
            &["run", "--serial", "uart9=none", "--max-insns", "5"],
            "names `uart9`",
        ),
    ] {
        let (code, stderr) = chimera_within_30s(args);
        assert_eq!(code, Some(125), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}

#[test]
fn description_values_out_of_range_are_located_errors() {
    let dir = scratch("values");
    for (line, want) in [
        (
            "priority = 0xFFFF_FFFF",
            "`priority` must be an integer from",
        ),
        ("", "`kernel-cluster` names no cluster: `nosuch`"),
    ] {
        let text = format!(
            "[machine]\nname = \"m\"\nkernel-cluster = \"nosuch\"\n[[space]]\nid = \"sys\"\n\
             [[cluster]]\nid = \"cpu\"\ntype = \"riscv64\"\nspace = \"sys\"\n\
             [[memory]]\nid = \"ram\"\ntype = \"ram\"\nspace = \"sys\"\nbase = 0x8000_0000\n\
             size = \"1M\"\n{line}\n"
        );
        let file = dir.join("m.toml");
        std::fs::write(&file, text).expect("written");
        let (code, stderr) = chimera_within_30s(&["check", file.to_str().expect("utf-8")]);
        assert_eq!(code, Some(125), "{stderr}");
        assert!(
            stderr.contains(want) && stderr.contains("m.toml:"),
            "{stderr}"
        );
    }
}

#[test]
fn gdb_on_port_zero_gets_and_prints_a_free_port_per_cluster() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chimera"))
        .args(["run", "--gdb", "tcp::0", "--gdb-wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chimera starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut ports = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        stderr.read_line(&mut line).expect("a line");
        let port: u16 = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        ports.push(port);
    }
    let connected = ports
        .iter()
        .all(|&p| p != 0 && std::net::TcpStream::connect(("127.0.0.1", p)).is_ok());
    let _ = child.kill();
    let _ = child.wait();
    assert!(connected && ports[0] != ports[1], "{ports:?}");
}

/// A machine whose guest writes to a device that panics (`x-test-panic`,
/// in test builds only); `accel` as given.
fn panicking_machine(dir: &Path) -> PathBuf {
    let code: Vec<u8> = [0x1000_12b7u32, 0x0002_a023, 0x0000_006f]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    std::fs::write(dir.join("code.bin"), code).expect("written");
    let description = dir.join("panic.toml");
    std::fs::write(
        &description,
        "[machine]\nname = \"m\"\n[[space]]\nid = \"sys\"\n\
         [[cluster]]\nid = \"cpu\"\ntype = \"riscv64\"\nspace = \"sys\"\n\
         [[memory]]\nid = \"ram\"\ntype = \"ram\"\nspace = \"sys\"\nbase = 0x8000_0000\nsize = \"1M\"\n\
         [[device]]\nid = \"bug\"\ntype = \"x-test-panic\"\nspace = \"sys\"\nbase = 0x1000_1000\n\
         [[image]]\ncluster = \"cpu\"\npath = \"code.bin\"\naddr = 0x8000_0000\n",
    )
    .expect("written");
    description
}

#[test]
fn a_panic_in_a_device_is_an_internal_error_with_where_the_cpus_were() {
    let dir = scratch("panic");
    let description = panicking_machine(&dir);
    for accel in ["interp", "baseline", "jit"] {
        let (code, stderr) = chimera_within_30s(&[
            "run",
            description.to_str().expect("utf-8"),
            "--accel",
            accel,
        ]);
        assert_eq!(code, Some(125), "{accel}: {stderr}");
        assert!(
            stderr.contains("internal error") && stderr.contains("please report"),
            "{accel}: {stderr}"
        );
        // The pc of the block the store is in (its first instruction, or
        // the store itself).
        assert!(
            stderr.contains("cpu/cpu0 at pc 0x8000000"),
            "{accel}: {stderr}"
        );
    }
}

#[test]
fn a_panic_under_qmp_leaves_the_server_answering() {
    let dir = scratch("panic-qmp");
    let description = panicking_machine(&dir);
    let socket = dir.join("qmp.sock");
    let _ = std::fs::remove_file(&socket);
    let mut child = Command::new(env!("CARGO_BIN_EXE_chimera"))
        .arg("run")
        .arg(&description)
        .args(["--paused", "--qmp"])
        .arg(format!("unix:{}", socket.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chimera starts");
    let start = Instant::now();
    let connect = || loop {
        match UnixStream::connect(&socket) {
            Ok(s) => break s,
            Err(e) => {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "no QMP socket: {e}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let stream = connect();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        assert!(read_reply(&mut reader).is_some_and(|g| g.get("QMP").is_some()));
        sessions.push((writer, reader));
    }
    let mut call = |i: usize, execute: &str| {
        let (writer, reader) = &mut sessions[i];
        writer
            .write_all(format!("{}\n", json!({ "execute": execute })).as_bytes())
            .expect("sent");
        read_reply(reader).expect("a reply")
    };
    call(0, "qmp_capabilities");
    call(1, "qmp_capabilities");
    call(0, "cont");
    let start = Instant::now();
    let status = loop {
        let status = call(1, "query-status");
        if status["return"]["status"] != "running" || start.elapsed() > Duration::from_secs(10) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status["return"]["status"], "internal-error", "{status}");
    // Both clients are still served.
    assert!(call(0, "query-version").get("return").is_some());
    assert!(call(1, "query-cpus-fast").get("return").is_some());
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_qmp_socket_is_never_open_to_others_even_with_umask_000() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("umask");
    let socket = dir.join("qmp.sock");
    for _ in 0..10 {
        let _ = std::fs::remove_file(&socket);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask 000; exec '{}' serve --qmp 'unix:{}'",
                env!("CARGO_BIN_EXE_chimera"),
                socket.display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chimera starts");
        // The first moment the path exists, it is the owner's alone (it
        // was bound, then chmod'ed: 0777 in between).
        let start = Instant::now();
        let mode = loop {
            if let Ok(meta) = std::fs::symlink_metadata(&socket) {
                break meta.permissions().mode();
            }
            assert!(start.elapsed() < Duration::from_secs(20), "no socket");
            std::hint::spin_loop();
        };
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
}
