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

/// The longest description read: 16 MiB.
pub const MAX_DESCRIPTION_BYTES: u64 = 16 << 20;

/// Reads a description's text: at most [`MAX_DESCRIPTION_BYTES`] of
/// UTF-8 (a pipe is fine, `/dev/zero` gets an error, not all the memory).
///
/// # Errors
///
/// A sentence saying why the text cannot be had.
pub fn read_description(path: &Path) -> Result<String, String> {
    use std::io::Read;
    if path.is_dir() {
        return Err(format!("cannot read `{}`: is a directory", path.display()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DESCRIPTION_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_DESCRIPTION_BYTES {
        return Err(format!(
            "`{}` is longer than a description may be ({MAX_DESCRIPTION_BYTES} bytes)",
            path.display()
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads and loads the description in file `path`.
pub fn load_file(path: &Path, registry: Arc<Registry>) -> Result<Loaded, Diagnostics> {
    let text = read_description(path).map_err(|message| {
        Diagnostics(vec![Diagnostic {
            location: None,
            message,
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
