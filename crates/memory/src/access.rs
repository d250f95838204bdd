//! What an access is (size, direction, byte order) and how it fails.

use std::fmt;

/// Byte order of an access or a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte at the lowest address.
    Little,
    /// Most significant byte at the lowest address.
    Big,
}

impl Endian {
    /// Reads a value of `bytes.len()` bytes in this order.
    pub fn load(self, bytes: &[u8]) -> u64 {
        let mut value = 0u64;
        match self {
            Endian::Little => {
                for (i, b) in bytes.iter().enumerate() {
                    value |= u64::from(*b) << (8 * i);
                }
            }
            Endian::Big => {
                for b in bytes {
                    value = (value << 8) | u64::from(*b);
                }
            }
        }
        value
    }

    /// Writes the low `bytes.len()` bytes of `value` in this order.
    pub fn store(self, value: u64, bytes: &mut [u8]) {
        let n = bytes.len();
        for (i, b) in bytes.iter_mut().enumerate() {
            let shift = match self {
                Endian::Little => 8 * i,
                Endian::Big => 8 * (n - 1 - i),
            };
            *b = (value >> shift) as u8;
        }
    }
}

/// The width of an access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessSize {
    /// One byte.
    B1,
    /// Two bytes.
    B2,
    /// Four bytes.
    B4,
    /// Eight bytes.
    B8,
}

impl AccessSize {
    /// The size in bytes.
    pub fn bytes(self) -> usize {
        match self {
            AccessSize::B1 => 1,
            AccessSize::B2 => 2,
            AccessSize::B4 => 4,
            AccessSize::B8 => 8,
        }
    }

    /// The size in bits.
    pub fn bits(self) -> u32 {
        self.bytes() as u32 * 8
    }

    /// The size for a byte count of 1, 2, 4 or 8.
    pub fn from_bytes(n: usize) -> Option<Self> {
        match n {
            1 => Some(AccessSize::B1),
            2 => Some(AccessSize::B2),
            4 => Some(AccessSize::B4),
            8 => Some(AccessSize::B8),
            _ => None,
        }
    }

    /// A mask of the low `bits()` bits.
    pub fn mask(self) -> u64 {
        match self {
            AccessSize::B8 => u64::MAX,
            s => (1u64 << s.bits()) - 1,
        }
    }
}

/// Which way an access goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// A data load.
    Read,
    /// A data store.
    Write,
    /// An instruction fetch.
    Fetch,
}

impl fmt::Display for AccessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
            AccessKind::Fetch => "fetch",
        })
    }
}

/// Why an access failed on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusErrorKind {
    /// Nothing is mapped there.
    Unmapped,
    /// A write to ROM.
    ReadOnly,
    /// The access runs past the end of the region it starts in.
    Straddle,
    /// The device refused the access (size, offset or register).
    Device,
    /// An alias chain that is too deep (a loop in the description).
    AliasDepth,
}

/// An access that reached no memory or was refused by what it reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bus error: {kind:?} {access} of {size} bytes at {addr:#x}")]
pub struct BusError {
    /// The address in the space it was made on.
    pub addr: u64,
    /// Its width in bytes.
    pub size: usize,
    /// Its direction.
    pub access: AccessKind,
    /// Why it failed.
    pub kind: BusErrorKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endian_load_and_store_are_inverse() {
        let mut b = [0u8; 4];
        Endian::Little.store(0x1122_3344, &mut b);
        assert_eq!(b, [0x44, 0x33, 0x22, 0x11]);
        assert_eq!(Endian::Little.load(&b), 0x1122_3344);
        Endian::Big.store(0x1122_3344, &mut b);
        assert_eq!(b, [0x11, 0x22, 0x33, 0x44]);
        assert_eq!(Endian::Big.load(&b), 0x1122_3344);
    }
}
