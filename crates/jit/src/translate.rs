//! Engine IR to Cranelift IR, op by op, with the semantics the IR's docs
//! give (division by zero, shift amounts, extension) spelled out so that
//! the code never traps on the host.

use chimera_engine::ir::verify::{insn_counts, op_dst};
use chimera_engine::ir::{
    sign_extend_to, BinOp, Cond, Exit, FloatConv, FloatOp, Op, Temp, Ty, UnOp, CANONICAL_NAN_32,
    CANONICAL_NAN_64,
};
use chimera_engine::native::{call_info, mem_info, EXIT_CHAIN, EXIT_END_BLOCK, EXIT_TO_LOOP};
use chimera_engine::{Block, NativeAbi};
use chimera_memory::Endian;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Function, InstBuilder, MemFlagsData, SigRef, Signature, Type, Value,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};

fn cl_ty(ty: Ty) -> Type {
    match ty {
        Ty::I32 => types::I32,
        Ty::I64 => types::I64,
    }
}

/// The float format whose bit patterns IR type `ty` holds.
fn float_ty(ty: Ty) -> Type {
    match ty {
        Ty::I32 => types::F32,
        Ty::I64 => types::F64,
    }
}

struct Emitter<'a, 'f> {
    b: FunctionBuilder<'f>,
    block: &'a Block,
    abi: &'a NativeAbi,
    vars: Vec<Variable>,
    ptr: Type,
    ctx: Value,
    globals: Variable,
    /// Where a trapped helper call leaves (globals already in memory).
    trap_block: cranelift_codegen::ir::Block,
    /// The one way back to the engine: (next pc, retired, exit kind,
    /// chain link or 0).
    exit_block: cranelift_codegen::ir::Block,
    /// The ways on to a chained block, one per exit that chains, each
    /// with its own indirect jump so that the host predicts each exit's
    /// target on its own (one shared jump made every exit of a block
    /// mispredict in turn: the rv64 interp workload ran 60% slower than
    /// on the first tier): (retired, its entry).
    chain_sites: Vec<cranelift_codegen::ir::Block>,
    /// Per global index, the variable caching it (`None`: unused, or past
    /// the CPU's globals).
    gvars: Vec<Option<Variable>>,
    /// Globals the block writes that a loop of the block touches: loaded
    /// at entry and stored at every exit (a later pass may have written
    /// them before an exit earlier in op order). The block's other written
    /// globals are lazy: loaded at the start of the first instruction that
    /// uses them and stored at an exit only once written before it in op
    /// order, so a superblock that leaves early touches only what it ran.
    eager: Vec<(u32, Variable)>,
    /// Per global index, whether it is in `eager`.
    is_eager: Vec<bool>,
    /// Per global index, whether a loop of the block touches it: an
    /// eager global that is not is stored at an exit only when a path to
    /// the exit may have written it ([`Emitter::path_written`]).
    in_loop: Vec<bool>,
    /// Per global index, whether a path to the current op may have
    /// written it (control only goes forward outside loops, so one walk
    /// in op order, merging at labels, follows every path).
    path_written: Vec<bool>,
    /// Per IR label, `path_written` merged over the branches to it.
    label_written: Vec<Option<Vec<bool>>>,
    /// Whether the op before falls through to the current one.
    falls_through: bool,
    /// Per instruction count, the lazy globals first used by that
    /// instruction, and whether their value is read (`false`: the
    /// instruction writes it first, on every path through it).
    loads_at: Vec<Vec<(u32, Variable, bool)>>,
    /// The lazy globals loaded so far, in op order.
    loaded: Vec<(u32, Variable)>,
    /// The lazy globals written so far, in op order.
    written_so_far: Vec<(u32, Variable)>,
    /// Whether the function loops (`base` then moves away from the
    /// `ctx.retired` it started with, and is stored before trampolines).
    looping: bool,
    load_sig: SigRef,
    store_sig: SigRef,
    /// The shims memory slow paths call, if the host has them.
    shims: Option<Shims>,
    call_sig: SigRef,
    /// A register-argument trampoline's ([`chimera_engine::native::FreeCallFn`]).
    free_sig: SigRef,
    /// `Goto` and `Jump` exits emitted so far (their chain links are in
    /// that order).
    exits: usize,
    /// Per temporary, its value when it is a known constant at this point
    /// of the straight-line code (cleared at every label).
    known: Vec<Option<u64>>,
    /// Index of the current instruction in the block (0 before the first).
    insn: u32,
    /// `InsnStart`s passed.
    count: u32,
    /// Pc of the current instruction.
    pc: u64,
    /// Whether the current instruction called a trampoline.
    called: bool,
    /// The Cranelift block of each IR label.
    label_blocks: Vec<cranelift_codegen::ir::Block>,
    /// Instructions retired by earlier passes of a block that loops on
    /// itself (`I32`).
    base: Variable,
    /// How many instructions the function may retire before it stops
    /// chaining and looping (`I64`): `ctx.budget`, read again after every
    /// trampoline (0 once one said the engine must look).
    budget: Variable,
    /// The start of a pass.
    head: cranelift_codegen::ir::Block,
    /// Per op index of an entry `InsnStart` that a later `Goto` of the
    /// block returns to: the Cranelift block of that loop head.
    loop_heads: Vec<(usize, cranelift_codegen::ir::Block)>,
    /// Per `Goto` exit op index that returns to a loop head: (the head's
    /// Cranelift block, the head instruction's count).
    back_edges: Vec<(usize, cranelift_codegen::ir::Block, u32)>,
}

/// A folded op's result.
#[derive(Debug, Clone, Copy)]
enum Folded {
    /// A constant (masked to the destination's type).
    Const(u64),
    /// The value of another temporary.
    Same(Temp),
}

/// What a trampoline call may have touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallKind {
    /// A load or store slow path: memory and devices, never globals.
    Memory,
    /// A leaf helper: globals only.
    Leaf,
    /// A leaf helper that reads and writes no globals.
    Free,
    /// Any other helper.
    Helper,
}

/// Global `index` from the globals at `g`.
fn load_global(b: &mut FunctionBuilder, g: Value, index: u32) -> Value {
    b.ins().load(types::I64, trusted(), g, (index * 8) as i32)
}

fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Guest RAM: possibly unaligned, never trapping (checked by the TLB).
fn guest() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

impl Emitter<'_, '_> {
    fn ty(&self, t: Temp) -> Ty {
        self.block.temps[t.0 as usize]
    }

    fn get(&mut self, t: Temp) -> Value {
        self.b.use_var(self.vars[t.0 as usize])
    }

    fn set(&mut self, t: Temp, v: Value) {
        self.b.def_var(self.vars[t.0 as usize], v);
    }

    fn iconst(&mut self, ty: Type, v: u64) -> Value {
        let v = if ty == types::I32 {
            i64::from(v as u32 as i32)
        } else {
            v as i64
        };
        self.b.ins().iconst(ty, v)
    }

    /// Widens an `I32` value to 64 bits (zero-extended).
    fn wide(&mut self, t: Temp) -> Value {
        let v = self.get(t);
        match self.ty(t) {
            Ty::I32 => self.b.ins().uextend(types::I64, v),
            Ty::I64 => v,
        }
    }

    /// Starts a fresh block for code after a terminator (reachable only
    /// through a later label, or not at all).
    fn fresh(&mut self) {
        let next = self.b.create_block();
        self.b.switch_to_block(next);
    }

