//! Introspection: versions, the command list and schema, types, and the
//! object tree (`qom-*`).

use chimera_core::{ObjectPath, ObjectTree};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{parse_args, schema_of, CommandSpec, NoArgs};
use crate::controller::Controller;
use crate::error::{ErrorClass, QmpError};
use crate::schema::qmp_schema;

/// Arguments of `qom-list-types`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTypesArgs {
    /// Only types of this kind (`device`, `cluster`, `memory`, …).
    pub implements: Option<String>,
    /// Accepted for compatibility; Chimera has no abstract types.
    #[serde(rename = "abstract")]
    pub include_abstract: Option<bool>,
}

/// Arguments naming a type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeNameArgs {
    /// The type.
    pub typename: String,
}

/// Arguments naming an object.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathArgs {
    /// Its path, such as `/machine/app/cpu0`.
    pub path: String,
}

/// Arguments naming a property.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyArgs {
    /// The object's path.
    pub path: String,
    /// The property.
    pub property: String,
}

/// Arguments of `qom-set`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetArgs {
    /// The object's path.
    pub path: String,
    /// The property.
    pub property: String,
    /// Its new value.
    pub value: Value,
}

pub(super) fn commands() -> Vec<CommandSpec> {
    vec![
        CommandSpec {
            name: "query-version",
            doc: "The emulator's version, in QEMU's form.",
            args: schema_of::<NoArgs>,
            handler: |_, args| {
                parse_args::<NoArgs>(args)?;
                Ok(version())
            },
        },
        CommandSpec {
            name: "query-commands",
            doc: "Every command.",
            args: schema_of::<NoArgs>,
            handler: |_, args| {
                parse_args::<NoArgs>(args)?;
                Ok(Value::Array(
                    super::table()
                        .iter()
                        .map(|c| json!({"name": c.name}))
                        .collect(),
                ))
            },
        },
        CommandSpec {
            name: "query-qmp-schema",
            doc: "Every command, its arguments and their types, and every event, as QEMU's SchemaInfo list.",
            args: schema_of::<NoArgs>,
            handler: |_, args| {
                parse_args::<NoArgs>(args)?;
                Ok(qmp_schema(&super::table()))
            },
        },
        CommandSpec {
            name: "qom-list-types",
            doc: "Every object type, with its kind and origin.",
            args: schema_of::<ListTypesArgs>,
            handler: |c, args| {
                let a: ListTypesArgs = parse_args(args)?;
                // Every type is concrete, so `abstract` changes nothing.
                let _ = a.include_abstract;
                let reg = c.lock().registry.clone();
                Ok(Value::Array(
                    reg.iter()
                        .filter(|t| a.implements.as_deref().is_none_or(|k| t.info.kind().name() == k))
                        .map(|t| {
                            json!({
                                "name": t.info.name(),
                                "parent": t.info.kind().name(),
                                "abstract": false,
                                "origin": t.info.origin(),
                                "doc": t.info.doc(),
                            })
                        })
                        .collect(),
                ))
            },
        },
        CommandSpec {
            name: "device-list-properties",
            doc: "The properties of a type: name, type, doc, default and mutability.",
            args: schema_of::<TypeNameArgs>,
            handler: |c, args| {
                let a: TypeNameArgs = parse_args(args)?;
                let reg = c.lock().registry.clone();
                let t = reg.get(&a.typename).map_err(|_| {
                    QmpError::new(
                        ErrorClass::GenericError,
                        format!("Parameter 'typename' expects a type name: no type '{}'", a.typename),
                    )
                })?;
                Ok(Value::Array(
                    t.info
                        .properties()
                        .iter()
                        .map(|p| {
                            let mut v = json!({
                                "name": p.name,
                                "type": p.type_name,
                                "description": p.doc,
                                "mutability": p.mutability,
                            });
                            if let Some(d) = &p.default {
                                v["default-value"] = d.clone();
                            }
                            v
                        })
                        .collect(),
                ))
            },
        },
        CommandSpec {
            name: "qom-list",
            doc: "The children and properties of an object.",
            args: schema_of::<PathArgs>,
            handler: |c, args| {
                let a: PathArgs = parse_args(args)?;
                with_tree(c, |tree| qom_list(tree, &a.path))?
            },
        },
        CommandSpec {
            name: "qom-get",
            doc: "One property's value.",
            args: schema_of::<PropertyArgs>,
            handler: |c, args| {
                let a: PropertyArgs = parse_args(args)?;
                with_tree(c, |tree| {
                    let path = parse_path(&a.path)?;
                    let node = tree.get(&path).map_err(not_found)?;
                    match a.property.as_str() {
                        "type" => Ok(Value::from(node.type_name())),
                        "phase" => Ok(Value::from(node.phase().name())),
                        p => node.props().get(p).cloned().ok_or_else(|| {
                            QmpError::generic(format!("Property '{}.{p}' not found", a.path))
                        }),
                    }
                })?
            },
        },
        CommandSpec {
            name: "qom-set",
            doc: "Sets one property; a config property of a realized object is refused.",
            args: schema_of::<SetArgs>,
            handler: |c, args| {
                let a: SetArgs = parse_args(args)?;
                let reg = c.lock().registry.clone();
                let path = parse_path(&a.path)?;
                let set = |tree: &mut ObjectTree| -> Result<Value, QmpError> {
                    let type_name = tree.get(&path).map_err(not_found)?.type_name().to_string();
                    let info = &reg.get(&type_name).map_err(|e| QmpError::generic(e.to_string()))?.info;
                    tree.set_property(&path, info, &a.property, a.value.clone())
                        .map_err(|e| QmpError::generic(e.to_string()))?;
                    Ok(json!({}))
                };
                let machine = c.lock().machine.clone();
                match machine {
                    Some(m) => {
                        let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
                        set(m.tree_mut())
                    }
                    None => {
                        let mut inner = c.lock();
                        let b = inner.builder.as_mut().ok_or_else(no_machine)?;
                        let id = path.relative().to_string();
                        b.set_property(&id, &a.property, a.value.clone())
                            .map_err(|e| QmpError::generic(e.kind.to_string()))?;
                        Ok(json!({}))
                    }
                }
            },
        },
    ]
}

