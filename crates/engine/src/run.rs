//! The loop that runs one CPU of a cluster, in four named steps:
//!
//! 1. **service** — what happens between blocks: reset held or released,
//!    interrupts and the CPU's own wake-up, sleep in wait-for-interrupt,
//!    the deadline and budget turned into an instruction limit, code
//!    written since the last block dropped;
//! 2. **find** — the block at the pc: the dispatch cache, else the fetch
//!    translation and the block cache, else a fresh translation;
//! 3. **execute** — the block's compiled code (which may chain on through
//!    other blocks up to the limit) or the interpreter, as the tier policy
//!    and any debugger stops decide;
//! 4. **finish** — one place for how a run ended: instructions retired,
//!    the next pc, traps, halts, code flushes and debugger stops.

use std::collections::BTreeSet;

use crate::chain::ChainEpoch;
use crate::cluster::{CpuSlot, DebugStop, DebugStopReason, RamWindow};
use crate::dispatch::DispatchCache;
use crate::interp::{self, BlockEnd, BlockRun, Stops};
use crate::ir::verify::verify;
use crate::ir::IrBuilder;
use crate::native::{self, Backend, PendingLink};
use crate::tier::Tiering;
use crate::time::{CpuTime, LimitCache};
use crate::trap::{Trap, TrapStorm, TRAP_STORM_TRAPS};
use crate::{
    Block, BlockCache, BlockKey, Clock, ClusterParams, CodeReader, CpuEnv, CpuState, Frontend,
    IrqInputs, RunControl,
};
use chimera_memory::AccessKind;
use std::sync::Arc;

/// A CPU's run state besides its soft-MMU (which its [`CpuEnv`] borrows
/// while it runs).
pub(crate) struct CpuRun<C> {
    pub(crate) state: C,
    pub(crate) irq: Arc<IrqInputs>,
    /// Machine-wide index.
    pub(crate) index: u32,
    /// Instructions retired.
    pub(crate) insns: u64,
    /// Waiting for an interrupt (or held in reset).
    pub(crate) halted: bool,
    pub(crate) time: CpuTime,
    pub(crate) boot_pc: Option<u64>,
    /// Argument registers set after every reset
    /// ([`ClusterRun::set_boot_args`](crate::ClusterRun::set_boot_args)).
    pub(crate) boot_args: Vec<u64>,
    /// When the CPU's own timer wants it looked at, or `NEVER`.
    pub(crate) wakeup_ns: u64,
    pub(crate) in_reset: bool,
    /// The breakpoint this CPU stopped at: it is run, not hit, on resume.
    pub(crate) stopped_at: Option<u64>,
    /// Whether an input was high when the frontend last looked, so that it
    /// also sees the inputs fall.
    pub(crate) irq_was_high: bool,
    /// `irq.changes()` when the frontend last looked at the inputs.
    pub(crate) irq_seen: u64,
    /// Reset happened and the frontend has not yet completed it from
    /// memory ([`Frontend::complete_reset`]).
    pub(crate) reset_pending: bool,
    /// Blocks and code entries by virtual pc (used with a backend).
    pub(crate) dispatch: DispatchCache,
    /// The epoch compiled code's links are followed in.
    pub(crate) epoch: ChainEpoch,
    /// Traps taken since the last instruction retired.
    traps_in_a_row: u64,
    deadline_limit: LimitCache,
    wakeup_limit: LimitCache,
}

impl<C: CpuState> CpuRun<C> {
    pub(crate) fn new(state: C, irq: Arc<IrqInputs>, index: u32) -> Self {
        CpuRun {
            state,
            irq,
            index,
            insns: 0,
            halted: false,
            time: CpuTime::default(),
            boot_pc: None,
            boot_args: Vec::new(),
            wakeup_ns: crate::clock::NEVER,
            in_reset: false,
            stopped_at: None,
            irq_was_high: false,
            irq_seen: 0,
            reset_pending: true,
            dispatch: DispatchCache::new(),
            epoch: ChainEpoch::new(),
            traps_in_a_row: 0,
            deadline_limit: LimitCache::default(),
            wakeup_limit: LimitCache::default(),
        }
    }

