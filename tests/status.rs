//! The one status derivation (`decide::status`): every decision in the journal shows in the
//! item's status, the same way in the library, `list --format json`, `check` and the export.

use std::path::{Path, PathBuf};
use std::process::Command;

use driftdeck::decide::evidence::{ExportFormat, export};
use driftdeck::decide::journal::Journal;
use driftdeck::decide::{
    ApproveInput, Decider, DeciderOptions, Decision, DecisionInput, DecisionKind, actor,
};
use driftdeck::decide::{approvals::Approvals, status};
use driftdeck::model::{
    AttrPath, Change, DriftItem, DriftReport, Format, Kind, ReportMeta, Severity, Status,
};
use driftdeck::remediate::revert::{RevertOutcome, RevertResult};
use serde_json::json;
use time::OffsetDateTime;

const BIN: &str = env!("CARGO_BIN_EXE_driftdeck");
const DEMO_TF: &str = "assets/demo/reports/terraform-plan.json";

fn item(address: &str, live: &str) -> DriftItem {
    let mut i = DriftItem::new(
        format!("id-{address}"),
        address.to_string(),
        "aws_instance".into(),
        "fixture.json",
        Format::TerraformPlan,
        Kind::Modified,
    );
    i.severity = Severity::Low;
    i.changes = vec![Change::plain(
        AttrPath::keys(["instance_type"]),
        Some(json!("t3.micro")),
        Some(json!(live)),
    )];
    i
}

fn report(items: Vec<DriftItem>) -> DriftReport {
    DriftReport {
        reports: vec![ReportMeta {
            path: "fixture.json".into(),
            format: Format::TerraformPlan,
            tool_version: None,
            timestamp: None,
            sha256: "cd".repeat(32),
            warnings: vec![],
            incomplete: vec![],
        }],
        items,
        ..DriftReport::default()
    }
}

fn statuses(r: &DriftReport) -> Vec<Status> {
    r.items.iter().map(|i| i.status).collect()
}

#[test]
fn every_decision_kind_sets_its_status() {
    let tmp = tempfile::tempdir().expect("tmp");
    let opts = DeciderOptions {
        actor: Some("jane".into()),
        ..DeciderOptions::new(tmp.path())
    };
    let r = report(vec![
        item("aws_instance.open", "t3.large"),
        item("aws_instance.approved", "t3.large"),
        item("aws_instance.adopted", "t3.large"),
        item("aws_instance.reverted", "t3.large"),
        item("aws_instance.failed", "t3.large"),
        item("aws_instance.handed", "t3.large"),
    ]);
    let mut d = Decider::open(opts.clone()).expect("open");
    d.approve(
        &r,
        &r.items[1],
        &ApproveInput {
            expires: "72h".into(),
            ..ApproveInput::default()
        },
    )
    .expect("approve");
    // An adoption as the journal records it (the file edit itself is tested in tests/decide.rs).
    let (mut j, _) = Journal::open(&opts.journal_path(), false).expect("journal");
    let who = actor::resolve(Some("jane"), tmp.path(), false);
    j.append(
        &Decision::new(&r.items[2], "cd", None, DecisionKind::Adopt, json!({"files": []})),
        &who,
    )
    .expect("adopt");
    drop(j);
    let plan = d
        .revert_plan(&[&r.items[3]], driftdeck::remediate::revert::Tool::Terraform)
        .expect("plan");
    for (n, result) in [(3, RevertResult::Converged), (4, RevertResult::Failed)] {
        d.revert_record(&r, &[&r.items[n]], &plan, &DecisionInput::default(), &[], true)
            .expect("record");
        d.revert_finish(
            &r,
            &[&r.items[n]],
            &RevertOutcome {
                result,
                steps: vec![],
                error: None,
            },
        )
        .expect("finish");
    }
    // Handed to a pipeline: recorded, not executed, so the drift is still open.
    d.revert_record(&r, &[&r.items[5]], &plan, &DecisionInput::default(), &[], false)
        .expect("record");

    let mut now = r.clone();
    status::Sources::of(&opts)
        .apply(&mut now, OffsetDateTime::now_utc())
        .expect("statuses");
    assert_eq!(
        statuses(&now),
        [
            Status::Open,
            Status::Approved,
            Status::Adopted,
            Status::Reverted,
            Status::RevertFailed,
            Status::Open
        ]
    );
    assert!(now.items[1].approval_expires.is_some());
    let gating: Vec<bool> = now.items.iter().map(|i| i.status.gates()).collect();
    assert_eq!(gating, [true, false, false, false, true, true]);

    // A new report where the adopted and approved drift changed again: open / changed.
    let mut again = report(vec![
        item("aws_instance.open", "t3.large"),
        item("aws_instance.approved", "t3.2xlarge"),
        item("aws_instance.adopted", "t3.2xlarge"),
    ]);
    status::Sources::of(&opts)
        .apply(&mut again, OffsetDateTime::now_utc())
        .expect("statuses");
    assert_eq!(
        statuses(&again),
        [Status::Open, Status::ChangedSinceApproval, Status::Open]
    );

    // After the approval's expiry.
    let mut later = r.clone();
    status::Sources::of(&opts)
        .apply(&mut later, OffsetDateTime::now_utc() + time::Duration::days(4))
        .expect("statuses");
    assert_eq!(later.items[1].status, Status::ApprovalExpired);

    // Undo of the approval: open again, by the same derivation.
    d.undo_last(&r, Some(&r.items[1]), &DecisionInput::default())
        .expect("undo");
    let mut undone = r.clone();
    status::Sources::of(&opts)
        .apply(&mut undone, OffsetDateTime::now_utc())
        .expect("statuses");
    assert_eq!(undone.items[1].status, Status::Open);

    // The export carries the same statuses (journal alone).
    let entries = Journal::read_all(&opts.journal_path()).expect("read");
    let csv = export(&entries, ExportFormat::Csv);
    assert!(
        csv.lines().next().is_some_and(|h| h.contains(",status,")),
        "{csv}"
    );
    for (address, want) in [
        ("aws_instance.adopted", "adopted"),
        ("aws_instance.reverted", "reverted"),
        ("aws_instance.failed", "revert-failed"),
    ] {
        let line = csv
            .lines()
            .find(|l| l.starts_with(address))
            .unwrap_or_else(|| panic!("{address} in {csv}"));
        assert!(line.contains(&format!(",{want},")), "{line}");
    }
}

