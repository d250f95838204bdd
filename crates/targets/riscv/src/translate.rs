//! From decoded instructions to IR: one block at a time, ending at any
//! jump or system instruction, at a page boundary, or after
//! [`MAX_BLOCK_INSNS`] instructions. A conditional branch leaves the block
//! when taken and lets it go on when not; when its taken side is a few
//! instructions that jump back (an `if` inside a loop), that side becomes
//! a side path of the block instead of an exit.

use chimera_engine::ir::{BinOp, Cond, Global, IrBuilder, Label, Temp, Ty, UnOp};
use chimera_engine::{CodeReader, Trap};
use chimera_memory::Endian;

use crate::compressed::decode16;
use crate::decode::decode32;
use crate::float::{emit_float, FpBlock};
use crate::helpers::{
    amo_code, clmul_code, H_AMO, H_CBO, H_CLMUL, H_CSR, H_EBREAK, H_ECALL, H_ILLEGAL, H_LR, H_MRET,
    H_SC, H_SFENCE_VMA, H_SRET, H_WFI, H_WRS,
};
use crate::inst::{Alu, BranchCond, CsrOp, Inst, Unary};
use crate::RiscV;

/// Most instructions in one block's main path.
pub const MAX_BLOCK_INSNS: u32 = 32;
/// Most side paths in one block.
const MAX_SIDE_PATHS: usize = 4;
/// Most instructions on a side path before its jump back.
const MAX_SIDE_INSNS: usize = 4;

/// A branch's taken side that soon jumps back into the block: its
/// instructions are translated after the block's main path, as a side
/// path (see the IR's module docs) instead of an exit.
struct SidePath {
    /// Where the branch goes.
    label: Label,
    /// The instructions before the jump: pc, decoded, bits.
    insts: Vec<(u64, Inst, u64)>,
    /// The jump's pc.
    jump_at: u64,
    /// Where it jumps.
    to: u64,
}

const LE: Endian = Endian::Little;

/// Emits the IR of one instruction.
pub(crate) struct Emit<'b> {
    pub(crate) b: &'b mut IrBuilder,
    /// The type of an `x` register (XLEN).
    pub(crate) ty: Ty,
}

impl Emit<'_> {
    pub(crate) fn read(&mut self, r: u8) -> Temp {
        if r == 0 {
            self.b.constant(self.ty, 0)
        } else {
            self.b.get(Global(u32::from(r)), self.ty)
        }
    }

    pub(crate) fn write(&mut self, r: u8, t: Temp) {
        if r != 0 {
            self.b.set(Global(u32::from(r)), t);
        }
    }

    fn imm(&mut self, v: i64) -> Temp {
        self.b.constant(self.ty, v as u64)
    }

    pub(crate) fn addr(&mut self, rs1: u8, offset: i64) -> Temp {
        let base = self.read(rs1);
        self.b.add_imm(base, offset as u64)
    }

    /// `op a, b` at XLEN, or on the low 32 bits sign-extended (`W` forms).
    fn alu(&mut self, op: Alu, a: Temp, b: Temp, word: bool) -> Temp {
        if !word {
            return alu_op(self.b, op, a, b, self.ty);
        }
        let a32 = self.b.zext(a, 32, Ty::I32);
        let b32 = self.b.zext(b, 32, Ty::I32);
        let r = alu_op(self.b, op, a32, b32, Ty::I32);
        self.b.sext(r, 32, Ty::I64)
    }
}

fn alu_op(b: &mut IrBuilder, op: Alu, x: Temp, y: Temp, ty: Ty) -> Temp {
    let bin = match op {
        Alu::Add => BinOp::Add,
        Alu::Sub => BinOp::Sub,
        Alu::Sll => BinOp::Shl,
        Alu::Xor => BinOp::Xor,
        Alu::Srl => BinOp::ShrUnsigned,
        Alu::Sra => BinOp::ShrSigned,
        Alu::Or => BinOp::Or,
        Alu::And => BinOp::And,
        Alu::Mul => BinOp::Mul,
        Alu::Mulh => BinOp::MulHighSigned,
        Alu::Mulhsu => BinOp::MulHighSignedUnsigned,
        Alu::Mulhu => BinOp::MulHighUnsigned,
        Alu::Div => BinOp::DivSigned,
        Alu::Divu => BinOp::DivUnsigned,
        Alu::Rem => BinOp::RemSigned,
        Alu::Remu => BinOp::RemUnsigned,
        Alu::Slt => return b.compare(Cond::LtSigned, x, y, ty),
        Alu::Sltu => return b.compare(Cond::LtUnsigned, x, y, ty),
        Alu::Rol => BinOp::RotateLeft,
        Alu::Ror => BinOp::RotateRight,
        _ => return bitmanip_op(b, op, x, y, ty),
    };
    b.binary(bin, x, y)
}

