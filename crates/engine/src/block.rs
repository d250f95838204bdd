//! Translated blocks: the IR of a run of guest instructions, keyed by where
//! it came from.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::ir::{Label, Op, Ty};
use crate::native::NativeCode;

/// What identifies a translation: the physical pc and the CPU mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockKey {
    /// Physical address of the first instruction.
    pub phys_pc: u64,
    /// The frontend's mode word.
    pub mode: u32,
}

/// Where a block's `Goto` or `Jump` exit goes in compiled code: the entry
/// of the successor's compiled function (and, for a `Jump`, the target it
/// was made for), valid while the CPU's chain epoch
/// ([`NativeCtx`](crate::native)'s `epoch`, see [`crate::chain`]) equals
/// the one stored with it.
/// Compiled code reads it; the engine writes it when it follows the exit.
#[derive(Debug, Default)]
#[repr(C)]
pub struct ChainLink {
    /// The successor's compiled entry (0: none).
    pub entry: AtomicUsize,
    /// The chain epoch it was made in (0: never set).
    pub epoch: AtomicU64,
    /// The successor's pc (what a `Jump` exit compares its target with).
    pub pc: AtomicU64,
    /// The successor's instruction count: compiled code goes on to it
    /// only when all of it fits in the budget, so that every accelerator
    /// stops at the same instruction.
    pub insns: AtomicU32,
}

/// Offsets of [`ChainLink`]'s fields, for code generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLayout {
    /// `usize`: the successor's entry.
    pub entry: u32,
    /// `u64`: the epoch.
    pub epoch: u32,
    /// `u64`: the successor's pc.
    pub pc: u32,
    /// `u32`: the successor's instruction count.
    pub insns: u32,
}

impl ChainLink {
    /// The layout compiled code reads.
    pub const LAYOUT: LinkLayout = LinkLayout {
        entry: std::mem::offset_of!(ChainLink, entry) as u32,
        epoch: std::mem::offset_of!(ChainLink, epoch) as u32,
        pc: std::mem::offset_of!(ChainLink, pc) as u32,
        insns: std::mem::offset_of!(ChainLink, insns) as u32,
    };

    /// Points the exit at `entry`, the code of the block at `pc` of
    /// `insns` instructions, for chain epoch `epoch`.
    pub fn set(&self, entry: usize, pc: u64, insns: u32, epoch: u64) {
        self.entry.store(0, Ordering::Relaxed);
        self.epoch.store(epoch, Ordering::Relaxed);
        self.pc.store(pc, Ordering::Relaxed);
        self.insns.store(insns, Ordering::Relaxed);
        self.entry.store(entry, Ordering::Release);
    }
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
    /// Physical byte ranges (`start..end`) its code was read from.
    pub code: Box<[(u64, u64)]>,
    /// Times it ran, interpreted or on first-tier code, while a backend
    /// was waiting for it to become hot.
    runs: AtomicU32,
    /// Its compiled code, once a backend was asked (`None`: it could not
    /// compile it).
    native: OnceLock<Option<NativeCode>>,
    /// The entry of its compiled code once there, else 0: where its
    /// first-tier code goes on at once when entered through a link made
    /// before the compiled code was ready.
    native_entry: AtomicUsize,
    /// Its first-tier code (quick to make, slower to run), used until
    /// `native` is there, once a backend was asked for it.
    baseline: OnceLock<Option<NativeCode>>,
    /// Dropped from its cache (its code was written, or the cache flushed).
    invalid: AtomicBool,
    /// Handed to the optimising compiler (which may not have answered yet).
    submitted: AtomicBool,
    /// The run count at which it goes to the optimising compiler, once the
    /// tier policy decided (0: not yet).
    hot_runs: AtomicU32,
    /// One per `Goto` or `Jump` exit, in op order, for compiled code
    /// (per exit, not per chaining slot: a frontend may give two exits
    /// to different places the same slot).
    links: Box<[ChainLink]>,
}

