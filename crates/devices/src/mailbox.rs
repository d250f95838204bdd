//! A two-sided mailbox: channels that carry a 32-bit message each way, with
//! a doorbell that interrupts the other side. Side A and side B each get a
//! register window of their own (mapped in their own address spaces) and
//! interrupt lines of their own; the device knows nothing of what sits on
//! either end.
//!
//! Register window of one side (offsets in bytes, all registers 32-bit):
//!
//! | offset | name | access | meaning |
//! | --- | --- | --- | --- |
//! | `0x10*c + 0x0` | SEND | RW | message from this side on channel `c` |
//! | `0x10*c + 0x4` | RECV | R | message from the other side on channel `c` |
//! | `0x10*c + 0x8` | DOORBELL | W | any write rings the other side on channel `c` |
//! | `0x10*c + 0xC` | ACK | W | any write clears this side's doorbell on channel `c` |
//! | `0x100` | PENDING | R | bit `c`: a doorbell on channel `c` waits for this side |
//! | `0x104` | ENABLE | RW | bit `c`: channel `c` may interrupt this side (reset: all) |
//! | `0x108` | CHANNELS | R | number of channels |
//! | `0x10C` | PEER_PENDING | R | bit `c`: the other side has not yet acknowledged channel `c` |

use std::sync::{Arc, Mutex};

use chimera_core::{Line, ObjectKind, Origin, PinDirection, PinInfo, TypeInfo};
use chimera_memory::{Endian, Mmio, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{parse_config, DeviceEnv, DeviceParts, DeviceType, MmioWindow};

/// Settings of a mailbox.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MailboxConfig {
    /// Number of channels.
    #[schemars(range(min = 1, max = 16))]
    pub channels: u32,
}

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig { channels: 4 }
    }
}

/// The mailbox's state: plain data, the unit of snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxState {
    /// Messages sent by side A (index 0) and side B (index 1), per channel.
    pub messages: [Vec<u32>; 2],
    /// Doorbells waiting for side A and side B, a bit per channel.
    pub pending: [u32; 2],
    /// Interrupt enables of side A and side B, a bit per channel.
    pub enable: [u32; 2],
}

struct SideLines {
    per_channel: Vec<Line>,
    any: Line,
}

/// A mailbox between two sides.
pub struct Mailbox {
    state: MailboxState,
    channels: u32,
    lines: [SideLines; 2],
    levels: [u32; 2],
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("state", &self.state)
            .finish()
    }
}

const SIDES: [&str; 2] = ["a", "b"];
const REG_PENDING: u64 = 0x100;
const REG_ENABLE: u64 = 0x104;
const REG_CHANNELS: u64 = 0x108;
const REG_PEER_PENDING: u64 = 0x10c;

impl Mailbox {
    fn new(channels: u32, env: &DeviceEnv) -> Self {
        let lines = SIDES.map(|side| SideLines {
            per_channel: (0..channels)
                .map(|c| env.output(&format!("irq-{side}"), c))
                .collect(),
            any: env.output(&format!("irq-{side}-any"), 0),
        });
        let all = if channels >= 32 {
            u32::MAX
        } else {
            (1 << channels) - 1
        };
        Mailbox {
            state: MailboxState {
                messages: [vec![0; channels as usize], vec![0; channels as usize]],
                pending: [0, 0],
                enable: [all, all],
            },
            channels,
            lines,
            levels: [0, 0],
        }
    }

    /// The state.
    pub fn state(&self) -> &MailboxState {
        &self.state
    }

    fn update_lines(&mut self, side: usize) {
        let level = self.state.pending[side] & self.state.enable[side];
        let changed = level ^ self.levels[side];
        if changed == 0 {
            return;
        }
        for (c, line) in self.lines[side].per_channel.iter().enumerate() {
            if changed & (1 << c) != 0 {
                line.set(level & (1 << c) != 0);
            }
        }
        if (level == 0) != (self.levels[side] == 0) {
            self.lines[side].any.set(level != 0);
        }
        self.levels[side] = level;
    }

    /// A read by `side` at `offset`.
    pub fn read(&mut self, side: usize, offset: u64) -> Option<u32> {
        let other = 1 - side;
        match offset {
            REG_PENDING => Some(self.state.pending[side]),
            REG_ENABLE => Some(self.state.enable[side]),
            REG_CHANNELS => Some(self.channels),
            REG_PEER_PENDING => Some(self.state.pending[other]),
            _ => {
                let c = usize::try_from(offset / 0x10).ok()?;
                if c >= self.channels as usize {
                    return None;
                }
                match offset % 0x10 {
                    0x0 => Some(self.state.messages[side][c]),
                    0x4 => Some(self.state.messages[other][c]),
                    0x8 | 0xc => Some(0),
                    _ => None,
                }
            }
        }
    }

