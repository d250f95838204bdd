//! The flattened device tree of what one cluster sees, generated from a
//! realized machine's [`Inventory`]: its harts, the RAM in its address
//! space, and the devices there that have a device-tree binding (CLINT,
//! PLIC, 16550 UART, test finisher), with interrupts taken from the lines
//! that are actually wired. The layout follows QEMU's `virt` so firmware
//! built for it (OpenSBI, U-Boot) finds what it expects.
//!
//! Only what the description declares is described: no node comes from a
//! machine's or profile's name. Devices without a binding here are left
//! out. Writing the blob is `vm-fdt`'s job.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use vm_fdt::FdtWriter;

use crate::inventory::{ClusterFacts, Inventory, Mapped, Part, Wire};

/// Why a device tree cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FdtError {
    /// No such cluster.
    #[error("no cluster `{cluster}` to describe in a device tree")]
    UnknownCluster {
        /// The id given.
        cluster: String,
    },
    /// A cluster whose CPUs have no device-tree description here.
    #[error("cluster `{cluster}` runs {arch} CPUs: device trees describe RISC-V harts")]
    UnsupportedArch {
        /// The cluster.
        cluster: String,
        /// Its architecture.
        arch: String,
    },
    /// An object's configuration did not read back.
    #[error("`{id}`: {message}")]
    Config {
        /// The object.
        id: String,
        /// What went wrong.
        message: String,
    },
    /// The writer refused (a name or value a device tree cannot hold).
    #[error("device tree: {0}")]
    Writer(String),
}

impl From<vm_fdt::Error> for FdtError {
    fn from(e: vm_fdt::Error) -> Self {
        FdtError::Writer(e.to_string())
    }
}

type Result<T> = std::result::Result<T, FdtError>;

/// A device type this generator can describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    Clint,
    Plic,
    Ns16550a,
    TestFinisher,
    GoldfishRtc,
}

impl Binding {
    fn of(type_name: &str) -> Option<Self> {
        Some(match type_name {
            "riscv-clint" => Binding::Clint,
            "riscv-plic" => Binding::Plic,
            "ns16550a" => Binding::Ns16550a,
            "test-finisher" => Binding::TestFinisher,
            "goldfish-rtc" => Binding::GoldfishRtc,
            _ => return None,
        })
    }

    /// Node name and `compatible` strings.
    fn names(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Binding::Clint => ("clint", &["sifive,clint0", "riscv,clint0"]),
            Binding::Plic => ("plic", &["sifive,plic-1.0.0", "riscv,plic0"]),
            Binding::Ns16550a => ("serial", &["ns16550a"]),
            Binding::TestFinisher => ("test", &["sifive,test1", "sifive,test0", "syscon"]),
            Binding::GoldfishRtc => ("rtc", &["google,goldfish-rtc"]),
        }
    }

    /// For interrupt controllers: the input pin whose index is the
    /// interrupt number (one cell).
    fn irq_input(self) -> Option<&'static str> {
        (self == Binding::Plic).then_some("source")
    }
}

/// A RISC-V hart's local interrupt number for one of its input pins, as
/// its `riscv,cpu-intc` node numbers it (the `mip` bit).
fn hart_irq(pin: &str) -> Option<u32> {
    Some(match pin {
        "ssip" => 1,
        "msip" => 3,
        "stip" => 5,
        "mtip" => 7,
        "seip" => 9,
        "meip" => 11,
        _ => return None,
    })
}

/// A device of the cluster's space with a binding.
struct Device<'a> {
    part: &'a Part,
    map: &'a Mapped,
    binding: Binding,
    phandle: Option<u32>,
}

impl Device<'_> {
    fn node_name(&self) -> String {
        format!("{}@{:x}", self.binding.names().0, self.map.base)
    }
}

/// What the nodes refer to each other by.
struct Context<'a> {
    inventory: &'a Inventory,
    cluster: &'a str,
    /// The `interrupt-controller` phandle of each hart.
    intc: Vec<u32>,
}

