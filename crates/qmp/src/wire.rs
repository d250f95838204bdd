//! The QMP wire format: splitting a byte stream into JSON messages and
//! checking that each is a well-formed request.
//!
//! Clients send JSON objects one after another (usually one a line). A
//! message is taken as soon as it is complete; a syntax error is answered
//! and the input up to the next line break is dropped; a message longer
//! than [`MAX_MESSAGE`] is answered and dropped.

use serde_json::{Map, Value};

use crate::error::QmpError;

/// Longest message accepted, in bytes.
pub const MAX_MESSAGE: usize = 1 << 20;

fn too_long() -> QmpError {
    QmpError::generic(format!("message too long: more than {MAX_MESSAGE} bytes"))
}

/// What the framer found in the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A complete JSON value.
    Message(Value),
    /// Input that is not JSON, or too long: answer with this error.
    Bad(QmpError),
}

/// Accumulates bytes and yields messages.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    discarding: bool,
}

impl Framer {
    /// An empty framer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes read from the client.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, if any.
    pub fn next_frame(&mut self) -> Option<Frame> {
        if self.discarding {
            // After an oversized message, skip to the next line.
            match self.buf.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    self.buf.drain(..=nl);
                    self.discarding = false;
                }
                None => {
                    self.buf.clear();
                    return None;
                }
            }
        }
        let start = self.buf.iter().position(|b| !b.is_ascii_whitespace());
        let Some(start) = start else {
            self.buf.clear();
            return None;
        };
        self.buf.drain(..start);
        let mut stream = serde_json::Deserializer::from_slice(&self.buf).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                let used = stream.byte_offset();
                self.buf.drain(..used);
                if used > MAX_MESSAGE {
                    return Some(Frame::Bad(too_long()));
                }
                Some(Frame::Message(value))
            }
            Some(Err(e)) if e.is_eof() => {
                if self.buf.len() > MAX_MESSAGE {
                    self.discarding = true;
                    self.buf.clear();
                    return Some(Frame::Bad(too_long()));
                }
                None
            }
            Some(Err(e)) => {
                let nl = self.buf.iter().position(|&b| b == b'\n');
                match nl {
                    Some(nl) => {
                        self.buf.drain(..=nl);
                    }
                    None => self.buf.clear(),
                }
                Some(Frame::Bad(QmpError::generic(format!(
                    "JSON parse error: {e}"
                ))))
            }
            None => None,
        }
    }
}

/// A request, checked for shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The command.
    pub execute: String,
    /// Its arguments (an empty object when none were given).
    pub arguments: Map<String, Value>,
    /// The client's id, echoed in the answer.
    pub id: Option<Value>,
}

/// Checks that `value` is a request: an object with a string `execute`,
/// an optional object `arguments`, an optional `id`, and nothing else.
pub fn parse_request(value: Value) -> Result<Request, (QmpError, Option<Value>)> {
    let Value::Object(mut obj) = value else {
        return Err((QmpError::generic("QMP input must be a JSON object"), None));
    };
    let id = obj.remove("id");
    let fail = |msg: String, id: &Option<Value>| Err((QmpError::generic(msg), id.clone()));
    if obj.contains_key("exec-oob") {
        return fail("out-of-band execution is not supported".into(), &id);
    }
    let execute = match obj.remove("execute") {
        Some(Value::String(s)) => s,
        Some(_) => return fail("QMP input member 'execute' must be a string".into(), &id),
        None => return fail("QMP input lacks member 'execute'".into(), &id),
    };
    let arguments = match obj.remove("arguments") {
        Some(Value::Object(a)) => a,
        Some(_) => return fail("QMP input member 'arguments' must be an object".into(), &id),
        None => Map::new(),
    };
    if let Some(key) = obj.keys().next() {
        return fail(format!("QMP input member '{key}' is unexpected"), &id);
    }
    Ok(Request {
        execute,
        arguments,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_split_across_reads_are_joined() {
        let mut f = Framer::new();
        f.push(b"{\"execute\": \"qmp_");
        assert_eq!(f.next_frame(), None);
        f.push(b"capabilities\"}\n{\"execute\":\"quit\"}");
        assert_eq!(
            f.next_frame(),
            Some(Frame::Message(json!({"execute": "qmp_capabilities"})))
        );
        assert_eq!(
            f.next_frame(),
            Some(Frame::Message(json!({"execute": "quit"})))
        );
        assert_eq!(f.next_frame(), None);
    }

    #[test]
    fn bad_json_is_answered_and_skipped_to_the_next_line() {
        let mut f = Framer::new();
        f.push(b"{oops}\n{\"execute\":\"quit\"}\n");
        assert!(matches!(f.next_frame(), Some(Frame::Bad(_))));
        assert_eq!(
            f.next_frame(),
            Some(Frame::Message(json!({"execute": "quit"})))
        );
    }

    #[test]
    fn oversized_messages_are_refused() {
        let mut f = Framer::new();
        f.push(b"[\"");
        f.push(&vec![b'a'; MAX_MESSAGE + 10]);
        assert!(matches!(f.next_frame(), Some(Frame::Bad(e)) if e.desc.contains("too long")));
        f.push(b"aaa\"]\n{\"execute\":\"quit\"}\n");
        assert_eq!(
            f.next_frame(),
            Some(Frame::Message(json!({"execute": "quit"})))
        );
    }

    #[test]
    fn request_shape_is_checked() {
        let r = parse_request(json!({"execute": "stop", "id": 7})).unwrap();
        assert_eq!((r.execute.as_str(), r.id), ("stop", Some(json!(7))));
        assert!(parse_request(json!({"execute": 1})).is_err());
        assert!(parse_request(json!({"arguments": {}})).is_err());
        let (e, id) = parse_request(json!({"execute": "x", "id": "a", "bogus": 1})).unwrap_err();
        assert!(e.desc.contains("'bogus' is unexpected"));
        assert_eq!(id, Some(json!("a")));
        assert!(parse_request(json!([1])).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_parser() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut f = Framer::new();
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let b = (state >> (i % 8 * 8)) as u8;
                    // Bias towards JSON punctuation so parsing goes deep.
                    match b % 8 {
                        0 => b'{',
                        1 => b'"',
                        2 => b'}',
                        3 => b'\n',
                        _ => b,
                    }
                })
                .collect();
            f.push(&bytes);
            while let Some(frame) = f.next_frame() {
                if let Frame::Message(v) = frame {
                    let _ = parse_request(v);
                }
            }
        }
    }
}
