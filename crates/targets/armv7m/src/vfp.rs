//! The FPv4-SP floating-point instructions of the Cortex-M4F (ARMv7-M
//! ARM, A6): register transfers and loads/stores in IR; arithmetic,
//! comparisons and conversions through the FPU helper (`fpu.rs`), which
//! applies FPSCR's rounding mode, default-NaN and flush-to-zero controls.

use chimera_engine::ir::{BinOp, Global, Temp, Ty};

use crate::cpu::{G_C, G_FPSCR, G_N, G_S0, G_V, G_Z};
use crate::fpu::op;
use crate::hardfloat::{self, Inlined};
use crate::helpers::{H_FP_ACTIVE, H_VFP};
use crate::translate::{Emit, Flow};

const I32: Ty = Ty::I32;

fn bits(v: u32, hi: u32, lo: u32) -> u32 {
    (v >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn s_reg(e: &mut Emit, s: u32) -> Temp {
    e.b.get(Global(G_S0 + s), I32)
}

fn set_s_reg(e: &mut Emit, s: u32, t: Temp) {
    e.b.set(Global(G_S0 + s), t);
}

/// VFPExpandImm for single precision.
pub fn expand_imm(imm8: u32) -> u32 {
    let b6 = (imm8 >> 6) & 1;
    let exp = ((b6 ^ 1) << 7) | (if b6 == 1 { 0x7c } else { 0 }) | ((imm8 >> 4) & 3);
    ((imm8 >> 7) << 31) | (exp << 23) | ((imm8 & 0xf) << 19)
}

/// Emits one VFP instruction (coprocessor 10/11 space).
pub fn emit(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    if bit(hw1, 12) {
        return e.undefined();
    }
    if !e.fp_active {
        e.b.call(H_FP_ACTIVE, &[], None);
        e.fp_active = true;
    }
    let double = bit(hw2, 8);
    if bits(hw1, 11, 9) == 0b110 {
        return load_store(e, hw1, hw2, double);
    }
    if bits(hw1, 11, 8) != 0b1110 {
        return e.undefined();
    }
    if bit(hw2, 4) {
        transfer(e, hw1, hw2, double)
    } else if double {
        // FPv4-SP has no double-precision arithmetic.
        e.undefined()
    } else {
        data_processing(e, hw1, hw2)
    }
}

fn bit(v: u32, n: u32) -> bool {
    v & (1 << n) != 0
}

fn load_store(e: &mut Emit, hw1: u32, hw2: u32, double: bool) -> Flow {
    let rn = bits(hw1, 3, 0);
    let d_bit = bits(hw1, 6, 6);
    let vd = bits(hw2, 15, 12);
    let first = if double {
        (d_bit << 4) | vd
    } else {
        (vd << 1) | d_bit
    };
    let imm8 = bits(hw2, 7, 0);
    let opcode = bits(hw1, 8, 4);
    if opcode & 0b11110 == 0b00100 {
        return transfer64(e, hw1, hw2, double);
    }
    let (p, u, w, load) = (bit(hw1, 8), bit(hw1, 7), bit(hw1, 5), bit(hw1, 4));
    if p && !w {
        // VLDR/VSTR.
        let base = if rn == 15 {
            e.k(e.pc_aligned())
        } else {
            e.r(rn)
        };
        let addr = if u {
            e.b.add_imm(base, u64::from(imm8 * 4))
        } else {
            e.b.binary_imm(BinOp::Sub, base, u64::from(imm8 * 4))
        };
        let words = if double { 2 } else { 1 };
        return words_at(e, addr, first * words, words, load);
    }
    if p == u || (rn == 15 && w) {
        return e.undefined();
    }
    // VLDM/VSTM (VPUSH/VPOP on SP).
    let count = if double { imm8 & !1 } else { imm8 };
    let regs = if double { 2 * first } else { first };
    if count == 0 || regs + count > 32 {
        return e.undefined();
    }
    let base = e.r(rn);
    let start = if u {
        base
    } else {
        e.b.binary_imm(BinOp::Sub, base, u64::from(4 * count))
    };
    let end = if u {
        e.b.add_imm(base, u64::from(4 * count))
    } else {
        start
    };
    let flow = words_at(e, start, regs, count, load);
    if w {
        e.w(rn, end);
    }
    flow
}

/// Moves `count` single registers from `first` to or from consecutive
/// words at `addr`.
fn words_at(e: &mut Emit, addr: Temp, first: u32, count: u32, load: bool) -> Flow {
    e.check_aligned(addr, 4);
    let mut loaded = Vec::new();
    for i in 0..count {
        let a = e.b.add_imm(addr, u64::from(4 * i));
        if load {
            let v = e.load(a, 4, false);
            loaded.push((first + i, v));
        } else {
            let v = s_reg(e, first + i);
            e.store(a, v, 4);
        }
    }
    for (s, v) in loaded {
        set_s_reg(e, s, v);
    }
    Flow::Next
}

fn transfer64(e: &mut Emit, hw1: u32, hw2: u32, double: bool) -> Flow {
    let to_core = bit(hw1, 4);
    let rt = bits(hw2, 15, 12);
    let rt2 = bits(hw1, 3, 0);
    let vm = bits(hw2, 3, 0);
    let m = bits(hw2, 5, 5);
    let s = if double {
        2 * ((m << 4) | vm)
    } else {
        (vm << 1) | m
    };
    if s > 30 || rt == 15 || rt2 == 15 || (to_core && rt == rt2) {
        return e.undefined();
    }
    if to_core {
        let a = s_reg(e, s);
        let b = s_reg(e, s + 1);
        e.w(rt, a);
        e.w(rt2, b);
    } else {
        let a = e.r(rt);
        let b = e.r(rt2);
        set_s_reg(e, s, a);
        set_s_reg(e, s + 1, b);
    }
    Flow::Next
}

fn transfer(e: &mut Emit, hw1: u32, hw2: u32, double: bool) -> Flow {
    let a = bits(hw1, 7, 5);
    let to_core = bit(hw1, 4);
    let rt = bits(hw2, 15, 12);
    if double {
        // VMOV.32 between a core register and half of a D register.
        if a & 0b110 != 0 || bits(hw2, 6, 5) != 0 {
            return e.undefined();
        }
        let d = (bits(hw2, 7, 7) << 4) | bits(hw1, 3, 0);
        let s = 2 * d + bits(hw1, 5, 5);
        if d >= 16 || rt == 15 {
            return e.undefined();
        }
        if to_core {
            let v = s_reg(e, s);
            e.w(rt, v);
        } else {
            let v = e.r(rt);
            set_s_reg(e, s, v);
        }
        return Flow::Next;
    }
    match (a, to_core) {
        (0b000, _) => {
            let s = (bits(hw1, 3, 0) << 1) | bits(hw2, 7, 7);
            if rt == 15 {
                return e.undefined();
            }
            if to_core {
                let v = s_reg(e, s);
                e.w(rt, v);
            } else {
                let v = e.r(rt);
                set_s_reg(e, s, v);
            }
            Flow::Next
        }
        (0b111, false) => {
            // VMSR FPSCR, Rt.
            if bits(hw1, 3, 0) != 1 || rt == 15 {
                return e.undefined();
            }
            let v = e.r(rt);
            fpu_call(e, op::VMSR, v, 0, 0);
            let next = e.next;
            e.return_to_loop(next)
        }
        (0b111, true) => {
            // VMRS Rt, FPSCR (APSR_nzcv when Rt is 15).
            if bits(hw1, 3, 0) != 1 {
                return e.undefined();
            }
            let v = e.b.get(Global(G_FPSCR), I32);
            if rt == 15 {
                for (bit, g) in [(31, G_N), (30, G_Z), (29, G_C), (28, G_V)] {
                    let shifted = e.b.binary_imm(BinOp::ShrUnsigned, v, bit);
                    let flag = e.b.binary_imm(BinOp::And, shifted, 1);
                    e.b.set(Global(g), flag);
                }
            } else {
                e.w(rt, v);
            }
            Flow::Next
        }
        _ => e.undefined(),
    }
}

/// Calls the FPU helper: `op` with a value (or register index) in `v`
/// and register indices `n` and `m`; gives its result.
fn fpu_call(e: &mut Emit, code: u32, v: Temp, n: u32, m: u32) -> Temp {
    let code = e.k(code);
    let n = e.k(n);
    let m = e.k(m);
    match e.b.call(H_VFP, &[code, v, n, m], Some(I32)) {
        Some(t) => t,
        None => unreachable!("a call with a result type gives a temporary"),
    }
}

fn data_processing(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let d = (bits(hw2, 15, 12) << 1) | bits(hw1, 6, 6);
    let n = (bits(hw1, 3, 0) << 1) | bits(hw2, 7, 7);
    let m = (bits(hw2, 3, 0) << 1) | bits(hw2, 5, 5);
    let opc1 = (bits(hw1, 7, 7) << 2) | bits(hw1, 5, 4);
    let o = bits(hw2, 6, 6);
    let code = match (opc1, o) {
        (0b000, 0) => op::VMLA,
        (0b000, _) => op::VMLS,
        (0b001, 0) => op::VNMLS,
        (0b001, _) => op::VNMLA,
        (0b010, 0) => op::VMUL,
        (0b010, _) => op::VNMUL,
        (0b011, 0) => op::VADD,
        (0b011, _) => op::VSUB,
        (0b100, 0) => op::VDIV,
        (0b101, 0) => op::VFNMS,
        (0b101, _) => op::VFNMA,
        (0b110, 0) => op::VFMA,
        (0b110, _) => op::VFMS,
        (0b111, _) => return other(e, hw1, hw2, d, m),
        _ => return e.undefined(),
    };
    fpu_op(e, code, d, n, m)
}

/// FPU operation `code` on `d`, `n`, `m`: inline where the block may
/// round on the host, through the helper otherwise or where the inline
/// checks fail.
fn fpu_op(e: &mut Emit, code: u32, d: u32, n: u32, m: u32) -> Flow {
    let slow = e.b.label();
    let done = e.b.label();
    let inlined = hardfloat::emit_inline(e, code, d, n, m, slow);
    match inlined {
        Inlined::Complete => return Flow::Next,
        Inlined::WithFallback => {
            e.b.jump(done);
            e.b.set_label(slow);
        }
        Inlined::No => {}
    }
    let dv = e.k(d);
    fpu_call(e, code, dv, n, m);
    if inlined == Inlined::WithFallback {
        e.b.set_label(done);
    }
    Flow::Next
}

fn other(e: &mut Emit, hw1: u32, hw2: u32, d: u32, m: u32) -> Flow {
    let opc2 = bits(hw1, 3, 0);
    let opc3 = bits(hw2, 7, 6);
    if opc3 & 1 == 0 {
        // VMOV (immediate).
        let v = expand_imm((bits(hw1, 3, 0) << 4) | bits(hw2, 3, 0));
        let t = e.k(v);
        set_s_reg(e, d, t);
        return Flow::Next;
    }
    let t = opc3 >> 1;
    let code = match (opc2, t) {
        (0b0000, 0) => {
            let v = s_reg(e, m);
            set_s_reg(e, d, v);
            return Flow::Next;
        }
        (0b0000, _) => {
            let v = s_reg(e, m);
            let r = e.b.binary_imm(BinOp::And, v, 0x7fff_ffff);
            set_s_reg(e, d, r);
            return Flow::Next;
        }
        (0b0001, 0) => {
            let v = s_reg(e, m);
            let r = e.b.binary_imm(BinOp::Xor, v, 0x8000_0000);
            set_s_reg(e, d, r);
            return Flow::Next;
        }
        (0b0001, _) => return fpu_op(e, op::VSQRT, d, 0, m),
        (0b0010, _) => op::VCVT_F32_F16,
        (0b0011, _) => op::VCVT_F16_F32,
        (0b0100, _) => return fpu_op(e, op::VCMP + t, d, 0, m),
        (0b0101, _) => return fpu_op(e, op::VCMP_ZERO + t, d, 0, m),
        (0b1000, _) => return fpu_op(e, op::VCVT_F32_U32 + t, d, 0, m),
        (0b1010 | 0b1011 | 0b1110 | 0b1111, _) => {
            // VCVT between floating point and fixed point: `d` is both
            // source and destination; the fraction bits are imm4:i.
            let to_fixed = opc2 & 0b100 != 0;
            let unsigned = opc2 & 1 != 0;
            let size = if t == 1 { 32 } else { 16 };
            let imm5 = (bits(hw2, 3, 0) << 1) | bits(hw2, 5, 5);
            let frac = size - imm5;
            let code = op::FIXED
                | (u32::from(to_fixed) << 8)
                | (u32::from(unsigned) << 9)
                | (u32::from(size == 16) << 10)
                | frac;
            let dv = e.k(d);
            fpu_call(e, code, dv, d, d);
            return Flow::Next;
        }
        (0b1100, _) => return fpu_op(e, op::VCVT_U32_F32 + t, d, 0, m),
        (0b1101, _) => return fpu_op(e, op::VCVT_S32_F32 + t, d, 0, m),
        _ => return e.undefined(),
    };
    let dv = e.k(d);
    let n = if matches!(opc2, 0b0010 | 0b0011) {
        // VCVTB/VCVTT: T selects the top half.
        bits(hw2, 7, 7)
    } else {
        0
    };
    fpu_call(e, code, dv, n, m);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::expand_imm;

    #[test]
    fn vmov_immediates_expand_to_single_precision() {
        assert_eq!(expand_imm(0x70), 0x3f80_0000); // 1.0
        assert_eq!(expand_imm(0x00), 0x4000_0000); // 2.0
        assert_eq!(expand_imm(0xf0), 0xbf80_0000); // -1.0
        assert_eq!(expand_imm(0x60), 0x3f00_0000); // 0.5
        assert_eq!(expand_imm(0x40), 0x3e00_0000); // 0.125
    }
}
