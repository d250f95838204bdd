//! The `riscv64` and `riscv32` cluster types: their properties and how a
//! cluster of harts is built from them.

use chimera_core::{ObjectKind, Origin, PinInfo, TypeInfo};
use chimera_engine::{
    Cluster, ClusterParams, ClusterRun, ClusterSetup, ClusterType, Frontend, MemoryOrder,
};
use chimera_memory::Endian;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::RiscV;

/// Settings of a RISC-V cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RiscvConfig {
    /// Number of harts.
    #[schemars(range(min = 1, max = 64))]
    pub harts: u32,
    /// Instructions per second of virtual time.
    #[schemars(range(min = 1))]
    pub freq_hz: u64,
    /// Frequency of the `time` CSR (QEMU's virt uses 10 MHz).
    #[schemars(range(min = 1))]
    pub timebase_hz: u64,
    /// Where harts start after reset (an image's entry point overrides it).
    pub reset_pc: u64,
    /// Optional extensions turned on or off, as QEMU's `-cpu` spells them:
    /// `zba=false,sstc=off` (every one is on by default).
    pub isa: String,
}

impl RiscvConfig {
    /// The optional extensions [`RiscvConfig::isa`] asks for.
    ///
    /// # Errors
    ///
    /// A sentence naming what in `isa` is not understood.
    pub fn extensions(&self) -> Result<crate::isa::Extensions, String> {
        crate::isa::Extensions::parse(&self.isa)
    }
}

impl Default for RiscvConfig {
    fn default() -> Self {
        RiscvConfig {
            harts: 1,
            freq_hz: 1_000_000_000,
            timebase_hz: 10_000_000,
            reset_pc: 0x8000_0000,
            isa: String::new(),
        }
    }
}

/// A RISC-V cluster type of one width.
#[derive(Debug)]
pub struct RiscvClusterType {
    /// 32 or 64.
    pub xlen: u32,
}

impl RiscvClusterType {
    fn config(&self, config: &Value) -> Result<RiscvConfig, String> {
        let c = RiscvConfig::deserialize(config).map_err(|e| e.to_string())?;
        c.extensions()?;
        Ok(c)
    }
}

impl ClusterType for RiscvClusterType {
    fn info(&self) -> TypeInfo {
        let (name, doc) = if self.xlen == 64 {
            (
                "riscv64",
                "RISC-V RV64IMAFDC harts with M, S and U modes and Sv39, Sv48 and Sv57 paging",
            )
        } else {
            (
                "riscv32",
                "RISC-V RV32IMAFDC harts with M, S and U modes and Sv32 paging",
            )
        };
        TypeInfo::of::<RiscvConfig>(
            name,
            doc,
            ObjectKind::Cluster,
            Origin::Builtin {
                provider: "chimera-riscv".into(),
            },
        )
    }

    fn cpu_count(&self, config: &Value) -> Result<u32, String> {
        Ok(self.config(config)?.harts)
    }

    fn params(&self, config: &Value) -> Result<ClusterParams, String> {
        let c = self.config(config)?;
        Ok(ClusterParams {
            word_bits: self.xlen,
            endian: Endian::Little,
            page_bits: 12,
            paddr_bits: if self.xlen == 64 { 56 } else { 34 },
            vaddr_bits: if self.xlen == 64 { 57 } else { 32 },
            memory_order: MemoryOrder::Weak,
            freq_hz: c.freq_hz,
        })
    }

    fn irq_pins(&self, _: &Value) -> Result<Vec<PinInfo>, String> {
        Ok(RiscV::new(self.xlen, 1, 0).irq_pins())
    }

    fn build(&self, config: &Value, setup: ClusterSetup) -> Result<Box<dyn ClusterRun>, String> {
        let c = self.config(config)?;
        let fe = RiscV::new(self.xlen, c.timebase_hz, c.reset_pc).with_extensions(c.extensions()?);
        Ok(Box::new(Cluster::new(fe, setup)))
    }
}
