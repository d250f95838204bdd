//! Chimera's JIT backend: compiles one engine [`Block`] at a time to a
//! host function that behaves exactly as the interpreter does on it (the
//! contract is in [`chimera_engine::native`]), in two tiers.
//!
//! `baseline` (x86-64 Unix hosts) is the first tier: a template compiler
//! whose code a block runs from its second run, made in microseconds.
//! `translate` turns the IR into Cranelift IR for the second (temporaries
//! become Cranelift variables, globals are loads and stores through the
//! context, memory accesses get an inline soft-MMU fast path, helpers and
//! slow paths call the engine's trampolines); this module owns
//! Cranelift's code memory and implements the engine's [`Backend`] trait.
//! It knows no architecture.

#[cfg(all(target_arch = "x86_64", unix))]
mod baseline;
#[cfg(all(target_arch = "x86_64", unix))]
mod heap;
mod perf_map;
mod shim;
mod translate;
mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chimera_engine::{Backend, BackendStats, Block, NativeAbi, NativeCode, TierTotals};
use cranelift_codegen::ir::{AbiParam, Signature, UserFuncName};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Module};

/// Functions compiled into one code module before a new one is started;
/// a module's memory is freed when the last block compiled into it is
/// dropped (invalidated or flushed).
const FUNCTIONS_PER_MODULE: u32 = 256;

/// Blocks longer than this stay interpreted (compile time grows with
/// them; such blocks are rare).
const MAX_OPS: usize = 20_000;

/// A code module and the memory of the functions compiled into it.
struct CodeModule(Mutex<Option<JITModule>>);

impl Drop for CodeModule {
    fn drop(&mut self) {
        let module = self.0.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(module) = module {
            // SAFETY: every `NativeCode` made from this module holds an
            // `Arc` to it, and the engine holds the `NativeCode` (through
            // its block) while the code runs; the last `Arc` being dropped
            // means no function of the module can run again.
            unsafe { module.free_memory() };
        }
    }
}

/// Compiles blocks: Cranelift's state and the code memory.
struct Compiler {
    isa: OwnedTargetIsa,
    module: Arc<CodeModule>,
    in_module: u32,
    /// The calling convention of compiled blocks.
    body_conv: CallConv,
    /// The runner of the current module, once compiled (blocks of a
    /// convention other than the host's only).
    runner: Option<usize>,
    ctx: Context,
    fctx: FunctionBuilderContext,
    compiled: u32,
}

/// Whether `block` is a loop that runs in Cranelift's code pass after
/// pass: an exit goes back to its start or to an earlier instruction it
/// may continue at, and the ops between that instruction and the exit
/// (the loop's body) leave the block by at most [`LOOP_MAX_EXITS`] other
/// exits. A loop that may leave at every other branch mostly runs a pass
/// or two and leaves, paying Cranelift's heavier entry and exit (every
/// global the block touches loaded and stored) each time: slower than
/// first-tier code on the Linux boot's deflate match loop (perf, per
/// block). Exits past the loop (a block may go on after it) do not count.
fn stays_in_loop(block: &Block) -> bool {
    use chimera_engine::ir::{Exit, Op};
    // Each instruction an exit may go on at, with its op position.
    let entries: Vec<(u64, usize)> = std::iter::once((block.pc, 0))
        .chain(
            block
                .ops
                .iter()
                .enumerate()
                .filter_map(|(at, op)| match op {
                    Op::InsnStart { pc, entry: true } => Some((*pc, at)),
                    _ => None,
                }),
        )
        .collect();
    // Where the exits that leave the block are, so far.
    let mut leaving: Vec<usize> = Vec::new();
    for (at, op) in block.ops.iter().enumerate() {
        match op {
            Op::Exit(Exit::Goto { pc, .. }) => {
                match entries.iter().find(|(entry, _)| entry == pc) {
                    Some(&(_, from)) if from < at => {
                        let body_exits = leaving.iter().filter(|&&exit| exit > from).count();
                        if body_exits <= LOOP_MAX_EXITS {
                            return true;
                        }
                    }
                    // A later entry: the block goes on there.
                    Some(_) => {}
                    None => leaving.push(at),
                }
            }
            Op::Exit(_) => leaving.push(at),
            _ => {}
        }
    }
    false
}

