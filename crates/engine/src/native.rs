//! The contract between the engine and a backend that compiles blocks to
//! host code (the Cranelift JIT of `chimera-jit`), and the engine's side
//! of it: the context compiled code runs with, and the `extern "C"`
//! trampolines through which it reaches the soft-MMU's slow path and the
//! frontend's helpers.
//!
//! The engine never depends on a code generator: a machine plugs a
//! [`Backend`] into a cluster ([`ClusterRun::set_backend`](crate::ClusterRun::set_backend)),
//! and the cluster asks it to compile blocks that have run often.
//!
//! # The compiled function
//!
//! A block compiles to `extern "C" fn(*mut NativeCtx) -> u64` that does
//! what [`interp::run_block`](crate::interp::run_block) does with no
//! [`Stops`](crate::interp::Stops):
//!
//! - globals are the `u64`s at `ctx.globals` (indices at or past the
//!   length given to [`Backend::compile`] read as 0 and ignore writes, as
//!   in the interpreter); the pointer must be read again from the context
//!   after every trampoline call. Code may keep globals in host registers,
//!   but they must be in memory at every exit, before every helper call
//!   (reading them again after it) except to helpers that touch none
//!   ([`NativeAbi::global_free_helpers`]), and whenever a trampoline
//!   reports a trap: the load and store trampolines (the soft-MMU,
//!   devices, the frontend's address translation and CPU-local registers)
//!   never read or write the CPU's globals;
//! - loads and stores may use the TLB fast path ([`crate::TlbLayout`],
//!   table at `ctx.tlb`), else call the load / store trampolines
//!   ([`NativeAbi::load`], [`NativeAbi::store`]); helper calls put their arguments in
//!   `ctx.args` and call [`NativeAbi::call`] (or the helper's own, see
//!   [`NativeAbi::call_for`]); a helper that touches no globals may
//!   instead be called through [`NativeAbi::free_call_for`] with its
//!   arguments in registers ([`FreeCallFn`]). Each trampoline takes the
//!   index of the current instruction in the block (0-based; 0 before the
//!   first `InsnStart`) and its pc. After a call, a nonzero `ctx.status`
//!   means the instruction trapped: the function returns at once (any
//!   value), the engine having recorded the trap;
//! - the code's *chaining budget* starts as `ctx.budget` (the engine sets
//!   it to what it would run between two looks at interrupts, deadlines
//!   and stop requests) and is read again from `ctx.budget` after every
//!   trampoline call but a global-free helper's: a trampoline sets
//!   `ctx.budget` to 0 when the run loop must look before the next block
//!   (a helper that is not a leaf ran; an access reached a device or a
//!   CPU-local register, or wrote translated code; a halt, code flush or
//!   block end was asked for), and only then;
//! - at an `InsnStart` other than the first, a nonzero `ctx.end_block`
//!   (set by trampolines) ends the block there: `ctx.retired` = the
//!   instructions run, `ctx.exit_kind` = [`EXIT_END_BLOCK`], and the
//!   function returns that instruction's pc;
//! - an exit sets `ctx.retired` to the instructions run and
//!   `ctx.exit_kind` to [`EXIT_CHAIN`] (`Goto`, `Jump`) or
//!   [`EXIT_TO_LOOP`] (`Return`), and returns the next pc;
//! - a `Goto` back to the block's own start may run the block again
//!   without returning, when the instructions retired so far plus the
//!   block's length stay within the chaining budget. The same holds of a `Goto` back to an earlier entry instruction
//!   ([`Op::InsnStart`](crate::ir::Op::InsnStart) with `entry`), which
//!   may go on there. Trampolines count from `ctx.retired`
//!   (`ctx.retired` + instruction index), so before calling one, code
//!   that looped stores there the instructions retired before the
//!   current pass;
//! - the function starts counting from `ctx.retired` (0 for the first
//!   block of a run, the instructions retired before it for a chained
//!   one);
//! - every exit stores in `ctx.link` the address of the block's
//!   [`ChainLink`] for that `Goto` slot or `Jump` exit (one of
//!   [`Block::exit_link`], or one in the memory of the code itself, which
//!   the block holds as long as it lives), or 0 for other exits; the
//!   engine fills the link when it follows the exit to a compiled block. A `Goto` or `Jump` may instead chain: when the
//!   instructions retired so far plus the link's `insns` (the successor's
//!   length) stay within the chaining budget — so that compiled code never
//!   runs past it, and every accelerator stops at the same instruction —
//!   and the link's epoch equals `ctx.epoch` (never
//!   0, the epoch of an unset link; for a `Jump`, its pc must also equal
//!   the target;
//!   failing that, the same holds of the target's entry in the jump table
//!   at `ctx.jumps`, [`crate::dispatch::DISPATCH_ENTRIES`] [`ChainLink`]s
//!   indexed by [`crate::dispatch::dispatch_index`]), it stores the count
//!   in `ctx.retired`, the entry in `ctx.next`, and returns; the engine
//!   (or the backend's runner, [`NativeCode::with_runner`]) then calls
//!   that entry with the same context. Blocks run
//!   this way see `cpu.pc()` as the first block's pc (helpers get theirs
//!   in [`HelperCtx`]). A frontend's mode ([`Frontend::block_mode`]) may
//!   change only through trampolines or as a fixed function of a block's
//!   code; the epoch ([`crate::chain`]) changes whenever the CPU's address
//!   translation or mode changes or its cluster drops any block, so a
//!   link made once stays right while the epoch holds.

