//! Clusters: CPUs of one architecture and configuration that share a
//! frontend, a block cache and an address space, and the loop that runs
//! them: look up or translate a block, run it, take traps and interrupts
//! between blocks, keep local virtual time.

use std::collections::BTreeSet;
use std::sync::Arc;

use chimera_core::PinInfo;
use chimera_memory::{AddressSpace, Ram};

use crate::chain::CpuChains;
use crate::interp::{self, BlockEnd, Stops};
use crate::ir::verify::verify;
use crate::ir::IrBuilder;
use crate::jump::JumpCache;
use crate::native::{self, Backend, BackendStats};
use crate::{
    Block, BlockCache, BlockKey, Clock, ClusterParams, CodeReader, CpuEnv, CpuState, Frontend,
    IrqInputs, Mmu, RunControl,
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
}

/// How a cluster's run slice ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceEnd {
    /// Every CPU is halted waiting for an interrupt.
    pub all_halted: bool,
    /// Instructions retired in the slice.
    pub retired: u64,
}

/// A cluster as the scheduler and the machine drive it, whatever its
/// architecture.
pub trait ClusterRun: Send {
    /// The cluster's id.
    fn name(&self) -> &str;
    /// Its architecture's name.
    fn arch(&self) -> &str;
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
    /// How many runs make a block hot enough to compile (at least 1; the
    /// default is [`DEFAULT_HOT_THRESHOLD`]).
    fn set_hot_threshold(&mut self, runs: u32);
    /// The backend's name and statistics, when there is one.
    fn backend_stats(&self) -> Option<(String, BackendStats)>;
}

struct CpuSlot<C> {
    state: C,
    irq: Arc<IrqInputs>,
    mmu: Mmu,
    index: u32,
    insns: u64,
    halted: bool,
    anchor_ns: u64,
    anchor_insns: u64,
    boot_pc: Option<u64>,
    /// Argument registers set after every reset ([`ClusterRun::set_boot_args`]).
    boot_args: Vec<u64>,
    wakeup_ns: u64,
    in_reset: bool,
    /// The breakpoint this CPU stopped at: it is run, not hit, on resume.
    stopped_at: Option<u64>,
    /// Whether an input was high when the frontend last looked, so that it
    /// also sees the inputs fall.
    irq_was_high: bool,
    /// `irq.changes()` when the frontend last looked at the inputs.
    irq_seen: u64,
    /// Reset happened and the frontend has not yet completed it from
    /// memory ([`Frontend::complete_reset`]).
    reset_pending: bool,
    /// Blocks by virtual pc, for going from block to block in compiled
    /// code (used only with a backend).
    jump: JumpCache,
    /// Its chain epoch and jump table, for compiled code.
    chains: CpuChains,
}

impl<C> CpuSlot<C> {
    fn local_ns(&self, params: &ClusterParams) -> u64 {
        self.anchor_ns + params.insns_to_ns(self.insns - self.anchor_insns)
    }
}

impl<C: CpuState> CpuSlot<C> {
    /// Puts the CPU in its reset state, then where the loader said it
    /// starts and with the arguments it was given.
    fn restart<F: Frontend<Cpu = C>>(&mut self, fe: &F) {
        fe.reset(&mut self.state);
        if let Some(pc) = self.boot_pc {
            self.state.set_pc(pc);
        }
        if !self.boot_args.is_empty() {
            // Accepted when they were set; the frontend's answer cannot
            // change between resets.
            let _ = fe.set_boot_args(&mut self.state, &self.boot_args);
        }
    }
}

/// A RAM block mapped on the cluster's space, for code invalidation.
struct RamWindow {
    ram: Arc<Ram>,
    base: u64,
    ram_offset: u64,
    size: u64,
}

