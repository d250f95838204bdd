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
    pub exit_code: Option<i32>,
}

/// The protocol's view of one machine.
pub struct Controller {
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
        let c = Arc::new(Controller {
            inner: Mutex::new(Inner {
                registry,
                builder: None,
                machine: None,
                control: None,
                status: Status::Prelaunch,
                serial,
                quit: false,
                exit_code: None,
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
        drop(inner);
        self.wake.notify_all();
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
                });
                (outcome, m.resets() - before)
            };
            for _ in 0..resets {
                self.events
                    .emit("RESET", json!({"guest": true, "reason": "guest-reset"}));
            }
            let next = match outcome {
                RunOutcome::TimeLimit
                | RunOutcome::InsnLimit
                | RunOutcome::Exit(ExitRequest::Stop | ExitRequest::Debug) => None,
                RunOutcome::Exit(ExitRequest::Exit(code)) => {
                    self.lock().exit_code = Some(code);
                    Some(Status::Shutdown)
                }
                RunOutcome::Exit(ExitRequest::PowerOff | ExitRequest::Quit) => {
                    self.lock().exit_code = Some(0);
                    Some(Status::Shutdown)
                }
                RunOutcome::Idle => Some(Status::GuestPanicked),
                RunOutcome::Exit(ExitRequest::Reset | ExitRequest::Error(_)) => {
                    Some(Status::InternalError)
                }
            };
            if let Some(status) = next {
                let mut inner = self.lock();
                if inner.status == Status::Running {
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
        }
    }
}
