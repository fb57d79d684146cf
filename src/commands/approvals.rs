//! `driftdeck approvals list|prune`.

use std::process::ExitCode;

use time::OffsetDateTime;

use crate::cli::ApprovalsAction;
use crate::decide::DeciderOptions;
use crate::text::sanitize;

/// Lists approvals with their state, or removes the expired ones.
pub fn run(action: &ApprovalsAction, opts: &DeciderOptions) -> anyhow::Result<ExitCode> {
    let path = opts.approvals_path();
    let all = opts.load_approvals()?;
    let now = OffsetDateTime::now_utc();
    match action {
        ApprovalsAction::List => {
            if all.approvals.is_empty() {
                println!("no approvals in {}", sanitize(&path.display().to_string()));
            }
            for a in &all.approvals {
                let state = if a.is_expired(now) { "expired" } else { "active" };
                let attrs: Vec<&str> = a.values.iter().map(|v| v.path.as_str()).collect();
                println!(
                    "{state:<8} {}  until {}  by {}{}  [{}]  {}",
                    sanitize(&a.address),
                    sanitize(&a.expires),
                    sanitize(&a.approver),
                    a.ticket
                        .as_deref()
                        .map(|t| format!(" ({})", sanitize(t)))
                        .unwrap_or_default(),
                    if attrs.is_empty() {
                        "whole item".to_string()
                    } else {
                        sanitize(&attrs.join(", ")).into_owned()
                    },
                    sanitize(&a.reason)
                );
            }
        }
        ApprovalsAction::Prune => {
            if opts.read_only {
                anyhow::bail!(
                    "read-only mode (--read-only): approvals prune is disabled; nothing was written"
                );
            }
            // Re-read, pruned and written under the store lock (another process may be approving).
            let mut decider = super::open_decider(DeciderOptions {
                aws_identity: false,
                ..opts.clone()
            })?;
            let removed = decider.prune_approvals()?;
            let kept = opts.load_approvals()?.approvals.len();
            for a in &removed {
                println!(
                    "removed expired approval of {} (expired {})",
                    sanitize(&a.address),
                    sanitize(&a.expires)
                );
            }
            println!("{} expired approval(s) removed, {} kept", removed.len(), kept);
        }
    }
    Ok(ExitCode::SUCCESS)
}
