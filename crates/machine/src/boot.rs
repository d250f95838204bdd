//! Firmware boot in the manner of QEMU's `virt` with `-bios` and
//! `-kernel`: the firmware at the machine's `bios-base`, its payload where
//! OpenSBI's `fw_jump` looks for it, a device tree near the top of RAM, and
//! every CPU entering the firmware with its boot arguments. The addresses
//! follow QEMU (`hw/riscv/boot.c`) so the same firmware builds run on both.

use chimera_engine::ClusterRun;

use crate::builder::{load_segments, FirmwareSpec};
use crate::error::{BuildError, BuildErrorKind, Subject};
use crate::fdt::Chosen;
use crate::image::{read_image, Image, Segment};
use crate::inventory::{ClusterFacts, Inventory};
use crate::Machine;

const MIB: u64 = 1 << 20;

/// Loads firmware, payload and device tree into `machine` as `spec` says,
/// and points every CPU of the cluster at the firmware.
pub(crate) fn boot_firmware(machine: &mut Machine, spec: &FirmwareSpec) -> Result<(), BuildError> {
    let failed = |message: String| BuildError::new(Subject::Machine, BuildErrorKind::Boot(message));
    let inventory = machine.inventory().clone();
    let facts = inventory
        .part(&spec.cluster)
        .and_then(|p| p.cluster.clone())
        .ok_or_else(|| failed(format!("no cluster `{}`", spec.cluster)))?;
    let index = machine
        .scheduler()
        .clusters()
        .iter()
        .position(|c| c.name() == spec.cluster)
        .ok_or_else(|| failed(format!("no cluster `{}`", spec.cluster)))?;

    let bios = load(machine, index, &spec.bios, Some(spec.bios_base))?;
    let bios_end = image_end(&bios);
    let kernel = match &spec.kernel {
        Some(path) => {
            let at = payload_addr(bios_end, &facts).ok_or_else(|| {
                failed("the firmware ends at the top of the address space".into())
            })?;
            Some(load(machine, index, path, Some(at))?)
        }
        None => None,
    };

    let (ram_base, ram_size) = boot_ram(&inventory, &facts, spec.bios_base)
        .ok_or_else(|| failed(format!("cluster `{}` sees no RAM", spec.cluster)))?;
    let ram_end = ram_base.saturating_add(ram_size);
    let initrd = match &spec.initrd {
        Some(path) => {
            let kernel = kernel
                .as_ref()
                .ok_or_else(|| failed("an initial RAM disk needs a kernel (--kernel)".into()))?;
            let at = initrd_addr(image_start(kernel), ram_size);
            let data = crate::image::read_file_bounded(path).map_err(|e| {
                failed(format!(
                    "cannot read the initial RAM disk `{}`: {e}",
                    path.display()
                ))
            })?;
            let end = at
                .checked_add(data.len() as u64)
                .filter(|&end| end <= ram_end);
            let end = end.ok_or_else(|| {
                failed(format!(
                    "the initial RAM disk `{}` ({} bytes) does not fit in the RAM at {at:#x} \
                     (RAM ends at {ram_end:#x})",
                    path.display(),
                    data.len()
                ))
            })?;
            let image = Image {
                path: path.clone(),
                entry: None,
                segments: vec![Segment {
                    addr: at,
                    data,
                    zeros: 0,
                }],
                elf: None,
            };
            Some((image, end))
        }
        None => None,
    };
    let chosen = Chosen {
        bootargs: spec.append.clone(),
        initrd: initrd
            .as_ref()
            .map(|(image, end)| (image_start(image), *end)),
        rng_seed: Some(rng_seed(&inventory.name)),
    };
    let dtb = match &spec.dtb {
        Some(path) => {
            let blob = crate::image::read_file_bounded(path).map_err(|e| {
                failed(format!(
                    "cannot read the device tree `{}`: {e}",
                    path.display()
                ))
            })?;
            crate::fdt_edit::with_chosen(&blob, &chosen)
                .map_err(|e| failed(format!("`{}`: {e}", path.display())))?
        }
        None => crate::fdt::generate(&inventory, &spec.cluster, &chosen)
            .map_err(|e| BuildError::new(Subject::Machine, e))?,
    };
    let fdt_addr = fdt_addr(ram_base, ram_size, dtb.len() as u64).ok_or_else(|| {
        failed(format!(
            "a {}-byte device tree does not fit in the RAM at {ram_base:#x}",
            dtb.len()
        ))
    })?;
    if let Some((image, end)) = &initrd {
        if *end > fdt_addr {
            return Err(failed(format!(
                "the initial RAM disk `{}` ends at {end:#x}, over the device tree at \
                 {fdt_addr:#x}: give the machine more RAM (--set ram.size=...)",
                image.path.display()
            )));
        }
    }
    let fdt = Image {
        path: "<device tree>".into(),
        entry: None,
        segments: vec![Segment {
            addr: fdt_addr,
            data: dtb,
            zeros: 0,
        }],
        elf: None,
    };
    let cluster = &mut machine.scheduler_mut().clusters_mut()[index];
    load_segments(cluster.as_ref(), &fdt).map_err(failed)?;
    cluster.set_boot_pc(None, bios.entry.unwrap_or(spec.bios_base));
    for hart in 0..facts.cpus {
        let args = boot_args(&facts, hart, fdt_addr).ok_or_else(|| {
            failed(format!(
                "{} CPUs have no device-tree boot convention",
                facts.arch
            ))
        })?;
        cluster.set_boot_args(Some(hart), &args).map_err(failed)?;
    }
    machine.keep_image(index, bios);
    if let Some(kernel) = kernel {
        machine.keep_image(index, kernel);
    }
    if let Some((image, _)) = initrd {
        load_segments(machine.scheduler().clusters()[index].as_ref(), &image).map_err(failed)?;
        machine.keep_image(index, image);
    }
    machine.keep_image(index, fdt);
    Ok(())
}

