//! What the guest tests of this crate share: the programs of each guest
//! suite, as `guests/*/Makefile` builds them (one list for the suites'
//! own tests and the interpreter-against-JIT test).

/// The RISC-V guest programs (`guests/riscv`, rv64 and rv32).
pub const RISCV_PROGRAMS: &[&str] = &[
    "hello",
    "alu",
    "atomic",
    "csr_trap",
    "timer",
    "sstc",
    "cbo",
    "zbc",
    "zawrs",
    "svpbmt",
    "sv57",
    "amo_smp",
    "echo",
    "compressed",
    "uart_irq",
    "paging",
    "smc",
    "float",
    "bitmanip",
];

/// The Cortex-M3 guest programs (`guests/arm-m`).
pub const M3_PROGRAMS: &[&str] = &[
    "hello",
    "alu",
    "exceptions",
    "bench",
    "smc",
    "sp",
    "systick",
    "mpu",
];

/// The Cortex-M4F guest programs (`guests/arm-m`): the M3's and `fpu`.
pub const M4_PROGRAMS: &[&str] = &[
    "hello",
    "alu",
    "exceptions",
    "fpu",
    "bench",
    "smc",
    "sp",
    "systick",
    "mpu",
];