use std::any::Any;
use std::ffi::c_void;
use std::sync::Arc;

use chimera_memory::{AccessKind, Endian};

use crate::interp::{BlockEnd, BlockRun};
use crate::{mmu, Block, ChainLink, CpuEnv, CpuState, Frontend, HelperCtx, TlbLayout, Trap};

/// `exit_kind`: the block took a `Goto` or `Jump` exit.
pub const EXIT_CHAIN: u32 = 0;
/// `exit_kind`: the block took a `Return` exit.
pub const EXIT_TO_LOOP: u32 = 1;
/// `exit_kind`: the block stopped at an instruction boundary because a
/// trampoline saw a request to end the block.
pub const EXIT_END_BLOCK: u32 = 2;
/// `exit_kind`: first-tier code found on entry that its block's run count
/// reached the number it was made with ([`Backend::baseline`]): nothing
/// ran, the pc is the block's own, and the engine decides on compiling
/// the block before running it again.
pub const EXIT_TIER_UP: u32 = 3;

/// What compiled code runs with. Fields are at the offsets
/// [`CtxLayout`] gives.
#[derive(Debug)]
#[repr(C)]
pub struct NativeCtx {
    globals: *mut u64,
    tlb: usize,
    status: u32,
    end_block: u32,
    retired: u32,
    exit_kind: u32,
    args: [u64; 6],
    run: *mut c_void,
    budget: u64,
    next: usize,
    link: usize,
    epoch: u64,
    jumps: usize,
}

/// Offset of [`NativeCtx`]'s argument slots ([`CtxLayout::args`]), as a
/// constant for hand-written code.
pub const CTX_ARGS_OFFSET: usize = std::mem::offset_of!(NativeCtx, args);

/// Offsets of [`NativeCtx`]'s fields, for code generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtxLayout {
    /// `*mut u64`: the CPU's globals.
    pub globals: u32,
    /// `usize`: the TLB's first entry.
    pub tlb: u32,
    /// `u32`: nonzero after a trampoline when the instruction trapped.
    pub status: u32,
    /// `u32`: nonzero after a trampoline when the block must end at the
    /// next instruction boundary.
    pub end_block: u32,
    /// `u32`: instructions retired, set by compiled code at its exits.
    pub retired: u32,
    /// `u32`: how the block ended (`EXIT_*`), set by compiled code.
    pub exit_kind: u32,
    /// `[u64; 6]`: a helper call's arguments.
    pub args: u32,
    /// `u64`: instructions the code may retire before it returns, when it
    /// loops on itself or chains.
    pub budget: u32,
    /// `usize`: the compiled entry to run next (set when chaining).
    pub next: u32,
    /// `usize`: the [`ChainLink`] of the `Goto` exit taken, or 0.
    pub link: u32,
    /// `u64`: the CPU's chain epoch.
    pub epoch: u32,
    /// `usize`: the CPU's jump table's first entry.
    pub jumps: u32,
}

