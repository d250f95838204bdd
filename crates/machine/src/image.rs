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
    /// The bytes, zero-filled past the file's data up to the memory size.
    pub data: Vec<u8>,
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
}

/// Largest segment we agree to zero-fill: a corrupt header must not make
/// us allocate without bound.
const MAX_SEGMENT: u64 = 1 << 32;

/// When `path` is a Linux kernel `Image` (recognised by its header's
/// magic numbers), which firmware must start it and how: such an image
/// expects to be entered by a boot loader, with a device tree, in a mode
/// below the machine's most privileged one. `None` for anything else,
/// including files that cannot be read.
pub fn linux_firmware_hint(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut header = [0u8; 64];
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
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    if data.starts_with(&elf::ELFMAG) {
        // Byte 4 of the identification (EI_CLASS) says 32 or 64 bits.
        let (entry, segments) = match data.get(4) {
            Some(&elf::ELFCLASS64) => read_elf::<elf::FileHeader64<Endianness>>(&data)?,
            Some(&elf::ELFCLASS32) => read_elf::<elf::FileHeader32<Endianness>>(&data)?,
            _ => return Err("ELF file of unknown class".into()),
        };
        return Ok(Image {
            path: path.to_path_buf(),
            entry: Some(entry),
            segments,
        });
    }
    let addr = raw_addr.ok_or_else(|| {
        "not an ELF file, and a raw image needs a load address (`addr`)".to_string()
    })?;
    Ok(Image {
        path: path.to_path_buf(),
        entry: Some(addr),
        segments: vec![Segment { addr, data }],
    })
}

fn read_elf<H: FileHeader<Endian = Endianness>>(
    data: &[u8],
) -> Result<(u64, Vec<Segment>), String> {
    let file = ElfFile::<H>::parse(data).map_err(|e| format!("bad ELF file: {e}"))?;
    let endian = file.endian();
    let header = file.elf_header();
    let mut segments = Vec::new();
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
        let bytes = ph
            .data(endian, data)
            .map_err(|_| "a segment lies outside the file".to_string())?;
        let mut seg = bytes.to_vec();
        seg.resize(memsz as usize, 0);
        segments.push(Segment {
            addr: ph.p_paddr(endian).into(),
            data: seg,
        });
    }
    if segments.is_empty() {
        return Err("the ELF file has no loadable segment".into());
    }
    Ok((header.e_entry(endian).into(), segments))
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
}
