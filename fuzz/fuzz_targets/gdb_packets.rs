//! Any bytes from a debugger: sent to the GDB stub of a running
//! `riscv-virt` machine (its guest spins for ever) over loopback, one
//! connection per input; the stub must answer or drop them, never panic,
//! and keep serving the next connection.
#![no_main]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chimera_machine::{builtin_registry, load_profile, ImageSpec, SerialConfig};
use libfuzzer_sys::fuzz_target;

/// The stub's port, once the machine and its server are up.
fn port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let spin =
            std::env::temp_dir().join(format!("chimera-fuzz-gdb-{}.bin", std::process::id()));
        // `j .`
        std::fs::write(&spin, [0x6f, 0, 0, 0]).expect("image written");
        let mut loaded = load_profile("riscv-virt", builtin_registry()).expect("profile");
        loaded.builder.clear_images("cpu");
        loaded
            .builder
            .add_image(ImageSpec {
                cluster: "cpu".into(),
                path: spin,
                addr: Some(0x8000_0000),
                entry: true,
            })
            .expect("image");
        let mut serial = SerialConfig::default();
        let _ = serial.add("none");
        let machine = loaded.realize(&serial).expect("machine");
        let hub = chimera_gdb::Hub::new(machine, true);
        let ports = chimera_gdb::listen(&hub, "127.0.0.1", 0).expect("listening");
        std::thread::spawn(move || hub.run());
        ports[0].port
    })
}

fuzz_target!(|data: &[u8]| {
    // A stub wedged on an earlier connection leaves this one in the
    // backlog: say so instead of waiting for libFuzzer's timeout.
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port()));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        panic!("the stub stopped accepting connections");
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(5)));
    let _ = s.write_all(data);
    // Read what comes back until the stub falls silent.
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < Duration::from_millis(50) {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(_) => break,
        }
    }
});
