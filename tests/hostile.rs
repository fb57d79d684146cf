//! Hostile input never gets through: HCL injection through adopt, secrets that slip past the
//! name list, escapes in CLI output, global flags. Real reports on disk, the real binary.

#[path = "support/files.rs"]
mod files;
#[path = "support/ingest.rs"]
mod ingest_support;

use std::path::{Path, PathBuf};

use driftdeck::classify::Taxonomy;
use driftdeck::ingest::load_paths;
use driftdeck::model::{DriftItem, DriftReport, Kind};
use driftdeck::remediate::adopt::{self, AdoptError};

const INJECTION: &str = "tests/fixtures/hostile/driftctl-injection.json";

fn fixture_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    files::copy_dir(Path::new("tests/fixtures/decide/tf"), tmp.path());
    tmp
}

fn load(path: &str) -> DriftReport {
    load_paths(&[path], &Taxonomy::defaults().expect("taxonomy")).expect("report loads")
}

fn unmanaged<'a>(r: &'a DriftReport, type_start: &str) -> &'a DriftItem {
    r.items
        .iter()
        .find(|i| i.kind == Kind::Unmanaged && i.resource_type.starts_with(type_start))
        .expect("item in the fixture")
}

/// The binary with no user configuration (the scratch directory is never created).
fn run(args: &[&str]) -> (i32, String, String) {
    ingest_support::driftdeck(args, &std::env::temp_dir().join("driftdeck-hostile-no-config"))
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    v.sort();
    v
}

#[test]
fn adopt_of_an_id_carrying_hcl_writes_one_literal_and_no_extra_block() {
    let r = load(INJECTION);
    let it = unmanaged(&r, "aws_iam_user");
    assert!(
        it.identity
            .get("id")
            .is_some_and(|id| id.contains("null_resource")),
        "the fixture carries the payload"
    );
    let tmp = fixture_tree();
    let p = adopt::preview(it, tmp.path()).expect("preview");
    let e = &p.edits[0];
    // File name from the validated type and a sanitised slug only.
    let name = e.path.to_string_lossy().into_owned();
    assert!(name.starts_with("driftdeck_import_aws_iam_user_"), "{name}");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'),
        "{name}"
    );
    assert!(name.len() < 120, "{name}");
    // Exactly the import and the resource; the id is one string literal, byte for byte.
    let body = hcl_edit::parser::parse_body(&e.after).expect("parses");
    let blocks: Vec<_> = body.blocks().collect();
    assert_eq!(blocks.len(), 2, "{}", e.after);
    assert!(!body.blocks().any(|b| b.has_labels(&["null_resource"])));
    let import = blocks
        .iter()
        .find(|b| b.has_ident("import"))
        .expect("import block");
    assert_eq!(
        import.body.get_attribute("id").and_then(|a| a.value.as_str()),
        it.identity.get("id").map(String::as_str)
    );
    // The template markers in values stay literal text (`$${`, `%%{`), never interpolation.
    assert!(
        e.after.contains("$${path.module}") && e.after.contains("%%{if true}"),
        "{}",
        e.after
    );
    assert!(!e.after.contains("\nresource \"null_resource\""));
    // The hostile map key is quoted, the hostile path value is one literal.
    let resource = blocks
        .iter()
        .find(|b| b.has_ident("resource"))
        .expect("resource block");
    assert_eq!(resource.body.attributes().count(), 2, "{}", e.after);
    // Written, the file on disk is what was shown and parses the same.
    let written = adopt::write(&p, tmp.path()).expect("write");
    assert_eq!(written.len(), 1);
    let on_disk = std::fs::read_to_string(&written[0]).expect("read");
    assert_eq!(on_disk, e.after);
}

