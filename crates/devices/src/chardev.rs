//! Character backends: where a UART's output goes and its input comes
//! from (the console, a file, nowhere, or a buffer for tests).

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The host side of a serial port.
pub trait CharBackend: Send + Sync {
    /// Sends bytes the guest wrote.
    fn write(&self, bytes: &[u8]);
    /// A byte for the guest to read, if one is waiting.
    fn read_byte(&self) -> Option<u8> {
        None
    }
}

/// Discards output; never has input.
#[derive(Debug, Default)]
pub struct NullBackend;

impl CharBackend for NullBackend {
    fn write(&self, _: &[u8]) {}
}

/// Appends output to a file.
#[derive(Debug)]
pub struct FileBackend(Mutex<File>);

impl FileBackend {
    /// Creates (truncating) the file at `path`.
    pub fn create(path: &std::path::Path) -> std::io::Result<Self> {
        Ok(FileBackend(Mutex::new(File::create(path)?)))
    }
}

impl CharBackend for FileBackend {
    fn write(&self, bytes: &[u8]) {
        let mut f = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // A full disk must not stop the guest; the output is lost.
        let _ = f.write_all(bytes);
    }
}

/// Collects output in memory, and serves queued input: for tests and for
/// the protocol's view of a console.
#[derive(Debug, Default)]
pub struct BufferBackend {
    out: Mutex<Vec<u8>>,
    input: Mutex<std::collections::VecDeque<u8>>,
}

impl BufferBackend {
    /// An empty buffer.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Queues bytes for the guest to read.
    pub fn push_input(&self, bytes: &[u8]) {
        self.input
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(bytes);
    }
}

impl CharBackend for BufferBackend {
    fn write(&self, bytes: &[u8]) {
        self.out
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
    }

    fn read_byte(&self) -> Option<u8> {
        self.input
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }
}

/// Writes to standard output, optionally starting each line with a label
/// such as `[app/uart0] ` so that several consoles can share it; may also
/// serve what is typed on standard input.
pub struct StdoutBackend {
    label: Option<String>,
    at_line_start: Mutex<bool>,
    input: Option<Mutex<std::sync::mpsc::Receiver<u8>>>,
}

/// What a byte typed at the console does once [`ConsoleEscape`] has seen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeAction {
    /// Hand this byte to the guest.
    Send(u8),
    /// Quit Chimera.
    Quit,
    /// Nothing: the byte was part of an escape.
    Swallow,
}

/// QEMU's console escape on standard input: Ctrl-A X quits, Ctrl-A Ctrl-A
/// sends one Ctrl-A to the guest, Ctrl-A followed by anything else is
/// dropped; every other byte goes to the guest.
#[derive(Debug, Default, Clone)]
pub struct ConsoleEscape {
    after_escape: bool,
}

impl ConsoleEscape {
    /// The escape key, Ctrl-A.
    pub const KEY: u8 = 0x01;

    /// Says what byte `b`, typed next, does.
    pub fn feed(&mut self, b: u8) -> EscapeAction {
        if std::mem::take(&mut self.after_escape) {
            return match b {
                Self::KEY => EscapeAction::Send(Self::KEY),
                b'x' | b'X' => EscapeAction::Quit,
                _ => EscapeAction::Swallow,
            };
        }
        if b == Self::KEY {
            self.after_escape = true;
            return EscapeAction::Swallow;
        }
        EscapeAction::Send(b)
    }
}

/// Bytes of standard input read ahead of a guest that does not take them:
/// past this, standard input is not read until the guest catches up (a
/// pipe then waits, as QEMU's character devices make it wait, instead of
/// piling up in memory).
pub const STDIN_QUEUE: usize = 64 << 10;

/// Starts a thread that reads standard input and hands its bytes to the
/// returned receiver, until standard input closes; Ctrl-A X calls
/// `on_quit` instead (see [`ConsoleEscape`]). Only one console should own
/// it. At most [`STDIN_QUEUE`] bytes wait in between.
pub fn stdin_bytes(on_quit: impl Fn() + Send + 'static) -> std::sync::mpsc::Receiver<u8> {
    let (tx, rx) = std::sync::mpsc::sync_channel(STDIN_QUEUE);
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        let mut escape = ConsoleEscape::default();
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 {
                break;
            }
            for &b in &buf[..n] {
                match escape.feed(b) {
                    EscapeAction::Send(b) => {
                        if tx.send(b).is_err() {
                            return;
                        }
                    }
                    EscapeAction::Quit => on_quit(),
                    EscapeAction::Swallow => {}
                }
            }
        }
    });
    rx
}

impl fmt::Debug for StdoutBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StdoutBackend({:?})", self.label)
    }
}

impl StdoutBackend {
    /// Output to stdout, each line prefixed with `[label] ` when given.
    pub fn new(label: Option<String>) -> Self {
        StdoutBackend {
            label,
            at_line_start: Mutex::new(true),
            input: None,
        }
    }

    /// The same, also serving the bytes `input` receives to the guest.
    pub fn with_input(label: Option<String>, input: std::sync::mpsc::Receiver<u8>) -> Self {
        StdoutBackend {
            input: Some(Mutex::new(input)),
            ..Self::new(label)
        }
    }
}

/// Prefixes every line of `bytes` with `[label] `, tracking whether the
/// previous write ended a line.
pub fn label_lines(label: &str, at_line_start: &mut bool, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + label.len() + 3);
    for &b in bytes {
        if *at_line_start {
            out.extend_from_slice(format!("[{label}] ").as_bytes());
        }
        out.push(b);
        *at_line_start = b == b'\n';
    }
    out
}

impl CharBackend for StdoutBackend {
    fn write(&self, bytes: &[u8]) {
        let mut start = self.at_line_start.lock().unwrap_or_else(|e| e.into_inner());
        let text = match &self.label {
            Some(label) => label_lines(label, &mut start, bytes),
            None => bytes.to_vec(),
        };
        let mut out = std::io::stdout().lock();
        // A closed stdout (a pipe whose reader left) must not stop the run.
        let _ = out.write_all(&text);
        let _ = out.flush();
    }

    fn read_byte(&self) -> Option<u8> {
        let input = self.input.as_ref()?;
        let rx = input.lock().unwrap_or_else(|e| e.into_inner());
        rx.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_a_x_quits_and_ctrl_a_twice_sends_one_ctrl_a() {
        let mut e = ConsoleEscape::default();
        let typed: Vec<EscapeAction> = [b'a', 1, 1, b'b', 1, b'z', b'c', 1, b'x']
            .iter()
            .map(|&b| e.feed(b))
            .collect();
        use EscapeAction::*;
        assert_eq!(
            typed,
            [
                Send(b'a'),
                Swallow,
                Send(1),
                Send(b'b'),
                Swallow,
                Swallow,
                Send(b'c'),
                Swallow,
                Quit
            ]
        );
    }

    #[test]
    fn labels_start_every_line() {
        let mut start = true;
        let a = label_lines("app/uart0", &mut start, b"one\ntw");
        let b = label_lines("app/uart0", &mut start, b"o\n");
        assert_eq!(
            String::from_utf8(a).unwrap() + &String::from_utf8(b).unwrap(),
            "[app/uart0] one\n[app/uart0] two\n"
        );
    }
}
