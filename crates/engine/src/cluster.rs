//! Clusters: CPUs of one architecture and configuration that share a
//! frontend, a block cache and an address space, and the loop that runs
//! them: look up or translate a block, run it, take traps and interrupts
//! between blocks, keep local virtual time.

use std::collections::BTreeSet;
use std::sync::Arc;

use chimera_core::PinInfo;
use chimera_memory::{AddressSpace, Ram};

use crate::ir::IrBuilder;
use crate::native::{Backend, BackendStats};
use crate::run::{CpuRun, RunStats, Shared};
use crate::tier::Tiering;
use crate::trap::TrapStorm;
use crate::{
    BlockCache, Clock, ClusterParams, CpuEnv, CpuState, Frontend, IrqInputs, Mmu, RunControl,
};

/// What the outside world sees of one CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuInfo {
    /// Machine-wide CPU index.
    pub index: u32,
    /// Index within the cluster.
    pub hart: u32,
    /// Next instruction's address.
    pub pc: u64,
    /// Instructions retired.
    pub insns: u64,
    /// Waiting for an interrupt.
    pub halted: bool,
    /// Virtual time it spent asleep (waiting for an interrupt or held in
    /// reset), skipped rather than run.
    pub slept_ns: u64,
}

/// How a cluster's run slice ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceEnd {
    /// Every CPU is halted waiting for an interrupt.
    pub all_halted: bool,
    /// Instructions retired in the slice.
    pub retired: u64,
    /// A CPU fell into a trap storm during the slice.
    pub trap_storm: Option<TrapStorm>,
}

/// A cluster as the scheduler and the machine drive it, whatever its
/// architecture.
pub trait ClusterRun: Send {
    /// The cluster's id.
    fn name(&self) -> &str;
    /// Its architecture's name.
    fn arch(&self) -> &str;
    /// The ELF `e_machine` its programs carry, if it checks them.
    fn elf_machine(&self) -> Option<u16>;
    /// Its parameters.
    fn params(&self) -> &ClusterParams;
    /// Its address space.
    fn space(&self) -> &Arc<AddressSpace>;
    /// Runs every CPU until its local time reaches `deadline_ns`, it
    /// halts, the machine is stopped, or `budget` instructions are spent.
    fn run_until(&mut self, deadline_ns: u64, clock: &Clock, budget: u64) -> SliceEnd;
    /// Puts every CPU back in its reset state.
    fn reset(&mut self);
    /// The CPUs' state summaries.
    fn cpus(&self) -> Vec<CpuInfo>;
    /// Instructions retired by all CPUs.
    fn insns(&self) -> u64;
    /// The interrupt inputs of CPU `hart`.
    fn irq_inputs(&self, hart: u32) -> Option<Arc<IrqInputs>>;
    /// The pins of each CPU's interrupt inputs.
    fn irq_pins(&self) -> Vec<PinInfo>;
    /// Sets where CPU `hart` (all CPUs when `None`) starts, now and after
    /// every reset.
    fn set_boot_pc(&mut self, hart: Option<u32>, pc: u64);
    /// Sets the arguments CPU `hart` (all CPUs when `None`) starts with, in
    /// its architecture's argument registers (see
    /// [`Frontend::set_boot_args`]), now and after every reset: what a
    /// loader hands to firmware, such as a hart id and a device tree.
    fn set_boot_args(&mut self, hart: Option<u32>, args: &[u64]) -> Result<(), String>;
    /// CPU `hart`'s registers as text.
    fn dump_registers(&self, hart: u32) -> Option<String>;
    /// Blocks translated and invalidated so far.
    fn cache_stats(&self) -> (u64, u64);
    /// What its run loop did so far.
    fn run_stats(&self) -> RunStats;
    /// The earliest wake-up a CPU asked for (its own timer), or `NEVER`.
    fn next_wakeup(&self) -> u64;
    /// Whether a sleeping CPU's inputs changed since it last looked (a
    /// device of another cluster may have raised its interrupt).
    fn may_wake(&self) -> bool;
    /// Replaces the set of breakpoint addresses (virtual pcs).
    fn set_breakpoints(&mut self, pcs: BTreeSet<u64>);
    /// Replaces the set of watchpoints.
    fn set_watchpoints(&mut self, watchpoints: Vec<crate::debug::Watchpoint>);
    /// The CPU that stopped for the debugger, if one did since last asked.
    fn take_debug_stop(&mut self) -> Option<DebugStop>;
    /// Runs exactly one instruction on CPU `hart` (into a trap handler if
    /// the instruction traps); returns the new pc.
    fn step(&mut self, hart: u32, clock: &Clock) -> Option<u64>;
    /// The debugger's view of the architecture, when the frontend has one.
    fn debug(&mut self) -> Option<&mut dyn crate::debug::ClusterDebug>;
    /// Runs hot blocks as code `backend` compiles (`None`: interpret
    /// everything). Blocks compiled by an earlier backend are dropped.
    fn set_backend(&mut self, backend: Option<Box<dyn Backend>>);
    /// Compiles every block after `runs` runs (at least 1) instead of
    /// when the tier policy expects the compile to pay ([`crate::tier`]).
    fn set_hot_threshold(&mut self, runs: u32);
    /// The backend's name and statistics, when there is one.
    fn backend_stats(&self) -> Option<(String, BackendStats)>;
}