/// What a CPU's chain epoch follows ([`crate::chain::CpuChains::enter`]):
/// its MMU generation, the blocks the cache dropped, its chain mode.
fn epoch_key<F: Frontend>(
    fe: &F,
    mmu: &Mmu,
    cache: &BlockCache,
    state: &F::Cpu,
) -> (u64, u64, u32) {
    (mmu.generation(), cache.drops(), fe.chain_mode(state))
}

fn drop_written_code(rams: &[RamWindow], cache: &mut BlockCache, watcher: u32) {
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

/// The first instruction count at which a CPU anchored at
/// (`anchor_ns`, `anchor_insns`) reaches virtual time `wakeup_ns`.
fn slot_wake_insns(
    params: &ClusterParams,
    anchor_ns: u64,
    anchor_insns: u64,
    wakeup_ns: u64,
) -> u64 {
    match wakeup_ns.checked_sub(anchor_ns) {
        Some(ns) if ns > 0 => anchor_insns.saturating_add(params.ns_to_insns(ns)),
        _ => anchor_insns,
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
    backend: Option<Box<dyn Backend>>,
    hot_threshold: u32,
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
    /// Why.
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

/// Interpreted runs after which a block is compiled, when the cluster has
/// a backend: Cranelift takes about a millisecond per block, which pays
/// only for blocks that run often (at 50, booting OpenSBI and U-Boot
/// queued ~550 lukewarm blocks ahead of the hot ones and reached the
/// prompt in 0.52 s; at 200, 0.28 s, QEMU 0.25 s).
pub const DEFAULT_HOT_THRESHOLD: u32 = 200;

/// Runs after which a block gets first-tier code ([`Backend::baseline`]),
/// when the hot threshold is not lower: twice is a loop or a routine
/// called again, while code run once (start-up, initialisation) stays
/// interpreted, which costs less than compiling it.
pub const BASELINE_THRESHOLD: u32 = 2;

/// Counts a run of `block`, which waits for compiled code, and asks
/// `backend` for first-tier code at [`BASELINE_THRESHOLD`] runs and for
/// compiled code at `hot` runs; `abi` gives the ABI to compile for.
fn count_and_compile(
    backend: &mut dyn Backend,
    block: &Arc<Block>,
    hot: u32,
    abi: impl FnOnce() -> native::NativeAbi,
) {
    let runs = block.count_runs();
    let first = BASELINE_THRESHOLD.min(hot);
    if runs != first && runs != hot {
        return;
    }
    let abi = abi();
    if runs == first && !block.baseline_tried() {
        block.set_baseline(backend.baseline(block, &abi));
    }
    if runs == hot {
        backend.submit(block, &abi);
    }
}

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
                    state,
                    irq,
                    mmu: Mmu::new(params.page_bits.min(12)),
                    index: first_index + hart as u32,
                    insns: 0,
                    halted: false,
                    anchor_ns: 0,
                    anchor_insns: 0,
                    boot_pc: None,
                    boot_args: Vec::new(),
                    wakeup_ns: crate::clock::NEVER,
                    in_reset: false,
                    stopped_at: None,
                    irq_was_high: false,
                    irq_seen: 0,
                    reset_pending: true,
                    jump: JumpCache::new(),
                    chains: CpuChains::new(),
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
            backend: None,
            hot_threshold: DEFAULT_HOT_THRESHOLD,
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
        self.cpus.get(hart as usize).map(|c| &c.state)
    }

    /// CPU `hart`'s full state, writable.
    pub fn cpu_state_mut(&mut self, hart: u32) -> Option<&mut F::Cpu> {
        self.cpus.get_mut(hart as usize).map(|c| &mut c.state)
    }

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
            frontend: fe,
            space,
            control,
            cpus,
            builder,
            vals,
            watcher,
            verify_ir,
            reset_pin,
            breakpoints,
            watchpoints,
            backend,
            hot_threshold,
            epochs,
            ..
        } = self;
        let slot = &mut cpus[hart];
        let start_insns = slot.insns;
        let mut limit_key = (u64::MAX, u64::MAX, u64::MAX);
        let mut insn_limit = 0u64;
        loop {
            if control.stop_requested() || slot.insns - start_insns >= budget {
                break;
            }
            let deadline = deadline_ns.min(clock.next_deadline());
            if slot.irq.level(*reset_pin) {
                // Held in reset: the CPU sleeps and time passes it by.
                slot.in_reset = true;
                slot.halted = true;
                let now = slot.anchor_ns + params.insns_to_ns(slot.insns - slot.anchor_insns);
                if deadline > now {
                    slot.anchor_ns = deadline;
                    slot.anchor_insns = slot.insns;
                }
                break;
            }
            if slot.in_reset {
                slot.in_reset = false;
                slot.halted = false;
                slot.reset_pending = true;
                slot.restart(fe);
                slot.mmu.flush();
            }
            let mut env = CpuEnv {
                space,
                mmu: &mut slot.mmu,
                control,
                params,
                cpu_index: slot.index,
                watcher: *watcher,
                block_start_insns: slot.insns,
                block_offset: 0,
                anchor_ns: slot.anchor_ns,
                anchor_insns: slot.anchor_insns,
                halt: false,
                flush_code: false,
                end_block: false,
                wakeup_ns: slot.wakeup_ns,
                watchpoints,
                watch_hit: None,
            };
            if slot.reset_pending {
                slot.reset_pending = false;
                fe.complete_reset(&mut slot.state, &mut env);
                slot.wakeup_ns = env.wakeup_ns;
            }
            let now = |anchor_ns: u64, anchor_insns: u64, insns: u64| {
                anchor_ns + params.insns_to_ns(insns - anchor_insns)
            };
            let irq_high = slot.irq.any();
            let wakeup_due = slot.wakeup_ns != crate::clock::NEVER
                && slot.wakeup_ns <= now(slot.anchor_ns, slot.anchor_insns, slot.insns);
            if slot.halted || irq_high || slot.irq_was_high || wakeup_due {
                slot.irq_was_high = irq_high;
                slot.irq_seen = slot.irq.changes();
                let wake = fe.check_interrupts(&mut slot.state, &mut env, &slot.irq);
                slot.wakeup_ns = env.wakeup_ns;
                if slot.halted && wake {
                    slot.halted = false;
                }
            }
            if slot.halted {
                // Sleep until the quantum ends or the CPU's own timer is due,
                // whichever comes first; then look again.
                let now = now(slot.anchor_ns, slot.anchor_insns, slot.insns);
                let wakeup = if slot.wakeup_ns > now {
                    slot.wakeup_ns
                } else {
                    crate::clock::NEVER
                };
                let until = deadline.min(wakeup);
                if until > now {
                    slot.anchor_ns = until;
                    slot.anchor_insns = slot.insns;
                }
                if wakeup < deadline {
                    continue;
                }
                break;
            }
            // Time is instructions at the cluster's frequency: the deadline
            // becomes an instruction count, recomputed only when it moves.
            let key = (deadline, slot.anchor_ns, slot.anchor_insns);
            if key != limit_key {
                limit_key = key;
                insn_limit = match deadline.checked_sub(slot.anchor_ns) {
                    Some(ns) if ns > 0 => slot.anchor_insns.saturating_add(params.ns_to_insns(ns)),
                    _ => slot.anchor_insns,
                };
            }
            if slot.insns >= insn_limit {
                break;
            }
            // Writes to code pages, by this or another cluster or from
            // outside, drop the translations made from them first.
            drop_written_code(&self.rams, &mut self.cache, *watcher);
            // Look up the block for (physical pc, mode), translating on a
            // miss; with a backend, the jump cache first.
            let pc = slot.state.pc();
            let mode = fe.block_mode(&slot.state);
            let generation = env.mmu.generation();
            let cached = backend
                .as_ref()
                .and_then(|_| slot.jump.get(pc, mode, generation))
                .cloned();
            let phys = match &cached {
                Some(b) => Ok(b.key.phys_pc),
                None => crate::mmu::physical(
                    fe,
                    &mut slot.state,
                    &mut env,
                    pc,
                    chimera_memory::AccessKind::Fetch,
                ),
            };
            let phys = match phys {
                Ok(p) => p,
                Err(trap) => {
                    fe.handle_trap(&mut slot.state, &mut env, trap, pc);
                    continue;
                }
            };
            let key = BlockKey {
                phys_pc: phys,
                mode,
            };
            // A block names virtual pcs in its exits: the same physical code
            // reached at another virtual address is translated again.
            let block = match cached.or_else(|| self.cache.get(&key).cloned()) {
                Some(b) if b.pc == pc => b,
                _ => {
                    builder.reset();
                    let mut reader = CodeReader::new(fe, &mut slot.state, &mut env);
                    let result = fe.translate(&mut reader, builder);
                    let code = std::mem::take(&mut reader.code);
                    if let Err(trap) = result {
                        fe.handle_trap(&mut slot.state, &mut env, trap, pc);
                        continue;
                    }
                    let (ops, temps) = builder.take();
                    if *verify_ir {
                        if let Err(e) = verify(&ops, &temps, fe.helpers().len()) {
                            control.request(crate::ExitRequest::Error(format!(
                                "{} frontend produced invalid IR for pc {pc:#x}: {e}",
                                fe.arch()
                            )));
                            break;
                        }
                    }
                    let block = Arc::new(Block::new(key, pc, ops, temps, code));
                    self.cache.insert(block.clone());
                    block
                }
            };
            let stops = Stops {
                max_insns: u32::from(single),
                breakpoints: (!breakpoints.is_empty()).then_some(&*breakpoints),
                resume: slot.stopped_at.take() == Some(pc),
                watch: !watchpoints.is_empty(),
            };
            // Compiled code runs when no debugger stop could fall in the
            // block; a block is compiled once it is hot, and stays
            // interpreted if the backend refuses it.
            let mut run = None;
            if let Some(backend) = backend.as_mut().filter(|_| !stops.active()) {
                slot.jump.insert(pc, mode, generation, &block);
                if !block.compile_tried() {
                    count_and_compile(&mut **backend, &block, *hot_threshold, || {
                        native::abi_for(&*fe, env.mmu, slot.state.globals().len())
                    });
                }
                if let Some(code) = block.native() {
                    let epoch = slot.chains.enter(
                        epochs,
                        epoch_key(&*fe, env.mmu, &self.cache, &slot.state),
                        mode,
                        pc,
                        code.entry(),
                    );
                    run = native::run_native(
                        fe,
                        code,
                        &mut slot.state,
                        &mut env,
                        0,
                        epoch,
                        &slot.chains.jumps,
                        &self.cache,
                    );
                } else if let Some(code) = block.baseline() {
                    run = native::run_native(
                        fe,
                        code,
                        &mut slot.state,
                        &mut env,
                        0,
                        0,
                        &slot.chains.jumps,
                        &self.cache,
                    );
                }
            }
            let chain = run.is_some() && !single;
            let (run, mut pending) = match run {
                Some(native::NativeRun { run, link }) => (run, link),
                None => (
                    interp::run_block_with(fe, &block, &mut slot.state, &mut env, vals, stops),
                    None,
                ),
            };
            let halt = env.halt;
            let flush = env.flush_code;
            let watch_hit = env.watch_hit;
            slot.wakeup_ns = env.wakeup_ns;
            slot.insns += u64::from(run.retired);
            match run.end {
                BlockEnd::Next { pc, .. } if watch_hit.is_none() => slot.state.set_pc(pc),
                BlockEnd::Next { pc, .. } | BlockEnd::Watchpoint { pc } => {
                    slot.state.set_pc(pc);
                    if let Some((watch, addr)) = watch_hit {
                        self.debug_stop = Some(DebugStop {
                            hart: hart as u32,
                            pc,
                            reason: DebugStopReason::Watchpoint { watch, addr },
                        });
                        control.request(crate::ExitRequest::Debug);
                    }
                    break;
                }
                BlockEnd::Breakpoint { pc } => {
                    slot.state.set_pc(pc);
                    slot.stopped_at = Some(pc);
                    self.debug_stop = Some(DebugStop {
                        hart: hart as u32,
                        pc,
                        reason: DebugStopReason::Breakpoint,
                    });
                    control.request(crate::ExitRequest::Debug);
                    break;
                }
                BlockEnd::Trapped { trap, pc } => {
                    env.block_start_insns = slot.insns;
                    env.block_offset = 0;
                    fe.handle_trap(&mut slot.state, &mut env, trap, pc);
                }
            }
            if halt {
                slot.halted = true;
            }
            if flush {
                pending = None;
                self.cache.flush();
            }
            if single {
                break;
            }
            if chain && !halt && !flush && matches!(run.end, BlockEnd::Next { to_loop: false, .. })
            {
                // Compiled code goes on from block to block while nothing
                // needs the loop above: no interrupt input, no wake-up or
                // deadline due, no code written, no stop asked for.
                let next_deadline = clock.next_deadline();
                let rams = &self.rams;
                // The instruction count at which this CPU's own wake-up is
                // due (`now >= wakeup_ns`), recomputed when it moves.
                let wake_limit = |wakeup_ns: u64| match wakeup_ns {
                    crate::clock::NEVER => u64::MAX,
                    w => slot_wake_insns(params, slot.anchor_ns, slot.anchor_insns, w),
                };
                let mut wakeup_seen = slot.wakeup_ns;
                let mut limit = insn_limit
                    .min(start_insns.saturating_add(budget))
                    .min(wake_limit(wakeup_seen));
                loop {
                    if slot.wakeup_ns != wakeup_seen {
                        wakeup_seen = slot.wakeup_ns;
                        limit = insn_limit
                            .min(start_insns.saturating_add(budget))
                            .min(wake_limit(wakeup_seen));
                    }
                    if slot.insns >= limit
                        || slot.irq_was_high
                        || control.stop_requested()
                        || clock.next_deadline() != next_deadline
                        || slot.irq.any()
                        || rams.iter().any(|w| w.ram.has_dirty_code(*watcher))
                    {
                        break;
                    }
                    let pc = slot.state.pc();
                    let mode = fe.block_mode(&slot.state);
                    let Some(block) = slot.jump.get(pc, mode, env.mmu.generation()) else {
                        break;
                    };
                    let (code, epoch) = if let Some(code) = block.native() {
                        let epoch = slot.chains.enter(
                            epochs,
                            epoch_key(&*fe, env.mmu, &self.cache, &slot.state),
                            mode,
                            pc,
                            code.entry(),
                        );
                        // The exit just taken leads here: compiled code may
                        // go straight on next time.
                        if let Some(link) = pending.take() {
                            link.fill(code, epoch);
                        }
                        (code, epoch)
                    } else if let Some(code) = block.baseline() {
                        // First-tier code is never chained to (the pending
                        // link is left unfilled): the exit comes back here
                        // until the block's compiled code is there, and a
                        // link would outlive that.
                        if let Some(backend) = backend.as_mut().filter(|_| !block.compile_tried()) {
                            count_and_compile(&mut **backend, block, *hot_threshold, || {
                                native::abi_for(&*fe, env.mmu, slot.state.globals().len())
                            });
                        }
                        (code, 0)
                    } else {
                        break;
                    };
                    env.block_start_insns = slot.insns;
                    env.block_offset = 0;
                    env.end_block = false;
                    let Some(native::NativeRun { run, link }) = native::run_native(
                        fe,
                        code,
                        &mut slot.state,
                        &mut env,
                        limit - slot.insns,
                        epoch,
                        &slot.chains.jumps,
                        &self.cache,
                    ) else {
                        break;
                    };
                    pending = link;
                    slot.wakeup_ns = env.wakeup_ns;
                    slot.insns += u64::from(run.retired);
                    match run.end {
                        BlockEnd::Next { pc, to_loop } => {
                            slot.state.set_pc(pc);
                            if env.halt {
                                slot.halted = true;
                            }
                            if env.flush_code {
                                pending = None;
                                self.cache.flush();
                            }
                            if to_loop || env.halt || env.flush_code {
                                break;
                            }
                        }
                        BlockEnd::Trapped { trap, pc } => {
                            // As above: what the block asked for counts,
                            // not what the trap handler did.
                            let (halt, flush) = (env.halt, env.flush_code);
                            env.block_start_insns = slot.insns;
                            env.block_offset = 0;
                            fe.handle_trap(&mut slot.state, &mut env, trap, pc);
                            if halt {
                                slot.halted = true;
                            }
                            if flush {
                                self.cache.flush();
                            }
                            break;
                        }
                        BlockEnd::Watchpoint { .. } | BlockEnd::Breakpoint { .. } => break,
                    }
                }
            }
        }
        slot.insns - start_insns
    }
}

