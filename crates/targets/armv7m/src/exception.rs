//! The M-profile exception model: priorities and preemption, taking an
//! exception (stacking, EXC_RETURN, the vector table), returning from one
//! (unstacking, tail-chaining through the pending check), faults and
//! their escalation to HardFault, and the interrupt check between blocks.

use chimera_engine::{CpuEnv, ExitRequest, FaultKind, IrqInputs, MemFault, Trap};
use chimera_memory::AccessKind;

use crate::cpu::{ArmCpu, CONTROL_FPCA, CONTROL_SPSEL, G_IT, LR};
use crate::scs::{cfsr, exc, CCR_STKALIGN, HFSR_FORCED, HFSR_VECTTBL};
use crate::ArmM;

/// Trap causes the translator and helpers raise (`Trap::Guest::cause`).
pub mod cause {
    /// An undefined instruction (UsageFault UNDEFINSTR).
    pub const UNDEFINED: u64 = 1;
    /// An interworking branch to an even address (UsageFault INVSTATE).
    pub const INVSTATE: u64 = 2;
    /// An unaligned access where alignment is required (UNALIGNED).
    pub const UNALIGNED: u64 = 3;
    /// Division by zero with DIV_0_TRP set (DIVBYZERO).
    pub const DIVBYZERO: u64 = 4;
    /// A coprocessor instruction with the coprocessor off (NOCP).
    pub const NOCP: u64 = 5;
    /// `SVC`: `value` is the address of the next instruction.
    pub const SVC: u64 = 6;
    /// `BKPT` other than semihosting (a debug event: HardFault).
    pub const BKPT: u64 = 7;
    /// An invalid EXC_RETURN (UsageFault INVPC).
    pub const INVPC: u64 = 8;
}

/// FPCCR.LSPEN: lazy preservation of the FP context.
const FPCCR_LSPEN: u32 = 1 << 30;
/// FPCCR.LSPACT: a lazy preservation is pending.
pub const FPCCR_LSPACT: u32 = 1;

/// Writes S0–S15 and FPSCR at `at` (an exception frame's FP area);
/// returns whether every write reached memory.
pub fn save_fp_context(cpu: &ArmCpu, env: &mut CpuEnv, at: u32) -> bool {
    let mut ok = true;
    for i in 0..16 {
        let s = cpu.regs[crate::cpu::G_S0 as usize + i];
        ok &= env.phys_write(u64::from(at) + 4 * i as u64, 4, s).is_ok();
    }
    ok & env
        .phys_write(u64::from(at) + 0x40, 4, u64::from(cpu.fpscr()))
        .is_ok()
}

/// The execution priority of thread mode with nothing masked.
const THREAD_PRIORITY: i32 = 256;

impl ArmM {
    /// The current execution priority (lower is more urgent).
    pub fn execution_priority(&self, cpu: &ArmCpu, with_primask: bool) -> i32 {
        let scs = &cpu.scs;
        let mut prio = THREAD_PRIORITY;
        for n in 1..scs.exceptions() {
            if scs.active[n as usize] {
                prio = prio.min(scs.group_priority(scs.raw_priority(n)));
            }
        }
        if cpu.basepri & 0xff != 0 {
            prio = prio.min(scs.group_priority((cpu.basepri & 0xff) as i32));
        }
        if with_primask && cpu.primask & 1 != 0 {
            prio = prio.min(0);
        }
        if cpu.faultmask & 1 != 0 {
            prio = prio.min(-1);
        }
        prio
    }

    /// Asks for the pending-exception check before the next block.
    pub fn request_recheck(env: &mut CpuEnv) {
        env.set_wakeup(env.now_ns());
    }

    /// Which translations the soft-MMU holds for this CPU now: one set for
    /// the default memory map (MPU off, or exempt at a negative priority),
    /// one for privileged and one for unprivileged code under the MPU.
    pub fn mpu_context(&self, cpu: &ArmCpu) -> u64 {
        let ctrl = cpu.scs.mpu_ctrl;
        if ctrl & crate::mpu::CTRL_ENABLE == 0
            || (ctrl & crate::mpu::CTRL_HFNMIENA == 0 && self.execution_priority(cpu, true) < 0)
        {
            0
        } else if cpu.privileged() {
            1
        } else {
            2
        }
    }

    /// Selects the soft-MMU's translations for the MPU context now (after
    /// a change of mode, privilege, priority or MPU settings).
    pub fn sync_mpu(&self, cpu: &ArmCpu, env: &mut CpuEnv) {
        env.mmu.select(self.mpu_context(cpu));
    }

