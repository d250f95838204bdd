//! Initial RAM disks for Linux: a `newc` cpio archive (what the kernel
//! unpacks into its root file system) holding a static busybox, the
//! directories and device node a shell needs, and an `/init` script. The
//! benchmarks and the Linux tests boot Debian's kernel with one, so that
//! what runs after the kernel is ours to choose. Writing the archive is
//! the `cpio` crate's job.

use std::io::{self, Write};

/// File-type bits of a mode (`S_IFDIR`, `S_IFREG`, `S_IFLNK`, `S_IFCHR`).
const DIR: u32 = 0o040_000;
const FILE: u32 = 0o100_000;
const LINK: u32 = 0o120_000;
const CHAR: u32 = 0o020_000;

/// One entry of an archive.
enum Entry<'a> {
    Dir(&'a str),
    File(&'a str, u32, &'a [u8]),
    Link(&'a str, &'a str),
    /// A character device node with its major and minor numbers.
    Char(&'a str, u32, u32),
}

/// An uncompressed archive (the kernel takes one as it is) with `busybox`
/// (a static binary for the guest) at `/bin/busybox` and `/bin/sh`,
/// `/dev/console` (the kernel opens it for init's output), `/proc`,
/// `/sys`, `/tmp`, and `init` as the executable `/init`.
pub fn busybox_initramfs(busybox: &[u8], init: &str) -> io::Result<Vec<u8>> {
    let entries = [
        Entry::Dir("bin"),
        Entry::File("bin/busybox", 0o755, busybox),
        Entry::Link("bin/sh", "busybox"),
        Entry::Dir("dev"),
        Entry::Char("dev/console", 5, 1),
        Entry::Dir("proc"),
        Entry::Dir("sys"),
        Entry::Dir("tmp"),
        Entry::File("init", 0o755, init.as_bytes()),
    ];
    let mut out = Vec::new();
    for (ino, entry) in entries.iter().enumerate() {
        let (name, mode, data, rdev): (&str, u32, &[u8], (u32, u32)) = match entry {
            Entry::Dir(name) => (name, DIR | 0o755, &[], (0, 0)),
            Entry::File(name, perm, data) => (name, FILE | perm, data, (0, 0)),
            Entry::Link(name, to) => (name, LINK | 0o777, to.as_bytes(), (0, 0)),
            Entry::Char(name, major, minor) => (name, CHAR | 0o600, &[], (*major, *minor)),
        };
        let size = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("{name}: too big")))?;
        let mut w = cpio::newc::Builder::new(name)
            .ino(ino as u32 + 1)
            .mode(mode)
            .nlink(if mode & DIR == DIR { 2 } else { 1 })
            .rdev_major(rdev.0)
            .rdev_minor(rdev.1)
            .write(&mut out, size);
        w.write_all(data)?;
        w.finish()?;
    }
    cpio::newc::trailer(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_holds_init_busybox_and_the_console() {
        let archive = busybox_initramfs(b"\x7fELF...", "#!/bin/sh\necho hi\n").unwrap();
        let mut names = Vec::new();
        let mut rest: &[u8] = &archive;
        loop {
            let reader = cpio::NewcReader::new(rest).unwrap();
            let entry = reader.entry();
            if entry.is_trailer() {
                break;
            }
            names.push((
                entry.name().to_string(),
                entry.mode(),
                entry.rdev_major(),
                entry.file_size(),
            ));
            rest = reader.finish().unwrap();
        }
        assert!(names.contains(&("init".into(), FILE | 0o755, 0, 18)));
        assert!(names.contains(&("bin/busybox".into(), FILE | 0o755, 0, 7)));
        assert!(names.contains(&("dev/console".into(), CHAR | 0o600, 5, 0)));
        assert!(names.iter().any(|n| n.0 == "bin/sh" && n.1 == LINK | 0o777));
    }
}
