//! Address translation of a RISC-V hart: the privilege an access is checked
//! at (with `mstatus.MPRV`), the Sv32 and Sv39 page walks with permission
//! checks and hardware A/D updates, and when the engine's soft-MMU must
//! forget what it cached. PMP is not enforced here.

use chimera_engine::{CpuEnv, FaultKind, MemFault, Translation, Trap};
use chimera_memory::AccessKind;

use crate::cpu::RiscvCpu;
use crate::csr::{
    MENVCFG_ADUE, MENVCFG_PBMTE, MSTATUS_MPP, MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM, PRIV_M,
    PRIV_S, PRIV_U,
};
use crate::RiscV;

const PTE_V: u64 = 1 << 0;
const PTE_R: u64 = 1 << 1;
const PTE_W: u64 = 1 << 2;
const PTE_X: u64 = 1 << 3;
const PTE_U: u64 = 1 << 4;
const PTE_A: u64 = 1 << 6;
const PTE_D: u64 = 1 << 7;

/// A page-table format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PagingMode {
    /// RV32: two levels of 4-byte entries, 34-bit physical addresses.
    Sv32,
    /// RV64: three levels of 8-byte entries, 39-bit virtual addresses.
    Sv39,
    /// RV64: four levels, 48-bit virtual addresses.
    Sv48,
    /// RV64: five levels, 57-bit virtual addresses.
    Sv57,
}

impl PagingMode {
    fn levels(self) -> u32 {
        match self {
            PagingMode::Sv32 => 2,
            PagingMode::Sv39 => 3,
            PagingMode::Sv48 => 4,
            PagingMode::Sv57 => 5,
        }
    }

    fn vpn_bits(self) -> u32 {
        match self {
            PagingMode::Sv32 => 10,
            _ => 9,
        }
    }

    fn pte_size(self) -> usize {
        match self {
            PagingMode::Sv32 => 4,
            _ => 8,
        }
    }

    /// The PPN field of a PTE.
    fn pte_ppn(self, pte: u64) -> u64 {
        match self {
            PagingMode::Sv32 => (pte >> 10) & ((1 << 22) - 1),
            _ => (pte >> 10) & ((1 << 44) - 1),
        }
    }

    /// Whether a PTE's bits above the PPN are set where they may not be:
    /// reserved bits, Svnapot's N (not implemented), and Svpbmt's PBMT
    /// unless `pbmte` (`menvcfg.PBMTE`) allows it, and then not its
    /// reserved value 3.
    fn reserved(self, pte: u64, pbmte: bool) -> bool {
        match self {
            PagingMode::Sv32 => false,
            _ => {
                let pbmt = (pte >> 61) & 3;
                let others = (pte >> 54) & !(3 << 7);
                others != 0 || (pbmt != 0 && (!pbmte || pbmt == 3))
            }
        }
    }
}

/// The paging mode `satp` selects, if any, and the root table's address.
pub fn satp_mode(xlen: u32, satp: u64) -> Option<(PagingMode, u64)> {
    if xlen == 32 {
        (satp & (1 << 31) != 0).then_some((PagingMode::Sv32, (satp & 0x3f_ffff) << 12))
    } else {
        let mode = match satp >> 60 {
            8 => PagingMode::Sv39,
            9 => PagingMode::Sv48,
            10 => PagingMode::Sv57,
            _ => return None,
        };
        Some((mode, (satp & ((1 << 44) - 1)) << 12))
    }
}

/// One translation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// The page-table format.
    pub mode: PagingMode,
    /// Physical address of the root table.
    pub root: u64,
    /// The privilege the access is checked at (user or supervisor).
    pub privilege: u8,
    /// `mstatus.SUM`: supervisor may read and write user pages.
    pub sum: bool,
    /// `mstatus.MXR`: loads may read execute-only pages.
    pub mxr: bool,
    /// Whether the walker sets A and D itself (else a clear A, or a clear
    /// D on a store, is a page fault).
    pub update_ad: bool,
    /// A debugger's look: any valid leaf answers, whatever its
    /// permissions, and A and D stay as they are.
    pub debug: bool,
    /// `menvcfg.PBMTE`: PTEs may carry Svpbmt memory types (which change
    /// nothing here: the emulation has no caches to bypass).
    pub pbmte: bool,
}

/// Why a walk failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkError {
    /// No valid mapping, or the mapping forbids the access: a page fault.
    Page,
    /// A page-table entry could not be read or written: an access fault.
    Access,
}

