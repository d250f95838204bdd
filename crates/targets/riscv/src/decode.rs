//! The 32-bit instruction decoder (RV32I/RV64I, M, A, F, D, Zicsr,
//! Zifencei, and the machine-mode system instructions).

use crate::inst::{Alu, AmoOp, BranchCond, CboOp, CsrOp, FpFmt, FpOp, Inst, Sgnj, Unary};

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn sext(value: u32, width: u32) -> i64 {
    let shift = 64 - width;
    ((u64::from(value) << shift) as i64) >> shift
}

fn imm_i(w: u32) -> i64 {
    sext(w >> 20, 12)
}

fn imm_s(w: u32) -> i64 {
    sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12)
}

fn imm_b(w: u32) -> i64 {
    sext(
        (bits(w, 31, 31) << 12)
            | (bits(w, 7, 7) << 11)
            | (bits(w, 30, 25) << 5)
            | (bits(w, 11, 8) << 1),
        13,
    )
}

fn imm_j(w: u32) -> i64 {
    sext(
        (bits(w, 31, 31) << 20)
            | (bits(w, 19, 12) << 12)
            | (bits(w, 20, 20) << 11)
            | (bits(w, 30, 21) << 1),
        21,
    )
}

/// Decodes a 32-bit instruction for a hart of `xlen` bits.
pub fn decode32(w: u32, xlen: u32) -> Inst {
    let rd = bits(w, 11, 7) as u8;
    let rs1 = bits(w, 19, 15) as u8;
    let rs2 = bits(w, 24, 20) as u8;
    let f3 = bits(w, 14, 12);
    let f7 = bits(w, 31, 25);
    let rv64 = xlen == 64;
    match w & 0x7f {
        0x37 => Inst::Lui {
            rd,
            imm: sext(w & 0xffff_f000, 32),
        },
        0x17 => Inst::Auipc {
            rd,
            imm: sext(w & 0xffff_f000, 32),
        },
        0x6f => Inst::Jal {
            rd,
            offset: imm_j(w),
        },
        0x67 if f3 == 0 => Inst::Jalr {
            rd,
            rs1,
            offset: imm_i(w),
        },
        0x63 => {
            let cond = match f3 {
                0 => BranchCond::Eq,
                1 => BranchCond::Ne,
                4 => BranchCond::Lt,
                5 => BranchCond::Ge,
                6 => BranchCond::Ltu,
                7 => BranchCond::Geu,
                _ => return Inst::Illegal,
            };
            Inst::Branch {
                cond,
                rs1,
                rs2,
                offset: imm_b(w),
            }
        }
        0x03 => {
            let (size, signed) = match f3 {
                0 => (1, true),
                1 => (2, true),
                2 => (4, true),
                3 if rv64 => (8, true),
                4 => (1, false),
                5 => (2, false),
                6 if rv64 => (4, false),
                _ => return Inst::Illegal,
            };
            Inst::Load {
                rd,
                rs1,
                offset: imm_i(w),
                size,
                signed,
            }
        }
        0x23 => {
            let size = match f3 {
                0 => 1,
                1 => 2,
                2 => 4,
                3 if rv64 => 8,
                _ => return Inst::Illegal,
            };
            Inst::Store {
                rs1,
                rs2,
                offset: imm_s(w),
                size,
            }
        }
        0x13 => {
            let imm = imm_i(w);
            let op = match f3 {
                0 => Alu::Add,
                2 => Alu::Slt,
                3 => Alu::Sltu,
                4 => Alu::Xor,
                6 => Alu::Or,
                7 => Alu::And,
                1 | 5 => {
                    return bitmanip_imm(w, rd, rs1, rv64)
                        .unwrap_or_else(|| shift_imm(w, rd, rs1, xlen, false))
                }
                _ => return Inst::Illegal,
            };
            Inst::AluImm {
                op,
                rd,
                rs1,
                imm,
                word: false,
            }
        }
        0x1b if rv64 => match f3 {
            0 => Inst::AluImm {
                op: Alu::Add,
                rd,
                rs1,
                imm: imm_i(w),
                word: true,
            },
            1 | 5 => bitmanip_imm_w(w, rd, rs1).unwrap_or_else(|| shift_imm(w, rd, rs1, 32, true)),
            _ => Inst::Illegal,
        },
        0x33 => match alu_reg(f3, f7).or_else(|| bitmanip_reg(f3, f7)) {
            Some(op) => Inst::AluReg {
                op,
                rd,
                rs1,
                rs2,
                word: false,
            },
            None if (f7, f3, rs2, rv64) == (0x04, 4, 0, false) => {
                unary(Unary::ZextH, rd, rs1, false)
            }
            None => Inst::Illegal,
        },
        0x3b if rv64 => match alu_reg(f3, f7) {
            Some(op)
                if matches!(
                    op,
                    Alu::Add
                        | Alu::Sub
                        | Alu::Sll
                        | Alu::Srl
                        | Alu::Sra
                        | Alu::Mul
                        | Alu::Div
                        | Alu::Divu
                        | Alu::Rem
                        | Alu::Remu
                ) =>
            {
                Inst::AluReg {
                    op,
                    rd,
                    rs1,
                    rs2,
                    word: true,
                }
            }
            _ => bitmanip_reg_w(w, rd, rs1, rs2),
        },
        0x0f => match f3 {
            0 => Inst::Fence,
            1 => Inst::FenceI,
            2 if rd == 0 => CboOp::from_imm(u64::from(w >> 20))
                .map_or(Inst::Illegal, |op| Inst::CacheBlock { op, rs1 }),
            _ => Inst::Illegal,
        },
        0x2f => decode_amo(w, rd, rs1, rs2, f3, rv64),
        0x07 | 0x27 => {
            let fmt = match f3 {
                2 => FpFmt::S,
                3 => FpFmt::D,
                _ => return Inst::Illegal,
            };
            if w & 0x20 == 0 {
                Inst::FpLoad {
                    fmt,
                    rd,
                    rs1,
                    offset: imm_i(w),
                }
            } else {
                Inst::FpStore {
                    fmt,
                    rs1,
                    rs2,
                    offset: imm_s(w),
                }
            }
        }
        0x43 | 0x47 | 0x4b | 0x4f => {
            let op = match w & 0x7f {
                0x43 => FpOp::MulAdd,
                0x47 => FpOp::MulSub,
                0x4b => FpOp::NegMulSub,
                _ => FpOp::NegMulAdd,
            };
            match (fp_fmt(f7 & 3), valid_rm(f3)) {
                (Some(fmt), true) => Inst::Fp {
                    op,
                    fmt,
                    rd,
                    rs1,
                    rs2,
                    rs3: bits(w, 31, 27) as u8,
                    rm: f3 as u8,
                },
                _ => Inst::Illegal,
            }
        }
        0x53 => decode_op_fp(rd, rs1, rs2, f3, f7, rv64),
        0x73 => decode_system(w, rd, rs1, f3),
        _ => Inst::Illegal,
    }
}