impl Context<'_> {
    /// Where a line lands when it reaches one of this cluster's harts:
    /// the hart's interrupt controller and the interrupt number.
    fn hart_end(&self, wire: &Wire) -> Option<(u32, u32)> {
        let (part, hart) = self.inventory.cpu(&wire.to.object)?;
        if part.id != self.cluster {
            return None;
        }
        Some((*self.intc.get(hart as usize)?, hart_irq(&wire.to.pin)?))
    }

    /// `interrupts-extended` cells of a device whose outputs `pins` go to
    /// harts, ordered by (index, pin): the order that numbers a PLIC's
    /// contexts. Unwired entries before a wired one are `<intc -1>` (no
    /// interrupt); trailing ones are left out.
    fn hart_interrupts(&self, device: &str, pins: &[&str]) -> Vec<u32> {
        let mut slots: BTreeMap<(u32, usize), (u32, u32)> = BTreeMap::new();
        for w in self.inventory.wires_from(device) {
            if let (Some(order), Some(end)) =
                (pins.iter().position(|p| *p == w.from.pin), self.hart_end(w))
            {
                slots.insert((w.from.index, order), end);
            }
        }
        let Some(&last) = slots.keys().next_back() else {
            return Vec::new();
        };
        let mut cells = Vec::new();
        for index in 0..=last.0 {
            for order in 0..pins.len() {
                match slots.get(&(index, order)) {
                    Some(&(phandle, irq)) => cells.extend([phandle, irq]),
                    None if (index, order) < last => {
                        let phandle = self.intc.get(index as usize).or(self.intc.first());
                        cells.extend([phandle.copied().unwrap_or(0), u32::MAX]);
                    }
                    None => {}
                }
            }
        }
        cells
    }
}

fn config<T: DeserializeOwned>(part: &Part) -> Result<T> {
    serde_json::from_value(part.config.clone()).map_err(|e| FdtError::Config {
        id: part.id.clone(),
        message: e.to_string(),
    })
}

/// What a loader tells the payload through `/chosen`, besides the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chosen {
    /// The command line (`bootargs`).
    pub bootargs: Option<String>,
    /// The initial RAM disk's first byte and the byte after its last
    /// (`linux,initrd-start`, `linux,initrd-end`).
    pub initrd: Option<(u64, u64)>,
    /// Seed bytes for the kernel's random number generator (`rng-seed`).
    pub rng_seed: Option<Vec<u8>>,
}

impl Chosen {
    /// Writes these properties into the open `/chosen` node.
    pub(crate) fn write(&self, w: &mut FdtWriter) -> Result<()> {
        if let Some(args) = &self.bootargs {
            w.property_string("bootargs", args)?;
        }
        if let Some((start, end)) = self.initrd {
            // Two cells each, as QEMU writes them.
            w.property_u64("linux,initrd-start", start)?;
            w.property_u64("linux,initrd-end", end)?;
        }
        if let Some(seed) = &self.rng_seed {
            w.property("rng-seed", seed)?;
        }
        Ok(())
    }

    /// The property names [`Chosen::write`] writes.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.bootargs.is_some() {
            names.push("bootargs");
        }
        if self.initrd.is_some() {
            names.extend(["linux,initrd-start", "linux,initrd-end"]);
        }
        if self.rng_seed.is_some() {
            names.push("rng-seed");
        }
        names
    }
}

