//! The state of one RISC-V hart: integer and float registers, pc,
//! privilege level, the machine- and supervisor-mode CSRs, `fcsr` and the
//! load reservation. Plain data, the unit of snapshots.

use chimera_engine::CpuState;

/// Global slot of `f0` (`f0`..`f31` follow `x0`..`x31`).
pub const G_F0: u32 = 32;
/// Size of the register file the IR's globals index.
pub const GLOBALS: usize = 64;

/// Machine- and supervisor-mode CSR state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Csrs {
    /// `mstatus` as written (its writable fields; `sstatus` is a view).
    pub mstatus: u64,
    /// `mtvec`: base and mode.
    pub mtvec: u64,
    /// `mepc`.
    pub mepc: u64,
    /// `mcause`.
    pub mcause: u64,
    /// `mtval`.
    pub mtval: u64,
    /// `mie`.
    pub mie: u64,
    /// The software-writable bits of `mip` (the rest come from pins).
    pub mip_sw: u64,
    /// `mscratch`.
    pub mscratch: u64,
    /// `mcounteren`.
    pub mcounteren: u64,
    /// `mcountinhibit`.
    pub mcountinhibit: u64,
    /// What guest writes added to the retired-instruction count.
    pub minstret_offset: u64,
    /// What guest writes added to the cycle count.
    pub mcycle_offset: u64,
    /// The configuration byte of each of the 16 PMP entries (kept for
    /// guests that program them; not enforced).
    pub pmpcfg: [u8; 16],
    /// `pmpaddr0..15`.
    pub pmpaddr: [u64; 16],
    /// `medeleg`: exceptions handled in S mode.
    pub medeleg: u64,
    /// `mideleg`: interrupts handled in S mode.
    pub mideleg: u64,
    /// `menvcfg`.
    pub menvcfg: u64,
    /// `stimecmp` (Sstc): the supervisor timer's compare value, in ticks
    /// of `time`.
    pub stimecmp: u64,
    /// `stvec`.
    pub stvec: u64,
    /// `sscratch`.
    pub sscratch: u64,
    /// `sepc`.
    pub sepc: u64,
    /// `scause`.
    pub scause: u64,
    /// `stval`.
    pub stval: u64,
    /// `satp`: translation mode, address-space id and root page.
    pub satp: u64,
    /// `scounteren`.
    pub scounteren: u64,
    /// `senvcfg`.
    pub senvcfg: u64,
    /// `fflags`: the accrued float exceptions (NV DZ OF UF NX, bits 4..0).
    pub fflags: u8,
    /// `frm`: the dynamic rounding mode (3 bits; 5-7 make dynamic-rounding
    /// instructions illegal).
    pub frm: u8,
}

/// One hart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiscvCpu {
    /// `x0`..`x31` (the IR's globals 0..31; `x0` stays 0, RV32 values are
    /// kept zero-extended), then `f0`..`f31` (globals 32..63: 64 bits each,
    /// single-precision values NaN-boxed).
    pub regs: [u64; GLOBALS],
    /// The next instruction.
    pub pc: u64,
    /// `mhartid`.
    pub hart: u32,
    /// Privilege level: 0 user, 1 supervisor, 3 machine.
    pub privilege: u8,
    /// Machine-mode CSRs.
    pub csr: Csrs,
    /// The LR reservation: address and the value loaded.
    pub reservation: Option<(u64, u64)>,
    /// The `mip` bits driven by the interrupt pins, as last seen.
    pub pending_pins: u64,
    /// What the soft-MMU's cached translations were made under (see
    /// [`crate::mmu::MmuContext`]); a change flushes them.
    pub mmu_context: crate::mmu::MmuContext,
    /// The last fetch translation: virtual page, physical page.
    pub fetch_page: Option<(u64, u64)>,
}

impl RiscvCpu {
    /// A hart in its reset state.
    pub fn new(hart: u32) -> Self {
        RiscvCpu {
            regs: [0; GLOBALS],
            pc: 0,
            hart,
            privilege: 3,
            csr: Csrs::default(),
            reservation: None,
            pending_pins: 0,
            mmu_context: crate::mmu::MmuContext::default(),
            fetch_page: None,
        }
    }
}

impl CpuState for RiscvCpu {
    fn pc(&self) -> u64 {
        self.pc
    }

    fn set_pc(&mut self, pc: u64) {
        self.pc = pc;
    }

    fn globals(&self) -> &[u64] {
        &self.regs
    }

    fn globals_mut(&mut self) -> &mut [u64] {
        &mut self.regs
    }
}

/// The ABI names of `x0`..`x31`.
pub const ABI_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];
