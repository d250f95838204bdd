//! The ARMv7E-M DSP extension's arithmetic as plain functions: packed
//! 8- and 16-bit add and subtract (plain, saturating, halving), SEL,
//! saturation, the halfword and most-significant-word multiplies, sum of
//! absolute differences, packing and extension of byte pairs. The IR
//! reaches them through one helper with an operation code.

/// What an operation gives: its value (64 bits for the long multiplies),
/// whether it saturated (sets Q) and the new GE flags, if it sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DspOut {
    /// The result.
    pub value: u64,
    /// Saturation or overflow happened: set APSR.Q.
    pub q: bool,
    /// New APSR.GE bits.
    pub ge: Option<u32>,
}

/// Packed add/subtract families: `PAR_BASE + prefix * 8 + kind`.
pub const PAR_BASE: u32 = 0;
/// Prefixes of the packed operations, in encoding order of `op1` bits.
pub mod prefix {
    /// Signed, sets GE.
    pub const S: u32 = 0;
    /// Signed saturating.
    pub const Q: u32 = 1;
    /// Signed halving.
    pub const SH: u32 = 2;
    /// Unsigned, sets GE.
    pub const U: u32 = 3;
    /// Unsigned saturating.
    pub const UQ: u32 = 4;
    /// Unsigned halving.
    pub const UH: u32 = 5;
}
/// Kinds of the packed operations.
pub mod kind {
    /// Two halfword additions.
    pub const ADD16: u32 = 0;
    /// High halves add, low halves subtract (with exchange).
    pub const ASX: u32 = 1;
    /// High halves subtract, low halves add (with exchange).
    pub const SAX: u32 = 2;
    /// Two halfword subtractions.
    pub const SUB16: u32 = 3;
    /// Four byte additions.
    pub const ADD8: u32 = 4;
    /// Four byte subtractions.
    pub const SUB8: u32 = 7;
}

/// `QADD a, b`.
pub const QADD: u32 = 64;
/// `QSUB a, b`.
pub const QSUB: u32 = 65;
/// `QDADD a, b` (a + 2b).
pub const QDADD: u32 = 66;
/// `QDSUB a, b` (a - 2b).
pub const QDSUB: u32 = 67;
/// `SSAT a to b bits`.
pub const SSAT: u32 = 68;
/// `USAT a to b bits`.
pub const USAT: u32 = 69;
/// `SSAT16 a to b bits`.
pub const SSAT16: u32 = 70;
/// `USAT16 a to b bits`.
pub const USAT16: u32 = 71;
/// `SEL a, b` by GE.
pub const SEL: u32 = 72;
/// `USADA8 a, b, acc c`.
pub const USADA8: u32 = 73;
/// `SMLA<x><y> a, b, acc c`; halves chosen by `MUL_TOP_A` / `MUL_TOP_B`
/// added to the op.
pub const SMLAXY: u32 = 80;
/// `SMLAW<y> a, b, acc c`.
pub const SMLAWY: u32 = 84;
/// `SMLAD{X} a, b, acc c` (+X: `MUL_TOP_A`).
pub const SMLAD: u32 = 88;
/// `SMLSD{X} a, b, acc c`.
pub const SMLSD: u32 = 90;
/// `SMMLA{R} a, b, acc c` (+1: rounding).
pub const SMMLA: u32 = 92;
/// `SMMLS{R} a, b, acc c` (+1: rounding).
pub const SMMLS: u32 = 94;
/// `SXTAB16 a, rotated b`.
pub const SXTAB16: u32 = 96;
/// `UXTAB16 a, rotated b`.
pub const UXTAB16: u32 = 97;
/// `PKHBT a, b` (b already shifted).
pub const PKHBT: u32 = 98;
/// `PKHTB a, b` (b already shifted).
pub const PKHTB: u32 = 99;
/// `SMLAL<x><y> a, b, acc (c = lo | hi << 32 packed by the caller)`.
pub const SMLALXY: u32 = 100;
/// `SMLALD{X}` (+1: exchange).
pub const SMLALD: u32 = 104;
/// `SMLSLD{X}` (+1: exchange).
pub const SMLSLD: u32 = 106;
/// `UMAAL a, b, lo + hi in c`.
pub const UMAAL: u32 = 108;
/// Added to SMLAXY/SMLALXY: take the top half of `a`.
pub const MUL_TOP_A: u32 = 2;
/// Added to SMLAXY/SMLAWY/SMLALXY: take the top half of `b`.
pub const MUL_TOP_B: u32 = 1;