fn unary(op: Unary, rd: u8, rs1: u8, word: bool) -> Inst {
    Inst::Unary { op, rd, rs1, word }
}

/// Zba, Zbb, Zbs and Zicond register-register forms of OP.
fn bitmanip_reg(f3: u32, f7: u32) -> Option<Alu> {
    Some(match (f7, f3) {
        (0x20, 7) => Alu::Andn,
        (0x20, 6) => Alu::Orn,
        (0x20, 4) => Alu::Xnor,
        (0x05, 4) => Alu::Min,
        (0x05, 5) => Alu::Minu,
        (0x05, 6) => Alu::Max,
        (0x05, 7) => Alu::Maxu,
        (0x30, 1) => Alu::Rol,
        (0x30, 5) => Alu::Ror,
        (0x10, 2) => Alu::ShAdd(1),
        (0x10, 4) => Alu::ShAdd(2),
        (0x10, 6) => Alu::ShAdd(3),
        (0x24, 1) => Alu::Bclr,
        (0x24, 5) => Alu::Bext,
        (0x14, 1) => Alu::Bset,
        (0x34, 1) => Alu::Binv,
        (0x07, 5) => Alu::CzeroEqz,
        (0x07, 7) => Alu::CzeroNez,
        (0x05, 1) => Alu::Clmul,
        (0x05, 2) => Alu::Clmulr,
        (0x05, 3) => Alu::Clmulh,
        _ => return None,
    })
}

