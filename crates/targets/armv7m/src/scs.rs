//! The System Control Space each core sees privately at 0xE000_E000: the
//! NVIC, the System Control Block, SysTick and the FPU's control
//! registers. This module owns their state and register layout; taking
//! exceptions is `exception.rs`'s job.

/// Exception numbers of the fixed exceptions.
pub mod exc {
    /// Reset.
    pub const RESET: u32 = 1;
    /// Non-maskable interrupt.
    pub const NMI: u32 = 2;
    /// HardFault.
    pub const HARDFAULT: u32 = 3;
    /// MemManage fault.
    pub const MEMMANAGE: u32 = 4;
    /// BusFault.
    pub const BUSFAULT: u32 = 5;
    /// UsageFault.
    pub const USAGEFAULT: u32 = 6;
    /// Supervisor call.
    pub const SVCALL: u32 = 11;
    /// Debug monitor.
    pub const DEBUGMON: u32 = 12;
    /// Pendable service call.
    pub const PENDSV: u32 = 14;
    /// SysTick.
    pub const SYSTICK: u32 = 15;
    /// The first external interrupt.
    pub const IRQ0: u32 = 16;
}

/// Bits of the Configurable Fault Status Register.
pub mod cfsr {
    /// Instruction access violation (MemManage).
    pub const IACCVIOL: u32 = 1 << 0;
    /// Data access violation (MemManage).
    pub const DACCVIOL: u32 = 1 << 1;
    /// MMFAR holds the faulting address.
    pub const MMARVALID: u32 = 1 << 7;
    /// Instruction bus error.
    pub const IBUSERR: u32 = 1 << 8;
    /// Precise data bus error.
    pub const PRECISERR: u32 = 1 << 9;
    /// Bus error while unstacking.
    pub const UNSTKERR: u32 = 1 << 11;
    /// Bus error while stacking.
    pub const STKERR: u32 = 1 << 12;
    /// BFAR holds the faulting address.
    pub const BFARVALID: u32 = 1 << 15;
    /// Undefined instruction.
    pub const UNDEFINSTR: u32 = 1 << 16;
    /// Invalid EPSR state (Thumb bit clear).
    pub const INVSTATE: u32 = 1 << 17;
    /// Invalid EXC_RETURN value.
    pub const INVPC: u32 = 1 << 18;
    /// Coprocessor access while disabled or absent.
    pub const NOCP: u32 = 1 << 19;
    /// Unaligned access where alignment is required.
    pub const UNALIGNED: u32 = 1 << 24;
    /// Division by zero with CCR.DIV_0_TRP set.
    pub const DIVBYZERO: u32 = 1 << 25;
}

/// HFSR.FORCED: a configurable fault escalated to HardFault.
pub const HFSR_FORCED: u32 = 1 << 30;
/// HFSR.VECTTBL: a vector-table read failed.
pub const HFSR_VECTTBL: u32 = 1 << 1;
/// CCR.UNALIGN_TRP.
pub const CCR_UNALIGN_TRP: u32 = 1 << 3;
/// CCR.DIV_0_TRP.
pub const CCR_DIV_0_TRP: u32 = 1 << 4;
/// CCR.STKALIGN.
pub const CCR_STKALIGN: u32 = 1 << 9;
/// SHCSR enable bits for MemManage, BusFault and UsageFault.
const SHCSR_ENABLES: u32 = 0x7 << 16;

/// SysTick's control and status bits.
const SYST_ENABLE: u32 = 1;
const SYST_TICKINT: u32 = 2;
const SYST_CLKSOURCE: u32 = 4;
const SYST_COUNTFLAG: u32 = 1 << 16;

/// Which core the registers describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreKind {
    /// Cortex-M3 (ARMv7-M).
    CortexM3,
    /// Cortex-M4 (ARMv7E-M), with or without its FPU.
    CortexM4,
}

/// What a register write asks of the core beyond storing a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteEffect {
    /// Pending or enabled state changed: look for an exception to take.
    pub recheck: bool,
    /// AIRCR.SYSRESETREQ was written.
    pub reset: bool,
    /// SysTick was reprogrammed.
    pub systick: bool,
}