/// One CPU: its soft-MMU, which its environment borrows while it runs,
/// and everything else about it.
pub(crate) struct CpuSlot<C> {
    pub(crate) mmu: Mmu,
    pub(crate) cpu: CpuRun<C>,
}

/// A RAM block mapped on the cluster's space, for code invalidation.
pub(crate) struct RamWindow {
    ram: Arc<Ram>,
    base: u64,
    ram_offset: u64,
    size: u64,
}

/// Drops the blocks translated from code written since the last look.
pub(crate) fn drop_written_code(rams: &[RamWindow], cache: &mut BlockCache, watcher: u32) {
    let bits = chimera_memory::ram::CODE_PAGE_BITS;
    for (i, w) in rams.iter().enumerate() {
        if !w.ram.has_dirty_code(watcher) {
            continue;
        }
        let written = w.ram.take_dirty_code(watcher);
        // The first window of a RAM takes its list; the RAM may be mapped
        // again further on (an alias), where the same bytes are other
        // physical addresses.
        let windows = || rams[i..].iter().filter(|v| Arc::ptr_eq(&v.ram, &w.ram));
        for &(offset, len) in &written {
            for v in windows() {
                let lo = offset.max(v.ram_offset);
                let hi = offset.saturating_add(len).min(v.ram_offset + v.size);
                if lo < hi {
                    cache.invalidate_range(v.base + (lo - v.ram_offset), hi - lo);
                }
            }
        }
        // A page no block reads any more is plain data again.
        for &(offset, _) in &written {
            let page_offset = offset >> bits << bits;
            let page_end = page_offset + (1 << bits);
            let held = windows().any(|v| {
                let lo = page_offset.max(v.ram_offset);
                let hi = page_end.min(v.ram_offset + v.size);
                lo < hi && {
                    let first = (v.base + (lo - v.ram_offset)) >> bits;
                    let last = (v.base + (hi - 1 - v.ram_offset)) >> bits;
                    (first..=last).any(|p| cache.holds_page(p))
                }
            });
            if !held {
                w.ram.release_code_page(page_offset, watcher);
            }
        }
    }
}

/// The input every CPU has besides its architecture's interrupts: while
/// it is high the CPU is held in reset; when it falls the CPU starts from
/// its reset state. It follows the frontend's pins.
pub fn reset_pin() -> PinInfo {
    PinInfo::input("reset", "holds the CPU in reset while high")
}

/// Everything a cluster is made from besides its frontend.
#[derive(Debug)]
pub struct ClusterSetup {
    /// The cluster's id.
    pub name: String,
    /// Its architecture parameters.
    pub params: ClusterParams,
    /// Machine-wide index of its first CPU.
    pub first_index: u32,
    /// Its code-tracking id, unique within the machine (below 64).
    pub watcher: u32,
    /// One set of interrupt inputs per CPU, made before the devices that
    /// drive them (see [`irq_inputs_for`]).
    pub irqs: Vec<Arc<IrqInputs>>,
    /// The address space its CPUs see.
    pub space: Arc<AddressSpace>,
    /// The machine's run control.
    pub control: Arc<RunControl>,
    /// Where the CPUs' host-facing output (semihosting) goes, if anywhere.
    pub console: Option<Arc<dyn crate::HostConsole>>,
}

