//! The one way to build a machine. The description loader, the CLI and the
//! protocol all drive this API: declare objects, set properties, place
//! them, connect lines, add images, then realize.
//!
//! Realizing walks the life cycle for every object: configure (check
//! properties), wire (resolve pins and connect lines), realize (build the
//! live devices, memories, address spaces and clusters, load images).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chimera_core::{
    Line, LineSink, ObjectKind, ObjectPath, ObjectTree, PinDirection, PinInfo, PinRef, TypeInfo,
};
use chimera_devices::{DeviceEnv, DeviceParts};
use chimera_engine::{Clock, ClusterSetup, IrqInputs, RunControl, Scheduler};
use chimera_memory::{AddressSpace, Ram, Region};
use serde_json::Value;

use crate::accel::Accel;
use crate::error::{BuildError, BuildErrorKind, Subject};
use crate::image::{read_image, Image};
use crate::inventory::{ClusterFacts, Inventory, Mapped, Part, PinEnd, Wire};
use crate::registry::{Constructor, MemoryConfig, Registry};
use crate::serial::SerialConfig;
use crate::Machine;

/// The property every cluster has besides its type's: `accel = "jit" |
/// "interp"`, the backend that runs its code (see [`Accel`]).
pub const ACCEL_PROPERTY: &str = "accel";

/// A placement of an object in an address space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The space's id.
    pub space: String,
    /// Address of the first byte.
    pub base: u64,
    /// Priority against overlapping regions.
    pub priority: i32,
}

/// Firmware boot as QEMU's `virt` does it with `-bios`: the firmware at
/// `bios_base` (a raw image; an ELF file at its own addresses), the payload
/// after it, a device tree of the cluster's view at the top of its RAM,
/// and every CPU starting in the firmware with the arguments its
/// architecture's device-tree boot convention gives (RISC-V: `a0` = hart
/// id, `a1` = device tree, `a2` = 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareSpec {
    /// The cluster that runs it.
    pub cluster: String,
    /// The firmware image.
    pub bios: PathBuf,
    /// Where a raw firmware image is loaded.
    pub bios_base: u64,
    /// The payload the firmware starts (`fw_jump`'s next stage): an ELF
    /// file at its own addresses, a raw image at the first superpage
    /// boundary after the firmware.
    pub kernel: Option<PathBuf>,
    /// An initial RAM disk for the payload, placed where QEMU 10 puts it
    /// and named in the device tree's `/chosen` (`linux,initrd-start`,
    /// `linux,initrd-end`).
    pub initrd: Option<PathBuf>,
    /// The payload's command line (`/chosen/bootargs`).
    pub append: Option<String>,
    /// A device tree blob used instead of the generated one; `/chosen` is
    /// still given the command line and the initial RAM disk.
    pub dtb: Option<PathBuf>,
}

/// An image to load at realize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// The cluster whose space it goes into.
    pub cluster: String,
    /// The file.
    pub path: PathBuf,
    /// Load address for a raw image.
    pub addr: Option<u64>,
    /// Whether its entry point becomes the cluster's boot pc.
    pub entry: bool,
}

#[derive(Debug, Clone)]
struct Declared {
    id: String,
    path: ObjectPath,
    type_name: String,
    kind: ObjectKind,
    space: Option<String>,
    maps: Vec<Placement>,
}

/// The time real-time clocks start at in reproducible runs:
/// 2026-01-01T00:00:00Z.
pub const REPRODUCIBLE_UNIX_S: u64 = 1_767_225_600;

/// A machine under construction.
#[derive(Debug)]
pub struct MachineBuilder {
    name: String,
    registry: Arc<Registry>,
    tree: ObjectTree,
    objects: Vec<Declared>,
    lines: Vec<(String, String)>,
    images: Vec<ImageSpec>,
    firmware: Option<FirmwareSpec>,
    accel: Accel,
    cluster_accel: BTreeMap<String, Accel>,
}

/// Forwards a line to a device that is built after the line is made.
#[derive(Default)]
struct LateSink(OnceLock<Arc<dyn LineSink>>);

impl LineSink for LateSink {
    fn set_input(&self, pin: u32, level: bool) {
        if let Some(sink) = self.0.get() {
            sink.set_input(pin, level);
        }
    }
}

