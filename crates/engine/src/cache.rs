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
        }
        for page in block.pages.iter() {
            self.by_page.entry(*page).or_default().push(block.key);
        }
        self.translated += 1;
        self.blocks.insert(block.key, block);
    }

    /// Drops every block read from code page `page`.
    pub fn invalidate_page(&mut self, page: u64) {
        if let Some(keys) = self.by_page.remove(&page) {
            for key in keys {
                if let Some(block) = self.blocks.remove(&key) {
                    block.invalidate();
                    self.invalidated += 1;
                }
            }
        }
    }

    /// Drops everything.
    pub fn flush(&mut self) {
        self.invalidated += self.blocks.len() as u64;
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

    /// Blocks translated and dropped since creation.
    pub fn stats(&self) -> (u64, u64) {
        (self.translated, self.invalidated)
    }
}