    /// A write by `side` at `offset`.
    pub fn write(&mut self, side: usize, offset: u64, value: u32) -> Option<()> {
        let other = 1 - side;
        match offset {
            REG_ENABLE => {
                self.state.enable[side] = value;
                self.update_lines(side);
                Some(())
            }
            REG_PENDING | REG_CHANNELS | REG_PEER_PENDING => Some(()),
            _ => {
                let c = usize::try_from(offset / 0x10).ok()?;
                if c >= self.channels as usize {
                    return None;
                }
                match offset % 0x10 {
                    0x0 => self.state.messages[side][c] = value,
                    0x4 => {}
                    0x8 => {
                        self.state.pending[other] |= 1 << c;
                        self.update_lines(other);
                    }
                    0xc => {
                        self.state.pending[side] &= !(1 << c);
                        self.update_lines(side);
                    }
                    _ => return None,
                }
                Some(())
            }
        }
    }
}

/// One side's register window onto a shared mailbox.
struct SideWindow {
    mailbox: Arc<Mutex<Mailbox>>,
    side: usize,
}

impl SideWindow {
    fn with<R>(&self, f: impl FnOnce(&mut Mailbox) -> R) -> R {
        // Register state stays valid after a panic elsewhere: keep serving.
        let mut m = self.mailbox.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut m)
    }
}

impl Mmio for SideWindow {
    fn read(&self, _: &MmioCtx, offset: u64, size: usize) -> Option<u64> {
        if size != 4 || offset % 4 != 0 {
            return None;
        }
        self.with(|m| m.read(self.side, offset)).map(u64::from)
    }

    fn write(&self, _: &MmioCtx, offset: u64, size: usize, value: u64) -> Option<()> {
        if size != 4 || offset % 4 != 0 {
            return None;
        }
        self.with(|m| m.write(self.side, offset, value as u32))
    }
}

/// The `mailbox` device type.
#[derive(Debug)]
pub struct MailboxType;

impl DeviceType for MailboxType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<MailboxConfig>(
            "mailbox",
            "Two-sided mailbox: per channel a message each way, a doorbell and an interrupt to each side",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let c: MailboxConfig = parse_config(config)?;
        let mut pins = Vec::new();
        for side in SIDES {
            pins.push(PinInfo::array(
                &format!("irq-{side}"),
                PinDirection::Output,
                c.channels,
                &format!("doorbell of each channel, to side {}", side.to_uppercase()),
            ));
            pins.push(PinInfo::output(
                &format!("irq-{side}-any"),
                &format!(
                    "any enabled doorbell waiting for side {}",
                    side.to_uppercase()
                ),
            ));
        }
        Ok(pins)
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let c: MailboxConfig = parse_config(config)?;
        let mailbox = Arc::new(Mutex::new(Mailbox::new(c.channels, &env)));
        let windows = (0..2)
            .map(|side| MmioWindow {
                size: 0x200,
                mmio: Arc::new(SideWindow {
                    mailbox: mailbox.clone(),
                    side,
                }),
                endian: Endian::Little,
            })
            .collect();
        Ok(DeviceParts {
            windows,
            inputs: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimera_core::{LineSink, ObjectPath};
    use chimera_engine::{Clock, RunControl};
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Levels(AtomicU32);
    impl LineSink for Levels {
        fn set_input(&self, pin: u32, level: bool) {
            if level {
                self.0.fetch_or(1 << pin, Ordering::SeqCst);
            } else {
                self.0.fetch_and(!(1 << pin), Ordering::SeqCst);
            }
        }
    }

    fn mailbox() -> (Mailbox, Arc<Levels>) {
        let levels = Arc::new(Levels(AtomicU32::new(0)));
        let mut env = DeviceEnv::new(
            ObjectPath::machine(),
            Clock::new(),
            Arc::new(RunControl::new()),
            None,
        );
        env.connect_output("irq-b", 2, Line::new(levels.clone(), 2));
        env.connect_output("irq-b-any", 0, Line::new(levels.clone(), 8));
        env.connect_output("irq-a-any", 0, Line::new(levels.clone(), 9));
        (Mailbox::new(4, &env), levels)
    }

    #[test]
    fn a_message_and_doorbell_reach_the_other_side_until_acknowledged() {
        let (mut m, levels) = mailbox();
        m.write(0, 0x20, 0xdead_beef).unwrap();
        assert_eq!(m.read(1, 0x24), Some(0xdead_beef));
        m.write(0, 0x28, 1).unwrap();
        assert_eq!(m.read(1, REG_PENDING), Some(1 << 2));
        assert_eq!(m.read(0, REG_PEER_PENDING), Some(1 << 2));
        assert_eq!(levels.0.load(Ordering::SeqCst), (1 << 2) | (1 << 8));
        m.write(1, 0x2c, 1).unwrap();
        assert_eq!(m.read(1, REG_PENDING), Some(0));
        assert_eq!(levels.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn disabled_channels_do_not_interrupt() {
        let (mut m, levels) = mailbox();
        m.write(1, REG_ENABLE, 0).unwrap();
        m.write(0, 0x28, 1).unwrap();
        assert_eq!(levels.0.load(Ordering::SeqCst), 0);
        m.write(1, REG_ENABLE, 0xf).unwrap();
        assert_eq!(levels.0.load(Ordering::SeqCst), (1 << 2) | (1 << 8));
    }

    #[test]
    fn out_of_range_channels_are_bus_errors() {
        let (mut m, _) = mailbox();
        assert_eq!(m.read(0, 0x40), None);
        assert_eq!(m.write(0, 0x48, 1), None);
        assert_eq!(m.read(0, REG_CHANNELS), Some(4));
    }
}
