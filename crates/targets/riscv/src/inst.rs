//! Decoded RISC-V instructions: one enum both the 32-bit and the
//! compressed decoders produce, so the IR is emitted in one place.

/// An ALU operation of OP/OP-IMM (and their 32-bit `W` forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alu {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `sll`
    Sll,
    /// `slt`
    Slt,
    /// `sltu`
    Sltu,
    /// `xor`
    Xor,
    /// `srl`
    Srl,
    /// `sra`
    Sra,
    /// `or`
    Or,
    /// `and`
    And,
    /// `mul`
    Mul,
    /// `mulh`
    Mulh,
    /// `mulhsu`
    Mulhsu,
    /// `mulhu`
    Mulhu,
    /// `div`
    Div,
    /// `divu`
    Divu,
    /// `rem`
    Rem,
    /// `remu`
    Remu,
    /// `andn` (Zbb)
    Andn,
    /// `orn` (Zbb)
    Orn,
    /// `xnor` (Zbb)
    Xnor,
    /// `min` (Zbb)
    Min,
    /// `minu` (Zbb)
    Minu,
    /// `max` (Zbb)
    Max,
    /// `maxu` (Zbb)
    Maxu,
    /// `rol` (Zbb)
    Rol,
    /// `ror`, `rori` (Zbb)
    Ror,
    /// `sh1add`, `sh2add`, `sh3add` (Zba): `(a << n) + b`
    ShAdd(u8),
    /// `add.uw`, `sh1add.uw`, … (Zba, RV64): `(zext32(a) << n) + b`
    ShAddUw(u8),
    /// `slli.uw` (Zba, RV64): `zext32(a) << b`
    SllUw,
    /// `bclr`, `bclri` (Zbs)
    Bclr,
    /// `bset`, `bseti` (Zbs)
    Bset,
    /// `binv`, `binvi` (Zbs)
    Binv,
    /// `bext`, `bexti` (Zbs)
    Bext,
    /// `czero.eqz` (Zicond): `b == 0 ? 0 : a`
    CzeroEqz,
    /// `czero.nez` (Zicond): `b != 0 ? 0 : a`
    CzeroNez,
    /// `clmul` (Zbc): the low half of the carry-less product
    Clmul,
    /// `clmulh` (Zbc): its high half
    Clmulh,
    /// `clmulr` (Zbc): its bits 2·XLEN−2..XLEN−1
    Clmulr,
}

/// A one-operand bit-manipulation instruction (Zbb).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unary {
    /// `clz`, `clzw`
    Clz,
    /// `ctz`, `ctzw`
    Ctz,
    /// `cpop`, `cpopw`
    Cpop,
    /// `sext.b`
    SextB,
    /// `sext.h`
    SextH,
    /// `zext.h`
    ZextH,
    /// `orc.b`: each byte all ones if it was non-zero
    OrcB,
    /// `rev8`: the bytes reversed
    Rev8,
}

/// A branch condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchCond {
    /// `beq`
    Eq,
    /// `bne`
    Ne,
    /// `blt`
    Lt,
    /// `bge`
    Ge,
    /// `bltu`
    Ltu,
    /// `bgeu`
    Geu,
}

/// An atomic memory operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmoOp {
    /// `amoswap`
    Swap,
    /// `amoadd`
    Add,
    /// `amoxor`
    Xor,
    /// `amoand`
    And,
    /// `amoor`
    Or,
    /// `amomin`
    Min,
    /// `amomax`
    Max,
    /// `amominu`
    Minu,
    /// `amomaxu`
    Maxu,
}

/// A CSR access kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrOp {
    /// `csrrw`: write the operand.
    Write,
    /// `csrrs`: set the operand's bits.
    Set,
    /// `csrrc`: clear the operand's bits.
    Clear,
}

/// A floating-point format: binary32 (F) or binary64 (D).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FpFmt {
    /// Single precision (`.s`), NaN-boxed in the 64-bit registers.
    S,
    /// Double precision (`.d`).
    D,
}

