//! One client's conversation: the greeting, capabilities negotiation, then
//! requests answered in order and events interleaved.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::commands::dispatch;
use crate::commands::introspect::greeting_version;
use crate::controller::Controller;
use crate::error::{ErrorClass, QmpError};
use crate::events::EVENT_QUEUE;
use crate::wire::{parse_request, Frame, Framer};

/// The greeting a client reads first.
pub fn greeting() -> Value {
    json!({"QMP": {"version": greeting_version(), "capabilities": []}})
}

/// Answers one request value, tracking negotiation.
pub fn answer(controller: &Controller, negotiated: &mut bool, value: Value) -> Value {
    let request = match parse_request(value) {
        Ok(r) => r,
        Err((e, id)) => return e.to_answer(id.as_ref()),
    };
    if !*negotiated && request.execute != "qmp_capabilities" {
        return QmpError::new(
            ErrorClass::CommandNotFound,
            "Expecting capabilities negotiation with 'qmp_capabilities'",
        )
        .to_answer(request.id.as_ref());
    }
    if *negotiated && request.execute == "qmp_capabilities" {
        return QmpError::new(
            ErrorClass::CommandNotFound,
            "Capabilities negotiation is already complete, command ignored",
        )
        .to_answer(request.id.as_ref());
    }
    let result = dispatch(controller, &request.execute, request.arguments);
    if request.execute == "qmp_capabilities" && result.is_ok() {
        *negotiated = true;
    }
    match result {
        Ok(ret) => {
            let mut v = json!({"return": ret});
            if let Some(id) = request.id {
                v["id"] = id;
            }
            v
        }
        Err(e) => e.to_answer(request.id.as_ref()),
    }
}

/// Writes `msg` as one line; `false` once the client is gone.
fn send_line<W: Write>(writer: &Mutex<W>, msg: &Value) -> bool {
    let mut line = msg.to_string();
    line.push_str("\r\n");
    let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
    w.write_all(line.as_bytes()).and_then(|_| w.flush()).is_ok()
}

/// Serves one client on `reader`/`writer` until it leaves or a quit is
/// asked. Answers are written in order on this thread (a client that does
/// not read them stops being read: nothing piles up); events go out from
/// a thread of the session's own, between answers, through a bounded
/// queue. Both threads end with the session.
pub fn serve<R: Read, W: Write + Send + 'static>(
    controller: Arc<Controller>,
    mut reader: R,
    writer: W,
) {
    let writer = Arc::new(Mutex::new(writer));
    let mut events: Option<(u64, std::thread::JoinHandle<()>)> = None;
    let mut framer = Framer::new();
    let mut negotiated = false;
    let mut buf = [0u8; 4096];
    let mut connected = send_line(&writer, &greeting());
    'client: while connected {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        framer.push(&buf[..n]);
        while let Some(frame) = framer.next_frame() {
            let reply = match frame {
                Frame::Message(v) => {
                    let was = negotiated;
                    let reply = answer(&controller, &mut negotiated, v);
                    if negotiated && !was {
                        events = subscribe(&controller, &writer);
                    }
                    reply
                }
                Frame::Bad(e) => e.to_answer(None),
            };
            connected = send_line(&writer, &reply);
            if controller.quit_requested() {
                controller.quit_answered();
                break 'client;
            }
            if !connected {
                break 'client;
            }
        }
    }
    if let Some((id, thread)) = events {
        controller.events().unsubscribe(id);
        // The queue is closed now: the thread ends once it wrote (or
        // failed to write) what was queued.
        let _ = thread.join();
    }
}

/// Subscribes the session to events, written by a thread of its own.
fn subscribe<W: Write + Send + 'static>(
    controller: &Controller,
    writer: &Arc<Mutex<W>>,
) -> Option<(u64, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::sync_channel::<Value>(EVENT_QUEUE);
    let writer = writer.clone();
    let thread = std::thread::Builder::new()
        .name("qmp-events".into())
        .spawn(move || {
            for event in rx {
                if !send_line(&writer, &event) {
                    break;
                }
            }
        })
        .ok()?;
    Some((controller.events().subscribe(tx), thread))
}
