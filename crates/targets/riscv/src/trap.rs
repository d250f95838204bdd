//! Exceptions and interrupts: causes, delegation to S mode, trap entry
//! through `mtvec` or `stvec`, and taking pending interrupts between
//! blocks by the privilege rules.

use chimera_engine::{CpuEnv, FaultKind, IrqInputs, Trap};
use chimera_memory::AccessKind;

use crate::cpu::RiscvCpu;
use crate::csr::{
    MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_SIE,
    MSTATUS_SPIE, MSTATUS_SPP, PRIV_M, PRIV_S,
};
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
/// Environment call from U-mode (S is 9, M is 11: 8 plus the privilege).
pub const CAUSE_ECALL_U: u64 = 8;
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
    /// Whether a trap with `cause` (an interrupt if `interrupt`) taken at
    /// the hart's privilege goes to S mode.
    fn delegated(cpu: &RiscvCpu, cause: u64, interrupt: bool) -> bool {
        let deleg = if interrupt {
            cpu.csr.mideleg
        } else {
            cpu.csr.medeleg
        };
        cpu.privilege <= PRIV_S && cause < 64 && deleg & (1 << cause) != 0
    }

    /// Enters the trap handler for `cause` at `pc`: S mode's through
    /// `stvec` when delegated, else M mode's through `mtvec`.
    pub fn enter_trap(
        &self,
        cpu: &mut RiscvCpu,
        env: &mut CpuEnv,
        cause: u64,
        tval: u64,
        pc: u64,
        interrupt: bool,
    ) {
        let code = if interrupt {
            (1 << (self.xlen - 1)) | cause
        } else {
            cause
        };
        let to_s = Self::delegated(cpu, cause, interrupt);
        let c = &mut cpu.csr;
        let tvec = if to_s {
            let sie = c.mstatus & MSTATUS_SIE != 0;
            c.mstatus = (c.mstatus & !(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP))
                | if sie { MSTATUS_SPIE } else { 0 }
                | if cpu.privilege == PRIV_S {
                    MSTATUS_SPP
                } else {
                    0
                };
            c.sepc = pc & !1;
            c.stval = tval;
            c.scause = code;
            cpu.privilege = PRIV_S;
            c.stvec
        } else {
            let mie = c.mstatus & MSTATUS_MIE != 0;
            c.mstatus = (c.mstatus & !(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP))
                | if mie { MSTATUS_MPIE } else { 0 }
                | (u64::from(cpu.privilege) << 11);
            c.mepc = pc & !1;
            c.mtval = tval;
            c.mcause = code;
            cpu.privilege = PRIV_M;
            c.mtvec
        };
        let base = tvec & !3;
        cpu.pc = if interrupt && tvec & 1 == 1 {
            base.wrapping_add(4 * cause)
        } else {
            base
        };
        cpu.reservation = None;
        if self.xlen == 32 {
            cpu.pc &= 0xffff_ffff;
        }
        self.sync_mmu(cpu, env);
    }

    /// Turns an engine trap into the guest's exception.
    pub fn take_trap(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv, trap: Trap, pc: u64) {
        let (cause, tval) = match trap {
            Trap::Guest { cause, value } => (cause, value),
            Trap::Memory(f) => (memory_cause(f.access, f.kind), f.vaddr),
        };
        self.enter_trap(cpu, env, cause, tval, pc, false);
    }

    /// The interrupt to take now, if any: pending and enabled ones for
    /// M mode first (unless the hart is in M mode with MIE clear), then
    /// the delegated ones for S mode, each in the priority order MEI, MSI,
    /// MTI, SEI, SSI, STI.
    pub fn interrupt_to_take(cpu: &RiscvCpu) -> Option<u64> {
        let c = &cpu.csr;
        let pending = (cpu.pending_pins | c.mip_sw) & c.mie;
        let m_enabled = cpu.privilege < PRIV_M || c.mstatus & MSTATUS_MIE != 0;
        let s_enabled =
            cpu.privilege < PRIV_S || (cpu.privilege == PRIV_S && c.mstatus & MSTATUS_SIE != 0);
        let m_pending = if m_enabled { pending & !c.mideleg } else { 0 };
        let s_pending = if s_enabled { pending & c.mideleg } else { 0 };
        let order = [11u64, 3, 7, 9, 1, 5];
        [m_pending, s_pending]
            .into_iter()
            .find_map(|set| order.into_iter().find(|code| set & (1 << code) != 0))
    }

    /// Takes the highest-priority interrupt that may be taken; returns
    /// whether any is pending and enabled in `mie` (which wakes a hart in
    /// `wfi` whatever the global enables say).
    pub fn poll_interrupts(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv, irq: &IrqInputs) -> bool {
        cpu.pending_pins = pin_bits(irq);
        // A wake-up request only asks for this look (see the helpers), or
        // for the next one when the Sstc timer is due.
        env.clear_wakeup();
        self.sync_sstc(cpu, env);
        let pending = (cpu.pending_pins | cpu.csr.mip_sw) & cpu.csr.mie;
        if pending == 0 {
            return false;
        }
        if let Some(code) = Self::interrupt_to_take(cpu) {
            let pc = cpu.pc;
            self.enter_trap(cpu, env, code, 0, pc, true);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{MIP_SSIP, MIP_STIP, PRIV_U};

    fn hart(privilege: u8, mstatus: u64, pending: u64, mideleg: u64) -> RiscvCpu {
        let mut cpu = RiscvCpu::new(0);
        cpu.privilege = privilege;
        cpu.csr.mstatus = mstatus;
        cpu.csr.mie = u64::MAX;
        cpu.csr.mip_sw = pending;
        cpu.csr.mideleg = mideleg;
        cpu
    }

    #[test]
    fn machine_interrupts_need_mie_only_in_machine_mode() {
        let cpu = hart(PRIV_M, 0, MIP_MTIP, 0);
        assert_eq!(RiscV::interrupt_to_take(&cpu), None);
        let cpu = hart(PRIV_M, MSTATUS_MIE, MIP_MTIP, 0);
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(7));
        let cpu = hart(PRIV_S, 0, MIP_MTIP, 0);
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(7));
    }

    #[test]
    fn delegated_interrupts_follow_sie_and_never_preempt_machine_mode() {
        let deleg = MIP_SSIP | MIP_STIP | MIP_SEIP;
        let cpu = hart(PRIV_M, MSTATUS_MIE | MSTATUS_SIE, MIP_STIP, deleg);
        assert_eq!(RiscV::interrupt_to_take(&cpu), None);
        let cpu = hart(PRIV_S, 0, MIP_STIP, deleg);
        assert_eq!(RiscV::interrupt_to_take(&cpu), None);
        let cpu = hart(PRIV_S, MSTATUS_SIE, MIP_STIP, deleg);
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(5));
        let cpu = hart(PRIV_U, 0, MIP_STIP, deleg);
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(5));
    }

    #[test]
    fn priority_is_machine_first_then_external_software_timer() {
        let deleg = MIP_SSIP | MIP_STIP | MIP_SEIP;
        let all_s = MIP_SSIP | MIP_STIP | MIP_SEIP;
        let cpu = hart(PRIV_U, 0, all_s, deleg);
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(9));
        let cpu = hart(PRIV_U, 0, MIP_SSIP | MIP_STIP, deleg);
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(1));
        // Not delegated: S interrupts go to M, before delegated ones.
        let cpu = hart(PRIV_S, MSTATUS_SIE, MIP_SSIP | MIP_STIP, MIP_SSIP);
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(5));
        let mut cpu = hart(PRIV_S, MSTATUS_SIE, MIP_SSIP, deleg);
        cpu.pending_pins = MIP_MEIP | MIP_MSIP;
        assert_eq!(RiscV::interrupt_to_take(&cpu), Some(11));
    }
}
