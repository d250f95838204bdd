//! Image loaders: ELF files (loaded by their program headers' physical
//! addresses, entry point from the header) and raw binaries (loaded at a
//! given address).

use std::path::{Path, PathBuf};

use object::read::elf::{ElfFile, FileHeader, ProgramHeader};
use object::{elf, Endianness};

/// One run of bytes to place in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Physical address of the first byte.
    pub addr: u64,
    /// The bytes from the file.
    pub data: Vec<u8>,
    /// Zero bytes that follow them (an ELF segment's memory size past its
    /// file size), written without being held in memory here.
    pub zeros: u64,
}

impl Segment {
    /// Bytes the segment covers in memory.
    pub fn len(&self) -> u64 {
        (self.data.len() as u64).saturating_add(self.zeros)
    }

    /// Whether it covers nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an ELF file's header says it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElfIdent {
    /// `e_machine`.
    pub machine: u16,
    /// 32 or 64 (`EI_CLASS`).
    pub bits: u32,
    /// Byte order (`EI_DATA`).
    pub big_endian: bool,
}

/// A name for an ELF `e_machine`, for messages.
fn machine_name(machine: u16) -> String {
    match machine {
        elf::EM_386 => "x86".into(),
        elf::EM_ARM => "Arm (32-bit)".into(),
        elf::EM_X86_64 => "x86-64".into(),
        elf::EM_AARCH64 => "AArch64".into(),
        elf::EM_RISCV => "RISC-V".into(),
        other => format!("machine {other}"),
    }
}

impl ElfIdent {
    /// Whether a program of this kind runs on a cluster whose programs
    /// carry `machine` (unchecked when `None`), with `word_bits`-bit
    /// registers and byte order `endian`.
    ///
    /// # Errors
    ///
    /// A sentence naming what differs.
    pub fn check(
        &self,
        machine: Option<u16>,
        word_bits: u32,
        endian: chimera_memory::Endian,
    ) -> Result<(), String> {
        let Some(machine) = machine else {
            return Ok(());
        };
        if self.machine != machine {
            return Err(format!(
                "an ELF file for {}, not for this cluster's {}",
                machine_name(self.machine),
                machine_name(machine)
            ));
        }
        if self.bits != word_bits {
            return Err(format!(
                "a {}-bit ELF file for a {word_bits}-bit cluster",
                self.bits
            ));
        }
        let big = endian == chimera_memory::Endian::Big;
        if self.big_endian != big {
            let order = |b: bool| if b { "big-endian" } else { "little-endian" };
            return Err(format!(
                "a {} ELF file for a {} cluster",
                order(self.big_endian),
                order(big)
            ));
        }
        Ok(())
    }
}

/// An image read from disk, ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Where it came from.
    pub path: PathBuf,
    /// Its entry point, if the format has one (or the load address of a
    /// raw image).
    pub entry: Option<u64>,
    /// What to place where.
    pub segments: Vec<Segment>,
    /// For an ELF file, what its header says it is for.
    pub elf: Option<ElfIdent>,
}

/// Largest segment we agree to place: a corrupt header must not make us
/// write without bound.
const MAX_SEGMENT: u64 = 1 << 32;

/// Largest image file we read: 4 GiB.
pub const MAX_IMAGE_FILE: u64 = 1 << 32;

/// Why a path with metadata `meta` cannot hold an image, when it cannot:
/// a directory, a device, a FIFO or a socket (opening a FIFO would wait
/// for a writer).
pub fn not_a_regular_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    if meta.is_dir() {
        Some("is a directory")
    } else if !meta.is_file() {
        Some("is not a regular file (a device, a FIFO or a socket)")
    } else {
        None
    }
}

/// Reads a whole image file: a regular file of at most
/// [`MAX_IMAGE_FILE`] bytes (a directory, a device or a FIFO is refused
/// before anything is read, so `/dev/zero` cannot exhaust memory).
///
/// # Errors
///
/// A sentence saying what the path is instead, or why it cannot be read.
pub fn read_file_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if let Some(why) = not_a_regular_file(&meta) {
        return Err(why.into());
    }
    if meta.len() > MAX_IMAGE_FILE {
        return Err(format!(
            "{} bytes is more than the largest image, {MAX_IMAGE_FILE} bytes",
            meta.len()
        ));
    }
    // Sized from the metadata (checked above): read in one piece, not
    // grown by doubling and copying as a read of unknown length is.
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_IMAGE_FILE + 1).read_to_end(&mut data))
        .map_err(|e| e.to_string())?;
    if data.len() as u64 > MAX_IMAGE_FILE {
        return Err(format!(
            "grew past the largest image, {MAX_IMAGE_FILE} bytes"
        ));
    }
    Ok(data)
}

