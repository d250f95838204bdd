//! Translated blocks: the IR of a run of guest instructions, keyed by where
//! it came from.

use crate::ir::{Label, Op, Ty};

/// What identifies a translation: the physical pc and the CPU mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockKey {
    /// Physical address of the first instruction.
    pub phys_pc: u64,
    /// The frontend's mode word.
    pub mode: u32,
}

/// A translated block.
#[derive(Debug)]
pub struct Block {
    /// What it was translated for.
    pub key: BlockKey,
    /// Virtual pc of its first instruction.
    pub pc: u64,
    /// Its ops, ending in an exit.
    pub ops: Box<[Op]>,
    /// The type of each temporary.
    pub temps: Box<[Ty]>,
    /// Op index of each label.
    pub labels: Box<[u32]>,
    /// Guest instructions in it.
    pub insns: u32,
    /// Physical code pages (by `CODE_PAGE_BITS` page number) it was read from.
    pub pages: Box<[u64]>,
}

impl Block {
    /// Builds a block, resolving label positions.
    pub fn new(key: BlockKey, pc: u64, ops: Vec<Op>, temps: Vec<Ty>, pages: Vec<u64>) -> Self {
        let mut labels = Vec::new();
        let mut insns = 0;
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::SetLabel(Label(l)) => {
                    let l = *l as usize;
                    if labels.len() <= l {
                        labels.resize(l + 1, u32::MAX);
                    }
                    labels[l] = i as u32;
                }
                Op::InsnStart { .. } => insns += 1,
                _ => {}
            }
        }
        Block {
            key,
            pc,
            ops: ops.into(),
            temps: temps.into(),
            labels: labels.into(),
            insns,
            pages: pages.into(),
        }
    }

    /// The block's ops as text, one a line.
    pub fn render(&self) -> String {
        self.ops.iter().map(|op| format!("{op}\n")).collect()
    }
}
