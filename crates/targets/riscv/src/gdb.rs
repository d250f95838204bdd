//! RISC-V for GDB: the target description (general registers, pc, the
//! F/D registers with `fflags`, `frm` and `fcsr`, and the supervisor and
//! machine CSRs that hold state, in QEMU's features and numbering) and the register file in its
//! order, as data.

use std::fmt::Write as _;

use chimera_engine::GdbArch;

use crate::cpu::{RiscvCpu, ABI_NAMES};
use crate::csr::{CSR_FCSR, CSR_FFLAGS, CSR_FRM};

/// The float registers' ABI names, `f0` to `f31`.
const FLOAT_NAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// GDB's number of `f0` (the float registers follow the pc).
const F0: usize = 33;

/// GDB's number of CSR `n` is `CSR0 + n`.
const CSR0: usize = 65;

/// The float CSRs, in the float feature: (number, name).
const FLOAT_CSRS: [(u16, &str); 3] = [(CSR_FFLAGS, "fflags"), (CSR_FRM, "frm"), (CSR_FCSR, "fcsr")];

/// The CSRs shown to GDB: (number, name), in increasing number (the order
/// of the `g` packet). GDB numbers CSR `n` as register `65 + n`.
const CSRS: &[(u16, &str)] = &[
    (0x100, "sstatus"),
    (0x104, "sie"),
    (0x105, "stvec"),
    (0x106, "scounteren"),
    (0x10a, "senvcfg"),
    (0x140, "sscratch"),
    (0x141, "sepc"),
    (0x142, "scause"),
    (0x143, "stval"),
    (0x144, "sip"),
    (0x14d, "stimecmp"),
    (0x180, "satp"),
    (0x300, "mstatus"),
    (0x301, "misa"),
    (0x302, "medeleg"),
    (0x303, "mideleg"),
    (0x304, "mie"),
    (0x305, "mtvec"),
    (0x306, "mcounteren"),
    (0x30a, "menvcfg"),
    (0x320, "mcountinhibit"),
    (0x340, "mscratch"),
    (0x341, "mepc"),
    (0x342, "mcause"),
    (0x343, "mtval"),
    (0x344, "mip"),
    (0x3a0, "pmpcfg0"),
    (0x3a1, "pmpcfg1"),
    (0x3a2, "pmpcfg2"),
    (0x3a3, "pmpcfg3"),
    (0x3b0, "pmpaddr0"),
    (0x3b1, "pmpaddr1"),
    (0x3b2, "pmpaddr2"),
    (0x3b3, "pmpaddr3"),
    (0x3b4, "pmpaddr4"),
    (0x3b5, "pmpaddr5"),
    (0x3b6, "pmpaddr6"),
    (0x3b7, "pmpaddr7"),
    (0x3b8, "pmpaddr8"),
    (0x3b9, "pmpaddr9"),
    (0x3ba, "pmpaddr10"),
    (0x3bb, "pmpaddr11"),
    (0x3bc, "pmpaddr12"),
    (0x3bd, "pmpaddr13"),
    (0x3be, "pmpaddr14"),
    (0x3bf, "pmpaddr15"),
    (0xf11, "mvendorid"),
    (0xf12, "marchid"),
    (0xf13, "mimpid"),
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

    /// The CSRs of [`CSRS`] a hart of this width has (RV64 has only the
    /// even `pmpcfg` registers).
    fn csrs(&self) -> impl Iterator<Item = &'static (u16, &'static str)> {
        let rv64 = self.xlen == 64;
        CSRS.iter()
            .filter(move |(n, _)| !(rv64 && matches!(n, 0x3a1 | 0x3a3)))
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
        let mip = c.mip_sw | cpu.pending_pins;
        match csr {
            0x100 => crate::csr::mstatus_view(self.xlen, c.mstatus) & crate::csr::SSTATUS_VIEW,
            0x104 => c.mie & c.mideleg,
            0x105 => c.stvec,
            0x106 => c.scounteren,
            0x10a => c.senvcfg,
            0x140 => c.sscratch,
            0x141 => c.sepc,
            0x142 => c.scause,
            0x143 => c.stval,
            0x144 => mip & c.mideleg,
            0x14d => c.stimecmp,
            0x180 => c.satp,
            0x302 => c.medeleg,
            0x303 => c.mideleg,
            0x306 => c.mcounteren,
            0x30a => c.menvcfg,
            0x320 => c.mcountinhibit,
            0x300 => crate::csr::mstatus_view(self.xlen, c.mstatus),
            0x301 => self.misa(),
            0x304 => c.mie,
            0x305 => c.mtvec,
            0x340 => c.mscratch,
            0x341 => c.mepc,
            0x342 => c.mcause,
            0x343 => c.mtval,
            0x344 => mip,
            0xf14 => u64::from(cpu.hart),
            0x3a0..=0x3a3 => {
                crate::csr::pmpcfg_value(self.xlen, &c.pmpcfg, csr - 0x3a0).unwrap_or(0)
            }
            0x3b0..=0x3bf => c.pmpaddr[usize::from(csr - 0x3b0)],
            _ => 0,
        }
    }

    fn set_csr(&self, cpu: &mut RiscvCpu, csr: u16, v: u64) {
        let per = self.bytes();
        let c = &mut cpu.csr;
        let sview = crate::csr::SSTATUS_VIEW;
        match csr {
            0x100 => c.mstatus = (c.mstatus & !sview) | (v & sview),
            0x104 => c.mie = (c.mie & !c.mideleg) | (v & c.mideleg),
            0x105 => c.stvec = v,
            0x106 => c.scounteren = v,
            0x10a => c.senvcfg = v,
            0x140 => c.sscratch = v,
            0x141 => c.sepc = v,
            0x142 => c.scause = v,
            0x143 => c.stval = v,
            0x14d => c.stimecmp = v,
            0x180 => c.satp = v,
            0x302 => c.medeleg = v,
            0x303 => c.mideleg = v,
            0x306 => c.mcounteren = v,
            0x30a => c.menvcfg = v,
            0x320 => c.mcountinhibit = v,
            0x300 => c.mstatus = v,
            0x304 => c.mie = v,
            0x305 => c.mtvec = v,
            0x340 => c.mscratch = v,
            0x341 => c.mepc = v,
            0x342 => c.mcause = v,
            0x343 => c.mtval = v,
            0x3a0..=0x3a3 => {
                let first = usize::from(csr - 0x3a0) * 4;
                if let Some(bytes) = c.pmpcfg.get_mut(first..first + per) {
                    for (i, b) in bytes.iter_mut().enumerate() {
                        *b = (v >> (8 * i)) as u8;
                    }
                }
            }
            0x3b0..=0x3bf => c.pmpaddr[usize::from(csr - 0x3b0)] = v,
            _ => {}
        }
    }

    /// Every register in description order: its GDB number and its size
    /// in bytes in the `g` packet.
    fn layout(&self) -> impl Iterator<Item = (usize, usize)> {
        let x = self.bytes();
        let general = (0..=32).map(move |r| (r, x));
        let float = (F0..F0 + 32).map(|r| (r, 8));
        let float_csrs = FLOAT_CSRS.iter().map(|(n, _)| (CSR0 + usize::from(*n), 4));
        let csrs = self.csrs().map(move |(n, _)| (CSR0 + usize::from(*n), x));
        general.chain(float).chain(float_csrs).chain(csrs)
    }

    /// Register `regno`'s size in bytes, when GDB knows it.
    fn size_of(&self, regno: usize) -> Option<usize> {
        self.layout().find(|&(r, _)| r == regno).map(|(_, n)| n)
    }

    fn value(&self, cpu: &RiscvCpu, regno: usize) -> u64 {
        let c = &cpu.csr;
        match regno {
            0..=31 => cpu.regs[regno],
            32 => cpu.pc,
            r if (F0..F0 + 32).contains(&r) => cpu.regs[32 + r - F0],
            r => match u16::try_from(r - CSR0).unwrap_or(u16::MAX) {
                CSR_FFLAGS => u64::from(c.fflags),
                CSR_FRM => u64::from(c.frm),
                CSR_FCSR => u64::from(c.frm << 5 | c.fflags),
                n => self.csr_value(cpu, n),
            },
        }
    }

    fn store(&self, cpu: &mut RiscvCpu, regno: usize, value: u64) {
        let mask = if self.xlen == 64 {
            u64::MAX
        } else {
            0xffff_ffff
        };
        match regno {
            0 => {}
            1..=31 => cpu.regs[regno] = value & mask,
            32 => cpu.pc = value & mask,
            r if (F0..F0 + 32).contains(&r) => cpu.regs[32 + r - F0] = value,
            r => match u16::try_from(r - CSR0).unwrap_or(u16::MAX) {
                CSR_FFLAGS => cpu.csr.fflags = (value & 0x1f) as u8,
                CSR_FRM => cpu.csr.frm = (value & 7) as u8,
                CSR_FCSR => {
                    cpu.csr.fflags = (value & 0x1f) as u8;
                    cpu.csr.frm = ((value >> 5) & 7) as u8;
                }
                n => self.set_csr(cpu, n, value & mask),
            },
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
        xml.push_str("</feature>\n<feature name=\"org.gnu.gdb.riscv.fpu\">\n");
        xml.push_str(
            "  <union id=\"riscv_double\">\n    <field name=\"float\" type=\"ieee_single\"/>\n    <field name=\"double\" type=\"ieee_double\"/>\n  </union>\n",
        );
        for (i, name) in FLOAT_NAMES.iter().enumerate() {
            let _ = writeln!(
                xml,
                "  <reg name=\"{name}\" bitsize=\"64\" type=\"riscv_double\" regnum=\"{}\"/>",
                F0 + i
            );
        }
        for (n, name) in FLOAT_CSRS {
            let _ = writeln!(
                xml,
                "  <reg name=\"{name}\" bitsize=\"32\" type=\"int\" regnum=\"{}\"/>",
                CSR0 + usize::from(n)
            );
        }
        xml.push_str("</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (n, name) in self.csrs() {
            let _ = writeln!(
                xml,
                "  <reg name=\"{name}\" bitsize=\"{x}\" type=\"int\" regnum=\"{}\" group=\"csr\"/>",
                CSR0 + usize::from(*n)
            );
        }
        xml.push_str("</feature>\n</target>\n");
        xml
    }

    fn read_registers(&self, cpu: &RiscvCpu) -> Vec<u8> {
        self.layout()
            .flat_map(|(r, n)| self.value(cpu, r).to_le_bytes().into_iter().take(n))
            .collect()
    }

    fn write_registers(&self, cpu: &mut RiscvCpu, data: &[u8]) -> bool {
        if data.len() < 33 * self.bytes() {
            return false;
        }
        // As many registers as the packet holds whole, in layout order.
        let mut at = 0;
        for (r, n) in self.layout() {
            let Some(chunk) = data.get(at..at + n) else {
                break;
            };
            let mut buf = [0u8; 8];
            buf[..n].copy_from_slice(chunk);
            self.store(cpu, r, u64::from_le_bytes(buf));
            at += n;
        }
        true
    }

    fn read_register(&self, cpu: &RiscvCpu, regno: usize) -> Option<Vec<u8>> {
        let n = self.size_of(regno)?;
        Some(self.value(cpu, regno).to_le_bytes()[..n].to_vec())
    }

    fn write_register(&self, cpu: &mut RiscvCpu, regno: usize, data: &[u8]) -> bool {
        if self.size_of(regno).is_none() {
            return false;
        }
        let mut buf = [0u8; 8];
        let n = data.len().min(8);
        buf[..n].copy_from_slice(&data[..n]);
        self.store(cpu, regno, u64::from_le_bytes(buf));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrs_are_listed_in_register_order_as_the_g_packet_needs() {
        assert!(CSRS.windows(2).all(|w| w[0].0 < w[1].0));
        // RV64 has no odd pmpcfg registers.
        assert!(RiscvGdb::new(64)
            .csrs()
            .all(|(n, _)| *n != 0x3a1 && *n != 0x3a3));
        assert_eq!(RiscvGdb::new(32).csrs().count(), CSRS.len());
    }
}
