//! CloudFormation and driftctl loaders on the shapes the real tools emit (issue 9).

#[path = "support/ingest.rs"]
mod ingest_support;

use driftdeck::model::Format;
use ingest_support::{driftdeck_in, fixture, load};
use serde_json::json;

#[test]
fn cfn_single_resource_shape_reports_the_really_removed_rule() {
    let r = load("cloudformation/single-resource-drift.json");
    assert_eq!(r.reports[0].format, Format::Cloudformation);
    assert!(
        r.reports[0].incomplete.is_empty(),
        "{:?}",
        r.reports[0].incomplete
    );
    let sg = r
        .items
        .iter()
        .find(|i| i.address == "web/WebSg")
        .expect("WebSg listed");
    // PropertyDifferences claims index 0's CidrIp changed and index 1 was removed; indexing
    // ActualProperties would show the 22/tcp rule. Really, only the 443 rule is gone.
    assert_eq!(sg.changed_attributes(), vec!["SecurityGroupIngress[0]"]);
    let c = &sg.changes[0];
    assert_eq!(
        c.desired.as_ref().and_then(|v| v.get("FromPort")),
        Some(&json!(443))
    );
    assert_eq!(c.live, None);
    assert_eq!(sg.region.as_deref(), Some("us-east-2"));
}

#[test]
fn cfn_page_with_next_token_and_not_checked_is_incomplete() {
    let r = load("cloudformation/page-with-next-token.json");
    let why = &r.reports[0].incomplete;
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(
        why[0].contains("NextToken") && why[0].contains("--max-items"),
        "{why:?}"
    );
    assert!(why[1].contains("NOT_CHECKED") && why[1].contains("Fn"), "{why:?}");
    assert_eq!(r.not_drift.in_sync, 1);
}

#[test]
fn driftctl_access_denied_scan_is_incomplete_per_alert_kind() {
    let r = load("driftctl/access-denied.json");
    let meta = &r.reports[0];
    assert_eq!(
        meta.tool_version.as_deref(),
        Some("driftctl (aws provider 3.19.0)")
    );
    assert_eq!(meta.incomplete.len(), 1, "{:?}", meta.incomplete);
    let why = &meta.incomplete[0];
    for ty in ["aws_s3_bucket", "aws_iam_user", "aws_ecr_repository"] {
        assert!(why.contains(ty), "{why}");
    }
    assert!(why.contains("denied"), "{why}");
    assert_eq!(meta.warnings.len(), 3);
}

#[test]
fn driftctl_instances_sharing_an_address_get_their_id_appended() {
    let r = load("driftctl/count-instances.json");
    let mut addresses: Vec<&str> = r.items.iter().map(|i| i.address.as_str()).collect();
    addresses.sort_unstable();
    assert_eq!(
        addresses,
        vec![
            // One item, but its in-sync siblings (alice, carol) share the block's address.
            "aws_iam_user.mallory",
            "aws_iam_user.users[id=bob]",
            // Held by one resource: unchanged.
            "aws_s3_bucket.audit",
            "module.iam.aws_iam_group_policy_attachment.admins[id=ops-arn:aws:iam::aws:policy/AdministratorAccess]",
            "module.iam.aws_iam_group_policy_attachment.admins[id=ops-arn:aws:iam::aws:policy/ReadOnlyAccess]",
        ]
    );
    // Each can be named; ids stay distinct.
    for a in &addresses {
        assert_eq!(r.find(a).map(|i| i.address.as_str()), Some(*a));
    }
    let mut ids: Vec<&str> = r.items.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), r.items.len());
    assert_eq!(r.not_drift.in_sync, 3);
}

#[test]
fn commands_name_a_driftctl_instance_by_its_id() {
    let scan = fixture("driftctl/count-instances.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let driftdeck = |args: &[&str]| driftdeck_in(dir.path(), args);
    let attachment =
        "module.iam.aws_iam_group_policy_attachment.admins[id=ops-arn:aws:iam::aws:policy/ReadOnlyAccess]";
    let (code, out, err) = driftdeck(&["revert", &scan, attachment]);
    assert_eq!(code, 0, "{out}{err}");
    // Terraform cannot target an instance by a cloud id: the whole block, said plainly.
    assert!(
        out.contains("-target=module.iam.aws_iam_group_policy_attachment.admins -out="),
        "{out}"
    );
    assert!(out.contains("every instance"), "{out}");
    let (code, out, err) = driftdeck(&[
        "approve",
        &scan,
        "aws_iam_user.users[id=bob]",
        "--reason",
        "offboarded, removal tracked in CHG-8812",
        "--expires",
        "72h",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = driftdeck(&["list", &scan, "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let status = |address: &str| {
        doc["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["address"] == address))
            .map(|i| i["status"].clone())
    };
    assert_eq!(status("aws_iam_user.users[id=bob]"), Some(json!("approved")));
    assert_eq!(status("aws_s3_bucket.audit"), Some(json!("open")));
    // The bare block address is not an item; the error lists the instances.
    let (code, _, err) = driftdeck(&["revert", &scan, "aws_iam_user.users"]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean aws_iam_user.users[id=bob]"), "{err}");
}

#[test]
fn a_secret_shaped_instance_id_is_never_put_in_an_address() {
    let scan = r#"{"summary":{"total_resources":3,"total_missing":2,"total_unmanaged":1},"managed":[],
      "unmanaged":[{"id":"https://ops:CANARY-hook-pass-6c6c@ci.example.com/c","type":"aws_codebuild_webhook"}],
      "missing":[
        {"id":"https://hooks:CANARY-hook-pass-4a4a@ci.example.com/a","type":"aws_codebuild_webhook","source":{"source":"tfstate://terraform.tfstate","namespace":"","internal_name":"hooks"}},
        {"id":"https://hooks:CANARY-hook-pass-5b5b@ci.example.com/b","type":"aws_codebuild_webhook","source":{"source":"tfstate://terraform.tfstate","namespace":"","internal_name":"hooks"}}],
      "coverage":0,"alerts":null,"provider_name":"aws","provider_version":"5.70.0"}"#;
    let taxonomy = ingest_support::taxonomy();
    let input = driftdeck::ingest::Input {
        path: "scan.json".to_string(),
        bytes: scan.as_bytes().to_vec(),
    };
    let r = driftdeck::ingest::load_inputs(&[input], &taxonomy).expect("loads");
    let deleted: Vec<&driftdeck::model::DriftItem> =
        r.items.iter().filter(|i| i.address.contains(".hooks")).collect();
    assert_eq!(deleted.len(), 2);
    for i in &deleted {
        assert_eq!(
            i.address,
            format!("aws_codebuild_webhook.hooks[id=masked-{}]", i.id)
        );
    }
    assert_ne!(deleted[0].address, deleted[1].address);
    // Without a source the id would be the address: a stand-in is used instead.
    let unmanaged = r
        .items
        .iter()
        .find(|i| i.kind == driftdeck::model::Kind::Unmanaged)
        .expect("unmanaged webhook");
    assert!(
        unmanaged.address.starts_with("aws_codebuild_webhook.masked-"),
        "{}",
        unmanaged.address
    );
    // Nowhere in the model: not in an address, the identity or the live attributes.
    assert!(!format!("{r:?}").contains("CANARY"), "{r:?}");
}
