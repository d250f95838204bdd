//! A CPU's dispatch cache: the block it last entered at each virtual pc.
//! The run loop reads it to skip the fetch translation and the
//! block-cache lookup; compiled code reads its other half, the blocks'
//! code entries, to go on through an indirect jump without the engine.
//!
//! Both halves are direct-mapped by the same index. An entry for the run
//! loop holds while the CPU's mode and its soft-MMU's generation (bumped by
//! every flush) are those it was made under and its block is still in the
//! cache; an entry for compiled code holds while the CPU's chain epoch is
//! the one stored with it (see [`crate::chain`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::{Block, ChainLink};

/// Entries of a dispatch cache (a power of two).
pub const DISPATCH_ENTRIES: u32 = 1024;

/// The slot of `pc` in a dispatch cache; compiled code computes the same.
#[inline]
pub fn dispatch_index(pc: u64) -> usize {
    (((pc >> 1) ^ (pc >> 11)) & u64::from(DISPATCH_ENTRIES - 1)) as usize
}

/// A block as the run loop finds it.
#[derive(Debug, Clone)]
struct Entry {
    pc: u64,
    mode: u32,
    generation: u64,
    block: Arc<Block>,
}

/// One CPU's blocks and code entries by virtual pc.
#[derive(Debug)]
pub(crate) struct DispatchCache {
    blocks: Box<[Option<Entry>]>,
    /// What compiled code reads: for each slot the entry, its pc and the
    /// epoch it was recorded in.
    code: Box<[ChainLink]>,
}

impl DispatchCache {
    pub(crate) fn new() -> Self {
        DispatchCache {
            blocks: vec![None; DISPATCH_ENTRIES as usize].into(),
            code: (0..DISPATCH_ENTRIES)
                .map(|_| ChainLink::default())
                .collect(),
        }
    }

    /// The block entered at `pc` under `mode` and MMU `generation`, if
    /// still valid.
    #[inline]
    pub(crate) fn block(&self, pc: u64, mode: u32, generation: u64) -> Option<&Arc<Block>> {
        match &self.blocks[dispatch_index(pc)] {
            Some(e)
                if e.pc == pc
                    && e.mode == mode
                    && e.generation == generation
                    && e.block.is_valid() =>
            {
                Some(&e.block)
            }
            _ => None,
        }
    }

    /// Records `block` as entered at `pc` under `mode` and `generation`.
    #[inline]
    pub(crate) fn remember(&mut self, pc: u64, mode: u32, generation: u64, block: &Arc<Block>) {
        let slot = &mut self.blocks[dispatch_index(pc)];
        let same = matches!(slot, Some(e) if Arc::ptr_eq(&e.block, block)
            && e.pc == pc && e.mode == mode && e.generation == generation);
        if !same {
            *slot = Some(Entry {
                pc,
                mode,
                generation,
                block: block.clone(),
            });
        }
    }

    /// Records `entry`, the code of a block of `insns` instructions, as
    /// the code compiled code may go on to at `pc` in chain epoch `epoch`.
    #[inline]
    pub(crate) fn remember_code(&self, pc: u64, entry: usize, insns: u32, epoch: u64) {
        let link = &self.code[dispatch_index(pc)];
        if link.pc.load(Ordering::Relaxed) != pc
            || link.epoch.load(Ordering::Relaxed) != epoch
            || link.entry.load(Ordering::Relaxed) != entry
        {
            link.set(entry, pc, insns, epoch);
        }
    }

    /// The address of the code half's first entry, for compiled code.
    pub(crate) fn code_addr(&self) -> usize {
        self.code.as_ptr() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlockKey;

    fn block(pc: u64) -> Arc<Block> {
        let key = BlockKey {
            phys_pc: pc,
            mode: 0,
        };
        Arc::new(Block::new(key, pc, Vec::new(), Vec::new(), Vec::new()))
    }

    #[test]
    fn a_block_is_found_under_its_pc_mode_and_generation_only() {
        let mut d = DispatchCache::new();
        let b = block(0x8000_0000);
        d.remember(0x8000_0000, 3, 7, &b);
        assert!(d.block(0x8000_0000, 3, 7).is_some());
        assert!(d.block(0x8000_0000, 1, 7).is_none());
        assert!(d.block(0x8000_0000, 3, 8).is_none());
        assert!(d.block(0x8000_1000, 3, 7).is_none());
        b.invalidate();
        assert!(d.block(0x8000_0000, 3, 7).is_none());
    }

    #[test]
    fn the_code_half_holds_the_last_entry_per_slot() {
        let d = DispatchCache::new();
        d.remember_code(0x8000_0000, 0x1000, 4, 7);
        let link = &d.code[dispatch_index(0x8000_0000)];
        assert_eq!(link.entry.load(Ordering::Relaxed), 0x1000);
        assert_eq!(link.pc.load(Ordering::Relaxed), 0x8000_0000);
        assert_eq!(link.epoch.load(Ordering::Relaxed), 7);
    }
}
