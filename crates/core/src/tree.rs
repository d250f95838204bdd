//! The composition tree: every object of a machine at its path, with its
//! type, its life-cycle phase and its property values.
//!
//! The tree enforces the life cycle and the property rules; it does not
//! build the live parts (that is the machine builder's job) but it is the
//! record the builder, the protocol and the CLI all read.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::property::{check_value, describe_value, Mutability};
use crate::{CoreError, ObjectPath, Phase, Transition, TypeInfo};

/// One object in the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectNode {
    path: ObjectPath,
    type_name: String,
    phase: Phase,
    props: Map<String, Value>,
}

impl ObjectNode {
    /// Where it is.
    pub fn path(&self) -> &ObjectPath {
        &self.path
    }

    /// Its type's name.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// Its life-cycle phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Its current property values (defaults included).
    pub fn props(&self) -> &Map<String, Value> {
        &self.props
    }

    /// Its property values as one JSON object.
    pub fn props_value(&self) -> Value {
        Value::Object(self.props.clone())
    }
}

/// A function told of every life-cycle change.
pub type Observer = Box<dyn FnMut(&Transition) + Send>;

/// All objects of one machine, by path.
#[derive(Default)]
pub struct ObjectTree {
    nodes: BTreeMap<ObjectPath, ObjectNode>,
    observers: Vec<Observer>,
}

impl fmt::Debug for ObjectTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectTree")
            .field("nodes", &self.nodes)
            .field("observers", &self.observers.len())
            .finish()
    }
}

