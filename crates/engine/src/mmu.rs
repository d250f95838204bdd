//! The soft-MMU: a per-CPU cache from guest virtual page to host RAM (or to
//! a physical page for MMIO), filled by the frontend's address translation
//! and used by every load, store and fetch.
//!
//! A hit on a RAM page costs an index, a compare and a host memory access;
//! a miss asks the frontend to translate (page walk, permission checks) and
//! then looks the physical page up in the address space.
//!
//! The cache holds a table per translation context (a frontend's privilege
//! level, address-space register, access modifiers: QEMU's MMU indexes),
//! chosen with [`Mmu::select`]: a trap into the kernel and the return to
//! user space switch tables instead of emptying one. Only what changes
//! translations themselves (a TLB flush instruction, a new page-table
//! root) empties them, and only that moves the [`Mmu::generation`] on
//! which the blocks found by virtual pc depend — and a flush of one page
//! only when code was fetched from that page since.

use std::sync::Arc;

use chimera_memory::{AccessKind, BusError, Endian, Ram};

use crate::{CpuEnv, FaultKind, Frontend, MemFault, Trap};

const TLB_ENTRIES: usize = 1024;
const INVALID: u64 = u64::MAX;
/// Translation contexts cached at once; past it the least recently
/// selected table is emptied for the new one.
const CONTEXTS: usize = 8;
/// Bits of the filter of virtual pages code was fetched from.
const FETCHED_BITS: usize = 1024;

/// The result of translating one virtual address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// The physical address.
    pub paddr: u64,
    /// Whether the mapping of the whole page may be cached in the TLB
    /// (false where protection is finer than a page).
    pub cacheable: bool,
}

/// One TLB entry: what every access reads, one cache line (compiled code
/// reads the fast fields, see [`TlbLayout`], so the layout is fixed).
#[derive(Debug, Clone)]
#[repr(C, align(64))]
struct Entry {
    /// `read_tag` when the page is host RAM that reads may use directly.
    fast_read_tag: u64,
    /// `write_tag` when the page is writable host RAM.
    fast_write_tag: u64,
    /// Host address of the page's first byte (RAM pages), else 0.
    host: usize,
    /// Host address of the page's code-tracking word (RAM pages), else 0.
    code_word: usize,
    /// `host` less the page's virtual address (wrapping): a fast access
    /// at `va` touches host address `va + addend`.
    addend: usize,
    read_tag: u64,
    write_tag: u64,
    fetch_tag: u64,
}

/// What a TLB entry maps to, beside it: read on the slow path only.
#[derive(Debug, Clone)]
struct Backing {
    paddr_page: u64,
    ram: Option<Arc<Ram>>,
    ram_offset: u64,
}

impl Backing {
    const EMPTY: Backing = Backing {
        paddr_page: 0,
        ram: None,
        ram_offset: 0,
    };
}

impl Entry {
    const EMPTY: Entry = Entry {
        fast_read_tag: INVALID,
        fast_write_tag: INVALID,
        host: 0,
        code_word: 0,
        addend: 0,
        read_tag: INVALID,
        write_tag: INVALID,
        fetch_tag: INVALID,
    };

    fn tag(&self, access: AccessKind) -> u64 {
        match access {
            AccessKind::Read => self.read_tag,
            AccessKind::Write => self.write_tag,
            AccessKind::Fetch => self.fetch_tag,
        }
    }
}

/// Where compiled code finds a TLB entry's fields, for a soft-MMU fast
/// path that never calls out on a hit. Entry `i` of the table at
/// [`Mmu::table_addr`] starts at `i * entry_size`; the entry for virtual
/// address `va` is `(va >> page_bits) & (entries - 1)`. A read of `size`
/// bytes at `va` may go straight to host memory at `va + addend`
/// (= `host + (va & page_mask)`) when the word at `fast_read_tag` equals
/// `va & !page_mask` and the access does not cross the page; a write
/// likewise with `fast_write_tag`, and only when the `u64` at the address
/// held in `code_word` is zero (no translated code on the page): other
/// writes take the slow path, which notes writes to code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlbLayout {
    /// Number of entries (a power of two).
    pub entries: u32,
    /// Bytes from one entry to the next.
    pub entry_size: u32,
    /// log2 of the page size the table caches.
    pub page_bits: u32,
    /// Offset of the read tag (`u64`).
    pub fast_read_tag: u32,
    /// Offset of the write tag (`u64`).
    pub fast_write_tag: u32,
    /// Offset of the host address of the page (`usize`).
    pub host: u32,
    /// Offset of the address of the page's code word (`usize`).
    pub code_word: u32,
    /// Offset of `host` less the page's virtual address (`usize`,
    /// wrapping): the host address of `va` is `va + addend`.
    pub addend: u32,
}

