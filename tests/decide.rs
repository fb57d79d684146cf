//! Decisions: adoption edits on fixture `.tf` trees, the journal's hash chain and crash safety,
//! approvals (expiry, re-drift, `check` exit codes), revert with a stand-in `terraform`, tiers,
//! undo, the evidence export and read-only mode.

#[path = "support/files.rs"]
mod files;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use driftdeck::decide::approvals::{Approvals, approval_for};
use driftdeck::decide::evidence::{ExportFormat, export};
use driftdeck::decide::journal::{Journal, verify};
use driftdeck::decide::{
    ApproveInput, DecideError, Decider, DeciderOptions, Decision, DecisionInput, DecisionKind, actor,
};
use driftdeck::model::{
    AttrPath, Change, ConfigExpr, ConfigInfo, DriftItem, DriftReport, Format, Kind, ReportMeta, Severity,
    Status, Step,
};
use driftdeck::remediate::adopt::{self, NoteKind};
use serde_json::{Value, json};
use time::OffsetDateTime;

const BIN: &str = env!("CARGO_BIN_EXE_driftdeck");

fn fixture_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    files::copy_dir(Path::new("tests/fixtures/decide/tf"), tmp.path());
    tmp
}

fn item(address: &str, rtype: &str, kind: Kind, changes: Vec<Change>) -> DriftItem {
    let mut i = DriftItem::new(
        format!("id-{address}"),
        address.to_string(),
        rtype.to_string(),
        "fixture.json",
        Format::TerraformPlan,
        kind,
    );
    i.changes = changes;
    i
}

fn ch(path: &[&str], desired: Option<Value>, live: Option<Value>) -> Change {
    Change::plain(AttrPath::keys(path.iter().copied()), desired, live)
}

fn config(attrs: &[(&str, ConfigExpr)]) -> ConfigInfo {
    ConfigInfo {
        attributes: attrs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        ..ConfigInfo::default()
    }
}

/// The `-`/`+` lines of a unified diff (headers excluded).
fn changed_lines(diff: &str) -> Vec<String> {
    diff.lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---") && !l.starts_with("+++")
        })
        .map(str::to_string)
        .collect()
}

fn assert_parses(text: &str) {
    hcl_edit::parser::parse_body(text).expect("the edited file parses");
}

#[test]
fn adopt_changes_only_the_drifted_literals_and_keeps_formatting() {
    let tmp = fixture_tree();
    let it = item(
        "aws_instance.odd",
        "aws_instance",
        Kind::Modified,
        vec![
            ch(
                &["instance_type"],
                Some(json!("t3.micro")),
                Some(json!("t3.large")),
            ),
            ch(&["tags", "Env"], Some(json!("prod")), Some(json!("staging"))),
            ch(&["tags", "cost-center"], None, Some(json!("CC-1"))),
            ch(&["monitoring"], Some(json!(true)), None),
            Change::plain(
                AttrPath(vec![
                    Step::Key("root_block_device".into()),
                    Step::Index(0),
                    Step::Key("volume_size".into()),
                ]),
                Some(json!(20)),
                Some(json!(50)),
            ),
        ],
    );
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    assert_eq!(p.edits.len(), 1);
    assert_eq!(
        changed_lines(&p.diff),
        vec![
            "-  instance_type=\"t3.micro\"       # squeezed, and a comment",
            "-  monitoring    = true",
            "+  instance_type=\"t3.large\"       # squeezed, and a comment",
            "-    Env  = \"prod\"   # keep",
            "+    Env  = \"staging\"   # keep",
            "+    \"cost-center\" = \"CC-1\"",
            "-    volume_size = 20",
            "+    volume_size = 50",
        ],
        "{}",
        p.diff
    );
    let after = &p.edits[0].after;
    assert_parses(after);
    assert!(
        after.contains(
            "resource \"aws_instance\"   \"odd\" {\n  ami           =    \"ami-123\"   # pinned AMI"
        )
    );
    assert!(after.contains("# team owns this"));
    // Nothing written without `write`.
    let on_disk = std::fs::read_to_string(tmp.path().join("main.tf")).expect("read");
    assert!(on_disk.contains("t3.micro"));
    let written = adopt::write(&p, tmp.path()).expect("write");
    assert_eq!(written.len(), 1);
    assert_eq!(
        &std::fs::read_to_string(tmp.path().join("main.tf")).expect("read"),
        after
    );
    // A second write of the same preview is stale: the file changed since.
    assert!(matches!(
        adopt::write(&p, tmp.path()),
        Err(adopt::AdoptError::Stale(_))
    ));
}

#[test]
fn adopt_reports_variables_locals_and_functions_instead_of_overwriting() {
    let tmp = fixture_tree();
    let mut it = item(
        "aws_db_instance.db",
        "aws_db_instance",
        Kind::Modified,
        vec![
            ch(
                &["instance_class"],
                Some(json!("db.r6g.large")),
                Some(json!("db.r6g.xlarge")),
            ),
            ch(&["backup_retention_period"], Some(json!(7)), Some(json!(1))),
            ch(
                &["parameter_group_name"],
                Some(json!("pg-x")),
                Some(json!("pg-y")),
            ),
        ],
    );
    // With the plan's configuration facts.
    it.config = Some(Box::new(config(&[
        (
            "instance_class",
            ConfigExpr::Reference {
                references: vec!["var.db_class".into()],
            },
        ),
        (
            "backup_retention_period",
            ConfigExpr::Reference {
                references: vec!["local.backup_days".into()],
            },
        ),
        ("parameter_group_name", ConfigExpr::Computed),
        ("password", ConfigExpr::Literal),
    ])));
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    assert!(p.edits.is_empty(), "{}", p.diff);
    let text: Vec<String> = p.notes.iter().map(ToString::to_string).collect();
    let joined = text.join("\n");
    assert!(
        joined.contains("var.db_class is set in terraform.tfvars:1"),
        "{joined}"
    );
    assert!(
        joined.contains("the default in variables.tf:3 is not the value in use"),
        "{joined}"
    );
    assert!(
        joined.contains("local.backup_days is defined in locals.tf:2"),
        "{joined}"
    );
    assert!(joined.contains("computed expression"), "{joined}");
    assert_eq!(
        p.notes.iter().filter(|n| n.kind == NoteKind::NotLiteral).count(),
        3
    );

    // Without configuration facts (driftctl), the source itself shows the expression.
    it.config = None;
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    assert!(p.edits.is_empty(), "{}", p.diff);
    let joined = p
        .notes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(joined.contains("set by `var.db_class`"), "{joined}");
    assert!(joined.contains("set by `format(\"pg-%s\", \"x\")`"), "{joined}");
}

