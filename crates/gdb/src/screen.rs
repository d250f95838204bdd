//! The debugger's connection as `gdbstub` sees it: framed, checksummed
//! packets only. `gdbstub` ends a session at the first byte it cannot
//! parse (a bad checksum, a packet longer than its buffer, a stray byte),
//! where the remote protocol asks for a NAK or an error reply; this layer
//! answers those itself and passes on only what `gdbstub` accepts, so a
//! confused client keeps its session. Written here because `gdbstub` has
//! no hook for it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::time::Duration;

use gdbstub::conn::{Connection, ConnectionExt};

/// The longest packet passed on, `$`, body, `#` and checksum included:
/// the size of `gdbstub`'s packet buffer.
pub const MAX_PACKET: usize = 4096;

/// What the screen keeps between the stubs of one session (a stub that
/// failed on a packet's contents is replaced, the connection stays).
#[derive(Debug, Default)]
pub struct ScreenState {
    /// Bytes ready for `gdbstub`: whole packets and single `+` or Ctrl-C.
    ready: VecDeque<u8>,
    /// The packet being received, from its `$`.
    frame: Vec<u8>,
    /// Bytes of the current packet not kept (past [`MAX_PACKET`]).
    dropped: usize,
    /// Checksum characters still to come after the `#`, once seen.
    checksum_left: Option<u8>,
    /// The client turned acknowledgements off (`QStartNoAckMode`).
    no_ack: bool,
}

/// A stub's connection: the session's socket, read through the screen.
pub struct Screened {
    stream: TcpStream,
    state: Rc<RefCell<ScreenState>>,
}

/// The two-digit hex checksum of `body`.
fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

/// An error reply packet (`E01`), as the protocol answers a request it
/// cannot carry out.
const ERROR_REPLY: &[u8] = b"$E01#a6";

impl Screened {
    /// A connection over `stream` (a clone of the session's socket)
    /// sharing `state` with the session's other stubs.
    pub fn new(stream: TcpStream, state: Rc<RefCell<ScreenState>>) -> Self {
        Screened { stream, state }
    }

    /// Answers a request whose framing was fine but which `gdbstub` could
    /// not take, with an acknowledgement (unless turned off) and `E01`.
    pub fn reply_error(&mut self) -> std::io::Result<()> {
        if !self.state.borrow().no_ack {
            Write::write_all(&mut self.stream, b"+")?;
        }
        Write::write_all(&mut self.stream, ERROR_REPLY)?;
        Write::flush(&mut self.stream)
    }

    /// Takes in byte `b` from the client; may answer it directly.
    fn feed(&mut self, b: u8) -> std::io::Result<()> {
        let mut st = self.state.borrow_mut();
        if st.frame.is_empty() && st.dropped == 0 {
            match b {
                b'$' => st.frame.push(b),
                // Acknowledgements and Ctrl-C go on; a NAK asks for a
                // retransmission TCP never needs, and `gdbstub` would end
                // the session on it; anything else is line noise.
                b'+' | 0x03 => st.ready.push_back(b),
                _ => {}
            }
            return Ok(());
        }
        if st.frame.len() < MAX_PACKET {
            st.frame.push(b);
        } else {
            st.dropped += 1;
        }
        match st.checksum_left {
            None if b == b'#' => st.checksum_left = Some(2),
            None => {}
            Some(n) if n > 1 => st.checksum_left = Some(n - 1),
            Some(_) => {
                let frame = std::mem::take(&mut st.frame);
                let dropped = std::mem::take(&mut st.dropped);
                st.checksum_left = None;
                let no_ack = st.no_ack;
                let reply: &[u8] = if dropped > 0 {
                    if no_ack {
                        ERROR_REPLY
                    } else {
                        b"+$E01#a6"
                    }
                } else if Self::checksum_ok(&frame) {
                    if &frame[1..frame.len() - 3] == b"QStartNoAckMode" {
                        st.no_ack = true;
                    }
                    st.ready.extend(frame);
                    return Ok(());
                } else {
                    b"-"
                };
                drop(st);
                Write::write_all(&mut self.stream, reply)?;
                Write::flush(&mut self.stream)?;
            }
        }
        Ok(())
    }

    /// Whether a whole `$body#cc` frame carries the checksum of its body.
    fn checksum_ok(frame: &[u8]) -> bool {
        let Some(body) = frame.get(1..frame.len().saturating_sub(3)) else {
            return false;
        };
        let digits = &frame[frame.len() - 2..];
        std::str::from_utf8(digits)
            .ok()
            .and_then(|d| u8::from_str_radix(d, 16).ok())
            == Some(checksum(body))
    }

    fn take_ready(&self) -> Option<u8> {
        self.state.borrow_mut().ready.pop_front()
    }

    /// The next byte for `gdbstub`, waiting at most `timeout` for the
    /// client (`Ok(None)`: nothing yet).
    pub fn poll(&mut self, timeout: Duration) -> std::io::Result<Option<u8>> {
        if let Some(b) = self.take_ready() {
            return Ok(Some(b));
        }
        self.stream.set_read_timeout(Some(timeout))?;
        let mut buf = [0u8; 512];
        let n = match Read::read(&mut self.stream, &mut buf) {
            Ok(0) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the debugger closed the connection",
                ))
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        for &b in &buf[..n] {
            self.feed(b)?;
        }
        Ok(self.take_ready())
    }
}

impl Connection for Screened {
    type Error = std::io::Error;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        Write::write_all(&mut self.stream, &[byte])
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        Write::write_all(&mut self.stream, buf)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Write::flush(&mut self.stream)
    }

    fn on_session_start(&mut self) -> Result<(), Self::Error> {
        self.stream.set_nodelay(true)
    }
}

impl ConnectionExt for Screened {
    fn read(&mut self) -> Result<u8, Self::Error> {
        loop {
            if let Some(b) = self.poll(Duration::from_secs(3600))? {
                return Ok(b);
            }
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, Self::Error> {
        if let Some(&b) = self.state.borrow().ready.front() {
            return Ok(Some(b));
        }
        self.stream.set_nonblocking(true)?;
        let mut buf = [0u8; 512];
        let read = Read::read(&mut self.stream, &mut buf);
        self.stream.set_nonblocking(false)?;
        match read {
            Ok(0) => Ok(None),
            Ok(n) => {
                for &b in &buf[..n] {
                    self.feed(b)?;
                }
                Ok(self.state.borrow().ready.front().copied())
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_checked_on_whole_frames() {
        assert!(Screened::checksum_ok(b"$?#3f"));
        assert!(Screened::checksum_ok(b"$#00"));
        assert!(!Screened::checksum_ok(b"$?#00"));
        assert!(!Screened::checksum_ok(b"$?#zz"));
    }
}
