//! The GDB remote stub for whole machines: every cluster is an inferior on
//! a port of its own (consecutive ports in description order), every CPU a
//! thread, each with its architecture's target description. A stop in one
//! cluster stops the machine (all-stop).
//!
//! The protocol is `gdbstub`'s; this crate supplies a run-time
//! architecture (the frontend's register layout and target XML, as data),
//! the per-cluster targets, and the hub that runs the machine while any
//! debugger lets it.

mod arch;
mod hub;
mod screen;
mod target;

pub use hub::{Hub, StopReport};
pub use target::serve_cluster;

use std::net::TcpListener;
use std::sync::Arc;

/// Where the debugger ports of a machine listen: `tcp::PORT` (loopback)
/// or `tcp:HOST:PORT`; the first cluster gets PORT, the next PORT + 1, …
pub fn parse_endpoint(spec: &str) -> Option<(String, u16)> {
    let rest = spec.strip_prefix("tcp:")?;
    let (host, port) = match rest.rsplit_once(':') {
        Some(("", p)) => ("127.0.0.1", p),
        Some((h, p)) => (h, p),
        None => ("127.0.0.1", rest),
    };
    Some((host.to_string(), port.parse().ok()?))
}

/// One listening debugger port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The cluster it debugs.
    pub cluster: String,
    /// The cluster's architecture.
    pub arch: String,
    /// The TCP port.
    pub port: u16,
}

/// Opens a port per cluster of `hub`'s machine, from `port` upward on
/// `host`, each serving one debugger connection at a time on a thread of
/// its own. Either every port opens, or none stays open.
pub fn listen(hub: &Arc<Hub>, host: &str, port: u16) -> Result<Vec<Port>, String> {
    let mut listeners = Vec::new();
    for (i, (cluster, arch)) in hub.clusters().into_iter().enumerate() {
        // Port 0: each cluster gets a free port of the system's choosing.
        let p = if port == 0 {
            0
        } else {
            u16::try_from(i)
                .ok()
                .and_then(|i| port.checked_add(i))
                .ok_or_else(|| format!("no port left above {port} for cluster {cluster}"))?
        };
        let listener = TcpListener::bind((host, p))
            .map_err(|e| format!("cannot listen on {host}:{p}: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {host}:{p}: {e}"))?
            .port();
        listeners.push((
            listener,
            Port {
                cluster,
                arch,
                port,
            },
        ));
    }
    let mut ports = Vec::new();
    for (i, (listener, port)) in listeners.into_iter().enumerate() {
        let hub = hub.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                serve_cluster(hub.clone(), i, conn);
            }
        });
        ports.push(port);
    }
    Ok(ports)
}