/// Where an input pin's lines land.
#[derive(Clone)]
enum InputEnd {
    Cpu(Arc<IrqInputs>),
    Device(Arc<LateSink>),
}

impl MachineBuilder {
    /// An empty machine named `name`, built from `registry`'s types.
    pub fn new(name: &str, registry: Arc<Registry>) -> Self {
        MachineBuilder {
            name: name.to_string(),
            registry,
            tree: ObjectTree::new(),
            objects: Vec::new(),
            lines: Vec::new(),
            images: Vec::new(),
            firmware: None,
            accel: Accel::default(),
            cluster_accel: BTreeMap::new(),
        }
    }

    /// A copy of the machine under construction (observers of its tree
    /// are not copied): kept to go back to when a realize fails.
    pub fn duplicate(&self) -> Self {
        MachineBuilder {
            name: self.name.clone(),
            registry: self.registry.clone(),
            tree: self.tree.duplicate(),
            objects: self.objects.clone(),
            lines: self.lines.clone(),
            images: self.images.clone(),
            firmware: self.firmware.clone(),
            accel: self.accel,
            cluster_accel: self.cluster_accel.clone(),
        }
    }

    /// The registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The tree so far.
    pub fn tree(&self) -> &ObjectTree {
        &self.tree
    }

    fn declared(&self, id: &str) -> Option<&Declared> {
        self.objects.iter().find(|o| o.id == id)
    }

    fn ids_of(&self, kind: ObjectKind) -> Vec<String> {
        self.objects
            .iter()
            .filter(|o| o.kind == kind)
            .map(|o| o.id.clone())
            .collect()
    }

    fn info(&self, type_name: &str) -> &TypeInfo {
        // Only types found in the registry are ever declared.
        &self
            .registry
            .get(type_name)
            .expect("declared objects have registered types")
            .info
    }

    /// Declares object `id` (a path relative to `/machine`, such as
    /// `uart0` or `app/uart0`) of type `type_name`, which must be of one of
    /// the `kinds`.
    pub fn add_object(
        &mut self,
        id: &str,
        type_name: &str,
        kinds: &[ObjectKind],
    ) -> Result<(), BuildError> {
        let subject = || Subject::Object(id.to_string());
        let entry = self.registry.get(type_name).map_err(|_| {
            BuildError::new(
                subject(),
                BuildErrorKind::UnknownType {
                    name: type_name.to_string(),
                    suggestion: self.registry.suggest(type_name).map(str::to_string),
                },
            )
        })?;
        let kind = entry.info.kind();
        if !kinds.contains(&kind) || kind == ObjectKind::Cpu {
            return Err(BuildError::new(
                subject(),
                BuildErrorKind::WrongKind {
                    name: type_name.to_string(),
                    expected: kinds.first().map_or("declared", |k| k.name()),
                    actual: kind.name(),
                },
            ));
        }
        if self.declared(id).is_some() {
            return Err(BuildError::new(
                subject(),
                BuildErrorKind::DuplicateId { id: id.to_string() },
            ));
        }
        let path = ObjectPath::resolve(id).map_err(|e| BuildError::new(subject(), e))?;
        let info = entry.info.clone();
        self.tree
            .create(path.clone(), &info)
            .map_err(|e| BuildError::new(subject(), e))?;
        self.objects.push(Declared {
            id: id.to_string(),
            path,
            type_name: type_name.to_string(),
            kind,
            space: None,
            maps: Vec::new(),
        });
        Ok(())
    }

    /// Pins what would come from the host (the start time of every
    /// `goldfish-rtc` to [`REPRODUCIBLE_UNIX_S`]), for runs alike to the
    /// instruction.
    pub fn pin_host_inputs(&mut self) {
        let rtcs: Vec<String> = self
            .objects
            .iter()
            .filter(|o| o.type_name == "goldfish-rtc")
            .map(|o| o.id.clone())
            .collect();
        for id in rtcs {
            // A declared goldfish-rtc always has this property.
            let _ = self.set_property(&id, "start-unix-s", REPRODUCIBLE_UNIX_S.into());
        }
    }

