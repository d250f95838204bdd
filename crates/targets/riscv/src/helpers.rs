//! The helpers the RISC-V IR calls: system instructions (with their
//! privilege rules), CSRs, atomics and float operations.

use chimera_engine::ir::HelperId;
use chimera_engine::{FaultKind, Helper, HelperCtx, MemFault, Trap};
use chimera_memory::{AccessKind, Endian};

use crate::csr::{
    fs_enabled, set_fs_dirty, CSR_MENVCFG, CSR_MENVCFGH, CSR_MIP, CSR_SATP, CSR_SIP, CSR_STIMECMP,
    CSR_STIMECMPH, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPRV, MSTATUS_SIE, MSTATUS_SPIE,
    MSTATUS_SPP, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, PRIV_M, PRIV_S, PRIV_U,
};
use crate::inst::{Alu, AmoOp, CboOp, CsrOp};
use crate::trap::{CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_ILLEGAL};
use crate::RiscV;

/// `illegal(insn)`: raises an illegal-instruction exception.
pub const H_ILLEGAL: HelperId = HelperId(0);
/// `ecall()`.
pub const H_ECALL: HelperId = HelperId(1);
/// `ebreak()`.
pub const H_EBREAK: HelperId = HelperId(2);
/// `mret(insn) -> pc`.
pub const H_MRET: HelperId = HelperId(3);
/// `wfi(insn)`.
pub const H_WFI: HelperId = HelperId(4);
/// `csr(csr, operand, op | write << 2, insn) -> old`.
pub const H_CSR: HelperId = HelperId(5);
/// `lr(addr, size) -> value`.
pub const H_LR: HelperId = HelperId(6);
/// `sc(addr, value, size) -> 0 | 1`.
pub const H_SC: HelperId = HelperId(7);
/// `amo(addr, value, op | size << 8) -> old`.
pub const H_AMO: HelperId = HelperId(8);
/// `sret(insn) -> pc`.
pub const H_SRET: HelperId = HelperId(9);
/// `sfence_vma(insn)`.
pub const H_SFENCE_VMA: HelperId = HelperId(10);
/// `fp_enable(insn, dirty)`: illegal while `mstatus.FS` is Off; marks FS
/// Dirty when `dirty`.
pub const H_FP_ENABLE: HelperId = HelperId(11);
/// `fp(code, a, b, c, insn) -> result`: a float operation (see
/// [`crate::float::compute`]); ORs its flags into `fflags`.
pub const H_FP: HelperId = HelperId(12);
/// `cbo(addr, op, insn)`: a cache-block operation ([`CboOp`] as numbered
/// in its encoding) on the block holding `addr`.
pub const H_CBO: HelperId = HelperId(13);

/// `clmul(a, b, kind)`: a carry-less multiply ([`clmul_code`]).
pub const H_CLMUL: HelperId = HelperId(14);
/// `wrs(insn, sto)`: `wrs.nto` / `wrs.sto`.
pub const H_WRS: HelperId = HelperId(15);

/// The size of a cache block, for `cbo.*` (as QEMU's `virt` CPUs have
/// it, and the device tree says).
pub const CACHE_BLOCK_BYTES: u64 = 64;

type Ctx<'a, 'b> = HelperCtx<'a, 'b, RiscV>;

/// The table, indexed by the ids above.
pub const HELPERS: &[Helper<RiscV>] = &[
    Helper {
        name: "illegal",
        func: illegal,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "ecall",
        func: ecall,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "ebreak",
        func: ebreak,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "mret",
        func: mret,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "wfi",
        func: wfi,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "csr",
        func: csr,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "lr",
        func: lr,
        leaf: true,
        globals: true,
    },
    Helper {
        name: "sc",
        func: sc,
        leaf: true,
        globals: true,
    },
    Helper {
        name: "amo",
        func: amo,
        leaf: true,
        globals: true,
    },
    Helper {
        name: "sret",
        func: sret,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "sfence_vma",
        func: sfence_vma,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "fp_enable",
        func: fp_enable,
        leaf: true,
        globals: false,
    },
    Helper {
        name: "fp",
        func: fp,
        leaf: true,
        globals: false,
    },
    Helper {
        name: "cbo",
        func: cbo,
        leaf: true,
        globals: true,
    },
    Helper {
        name: "clmul",
        func: clmul,
        leaf: true,
        globals: false,
    },
    Helper {
        name: "wrs",
        func: wrs,
        leaf: false,
        globals: true,
    },
];