/// A trampoline for loads: `(ctx, vaddr, pc, info) -> raw value`, where
/// `info` is [`mem_info`]. The value is zero-extended from `size` bytes.
pub type LoadFn = extern "C" fn(*mut NativeCtx, u64, u64, u64) -> u64;
/// A trampoline for stores: `(ctx, vaddr, value, pc, info)`.
pub type StoreFn = extern "C" fn(*mut NativeCtx, u64, u64, u64, u64);
/// What runs compiled code of a backend's own convention:
/// `(ctx, entry) -> next pc` (see [`NativeCode::with_runner`]).
pub type RunnerFn = extern "C" fn(*mut NativeCtx, usize) -> u64;
/// A trampoline for a helper that touches no globals:
/// `(ctx, a0, a1, a2, a3, a4) -> result`, with the pc in `ctx.args[0]` and
/// [`call_info`] in `ctx.args[1]` (arguments past the helper's count are
/// ignored). Arguments in registers and no bookkeeping of globals: the
/// float operations of a guest call one per instruction.
pub type FreeCallFn = extern "C" fn(*mut NativeCtx, u64, u64, u64, u64, u64) -> u64;
/// A trampoline for helper calls: `(ctx, helper, pc, info) -> result`,
/// where `info` is [`call_info`]; the arguments are in `ctx.args`.
pub type CallFn = extern "C" fn(*mut NativeCtx, u64, u64, u64) -> u64;

/// Packs a memory access for the load and store trampolines.
/// Packs a memory access for the load and store trampolines: 32 bits
/// (code may pass it as an immediate), the instruction index above bit
/// 16 (blocks hold fewer than 65,536 instructions).
pub fn mem_info(insn: u32, size: u8, endian: Endian) -> u64 {
    (u64::from(insn & 0xffff) << INFO_INSN_SHIFT)
        | (u64::from(endian == Endian::Big) << 8)
        | u64::from(size)
}

/// Packs a helper call for the call trampoline (32 bits, as
/// [`mem_info`]).
pub fn call_info(insn: u32, nargs: u8) -> u64 {
    (u64::from(insn & 0xffff) << INFO_INSN_SHIFT) | u64::from(nargs)
}

/// Where the instruction index sits in [`mem_info`] and [`call_info`].
const INFO_INSN_SHIFT: u32 = 16;

/// Everything a backend needs to compile for one cluster.
#[derive(Debug, Clone, Copy)]
pub struct NativeAbi {
    /// The context's layout.
    pub ctx: CtxLayout,
    /// The TLB's layout.
    pub tlb: TlbLayout,
    /// Address of the load trampoline ([`LoadFn`]).
    pub load: usize,
    /// Address of the store trampoline ([`StoreFn`]).
    pub store: usize,
    /// Address of the helper trampoline ([`CallFn`]).
    pub call: usize,
    /// Length of the CPU's globals.
    pub globals_len: usize,
    /// The layout of a block's chain links.
    pub link: crate::LinkLayout,
    /// Bit `i` set: helper `i` is a leaf ([`Helper::leaf`](crate::Helper::leaf)).
    pub leaf_helpers: u128,
    /// Bit `i` set: helper `i` is a leaf that neither reads nor writes
    /// globals ([`Helper::globals`](crate::Helper::globals)): they need not
    /// be in memory for the call, only when it traps.
    pub global_free_helpers: u128,
    /// Trampolines of the first [`OWN_TRAMPOLINES`] helpers, one each
    /// (same signature as `call`).
    pub own_calls: [usize; OWN_TRAMPOLINES],
    /// Register-argument trampolines ([`FreeCallFn`]) of the first
    /// [`OWN_TRAMPOLINES`] helpers, for those in `global_free_helpers`.
    pub free_calls: [usize; OWN_TRAMPOLINES],
}

impl NativeAbi {
    /// The trampoline to call for helper `helper`: its own when it has
    /// one, else the shared `call`.
    pub fn call_for(&self, helper: u32) -> usize {
        self.own_calls
            .get(helper as usize)
            .copied()
            .unwrap_or(self.call)
    }

    /// The register-argument trampoline of helper `helper`, when it
    /// touches no globals and has one.
    pub fn free_call_for(&self, helper: u32) -> Option<usize> {
        let free = helper < 128 && self.global_free_helpers & (1 << helper) != 0;
        free.then(|| self.free_calls.get(helper as usize).copied())
            .flatten()
    }
}

/// The trampolines of frontend `F` (their addresses go to backends in
/// [`NativeAbi`]).
struct Trampolines;