/// Physical memory as the page walker sees it.
pub trait PteMemory {
    /// Reads `size` bytes at `addr`, little-endian.
    fn read(&mut self, addr: u64, size: usize) -> Option<u64>;
    /// Writes `size` bytes at `addr`, little-endian.
    fn write(&mut self, addr: u64, size: usize, value: u64) -> Option<()>;
}

struct EnvMemory<'a, 'b>(&'a CpuEnv<'b>);

impl PteMemory for EnvMemory<'_, '_> {
    fn read(&mut self, addr: u64, size: usize) -> Option<u64> {
        self.0.phys_read(addr, size, AccessKind::Read).ok()
    }

    fn write(&mut self, addr: u64, size: usize, value: u64) -> Option<()> {
        self.0.phys_write(addr, size, value).ok()
    }
}

/// Walks the page table for `vaddr`, checks `access` against the leaf and
/// updates its A/D bits; returns the physical address.
pub fn walk(
    mem: &mut impl PteMemory,
    w: &Walk,
    vaddr: u64,
    access: AccessKind,
) -> Result<u64, WalkError> {
    let bits = w.mode.vpn_bits();
    let levels = w.mode.levels();
    if w.mode != PagingMode::Sv32 {
        // The bits above the virtual address must all equal its top bit.
        let top = (vaddr as i64) >> (11 + bits * levels);
        if top != 0 && top != -1 {
            return Err(WalkError::Page);
        }
    }
    let mut table = w.root;
    for level in (0..levels).rev() {
        let vpn = (vaddr >> (12 + bits * level)) & ((1 << bits) - 1);
        let pte_addr = table.wrapping_add(vpn * w.mode.pte_size() as u64);
        let mut pte = mem
            .read(pte_addr, w.mode.pte_size())
            .ok_or(WalkError::Access)?;
        if pte & PTE_V == 0
            || (pte & PTE_R == 0 && pte & PTE_W != 0)
            || w.mode.reserved(pte, w.pbmte)
        {
            return Err(WalkError::Page);
        }
        let ppn = w.mode.pte_ppn(pte);
        if pte & (PTE_R | PTE_X) == 0 {
            // A pointer to the next level; D, A and U must be clear.
            if level == 0 || pte & (PTE_D | PTE_A | PTE_U) != 0 {
                return Err(WalkError::Page);
            }
            table = ppn << 12;
            continue;
        }
        if !w.debug {
            check_leaf(w, pte, access)?;
        }
        // A superpage's low PPN fields must be zero.
        let low_mask = (1u64 << (bits * level)) - 1;
        if ppn & low_mask != 0 {
            return Err(WalkError::Page);
        }
        let wanted = PTE_A
            | if access == AccessKind::Write {
                PTE_D
            } else {
                0
            };
        if pte & wanted != wanted && !w.debug {
            if !w.update_ad {
                return Err(WalkError::Page);
            }
            pte |= wanted;
            mem.write(pte_addr, w.mode.pte_size(), pte)
                .ok_or(WalkError::Access)?;
        }
        let page = (ppn | ((vaddr >> 12) & low_mask)) << 12;
        return Ok(page | (vaddr & 0xfff));
    }
    Err(WalkError::Page)
}

fn check_leaf(w: &Walk, pte: u64, access: AccessKind) -> Result<(), WalkError> {
    let user_page = pte & PTE_U != 0;
    match w.privilege {
        PRIV_U if !user_page => return Err(WalkError::Page),
        PRIV_S if user_page && (access == AccessKind::Fetch || !w.sum) => {
            return Err(WalkError::Page)
        }
        _ => {}
    }
    let allowed = match access {
        AccessKind::Fetch => pte & PTE_X != 0,
        AccessKind::Read => pte & PTE_R != 0 || (w.mxr && pte & PTE_X != 0),
        AccessKind::Write => pte & PTE_W != 0,
    };
    if allowed {
        Ok(())
    } else {
        Err(WalkError::Page)
    }
}

/// What translations are made under: the engine's cached ones stay valid
/// only while this stays the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum MmuContext {
    /// Fetches and data accesses are untranslated.
    #[default]
    Bare,
    /// Some accesses go through page tables.
    Paged {
        /// Privilege of fetches.
        fetch: u8,
        /// Privilege of loads and stores (after MPRV).
        data: u8,
        /// `satp`.
        satp: u64,
        /// `mstatus.SUM`.
        sum: bool,
        /// `mstatus.MXR`.
        mxr: bool,
        /// `menvcfg.ADUE`.
        adue: bool,
    },
}

