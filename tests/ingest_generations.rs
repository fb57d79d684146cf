//! One test per schema generation of the reports people have (issue 9, "Tests and proof"):
//! Terraform plan JSON format 0.1 (before and after `resource_drift`), 0.2, 1.0, 1.1 and 1.2,
//! errored and partial plans; driftctl before v0.10, deep mode (≤ v0.39) and v0.40. Each
//! asserts the items, their kinds and addresses, whether the report is complete, and that no
//! secret in the fixture reaches `list --format json` (every `CANARY-` value is one).

#[path = "support/ingest.rs"]
mod ingest_support;

use std::process::Command;

use driftdeck::model::{DriftItem, DriftReport, Format, Kind, MASK, Severity};
use ingest_support::{fixture, item, load};
use serde_json::json;

/// `(kind, address)` of every item, sorted by address.
fn kinds_and_addresses(r: &DriftReport) -> Vec<(Kind, &str)> {
    let mut v: Vec<(Kind, &str)> = r.items.iter().map(|i| (i.kind, i.address.as_str())).collect();
    v.sort_by(|a, b| a.1.cmp(b.1));
    v
}

fn driftdeck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .args(args)
        .env("DRIFTDECK_CONFIG_DIR", env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs")
}

/// `list --format json` succeeds and holds no canary; the JSON document.
fn listed_without_secrets(name: &str) -> serde_json::Value {
    let out = driftdeck(&["list", &fixture(name), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains("CANARY-"), "{name}: a secret reached list: {text}");
    }
    serde_json::from_slice(&out.stdout).expect("list prints JSON")
}

/// The exit code of `check` on one fixture.
fn check(name: &str, extra: &[&str]) -> Option<i32> {
    let path = fixture(name);
    let mut args = vec!["check", path.as_str()];
    args.extend_from_slice(extra);
    driftdeck(&args).status.code()
}

/// A change's desired and live are masked and a fingerprint of live stays.
fn assert_masked(i: &DriftItem, attr: &str) {
    let c = i
        .changes
        .iter()
        .find(|c| c.path.to_string() == attr)
        .unwrap_or_else(|| panic!("{}: no change {attr}", i.address));
    assert!(c.sensitive, "{}.{attr} not marked sensitive", i.address);
    assert_eq!(c.desired, Some(json!(MASK)), "{}.{attr}", i.address);
    assert_eq!(c.live, Some(json!(MASK)), "{}.{attr}", i.address);
    assert!(
        c.live_fingerprint.is_some(),
        "{}.{attr}: the change stays comparable",
        i.address
    );
}

// ------------------------------------------------------------------ Terraform

#[test]
fn terraform_0_1_from_0_12_cannot_express_drift() {
    let name = "terraform/plan-0.1-tf0.12.json";
    let r = load(name);
    assert_eq!(r.reports[0].format, Format::TerraformPlan);
    assert_eq!(r.reports[0].tool_version.as_deref(), Some("0.12.31"));
    // The planned update of the database is a config change or a revert of drift: the plan
    // cannot say which, so it is not listed as drift, and the report says it cannot tell.
    assert!(r.items.is_empty(), "{:?}", kinds_and_addresses(&r));
    let why = &r.reports[0].incomplete;
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(
        why[0].contains("cannot express drift")
            && why[0].contains("0.12.31")
            && why[0].contains("terraform plan -refresh-only")
            && why[0].contains("terraform show -json"),
        "{why:?}"
    );
    listed_without_secrets(name);
    assert_eq!(
        check(name, &[]),
        Some(3),
        "no drift found, but none could be: fail closed"
    );
    assert_eq!(check(name, &["--allow-incomplete"]), Some(0));
}

#[test]
fn terraform_0_1_from_0_15_5_has_resource_drift_and_masks() {
    let name = "terraform/plan-0.1-tf0.15.5.json";
    let r = load(name);
    // Same format_version as 0.12's, but Terraform 0.15.4+ writes resource_drift: complete.
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    assert_eq!(
        kinds_and_addresses(&r),
        vec![
            (Kind::Modified, "aws_s3_bucket.invoices"),
            (Kind::Modified, "aws_ssm_parameter.api_key"),
        ]
    );
    let bucket = item(&r, "aws_s3_bucket.invoices");
    assert_eq!(bucket.changed_attributes(), vec!["acl"]);
    assert_eq!(bucket.severity, Severity::Critical, "{:?}", bucket.why);
    assert_masked(item(&r, "aws_ssm_parameter.api_key"), "value");
    assert_eq!(
        item(&r, "aws_ssm_parameter.api_key").planned_actions,
        vec!["update"]
    );
    listed_without_secrets(name);
}

