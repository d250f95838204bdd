//! Address spaces: buses on which regions are mapped at addresses with
//! priorities, and the accesses made on them.
//!
//! Mappings may overlap when their priorities differ (the higher wins where
//! they overlap); two mappings that overlap at equal priority are refused
//! when mapped. Lookups go through a flat view of non-overlapping segments
//! rebuilt on every map, so an access costs one binary search.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::{
    AccessKind, BusError, BusErrorKind, Endian, GuestAddr, MmioCtx, Ram, Region, RegionKind,
};

/// Aliases may point into spaces that alias further; deeper than this is a
/// loop in the machine's description.
const MAX_ALIAS_DEPTH: u32 = 8;

/// Why a region could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The region is empty or runs past the end of the address range.
    #[error("region `{name}` of {size:#x} bytes at {base:#x} does not fit in the address range")]
    OutOfRange {
        /// The region.
        name: String,
        /// Where it was to go.
        base: u64,
        /// Its size.
        size: u64,
    },
    /// Two regions overlap at the same priority.
    #[error("region `{name}` at {base:#x}..={last:#x} overlaps `{other}` at {other_base:#x}..={other_last:#x} at the same priority {priority}")]
    Overlap {
        /// The region being mapped.
        name: String,
        /// Its first address.
        base: u64,
        /// Its last address.
        last: u64,
        /// The region already there.
        other: String,
        /// Its first address.
        other_base: u64,
        /// Its last address.
        other_last: u64,
        /// The priority both have.
        priority: i32,
    },
}

#[derive(Debug, Clone)]
struct Mapping {
    base: u64,
    last: u64,
    priority: i32,
    region: Region,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    first: u64,
    last: u64,
    mapping: usize,
}

/// A page of RAM as the soft-MMU caches it: the block, and where in it the
/// page starts.
#[derive(Debug, Clone)]
pub struct RamPage {
    /// The backing block.
    pub ram: Arc<Ram>,
    /// Offset of the page's first byte in the block.
    pub offset: u64,
    /// Whether guest writes are allowed.
    pub writable: bool,
}

/// A bus with regions mapped on it.
#[derive(Debug, Clone)]
pub struct AddressSpace {
    name: String,
    mappings: Vec<Mapping>,
    flat: Vec<Segment>,
}

impl AddressSpace {
    /// An empty space.
    pub fn new(name: &str) -> Self {
        AddressSpace {
            name: name.to_string(),
            mappings: Vec::new(),
            flat: Vec::new(),
        }
    }

    /// The space's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Maps `region` at `base` with `priority`.
    pub fn map(&mut self, base: u64, region: Region, priority: i32) -> Result<(), MapError> {
        self.add_mapping(base, region, priority)?;
        self.rebuild();
        Ok(())
    }

    /// Maps every `(base, region, priority)` of `maps` and builds the flat
    /// view once, for a machine's thousands of mappings. On an error, the
    /// index of the mapping that failed; the ones before it stay mapped.
    pub fn map_all(
        &mut self,
        maps: impl IntoIterator<Item = (u64, Region, i32)>,
    ) -> Result<(), (usize, MapError)> {
        let result = maps
            .into_iter()
            .enumerate()
            .try_for_each(|(i, (base, region, priority))| {
                self.add_mapping(base, region, priority).map_err(|e| (i, e))
            });
        self.rebuild();
        result
    }

    fn add_mapping(&mut self, base: u64, region: Region, priority: i32) -> Result<(), MapError> {
        let last = GuestAddr(base)
            .last_of(region.size())
            .ok_or_else(|| MapError::OutOfRange {
                name: region.name().to_string(),
                base,
                size: region.size(),
            })?
            .get();
        if let Some(other) = self
            .mappings
            .iter()
            .find(|m| m.priority == priority && m.base <= last && base <= m.last)
        {
            return Err(MapError::Overlap {
                name: region.name().to_string(),
                base,
                last,
                other: other.region.name().to_string(),
                other_base: other.base,
                other_last: other.last,
                priority,
            });
        }
        self.mappings.push(Mapping {
            base,
            last,
            priority,
            region,
        });
        Ok(())
    }

