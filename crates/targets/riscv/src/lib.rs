//! The RISC-V frontend: RV32 and RV64 harts with the I, M, A and C
//! extensions, Zicsr and Zifencei, in machine mode, with XLEN a run-time
//! parameter so one crate serves both widths; and RISC-V's own devices
//! (the CLINT and the PLIC).

pub mod clint;
pub mod cluster_type;
pub mod compressed;
pub mod cpu;
pub mod csr;
pub mod decode;
pub mod gdb;
pub mod helpers;
pub mod inst;
pub mod plic;
pub mod translate;
pub mod trap;

use std::fmt::Write as _;
use std::sync::Arc;

use chimera_core::PinInfo;
use chimera_devices::DeviceType;
use chimera_engine::ir::IrBuilder;
use chimera_engine::{ClusterType, CodeReader, CpuEnv, Frontend, Helper, IrqInputs, Trap};

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
    gdb: gdb::RiscvGdb,
}

impl RiscV {
    /// A frontend for `xlen`-bit harts.
    pub fn new(xlen: u32, timebase_hz: u64, reset_pc: u64) -> Self {
        RiscV {
            xlen,
            timebase_hz,
            reset_pc,
            gdb: gdb::RiscvGdb::new(xlen),
        }
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
        RiscvCpu::new(hart)
    }

    fn reset(&self, cpu: &mut RiscvCpu) {
        let hart = cpu.hart;
        *cpu = RiscvCpu::new(hart);
        cpu.pc = self.reset_pc;
    }

    fn block_mode(&self, cpu: &RiscvCpu) -> u32 {
        u32::from(cpu.privilege)
    }

    fn translate(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        b: &mut IrBuilder,
    ) -> Result<(), Trap> {
        self.translate_block(code, b)
    }

    fn handle_trap(&self, cpu: &mut RiscvCpu, _env: &mut CpuEnv, trap: Trap, pc: u64) {
        self.take_trap(cpu, trap, pc);
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
            " mstatus {:x} mtvec {:x} mepc {:x} mcause {:x} mtval {:x} mie {:x} mip {:x} mscratch {:x}",
            c.mstatus,
            c.mtvec,
            c.mepc,
            c.mcause,
            c.mtval,
            c.mie,
            c.mip_sw | cpu.pending_pins,
            c.mscratch
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
