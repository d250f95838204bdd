//! Machine- and supervisor-mode CSRs: which exist, who may touch them, what
//! reads give and what writes keep. `sstatus`, `sie` and `sip` are views of
//! their machine-mode registers; `fflags`, `frm` and `fcsr` are views of
//! the float state, reachable only while `mstatus.FS` is not Off.

use chimera_engine::CpuEnv;

use crate::cpu::RiscvCpu;
use crate::mmu::satp_mode;
use crate::RiscV;

/// User privilege.
pub const PRIV_U: u8 = 0;
/// Supervisor privilege.
pub const PRIV_S: u8 = 1;
/// Machine privilege.
pub const PRIV_M: u8 = 3;

/// Supervisor interrupt enable.
pub const MSTATUS_SIE: u64 = 1 << 1;
/// Machine interrupt enable.
pub const MSTATUS_MIE: u64 = 1 << 3;
/// Previous SIE.
pub const MSTATUS_SPIE: u64 = 1 << 5;
/// Previous MIE.
pub const MSTATUS_MPIE: u64 = 1 << 7;
/// Previous privilege of an S-mode trap (one bit).
pub const MSTATUS_SPP: u64 = 1 << 8;
/// Previous privilege of an M-mode trap (two bits).
pub const MSTATUS_MPP: u64 = 3 << 11;
/// Float unit state: Off (0), Initial (1), Clean (2), Dirty (3).
pub const MSTATUS_FS: u64 = 3 << 13;
/// Loads and stores of M mode use MPP's privilege.
pub const MSTATUS_MPRV: u64 = 1 << 17;
/// Supervisor may access user pages.
pub const MSTATUS_SUM: u64 = 1 << 18;
/// Loads may read execute-only pages.
pub const MSTATUS_MXR: u64 = 1 << 19;
/// Trap `satp` accesses and `sfence.vma` in S mode.
pub const MSTATUS_TVM: u64 = 1 << 20;
/// Trap `wfi` in S mode.
pub const MSTATUS_TW: u64 = 1 << 21;
/// Trap `sret` in S mode.
pub const MSTATUS_TSR: u64 = 1 << 22;

const MSTATUS_WRITABLE: u64 = MSTATUS_SIE
    | MSTATUS_MIE
    | MSTATUS_SPIE
    | MSTATUS_MPIE
    | MSTATUS_SPP
    | MSTATUS_MPP
    | MSTATUS_FS
    | MSTATUS_MPRV
    | MSTATUS_SUM
    | MSTATUS_MXR
    | MSTATUS_TVM
    | MSTATUS_TW
    | MSTATUS_TSR;
/// The `mstatus` fields `sstatus` shows (UXL is added on RV64).
pub(crate) const SSTATUS_VIEW: u64 =
    MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;
/// UXL and SXL of RV64: both 64-bit, read-only.
const MSTATUS_UXL64: u64 = 2 << 32;
const MSTATUS_SXL64: u64 = 2 << 34;

/// Supervisor software interrupt.
pub const MIP_SSIP: u64 = 1 << 1;
/// Machine software interrupt.
pub const MIP_MSIP: u64 = 1 << 3;
/// Supervisor timer.
pub const MIP_STIP: u64 = 1 << 5;
/// Machine timer.
pub const MIP_MTIP: u64 = 1 << 7;
/// Supervisor external.
pub const MIP_SEIP: u64 = 1 << 9;
/// Machine external.
pub const MIP_MEIP: u64 = 1 << 11;

const MIE_WRITABLE: u64 = MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
/// The supervisor interrupts: delegable, and software-writable in `mip`.
const S_INTERRUPTS: u64 = MIP_SSIP | MIP_STIP | MIP_SEIP;
/// Exceptions `medeleg` can hand to S mode (all but ECALL from M).
const DELEGABLE_EXCEPTIONS: u64 = 0x3ff | (1 << 12) | (1 << 13) | (1 << 15);

