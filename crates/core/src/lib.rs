//! The object model every other crate builds on: the type registry, objects
//! at stable paths in a composition tree, typed properties with their
//! schemas, the checked life cycle, and the lines (IRQ/GPIO wires) between
//! objects.
//!
//! This crate knows nothing of CPUs, memory or devices: it holds what a
//! machine is made of, not what the parts do.

pub mod error;
pub mod line;
pub mod path;
pub mod phase;
pub mod pin;
pub mod property;
pub mod registry;
pub mod tree;
pub mod units;

pub use error::CoreError;
pub use line::{Line, LineSink};
pub use path::ObjectPath;
pub use phase::{Phase, Transition};
pub use pin::{PinDirection, PinInfo, PinRef};
pub use property::{Mutability, PropertyInfo};
pub use registry::{ObjectKind, Origin, TypeInfo, TypeRegistry};
pub use tree::{ObjectNode, ObjectTree};
pub use units::ByteSize;