impl<F: Frontend> ClusterRun for Cluster<F> {
    fn name(&self) -> &str {
        &self.name
    }

    fn arch(&self) -> &str {
        self.frontend.arch()
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
                let now = slot.local_ns(&self.params);
                if now >= deadline_ns && !slot.halted {
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
                    .all(|c| c.halted || c.local_ns(&self.params) >= deadline_ns);
            if done || !progressed {
                break;
            }
        }
        SliceEnd {
            all_halted: self.cpus.iter().all(|c| c.halted),
            retired,
        }
    }

    fn reset(&mut self) {
        for slot in &mut self.cpus {
            slot.restart(&self.frontend);
            slot.halted = false;
            slot.reset_pending = true;
            slot.mmu.flush();
        }
        self.cache.flush();
    }

    fn cpus(&self) -> Vec<CpuInfo> {
        self.cpus
            .iter()
            .enumerate()
            .map(|(hart, c)| CpuInfo {
                index: c.index,
                hart: hart as u32,
                pc: c.state.pc(),
                insns: c.insns,
                halted: c.halted,
            })
            .collect()
    }

    fn insns(&self) -> u64 {
        self.cpus.iter().map(|c| c.insns).sum()
    }

    fn irq_inputs(&self, hart: u32) -> Option<Arc<IrqInputs>> {
        self.cpus.get(hart as usize).map(|c| c.irq.clone())
    }

