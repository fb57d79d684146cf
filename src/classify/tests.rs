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

/// Rules whose types are assets (data stores, clusters, instances, grants) rather than controls:
/// deleting one removes what the rule protects, so it cannot weaken anything. Each with why.
const ASSET_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "network-public-endpoint",
        "*",
        "databases, clusters and instances are assets: deleting one removes the exposure",
    ),
    (
        "network-public-cidrs",
        "*",
        "an EKS cluster is an asset: deleting it removes the endpoint",
    ),
    (
        "iam-admin-granted",
        "*",
        "deleting a policy attachment removes a grant: privileges shrink",
    ),
    (
        "storage-acl-public",
        "aws_s3_bucket*",
        "a bucket is data: deleting it removes the data with its ACL",
    ),
    (
        "storage-acl-public",
        "AWS::S3::Bucket",
        "a bucket is data: deleting it removes the data with its ACL",
    ),
    (
        "storage-public-access-block-off",
        "AWS::S3::Bucket",
        "a bucket is data: deleting it removes what was exposed",
    ),
    (
        "storage-public-access-block-removed",
        "AWS::S3::Bucket",
        "a bucket is data: deleting it removes what was exposed",
    ),
];

#[test]
fn deleting_a_control_never_rates_below_weakening_it() {
    let tax = Taxonomy::defaults().expect("defaults compile");
    let mut checked = 0;
    let mut inversions = Vec::new();
    for rule in &tax.rules {
        let spec = &rule.spec;
        // A weakening rule fires on modified items and names the types it is about.
        let modifies = spec.kinds.is_empty() || spec.kinds.contains(&Kind::Modified);
        if !modifies || spec.types.is_empty() {
            continue;
        }
        for pattern in &spec.types {
            let excepted = ASSET_EXCEPTIONS
                .iter()
                .any(|(id, ty, _)| *id == spec.id && (*ty == "*" || ty == pattern));
            if excepted {
                continue;
            }
            // A concrete type the glob matches: `aws_config_*` → `aws_config_`.
            let ty = pattern.replace('*', "");
            let deleted = classified(item(&ty, Kind::Deleted, Vec::new()));
            if deleted.severity < spec.severity {
                inversions.push(format!(
                    "deleting {ty} rates {} but rule {} rates weakening it {}",
                    deleted.severity, spec.id, spec.severity
                ));
            }
            checked += 1;
        }
    }
    assert!(inversions.is_empty(), "inversions:\n{}", inversions.join("\n"));
    assert!(
        checked > 50,
        "the invariant ran over the taxonomy ({checked} types)"
    );
}

#[test]
fn audit_trail_destruction_is_critical() {
    for ty in [
        "aws_cloudtrail",
        "AWS::CloudTrail::Trail",
        "aws_guardduty_detector",
        "aws_config_configuration_recorder",
    ] {
        assert_eq!(
            classified(item(ty, Kind::Deleted, Vec::new())).severity,
            Severity::Critical,
            "{ty}"
        );
    }
    let stopped = classified(item(
        "aws_cloudtrail",
        Kind::Modified,
        vec![ch(&["enable_logging"], json!(true), json!(false))],
    ));
    assert_eq!(stopped.severity, Severity::Critical);
    let recorder_off = classified(item(
        "aws_config_configuration_recorder_status",
        Kind::Modified,
        vec![ch(&["is_enabled"], json!(true), json!(false))],
    ));
    assert_eq!(recorder_off.severity, Severity::Critical);
    let trail_bucket = classified(item(
        "aws_s3_bucket",
        Kind::Deleted,
        vec![ch(
            &["bucket"],
            json!("acme-org-cloudtrail-logs"),
            serde_json::Value::Null,
        )],
    ));
    assert_eq!(
        trail_bucket.severity,
        Severity::Critical,
        "{:?}",
        trail_bucket.why
    );
    let log_group = classified(item(
        "AWS::Logs::LogGroup",
        Kind::Deleted,
        vec![ch(
            &["LogGroupName"],
            json!("/payments/audit"),
            serde_json::Value::Null,
        )],
    ));
    assert_eq!(log_group.severity, Severity::Critical);
    let other_bucket = classified(item(
        "aws_s3_bucket",
        Kind::Deleted,
        vec![ch(&["bucket"], json!("acme-web-assets"), serde_json::Value::Null)],
    ));
    assert_eq!(
        other_bucket.severity,
        Severity::High,
        "an ordinary bucket stays at the deleted default"
    );
}