impl Trampolines {
    /// The load trampoline.
    extern "C" fn load<F: Frontend>(ctx: *mut NativeCtx, vaddr: u64, pc: u64, info: u64) -> u64 {
        with_run::<F, _>(ctx, pc, info, Call::Memory, |fe, cpu, env| {
            let size = (info & 0xff) as usize;
            mmu::load(fe, cpu, env, vaddr, size, endian_of(info), AccessKind::Read)
        })
    }

    /// The store trampoline.
    extern "C" fn store<F: Frontend>(
        ctx: *mut NativeCtx,
        vaddr: u64,
        value: u64,
        pc: u64,
        info: u64,
    ) {
        with_run::<F, _>(ctx, pc, info, Call::Memory, |fe, cpu, env| {
            let size = (info & 0xff) as usize;
            mmu::store(fe, cpu, env, vaddr, size, endian_of(info), value).map(|()| 0)
        });
    }

    /// The helper trampoline.
    extern "C" fn call<F: Frontend>(ctx: *mut NativeCtx, helper: u64, pc: u64, info: u64) -> u64 {
        Self::call_inner::<F>(ctx, helper, pc, info)
    }

    /// The helper trampoline for helper `N` alone: its indirect call to
    /// the helper is a call site of its own, which the host's branch
    /// predictor learns (one shared site mispredicts whenever the helper
    /// changes, e.g. between float operations).
    extern "C" fn call_n<F: Frontend, const N: u64>(
        ctx: *mut NativeCtx,
        _helper: u64,
        pc: u64,
        info: u64,
    ) -> u64 {
        Self::call_inner::<F>(ctx, N, pc, info)
    }

    /// The trampoline of helper `N` when it touches no globals (see
    /// [`FreeCallFn`]).
    extern "C" fn call_free_n<F: Frontend, const N: u64>(
        ctx: *mut NativeCtx,
        a0: u64,
        a1: u64,
        a2: u64,
        a3: u64,
        a4: u64,
    ) -> u64 {
        let argv = [a0, a1, a2, a3, a4];
        // SAFETY: `ctx` is the context `run_native` made and handed to the
        // compiled code, which passes it back unchanged and stored the pc
        // and call info in its first two argument slots.
        let (pc, info) = unsafe { ((*ctx).args[0], (*ctx).args[1]) };
        with_run::<F, _>(ctx, pc, info, Call::Free, |fe, cpu, env| {
            call_helper(
                fe,
                cpu,
                env,
                N,
                pc,
                &argv[..((info & 0xff) as usize).min(5)],
            )
        })
    }

    #[inline(always)]
    fn call_inner<F: Frontend>(ctx: *mut NativeCtx, helper: u64, pc: u64, info: u64) -> u64 {
        // SAFETY: `ctx` is the context `run_native` made and handed to the
        // compiled code, which passes it back unchanged; it is live for
        // the whole run and nothing else references it during the call.
        // One 8-byte load per argument: compiled code has just stored
        // them one by one, and a wider load spanning two of those stores
        // could not be forwarded from the store buffer (a stall of tens of
        // cycles on every helper call).
        let argv: [u64; 6] =
            std::array::from_fn(|i| unsafe { std::ptr::read_volatile(&raw const (*ctx).args[i]) });
        // SAFETY: as above; `run` is this call's `RunRefs<F>`.
        let fe = unsafe { (*((*ctx).run as *const RunRefs<'_, '_, F>)).fe };
        let leaf = usize::try_from(helper)
            .ok()
            .and_then(|i| fe.helpers().get(i))
            .is_some_and(|h| h.leaf);
        let call = if leaf { Call::Leaf } else { Call::Other };
        with_run::<F, _>(ctx, pc, info, call, |fe, cpu, env| {
            call_helper(
                fe,
                cpu,
                env,
                helper,
                pc,
                &argv[..((info & 0xff) as usize).min(6)],
            )
        })
    }
}

/// Runs helper `helper` of `fe` for the instruction at `pc`.
#[inline(always)]
fn call_helper<F: Frontend>(
    fe: &F,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    helper: u64,
    pc: u64,
    args: &[u64],
) -> Result<u64, Trap> {
    let Some(h) = usize::try_from(helper)
        .ok()
        .and_then(|i| fe.helpers().get(i))
    else {
        return Err(Trap::Guest {
            cause: u64::MAX,
            value: helper,
        });
    };
    let mut hctx = HelperCtx {
        frontend: fe,
        cpu,
        env,
        pc,
    };
    (h.func)(&mut hctx, args)
}

