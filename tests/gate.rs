//! `driftdeck check` as a CI job runs it: the real binary on real files, every exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | nothing at or above the threshold needs a decision, and every report was complete |
//! | 1 | error (unreadable or unknown input) |
//! | 2 | drift at or above the threshold |
//! | 3 | no such drift found, but a report is incomplete (`--allow-incomplete` → 0) |

#[path = "support/ingest.rs"]
mod ingest_support;

use std::path::{Path, PathBuf};

use ingest_support::driftdeck_in as run;
use serde_json::{Value, json};

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).expect("json")).expect("write fixture");
    p
}

/// One `resource_drift` entry in the shape `terraform show -json` writes.
fn drift(address: &str, rtype: &str, before: &Value, after: &Value) -> Value {
    let name = address.rsplit('.').next().unwrap_or(address);
    json!({
        "address": address, "mode": "managed", "type": rtype, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["update"], "before": before, "after": after,
                   "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}
    })
}

fn open_port_drift() -> Value {
    let rule = |port: u16, cidr: &str| {
        json!({"cidr_blocks": [cidr], "description": "", "from_port": port, "ipv6_cidr_blocks": [],
               "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": port})
    };
    drift(
        "aws_security_group.web",
        "aws_security_group",
        &json!({"id": "sg-0abc", "name": "web", "ingress": [rule(443, "0.0.0.0/0")]}),
        &json!({"id": "sg-0abc", "name": "web", "ingress": [rule(443, "0.0.0.0/0"), rule(22, "0.0.0.0/0")]}),
    )
}

fn tags_drift() -> Value {
    drift(
        "aws_instance.web",
        "aws_instance",
        &json!({"id": "i-1", "tags": {"Name": "web"}}),
        &json!({"id": "i-1", "tags": {"Name": "web", "debug": "true"}}),
    )
}

fn plan(extra: &Value, drift: &[Value]) -> Value {
    let mut p = json!({"format_version": "1.2", "terraform_version": "1.9.8", "resource_drift": drift});
    for (k, v) in extra.as_object().expect("object") {
        p[k] = v.clone();
    }
    p
}

#[test]
fn exit_0_when_nothing_drifted_and_the_report_is_complete() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = write(
        dir.path(),
        "plan.json",
        &plan(&json!({"applyable": false, "complete": true}), &[]),
    );
    let (code, out, err) = run(dir.path(), &["check", f.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("OK: no drift at or above low."), "{out}");
}

#[test]
fn exit_1_on_input_that_is_not_a_drift_report_naming_what_to_run() {
    let dir = tempfile::tempdir().expect("tmp");
    // `terraform show -json` without a plan file prints the state: no drift can be read from it.
    let state = write(
        dir.path(),
        "state.json",
        &json!({"format_version": "1.0", "terraform_version": "1.9.8",
                "values": {"root_module": {"resources": [{"address": "aws_instance.web", "mode": "managed",
                "type": "aws_instance", "name": "web", "values": {"id": "i-1"}, "sensitive_values": {}}]}}}),
    );
    let (code, out, err) = run(dir.path(), &["check", state.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("a Terraform state"), "{err}");
    assert!(err.contains("terraform plan -refresh-only"), "{err}");
    let missing = dir.path().join("nope.json");
    let (code, _, err) = run(dir.path(), &["check", missing.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(err.contains("nope.json") && err.contains("cannot read"), "{err}");
}

#[test]
fn exit_2_on_drift_at_or_above_the_threshold_even_when_incomplete() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = write(
        dir.path(),
        "plan.json",
        &plan(&json!({}), &[open_port_drift(), tags_drift()]),
    );
    let p = f.to_str().expect("utf-8");
    let (code, out, _) = run(dir.path(), &["check", p]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("DRIFT:") && out.contains("aws_security_group.web"),
        "{out}"
    );
    // Only the tags drift is below critical; the open port is at it.
    assert_eq!(run(dir.path(), &["check", p, "--fail-on", "critical"]).0, 2);
    // An errored plan that still shows critical drift is a failure, not "incomplete".
    let errored = write(
        dir.path(),
        "errored.json",
        &plan(&json!({"errored": true}), &[open_port_drift()]),
    );
    let (code, out, _) = run(dir.path(), &["check", errored.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("incomplete:"), "the reason is still printed: {out}");
}

#[test]
fn exit_3_on_every_kind_of_incomplete_report_and_allow_incomplete_turns_it_to_0() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "errored plan",
            write(
                d,
                "errored.json",
                &plan(&json!({"errored": true}), &[tags_drift()]),
            ),
            "errored",
        ),
        (
            "partial plan",
            write(d, "partial.json", &plan(&json!({"complete": false}), &[])),
            "complete: false",
        ),
        (
            "plan that predates resource_drift",
            write(
                d,
                "old.json",
                &json!({"format_version": "0.1", "terraform_version": "0.14.11",
                        "planned_values": {"root_module": {}}, "resource_changes": []}),
            ),
            "terraform plan -refresh-only",
        ),
        (
            "driftctl scan with access denied",
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/ingest/driftctl/access-denied.json"
            )),
            "",
        ),
    ];
    for (what, file, says) in cases {
        let p = file.to_str().expect("utf-8");
        let (code, out, err) = run(d, &["check", p, "--fail-on", "critical"]);
        assert_eq!(code, 3, "{what}: {out}{err}");
        assert!(out.starts_with("INCOMPLETE:"), "{what}: {out}");
        assert!(out.contains("incomplete:") && out.contains(says), "{what}: {out}");
        assert!(err.contains("could not be fully determined"), "{what}: {err}");
        let (code, _, err) = run(d, &["check", p, "--fail-on", "critical", "--allow-incomplete"]);
        assert_eq!(code, 0, "{what}: --allow-incomplete: {err}");
        // The JSON contract says so too.
        let (code, out, _) = run(d, &["list", p, "--format", "json"]);
        assert_eq!(code, 0);
        let v: Value = serde_json::from_str(&out).expect("list json");
        assert_eq!(v["complete"], json!(false), "{what}");
        let reasons = v["reports"][0]["incomplete"].as_array().expect("incomplete[]");
        assert!(!reasons.is_empty(), "{what}");
    }
}

#[test]
fn a_complete_report_lists_complete_true_and_an_empty_reason_list() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = write(dir.path(), "plan.json", &plan(&json!({}), &[tags_drift()]));
    let (code, out, _) = run(
        dir.path(),
        &["list", f.to_str().expect("utf-8"), "--format", "json"],
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["complete"], json!(true));
    assert_eq!(v["reports"][0]["incomplete"], json!([]));
}
