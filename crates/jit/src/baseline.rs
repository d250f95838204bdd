//! The first tier: a template compiler that turns a block into x86-64
//! code in one pass over its ops, in microseconds, while Cranelift takes
//! milliseconds. Blocks run this code between their first few runs and
//! the moment their Cranelift code is ready.
//!
//! Every temporary has a stack slot and every global lives in the CPU's
//! register file; each op puts its operands into fixed scratch registers
//! (or takes them as immediates or straight from the register file),
//! computes into `rax`, and leaves its result there for the next op or
//! stores it, so there is no register allocation to do ([`values`] says
//! where each value is). Loads and stores take the soft-MMU's inline fast
//! path (as Cranelift's code does) with the trampolines out of line;
//! operations x86-64 has no short sequence for (division, high
//! multiplies, bit counts, float) call [`eval`], which applies the IR's
//! own reference semantics. The code follows the engine's native
//! contract ([`chimera_engine::native`]) and keeps no global in a
//! register, so helpers and traps find every global in memory. It goes
//! on from block to block through the exits' links and the dispatch cache
//! (never looping inside a block): it takes its frame down and jumps to
//! the next block's entry, which finds the stack as its caller, the
//! runner, left it. It counts its own runs so that a loop entered once
//! still reaches the second tier, and goes on to the block's compiled
//! code as soon as that is there (see [`Backend::baseline`]).
//!
//! Registers: `rbx` holds the context, `r12` the globals' address and
//! `r13` the soft-MMU's table (both reloaded after every trampoline),
//! `rbp` the chaining budget (read from the context at entry and after
//! every trampoline); `rax`, `rcx`,
//! `rdx`, `rsi`, `rdi`, `r8` and `r9` are scratch. Functions save the
//! host's callee-saved registers they use and take no others, so they may
//! be called in the host's convention or in the no-callee-saved one
//! Cranelift's blocks use; the [`runner`] saves every callee-saved
//! register for a chain of blocks of either tier.
//!
//! [`Backend::baseline`]: chimera_engine::Backend::baseline

use std::sync::Arc;

use chimera_engine::dispatch::DISPATCH_ENTRIES;
use chimera_engine::ir::verify::insn_counts;
use chimera_engine::ir::{
    sign_extend_to, BinOp, Cond, Exit, FloatConv, FloatOp, Op, Temp, Ty, UnOp,
};
use chimera_engine::native::{
    call_info, mem_info, EXIT_CHAIN, EXIT_END_BLOCK, EXIT_TIER_UP, EXIT_TO_LOOP,
};
use chimera_engine::{Block, ChainLink, NativeAbi, NativeCode};
use chimera_memory::Endian;
use dynasmrt::x64::{Rq, X64Relocation};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

use crate::heap::{Chunk, CodeHeap};

mod values;

use values::{reads, Loc, Values};

/// The scratch registers ops take operands in, as dynasm's dynamic
/// register operands.
const RAX: Rq = Rq::RAX;
const RCX: Rq = Rq::RCX;
const RDX: Rq = Rq::RDX;
const RSI: Rq = Rq::RSI;

/// Whether `v` survives sign extension from 32 bits (an x86-64 immediate).
fn imm32(v: u64) -> Option<i32> {
    i32::try_from(v as i64).ok()
}

/// Bytes of stack the temporaries may take (16 Ki temporaries; blocks
/// with more wait for Cranelift): a small part of a thread's stack.
const MAX_FRAME: usize = 128 << 10;

/// Frames grow by at most this much before a page of them is touched,
/// so that they cannot step over a thread stack's guard page.
const PROBE_STEP: i32 = 4096;

/// An operation done by [`eval`] rather than inline.
#[derive(Debug)]
enum Desc {
    Binary(BinOp, Ty),
    Unary(UnOp, Ty),
    Float(FloatOp, Ty),
    Convert(FloatConv, Ty, Ty),
}

/// Applies the reference semantics of `desc` to up to three operands.
extern "C" fn eval(desc: *const Desc, a: u64, b: u64, c: u64) -> u64 {
    // SAFETY: compiled code passes a pointer into the `descs` of the
    // `Compiled` that owns it, alive while the code can run.
    match unsafe { &*desc } {
        Desc::Binary(op, ty) => op.eval(*ty, a, b),
        Desc::Unary(op, ty) => op.eval(*ty, a),
        Desc::Float(op, ty) => op.eval(*ty, [a, b, c]),
        Desc::Convert(conv, from, to) => conv.eval(*from, *to, a),
    }
}

/// What a first-tier function keeps alive: its code memory, the
/// runner's, and the operations it hands to [`eval`].
struct Compiled {
    _chunk: Arc<Chunk>,
    _runner: Arc<Chunk>,
    _descs: Box<[Desc]>,
}

/// The template compiler of one backend, with its code memory.
#[derive(Default)]
pub(crate) struct Baseline {
    heap: CodeHeap,
    /// The runner's address and the memory it is in, once placed.
    runner: Option<(usize, Arc<Chunk>)>,
}

/// The runner every first-tier block is entered through
/// ([`NativeCode::with_runner`]): `(ctx, entry) -> next pc` in the host's
/// convention; it saves every callee-saved register, then calls `entry`
/// and each entry compiled code leaves in `ctx.next` (of either tier), as
/// functions that may clobber any register.
fn runner(next_at: i32) -> Result<Vec<u8>, String> {
    let mut asm = VecAssembler::<X64Relocation>::new(0);
    let (again, done) = (asm.new_dynamic_label(), asm.new_dynamic_label());
    dynasm!(asm
        ; .arch x64
        ; push rbp
        ; push rbx
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        // Six pushes after the return address: one more slot keeps calls
        // 16-byte aligned, and holds the context.
        ; sub rsp, 8
        ; mov QWORD [rsp], rdi
        ; =>again
        ; mov rdi, QWORD [rsp]
        ; call rsi
        ; mov rdi, QWORD [rsp]
        ; mov rsi, QWORD [rdi + next_at]
        ; test rsi, rsi
        ; jz =>done
        ; mov QWORD [rdi + next_at], 0
        ; jmp =>again
        ; =>done
        ; add rsp, 8
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
    );
    asm.finalize().map_err(|err| format!("assembler: {err}"))
}

impl Baseline {
    /// The runner, placed on first use, once the ABI's layouts are known
    /// to suit the code (a compiler serves one ABI).
    fn runner(&mut self, abi: &NativeAbi) -> Result<(usize, Arc<Chunk>), String> {
        if let Some(r) = &self.runner {
            return Ok(r.clone());
        }
        if !fields_in_disp8(abi) {
            return Err("context, TLB or link fields past one-byte displacements".into());
        }
        let placed = self.heap.place(&runner(abi.ctx.next as i32)?)?;
        self.runner = Some(placed.clone());
        Ok(placed)
    }

    /// Compiles `block` for `abi`; its code returns for the engine to
    /// tier it up when its run count reaches `tier_up_runs` (0: never).
    /// The code and its size in bytes.
    ///
    /// Must be called on the one thread that runs this compiler's code,
    /// while none of it runs (see [`CodeHeap::place`]).
    pub(crate) fn compile(
        &mut self,
        block: &Block,
        abi: &NativeAbi,
        tier_up_runs: u32,
    ) -> Result<(NativeCode, usize), String> {
        // Four pushes and the return address: a frame of 8 mod 16 bytes
        // keeps calls 16-byte aligned.
        let frame = (block.temps.len() * 8).next_multiple_of(16) + 8;
        if frame > MAX_FRAME {
            return Err(format!("{} temporaries are too many", block.temps.len()));
        }
        let (counts, _) = insn_counts(&block.ops).map_err(|e| e.to_string())?;
        let descs = descs(block)?;
        // Placed first: the heap then knows whether its memory stays
        // writable while code runs.
        let (runner, runner_chunk) = self.runner(abi)?;
        let mut asm = VecAssembler::new_with_capacity(0, block.ops.len() * 40, 0, 0, 64, 0, 64);
        if block.insns > u32::from(u16::MAX) {
            return Err(format!("{} instructions in one block", block.insns));
        }
        let done = asm.new_dynamic_label();
        let (load_at, store_at) = (asm.new_dynamic_label(), asm.new_dynamic_label());
        let mut e = Emit {
            asm,
            abi,
            block,
            exits: 0,
            links_here: self.heap.writable_code(),
            link_labels: Vec::new(),
            counter: None,
            tier_up: None,
            tier_up_runs,
            temps: &block.temps,
            labels: Vec::new(),
            slow: Vec::new(),
            end_checks: Vec::new(),
            load_at,
            store_at,
            done,
            frame: frame as i32,
            pc: block.pc,
            insn: 0,
            called: false,
            descs: &descs,
            next_desc: 0,
            values: Values::new(&block.ops, block.temps.len()),
            rax: None,
            rax_global: None,
            at: 0,
            placed: Vec::new(),
            flags: None,
            side_exits: Vec::new(),
            skip: None,
            counts: &counts,
        };
        if tier_up_runs > 0 && e.links_here {
            e.counter = Some(e.asm.new_dynamic_label());
        }
        e.prologue()?;
        for (i, op) in block.ops.iter().enumerate() {
            e.at = i;
            e.op(op, counts[i])?;
        }
        e.out_of_line()?;
        let code = e
            .asm
            .finalize()
            .map_err(|err| format!("assembler: {err}"))?;
        let (start, chunk) = self.heap.place(&code)?;
        let entry = if tier_up_runs > 0 {
            start + FORWARD_LOOK
        } else {
            start
        };
        let owner = Compiled {
            _chunk: chunk,
            _runner: runner_chunk,
            _descs: descs,
        };
        // SAFETY: `entry` is the function just assembled from `block`,
        // which follows the native contract for `abi` (globals past
        // `globals_len` are never touched) and saves the callee-saved
        // registers it uses; `runner` calls it and the entries it chains
        // to as `with_runner` asks, saving every callee-saved register
        // (so entries of Cranelift's convention may follow). Both stay
        // mapped while `owner` holds their chunks, and the `Desc`s the
        // code points at live in `owner` too. The addresses the code
        // embeds (the block's links, run counter and compiled entry) are
        // the block's, which owns this code; links in the code's own data
        // live in `owner`'s chunk, writable while the code runs (the heap
        // said so when `links_here` was chosen).
        let native =
            unsafe { NativeCode::with_runner(entry, runner, abi.globals_len, Arc::new(owner)) };
        Ok((native, code.len()))
    }
}

