//! Structurally wrong report entries (issue 9, item 5): never silently skipped or re-rated. A
//! Terraform or CloudFormation entry is kept as drift, rated as if the whole resource changed at
//! its type's highest rule, with a warning naming the entry and its address; an entry that
//! cannot be read at all, or a driftctl resource without a type, rejects the file naming it.

#[path = "support/ingest.rs"]
mod ingest_support;

use std::process::Command;

use driftdeck::ingest::{IngestError, load_paths};
use driftdeck::model::{DriftReport, Kind, Severity};
use ingest_support::item;

fn fixture(name: &str) -> String {
    ingest_support::fixture(&format!("malformed/{name}"))
}

fn load(name: &str) -> DriftReport {
    ingest_support::load(&format!("malformed/{name}"))
}

fn load_err(name: &str) -> IngestError {
    match load_paths(&[fixture(name)], &ingest_support::taxonomy()) {
        Ok(_) => panic!("{name} loaded"),
        Err(e) => e,
    }
}

/// The warning about `address`, which must also name the entry (`resource_drift[n]`).
fn warning_for<'a>(r: &'a DriftReport, entry: &str, address: &str) -> &'a str {
    r.reports[0]
        .warnings
        .iter()
        .find(|w| w.contains(&format!("{entry} ({address})")))
        .unwrap_or_else(|| panic!("no warning for {entry} ({address}): {:?}", r.reports[0].warnings))
}

