//! The ARMv7-M frontend: Cortex-M3 and Cortex-M4 cores running Thumb and
//! Thumb-2 code, with the M-profile exception model (vector table,
//! stacking, EXC_RETURN, priorities, tail-chaining), and the System
//! Control Space each core owns (NVIC, SCB, SysTick), reached through the
//! engine's CPU-local accesses rather than the bus. Semihosting goes to the
//! cluster's host console.

pub mod cluster_type;
pub mod cpu;
pub mod dsp;
pub mod exception;
pub mod fpu;
pub mod gdb;
pub mod hardfloat;
pub mod helpers;
pub mod mpu;
pub mod scs;
pub mod semihost;
pub mod thumb16;
pub mod thumb32;
pub mod translate;
pub mod vfp;

use std::fmt::Write as _;
use std::sync::Arc;

use chimera_core::{PinDirection, PinInfo};
use chimera_engine::ir::IrBuilder;
use chimera_engine::{
    local_fault, ClusterType, CodeReader, CpuEnv, Frontend, Helper, HostConsole, IrqInputs, Trap,
};
use chimera_memory::AccessKind;

pub use cpu::ArmCpu;
use scs::CoreKind;

/// Base of the System Control Space.
pub const SCS_BASE: u64 = 0xe000_e000;
/// Size of the System Control Space.
pub const SCS_SIZE: u64 = 0x1000;

/// An ARMv7-M frontend for one core type.
#[derive(Clone)]
pub struct ArmM {
    /// Which core.
    pub core: CoreKind,
    /// Whether the FPv4-SP unit is present (Cortex-M4F).
    pub fpu: bool,
    /// External interrupts the NVIC implements.
    pub num_irq: u32,
    /// SysTick's reference clock, when CLKSOURCE selects it.
    pub refclk_hz: u64,
    console: Option<Arc<dyn HostConsole>>,
    gdb: gdb::ArmGdb,
}

impl std::fmt::Debug for ArmM {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmM")
            .field("core", &self.core)
            .field("fpu", &self.fpu)
            .field("num_irq", &self.num_irq)
            .finish_non_exhaustive()
    }
}

impl ArmM {
    /// A frontend for `core` with `num_irq` external interrupts.
    pub fn new(core: CoreKind, fpu: bool, num_irq: u32) -> Self {
        ArmM {
            core,
            fpu,
            num_irq,
            refclk_hz: 1_000_000,
            console: None,
            gdb: gdb::ArmGdb::new(fpu),
        }
    }

    /// Sends semihosting output to `console`.
    pub fn with_console(mut self, console: Option<Arc<dyn HostConsole>>) -> Self {
        self.console = console;
        self
    }

    /// Whether the DSP extension (ARMv7E-M) is present.
    pub fn has_dsp(&self) -> bool {
        self.core == CoreKind::CortexM4
    }

    fn console_write(&self, bytes: &[u8]) {
        if let Some(c) = &self.console {
            c.write(bytes);
        }
    }
}

impl Frontend for ArmM {
    type Cpu = ArmCpu;

    fn arch(&self) -> &str {
        "armv7m"
    }

    fn elf_machine(&self) -> Option<u16> {
        // EM_ARM in the ELF specification's machine table.
        Some(40)
    }

    fn helpers(&self) -> &[Helper<Self>] {
        helpers::HELPERS
    }

    fn irq_pins(&self) -> Vec<PinInfo> {
        vec![
            PinInfo::array(
                "irq",
                PinDirection::Input,
                self.num_irq,
                "external interrupt inputs of the NVIC",
            ),
            PinInfo::input("nmi", "non-maskable interrupt"),
        ]
    }

    fn new_cpu(&self, _hart: u32) -> ArmCpu {
        ArmCpu::new(self.num_irq)
    }

    fn reset(&self, cpu: &mut ArmCpu) {
        let boot = cpu.boot_pc;
        *cpu = ArmCpu::new(self.num_irq);
        cpu.boot_pc = boot;
    }

    fn complete_reset(&self, cpu: &mut ArmCpu, env: &mut CpuEnv) {
        self.reset_from_vector_table(cpu, env);
    }

    fn block_mode(&self, cpu: &ArmCpu) -> u32 {
        let fp_on = self.fpu && cpu.scs.cpacr & (0xf << 20) == 0xf << 20;
        let unalign_trp = cpu.scs.ccr & scs::CCR_UNALIGN_TRP != 0;
        cpu.itstate()
            | (u32::from(!cpu.thumb) << 8)
            | (u32::from(fp_on) << 9)
            | (u32::from(unalign_trp) << 10)
            | (u32::from(cpu.control & cpu::CONTROL_FPCA != 0) << 11)
            // Code fetched under one MPU context is not run under another.
            | ((self.mpu_context(cpu) as u32) << 20)
            | (if self.fpu {
                hardfloat::host_float(cpu).mode_bits() << 12
            } else {
                0
            })
    }

    fn chain_mode(&self, cpu: &ArmCpu) -> u32 {
        // The IT state (low byte) follows from the code run before.
        self.block_mode(cpu) & !0xff
    }

