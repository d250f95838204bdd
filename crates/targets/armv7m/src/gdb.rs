//! ARMv7-M for GDB: the M-profile target description (core registers,
//! xPSR, the banked stack pointers and special registers, and the FPU's
//! D registers when present) and the register file in its order, as data.

use std::fmt::Write as _;

use chimera_engine::GdbArch;

use crate::cpu::{ArmCpu, G_S0, PC, REG_NAMES};

/// Special registers after xPSR, in register-number order.
const SPECIAL: [&str; 6] = ["msp", "psp", "primask", "basepri", "faultmask", "control"];
/// Register number of xPSR.
const XPSR: usize = 16;
/// Register number of D0 (when the FPU is present).
const D0: usize = XPSR + 1 + SPECIAL.len();
/// Register number of FPSCR.
const FPSCR: usize = D0 + 16;

/// The GDB view of a Cortex-M core.
#[derive(Debug, Clone)]
pub struct ArmGdb {
    fpu: bool,
}

impl ArmGdb {
    /// For cores with (`fpu`) or without the FPU.
    pub fn new(fpu: bool) -> Self {
        ArmGdb { fpu }
    }

    fn count(&self) -> usize {
        if self.fpu {
            FPSCR + 1
        } else {
            D0
        }
    }

    fn size(regno: usize) -> usize {
        if (D0..FPSCR).contains(&regno) {
            8
        } else {
            4
        }
    }

    fn value(&self, cpu: &ArmCpu, regno: usize) -> Option<u64> {
        Some(match regno {
            PC => cpu.pc,
            0..=14 => u64::from(cpu.reg(regno)),
            XPSR => u64::from(cpu.xpsr()),
            17 => u64::from(cpu.msp()),
            18 => u64::from(cpu.psp()),
            19 => u64::from(cpu.primask),
            20 => u64::from(cpu.basepri),
            21 => u64::from(cpu.faultmask),
            22 => u64::from(cpu.control),
            r if self.fpu && (D0..FPSCR).contains(&r) => {
                let s = G_S0 as usize + 2 * (r - D0);
                (cpu.regs[s] & 0xffff_ffff) | (cpu.regs[s + 1] << 32)
            }
            FPSCR if self.fpu => u64::from(cpu.fpscr()),
            _ => return None,
        })
    }

    fn store(&self, cpu: &mut ArmCpu, regno: usize, v: u64) -> bool {
        let w = v as u32;
        match regno {
            PC => cpu.pc = u64::from(w & !1),
            0..=14 => cpu.set_reg(regno, w),
            // The flags, the Thumb bit and the IT state, as QEMU writes
            // it; the exception number is the CPU's, not GDB's.
            XPSR => cpu.set_xpsr_from_frame(w),
            17 => cpu.set_msp(w),
            18 => cpu.set_psp(w),
            19 => cpu.primask = w & 1,
            20 => cpu.basepri = w & 0xff,
            21 => cpu.faultmask = w & 1,
            22 => {
                let ipsr = cpu.ipsr;
                cpu.switch_stack(ipsr, w & 7);
            }
            r if self.fpu && (D0..FPSCR).contains(&r) => {
                let s = G_S0 as usize + 2 * (r - D0);
                cpu.regs[s] = v & 0xffff_ffff;
                cpu.regs[s + 1] = v >> 32;
            }
            FPSCR if self.fpu => cpu.set_fpscr(w),
            _ => return false,
        }
        true
    }
}

impl GdbArch<ArmCpu> for ArmGdb {
    fn target_xml(&self) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n<architecture>arm</architecture>\n<feature name=\"org.gnu.gdb.arm.m-profile\">\n",
        );
        for (i, name) in REG_NAMES.iter().enumerate() {
            let ty = match i {
                13 => "data_ptr",
                14 | 15 => "code_ptr",
                _ => "uint32",
            };
            let _ = writeln!(
                xml,
                "  <reg name=\"{name}\" bitsize=\"32\" type=\"{ty}\" regnum=\"{i}\"/>"
            );
        }
        let _ = writeln!(
            xml,
            "  <reg name=\"xpsr\" bitsize=\"32\" regnum=\"{XPSR}\"/>"
        );
        xml.push_str("</feature>\n<feature name=\"org.gnu.gdb.arm.m-system\">\n");
        for (i, name) in SPECIAL.iter().enumerate() {
            let _ = writeln!(
                xml,
                "  <reg name=\"{name}\" bitsize=\"32\" regnum=\"{}\" group=\"system\"/>",
                XPSR + 1 + i
            );
        }
        xml.push_str("</feature>\n");
        if self.fpu {
            xml.push_str("<feature name=\"org.gnu.gdb.arm.vfp\">\n");
            for i in 0..16 {
                let _ = writeln!(
                    xml,
                    "  <reg name=\"d{i}\" bitsize=\"64\" type=\"ieee_double\" regnum=\"{}\"/>",
                    D0 + i
                );
            }
            let _ = writeln!(
                xml,
                "  <reg name=\"fpscr\" bitsize=\"32\" type=\"int\" group=\"float\" regnum=\"{FPSCR}\"/>"
            );
            xml.push_str("</feature>\n");
        }
        xml.push_str("</target>\n");
        xml
    }

    fn read_registers(&self, cpu: &ArmCpu) -> Vec<u8> {
        (0..self.count())
            .flat_map(|r| {
                let v = self.value(cpu, r).unwrap_or(0);
                v.to_le_bytes().into_iter().take(Self::size(r))
            })
            .collect()
    }

    fn write_registers(&self, cpu: &mut ArmCpu, data: &[u8]) -> bool {
        let mut at = 0;
        for r in 0..self.count() {
            let n = Self::size(r);
            let Some(chunk) = data.get(at..at + n) else {
                return at > 0;
            };
            let mut buf = [0u8; 8];
            buf[..n].copy_from_slice(chunk);
            self.store(cpu, r, u64::from_le_bytes(buf));
            at += n;
        }
        true
    }

    fn read_register(&self, cpu: &ArmCpu, regno: usize) -> Option<Vec<u8>> {
        let v = self.value(cpu, regno)?;
        Some(v.to_le_bytes()[..Self::size(regno)].to_vec())
    }

    fn write_register(&self, cpu: &mut ArmCpu, regno: usize, data: &[u8]) -> bool {
        let mut buf = [0u8; 8];
        let n = data.len().min(8);
        buf[..n].copy_from_slice(&data[..n]);
        self.store(cpu, regno, u64::from_le_bytes(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpsr_writes_and_reads_the_it_state_with_the_flags() {
        let gdb = ArmGdb::new(false);
        let mut cpu = ArmCpu::new(32);
        // N and C, Thumb, ITSTATE 0b0000_1101 (IT[1:0] at 26:25, IT[7:2]
        // at 15:10): an IT block under way.
        let xpsr = 0xa000_0000 | 1 << 24 | 0b01 << 25 | 0b11 << 10;
        assert!(gdb.store(&mut cpu, XPSR, u64::from(xpsr)));
        assert_eq!(cpu.itstate(), 0b1101);
        assert_eq!(cpu.xpsr(), xpsr);
    }
}
