//! The protocol over a real Unix socket: negotiation, bad input of every
//! kind answered with the right error, several clients, a client leaving
//! mid-message, and building a machine step by step.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use chimera_machine::{builtin_registry, SerialConfig};
use chimera_qmp::{listen, Controller, Endpoint};
use serde_json::{json, Value};

/// A server on a socket of its own: tests run on threads of their own, so
/// the thread's id makes the name unique.
fn server() -> PathBuf {
    let thread: String = format!("{:?}", std::thread::current().id())
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let path =
        std::env::temp_dir().join(format!("chimera-qmp-{}-{thread}.sock", std::process::id()));
    let controller = Controller::new(builtin_registry(), SerialConfig::default());
    listen(controller, &Endpoint::Unix(path.clone())).unwrap();
    path
}

struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Client {
    fn connect(path: &PathBuf) -> Self {
        let stream = UnixStream::connect(path).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut c = Client {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = c.read();
        assert!(
            greeting["QMP"]["version"]["qemu"]["major"].is_u64(),
            "{greeting}"
        );
        c
    }

    fn read(&mut self) -> Value {
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let v: Value = serde_json::from_str(&line).unwrap();
            if v.get("event").is_none() {
                return v;
            }
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    fn call(&mut self, execute: &str, arguments: Value) -> Value {
        let msg = json!({"execute": execute, "arguments": arguments});
        self.send_raw(format!("{msg}\n").as_bytes());
        self.read()
    }

    fn negotiated(path: &PathBuf) -> Self {
        let mut c = Self::connect(path);
        assert_eq!(c.call("qmp_capabilities", json!({})), json!({"return": {}}));
        c
    }
}

fn error_class(v: &Value) -> &str {
    v["error"]["class"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {v}"))
}

#[test]
fn the_socket_is_private_to_its_owner() {
    let path = server();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn commands_before_negotiation_are_refused() {
    let path = server();
    let mut c = Client::connect(&path);
    let r = c.call("query-status", json!({}));
    assert_eq!(error_class(&r), "CommandNotFound");
    assert!(r["error"]["desc"]
        .as_str()
        .unwrap()
        .contains("qmp_capabilities"));
}

#[test]
fn bad_input_gets_qmp_errors_and_the_server_keeps_serving() {
    let path = server();
    let mut c = Client::negotiated(&path);
    c.send_raw(b"{this is not json}\n");
    assert_eq!(error_class(&c.read()), "GenericError");
    let r = c.call("no-such-command", json!({}));
    assert_eq!(error_class(&r), "CommandNotFound");
    let r = c.call("qom-get", json!({"path": "/machine"}));
    assert_eq!(r["error"]["desc"], "Parameter 'property' is missing");
    let r = c.call("qom-get", json!({"path": 5, "property": "x"}));
    assert!(
        r["error"]["desc"]
            .as_str()
            .unwrap()
            .contains("Invalid parameter type for 'path'"),
        "{r}"
    );
    let r = c.call("query-status", json!({"bogus": 1}));
    assert_eq!(r["error"]["desc"], "Parameter 'bogus' is unexpected");
    c.send_raw(b"{\"execute\": \"query-status\", \"id\": \"abc\", \"extra\": 1}\n");
    let r = c.read();
    assert_eq!(r["id"], "abc");
    assert_eq!(error_class(&r), "GenericError");
    let mut big = b"[\"".to_vec();
    big.extend(std::iter::repeat_n(b'x', (1 << 20) + 100));
    big.extend_from_slice(b"\"]\n");
    c.send_raw(&big);
    let r = c.read();
    assert!(
        r["error"]["desc"].as_str().unwrap().contains("too long"),
        "{r}"
    );
    // Still serving, with ids echoed.
    c.send_raw(b"{\"execute\": \"query-status\", \"id\": 42}\n");
    let r = c.read();
    assert_eq!(r["id"], 42);
    assert_eq!(r["return"]["status"], "prelaunch");
}

#[test]
fn a_client_leaving_mid_message_does_not_disturb_the_others() {
    let path = server();
    let mut a = Client::negotiated(&path);
    {
        let mut b = Client::negotiated(&path);
        b.send_raw(b"{\"execute\": \"query-sta");
    }
    let r = a.call("query-version", json!({}));
    assert!(r["return"]["package"]
        .as_str()
        .unwrap()
        .starts_with("chimera"));
}

#[test]
fn introspection_covers_commands_types_and_properties() {
    let path = server();
    let mut c = Client::negotiated(&path);
    let cmds = c.call("query-commands", json!({}));
    let names: Vec<&str> = cmds["return"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for n in [
        "qmp_capabilities",
        "query-qmp-schema",
        "object-add",
        "x-machine-realize",
        "cont",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    let schema = c.call("query-qmp-schema", json!({}));
    assert!(schema["return"].as_array().unwrap().len() > names.len());
    let types = c.call("qom-list-types", json!({"implements": "device"}));
    let uart = types["return"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ns16550a")
        .expect("ns16550a listed");
    assert_eq!(uart["origin"]["kind"], "builtin");
    let props = c.call("device-list-properties", json!({"typename": "ns16550a"}));
    assert!(props["return"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "reg-shift" && p["default-value"] == 0));
}

#[test]
fn a_machine_is_built_step_by_step_and_frozen_once_realized() {
    let path = server();
    let mut c = Client::negotiated(&path);
    assert_eq!(
        c.call("x-machine-create", json!({"name": "m"})),
        json!({"return": {}})
    );
    assert_eq!(
        c.call(
            "object-add",
            json!({"qom-type": "address-space", "id": "sys"})
        ),
        json!({"return": {}})
    );
    let r = c.call(
        "object-add",
        json!({"qom-type": "ram", "id": "ram", "size": "64K", "space": "sys", "base": 0x8000_0000u64}),
    );
    assert_eq!(r, json!({"return": {}}));
    let r = c.call(
        "object-add",
        json!({"qom-type": "ns16550a", "id": "uart0", "space": "sys", "base": 0x1000_0000, "reg-shift": 0}),
    );
    assert_eq!(r, json!({"return": {}}));
    let r = c.call("object-add", json!({"qom-type": "nonesuch", "id": "x"}));
    assert!(r["error"]["desc"]
        .as_str()
        .unwrap()
        .contains("unknown type"));
    let r = c.call(
        "qom-set",
        json!({"path": "/machine/uart0", "property": "reg-shift", "value": 2}),
    );
    assert_eq!(r, json!({"return": {}}));
    assert_eq!(
        c.call("x-machine-realize", json!({})),
        json!({"return": {}})
    );
    let r = c.call(
        "qom-get",
        json!({"path": "/machine/uart0", "property": "reg-shift"}),
    );
    assert_eq!(r["return"], 2);
    let r = c.call(
        "qom-set",
        json!({"path": "/machine/uart0", "property": "reg-shift", "value": 0}),
    );
    assert!(
        r["error"]["desc"].as_str().unwrap().contains("is realized"),
        "{r}"
    );
    let r = c.call(
        "object-add",
        json!({"qom-type": "ram", "id": "more", "size": 1}),
    );
    assert!(
        r["error"]["desc"].as_str().unwrap().contains("frozen"),
        "{r}"
    );
    let r = c.call(
        "x-memory-write",
        json!({"cluster": "none", "addr": 0, "data": "00"}),
    );
    assert_eq!(error_class(&r), "DeviceNotFound");
    let r = c.call(
        "human-monitor-command",
        json!({"command-line": "info mtree"}),
    );
    assert!(r["return"].as_str().unwrap().contains("uart0"));
    let r = c.call("qom-list", json!({"path": "/machine"}));
    assert!(r["return"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "uart0"));
}

#[test]
fn a_ram_too_large_for_the_host_is_refused_and_the_server_keeps_serving() {
    let path = server();
    let mut c = Client::negotiated(&path);
    for size in [json!("1T"), json!("2000T"), json!(u64::MAX)] {
        let name = "huge";
        assert_eq!(
            c.call("x-machine-create", json!({ "name": name })),
            json!({"return": {}})
        );
        let r = c.call(
            "object-add",
            json!({"qom-type": "ram", "id": "ram", "size": size}),
        );
        if r.get("error").is_none() {
            let r = c.call("x-machine-realize", json!({}));
            assert!(
                r["error"]["desc"].as_str().unwrap_or("").contains("size"),
                "{size}: {r}"
            );
        }
        // The session and the server carry on.
        let r = c.call("query-status", json!({}));
        assert!(r.get("return").is_some(), "{r}");
    }
}

#[test]
fn a_file_that_is_not_a_socket_is_left_alone() {
    let path = std::env::temp_dir().join(format!("chimera-qmp-file-{}", std::process::id()));
    std::fs::write(&path, b"precious").unwrap();
    let controller = Controller::new(builtin_registry(), SerialConfig::default());
    let err = listen(controller, &Endpoint::Unix(path.clone())).unwrap_err();
    assert!(err.to_string().contains("not a socket"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_description_from_dev_zero_is_refused() {
    let path = server();
    let mut c = Client::negotiated(&path);
    let r = c.call("x-machine-load-description", json!({"path": "/dev/zero"}));
    assert!(
        r["error"]["desc"]
            .as_str()
            .unwrap_or("")
            .contains("longer than a description"),
        "{r}"
    );
}

#[test]
fn a_failing_object_add_leaves_nothing_behind() {
    let path = server();
    let mut c = Client::negotiated(&path);
    assert_eq!(
        c.call("x-machine-create", json!({"name": "m"})),
        json!({"return": {}})
    );
    let r = c.call(
        "object-add",
        json!({"qom-type": "ns16550a", "id": "uart0", "reg-shift": "not a number"}),
    );
    assert!(r.get("error").is_some(), "{r}");
    let r = c.call(
        "object-add",
        json!({"qom-type": "ns16550a", "id": "uart0", "space": "nowhere", "base": 0}),
    );
    assert!(
        r["error"]["desc"]
            .as_str()
            .unwrap_or("")
            .contains("nowhere"),
        "{r}"
    );
    // The corrected request is not refused as a duplicate.
    assert_eq!(
        c.call(
            "object-add",
            json!({"qom-type": "ns16550a", "id": "uart0", "reg-shift": 2})
        ),
        json!({"return": {}})
    );
}