/// When `path` is a Linux kernel `Image` (recognised by its header's
/// magic numbers), which firmware must start it and how: such an image
/// expects to be entered by a boot loader, with a device tree, in a mode
/// below the machine's most privileged one. `None` for anything else,
/// including files that cannot be read.
pub fn linux_firmware_hint(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut header = [0u8; 64];
    // Opening a FIFO would wait for a writer.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .ok()?;
    // RISC-V: "RISCV\0\0\0" at 0x30 (deprecated) and "RSC\x05" at 0x38.
    if &header[0x38..0x3c] == b"RSC\x05" || &header[0x30..0x38] == b"RISCV\0\0\0" {
        return Some(
            "boot it through OpenSBI: --bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin \
             (Debian package `opensbi`), with --initrd and --append as needed"
                .into(),
        );
    }
    // AArch64: "ARM\x64" at 0x38.
    if &header[0x38..0x3c] == b"ARM\x64" {
        return Some("an AArch64 kernel needs a machine with AArch64 CPUs and its firmware".into());
    }
    None
}

/// Reads an image: ELF when the file starts with the ELF magic, otherwise
/// raw bytes at `raw_addr` (which a raw image must have).
pub fn read_image(path: &Path, raw_addr: Option<u64>) -> Result<Image, String> {
    parse_image(path, read_file_bounded(path)?, raw_addr)
}

/// Makes an image of the bytes `data` read from `path`: ELF when they
/// start with the ELF magic, otherwise raw bytes at `raw_addr`.
///
/// # Errors
///
/// A sentence naming what is wrong with the bytes.
pub fn parse_image(path: &Path, data: Vec<u8>, raw_addr: Option<u64>) -> Result<Image, String> {
    if data.starts_with(&elf::ELFMAG) {
        // Byte 4 of the identification (EI_CLASS) says 32 or 64 bits.
        let (entry, segments, elf) = match data.get(4) {
            Some(&elf::ELFCLASS64) => read_elf::<elf::FileHeader64<Endianness>>(&data, 64)?,
            Some(&elf::ELFCLASS32) => read_elf::<elf::FileHeader32<Endianness>>(&data, 32)?,
            _ => return Err("ELF file of unknown class".into()),
        };
        return Ok(Image {
            path: path.to_path_buf(),
            entry: Some(entry),
            segments,
            elf: Some(elf),
        });
    }
    let addr = raw_addr.ok_or_else(|| {
        "not an ELF file, and a raw image needs a load address (`addr`)".to_string()
    })?;
    Ok(Image {
        path: path.to_path_buf(),
        entry: Some(addr),
        segments: vec![Segment {
            addr,
            data,
            zeros: 0,
        }],
        elf: None,
    })
}

