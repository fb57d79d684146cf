//! `driftdeck approve`: approve an item's drift as temporary divergence.

use std::process::ExitCode;

use crate::classify::Taxonomy;
use crate::cli::CloudTrailArgs;
use crate::decide::{ApproveInput, DeciderOptions, DecisionInput};
use crate::text::sanitize;

/// Journals the approval, then writes it to the approvals file.
#[allow(clippy::too_many_arguments)]
pub fn run(
    report_path: &str,
    address: &str,
    reason: Option<String>,
    expires: &str,
    ticket: Option<String>,
    attributes: Vec<String>,
    opts: DeciderOptions,
    taxonomy: &Taxonomy,
    cloudtrail: &CloudTrailArgs,
) -> anyhow::Result<ExitCode> {
    let report = super::load(&[report_path.to_string()], taxonomy, &opts)?;
    let item = super::find_item(&report, address)?;
    let mut decider = super::open_decider(opts)?;
    let input = ApproveInput {
        decision: DecisionInput {
            reason,
            ticket,
            attribution: super::attribution_summary(cloudtrail, &report, item),
        },
        expires: expires.to_string(),
        attributes,
    };
    let entry = decider.approve(&report, item, &input)?;
    println!(
        "approved {} until {} (journal entry {}, by {})",
        sanitize(&item.address),
        sanitize(
            entry
                .params
                .get("expires")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
        ),
        entry.seq,
        sanitize(&entry.actor.name)
    );
    Ok(ExitCode::SUCCESS)
}