#[test]
fn adopt_never_writes_a_sensitive_live_value() {
    let tmp = fixture_tree();
    let mut c = ch(
        &["password"],
        Some(json!("(sensitive)")),
        Some(json!("(sensitive)")),
    );
    c.sensitive = true;
    let it = item("aws_db_instance.db", "aws_db_instance", Kind::Modified, vec![c]);
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    let after = &p.edits[0].after;
    assert_parses(after);
    assert!(
        after.contains("password                = var.db_password"),
        "{}",
        p.diff
    );
    assert!(after.contains("variable \"db_password\" {") && after.contains("sensitive   = true"));
    assert!(!after.contains("(sensitive)"));
    assert!(p.notes.iter().any(|n| n.kind == NoteKind::Sensitive));
}

#[test]
fn adopt_explains_count_and_for_each_instances() {
    let tmp = fixture_tree();
    let it = item(
        "aws_instance.counted[1]",
        "aws_instance",
        Kind::Modified,
        vec![ch(
            &["instance_type"],
            Some(json!("t3.small")),
            Some(json!("t3.medium")),
        )],
    );
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    let rep = p
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::Repetition)
        .expect("repetition note");
    assert!(
        rep.message.contains("instance [1]") && rep.message.contains("count = 2"),
        "{}",
        rep.message
    );
    assert_eq!(
        changed_lines(&p.diff),
        vec![
            "-  instance_type = \"t3.small\"",
            "+  instance_type = \"t3.medium\""
        ]
    );

    let it = item(
        "aws_s3_bucket.each[\"a\"]",
        "aws_s3_bucket",
        Kind::Modified,
        vec![ch(&["bucket"], Some(json!("bucket-a")), Some(json!("renamed")))],
    );
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    assert!(p.edits.is_empty());
    let joined = p
        .notes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        joined.contains("for_each = toset([\"a\", \"b\"])") && joined.contains("each.key"),
        "{joined}"
    );
}

#[test]
fn adopt_follows_modules_through_the_manifest_or_the_local_source() {
    let tmp = fixture_tree();
    let it = item(
        "module.app.aws_sqs_queue.q",
        "aws_sqs_queue",
        Kind::Modified,
        vec![
            ch(
                &["message_retention_seconds"],
                Some(json!(345_600)),
                Some(json!(86_400)),
            ),
            ch(&["delay_seconds"], Some(json!(1)), Some(json!(5))),
        ],
    );
    let with_manifest = adopt::preview(&it, tmp.path()).expect("preview");
    assert_eq!(with_manifest.edits[0].path, PathBuf::from("modules/app/main.tf"));
    assert_eq!(
        changed_lines(&with_manifest.diff),
        vec![
            "-  message_retention_seconds = 345600 # 4 days",
            "+  message_retention_seconds = 86400 # 4 days",
        ]
    );
    let joined = with_manifest
        .notes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        joined.contains("module \"app\"` in main.tf:") && joined.contains("size = var.app_size"),
        "{joined}"
    );
    std::fs::remove_dir_all(tmp.path().join(".terraform")).expect("rm");
    let without = adopt::preview(&it, tmp.path()).expect("preview without modules.json");
    assert_eq!(without.diff, with_manifest.diff);
}

