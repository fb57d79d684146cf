//! The `driftdeck` binary: parse the command line, run, map errors to exit code 1.

use std::process::ExitCode;

use clap::Parser;
use driftdeck::cli::Cli;
use driftdeck::commands;

/// See `Cargo.toml`: the load is allocation-heavy and spread over the cores.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            // A multi-line cause (a TOML error with its caret line) prints as indented lines.
            eprintln!(
                "driftdeck: error: {}",
                driftdeck::text::sanitize_multiline(&error_chain(&e)).replace('\n', "\n  ")
            );
            ExitCode::from(commands::exit::ERROR)
        }
    }
}

/// The error and its causes, joined with `: `, skipping a cause whose text the message already
/// carries (library errors such as `IngestError::Io` embed their source in their own message).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