impl Baseline {
    /// Makes `block`'s first-tier code look for its compiled code on
    /// entry from now on (the block was just handed to the optimising
    /// compiler): the short jump over the look becomes a two-byte no-op.
    ///
    /// Must be called on the one thread that runs this compiler's code,
    /// while none of it runs (see [`CodeHeap::place`]).
    pub(crate) fn arm_forward(&mut self, block: &Block) -> Result<(), String> {
        let Some(code) = block.baseline() else {
            return Ok(());
        };
        let entry = code.entry();
        // SAFETY: `entry` is this heap's (first-tier code is only ever
        // made by this compiler for the blocks of its backend), alive
        // while `block` holds the code; its first bytes are read only.
        let first = unsafe { *(entry as *const [u8; 2]) };
        if first != NOP2 {
            return Ok(());
        }
        // Back over the look and the two bytes themselves.
        let back = -((FORWARD_LOOK + 2) as i8);
        // SAFETY: as above; the two bytes are the no-op `prologue` put at
        // the entry (16-byte aligned), [`FORWARD_LOOK`] bytes after the
        // function's start, where the look is; none of this heap's code
        // runs now (this function's contract).
        unsafe { self.heap.patch(entry, &[SHORT_JMP, back as u8]) }
    }
}

/// `disp` as a one-byte displacement when it fits (three bytes shorter
/// than the four-byte form `dynasm` emits for a displacement only known
/// at run time), else as it is.
fn disp8(disp: i32) -> Result<i8, i32> {
    i8::try_from(disp).map_err(|_| disp)
}

/// Whether every field of the context, a TLB entry and a chain link that
/// the code reaches lies within a one-byte displacement of its base: the
/// code addresses them so (`as i8`), three bytes shorter per access. The
/// engine's layouts are small; a layout that outgrew this is refused, not
/// miscompiled.
fn fields_in_disp8(abi: &NativeAbi) -> bool {
    let (c, t, l) = (abi.ctx, abi.tlb, abi.link);
    let args_end = c.args + 8 * 5;
    [
        c.globals,
        c.tlb,
        c.status,
        c.end_block,
        c.retired,
        c.exit_kind,
        args_end,
        c.budget,
        c.link,
        c.epoch,
        c.jumps,
        t.fast_read_tag,
        t.fast_write_tag,
        t.addend,
        t.code_word,
        l.entry,
        l.epoch,
        l.pc,
        l.insns,
    ]
    .iter()
    .all(|&off| off <= i8::MAX as u32)
}

/// Bytes per host cache line (and the alignment of first-tier code).
const CACHE_LINE: usize = 64;

/// The opcode of `jmp rel8`.
const SHORT_JMP: u8 = 0xeb;

/// Bytes from the start of first-tier code that tiers up to its entry:
/// the look for compiled code ([`Emit::prologue`]), padded.
const FORWARD_LOOK: usize = 32;

/// A two-byte no-op (`xchg ax, ax`).
const NOP2: [u8; 2] = [0x66, 0x90];

/// The operations of `block` that [`eval`] does, in op order.
fn descs(block: &Block) -> Result<Box<[Desc]>, String> {
    let ty = |t: &Temp| {
        block
            .temps
            .get(t.0 as usize)
            .copied()
            .ok_or_else(|| format!("temporary {} out of range", t.0))
    };
    let mut out = Vec::new();
    for op in block.ops.iter() {
        match op {
            Op::Binary { op, dst, .. } if binary_by_eval(*op) => {
                out.push(Desc::Binary(*op, ty(dst)?))
            }
            Op::Unary { op, dst, .. } if unary_by_eval(*op) => out.push(Desc::Unary(*op, ty(dst)?)),
            Op::Float { op, dst, .. } => out.push(Desc::Float(*op, ty(dst)?)),
            Op::FloatConvert { conv, dst, src } => {
                out.push(Desc::Convert(*conv, ty(src)?, ty(dst)?))
            }
            _ => {}
        }
    }
    Ok(out.into())
}

/// How many of `block`'s ops the first tier does by calling [`eval`]
/// (floats, division, high multiplies, bit counts): where Cranelift's
/// inline code saves the most.
pub(crate) fn eval_ops(block: &Block) -> usize {
    block
        .ops
        .iter()
        .filter(|op| match op {
            Op::Binary { op, .. } => binary_by_eval(*op),
            Op::Unary { op, .. } => unary_by_eval(*op),
            Op::Float { .. } | Op::FloatConvert { .. } => true,
            _ => false,
        })
        .count()
}

/// Whether unary `op` goes through [`eval`].
fn unary_by_eval(op: UnOp) -> bool {
    !matches!(op, UnOp::Not | UnOp::Neg | UnOp::ByteSwap)
}

/// Whether binary `op` goes through [`eval`].
fn binary_by_eval(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::DivSigned | BinOp::DivUnsigned | BinOp::RemSigned | BinOp::RemUnsigned
    )
}

/// A two-operand x86 instruction on `rax` and an operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Cmp,
    Imul,
}

/// The out-of-line half of an end-block check: where the hot path
/// jumps when its budget is 0, where it goes back to, and the exit it
/// takes when the request is there.
struct EndCheck {
    entry: DynamicLabel,
    back: DynamicLabel,
    pc: u64,
    count: u32,
}

/// A memory access's slow path, emitted after the block's code.
struct Slow {
    /// Where the fast path jumps on a miss.
    entry: DynamicLabel,
    /// Where the slow path goes back to.
    resume: DynamicLabel,
    /// Whether it is a store (value in `rdx`).
    store: bool,
    pc: u64,
    info: u64,
}

/// Where an exit's chain link is.
#[derive(Debug, Clone, Copy)]
enum Link {
    /// The exit has none.
    None,
    /// The block's own ([`Block::exit_link`]), at this address.
    At(usize),
    /// In the code's own data, after its last instruction: the code
    /// reaches it relative to itself, on the cache lines the code is
    /// fetched from, where the block's were a cache miss at many block
    /// changes.
    Here(DynamicLabel),
}

