//! One client's conversation: the greeting, capabilities negotiation, then
//! requests answered in order and events interleaved.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::commands::dispatch;
use crate::commands::introspect::greeting_version;
use crate::controller::Controller;
use crate::error::{ErrorClass, QmpError};
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

/// Serves one client on `reader`/`writer` until it leaves or a quit is
/// asked. Events go out through the same writer, between answers.
pub fn serve<R: Read, W: Write + Send + 'static>(
    controller: Arc<Controller>,
    mut reader: R,
    writer: W,
) {
    let (tx, rx) = mpsc::channel::<Value>();
    let writer_thread = std::thread::spawn(move || {
        let mut writer = writer;
        for msg in rx {
            let mut line = msg.to_string();
            line.push_str("\r\n");
            if writer
                .write_all(line.as_bytes())
                .and_then(|_| writer.flush())
                .is_err()
            {
                break;
            }
        }
    });
    // The channel stays open while the reader holds `tx`.
    let _ = tx.send(greeting());
    let mut framer = Framer::new();
    let mut negotiated = false;
    let mut buf = [0u8; 4096];
    'client: loop {
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
                        controller.events().subscribe(tx.clone());
                    }
                    reply
                }
                Frame::Bad(e) => e.to_answer(None),
            };
            if tx.send(reply).is_err() {
                break 'client;
            }
            if controller.quit_requested() {
                break 'client;
            }
        }
    }
    drop(tx);
    // Events sent to this client keep the writer alive until the bus
    // notices; joining here would wait for that, so the writer finishes on
    // its own.
    drop(writer_thread);
}
