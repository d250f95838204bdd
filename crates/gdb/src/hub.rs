//! The hub between the debugger sessions and the machine: it runs the
//! machine in slices while any attached session lets it (or while none is
//! attached, unless told to wait), and hands each session the stops that
//! concern its cluster.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use chimera_engine::{DebugStopReason, ExitRequest, RunControl, RunLimits, RunOutcome, Watchpoint};
use chimera_machine::Machine;

/// Why a session's cluster stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReport {
    /// CPU `hart` reached a breakpoint.
    Breakpoint {
        /// The CPU.
        hart: u32,
    },
    /// An access of CPU `hart` tripped a watchpoint.
    Watchpoint {
        /// The CPU.
        hart: u32,
        /// The watchpoint.
        watch: Watchpoint,
        /// The address accessed.
        addr: u64,
    },
    /// CPU `hart` finished a single step.
    Step {
        /// The CPU.
        hart: u32,
    },
    /// The debugger interrupted the machine.
    Interrupted,
    /// The guest ended the run with this exit code.
    Exited(u8),
}

#[derive(Debug, Default, Clone)]
struct Session {
    attached: bool,
    running: bool,
    stop: Option<StopReport>,
    breakpoints: BTreeSet<u64>,
    watchpoints: Vec<Watchpoint>,
}

#[derive(Debug)]
struct State {
    sessions: Vec<Session>,
    /// The machine stopped for a debugger and no session resumed it since.
    halted: bool,
    finished: Option<RunOutcome>,
    wait_for_debugger: bool,
}

/// The machine and its debugger sessions.
pub struct Hub {
    machine: Arc<Mutex<Machine>>,
    control: Arc<RunControl>,
    state: Mutex<State>,
    changed: Condvar,
    /// Sessions waiting for the machine: the run loop lets them have it
    /// before its next slice (a mutex is not fair, and a loop that
    /// relocks at once starved a session for minutes).
    waiters: AtomicUsize,
    /// A session asked the slice in progress to end early, so that it
    /// gets the machine within a block instead of a slice (a slice of a
    /// guest caught in a trap storm took half a second).
    pause: AtomicBool,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A session thread that panicked leaves plain data behind: go on.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Virtual time run between two looks at the sessions.
const SLICE_NS: u64 = 1_000_000;

impl Hub {
    /// A hub for `machine`; with `wait`, the machine does not run until a
    /// debugger resumes it.
    pub fn new(machine: Machine, wait: bool) -> Arc<Self> {
        Self::shared(Arc::new(Mutex::new(machine)), wait)
    }

    /// A hub for a machine someone else holds too (the control plane):
    /// while the hub runs, it alone advances the machine.
    pub fn shared(machine: Arc<Mutex<Machine>>, wait: bool) -> Arc<Self> {
        let (clusters, control) = {
            let m = lock(&machine);
            (m.scheduler().clusters().len(), m.control().clone())
        };
        Arc::new(Hub {
            control,
            machine,
            state: Mutex::new(State {
                sessions: vec![Session::default(); clusters],
                halted: wait,
                finished: None,
                wait_for_debugger: wait,
            }),
            changed: Condvar::new(),
            waiters: AtomicUsize::new(0),
            pause: AtomicBool::new(false),
        })
    }

    /// Ends [`Hub::run`] with `outcome` (the control plane quits), as if
    /// the guest had ended the run.
    pub fn shutdown(&self, outcome: RunOutcome) {
        let mut s = lock(&self.state);
        if s.finished.is_none() {
            for session in s.sessions.iter_mut().filter(|x| x.running) {
                session.stop = Some(StopReport::Exited(0));
                session.running = false;
            }
            s.finished = Some(outcome);
        }
        drop(s);
        self.control.request(ExitRequest::Stop);
        self.changed.notify_all();
    }

    /// Runs `f` on the machine (between run slices).
    pub fn with_machine<R>(&self, f: impl FnOnce(&mut Machine) -> R) -> R {
        f(&mut self.lock_machine())
    }