    fn irq_pins(&self) -> Vec<PinInfo> {
        let mut pins = self.frontend.irq_pins();
        pins.push(reset_pin());
        pins
    }

    fn set_boot_pc(&mut self, hart: Option<u32>, pc: u64) {
        for (i, slot) in self.cpus.iter_mut().enumerate() {
            if hart.is_none_or(|h| h as usize == i) {
                slot.boot_pc = Some(pc);
                slot.state.set_pc(pc);
            }
        }
    }

    fn set_boot_args(&mut self, hart: Option<u32>, args: &[u64]) -> Result<(), String> {
        for (i, slot) in self.cpus.iter_mut().enumerate() {
            if hart.is_none_or(|h| h as usize == i) {
                self.frontend.set_boot_args(&mut slot.state, args)?;
                slot.boot_args = args.to_vec();
            }
        }
        Ok(())
    }

    fn dump_registers(&self, hart: u32) -> Option<String> {
        self.cpus
            .get(hart as usize)
            .map(|c| self.frontend.dump_registers(&c.state))
    }

    fn cache_stats(&self) -> (u64, u64) {
        self.cache.stats()
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
        self.cpus[h].stopped_at = Some(self.cpus[h].state.pc());
        self.run_cpu(h, u64::MAX, clock, u64::MAX, true);
        self.debug_stop = Some(DebugStop {
            hart,
            pc: self.cpus[h].state.pc(),
            reason: DebugStopReason::Step,
        });
        Some(self.cpus[h].state.pc())
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
        self.hot_threshold = runs.max(1);
    }