#[test]
fn adopt_adds_and_removes_nested_blocks() {
    let tmp = fixture_tree();
    let rule = |d: &str, p: u16, cidr: &str| {
        json!({"description": d, "from_port": p, "to_port": p, "protocol": "tcp", "cidr_blocks": [cidr],
               "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false})
    };
    let it = item(
        "aws_security_group.sg",
        "aws_security_group",
        Kind::Modified,
        vec![ch(
            &["ingress"],
            Some(json!([
                rule("https", 443, "10.0.0.0/8"),
                rule("http", 80, "10.0.0.0/8")
            ])),
            Some(json!([
                rule("ssh", 22, "0.0.0.0/0"),
                rule("https", 443, "10.0.0.0/8")
            ])),
        )],
    );
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    assert_parses(&p.edits[0].after);
    let before = std::fs::read_to_string(tmp.path().join("main.tf")).expect("read");
    let old = "  # legacy http rule\n  ingress {\n    description = \"http\"\n    from_port   = 80\n    to_port     = 80\n    protocol    = \"tcp\"\n    cidr_blocks = [\"10.0.0.0/8\"]\n  }\n";
    let new = "  ingress {\n    description = \"ssh\"\n    from_port   = 22\n    to_port     = 22\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n    self        = false\n  }\n  # legacy http rule\n";
    assert!(before.contains(old));
    // Exactly: the ssh rule added after the kept https block, the http block removed.
    assert_eq!(p.edits[0].after, before.replacen(old, new, 1), "{}", p.diff);
}

#[test]
fn adopt_unmanaged_writes_an_import_block_in_a_new_file_only() {
    let tmp = fixture_tree();
    let mut it = item("aws_iam_user.ghost", "aws_iam_user", Kind::Unmanaged, vec![]);
    it.format = Some(Format::Driftctl);
    it.identity.insert("id".into(), "ghost-user".into());
    it.live_attributes = Some(
        json!({"name": "ghost-user", "path": "/", "arn": "arn:aws:iam::1:user/ghost-user",
                                    "tags": {"k": "v"}, "password": "(sensitive)"}),
    );
    let p = adopt::preview(&it, tmp.path()).expect("preview");
    assert_eq!(p.edits.len(), 1);
    let e = &p.edits[0];
    assert!(e.new_file && e.path == Path::new("driftdeck_import_aws_iam_user_ghost_user.tf"));
    assert_parses(&e.after);
    assert!(
        e.after
            .contains("import {\n  to = aws_iam_user.ghost_user\n  id = \"ghost-user\"\n}"),
        "{}",
        e.after
    );
    assert!(e.after.contains("  name = \"ghost-user\"") && !e.after.contains("arn:aws"));
    assert!(!e.after.contains("(sensitive)") && e.after.contains("# password: sensitive"));
    adopt::write(&p, tmp.path()).expect("write");
    assert!(
        tmp.path()
            .join("driftdeck_import_aws_iam_user_ghost_user.tf")
            .is_file()
    );
}

#[test]
fn adopt_refuses_paths_outside_the_iac_dir() {
    let tmp = fixture_tree();
    let p = adopt::AdoptPreview {
        address: "x".into(),
        edits: vec![adopt::FileEdit {
            path: PathBuf::from("../escape.tf"),
            before: String::new(),
            after: "x".into(),
            new_file: true,
        }],
        notes: vec![],
        diff: String::new(),
    };
    assert!(matches!(
        adopt::write(&p, tmp.path()),
        Err(adopt::AdoptError::OutsideIacDir(_))
    ));
    assert!(!tmp.path().parent().expect("parent").join("escape.tf").exists());
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DRIFTDECK_ACTOR", "tester@example.com")
        .env("DRIFTDECK_AWS_IDENTITY", "0")
        .env_remove("DRIFTDECK_IAC_DIR");
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().expect("run driftdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const DEMO_TF: &str = "assets/demo/reports/terraform-plan.json";

#[test]
fn demo_shows_adoption_diffs_without_writing() {
    let before = std::fs::read_to_string("assets/demo/iac/main.tf").expect("read");
    let (code, out, err) = run(
        &[
            "adopt",
            DEMO_TF,
            "aws_lambda_function.ingest",
            "--iac-dir",
            "assets/demo/iac",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("-  memory_size = 512\n+  memory_size = 1024"),
        "{out}"
    );
    assert!(
        out.contains("TF_VAR_ingest_api_token") && !out.contains("DEMO-CANARY"),
        "{out}"
    );
    let (code, out, _) = run(
        &[
            "adopt",
            DEMO_TF,
            "aws_security_group.web",
            "--iac-dir",
            "assets/demo/iac",
        ],
        &[],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("+    from_port   = 22") && out.contains("+    cidr_blocks = [\"0.0.0.0/0\"]"),
        "{out}"
    );
    let (code, out, _) = run(
        &[
            "adopt",
            DEMO_TF,
            "aws_instance.web[0]",
            "--iac-dir",
            "assets/demo/iac",
        ],
        &[],
    );
    assert_eq!(code, 0);
    assert!(out.contains("terraform.tfvars:8"), "{out}");
    assert_eq!(
        std::fs::read_to_string("assets/demo/iac/main.tf").expect("read"),
        before
    );
}

// ---------------------------------------------------------------------------------- journal

fn sample_report() -> DriftReport {
    let mut low = item(
        "aws_instance.web[1]",
        "aws_instance",
        Kind::Modified,
        vec![ch(&["tags", "debug"], None, Some(json!("true")))],
    );
    low.severity = Severity::Low;
    let mut crit = item(
        "aws_security_group.web",
        "aws_security_group",
        Kind::Modified,
        vec![ch(
            &["ingress"],
            Some(json!([{"from_port": 443}])),
            Some(json!([{"from_port": 22}])),
        )],
    );
    crit.severity = Severity::Critical;
    let mut secret = Change::plain(
        AttrPath::keys(["password"]),
        Some(json!("(sensitive)")),
        Some(json!("(sensitive)")),
    );
    secret.sensitive = true;
    secret.live_fingerprint = Some("sha256:aaaa".into());
    let mut db = item(
        "aws_db_instance.db",
        "aws_db_instance",
        Kind::Modified,
        vec![secret],
    );
    db.severity = Severity::High;
    DriftReport {
        reports: vec![ReportMeta {
            path: "fixture.json".into(),
            format: Format::TerraformPlan,
            tool_version: None,
            timestamp: Some("2026-11-22T07:58:41Z".into()),
            sha256: "ab".repeat(32),
            warnings: vec![],
            incomplete: Vec::new(),
        }],
        items: vec![low, crit, db],
        not_drift: driftdeck::model::NotDrift::default(),
        noise: Vec::new(),
    }
}

fn decision(report: &DriftReport, n: usize) -> Decision {
    let mut d = Decision::new(
        &report.items[0],
        "ab",
        None,
        DecisionKind::Approve,
        json!({"n": n}),
    );
    d.reason = Some(format!("reason {n}"));
    d
}

fn write_journal(path: &Path, n: usize) -> Vec<String> {
    let report = sample_report();
    let (mut j, _) = Journal::open(path, false).expect("open");
    let a = actor::resolve(Some("tester"), Path::new("."), false);
    for i in 0..n {
        j.append(&decision(&report, i), &a).expect("append");
    }
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn journal_chain_detects_edited_deleted_and_reordered_entries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("j.jsonl");
    let lines = write_journal(&path, 5);
    let ok = verify(&path).expect("verify");
    assert_eq!((ok.good, ok.broken.clone()), (5, None));

    let check = |lines: Vec<String>| {
        std::fs::write(&path, lines.join("\n") + "\n").expect("write");
        verify(&path).expect("verify").broken.expect("broken")
    };
    let mut edited = lines.clone();
    edited[2] = edited[2].replace("reason 2", "reason X");
    let b = check(edited);
    assert_eq!((b.line, b.seq), (3, Some(3)));
    assert!(b.problem.contains("edited"), "{}", b.problem);

    let mut deleted = lines.clone();
    deleted.remove(1);
    let b = check(deleted);
    assert_eq!((b.line, b.seq), (2, Some(3)));

    let mut reordered = lines.clone();
    reordered.swap(3, 4);
    let b = check(reordered);
    assert_eq!((b.line, b.seq), (4, Some(5)));

    // Re-hashing an edited entry still breaks the next entry's prev_hash.
    let mut forged: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    forged[1]["reason"] = json!("forged");
    let mut e: driftdeck::decide::JournalEntry = serde_json::from_value(forged[1].clone()).expect("entry");
    e.hash = e.compute_hash().expect("hash");
    let mut relinked = lines;
    relinked[1] = serde_json::to_string(&e).expect("ser");
    let b = check(relinked);
    assert_eq!((b.line, b.seq), (3, Some(3)));
    assert!(b.problem.contains("prev_hash"));
}

#[test]
fn torn_last_line_is_reported_kept_aside_and_the_chain_continues() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("j.jsonl");
    write_journal(&path, 3);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    f.write_all(b"{\"seq\":4,\"time\":\"2026-").expect("write");
    drop(f);
    assert_eq!(verify(&path).expect("verify").torn_tail_line, Some(4));
    // Read-only open reports it and leaves it in place.
    let (_, report) = Journal::open(&path, true).expect("open ro");
    assert_eq!(report.torn_tail.as_ref().map(|t| t.line), Some(4));
    assert!(std::fs::read_to_string(&path).expect("read").ends_with("2026-"));
    let (mut j, report) = Journal::open(&path, false).expect("open");
    let warning = report.warning(&path).expect("a warning");
    assert!(warning.contains("line 4 was torn"), "{warning}");
    let torn = std::fs::read_to_string(tmp.path().join("j.jsonl.torn")).expect("torn kept");
    assert!(torn.starts_with("{\"seq\":4"));
    let report_model = sample_report();
    let e = j
        .append(
            &decision(&report_model, 9),
            &actor::resolve(Some("t"), Path::new("."), false),
        )
        .expect("append");
    assert_eq!(e.seq, 4);
    let v = verify(&path).expect("verify");
    assert_eq!((v.good, v.broken, v.torn_tail_line), (4, None, None));
}

/// Helper run by `journal_survives_sigkill_during_a_burst_of_appends` in a child process.
#[test]
#[ignore = "helper: appends until killed; run by journal_survives_sigkill_during_a_burst_of_appends"]
fn journal_append_burst_child() {
    let Some(path) = std::env::var_os("DRIFTDECK_TEST_JOURNAL") else {
        return;
    };
    let report = sample_report();
    let (mut j, _) = Journal::open(Path::new(&path), false).expect("open");
    let a = actor::resolve(Some("child"), Path::new("."), false);
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let e = j.append(&decision(&report, i), &a).expect("append");
        writeln!(out, "confirmed {} {}", e.seq, e.hash).expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn journal_survives_sigkill_during_a_burst_of_appends() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("journal.jsonl");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--ignored",
            "--exact",
            "journal_append_burst_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DRIFTDECK_TEST_JOURNAL", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut confirmed: Vec<(u64, String)> = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("confirmed ") {
            let (seq, hash) = rest.split_once(' ').expect("seq hash");
            confirmed.push((seq.parse().expect("seq"), hash.to_string()));
            if confirmed.len() == 40 {
                child.kill().expect("SIGKILL");
                break;
            }
        }
    }
    let _ = child.wait();
    assert_eq!(confirmed.len(), 40);
    let entries = Journal::read_all(&path).expect("read");
    for (seq, hash) in &confirmed {
        let e = entries
            .iter()
            .find(|e| e.seq == *seq)
            .expect("confirmed entry present");
        assert_eq!(&e.hash, hash);
    }
    let v = verify(&path).expect("verify");
    assert!(v.broken.is_none(), "{:?}", v.broken);
    assert!(v.good >= 40);
    // Reopening (what the next start does) reports any torn tail and continues the chain.
    let (mut j, _) = Journal::open(&path, false).expect("reopen");
    let report = sample_report();
    j.append(
        &decision(&report, 999),
        &actor::resolve(Some("t"), Path::new("."), false),
    )
    .expect("append");
    assert!(verify(&path).expect("verify").broken.is_none());
}

// -------------------------------------------------------------------------------- approvals

#[test]
fn approval_expiry_and_redrift_resurface_the_item() {
    let mut report = sample_report();
    let now = OffsetDateTime::now_utc();
    let week = now + time::Duration::days(7);
    let mut all = Approvals::default();
    all.add(
        approval_for(&report.items[0], &[], "ok for now", "me", Some("T-1"), now, week).expect("approval"),
    );
    all.add(approval_for(&report.items[2], &[], "rotation", "me", None, now, week).expect("approval"));
    all.apply(&mut report, now);
    assert_eq!(report.items[0].status, Status::Approved);
    assert_eq!(report.items[2].status, Status::Approved);
    assert_eq!(report.items[1].status, Status::Open);
    // After the expiry.
    let mut later = sample_report();
    all.apply(&mut later, week + time::Duration::seconds(1));
    assert_eq!(later.items[0].status, Status::ApprovalExpired);
    // The live value drifted again.
    let mut again = sample_report();
    again.items[0].changes[0].live = Some(json!("false")).into();
    again.items[2].changes[0].live_fingerprint = Some("sha256:bbbb".into());
    all.apply(&mut again, now);
    assert_eq!(again.items[0].status, Status::ChangedSinceApproval);
    assert_eq!(again.items[2].status, Status::ChangedSinceApproval);
    // Another attribute drifted besides the approved one.
    let mut more = sample_report();
    more.items[0]
        .changes
        .push(ch(&["instance_type"], Some(json!("a")), Some(json!("b"))));
    all.apply(&mut more, now);
    assert_eq!(more.items[0].status, Status::ChangedSinceApproval);
    // The file is stable and readable; the secret's fingerprint is stored, not a value.
    let text = all.to_toml().expect("toml");
    assert!(
        text.contains("address = \"aws_db_instance.db\"") && text.contains("fingerprint = \"sha256:aaaa\"")
    );
    assert!(text.find("aws_db_instance.db").expect("db") < text.find("aws_instance.web[1]").expect("web"));
    let tmp = tempfile::tempdir().expect("tmp");
    let p = tmp.path().join("approvals.toml");
    all.save(&p).expect("save");
    assert_eq!(Approvals::load(&p).expect("load"), all);
    let mut pruned = all.clone();
    assert_eq!(pruned.prune(week + time::Duration::seconds(1)).len(), 2);
}

#[test]
fn check_exit_codes_honour_approvals() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_str().expect("utf8");
    let reports = [
        "assets/demo/reports/terraform-plan.json",
        "assets/demo/reports/driftctl-scan.json",
        "assets/demo/reports/cloudformation-drift.json",
    ];
    let mut check = vec!["check", "--fail-on", "critical", "--iac-dir", dir];
    check.extend(reports);
    assert_eq!(run(&check, &[]).0, 2);
    let critical = [
        (0, "aws_security_group.web"),
        (0, "aws_iam_role_policy.deploy"),
        (0, "module.app[\"eu\"].aws_s3_bucket_public_access_block.data"),
        (0, "aws_cloudtrail.main"),
        // Deleting the trail's log group destroys the audit trail: critical since the taxonomy
        // rates a control's deletion at least as high as its weakening.
        (0, "aws_cloudwatch_log_group.audit"),
        (
            1,
            "aws_iam_user_policy_attachment.backdoor-admin-arn:aws:iam::aws:policy/AdministratorAccess",
        ),
        (1, "aws_security_group_rule.sgrule-950722393"),
        (2, "payments-prod/PaymentsDbSecurityGroup"),
        (2, "payments-prod/ReceiptsBucket"),
    ];
    // Critical needs a reason.
    let (code, _, err) = run(
        &[
            "approve",
            reports[0],
            critical[0].1,
            "--expires",
            "72h",
            "--iac-dir",
            dir,
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("a written reason is required"), "{err}");
    for (r, a) in critical {
        let (code, out, err) = run(
            &[
                "approve",
                reports[r],
                a,
                "--reason",
                "INC-4817 containment",
                "--expires",
                "72h",
                "--iac-dir",
                dir,
            ],
            &[],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    // The demo's CloudFormation report has NOT_CHECKED and UNKNOWN resources: with every
    // critical item approved, drift could not be fully determined (3) until the operator says
    // that is acceptable.
    let (code, _, err) = run(&check, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("could not be fully determined"), "{err}");
    check.push("--allow-incomplete");
    assert_eq!(run(&check, &[]).0, 0);
    let mut list = vec!["list", "--format", "json", "--iac-dir", dir];
    list.extend(reports);
    let (_, out, _) = run(&list, &[]);
    assert_eq!(
        out.matches("\"status\": \"approved\"").count() + out.matches("\"status\":\"approved\"").count(),
        critical.len()
    );
    let (code, out, _) = run(&["approvals", "list", "--iac-dir", dir], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("active")).count(),
        critical.len()
    );
    assert!(
        verify(&tmp.path().join(".driftdeck/journal.jsonl"))
            .expect("verify")
            .broken
            .is_none()
    );
}

#[test]
fn tiers_reason_batch_and_typed_confirmation() {
    let tmp = tempfile::tempdir().expect("tmp");
    let report = sample_report();
    let mut d = Decider::open(DeciderOptions::new(tmp.path())).expect("open");
    let input = ApproveInput {
        expires: "72h".into(),
        ..ApproveInput::default()
    };
    assert!(matches!(
        d.approve(&report, &report.items[1], &input),
        Err(DecideError::ReasonRequired { .. })
    ));
    let batch = [&report.items[0], &report.items[1]];
    assert!(matches!(
        d.approve_batch(&report, &batch, &input, &|_| None),
        Err(DecideError::NotBatchable { .. })
    ));
    assert_eq!(
        d.approve_batch(&report, &[&report.items[0]], &input, &|_| None)
            .expect("low batch")
            .len(),
        1
    );
    let plan = d
        .revert_plan(&[&report.items[1]], driftdeck::remediate::revert::Tool::Terraform)
        .expect("plan");
    let why = DecisionInput {
        reason: Some("close port".into()),
        ..DecisionInput::default()
    };
    let r = d.revert_record(
        &report,
        &[&report.items[1]],
        &plan,
        &why,
        &["wrong".into()],
        false,
    );
    assert!(matches!(r, Err(DecideError::ConfirmationRequired { .. })));
    let ok = d.revert_record(
        &report,
        &[&report.items[1]],
        &plan,
        &why,
        &["aws_security_group.web".into()],
        false,
    );
    assert_eq!(ok.expect("recorded").len(), 1);
}

#[test]
fn undo_withdraws_the_last_decision_with_a_compensating_entry() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut report = sample_report();
    let mut d = Decider::open(DeciderOptions::new(tmp.path())).expect("open");
    let input = ApproveInput {
        expires: "7d".into(),
        ..ApproveInput::default()
    };
    let approved = d.approve(&report, &report.items[0], &input).expect("approve");
    assert_eq!(
        d.last_decision(&report.items[0]).expect("last").map(|e| e.seq),
        Some(approved.seq)
    );
    let w = d
        .undo_last(&report, None, &DecisionInput::default())
        .expect("undo");
    assert_eq!(w.decision, DecisionKind::Withdraw);
    assert_eq!(w.params["withdraws"], json!(approved.seq));
    assert!(d.last_decision(&report.items[0]).expect("last").is_none());
    let all = Approvals::load(&tmp.path().join(".driftdeck/approvals.toml")).expect("load");
    assert!(all.approvals.is_empty());
    all.apply(&mut report, OffsetDateTime::now_utc());
    assert_eq!(report.items[0].status, Status::Open);
    assert!(matches!(
        d.undo_last(&report, None, &DecisionInput::default()),
        Err(DecideError::NothingToUndo(_))
    ));
    let v = verify(&tmp.path().join(".driftdeck/journal.jsonl")).expect("verify");
    assert_eq!((v.good, v.broken), (2, None));
}

// ----------------------------------------------------------------------------------- revert

fn fake_terraform(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let script = bin.join("terraform");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"$*\" >> \"$FAKE_TF_LOG\"\necho \"fake terraform $1\"\necho \"warning from $1\" >&2\n\
         case \"$*\" in *-detailed-exitcode*) exit \"${FAKE_TF_VERIFY_EXIT:-0}\";; esac\nexit \"${FAKE_TF_EXIT:-0}\"\n",
    )
    .expect("write script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    bin
}

#[test]
fn revert_prints_then_executes_with_a_stand_in_terraform() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = fake_terraform(tmp.path());
    let iac = tmp.path().join("iac");
    std::fs::create_dir_all(&iac).expect("mkdir");
    let log = tmp.path().join("tf.log");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let iac_s = iac.to_str().expect("utf8");
    let envs = [
        ("PATH", path.as_str()),
        ("FAKE_TF_LOG", log.to_str().expect("utf8")),
    ];

    let (code, out, _) = run(
        &["revert", DEMO_TF, "aws_kms_key.data", "--iac-dir", iac_s],
        &envs,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("terraform plan -input=false -target=aws_kms_key.data -out=driftdeck-revert.tfplan"),
        "{out}"
    );
    assert!(out.contains("terraform apply -input=false driftdeck-revert.tfplan"));
    assert!(out.contains("exceptional circumstances"));
    assert!(
        !log.exists() && !iac.join(".driftdeck").exists(),
        "nothing runs or is journaled without --execute"
    );

    // High severity: reason and typed confirmation.
    let (code, _, err) = run(
        &[
            "revert",
            DEMO_TF,
            "aws_kms_key.data",
            "--execute",
            "--reason",
            "SEC-12",
            "--iac-dir",
            iac_s,
        ],
        &envs,
    );
    assert_eq!(code, 1);
    assert!(err.contains("--confirm aws_kms_key.data"), "{err}");
    let ok = [
        "revert",
        DEMO_TF,
        "aws_kms_key.data",
        "--execute",
        "--reason",
        "SEC-12",
        "--confirm",
        "aws_kms_key.data",
        "--iac-dir",
        iac_s,
    ];
    let (code, out, err) = run(&ok, &envs);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("fake terraform apply")
            && out.contains("! warning from plan")
            && out.contains("revert converged"),
        "{out}"
    );
    let calls = std::fs::read_to_string(&log).expect("log");
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        vec![
            "plan -input=false -target=aws_kms_key.data -out=driftdeck-revert.tfplan",
            "apply -input=false driftdeck-revert.tfplan",
            "plan -input=false -detailed-exitcode -target=aws_kms_key.data",
        ]
    );
    let journal = iac.join(".driftdeck/journal.jsonl");
    let entries = Journal::read_all(&journal).expect("read");
    assert_eq!(
        entries.iter().map(|e| e.decision).collect::<Vec<_>>(),
        vec![DecisionKind::Revert, DecisionKind::RevertOutcome]
    );
    assert_eq!(entries[1].params["result"], json!("converged"));

    // Verify says changes remain: exit 3, journaled as not converged.
    let (code, out, _) = run(&ok, &[envs[0], envs[1], ("FAKE_TF_VERIFY_EXIT", "2")]);
    assert_eq!(code, 3, "{out}");
    // A failing apply stops before verify.
    std::fs::remove_file(&log).expect("rm");
    let (code, _, _) = run(&ok, &[envs[0], envs[1], ("FAKE_TF_EXIT", "1")]);
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&log).expect("log").lines().count(), 1);
    let entries = Journal::read_all(&journal).expect("read");
    let outcomes: Vec<&str> = entries
        .iter()
        .filter(|e| e.decision == DecisionKind::RevertOutcome)
        .filter_map(|e| e.params["result"].as_str())
        .collect();
    assert_eq!(outcomes, vec!["converged", "not-converged", "failed"]);
    assert!(verify(&journal).expect("verify").broken.is_none());
}

