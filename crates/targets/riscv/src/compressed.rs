//! The compressed (C) decoder: 16-bit instructions into the same [`Inst`]
//! as their 32-bit equivalents, floating-point loads and stores included
//! (`c.fld`/`c.fsd` and their stack forms on both widths, `c.flw`/`c.fsw`
//! on RV32).

use crate::inst::{Alu, BranchCond, FpFmt, Inst};

fn b(w: u16, hi: u32, lo: u32) -> u32 {
    (u32::from(w) >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn sext(value: u32, width: u32) -> i64 {
    let shift = 64 - width;
    ((u64::from(value) << shift) as i64) >> shift
}

/// A register of the compressed 3-bit fields (x8..x15).
fn creg(field: u32) -> u8 {
    (field + 8) as u8
}

/// Decodes a 16-bit instruction for a hart of `xlen` bits.
pub fn decode16(w: u16, xlen: u32) -> Inst {
    let rv64 = xlen == 64;
    let rd = b(w, 11, 7) as u8;
    let rs2 = b(w, 6, 2) as u8;
    let rdp = creg(b(w, 4, 2));
    let rs1p = creg(b(w, 9, 7));
    let imm6 = sext((b(w, 12, 12) << 5) | b(w, 6, 2), 6);
    match (w & 3, b(w, 15, 13)) {
        (0, 0) => {
            let imm =
                (b(w, 12, 11) << 4) | (b(w, 10, 7) << 6) | (b(w, 6, 6) << 2) | (b(w, 5, 5) << 3);
            if imm == 0 {
                return Inst::Illegal;
            }
            Inst::AluImm {
                op: Alu::Add,
                rd: rdp,
                rs1: 2,
                imm: i64::from(imm),
                word: false,
            }
        }
        (0, 2) => {
            let off = (b(w, 12, 10) << 3) | (b(w, 6, 6) << 2) | (b(w, 5, 5) << 6);
            Inst::Load {
                rd: rdp,
                rs1: rs1p,
                offset: i64::from(off),
                size: 4,
                signed: true,
            }
        }
        (0, 3) if rv64 => {
            let off = (b(w, 12, 10) << 3) | (b(w, 6, 5) << 6);
            Inst::Load {
                rd: rdp,
                rs1: rs1p,
                offset: i64::from(off),
                size: 8,
                signed: true,
            }
        }
        (0, 6) => {
            let off = (b(w, 12, 10) << 3) | (b(w, 6, 6) << 2) | (b(w, 5, 5) << 6);
            Inst::Store {
                rs1: rs1p,
                rs2: rdp,
                offset: i64::from(off),
                size: 4,
            }
        }
        (0, 7) if rv64 => {
            let off = (b(w, 12, 10) << 3) | (b(w, 6, 5) << 6);
            Inst::Store {
                rs1: rs1p,
                rs2: rdp,
                offset: i64::from(off),
                size: 8,
            }
        }
        (1, 0) => Inst::AluImm {
            op: Alu::Add,
            rd,
            rs1: rd,
            imm: imm6,
            word: false,
        },
        (1, 1) if rv64 => {
            if rd == 0 {
                return Inst::Illegal;
            }
            Inst::AluImm {
                op: Alu::Add,
                rd,
                rs1: rd,
                imm: imm6,
                word: true,
            }
        }
        (1, 1) | (1, 5) => {
            let off = (b(w, 12, 12) << 11)
                | (b(w, 11, 11) << 4)
                | (b(w, 10, 9) << 8)
                | (b(w, 8, 8) << 10)
                | (b(w, 7, 7) << 6)
                | (b(w, 6, 6) << 7)
                | (b(w, 5, 3) << 1)
                | (b(w, 2, 2) << 5);
            let link = if b(w, 15, 13) == 1 { 1 } else { 0 };
            Inst::Jal {
                rd: link,
                offset: sext(off, 12),
            }
        }
        (1, 2) => Inst::AluImm {
            op: Alu::Add,
            rd,
            rs1: 0,
            imm: imm6,
            word: false,
        },
        (1, 3) if rd == 2 => {
            let imm = (b(w, 12, 12) << 9)
                | (b(w, 6, 6) << 4)
                | (b(w, 5, 5) << 6)
                | (b(w, 4, 3) << 7)
                | (b(w, 2, 2) << 5);
            if imm == 0 {
                return Inst::Illegal;
            }
            Inst::AluImm {
                op: Alu::Add,
                rd: 2,
                rs1: 2,
                imm: sext(imm, 10),
                word: false,
            }
        }
        (1, 3) => {
            if imm6 == 0 {
                return Inst::Illegal;
            }
            Inst::Lui {
                rd,
                imm: imm6 << 12,
            }
        }
        (1, 4) => {
            let shamt = (b(w, 12, 12) << 5) | b(w, 6, 2);
            match b(w, 11, 10) {
                0 | 1 if !rv64 && b(w, 12, 12) == 1 => Inst::Illegal,
                0 => Inst::AluImm {
                    op: Alu::Srl,
                    rd: rs1p,
                    rs1: rs1p,
                    imm: i64::from(shamt),
                    word: false,
                },
                1 => Inst::AluImm {
                    op: Alu::Sra,
                    rd: rs1p,
                    rs1: rs1p,
                    imm: i64::from(shamt),
                    word: false,
                },
                2 => Inst::AluImm {
                    op: Alu::And,
                    rd: rs1p,
                    rs1: rs1p,
                    imm: imm6,
                    word: false,
                },
                _ => {
                    let (op, word) = match (b(w, 12, 12), b(w, 6, 5)) {
                        (0, 0) => (Alu::Sub, false),
                        (0, 1) => (Alu::Xor, false),
                        (0, 2) => (Alu::Or, false),
                        (0, 3) => (Alu::And, false),
                        (1, 0) if rv64 => (Alu::Sub, true),
                        (1, 1) if rv64 => (Alu::Add, true),
                        _ => return Inst::Illegal,
                    };
                    Inst::AluReg {
                        op,
                        rd: rs1p,
                        rs1: rs1p,
                        rs2: rdp,
                        word,
                    }
                }
            }
        }
        (1, 6) | (1, 7) => {
            let off = (b(w, 12, 12) << 8)
                | (b(w, 11, 10) << 3)
                | (b(w, 6, 5) << 6)
                | (b(w, 4, 3) << 1)
                | (b(w, 2, 2) << 5);
            let cond = if b(w, 15, 13) == 6 {
                BranchCond::Eq
            } else {
                BranchCond::Ne
            };
            Inst::Branch {
                cond,
                rs1: rs1p,
                rs2: 0,
                offset: sext(off, 9),
            }
        }
        (2, 0) => {
            let shamt = (b(w, 12, 12) << 5) | b(w, 6, 2);
            if !rv64 && b(w, 12, 12) == 1 {
                return Inst::Illegal;
            }
            Inst::AluImm {
                op: Alu::Sll,
                rd,
                rs1: rd,
                imm: i64::from(shamt),
                word: false,
            }
        }
        (2, 2) => {
            if rd == 0 {
                return Inst::Illegal;
            }
            let off = (b(w, 12, 12) << 5) | (b(w, 6, 4) << 2) | (b(w, 3, 2) << 6);
            Inst::Load {
                rd,
                rs1: 2,
                offset: i64::from(off),
                size: 4,
                signed: true,
            }
        }
        (2, 3) if rv64 => {
            if rd == 0 {
                return Inst::Illegal;
            }
            let off = (b(w, 12, 12) << 5) | (b(w, 6, 5) << 3) | (b(w, 4, 2) << 6);
            Inst::Load {
                rd,
                rs1: 2,
                offset: i64::from(off),
                size: 8,
                signed: true,
            }
        }
        (2, 4) => match (b(w, 12, 12), rd, rs2) {
            (0, 0, 0) => Inst::Illegal,
            (0, rs1, 0) => Inst::Jalr {
                rd: 0,
                rs1,
                offset: 0,
            },
            (0, rd, rs2) => Inst::AluReg {
                op: Alu::Add,
                rd,
                rs1: 0,
                rs2,
                word: false,
            },
            (1, 0, 0) => Inst::Ebreak,
            (1, rs1, 0) => Inst::Jalr {
                rd: 1,
                rs1,
                offset: 0,
            },
            (_, rd, rs2) => Inst::AluReg {
                op: Alu::Add,
                rd,
                rs1: rd,
                rs2,
                word: false,
            },
        },
        (2, 6) => {
            let off = (b(w, 12, 9) << 2) | (b(w, 8, 7) << 6);
            Inst::Store {
                rs1: 2,
                rs2,
                offset: i64::from(off),
                size: 4,
            }
        }
        (2, 7) if rv64 => {
            let off = (b(w, 12, 10) << 3) | (b(w, 9, 7) << 6);
            Inst::Store {
                rs1: 2,
                rs2,
                offset: i64::from(off),
                size: 8,
            }
        }
        (0, 1) => Inst::FpLoad {
            fmt: FpFmt::D,
            rd: rdp,
            rs1: rs1p,
            offset: i64::from((b(w, 12, 10) << 3) | (b(w, 6, 5) << 6)),
        },
        (0, 5) => Inst::FpStore {
            fmt: FpFmt::D,
            rs1: rs1p,
            rs2: rdp,
            offset: i64::from((b(w, 12, 10) << 3) | (b(w, 6, 5) << 6)),
        },
        (0, 3) => Inst::FpLoad {
            fmt: FpFmt::S,
            rd: rdp,
            rs1: rs1p,
            offset: i64::from((b(w, 12, 10) << 3) | (b(w, 6, 6) << 2) | (b(w, 5, 5) << 6)),
        },
        (0, 7) => Inst::FpStore {
            fmt: FpFmt::S,
            rs1: rs1p,
            rs2: rdp,
            offset: i64::from((b(w, 12, 10) << 3) | (b(w, 6, 6) << 2) | (b(w, 5, 5) << 6)),
        },
        (2, 1) => Inst::FpLoad {
            fmt: FpFmt::D,
            rd,
            rs1: 2,
            offset: i64::from((b(w, 12, 12) << 5) | (b(w, 6, 5) << 3) | (b(w, 4, 2) << 6)),
        },
        (2, 5) => Inst::FpStore {
            fmt: FpFmt::D,
            rs1: 2,
            rs2,
            offset: i64::from((b(w, 12, 10) << 3) | (b(w, 9, 7) << 6)),
        },
        (2, 3) => Inst::FpLoad {
            fmt: FpFmt::S,
            rd,
            rs1: 2,
            offset: i64::from((b(w, 12, 12) << 5) | (b(w, 6, 4) << 2) | (b(w, 3, 2) << 6)),
        },
        (2, 7) => Inst::FpStore {
            fmt: FpFmt::S,
            rs1: 2,
            rs2,
            offset: i64::from((b(w, 12, 9) << 2) | (b(w, 8, 7) << 6)),
        },
        _ => Inst::Illegal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_compressed_forms() {
        // c.li a0, -1
        assert_eq!(
            decode16(0x557d, 64),
            Inst::AluImm {
                op: Alu::Add,
                rd: 10,
                rs1: 0,
                imm: -1,
                word: false
            }
        );
        // c.addi16sp sp, -64
        assert_eq!(
            decode16(0x7139, 64),
            Inst::AluImm {
                op: Alu::Add,
                rd: 2,
                rs1: 2,
                imm: -64,
                word: false
            }
        );
        // c.sdsp ra, 56(sp)
        assert_eq!(
            decode16(0xfc06, 64),
            Inst::Store {
                rs1: 2,
                rs2: 1,
                offset: 56,
                size: 8
            }
        );
        // c.ldsp ra, 56(sp)
        assert_eq!(
            decode16(0x70e2, 64),
            Inst::Load {
                rd: 1,
                rs1: 2,
                offset: 56,
                size: 8,
                signed: true
            }
        );
        // c.jr ra
        assert_eq!(
            decode16(0x8082, 64),
            Inst::Jalr {
                rd: 0,
                rs1: 1,
                offset: 0
            }
        );
        // c.mv a0, a1
        assert_eq!(
            decode16(0x852e, 64),
            Inst::AluReg {
                op: Alu::Add,
                rd: 10,
                rs1: 0,
                rs2: 11,
                word: false
            }
        );
        // c.addw a0, a1
        assert_eq!(
            decode16(0x9d2d, 64),
            Inst::AluReg {
                op: Alu::Add,
                rd: 10,
                rs1: 10,
                rs2: 11,
                word: true
            }
        );
        // c.j -2 and c.jal on RV32
        assert_eq!(decode16(0xbffd, 64), Inst::Jal { rd: 0, offset: -2 });
        assert_eq!(decode16(0x3ffd, 32), Inst::Jal { rd: 1, offset: -2 });
        // c.beqz a0, +8
        assert_eq!(
            decode16(0xc501, 64),
            Inst::Branch {
                cond: BranchCond::Eq,
                rs1: 10,
                rs2: 0,
                offset: 8
            }
        );
        // c.lui a0, 0xfffff (imm -1 << 12)
        assert_eq!(decode16(0x757d, 64), Inst::Lui { rd: 10, imm: -4096 });
        // c.srai a0, 63 is RV64-only
        assert!(matches!(
            decode16(0x957d, 64),
            Inst::AluImm {
                op: Alu::Sra,
                imm: 63,
                ..
            }
        ));
        assert_eq!(decode16(0x957d, 32), Inst::Illegal);
        assert_eq!(decode16(0x0000, 64), Inst::Illegal);
        assert_eq!(decode16(0x9002, 64), Inst::Ebreak);
    }

    #[test]
    fn float_loads_and_stores() {
        let fp_load = |fmt, rd, rs1, offset| Inst::FpLoad {
            fmt,
            rd,
            rs1,
            offset,
        };
        let fp_store = |fmt, rs1, rs2, offset| Inst::FpStore {
            fmt,
            rs1,
            rs2,
            offset,
        };
        for xlen in [32, 64] {
            // c.fld fa0, 8(a1); c.fsd fa0, 8(a1); c.fldsp fa0, 8(sp); c.fsdsp fa0, 8(sp)
            assert_eq!(decode16(0x2588, xlen), fp_load(FpFmt::D, 10, 11, 8));
            assert_eq!(decode16(0xa588, xlen), fp_store(FpFmt::D, 11, 10, 8));
            assert_eq!(decode16(0x2522, xlen), fp_load(FpFmt::D, 10, 2, 8));
            assert_eq!(decode16(0xa42a, xlen), fp_store(FpFmt::D, 2, 10, 8));
        }
        // c.flw/c.fsw/c.flwsp/c.fswsp on RV32 are c.ld/c.sd/c.ldsp/c.sdsp on RV64
        assert_eq!(decode16(0x6588, 32), fp_load(FpFmt::S, 10, 11, 8));
        assert_eq!(decode16(0xe588, 32), fp_store(FpFmt::S, 11, 10, 8));
        assert_eq!(decode16(0x6522, 32), fp_load(FpFmt::S, 10, 2, 8));
        assert_eq!(decode16(0xe42a, 32), fp_store(FpFmt::S, 2, 10, 8));
        assert!(matches!(decode16(0x6588, 64), Inst::Load { size: 8, .. }));
        assert!(matches!(decode16(0xe42a, 64), Inst::Store { size: 8, .. }));
    }
}
