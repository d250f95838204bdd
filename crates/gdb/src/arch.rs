//! An architecture whose registers are known at run time: the bytes of
//! GDB's `g` packet in the frontend's target-description order.

use gdbstub::arch::{Arch, RegId, Registers};

/// Registers as raw target-order bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RawRegs(pub Vec<u8>);

impl Registers for RawRegs {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        // gdbstub asks only for its own bookkeeping; the pc lives in the
        // frontend's layout, which this type does not interpret.
        0
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for b in &self.0 {
            write_byte(Some(*b));
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        self.0 = bytes.to_vec();
        Ok(())
    }
}

/// A register number from the target description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRegId(pub usize);

impl RegId for RawRegId {
    fn from_raw_id(id: usize) -> Option<(Self, Option<std::num::NonZeroUsize>)> {
        Some((RawRegId(id), None))
    }
}

/// The run-time architecture.
#[derive(Debug)]
pub enum RuntimeArch {}

impl Arch for RuntimeArch {
    type Usize = u64;
    type Registers = RawRegs;
    type BreakpointKind = usize;
    type RegId = RawRegId;
}
