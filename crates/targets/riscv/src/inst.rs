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

/// A decoded instruction. Operand fields carry the ISA manual's names
/// (`rd`, `rs1`, `rs2`, `imm`, `offset`), so they are not documented one by one.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inst {
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
    /// `fence` (and hints).
    Fence,
    /// `fence.i`.
    FenceI,
    /// Not an instruction of this configuration.
    Illegal,
}
