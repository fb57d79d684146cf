//! The `driftdeck` binary: parse the command line, run, map errors to exit code 1.

use std::process::ExitCode;

use clap::Parser;
use driftdeck::cli::Cli;
use driftdeck::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Broken pipe (e.g. `| head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "driftdeck: error: {}",
                driftdeck::text::sanitize(&format!("{e:#}"))
            );
            ExitCode::from(commands::exit::ERROR)
        }
    }
}
