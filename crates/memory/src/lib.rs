//! Guest memory: address spaces, the regions mapped on them (RAM, ROM,
//! aliases, MMIO handlers) and endian-aware accesses of 1, 2, 4 and 8 bytes.
//!
//! An access that reaches nothing is a [`BusError`] returned to the caller,
//! which turns it into a guest fault; nothing here panics on a guest
//! address. Each cluster of a machine sees memory through its own
//! [`AddressSpace`]; the same [`Ram`] may be mapped into several.

pub mod access;
pub mod addr;
pub mod mmio;
pub mod ram;
pub mod region;
pub mod space;

pub use access::{AccessKind, AccessSize, BusError, BusErrorKind, Endian};
pub use addr::GuestAddr;
pub use mmio::{Mmio, MmioCtx};
pub use ram::{Ram, RamError, MAX_RAM_BYTES};
pub use region::{Region, RegionKind};
pub use space::{AddressSpace, MapError, RamPage};
