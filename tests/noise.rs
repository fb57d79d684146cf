//! Noise, as real refresh plans carry it: provider read-back attributes (`[noise]` rules), drift
//! outside Terraform's `relevant_attributes` in a normal plan, and attributes the IaC says to
//! ignore (`lifecycle { ignore_changes }`). The real binary on real files.

#[path = "support/ingest.rs"]
mod ingest_support;

use std::path::{Path, PathBuf};

use ingest_support::driftdeck_in as run;
use serde_json::{Value, json};

fn list_json(dir: &Path, report: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["list", report.to_str().expect("utf-8"), "--format", "json"];
    args.extend(extra);
    let (code, out, err) = run(dir, &args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("list json")
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).expect("json")).expect("write fixture");
    p
}

/// One `resource_drift` (or `resource_changes`) entry as `terraform show -json` writes it.
fn entry(address: &str, actions: &[&str], before: &Value, after: &Value) -> Value {
    let mut parts = address.rsplitn(3, '.');
    let name = parts
        .next()
        .unwrap_or_default()
        .split('[')
        .next()
        .unwrap_or_default();
    let rtype = parts.next().unwrap_or_default();
    json!({
        "address": address, "mode": "managed", "type": rtype, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": actions, "before": before, "after": after,
                   "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}
    })
}

fn addresses(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["address"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn item<'a>(v: &'a Value, address: &str) -> &'a Value {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["address"] == address)
        .unwrap_or_else(|| panic!("{address} listed"))
}

fn change<'a>(it: &'a Value, top: &str) -> Option<&'a Value> {
    it["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["path"][0] == top)
}

/// A refresh-only plan: a Lambda whose only drift is `last_modified` (read back after every
/// deploy), and one that also changed memory.
fn read_back_plan(dir: &Path) -> PathBuf {
    let lambda = |mem: u32, modified: &str| {
        json!({"function_name": "ingest", "memory_size": mem, "last_modified": modified,
               "arn": "arn:aws:lambda:eu-west-1:111122223333:function:ingest"})
    };
    write(
        dir,
        "refresh.json",
        &json!({
            "format_version": "1.2", "terraform_version": "1.9.8",
            "resource_drift": [
                entry("aws_lambda_function.quiet", &["update"],
                      &lambda(512, "2026-11-01T10:00:00.000+0000"), &lambda(512, "2026-12-01T03:12:44.000+0000")),
                entry("aws_lambda_function.ingest", &["update"],
                      &lambda(512, "2026-11-01T10:00:00.000+0000"), &lambda(3008, "2026-12-01T03:12:44.000+0000")),
            ]
        }),
    )
}

#[test]
fn read_back_attributes_are_noise_hidden_counted_and_shown_on_request() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = read_back_plan(dir.path());
    let v = list_json(dir.path(), &plan, &[]);
    assert_eq!(addresses(&v), vec!["aws_lambda_function.ingest"]);
    assert_eq!(v["summary"]["not_drift"]["noise"], json!(1));
    let ingest = item(&v, "aws_lambda_function.ingest");
    assert!(change(ingest, "memory_size").is_some());
    assert!(change(ingest, "last_modified").is_none(), "noise change dropped");

    let shown = list_json(dir.path(), &plan, &["--show-noise"]);
    assert_eq!(shown["summary"]["total"], json!(2));
    let quiet = item(&shown, "aws_lambda_function.quiet");
    let why = change(quiet, "last_modified").expect("noise change listed")["noise"]
        .as_str()
        .expect("marked noise with a reason")
        .to_string();
    assert!(why.contains("read-back-timestamps"), "{why}");
    assert_eq!(quiet["severity"], "low");

    // The table says how many were hidden and how to see them.
    let (_, out, _) = run(dir.path(), &["list", plan.to_str().expect("utf-8")]);
    assert!(out.contains("1 noise only (--show-noise)"), "{out}");
    // check ignores noise, even when asked to show it.
    let p = plan.to_str().expect("utf-8");
    let (code, out, _) = run(dir.path(), &["check", p, "--fail-on", "critical", "--show-noise"]);
    assert_eq!(code, 0, "{out}");
}

/// A normal plan (it has `resource_changes`) with `relevant_attributes` naming only the
/// instance's `id`: drift on a resource the plan does not change, outside that list, is noise,
/// unless it would rate high or critical.
fn normal_plan(dir: &Path, with_changes: bool) -> PathBuf {
    let role = |tags: Value| json!({"name": "ci", "arn": "arn:aws:iam::111122223333:role/ci", "tags": tags});
    let rule = |port: u16| {
        json!({"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": port, "ipv6_cidr_blocks": [],
               "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": port})
    };
    let sg = |rules: Vec<Value>| json!({"id": "sg-1", "name": "web", "ingress": rules});
    let role_before = role(json!({"team": "ci"}));
    let role_after = role(json!({"team": "ci", "cost-center": "42"}));
    let sg_before = sg(vec![rule(443)]);
    let sg_after = sg(vec![rule(443), rule(3389)]);
    let mut plan = json!({
        "format_version": "1.2", "terraform_version": "1.9.8",
        "resource_drift": [
            entry("aws_iam_role.ci", &["update"], &role_before, &role_after),
            entry("aws_security_group.web", &["update"], &sg_before, &sg_after),
        ],
    });
    if with_changes {
        plan["resource_changes"] = json!([
            entry("aws_iam_role.ci", &["no-op"], &role_after, &role_after),
            entry("aws_security_group.web", &["no-op"], &sg_after, &sg_after),
        ]);
        plan["relevant_attributes"] = json!([{"resource": "aws_instance.web", "attribute": ["id"]}]);
    }
    write(
        dir,
        if with_changes {
            "normal.json"
        } else {
            "refresh-only.json"
        },
        &plan,
    )
}