    /// Takes back the declaration of object `id` (nothing else may refer
    /// to it yet): what a failed `object-add` leaves behind.
    pub fn remove_object(&mut self, id: &str) -> Result<(), BuildError> {
        let subject = || Subject::Object(id.to_string());
        let path = self.declared(id).map(|d| d.path.clone()).ok_or_else(|| {
            BuildError::new(subject(), BuildErrorKind::Undeclared { id: id.into() })
        })?;
        self.tree
            .remove_created(&path)
            .map_err(|e| BuildError::new(subject(), e))?;
        self.objects.retain(|o| o.id != id);
        Ok(())
    }

    /// Sets property `name` of object `id`.
    pub fn set_property(&mut self, id: &str, name: &str, value: Value) -> Result<(), BuildError> {
        let subject = Subject::Property(id.to_string(), name.to_string());
        let decl = self.declared(id).cloned().ok_or_else(|| {
            BuildError::new(
                subject.clone(),
                BuildErrorKind::UnknownObject {
                    object: id.to_string(),
                    known: self.objects.iter().map(|o| o.id.clone()).collect(),
                },
            )
        })?;
        if decl.kind == ObjectKind::Cluster && name == ACCEL_PROPERTY {
            // Every cluster has it, whatever its type: it chooses the
            // engine's backend, not anything of the architecture.
            let accel = value
                .as_str()
                .ok_or_else(|| "a string: `jit` or `interp`".to_string())
                .and_then(str::parse::<Accel>)
                .map_err(|message| {
                    BuildError::new(
                        subject.clone(),
                        BuildErrorKind::Refused {
                            id: id.to_string(),
                            message: format!("accel: {message}"),
                        },
                    )
                })?;
            self.cluster_accel.insert(id.to_string(), accel);
            return Ok(());
        }
        let info = self.info(&decl.type_name).clone();
        if info.property(name).is_none() {
            return Err(BuildError::new(
                subject,
                BuildErrorKind::UnknownProperty {
                    type_name: decl.type_name.clone(),
                    property: name.to_string(),
                    suggestion: info.suggest_property(name).map(str::to_string),
                },
            ));
        }
        self.tree
            .set_property(&decl.path, &info, name, value)
            .map_err(|e| BuildError::new(subject, e))
    }

    /// Chooses the backend of every cluster without a choice of its own.
    pub fn set_accel(&mut self, accel: Accel) {
        self.accel = accel;
    }

    /// Chooses the backend of cluster `id`.
    pub fn set_cluster_accel(&mut self, id: &str, accel: Accel) -> Result<(), BuildError> {
        let known = self.ids_of(ObjectKind::Cluster);
        if !known.iter().any(|c| c == id) {
            return Err(BuildError::new(
                Subject::Object(id.to_string()),
                BuildErrorKind::UnknownObject {
                    object: id.to_string(),
                    known,
                },
            ));
        }
        self.cluster_accel.insert(id.to_string(), accel);
        Ok(())
    }

    /// Says which address space cluster `id`'s CPUs see.
    pub fn set_cluster_space(&mut self, id: &str, space: &str) -> Result<(), BuildError> {
        if self.declared(id).is_none() {
            return Err(BuildError::new(
                Subject::ClusterSpace(id.to_string()),
                BuildErrorKind::Undeclared { id: id.into() },
            ));
        }
        let known = self.ids_of(ObjectKind::AddressSpace);
        if !known.iter().any(|s| s == space) {
            return Err(BuildError::new(
                Subject::ClusterSpace(id.to_string()),
                BuildErrorKind::UnknownSpace {
                    space: space.to_string(),
                    known,
                },
            ));
        }
        if let Some(o) = self.objects.iter_mut().find(|o| o.id == id) {
            o.space = Some(space.to_string());
        }
        Ok(())
    }

    /// Places memory or device `id` in `space`.
    pub fn map(&mut self, id: &str, placement: Placement) -> Result<(), BuildError> {
        let index = self.declared(id).map(|o| o.maps.len()).ok_or_else(|| {
            BuildError::new(
                Subject::Map(id.to_string(), 0),
                BuildErrorKind::Undeclared { id: id.into() },
            )
        })?;
        let known = self.ids_of(ObjectKind::AddressSpace);
        if !known.contains(&placement.space) {
            return Err(BuildError::new(
                Subject::Map(id.to_string(), index),
                BuildErrorKind::UnknownSpace {
                    space: placement.space,
                    known,
                },
            ));
        }
        if let Some(o) = self.objects.iter_mut().find(|o| o.id == id) {
            o.maps.push(placement);
        }
        Ok(())
    }

