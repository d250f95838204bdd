//! The inline float path against the soft-float reference: 60,000 random
//! arithmetic, comparison, min/max and conversion instructions (single and
//! double, static and dynamic round-to-nearest, toward zero) on operands
//! drawn near the edges where the host's result or flags could differ
//! (zeros, the least normal, subnormals, overflow, infinities, NaNs,
//! unboxed singles, the integer types' limits), run with `fflags.NX`
//! already set (the inline path) and, one run in eight, clear (the
//! helper), one in sixteen under another or a reserved `frm`. Each run's
//! result register and `fflags` must be what `float::compute` gives, or
//! the instruction must raise illegal-instruction.

mod common;

use chimera_engine::{Clock, ClusterRun};
use chimera_memory::Endian;
use chimera_riscv::float::{compute, fp_code};
use chimera_riscv::inst::{FpFmt, FpOp};
use common::{hart, Rng, BASE};

/// The operations with an inline path and their encodings: `funct5` of
/// OP-FP (with `rm` for comparisons), or the R4 opcode of fused forms.
const OPS: &[(FpOp, Encoding)] = &[
    (FpOp::Add, Encoding::OpFp(0x00)),
    (FpOp::Sub, Encoding::OpFp(0x01)),
    (FpOp::Mul, Encoding::OpFp(0x02)),
    (FpOp::Div, Encoding::OpFp(0x03)),
    (FpOp::Sqrt, Encoding::OpFp(0x0b)),
    (FpOp::Min, Encoding::Compare(0x05, 0)),
    (FpOp::Max, Encoding::Compare(0x05, 1)),
    (FpOp::Le, Encoding::Compare(0x14, 0)),
    (FpOp::Lt, Encoding::Compare(0x14, 1)),
    (FpOp::Eq, Encoding::Compare(0x14, 2)),
    (FpOp::MulAdd, Encoding::Fused(0x43)),
    (FpOp::MulSub, Encoding::Fused(0x47)),
    (FpOp::NegMulSub, Encoding::Fused(0x4b)),
    (FpOp::NegMulAdd, Encoding::Fused(0x4f)),
    (FpOp::ToW, Encoding::Convert(0x18, 0)),
    (FpOp::ToWu, Encoding::Convert(0x18, 1)),
    (FpOp::ToL, Encoding::Convert(0x18, 2)),
    (FpOp::ToLu, Encoding::Convert(0x18, 3)),
    (FpOp::FromW, Encoding::Convert(0x1a, 0)),
    (FpOp::FromWu, Encoding::Convert(0x1a, 1)),
    (FpOp::FromL, Encoding::Convert(0x1a, 2)),
    (FpOp::FromLu, Encoding::Convert(0x1a, 3)),
    (FpOp::FromOther, Encoding::Resize),
];

#[derive(Clone, Copy)]
enum Encoding {
    OpFp(u32),
    /// `funct5` and the `funct3` that selects the operation.
    Compare(u32, u32),
    Fused(u32),
    /// `funct5` and the `rs2` field that selects the integer type.
    Convert(u32, u32),
    /// `fcvt.s.d` / `fcvt.d.s`.
    Resize,
}

