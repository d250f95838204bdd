//! The ARM CMSDK APB timer (Cortex-M System Design Kit, ARM DDI0479C), as
//! QEMU models it for the `mps2-an385`/`mps2-an386` boards: a 32-bit
//! down-counter at a fixed clock, with a reload value and one interrupt.
//!
//! | offset | register | access |
//! | --- | --- | --- |
//! | `0x000` | CTRL | bit 0 enable, bit 1 external enable, bit 2 external clock, bit 3 interrupt enable |
//! | `0x004` | VALUE | RW: the counter |
//! | `0x008` | RELOAD | RW: writing it also sets VALUE |
//! | `0x00C` | INTSTATUS / INTCLEAR | bit 0, W1C |
//! | `0xFD0`–`0xFFC` | PID4–7, PID0–3, CID0–3 | RO identification |
//!
//! Counting follows QEMU's reading of the manual: the interrupt is raised
//! when the counter goes from 1 to 0 (if enabled at that moment); the
//! counter holds 0 for one tick and then reloads from RELOAD, so a period
//! is RELOAD + 1 ticks; with RELOAD 0 it stays at 0 and raises nothing
//! more. The external input (CTRL bits 1 and 2) is stored but not modelled,
//! as in QEMU. Bad offsets read as 0 and ignore writes.
//!
//! Nothing ticks: VALUE is computed from virtual time when it is read, and
//! a clock timer is armed only for the next 1-to-0 crossing while the
//! interrupt is enabled and not already pending.

use std::sync::{Arc, Weak};

use chimera_core::{Line, ObjectKind, Origin, PinInfo, TypeInfo};
use chimera_engine::{Clock, Timer, TimerTarget};
use chimera_memory::{Endian, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    parse_config, DeviceEnv, DeviceParts, DeviceType, Locked, MmioWindow, RegisterBlock,
};

/// Settings of a CMSDK APB timer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CmsdkApbTimerConfig {
    /// Frequency of the counter's clock (PCLK) in Hz; 25 MHz on MPS2.
    #[schemars(range(min = 1))]
    pub freq_hz: u64,
}

impl Default for CmsdkApbTimerConfig {
    fn default() -> Self {
        CmsdkApbTimerConfig {
            freq_hz: 25_000_000,
        }
    }
}

const REG_CTRL: u64 = 0x000;
const REG_VALUE: u64 = 0x004;
const REG_RELOAD: u64 = 0x008;
const REG_INTSTATUS: u64 = 0x00c;
const REG_PID4: u64 = 0xfd0;
const REG_CID3: u64 = 0xffc;

const CTRL_EN: u32 = 1 << 0;
const CTRL_IRQEN: u32 = 1 << 3;
const CTRL_MASK: u32 = 0xf;

const INT_IRQ: u32 = 1 << 0;

/// PID4..PID7, PID0..PID3, CID0..CID3 (QEMU's `timer_id`).
const TIMER_ID: [u8; 12] = [
    0x04, 0x00, 0x00, 0x00, 0x22, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];

const NS_PER_S: u128 = 1_000_000_000;

/// The timer's registers and counting anchor: plain data, the unit of
/// snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CmsdkApbTimerState {
    /// CTRL.
    pub ctrl: u32,
    /// RELOAD.
    pub reload: u32,
    /// INTSTATUS.
    pub intstatus: u32,
    /// VALUE at `anchor_ns` while enabled; VALUE itself while disabled.
    pub value: u32,
    /// Virtual time from which an enabled counter counts down from `value`.
    pub anchor_ns: u64,
    /// Virtual time up to which 1-to-0 crossings have been accounted for.
    pub checked_ns: u64,
}

/// A CMSDK APB timer.
pub struct CmsdkApbTimer {
    state: CmsdkApbTimerState,
    freq_hz: u64,
    irq: Line,
    irq_level: bool,
    /// Fires at the next 1-to-0 crossing, when that would interrupt.
    timer: Option<Timer>,
    _target: Option<Arc<Expiry>>,
}

impl std::fmt::Debug for CmsdkApbTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CmsdkApbTimer")
            .field("state", &self.state)
            .field("freq_hz", &self.freq_hz)
            .finish()
    }
}