    /// Its virtual time now.
    pub(crate) fn now_ns(&self, params: &ClusterParams) -> u64 {
        self.time.now_ns(params, self.insns)
    }

    /// Puts the CPU in its reset state, then where the loader said it
    /// starts and with the arguments it was given.
    pub(crate) fn restart<F: Frontend<Cpu = C>>(&mut self, fe: &F) {
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

/// What a cluster's run loop did, for `--stats` and for measuring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Blocks the loop looked up.
    pub lookups: u64,
    /// Lookups the dispatch cache did not answer.
    pub dispatch_misses: u64,
    /// Blocks run by the interpreter.
    pub interpreted_blocks: u64,
    /// Instructions retired by the interpreter.
    pub interpreted_insns: u64,
    /// Entries into compiled code (either tier; chained blocks follow).
    pub native_runs: u64,
    /// Instructions retired in compiled code.
    pub native_insns: u64,
    /// Runs of compiled code that ended at an exit whose link did not
    /// hold the next block yet.
    pub unlinked_exits: u64,
    /// Soft-MMU flushes, all CPUs together.
    pub mmu_flushes: u64,
    /// Chain epochs handed out (each one leaves compiled code's links to
    /// be made again).
    pub epochs: u64,
}

/// What the steps share: the cluster's parts, borrowed for one CPU's run.
pub(crate) struct Shared<'c, F: Frontend> {
    pub(crate) fe: &'c F,
    pub(crate) params: &'c ClusterParams,
    pub(crate) space: &'c chimera_memory::AddressSpace,
    pub(crate) control: &'c RunControl,
    pub(crate) cache: &'c mut BlockCache,
    pub(crate) builder: &'c mut IrBuilder,
    pub(crate) vals: &'c mut Vec<u64>,
    pub(crate) rams: &'c [RamWindow],
    pub(crate) watcher: u32,
    pub(crate) verify_ir: bool,
    pub(crate) reset_pin: u32,
    pub(crate) breakpoints: &'c BTreeSet<u64>,
    pub(crate) watchpoints: &'c [crate::debug::Watchpoint],
    pub(crate) backend: Option<&'c mut (dyn Backend + 'static)>,
    pub(crate) tiering: Tiering,
    /// The last chain epoch the cluster handed out.
    pub(crate) epochs: &'c mut u64,
    pub(crate) debug_stop: &'c mut Option<DebugStop>,
    /// The first trap storm a CPU of the cluster fell into, for the
    /// scheduler to report.
    pub(crate) trap_storm: &'c mut Option<TrapStorm>,
    pub(crate) stats: &'c mut RunStats,
}

/// What the run loop does after a step.
enum Flow {
    /// Look at the CPU again (the next block, or after a trap or sleep).
    Again,
    /// Return to the scheduler.
    Stop,
}

/// A link of compiled code waiting for the block its exit leads to.
struct Waiting {
    link: PendingLink,
    /// The pc the CPU had right after the exit: an interrupt or trap
    /// taken meanwhile leads elsewhere.
    pc: u64,
}