#[test]
fn malformed_terraform_security_groups_never_rate_below_a_well_formed_one() {
    let r = load("terraform-plan.json");
    let opened = item(&r, "aws_security_group.web");
    assert_eq!(opened.severity, Severity::Critical, "{:?}", opened.why);
    assert!(opened.malformed.is_none());
    let tidy = item(&r, "aws_security_group.batch");
    assert!(tidy.malformed.is_none());
    for (n, address, what) in [
        (
            1,
            "aws_security_group.api",
            "`change.after` is a string, not an object",
        ),
        (2, "aws_security_group.db", "no `actions`"),
        (3, "aws_security_group.cache", "`change.actions` is a string"),
        (
            4,
            "aws_security_group.admin",
            "`change.before` is an array, not an object",
        ),
        (
            6,
            "aws_security_group.mail",
            "`change.before` is missing or null, but an update has both sides",
        ),
    ] {
        let bad = item(&r, address);
        assert!(
            bad.malformed.as_deref().is_some_and(|m| m.contains(what)),
            "{address}: {:?}",
            bad.malformed
        );
        assert!(bad.severity >= opened.severity, "{address}: {:?}", bad.why);
        assert!(bad.severity >= tidy.severity);
        assert_eq!(bad.kind, Kind::Modified, "{address}");
        assert!(
            bad.why[0].contains("malformed") && bad.why[0].contains(what),
            "{:?}",
            bad.why
        );
        assert!(
            bad.changes.is_empty(),
            "nothing is read from a malformed entry as a change"
        );
        let w = warning_for(&r, &format!("resource_drift[{n}]"), address);
        assert!(w.contains(what) && w.contains("highest rule"), "{w}");
    }
    // What could be read of the well-formed side still identifies the resource.
    assert_eq!(
        item(&r, "aws_security_group.api")
            .identity
            .get("id")
            .map(String::as_str),
        Some("sg-0b1")
    );
    assert_eq!(
        item(&r, "aws_security_group.api").region.as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(r.items.len(), 7, "no entry was dropped");
}

#[test]
fn malformed_entries_reach_the_cli_with_their_warning_and_no_plaintext() {
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .env("DRIFTDECK_CONFIG_DIR", env!("CARGO_MANIFEST_DIR"))
        .args(["list", &fixture("terraform-plan.json"), "--format", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("CANARY-malformed-after-7e7e"),
        "the malformed side's text leaked"
    );
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let warnings = doc["reports"][0]["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("resource_drift[1] (aws_security_group.api)"))),
        "{warnings:?}"
    );
    let api = doc["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["address"] == "aws_security_group.api"))
        .expect("listed");
    assert_eq!(api["severity"], "critical");
}

#[test]
fn an_unreadable_terraform_entry_rejects_the_file_naming_index_and_address() {
    let e = load_err("terraform-plan-entry-without-type.json");
    assert!(matches!(e, IngestError::Invalid { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("terraform-plan-entry-without-type.json"), "{msg}");
    assert!(
        msg.contains("resource_drift[1] (aws_security_group.lost)"),
        "{msg}"
    );
    assert!(msg.contains("missing field `type`"), "{msg}");
    assert!(
        !msg.contains("at line"),
        "a position inside the entry would mislead: {msg}"
    );
}

#[test]
fn a_driftctl_resource_without_type_rejects_the_scan_naming_it() {
    let e = load_err("driftctl-resource-without-type.json");
    let msg = e.to_string();
    assert!(msg.contains("driftctl-resource-without-type.json"), "{msg}");
    assert!(msg.contains(r#"unmanaged[1] (id "sgr-0c2")"#), "{msg}");
    assert!(
        msg.contains("has no `type`") && msg.contains("driftctl scan"),
        "{msg}"
    );
}

#[test]
fn malformed_cloudformation_differences_never_rate_below_a_well_formed_one() {
    let r = load("cloudformation-drift.json");
    let opened = item(&r, "edge/WebSg");
    assert_eq!(opened.severity, Severity::Critical, "{:?}", opened.why);
    assert!(opened.malformed.is_none());
    for (n, address, what) in [
        (
            1,
            "edge/ApiSg",
            "`PropertyDifferences[0]` is a string, not an object",
        ),
        (
            2,
            "edge/AdminSg",
            "`ExpectedProperties` holds an array, not an object",
        ),
    ] {
        let bad = item(&r, address);
        assert!(
            bad.malformed.as_deref().is_some_and(|m| m.contains(what)),
            "{address}: {:?}",
            bad.malformed
        );
        assert!(bad.severity >= opened.severity, "{address}: {:?}", bad.why);
        let w = warning_for(&r, &format!("StackResourceDrifts[{n}]"), address);
        assert!(w.contains(what), "{w}");
    }
    assert_eq!(r.not_drift.in_sync, 0, "a malformed resource is not in sync");
}

/// Loads report bytes given inline; the error's text.
fn load_bytes_err(name: &str, json: &str) -> String {
    let taxonomy = ingest_support::taxonomy();
    let input = driftdeck::ingest::Input {
        path: name.to_string(),
        bytes: json.as_bytes().to_vec(),
    };
    match driftdeck::ingest::load_inputs(&[input], &taxonomy) {
        Ok(_) => panic!("{name} loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unreadable_cloudformation_and_driftctl_entries_are_named_too() {
    let cfn = load_bytes_err(
        "drift.json",
        r#"{"StackResourceDrifts":[
            {"StackId":"arn:aws:cloudformation:eu-west-1:1:stack/s/1","LogicalResourceId":"Ok","ResourceType":"AWS::SQS::Queue","StackResourceDriftStatus":"IN_SYNC","Timestamp":"2026-11-30T06:00:00Z"},
            {"StackId":"arn:aws:cloudformation:eu-west-1:1:stack/s/1","LogicalResourceId":"Queue","StackResourceDriftStatus":"MODIFIED","Timestamp":"2026-11-30T06:00:00Z"}]}"#,
    );
    assert!(
        cfn.contains("drift.json")
            && cfn.contains("StackResourceDrifts[1] (Queue)")
            && cfn.contains("missing field `ResourceType`")
            && cfn.contains("describe-stack-resource-drifts"),
        "{cfn}"
    );
    let deep = load_bytes_err(
        "scan.json",
        r#"{"summary":{"total_resources":1},"managed":[],"differences":[
            {"res":{"id":"sg-0a1","type":"aws_security_group"},"changelog":"not a list"}]}"#,
    );
    assert!(
        deep.contains("differences[0] (sg-0a1)") && deep.contains("invalid type"),
        "{deep}"
    );
    // A name shaped like a secret (a URL with credentials as an id) is withheld.
    let secret = load_bytes_err(
        "scan.json",
        r#"{"summary":{"total_resources":1},"unmanaged":[
            {"id":"https://deploy:CANARY-id-pass-2f2f@git.example.com/repo","type":5}]}"#,
    );
    assert!(
        secret.contains("unmanaged[0] (name withheld") && !secret.contains("CANARY"),
        "{secret}"
    );
}