/// How many of `block`'s guest-register accesses Cranelift's code keeps
/// in host registers where the first tier's goes through the register
/// file: every access but the first of each register (whose value has to
/// come from, or go to, the register file in either tier); every access
/// when the block stays in its loop (Cranelift's loop keeps the value in
/// a register from pass to pass).
fn register_file_round_trips(block: &Block, looping: bool) -> usize {
    use chimera_engine::ir::Op;
    let mut seen: Vec<u32> = Vec::new();
    let mut accesses = 0;
    for op in &block.ops {
        let global = match op {
            Op::GetGlobal { global, .. } | Op::SetGlobal { global, .. } => global.0,
            _ => continue,
        };
        accesses += 1;
        if !seen.contains(&global) {
            seen.push(global);
        }
    }
    if looping {
        accesses
    } else {
        accesses - seen.len()
    }
}

/// Exits a loop's body may leave the block by and still count as a loop
/// that stays ([`stays_in_loop`]).
const LOOP_MAX_EXITS: usize = 1;

/// What optimising compiles cost, kept apart from [`Tally`] so that the
/// tier policy reads it without a lock: nanoseconds and IR ops over every
/// block compiled.
#[derive(Debug, Default)]
struct CompileCost {
    ns: AtomicU64,
    ops: AtomicU64,
}

/// Nanoseconds per IR op assumed before enough compiles were measured:
/// Cranelift at `opt_level=speed` took 0.86 ms for the median block of a
/// Linux boot (~170 ops), here.
const PRIOR_NS_PER_OP: u64 = 5_000;

/// Host nanoseconds Cranelift's code saves per guest instruction over the
/// first tier's in a block that leaves when it ends, beyond what
/// [`FIRST_TIER_CALL_GAP_NS`] counts: little, as both tiers keep guest
/// registers in the register file between blocks. Measured on Debian's
/// Linux boot (perf, per block, `CHIMERA_PERF_MAP=1`): a string-scanning
/// loop of 26 instructions ran 2 M times in the same time on both tiers.
const FIRST_TIER_GAP_NS: f64 = 0.1;

/// The same in a block that stays in its loop ([`stays_in_loop`]),
/// which Cranelift's code runs as a loop with values in host registers
/// (`chimera run --accel baseline` against `--accel jit-sync`, 150 M
/// instructions of the rv64 bench workloads, user time: ~0.3 ns for crc,
/// hash, matmul).
const FIRST_TIER_LOOP_GAP_NS: f64 = 0.3;

/// What Cranelift's code saves per guest-register access the first tier
/// makes through the register file and Cranelift's keeps in a host
/// register ([`register_file_round_trips`]): a store and a reload on a
/// chain of dependent instructions, ~5 host cycles. The rv64 hash
/// workload's straight 32-instruction blocks (~60 round trips) ran
/// 1.3-2.9 times as long on the first tier, ~19 ns a run more.
const FIRST_TIER_ROUND_TRIP_NS: f64 = 0.15;

/// What Cranelift's code saves per op the first tier does by a call to
/// `eval` (float, division, high multiplies): a Linux boot's big-number
/// multiply loop (one `mulhu` in 32 instructions) ran twice as fast
/// under Cranelift; the rv64 float workload 3 ns per instruction faster.
const FIRST_TIER_CALL_GAP_NS: f64 = 4.0;

/// The same per instruction over the interpreter: ~25 ns interpreted.
const INTERPRETER_GAP_NS: f64 = 20.0;

/// Ops compiled before the measured cost replaces the prior.
const MEASURED_AFTER_OPS: u64 = 4_000;

impl CompileCost {
    fn record(&self, ns: u64, ops: usize) {
        self.ns.fetch_add(ns, Ordering::Relaxed);
        self.ops.fetch_add(ops as u64, Ordering::Relaxed);
    }

    fn estimate(&self, ops: usize) -> u64 {
        let (ns, done) = (
            self.ns.load(Ordering::Relaxed),
            self.ops.load(Ordering::Relaxed),
        );
        let per_op = if done >= MEASURED_AFTER_OPS {
            ns / done
        } else {
            PRIOR_NS_PER_OP
        };
        per_op.saturating_mul(ops as u64)
    }
}

