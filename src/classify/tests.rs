use serde_json::json;

use super::*;
use crate::model::{AttrPath, Change, DriftItem, Format};

fn item(ty: &str, kind: Kind, changes: Vec<Change>) -> DriftItem {
    let mut it = DriftItem::new(
        "x".into(),
        format!("{ty}.t"),
        ty.into(),
        "t.json",
        Format::TerraformPlan,
        kind,
    );
    it.changes = changes;
    it
}

fn ch(path: &[&str], d: serde_json::Value, l: serde_json::Value) -> Change {
    let opt = |v: serde_json::Value| if v.is_null() { None } else { Some(v) };
    Change::plain(AttrPath::keys(path.iter().copied()), opt(d), opt(l))
}

fn classified(mut it: DriftItem) -> DriftItem {
    Taxonomy::defaults().expect("defaults compile").classify(&mut it);
    it
}

#[test]
fn world_open_ingress_is_critical_with_network_controls() {
    let it = classified(item(
        "aws_security_group",
        Kind::Modified,
        vec![ch(
            &["ingress"],
            json!([{"cidr_blocks": ["10.0.0.0/8"], "from_port": 443}]),
            json!([{"cidr_blocks": ["10.0.0.0/8"], "from_port": 443}, {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22}]),
        )],
    ));
    assert_eq!(it.severity, Severity::Critical);
    assert!(
        it.controls.contains(&"NIST CM-7".to_string()),
        "{:?}",
        it.controls
    );
    assert!(it.controls.contains(&"SOC 2 CC7.1".to_string()));
    assert!(
        it.why
            .iter()
            .any(|w| w.contains("0.0.0.0/0") && w.contains("ingress")),
        "{:?}",
        it.why
    );
}

#[test]
fn tags_only_is_low_and_tags_plus_type_is_not() {
    let tags = classified(item(
        "aws_instance",
        Kind::Modified,
        vec![ch(&["tags", "debug"], json!(null), json!("true"))],
    ));
    assert_eq!(tags.severity, Severity::Low);
    assert!(tags.why[0].contains("tags-only"));
    let mixed = classified(item(
        "aws_instance",
        Kind::Modified,
        vec![
            ch(&["tags", "debug"], json!(null), json!("true")),
            ch(&["instance_type"], json!("t3.medium"), json!("t3.xlarge")),
        ],
    ));
    assert_eq!(mixed.severity, Severity::Medium);
}

#[test]
fn widened_policy_is_critical_and_deleted_audit_log_is_high() {
    let pol = classified(item(
        "aws_iam_role_policy",
        Kind::Modified,
        vec![ch(
            &["policy"],
            json!(r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#),
            json!(
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
            ),
        )],
    ));
    assert_eq!(pol.severity, Severity::Critical);
    let log = classified(item("aws_cloudwatch_log_group", Kind::Deleted, vec![]));
    assert_eq!(log.severity, Severity::High);
    assert!(log.controls.iter().any(|c| c.starts_with("NIST AU")));
}

#[test]
fn unmanaged_iam_user_is_high_and_unmatched_is_default() {
    let u = classified(item("aws_iam_user", Kind::Unmanaged, vec![]));
    assert_eq!(u.severity, Severity::High);
    let other = classified(item(
        "aws_sqs_queue",
        Kind::Modified,
        vec![ch(&["visibility_timeout_seconds"], json!(30), json!(60))],
    ));
    assert_eq!(other.severity, Severity::Medium);
    assert!(other.why[0].contains("no rule matched"));
}

#[test]
fn secret_change_is_high() {
    let mut c = ch(
        &["password"],
        json!(crate::model::MASK),
        json!(crate::model::MASK),
    );
    c.sensitive = true;
    let it = classified(item("aws_db_instance", Kind::Modified, vec![c]));
    assert_eq!(it.severity, Severity::High);
    assert!(
        it.why.iter().any(|w| w == "secret attribute password changed"),
        "{:?}",
        it.why
    );
}

#[test]
fn user_file_overrides_replaces_disables_and_extends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("t.toml");
    std::fs::write(
        &p,
        r#"
disable = ["compute-scaled"]
[defaults]
modified = "high"
[secrets]
keys = ["*pin*"]
[[rules]]
id = "tags-only"
severity = "medium"
attributes = ["tags", "tags.*"]
scope = "all"
why = "tags matter here"
"#,
    )
    .expect("write");
    let t = Taxonomy::with_overrides(&[p]).expect("loads");
    let mut scaled = item(
        "aws_instance",
        Kind::Modified,
        vec![ch(&["instance_type"], json!("a"), json!("b"))],
    );
    t.classify(&mut scaled);
    assert_eq!(scaled.severity, Severity::High, "rule disabled → new default");
    let mut tags = item(
        "aws_instance",
        Kind::Modified,
        vec![ch(&["tags", "x"], json!(null), json!("y"))],
    );
    t.classify(&mut tags);
    assert_eq!(tags.severity, Severity::Medium);
    assert!(t.secrets().is_secret_key("door_pin"));
    assert!(t.secrets().is_secret_key("master_password"), "defaults kept");
}

#[test]
fn bad_user_file_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("broken.toml");
    std::fs::write(&p, "[[rules]]\nid = 3\n").expect("write");
    let e = Taxonomy::with_overrides(&[p]).expect_err("must fail");
    assert!(e.to_string().contains("broken.toml"), "{e}");
    let p2 = dir.path().join("glob.toml");
    std::fs::write(&p2, "[[rules]]\nid='x'\nseverity='low'\ntypes=['[']\nwhy='w'\n").expect("write");
    let e = Taxonomy::with_overrides(&[p2]).expect_err("bad glob");
    assert!(
        e.to_string().contains("glob.toml") && e.to_string().contains("rule x"),
        "{e}"
    );
}

#[test]
fn secret_names_and_exclusions() {
    let t = Taxonomy::defaults().expect("defaults");
    let s = t.secrets();
    for yes in [
        "password",
        "master_password",
        "API_TOKEN",
        "client_secret",
        "private_key",
        "MasterUserPassword",
    ] {
        assert!(s.is_secret_key(yes), "{yes}");
    }
    for no in [
        "secret_arn",
        "kms_key_id",
        "password_length",
        "token_ttl",
        "instance_type",
        "tags",
        "enable_key_rotation",
    ] {
        assert!(!s.is_secret_key(no), "{no}");
    }
    assert!(s.is_secret_value("-----BEGIN RSA PRIVATE KEY-----\nMII"));
}
