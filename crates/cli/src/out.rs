//! Standard output for what the commands print. A reader that went away
//! (`chimera types | head -1`) ends the command quietly with exit code 0,
//! as ripgrep and other tools do, where `println!` would panic.

use std::io::{self, Write};

/// Writes `args` to standard output; a closed pipe ends the process, any
/// other failure is reported once and ends it with the emulator's error
/// code.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("chimera: error: cannot write to standard output: {e}");
        std::process::exit(i32::from(crate::exit::EMULATOR_ERROR));
    }
}

/// `print!` through [`write()`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*))
    };
}

/// `println!` through [`write()`].
macro_rules! outln {
    () => {
        $crate::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