/// The device tree of what cluster `cluster` sees in `inventory`'s
/// machine, as a flattened blob, with `chosen` in its `/chosen` node.
pub fn generate(inventory: &Inventory, cluster: &str, chosen: &Chosen) -> Result<Vec<u8>> {
    let part = inventory
        .part(cluster)
        .filter(|p| p.cluster.is_some())
        .ok_or_else(|| FdtError::UnknownCluster {
            cluster: cluster.to_string(),
        })?;
    let facts = part
        .cluster
        .as_ref()
        .ok_or_else(|| FdtError::UnknownCluster {
            cluster: cluster.to_string(),
        })?;
    if !facts.arch.starts_with("riscv") {
        return Err(FdtError::UnsupportedArch {
            cluster: cluster.to_string(),
            arch: facts.arch.clone(),
        });
    }
    let hart_config: chimera_riscv::cluster_type::RiscvConfig = config(part)?;

    // Phandles: each hart and its interrupt controller, then the devices
    // others point at (interrupt controllers, syscons).
    let mut next = 1u32;
    let mut take = || {
        next += 1;
        next - 1
    };
    let cpus: Vec<(u32, u32)> = (0..facts.cpus).map(|_| (take(), take())).collect();
    let devices: Vec<Device> = inventory
        .parts
        .iter()
        .filter_map(|p| {
            let binding = Binding::of(&p.type_name)?;
            let map = p.map_in(&facts.space)?;
            let phandle =
                (binding.irq_input().is_some() || binding == Binding::TestFinisher).then(&mut take);
            Some(Device {
                part: p,
                map,
                binding,
                phandle,
            })
        })
        .collect();
    let cx = Context {
        inventory,
        cluster,
        intc: cpus.iter().map(|c| c.1).collect(),
    };
    let uarts: Vec<String> = devices
        .iter()
        .filter(|d| d.binding == Binding::Ns16550a)
        .map(|d| format!("/soc/{}", d.node_name()))
        .collect();

    let mut w = FdtWriter::new()?;
    let root = w.begin_node("")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", &format!("chimera,{}", inventory.name))?;
    w.property_string("model", &format!("chimera {}", inventory.name))?;

    let chosen_node = w.begin_node("chosen")?;
    if let Some(first) = uarts.first() {
        w.property_string("stdout-path", first)?;
    }
    chosen.write(&mut w)?;
    w.end_node(chosen_node)?;
    if !uarts.is_empty() {
        let aliases = w.begin_node("aliases")?;
        for (i, path) in uarts.iter().enumerate() {
            w.property_string(&format!("serial{i}"), path)?;
        }
        w.end_node(aliases)?;
    }

    write_cpus(&mut w, facts, &hart_config, &cpus)?;

    let mut rams: Vec<&Mapped> = inventory
        .parts
        .iter()
        .filter(|p| p.type_name == "ram")
        .filter_map(|p| p.map_in(&facts.space))
        .collect();
    rams.sort_by_key(|m| m.base);
    for m in rams {
        let node = w.begin_node(&format!("memory@{:x}", m.base))?;
        w.property_string("device_type", "memory")?;
        w.property_array_u64("reg", &[m.base, m.size])?;
        w.end_node(node)?;
    }

    let soc = w.begin_node("soc")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", "simple-bus")?;
    w.property_null("ranges")?;
    for d in &devices {
        write_device(&mut w, &cx, d, &devices)?;
    }
    w.end_node(soc)?;

    // QEMU's poweroff and reboot through the first test finisher.
    if let Some(finisher) = devices.iter().find(|d| d.binding == Binding::TestFinisher) {
        for (name, compatible, value) in [
            ("poweroff", "syscon-poweroff", 0x5555),
            ("reboot", "syscon-reboot", 0x7777),
        ] {
            let node = w.begin_node(name)?;
            w.property_string("compatible", compatible)?;
            w.property_u32("regmap", finisher.phandle.unwrap_or(0))?;
            w.property_u32("offset", 0)?;
            w.property_u32("value", value)?;
            w.end_node(node)?;
        }
    }
    w.end_node(root)?;
    Ok(w.finish()?)
}

