//! Any bytes as an image file: an ELF file's headers and segments, or a
//! raw image; parsing and the checks against a cluster must answer with an
//! error, never a panic or an allocation the file does not pay for.
#![no_main]

use std::path::Path;

use chimera_machine::image::parse_image;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw_addr = (data.first() == Some(&0)).then_some(0x8000_0000);
    if let Ok(image) = parse_image(Path::new("fuzz.elf"), data.to_vec(), raw_addr) {
        let placed: u64 = image.segments.iter().map(|s| s.data.len() as u64).sum();
        assert!(
            placed <= 2 * data.len() as u64,
            "segments multiply the file"
        );
        if let Some(elf) = image.elf {
            for bits in [32, 64] {
                let _ = elf.check(Some(243), bits, chimera_memory::Endian::Little);
            }
        }
    }
});