#[test]
fn malformed_entries_rate_at_their_types_highest_rule() {
    let well_formed = classified(item(
        "aws_security_group",
        Kind::Modified,
        vec![ch(
            &["ingress"],
            json!([]),
            json!([{"cidr_blocks": ["0.0.0.0/0"]}]),
        )],
    ));
    let mut bad = item("aws_security_group", Kind::Modified, Vec::new());
    bad.malformed = Some("change.after is a string, not an object".into());
    let bad = classified(bad);
    assert!(bad.severity >= well_formed.severity, "{:?}", bad.why);
    assert_eq!(bad.severity, Severity::Critical);
    assert!(
        bad.why[0].contains("malformed") && bad.why[0].contains("not an object"),
        "{:?}",
        bad.why
    );
    let mut unknown = item("aws_some_new_thing", Kind::Modified, Vec::new());
    unknown.malformed = Some("no actions".into());
    assert_eq!(classified(unknown).severity, Severity::High);
}

#[test]
fn noise_changes_do_not_count_and_noise_only_items_are_low() {
    let mut mixed = item(
        "aws_kms_key",
        Kind::Modified,
        vec![
            ch(&["enable_key_rotation"], json!(true), json!(false)),
            ch(&["etag"], json!("a"), json!("b")),
        ],
    );
    mixed.changes[1].noise = Some("read back".into());
    let mixed = classified(mixed);
    assert_eq!(mixed.severity, Severity::High);
    assert_eq!(mixed.changes.len(), 2, "noise changes are kept, not counted");
    let mut only = item(
        "aws_db_instance",
        Kind::Modified,
        vec![ch(&["status"], json!("a"), json!("b"))],
    );
    only.changes[0].noise = Some("status read back".into());
    let only = classified(only);
    assert_eq!(only.severity, Severity::Low);
    assert!(only.why[0].contains("status read back"));
}

proptest::proptest! {
    /// Filling a placeholder is `str::replace`: every occurrence, left to right, none
    /// overlapping, whatever the text around it (repeated braces, a placeholder's own prefix, a
    /// replacement that holds the placeholder, any characters).
    #[test]
    fn a_placeholder_is_filled_as_str_replace_fills_it(
        text in "[{}a-z\u{e9}]{0,24}",
        placeholder in proptest::sample::select(vec!["{attr}", "{a", "{{", "{", "{value}"]),
        with in "[{}a-z\u{e9}]{0,6}",
    ) {
        let text = text.replace('q', "{attr}");
        proptest::prop_assert_eq!(
            fill_placeholder(text.clone(), placeholder, &with),
            text.replace(placeholder, &with)
        );
    }
}

/// A type's rules are matched against attribute keys as bits by their position in the type's
/// rule list, 64 to a word: with the last rule at bit 62, 63, in the next word and further, it
/// fires as it should through one pass over many items (the answers are remembered per list and
/// key), and every item is rated as `classify` alone rates it.
#[test]
fn rules_fire_alike_by_bits_and_one_by_one() {
    use std::fmt::Write as _;
    let taxonomy = |fillers: usize| {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("t.toml");
        let mut text = String::new();
        for n in 0..fillers {
            let _ = write!(
                text,
                "[[rules]]\nid = \"filler-{n}\"\nseverity = \"low\"\ntypes = [\"aws_widget\"]\nattributes = [\"knob_{n}\"]\nwhy = \"filler\"\n\n"
            );
        }
        text.push_str(
            "[[rules]]\nid = \"the-one\"\nseverity = \"critical\"\ntypes = [\"aws_widget\"]\nattributes = [\"dial\"]\nwhy = \"dial {value}\"\n",
        );
        std::fs::write(&p, text).expect("write");
        Taxonomy::with_overrides(&[p]).expect("loads")
    };
    // The default rules that apply to every type come first in the list.
    let shared = taxonomy(0).rules_for("aws_widget").len() - 1;
    for len in [shared + 2, 63, 64, 65, 66, 80] {
        let t = taxonomy(len - shared - 1);
        assert_eq!(t.rules_for("aws_widget").len(), len);
        let make = |attr: &str| {
            item(
                "aws_widget",
                Kind::Modified,
                vec![ch(&[attr], json!("a"), json!("b"))],
            )
        };
        let attr = |n: usize| if n % 2 == 0 { "dial" } else { "knob_0" };
        let mut items: Vec<DriftItem> = (0..600).map(|n| make(attr(n))).collect();
        t.classify_items(&mut items);
        for (n, it) in items.iter().enumerate() {
            let mut alone = make(attr(n));
            t.classify(&mut alone);
            assert_eq!(
                (it.severity, &it.why),
                (alone.severity, &alone.why),
                "{len} rules, item {n}"
            );
        }
        assert_eq!(items[0].severity, Severity::Critical, "{len} rules");
        assert!(items[0].why.iter().any(|w| w.starts_with("dial")), "{len} rules");
        assert!(items[1].why.iter().any(|w| w == "filler"), "{len} rules");
    }
}
