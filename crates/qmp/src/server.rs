//! Transports: a Unix socket (mode 0600) and TCP (loopback unless told
//! otherwise), several clients at once, each on its own thread.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::controller::Controller;
use crate::session::serve;

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket at this path.
    Unix(PathBuf),
    /// A TCP address (`127.0.0.1:4444`).
    Tcp(String),
}

impl Endpoint {
    /// Parses `unix:PATH`, `tcp:PORT`, `tcp::PORT` or `tcp:HOST:PORT`
    /// (`tcp::PORT` and `tcp:PORT` bind to loopback).
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a path".into());
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = text.strip_prefix("tcp:") {
            let (host, port) = match rest.rsplit_once(':') {
                Some(("", port)) => ("127.0.0.1", port),
                Some((host, port)) => (host, port),
                None => ("127.0.0.1", rest),
            };
            let port: u16 = port
                .parse()
                .map_err(|_| format!("`{port}` is not a port"))?;
            return Ok(Endpoint::Tcp(format!("{host}:{port}")));
        }
        Err(format!("`{text}`: expected unix:PATH or tcp:[HOST]:PORT"))
    }
}

/// How long a write to a client may block before the client counts as
/// gone: one that stops reading cannot hold a session's threads forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts listening on `endpoint`; each client is served on its own
/// thread. Returns once the socket is bound.
pub fn listen(controller: Arc<Controller>, endpoint: &Endpoint) -> std::io::Result<()> {
    match endpoint {
        Endpoint::Unix(path) => {
            let listener = bind_private(path)?;
            let accept = move || listener.accept().map(|(s, _)| s);
            spawn_acceptor(controller, accept, |s: &UnixStream| {
                s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                s.try_clone()
            })
        }
        Endpoint::Tcp(addr) => {
            let listener = TcpListener::bind(addr)?;
            let accept = move || listener.accept().map(|(s, _)| s);
            spawn_acceptor(controller, accept, |s: &TcpStream| {
                s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                s.try_clone()
            })
        }
    }
}

/// Accepts clients with `accept` on a thread of its own, each served on
/// a thread of its own; a client that cannot get one is closed, and the
/// server goes on accepting.
fn spawn_acceptor<A, S>(
    controller: Arc<Controller>,
    mut accept: A,
    prepare: fn(&S) -> std::io::Result<S>,
) -> std::io::Result<()>
where
    A: FnMut() -> std::io::Result<S> + Send + 'static,
    S: Read + Write + Send + 'static,
{
    thread::Builder::new()
        .name("qmp-accept".into())
        .spawn(move || loop {
            let Ok(stream) = accept() else {
                // Out of descriptors, most likely: let clients leave.
                thread::sleep(Duration::from_millis(10));
                continue;
            };
            let Ok(writer) = prepare(&stream) else {
                continue;
            };
            let c = controller.clone();
            // On failure the closure, and the client's streams in it,
            // are dropped: the client sees the connection close.
            let _ = thread::Builder::new()
                .name("qmp-session".into())
                .spawn(move || serve(c, stream, writer));
        })
        .map(|_| ())
}

/// Binds a Unix socket at `path` that only its owner can use from the
/// first moment: it is made in a new directory of mode 0700 beside
/// `path`, made 0600 there and renamed into place. Something at `path`
/// that is not a socket is left alone and reported.
fn bind_private(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::{DirBuilderExt, FileTypeExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"))?;
    let private = parent.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::DirBuilder::new().mode(0o700).create(&private)?;
    let staged = private.join("s");
    let bound = UnixListener::bind(&staged).and_then(|listener| {
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o600))?;
        std::fs::rename(&staged, path)?;
        Ok(listener)
    });
    let _ = std::fs::remove_file(&staged);
    let _ = std::fs::remove_dir(&private);
    bound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_and_tcp_defaults_to_loopback() {
        assert_eq!(
            Endpoint::parse("tcp::4444"),
            Ok(Endpoint::Tcp("127.0.0.1:4444".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp:4444"),
            Ok(Endpoint::Tcp("127.0.0.1:4444".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp:0.0.0.0:1"),
            Ok(Endpoint::Tcp("0.0.0.0:1".into()))
        );
        assert!(Endpoint::parse("unix:").is_err());
        assert!(Endpoint::parse("tcp::x").is_err());
        assert!(Endpoint::parse("udp:1").is_err());
    }
}