#[test]
fn drift_outside_relevant_attributes_is_noise_in_a_normal_plan_unless_it_matters() {
    let dir = tempfile::tempdir().expect("tmp");
    let normal = normal_plan(dir.path(), true);
    let v = list_json(dir.path(), &normal, &[]);
    // The tag is noise; the port opened to the world outside the list is still listed, because
    // Terraform's list is a hint known to be incomplete.
    assert_eq!(addresses(&v), vec!["aws_security_group.web"]);
    assert_eq!(v["summary"]["not_drift"]["noise"], json!(1));
    let shown = list_json(dir.path(), &normal, &["--show-noise"]);
    let why = change(item(&shown, "aws_iam_role.ci"), "tags").expect("listed")["noise"]
        .as_str()
        .expect("noise")
        .to_string();
    assert!(why.contains("relevant_attributes"), "{why}");

    // In a refresh-only plan all drift is the point.
    let refresh = normal_plan(dir.path(), false);
    let v = list_json(dir.path(), &refresh, &[]);
    assert_eq!(v["summary"]["total"], json!(2));
    assert_eq!(v["summary"]["not_drift"]["noise"], json!(0));
}

/// A refresh-only plan of an instance someone tagged and resized, with its IaC beside it.
fn instance_plan(dir: &Path) -> PathBuf {
    let inst =
        |ty: &str, tags: Value| json!({"id": "i-1", "instance_type": ty, "ami": "ami-1", "tags": tags});
    write(
        dir,
        "plan.json",
        &json!({
            "format_version": "1.2", "terraform_version": "1.9.8",
            "resource_drift": [
                entry("aws_instance.web", &["update"],
                      &inst("t3.micro", json!({"Name": "web"})),
                      &inst("t3.large", json!({"Name": "web", "patched-by": "ssm"}))),
                entry("module.batch.aws_instance.worker[0]", &["update"],
                      &inst("t3.micro", json!({})), &inst("c5.xlarge", json!({}))),
            ]
        }),
    )
}

#[test]
fn lifecycle_ignore_changes_in_the_iac_is_expected_divergence_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let plan = instance_plan(d);
    // Without IaC sources every change is drift.
    assert_eq!(list_json(d, &plan, &[])["summary"]["total"], json!(2));

    std::fs::write(
        d.join("main.tf"),
        "# web tier\nresource \"aws_instance\" \"web\" {\n  ami           = \"ami-1\"\n  instance_type = \"t3.micro\"\n  tags = { Name = \"web\" }\n\n  lifecycle {\n    ignore_changes = [tags[\"patched-by\"]]\n  }\n}\n\nmodule \"batch\" {\n  source = \"./modules/batch\"\n}\n",
    )
    .expect("write main.tf");
    std::fs::create_dir_all(d.join("modules/batch")).expect("mkdir");
    std::fs::write(
        d.join("modules/batch/main.tf"),
        "resource \"aws_instance\" \"worker\" {\n  count         = 1\n  ami           = \"ami-1\"\n  instance_type = \"t3.micro\"\n  lifecycle {\n    ignore_changes = all\n  }\n}\n",
    )
    .expect("write module");
    let v = list_json(d, &plan, &[]);
    // The resize of web is still drift; its SSM tag is not; the worker ignores everything.
    assert_eq!(addresses(&v), vec!["aws_instance.web"]);
    let web = item(&v, "aws_instance.web");
    assert!(change(web, "instance_type").is_some());
    assert!(change(web, "tags").is_none());
    assert_eq!(v["summary"]["not_drift"]["noise"], json!(1));

    let shown = list_json(d, &plan, &["--show-noise"]);
    let tag = change(item(&shown, "aws_instance.web"), "tags").expect("shown")["noise"]
        .as_str()
        .expect("noise")
        .to_string();
    assert!(
        tag.contains("ignore_changes") && tag.contains("main.tf:8"),
        "{tag}"
    );
    let worker = change(
        item(&shown, "module.batch.aws_instance.worker[0]"),
        "instance_type",
    )
    .expect("shown")["noise"]
        .as_str()
        .expect("noise")
        .to_string();
    assert!(worker.contains("ignore_changes = all"), "{worker}");
    assert!(worker.contains("modules/batch/main.tf:6"), "{worker}");
}

#[test]
fn an_unparsable_tf_file_ignores_nothing_and_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let plan = instance_plan(d);
    std::fs::write(
        d.join("main.tf"),
        "resource \"aws_instance\" \"web\" {\n  lifecycle {\n    ignore_changes = all\n",
    )
    .expect("write");
    let (code, out, err) = run(d, &["list", plan.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("aws_instance.web"), "drift stays visible: {out}");
    assert!(
        out.contains("lifecycle.ignore_changes not read") && out.contains("main.tf"),
        "{out}"
    );
}
