//! The controller: what the protocol drives. It holds the machine under
//! construction (before realize) or the realized machine, runs it on a
//! thread of its own in short slices of virtual time, and reports changes
//! as events.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use chimera_engine::{ExitRequest, RunControl, RunLimits, RunOutcome};
use chimera_machine::{Machine, MachineBuilder, Registry, SerialConfig};
use serde_json::json;

use crate::error::{ErrorClass, QmpError};
use crate::events::EventBus;

/// The run state, with QEMU's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No machine yet, or one being built.
    Prelaunch,
    /// Running.
    Running,
    /// Stopped by a client.
    Paused,
    /// The guest ended the run.
    Shutdown,
    /// Every CPU waits for an interrupt that can never come.
    GuestPanicked,
    /// The emulator hit an error.
    InternalError,
    /// A GDB server governs the machine: debuggers run and stop it.
    Debug,
}

impl Status {
    /// The state's name in `query-status`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Prelaunch => "prelaunch",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Shutdown => "shutdown",
            Status::GuestPanicked => "guest-panicked",
            Status::InternalError => "internal-error",
            Status::Debug => "debug",
        }
    }
}

/// Virtual time the runner advances before it lets commands in.
const SLICE_NS: u64 = 1_000_000;

pub(crate) struct Inner {
    pub registry: Arc<Registry>,
    pub builder: Option<MachineBuilder>,
    pub machine: Option<Arc<Mutex<Machine>>>,
    /// The machine's run control, reachable while the runner holds the
    /// machine.
    pub control: Option<Arc<RunControl>>,
    pub status: Status,
    pub serial: SerialConfig,
    pub quit: bool,
    /// The client that asked to quit has its answer.
    pub quit_answered: bool,
    pub exit_code: Option<i32>,
    /// The GDB server's hub, once a client started one: from then on it
    /// alone runs the machine.
    pub debugger: Option<Arc<chimera_gdb::Hub>>,
}