#[test]
fn a_journaled_approval_missing_from_the_file_counts_as_open() {
    let tmp = tempfile::tempdir().expect("tmp");
    let opts = DeciderOptions::new(tmp.path());
    let r = report(vec![item("aws_instance.a", "t3.large")]);
    let mut d = Decider::open(opts.clone()).expect("open");
    d.approve(
        &r,
        &r.items[0],
        &ApproveInput {
            expires: "72h".into(),
            ..ApproveInput::default()
        },
    )
    .expect("approve");
    Approvals::default()
        .save(&opts.approvals_path())
        .expect("empty approvals");
    let mut now = r.clone();
    status::Sources::of(&opts)
        .apply(&mut now, OffsetDateTime::now_utc())
        .expect("statuses");
    assert_eq!(now.items[0].status, Status::Open);
}

fn fake_terraform(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let script = bin.join("terraform");
    std::fs::write(
        &script,
        "#!/bin/sh\ncase \"$*\" in *-detailed-exitcode*) exit \"${FAKE_TF_VERIFY_EXIT:-0}\";; esac\nexit \"${FAKE_TF_EXIT:-0}\"\n",
    )
    .expect("write script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .env("DRIFTDECK_AWS_IDENTITY", "0")
        .env("DRIFTDECK_CONFIG_DIR", "/nonexistent-driftdeck-config")
        .output()
        .expect("run driftdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_status(out: &str, address: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(out).expect("list json");
    v["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["address"] == address))
        .and_then(|i| i["status"].as_str())
        .unwrap_or("missing")
        .to_string()
}

#[test]
fn list_json_and_check_follow_reverts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = fake_terraform(tmp.path());
    let iac = tmp.path().join("iac");
    std::fs::create_dir_all(&iac).expect("mkdir");
    let iac = iac.to_str().expect("utf8");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let address = "aws_kms_key.data";
    let revert = [
        "revert",
        DEMO_TF,
        address,
        "--execute",
        "--reason",
        "SEC-12",
        "--confirm",
        address,
        "--iac-dir",
        iac,
    ];
    let list = ["list", "--format", "json", "--iac-dir", iac, DEMO_TF];
    // A failed revert: revert-failed, and it still gates.
    let (code, out, err) = run(&revert, &[("PATH", &path), ("FAKE_TF_EXIT", "1")]);
    assert_ne!(code, 0, "{out}{err}");
    let (_, out, _) = run(&list, &[]);
    assert_eq!(json_status(&out, address), "revert-failed");
    let (_, out, _) = run(&["check", "--fail-on", "high", "--iac-dir", iac, DEMO_TF], &[]);
    assert!(out.contains(address) && out.contains("revert-failed"), "{out}");
    // A converged revert: reverted, and it no longer gates.
    let (code, out, err) = run(&revert, &[("PATH", &path)]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = run(&list, &[]);
    assert_eq!(json_status(&out, address), "reverted");
    let (_, out, _) = run(&["check", "--fail-on", "high", "--iac-dir", iac, DEMO_TF], &[]);
    assert!(!out.contains(address), "{out}");
}