/// Zba and Zbb forms of OP-32 (RV64).
fn bitmanip_reg_w(w: u32, rd: u8, rs1: u8, rs2: u8) -> Inst {
    let reg = |op, word| Inst::AluReg {
        op,
        rd,
        rs1,
        rs2,
        word,
    };
    match (bits(w, 31, 25), bits(w, 14, 12)) {
        (0x04, 0) => reg(Alu::ShAddUw(0), false),
        (0x10, 2) => reg(Alu::ShAddUw(1), false),
        (0x10, 4) => reg(Alu::ShAddUw(2), false),
        (0x10, 6) => reg(Alu::ShAddUw(3), false),
        (0x30, 1) => reg(Alu::Rol, true),
        (0x30, 5) => reg(Alu::Ror, true),
        (0x04, 4) if rs2 == 0 => unary(Unary::ZextH, rd, rs1, false),
        _ => Inst::Illegal,
    }
}

/// Zbb and Zbs forms of OP-IMM (function 1 and 5), or `None` for the
/// base shifts.
fn bitmanip_imm(w: u32, rd: u8, rs1: u8, rv64: bool) -> Option<Inst> {
    let f3 = bits(w, 14, 12);
    let imm12 = bits(w, 31, 20);
    let funct6 = bits(w, 31, 26);
    // On RV32 the shift amount has five bits: bit 25 belongs to funct7.
    let shamt_ok = rv64 || bits(w, 25, 25) == 0;
    let shamt = i64::from(bits(w, if rv64 { 25 } else { 24 }, 20));
    let imm = |op| Inst::AluImm {
        op,
        rd,
        rs1,
        imm: shamt,
        word: false,
    };
    Some(match (f3, funct6) {
        (1, 0x18) if bits(w, 25, 25) == 0 => match bits(w, 24, 20) {
            0 => unary(Unary::Clz, rd, rs1, false),
            1 => unary(Unary::Ctz, rd, rs1, false),
            2 => unary(Unary::Cpop, rd, rs1, false),
            4 => unary(Unary::SextB, rd, rs1, false),
            5 => unary(Unary::SextH, rd, rs1, false),
            _ => Inst::Illegal,
        },
        (1, 0x12) if shamt_ok => imm(Alu::Bclr),
        (1, 0x0a) if shamt_ok => imm(Alu::Bset),
        (1, 0x1a) if shamt_ok => imm(Alu::Binv),
        (5, _) if imm12 == 0x287 => unary(Unary::OrcB, rd, rs1, false),
        (5, _) if imm12 == if rv64 { 0x6b8 } else { 0x698 } => unary(Unary::Rev8, rd, rs1, false),
        (5, 0x18) if shamt_ok => imm(Alu::Ror),
        (5, 0x12) if shamt_ok => imm(Alu::Bext),
        _ => return None,
    })
}

/// Zba and Zbb forms of OP-IMM-32 (RV64), or `None` for the base shifts.
fn bitmanip_imm_w(w: u32, rd: u8, rs1: u8) -> Option<Inst> {
    let f3 = bits(w, 14, 12);
    Some(match (f3, bits(w, 31, 25), bits(w, 31, 26)) {
        (1, 0x30, _) => match bits(w, 24, 20) {
            0 => unary(Unary::Clz, rd, rs1, true),
            1 => unary(Unary::Ctz, rd, rs1, true),
            2 => unary(Unary::Cpop, rd, rs1, true),
            _ => Inst::Illegal,
        },
        (1, _, 0x02) => Inst::AluImm {
            op: Alu::SllUw,
            rd,
            rs1,
            imm: i64::from(bits(w, 25, 20)),
            word: false,
        },
        (5, 0x30, _) => Inst::AluImm {
            op: Alu::Ror,
            rd,
            rs1,
            imm: i64::from(bits(w, 24, 20)),
            word: true,
        },
        _ => return None,
    })
}