/// The Zba, Zbb, Zbs and Zicond two-operand operations.
fn bitmanip_op(b: &mut IrBuilder, op: Alu, x: Temp, y: Temp, ty: Ty) -> Temp {
    // The single bit `y mod XLEN` names, for Zbs.
    let bit = |b: &mut IrBuilder| {
        let one = b.constant(ty, 1);
        b.binary(BinOp::Shl, one, y)
    };
    match op {
        Alu::Andn | Alu::Orn | Alu::Xnor => {
            let not_y = b.unary(UnOp::Not, y);
            let bin = match op {
                Alu::Andn => BinOp::And,
                Alu::Orn => BinOp::Or,
                _ => BinOp::Xor,
            };
            b.binary(bin, x, not_y)
        }
        Alu::Min | Alu::Minu | Alu::Max | Alu::Maxu => {
            let cond = match op {
                Alu::Min | Alu::Max => Cond::LtSigned,
                _ => Cond::LtUnsigned,
            };
            let x_less = b.compare(cond, x, y, ty);
            if matches!(op, Alu::Min | Alu::Minu) {
                b.select(x_less, x, y)
            } else {
                b.select(x_less, y, x)
            }
        }
        Alu::ShAdd(n) => {
            let n = b.constant(ty, u64::from(n));
            let shifted = b.binary(BinOp::Shl, x, n);
            b.binary(BinOp::Add, shifted, y)
        }
        Alu::ShAddUw(n) => {
            let low = b.zext(x, 32, ty);
            let n = b.constant(ty, u64::from(n));
            let shifted = b.binary(BinOp::Shl, low, n);
            b.binary(BinOp::Add, shifted, y)
        }
        Alu::SllUw => {
            let low = b.zext(x, 32, ty);
            b.binary(BinOp::Shl, low, y)
        }
        Alu::Bclr => {
            let m = bit(b);
            let keep = b.unary(UnOp::Not, m);
            b.binary(BinOp::And, x, keep)
        }
        Alu::Bset => {
            let m = bit(b);
            b.binary(BinOp::Or, x, m)
        }
        Alu::Binv => {
            let m = bit(b);
            b.binary(BinOp::Xor, x, m)
        }
        Alu::Bext => {
            let shifted = b.binary(BinOp::ShrUnsigned, x, y);
            let one = b.constant(ty, 1);
            b.binary(BinOp::And, shifted, one)
        }
        Alu::CzeroEqz | Alu::CzeroNez => {
            let zero = b.constant(ty, 0);
            let cond = if op == Alu::CzeroEqz {
                Cond::Eq
            } else {
                Cond::Ne
            };
            let c = b.compare(cond, y, zero, ty);
            b.select(c, zero, x)
        }
        Alu::Clmul | Alu::Clmulh | Alu::Clmulr => {
            let kind = b.constant(Ty::I64, clmul_code(op, ty));
            b.call(H_CLMUL, &[x, y, kind], Some(ty))
                .expect("a call with a result type gives a result")
        }
        // `alu_op` keeps the base operations and sends only these here.
        _ => unreachable!("{op:?} is not a bit-manipulation operation"),
    }
}

/// The Zbb one-operand operations on `x` (of type `ty`).
fn unary_op(b: &mut IrBuilder, op: Unary, x: Temp, ty: Ty) -> Temp {
    match op {
        Unary::Clz => b.unary(UnOp::CountLeadingZeros, x),
        Unary::Ctz => b.unary(UnOp::CountTrailingZeros, x),
        Unary::Cpop => b.unary(UnOp::PopCount, x),
        Unary::SextB => b.sext(x, 8, ty),
        Unary::SextH => b.sext(x, 16, ty),
        Unary::ZextH => b.zext(x, 16, ty),
        Unary::Rev8 => b.unary(UnOp::ByteSwap, x),
        Unary::OrcB => {
            // High bit of each byte: set when the byte is non-zero (the
            // low seven bits plus 0x7f carry into it, or it was set).
            let low7 = b.constant(ty, 0x7f7f_7f7f_7f7f_7f7f);
            let masked = b.binary(BinOp::And, x, low7);
            let sum = b.binary(BinOp::Add, masked, low7);
            let any = b.binary(BinOp::Or, sum, x);
            let high = b.constant(ty, 0x8080_8080_8080_8080);
            let flags = b.binary(BinOp::And, any, high);
            let seven = b.constant(ty, 7);
            let ones = b.binary(BinOp::ShrUnsigned, flags, seven);
            let ff = b.constant(ty, 0xff);
            b.binary(BinOp::Mul, ones, ff)
        }
    }
}