    /// Connects output pin `from` to input pin `to` (`OBJECT.PIN[INDEX]`).
    /// A `*` in both ends stands for 0, 1, 2, … as long as both ends exist
    /// (`clint.mtip[*]` to `cpu/cpu*.mtip`). Checked when the machine is
    /// wired.
    pub fn connect(&mut self, from: &str, to: &str) {
        self.lines.push((from.to_string(), to.to_string()));
    }

    /// Adds an image to load at realize.
    pub fn add_image(&mut self, image: ImageSpec) -> Result<(), BuildError> {
        let index = self.images.len();
        let known = self.ids_of(ObjectKind::Cluster);
        if !known.contains(&image.cluster) {
            return Err(BuildError::new(
                Subject::Image(index),
                BuildErrorKind::UnknownCluster {
                    cluster: image.cluster,
                    known,
                },
            ));
        }
        check_image_path(&image.path)
            .map_err(|kind| BuildError::new(Subject::Image(index), kind))?;
        self.images.push(image);
        Ok(())
    }

    /// Boots cluster `firmware.cluster` from firmware the way QEMU's `virt`
    /// does with `-bios` (see [`FirmwareSpec`]).
    pub fn set_firmware(&mut self, firmware: FirmwareSpec) -> Result<(), BuildError> {
        let known = self.ids_of(ObjectKind::Cluster);
        if !known.contains(&firmware.cluster) {
            return Err(BuildError::new(
                Subject::Machine,
                BuildErrorKind::UnknownCluster {
                    cluster: firmware.cluster,
                    known,
                },
            ));
        }
        let paths = [&firmware.kernel, &firmware.initrd, &firmware.dtb];
        for path in std::iter::once(&firmware.bios).chain(paths.into_iter().flatten()) {
            check_image_path(path).map_err(|kind| BuildError::new(Subject::Machine, kind))?;
        }
        self.firmware = Some(firmware);
        Ok(())
    }

    /// Drops the images declared for `cluster` (a `--kernel` replaces them).
    pub fn clear_images(&mut self, cluster: &str) {
        self.images.retain(|i| i.cluster != cluster);
    }

    /// The clusters, in declaration order.
    pub fn clusters(&self) -> Vec<String> {
        self.ids_of(ObjectKind::Cluster)
    }