#[test]
fn adopt_refuses_a_resource_type_that_is_not_an_identifier() {
    let r = load(INJECTION);
    for start in ["../", "aws_security_group_rule\n"] {
        let it = unmanaged(&r, start);
        let tmp = fixture_tree();
        let before = tf_files(tmp.path());
        match adopt::preview(it, tmp.path()) {
            Err(e @ AdoptError::BadResourceType { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("not a Terraform resource type"), "{msg}");
                // The type is quoted with its line breaks escaped.
                assert!(
                    msg.contains("\"aws_security_group_rule\\nresource") || msg.contains("\"../"),
                    "{msg}"
                );
            }
            other => panic!("{start:?}: expected a refusal, got {other:?}"),
        }
        assert_eq!(tf_files(tmp.path()), before);
        assert!(!tmp.path().parent().expect("parent").join("tmp").exists());
    }
}

#[test]
fn adopt_through_the_binary_refuses_the_traversal_type_with_a_clear_message() {
    let tmp = fixture_tree();
    let iac = tmp.path().to_string_lossy().into_owned();
    let address = load(INJECTION)
        .items
        .iter()
        .find(|i| i.resource_type.starts_with("../"))
        .map(|i| i.address.clone())
        .expect("item");
    let (code, out, err) = run(&["--iac-dir", &iac, "adopt", INJECTION, &address, "--write"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("not a Terraform resource type"), "{err}");
    assert_eq!(err.lines().count(), 1, "one escaped line: {err}");
    assert!(!tmp.path().join("..").join("tmp").join("evil").exists());
}

#[cfg(unix)]
#[test]
fn adopt_refuses_a_module_directory_linked_outside_the_iac_dir() {
    let tmp = fixture_tree();
    let outside = tempfile::tempdir().expect("outside");
    files::copy_dir(&tmp.path().join("modules/app"), outside.path());
    std::fs::remove_dir_all(tmp.path().join("modules/app")).expect("rm");
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("modules/app")).expect("symlink");
    let before = std::fs::read_to_string(outside.path().join("main.tf")).expect("read");
    assert!(before.contains("message_retention_seconds = 345600"));
    let mut it = DriftItem::new(
        "id-1".into(),
        "module.app.aws_sqs_queue.q".into(),
        "aws_sqs_queue".into(),
        "plan.json",
        driftdeck::model::Format::TerraformPlan,
        Kind::Modified,
    );
    it.changes.push(driftdeck::model::Change::plain(
        driftdeck::model::AttrPath::keys(["message_retention_seconds"]),
        Some(serde_json::json!(345_600)),
        Some(serde_json::json!(86_400)),
    ));
    match adopt::preview(&it, tmp.path()) {
        Err(e @ AdoptError::OutsideIacDir(_)) => {
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("main.tf")).expect("read"),
        before
    );
}

#[cfg(unix)]
#[test]
fn adopt_never_writes_through_a_planted_link_at_the_import_file_name() {
    let r = load(INJECTION);
    let it = unmanaged(&r, "aws_iam_user");
    let tmp = fixture_tree();
    let first = adopt::preview(it, tmp.path()).expect("preview");
    let name = first.edits[0].path.clone();
    let outside = tempfile::tempdir().expect("outside");
    let target = outside.path().join("planted.tf");
    std::os::unix::fs::symlink(&target, tmp.path().join(&name)).expect("symlink");
    // A dangling link takes the name: the next preview picks another name.
    let p = adopt::preview(it, tmp.path()).expect("preview");
    assert_ne!(p.edits[0].path, name);
    // A preview made before the link appeared is refused at write time.
    match adopt::write(&first, tmp.path()) {
        Err(AdoptError::OutsideIacDir(_)) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!target.exists());
}

const SECRETS_PLAN: &str = "tests/fixtures/hostile/terraform-plan-secrets.json";