fn version() -> Value {
    let v = env!("CARGO_PKG_VERSION");
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let (major, minor, micro) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    json!({"qemu": {"major": major, "minor": minor, "micro": micro}, "package": format!("chimera {v}")})
}

/// The greeting's version object.
pub fn greeting_version() -> Value {
    version()
}

pub(crate) fn no_machine() -> QmpError {
    QmpError::new(
        ErrorClass::DeviceNotActive,
        "there is no machine: create one with 'x-machine-create' or 'x-machine-load-description'",
    )
}

fn not_found(e: chimera_core::CoreError) -> QmpError {
    QmpError::new(ErrorClass::DeviceNotFound, e.to_string())
}

fn parse_path(text: &str) -> Result<ObjectPath, QmpError> {
    ObjectPath::parse(text).map_err(|e| QmpError::new(ErrorClass::DeviceNotFound, e.to_string()))
}

/// Runs `f` on the tree of the realized machine, or of the one being built.
fn with_tree<R>(c: &Controller, f: impl FnOnce(&ObjectTree) -> R) -> Result<R, QmpError> {
    let machine = c.lock().machine.clone();
    match machine {
        Some(m) => {
            let m = m.lock().unwrap_or_else(|e| e.into_inner());
            Ok(f(m.tree()))
        }
        None => {
            let inner = c.lock();
            let b = inner.builder.as_ref().ok_or_else(no_machine)?;
            Ok(f(b.tree()))
        }
    }
}

fn qom_list(tree: &ObjectTree, path: &str) -> Result<Value, QmpError> {
    let path = parse_path(path)?;
    let mut out = Vec::new();
    if path.as_str() == "/" {
        out.push(json!({"name": "machine", "type": "child<container>"}));
        return Ok(Value::Array(out));
    }
    if path.as_str() != "/machine" {
        let node = tree.get(&path).map_err(not_found)?;
        out.push(json!({"name": "type", "type": "string"}));
        for (name, value) in node.props() {
            out.push(json!({"name": name, "type": json_type(value)}));
        }
    }
    for child in tree.children(&path) {
        out.push(
            json!({"name": child.path().id(), "type": format!("child<{}>", child.type_name())}),
        );
    }
    Ok(Value::Array(out))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
