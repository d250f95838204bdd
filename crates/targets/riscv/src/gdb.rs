//! RISC-V for GDB: the target description (general registers, pc and the
//! machine-mode CSRs) and the register file in its order, as data.

use std::fmt::Write as _;

use chimera_engine::GdbArch;

use crate::cpu::{RiscvCpu, ABI_NAMES};

/// The CSRs shown to GDB: (number, name). GDB numbers CSR `n` as register
/// `65 + n`.
const CSRS: &[(u16, &str)] = &[
    (0x300, "mstatus"),
    (0x301, "misa"),
    (0x304, "mie"),
    (0x305, "mtvec"),
    (0x340, "mscratch"),
    (0x341, "mepc"),
    (0x342, "mcause"),
    (0x343, "mtval"),
    (0x344, "mip"),
    (0xf14, "mhartid"),
];

/// The GDB view of RISC-V harts of one width.
#[derive(Debug, Clone)]
pub struct RiscvGdb {
    xlen: u32,
}

impl RiscvGdb {
    /// For `xlen`-bit harts.
    pub fn new(xlen: u32) -> Self {
        RiscvGdb { xlen }
    }

    fn bytes(&self) -> usize {
        (self.xlen / 8) as usize
    }

    fn misa(&self) -> u64 {
        let mxl: u64 = if self.xlen == 64 { 2 } else { 1 };
        (mxl << (self.xlen - 2))
            | (1 << 0)
            | (1 << 2)
            | (1 << 3)
            | (1 << 5)
            | (1 << 8)
            | (1 << 12)
            | (1 << 18)
            | (1 << 20)
    }

    fn csr_value(&self, cpu: &RiscvCpu, csr: u16) -> u64 {
        let c = &cpu.csr;
        match csr {
            0x300 => crate::csr::mstatus_view(self.xlen, c.mstatus),
            0x301 => self.misa(),
            0x304 => c.mie,
            0x305 => c.mtvec,
            0x340 => c.mscratch,
            0x341 => c.mepc,
            0x342 => c.mcause,
            0x343 => c.mtval,
            0x344 => c.mip_sw | cpu.pending_pins,
            0xf14 => u64::from(cpu.hart),
            _ => 0,
        }
    }

    fn set_csr(cpu: &mut RiscvCpu, csr: u16, v: u64) {
        let c = &mut cpu.csr;
        match csr {
            0x300 => c.mstatus = v,
            0x304 => c.mie = v,
            0x305 => c.mtvec = v,
            0x340 => c.mscratch = v,
            0x341 => c.mepc = v,
            0x342 => c.mcause = v,
            0x343 => c.mtval = v,
            _ => {}
        }
    }

    /// Every register's value in description order.
    fn values(&self, cpu: &RiscvCpu) -> Vec<u64> {
        let mut v: Vec<u64> = cpu.regs[..32].to_vec();
        v.push(cpu.pc);
        v.extend(CSRS.iter().map(|(n, _)| self.csr_value(cpu, *n)));
        v
    }

    fn store(&self, cpu: &mut RiscvCpu, index: usize, value: u64) {
        let mask = if self.xlen == 64 {
            u64::MAX
        } else {
            0xffff_ffff
        };
        let value = value & mask;
        match index {
            0 => {}
            1..=31 => cpu.regs[index] = value,
            32 => cpu.pc = value,
            i => {
                if let Some((n, _)) = CSRS.get(i - 33) {
                    Self::set_csr(cpu, *n, value);
                }
            }
        }
    }

    fn index_of(regno: usize) -> Option<usize> {
        match regno {
            0..=32 => Some(regno),
            r => CSRS
                .iter()
                .position(|(n, _)| 65 + usize::from(*n) == r)
                .map(|i| 33 + i),
        }
    }
}

impl GdbArch<RiscvCpu> for RiscvGdb {
    fn target_xml(&self) -> String {
        let x = self.xlen;
        let mut xml = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n<architecture>riscv:rv{x}</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n"
        );
        for (i, name) in ABI_NAMES.iter().enumerate() {
            let ty = match i {
                1 => "code_ptr",
                2 | 8 => "data_ptr",
                _ => "int",
            };
            let _ = writeln!(
                xml,
                "  <reg name=\"{name}\" bitsize=\"{x}\" type=\"{ty}\" regnum=\"{i}\"/>"
            );
        }
        let _ = writeln!(
            xml,
            "  <reg name=\"pc\" bitsize=\"{x}\" type=\"code_ptr\" regnum=\"32\"/>"
        );
        xml.push_str("</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (n, name) in CSRS {
            let _ = writeln!(
                xml,
                "  <reg name=\"{name}\" bitsize=\"{x}\" type=\"int\" regnum=\"{}\" group=\"csr\"/>",
                65 + u32::from(*n)
            );
        }
        xml.push_str("</feature>\n</target>\n");
        xml
    }

    fn read_registers(&self, cpu: &RiscvCpu) -> Vec<u8> {
        let n = self.bytes();
        self.values(cpu)
            .iter()
            .flat_map(|v| v.to_le_bytes().into_iter().take(n))
            .collect()
    }

    fn write_registers(&self, cpu: &mut RiscvCpu, data: &[u8]) -> bool {
        let n = self.bytes();
        if data.len() < 33 * n {
            return false;
        }
        for (i, chunk) in data.chunks(n).enumerate() {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.store(cpu, i, u64::from_le_bytes(buf));
        }
        true
    }

    fn read_register(&self, cpu: &RiscvCpu, regno: usize) -> Option<Vec<u8>> {
        let i = Self::index_of(regno)?;
        let v = *self.values(cpu).get(i)?;
        Some(v.to_le_bytes()[..self.bytes()].to_vec())
    }

    fn write_register(&self, cpu: &mut RiscvCpu, regno: usize, data: &[u8]) -> bool {
        let Some(i) = Self::index_of(regno) else {
            return false;
        };
        let mut buf = [0u8; 8];
        let n = data.len().min(8);
        buf[..n].copy_from_slice(&data[..n]);
        self.store(cpu, i, u64::from_le_bytes(buf));
        true
    }
}
