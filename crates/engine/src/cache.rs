//! The block cache of a cluster: translations by (physical pc, mode), with
//! an index by code page so a write to code drops exactly the blocks it
//! touched.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use crate::{Block, BlockKey};

/// Translated blocks of one cluster.
#[derive(Debug, Default)]
pub struct BlockCache {
    blocks: HashMap<BlockKey, Arc<Block>, FxBuildHasher>,
    by_page: HashMap<u64, Vec<BlockKey>, FxBuildHasher>,
    translated: u64,
    invalidated: u64,
    /// Blocks dropped that had code of either tier ([`BlockCache::drops`]).
    code_drops: u64,
}

/// Whether `block` has code a chain link can lead to, or that can own one.
fn has_code(block: &Block) -> bool {
    block.native().is_some() || block.baseline().is_some()
}

impl BlockCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The block for `key`, if translated.
    pub fn get(&self, key: &BlockKey) -> Option<&Arc<Block>> {
        self.blocks.get(key)
    }

    /// Adds a freshly translated block.
    pub fn insert(&mut self, block: Arc<Block>) {
        if let Some(old) = self.blocks.get(&block.key) {
            old.invalidate();
            self.invalidated += 1;
            self.code_drops += u64::from(has_code(old));
        }
        for page in block.pages() {
            let keys = self.by_page.entry(page).or_default();
            if !keys.contains(&block.key) {
                keys.push(block.key);
            }
        }
        self.translated += 1;
        self.blocks.insert(block.key, block);
    }

    /// Drops every block whose code overlaps the physical bytes
    /// `start..start + len`.
    pub fn invalidate_range(&mut self, start: u64, len: u64) {
        let end = start.saturating_add(len.max(1));
        let bits = chimera_memory::ram::CODE_PAGE_BITS;
        let BlockCache {
            blocks,
            by_page,
            invalidated,
            code_drops,
            ..
        } = self;
        for page in (start >> bits)..=((end - 1) >> bits) {
            let Some(keys) = by_page.get_mut(&page) else {
                continue;
            };
            keys.retain(|key| match blocks.get(key) {
                Some(block) if block.reads_code_in(start, end) => {
                    block.invalidate();
                    *code_drops += u64::from(has_code(block));
                    blocks.remove(key);
                    *invalidated += 1;
                    false
                }
                // A block of this page (or a key left by a block that
                // spanned two pages and was dropped through the other).
                Some(block) => block.reads_page(page),
                None => false,
            });
            if keys.is_empty() {
                by_page.remove(&page);
            }
        }
    }

    /// Whether a block read from code page `page` is held.
    pub fn holds_page(&self, page: u64) -> bool {
        self.by_page.get(&page).is_some_and(|keys| {
            keys.iter()
                .any(|key| self.blocks.get(key).is_some_and(|b| b.reads_page(page)))
        })
    }

    /// Drops everything.
    pub fn flush(&mut self) {
        self.invalidated += self.blocks.len() as u64;
        self.code_drops += self.blocks.len() as u64;
        for block in self.blocks.values() {
            block.invalidate();
        }
        self.blocks.clear();
        self.by_page.clear();
    }

    /// Blocks held now.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Blocks with code dropped since creation: compiled chain links
    /// made before the last such drop may lead to, or belong to, a dropped
    /// block. A block dropped before it had code (it ran once,
    /// interpreted: most of a kernel's init text when its pages are freed)
    /// is no link's target or owner, as links hold and live in code, so
    /// its drop leaves the links be.
    #[inline]
    pub fn drops(&self) -> u64 {
        self.code_drops
    }

    /// Blocks translated and dropped since creation.
    pub fn stats(&self) -> (u64, u64) {
        (self.translated, self.invalidated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Exit, Op};

    fn block(phys: u64, code: Vec<(u64, u64)>) -> Arc<Block> {
        let key = BlockKey {
            phys_pc: phys,
            mode: 0,
        };
        let ops = vec![
            Op::InsnStart {
                pc: phys,
                entry: false,
            },
            Op::Exit(Exit::Goto { pc: 0, slot: 0 }),
        ];
        Arc::new(Block::new(key, phys, ops, Vec::new(), code))
    }

    #[test]
    fn a_write_drops_only_the_blocks_whose_bytes_it_touches() {
        let mut cache = BlockCache::new();
        let a = block(0x1000, vec![(0x1000, 0x1010)]);
        let b = block(0x1010, vec![(0x1010, 0x1020)]);
        // Spans two pages.
        let c = block(0x1ffc, vec![(0x1ffc, 0x2004)]);
        for blk in [&a, &b, &c] {
            cache.insert(blk.clone());
        }
        cache.invalidate_range(0x1800, 4);
        assert_eq!(cache.len(), 3);
        cache.invalidate_range(0x100e, 4);
        assert!(!a.is_valid() && !b.is_valid() && c.is_valid());
        cache.invalidate_range(0x2000, 1);
        assert!(!c.is_valid());
        assert!(cache.is_empty());
        assert!(!cache.holds_page(1) && !cache.holds_page(2));
    }

    #[test]
    fn only_drops_of_blocks_with_code_count_for_chain_links() {
        let mut cache = BlockCache::new();
        cache.insert(block(0x1000, vec![(0x1000, 0x1010)]));
        cache.invalidate_range(0x1000, 4);
        assert_eq!(cache.stats(), (1, 1));
        // It never had code: no link can lead to it or live in it.
        assert_eq!(cache.drops(), 0);
        cache.insert(block(0x2000, vec![(0x2000, 0x2010)]));
        cache.flush();
        assert_eq!(cache.drops(), 1);
    }
}
