//! From Thumb code to IR: the block loop (IT blocks, block ends) and the
//! emitters the 16- and 32-bit decoders share: registers, flags,
//! conditions, shifts, add-with-carry, data processing, loads and stores,
//! and the three ways of writing the pc.

use chimera_engine::ir::{BinOp, Cond, Global, IrBuilder, Op, Temp, Ty};
use chimera_engine::{CodeReader, Trap};
use chimera_memory::Endian;

use crate::cpu::{G_C, G_IT, G_N, G_V, G_Z, SP};
use crate::helpers::{H_BX, H_INVSTATE, H_SHIFT, H_UNALIGNED, H_UNDEF};
use crate::{thumb16, thumb32, ArmM};

/// Most instructions in one block.
pub const MAX_BLOCK_INSNS: u32 = 32;

const LE: Endian = Endian::Little;
const I32: Ty = Ty::I32;

/// Whether a decoded instruction ended the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The block goes on with the next instruction.
    Next,
    /// The instruction wrote the block's exit.
    End,
}

/// Data-processing operations of both encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpOp {
    /// `a & b`.
    And,
    /// `a & !b`.
    Bic,
    /// `a | b`.
    Orr,
    /// `a | !b`.
    Orn,
    /// `a ^ b`.
    Eor,
    /// `a + b`.
    Add,
    /// `a + b + C`.
    Adc,
    /// `a + !b + C`.
    Sbc,
    /// `a - b`.
    Sub,
    /// `b - a`.
    Rsb,
    /// `b`.
    Mov,
    /// `!b`.
    Mvn,
    /// Flags of `a & b`.
    Tst,
    /// Flags of `a ^ b`.
    Teq,
    /// Flags of `a - b`.
    Cmp,
    /// Flags of `a + b`.
    Cmn,
}

/// Shift types as encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// Logical left.
    Lsl,
    /// Logical right.
    Lsr,
    /// Arithmetic right.
    Asr,
    /// Rotate right.
    Ror,
    /// Rotate right by one through the carry.
    Rrx,
}

impl Shift {
    /// DecodeImmShift: the type bits and the 5-bit amount.
    pub fn decode(ty: u32, imm5: u32) -> (Shift, u32) {
        match ty & 3 {
            0 => (Shift::Lsl, imm5),
            1 => (Shift::Lsr, if imm5 == 0 { 32 } else { imm5 }),
            2 => (Shift::Asr, if imm5 == 0 { 32 } else { imm5 }),
            _ if imm5 == 0 => (Shift::Rrx, 1),
            _ => (Shift::Ror, imm5),
        }
    }
}

/// Emits the IR of one instruction.
pub struct Emit<'a> {
    /// The frontend (core features).
    pub fe: &'a ArmM,
    /// Where the IR goes.
    pub b: &'a mut IrBuilder,
    /// This instruction's address.
    pub pc: u32,
    /// The next instruction's address.
    pub next: u32,
    /// Inside an IT block: 16-bit instructions do not set flags.
    pub in_it: bool,
    /// The IT state the next instruction runs with.
    pub it_next: u32,
    /// The IT state the IR last stored in the IT global.
    pub it_stored: u32,
    /// The whole instruction, for the undefined-instruction trap.
    pub raw: u32,
    /// Set by `IT`: the state for the following instruction.
    pub new_it: Option<u32>,
    /// Whether the FPU is enabled in CPACR (for coprocessor instructions).
    pub fp_enabled: bool,
    /// CCR.UNALIGN_TRP: word and halfword accesses must be aligned.
    pub unalign_trp: bool,
    /// CONTROL.FPCA is known set (no need to mark the FP context active).
    pub fp_active: bool,
    /// What VFP instructions may run on the host ([`crate::hardfloat`]).
    pub host_float: crate::hardfloat::HostFloat,
    /// The block's first address.
    pub block_start: u32,
    /// Set by a branch the block follows: where decoding goes on.
    pub follow: Option<u32>,
    /// The operands of the subtraction whose flags are current, when the
    /// block computed them (see [`translate_block`]): conditions compare
    /// them instead of recombining flags.
    pub compared: Option<(Temp, Temp)>,
    /// Set by a flag-setting subtraction (`CMP`, `SUBS`, `RSBS`): its
    /// operands.
    pub compared_out: Option<(Temp, Temp)>,
}

