//! Bounded resources under load, in a process of its own so that thread
//! and descriptor counts are this test's alone: sessions end their threads
//! and close their descriptors when the client leaves, and a client that
//! never reads its answers holds nothing but its own session.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chimera_machine::{builtin_registry, SerialConfig};
use chimera_qmp::{listen, Controller, Endpoint};

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn threads_and_fds() -> (usize, usize) {
    (count("/proc/self/task"), count("/proc/self/fd"))
}

/// Waits up to 10 s for the counts to come back to `want`.
fn settles_to(want: (usize, usize)) -> (usize, usize) {
    let start = Instant::now();
    loop {
        let now = threads_and_fds();
        if now == want || start.elapsed() > Duration::from_secs(10) {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn line(reader: &mut BufReader<UnixStream>) -> String {
    let mut l = String::new();
    reader.read_line(&mut l).expect("a line");
    l
}

#[test]
fn five_thousand_sessions_leave_no_thread_or_descriptor_behind() {
    let path: PathBuf =
        std::env::temp_dir().join(format!("chimera-soak-{}.sock", std::process::id()));
    let controller = Controller::new(builtin_registry(), SerialConfig::default());
    listen(controller.clone(), &Endpoint::Unix(path.clone())).expect("listening");
    let before = threads_and_fds();
    for i in 0..5000 {
        let stream = UnixStream::connect(&path).expect("connected");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut writer = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        assert!(line(&mut reader).contains("QMP"));
        // Every other client subscribes to events before it leaves.
        if i % 2 == 0 {
            writer
                .write_all(b"{\"execute\":\"qmp_capabilities\"}\n")
                .expect("sent");
            assert!(line(&mut reader).contains("return"));
        }
    }
    let after = settles_to(before);
    assert_eq!(after, before, "threads and descriptors before and after");
    assert_eq!(controller.events().listeners(), 0);

    // A client that sends and never reads blocks only itself.
    let greedy = UnixStream::connect(&path).expect("connected");
    let mut w = greedy.try_clone().expect("clone");
    w.write_all(b"{\"execute\":\"qmp_capabilities\"}\n")
        .expect("sent");
    let flood = std::thread::spawn(move || {
        for _ in 0..3000 {
            if w.write_all(b"{\"execute\":\"query-qmp-schema\"}\n")
                .is_err()
            {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let other = UnixStream::connect(&path).expect("connected");
    other
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut ow = other.try_clone().expect("clone");
    let mut or = BufReader::new(other);
    assert!(line(&mut or).contains("QMP"));
    ow.write_all(b"{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-version\"}\n")
        .expect("sent");
    assert!(line(&mut or).contains("return"));
    assert!(line(&mut or).contains("qemu"));
    let _ = greedy.shutdown(std::net::Shutdown::Both);
    drop((ow, or));
    let _ = flood.join();
}