/// The clock timer's target: accounts for a crossing when it is due.
struct Expiry {
    timer: Weak<Locked<CmsdkApbTimer>>,
}

impl TimerTarget for Expiry {
    fn fire(&self, now_ns: u64) {
        if let Some(t) = self.timer.upgrade() {
            t.with(|t| {
                t.catch_up(now_ns);
                t.update();
            });
        }
    }
}

impl CmsdkApbTimer {
    /// A timer in its reset state, counting at `freq_hz` (at least 1),
    /// with no clock timer: it raises `irq` only when its registers are
    /// accessed. [`CmsdkApbTimer::shared`] makes one that wakes itself.
    pub fn new(freq_hz: u64, irq: Line) -> Self {
        CmsdkApbTimer {
            state: CmsdkApbTimerState::default(),
            freq_hz: freq_hz.max(1),
            irq,
            irq_level: false,
            timer: None,
            _target: None,
        }
    }

    /// A timer that arms a timer of `clock` for its interrupts, in the
    /// form in which it is mapped.
    pub fn shared(freq_hz: u64, irq: Line, clock: &Arc<Clock>) -> Arc<Locked<CmsdkApbTimer>> {
        Arc::new_cyclic(|weak: &Weak<Locked<CmsdkApbTimer>>| {
            let target = Arc::new(Expiry {
                timer: weak.clone(),
            });
            let mut t = CmsdkApbTimer::new(freq_hz, irq);
            t.timer = Some(clock.timer(Arc::downgrade(&target) as Weak<dyn TimerTarget>));
            t._target = Some(target);
            Locked::new(t)
        })
    }

    /// The register state.
    pub fn state(&self) -> &CmsdkApbTimerState {
        &self.state
    }

    fn enabled(&self) -> bool {
        self.state.ctrl & CTRL_EN != 0
    }

    /// Whole ticks from `from_ns` to `to_ns` (0 if time runs backwards).
    fn ticks_between(&self, from_ns: u64, to_ns: u64) -> u64 {
        let ticks = u128::from(to_ns.saturating_sub(from_ns)) * u128::from(self.freq_hz) / NS_PER_S;
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }

    /// The first virtual time at which `ticks` ticks have passed since
    /// the anchor.
    fn tick_time(&self, ticks: u64) -> Option<u64> {
        let ns = (u128::from(ticks) * NS_PER_S).div_ceil(u128::from(self.freq_hz));
        u64::try_from(ns).ok()?.checked_add(self.state.anchor_ns)
    }

    /// The counter `ticks` ticks after the anchor, while enabled.
    fn value_after(&self, ticks: u64) -> u32 {
        let (v, r) = (u64::from(self.state.value), u64::from(self.state.reload));
        let value = if ticks <= v {
            v - ticks
        } else if r == 0 {
            0
        } else {
            // One tick at 0, then RELOAD down to 0, over and over.
            r - (ticks - v - 1) % (r + 1)
        };
        value as u32
    }

    /// The first tick after `ticks` (since the anchor) at which the
    /// counter goes from 1 to 0.
    fn next_crossing(&self, ticks: u64) -> Option<u64> {
        let (v, r) = (u64::from(self.state.value), u64::from(self.state.reload));
        if v > ticks {
            return Some(v);
        }
        if r == 0 {
            return None;
        }
        let periods = (ticks - v) / (r + 1) + 1;
        v.checked_add(periods.checked_mul(r + 1)?)
    }

    /// VALUE at `now_ns`.
    fn value_at(&self, now_ns: u64) -> u32 {
        if self.enabled() {
            self.value_after(self.ticks_between(self.state.anchor_ns, now_ns))
        } else {
            self.state.value
        }
    }

    /// Raises INTSTATUS for a 1-to-0 crossing between the last check and
    /// `now_ns`, if the interrupt is enabled.
    fn catch_up(&mut self, now_ns: u64) {
        let s = &self.state;
        if now_ns <= s.checked_ns {
            return;
        }
        if self.enabled() && s.ctrl & CTRL_IRQEN != 0 {
            let from = self.ticks_between(s.anchor_ns, s.checked_ns);
            let to = self.ticks_between(s.anchor_ns, now_ns);
            if self.next_crossing(from).is_some_and(|k| k <= to) {
                self.state.intstatus |= INT_IRQ;
            }
        }
        self.state.checked_ns = now_ns;
    }