    /// Leaves the function to the engine, with the chain link of the
    /// `Goto` taken (if any) for it to fill.
    fn exit(&mut self, kind: u32, next: Value, link: Option<usize>) {
        self.spill();
        let base = self.b.use_var(self.base);
        let retired = self.b.ins().iadd_imm_s(base, i64::from(self.count));
        let kind_v = self.b.ins().iconst(types::I32, i64::from(kind));
        let link_v = self.b.ins().iconst(self.ptr, link.unwrap_or(0) as i64);
        self.b.ins().jump(
            self.exit_block,
            &[next.into(), retired.into(), kind_v.into(), link_v.into()],
        );
    }

    /// A `Goto` to another block: straight on through its chain link when
    /// the budget allows and the link is of this epoch; else back to the
    /// engine.
    fn goto(&mut self, pc: u64) {
        let next = self.b.ins().iconst(types::I64, pc as i64);
        let link = self.next_link();
        self.chain(next, link, false);
    }

    /// The chain link of the next `Goto` or `Jump` exit.
    fn next_link(&mut self) -> Option<usize> {
        let link = self
            .block
            .exit_link(self.exits)
            .map(|l| l as *const _ as usize);
        self.exits += 1;
        link
    }

    /// Leaves for `next` through chain `link` when it holds compiled code
    /// for it (`check_pc`: the link caches one target of an indirect
    /// jump), else back to the engine.
    fn chain(&mut self, next: Value, link: Option<usize>, check_pc: bool) {
        let Some(link) = link else {
            self.exit(EXIT_CHAIN, next, None);
            return;
        };
        self.spill();
        let c = self.ctx;
        let base = self.b.use_var(self.base);
        let total = self.b.ins().iadd_imm_s(base, i64::from(self.count));
        let wide = self.b.ins().uextend(types::I64, total);
        let epoch = self
            .b
            .ins()
            .load(types::I64, trusted(), c, self.abi.ctx.epoch as i32);
        let lp = self.b.ins().iconst(self.ptr, link as i64);
        let kind = self.b.ins().iconst(types::I32, i64::from(EXIT_CHAIN));
        if !check_pc {
            let (entry, ok) = self.link_holds(wide, lp, epoch, None);
            let site = self.chain_site();
            self.b.ins().brif(
                ok,
                site,
                &[total.into(), entry.into()],
                self.exit_block,
                &[next.into(), total.into(), kind.into(), lp.into()],
            );
            return;
        }
        let (entry, ok) = self.link_holds(wide, lp, epoch, Some(next));
        // An indirect jump whose link caches another target: the CPU's
        // jump table.
        let probe = self.b.create_block();
        let site = self.chain_site();
        self.b
            .ins()
            .brif(ok, site, &[total.into(), entry.into()], probe, &[]);
        self.b.switch_to_block(probe);
        let hashed = self.b.ins().ushr_imm_u(next, 10);
        let mixed = self.b.ins().bxor(next, hashed);
        let index = self.b.ins().ushr_imm_u(mixed, 1);
        let mask = i64::from(chimera_engine::dispatch::DISPATCH_ENTRIES - 1);
        let index = self.b.ins().band_imm_s(index, mask);
        let size = std::mem::size_of::<chimera_engine::ChainLink>() as i64;
        let off = self.b.ins().imul_imm_s(index, size);
        let off = if self.ptr == types::I64 {
            off
        } else {
            self.b.ins().ireduce(self.ptr, off)
        };
        let table = self
            .b
            .ins()
            .load(self.ptr, trusted(), c, self.abi.ctx.jumps as i32);
        let slot = self.b.ins().iadd(table, off);
        let (entry, ok) = self.link_holds(wide, slot, epoch, Some(next));
        let site = self.chain_site();
        self.b.ins().brif(
            ok,
            site,
            &[total.into(), entry.into()],
            self.exit_block,
            &[next.into(), total.into(), kind.into(), lp.into()],
        );
    }

    /// A new way on to a chained block (see [`Emitter::chain_sites`]),
    /// its code made at the end of the function.
    fn chain_site(&mut self) -> cranelift_codegen::ir::Block {
        let site = self.b.create_block();
        self.b.append_block_param(site, types::I32);
        self.b.append_block_param(site, self.ptr);
        self.chain_sites.push(site);
        site
    }

