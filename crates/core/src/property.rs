//! Typed properties: each object type declares its settings as a Rust
//! struct deriving `serde` and `schemars`; this module turns the generated
//! JSON Schema into a property list (name, type, default, doc, mutability)
//! and checks single values against it.
//!
//! A field marked `#[schemars(extend("x-runtime" = true))]` is a *runtime*
//! property that may change while the object runs; every other field is a
//! *config* property, frozen once the object is realized.

use serde::Serialize;
use serde_json::Value;

/// Whether a property may change after realize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mutability {
    /// Fixed once the object is realized.
    Config,
    /// May change at any time.
    Runtime,
}

/// One property of a type, as its schema describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyInfo {
    /// The property's name.
    pub name: String,
    /// A short type description (`integer`, `string`, `boolean`, `"a" | "b"`, …).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The value used when none is given; `None` for a required property.
    pub default: Option<Value>,
    /// One line saying what the property does.
    pub doc: String,
    /// Config or runtime.
    pub mutability: Mutability,
    /// Whether a description must give it.
    pub required: bool,
    /// The property's own JSON Schema.
    #[serde(skip)]
    pub schema: Value,
}

/// Reads the property list out of a type's JSON Schema.
pub fn properties_from_schema(schema: &Value) -> Vec<PropertyInfo> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, prop)| {
            let runtime = prop.get("x-runtime").and_then(Value::as_bool) == Some(true);
            PropertyInfo {
                name: name.clone(),
                type_name: describe_type(schema, prop),
                default: prop.get("default").cloned(),
                doc: prop
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                mutability: if runtime {
                    Mutability::Runtime
                } else {
                    Mutability::Config
                },
                required: required.contains(&name.as_str()),
                schema: prop.clone(),
            }
        })
        .collect()
}

/// Follows a local `$ref` (`#/$defs/Name`) inside `root`.
fn deref<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .and_then(|p| root.pointer(&format!("/{p}")))
            .unwrap_or(schema),
        None => schema,
    }
}

/// The alternatives of a `oneOf`/`anyOf`, if the schema is one.
fn alternatives(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
}

/// A short, human type description of a property schema.
pub fn describe_type(root: &Value, schema: &Value) -> String {
    let schema = deref(root, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(c) = schema.get("const") {
        return c.to_string();
    }
    if let Some(alts) = alternatives(schema) {
        return alts
            .iter()
            .map(|a| describe_type(root, a))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_string(),
    }
}

/// Checks one value against a property schema; on failure returns what was
/// expected.
pub fn check_value(root: &Value, schema: &Value, value: &Value) -> Result<(), String> {
    let schema = deref(root, schema);
    let expected = || describe_type(root, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return if values.contains(value) {
            Ok(())
        } else {
            Err(expected())
        };
    }
    if let Some(c) = schema.get("const") {
        return if c == value { Ok(()) } else { Err(expected()) };
    }
    if let Some(alts) = alternatives(schema) {
        return if alts.iter().any(|a| check_value(root, a, value).is_ok()) {
            Ok(())
        } else {
            Err(expected())
        };
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    let fits = types.iter().any(|t| match *t {
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    });
    if !fits {
        return Err(expected());
    }
    if let Some(n) = value.as_f64() {
        let min = schema.get("minimum").and_then(Value::as_f64);
        let max = schema.get("maximum").and_then(Value::as_f64);
        if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
            let range = format!(
                "{} in {}..={}",
                expected(),
                min.map_or("".into(), |m| m.to_string()),
                max.map_or("".into(), |m| m.to_string())
            );
            return Err(range);
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for item in list {
            check_value(root, items, item).map_err(|e| format!("a list of {e}"))?;
        }
    }
    Ok(())
}

/// A short description of a value, for messages (`string "abc"`).
pub fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a table".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::JsonSchema;
    use serde::Deserialize;

    /// Example settings.
    #[derive(Debug, Default, Deserialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct Example {
        /// How many harts.
        #[schemars(range(min = 1, max = 8))]
        harts: u32,
        /// Whether the light is on.
        #[schemars(extend("x-runtime" = true))]
        light: bool,
        /// Which way.
        mode: Mode,
    }

    #[derive(Debug, Default, Deserialize, JsonSchema)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        #[default]
        Up,
        Down,
    }

    fn schema() -> Value {
        schemars::schema_for!(Example).to_value()
    }

    #[test]
    fn properties_carry_type_default_doc_and_mutability() {
        let props = properties_from_schema(&schema());
        let light = props.iter().find(|p| p.name == "light").unwrap();
        assert_eq!(light.mutability, Mutability::Runtime);
        assert_eq!(light.type_name, "boolean");
        assert_eq!(light.default, Some(Value::Bool(false)));
        assert_eq!(light.doc, "Whether the light is on.");
        let harts = props.iter().find(|p| p.name == "harts").unwrap();
        assert_eq!(harts.mutability, Mutability::Config);
        let mode = props.iter().find(|p| p.name == "mode").unwrap();
        assert_eq!(mode.type_name, "\"up\" | \"down\"");
    }

    #[test]
    fn values_are_checked_against_the_property_schema() {
        let root = schema();
        let props = properties_from_schema(&root);
        let harts = props.iter().find(|p| p.name == "harts").unwrap();
        assert!(check_value(&root, &harts.schema, &Value::from(2)).is_ok());
        assert!(check_value(&root, &harts.schema, &Value::from("two")).is_err());
        assert!(check_value(&root, &harts.schema, &Value::from(9)).is_err());
        let mode = props.iter().find(|p| p.name == "mode").unwrap();
        assert!(check_value(&root, &mode.schema, &Value::from("down")).is_ok());
        assert!(check_value(&root, &mode.schema, &Value::from("left")).is_err());
    }
}