    /// Turns a trap into the exception that handles it.
    pub fn take_trap(&self, cpu: &mut ArmCpu, env: &mut CpuEnv, trap: Trap, pc: u64) {
        let pc = pc as u32;
        let (exception, status) = match trap {
            Trap::Memory(MemFault {
                vaddr,
                access,
                kind,
            }) => {
                if matches!(kind, FaultKind::Misaligned) {
                    (exc::USAGEFAULT, cfsr::UNALIGNED)
                } else if matches!(kind, FaultKind::Protection) && access == AccessKind::Fetch {
                    (exc::MEMMANAGE, cfsr::IACCVIOL)
                } else if matches!(kind, FaultKind::Protection) {
                    cpu.scs.mmfar = vaddr as u32;
                    (exc::MEMMANAGE, cfsr::DACCVIOL | cfsr::MMARVALID)
                } else if access == AccessKind::Fetch {
                    (exc::BUSFAULT, cfsr::IBUSERR)
                } else {
                    cpu.scs.bfar = vaddr as u32;
                    (exc::BUSFAULT, cfsr::PRECISERR | cfsr::BFARVALID)
                }
            }
            Trap::Guest { cause, value } => match cause {
                cause::SVC => {
                    self.raise(cpu, env, exc::SVCALL, 0, value as u32);
                    return;
                }
                cause::UNDEFINED => (exc::USAGEFAULT, cfsr::UNDEFINSTR),
                cause::INVSTATE => (exc::USAGEFAULT, cfsr::INVSTATE),
                cause::UNALIGNED => (exc::USAGEFAULT, cfsr::UNALIGNED),
                cause::DIVBYZERO => (exc::USAGEFAULT, cfsr::DIVBYZERO),
                cause::NOCP => (exc::USAGEFAULT, cfsr::NOCP),
                cause::INVPC => (exc::USAGEFAULT, cfsr::INVPC),
                _ => {
                    // A debug event with no debugger attached escalates.
                    cpu.scs.dfsr |= 2;
                    cpu.scs.hfsr |= 1 << 31;
                    self.raise(cpu, env, exc::HARDFAULT, 0, pc);
                    return;
                }
            },
        };
        self.raise(cpu, env, exception, status, pc);
    }

    /// Takes synchronous exception `exception` (recording `status` in the
    /// CFSR), escalating to HardFault when its handler is disabled or
    /// cannot preempt; `return_addr` is what the frame's pc gets.
    pub fn raise(
        &self,
        cpu: &mut ArmCpu,
        env: &mut CpuEnv,
        exception: u32,
        status: u32,
        return_addr: u32,
    ) {
        let current = self.execution_priority(cpu, true);
        let mut target = exception;
        if exception != exc::HARDFAULT && exception != exc::NMI {
            let prio = cpu.scs.group_priority(cpu.scs.raw_priority(exception));
            if !cpu.scs.fault_enabled(exception) || prio >= current {
                target = exc::HARDFAULT;
                cpu.scs.hfsr |= HFSR_FORCED;
            }
        }
        cpu.scs.cfsr |= status;
        if target == exc::HARDFAULT && current <= -1 {
            env.control.request(ExitRequest::Error(format!(
                "armv7m: lockup at pc {return_addr:#010x}: fault (exception {exception}) \
                 while the execution priority is {current}"
            )));
            env.request_halt();
            return;
        }
        self.enter(cpu, env, target, return_addr);
    }

