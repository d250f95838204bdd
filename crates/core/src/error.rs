//! Errors of the object model: each case names the object path and, where
//! one is involved, the property or pin.

use crate::{ObjectPath, Phase};

/// An error from the registry, the object tree or a property access.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// A path that is not `/`-separated ids of `[a-z0-9_-]`.
    #[error("invalid object path `{path}`: {reason}")]
    InvalidPath {
        /// The text that was given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An id that cannot be a path segment.
    #[error("invalid id `{id}`: ids are lower-case letters, digits, `_` and `-`, starting with a letter")]
    InvalidId {
        /// The id that was given.
        id: String,
    },
    /// No type of that name is registered.
    #[error("unknown type `{name}`")]
    UnknownType {
        /// The type name asked for.
        name: String,
    },
    /// A type name registered twice.
    #[error("type `{name}` is already registered")]
    DuplicateType {
        /// The type name.
        name: String,
    },
    /// No object at that path.
    #[error("no object at `{path}`")]
    NoSuchObject {
        /// The path asked for.
        path: ObjectPath,
    },
    /// An object already exists at that path.
    #[error("an object already exists at `{path}`")]
    DuplicateObject {
        /// The path.
        path: ObjectPath,
    },
    /// The type has no property of that name.
    #[error("`{path}` ({type_name}) has no property `{property}`")]
    UnknownProperty {
        /// The object.
        path: ObjectPath,
        /// Its type.
        type_name: String,
        /// The property asked for.
        property: String,
    },
    /// A value of the wrong type for a property.
    #[error("`{path}`: property `{property}` expects {expected}, got {got}")]
    WrongValueType {
        /// The object.
        path: ObjectPath,
        /// The property.
        property: String,
        /// What the schema wants.
        expected: String,
        /// A description of the value given.
        got: String,
    },
    /// A required property has no value.
    #[error("`{path}` ({type_name}) needs property `{property}`")]
    MissingProperty {
        /// The object.
        path: ObjectPath,
        /// Its type.
        type_name: String,
        /// The property that is missing.
        property: String,
    },
    /// The full property set does not form a valid configuration.
    #[error("`{path}` ({type_name}): {message}")]
    InvalidConfig {
        /// The object.
        path: ObjectPath,
        /// Its type.
        type_name: String,
        /// What the type's own checks said.
        message: String,
    },
    /// A config property set after realize.
    #[error("`{path}`: property `{property}` is a config property and `{path}` is realized; it can no longer change")]
    FrozenProperty {
        /// The object.
        path: ObjectPath,
        /// The property.
        property: String,
    },
    /// A life-cycle step asked from the wrong phase.
    #[error("`{path}` cannot {step} while {phase}: {hint}")]
    BadTransition {
        /// The object.
        path: ObjectPath,
        /// The step asked for (`configure`, `wire`, `realize`, …).
        step: &'static str,
        /// The phase the object is in.
        phase: Phase,
        /// What must happen first.
        hint: &'static str,
    },
    /// A pin reference that does not parse.
    #[error("invalid pin reference `{text}`: expected OBJECT.PIN or OBJECT.PIN[INDEX], e.g. `uart0.irq` or `plic.source[10]`")]
    InvalidPinRef {
        /// The text given.
        text: String,
    },
    /// The object has no pin of that name, direction or index.
    #[error("`{path}` ({type_name}) has no {direction} pin `{pin}`{known}")]
    UnknownPin {
        /// The object.
        path: ObjectPath,
        /// Its type.
        type_name: String,
        /// `input` or `output`.
        direction: &'static str,
        /// The pin as written.
        pin: String,
        /// A list of the pins that exist, ready to print.
        known: String,
    },
    /// An output pin connected twice.
    #[error("output `{pin}` is already connected")]
    OutputAlreadyConnected {
        /// The pin.
        pin: String,
    },
}