fn sat_signed(v: i64, bits: u32) -> (u32, bool) {
    let max = (1i64 << (bits - 1)) - 1;
    let min = -(1i64 << (bits - 1));
    if v > max {
        (max as u32, true)
    } else if v < min {
        (min as u32, true)
    } else {
        (v as u32, false)
    }
}

fn sat_unsigned(v: i64, bits: u32) -> (u32, bool) {
    let max = (1i64 << bits) - 1;
    if v > max {
        (max as u32, true)
    } else if v < 0 {
        (0, true)
    } else {
        (v as u32, false)
    }
}

fn half(v: u32, top: bool) -> i64 {
    i64::from(if top { (v >> 16) as i16 } else { v as i16 })
}

fn lanes(v: u32, bytes: bool) -> Vec<u32> {
    if bytes {
        (0..4).map(|i| (v >> (8 * i)) & 0xff).collect()
    } else {
        vec![v & 0xffff, v >> 16]
    }
}

fn packed(pre: u32, k: u32, a: u32, b: u32) -> DspOut {
    let bytes = k >= kind::ADD8;
    let width = if bytes { 8 } else { 16 };
    let signed = pre <= prefix::SH;
    let (la, lb) = (lanes(a, bytes), lanes(b, bytes));
    let ext = |v: u32| -> i64 {
        if signed {
            if bytes {
                i64::from(v as u8 as i8)
            } else {
                i64::from(v as u16 as i16)
            }
        } else {
            i64::from(v)
        }
    };
    let n = la.len();
    let mut value = 0u32;
    let mut ge = 0u32;
    for i in 0..n {
        // ASX/SAX pair a's lane with b's other lane.
        let (x, y, add) = match k {
            kind::ASX => (ext(la[i]), ext(lb[1 - i]), i == 1),
            kind::SAX => (ext(la[i]), ext(lb[1 - i]), i == 0),
            kind::ADD16 | kind::ADD8 => (ext(la[i]), ext(lb[i]), true),
            _ => (ext(la[i]), ext(lb[i]), false),
        };
        let r = if add { x + y } else { x - y };
        let lane = match pre {
            prefix::Q => sat_signed(r, width).0,
            prefix::UQ => sat_unsigned(r, width).0,
            prefix::SH | prefix::UH => (r >> 1) as u32,
            _ => r as u32,
        };
        let ge_set = if signed {
            r >= 0
        } else if add {
            r >= 1 << width
        } else {
            r >= 0
        };
        if ge_set {
            ge |= if bytes { 1 << i } else { 3 << (2 * i) };
        }
        let mask = (1u32 << width) - 1;
        value |= (lane & mask) << (width * i as u32);
    }
    DspOut {
        value: u64::from(value),
        q: false,
        ge: (pre == prefix::S || pre == prefix::U).then_some(ge),
    }
}

fn out(value: u32, q: bool) -> DspOut {
    DspOut {
        value: u64::from(value),
        q,
        ge: None,
    }
}

