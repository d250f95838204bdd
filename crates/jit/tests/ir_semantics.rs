//! Every integer operation of the IR at both widths over edge-case
//! operands (zero, one, all ones, the signed minimum and maximum, shift
//! amounts at and past the width), every extension and comparison:
//! compiled code, of both tiers, gives the interpreter's results,
//! register for register.

use std::sync::Arc;

use chimera_core::PinInfo;
use chimera_engine::ir::{BinOp, Cond, FloatConv, FloatOp, Global, HelperId, IrBuilder, Ty, UnOp};
use chimera_engine::{
    irq_inputs_for, Clock, Cluster, ClusterParams, ClusterSetup, CodeReader, CpuEnv, CpuState,
    ExitRequest, Frontend, Helper, HelperCtx, IrqInputs, MemoryOrder, RunControl, RunLimits,
    RunOutcome, Scheduler, Trap,
};
use chimera_jit::JitBackend;
use chimera_memory::{AddressSpace, Endian};

const REGS: usize = 2048;

struct Regs {
    regs: Vec<u64>,
    pc: u64,
}

impl CpuState for Regs {
    fn pc(&self) -> u64 {
        self.pc
    }
    fn set_pc(&mut self, pc: u64) {
        self.pc = pc;
    }
    fn globals(&self) -> &[u64] {
        &self.regs
    }
    fn globals_mut(&mut self) -> &mut [u64] {
        &mut self.regs
    }
}

/// Writes the block at a pc (after its first `InsnStart`).
type Build = Box<dyn Fn(&mut IrBuilder, u64) + Send + Sync>;

/// A frontend whose block at any pc is what `build` writes for it,
/// followed by a call that ends the run.
struct Calc(Build);

fn stop(ctx: &mut HelperCtx<Calc>, _: &[u64]) -> Result<u64, Trap> {
    ctx.env.control.request(ExitRequest::Exit(0));
    Ok(0)
}

impl Frontend for Calc {
    type Cpu = Regs;
    fn arch(&self) -> &str {
        "calc"
    }
    fn helpers(&self) -> &[Helper<Self>] {
        &[Helper {
            name: "stop",
            func: stop,
            leaf: false,
            globals: true,
        }]
    }
    fn irq_pins(&self) -> Vec<PinInfo> {
        Vec::new()
    }
    fn new_cpu(&self, _: u32) -> Regs {
        Regs {
            regs: vec![0; REGS],
            pc: 0,
        }
    }
    fn reset(&self, cpu: &mut Regs) {
        cpu.regs.fill(0);
        cpu.pc = 0;
    }
    fn block_mode(&self, _: &Regs) -> u32 {
        0
    }
    fn translate(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        b: &mut IrBuilder,
    ) -> Result<(), Trap> {
        let start = code.start();
        b.insn_start(start);
        (self.0)(b, start);
        b.call(HelperId(0), &[], None);
        b.return_to_loop(0);
        Ok(())
    }
    fn handle_trap(&self, _: &mut Regs, env: &mut CpuEnv, trap: Trap, _: u64) {
        env.control
            .request(ExitRequest::Error(format!("unexpected trap {trap:?}")));
    }
    fn check_interrupts(&self, _: &mut Regs, _: &mut CpuEnv, _: &IrqInputs) -> bool {
        false
    }
    fn dump_registers(&self, cpu: &Regs) -> String {
        cpu.regs.iter().map(|r| format!("{r:x} ")).collect()
    }
}

/// How [`run`] executes the block.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Exec {
    Interp,
    /// Cranelift, before the block's first run.
    Jit,
    /// The first tier alone, before the block's first run.
    FirstTier,
}

