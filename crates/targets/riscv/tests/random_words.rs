//! 100,000 random 32-bit and 16-bit words run as instructions, one at a
//! time, on RV64 and RV32 harts: the host never panics, and a word raises
//! the illegal-instruction exception (with the word in `mtval`) exactly
//! when the decoder calls it illegal, or when it is a float instruction
//! and `mstatus.FS` is Off (half the runs), or uses the dynamic rounding
//! mode while `frm` holds a reserved one; everything else runs or takes
//! the fault its access earns.

mod common;

use chimera_engine::{Clock, ClusterRun};
use chimera_memory::Endian;
use chimera_riscv::compressed::decode16;
use chimera_riscv::decode::decode32;
use chimera_riscv::inst::Inst;
use common::{hart, Rng, BASE};

fn run_words(xlen: u32, count: u32, seed: u64) {
    let (mut cluster, ram) = hart(xlen);
    let clock = Clock::new();
    let mut rng = Rng(seed);
    let handler = BASE + 0x8000;
    let (mut illegal, mut ran) = (0u32, 0u32);
    for _ in 0..count {
        let compressed = rng.next() & 1 == 0;
        let (word, decoded) = if compressed {
            // A 16-bit word: its low two bits are not 0b11.
            let mut w = rng.next() as u16;
            if w & 3 == 3 {
                w &= !1;
            }
            ram.write(0, 2, Endian::Little, u64::from(w)).unwrap();
            (u64::from(w), decode16(w, xlen))
        } else {
            let w = (rng.next() as u32) | 3;
            ram.write(0, 4, Endian::Little, u64::from(w)).unwrap();
            (u64::from(w), decode32(w, xlen))
        };
        // Back to M mode without translation: a random sret or CSR write
        // may have left the hart elsewhere.
        cluster.reset();
        let fs_on = rng.next() & 1 == 0;
        let frm = (rng.next() % 8) as u8;
        {
            let cpu = cluster.cpu_state_mut(0).unwrap();
            if fs_on {
                cpu.csr.mstatus |= 1 << 13;
            }
            cpu.csr.frm = frm;
            for r in 32..64 {
                // Float registers: boxed singles half the time.
                let v = rng.next();
                cpu.regs[r] = if v & 1 == 0 { v | 0xffff_ffff << 32 } else { v };
            }
            cpu.pc = BASE;
            cpu.csr.mtvec = handler;
            cpu.csr.mcause = 0;
            cpu.csr.mtval = 0;
            for r in 1..32 {
                // Registers point into RAM half the time, so loads and
                // stores both succeed and fault.
                let v = rng.next();
                cpu.regs[r] = if v & 1 == 0 {
                    BASE + (v >> 1) % 0x8000
                } else {
                    v
                };
                if xlen == 32 {
                    cpu.regs[r] &= 0xffff_ffff;
                }
            }
        }
        cluster.step(0, &clock);
        let cpu = cluster.cpu_state(0).unwrap();
        let trapped_illegal = cpu.pc == handler && cpu.csr.mcause == 2;
        // A CSR instruction decodes, and is illegal when its CSR does not
        // exist or may not be written: either outcome is right for it.
        let csr = matches!(decoded, Inst::Csr { .. });
        let bad_rounding = matches!(decoded, Inst::Fp { op, rm: 7, .. } if op.has_rm() && frm > 4);
        let expect_illegal =
            decoded == Inst::Illegal || (decoded.is_float() && (!fs_on || bad_rounding));
        assert!(
            trapped_illegal == expect_illegal || csr,
            "rv{xlen} word {word:#x} ({decoded:?}, FS on {fs_on}, frm {frm}): mcause {} pc {:#x}",
            cpu.csr.mcause,
            cpu.pc
        );
        if trapped_illegal {
            assert_eq!(cpu.csr.mtval, word, "rv{xlen}: mtval of illegal {word:#x}");
            assert_eq!(cpu.csr.mepc, BASE);
            illegal += 1;
        } else if cpu.pc != handler {
            ran += 1;
        }
    }
    // Both outcomes are well represented, so the test proves something.
    assert!(
        illegal > count / 20 && ran > count / 20,
        "{illegal} illegal, {ran} ran"
    );
}

#[test]
fn random_words_run_or_raise_illegal_instruction_on_rv64() {
    run_words(64, 50_000, 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn random_words_run_or_raise_illegal_instruction_on_rv32() {
    run_words(32, 50_000, 0xd1b5_4a32_d192_ed03);
}
