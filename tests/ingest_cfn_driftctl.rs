//! CloudFormation and driftctl loaders on the shapes the real tools emit (issue 9).

use std::path::PathBuf;

use driftdeck::classify::Taxonomy;
use driftdeck::ingest::load_paths;
use driftdeck::model::{DriftReport, Format};
use serde_json::json;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(name)
        .display()
        .to_string()
}

fn load(name: &str) -> DriftReport {
    let taxonomy = Taxonomy::defaults().expect("default taxonomy compiles");
    load_paths(&[fixture(name)], &taxonomy).expect("fixture loads")
}

#[test]
fn cfn_single_resource_shape_reports_the_really_removed_rule() {
    let r = load("cloudformation/single-resource-drift.json");
    assert_eq!(r.reports[0].format, Format::Cloudformation);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    let sg = r
        .items
        .iter()
        .find(|i| i.address == "web/WebSg")
        .expect("WebSg listed");
    // PropertyDifferences claims index 0's CidrIp changed and index 1 was removed; indexing
    // ActualProperties would show the 22/tcp rule. Really, only the 443 rule is gone.
    assert_eq!(sg.changed_attributes(), vec!["SecurityGroupIngress[0]"]);
    let c = &sg.changes[0];
    assert_eq!(
        c.desired.as_ref().and_then(|v| v.get("FromPort")),
        Some(&json!(443))
    );
    assert_eq!(c.live, None);
    assert_eq!(sg.region.as_deref(), Some("us-east-2"));
}

#[test]
fn cfn_page_with_next_token_and_not_checked_is_incomplete() {
    let r = load("cloudformation/page-with-next-token.json");
    let why = &r.reports[0].incomplete;
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(
        why[0].contains("NextToken") && why[0].contains("--max-items"),
        "{why:?}"
    );
    assert!(why[1].contains("NOT_CHECKED") && why[1].contains("Fn"), "{why:?}");
    assert_eq!(r.not_drift.in_sync, 1);
}

#[test]
fn driftctl_access_denied_scan_is_incomplete_per_alert_kind() {
    let r = load("driftctl/access-denied.json");
    let meta = &r.reports[0];
    assert_eq!(
        meta.tool_version.as_deref(),
        Some("driftctl (aws provider 3.19.0)")
    );
    assert_eq!(meta.incomplete.len(), 1, "{:?}", meta.incomplete);
    let why = &meta.incomplete[0];
    for ty in ["aws_s3_bucket", "aws_iam_user", "aws_ecr_repository"] {
        assert!(why.contains(ty), "{why}");
    }
    assert!(why.contains("denied"), "{why}");
    assert_eq!(meta.warnings.len(), 3);
}
