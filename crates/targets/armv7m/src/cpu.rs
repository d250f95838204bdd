//! The state of one ARMv7-M core: the register file the IR reads and
//! writes as globals, the special registers, and the System Control Space
//! each core owns privately.

use chimera_engine::CpuState;

use crate::scs::Scs;

/// Index of the stack pointer in the register file.
pub const SP: usize = 13;
/// Index of the link register.
pub const LR: usize = 14;
/// Index of the program counter (kept in [`ArmCpu::pc`]; the slot is unused).
pub const PC: usize = 15;
/// Global slot of the negative flag (0 or 1).
pub const G_N: u32 = 16;
/// Global slot of the zero flag (0 or 1).
pub const G_Z: u32 = 17;
/// Global slot of the carry flag (0 or 1).
pub const G_C: u32 = 18;
/// Global slot of the overflow flag (0 or 1).
pub const G_V: u32 = 19;
/// Global slot of the sticky saturation flag (0 or 1).
pub const G_Q: u32 = 20;
/// Global slot of the four SIMD greater-or-equal flags (APSR.GE).
pub const G_GE: u32 = 21;
/// Global slot of the IT-block state (EPSR.IT, 8 bits).
pub const G_IT: u32 = 22;
/// Global slot of single-precision register S0 (S0–S31 follow).
pub const G_S0: u32 = 23;
/// Global slot of FPSCR (a global so that compiled code can compare
/// and move its flags without a helper).
pub const G_FPSCR: u32 = G_S0 + 32;
/// Size of the register file.
pub const GLOBALS: usize = G_FPSCR as usize + 1;

/// CONTROL.nPRIV: thread mode is unprivileged.
pub const CONTROL_NPRIV: u32 = 1;
/// CONTROL.SPSEL: thread mode uses the process stack.
pub const CONTROL_SPSEL: u32 = 2;
/// CONTROL.FPCA: the floating-point context is active.
pub const CONTROL_FPCA: u32 = 4;

/// Register names, for dumps and the debugger.
pub const REG_NAMES: [&str; 16] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr",
    "pc",
];

/// One Cortex-M core.
#[derive(Debug, Clone)]
pub struct ArmCpu {
    /// R0–R15 (R13 is the active stack pointer), flags, IT state, S0–S31,
    /// FPSCR.
    pub regs: [u64; GLOBALS],
    /// The address of the next instruction.
    pub pc: u64,
    /// The banked stack pointer that is not in R13 (PSP while MSP is
    /// active and the other way round).
    pub other_sp: u32,
    /// The CONTROL register.
    pub control: u32,
    /// PRIMASK (bit 0).
    pub primask: u32,
    /// FAULTMASK (bit 0).
    pub faultmask: u32,
    /// BASEPRI (priority bits).
    pub basepri: u32,
    /// The exception being handled (IPSR), 0 in thread mode.
    pub ipsr: u32,
    /// EPSR.T: clear after an interworking branch to an even address.
    pub thumb: bool,
    /// The local exclusive monitor: the address and value a `LDREX` saw.
    pub monitor: Option<(u32, u32, u8)>,
    /// NVIC, SCB, SysTick and FPU control registers.
    pub scs: Scs,
    /// Where the loader said to start, if it did (reset otherwise reads the
    /// vector table).
    pub boot_pc: Option<u64>,
}

impl ArmCpu {
    /// A core in its state before the reset walk reads the vector table.
    pub fn new(num_irq: u32) -> Self {
        ArmCpu {
            regs: [0; GLOBALS],
            pc: 0,
            other_sp: 0,
            control: 0,
            primask: 0,
            faultmask: 0,
            basepri: 0,
            ipsr: 0,
            thumb: true,
            monitor: None,
            scs: Scs::new(num_irq),
            boot_pc: None,
        }
    }

    /// Register `r` (R0–R14) as 32 bits.
    pub fn reg(&self, r: usize) -> u32 {
        self.regs[r] as u32
    }

    /// Sets register `r` (R0–R14).
    pub fn set_reg(&mut self, r: usize, v: u32) {
        self.regs[r] = u64::from(v);
    }

    /// FPSCR.
    pub fn fpscr(&self) -> u32 {
        self.regs[G_FPSCR as usize] as u32
    }

    /// Sets FPSCR (all 32 bits; callers mask what software may write).
    pub fn set_fpscr(&mut self, v: u32) {
        self.regs[G_FPSCR as usize] = u64::from(v);
    }

    /// Whether the core is in handler mode.
    pub fn handler_mode(&self) -> bool {
        self.ipsr != 0
    }

    /// Whether the code running now is privileged.
    pub fn privileged(&self) -> bool {
        self.handler_mode() || self.control & CONTROL_NPRIV == 0
    }