/// What the backend did so far.
#[derive(Debug, Default)]
struct Tally {
    compile_ns: Vec<u64>,
    compiled: u64,
    failed: u64,
    baseline_ns: Vec<u64>,
    baseline_failed: u64,
    /// Cranelift's totals, then the first tier's.
    tiers: [TierTotals; 2],
}

/// The median of `times` (0 when empty).
fn median(times: &[u64]) -> u64 {
    let mut times = times.to_vec();
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or(0)
}

impl Tally {
    /// A Cranelift compile of `block`: its time and code size, or a
    /// refusal.
    fn record(&mut self, block: &Block, done: Option<(u64, usize)>) {
        match done {
            Some((ns, bytes)) => {
                self.compiled += 1;
                self.compile_ns.push(ns);
                self.tiers[0].add(ns, bytes, block.insns);
            }
            None => self.failed += 1,
        }
    }
}

/// Where compiling happens.
enum Mode {
    /// In the CPU's thread, when the block becomes hot.
    Inline(Box<Compiler>),
    /// Nowhere: blocks keep their first-tier code (for testing and
    /// measuring that tier).
    FirstTierOnly,
    /// In a thread of the backend's own; the block runs its first-tier
    /// code, or interpreted, until its code is ready (which changes no
    /// guest-visible result: compiled and interpreted runs are equivalent
    /// to the instruction).
    Background(worker::Worker<NativeAbi>),
}

/// The Cranelift backend of one cluster, with its first tier where the
/// host has one (x86-64 Unix).
pub struct JitBackend {
    triple: String,
    mode: Mode,
    tally: Arc<Mutex<Tally>>,
    cost: Arc<CompileCost>,
    /// Where the code's names go for `perf`, when asked for.
    perf_map: Option<Arc<perf_map::PerfMap>>,
    #[cfg(all(target_arch = "x86_64", unix))]
    baseline: Option<baseline::Baseline>,
}

impl std::fmt::Debug for JitBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JitBackend({})", self.triple)
    }
}

impl JitBackend {
    /// A backend for the host that compiles in the CPU's thread; an error
    /// when Cranelift does not support the host (the caller then
    /// interprets).
    pub fn new() -> Result<Self, String> {
        let compiler = Compiler::new()?;
        Ok(JitBackend {
            triple: compiler.isa.triple().to_string(),
            mode: Mode::Inline(Box::new(compiler)),
            tally: Arc::default(),
            cost: Arc::default(),
            perf_map: perf_map::PerfMap::from_env().map(Arc::new),
            #[cfg(all(target_arch = "x86_64", unix))]
            baseline: None,
        })
    }

    /// A backend that gives blocks first-tier code only (the template
    /// compiler's, see [`Backend::baseline`]); an error on hosts without
    /// a first tier.
    pub fn first_tier_only() -> Result<Self, String> {
        #[cfg(all(target_arch = "x86_64", unix))]
        {
            Ok(JitBackend {
                triple: "x86_64".into(),
                mode: Mode::FirstTierOnly,
                tally: Arc::default(),
                cost: Arc::default(),
                perf_map: perf_map::PerfMap::from_env().map(Arc::new),
                baseline: Some(baseline::Baseline::default()),
            })
        }
        #[cfg(not(all(target_arch = "x86_64", unix)))]
        Err("no first-tier compiler for this host".into())
    }