/// SysTick's state, its counter kept as a point in time rather than
/// ticked.
#[derive(Debug, Clone, Default)]
pub struct SysTick {
    /// SYST_CSR without COUNTFLAG.
    pub csr: u32,
    /// SYST_RVR.
    pub reload: u32,
    /// COUNTFLAG.
    pub countflag: bool,
    /// The tick (in counter clock ticks since time 0) at which the counter
    /// next counts down to zero, while enabled (`u64::MAX`: it is stopped
    /// at zero, RVR being zero).
    pub zero_tick: u64,
    /// The tick at which the counter was cleared, while it still reads
    /// zero waiting for the next clock edge to reload it from RVR.
    pub cleared_at: Option<u64>,
    /// The counter's value when disabled.
    pub frozen: u32,
}

/// A tick SysTick never reaches.
const NEVER: u64 = u64::MAX;

/// The registers of the System Control Space of one core.
#[derive(Debug, Clone)]
pub struct Scs {
    /// External interrupts implemented.
    pub num_irq: u32,
    /// Pending state by exception number.
    pub pending: Vec<bool>,
    /// Active state by exception number.
    pub active: Vec<bool>,
    /// NVIC enable state by external interrupt.
    pub enabled: Vec<bool>,
    /// Configurable priority by exception number (0 for the fixed ones).
    pub priority: Vec<u8>,
    /// VTOR.
    pub vtor: u32,
    /// AIRCR.PRIGROUP.
    pub prigroup: u32,
    /// SCR.
    pub scr: u32,
    /// CCR.
    pub ccr: u32,
    /// SHCSR's enable bits.
    pub shcsr_enables: u32,
    /// CFSR.
    pub cfsr: u32,
    /// HFSR.
    pub hfsr: u32,
    /// DFSR.
    pub dfsr: u32,
    /// MMFAR.
    pub mmfar: u32,
    /// BFAR.
    pub bfar: u32,
    /// CPACR.
    pub cpacr: u32,
    /// FPCCR.
    pub fpccr: u32,
    /// FPCAR.
    pub fpcar: u32,
    /// FPDSCR.
    pub fpdscr: u32,
    /// MPU registers (enforced by [`crate::mpu`]): CTRL, RNR, and RBAR/RASR by
    /// region.
    pub mpu_ctrl: u32,
    /// MPU_RNR.
    pub mpu_rnr: u32,
    /// MPU region base and attribute registers.
    pub mpu_regions: [(u32, u32); 8],
    /// SysTick.
    pub systick: SysTick,
    /// The last seen level of each external interrupt line.
    pub lines: Vec<bool>,
}

impl Scs {
    /// Registers in their reset state.
    pub fn new(num_irq: u32) -> Self {
        let n = (exc::IRQ0 + num_irq) as usize;
        Scs {
            num_irq,
            pending: vec![false; n],
            active: vec![false; n],
            enabled: vec![false; num_irq as usize],
            priority: vec![0; n],
            vtor: 0,
            prigroup: 0,
            scr: 0,
            ccr: CCR_STKALIGN,
            shcsr_enables: 0,
            cfsr: 0,
            hfsr: 0,
            dfsr: 0,
            mmfar: 0,
            bfar: 0,
            cpacr: 0,
            fpccr: 0xc000_0000,
            fpcar: 0,
            fpdscr: 0,
            mpu_ctrl: 0,
            mpu_rnr: 0,
            mpu_regions: [(0, 0); 8],
            systick: SysTick::default(),
            lines: vec![false; num_irq as usize],
        }
    }

    /// Follows external line `line`: a rising edge pends its interrupt.
    pub fn set_line_level(&mut self, line: u32, high: bool) {
        if let Some(level) = self.lines.get_mut(line as usize) {
            if high && !*level {
                self.pending[(exc::IRQ0 + line) as usize] = true;
            }
            *level = high;
        }
    }

    /// Whether external line `line` is asserted.
    pub fn line_level(&self, line: u32) -> bool {
        self.lines.get(line as usize).copied().unwrap_or(false)
    }

    /// Number of exception numbers (16 + external interrupts).
    pub fn exceptions(&self) -> u32 {
        exc::IRQ0 + self.num_irq
    }

    /// Whether a configurable fault's handler is enabled in SHCSR.
    pub fn fault_enabled(&self, exception: u32) -> bool {
        match exception {
            exc::MEMMANAGE => self.shcsr_enables & (1 << 16) != 0,
            exc::BUSFAULT => self.shcsr_enables & (1 << 17) != 0,
            exc::USAGEFAULT => self.shcsr_enables & (1 << 18) != 0,
            _ => true,
        }
    }