    /// The entry of the chain link at `lp` and whether to follow it: the
    /// link is of epoch `epoch` (for a jump, made for target `pc`) and its
    /// block fits whole in the budget after the `retired` instructions
    /// (`I64`) run so far.
    fn link_holds(
        &mut self,
        retired: Value,
        lp: Value,
        epoch: Value,
        pc: Option<Value>,
    ) -> (Value, Value) {
        let l = self.abi.link;
        // An unset link has epoch 0, which no CPU ever runs in: a link
        // of the current epoch holds an entry.
        let entry = self.b.ins().load(self.ptr, trusted(), lp, l.entry as i32);
        let insns = self.b.ins().load(types::I32, trusted(), lp, l.insns as i32);
        let insns = self.b.ins().uextend(types::I64, insns);
        let after = self.b.ins().iadd(retired, insns);
        let budget = self.b.use_var(self.budget);
        let mut ok = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, after, budget);
        let mine = self.b.ins().load(types::I64, trusted(), lp, l.epoch as i32);
        let same = self.b.ins().icmp(IntCC::Equal, mine, epoch);
        ok = self.b.ins().band(ok, same);
        if let Some(pc) = pc {
            let cached = self.b.ins().load(types::I64, trusted(), lp, l.pc as i32);
            let same = self.b.ins().icmp(IntCC::Equal, cached, pc);
            ok = self.b.ins().band(ok, same);
        }
        (entry, ok)
    }

    /// After a trampoline: leave on a trap, reload the globals pointer
    /// (and, after a helper, the globals it may have changed) and the
    /// chaining budget (0 when the engine must look first).
    fn after_call(&mut self, kind: CallKind) {
        let c = self.ctx;
        if kind != CallKind::Free {
            self.called = true;
            let budget = self
                .b
                .ins()
                .load(types::I64, trusted(), c, self.abi.ctx.budget as i32);
            self.b.def_var(self.budget, budget);
        }
        let status = self
            .b
            .ins()
            .load(types::I32, trusted(), c, self.abi.ctx.status as i32);
        let cont = self.b.create_block();
        if kind == CallKind::Free {
            // The globals are still in registers: stored only on a trap.
            let spill = self.b.create_block();
            self.b.set_cold_block(spill);
            self.b.ins().brif(status, spill, &[], cont, &[]);
            self.b.switch_to_block(spill);
            self.spill();
            self.b.ins().jump(self.trap_block, &[]);
        } else {
            // The globals were stored before the call (a helper may have
            // changed them before trapping).
            self.b.ins().brif(status, self.trap_block, &[], cont, &[]);
        }
        self.b.switch_to_block(cont);
        let g = self
            .b
            .ins()
            .load(self.ptr, trusted(), c, self.abi.ctx.globals as i32);
        self.b.def_var(self.globals, g);
        if !matches!(kind, CallKind::Memory | CallKind::Free) {
            self.load_cached();
        }
    }

    /// Loads every global held in a variable so far into it again.
    fn load_cached(&mut self) {
        let g = self.b.use_var(self.globals);
        let held: Vec<_> = self.eager.iter().chain(&self.loaded).copied().collect();
        for (index, var) in held {
            let v = load_global(&mut self.b, g, index);
            self.b.def_var(var, v);
        }
    }

    /// Loads the globals first used by instruction `count` (lazy blocks).
    fn load_for(&mut self, count: u32) {
        let Some(list) = self.loads_at.get_mut(count as usize) else {
            return;
        };
        let list = std::mem::take(list);
        let g = self.b.use_var(self.globals);
        for (index, var, read) in list {
            if read {
                let v = load_global(&mut self.b, g, index);
                self.b.def_var(var, v);
            }
            // Held from here on: reloaded after helpers like the others
            // (a helper before the first write may change it).
            self.loaded.push((index, var));
        }
    }

    /// Stores every global that may have been written before this point.
    fn spill(&mut self) {
        let g = self.b.use_var(self.globals);
        let written: Vec<_> = self
            .eager
            .iter()
            .filter(|&&(index, _)| {
                let i = index as usize;
                self.in_loop[i] || self.path_written[i]
            })
            .chain(&self.written_so_far)
            .copied()
            .collect();
        for (index, var) in written {
            let v = self.b.use_var(var);
            self.b.ins().store(trusted(), v, g, (index * 8) as i32);
        }
    }

    /// Follows which globals the paths to `op` may have written, before
    /// `op` is compiled.
    fn follow_writes(&mut self, op: &Op) {
        match op {
            Op::SetLabel(l) => {
                let merged = self
                    .label_written
                    .get_mut(l.0 as usize)
                    .and_then(Option::take);
                if !self.falls_through {
                    self.path_written.iter_mut().for_each(|w| *w = false);
                }
                for (w, m) in self.path_written.iter_mut().zip(merged.iter().flatten()) {
                    *w |= *m;
                }
            }
            Op::SetGlobal { global, .. } => {
                if let Some(w) = self.path_written.get_mut(global.0 as usize) {
                    *w = true;
                }
            }
            Op::Branch { target, .. } | Op::Jump { target } => {
                let l = target.0 as usize;
                if self.label_written.len() <= l {
                    self.label_written.resize(l + 1, None);
                }
                let at = self.label_written[l]
                    .get_or_insert_with(|| vec![false; self.path_written.len()]);
                for (m, w) in at.iter_mut().zip(&self.path_written) {
                    *m |= *w;
                }
            }
            _ => {}
        }
        self.falls_through = !matches!(op, Op::Jump { .. } | Op::Exit(_));
    }

    /// The variable caching global `index`, if the block uses it.
    fn gvar(&self, index: u32) -> Option<Variable> {
        self.gvars.get(index as usize).copied().flatten()
    }

    fn callee(&mut self, addr: usize) -> Value {
        self.b.ins().iconst(self.ptr, addr as i64)
    }

    /// The TLB entry for `addr` and whether it holds `addr`'s page for
    /// an access of `size` bytes at tag offset `tag_off` (a page-crossing
    /// access never matches: its last byte's page is compared).
    fn tlb_probe(&mut self, addr: Value, size: u8, tag_off: u32) -> (Value, Value) {
        let l = self.abi.tlb;
        let page_bits = i64::from(l.page_bits);
        let index_mask = i64::from(l.entries.saturating_sub(1));
        let entry_shift = i64::from(l.entry_size.trailing_zeros());
        let off = if l.entry_size.is_power_of_two() && entry_shift <= page_bits {
            // The entry's offset in two steps: the page number shifted
            // straight to entry granularity, then masked.
            let shifted = self.b.ins().ushr_imm_u(addr, page_bits - entry_shift);
            self.b.ins().band_imm_s(shifted, index_mask << entry_shift)
        } else {
            let idx = self.b.ins().ushr_imm_u(addr, page_bits);
            let idx = self.b.ins().band_imm_s(idx, index_mask);
            self.b.ins().imul_imm_s(idx, i64::from(l.entry_size))
        };
        let off = if self.ptr == types::I64 {
            off
        } else {
            self.b.ins().ireduce(self.ptr, off)
        };
        // The table's address is read where used: held for the whole
        // function it only took a register (or a stack slot) from the
        // guest's globals.
        let tlb = self
            .b
            .ins()
            .load(self.ptr, trusted(), self.ctx, self.abi.ctx.tlb as i32);
        let entry = self.b.ins().iadd(tlb, off);
        let tag = self
            .b
            .ins()
            .load(types::I64, trusted(), entry, tag_off as i32);
        let last = if size > 1 {
            self.b.ins().iadd_imm_s(addr, i64::from(size) - 1)
        } else {
            addr
        };
        let page = self.b.ins().band_imm_s(last, !((1i64 << page_bits) - 1));
        let hit = self.b.ins().icmp(IntCC::Equal, tag, page);
        (entry, hit)
    }

    /// The host address of `addr` in the page of TLB `entry`.
    fn host_addr(&mut self, entry: Value, addr: Value) -> Value {
        let l = self.abi.tlb;
        let addend = self
            .b
            .ins()
            .load(self.ptr, trusted(), entry, l.addend as i32);
        let addr = if self.ptr == types::I64 {
            addr
        } else {
            self.b.ins().ireduce(self.ptr, addr)
        };
        self.b.ins().iadd(addr, addend)
    }

    fn swap_if_needed(&mut self, v: Value, size: u8, endian: Endian) -> Value {
        let host_big = cfg!(target_endian = "big");
        if size > 1 && (endian == Endian::Big) != host_big {
            self.b.ins().bswap(v)
        } else {
            v
        }
    }

    fn load(&mut self, dst: Temp, addr: Temp, size: u8, signed: bool, endian: Endian) {
        let a = self.wide(addr);
        let (entry, hit) = self.tlb_probe(a, size, self.abi.tlb.fast_read_tag);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        let raw = self.b.append_block_param(join, types::I64);
        self.b.ins().brif(hit, fast, &[], slow, &[]);
        self.b.set_cold_block(slow);

        self.b.switch_to_block(fast);
        let p = self.host_addr(entry, a);
        let mem_ty = Type::int(u16::from(size) * 8).expect("sizes are 1, 2, 4 or 8");
        let v = self.b.ins().load(mem_ty, guest(), p, 0);
        let v = self.swap_if_needed(v, size, endian);
        let v = if size < 8 {
            self.b.ins().uextend(types::I64, v)
        } else {
            v
        };
        self.b.ins().jump(join, &[v.into()]);

        self.b.switch_to_block(slow);
        self.spill();
        self.sync_retired();
        let (f, target) = match self.shims {
            Some(s) => (self.callee(s.load), Some(self.callee(self.abi.load))),
            None => (self.callee(self.abi.load), None),
        };
        let pc = self.b.ins().iconst(types::I64, self.pc as i64);
        let info = self
            .b
            .ins()
            .iconst(types::I64, mem_info(self.insn, size, endian) as i64);
        let c = self.ctx;
        let v = match target {
            Some(target) => {
                // The shim takes its arguments from, and leaves the result
                // in, the context's argument slots, unused during a
                // memory access.
                self.shim_args(&[a, pc, info, target]);
                self.b.ins().call_indirect(self.load_sig, f, &[c]);
                let at = self.abi.ctx.args as i32;
                self.b.ins().load(types::I64, trusted(), c, at)
            }
            None => {
                let call = self
                    .b
                    .ins()
                    .call_indirect(self.load_sig, f, &[c, a, pc, info]);
                self.b.inst_results(call)[0]
            }
        };
        self.after_call(CallKind::Memory);
        self.b.ins().jump(join, &[v.into()]);

        self.b.switch_to_block(join);
        let out = self.extend(raw, types::I64, u32::from(size) * 8, signed, self.ty(dst));
        self.set(dst, out);
    }

    fn store(&mut self, addr: Temp, src: Temp, size: u8, endian: Endian) {
        let a = self.wide(addr);
        let v64 = self.wide(src);
        let (entry, hit) = self.tlb_probe(a, size, self.abi.tlb.fast_write_tag);
        let check = self.b.create_block();
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.ins().brif(hit, check, &[], slow, &[]);
        self.b.set_cold_block(slow);

        // Writes to pages with translated code take the slow path, which
        // tells the block caches.
        self.b.switch_to_block(check);
        let cw = self
            .b
            .ins()
            .load(self.ptr, trusted(), entry, self.abi.tlb.code_word as i32);
        let watchers = self.b.ins().load(types::I64, trusted(), cw, 0);
        self.b.ins().brif(watchers, slow, &[], fast, &[]);

        self.b.switch_to_block(fast);
        let p = self.host_addr(entry, a);
        let v = if size < 8 {
            let mem_ty = Type::int(u16::from(size) * 8).expect("sizes are 1, 2, 4 or 8");
            self.b.ins().ireduce(mem_ty, v64)
        } else {
            v64
        };
        let v = self.swap_if_needed(v, size, endian);
        self.b.ins().store(guest(), v, p, 0);
        self.b.ins().jump(join, &[]);

        self.b.switch_to_block(slow);
        self.spill();
        self.sync_retired();
        let (f, target) = match self.shims {
            Some(s) => (self.callee(s.store), Some(self.callee(self.abi.store))),
            None => (self.callee(self.abi.store), None),
        };
        let pc = self.b.ins().iconst(types::I64, self.pc as i64);
        let info = self
            .b
            .ins()
            .iconst(types::I64, mem_info(self.insn, size, endian) as i64);
        let c = self.ctx;
        match target {
            Some(target) => {
                self.shim_args(&[a, v64, pc, info, target]);
                self.b.ins().call_indirect(self.store_sig, f, &[c]);
            }
            None => {
                self.b
                    .ins()
                    .call_indirect(self.store_sig, f, &[c, a, v64, pc, info]);
            }
        }
        self.after_call(CallKind::Memory);
        self.b.ins().jump(join, &[]);

        self.b.switch_to_block(join);
    }

    /// Stores a shim's arguments in the context's argument slots.
    fn shim_args(&mut self, args: &[Value]) {
        let at = self.abi.ctx.args as i32;
        for (k, v) in args.iter().enumerate() {
            self.b
                .ins()
                .store(trusted(), *v, self.ctx, at + 8 * k as i32);
        }
    }

    /// The low `bits` bits of `v` (of type `from`), extended to `to`.
    fn extend(&mut self, v: Value, from: Type, bits: u32, signed: bool, to: Ty) -> Value {
        let to = cl_ty(to);
        let w = from.bits();
        let v = if bits >= w {
            v
        } else if matches!(bits, 8 | 16 | 32) {
            let narrow = Type::int(bits as u16).expect("8, 16 or 32");
            let n = self.b.ins().ireduce(narrow, v);
            let ext = if to.bits() <= bits { None } else { Some(to) };
            return match ext {
                None if to.bits() == bits => n,
                None => self.b.ins().ireduce(to, n),
                Some(t) if signed => self.b.ins().sextend(t, n),
                Some(t) => self.b.ins().uextend(t, n),
            };
        } else if signed {
            let s = i64::from(w - bits);
            let x = self.b.ins().ishl_imm_u(v, s);
            self.b.ins().sshr_imm_u(x, s)
        } else {
            let mask = if bits >= 64 {
                -1
            } else {
                ((1u64 << bits) - 1) as i64
            };
            self.b.ins().band_imm_s(v, mask)
        };
        match to.bits().cmp(&w) {
            std::cmp::Ordering::Equal => v,
            std::cmp::Ordering::Less => self.b.ins().ireduce(to, v),
            std::cmp::Ordering::Greater if signed && bits <= w => self.b.ins().sextend(to, v),
            std::cmp::Ordering::Greater => self.b.ins().uextend(to, v),
        }
    }

    fn binary(&mut self, op: BinOp, ty: Type, a: Value, b: Value) -> Value {
        match op {
            BinOp::Add => self.b.ins().iadd(a, b),
            BinOp::Sub => self.b.ins().isub(a, b),
            BinOp::Mul => self.b.ins().imul(a, b),
            BinOp::MulHighSigned => self.b.ins().smulhi(a, b),
            BinOp::MulHighUnsigned => self.b.ins().umulhi(a, b),
            BinOp::MulHighSignedUnsigned => {
                // signed a = unsigned a - 2^W when a < 0, so the high half
                // loses b then.
                let hi = self.b.ins().umulhi(a, b);
                let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, a, 0);
                let zero = self.iconst(ty, 0);
                let sub = self.b.ins().select(neg, b, zero);
                self.b.ins().isub(hi, sub)
            }
            BinOp::DivUnsigned | BinOp::RemUnsigned => {
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                let one = self.iconst(ty, 1);
                let safe = self.b.ins().select(zero, one, b);
                if op == BinOp::DivUnsigned {
                    let q = self.b.ins().udiv(a, safe);
                    let all = self.iconst(ty, u64::MAX);
                    self.b.ins().select(zero, all, q)
                } else {
                    let r = self.b.ins().urem(a, safe);
                    self.b.ins().select(zero, a, r)
                }
            }
            BinOp::DivSigned | BinOp::RemSigned => {
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                let min = self.iconst(ty, 1u64 << (ty.bits() - 1));
                let a_min = self.b.ins().icmp(IntCC::Equal, a, min);
                let b_m1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let ov = self.b.ins().band(a_min, b_m1);
                let bad = self.b.ins().bor(zero, ov);
                let one = self.iconst(ty, 1);
                let safe = self.b.ins().select(bad, one, b);
                if op == BinOp::DivSigned {
                    // MIN / -1 is MIN = MIN / 1.
                    let q = self.b.ins().sdiv(a, safe);
                    let all = self.iconst(ty, u64::MAX);
                    self.b.ins().select(zero, all, q)
                } else {
                    // MIN % -1 is 0 = MIN % 1.
                    let r = self.b.ins().srem(a, safe);
                    self.b.ins().select(zero, a, r)
                }
            }
            BinOp::And => self.b.ins().band(a, b),
            BinOp::Or => self.b.ins().bor(a, b),
            BinOp::Xor => self.b.ins().bxor(a, b),
            // Cranelift takes shift and rotate amounts modulo the width,
            // as the IR does.
            BinOp::Shl => self.b.ins().ishl(a, b),
            BinOp::ShrUnsigned => self.b.ins().ushr(a, b),
            BinOp::ShrSigned => self.b.ins().sshr(a, b),
            BinOp::RotateLeft => self.b.ins().rotl(a, b),
            BinOp::RotateRight => self.b.ins().rotr(a, b),
        }
    }

    /// [`FloatConv`] of `x` from IR type `from` to `to`.
    fn float_convert(&mut self, conv: FloatConv, from: Ty, to: Ty, x: Value) -> Value {
        let as_float =
            |e: &mut Self, v: Value| e.b.ins().bitcast(float_ty(from), MemFlagsData::new(), v);
        match conv {
            FloatConv::FromSigned | FloatConv::FromUnsigned => {
                let f = if conv == FloatConv::FromSigned {
                    self.b.ins().fcvt_from_sint(float_ty(to), x)
                } else {
                    self.b.ins().fcvt_from_uint(float_ty(to), x)
                };
                self.b.ins().bitcast(cl_ty(to), MemFlagsData::new(), f)
            }
            FloatConv::ToSignedTruncated => {
                let f = as_float(self, x);
                self.b.ins().fcvt_to_sint_sat(cl_ty(to), f)
            }
            FloatConv::ToUnsignedTruncated => {
                let f = as_float(self, x);
                self.b.ins().fcvt_to_uint_sat(cl_ty(to), f)
            }
            FloatConv::Resize => {
                let f = as_float(self, x);
                let r = if to == Ty::I64 {
                    self.b.ins().fpromote(float_ty(to), f)
                } else {
                    self.b.ins().fdemote(float_ty(to), f)
                };
                self.canonical(to, r)
            }
        }
    }

    /// The bits of float `r` (of IR type `ty`), with a NaN made the IR's
    /// canonical one (x86's is negative).
    fn canonical(&mut self, ty: Ty, r: Value) -> Value {
        let nan = match ty {
            Ty::I32 => u64::from(CANONICAL_NAN_32),
            Ty::I64 => CANONICAL_NAN_64,
        };
        let int = cl_ty(ty);
        let is_nan = self.b.ins().fcmp(FloatCC::Unordered, r, r);
        let bits = self.b.ins().bitcast(int, MemFlagsData::new(), r);
        let canonical = self.iconst(int, nan);
        self.b.ins().select(is_nan, canonical, bits)
    }

    /// [`FloatOp`] on integer bit patterns `args` of IR type `ty`.
    fn float(&mut self, op: FloatOp, ty: Ty, args: &[Value]) -> Value {
        let int = cl_ty(ty);
        let f: Vec<Value> = args
            .iter()
            .map(|&v| self.b.ins().bitcast(float_ty(ty), MemFlagsData::new(), v))
            .collect();
        let compare = |cc: FloatCC, e: &mut Self| {
            let c = e.b.ins().fcmp(cc, f[0], f[1]);
            e.b.ins().uextend(int, c)
        };
        let r = match op {
            FloatOp::Add => self.b.ins().fadd(f[0], f[1]),
            FloatOp::Sub => self.b.ins().fsub(f[0], f[1]),
            FloatOp::Mul => self.b.ins().fmul(f[0], f[1]),
            FloatOp::Div => self.b.ins().fdiv(f[0], f[1]),
            FloatOp::Sqrt => self.b.ins().sqrt(f[0]),
            FloatOp::MulAdd => self.b.ins().fma(f[0], f[1], f[2]),
            FloatOp::Eq => return compare(FloatCC::Equal, self),
            FloatOp::Lt => return compare(FloatCC::LessThan, self),
            FloatOp::Le => return compare(FloatCC::LessThanOrEqual, self),
        };
        self.canonical(ty, r)
    }

    fn konst(&self, t: Temp) -> Option<u64> {
        self.known.get(t.0 as usize).copied().flatten()
    }

    /// What `op` comes to when its operands are known constants or it is
    /// an identity (`x + 0`, `x & all-ones`, ...), with the semantics of
    /// the interpreter's own evaluation: fewer Cranelift instructions to
    /// compile and run.
    fn fold(&self, op: &Op) -> Option<(Temp, Folded)> {
        let folded = match *op {
            Op::Mov { dst, src } => (dst, Folded::Const(self.konst(src)?)),
            Op::Unary { op, dst, src } => {
                (dst, Folded::Const(op.eval(self.ty(dst), self.konst(src)?)))
            }
            Op::Compare { cond, dst, a, b } => {
                let v = cond.eval(self.ty(a), self.konst(a)?, self.konst(b)?);
                (dst, Folded::Const(u64::from(v)))
            }
            Op::Extend {
                dst,
                src,
                bits,
                signed,
            } => {
                if bits == 0 || u32::from(bits) > self.ty(src).bits() {
                    return None;
                }
                let v = sign_extend_to(self.konst(src)?, u32::from(bits), signed, self.ty(dst));
                (dst, Folded::Const(v))
            }
            Op::Select {
                dst,
                cond,
                if_true,
                if_false,
            } => {
                let pick = if self.konst(cond)? != 0 {
                    if_true
                } else {
                    if_false
                };
                (dst, Folded::Same(pick))
            }
            Op::Binary { op, dst, a, b } => {
                let ty = self.ty(dst);
                let (ka, kb) = (self.konst(a), self.konst(b));
                if let (Some(x), Some(y)) = (ka, kb) {
                    return Some((dst, Folded::Const(op.eval(ty, x, y))));
                }
                use BinOp::*;
                let f = match (op, ka, kb) {
                    (
                        Add | Sub | Or | Xor | Shl | ShrUnsigned | ShrSigned | RotateLeft
                        | RotateRight,
                        _,
                        Some(0),
                    ) => Folded::Same(a),
                    (Add | Or | Xor, Some(0), _) => Folded::Same(b),
                    (And, _, Some(m)) if m == ty.mask() => Folded::Same(a),
                    (And, Some(m), _) if m == ty.mask() => Folded::Same(b),
                    (And | Mul, _, Some(0)) | (And | Mul, Some(0), _) => Folded::Const(0),
                    (Mul, _, Some(1)) => Folded::Same(a),
                    (Mul, Some(1), _) => Folded::Same(b),
                    _ => return None,
                };
                (dst, f)
            }
            _ => return None,
        };
        Some(folded)
    }

    fn op(&mut self, i: usize, op: &Op, counts: &[u32]) -> Result<(), String> {
        self.follow_writes(op);
        if let Some((dst, folded)) = self.fold(op) {
            let (v, k) = match folded {
                Folded::Const(c) => (self.iconst(cl_ty(self.ty(dst)), c), Some(c)),
                Folded::Same(t) => (self.get(t), self.konst(t)),
            };
            self.set(dst, v);
            self.known[dst.0 as usize] = k;
            return Ok(());
        }
        self.op_unfolded(i, op, counts)?;
        match op {
            Op::Const { dst, value } => {
                self.known[dst.0 as usize] = Some(value & self.ty(*dst).mask());
            }
            Op::SetLabel(_) => self.known.iter_mut().for_each(|k| *k = None),
            _ => {
                if let Some(dst) = op_dst(op) {
                    self.known[dst.0 as usize] = None;
                }
            }
        }
        Ok(())
    }

    fn op_unfolded(&mut self, i: usize, op: &Op, counts: &[u32]) -> Result<(), String> {
        match op {
            Op::InsnStart { pc, .. } => {
                if let Some(&(_, head)) = self.loop_heads.iter().find(|(at, _)| *at == i) {
                    self.b.ins().jump(head, &[]);
                    self.b.switch_to_block(head);
                    self.known.iter_mut().for_each(|k| *k = None);
                }
                if self.count > 0 && self.called {
                    // A trampoline asked to end the block: stop before
                    // this instruction, as the interpreter does.
                    // A trampoline that ran cleared the budget: only then
                    // can the request be set (read off the fast path).
                    let budget = self.b.use_var(self.budget);
                    let check = self.b.create_block();
                    let stop = self.b.create_block();
                    let cont = self.b.create_block();
                    self.b.ins().brif(budget, cont, &[], check, &[]);
                    self.b.set_cold_block(check);
                    self.b.switch_to_block(check);
                    let c = self.ctx;
                    let flag =
                        self.b
                            .ins()
                            .load(types::I32, trusted(), c, self.abi.ctx.end_block as i32);
                    self.b.ins().brif(flag, stop, &[], cont, &[]);
                    self.b.set_cold_block(stop);
                    self.b.switch_to_block(stop);
                    let next = self.b.ins().iconst(types::I64, *pc as i64);
                    self.exit(EXIT_END_BLOCK, next, None);
                    self.b.switch_to_block(cont);
                }
                self.insn = counts[i] - 1;
                self.count = counts[i];
                self.load_for(self.count);
                self.pc = *pc;
                self.called = false;
            }
            Op::Const { dst, value } => {
                let v = self.iconst(cl_ty(self.ty(*dst)), *value);
                self.set(*dst, v);
            }
            Op::Mov { dst, src } => {
                let v = self.get(*src);
                self.set(*dst, v);
            }
            Op::GetGlobal { dst, global } => {
                let ty = cl_ty(self.ty(*dst));
                let v = match self.gvar(global.0) {
                    Some(var) => Some(self.b.use_var(var)),
                    // Never written here: straight from memory.
                    None if (global.0 as usize) < self.abi.globals_len => {
                        let g = self.b.use_var(self.globals);
                        Some(load_global(&mut self.b, g, global.0))
                    }
                    None => None,
                };
                let v = match v {
                    Some(v) if ty == types::I32 => self.b.ins().ireduce(types::I32, v),
                    Some(v) => v,
                    None => self.iconst(ty, 0),
                };
                self.set(*dst, v);
            }
            Op::SetGlobal { global, src } => {
                if let Some(var) = self.gvar(global.0) {
                    let v = self.wide(*src);
                    self.b.def_var(var, v);
                    let lazy = self.is_eager.get(global.0 as usize) != Some(&true);
                    if lazy && !self.written_so_far.iter().any(|&(g, _)| g == global.0) {
                        self.written_so_far.push((global.0, var));
                    }
                }
            }
            Op::Unary { op, dst, src } => {
                let a = self.get(*src);
                let v = match op {
                    UnOp::Not => self.b.ins().bnot(a),
                    UnOp::Neg => self.b.ins().ineg(a),
                    UnOp::CountLeadingZeros => self.b.ins().clz(a),
                    UnOp::CountTrailingZeros => self.b.ins().ctz(a),
                    UnOp::PopCount => self.b.ins().popcnt(a),
                    UnOp::ByteSwap => self.b.ins().bswap(a),
                };
                self.set(*dst, v);
            }
            Op::Binary { op, dst, a, b } => {
                let ty = cl_ty(self.ty(*dst));
                let (va, vb) = (self.get(*a), self.get(*b));
                let v = self.binary(*op, ty, va, vb);
                self.set(*dst, v);
            }
            Op::Float { op, dst, args } => {
                let ty = self.ty(*dst);
                let vals: Vec<Value> = args[..op.arity()].iter().map(|a| self.get(*a)).collect();
                let v = self.float(*op, ty, &vals);
                self.set(*dst, v);
            }
            Op::FloatConvert { conv, dst, src } => {
                let (from, to) = (self.ty(*src), self.ty(*dst));
                let x = self.get(*src);
                let v = self.float_convert(*conv, from, to, x);
                self.set(*dst, v);
            }
            Op::Compare { cond, dst, a, b } => {
                let cc = match cond {
                    Cond::Eq => IntCC::Equal,
                    Cond::Ne => IntCC::NotEqual,
                    Cond::LtSigned => IntCC::SignedLessThan,
                    Cond::GeSigned => IntCC::SignedGreaterThanOrEqual,
                    Cond::LtUnsigned => IntCC::UnsignedLessThan,
                    Cond::GeUnsigned => IntCC::UnsignedGreaterThanOrEqual,
                };
                let (va, vb) = (self.get(*a), self.get(*b));
                let r = self.b.ins().icmp(cc, va, vb);
                let ty = cl_ty(self.ty(*dst));
                let v = self.b.ins().uextend(ty, r);
                self.set(*dst, v);
            }
            Op::Select {
                dst,
                cond,
                if_true,
                if_false,
            } => {
                let c = self.get(*cond);
                let (t, f) = (self.get(*if_true), self.get(*if_false));
                let v = self.b.ins().select(c, t, f);
                self.set(*dst, v);
            }
            Op::Extend {
                dst,
                src,
                bits,
                signed,
            } => {
                let from = cl_ty(self.ty(*src));
                if *bits == 0 || u32::from(*bits) > from.bits() {
                    return Err(format!("extend of {bits} bits"));
                }
                let v = self.get(*src);
                let v = self.extend(v, from, u32::from(*bits), *signed, self.ty(*dst));
                self.set(*dst, v);
            }
            Op::Load { dst, addr, mem } => {
                if !matches!(mem.size, 1 | 2 | 4 | 8) {
                    return Err(format!("load of {} bytes", mem.size));
                }
                self.load(*dst, *addr, mem.size, mem.signed, mem.endian);
            }
            Op::Store { addr, src, mem } => {
                if !matches!(mem.size, 1 | 2 | 4 | 8) {
                    return Err(format!("store of {} bytes", mem.size));
                }
                self.store(*addr, *src, mem.size, mem.endian);
            }
            Op::Call { helper, dst, args } => {
                if args.len() > 6 {
                    return Err("helper call with more than 6 arguments".into());
                }
                let c = self.ctx;
                if let Some(f) = self.abi.free_call_for(helper.0).filter(|_| args.len() <= 5) {
                    self.sync_retired();
                    let pc = self.b.ins().iconst(types::I64, self.pc as i64);
                    let info = call_info(self.insn, args.len() as u8);
                    let info = self.b.ins().iconst(types::I64, info as i64);
                    let at = self.abi.ctx.args as i32;
                    self.b.ins().store(trusted(), pc, c, at);
                    self.b.ins().store(trusted(), info, c, at + 8);
                    let mut values = vec![c];
                    for k in 0..5 {
                        let v = match args.get(k) {
                            Some(a) => self.wide(*a),
                            None => self.b.ins().iconst(types::I64, 0),
                        };
                        values.push(v);
                    }
                    let f = self.callee(f);
                    let call = self.b.ins().call_indirect(self.free_sig, f, &values);
                    let r = self.b.inst_results(call)[0];
                    self.after_call(CallKind::Free);
                    if let Some(d) = dst {
                        let v = match self.ty(*d) {
                            Ty::I32 => self.b.ins().ireduce(types::I32, r),
                            Ty::I64 => r,
                        };
                        self.set(*d, v);
                    }
                    return Ok(());
                }
                for (k, a) in args.iter().enumerate() {
                    let v = self.wide(*a);
                    let off = self.abi.ctx.args as i32 + 8 * k as i32;
                    self.b.ins().store(trusted(), v, c, off);
                }
                let bit = |mask: u128| helper.0 < 128 && mask & (1 << helper.0) != 0;
                let kind = if bit(self.abi.global_free_helpers) {
                    CallKind::Free
                } else if bit(self.abi.leaf_helpers) {
                    CallKind::Leaf
                } else {
                    CallKind::Helper
                };
                if kind != CallKind::Free {
                    self.spill();
                }
                self.sync_retired();
                let f = self.callee(self.abi.call_for(helper.0));
                let h = self.b.ins().iconst(types::I64, i64::from(helper.0));
                let pc = self.b.ins().iconst(types::I64, self.pc as i64);
                let info = self
                    .b
                    .ins()
                    .iconst(types::I64, call_info(self.insn, args.len() as u8) as i64);
                let call = self
                    .b
                    .ins()
                    .call_indirect(self.call_sig, f, &[c, h, pc, info]);
                let r = self.b.inst_results(call)[0];
                self.after_call(kind);
                if let Some(d) = dst {
                    let v = match self.ty(*d) {
                        Ty::I32 => self.b.ins().ireduce(types::I32, r),
                        Ty::I64 => r,
                    };
                    self.set(*d, v);
                }
            }
            Op::Branch { cond, target } => {
                let c = self.get(*cond);
                let to = self.label(target.0)?;
                let cont = self.b.create_block();
                self.b.ins().brif(c, to, &[], cont, &[]);
                self.b.switch_to_block(cont);
            }
            Op::Jump { target } => {
                let to = self.label(target.0)?;
                self.b.ins().jump(to, &[]);
                self.fresh();
            }
            Op::SetLabel(l) => {
                let to = self.label(l.0)?;
                self.b.ins().jump(to, &[]);
                self.b.switch_to_block(to);
                // A side path counts on from its branch, even before (or
                // without) an instruction of its own.
                self.count = counts[i];
                self.insn = counts[i].saturating_sub(1);
            }
            Op::Exit(exit) => {
                let back = self.back_edges.iter().find(|(at, ..)| *at == i).copied();
                match exit {
                    Exit::Goto { pc, .. } if *pc == self.block.pc => self.loop_back(),
                    Exit::Goto { pc, .. } if back.is_some() => {
                        if let Some((_, head, count)) = back {
                            self.loop_to(*pc, head, count);
                        }
                    }
                    Exit::Goto { pc, .. } => self.goto(*pc),
                    Exit::Jump { pc } => {
                        let next = self.wide(*pc);
                        let link = self.next_link();
                        self.chain(next, link, true);
                    }
                    Exit::Return { pc } => {
                        let next = self.b.ins().iconst(types::I64, *pc as i64);
                        self.exit(EXIT_TO_LOOP, next, None);
                    }
                }
                self.fresh();
            }
        }
        Ok(())
    }

    /// A `Goto` to the block's own start: another pass when the budget
    /// allows a whole pass, else an exit.
    fn loop_back(&mut self) {
        let head = self.head;
        self.loop_or_leave(i64::from(self.count), head);
        let next = self.b.ins().iconst(types::I64, self.block.pc as i64);
        let link = self.next_link();
        self.exit(EXIT_CHAIN, next, link);
    }

    /// A `Goto` back to an entry instruction of the block (count
    /// `count`, Cranelift block `head`): on from there when the budget
    /// allows the rest of the block, else an exit to `pc`.
    fn loop_to(&mut self, pc: u64, head: cranelift_codegen::ir::Block, count: u32) {
        // Less the instructions before the head in a pass: the head then
        // sees its static count again.
        let advance = i64::from(self.count) - i64::from(count - 1);
        self.loop_or_leave(advance, head);
        self.goto(pc);
    }

    /// Jumps to `head` with `base` moved on by `advance` when the budget
    /// (0 once a trampoline said the engine must look) allows a whole pass
    /// from there; else carries on in a fresh block for the exit.
    fn loop_or_leave(&mut self, advance: i64, head: cranelift_codegen::ir::Block) {
        let base = self.b.use_var(self.base);
        let rebased = self.b.ins().iadd_imm_s(base, advance);
        let wide = self.b.ins().uextend(types::I64, rebased);
        let after = self.b.ins().iadd_imm_s(wide, i64::from(self.block.insns));
        let budget = self.b.use_var(self.budget);
        let fits = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, after, budget);
        let again = self.b.create_block();
        let leave = self.b.create_block();
        self.b.ins().brif(fits, again, &[], leave, &[]);
        self.b.switch_to_block(again);
        self.b.def_var(self.base, rebased);
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(leave);
    }

    /// Before a trampoline: `ctx.retired` as trampolines count from it
    /// (only a looping function has moved `base` on).
    fn sync_retired(&mut self) {
        if self.looping {
            let base = self.b.use_var(self.base);
            let c = self.ctx;
            self.b
                .ins()
                .store(trusted(), base, c, self.abi.ctx.retired as i32);
        }
    }

    fn label(&mut self, l: u32) -> Result<cranelift_codegen::ir::Block, String> {
        self.label_blocks
            .get(l as usize)
            .copied()
            .ok_or_else(|| format!("label {l} out of range"))
    }
}