fn shift_imm(w: u32, rd: u8, rs1: u8, width: u32, word: bool) -> Inst {
    let f3 = bits(w, 14, 12);
    let shamt_bits = if width == 64 { 6 } else { 5 };
    let shamt = bits(w, 20 + shamt_bits - 1, 20);
    let top = bits(w, 31, 20 + shamt_bits);
    let arith = 1 << (10 - shamt_bits);
    let op = match (f3, top) {
        (1, 0) => Alu::Sll,
        (5, 0) => Alu::Srl,
        (5, t) if t == arith => Alu::Sra,
        _ => return Inst::Illegal,
    };
    Inst::AluImm {
        op,
        rd,
        rs1,
        imm: i64::from(shamt),
        word,
    }
}

fn alu_reg(f3: u32, f7: u32) -> Option<Alu> {
    Some(match (f7, f3) {
        (0, 0) => Alu::Add,
        (0x20, 0) => Alu::Sub,
        (0, 1) => Alu::Sll,
        (0, 2) => Alu::Slt,
        (0, 3) => Alu::Sltu,
        (0, 4) => Alu::Xor,
        (0, 5) => Alu::Srl,
        (0x20, 5) => Alu::Sra,
        (0, 6) => Alu::Or,
        (0, 7) => Alu::And,
        (1, 0) => Alu::Mul,
        (1, 1) => Alu::Mulh,
        (1, 2) => Alu::Mulhsu,
        (1, 3) => Alu::Mulhu,
        (1, 4) => Alu::Div,
        (1, 5) => Alu::Divu,
        (1, 6) => Alu::Rem,
        (1, 7) => Alu::Remu,
        _ => return None,
    })
}

fn decode_amo(w: u32, rd: u8, rs1: u8, rs2: u8, f3: u32, rv64: bool) -> Inst {
    let size = match f3 {
        2 => 4,
        3 if rv64 => 8,
        _ => return Inst::Illegal,
    };
    let op = match bits(w, 31, 27) {
        0x02 if rs2 == 0 => return Inst::LoadReserved { rd, rs1, size },
        0x03 => return Inst::StoreConditional { rd, rs1, rs2, size },
        0x01 => AmoOp::Swap,
        0x00 => AmoOp::Add,
        0x04 => AmoOp::Xor,
        0x0c => AmoOp::And,
        0x08 => AmoOp::Or,
        0x10 => AmoOp::Min,
        0x14 => AmoOp::Max,
        0x18 => AmoOp::Minu,
        0x1c => AmoOp::Maxu,
        _ => return Inst::Illegal,
    };
    Inst::Amo {
        op,
        rd,
        rs1,
        rs2,
        size,
    }
}

fn fp_fmt(field: u32) -> Option<FpFmt> {
    match field {
        0 => Some(FpFmt::S),
        1 => Some(FpFmt::D),
        _ => None,
    }
}

/// Static rounding modes 0-4 and dynamic (7); 5 and 6 are reserved.
fn valid_rm(rm: u32) -> bool {
    rm <= 4 || rm == 7
}

