//! [`IrBuilder`]: how a frontend writes IR without managing temporaries,
//! labels or instruction markers by hand. Integer operations on constants
//! are folded as they are written (a `W` instruction's immediate, an
//! address computed from two constants): every executor then sees one
//! constant instead of an op to run.

use chimera_memory::Endian;

use super::{
    sign_extend_to, BinOp, Cond, Exit, FloatConv, FloatOp, Global, HelperId, Label, MemOp, Op,
    Temp, Ty, UnOp,
};

/// Collects the ops of one block as a frontend decodes it.
#[derive(Debug, Default, Clone)]
pub struct IrBuilder {
    ops: Vec<Op>,
    temps: Vec<Ty>,
    /// Per temporary: the value it holds when a constant made it and
    /// nothing assigned it since (control only goes forward, so what was
    /// assigned later in op order cannot reach an op written before).
    known: Vec<Option<u64>>,
    labels: u32,
    insns: u32,
    ended: bool,
}

impl IrBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clears everything for the next block, keeping allocations.
    pub fn reset(&mut self) {
        self.ops.clear();
        self.temps.clear();
        self.known.clear();
        self.labels = 0;
        self.insns = 0;
        self.ended = false;
    }

    /// The ops written so far.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The type of every temporary, by index.
    pub fn temps(&self) -> &[Ty] {
        &self.temps
    }

    /// Guest instructions started so far.
    pub fn insn_count(&self) -> u32 {
        self.insns
    }

    /// Whether an exit was written outside any label (the block is done).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Takes the finished ops and temporary types.
    pub fn take(&mut self) -> (Vec<Op>, Vec<Ty>) {
        self.known.clear();
        (
            std::mem::take(&mut self.ops),
            std::mem::take(&mut self.temps),
        )
    }

    fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// The type of a temporary.
    pub fn ty(&self, t: Temp) -> Ty {
        self.temps[t.0 as usize]
    }

    /// Opens the guest instruction at `pc`.
    pub fn insn_start(&mut self, pc: u64) {
        self.insns += 1;
        self.push(Op::InsnStart { pc, entry: false });
    }

    /// Starts an instruction whose translation, and that of the rest of
    /// the block, does not depend on how the block got there (no state
    /// of the translator, such as an IT block, applies to it): a `Goto`
    /// exit of this block back to `pc` may continue here in compiled code
    /// instead of leaving for a block of its own.
    pub fn entry_insn_start(&mut self, pc: u64) {
        self.insns += 1;
        self.push(Op::InsnStart { pc, entry: true });
    }

    /// A fresh temporary of type `ty`.
    pub fn temp(&mut self, ty: Ty) -> Temp {
        self.temps.push(ty);
        self.known.push(None);
        Temp(self.temps.len() as u32 - 1)
    }

    /// A temporary holding `value`.
    pub fn constant(&mut self, ty: Ty, value: u64) -> Temp {
        let dst = self.temp(ty);
        let value = value & ty.mask();
        self.known[dst.0 as usize] = Some(value);
        self.push(Op::Const { dst, value });
        dst
    }

    /// The constant `t` holds, when it is known here.
    pub fn known(&self, t: Temp) -> Option<u64> {
        self.known.get(t.0 as usize).copied().flatten()
    }

    /// `dst = src`, into an existing temporary.
    pub fn assign(&mut self, dst: Temp, src: Temp) {
        if let Some(k) = self.known.get_mut(dst.0 as usize) {
            *k = None;
        }
        self.push(Op::Mov { dst, src });
    }

    /// Reads a register slot as `ty`.
    pub fn get(&mut self, global: Global, ty: Ty) -> Temp {
        let dst = self.temp(ty);
        self.push(Op::GetGlobal { dst, global });
        dst
    }

    /// Writes a register slot.
    pub fn set(&mut self, global: Global, src: Temp) {
        self.push(Op::SetGlobal { global, src });
    }

    /// `a op b` in a fresh temporary of `a`'s type.
    pub fn binary(&mut self, op: BinOp, a: Temp, b: Temp) -> Temp {
        let ty = self.ty(a);
        if let (Some(x), Some(y)) = (self.known(a), self.known(b)) {
            return self.constant(ty, op.eval(ty, x, y));
        }
        let dst = self.temp(ty);
        self.push(Op::Binary { op, dst, a, b });
        dst
    }

    /// `a op imm`.
    pub fn binary_imm(&mut self, op: BinOp, a: Temp, imm: u64) -> Temp {
        let b = self.constant(self.ty(a), imm);
        self.binary(op, a, b)
    }

    /// `a + b`.
    pub fn add(&mut self, a: Temp, b: Temp) -> Temp {
        self.binary(BinOp::Add, a, b)
    }

    /// `a + imm`.
    pub fn add_imm(&mut self, a: Temp, imm: u64) -> Temp {
        self.binary_imm(BinOp::Add, a, imm)
    }

    /// `op a` in a fresh temporary.
    pub fn unary(&mut self, op: UnOp, src: Temp) -> Temp {
        let ty = self.ty(src);
        if let Some(v) = self.known(src) {
            return self.constant(ty, op.eval(ty, v));
        }
        let dst = self.temp(ty);
        self.push(Op::Unary { op, dst, src });
        dst
    }

    /// `op(args)` on float bit patterns, in a fresh temporary of the
    /// operands' type; `args` holds `op.arity()` temporaries.
    pub fn float(&mut self, op: FloatOp, args: &[Temp]) -> Temp {
        let first = args.first().copied().unwrap_or(Temp(0));
        let arg = |i: usize| args.get(i).copied().unwrap_or(first);
        let dst = self.temp(self.ty(first));
        self.push(Op::Float {
            op,
            dst,
            args: [arg(0), arg(1), arg(2)],
        });
        dst
    }

    /// `conv(src)` in a fresh temporary of type `to`.
    pub fn float_convert(&mut self, conv: FloatConv, src: Temp, to: Ty) -> Temp {
        let dst = self.temp(to);
        self.push(Op::FloatConvert { conv, dst, src });
        dst
    }

    /// Goes to `target` when any of `values`, floats of one type, is a
    /// NaN: what comparisons and exact conversions on the host must leave
    /// to the guest's rules.
    pub fn branch_if_nan(&mut self, values: &[Temp], target: Label) {
        let mut numbers: Option<Temp> = None;
        for &v in values {
            let number = self.float(FloatOp::Eq, &[v, v]);
            numbers = Some(match numbers {
                Some(all) => self.binary(BinOp::And, all, number),
                None => number,
            });
        }
        let Some(numbers) = numbers else {
            return;
        };
        let zero = self.constant(self.ty(numbers), 0);
        let nan = self.compare(Cond::Eq, numbers, zero, Ty::I32);
        self.branch(nan, target);
    }

    /// Goes to `target` unless float `r` (binary32 when `I32`, binary64
    /// when `I64`) is finite and larger in magnitude than the least normal
    /// number: the results of round-to-nearest arithmetic on numbers that
    /// raise no exception but inexact (an overflow, underflow, invalid
    /// operation or division by zero gives an infinity, a NaN, a zero, a
    /// subnormal or, tiny before rounding, exactly the least normal).
    pub fn branch_unless_normal(&mut self, r: Temp, target: Label) {
        let ty = self.ty(r);
        let (sign, least_normal, infinity) = match ty {
            Ty::I32 => (1u64 << 31, 0x0080_0000, 0x7f80_0000),
            Ty::I64 => (1u64 << 63, 1u64 << 52, 0x7ff0_0000_0000_0000),
        };
        // |r| - (least + 1) below infinity - (least + 1), unsigned.
        let magnitude = self.binary_imm(BinOp::And, r, !sign);
        let offset = self.binary_imm(BinOp::Sub, magnitude, least_normal + 1);
        let range = self.constant(ty, infinity - least_normal - 1);
        let special = self.compare(Cond::GeUnsigned, offset, range, Ty::I32);
        self.branch(special, target);
    }

    /// `(a cond b) ? 1 : 0` as `ty`.
    pub fn compare(&mut self, cond: Cond, a: Temp, b: Temp, ty: Ty) -> Temp {
        if let (Some(x), Some(y)) = (self.known(a), self.known(b)) {
            return self.constant(ty, u64::from(cond.eval(self.ty(a), x, y)));
        }
        let dst = self.temp(ty);
        self.push(Op::Compare { cond, dst, a, b });
        dst
    }

    /// `cond != 0 ? if_true : if_false`.
    pub fn select(&mut self, cond: Temp, if_true: Temp, if_false: Temp) -> Temp {
        let dst = self.temp(self.ty(if_true));
        self.push(Op::Select {
            dst,
            cond,
            if_true,
            if_false,
        });
        dst
    }

    /// The low `bits` of `src`, extended to `ty`.
    pub fn extend(&mut self, src: Temp, bits: u8, signed: bool, ty: Ty) -> Temp {
        if let Some(v) = self.known(src) {
            return self.constant(ty, sign_extend_to(v, u32::from(bits), signed, ty));
        }
        let dst = self.temp(ty);
        self.push(Op::Extend {
            dst,
            src,
            bits,
            signed,
        });
        dst
    }

    /// Sign-extends the low `bits` of `src` to `ty`.
    pub fn sext(&mut self, src: Temp, bits: u8, ty: Ty) -> Temp {
        self.extend(src, bits, true, ty)
    }

    /// Zero-extends the low `bits` of `src` to `ty`.
    pub fn zext(&mut self, src: Temp, bits: u8, ty: Ty) -> Temp {
        self.extend(src, bits, false, ty)
    }

    /// Loads `size` bytes at `addr` into a fresh `ty`.
    pub fn load(&mut self, addr: Temp, ty: Ty, size: u8, signed: bool, endian: Endian) -> Temp {
        let dst = self.temp(ty);
        self.push(Op::Load {
            dst,
            addr,
            mem: MemOp {
                size,
                signed,
                endian,
            },
        });
        dst
    }

    /// Stores the low `size` bytes of `src` at `addr`.
    pub fn store(&mut self, addr: Temp, src: Temp, size: u8, endian: Endian) {
        self.push(Op::Store {
            addr,
            src,
            mem: MemOp {
                size,
                signed: false,
                endian,
            },
        });
    }

    /// Calls a helper; returns its result as `ret` when it has one.
    pub fn call(&mut self, helper: HelperId, args: &[Temp], ret: Option<Ty>) -> Option<Temp> {
        let dst = ret.map(|ty| self.temp(ty));
        self.push(Op::Call {
            helper,
            dst,
            args: args.to_vec(),
        });
        dst
    }

    /// A new label, placed later with [`IrBuilder::set_label`].
    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    /// Goes forward to `target` when `cond != 0`.
    pub fn branch(&mut self, cond: Temp, target: Label) {
        self.push(Op::Branch { cond, target });
    }

    /// Goes forward to `target`.
    pub fn jump(&mut self, target: Label) {
        self.push(Op::Jump { target });
    }

    /// Places `label` here.
    pub fn set_label(&mut self, label: Label) {
        self.ended = false;
        self.push(Op::SetLabel(label));
    }

    /// Ends the path with an exit.
    pub fn exit(&mut self, exit: Exit) {
        self.ended = true;
        self.push(Op::Exit(exit));
    }

    /// Ends the path, continuing at a known pc (chainable, slot `slot`).
    pub fn goto(&mut self, pc: u64, slot: u8) {
        self.exit(Exit::Goto { pc, slot });
    }

    /// Ends the path, continuing at the pc held in `pc`.
    pub fn jump_to(&mut self, pc: Temp) {
        self.exit(Exit::Jump { pc });
    }

    /// Ends the path and returns to the execution loop before going on at
    /// `pc`.
    pub fn return_to_loop(&mut self, pc: u64) {
        self.exit(Exit::Return { pc });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_on_constants_become_constants() {
        let mut b = IrBuilder::new();
        let x = b.constant(Ty::I64, 0xffff_ffff_8000_0001);
        let low = b.zext(x, 32, Ty::I32);
        let one = b.constant(Ty::I32, 1);
        let sum = b.binary(BinOp::Add, low, one);
        let wide = b.sext(sum, 32, Ty::I64);
        let below = b.compare(Cond::LtSigned, wide, x, Ty::I32);
        let not = b.unary(UnOp::Not, below);
        assert_eq!(b.known(wide), Some(0xffff_ffff_8000_0002));
        assert_eq!(b.known(below), Some(0));
        assert_eq!(b.known(not), Some(0xffff_ffff));
        assert!(b.ops().iter().all(|op| matches!(op, Op::Const { .. })));
    }

    #[test]
    fn an_assigned_temporary_is_no_longer_a_known_constant() {
        let mut b = IrBuilder::new();
        let t = b.constant(Ty::I64, 5);
        let g = b.get(Global(0), Ty::I64);
        let skip = b.label();
        b.branch(g, skip);
        b.assign(t, g);
        b.set_label(skip);
        let one = b.constant(Ty::I64, 1);
        let sum = b.binary(BinOp::Add, t, one);
        assert_eq!(b.known(t), None);
        assert_eq!(b.known(sum), None);
        assert!(matches!(b.ops().last(), Some(Op::Binary { .. })));
    }
}
