//! Asynchronous events, sent to every negotiated client with a timestamp.

use std::sync::mpsc::Sender;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The events Chimera sends.
pub const EVENTS: &[(&str, &str)] = &[
    ("STOP", "the machine stopped"),
    ("RESUME", "the machine resumed"),
    ("RESET", "the machine was reset; `guest` says who asked"),
    (
        "SHUTDOWN",
        "the machine shut down; `guest` and `reason` say why",
    ),
];

/// Delivers events to the clients that listen.
#[derive(Debug, Default)]
pub struct EventBus {
    listeners: Mutex<Vec<Sender<Value>>>,
}

impl EventBus {
    /// A bus with no listener.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a listener; it gets every event from now on.
    pub fn subscribe(&self, tx: Sender<Value>) {
        self.lock().push(tx);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sender<Value>>> {
        // The list stays valid after a panic elsewhere.
        self.listeners.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `name` with `data`; listeners that left are dropped.
    pub fn emit(&self, name: &str, data: Value) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let event = json!({
            "event": name,
            "data": data,
            "timestamp": {"seconds": now.as_secs(), "microseconds": now.subsec_micros()},
        });
        self.lock().retain(|tx| tx.send(event.clone()).is_ok());
    }
}