/// OP-FP: arithmetic, sign injection, min/max, comparisons,
/// classification, conversions and moves.
fn decode_op_fp(rd: u8, rs1: u8, rs2: u8, f3: u32, f7: u32, rv64: bool) -> Inst {
    let Some(fmt) = fp_fmt(f7 & 3) else {
        return Inst::Illegal;
    };
    let fp = |op: FpOp, rs2: u8| Inst::Fp {
        op,
        fmt,
        rd,
        rs1,
        rs2,
        rs3: 0,
        rm: f3 as u8,
    };
    let rounded = |op: FpOp, rs2: u8| {
        if valid_rm(f3) {
            fp(op, rs2)
        } else {
            Inst::Illegal
        }
    };
    match (f7 >> 2, f3, rs2) {
        (0x00, _, _) => rounded(FpOp::Add, rs2),
        (0x01, _, _) => rounded(FpOp::Sub, rs2),
        (0x02, _, _) => rounded(FpOp::Mul, rs2),
        (0x03, _, _) => rounded(FpOp::Div, rs2),
        (0x0b, _, 0) => rounded(FpOp::Sqrt, 0),
        (0x04, 0..=2, _) => Inst::FpSgnj {
            kind: [Sgnj::Copy, Sgnj::Negate, Sgnj::Xor][f3 as usize],
            fmt,
            rd,
            rs1,
            rs2,
        },
        (0x05, 0, _) => fp(FpOp::Min, rs2),
        (0x05, 1, _) => fp(FpOp::Max, rs2),
        (0x08, _, 1) if fmt == FpFmt::S => rounded(FpOp::FromOther, 0),
        (0x08, _, 0) if fmt == FpFmt::D => rounded(FpOp::FromOther, 0),
        (0x14, 2, _) => fp(FpOp::Eq, rs2),
        (0x14, 1, _) => fp(FpOp::Lt, rs2),
        (0x14, 0, _) => fp(FpOp::Le, rs2),
        (0x18, _, 0) => rounded(FpOp::ToW, 0),
        (0x18, _, 1) => rounded(FpOp::ToWu, 0),
        (0x18, _, 2) if rv64 => rounded(FpOp::ToL, 0),
        (0x18, _, 3) if rv64 => rounded(FpOp::ToLu, 0),
        (0x1a, _, 0) => rounded(FpOp::FromW, 0),
        (0x1a, _, 1) => rounded(FpOp::FromWu, 0),
        (0x1a, _, 2) if rv64 => rounded(FpOp::FromL, 0),
        (0x1a, _, 3) if rv64 => rounded(FpOp::FromLu, 0),
        (0x1c, 0, 0) if rv64 || fmt == FpFmt::S => Inst::FpMvToInt { fmt, rd, rs1 },
        (0x1c, 1, 0) => fp(FpOp::Class, 0),
        (0x1e, 0, 0) if rv64 || fmt == FpFmt::S => Inst::FpMvFromInt { fmt, rd, rs1 },
        _ => Inst::Illegal,
    }
}