    /// Builds the machine: configure, wire and realize every object.
    pub fn realize(mut self, serial: &SerialConfig) -> Result<Machine, BuildError> {
        self.configure_all()?;
        let config = |tree: &ObjectTree, d: &Declared| -> Value {
            tree.get(&d.path)
                .map(|n| n.props_value())
                .unwrap_or(Value::Null)
        };

        // CPUs and their interrupt inputs exist before any line is wired.
        let mut cpu_inputs: BTreeMap<ObjectPath, Arc<IrqInputs>> = BTreeMap::new();
        let mut pins: BTreeMap<ObjectPath, Vec<PinInfo>> = BTreeMap::new();
        let mut cluster_irqs: BTreeMap<String, Vec<Arc<IrqInputs>>> = BTreeMap::new();
        let cpu_info = self.info("cpu").clone();
        for d in self.objects.clone() {
            let refused = |message: String| {
                BuildError::new(
                    Subject::Object(d.id.clone()),
                    BuildErrorKind::Refused {
                        id: d.id.clone(),
                        message,
                    },
                )
            };
            let cfg = config(&self.tree, &d);
            match &self
                .registry
                .get(&d.type_name)
                .map(|t| t.constructor.clone())
            {
                Ok(Constructor::Cluster(ct)) => {
                    if d.space.is_none() {
                        return Err(BuildError::new(
                            Subject::Object(d.id.clone()),
                            BuildErrorKind::ClusterWithoutSpace { id: d.id.clone() },
                        ));
                    }
                    let irq_pins = ct.cpu_pins(&cfg).map_err(refused)?;
                    let irqs = ct.irq_inputs(&cfg).map_err(refused)?;
                    for (hart, irq) in irqs.iter().enumerate() {
                        let path = d
                            .path
                            .child(&format!("cpu{hart}"))
                            .map_err(|e| BuildError::new(Subject::Object(d.id.clone()), e))?;
                        self.tree
                            .create(path.clone(), &cpu_info)
                            .and_then(|_| self.tree.configure(&path, &cpu_info))
                            .map_err(|e| BuildError::new(Subject::Object(d.id.clone()), e))?;
                        pins.insert(path.clone(), irq_pins.clone());
                        cpu_inputs.insert(path, irq.clone());
                    }
                    cluster_irqs.insert(d.id.clone(), irqs);
                }
                Ok(Constructor::Device(dt)) => {
                    pins.insert(d.path.clone(), dt.pins(&cfg).map_err(refused)?);
                }
                _ => {}
            }
        }

        // Wire: every line from an output to an input.
        let mut late: BTreeMap<ObjectPath, Arc<LateSink>> = BTreeMap::new();
        let mut outputs: BTreeMap<ObjectPath, Vec<(String, u32, Line)>> = BTreeMap::new();
        let mut used_outputs: Vec<PinRef> = Vec::new();
        let mut wires = Vec::new();
        let mut expanded = Vec::new();
        for (index, (from, to)) in self.lines.iter().enumerate() {
            if !from.contains('*') && !to.contains('*') {
                expanded.push((index, from.clone(), to.clone()));
                continue;
            }
            // `clint.mtip[*]` to `cpu/cpu*.mtip`: one line per index that
            // exists at both ends.
            for i in 0u32.. {
                let (f, t) = (
                    from.replace('*', &i.to_string()),
                    to.replace('*', &i.to_string()),
                );
                let both = self
                    .pin_end(index, false, &f, &pins, PinDirection::Output)
                    .is_ok()
                    && self
                        .pin_end(index, true, &t, &pins, PinDirection::Input)
                        .is_ok();
                if !both {
                    if i == 0 {
                        expanded.push((index, f, t));
                    }
                    break;
                }
                expanded.push((index, f, t));
            }
        }
        for (index, from, to) in expanded {
            let from_ref = self.pin_end(index, false, &from, &pins, PinDirection::Output)?;
            let (to_ref, to_pin_index, to_index) = {
                let r = self.pin_end(index, true, &to, &pins, PinDirection::Input)?;
                let flat = flat_input_index(&pins[&r.0.object], &r.0, r.1);
                (r.0, r.1, flat)
            };
            if used_outputs.contains(&from_ref.0) {
                return Err(BuildError::new(
                    Subject::Line(index, false),
                    chimera_core::CoreError::OutputAlreadyConnected {
                        pin: from_ref.0.to_string(),
                    },
                ));
            }
            used_outputs.push(from_ref.0.clone());
            wires.push(Wire {
                from: PinEnd {
                    object: from_ref.0.object.relative().to_string(),
                    pin: from_ref.0.pin.clone(),
                    index: from_ref.1,
                },
                to: PinEnd {
                    object: to_ref.object.relative().to_string(),
                    pin: to_ref.pin.clone(),
                    index: to_pin_index,
                },
            });
            let end = match cpu_inputs.get(&to_ref.object) {
                Some(irq) => InputEnd::Cpu(irq.clone()),
                None => InputEnd::Device(late.entry(to_ref.object.clone()).or_default().clone()),
            };
            let line = match end {
                InputEnd::Cpu(irq) => Line::new(irq, to_index),
                InputEnd::Device(sink) => Line::new(sink, to_index),
            };
            outputs.entry(from_ref.0.object.clone()).or_default().push((
                from_ref.0.pin.clone(),
                from_ref.1,
                line,
            ));
        }
        let paths: Vec<ObjectPath> = self.tree.iter().map(|n| n.path().clone()).collect();
        for path in &paths {
            self.tree
                .wire(path)
                .map_err(|e| BuildError::new(Subject::Machine, e))?;
        }

        // Realize: devices, memories, spaces, clusters, images.
        let clock = Clock::new();
        let control = Arc::new(RunControl::new());
        let uarts: Vec<String> = self
            .objects
            .iter()
            .filter(
                |d| match self.registry.get(&d.type_name).map(|t| &t.constructor) {
                    Ok(Constructor::Device(dt)) => dt.has_serial(),
                    _ => false,
                },
            )
            .map(|d| d.path.relative().to_string())
            .collect();
        let serial_refused = |message: String| {
            BuildError::new(
                Subject::Machine,
                BuildErrorKind::Refused {
                    id: "serial".into(),
                    message,
                },
            )
        };
        let consoles: Vec<String> = self
            .ids_of(ObjectKind::Cluster)
            .into_iter()
            .map(|id| format!("{id}/semihosting"))
            .collect();
        serial
            .check_names(&uarts, &consoles)
            .map_err(serial_refused)?;
        let uart_backends = serial.backends(&uarts, &control).map_err(serial_refused)?;
        let mut backends = uart_backends.clone().into_iter();
        let mut spaces: BTreeMap<String, AddressSpace> = self
            .ids_of(ObjectKind::AddressSpace)
            .into_iter()
            .map(|id| (id.clone(), AddressSpace::new(&id)))
            .collect();
        let mut parts: Vec<Part> = Vec::new();
        let mut batches: BTreeMap<String, MapBatch> = BTreeMap::new();
        for d in self.objects.clone() {
            let cfg = config(&self.tree, &d);
            let mut part = Part {
                id: d.path.relative().to_string(),
                type_name: d.type_name.clone(),
                kind: d.kind,
                config: cfg.clone(),
                maps: Vec::new(),
                cluster: None,
            };
            let refused = |message: String| {
                BuildError::new(
                    Subject::Object(d.id.clone()),
                    BuildErrorKind::Refused {
                        id: d.id.clone(),
                        message,
                    },
                )
            };
            let regions: Vec<Region> = match self
                .registry
                .get(&d.type_name)
                .map(|t| t.constructor.clone())
            {
                Ok(Constructor::Memory { read_only }) => {
                    let mc: MemoryConfig =
                        serde_json::from_value(cfg).map_err(|e| refused(e.to_string()))?;
                    let ram =
                        Ram::try_new(mc.size.bytes()).map_err(|e| refused(format!("size: {e}")))?;
                    let ram = Arc::new(ram);
                    let name = d.path.relative();
                    let region = if read_only {
                        Region::rom(name, ram)
                    } else {
                        Region::ram(name, ram)
                    };
                    vec![region; d.maps.len()]
                }
                Ok(Constructor::Device(dt)) => {
                    let serial = if dt.has_serial() {
                        backends.next()
                    } else {
                        None
                    };
                    let mut env =
                        DeviceEnv::new(d.path.clone(), clock.clone(), control.clone(), serial);
                    for (pin, index, line) in outputs.remove(&d.path).unwrap_or_default() {
                        env.connect_output(&pin, index, line);
                    }
                    let DeviceParts { windows, inputs } = dt.build(&cfg, env).map_err(refused)?;
                    if let (Some(sink), Some(receiver)) = (late.get(&d.path), inputs) {
                        let _ = sink.0.set(receiver);
                    }
                    if d.maps.len() > windows.len() {
                        return Err(BuildError::new(
                            Subject::Map(d.id.clone(), windows.len()),
                            BuildErrorKind::TooManyMaps {
                                id: d.id.clone(),
                                windows: windows.len(),
                                maps: d.maps.len(),
                            },
                        ));
                    }
                    windows
                        .into_iter()
                        .map(|w| Region::mmio(d.path.relative(), w.size, w.mmio, w.endian))
                        .collect()
                }
                _ => Vec::new(),
            };
            for (index, (placement, region)) in d.maps.iter().zip(regions).enumerate() {
                part.maps.push(Mapped {
                    space: placement.space.clone(),
                    base: placement.base,
                    size: region.size(),
                });
                let batch = batches.entry(placement.space.clone()).or_default();
                batch.0.push((placement.base, region, placement.priority));
                batch.1.push(Subject::Map(d.id.clone(), index));
            }
            parts.push(part);
        }
        // Each space's flat view is built once, over all its mappings.
        for (name, (maps, subjects)) in batches {
            let space = spaces
                .get_mut(&name)
                .expect("placements name declared spaces (checked by map)");
            space
                .map_all(maps)
                .map_err(|(i, e)| BuildError::new(subjects[i].clone(), e))?;
        }
        let spaces: BTreeMap<String, Arc<AddressSpace>> =
            spaces.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();

        let mut clusters = Vec::new();
        let mut first_index = 0;
        for (watcher, d) in self
            .objects
            .iter()
            .filter(|d| d.kind == ObjectKind::Cluster)
            .enumerate()
        {
            let Ok(Constructor::Cluster(ct)) = self
                .registry
                .get(&d.type_name)
                .map(|t| t.constructor.clone())
            else {
                continue;
            };
            let cfg = config(&self.tree, d);
            let refused = |message: String| {
                BuildError::new(
                    Subject::Object(d.id.clone()),
                    BuildErrorKind::Refused {
                        id: d.id.clone(),
                        message,
                    },
                )
            };
            let irqs = cluster_irqs.remove(&d.id).unwrap_or_default();
            let cpus = irqs.len() as u32;
            let space = d
                .space
                .as_ref()
                .and_then(|s| spaces.get(s))
                .expect("clusters have a declared space (checked above)")
                .clone();
            let params = ct.params(&cfg).map_err(refused)?;
            let setup = ClusterSetup {
                name: d.id.clone(),
                params,
                first_index,
                watcher: watcher as u32,
                irqs,
                space,
                control: control.clone(),
                console: Some(Arc::new(HostConsoleBackend(
                    serial
                        .host_console(&format!("{}/semihosting", d.id), &uarts, &uart_backends)
                        .map_err(serial_refused)?,
                ))),
            };
            let mut cluster = ct.build(&cfg, setup).map_err(refused)?;
            let accel = self.cluster_accel.get(&d.id).copied().unwrap_or(self.accel);
            cluster.set_backend(accel.backend());
            if let Some(part) = parts.iter_mut().find(|p| p.id == d.path.relative()) {
                part.cluster = Some(ClusterFacts {
                    space: d.space.clone().unwrap_or_default(),
                    arch: cluster.arch().to_string(),
                    cpus,
                    word_bits: params.word_bits,
                    page_bits: params.page_bits,
                });
            }
            clusters.push(cluster);
            first_index += cpus;
        }
        let mut scheduler = Scheduler::new(clusters, clock.clone(), control.clone());

        let mut loaded = Vec::new();
        for (index, spec) in self.images.iter().enumerate() {
            let fail = |reason: String| {
                BuildError::new(
                    Subject::Image(index),
                    BuildErrorKind::ImageInvalid {
                        path: spec.path.display().to_string(),
                        reason,
                    },
                )
            };
            let image = read_image(&spec.path, spec.addr).map_err(fail)?;
            let Some(cluster_index) = scheduler
                .clusters()
                .iter()
                .position(|c| c.name() == spec.cluster)
            else {
                continue;
            };
            let cluster = &mut scheduler.clusters_mut()[cluster_index];
            load_segments(cluster.as_ref(), &image).map_err(fail)?;
            if spec.entry {
                if let Some(entry) = image.entry {
                    cluster.set_boot_pc(None, entry);
                }
            }
            loaded.push((cluster_index, image));
        }
        for path in &paths {
            self.tree
                .realize(path)
                .map_err(|e| BuildError::new(Subject::Machine, e))?;
        }
        let inventory = Inventory {
            name: self.name.clone(),
            parts,
            wires,
        };
        let firmware = self.firmware.take();
        let mut machine = Machine::assemble(crate::machine::Parts {
            name: self.name,
            registry: self.registry,
            tree: self.tree,
            scheduler,
            clock,
            control,
            spaces,
            images: loaded,
            inventory,
        });
        if let Some(firmware) = &firmware {
            crate::boot::boot_firmware(&mut machine, firmware)?;
        }
        Ok(machine)
    }

