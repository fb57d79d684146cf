//! `driftdeck journal verify`: check the hash chain.

use std::process::ExitCode;

use crate::cli::JournalAction;
use crate::decide::DeciderOptions;
use crate::decide::journal::verify;
use crate::text::sanitize;

/// Verifies the chain; exit 0 when intact, 1 when broken.
pub fn run(action: &JournalAction, opts: &DeciderOptions) -> anyhow::Result<ExitCode> {
    let &JournalAction::Verify = action;
    let path = opts.journal_path();
    let v = verify(&path)?;
    if let Some(t) = v.torn_tail_line {
        eprintln!(
            "driftdeck: warning: {}: line {t} is torn (an interrupted write); it is not part of the chain",
            sanitize(&path.display().to_string())
        );
    }
    match v.broken {
        None => {
            println!(
                "{}: {} entries, chain intact",
                sanitize(&path.display().to_string()),
                v.good
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!(
                "{}: chain broken at line {}{}: {} ({} entries before it verified)",
                sanitize(&path.display().to_string()),
                b.line,
                b.seq.map(|s| format!(" (entry {s})")).unwrap_or_default(),
                sanitize(&b.problem),
                v.good
            );
            Ok(ExitCode::from(super::exit::ERROR))
        }
    }
}
