//! A reset controller: output lines that hold other parts of the machine
//! (CPUs, through their `reset` pin) in reset until the guest releases
//! them through a register.
//!
//! Registers: `0x0` HOLD (RW), bit `i` holds output `i` high (in reset);
//! `0x4` PULSE (W), each set bit resets output `i` once (high then low).

use std::sync::Arc;

use chimera_core::{Line, ObjectKind, Origin, PinDirection, PinInfo, TypeInfo};
use chimera_memory::{Endian, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    parse_config, DeviceEnv, DeviceParts, DeviceType, Locked, MmioWindow, RegisterBlock,
};

/// Settings of a reset controller.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ResetControllerConfig {
    /// Number of reset outputs.
    #[schemars(range(min = 1, max = 32))]
    pub outputs: u32,
    /// Outputs held in reset when the machine starts, a bit each.
    pub held: u32,
}

impl Default for ResetControllerConfig {
    fn default() -> Self {
        ResetControllerConfig {
            outputs: 1,
            held: 0,
        }
    }
}

/// The device.
#[derive(Debug)]
pub struct ResetController {
    hold: u32,
    lines: Vec<Line>,
}

impl ResetController {
    fn drive(&mut self, hold: u32) {
        for (i, line) in self.lines.iter().enumerate() {
            line.set(hold & (1 << i) != 0);
        }
        self.hold = hold;
    }
}

impl RegisterBlock for ResetController {
    fn read(&mut self, _: &MmioCtx, offset: u64, _: usize) -> Option<u64> {
        match offset {
            0x0 => Some(u64::from(self.hold)),
            0x4 => Some(0),
            _ => None,
        }
    }

    fn write(&mut self, _: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
        match offset {
            0x0 => self.drive(value as u32),
            0x4 => {
                let hold = self.hold;
                self.drive(hold | value as u32);
                self.drive(hold);
            }
            _ => return None,
        }
        Some(())
    }
}

/// The `reset-controller` device type.
#[derive(Debug)]
pub struct ResetControllerType;

impl DeviceType for ResetControllerType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<ResetControllerConfig>(
            "reset-controller",
            "Reset lines the guest holds and releases through a register",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let c: ResetControllerConfig = parse_config(config)?;
        Ok(vec![PinInfo::array(
            "reset",
            PinDirection::Output,
            c.outputs,
            "high while the target is held in reset",
        )])
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let c: ResetControllerConfig = parse_config(config)?;
        let mut dev = ResetController {
            hold: 0,
            lines: (0..c.outputs).map(|i| env.output("reset", i)).collect(),
        };
        dev.drive(c.held);
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x1000,
                mmio: Arc::new(Locked::new(dev)),
                endian: Endian::Little,
            }],
            inputs: None,
        })
    }
}