/// `menvcfg.FIOM`.
const ENVCFG_FIOM: u64 = 1;
/// `menvcfg`/`senvcfg.CBIE`: `cbo.inval` allowed below (as a flush).
pub const ENVCFG_CBIE: u64 = 3 << 4;
/// `menvcfg`/`senvcfg.CBCFE`: `cbo.clean` and `cbo.flush` allowed below.
pub const ENVCFG_CBCFE: u64 = 1 << 6;
/// `menvcfg`/`senvcfg.CBZE`: `cbo.zero` allowed below.
pub const ENVCFG_CBZE: u64 = 1 << 7;
/// The low `envcfg` bits that can be written.
const ENVCFG_LOW: u64 = ENVCFG_FIOM | ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE;
/// `menvcfg.ADUE`: the page walker updates A and D itself.
pub const MENVCFG_ADUE: u64 = 1 << 61;
/// `menvcfg.STCE`: `stimecmp` drives `mip.STIP` and S mode may use it.
pub const MENVCFG_STCE: u64 = 1 << 63;
/// `menvcfg.PBMTE`: page-table entries may carry Svpbmt memory types.
pub const MENVCFG_PBMTE: u64 = 1 << 62;
/// The `menvcfg` bits above 31 that can be written.
const MENVCFG_HIGH: u64 = MENVCFG_ADUE | MENVCFG_STCE | MENVCFG_PBMTE;

/// `fflags`.
pub const CSR_FFLAGS: u16 = 0x001;
/// `frm`.
pub const CSR_FRM: u16 = 0x002;
/// `fcsr`: `frm` in bits 7..5, `fflags` in bits 4..0.
pub const CSR_FCSR: u16 = 0x003;

/// `mip`/`sip`.
pub const CSR_MIP: u16 = 0x344;
/// `sip`.
pub const CSR_SIP: u16 = 0x144;
/// `satp`.
pub const CSR_SATP: u16 = 0x180;
/// `menvcfg`.
pub const CSR_MENVCFG: u16 = 0x30a;
/// `menvcfgh` (RV32).
pub const CSR_MENVCFGH: u16 = 0x31a;
/// `stimecmp` (Sstc).
pub const CSR_STIMECMP: u16 = 0x14d;
/// `stimecmph` (Sstc, RV32).
pub const CSR_STIMECMPH: u16 = 0x15d;

/// Why a CSR access is refused (an illegal-instruction exception).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrRefused;