/// A floating-point operation done by the float helper: everything that
/// rounds, raises flags or looks at a value's class. Its sources are `f`
/// registers except for the `FromInt` conversions (an `x` register); its
/// destination is an `x` register for comparisons, `fclass` and the
/// `ToInt` conversions, an `f` register otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FpOp {
    /// `fadd`
    Add,
    /// `fsub`
    Sub,
    /// `fmul`
    Mul,
    /// `fdiv`
    Div,
    /// `fsqrt`
    Sqrt,
    /// `fmin`
    Min,
    /// `fmax`
    Max,
    /// `fmadd`: `rs1 * rs2 + rs3`, rounded once.
    MulAdd,
    /// `fmsub`: `rs1 * rs2 - rs3`.
    MulSub,
    /// `fnmsub`: `-(rs1 * rs2) + rs3`.
    NegMulSub,
    /// `fnmadd`: `-(rs1 * rs2) - rs3`.
    NegMulAdd,
    /// `feq`
    Eq,
    /// `flt`
    Lt,
    /// `fle`
    Le,
    /// `fclass`
    Class,
    /// `fcvt.w.*`
    ToW,
    /// `fcvt.wu.*`
    ToWu,
    /// `fcvt.l.*`
    ToL,
    /// `fcvt.lu.*`
    ToLu,
    /// `fcvt.*.w`
    FromW,
    /// `fcvt.*.wu`
    FromWu,
    /// `fcvt.*.l`
    FromL,
    /// `fcvt.*.lu`
    FromLu,
    /// `fcvt.s.d` (format S) or `fcvt.d.s` (format D): from the other format.
    FromOther,
}

/// All [`FpOp`]s, in the order of their numbering in helper arguments.
pub const FP_OPS: [FpOp; 24] = [
    FpOp::Add,
    FpOp::Sub,
    FpOp::Mul,
    FpOp::Div,
    FpOp::Sqrt,
    FpOp::Min,
    FpOp::Max,
    FpOp::MulAdd,
    FpOp::MulSub,
    FpOp::NegMulSub,
    FpOp::NegMulAdd,
    FpOp::Eq,
    FpOp::Lt,
    FpOp::Le,
    FpOp::Class,
    FpOp::ToW,
    FpOp::ToWu,
    FpOp::ToL,
    FpOp::ToLu,
    FpOp::FromW,
    FpOp::FromWu,
    FpOp::FromL,
    FpOp::FromLu,
    FpOp::FromOther,
];

impl FpOp {
    /// Whether the result goes to an `x` register.
    pub fn writes_int(self) -> bool {
        matches!(
            self,
            FpOp::Eq
                | FpOp::Lt
                | FpOp::Le
                | FpOp::Class
                | FpOp::ToW
                | FpOp::ToWu
                | FpOp::ToL
                | FpOp::ToLu
        )
    }

    /// Whether the first source is an `x` register.
    pub fn reads_int(self) -> bool {
        matches!(
            self,
            FpOp::FromW | FpOp::FromWu | FpOp::FromL | FpOp::FromLu
        )
    }

    /// How many `f`/`x` sources the operation reads (1, 2 or 3).
    pub fn sources(self) -> usize {
        match self {
            FpOp::Add
            | FpOp::Sub
            | FpOp::Mul
            | FpOp::Div
            | FpOp::Min
            | FpOp::Max
            | FpOp::Eq
            | FpOp::Lt
            | FpOp::Le => 2,
            FpOp::MulAdd | FpOp::MulSub | FpOp::NegMulSub | FpOp::NegMulAdd => 3,
            _ => 1,
        }
    }

    /// Whether the instruction has an `rm` field (and so may be illegal
    /// for an invalid dynamic rounding mode).
    pub fn has_rm(self) -> bool {
        !matches!(
            self,
            FpOp::Min | FpOp::Max | FpOp::Eq | FpOp::Lt | FpOp::Le | FpOp::Class
        )
    }
}

/// A sign-injection kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sgnj {
    /// `fsgnj`: the sign of `rs2`.
    Copy,
    /// `fsgnjn`: the opposite of `rs2`'s sign.
    Negate,
    /// `fsgnjx`: the XOR of both signs.
    Xor,
}

