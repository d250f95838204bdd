//! The edge between the bus and a device: a register window that takes
//! reads and writes at offsets.

/// What a device learns about the access besides offset and size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MmioCtx {
    /// Virtual time of the access, in nanoseconds.
    pub now_ns: u64,
    /// Which CPU made it, as an index the machine assigns; `u32::MAX` for
    /// an access from outside any CPU (a debugger, a loader).
    pub initiator: u32,
}

/// A register window. Values are integers in the device's own sense; the
/// address space swaps bytes when the access and the region differ in
/// endianness.
pub trait Mmio: Send + Sync {
    /// Reads `size` bytes (1, 2, 4 or 8) at `offset`; `None` is a bus error.
    fn read(&self, ctx: &MmioCtx, offset: u64, size: usize) -> Option<u64>;
    /// Writes the low `size` bytes of `value` at `offset`; `None` is a bus
    /// error.
    fn write(&self, ctx: &MmioCtx, offset: u64, size: usize, value: u64) -> Option<()>;
}