fn fp_enable(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    if !fs_enabled(ctx.cpu) {
        return Err(illegal_insn(args[0]));
    }
    if args[1] != 0 {
        set_fs_dirty(ctx.cpu);
    }
    Ok(0)
}

fn fp(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let c = &mut ctx.cpu.csr;
    let (result, flags) =
        crate::float::compute_sticky(args[0], args[1], args[2], args[3], c.frm, c.fflags)
            .map_err(|_| illegal_insn(args[4]))?;
    c.fflags |= flags;
    Ok(result)
}

fn illegal(_: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    Err(Trap::Guest {
        cause: CAUSE_ILLEGAL,
        value: args[0],
    })
}

fn ecall(ctx: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    Err(Trap::Guest {
        cause: CAUSE_ECALL_U + u64::from(ctx.cpu.privilege),
        value: 0,
    })
}

fn ebreak(ctx: &mut Ctx, _: &[u64]) -> Result<u64, Trap> {
    Err(Trap::Guest {
        cause: CAUSE_BREAKPOINT,
        value: ctx.pc,
    })
}

fn illegal_insn(insn: u64) -> Trap {
    Trap::Guest {
        cause: CAUSE_ILLEGAL,
        value: insn,
    }
}

fn mret(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    if ctx.cpu.privilege != PRIV_M {
        return Err(illegal_insn(args[0]));
    }
    let c = &mut ctx.cpu.csr;
    let mpie = c.mstatus & MSTATUS_MPIE != 0;
    let mpp = ((c.mstatus & MSTATUS_MPP) >> 11) as u8;
    c.mstatus = (c.mstatus & !(MSTATUS_MIE | MSTATUS_MPP))
        | if mpie { MSTATUS_MIE } else { 0 }
        | MSTATUS_MPIE;
    if mpp != PRIV_M {
        c.mstatus &= !MSTATUS_MPRV;
    }
    let target = c.mepc;
    ctx.cpu.privilege = mpp;
    ctx.cpu.reservation = None;
    ctx.frontend.sync_mmu(ctx.cpu, ctx.env);
    recheck_interrupts(ctx);
    Ok(target)
}

fn sret(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let tsr = ctx.cpu.csr.mstatus & MSTATUS_TSR != 0;
    if ctx.cpu.privilege == PRIV_U || (ctx.cpu.privilege == PRIV_S && tsr) {
        return Err(illegal_insn(args[0]));
    }
    let c = &mut ctx.cpu.csr;
    let spie = c.mstatus & MSTATUS_SPIE != 0;
    let spp = if c.mstatus & MSTATUS_SPP != 0 {
        PRIV_S
    } else {
        PRIV_U
    };
    c.mstatus = (c.mstatus & !(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV))
        | if spie { MSTATUS_SIE } else { 0 }
        | MSTATUS_SPIE;
    let target = c.sepc;
    ctx.cpu.privilege = spp;
    ctx.cpu.reservation = None;
    ctx.frontend.sync_mmu(ctx.cpu, ctx.env);
    recheck_interrupts(ctx);
    Ok(target)
}

fn wfi(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    // With S mode present, U mode may not wait; S mode may not when TW.
    let tw = ctx.cpu.csr.mstatus & MSTATUS_TW != 0;
    match ctx.cpu.privilege {
        PRIV_U => return Err(illegal_insn(args[0])),
        PRIV_S if tw => return Err(illegal_insn(args[0])),
        _ => {}
    }
    ctx.env.request_halt();
    Ok(0)
}

