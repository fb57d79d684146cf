//! Loading real-shaped reports of all three formats, hostile input, masking, and the JSON
//! contract of `list`.

#[path = "support/ingest.rs"]
mod ingest_support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use driftdeck::ingest::{IngestError, Input, load_inputs, load_paths};
use driftdeck::model::{DriftReport, Format, Kind, MASK, Severity, Step};
use ingest_support::{fixture, item, taxonomy};
use serde_json::{Value, json};

fn load(names: &[&str]) -> DriftReport {
    let paths: Vec<String> = names.iter().map(|n| fixture(n)).collect();
    load_paths(&paths, &taxonomy()).expect("fixture loads")
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_driftdeck"));
    c.env("DRIFTDECK_CONFIG_DIR", env!("CARGO_MANIFEST_DIR")); // no user taxonomy there
    c
}

fn bytes_input(name: &str, bytes: &[u8]) -> Input {
    Input {
        path: name.to_string(),
        bytes: bytes.to_vec(),
    }
}

fn load_err(bytes: &[u8]) -> String {
    match load_inputs(&[bytes_input("hostile.json", bytes)], &taxonomy()) {
        Ok(_) => panic!("hostile input loaded"),
        Err(e) => e.to_string(),
    }
}

// ------------------------------------------------------------------ Terraform

#[test]
fn large_plans_are_read_on_every_core_with_the_same_result_in_order() {
    // Enough entries for the parallel path: drifted, reordered-only (in sync), created (not
    // drift) and deleted entries interleaved; the result must be what a sequential read gives.
    let n = 1_500;
    let mut entries = Vec::new();
    for i in 0..n {
        let address = format!("aws_security_group.sg{i:04}");
        let e = match i % 4 {
            0 => serde_json::json!({"address": address, "mode": "managed", "type": "aws_security_group",
                "name": format!("sg{i:04}"), "change": {"actions": ["update"],
                "before": {"id": format!("sg-{i}"), "ingress": [{"cidr_blocks": ["10.0.0.0/8"]}]},
                "after": {"id": format!("sg-{i}"), "ingress": [{"cidr_blocks": ["0.0.0.0/0"]}]}}}),
            1 => serde_json::json!({"address": address, "mode": "managed", "type": "aws_security_group",
                "name": format!("sg{i:04}"), "change": {"actions": ["update"],
                "before": {"tags": {"a": "1", "b": "2"}}, "after": {"tags": {"b": "2", "a": "1"}}}}),
            2 => serde_json::json!({"address": address, "mode": "managed", "type": "aws_security_group",
                "name": format!("sg{i:04}"), "change": {"actions": ["create"], "before": null, "after": {}}}),
            _ => serde_json::json!({"address": address, "mode": "managed", "type": "aws_security_group",
                "name": format!("sg{i:04}"), "change": {"actions": ["delete"],
                "before": {"id": format!("sg-{i}"), "name": "x"}, "after": null}}),
        };
        entries.push(e);
    }
    let plan = serde_json::json!({"format_version": "1.2", "resource_drift": entries});
    let bytes = serde_json::to_vec(&plan).expect("plan");
    let r = load_inputs(&[bytes_input("big.json", &bytes)], &taxonomy()).expect("loads");
    let want: Vec<String> = (0..n)
        .filter(|i| i % 4 == 0 || i % 4 == 3)
        .map(|i| format!("aws_security_group.sg{i:04}"))
        .collect();
    let got: Vec<&str> = r.items.iter().map(|i| i.address.as_str()).collect();
    assert_eq!(got, want);
    assert_eq!(r.not_drift.in_sync, n / 4);
    assert!(
        r.items
            .iter()
            .step_by(2)
            .all(|i| i.kind == Kind::Modified && i.severity == Severity::Critical)
    );
    assert!(r.items.iter().skip(1).step_by(2).all(|i| i.kind == Kind::Deleted));
}

