//! Building a machine through the protocol: every step a description can
//! take, through the same builder, plus loading a whole description.

use std::path::PathBuf;

use chimera_core::ObjectKind;
use chimera_machine::{load, Description, ImageSpec, MachineBuilder, Placement, Source};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{parse_args, schema_of, CommandSpec};
use crate::commands::introspect::no_machine;
use crate::controller::{Controller, Status};
use crate::error::QmpError;

/// Arguments of `x-machine-create`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// The machine's name.
    pub name: Option<String>,
}

/// One placement, as in a description's `map`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MapArg {
    /// The address space's id.
    pub space: String,
    /// Address of the first byte.
    pub base: u64,
    /// Priority against overlapping regions.
    #[serde(default)]
    pub priority: i32,
}

/// Arguments of `object-add`: like a description's table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ObjectAddArgs {
    /// The type (`ram`, `ns16550a`, `riscv64`, `address-space`, …).
    pub qom_type: String,
    /// The id (a path under `/machine`, such as `uart0` or `app/uart0`).
    pub id: String,
    /// For a cluster: the space its CPUs see; for memories and devices,
    /// with `base`: where to map it.
    pub space: Option<String>,
    /// With `space`: the address to map at.
    pub base: Option<u64>,
    /// With `space` and `base`: the mapping's priority.
    #[serde(default)]
    pub priority: i32,
    /// Placements, for objects mapped more than once.
    #[serde(default)]
    pub map: Vec<MapArg>,
    /// Properties given as one object (they may also be given at the top
    /// level, as QEMU's `object-add` does).
    #[serde(default)]
    pub props: Map<String, Value>,
    /// Top-level properties.
    #[serde(flatten)]
    #[schemars(skip)]
    pub rest: Map<String, Value>,
}

/// Arguments of `x-machine-connect`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectArgs {
    /// The output pin, `OBJECT.PIN[INDEX]`.
    pub from: String,
    /// The input pin.
    pub to: String,
}

/// Arguments of `x-machine-load-image`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageArgs {
    /// The cluster whose address space the image goes into.
    pub cluster: String,
    /// The file on the host.
    pub path: String,
    /// Load address of a raw image.
    pub addr: Option<u64>,
    /// Whether the entry point sets the cluster's pc (default true).
    #[serde(default = "yes")]
    pub entry: bool,
}

fn yes() -> bool {
    true
}

/// Arguments of `x-machine-load-description`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DescriptionArgs {
    /// The description's TOML text.
    pub text: Option<String>,
    /// A description file on the host (instead of `text`).
    pub path: Option<String>,
    /// Where relative image paths start (default: the file's directory,
    /// or the current directory for `text`).
    pub base_dir: Option<String>,
}

fn building(c: &Controller) -> Result<(), QmpError> {
    if c.lock().machine.is_some() {
        return Err(QmpError::generic(
            "the machine is already realized; its configuration is frozen",
        ));
    }
    Ok(())
}

fn with_builder<R>(
    c: &Controller,
    f: impl FnOnce(&mut MachineBuilder) -> Result<R, QmpError>,
) -> Result<R, QmpError> {
    building(c)?;
    let mut inner = c.lock();
    let b = inner.builder.as_mut().ok_or_else(no_machine)?;
    f(b)
}

fn build_error(e: chimera_machine::BuildError) -> QmpError {
    match e.kind.hint() {
        Some(h) => QmpError::generic(format!("{} ({h})", e.kind)),
        None => QmpError::generic(e.kind.to_string()),
    }
}