#[test]
fn terraform_0_2_from_1_0_5() {
    let name = "terraform-plan-v0.json";
    let r = load(name);
    assert_eq!(r.reports[0].tool_version.as_deref(), Some("1.0.5"));
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    assert_eq!(
        kinds_and_addresses(&r),
        vec![(Kind::Modified, "aws_kms_key.data")]
    );
    let key = item(&r, "aws_kms_key.data");
    assert_eq!(key.changed_attributes(), vec!["enable_key_rotation"]);
    assert_eq!(key.region.as_deref(), Some("us-east-1"), "from the ARN");
    listed_without_secrets(name);
}

#[test]
fn terraform_1_0_from_1_1_with_a_moved_resource() {
    let name = "terraform/plan-1.0-tf1.1.json";
    let r = load(name);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    assert_eq!(
        kinds_and_addresses(&r),
        vec![
            (Kind::Modified, "aws_iam_role.deployer"),
            (Kind::Modified, "aws_secretsmanager_secret_version.ci_token"),
            (Kind::Deleted, "aws_sqs_queue.orders"),
        ]
    );
    let role = item(&r, "aws_iam_role.deployer");
    assert_eq!(
        role.identity.get("previous_address").map(String::as_str),
        Some("aws_iam_role.ci"),
        "the moved block's old name is kept for attribution"
    );
    assert_eq!(role.changed_attributes(), vec!["assume_role_policy"]);
    assert_eq!(role.severity, Severity::Critical, "{:?}", role.why);
    assert_eq!(item(&r, "aws_sqs_queue.orders").planned_actions, vec!["create"]);
    assert_masked(
        item(&r, "aws_secretsmanager_secret_version.ci_token"),
        "secret_string",
    );
    listed_without_secrets(name);
}