/// Reads `path` and loads it into cluster `index`'s space.
fn load(
    machine: &mut Machine,
    index: usize,
    path: &std::path::Path,
    raw_addr: Option<u64>,
) -> Result<Image, BuildError> {
    let invalid = |reason: String| {
        BuildError::new(
            Subject::Machine,
            BuildErrorKind::ImageInvalid {
                path: path.display().to_string(),
                reason,
            },
        )
    };
    let image = read_image(path, raw_addr).map_err(invalid)?;
    let cluster: &dyn ClusterRun = machine.scheduler().clusters()[index].as_ref();
    load_segments(cluster, &image).map_err(invalid)?;
    Ok(image)
}

/// The address after an image's last byte.
fn image_end(image: &Image) -> u64 {
    image
        .segments
        .iter()
        .map(|s| s.addr.saturating_add(s.len()))
        .max()
        .unwrap_or(0)
}

/// The address of an image's first byte.
fn image_start(image: &Image) -> u64 {
    image.segments.iter().map(|s| s.addr).min().unwrap_or(0)
}

/// Where QEMU 10 puts the initial RAM disk (`riscv_load_initrd`): past the
/// kernel by half the RAM, at most 512 MiB, so that the kernel unpacking
/// itself does not overwrite it and it stays in the kernel's low memory.
fn initrd_addr(kernel_start: u64, ram_size: u64) -> u64 {
    kernel_start.saturating_add((ram_size / 2).min(512 * MIB))
}

/// Seed bytes for `/chosen/rng-seed`: fixed for a machine (from its name),
/// so that runs stay reproducible, and different from one machine to the
/// next.
fn rng_seed(machine: &str) -> Vec<u8> {
    // splitmix64 over the name's FNV-1a hash.
    let mut x = machine.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (0..4)
        .flat_map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)).to_le_bytes()
        })
        .collect()
}

/// Where a raw payload goes: the first superpage boundary at or after the
/// firmware's end, the span one page-table page maps (2 MiB with 64-bit
/// entries, 4 MiB with 32-bit ones), as QEMU does for `fw_jump`
/// (`riscv_calc_kernel_start_addr`).
fn payload_addr(bios_end: u64, facts: &ClusterFacts) -> Option<u64> {
    let entry_bits = (facts.word_bits / 8).max(1).trailing_zeros();
    let bits = (2 * facts.page_bits).checked_sub(entry_bits)?;
    let align = 1u64.checked_shl(bits)?;
    bios_end.checked_next_multiple_of(align)
}

/// The RAM the device tree goes in: the RAM mapping that holds the
/// firmware, else the lowest one the cluster sees.
fn boot_ram(inventory: &Inventory, facts: &ClusterFacts, bios_base: u64) -> Option<(u64, u64)> {
    let mut rams: Vec<(u64, u64)> = inventory
        .parts
        .iter()
        .filter(|p| p.type_name == "ram")
        .filter_map(|p| p.map_in(&facts.space))
        .map(|m| (m.base, m.size))
        .collect();
    rams.sort_unstable();
    rams.iter()
        .find(|(base, size)| bios_base >= *base && bios_base - base < *size)
        .or(rams.first())
        .copied()
}

/// QEMU's `riscv_compute_fdt_addr`: 2 MiB aligned below the end of RAM,
/// or below 3 GiB when RAM starts under it (32-bit firmware must reach
/// it).
fn fdt_addr(ram_base: u64, ram_size: u64, fdt_size: u64) -> Option<u64> {
    let end = ram_base.checked_add(ram_size)?;
    let top = if ram_base < 3072 * MIB {
        end.min(3072 * MIB)
    } else {
        end
    };
    let addr = top.checked_sub(fdt_size)? & !(2 * MIB - 1);
    (addr >= ram_base).then_some(addr)
}