#[test]
fn terraform_drift_only_from_resource_drift_with_modules_and_instance_keys() {
    let r = load(&["terraform-plan-v1.json"]);
    assert_eq!(r.reports[0].format, Format::TerraformPlan);
    assert_eq!(r.reports[0].tool_version.as_deref(), Some("1.9.8"));
    assert_eq!(r.reports[0].timestamp.as_deref(), Some("2026-11-22T07:58:41Z"));
    let mut addrs: Vec<&str> = r.items.iter().map(|i| i.address.as_str()).collect();
    addrs.sort_unstable();
    assert_eq!(
        addrs,
        vec![
            "aws_cloudwatch_log_group.audit",
            "aws_iam_role_policy.deploy",
            "aws_instance.web[1]",
            "aws_lambda_function.ingest",
            "aws_security_group.web",
            "module.billing[\"eu\"].aws_db_instance.ledger[0]",
        ],
        "no data sources, no no-op moves, no resource_changes, no phantom drift"
    );
    // Phantom drift (reordered set, reformatted policy) counts as in sync, as do no-op changes.
    assert_eq!(r.not_drift.in_sync, 3);
}

#[test]
fn terraform_sets_compare_as_multisets_and_report_the_whole_set() {
    let r = load(&["terraform-plan-v1.json"]);
    let sg = item(&r, "aws_security_group.web");
    assert_eq!(sg.kind, Kind::Modified);
    assert_eq!(sg.changed_attributes(), vec!["ingress"]);
    assert_eq!(sg.severity, Severity::Critical);
    assert_eq!(sg.identity.get("id").map(String::as_str), Some("sg-0abc"));
    assert_eq!(sg.region.as_deref(), Some("eu-west-1"));
    assert_eq!(sg.account.as_deref(), Some("111122223333"));
    assert_eq!(
        sg.relevant,
        Some(vec![driftdeck::model::AttrPath::keys(["ingress"])]),
        "the plan's relevant_attributes for this resource"
    );
    assert_eq!(sg.planned_actions, vec!["update"]);
    let cfg = sg.config.as_ref().expect("configuration found");
    assert_eq!(
        cfg.attributes.get("name"),
        Some(&driftdeck::model::ConfigExpr::Literal)
    );
    assert!(
        matches!(cfg.attributes.get("vpc_id"), Some(driftdeck::model::ConfigExpr::Reference { references }) if references[0] == "aws_vpc.main.id")
    );
}

#[test]
fn terraform_policy_json_strings_compare_semantically() {
    let r = load(&["terraform-plan-v1.json"]);
    assert!(
        r.find("aws_iam_role_policy.same").is_none(),
        "reformatted policy is not drift"
    );
    let p = item(&r, "aws_iam_role_policy.deploy");
    assert_eq!(p.severity, Severity::Critical);
    assert!(p.why.iter().any(|w| w.contains("Action \"*\"")), "{:?}", p.why);
}

#[test]
fn terraform_masks_sensitive_values_and_keeps_a_fingerprint() {
    let r = load(&["terraform-plan-v1.json"]);
    let db = item(&r, "module.billing[\"eu\"].aws_db_instance.ledger[0]");
    let pw = db
        .changes
        .iter()
        .find(|c| c.path.top() == Some("password"))
        .expect("password change");
    assert!(pw.sensitive);
    assert_eq!(pw.desired, Some(json!(MASK)));
    assert_eq!(pw.live, Some(json!(MASK)));
    assert!(
        pw.live_fingerprint
            .as_deref()
            .is_some_and(|f| f.starts_with("hmac-sha256:"))
    );
    assert_eq!(db.severity, Severity::High);
    assert!(
        db.why.iter().any(|w| w == "secret attribute password changed"),
        "{:?}",
        db.why
    );
    // tags_all repeats tags: folded.
    assert_eq!(
        db.changed_attributes(),
        vec!["backup_retention_period", "password", "tags.incident"]
    );
    let cfg = db.config.as_ref().expect("module resource configuration");
    assert_eq!(cfg.module_path, vec!["billing"]);
    assert_eq!(cfg.module_sources, vec!["./modules/billing"]);
    assert_eq!(cfg.repetition.as_deref(), Some("count"));
    assert_eq!(db.planned_actions, vec!["delete", "create"]);
    assert_eq!(db.planned_replace_paths[0].to_string(), "identifier");
}