impl std::fmt::Debug for Emit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Emit({:#x})", self.pc)
    }
}

impl Emit<'_> {
    /// A 32-bit constant.
    pub fn k(&mut self, v: u32) -> Temp {
        self.b.constant(I32, u64::from(v))
    }

    /// Reads register `r` (R15 reads as this instruction's address + 4).
    pub fn r(&mut self, r: u32) -> Temp {
        if r == 15 {
            let v = self.pc.wrapping_add(4);
            self.k(v)
        } else {
            self.b.get(Global(r), I32)
        }
    }

    /// The word-aligned pc value literal loads and ADR use.
    pub fn pc_aligned(&self) -> u32 {
        self.pc.wrapping_add(4) & !3
    }

    /// Writes register `r` (R0–R14); SP's bits 1:0 are written as zero
    /// whatever the instruction (ARMv7-M B1.4.1: every SP write goes
    /// through here, as MSR and exception return go through the CPU's
    /// `set_msp`/`set_psp`). Encodings that would write the pc this way
    /// are UNPREDICTABLE: they raise UsageFault UNDEFINSTR, as writes to
    /// the pc go through the `write_pc_*` emitters.
    pub fn w(&mut self, r: u32, t: Temp) {
        if r >= 15 {
            let raw = self.k(self.raw);
            self.b.call(H_UNDEF, &[raw], None);
            return;
        }
        let t = if r == SP as u32 {
            self.b.binary_imm(BinOp::And, t, u64::from(!3u32))
        } else {
            t
        };
        self.b.set(Global(r), t);
    }

    /// Writes `t` to `rd`; a write to the pc is a plain branch.
    pub fn w_or_branch(&mut self, rd: u32, t: Temp) -> Flow {
        if rd == 15 {
            self.write_pc_branch(t)
        } else {
            self.w(rd, t);
            Flow::Next
        }
    }

    /// Writes `t` to `rt` as a load does; a load into the pc is an
    /// interworking branch.
    pub fn w_or_bx(&mut self, rt: u32, t: Temp) -> Flow {
        if rt == 15 {
            self.write_pc_bx(t)
        } else {
            self.w(rt, t);
            Flow::Next
        }
    }

    /// Stores the IT state of the next instruction before an exit.
    fn sync_it(&mut self) {
        if self.it_next != self.it_stored {
            let t = self.b.constant(Ty::I64, u64::from(self.it_next));
            self.b.set(Global(G_IT), t);
        }
    }

    /// An unconditional direct branch (or call) to `target`: within the
    /// block's page (and not back to its start, which compiled code loops
    /// on, nor inside an IT block) the block goes on there; else it ends.
    pub fn branch_to(&mut self, target: u32) -> Flow {
        let same_page = (target ^ self.block_start) >> 12 == 0;
        if same_page && target != self.block_start && !self.in_it {
            self.follow = Some(target);
            return Flow::Next;
        }
        self.goto(target, 0)
    }

    /// Ends the block going to a known address.
    pub fn goto(&mut self, target: u32, slot: u8) -> Flow {
        self.sync_it();
        self.b.goto(u64::from(target), slot);
        Flow::End
    }

    /// Ends the block, back through the execution loop (after a change of
    /// state interrupts or decoding depend on).
    pub fn return_to_loop(&mut self, target: u32) -> Flow {
        self.sync_it();
        self.b.return_to_loop(u64::from(target));
        Flow::End
    }

    /// BranchWritePC: continue at `t` with bit 0 cleared.
    pub fn write_pc_branch(&mut self, t: Temp) -> Flow {
        self.sync_it();
        let target = self.b.binary_imm(BinOp::And, t, !1u64 & 0xffff_ffff);
        self.b.jump_to(target);
        Flow::End
    }

    /// BXWritePC: an interworking branch; odd addresses below 0xF000_0000
    /// take the fast path, the rest (exception return, leaving Thumb
    /// state) the helper.
    pub fn write_pc_bx(&mut self, t: Temp) -> Flow {
        self.sync_it();
        let m = self.b.binary_imm(BinOp::And, t, 0xf000_0001);
        let one = self.k(1);
        let fast = self.b.compare(Cond::Eq, m, one, I32);
        let l_fast = self.b.label();
        self.b.branch(fast, l_fast);
        if let Some(pc) = self.b.call(H_BX, &[t], Some(I32)) {
            self.b.jump_to(pc);
        }
        self.b.set_label(l_fast);
        let target = self.b.binary_imm(BinOp::And, t, 0xffff_fffe);
        self.b.jump_to(target);
        Flow::End
    }

    /// Raises UsageFault UNDEFINSTR for this instruction.
    pub fn undefined(&mut self) -> Flow {
        let raw = self.k(self.raw);
        self.b.call(H_UNDEF, &[raw], None);
        let pc = self.pc;
        self.return_to_loop(pc)
    }

    /// Calls a helper for its effect and ends the block (for system
    /// instructions whose effect the loop must see).
    pub fn call_then_return(
        &mut self,
        helper: chimera_engine::ir::HelperId,
        args: &[Temp],
    ) -> Flow {
        self.b.call(helper, args, None);
        let next = self.next;
        self.return_to_loop(next)
    }

    /// A flag's value (0 or 1).
    pub fn flag(&mut self, g: u32) -> Temp {
        self.b.get(Global(g), I32)
    }

    /// Sets a flag from a 0/1 temporary.
    pub fn set_flag(&mut self, g: u32, t: Temp) {
        self.b.set(Global(g), t);
    }

    /// Sets N and Z from a result.
    pub fn set_nz(&mut self, r: Temp) {
        let n = self.b.binary_imm(BinOp::ShrUnsigned, r, 31);
        self.set_flag(G_N, n);
        let zero = self.k(0);
        let z = self.b.compare(Cond::Eq, r, zero, I32);
        self.set_flag(G_Z, z);
    }

    /// Whether condition `cond` (0–14) holds, as 0 or 1.
    pub fn cond(&mut self, cond: u32) -> Temp {
        if let Some((x, y)) = self.compared {
            // After x - y: Z is x == y, C is x >= y unsigned, N == V is
            // x >= y signed.
            let direct = match cond >> 1 {
                0 => Some((Cond::Eq, x, y)),
                1 => Some((Cond::GeUnsigned, x, y)),
                4 => Some((Cond::LtUnsigned, y, x)),
                5 => Some((Cond::GeSigned, x, y)),
                6 => Some((Cond::LtSigned, y, x)),
                _ => None,
            };
            if let Some((c, a, b)) = direct {
                let c = if cond & 1 == 1 { c.inverse() } else { c };
                return self.b.compare(c, a, b, I32);
            }
        }
        let base = match cond >> 1 {
            0 => self.flag(G_Z),
            1 => self.flag(G_C),
            2 => self.flag(G_N),
            3 => self.flag(G_V),
            4 => {
                // HI: C set and Z clear.
                let c = self.flag(G_C);
                let z = self.flag(G_Z);
                let nz = self.b.binary_imm(BinOp::Xor, z, 1);
                self.b.binary(BinOp::And, c, nz)
            }
            5 => {
                // GE: N == V.
                let n = self.flag(G_N);
                let v = self.flag(G_V);
                let x = self.b.binary(BinOp::Xor, n, v);
                self.b.binary_imm(BinOp::Xor, x, 1)
            }
            6 => {
                // GT: Z clear and N == V.
                let n = self.flag(G_N);
                let v = self.flag(G_V);
                let z = self.flag(G_Z);
                let nv = self.b.binary(BinOp::Xor, n, v);
                let bad = self.b.binary(BinOp::Or, nv, z);
                self.b.binary_imm(BinOp::Xor, bad, 1)
            }
            _ => return self.k(1),
        };
        if cond & 1 == 1 {
            self.b.binary_imm(BinOp::Xor, base, 1)
        } else {
            base
        }
    }

    /// `a + b + carry` with the carry out and overflow, as
    /// AddWithCarry.
    pub fn add_with_carry(&mut self, a: Temp, b: Temp, carry: Temp) -> (Temp, Temp, Temp) {
        let a64 = self.b.zext(a, 32, Ty::I64);
        let b64 = self.b.zext(b, 32, Ty::I64);
        let c64 = self.b.zext(carry, 32, Ty::I64);
        let s = self.b.binary(BinOp::Add, a64, b64);
        let s = self.b.binary(BinOp::Add, s, c64);
        let r = self.b.zext(s, 32, I32);
        let hi = self.b.binary_imm(BinOp::ShrUnsigned, s, 32);
        let c = self.b.zext(hi, 32, I32);
        let ar = self.b.binary(BinOp::Xor, a, r);
        let br = self.b.binary(BinOp::Xor, b, r);
        let v = self.b.binary(BinOp::And, ar, br);
        let v = self.b.binary_imm(BinOp::ShrUnsigned, v, 31);
        (r, c, v)
    }

    /// Shifts by an immediate; gives the result and, when the shift
    /// produces one, the carry out.
    pub fn shift_imm(&mut self, v: Temp, shift: Shift, n: u32) -> (Temp, Option<Temp>) {
        match (shift, n) {
            (Shift::Lsl, 0) => (v, None),
            (Shift::Lsl, n) => {
                let r = self.b.binary_imm(BinOp::Shl, v, u64::from(n));
                let c = self.b.binary_imm(BinOp::ShrUnsigned, v, u64::from(32 - n));
                let c = self.b.binary_imm(BinOp::And, c, 1);
                (r, Some(c))
            }
            (Shift::Lsr | Shift::Asr, 32) => {
                let c = self.b.binary_imm(BinOp::ShrUnsigned, v, 31);
                let r = if shift == Shift::Lsr {
                    self.k(0)
                } else {
                    self.b.binary_imm(BinOp::ShrSigned, v, 31)
                };
                (r, Some(c))
            }
            (Shift::Lsr | Shift::Asr, n) => {
                let op = if shift == Shift::Lsr {
                    BinOp::ShrUnsigned
                } else {
                    BinOp::ShrSigned
                };
                let r = self.b.binary_imm(op, v, u64::from(n));
                let c = self.b.binary_imm(BinOp::ShrUnsigned, v, u64::from(n - 1));
                let c = self.b.binary_imm(BinOp::And, c, 1);
                (r, Some(c))
            }
            (Shift::Ror, n) => {
                let r = self.b.binary_imm(BinOp::RotateRight, v, u64::from(n % 32));
                let c = self.b.binary_imm(BinOp::ShrUnsigned, r, 31);
                (r, Some(c))
            }
            (Shift::Rrx, _) => {
                let c_in = self.flag(G_C);
                let hi = self.b.binary_imm(BinOp::Shl, c_in, 31);
                let lo = self.b.binary_imm(BinOp::ShrUnsigned, v, 1);
                let r = self.b.binary(BinOp::Or, hi, lo);
                let c = self.b.binary_imm(BinOp::And, v, 1);
                (r, Some(c))
            }
        }
    }

    /// Shifts by a register amount (its low byte) through the helper;
    /// gives the result and carry out.
    pub fn shift_reg(&mut self, v: Temp, kind: u32, amount: Temp) -> (Temp, Temp) {
        let k = self.k(kind);
        let Some(rc) = self.b.call(H_SHIFT, &[k, v, amount], Some(Ty::I64)) else {
            unreachable!("a call with a result type gives a temporary");
        };
        let r = self.b.zext(rc, 32, I32);
        let c = self.b.binary_imm(BinOp::ShrUnsigned, rc, 32);
        let c = self.b.zext(c, 32, I32);
        (r, c)
    }

    /// A data-processing operation: `rd = a op b`, setting flags when
    /// `s` (with `carry` the shifter's carry out for the logical ops).
    pub fn dp(
        &mut self,
        op: DpOp,
        rd: u32,
        a: Temp,
        b: Temp,
        carry: Option<Temp>,
        s: bool,
    ) -> Flow {
        use DpOp::*;
        let (r, arith) = match op {
            And | Tst => (self.b.binary(BinOp::And, a, b), None),
            Bic => {
                let nb = self.b.binary_imm(BinOp::Xor, b, 0xffff_ffff);
                (self.b.binary(BinOp::And, a, nb), None)
            }
            Orr => (self.b.binary(BinOp::Or, a, b), None),
            Orn => {
                let nb = self.b.binary_imm(BinOp::Xor, b, 0xffff_ffff);
                (self.b.binary(BinOp::Or, a, nb), None)
            }
            Eor | Teq => (self.b.binary(BinOp::Xor, a, b), None),
            Mov => (b, None),
            Mvn => (self.b.binary_imm(BinOp::Xor, b, 0xffff_ffff), None),
            Add | Cmn if !s => (self.b.binary(BinOp::Add, a, b), None),
            Sub | Cmp if !s => (self.b.binary(BinOp::Sub, a, b), None),
            Rsb if !s => (self.b.binary(BinOp::Sub, b, a), None),
            // Without a carry in, the flags have short forms: C is an
            // unsigned comparison, V the sign of (x ^ y) & (x ^ r) (for
            // a subtraction; of (x ^ r) & (y ^ r) for an addition).
            Add | Cmn => {
                let r = self.b.binary(BinOp::Add, a, b);
                let c = self.b.compare(Cond::LtUnsigned, r, a, I32);
                let ar = self.b.binary(BinOp::Xor, a, r);
                let br = self.b.binary(BinOp::Xor, b, r);
                let v = self.b.binary(BinOp::And, ar, br);
                let v = self.b.binary_imm(BinOp::ShrUnsigned, v, 31);
                (r, Some((c, v)))
            }
            Sub | Cmp | Rsb => {
                let (x, y) = if op == Rsb { (b, a) } else { (a, b) };
                self.compared_out = Some((x, y));
                let r = self.b.binary(BinOp::Sub, x, y);
                let c = self.b.compare(Cond::GeUnsigned, x, y, I32);
                let xy = self.b.binary(BinOp::Xor, x, y);
                let xr = self.b.binary(BinOp::Xor, x, r);
                let v = self.b.binary(BinOp::And, xy, xr);
                let v = self.b.binary_imm(BinOp::ShrUnsigned, v, 31);
                (r, Some((c, v)))
            }
            Adc | Sbc => {
                let y = if op == Sbc {
                    self.b.binary_imm(BinOp::Xor, b, 0xffff_ffff)
                } else {
                    b
                };
                let (x, cin) = (a, self.flag(G_C));
                let (r, c, v) = self.add_with_carry(x, y, cin);
                (r, Some((c, v)))
            }
        };
        if s {
            self.set_nz(r);
            match arith {
                Some((c, v)) => {
                    self.set_flag(G_C, c);
                    self.set_flag(G_V, v);
                }
                None => {
                    if let Some(c) = carry {
                        self.set_flag(G_C, c);
                    }
                }
            }
        }
        if matches!(op, Tst | Teq | Cmp | Cmn) {
            return Flow::Next;
        }
        self.w_or_branch(rd, r)
    }

    /// Loads `size` bytes at `addr` into a 32-bit temporary.
    pub fn load(&mut self, addr: Temp, size: u8, signed: bool) -> Temp {
        if self.unalign_trp && size > 1 {
            self.check_aligned(addr, u32::from(size));
        }
        self.b.load(addr, I32, size, signed, LE)
    }

    /// Stores the low `size` bytes of `v` at `addr`.
    pub fn store(&mut self, addr: Temp, v: Temp, size: u8) {
        if self.unalign_trp && size > 1 {
            self.check_aligned(addr, u32::from(size));
        }
        self.b.store(addr, v, size, LE);
    }

    /// Raises UsageFault UNALIGNED unless `addr` is a multiple of `align`.
    pub fn check_aligned(&mut self, addr: Temp, align: u32) {
        let low = self.b.binary_imm(BinOp::And, addr, u64::from(align - 1));
        let zero = self.k(0);
        let ok = self.b.compare(Cond::Eq, low, zero, I32);
        let l_ok = self.b.label();
        self.b.branch(ok, l_ok);
        self.b.call(H_UNALIGNED, &[addr], None);
        self.b.set_label(l_ok);
    }

    /// LDM/STM/PUSH/POP: registers in `list` from or to consecutive
    /// words from `base` upward (`increment`) or ending below it.
    pub fn multiple(
        &mut self,
        rn: u32,
        list: u32,
        load: bool,
        increment: bool,
        wback: bool,
    ) -> Flow {
        let count = list.count_ones();
        if count == 0 {
            return self.undefined();
        }
        let base = self.r(rn);
        self.check_aligned(base, 4);
        let start = if increment {
            base
        } else {
            self.b.binary_imm(BinOp::Sub, base, u64::from(4 * count))
        };
        let end = if increment {
            self.b.binary_imm(BinOp::Add, base, u64::from(4 * count))
        } else {
            start
        };
        let mut loaded = Vec::new();
        let mut offset = 0u64;
        for r in 0..16 {
            if list & (1 << r) == 0 {
                continue;
            }
            let addr = self.b.add_imm(start, offset);
            offset += 4;
            if load {
                let v = self.load(addr, 4, false);
                loaded.push((r, v));
            } else {
                let v = self.r(r);
                self.store(addr, v, 4);
            }
        }
        // Loaded values land after every access, so a fault leaves the
        // registers as they were.
        let base_loaded = load && list & (1 << rn) != 0;
        if wback && !base_loaded {
            self.w(rn, end);
        }
        let mut pc = None;
        for (r, v) in loaded {
            if r == 15 {
                pc = Some(v);
            } else {
                self.w(r, v);
            }
        }
        match pc {
            Some(v) => self.write_pc_bx(v),
            None => Flow::Next,
        }
    }
}

