//! Host memory backing guest RAM and ROM, shared between the address spaces
//! (and host threads) that map it, with the code-page tracking that lets
//! the engine drop translations when a guest writes over its own code.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::Endian;

/// Runs `$whole!(atomic type, integer type)` for an access of `$size`
/// bytes (1, 2, 4 or 8) at host address `$host` when the address is
/// aligned to the size: the one host access of that width. Does nothing
/// otherwise (the caller goes byte by byte).
macro_rules! by_aligned_width {
    ($size:expr, $host:expr, $whole:ident) => {
        if $host % $size.max(1) == 0 {
            match $size {
                1 => $whole!(std::sync::atomic::AtomicU8, u8),
                2 => $whole!(std::sync::atomic::AtomicU16, u16),
                4 => $whole!(std::sync::atomic::AtomicU32, u32),
                8 => $whole!(AtomicU64, u64),
                _ => {}
            }
        }
    };
}

/// Granularity of code-page tracking, independent of any guest page size.
pub const CODE_PAGE_BITS: u32 = 12;

/// Words of the per-page bitmap of code bytes (a bit per byte).
const CODE_MAP_WORDS: usize = (1 << CODE_PAGE_BITS) / 64;

/// Which bytes of one code page were fetched as code.
type CodeMap = Box<[AtomicU64]>;

/// A block of guest RAM.
///
/// Bytes are `AtomicU8` so that clusters on different host threads may
/// share it without data races in the Rust sense; relaxed byte accesses
/// compile to plain moves.
pub struct Ram {
    bytes: Box<[AtomicU8]>,
    /// Per code page, a bit for each watcher (a cluster's block cache)
    /// holding translations of it.
    code_pages: Box<[AtomicU64]>,
    /// Per code page, its bytes fetched as code by any watcher (allocated
    /// when the page first holds code): a write to a code page that
    /// misses them (data sharing a page with code) drops nothing.
    code_bytes: Box<[OnceLock<CodeMap>]>,
    /// Serialises marking and releasing code pages.
    code_lock: Mutex<()>,
    /// Code bytes written since each watcher last looked, as (watcher,
    /// offset, length).
    dirty_code: Mutex<Vec<(u32, u64, u64)>>,
    /// A bit per watcher with entries in `dirty_code`.
    dirty_watchers: AtomicU64,
    rmw: Mutex<()>,
}

/// Most watchers (clusters) that can track code in one block of RAM.
pub const MAX_CODE_WATCHERS: u32 = 64;

impl fmt::Debug for Ram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ram({} bytes)", self.bytes.len())
    }
}

/// Zeroed bytes, or `None` when the host will not give that much. The
/// allocator hands out lazily zeroed pages for it, so RAM the guest never
/// touches costs the host nothing.
fn zeroed_atomic_bytes(len: usize) -> Option<Box<[AtomicU8]>> {
    if len == 0 {
        return Some(Box::new([]));
    }
    let layout = std::alloc::Layout::array::<AtomicU8>(len).ok()?;
    // SAFETY: the layout has a non-zero size (checked above).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<AtomicU8>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is a fresh allocation of `len` zeroed `AtomicU8`s
    // (all-zero bits are a valid `AtomicU8`) made with the global
    // allocator and the layout `Box<[AtomicU8]>` frees it with.
    Some(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) })
}

/// `len` values made by `make`, or `None` when the host will not give the
/// memory for them.
fn try_collect<T>(len: usize, make: impl Fn() -> T) -> Option<Box<[T]>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    v.extend((0..len).map(|_| make()));
    Some(v.into_boxed_slice())
}

/// The largest RAM or ROM block Chimera makes: 1 TiB. The host may refuse
/// less (then the request gets [`RamError::HostRefused`]).
pub const MAX_RAM_BYTES: u64 = 1 << 40;

/// Why a block of RAM could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RamError {
    /// More than [`MAX_RAM_BYTES`].
    #[error("{size} bytes is more than the largest RAM block, {MAX_RAM_BYTES} bytes (1 TiB)")]
    TooLarge {
        /// The size asked for.
        size: u64,
    },
    /// The host's allocator said no.
    #[error("the host cannot give {size} bytes of memory")]
    HostRefused {
        /// The size asked for.
        size: u64,
    },
}