#[test]
fn terraform_secret_names_mask_unmarked_values() {
    let r = load(&["terraform-plan-v1.json"]);
    let f = item(&r, "aws_lambda_function.ingest");
    let tok = f
        .changes
        .iter()
        .find(|c| c.path.leaf_key() == Some("API_TOKEN"))
        .expect("token change");
    assert!(tok.sensitive);
    assert_eq!(tok.live, Some(json!(MASK)));
    let lvl = f
        .changes
        .iter()
        .find(|c| c.path.leaf_key() == Some("LOG_LEVEL"))
        .expect("log level");
    assert!(!lvl.sensitive);
    assert_eq!(lvl.live, Some(json!("debug")));
    assert_eq!(lvl.path.0[1], Step::Index(0), "single nested block followed into");
}

#[test]
fn terraform_deleted_and_tags_only() {
    let r = load(&["terraform-plan-v1.json"]);
    let log = item(&r, "aws_cloudwatch_log_group.audit");
    assert_eq!(log.kind, Kind::Deleted);
    // Deleting the audit trail's log group rates critical (never below weakening it).
    assert_eq!(log.severity, Severity::Critical);
    assert!(
        log.changes
            .iter()
            .all(|c| c.live.is_none() && c.desired.is_some())
    );
    let web = item(&r, "aws_instance.web[1]");
    assert_eq!(web.severity, Severity::Low, "{:?}", web.why);
    assert_eq!(web.changed_attributes(), vec!["tags.debug"]);
}

#[test]
fn terraform_old_format_and_future_major() {
    let r = load(&["terraform-plan-v0.json"]);
    let k = item(&r, "aws_kms_key.data");
    assert_eq!(k.severity, Severity::High);
    assert_eq!(k.region.as_deref(), Some("us-east-1"));
    let e = load_paths(&[fixture("terraform-plan-future-major.json")], &taxonomy()).expect_err("major 2");
    assert!(matches!(e, IngestError::UnsupportedVersion { .. }));
    assert!(e.to_string().contains("format_version 2.0"), "{e}");
    let none = load(&["terraform-plan-no-drift.json"]);
    assert!(none.items.is_empty());
}

// ------------------------------------------------------------------ driftctl

#[test]
fn driftctl_deep_mode_kinds_addresses_and_secrets() {
    let r = load(&["driftctl-v039-deep.json"]);
    assert_eq!(r.reports[0].format, Format::Driftctl);
    assert_eq!(r.not_drift.in_sync, 1, "managed vpc without differences");
    let dns = item(&r, "module.edge.aws_route53_record.www");
    assert_eq!(dns.kind, Kind::Modified);
    assert_eq!(dns.changes[0].path.to_string(), "records[0]");
    assert_eq!(dns.changes[0].desired, Some(json!("203.0.113.10")));
    assert_eq!(dns.changes[0].live, Some(json!("198.51.100.66")));
    assert_eq!(dns.severity, Severity::High);
    let lb = item(&r, "aws_lb_listener.https");
    assert_eq!(lb.changes.len(), 1, "computed null→null entry is no change");
    assert_eq!(lb.severity, Severity::High);
    let user = item(&r, "aws_iam_user.backdoor-admin");
    assert_eq!(user.kind, Kind::Unmanaged);
    assert_eq!(user.severity, Severity::High);
    let key = item(&r, "aws_iam_access_key.AKIAEXAMPLE");
    let secret = key
        .changes
        .iter()
        .find(|c| c.path.top() == Some("secret"))
        .expect("secret attr");
    assert!(secret.sensitive && secret.desired.is_none() && secret.live == Some(json!(MASK)));
    let missing = item(&r, "aws_s3_bucket_policy.logs");
    assert_eq!(missing.kind, Kind::Deleted);
    assert!(r.reports[0].warnings.iter().any(|w| w.contains("false positive")));
}

#[test]
fn driftctl_v040_nil_lists() {
    let r = load(&["driftctl-v040.json"]);
    assert_eq!(r.items.len(), 1);
    let rule = &r.items[0];
    assert_eq!(rule.address, "aws_security_group_rule.sgr-0aa");
    assert_eq!(rule.kind, Kind::Unmanaged);
    assert_eq!(rule.severity, Severity::Critical);
    assert_eq!(r.not_drift.in_sync, 1);
}

// ------------------------------------------------------------------ CloudFormation

