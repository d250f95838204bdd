//! The GDB remote stub for whole machines: every cluster is an inferior on
//! a port of its own (consecutive ports in description order), every CPU a
//! thread, each with its architecture's target description. A stop in one
//! cluster stops the machine (all-stop).
//!
//! The protocol is `gdbstub`'s; this crate supplies a run-time
//! architecture (the frontend's register layout and target XML, as data),
//! the per-cluster targets, and the hub that runs the machine while any
//! debugger lets it.

mod arch;
mod hub;
mod target;

pub use hub::{Hub, StopReport};
pub use target::serve_cluster;