/// A decoded instruction. Operand fields carry the ISA manual's names
/// (`rd`, `rs1`, `rs2`, `imm`, `offset`), so they are not documented one by one.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inst {
    /// A one-operand bit-manipulation instruction; `word`: on the low 32
    /// bits (`clzw`, `ctzw`, `cpopw`).
    Unary {
        op: Unary,
        rd: u8,
        rs1: u8,
        word: bool,
    },
    /// `lui rd, imm` (imm already shifted).
    Lui { rd: u8, imm: i64 },
    /// `auipc rd, imm`.
    Auipc { rd: u8, imm: i64 },
    /// `jal rd, offset`.
    Jal { rd: u8, offset: i64 },
    /// `jalr rd, offset(rs1)`.
    Jalr { rd: u8, rs1: u8, offset: i64 },
    /// A conditional branch.
    Branch {
        cond: BranchCond,
        rs1: u8,
        rs2: u8,
        offset: i64,
    },
    /// A load of `size` bytes.
    Load {
        rd: u8,
        rs1: u8,
        offset: i64,
        size: u8,
        signed: bool,
    },
    /// A store of `size` bytes.
    Store {
        rs1: u8,
        rs2: u8,
        offset: i64,
        size: u8,
    },
    /// ALU with an immediate; `word` for the 32-bit forms of RV64.
    AluImm {
        op: Alu,
        rd: u8,
        rs1: u8,
        imm: i64,
        word: bool,
    },
    /// ALU on two registers.
    AluReg {
        op: Alu,
        rd: u8,
        rs1: u8,
        rs2: u8,
        word: bool,
    },
    /// `lr.w`/`lr.d`.
    LoadReserved { rd: u8, rs1: u8, size: u8 },
    /// `sc.w`/`sc.d`.
    StoreConditional { rd: u8, rs1: u8, rs2: u8, size: u8 },
    /// An AMO.
    Amo {
        op: AmoOp,
        rd: u8,
        rs1: u8,
        rs2: u8,
        size: u8,
    },
    /// A CSR access with a register (`imm == false`) or a 5-bit immediate.
    Csr {
        op: CsrOp,
        rd: u8,
        src: u8,
        imm: bool,
        csr: u16,
    },
    /// `ecall`.
    Ecall,
    /// `ebreak`.
    Ebreak,
    /// `mret`.
    Mret,
    /// `sret`.
    Sret,
    /// `sfence.vma` (flushes every translation, whatever its operands).
    SfenceVma,
    /// `wfi`.
    Wfi,
    /// `wrs.nto` and (`sto`) `wrs.sto` (Zawrs): wait for a reservation
    /// set to be written, which may end at once.
    Wrs {
        /// The short-timeout form.
        sto: bool,
    },
    /// `fence` (and hints).
    Fence,
    /// `fence.i`.
    FenceI,
    /// `cbo.inval`/`cbo.clean`/`cbo.flush` (Zicbom) and `cbo.zero`
    /// (Zicboz) on the cache block holding the address in `rs1`.
    CacheBlock {
        /// Which operation.
        op: CboOp,
        /// The address register.
        rs1: u8,
    },
    /// `flw`/`fld` (and their compressed forms).
    FpLoad {
        fmt: FpFmt,
        rd: u8,
        rs1: u8,
        offset: i64,
    },
    /// `fsw`/`fsd`.
    FpStore {
        fmt: FpFmt,
        rs1: u8,
        rs2: u8,
        offset: i64,
    },
    /// An operation of the float helper; `rm` is the instruction's field
    /// (0-4 static, 7 dynamic; meaningless for operations without one).
    Fp {
        op: FpOp,
        fmt: FpFmt,
        rd: u8,
        rs1: u8,
        rs2: u8,
        rs3: u8,
        rm: u8,
    },
    /// `fsgnj`/`fsgnjn`/`fsgnjx`.
    FpSgnj {
        kind: Sgnj,
        fmt: FpFmt,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    /// `fmv.x.w`/`fmv.x.d`: the raw bits to an `x` register.
    FpMvToInt { fmt: FpFmt, rd: u8, rs1: u8 },
    /// `fmv.w.x`/`fmv.d.x`: the raw bits to an `f` register.
    FpMvFromInt { fmt: FpFmt, rd: u8, rs1: u8 },
    /// Not an instruction of this configuration.
    Illegal,
}

impl Inst {
    /// Whether this is an F/D instruction (illegal while `mstatus.FS` is Off).
    pub fn is_float(&self) -> bool {
        matches!(
            self,
            Inst::FpLoad { .. }
                | Inst::FpStore { .. }
                | Inst::Fp { .. }
                | Inst::FpSgnj { .. }
                | Inst::FpMvToInt { .. }
                | Inst::FpMvFromInt { .. }
        )
    }

    /// Whether it may change float state (an `f` register or `fflags`),
    /// which sets `mstatus.FS` to Dirty.
    pub fn dirties_float(&self) -> bool {
        self.is_float() && !matches!(self, Inst::FpStore { .. } | Inst::FpMvToInt { .. })
    }
}

/// A cache-block operation (Zicbom, Zicboz), numbered as its encoding's
/// immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CboOp {
    /// `cbo.inval`.
    Inval = 0,
    /// `cbo.clean`.
    Clean = 1,
    /// `cbo.flush`.
    Flush = 2,
    /// `cbo.zero`.
    Zero = 4,
}

impl CboOp {
    /// The operation numbered `imm` (its encoding's immediate).
    pub fn from_imm(imm: u64) -> Option<CboOp> {
        Some(match imm {
            0 => CboOp::Inval,
            1 => CboOp::Clean,
            2 => CboOp::Flush,
            4 => CboOp::Zero,
            _ => return None,
        })
    }
}