/// The assembler and what it needs while walking the ops.
struct Emit<'a> {
    asm: VecAssembler<X64Relocation>,
    abi: &'a NativeAbi,
    block: &'a Block,
    /// `Goto` and `Jump` exits emitted so far (their links are in this
    /// order).
    exits: usize,
    /// Whether links go in the code's own data (its memory is writable
    /// while it runs), and the labels of those made so far.
    links_here: bool,
    link_labels: Vec<DynamicLabel>,
    /// The run counter in the code's own data, when the code counts its
    /// runs there (it tiers up, and its memory is writable as it runs).
    /// The run count at which the code returns for tiering up (0: never).
    tier_up_runs: u32,
    counter: Option<DynamicLabel>,
    /// The out-of-line exit taken when the run counter reaches zero.
    tier_up: Option<DynamicLabel>,
    temps: &'a [Ty],
    /// The code label of each IR label, made when first named.
    labels: Vec<Option<DynamicLabel>>,
    slow: Vec<Slow>,
    end_checks: Vec<EndCheck>,
    /// Where the addresses of the load and store trampolines sit, after
    /// the code (called through them: a call takes 6 bytes, not 13).
    load_at: DynamicLabel,
    store_at: DynamicLabel,
    /// The epilogue: returns `rax`.
    done: DynamicLabel,
    frame: i32,
    /// The current instruction's pc and index.
    pc: u64,
    insn: u32,
    /// Whether the current instruction may call a trampoline.
    called: bool,
    descs: &'a [Desc],
    next_desc: usize,
    /// Where each temporary's value is.
    values: Values,
    /// The temporary `rax` holds for the op being compiled, if any.
    rax: Option<Temp>,
    /// The global `rax` was just stored to (by the last op that made
    /// code): an op reading it first takes it from `rax`.
    rax_global: Option<u32>,
    /// The index of the op being compiled.
    at: usize,
    /// Which IR labels are placed already.
    placed: Vec<bool>,
    /// A comparison whose outcome sits in the host's flags for the branch
    /// right after, its only reader: the temporary and the condition.
    flags: Option<(Temp, Cond)>,
    /// Side exits moved out of line: branched to when the branch before
    /// them is not taken.
    side_exits: Vec<SideExit>,
    /// The index of an exit op already compiled out of line.
    skip: Option<usize>,
    /// Instructions retired before each op (its `InsnStart` included).
    counts: &'a [u32],
}

/// An exit compiled after the block's main code, for the not-taken side
/// of the branch before it (`if c goto L; exit; L:` becomes a branch to
/// it when `c` fails): the hot path falls through to `L`.
struct SideExit {
    entry: DynamicLabel,
    exit: Exit,
    /// Instructions retired on reaching it.
    count: u32,
    /// Its chain link.
    link: Link,
    /// The instruction it ends and its index (trampolines' context).
    pc: u64,
    insn: u32,
}

