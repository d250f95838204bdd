//! The PMSAv7 memory protection unit (ARMv7-M B3.5): eight regions of
//! base, size, subregions, access permissions and execute-never, checked
//! on every access the soft-MMU does not already hold a translation for.
//! A page whose answer is not the same for all its bytes is never held,
//! so regions as small as 32 bytes are enforced exactly.

use chimera_memory::AccessKind;

use crate::scs::Scs;

/// MPU_CTRL.ENABLE.
pub const CTRL_ENABLE: u32 = 1;
/// MPU_CTRL.HFNMIENA: the MPU also applies at negative priorities.
pub const CTRL_HFNMIENA: u32 = 2;
/// MPU_CTRL.PRIVDEFENA: privileged accesses outside every region use the
/// default memory map.
pub const CTRL_PRIVDEFENA: u32 = 4;

/// The Private Peripheral Bus, always under the default memory map.
const PPB: std::ops::Range<u64> = 0xe000_0000..0xe010_0000;

/// What the MPU says of an access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed by a region.
    Region,
    /// Left to the default memory map (MPU off or exempt, the PPB, or a
    /// privileged access outside every region with PRIVDEFENA).
    DefaultMap,
    /// Refused: a MemManage fault.
    Denied,
}

/// One enabled region, decoded.
#[derive(Debug, Clone, Copy)]
struct Region {
    base: u64,
    /// Size in bytes (a power of two, at least 32).
    size: u64,
    /// Subregions disabled (bit n: the n-th eighth), for regions of 256
    /// bytes and more.
    srd: u8,
    ap: u32,
    xn: bool,
}

impl Region {
    fn decode(rbar: u32, rasr: u32) -> Option<Region> {
        if rasr & 1 == 0 {
            return None;
        }
        let size_field = (rasr >> 1) & 0x1f;
        // SIZE below 4 (regions under 32 bytes) is UNPREDICTABLE: taken as 32.
        let size = 1u64 << (size_field.max(4) + 1);
        let srd = if size >= 256 { (rasr >> 8) as u8 } else { 0 };
        Some(Region {
            base: u64::from(rbar & !0x1f) & !(size - 1),
            size,
            srd,
            ap: (rasr >> 24) & 7,
            xn: rasr & (1 << 28) != 0,
        })
    }

    /// Whether the region covers `addr` (in an enabled subregion).
    fn covers(&self, addr: u64) -> bool {
        if addr < self.base || addr - self.base >= self.size {
            return false;
        }
        let sub = (addr - self.base) / (self.size / 8);
        self.srd & (1 << sub) == 0
    }

    /// The boundaries inside the region where coverage may change: its
    /// start, end and subregion edges.
    fn edges(&self) -> impl Iterator<Item = u64> + '_ {
        let step = if self.srd != 0 {
            self.size / 8
        } else {
            self.size
        };
        (0..=self.size / step).map(move |i| self.base + i * step)
    }

    fn allows(&self, privileged: bool, access: AccessKind) -> bool {
        if access == AccessKind::Fetch && self.xn {
            return false;
        }
        let write = access == AccessKind::Write;
        match (self.ap, privileged) {
            (0b001..=0b011, true) => true,
            (0b010, false) => !write,
            (0b011, false) => true,
            (0b101, true) | (0b110, _) | (0b111, _) => !write,
            _ => false,
        }
    }
}

/// The MPU's answer for an access of `access` kind at `addr`, by code
/// that is `privileged` or not; `exempt` when the execution priority is
/// negative (HardFault, NMI, FAULTMASK).
pub fn check(scs: &Scs, addr: u64, access: AccessKind, privileged: bool, exempt: bool) -> Verdict {
    let ctrl = scs.mpu_ctrl;
    if ctrl & CTRL_ENABLE == 0 || (exempt && ctrl & CTRL_HFNMIENA == 0) || PPB.contains(&addr) {
        return Verdict::DefaultMap;
    }
    let hit = regions(scs).filter(|r| r.covers(addr)).last();
    match hit {
        Some(r) if r.allows(privileged, access) => Verdict::Region,
        Some(_) => Verdict::Denied,
        None if privileged && ctrl & CTRL_PRIVDEFENA != 0 => Verdict::DefaultMap,
        None => Verdict::Denied,
    }
}

/// Whether every byte of `[start, end)` gets the same answer: no region
/// or subregion edge falls strictly inside it.
pub fn uniform(scs: &Scs, start: u64, end: u64) -> bool {
    if scs.mpu_ctrl & CTRL_ENABLE == 0 {
        return true;
    }
    let ppb_edge = |e: u64| e > start && e < end;
    if ppb_edge(PPB.start) || ppb_edge(PPB.end) {
        return false;
    }
    regions(scs).all(|r| r.edges().all(|e| e <= start || e >= end))
}

/// The enabled regions, lowest number first (a higher number wins).
fn regions(scs: &Scs) -> impl Iterator<Item = Region> + '_ {
    scs.mpu_regions
        .iter()
        .filter_map(|&(rbar, rasr)| Region::decode(rbar, rasr))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scs_with(ctrl: u32, regions: &[(u32, u32)]) -> Scs {
        let mut scs = Scs::new(0);
        scs.mpu_ctrl = ctrl;
        for (i, r) in regions.iter().enumerate() {
            scs.mpu_regions[i] = *r;
        }
        scs
    }

    /// RASR for a region of 2^(size+1) bytes with `ap`, enabled.
    fn rasr(size: u32, ap: u32) -> u32 {
        (ap << 24) | (size << 1) | 1
    }

    #[test]
    fn permissions_privilege_and_the_highest_region_decide() {
        let scs = scs_with(
            CTRL_ENABLE | CTRL_PRIVDEFENA,
            &[
                (0x2000_0000, rasr(15, 0b011)),           // 64 KiB, full access
                (0x2000_1000, rasr(4, 0b010)),            // 32 bytes, unprivileged read-only
                (0x2000_2000, rasr(7, 0b001) | (1 << 9)), // 256 bytes, privileged only, subregion 1 off
            ],
        );
        let w = AccessKind::Write;
        let r = AccessKind::Read;
        assert_eq!(check(&scs, 0x2000_0010, w, false, false), Verdict::Region);
        assert_eq!(check(&scs, 0x2000_1004, w, false, false), Verdict::Denied);
        assert_eq!(check(&scs, 0x2000_1004, r, false, false), Verdict::Region);
        assert_eq!(check(&scs, 0x2000_1004, w, true, false), Verdict::Region);
        assert_eq!(check(&scs, 0x2000_2000, r, false, false), Verdict::Denied);
        // Subregion 1 of region 2 is off: region 0 answers there.
        assert_eq!(check(&scs, 0x2000_2020, r, false, false), Verdict::Region);
        // Outside every region: default map when privileged, else denied.
        assert_eq!(
            check(&scs, 0x6000_0000, r, true, false),
            Verdict::DefaultMap
        );
        assert_eq!(check(&scs, 0x6000_0000, r, false, false), Verdict::Denied);
        // Negative priority without HFNMIENA, and the PPB: default map.
        assert_eq!(
            check(&scs, 0x2000_1004, w, false, true),
            Verdict::DefaultMap
        );
        assert_eq!(
            check(&scs, 0xe000_ed28, r, false, false),
            Verdict::DefaultMap
        );
        assert!(!uniform(&scs, 0x2000_1000, 0x2000_2000));
        assert!(uniform(&scs, 0x2000_4000, 0x2000_5000));
    }
}
