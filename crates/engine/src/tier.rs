//! The tier policy: when a block stops being interpreted and gets the
//! backend's quick first-tier code, and when it goes to the optimising
//! compiler.
//!
//! First-tier code is made at a block's second run: run once, code
//! (start-up, initialisation) costs less interpreted than compiled. The
//! optimising compile is a bet that the block will run as often again as
//! it has so far: a block goes when its expected saving — runs so far ×
//! what a run of its optimised code saves, as the backend estimates it
//! from the block ([`Backend::saving_per_run_ns`]) — exceeds what
//! compiling it costs, as the backend measures it
//! ([`Backend::compile_cost_ns`]), [`PAYBACK_MARGIN`] times over. With
//! the bet made at that point, the time spent compiling a block is at
//! most a fraction of what its optimised code saves plus what the block
//! ran before, whatever the workload.

use std::sync::Arc;

use crate::native::NativeAbi;
use crate::{Backend, Block};

/// Runs after which a block gets first-tier code (when no lower fixed
/// threshold is set).
pub const FIRST_TIER_RUNS: u32 = 2;

/// Host nanoseconds optimised code saves per guest instruction over
/// first-tier code, for a backend that knows no better
/// ([`Backend::saving_per_run_ns`]).
pub const FIRST_TIER_GAP_NS: f64 = 0.3;

/// The same over the interpreter (backends without a first tier):
/// ~25 ns per instruction interpreted.
pub const INTERPRETER_GAP_NS: f64 = 20.0;

/// How many times over its expected saving must cover a compile's cost.
/// At 1 the bet is that a block runs as often again as it has; the Linux
/// boot showed that bet too bold for system code, whose hot spots (a
/// page clear, a decompression, a copy of the initramfs) end as suddenly
/// as they start: its ~60-80 optimising compiles (~120 ms) saved less
/// than they cost. At 3 the boot's default jit ran as fast as first-tier
/// code alone (best of 5 CPU s 1.80 -> 1.62, first tier 1.60) and the
/// bench workloads, hot for a billion instructions, were unchanged.
pub const PAYBACK_MARGIN: f64 = 3.0;

/// Fewest runs before an optimising compile, whatever the estimate: a
/// block that ran this little tells nothing of its future.
const MIN_HOT_RUNS: u32 = 64;

/// Most runs before an optimising compile: the code's run counter is 32
/// bits, and a block this hot pays for any compile.
const MAX_HOT_RUNS: u32 = 1 << 30;

/// A run count no block reaches: the block is never compiled.
const NEVER: u32 = u32::MAX;

/// A cluster's tier policy.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tiering {
    /// Runs after which every block goes to the optimising compiler, set
    /// from outside (tests, measurements); `None`: decided per block.
    fixed: Option<u32>,
}

impl Tiering {
    /// Every block goes to the optimising compiler after `runs` runs
    /// (first-tier code after at most as many).
    pub(crate) fn fix(&mut self, runs: u32) {
        self.fixed = Some(runs.max(1));
    }

    /// The run count at which `block` goes to the optimising compiler
    /// of `backend`, when it runs first-tier code (`first_tier`) or
    /// interpreted; [`NEVER`]: never.
    fn decide(&self, backend: &dyn Backend, block: &Block, first_tier: bool) -> u32 {
        if let Some(runs) = self.fixed {
            return runs;
        }
        let Some(cost_ns) = backend.compile_cost_ns(block.ops.len()) else {
            return NEVER;
        };
        let saving_per_run = backend.saving_per_run_ns(block, first_tier);
        let runs = (PAYBACK_MARGIN * cost_ns as f64 / saving_per_run.max(f64::MIN_POSITIVE)).ceil();
        runs.clamp(f64::from(MIN_HOT_RUNS), f64::from(MAX_HOT_RUNS)) as u32
    }

    /// The run loop enters `block` with `backend`: counts an interpreted
    /// run, has first-tier code made at the block's second run (its code
    /// counts its own runs from then on) and submits the block to the
    /// optimising compiler once hot. `abi` gives the ABI to compile for.
    pub(crate) fn enter(
        &self,
        backend: &mut dyn Backend,
        block: &Arc<Block>,
        abi: impl FnOnce() -> NativeAbi,
    ) {
        if block.submitted() {
            return;
        }
        let first_tier = block.baseline().is_some();
        let runs = if first_tier {
            block.runs()
        } else {
            block.count_runs()
        };
        let first = self
            .fixed
            .map_or(FIRST_TIER_RUNS, |f| f.min(FIRST_TIER_RUNS));
        if runs >= first && !block.baseline_tried() {
            let abi = abi();
            let hot = self.decide(backend, block, true);
            let tier_up = if hot == NEVER { 0 } else { hot };
            block.set_baseline(backend.baseline(block, &abi, tier_up));
            // Refused, it stays interpreted, where compiling pays sooner.
            let first_tier = block.baseline().is_some();
            let hot = block.hot_runs(|| {
                if first_tier {
                    hot
                } else {
                    self.decide(backend, block, false)
                }
            });
            if runs >= hot && block.mark_submitted() {
                backend.submit(block, &abi);
            }
            return;
        }
        if runs >= MIN_HOT_RUNS.min(self.fixed.unwrap_or(MIN_HOT_RUNS)) {
            let hot = block.hot_runs(|| self.decide(backend, block, first_tier));
            if runs >= hot && block.mark_submitted() {
                backend.submit(block, &abi());
            }
        }
    }
}