fn cond(c: BranchCond) -> Cond {
    match c {
        BranchCond::Eq => Cond::Eq,
        BranchCond::Ne => Cond::Ne,
        BranchCond::Lt => Cond::LtSigned,
        BranchCond::Ge => Cond::GeSigned,
        BranchCond::Ltu => Cond::LtUnsigned,
        BranchCond::Geu => Cond::GeUnsigned,
    }
}

impl RiscV {
    fn wrap(&self, pc: u64) -> u64 {
        if self.xlen == 32 {
            pc & 0xffff_ffff
        } else {
            pc
        }
    }

    /// Decodes one block: the main path, then the side paths its
    /// branches left for the end.
    pub fn translate_block(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        b: &mut IrBuilder,
    ) -> Result<(), Trap> {
        let mut side = Vec::new();
        self.translate_main(code, b, &mut side)?;
        for path in side {
            b.set_label(path.label);
            for &(pc, inst, raw) in &path.insts {
                b.insn_start(pc);
                let len = if raw & 3 == 3 { 4 } else { 2 };
                self.emit(b, inst, pc, self.wrap(pc + len), raw);
            }
            b.insn_start(path.jump_at);
            b.goto(path.to, 1);
        }
        Ok(())
    }

    /// The instruction at `pc`: decoded, its length and its bits.
    fn fetch_decode(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        pc: u64,
    ) -> Result<(Inst, u64, u64), Trap> {
        let low = code.fetch(pc, 2, LE)? as u16;
        if low & 3 != 3 {
            return Ok((
                self.extensions.filter(decode16(low, self.xlen)),
                2,
                u64::from(low),
            ));
        }
        let high = code.fetch(self.wrap(pc + 2), 2, LE)?;
        let w = u32::from(low) | ((high as u32) << 16);
        Ok((
            self.extensions.filter(decode32(w, self.xlen)),
            4,
            u64::from(w),
        ))
    }

    /// The side path of a branch taken to `target`, if it makes one: at
    /// most [`MAX_SIDE_INSNS`] ALU, load or store instructions, then a
    /// `j` back, all in the block's page.
    fn side_path(&self, code: &mut CodeReader<'_, '_, Self>, target: u64) -> Option<SidePath> {
        let mut pc = target;
        let mut insts = Vec::new();
        let start = code.start();
        let same_page = |pc: u64| (pc ^ start) >> 12 == 0;
        loop {
            if !same_page(pc) {
                return None;
            }
            let (inst, len, raw) = self.fetch_decode(code, pc).ok()?;
            match inst {
                Inst::Jal { rd: 0, offset } => {
                    let to = self.wrap(pc.wrapping_add(offset as u64));
                    return same_page(to).then_some(SidePath {
                        label: Label(0),
                        insts,
                        jump_at: pc,
                        to,
                    });
                }
                Inst::Lui { .. }
                | Inst::Auipc { .. }
                | Inst::AluImm { .. }
                | Inst::AluReg { .. }
                | Inst::Unary { .. }
                | Inst::Load { .. }
                | Inst::Store { .. }
                    if insts.len() < MAX_SIDE_INSNS =>
                {
                    insts.push((pc, inst, raw));
                }
                _ => return None,
            }
            pc = self.wrap(pc + len);
        }
    }

