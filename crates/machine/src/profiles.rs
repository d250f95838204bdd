//! Profiles: descriptions shipped with Chimera for common machines. Their
//! text is compiled in; the images they name are found relative to the
//! `machines/` directory of the source tree.

use std::path::PathBuf;

/// A shipped description.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The profile's name (`riscv-virt`).
    pub name: &'static str,
    /// Its TOML text.
    pub text: &'static str,
}

/// Every shipped profile, the default first.
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "hetero-demo",
        text: include_str!("../../../machines/hetero-demo.toml"),
    },
    Profile {
        name: "riscv-duo",
        text: include_str!("../../../machines/riscv-duo.toml"),
    },
    Profile {
        name: "riscv-virt",
        text: include_str!("../../../machines/riscv-virt.toml"),
    },
    Profile {
        name: "riscv32-virt",
        text: include_str!("../../../machines/riscv32-virt.toml"),
    },
    Profile {
        name: "mps2-an385",
        text: include_str!("../../../machines/mps2-an385.toml"),
    },
    Profile {
        name: "mps2-an386",
        text: include_str!("../../../machines/mps2-an386.toml"),
    },
];

/// The profile `chimera run` uses when given nothing.
pub const DEFAULT_PROFILE: &str = "hetero-demo";

/// The profile called `name`.
pub fn profile(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name)
}

/// Where relative image paths of profiles start: the source tree's
/// `machines/` directory.
pub fn profiles_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../machines")
}

impl Profile {
    /// The first line of its `doc`, for listings.
    pub fn summary(&self) -> String {
        self.text
            .lines()
            .find_map(|l| l.trim().strip_prefix("doc = "))
            .map(|d| d.trim_matches('"').to_string())
            .unwrap_or_default()
    }
}