    fn backend_stats(&self) -> Option<(String, BackendStats)> {
        self.backend
            .as_ref()
            .map(|b| (b.name().to_string(), b.stats()))
    }

    fn may_wake(&self) -> bool {
        self.cpus
            .iter()
            .any(|c| c.halted && !c.in_reset && c.irq.changes() != c.irq_seen)
            || self
                .cpus
                .iter()
                .any(|c| c.in_reset && !c.irq.level(self.reset_pin))
    }

    fn next_wakeup(&self) -> u64 {
        self.cpus
            .iter()
            .map(|c| c.wakeup_ns)
            .min()
            .unwrap_or(crate::clock::NEVER)
    }
}

impl<F: Frontend> Cluster<F> {
    fn min_local_ns(&self) -> u64 {
        self.cpus
            .iter()
            .filter(|c| !c.halted)
            .map(|c| c.local_ns(&self.params))
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
        let slot = cpus.get_mut(hart as usize)?;
        let mut env = CpuEnv {
            space,
            mmu: &mut slot.mmu,
            control,
            params,
            cpu_index: slot.index,
            watcher: *watcher,
            block_start_insns: slot.insns,
            block_offset: 0,
            anchor_ns: slot.anchor_ns,
            anchor_insns: slot.anchor_insns,
            halt: false,
            flush_code: false,
            end_block: false,
            wakeup_ns: slot.wakeup_ns,
            watchpoints: &[],
            watch_hit: None,
        };
        Some(f(frontend, &mut slot.state, &mut env))
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
            .map(|c| g.read_registers(&c.state))
    }

