//! Conditions after a compare: a `B<cond>` after `CMP` (right after it,
//! or after instructions that leave the flags but overwrite the compared
//! registers), and an `ITE <cond>` block after it, test the compare's
//! operands directly instead of the flags; for every condition and edge
//! operand pairs the branch and the IT block must pick what the flags
//! say.

mod common;

use chimera_armv7m::scs::CoreKind;
use chimera_armv7m::ArmCpu;
use chimera_engine::{Clock, ClusterRun};
use chimera_memory::Endian;
use common::{core, CODE};

const VALUES: [u32; 7] = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_ffff];

/// Whether condition `cond` holds after `cmp a, b`, from the flags.
fn holds(cond: u32, a: u32, b: u32) -> bool {
    let r = a.wrapping_sub(b);
    let n = r >> 31 == 1;
    let z = r == 0;
    let c = a >= b;
    let v = ((a ^ b) & (a ^ r)) >> 31 == 1;
    let base = match cond >> 1 {
        0 => z,
        1 => c,
        2 => n,
        3 => v,
        4 => c && !z,
        5 => n == v,
        _ => !z && n == v,
    };
    base != (cond & 1 == 1)
}

/// Runs `halfwords` at `CODE` with r0 = `a`, r1 = `b` until it spins on
/// its last `b .`; gives r2.
fn run(halfwords: &[u16], a: u32, b: u32) -> u32 {
    let (mut cluster, _flash, sram) = core(CoreKind::CortexM3, false);
    let clock = Clock::new();
    cluster.step(0, &clock);
    for (i, hw) in halfwords.iter().enumerate() {
        sram.write(2 * i as u64, 2, Endian::Little, u64::from(*hw))
            .unwrap();
    }
    {
        let cpu: &mut ArmCpu = cluster.cpu_state_mut(0).unwrap();
        cpu.pc = CODE;
        cpu.set_reg(0, a);
        cpu.set_reg(1, b);
        cpu.set_reg(2, 0xdead);
    }
    cluster.run_until(u64::MAX, &clock, 20);
    let cpu = cluster.cpu_state(0).unwrap();
    assert_eq!(cpu.ipsr, 0, "no exception");
    cpu.reg(2)
}

#[test]
fn branches_and_it_blocks_after_a_compare_follow_the_flags() {
    for cond in 0..14u32 {
        // cmp r0, r1; b<cond> taken; movs r2, #0; b done; taken: movs
        // r2, #1; done: b .
        let branch = [
            0x4288,
            0xd001 | (cond << 8) as u16,
            0x2200,
            0xe000,
            0x2201,
            0xe7fe,
        ];
        // cmp r0, r1; ite <cond>; mov r2, #1; mov r2, #0; b .
        let mask = if cond & 1 == 0 { 0b1100 } else { 0b0100 };
        let ite = [
            0x4288,
            0xbf00 | (cond << 4 | mask) as u16,
            0x2201,
            0x2200,
            0xe7fe,
        ];
        // cmp r0, r1; mov r0, r3; mov r1, r3 (no flags: the branch must
        // still see the compared values); then as `branch`.
        let later = [
            0x4288,
            0x4618,
            0x4619,
            0xd001 | (cond << 8) as u16,
            0x2200,
            0xe000,
            0x2201,
            0xe7fe,
        ];
        for a in VALUES {
            for b in VALUES {
                let want = u32::from(holds(cond, a, b));
                let what = format!("cond {cond} after cmp {a:#x}, {b:#x}");
                assert_eq!(run(&branch, a, b), want, "b<cond>: {what}");
                assert_eq!(run(&ite, a, b), want, "ite: {what}");
                assert_eq!(
                    run(&later, a, b),
                    want,
                    "movs between, then b<cond>: {what}"
                );
            }
        }
    }
}