    /// A backend for the host that compiles in a thread of its own while
    /// the CPU goes on with the block's first-tier code (where the host
    /// has a first tier) or interpreting it; an error when Cranelift does
    /// not support the host or no thread can be started.
    pub fn background() -> Result<Self, String> {
        let mut compiler = Compiler::new()?;
        let triple = compiler.isa.triple().to_string();
        let tally: Arc<Mutex<Tally>> = Arc::default();
        let cost: Arc<CompileCost> = Arc::default();
        let perf_map = perf_map::PerfMap::from_env().map(Arc::new);
        let (worker_tally, worker_cost, worker_map) =
            (tally.clone(), cost.clone(), perf_map.clone());
        let worker = worker::Worker::start(move |job: &worker::Job<NativeAbi>| {
            let (code, done) = compiler.timed(&job.block, &job.with);
            if let (Ok(code), Some((_, bytes)), Some(map)) = (&code, done, &worker_map) {
                map.record(code.entry(), bytes, job.block.pc, "t2");
            }
            job.block.set_native(code.ok());
            if let Some((ns, _)) = done {
                worker_cost.record(ns, job.block.ops.len());
            }
            lock(&worker_tally).record(&job.block, done);
        })?;
        Ok(JitBackend {
            triple,
            mode: Mode::Background(worker),
            tally,
            cost,
            perf_map,
            #[cfg(all(target_arch = "x86_64", unix))]
            baseline: Some(baseline::Baseline::default()),
        })
    }
}

/// Locks the tally, whose data stays valid even if a holder panicked.
fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|e| e.into_inner())
}

