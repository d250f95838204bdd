//! The terminal while a guest's console reads it: characters go to the
//! guest as they are typed, without the terminal's echo (the guest echoes).
//! Ctrl-C still ends Chimera. The settings are restored when the guard
//! drops.

use std::io::IsTerminal;

/// Restores the terminal's settings when dropped.
pub struct RawInput {
    saved: Option<libc::termios>,
}

impl std::fmt::Debug for RawInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawInput(active: {})", self.saved.is_some())
    }
}

impl RawInput {
    /// Switches standard input to character-at-a-time without echo, when
    /// it is a terminal; otherwise does nothing.
    pub fn enable() -> Self {
        if !std::io::stdin().is_terminal() {
            return RawInput { saved: None };
        }
        // SAFETY: termios is plain old data; all zeroes is a valid value
        // for tcgetattr to overwrite.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 is open (it is a terminal, checked above) and
        // `saved` is a valid termios for tcgetattr to write.
        if unsafe { libc::tcgetattr(0, &mut saved) } != 0 {
            return RawInput { saved: None };
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: as above; `raw` is a copy of the settings tcgetattr read.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &raw) } != 0 {
            return RawInput { saved: None };
        }
        RawInput { saved: Some(saved) }
    }
}

impl Drop for RawInput {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            // SAFETY: restores settings tcgetattr returned for fd 0.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, saved);
            }
        }
    }
}