/// Interrupt inputs for `count` CPUs of `frontend`, ready to be wired
/// before the cluster exists.
pub fn irq_inputs_for<F: Frontend>(frontend: &F, count: u32) -> Vec<Arc<IrqInputs>> {
    let pins: u32 = frontend.irq_pins().iter().map(|p| p.count).sum::<u32>() + 1;
    (0..count).map(|_| Arc::new(IrqInputs::new(pins))).collect()
}

/// The CPUs of one architecture, running one frontend.
pub struct Cluster<F: Frontend> {
    name: String,
    params: ClusterParams,
    frontend: F,
    space: Arc<AddressSpace>,
    control: Arc<RunControl>,
    cpus: Vec<CpuSlot<F::Cpu>>,
    cache: BlockCache,
    builder: IrBuilder,
    vals: Vec<u64>,
    watcher: u32,
    rams: Vec<RamWindow>,
    verify_ir: bool,
    reset_pin: u32,
    breakpoints: BTreeSet<u64>,
    watchpoints: Vec<crate::debug::Watchpoint>,
    debug_stop: Option<DebugStop>,
    trap_storm: Option<TrapStorm>,
    backend: Option<Box<dyn Backend>>,
    tiering: Tiering,
    stats: RunStats,
    /// The last chain epoch handed out to one of its CPUs.
    epochs: u64,
}

/// Why a CPU stopped for the debugger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugStopReason {
    /// It reached a breakpoint.
    Breakpoint,
    /// It finished a single step.
    Step,
    /// An access tripped a watchpoint (at address `addr`).
    Watchpoint {
        /// The watchpoint.
        watch: crate::debug::Watchpoint,
        /// The address accessed.
        addr: u64,
    },
}

/// A CPU that stopped for the debugger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebugStop {
    /// The CPU within its cluster.
    pub hart: u32,
    /// Where it stopped.
    pub pc: u64,
    /// What stopped it: a breakpoint, a single step or a watchpoint.
    pub reason: DebugStopReason,
}

impl<F: Frontend> std::fmt::Debug for Cluster<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Cluster({}, {} x {})",
            self.name,
            self.cpus.len(),
            self.frontend.arch()
        )
    }
}

/// Longest stretch of virtual time one CPU runs before the next CPU of
/// its cluster gets its turn, so that CPUs spinning on each other progress.
const CPU_SLICE_NS: u64 = 2_000;

impl<F: Frontend> Cluster<F> {
    /// A cluster running `frontend` as `setup` describes; it has one CPU
    /// per entry of `setup.irqs`.
    pub fn new(frontend: F, setup: ClusterSetup) -> Self {
        let ClusterSetup {
            name,
            params,
            first_index,
            watcher,
            irqs,
            space,
            control,
            console: _,
        } = setup;
        let reset_pin: u32 = frontend.irq_pins().iter().map(|p| p.count).sum();
        let cpus = irqs
            .into_iter()
            .enumerate()
            .map(|(hart, irq)| {
                let mut state = frontend.new_cpu(hart as u32);
                frontend.reset(&mut state);
                CpuSlot {
                    mmu: Mmu::new(params.page_bits.min(12)),
                    cpu: CpuRun::new(state, irq, first_index + hart as u32),
                }
            })
            .collect();
        let rams = space
            .ram_mappings()
            .map(|(base, ram, ram_offset, size)| RamWindow {
                ram: ram.clone(),
                base,
                ram_offset,
                size,
            })
            .collect();
        Cluster {
            name,
            params,
            frontend,
            space,
            control,
            cpus,
            cache: BlockCache::new(),
            builder: IrBuilder::new(),
            vals: Vec::new(),
            watcher,
            rams,
            verify_ir: cfg!(debug_assertions),
            reset_pin,
            breakpoints: BTreeSet::new(),
            watchpoints: Vec::new(),
            debug_stop: None,
            trap_storm: None,
            backend: None,
            tiering: Tiering::default(),
            stats: RunStats::default(),
            epochs: 0,
        }
    }

    /// Checks every translated block with the IR verifier (on by default
    /// in debug builds).
    pub fn set_verify(&mut self, on: bool) {
        self.verify_ir = on;
    }