    fn configure_all(&mut self) -> Result<(), BuildError> {
        for d in self.objects.clone() {
            let info = self.info(&d.type_name).clone();
            self.tree
                .configure(&d.path, &info)
                .map_err(|e| BuildError::new(Subject::Object(d.id.clone()), e))?;
        }
        Ok(())
    }

    fn pin_end(
        &self,
        index: usize,
        to: bool,
        text: &str,
        pins: &BTreeMap<ObjectPath, Vec<PinInfo>>,
        direction: PinDirection,
    ) -> Result<(PinRef, u32), BuildError> {
        let subject = Subject::Line(index, to);
        let r = PinRef::parse(text).map_err(|e| BuildError::new(subject.clone(), e))?;
        let node = self.tree.get(&r.object).map_err(|_| {
            let mut known: Vec<String> = pins.keys().map(|p| p.relative().to_string()).collect();
            known.sort();
            BuildError::new(
                subject.clone(),
                BuildErrorKind::UnknownObject {
                    object: r.object.relative().to_string(),
                    known,
                },
            )
        })?;
        let empty = Vec::new();
        let list = pins.get(&r.object).unwrap_or(&empty);
        let i = r
            .check(node.type_name(), list, direction)
            .map_err(|e| BuildError::new(subject, e))?;
        Ok((r, i))
    }
}

