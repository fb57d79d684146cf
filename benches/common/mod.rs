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
            it.why = vec![format!("rule {} fired on attribute instance_type", i % 17)];
            it.controls = vec!["NIST CM-6".into(), "SOC 2 CC7.1".into()];
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
