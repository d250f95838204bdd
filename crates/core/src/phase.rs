//! The life cycle of an object: `created → configured → wired → realized`,
//! and back down on teardown.
//!
//! Each step is checked against the current phase; an object can be
//! configured again until it is wired, wiring needs a full configuration,
//! realizing needs the wiring done. Every change is reported as a
//! [`Transition`] to whoever watches the tree.

use std::fmt;

use serde::Serialize;

use crate::ObjectPath;

/// Where an object is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Exists with default properties; may be introspected.
    Created,
    /// Its properties are set and checked.
    Configured,
    /// Its lines are connected and it is mapped.
    Wired,
    /// Running: config properties are frozen.
    Realized,
}

impl Phase {
    /// The phase's name as used in messages and events.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Configured => "configured",
            Phase::Wired => "wired",
            Phase::Realized => "realized",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One life-cycle change of one object, as reported to observers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The object that changed.
    pub path: ObjectPath,
    /// The phase it left.
    pub from: Phase,
    /// The phase it entered.
    pub to: Phase,
}