    /// Recomputes the flat view: for every stretch between region edges,
    /// the highest-priority mapping that covers it (of equal priorities,
    /// which cannot overlap, the later). One sweep over the sorted edges
    /// with the mappings in force kept ordered: O(n log n).
    fn rebuild(&mut self) {
        // (address, starts here, mapping)
        let mut edges: Vec<(u64, bool, usize)> = Vec::with_capacity(self.mappings.len() * 2);
        for (i, m) in self.mappings.iter().enumerate() {
            edges.push((m.base, true, i));
            if let Some(next) = m.last.checked_add(1) {
                edges.push((next, false, i));
            }
        }
        edges.sort_unstable();
        let mut active: BTreeSet<(i32, usize)> = BTreeSet::new();
        let mut flat: Vec<Segment> = Vec::new();
        let mut k = 0;
        while k < edges.len() {
            let first = edges[k].0;
            while let Some(&(at, starts, i)) = edges.get(k).filter(|e| e.0 == first) {
                debug_assert_eq!(at, first);
                let key = (self.mappings[i].priority, i);
                if starts {
                    active.insert(key);
                } else {
                    active.remove(&key);
                }
                k += 1;
            }
            let last = edges.get(k).map_or(u64::MAX, |e| e.0 - 1);
            let Some(&(_, mapping)) = active.last() else {
                continue;
            };
            match flat.last_mut() {
                Some(prev) if prev.mapping == mapping && prev.last.wrapping_add(1) == first => {
                    prev.last = last;
                }
                _ => flat.push(Segment {
                    first,
                    last,
                    mapping,
                }),
            }
        }
        self.flat = flat;
    }

    fn segment(&self, addr: u64) -> Option<&Segment> {
        let i = self.flat.partition_point(|s| s.last < addr);
        self.flat.get(i).filter(|s| s.first <= addr)
    }

    /// Finds the region at `addr` for an access of `size` bytes, and the
    /// offset into it.
    fn resolve(
        &self,
        addr: u64,
        size: usize,
        access: AccessKind,
    ) -> Result<(&Region, u64), BusError> {
        let fail = |kind| BusError {
            addr,
            size,
            access,
            kind,
        };
        let seg = self.segment(addr).ok_or(fail(BusErrorKind::Unmapped))?;
        let end = addr
            .checked_add(size as u64 - 1)
            .ok_or(fail(BusErrorKind::Straddle))?;
        if end > seg.last {
            return Err(fail(BusErrorKind::Straddle));
        }
        let m = &self.mappings[seg.mapping];
        Ok((&m.region, addr - m.base))
    }

    /// Reads `size` bytes (1, 2, 4 or 8) at `addr` in byte order `endian`.
    pub fn read(
        &self,
        ctx: &MmioCtx,
        addr: u64,
        size: usize,
        endian: Endian,
        access: AccessKind,
    ) -> Result<u64, BusError> {
        self.read_at_depth(ctx, addr, size, endian, access, 0)
    }

    fn read_at_depth(
        &self,
        ctx: &MmioCtx,
        addr: u64,
        size: usize,
        endian: Endian,
        access: AccessKind,
        depth: u32,
    ) -> Result<u64, BusError> {
        let (region, offset) = self.resolve(addr, size, access)?;
        let fail = |kind| BusError {
            addr,
            size,
            access,
            kind,
        };
        match region.kind() {
            RegionKind::Ram {
                ram, offset: base, ..
            } => ram
                .read(base + offset, size, endian)
                .ok_or(fail(BusErrorKind::Unmapped)),
            RegionKind::Alias {
                space,
                offset: target,
            } => {
                if depth >= MAX_ALIAS_DEPTH {
                    return Err(fail(BusErrorKind::AliasDepth));
                }
                space.read_at_depth(ctx, target + offset, size, endian, access, depth + 1)
            }
            RegionKind::Mmio {
                handler,
                endian: dev,
            } => {
                let value = handler
                    .read(ctx, offset, size)
                    .ok_or(fail(BusErrorKind::Device))?;
                Ok(swap_if(value, size, endian, *dev))
            }
        }
    }

