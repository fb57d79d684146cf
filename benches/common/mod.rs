//! Generators for benchmark inputs: realistic Terraform plans of any size, written straight to
//! bytes (no intermediate `Value`), so measuring memory is not distorted by the generator.

#![allow(dead_code)]

use std::fmt::Write as _;

/// One resource's attribute object; `variant` changes a few attributes (the drift).
fn instance(i: usize, variant: bool) -> String {
    let itype = if variant { "t3.xlarge" } else { "t3.medium" };
    let cidr = if variant && i % 7 == 0 {
        "0.0.0.0/0"
    } else {
        "10.0.0.0/8"
    };
    let debug = if variant { r#","debug":"true""# } else { "" };
    let mut s = String::with_capacity(1800);
    let _ = write!(
        s,
        r#"{{"ami":"ami-0c55b159cbfafe1f0","arn":"arn:aws:ec2:eu-west-1:111122223333:instance/i-{i:017x}","associate_public_ip_address":false,"availability_zone":"eu-west-1a","cpu_core_count":2,"cpu_threads_per_core":2,"disable_api_termination":false,"ebs_optimized":true,"get_password_data":false,"iam_instance_profile":"web-profile","id":"i-{i:017x}","instance_state":"running","instance_type":"{itype}","ipv6_address_count":0,"key_name":"ops","monitoring":true,"password_data":"pw-{i}","primary_network_interface_id":"eni-{i:017x}","private_dns":"ip-10-0-{a}-{b}.eu-west-1.compute.internal","private_ip":"10.0.{a}.{b}","root_block_device":[{{"delete_on_termination":true,"device_name":"/dev/xvda","encrypted":true,"iops":3000,"kms_key_id":"arn:aws:kms:eu-west-1:111122223333:key/k","throughput":125,"volume_id":"vol-{i:017x}","volume_size":50,"volume_type":"gp3"}}],"metadata_options":[{{"http_endpoint":"enabled","http_put_response_hop_limit":1,"http_tokens":"required"}}],"ingress":[{{"cidr_blocks":["{cidr}"],"from_port":22,"protocol":"tcp","to_port":22}},{{"cidr_blocks":["10.1.0.0/16"],"from_port":443,"protocol":"tcp","to_port":443}}],"subnet_id":"subnet-0a1b2c3d","tags":{{"Name":"web-{i}","team":"platform"{debug}}},"tags_all":{{"Name":"web-{i}","team":"platform","env":"prod"{debug}}},"tenancy":"default","user_data":"IyEvYmluL2Jhc2gKZWNobyBoZWxsbw==","vpc_security_group_ids":["sg-0a","sg-0b","sg-0c"]}}"#,
        a = i / 250 % 250,
        b = i % 250,
    );
    s
}

/// A one-line Terraform plan (`format_version` 1.2) with `n` drifted resources across modules
/// and instance keys, with matching `resource_changes`, `prior_state` and `configuration`.
pub fn terraform_plan(n: usize) -> Vec<u8> {
    let mut out = String::with_capacity(n * 6000);
    out.push_str(r#"{"format_version":"1.2","terraform_version":"1.9.8","timestamp":"2026-11-22T07:58:41Z","variables":{"db_password":{"value":"bench-secret"}},"resource_drift":["#);
    let address = |i: usize| {
        if i % 3 == 0 {
            (
                format!(r#"module.app[\"r{}\"].aws_instance.web[{}]"#, i % 10, i),
                Some(format!(r#"module.app[\"r{}\"]"#, i % 10)),
            )
        } else {
            (format!("aws_instance.web[{i}]"), None)
        }
    };
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let (addr, module) = address(i);
        let module = module
            .map(|m| format!(r#""module_address":"{m}","#))
            .unwrap_or_default();
        let _ = write!(
            out,
            r#"{{"address":"{addr}",{module}"mode":"managed","type":"aws_instance","name":"web","index":{i},"provider_name":"registry.terraform.io/hashicorp/aws","change":{{"actions":["update"],"before":{},"after":{},"after_unknown":{{}},"before_sensitive":{{"password_data":true,"root_block_device":[{{}}],"tags":{{}}}},"after_sensitive":{{"password_data":true,"root_block_device":[{{}}],"tags":{{}}}}}}}}"#,
            instance(i, false),
            instance(i, true)
        );
    }
    out.push_str(r#"],"resource_changes":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let (addr, _) = address(i);
        let _ = write!(
            out,
            r#"{{"address":"{addr}","mode":"managed","type":"aws_instance","name":"web","change":{{"actions":["update"],"before":{},"after":{},"after_unknown":{{}},"before_sensitive":{{"password_data":true}},"after_sensitive":{{"password_data":true}}}}}}"#,
            instance(i, true),
            instance(i, false)
        );
    }
    out.push_str(r#"],"configuration":{"root_module":{"resources":[{"address":"aws_instance.web","mode":"managed","type":"aws_instance","name":"web","count_expression":{"constant_value":3},"expressions":{"instance_type":{"references":["var.instance_type"]},"ami":{"constant_value":"ami-0c55b159cbfafe1f0"}}}],"module_calls":{"app":{"source":"./modules/app","for_each_expression":{"references":["local.regions"]},"module":{"resources":[{"address":"aws_instance.web","mode":"managed","type":"aws_instance","name":"web","count_expression":{"constant_value":2},"expressions":{"instance_type":{"constant_value":"t3.medium"}}}]}}}}}}"#);
    out.into_bytes()
}

/// A classified-looking report of `n` drifted items built directly in memory (no JSON), for
/// TUI benches that need far more items than a plan file can hold comfortably: a mix of
/// severities, kinds and resource types, each with a few changed attributes.
pub fn drift_report(n: usize) -> driftdeck::model::DriftReport {
    use driftdeck::model::{AttrPath, Change, DriftItem, DriftReport, Format, Kind, ReportMeta, Severity};
    use serde_json::json;
    let types = [
        "aws_instance",
        "aws_security_group",
        "aws_iam_role_policy",
        "aws_s3_bucket",
        "aws_kms_key",
    ];
    let items = (0..n)
        .map(|i| {
            let ty = types[i % types.len()];
            let kind = match i % 10 {
                0 => Kind::Unmanaged,
                1 => Kind::Deleted,
                _ => Kind::Modified,
            };
            let mut it = DriftItem::new(
                format!("id-{i:08}"),
                format!("module.app[\"r{}\"].{ty}.res[{i}]", i % 10),
                ty.to_string(),
                "bench-plan.json",
                Format::TerraformPlan,
                kind,
            );
            it.severity = Severity::ALL_DESC[i % 4];
            it.why = vec![format!("rule {} fired on attribute instance_type", i % 17)].into();
            it.controls = vec!["NIST CM-6".to_string(), "SOC 2 CC7.1".to_string()].into();
            if kind == Kind::Modified {
                it.changes = vec![
                    Change::plain(
                        AttrPath::keys(["instance_type"]),
                        Some(json!("t3.medium")),
                        Some(json!("t3.xlarge")),
                    ),
                    Change::plain(
                        AttrPath::keys(["tags"]),
                        Some(json!({"Name": format!("web-{i}"), "team": "platform"})),
                        Some(json!({"Name": format!("web-{i}"), "team": "platform", "debug": "true"})),
                    ),
                ];
            }
            it
        })
        .collect();
    DriftReport {
        reports: vec![ReportMeta {
            path: "bench-plan.json".into(),
            format: Format::TerraformPlan,
            tool_version: Some("1.9.8".into()),
            timestamp: None,
            sha256: String::new(),
            warnings: Vec::new(),
            incomplete: Vec::new(),
        }],
        items,
        not_drift: driftdeck::model::NotDrift::default(),
        noise: Vec::new(),
    }
}

/// Tags that differ between the last apply and live: `debug` added by hand, `owner` changed.
fn tags(i: usize, drifted: bool) -> String {
    if drifted {
        format!(r#"{{"Name":"svc-{i}","owner":"oncall","debug":"true"}}"#)
    } else {
        format!(r#"{{"Name":"svc-{i}","owner":"platform"}}"#)
    }
}

/// One drift-dense `resource_drift` entry: what a refresh-only plan of a large account says about
/// resource `i` (every one drifted). The mix cycles through the shapes that dominate real drift:
/// security groups with nested rule sets (some opened to the world), IAM policies as JSON
/// strings (some widened, some only re-serialised with other whitespace), instances, DB instances
/// with sensitive attributes, tags-only changes and Lambda environments holding a secret by name.
/// Addresses mix the root module, `for_each` keys, `count` indices and nested modules.
fn drift_dense_entry(i: usize, out: &mut String) {
    let region = ["eu-west-1", "us-east-1", "ap-southeast-2"][i % 3];
    // Address: root `count`, module `for_each`, or nested module with a `for_each` resource.
    let (ty, name) = match i % 7 {
        0 | 5 => ("aws_security_group", "app"),
        1 => ("aws_iam_policy", "svc"),
        2 => ("aws_instance", "web"),
        3 => ("aws_db_instance", "main"),
        4 => ("aws_s3_bucket", "data"),
        _ => ("aws_lambda_function", "handler"),
    };
    let (address, module, index) = match i % 4 {
        0 => (format!("{ty}.{name}[{i}]"), None, i.to_string()),
        1 => (
            format!(r#"module.svc[\"team-{}\"].{ty}.{name}[\"k{i}\"]"#, i % 50),
            Some(format!(r#"module.svc[\"team-{}\"]"#, i % 50)),
            format!(r#""k{i}""#),
        ),
        2 => (
            format!(r#"module.region[\"{region}\"].module.stack.{ty}.{name}[{i}]"#),
            Some(format!(r#"module.region[\"{region}\"].module.stack"#)),
            i.to_string(),
        ),
        _ => (
            format!(r#"module.shared.{ty}.{name}[\"r{i}\"]"#),
            Some("module.shared".to_string()),
            format!(r#""r{i}""#),
        ),
    };
    let arn_acct = "111122223333";
    let (before, after, sensitive) = match ty {
        "aws_security_group" => {
            let world = i % 3 == 0;
            let extra_cidr = if world { "0.0.0.0/0" } else { "10.20.0.0/16" };
            let rule = |port: u16, cidr: &str| {
                format!(
                    r#"{{"cidr_blocks":["{cidr}"],"from_port":{port},"protocol":"tcp","to_port":{port}}}"#
                )
            };
            let common = format!(
                r#""arn":"arn:aws:ec2:{region}:{arn_acct}:security-group/sg-{i:017x}","id":"sg-{i:017x}","name":"app-{i}","vpc_id":"vpc-0a1b2c3d""#
            );
            (
                format!(
                    r#"{{{common},"ingress":[{},{}],"tags":{}}}"#,
                    rule(443, "10.0.0.0/8"),
                    rule(8443, "10.0.0.0/8"),
                    tags(i, false)
                ),
                // Live: the rules come back in another order (a set) with one rule added.
                format!(
                    r#"{{{common},"ingress":[{},{},{}],"tags":{}}}"#,
                    rule(8443, "10.0.0.0/8"),
                    rule(443, "10.0.0.0/8"),
                    rule(22, extra_cidr),
                    tags(i, false)
                ),
                r#"{"ingress":[],"tags":{}}"#.to_string(),
            )
        }
        "aws_iam_policy" => {
            let doc = |action: &str, pretty: bool| {
                if pretty {
                    format!(
                        r#"{{\n  \"Statement\": [\n    {{\n      \"Action\": \"{action}\",\n      \"Effect\": \"Allow\",\n      \"Resource\": \"arn:aws:s3:::bucket-{i}/*\"\n    }}\n  ],\n  \"Version\": \"2012-10-17\"\n}}"#
                    )
                } else {
                    format!(
                        r#"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"{action}\",\"Resource\":\"arn:aws:s3:::bucket-{i}/*\"}}]}}"#
                    )
                }
            };
            let widened = if i % 2 == 0 { "s3:*" } else { "s3:GetObject" };
            let common = format!(
                r#""arn":"arn:aws:iam::{arn_acct}:policy/svc-{i}","id":"arn:aws:iam::{arn_acct}:policy/svc-{i}","name":"svc-{i}","policy_id":"ANPA{i:016X}""#
            );
            (
                format!(
                    r#"{{{common},"policy":"{}","tags":{}}}"#,
                    doc("s3:GetObject", false),
                    tags(i, false)
                ),
                // Live: re-serialised by IAM (pretty, other key order); sometimes widened, and
                // the tags changed by hand so every entry is real drift.
                format!(
                    r#"{{{common},"policy":"{}","tags":{}}}"#,
                    doc(widened, true),
                    tags(i, true)
                ),
                r#"{"tags":{}}"#.to_string(),
            )
        }
        "aws_instance" => {
            let common = format!(
                r#""arn":"arn:aws:ec2:{region}:{arn_acct}:instance/i-{i:017x}","id":"i-{i:017x}","private_ip":"10.0.{}.{}","user_data":"IyEvYmluL2Jhc2gK""#,
                i / 250 % 250,
                i % 250
            );
            (
                format!(
                    r#"{{{common},"instance_type":"t3.medium","root_block_device":[{{"encrypted":true,"volume_size":50,"volume_type":"gp3"}}],"tags":{},"vpc_security_group_ids":["sg-0a","sg-0b"]}}"#,
                    tags(i, false)
                ),
                format!(
                    r#"{{{common},"instance_type":"t3.xlarge","root_block_device":[{{"encrypted":true,"volume_size":80,"volume_type":"gp3"}}],"tags":{},"vpc_security_group_ids":["sg-0b","sg-0a"]}}"#,
                    tags(i, false)
                ),
                r#"{"root_block_device":[{}],"tags":{},"vpc_security_group_ids":[false,false]}"#.to_string(),
            )
        }
        "aws_db_instance" => {
            let common = format!(
                r#""allocated_storage":100,"arn":"arn:aws:rds:{region}:{arn_acct}:db:main-{i}","engine":"postgres","id":"db-{i:026X}","identifier":"main-{i}","instance_class":"db.r6g.large","username":"app""#
            );
            (
                format!(
                    r#"{{{common},"backup_retention_period":7,"deletion_protection":true,"password":"before-secret-{i}","tags":{}}}"#,
                    tags(i, false)
                ),
                format!(
                    r#"{{{common},"backup_retention_period":1,"deletion_protection":false,"password":"rotated-secret-{i}","tags":{}}}"#,
                    tags(i, false)
                ),
                r#"{"password":true,"tags":{}}"#.to_string(),
            )
        }
        "aws_s3_bucket" => {
            // Tags-only drift.
            let common = format!(
                r#""arn":"arn:aws:s3:::data-{i}","bucket":"data-{i}","id":"data-{i}","region":"{region}""#
            );
            (
                format!(
                    r#"{{{common},"tags":{},"tags_all":{}}}"#,
                    tags(i, false),
                    tags(i, false)
                ),
                format!(
                    r#"{{{common},"tags":{},"tags_all":{}}}"#,
                    tags(i, true),
                    tags(i, true)
                ),
                r#"{"tags":{},"tags_all":{}}"#.to_string(),
            )
        }
        _ => {
            // Lambda: a secret in an environment variable (masked by name), a timeout change.
            let common = format!(
                r#""arn":"arn:aws:lambda:{region}:{arn_acct}:function:handler-{i}","function_name":"handler-{i}","id":"handler-{i}","role":"arn:aws:iam::{arn_acct}:role/handler","runtime":"nodejs20.x""#
            );
            (
                format!(
                    r#"{{{common},"environment":[{{"variables":{{"API_TOKEN":"tok-old-{i}","LOG_LEVEL":"info"}}}}],"tags":{},"timeout":30}}"#,
                    tags(i, false)
                ),
                format!(
                    r#"{{{common},"environment":[{{"variables":{{"API_TOKEN":"tok-new-{i}","LOG_LEVEL":"debug"}}}}],"tags":{},"timeout":300}}"#,
                    tags(i, false)
                ),
                r#"{"environment":[{"variables":{}}],"tags":{}}"#.to_string(),
            )
        }
    };
    let module = module
        .map(|m| format!(r#""module_address":"{m}","#))
        .unwrap_or_default();
    let _ = write!(
        out,
        r#"{{"address":"{address}",{module}"mode":"managed","type":"{ty}","name":"{name}","index":{index},"provider_name":"registry.terraform.io/hashicorp/aws","change":{{"actions":["update"],"before":{before},"after":{after},"after_unknown":{{}},"before_sensitive":{sensitive},"after_sensitive":{sensitive}}}}}"#
    );
}

/// A drift-dense one-line plan, the shape a large account's nightly `terraform plan
/// -refresh-only` gives to `terraform show -json`: `n` resources, every one drifted, only
/// `resource_drift` (no `resource_changes`, no `configuration`), about 850 bytes per entry.
pub fn drift_dense_plan(n: usize) -> Vec<u8> {
    let mut out = String::with_capacity(n * 1000 + 256);
    out.push_str(r#"{"format_version":"1.2","terraform_version":"1.9.8","timestamp":"2026-11-22T03:00:12Z","resource_drift":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        drift_dense_entry(i, &mut out);
    }
    out.push_str(r#"],"applyable":true,"complete":true,"errored":false}"#);
    out.into_bytes()
}

/// A driftctl scan (v0.40 shape) of `n` unmanaged S3 buckets with their state source: the wide,
/// flat report of a large account scanned without filters.
pub fn wide_driftctl_scan(n: usize) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(n * 230 + 512);
    let _ = write!(
        out,
        r#"{{"summary":{{"total_resources":{n},"total_changed":0,"total_unmanaged":{n},"total_missing":0,"total_managed":0}},"managed":[],"unmanaged":["#
    );
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"id":"arn:aws:s3:::corp-data-lake-bucket-{i:08}-eu-west-1-prod-analytics-archive","type":"aws_s3_bucket","source":{{"source":"tfstate://terraform.tfstate","namespace":"module.data","internal_name":"bucket_{i}"}}}}"#
        );
    }
    out.push_str(r#"],"missing":[],"differences":[],"coverage":0,"alerts":{},"provider_name":"aws","provider_version":"5.70.0"}"#);
    out.into_bytes()
}
