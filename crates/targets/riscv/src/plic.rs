//! The PLIC (platform-level interrupt controller) of QEMU's `virt` board:
//! level-triggered sources with priorities, per-context enables, threshold
//! and claim/complete; two contexts per hart (machine, then supervisor).
//!
//! | offset | register |
//! | --- | --- |
//! | `0x000000 + 4*s` | priority of source `s` (1..) |
//! | `0x001000` | pending bits (read-only) |
//! | `0x002000 + 0x80*c` | enable bits of context `c` |
//! | `0x200000 + 0x1000*c` | priority threshold of context `c` |
//! | `0x200004 + 0x1000*c` | claim (read) / complete (write) of context `c` |

use std::sync::{Arc, Mutex};

use chimera_core::{Line, LineSink, ObjectKind, Origin, PinDirection, PinInfo, TypeInfo};
use chimera_devices::{parse_config, DeviceEnv, DeviceParts, DeviceType, MmioWindow};
use chimera_memory::{Endian, Mmio, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Settings of a PLIC.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PlicConfig {
    /// Harts it serves (two contexts each: machine and supervisor).
    #[schemars(range(min = 1, max = 64))]
    pub harts: u32,
    /// Interrupt sources, numbered 1..=sources (0 means none).
    #[schemars(range(min = 1, max = 1023))]
    pub sources: u32,
}

impl Default for PlicConfig {
    fn default() -> Self {
        PlicConfig {
            harts: 1,
            sources: 95,
        }
    }
}

/// The PLIC's registers: plain data, the unit of snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlicState {
    /// Priority per source (index 0 unused).
    pub priority: Vec<u32>,
    /// Pending per source.
    pub pending: Vec<bool>,
    /// Claimed and not yet completed, per source.
    pub claimed: Vec<bool>,
    /// Input level per source.
    pub level: Vec<bool>,
    /// Enable bits per context, a word per 32 sources.
    pub enable: Vec<Vec<u32>>,
    /// Threshold per context.
    pub threshold: Vec<u32>,
}

/// A PLIC.
pub struct Plic {
    state: Mutex<PlicState>,
    /// Output line per context (meip of hart 0, seip of hart 0, …).
    outputs: Vec<Line>,
}

impl std::fmt::Debug for Plic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plic").field("state", &self.state).finish()
    }
}

impl Plic {
    fn lock(&self) -> std::sync::MutexGuard<'_, PlicState> {
        // Register state stays valid after a panic elsewhere.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The best pending, enabled source above the threshold of `ctx`.
    fn best(s: &PlicState, ctx: usize) -> Option<usize> {
        let mut best: Option<(u32, usize)> = None;
        for src in 1..s.priority.len() {
            let enabled = s.enable[ctx][src / 32] & (1 << (src % 32)) != 0;
            let prio = s.priority[src];
            if s.pending[src]
                && enabled
                && prio > s.threshold[ctx]
                && best.is_none_or(|(p, _)| prio > p)
            {
                best = Some((prio, src));
            }
        }
        best.map(|(_, src)| src)
    }

    fn update(&self, s: &PlicState) {
        for (ctx, line) in self.outputs.iter().enumerate() {
            line.set(Self::best(s, ctx).is_some());
        }
    }

    fn read(&self, offset: u64) -> Option<u32> {
        let mut s = self.lock();
        let contexts = s.threshold.len();
        let value = match offset {
            o if o < 0x1000 => *s.priority.get((o / 4) as usize)?,
            o if (0x1000..0x1080).contains(&o) => {
                let word = ((o - 0x1000) / 4) as usize;
                (0..32)
                    .filter(|b| s.pending.get(word * 32 + b).copied().unwrap_or(false))
                    .fold(0, |acc, b| acc | (1 << b))
            }
            o if (0x2000..0x2000 + 0x80 * contexts as u64).contains(&o) => {
                let ctx = ((o - 0x2000) / 0x80) as usize;
                let word = ((o - 0x2000) % 0x80 / 4) as usize;
                s.enable[ctx].get(word).copied().unwrap_or(0)
            }
            o if (0x20_0000..0x20_0000 + 0x1000 * contexts as u64).contains(&o) => {
                let ctx = ((o - 0x20_0000) / 0x1000) as usize;
                match (o - 0x20_0000) % 0x1000 {
                    0 => s.threshold[ctx],
                    4 => {
                        let claim = Self::best(&s, ctx).unwrap_or(0);
                        if claim != 0 {
                            s.pending[claim] = false;
                            s.claimed[claim] = true;
                            self.update(&s);
                        }
                        claim as u32
                    }
                    _ => 0,
                }
            }
            _ => return None,
        };
        Some(value)
    }

