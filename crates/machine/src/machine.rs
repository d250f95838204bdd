//! A realized machine: its object tree, its address spaces, its clusters
//! under a scheduler, and what it takes to run and reset it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chimera_core::ObjectTree;
use chimera_engine::{Clock, ExitRequest, RunControl, RunLimits, RunOutcome, Scheduler};
use chimera_memory::AddressSpace;

use crate::builder::load_segments;
use crate::image::Image;
use crate::inventory::Inventory;
use crate::registry::Registry;

/// What the builder hands over.
pub(crate) struct Parts {
    pub name: String,
    pub registry: Arc<Registry>,
    pub tree: ObjectTree,
    pub scheduler: Scheduler,
    pub clock: Arc<Clock>,
    pub control: Arc<RunControl>,
    pub spaces: BTreeMap<String, Arc<AddressSpace>>,
    pub images: Vec<(usize, Image)>,
    pub inventory: Inventory,
}

/// A machine ready to run.
pub struct Machine {
    name: String,
    registry: Arc<Registry>,
    tree: ObjectTree,
    scheduler: Scheduler,
    clock: Arc<Clock>,
    control: Arc<RunControl>,
    spaces: BTreeMap<String, Arc<AddressSpace>>,
    images: Vec<(usize, Image)>,
    inventory: Inventory,
    resets: u64,
    /// Why the machine cannot run again (it panicked).
    failed: Option<String>,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("name", &self.name)
            .field("objects", &self.tree.len())
            .field("scheduler", &self.scheduler)
            .finish_non_exhaustive()
    }
}

/// Most guest-requested resets in one run before it is called a loop.
const MAX_RESETS: u64 = 1000;

impl Machine {
    pub(crate) fn assemble(p: Parts) -> Self {
        Machine {
            name: p.name,
            registry: p.registry,
            tree: p.tree,
            scheduler: p.scheduler,
            clock: p.clock,
            control: p.control,
            spaces: p.spaces,
            images: p.images,
            inventory: p.inventory,
            resets: 0,
            failed: None,
        }
    }

    /// The machine's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The registry it was built from.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Its composition tree.
    pub fn tree(&self) -> &ObjectTree {
        &self.tree
    }

    /// Its composition tree, for property changes.
    pub fn tree_mut(&mut self) -> &mut ObjectTree {
        &mut self.tree
    }

    /// Its scheduler and clusters.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Its scheduler, writable.
    pub fn scheduler_mut(&mut self) -> &mut Scheduler {
        &mut self.scheduler
    }

    /// Its run control (to stop it from outside).
    pub fn control(&self) -> &Arc<RunControl> {
        &self.control
    }

    /// Its virtual clock.
    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Its address spaces by id.
    pub fn spaces(&self) -> &BTreeMap<String, Arc<AddressSpace>> {
        &self.spaces
    }

    /// What it is made of: objects, placements, lines.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// A flattened device tree of what cluster `cluster`'s CPUs see (see
    /// [`crate::fdt`]).
    pub fn device_tree(&self, cluster: &str) -> Result<Vec<u8>, crate::fdt::FdtError> {
        crate::fdt::generate(&self.inventory, cluster, &crate::fdt::Chosen::default())
    }

    /// Adds an image that was loaded into cluster `cluster` (its index in
    /// the scheduler), so that a reset loads it again.
    pub(crate) fn keep_image(&mut self, cluster: usize, image: Image) {
        self.images.push((cluster, image));
    }

    /// Guest-requested resets so far.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Runs until the guest ends the run or a limit is reached. A reset
    /// the guest asks for is carried out and the run goes on.
    ///
    /// A panic while the machine runs (a bug in Chimera, never the
    /// guest's doing) ends the run with an internal error that says where
    /// each CPU was; the machine refuses to run again, and the process
    /// and its other clients carry on.
    pub fn run(&mut self, limits: RunLimits) -> RunOutcome {
        if let Some(message) = &self.failed {
            return RunOutcome::Exit(ExitRequest::Error(message.clone()));
        }
        let run =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_contained(limits)));
        run.unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            let message = format!(
                "internal error in machine `{}`: {what} ({}); the machine cannot go on. \
                 This is a bug in Chimera: please report it with the command line and images",
                self.name,
                self.cpu_positions()
            );
            self.failed = Some(message.clone());
            RunOutcome::Exit(ExitRequest::Error(message))
        })
    }

    /// Where every CPU is, for a report: `app/cpu0 at pc 0x80000000, …`.
    fn cpu_positions(&self) -> String {
        let mut at = Vec::new();
        for c in self.scheduler.clusters() {
            for cpu in c.cpus() {
                at.push(format!("{}/cpu{} at pc {:#x}", c.name(), cpu.hart, cpu.pc));
            }
        }
        at.join(", ")
    }

    fn run_contained(&mut self, limits: RunLimits) -> RunOutcome {
        loop {
            match self.scheduler.run(limits) {
                RunOutcome::Exit(ExitRequest::Reset) if self.resets < MAX_RESETS => {
                    self.resets += 1;
                    if let Err(message) = self.reset() {
                        return RunOutcome::Exit(ExitRequest::Error(message));
                    }
                }
                other => return other,
            }
        }
    }

    /// Resets the machine: images are loaded again and every CPU returns to
    /// its boot state.
    pub fn reset(&mut self) -> Result<(), String> {
        for (cluster, image) in &self.images {
            load_segments(self.scheduler.clusters()[*cluster].as_ref(), image)?;
        }
        self.scheduler.reset();
        Ok(())
    }

    /// Which address space each cluster sees, and every line between
    /// pins, one per line of text.
    pub fn render_wiring(&self) -> String {
        let mut out = String::new();
        for part in &self.inventory.parts {
            if let Some(c) = &part.cluster {
                out.push_str(&format!(
                    "cluster {} ({}, {} cpu{}) sees address-space {}\n",
                    part.id,
                    c.arch,
                    c.cpus,
                    if c.cpus == 1 { "" } else { "s" },
                    c.space
                ));
            }
        }
        for w in &self.inventory.wires {
            out.push_str(&format!(
                "line {}.{}[{}] -> {}.{}[{}]\n",
                w.from.object, w.from.pin, w.from.index, w.to.object, w.to.pin, w.to.index
            ));
        }
        out
    }

    /// Every address space's map, like QEMU's `info mtree`.
    pub fn render_mtree(&self) -> String {
        self.spaces
            .values()
            .map(|s| s.render())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
