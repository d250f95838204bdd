//! What the hart tests share: a one-hart cluster on RAM and a random
//! number generator.

use std::sync::Arc;

use chimera_engine::{
    irq_inputs_for, Cluster, ClusterParams, ClusterSetup, MemoryOrder, RunControl,
};
use chimera_memory::{AddressSpace, Endian, Ram, Region};
use chimera_riscv::RiscV;

/// Where the hart's RAM starts and it resets to.
pub const BASE: u64 = 0x8000_0000;

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

/// A cluster of one hart of `xlen` bits with 64 KiB of RAM at [`BASE`],
/// verifying its IR.
pub fn hart(xlen: u32) -> (Cluster<RiscV>, Arc<Ram>) {
    let ram = Arc::new(Ram::new(0x10000));
    let mut space = AddressSpace::new("sys");
    space.map(BASE, Region::ram("ram", ram.clone()), 0).unwrap();
    let fe = RiscV::new(xlen, 10_000_000, BASE);
    let irqs = irq_inputs_for(&fe, 1);
    let params = ClusterParams {
        word_bits: xlen,
        endian: Endian::Little,
        page_bits: 12,
        paddr_bits: 34,
        vaddr_bits: 32,
        memory_order: MemoryOrder::Weak,
        freq_hz: 1_000_000_000,
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
    (cluster, ram)
}