    /// The priority of an exception: negative for the fixed ones.
    pub fn raw_priority(&self, exception: u32) -> i32 {
        match exception {
            exc::RESET => -3,
            exc::NMI => -2,
            exc::HARDFAULT => -1,
            n => i32::from(self.priority.get(n as usize).copied().unwrap_or(0)),
        }
    }

    /// The group (preemption) part of a priority under AIRCR.PRIGROUP.
    pub fn group_priority(&self, priority: i32) -> i32 {
        if priority < 0 {
            return priority;
        }
        let mask = !((2i32 << self.prigroup) - 1);
        priority & mask & 0xff
    }

    /// Whether an exception may be pended and taken (external interrupts
    /// must be enabled in the NVIC).
    pub fn can_take(&self, exception: u32) -> bool {
        if exception >= exc::IRQ0 {
            self.enabled
                .get((exception - exc::IRQ0) as usize)
                .copied()
                .unwrap_or(false)
        } else {
            true
        }
    }

    /// The highest-priority pending exception that may be taken, with its
    /// raw priority.
    pub fn highest_pending(&self) -> Option<(u32, i32)> {
        let mut best: Option<(u32, i32)> = None;
        for n in 1..self.exceptions() {
            if self.pending[n as usize] && self.can_take(n) {
                let p = self.raw_priority(n);
                if best.is_none_or(|(_, bp)| p < bp) {
                    best = Some((n, p));
                }
            }
        }
        best
    }

    /// Whether any exception other than `except` is active.
    pub fn others_active(&self, except: u32) -> bool {
        self.active
            .iter()
            .enumerate()
            .any(|(n, &a)| a && n as u32 != except)
    }

    /// Reads a 32-bit-aligned word of the SCS at `offset` from 0xE000_E000,
    /// with `ipsr` for ICSR.VECTACTIVE and `cpuid` for CPUID.
    pub fn read_word(&mut self, offset: u32, ipsr: u32, core: CoreKind, now_tick: u64) -> u32 {
        match offset {
            0x004 => self.num_irq.div_ceil(32).saturating_sub(1),
            0x008 => 0,
            0x010 => {
                let v = self.systick.csr
                    | if self.systick.countflag {
                        SYST_COUNTFLAG
                    } else {
                        0
                    };
                self.systick.countflag = false;
                v
            }
            0x014 => self.systick.reload,
            0x018 => self.systick_value(now_tick),
            // CALIB depends on the board's reference clock: the frontend
            // answers it ([`systick_calib`]).
            0x01c => 0,
            0x100..=0x13c => self.bits(offset - 0x100, |s, i| s.enabled[i]),
            0x180..=0x1bc => self.bits(offset - 0x180, |s, i| s.enabled[i]),
            0x200..=0x23c => self.bits(offset - 0x200, |s, i| s.pending[i + 16]),
            0x280..=0x2bc => self.bits(offset - 0x280, |s, i| s.pending[i + 16]),
            0x300..=0x33c => self.bits(offset - 0x300, |s, i| s.active[i + 16]),
            0x400..=0x5ec => self.priority_word(exc::IRQ0 + (offset - 0x400)),
            0xd00 => match core {
                CoreKind::CortexM3 => 0x410f_c231,
                CoreKind::CortexM4 => 0x410f_c240,
            },
            0xd04 => self.icsr(ipsr),
            0xd08 => self.vtor,
            0xd0c => 0xfa05_0000 | (self.prigroup << 8),
            0xd10 => self.scr,
            0xd14 => self.ccr,
            0xd18 => self.priority_word(4),
            0xd1c => self.priority_word(8),
            0xd20 => self.priority_word(12),
            0xd24 => self.shcsr(),
            0xd28 => self.cfsr,
            0xd2c => self.hfsr,
            0xd30 => self.dfsr,
            0xd34 => self.mmfar,
            0xd38 => self.bfar,
            0xd3c => 0,
            0xd40 => 0x0000_0030,
            0xd44 => 0x0000_0200,
            0xd48 => 0x0010_0000,
            0xd4c => 0,
            0xd50 => 0x0000_0030,
            0xd54..=0xd5c => 0,
            0xd60 => 0x0110_1110,
            0xd64 => 0x0211_1000,
            0xd68 => 0x2111_2231,
            0xd6c => 0x0111_1110,
            0xd70 => 0x0131_0132,
            0xd88 => self.cpacr,
            0xd90 => 8 << 8,
            0xd94 => self.mpu_ctrl,
            0xd98 => self.mpu_rnr,
            0xd9c | 0xda4 | 0xdac | 0xdb4 => self.mpu_region().0,
            0xda0 | 0xda8 | 0xdb0 | 0xdb8 => self.mpu_region().1,
            0xf34 => self.fpccr,
            0xf38 => self.fpcar,
            0xf3c => self.fpdscr,
            0xf40 => 0x1011_0021,
            0xf44 => 0x1100_0011,
            0xfe0..=0xffc => pid_cid(offset),
            _ => 0,
        }
    }

