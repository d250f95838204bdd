//! The portable interpreter: runs a block's IR op by op. It is the
//! reference every other backend is tested against, and is always there.

use chimera_memory::AccessKind;

use crate::ir::{sign_extend_to, Exit, Op};
use crate::{mmu, Block, CpuEnv, CpuState, Frontend, HelperCtx, Trap};

/// How a block run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockEnd {
    /// It reached an exit; execution goes on at `pc`. `chain` is the
    /// chaining slot for a direct exit.
    Next {
        /// The next pc.
        pc: u64,
        /// Whether the exit asked to return to the loop first.
        to_loop: bool,
    },
    /// An access of the instruction before `pc` tripped a watchpoint;
    /// `pc` is the next instruction (not run).
    Watchpoint {
        /// The next instruction.
        pc: u64,
    },
    /// Instruction `pc` has a breakpoint and was not run.
    Breakpoint {
        /// The instruction's address.
        pc: u64,
    },
    /// Instruction `pc` trapped.
    Trapped {
        /// What happened.
        trap: Trap,
        /// The instruction that trapped.
        pc: u64,
    },
}

/// The outcome of one block run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRun {
    /// How it ended.
    pub end: BlockEnd,
    /// Instructions retired (the trapping one is not).
    pub retired: u32,
}

/// Where a block run must stop early: for single-stepping and
/// breakpoints. The IR guarantees that architectural state is complete at
/// every `InsnStart`, so stopping there is exact.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stops<'a> {
    /// Run at most this many instructions (0: no limit).
    pub max_insns: u32,
    /// Stop before any instruction at these addresses…
    pub breakpoints: Option<&'a std::collections::BTreeSet<u64>>,
    /// …except the block's first, when resuming from that breakpoint.
    pub resume: bool,
    /// Stop after an instruction whose access tripped a watchpoint.
    pub watch: bool,
}

impl Stops<'_> {
    /// Whether any stop is asked for.
    pub fn active(&self) -> bool {
        self.max_insns != 0 || self.breakpoints.is_some() || self.watch
    }
}

/// Runs `block` on `cpu`; `vals` is scratch space reused between calls.
pub fn run_block<F: Frontend>(
    fe: &F,
    block: &Block,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vals: &mut Vec<u64>,
) -> BlockRun {
    run_block_with(fe, block, cpu, env, vals, Stops::default())
}