/// Helpers with a trampoline of their own ([`NativeAbi::call_for`]).
pub const OWN_TRAMPOLINES: usize = 32;

/// The per-helper trampolines of frontend `F`.
fn own_trampolines<F: Frontend>() -> [usize; OWN_TRAMPOLINES] {
    macro_rules! table {
        ($($n:literal)*) => {
            [$(Trampolines::call_n::<F, $n> as CallFn as usize),*]
        };
    }
    table!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
}

/// The register-argument trampolines of frontend `F`.
fn free_trampolines<F: Frontend>() -> [usize; OWN_TRAMPOLINES] {
    macro_rules! table {
        ($($n:literal)*) => {
            [$(Trampolines::call_free_n::<F, $n> as FreeCallFn as usize),*]
        };
    }
    table!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
}

fn endian_of(info: u64) -> Endian {
    if info & 0x100 != 0 {
        Endian::Big
    } else {
        Endian::Little
    }
}

/// What a trampoline reaches through `NativeCtx::run`.
struct RunRefs<'r, 'e, F: Frontend> {
    fe: &'r F,
    cpu: *mut F::Cpu,
    env: *mut CpuEnv<'e>,
    trap: Option<(Trap, u64, u32)>,
    /// A panic caught in a trampoline: compiled code returns as from a
    /// trap and the panic goes on from `run_native`, in Rust frames only
    /// (unwinding through compiled code would abort the process).
    panic: Option<Box<dyn Any + Send>>,
}

/// What a trampoline runs, for what compiled code must do after it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    /// A load or store: the run loop must look when it reached a device
    /// or wrote translated code.
    Memory,
    /// A helper that does what a leaf does ([`crate::Helper::leaf`]).
    Leaf,
    /// A leaf helper that touches no globals either: compiled code takes
    /// nothing back from the context after it.
    Free,
    /// Any other helper: the run loop looks before the next block.
    Other,
}

/// Runs `f` on the run's frontend, CPU and environment, for instruction
/// `info >> 16` at `pc`; records a trap and reports it in `ctx.status`.
/// Unless `call` is [`Call::Free`], hands compiled code the globals'
/// address, the block-end request and the TLB again, and a chaining budget
/// of 0 when the run loop must look before the next block.
#[inline(always)]
fn with_run<F: Frontend, G>(ctx: *mut NativeCtx, pc: u64, info: u64, call: Call, f: G) -> u64
where
    G: FnOnce(&F, &mut F::Cpu, &mut CpuEnv) -> Result<u64, Trap>,
{
    let index = (info >> INFO_INSN_SHIFT) as u32;
    // SAFETY: `ctx` is the context `run_native::<F>` made on its stack and
    // passed to the compiled code, which hands it back unchanged while
    // `run_native` waits for it; `run` points at that call's `RunRefs<F>`
    // (the code was compiled for this frontend's trampolines), whose `cpu`
    // and `env` come from `&mut` borrows held by `run_native` for the whole
    // run. Compiled code touches the CPU only through `ctx.globals`, which
    // it does not use during this call and reloads after it, so the
    // references made here are the only live ones while `f` runs.
    unsafe {
        let insn = (*ctx).retired.wrapping_add(index);
        let run = &mut *((*ctx).run as *mut RunRefs<'_, '_, F>);
        let cpu = &mut *run.cpu;
        let env = &mut *run.env;
        env.block_offset = insn;
        let fe = run.fe;
        let result =
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(fe, cpu, env))) {
                Ok(result) => result,
                Err(panic) => {
                    run.panic = Some(panic);
                    (*ctx).status = 1;
                    (*ctx).budget = 0;
                    return 0;
                }
            };
        if call != Call::Free {
            (*ctx).globals = cpu.globals_mut().as_mut_ptr();
            (*ctx).end_block = u32::from(env.end_block);
            // The helper may have switched translation contexts.
            (*ctx).tlb = env.mmu.table_addr();
            if call == Call::Other || env.must_look() {
                (*ctx).budget = 0;
            }
        }
        match result {
            Ok(v) => v,
            Err(trap) => {
                run.trap = Some((trap, pc, insn));
                (*ctx).status = 1;
                0
            }
        }
    }
}