    /// Stacks the caller's context and enters the handler of `exception`.
    /// When the stacking fails, the derived BusFault (CFSR.STKERR) is
    /// entered instead, through the same frame, escalated to HardFault as
    /// any BusFault is (or locking up), and `exception` stays pending: so
    /// QEMU does, after ARMv7-M's ExceptionEntry pseudocode.
    pub fn enter(&self, cpu: &mut ArmCpu, env: &mut CpuEnv, exception: u32, return_addr: u32) {
        let mut exception = exception;
        let fp_frame = self.fpu && cpu.control & CONTROL_FPCA != 0;
        let frame_size = if fp_frame { 0x68 } else { 0x20 };
        let sp = if cpu.psp_active() {
            cpu.psp()
        } else {
            cpu.msp()
        };
        let align = cpu.scs.ccr & CCR_STKALIGN != 0 && (sp.wrapping_sub(frame_size)) & 4 != 0;
        let frame = sp.wrapping_sub(frame_size) & if align { !7 } else { !3 };
        let xpsr = (cpu.xpsr() & !(1 << 9)) | if align { 1 << 9 } else { 0 };
        let words = [
            cpu.reg(0),
            cpu.reg(1),
            cpu.reg(2),
            cpu.reg(3),
            cpu.reg(12),
            cpu.reg(LR),
            return_addr & !1,
            xpsr,
        ];
        let mut stack_ok = true;
        for (i, w) in words.iter().enumerate() {
            stack_ok &= env
                .phys_write(u64::from(frame) + 4 * i as u64, 4, u64::from(*w))
                .is_ok();
        }
        if fp_frame {
            if cpu.scs.fpccr & FPCCR_LSPEN != 0 {
                // Lazy preservation: the space is reserved, the registers
                // are written by the handler's first FP instruction.
                cpu.scs.fpcar = frame + 0x20;
                let ready = |b: bool, bit: u32| if b { 1 << bit } else { 0 };
                let hardfault = self.execution_priority(cpu, true) > -1;
                cpu.scs.fpccr = (cpu.scs.fpccr & 0xc000_0000)
                    | FPCCR_LSPACT
                    | ready(!cpu.privileged(), 1)
                    | ready(!cpu.handler_mode(), 3)
                    | ready(hardfault, 4)
                    | ready(cpu.scs.fault_enabled(exc::MEMMANAGE), 5)
                    | ready(cpu.scs.fault_enabled(exc::BUSFAULT), 6);
            } else {
                stack_ok &= save_fp_context(cpu, env, frame + 0x20);
            }
        }
        if !stack_ok {
            cpu.scs.cfsr |= cfsr::STKERR;
            let current = self.execution_priority(cpu, true);
            let bus = cpu.scs.group_priority(cpu.scs.raw_priority(exc::BUSFAULT));
            let derived = if cpu.scs.fault_enabled(exc::BUSFAULT) && bus < current {
                exc::BUSFAULT
            } else {
                cpu.scs.hfsr |= HFSR_FORCED;
                exc::HARDFAULT
            };
            if derived == exc::HARDFAULT && current <= -1 {
                env.control.request(ExitRequest::Error(format!(
                    "armv7m: lockup at pc {return_addr:#010x}: stacking for exception \
                     {exception} failed while the execution priority is {current}"
                )));
                env.request_halt();
                return;
            }
            if derived != exception {
                cpu.scs.pending[exception as usize] = true;
                exception = derived;
            }
        }
        if cpu.psp_active() {
            cpu.set_psp(frame);
        } else {
            cpu.set_msp(frame);
        }
        let exc_return = match (cpu.handler_mode(), cpu.psp_active()) {
            (true, _) => 0xffff_fff1,
            (false, false) => 0xffff_fff9,
            (false, true) => 0xffff_fffd,
        } & if fp_frame { !0x10 } else { !0 };
        cpu.set_reg(LR, exc_return);
        let control = cpu.control & !(CONTROL_SPSEL | CONTROL_FPCA);
        cpu.switch_stack(exception, control);
        cpu.scs.pending[exception as usize] = false;
        cpu.scs.active[exception as usize] = true;
        cpu.regs[G_IT as usize] = 0;
        cpu.monitor = None;
        let vector = u64::from(cpu.scs.vtor) + 4 * u64::from(exception);
        match env.phys_read(vector, 4, AccessKind::Read) {
            Ok(handler) => {
                cpu.thumb = handler & 1 != 0;
                cpu.pc = handler & 0xffff_fffe;
            }
            Err(_) => {
                cpu.scs.hfsr |= HFSR_VECTTBL;
                env.control.request(ExitRequest::Error(format!(
                    "armv7m: lockup: the vector of exception {exception} at {vector:#010x} cannot be read"
                )));
                env.request_halt();
            }
        }
        self.sync_mpu(cpu, env);
        Self::request_recheck(env);
    }

