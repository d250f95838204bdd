//! The `chimera` command: run machines, check and inspect descriptions,
//! list profiles and types.

mod bench;
mod bench_hetero;
mod bench_system;
mod commands;
mod exit;
mod out;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

/// Chimera: a heterogeneous system emulator.
#[derive(Debug, Parser)]
#[command(name = "chimera", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<commands::Command>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and the version go to stdout and succeed; a usage error
            // is the emulator's error, code 125 as documented (clap's own
            // is 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::EMULATOR_ERROR
            } else {
                0
            });
        }
    };
    let command = cli.command.unwrap_or_default();
    let code = commands::execute(command);
    ExitCode::from(code)
}