pub(super) fn commands() -> Vec<CommandSpec> {
    vec![
        CommandSpec {
            name: "x-machine-create",
            doc: "Starts building an empty machine.",
            args: schema_of::<CreateArgs>,
            handler: |c, args| {
                let a: CreateArgs = parse_args(args)?;
                building(c)?;
                let mut inner = c.lock();
                let reg = inner.registry.clone();
                inner.builder = Some(MachineBuilder::new(a.name.as_deref().unwrap_or("machine"), reg));
                Ok(json!({}))
            },
        },
        CommandSpec {
            name: "object-add",
            doc: "Declares an object (space, cluster, memory or device) with its properties and placement.",
            args: schema_of::<ObjectAddArgs>,
            handler: |c, args| {
                let a: ObjectAddArgs = parse_args(args)?;
                with_builder(c, |b| {
                    let kinds = [
                        ObjectKind::AddressSpace,
                        ObjectKind::Cluster,
                        ObjectKind::Memory,
                        ObjectKind::Device,
                    ];
                    b.add_object(&a.id, &a.qom_type, &kinds).map_err(build_error)?;
                    // All or nothing: a failure after the declaration takes
                    // it back, so a corrected retry is not a duplicate.
                    let configured = configure_added(b, &a);
                    if configured.is_err() {
                        let _ = b.remove_object(&a.id);
                    }
                    configured?;
                    Ok(json!({}))
                })
            },
        },
        CommandSpec {
            name: "x-machine-connect",
            doc: "Connects an output pin to an input pin (checked at realize).",
            args: schema_of::<ConnectArgs>,
            handler: |c, args| {
                let a: ConnectArgs = parse_args(args)?;
                with_builder(c, |b| {
                    b.connect(&a.from, &a.to);
                    Ok(json!({}))
                })
            },
        },
        CommandSpec {
            name: "x-machine-load-image",
            doc: "Adds an image to load into a cluster's address space at realize.",
            args: schema_of::<ImageArgs>,
            handler: |c, args| {
                let a: ImageArgs = parse_args(args)?;
                with_builder(c, |b| {
                    b.add_image(ImageSpec {
                        cluster: a.cluster,
                        path: PathBuf::from(a.path),
                        addr: a.addr,
                        entry: a.entry,
                    })
                    .map_err(build_error)?;
                    Ok(json!({}))
                })
            },
        },
        CommandSpec {
            name: "x-machine-load-description",
            doc: "Declares a whole machine from a description (text or file), through the same builder.",
            args: schema_of::<DescriptionArgs>,
            handler: |c, args| {
                let a: DescriptionArgs = parse_args(args)?;
                building(c)?;
                let (source, dir) = match (&a.text, &a.path) {
                    (Some(text), None) => (Source::new("qmp", text), PathBuf::from(".")),
                    (None, Some(path)) => {
                        let text = chimera_machine::read_description(std::path::Path::new(path))
                            .map_err(QmpError::generic)?;
                        let dir = PathBuf::from(path).parent().map(PathBuf::from).unwrap_or_default();
                        (Source::new(path, &text), dir)
                    }
                    _ => return Err(QmpError::generic("give exactly one of 'text' and 'path'")),
                };
                let dir = a.base_dir.map(PathBuf::from).unwrap_or(dir);
                let reg = c.lock().registry.clone();
                let loaded = Description::parse(source)
                    .and_then(|d| load(d, reg, &dir))
                    .map_err(|d| QmpError::generic(d.to_string()))?;
                c.lock().builder = Some(loaded.builder);
                Ok(json!({}))
            },
        },
        CommandSpec {
            name: "x-machine-realize",
            doc: "Configures, wires and realizes the machine being built; it is then paused ('cont' runs it).",
            args: schema_of::<super::NoArgs>,
            handler: |c, args| {
                parse_args::<super::NoArgs>(args)?;
                building(c)?;
                let (builder, serial) = {
                    let mut inner = c.lock();
                    let b = inner.builder.take().ok_or_else(no_machine)?;
                    (b, inner.serial.clone())
                };
                let copy = builder.duplicate();
                let machine = match builder.realize(&serial) {
                    Ok(m) => m,
                    Err(e) => {
                        // The machine under construction stays as it was.
                        c.lock().builder = Some(copy);
                        return Err(build_error(e));
                    }
                };
                c.install(machine);
                c.set_status(Status::Paused);
                Ok(json!({}))
            },
        },
    ]
}

/// Sets the properties and placement `object-add` gives a declared object.
fn configure_added(b: &mut MachineBuilder, a: &ObjectAddArgs) -> Result<(), QmpError> {
    let kind = b.registry().get(&a.qom_type).map(|t| t.info.kind()).ok();
    for (k, v) in a.props.iter().chain(a.rest.iter()) {
        b.set_property(&a.id, k, v.clone()).map_err(build_error)?;
    }
    match (kind, &a.space, a.base) {
        (Some(ObjectKind::Cluster), Some(space), None) => {
            b.set_cluster_space(&a.id, space).map_err(build_error)?
        }
        (_, Some(space), Some(base)) => b
            .map(
                &a.id,
                Placement {
                    space: space.clone(),
                    base,
                    priority: a.priority,
                },
            )
            .map_err(build_error)?,
        (_, None, None) => {}
        _ => {
            return Err(QmpError::generic(
                "'space' and 'base' go together (a cluster takes 'space' alone)",
            ))
        }
    }
    for m in &a.map {
        b.map(
            &a.id,
            Placement {
                space: m.space.clone(),
                base: m.base,
                priority: m.priority,
            },
        )
        .map_err(build_error)?;
    }
    Ok(())
}