    /// Writes a 32-bit word of the SCS at `offset`.
    pub fn write_word(&mut self, offset: u32, v: u32, now_tick: u64) -> WriteEffect {
        let mut effect = WriteEffect {
            recheck: true,
            ..WriteEffect::default()
        };
        match offset {
            0x010 => {
                let was_enabled = self.systick.csr & SYST_ENABLE != 0;
                let value = self.systick_value(now_tick);
                self.systick.csr = v & (SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE);
                let enabled = self.systick.csr & SYST_ENABLE != 0;
                if enabled && !was_enabled {
                    if value == 0 {
                        self.systick_clear(now_tick);
                    } else {
                        self.systick.zero_tick = now_tick + u64::from(value);
                        self.systick.cleared_at = None;
                    }
                } else if !enabled && was_enabled {
                    self.systick.frozen = value;
                }
                effect.systick = true;
            }
            0x014 => {
                self.systick.reload = v & 0x00ff_ffff;
                // A counter waiting at zero reloads the new value.
                if let Some(at) = self.systick.cleared_at.filter(|&at| now_tick <= at) {
                    self.systick_clear(at);
                    effect.systick = true;
                }
            }
            0x018 => {
                // Any write clears the counter and COUNTFLAG; the counter
                // reloads from RVR on the next clock edge, without an
                // exception (B3.3.1), or stays stopped when RVR is zero.
                self.systick.countflag = false;
                self.systick.frozen = 0;
                if self.systick.csr & SYST_ENABLE != 0 {
                    self.systick_clear(now_tick);
                }
                effect.systick = true;
            }
            0x100..=0x13c => self.set_bits(offset - 0x100, v, |s, i| s.enabled[i] = true),
            0x180..=0x1bc => self.set_bits(offset - 0x180, v, |s, i| s.enabled[i] = false),
            0x200..=0x23c => self.set_bits(offset - 0x200, v, |s, i| s.pending[i + 16] = true),
            0x280..=0x2bc => self.set_bits(offset - 0x280, v, |s, i| s.pending[i + 16] = false),
            0x400..=0x5ec => self.set_priority_word(exc::IRQ0 + (offset - 0x400), v),
            0xd04 => self.write_icsr(v),
            0xd08 => self.vtor = v & 0xffff_ff80,
            0xd0c => {
                if v >> 16 == 0x05fa {
                    self.prigroup = (v >> 8) & 7;
                    effect.reset = v & 4 != 0;
                }
            }
            0xd10 => self.scr = v & 0x16,
            0xd14 => self.ccr = (v & 0x31b) | CCR_STKALIGN,
            0xd18 => self.set_priority_word(4, v),
            0xd1c => self.set_priority_word(8, v),
            0xd20 => self.set_priority_word(12, v),
            0xd24 => self.write_shcsr(v),
            0xd28 => self.cfsr &= !v,
            0xd2c => self.hfsr &= !v,
            0xd30 => self.dfsr &= !v,
            0xd34 => self.mmfar = v,
            0xd38 => self.bfar = v,
            0xd88 => self.cpacr = v & (0xf << 20),
            0xd94 => self.mpu_ctrl = v & 7,
            0xd98 => self.mpu_rnr = v & 7,
            // RBAR and its aliases A1-A3.
            0xd9c | 0xda4 | 0xdac | 0xdb4 => {
                if v & 0x10 != 0 {
                    self.mpu_rnr = v & 7;
                }
                self.mpu_regions[self.mpu_rnr as usize].0 = v & !0x1f;
            }
            0xda0 | 0xda8 | 0xdb0 | 0xdb8 => self.mpu_regions[self.mpu_rnr as usize].1 = v,
            0xf00 => {
                let n = exc::IRQ0 + (v & 0x1ff);
                if let Some(p) = self.pending.get_mut(n as usize) {
                    *p = true;
                }
            }
            0xf34 => self.fpccr = (self.fpccr & !0xc000_0000) | (v & 0xc000_0000),
            0xf38 => self.fpcar = v & !7,
            0xf3c => self.fpdscr = v & 0x07c0_0000,
            _ => effect.recheck = false,
        }
        effect
    }