    /// Decodes the block's main path; a branch whose taken side makes a
    /// side path (see [`RiscV::side_path`]) goes there instead of leaving,
    /// and the path is left in `side` for the end of the block.
    fn translate_main(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        b: &mut IrBuilder,
        side: &mut Vec<SidePath>,
    ) -> Result<(), Trap> {
        let mut pc = code.start();
        let mut count = 0;
        let mut fp = FpBlock::new(code.cpu());
        let ty = if self.xlen == 64 { Ty::I64 } else { Ty::I32 };
        // The main path's instructions so far.
        let mut emitted = Vec::new();
        loop {
            let (inst, len, raw) = match self.fetch_decode(code, pc) {
                Ok(decoded) => decoded,
                Err(trap) if count == 0 => return Err(trap),
                Err(_) => {
                    b.goto(pc, 0);
                    return Ok(());
                }
            };
            // No RISC-V instruction is translated differently for what came
            // before it in the block.
            b.entry_insn_start(pc);
            emitted.push(pc);
            count += 1;
            let next = self.wrap(pc + len);
            // A direct jump or call within the block's page goes on in
            // the same block at its target (the block's translation stays
            // valid as long as that one page's does); one back to the
            // block's start stays an exit, which compiled code loops on.
            if let Inst::Jal { rd, offset } = inst {
                let target = self.wrap(pc.wrapping_add(offset as u64));
                let same_page = (target ^ code.start()) >> 12 == 0;
                if same_page && target != code.start() && count < MAX_BLOCK_INSNS {
                    let mut e = Emit { b, ty };
                    let link = e.imm(next as i64);
                    e.write(rd, link);
                    pc = target;
                    continue;
                }
            }
            // Only a side path that rejoins the main path pays: one that
            // leaves anyway holds the block's later globals in registers
            // from its entry for little. It rejoins where it jumps to an
            // instruction already here or a few ahead on the fall-through.
            let side_path = match inst {
                Inst::Branch { offset, .. } if side.len() < MAX_SIDE_PATHS => self
                    .side_path(code, self.wrap(pc.wrapping_add(offset as u64)))
                    .filter(|p| emitted.contains(&p.to) || (p.to > pc && p.to <= pc + 16)),
                _ => None,
            };
            if let (
                Some(mut path),
                Inst::Branch {
                    cond: c, rs1, rs2, ..
                },
            ) = (side_path, inst)
            {
                let mut e = Emit { b, ty };
                let x = e.read(rs1);
                let y = e.read(rs2);
                let taken = e.b.compare(cond(c), x, y, Ty::I32);
                path.label = e.b.label();
                e.b.branch(taken, path.label);
                side.push(path);
            } else if inst.is_float() {
                emit_float(&mut Emit { b, ty }, &mut fp, inst, raw);
            } else if self.emit(b, inst, pc, next, raw) {
                return Ok(());
            }
            pc = next;
            if count >= MAX_BLOCK_INSNS || pc & 0xfff == 0 {
                b.goto(pc, 0);
                return Ok(());
            }
        }
    }