/// Compiled code for one block. The backend that made it guarantees that
/// `entry` is a function following the contract of this module, valid as
/// long as `owner` lives.
pub struct NativeCode {
    entry: usize,
    runner: usize,
    globals_len: usize,
    _owner: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for NativeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NativeCode({:#x})", self.entry)
    }
}

impl NativeCode {
    /// Wraps a compiled function.
    ///
    /// # Safety
    ///
    /// `entry` must be the address of an `extern "C" fn(*mut NativeCtx) ->
    /// u64` compiled for the [`NativeAbi`] the engine gave, with
    /// `globals_len` from it, that does what this module's documentation
    /// says, and stays executable while `owner` lives.
    pub unsafe fn new(entry: usize, globals_len: usize, owner: Arc<dyn Any + Send + Sync>) -> Self {
        NativeCode {
            entry,
            runner: 0,
            globals_len,
            _owner: owner,
        }
    }

    /// Wraps a compiled function of the backend's own calling convention,
    /// run through `runner` (a [`RunnerFn`]): compiled code that keeps no
    /// registers of the host's convention saves and restores them once per
    /// run instead of once per block.
    ///
    /// # Safety
    ///
    /// As for [`NativeCode::new`], except that `entry` follows the
    /// backend's convention; `runner` must call `entry` with the context,
    /// then, while compiled code leaves a nonzero `ctx.next`, clear it and
    /// call that entry, and return the last call's result; it must stay
    /// executable while `owner` lives.
    pub unsafe fn with_runner(
        entry: usize,
        runner: usize,
        globals_len: usize,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        NativeCode {
            entry,
            runner,
            globals_len,
            _owner: owner,
        }
    }

    /// The function's address.
    pub fn entry(&self) -> usize {
        self.entry
    }
}

/// Translation statistics of a backend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendStats {
    /// Blocks compiled.
    pub compiled: u64,
    /// Blocks the backend could not compile (they stay interpreted).
    pub failed: u64,
    /// Median time to compile a block, in nanoseconds.
    pub median_compile_ns: u64,
    /// Blocks given first-tier code ([`Backend::baseline`]).
    pub baseline_compiled: u64,
    /// Blocks the first tier refused.
    pub baseline_failed: u64,
    /// Median time to make a block's first-tier code, in nanoseconds.
    pub median_baseline_ns: u64,
    /// Each tier's totals: Cranelift's, then the first tier's.
    pub tiers: [TierTotals; 2],
}

/// What one tier of a backend made, in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierTotals {
    /// Host nanoseconds spent compiling.
    pub compile_ns: u64,
    /// Bytes of host code made.
    pub code_bytes: u64,
    /// Guest instructions in the blocks compiled.
    pub guest_insns: u64,
}

impl TierTotals {
    /// Adds one compiled block.
    pub fn add(&mut self, ns: u64, bytes: usize, insns: u32) {
        self.compile_ns += ns;
        self.code_bytes += bytes as u64;
        self.guest_insns += u64::from(insns);
    }

    /// Host code bytes per guest instruction (0 when nothing was made).
    pub fn bytes_per_insn(&self) -> f64 {
        self.code_bytes as f64 / self.guest_insns.max(1) as f64
    }
}

