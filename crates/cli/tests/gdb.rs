//! Debian's gdb-multiarch against `chimera run --gdb`: a plain
//! `target remote` on a single-cluster machine, a breakpoint, registers by
//! name, a step, a memory read, a CSR, detach, and the guest still
//! finishes with its own result; float registers of an lp64d guest read
//! as through QEMU's stub in the same session; malformed packets answered
//! as the protocol says, the session kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `program` is installed; a missing one fails the test under CI.
fn installed(program: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} is missing: scripts/install-test-tools.sh installs it"
        );
        eprintln!("SKIPPED: {program} is not installed (run scripts/install-test-tools.sh)");
    }
    ok
}

/// gdb-multiarch, if installed; a missing one fails the test under CI.
fn gdb() -> Option<&'static str> {
    installed("gdb-multiarch").then_some("gdb-multiarch")
}

/// Chimera on `riscv-virt` with `elf`, its stub waiting for a debugger
/// on the port returned.
fn spawn_waiting_chimera(elf: &Path) -> (std::process::Child, u16) {
    spawn_waiting_with("--kernel", elf)
}

/// Chimera on `riscv-virt` with `image` given by option `how` (`--kernel`,
/// `--bios`), its stub waiting for a debugger on the port returned.
fn spawn_waiting_with(how: &str, image: &Path) -> (std::process::Child, u16) {
    spawn_listening(1, |port| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chimera"));
        c.args([
            "run",
            "--profile",
            "riscv-virt",
            "--gdb",
            &format!("tcp::{port}"),
            "--gdb-wait",
        ])
        .arg(how)
        .arg(image);
        c
    })
}

