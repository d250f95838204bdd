//! The FPv4-SP floating-point instructions of the Cortex-M4F.

use crate::translate::{Emit, Flow};

/// Emits one VFP instruction (coprocessor 10/11 space).
pub fn emit(e: &mut Emit, hw1: u32, hw2: u32) -> Flow {
    let _ = (hw1, hw2);
    e.undefined()
}