#[test]
fn cloudformation_statuses_paths_and_both_timestamp_styles() {
    let r = load(&["cloudformation-drift.json"]);
    assert_eq!(r.reports[0].format, Format::Cloudformation);
    assert_eq!(r.not_drift.in_sync, 1);
    assert_eq!(r.not_drift.not_checked, 1);
    assert_eq!(r.not_drift.unknown, 1);
    assert_eq!(r.not_drift.unsupported, 1);
    assert_eq!(r.reports[0].timestamp.as_deref(), Some("2026-11-22T07:51:12.47Z"));
    let sg = item(&r, "payments-prod/DbSecurityGroup");
    assert_eq!(
        sg.changed_attributes(),
        vec!["SecurityGroupIngress[1]"],
        "reordered Tags dropped"
    );
    assert_eq!(sg.changes[0].desired, None, "\"null\" is absent");
    assert_eq!(
        sg.changes[0].live.as_ref().and_then(|v| v.get("CidrIp")),
        Some(&json!("0.0.0.0/0"))
    );
    assert_eq!(sg.severity, Severity::Critical);
    assert_eq!(sg.identity.get("id").map(String::as_str), Some("sg-0db"));
    assert_eq!(sg.region.as_deref(), Some("eu-west-1"));
    let db = item(&r, "payments-prod/Db");
    assert!(db.changes[0].sensitive);
    assert_eq!(db.changes[0].live, Some(json!(MASK)));
    let logs = item(&r, "payments-prod/AuditLogs");
    assert_eq!(logs.kind, Kind::Deleted);
    assert_eq!(logs.severity, Severity::Critical);
}

// ------------------------------------------------------------------ merging, ids

#[test]
fn several_reports_merge_and_ids_are_stable() {
    let a = load(&[
        "terraform-plan-v1.json",
        "driftctl-v039-deep.json",
        "cloudformation-drift.json",
    ]);
    let b = load(&[
        "terraform-plan-v1.json",
        "driftctl-v039-deep.json",
        "cloudformation-drift.json",
    ]);
    assert_eq!(a.reports.len(), 3);
    let ids_a: Vec<&str> = a.items.iter().map(|i| i.id.as_str()).collect();
    let ids_b: Vec<&str> = b.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids_a, ids_b);
    let mut unique = ids_a.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids_a.len());
    for it in &a.items {
        assert_eq!(
            &*it.source, a.reports[it.report_index].path,
            "each item remembers its source"
        );
    }
}

#[test]
fn a_report_loaded_twice_numbers_the_second_copy_of_each_id() {
    let once = load(&["terraform-plan-v1.json"]);
    let twice = load(&["terraform-plan-v1.json", "terraform-plan-v1.json"]);
    let ids: Vec<&str> = once.items.iter().map(|i| i.id.as_str()).collect();
    assert!(!ids.is_empty());
    let (first, second) = twice.items.split_at(ids.len());
    assert_eq!(first.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ids);
    assert_eq!(
        second.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        ids.iter().map(|id| format!("{id}-2")).collect::<Vec<_>>()
    );
}

// ------------------------------------------------------------------ hostile input