/// `/cpus`: each hart with its ISA, MMU and interrupt controller, and the
/// topology.
fn write_cpus(
    w: &mut FdtWriter,
    facts: &ClusterFacts,
    config: &chimera_riscv::cluster_type::RiscvConfig,
    cpus: &[(u32, u32)],
) -> Result<()> {
    let xlen = facts.word_bits;
    let optional = config.extensions().map_err(|message| FdtError::Config {
        id: "cpus".into(),
        message,
    })?;
    let extensions = chimera_riscv::RiscV::new(xlen, config.timebase_hz, config.reset_pc)
        .with_extensions(optional)
        .isa_extensions();
    let letters: String = extensions
        .iter()
        .filter(|e| e.len() == 1)
        .cloned()
        .collect();
    let mut isa = format!("rv{xlen}{letters}");
    for multi in extensions.iter().filter(|e| e.len() > 1) {
        isa.push('_');
        isa.push_str(multi);
    }
    let mmu = optional.mmu_type(xlen);

    let node = w.begin_node("cpus")?;
    w.property_u32("#address-cells", 1)?;
    w.property_u32("#size-cells", 0)?;
    match u32::try_from(config.timebase_hz) {
        Ok(hz) => w.property_u32("timebase-frequency", hz)?,
        Err(_) => w.property_u64("timebase-frequency", config.timebase_hz)?,
    }
    for (hart, &(cpu, intc)) in cpus.iter().enumerate() {
        let n = w.begin_node(&format!("cpu@{hart:x}"))?;
        w.property_string("device_type", "cpu")?;
        w.property_u32("reg", hart as u32)?;
        w.property_string("status", "okay")?;
        w.property_string("compatible", "riscv")?;
        w.property_string("riscv,isa", &isa)?;
        w.property_string("riscv,isa-base", &format!("rv{xlen}i"))?;
        w.property_string_list("riscv,isa-extensions", extensions.clone())?;
        // The cache-block size of `cbo.*`, as QEMU's `virt` gives it.
        for (ext, property) in [
            ("zicbom", "riscv,cbom-block-size"),
            ("zicbop", "riscv,cbop-block-size"),
            ("zicboz", "riscv,cboz-block-size"),
        ] {
            if extensions.iter().any(|e| e == ext) {
                w.property_u32(property, 64)?;
            }
        }
        w.property_string("mmu-type", mmu)?;
        w.property_phandle(cpu)?;
        let ic = w.begin_node("interrupt-controller")?;
        w.property_u32("#address-cells", 0)?;
        w.property_u32("#interrupt-cells", 1)?;
        w.property_null("interrupt-controller")?;
        w.property_string("compatible", "riscv,cpu-intc")?;
        w.property_phandle(intc)?;
        w.end_node(ic)?;
        w.end_node(n)?;
    }
    let map = w.begin_node("cpu-map")?;
    let group = w.begin_node("cluster0")?;
    for (hart, &(cpu, _)) in cpus.iter().enumerate() {
        let core = w.begin_node(&format!("core{hart}"))?;
        w.property_u32("cpu", cpu)?;
        w.end_node(core)?;
    }
    w.end_node(group)?;
    w.end_node(map)?;
    w.end_node(node)?;
    Ok(())
}

/// One device under `/soc`.
fn write_device(w: &mut FdtWriter, cx: &Context, d: &Device, all: &[Device]) -> Result<()> {
    let (_, compatible) = d.binding.names();
    let node = w.begin_node(&d.node_name())?;
    w.property_string_list(
        "compatible",
        compatible.iter().map(|s| s.to_string()).collect(),
    )?;
    w.property_array_u64("reg", &[d.map.base, d.map.size])?;
    match d.binding {
        Binding::Clint => {
            let cells = cx.hart_interrupts(&d.part.id, &["msip", "mtip"]);
            if !cells.is_empty() {
                w.property_array_u32("interrupts-extended", &cells)?;
            }
        }
        Binding::Plic => {
            let c: chimera_riscv::plic::PlicConfig = config(d.part)?;
            w.property_u32("#address-cells", 0)?;
            w.property_u32("#interrupt-cells", 1)?;
            w.property_null("interrupt-controller")?;
            w.property_u32("riscv,ndev", c.sources)?;
            let cells = cx.hart_interrupts(&d.part.id, &["meip", "seip"]);
            if !cells.is_empty() {
                w.property_array_u32("interrupts-extended", &cells)?;
            }
        }
        Binding::Ns16550a => {
            let c: chimera_devices::ns16550a::Ns16550aConfig = config(d.part)?;
            match u32::try_from(c.clock_frequency) {
                Ok(hz) => w.property_u32("clock-frequency", hz)?,
                Err(_) => w.property_u64("clock-frequency", c.clock_frequency)?,
            }
            if c.reg_shift != 0 {
                w.property_u32("reg-shift", c.reg_shift)?;
            }
        }
        Binding::TestFinisher | Binding::GoldfishRtc => {}
    }
    write_device_interrupts(w, cx, d, all)?;
    if let Some(phandle) = d.phandle {
        w.property_phandle(phandle)?;
    }
    w.end_node(node)?;
    Ok(())
}