impl MmuContext {
    /// The soft-MMU's name for this context ([`chimera_engine::Mmu::select`]).
    pub fn key(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut h);
        h.finish()
    }
}

impl RiscV {
    /// The privilege loads and stores are checked at: MPP when MPRV is set
    /// in machine mode.
    pub fn data_privilege(&self, cpu: &RiscvCpu) -> u8 {
        let s = cpu.csr.mstatus;
        if cpu.privilege == PRIV_M && s & MSTATUS_MPRV != 0 {
            ((s & MSTATUS_MPP) >> 11) as u8
        } else {
            cpu.privilege
        }
    }

    /// The context the hart's translations depend on now.
    pub fn mmu_context(&self, cpu: &RiscvCpu) -> MmuContext {
        let fetch = cpu.privilege;
        let data = self.data_privilege(cpu);
        let c = &cpu.csr;
        if (fetch == PRIV_M && data == PRIV_M) || satp_mode(self.xlen, c.satp).is_none() {
            return MmuContext::Bare;
        }
        MmuContext::Paged {
            fetch,
            data,
            satp: c.satp,
            sum: c.mstatus & MSTATUS_SUM != 0,
            mxr: c.mstatus & MSTATUS_MXR != 0,
            adue: c.menvcfg & MENVCFG_ADUE != 0,
        }
    }

    /// Switches the soft-MMU to the table of the context translations
    /// now depend on (privilege, `satp`, MPRV/MPP, SUM, MXR, ADUE) when it
    /// changed: each context keeps its own cached translations, which
    /// hold until `sfence.vma` or a `satp` write flushes them.
    pub fn sync_mmu(&self, cpu: &mut RiscvCpu, env: &mut CpuEnv) {
        let now = self.mmu_context(cpu);
        if now != cpu.mmu_context {
            cpu.mmu_context = now;
            // The last fetch translation was made at the old privilege.
            cpu.fetch_page = None;
            env.mmu.select(now.key());
        }
    }

    /// Translates `vaddr` for `access` at the hart's current privilege.
    pub fn translate_vaddr(
        &self,
        cpu: &mut RiscvCpu,
        env: &mut CpuEnv,
        vaddr: u64,
        access: AccessKind,
    ) -> Result<Translation, Trap> {
        let vaddr = if self.xlen == 32 {
            vaddr & 0xffff_ffff
        } else {
            vaddr
        };
        let privilege = if access == AccessKind::Fetch {
            cpu.privilege
        } else {
            self.data_privilege(cpu)
        };
        let c = &cpu.csr;
        let paging = satp_mode(self.xlen, c.satp).filter(|_| privilege != PRIV_M);
        let Some((mode, root)) = paging else {
            return Ok(Translation {
                paddr: vaddr,
                cacheable: true,
            });
        };
        if access == AccessKind::Fetch {
            if let Some((vpage, ppage)) = cpu.fetch_page {
                if vpage == vaddr >> 12 {
                    return Ok(Translation {
                        paddr: (ppage << 12) | (vaddr & 0xfff),
                        cacheable: true,
                    });
                }
            }
        }
        let w = Walk {
            mode,
            root,
            privilege: privilege.min(PRIV_S),
            sum: c.mstatus & MSTATUS_SUM != 0,
            mxr: c.mstatus & MSTATUS_MXR != 0,
            update_ad: c.menvcfg & MENVCFG_ADUE != 0,
            debug: false,
            pbmte: c.menvcfg & MENVCFG_PBMTE != 0,
        };
        debug_assert!(privilege == PRIV_U || privilege == PRIV_S);
        match walk(&mut EnvMemory(env), &w, vaddr, access) {
            Ok(paddr) => {
                if access == AccessKind::Fetch {
                    cpu.fetch_page = Some((vaddr >> 12, paddr >> 12));
                }
                Ok(Translation {
                    paddr,
                    cacheable: true,
                })
            }
            Err(e) => Err(Trap::Memory(MemFault {
                vaddr,
                access,
                kind: match e {
                    WalkError::Page => FaultKind::Page,
                    WalkError::Access => FaultKind::Bus(chimera_memory::BusErrorKind::Unmapped),
                },
            })),
        }
    }
}

