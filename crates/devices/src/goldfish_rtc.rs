//! The Goldfish real-time clock (Android's emulator device, which QEMU's
//! RISC-V `virt` board carries at 0x101000 on PLIC source 11): nanoseconds
//! since the Unix epoch, and one alarm with an interrupt.
//!
//! | offset | register | access |
//! | --- | --- | --- |
//! | `0x00` | TIME_LOW | R: low 32 bits of the time, latching the high ones; W: with TIME_HIGH before it, sets the time |
//! | `0x04` | TIME_HIGH | RW: the latched high 32 bits |
//! | `0x08` | ALARM_LOW | W: arms the alarm at (ALARM_HIGH, value); R: its low bits |
//! | `0x0C` | ALARM_HIGH | RW |
//! | `0x10` | IRQ_ENABLED | RW: bit 0 |
//! | `0x14` | CLEAR_ALARM | W: disarms the alarm |
//! | `0x18` | ALARM_STATUS | R: 1 while the alarm is armed |
//! | `0x1C` | CLEAR_INTERRUPT | W: clears the pending interrupt |
//!
//! The clock starts at the host's wall-clock time when the device is made
//! (or at `start-unix-s` when given, for reproducible runs) and advances
//! in virtual time, as QEMU's `-rtc clock=vm` does; nothing ticks: the time
//! is computed when read, and a clock timer is armed only for the alarm.

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

/// Settings of a Goldfish RTC.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct GoldfishRtcConfig {
    /// The time the clock starts at, in seconds since the Unix epoch;
    /// the host's wall-clock time when not given.
    pub start_unix_s: Option<u64>,
}

const TIME_LOW: u64 = 0x00;
const TIME_HIGH: u64 = 0x04;
const ALARM_LOW: u64 = 0x08;
const ALARM_HIGH: u64 = 0x0c;
const IRQ_ENABLED: u64 = 0x10;
const CLEAR_ALARM: u64 = 0x14;
const ALARM_STATUS: u64 = 0x18;
const CLEAR_INTERRUPT: u64 = 0x1c;

/// The device.
pub struct GoldfishRtc {
    /// Unix time (ns) at virtual time 0.
    offset_ns: u64,
    time_high: u32,
    alarm_high: u32,
    alarm_ns: u64,
    alarm_armed: bool,
    irq_enabled: bool,
    irq_pending: bool,
    irq: Line,
    timer: Option<Timer>,
    _target: Option<Arc<Expiry>>,
}

impl std::fmt::Debug for GoldfishRtc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoldfishRtc")
            .field("offset_ns", &self.offset_ns)
            .field("alarm_ns", &self.alarm_ns)
            .field("alarm_armed", &self.alarm_armed)
            .field("irq_pending", &self.irq_pending)
            .finish()
    }
}

/// The clock timer's target: the alarm is due.
struct Expiry {
    rtc: Weak<Locked<GoldfishRtc>>,
}

impl TimerTarget for Expiry {
    fn fire(&self, now_ns: u64) {
        if let Some(rtc) = self.rtc.upgrade() {
            rtc.with(|r| r.check_alarm(now_ns));
        }
    }
}

impl GoldfishRtc {
    /// A clock reading `start_unix_ns` at virtual time 0, raising `irq`,
    /// that arms a timer of `clock` for its alarm.
    pub fn shared(start_unix_ns: u64, irq: Line, clock: &Arc<Clock>) -> Arc<Locked<GoldfishRtc>> {
        Arc::new_cyclic(|weak: &Weak<Locked<GoldfishRtc>>| {
            let target = Arc::new(Expiry { rtc: weak.clone() });
            Locked::new(GoldfishRtc {
                offset_ns: start_unix_ns,
                time_high: 0,
                alarm_high: 0,
                alarm_ns: 0,
                alarm_armed: false,
                irq_enabled: false,
                irq_pending: false,
                irq,
                timer: Some(clock.timer(Arc::downgrade(&target) as Weak<dyn TimerTarget>)),
                _target: Some(target),
            })
        })
    }

    /// The Unix time (ns) at virtual time `now_ns`.
    fn time_ns(&self, now_ns: u64) -> u64 {
        self.offset_ns.wrapping_add(now_ns)
    }

    fn update_irq(&self) {
        self.irq.set(self.irq_pending && self.irq_enabled);
    }

    /// Fires the alarm when it is due at `now_ns`, else (re)arms the timer.
    fn check_alarm(&mut self, now_ns: u64) {
        if !self.alarm_armed {
            if let Some(t) = &self.timer {
                t.cancel();
            }
            return;
        }
        let now = self.time_ns(now_ns);
        if now >= self.alarm_ns {
            self.alarm_armed = false;
            self.irq_pending = true;
            self.update_irq();
        } else if let Some(t) = &self.timer {
            t.arm(now_ns + (self.alarm_ns - now));
        }
    }
}