/// The flat input index of `r` (element `index` of its pin) among the
/// object's inputs, arrays flattened in declaration order.
fn flat_input_index(pins: &[PinInfo], r: &PinRef, index: u32) -> u32 {
    let mut base = 0;
    for p in pins.iter().filter(|p| p.direction == PinDirection::Input) {
        if p.name == r.pin {
            return base + index;
        }
        base += p.count;
    }
    base
}

/// A space's mappings `(base, region, priority)`, each with what an error
/// in it is about.
type MapBatch = (Vec<(u64, Region, i32)>, Vec<Subject>);

/// Whether `path` names a file an image can be read from: a missing
/// path and what [`crate::image::not_a_regular_file`] refuses each get
/// their own words.
fn check_image_path(path: &std::path::Path) -> Result<(), BuildErrorKind> {
    let invalid = |reason: String| BuildErrorKind::ImageInvalid {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BuildErrorKind::ImageMissing {
            path: path.display().to_string(),
        }),
        Err(e) => Err(invalid(e.to_string())),
        Ok(m) => match crate::image::not_a_regular_file(&m) {
            Some(why) => Err(invalid(why.into())),
            None => Ok(()),
        },
    }
}

/// Zeros for filling the memory part of ELF segments, written a piece at
/// a time.
static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

