//! Any text as a machine description: parsed, checked against the
//! registry and realized (not run); every failure must be an error with a
//! location, never a panic or an unbounded allocation.
#![no_main]

use std::path::Path;

use chimera_machine::{builtin_registry, load, Description, SerialConfig, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(description) = Description::parse(Source::new("fuzz.toml", text)) else {
        return;
    };
    // Relative image paths resolve under a directory that is not there.
    let Ok(loaded) = load(description, builtin_registry(), Path::new("/nonexistent")) else {
        return;
    };
    let mut serial = SerialConfig::default();
    for _ in 0..64 {
        let _ = serial.add("none");
    }
    let _ = loaded.realize(&serial);
});
