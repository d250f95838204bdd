//! `query-qmp-schema`: the commands, their argument types and the events,
//! in QEMU's SchemaInfo form, generated from the argument structs' JSON
//! Schemas so it cannot drift from what the handlers accept.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::commands::CommandSpec;
use crate::events::EVENTS;

const BUILTINS: &[(&str, &str)] = &[
    ("str", "string"),
    ("int", "int"),
    ("number", "number"),
    ("bool", "boolean"),
    ("null", "null"),
    ("any", "value"),
];

/// The builtin SchemaInfo type for a JSON Schema.
fn builtin_for(schema: &Value) -> &'static str {
    let ty = match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    };
    match ty {
        Some("string") => "str",
        Some("integer") => "int",
        Some("number") => "number",
        Some("boolean") => "bool",
        _ => "any",
    }
}

/// The whole schema.
pub fn qmp_schema(commands: &[CommandSpec]) -> Value {
    let mut entries = Vec::new();
    let mut types: BTreeMap<String, Value> = BTreeMap::new();
    for c in commands {
        let schema = (c.args)();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let members: Vec<Value> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(name, p)| {
                        let mut m = json!({"name": name, "type": builtin_for(p)});
                        if !required.contains(&name.as_str()) {
                            m["default"] = Value::Null;
                        }
                        m
                    })
                    .collect()
            })
            .unwrap_or_default();
        let arg_type = format!("{}-arg", c.name);
        types.insert(
            arg_type.clone(),
            json!({"name": arg_type, "meta-type": "object", "members": members}),
        );
        entries.push(json!({
            "name": c.name,
            "meta-type": "command",
            "arg-type": arg_type,
            "ret-type": "any",
            "allow-oob": false,
        }));
    }
    for (name, _) in EVENTS {
        entries.push(json!({"name": name, "meta-type": "event", "arg-type": "event-data"}));
    }
    types.insert(
        "event-data".into(),
        json!({"name": "event-data", "meta-type": "object", "members": []}),
    );
    entries.extend(types.into_values());
    for (name, json_type) in BUILTINS {
        entries.push(json!({"name": name, "meta-type": "builtin", "json-type": json_type}));
    }
    Value::Array(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_its_arguments_are_in_the_schema() {
        let table = crate::commands::table();
        let schema = qmp_schema(&table);
        let list = schema.as_array().unwrap();
        for c in &table {
            let entry = list
                .iter()
                .find(|e| e["name"] == c.name && e["meta-type"] == "command")
                .unwrap_or_else(|| panic!("{} missing", c.name));
            let arg = entry["arg-type"].as_str().unwrap();
            assert!(list.iter().any(|e| e["name"] == arg), "{arg} missing");
        }
        let qom_set = list.iter().find(|e| e["name"] == "qom-set-arg").unwrap();
        let names: Vec<&str> = qom_set["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["path", "property", "value"]);
        assert!(list
            .iter()
            .any(|e| e["name"] == "SHUTDOWN" && e["meta-type"] == "event"));
    }
}