/// The entries cached for one translation context.
#[derive(Debug, Clone)]
struct Table {
    entries: Box<[Entry]>,
    backing: Box<[Backing]>,
    /// The frontend's name for the context (`None`: the one every CPU
    /// starts in).
    key: Option<u64>,
    /// Flushed while another table was in use: emptied when next chosen.
    stale: bool,
    /// When it was last chosen, for eviction.
    used: u64,
}

impl Table {
    fn new(key: Option<u64>) -> Self {
        Table {
            entries: vec![Entry::EMPTY; TLB_ENTRIES].into(),
            backing: vec![Backing::EMPTY; TLB_ENTRIES].into(),
            key,
            stale: false,
            used: 0,
        }
    }

    fn clear(&mut self) {
        self.entries.fill(Entry::EMPTY);
        self.backing.fill(Backing::EMPTY);
        self.stale = false;
    }
}

/// A CPU's translation cache.
#[derive(Debug, Clone)]
pub struct Mmu {
    tables: Vec<Table>,
    current: usize,
    page_bits: u32,
    generation: u64,
    /// Selections so far (the tables' clock for eviction).
    selections: u64,
    /// Virtual pages code was fetched from since the generation last
    /// moved, hashed into bits: a page flush there moves it.
    fetched: [u64; FETCHED_BITS / 64],
}

impl Mmu {
    /// An empty cache for pages of `1 << page_bits` bytes.
    pub fn new(page_bits: u32) -> Self {
        Mmu {
            tables: vec![Table::new(None)],
            current: 0,
            page_bits,
            generation: 0,
            selections: 0,
            fetched: [0; FETCHED_BITS / 64],
        }
    }

    /// Makes the table of translation context `key` the one accesses use
    /// (the tables of other contexts keep their entries); a context not
    /// cached starts empty, taking the least recently used table when all
    /// are taken.
    pub fn select(&mut self, key: u64) {
        if self.tables[self.current].key == Some(key) {
            return;
        }
        self.selections += 1;
        let found = self.tables.iter().position(|t| t.key == Some(key));
        let index = match found {
            Some(i) => i,
            None if self.tables.len() < CONTEXTS => {
                self.tables.push(Table::new(Some(key)));
                self.tables.len() - 1
            }
            None => {
                let (i, _) = self
                    .tables
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, t)| t.used)
                    .unwrap_or((0, &self.tables[0]));
                self.tables[i].key = Some(key);
                self.tables[i].stale = true;
                i
            }
        };
        let table = &mut self.tables[index];
        if table.stale {
            table.clear();
        }
        table.used = self.selections;
        self.current = index;
    }

    /// Forgets every translation of every context (`sfence.vma`, a new
    /// page-table root).
    pub fn flush(&mut self) {
        let current = self.current;
        for (i, t) in self.tables.iter_mut().enumerate() {
            if i == current {
                t.clear();
            } else {
                t.stale = true;
            }
        }
        self.moved();
    }

    /// Forgets the translations of the page holding `vaddr`, in every
    /// context (`sfence.vma` with an address).
    pub fn flush_page(&mut self, vaddr: u64) {
        let tag = vaddr & !self.page_mask();
        let index = self.index(vaddr);
        for t in self.tables.iter_mut().filter(|t| !t.stale) {
            let e = &t.entries[index];
            if [e.read_tag, e.write_tag, e.fetch_tag].contains(&tag) {
                t.entries[index] = Entry::EMPTY;
                t.backing[index] = Backing::EMPTY;
            }
        }
        let (word, bit) = self.fetched_bit(vaddr);
        if self.fetched[word] & bit != 0 {
            self.moved();
        }
    }

    /// Notes that code is fetched from the page holding `vaddr`.
    #[inline]
    pub(crate) fn note_fetch(&mut self, vaddr: u64) {
        let (word, bit) = self.fetched_bit(vaddr);
        self.fetched[word] |= bit;
    }

    fn fetched_bit(&self, vaddr: u64) -> (usize, u64) {
        let page = (vaddr >> self.page_bits) as usize % FETCHED_BITS;
        (page / 64, 1 << (page % 64))
    }

    /// Translations made before may no longer hold.
    fn moved(&mut self) {
        self.generation += 1;
        self.fetched = [0; FETCHED_BITS / 64];
    }

    /// How many times translations changed (whole flushes, and page
    /// flushes of pages code was fetched from): blocks found by virtual
    /// pc since then still are what that pc holds.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The table's layout, for compiled code.
    pub fn layout(&self) -> TlbLayout {
        TlbLayout {
            entries: TLB_ENTRIES as u32,
            entry_size: std::mem::size_of::<Entry>() as u32,
            page_bits: self.page_bits,
            fast_read_tag: std::mem::offset_of!(Entry, fast_read_tag) as u32,
            fast_write_tag: std::mem::offset_of!(Entry, fast_write_tag) as u32,
            host: std::mem::offset_of!(Entry, host) as u32,
            code_word: std::mem::offset_of!(Entry, code_word) as u32,
            addend: std::mem::offset_of!(Entry, addend) as u32,
        }
    }

    /// The host address of the current context's first entry (see
    /// [`TlbLayout`]); valid until the `Mmu` is dropped or another context
    /// is selected (tables never reallocate).
    pub fn table_addr(&mut self) -> usize {
        self.tables[self.current].entries.as_mut_ptr() as usize
    }

    pub(crate) fn page_mask(&self) -> u64 {
        (1u64 << self.page_bits) - 1
    }

    fn index(&self, vaddr: u64) -> usize {
        ((vaddr >> self.page_bits) as usize) & (TLB_ENTRIES - 1)
    }
}

