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
    /// Hot blocks compiled to host code by Cranelift; the interpreter
    /// where the host is not supported. The default.
    #[default]
    Jit,
}

impl FromStr for Accel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "interp" => Ok(Accel::Interp),
            "jit" => Ok(Accel::Jit),
            other => Err(format!(
                "unknown accelerator `{other}` (expected `jit` or `interp`)"
            )),
        }
    }
}

impl std::fmt::Display for Accel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Accel::Interp => "interp",
            Accel::Jit => "jit",
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
            Accel::Jit => match chimera_jit::JitBackend::new() {
                Ok(b) => Some(Box::new(b)),
                Err(why) => {
                    tracing::warn!("JIT unavailable, interpreting: {why}");
                    None
                }
            },
        }
    }
}
