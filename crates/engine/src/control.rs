//! Run control shared by a machine's clusters and devices: who asked the
//! run to end, and why.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Why a run should end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitRequest {
    /// The guest reported an exit code (test finisher, semihosting).
    Exit(i32),
    /// The guest powered the machine off.
    PowerOff,
    /// The guest asked for a reset.
    Reset,
    /// A person at the console asked Chimera to quit (Ctrl-A X).
    Quit,
    /// Something outside the guest (a person, the protocol) stopped it.
    Stop,
    /// A CPU reached a breakpoint or watchpoint: the debugger takes over.
    Debug,
    /// The emulator could not go on.
    Error(String),
}

/// A machine's stop flag and the first reason given for it.
#[derive(Debug, Default)]
pub struct RunControl {
    stop: AtomicBool,
    request: Mutex<Option<ExitRequest>>,
}

impl RunControl {
    /// No stop requested.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to end; the first request wins.
    pub fn request(&self, why: ExitRequest) {
        let mut slot = self.request.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(why);
        }
        self.stop.store(true, Ordering::Release);
    }

    /// Whether a stop was requested (cheap; checked between blocks).
    #[inline]
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Takes the request and clears the flag, ready for the next run.
    pub fn take(&self) -> Option<ExitRequest> {
        let mut slot = self.request.lock().unwrap_or_else(|e| e.into_inner());
        self.stop.store(false, Ordering::Release);
        slot.take()
    }
}
