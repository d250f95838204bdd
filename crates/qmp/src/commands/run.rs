//! Driving a realized machine: status, stop/continue/reset/quit, CPUs,
//! memory, and the human monitor's `info` commands.

use std::io::Write;

use chimera_memory::{Endian, MmioCtx};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{parse_args, schema_of, CommandSpec, NoArgs};
use crate::controller::{Controller, Status};
use crate::error::{ErrorClass, QmpError};

/// Arguments of memory reads.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemReadArgs {
    /// The cluster whose view is used.
    pub cluster: String,
    /// First address.
    pub addr: u64,
    /// Bytes to read (at most 64 KiB).
    pub size: u64,
}

/// Arguments of memory writes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemWriteArgs {
    /// The cluster whose view is used.
    pub cluster: String,
    /// First address.
    pub addr: u64,
    /// The bytes, as hexadecimal text.
    pub data: String,
}

/// Arguments of `pmemsave` / `memsave`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MemSaveArgs {
    /// First address.
    pub val: u64,
    /// Bytes to save.
    pub size: u64,
    /// The host file to write.
    pub filename: String,
    /// For `memsave`: the CPU whose cluster's view is used (default 0).
    pub cpu_index: Option<u32>,
}

/// Arguments of `gdbserver`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GdbserverArgs {
    /// Where to listen: `tcp::PORT` (loopback) or `tcp:HOST:PORT`.
    pub device: String,
}

/// Arguments of `human-monitor-command`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HmpArgs {
    /// The monitor command (`info registers`, `info mtree`, `info qom-tree`).
    pub command_line: String,
}

const MAX_READ: u64 = 64 * 1024;

fn read_memory(
    c: &Controller,
    cluster: Option<&str>,
    cpu: Option<u32>,
    addr: u64,
    size: u64,
) -> Result<Vec<u8>, QmpError> {
    c.with_machine_locked(|m| {
        let clusters = m.scheduler().clusters();
        let found = match (cluster, cpu) {
            (Some(name), _) => clusters.iter().find(|k| k.name() == name),
            (None, Some(index)) => clusters
                .iter()
                .find(|k| k.cpus().iter().any(|cpu| cpu.index == index)),
            (None, None) => clusters.first(),
        };
        let k = found
            .ok_or_else(|| QmpError::new(ErrorClass::DeviceNotFound, "no such cluster or CPU"))?;
        let mut buf = vec![0u8; size as usize];
        k.space()
            .read_bytes(&MmioCtx::default(), addr, &mut buf)
            .map_err(|e| QmpError::generic(format!("cannot read memory: {e}")))?;
        Ok(buf)
    })?
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>, QmpError> {
    if text.len() % 2 != 0 {
        return Err(QmpError::generic(
            "'data' must be an even number of hex digits",
        ));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| QmpError::generic("'data' must be hex digits"))
        })
        .collect()
}

fn save(c: &Controller, a: MemSaveArgs, by_cpu: bool) -> Result<Value, QmpError> {
    if a.size > 64 << 20 {
        return Err(QmpError::generic("'size' is limited to 64 MiB"));
    }
    let cpu = if by_cpu {
        Some(a.cpu_index.unwrap_or(0))
    } else {
        None
    };
    let bytes = read_memory(c, None, cpu, a.val, a.size)?;
    let mut f = std::fs::File::create(&a.filename)
        .map_err(|e| QmpError::generic(format!("cannot open '{}': {e}", a.filename)))?;
    f.write_all(&bytes)
        .map_err(|e| QmpError::generic(format!("cannot write '{}': {e}", a.filename)))?;
    Ok(json!({}))
}

fn hmp(c: &Controller, line: &str) -> Result<Value, QmpError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let text = match words.as_slice() {
        ["info", "registers"] | ["info", "registers", "-a"] => c.with_machine_locked(|m| {
            let mut out = String::new();
            for k in m.scheduler().clusters() {
                for cpu in k.cpus() {
                    out.push_str(&format!("CPU#{} ({}/cpu{}, {}):\n", cpu.index, k.name(), cpu.hart, k.arch()));
                    out.push_str(&k.dump_registers(cpu.hart).unwrap_or_default());
                    out.push('\n');
                }
            }
            out
        })?,
        ["info", "mtree"] => c.with_machine_locked(|m| m.render_mtree())?,
        ["info", "qom-tree"] => {
            let machine = c.lock().machine.clone();
            match machine {
                Some(m) => m.lock().unwrap_or_else(|e| e.into_inner()).tree().render(),
                None => {
                    let inner = c.lock();
                    let b = inner.builder.as_ref().ok_or_else(super::introspect::no_machine)?;
                    b.tree().render()
                }
            }
        }
        ["info", "status"] => format!("VM status: {}\n", c.status().name()),
        ["gdbserver", spec] => {
            let ports = c.start_gdbserver(spec)?;
            ports
                .iter()
                .map(|p| format!("Waiting for gdb connection on device 'tcp::{}' (cluster {}, {})\n", p.port, p.cluster, p.arch))
                .collect()
        }
        _ => format!("unknown command: '{line}'; this monitor knows info registers, info mtree, info qom-tree, info status, gdbserver tcp::PORT\n"),
    };
    Ok(Value::String(text))
}

