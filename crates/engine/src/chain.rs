//! What compiled code needs to go from block to block without the engine:
//! each CPU's chain epoch, and its native jump table for indirect jumps.
//!
//! A chain link ([`ChainLink`]) or jump-table entry is followed only while
//! the CPU's epoch equals the one it was made in. An epoch is a number of
//! the cluster's own, handed out afresh whenever one of its CPUs changes
//! address translation (MMU generation), the mode trampolines change
//! ([`Frontend::chain_mode`]) or the cluster drops a block: so one compare
//! tells that the entry was made by this CPU, for code still in the cache,
//! under the translation and mode it runs in now.
//!
//! [`Frontend::chain_mode`]: crate::Frontend::chain_mode

use std::sync::atomic::Ordering;

use crate::ChainLink;

/// What a CPU's current epoch was handed out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EpochKey {
    generation: u64,
    drops: u64,
    mode: u32,
}

/// The chain epoch of one CPU.
#[derive(Debug)]
pub(crate) struct ChainEpoch {
    key: Option<EpochKey>,
    epoch: u64,
}

impl ChainEpoch {
    pub(crate) fn new() -> Self {
        ChainEpoch {
            key: None,
            epoch: 0,
        }
    }

    /// The CPU's epoch for MMU `generation`, cache `drops` and `mode`;
    /// a fresh one from the cluster's `counter` when any of them changed.
    #[inline]
    pub(crate) fn get(&mut self, counter: &mut u64, generation: u64, drops: u64, mode: u32) -> u64 {
        let key = EpochKey {
            generation,
            drops,
            mode,
        };
        if self.key != Some(key) {
            // Epoch 0 is never handed out: it is what an unset link holds.
            *counter += 1;
            self.key = Some(key);
            self.epoch = *counter;
        }
        self.epoch
    }
}

/// A CPU's chain epoch and jump table: what it enters compiled code with.
#[derive(Debug)]
pub(crate) struct CpuChains {
    epoch: ChainEpoch,
    /// Compiled entries by virtual pc, for compiled code's indirect jumps.
    pub(crate) jumps: JumpTable,
}

impl CpuChains {
    pub(crate) fn new() -> Self {
        CpuChains {
            epoch: ChainEpoch::new(),
            jumps: JumpTable::new(),
        }
    }

    /// The epoch in which the CPU enters `entry`, the code of the block
    /// at `pc` translated for `mode`, under MMU `generation`, cache
    /// `drops` and `chain_mode` ([`ChainEpoch::get`]); the jump table
    /// learns the block when its whole mode is chain mode.
    #[inline]
    pub(crate) fn enter(
        &mut self,
        counter: &mut u64,
        (generation, drops, chain_mode): (u64, u64, u32),
        mode: u32,
        pc: u64,
        entry: usize,
    ) -> u64 {
        let epoch = self.epoch.get(counter, generation, drops, chain_mode);
        if chain_mode == mode {
            self.jumps.set(pc, entry, epoch);
        }
        epoch
    }
}

/// Entries of a [`JumpTable`] (a power of two).
pub const JUMP_TABLE_ENTRIES: u32 = 1024;

/// The slot of `pc` in a jump table; compiled code computes the same.
#[inline]
pub fn jump_table_index(pc: u64) -> usize {
    (((pc >> 1) ^ (pc >> 11)) & u64::from(JUMP_TABLE_ENTRIES - 1)) as usize
}

impl Default for JumpTable {
    fn default() -> Self {
        Self::new()
    }
}

/// One CPU's compiled entries by virtual pc, direct-mapped: where an
/// indirect jump whose own link caches another target goes on in compiled
/// code. The engine records each compiled block it starts.
#[derive(Debug)]
pub struct JumpTable {
    links: Box<[ChainLink]>,
}

impl JumpTable {
    /// An empty table.
    pub fn new() -> Self {
        JumpTable {
            links: (0..JUMP_TABLE_ENTRIES)
                .map(|_| ChainLink::default())
                .collect(),
        }
    }

    /// Records `entry` as the compiled code for `pc` in `epoch`.
    #[inline]
    pub fn set(&self, pc: u64, entry: usize, epoch: u64) {
        let link = &self.links[jump_table_index(pc)];
        if link.pc.load(Ordering::Relaxed) != pc
            || link.epoch.load(Ordering::Relaxed) != epoch
            || link.entry.load(Ordering::Relaxed) != entry
        {
            link.set(entry, pc, epoch);
        }
    }

    /// The first entry's address, for compiled code.
    pub fn addr(&self) -> usize {
        self.links.as_ptr() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_changes_with_any_part_of_its_key_and_is_unique_per_cpu() {
        let mut counter = 0;
        let (mut a, mut b) = (ChainEpoch::new(), ChainEpoch::new());
        let e1 = a.get(&mut counter, 1, 0, 3);
        assert_eq!(a.get(&mut counter, 1, 0, 3), e1);
        let other_cpu = b.get(&mut counter, 1, 0, 3);
        assert_ne!(other_cpu, e1);
        let e2 = a.get(&mut counter, 1, 0, 4);
        let e3 = a.get(&mut counter, 2, 0, 4);
        let e4 = a.get(&mut counter, 2, 1, 4);
        let all = [e1, other_cpu, e2, e3, e4];
        for (i, x) in all.iter().enumerate() {
            assert_ne!(*x, 0);
            assert!(all[i + 1..].iter().all(|y| y != x));
        }
        // Back to an old key: still a fresh epoch (links of the old one
        // may point at code dropped since).
        assert!(a.get(&mut counter, 1, 0, 3) > e4);
    }

    #[test]
    fn the_table_holds_the_last_entry_per_slot() {
        let t = JumpTable::new();
        t.set(0x8000_0000, 0x1000, 7);
        let link = &t.links[jump_table_index(0x8000_0000)];
        assert_eq!(link.entry.load(Ordering::Relaxed), 0x1000);
        assert_eq!(link.pc.load(Ordering::Relaxed), 0x8000_0000);
        assert_eq!(link.epoch.load(Ordering::Relaxed), 7);
    }
}