impl Compiler {
    fn new() -> Result<Self, String> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| {
            f.set(k, v)
                .map_err(|e| format!("cranelift setting {k}: {e}"))
        };
        // The mid-end (e-graph) sinks values into the exits that need them
        // (ARM's flags: a CMP computes N, Z, C and V for the side exits)
        // and folds constants: callgrind, host instructions per guest
        // instruction, m4 crc 7.9 -> 4.8, hash 11.8 -> 9.2, sort 15.0 ->
        // 13.2, rv64 matmul 9.3 -> 8.4, float 26.4 -> 23.7, the rest
        // within 2%. It costs ~35% more compile time, which the first
        // tier's code hides.
        set(&mut flags, "opt_level", "speed")?;
        // Cranelift's tail calls (how blocks go on to the next) need them.
        set(&mut flags, "preserve_frame_pointers", "true")?;
        set(&mut flags, "use_colocated_libcalls", "false")?;
        set(&mut flags, "is_pic", "false")?;
        set(&mut flags, "enable_verifier", "false")?;
        // Compiled code never unwinds: trampolines are `extern "C"`.
        set(&mut flags, "unwind_info", "false")?;
        let isa = cranelift_native::builder()
            .map_err(|e| format!("host not supported by Cranelift: {e}"))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| format!("host not supported by Cranelift: {e}"))?;
        let module = Self::new_module(&isa);
        // Blocks go on to the next block with a tail call (a jump per
        // exit, which the host predicts exit by exit), which Cranelift
        // offers in its `tail` convention; the first tier's code follows
        // it too.
        let body_conv = CallConv::Tail;
        Ok(Compiler {
            isa,
            module,
            in_module: 0,
            body_conv,
            runner: None,
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            compiled: 0,
        })
    }

    fn new_module(isa: &OwnedTargetIsa) -> Arc<CodeModule> {
        let builder = JITBuilder::with_isa(isa.clone(), default_libcall_names());
        Arc::new(CodeModule(Mutex::new(Some(JITModule::new(builder)))))
    }

    /// The signature of compiled blocks: `(ctx) -> next pc`.
    fn signature(&self) -> Signature {
        let ptr = self.isa.pointer_type();
        let mut sig = Signature::new(self.body_conv);
        sig.params.push(AbiParam::new(ptr));
        sig.returns
            .push(AbiParam::new(cranelift_codegen::ir::types::I64));
        sig
    }

    /// Compiles `block`: its code (or why not) and, when compiled, the
    /// nanoseconds it took and its size in bytes.
    fn timed(
        &mut self,
        block: &Block,
        abi: &NativeAbi,
    ) -> (Result<NativeCode, String>, Option<(u64, usize)>) {
        let start = Instant::now();
        match self.compile_guarded(block, abi) {
            Ok((code, bytes)) => (Ok(code), Some((start.elapsed().as_nanos() as u64, bytes))),
            Err(e) => (Err(e), None),
        }
    }

    /// [`Compiler::compile`], with a panic inside Cranelift (a bug that
    /// guest code must not turn into a crash) reported as a refusal: the
    /// block stays interpreted.
    fn compile_guarded(
        &mut self,
        block: &Block,
        abi: &NativeAbi,
    ) -> Result<(NativeCode, usize), String> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.compile(block, abi)))
            .unwrap_or_else(|_| Err(format!("code generator failed on block {:#x}", block.pc)))
    }

    /// Compiles `block`: its code and size in bytes.
    fn compile(&mut self, block: &Block, abi: &NativeAbi) -> Result<(NativeCode, usize), String> {
        if block.ops.len() > MAX_OPS {
            return Err(format!("block of {} ops is too long", block.ops.len()));
        }
        // Trampolines take the instruction index in 16 bits.
        if block.insns > u32::from(u16::MAX) {
            return Err(format!("{} instructions in one block", block.insns));
        }
        if self.in_module >= FUNCTIONS_PER_MODULE {
            self.module = Self::new_module(&self.isa);
            self.in_module = 0;
            self.runner = None;
        }
        let runner = match self.runner {
            Some(r) => Some(r),
            None if self.body_conv != self.isa.default_call_conv() => {
                let r = self.compile_runner(abi)?;
                self.runner = Some(r);
                Some(r)
            }
            None => None,
        };
        self.ctx.clear();
        self.ctx.func.signature = self.signature();
        self.ctx.func.name = UserFuncName::user(0, self.compiled);
        translate::translate(
            block,
            abi,
            &mut self.ctx.func,
            &mut self.fctx,
            self.isa.as_ref(),
        )?;
        let entry = self.define_current()?;
        let bytes = self
            .ctx
            .compiled_code()
            .map_or(0, |c| c.code_info().total_size as usize);
        self.in_module += 1;
        self.compiled = self.compiled.wrapping_add(1);
        let code = match runner {
            // SAFETY: `entry` is the function just compiled from `block`
            // by `translate`, which follows the engine's native contract
            // for `abi` (including its `globals_len`) in `body_conv`;
            // `runner` is this module's runner, which calls blocks of
            // `body_conv` and follows `ctx.next` as `with_runner` asks;
            // both live in `self.module`, whose memory is kept until the
            // last `Arc` to it (held here by the `NativeCode`) goes.
            Some(runner) => unsafe {
                NativeCode::with_runner(entry, runner, abi.globals_len, self.module.clone())
            },
            // SAFETY: as above, `entry` being of the host's convention.
            None => unsafe { NativeCode::new(entry, abi.globals_len, self.module.clone()) },
        };
        Ok((code, bytes))
    }

    /// Compiles into the current module the host-convention function that
    /// runs a block of `body_conv` and the blocks it chains to (see
    /// [`NativeCode::with_runner`]).
    fn compile_runner(&mut self, abi: &NativeAbi) -> Result<usize, String> {
        use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData};
        let ptr = self.isa.pointer_type();
        self.ctx.clear();
        let mut sig = Signature::new(self.isa.default_call_conv());
        sig.params.push(AbiParam::new(ptr));
        sig.params.push(AbiParam::new(ptr));
        sig.returns.push(AbiParam::new(types::I64));
        self.ctx.func.signature = sig;
        self.ctx.func.name = UserFuncName::user(1, self.compiled);
        let body = self.signature();
        let next_at = abi.ctx.next as i32;
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let start = b.create_block();
        b.append_block_params_for_function_params(start);
        let call = b.create_block();
        b.append_block_param(call, ptr);
        let again = b.create_block();
        let done = b.create_block();
        b.append_block_param(done, types::I64);
        b.switch_to_block(start);
        let ctx = b.block_params(start)[0];
        let first = b.block_params(start)[1];
        b.ins().jump(call, &[first.into()]);
        b.switch_to_block(call);
        let entry = b.block_params(call)[0];
        let body = b.import_signature(body);
        let inst = b.ins().call_indirect(body, entry, &[ctx]);
        let result = b.inst_results(inst)[0];
        let next = b.ins().load(ptr, MemFlagsData::trusted(), ctx, next_at);
        b.ins().brif(next, again, &[], done, &[result.into()]);
        b.switch_to_block(again);
        let zero = b.ins().iconst(ptr, 0);
        b.ins().store(MemFlagsData::trusted(), zero, ctx, next_at);
        b.ins().jump(call, &[next.into()]);
        b.switch_to_block(done);
        let result = b.block_params(done)[0];
        b.ins().return_(&[result]);
        b.seal_all_blocks();
        b.finalize(self.isa.frontend_config());
        self.define_current()
    }

    /// Compiles the function in `self.ctx` into the current module and
    /// makes it executable: its address.
    fn define_current(&mut self) -> Result<usize, String> {
        let mut guard = self.module.0.lock().unwrap_or_else(|e| e.into_inner());
        let module = guard.as_mut().ok_or("code module already freed")?;
        let id = module
            .declare_anonymous_function(&self.ctx.func.signature)
            .map_err(|e| e.to_string())?;
        module
            .define_function(id, &mut self.ctx)
            .map_err(|e| format!("{e:?}"))?;
        module.finalize_definitions().map_err(|e| e.to_string())?;
        Ok(module.get_finalized_function(id) as usize)
    }
}

