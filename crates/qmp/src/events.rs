//! Asynchronous events, sent to every negotiated client with a timestamp.
//!
//! Each client has a bounded queue: a client that does not read its events
//! loses the ones that do not fit (the machine never waits for a client),
//! and a client that left is forgotten at the next event or when its
//! session ends, whichever comes first.

use std::sync::mpsc::{SyncSender, TrySendError};
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

/// Events a client may have waiting before newer ones are dropped.
pub const EVENT_QUEUE: usize = 64;

/// Delivers events to the clients that listen.
#[derive(Debug, Default)]
pub struct EventBus {
    listeners: Mutex<Listeners>,
}

#[derive(Debug, Default)]
struct Listeners {
    next_id: u64,
    queues: Vec<(u64, SyncSender<Value>)>,
}

impl EventBus {
    /// A bus with no listener.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a listener; it gets every event from now on that fits its
    /// queue. Returns its id for [`EventBus::unsubscribe`].
    pub fn subscribe(&self, tx: SyncSender<Value>) -> u64 {
        let mut l = self.lock();
        l.next_id += 1;
        let id = l.next_id;
        l.queues.push((id, tx));
        id
    }

    /// Removes listener `id` (its queue closes once its reader drained it).
    pub fn unsubscribe(&self, id: u64) {
        self.lock().queues.retain(|(i, _)| *i != id);
    }

    /// How many listeners there are.
    pub fn listeners(&self) -> usize {
        self.lock().queues.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Listeners> {
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
        self.lock()
            .queues
            .retain(|(_, tx)| match tx.try_send(event.clone()) {
                Ok(()) | Err(TrySendError::Full(_)) => true,
                Err(TrySendError::Disconnected(_)) => false,
            });
    }
}
