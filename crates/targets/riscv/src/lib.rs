//! The RISC-V frontend: RV32 and RV64 harts with the I, M, A, F, D and C
//! extensions, Zicsr and Zifencei, in machine, supervisor and user modes
//! with Sv32 (RV32) and Sv39 (RV64) paging, with XLEN a run-time parameter
//! so one crate serves both widths; and RISC-V's own devices (the CLINT and
//! the PLIC).

pub mod clint;
pub mod cluster_type;
pub mod compressed;
pub mod cpu;
pub mod csr;
pub mod decode;
pub mod float;
pub mod gdb;
pub mod hardfloat;
pub mod helpers;
pub mod inst;
pub mod isa;
pub mod mmu;
pub mod plic;
pub mod sstc;
pub mod translate;
pub mod trap;

use std::fmt::Write as _;
use std::sync::Arc;

use chimera_core::PinInfo;
use chimera_devices::DeviceType;
use chimera_engine::ir::IrBuilder;
use chimera_engine::{
    ClusterType, CodeReader, CpuEnv, Frontend, Helper, IrqInputs, Translation, Trap,
};
use chimera_memory::AccessKind;

pub use cpu::RiscvCpu;

/// A RISC-V frontend of one width.
#[derive(Debug, Clone)]
pub struct RiscV {
    /// 32 or 64.
    pub xlen: u32,
    /// Frequency of the `time` CSR (and of the CLINT's `mtime`).
    pub timebase_hz: u64,
    /// Where harts start after reset.
    pub reset_pc: u64,
    /// The optional extensions the harts implement.
    pub extensions: isa::Extensions,
    gdb: gdb::RiscvGdb,
}

impl RiscV {
    /// A frontend for `xlen`-bit harts.
    pub fn new(xlen: u32, timebase_hz: u64, reset_pc: u64) -> Self {
        RiscV {
            xlen,
            timebase_hz,
            reset_pc,
            extensions: isa::Extensions::default(),
            gdb: gdb::RiscvGdb::new(xlen),
        }
    }

    /// The same frontend with only `extensions` of the optional ones.
    pub fn with_extensions(mut self, extensions: isa::Extensions) -> Self {
        self.extensions = extensions;
        self
    }
}

impl Frontend for RiscV {
    type Cpu = RiscvCpu;

    fn arch(&self) -> &str {
        if self.xlen == 64 {
            "riscv64"
        } else {
            "riscv32"
        }
    }

    fn elf_machine(&self) -> Option<u16> {
        // EM_RISCV in the ELF specification's machine table.
        Some(243)
    }

    fn helpers(&self) -> &[Helper<Self>] {
        helpers::HELPERS
    }

    fn irq_pins(&self) -> Vec<PinInfo> {
        vec![
            PinInfo::input("msip", "machine software interrupt"),
            PinInfo::input("mtip", "machine timer interrupt"),
            PinInfo::input("meip", "machine external interrupt"),
            PinInfo::input("seip", "supervisor external interrupt"),
        ]
    }

    fn new_cpu(&self, hart: u32) -> RiscvCpu {
        let mut cpu = RiscvCpu::new(hart);
        cpu.csr.menvcfg = self.reset_menvcfg();
        cpu
    }

    fn reset(&self, cpu: &mut RiscvCpu) {
        *cpu = self.new_cpu(cpu.hart);
        cpu.pc = self.reset_pc;
    }

    /// `a0`..`a7` (x10..x17), truncated to XLEN: QEMU's `virt` starts
    /// firmware with the hart id in `a0` and the device tree in `a1`.
    fn set_boot_args(&self, cpu: &mut RiscvCpu, args: &[u64]) -> Result<(), String> {
        if args.len() > 8 {
            return Err(format!(
                "{} boot arguments, RISC-V has 8 (a0-a7)",
                args.len()
            ));
        }
        for (reg, value) in cpu.regs[10..].iter_mut().zip(args) {
            *reg = value & self.mask();
        }
        Ok(())
    }

    /// The privilege (bits 0-1) and whether fetches are translated (bit
    /// 2): the same physical code seen through paging usually sits at
    /// another virtual pc, which the block's exits name.
    fn block_mode(&self, cpu: &RiscvCpu) -> u32 {
        let paged =
            cpu.privilege != csr::PRIV_M && mmu::satp_mode(self.xlen, cpu.csr.satp).is_some();
        u32::from(cpu.privilege)
            | (u32::from(paged) << 2)
            | (u32::from(hardfloat::host_arithmetic(cpu)) << 3)
    }

    fn translate_addr(
        &self,
        cpu: &mut RiscvCpu,
        env: &mut CpuEnv,
        vaddr: u64,
        access: AccessKind,
    ) -> Result<Translation, Trap> {
        self.translate_vaddr(cpu, env, vaddr, access)
    }

    fn debug_translate(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv, vaddr: u64) -> Option<u64> {
        self.debug_vaddr(cpu, env, vaddr)
    }

    fn registers_written(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv) {
        // satp, mstatus or the privilege may have changed under the
        // cached translations.
        mmu::flush(cpu, env);
        self.sync_mmu(cpu, env);
    }

    fn translate(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        b: &mut IrBuilder,
    ) -> Result<(), Trap> {
        self.translate_block(code, b)
    }

    fn handle_trap(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv, trap: Trap, pc: u64) {
        self.take_trap(cpu, env, trap, pc);
    }

    fn check_interrupts(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv, irq: &IrqInputs) -> bool {
        self.poll_interrupts(cpu, env, irq)
    }

    fn dump_registers(&self, cpu: &RiscvCpu) -> String {
        let digits = (self.xlen / 4) as usize;
        let mut out = format!(" pc       {:0digits$x}\n", cpu.pc);
        for (i, name) in cpu::ABI_NAMES.iter().enumerate() {
            let _ = write!(out, " x{i:<2} {name:<4} {:0digits$x}", cpu.regs[i]);
            out.push(if i % 4 == 3 { '\n' } else { ' ' });
        }
        let c = &cpu.csr;
        let _ = writeln!(
            out,
            " priv {} mstatus {:x} mtvec {:x} mepc {:x} mcause {:x} mtval {:x} mie {:x} mip {:x} mscratch {:x}",
            cpu.privilege,
            self.mstatus(cpu),
            c.mtvec,
            c.mepc,
            c.mcause,
            c.mtval,
            c.mie,
            c.mip_sw | cpu.pending_pins,
            c.mscratch
        );
        let _ = writeln!(
            out,
            " satp {:x} stvec {:x} sepc {:x} scause {:x} stval {:x} medeleg {:x} mideleg {:x}",
            c.satp, c.stvec, c.sepc, c.scause, c.stval, c.medeleg, c.mideleg
        );
        out
    }

    fn gdb(&self) -> Option<&dyn chimera_engine::GdbArch<RiscvCpu>> {
        Some(&self.gdb)
    }
}

/// The RISC-V cluster types: `riscv64` and `riscv32`.
pub fn cluster_types() -> Vec<Arc<dyn ClusterType>> {
    vec![
        Arc::new(cluster_type::RiscvClusterType { xlen: 64 }),
        Arc::new(cluster_type::RiscvClusterType { xlen: 32 }),
    ]
}

/// RISC-V's own devices.
pub fn device_types() -> Vec<Arc<dyn DeviceType>> {
    vec![Arc::new(clint::ClintType), Arc::new(plic::PlicType)]
}