/// The registers a CPU enters firmware with, by its architecture's
/// device-tree boot convention: on RISC-V (QEMU's reset vector) `a0` =
/// hart id, `a1` = device tree, `a2` = 0 (no `fw_dynamic` information).
fn boot_args(facts: &ClusterFacts, hart: u32, fdt: u64) -> Option<Vec<u64>> {
    facts
        .arch
        .starts_with("riscv")
        .then(|| vec![u64::from(hart), fdt, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(word_bits: u32) -> ClusterFacts {
        ClusterFacts {
            space: "sys".into(),
            arch: format!("riscv{word_bits}"),
            cpus: 1,
            word_bits,
            page_bits: 12,
        }
    }

    #[test]
    fn the_payload_goes_on_the_next_superpage_as_in_qemu() {
        // Debian's fw_jump.bin is 272,448 bytes; FW_JUMP_ADDR is 0x8020_0000.
        assert_eq!(
            payload_addr(0x8000_0000 + 272_448, &facts(64)),
            Some(0x8020_0000)
        );
        assert_eq!(
            payload_addr(0x8000_0000 + 272_448, &facts(32)),
            Some(0x8040_0000)
        );
        assert_eq!(payload_addr(0x8020_0000, &facts(64)), Some(0x8020_0000));
    }

    #[test]
    fn the_initrd_goes_where_qemu_10_puts_it() {
        // Read off `qemu-system-riscv64 -M virt,dumpdtb=… -m SIZE -kernel
        // Image -initrd …` (QEMU 10.0): linux,initrd-start.
        for (ram, start) in [
            (128 * MIB, 0x8420_0000),
            (256 * MIB, 0x8820_0000),
            (512 * MIB, 0x9020_0000),
            (2048 * MIB, 0xa020_0000),
        ] {
            assert_eq!(initrd_addr(0x8020_0000, ram), start, "{ram:#x}");
        }
    }

    #[test]
    fn the_device_tree_sits_2m_aligned_below_the_top_of_ram() {
        assert_eq!(fdt_addr(0x8000_0000, 128 * MIB, 2000), Some(0x87e0_0000));
        // RAM past 3 GiB: QEMU keeps the tree below 3 GiB.
        assert_eq!(fdt_addr(0x8000_0000, 2048 * MIB, 4096), Some(0xbfe0_0000));
        assert_eq!(fdt_addr(0x8010_0000, MIB, 4096), None);
    }

    #[test]
    fn harts_enter_the_firmware_with_their_id_and_the_tree_after_every_reset() {
        let dir = std::env::temp_dir().join(format!("chimera-boot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bios = dir.join("wfi.bin");
        // wfi
        std::fs::write(&bios, [0x73, 0x00, 0x50, 0x10]).unwrap();
        let mut loaded = crate::load_profile("riscv-virt", crate::builtin_registry()).unwrap();
        loaded
            .builder
            .set_property("cpu", "harts", 2.into())
            .unwrap();
        loaded.builder.clear_images("cpu");
        loaded
            .builder
            .set_firmware(FirmwareSpec {
                cluster: "cpu".into(),
                bios: bios.clone(),
                bios_base: 0x8000_0000,
                kernel: None,
                initrd: None,
                append: None,
                dtb: None,
            })
            .unwrap();
        let mut machine = loaded.realize(&crate::SerialConfig::default()).unwrap();
        for round in 0..2 {
            let cluster = &machine.scheduler().clusters()[0];
            for hart in 0..2u64 {
                let regs = cluster.dump_registers(hart as u32).unwrap();
                assert!(regs.contains(" pc       0000000080000000"), "{regs}");
                assert!(regs.contains(&format!("a0   {hart:016x}")), "{regs}");
                assert!(regs.contains("a1   0000000087e00000"), "{regs}");
                assert!(regs.contains("a2   0000000000000000"), "{regs}");
            }
            let space = cluster.space().clone();
            let ctx = chimera_memory::MmioCtx {
                now_ns: 0,
                initiator: u32::MAX,
            };
            let magic = space
                .read(
                    &ctx,
                    0x87e0_0000,
                    4,
                    chimera_memory::Endian::Big,
                    chimera_memory::AccessKind::Read,
                )
                .unwrap();
            assert_eq!(magic, 0xd00d_feed, "round {round}");
            // The guest scribbles over the tree; a reset brings it back.
            space.load_bytes(0x87e0_0000, &[0; 4]).unwrap();
            machine.reset().unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn riscv_harts_get_their_id_and_the_tree() {
        assert_eq!(
            boot_args(&facts(64), 1, 0x87e0_0000),
            Some(vec![1, 0x87e0_0000, 0])
        );
        let mut arm = facts(32);
        arm.arch = "cortex-m4".into();
        assert_eq!(boot_args(&arm, 0, 0), None);
    }
}
