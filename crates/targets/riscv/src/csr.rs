//! Machine-mode CSRs: which exist, what reads give and what writes keep.

use chimera_engine::CpuEnv;

use crate::cpu::RiscvCpu;
use crate::RiscV;

/// `mstatus` bits this hart implements.
pub const MSTATUS_MIE: u64 = 1 << 3;
/// Previous MIE.
pub const MSTATUS_MPIE: u64 = 1 << 7;
/// Previous privilege (two bits).
pub const MSTATUS_MPP: u64 = 3 << 11;

/// Interrupt bits of `mip`/`mie`.
pub const MIP_MSIP: u64 = 1 << 3;
/// Machine timer.
pub const MIP_MTIP: u64 = 1 << 7;
/// Machine external.
pub const MIP_MEIP: u64 = 1 << 11;
/// Supervisor external (a pin, for later S-mode).
pub const MIP_SEIP: u64 = 1 << 9;

const MIE_WRITABLE: u64 = MIP_MSIP | MIP_MTIP | MIP_MEIP;

/// Why a CSR access is refused (an illegal-instruction exception).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrRefused;

impl RiscV {
    fn mask(&self) -> u64 {
        if self.xlen == 64 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        }
    }

    /// `misa` for this configuration: MXL and the I, M, A, C extensions.
    pub fn misa(&self) -> u64 {
        let ext = (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12);
        let mxl: u64 = if self.xlen == 64 { 2 } else { 1 };
        (mxl << (self.xlen - 2)) | ext
    }

    fn counter(&self, cpu: &RiscvCpu, env: &CpuEnv, csr: u16) -> Option<u64> {
        let retired = env.retired();
        let value = match csr & 0x7f {
            0x00 => retired.wrapping_add(cpu.csr.mcycle_offset),
            0x01 => self.time_ticks(env),
            0x02 => retired.wrapping_add(cpu.csr.minstret_offset),
            // Performance counters 3..31 exist and read zero.
            n if n < 0x20 => 0,
            _ => return None,
        };
        Some(value)
    }

    /// The `time` CSR: virtual time in ticks of the timebase.
    pub fn time_ticks(&self, env: &CpuEnv) -> u64 {
        (u128::from(env.now_ns()) * u128::from(self.timebase_hz) / 1_000_000_000) as u64
    }

    /// Reads CSR `csr`.
    pub fn read_csr(
        &self,
        cpu: &RiscvCpu,
        env: &CpuEnv,
        pins: u64,
        csr: u16,
    ) -> Result<u64, CsrRefused> {
        if u16::from(cpu.privilege) < (csr >> 8) & 3 {
            return Err(CsrRefused);
        }
        let high = self.xlen == 32 && matches!(csr, 0xb80..=0xb9f | 0xc80..=0xc9f);
        let c = &cpu.csr;
        let value = match csr {
            0x300 => (c.mstatus & (MSTATUS_MIE | MSTATUS_MPIE)) | MSTATUS_MPP,
            0x301 => self.misa(),
            0x304 => c.mie,
            0x305 => c.mtvec,
            0x306 => c.mcounteren,
            0x320 => c.mcountinhibit,
            0x340 => c.mscratch,
            0x341 => c.mepc,
            0x342 => c.mcause,
            0x343 => c.mtval,
            0x344 => c.mip_sw | pins,
            0x3a0..=0x3a3 => c.pmpcfg[usize::from(csr - 0x3a0)],
            0x3b0..=0x3bf => c.pmpaddr[usize::from(csr - 0x3b0)],
            0xb00..=0xb1f | 0xc00..=0xc1f => self.counter(cpu, env, csr).ok_or(CsrRefused)?,
            0xb80..=0xb9f | 0xc80..=0xc9f if high => {
                self.counter(cpu, env, csr & !0x80).ok_or(CsrRefused)? >> 32
            }
            0xf11..=0xf13 | 0xf15 => 0,
            0xf14 => u64::from(cpu.hart),
            _ => return Err(CsrRefused),
        };
        Ok(value & self.mask())
    }

    /// Writes CSR `csr`.
    pub fn write_csr(
        &self,
        cpu: &mut RiscvCpu,
        env: &CpuEnv,
        csr: u16,
        value: u64,
    ) -> Result<(), CsrRefused> {
        if csr >> 10 == 3 || u16::from(cpu.privilege) < (csr >> 8) & 3 {
            return Err(CsrRefused);
        }
        let value = value & self.mask();
        let retired = env.retired();
        let c = &mut cpu.csr;
        match csr {
            0x300 => c.mstatus = value & (MSTATUS_MIE | MSTATUS_MPIE),
            0x301 => {}
            0x304 => c.mie = value & MIE_WRITABLE,
            0x305 => c.mtvec = value & !2,
            0x306 => c.mcounteren = value & 0xffff_ffff,
            0x320 => c.mcountinhibit = value & 0xffff_fffd,
            0x340 => c.mscratch = value,
            0x341 => c.mepc = value & !1,
            0x342 => c.mcause = value,
            0x343 => c.mtval = value,
            // MSIP, MTIP and MEIP follow their pins; nothing else is writable.
            0x344 => {}
            0x3a0..=0x3a3 => c.pmpcfg[usize::from(csr - 0x3a0)] = value,
            0x3b0..=0x3bf => c.pmpaddr[usize::from(csr - 0x3b0)] = value,
            0xb00 => c.mcycle_offset = self.set_low(value, retired, c.mcycle_offset),
            0xb02 => c.minstret_offset = self.set_low(value, retired, c.minstret_offset),
            0xb80 if self.xlen == 32 => c.mcycle_offset = set_high(value, retired, c.mcycle_offset),
            0xb82 if self.xlen == 32 => {
                c.minstret_offset = set_high(value, retired, c.minstret_offset)
            }
            0xb03..=0xb1f | 0xb83..=0xb9f => {}
            _ => return Err(CsrRefused),
        }
        Ok(())
    }

    /// The offset that makes a counter read `value` (its low XLEN bits)
    /// now that `retired` instructions have retired.
    fn set_low(&self, value: u64, retired: u64, offset: u64) -> u64 {
        let current = retired.wrapping_add(offset);
        let new = (current & !self.mask()) | value;
        new.wrapping_sub(retired)
    }
}

fn set_high(value: u64, retired: u64, offset: u64) -> u64 {
    let current = retired.wrapping_add(offset);
    let new = (current & 0xffff_ffff) | (value << 32);
    new.wrapping_sub(retired)
}
