//! [`CpuEnv`]: what a CPU reaches while it runs, besides its own state:
//! its address space and soft-MMU, the machine's run control, and its
//! place in virtual time.

use chimera_memory::{AccessKind, AddressSpace, BusError, MmioCtx};

use crate::run::CpuRun;
use crate::time::CpuTime;
use crate::{ClusterParams, Mmu, RunControl};

/// The environment of one CPU for the span of one run slice.
#[derive(Debug)]
pub struct CpuEnv<'a> {
    /// The cluster's address space (physical memory as this CPU sees it).
    pub space: &'a AddressSpace,
    /// This CPU's translation cache.
    pub mmu: &'a mut Mmu,
    /// The machine's run control.
    pub control: &'a RunControl,
    /// The cluster's parameters.
    pub params: &'a ClusterParams,
    /// This CPU's machine-wide index (for MMIO initiator ids).
    pub cpu_index: u32,
    /// This cluster's code-watcher id (for self-modifying-code tracking).
    pub watcher: u32,
    /// The CPU's retired instruction count when the current block began.
    pub(crate) block_start_insns: u64,
    /// Instructions of the current block retired so far.
    pub(crate) block_offset: u32,
    /// The CPU's clock.
    pub(crate) time: CpuTime,
    pub(crate) halt: bool,
    pub(crate) flush_code: bool,
    /// An access reached a device or a CPU-local register, or wrote RAM
    /// holding translated code: the run loop must look before the next
    /// block.
    pub(crate) outside: bool,
    /// The current block must end after the current instruction.
    pub(crate) end_block: bool,
    /// The virtual time at which this CPU wants to be woken (a timer of
    /// its own, such as ARM's SysTick), or `NEVER`.
    pub(crate) wakeup_ns: u64,
    /// The cluster's watchpoints (empty when no debugger watches).
    pub(crate) watchpoints: &'a [crate::debug::Watchpoint],
    /// The first watchpoint an access of the current instruction tripped.
    pub(crate) watch_hit: Option<(crate::debug::Watchpoint, u64)>,
}

impl<'a> CpuEnv<'a> {
    /// The environment of `cpu`, whose soft-MMU is `mmu`, in a cluster
    /// with code-watcher id `watcher`.
    pub(crate) fn new<C>(
        space: &'a AddressSpace,
        mmu: &'a mut Mmu,
        control: &'a RunControl,
        params: &'a ClusterParams,
        watchpoints: &'a [crate::debug::Watchpoint],
        watcher: u32,
        cpu: &CpuRun<C>,
    ) -> Self {
        CpuEnv {
            space,
            mmu,
            control,
            params,
            cpu_index: cpu.index,
            watcher,
            block_start_insns: cpu.insns,
            block_offset: 0,
            time: cpu.time,
            halt: false,
            flush_code: false,
            outside: false,
            end_block: false,
            wakeup_ns: cpu.wakeup_ns,
            watchpoints,
            watch_hit: None,
        }
    }

    /// Whether what happened since the block began needs the run loop
    /// before the next block (see [`CpuEnv::outside`]).
    #[inline]
    pub(crate) fn must_look(&self) -> bool {
        self.outside || self.halt || self.flush_code || self.end_block
    }

    /// Instructions this CPU has retired, up to the current one.
    pub fn retired(&self) -> u64 {
        self.block_start_insns + u64::from(self.block_offset)
    }

    /// This CPU's virtual time now, in nanoseconds.
    pub fn now_ns(&self) -> u64 {
        self.time.now_ns(self.params, self.retired())
    }

    /// The context handed to devices on an access from this CPU.
    pub fn mmio_ctx(&self) -> MmioCtx {
        MmioCtx {
            now_ns: self.now_ns(),
            initiator: self.cpu_index,
        }
    }

    /// Stops this CPU after the current instruction until an interrupt
    /// wakes it (wait-for-interrupt).
    pub fn request_halt(&mut self) {
        self.halt = true;
    }

    /// Notes an access for the debugger's watchpoints.
    pub(crate) fn watch(&mut self, addr: u64, size: usize, write: bool) {
        if self.watch_hit.is_none() {
            if let Some(w) = self.watchpoints.iter().find(|w| w.hits(addr, size, write)) {
                self.watch_hit = Some((*w, addr));
            }
        }
    }

    /// Asks to be looked at (through `check_interrupts`) when virtual time
    /// reaches `deadline_ns`, even while halted: for timers that are part
    /// of the CPU itself. Replaces any earlier request.
    pub fn set_wakeup(&mut self, deadline_ns: u64) {
        self.wakeup_ns = deadline_ns;
    }

    /// Cancels the wake-up request.
    pub fn clear_wakeup(&mut self) {
        self.wakeup_ns = crate::clock::NEVER;
    }

    /// The pending wake-up request, or `NEVER`.
    pub fn wakeup(&self) -> u64 {
        self.wakeup_ns
    }

    /// Ends the current block after the current instruction, so the next
    /// one is looked up (and translated) afresh: for writes that change
    /// how code translates, such as a configuration register reached by a
    /// plain store.
    pub fn request_block_end(&mut self) {
        self.end_block = true;
    }

    /// Drops every translated block of this cluster before the next block
    /// (an instruction-cache flush the guest asked for).
    pub fn request_code_flush(&mut self) {
        self.flush_code = true;
    }

    /// Reads physical memory (page walks, exception stacking by address).
    pub fn phys_read(&self, addr: u64, size: usize, access: AccessKind) -> Result<u64, BusError> {
        if let Some(value) = self.space.read_plain(addr, size, self.params.endian) {
            return Ok(value);
        }
        self.space
            .read(&self.mmio_ctx(), addr, size, self.params.endian, access)
    }

    /// Writes physical memory.
    pub fn phys_write(&self, addr: u64, size: usize, value: u64) -> Result<(), BusError> {
        self.space
            .write(&self.mmio_ctx(), addr, size, self.params.endian, value)
    }
}