/// A code generator for blocks.
pub trait Backend: Send + std::fmt::Debug {
    /// The backend's name (`jit`).
    fn name(&self) -> &str;
    /// Compiles `block`; an error leaves the block to the interpreter.
    fn compile(&mut self, block: &Block, abi: &NativeAbi) -> Result<NativeCode, String>;
    /// Has `block` compiled, now or later: the outcome goes to
    /// [`Block::set_native`] (the block is interpreted until then). The
    /// default compiles at once.
    fn submit(&mut self, block: &Arc<Block>, abi: &NativeAbi) {
        block.set_native(self.compile(block, abi).ok());
    }
    /// First-tier code for `block`, made at once: a compile quick enough
    /// to pay off after a few runs, used until [`Backend::submit`]'s code
    /// is there. Such code follows the contract above, chaining included,
    /// with three additions: on entry it goes on at once to the block's
    /// compiled code when that is there ([`Block::native_entry`], so links
    /// made to it before lead to the better code), it counts its own runs,
    /// and when the count reaches `tier_up_runs` (never, when 0) it sets
    /// the block's count to that ([`Block::run_counter`]) and returns
    /// before running anything, with [`EXIT_TIER_UP`]. It may be called by any [`NativeCode`]'s runner.
    /// `None`: the backend has no first tier, or refuses the block. The
    /// default has none.
    fn baseline(
        &mut self,
        block: &Block,
        abi: &NativeAbi,
        tier_up_runs: u32,
    ) -> Option<NativeCode> {
        let _ = (block, abi, tier_up_runs);
        None
    }
    /// What compiling a block of `ops` IR ops is expected to cost, in
    /// host nanoseconds, from what compiles cost so far; `None` when the
    /// backend compiles nothing beyond its first tier. The tier policy
    /// ([`crate::tier`]) weighs it against the time compiled code saves.
    fn compile_cost_ns(&self, ops: usize) -> Option<u64> {
        let _ = ops;
        None
    }
    /// Host nanoseconds one run of `block`'s optimised code is expected
    /// to save over its first-tier code (`first_tier`) or over
    /// interpreting it. The default knows nothing of the block but its
    /// length.
    fn saving_per_run_ns(&self, block: &Block, first_tier: bool) -> f64 {
        let gap = if first_tier {
            crate::tier::FIRST_TIER_GAP_NS
        } else {
            crate::tier::INTERPRETER_GAP_NS
        };
        f64::from(block.insns.max(1)) * gap
    }
    /// What it did so far.
    fn stats(&self) -> BackendStats;
}

/// The ABI a cluster of frontend `fe` compiles for.
pub fn abi_for<F: Frontend>(fe: &F, mmu: &crate::Mmu, globals_len: usize) -> NativeAbi {
    let leaf_helpers = fe
        .helpers()
        .iter()
        .take(128)
        .enumerate()
        .filter(|(_, h)| h.leaf)
        .fold(0u128, |mask, (i, _)| mask | (1 << i));
    let global_free_helpers = fe
        .helpers()
        .iter()
        .take(128)
        .enumerate()
        .filter(|(_, h)| h.leaf && !h.globals)
        .fold(0u128, |mask, (i, _)| mask | (1 << i));
    NativeAbi {
        ctx: CtxLayout {
            globals: std::mem::offset_of!(NativeCtx, globals) as u32,
            tlb: std::mem::offset_of!(NativeCtx, tlb) as u32,
            status: std::mem::offset_of!(NativeCtx, status) as u32,
            end_block: std::mem::offset_of!(NativeCtx, end_block) as u32,
            retired: std::mem::offset_of!(NativeCtx, retired) as u32,
            exit_kind: std::mem::offset_of!(NativeCtx, exit_kind) as u32,
            args: CTX_ARGS_OFFSET as u32,
            budget: std::mem::offset_of!(NativeCtx, budget) as u32,
            next: std::mem::offset_of!(NativeCtx, next) as u32,
            link: std::mem::offset_of!(NativeCtx, link) as u32,
            epoch: std::mem::offset_of!(NativeCtx, epoch) as u32,
            jumps: std::mem::offset_of!(NativeCtx, jumps) as u32,
        },
        link: ChainLink::LAYOUT,
        tlb: mmu.layout(),
        load: Trampolines::load::<F> as LoadFn as usize,
        store: Trampolines::store::<F> as StoreFn as usize,
        call: Trampolines::call::<F> as CallFn as usize,
        globals_len,
        leaf_helpers,
        global_free_helpers,
        own_calls: own_trampolines::<F>(),
        free_calls: free_trampolines::<F>(),
    }
}

/// A run of compiled code: what the interpreter would report, and the
/// chain link of the `Goto` exit it left by.
#[derive(Debug)]
pub struct NativeRun {
    /// How it ended and what it retired.
    pub run: BlockRun,
    /// The link to fill when the exit leads to another compiled block.
    pub link: Option<PendingLink>,
}

/// A block's `Goto` or `Jump` exit that compiled code could not chain
/// through yet.
#[derive(Debug)]
pub struct PendingLink {
    link: usize,
    /// Where the exit went, as compiled code computed it (before the CPU
    /// normalised it, e.g. an ARM interworking bit).
    target: u64,
    /// The cache's drop count when the exit was taken: the block that owns
    /// the link was in the cache then, and is while nothing is dropped.
    drops: u64,
}