fn run(build: Build, exec: Exec) -> String {
    let fe = Calc(build);
    let control = Arc::new(RunControl::new());
    let clock = Clock::new();
    let params = ClusterParams {
        word_bits: 64,
        endian: Endian::Little,
        page_bits: 12,
        paddr_bits: 32,
        vaddr_bits: 32,
        memory_order: MemoryOrder::Weak,
        freq_hz: 1_000_000_000,
    };
    let irqs = irq_inputs_for(&fe, 1);
    let mut cluster = Cluster::new(
        fe,
        ClusterSetup {
            name: "cpu".into(),
            params,
            first_index: 0,
            watcher: 0,
            irqs,
            space: Arc::new(AddressSpace::new("none")),
            control: control.clone(),
            console: None,
        },
    );
    cluster.set_verify(true);
    let mut scheduler = Scheduler::new(vec![Box::new(cluster)], clock, control);
    let backend = match exec {
        Exec::Interp => None,
        Exec::Jit => Some(JitBackend::new().expect("host supported")),
        Exec::FirstTier => Some(JitBackend::first_tier_only().expect("host supported")),
    };
    if let Some(backend) = backend {
        let c = &mut scheduler.clusters_mut()[0];
        c.set_backend(Some(Box::new(backend)));
        c.set_hot_threshold(1);
    }
    let outcome = scheduler.run(RunLimits {
        max_insns: Some(10),
        max_ns: None,
        held: false,
    });
    // A block that fails verification (or traps) ends the run with an
    // error before anything is compared.
    assert!(
        matches!(
            outcome,
            RunOutcome::Exit(ExitRequest::Exit(0)) | RunOutcome::InsnLimit
        ),
        "the block ran to its end: {outcome:?}"
    );
    let c = &scheduler.clusters()[0];
    if exec != Exec::Interp {
        let (_, stats) = c.backend_stats().expect("a backend");
        // The block, and for a test that leaves to another pc, the same
        // ops translated there.
        let (compiled, failed) = match exec {
            Exec::FirstTier => (stats.baseline_compiled, stats.baseline_failed),
            _ => (stats.compiled, stats.failed),
        };
        assert!(
            compiled >= 1 && failed == 0,
            "the block compiled ({exec:?}): {compiled} compiled, {failed} failed",
        );
    }
    c.dump_registers(0).expect("one CPU")
}

/// [`same_on_both_at`] for a block that is the same at every pc (run from
/// pc 0, it exits only to pc 0).
fn same_on_both(build: impl Fn(&mut IrBuilder) + Clone + Send + Sync + 'static) {
    same_on_both_at(move |b: &mut IrBuilder, _| build(b));
}

/// The block `build` writes for each pc runs alike on the interpreter,
/// the first tier and Cranelift.
fn same_on_both_at(build: impl Fn(&mut IrBuilder, u64) + Clone + Send + Sync + 'static) {
    let interp = run(Box::new(build.clone()), Exec::Interp);
    let first_tier = run(Box::new(build.clone()), Exec::FirstTier);
    let jit = run(Box::new(build), Exec::Jit);
    assert_eq!(jit, interp);
    assert_eq!(first_tier, interp, "first tier");
}

const VALUES: &[u64] = &[
    0,
    1,
    2,
    7,
    31,
    32,
    33,
    63,
    64,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0x1234_5678_9abc_def0,
    u64::MAX - 1,
    u64::MAX,
];

const BINOPS: &[BinOp] = &[
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::MulHighSigned,
    BinOp::MulHighUnsigned,
    BinOp::MulHighSignedUnsigned,
    BinOp::DivSigned,
    BinOp::DivUnsigned,
    BinOp::RemSigned,
    BinOp::RemUnsigned,
    BinOp::And,
    BinOp::Or,
    BinOp::Xor,
    BinOp::Shl,
    BinOp::ShrUnsigned,
    BinOp::ShrSigned,
    BinOp::RotateLeft,
    BinOp::RotateRight,
];

/// Writes the result of `f(a, b)` for every pair of `values` into
/// consecutive globals.
fn pairs(
    ty: Ty,
    values: &'static [u64],
    f: impl Fn(
            &mut IrBuilder,
            chimera_engine::ir::Temp,
            chimera_engine::ir::Temp,
        ) -> chimera_engine::ir::Temp
        + Clone
        + Send
        + Sync
        + 'static,
) {
    // With constant operands (the JIT folds them), with the same values
    // read back from globals (it compiles the op), and with one of each
    // (it may simplify `x + 0`, `x & all-ones`, ...).
    for (opaque_x, opaque_y) in [(false, false), (true, true), (true, false), (false, true)] {
        let f = f.clone();
        same_on_both(move |b: &mut IrBuilder| {
            let mut g = 0;
            for &x in values {
                for &y in values {
                    let (mut tx, mut ty_) = (b.constant(ty, x), b.constant(ty, y));
                    if opaque_x {
                        tx = through_global(b, tx, SCRATCH, ty);
                    }
                    if opaque_y {
                        ty_ = through_global(b, ty_, SCRATCH + 1, ty);
                    }
                    let r = f(b, tx, ty_);
                    b.set(Global(g), r);
                    g = (g + 1) % SCRATCH;
                }
            }
        });
    }
}

/// Globals the tests use as scratch (results go below).
const SCRATCH: u32 = REGS as u32 - 2;

