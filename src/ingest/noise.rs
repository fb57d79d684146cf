//! Noise on loaded items: the taxonomy's `[noise]` rules (provider read-back attributes),
//! Terraform's `relevant_attributes` in a normal plan, and `lifecycle { ignore_changes }` in the
//! IaC sources. Marked changes keep their reason ([`Change::noise`](crate::model::Change::noise));
//! hiding and showing them is [`DriftReport::set_noise_shown`].
//!
//! Three rules keep noise from hiding what matters: a sensitive change is never noise; drift on
//! a resource the plan updates or replaces is what the plan acts on, never irrelevant; and drift
//! outside `relevant_attributes` that would rate high or critical stays listed, because
//! Terraform is known to report that list incomplete (terraform #33206).

use std::collections::BTreeSet;
use std::path::Path;

use crate::classify::Taxonomy;
use crate::model::{Change, DriftItem, DriftReport, Format, Severity};
use crate::remediate::adopt::hcl::LifecycleReader;

/// Why drift outside `relevant_attributes` is noise.
const IRRELEVANT: &str = "outside Terraform's relevant_attributes: this drift feeds no planned \
change (a refresh-only plan shows it)";

/// Marks the noise a report itself tells: the taxonomy's rules and, in a normal Terraform plan,
/// drift outside `relevant_attributes` on a resource the plan does not change. Runs before
/// classification.
pub(crate) fn mark_loaded(
    items: &mut [DriftItem],
    taxonomy: &Taxonomy,
    settle: impl Fn(&mut DriftItem) + Sync,
) {
    // Shared out over the cores: every item of a drift-dense plan is marked. What else every
    // item needs after its load (`settle`) is done on the same pass.
    crate::par::blocks_mut(items, foldhash::HashMap::default, |by_type, part, _| {
        part.iter_mut().for_each(&settle);
        mark_part(part, taxonomy, by_type);
    });
}

/// Marks `items`; `by_type` keeps each type's noise plan from block to block of one thread.
fn mark_part(
    items: &mut [DriftItem],
    taxonomy: &Taxonomy,
    by_type: &mut foldhash::HashMap<String, crate::classify::TypePlan>,
) {
    for item in items {
        if !by_type.contains_key(&item.resource_type) {
            let plan = taxonomy.noise().plan_for(&item.resource_type);
            by_type.insert(item.resource_type.clone(), plan);
        }
        if let Some(plan) = by_type.get_mut(&item.resource_type) {
            taxonomy.noise().mark_with(item, plan);
        }
        // Drift on a resource the plan changes (an update back to the code, a replacement) is
        // what the plan acts on: relevant whatever `relevant_attributes` lists.
        let acted_on = item.planned_actions.iter().any(|a| a != "no-op" && a != "read");
        if let Some(relevant) = item.relevant.as_deref().filter(|_| !acted_on) {
            let outside: Vec<usize> = item
                .changes
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.noise.is_none()
                        && !c.sensitive
                        && !relevant
                            .iter()
                            .any(|p| c.path.starts_with(p) || p.starts_with(&c.path))
                })
                .map(|(i, _)| i)
                .collect();
            for i in outside {
                if rating_alone(item, &item.changes[i], taxonomy) < Severity::High {
                    item.changes[i].noise = Some(IRRELEVANT.into());
                }
            }
        }
    }
}

/// How the taxonomy would rate `item` if `change` were its only change.
fn rating_alone(item: &DriftItem, change: &Change, taxonomy: &Taxonomy) -> Severity {
    let mut probe = DriftItem::new(
        item.id.clone(),
        item.address.clone(),
        item.resource_type.clone(),
        std::sync::Arc::clone(&item.source),
        item.format.unwrap_or(Format::TerraformPlan),
        item.kind,
    );
    probe.changes = vec![change.clone()];
    taxonomy.classify(&mut probe);
    probe.severity
}

/// Marks changes the resource's `lifecycle { ignore_changes = [...] }` (or `= all`) in the IaC
/// sources under `iac_dir` names as noise, with the file and line as the reason, and
/// re-classifies the items it touched. Terraform plans only (driftctl and CloudFormation do not
/// read `lifecycle`). A `.tf` file that cannot be read or parsed becomes a warning of the
/// reports it concerns, and nothing is then ignored for its resources (the drift stays visible).
pub fn apply_ignore_changes(report: &mut DriftReport, iac_dir: &Path, taxonomy: &Taxonomy) {
    let mut reader = LifecycleReader::new(iac_dir);
    if !reader.has_sources() {
        return;
    }
    let mut warnings: BTreeSet<(usize, String)> = BTreeSet::new();
    for item in report.items.iter_mut().chain(report.noise.iter_mut()) {
        if item.format != Some(Format::TerraformPlan) || item.changes.iter().all(|c| c.noise.is_some()) {
            continue;
        }
        let ignore = match reader.ignore_changes(&item.address) {
            Ok(Some(i)) => i,
            Ok(None) => continue,
            Err(e) => {
                warnings.insert((
                    item.report_index,
                    format!("lifecycle.ignore_changes not read, so nothing is ignored: {e}"),
                ));
                continue;
            }
        };
        let mut touched = false;
        for c in item
            .changes
            .iter_mut()
            .filter(|c| c.noise.is_none() && ignore.covers(&c.path))
        {
            let what = if ignore.all {
                "ignore_changes = all".to_string()
            } else {
                "ignore_changes".to_string()
            };
            c.noise = Some(
                format!(
                    "expected divergence: lifecycle {what} at {}:{}",
                    ignore.file.display(),
                    ignore.line
                )
                .into(),
            );
            touched = true;
        }
        if touched {
            taxonomy.classify(item);
        }
    }
    for (index, w) in warnings {
        if let Some(meta) = report.reports.get_mut(index) {
            meta.warnings.push(w);
        }
    }
}