    /// The frontend.
    pub fn frontend(&self) -> &F {
        &self.frontend
    }

    /// CPU `hart`'s full state.
    pub fn cpu_state(&self, hart: u32) -> Option<&F::Cpu> {
        self.cpus.get(hart as usize).map(|c| &c.cpu.state)
    }

    /// CPU `hart`'s full state, writable.
    pub fn cpu_state_mut(&mut self, hart: u32) -> Option<&mut F::Cpu> {
        self.cpus.get_mut(hart as usize).map(|c| &mut c.cpu.state)
    }

    /// Runs CPU `hart` (see [`Shared::run_cpu`]).
    fn run_cpu(
        &mut self,
        hart: usize,
        deadline_ns: u64,
        clock: &Clock,
        budget: u64,
        single: bool,
    ) -> u64 {
        let Cluster {
            params,
            frontend,
            space,
            control,
            cpus,
            cache,
            builder,
            vals,
            watcher,
            rams,
            verify_ir,
            reset_pin,
            breakpoints,
            watchpoints,
            debug_stop,
            trap_storm,
            backend,
            tiering,
            epochs,
            stats,
            ..
        } = self;
        let mut shared = Shared {
            fe: frontend,
            params,
            space,
            control,
            cache,
            builder,
            vals,
            rams,
            watcher: *watcher,
            verify_ir: *verify_ir,
            reset_pin: *reset_pin,
            breakpoints,
            watchpoints,
            backend: backend.as_deref_mut(),
            tiering: *tiering,
            epochs,
            debug_stop,
            trap_storm,
            stats,
        };
        shared.run_cpu(
            hart as u32,
            &mut cpus[hart],
            deadline_ns,
            clock,
            budget,
            single,
        )
    }
}

impl<F: Frontend> ClusterRun for Cluster<F> {
    fn name(&self) -> &str {
        &self.name
    }

    fn arch(&self) -> &str {
        self.frontend.arch()
    }

    fn elf_machine(&self) -> Option<u16> {
        self.frontend.elf_machine()
    }

    fn params(&self) -> &ClusterParams {
        &self.params
    }

    fn space(&self) -> &Arc<AddressSpace> {
        &self.space
    }

    fn run_until(&mut self, deadline_ns: u64, clock: &Clock, budget: u64) -> SliceEnd {
        drop_written_code(&self.rams, &mut self.cache, self.watcher);
        let mut retired = 0;
        loop {
            let mut progressed = false;
            for hart in 0..self.cpus.len() {
                let slot = &self.cpus[hart];
                let now = slot.cpu.now_ns(&self.params);
                if now >= deadline_ns && !slot.cpu.halted {
                    continue;
                }
                // A lone CPU has nobody to take turns with: it runs to the
                // deadline in one go (the same blocks, fewer returns here).
                let step_end = if self.cpus.len() == 1 {
                    deadline_ns
                } else {
                    deadline_ns.min(now.saturating_add(CPU_SLICE_NS))
                };
                let n = self.run_cpu(hart, step_end, clock, budget.saturating_sub(retired), false);
                retired += n;
                progressed |= n > 0;
            }
            let done = self.control.stop_requested()
                || retired >= budget
                || clock.next_deadline() <= self.min_local_ns()
                || self
                    .cpus
                    .iter()
                    .all(|c| c.cpu.halted || c.cpu.now_ns(&self.params) >= deadline_ns);
            if done || !progressed {
                break;
            }
        }
        SliceEnd {
            all_halted: self.cpus.iter().all(|c| c.cpu.halted),
            retired,
            trap_storm: self.trap_storm.take(),
        }
    }

    fn reset(&mut self) {
        for slot in &mut self.cpus {
            slot.cpu.restart(&self.frontend);
            slot.cpu.halted = false;
            slot.cpu.reset_pending = true;
            slot.mmu.flush();
        }
        self.cache.flush();
    }

    fn cpus(&self) -> Vec<CpuInfo> {
        self.cpus
            .iter()
            .enumerate()
            .map(|(hart, c)| CpuInfo {
                index: c.cpu.index,
                hart: hart as u32,
                pc: c.cpu.state.pc(),
                insns: c.cpu.insns,
                halted: c.cpu.halted,
                slept_ns: c.cpu.time.slept_ns(),
            })
            .collect()
    }

