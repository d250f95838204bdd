//! A device that panics when the guest writes to it: only in builds with
//! the `test-devices` feature, for the tests that show a bug in a device
//! model stays contained (an internal error, not a crash).

use std::sync::Arc;

use chimera_core::{ObjectKind, Origin, PinInfo, TypeInfo};
use chimera_memory::{Endian, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{DeviceEnv, DeviceParts, DeviceType, Locked, MmioWindow, RegisterBlock};

/// The test device has no settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestPanicConfig {}

/// The device: reads as zero, panics on a write.
#[derive(Debug)]
pub struct TestPanic;

impl RegisterBlock for TestPanic {
    fn read(&mut self, _: &MmioCtx, _: u64, _: usize) -> Option<u64> {
        Some(0)
    }

    fn write(&mut self, _: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
        panic!("x-test-panic: the guest wrote {value:#x} at offset {offset:#x}");
    }
}

/// The `x-test-panic` device type.
#[derive(Debug)]
pub struct TestPanicType;

impl DeviceType for TestPanicType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<TestPanicConfig>(
            "x-test-panic",
            "Panics when written (test builds only: a bug in a device model, on purpose)",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, _: &Value) -> Result<Vec<PinInfo>, String> {
        Ok(Vec::new())
    }

    fn build(&self, _: &Value, _: DeviceEnv) -> Result<DeviceParts, String> {
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x1000,
                mmio: Arc::new(Locked::new(TestPanic)),
                endian: Endian::Little,
            }],
            inputs: None,
        })
    }
}