impl Block {
    /// Builds a block, resolving label positions.
    pub fn new(
        key: BlockKey,
        pc: u64,
        ops: Vec<Op>,
        temps: Vec<Ty>,
        code: Vec<(u64, u64)>,
    ) -> Self {
        let mut labels = Vec::new();
        let mut insns = 0;
        let mut exits = 0;
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
                Op::Exit(crate::ir::Exit::Goto { .. } | crate::ir::Exit::Jump { .. }) => exits += 1,
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
            code: code.into(),
            runs: AtomicU32::new(0),
            native: OnceLock::new(),
            native_entry: AtomicUsize::new(0),
            baseline: OnceLock::new(),
            invalid: AtomicBool::new(false),
            submitted: AtomicBool::new(false),
            hot_runs: AtomicU32::new(0),
            links: (0..exits).map(|_| ChainLink::default()).collect(),
        }
    }

    /// The chain link of the `k`th `Goto` or `Jump` exit, in op order
    /// (its address is stable for the block's life, so compiled code may
    /// embed it). A `Jump`'s link caches its last target.
    pub fn exit_link(&self, k: usize) -> Option<&ChainLink> {
        self.links.get(k)
    }

    /// The code pages (by `CODE_PAGE_BITS` page number) it was read from.
    pub fn pages(&self) -> impl Iterator<Item = u64> + '_ {
        let bits = chimera_memory::ram::CODE_PAGE_BITS;
        let mut pages: Vec<u64> = self
            .code
            .iter()
            .filter(|(start, end)| end > start)
            .flat_map(|&(start, end)| (start >> bits)..=((end - 1) >> bits))
            .collect();
        pages.dedup();
        pages.into_iter()
    }

    /// Whether it was read from code page `page` (by `CODE_PAGE_BITS`
    /// page number).
    pub fn reads_page(&self, page: u64) -> bool {
        let bits = chimera_memory::ram::CODE_PAGE_BITS;
        self.code
            .iter()
            .any(|&(start, end)| end > start && start >> bits <= page && page <= (end - 1) >> bits)
    }

    /// Whether its code overlaps the physical bytes `start..end`.
    pub fn reads_code_in(&self, start: u64, end: u64) -> bool {
        self.code.iter().any(|&(s, e)| s < end && start < e)
    }

    /// Whether it is still in its cluster's cache.
    #[inline]
    pub fn is_valid(&self) -> bool {
        !self.invalid.load(Ordering::Relaxed)
    }

    /// Marks it dropped from its cache.
    pub(crate) fn invalidate(&self) {
        self.invalid.store(true, Ordering::Relaxed);
    }

    /// Counts a run: the runs counted so far, this one included.
    pub fn count_runs(&self) -> u32 {
        self.runs.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
    }

    /// Its runs counted so far (the interpreter's; first-tier code counts
    /// its own and sets this once they make the block hot).
    pub fn runs(&self) -> u32 {
        self.runs.load(Ordering::Relaxed)
    }

    /// The run count, which first-tier code sets when it finds the block
    /// hot (its address is stable for the block's life).
    pub fn run_counter(&self) -> &AtomicU32 {
        &self.runs
    }

    /// The word holding its compiled code's entry once there (0 before),
    /// which first-tier code reads on entry (its address is stable for the
    /// block's life).
    pub fn native_entry(&self) -> &AtomicUsize {
        &self.native_entry
    }

    /// Its compiled code, if compiled.
    #[inline]
    pub fn native(&self) -> Option<&NativeCode> {
        self.native.get().and_then(Option::as_ref)
    }

    /// Whether a backend was asked to compile it (successfully or not).
    #[inline]
    pub fn compile_tried(&self) -> bool {
        self.native.get().is_some()
    }

    /// Notes that it goes to the optimising compiler: whether it had not
    /// been before (so that it goes once).
    pub fn mark_submitted(&self) -> bool {
        !self.submitted.swap(true, Ordering::Relaxed)
    }

    /// The run count at which the tier policy sends it to the optimising
    /// compiler, computed by `decide` the first time it is asked.
    pub fn hot_runs(&self, decide: impl FnOnce() -> u32) -> u32 {
        match self.hot_runs.load(Ordering::Relaxed) {
            0 => {
                let runs = decide().max(1);
                self.hot_runs.store(runs, Ordering::Relaxed);
                runs
            }
            runs => runs,
        }
    }

    /// Whether it went to the optimising compiler (perhaps not answered
    /// yet).
    #[inline]
    pub fn submitted(&self) -> bool {
        self.submitted.load(Ordering::Relaxed)
    }

    /// Records the outcome of compiling it; the first outcome stays.
    pub fn set_native(&self, code: Option<NativeCode>) {
        let entry = code.as_ref().map_or(0, NativeCode::entry);
        if self.native.set(code).is_ok() && entry != 0 {
            self.native_entry.store(entry, Ordering::Release);
        }
    }

    /// Its first-tier code, if made (see [`Backend::baseline`](crate::Backend::baseline)).
    #[inline]
    pub fn baseline(&self) -> Option<&NativeCode> {
        self.baseline.get().and_then(Option::as_ref)
    }

    /// Whether a backend was asked for first-tier code.
    #[inline]
    pub fn baseline_tried(&self) -> bool {
        self.baseline.get().is_some()
    }

    /// Records the outcome of the first-tier compile; the first stays.
    pub fn set_baseline(&self, code: Option<NativeCode>) {
        let _ = self.baseline.set(code);
    }

    /// The block's ops as text, one a line.
    pub fn render(&self) -> String {
        self.ops.iter().map(|op| format!("{op}\n")).collect()
    }
}
