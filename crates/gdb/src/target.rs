//! One debugger session: a cluster as a `gdbstub` multi-thread target,
//! served on a TCP connection until the debugger detaches.

use std::cell::RefCell;
use std::net::TcpStream;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use gdbstub::common::{Signal, Tid};
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event, WaitForStopReasonError};
use gdbstub::stub::{GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps,
    SwBreakpoint, SwBreakpointOps, WatchKind,
};
use gdbstub::target::ext::target_description_xml_override::{
    TargetDescriptionXmlOverride, TargetDescriptionXmlOverrideOps,
};
use gdbstub::target::{Target, TargetError, TargetResult};

use crate::arch::{RawRegId, RawRegs, RuntimeArch};
use crate::hub::{Hub, StopReport};
use crate::screen::{ScreenState, Screened, MAX_PACKET};

/// One cluster as GDB sees it.
struct ClusterTarget {
    hub: Arc<Hub>,
    cluster: usize,
    step: Option<u32>,
}

/// A debugger access that worked, or the non-fatal error GDB shows.
fn succeeded(ok: Option<bool>) -> TargetResult<(), ClusterTarget> {
    if ok == Some(true) {
        Ok(())
    } else {
        Err(TargetError::NonFatal)
    }
}

fn tid(hart: u32) -> Tid {
    NonZeroUsize::new(hart as usize + 1).unwrap_or(NonZeroUsize::MIN)
}

fn hart(tid: Tid) -> u32 {
    (tid.get() - 1) as u32
}

impl ClusterTarget {
    /// Runs `f` on this cluster's debugger view, between run slices; `None`
    /// when the frontend offers none.
    fn with_debug<R>(
        &self,
        f: impl FnOnce(&mut dyn chimera_engine::ClusterDebug) -> R,
    ) -> Option<R> {
        let cluster = self.cluster;
        self.hub.with_machine(|m| {
            m.scheduler_mut()
                .clusters_mut()
                .get_mut(cluster)
                .and_then(|c| c.debug())
                .map(f)
        })
    }

    fn harts(&self) -> u32 {
        self.hub.with_machine(|m| {
            m.scheduler()
                .clusters()
                .get(self.cluster)
                .map_or(0, |c| c.cpus().len() as u32)
        })
    }
}

impl Target for ClusterTarget {
    type Arch = RuntimeArch;
    type Error = String;

    fn base_ops(&mut self) -> BaseOps<'_, RuntimeArch, String> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<TargetDescriptionXmlOverrideOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadBase for ClusterTarget {
    fn read_registers(&mut self, regs: &mut RawRegs, tid: Tid) -> TargetResult<(), Self> {
        let bytes = self.with_debug(|d| d.read_registers(hart(tid))).flatten();
        regs.0 = bytes.ok_or(TargetError::NonFatal)?;
        Ok(())
    }

    fn write_registers(&mut self, regs: &RawRegs, tid: Tid) -> TargetResult<(), Self> {
        succeeded(self.with_debug(|d| d.write_registers(hart(tid), &regs.0)))
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        let len = data.len();
        succeeded(self.with_debug(|d| d.read_memory(hart(tid), start, data))).map(|()| len)
    }

    fn write_addrs(&mut self, start: u64, data: &[u8], tid: Tid) -> TargetResult<(), Self> {
        succeeded(self.with_debug(|d| d.write_memory(hart(tid), start, data)))
    }

    fn list_active_threads(&mut self, active: &mut dyn FnMut(Tid)) -> Result<(), String> {
        for h in 0..self.harts() {
            active(tid(h));
        }
        Ok(())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }
}

/// The `p` and `P` packets: one register by its number in the target
/// description.
impl SingleRegisterAccess<Tid> for ClusterTarget {
    fn read_register(
        &mut self,
        tid: Tid,
        reg: RawRegId,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let bytes = self
            .with_debug(|d| d.read_register(hart(tid), reg.0))
            .flatten()
            .ok_or(TargetError::NonFatal)?;
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn write_register(&mut self, tid: Tid, reg: RawRegId, val: &[u8]) -> TargetResult<(), Self> {
        succeeded(self.with_debug(|d| d.write_register(hart(tid), reg.0, val)))
    }
}

impl MultiThreadResume for ClusterTarget {
    fn resume(&mut self) -> Result<(), String> {
        match self.step.take() {
            Some(h) => self.hub.step(self.cluster, h),
            None => self.hub.resume(self.cluster),
        }
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), String> {
        self.step = None;
        Ok(())
    }