fn sfence_vma(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let tvm = ctx.cpu.csr.mstatus & MSTATUS_TVM != 0;
    match ctx.cpu.privilege {
        PRIV_U => return Err(illegal_insn(args[0])),
        PRIV_S if tvm => return Err(illegal_insn(args[0])),
        _ => {}
    }
    // rs1 names the one page to flush; x0 means every page. The ASID in
    // rs2 narrows nothing here: translations are not tagged with one.
    match (args[0] >> 15) & 31 {
        0 => crate::mmu::flush(ctx.cpu, ctx.env),
        rs1 => {
            let mut vaddr = ctx.cpu.regs[rs1 as usize];
            if ctx.frontend.xlen == 32 {
                vaddr &= 0xffff_ffff;
            }
            crate::mmu::flush_page(ctx.cpu, ctx.env, vaddr);
        }
    }
    Ok(0)
}

fn csr(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (csr, operand, mode, insn) = (args[0] as u16, args[1], args[2], args[3]);
    let refused = illegal_insn(insn);
    let fe = ctx.frontend;
    let old = fe
        .read_csr(ctx.cpu, ctx.env, ctx.cpu.pending_pins, csr)
        .map_err(|_| refused)?;
    if mode & 4 != 0 {
        let op = match mode & 3 {
            0 => CsrOp::Write,
            1 => CsrOp::Set,
            _ => CsrOp::Clear,
        };
        // Setting or clearing bits of mip/sip works on the software bits,
        // not on what the interrupt pins add.
        let base = match csr {
            CSR_MIP | CSR_SIP => ctx.cpu.csr.mip_sw & old,
            _ => old,
        };
        let new = match op {
            CsrOp::Write => operand,
            CsrOp::Set => base | operand,
            CsrOp::Clear => base & !operand,
        };
        fe.write_csr(ctx.cpu, ctx.env, csr, new)
            .map_err(|_| refused)?;
        // A new root, or memory types allowed or not: translations made
        // before no longer hold.
        if matches!(csr, CSR_SATP | CSR_MENVCFG | CSR_MENVCFGH) {
            crate::mmu::flush(ctx.cpu, ctx.env);
        }
        fe.sync_mmu(ctx.cpu, ctx.env);
        if matches!(
            csr,
            CSR_STIMECMP | CSR_STIMECMPH | CSR_MENVCFG | CSR_MENVCFGH
        ) {
            fe.sync_sstc(ctx.cpu, ctx.env);
        }
        recheck_interrupts(ctx);
    }
    Ok(old)
}

/// After a change of enables, privilege or software-pending bits: an
/// interrupt that may now be taken is, before the next block (the engine
/// looks at the pins by itself, not at `mip`'s software bits).
fn recheck_interrupts(ctx: &mut Ctx) {
    if RiscV::interrupt_to_take(ctx.cpu).is_some() {
        let now = ctx.env.now_ns();
        ctx.env.set_wakeup(now);
    }
}

fn misaligned(vaddr: u64, access: AccessKind) -> Trap {
    Trap::Memory(MemFault {
        vaddr,
        access,
        kind: FaultKind::Misaligned,
    })
}

fn sext32(v: u64, size: u64) -> u64 {
    if size == 4 {
        v as u32 as i32 as i64 as u64
    } else {
        v
    }
}

/// Whether the hart's privilege may run a cache-block operation that
/// `menvcfg`/`senvcfg` gate with `field` (a mask of their bits): M mode
/// always, S mode when `menvcfg` enables it, U mode when both do.
fn cbo_enabled(cpu: &crate::RiscvCpu, field: u64) -> bool {
    let (m, s) = (cpu.csr.menvcfg & field != 0, cpu.csr.senvcfg & field != 0);
    match cpu.privilege {
        PRIV_M => true,
        PRIV_S => m,
        _ => m && s,
    }
}