    fn write_registers(&mut self, hart: u32, data: &[u8]) -> bool {
        let (Some(g), Some(c)) = (self.frontend.gdb(), self.cpus.get_mut(hart as usize)) else {
            return false;
        };
        g.write_registers(&mut c.state, data)
    }

    fn read_register(&self, hart: u32, regno: usize) -> Option<Vec<u8>> {
        let g = self.frontend.gdb()?;
        g.read_register(&self.cpus.get(hart as usize)?.state, regno)
    }

    fn write_register(&mut self, hart: u32, regno: usize, data: &[u8]) -> bool {
        let (Some(g), Some(c)) = (self.frontend.gdb(), self.cpus.get_mut(hart as usize)) else {
            return false;
        };
        g.write_register(&mut c.state, regno, data)
    }

    fn read_memory(&mut self, hart: u32, vaddr: u64, out: &mut [u8]) -> bool {
        let endian = self.params.endian;
        self.with_env(hart, |fe, cpu, env| {
            for (i, b) in out.iter_mut().enumerate() {
                let a = vaddr.wrapping_add(i as u64);
                match crate::mmu::load(fe, cpu, env, a, 1, endian, chimera_memory::AccessKind::Read)
                {
                    Ok(v) => *b = v as u8,
                    Err(_) => return false,
                }
            }
            true
        })
        .unwrap_or(false)
    }

    fn write_memory(&mut self, hart: u32, vaddr: u64, data: &[u8]) -> bool {
        let space = self.space.clone();
        self.with_env(hart, |fe, cpu, env| {
            for (i, b) in data.iter().enumerate() {
                let a = vaddr.wrapping_add(i as u64);
                let Ok(paddr) =
                    crate::mmu::physical(fe, cpu, env, a, chimera_memory::AccessKind::Write)
                else {
                    return false;
                };
                if space.load_bytes(paddr, &[*b]).is_err() {
                    return false;
                }
            }
            true
        })
        .unwrap_or(false)
    }
}
