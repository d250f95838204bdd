//! What the core tests share: a Cortex-M on flash and SRAM with a
//! handler per exception, and a random number generator.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::sync::Arc;

use chimera_armv7m::scs::CoreKind;
use chimera_armv7m::ArmM;
use chimera_engine::{
    irq_inputs_for, Cluster, ClusterParams, ClusterSetup, MemoryOrder, RunControl,
};
use chimera_memory::{AddressSpace, Endian, Ram, Region};

/// Where the code under test goes (SRAM).
pub const CODE: u64 = 0x2000_0000;
/// The initial main stack pointer.
const STACK_TOP: u64 = 0x2000_f000;
/// Exception `n`'s handler is at `HANDLERS + 16 * n`.
pub const HANDLERS: u64 = 0x1000;

/// xorshift64: reproducible operands.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A core of `kind` (with an FPU when `fpu`): 64 KiB of flash at 0 holding
/// a vector table, 64 KiB of SRAM at [`CODE`]; verifies its IR.
pub fn core(kind: CoreKind, fpu: bool) -> (Cluster<ArmM>, Arc<Ram>, Arc<Ram>) {
    let flash = Arc::new(Ram::new(0x10000));
    let sram = Arc::new(Ram::new(0x10000));
    let mut space = AddressSpace::new("sys");
    space
        .map(0, Region::ram("flash", flash.clone()), 0)
        .unwrap();
    space
        .map(CODE, Region::ram("sram", sram.clone()), 0)
        .unwrap();
    // The vector table: the initial stack, reset at a NOP, and every
    // exception at a handler of its own.
    flash.write(0, 4, Endian::Little, STACK_TOP).unwrap();
    flash
        .write(4, 4, Endian::Little, (CODE + 0x100) | 1)
        .unwrap();
    for n in 2..48u64 {
        flash
            .write(4 * n, 4, Endian::Little, (HANDLERS + 16 * n) | 1)
            .unwrap();
    }
    sram.write(0x100, 2, Endian::Little, 0xbf00).unwrap();
    let fe = ArmM::new(kind, fpu, 32);
    let irqs = irq_inputs_for(&fe, 1);
    let params = ClusterParams {
        word_bits: 32,
        endian: Endian::Little,
        page_bits: 12,
        paddr_bits: 32,
        vaddr_bits: 32,
        memory_order: MemoryOrder::Weak,
        freq_hz: 25_000_000,
    };
    let mut cluster = Cluster::new(
        fe,
        ClusterSetup {
            name: "cpu".into(),
            params,
            first_index: 0,
            watcher: 0,
            irqs,
            space: Arc::new(space),
            control: Arc::new(RunControl::new()),
            console: None,
        },
    );
    cluster.set_verify(true);
    (cluster, flash, sram)
}
