//! The scheduler: advances a machine's clusters on one virtual clock in
//! quanta, fires clock events between quanta, and lets time jump ahead
//! when every CPU waits for an interrupt.
//!
//! The default mode runs the clusters one after another on the calling
//! thread, in description order, so a run is reproducible to the
//! instruction.

use std::sync::{mpsc, Arc};

use crate::clock::NEVER;
use crate::cluster::SliceEnd;
use crate::trap::TrapStorm;
use crate::{Clock, ClusterRun, ExitRequest, RunControl};

/// Bounds on one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunLimits {
    /// Stop after this many instructions, summed over all CPUs.
    pub max_insns: Option<u64>,
    /// Stop when virtual time reaches this many nanoseconds.
    pub max_ns: Option<u64>,
    /// A debugger or protocol client holds the machine: a CPU caught in a
    /// trap storm goes on trapping (time passes, the clients are served)
    /// instead of ending the run.
    pub held: bool,
}

impl RunLimits {
    /// How the run ends when cluster `cluster` reported `storm`: `None`
    /// when the machine is held.
    fn storm_outcome(&self, cluster: &str, storm: Option<TrapStorm>) -> Option<RunOutcome> {
        match storm {
            Some(storm) if !self.held => Some(RunOutcome::TrapStorm {
                cluster: cluster.to_string(),
                storm,
            }),
            _ => None,
        }
    }
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
    /// A CPU took trap after trap without retiring an instruction
    /// ([`TRAP_STORM_TRAPS`](crate::TRAP_STORM_TRAPS) of them).
    TrapStorm {
        /// The CPU's cluster.
        cluster: String,
        /// The CPU, where it was and what it took.
        storm: TrapStorm,
    },
}

/// Runs the clusters of one machine.
pub struct Scheduler {
    clusters: Vec<Box<dyn ClusterRun>>,
    clock: Arc<Clock>,
    control: Arc<RunControl>,
    now_ns: u64,
    quantum_ns: u64,
    parallel: bool,
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

/// What the scheduler asks a cluster's thread in parallel mode.
enum Order {
    Run { target: u64, budget: u64 },
    MayWake,
}

/// What a cluster's thread answers.
enum Reply {
    Ran(usize, SliceEnd, u64),
    MayWake(bool),
}

/// Receives from `rx`, polling for a while before sleeping: in parallel
/// mode the threads meet every quantum, often tens of microseconds apart,
/// and waking a sleeping thread costs about as much as a quantum of
/// compiled code.
fn recv_soon<T>(rx: &mpsc::Receiver<T>) -> Result<T, mpsc::RecvError> {
    const POLLS: u32 = 20_000;
    for _ in 0..POLLS {
        match rx.try_recv() {
            Ok(v) => return Ok(v),
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
            Err(mpsc::TryRecvError::Disconnected) => return Err(mpsc::RecvError),
        }
    }
    rx.recv()
}

/// The default quantum: how far one cluster runs ahead of the others.
pub const DEFAULT_QUANTUM_NS: u64 = 10_000;

/// The shortest quantum of a machine with a single cluster.
pub const SOLO_QUANTUM_NS: u64 = 1_000_000;

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
            parallel: false,
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

    /// Runs until the guest or a limit ends the run: clusters one after
    /// another on this thread (deterministic), or each on its own thread
    /// when parallel mode is on.
    pub fn run(&mut self, limits: RunLimits) -> RunOutcome {
        if self.parallel && self.clusters.len() > 1 {
            self.run_parallel(limits)
        } else {
            self.run_sequential(limits)
        }
    }

    /// Turns parallel mode on or off.
    pub fn set_parallel(&mut self, on: bool) {
        self.parallel = on;
    }

    /// Whether parallel mode is on.
    pub fn is_parallel(&self) -> bool {
        self.parallel
    }

    /// Fires due timers and decides the next quantum: its end and the
    /// instruction budget, or why the run is over. `spent` is what this run
    /// has retired so far; `wakeup` the clusters' earliest own wake-up.
    fn plan(
        &mut self,
        limits: &RunLimits,
        spent: u64,
        wakeup: u64,
    ) -> Result<(u64, u64), RunOutcome> {
        self.clock.fire_due(self.now_ns);
        if self.control.stop_requested() {
            if let Some(why) = self.control.take() {
                return Err(RunOutcome::Exit(why));
            }
        }
        let budget = match limits.max_insns {
            Some(max) if spent >= max => return Err(RunOutcome::InsnLimit),
            Some(max) => max - spent,
            None => u64::MAX,
        };
        if limits.max_ns.is_some_and(|max| self.now_ns >= max) {
            return Err(RunOutcome::TimeLimit);
        }
        let next = self.clock.next_deadline().min(wakeup);
        // A cluster alone has no one to keep in step with: its quanta only
        // bound how often the run loop looks around (timers cut them
        // anyway), and a 25 MHz microcontroller ran 250 instructions per
        // 10 us quantum, leaving compiled code after each.
        let quantum = if self.clusters.len() == 1 {
            self.quantum_ns.max(SOLO_QUANTUM_NS)
        } else {
            self.quantum_ns
        };
        let mut target = self
            .now_ns
            .saturating_add(quantum)
            .min(next.max(self.now_ns + 1));
        if let Some(max) = limits.max_ns {
            target = target.min(max);
        }
        Ok((target, budget))
    }

