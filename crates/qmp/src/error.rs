//! QMP errors: QEMU's error classes with a human description.

use serde_json::{json, Value};

/// QEMU's error classes, as clients match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Everything without a class of its own.
    GenericError,
    /// No such command (or not allowed before negotiation).
    CommandNotFound,
    /// No object or device at that path or id.
    DeviceNotFound,
    /// The device exists but cannot do that now.
    DeviceNotActive,
}

impl ErrorClass {
    /// The class's wire name.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::GenericError => "GenericError",
            ErrorClass::CommandNotFound => "CommandNotFound",
            ErrorClass::DeviceNotFound => "DeviceNotFound",
            ErrorClass::DeviceNotActive => "DeviceNotActive",
        }
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{desc}")]
pub struct QmpError {
    /// Its class.
    pub class: ErrorClass,
    /// What went wrong, for a person.
    pub desc: String,
}

impl QmpError {
    /// A `GenericError`.
    pub fn generic(desc: impl Into<String>) -> Self {
        QmpError {
            class: ErrorClass::GenericError,
            desc: desc.into(),
        }
    }

    /// An error of class `class`.
    pub fn new(class: ErrorClass, desc: impl Into<String>) -> Self {
        QmpError {
            class,
            desc: desc.into(),
        }
    }

    /// The answer object, with the request's id if it had one.
    pub fn to_answer(&self, id: Option<&Value>) -> Value {
        let mut v = json!({"error": {"class": self.class.name(), "desc": self.desc}});
        if let Some(id) = id {
            v["id"] = id.clone();
        }
        v
    }
}
