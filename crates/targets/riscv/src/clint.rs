//! The CLINT (core-local interruptor) of QEMU's `virt` board: a software
//! interrupt bit and a timer compare register per hart, and the shared
//! `mtime` counter, which is virtual time at the timebase frequency.
//!
//! | offset | register |
//! | --- | --- |
//! | `0x0000 + 4*h` | `msip` of hart `h` (bit 0) |
//! | `0x4000 + 8*h` | `mtimecmp` of hart `h` (64-bit) |
//! | `0xbff8` | `mtime` (64-bit) |

use std::sync::{Arc, Mutex, Weak};

use chimera_core::{Line, ObjectKind, Origin, PinDirection, PinInfo, TypeInfo};
use chimera_devices::{parse_config, DeviceEnv, DeviceParts, DeviceType, MmioWindow};
use chimera_engine::{Clock, Timer, TimerTarget};
use chimera_memory::{Endian, Mmio, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Settings of a CLINT.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClintConfig {
    /// Harts it has registers for.
    #[schemars(range(min = 1, max = 4095))]
    pub harts: u32,
    /// Frequency of `mtime`.
    #[schemars(range(min = 1))]
    pub timebase_hz: u64,
}

impl Default for ClintConfig {
    fn default() -> Self {
        ClintConfig {
            harts: 1,
            timebase_hz: 10_000_000,
        }
    }
}

/// The CLINT's registers: plain data, the unit of snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClintState {
    /// `msip` per hart.
    pub msip: Vec<bool>,
    /// `mtimecmp` per hart.
    pub mtimecmp: Vec<u64>,
    /// What guest writes to `mtime` added to virtual time's ticks.
    pub mtime_offset: u64,
}

struct HartTimer {
    clint: Weak<Clint>,
    hart: usize,
}

impl TimerTarget for HartTimer {
    fn fire(&self, now_ns: u64) {
        if let Some(c) = self.clint.upgrade() {
            c.update_timer(self.hart, now_ns);
        }
    }
}

/// A CLINT.
pub struct Clint {
    state: Mutex<ClintState>,
    timebase_hz: u64,
    msip_lines: Vec<Line>,
    mtip_lines: Vec<Line>,
    timers: Vec<Timer>,
    _targets: Vec<Arc<HartTimer>>,
}

impl std::fmt::Debug for Clint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clint").field("state", &self.state).finish()
    }
}