/// RAM at least this large is backed by huge pages where the host can.
const HUGE_PAGES_FROM: usize = 16 << 20;

/// Asks the host to back `bytes` with transparent huge pages where it can
/// (QEMU does the same for guest RAM): a guest touching its memory then
/// costs the host a page fault per 2 MiB instead of per 4 KiB (a Linux
/// boot took 85,000 faults, most of them here).
#[cfg(target_os = "linux")]
fn advise_huge_pages(bytes: &[AtomicU8]) {
    const PAGE: usize = 4096;
    let start = bytes.as_ptr() as usize;
    let (lo, hi) = (
        start.next_multiple_of(PAGE),
        (start + bytes.len()) & !(PAGE - 1),
    );
    if hi > lo {
        // SAFETY: `madvise` only gives advice about memory: the range is
        // the page-aligned inside of the allocation `bytes` owns, and
        // MADV_HUGEPAGE changes neither its contents nor its mapping's
        // validity. Failure (a host without huge pages) changes nothing.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_: &[AtomicU8]) {}

impl Ram {
    /// Zero-filled RAM of `size` bytes.
    ///
    /// # Panics
    ///
    /// When [`Ram::try_new`] fails: for sizes that are the program's own.
    pub fn new(size: usize) -> Self {
        match Self::try_new(size as u64) {
            Ok(ram) => ram,
            Err(e) => panic!("Ram::new({size}): {e}"),
        }
    }

    /// Zero-filled RAM of `size` bytes, for sizes from outside: checked
    /// against [`MAX_RAM_BYTES`], and allocated so that a host that will
    /// not give the memory gets an error instead of an abort.
    ///
    /// # Errors
    ///
    /// [`RamError`] when the size is over the limit or the host refuses.
    pub fn try_new(size: u64) -> Result<Self, RamError> {
        if size > MAX_RAM_BYTES {
            return Err(RamError::TooLarge { size });
        }
        let refused = || RamError::HostRefused { size };
        let len = usize::try_from(size).map_err(|_| refused())?;
        let pages = len.div_ceil(1 << CODE_PAGE_BITS);
        let bytes = zeroed_atomic_bytes(len).ok_or_else(refused)?;
        if len >= HUGE_PAGES_FROM {
            advise_huge_pages(&bytes);
        }
        Ok(Ram {
            bytes,
            code_pages: try_collect(pages, || AtomicU64::new(0)).ok_or_else(refused)?,
            code_bytes: try_collect(pages, OnceLock::new).ok_or_else(refused)?,
            code_lock: Mutex::new(()),
            dirty_code: Mutex::new(Vec::new()),
            dirty_watchers: AtomicU64::new(0),
            rmw: Mutex::new(()),
        })
    }

    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Whether the block is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn range(&self, offset: u64, len: usize) -> Option<&[AtomicU8]> {
        let start = usize::try_from(offset).ok()?;
        self.bytes.get(start..start.checked_add(len)?)
    }

    /// Reads `size` bytes at `offset` in byte order `endian`.
    pub fn read(&self, offset: u64, size: usize, endian: Endian) -> Option<u64> {
        let cells = self.range(offset, size)?;
        let host = cells.as_ptr() as usize;
        macro_rules! whole {
            ($atomic:ty, $int:ty) => {{
                // SAFETY: as in `modify`: `size` bytes inside the block at a
                // host address aligned to `size`, read as one atomic of that
                // width, every bit pattern valid; every access to them is
                // atomic.
                let a = unsafe { &*(host as *const $atomic) };
                let v = <$int>::from(a.load(Ordering::Relaxed));
                return Some(match endian {
                    Endian::Little => u64::from(<$int>::from_le(v)),
                    Endian::Big => u64::from(<$int>::from_be(v)),
                });
            }};
        }
        by_aligned_width!(size, host, whole);
        let mut buf = [0u8; 8];
        for (b, c) in buf.iter_mut().zip(cells) {
            *b = c.load(Ordering::Relaxed);
        }
        Some(endian.load(&buf[..size]))
    }

    /// Writes the low `size` bytes of `value` at `offset`.
    pub fn write(&self, offset: u64, size: usize, endian: Endian, value: u64) -> Option<()> {
        let cells = self.range(offset, size)?;
        let host = cells.as_ptr() as usize;
        macro_rules! whole {
            ($atomic:ty, $int:ty) => {{
                // SAFETY: as in `read`.
                let a = unsafe { &*(host as *const $atomic) };
                let v = value as $int;
                a.store(
                    match endian {
                        Endian::Little => v.to_le(),
                        Endian::Big => v.to_be(),
                    },
                    Ordering::Relaxed,
                );
                self.note_write(offset, size as u64);
                return Some(());
            }};
        }
        by_aligned_width!(size, host, whole);
        let mut buf = [0u8; 8];
        endian.store(value, &mut buf[..size]);
        for (b, c) in buf.iter().zip(cells) {
            c.store(*b, Ordering::Relaxed);
        }
        self.note_write(offset, size as u64);
        Some(())
    }

    /// Writes `len` zero bytes at `offset` (a cache-block zeroing, a page
    /// clear): eight bytes a store where aligned.
    pub fn zero(&self, offset: u64, len: usize) -> Option<()> {
        let cells = self.range(offset, len)?;
        // SAFETY: an `AtomicU64` has the size of eight `AtomicU8`s, and
        // every bit pattern is valid for both; `align_to` only hands out
        // the 8-byte-aligned middle of `cells`, which lives as long as
        // `self`. Every access to these bytes is atomic (`AtomicU8`s, the
        // wider atomics of `modify`, or a compiled store of the guest's
        // width), as in `modify`.
        let (head, words, tail) = unsafe { cells.align_to::<AtomicU64>() };
        for c in head.iter().chain(tail) {
            c.store(0, Ordering::Relaxed);
        }
        for w in words {
            w.store(0, Ordering::Relaxed);
        }
        self.note_write(offset, len as u64);
        Some(())
    }

    /// Copies bytes out, starting at `offset`.
    pub fn read_bytes(&self, offset: u64, out: &mut [u8]) -> Option<()> {
        let cells = self.range(offset, out.len())?;
        for (b, c) in out.iter_mut().zip(cells) {
            *b = c.load(Ordering::Relaxed);
        }
        Some(())
    }

    /// Copies bytes in, starting at `offset`.
    pub fn write_bytes(&self, offset: u64, data: &[u8]) -> Option<()> {
        let cells = self.range(offset, data.len())?;
        for (b, c) in data.iter().zip(cells) {
            c.store(*b, Ordering::Relaxed);
        }
        self.note_write(offset, data.len() as u64);
        Some(())
    }

    /// Runs a read-modify-write of `size` bytes at `offset` atomically:
    /// `f` gets the old value and returns the new one, or `None` to leave
    /// memory unchanged (it may be called again when another thread wrote
    /// meanwhile). Returns the old value.
    ///
    /// A naturally aligned access of 1, 2, 4 or 8 bytes is one host
    /// compare-and-swap, atomic against every write of any thread, plain
    /// stores of compiled code included (another cluster in `--parallel`
    /// mode); anything else is atomic against other `modify` calls only.
    pub fn modify(
        &self,
        offset: u64,
        size: usize,
        endian: Endian,
        mut f: impl FnMut(u64) -> Option<u64>,
    ) -> Option<u64> {
        let cells = self.range(offset, size)?;
        let host = cells.as_ptr() as usize;
        macro_rules! cas {
            ($atomic:ty, $int:ty) => {{
                // SAFETY: `cells` are `size` bytes inside the block, at a
                // host address aligned to `size` (checked by the caller
                // arm), so they form one valid atomic of that width (same
                // size and alignment, every bit pattern valid) that lives
                // as long as `self`. Every other access to these bytes is
                // atomic too (`AtomicU8`s, or a compiled store of the
                // guest's width), and the compare-and-swap fails when any
                // of them changed a byte since it was read.
                let a = unsafe { &*(host as *const $atomic) };
                let mut current = a.load(Ordering::SeqCst);
                loop {
                    let old = endian.load(&current.to_ne_bytes());
                    let Some(new) = f(old) else {
                        return Some(old);
                    };
                    let mut bytes = [0u8; std::mem::size_of::<$int>()];
                    endian.store(new, &mut bytes);
                    match a.compare_exchange_weak(
                        current,
                        <$int>::from_ne_bytes(bytes),
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    ) {
                        Ok(_) => {
                            self.note_write(offset, size as u64);
                            return Some(old);
                        }
                        Err(seen) => current = seen,
                    }
                }
            }};
        }
        by_aligned_width!(size, host, cas);
        // A poisoned lock only means another thread panicked mid-update of
        // guest bytes, which stay valid bytes: carry on.
        let _guard = self.rmw.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.read(offset, size, endian)?;
        if let Some(new) = f(old) {
            self.write(offset, size, endian, new)?;
        }
        Some(old)
    }

    /// The host address of the byte at `offset`, when `len` bytes from
    /// there are inside the block: for a backend that reads and writes
    /// RAM directly (the soft-MMU fast path of compiled code). The bytes
    /// are `AtomicU8`s; a direct writer must first check that the page's
    /// code word ([`Ram::code_word_addr`]) is zero, and take the path of
    /// [`Ram::write`] otherwise, so that writes to code are noticed.
    pub fn host_addr(&self, offset: u64, len: u64) -> Option<usize> {
        let cells = self.range(offset, usize::try_from(len).ok()?)?;
        Some(cells.as_ptr() as usize)
    }

    /// The host address of the `AtomicU64` that says which watchers hold
    /// translations of the code page with `offset` (zero: none).
    pub fn code_word_addr(&self, offset: u64) -> Option<usize> {
        let flags = self
            .code_pages
            .get(usize::try_from(offset >> CODE_PAGE_BITS).ok()?)?;
        Some(flags as *const AtomicU64 as usize)
    }

    /// Marks the `len` bytes at `offset` as code translated by `watcher`
    /// (below [`MAX_CODE_WATCHERS`]): writes to them are reported to it
    /// until it releases their page.
    pub fn mark_code(&self, offset: u64, len: u64, watcher: u32) {
        let _guard = self.code_lock.lock().unwrap_or_else(|e| e.into_inner());
        for (page, start, stop) in code_page_spans(offset, len) {
            let (Some(flags), Some(map)) = (
                self.code_pages.get(page as usize),
                self.code_bytes.get(page as usize),
            ) else {
                return;
            };
            let map = map.get_or_init(|| (0..CODE_MAP_WORDS).map(|_| AtomicU64::new(0)).collect());
            for_each_word(start, stop, |word, mask| {
                map[word].fetch_or(mask, Ordering::Relaxed);
            });
            // The bytes before the flag: a writer that sees the flag sees
            // the bytes too.
            flags.fetch_or(1 << (watcher % MAX_CODE_WATCHERS), Ordering::Release);
        }
    }

    /// Forgets that `watcher` holds translations of the code page with
    /// `offset`; when no watcher does any more, its writes are plain
    /// again.
    pub fn release_code_page(&self, offset: u64, watcher: u32) {
        let _guard = self.code_lock.lock().unwrap_or_else(|e| e.into_inner());
        let page = (offset >> CODE_PAGE_BITS) as usize;
        let Some(flags) = self.code_pages.get(page) else {
            return;
        };
        let left = flags.fetch_and(!(1 << (watcher % MAX_CODE_WATCHERS)), Ordering::AcqRel)
            & !(1 << (watcher % MAX_CODE_WATCHERS));
        if left == 0 {
            if let Some(map) = self.code_bytes.get(page).and_then(OnceLock::get) {
                map.iter().for_each(|w| w.store(0, Ordering::Relaxed));
            }
        }
    }

    fn note_write(&self, offset: u64, len: u64) {
        for (page, start, stop) in code_page_spans(offset, len) {
            let Some(flags) = self.code_pages.get(page as usize) else {
                break;
            };
            let watchers = flags.load(Ordering::Acquire);
            if watchers == 0 {
                continue;
            }
            let Some(map) = self.code_bytes.get(page as usize).and_then(OnceLock::get) else {
                continue;
            };
            let mut hits_code = false;
            for_each_word(start, stop, |word, mask| {
                hits_code |= map[word].load(Ordering::Relaxed) & mask != 0;
            });
            if !hits_code {
                continue;
            }
            let mut dirty = self.dirty_code.lock().unwrap_or_else(|e| e.into_inner());
            for w in 0..MAX_CODE_WATCHERS {
                if watchers & (1 << w) != 0 && !dirty.contains(&(w, start, stop - start)) {
                    dirty.push((w, start, stop - start));
                }
            }
            self.dirty_watchers.fetch_or(watchers, Ordering::Release);
        }
    }

    /// Whether a page of `watcher`'s code was written since it last took
    /// the list.
    #[inline]
    pub fn has_dirty_code(&self, watcher: u32) -> bool {
        self.dirty_watchers.load(Ordering::Acquire) & (1 << (watcher % MAX_CODE_WATCHERS)) != 0
    }

    /// Code bytes of `watcher` written since the last call, as (offset,
    /// length) ranges.
    pub fn take_dirty_code(&self, watcher: u32) -> Vec<(u64, u64)> {
        let watcher = watcher % MAX_CODE_WATCHERS;
        let mut dirty = self.dirty_code.lock().unwrap_or_else(|e| e.into_inner());
        self.dirty_watchers
            .fetch_and(!(1 << watcher), Ordering::Release);
        let mut mine = Vec::new();
        dirty.retain(|&(w, offset, len)| {
            if w == watcher {
                mine.push((offset, len));
                false
            } else {
                true
            }
        });
        mine
    }
}

/// The code pages the `len` bytes at `offset` (at least one) touch, as
/// (page, first byte, end) with the bytes clipped to the page.
fn code_page_spans(offset: u64, len: u64) -> impl Iterator<Item = (u64, u64, u64)> {
    let end = offset.saturating_add(len.max(1));
    let mut at = offset;
    std::iter::from_fn(move || {
        (at < end).then(|| {
            let page = at >> CODE_PAGE_BITS;
            let stop = ((page + 1) << CODE_PAGE_BITS).min(end);
            let span = (page, at, stop);
            at = stop;
            span
        })
    })
}

/// Calls `f(word, mask)` for the bitmap words and bit masks covering the
/// bytes `start..end` of one code page.
fn for_each_word(start: u64, end: u64, mut f: impl FnMut(usize, u64)) {
    let page_mask = (1u64 << CODE_PAGE_BITS) - 1;
    let mut at = start;
    while at < end {
        let bit = (at & page_mask) as usize;
        let word = bit / 64;
        let first = bit % 64;
        let n = ((end - at) as usize).min(64 - first);
        let mask = if n == 64 {
            u64::MAX
        } else {
            ((1u64 << n) - 1) << first
        };
        f(word, mask);
        at += n as u64;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zeroing_clears_exactly_its_bytes_and_reports_code_it_overwrote() {
        let ram = super::Ram::new(4096);
        ram.write_bytes(0, &[0xa5; 128]).unwrap();
        ram.mark_code(40, 4, 0);
        // Unaligned at both ends: byte stores around the aligned words.
        ram.zero(3, 61).unwrap();
        let mut out = [0u8; 128];
        ram.read_bytes(0, &mut out).unwrap();
        assert!(out[..3].iter().all(|&b| b == 0xa5));
        assert!(out[3..64].iter().all(|&b| b == 0));
        assert!(out[64..].iter().all(|&b| b == 0xa5));
        assert!(ram.has_dirty_code(0));
        assert!(ram.zero(4090, 8).is_none(), "past the end");
    }

    #[test]
    fn a_modify_loses_no_plain_store_of_another_thread() {
        // One thread adds to the low half of a word with 8-byte modifies;
        // another writes the high half with plain 4-byte writes and checks
        // that each of its stores survived until its next one.
        let ram = Ram::new(64);
        let (adds, stores) = (200_000u64, 200_000u32);
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..adds {
                    ram.modify(8, 8, Endian::Little, |old| Some(old.wrapping_add(1)));
                }
            });
            s.spawn(|| {
                for i in 1..=stores {
                    let high = ram.read(12, 4, Endian::Little).unwrap();
                    assert_eq!(high, u64::from(i - 1), "a store was lost");
                    ram.write(12, 4, Endian::Little, u64::from(i)).unwrap();
                }
            });
        });
        let word = ram.read(8, 8, Endian::Little).unwrap();
        assert_eq!(word, u64::from(stores) << 32 | adds);
    }

    #[test]
    fn sizes_over_the_limit_are_refused_before_anything_is_allocated() {
        assert_eq!(
            Ram::try_new(MAX_RAM_BYTES + 1).unwrap_err(),
            RamError::TooLarge {
                size: MAX_RAM_BYTES + 1
            }
        );
        assert!(matches!(
            Ram::try_new(u64::MAX),
            Err(RamError::TooLarge { .. })
        ));
        assert_eq!(Ram::try_new(0).map(|r| r.len()), Ok(0));
        assert_eq!(Ram::try_new(12345).map(|r| r.len()), Ok(12345));
    }

    use super::*;

    #[test]
    fn accesses_outside_the_block_are_none() {
        let ram = Ram::new(16);
        assert_eq!(ram.read(12, 4, Endian::Little), Some(0));
        assert_eq!(ram.read(13, 4, Endian::Little), None);
        assert_eq!(ram.read(u64::MAX, 1, Endian::Little), None);
        assert_eq!(ram.write(16, 1, Endian::Little, 0), None);
    }

    #[test]
    fn writing_code_bytes_reports_them_to_each_watcher() {
        let ram = Ram::new(0x3000);
        ram.mark_code(0x1230, 8, 0);
        ram.mark_code(0x1234, 4, 3);
        ram.write(0x0ffc, 4, Endian::Little, 1).unwrap();
        assert!(!ram.has_dirty_code(0));
        // Data next to the code, in the same page: nothing to drop.
        ram.write(0x1238, 4, Endian::Little, 1).unwrap();
        ram.write(0x122c, 4, Endian::Little, 1).unwrap();
        assert!(!ram.has_dirty_code(0));
        ram.write(0x1236, 4, Endian::Little, 1).unwrap();
        ram.write(0x1236, 4, Endian::Little, 2).unwrap();
        assert!(ram.has_dirty_code(0));
        assert!(ram.has_dirty_code(3));
        assert_eq!(ram.take_dirty_code(0), vec![(0x1236, 4)]);
        assert!(!ram.has_dirty_code(0));
        assert_eq!(ram.take_dirty_code(3), vec![(0x1236, 4)]);
    }

    #[test]
    fn a_released_page_is_plain_data_again() {
        let ram = Ram::new(0x3000);
        ram.mark_code(0x1ffe, 4, 1);
        ram.write_bytes(0x2000, &[0; 2]).unwrap();
        assert_eq!(ram.take_dirty_code(1), vec![(0x2000, 2)]);
        ram.release_code_page(0x1000, 1);
        ram.write(0x1ffe, 2, Endian::Little, 0).unwrap();
        assert!(!ram.has_dirty_code(1));
        ram.write(0x2000, 2, Endian::Little, 0).unwrap();
        assert!(ram.has_dirty_code(1));
        assert_eq!(ram.code_word_addr(0x1000).map(|a| a != 0), Some(true));
    }

    #[test]
    fn modify_returns_the_old_value() {
        let ram = Ram::new(8);
        ram.write(0, 4, Endian::Little, 5).unwrap();
        assert_eq!(ram.modify(0, 4, Endian::Little, |v| Some(v + 1)), Some(5));
        assert_eq!(ram.read(0, 4, Endian::Little), Some(6));
    }
}