#[test]
fn terraform_1_1_from_1_3_refresh_only_with_relevant_attributes() {
    let name = "terraform/plan-1.1-tf1.3-refresh-only.json";
    let r = load(name);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    // The moved-only user (`no-op` with previous_address) is not drift.
    assert_eq!(
        kinds_and_addresses(&r),
        vec![
            (Kind::Modified, "aws_iam_access_key.report"),
            (Kind::Modified, r#"aws_lb_listener.https["edge"]"#),
            (Kind::Modified, "module.audit.aws_cloudtrail.org"),
        ]
    );
    let trail = item(&r, "module.audit.aws_cloudtrail.org");
    assert_eq!(trail.severity, Severity::Critical, "{:?}", trail.why);
    assert_eq!(trail.relevant, None, "a refresh-only plan filters nothing");
    assert_eq!(trail.region.as_deref(), Some("us-west-2"));
    assert_eq!(
        trail.identity.get("previous_address").map(String::as_str),
        Some("aws_cloudtrail.org")
    );
    // The access key's secrets did not change and are never shown; only its status did.
    let key = item(&r, "aws_iam_access_key.report");
    assert_eq!(key.changed_attributes(), vec!["status"]);
    assert!(
        key.planned_actions.is_empty(),
        "a refresh-only plan plans nothing"
    );
    listed_without_secrets(name);
}

#[test]
fn terraform_1_2_from_1_9_with_everything() {
    let name = "terraform-plan-v1.json";
    let r = load(name);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    // Data sources, moved-only entries and semantically equal policies are not drift.
    assert_eq!(
        kinds_and_addresses(&r),
        vec![
            (Kind::Deleted, "aws_cloudwatch_log_group.audit"),
            (Kind::Modified, "aws_iam_role_policy.deploy"),
            (Kind::Modified, "aws_instance.web[1]"),
            (Kind::Modified, "aws_lambda_function.ingest"),
            (Kind::Modified, "aws_security_group.web"),
            (
                Kind::Modified,
                r#"module.billing["eu"].aws_db_instance.ledger[0]"#
            ),
        ]
    );
    let relevant = |address: &str| {
        item(&r, address)
            .relevant
            .as_ref()
            .map(|paths| paths.iter().map(ToString::to_string).collect::<Vec<_>>())
    };
    assert_eq!(
        relevant("aws_security_group.web"),
        Some(vec!["ingress".to_string()])
    );
    assert_eq!(relevant("aws_iam_role_policy.deploy"), Some(Vec::new()));
    assert_masked(
        item(&r, r#"module.billing["eu"].aws_db_instance.ledger[0]"#),
        "password",
    );
    listed_without_secrets(name);
}

#[test]
fn terraform_1_2_errored_plan_is_incomplete() {
    let name = "terraform/plan-1.2-tf1.6-errored.json";
    let r = load(name);
    assert_eq!(
        kinds_and_addresses(&r),
        vec![(Kind::Modified, "aws_kms_key.backups")]
    );
    let why = &r.reports[0].incomplete;
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(
        why[0].contains("errored: true") && why[0].contains("plan again"),
        "{why:?}"
    );
    listed_without_secrets(name);
    // The drift it did find is high: at a high threshold that decides; at critical, the
    // missing part does.
    assert_eq!(check(name, &["--fail-on", "high"]), Some(2));
    assert_eq!(check(name, &["--fail-on", "critical"]), Some(3));
    assert_eq!(
        check(name, &["--fail-on", "critical", "--allow-incomplete"]),
        Some(0)
    );
}

#[test]
fn terraform_1_2_partial_plan_is_incomplete() {
    let name = "terraform/plan-1.2-tf1.9-incomplete.json";
    let r = load(name);
    assert_eq!(
        kinds_and_addresses(&r),
        vec![(Kind::Modified, "aws_eks_node_group.general")],
        "a deferred change is not drift"
    );
    let why = &r.reports[0].incomplete;
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("complete: false"), "{why:?}");
    listed_without_secrets(name);
    assert_eq!(check(name, &["--fail-on", "critical"]), Some(3));
}

// ------------------------------------------------------------------ driftctl

#[test]
fn driftctl_before_0_10_reads_deleted_and_differences() {
    let name = "driftctl/v0.9-deleted.json";
    let r = load(name);
    assert_eq!(r.reports[0].format, Format::Driftctl);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    assert_eq!(
        r.reports[0].tool_version, None,
        "no provider_version before v0.10"
    );
    // No `source` yet: resources are named by type and id.
    assert_eq!(
        kinds_and_addresses(&r),
        vec![
            (Kind::Deleted, "aws_cloudwatch_log_group.vpc-flow-logs"),
            (Kind::Modified, "aws_db_instance.orders-db"),
            (Kind::Unmanaged, "aws_iam_access_key.AKIAOLDSCAN000001"),
            (Kind::Modified, "aws_security_group.sg-0e5"),
        ]
    );
    let sg = item(&r, "aws_security_group.sg-0e5");
    assert_eq!(sg.severity, Severity::Critical, "{:?}", sg.why);
    assert_eq!(sg.changes[0].path.to_string(), "Ingress[1].CidrBlocks[0]");
    assert_eq!(sg.changes[0].desired, None, "`create` has only the cloud side");
    let db = item(&r, "aws_db_instance.orders-db");
    let pw = &db.changes[0];
    assert!(pw.sensitive && pw.desired == Some(json!(MASK)) && pw.live == Some(json!(MASK)));
    assert_eq!(r.not_drift.in_sync, 1, "the state bucket");
    listed_without_secrets(name);
}

#[test]
fn driftctl_0_39_deep_mode() {
    let name = "driftctl-v039-deep.json";
    let r = load(name);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    assert_eq!(
        r.reports[0].tool_version.as_deref(),
        Some("driftctl (aws provider 5.70.0)"),
        "the provider's version, labelled as such"
    );
    assert_eq!(
        kinds_and_addresses(&r),
        vec![
            (Kind::Unmanaged, "aws_iam_access_key.AKIAEXAMPLE"),
            (Kind::Unmanaged, "aws_iam_user.backdoor-admin"),
            (Kind::Modified, "aws_lb_listener.https"),
            (Kind::Deleted, "aws_s3_bucket_policy.logs"),
            (Kind::Modified, "module.edge.aws_route53_record.www"),
        ]
    );
    // Every path step is a string in driftctl; list indexes become indexes.
    assert_eq!(
        item(&r, "module.edge.aws_route53_record.www").changes[0]
            .path
            .to_string(),
        "records[0]"
    );
    listed_without_secrets(name);
}

#[test]
fn driftctl_0_40_without_deep_mode() {
    let name = "driftctl-v040.json";
    let r = load(name);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    assert_eq!(
        kinds_and_addresses(&r),
        vec![(Kind::Unmanaged, "aws_security_group_rule.sgr-0aa")]
    );
    assert_eq!(r.not_drift.in_sync, 1);
    listed_without_secrets(name);
}