    fn set_resume_action_continue(&mut self, _: Tid, _: Option<Signal>) -> Result<(), String> {
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSchedulerLocking for ClusterTarget {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), String> {
        // All-stop over the whole machine: the other CPUs run too, as they
        // must for a heterogeneous machine to make progress.
        Ok(())
    }
}

impl MultiThreadSingleStep for ClusterTarget {
    fn set_resume_action_step(&mut self, tid: Tid, _: Option<Signal>) -> Result<(), String> {
        self.step = Some(hart(tid));
        Ok(())
    }
}

impl Breakpoints for ClusterTarget {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

fn watchpoint(addr: u64, len: u64, kind: WatchKind) -> chimera_engine::Watchpoint {
    chimera_engine::Watchpoint {
        addr,
        len,
        kind: match kind {
            WatchKind::Write => chimera_engine::WatchKind::Write,
            WatchKind::Read => chimera_engine::WatchKind::Read,
            WatchKind::ReadWrite => chimera_engine::WatchKind::Access,
        },
    }
}

impl HwWatchpoint for ClusterTarget {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        self.hub
            .set_watchpoint(self.cluster, watchpoint(addr, len, kind), true);
        Ok(true)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        self.hub
            .set_watchpoint(self.cluster, watchpoint(addr, len, kind), false);
        Ok(true)
    }
}

impl SwBreakpoint for ClusterTarget {
    fn add_sw_breakpoint(&mut self, addr: u64, _: usize) -> TargetResult<bool, Self> {
        self.hub.set_breakpoint(self.cluster, addr, true);
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _: usize) -> TargetResult<bool, Self> {
        self.hub.set_breakpoint(self.cluster, addr, false);
        Ok(true)
    }
}

impl HwBreakpoint for ClusterTarget {
    fn add_hw_breakpoint(&mut self, addr: u64, _: usize) -> TargetResult<bool, Self> {
        self.hub.set_breakpoint(self.cluster, addr, true);
        Ok(true)
    }

    fn remove_hw_breakpoint(&mut self, addr: u64, _: usize) -> TargetResult<bool, Self> {
        self.hub.set_breakpoint(self.cluster, addr, false);
        Ok(true)
    }
}

impl TargetDescriptionXmlOverride for ClusterTarget {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Err(TargetError::NonFatal);
        }
        let xml = self.with_debug(|d| d.target_xml()).unwrap_or_default();
        let bytes = xml.as_bytes();
        let start = (offset as usize).min(bytes.len());
        let end = start.saturating_add(length).min(bytes.len());
        let n = (end - start).min(buf.len());
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }
}

fn stop_reason(report: StopReport) -> MultiThreadStopReason<u64> {
    match report {
        StopReport::Breakpoint { hart } => MultiThreadStopReason::SwBreak(tid(hart)),
        StopReport::Watchpoint { hart, watch, addr } => MultiThreadStopReason::Watch {
            tid: tid(hart),
            kind: match watch.kind {
                chimera_engine::WatchKind::Write => WatchKind::Write,
                chimera_engine::WatchKind::Read => WatchKind::Read,
                chimera_engine::WatchKind::Access => WatchKind::ReadWrite,
            },
            addr,
        },
        StopReport::Step { .. } => MultiThreadStopReason::DoneStep,
        StopReport::Interrupted => MultiThreadStopReason::Signal(Signal::SIGINT),
        StopReport::Exited(code) => MultiThreadStopReason::Exited(code),
    }
}

/// The wait between the machine and the debugger's connection.
enum EventLoop {}

impl BlockingEventLoop for EventLoop {
    type Target = ClusterTarget;
    type Connection = Screened;
    type StopReason = MultiThreadStopReason<u64>;

    fn wait_for_stop_reason(
        target: &mut ClusterTarget,
        conn: &mut Screened,
    ) -> Result<Event<Self::StopReason>, WaitForStopReasonError<String, std::io::Error>> {
        loop {
            if let Some(report) = target.hub.take_stop(target.cluster) {
                return Ok(Event::TargetStopped(stop_reason(report)));
            }
            if let Some(byte) = conn
                .poll(Duration::from_millis(10))
                .map_err(WaitForStopReasonError::Connection)?
            {
                return Ok(Event::IncomingData(byte));
            }
        }
    }

    fn on_interrupt(target: &mut ClusterTarget) -> Result<Option<Self::StopReason>, String> {
        target.hub.interrupt(target.cluster);
        Ok(Some(MultiThreadStopReason::SignalWithThread {
            tid: tid(0),
            signal: Signal::SIGINT,
        }))
    }
}

/// Serves one debugger connection for cluster `cluster` until it leaves.
/// Framing errors are answered by the screen (NAK, or `E01` for a packet
/// too long); a well-framed request `gdbstub` cannot parse gets `E01` and
/// a fresh stub on the same connection; a connection that breaks only
/// ends this session.
pub fn serve_cluster(hub: Arc<Hub>, cluster: usize, conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    hub.attach(cluster);
    let mut target = ClusterTarget {
        hub: hub.clone(),
        cluster,
        step: None,
    };
    let screen = Rc::new(RefCell::new(ScreenState::default()));
    loop {
        let Ok(stream) = conn.try_clone() else {
            break;
        };
        let stub = match GdbStub::builder(Screened::new(stream, screen.clone()))
            .packet_buffer_size(MAX_PACKET)
            .build()
        {
            Ok(stub) => stub,
            Err(e) => {
                eprintln!("chimera: gdb session of cluster {cluster} could not start: {e}");
                break;
            }
        };
        match stub.run_blocking::<EventLoop>(&mut target) {
            Ok(_) => break,
            Err(e) if e.is_connection_error() || e.is_target_error() => {
                eprintln!("chimera: gdb session of cluster {cluster} ended: {e}");
                break;
            }
            Err(_) => {
                // The fresh stub starts, as every stub does, with the
                // target stopped: if the failed one had let the machine
                // run, stop it again (the fresh stub would never look for
                // the running machine's stop).
                hub.attach(cluster);
                let Ok(stream) = conn.try_clone() else {
                    break;
                };
                if Screened::new(stream, screen.clone()).reply_error().is_err() {
                    break;
                }
            }
        }
    }
    hub.detach(cluster);
}
