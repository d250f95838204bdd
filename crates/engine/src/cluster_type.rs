//! The contract between a frontend crate and the machine builder: how a
//! cluster type describes its properties and builds a running cluster.

use std::sync::Arc;

use chimera_core::{PinInfo, TypeInfo};
use serde_json::Value;

use crate::{ClusterParams, ClusterRun, ClusterSetup, IrqInputs};

/// A kind of cluster the builder can make (`riscv64`, `cortex-m4`, …).
pub trait ClusterType: Send + Sync {
    /// The type's name, doc and property schema.
    fn info(&self) -> TypeInfo;

    /// Number of CPUs a configuration asks for.
    fn cpu_count(&self, config: &Value) -> Result<u32, String>;

    /// The architecture parameters a configuration gives.
    fn params(&self, config: &Value) -> Result<ClusterParams, String>;

    /// Each CPU's interrupt input pins, as the frontend declares them
    /// (the engine adds the `reset` pin after them).
    fn irq_pins(&self, config: &Value) -> Result<Vec<PinInfo>, String>;

    /// Every input pin of each CPU: the frontend's, then `reset`.
    fn cpu_pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let mut pins = self.irq_pins(config)?;
        pins.push(crate::cluster::reset_pin());
        Ok(pins)
    }

    /// One set of inputs per CPU, made before the devices that drive them.
    fn irq_inputs(&self, config: &Value) -> Result<Vec<Arc<IrqInputs>>, String> {
        let pins: u32 = self.cpu_pins(config)?.iter().map(|p| p.count).sum();
        Ok((0..self.cpu_count(config)?)
            .map(|_| Arc::new(IrqInputs::new(pins)))
            .collect())
    }

    /// Builds the running cluster.
    fn build(&self, config: &Value, setup: ClusterSetup) -> Result<Box<dyn ClusterRun>, String>;
}