#[test]
fn hostile_inputs_are_clear_errors() {
    let empty = load_err(b"  \n");
    assert!(
        empty.contains("hostile.json") && empty.contains("empty"),
        "{empty}"
    );
    let truncated = load_err(br#"{"format_version":"1.2","resource_drift":[{"address":"#);
    assert!(truncated.contains("line 1, column"), "{truncated}");
    let garbage = load_err(&[0x89, b'P', b'N', b'G', 0, 1, 2, 0xff, 0xfe]);
    assert!(
        garbage.contains("not valid JSON at line 1, column 1"),
        "{garbage}"
    );
    let array = load_err(b"[1,2,3]");
    assert!(array.contains("array at the top level"), "{array}");
    let unknown = load_err(br#"{"hello": 1, "world": [2]}"#);
    assert!(
        unknown.contains("hello, world") && unknown.contains("Supported"),
        "{unknown}"
    );
    let wrong_type = load_err(br#"{"format_version":"1.2","resource_drift":"nope"}"#);
    assert!(
        wrong_type.contains("resource_drift") && wrong_type.contains("invalid type"),
        "{wrong_type}"
    );
    let wrong_inner = load_err(br#"{"format_version":"1.2","resource_drift":[{"address":5}]}"#);
    assert!(wrong_inner.contains("resource_drift"), "{wrong_inner}");
    let cfn = load_err(br#"{"StackResourceDrifts":[{"StackId":"s","LogicalResourceId":"L","ResourceType":"T","StackResourceDriftStatus":"MODIFIED","ExpectedProperties":"{not json"}]}"#);
    assert!(cfn.contains("ExpectedProperties") && cfn.contains("(L)"), "{cfn}");
    let multi_line = load_err(b"{\n  \"format_version\": \"1.2\",\n  \"resource_drift\": [,]\n}");
    assert!(multi_line.contains("line 3"), "{multi_line}");
}

#[test]
fn absurd_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let mut doc = String::from(r#"{"format_version":"1.2","resource_drift":"#);
    doc.push_str(&"[".repeat(depth));
    doc.push_str(&"]".repeat(depth));
    doc.push('}');
    let e = load_err(doc.as_bytes());
    assert!(
        e.contains("resource_drift") && (e.contains("recursion limit") || e.contains("invalid type")),
        "{e}"
    );
    let mut obj = String::from(
        r#"{"format_version":"1.2","resource_drift":[{"address":"a","type":"t","name":"n","change":{"actions":["update"],"before":"#,
    );
    obj.push_str(&"{\"a\":".repeat(depth));
    let e = load_err(obj.as_bytes());
    assert!(e.contains("hostile.json"), "{e}");
    let mut inner = String::from(
        r#"{"format_version":"1.2","resource_drift":[{"address":"a","type":"t","name":"n","change":{"actions":["update"],"before":"#,
    );
    inner.push_str(&"{\"a\":".repeat(200));
    inner.push('1');
    inner.push_str(&"}".repeat(200));
    inner.push_str(r#","after":null}}]}"#);
    let e = load_err(inner.as_bytes());
    assert!(e.contains("recursion limit"), "{e}");
}

// ------------------------------------------------------------------ CLI

const CANARIES: &[&str] = &[
    "CANARY-var-plaintext-91c2",
    "CANARY-old-pass-1d9e",
    "CANARY-new-pass-7a4b",
    "CANARY-config-constant-55aa",
    "CANARY-token-old",
    "CANARY-token-new",
    "CANARY-dc-secret-0042",
    "CANARY-cfn-noecho-3c3c",
    "CANARY-cfn-live-4d4d",
];

fn all_fixtures() -> Vec<String> {
    [
        "terraform-plan-v1.json",
        "driftctl-v039-deep.json",
        "cloudformation-drift.json",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect()
}

#[test]
fn plaintext_secrets_reach_no_output() {
    for format in ["table", "json"] {
        let out = bin()
            .arg("list")
            .args(all_fixtures())
            .args(["--format", format])
            .output()
            .expect("runs");
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        for c in CANARIES {
            assert!(!text.contains(c), "{c} leaked in {format} output");
        }
        if format == "json" {
            assert!(text.contains(MASK));
        }
    }
    let out = bin().arg("check").args(all_fixtures()).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    for c in CANARIES {
        assert!(!text.contains(c), "{c} leaked in check output");
    }
    // Nor through Debug of the model.
    let r = load(&[
        "terraform-plan-v1.json",
        "driftctl-v039-deep.json",
        "cloudformation-drift.json",
    ]);
    let debug = format!("{r:?}");
    for c in CANARIES {
        assert!(!debug.contains(c), "{c} kept in the model");
    }
}

#[test]
fn list_json_follows_the_contract() {
    let out = bin()
        .arg("list")
        .args(all_fixtures())
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let reports = v["reports"].as_array().expect("reports");
    assert_eq!(reports[0]["format"], "terraform-plan");
    assert_eq!(reports[0]["tool_version"], "1.9.8");
    assert_eq!(reports[1]["format"], "driftctl");
    assert_eq!(reports[2]["format"], "cloudformation");
    let items = v["items"].as_array().expect("items");
    assert_eq!(v["summary"]["total"].as_u64(), Some(items.len() as u64));
    let sev_order: Vec<&str> = items
        .iter()
        .map(|i| i["severity"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(sev_order[0], "critical", "most severe first");
    for it in items {
        for key in [
            "id",
            "address",
            "resource_type",
            "source",
            "kind",
            "severity",
            "controls",
            "why",
            "changes",
            "status",
        ] {
            assert!(it.get(key).is_some(), "item lacks {key}: {it}");
        }
        assert_eq!(it["status"], "open");
        for c in it["changes"].as_array().expect("changes") {
            assert!(
                c["path"]
                    .as_array()
                    .is_some_and(|p| p.iter().all(|s| s.is_string() || s.is_u64()))
            );
            assert!(c["sensitive"].is_boolean());
            assert!(c.get("live_fingerprint").is_none(), "fingerprints stay internal");
            if c["sensitive"] == true && c["live"].is_string() {
                assert_eq!(c["live"], MASK);
            }
        }
        match it["kind"].as_str() {
            Some("deleted") => assert!(
                it["changes"]
                    .as_array()
                    .expect("c")
                    .iter()
                    .all(|c| c["live"].is_null())
            ),
            Some("unmanaged") => assert!(
                it["changes"]
                    .as_array()
                    .expect("c")
                    .iter()
                    .all(|c| c["desired"].is_null())
            ),
            _ => {}
        }
    }
    let db = items
        .iter()
        .find(|i| i["address"] == "module.billing[\"eu\"].aws_db_instance.ledger[0]")
        .expect("db item");
    assert!(
        db["changes"]
            .as_array()
            .expect("c")
            .iter()
            .any(|c| c["path"] == json!(["tags", "incident"])
                && c["desired"].is_null()
                && c["live"] == "CHG-2231"
                && c["sensitive"] == false)
    );
    assert_eq!(
        v["summary"]["by_severity"].as_object().map(serde_json::Map::len),
        Some(4)
    );
    assert_eq!(v["summary"]["not_drift"]["not_checked"], 1);
}

#[test]
fn stdin_is_read_with_dash_and_format_comes_from_content() {
    let bytes = std::fs::read(fixture("driftctl-v040.json")).expect("fixture");
    let mut child = bin()
        .args(["list", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&bytes)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["reports"][0]["path"], "-");
    assert_eq!(v["reports"][0]["format"], "driftctl");
    // A misleading file name does not matter.
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("cloudformation.yaml");
    std::fs::write(&p, &bytes).expect("write");
    let out = bin()
        .args(["list", "--format", "json"])
        .arg(&p)
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["reports"][0]["format"], "driftctl");
}

#[test]
fn check_exit_codes() {
    let code = |args: &[&str]| {
        bin()
            .arg("check")
            .args(args)
            .output()
            .expect("runs")
            .status
            .code()
    };
    let v040 = fixture("driftctl-v040.json");
    let v0 = fixture("terraform-plan-v0.json");
    assert_eq!(code(&[&v040]), Some(2), "critical unmanaged rule");
    assert_eq!(code(&[&v0, "--fail-on", "critical"]), Some(0), "high only");
    assert_eq!(code(&[&v0, "--fail-on", "high"]), Some(2));
    assert_eq!(code(&[&fixture("terraform-plan-no-drift.json")]), Some(0));
    assert_eq!(code(&[&fixture("nope.json")]), Some(1));
    let out = bin().args(["check", &v0]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("DRIFT: 1 item(s)") && text.contains("aws_kms_key.data"),
        "{text}"
    );
}

#[test]
fn cli_errors_name_the_file_and_position() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("broken.json");
    std::fs::write(
        &p,
        "{\n  \"format_version\": \"1.2\",\n  \"resource_drift\": [\n    {\"address\": }\n  ]\n}\n",
    )
    .expect("write");
    let out = bin().arg("list").arg(&p).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.json") && err.contains("line 4, column"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let out = bin()
        .args(["list", "--taxonomy"])
        .arg(dir.path().join("missing.toml"))
        .arg(fixture("driftctl-v040.json"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
    // A missing report names the file and says the OS error once, not twice.
    let out = bin()
        .arg("list")
        .arg(dir.path().join("gone.json"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("gone.json"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    let out = bin().arg("--version").output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("driftdeck "));
}

#[test]
fn escape_sequences_in_reports_never_reach_the_terminal() {
    let doc = json!({"format_version": "1.2", "resource_drift": [{
        "address": "aws_s3_bucket.evil\u{1b}[2J\u{1b}]0;owned\u{7}", "mode": "managed", "type": "aws_s3_bucket", "name": "evil",
        "change": {"actions": ["update"], "before": {"acl": "private"}, "after": {"acl": "\u{1b}[31mpublic-read\u{9b}"}}
    }]});
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("evil.json");
    std::fs::write(&p, doc.to_string()).expect("write");
    let out = bin().arg("list").arg(&p).output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}[2J"));
}

// ------------------------------------------------------------------ the bundled demo incident

fn demo_reports() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/reports");
    [
        "terraform-plan.json",
        "driftctl-scan.json",
        "cloudformation-drift.json",
    ]
    .iter()
    .map(|n| dir.join(n).display().to_string())
    .collect()
}

#[test]
fn demo_incident_is_rated_as_an_sre_would() {
    let r = load_paths(&demo_reports(), &taxonomy()).expect("demo loads");
    let expected = [
        ("aws_cloudtrail.main", Severity::Critical),
        ("aws_iam_role_policy.deploy", Severity::Critical),
        (
            "aws_iam_user_policy_attachment.backdoor-admin-arn:aws:iam::aws:policy/AdministratorAccess",
            Severity::Critical,
        ),
        ("aws_security_group.web", Severity::Critical),
        ("aws_security_group_rule.sgrule-950722393", Severity::Critical),
        (
            "module.app[\"eu\"].aws_s3_bucket_public_access_block.data",
            Severity::Critical,
        ),
        ("payments-prod/PaymentsDbSecurityGroup", Severity::Critical),
        ("payments-prod/ReceiptsBucket", Severity::Critical),
        ("aws_cloudwatch_log_group.audit", Severity::Critical),
        ("aws_iam_access_key.AKIARZ3Q4EXMPLBDADM7", Severity::High),
        ("aws_iam_user.backdoor-admin", Severity::High),
        ("aws_kms_key.data", Severity::High),
        ("aws_lambda_function.ingest", Severity::High),
        ("aws_lb_listener.https", Severity::High),
        ("aws_s3_bucket_policy.flowlogs", Severity::High),
        ("module.app[\"eu\"].aws_db_instance.main[0]", Severity::High),
        (
            "module.app[\"eu\"].aws_s3_bucket_server_side_encryption_configuration.data",
            Severity::High,
        ),
        ("module.edge.aws_route53_record.status", Severity::High),
        ("payments-prod/AuditLogGroup", Severity::High),
        ("aws_instance.web[0]", Severity::Medium),
        ("aws_iam_role.ci", Severity::Low),
        ("aws_instance.web[1]", Severity::Low),
        ("payments-prod/SettlementQueue", Severity::Low),
    ];
    assert_eq!(r.items.len(), expected.len());
    for (address, severity) in expected {
        assert_eq!(
            item(&r, address).severity,
            severity,
            "{address}: {:?}",
            item(&r, address).why
        );
    }
    // The CI role's trust policy differs only in key order: not drift.
    assert_eq!(
        item(&r, "aws_iam_role.ci").changed_attributes(),
        vec!["tags.cost-center"]
    );
}

#[test]
fn demo_canaries_never_leave() {
    let out = bin()
        .arg("list")
        .args(demo_reports())
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("DEMO-CANARY"), "a demo canary leaked");
}

/// Found by the fuzzer: a value recognised as a secret only by its shape (a webhook URL) on one
/// side left the other side of the same attribute in plaintext. Both sides are masked now.
#[test]
fn a_secret_shaped_value_masks_both_sides_of_its_change() {
    let scan = br#"{"summary":{"total_resources":1,"total_changed":1,"total_unmanaged":0,"total_missing":0,"total_managed":1},
"managed":[{"id":"l-1","type":"aws_lb_listener"}],"unmanaged":[],"missing":[],
"differences":[{"res":{"id":"l-1","type":"aws_lb_listener"},"changelog":[{"type":"update","path":["ssl_policy"],
"from":"CANARY-old-token-4f1a","to":"https://discord.com/api/webhooks/123456/CANARY-hook-77aa","computed":false}]}],
"coverage":100,"alerts":{},"provider_name":"aws","provider_version":"5.70.0"}"#;
    let input = Input {
        path: "scan.json".into(),
        bytes: scan.to_vec(),
    };
    let r = load_inputs(&[input], &taxonomy()).expect("loads");
    let c = &item(&r, "aws_lb_listener.l-1").changes[0];
    assert!(c.sensitive);
    assert_eq!(c.desired, Some(json!(MASK)));
    assert_eq!(c.live, Some(json!(MASK)));
}