#[test]
fn read_only_mode_writes_and_runs_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_str().expect("utf8");
    let (code, _, err) = run(
        &[
            "approve",
            DEMO_TF,
            "aws_instance.web[1]",
            "--expires",
            "72h",
            "--read-only",
            "--iac-dir",
            dir,
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("read-only"), "{err}");
    let (code, _, err) = run(
        &[
            "revert",
            DEMO_TF,
            "aws_instance.web[1]",
            "--execute",
            "--read-only",
            "--iac-dir",
            dir,
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("read-only"), "{err}");
    assert!(
        std::fs::read_dir(tmp.path()).expect("ls").next().is_none(),
        "nothing was created"
    );
}

// ----------------------------------------------------------------------------------- export

#[test]
fn export_holds_every_decision_with_time_to_decision_and_no_secrets() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_str().expect("utf8");
    for (a, r) in [
        (
            "module.app[\"eu\"].aws_db_instance.main[0]",
            "password rotated during INC-4817",
        ),
        (
            "aws_lambda_function.ingest",
            "token rotated, memory for the backlog",
        ),
        ("aws_instance.web[1]", "debug tag"),
    ] {
        let (code, out, err) = run(
            &[
                "approve",
                DEMO_TF,
                a,
                "--reason",
                r,
                "--ticket",
                "INC-4817",
                "--expires",
                "2d",
                "--iac-dir",
                dir,
            ],
            &[],
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    let journal = std::fs::read_to_string(tmp.path().join(".driftdeck/journal.jsonl")).expect("journal");
    let approvals = std::fs::read_to_string(tmp.path().join(".driftdeck/approvals.toml")).expect("approvals");
    assert!(!journal.contains("DEMO-CANARY") && !approvals.contains("DEMO-CANARY"));
    for fmt in ["md", "json", "sarif", "csv"] {
        let (code, out, err) = run(&["export", "--format", fmt, "--iac-dir", dir], &[]);
        assert_eq!(code, 0, "{err}");
        assert!(!out.contains("DEMO-CANARY"), "{fmt} leaks a secret");
        assert!(out.contains("aws_lambda_function.ingest"), "{fmt}: {out}");
        assert!(out.contains("INC-4817"), "{fmt}");
    }
    let (_, json_out, _) = run(&["export", "--format", "json", "--iac-dir", dir], &[]);
    let v: Value = serde_json::from_str(&json_out).expect("json");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(3));
    let high = v["time_to_decision"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["severity"] == "high"))
        .expect("high");
    assert_eq!(high["decided"], json!(2));
    assert_eq!(high["target_hours"], json!(24.0));
    // Decided now, reported 2026-11-22 07:58:41: the time is measured from the report.
    assert!(high["worst_hours"].as_f64().is_some_and(|h| h > 0.0));
    let (_, sarif, _) = run(&["export", "--format", "sarif", "--iac-dir", dir], &[]);
    let s: Value = serde_json::from_str(&sarif).expect("sarif");
    assert_eq!(s["version"], json!("2.1.0"));
    assert_eq!(s["runs"][0]["results"].as_array().map(Vec::len), Some(3));
    let (_, csv, _) = run(&["export", "--format", "csv", "--iac-dir", dir], &[]);
    assert_eq!(csv.lines().count(), 4);
    // The library renders the same from entries.
    let entries = Journal::read_all(&tmp.path().join(".driftdeck/journal.jsonl")).expect("read");
    assert!(export(&entries, ExportFormat::Markdown).contains("## Time to decision"));
    let (code, out, _) = run(&["journal", "verify", "--iac-dir", dir], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("3 entries, chain intact"), "{out}");
}

