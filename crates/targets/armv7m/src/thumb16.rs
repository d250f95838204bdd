//! The 16-bit Thumb instructions (ARMv7-M ARM, A5.2), decoded straight
//! into IR through the shared emitters.

use chimera_engine::ir::{BinOp, Cond, Ty, UnOp};

use crate::helpers::{H_BKPT, H_CPS, H_SVC, H_WFI};
use crate::translate::{DpOp, Emit, Flow, Shift};

const I32: Ty = Ty::I32;

fn bits(v: u32, hi: u32, lo: u32) -> u32 {
    (v >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn sext(v: u32, bits: u32) -> u32 {
    let shift = 32 - bits;
    (((v << shift) as i32) >> shift) as u32
}

/// Emits one 16-bit instruction.
pub fn emit(e: &mut Emit, hw: u32) -> Flow {
    let s = !e.in_it;
    match hw >> 10 {
        0b000000..=0b001111 => shift_add_sub_mov_cmp(e, hw, s),
        0b010000 => data_processing(e, hw, s),
        0b010001 => special(e, hw),
        0b010010 | 0b010011 => {
            let rt = bits(hw, 10, 8);
            let addr = e.pc_aligned().wrapping_add(bits(hw, 7, 0) * 4);
            let a = e.k(addr);
            let v = e.load(a, 4, false);
            e.w(rt, v);
            Flow::Next
        }
        0b010100..=0b100111 => load_store(e, hw),
        0b101000 | 0b101001 => {
            let v = e.pc_aligned().wrapping_add(bits(hw, 7, 0) * 4);
            let t = e.k(v);
            e.w(bits(hw, 10, 8), t);
            Flow::Next
        }
        0b101010 | 0b101011 => {
            let sp = e.r(13);
            let t = e.b.add_imm(sp, u64::from(bits(hw, 7, 0) * 4));
            e.w(bits(hw, 10, 8), t);
            Flow::Next
        }
        0b101100..=0b101111 => misc(e, hw),
        0b110000 | 0b110001 => {
            let rn = bits(hw, 10, 8);
            e.multiple(rn, bits(hw, 7, 0), false, true, true)
        }
        0b110010 | 0b110011 => {
            let rn = bits(hw, 10, 8);
            let list = bits(hw, 7, 0);
            e.multiple(rn, list, true, true, list & (1 << rn) == 0)
        }
        0b110100..=0b110111 => {
            let cond = bits(hw, 11, 8);
            match cond {
                0b1110 => e.undefined(),
                0b1111 => {
                    let next = e.k(e.next);
                    e.b.call(H_SVC, &[next], None);
                    let pc = e.pc;
                    e.return_to_loop(pc)
                }
                _ => {
                    let target =
                        e.pc.wrapping_add(4)
                            .wrapping_add(sext(bits(hw, 7, 0) << 1, 9));
                    conditional_branch(e, cond, target)
                }
            }
        }
        0b111000 | 0b111001 => {
            let target =
                e.pc.wrapping_add(4)
                    .wrapping_add(sext(bits(hw, 10, 0) << 1, 12));
            e.branch_to(target)
        }
        _ => e.undefined(),
    }
}

/// `B<cond>` to `target`, falling through otherwise: the taken side
/// leaves the block, which goes on with the fall-through.
pub fn conditional_branch(e: &mut Emit, cond: u32, target: u32) -> Flow {
    // Conditions pair up with their inverse in the low bit (AL and the
    // unconditional encoding never reach here).
    let stays = e.cond(cond ^ 1);
    let l = e.b.label();
    e.b.branch(stays, l);
    e.goto(target, 1);
    e.b.set_label(l);
    Flow::Next
}

fn shift_add_sub_mov_cmp(e: &mut Emit, hw: u32, s: bool) -> Flow {
    let rd = bits(hw, 2, 0);
    let rm = bits(hw, 5, 3);
    match bits(hw, 13, 11) {
        op @ 0..=2 => {
            let (shift, n) = Shift::decode(op, bits(hw, 10, 6));
            let v = e.r(rm);
            let (r, c) = e.shift_imm(v, shift, n);
            e.dp(DpOp::Mov, rd, v, r, c, s)
        }
        3 => {
            let rn = e.r(rm);
            let b = if hw & (1 << 10) != 0 {
                e.k(bits(hw, 8, 6))
            } else {
                e.r(bits(hw, 8, 6))
            };
            let op = if hw & (1 << 9) != 0 {
                DpOp::Sub
            } else {
                DpOp::Add
            };
            e.dp(op, rd, rn, b, None, s)
        }
        op => {
            let rdn = bits(hw, 10, 8);
            let imm = e.k(bits(hw, 7, 0));
            let a = e.r(rdn);
            match op {
                4 => e.dp(DpOp::Mov, rdn, a, imm, None, s),
                5 => e.dp(DpOp::Cmp, rdn, a, imm, None, true),
                6 => e.dp(DpOp::Add, rdn, a, imm, None, s),
                _ => e.dp(DpOp::Sub, rdn, a, imm, None, s),
            }
        }
    }
}

fn data_processing(e: &mut Emit, hw: u32, s: bool) -> Flow {
    let rdn = bits(hw, 2, 0);
    let rm = bits(hw, 5, 3);
    let a = e.r(rdn);
    let b = e.r(rm);
    let op = match bits(hw, 9, 6) {
        0x0 => DpOp::And,
        0x1 => DpOp::Eor,
        kind @ (0x2 | 0x3 | 0x4 | 0x7) => {
            let kind = match kind {
                0x2 => 0,
                0x3 => 1,
                0x4 => 2,
                _ => 3,
            };
            let (r, c) = e.shift_reg(a, kind, b);
            return e.dp(DpOp::Mov, rdn, a, r, Some(c), s);
        }
        0x5 => DpOp::Adc,
        0x6 => DpOp::Sbc,
        0x8 => return e.dp(DpOp::Tst, rdn, a, b, None, true),
        0x9 => {
            let zero = e.k(0);
            return e.dp(DpOp::Rsb, rdn, b, zero, None, s);
        }
        0xa => return e.dp(DpOp::Cmp, rdn, a, b, None, true),
        0xb => return e.dp(DpOp::Cmn, rdn, a, b, None, true),
        0xc => DpOp::Orr,
        0xd => {
            let r = e.b.binary(BinOp::Mul, a, b);
            if s {
                e.set_nz(r);
            }
            e.w(rdn, r);
            return Flow::Next;
        }
        0xe => DpOp::Bic,
        _ => return e.dp(DpOp::Mvn, rdn, a, b, None, s),
    };
    e.dp(op, rdn, a, b, None, s)
}

fn special(e: &mut Emit, hw: u32) -> Flow {
    let rm = bits(hw, 6, 3);
    let rdn = bits(hw, 2, 0) | (bits(hw, 7, 7) << 3);
    match bits(hw, 9, 8) {
        0 => {
            let a = e.r(rdn);
            let b = e.r(rm);
            let r = e.b.binary(BinOp::Add, a, b);
            e.w_or_branch(rdn, r)
        }
        1 => {
            let a = e.r(rdn);
            let b = e.r(rm);
            e.dp(DpOp::Cmp, rdn, a, b, None, true)
        }
        2 => {
            let v = e.r(rm);
            e.w_or_branch(rdn, v)
        }
        _ => {
            let target = e.r(rm);
            if hw & (1 << 7) != 0 {
                let link = e.k(e.next | 1);
                e.w(14, link);
            }
            e.write_pc_bx(target)
        }
    }
}

fn load_store(e: &mut Emit, hw: u32) -> Flow {
    let rt = bits(hw, 2, 0);
    let rn = bits(hw, 5, 3);
    match hw >> 12 {
        0b0101 => {
            let base = e.r(rn);
            let off = e.r(bits(hw, 8, 6));
            let addr = e.b.binary(BinOp::Add, base, off);
            let (load, size, signed) = match bits(hw, 11, 9) {
                0 => (false, 4, false),
                1 => (false, 2, false),
                2 => (false, 1, false),
                3 => (true, 1, true),
                4 => (true, 4, false),
                5 => (true, 2, false),
                6 => (true, 1, false),
                _ => (true, 2, true),
            };
            transfer(e, rt, addr, load, size, signed)
        }
        0b0110 | 0b0111 => {
            let byte = hw & (1 << 12) != 0;
            let size = if byte { 1 } else { 4 };
            let base = e.r(rn);
            let addr = e.b.add_imm(base, u64::from(bits(hw, 10, 6) * size));
            transfer(e, rt, addr, hw & (1 << 11) != 0, size as u8, false)
        }
        0b1000 => {
            let base = e.r(rn);
            let addr = e.b.add_imm(base, u64::from(bits(hw, 10, 6) * 2));
            transfer(e, rt, addr, hw & (1 << 11) != 0, 2, false)
        }
        _ => {
            let sp = e.r(13);
            let addr = e.b.add_imm(sp, u64::from(bits(hw, 7, 0) * 4));
            transfer(e, bits(hw, 10, 8), addr, hw & (1 << 11) != 0, 4, false)
        }
    }
}

fn transfer(
    e: &mut Emit,
    rt: u32,
    addr: chimera_engine::ir::Temp,
    load: bool,
    size: u8,
    signed: bool,
) -> Flow {
    if load {
        let v = e.load(addr, size, signed);
        e.w(rt, v);
    } else {
        let v = e.r(rt);
        e.store(addr, v, size);
    }
    Flow::Next
}

fn misc(e: &mut Emit, hw: u32) -> Flow {
    match bits(hw, 11, 8) {
        0b0000 => {
            let sp = e.r(13);
            let imm = u64::from(bits(hw, 6, 0) * 4);
            let op = if hw & (1 << 7) != 0 {
                BinOp::Sub
            } else {
                BinOp::Add
            };
            let r = e.b.binary_imm(op, sp, imm);
            e.w(13, r);
            Flow::Next
        }
        0b0001 | 0b0011 | 0b1001 | 0b1011 => {
            let rn = e.r(bits(hw, 2, 0));
            let offset = (bits(hw, 9, 9) << 6) | (bits(hw, 7, 3) << 1);
            let target = e.pc.wrapping_add(4).wrapping_add(offset);
            let zero = e.k(0);
            let cond = if hw & (1 << 11) != 0 {
                Cond::Ne
            } else {
                Cond::Eq
            };
            // The block goes on when the branch is not taken.
            let stays_if = if cond == Cond::Eq { Cond::Ne } else { Cond::Eq };
            let stays = e.b.compare(stays_if, rn, zero, I32);
            let l = e.b.label();
            e.b.branch(stays, l);
            e.goto(target, 1);
            e.b.set_label(l);
            Flow::Next
        }
        0b0010 => {
            let rd = bits(hw, 2, 0);
            let v = e.r(bits(hw, 5, 3));
            let r = match bits(hw, 7, 6) {
                0 => e.b.sext(v, 16, I32),
                1 => e.b.sext(v, 8, I32),
                2 => e.b.zext(v, 16, I32),
                _ => e.b.zext(v, 8, I32),
            };
            e.w(rd, r);
            Flow::Next
        }
        0b0100 | 0b0101 => {
            let list = bits(hw, 7, 0) | (bits(hw, 8, 8) << 14);
            e.multiple(13, list, false, false, true)
        }
        0b1100 | 0b1101 => {
            let list = bits(hw, 7, 0) | (bits(hw, 8, 8) << 15);
            e.multiple(13, list, true, true, true)
        }
        0b1010 => {
            let rd = bits(hw, 2, 0);
            let v = e.r(bits(hw, 5, 3));
            let r = match bits(hw, 7, 6) {
                0 => e.b.unary(UnOp::ByteSwap, v),
                1 => rev16(e, v),
                3 => {
                    let sw = e.b.unary(UnOp::ByteSwap, v);
                    let hi = e.b.binary_imm(BinOp::ShrUnsigned, sw, 16);
                    e.b.sext(hi, 16, I32)
                }
                _ => return e.undefined(),
            };
            e.w(rd, r);
            Flow::Next
        }
        0b0110 if bits(hw, 7, 5) == 0b011 => {
            let disable = e.k(bits(hw, 4, 4));
            let i = e.k(bits(hw, 1, 1));
            let f = e.k(bits(hw, 0, 0));
            e.call_then_return(H_CPS, &[disable, i, f])
        }
        0b1110 => {
            let imm = e.k(bits(hw, 7, 0));
            e.b.call(H_BKPT, &[imm], None);
            let next = e.next;
            e.return_to_loop(next)
        }
        0b1111 => {
            if bits(hw, 3, 0) != 0 {
                e.new_it = Some(bits(hw, 7, 0));
                return Flow::Next;
            }
            match bits(hw, 7, 4) {
                3 => e.call_then_return(H_WFI, &[]),
                // NOP, YIELD, WFE (an event is never awaited), SEV.
                _ => Flow::Next,
            }
        }
        _ => e.undefined(),
    }
}

/// REV16: swapping the bytes of the word rotated by 16 swaps the bytes
/// within each halfword of the original.
pub fn rev16(e: &mut Emit, v: chimera_engine::ir::Temp) -> chimera_engine::ir::Temp {
    let rotated = e.b.binary_imm(BinOp::RotateRight, v, 16);
    e.b.unary(UnOp::ByteSwap, rotated)
}