/// A port whose successor is free too (a machine with two clusters).
fn two_free_ports() -> u16 {
    loop {
        let p = free_port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

/// Whether something listens on `port` (without connecting to it, which
/// a stub would take for a debugger). Linux's socket table tells a
/// listening socket from one another test merely bound for a moment to
/// probe the port (a bind probe took that for Chimera, which then refused
/// the connection); elsewhere a failing bind has to do.
fn listening(port: u16) -> bool {
    let table = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect::<Vec<_>>();
    if table.is_empty() {
        return std::net::TcpListener::bind(("127.0.0.1", port)).is_err();
    }
    // "sl local_address rem_address st ...": address as HEX:PORT, state
    // 0A for LISTEN.
    let local = format!(":{port:04X}");
    table.iter().flat_map(|t| t.lines().skip(1)).any(|line| {
        let mut fields = line.split_whitespace().skip(1);
        let (Some(addr), _, Some(state)) = (fields.next(), fields.next(), fields.next()) else {
            return false;
        };
        addr.ends_with(&local) && state == "0A"
    })
}

/// Spawns `command(port)` with `ports` consecutive free ports from `port`
/// and waits until the last one listens. Tests run in parallel and may
/// race for a port between the probe and Chimera's bind: when Chimera
/// exits before listening, it is tried again with other ports.
fn spawn_listening(ports: u16, command: impl Fn(u16) -> Command) -> (std::process::Child, u16) {
    for _ in 0..5 {
        let port = if ports > 1 {
            two_free_ports()
        } else {
            free_port()
        };
        let mut child = command(port)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chimera runs");
        let start = Instant::now();
        loop {
            if listening(port + ports - 1) {
                return (child, port);
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "port {} never opened",
                port + ports - 1
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("Chimera could not listen on any of the ports tried");
}

/// Connects to the stub on `port` of `chimera`; on failure, says how
/// Chimera fared (its exit and what it printed).
fn connect(port: u16, chimera: &mut std::process::Child) -> std::net::TcpStream {
    match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(stream) => stream,
        Err(e) => {
            let status = chimera.try_wait();
            let _ = chimera.kill();
            let mut err = String::new();
            if let Some(mut stderr) = chimera.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
            }
            panic!("port {port} refused ({e}); chimera: {status:?}, stderr: {err}");
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn gdb_multiarch_debugs_riscv_virt_and_the_guest_still_finishes() {
    let Some(gdb) = gdb() else {
        return;
    };
    let elf = workspace().join("guests/riscv/images/rv64/alu.elf");
    let (chimera, port) = spawn_waiting_chimera(&elf);
    let out = Command::new(gdb)
        .args(["-batch", "-nx"])
        .arg("-ex")
        .arg(format!("file {}", elf.display()))
        .args([
            "-ex",
            &format!("target remote :{port}"),
            "-ex",
            "break muldiv",
            "-ex",
            "continue",
            "-ex",
            "info registers pc sp",
            "-ex",
            "stepi",
            "-ex",
            "x/2xw $sp",
            "-ex",
            "p/x $mstatus",
            "-ex",
            "detach",
        ])
        .output()
        .expect("gdb runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let finished = chimera.wait_with_output().expect("chimera ends");
    let uart = String::from_utf8_lossy(&finished.stdout);
    assert!(text.contains("Breakpoint 1, muldiv ()"), "{text}");
    assert!(text.contains("pc             0x"), "{text}");
    assert!(text.contains("sp             0x"), "{text}");
    // What QEMU shows at the same place: UXL and SXL say 64 bits.
    assert!(text.contains("$1 = 0xa00000000"), "{text}");
    assert!(text.contains("detached"), "{text}");
    assert!(
        finished.status.success(),
        "{uart}\n{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert!(uart.contains("alu: all passed"), "{uart}");
}

/// The commands of a gdb-multiarch batch session against the stub on
/// `port`, its output (the part after the first stop, where Chimera and
/// QEMU start alike).
fn gdb_session(gdb: &str, elf: &Path, port: u16, commands: &[&str]) -> String {
    let mut c = Command::new(gdb);
    c.args(["-batch", "-nx"])
        .arg("-ex")
        .arg(format!("file {}", elf.display()))
        .args(["-ex", &format!("target remote :{port}")]);
    for command in commands {
        c.args(["-ex", command]);
    }
    let out = c.output().expect("gdb runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    match text.find("Breakpoint 1, ") {
        Some(at) => text[at..].to_string(),
        None => text,
    }
}

/// An lp64d guest, which gdb only loads when the target describes the F
/// and D registers: a float function's result and the float CSRs read
/// the same through Chimera's stub as through QEMU's, in the same
/// session, whole (`g`) and one register at a time (`p`).
#[test]
fn gdb_reads_float_registers_of_an_lp64d_guest_as_on_qemu() {
    let Some(gdb) = gdb() else {
        return;
    };
    if !installed("qemu-system-riscv64") {
        return;
    }
    // The bench's float workload: lp64d, and little output (a pipe
    // nobody reads would stall a guest that prints much).
    let elf = workspace().join("guests/bench/images/rv64/float.elf");
    let commands = [
        "break energy",
        "continue",
        "finish",
        "p $fa0",
        "p/x $fcsr",
        "p/x $fflags",
        "p $frm",
        "info registers fa0 fa1 fs0",
        // One register at a time: pc, fa0 (QEMU's raw `p` of the float
        // CSRs differs in size from what its description says; gdb's
        // view above is what counts there).
        "maint packet p20",
        "maint packet p2b",
        "set $fa2 = 2.5",
        "p $fa2",
        "set $fcsr = 0x41",
        "p/x $frm",
        "p/x $fflags",
        "p/x $mstatus",
        // PMP, as QEMU shows and takes it.
        "set $pmpaddr0 = 0x1234",
        "p/x $pmpaddr0",
        "set $pmpcfg0 = 0x1f",
        "p/x $pmpcfg0",
        "p/x $pmpaddr15",
        "kill",
    ];
    let (mut chimera, port) = spawn_waiting_chimera(&elf);
    let ours = gdb_session(gdb, &elf, port, &commands);
    let _ = chimera.kill();
    let _ = chimera.wait();
    let (mut qemu, port) = spawn_listening(1, |port| {
        let mut c = Command::new("qemu-system-riscv64");
        c.args(["-M", "virt", "-nographic", "-bios", "none", "-S"])
            .args(["-gdb", &format!("tcp::{port}")])
            .arg("-kernel")
            .arg(&elf);
        c
    });
    let theirs = gdb_session(gdb, &elf, port, &commands);
    let _ = qemu.kill();
    let _ = qemu.wait();
    assert!(ours.contains("Breakpoint 1, energy"), "{ours}");
    assert!(ours.contains("double = 2.5"), "{ours}");
    assert!(!ours.contains("flen"), "{ours}");
    // Up to the kill, whose wording depends on how each stub goes away.
    let until_kill = |t: &str| t.split("Kill the program").next().unwrap_or("").to_string();
    assert_eq!(until_kill(&ours), until_kill(&theirs));
}

/// A guest that ends while gdb lets it run: the debugger hears that the
/// program exited (a `W` packet), as from QEMU, not that the connection
/// closed.
#[test]
fn gdb_hears_the_guest_exit() {
    let Some(gdb) = gdb() else {
        return;
    };
    let elf = workspace().join("guests/bench/images/rv64/float.elf");
    let (mut chimera, port) = spawn_waiting_chimera(&elf);
    let text = gdb_session(gdb, &elf, port, &["continue"]);
    let _ = chimera.wait();
    assert!(text.contains("exited normally"), "{text}");
    assert!(!text.contains("Remote connection closed"), "{text}");
}

#[test]
fn one_gdb_session_debugs_both_clusters_of_the_mixed_width_machine() {
    let Some(gdb) = gdb() else {
        return;
    };
    let mixed = workspace().join("guests/mixed/images");
    let (chimera, port) = spawn_listening(2, |port| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chimera"));
        c.args([
            "run",
            "--profile",
            "riscv-duo",
            "--gdb",
            &format!("tcp::{port}"),
            "--gdb-wait",
        ]);
        c
    });
    let script = workspace().join("target/duo-gdb-test.gdb");
    std::fs::write(
        &script,
        format!(
            "set pagination off\nset confirm off\n\
             file {app}\ntarget remote :{port}\n\
             add-inferior -no-connection\ninferior 2\n\
             file {mcu}\ntarget remote :{mcu_port}\n\
             info inferiors\nbreak crc32\ncontinue\n\
             info registers pc a0\nstepi\nx/4xb $sp\n\
             inferior 1\ninfo registers pc\ncontinue\n\
             info registers pc a0 a1\np $mhartid\n\
             detach inferiors 1 2\n",
            app = mixed.join("app.elf").display(),
            mcu = mixed.join("mcu.elf").display(),
            mcu_port = port + 1,
        ),
    )
    .unwrap();
    let out = Command::new(gdb)
        .args(["-batch", "-nx", "-x"])
        .arg(&script)
        .output()
        .expect("gdb runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let finished = chimera.wait_with_output().expect("chimera ends");
    let uart = String::from_utf8_lossy(&finished.stdout);
    assert!(
        text.contains("remote :") && text.contains("mcu.elf"),
        "{text}"
    );
    assert!(
        text.contains("Thread 2.1 hit Breakpoint 1.2, crc32"),
        "the microcontroller's breakpoint: {text}"
    );
    assert!(
        text.contains("Thread 1.1 hit Breakpoint 1.1, crc32"),
        "the application core's breakpoint: {text}"
    );
    assert!(text.contains("a1             0xc8"), "{text}");
    assert!(text.contains("Inferior 1 (process 1) detached"), "{text}");
    assert!(text.contains("Inferior 2 (process 1) detached"), "{text}");
    assert!(finished.status.success(), "{uart}");
    assert!(uart.contains("all jobs verified"), "{uart}");
}

#[test]
fn one_gdb_session_debugs_the_risc_v_and_arm_clusters_of_the_default_machine() {
    let Some(gdb) = gdb() else {
        return;
    };
    let images = workspace().join("guests/hetero/images");
    let (chimera, port) = spawn_listening(2, |port| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chimera"));
        c.args(["run", "--gdb", &format!("tcp::{port}"), "--gdb-wait"]);
        c
    });
    let script = workspace().join("target/hetero-gdb-test.gdb");
    // The application core (RV64) is inferior 1, the microcontroller
    // (Cortex-M4) inferior 2; each has its own symbols and registers.
    std::fs::write(
        &script,
        format!(
            "set pagination off\nset confirm off\n\
             file {app}\ntarget remote :{port}\n\
             add-inferior -no-connection\ninferior 2\n\
             file {mcu}\ntarget remote :{mcu_port}\n\
             info inferiors\nbreak crc32_table\nbreak crc32_bitwise\n\
             continue\ninfo registers r0 r1 sp pc xpsr msp control\n\
             x/2xw $sp\nstepi\ninfo registers pc\n\
             inferior 1\ncontinue\ninfo registers pc a0 a1 sp\n\
             delete\ndetach inferiors 1 2\n",
            app = images.join("app.elf").display(),
            mcu = images.join("mcu.elf").display(),
            mcu_port = port + 1,
        ),
    )
    .unwrap();
    let out = Command::new(gdb)
        .args(["-batch", "-nx", "-x"])
        .arg(&script)
        .output()
        .expect("gdb runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let finished = chimera.wait_with_output().expect("chimera ends");
    let uart = String::from_utf8_lossy(&finished.stdout);
    assert!(text.contains("mcu.elf"), "{text}");
    assert!(
        text.contains("hit Breakpoint 1, crc32_table"),
        "the microcontroller's breakpoint: {text}"
    );
    assert!(
        text.contains("hit Breakpoint 2, crc32_bitwise"),
        "the application core's breakpoint: {text}"
    );
    for name in ["xpsr", "msp", "control", "a0 ", "a1 "] {
        assert!(text.contains(name), "register {name} missing: {text}");
    }
    assert!(text.contains("Inferior 1 (process 1) detached"), "{text}");
    assert!(text.contains("Inferior 2 (process 1) detached"), "{text}");
    assert!(finished.status.success(), "{uart}");
    assert!(uart.contains("all 10 answers verified"), "{uart}");
}

/// Sends one QMP command on `stream` and returns the answer line.
fn qmp_command(
    stream: &mut std::net::TcpStream,
    reader: &mut impl std::io::BufRead,
    command: &str,
) -> String {
    use std::io::Write;
    writeln!(stream, "{command}").unwrap();
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "QMP closed");
        // Events may come first.
        if !line.contains("\"event\"") {
            return line;
        }
    }
}

#[test]
fn qmp_gdbserver_command_opens_debugger_ports_on_a_running_machine() {
    let Some(gdb) = gdb() else {
        return;
    };
    let qmp_port = free_port();
    let port = loop {
        let p = free_port();
        if p < u16::MAX
            && p != qmp_port
            && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        {
            break p;
        }
    };
    let chimera = Command::new(env!("CARGO_BIN_EXE_chimera"))
        .args(["run", "--qmp", &format!("tcp::{qmp_port}"), "-S"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chimera runs");
    let start = Instant::now();
    let mut stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", qmp_port)) {
            Ok(s) => break s,
            Err(_) => {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "QMP never opened"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut greeting = String::new();
    std::io::BufRead::read_line(&mut reader, &mut greeting).unwrap();
    assert!(greeting.contains("QMP"), "{greeting}");
    qmp_command(
        &mut stream,
        &mut reader,
        r#"{"execute": "qmp_capabilities"}"#,
    );
    let answer = qmp_command(
        &mut stream,
        &mut reader,
        &format!(r#"{{"execute": "gdbserver", "arguments": {{"device": "tcp::{port}"}}}}"#),
    );
    assert!(answer.contains(r#""cluster":"app""#), "{answer}");
    assert!(
        answer.contains(&format!(r#""port":{}"#, port + 1)),
        "{answer}"
    );
    let status = qmp_command(&mut stream, &mut reader, r#"{"execute": "query-status"}"#);
    assert!(status.contains(r#""status":"debug""#), "{status}");
    let refused = qmp_command(&mut stream, &mut reader, r#"{"execute": "cont"}"#);
    assert!(refused.contains("GDB server"), "{refused}");
    let images = workspace().join("guests/hetero/images");
    let out = Command::new(gdb)
        .args(["-batch", "-nx"])
        .arg("-ex")
        .arg(format!("file {}", images.join("app.elf").display()))
        .args(["-ex", &format!("target remote :{port}")])
        .args(["-ex", "break crc32_bitwise", "-ex", "continue"])
        .args([
            "-ex",
            "info registers pc a0",
            "-ex",
            "delete",
            "-ex",
            "detach",
        ])
        .output()
        .expect("gdb runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Breakpoint 1, crc32_bitwise"), "{text}");
    assert!(text.contains("detached"), "{text}");
    let finished = chimera.wait_with_output().expect("chimera ends");
    let uart = String::from_utf8_lossy(&finished.stdout);
    assert!(finished.status.success(), "{uart}");
    assert!(uart.contains("all 10 answers verified"), "{uart}");
}

#[test]
fn malformed_packets_and_a_vanishing_client_leave_the_machine_running() {
    use std::io::{Read, Write};
    let (chimera, port) = spawn_listening(2, |port| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chimera"));
        c.args(["run", "--gdb", &format!("tcp::{port}"), "--gdb-wait"]);
        c
    });
    for p in [port, port + 1] {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", p)).expect("the port answers");
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut garbage: Vec<u8> = b"$zz#00$g#ff+-\x03$qSupported:multiprocess+#c6".to_vec();
        garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        garbage.extend(b"$m0,ffffffffffffffff#00$");
        garbage.extend(std::iter::repeat_n(b'A', 100_000));
        let _ = s.write_all(&garbage);
        let mut answer = [0u8; 256];
        let _ = s.read(&mut answer);
        // The client leaves in the middle of a packet.
        drop(s);
    }
    // With every client gone, the machine runs on and ends on its own.
    let finished = chimera.wait_with_output().expect("chimera ends");
    let uart = String::from_utf8_lossy(&finished.stdout);
    assert!(
        finished.status.success(),
        "{uart}\n{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert!(uart.contains("all 10 answers verified"), "{uart}");
}

/// A raw remote-protocol client: packets out, acknowledgements and
/// replies in.
struct RawClient(std::net::TcpStream);

impl RawClient {
    fn packet(body: &str) -> Vec<u8> {
        let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        format!("${body}#{sum:02x}").into_bytes()
    }

    /// Sends `bytes` and reads until a whole reply packet (or only `-`)
    /// has come back; returns what came, acknowledgements included.
    fn exchange(&mut self, bytes: &[u8]) -> String {
        use std::io::{Read, Write};
        self.0.write_all(bytes).expect("sent");
        let mut got = Vec::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            let mut buf = [0u8; 4096];
            match self.0.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
            let text = String::from_utf8_lossy(&got);
            let whole = text
                .rfind('#')
                .is_some_and(|i| text.len() >= i + 3 && text.contains('$'));
            if whole || text == "-" {
                break;
            }
        }
        let _ = self.0.write_all(b"+");
        String::from_utf8_lossy(&got).into_owned()
    }
}

#[test]
fn malformed_packets_are_answered_and_the_session_goes_on() {
    let elf = workspace().join("guests/riscv/images/rv64/hello.elf");
    let (mut chimera, port) = spawn_waiting_chimera(&elf);
    let mut c = raw_session(port, &mut chimera);
    // A checksum that does not match: NAK, as the protocol says.
    assert_eq!(c.exchange(b"$qSupported#00"), "-");
    let mut long = b"$qSupported:".to_vec();
    long.extend(std::iter::repeat_n(b'x', 5000));
    long.extend(b"#00");
    for (request, want) in [
        (RawClient::packet("mzz,10"), "$E01#a6"),
        (RawClient::packet("M80000000,2:zz"), "$E01#a6"),
        (RawClient::packet("vCont;x"), "$E01#a6"),
        (long, "$E01#a6"),
        // Line noise before a good packet is skipped.
        (
            [b"\x7f~".as_slice(), &RawClient::packet("?")].concat(),
            "$T",
        ),
    ] {
        let got = c.exchange(&request);
        assert!(
            got.contains(want),
            "{}: {got:?}",
            String::from_utf8_lossy(&request)
        );
    }
    // The session still reads memory: the first instruction of the guest.
    let got = c.exchange(&RawClient::packet("m80000000,4"));
    assert!(got.starts_with("+$") && got.len() > 12, "{got:?}");
    // A device's registers are not read for a debugger (the read could
    // pop the UART's receive buffer): an error, not the register.
    let got = c.exchange(&RawClient::packet("m10000000,1"));
    assert!(got.contains("$E"), "{got:?}");
    let _ = chimera.kill();
    let _ = chimera.wait();
}

/// Whether `reply` holds a stop reply (`S` or `T` packet).
fn stopped(reply: &str) -> bool {
    reply.contains("$S") || reply.contains("$T")
}

/// Chimera waiting for a debugger with `code` as its `--bios`, written to
/// a scratch file named for `tag`.
fn waiting_on_bios(tag: &str, code: &[u8]) -> (std::process::Child, u16) {
    let dir = std::env::temp_dir().join(format!("chimera-gdb-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let bios = dir.join("bios.bin");
    std::fs::write(&bios, code).expect("written");
    spawn_waiting_with("--bios", &bios)
}

/// A raw session with the stub of `chimera` on `port`, whose replies are
/// waited for 200 ms at most.
fn raw_session(port: u16, chimera: &mut std::process::Child) -> RawClient {
    let stream = connect(port, chimera);
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    RawClient(stream)
}

#[test]
fn a_step_into_a_trap_loop_stops_and_the_machine_stays_answerable() {
    // One zero word: an illegal instruction whose trap goes to mtvec 0,
    // where nothing is mapped, and so on for ever.
    let (mut chimera, port) = waiting_on_bios("storm", &[0u8; 4]);
    let mut c = raw_session(port, &mut chimera);
    assert!(stopped(&c.exchange(&RawClient::packet("?"))));
    // Each step takes a trap: it ends at the handler, the stub answers.
    for _ in 0..3 {
        let got = c.exchange(&RawClient::packet("vCont;s:1"));
        assert!(stopped(&got), "{got:?}");
    }
    // Running on, the storm keeps the machine busy but not deaf: Ctrl-C
    // stops it and the session goes on.
    use std::io::Write;
    c.0.write_all(&RawClient::packet("vCont;c")).expect("sent");
    std::thread::sleep(Duration::from_millis(300));
    let got = c.exchange(b"\x03");
    assert!(stopped(&got), "{got:?}");
    // The zero word, run-length encoded or not.
    let got = c.exchange(&RawClient::packet("m80000000,4"));
    assert!(got.starts_with("+$0") && !got.contains("$E"), "{got:?}");
    let _ = chimera.kill();
    let _ = chimera.wait();
}

#[test]
fn steps_over_a_wfi_with_nothing_to_wake_it_leave_the_machine_answerable() {
    // `wfi; j .-4` and no timer armed: the CPU has nothing to wait for.
    let (mut chimera, port) =
        waiting_on_bios("wfi", &[0x73, 0x00, 0x50, 0x10, 0x6f, 0xf0, 0xdf, 0xff]);
    let mut c = raw_session(port, &mut chimera);
    assert!(stopped(&c.exchange(&RawClient::packet("?"))));
    for _ in 0..3 {
        let got = c.exchange(&RawClient::packet("vCont;s:1"));
        assert!(stopped(&got), "{got:?}");
    }
    // Running on, the idle machine waits for the debugger (as QEMU's
    // does) instead of ending under it; Ctrl-C stops it.
    use std::io::Write;
    c.0.write_all(&RawClient::packet("vCont;c")).expect("sent");
    std::thread::sleep(Duration::from_millis(300));
    let got = c.exchange(b"\x03");
    assert!(stopped(&got) && !got.contains("$W"), "{got:?}");
    // Virtual time stayed finite: the CPU still counts and steps.
    let got = c.exchange(&RawClient::packet("vCont;s:1"));
    assert!(stopped(&got), "{got:?}");
    let got = c.exchange(&RawClient::packet("m80000000,4"));
    assert!(got.contains("73005010"), "{got:?}");
    let _ = chimera.kill();
    let _ = chimera.wait();
}

#[test]
fn a_request_while_the_machine_runs_is_answered_within_a_block_not_a_slice() {
    // A trap storm (one zero word, mtvec 0 unmapped): a slice of virtual
    // time is a million traps, half a second of host time.
    let (mut chimera, port) = waiting_on_bios("busy", &[0u8; 4]);
    for round in 0..3 {
        let mut c = raw_session(port, &mut chimera);
        let start = Instant::now();
        assert!(
            stopped(&c.exchange(&RawClient::packet("?"))),
            "round {round}"
        );
        use std::io::Write;
        c.0.write_all(&RawClient::packet("vCont;c")).expect("sent");
        // Out of protocol (the machine runs), as a confused client sends:
        // answered between two blocks, not after the machine was starved
        // of its lock for minutes (it was, before).
        for _ in 0..5 {
            let got = c.exchange(&RawClient::packet("g"));
            assert!(got.contains('$'), "round {round}: {got:?}");
        }
        // Each waited for a whole slice before (~0.5 s each here).
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "round {round}: {:?}",
            start.elapsed()
        );
        // The client leaves with the machine running; the next one is
        // served at once.
    }
    let _ = chimera.kill();
    let _ = chimera.wait();
}