/// Distinctive pieces of every secret in the fixture: none may appear in any output.
const PLAINTEXT: &[&str] = &[
    "KUBETOKENzq81hd7Qk2",
    "I2Nsb3VkLWNvbmZpZw",
    "AdminPassZq8",
    "DbPassHunter2x",
    "SASSIGq8Zt3vW9pL2mX7",
    "WEBHOOKq8Zt3vW9pL",
    "LICENSE-7Q2W-9ZKX-PLM4",
    "DSAKEYBODY",
    "ECKEYBODY",
    "OPENSSHBODY",
    "EcsEnvPassw0rdValue",
    "Xr7Kp2Qm9Vt4Lw8Zn3Bh6Jd1",
    "ExternalIdTenant4411",
];

fn assert_no_plaintext(what: &str, text: &str) {
    for p in PLAINTEXT {
        assert!(!text.contains(p), "{what} leaks {p}:\n{text}");
    }
}

fn run_in(iac: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--iac-dir", iac.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn secrets_past_the_name_list_reach_no_output_and_fingerprints_are_keyed() {
    let raw = std::fs::read_to_string(SECRETS_PLAN).expect("fixture");
    for p in PLAINTEXT {
        assert!(raw.contains(p), "the fixture carries {p}");
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let iac = tmp.path();
    let (code, json, err) = run_in(iac, &["list", SECRETS_PLAN, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_no_plaintext("list --format json", &json);
    let (_, table, _) = run_in(iac, &["list", SECRETS_PLAN]);
    assert_no_plaintext("list", &table);
    // Not everything is hidden: the ordinary drift next to the secrets still shows.
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    let items = doc["items"].as_array().expect("items");
    assert_eq!(items.len(), 8);
    for visible in [
        "Paid",
        "B2s",
        "db.t3.small",
        "links v2",
        "optional",
        "/AWS::EC2::Instance",
        "512",
    ] {
        assert!(json.contains(visible), "{visible} should stay visible");
    }
    // The ECS definition stays a JSON document with only the secret values replaced.
    assert!(json.contains("LOG_LEVEL") && json.contains("debug") && json.contains("DB_PASSWORD"));

    let addresses: Vec<String> = items
        .iter()
        .map(|i| i["address"].as_str().expect("address").to_string())
        .collect();
    for a in &addresses {
        let (code, out, err) = run_in(
            iac,
            &[
                "approve",
                SECRETS_PLAN,
                a,
                "--reason",
                "known change",
                "--expires",
                "7d",
            ],
        );
        assert_eq!(code, 0, "{a}: {out}{err}");
        assert_no_plaintext("approve", &(out + &err));
    }
    let state = iac.join(".driftdeck");
    let approvals = std::fs::read_to_string(state.join("approvals.toml")).expect("approvals");
    let journal = std::fs::read_to_string(state.join("journal.jsonl")).expect("journal");
    assert_no_plaintext("approvals.toml", &approvals);
    assert_no_plaintext("journal", &journal);
    for format in ["json", "md", "csv", "sarif"] {
        let (code, out, err) = run_in(iac, &["export", "--format", format]);
        assert_eq!(code, 0, "{format}: {err}");
        assert_no_plaintext(format, &out);
    }
    // Sensitive values are approved by keyed fingerprint; the key itself stays out of every
    // file but its own, which is private and kept out of version control.
    assert!(approvals.contains("hmac-sha256:") && !approvals.contains("\"sha256:"));
    let key = std::fs::read_to_string(state.join("fingerprint.key")).expect("key");
    let key = key.trim();
    assert_eq!(key.len(), 64);
    for (what, text) in [("approvals.toml", &approvals), ("journal", &journal)] {
        assert!(!text.contains(key), "{what} holds the key");
    }
    assert_eq!(
        std::fs::read_to_string(state.join(".gitignore")).expect("gitignore"),
        "fingerprint.key\n"
    );
    // A later process with the same key matches every approval, sensitive ones included.
    let (_, json, _) = run_in(iac, &["list", SECRETS_PLAN, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["summary"]["by_status"]["approved"], 8, "{}", doc["summary"]);
    // Without the key (another repository's, or none) a fingerprint matches nothing.
    std::fs::remove_file(state.join("fingerprint.key")).expect("rm key");
    let (_, json, _) = run_in(iac, &["list", SECRETS_PLAN, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert!(
        doc["summary"]["by_status"]["approved"].as_u64().unwrap_or(0) < 8,
        "{}",
        doc["summary"]
    );
}

/// True when `s` holds a character a terminal could obey or that hides in plain sight.
fn has_raw_unsafe(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    })
}

/// A refresh-only plan with one drifted queue at `address` (in `module.app` when asked).
fn queue_plan(dir: &Path, address: &str, module: Option<&str>) -> PathBuf {
    let mut drift = serde_json::json!({
        "address": address,
        "mode": "managed",
        "type": "aws_sqs_queue",
        "name": "q",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["update"],
            "before": {"id": "https://sqs/q", "name": "q", "message_retention_seconds": 345_600},
            "after": {"id": "https://sqs/q", "name": "q", "message_retention_seconds": 86_400},
            "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}
        }
    });
    if let Some(m) = module {
        drift["module_address"] = serde_json::json!(m);
    }
    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_drift": [drift]
    });
    let p = dir.join("plan.json");
    std::fs::write(&p, serde_json::to_vec(&plan).expect("json")).expect("write plan");
    p
}

#[test]
fn addresses_with_invisible_characters_print_escaped_and_json_keeps_the_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let evil = "aws_sqs_queue.q\u{200b}\u{2028}\u{202e}\u{1b}[2J\u{9b}31m";
    let plan = queue_plan(tmp.path(), evil, None);
    let plan = plan.to_str().expect("utf-8");
    let (code, table, err) = run_in(tmp.path(), &["list", plan]);
    assert_eq!(code, 0, "{err}");
    assert!(!has_raw_unsafe(&table), "{table:?}");
    assert!(
        table.contains("q\\u{200b}\\u{2028}\\u{202e}\\u{1b}[2J\\u{9b}31m"),
        "{table}"
    );
    let (_, json, _) = run_in(tmp.path(), &["list", plan, "--format", "json"]);
    assert!(!has_raw_unsafe(&json), "{json:?}");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        doc["items"][0]["address"], evil,
        "the JSON carries the exact address"
    );
    let (_, out, err) = run_in(tmp.path(), &["check", plan]);
    assert!(!has_raw_unsafe(&out) && !has_raw_unsafe(&err), "{out:?}{err:?}");
}