fn bus_fault(vaddr: u64, access: AccessKind, e: BusError) -> Trap {
    Trap::Memory(MemFault {
        vaddr,
        access,
        kind: FaultKind::Bus(e.kind),
    })
}

/// Where an access landed after translation.
enum Target {
    Ram(Arc<Ram>, u64),
    Phys(u64),
    Local(u64),
}

fn resolve<F: Frontend>(
    fe: &F,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vaddr: u64,
    access: AccessKind,
) -> Result<Target, Trap> {
    let mask = env.mmu.page_mask();
    let index = env.mmu.index(vaddr);
    let tag = vaddr & !mask;
    if access == AccessKind::Fetch {
        env.mmu.note_fetch(vaddr);
    }
    let current = env.mmu.current;
    let table = &env.mmu.tables[current];
    if table.entries[index].tag(access) == tag {
        let backing = &table.backing[index];
        return Ok(match &backing.ram {
            Some(ram) => Target::Ram(ram.clone(), backing.ram_offset + (vaddr & mask)),
            None => Target::Phys(backing.paddr_page | (vaddr & mask)),
        });
    }
    let t = fe.translate_addr(cpu, env, vaddr, access)?;
    if fe.is_cpu_local(t.paddr) {
        return Ok(Target::Local(t.paddr));
    }
    if !t.cacheable {
        return Ok(Target::Phys(t.paddr));
    }
    let paddr_page = t.paddr & !mask;
    let page = env.space.ram_page(paddr_page, env.mmu.page_bits);
    let page = page.filter(|p| p.writable || access != AccessKind::Write);
    let page_bits = env.mmu.page_bits;
    let current = env.mmu.current;
    let table = &mut env.mmu.tables[current];
    let entry = &mut table.entries[index];
    let backing = &mut table.backing[index];
    let other_vpage = [entry.read_tag, entry.write_tag, entry.fetch_tag]
        .into_iter()
        .any(|t| t != INVALID && t != tag);
    if backing.paddr_page != paddr_page || other_vpage {
        *entry = Entry::EMPTY;
        *backing = Backing::EMPTY;
    }
    backing.paddr_page = paddr_page;
    let set_tag = |entry: &mut Entry| match access {
        AccessKind::Read => entry.read_tag = tag,
        AccessKind::Write => entry.write_tag = tag,
        AccessKind::Fetch => entry.fetch_tag = tag,
    };
    match page {
        Some(p) => {
            // Compiled code checks one code-tracking word per page: only
            // pages inside one code page (by RAM offset) get fast tags.
            let size = 1u64 << page_bits;
            let code_page = 1u64 << chimera_memory::ram::CODE_PAGE_BITS;
            let one_code_page = p.offset % code_page + size <= code_page;
            let host = p.ram.host_addr(p.offset, size);
            let code_word = p.ram.code_word_addr(p.offset);
            if let (true, Some(host), Some(code_word)) = (one_code_page, host, code_word) {
                entry.host = host;
                entry.code_word = code_word;
                entry.addend = host.wrapping_sub(tag as usize);
                match access {
                    AccessKind::Read => entry.fast_read_tag = tag,
                    AccessKind::Write => entry.fast_write_tag = tag,
                    AccessKind::Fetch => {}
                }
            }
            backing.ram = Some(p.ram.clone());
            backing.ram_offset = p.offset;
            set_tag(entry);
            Ok(Target::Ram(p.ram, p.offset + (vaddr & mask)))
        }
        None => {
            // A ROM page stays cached for reads; its writes keep taking the
            // slow path, where the bus refuses them.
            if backing.ram.is_none() {
                set_tag(entry);
            }
            Ok(Target::Phys(t.paddr))
        }
    }
}