    /// Moves time to the end of a quantum, or on to the next event when
    /// every CPU sleeps.
    fn advance(&mut self, target: u64, all_halted: bool, wakeup: u64) -> Result<(), RunOutcome> {
        let next = self.clock.next_deadline().min(wakeup);
        // A timer armed during the quantum may fall before its end.
        self.now_ns = target.min(next.max(self.now_ns + 1));
        if all_halted && !self.control.stop_requested() {
            let next = self.clock.next_deadline().min(wakeup);
            if next == NEVER {
                if self.clock.fire_due(self.now_ns) == 0 {
                    return Err(RunOutcome::Idle);
                }
            } else {
                // Nothing runs until the next event: jump to it.
                self.now_ns = self.now_ns.max(next);
            }
        }
        Ok(())
    }

    fn wakeup(&self) -> u64 {
        self.clusters
            .iter()
            .map(|c| c.next_wakeup())
            .fold(NEVER, u64::min)
    }

    fn run_sequential(&mut self, limits: RunLimits) -> RunOutcome {
        let start_insns = self.insns();
        loop {
            let spent = self.insns() - start_insns;
            let (target, budget) = match self.plan(&limits, spent, self.wakeup()) {
                Ok(plan) => plan,
                Err(outcome) => return outcome,
            };
            let mut all_halted = true;
            let mut left = budget;
            for cluster in &mut self.clusters {
                let end = cluster.run_until(target, &self.clock, left);
                if let Some(outcome) = limits.storm_outcome(cluster.name(), end.trap_storm) {
                    return outcome;
                }
                left = left.saturating_sub(end.retired);
                all_halted &= end.all_halted;
                if self.control.stop_requested() || left == 0 {
                    break;
                }
            }
            // A CPU that slept early in the quantum may have been sent an
            // interrupt by a cluster that ran after it.
            let all_halted = all_halted && !self.clusters.iter().any(|c| c.may_wake());
            if let Err(outcome) = self.advance(target, all_halted, self.wakeup()) {
                return outcome;
            }
        }
    }

    /// Each cluster on its own host thread (the first on the calling
    /// thread); all meet at every quantum end, where timers fire and the
    /// next quantum is planned. Guest results do not change; how
    /// instructions of different clusters interleave may.
    fn run_parallel(&mut self, limits: RunLimits) -> RunOutcome {
        let mut clusters = std::mem::take(&mut self.clusters);
        let clock = self.clock.clone();
        let mut wakeups: Vec<u64> = clusters.iter().map(|c| c.next_wakeup()).collect();
        let names: Vec<String> = clusters.iter().map(|c| c.name().to_string()).collect();
        let outcome = std::thread::scope(|scope| {
            let Some((first, rest)) = clusters.split_first_mut() else {
                return RunOutcome::Idle;
            };
            let (done_tx, done_rx) = mpsc::channel::<Reply>();
            let mut orders = Vec::new();
            for (offset, cluster) in rest.iter_mut().enumerate() {
                let index = offset + 1;
                let (order_tx, order_rx) = mpsc::channel::<Order>();
                orders.push(order_tx);
                let done = done_tx.clone();
                let clock = clock.clone();
                scope.spawn(move || {
                    while let Ok(order) = recv_soon(&order_rx) {
                        let reply = match order {
                            Order::Run { target, budget } => {
                                let end = cluster.run_until(target, &clock, budget);
                                Reply::Ran(index, end, cluster.next_wakeup())
                            }
                            Order::MayWake => Reply::MayWake(cluster.may_wake()),
                        };
                        if done.send(reply).is_err() {
                            break;
                        }
                    }
                });
            }
            let lost = || {
                RunOutcome::Exit(ExitRequest::Error(
                    "a cluster's host thread stopped unexpectedly".into(),
                ))
            };
            let mut spent = 0u64;
            loop {
                let wakeup = wakeups.iter().copied().fold(NEVER, u64::min);
                let (target, budget) = match self.plan(&limits, spent, wakeup) {
                    Ok(plan) => plan,
                    Err(outcome) => return outcome,
                };
                for order in &orders {
                    // Workers leave only when this channel closes, after the loop.
                    let _ = order.send(Order::Run { target, budget });
                }
                let end = first.run_until(target, &clock, budget);
                let mut storm = limits.storm_outcome(&names[0], end.trap_storm);
                let mut all_halted = end.all_halted;
                spent += end.retired;
                wakeups[0] = first.next_wakeup();
                for _ in 0..orders.len() {
                    match recv_soon(&done_rx) {
                        Ok(Reply::Ran(index, end, wake)) => {
                            storm = storm.or(limits.storm_outcome(&names[index], end.trap_storm));
                            all_halted &= end.all_halted;
                            spent += end.retired;
                            wakeups[index] = wake;
                        }
                        _ => return lost(),
                    }
                }
                if let Some(outcome) = storm {
                    return outcome;
                }
                if all_halted {
                    // A CPU that slept early may have been sent an interrupt
                    // by a cluster that ran after it.
                    for order in &orders {
                        let _ = order.send(Order::MayWake);
                    }
                    all_halted &= !first.may_wake();
                    for _ in 0..orders.len() {
                        match recv_soon(&done_rx) {
                            Ok(Reply::MayWake(wake)) => all_halted &= !wake,
                            _ => return lost(),
                        }
                    }
                }
                let wakeup = wakeups.iter().copied().fold(NEVER, u64::min);
                if let Err(outcome) = self.advance(target, all_halted, wakeup) {
                    return outcome;
                }
            }
        });
        self.clusters = clusters;
        outcome
    }

    /// Resets every cluster's CPUs.
    pub fn reset(&mut self) {
        for c in &mut self.clusters {
            c.reset();
        }
    }
}