    /// Returns from the current exception through `exc_return`; gives the
    /// pc to continue at, or the trap for an invalid return.
    pub fn exception_return(
        &self,
        cpu: &mut ArmCpu,
        env: &mut CpuEnv,
        exc_return: u32,
    ) -> Result<u32, Trap> {
        let returning = cpu.ipsr;
        let (to_handler, use_psp) = match exc_return & 0xf {
            0x1 => (true, false),
            0x9 => (false, false),
            0xd => (false, true),
            _ => {
                return Err(Trap::Guest {
                    cause: cause::INVPC,
                    value: u64::from(exc_return),
                })
            }
        };
        let fp_frame = exc_return & 0x10 == 0;
        if fp_frame && !self.fpu {
            return Err(Trap::Guest {
                cause: cause::INVPC,
                value: u64::from(exc_return),
            });
        }
        if let Some(a) = cpu.scs.active.get_mut(returning as usize) {
            *a = false;
        }
        if returning != exc::NMI {
            cpu.faultmask = 0;
        }
        // A level-sensitive interrupt still asserted pends again.
        if returning >= exc::IRQ0 && cpu.scs.line_level(returning - exc::IRQ0) {
            cpu.scs.pending[returning as usize] = true;
        }
        let mut control = cpu.control & !(CONTROL_SPSEL | CONTROL_FPCA);
        if use_psp {
            control |= CONTROL_SPSEL;
        }
        if fp_frame {
            control |= CONTROL_FPCA;
        }
        cpu.switch_stack(if to_handler { 1 } else { 0 }, control);
        let frame = cpu.reg(crate::cpu::SP);
        let mut words = [0u32; 8];
        let mut ok = true;
        for (i, w) in words.iter_mut().enumerate() {
            match env.phys_read(u64::from(frame) + 4 * i as u64, 4, AccessKind::Read) {
                Ok(v) => *w = v as u32,
                Err(_) => ok = false,
            }
        }
        if fp_frame && cpu.scs.fpccr & FPCCR_LSPACT != 0 {
            // The handler never used the FPU: the registers still hold the
            // interrupted context.
            cpu.scs.fpccr &= !FPCCR_LSPACT;
        } else if fp_frame {
            for i in 0..16 {
                if let Ok(v) =
                    env.phys_read(u64::from(frame) + 0x20 + 4 * i as u64, 4, AccessKind::Read)
                {
                    cpu.regs[crate::cpu::G_S0 as usize + i] = v;
                }
            }
            if let Ok(v) = env.phys_read(u64::from(frame) + 0x60, 4, AccessKind::Read) {
                cpu.set_fpscr(v as u32);
            }
        }
        if !ok {
            cpu.scs.cfsr |= cfsr::UNSTKERR;
        }
        for (r, w) in [0, 1, 2, 3, 12, LR].into_iter().zip(words) {
            cpu.set_reg(r, w);
        }
        let xpsr = words[7];
        let size = if fp_frame { 0x68 } else { 0x20 };
        let realign = if xpsr & (1 << 9) != 0 { 4 } else { 0 };
        cpu.set_reg(crate::cpu::SP, frame.wrapping_add(size + realign));
        cpu.set_xpsr_from_frame(xpsr);
        let ipsr = if to_handler { (xpsr & 0x1ff).max(1) } else { 0 };
        cpu.ipsr = ipsr;
        cpu.monitor = None;
        self.sync_mpu(cpu, env);
        Self::request_recheck(env);
        Ok(words[6] & !1)
    }

    /// The interrupt check between blocks: SysTick, external lines, then
    /// the most urgent pending exception that may preempt.
    pub fn poll(&self, cpu: &mut ArmCpu, env: &mut CpuEnv, irq: &IrqInputs) -> bool {
        let tick = self.systick_tick(cpu, env);
        let next_zero = cpu.scs.systick_advance(tick);
        for line in 0..cpu.scs.num_irq.min(irq.count().saturating_sub(1)) {
            cpu.scs.set_line_level(line, irq.level(line));
        }
        let wake = match cpu.scs.highest_pending() {
            Some((n, p)) => {
                let group = cpu.scs.group_priority(p);
                if group < self.execution_priority(cpu, true) {
                    let pc = cpu.pc as u32;
                    self.enter(cpu, env, n, pc);
                    true
                } else {
                    group < self.execution_priority(cpu, false)
                }
            }
            None => false,
        };
        match next_zero {
            Some(t) => env.set_wakeup(self.tick_to_ns(cpu, env, t)),
            None => env.clear_wakeup(),
        }
        if cpu
            .scs
            .highest_pending()
            .is_some_and(|(_, p)| cpu.scs.group_priority(p) < self.execution_priority(cpu, true))
        {
            Self::request_recheck(env);
        }
        wake
    }

    fn systick_hz(&self, cpu: &ArmCpu, env: &CpuEnv) -> u64 {
        if cpu.scs.systick_uses_cpu_clock() {
            env.params.freq_hz
        } else {
            self.refclk_hz
        }
    }

    /// SysTick's clock ticks since time 0.
    pub fn systick_tick(&self, cpu: &ArmCpu, env: &CpuEnv) -> u64 {
        let hz = self.systick_hz(cpu, env);
        (u128::from(env.now_ns()) * u128::from(hz) / 1_000_000_000) as u64
    }

    fn tick_to_ns(&self, cpu: &ArmCpu, env: &CpuEnv, tick: u64) -> u64 {
        let hz = self.systick_hz(cpu, env).max(1);
        let ns = (u128::from(tick) * 1_000_000_000).div_ceil(u128::from(hz));
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// Reads the initial stack pointer and reset vector.
    pub fn reset_from_vector_table(&self, cpu: &mut ArmCpu, env: &mut CpuEnv) {
        let vtor = u64::from(cpu.scs.vtor);
        let sp = env.phys_read(vtor, 4, AccessKind::Read);
        let pc = env.phys_read(vtor + 4, 4, AccessKind::Read);
        match (sp, pc) {
            (Ok(sp), Ok(pc)) => {
                cpu.set_msp(sp as u32);
                cpu.thumb = pc & 1 != 0;
                cpu.pc = pc & 0xffff_fffe;
            }
            _ => {
                env.control.request(ExitRequest::Error(format!(
                    "armv7m: the vector table at {vtor:#010x} cannot be read at reset"
                )));
                env.request_halt();
            }
        }
    }
}
