//! What a debugger needs from a cluster: its architecture's GDB target
//! description and register file (supplied by the frontend, as data), and
//! memory through a CPU's own view. Breakpoints and single-stepping live in
//! the cluster's run loop.

/// The GDB view of an architecture's registers, supplied by a frontend.
pub trait GdbArch<C>: Send + Sync {
    /// The target description XML (`target.xml`), with every feature.
    fn target_xml(&self) -> String;
    /// All registers in the description's order, in target byte order.
    fn read_registers(&self, cpu: &C) -> Vec<u8>;
    /// Writes all registers from the same layout; false if `data` does not fit.
    fn write_registers(&self, cpu: &mut C, data: &[u8]) -> bool;
    /// One register by its number in the description.
    fn read_register(&self, cpu: &C, regno: usize) -> Option<Vec<u8>>;
    /// Writes one register; false if there is no such register.
    fn write_register(&self, cpu: &mut C, regno: usize, data: &[u8]) -> bool;
}

/// A cluster as the debugger drives it, whatever its architecture.
pub trait ClusterDebug {
    /// The target description XML.
    fn target_xml(&self) -> String;
    /// All registers of CPU `hart`.
    fn read_registers(&self, hart: u32) -> Option<Vec<u8>>;
    /// Writes all registers of CPU `hart`.
    fn write_registers(&mut self, hart: u32, data: &[u8]) -> bool;
    /// One register of CPU `hart`.
    fn read_register(&self, hart: u32, regno: usize) -> Option<Vec<u8>>;
    /// Writes one register of CPU `hart`.
    fn write_register(&mut self, hart: u32, regno: usize, data: &[u8]) -> bool;
    /// Reads memory as CPU `hart` sees it (its MMU, its address space);
    /// false if any byte cannot be read.
    fn read_memory(&mut self, hart: u32, vaddr: u64, out: &mut [u8]) -> bool;
    /// Writes memory as CPU `hart` sees it (ROM included, as a debugger
    /// patching code would).
    fn write_memory(&mut self, hart: u32, vaddr: u64, data: &[u8]) -> bool;
}

/// Which accesses a watchpoint catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// Stores.
    Write,
    /// Loads.
    Read,
    /// Both.
    Access,
}

/// A range of guest virtual addresses watched for accesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Watchpoint {
    /// First address.
    pub addr: u64,
    /// Length in bytes.
    pub len: u64,
    /// Which accesses stop.
    pub kind: WatchKind,
}

impl Watchpoint {
    /// Whether an access of `size` bytes at `addr` (a store when `write`)
    /// trips this watchpoint.
    pub fn hits(&self, addr: u64, size: usize, write: bool) -> bool {
        let kind_matches = match self.kind {
            WatchKind::Write => write,
            WatchKind::Read => !write,
            WatchKind::Access => true,
        };
        kind_matches
            && addr < self.addr.saturating_add(self.len)
            && self.addr < addr.saturating_add(size as u64)
    }
}
