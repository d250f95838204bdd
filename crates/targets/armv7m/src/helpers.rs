//! The helpers the ARMv7-M IR calls: system instructions (MRS, MSR, CPS,
//! SVC, BKPT and semihosting), interworking branches and exception
//! return, shifts by register with their carry, exclusive accesses, and
//! the DSP extension's packed and saturating arithmetic.

use chimera_engine::ir::HelperId;
use chimera_engine::{Helper, HelperCtx, Trap};
use chimera_memory::Endian;

use crate::cpu::{CONTROL_FPCA, CONTROL_NPRIV, CONTROL_SPSEL, G_C, G_GE, G_Q};
use crate::exception::cause;
use crate::scs::CCR_DIV_0_TRP;
use crate::{dsp, semihost, ArmM};

/// `undefined(insn)`: UsageFault UNDEFINSTR.
pub const H_UNDEF: HelperId = HelperId(0);
/// `svc(next_pc)`: the supervisor call.
pub const H_SVC: HelperId = HelperId(1);
/// `bkpt(imm)`: semihosting for 0xAB, a debug event otherwise.
pub const H_BKPT: HelperId = HelperId(2);
/// `bx(target) -> pc`: the slow path of an interworking branch.
pub const H_BX: HelperId = HelperId(3);
/// `mrs(sysm) -> value`.
pub const H_MRS: HelperId = HelperId(4);
/// `msr(sysm, value, mask)`.
pub const H_MSR: HelperId = HelperId(5);
/// `cps(disable, affect_i, affect_f)`.
pub const H_CPS: HelperId = HelperId(6);
/// `wfi()`.
pub const H_WFI: HelperId = HelperId(7);
/// `shift(kind, value, amount) -> result | carry << 32`, reading C.
pub const H_SHIFT: HelperId = HelperId(8);
/// `ldrex(addr, size) -> value`.
pub const H_LDREX: HelperId = HelperId(9);
/// `strex(addr, value, size) -> 0 | 1`.
pub const H_STREX: HelperId = HelperId(10);
/// `clrex()`.
pub const H_CLREX: HelperId = HelperId(11);
/// `div_by_zero()`: traps when CCR.DIV_0_TRP is set.
pub const H_DIV0: HelperId = HelperId(12);
/// `unaligned(addr)`: UsageFault UNALIGNED.
pub const H_UNALIGNED: HelperId = HelperId(13);
/// `dsp(op, a, b, c) -> result`: packed, saturating and halving
/// arithmetic (ops in [`crate::dsp`]), updating Q and GE.
pub const H_DSP: HelperId = HelperId(14);
/// `nocp()`: UsageFault NOCP for a coprocessor instruction.
pub const H_NOCP: HelperId = HelperId(15);

/// `invstate()`: UsageFault INVSTATE (execution outside Thumb state).
pub const H_INVSTATE: HelperId = HelperId(16);

/// `vfp(op, d_or_value, n, m) -> value`: FPU arithmetic (see
/// [`crate::fpu::op`]).
pub const H_VFP: HelperId = HelperId(17);
/// `fp_active()`: marks the floating-point context active (CONTROL.FPCA).
pub const H_FP_ACTIVE: HelperId = HelperId(18);

type Ctx<'a, 'b> = HelperCtx<'a, 'b, ArmM>;

/// `helpers!(name, name [leaf], ...)`: the table in id order; `[leaf]`
/// marks helpers that touch only registers ([`Helper::leaf`]).
macro_rules! helpers {
    (@leaf) => { false };
    (@leaf leaf) => { true };
    ($($name:ident $([$leaf:ident])?),* $(,)?) => {
        /// The table, indexed by the ids above.
        pub const HELPERS: &[Helper<ArmM>] = &[
            $(Helper { name: stringify!($name), func: $name, leaf: helpers!(@leaf $($leaf)?), globals: true },)*
        ];
    };
}

helpers!(
    undefined,
    svc,
    bkpt,
    bx,
    mrs,
    msr,
    cps,
    wfi,
    shift[leaf],
    ldrex,
    strex,
    clrex,
    div0,
    unaligned,
    dsp_op[leaf],
    nocp,
    invstate,
    vfp[leaf],
    fp_active,
);

fn guest(cause: u64, value: u64) -> Trap {
    Trap::Guest { cause, value }
}

fn undefined(_: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    Err(guest(cause::UNDEFINED, args[0]))
}

fn nocp(_: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    Err(guest(cause::NOCP, 0))
}

fn vfp(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    crate::fpu::vfp(ctx, args)
}