    fn write(&self, offset: u64, value: u32) -> Option<()> {
        let mut s = self.lock();
        let contexts = s.threshold.len();
        match offset {
            o if o < 0x1000 => {
                let src = (o / 4) as usize;
                if src != 0 {
                    *s.priority.get_mut(src)? = value & 7;
                }
            }
            o if (0x1000..0x1080).contains(&o) => {}
            o if (0x2000..0x2000 + 0x80 * contexts as u64).contains(&o) => {
                let ctx = ((o - 0x2000) / 0x80) as usize;
                let word = ((o - 0x2000) % 0x80 / 4) as usize;
                if let Some(w) = s.enable[ctx].get_mut(word) {
                    // Source 0 does not exist.
                    *w = if word == 0 { value & !1 } else { value };
                }
            }
            o if (0x20_0000..0x20_0000 + 0x1000 * contexts as u64).contains(&o) => {
                let ctx = ((o - 0x20_0000) / 0x1000) as usize;
                match (o - 0x20_0000) % 0x1000 {
                    0 => s.threshold[ctx] = value & 7,
                    4 => {
                        let src = value as usize;
                        if src < s.claimed.len() && s.claimed[src] {
                            s.claimed[src] = false;
                            // A level still high pends again at once.
                            if s.level[src] {
                                s.pending[src] = true;
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => return None,
        }
        self.update(&s);
        Some(())
    }
}

impl LineSink for Plic {
    fn set_input(&self, pin: u32, level: bool) {
        let mut s = self.lock();
        let src = pin as usize;
        if src == 0 || src >= s.level.len() {
            return;
        }
        s.level[src] = level;
        if level && !s.claimed[src] {
            s.pending[src] = true;
        }
        self.update(&s);
    }
}

struct PlicWindow(Arc<Plic>);

impl Mmio for PlicWindow {
    fn read(&self, _: &MmioCtx, offset: u64, size: usize) -> Option<u64> {
        (size == 4)
            .then(|| self.0.read(offset))
            .flatten()
            .map(u64::from)
    }

    fn write(&self, _: &MmioCtx, offset: u64, size: usize, value: u64) -> Option<()> {
        (size == 4)
            .then(|| self.0.write(offset, value as u32))
            .flatten()
    }
}

/// The `riscv-plic` device type.
#[derive(Debug)]
pub struct PlicType;

impl DeviceType for PlicType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<PlicConfig>(
            "riscv-plic",
            "RISC-V PLIC: prioritised level-triggered sources to per-hart machine and supervisor contexts",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-riscv".into(),
            },
        )
    }

    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let c: PlicConfig = parse_config(config)?;
        Ok(vec![
            PinInfo::array(
                "source",
                PinDirection::Input,
                c.sources + 1,
                "interrupt sources (0 is unused)",
            ),
            PinInfo::array(
                "meip",
                PinDirection::Output,
                c.harts,
                "machine external interrupt of each hart",
            ),
            PinInfo::array(
                "seip",
                PinDirection::Output,
                c.harts,
                "supervisor external interrupt of each hart",
            ),
        ])
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let c: PlicConfig = parse_config(config)?;
        let n = c.sources as usize + 1;
        let contexts = 2 * c.harts as usize;
        let outputs = (0..c.harts)
            .flat_map(|h| [env.output("meip", h), env.output("seip", h)])
            .collect();
        let plic = Arc::new(Plic {
            state: Mutex::new(PlicState {
                priority: vec![0; n],
                pending: vec![false; n],
                claimed: vec![false; n],
                level: vec![false; n],
                enable: vec![vec![0; n.div_ceil(32)]; contexts],
                threshold: vec![0; contexts],
            }),
            outputs,
        });
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x20_0000 + 0x1000 * contexts as u64,
                mmio: Arc::new(PlicWindow(plic.clone())),
                endian: Endian::Little,
            }],
            inputs: Some(plic),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimera_core::ObjectPath;
    use chimera_engine::{Clock, RunControl};
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Level(AtomicBool);
    impl LineSink for Level {
        fn set_input(&self, _: u32, level: bool) {
            self.0.store(level, Ordering::SeqCst);
        }
    }

    #[test]
    fn claim_complete_and_threshold() {
        let meip = Arc::new(Level(AtomicBool::new(false)));
        let mut env = DeviceEnv::new(
            ObjectPath::machine(),
            Clock::new(),
            Arc::new(RunControl::new()),
            None,
        );
        env.connect_output("meip", 0, Line::new(meip.clone(), 0));
        let parts = PlicType
            .build(&serde_json::json!({"harts": 1, "sources": 31}), env)
            .unwrap();
        let regs = parts.windows[0].mmio.clone();
        let input = parts.inputs.unwrap();
        let ctx = MmioCtx::default();
        let w = |o: u64, v: u64| regs.write(&ctx, o, 4, v).unwrap();
        w(4 * 10, 3); // priority of source 10
        w(0x2000, 1 << 10); // enabled for context 0 (hart 0, M)
        input.set_input(10, true);
        assert!(meip.0.load(Ordering::SeqCst));
        w(0x20_0000, 3); // threshold 3 masks priority 3
        assert!(!meip.0.load(Ordering::SeqCst));
        w(0x20_0000, 0);
        assert_eq!(regs.read(&ctx, 0x20_0004, 4), Some(10));
        assert!(!meip.0.load(Ordering::SeqCst), "claimed: no longer pending");
        input.set_input(10, false);
        w(0x20_0004, 10);
        assert!(!meip.0.load(Ordering::SeqCst));
        input.set_input(10, true);
        assert!(meip.0.load(Ordering::SeqCst));
        assert_eq!(regs.read(&ctx, 0x1000, 4), Some(1 << 10));
    }
}