    /// Reads one byte of the priority registers (IPR, SHPR), which guests
    /// may access bytewise.
    pub fn priority_byte(&self, offset: u32) -> Option<u8> {
        let n = match offset {
            0x400..=0x5ef => exc::IRQ0 + offset - 0x400,
            0xd18..=0xd23 => 4 + offset - 0xd18,
            _ => return None,
        };
        Some(self.priority.get(n as usize).copied().unwrap_or(0))
    }

    /// Writes one byte of the priority registers.
    pub fn set_priority_byte(&mut self, offset: u32, v: u8) -> bool {
        let n = match offset {
            0x400..=0x5ef => exc::IRQ0 + offset - 0x400,
            0xd18..=0xd23 => 4 + offset - 0xd18,
            _ => return false,
        };
        if n >= 4 && n != 7 && n != 8 && n != 9 && n != 10 && n != 13 {
            if let Some(p) = self.priority.get_mut(n as usize) {
                *p = v;
            }
        }
        true
    }

    fn priority_word(&self, first: u32) -> u32 {
        (0..4).fold(0, |acc, i| {
            let p = self
                .priority
                .get((first + i) as usize)
                .copied()
                .unwrap_or(0);
            acc | (u32::from(p) << (8 * i))
        })
    }

    fn set_priority_word(&mut self, first: u32, v: u32) {
        for i in 0..4 {
            let offset = if first >= exc::IRQ0 {
                0x400 + first - exc::IRQ0 + i
            } else {
                0xd18 + first - 4 + i
            };
            self.set_priority_byte(offset, (v >> (8 * i)) as u8);
        }
    }

    fn bits(&self, offset: u32, get: impl Fn(&Self, usize) -> bool) -> u32 {
        let first = offset * 8;
        (0..32).fold(0, |acc, i| {
            let irq = first + i;
            if irq < self.num_irq && get(self, irq as usize) {
                acc | (1 << i)
            } else {
                acc
            }
        })
    }

    fn set_bits(&mut self, offset: u32, v: u32, mut set: impl FnMut(&mut Self, usize)) {
        let first = offset * 8;
        for i in 0..32 {
            let irq = first + i;
            if v & (1 << i) != 0 && irq < self.num_irq {
                set(self, irq as usize);
            }
        }
    }

    fn icsr(&self, ipsr: u32) -> u32 {
        let mut v = ipsr & 0x1ff;
        if let Some((n, _)) = self.highest_pending() {
            v |= (n & 0x1ff) << 12;
        }
        if !self.others_active(ipsr) {
            v |= 1 << 11; // RETTOBASE
        }
        if self.pending[exc::IRQ0 as usize..].iter().any(|&p| p) {
            v |= 1 << 22;
        }
        if self.pending[exc::SYSTICK as usize] {
            v |= 1 << 26;
        }
        if self.pending[exc::PENDSV as usize] {
            v |= 1 << 28;
        }
        if self.pending[exc::NMI as usize] {
            v |= 1 << 31;
        }
        v
    }

    fn write_icsr(&mut self, v: u32) {
        if v & (1 << 31) != 0 {
            self.pending[exc::NMI as usize] = true;
        }
        if v & (1 << 28) != 0 {
            self.pending[exc::PENDSV as usize] = true;
        } else if v & (1 << 27) != 0 {
            self.pending[exc::PENDSV as usize] = false;
        }
        if v & (1 << 26) != 0 {
            self.pending[exc::SYSTICK as usize] = true;
        } else if v & (1 << 25) != 0 {
            self.pending[exc::SYSTICK as usize] = false;
        }
    }