    /// Emits `inst` at `pc`; returns whether it ended the block.
    fn emit(&self, b: &mut IrBuilder, inst: Inst, pc: u64, next: u64, raw: u64) -> bool {
        let ty = if self.xlen == 64 { Ty::I64 } else { Ty::I32 };
        let mut e = Emit { b, ty };
        match inst {
            Inst::Lui { rd, imm } => {
                let v = e.imm(imm);
                e.write(rd, v);
            }
            Inst::Auipc { rd, imm } => {
                let v = e.imm(pc.wrapping_add(imm as u64) as i64);
                e.write(rd, v);
            }
            Inst::Jal { rd, offset } => {
                let link = e.imm(next as i64);
                e.write(rd, link);
                e.b.goto(self.wrap(pc.wrapping_add(offset as u64)), 0);
                return true;
            }
            Inst::Jalr { rd, rs1, offset } => {
                let target = e.addr(rs1, offset);
                let target = e.b.binary_imm(BinOp::And, target, !1);
                let link = e.imm(next as i64);
                e.write(rd, link);
                e.b.jump_to(target);
                return true;
            }
            Inst::Branch {
                cond: c,
                rs1,
                rs2,
                offset,
            } => {
                // The taken side leaves; the block goes on with the
                // fall-through, so a loop with an `if` inside it runs as
                // one or two blocks rather than three or four.
                let a = e.read(rs1);
                let bb = e.read(rs2);
                let stays = e.b.compare(cond(c).inverse(), a, bb, Ty::I32);
                let fall_through = e.b.label();
                e.b.branch(stays, fall_through);
                e.b.goto(self.wrap(pc.wrapping_add(offset as u64)), 1);
                e.b.set_label(fall_through);
            }
            Inst::Load {
                rd,
                rs1,
                offset,
                size,
                signed,
            } => {
                let addr = e.addr(rs1, offset);
                let v = e.b.load(addr, ty, size, signed, LE);
                e.write(rd, v);
            }
            Inst::Store {
                rs1,
                rs2,
                offset,
                size,
            } => {
                let addr = e.addr(rs1, offset);
                let v = e.read(rs2);
                e.b.store(addr, v, size, LE);
            }
            Inst::AluImm {
                op,
                rd,
                rs1,
                imm,
                word,
            } => {
                let a = e.read(rs1);
                let c = e.imm(imm);
                let r = e.alu(op, a, c, word);
                e.write(rd, r);
            }
            Inst::AluReg {
                op,
                rd,
                rs1,
                rs2,
                word,
            } => {
                let a = e.read(rs1);
                let c = e.read(rs2);
                let r = e.alu(op, a, c, word);
                e.write(rd, r);
            }
            Inst::Unary { op, rd, rs1, word } => {
                let a = e.read(rs1);
                let r = if word {
                    let a32 = e.b.zext(a, 32, Ty::I32);
                    let r = unary_op(e.b, op, a32, Ty::I32);
                    e.b.zext(r, 32, e.ty)
                } else {
                    unary_op(e.b, op, a, e.ty)
                };
                e.write(rd, r);
            }
            Inst::LoadReserved { rd, rs1, size } => {
                let addr = e.read(rs1);
                let s = e.imm(i64::from(size));
                let v = e.b.call(H_LR, &[addr, s], Some(ty));
                if let Some(v) = v {
                    e.write(rd, v);
                }
            }
            Inst::StoreConditional { rd, rs1, rs2, size } => {
                let addr = e.read(rs1);
                let v = e.read(rs2);
                let s = e.imm(i64::from(size));
                if let Some(r) = e.b.call(H_SC, &[addr, v, s], Some(ty)) {
                    e.write(rd, r);
                }
            }
            Inst::Amo {
                op,
                rd,
                rs1,
                rs2,
                size,
            } => {
                let addr = e.read(rs1);
                let v = e.read(rs2);
                let code = e.imm((amo_code(op) | (u64::from(size) << 8)) as i64);
                if let Some(r) = e.b.call(H_AMO, &[addr, v, code], Some(ty)) {
                    e.write(rd, r);
                }
            }
            Inst::Csr {
                op,
                rd,
                src,
                imm,
                csr,
            } => {
                let operand = if imm {
                    e.imm(i64::from(src))
                } else {
                    e.read(src)
                };
                let writes = op == CsrOp::Write || src != 0;
                let mode = (match op {
                    CsrOp::Write => 0,
                    CsrOp::Set => 1,
                    CsrOp::Clear => 2,
                }) | if writes { 4 } else { 0 };
                let c = e.b.constant(Ty::I64, u64::from(csr));
                let m = e.b.constant(Ty::I64, mode);
                let r = e.b.constant(Ty::I64, raw);
                let operand64 = e.b.zext(operand, self.xlen as u8, Ty::I64);
                if let Some(old) = e.b.call(H_CSR, &[c, operand64, m, r], Some(ty)) {
                    e.write(rd, old);
                }
                if writes {
                    e.b.return_to_loop(next);
                    return true;
                }
            }
            Inst::Ecall | Inst::Ebreak | Inst::Illegal => {
                let (h, args) = match inst {
                    Inst::Ecall => (H_ECALL, vec![]),
                    Inst::Ebreak => (H_EBREAK, vec![]),
                    _ => (H_ILLEGAL, vec![e.b.constant(Ty::I64, raw)]),
                };
                e.b.call(h, &args, None);
                e.b.return_to_loop(pc);
                return true;
            }
            Inst::Mret | Inst::Sret => {
                let h = if inst == Inst::Mret { H_MRET } else { H_SRET };
                let r = e.b.constant(Ty::I64, raw);
                if let Some(target) = e.b.call(h, &[r], Some(ty)) {
                    e.b.jump_to(target);
                }
                return true;
            }
            Inst::Wrs { sto } => {
                let r = e.b.constant(Ty::I64, raw);
                let s = e.b.constant(Ty::I64, u64::from(sto));
                e.b.call(H_WRS, &[r, s], None);
            }
            Inst::Wfi | Inst::SfenceVma => {
                let h = if inst == Inst::Wfi {
                    H_WFI
                } else {
                    H_SFENCE_VMA
                };
                let r = e.b.constant(Ty::I64, raw);
                e.b.call(h, &[r], None);
                e.b.return_to_loop(next);
                return true;
            }
            Inst::Fence => {}
            Inst::CacheBlock { op, rs1 } => {
                let addr = e.read(rs1);
                let code = e.b.constant(Ty::I64, op as u64);
                let r = e.b.constant(Ty::I64, raw);
                e.b.call(H_CBO, &[addr, code, r], None);
            }
            Inst::FpLoad { .. }
            | Inst::FpStore { .. }
            | Inst::Fp { .. }
            | Inst::FpSgnj { .. }
            | Inst::FpMvToInt { .. }
            | Inst::FpMvFromInt { .. } => {}
            Inst::FenceI => {
                // Stores to code pages already dropped their blocks; going
                // back to the loop makes that visible at once.
                e.b.return_to_loop(next);
                return true;
            }
        }
        false
    }
}
