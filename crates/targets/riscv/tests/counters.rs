//! Writes to the instruction and cycle counters (`minstret`, `mcycle`,
//! and on RV32 their high halves) are what the next instruction reads:
//! the writing instruction does not count on top of the value written
//! (the privileged spec: a write to a counter takes effect after the
//! writing instruction's own increment).

// Shared with the other tests of this crate, which use all of it.
#[allow(dead_code)]
mod common;

use chimera_engine::{Clock, ClusterRun};
use chimera_memory::Endian;
use common::{hart, BASE};

/// `csrrwi x0, csr, uimm`.
fn csrwi(csr: u32, uimm: u32) -> u32 {
    csr << 20 | uimm << 15 | 0b101 << 12 | 0x73
}

/// `csrrs rd, csr, x0` (`csrr`).
fn csrr(rd: u32, csr: u32) -> u32 {
    csr << 20 | 0b010 << 12 | rd << 7 | 0x73
}

/// Runs `program` one instruction at a time from [`BASE`]; `a0` after.
fn run(xlen: u32, program: &[u32]) -> u64 {
    let (mut cluster, ram) = hart(xlen);
    for (i, w) in program.iter().enumerate() {
        ram.write(4 * i as u64, 4, Endian::Little, u64::from(*w))
            .unwrap();
    }
    cluster.reset();
    cluster.cpu_state_mut(0).unwrap().pc = BASE;
    let clock = Clock::new();
    // Some instructions first, so that the counters are not at zero.
    for _ in 0..program.len() {
        cluster.step(0, &clock);
    }
    cluster.cpu_state(0).unwrap().regs[10]
}

const MINSTRET: u32 = 0xb02;
const MCYCLE: u32 = 0xb00;
const NOP: u32 = 0x13;

#[test]
fn a_counter_reads_what_was_written_to_it_right_before() {
    for xlen in [64, 32] {
        for csr in [MINSTRET, MCYCLE] {
            for value in [0, 5, 31] {
                let program = [NOP, NOP, csrwi(csr, value), csrr(10, csr)];
                assert_eq!(
                    run(xlen, &program),
                    u64::from(value),
                    "rv{xlen} csr {csr:#x}"
                );
            }
            // One instruction later, one more.
            let program = [csrwi(csr, 7), NOP, csrr(10, csr)];
            assert_eq!(run(xlen, &program), 8, "rv{xlen} csr {csr:#x}");
        }
    }
}

#[test]
fn rv32_high_halves_take_effect_for_the_next_instruction() {
    // minstreth = 3 after minstret = 0: the next read of minstreth is 3.
    let program = [
        csrwi(MINSTRET, 0),
        csrwi(MINSTRET | 0x80, 3),
        csrr(10, MINSTRET | 0x80),
    ];
    assert_eq!(run(32, &program), 3);
    let program = [
        csrwi(MINSTRET, 0),
        csrwi(MINSTRET | 0x80, 3),
        csrr(10, MINSTRET),
    ];
    assert_eq!(run(32, &program), 1, "the low half counted the high write");
}
