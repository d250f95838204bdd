//! The test finisher (QEMU's `sifive_test`): a guest ends the run by
//! writing `0x5555` (pass), `code << 16 | 0x3333` (fail with `code`) or
//! `0x7777` (reset) to its register.

use std::sync::Arc;

use chimera_core::{ObjectKind, Origin, PinInfo, TypeInfo};
use chimera_engine::{ExitRequest, RunControl};
use chimera_memory::{Endian, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{DeviceEnv, DeviceParts, DeviceType, Locked, MmioWindow, RegisterBlock};

/// The test finisher has no settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestFinisherConfig {}

const FINISHER_FAIL: u64 = 0x3333;
const FINISHER_PASS: u64 = 0x5555;
const FINISHER_RESET: u64 = 0x7777;

/// The device: it only talks to the run control.
#[derive(Debug)]
pub struct TestFinisher {
    control: Arc<RunControl>,
}

impl TestFinisher {
    /// A finisher that ends runs through `control`.
    pub fn new(control: Arc<RunControl>) -> Self {
        TestFinisher { control }
    }
}

impl RegisterBlock for TestFinisher {
    fn read(&mut self, _: &MmioCtx, offset: u64, _: usize) -> Option<u64> {
        (offset < 0x1000).then_some(0)
    }

    fn write(&mut self, _: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
        if offset != 0 {
            return Some(());
        }
        match value & 0xffff {
            FINISHER_PASS => self.control.request(ExitRequest::Exit(0)),
            FINISHER_FAIL => {
                let code = ((value >> 16) & 0xffff) as i32;
                self.control.request(ExitRequest::Exit(code));
            }
            FINISHER_RESET => self.control.request(ExitRequest::Reset),
            _ => {}
        }
        Some(())
    }
}

/// The `test-finisher` device type.
#[derive(Debug)]
pub struct TestFinisherType;

impl DeviceType for TestFinisherType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<TestFinisherConfig>(
            "test-finisher",
            "Ends the run with a pass, fail(code) or reset written by the guest (QEMU's sifive_test)",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, _: &Value) -> Result<Vec<PinInfo>, String> {
        Ok(Vec::new())
    }

    fn build(&self, _: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x1000,
                mmio: Arc::new(Locked::new(TestFinisher::new(env.control))),
                endian: Endian::Little,
            }],
            inputs: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_exit_requests() {
        let control = Arc::new(RunControl::new());
        let mut f = TestFinisher::new(control.clone());
        let ctx = MmioCtx::default();
        f.write(&ctx, 0, 4, 0x1234).unwrap();
        assert!(!control.stop_requested());
        f.write(&ctx, 0, 4, 3 << 16 | FINISHER_FAIL).unwrap();
        assert_eq!(control.take(), Some(ExitRequest::Exit(3)));
        f.write(&ctx, 0, 4, FINISHER_PASS).unwrap();
        assert_eq!(control.take(), Some(ExitRequest::Exit(0)));
        f.write(&ctx, 0, 4, FINISHER_RESET).unwrap();
        assert_eq!(control.take(), Some(ExitRequest::Reset));
    }
}
