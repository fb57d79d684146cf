//! Hostile input never gets through: HCL injection through adopt, secrets that slip past the
//! name list, escapes in CLI output, global flags. Real reports on disk, the real binary.

#[path = "support/files.rs"]
mod files;

use std::path::{Path, PathBuf};
use std::process::Command;

use driftdeck::classify::Taxonomy;
use driftdeck::ingest::load_paths;
use driftdeck::model::{DriftItem, DriftReport, Kind};
use driftdeck::remediate::adopt::{self, AdoptError};

const BIN: &str = env!("CARGO_BIN_EXE_driftdeck");
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

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("DRIFTDECK_ACTOR", "tester@example.com")
        .env("DRIFTDECK_AWS_IDENTITY", "0")
        .env_remove("DRIFTDECK_IAC_DIR")
        .output()
        .expect("run driftdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    assert!(it.identity["id"].contains("null_resource"), "the fixture carries the payload");
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
    let import = blocks.iter().find(|b| b.has_ident("import")).expect("import block");
    assert_eq!(
        import.body.get_attribute("id").and_then(|a| a.value.as_str()),
        Some(it.identity["id"].as_str())
    );
    // The template markers in values stay literal text (`$${`, `%%{`), never interpolation.
    assert!(e.after.contains("$${path.module}") && e.after.contains("%%{if true}"), "{}", e.after);
    assert!(!e.after.contains("\nresource \"null_resource\""));
    // The hostile map key is quoted, the hostile path value is one literal.
    let resource = blocks.iter().find(|b| b.has_ident("resource")).expect("resource block");
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
                assert!(msg.contains("\"aws_security_group_rule\\nresource") || msg.contains("\"../"), "{msg}");
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
    for visible in ["Paid", "B2s", "db.t3.small", "links v2", "optional", "/AWS::EC2::Instance", "512"] {
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
            &["approve", SECRETS_PLAN, a, "--reason", "known change", "--expires", "7d"],
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
