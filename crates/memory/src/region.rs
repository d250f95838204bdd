//! Regions: what can be mapped on an address space.

use std::fmt;
use std::sync::Arc;

use crate::{AddressSpace, Endian, Mmio, Ram};

/// What a region is made of.
#[derive(Clone)]
pub enum RegionKind {
    /// RAM, or ROM when `read_only`: a window of `size` bytes at `offset`
    /// into a shared block.
    Ram {
        /// The backing block.
        ram: Arc<Ram>,
        /// Where the window starts in the block.
        offset: u64,
        /// A guest write is a bus error (loaders may still write).
        read_only: bool,
    },
    /// A window onto another address space starting at `offset` there.
    Alias {
        /// The space the window looks into.
        space: Arc<AddressSpace>,
        /// Address in that space of the window's first byte.
        offset: u64,
    },
    /// A device's register window.
    Mmio {
        /// The device.
        handler: Arc<dyn Mmio>,
        /// The byte order of the device's registers.
        endian: Endian,
    },
}

impl fmt::Debug for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionKind::Ram {
                ram,
                offset,
                read_only,
            } => write!(f, "Ram({ram:?} @ {offset:#x}, read_only: {read_only})"),
            RegionKind::Alias { space, offset } => {
                write!(f, "Alias({} @ {offset:#x})", space.name())
            }
            RegionKind::Mmio { endian, .. } => write!(f, "Mmio({endian:?})"),
        }
    }
}

/// A named, sized piece of memory ready to be mapped.
#[derive(Clone)]
pub struct Region {
    name: String,
    size: u64,
    kind: RegionKind,
}

impl Region {
    /// A region of `size` bytes.
    pub fn new(name: &str, size: u64, kind: RegionKind) -> Self {
        Region {
            name: name.to_string(),
            size,
            kind,
        }
    }

    /// RAM covering all of `ram`.
    pub fn ram(name: &str, ram: Arc<Ram>) -> Self {
        let size = ram.len();
        Self::new(
            name,
            size,
            RegionKind::Ram {
                ram,
                offset: 0,
                read_only: false,
            },
        )
    }

    /// ROM covering all of `ram`.
    pub fn rom(name: &str, ram: Arc<Ram>) -> Self {
        let size = ram.len();
        Self::new(
            name,
            size,
            RegionKind::Ram {
                ram,
                offset: 0,
                read_only: true,
            },
        )
    }

    /// A device register window of `size` bytes.
    pub fn mmio(name: &str, size: u64, handler: Arc<dyn Mmio>, endian: Endian) -> Self {
        Self::new(name, size, RegionKind::Mmio { handler, endian })
    }

    /// The region's name (usually its object's path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// What it is made of.
    pub fn kind(&self) -> &RegionKind {
        &self.kind
    }

    /// A short word for listings: `ram`, `rom`, `alias`, `mmio`.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            RegionKind::Ram {
                read_only: false, ..
            } => "ram",
            RegionKind::Ram {
                read_only: true, ..
            } => "rom",
            RegionKind::Alias { .. } => "alias",
            RegionKind::Mmio { .. } => "mmio",
        }
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Region({} {} {:#x})",
            self.name,
            self.kind_name(),
            self.size
        )
    }
}
