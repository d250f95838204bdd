//! Names for the code the JIT makes, in the form Linux `perf` reads from
//! `/tmp/perf-<pid>.map` (QEMU's `-perfmap`): one line per block, its
//! address, its size and the guest pc and tier it came from, so that a
//! profile of a guest names the guest code its samples fell in. Written
//! when the environment has `CHIMERA_PERF_MAP=1`, read once when a
//! backend is made.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;

/// The environment variable that turns the map on.
const ENABLE: &str = "CHIMERA_PERF_MAP";

/// The open map file of this process.
#[derive(Debug)]
pub(crate) struct PerfMap {
    file: Mutex<File>,
}

impl PerfMap {
    /// The map when the environment asks for one and the file opens.
    pub(crate) fn from_env() -> Option<PerfMap> {
        if std::env::var(ENABLE).as_deref() != Ok("1") {
            return None;
        }
        let path = std::env::temp_dir().join(format!("perf-{}.map", std::process::id()));
        // Appending: several backends (one per cluster) share the file,
        // each line going out in one write.
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .inspect_err(|e| tracing::warn!("perf map {}: {e}", path.display()))
            .ok()?;
        Some(PerfMap {
            file: Mutex::new(file),
        })
    }

    /// Names `bytes` of code at `entry`: the block at guest `pc`, of
    /// `tier`.
    pub(crate) fn record(&self, entry: usize, bytes: usize, pc: u64, tier: &str) {
        let line = format!("{entry:x} {bytes:x} guest_{pc:x}_{tier}\n");
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // A profile aid: a failed write loses a name, nothing else.
        let _ = file.write_all(line.as_bytes());
    }
}