impl RiscV {
    /// Where a debugger's access to `vaddr` lands, with the translation
    /// the hart's loads use now, without touching the page tables or the
    /// cached translations.
    pub fn debug_vaddr(&self, cpu: &RiscvCpu, env: &mut CpuEnv, vaddr: u64) -> Option<u64> {
        let vaddr = if self.xlen == 32 {
            vaddr & 0xffff_ffff
        } else {
            vaddr
        };
        let privilege = self.data_privilege(cpu);
        let c = &cpu.csr;
        let Some((mode, root)) = satp_mode(self.xlen, c.satp).filter(|_| privilege != PRIV_M)
        else {
            return Some(vaddr);
        };
        let w = Walk {
            mode,
            root,
            privilege: privilege.min(PRIV_S),
            sum: true,
            mxr: true,
            update_ad: false,
            debug: true,
            pbmte: true,
        };
        walk(&mut EnvMemory(env), &w, vaddr, AccessKind::Read).ok()
    }
}

/// Forgets every cached translation (`sfence.vma`, `satp` writes).
pub fn flush(cpu: &mut RiscvCpu, env: &mut CpuEnv) {
    cpu.fetch_page = None;
    env.mmu.flush();
}

/// Forgets the cached translations of the page holding `vaddr`
/// (`sfence.vma` with an address).
pub fn flush_page(cpu: &mut RiscvCpu, env: &mut CpuEnv, vaddr: u64) {
    if cpu
        .fetch_page
        .is_some_and(|(vpage, _)| vpage == vaddr >> 12)
    {
        cpu.fetch_page = None;
    }
    env.mmu.flush_page(vaddr);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimera_memory::{Endian, Ram};

    const BASE: u64 = 0x8000_0000;

    struct TestRam(Ram);

    impl PteMemory for TestRam {
        fn read(&mut self, addr: u64, size: usize) -> Option<u64> {
            self.0.read(addr.checked_sub(BASE)?, size, Endian::Little)
        }

        fn write(&mut self, addr: u64, size: usize, value: u64) -> Option<()> {
            self.0
                .write(addr.checked_sub(BASE)?, size, Endian::Little, value)
        }
    }

    fn ram() -> TestRam {
        TestRam(Ram::new(0x10_0000))
    }

    fn pte(paddr: u64, flags: u64) -> u64 {
        ((paddr >> 12) << 10) | flags
    }

    fn sv39(root: u64, privilege: u8) -> Walk {
        Walk {
            mode: PagingMode::Sv39,
            root,
            privilege,
            sum: false,
            mxr: false,
            update_ad: true,
            debug: false,
            pbmte: false,
        }
    }

    /// Root at BASE, a level-1 table at BASE+0x1000, a leaf table at
    /// BASE+0x2000 mapping virtual 0x4000_0000+n*4K.
    fn sv39_tables(m: &mut TestRam) {
        let root = BASE;
        // vaddr 0x4000_0000: VPN2 = 1.
        m.write(root + 8, 8, pte(BASE + 0x1000, PTE_V)).unwrap();
        m.write(BASE + 0x1000, 8, pte(BASE + 0x2000, PTE_V))
            .unwrap();
        // VPN2 = 2: a 1 GiB superpage at 0x8000_0000, supervisor RWX.
        m.write(root + 16, 8, pte(BASE, PTE_V | PTE_R | PTE_W | PTE_X))
            .unwrap();
        // VPN2 = 3: a misaligned gigapage.
        m.write(root + 24, 8, pte(BASE + 0x1000, PTE_V | PTE_R))
            .unwrap();
    }

    #[test]
    fn a_debugger_walk_sees_any_valid_leaf_and_leaves_accessed_and_dirty_alone() {
        let mut m = ram();
        sv39_tables(&mut m);
        let leaf = BASE + 0x2000 + 3 * 8;
        // Execute-only, user, never accessed: a supervisor load would fault.
        m.write(leaf, 8, pte(BASE + 0x9000, PTE_V | PTE_X | PTE_U))
            .unwrap();
        let w = Walk {
            debug: true,
            update_ad: false,
            ..sv39(BASE, PRIV_S)
        };
        assert_eq!(
            walk(&mut m, &w, 0x4000_3123, AccessKind::Read),
            Ok(BASE + 0x9123)
        );
        assert_eq!(m.read(leaf, 8).unwrap() & (PTE_A | PTE_D), 0);
        m.write(leaf, 8, 0).unwrap();
        assert!(walk(&mut m, &w, 0x4000_3123, AccessKind::Read).is_err());
    }

    #[test]
    fn sv39_walk_maps_a_4k_page_and_sets_accessed_and_dirty() {
        let mut m = ram();
        sv39_tables(&mut m);
        let leaf = BASE + 0x2000 + 3 * 8;
        m.write(leaf, 8, pte(BASE + 0x9000, PTE_V | PTE_R | PTE_W))
            .unwrap();
        let w = sv39(BASE, PRIV_S);
        let va = 0x4000_3abc;
        assert_eq!(walk(&mut m, &w, va, AccessKind::Read), Ok(BASE + 0x9abc));
        let e = m.read(leaf, 8).unwrap();
        assert_eq!(e & (PTE_A | PTE_D), PTE_A, "a load sets A only");
        assert_eq!(walk(&mut m, &w, va, AccessKind::Write), Ok(BASE + 0x9abc));
        assert_eq!(m.read(leaf, 8).unwrap() & PTE_D, PTE_D, "a store sets D");
        assert_eq!(
            walk(&mut m, &w, va, AccessKind::Fetch),
            Err(WalkError::Page),
            "not executable"
        );
    }

    #[test]
    fn sv39_without_hardware_update_faults_on_clear_accessed() {
        let mut m = ram();
        sv39_tables(&mut m);
        m.write(
            BASE + 0x2000,
            8,
            pte(BASE + 0x9000, PTE_V | PTE_R | PTE_W | PTE_A),
        )
        .unwrap();
        let w = Walk {
            update_ad: false,
            debug: false,
            ..sv39(BASE, PRIV_S)
        };
        assert_eq!(
            walk(&mut m, &w, 0x4000_0000, AccessKind::Read),
            Ok(BASE + 0x9000)
        );
        assert_eq!(
            walk(&mut m, &w, 0x4000_0000, AccessKind::Write),
            Err(WalkError::Page)
        );
    }

    #[test]
    fn sv39_superpage_keeps_low_virtual_bits_and_checks_alignment() {
        let mut m = ram();
        sv39_tables(&mut m);
        let w = sv39(BASE, PRIV_S);
        assert_eq!(
            walk(&mut m, &w, 0x8012_3456, AccessKind::Fetch),
            Ok(0x8012_3456)
        );
        assert_eq!(
            walk(&mut m, &w, 0xc000_0000, AccessKind::Read),
            Err(WalkError::Page),
            "misaligned superpage"
        );
    }

    #[test]
    fn pbmt_is_allowed_only_with_pbmte_and_never_its_reserved_value() {
        // The privileged spec's walk: a reserved encoding set in a PTE is
        // a page fault. (QEMU 10 with svpbmt=true reads through PBMT=3.)
        let pbmt = |t: u64| PagingMode::Sv39.reserved(t << 61, true);
        assert!(!pbmt(1) && !pbmt(2));
        assert!(pbmt(3));
        assert!(PagingMode::Sv39.reserved(1 << 61, false));
        assert!(
            PagingMode::Sv39.reserved(1 << 63, true),
            "N without Svnapot"
        );
        assert!(PagingMode::Sv39.reserved(1 << 54, true));
        assert!(!PagingMode::Sv32.reserved(u64::from(u32::MAX), true));
    }

    #[test]
    fn sv39_rejects_non_canonical_addresses_and_invalid_entries() {
        let mut m = ram();
        sv39_tables(&mut m);
        let w = sv39(BASE, PRIV_S);
        assert_eq!(
            walk(&mut m, &w, 0x0000_0080_0000_0000, AccessKind::Read),
            Err(WalkError::Page)
        );
        assert_eq!(
            walk(&mut m, &w, 0x4000_5000, AccessKind::Read),
            Err(WalkError::Page),
            "leaf entry not valid"
        );
        m.write(BASE + 0x2000, 8, pte(BASE, PTE_V | PTE_W)).unwrap();
        assert_eq!(
            walk(&mut m, &w, 0x4000_0000, AccessKind::Read),
            Err(WalkError::Page),
            "W without R is reserved"
        );
    }

    #[test]
    fn user_bit_sum_and_mxr_decide_access() {
        let mut m = ram();
        sv39_tables(&mut m);
        m.write(
            BASE + 0x2000,
            8,
            pte(BASE + 0x9000, PTE_V | PTE_R | PTE_X | PTE_U),
        )
        .unwrap();
        m.write(BASE + 0x2008, 8, pte(BASE + 0xa000, PTE_V | PTE_X | PTE_U))
            .unwrap();
        let user = sv39(BASE, PRIV_U);
        let sup = sv39(BASE, PRIV_S);
        assert!(walk(&mut m, &user, 0x4000_0000, AccessKind::Fetch).is_ok());
        assert_eq!(
            walk(&mut m, &sup, 0x4000_0000, AccessKind::Read),
            Err(WalkError::Page),
            "supervisor reads of user pages need SUM"
        );
        let sum = Walk { sum: true, ..sup };
        assert!(walk(&mut m, &sum, 0x4000_0000, AccessKind::Read).is_ok());
        assert_eq!(
            walk(&mut m, &sum, 0x4000_0000, AccessKind::Fetch),
            Err(WalkError::Page),
            "supervisor never executes user pages"
        );
        assert_eq!(
            walk(&mut m, &user, 0x4000_1000, AccessKind::Read),
            Err(WalkError::Page),
            "execute-only"
        );
        let mxr = Walk { mxr: true, ..user };
        assert_eq!(
            walk(&mut m, &mxr, 0x4000_1000, AccessKind::Read),
            Ok(BASE + 0xa000)
        );
        assert_eq!(
            walk(&mut m, &user, 0x8000_0000, AccessKind::Read),
            Err(WalkError::Page),
            "user cannot touch supervisor pages"
        );
    }

    #[test]
    fn unreadable_page_table_is_an_access_fault() {
        let mut m = ram();
        let w = sv39(0x1000, PRIV_S);
        assert_eq!(
            walk(&mut m, &w, 0x4000_0000, AccessKind::Read),
            Err(WalkError::Access)
        );
    }

    #[test]
    fn sv32_walk_maps_4k_and_4m_pages() {
        let mut m = ram();
        let root = BASE;
        // vaddr 0x4000_0000: VPN1 = 0x100, pointing at a leaf table.
        m.write(root + 0x100 * 4, 4, pte(BASE + 0x1000, PTE_V))
            .unwrap();
        m.write(
            BASE + 0x1000 + 5 * 4,
            4,
            pte(BASE + 0x7000, PTE_V | PTE_R | PTE_U),
        )
        .unwrap();
        // vaddr 0xc000_0000: VPN1 = 0x300, a 4 MiB megapage at 0x8040_0000.
        m.write(root + 0x300 * 4, 4, pte(0x8040_0000, PTE_V | PTE_R | PTE_W))
            .unwrap();
        // VPN1 = 0x301: a misaligned megapage.
        m.write(root + 0x301 * 4, 4, pte(0x8040_1000, PTE_V | PTE_R))
            .unwrap();
        let w = Walk {
            mode: PagingMode::Sv32,
            ..sv39(root, PRIV_U)
        };
        assert_eq!(
            walk(&mut m, &w, 0x4000_5123, AccessKind::Read),
            Ok(BASE + 0x7123)
        );
        assert_eq!(
            walk(&mut m, &w, 0x4000_5123, AccessKind::Write),
            Err(WalkError::Page)
        );
        let s = Walk {
            privilege: PRIV_S,
            ..w
        };
        assert_eq!(
            walk(&mut m, &s, 0xc012_3456, AccessKind::Write),
            Ok(0x8052_3456)
        );
        assert_eq!(
            m.read(root + 0x300 * 4, 4).unwrap() & (PTE_A | PTE_D),
            PTE_A | PTE_D
        );
        assert_eq!(
            walk(&mut m, &s, 0xc040_0000, AccessKind::Read),
            Err(WalkError::Page)
        );
    }

    #[test]
    fn satp_selects_the_mode_by_width() {
        assert_eq!(satp_mode(64, 0), None);
        assert_eq!(
            satp_mode(64, (8 << 60) | 0x80001),
            Some((PagingMode::Sv39, 0x8000_1000))
        );
        assert_eq!(satp_mode(64, 9 << 60), Some((PagingMode::Sv48, 0)));
        assert_eq!(satp_mode(64, 10 << 60), Some((PagingMode::Sv57, 0)));
        assert_eq!(satp_mode(64, 11 << 60), None);
        assert_eq!(
            satp_mode(32, (1 << 31) | 0x80001),
            Some((PagingMode::Sv32, 0x8000_1000))
        );
    }
}
