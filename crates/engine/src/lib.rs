//! The target-agnostic execution engine: the IR and its builder, the block
//! cache, the portable interpreter, the per-CPU soft-MMU, clusters, the
//! virtual clock and the scheduler.
//!
//! The engine never names an architecture. A [`Frontend`] decodes guest
//! code into [`ir`] and supplies its architecture's traps, interrupts and
//! address translation; everything else here works the same for every
//! frontend, and for several frontends in one machine.

pub mod block;
pub mod cache;
pub mod chain;
pub mod clock;
pub mod cluster;
pub mod cluster_type;
pub mod console;
pub mod control;
pub mod debug;
pub mod dispatch;
pub mod env;
pub mod frontend;
pub mod interp;
pub mod ir;
pub mod irq;
pub mod mmu;
pub mod native;
pub mod params;
mod run;
pub mod scheduler;
pub mod tier;
pub mod time;
pub mod trap;

pub use block::{Block, BlockKey, ChainLink, LinkLayout};
pub use cache::BlockCache;
pub use clock::{Clock, Timer, TimerTarget};
pub use cluster::{
    irq_inputs_for, reset_pin, Cluster, ClusterRun, ClusterSetup, CpuInfo, DebugStop,
    DebugStopReason, SliceEnd,
};
pub use cluster_type::ClusterType;
pub use console::HostConsole;
pub use control::{ExitRequest, RunControl};
pub use debug::{ClusterDebug, GdbArch, WatchKind, Watchpoint};
pub use env::CpuEnv;
pub use frontend::{local_fault, CodeReader, CpuState, Frontend, Helper, HelperCtx, HelperFn};
pub use irq::IrqInputs;
pub use mmu::{Mmu, TlbLayout, Translation};
pub use native::{Backend, BackendStats, NativeAbi, NativeCode, TierTotals};
pub use params::{ClusterParams, MemoryOrder};
pub use run::RunStats;
pub use scheduler::{RunLimits, RunOutcome, Scheduler};
pub use trap::{FaultKind, MemFault, Trap, TrapStorm, TRAP_STORM_TRAPS};