/// The protocol's view of one machine.
pub struct Controller {
    /// Itself, for threads it starts (the GDB server's runner).
    me: std::sync::Weak<Controller>,
    inner: Mutex<Inner>,
    wake: Condvar,
    events: EventBus,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking command must not take the server down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Controller {
    /// A controller with no machine (the pre-configuration state), whose
    /// UARTs will go where `serial` says.
    pub fn new(registry: Arc<Registry>, serial: SerialConfig) -> Arc<Self> {
        let c = Arc::new_cyclic(|me| Controller {
            me: me.clone(),
            inner: Mutex::new(Inner {
                registry,
                builder: None,
                machine: None,
                control: None,
                status: Status::Prelaunch,
                serial,
                quit: false,
                quit_answered: false,
                exit_code: None,
                debugger: None,
            }),
            wake: Condvar::new(),
            events: EventBus::new(),
        });
        let runner = c.clone();
        thread::spawn(move || runner.run_loop());
        c
    }

    /// A controller for a machine already realized; it starts running
    /// unless `paused`.
    pub fn with_machine(registry: Arc<Registry>, machine: Machine, paused: bool) -> Arc<Self> {
        let c = Self::new(registry, SerialConfig::default());
        c.install(machine);
        if !paused {
            c.set_status(Status::Running);
        }
        c
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// The event bus.
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// Whether a client asked to quit.
    pub fn quit_requested(&self) -> bool {
        self.lock().quit
    }

    /// The session that asked to quit wrote its answer.
    pub(crate) fn quit_answered(&self) {
        self.lock().quit_answered = true;
        self.wake.notify_all();
    }

    /// After a quit: waits (at most `timeout`) until the client that asked
    /// has its answer, so that the process does not end before it is
    /// written.
    pub fn wait_quit_answered(&self, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        let mut inner = self.lock();
        while inner.quit && !inner.quit_answered {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            inner = self
                .wake
                .wait_timeout(inner, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// The guest's exit code, once it ended the run.
    pub fn exit_code(&self) -> Option<i32> {
        self.lock().exit_code
    }

    /// The run state.
    pub fn status(&self) -> Status {
        self.lock().status
    }

    /// Blocks until the run state is no longer `Running` or a quit is asked.
    pub fn wait_until_stopped(&self) {
        let mut inner = self.lock();
        while inner.status == Status::Running && !inner.quit {
            inner = self.wake.wait(inner).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The realized machine, or an error naming what is missing.
    pub(crate) fn machine(&self) -> Result<Arc<Mutex<Machine>>, QmpError> {
        self.lock().machine.clone().ok_or_else(|| {
            QmpError::new(
                ErrorClass::DeviceNotActive,
                "no machine is realized yet: build one and run 'x-machine-realize'",
            )
        })
    }

    /// Runs `f` on the realized machine, between two run slices.
    pub(crate) fn with_machine_locked<R>(
        &self,
        f: impl FnOnce(&mut Machine) -> R,
    ) -> Result<R, QmpError> {
        let m = self.machine()?;
        let mut guard = lock(&m);
        Ok(f(&mut guard))
    }

    /// Installs a freshly realized machine, paused.
    pub(crate) fn install(&self, machine: Machine) {
        let mut inner = self.lock();
        inner.control = Some(machine.control().clone());
        inner.machine = Some(Arc::new(Mutex::new(machine)));
        inner.builder = None;
        inner.status = Status::Paused;
    }

    /// Starts a paused machine, emitting RESUME.
    pub fn resume(&self) {
        // Only fails without a machine, which `with_machine` rules out.
        let _ = self.cont();
    }

    /// Sets the run state and wakes the runner.
    pub(crate) fn set_status(&self, status: Status) {
        self.lock().status = status;
        self.wake.notify_all();
    }

    /// Stops the machine (if running), emitting STOP.
    pub(crate) fn stop(&self) -> Result<(), QmpError> {
        self.machine()?;
        let mut inner = self.lock();
        Self::refuse_under_debugger(&inner)?;
        if inner.status != Status::Running {
            return Ok(());
        }
        inner.status = Status::Paused;
        // Ends the slice in progress at its next block boundary.
        if let Some(control) = &inner.control {
            control.request(ExitRequest::Stop);
        }
        drop(inner);
        self.events.emit("STOP", json!({}));
        Ok(())
    }

    /// Resumes the machine, emitting RESUME.
    pub(crate) fn cont(&self) -> Result<(), QmpError> {
        self.machine()?;
        let mut inner = self.lock();
        Self::refuse_under_debugger(&inner)?;
        match inner.status {
            Status::Paused => {
                // RESUME goes out before the runner can announce anything
                // that happens after it.
                self.events.emit("RESUME", json!({}));
                inner.status = Status::Running;
                drop(inner);
                self.wake.notify_all();
                Ok(())
            }
            Status::Running => Ok(()),
            other => Err(QmpError::generic(format!(
                "the machine cannot continue: it is {}",
                other.name()
            ))),
        }
    }

    /// Asks everything to end, emitting SHUTDOWN.
    pub(crate) fn quit(&self) {
        self.events.emit(
            "SHUTDOWN",
            json!({"guest": false, "reason": "host-qmp-quit"}),
        );
        let mut inner = self.lock();
        inner.quit = true;
        if let Some(control) = &inner.control {
            control.request(ExitRequest::Stop);
        }
        if let Some(hub) = &inner.debugger {
            hub.shutdown(RunOutcome::Exit(ExitRequest::Quit));
        }
        drop(inner);
        self.wake.notify_all();
    }

    fn refuse_under_debugger(inner: &Inner) -> Result<(), QmpError> {
        if inner.debugger.is_some() {
            return Err(QmpError::generic(
                "the machine is under a GDB server's control: stop and continue it from the debugger",
            ));
        }
        Ok(())
    }

    /// Starts a GDB server on the realized machine (`tcp::PORT` or
    /// `tcp:HOST:PORT`, a port per cluster from PORT up); from then on the
    /// debuggers run and stop the machine. A running machine keeps
    /// running until a debugger attaches; a paused one waits for one.
    pub(crate) fn start_gdbserver(&self, spec: &str) -> Result<Vec<chimera_gdb::Port>, QmpError> {
        let machine = self.machine()?;
        let controller = self
            .me
            .upgrade()
            .ok_or_else(|| QmpError::generic("the control plane is shutting down"))?;

        let (host, port) = chimera_gdb::parse_endpoint(spec).ok_or_else(|| {
            QmpError::generic(format!(
                "'{spec}': a GDB server listens on tcp::PORT or tcp:HOST:PORT"
            ))
        })?;
        let mut inner = self.lock();
        if inner.debugger.is_some() {
            return Err(QmpError::generic("a GDB server is already running"));
        }
        let wait = inner.status != Status::Running;
        if !matches!(inner.status, Status::Running | Status::Paused) {
            return Err(QmpError::generic(format!(
                "the machine cannot be debugged: it is {}",
                inner.status.name()
            )));
        }
        // The runner lets go of the machine at the end of its slice.
        if inner.status == Status::Running {
            if let Some(control) = &inner.control {
                control.request(ExitRequest::Stop);
            }
        }
        let hub = chimera_gdb::Hub::shared(machine, wait);
        let ports = chimera_gdb::listen(&hub, &host, port).map_err(QmpError::generic)?;
        inner.debugger = Some(hub.clone());
        inner.status = Status::Debug;
        drop(inner);
        self.wake.notify_all();
        thread::spawn(move || {
            // A stop meant for the runner, if it came after its last slice,
            // must not halt the debugged machine.
            hub.with_machine(|m| m.control().take());
            let outcome = hub.run();
            controller.finish(outcome);
        });
        Ok(ports)
    }

    /// Records how the run ended and announces it.
    fn finish(&self, outcome: RunOutcome) {
        let Some(status) = self.ended_status(&outcome) else {
            return;
        };
        let mut inner = self.lock();
        if matches!(inner.status, Status::Running | Status::Debug) {
            inner.status = status;
        }
        drop(inner);
        self.wake.notify_all();
        if status == Status::Shutdown {
            self.events.emit(
                "SHUTDOWN",
                json!({"guest": true, "reason": "guest-shutdown"}),
            );
        } else {
            self.events.emit("STOP", json!({}));
        }
    }

    /// The state a run outcome leaves the machine in, if it ends the run.
    fn ended_status(&self, outcome: &RunOutcome) -> Option<Status> {
        match outcome {
            RunOutcome::TimeLimit
            | RunOutcome::InsnLimit
            | RunOutcome::Exit(ExitRequest::Stop | ExitRequest::Debug) => None,
            RunOutcome::Exit(ExitRequest::Exit(code)) => {
                self.lock().exit_code = Some(*code);
                Some(Status::Shutdown)
            }
            RunOutcome::Exit(ExitRequest::PowerOff | ExitRequest::Quit) => {
                self.lock().exit_code = Some(0);
                Some(Status::Shutdown)
            }
            RunOutcome::Idle | RunOutcome::TrapStorm { .. } => Some(Status::GuestPanicked),
            RunOutcome::Exit(ExitRequest::Reset | ExitRequest::Error(_)) => {
                Some(Status::InternalError)
            }
        }
    }

    /// The runner: while the state is `Running`, advance the machine one
    /// slice at a time, letting commands in between slices.
    fn run_loop(self: Arc<Self>) {
        loop {
            let machine = {
                let mut inner = self.lock();
                while inner.status != Status::Running && !inner.quit {
                    inner = self.wake.wait(inner).unwrap_or_else(|e| e.into_inner());
                }
                if inner.quit {
                    return;
                }
                match inner.machine.clone() {
                    Some(m) => m,
                    None => {
                        inner.status = Status::Prelaunch;
                        continue;
                    }
                }
            };
            let (outcome, resets) = {
                let mut m = lock(&machine);
                let before = m.resets();
                let until = m.scheduler().now_ns().saturating_add(SLICE_NS);
                let outcome = m.run(RunLimits {
                    max_insns: None,
                    max_ns: Some(until),
                    held: true,
                });
                (outcome, m.resets() - before)
            };
            for _ in 0..resets {
                self.events
                    .emit("RESET", json!({"guest": true, "reason": "guest-reset"}));
            }
            self.finish(outcome);
        }
    }
}
