//! `driftdeck journal verify|head`: check the hash chain, the recorded heads and the
//! signatures; print the head to keep elsewhere.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::JournalAction;
use crate::decide::DeciderOptions;
use crate::decide::journal::{Anchor, AuditOptions, Journal, JournalHead, audit};
use crate::decide::signing::AllowedSigners;
use crate::text::sanitize;

/// Runs a journal action; `verify` exits 0 when everything holds, 1 otherwise.
pub fn run(action: &JournalAction, opts: &DeciderOptions) -> anyhow::Result<ExitCode> {
    let path = opts.journal_path();
    match action {
        JournalAction::Head => {
            if !path.is_file() {
                anyhow::bail!(
                    "{}: no journal here (use --journal FILE or --iac-dir DIR)",
                    path.display()
                );
            }
            writeln!(std::io::stdout().lock(), "{}", Journal::head(&path)?)?;
            Ok(ExitCode::SUCCESS)
        }
        JournalAction::Verify {
            head,
            allowed_signers,
        } => verify(opts, head.as_deref(), allowed_signers.as_deref()),
    }
}

fn verify(
    opts: &DeciderOptions,
    head: Option<&str>,
    allowed_signers: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let path = opts.journal_path();
    let mut audit_opts = AuditOptions::default();
    if let Some(h) = head {
        audit_opts.anchors.push(Anchor {
            source: "--head".into(),
            head: h.parse::<JournalHead>().map_err(anyhow::Error::msg)?,
        });
    }
    // approvals.toml records the head it was written against: a journal shorter than that, or
    // different at that entry, was cut or rewritten after the approval.
    let approvals_path = opts.approvals_path();
    match opts.load_approvals() {
        Ok(a) => {
            if let Some(h) = a.journal_head {
                audit_opts.anchors.push(Anchor {
                    source: approvals_path.display().to_string(),
                    head: h,
                });
            }
        }
        Err(e) => super::warn(&format!("{e}\nits recorded journal head is not checked")),
    }
    if let Some(f) = allowed_signers {
        audit_opts.allowed_signers = Some(AllowedSigners::load(f)?);
    }
    let a = audit(&path, &audit_opts)?;
    let mut out = std::io::stdout().lock();
    if let Some(t) = a.chain.torn_tail_line {
        super::warn(&format!(
            "{}: line {t} is torn (an interrupted write); it is not part of the chain",
            sanitize(&path.display().to_string())
        ));
    }
    for w in &a.signature_warnings {
        super::warn(w);
    }
    let mut ok = true;
    match &a.chain.broken {
        None => writeln!(
            out,
            "{}: {} entries, chain intact, head {}",
            sanitize(&path.display().to_string()),
            a.chain.good,
            a.head
        )?,
        Some(b) => {
            ok = false;
            writeln!(
                out,
                "{}: chain broken at line {}{}: {} ({} entries before it verified)",
                sanitize(&path.display().to_string()),
                b.line,
                b.seq.map(|s| format!(" (entry {s})")).unwrap_or_default(),
                sanitize(&b.problem),
                a.chain.good
            )?;
        }
    }
    for p in &a.anchor_problems {
        ok = false;
        writeln!(out, "head check failed: {}", sanitize(p))?;
    }
    if audit_opts.anchors.is_empty() && a.chain.broken.is_none() {
        writeln!(
            out,
            "note: no recorded head to check against; keep `driftdeck journal head` output somewhere safe and pass it with --head to detect truncation or rewriting"
        )?;
    } else {
        for anchor in &audit_opts.anchors {
            if !a.anchor_problems.iter().any(|p| p.contains(&anchor.source)) {
                writeln!(
                    out,
                    "head {} recorded in {}: present",
                    anchor.head,
                    sanitize(&anchor.source)
                )?;
            }
        }
    }
    for k in &a.signers {
        let who = if k.principals.is_empty() {
            String::new()
        } else {
            format!(" ({})", sanitize(&k.principals.join(", ")))
        };
        writeln!(out, "signed: {} entries by {}{who}", k.entries, k.fingerprint)?;
    }
    if a.unsigned > 0 && (!a.signers.is_empty() || allowed_signers.is_some()) {
        writeln!(out, "unsigned: {} entries", a.unsigned)?;
    }
    for p in &a.signature_problems {
        ok = false;
        writeln!(out, "signature check failed: {}", sanitize(p))?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::ERROR)
    })
}
