//! Which backend runs a cluster's guest code: the portable interpreter,
//! or the Cranelift JIT (the default: blocks compiled once hot, the
//! interpreter for the rest and whenever a debugger stop is armed).

use std::str::FromStr;

use chimera_engine::Backend;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A cluster's execution backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Accel {
    /// The portable interpreter only.
    Interp,
    /// Hot blocks compiled to host code by Cranelift in a thread of the
    /// cluster's own while the CPU goes on interpreting them; the
    /// interpreter where the host is not supported. The default.
    #[default]
    Jit,
    /// As `jit`, but compiling in the CPU's thread the moment a block is
    /// hot: slower to start, with compiled code used from the same point
    /// in every run (for testing the JIT itself).
    #[serde(rename = "jit-sync")]
    JitSync,
    /// Blocks given only the JIT's first-tier code (a template compiler:
    /// compiled in microseconds, slower than Cranelift's code), after
    /// two runs; for testing and measuring that tier. The interpreter
    /// where the host has no first tier.
    Baseline,
}

impl FromStr for Accel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "interp" => Ok(Accel::Interp),
            "jit" => Ok(Accel::Jit),
            "jit-sync" => Ok(Accel::JitSync),
            "baseline" => Ok(Accel::Baseline),
            other => Err(format!(
                "unknown accelerator `{other}` (expected `jit`, `jit-sync`, `baseline` or `interp`)"
            )),
        }
    }
}

impl std::fmt::Display for Accel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Accel::Interp => "interp",
            Accel::Jit => "jit",
            Accel::JitSync => "jit-sync",
            Accel::Baseline => "baseline",
        })
    }
}

impl Accel {
    /// The backend to plug into a cluster: `None` for the interpreter, and
    /// also when the JIT does not support this host (the cluster then
    /// interprets, which is always correct).
    pub fn backend(self) -> Option<Box<dyn Backend>> {
        match self {
            Accel::Interp => None,
            Accel::Jit => Self::jit(chimera_jit::JitBackend::background()),
            Accel::JitSync => Self::jit(chimera_jit::JitBackend::new()),
            Accel::Baseline => Self::jit(chimera_jit::JitBackend::first_tier_only()),
        }
    }

    /// A JIT backend, or the interpreter (with a warning) when it could
    /// not be made.
    fn jit(backend: Result<chimera_jit::JitBackend, String>) -> Option<Box<dyn Backend>> {
        match backend {
            Ok(b) => Some(Box::new(b)),
            Err(why) => {
                tracing::warn!("JIT unavailable, interpreting: {why}");
                None
            }
        }
    }
}