fn read_elf<H: FileHeader<Endian = Endianness>>(
    data: &[u8],
    bits: u32,
) -> Result<(u64, Vec<Segment>, ElfIdent), String> {
    let file = ElfFile::<H>::parse(data).map_err(|e| format!("bad ELF file: {e}"))?;
    let endian = file.endian();
    let header = file.elf_header();
    let ident = ElfIdent {
        machine: header.e_machine(endian),
        bits,
        big_endian: endian == Endianness::Big,
    };
    let mut segments = Vec::new();
    let mut copied = 0usize;
    for ph in file.elf_program_headers() {
        if ph.p_type(endian) != elf::PT_LOAD {
            continue;
        }
        let memsz: u64 = ph.p_memsz(endian).into();
        if memsz == 0 {
            continue;
        }
        if memsz > MAX_SEGMENT {
            return Err(format!("a segment of {memsz:#x} bytes is too large"));
        }
        let filesz: u64 = ph.p_filesz(endian).into();
        let addr: u64 = ph.p_paddr(endian).into();
        if filesz > memsz {
            return Err(format!(
                "the segment at {addr:#x} has more bytes in the file ({filesz:#x}) than in memory ({memsz:#x})"
            ));
        }
        let bytes = ph
            .data(endian, data)
            .map_err(|_| "a segment lies outside the file".to_string())?;
        // Segments may share file bytes, but not many times over: an ELF
        // file of thousands of headers naming the same bytes must not
        // multiply its size in memory.
        copied += bytes.len();
        if copied > data.len().saturating_mul(2) {
            return Err("the segments name the file's bytes many times over".into());
        }
        segments.push(Segment {
            addr,
            data: bytes.to_vec(),
            zeros: memsz - filesz,
        });
    }
    if segments.is_empty() {
        return Err("the ELF file has no loadable segment".into());
    }
    Ok((header.e_entry(endian).into(), segments, ident))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_images_need_an_address() {
        let dir = std::env::temp_dir().join(format!("chimera-img-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("raw.bin");
        std::fs::write(&p, [1, 2, 3]).unwrap();
        assert!(read_image(&p, None).is_err());
        let img = read_image(&p, Some(0x100)).unwrap();
        assert_eq!(img.segments[0].addr, 0x100);
        assert_eq!(img.entry, Some(0x100));
    }

    #[test]
    fn a_truncated_elf_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("chimera-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.elf");
        let mut bytes = elf::ELFMAG.to_vec();
        bytes.extend_from_slice(&[2, 1, 1, 0, 0, 0]);
        std::fs::write(&p, &bytes).unwrap();
        assert!(read_image(&p, None).is_err());
    }

    /// A little-endian ELF64 file for `machine` with one loadable segment
    /// of `filesz` bytes from the file (the file holds 4) and `memsz` in
    /// memory at `addr`.
    pub(crate) fn elf64(machine: u16, addr: u64, filesz: u64, memsz: u64) -> Vec<u8> {
        let mut b = elf::ELFMAG.to_vec();
        b.extend_from_slice(&[elf::ELFCLASS64, elf::ELFDATA2LSB, 1, 0]);
        b.resize(16, 0);
        b.extend_from_slice(&elf::ET_EXEC.to_le_bytes());
        b.extend_from_slice(&machine.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes()); // e_version
        b.extend_from_slice(&addr.to_le_bytes()); // e_entry
        b.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
        b.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        b.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        for half in [64u16, 56, 1, 64, 0, 0] {
            // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
            b.extend_from_slice(&half.to_le_bytes());
        }
        b.extend_from_slice(&elf::PT_LOAD.to_le_bytes());
        b.extend_from_slice(&(elf::PF_R | elf::PF_X).to_le_bytes());
        for word in [120u64, addr, addr, filesz, memsz, 4] {
            // p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
            b.extend_from_slice(&word.to_le_bytes());
        }
        b.extend_from_slice(&[0x13, 0, 0, 0]);
        b
    }

    fn written(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("chimera-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn zero_fill_is_counted_not_allocated() {
        let p = written("bss.elf", &elf64(elf::EM_RISCV, 0x8000_0000, 4, 3 << 30));
        let img = read_image(&p, None).unwrap();
        assert_eq!(img.segments[0].data.len(), 4);
        assert_eq!(img.segments[0].zeros, (3 << 30) - 4);
        assert_eq!(
            img.elf,
            Some(ElfIdent {
                machine: elf::EM_RISCV,
                bits: 64,
                big_endian: false
            })
        );
    }

    #[test]
    fn more_file_bytes_than_memory_bytes_is_an_error() {
        let p = written("filesz.elf", &elf64(elf::EM_RISCV, 0x8000_0000, 4, 2));
        let e = read_image(&p, None).unwrap_err();
        assert!(e.contains("more bytes in the file"), "{e}");
    }

    #[test]
    fn elf_files_are_checked_against_the_cluster() {
        use chimera_memory::Endian;
        let rv64 = ElfIdent {
            machine: elf::EM_RISCV,
            bits: 64,
            big_endian: false,
        };
        assert_eq!(rv64.check(Some(elf::EM_RISCV), 64, Endian::Little), Ok(()));
        assert_eq!(rv64.check(None, 32, Endian::Big), Ok(()));
        let e = rv64
            .check(Some(elf::EM_RISCV), 32, Endian::Little)
            .unwrap_err();
        assert!(e.contains("64-bit ELF file for a 32-bit cluster"), "{e}");
        let e = rv64
            .check(Some(elf::EM_ARM), 64, Endian::Little)
            .unwrap_err();
        assert!(e.contains("for RISC-V, not for this cluster's Arm"), "{e}");
        let x86 = ElfIdent {
            machine: elf::EM_X86_64,
            ..rv64
        };
        let e = x86
            .check(Some(elf::EM_RISCV), 64, Endian::Little)
            .unwrap_err();
        assert!(e.contains("x86-64"), "{e}");
        let e = rv64
            .check(Some(elf::EM_RISCV), 64, Endian::Big)
            .unwrap_err();
        assert!(e.contains("little-endian ELF file for a big-endian"), "{e}");
    }
}
