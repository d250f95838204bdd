//! Transports: a Unix socket (mode 0600) and TCP (loopback unless told
//! otherwise), several clients at once, each on its own thread.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

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

/// Starts listening on `endpoint`; each client is served on its own
/// thread. Returns once the socket is bound.
pub fn listen(controller: Arc<Controller>, endpoint: &Endpoint) -> std::io::Result<()> {
    match endpoint {
        Endpoint::Unix(path) => {
            if path.exists() {
                std::fs::remove_file(path)?;
            }
            let listener = UnixListener::bind(path)?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let Ok(writer) = stream.try_clone() else {
                        continue;
                    };
                    let c = controller.clone();
                    thread::spawn(move || serve(c, stream, writer));
                }
            });
        }
        Endpoint::Tcp(addr) => {
            let listener = TcpListener::bind(addr)?;
            thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let Ok(writer) = stream.try_clone() else {
                        continue;
                    };
                    let c = controller.clone();
                    thread::spawn(move || serve(c, stream, writer));
                }
            });
        }
    }
    Ok(())
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