/// `cbo.*`. Caches are not modelled: clean, flush and invalidate only
/// check that they may run; zero writes the block's 64 zero bytes
/// through the MMU with one translation (a store's permissions and
/// faults; a block never crosses a page, so a fault writes nothing).
fn cbo(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (addr, op, insn) = (args[0], args[1], args[2]);
    let op = CboOp::from_imm(op).ok_or(illegal_insn(insn))?;
    let field = match op {
        CboOp::Zero => crate::csr::ENVCFG_CBZE,
        CboOp::Inval => crate::csr::ENVCFG_CBIE,
        CboOp::Clean | CboOp::Flush => crate::csr::ENVCFG_CBCFE,
    };
    if !cbo_enabled(ctx.cpu, field) {
        return Err(illegal_insn(insn));
    }
    if op == CboOp::Zero {
        let base = addr & !(CACHE_BLOCK_BYTES - 1) & ctx.frontend.mask();
        ctx.zero(base, CACHE_BLOCK_BYTES as usize)?;
    }
    Ok(0)
}

/// The `kind` argument of [`H_CLMUL`]: which half of the product (0 low,
/// 1 high, 2 reversed) and the operands' width in bits above.
pub fn clmul_code(op: Alu, ty: chimera_engine::ir::Ty) -> u64 {
    let half = match op {
        Alu::Clmulh => 1,
        Alu::Clmulr => 2,
        _ => 0,
    };
    let bits = match ty {
        chimera_engine::ir::Ty::I32 => 32,
        chimera_engine::ir::Ty::I64 => 64,
    };
    half | bits << 8
}

/// The carry-less product of `a` and `b`, each of `bits` bits.
pub fn carryless_product(a: u64, b: u64, bits: u32) -> u128 {
    (0..bits)
        .filter(|i| (b >> i) & 1 != 0)
        .fold(0u128, |r, i| r ^ (u128::from(a) << i))
}

fn clmul(_: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (kind, bits) = (args[2] & 0xff, (args[2] >> 8) as u32);
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    let p = carryless_product(args[0] & mask, args[1] & mask, bits);
    let v = match kind {
        0 => p as u64,
        1 => (p >> bits) as u64,
        _ => (p >> (bits - 1)) as u64,
    };
    Ok(v & mask)
}

/// `wrs.nto`/`wrs.sto` (Zawrs): the wait may end at once, and here does
/// (a hart that spins on a reservation set runs on to its next check);
/// `wrs.nto` below M mode is illegal while `mstatus.TW` says so, as `wfi`.
fn wrs(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (insn, sto) = (args[0], args[1] != 0);
    let tw = ctx.cpu.csr.mstatus & MSTATUS_TW != 0;
    if !sto && tw && ctx.cpu.privilege != PRIV_M {
        return Err(illegal_insn(insn));
    }
    Ok(0)
}

fn lr(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (addr, size) = (args[0], args[1]);
    if addr % size != 0 {
        return Err(misaligned(addr, AccessKind::Read));
    }
    let v = ctx.load(addr, size as usize, Endian::Little)?;
    ctx.cpu.reservation = Some((addr, v));
    Ok(sext32(v, size))
}

fn sc(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (addr, value, size) = (args[0], args[1], args[2]);
    if addr % size != 0 {
        return Err(misaligned(addr, AccessKind::Write));
    }
    let reservation = ctx.cpu.reservation.take();
    let Some((_, expected)) = reservation.filter(|(a, _)| *a == addr) else {
        return Ok(1);
    };
    let mask = if size == 4 { 0xffff_ffff } else { u64::MAX };
    let old = ctx.atomic(addr, size as usize, Endian::Little, |old| {
        (old == expected).then_some(value & mask)
    })?;
    Ok(u64::from(old != expected))
}

