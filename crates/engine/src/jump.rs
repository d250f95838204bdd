//! A CPU's jump cache: the block last run at each virtual pc, so that a
//! CPU running compiled code goes from one block to the next without the
//! fetch translation and the block-cache lookup. An entry holds only while
//! the CPU's mode and its soft-MMU's generation (bumped by every flush:
//! `satp` writes, `sfence.vma`, privilege changes) are those it was made
//! under, and while the block is still in the cache.

use std::sync::Arc;

use crate::Block;

const ENTRIES: usize = 1024;

#[derive(Debug, Clone)]
struct Entry {
    pc: u64,
    mode: u32,
    generation: u64,
    block: Arc<Block>,
}

/// Blocks by virtual pc, for one CPU.
#[derive(Debug)]
pub(crate) struct JumpCache {
    entries: Vec<Option<Entry>>,
}

impl JumpCache {
    pub(crate) fn new() -> Self {
        JumpCache {
            entries: vec![None; ENTRIES],
        }
    }

    fn index(pc: u64) -> usize {
        ((pc >> 1) ^ (pc >> 11)) as usize & (ENTRIES - 1)
    }

    /// The block for `pc`, if one was recorded under `mode` and
    /// `generation` and is still valid.
    #[inline]
    pub(crate) fn get(&self, pc: u64, mode: u32, generation: u64) -> Option<&Arc<Block>> {
        match &self.entries[Self::index(pc)] {
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

    pub(crate) fn insert(&mut self, pc: u64, mode: u32, generation: u64, block: &Arc<Block>) {
        let slot = &mut self.entries[Self::index(pc)];
        if !matches!(slot, Some(e) if Arc::ptr_eq(&e.block, block) && e.pc == pc && e.mode == mode && e.generation == generation)
        {
            *slot = Some(Entry {
                pc,
                mode,
                generation,
                block: block.clone(),
            });
        }
    }
}
