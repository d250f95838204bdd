//! A placeholder for a block of registers a board has but Chimera does not
//! model (QEMU's "unimplemented device"): reads give zero, writes are
//! ignored, so guests that probe the block see what they see on QEMU
//! instead of a bus error.

use std::sync::Arc;

use chimera_core::{ByteSize, ObjectKind, Origin, PinInfo, TypeInfo};
use chimera_memory::{Endian, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    parse_config, DeviceEnv, DeviceParts, DeviceType, Locked, MmioWindow, RegisterBlock,
};

/// Settings of an unimplemented block.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnimplementedConfig {
    /// Size of the block in bytes.
    pub size: ByteSize,
}

/// The block: it answers every access and remembers nothing.
#[derive(Debug, Default)]
pub struct Unimplemented;

impl RegisterBlock for Unimplemented {
    fn read(&mut self, _: &MmioCtx, _: u64, _: usize) -> Option<u64> {
        Some(0)
    }

    fn write(&mut self, _: &MmioCtx, _: u64, _: usize, _: u64) -> Option<()> {
        Some(())
    }
}

/// The `unimplemented` device type.
#[derive(Debug)]
pub struct UnimplementedType;

impl DeviceType for UnimplementedType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<UnimplementedConfig>(
            "unimplemented",
            "Registers a board has but Chimera does not model: reads give 0, writes are ignored",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, _: &Value) -> Result<Vec<PinInfo>, String> {
        Ok(Vec::new())
    }

    fn build(&self, config: &Value, _: DeviceEnv) -> Result<DeviceParts, String> {
        let c: UnimplementedConfig = parse_config(config)?;
        if c.size.0 == 0 {
            return Err("size: an unimplemented block needs at least one byte".into());
        }
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: c.size.0,
                mmio: Arc::new(Locked::new(Unimplemented)),
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
    fn reads_are_zero_and_writes_are_ignored() {
        let mut u = Unimplemented;
        let ctx = MmioCtx::default();
        u.write(&ctx, 8, 4, 0xdead).unwrap();
        assert_eq!(u.read(&ctx, 8, 4), Some(0));
        assert_eq!(u.read(&ctx, 0xfff, 1), Some(0));
    }
}
