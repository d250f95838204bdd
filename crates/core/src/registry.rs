//! The type registry: the catalogue of every object type a machine can be
//! built from, with its doc, property schema and origin.
//!
//! The registry is a value made at start-up and handed to whoever builds
//! machines; nothing registers itself behind the program's back. It is
//! generic over the constructor `C` the machine crate stores with each type,
//! so this crate stays free of devices and CPUs.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::property::{properties_from_schema, PropertyInfo};
use crate::CoreError;

/// What role objects of a type play in a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    /// A group of CPUs of one architecture sharing a translation context.
    Cluster,
    /// An address space (a bus).
    AddressSpace,
    /// RAM or ROM.
    Memory,
    /// A device with registers and lines.
    Device,
    /// One CPU of a cluster.
    Cpu,
}

impl ObjectKind {
    /// The kind's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Cluster => "cluster",
            ObjectKind::AddressSpace => "address-space",
            ObjectKind::Memory => "memory",
            ObjectKind::Device => "device",
            ObjectKind::Cpu => "cpu",
        }
    }
}

/// Where a type comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Origin {
    /// Compiled into the binary, from the named crate.
    Builtin {
        /// The crate that defines the type.
        provider: String,
    },
    /// Loaded at run time from a module file.
    Module {
        /// The module's file.
        path: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin { provider } => write!(f, "built in ({provider})"),
            Origin::Module { path } => write!(f, "module {path}"),
        }
    }
}

/// Everything known about a type before any object of it exists.
#[derive(Clone)]
pub struct TypeInfo {
    name: String,
    doc: String,
    kind: ObjectKind,
    origin: Origin,
    schema: Value,
    properties: Vec<PropertyInfo>,
    validate: fn(&Value) -> Result<(), String>,
}

fn validate_as<P: DeserializeOwned>(value: &Value) -> Result<(), String> {
    P::deserialize(value).map(|_| ()).map_err(|e| e.to_string())
}

impl TypeInfo {
    /// Describes a type whose properties are the fields of `P`.
    pub fn of<P: Serialize + DeserializeOwned + JsonSchema>(
        name: &str,
        doc: &str,
        kind: ObjectKind,
        origin: Origin,
    ) -> Self {
        let mut schema = schemars::schema_for!(P).to_value();
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("title".into(), Value::from(name));
            obj.insert("description".into(), Value::from(doc));
        }
        let properties = properties_from_schema(&schema);
        TypeInfo {
            name: name.to_string(),
            doc: doc.to_string(),
            kind,
            origin,
            schema,
            properties,
            validate: validate_as::<P>,
        }
    }

    /// The type's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One line saying what the type is.
    pub fn doc(&self) -> &str {
        &self.doc
    }

    /// The role its objects play.
    pub fn kind(&self) -> ObjectKind {
        self.kind
    }

    /// Where it comes from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Its properties' JSON Schema.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// Its properties.
    pub fn properties(&self) -> &[PropertyInfo] {
        &self.properties
    }

    /// One property by name.
    pub fn property(&self, name: &str) -> Option<&PropertyInfo> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The default values of the properties that have one.
    pub fn defaults(&self) -> serde_json::Map<String, Value> {
        self.properties
            .iter()
            .filter_map(|p| p.default.clone().map(|d| (p.name.clone(), d)))
            .collect()
    }

    /// Checks a complete property set with the type's own deserializer.
    pub fn validate(&self, props: &Value) -> Result<(), String> {
        (self.validate)(props)
    }

    /// The property names closest to `name`, for "did you mean" hints.
    pub fn suggest_property(&self, name: &str) -> Option<&str> {
        closest(name, self.properties.iter().map(|p| p.name.as_str()))
    }

    /// A JSON summary: name, doc, kind, origin, properties and schema.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "name": self.name,
            "doc": self.doc,
            "kind": self.kind,
            "origin": self.origin,
            "properties": self.properties,
            "schema": self.schema,
        })
    }
}

impl fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypeInfo")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// A registered type: its description and the constructor that builds it.
#[derive(Debug)]
pub struct RegisteredType<C> {
    /// What the type is.
    pub info: TypeInfo,
    /// How to build one.
    pub constructor: C,
}

/// The catalogue of object types.
#[derive(Debug)]
pub struct TypeRegistry<C> {
    types: BTreeMap<String, RegisteredType<C>>,
}

impl<C> Default for TypeRegistry<C> {
    fn default() -> Self {
        TypeRegistry {
            types: BTreeMap::new(),
        }
    }
}

impl<C> TypeRegistry<C> {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a type; a name can be registered once.
    pub fn register(&mut self, info: TypeInfo, constructor: C) -> Result<(), CoreError> {
        if self.types.contains_key(info.name()) {
            return Err(CoreError::DuplicateType {
                name: info.name().to_string(),
            });
        }
        self.types.insert(
            info.name().to_string(),
            RegisteredType { info, constructor },
        );
        Ok(())
    }

    /// Looks a type up by name.
    pub fn get(&self, name: &str) -> Result<&RegisteredType<C>, CoreError> {
        self.types.get(name).ok_or_else(|| CoreError::UnknownType {
            name: name.to_string(),
        })
    }

    /// All types, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &RegisteredType<C>> {
        self.types.values()
    }

    /// The registered name closest to `name`, for "did you mean" hints.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        closest(name, self.types.keys().map(String::as_str))
    }

    /// Number of types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether no type is registered.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

/// The candidate most like `name`, if any is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Test settings.
    #[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct Settings {
        /// Baud rate.
        baud: u32,
    }

    fn info(name: &str) -> TypeInfo {
        TypeInfo::of::<Settings>(
            name,
            "A test type.",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "test".into(),
            },
        )
    }

    #[test]
    fn a_type_is_registered_once() {
        let mut reg = TypeRegistry::new();
        reg.register(info("uart"), ()).unwrap();
        assert!(matches!(
            reg.register(info("uart"), ()),
            Err(CoreError::DuplicateType { .. })
        ));
        assert_eq!(reg.get("uart").unwrap().info.doc(), "A test type.");
        assert_eq!(reg.suggest("uarr"), Some("uart"));
        assert!(reg.get("nope").is_err());
    }

    #[test]
    fn the_schema_is_json_schema_with_title_and_properties() {
        let i = info("uart");
        assert_eq!(i.schema()["title"], "uart");
        assert_eq!(i.schema()["properties"]["baud"]["type"], "integer");
        assert_eq!(i.defaults()["baud"], 0);
        assert!(i.validate(&serde_json::json!({"baud": 9600})).is_ok());
        assert!(i.validate(&serde_json::json!({"bad": 1})).is_err());
    }
}