impl ObjectTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the objects, without the observers.
    pub fn duplicate(&self) -> Self {
        ObjectTree {
            nodes: self.nodes.clone(),
            observers: Vec::new(),
        }
    }

    /// Registers a function told of every transition from now on.
    pub fn observe(&mut self, observer: Observer) {
        self.observers.push(observer);
    }

    /// Creates an object of type `info` at `path`, with default properties.
    /// Its parent must exist unless it is `/machine` or a child of it.
    pub fn create(&mut self, path: ObjectPath, info: &TypeInfo) -> Result<(), CoreError> {
        if self.nodes.contains_key(&path) {
            return Err(CoreError::DuplicateObject { path });
        }
        if let Some(parent) = path.parent() {
            if parent.depth() > 1 && !self.nodes.contains_key(&parent) {
                return Err(CoreError::NoSuchObject { path: parent });
            }
        }
        self.nodes.insert(
            path.clone(),
            ObjectNode {
                path,
                type_name: info.name().to_string(),
                phase: Phase::Created,
                props: info.defaults(),
            },
        );
        Ok(())
    }

    /// Removes the object at `path` while it is only created (a
    /// declaration taken back): not one with children, nor one already
    /// configured.
    pub fn remove_created(&mut self, path: &ObjectPath) -> Result<(), CoreError> {
        let node = self.get(path)?;
        if node.phase != Phase::Created || self.children(path).next().is_some() {
            return Err(CoreError::BadTransition {
                path: path.clone(),
                step: "be removed",
                phase: node.phase,
                hint: "only a declaration not yet configured, with no objects under it, can be taken back",
            });
        }
        self.nodes.remove(path);
        Ok(())
    }

    /// The object at `path`.
    pub fn get(&self, path: &ObjectPath) -> Result<&ObjectNode, CoreError> {
        self.nodes
            .get(path)
            .ok_or_else(|| CoreError::NoSuchObject { path: path.clone() })
    }

    /// All objects in path order (parents before children).
    pub fn iter(&self) -> impl Iterator<Item = &ObjectNode> {
        self.nodes.values()
    }

    /// The direct children of `path`.
    pub fn children<'a>(&'a self, path: &'a ObjectPath) -> impl Iterator<Item = &'a ObjectNode> {
        self.nodes
            .values()
            .filter(move |n| n.path.parent().as_ref() == Some(path))
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn node_mut(&mut self, path: &ObjectPath) -> Result<&mut ObjectNode, CoreError> {
        self.nodes
            .get_mut(path)
            .ok_or_else(|| CoreError::NoSuchObject { path: path.clone() })
    }

    /// Sets one property, checking its name, its value's type and whether
    /// it may still change.
    pub fn set_property(
        &mut self,
        path: &ObjectPath,
        info: &TypeInfo,
        name: &str,
        value: Value,
    ) -> Result<(), CoreError> {
        let node = self.node_mut(path)?;
        let prop = info
            .property(name)
            .ok_or_else(|| CoreError::UnknownProperty {
                path: path.clone(),
                type_name: info.name().to_string(),
                property: name.to_string(),
            })?;
        if node.phase == Phase::Realized && prop.mutability == Mutability::Config {
            return Err(CoreError::FrozenProperty {
                path: path.clone(),
                property: name.to_string(),
            });
        }
        check_value(info.schema(), &prop.schema, &value).map_err(|expected| {
            CoreError::WrongValueType {
                path: path.clone(),
                property: name.to_string(),
                expected,
                got: describe_value(&value),
            }
        })?;
        node.props.insert(name.to_string(), value);
        Ok(())
    }

    fn transition(
        &mut self,
        path: &ObjectPath,
        step: &'static str,
        allowed: &[Phase],
        to: Phase,
        hint: &'static str,
    ) -> Result<(), CoreError> {
        let node = self.node_mut(path)?;
        let from = node.phase;
        if !allowed.contains(&from) {
            return Err(CoreError::BadTransition {
                path: path.clone(),
                step,
                phase: from,
                hint,
            });
        }
        node.phase = to;
        if from != to {
            let t = Transition {
                path: path.clone(),
                from,
                to,
            };
            for observer in &mut self.observers {
                observer(&t);
            }
        }
        Ok(())
    }

    /// Checks the complete property set and moves the object to
    /// `configured`. May be repeated until the object is wired.
    pub fn configure(&mut self, path: &ObjectPath, info: &TypeInfo) -> Result<(), CoreError> {
        let node = self.get(path)?;
        for prop in info.properties() {
            if prop.required && !node.props.contains_key(&prop.name) {
                return Err(CoreError::MissingProperty {
                    path: path.clone(),
                    type_name: info.name().to_string(),
                    property: prop.name.clone(),
                });
            }
        }
        info.validate(&node.props_value())
            .map_err(|message| CoreError::InvalidConfig {
                path: path.clone(),
                type_name: info.name().to_string(),
                message,
            })?;
        self.transition(
            path,
            "configure",
            &[Phase::Created, Phase::Configured],
            Phase::Configured,
            "configuration ends when the object is wired",
        )
    }

    /// Moves a configured object to `wired`.
    pub fn wire(&mut self, path: &ObjectPath) -> Result<(), CoreError> {
        self.transition(
            path,
            "wire",
            &[Phase::Configured],
            Phase::Wired,
            "an object is wired once, after it is configured",
        )
    }

    /// Moves a wired object to `realized`, freezing its config properties.
    pub fn realize(&mut self, path: &ObjectPath) -> Result<(), CoreError> {
        self.transition(
            path,
            "realize",
            &[Phase::Wired],
            Phase::Realized,
            "an object is realized once, after it is wired",
        )
    }

    /// Takes an object one step back down its life cycle
    /// (realized → wired → configured → created).
    pub fn step_down(&mut self, path: &ObjectPath) -> Result<(), CoreError> {
        let phase = self.get(path)?.phase();
        let to = match phase {
            Phase::Realized => Phase::Wired,
            Phase::Wired => Phase::Configured,
            Phase::Configured | Phase::Created => Phase::Created,
        };
        self.transition(
            path,
            "tear down",
            &[phase],
            to,
            "teardown goes one phase at a time",
        )
    }

    /// Tears every object down to `created`, children before parents and
    /// later paths before earlier ones.
    pub fn teardown(&mut self) -> Result<(), CoreError> {
        let paths: Vec<ObjectPath> = self.nodes.keys().rev().cloned().collect();
        for phase in [Phase::Realized, Phase::Wired, Phase::Configured] {
            for path in &paths {
                if self.get(path)?.phase() == phase {
                    self.step_down(path)?;
                }
            }
        }
        Ok(())
    }

    /// The tree as indented text: one object a line, with type and phase.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // By path segments, so children follow their parent (`app/cpu0`
        // after `app`, not after `app-bus`, whose `-` sorts before `/`).
        let mut nodes: Vec<&ObjectNode> = self.nodes.values().collect();
        nodes.sort_by(|a, b| a.path.as_str().split('/').cmp(b.path.as_str().split('/')));
        for node in nodes {
            let indent = "  ".repeat(node.path.depth().saturating_sub(1));
            out.push_str(&format!(
                "{indent}{} ({}) [{}]\n",
                node.path.id(),
                node.type_name,
                node.phase
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ObjectKind, Origin};
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use std::sync::{Arc, Mutex};

    /// Test settings.
    #[derive(Debug, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        /// Size in bytes.
        size: u64,
        /// Brightness.
        #[serde(default)]
        #[schemars(extend("x-runtime" = true))]
        level: u32,
    }

    fn info() -> TypeInfo {
        TypeInfo::of::<Settings>(
            "lamp",
            "A test lamp.",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "test".into(),
            },
        )
    }

    fn lamp() -> (ObjectTree, ObjectPath, TypeInfo) {
        let mut tree = ObjectTree::new();
        let path = ObjectPath::machine().child("lamp").unwrap();
        let info = info();
        tree.create(path.clone(), &info).unwrap();
        (tree, path, info)
    }

    #[test]
    fn life_cycle_runs_created_configured_wired_realized_and_back() {
        let (mut tree, path, info) = lamp();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tree.observe(Box::new(move |t| log.lock().unwrap().push((t.from, t.to))));
        assert_eq!(tree.get(&path).unwrap().phase(), Phase::Created);
        tree.set_property(&path, &info, "size", Value::from(4096))
            .unwrap();
        tree.configure(&path, &info).unwrap();
        tree.wire(&path).unwrap();
        tree.realize(&path).unwrap();
        tree.teardown().unwrap();
        use Phase::*;
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                (Created, Configured),
                (Configured, Wired),
                (Wired, Realized),
                (Realized, Wired),
                (Wired, Configured),
                (Configured, Created)
            ]
        );
    }

    #[test]
    fn configure_without_required_property_is_refused() {
        let (mut tree, path, info) = lamp();
        let err = tree.configure(&path, &info).unwrap_err();
        assert!(
            matches!(err, CoreError::MissingProperty { ref property, .. } if property == "size")
        );
    }

    #[test]
    fn wiring_an_unconfigured_object_is_refused() {
        let (mut tree, path, _) = lamp();
        let err = tree.wire(&path).unwrap_err();
        assert!(matches!(
            err,
            CoreError::BadTransition {
                step: "wire",
                phase: Phase::Created,
                ..
            }
        ));
    }

    #[test]
    fn realizing_an_unwired_object_is_refused() {
        let (mut tree, path, info) = lamp();
        tree.set_property(&path, &info, "size", Value::from(1))
            .unwrap();
        tree.configure(&path, &info).unwrap();
        let err = tree.realize(&path).unwrap_err();
        assert!(matches!(
            err,
            CoreError::BadTransition {
                step: "realize",
                phase: Phase::Configured,
                ..
            }
        ));
    }

    #[test]
    fn realizing_twice_is_refused() {
        let (mut tree, path, info) = lamp();
        tree.set_property(&path, &info, "size", Value::from(1))
            .unwrap();
        tree.configure(&path, &info).unwrap();
        tree.wire(&path).unwrap();
        tree.realize(&path).unwrap();
        let err = tree.realize(&path).unwrap_err();
        assert!(
            err.to_string().contains("cannot realize while realized"),
            "{err}"
        );
    }

    #[test]
    fn config_property_is_frozen_after_realize() {
        let (mut tree, path, info) = lamp();
        tree.set_property(&path, &info, "size", Value::from(1))
            .unwrap();
        tree.configure(&path, &info).unwrap();
        tree.wire(&path).unwrap();
        tree.realize(&path).unwrap();
        let err = tree
            .set_property(&path, &info, "size", Value::from(2))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/machine/lamp`: property `size` is a config property and `/machine/lamp` is realized; it can no longer change"
        );
        tree.set_property(&path, &info, "level", Value::from(3))
            .unwrap();
        assert_eq!(tree.get(&path).unwrap().props()["level"], 3);
    }

    #[test]
    fn unknown_property_and_wrong_type_are_refused() {
        let (mut tree, path, info) = lamp();
        assert!(matches!(
            tree.set_property(&path, &info, "colour", Value::from(1)),
            Err(CoreError::UnknownProperty { .. })
        ));
        assert!(matches!(
            tree.set_property(&path, &info, "size", Value::from("big")),
            Err(CoreError::WrongValueType { .. })
        ));
    }

    #[test]
    fn duplicate_paths_and_orphans_are_refused() {
        let (mut tree, path, info) = lamp();
        assert!(tree.create(path.clone(), &info).is_err());
        let orphan = ObjectPath::parse("/machine/nowhere/x").unwrap();
        assert!(matches!(
            tree.create(orphan, &info),
            Err(CoreError::NoSuchObject { .. })
        ));
    }
}
