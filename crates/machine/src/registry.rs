//! The machine's type registry: every type a description may name, with
//! how to build it. Built once at start-up from the providers compiled in;
//! a value, not a global.

use std::sync::Arc;

use chimera_core::{ByteSize, ObjectKind, Origin, TypeInfo, TypeRegistry};
use chimera_devices::DeviceType;
use chimera_engine::ClusterType;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How objects of a type are built.
#[derive(Clone)]
pub enum Constructor {
    /// An address space.
    AddressSpace,
    /// RAM (`read_only: false`) or ROM.
    Memory {
        /// ROM refuses guest writes.
        read_only: bool,
    },
    /// A cluster of CPUs.
    Cluster(Arc<dyn ClusterType>),
    /// One CPU of a cluster (made by the cluster, never declared).
    Cpu,
    /// A device.
    Device(Arc<dyn DeviceType>),
}

impl std::fmt::Debug for Constructor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Constructor::AddressSpace => "AddressSpace",
            Constructor::Memory { .. } => "Memory",
            Constructor::Cluster(_) => "Cluster",
            Constructor::Cpu => "Cpu",
            Constructor::Device(_) => "Device",
        })
    }
}

/// The registry a machine is built from.
pub type Registry = TypeRegistry<Constructor>;

/// Settings of an address space: none.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpaceConfig {}

/// Settings of a RAM or ROM.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    /// Size in bytes (`4096`, `"64K"`, `"128M"`, `"1G"`).
    pub size: ByteSize,
}

/// Settings of one CPU: none of its own; its cluster holds them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CpuConfig {}

fn builtin(provider: &str) -> Origin {
    Origin::Builtin {
        provider: provider.to_string(),
    }
}

/// Adds the types every machine needs: address spaces, RAM, ROM, CPUs.
fn register_core_types(reg: &mut Registry) -> Result<(), chimera_core::CoreError> {
    let origin = builtin("chimera-machine");
    reg.register(
        TypeInfo::of::<SpaceConfig>(
            "address-space",
            "A bus on which memories and devices are mapped; each cluster sees one",
            ObjectKind::AddressSpace,
            origin.clone(),
        ),
        Constructor::AddressSpace,
    )?;
    reg.register(
        TypeInfo::of::<MemoryConfig>(
            "ram",
            "Read-write memory",
            ObjectKind::Memory,
            origin.clone(),
        ),
        Constructor::Memory { read_only: false },
    )?;
    reg.register(
        TypeInfo::of::<MemoryConfig>(
            "rom",
            "Read-only memory, filled by image loaders",
            ObjectKind::Memory,
            origin.clone(),
        ),
        Constructor::Memory { read_only: true },
    )?;
    reg.register(
        TypeInfo::of::<CpuConfig>(
            "cpu",
            "One CPU of a cluster; its pins are the architecture's interrupt inputs",
            ObjectKind::Cpu,
            origin,
        ),
        Constructor::Cpu,
    )
}

/// The registry of every type compiled into Chimera.
pub fn builtin_registry() -> Arc<Registry> {
    let mut reg = Registry::new();
    // Every name below is distinct by construction: a clash is a bug in
    // this list, caught by the registry's own test.
    let _ = register_core_types(&mut reg);
    let devices = chimera_devices::device_types()
        .into_iter()
        .chain(crate::providers::device_types());
    for d in devices {
        let _ = reg.register(d.info(), Constructor::Device(d));
    }
    for c in crate::providers::cluster_types() {
        let _ = reg.register(c.info(), Constructor::Cluster(c));
    }
    Arc::new(reg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_register_without_clashes() {
        let mut reg = Registry::new();
        register_core_types(&mut reg).unwrap();
        for d in chimera_devices::device_types()
            .into_iter()
            .chain(crate::providers::device_types())
        {
            reg.register(d.info(), Constructor::Device(d)).unwrap();
        }
        for c in crate::providers::cluster_types() {
            reg.register(c.info(), Constructor::Cluster(c)).unwrap();
        }
        assert!(reg.get("ram").is_ok());
        assert!(reg.get("ns16550a").is_ok());
        assert_eq!(reg.len(), builtin_registry().len());
    }
}
