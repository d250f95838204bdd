//! Executable memory for the first tier's code: chunks the template
//! compiler appends functions to, each freed when the last function
//! placed in it is dropped.
//!
//! Chunks are mapped writable and executable at once where the host
//! allows it (as QEMU maps its translation buffer): placing a function
//! is then a copy, where switching pages between writable and executable
//! costs two system calls, 5 to 30 us here, more than compiling the
//! block. Hosts that refuse such mappings get the switching.
//!
//! Written by hand because the job is small and specific: Cranelift's
//! module owns its own memory, and `dynasmrt`'s buffers map one region
//! per assembler (a system call pair and at least a page per block).

use std::sync::Arc;

/// Bytes of code per chunk: one huge page of the host, on which the
/// chunk starts, so that a kernel that backs anonymous memory with huge
/// pages (Linux's transparent huge pages) maps the whole chunk with one
/// TLB entry and one fault (as QEMU's translation buffer is): a Linux
/// boot places ~60 MB of first-tier code, whose 4 KiB pages cost a fault
/// each to place and an instruction-TLB miss each to run.
const CHUNK_BYTES: usize = 2 << 20;

/// Bytes mapped per chunk: twice its size, so that an aligned chunk lies
/// inside wherever the mapping lands (the rest is never touched, so never
/// backed by memory).
const MAPPED_BYTES: usize = 2 * CHUNK_BYTES;

/// Alignment of each function placed: a cache line, so that data a
/// function keeps on a line of its own after its code shares it with no
/// other function's instructions.
const FUNCTION_ALIGN: usize = 64;

/// One mapping of code memory.
pub(crate) struct Chunk {
    /// The mapping, unmapped when the chunk is dropped.
    _mem: region::Allocation,
    /// The chunk's first byte: `mem`'s first aligned to [`CHUNK_BYTES`].
    base: usize,
}

// SAFETY: a `Chunk` is only the ownership of its mapping: the memory is
// written through `CodeHeap::place` (one owner at a time) and otherwise
// only executed; nothing in it refers to a thread.
unsafe impl Send for Chunk {}
// SAFETY: as above; shared references give no access to the memory.
unsafe impl Sync for Chunk {}

/// Where the first tier puts its functions.
#[derive(Default)]
pub(crate) struct CodeHeap {
    chunk: Option<Arc<Chunk>>,
    used: usize,
    /// The host refused a writable and executable mapping: pages are
    /// switched for each copy.
    switch_pages: bool,
}

impl CodeHeap {
    /// Copies the function `code` into executable memory: its address,
    /// and the chunk to keep alive while it may run.
    ///
    /// The pages it lands on may hold functions placed before, and are
    /// writable for the copy: the caller must be the only thread that
    /// runs functions of this heap, and run none during the call (the
    /// engine asks for first-tier code between two blocks, on the thread
    /// of the cluster that runs it).
    pub(crate) fn place(&mut self, code: &[u8]) -> Result<(usize, Arc<Chunk>), String> {
        if code.len() > CHUNK_BYTES {
            return Err(format!("function of {} bytes is too big", code.len()));
        }
        let start = self.used.next_multiple_of(FUNCTION_ALIGN);
        let chunk = match &self.chunk {
            Some(c) if start + code.len() <= CHUNK_BYTES => c.clone(),
            _ => {
                let rwx = region::alloc(MAPPED_BYTES, region::Protection::READ_WRITE_EXECUTE);
                let mem = match rwx {
                    Ok(mem) if !self.switch_pages => mem,
                    _ => {
                        self.switch_pages = true;
                        region::alloc(MAPPED_BYTES, region::Protection::READ_WRITE)
                            .map_err(|e| format!("cannot map code memory: {e}"))?
                    }
                };
                let base = (mem.as_ptr::<u8>() as usize).next_multiple_of(CHUNK_BYTES);
                advise_huge_page(base);
                let c = Arc::new(Chunk { _mem: mem, base });
                self.chunk = Some(c.clone());
                self.used = 0;
                return self.place(code);
            }
        };
        let at = chunk.base + start;
        // SAFETY: the bytes past `used` lie in the chunk (checked against
        // its length above), which is mapped while `chunk` is held, and
        // belong to no function placed so far; no function of the heap
        // runs meanwhile (this function's contract).
        unsafe {
            self.write_code(at, code.len(), || {
                // SAFETY: as above; `write_code` made the bytes writable.
                std::ptr::copy_nonoverlapping(code.as_ptr(), at as *mut u8, code.len())
            })?;
        }
        self.used = start + code.len();
        Ok((at, chunk))
    }
}