/// ITAdvance: the IT state after one instruction of the block.
pub fn it_advance(it: u32) -> u32 {
    if it & 0x7 == 0 {
        0
    } else {
        (it & 0xe0) | ((it << 1) & 0x1f)
    }
}

/// Decodes one block.
pub fn translate_block(
    fe: &ArmM,
    code: &mut CodeReader<'_, '_, ArmM>,
    b: &mut IrBuilder,
) -> Result<(), Trap> {
    let cpu = code.cpu();
    let mut it = cpu.itstate();
    let thumb = cpu.thumb;
    let fp_enabled = fe.fpu && cpu.scs.cpacr & (0xf << 20) == 0xf << 20;
    let unalign_trp = cpu.scs.ccr & crate::scs::CCR_UNALIGN_TRP != 0;
    let mut fp_active = cpu.control & crate::cpu::CONTROL_FPCA != 0;
    let host_float = crate::hardfloat::host_float(cpu);
    let mut it_stored = it;
    let code_start = code.start() as u32;
    let mut pc = code_start;
    if !thumb {
        b.insn_start(u64::from(pc));
        b.call(H_INVSTATE, &[], None);
        b.return_to_loop(u64::from(pc));
        return Ok(());
    }
    let mut count = 0;
    // The operands of the compare whose flags are current, while the
    // instructions after it may use them.
    let mut compared: Option<(Temp, Temp)> = None;
    loop {
        let hw1 = match code.fetch(u64::from(pc), 2, LE) {
            Ok(v) => v as u32,
            Err(trap) if count == 0 => return Err(trap),
            Err(_) => return end_block(b, pc, it, it_stored),
        };
        let wide = hw1 >> 11 >= 0b11101;
        let raw = if wide {
            match code.fetch(u64::from(pc.wrapping_add(2)), 2, LE) {
                Ok(hw2) => (hw1 << 16) | hw2 as u32,
                Err(trap) if count == 0 => return Err(trap),
                Err(_) => return end_block(b, pc, it, it_stored),
            }
        } else {
            hw1
        };
        // Outside IT blocks an instruction is translated the same wherever
        // the block started, unless it reads the operands of the compare
        // before it.
        // The IT state is the CPU's before the instruction starts: a run
        // that stops there (a debugger's step, an instruction limit) or
        // an interrupt taken there finds it in place.
        if it != it_stored {
            let t = b.constant(Ty::I64, u64::from(it));
            b.set(Global(G_IT), t);
            it_stored = it;
        }
        let ops_before = b.ops().len();
        if it == 0 && compared.is_none() {
            b.entry_insn_start(u64::from(pc));
        } else {
            b.insn_start(u64::from(pc));
        }
        count += 1;
        let next = pc.wrapping_add(if wide { 4 } else { 2 });
        let in_it = it & 0xf != 0;
        let it_next = if in_it { it_advance(it) } else { 0 };
        let mut e = Emit {
            fe,
            b,
            pc,
            next,
            in_it,
            it_next,
            it_stored,
            raw,
            new_it: None,
            block_start: code_start,
            follow: None,
            fp_enabled,
            unalign_trp,
            fp_active,
            host_float,
            compared,
            compared_out: None,
        };
        let cond = it >> 4;
        let skip = if in_it && cond != 14 {
            let not = e.cond(cond ^ 1);
            let l = e.b.label();
            e.b.branch(not, l);
            Some(l)
        } else {
            None
        };
        let flow = if wide {
            thumb32::emit(&mut e, raw >> 16, raw & 0xffff)
        } else {
            thumb16::emit(&mut e, hw1)
        };
        let new_it = e.new_it;
        let follow = e.follow;
        let compared_out = e.compared_out;
        fp_active = e.fp_active;
        compared = next_compared(
            &b.ops()[ops_before..],
            compared,
            compared_out.filter(|_| skip.is_none()),
        );
        if let Some(l) = skip {
            b.set_label(l);
            if flow == Flow::End {
                if it_next != it_stored {
                    let t = b.constant(Ty::I64, u64::from(it_next));
                    b.set(Global(G_IT), t);
                }
                b.goto(u64::from(next), 1);
                return Ok(());
            }
        } else if flow == Flow::End {
            return Ok(());
        }
        it = new_it.unwrap_or(it_next);
        pc = follow.unwrap_or(next);
        if count >= MAX_BLOCK_INSNS || pc & 0xfff == 0 {
            return end_block(b, pc, it, it_stored);
        }
    }
}