    /// Whether R13 currently holds the process stack pointer.
    pub fn psp_active(&self) -> bool {
        !self.handler_mode() && self.control & CONTROL_SPSEL != 0
    }

    /// The main stack pointer.
    pub fn msp(&self) -> u32 {
        if self.psp_active() {
            self.other_sp
        } else {
            self.reg(SP)
        }
    }

    /// The process stack pointer.
    pub fn psp(&self) -> u32 {
        if self.psp_active() {
            self.reg(SP)
        } else {
            self.other_sp
        }
    }

    /// Sets the main stack pointer.
    pub fn set_msp(&mut self, v: u32) {
        let v = v & !3;
        if self.psp_active() {
            self.other_sp = v;
        } else {
            self.set_reg(SP, v);
        }
    }

    /// Sets the process stack pointer.
    pub fn set_psp(&mut self, v: u32) {
        let v = v & !3;
        if self.psp_active() {
            self.set_reg(SP, v);
        } else {
            self.other_sp = v;
        }
    }

    /// Changes mode or CONTROL.SPSEL, swapping the banked stack pointer in
    /// when the active one changes.
    pub fn switch_stack(&mut self, ipsr: u32, control: u32) {
        let before = self.psp_active();
        self.ipsr = ipsr;
        self.control = control;
        if self.psp_active() != before {
            let current = self.reg(SP);
            self.set_reg(SP, self.other_sp);
            self.other_sp = current;
        }
    }

    /// The APSR flags N, Z, C, V, Q and GE as in xPSR.
    pub fn apsr(&self) -> u32 {
        let g = |i: u32| self.regs[i as usize] as u32 & 1;
        (g(G_N) << 31)
            | (g(G_Z) << 30)
            | (g(G_C) << 29)
            | (g(G_V) << 28)
            | (g(G_Q) << 27)
            | ((self.regs[G_GE as usize] as u32 & 0xf) << 16)
    }

    /// Sets the APSR flags from an xPSR-shaped value (`ge`: also GE).
    pub fn set_apsr(&mut self, v: u32, nzcvq: bool, ge: bool) {
        if nzcvq {
            for (bit, g) in [(31, G_N), (30, G_Z), (29, G_C), (28, G_V), (27, G_Q)] {
                self.regs[g as usize] = u64::from((v >> bit) & 1);
            }
        }
        if ge {
            self.regs[G_GE as usize] = u64::from((v >> 16) & 0xf);
        }
    }

    /// The IT-block state.
    pub fn itstate(&self) -> u32 {
        self.regs[G_IT as usize] as u32 & 0xff
    }

    /// The whole xPSR (APSR, IPSR and EPSR with T and IT).
    pub fn xpsr(&self) -> u32 {
        let it = self.itstate();
        self.apsr()
            | (self.ipsr & 0x1ff)
            | (u32::from(self.thumb) << 24)
            | ((it & 3) << 25)
            | ((it >> 2) << 10)
    }

    /// Restores the xPSR from an exception frame.
    pub fn set_xpsr_from_frame(&mut self, v: u32) {
        self.set_apsr(v, true, true);
        self.thumb = v & (1 << 24) != 0;
        let it = ((v >> 25) & 3) | (((v >> 10) & 0x3f) << 2);
        self.regs[G_IT as usize] = u64::from(it);
    }
}

impl CpuState for ArmCpu {
    fn pc(&self) -> u64 {
        self.pc
    }

    fn set_pc(&mut self, pc: u64) {
        self.pc = pc & 0xffff_fffe;
    }

    fn globals(&self) -> &[u64] {
        &self.regs
    }

    fn globals_mut(&mut self) -> &mut [u64] {
        &mut self.regs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_pointers_swap_with_spsel_in_thread_mode() {
        let mut cpu = ArmCpu::new(32);
        cpu.set_msp(0x2000_1000);
        cpu.set_psp(0x2000_0800);
        assert_eq!(cpu.reg(SP), 0x2000_1000);
        cpu.switch_stack(0, CONTROL_SPSEL);
        assert_eq!(cpu.reg(SP), 0x2000_0800);
        assert_eq!(cpu.msp(), 0x2000_1000);
        // Handler mode always runs on the main stack.
        cpu.switch_stack(11, CONTROL_SPSEL);
        assert_eq!(cpu.reg(SP), 0x2000_1000);
        assert_eq!(cpu.psp(), 0x2000_0800);
    }

    #[test]
    fn xpsr_round_trips_flags_and_it_state() {
        let mut cpu = ArmCpu::new(32);
        let v = 0xf80f_0000 | (1 << 24) | (0b10 << 25) | (0b10_1101 << 10);
        cpu.set_xpsr_from_frame(v);
        assert_eq!(cpu.xpsr(), v);
        assert_eq!(cpu.itstate(), 0b1011_0110);
    }
}
