//! The scheduler: advances a machine's clusters on one virtual clock in
//! quanta, fires clock events between quanta, and lets time jump ahead
//! when every CPU waits for an interrupt.
//!
//! The default mode runs the clusters one after another on the calling
//! thread, in description order, so a run is reproducible to the
//! instruction.

use std::sync::Arc;

use crate::clock::NEVER;
use crate::{Clock, ClusterRun, ExitRequest, RunControl};

/// Bounds on one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunLimits {
    /// Stop after this many instructions, summed over all CPUs.
    pub max_insns: Option<u64>,
    /// Stop when virtual time reaches this many nanoseconds.
    pub max_ns: Option<u64>,
}

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// A guest, device or user asked it to end.
    Exit(ExitRequest),
    /// The instruction limit was reached.
    InsnLimit,
    /// The virtual-time limit was reached.
    TimeLimit,
    /// Every CPU waits for an interrupt and no timer is armed: nothing
    /// can ever happen again.
    Idle,
}

/// Runs the clusters of one machine.
pub struct Scheduler {
    clusters: Vec<Box<dyn ClusterRun>>,
    clock: Arc<Clock>,
    control: Arc<RunControl>,
    now_ns: u64,
    quantum_ns: u64,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("clusters", &self.clusters.len())
            .field("now_ns", &self.now_ns)
            .field("quantum_ns", &self.quantum_ns)
            .finish()
    }
}

/// The default quantum: how far one cluster runs ahead of the others.
pub const DEFAULT_QUANTUM_NS: u64 = 10_000;

impl Scheduler {
    /// A scheduler over `clusters`, sharing `clock` and `control` with the
    /// machine's devices.
    pub fn new(
        clusters: Vec<Box<dyn ClusterRun>>,
        clock: Arc<Clock>,
        control: Arc<RunControl>,
    ) -> Self {
        Scheduler {
            clusters,
            clock,
            control,
            now_ns: 0,
            quantum_ns: DEFAULT_QUANTUM_NS,
        }
    }

    /// Changes the quantum (at least 1 ns).
    pub fn set_quantum_ns(&mut self, ns: u64) {
        self.quantum_ns = ns.max(1);
    }

    /// The machine's virtual time.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// The clusters, in description order.
    pub fn clusters(&self) -> &[Box<dyn ClusterRun>] {
        &self.clusters
    }

    /// The clusters, writable.
    pub fn clusters_mut(&mut self) -> &mut [Box<dyn ClusterRun>] {
        &mut self.clusters
    }

    /// Instructions retired by every CPU.
    pub fn insns(&self) -> u64 {
        self.clusters.iter().map(|c| c.insns()).sum()
    }

    /// The earliest event: a clock timer or a CPU's own wake-up.
    fn next_event(&self) -> u64 {
        self.clusters
            .iter()
            .map(|c| c.next_wakeup())
            .fold(self.clock.next_deadline(), u64::min)
    }

    /// Runs until the guest or a limit ends the run.
    pub fn run(&mut self, limits: RunLimits) -> RunOutcome {
        let start_insns = self.insns();
        loop {
            self.clock.fire_due(self.now_ns);
            if self.control.stop_requested() {
                if let Some(why) = self.control.take() {
                    return RunOutcome::Exit(why);
                }
            }
            let spent = self.insns() - start_insns;
            let budget = match limits.max_insns {
                Some(max) if spent >= max => return RunOutcome::InsnLimit,
                Some(max) => max - spent,
                None => u64::MAX,
            };
            if limits.max_ns.is_some_and(|max| self.now_ns >= max) {
                return RunOutcome::TimeLimit;
            }
            let mut target = self
                .now_ns
                .saturating_add(self.quantum_ns)
                .min(self.next_event().max(self.now_ns + 1));
            if let Some(max) = limits.max_ns {
                target = target.min(max);
            }
            let mut all_halted = true;
            let mut left = budget;
            for cluster in &mut self.clusters {
                let end = cluster.run_until(target, &self.clock, left);
                left = left.saturating_sub(end.retired);
                all_halted &= end.all_halted;
                if self.control.stop_requested() || left == 0 {
                    break;
                }
            }
            // A timer armed during the quantum may fall before its end.
            self.now_ns = target.min(self.next_event().max(self.now_ns + 1));
            if all_halted && !self.control.stop_requested() {
                match self.next_event() {
                    NEVER => {
                        if self.clock.fire_due(self.now_ns) == 0 {
                            return RunOutcome::Idle;
                        }
                    }
                    // Nothing runs until the next event: jump to it.
                    next => self.now_ns = self.now_ns.max(next),
                }
            }
        }
    }

    /// Resets every cluster's CPUs.
    pub fn reset(&mut self) {
        for c in &mut self.clusters {
            c.reset();
        }
    }
}