impl Clint {
    /// A CLINT for `harts` harts.
    pub fn new(harts: u32, timebase_hz: u64, clock: &Arc<Clock>, env: &DeviceEnv) -> Arc<Self> {
        let n = harts as usize;
        Arc::new_cyclic(|weak| {
            let targets: Vec<Arc<HartTimer>> = (0..n)
                .map(|hart| {
                    Arc::new(HartTimer {
                        clint: weak.clone(),
                        hart,
                    })
                })
                .collect();
            let timers = targets
                .iter()
                .map(|t| clock.timer(Arc::downgrade(t) as Weak<dyn TimerTarget>))
                .collect();
            Clint {
                state: Mutex::new(ClintState {
                    msip: vec![false; n],
                    mtimecmp: vec![u64::MAX; n],
                    mtime_offset: 0,
                }),
                timebase_hz,
                msip_lines: (0..harts).map(|h| env.output("msip", h)).collect(),
                mtip_lines: (0..harts).map(|h| env.output("mtip", h)).collect(),
                timers,
                _targets: targets,
            }
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClintState> {
        // Register state stays valid after a panic elsewhere.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ticks(&self, now_ns: u64, offset: u64) -> u64 {
        ((u128::from(now_ns) * u128::from(self.timebase_hz) / 1_000_000_000) as u64)
            .wrapping_add(offset)
    }

    /// The first virtual nanosecond at which `mtime >= cmp`.
    fn deadline(&self, cmp: u64, offset: u64) -> Option<u64> {
        let ticks = cmp.checked_sub(offset)?;
        let ns = (u128::from(ticks) * 1_000_000_000).div_ceil(u128::from(self.timebase_hz));
        u64::try_from(ns).ok().filter(|d| *d != u64::MAX)
    }

    fn update_timer(&self, hart: usize, now_ns: u64) {
        let s = self.lock();
        let Some(&cmp) = s.mtimecmp.get(hart) else {
            return;
        };
        let due = self.ticks(now_ns, s.mtime_offset) >= cmp;
        self.mtip_lines[hart].set(due);
        match (due, self.deadline(cmp, s.mtime_offset)) {
            (false, Some(d)) => self.timers[hart].arm(d.max(now_ns + 1)),
            _ => self.timers[hart].cancel(),
        }
    }

    fn read(&self, ctx: &MmioCtx, offset: u64, size: usize) -> Option<u64> {
        let s = self.lock();
        let n = s.msip.len() as u64;
        let (reg, shift) = (offset & !7, (offset & 4) * 8);
        let value = match offset {
            o if o < 4 * n && size == 4 => u64::from(s.msip[(o / 4) as usize]),
            o if (0x4000..0x4000 + 8 * n).contains(&o) => {
                s.mtimecmp[((reg - 0x4000) / 8) as usize] >> shift
            }
            0xbff8 | 0xbffc => self.ticks(ctx.now_ns, s.mtime_offset) >> shift,
            _ => return None,
        };
        Some(if size == 8 {
            value
        } else {
            value & 0xffff_ffff
        })
    }

    fn write(&self, ctx: &MmioCtx, offset: u64, size: usize, value: u64) -> Option<()> {
        let mut s = self.lock();
        let n = s.msip.len() as u64;
        let merge = |old: u64| -> u64 {
            match (size, offset & 4) {
                (8, _) => value,
                (_, 0) => (old & !0xffff_ffff) | (value & 0xffff_ffff),
                _ => (old & 0xffff_ffff) | (value << 32),
            }
        };
        match offset {
            o if o < 4 * n && size == 4 => {
                let hart = (o / 4) as usize;
                s.msip[hart] = value & 1 != 0;
                self.msip_lines[hart].set(value & 1 != 0);
            }
            o if (0x4000..0x4000 + 8 * n).contains(&o) => {
                let hart = ((o & !7) - 0x4000) as usize / 8;
                s.mtimecmp[hart] = merge(s.mtimecmp[hart]);
                drop(s);
                self.update_timer(hart, ctx.now_ns);
            }
            0xbff8 | 0xbffc => {
                let now = self.ticks(ctx.now_ns, s.mtime_offset);
                s.mtime_offset = merge(now).wrapping_sub(self.ticks(ctx.now_ns, 0));
                let harts = s.msip.len();
                drop(s);
                for hart in 0..harts {
                    self.update_timer(hart, ctx.now_ns);
                }
            }
            _ => return None,
        }
        Some(())
    }
}

struct ClintWindow(Arc<Clint>);

impl Mmio for ClintWindow {
    fn read(&self, ctx: &MmioCtx, offset: u64, size: usize) -> Option<u64> {
        self.0.read(ctx, offset, size)
    }

    fn write(&self, ctx: &MmioCtx, offset: u64, size: usize, value: u64) -> Option<()> {
        self.0.write(ctx, offset, size, value)
    }
}

/// The `riscv-clint` device type.
#[derive(Debug)]
pub struct ClintType;

impl DeviceType for ClintType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<ClintConfig>(
            "riscv-clint",
            "RISC-V CLINT: per-hart software interrupts and timer compare, and mtime",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-riscv".into(),
            },
        )
    }

    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let c: ClintConfig = parse_config(config)?;
        Ok(vec![
            PinInfo::array(
                "msip",
                PinDirection::Output,
                c.harts,
                "software interrupt of each hart",
            ),
            PinInfo::array(
                "mtip",
                PinDirection::Output,
                c.harts,
                "timer interrupt of each hart",
            ),
        ])
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let c: ClintConfig = parse_config(config)?;
        let clint = Clint::new(c.harts, c.timebase_hz, &env.clock.clone(), &env);
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x10000,
                mmio: Arc::new(ClintWindow(clint)),
                endian: Endian::Little,
            }],
            inputs: None,
        })
    }
}