fn amo(ctx: &mut Ctx, args: &[u64]) -> Result<u64, Trap> {
    let (addr, value, code) = (args[0], args[1], args[2]);
    let size = code >> 8;
    if addr % size != 0 {
        return Err(misaligned(addr, AccessKind::Write));
    }
    let op = amo_op((code & 0xff) as u8);
    let old = ctx.atomic(addr, size as usize, Endian::Little, |old| {
        Some(apply_amo(op, old, value, size))
    })?;
    Ok(sext32(old, size))
}

/// The numbering of [`AmoOp`] in helper arguments.
pub fn amo_code(op: AmoOp) -> u64 {
    op as u64
}

fn amo_op(code: u8) -> AmoOp {
    match code {
        0 => AmoOp::Swap,
        1 => AmoOp::Add,
        2 => AmoOp::Xor,
        3 => AmoOp::And,
        4 => AmoOp::Or,
        5 => AmoOp::Min,
        6 => AmoOp::Max,
        7 => AmoOp::Minu,
        _ => AmoOp::Maxu,
    }
}

/// The new memory value of an AMO of `size` bytes.
pub fn apply_amo(op: AmoOp, old: u64, operand: u64, size: u64) -> u64 {
    let mask = if size == 4 { 0xffff_ffff } else { u64::MAX };
    let (a, b) = (old & mask, operand & mask);
    let (sa, sb) = if size == 4 {
        (a as u32 as i32 as i64, b as u32 as i32 as i64)
    } else {
        (a as i64, b as i64)
    };
    let r = match op {
        AmoOp::Swap => b,
        AmoOp::Add => a.wrapping_add(b),
        AmoOp::Xor => a ^ b,
        AmoOp::And => a & b,
        AmoOp::Or => a | b,
        AmoOp::Min => {
            if sa <= sb {
                a
            } else {
                b
            }
        }
        AmoOp::Max => {
            if sa >= sb {
                a
            } else {
                b
            }
        }
        AmoOp::Minu => a.min(b),
        AmoOp::Maxu => a.max(b),
    };
    r & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_block_operations_below_m_mode_need_their_envcfg_enables() {
        use crate::csr::{ENVCFG_CBIE, ENVCFG_CBZE};
        let mut cpu = crate::RiscvCpu::new(0);
        cpu.privilege = PRIV_M;
        assert!(cbo_enabled(&cpu, ENVCFG_CBZE));
        cpu.privilege = PRIV_S;
        assert!(!cbo_enabled(&cpu, ENVCFG_CBZE));
        cpu.csr.menvcfg = ENVCFG_CBZE | (1 << 4);
        assert!(cbo_enabled(&cpu, ENVCFG_CBZE));
        assert!(cbo_enabled(&cpu, ENVCFG_CBIE));
        cpu.privilege = PRIV_U;
        assert!(!cbo_enabled(&cpu, ENVCFG_CBZE));
        cpu.csr.senvcfg = ENVCFG_CBZE;
        assert!(cbo_enabled(&cpu, ENVCFG_CBZE));
        assert!(!cbo_enabled(&cpu, ENVCFG_CBIE));
    }

    #[test]
    fn amo_arithmetic_at_both_widths() {
        assert_eq!(apply_amo(AmoOp::Add, 0xffff_ffff, 1, 4), 0);
        assert_eq!(apply_amo(AmoOp::Min, 0xffff_ffff, 1, 4), 0xffff_ffff);
        assert_eq!(apply_amo(AmoOp::Minu, 0xffff_ffff, 1, 4), 1);
        assert_eq!(apply_amo(AmoOp::Max, u64::MAX, 1, 8), 1);
        assert_eq!(apply_amo(AmoOp::Maxu, u64::MAX, 1, 8), u64::MAX);
        for (i, op) in [
            AmoOp::Swap,
            AmoOp::Add,
            AmoOp::Xor,
            AmoOp::And,
            AmoOp::Or,
            AmoOp::Min,
            AmoOp::Max,
            AmoOp::Minu,
            AmoOp::Maxu,
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(amo_op(amo_code(op) as u8), op);
            assert_eq!(amo_code(op), i as u64);
        }
    }
}
