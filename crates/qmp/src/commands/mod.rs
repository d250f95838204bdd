//! The command table: every command once, with its doc, its argument type
//! (whose JSON Schema feeds `query-qmp-schema`) and its handler.

mod build;
pub(crate) mod introspect;
mod run;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::controller::Controller;
use crate::error::{ErrorClass, QmpError};

/// A handler: the controller and the raw arguments in, the answer out.
pub type Handler = fn(&Controller, Map<String, Value>) -> Result<Value, QmpError>;

/// One command.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// Its wire name.
    pub name: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// Its arguments' JSON Schema.
    pub args: fn() -> Value,
    /// Its handler.
    pub handler: Handler,
}

/// Arguments of a command that takes none.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// The JSON Schema of `T`.
pub fn schema_of<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}

/// Reads the arguments into `T`, with QEMU-style messages for missing,
/// unexpected and wrongly typed parameters.
pub fn parse_args<T: DeserializeOwned>(args: Map<String, Value>) -> Result<T, QmpError> {
    let value = Value::Object(args);
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let desc = if let Some(rest) = inner.strip_prefix("missing field `") {
            format!("Parameter '{}' is missing", rest.trim_end_matches('`'))
        } else if let Some(rest) = inner.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or(rest);
            format!("Parameter '{name}' is unexpected")
        } else if path == "." || path.is_empty() {
            format!("Invalid arguments: {inner}")
        } else {
            format!("Invalid parameter type for '{path}': {inner}")
        };
        QmpError::generic(desc)
    })
}

/// Every command, in the order `query-commands` lists them.
pub fn table() -> Vec<CommandSpec> {
    let mut t = vec![CommandSpec {
        name: "qmp_capabilities",
        doc: "Ends capabilities negotiation; commands are accepted after it.",
        args: schema_of::<NoArgs>,
        handler: |_, args| parse_args::<NoArgs>(args).map(|_| Value::Object(Map::new())),
    }];
    t.extend(introspect::commands());
    t.extend(build::commands());
    t.extend(run::commands());
    t
}

/// Runs command `name`.
pub fn dispatch(c: &Controller, name: &str, args: Map<String, Value>) -> Result<Value, QmpError> {
    match table().into_iter().find(|s| s.name == name) {
        Some(spec) => (spec.handler)(c, args),
        None => Err(QmpError::new(
            ErrorClass::CommandNotFound,
            format!("The command {name} has not been found"),
        )),
    }
}