    /// The machine, ahead of the run loop's next slice.
    fn lock_machine(&self) -> MutexGuard<'_, Machine> {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let machine = match self.machine.try_lock() {
            Ok(machine) => machine,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                self.pause.store(true, Ordering::SeqCst);
                self.control.request(ExitRequest::Stop);
                lock(&self.machine)
            }
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        machine
    }

    /// The machine for the run loop's next slice, once no session waits
    /// for it.
    fn lock_machine_to_run(&self) -> MutexGuard<'_, Machine> {
        while self.waiters.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        lock(&self.machine)
    }

    /// The names and architectures of the clusters, in order.
    pub fn clusters(&self) -> Vec<(String, String)> {
        self.with_machine(|m| {
            m.scheduler()
                .clusters()
                .iter()
                .map(|c| (c.name().to_string(), c.arch().to_string()))
                .collect()
        })
    }

    fn should_run(s: &State) -> bool {
        if s.finished.is_some() || s.halted {
            return false;
        }
        let attached: Vec<&Session> = s.sessions.iter().filter(|x| x.attached).collect();
        if attached.is_empty() {
            !s.wait_for_debugger
        } else {
            attached.iter().any(|x| x.running)
        }
    }

    /// Runs the machine whenever the sessions let it; returns how the run
    /// ended.
    pub fn run(&self) -> RunOutcome {
        loop {
            {
                let mut s = lock(&self.state);
                while !Self::should_run(&s) {
                    if let Some(outcome) = &s.finished {
                        return outcome.clone();
                    }
                    s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
            }
            let (outcome, stops) = {
                let mut machine = self.lock_machine_to_run();
                let m = &mut *machine;
                let until = m.scheduler().now_ns().saturating_add(SLICE_NS);
                let outcome = m.run(RunLimits {
                    max_insns: None,
                    max_ns: Some(until),
                    held: true,
                });
                let stops: Vec<(usize, StopReport)> = m
                    .scheduler_mut()
                    .clusters_mut()
                    .iter_mut()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        c.take_debug_stop().map(|d| {
                            let report = match d.reason {
                                DebugStopReason::Watchpoint { watch, addr } => {
                                    StopReport::Watchpoint {
                                        hart: d.hart,
                                        watch,
                                        addr,
                                    }
                                }
                                _ => StopReport::Breakpoint { hart: d.hart },
                            };
                            (i, report)
                        })
                    })
                    .collect();
                (outcome, stops)
            };
            let mut s = lock(&self.state);
            let paused = self.pause.swap(false, Ordering::SeqCst);
            if paused && outcome != RunOutcome::Exit(ExitRequest::Stop) {
                // The slice ended before it saw the pause: withdraw the
                // request, or it would end a later slice as a halt. A halt
                // asked for meanwhile set `halted`, which holds anyway.
                self.withdraw_stop();
            }
            match outcome {
                RunOutcome::TimeLimit | RunOutcome::InsnLimit => {}
                // The slice ended for a session's look at the machine, not
                // to halt it (a halt sets `halted` before it asks).
                RunOutcome::Exit(ExitRequest::Stop) if paused && !s.halted => {}
                RunOutcome::Exit(ExitRequest::Debug) | RunOutcome::Exit(ExitRequest::Stop)
                    if !s.sessions.iter().any(|x| x.attached) =>
                {
                    // Every debugger left while the slice was stopping for
                    // one: nobody holds the machine, it runs on.
                }
                RunOutcome::Exit(ExitRequest::Debug) | RunOutcome::Exit(ExitRequest::Stop) => {
                    s.halted = true;
                    for (cluster, report) in stops {
                        let running = s.sessions.get(cluster).is_some_and(|x| x.running);
                        if let Some(session) = s.sessions.get_mut(cluster) {
                            session.stop = Some(report);
                            session.running = false;
                        }
                        if !running {
                            // The debugger of that cluster did not resume it
                            // (it runs because another cluster's debugger let
                            // the machine go): hand control back to the
                            // debuggers that are waiting; the stop is reported
                            // when that cluster is resumed.
                            for other in s.sessions.iter_mut().filter(|x| x.running) {
                                other.stop = Some(StopReport::Interrupted);
                                other.running = false;
                            }
                        }
                    }
                }
                RunOutcome::Idle if s.sessions.iter().any(|x| x.attached) => {
                    // Nothing in the machine can wake it, but a debugger
                    // can (and QEMU's idles under one): wait for it.
                    s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
                other => {
                    let code = match &other {
                        RunOutcome::Exit(ExitRequest::Exit(c)) => (*c & 0xff) as u8,
                        _ => 0,
                    };
                    for session in s.sessions.iter_mut().filter(|x| x.running) {
                        session.stop = Some(StopReport::Exited(code));
                        session.running = false;
                    }
                    s.finished = Some(other);
                }
            }
            drop(s);
            self.changed.notify_all();
        }
    }

    /// A debugger attached to cluster `cluster`; the machine is stopped
    /// for it, as GDB expects of a fresh connection.
    pub fn attach(&self, cluster: usize) {
        let mut s = lock(&self.state);
        if let Some(x) = s.sessions.get_mut(cluster) {
            x.attached = true;
            x.running = false;
        }
        s.halted = true;
        self.control.request(ExitRequest::Stop);
        drop(s);
        self.changed.notify_all();
        // Wait for the slice in progress to end, so the machine is still;
        // if none was running, the stop request is still pending and would
        // halt the first slice after this session ends: withdraw it.
        let machine = self.lock_machine();
        self.withdraw_stop();
        drop(machine);
    }

    /// The debugger left cluster `cluster`: its breakpoints go, and the
    /// machine runs on if nobody else holds it.
    pub fn detach(&self, cluster: usize) {
        let mut s = lock(&self.state);
        if let Some(x) = s.sessions.get_mut(cluster) {
            *x = Session::default();
        }
        if s.sessions.iter().all(|x| !x.attached) {
            s.halted = false;
            s.wait_for_debugger = false;
        }
        drop(s);
        self.sync_breakpoints(cluster);
        self.changed.notify_all();
    }

    /// After [`Hub::run`]: waits, at most `limit`, until every debugger
    /// still attached has been told how the run ended and has gone (a
    /// running session's client gets the exit as a `W` packet, as from
    /// QEMU, instead of a connection closed under it when the process
    /// ends).
    pub fn wait_for_sessions_to_end(&self, limit: std::time::Duration) {
        let deadline = std::time::Instant::now() + limit;
        let mut s = lock(&self.state);
        while s.sessions.iter().any(|x| x.attached) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            s = self
                .changed
                .wait_timeout(s, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Adds or removes a breakpoint of cluster `cluster`.
    pub fn set_breakpoint(&self, cluster: usize, addr: u64, present: bool) {
        {
            let mut s = lock(&self.state);
            let Some(x) = s.sessions.get_mut(cluster) else {
                return;
            };
            if present {
                x.breakpoints.insert(addr);
            } else {
                x.breakpoints.remove(&addr);
            }
        }
        self.sync_breakpoints(cluster);
    }

    /// Adds or removes a watchpoint of cluster `cluster`.
    pub fn set_watchpoint(&self, cluster: usize, watch: Watchpoint, present: bool) {
        {
            let mut s = lock(&self.state);
            let Some(x) = s.sessions.get_mut(cluster) else {
                return;
            };
            x.watchpoints.retain(|w| *w != watch);
            if present {
                x.watchpoints.push(watch);
            }
        }
        self.sync_breakpoints(cluster);
    }

    fn sync_breakpoints(&self, cluster: usize) {
        let (set, watches) = lock(&self.state)
            .sessions
            .get(cluster)
            .map(|x| (x.breakpoints.clone(), x.watchpoints.clone()))
            .unwrap_or_default();
        self.with_machine(|m| {
            if let Some(c) = m.scheduler_mut().clusters_mut().get_mut(cluster) {
                c.set_breakpoints(set);
                c.set_watchpoints(watches);
            }
        });
    }

    /// Drops a pending stop request this hub made (any other request
    /// stands).
    fn withdraw_stop(&self) {
        match self.control.take() {
            None | Some(ExitRequest::Stop) => {}
            Some(other) => self.control.request(other),
        }
    }

    /// Drops a stop request left over from an interrupt that came while the
    /// machine was already still; any other request stands.
    fn clear_stale_stop(&self) {
        match self.control.take() {
            None | Some(ExitRequest::Stop) | Some(ExitRequest::Debug) => {}
            Some(other) => self.control.request(other),
        }
    }

    /// Cluster `cluster`'s debugger resumes it.
    pub fn resume(&self, cluster: usize) {
        self.clear_stale_stop();
        let mut s = lock(&self.state);
        if let Some(x) = s.sessions.get_mut(cluster) {
            if x.stop.is_some() {
                // A stop that happened while this debugger was not looking
                // is reported at once, before anything runs.
                return;
            }
            x.running = true;
        }
        s.halted = false;
        s.wait_for_debugger = false;
        drop(s);
        self.changed.notify_all();
    }

    /// Single-steps CPU `hart` of cluster `cluster` while the machine is
    /// stopped; the stop is reported at once.
    pub fn step(&self, cluster: usize, hart: u32) {
        self.with_machine(|m| {
            let clock = m.clock().clone();
            if let Some(c) = m.scheduler_mut().clusters_mut().get_mut(cluster) {
                c.step(hart, &clock);
                let _ = c.take_debug_stop();
            }
        });
        let mut s = lock(&self.state);
        if let Some(x) = s.sessions.get_mut(cluster) {
            x.stop = Some(StopReport::Step { hart });
            x.running = false;
        }
    }

    /// The debugger of cluster `cluster` interrupts: the machine stops.
    pub fn interrupt(&self, cluster: usize) {
        let mut s = lock(&self.state);
        s.halted = true;
        if let Some(x) = s.sessions.get_mut(cluster) {
            x.running = false;
        }
        self.control.request(ExitRequest::Stop);
        drop(s);
        self.changed.notify_all();
    }

    /// The stop waiting for cluster `cluster`'s debugger, if any.
    pub fn take_stop(&self, cluster: usize) -> Option<StopReport> {
        lock(&self.state).sessions.get_mut(cluster)?.stop.take()
    }

    /// Waits up to `ms` milliseconds for something to change.
    pub fn wait_briefly(&self, ms: u64) {
        let s = lock(&self.state);
        let _ = self
            .changed
            .wait_timeout(s, std::time::Duration::from_millis(ms));
    }

    /// How the run ended, once it has.
    pub fn finished(&self) -> Option<RunOutcome> {
        lock(&self.state).finished.clone()
    }
}