    /// Counts from `value` from `now_ns` on.
    fn restart(&mut self, value: u32, now_ns: u64) {
        self.state.value = value;
        self.state.anchor_ns = now_ns;
        self.state.checked_ns = now_ns;
    }

    /// Drives the line and arms the clock timer for the next crossing
    /// that would raise the interrupt.
    fn update(&mut self) {
        let level = self.state.intstatus & INT_IRQ != 0;
        if level != self.irq_level {
            self.irq_level = level;
            self.irq.set(level);
        }
        let Some(timer) = &self.timer else {
            return;
        };
        let s = &self.state;
        let deadline = if self.enabled() && s.ctrl & CTRL_IRQEN != 0 && !level {
            let from = self.ticks_between(s.anchor_ns, s.checked_ns);
            self.next_crossing(from).and_then(|k| self.tick_time(k))
        } else {
            None
        };
        match deadline {
            Some(d) => timer.arm(d),
            None => timer.cancel(),
        }
    }

    /// Reads the 32-bit register at `offset` at virtual time `now_ns`; 0
    /// for a bad offset.
    pub fn read_reg(&mut self, offset: u64, now_ns: u64) -> u32 {
        self.catch_up(now_ns);
        self.update();
        match offset {
            REG_CTRL => self.state.ctrl,
            REG_VALUE => self.value_at(now_ns),
            REG_RELOAD => self.state.reload,
            REG_INTSTATUS => self.state.intstatus,
            REG_PID4..=REG_CID3 => u32::from(TIMER_ID[((offset - REG_PID4) / 4) as usize]),
            _ => 0,
        }
    }

    /// Writes the 32-bit register at `offset` at virtual time `now_ns`;
    /// ignored for a bad or read-only offset.
    pub fn write_reg(&mut self, offset: u64, value: u32, now_ns: u64) {
        self.catch_up(now_ns);
        match offset {
            REG_CTRL => {
                let ctrl = value & CTRL_MASK;
                // Starting or stopping re-anchors the count; a write that
                // leaves it running keeps the tick phase.
                if (ctrl ^ self.state.ctrl) & CTRL_EN != 0 {
                    let current = self.value_at(now_ns);
                    self.restart(current, now_ns);
                }
                self.state.ctrl = ctrl;
            }
            REG_VALUE => self.restart(value, now_ns),
            REG_RELOAD => {
                self.state.reload = value;
                self.restart(value, now_ns);
            }
            REG_INTSTATUS => self.state.intstatus &= !(value & INT_IRQ),
            _ => {}
        }
        self.update();
    }
}

impl RegisterBlock for CmsdkApbTimer {
    fn read(&mut self, ctx: &MmioCtx, offset: u64, size: usize) -> Option<u64> {
        let value = u64::from(self.read_reg(offset, ctx.now_ns));
        Some(match size {
            1 => value & 0xff,
            2 => value & 0xffff,
            _ => value,
        })
    }

    fn write(&mut self, ctx: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
        self.write_reg(offset, value as u32, ctx.now_ns);
        Some(())
    }
}

/// The `cmsdk-apb-timer` device type.
#[derive(Debug)]
pub struct CmsdkApbTimerType;