    fn insns(&self) -> u64 {
        self.cpus.iter().map(|c| c.cpu.insns).sum()
    }

    fn irq_inputs(&self, hart: u32) -> Option<Arc<IrqInputs>> {
        self.cpus.get(hart as usize).map(|c| c.cpu.irq.clone())
    }

    fn irq_pins(&self) -> Vec<PinInfo> {
        let mut pins = self.frontend.irq_pins();
        pins.push(reset_pin());
        pins
    }

    fn set_boot_pc(&mut self, hart: Option<u32>, pc: u64) {
        for (i, slot) in self.cpus.iter_mut().enumerate() {
            if hart.is_none_or(|h| h as usize == i) {
                slot.cpu.boot_pc = Some(pc);
                slot.cpu.state.set_pc(pc);
            }
        }
    }

    fn set_boot_args(&mut self, hart: Option<u32>, args: &[u64]) -> Result<(), String> {
        for (i, slot) in self.cpus.iter_mut().enumerate() {
            if hart.is_none_or(|h| h as usize == i) {
                self.frontend.set_boot_args(&mut slot.cpu.state, args)?;
                slot.cpu.boot_args = args.to_vec();
            }
        }
        Ok(())
    }

    fn dump_registers(&self, hart: u32) -> Option<String> {
        self.cpus
            .get(hart as usize)
            .map(|c| self.frontend.dump_registers(&c.cpu.state))
    }

    fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
    }

    fn run_stats(&self) -> RunStats {
        RunStats {
            mmu_flushes: self.cpus.iter().map(|c| c.mmu.generation()).sum(),
            epochs: self.epochs,
            ..self.stats
        }
    }

    fn set_breakpoints(&mut self, pcs: BTreeSet<u64>) {
        self.breakpoints = pcs;
    }

    fn set_watchpoints(&mut self, watchpoints: Vec<crate::debug::Watchpoint>) {
        self.watchpoints = watchpoints;
    }

    fn take_debug_stop(&mut self) -> Option<DebugStop> {
        self.debug_stop.take()
    }

    fn step(&mut self, hart: u32, clock: &Clock) -> Option<u64> {
        let h = hart as usize;
        if h >= self.cpus.len() {
            return None;
        }
        self.cpus[h].cpu.stopped_at = Some(self.cpus[h].cpu.state.pc());
        self.run_cpu(h, u64::MAX, clock, u64::MAX, true);
        self.debug_stop = Some(DebugStop {
            hart,
            pc: self.cpus[h].cpu.state.pc(),
            reason: DebugStopReason::Step,
        });
        Some(self.cpus[h].cpu.state.pc())
    }

    fn debug(&mut self) -> Option<&mut dyn crate::debug::ClusterDebug> {
        self.frontend.gdb()?;
        Some(self)
    }

    fn set_backend(&mut self, backend: Option<Box<dyn Backend>>) {
        self.backend = backend;
        self.cache.flush();
    }

    fn set_hot_threshold(&mut self, runs: u32) {
        self.tiering.fix(runs);
    }

    fn backend_stats(&self) -> Option<(String, BackendStats)> {
        self.backend
            .as_ref()
            .map(|b| (b.name().to_string(), b.stats()))
    }

    fn may_wake(&self) -> bool {
        self.cpus
            .iter()
            .any(|c| c.cpu.halted && !c.cpu.in_reset && c.cpu.irq.changes() != c.cpu.irq_seen)
            || self
                .cpus
                .iter()
                .any(|c| c.cpu.in_reset && !c.cpu.irq.level(self.reset_pin))
    }

    fn next_wakeup(&self) -> u64 {
        self.cpus
            .iter()
            .map(|c| c.cpu.wakeup_ns)
            .min()
            .unwrap_or(crate::clock::NEVER)
    }
}

impl<F: Frontend> Cluster<F> {
    fn min_local_ns(&self) -> u64 {
        self.cpus
            .iter()
            .filter(|c| !c.cpu.halted)
            .map(|c| c.cpu.now_ns(&self.params))
            .min()
            .unwrap_or(u64::MAX)
    }
}

