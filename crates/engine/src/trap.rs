//! Traps: what stops a block in the middle of a guest instruction.

use chimera_memory::{AccessKind, BusErrorKind};

/// Why a memory access of the guest failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The bus found nothing, or refused the access.
    Bus(BusErrorKind),
    /// The address is not aligned as the instruction requires.
    Misaligned,
    /// The MMU found no valid mapping.
    Page,
    /// The MMU or a protection unit forbids this access.
    Protection,
}

/// A failed guest memory access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemFault {
    /// The address the guest used.
    pub vaddr: u64,
    /// Load, store or fetch.
    pub access: AccessKind,
    /// Why it failed.
    pub kind: FaultKind,
}

/// Something that stops the current instruction; the frontend turns it into
/// the guest's exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    /// A memory access failed.
    Memory(MemFault),
    /// A frontend-defined exception (`cause`, `value`), raised by a helper
    /// or the decoder: illegal instruction, environment call, breakpoint…
    Guest {
        /// The frontend's cause code.
        cause: u64,
        /// An associated value (a faulting instruction, an address).
        value: u64,
    },
}