/// Runs `block` on `cpu`, stopping early where `stops` says.
pub fn run_block_with<F: Frontend>(
    fe: &F,
    block: &Block,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vals: &mut Vec<u64>,
    stops: Stops,
) -> BlockRun {
    let checking = stops.active();
    vals.clear();
    vals.resize(block.temps.len(), 0);
    let ty = |t: crate::ir::Temp| block.temps[t.0 as usize];
    let mut insns: u32 = 0;
    let mut pc = block.pc;
    let mut i = 0usize;
    macro_rules! trapped {
        ($trap:expr) => {
            return BlockRun {
                end: BlockEnd::Trapped { trap: $trap, pc },
                retired: insns.saturating_sub(1),
            }
        };
    }
    loop {
        let Some(op) = block.ops.get(i) else {
            // The verifier guarantees an exit; a block without one stops
            // here rather than running off its end.
            return BlockRun {
                end: BlockEnd::Next { pc, to_loop: true },
                retired: insns,
            };
        };
        match op {
            Op::InsnStart { pc: at, .. } => {
                if env.end_block && insns > 0 {
                    env.end_block = false;
                    return BlockRun {
                        end: BlockEnd::Next {
                            pc: *at,
                            to_loop: true,
                        },
                        retired: insns,
                    };
                }
                if checking {
                    if env.watch_hit.is_some() {
                        return BlockRun {
                            end: BlockEnd::Watchpoint { pc: *at },
                            retired: insns,
                        };
                    }
                    if stops.max_insns != 0 && insns >= stops.max_insns {
                        return BlockRun {
                            end: BlockEnd::Next {
                                pc: *at,
                                to_loop: true,
                            },
                            retired: insns,
                        };
                    }
                    let first = insns == 0;
                    if stops.breakpoints.is_some_and(|b| b.contains(at)) && !(first && stops.resume)
                    {
                        return BlockRun {
                            end: BlockEnd::Breakpoint { pc: *at },
                            retired: insns,
                        };
                    }
                }
                pc = *at;
                env.block_offset = insns;
                insns += 1;
            }
            Op::Const { dst, value } => vals[dst.0 as usize] = *value,
            Op::Mov { dst, src } => vals[dst.0 as usize] = vals[src.0 as usize],
            Op::GetGlobal { dst, global } => {
                let v = cpu.globals().get(global.0 as usize).copied().unwrap_or(0);
                vals[dst.0 as usize] = v & ty(*dst).mask();
            }
            Op::SetGlobal { global, src } => {
                if let Some(slot) = cpu.globals_mut().get_mut(global.0 as usize) {
                    *slot = vals[src.0 as usize];
                }
            }
            Op::Unary { op, dst, src } => {
                vals[dst.0 as usize] = op.eval(ty(*dst), vals[src.0 as usize]);
            }
            Op::Binary { op, dst, a, b } => {
                vals[dst.0 as usize] = op.eval(ty(*dst), vals[a.0 as usize], vals[b.0 as usize]);
            }
            Op::Float { op, dst, args } => {
                let v = args.map(|a| vals.get(a.0 as usize).copied().unwrap_or(0));
                vals[dst.0 as usize] = op.eval(ty(*dst), v);
            }
            Op::FloatConvert { conv, dst, src } => {
                vals[dst.0 as usize] = conv.eval(ty(*src), ty(*dst), vals[src.0 as usize]);
            }
            Op::Compare { cond, dst, a, b } => {
                vals[dst.0 as usize] =
                    u64::from(cond.eval(ty(*a), vals[a.0 as usize], vals[b.0 as usize]));
            }
            Op::Select {
                dst,
                cond,
                if_true,
                if_false,
            } => {
                let pick = if vals[cond.0 as usize] != 0 {
                    if_true
                } else {
                    if_false
                };
                vals[dst.0 as usize] = vals[pick.0 as usize];
            }
            Op::Extend {
                dst,
                src,
                bits,
                signed,
            } => {
                vals[dst.0 as usize] =
                    sign_extend_to(vals[src.0 as usize], u32::from(*bits), *signed, ty(*dst));
            }
            Op::Load { dst, addr, mem } => {
                let a = vals[addr.0 as usize];
                let size = usize::from(mem.size);
                match mmu::load(fe, cpu, env, a, size, mem.endian, AccessKind::Read) {
                    Ok(v) => {
                        vals[dst.0 as usize] =
                            sign_extend_to(v, u32::from(mem.size) * 8, mem.signed, ty(*dst));
                    }
                    Err(trap) => trapped!(trap),
                }
            }
            Op::Store { addr, src, mem } => {
                let a = vals[addr.0 as usize];
                let v = vals[src.0 as usize];
                if let Err(trap) = mmu::store(fe, cpu, env, a, usize::from(mem.size), mem.endian, v)
                {
                    trapped!(trap);
                }
            }
            Op::Call { helper, dst, args } => {
                let mut argv = [0u64; 6];
                for (slot, a) in argv.iter_mut().zip(args) {
                    *slot = vals[a.0 as usize];
                }
                let Some(h) = fe.helpers().get(helper.0 as usize) else {
                    trapped!(Trap::Guest {
                        cause: u64::MAX,
                        value: u64::from(helper.0)
                    });
                };
                let mut ctx = HelperCtx {
                    frontend: fe,
                    cpu,
                    env,
                    pc,
                };
                match (h.func)(&mut ctx, &argv[..args.len()]) {
                    Ok(v) => {
                        if let Some(d) = dst {
                            vals[d.0 as usize] = v & ty(*d).mask();
                        }
                    }
                    Err(trap) => trapped!(trap),
                }
            }
            Op::Branch { cond, target } => {
                if vals[cond.0 as usize] != 0 {
                    i = block.labels[target.0 as usize] as usize;
                    continue;
                }
            }
            Op::Jump { target } => {
                i = block.labels[target.0 as usize] as usize;
                continue;
            }
            Op::SetLabel(_) => {}
            Op::Exit(exit) => {
                let (next, to_loop) = match exit {
                    Exit::Goto { pc, .. } => (*pc, false),
                    Exit::Jump { pc } => (vals[pc.0 as usize], false),
                    Exit::Return { pc } => (*pc, true),
                };
                return BlockRun {
                    end: BlockEnd::Next { pc: next, to_loop },
                    retired: insns,
                };
            }
        }
        i += 1;
    }
}
