//! Guest addresses as a type with checked arithmetic: an overflow is an
//! error for the caller, never a silent wrap.

use std::fmt;

/// An address in a guest address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GuestAddr(pub u64);

impl GuestAddr {
    /// `self + offset`, or `None` on overflow.
    pub fn checked_add(self, offset: u64) -> Option<GuestAddr> {
        self.0.checked_add(offset).map(GuestAddr)
    }

    /// The end of a range `[self, self + size)` as an inclusive last
    /// address, or `None` when the range is empty or overflows.
    pub fn last_of(self, size: u64) -> Option<GuestAddr> {
        size.checked_sub(1)
            .and_then(|s| self.0.checked_add(s))
            .map(GuestAddr)
    }

    /// The raw value.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for GuestAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl fmt::LowerHex for GuestAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_overflow_is_none() {
        assert_eq!(GuestAddr(u64::MAX).checked_add(1), None);
        assert_eq!(GuestAddr(0x1000).last_of(0x1000), Some(GuestAddr(0x1fff)));
        assert_eq!(GuestAddr(1).last_of(0), None);
        assert_eq!(GuestAddr(u64::MAX).last_of(2), None);
    }
}