/// `interrupts` (and `interrupt-parent`) of a device whose outputs reach
/// an interrupt controller in the tree, such as a UART's line to a PLIC
/// source; `interrupts-extended` when they reach several.
fn write_device_interrupts(
    w: &mut FdtWriter,
    cx: &Context,
    d: &Device,
    all: &[Device],
) -> Result<()> {
    let mut specs: Vec<(u32, u32)> = Vec::new();
    for wire in cx.inventory.wires_from(&d.part.id) {
        let parent = all.iter().find(|c| {
            c.part.id == wire.to.object && c.binding.irq_input() == Some(wire.to.pin.as_str())
        });
        if let Some(phandle) = parent.and_then(|c| c.phandle) {
            specs.push((phandle, wire.to.index));
        }
    }
    match specs.first() {
        None => {}
        Some(&(parent, _)) if specs.iter().all(|s| s.0 == parent) => {
            w.property_u32("interrupt-parent", parent)?;
            let irqs: Vec<u32> = specs.iter().map(|s| s.1).collect();
            w.property_array_u32("interrupts", &irqs)?;
        }
        Some(_) => {
            let cells: Vec<u32> = specs.iter().flat_map(|&(p, i)| [p, i]).collect();
            w.property_array_u32("interrupts-extended", &cells)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::PinEnd;
    use chimera_core::ObjectKind;
    use serde_json::json;

    fn end(object: &str, pin: &str, index: u32) -> PinEnd {
        PinEnd {
            object: object.into(),
            pin: pin.into(),
            index,
        }
    }

    fn wire(from: PinEnd, to: PinEnd) -> Wire {
        Wire { from, to }
    }

    fn device(id: &str, type_name: &str, base: u64, size: u64) -> Part {
        Part {
            id: id.into(),
            type_name: type_name.into(),
            kind: ObjectKind::Device,
            config: json!({}),
            maps: vec![Mapped {
                space: "sys".into(),
                base,
                size,
            }],
            cluster: None,
        }
    }

    /// Two harts, a PLIC whose second hart's contexts are wired but
    /// whose first hart's S context is not.
    fn machine() -> Inventory {
        let mut parts = vec![Part {
            id: "cpu".into(),
            type_name: "riscv64".into(),
            kind: ObjectKind::Cluster,
            config: json!({"harts": 2}),
            maps: Vec::new(),
            cluster: Some(ClusterFacts {
                space: "sys".into(),
                arch: "riscv64".into(),
                cpus: 2,
                word_bits: 64,
                page_bits: 12,
            }),
        }];
        parts.push(device("plic", "riscv-plic", 0xc00_0000, 0x20_4000));
        parts.push(device("uart0", "ns16550a", 0x1000_0000, 0x100));
        let wires = vec![
            wire(end("plic", "meip", 0), end("cpu/cpu0", "meip", 0)),
            wire(end("plic", "meip", 1), end("cpu/cpu1", "meip", 0)),
            wire(end("plic", "seip", 1), end("cpu/cpu1", "seip", 0)),
            wire(end("uart0", "irq", 0), end("plic", "source", 10)),
        ];
        Inventory {
            name: "test".into(),
            parts,
            wires,
        }
    }

    #[test]
    fn plic_contexts_follow_the_wires_with_gaps_marked() {
        let inv = machine();
        let cx = Context {
            inventory: &inv,
            cluster: "cpu",
            intc: vec![2, 4],
        };
        assert_eq!(
            cx.hart_interrupts("plic", &["meip", "seip"]),
            [2, 11, 2, u32::MAX, 4, 11, 4, 9]
        );
    }

    #[test]
    fn other_architectures_and_unknown_clusters_are_errors() {
        let mut inv = machine();
        assert!(matches!(
            generate(&inv, "nope", &Chosen::default()),
            Err(FdtError::UnknownCluster { .. })
        ));
        if let Some(f) = inv.parts[0].cluster.as_mut() {
            f.arch = "cortex-m4".into();
        }
        assert!(matches!(
            generate(&inv, "cpu", &Chosen::default()),
            Err(FdtError::UnsupportedArch { .. })
        ));
    }

    #[test]
    fn a_uart_names_its_plic_source() {
        let blob = generate(&machine(), "cpu", &Chosen::default()).unwrap();
        assert_eq!(&blob[..4], &[0xd0, 0x0d, 0xfe, 0xed]);
        // The strings block holds every property name used.
        let text = String::from_utf8_lossy(&blob);
        for name in [
            "interrupt-parent",
            "riscv,ndev",
            "interrupts-extended",
            "stdout-path",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
    }
}
