//! Any bytes from a QMP client: framed, parsed as requests and answered
//! by a controller with no machine, as a session does; every answer must
//! be a reply or an error, never a panic. Commands that reach outside the
//! process (files, sockets) are left out.
#![no_main]

use std::sync::{Arc, OnceLock};

use chimera_machine::{builtin_registry, SerialConfig};
use chimera_qmp::session::answer;
use chimera_qmp::wire::{Frame, Framer};
use chimera_qmp::Controller;
use libfuzzer_sys::fuzz_target;

/// Commands that open files or ports, or end the process.
const OUTSIDE: &[&str] = &[
    "human-monitor-command",
    "x-machine-load-image",
    "x-machine-load-description",
    "quit",
    "cont",
];

fn controller() -> &'static Arc<Controller> {
    static C: OnceLock<Arc<Controller>> = OnceLock::new();
    C.get_or_init(|| Controller::new(builtin_registry(), SerialConfig::default()))
}

fuzz_target!(|data: &[u8]| {
    let mut framer = Framer::new();
    let mut negotiated = true;
    // A fresh builder for each input, so that state stays bounded (it
    // fails once a machine is realized: the input explores that state).
    let create = serde_json::json!({"execute": "x-machine-create", "arguments": {"name": "fuzz"}});
    let _ = answer(controller(), &mut negotiated, create);
    negotiated = data.first().is_some_and(|b| b & 1 == 1);
    for chunk in data.chunks(97) {
        framer.push(chunk);
        while let Some(frame) = framer.next_frame() {
            let Frame::Message(value) = frame else {
                continue;
            };
            let name = value.get("execute").and_then(|v| v.as_str()).unwrap_or("");
            if OUTSIDE.contains(&name) {
                continue;
            }
            let reply = answer(controller(), &mut negotiated, value);
            assert!(
                reply.get("return").is_some() || reply.get("error").is_some(),
                "{reply}"
            );
        }
    }
});
