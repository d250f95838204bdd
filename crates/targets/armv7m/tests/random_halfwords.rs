//! 100,000 random halfword pairs run as Thumb instructions, one at a time,
//! on a Cortex-M3 and a Cortex-M4F: the host never panics, and each either
//! runs or enters the exception its fault status says it earned, with the
//! frame's return address at the faulting instruction (or, for SVC, after
//! it).

mod common;

use chimera_armv7m::scs::{cfsr, exc, CoreKind};
use chimera_armv7m::ArmCpu;
use chimera_engine::{Clock, ClusterRun};
use chimera_memory::Endian;
use common::{core, Rng, CODE, HANDLERS};

fn run_pairs(kind: CoreKind, fpu: bool, count: u32, seed: u64) {
    let (mut cluster, _flash, sram) = core(kind, fpu);
    let clock = Clock::new();
    // The first step completes the reset from the vector table.
    cluster.step(0, &clock);
    let mut fresh: ArmCpu = cluster.cpu_state(0).unwrap().clone();
    fresh.scs.shcsr_enables = 0x7 << 16;
    fresh.scs.cpacr = 0xf << 20;
    let mut rng = Rng(seed);
    let (mut faulted, mut ran) = (0u32, 0u32);
    for _ in 0..count {
        let pair = rng.next() as u32;
        sram.write(0, 4, Endian::Little, u64::from(pair)).unwrap();
        {
            let cpu = cluster.cpu_state_mut(0).unwrap();
            *cpu = fresh.clone();
            cpu.pc = CODE;
            for r in 0..13 {
                // Registers point into SRAM half the time, so loads and
                // stores both succeed and fault.
                let v = rng.next();
                cpu.regs[r] = if v & 1 == 0 {
                    CODE + 0x1000 + ((v >> 1) % 0x8000)
                } else {
                    v & 0xffff_ffff
                };
            }
            cpu.regs[14] = rng.next() & 0xffff_ffff;
        }
        cluster.step(0, &clock);
        let cpu = cluster.cpu_state(0).unwrap();
        if cpu.ipsr == 0 {
            ran += 1;
            continue;
        }
        faulted += 1;
        let n = cpu.ipsr;
        let at = format!(
            "{kind:?} pair {pair:#010x}: exception {n}, cfsr {:#x}",
            cpu.scs.cfsr
        );
        assert_eq!(
            cpu.pc,
            HANDLERS + 16 * u64::from(n),
            "{at}: not at its handler"
        );
        let status = cpu.scs.cfsr;
        match n {
            exc::USAGEFAULT => assert!(status & 0xffff_0000 != 0, "{at}"),
            exc::BUSFAULT => assert!(status & 0xff00 != 0, "{at}"),
            exc::MEMMANAGE => assert!(status & 0xff != 0, "{at}"),
            exc::HARDFAULT => assert!(cpu.scs.hfsr != 0, "{at}"),
            exc::SVCALL => assert_eq!(pair & 0xff00, 0xdf00, "{at}"),
            _ => panic!("{at}: unexpected exception"),
        }
        // The frame's return address: the faulting instruction, unless the
        // fault was taken at a branch's target.
        let frame = u64::from(cpu.reg(13));
        let stacked_pc = sram.read(frame + 24 - CODE, 4, Endian::Little).unwrap();
        let at_target = status & (cfsr::INVSTATE | cfsr::IACCVIOL | cfsr::IBUSERR) != 0;
        if n == exc::SVCALL {
            assert_eq!(stacked_pc, CODE + 2, "{at}");
        } else if !at_target && n != exc::HARDFAULT {
            assert_eq!(stacked_pc, CODE, "{at}: stacked pc");
        }
    }
    assert!(
        faulted > count / 50 && ran > count / 4,
        "{faulted} faulted, {ran} ran"
    );
}

#[test]
fn random_halfword_pairs_run_or_fault_on_cortex_m3() {
    run_pairs(CoreKind::CortexM3, false, 50_000, 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn random_halfword_pairs_run_or_fault_on_cortex_m4f() {
    run_pairs(CoreKind::CortexM4, true, 50_000, 0x2545_f491_4f6c_dd1d);
}