    fn translate_addr(
        &self,
        cpu: &mut ArmCpu,
        env: &mut CpuEnv,
        vaddr: u64,
        access: AccessKind,
    ) -> Result<chimera_engine::Translation, Trap> {
        let denied = Trap::Memory(chimera_engine::MemFault {
            vaddr,
            access,
            kind: chimera_engine::FaultKind::Protection,
        });
        let context = self.mpu_context(cpu);
        let verdict = if context == 0 {
            mpu::Verdict::DefaultMap
        } else {
            mpu::check(&cpu.scs, vaddr, access, context == 1, false)
        };
        match verdict {
            mpu::Verdict::Denied => return Err(denied),
            // The default memory map makes the Peripheral, Device and
            // System regions execute-never: fetching there is a MemManage
            // fault.
            mpu::Verdict::DefaultMap
                if access == AccessKind::Fetch && matches!(vaddr >> 28, 0x4 | 0x5 | 0xa..=0xf) =>
            {
                return Err(denied)
            }
            _ => {}
        }
        // A page whose bytes the MPU treats differently is never held.
        let page = 1u64 << env.params.page_bits;
        let start = vaddr & !(page - 1);
        Ok(chimera_engine::Translation {
            paddr: vaddr,
            cacheable: context == 0 || mpu::uniform(&cpu.scs, start, start + page),
        })
    }

    fn translate(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        b: &mut IrBuilder,
    ) -> Result<(), Trap> {
        translate::translate_block(self, code, b)
    }

    fn is_cpu_local(&self, paddr: u64) -> bool {
        (SCS_BASE..SCS_BASE + SCS_SIZE).contains(&paddr)
    }

    fn local_read(
        &self,
        cpu: &mut ArmCpu,
        env: &mut CpuEnv,
        paddr: u64,
        size: usize,
    ) -> Result<u64, Trap> {
        let offset = (paddr - SCS_BASE) as u32;
        if !cpu.privileged() {
            return Err(local_fault(paddr, AccessKind::Read));
        }
        if size == 1 {
            if let Some(p) = cpu.scs.priority_byte(offset) {
                return Ok(u64::from(p));
            }
        }
        let tick = self.systick_tick(cpu, env);
        let word = if offset & !3 == 0x01c {
            scs::systick_calib(self.refclk_hz)
        } else {
            cpu.scs.read_word(offset & !3, cpu.ipsr, self.core, tick)
        };
        let shift = 8 * (offset & 3);
        let mask = if size >= 4 {
            u32::MAX
        } else {
            (1 << (8 * size)) - 1
        };
        Ok(u64::from((word >> shift) & mask))
    }

    fn local_write(
        &self,
        cpu: &mut ArmCpu,
        env: &mut CpuEnv,
        paddr: u64,
        size: usize,
        value: u64,
    ) -> Result<(), Trap> {
        let offset = (paddr - SCS_BASE) as u32;
        // STIR may be written unprivileged when CCR.USERSETMPEND allows.
        if !(cpu.privileged() || offset == 0xf00 && cpu.scs.ccr & 2 != 0) {
            return Err(local_fault(paddr, AccessKind::Write));
        }
        if size == 1 && cpu.scs.set_priority_byte(offset, value as u8) {
            Self::request_recheck(env);
            return Ok(());
        }
        let tick = self.systick_tick(cpu, env);
        let value = if size >= 4 {
            value as u32
        } else {
            // A narrow write merges into the register's current value.
            let shift = 8 * (offset & 3);
            let mask = ((1u32 << (8 * size)) - 1) << shift;
            let old = cpu.scs.read_word(offset & !3, cpu.ipsr, self.core, tick);
            (old & !mask) | (((value as u32) << shift) & mask)
        };
        let effect = cpu.scs.write_word(offset & !3, value, tick);
        if matches!(offset & !3, 0xd14 | 0xd88 | 0xf34) {
            // CCR, CPACR and FPCCR decide how code translates.
            env.request_block_end();
        }
        if (0xd94..=0xdbb).contains(&offset) {
            // The MPU's settings: every translation held is stale.
            env.mmu.flush();
            self.sync_mpu(cpu, env);
            env.request_block_end();
        }
        if effect.reset {
            env.control.request(chimera_engine::ExitRequest::Reset);
        }
        if effect.recheck || effect.systick {
            Self::request_recheck(env);
        }
        Ok(())
    }

    fn handle_trap(&self, cpu: &mut ArmCpu, env: &mut CpuEnv, trap: Trap, pc: u64) {
        self.take_trap(cpu, env, trap, pc);
    }

    fn check_interrupts(&self, cpu: &mut ArmCpu, env: &mut CpuEnv, irq: &IrqInputs) -> bool {
        self.poll(cpu, env, irq)
    }

    fn dump_registers(&self, cpu: &ArmCpu) -> String {
        let mut out = String::new();
        for (i, name) in cpu::REG_NAMES.iter().enumerate() {
            let v = if i == cpu::PC {
                cpu.pc as u32
            } else {
                cpu.reg(i)
            };
            let _ = write!(out, " {name:<3}={v:08x}");
            out.push(if i % 4 == 3 { '\n' } else { ' ' });
        }
        let _ = writeln!(
            out,
            " xpsr={:08x} msp={:08x} psp={:08x} control={:x} primask={:x} basepri={:02x} faultmask={:x}",
            cpu.xpsr(),
            cpu.msp(),
            cpu.psp(),
            cpu.control,
            cpu.primask,
            cpu.basepri,
            cpu.faultmask
        );
        out
    }

    fn gdb(&self) -> Option<&dyn chimera_engine::GdbArch<ArmCpu>> {
        Some(&self.gdb)
    }
}

/// The ARMv7-M cluster types: `cortex-m3` and `cortex-m4`.
pub fn cluster_types() -> Vec<Arc<dyn ClusterType>> {
    vec![
        Arc::new(cluster_type::ArmClusterType {
            core: CoreKind::CortexM3,
        }),
        Arc::new(cluster_type::ArmClusterType {
            core: CoreKind::CortexM4,
        }),
    ]
}