impl Backend for JitBackend {
    fn name(&self) -> &str {
        "jit"
    }

    fn compile(&mut self, block: &Block, abi: &NativeAbi) -> Result<NativeCode, String> {
        match &mut self.mode {
            Mode::Inline(compiler) => {
                let (result, done) = compiler.timed(block, abi);
                if let Some((ns, bytes)) = done {
                    self.cost.record(ns, block.ops.len());
                    if let (Ok(code), Some(map)) = (&result, &self.perf_map) {
                        map.record(code.entry(), bytes, block.pc, "t2");
                    }
                }
                lock(&self.tally).record(block, done);
                result
            }
            Mode::Background(_) => Err("this backend compiles in the background".into()),
            Mode::FirstTierOnly => Err("this backend gives first-tier code only".into()),
        }
    }

    fn baseline(
        &mut self,
        block: &Block,
        abi: &NativeAbi,
        tier_up_runs: u32,
    ) -> Option<NativeCode> {
        // Nothing to tier up to.
        let tier_up_runs = match self.mode {
            Mode::FirstTierOnly => 0,
            _ => tier_up_runs,
        };
        #[cfg(all(target_arch = "x86_64", unix))]
        if let Some(compiler) = &mut self.baseline {
            let start = Instant::now();
            // A panic in the assembler (a bug that guest code must not
            // turn into a crash) is a refusal: the block stays below.
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                compiler.compile(block, abi, tier_up_runs)
            }))
            .unwrap_or_else(|_| Err("first-tier compiler failed".into()));
            let ns = start.elapsed().as_nanos() as u64;
            let mut tally = lock(&self.tally);
            match code {
                Ok((code, bytes)) => {
                    if let Some(map) = &self.perf_map {
                        map.record(code.entry(), bytes, block.pc, "t1");
                    }
                    tally.baseline_ns.push(ns);
                    tally.tiers[1].add(ns, bytes, block.insns);
                    return Some(code);
                }
                Err(_) => {
                    tally.baseline_failed += 1;
                    return None;
                }
            }
        }
        let _ = (block, abi, tier_up_runs);
        None
    }

    fn submit(&mut self, block: &Arc<Block>, abi: &NativeAbi) {
        #[cfg(all(target_arch = "x86_64", unix))]
        if let Some(compiler) = &mut self.baseline {
            // Before any compiled code can be there for it to find. Left
            // unpatched (a host refusing to remap its code), its first-tier
            // code runs on where entered: slower, never wrong.
            let _ = compiler.arm_forward(block);
        }
        match &mut self.mode {
            Mode::Inline(_) => {
                let code = self.compile(block, abi).ok();
                block.set_native(code);
            }
            Mode::FirstTierOnly => block.set_native(None),
            Mode::Background(worker) => worker.submit(worker::Job::new(block.clone(), *abi)),
        }
    }

    fn saving_per_run_ns(&self, block: &Block, first_tier: bool) -> f64 {
        let insns = f64::from(block.insns.max(1));
        if !first_tier {
            return insns * INTERPRETER_GAP_NS;
        }
        #[cfg(all(target_arch = "x86_64", unix))]
        let calls = baseline::eval_ops(block) as f64;
        #[cfg(not(all(target_arch = "x86_64", unix)))]
        let calls = 0.0;
        let looping = stays_in_loop(block);
        let gap = if looping {
            FIRST_TIER_LOOP_GAP_NS
        } else {
            FIRST_TIER_GAP_NS
        };
        let round_trips = register_file_round_trips(block, looping) as f64;
        insns * gap + round_trips * FIRST_TIER_ROUND_TRIP_NS + calls * FIRST_TIER_CALL_GAP_NS
    }

    fn compile_cost_ns(&self, ops: usize) -> Option<u64> {
        match self.mode {
            Mode::FirstTierOnly => None,
            _ => Some(self.cost.estimate(ops)),
        }
    }

    fn stats(&self) -> BackendStats {
        let tally = lock(&self.tally);
        BackendStats {
            compiled: tally.compiled,
            failed: tally.failed,
            median_compile_ns: median(&tally.compile_ns),
            baseline_compiled: tally.baseline_ns.len() as u64,
            baseline_failed: tally.baseline_failed,
            median_baseline_ns: median(&tally.baseline_ns),
            tiers: tally.tiers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{register_file_round_trips, stays_in_loop};
    use chimera_engine::ir::{Exit, Global, Op, Temp};
    use chimera_engine::{Block, BlockKey};

    /// A block at 0x100 of one-op instructions: `Some(pc)` is an exit to
    /// `pc`, `None` an instruction another exit may continue at.
    fn block(insns: &[Option<u64>]) -> Block {
        let mut ops = Vec::new();
        for (i, exit) in insns.iter().enumerate() {
            let pc = 0x100 + 4 * i as u64;
            ops.push(Op::InsnStart {
                pc,
                entry: exit.is_none() || i == 0,
            });
            if let Some(to) = exit {
                ops.push(Op::Exit(Exit::Goto { pc: *to, slot: 0 }));
            }
        }
        let key = BlockKey {
            phys_pc: 0x100,
            mode: 0,
        };
        Block::new(
            key,
            0x100,
            ops,
            Vec::new(),
            vec![(0x100, 4 * insns.len() as u64)],
        )
    }

    #[test]
    fn only_repeated_register_accesses_are_round_trips_unless_looping() {
        // x1 read twice and written once, x2 read once.
        let accesses = [
            Op::GetGlobal {
                dst: Temp(0),
                global: Global(1),
            },
            Op::GetGlobal {
                dst: Temp(1),
                global: Global(2),
            },
            Op::SetGlobal {
                global: Global(1),
                src: Temp(1),
            },
            Op::GetGlobal {
                dst: Temp(2),
                global: Global(1),
            },
        ];
        let plain = block(&[Some(0x900)]);
        let ops = [&plain.ops[..1], &accesses[..], &plain.ops[1..]].concat();
        let key = BlockKey {
            phys_pc: 0x100,
            mode: 0,
        };
        let b = Block::new(key, 0x100, ops, Vec::new(), vec![(0x100, 4)]);
        assert_eq!(register_file_round_trips(&b, false), 2);
        assert_eq!(register_file_round_trips(&b, true), 4);
    }

    #[test]
    fn a_loop_with_one_early_exit_stays() {
        assert!(stays_in_loop(&block(&[
            Some(0x900),
            Some(0x100),
            Some(0x104)
        ])));
    }

    #[test]
    fn a_loop_that_may_leave_at_every_other_branch_does_not() {
        let b = block(&[None, Some(0x900), Some(0x904), Some(0x100)]);
        assert!(!stays_in_loop(&b));
    }

    #[test]
    fn only_exits_inside_the_loop_body_count() {
        // Leaves before the loop's head and after its back edge.
        let b = block(&[
            Some(0x900),
            Some(0x904),
            None,
            Some(0x108),
            Some(0x908),
            Some(0x90c),
        ]);
        assert!(stays_in_loop(&b));
    }

    #[test]
    fn forward_exits_within_the_block_neither_loop_nor_leave() {
        assert!(!stays_in_loop(&block(&[Some(0x108), Some(0x900), None])));
        let b = block(&[None, Some(0x10c), Some(0x900), None, Some(0x100)]);
        assert!(stays_in_loop(&b));
    }
}
