//! What a realized machine is made of, as plain data: each object with its
//! type, configuration and placements (with their sizes), each cluster's
//! architecture and CPUs, and every line after `*` expansion. The builder
//! records it while realizing; whatever describes the hardware to a guest
//! (the device tree, [`crate::fdt`]) reads it, never the description's
//! text or the profile's name.

use chimera_core::ObjectKind;
use serde_json::Value;

/// One placement of a memory or device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The address space's id.
    pub space: String,
    /// Address of the first byte.
    pub base: u64,
    /// Size of the region in bytes.
    pub size: u64,
}

/// What a cluster is, besides its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterFacts {
    /// The address space its CPUs see.
    pub space: String,
    /// Its frontend's architecture name (`riscv64`, `cortex-m4`).
    pub arch: String,
    /// Number of CPUs.
    pub cpus: u32,
    /// General-purpose register width.
    pub word_bits: u32,
    /// log2 of the MMU page size.
    pub page_bits: u32,
}

/// One declared object.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Its id: its path relative to `/machine` (`uart0`, `app/uart0`).
    pub id: String,
    /// Its type's name.
    pub type_name: String,
    /// Its kind.
    pub kind: ObjectKind,
    /// Its properties, defaults included.
    pub config: Value,
    /// Where it is mapped (memories and devices).
    pub maps: Vec<Mapped>,
    /// For clusters: architecture and CPUs.
    pub cluster: Option<ClusterFacts>,
}

impl Part {
    /// Its placement in `space`, if it has one there.
    pub fn map_in(&self, space: &str) -> Option<&Mapped> {
        self.maps.iter().find(|m| m.space == space)
    }
}

/// One end of a line: element `index` of pin `pin` of object `object`
/// (0 for a scalar pin). CPUs are `CLUSTER/cpuN`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PinEnd {
    /// The object's path relative to `/machine`.
    pub object: String,
    /// The pin's name.
    pub pin: String,
    /// The element of a pin array.
    pub index: u32,
}

/// A line from an output to an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// The output.
    pub from: PinEnd,
    /// The input.
    pub to: PinEnd,
}

/// A realized machine's objects and lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// The machine's name.
    pub name: String,
    /// Objects in declaration order (CPUs are not listed: see
    /// [`ClusterFacts::cpus`]).
    pub parts: Vec<Part>,
    /// Lines, one per connected pair of pins.
    pub wires: Vec<Wire>,
}

impl Inventory {
    /// The object `id`.
    pub fn part(&self, id: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.id == id)
    }

    /// The line leaving element `index` of output `pin` of `object`.
    pub fn wire_from(&self, object: &str, pin: &str, index: u32) -> Option<&Wire> {
        self.wires
            .iter()
            .find(|w| w.from.object == object && w.from.pin == pin && w.from.index == index)
    }

    /// The lines leaving any output of `object`.
    pub fn wires_from<'a>(&'a self, object: &'a str) -> impl Iterator<Item = &'a Wire> + 'a {
        self.wires.iter().filter(move |w| w.from.object == object)
    }

    /// The cluster and CPU index of CPU object `object` (`app/cpu1`).
    pub fn cpu(&self, object: &str) -> Option<(&Part, u32)> {
        let (cluster, cpu) = object.rsplit_once('/')?;
        let index: u32 = cpu.strip_prefix("cpu")?.parse().ok()?;
        let part = self.part(cluster)?;
        let facts = part.cluster.as_ref()?;
        (index < facts.cpus).then_some((part, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ends_name_their_cluster_and_index() {
        let inv = Inventory {
            name: "m".into(),
            parts: vec![Part {
                id: "app".into(),
                type_name: "riscv64".into(),
                kind: ObjectKind::Cluster,
                config: Value::Null,
                maps: Vec::new(),
                cluster: Some(ClusterFacts {
                    space: "sys".into(),
                    arch: "riscv64".into(),
                    cpus: 2,
                    word_bits: 64,
                    page_bits: 12,
                }),
            }],
            wires: Vec::new(),
        };
        assert_eq!(
            inv.cpu("app/cpu1").map(|(p, i)| (p.id.as_str(), i)),
            Some(("app", 1))
        );
        assert!(inv.cpu("app/cpu2").is_none());
        assert!(inv.cpu("mcu/cpu0").is_none());
    }
}
