//! The Sstc supervisor timer: `stimecmp` compared with `time`. While
//! `menvcfg.STCE` is set the comparison is `mip.STIP` (kept in the
//! software-pending bits, brought up to date whenever the hart looks at
//! its interrupts), and the hart asks the engine to look again when
//! `time` reaches `stimecmp`, so a hart in `wfi` wakes on time.

use chimera_engine::CpuEnv;

use crate::csr::{MENVCFG_STCE, MIP_STIP};
use crate::{RiscV, RiscvCpu};

impl RiscV {
    /// Whether Sstc drives `mip.STIP` on this hart.
    fn sstc_on(cpu: &RiscvCpu) -> bool {
        cpu.csr.menvcfg & MENVCFG_STCE != 0
    }

    /// The first virtual nanosecond at which `time` reads `ticks` or more.
    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        let hz = u128::from(self.timebase_hz.max(1));
        let ns = (u128::from(ticks) * 1_000_000_000).div_ceil(hz);
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// `mip` as read, given its other bits `mip`: STIP from the
    /// comparison while Sstc drives it.
    pub(crate) fn sstc_mip(&self, cpu: &RiscvCpu, env: &CpuEnv, mip: u64) -> u64 {
        if !Self::sstc_on(cpu) {
            return mip;
        }
        if self.time_ticks(env) >= cpu.csr.stimecmp {
            mip | MIP_STIP
        } else {
            mip & !MIP_STIP
        }
    }

    /// Brings STIP up to date and asks for a look when `time` reaches
    /// `stimecmp` (or cancels the request when Sstc is off or the
    /// comparison already holds).
    pub fn sync_sstc(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv) {
        if !Self::sstc_on(cpu) {
            return;
        }
        let due = self.time_ticks(env) >= cpu.csr.stimecmp;
        if due {
            cpu.csr.mip_sw |= MIP_STIP;
        } else {
            cpu.csr.mip_sw &= !MIP_STIP;
            env.set_wakeup(self.ticks_to_ns(cpu.csr.stimecmp));
        }
    }
}