#[test]
fn adopt_write_is_journaled_first_then_applied_to_tf_and_templates() {
    let tmp = tempfile::tempdir().expect("tmp");
    files::copy_dir(Path::new("assets/demo/iac"), tmp.path());
    let dir = tmp.path().to_str().expect("utf8");
    // High item: a reason is required to write.
    let (code, _, err) = run(
        &[
            "adopt",
            DEMO_TF,
            "aws_lambda_function.ingest",
            "--write",
            "--iac-dir",
            dir,
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("reason"), "{err}");
    assert!(!tmp.path().join(".driftdeck").exists());
    let (code, out, err) = run(
        &[
            "adopt",
            DEMO_TF,
            "aws_lambda_function.ingest",
            "--write",
            "--reason",
            "keep 1 GiB",
            "--iac-dir",
            dir,
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let main = std::fs::read_to_string(tmp.path().join("main.tf")).expect("read");
    assert!(main.contains("memory_size = 1024") && main.contains("API_TOKEN   = var.ingest_api_token"));
    // CloudFormation: the low tags item, in the YAML template.
    let (code, out, err) = run(
        &[
            "adopt",
            "assets/demo/reports/cloudformation-drift.json",
            "payments-prod/SettlementQueue",
            "--write",
            "--iac-dir",
            dir,
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let yaml = std::fs::read_to_string(tmp.path().join("cloudformation/payments-prod.yaml")).expect("read");
    let orig = std::fs::read_to_string("assets/demo/iac/cloudformation/payments-prod.yaml").expect("read");
    assert!(
        yaml.contains("        - Key: env\n          Value: prod\n        - Key: owner\n"),
        "{yaml}"
    );
    assert_eq!(yaml.lines().count(), orig.lines().count() + 4);
    let entries = Journal::read_all(&tmp.path().join(".driftdeck/journal.jsonl")).expect("journal");
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.decision == DecisionKind::Adopt));
    assert_eq!(entries[0].params["files"], json!(["main.tf"]));
    assert!(
        entries[0].params["diff_sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );
}

#[test]
fn revert_plans_a_drift_reverting_change_set_for_cloudformation_and_refuses_unmanaged() {
    let (code, out, err) = run(
        &[
            "revert",
            "assets/demo/reports/cloudformation-drift.json",
            "payments-prod/SettlementQueue",
            "--iac-dir",
            ".",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    // The region comes from the StackId ARN; every parameter keeps its value (the keys are
    // listed first, since the drift report does not have them).
    assert!(
        out.contains(
            "aws cloudformation describe-stacks --stack-name payments-prod --region eu-west-1 --query 'Stacks[0].Parameters[].ParameterKey' --output json"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "aws cloudformation create-change-set --stack-name payments-prod --region eu-west-1 --change-set-name driftdeck-revert-payments-prod --use-previous-template --deployment-mode REVERT_DRIFT --parameters 'ParameterKey=<each key describe-stacks printed>,UsePreviousValue=true'"
        ),
        "{out}"
    );
    assert!(
        out.contains("aws cloudformation execute-change-set --stack-name payments-prod --region eu-west-1")
    );
    let (code, _, err) = run(
        &[
            "revert",
            "assets/demo/reports/driftctl-scan.json",
            "aws_iam_user.backdoor-admin",
            "--iac-dir",
            ".",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("not managed by any IaC"), "{err}");
    // Several items at once only when all are low.
    let (code, _, err) = run(
        &[
            "revert",
            DEMO_TF,
            "aws_instance.web[1]",
            "aws_kms_key.data",
            "--execute",
            "--reason",
            "x",
            "--iac-dir",
            ".",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(err.contains("only low items can be decided in a batch"), "{err}");
}

#[test]
fn time_to_decision_median_and_worst_per_severity() {
    let entry = |seq: u64, id: &str, sev: &str, decided: &str, event: Option<&str>| {
        let attribution = event.map(|t| {
            json!({"actor": "bob", "event_name": "PutRolePolicy", "event_id": format!("ev-{id}"),
                   "event_time": t, "tool": "aws-cli", "out_of_band": true})
        });
        serde_json::from_value::<driftdeck::decide::JournalEntry>(json!({
            "seq": seq, "time": decided,
            "actor": {"name": "jane", "source": "flag"},
            "item": {"id": id, "address": format!("aws_x.{id}"), "resource_type": "aws_x",
                     "kind": "modified", "severity": sev, "controls": ["CIS 1.2"], "why": ["w"]},
            "report_sha256": "00", "decision": "approve", "params": {"expires": "2026-12-01T00:00:00Z"},
            "reason": "r", "evidence": {"changes": [], "report_time": "2026-11-22T00:00:00Z",
                                        "attribution": attribution},
            "prev_hash": "", "hash": ""
        }))
        .expect("entry")
    };
    let entries = vec![
        entry(
            1,
            "a",
            "high",
            "2026-11-20T02:00:00Z",
            Some("2026-11-20T00:00:00Z"),
        ),
        entry(
            2,
            "b",
            "high",
            "2026-11-20T10:00:00Z",
            Some("2026-11-20T00:00:00Z"),
        ),
        entry(
            3,
            "c",
            "critical",
            "2026-11-21T06:00:00Z",
            Some("2026-11-20T00:00:00Z"),
        ),
        entry(
            4,
            "d",
            "high",
            "2026-11-21T06:00:00Z",
            Some("2026-11-20T00:00:00Z"),
        ),
        // No attribution: measured from the report time.
        entry(5, "e", "low", "2026-11-25T00:00:00Z", None),
    ];
    let ev = driftdeck::decide::evidence::build(&entries);
    let by = |s: Severity| {
        ev.time_to_decision
            .iter()
            .find(|x| x.severity == s)
            .expect("severity")
    };
    let high = by(Severity::High);
    assert_eq!(
        (high.decided, high.median_hours, high.worst_hours),
        (3, Some(10.0), Some(30.0))
    );
    assert_eq!((high.target_hours, high.within_target), (24.0, 2));
    let crit = by(Severity::Critical);
    assert_eq!((crit.median_hours, crit.within_target), (Some(30.0), 0));
    let low = by(Severity::Low);
    assert_eq!(
        (low.median_hours, low.target_hours, low.within_target),
        (Some(72.0), 168.0, 1)
    );
    assert_eq!(by(Severity::Medium).decided, 0);
    let md = export(&entries, ExportFormat::Markdown);
    assert!(
        md.contains("| high | 3 | 10.0 h | 30.0 h | < 24 h | 2/3 |"),
        "{md}"
    );
    assert!(md.contains("changed by: bob (PutRolePolicy, event ev-a"), "{md}");
}

#[test]
fn every_demo_item_adopts_or_explains_without_leaking_a_secret() {
    let reports = [
        "assets/demo/reports/terraform-plan.json",
        "assets/demo/reports/driftctl-scan.json",
        "assets/demo/reports/cloudformation-drift.json",
    ];
    let mut with_diff = 0;
    for r in reports {
        let (_, out, _) = run(&["list", "--format", "json", r], &[]);
        let v: Value = serde_json::from_str(&out).expect("list json");
        for it in v["items"].as_array().expect("items") {
            let addr = it["address"].as_str().expect("address");
            let (code, out, err) = run(&["adopt", r, addr, "--iac-dir", "assets/demo/iac"], &[]);
            assert!(
                !out.contains("DEMO-CANARY") && !err.contains("DEMO-CANARY"),
                "{addr} leaks"
            );
            assert!(
                code == 0 || (code == 1 && err.starts_with("driftdeck: error: ")),
                "{addr}: {code} {err}"
            );
            if out.contains("\n+++ b/") || out.starts_with("--- ") {
                with_diff += 1;
            }
            let (_, out, err) = run(&["revert", r, addr, "--iac-dir", "assets/demo/iac"], &[]);
            assert!(
                !out.contains("DEMO-CANARY") && !err.contains("DEMO-CANARY"),
                "{addr} leaks"
            );
        }
    }
    // T1, T3, T5, T6, T9, T10, T11, T12, D1–D4 (import files), C1, C2, C3.
    assert!(with_diff >= 12, "{with_diff} adoption diffs");
    assert!(
        std::process::Command::new("git")
            .args(["status", "--porcelain", "assets/demo"])
            .output()
            .map_or(true, |o| o.stdout.is_empty())
    );
}

#[test]
fn revert_that_cannot_start_is_journaled_as_failed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("empty-bin");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let dir = tmp.path().to_str().expect("utf8");
    let (code, _, err) = run(
        &[
            "revert",
            DEMO_TF,
            "aws_instance.web[0]",
            "--execute",
            "--iac-dir",
            dir,
        ],
        &[("PATH", empty.to_str().expect("utf8"))],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot run terraform") && err.contains("is it installed"),
        "{err}"
    );
    let entries = Journal::read_all(&tmp.path().join(".driftdeck/journal.jsonl")).expect("journal");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].decision, DecisionKind::RevertOutcome);
    assert_eq!(entries[1].params["result"], json!("failed"));
    assert!(
        entries[1].params["error"]
            .as_str()
            .is_some_and(|e| e.contains("terraform"))
    );
}

#[test]
fn cli_decisions_carry_the_cloudtrail_attribution_into_the_journal_and_the_export() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_str().expect("utf8");
    let (code, out, err) = run(
        &[
            "approve",
            DEMO_TF,
            "aws_security_group.web",
            "--reason",
            "temporary SSH for INC-4817",
            "--expires",
            "1d",
            "--iac-dir",
            dir,
            "--cloudtrail-logs",
            "assets/demo/cloudtrail",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let journal = std::fs::read_to_string(tmp.path().join(".driftdeck/journal.jsonl")).expect("journal");
    let entry: Value = serde_json::from_str(journal.lines().next().expect("an entry")).expect("json");
    let a = &entry["evidence"]["attribution"];
    assert_eq!(a["actor"], "jane.doe@corp.example", "{entry}");
    assert_eq!(a["event_name"], "AuthorizeSecurityGroupIngress");
    assert_eq!(a["tool"], "console");
    assert_eq!(a["out_of_band"], true);
    let (code, out, err) = run(&["export", "--format", "md", "--iac-dir", dir], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("jane.doe@corp.example") && out.contains("AuthorizeSecurityGroupIngress"),
        "{out}"
    );
    // Without a source the decision is still recorded, just without attribution.
    let (code, out, err) = run(
        &[
            "approve",
            DEMO_TF,
            "aws_instance.web[1]",
            "--expires",
            "1d",
            "--iac-dir",
            dir,
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let journal = std::fs::read_to_string(tmp.path().join(".driftdeck/journal.jsonl")).expect("journal");
    let second: Value = serde_json::from_str(journal.lines().nth(1).expect("second")).expect("json");
    assert!(second["evidence"]["attribution"].is_null(), "{second}");
}
