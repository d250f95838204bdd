//! Host memory backing guest RAM and ROM, shared between the address spaces
//! (and host threads) that map it, with the code-page tracking that lets
//! the engine drop translations when a guest writes over its own code.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;

use crate::Endian;

/// Granularity of code-page tracking, independent of any guest page size.
pub const CODE_PAGE_BITS: u32 = 12;

/// A block of guest RAM.
///
/// Bytes are `AtomicU8` so that clusters on different host threads may
/// share it without data races in the Rust sense; relaxed byte accesses
/// compile to plain moves.
pub struct Ram {
    bytes: Box<[AtomicU8]>,
    code_pages: Box<[AtomicBool]>,
    dirty_code: Mutex<Vec<u64>>,
    has_dirty_code: AtomicBool,
    rmw: Mutex<()>,
}

impl fmt::Debug for Ram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ram({} bytes)", self.bytes.len())
    }
}

fn zeroed_atomic_bytes(len: usize) -> Box<[AtomicU8]> {
    let plain: Box<[u8]> = vec![0u8; len].into_boxed_slice();
    let raw = Box::into_raw(plain) as *mut [AtomicU8];
    // SAFETY: `AtomicU8` has the same size, alignment and bit validity as
    // `u8` (documented in std), so a boxed `[u8]` is a valid boxed
    // `[AtomicU8]` of the same length; the allocation keeps its layout.
    // Going through `vec!` lets the allocator hand out lazily zeroed pages.
    unsafe { Box::from_raw(raw) }
}

impl Ram {
    /// Zero-filled RAM of `size` bytes.
    pub fn new(size: usize) -> Self {
        let pages = size.div_ceil(1 << CODE_PAGE_BITS);
        Ram {
            bytes: zeroed_atomic_bytes(size),
            code_pages: (0..pages).map(|_| AtomicBool::new(false)).collect(),
            dirty_code: Mutex::new(Vec::new()),
            has_dirty_code: AtomicBool::new(false),
            rmw: Mutex::new(()),
        }
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
        let mut buf = [0u8; 8];
        for (b, c) in buf.iter_mut().zip(cells) {
            *b = c.load(Ordering::Relaxed);
        }
        Some(endian.load(&buf[..size]))
    }

    /// Writes the low `size` bytes of `value` at `offset`.
    pub fn write(&self, offset: u64, size: usize, endian: Endian, value: u64) -> Option<()> {
        let cells = self.range(offset, size)?;
        let mut buf = [0u8; 8];
        endian.store(value, &mut buf[..size]);
        for (b, c) in buf.iter().zip(cells) {
            c.store(*b, Ordering::Relaxed);
        }
        self.note_write(offset, size as u64);
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

    /// Runs a read-modify-write of `size` bytes at `offset` atomically with
    /// respect to every other `modify` on this block: `f` gets the old value
    /// and returns the new one, or `None` to leave memory unchanged.
    /// Returns the old value.
    pub fn modify(
        &self,
        offset: u64,
        size: usize,
        endian: Endian,
        f: impl FnOnce(u64) -> Option<u64>,
    ) -> Option<u64> {
        // A poisoned lock only means another thread panicked mid-update of
        // guest bytes, which stay valid bytes: carry on.
        let _guard = self.rmw.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.read(offset, size, endian)?;
        if let Some(new) = f(old) {
            self.write(offset, size, endian, new)?;
        }
        Some(old)
    }

    /// Marks the page holding `offset` as holding translated code.
    pub fn mark_code(&self, offset: u64) {
        if let Some(flag) = self.code_pages.get((offset >> CODE_PAGE_BITS) as usize) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    fn note_write(&self, offset: u64, len: u64) {
        let first = offset >> CODE_PAGE_BITS;
        let last = (offset + len.max(1) - 1) >> CODE_PAGE_BITS;
        for page in first..=last {
            let Some(flag) = self.code_pages.get(page as usize) else {
                continue;
            };
            if flag.swap(false, Ordering::Relaxed) {
                let mut dirty = self.dirty_code.lock().unwrap_or_else(|e| e.into_inner());
                dirty.push(page << CODE_PAGE_BITS);
                self.has_dirty_code.store(true, Ordering::Release);
            }
        }
    }

    /// Whether a code page was written since the last [`Ram::take_dirty_code`].
    pub fn has_dirty_code(&self) -> bool {
        self.has_dirty_code.load(Ordering::Acquire)
    }

    /// Offsets of the code pages written since the last call.
    pub fn take_dirty_code(&self) -> Vec<u64> {
        let mut dirty = self.dirty_code.lock().unwrap_or_else(|e| e.into_inner());
        self.has_dirty_code.store(false, Ordering::Release);
        std::mem::take(&mut *dirty)
    }
}

#[cfg(test)]
mod tests {
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
    fn writing_a_code_page_reports_it_dirty_once() {
        let ram = Ram::new(0x3000);
        ram.mark_code(0x1234);
        ram.write(0x0ffc, 4, Endian::Little, 1).unwrap();
        assert!(!ram.has_dirty_code());
        ram.write(0x1ffe, 4, Endian::Little, 1).unwrap();
        assert!(ram.has_dirty_code());
        assert_eq!(ram.take_dirty_code(), vec![0x1000]);
        ram.write(0x1000, 4, Endian::Little, 1).unwrap();
        assert!(!ram.has_dirty_code());
    }

    #[test]
    fn modify_returns_the_old_value() {
        let ram = Ram::new(8);
        ram.write(0, 4, Endian::Little, 5).unwrap();
        assert_eq!(ram.modify(0, 4, Endian::Little, |v| Some(v + 1)), Some(5));
        assert_eq!(ram.read(0, 4, Endian::Little), Some(6));
    }
}
