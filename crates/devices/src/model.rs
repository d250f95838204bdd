//! The device contract: how a device type declares its properties and
//! pins, and what it gets and gives when the builder realizes it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use chimera_core::{Line, LineSink, ObjectPath, PinInfo, TypeInfo};
use chimera_engine::{Clock, RunControl};
use chimera_memory::{Endian, Mmio, MmioCtx};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::CharBackend;

/// What a device gets when it is built.
pub struct DeviceEnv {
    /// Its object path.
    pub path: ObjectPath,
    /// The machine's virtual clock, for timers.
    pub clock: Arc<Clock>,
    /// The machine's run control, for devices that end or reset the run.
    pub control: Arc<RunControl>,
    /// Where its character output goes, for devices that have one.
    pub serial: Option<Arc<dyn CharBackend>>,
    outputs: BTreeMap<(String, u32), Line>,
}

impl fmt::Debug for DeviceEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceEnv")
            .field("path", &self.path)
            .field("outputs", &self.outputs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl DeviceEnv {
    /// An environment with no output connected yet.
    pub fn new(
        path: ObjectPath,
        clock: Arc<Clock>,
        control: Arc<RunControl>,
        serial: Option<Arc<dyn CharBackend>>,
    ) -> Self {
        DeviceEnv {
            path,
            clock,
            control,
            serial,
            outputs: BTreeMap::new(),
        }
    }

    /// Connects output `pin[index]` (index 0 for a scalar pin).
    pub fn connect_output(&mut self, pin: &str, index: u32, line: Line) {
        self.outputs.insert((pin.to_string(), index), line);
    }

    /// The line on output `pin[index]`; a disconnected line if none.
    pub fn output(&self, pin: &str, index: u32) -> Line {
        self.outputs
            .get(&(pin.to_string(), index))
            .cloned()
            .unwrap_or_default()
    }
}

/// A register window a device offers for mapping.
#[derive(Clone)]
pub struct MmioWindow {
    /// Size in bytes.
    pub size: u64,
    /// The handler.
    pub mmio: Arc<dyn Mmio>,
    /// Byte order of its registers.
    pub endian: Endian,
}

impl fmt::Debug for MmioWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MmioWindow({:#x}, {:?})", self.size, self.endian)
    }
}

/// What a built device gives back to the builder.
#[derive(Default)]
pub struct DeviceParts {
    /// Its register windows, mapped in the order the description lists
    /// the device's mappings.
    pub windows: Vec<MmioWindow>,
    /// The receiver of its input pins, if it has any.
    pub inputs: Option<Arc<dyn LineSink>>,
}

impl fmt::Debug for DeviceParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceParts")
            .field("windows", &self.windows)
            .field("inputs", &self.inputs.is_some())
            .finish()
    }
}

/// A kind of device the builder can make.
pub trait DeviceType: Send + Sync {
    /// The type's name, doc and property schema.
    fn info(&self) -> TypeInfo;

    /// The pins a configuration gives the device (input indices are
    /// numbered in list order, arrays flattened).
    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String>;

    /// Whether the device has a character backend (a UART).
    fn has_serial(&self) -> bool {
        false
    }

    /// Builds the device.
    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String>;
}

/// Reads a configuration into the type's own settings struct.
pub fn parse_config<T: DeserializeOwned>(config: &Value) -> Result<T, String> {
    T::deserialize(config).map_err(|e| e.to_string())
}

/// A device's registers as plain `&mut self` methods; [`Locked`] turns it
/// into an [`Mmio`] that several CPUs may share.
pub trait RegisterBlock: Send {
    /// Reads `size` bytes at `offset`; `None` is a bus error.
    fn read(&mut self, ctx: &MmioCtx, offset: u64, size: usize) -> Option<u64>;
    /// Writes `size` bytes at `offset`; `None` is a bus error.
    fn write(&mut self, ctx: &MmioCtx, offset: u64, size: usize, value: u64) -> Option<()>;
}

/// A device behind a mutex: the form in which it is mapped.
#[derive(Debug, Default)]
pub struct Locked<D>(Mutex<D>);

impl<D> Locked<D> {
    /// Wraps a device.
    pub fn new(device: D) -> Self {
        Locked(Mutex::new(device))
    }

    /// Runs `f` on the device.
    pub fn with<R>(&self, f: impl FnOnce(&mut D) -> R) -> R {
        // A panic while holding the lock leaves register state that is
        // still plain data: keep serving it.
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

impl<D: RegisterBlock> Mmio for Locked<D> {
    fn read(&self, ctx: &MmioCtx, offset: u64, size: usize) -> Option<u64> {
        self.with(|d| d.read(ctx, offset, size))
    }

    fn write(&self, ctx: &MmioCtx, offset: u64, size: usize, value: u64) -> Option<()> {
        self.with(|d| d.write(ctx, offset, size, value))
    }
}