/// `op.fmt rd, f1, f2, f3` with rounding field `rm` (comparisons: `x`
/// register `rd`).
fn encode(enc: Encoding, double: bool, rm: u32, rd: u32) -> u32 {
    let fmt = u32::from(double);
    let (rs1, rs2, rs3) = (1, 2, 3);
    match enc {
        Encoding::OpFp(funct5) => {
            let rs2 = if funct5 == 0x0b { 0 } else { rs2 };
            (funct5 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x53
        }
        Encoding::Compare(funct5, funct3) => {
            (funct5 << 27)
                | (fmt << 25)
                | (rs2 << 20)
                | (rs1 << 15)
                | (funct3 << 12)
                | (rd << 7)
                | 0x53
        }
        Encoding::Convert(funct5, rs2) => {
            (funct5 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x53
        }
        Encoding::Resize => {
            // The source is the other format.
            let rs2 = 1 - fmt;
            (0x08 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x53
        }
        Encoding::Fused(opcode) => {
            (rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode
        }
    }
}

/// An operand near an edge: (sign, exponent field, fraction) drawn so that
/// results land on both sides of the least normal, of overflow and of
/// the integer types' ranges.
fn operand(rng: &mut Rng, double: bool) -> u64 {
    let (exp_bits, frac_bits) = if double { (11, 52) } else { (8, 23) };
    let max_exp = (1u64 << exp_bits) - 1;
    let bias = max_exp >> 1;
    let r = rng.next();
    let exp = match r % 9 {
        0 => 0,
        1 => 1 + (r >> 8) % 2,
        2 => max_exp,
        3 => max_exp - 1 - (r >> 8) % 2,
        // Halfway exponents: products and quotients of these reach both
        // the least normal and overflow.
        4 => bias / 2 + (r >> 8) % 4,
        5 => bias + bias / 2 - (r >> 8) % 4,
        // Around the integer types' limits.
        6 => bias + [30, 31, 32, 62, 63, 64][((r >> 8) % 6) as usize],
        _ => bias - 4 + (r >> 8) % 8,
    };
    let frac = match (r >> 16) % 4 {
        0 => 0,
        1 => 1,
        _ => rng.next() & ((1u64 << frac_bits) - 1),
    };
    let sign = (r >> 20) & 1;
    let bits = (sign << (exp_bits + frac_bits)) | (exp << frac_bits) | frac;
    if double {
        bits
    } else if rng.next() % 16 == 0 {
        // Not NaN-boxed: reads as the canonical NaN.
        bits | 0x1234_0000_0000_0000
    } else {
        bits | 0xffff_ffff_0000_0000
    }
}

/// One instruction run on the hart against the reference.
struct Case {
    op: FpOp,
    enc: Encoding,
    double: bool,
    rm: u32,
    operands: [u64; 3],
    flags: u8,
    /// `frm`: round-to-nearest mostly, sometimes another or a reserved one.
    frm: u8,
}

/// An integer to convert: small of either sign, near the formats'
/// precision limits, or any 64 bits.
fn integer(rng: &mut Rng) -> u64 {
    let r = rng.next();
    let near = |p: u32| (1u64 << p).wrapping_add((r >> 8) % 5).wrapping_sub(2);
    match r % 6 {
        0 => ((r >> 8) % 2001).wrapping_sub(1000),
        1 => near(24),
        2 => near(53),
        3 => near(31).wrapping_neg(),
        4 => near(63),
        _ => rng.next(),
    }
}

#[test]
fn inline_float_operations_match_soft_float() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // Products that round up to exactly the least normal: tiny before
    // reaching it, so they raise underflow though the result is normal.
    let mut cases: Vec<Case> = [
        (
            false,
            0x3f7f_ffff | 0xffff_ffff_0000_0000,
            0x0080_0000 | 0xffff_ffff_0000_0000,
        ),
        (true, 0x3fef_ffff_ffff_ffff, 0x0010_0000_0000_0000),
    ]
    .into_iter()
    .map(|(double, a, b)| Case {
        op: FpOp::Mul,
        enc: Encoding::OpFp(0x02),
        double,
        rm: 7,
        operands: [a, b, 0],
        flags: 1,
        frm: 0,
    })
    .collect();
    // fmin/fmax of zeros of both signs: -0 is the smaller.
    for (op, funct3) in [(FpOp::Min, 0), (FpOp::Max, 1)] {
        for double in [false, true] {
            let (plus, minus) = if double {
                (0, 1u64 << 63)
            } else {
                (0xffff_ffff_0000_0000, 0xffff_ffff_8000_0000)
            };
            for (a, b) in [(plus, minus), (minus, plus)] {
                cases.push(Case {
                    op,
                    enc: Encoding::Compare(0x05, funct3),
                    double,
                    rm: funct3,
                    operands: [a, b, 0],
                    flags: 1,
                    frm: 0,
                });
            }
        }
    }
    for _ in 0..60_000u32 {
        let (op, enc) = OPS[(rng.next() % OPS.len() as u64) as usize];
        let double = rng.next() & 1 == 0;
        let nx = rng.next() % 8 != 0;
        cases.push(Case {
            op,
            enc,
            double,
            // Dynamic and static round-to-nearest, and toward zero (C's
            // float-to-integer casts).
            rm: [0, 7, 1][(rng.next() % 3) as usize],
            operands: if op.reads_int() {
                [0; 3].map(|_| integer(&mut rng))
            } else {
                // fcvt.s.d and fcvt.d.s read the other format.
                let source_double = double != (op == FpOp::FromOther);
                [0; 3].map(|_| operand(&mut rng, source_double))
            },
            flags: (rng.next() as u8 & 0x1e) | u8::from(nx),
            frm: if rng.next() % 16 == 0 {
                (rng.next() % 8) as u8
            } else {
                0
            },
        });
    }
    let (mut cluster, ram) = hart(64);
    let clock = Clock::new();
    let mut inline_runs = 0;
    for (run, case) in cases.iter().enumerate() {
        let Case {
            op,
            enc,
            double,
            rm,
            operands: [a, b, c],
            flags,
            frm,
        } = *case;
        let nx = flags & 1 != 0;
        let rd = 5;
        let word = encode(enc, double, rm, rd);
        ram.write(0, 4, Endian::Little, u64::from(word)).unwrap();
        cluster.reset();
        {
            let cpu = cluster.cpu_state_mut(0).unwrap();
            cpu.csr.mstatus |= 1 << 13;
            cpu.csr.frm = frm;
            cpu.csr.mtvec = BASE + 0x100;
            cpu.csr.mcause = 0;
            cpu.csr.fflags = flags;
            cpu.regs[32 + 1] = a;
            cpu.regs[1] = a;
            cpu.regs[32 + 2] = b;
            cpu.regs[32 + 3] = c;
            cpu.pc = BASE;
        }
        inline_runs += u32::from(nx);
        cluster.step(0, &clock);
        let cpu = cluster.cpu_state(0).unwrap();
        let fmt = if double { FpFmt::D } else { FpFmt::S };
        let funct3 = match enc {
            Encoding::Compare(_, f) => f as u8,
            _ => rm as u8,
        };
        let what = format!(
            "run {run}: {op:?}.{fmt:?} rm {rm} of {a:#x}, {b:#x}, {c:#x}, fflags {flags:#x}, frm {frm}"
        );
        let Ok((want, raised)) = compute(fp_code(op, fmt, funct3), a, b, c, frm) else {
            // A reserved rounding mode: illegal instruction.
            assert_eq!(cpu.pc, BASE + 0x100, "{what}: did not trap");
            assert_eq!(cpu.csr.mcause, 2, "{what}: cause");
            continue;
        };
        let got = if op.writes_int() {
            cpu.regs[rd as usize]
        } else {
            cpu.regs[32 + rd as usize]
        };
        assert_eq!(cpu.pc, BASE + 4, "{what}: did not retire");
        assert_eq!(got, want, "{what}: result");
        assert_eq!(cpu.csr.fflags, flags | raised, "{what}: fflags");
    }
    assert!(inline_runs > 50_000);
}