/// Evaluates DSP operation `op` on `a`, `b` and `c` with the current GE
/// flags `ge`.
pub fn eval(op: u32, a: u32, b: u32, c: u32, ge: u32) -> DspOut {
    let (sa, sb, sc) = (
        i64::from(a as i32),
        i64::from(b as i32),
        i64::from(c as i32),
    );
    match op {
        0..=47 => packed(op / 8, op % 8, a, b),
        QADD => {
            let (v, q) = sat_signed(sa + sb, 32);
            out(v, q)
        }
        QSUB => {
            let (v, q) = sat_signed(sa - sb, 32);
            out(v, q)
        }
        QDADD | QDSUB => {
            let (d, q1) = sat_signed(2 * sb, 32);
            let d = i64::from(d as i32);
            let (v, q2) = sat_signed(if op == QDADD { sa + d } else { sa - d }, 32);
            out(v, q1 || q2)
        }
        SSAT => {
            let (v, q) = sat_signed(sa, b.clamp(1, 32));
            out(v, q)
        }
        USAT => {
            let (v, q) = sat_unsigned(sa, b.min(31));
            out(v, q)
        }
        SSAT16 | USAT16 => {
            let mut q = false;
            let mut v = 0;
            for i in 0..2 {
                let h = half(a, i == 1);
                let (r, s) = if op == SSAT16 {
                    sat_signed(h, b.clamp(1, 16))
                } else {
                    sat_unsigned(h, b.min(15))
                };
                q |= s;
                v |= (r & 0xffff) << (16 * i);
            }
            out(v, q)
        }
        SEL => {
            let mut v = 0;
            for i in 0..4 {
                let src = if ge & (1 << i) != 0 { a } else { b };
                v |= src & (0xff << (8 * i));
            }
            out(v, false)
        }
        USADA8 => {
            let sum: u32 = (0..4)
                .map(|i| {
                    let (x, y) = ((a >> (8 * i)) & 0xff, (b >> (8 * i)) & 0xff);
                    x.abs_diff(y)
                })
                .sum();
            out(sum.wrapping_add(c), false)
        }
        SMLAXY..=83 => {
            let p = half(a, op & MUL_TOP_A != 0) * half(b, op & MUL_TOP_B != 0);
            let r = p + sc;
            out(r as u32, r != i64::from(r as i32))
        }
        SMLAWY..=85 => {
            let p = (sa * half(b, op & MUL_TOP_B != 0)) >> 16;
            let r = p + sc;
            out(r as u32, r != i64::from(r as i32))
        }
        SMLAD..=89 | SMLSD..=91 => {
            let x = (op & 1) != 0;
            let p1 = half(a, false) * half(b, x);
            let p2 = half(a, true) * half(b, !x);
            let r = if op < SMLSD {
                p1 + p2 + sc
            } else {
                p1 - p2 + sc
            };
            out(r as u32, r != i64::from(r as i32))
        }
        SMMLA..=95 => {
            let round = if op & 1 != 0 { 0x8000_0000 } else { 0 };
            let p = sa * sb;
            let acc = sc << 32;
            let r = if op < SMMLS { acc + p } else { acc - p };
            out(((r + round) >> 32) as u32, false)
        }
        SXTAB16 | UXTAB16 => {
            let mut v = 0u32;
            for i in 0..2 {
                let byte = (b >> (16 * i)) & 0xff;
                let ext = if op == SXTAB16 {
                    byte as u8 as i8 as i32 as u32
                } else {
                    byte
                };
                let h = ((a >> (16 * i)) as u16 as u32).wrapping_add(ext) & 0xffff;
                v |= h << (16 * i);
            }
            out(v, false)
        }
        PKHBT => out((a & 0xffff) | (b & 0xffff_0000), false),
        PKHTB => out((a & 0xffff_0000) | (b & 0xffff), false),
        _ => out(0, false),
    }
}

/// Evaluates a long (64-bit accumulating) DSP operation.
pub fn eval_long(op: u32, a: u32, b: u32, acc: u64) -> u64 {
    let acc_s = acc as i64;
    match op {
        SMLALXY..=103 => {
            let p = half(a, op & MUL_TOP_A != 0) * half(b, op & MUL_TOP_B != 0);
            acc_s.wrapping_add(p) as u64
        }
        SMLALD | 105 | SMLSLD | 107 => {
            let x = op & 1 != 0;
            let p1 = half(a, false) * half(b, x);
            let p2 = half(a, true) * half(b, !x);
            let p = if op < SMLSLD { p1 + p2 } else { p1 - p2 };
            acc_s.wrapping_add(p) as u64
        }
        UMAAL => {
            let p = u64::from(a) * u64::from(b);
            p.wrapping_add(acc & 0xffff_ffff).wrapping_add(acc >> 32)
        }
        _ => acc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_byte_add_sets_ge_on_unsigned_carry() {
        let r = eval(prefix::U * 8 + kind::ADD8, 0xff01_80ff, 0x0101_8001, 0, 0);
        assert_eq!(r.value, 0x0002_0000);
        assert_eq!(r.ge, Some(0b1011));
    }

    #[test]
    fn saturating_ops_set_q() {
        assert_eq!(eval(QADD, 0x7fff_ffff, 1, 0, 0), out(0x7fff_ffff, true));
        assert_eq!(
            eval(SSAT, (-300i32) as u32, 8, 0, 0),
            out(0xffff_ff80, true)
        );
        assert_eq!(eval(USAT, 300, 8, 0, 0), out(255, true));
        assert_eq!(eval(USAT, 3, 8, 0, 0), out(3, false));
    }

    #[test]
    fn halfword_multiply_accumulate_overflow_sets_q() {
        let r = eval(SMLAXY, 0x7fff, 0x7fff, 0x7fff_ffff, 0);
        assert!(r.q);
        assert_eq!(
            eval_long(UMAAL, 0xffff_ffff, 0xffff_ffff, u64::MAX),
            u64::MAX
        );
    }
}