impl RegisterBlock for GoldfishRtc {
    fn read(&mut self, ctx: &MmioCtx, offset: u64, _: usize) -> Option<u64> {
        Some(match offset {
            TIME_LOW => {
                let t = self.time_ns(ctx.now_ns);
                self.time_high = (t >> 32) as u32;
                t & 0xffff_ffff
            }
            TIME_HIGH => u64::from(self.time_high),
            ALARM_LOW => self.alarm_ns & 0xffff_ffff,
            ALARM_HIGH => u64::from(self.alarm_high),
            IRQ_ENABLED => u64::from(self.irq_enabled),
            ALARM_STATUS => u64::from(self.alarm_armed),
            _ => 0,
        })
    }

    fn write(&mut self, ctx: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
        let value = value & 0xffff_ffff;
        match offset {
            TIME_LOW => {
                let new = (u64::from(self.time_high) << 32) | value;
                self.offset_ns = new.wrapping_sub(ctx.now_ns);
                self.check_alarm(ctx.now_ns);
            }
            TIME_HIGH => self.time_high = value as u32,
            ALARM_LOW => {
                self.alarm_ns = (u64::from(self.alarm_high) << 32) | value;
                self.alarm_armed = true;
                self.check_alarm(ctx.now_ns);
            }
            ALARM_HIGH => self.alarm_high = value as u32,
            IRQ_ENABLED => {
                self.irq_enabled = value & 1 != 0;
                self.update_irq();
            }
            CLEAR_ALARM => {
                self.alarm_armed = false;
                self.check_alarm(ctx.now_ns);
            }
            CLEAR_INTERRUPT => {
                self.irq_pending = false;
                self.update_irq();
            }
            _ => {}
        }
        Some(())
    }
}

/// The `goldfish-rtc` device type.
#[derive(Debug)]
pub struct GoldfishRtcType;

impl DeviceType for GoldfishRtcType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<GoldfishRtcConfig>(
            "goldfish-rtc",
            "Goldfish real-time clock with an alarm (QEMU virt's RTC), from the host's time or a fixed start",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let _: GoldfishRtcConfig = parse_config(config)?;
        Ok(vec![PinInfo::output("irq", "alarm interrupt")])
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let config: GoldfishRtcConfig = parse_config(config)?;
        let start_ns = match config.start_unix_s {
            Some(s) => s.saturating_mul(1_000_000_000),
            // The one place the host's clock enters a machine.
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        };
        let rtc = GoldfishRtc::shared(start_ns, env.output("irq", 0), &env.clock);
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x1000,
                mmio: rtc,
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
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Level(AtomicBool);

    impl LineSink for Level {
        fn set_input(&self, _: u32, level: bool) {
            self.0.store(level, Ordering::SeqCst);
        }
    }

    fn ctx(now_ns: u64) -> MmioCtx {
        MmioCtx {
            now_ns,
            initiator: 0,
        }
    }

    #[test]
    fn time_advances_in_virtual_time_and_the_alarm_interrupts() {
        let clock = Clock::new();
        let level = Arc::new(Level(AtomicBool::new(false)));
        let rtc = GoldfishRtc::shared(1_000_000_000_000, Line::new(level.clone(), 0), &clock);
        let read = |now, off| rtc.with(|r| r.read(&ctx(now), off, 4)).unwrap();
        let write = |now, off, v| rtc.with(|r| r.write(&ctx(now), off, 4, v)).unwrap();
        let low = read(500, TIME_LOW);
        let high = read(500, TIME_HIGH);
        assert_eq!(high << 32 | low, 1_000_000_000_500);
        // An alarm 1000 ns ahead, interrupts enabled.
        write(500, IRQ_ENABLED, 1);
        let at = 1_000_000_001_500u64;
        write(500, ALARM_HIGH, at >> 32);
        write(500, ALARM_LOW, at & 0xffff_ffff);
        assert_eq!(read(500, ALARM_STATUS), 1);
        assert_eq!(clock.next_deadline(), 1500);
        assert_eq!(clock.fire_due(1500), 1);
        assert!(level.0.load(Ordering::SeqCst));
        assert_eq!(read(1600, ALARM_STATUS), 0);
        write(1600, CLEAR_INTERRUPT, 1);
        assert!(!level.0.load(Ordering::SeqCst));
        // Setting the time moves it from now on.
        write(2000, TIME_HIGH, 0);
        write(2000, TIME_LOW, 7);
        assert_eq!(read(2010, TIME_LOW), 17);
    }
}
