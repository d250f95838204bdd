//! The architecture parameters of a cluster, read at run time: nothing
//! about a target is a compile-time constant of the engine.

use chimera_memory::Endian;

/// How strongly the guest's memory accesses are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryOrder {
    /// Weak ordering with explicit fences (RISC-V RVWMO, ARM).
    Weak,
    /// Total store order (x86, RISC-V Ztso).
    Tso,
    /// Sequentially consistent.
    Sequential,
}

/// What the engine needs to know about a cluster's architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterParams {
    /// General-purpose register width: 32 or 64.
    pub word_bits: u32,
    /// Data byte order.
    pub endian: Endian,
    /// log2 of the MMU page size (12 for 4 KiB).
    pub page_bits: u32,
    /// Physical address width in bits.
    pub paddr_bits: u32,
    /// Virtual address width in bits.
    pub vaddr_bits: u32,
    /// Memory-ordering model.
    pub memory_order: MemoryOrder,
    /// Instructions retired per second of virtual time.
    pub freq_hz: u64,
}

impl ClusterParams {
    /// Virtual nanoseconds taken by `insns` instructions.
    pub fn insns_to_ns(&self, insns: u64) -> u64 {
        (u128::from(insns) * 1_000_000_000 / u128::from(self.freq_hz.max(1))) as u64
    }

    /// Instructions that fit in `ns` virtual nanoseconds, rounded up.
    pub fn ns_to_insns(&self, ns: u64) -> u64 {
        (u128::from(ns) * u128::from(self.freq_hz)).div_ceil(1_000_000_000) as u64
    }
}
