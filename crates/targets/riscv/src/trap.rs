//! Exceptions and interrupts of a machine-mode hart: causes, trap entry
//! through `mtvec`, and taking pending interrupts between blocks.

use chimera_engine::{CpuEnv, FaultKind, IrqInputs, Trap};
use chimera_memory::AccessKind;

use crate::cpu::RiscvCpu;
use crate::csr::{MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP};
use crate::RiscV;

/// Instruction address misaligned.
pub const CAUSE_FETCH_MISALIGNED: u64 = 0;
/// Instruction access fault.
pub const CAUSE_FETCH_ACCESS: u64 = 1;
/// Illegal instruction.
pub const CAUSE_ILLEGAL: u64 = 2;
/// Breakpoint.
pub const CAUSE_BREAKPOINT: u64 = 3;
/// Load address misaligned.
pub const CAUSE_LOAD_MISALIGNED: u64 = 4;
/// Load access fault.
pub const CAUSE_LOAD_ACCESS: u64 = 5;
/// Store/AMO address misaligned.
pub const CAUSE_STORE_MISALIGNED: u64 = 6;
/// Store/AMO access fault.
pub const CAUSE_STORE_ACCESS: u64 = 7;
/// Environment call from M-mode.
pub const CAUSE_ECALL_M: u64 = 11;

/// Pin order of [`RiscV::irq_pins`](chimera_engine::Frontend::irq_pins).
pub const PIN_MSIP: u32 = 0;
/// Machine timer pin.
pub const PIN_MTIP: u32 = 1;
/// Machine external pin.
pub const PIN_MEIP: u32 = 2;
/// Supervisor external pin.
pub const PIN_SEIP: u32 = 3;

/// The `mip` bits the pins drive.
pub fn pin_bits(irq: &IrqInputs) -> u64 {
    let mut bits = 0;
    for (pin, bit) in [
        (PIN_MSIP, MIP_MSIP),
        (PIN_MTIP, MIP_MTIP),
        (PIN_MEIP, MIP_MEIP),
        (PIN_SEIP, MIP_SEIP),
    ] {
        if irq.level(pin) {
            bits |= bit;
        }
    }
    bits
}

/// The cause of a failed memory access.
pub fn memory_cause(access: AccessKind, kind: FaultKind) -> u64 {
    match (access, kind) {
        (AccessKind::Fetch, FaultKind::Misaligned) => CAUSE_FETCH_MISALIGNED,
        (AccessKind::Fetch, FaultKind::Page) => 12,
        (AccessKind::Fetch, _) => CAUSE_FETCH_ACCESS,
        (AccessKind::Read, FaultKind::Misaligned) => CAUSE_LOAD_MISALIGNED,
        (AccessKind::Read, FaultKind::Page) => 13,
        (AccessKind::Read, _) => CAUSE_LOAD_ACCESS,
        (AccessKind::Write, FaultKind::Misaligned) => CAUSE_STORE_MISALIGNED,
        (AccessKind::Write, FaultKind::Page) => 15,
        (AccessKind::Write, _) => CAUSE_STORE_ACCESS,
    }
}

impl RiscV {
    /// Enters the machine-mode trap handler for `cause` at `pc`.
    pub fn enter_trap(&self, cpu: &mut RiscvCpu, cause: u64, tval: u64, pc: u64, interrupt: bool) {
        let c = &mut cpu.csr;
        let mie = c.mstatus & MSTATUS_MIE != 0;
        c.mstatus = (c.mstatus & !(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP))
            | if mie { MSTATUS_MPIE } else { 0 }
            | (u64::from(cpu.privilege) << 11);
        c.mepc = pc & !1;
        c.mtval = tval;
        let base = c.mtvec & !3;
        if interrupt {
            c.mcause = (1 << (self.xlen - 1)) | cause;
            cpu.pc = if c.mtvec & 1 == 1 {
                base + 4 * cause
            } else {
                base
            };
        } else {
            c.mcause = cause;
            cpu.pc = base;
        }
        cpu.privilege = 3;
        cpu.reservation = None;
        if self.xlen == 32 {
            cpu.pc &= 0xffff_ffff;
        }
    }

    /// Turns an engine trap into the guest's exception.
    pub fn take_trap(&self, cpu: &mut RiscvCpu, trap: Trap, pc: u64) {
        let (cause, tval) = match trap {
            Trap::Guest { cause, value } => (cause, value),
            Trap::Memory(f) => (memory_cause(f.access, f.kind), f.vaddr),
        };
        self.enter_trap(cpu, cause, tval, pc, false);
    }

    /// Takes the highest-priority pending and enabled interrupt, if
    /// interrupts are enabled; returns whether any is pending and enabled
    /// (which wakes a hart in `wfi` even with MIE clear).
    pub fn poll_interrupts(&self, cpu: &mut RiscvCpu, _env: &mut CpuEnv, irq: &IrqInputs) -> bool {
        cpu.pending_pins = pin_bits(irq);
        let pending = (cpu.pending_pins | cpu.csr.mip_sw) & cpu.csr.mie;
        if pending == 0 {
            return false;
        }
        if cpu.csr.mstatus & MSTATUS_MIE != 0 || cpu.privilege < 3 {
            // Machine external, software, timer, then the supervisor ones.
            for code in [11u64, 3, 7, 9, 1, 5] {
                if pending & (1 << code) != 0 {
                    let pc = cpu.pc;
                    self.enter_trap(cpu, code, 0, pc, true);
                    break;
                }
            }
        }
        true
    }
}