/// The bus error for an access at `vaddr` that lands on nothing.
pub(crate) fn unmapped(vaddr: u64, access: AccessKind) -> Trap {
    Trap::Memory(MemFault {
        vaddr,
        access,
        kind: FaultKind::Bus(chimera_memory::BusErrorKind::Unmapped),
    })
}

fn crosses_page(env: &CpuEnv, vaddr: u64, size: usize) -> bool {
    (vaddr & env.mmu.page_mask()) + size as u64 > env.mmu.page_mask() + 1
}

/// Reads `size` bytes at virtual `vaddr` through the CPU's view.
pub fn load<F: Frontend>(
    fe: &F,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vaddr: u64,
    size: usize,
    endian: Endian,
    access: AccessKind,
) -> Result<u64, Trap> {
    if !env.watchpoints.is_empty() && access == AccessKind::Read {
        env.watch(vaddr, size, false);
    }
    if crosses_page(env, vaddr, size) {
        let mut bytes = [0u8; 8];
        for (i, b) in bytes.iter_mut().take(size).enumerate() {
            *b = load(
                fe,
                cpu,
                env,
                vaddr.wrapping_add(i as u64),
                1,
                endian,
                access,
            )? as u8;
        }
        return Ok(endian.load(&bytes[..size]));
    }
    match resolve(fe, cpu, env, vaddr, access)? {
        Target::Ram(ram, offset) => ram
            .read(offset, size, endian)
            .ok_or(unmapped(vaddr, access)),
        Target::Phys(paddr) => {
            env.outside = true;
            env.space
                .read(&env.mmio_ctx(), paddr, size, endian, access)
                .map_err(|e| bus_fault(vaddr, access, e))
        }
        Target::Local(paddr) => {
            env.outside = true;
            fe.local_read(cpu, env, paddr, size)
        }
    }
}

/// Writes the low `size` bytes of `value` at virtual `vaddr`.
pub fn store<F: Frontend>(
    fe: &F,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vaddr: u64,
    size: usize,
    endian: Endian,
    value: u64,
) -> Result<(), Trap> {
    let access = AccessKind::Write;
    if !env.watchpoints.is_empty() {
        env.watch(vaddr, size, true);
    }
    if crosses_page(env, vaddr, size) {
        // Translate every byte first so a fault leaves memory unchanged.
        for i in 0..size as u64 {
            resolve(fe, cpu, env, vaddr.wrapping_add(i), access)?;
        }
        let mut bytes = [0u8; 8];
        endian.store(value, &mut bytes[..size]);
        for (i, b) in bytes.iter().take(size).enumerate() {
            store(
                fe,
                cpu,
                env,
                vaddr.wrapping_add(i as u64),
                1,
                endian,
                u64::from(*b),
            )?;
        }
        return Ok(());
    }
    match resolve(fe, cpu, env, vaddr, access)? {
        Target::Ram(ram, offset) => {
            let written = ram.write(offset, size, endian, value);
            env.outside |= ram.has_dirty_code(env.watcher);
            written.ok_or(unmapped(vaddr, access))
        }
        Target::Phys(paddr) => {
            env.outside = true;
            env.space
                .write(&env.mmio_ctx(), paddr, size, endian, value)
                .map_err(|e| bus_fault(vaddr, access, e))
        }
        Target::Local(paddr) => {
            env.outside = true;
            fe.local_write(cpu, env, paddr, size, value)
        }
    }
}