    /// Reads `size` bytes at `addr` when they are RAM or ROM (directly or
    /// through aliases), as [`AddressSpace::read`] would; `None` for
    /// anything else. Page walks read their tables this way first: a
    /// device read needs the time of the access, which costs more to
    /// work out than the walk.
    pub fn read_plain(&self, addr: u64, size: usize, endian: Endian) -> Option<u64> {
        let (ram, offset, _) = self.plain_ram(addr, size, 0)?;
        ram.read(offset, size, endian)
    }

    /// Writes the low `size` bytes of `value` at `addr` in byte order
    /// `endian`.
    pub fn write(
        &self,
        ctx: &MmioCtx,
        addr: u64,
        size: usize,
        endian: Endian,
        value: u64,
    ) -> Result<(), BusError> {
        self.write_at_depth(ctx, addr, size, endian, value, false, 0)
    }

    #[allow(clippy::too_many_arguments)]
    fn write_at_depth(
        &self,
        ctx: &MmioCtx,
        addr: u64,
        size: usize,
        endian: Endian,
        value: u64,
        loader: bool,
        depth: u32,
    ) -> Result<(), BusError> {
        let access = AccessKind::Write;
        let (region, offset) = self.resolve(addr, size, access)?;
        let fail = |kind| BusError {
            addr,
            size,
            access,
            kind,
        };
        match region.kind() {
            RegionKind::Ram {
                read_only: true, ..
            } if !loader => Err(fail(BusErrorKind::ReadOnly)),
            RegionKind::Ram {
                ram, offset: base, ..
            } => ram
                .write(base + offset, size, endian, value)
                .ok_or(fail(BusErrorKind::Unmapped)),
            RegionKind::Alias {
                space,
                offset: target,
            } => {
                if depth >= MAX_ALIAS_DEPTH {
                    return Err(fail(BusErrorKind::AliasDepth));
                }
                space.write_at_depth(ctx, target + offset, size, endian, value, loader, depth + 1)
            }
            RegionKind::Mmio {
                handler,
                endian: dev,
            } => handler
                .write(ctx, offset, size, swap_if(value, size, endian, *dev))
                .ok_or(fail(BusErrorKind::Device)),
        }
    }

    /// Copies guest memory out, byte by byte, as a debugger would.
    pub fn read_bytes(&self, ctx: &MmioCtx, addr: u64, out: &mut [u8]) -> Result<(), BusError> {
        for (i, b) in out.iter_mut().enumerate() {
            let a = addr.wrapping_add(i as u64);
            *b = self.read(ctx, a, 1, Endian::Little, AccessKind::Read)? as u8;
        }
        Ok(())
    }

    /// Copies bytes into guest memory as a loader does: ROM is writable
    /// this way, devices are not.
    pub fn load_bytes(&self, addr: u64, data: &[u8]) -> Result<(), BusError> {
        self.walk_ram(addr, data.len() as u64, 0, &mut |ram, offset, done, len| {
            let chunk = &data[done as usize..(done + len) as usize];
            ram.write_bytes(offset, chunk).is_some()
        })
    }

    /// Reads RAM or ROM (directly or through aliases) as a debugger does:
    /// nothing else is touched, so a device's registers are an error, not
    /// a read with its side effects.
    pub fn read_ram(&self, addr: u64, out: &mut [u8]) -> Result<(), BusError> {
        let len = out.len() as u64;
        self.walk_ram(addr, len, 0, &mut |ram, offset, done, len| {
            ram.read_bytes(offset, &mut out[done as usize..(done + len) as usize])
                .is_some()
        })
    }

    /// Whether `len` bytes from `addr` could be loaded (RAM or ROM,
    /// directly or through aliases), checked without writing: a loader asks
    /// before it writes anything.
    pub fn check_loadable(&self, addr: u64, len: u64) -> Result<(), BusError> {
        self.walk_ram(addr, len, 0, &mut |ram, offset, _, len| {
            offset.checked_add(len).is_some_and(|end| end <= ram.len())
        })
    }