/// Asks the kernel to back the chunk at `base` with a huge page even
/// where it would only do so on request (`defrag` set to `madvise`).
#[cfg(target_os = "linux")]
fn advise_huge_page(base: usize) {
    // SAFETY: `madvise` only gives advice about memory: the range is the
    // chunk, page-aligned inside its mapping, and MADV_HUGEPAGE changes
    // neither its contents nor the mapping's validity. Failure (a host
    // without huge pages) changes nothing.
    unsafe {
        libc::madvise(base as *mut libc::c_void, CHUNK_BYTES, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_page(_: usize) {}

impl CodeHeap {
    /// Whether placed code stays writable while it runs (the mapping is
    /// writable and executable at once): data in it may be written by
    /// whoever owns the code.
    pub(crate) fn writable_code(&self) -> bool {
        !self.switch_pages
    }

    /// Overwrites `bytes.len()` bytes of a function placed in this heap at
    /// `addr` with `bytes`, in one store when they are two bytes at an
    /// even address.
    ///
    /// # Safety
    ///
    /// `addr..addr + bytes.len()` must lie in a function this heap placed
    /// whose chunk is still mapped, and, as for [`CodeHeap::place`], no
    /// function of the heap may run during the call on any thread.
    pub(crate) unsafe fn patch(&self, addr: usize, bytes: &[u8]) -> Result<(), String> {
        let write = || {
            if let ([a, b], 0) = (bytes, addr % 2) {
                // SAFETY: the caller's contract: the two bytes are in a
                // live function, writable now, aligned for the store.
                unsafe { (addr as *mut u16).write_volatile(u16::from_le_bytes([*a, *b])) };
            } else {
                // SAFETY: as above, for any length.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len())
                };
            }
        };
        // SAFETY: the caller's contract, which is `write_code`'s.
        unsafe { self.write_code(addr, bytes.len(), write) }
    }

    /// Runs `write`, which writes the `len` bytes of code at `addr`, with
    /// them writable: straight away where code memory stays writable,
    /// else between switching their pages to writable and back to
    /// executable.
    ///
    /// # Safety
    ///
    /// `addr..addr + len` must lie in a chunk of this heap that is still
    /// mapped, and no function of the heap may run during the call on any
    /// thread.
    unsafe fn write_code(
        &self,
        addr: usize,
        len: usize,
        write: impl FnOnce(),
    ) -> Result<(), String> {
        if !self.switch_pages {
            write();
            return Ok(());
        }
        let page = region::page::size();
        let first = addr & !(page - 1);
        let end = (addr + len).next_multiple_of(page);
        // SAFETY: `first..end` are whole pages of a mapped chunk (the
        // caller's contract; chunks are page-aligned, whole pages, inside
        // their mapping), none of whose functions runs meanwhile.
        unsafe {
            region::protect(
                first as *const u8,
                end - first,
                region::Protection::READ_WRITE,
            )
            .map_err(|e| format!("cannot write code memory: {e}"))?;
            write();
            region::protect(
                first as *const u8,
                end - first,
                region::Protection::READ_EXECUTE,
            )
            .map_err(|e| format!("cannot make code memory executable: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls the function placed at `addr` (`mov eax, imm32; ret`).
    fn call(addr: usize) -> u32 {
        // SAFETY: the tests place complete functions of this signature.
        let f = unsafe { std::mem::transmute::<usize, extern "C" fn() -> u32>(addr) };
        f()
    }

    #[test]
    fn functions_are_placed_aligned_and_run() {
        let mut heap = CodeHeap::default();
        // mov eax, 42; ret
        let (f, _keep) = heap.place(&[0xb8, 42, 0, 0, 0, 0xc3]).unwrap();
        // mov eax, 7; ret
        let (g, _keep2) = heap.place(&[0xb8, 7, 0, 0, 0, 0xc3]).unwrap();
        assert_eq!(f % FUNCTION_ALIGN, 0);
        assert_eq!(g, f + FUNCTION_ALIGN);
        assert_eq!((call(f), call(g)), (42, 7));
    }

    #[test]
    fn functions_run_where_pages_are_switched_too() {
        let mut heap = CodeHeap {
            switch_pages: true,
            ..CodeHeap::default()
        };
        let (f, _keep) = heap.place(&[0xb8, 42, 0, 0, 0, 0xc3]).unwrap();
        let (g, _keep2) = heap.place(&[0xb8, 7, 0, 0, 0, 0xc3]).unwrap();
        assert_eq!((call(f), call(g)), (42, 7));
    }

    #[test]
    fn placed_code_can_be_patched_in_both_kinds_of_mapping() {
        for switch_pages in [false, true] {
            let mut heap = CodeHeap {
                switch_pages,
                ..CodeHeap::default()
            };
            // jmp +5; mov eax, 1; ret; mov eax, 2; ret
            let code = [0xeb, 0x06, 0xb8, 1, 0, 0, 0, 0xc3, 0xb8, 2, 0, 0, 0, 0xc3];
            let (f, _keep) = heap.place(&code).unwrap();
            assert_eq!(call(f), 2);
            // SAFETY: the two bytes are the function's first, not running.
            unsafe { heap.patch(f, &[0x66, 0x90]).unwrap() };
            assert_eq!(call(f), 1);
        }
    }

    #[test]
    fn a_full_chunk_is_followed_by_a_new_one() {
        let mut heap = CodeHeap::default();
        let big = vec![0xc3u8; CHUNK_BYTES - 8];
        let (_, a) = heap.place(&big).unwrap();
        let (_, b) = heap.place(&[0xc3; 32]).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(heap.place(&vec![0xc3; CHUNK_BYTES + 1]).is_err());
    }
}