impl<F: Frontend> Shared<'_, F> {
    /// Runs CPU `hart` (`cpu`, `mmu`) until its local time reaches
    /// `deadline_ns`, it halts, the machine is stopped, or `budget`
    /// instructions are spent (`single`: one instruction, for the
    /// debugger). Returns the instructions retired.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_cpu(
        &mut self,
        hart: u32,
        slot: &mut CpuSlot<F::Cpu>,
        deadline_ns: u64,
        clock: &Clock,
        budget: u64,
        single: bool,
    ) -> u64 {
        let CpuSlot { mmu, cpu } = slot;
        let start = cpu.insns;
        let stop_at = start.saturating_add(budget);
        let mut waiting: Option<Waiting> = None;
        loop {
            let mut env = CpuEnv::new(
                self.space,
                mmu,
                self.control,
                self.params,
                self.watchpoints,
                self.watcher,
                cpu,
            );
            let limit = match self.service(cpu, &mut env, deadline_ns, clock, stop_at) {
                Ok(limit) => limit,
                Err(Flow::Again) => continue,
                Err(Flow::Stop) => break,
            };
            let block = match self.find(hart, cpu, &mut env) {
                Ok(block) => block,
                // A step that faulted on fetch ends at the handler.
                Err(Flow::Again) if single => break,
                Err(Flow::Again) => continue,
                Err(Flow::Stop) => break,
            };
            let (run, link) = self.execute(cpu, &mut env, &block, limit, single, waiting.take());
            let flow = self.finish(hart, cpu, &mut env, run);
            waiting = link.map(|link| Waiting {
                link,
                pc: cpu.state.pc(),
            });
            if single || matches!(flow, Flow::Stop) {
                break;
            }
        }
        cpu.insns - start
    }

    /// Step 1: everything between two blocks. The instruction count the
    /// next run may reach, or what to do instead of running.
    fn service(
        &mut self,
        cpu: &mut CpuRun<F::Cpu>,
        env: &mut CpuEnv,
        deadline_ns: u64,
        clock: &Clock,
        stop_at: u64,
    ) -> Result<u64, Flow> {
        if self.control.stop_requested() || cpu.insns >= stop_at {
            return Err(Flow::Stop);
        }
        let deadline = deadline_ns.min(clock.next_deadline());
        if cpu.irq.level(self.reset_pin) {
            // Held in reset: the CPU sleeps and time passes it by.
            cpu.in_reset = true;
            cpu.halted = true;
            cpu.time.sleep_until(self.params, cpu.insns, deadline);
            return Err(Flow::Stop);
        }
        if cpu.in_reset {
            cpu.in_reset = false;
            cpu.halted = false;
            cpu.reset_pending = true;
            cpu.restart(self.fe);
            env.mmu.flush();
        }
        if cpu.reset_pending {
            cpu.reset_pending = false;
            self.fe.complete_reset(&mut cpu.state, env);
            cpu.wakeup_ns = env.wakeup_ns;
        }
        let now = cpu.now_ns(self.params);
        let irq_high = cpu.irq.any();
        let wakeup_due = cpu.wakeup_ns <= now;
        if cpu.halted || irq_high || cpu.irq_was_high || wakeup_due {
            cpu.irq_was_high = irq_high;
            cpu.irq_seen = cpu.irq.changes();
            let wake = self.fe.check_interrupts(&mut cpu.state, env, &cpu.irq);
            cpu.wakeup_ns = env.wakeup_ns;
            if cpu.halted && wake {
                cpu.halted = false;
            }
        }
        if cpu.halted {
            // Sleep until the quantum ends or the CPU's own timer is due,
            // whichever comes first; then look again.
            let wakeup = if cpu.wakeup_ns > now {
                cpu.wakeup_ns
            } else {
                crate::clock::NEVER
            };
            let until = deadline.min(wakeup);
            if until == crate::clock::NEVER {
                // Only a debugger's step has no quantum end: a CPU with
                // nothing to wake it stays where it is in time.
                return Err(Flow::Stop);
            }
            cpu.time.sleep_until(self.params, cpu.insns, until);
            return Err(if wakeup < deadline {
                Flow::Again
            } else {
                Flow::Stop
            });
        }
        // Time is instructions at the cluster's frequency.
        let mut limit = cpu
            .deadline_limit
            .insns_at(&cpu.time, self.params, deadline)
            .min(stop_at);
        if cpu.wakeup_ns != crate::clock::NEVER {
            limit = limit.min(
                cpu.wakeup_limit
                    .insns_at(&cpu.time, self.params, cpu.wakeup_ns),
            );
        }
        if cpu.insns >= limit {
            return Err(Flow::Stop);
        }
        // Writes to code pages, by this or another cluster or from
        // outside, drop the translations made from them first.
        crate::cluster::drop_written_code(self.rams, self.cache, self.watcher);
        Ok(limit)
    }

    /// Step 2: the block for the pc and mode, translated on a miss.
    fn find(
        &mut self,
        hart: u32,
        cpu: &mut CpuRun<F::Cpu>,
        env: &mut CpuEnv,
    ) -> Result<Arc<Block>, Flow> {
        let fe = self.fe;
        let pc = cpu.state.pc();
        let mode = fe.block_mode(&cpu.state);
        let generation = env.mmu.generation();
        self.stats.lookups += 1;
        if let Some(block) = cpu.dispatch.block(pc, mode, generation) {
            return Ok(block.clone());
        }
        self.stats.dispatch_misses += 1;
        let phys = match crate::mmu::physical(fe, &mut cpu.state, env, pc, AccessKind::Fetch) {
            Ok(phys) => phys,
            Err(trap) => {
                self.take_trap(hart, cpu, env, trap, pc);
                return Err(Flow::Again);
            }
        };
        let key = BlockKey {
            phys_pc: phys,
            mode,
        };
        // A block names virtual pcs in its exits: the same physical code
        // reached at another virtual address is translated again.
        let block = match self.cache.get(&key) {
            Some(b) if b.pc == pc => b.clone(),
            _ => self.translate(hart, cpu, env, key)?,
        };
        cpu.dispatch.remember(pc, mode, generation, &block);
        Ok(block)
    }

    fn translate(
        &mut self,
        hart: u32,
        cpu: &mut CpuRun<F::Cpu>,
        env: &mut CpuEnv,
        key: BlockKey,
    ) -> Result<Arc<Block>, Flow> {
        let fe = self.fe;
        let pc = cpu.state.pc();
        self.builder.reset();
        let mut reader = CodeReader::new(fe, &mut cpu.state, env);
        let result = fe.translate(&mut reader, self.builder);
        let code = std::mem::take(&mut reader.code);
        if let Err(trap) = result {
            self.take_trap(hart, cpu, env, trap, pc);
            return Err(Flow::Again);
        }
        // Copied out at their size: the builder keeps its buffers for the
        // next block (growing them anew for each block cost a Linux boot
        // tens of thousands of host page faults).
        let (ops, temps) = (self.builder.ops().to_vec(), self.builder.temps().to_vec());
        if self.verify_ir {
            if let Err(e) = verify(&ops, &temps, fe.helpers().len()) {
                self.control.request(crate::ExitRequest::Error(format!(
                    "{} frontend produced invalid IR for pc {pc:#x}: {e}",
                    fe.arch()
                )));
                return Err(Flow::Stop);
            }
        }
        let block = Arc::new(Block::new(key, pc, ops, temps, code));
        self.cache.insert(block.clone());
        Ok(block)
    }

    /// Step 3: runs `block`, compiled (chaining on up to `limit`) when it
    /// has code and no debugger stop could fall in it, else interpreted;
    /// fills the link that led here (`waiting`) when it can. The run, and
    /// the link its exit left for the next block.
    fn execute(
        &mut self,
        cpu: &mut CpuRun<F::Cpu>,
        env: &mut CpuEnv,
        block: &Arc<Block>,
        limit: u64,
        single: bool,
        waiting: Option<Waiting>,
    ) -> (BlockRun, Option<PendingLink>) {
        let fe = self.fe;
        let pc = cpu.state.pc();
        // A block that would run past the limit runs interpreted up to it:
        // runs stop at the same instruction whatever runs them.
        let room = limit.saturating_sub(cpu.insns);
        let cut = (room < u64::from(block.insns)).then_some(room as u32);
        let stops = Stops {
            max_insns: if single { 1 } else { cut.unwrap_or(0) },
            breakpoints: (!self.breakpoints.is_empty()).then_some(self.breakpoints),
            resume: cpu.stopped_at.take() == Some(pc),
            watch: !self.watchpoints.is_empty(),
        };
        if let Some(backend) = self.backend.as_deref_mut().filter(|_| !stops.active()) {
            self.tiering.enter(backend, block, || {
                native::abi_for(fe, env.mmu, cpu.state.globals().len())
            });
            if let Some(code) = block.native().or(block.baseline()) {
                let chain_mode = fe.chain_mode(&cpu.state);
                let epoch = cpu.epoch.get(
                    self.epochs,
                    env.mmu.generation(),
                    self.cache.drops(),
                    chain_mode,
                );
                if chain_mode == fe.block_mode(&cpu.state) {
                    cpu.dispatch
                        .remember_code(pc, code.entry(), block.insns, epoch);
                }
                // The exit that led here may lead straight here next time.
                if let Some(w) = waiting.filter(|w| w.pc == pc) {
                    w.link.fill(self.cache, code, block.insns, epoch);
                }
                env.block_start_insns = cpu.insns;
                env.block_offset = 0;
                if let Some(run) = native::run_native(
                    fe,
                    code,
                    &mut cpu.state,
                    env,
                    room,
                    epoch,
                    cpu.dispatch.code_addr(),
                    self.cache,
                ) {
                    self.stats.native_runs += 1;
                    self.stats.unlinked_exits += u64::from(run.link.is_some());
                    self.stats.native_insns += u64::from(run.run.retired);
                    return (run.run, run.link);
                }
            }
        }
        let run = interp::run_block_with(fe, block, &mut cpu.state, env, self.vals, stops);
        self.stats.interpreted_blocks += 1;
        self.stats.interpreted_insns += u64::from(run.retired);
        (run, None)
    }

    /// Step 4: takes in how the run ended.
    fn finish(
        &mut self,
        hart: u32,
        cpu: &mut CpuRun<F::Cpu>,
        env: &mut CpuEnv,
        run: BlockRun,
    ) -> Flow {
        // What the block asked for counts, not what a trap handler did.
        let (halt, flush, watch_hit) = (env.halt, env.flush_code, env.watch_hit);
        cpu.wakeup_ns = env.wakeup_ns;
        cpu.insns += u64::from(run.retired);
        let mut flow = Flow::Again;
        match run.end {
            BlockEnd::Next { pc, .. } if watch_hit.is_none() => cpu.state.set_pc(pc),
            BlockEnd::Next { pc, .. } | BlockEnd::Watchpoint { pc } => {
                cpu.state.set_pc(pc);
                if let Some((watch, addr)) = watch_hit {
                    self.stop_for_debugger(hart, pc, DebugStopReason::Watchpoint { watch, addr });
                }
                flow = Flow::Stop;
            }
            BlockEnd::Breakpoint { pc } => {
                cpu.state.set_pc(pc);
                cpu.stopped_at = Some(pc);
                self.stop_for_debugger(hart, pc, DebugStopReason::Breakpoint);
                flow = Flow::Stop;
            }
            BlockEnd::Trapped { trap, pc } => {
                env.block_start_insns = cpu.insns;
                env.block_offset = 0;
                if run.retired > 0 {
                    cpu.traps_in_a_row = 0;
                }
                self.take_trap(hart, cpu, env, trap, pc);
                cpu.wakeup_ns = env.wakeup_ns;
            }
        }
        if run.retired > 0 && !matches!(run.end, BlockEnd::Trapped { .. }) {
            cpu.traps_in_a_row = 0;
        }
        if halt {
            cpu.halted = true;
        }
        if flush {
            self.cache.flush();
        }
        flow
    }

    /// Hands `trap` at `pc` to the frontend. A trap that follows another
    /// with nothing retired between them costs an instruction's time, so
    /// that a CPU trapping on and on still lets time, the quantum and the
    /// machine's clients move; a storm of them is recorded for the
    /// scheduler, which ends the run unless someone holds the machine.
    fn take_trap(
        &mut self,
        hart: u32,
        cpu: &mut CpuRun<F::Cpu>,
        env: &mut CpuEnv,
        trap: Trap,
        pc: u64,
    ) {
        cpu.traps_in_a_row += 1;
        if cpu.traps_in_a_row > 1 {
            cpu.time.stall_one_insn(self.params, cpu.insns);
        }
        if cpu.traps_in_a_row >= TRAP_STORM_TRAPS {
            cpu.traps_in_a_row = 0;
            self.trap_storm.get_or_insert(TrapStorm { hart, pc, trap });
        }
        self.fe.handle_trap(&mut cpu.state, env, trap, pc);
    }

    fn stop_for_debugger(&mut self, hart: u32, pc: u64, reason: DebugStopReason) {
        *self.debug_stop = Some(DebugStop { hart, pc, reason });
        self.control.request(crate::ExitRequest::Debug);
    }
}