    /// Visits the RAM under `len` bytes from `addr`, a whole mapping's
    /// worth at a time (images are megabytes: byte by byte cost tens of
    /// milliseconds): `visit(ram, offset in it, bytes done, length)` says
    /// whether that piece took.
    fn walk_ram(
        &self,
        addr: u64,
        len: u64,
        depth: u32,
        visit: &mut dyn FnMut(&Ram, u64, u64, u64) -> bool,
    ) -> Result<(), BusError> {
        let mut done = 0u64;
        while done < len {
            let a = addr.wrapping_add(done);
            let fail = |kind| BusError {
                addr: a,
                size: 1,
                access: AccessKind::Write,
                kind,
            };
            let seg = self.segment(a).ok_or(fail(BusErrorKind::Unmapped))?;
            let room = (seg.last - a).saturating_add(1);
            let piece = room.min(len - done);
            let m = &self.mappings[seg.mapping];
            let offset = a - m.base;
            match m.region.kind() {
                RegionKind::Ram {
                    ram, offset: base, ..
                } => {
                    if !visit(ram, base + offset, done, piece) {
                        return Err(fail(BusErrorKind::Unmapped));
                    }
                }
                RegionKind::Alias {
                    space,
                    offset: target,
                } => {
                    if depth >= MAX_ALIAS_DEPTH {
                        return Err(fail(BusErrorKind::AliasDepth));
                    }
                    space.walk_ram(target + offset, piece, depth + 1, &mut |r, o, d, l| {
                        visit(r, o, done + d, l)
                    })?;
                }
                RegionKind::Mmio { .. } => return Err(fail(BusErrorKind::Device)),
            }
            done += piece;
        }
        Ok(())
    }

    /// The RAM page of `1 << page_bits` bytes holding `addr`, when the whole
    /// page is plain RAM (directly or through aliases), for the soft-MMU.
    pub fn ram_page(&self, addr: u64, page_bits: u32) -> Option<RamPage> {
        let page = addr & !((1u64 << page_bits) - 1);
        let (ram, offset, read_only) = self.plain_ram(page, 1usize << page_bits, 0)?;
        Some(RamPage {
            ram: ram.clone(),
            offset,
            writable: !read_only,
        })
    }

    /// The RAM or ROM under the `size` bytes at `addr` (directly or
    /// through aliases): the block, the offset in it and whether it is
    /// read-only; `None` for anything else.
    fn plain_ram(&self, addr: u64, size: usize, depth: u32) -> Option<(&Arc<Ram>, u64, bool)> {
        let (region, offset) = self.resolve(addr, size, AccessKind::Read).ok()?;
        match region.kind() {
            RegionKind::Ram {
                ram,
                offset: base,
                read_only,
            } => Some((ram, base + offset, *read_only)),
            RegionKind::Alias {
                space,
                offset: target,
            } if depth < MAX_ALIAS_DEPTH => space.plain_ram(target + offset, size, depth + 1),
            _ => None,
        }
    }

    /// The RAM blocks mapped directly on this space, with the address of
    /// each mapping's first byte and its offset into the block.
    pub fn ram_mappings(&self) -> impl Iterator<Item = (u64, &Arc<Ram>, u64, u64)> {
        self.mappings.iter().filter_map(|m| match m.region.kind() {
            RegionKind::Ram { ram, offset, .. } => Some((m.base, ram, *offset, m.region.size())),
            _ => None,
        })
    }

    /// The map as text, one mapping a line, like QEMU's `info mtree`.
    pub fn render(&self) -> String {
        let mut out = format!("address-space: {}\n", self.name);
        let mut sorted: Vec<&Mapping> = self.mappings.iter().collect();
        sorted.sort_by_key(|m| (m.base, -m.priority));
        for m in sorted {
            let _ = writeln!(
                out,
                "  {:016x}-{:016x} (prio {}, {}): {}",
                m.base,
                m.last,
                m.priority,
                m.region.kind_name(),
                m.region.name()
            );
        }
        out
    }
}

impl fmt::Display for AddressSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