impl Emit<'_> {
    /// The stack slot of `t`, checked against the temporaries' table.
    fn slot(&self, t: Temp) -> Result<i32, String> {
        if (t.0 as usize) < self.temps.len() {
            Ok(t.0 as i32 * 8)
        } else {
            Err(format!("temporary {} out of range", t.0))
        }
    }

    fn ty(&self, t: Temp) -> Ty {
        self.temps.get(t.0 as usize).copied().unwrap_or(Ty::I64)
    }

    fn label(&mut self, l: u32) -> DynamicLabel {
        let l = l as usize;
        if self.labels.len() <= l {
            self.labels.resize(l + 1, None);
        }
        match self.labels[l] {
            Some(d) => d,
            None => {
                let d = self.asm.new_dynamic_label();
                self.labels[l] = Some(d);
                d
            }
        }
    }

    /// The address of the next [`Desc`], in op order.
    fn desc(&mut self) -> Result<i64, String> {
        let d = self
            .descs
            .get(self.next_desc)
            .ok_or("operation table out of step")?;
        self.next_desc += 1;
        Ok(d as *const Desc as i64)
    }

    fn prologue(&mut self) -> Result<(), String> {
        let (frame, globals, budget, tlb) = (
            self.frame,
            self.abi.ctx.globals as i8,
            self.abi.ctx.budget as i8,
            self.abi.ctx.tlb as i8,
        );
        // Compiled code, once there, runs instead: a link made to this
        // code before leads there from now on. The look costs a load from
        // the block, a cache miss at most block entries of a large guest:
        // until the block goes to the optimising compiler, the entry is a
        // two-byte no-op that falls through to the block's own code, which
        // [`Baseline::arm_forward`] then makes a short jump back to the
        // look, placed before the entry. Nothing is pushed yet there, so
        // its jump leaves the caller's frame as compiled code expects it.
        // Code that never tiers up has nothing to look for.
        let native = self.block.native_entry() as *const _ as i64;
        let own = self.asm.new_dynamic_label();
        if self.tier_up_runs > 0 {
            dynasm!(self.asm
                ; .arch x64
                ; mov rax, QWORD native
                ; mov rax, QWORD [rax]
                ; test rax, rax
                ; jz =>own
                ; jmp rax
                ; .align FORWARD_LOOK
            );
            if self.asm.offset().0 != FORWARD_LOOK {
                return Err("the look for compiled code outgrew its room".into());
            }
            dynasm!(self.asm ; .arch x64 ; .bytes NOP2.iter());
        }
        dynasm!(self.asm
            ; .arch x64
            ; =>own
            ; push rbx
            ; push r12
            ; push rbp
            ; push r13
        );
        let mut left = frame;
        while left > PROBE_STEP {
            dynasm!(self.asm
                ; .arch x64
                ; sub rsp, PROBE_STEP
                ; or DWORD [rsp], 0
            );
            left -= PROBE_STEP;
        }
        dynasm!(self.asm
            ; .arch x64
            ; sub rsp, left
            ; mov rbx, rdi
            ; mov r12, QWORD [BYTE rbx + globals]
            ; mov rbp, QWORD [BYTE rbx + budget]
            ; mov r13, QWORD [BYTE rbx + tlb]
        );
        if let Some(counter) = self.counter {
            // Counts down in the code's own data; at zero, out of line,
            // the block's count, which the engine reads, says it is hot.
            let tier_up = self.asm.new_dynamic_label();
            self.tier_up = Some(tier_up);
            dynasm!(self.asm
                ; .arch x64
                ; sub DWORD [=>counter], 1
                ; jz =>tier_up
            );
        }
        Ok(())
    }

    /// Puts `v` in register `r`.
    fn mov_imm(&mut self, r: Rq, v: u64) {
        match u32::try_from(v) {
            // Writing the 32-bit register clears the upper half.
            Ok(v) => dynasm!(self.asm ; .arch x64 ; mov Rd(r), v as i32),
            Err(_) => dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD v as i64),
        }
    }

    /// The byte offset of global `g` in the register file, when it has
    /// one (globals past the ABI's length read as 0).
    fn global_offset(&self, g: u32) -> Option<i32> {
        ((g as usize) < self.abi.globals_len).then_some(g as i32 * 8)
    }

    /// Puts temporary `t`'s value in register `r`.
    fn fetch(&mut self, t: Temp, r: Rq) -> Result<(), String> {
        let s = self.slot(t)?;
        match self.values.loc(t) {
            Loc::Rax => {
                if r != RAX {
                    dynasm!(self.asm ; .arch x64 ; mov Rq(r), rax);
                }
            }
            Loc::Const(v) => self.mov_imm(r, v),
            Loc::Global(g) => match (self.global_offset(g).map(disp8), self.ty(t)) {
                (Some(Ok(d)), Ty::I32) => {
                    dynasm!(self.asm ; .arch x64 ; mov Rd(r), DWORD [BYTE r12 + d])
                }
                (Some(Err(off)), Ty::I32) => {
                    dynasm!(self.asm ; .arch x64 ; mov Rd(r), DWORD [r12 + off])
                }
                (Some(Ok(d)), Ty::I64) => {
                    dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [BYTE r12 + d])
                }
                (Some(Err(off)), Ty::I64) => {
                    dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [r12 + off])
                }
                (None, _) => dynasm!(self.asm ; .arch x64 ; xor Rd(r), Rd(r)),
            },
            Loc::Slot => match disp8(s) {
                Ok(d) => dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [BYTE rsp + d]),
                Err(s) => dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [rsp + s]),
            },
        }
        Ok(())
    }

    /// Stores register `r` into the slot at `s`.
    fn store_slot(&mut self, s: i32, r: Rq) {
        match disp8(s) {
            Ok(d) => dynasm!(self.asm ; .arch x64 ; mov QWORD [BYTE rsp + d], Rq(r)),
            Err(s) => dynasm!(self.asm ; .arch x64 ; mov QWORD [rsp + s], Rq(r)),
        }
    }

    /// Writes `t`'s value into its slot, through `rcx` when it has to.
    fn store_value(&mut self, t: Temp) -> Result<(), String> {
        let s = self.slot(t)?;
        match self.values.loc(t) {
            Loc::Slot => {}
            Loc::Rax => self.store_slot(s, RAX),
            Loc::Const(v) => match (imm32(v), disp8(s)) {
                (Some(imm), Ok(d)) => dynasm!(self.asm ; .arch x64 ; mov QWORD [BYTE rsp + d], imm),
                (Some(imm), Err(s)) => dynasm!(self.asm ; .arch x64 ; mov QWORD [rsp + s], imm),
                (None, _) => {
                    self.mov_imm(RCX, v);
                    self.store_slot(s, RCX);
                }
            },
            Loc::Global(_) => {
                self.fetch(t, RCX)?;
                self.store_slot(s, RCX);
            }
        }
        self.values.mark_stored(t);
        Ok(())
    }

    /// Stores every value a later op may read from its slot: before a
    /// branch or a label, where paths meet.
    fn flush(&mut self) -> Result<(), String> {
        for t in self.values.unstored_live() {
            self.store_value(t)?;
        }
        Ok(())
    }

    /// Before global `g` (every global when `None`) changes: the
    /// temporaries that copy it get their values into their slots.
    fn detach_globals(&mut self, g: Option<u32>) -> Result<(), String> {
        if !self.values.has_copies_of(g) {
            return Ok(());
        }
        for t in self.values.copies_of(g) {
            self.store_value(t)?;
            self.values.back_to_slot(t);
        }
        Ok(())
    }

    /// Takes the op's result from `rax` (cut to `dst`'s type): left there
    /// when the next op is its one reader, else stored.
    fn result(&mut self, dst: Temp) -> Result<(), String> {
        if self.ty(dst) == Ty::I32 {
            dynasm!(self.asm ; .arch x64 ; mov eax, eax);
        }
        self.keep_or_store(dst)
    }

    /// The op's result is in `rax`: left there when the next op is its
    /// one reader, else stored.
    fn keep_or_store(&mut self, dst: Temp) -> Result<(), String> {
        if self.values.keep_in_rax(self.at) {
            self.values.define(dst, Loc::Rax, false);
            self.rax = Some(dst);
        } else {
            let s = self.slot(dst)?;
            self.store_slot(s, RAX);
            self.values.define(dst, Loc::Slot, true);
        }
        Ok(())
    }

    /// `dst` takes `src`'s value: without code when that is a constant
    /// or an unchanged global, else through `rax`.
    fn alias(&mut self, dst: Temp, src: Temp) -> Result<(), String> {
        match self.values.loc(src) {
            loc @ (Loc::Const(_) | Loc::Global(_)) if self.ty(dst) == self.ty(src) => {
                self.values.define(dst, loc, false);
                Ok(())
            }
            _ => {
                self.fetch(src, RAX)?;
                self.result(dst)
            }
        }
    }

    /// `dst` is the constant `v` (cut to its type), made without code.
    fn constant(&mut self, dst: Temp, v: u64) {
        let v = v & self.ty(dst).mask();
        self.values.define(dst, Loc::Const(v), false);
    }

    /// Compiles `op` without an instruction of its own where its operands
    /// allow: both constant (the IR's own `eval` gives the result), or one
    /// of them the operation's identity or absorbing element. Whether it
    /// did.
    fn fold_binary(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp) -> Result<bool, String> {
        let ty = self.ty(dst);
        let (la, lb) = (self.values.loc(a), self.values.loc(b));
        if let (Loc::Const(x), Loc::Const(y)) = (la, lb) {
            self.constant(dst, op.eval(ty, x, y));
            return Ok(true);
        }
        let (mask, count_mask) = (ty.mask(), u64::from(ty.bits() - 1));
        let konst = |l: Loc| match l {
            Loc::Const(v) => Some(v & mask),
            _ => None,
        };
        let (ka, kb) = (konst(la), konst(lb));
        use BinOp::*;
        let same = |t: Temp| Some(t);
        let keep = match op {
            Add | Or | Xor if ka == Some(0) => same(b),
            Add | Sub | Or | Xor if kb == Some(0) => same(a),
            Shl | ShrUnsigned | ShrSigned | RotateLeft | RotateRight
                if kb.is_some_and(|n| n & count_mask == 0) =>
            {
                same(a)
            }
            And if ka == Some(mask) => same(b),
            And if kb == Some(mask) => same(a),
            Mul if ka == Some(1) => same(b),
            Mul if kb == Some(1) => same(a),
            And | Mul if ka == Some(0) || kb == Some(0) => {
                self.constant(dst, 0);
                return Ok(true);
            }
            _ => None,
        };
        match keep {
            Some(src) if self.ty(src) == ty => {
                self.alias(dst, src)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The high half of the product of `rax` (the first operand) and
    /// `b`, into `rax`: one-operand `mul`/`imul` at 64 bits (signed by
    /// unsigned as the unsigned product less `b` where the first operand
    /// is negative), a 64-bit product of the extended operands at 32.
    fn mul_high(&mut self, op: BinOp, wide: bool, b: Temp) -> Result<(), String> {
        match (op, wide) {
            (BinOp::MulHighUnsigned, true) => {
                self.fetch(b, RCX)?;
                dynasm!(self.asm ; .arch x64 ; mul rcx ; mov rax, rdx);
            }
            (BinOp::MulHighSigned, true) => {
                self.fetch(b, RCX)?;
                dynasm!(self.asm ; .arch x64 ; imul rcx ; mov rax, rdx);
            }
            (_, true) => {
                dynasm!(self.asm ; .arch x64 ; mov rsi, rax);
                self.fetch(b, RCX)?;
                dynasm!(self.asm
                    ; .arch x64
                    ; mul rcx
                    ; sar rsi, 63
                    ; and rsi, rcx
                    ; sub rdx, rsi
                    ; mov rax, rdx
                );
            }
            (BinOp::MulHighUnsigned, false) => {
                dynasm!(self.asm ; .arch x64 ; mov eax, eax);
                self.fetch(b, RCX)?;
                dynasm!(self.asm ; .arch x64 ; mov ecx, ecx ; imul rax, rcx ; shr rax, 32);
            }
            (BinOp::MulHighSigned, false) => {
                dynasm!(self.asm ; .arch x64 ; movsxd rax, eax);
                self.fetch(b, RCX)?;
                dynasm!(self.asm ; .arch x64 ; movsxd rcx, ecx ; imul rax, rcx ; sar rax, 32);
            }
            (_, false) => {
                dynasm!(self.asm ; .arch x64 ; movsxd rax, eax);
                self.fetch(b, RCX)?;
                dynasm!(self.asm ; .arch x64 ; mov ecx, ecx ; imul rax, rcx ; sar rax, 32);
            }
        }
        Ok(())
    }

    /// Sign- or zero-extends `rax`'s low `bits` to 64 bits.
    fn extend_rax(&mut self, bits: u8, signed: bool) {
        match (bits, signed) {
            (8, false) => dynasm!(self.asm ; .arch x64 ; movzx eax, al),
            (16, false) => dynasm!(self.asm ; .arch x64 ; movzx eax, ax),
            (32, false) => dynasm!(self.asm ; .arch x64 ; mov eax, eax),
            (8, true) => dynasm!(self.asm ; .arch x64 ; movsx rax, al),
            (16, true) => dynasm!(self.asm ; .arch x64 ; movsx rax, ax),
            (32, true) => dynasm!(self.asm ; .arch x64 ; movsxd rax, eax),
            _ => {
                let shift = 64i8 - bits.clamp(1, 64) as i8;
                if shift > 0 {
                    dynasm!(self.asm ; .arch x64 ; shl rax, shift);
                    if signed {
                        dynasm!(self.asm ; .arch x64 ; sar rax, shift);
                    } else {
                        dynasm!(self.asm ; .arch x64 ; shr rax, shift);
                    }
                }
            }
        }
    }

    /// Applies `ins` to `rax` (`eax` when `wide` is false) and `b`, taken
    /// as an immediate, from the register file or from its slot.
    fn arith(&mut self, ins: Arith, wide: bool, b: Temp) -> Result<(), String> {
        let sb = self.slot(b)?;
        // Register and memory forms, then the immediate ones where the
        // instruction has them.
        macro_rules! apply {
            ($($op:tt)*) => {
                match (self.values.loc(b), wide) {
                    (Loc::Global(g), _) if self.global_offset(g).is_some() => {
                        let off = self.global_offset(g).unwrap_or(0);
                        match (disp8(off), wide) {
                            (Ok(d), true) => dynasm!(self.asm ; .arch x64 ; $($op)* rax, QWORD [BYTE r12 + d]),
                            (Ok(d), false) => dynasm!(self.asm ; .arch x64 ; $($op)* eax, DWORD [BYTE r12 + d]),
                            (Err(off), true) => dynasm!(self.asm ; .arch x64 ; $($op)* rax, QWORD [r12 + off]),
                            (Err(off), false) => dynasm!(self.asm ; .arch x64 ; $($op)* eax, DWORD [r12 + off]),
                        }
                    }
                    (Loc::Slot, _) => match (disp8(sb), wide) {
                        (Ok(d), true) => dynasm!(self.asm ; .arch x64 ; $($op)* rax, QWORD [BYTE rsp + d]),
                        (Ok(d), false) => dynasm!(self.asm ; .arch x64 ; $($op)* eax, DWORD [BYTE rsp + d]),
                        (Err(sb), true) => dynasm!(self.asm ; .arch x64 ; $($op)* rax, QWORD [rsp + sb]),
                        (Err(sb), false) => dynasm!(self.asm ; .arch x64 ; $($op)* eax, DWORD [rsp + sb]),
                    },
                    _ => {
                        self.fetch(b, RCX)?;
                        if wide {
                            dynasm!(self.asm ; .arch x64 ; $($op)* rax, rcx)
                        } else {
                            dynasm!(self.asm ; .arch x64 ; $($op)* eax, ecx)
                        }
                    }
                }
            };
        }
        macro_rules! apply_imm {
            ($($op:tt)*) => {
                match (self.values.loc(b), wide) {
                    (Loc::Const(v), true) if imm32(v).is_some() => {
                        let imm = imm32(v).unwrap_or(0);
                        dynasm!(self.asm ; .arch x64 ; $($op)* rax, imm)
                    }
                    (Loc::Const(v), false) => {
                        dynasm!(self.asm ; .arch x64 ; $($op)* eax, v as u32 as i32)
                    }
                    _ => apply!($($op)*),
                }
            };
        }
        match ins {
            Arith::Add => apply_imm!(add),
            Arith::Sub => apply_imm!(sub),
            Arith::And => apply_imm!(and),
            Arith::Or => apply_imm!(or),
            Arith::Xor => apply_imm!(xor),
            Arith::Cmp => apply_imm!(cmp),
            Arith::Imul => apply!(imul),
        }
        Ok(())
    }

    /// Jumps to the epilogue after a trampoline when the instruction
    /// trapped, and reloads the globals' address and the chaining budget
    /// (0 when the engine must look at what the call did first); keeps
    /// `rax`.
    fn after_trampoline(&mut self) {
        let (status, globals, budget, tlb, done) = (
            self.abi.ctx.status as i8,
            self.abi.ctx.globals as i8,
            self.abi.ctx.budget as i8,
            self.abi.ctx.tlb as i8,
            self.done,
        );
        dynasm!(self.asm
            ; .arch x64
            ; cmp DWORD [BYTE rbx + status], BYTE 0
            ; jne =>done
            ; mov r12, QWORD [BYTE rbx + globals]
            ; mov rbp, QWORD [BYTE rbx + budget]
            ; mov r13, QWORD [BYTE rbx + tlb]
        );
        self.called = true;
    }

    /// Leaves the block for the engine: `rax` holds the next pc, `link`
    /// the chain link for the engine to fill (0: none).
    fn leave(&mut self, kind: u32, count: u32, link: Link) {
        let c = self.abi.ctx;
        let (exit_kind, retired, link_at, done) =
            (c.exit_kind as i8, c.retired as i8, c.link as i8, self.done);
        if let Link::None = link {
            dynasm!(self.asm ; .arch x64 ; mov QWORD [BYTE rbx + link_at], 0);
        } else {
            self.link_to_rdx(link);
            dynasm!(self.asm ; .arch x64 ; mov QWORD [BYTE rbx + link_at], rdx);
        }
        dynasm!(self.asm
            ; .arch x64
            ; mov DWORD [BYTE rbx + exit_kind], kind as i32
            ; add DWORD [BYTE rbx + retired], count as i32
            ; jmp =>done
        );
    }

    /// The chain link of the next `Goto` or `Jump` exit.
    fn next_link(&mut self) -> Link {
        let link = if self.links_here {
            let label = self.asm.new_dynamic_label();
            self.link_labels.push(label);
            Link::Here(label)
        } else {
            self.block
                .exit_link(self.exits)
                .map_or(Link::None, |l| Link::At(l as *const ChainLink as usize))
        };
        self.exits += 1;
        link
    }

    /// Puts `link`'s address in `rdx`.
    fn link_to_rdx(&mut self, link: Link) {
        match link {
            Link::None => dynasm!(self.asm ; .arch x64 ; xor edx, edx),
            Link::At(addr) => dynasm!(self.asm ; .arch x64 ; mov rdx, QWORD addr as i64),
            Link::Here(label) => dynasm!(self.asm ; .arch x64 ; lea rdx, [=>label]),
        }
    }

    /// Leaves for the pc in `rax`, `count` instructions into the block:
    /// straight on to the code `link` holds when the link is of this
    /// epoch (`indirect`: and made for this pc, else the CPU's dispatch
    /// cache's entry for it) and the block it leads to fits in the budget
    /// whole, else back to the engine with the link to fill.
    fn chain(&mut self, link: Link, count: u32, indirect: bool) {
        if let Link::None = link {
            self.leave(EXIT_CHAIN, count, Link::None);
            return;
        }
        let (c, l) = (self.abi.ctx, self.abi.link);
        let (retired, epoch, jumps) = (c.retired as i8, c.epoch as i8, c.jumps as i8);
        let (l_entry, l_epoch, l_pc, l_insns) =
            (l.entry as i8, l.epoch as i8, l.pc as i8, l.insns as i8);
        let (follow, probe, back) = (
            self.asm.new_dynamic_label(),
            self.asm.new_dynamic_label(),
            self.asm.new_dynamic_label(),
        );
        let mismatch = if indirect { probe } else { back };
        // An unset link has epoch 0, which no CPU runs in: a link of this
        // epoch holds an entry.
        dynasm!(self.asm
            ; .arch x64
            ; mov ecx, DWORD [BYTE rbx + retired]
            ; add ecx, count as i32
        );
        self.link_to_rdx(link);
        dynasm!(self.asm
            ; .arch x64
            ; mov rsi, QWORD [BYTE rbx + epoch]
            ; cmp rsi, QWORD [BYTE rdx + l_epoch]
            ; jne =>mismatch
        );
        if indirect {
            dynasm!(self.asm
                ; .arch x64
                ; cmp rax, QWORD [BYTE rdx + l_pc]
                ; jne =>probe
            );
        }
        dynasm!(self.asm
            ; .arch x64
            ; =>follow
            ; mov edi, DWORD [BYTE rdx + l_insns]
            ; add rdi, rcx
            ; cmp rdi, rbp
            ; ja =>back
            ; mov rdx, QWORD [BYTE rdx + l_entry]
            ; mov DWORD [BYTE rbx + retired], ecx
            ; mov rdi, rbx
        );
        // Straight there, leaving this block's frame as the next block
        // expects its caller's (the runner's): a jump per exit, which the
        // host predicts exit by exit.
        self.epilogue();
        dynasm!(self.asm ; .arch x64 ; jmp rdx);
        if indirect {
            let mask = (DISPATCH_ENTRIES - 1) as i32;
            let size = std::mem::size_of::<ChainLink>() as i32;
            // The slot `dispatch::dispatch_index` gives.
            dynasm!(self.asm
                ; .arch x64
                ; =>probe
                ; mov rdx, rax
                ; shr rdx, 10
                ; xor rdx, rax
                ; shr rdx, 1
                ; and edx, mask
                ; imul edx, edx, size
                ; add rdx, QWORD [BYTE rbx + jumps]
                ; cmp rsi, QWORD [BYTE rdx + l_epoch]
                ; jne =>back
                ; cmp rax, QWORD [BYTE rdx + l_pc]
                ; je =>follow
            );
        }
        dynasm!(self.asm ; .arch x64 ; =>back);
        self.leave(EXIT_CHAIN, count, link);
    }

    fn op(&mut self, op: &Op, count: u32) -> Result<(), String> {
        if self.skip == Some(self.at) {
            // Compiled out of line with the branch before it.
            self.values.read(op);
            return Ok(());
        }
        if values::leaves_rax(op) {
            self.values.read(op);
            return self.op_code(op, count);
        }
        // A value left in `rax` is for this op to take from there; any
        // other use of it reads its slot.
        if let Some(t) = self.rax.take() {
            if values::rax_operand(op) != Some(t) {
                self.store_value(t)?;
                self.values.back_to_slot(t);
            }
        }
        // A commutative operation whose second operand is the global just
        // stored from `rax` takes it first, so that it comes from there.
        let swapped;
        let op = match (self.rax_global, op) {
            (Some(g), Op::Binary { op: bin, dst, a, b })
                if matches!(
                    bin,
                    BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul
                ) && self.values.loc(*b) == Loc::Global(g)
                    && self.values.loc(*a) != Loc::Global(g) =>
            {
                swapped = Op::Binary {
                    op: *bin,
                    dst: *dst,
                    a: *b,
                    b: *a,
                };
                &swapped
            }
            _ => op,
        };
        // A global just stored from `rax`, read by this op first and only
        // once, is taken from there (as a value left for it would be); it
        // is the global's copy again afterwards.
        let borrowed = match (self.rax_global.take(), values::rax_operand(op)) {
            (Some(g), Some(t)) if self.values.loc(t) == Loc::Global(g) && reads(op, t) == 1 => {
                self.values.relocate(t, Loc::Rax);
                Some((t, g))
            }
            _ => None,
        };
        self.values.read(op);
        let done = self.op_code(op, count);
        if let Some((t, g)) = borrowed {
            if self.values.loc(t) == Loc::Rax {
                self.values.relocate(t, Loc::Global(g));
            }
        }
        done
    }

    /// Compiles `op`, its reads noted.
    fn op_code(&mut self, op: &Op, count: u32) -> Result<(), String> {
        match op {
            Op::InsnStart { pc, .. } => {
                let before = count.saturating_sub(1);
                if before > 0 && std::mem::take(&mut self.called) {
                    // The instruction before called a trampoline, which may
                    // have asked to end the block here; one that did also
                    // left a budget of 0, so only then is the request
                    // looked at (out of line).
                    let (entry, back) =
                        (self.asm.new_dynamic_label(), self.asm.new_dynamic_label());
                    dynasm!(self.asm
                        ; .arch x64
                        ; test rbp, rbp
                        ; jz =>entry
                        ; =>back
                    );
                    self.end_checks.push(EndCheck {
                        entry,
                        back,
                        pc: *pc,
                        count: before,
                    });
                }
                self.pc = *pc;
                self.insn = before;
            }
            Op::Const { dst, value } => {
                let v = value & self.ty(*dst).mask();
                self.values.define(*dst, Loc::Const(v), false);
            }
            Op::Mov { dst, src } => self.alias(*dst, *src)?,
            Op::GetGlobal { dst, global } => {
                let loc = match self.global_offset(global.0) {
                    Some(_) => Loc::Global(global.0),
                    None => Loc::Const(0),
                };
                self.values.define(*dst, loc, false);
            }
            Op::SetGlobal { global, src } => {
                self.fetch(*src, RAX)?;
                self.detach_globals(Some(global.0))?;
                if let Some(g) = self.global_offset(global.0) {
                    match disp8(g) {
                        Ok(d) => dynasm!(self.asm ; .arch x64 ; mov QWORD [BYTE r12 + d], rax),
                        Err(g) => dynasm!(self.asm ; .arch x64 ; mov QWORD [r12 + g], rax),
                    }
                    self.rax_global = Some(global.0);
                }
            }
            Op::Unary { op, dst, src } => {
                let wide = self.ty(*dst) == Ty::I64;
                if let Loc::Const(v) = self.values.loc(*src) {
                    self.constant(*dst, op.eval(self.ty(*dst), v));
                    return Ok(());
                }
                if unary_by_eval(*op) {
                    self.fetch(*src, RSI)?;
                    self.call_eval()?;
                } else {
                    self.fetch(*src, RAX)?;
                    match (op, wide) {
                        (UnOp::Not, _) => dynasm!(self.asm ; .arch x64 ; not rax),
                        (UnOp::Neg, true) => dynasm!(self.asm ; .arch x64 ; neg rax),
                        (UnOp::Neg, false) => dynasm!(self.asm ; .arch x64 ; neg eax),
                        (UnOp::ByteSwap, true) => dynasm!(self.asm ; .arch x64 ; bswap rax),
                        (UnOp::ByteSwap, false) => dynasm!(self.asm ; .arch x64 ; bswap eax),
                        _ => return Err(format!("{op:?} has no inline form")),
                    }
                }
                self.result(*dst)?;
            }
            Op::Binary { op, dst, a, b } => self.binary(*op, *dst, *a, *b)?,
            Op::Compare { cond, dst, a, b } => {
                let wide = self.ty(*a) == Ty::I64;
                if let (Loc::Const(x), Loc::Const(y)) = (self.values.loc(*a), self.values.loc(*b)) {
                    self.constant(*dst, u64::from(cond.eval(self.ty(*a), x, y)));
                    return Ok(());
                }
                self.fetch(*a, RAX)?;
                self.arith(Arith::Cmp, wide, *b)?;
                let next = self.block.ops.get(self.at + 1);
                if self.values.keep_in_rax(self.at)
                    && matches!(next, Some(Op::Branch { cond: c, .. }) if c == dst)
                {
                    // The branch right after reads the flags themselves.
                    self.flags = Some((*dst, *cond));
                    return Ok(());
                }
                match cond {
                    Cond::Eq => dynasm!(self.asm ; .arch x64 ; sete al),
                    Cond::Ne => dynasm!(self.asm ; .arch x64 ; setne al),
                    Cond::LtSigned => dynasm!(self.asm ; .arch x64 ; setl al),
                    Cond::GeSigned => dynasm!(self.asm ; .arch x64 ; setge al),
                    Cond::LtUnsigned => dynasm!(self.asm ; .arch x64 ; setb al),
                    Cond::GeUnsigned => dynasm!(self.asm ; .arch x64 ; setae al),
                }
                dynasm!(self.asm ; .arch x64 ; movzx eax, al);
                self.keep_or_store(*dst)?;
            }
            Op::Select {
                dst,
                cond,
                if_true,
                if_false,
            } => {
                self.fetch(*if_false, RAX)?;
                self.fetch(*if_true, RDX)?;
                self.fetch(*cond, RCX)?;
                dynasm!(self.asm
                    ; .arch x64
                    ; test rcx, rcx
                    ; cmovne rax, rdx
                );
                self.result(*dst)?;
            }
            Op::Extend {
                dst,
                src,
                bits,
                signed,
            } => {
                if let Loc::Const(v) = self.values.loc(*src) {
                    let ty = self.ty(*dst);
                    self.constant(*dst, sign_extend_to(v, u32::from(*bits), *signed, ty));
                    return Ok(());
                }
                let narrowing = (*bits, *signed, self.ty(*dst)) == (32, false, Ty::I32);
                if let (true, loc @ Loc::Global(_)) = (narrowing, self.values.loc(*src)) {
                    // A 32-bit copy of a global is read as the global's
                    // low half, where it is.
                    self.values.define(*dst, loc, false);
                    return Ok(());
                }
                self.fetch(*src, RAX)?;
                // An `I32` result is cut to 32 bits anyway.
                if !narrowing {
                    self.extend_rax(*bits, *signed);
                }
                self.result(*dst)?;
            }
            Op::Load { dst, addr, mem } => {
                self.fetch(*addr, RSI)?;
                self.load(mem.size, mem.endian)?;
                if mem.signed && mem.size < 8 {
                    self.extend_rax(8 * mem.size, true);
                }
                self.result(*dst)?;
            }
            Op::Store { addr, src, mem } => {
                self.fetch(*src, RDX)?;
                self.fetch(*addr, RSI)?;
                self.store(mem.size, mem.endian)?;
            }
            Op::Float { op, dst, args } => {
                let [a, b, c] = *args;
                let n = op.arity();
                self.fetch(a, RSI)?;
                if n > 1 {
                    self.fetch(b, RDX)?;
                }
                if n > 2 {
                    self.fetch(c, RCX)?;
                }
                self.call_eval()?;
                self.result(*dst)?;
            }
            Op::FloatConvert { dst, src, .. } => {
                self.fetch(*src, RSI)?;
                self.call_eval()?;
                self.result(*dst)?;
            }
            Op::Call { helper, dst, args } => {
                if args.len() > 6 {
                    return Err("helper call with more than 6 arguments".into());
                }
                // The helper may change any global.
                self.detach_globals(None)?;
                let at = self.abi.ctx.args as i8;
                for (k, a) in args.iter().enumerate() {
                    let off = at + 8 * k as i8;
                    match self.values.loc(*a) {
                        Loc::Const(v) if imm32(v).is_some() => {
                            let imm = imm32(v).unwrap_or(0);
                            dynasm!(self.asm ; .arch x64 ; mov QWORD [BYTE rbx + off], imm);
                        }
                        _ => {
                            self.fetch(*a, RAX)?;
                            dynasm!(self.asm ; .arch x64 ; mov QWORD [BYTE rbx + off], rax);
                        }
                    }
                }
                let f = self.abi.call_for(helper.0) as i64;
                let info = call_info(self.insn, args.len() as u8) as i64;
                let pc = self.pc as i64;
                dynasm!(self.asm
                    ; .arch x64
                    ; mov rdi, rbx
                    ; mov esi, helper.0 as i32
                    ; mov rdx, QWORD pc
                    ; mov rcx, QWORD info
                    ; mov rax, QWORD f
                    ; call rax
                );
                self.after_trampoline();
                if let Some(d) = dst {
                    self.result(*d)?;
                }
            }
            Op::Branch { cond, target } => self.branch(*cond, target.0)?,
            Op::Jump { target } => {
                let l = self.forward_label(target.0)?;
                self.flush()?;
                dynasm!(self.asm ; .arch x64 ; jmp =>l);
            }
            Op::SetLabel(l) => {
                // Paths meet here: every value goes through its slot.
                self.flush()?;
                self.values.forget_all();
                let index = l.0 as usize;
                if self.placed.len() <= index {
                    self.placed.resize(index + 1, false);
                }
                self.placed[index] = true;
                let l = self.label(l.0);
                dynasm!(self.asm ; .arch x64 ; =>l);
            }
            Op::Exit(exit) => {
                let link = match exit {
                    Exit::Goto { .. } | Exit::Jump { .. } => self.next_link(),
                    Exit::Return { .. } => Link::None,
                };
                self.exit(exit, count, link)?;
            }
        }
        Ok(())
    }

    /// Leaves the block by `exit`, `count` instructions in, through `link`.
    fn exit(&mut self, exit: &Exit, count: u32, link: Link) -> Result<(), String> {
        match exit {
            Exit::Goto { pc, .. } => {
                self.mov_signed(RAX, *pc);
                self.chain(link, count, false);
            }
            Exit::Jump { pc } => {
                self.fetch(*pc, RAX)?;
                self.chain(link, count, true);
            }
            Exit::Return { pc } => {
                self.mov_signed(RAX, *pc);
                self.leave(EXIT_TO_LOOP, count, Link::None);
            }
        }
        Ok(())
    }

    /// `if cond goto target`. When a side exit follows the branch and the
    /// target is right after it (`if c goto L; exit; L:`), the exit goes
    /// out of line and the branch jumps to it when `cond` fails.
    fn branch(&mut self, cond: Temp, target: u32) -> Result<(), String> {
        let l = self.forward_label(target)?;
        let ops = &self.block.ops;
        let side_exit = match (ops.get(self.at + 1), ops.get(self.at + 2)) {
            (Some(Op::Exit(exit)), Some(Op::SetLabel(after))) if after.0 == target => Some(*exit),
            _ => None,
        };
        // Values a later op needs go to their slots first (through `rcx`:
        // the value tested may be in `rax`, or in the flags).
        self.flush()?;
        let flags = self.flags.take().filter(|(t, _)| *t == cond);
        let (to, when) = match side_exit {
            Some(exit) => {
                let entry = self.asm.new_dynamic_label();
                let link = match exit {
                    Exit::Goto { .. } | Exit::Jump { .. } => self.next_link(),
                    Exit::Return { .. } => Link::None,
                };
                self.side_exits.push(SideExit {
                    entry,
                    exit,
                    count: self.counts.get(self.at + 1).copied().unwrap_or(0),
                    link,
                    pc: self.pc,
                    insn: self.insn,
                });
                self.skip = Some(self.at + 1);
                (entry, false)
            }
            None => (l, true),
        };
        match (flags, self.values.loc(cond)) {
            (Some((_, c)), _) => self.jump_if(c, when, to),
            (None, Loc::Const(v)) => {
                if (v != 0) == when {
                    dynasm!(self.asm ; .arch x64 ; jmp =>to);
                }
            }
            (None, _) => {
                self.fetch(cond, RAX)?;
                dynasm!(self.asm ; .arch x64 ; test rax, rax);
                self.jump_if(Cond::Ne, when, to);
            }
        }
        Ok(())
    }

    /// Jumps to `to` when the flags say `c` holds (`when`) or fails.
    fn jump_if(&mut self, c: Cond, when: bool, to: DynamicLabel) {
        let c = if when { c } else { c.inverse() };
        match c {
            Cond::Eq => dynasm!(self.asm ; .arch x64 ; je =>to),
            Cond::Ne => dynasm!(self.asm ; .arch x64 ; jne =>to),
            Cond::LtSigned => dynasm!(self.asm ; .arch x64 ; jl =>to),
            Cond::GeSigned => dynasm!(self.asm ; .arch x64 ; jge =>to),
            Cond::LtUnsigned => dynasm!(self.asm ; .arch x64 ; jb =>to),
            Cond::GeUnsigned => dynasm!(self.asm ; .arch x64 ; jae =>to),
        }
    }

    /// The code label of IR label `l`, which must lie ahead: the first
    /// tier's view of values relies on control going only forward.
    fn forward_label(&mut self, l: u32) -> Result<DynamicLabel, String> {
        if self.placed.get(l as usize).copied().unwrap_or(false) {
            return Err(format!("branch back to label {l}"));
        }
        Ok(self.label(l))
    }

    /// Calls [`eval`] on the next [`Desc`], in op order, with the
    /// operands in `rsi`, `rdx`, `rcx`; the result is in `rax`.
    fn call_eval(&mut self) -> Result<(), String> {
        let d = self.desc()?;
        let f = eval as extern "C" fn(*const Desc, u64, u64, u64) -> u64 as usize as i64;
        dynasm!(self.asm
            ; .arch x64
            ; mov rdi, QWORD d
            ; mov rax, QWORD f
            ; call rax
        );
        Ok(())
    }

    fn binary(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp) -> Result<(), String> {
        let wide = self.ty(dst) == Ty::I64;
        if self.fold_binary(op, dst, a, b)? {
            return Ok(());
        }
        if binary_by_eval(op) {
            self.fetch(a, RSI)?;
            self.fetch(b, RDX)?;
            self.call_eval()?;
            return self.result(dst);
        }
        self.fetch(a, RAX)?;
        macro_rules! shift {
            ($ins:ident) => {{
                match self.values.loc(b) {
                    // x86 takes the count modulo the width, as the IR
                    // defines it.
                    Loc::Const(v) => {
                        let n = (v & if wide { 63 } else { 31 }) as i8;
                        if wide {
                            dynasm!(self.asm ; .arch x64 ; $ins rax, n)
                        } else {
                            dynasm!(self.asm ; .arch x64 ; $ins eax, n)
                        }
                    }
                    _ => {
                        self.fetch(b, RCX)?;
                        if wide {
                            dynasm!(self.asm ; .arch x64 ; $ins rax, cl)
                        } else {
                            dynasm!(self.asm ; .arch x64 ; $ins eax, cl)
                        }
                    }
                }
            }};
        }
        match op {
            BinOp::Add => self.arith(Arith::Add, wide, b)?,
            BinOp::Sub => self.arith(Arith::Sub, wide, b)?,
            BinOp::And => self.arith(Arith::And, wide, b)?,
            BinOp::Or => self.arith(Arith::Or, wide, b)?,
            BinOp::Xor => self.arith(Arith::Xor, wide, b)?,
            BinOp::Mul => self.arith(Arith::Imul, wide, b)?,
            BinOp::MulHighUnsigned | BinOp::MulHighSigned | BinOp::MulHighSignedUnsigned => {
                // Its 32-bit forms shift a 64-bit product down.
                self.mul_high(op, wide, b)?;
                return self.result(dst);
            }
            BinOp::Shl => shift!(shl),
            BinOp::ShrUnsigned => shift!(shr),
            BinOp::ShrSigned => shift!(sar),
            BinOp::RotateLeft => shift!(rol),
            BinOp::RotateRight => shift!(ror),
            _ => return Err(format!("{op:?} has no inline form")),
        }
        // The 32-bit forms clear `rax`'s upper half themselves.
        self.keep_or_store(dst)
    }

    /// Looks the address in `rsi` up in the TLB (at `r13`) for an access
    /// of `size` bytes with the tag at `tag`: `rax` = the entry's offset
    /// in the table; jumps to a new slow path on a miss (returned).
    fn tlb_probe(&mut self, size: u8, tag: u32) -> Result<DynamicLabel, String> {
        let l = self.abi.tlb;
        let entry_shift = l.entry_size.trailing_zeros();
        let index_bits = l.entries.trailing_zeros();
        let supported = l.entry_size.is_power_of_two()
            && l.entries.is_power_of_two()
            && l.page_bits >= entry_shift
            && l.page_bits + index_bits <= 32;
        if !supported {
            return Err("TLB layout not supported by the first tier".into());
        }
        // The entry's offset in the table, (va >> page_bits) % entries <<
        // entry_shift, in two steps on the low half of the address.
        let shift = (l.page_bits - entry_shift) as i8;
        let index_mask = ((l.entries - 1) << entry_shift) as i32;
        let page_mask = !((1i32 << l.page_bits) - 1);
        // An access is at most 8 bytes: its last byte is within a one-byte
        // displacement.
        let (tag, last) = (tag as i8, size.saturating_sub(1) as i8);
        let miss = self.asm.new_dynamic_label();
        dynasm!(self.asm
            ; .arch x64
            ; mov eax, esi
            ; shr eax, shift
            ; and eax, index_mask
        );
        if last == 0 {
            dynasm!(self.asm ; .arch x64 ; mov rcx, rsi);
        } else {
            dynasm!(self.asm ; .arch x64 ; lea rcx, [BYTE rsi + last]);
        }
        dynasm!(self.asm
            ; .arch x64
            ; and rcx, page_mask
            ; cmp rcx, QWORD [BYTE r13 + rax + tag]
            ; jne =>miss
        );
        Ok(miss)
    }

    /// Loads `size` bytes at the address in `rsi` into `rax`,
    /// zero-extended.
    fn load(&mut self, size: u8, endian: Endian) -> Result<(), String> {
        let miss = self.tlb_probe(size, self.abi.tlb.fast_read_tag)?;
        let addend = self.abi.tlb.addend as i8;
        dynasm!(self.asm ; .arch x64 ; mov rcx, QWORD [BYTE r13 + rax + addend]);
        match size {
            1 => dynasm!(self.asm ; .arch x64 ; movzx eax, BYTE [rsi + rcx]),
            2 => dynasm!(self.asm ; .arch x64 ; movzx eax, WORD [rsi + rcx]),
            4 => dynasm!(self.asm ; .arch x64 ; mov eax, DWORD [rsi + rcx]),
            8 => dynasm!(self.asm ; .arch x64 ; mov rax, QWORD [rsi + rcx]),
            _ => return Err(format!("load of {size} bytes")),
        }
        if size > 1 && endian == Endian::Big {
            let shift = 64 - 8 * size as i8;
            dynasm!(self.asm ; .arch x64 ; bswap rax);
            if shift > 0 {
                dynasm!(self.asm ; .arch x64 ; shr rax, shift);
            }
        }
        self.out_of_line_access(miss, false, size, endian);
        Ok(())
    }

    /// Stores the low `size` bytes of `rdx` at the address in `rsi`.
    fn store(&mut self, size: u8, endian: Endian) -> Result<(), String> {
        let miss = self.tlb_probe(size, self.abi.tlb.fast_write_tag)?;
        let (code_word, addend) = (self.abi.tlb.code_word as i8, self.abi.tlb.addend as i8);
        // Writes to pages with translated code take the slow path, which
        // tells the block caches.
        dynasm!(self.asm
            ; .arch x64
            ; mov rcx, QWORD [BYTE r13 + rax + code_word]
            ; cmp QWORD [rcx], 0
            ; jne =>miss
            ; mov rcx, QWORD [BYTE r13 + rax + addend]
        );
        if size > 1 && endian == Endian::Big {
            let shift = 64 - 8 * size as i8;
            dynasm!(self.asm ; .arch x64 ; bswap rdx);
            if shift > 0 {
                dynasm!(self.asm ; .arch x64 ; shr rdx, shift);
            }
        }
        match size {
            1 => dynasm!(self.asm ; .arch x64 ; mov BYTE [rsi + rcx], dl),
            2 => dynasm!(self.asm ; .arch x64 ; mov WORD [rsi + rcx], dx),
            4 => dynasm!(self.asm ; .arch x64 ; mov DWORD [rsi + rcx], edx),
            8 => dynasm!(self.asm ; .arch x64 ; mov QWORD [rsi + rcx], rdx),
            _ => return Err(format!("store of {size} bytes")),
        }
        self.out_of_line_access(miss, true, size, endian);
        Ok(())
    }

    /// Records the slow path of the access whose fast path just ended,
    /// and places the label it comes back to.
    fn out_of_line_access(&mut self, entry: DynamicLabel, store: bool, size: u8, endian: Endian) {
        let resume = self.asm.new_dynamic_label();
        dynasm!(self.asm ; .arch x64 ; =>resume);
        self.slow.push(Slow {
            entry,
            resume,
            store,
            pc: self.pc,
            info: mem_info(self.insn, size, endian),
        });
        // The slow path calls a trampoline: the next instruction start
        // looks for a request to end the block.
        self.called = true;
    }

    /// The end-block checks' and slow paths' out-of-line halves, the
    /// epilogue and the trampolines' addresses.
    fn out_of_line(&mut self) -> Result<(), String> {
        let (status, globals, budget, end_block, tlb) = (
            self.abi.ctx.status as i8,
            self.abi.ctx.globals as i8,
            self.abi.ctx.budget as i8,
            self.abi.ctx.end_block as i8,
            self.abi.ctx.tlb as i8,
        );
        for e in std::mem::take(&mut self.side_exits) {
            dynasm!(self.asm ; .arch x64 ; =>e.entry);
            (self.pc, self.insn) = (e.pc, e.insn);
            // A `Jump` exit's target was stored by the branch's flush; it
            // is read from its slot there.
            if let Exit::Jump { pc } = e.exit {
                self.values.back_to_slot(pc);
            }
            self.exit(&e.exit, e.count, e.link)?;
        }
        if let Some(tier_up) = self.tier_up.take() {
            let runs = self.block.run_counter() as *const _ as i64;
            let hot = self.tier_up_runs as i32;
            dynasm!(self.asm
                ; .arch x64
                ; =>tier_up
                ; mov rax, QWORD runs
                ; mov DWORD [rax], hot
                ; mov rax, QWORD self.block.pc as i64
            );
            self.leave(EXIT_TIER_UP, 0, Link::None);
        }
        for c in std::mem::take(&mut self.end_checks) {
            dynasm!(self.asm
                ; .arch x64
                ; =>c.entry
                ; cmp DWORD [BYTE rbx + end_block], BYTE 0
                ; je =>c.back
            );
            self.mov_signed(RAX, c.pc);
            self.leave(EXIT_END_BLOCK, c.count, Link::None);
        }
        for s in std::mem::take(&mut self.slow) {
            let (done, resume) = (self.done, s.resume);
            // `rsi` holds the address, `rdx` a store's value; the pc and
            // the access go in the next argument registers.
            dynasm!(self.asm ; .arch x64 ; =>s.entry ; mov rdi, rbx);
            let info = s.info as u32 as i32;
            if s.store {
                self.mov_signed(RCX, s.pc);
                dynasm!(self.asm ; .arch x64 ; mov r8d, info ; call QWORD [=>self.store_at]);
            } else {
                self.mov_signed(RDX, s.pc);
                dynasm!(self.asm ; .arch x64 ; mov ecx, info ; call QWORD [=>self.load_at]);
            }
            dynasm!(self.asm
                ; .arch x64
                ; cmp DWORD [BYTE rbx + status], BYTE 0
                ; jne =>done
                ; mov r12, QWORD [BYTE rbx + globals]
                ; mov rbp, QWORD [BYTE rbx + budget]
                ; mov r13, QWORD [BYTE rbx + tlb]
                ; jmp =>resume
            );
        }
        let done = self.done;
        dynasm!(self.asm ; .arch x64 ; =>done);
        self.epilogue();
        let (load, store) = (self.abi.load as i64, self.abi.store as i64);
        dynasm!(self.asm
            ; .arch x64
            ; ret
            ; .align 8
            ; =>self.load_at
            ; .i64 load
            ; =>self.store_at
            ; .i64 store
        );
        // The links, unset (a `ChainLink` of zeros), which the engine
        // fills as the exits are taken.
        const LINK_WORDS: usize = std::mem::size_of::<ChainLink>().div_ceil(8);
        for label in std::mem::take(&mut self.link_labels) {
            dynasm!(self.asm ; .arch x64 ; =>label);
            for _ in 0..LINK_WORDS {
                dynasm!(self.asm ; .arch x64 ; .i64 0);
            }
        }
        // The run counter, written at every run: on a cache line of its
        // own (functions start on one), away from instructions, whose
        // lines a write would evict from the instruction cache. It counts
        // the runs left before tier-up (the block ran interpreted before).
        if let Some(counter) = self.counter {
            let left = self.tier_up_runs.saturating_sub(self.block.runs()).max(1) as i32;
            dynasm!(self.asm
                ; .arch x64
                ; .align CACHE_LINE
                ; =>counter
                ; .i32 left
            );
        }
        Ok(())
    }

    /// Puts `v` in `r`, sign-extended from 32 bits when it can be (the
    /// addresses of a kernel in the top 2 GiB, of low memory).
    fn mov_signed(&mut self, r: Rq, v: u64) {
        match imm32(v) {
            Some(imm) => dynasm!(self.asm ; .arch x64 ; mov Rq(r), imm),
            None => self.mov_imm(r, v),
        }
    }

    /// Takes down the block's frame and restores what the prologue saved.
    fn epilogue(&mut self) {
        let frame = self.frame;
        dynasm!(self.asm
            ; .arch x64
            ; add rsp, frame
            ; pop r13
            ; pop rbp
            ; pop r12
            ; pop rbx
        );
    }
}
