//! The `cortex-m3` and `cortex-m4` cluster types: their properties and how
//! a cluster of cores is built from them.

use chimera_core::{ObjectKind, Origin, PinInfo, TypeInfo};
use chimera_engine::{
    Cluster, ClusterParams, ClusterRun, ClusterSetup, ClusterType, Frontend, MemoryOrder,
};
use chimera_memory::Endian;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::scs::CoreKind;
use crate::ArmM;

/// Settings of a Cortex-M cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ArmConfig {
    /// Number of cores.
    #[schemars(range(min = 1, max = 8))]
    pub cores: u32,
    /// Instructions per second of virtual time (the core clock; MPS2
    /// boards run at 25 MHz).
    #[schemars(range(min = 1))]
    pub freq_hz: u64,
    /// SysTick's reference clock (used when SYST_CSR.CLKSOURCE is 0).
    #[schemars(range(min = 1))]
    pub refclk_hz: u64,
    /// External interrupts the NVIC implements.
    #[schemars(range(min = 1, max = 480))]
    pub num_irq: u32,
    /// Whether the FPv4-SP floating-point unit is present (Cortex-M4
    /// only).
    pub fpu: Option<bool>,
}

impl Default for ArmConfig {
    fn default() -> Self {
        ArmConfig {
            cores: 1,
            freq_hz: 25_000_000,
            refclk_hz: 1_000_000,
            num_irq: 32,
            fpu: None,
        }
    }
}

/// A Cortex-M cluster type.
#[derive(Debug)]
pub struct ArmClusterType {
    /// Which core.
    pub core: CoreKind,
}

impl ArmClusterType {
    fn config(&self, config: &Value) -> Result<ArmConfig, String> {
        let c = ArmConfig::deserialize(config).map_err(|e| e.to_string())?;
        if self.core == CoreKind::CortexM3 && c.fpu == Some(true) {
            return Err("fpu: the Cortex-M3 has no floating-point unit".into());
        }
        Ok(c)
    }

    fn frontend(&self, c: &ArmConfig) -> ArmM {
        let fpu = self.core == CoreKind::CortexM4 && c.fpu.unwrap_or(true);
        let mut fe = ArmM::new(self.core, fpu, c.num_irq);
        fe.refclk_hz = c.refclk_hz;
        fe
    }
}

impl ClusterType for ArmClusterType {
    fn info(&self) -> TypeInfo {
        let (name, doc) = match self.core {
            CoreKind::CortexM3 => ("cortex-m3", "ARM Cortex-M3 cores (ARMv7-M, Thumb-2)"),
            CoreKind::CortexM4 => (
                "cortex-m4",
                "ARM Cortex-M4 cores (ARMv7E-M with DSP, FPv4-SP unless fpu = false)",
            ),
        };
        TypeInfo::of::<ArmConfig>(
            name,
            doc,
            ObjectKind::Cluster,
            Origin::Builtin {
                provider: "chimera-armv7m".into(),
            },
        )
    }

    fn cpu_count(&self, config: &Value) -> Result<u32, String> {
        Ok(self.config(config)?.cores)
    }

    fn params(&self, config: &Value) -> Result<ClusterParams, String> {
        let c = self.config(config)?;
        Ok(ClusterParams {
            word_bits: 32,
            endian: Endian::Little,
            page_bits: 12,
            paddr_bits: 32,
            vaddr_bits: 32,
            memory_order: MemoryOrder::Weak,
            freq_hz: c.freq_hz,
        })
    }

    fn irq_pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        Ok(self.frontend(&self.config(config)?).irq_pins())
    }

    fn build(&self, config: &Value, setup: ClusterSetup) -> Result<Box<dyn ClusterRun>, String> {
        let c = self.config(config)?;
        let fe = self.frontend(&c).with_console(setup.console.clone());
        Ok(Box::new(Cluster::new(fe, setup)))
    }
}