/// Writes `len` zero bytes at virtual `vaddr` (a multiple of 8, 8-byte
/// aligned, inside one page: a cache-block zeroing), translated once, with
/// a store's permissions and faults; nothing is written when it faults.
/// Anything else goes store by store.
pub fn zero<F: Frontend>(
    fe: &F,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vaddr: u64,
    len: usize,
) -> Result<(), Trap> {
    if len % 8 != 0 || vaddr % 8 != 0 || crosses_page(env, vaddr, len) {
        for i in 0..len as u64 {
            store(fe, cpu, env, vaddr.wrapping_add(i), 1, Endian::Little, 0)?;
        }
        return Ok(());
    }
    if !env.watchpoints.is_empty() {
        env.watch(vaddr, len, true);
    }
    match resolve(fe, cpu, env, vaddr, AccessKind::Write)? {
        Target::Ram(ram, offset) => {
            let written = ram.zero(offset, len);
            env.outside |= ram.has_dirty_code(env.watcher);
            written.ok_or(unmapped(vaddr, AccessKind::Write))
        }
        Target::Phys(_) | Target::Local(_) => {
            for i in 0..len as u64 / 8 {
                store(
                    fe,
                    cpu,
                    env,
                    vaddr.wrapping_add(8 * i),
                    8,
                    Endian::Little,
                    0,
                )?;
            }
            Ok(())
        }
    }
}

/// Translates `vaddr` for `access` and returns the RAM block and offset it
/// lands in, if it is RAM: for atomics and for marking code pages.
pub fn ram_target<F: Frontend>(
    fe: &F,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vaddr: u64,
    access: AccessKind,
) -> Result<Option<(Arc<Ram>, u64)>, Trap> {
    Ok(match resolve(fe, cpu, env, vaddr, access)? {
        Target::Ram(ram, offset) => Some((ram, offset)),
        Target::Phys(_) | Target::Local(_) => None,
    })
}

/// The physical address `vaddr` maps to for `access`.
pub fn physical<F: Frontend>(
    fe: &F,
    cpu: &mut F::Cpu,
    env: &mut CpuEnv,
    vaddr: u64,
    access: AccessKind,
) -> Result<u64, Trap> {
    if access == AccessKind::Fetch {
        env.mmu.note_fetch(vaddr);
    }
    fe.translate_addr(cpu, env, vaddr, access).map(|t| t.paddr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(mmu: &mut Mmu, vaddr: u64) {
        let index = mmu.index(vaddr);
        let current = mmu.current;
        mmu.tables[current].entries[index].read_tag = vaddr & !mmu.page_mask();
    }

    fn cached(mmu: &Mmu, vaddr: u64) -> bool {
        mmu.tables[mmu.current].entries[mmu.index(vaddr)].read_tag == vaddr & !mmu.page_mask()
    }

    #[test]
    fn each_context_keeps_its_translations_until_a_flush() {
        let mut mmu = Mmu::new(12);
        mmu.select(1);
        fill(&mut mmu, 0x1000);
        let user = mmu.table_addr();
        mmu.select(2);
        assert!(!cached(&mmu, 0x1000));
        assert_ne!(mmu.table_addr(), user);
        fill(&mut mmu, 0x2000);
        mmu.select(1);
        assert!(cached(&mmu, 0x1000), "switching back keeps the entries");
        assert_eq!(mmu.generation(), 0, "switching is no flush");
        mmu.flush();
        assert_eq!(mmu.generation(), 1);
        assert!(!cached(&mmu, 0x1000));
        mmu.select(2);
        assert!(!cached(&mmu, 0x2000), "every context is flushed");
    }

    #[test]
    fn the_least_recently_used_context_makes_room() {
        let mut mmu = Mmu::new(12);
        for key in 0..CONTEXTS as u64 {
            mmu.select(key);
            fill(&mut mmu, 0x1000 * (key + 1));
        }
        mmu.select(0);
        mmu.select(100);
        assert_eq!(mmu.tables.len(), CONTEXTS);
        mmu.select(1);
        assert!(!cached(&mmu, 0x2000), "context 1 was evicted");
        mmu.select(0);
        assert!(cached(&mmu, 0x1000), "context 0 was used more recently");
    }

    #[test]
    fn a_page_flush_moves_the_generation_only_where_code_was_fetched() {
        let mut mmu = Mmu::new(12);
        fill(&mut mmu, 0x5000);
        mmu.flush_page(0x5abc);
        assert!(!cached(&mmu, 0x5000));
        assert_eq!(mmu.generation(), 0, "no code came from there");
        mmu.note_fetch(0x7004);
        mmu.flush_page(0x7000);
        assert_eq!(mmu.generation(), 1);
        mmu.flush_page(0x7000);
        assert_eq!(mmu.generation(), 1, "the filter starts afresh");
    }
}