impl DeviceType for CmsdkApbTimerType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<CmsdkApbTimerConfig>(
            "cmsdk-apb-timer",
            "ARM CMSDK APB timer: a 32-bit down-counter with reload and interrupt, as on QEMU's mps2 boards",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let _: CmsdkApbTimerConfig = parse_config(config)?;
        Ok(vec![PinInfo::output("irq", "timer interrupt")])
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let config: CmsdkApbTimerConfig = parse_config(config)?;
        if config.freq_hz == 0 {
            return Err("freq-hz must be at least 1".into());
        }
        let timer = CmsdkApbTimer::shared(config.freq_hz, env.output("irq", 0), &env.clock);
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x1000,
                mmio: timer,
                endian: Endian::Little,
            }],
            inputs: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimera_core::LineSink;
    use chimera_engine::clock::NEVER;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Level(AtomicBool);

    impl LineSink for Level {
        fn set_input(&self, _: u32, level: bool) {
            self.0.store(level, Ordering::SeqCst);
        }
    }

    impl Level {
        fn get(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// A timer at 25 MHz (40 ns a tick) on its own clock.
    fn timer() -> (Arc<Locked<CmsdkApbTimer>>, Arc<Clock>, Arc<Level>) {
        let clock = Clock::new();
        let level = Arc::new(Level(AtomicBool::new(false)));
        let t = CmsdkApbTimer::shared(25_000_000, Line::new(level.clone(), 0), &clock);
        (t, clock, level)
    }

    fn read(t: &Locked<CmsdkApbTimer>, offset: u64, now_ns: u64) -> u32 {
        t.with(|t| t.read_reg(offset, now_ns))
    }

    fn write(t: &Locked<CmsdkApbTimer>, offset: u64, value: u32, now_ns: u64) {
        t.with(|t| t.write_reg(offset, value, now_ns));
    }

    #[test]
    fn id_registers_read_qemus_values() {
        let (t, _, _) = timer();
        let ids: Vec<u32> = (0..12).map(|i| read(&t, 0xfd0 + 4 * i, 0)).collect();
        assert_eq!(
            ids,
            [0x04, 0, 0, 0, 0x22, 0xb8, 0x1b, 0, 0x0d, 0xf0, 0x05, 0xb1]
        );
    }

    #[test]
    fn reload_write_sets_value_and_a_stopped_timer_holds_it() {
        let (t, _, _) = timer();
        write(&t, REG_RELOAD, 1000, 0);
        assert_eq!(read(&t, REG_RELOAD, 0), 1000);
        assert_eq!(read(&t, REG_VALUE, 1_000_000), 1000);
        write(&t, REG_VALUE, 7, 10);
        assert_eq!(read(&t, REG_VALUE, 1_000_000), 7);
        write(&t, REG_CTRL, 0xff, 0);
        assert_eq!(read(&t, REG_CTRL, 0), 0xf);
    }

    #[test]
    fn value_counts_down_with_virtual_time() {
        let (t, _, _) = timer();
        write(&t, REG_RELOAD, 1000, 500);
        write(&t, REG_CTRL, CTRL_EN, 1000);
        assert_eq!(read(&t, REG_VALUE, 1000), 1000);
        assert_eq!(read(&t, REG_VALUE, 1039), 1000);
        assert_eq!(read(&t, REG_VALUE, 1040), 999);
        // 10 us is 250 ticks.
        assert_eq!(read(&t, REG_VALUE, 11_000), 750);
        // Stopping freezes the value.
        write(&t, REG_CTRL, 0, 11_000);
        assert_eq!(read(&t, REG_VALUE, 50_000), 750);
        // Restarting counts on from it.
        write(&t, REG_CTRL, CTRL_EN, 50_000);
        assert_eq!(read(&t, REG_VALUE, 50_400), 740);
    }

    #[test]
    fn counter_holds_zero_one_tick_then_reloads() {
        let (t, _, _) = timer();
        write(&t, REG_RELOAD, 3, 0);
        write(&t, REG_CTRL, CTRL_EN, 0);
        let values: Vec<u32> = (0..10).map(|k| read(&t, REG_VALUE, 40 * k)).collect();
        assert_eq!(values, [3, 2, 1, 0, 3, 2, 1, 0, 3, 2]);
    }

    #[test]
    fn interrupt_fires_at_zero_and_every_reload_plus_one_ticks() {
        let (t, clock, level) = timer();
        write(&t, REG_RELOAD, 99, 0);
        write(&t, REG_CTRL, CTRL_EN | CTRL_IRQEN, 0);
        // 99 ticks of 40 ns.
        assert_eq!(clock.next_deadline(), 3960);
        assert_eq!(clock.fire_due(3959), 0);
        assert!(!level.get());
        assert_eq!(clock.fire_due(3960), 1);
        assert!(level.get());
        assert_eq!(read(&t, REG_INTSTATUS, 3960), 1);
        // Pending: nothing more to wake for until it is cleared.
        assert_eq!(clock.next_deadline(), NEVER);
        write(&t, REG_INTSTATUS, 1, 4000);
        assert!(!level.get());
        assert_eq!(read(&t, REG_INTSTATUS, 4000), 0);
        // The next crossing is 100 ticks after the first.
        assert_eq!(clock.next_deadline(), 3960 + 4000);
        assert_eq!(clock.fire_due(7960), 1);
        assert!(level.get());
    }

    #[test]
    fn crossing_is_seen_by_a_register_read_before_the_clock_fires() {
        let (t, clock, level) = timer();
        write(&t, REG_RELOAD, 10, 0);
        write(&t, REG_CTRL, CTRL_EN | CTRL_IRQEN, 0);
        assert_eq!(read(&t, REG_INTSTATUS, 500), 1);
        assert!(level.get());
        assert_eq!(clock.fire_due(500), 0);
    }

    #[test]
    fn crossing_with_interrupt_disabled_is_not_latched() {
        let (t, clock, level) = timer();
        write(&t, REG_RELOAD, 10, 0);
        write(&t, REG_CTRL, CTRL_EN, 0);
        assert_eq!(clock.next_deadline(), NEVER);
        // The crossing at 400 ns passes with the interrupt off.
        write(&t, REG_CTRL, CTRL_EN | CTRL_IRQEN, 420);
        assert_eq!(read(&t, REG_INTSTATUS, 420), 0);
        assert!(!level.get());
        // The next one is at 400 + 11 ticks.
        assert_eq!(clock.next_deadline(), 840);
    }

    #[test]
    fn zero_reload_makes_a_one_shot() {
        let (t, clock, level) = timer();
        write(&t, REG_VALUE, 5, 0);
        write(&t, REG_CTRL, CTRL_EN | CTRL_IRQEN, 0);
        assert_eq!(clock.fire_due(200), 1);
        assert!(level.get());
        write(&t, REG_INTSTATUS, 1, 200);
        assert_eq!(clock.next_deadline(), NEVER);
        assert_eq!(read(&t, REG_VALUE, 1_000_000), 0);
        assert_eq!(read(&t, REG_INTSTATUS, 1_000_000), 0);
    }

    #[test]
    fn starting_at_zero_reloads_without_an_interrupt() {
        let (t, clock, _) = timer();
        write(&t, REG_RELOAD, 4, 0);
        write(&t, REG_VALUE, 0, 0);
        write(&t, REG_CTRL, CTRL_EN | CTRL_IRQEN, 0);
        assert_eq!(read(&t, REG_VALUE, 0), 0);
        assert_eq!(read(&t, REG_VALUE, 40), 4);
        // First interrupt after the hold tick and RELOAD ticks.
        assert_eq!(clock.next_deadline(), 200);
    }

    #[test]
    fn bad_offsets_and_sizes_read_zero_and_ignore_writes() {
        let (t, _, _) = timer();
        let ctx = MmioCtx::default();
        t.with(|t| {
            t.write(&ctx, REG_RELOAD, 4, 0x1234_5678).unwrap();
            for offset in [0x10, 0x5, 0x800, 0xffd, 0x1000, u64::MAX] {
                assert_eq!(t.read(&ctx, offset, 4), Some(0));
                assert_eq!(t.write(&ctx, offset, 4, 0xffff_ffff), Some(()));
            }
            assert_eq!(t.read(&ctx, REG_RELOAD, 1), Some(0x78));
            assert_eq!(t.read(&ctx, REG_RELOAD, 2), Some(0x5678));
            assert_eq!(t.read(&ctx, REG_RELOAD, 8), Some(0x1234_5678));
        });
    }

    #[test]
    fn build_rejects_zero_frequency_and_offers_the_irq_pin() {
        let pins = CmsdkApbTimerType.pins(&serde_json::json!({})).unwrap();
        assert_eq!(pins.len(), 1);
        assert_eq!(pins[0].name, "irq");
        let bad = serde_json::json!({ "freq-hz": 0 });
        let env = DeviceEnv::new(
            chimera_core::ObjectPath::machine(),
            Clock::new(),
            Arc::new(chimera_engine::RunControl::new()),
            None,
        );
        assert!(CmsdkApbTimerType.build(&bad, env).is_err());
    }
}