/// What the next instruction may take as the compared operands, after
/// one whose ops are `ops`: a flag-setting subtraction's operands when it
/// set the flags unconditionally (`fresh`); those from before while no
/// flag changed (a loop's `CMP`, then a load, a multiply-accumulate and a
/// store, then the `BNE` that reads the flags); none after any other
/// flag write or a helper call, so that the instruction after is an
/// entry again.
fn next_compared(
    ops: &[Op],
    before: Option<(Temp, Temp)>,
    fresh: Option<(Temp, Temp)>,
) -> Option<(Temp, Temp)> {
    let flag = |g: &Global| matches!(g.0, G_N | G_Z | G_C | G_V);
    let wrote_flags = ops
        .iter()
        .any(|op| matches!(op, Op::SetGlobal { global, .. } if flag(global)));
    // A helper may write the flags too.
    let called = ops.iter().any(|op| matches!(op, Op::Call { .. }));
    if called {
        None
    } else if wrote_flags {
        fresh
    } else {
        before
    }
}

fn end_block(b: &mut IrBuilder, pc: u32, it: u32, it_stored: u32) -> Result<(), Trap> {
    if it != it_stored {
        let t = b.constant(Ty::I64, u64::from(it));
        b.set(Global(G_IT), t);
    }
    b.goto(u64::from(pc), 0);
    Ok(())
}
