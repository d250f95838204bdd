//! The control plane: a server speaking QEMU's machine protocol (QMP), up
//! before any machine exists. Clients negotiate, introspect the types,
//! build a machine step by step through the same builder descriptions use,
//! realize it, run, stop, reset and inspect it, and hear events.

pub mod commands;
pub mod controller;
pub mod error;
pub mod events;
pub mod schema;
pub mod server;
pub mod session;
pub mod wire;

pub use controller::{Controller, Status};
pub use error::{ErrorClass, QmpError};
pub use server::{listen, Endpoint};