fn decode_system(w: u32, rd: u8, rs1: u8, f3: u32) -> Inst {
    let csr = (w >> 20) as u16;
    let op = match f3 {
        0 => {
            return match (w >> 20, rs1, rd) {
                (0x000, 0, 0) => Inst::Ecall,
                (0x001, 0, 0) => Inst::Ebreak,
                (0x302, 0, 0) => Inst::Mret,
                (0x102, 0, 0) => Inst::Sret,
                (0x105, 0, 0) => Inst::Wfi,
                (0x00d, 0, 0) => Inst::Wrs { sto: false },
                (0x01d, 0, 0) => Inst::Wrs { sto: true },
                (f, _, 0) if f >> 5 == 0x09 => Inst::SfenceVma,
                _ => Inst::Illegal,
            }
        }
        1 | 5 => CsrOp::Write,
        2 | 6 => CsrOp::Set,
        3 | 7 => CsrOp::Clear,
        _ => return Inst::Illegal,
    };
    Inst::Csr {
        op,
        rd,
        src: rs1,
        imm: f3 >= 5,
        csr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediates_are_sign_extended() {
        // addi x1, x0, -1
        assert_eq!(
            decode32(0xfff0_0093, 64),
            Inst::AluImm {
                op: Alu::Add,
                rd: 1,
                rs1: 0,
                imm: -1,
                word: false
            }
        );
        // beq x0, x0, -4
        assert!(matches!(
            decode32(0xfe00_0ee3, 64),
            Inst::Branch { offset: -4, .. }
        ));
        // jal x0, -8
        assert!(matches!(
            decode32(0xff9f_f06f, 64),
            Inst::Jal { rd: 0, offset: -8 }
        ));
        // lui x5, 0x80000 is negative on both widths
        assert_eq!(
            decode32(0x8000_02b7, 32),
            Inst::Lui {
                rd: 5,
                imm: -0x8000_0000
            }
        );
    }

    #[test]
    fn shift_amounts_depend_on_xlen() {
        // slli x1, x1, 63 is legal on RV64 only
        let w = 0x03f0_9093;
        assert!(matches!(
            decode32(w, 64),
            Inst::AluImm {
                op: Alu::Sll,
                imm: 63,
                ..
            }
        ));
        assert_eq!(decode32(w, 32), Inst::Illegal);
        // srai x1, x1, 31 on RV32
        assert!(matches!(
            decode32(0x41f0_d093, 32),
            Inst::AluImm {
                op: Alu::Sra,
                imm: 31,
                ..
            }
        ));
        // srai x1, x1, 63 on RV64
        assert!(matches!(
            decode32(0x43f0_d093, 64),
            Inst::AluImm {
                op: Alu::Sra,
                imm: 63,
                ..
            }
        ));
        // sraiw x1, x1, 31
        assert!(matches!(
            decode32(0x41f0_d09b, 64),
            Inst::AluImm {
                op: Alu::Sra,
                imm: 31,
                word: true,
                ..
            }
        ));
    }

    #[test]
    fn rv64_only_forms_are_illegal_on_rv32() {
        assert_eq!(decode32(0x0000_b083, 32), Inst::Illegal); // ld
        assert_eq!(decode32(0x0010_809b, 32), Inst::Illegal); // addiw
        assert!(matches!(
            decode32(0x0000_b083, 64),
            Inst::Load { size: 8, .. }
        ));
    }

    #[test]
    fn system_instructions() {
        assert_eq!(decode32(0x0000_0073, 64), Inst::Ecall);
        assert_eq!(decode32(0x0010_0073, 64), Inst::Ebreak);
        assert_eq!(decode32(0x3020_0073, 64), Inst::Mret);
        assert_eq!(decode32(0x1050_0073, 64), Inst::Wfi);
        assert_eq!(decode32(0x1020_0073, 64), Inst::Sret);
        assert_eq!(decode32(0x1200_0073, 32), Inst::SfenceVma);
        assert_eq!(decode32(0x12b5_0073, 64), Inst::SfenceVma);
        assert!(matches!(
            decode32(0x3400_9073, 64),
            Inst::Csr {
                op: CsrOp::Write,
                csr: 0x340,
                ..
            }
        ));
        assert_eq!(decode32(0x0000_0000, 64), Inst::Illegal);
    }

    #[test]
    fn float_instructions() {
        // fadd.d fa0, fa1, fa2 (rne)
        assert_eq!(
            decode32(0x02c5_8553, 64),
            Inst::Fp {
                op: FpOp::Add,
                fmt: FpFmt::D,
                rd: 10,
                rs1: 11,
                rs2: 12,
                rs3: 0,
                rm: 0
            }
        );
        // rm 5 and 6 are reserved
        assert_eq!(decode32(0x02c5_d553, 64), Inst::Illegal);
        assert_eq!(decode32(0x02c5_e553, 64), Inst::Illegal);
        // fmadd.s fa0, fa1, fa2, fa3, dyn
        assert!(matches!(
            decode32(0x68c5_f543, 64),
            Inst::Fp {
                op: FpOp::MulAdd,
                fmt: FpFmt::S,
                rs3: 13,
                rm: 7,
                ..
            }
        ));
        // flw fa0, 8(sp); fsd fa0, 16(sp)
        assert_eq!(
            decode32(0x0081_2507, 32),
            Inst::FpLoad {
                fmt: FpFmt::S,
                rd: 10,
                rs1: 2,
                offset: 8
            }
        );
        assert_eq!(
            decode32(0x00a1_3827, 32),
            Inst::FpStore {
                fmt: FpFmt::D,
                rs1: 2,
                rs2: 10,
                offset: 16
            }
        );
        // fmv.x.d and fcvt.l.d exist on RV64 only
        assert_eq!(decode32(0xe205_0553, 32), Inst::Illegal);
        assert!(matches!(decode32(0xe205_0553, 64), Inst::FpMvToInt { .. }));
        assert_eq!(decode32(0xc225_1553, 32), Inst::Illegal);
        // fsqrt needs rs2 = 0; the quad format is absent
        assert_eq!(decode32(0x5815_0553, 64), Inst::Illegal);
        assert_eq!(decode32(0x06c5_8553, 64), Inst::Illegal);
    }
}