impl PendingLink {
    /// Points the exit at `code`, the code of the block it led to (of
    /// `insns` instructions), for chain epoch `epoch`, unless `cache`
    /// dropped a block since the exit was taken (the link's own block may
    /// be gone).
    pub fn fill(self, cache: &crate::BlockCache, code: &NativeCode, insns: u32, epoch: u64) {
        if cache.drops() != self.drops {
            return;
        }
        // SAFETY: `link` is the address of a `ChainLink` of a block that
        // ran compiled in `cache`'s cluster (compiled code stores only its
        // own block's link addresses, or those in its own memory), so was
        // in `cache` when the exit was taken; the cache has dropped nothing
        // since and holds the block, whose links and code live as long as
        // it does.
        let link = unsafe { &*(self.link as *const ChainLink) };
        link.set(code.entry, self.target, insns, epoch);
    }
}

/// Runs compiled `code` for a block of `cache` on `cpu`, and the compiled
/// blocks it chains to; `None` when the code does not fit this CPU (its
/// globals changed length), so the caller interprets. Blocks may run again
/// or chain while they retire fewer than `budget` instructions in all (0:
/// one block, once). `epoch` is the CPU's chain epoch, `jumps` the address
/// of its dispatch cache's code half ([`crate::dispatch`]).
#[allow(clippy::too_many_arguments)]
pub fn run_native<F: Frontend>(
    fe: &F,
    code: &NativeCode,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    budget: u64,
    epoch: u64,
    jumps: usize,
    cache: &crate::BlockCache,
) -> Option<NativeRun> {
    // A block-end request made before the block (by an interrupt check)
    // is honoured by the interpreter after the first instruction.
    if cpu.globals().len() != code.globals_len || env.end_block {
        return None;
    }
    // What the run loop did before (an interrupt's stacking) is seen.
    env.outside = false;
    let tlb = env.mmu.table_addr();
    let globals = cpu.globals_mut().as_mut_ptr();
    let mut run = RunRefs::<F> {
        fe,
        cpu: cpu as *mut F::Cpu,
        env: env as *mut CpuEnv,
        trap: None,
        panic: None,
    };
    let mut ctx = NativeCtx {
        globals,
        tlb,
        status: 0,
        end_block: 0,
        retired: 0,
        exit_kind: 0,
        args: [0; 6],
        run: &mut run as *mut RunRefs<'_, '_, F> as *mut c_void,
        budget: budget.min(1 << 30),
        next: 0,
        link: 0,
        epoch,
        jumps,
    };
    let mut entry = code.entry;
    let next = loop {
        // SAFETY: by `NativeCode::new`'s (or `with_runner`'s) contract
        // `entry` is a live function of this signature (or one the runner
        // calls) compiled for `abi_for::<F>` (the cluster compiles with
        // its own frontend's ABI) and `globals_len` (checked above; a
        // chained entry came from a link filled with another block of this
        // cluster's backend, alive while the epoch holds).
        // `ctx` points at valid globals and TLB and at `run`, all of which
        // outlive the call; `cpu` and `env` are borrowed mutably for the
        // call's duration and reached only through `ctx`.
        let next = unsafe {
            if code.runner != 0 {
                let run: RunnerFn = std::mem::transmute(code.runner);
                run(&mut ctx, entry)
            } else {
                let f: extern "C" fn(*mut NativeCtx) -> u64 = std::mem::transmute(entry);
                f(&mut ctx)
            }
        };
        if run.trap.is_some() || run.panic.is_some() || ctx.next == 0 {
            break next;
        }
        entry = std::mem::take(&mut ctx.next);
    };
    if let Some(panic) = run.panic.take() {
        std::panic::resume_unwind(panic);
    }
    if let Some((trap, pc, insn)) = run.trap {
        return Some(NativeRun {
            run: BlockRun {
                end: BlockEnd::Trapped { trap, pc },
                retired: insn,
            },
            link: None,
        });
    }
    if ctx.exit_kind == EXIT_END_BLOCK {
        env.end_block = false;
    }
    let to_loop = ctx.exit_kind != EXIT_CHAIN;
    Some(NativeRun {
        run: BlockRun {
            end: BlockEnd::Next { pc: next, to_loop },
            retired: ctx.retired,
        },
        link: (ctx.link != 0).then_some(PendingLink {
            link: ctx.link,
            target: next,
            drops: cache.drops(),
        }),
    })
}