/// The register-preserving entries to the memory trampolines
/// ([`crate::shim`]), on hosts that have them.
#[derive(Debug, Clone, Copy)]
struct Shims {
    load: usize,
    store: usize,
}

impl Shims {
    #[cfg(all(target_arch = "x86_64", unix))]
    fn for_host() -> Option<Shims> {
        Some(Shims {
            load: crate::shim::load_shim as *const () as usize,
            store: crate::shim::store_shim as *const () as usize,
        })
    }

    #[cfg(not(all(target_arch = "x86_64", unix)))]
    fn for_host() -> Option<Shims> {
        None
    }
}

/// A signature of the `preserve_all` convention, as the shims have (no
/// results).
fn shim_sig(b: &mut FunctionBuilder, params: &[Type]) -> SigRef {
    let mut sig = Signature::new(cranelift_codegen::isa::CallConv::PreserveAll);
    sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
    b.import_signature(sig)
}

fn import_sig(b: &mut FunctionBuilder, isa: &dyn TargetIsa, params: &[Type], ret: bool) -> SigRef {
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
    if ret {
        sig.returns.push(AbiParam::new(types::I64));
    }
    b.import_signature(sig)
}

/// Fills `func` (signature already set: `(ctx) -> i64`) with the code of
/// `block`.
pub(crate) fn translate(
    block: &Block,
    abi: &NativeAbi,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    isa: &dyn TargetIsa,
) -> Result<(), String> {
    let shims = Shims::for_host();
    // Instruction counts follow paths: a side path counts on from the
    // instruction that branched to it.
    let (counts, first_side_branch) = insn_counts(&block.ops).map_err(|e| e.to_string())?;
    let ptr = isa.pointer_type();
    let i64t = types::I64;
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let ctx = b.block_params(entry)[0];
    let (load_sig, store_sig) = if shims.is_some() {
        (shim_sig(&mut b, &[ptr]), shim_sig(&mut b, &[ptr]))
    } else {
        (
            import_sig(&mut b, isa, &[ptr, i64t, i64t, i64t], true),
            import_sig(&mut b, isa, &[ptr, i64t, i64t, i64t, i64t], false),
        )
    };
    let call_sig = import_sig(&mut b, isa, &[ptr, i64t, i64t, i64t], true);
    let free_sig = import_sig(&mut b, isa, &[ptr, i64t, i64t, i64t, i64t, i64t], true);
    let vars = block
        .temps
        .iter()
        .map(|t| b.declare_var(cl_ty(*t)))
        .collect();
    let globals = b.declare_var(ptr);
    let g = b.ins().load(ptr, trusted(), ctx, abi.ctx.globals as i32);
    b.def_var(globals, g);
    let trap_block = b.create_block();
    b.set_cold_block(trap_block);
    let exit_block = b.create_block();
    for ty in [types::I64, types::I32, types::I32, ptr] {
        b.append_block_param(exit_block, ty);
    }
    // Globals the block writes live in variables (see `eager`); a global
    // it only reads is loaded from memory at each read: no register held
    // across the block, which in big blocks only became a stack slot.
    let mut written_globals = vec![false; abi.globals_len];
    for op in block.ops.iter() {
        if let Op::SetGlobal { global, .. } = op {
            if let Some(w) = written_globals.get_mut(global.0 as usize) {
                *w = true;
            }
        }
    }
    // Backward `Goto`s to entry instructions become loops in the function.
    let mut entries: Vec<(u64, usize, u32)> = Vec::new();
    let mut loop_heads = Vec::new();
    let mut back_edges = Vec::new();
    // Op index ranges run again by a loop (head..=back edge).
    let mut loops: Vec<(usize, usize)> = Vec::new();
    for (i, op) in block.ops.iter().enumerate() {
        match op {
            Op::InsnStart { pc, entry: true } if i > 0 => entries.push((*pc, i, counts[i])),
            Op::Exit(Exit::Goto { pc, .. }) if *pc == block.pc => loops.push((0, i)),
            Op::Exit(Exit::Goto { pc, .. }) => {
                let Some(&(_, at, count)) = entries.iter().find(|(p, ..)| p == pc) else {
                    continue;
                };
                let head = match loop_heads.iter().find(|(a, _)| *a == at) {
                    Some(&(_, head)) => head,
                    None => {
                        let head = b.create_block();
                        loop_heads.push((at, head));
                        head
                    }
                };
                back_edges.push((i, head, count));
                loops.push((at, i));
            }
            _ => {}
        }
    }
    // Lazy globals are loaded and stored by op order, which a side path
    // does not run in: from the first branch to a side path on, every
    // global touched is held from entry to every exit instead, as one a
    // loop touches is.
    let side_from = first_side_branch.unwrap_or(usize::MAX);
    // Globals read or written inside a loop, and those or past the
    // first side branch.
    let mut in_loop = vec![false; abi.globals_len];
    let mut looped = vec![false; abi.globals_len];
    for (j, op) in block.ops.iter().enumerate() {
        if let Op::GetGlobal { global, .. } | Op::SetGlobal { global, .. } = op {
            let looping = loops.iter().any(|&(from, to)| from <= j && j <= to);
            if let Some(l) = in_loop.get_mut(global.0 as usize) {
                *l |= looping;
            }
            if j >= side_from || looping {
                if let Some(l) = looped.get_mut(global.0 as usize) {
                    *l = true;
                }
            }
        }
    }
    let mut gvars: Vec<Option<Variable>> = vec![None; abi.globals_len];
    let mut is_eager = vec![false; abi.globals_len];
    let mut eager = Vec::new();
    let mut loads_at: Vec<Vec<(u32, Variable, bool)>> = vec![Vec::new(); block.insns as usize + 2];
    // Whether control may have branched since the current instruction's
    // start: an op after that may be skipped on some path.
    let mut branched = false;
    for (op, &count) in block.ops.iter().zip(&counts) {
        match op {
            Op::InsnStart { .. } => branched = false,
            Op::Branch { .. } | Op::Jump { .. } | Op::SetLabel(_) => branched = true,
            _ => {}
        }
        let index = match op {
            Op::GetGlobal { global, .. } | Op::SetGlobal { global, .. } => global.0 as usize,
            _ => continue,
        };
        if written_globals.get(index) != Some(&true) {
            continue;
        }
        let Some(slot) = gvars.get_mut(index) else {
            continue;
        };
        if slot.is_none() {
            let var = b.declare_var(types::I64);
            *slot = Some(var);
            if looped[index] {
                is_eager[index] = true;
                eager.push((index as u32, var));
                let v = load_global(&mut b, g, index as u32);
                b.def_var(var, v);
            } else {
                if loads_at.len() <= count as usize {
                    loads_at.resize(count as usize + 1, Vec::new());
                }
                let read = branched || !matches!(op, Op::SetGlobal { .. });
                loads_at[count as usize].push((index as u32, var, read));
            }
        }
    }
    // A chained block counts on from the blocks before it.
    let base = b.declare_var(types::I32);
    let before = b
        .ins()
        .load(types::I32, trusted(), ctx, abi.ctx.retired as i32);
    b.def_var(base, before);
    let budget = b.declare_var(types::I64);
    let allowed = b
        .ins()
        .load(types::I64, trusted(), ctx, abi.ctx.budget as i32);
    b.def_var(budget, allowed);

    let head = b.create_block();
    b.ins().jump(head, &[]);
    b.switch_to_block(head);
    let label_blocks = (0..block.labels.len()).map(|_| b.create_block()).collect();
    let mut e = Emitter {
        b,
        block,
        abi,
        vars,
        ptr,
        ctx,
        globals,
        trap_block,
        exit_block,
        chain_sites: Vec::new(),
        gvars,
        eager,
        is_eager,
        path_written: vec![false; in_loop.len()],
        in_loop,
        label_written: Vec::new(),
        falls_through: true,
        loads_at,
        loaded: Vec::new(),
        written_so_far: Vec::new(),
        looping: !loops.is_empty(),
        load_sig,
        store_sig,
        shims,
        call_sig,
        free_sig,
        exits: 0,
        known: vec![None; block.temps.len()],
        insn: 0,
        count: 0,
        pc: block.pc,
        called: false,
        label_blocks,
        base,
        budget,
        head,
        loop_heads,
        back_edges,
    };
    // Globals first used before the first instruction.
    e.load_for(0);
    for (i, op) in block.ops.iter().enumerate() {
        e.op(i, op, &counts)?;
    }
    // Past the last exit (unreachable): end like the interpreter does
    // when it runs out of ops.
    let next = e.b.ins().iconst(types::I64, e.pc as i64);
    e.exit(EXIT_TO_LOOP, next, None);
    e.b.switch_to_block(exit_block);
    let p = e.b.block_params(exit_block).to_vec();
    let c = e.ctx;
    let ctx_layout = abi.ctx;
    e.b.ins()
        .store(trusted(), p[1], c, ctx_layout.retired as i32);
    e.b.ins()
        .store(trusted(), p[2], c, ctx_layout.exit_kind as i32);
    e.b.ins().store(trusted(), p[3], c, ctx_layout.link as i32);
    e.b.ins().return_(&[p[0]]);
    // Straight on to the next block's code (of either tier), which
    // returns to this function's caller.
    let sig = e.b.func.signature.clone();
    let sig = e.b.import_signature(sig);
    for site in std::mem::take(&mut e.chain_sites) {
        e.b.switch_to_block(site);
        let p = e.b.block_params(site).to_vec();
        e.b.ins()
            .store(trusted(), p[0], c, ctx_layout.retired as i32);
        e.b.ins().return_call_indirect(sig, p[1], &[c]);
    }
    e.b.switch_to_block(trap_block);
    let zero = e.b.ins().iconst(types::I64, 0);
    e.b.ins().return_(&[zero]);
    e.b.seal_all_blocks();
    e.b.finalize(isa.frontend_config());
    Ok(())
}