/// Loads `image` into `cluster`'s space after checking that it is a
/// program for the cluster (an ELF file's machine, class and byte order)
/// and that every byte it places lands in RAM or ROM: nothing is written
/// for an image that does not fit.
pub(crate) fn load_segments(
    cluster: &dyn chimera_engine::ClusterRun,
    image: &Image,
) -> Result<(), String> {
    if let Some(elf) = &image.elf {
        let p = cluster.params();
        elf.check(cluster.elf_machine(), p.word_bits, p.endian)?;
    }
    let space = cluster.space();
    let nowhere = |seg: &crate::image::Segment, e: chimera_memory::BusError| {
        format!(
            "cannot load {} bytes at {:#x}: nothing writable at {:#x}",
            seg.len(),
            seg.addr,
            e.addr
        )
    };
    for seg in &image.segments {
        space
            .check_loadable(seg.addr, seg.len())
            .map_err(|e| nowhere(seg, e))?;
    }
    for seg in &image.segments {
        space
            .load_bytes(seg.addr, &seg.data)
            .map_err(|e| nowhere(seg, e))?;
        let mut at = seg.addr.wrapping_add(seg.data.len() as u64);
        let mut left = seg.zeros;
        while left > 0 {
            let n = left.min(ZEROS.len() as u64);
            space
                .load_bytes(at, &ZEROS[..n as usize])
                .map_err(|e| nowhere(seg, e))?;
            at = at.wrapping_add(n);
            left -= n;
        }
    }
    Ok(())
}

/// A CPU's host console writing to a character backend.
struct HostConsoleBackend(Arc<dyn chimera_devices::CharBackend>);

impl chimera_engine::HostConsole for HostConsoleBackend {
    fn write(&self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_and_spaces_of_undeclared_ids_are_refused() {
        let mut b = MachineBuilder::new("m", crate::builtin_registry());
        b.add_object("sys", "address-space", &[ObjectKind::AddressSpace])
            .unwrap();
        let placement = Placement {
            space: "sys".into(),
            base: 0,
            priority: 0,
        };
        let e = b.map("ghost", placement).unwrap_err();
        assert!(
            matches!(*e.kind, BuildErrorKind::Undeclared { .. }),
            "{e:?}"
        );
        let e = b.set_cluster_space("ghost", "sys").unwrap_err();
        assert!(
            matches!(*e.kind, BuildErrorKind::Undeclared { .. }),
            "{e:?}"
        );
        b.add_object("ram", "ram", &[ObjectKind::Memory]).unwrap();
        b.remove_object("ram").unwrap();
        b.add_object("ram", "ram", &[ObjectKind::Memory]).unwrap();
    }
}