    fn shcsr(&self) -> u32 {
        let bit = |b: bool, n: u32| if b { 1 << n } else { 0 };
        let (a, p) = (&self.active, &self.pending);
        self.shcsr_enables
            | bit(a[exc::MEMMANAGE as usize], 0)
            | bit(a[exc::BUSFAULT as usize], 1)
            | bit(a[exc::USAGEFAULT as usize], 3)
            | bit(a[exc::SVCALL as usize], 7)
            | bit(a[exc::DEBUGMON as usize], 8)
            | bit(a[exc::PENDSV as usize], 10)
            | bit(a[exc::SYSTICK as usize], 11)
            | bit(p[exc::USAGEFAULT as usize], 12)
            | bit(p[exc::MEMMANAGE as usize], 13)
            | bit(p[exc::BUSFAULT as usize], 14)
            | bit(p[exc::SVCALL as usize], 15)
    }

    fn write_shcsr(&mut self, v: u32) {
        self.shcsr_enables = v & SHCSR_ENABLES;
        let bit = |n: u32| v & (1 << n) != 0;
        for (n, e) in [
            (0, exc::MEMMANAGE),
            (1, exc::BUSFAULT),
            (3, exc::USAGEFAULT),
            (7, exc::SVCALL),
            (8, exc::DEBUGMON),
            (10, exc::PENDSV),
            (11, exc::SYSTICK),
        ] {
            self.active[e as usize] = bit(n);
        }
        for (n, e) in [
            (12, exc::USAGEFAULT),
            (13, exc::MEMMANAGE),
            (14, exc::BUSFAULT),
            (15, exc::SVCALL),
        ] {
            self.pending[e as usize] = bit(n);
        }
    }

    fn mpu_region(&self) -> (u32, u32) {
        let (base, attr) = self.mpu_regions[self.mpu_rnr as usize];
        (base | self.mpu_rnr, attr)
    }

    /// Whether SysTick counts the processor clock (rather than the
    /// reference clock).
    pub fn systick_uses_cpu_clock(&self) -> bool {
        self.systick.csr & SYST_CLKSOURCE != 0
    }

    /// SysTick's counter at `now_tick`.
    pub fn systick_value(&self, now_tick: u64) -> u32 {
        let st = &self.systick;
        if st.csr & SYST_ENABLE == 0 {
            return st.frozen;
        }
        if st.zero_tick == NEVER || st.cleared_at.is_some_and(|at| now_tick <= at) {
            return 0;
        }
        if now_tick <= st.zero_tick {
            return (st.zero_tick - now_tick).min(0xff_ffff) as u32;
        }
        if st.reload == 0 {
            return 0;
        }
        let since = now_tick - st.zero_tick;
        let period = u64::from(st.reload) + 1;
        // One tick after zero the counter holds the reload value.
        let phase = (since - 1) % period;
        (u64::from(st.reload) - phase) as u32
    }

    /// The counter, enabled, reads zero from `now_tick` on: it reloads
    /// from RVR on the next clock edge and then counts down, or stays
    /// stopped at zero when RVR is zero.
    fn systick_clear(&mut self, now_tick: u64) {
        let st = &mut self.systick;
        st.cleared_at = Some(now_tick);
        st.zero_tick = if st.reload == 0 {
            NEVER
        } else {
            now_tick + 1 + u64::from(st.reload)
        };
    }

    /// Brings SysTick up to `now_tick`: sets COUNTFLAG and pends the
    /// SysTick exception (when TICKINT) if the counter reached zero.
    /// Returns the tick at which it next reaches zero, if it runs.
    pub fn systick_advance(&mut self, now_tick: u64) -> Option<u64> {
        let st = &mut self.systick;
        if st.csr & SYST_ENABLE == 0 || st.zero_tick == NEVER {
            return None;
        }
        if now_tick >= st.zero_tick {
            st.countflag = true;
            st.cleared_at = None;
            if st.csr & SYST_TICKINT != 0 {
                self.pending[exc::SYSTICK as usize] = true;
            }
            if st.reload == 0 {
                // Reaching zero with RVR zero stops the counter there
                // (ENABLE stays set).
                st.zero_tick = NEVER;
                return None;
            }
            let period = u64::from(st.reload) + 1;
            let wraps = (now_tick - st.zero_tick) / period + 1;
            st.zero_tick += wraps * period;
        }
        Some(st.zero_tick)
    }
}

