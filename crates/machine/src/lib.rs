//! Machines as data: the description format, the builder every front door
//! uses (descriptions, the CLI, the protocol), the registry of types, image
//! loaders, firmware boot, device-tree generation, serial routing and the
//! shipped profiles.

pub mod accel;
mod boot;
pub mod builder;
pub mod description;
pub mod diag;
pub mod error;
pub mod fdt;
mod fdt_edit;
pub mod image;
pub mod initramfs;
pub mod inventory;
pub mod load;
pub mod machine;
pub mod profiles;
pub mod providers;
pub mod registry;
pub mod serial;

use std::path::Path;
use std::sync::Arc;

pub use accel::Accel;
pub use builder::{FirmwareSpec, ImageSpec, MachineBuilder, Placement};
pub use description::{parse_cli_value, Description};
pub use diag::{Diagnostic, Diagnostics, Source};
pub use error::{BuildError, BuildErrorKind, Subject};
pub use fdt::FdtError;
pub use inventory::Inventory;
pub use load::{load, Loaded};
pub use machine::Machine;
pub use registry::{builtin_registry, Constructor, Registry};
pub use serial::{SerialConfig, SerialSpec};

/// Reads and loads the description in file `path`.
pub fn load_file(path: &Path, registry: Arc<Registry>) -> Result<Loaded, Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic {
            location: None,
            message: format!("cannot read `{}`: {e}", path.display()),
            hint: None,
        }])
    })?;
    let source = Source::new(&path.display().to_string(), &text);
    let dir = path.parent().unwrap_or(Path::new("."));
    load(Description::parse(source)?, registry, dir)
}

/// Loads the shipped profile `name`.
pub fn load_profile(name: &str, registry: Arc<Registry>) -> Result<Loaded, Diagnostics> {
    let profile = profiles::profile(name).ok_or_else(|| {
        let names: Vec<&str> = profiles::PROFILES.iter().map(|p| p.name).collect();
        Diagnostics(vec![Diagnostic {
            location: None,
            message: format!("no profile `{name}`"),
            hint: Some(format!("the profiles are: {}", names.join(", "))),
        }])
    })?;
    let source = Source::new(&format!("profile:{name}"), profile.text);
    load(
        Description::parse(source)?,
        registry,
        &profiles::profiles_dir(),
    )
}