fn fp_active(ctx: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    let cpu = &mut *ctx.cpu;
    if cpu.scs.fpccr & crate::exception::FPCCR_LSPACT != 0 {
        let at = cpu.scs.fpcar;
        if !crate::exception::save_fp_context(cpu, ctx.env, at) {
            cpu.scs.cfsr |= crate::scs::cfsr::STKERR;
        }
        cpu.scs.fpccr &= !crate::exception::FPCCR_LSPACT;
    }
    // With automatic state preservation on, the first FP instruction of a
    // context makes it part of the next exception frame and takes FPSCR's
    // defaults from FPDSCR.
    if cpu.scs.fpccr & (1 << 31) != 0 && cpu.control & CONTROL_FPCA == 0 {
        cpu.control |= CONTROL_FPCA;
        cpu.set_fpscr(cpu.scs.fpdscr);
    }
    Ok(0)
}

fn invstate(_: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    Err(guest(cause::INVSTATE, 0))
}

fn svc(_: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    Err(guest(cause::SVC, args[0]))
}

fn bkpt(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    if args[0] == 0xab {
        let (op, param) = (ctx.cpu.reg(0), ctx.cpu.reg(1));
        let r = semihost::call(ctx, op, param)?;
        ctx.cpu.set_reg(0, r);
        return Ok(0);
    }
    Err(guest(cause::BKPT, args[0]))
}

fn bx(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let target = args[0] as u32;
    if ctx.cpu.handler_mode() && target >> 28 == 0xf {
        let fe = ctx.frontend;
        return fe.exception_return(ctx.cpu, ctx.env, target).map(u64::from);
    }
    // An even target leaves Thumb state: the next fetch faults there.
    ctx.cpu.thumb = target & 1 != 0;
    Ok(u64::from(target & !1))
}

fn mrs(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let cpu = &*ctx.cpu;
    let sysm = args[0] as u32;
    let privileged = cpu.privileged();
    let v = match sysm {
        0..=7 => {
            let mut v = 0;
            if sysm & 1 != 0 {
                v |= cpu.ipsr & 0x1ff;
            }
            if sysm & 4 == 0 {
                v |= cpu.apsr();
            }
            v
        }
        8 if privileged => cpu.msp(),
        9 if privileged => cpu.psp(),
        16 => cpu.primask & 1,
        17 | 18 => cpu.basepri & 0xff,
        19 => cpu.faultmask & 1,
        20 => {
            let mask = if ctx.frontend.fpu { 7 } else { 3 };
            cpu.control & mask
        }
        _ => 0,
    };
    Ok(u64::from(v))
}

fn msr(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (sysm, v, mask) = (args[0] as u32, args[1] as u32, args[2] as u32);
    let has_dsp = ctx.frontend.has_dsp();
    let fpu = ctx.frontend.fpu;
    let cpu = &mut *ctx.cpu;
    if sysm <= 3 {
        cpu.set_apsr(v, mask & 2 != 0, mask & 1 != 0 && has_dsp);
        return Ok(0);
    }
    if !cpu.privileged() {
        return Ok(0);
    }
    match sysm {
        8 => cpu.set_msp(v),
        9 => cpu.set_psp(v),
        16 => cpu.primask = v & 1,
        17 => cpu.basepri = v & 0xff,
        18 => {
            let new = v & 0xff;
            if new != 0 && (new < cpu.basepri || cpu.basepri == 0) {
                cpu.basepri = new;
            }
        }
        19 if ctx.frontend.execution_priority(cpu, true) > -1 => cpu.faultmask = v & 1,
        20 => {
            let mut control = (cpu.control & !CONTROL_NPRIV) | (v & CONTROL_NPRIV);
            if !cpu.handler_mode() {
                control = (control & !CONTROL_SPSEL) | (v & CONTROL_SPSEL);
            }
            if fpu {
                control = (control & !CONTROL_FPCA) | (v & CONTROL_FPCA);
            }
            let ipsr = cpu.ipsr;
            cpu.switch_stack(ipsr, control);
        }
        _ => {}
    }
    ctx.frontend.sync_mpu(ctx.cpu, ctx.env);
    ArmM::request_recheck(ctx.env);
    Ok(0)
}

fn cps(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    if !ctx.cpu.privileged() {
        return Ok(0);
    }
    let disable = u32::from(args[0] != 0);
    if args[1] != 0 {
        ctx.cpu.primask = disable;
    }
    if args[2] != 0 && (disable == 0 || ctx.frontend.execution_priority(ctx.cpu, true) > -1) {
        ctx.cpu.faultmask = disable;
    }
    ctx.frontend.sync_mpu(ctx.cpu, ctx.env);
    ArmM::request_recheck(ctx.env);
    Ok(0)
}

fn wfi(ctx: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    ctx.env.request_halt();
    Ok(0)
}