fn swap_if(value: u64, size: usize, access: Endian, device: Endian) -> u64 {
    if access == device || size == 1 {
        value
    } else {
        value.swap_bytes() >> (64 - 8 * size as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const CTX: MmioCtx = MmioCtx {
        now_ns: 0,
        initiator: 0,
    };

    struct Regs(Mutex<Vec<(u64, u64)>>);

    impl crate::Mmio for Regs {
        fn read(&self, _: &MmioCtx, offset: u64, _: usize) -> Option<u64> {
            (offset < 8).then_some(0x1234_5678)
        }
        fn write(&self, _: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
            self.0.lock().unwrap().push((offset, value));
            Some(())
        }
    }

    #[test]
    fn the_flat_view_agrees_with_the_highest_priority_mapping_everywhere() {
        // Overlapping mappings of mixed priorities from a fixed generator;
        // every edge is checked against a search over all mappings.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut space = AddressSpace::new("sys");
        let mut placed: Vec<(u64, u64, i32)> = Vec::new();
        let shared = ram(0x1_0000);
        let mut maps = Vec::new();
        for i in 0..300 {
            let base = (next() % 0x100) * 0x100;
            let size = (next() % 0x10 + 1) * 0x100;
            let priority = i; // distinct: any overlap is allowed
            let region = Region::new(
                &format!("r{i}"),
                size,
                RegionKind::Ram {
                    ram: shared.clone(),
                    offset: 0,
                    read_only: false,
                },
            );
            placed.push((base, base + size - 1, priority));
            maps.push((base, region, priority));
        }
        space.map_all(maps).unwrap();
        for &(first, last, _) in &placed {
            for addr in [first, last, last + 1] {
                let want = placed
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.0 <= addr && addr <= m.1)
                    .max_by_key(|(_, m)| m.2)
                    .map(|(i, _)| i);
                let got = space.segment(addr).map(|s| s.mapping);
                assert_eq!(got, want, "at {addr:#x}");
            }
        }
    }

    #[test]
    fn twenty_thousand_mappings_build_in_one_pass() {
        let mut space = AddressSpace::new("sys");
        let shared = ram(0x1000);
        let maps = (0..20_000u64).map(|i| (i * 0x1000, Region::ram("r", shared.clone()), 0));
        space.map_all(maps).unwrap();
        assert_eq!(space.flat.len(), 20_000);
        assert_eq!(space.segment(0x04e1_ffff).map(|s| s.mapping), Some(19_999));
    }

    fn ram(size: usize) -> Arc<Ram> {
        Arc::new(Ram::new(size))
    }

    #[test]
    fn unmapped_access_is_a_bus_error() {
        let mut space = AddressSpace::new("sys");
        space
            .map(0x1000, Region::ram("ram", ram(0x1000)), 0)
            .unwrap();
        let err = space
            .read(&CTX, 0x2000, 4, Endian::Little, AccessKind::Read)
            .unwrap_err();
        assert_eq!(err.kind, BusErrorKind::Unmapped);
        assert_eq!(err.addr, 0x2000);
        let err = space.write(&CTX, 0xffc, 4, Endian::Little, 1).unwrap_err();
        assert_eq!(err.kind, BusErrorKind::Unmapped);
        let err = space
            .read(&CTX, 0x1ffe, 4, Endian::Little, AccessKind::Read)
            .unwrap_err();
        assert_eq!(err.kind, BusErrorKind::Straddle);
        let err = space
            .read(&CTX, u64::MAX, 8, Endian::Little, AccessKind::Fetch)
            .unwrap_err();
        assert_eq!(err.kind, BusErrorKind::Unmapped);
    }

    #[test]
    fn overlap_at_equal_priority_is_refused() {
        let mut space = AddressSpace::new("sys");
        space.map(0x1000, Region::ram("a", ram(0x1000)), 0).unwrap();
        let err = space
            .map(0x1800, Region::ram("b", ram(0x1000)), 0)
            .unwrap_err();
        assert!(err.to_string().contains("overlaps `a`"), "{err}");
    }

    #[test]
    fn higher_priority_wins_where_regions_overlap() {
        let mut space = AddressSpace::new("sys");
        let low = ram(0x3000);
        low.write(0x1000, 4, Endian::Little, 0xaaaa).unwrap();
        low.write(0x2000, 4, Endian::Little, 0xcccc).unwrap();
        space.map(0, Region::ram("low", low), 0).unwrap();
        let high = ram(0x1000);
        high.write(0, 4, Endian::Little, 0xbbbb).unwrap();
        space.map(0x1000, Region::ram("high", high), 1).unwrap();
        let rd = |a| {
            space
                .read(&CTX, a, 4, Endian::Little, AccessKind::Read)
                .unwrap()
        };
        assert_eq!(rd(0x1000), 0xbbbb);
        assert_eq!(rd(0x2000), 0xcccc);
        assert_eq!(rd(0x0), 0);
    }

    #[test]
    fn rom_refuses_guest_writes_but_takes_loads() {
        let mut space = AddressSpace::new("sys");
        space.map(0, Region::rom("rom", ram(16)), 0).unwrap();
        let err = space.write(&CTX, 0, 4, Endian::Little, 1).unwrap_err();
        assert_eq!(err.kind, BusErrorKind::ReadOnly);
        space.load_bytes(0, &[1, 2, 3, 4]).unwrap();
        let v = space
            .read(&CTX, 0, 4, Endian::Big, AccessKind::Read)
            .unwrap();
        assert_eq!(v, 0x0102_0304);
    }

    #[test]
    fn alias_reaches_the_target_space() {
        let mut target = AddressSpace::new("shared");
        target
            .map(0x100, Region::ram("sram", ram(0x100)), 0)
            .unwrap();
        let target = Arc::new(target);
        let mut space = AddressSpace::new("cpu");
        let alias = RegionKind::Alias {
            space: target.clone(),
            offset: 0x100,
        };
        space
            .map(0x2000_0000, Region::new("window", 0x100, alias), 0)
            .unwrap();
        space
            .write(&CTX, 0x2000_0010, 8, Endian::Little, 42)
            .unwrap();
        let v = target
            .read(&CTX, 0x110, 8, Endian::Little, AccessKind::Read)
            .unwrap();
        assert_eq!(v, 42);
        assert!(space.ram_page(0x2000_0000, 8).is_some());
    }

    #[test]
    fn loads_span_ram_rom_and_aliases_and_stop_at_devices() {
        let mut target = AddressSpace::new("shared");
        target.map(0, Region::ram("sram", ram(0x100)), 0).unwrap();
        let target = Arc::new(target);
        let mut space = AddressSpace::new("sys");
        space.map(0, Region::ram("ram", ram(0x10)), 0).unwrap();
        space.map(0x10, Region::rom("rom", ram(0x10)), 0).unwrap();
        let alias = RegionKind::Alias {
            space: target.clone(),
            offset: 0x80,
        };
        space
            .map(0x20, Region::new("window", 0x10, alias), 0)
            .unwrap();
        let regs = Arc::new(Regs(Mutex::new(Vec::new())));
        space
            .map(0x30, Region::mmio("dev", 8, regs, Endian::Little), 0)
            .unwrap();
        let data: Vec<u8> = (0..0x30).collect();
        space.load_bytes(0x4, &data[0x4..]).unwrap();
        let mut back = vec![0u8; 0x2c];
        space.read_bytes(&CTX, 0x4, &mut back).unwrap();
        assert_eq!(back, &data[0x4..]);
        let v = target
            .read(&CTX, 0x8f, 1, Endian::Little, AccessKind::Read)
            .unwrap();
        assert_eq!(v, 0x2f);
        let err = space.load_bytes(0x2e, &[1, 2, 3, 4]).unwrap_err();
        assert_eq!((err.addr, err.kind), (0x30, BusErrorKind::Device));
        let err = space.load_bytes(0x40, &[1]).unwrap_err();
        assert_eq!((err.addr, err.kind), (0x40, BusErrorKind::Unmapped));
    }

    #[test]
    fn mmio_values_are_swapped_across_endianness() {
        let regs = Arc::new(Regs(Mutex::new(Vec::new())));
        let mut space = AddressSpace::new("sys");
        space
            .map(
                0x4000,
                Region::mmio("dev", 8, regs.clone(), Endian::Little),
                0,
            )
            .unwrap();
        let v = space
            .read(&CTX, 0x4000, 4, Endian::Big, AccessKind::Read)
            .unwrap();
        assert_eq!(v, 0x7856_3412);
        space
            .write(&CTX, 0x4004, 2, Endian::Little, 0xbeef)
            .unwrap();
        assert_eq!(regs.0.lock().unwrap()[0], (4, 0xbeef));
        assert!(space.ram_page(0x4000, 3).is_none());
    }
}