/// SYST_CALIB for a reference clock of `refclk_hz` (0: none), as QEMU
/// reports it: TENMS, the reference ticks in 10 ms less one, SKEW when
/// that count is not exactly 10 ms, NOREF without a reference clock.
pub fn systick_calib(refclk_hz: u64) -> u32 {
    const NOREF: u32 = 1 << 31;
    const SKEW: u32 = 1 << 30;
    if refclk_hz == 0 {
        return NOREF;
    }
    let tenms = (refclk_hz / 100).saturating_sub(1) as u32 & 0x00ff_ffff;
    if refclk_hz % 100 == 0 && refclk_hz / 100 <= 0x0100_0000 {
        tenms
    } else {
        tenms | SKEW
    }
}

/// The CoreSight peripheral and component ID registers of the SCS.
fn pid_cid(offset: u32) -> u32 {
    const IDS: [u32; 8] = [0x00, 0xb0, 0x0b, 0x00, 0x0d, 0xe0, 0x05, 0xb1];
    match offset {
        0xfe0..=0xfec => IDS[((offset - 0xfe0) / 4) as usize],
        0xff0..=0xffc => IDS[4 + ((offset - 0xff0) / 4) as usize],
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systick_counts_down_and_wraps_to_the_reload_value() {
        let mut s = Scs::new(32);
        s.write_word(0x014, 99, 0);
        s.write_word(0x018, 0, 1000);
        s.write_word(0x010, SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE, 1000);
        // Cleared: zero until the next edge reloads it, no exception.
        assert_eq!(s.systick_value(1000), 0);
        assert_eq!(s.systick_advance(1000), Some(1100));
        assert!(!s.pending[exc::SYSTICK as usize]);
        assert_eq!(s.read_word(0x010, 0, CoreKind::CortexM3, 1000) >> 16, 0);
        assert_eq!(s.systick_value(1001), 99);
        assert_eq!(s.systick_value(1050), 50);
        assert_eq!(s.systick_advance(1100), Some(1200));
        assert!(s.pending[exc::SYSTICK as usize]);
        assert_eq!(s.read_word(0x010, 0, CoreKind::CortexM3, 1100) >> 16, 1);
        assert_eq!(s.read_word(0x010, 0, CoreKind::CortexM3, 1100) >> 16, 0);
        assert_eq!(s.systick_value(1101), 99);
        assert_eq!(s.systick_advance(1250), Some(1300));
    }

    #[test]
    fn a_cleared_counter_with_reload_zero_stays_stopped_at_zero() {
        let mut s = Scs::new(32);
        s.write_word(0x018, 0, 10);
        s.write_word(0x010, SYST_ENABLE | SYST_TICKINT, 10);
        assert_eq!(s.systick_advance(1_000_000), None);
        assert_eq!(s.systick_value(1_000_000), 0);
        assert!(!s.pending[exc::SYSTICK as usize]);
    }

    #[test]
    fn calib_reports_ten_milliseconds_of_the_reference_clock() {
        assert_eq!(systick_calib(1_000_000), 9_999);
        assert_eq!(systick_calib(32_768), 326 | 1 << 30);
        assert_eq!(systick_calib(0), 1 << 31);
    }

    #[test]
    fn nvic_enable_pending_and_priority_registers() {
        let mut s = Scs::new(32);
        s.write_word(0x100, 0b101, 0);
        s.write_word(0x200, 0b100, 0);
        assert_eq!(s.read_word(0x100, 0, CoreKind::CortexM3, 0), 0b101);
        assert_eq!(s.highest_pending(), Some((exc::IRQ0 + 2, 0)));
        s.write_word(0x180, 0b100, 0);
        assert_eq!(s.highest_pending(), None);
        s.write_word(0x400, 0x4080_c000, 0);
        assert_eq!(s.priority_byte(0x401), Some(0xc0));
        assert_eq!(s.read_word(0x400, 0, CoreKind::CortexM3, 0), 0x4080_c000);
    }

    #[test]
    fn priority_grouping_splits_group_from_subpriority() {
        let mut s = Scs::new(0);
        s.write_word(0xd0c, 0x05fa_0500, 0);
        assert_eq!(s.group_priority(0x7f), 0x40);
        assert_eq!(s.group_priority(-1), -1);
        assert_eq!(s.read_word(0xd0c, 0, CoreKind::CortexM4, 0), 0xfa05_0500);
    }
}