/// `t`, as a value the JIT cannot know: stored to global `g` and read back.
fn through_global(
    b: &mut IrBuilder,
    t: chimera_engine::ir::Temp,
    g: u32,
    ty: Ty,
) -> chimera_engine::ir::Temp {
    b.set(Global(g), t);
    b.get(Global(g), ty)
}

#[test]
fn binary_ops_match_the_interpreter_at_both_widths() {
    for ty in [Ty::I32, Ty::I64] {
        for &op in BINOPS {
            pairs(ty, VALUES, move |b, x, y| b.binary(op, x, y));
        }
    }
}

#[test]
fn comparisons_and_selects_match_the_interpreter() {
    for ty in [Ty::I32, Ty::I64] {
        for cond in [
            Cond::Eq,
            Cond::Ne,
            Cond::LtSigned,
            Cond::GeSigned,
            Cond::LtUnsigned,
            Cond::GeUnsigned,
        ] {
            pairs(ty, VALUES, move |b, x, y| {
                let c = b.compare(cond, x, y, Ty::I32);
                b.select(c, x, y)
            });
        }
    }
}

/// binary32 edge values: zeros, ones, the least normal and its
/// neighbours, subnormals, the largest finite, infinities, quiet and
/// signalling NaNs of both signs, inexact quotients.
const SINGLES: &[u64] = &[
    0,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x4040_0000,
    0x3eaa_aaab,
    0x0080_0000,
    0x0080_0001,
    0x007f_ffff,
    0x0000_0001,
    0x7f7f_ffff,
    0xff7f_ffff,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0001,
    0x7f80_0001,
    0x5f00_0000,
];

/// binary64 edge values, as [`SINGLES`].
const DOUBLES: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x4008_0000_0000_0000,
    0x3fd5_5555_5555_5555,
    0x0010_0000_0000_0000,
    0x0010_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    1,
    0x7fef_ffff_ffff_ffff,
    0xffef_ffff_ffff_ffff,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0001,
    0x7ff0_0000_0000_0001,
    0x5fe0_0000_0000_0000,
];

#[test]
fn float_ops_match_the_interpreter_at_both_widths() {
    for (ty, values) in [(Ty::I32, SINGLES), (Ty::I64, DOUBLES)] {
        for op in [
            FloatOp::Add,
            FloatOp::Sub,
            FloatOp::Mul,
            FloatOp::Div,
            FloatOp::Eq,
            FloatOp::Lt,
            FloatOp::Le,
        ] {
            pairs(ty, values, move |b, x, y| b.float(op, &[x, y]));
        }
        pairs(ty, values, |b, x, _| b.float(FloatOp::Sqrt, &[x]));
        // The addend is each value of the list in turn, with the product of
        // every pair.
        for &c in values {
            pairs(ty, values, move |b, x, y| {
                let c = b.constant(b.ty(x), c);
                b.float(FloatOp::MulAdd, &[x, y, c])
            });
        }
    }
}

#[test]
fn float_conversions_match_the_interpreter() {
    // Floats of both formats and integers of both widths: the edge values
    // of each, and each list read as the other kind.
    for (from, values) in [(Ty::I32, SINGLES), (Ty::I64, DOUBLES), (Ty::I64, VALUES)] {
        for opaque in [false, true] {
            same_on_both(move |b: &mut IrBuilder| {
                let mut g = 0u32;
                let mut put = |b: &mut IrBuilder, t| {
                    b.set(Global(g), t);
                    g = (g + 1) % SCRATCH;
                };
                for &v in values {
                    let mut x = b.constant(from, v);
                    if opaque {
                        x = through_global(b, x, SCRATCH, from);
                    }
                    for to in [Ty::I32, Ty::I64] {
                        for conv in [
                            FloatConv::FromSigned,
                            FloatConv::FromUnsigned,
                            FloatConv::ToSignedTruncated,
                            FloatConv::ToUnsignedTruncated,
                        ] {
                            let r = b.float_convert(conv, x, to);
                            put(b, r);
                        }
                    }
                    let other = if from == Ty::I32 { Ty::I64 } else { Ty::I32 };
                    let r = b.float_convert(FloatConv::Resize, x, other);
                    put(b, r);
                }
            });
        }
    }
}