pub(super) fn commands() -> Vec<CommandSpec> {
    vec![
        CommandSpec {
            name: "query-status",
            doc: "Whether the machine runs, and its run state.",
            args: schema_of::<NoArgs>,
            handler: |c, args| {
                parse_args::<NoArgs>(args)?;
                let s = c.status();
                Ok(json!({"running": s == Status::Running, "singlestep": false, "status": s.name()}))
            },
        },
        CommandSpec {
            name: "stop",
            doc: "Stops the machine (event STOP).",
            args: schema_of::<NoArgs>,
            handler: |c, args| {
                parse_args::<NoArgs>(args)?;
                c.stop()?;
                Ok(json!({}))
            },
        },
        CommandSpec {
            name: "cont",
            doc: "Resumes the machine (event RESUME).",
            args: schema_of::<NoArgs>,
            handler: |c, args| {
                parse_args::<NoArgs>(args)?;
                c.cont()?;
                Ok(json!({}))
            },
        },
        CommandSpec {
            name: "system_reset",
            doc: "Resets the machine: images reloaded, CPUs at their boot state (event RESET).",
            args: schema_of::<NoArgs>,
            handler: |c, args| {
                parse_args::<NoArgs>(args)?;
                c.with_machine_locked(|m| m.reset())?
                    .map_err(QmpError::generic)?;
                c.events()
                    .emit("RESET", json!({"guest": false, "reason": "host-qmp-system-reset"}));
                Ok(json!({}))
            },
        },
        CommandSpec {
            name: "quit",
            doc: "Ends Chimera (event SHUTDOWN).",
            args: schema_of::<NoArgs>,
            handler: |c, args| {
                parse_args::<NoArgs>(args)?;
                c.quit();
                Ok(json!({}))
            },
        },
        CommandSpec {
            name: "query-cpus-fast",
            doc: "Every CPU: index, path, architecture, cluster, pc, instructions retired, halted.",
            args: schema_of::<NoArgs>,
            handler: |c, args| {
                parse_args::<NoArgs>(args)?;
                c.with_machine_locked(|m| {
                    let mut out = Vec::new();
                    for k in m.scheduler().clusters() {
                        for cpu in k.cpus() {
                            out.push(json!({
                                "cpu-index": cpu.index,
                                "qom-path": format!("/machine/{}/cpu{}", k.name(), cpu.hart),
                                "thread-id": 0,
                                "target": k.arch(),
                                "arch": k.arch(),
                                "cluster": k.name(),
                                "pc": cpu.pc,
                                "instructions": cpu.insns,
                                "halted": cpu.halted,
                            }));
                        }
                    }
                    Value::Array(out)
                })
            },
        },
        CommandSpec {
            name: "x-memory-read",
            doc: "Reads bytes through a cluster's view of memory; returns them as hex.",
            args: schema_of::<MemReadArgs>,
            handler: |c, args| {
                let a: MemReadArgs = parse_args(args)?;
                if a.size > MAX_READ {
                    return Err(QmpError::generic(format!("'size' is limited to {MAX_READ}")));
                }
                let bytes = read_memory(c, Some(&a.cluster), None, a.addr, a.size)?;
                Ok(json!({"data": hex(&bytes)}))
            },
        },
        CommandSpec {
            name: "x-memory-write",
            doc: "Writes bytes (hex) through a cluster's view of memory.",
            args: schema_of::<MemWriteArgs>,
            handler: |c, args| {
                let a: MemWriteArgs = parse_args(args)?;
                let bytes = unhex(&a.data)?;
                c.with_machine_locked(|m| {
                    let k = m
                        .scheduler()
                        .clusters()
                        .iter()
                        .find(|k| k.name() == a.cluster)
                        .ok_or_else(|| QmpError::new(ErrorClass::DeviceNotFound, format!("no cluster '{}'", a.cluster)))?;
                    let space = k.space();
                    for (i, b) in bytes.iter().enumerate() {
                        space
                            .write(&MmioCtx::default(), a.addr + i as u64, 1, Endian::Little, u64::from(*b))
                            .map_err(|e| QmpError::generic(format!("cannot write memory: {e}")))?;
                    }
                    Ok(json!({}))
                })?
            },
        },
        CommandSpec {
            name: "pmemsave",
            doc: "Saves physical memory (the first cluster's view) to a host file.",
            args: schema_of::<MemSaveArgs>,
            handler: |c, args| save(c, parse_args(args)?, false),
        },
        CommandSpec {
            name: "memsave",
            doc: "Saves memory as CPU 'cpu-index' sees it to a host file.",
            args: schema_of::<MemSaveArgs>,
            handler: |c, args| save(c, parse_args(args)?, true),
        },
        CommandSpec {
            name: "gdbserver",
            doc: "Starts a GDB server: a port per cluster from the given one up (tcp::PORT, loopback, or tcp:HOST:PORT); from then on the debuggers run and stop the machine.",
            args: schema_of::<GdbserverArgs>,
            handler: |c, args| {
                let a: GdbserverArgs = parse_args(args)?;
                let ports = c.start_gdbserver(&a.device)?;
                Ok(Value::Array(
                    ports
                        .into_iter()
                        .map(|p| json!({"cluster": p.cluster, "arch": p.arch, "port": p.port}))
                        .collect(),
                ))
            },
        },
        CommandSpec {
            name: "human-monitor-command",
            doc: "Runs a human monitor command: info registers, info mtree, info qom-tree, info status.",
            args: schema_of::<HmpArgs>,
            handler: |c, args| {
                let a: HmpArgs = parse_args(args)?;
                hmp(c, &a.command_line)
            },
        },
    ]
}