#[test]
fn approvals_list_and_prune_escape_the_expiry_and_everything_else() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let state = tmp.path().join(".driftdeck");
    std::fs::create_dir(&state).expect("mkdir");
    // Written by hand or by a hostile pull request: escapes in every string.
    std::fs::write(
        state.join("approvals.toml"),
        concat!(
            "[[approval]]\n",
            "address = \"aws_s3_bucket.lo\\u200bgs\"\n",
            "reason = \"ok\\u001b]0;pwned\\u0007\"\n",
            "approver = \"eve\\u202e\"\n",
            "created = \"2020-01-01T00:00:00Z\"\n",
            "expires = \"2020-01-02T00:00:00Z\\u001b[2J\"\n",
            "kind = \"modified\"\n",
        ),
    )
    .expect("write");
    for action in ["list", "prune"] {
        let (_, out, err) = run_in(tmp.path(), &["approvals", action]);
        assert!(!has_raw_unsafe(&out), "{action}: {out:?}");
        assert!(!has_raw_unsafe(&err), "{action}: {err:?}");
        assert!(!out.is_empty() || !err.is_empty(), "{action} says something");
    }
}

#[test]
fn adopt_write_prints_the_written_path_escaped() {
    let tmp = fixture_tree();
    let odd = "mod\u{1b}[31m\u{200b}app";
    std::fs::rename(
        tmp.path().join("modules/app"),
        tmp.path().join("modules").join(odd),
    )
    .expect("rename");
    let main = std::fs::read_to_string(tmp.path().join("main.tf")).expect("main.tf");
    std::fs::write(
        tmp.path().join("main.tf"),
        main.replace("\"./modules/app\"", &format!("\"./modules/{odd}\"")),
    )
    .expect("write main.tf");
    let manifest = tmp.path().join(".terraform/modules/modules.json");
    let m = std::fs::read_to_string(&manifest).expect("modules.json");
    let odd_json = serde_json::to_string(&format!("modules/{odd}")).expect("json");
    std::fs::write(&manifest, m.replace("\"modules/app\"", &odd_json)).expect("write manifest");
    assert!(
        std::fs::read_to_string(tmp.path().join("main.tf"))
            .expect("read")
            .contains(odd)
    );
    let plan = queue_plan(tmp.path(), "module.app.aws_sqs_queue.q", Some("module.app"));
    let (code, out, err) = run_in(
        tmp.path(),
        &[
            "adopt",
            plan.to_str().expect("utf-8"),
            "module.app.aws_sqs_queue.q",
            "--write",
            "--reason",
            "retention was lowered on purpose",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!has_raw_unsafe(&out) && !has_raw_unsafe(&err), "{out:?}{err:?}");
    assert!(
        out.contains("wrote modules/mod\\u{1b}[31m\\u{200b}app/main.tf"),
        "{out}"
    );
    let written =
        std::fs::read_to_string(tmp.path().join("modules").join(odd).join("main.tf")).expect("read");
    assert!(written.contains("message_retention_seconds = 86400"), "{written}");
}

#[test]
fn global_flags_work_before_and_after_the_subcommand() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = queue_plan(tmp.path(), "aws_sqs_queue.q", None);
    let plan = plan.to_str().expect("utf-8");
    let iac = tmp.path().to_str().expect("utf-8");
    let (code, out, err) = run(&[
        "--iac-dir",
        iac,
        "--actor",
        "ops@example.com",
        "approve",
        plan,
        "aws_sqs_queue.q",
        "--reason",
        "ok",
        "--expires",
        "7d",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("by ops@example.com"), "{out}");
    let (code, out, err) = run(&["approvals", "list", "--iac-dir", iac]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("aws_sqs_queue.q"), "{out}");
    let (code, out, _) = run(&["--read-only", "--iac-dir", iac, "journal", "verify"]);
    assert_eq!(code, 0, "{out}");
    // CloudTrail flags before a subcommand would be ignored: refused with a clear message.
    let (code, _, err) = run(&["--cloudtrail-logs", iac, "attribute", plan]);
    assert_eq!(code, 1);
    assert!(err.contains("go after the subcommand"), "{err}");
}

#[test]
fn extreme_attribution_windows_give_errors_or_results_never_panics() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = queue_plan(tmp.path(), "aws_sqs_queue.q", None);
    let plan = plan.to_str().expect("utf-8");
    let logs = tmp.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    let logs = logs.to_str().expect("utf-8");
    for (since, until) in [
        ("9999-12-31T23:59:59Z", "0001-01-01"),
        ("0001-01-01", "9999-12-31"),
        ("99999999999", "2026-01-01"),
        ("2026-02-30", "2026-13-01"),
        ("-0001-01-01", "+99999-01-01"),
    ] {
        let (since, until) = (format!("--since={since}"), format!("--until={until}"));
        let (code, out, err) = run(&["attribute", plan, "--cloudtrail-logs", logs, &since, &until]);
        assert!(
            code == 0 || code == 1,
            "{since}..{until}: exit {code}: {out}{err}"
        );
        assert!(!err.contains("panicked"), "{since}..{until}: {err}");
        if code == 1 {
            assert!(err.starts_with("driftdeck: error:"), "{err}");
        }
    }
}