impl RiscV {
    pub(crate) fn mask(&self) -> u64 {
        if self.xlen == 64 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        }
    }

    /// `misa` for this configuration: MXL and the I, M, A, F, D, C, S and
    /// U extensions.
    pub fn misa(&self) -> u64 {
        let ext = (1 << 0)
            | (1 << 2)
            | (1 << 3)
            | (1 << 5)
            | (1 << 8)
            | (1 << 12)
            | (1 << 18)
            | (1 << 20);
        let mxl: u64 = if self.xlen == 64 { 2 } else { 1 };
        (mxl << (self.xlen - 2)) | ext
    }

    /// The ISA as a device tree names it: the single-letter extensions of
    /// `misa` that are ISA extensions (not the S and U modes), then the
    /// multi-letter ones this frontend implements.
    pub fn isa_extensions(&self) -> Vec<String> {
        let misa = self.misa();
        let mut ext: Vec<String> = "imafdqcbvh"
            .chars()
            .filter(|c| misa & (1 << (*c as u8 - b'a')) != 0)
            .map(String::from)
            .collect();
        let optional = self.extensions.enabled();
        ext.extend(
            [
                "zicbom",
                "zicbop",
                "zicboz",
                "zicntr",
                "zicond",
                "zicsr",
                "zifencei",
                "zihintpause",
                "zawrs",
                "zba",
                "zbb",
                "zbc",
                "zbs",
                "sstc",
                "svadu",
                "svpbmt",
            ]
            .into_iter()
            .filter(|e| !crate::isa::NAMES.contains(e) || optional.contains(e))
            // Svpbmt's memory types live in RV64's page-table entries.
            .filter(|e| *e != "svpbmt" || self.xlen == 64)
            .map(String::from),
        );
        ext
    }

    /// `mstatus` as read.
    pub fn mstatus(&self, cpu: &RiscvCpu) -> u64 {
        mstatus_view(self.xlen, cpu.csr.mstatus)
    }

    /// The `menvcfg` a hart resets to: hardware A/D updates on, as QEMU's.
    pub fn reset_menvcfg(&self) -> u64 {
        MENVCFG_ADUE
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

    /// Whether the user-level counter `csr` (`cycle`, `time`, `instret`,
    /// `hpmcounterN` and their high halves) may be read at the hart's
    /// privilege: `mcounteren` opens it to S, both enables to U.
    fn counter_enabled(cpu: &RiscvCpu, csr: u16) -> bool {
        let bit = 1u64 << (csr & 0x1f);
        match cpu.privilege {
            PRIV_M => true,
            PRIV_S => cpu.csr.mcounteren & bit != 0,
            _ => cpu.csr.mcounteren & cpu.csr.scounteren & bit != 0,
        }
    }

    /// The `time` CSR: virtual time in ticks of the timebase.
    pub fn time_ticks(&self, env: &CpuEnv) -> u64 {
        (u128::from(env.now_ns()) * u128::from(self.timebase_hz) / 1_000_000_000) as u64
    }

    /// Whether `csr` exists with this hart's extensions.
    fn has_csr(&self, csr: u16) -> bool {
        match csr {
            CSR_STIMECMP | CSR_STIMECMPH => self.extensions.sstc,
            _ => true,
        }
    }

    /// The `menvcfg` bits above 31 that can be written.
    fn menvcfg_high(&self) -> u64 {
        let mut bits = MENVCFG_ADUE;
        if self.extensions.sstc {
            bits |= MENVCFG_STCE;
        }
        // Svpbmt is for RV64's page tables only.
        if self.extensions.svpbmt && self.xlen == 64 {
            bits |= MENVCFG_PBMTE;
        }
        bits
    }

    /// Whether the hart's privilege may access `csr` at all.
    fn may_access(cpu: &RiscvCpu, csr: u16) -> bool {
        if u16::from(cpu.privilege) < (csr >> 8) & 3 {
            return false;
        }
        match csr {
            CSR_FFLAGS..=CSR_FCSR => fs_enabled(cpu),
            CSR_SATP => !(cpu.privilege == PRIV_S && cpu.csr.mstatus & MSTATUS_TVM != 0),
            0xc00..=0xc1f | 0xc80..=0xc9f => Self::counter_enabled(cpu, csr),
            // S mode reaches the supervisor timer only when M mode lets it
            // see `time` and turned Sstc on.
            CSR_STIMECMP | CSR_STIMECMPH => {
                cpu.privilege == PRIV_M
                    || (cpu.csr.mcounteren & 2 != 0 && cpu.csr.menvcfg & MENVCFG_STCE != 0)
            }
            _ => true,
        }
    }

    /// `pmpcfgN`: four (RV32) or eight (RV64, even N only) entries' bytes.
    fn pmpcfg_entries(&self, n: u16) -> Option<std::ops::Range<usize>> {
        pmpcfg_range(self.xlen, n)
    }

    /// Reads CSR `csr`.
    pub fn read_csr(
        &self,
        cpu: &RiscvCpu,
        env: &CpuEnv,
        pins: u64,
        csr: u16,
    ) -> Result<u64, CsrRefused> {
        if !self.has_csr(csr) || !Self::may_access(cpu, csr) {
            return Err(CsrRefused);
        }
        let high = self.xlen == 32 && matches!(csr, 0xb80..=0xb9f | 0xc80..=0xc9f);
        let c = &cpu.csr;
        // Only a read of mip/sip pays for the Sstc comparison.
        let mip = || self.sstc_mip(cpu, env, c.mip_sw | pins);
        let value = match csr {
            CSR_FFLAGS => u64::from(c.fflags),
            CSR_FRM => u64::from(c.frm),
            CSR_FCSR => u64::from(c.frm << 5 | c.fflags),
            0x100 => {
                let s = self.mstatus(cpu) & (SSTATUS_VIEW | self.mstatus_sd());
                if self.xlen == 64 {
                    s | MSTATUS_UXL64
                } else {
                    s
                }
            }
            0x104 => c.mie & c.mideleg,
            0x105 => c.stvec,
            0x106 => c.scounteren,
            0x10a => c.senvcfg,
            0x140 => c.sscratch,
            0x141 => c.sepc,
            0x142 => c.scause,
            0x143 => c.stval,
            CSR_SIP => mip() & c.mideleg,
            CSR_SATP => c.satp,
            CSR_STIMECMP => c.stimecmp,
            CSR_STIMECMPH if self.xlen == 32 => c.stimecmp >> 32,
            0x300 => self.mstatus(cpu),
            0x301 => self.misa(),
            0x302 => c.medeleg,
            0x303 => c.mideleg,
            0x304 => c.mie,
            0x305 => c.mtvec,
            0x306 => c.mcounteren,
            0x30a => c.menvcfg,
            0x310 | 0x31a if self.xlen == 32 => {
                if csr == 0x31a {
                    c.menvcfg >> 32
                } else {
                    0
                }
            }
            0x320 => c.mcountinhibit,
            0x323..=0x33f => 0,
            0x340 => c.mscratch,
            0x341 => c.mepc,
            0x342 => c.mcause,
            0x343 => c.mtval,
            CSR_MIP => mip(),
            0x3a0..=0x3a3 => pmpcfg_value(self.xlen, &c.pmpcfg, csr - 0x3a0).ok_or(CsrRefused)?,
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

    /// Writes CSR `csr`. The caller flushes translations the write
    /// affects (see [`RiscV::sync_mmu`]).
    pub fn write_csr(
        &self,
        cpu: &mut RiscvCpu,
        env: &CpuEnv,
        csr: u16,
        value: u64,
    ) -> Result<(), CsrRefused> {
        if csr >> 10 == 3 || !self.has_csr(csr) || !Self::may_access(cpu, csr) {
            return Err(CsrRefused);
        }
        let value = value & self.mask();
        // A counter written holds the value from the next instruction on:
        // the writing instruction's own increment comes first (so the
        // value is set as of one instruction more than retired now).
        let retired = env.retired().wrapping_add(1);
        let c = &mut cpu.csr;
        match csr {
            CSR_FFLAGS => c.fflags = (value & 0x1f) as u8,
            CSR_FRM => c.frm = (value & 7) as u8,
            CSR_FCSR => {
                c.fflags = (value & 0x1f) as u8;
                c.frm = ((value >> 5) & 7) as u8;
            }
            0x100 => {
                let keep = c.mstatus & !SSTATUS_VIEW;
                c.mstatus = keep | (value & SSTATUS_VIEW);
            }
            0x104 => {
                let m = c.mideleg & S_INTERRUPTS;
                c.mie = (c.mie & !m) | (value & m);
            }
            0x105 => c.stvec = value & !2,
            0x106 => c.scounteren = value & 0xffff_ffff,
            0x10a => c.senvcfg = value & ENVCFG_LOW,
            0x140 => c.sscratch = value,
            0x141 => c.sepc = value & !1,
            0x142 => c.scause = value,
            0x143 => c.stval = value,
            CSR_SIP => {
                let m = c.mideleg & MIP_SSIP;
                c.mip_sw = (c.mip_sw & !m) | (value & m);
            }
            CSR_STIMECMP if self.xlen == 32 => {
                c.stimecmp = (c.stimecmp & !0xffff_ffff) | value;
            }
            CSR_STIMECMP => c.stimecmp = value,
            CSR_STIMECMPH if self.xlen == 32 => {
                c.stimecmp = (c.stimecmp & 0xffff_ffff) | (value << 32);
            }
            CSR_SATP => {
                // A write of an unsupported mode has no effect at all.
                let bare = if self.xlen == 64 {
                    value >> 60 == 0
                } else {
                    value & (1 << 31) == 0
                };
                let supported = satp_mode(self.xlen, value)
                    .is_some_and(|(mode, _)| self.extensions.allows_paging(mode));
                if bare || supported {
                    c.satp = value;
                }
            }
            0x300 => {
                let mut v = value & MSTATUS_WRITABLE;
                // MPP holds only implemented privileges (not 2).
                if (v & MSTATUS_MPP) >> 11 == 2 {
                    v = (v & !MSTATUS_MPP) | (c.mstatus & MSTATUS_MPP);
                }
                c.mstatus = v;
            }
            0x301 => {}
            0x302 => c.medeleg = value & DELEGABLE_EXCEPTIONS,
            0x303 => c.mideleg = value & S_INTERRUPTS,
            0x304 => c.mie = value & MIE_WRITABLE,
            0x305 => c.mtvec = value & !2,
            0x306 => c.mcounteren = value & 0xffff_ffff,
            0x30a => {
                let high = if self.xlen == 32 {
                    c.menvcfg & MENVCFG_HIGH
                } else {
                    value & self.menvcfg_high()
                };
                c.menvcfg = (value & ENVCFG_LOW) | high;
            }
            0x310 if self.xlen == 32 => {}
            0x31a if self.xlen == 32 => {
                c.menvcfg = (c.menvcfg & !MENVCFG_HIGH) | ((value << 32) & self.menvcfg_high());
            }
            0x320 => c.mcountinhibit = value & 0xffff_fffd,
            0x323..=0x33f => {}
            0x340 => c.mscratch = value,
            0x341 => c.mepc = value & !1,
            0x342 => c.mcause = value,
            0x343 => c.mtval = value,
            // SSIP, STIP and SEIP are software-writable (STIP not while
            // Sstc drives it); the machine bits follow their pins.
            CSR_MIP => {
                let m = if c.menvcfg & MENVCFG_STCE != 0 {
                    S_INTERRUPTS & !MIP_STIP
                } else {
                    S_INTERRUPTS
                };
                c.mip_sw = (c.mip_sw & !m) | (value & m);
            }
            0x3a0..=0x3a3 => {
                let range = self.pmpcfg_entries(csr - 0x3a0).ok_or(CsrRefused)?;
                for (i, entry) in range.enumerate() {
                    let byte = (value >> (8 * i)) as u8;
                    // Locked entries keep their setting; bits 5 and 6 are zero.
                    if c.pmpcfg[entry] & 0x80 == 0 {
                        c.pmpcfg[entry] = byte & 0x9f;
                    }
                }
            }
            0x3b0..=0x3bf => {
                let n = usize::from(csr - 0x3b0);
                // RV64 keeps bits 53..0 (56-bit physical addresses).
                let bits = if self.xlen == 64 {
                    (1 << 54) - 1
                } else {
                    u64::from(u32::MAX)
                };
                if c.pmpcfg[n] & 0x80 == 0 {
                    c.pmpaddr[n] = value & bits;
                }
            }
            0xb00 => c.mcycle_offset = self.set_low(value, retired, c.mcycle_offset),
            0xb02 => c.minstret_offset = self.set_low(value, retired, c.minstret_offset),
            0xb80 if self.xlen == 32 => c.mcycle_offset = set_high(value, retired, c.mcycle_offset),
            0xb82 if self.xlen == 32 => {
                c.minstret_offset = set_high(value, retired, c.minstret_offset)
            }
            0xb03..=0xb1f | 0xb83..=0xb9f => {}
            _ => return Err(CsrRefused),
        }
        if matches!(csr, CSR_FFLAGS..=CSR_FCSR) {
            set_fs_dirty(cpu);
        }
        Ok(())
    }

    /// `mstatus.SD` of this width.
    fn mstatus_sd(&self) -> u64 {
        1 << (self.xlen - 1)
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

/// Whether float instructions and `fcsr` are usable (`mstatus.FS` is not Off).
pub fn fs_enabled(cpu: &RiscvCpu) -> bool {
    cpu.csr.mstatus & MSTATUS_FS != 0
}

/// Marks the float state modified (`mstatus.FS` = Dirty).
pub fn set_fs_dirty(cpu: &mut RiscvCpu) {
    cpu.csr.mstatus |= MSTATUS_FS;
}

/// `mstatus` as a hart of width `xlen` shows the stored value `raw`: SD
/// (the top bit) summarises a Dirty FS.
pub fn mstatus_view(xlen: u32, raw: u64) -> u64 {
    let mut s = raw & MSTATUS_WRITABLE;
    if s & MSTATUS_FS == MSTATUS_FS {
        s |= 1 << (xlen - 1);
    }
    if xlen == 64 {
        s | MSTATUS_UXL64 | MSTATUS_SXL64
    } else {
        s
    }
}

/// The entries `pmpcfgN` holds on a hart of width `xlen`: four (RV32) or
/// eight (RV64, even N only).
fn pmpcfg_range(xlen: u32, n: u16) -> Option<std::ops::Range<usize>> {
    if xlen == 64 && n % 2 == 1 {
        return None;
    }
    let first = usize::from(n) * 4;
    Some(first..first + (xlen / 8) as usize)
}

/// `pmpcfgN` as read from the entries' bytes `pmpcfg`, if the hart has it.
pub fn pmpcfg_value(xlen: u32, pmpcfg: &[u8; 16], n: u16) -> Option<u64> {
    let bytes = pmpcfg.get(pmpcfg_range(xlen, n)?)?;
    Some(bytes.iter().rev().fold(0, |v, b| (v << 8) | u64::from(*b)))
}