impl<F: Frontend> Cluster<F> {
    /// Runs `f` with CPU `hart` and an environment for it, outside any run
    /// slice (debugger accesses).
    fn with_env<R>(
        &mut self,
        hart: u32,
        f: impl FnOnce(&F, &mut F::Cpu, &mut CpuEnv) -> R,
    ) -> Option<R> {
        let Cluster {
            params,
            frontend,
            space,
            control,
            cpus,
            watcher,
            ..
        } = self;
        let CpuSlot { mmu, cpu } = cpus.get_mut(hart as usize)?;
        let mut env = CpuEnv::new(space, mmu, control, params, &[], *watcher, cpu);
        Some(f(frontend, &mut cpu.state, &mut env))
    }
}

impl<F: Frontend> crate::debug::ClusterDebug for Cluster<F> {
    fn target_xml(&self) -> String {
        self.frontend
            .gdb()
            .map(|g| g.target_xml())
            .unwrap_or_default()
    }

    fn read_registers(&self, hart: u32) -> Option<Vec<u8>> {
        let g = self.frontend.gdb()?;
        self.cpus
            .get(hart as usize)
            .map(|c| g.read_registers(&c.cpu.state))
    }

    fn write_registers(&mut self, hart: u32, data: &[u8]) -> bool {
        self.with_env(hart, |fe, cpu, env| {
            let Some(g) = fe.gdb() else {
                return false;
            };
            let written = g.write_registers(cpu, data);
            fe.registers_written(cpu, env);
            written
        })
        .unwrap_or(false)
    }

    fn read_register(&self, hart: u32, regno: usize) -> Option<Vec<u8>> {
        let g = self.frontend.gdb()?;
        g.read_register(&self.cpus.get(hart as usize)?.cpu.state, regno)
    }

    fn write_register(&mut self, hart: u32, regno: usize, data: &[u8]) -> bool {
        self.with_env(hart, |fe, cpu, env| {
            let Some(g) = fe.gdb() else {
                return false;
            };
            let written = g.write_register(cpu, regno, data);
            fe.registers_written(cpu, env);
            written
        })
        .unwrap_or(false)
    }

    fn read_memory(&mut self, hart: u32, vaddr: u64, out: &mut [u8]) -> bool {
        let (space, page_bits) = (self.space.clone(), self.params.page_bits);
        self.with_env(hart, |fe, cpu, env| {
            debug_pages(page_bits, vaddr, out.len(), |a, range| {
                let Some(paddr) = fe.debug_translate(cpu, env, a) else {
                    return false;
                };
                let chunk = &mut out[range];
                if fe.is_cpu_local(paddr) {
                    // The CPU's own registers (ARM's SCS), read as its
                    // loads read them.
                    for (i, b) in chunk.iter_mut().enumerate() {
                        match fe.local_read(cpu, env, paddr + i as u64, 1) {
                            Ok(v) => *b = v as u8,
                            Err(_) => return false,
                        }
                    }
                    true
                } else {
                    space.read_ram(paddr, chunk).is_ok()
                }
            })
        })
        .unwrap_or(false)
    }

    fn write_memory(&mut self, hart: u32, vaddr: u64, data: &[u8]) -> bool {
        let (space, page_bits) = (self.space.clone(), self.params.page_bits);
        self.with_env(hart, |fe, cpu, env| {
            debug_pages(page_bits, vaddr, data.len(), |a, range| {
                fe.debug_translate(cpu, env, a)
                    .is_some_and(|paddr| space.load_bytes(paddr, &data[range]).is_ok())
            })
        })
        .unwrap_or(false)
    }
}

/// Calls `each(vaddr, range)` for the pieces of `len` bytes from `vaddr`
/// that lie in one page of `1 << page_bits` bytes each (a debugger's
/// access is translated once per page); stops at the first `false`.
fn debug_pages(
    page_bits: u32,
    vaddr: u64,
    len: usize,
    mut each: impl FnMut(u64, std::ops::Range<usize>) -> bool,
) -> bool {
    let page = 1u64 << page_bits.min(63);
    let mut done = 0usize;
    while done < len {
        let a = vaddr.wrapping_add(done as u64);
        let room = page - (a & (page - 1));
        let n = usize::try_from(room).map_or(len - done, |r| r.min(len - done));
        if !each(a, done..done + n) {
            return false;
        }
        done += n;
    }
    true
}