#[test]
fn a_global_read_keeps_the_value_it_had_when_the_global_changes() {
    same_on_both(|b: &mut IrBuilder| {
        for (g, v) in [(0, 5), (2, 3), (4, 7)] {
            let c = b.constant(Ty::I64, v);
            b.set(Global(g), c);
        }
        // Read, then the global changes: the read value is needed after.
        let old = b.get(Global(0), Ty::I64);
        let nine = b.constant(Ty::I64, 9);
        b.set(Global(0), nine);
        b.set(Global(1), old);
        // Read last by the op that makes the global's new value.
        let x = b.get(Global(2), Ty::I64);
        let one = b.constant(Ty::I64, 1);
        let sum = b.binary(BinOp::Add, x, one);
        b.set(Global(2), sum);
        // Two reads of one global, one of them needed after it changes
        // through the other.
        let (p, q) = (b.get(Global(4), Ty::I64), b.get(Global(4), Ty::I64));
        let doubled = b.binary(BinOp::Add, p, p);
        b.set(Global(4), doubled);
        let again = b.binary(BinOp::Add, q, doubled);
        b.set(Global(3), again);
    });
}

#[test]
fn side_paths_count_and_keep_globals_along_their_own_path() {
    // First pass (g0 clear): the main path writes g1 and g0 and leaves.
    // Second pass: the branch goes to the side path, which never ran the
    // main path's later instructions: it must count from the branch and
    // leave g1 as the first pass stored it.
    same_on_both(|b: &mut IrBuilder| {
        let flag = b.get(Global(0), Ty::I64);
        let side = b.label();
        b.branch(flag, side);
        b.insn_start(4);
        let v = b.constant(Ty::I64, 77);
        b.set(Global(1), v);
        let one = b.constant(Ty::I64, 1);
        b.set(Global(0), one);
        b.return_to_loop(0);
        b.set_label(side);
        b.insn_start(8);
        let v = b.constant(Ty::I64, 5);
        b.set(Global(2), v);
    });
}

#[test]
fn an_empty_side_path_counts_from_its_branch() {
    // Once g0 is set, the branch skips the instruction at 4 through a side
    // path holding nothing but the jump to 8, which compiled code takes as
    // a loop edge; the run stops on its instruction budget, so a wrong
    // count stops it after a different number of increments of g2. The
    // block at 8 is what the block at 0 holds from 8 on, as a real
    // frontend's would be: exiting there and going on there agree.
    let from_8 = |b: &mut IrBuilder| {
        let g2 = b.get(Global(2), Ty::I64);
        let g2 = b.add_imm(g2, 1);
        b.set(Global(2), g2);
        let one = b.constant(Ty::I64, 1);
        b.set(Global(0), one);
        b.goto(0, 0);
    };
    same_on_both_at(move |b: &mut IrBuilder, start| {
        if start == 8 {
            from_8(b);
            return;
        }
        let flag = b.get(Global(0), Ty::I64);
        let side = b.label();
        b.branch(flag, side);
        b.entry_insn_start(4);
        let g1 = b.get(Global(1), Ty::I64);
        let g1 = b.add_imm(g1, 1);
        b.set(Global(1), g1);
        b.entry_insn_start(8);
        from_8(b);
        b.set_label(side);
        b.goto(8, 1);
    });
}

#[test]
fn unary_ops_and_extensions_match_the_interpreter() {
    for opaque in [false, true] {
        unary_and_extensions(opaque);
    }
}

fn unary_and_extensions(opaque: bool) {
    same_on_both(move |b: &mut IrBuilder| {
        let mut g = 0u32;
        let mut put = |b: &mut IrBuilder, t| {
            b.set(Global(g), t);
            g = (g + 1) % SCRATCH;
        };
        for ty in [Ty::I32, Ty::I64] {
            for &v in VALUES {
                let mut x = b.constant(ty, v);
                if opaque {
                    x = through_global(b, x, SCRATCH, ty);
                }
                for op in [
                    UnOp::Not,
                    UnOp::Neg,
                    UnOp::CountLeadingZeros,
                    UnOp::CountTrailingZeros,
                    UnOp::PopCount,
                    UnOp::ByteSwap,
                ] {
                    let r = b.unary(op, x);
                    put(b, r);
                }
                for bits in [1u8, 5, 8, 12, 16, 31, 32, 48, 63, 64] {
                    if u32::from(bits) > ty_bits(ty) {
                        continue;
                    }
                    for to in [Ty::I32, Ty::I64] {
                        for signed in [false, true] {
                            let r = b.extend(x, bits, signed, to);
                            put(b, r);
                        }
                    }
                }
            }
        }
    });
}

fn ty_bits(ty: Ty) -> u32 {
    ty.bits()
}