/// Shifts `value` by a register amount (its low byte), giving the result
/// and the carry out (the old carry when the amount is zero).
pub fn shift_by(kind: u32, value: u32, amount: u32, carry_in: bool) -> (u32, bool) {
    let n = amount & 0xff;
    if n == 0 {
        return (value, carry_in);
    }
    match kind {
        0 => match n {
            1..=31 => (value << n, (value >> (32 - n)) & 1 != 0),
            32 => (0, value & 1 != 0),
            _ => (0, false),
        },
        1 => match n {
            1..=31 => (value >> n, (value >> (n - 1)) & 1 != 0),
            32 => (0, value >> 31 != 0),
            _ => (0, false),
        },
        2 => {
            let s = value as i32;
            if n < 32 {
                ((s >> n) as u32, (value >> (n - 1)) & 1 != 0)
            } else {
                ((s >> 31) as u32, value >> 31 != 0)
            }
        }
        _ => {
            let r = value.rotate_right(n % 32);
            (r, r >> 31 != 0)
        }
    }
}

fn shift(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let carry_in = ctx.cpu.regs[G_C as usize] & 1 != 0;
    let (r, c) = shift_by(args[0] as u32, args[1] as u32, args[2] as u32, carry_in);
    Ok(u64::from(r) | (u64::from(c) << 32))
}

fn check_aligned(addr: u32, size: u32) -> Result<(), Trap> {
    if addr % size != 0 {
        Err(guest(cause::UNALIGNED, u64::from(addr)))
    } else {
        Ok(())
    }
}

fn ldrex(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (addr, size) = (args[0] as u32, args[1] as u32);
    check_aligned(addr, size)?;
    let v = ctx.load(u64::from(addr), size as usize, Endian::Little)? as u32;
    ctx.cpu.monitor = Some((addr, v, size as u8));
    Ok(u64::from(v))
}

fn strex(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (addr, value, size) = (args[0] as u32, args[1], args[2] as u32);
    check_aligned(addr, size)?;
    let Some((maddr, seen, msize)) = ctx.cpu.monitor.take() else {
        return Ok(1);
    };
    if maddr != addr || u32::from(msize) != size {
        return Ok(1);
    }
    // The store succeeds only if memory still holds what LDREX saw: the
    // global monitor, as a compare-and-swap, across cores and clusters.
    let mask = if size == 4 {
        u64::MAX
    } else {
        (1 << (8 * size)) - 1
    };
    let result = ctx.atomic(u64::from(addr), size as usize, Endian::Little, |old| {
        (old == u64::from(seen)).then_some(value & mask)
    });
    match result {
        Ok(old) if old == u64::from(seen) => Ok(0),
        Ok(_) => Ok(1),
        // Not RAM: a plain store, which cannot be contended.
        Err(_) => {
            ctx.store(u64::from(addr), size as usize, Endian::Little, value)?;
            Ok(0)
        }
    }
}

fn clrex(ctx: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    ctx.cpu.monitor = None;
    Ok(0)
}

fn div0(ctx: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    if ctx.cpu.scs.ccr & CCR_DIV_0_TRP != 0 {
        return Err(guest(cause::DIVBYZERO, 0));
    }
    Ok(0)
}

fn unaligned(_: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    Err(guest(cause::UNALIGNED, args[0]))
}

fn dsp_op(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let cpu = &mut *ctx.cpu;
    let (op, a, b) = (args[0] as u32, args[1] as u32, args[2] as u32);
    if op >= dsp::SMLALXY {
        return Ok(dsp::eval_long(op, a, b, args[3]));
    }
    let ge = cpu.regs[G_GE as usize] as u32;
    let out = dsp::eval(op, a, b, args[3] as u32, ge);
    if out.q {
        cpu.regs[G_Q as usize] = 1;
    }
    if let Some(ge) = out.ge {
        cpu.regs[G_GE as usize] = u64::from(ge);
    }
    Ok(out.value)
}

#[cfg(test)]
mod tests {
    use super::shift_by;

    #[test]
    fn register_shifts_follow_the_architecture_for_large_amounts() {
        assert_eq!(shift_by(0, 1, 32, false), (0, true));
        assert_eq!(shift_by(0, 1, 33, true), (0, false));
        assert_eq!(shift_by(1, 0x8000_0000, 32, false), (0, true));
        assert_eq!(shift_by(2, 0x8000_0000, 200, false), (0xffff_ffff, true));
        assert_eq!(shift_by(3, 0x1, 33, false), (0x8000_0000, true));
        assert_eq!(shift_by(3, 0x8000_0000, 32, false), (0x8000_0000, true));
        assert_eq!(shift_by(0, 5, 256, true), (5, true));
    }
}
