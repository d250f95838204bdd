//! The 32-bit Thumb-2 instructions (ARMv7-M ARM, A5.3), decoded straight
//! into IR through the shared emitters; the DSP extension's packed
//! arithmetic goes through its helper.

use chimera_engine::ir::{BinOp, Cond, Temp, Ty, UnOp};

use crate::cpu::G_Q;
use crate::dsp;
use crate::helpers::{H_CLREX, H_DIV0, H_DSP, H_LDREX, H_MRS, H_MSR, H_NOCP, H_STREX, H_WFI};
use crate::thumb16::{conditional_branch, rev16};
use crate::translate::{DpOp, Emit, Flow, Shift};

const I32: Ty = Ty::I32;

fn bits(v: u32, hi: u32, lo: u32) -> u32 {
    (v >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn bit(v: u32, n: u32) -> bool {
    v & (1 << n) != 0
}

fn sext(v: u32, bits: u32) -> u32 {
    let shift = 32 - bits;
    (((v << shift) as i32) >> shift) as u32
}

/// ThumbExpandImm_C: the modified immediate and, when the rotation
/// decides it, the carry out.
pub fn expand_imm(imm12: u32) -> (u32, Option<bool>) {
    let imm8 = imm12 & 0xff;
    if imm12 >> 10 == 0 {
        let v = match (imm12 >> 8) & 3 {
            0 => imm8,
            1 => imm8 | (imm8 << 16),
            2 => (imm8 << 8) | (imm8 << 24),
            _ => imm8 * 0x0101_0101,
        };
        (v, None)
    } else {
        let v = (0x80 | (imm12 & 0x7f)).rotate_right(imm12 >> 7);
        (v, Some(v >> 31 != 0))
    }
}

/// Emits one 32-bit instruction from its two halfwords.
pub fn emit(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let op1 = bits(hw1, 12, 11);
    let op2 = bits(hw1, 10, 4);
    match op1 {
        0b01 => {
            if op2 & 0b110_0100 == 0 {
                multiple(e, hw1, hw2)
            } else if op2 & 0b110_0100 == 0b000_0100 {
                dual_exclusive_table(e, hw1, hw2)
            } else if op2 & 0b110_0000 == 0b010_0000 {
                dp_shifted_register(e, hw1, hw2)
            } else {
                coprocessor(e, hw1, hw2)
            }
        }
        0b10 => {
            if bit(hw2, 15) {
                branch_misc(e, hw1, hw2)
            } else if bit(hw1, 9) {
                dp_plain_immediate(e, hw1, hw2)
            } else {
                dp_modified_immediate(e, hw1, hw2)
            }
        }
        _ => {
            if op2 & 0b110_0000 == 0 {
                load_store_single(e, hw1, hw2)
            } else if op2 & 0b111_0000 == 0b010_0000 {
                dp_register(e, hw1, hw2)
            } else if op2 & 0b111_1000 == 0b011_0000 {
                multiply(e, hw1, hw2)
            } else if op2 & 0b111_1000 == 0b011_1000 {
                long_multiply(e, hw1, hw2)
            } else {
                coprocessor(e, hw1, hw2)
            }
        }
    }
}

fn multiple(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let rn = bits(hw1, 3, 0);
    let load = bit(hw1, 4);
    let wback = bit(hw1, 5);
    let list = hw2 & if load { 0xdfff } else { 0x5fff };
    if rn == 15 || (load && hw2 & 0xc000 == 0xc000) {
        return e.undefined();
    }
    match bits(hw1, 8, 7) {
        0b01 => e.multiple(rn, list, load, true, wback),
        0b10 => e.multiple(rn, list, load, false, wback),
        _ => e.undefined(),
    }
}

fn dual_exclusive_table(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let rn = bits(hw1, 3, 0);
    let rt = bits(hw2, 15, 12);
    let load = bit(hw1, 4);
    if bit(hw1, 8) || bit(hw1, 5) {
        // LDRD/STRD (immediate).
        let rt2 = bits(hw2, 11, 8);
        let (p, u, w) = (bit(hw1, 8), bit(hw1, 7), bit(hw1, 5));
        let imm = bits(hw2, 7, 0) * 4;
        let base = if rn == 15 {
            e.k(e.pc_aligned())
        } else {
            e.r(rn)
        };
        let offset = if u {
            e.b.add_imm(base, u64::from(imm))
        } else {
            e.b.binary_imm(BinOp::Sub, base, u64::from(imm))
        };
        let addr = if p { offset } else { base };
        e.check_aligned(addr, 4);
        let addr2 = e.b.add_imm(addr, 4);
        if load {
            let v1 = e.load(addr, 4, false);
            let v2 = e.load(addr2, 4, false);
            if w {
                e.w(rn, offset);
            }
            e.w(rt, v1);
            e.w(rt2, v2);
        } else {
            let v1 = e.r(rt);
            let v2 = e.r(rt2);
            e.store(addr, v1, 4);
            e.store(addr2, v2, 4);
            if w {
                e.w(rn, offset);
            }
        }
        return Flow::Next;
    }
    if !bit(hw1, 7) {
        // LDREX/STREX with an 8-bit word offset.
        let base = e.r(rn);
        let addr = e.b.add_imm(base, u64::from(bits(hw2, 7, 0) * 4));
        return exclusive(e, addr, load, 4, rt, bits(hw2, 11, 8));
    }
    match (load, bits(hw2, 7, 4)) {
        (true, 0b0000) | (true, 0b0001) => {
            // TBB/TBH.
            let half = bit(hw2, 4);
            let base = e.r(rn);
            let index = e.r(bits(hw2, 3, 0));
            let scaled = if half {
                e.b.binary_imm(BinOp::Shl, index, 1)
            } else {
                index
            };
            let addr = e.b.binary(BinOp::Add, base, scaled);
            let entry = e.load(addr, if half { 2 } else { 1 }, false);
            let offset = e.b.binary_imm(BinOp::Shl, entry, 1);
            let pc = e.k(e.pc.wrapping_add(4));
            let target = e.b.binary(BinOp::Add, pc, offset);
            e.write_pc_branch(target)
        }
        (_, 0b0100) => {
            let addr = e.r(rn);
            exclusive(e, addr, load, 1, rt, bits(hw2, 3, 0))
        }
        (_, 0b0101) => {
            let addr = e.r(rn);
            exclusive(e, addr, load, 2, rt, bits(hw2, 3, 0))
        }
        _ => e.undefined(),
    }
}

fn exclusive(e: &mut Emit, addr: Temp, load: bool, size: u32, rt: u32, rd: u32) -> Flow {
    let sz = e.k(size);
    if load {
        if let Some(v) = e.b.call(H_LDREX, &[addr, sz], Some(I32)) {
            e.w(rt, v);
        }
    } else {
        let v = e.r(rt);
        if let Some(status) = e.b.call(H_STREX, &[addr, v, sz], Some(I32)) {
            e.w(rd, status);
        }
    }
    Flow::Next
}

fn dp_op(op: u32, rd: u32, rn: u32, s: bool) -> Option<DpOp> {
    Some(match op {
        0b0000 if rd == 15 && s => DpOp::Tst,
        0b0000 => DpOp::And,
        0b0001 => DpOp::Bic,
        0b0010 if rn == 15 => DpOp::Mov,
        0b0010 => DpOp::Orr,
        0b0011 if rn == 15 => DpOp::Mvn,
        0b0011 => DpOp::Orn,
        0b0100 if rd == 15 && s => DpOp::Teq,
        0b0100 => DpOp::Eor,
        0b1000 if rd == 15 && s => DpOp::Cmn,
        0b1000 => DpOp::Add,
        0b1010 => DpOp::Adc,
        0b1011 => DpOp::Sbc,
        0b1101 if rd == 15 && s => DpOp::Cmp,
        0b1101 => DpOp::Sub,
        0b1110 => DpOp::Rsb,
        _ => return None,
    })
}

fn dp_shifted_register(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let op = bits(hw1, 8, 5);
    let s = bit(hw1, 4);
    let rn = bits(hw1, 3, 0);
    let rd = bits(hw2, 11, 8);
    let rm = bits(hw2, 3, 0);
    let imm5 = (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6);
    let ty = bits(hw2, 5, 4);
    if op == 0b0110 {
        // PKHBT/PKHTB.
        if !e.fe.has_dsp() {
            return e.undefined();
        }
        let a = e.r(rn);
        let m = e.r(rm);
        let (shifted, _) = if ty & 2 != 0 {
            e.shift_imm(m, Shift::Asr, if imm5 == 0 { 32 } else { imm5 })
        } else {
            e.shift_imm(m, Shift::Lsl, imm5)
        };
        let code = if ty & 2 != 0 { dsp::PKHTB } else { dsp::PKHBT };
        let r = dsp_call(e, code, a, shifted, None);
        e.w(rd, r);
        return Flow::Next;
    }
    let Some(dop) = dp_op(op, rd, rn, s) else {
        return e.undefined();
    };
    let (shift, n) = Shift::decode(ty, imm5);
    let m = e.r(rm);
    let (b, carry) = e.shift_imm(m, shift, n);
    let a = e.r(rn);
    e.dp(dop, rd, a, b, carry, s)
}

fn dp_modified_immediate(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let op = bits(hw1, 8, 5);
    let s = bit(hw1, 4);
    let rn = bits(hw1, 3, 0);
    let rd = bits(hw2, 11, 8);
    let imm12 = (bits(hw1, 10, 10) << 11) | (bits(hw2, 14, 12) << 8) | bits(hw2, 7, 0);
    let Some(dop) = dp_op(op, rd, rn, s) else {
        return e.undefined();
    };
    let (v, carry) = expand_imm(imm12);
    let b = e.k(v);
    let carry = carry.map(|c| e.k(u32::from(c)));
    let a = e.r(rn);
    e.dp(dop, rd, a, b, carry, s)
}

fn dp_plain_immediate(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let rn = bits(hw1, 3, 0);
    let rd = bits(hw2, 11, 8);
    let imm12 = (bits(hw1, 10, 10) << 11) | (bits(hw2, 14, 12) << 8) | bits(hw2, 7, 0);
    let imm16 = (bits(hw1, 3, 0) << 12) | imm12;
    let sat_imm = bits(hw2, 4, 0);
    let lsb = (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6);
    match bits(hw1, 8, 4) {
        0b00000 | 0b01010 => {
            let sub = bit(hw1, 7);
            let base = if rn == 15 {
                e.k(e.pc_aligned())
            } else {
                e.r(rn)
            };
            let r = if sub {
                e.b.binary_imm(BinOp::Sub, base, u64::from(imm12))
            } else {
                e.b.add_imm(base, u64::from(imm12))
            };
            e.w_or_branch(rd, r)
        }
        0b00100 => {
            let v = e.k(imm16);
            e.w_or_branch(rd, v)
        }
        0b01100 => {
            let old = e.r(rd);
            let low = e.b.binary_imm(BinOp::And, old, 0xffff);
            let r = e.b.binary_imm(BinOp::Or, low, u64::from(imm16) << 16);
            e.w_or_branch(rd, r)
        }
        op @ (0b10000 | 0b10010 | 0b11000 | 0b11010) => {
            let signed = op & 0b01000 == 0;
            let sh = bit(hw1, 5);
            let v = e.r(rn);
            if sh && lsb == 0 {
                // SSAT16/USAT16 (DSP).
                if !e.fe.has_dsp() {
                    return e.undefined();
                }
                let code = if signed { dsp::SSAT16 } else { dsp::USAT16 };
                let n = e.k(if signed { sat_imm + 1 } else { sat_imm });
                let r = dsp_call(e, code, v, n, None);
                e.w(rd, r);
                return Flow::Next;
            }
            let (shifted, _) = if sh {
                e.shift_imm(v, Shift::Asr, lsb)
            } else {
                e.shift_imm(v, Shift::Lsl, lsb)
            };
            let code = if signed { dsp::SSAT } else { dsp::USAT };
            let n = e.k(if signed { sat_imm + 1 } else { sat_imm });
            let r = dsp_call(e, code, shifted, n, None);
            e.w(rd, r);
            Flow::Next
        }
        op @ (0b10100 | 0b11100) => {
            // SBFX/UBFX.
            let width = sat_imm + 1;
            if lsb + width > 32 {
                return e.undefined();
            }
            let v = e.r(rn);
            let shifted = e.b.binary_imm(BinOp::ShrUnsigned, v, u64::from(lsb));
            let r = e.b.extend(shifted, width as u8, op == 0b10100, I32);
            e.w(rd, r);
            Flow::Next
        }
        0b10110 => {
            // BFI/BFC.
            let msb = sat_imm;
            if msb < lsb {
                return e.undefined();
            }
            let width = msb - lsb + 1;
            let mask = (((1u64 << width) - 1) << lsb) as u32;
            let old = e.r(rd);
            let kept = e.b.binary_imm(BinOp::And, old, u64::from(!mask));
            let r = if rn == 15 {
                kept
            } else {
                let v = e.r(rn);
                let ins = e.b.binary_imm(BinOp::Shl, v, u64::from(lsb));
                let ins = e.b.binary_imm(BinOp::And, ins, u64::from(mask));
                e.b.binary(BinOp::Or, kept, ins)
            };
            e.w(rd, r);
            Flow::Next
        }
        _ => e.undefined(),
    }
}

fn branch_misc(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let op1 = bits(hw2, 14, 12);
    let s = bits(hw1, 10, 10);
    let j1 = bits(hw2, 13, 13);
    let j2 = bits(hw2, 11, 11);
    if op1 & 0b101 == 0b000 {
        if bits(hw1, 9, 7) != 0b111 {
            let imm = (s << 20)
                | (j2 << 19)
                | (j1 << 18)
                | (bits(hw1, 5, 0) << 12)
                | (bits(hw2, 10, 0) << 1);
            let target = e.pc.wrapping_add(4).wrapping_add(sext(imm, 21));
            return conditional_branch(e, bits(hw1, 9, 6), target);
        }
        return match bits(hw1, 10, 4) {
            0b011_1000 | 0b011_1001 => {
                let sysm = e.k(bits(hw2, 7, 0));
                let v = e.r(bits(hw1, 3, 0));
                let mask = e.k(bits(hw2, 11, 10));
                e.call_then_return(H_MSR, &[sysm, v, mask])
            }
            0b011_1010 => match bits(hw2, 7, 0) {
                3 => e.call_then_return(H_WFI, &[]),
                _ => Flow::Next,
            },
            0b011_1011 => match bits(hw2, 7, 4) {
                0b0010 => {
                    e.b.call(H_CLREX, &[], None);
                    Flow::Next
                }
                0b0100 | 0b0101 => Flow::Next,
                // ISB: later instructions see every earlier change.
                0b0110 => {
                    let next = e.next;
                    e.return_to_loop(next)
                }
                _ => e.undefined(),
            },
            0b011_1110 | 0b011_1111 => {
                let sysm = e.k(bits(hw2, 7, 0));
                if let Some(v) = e.b.call(H_MRS, &[sysm], Some(I32)) {
                    let rd = bits(hw2, 11, 8);
                    if rd < 13 || rd == 14 {
                        e.w(rd, v);
                    } else {
                        return e.undefined();
                    }
                }
                Flow::Next
            }
            _ => e.undefined(),
        };
    }
    let i1 = 1 ^ j1 ^ s;
    let i2 = 1 ^ j2 ^ s;
    let imm =
        (s << 24) | (i1 << 23) | (i2 << 22) | (bits(hw1, 9, 0) << 12) | (bits(hw2, 10, 0) << 1);
    let target = e.pc.wrapping_add(4).wrapping_add(sext(imm, 25));
    if op1 & 0b101 == 0b001 {
        return e.branch_to(target);
    }
    if op1 & 0b101 == 0b101 {
        let link = e.k(e.next | 1);
        e.w(14, link);
        return e.branch_to(target);
    }
    // op1 == 0b010 with hw1 == 0xf7fx: UDF.W; 0b100 is BLX (ARM state).
    e.undefined()
}

fn load_store_single(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let signed = bit(hw1, 8);
    let size: u8 = match bits(hw1, 6, 5) {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => return e.undefined(),
    };
    let load = bit(hw1, 4);
    let rn = bits(hw1, 3, 0);
    let rt = bits(hw2, 15, 12);
    if (!load && (signed || rn == 15)) || (signed && size == 4) {
        return e.undefined();
    }
    let (addr, writeback) = if rn == 15 {
        let imm = bits(hw2, 11, 0);
        let base = e.pc_aligned();
        let a = if bit(hw1, 7) {
            base.wrapping_add(imm)
        } else {
            base.wrapping_sub(imm)
        };
        (e.k(a), None)
    } else if bit(hw1, 7) {
        let base = e.r(rn);
        (e.b.add_imm(base, u64::from(bits(hw2, 11, 0))), None)
    } else if bit(hw2, 11) {
        let (p, u, w) = (bit(hw2, 10), bit(hw2, 9), bit(hw2, 8));
        if !p && !w {
            return e.undefined();
        }
        let imm = bits(hw2, 7, 0);
        let base = e.r(rn);
        let offset = if u {
            e.b.add_imm(base, u64::from(imm))
        } else {
            e.b.binary_imm(BinOp::Sub, base, u64::from(imm))
        };
        let addr = if p { offset } else { base };
        (addr, w.then_some(offset))
    } else if bits(hw2, 11, 6) == 0 {
        let base = e.r(rn);
        let m = e.r(bits(hw2, 3, 0));
        let shifted = e.b.binary_imm(BinOp::Shl, m, u64::from(bits(hw2, 5, 4)));
        (e.b.binary(BinOp::Add, base, shifted), None)
    } else {
        return e.undefined();
    };
    if load {
        if rt == 15 && size != 4 {
            // PLD/PLI: hints.
            return Flow::Next;
        }
        let v = e.load(addr, size, signed);
        if let Some(wb) = writeback {
            e.w(rn, wb);
        }
        e.w_or_bx(rt, v)
    } else {
        let v = e.r(rt);
        e.store(addr, v, size);
        if let Some(wb) = writeback {
            e.w(rn, wb);
        }
        Flow::Next
    }
}

fn dsp_call(e: &mut Emit, op: u32, a: Temp, b: Temp, c: Option<Temp>) -> Temp {
    let code = e.k(op);
    let c = c.unwrap_or_else(|| e.k(0));
    match e.b.call(H_DSP, &[code, a, b, c], Some(I32)) {
        Some(t) => t,
        None => unreachable!("a call with a result type gives a temporary"),
    }
}

fn dp_register(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let op1 = bits(hw1, 7, 4);
    let op2 = bits(hw2, 7, 4);
    let rn = bits(hw1, 3, 0);
    let rd = bits(hw2, 11, 8);
    let rm = bits(hw2, 3, 0);
    if op1 >> 3 == 0 && op2 == 0 {
        // LSL/LSR/ASR/ROR (register).
        let s = bit(hw1, 4);
        let kind = bits(hw1, 6, 5);
        let v = e.r(rn);
        let amount = e.r(rm);
        let (r, c) = e.shift_reg(v, kind, amount);
        return e.dp(DpOp::Mov, rd, v, r, Some(c), s);
    }
    if op1 < 0b0110 && op2 & 0b1000 != 0 {
        // Extend and add: SXTAH, UXTAH, SXTAB16, UXTAB16, SXTAB, UXTAB.
        let rot = bits(hw2, 5, 4) * 8;
        let m = e.r(rm);
        let rotated = e.b.binary_imm(BinOp::RotateRight, m, u64::from(rot));
        if matches!(op1, 0b0010 | 0b0011) {
            if !e.fe.has_dsp() && rn != 15 {
                return e.undefined();
            }
            let code = if op1 == 0b0010 {
                dsp::SXTAB16
            } else {
                dsp::UXTAB16
            };
            let a = if rn == 15 { e.k(0) } else { e.r(rn) };
            let r = dsp_call(e, code, a, rotated, None);
            e.w(rd, r);
            return Flow::Next;
        }
        let bits_kept = if op1 >> 1 == 0 { 16 } else { 8 };
        let ext = e.b.extend(rotated, bits_kept, op1 & 1 == 0, I32);
        let r = if rn == 15 {
            ext
        } else {
            if !e.fe.has_dsp() {
                return e.undefined();
            }
            let a = e.r(rn);
            e.b.binary(BinOp::Add, a, ext)
        };
        e.w(rd, r);
        return Flow::Next;
    }
    if op1 & 0b1000 != 0 && op2 & 0b1000 == 0 {
        // Parallel add/subtract (DSP).
        if !e.fe.has_dsp() {
            return e.undefined();
        }
        let kind = match bits(hw1, 6, 4) {
            0b001 => dsp::kind::ADD16,
            0b010 => dsp::kind::ASX,
            0b110 => dsp::kind::SAX,
            0b101 => dsp::kind::SUB16,
            0b000 => dsp::kind::ADD8,
            0b100 => dsp::kind::SUB8,
            _ => return e.undefined(),
        };
        let prefix = match (bit(hw2, 6), bits(hw2, 5, 4)) {
            (false, 0) => dsp::prefix::S,
            (false, 1) => dsp::prefix::Q,
            (false, 2) => dsp::prefix::SH,
            (true, 0) => dsp::prefix::U,
            (true, 1) => dsp::prefix::UQ,
            (true, 2) => dsp::prefix::UH,
            _ => return e.undefined(),
        };
        let a = e.r(rn);
        let b = e.r(rm);
        let r = dsp_call(e, dsp::PAR_BASE + prefix * 8 + kind, a, b, None);
        e.w(rd, r);
        return Flow::Next;
    }
    if op1 >> 2 == 0b10 && op2 >> 2 == 0b10 {
        let a = e.r(rn);
        let m = e.r(rm);
        let r = match (bits(hw1, 5, 4), bits(hw2, 5, 4)) {
            (0b00, q) => {
                if !e.fe.has_dsp() {
                    return e.undefined();
                }
                // QADD, QDADD, QSUB, QDSUB: Rm plus or minus Rn (doubled,
                // saturating, for the D forms), saturating.
                let b = if q & 1 == 1 {
                    saturating(e, a, a, false)
                } else {
                    a
                };
                saturating(e, m, b, q & 2 != 0)
            }
            (0b01, 0b00) => e.b.unary(UnOp::ByteSwap, m),
            (0b01, 0b01) => rev16(e, m),
            (0b01, 0b10) => rbit(e, m),
            (0b01, 0b11) => {
                let sw = e.b.unary(UnOp::ByteSwap, m);
                let hi = e.b.binary_imm(BinOp::ShrUnsigned, sw, 16);
                e.b.sext(hi, 16, I32)
            }
            (0b10, 0b00) => {
                if !e.fe.has_dsp() {
                    return e.undefined();
                }
                dsp_call(e, dsp::SEL, a, m, None)
            }
            (0b11, 0b00) => e.b.unary(UnOp::CountLeadingZeros, m),
            _ => return e.undefined(),
        };
        e.w(rd, r);
        return Flow::Next;
    }
    e.undefined()
}

/// The bottom or `top` halfword of `v`, sign-extended.
fn half(e: &mut Emit, v: Temp, top: bool) -> Temp {
    if top {
        e.b.binary_imm(BinOp::ShrSigned, v, 16)
    } else {
        e.b.sext(v, 16, I32)
    }
}

/// Bit 31 of `v`, as 0 or 1.
fn sign_bit(e: &mut Emit, v: Temp) -> Temp {
    e.b.binary_imm(BinOp::ShrUnsigned, v, 31)
}

/// Sets APSR.Q when `overflow` (0 or 1) is 1; Q stays set otherwise.
fn or_into_q(e: &mut Emit, overflow: Temp) {
    let q = e.flag(G_Q);
    let q = e.b.binary(BinOp::Or, q, overflow);
    e.set_flag(G_Q, q);
}

/// `a + b`, wrapping, with Q set when the signed sum overflowed (the
/// accumulating halfword and word multiplies).
fn add_setting_q(e: &mut Emit, a: Temp, b: Temp) -> Temp {
    let sum = e.b.binary(BinOp::Add, a, b);
    let ovf = signed_overflow(e, a, b, sum, false);
    or_into_q(e, ovf);
    sum
}

/// Whether `r = a + b` (or `a - b` when `sub`) overflowed as signed
/// 32-bit numbers, as 0 or 1.
fn signed_overflow(e: &mut Emit, a: Temp, b: Temp, r: Temp, sub: bool) -> Temp {
    // Adding: the operands' signs agree and the result's differs;
    // subtracting: the operands' signs differ and the result's is b's.
    let x = e.b.binary(BinOp::Xor, a, r);
    let y = if sub {
        e.b.binary(BinOp::Xor, a, b)
    } else {
        e.b.binary(BinOp::Xor, b, r)
    };
    let both = e.b.binary(BinOp::And, x, y);
    sign_bit(e, both)
}

/// `a + b` (`a - b` when `sub`), saturated to the signed 32-bit range,
/// with Q set when it saturated (QADD and friends).
fn saturating(e: &mut Emit, a: Temp, b: Temp, sub: bool) -> Temp {
    let op = if sub { BinOp::Sub } else { BinOp::Add };
    let r = e.b.binary(op, a, b);
    let ovf = signed_overflow(e, a, b, r, sub);
    // The result saturates towards a's sign.
    let sign = e.b.binary_imm(BinOp::ShrSigned, a, 31);
    let limit = e.b.binary_imm(BinOp::Xor, sign, 0x7fff_ffff);
    let out = e.b.select(ovf, limit, r);
    or_into_q(e, ovf);
    out
}

fn rbit(e: &mut Emit, v: Temp) -> Temp {
    // Swap bits within bytes, then reverse the bytes.
    let mut x = v;
    for (shift, mask) in [(1u64, 0x5555_5555u64), (2, 0x3333_3333), (4, 0x0f0f_0f0f)] {
        let lo = e.b.binary_imm(BinOp::ShrUnsigned, x, shift);
        let lo = e.b.binary_imm(BinOp::And, lo, mask);
        let hi = e.b.binary_imm(BinOp::And, x, mask);
        let hi = e.b.binary_imm(BinOp::Shl, hi, shift);
        x = e.b.binary(BinOp::Or, lo, hi);
    }
    e.b.unary(UnOp::ByteSwap, x)
}

fn multiply(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let op1 = bits(hw1, 6, 4);
    let op2 = bits(hw2, 5, 4);
    let rn = bits(hw1, 3, 0);
    let ra = bits(hw2, 15, 12);
    let rd = bits(hw2, 11, 8);
    let rm = bits(hw2, 3, 0);
    let a = e.r(rn);
    let m = e.r(rm);
    let r = match op1 {
        0b000 => {
            let p = e.b.binary(BinOp::Mul, a, m);
            match (op2, ra) {
                (0, 15) => p,
                (0, _) => {
                    let acc = e.r(ra);
                    e.b.binary(BinOp::Add, acc, p)
                }
                (1, _) => {
                    let acc = e.r(ra);
                    e.b.binary(BinOp::Sub, acc, p)
                }
                _ => return e.undefined(),
            }
        }
        _ if !e.fe.has_dsp() => return e.undefined(),
        0b001 => {
            // SMUL<x><y>, SMLA<x><y>: a 16 x 16 product (never overflows),
            // plus the accumulator (Q set on overflow).
            let x = half(e, a, bit(hw2, 5));
            let y = half(e, m, bit(hw2, 4));
            let p = e.b.binary(BinOp::Mul, x, y);
            match ra {
                15 => p,
                _ => {
                    let acc = e.r(ra);
                    add_setting_q(e, p, acc)
                }
            }
        }
        0b010 | 0b100 if op2 >> 1 == 0 => {
            let acc = if ra == 15 { None } else { Some(e.r(ra)) };
            let base = if op1 == 0b010 { dsp::SMLAD } else { dsp::SMLSD };
            dsp_call(e, base + (op2 & 1), a, m, acc)
        }
        0b011 if op2 >> 1 == 0 => {
            // SMULW<y>, SMLAW<y>: bits 47..16 of a 32 x 16 product, plus
            // the accumulator (Q set on overflow).
            let y = half(e, m, op2 & 1 == 1);
            let wa = e.b.sext(a, 32, Ty::I64);
            let wy = e.b.sext(y, 32, Ty::I64);
            let wide = e.b.binary(BinOp::Mul, wa, wy);
            let shifted = e.b.binary_imm(BinOp::ShrSigned, wide, 16);
            let p = e.b.zext(shifted, 32, I32);
            match ra {
                15 => p,
                _ => {
                    let acc = e.r(ra);
                    add_setting_q(e, p, acc)
                }
            }
        }
        0b101 | 0b110 if op2 >> 1 == 0 => {
            let acc = if ra == 15 { None } else { Some(e.r(ra)) };
            let base = if op1 == 0b101 { dsp::SMMLA } else { dsp::SMMLS };
            dsp_call(e, base + (op2 & 1), a, m, acc)
        }
        0b111 if op2 == 0 => {
            let acc = if ra == 15 { None } else { Some(e.r(ra)) };
            dsp_call(e, dsp::USADA8, a, m, acc)
        }
        _ => return e.undefined(),
    };
    e.w(rd, r);
    Flow::Next
}

fn long_multiply(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let op1 = bits(hw1, 6, 4);
    let op2 = bits(hw2, 7, 4);
    let rn = bits(hw1, 3, 0);
    let rdlo = bits(hw2, 15, 12);
    let rdhi = bits(hw2, 11, 8);
    let rm = bits(hw2, 3, 0);
    let a = e.r(rn);
    let m = e.r(rm);
    match (op1, op2) {
        (0b001, 0b1111) | (0b011, 0b1111) => {
            // SDIV/UDIV: a zero divisor gives 0, or traps with DIV_0_TRP.
            let rd = bits(hw2, 11, 8);
            let zero = e.k(0);
            let nonzero = e.b.compare(Cond::Ne, m, zero, I32);
            let l_ok = e.b.label();
            e.b.branch(nonzero, l_ok);
            e.b.call(H_DIV0, &[], None);
            e.b.set_label(l_ok);
            let op = if op1 == 0b001 {
                BinOp::DivSigned
            } else {
                BinOp::DivUnsigned
            };
            let q = e.b.binary(op, a, m);
            let r = e.b.select(nonzero, q, zero);
            e.w(rd, r);
            Flow::Next
        }
        (0b000, 0) | (0b010, 0) | (0b100, 0) | (0b110, 0) => {
            let signed = op1 & 0b010 == 0;
            let a64 = e.b.extend(a, 32, signed, Ty::I64);
            let m64 = e.b.extend(m, 32, signed, Ty::I64);
            let mut p = e.b.binary(BinOp::Mul, a64, m64);
            if op1 & 0b100 != 0 {
                let lo = e.r(rdlo);
                let hi = e.r(rdhi);
                let acc = join64(e, lo, hi);
                p = e.b.binary(BinOp::Add, p, acc);
            }
            write64(e, rdlo, rdhi, p);
            Flow::Next
        }
        (0b110, 0b0110) => {
            let lo = e.r(rdlo);
            let hi = e.r(rdhi);
            let acc = join64(e, lo, hi);
            let code = e.k(dsp::UMAAL);
            if let Some(r) = e.b.call(H_DSP, &[code, a, m, acc], Some(Ty::I64)) {
                write64(e, rdlo, rdhi, r);
            }
            Flow::Next
        }
        _ if !e.fe.has_dsp() => e.undefined(),
        (0b100, 0b1000..=0b1011) | (0b100, 0b1100 | 0b1101) | (0b101, 0b1100 | 0b1101) => {
            let code = match (op1, op2) {
                (0b100, 0b1000..=0b1011) => {
                    dsp::SMLALXY
                        + bits(hw2, 5, 5) * dsp::MUL_TOP_A
                        + bits(hw2, 4, 4) * dsp::MUL_TOP_B
                }
                (0b100, _) => dsp::SMLALD + (op2 & 1),
                _ => dsp::SMLSLD + (op2 & 1),
            };
            let lo = e.r(rdlo);
            let hi = e.r(rdhi);
            let acc = join64(e, lo, hi);
            let code = e.k(code);
            if let Some(r) = e.b.call(H_DSP, &[code, a, m, acc], Some(Ty::I64)) {
                write64(e, rdlo, rdhi, r);
            }
            Flow::Next
        }
        _ => e.undefined(),
    }
}

fn join64(e: &mut Emit, lo: Temp, hi: Temp) -> Temp {
    let lo64 = e.b.zext(lo, 32, Ty::I64);
    let hi64 = e.b.zext(hi, 32, Ty::I64);
    let hi64 = e.b.binary_imm(BinOp::Shl, hi64, 32);
    e.b.binary(BinOp::Or, lo64, hi64)
}

fn write64(e: &mut Emit, rdlo: u32, rdhi: u32, v: Temp) {
    let lo = e.b.zext(v, 32, I32);
    let hi = e.b.binary_imm(BinOp::ShrUnsigned, v, 32);
    let hi = e.b.zext(hi, 32, I32);
    e.w(rdlo, lo);
    e.w(rdhi, hi);
}

fn coprocessor(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let coproc = bits(hw2, 11, 8);
    if coproc & 0b1110 != 0b1010 || !e.fe.fpu {
        return e.undefined();
    }
    if !e.fp_enabled {
        e.b.call(H_NOCP, &[], None);
        let pc = e.pc;
        return e.return_to_loop(pc);
    }
    crate::vfp::emit(e, hw1, hw2)
}

#[cfg(test)]
mod tests {
    use super::expand_imm;

    #[test]
    fn modified_immediates_expand_as_the_architecture_says() {
        assert_eq!(expand_imm(0x0ab), (0xab, None));
        assert_eq!(expand_imm(0x1ab), (0x00ab_00ab, None));
        assert_eq!(expand_imm(0x2ab), (0xab00_ab00, None));
        assert_eq!(expand_imm(0x3ab), (0xabab_abab, None));
        assert_eq!(expand_imm(0x4ff), (0x7f80_0000, Some(false)));
        assert_eq!(expand_imm(0x47f), (0xff00_0000, Some(true)));
        assert_eq!(expand_imm(0x7ff), (0x01fe_0000, Some(false)));
    }
}
