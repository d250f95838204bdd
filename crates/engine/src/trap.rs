//! Traps: what stops a block in the middle of a guest instruction.

use std::fmt;

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

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Memory(m) => write!(f, "{:?} fault at {:#x} ({:?})", m.access, m.vaddr, m.kind),
            Trap::Guest { cause, value } => write!(f, "exception cause {cause} (value {value:#x})"),
        }
    }
}

/// Traps in a row, with no instruction retired between them, after which
/// a CPU counts as caught in a trap storm: a real handler retires at least
/// one instruction, so only a broken one (unmapped, illegal at its first
/// instruction, a vector of zero) gets near it.
pub const TRAP_STORM_TRAPS: u64 = 100_000;

/// A CPU caught in a trap storm: where, and the trap it keeps taking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrapStorm {
    /// The CPU, by its index in its cluster.
    pub hart: u32,
    /// Where it was when it took the last trap.
    pub pc: u64,
    /// The last trap.
    pub trap: Trap,
}
