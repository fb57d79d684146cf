//! Attribution throughput against the local CloudTrail-compatible endpoint: lookups per
//! second achieved versus the 2/s LookupEvents ceiling for 100 resources (target ≥ 1.8/s,
//! 0 throttles surfaced). Prints its figures; run with `cargo bench --bench attribution`.

#[path = "../tests/support/fake_cloudtrail.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use driftdeck::attribution::cloudtrail::{CloudTrailSource, LiveOptions};
use driftdeck::attribution::{AttributionStatus, Engine, EngineOptions};
use driftdeck::model::{DriftItem, DriftReport, Format, Kind, ReportMeta};
use serde_json::json;

const RESOURCES: usize = 100;

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        // One KMS key per resource, each with a rotation change that carries `resources`, so
        // every item needs exactly one ResourceName lookup.
        let (records, report) = kms_keys(RESOURCES, "ev", "00000000", None);
        let server = support::FakeCloudTrail::start(records).await;
        let src = Arc::new(
            CloudTrailSource::new(LiveOptions {
                region: Some("eu-west-1".into()),
                endpoint_url: Some(server.url.clone()),
                static_credentials: Some(("AKIDBENCH".into(), "secret".into())),
                ..LiveOptions::default()
            })
            .await
            .expect("source"),
        );
        let engine = Engine::new(src.clone(), &report, EngineOptions { concurrency: 8, ..EngineOptions::default() })
            .expect("engine");
        let t = Instant::now();
        let results = engine.attribute_all(&report.items).await;
        let secs = t.elapsed().as_secs_f64();
        let requests = server.lookup_requests();
        let ok = results.iter().filter(|a| a.status == AttributionStatus::Attributed).count();
        let surfaced = results.iter().filter(|a| a.status == AttributionStatus::Error).count();
        println!("attribution: {RESOURCES} resources, {requests} LookupEvents requests in {secs:.1} s");
        println!(
            "attribution: {:.2} lookups/s achieved vs 2.00/s ceiling (target >= 1.8/s)",
            requests as f64 / secs
        );
        println!(
            "attribution: {ok}/{RESOURCES} attributed, {} throttles absorbed by the endpoint, {surfaced} errors surfaced",
            server.throttled()
        );
        athena_bench().await;
    });
}

/// 1,000 KMS keys attributed through Athena against the local endpoint: queries sent, items per
/// query, end-to-end time (StartQueryExecution → GetQueryExecution polls → paged results).
async fn athena_bench() {
    use driftdeck::attribution::athena::{AthenaOptions, AthenaSource};
    const ITEMS: usize = 1000;
    let (records, report) = kms_keys(ITEMS, "ath", "10000000", Some("111122223333"));
    let server = support::FakeCloudTrail::start(records).await;
    let mut opts = AthenaOptions::new("cloudtrail.org_trail");
    opts.output = Some("s3://bench-results/".into());
    let src = AthenaSource::new(
        opts,
        LiveOptions {
            region: Some("eu-west-1".into()),
            endpoint_url: Some(server.url.clone()),
            static_credentials: Some(("AKIDBENCH".into(), "secret".into())),
            ..LiveOptions::default()
        },
    )
    .await
    .expect("athena")
    .with_poll_interval(std::time::Duration::from_millis(100));
    let engine = Engine::new(Arc::new(src), &report, EngineOptions::default()).expect("engine");
    let t = Instant::now();
    engine.prepare(&report.items).await.expect("query");
    let results = engine.attribute_all(&report.items).await;
    let secs = t.elapsed().as_secs_f64();
    let queries = server.athena_queries().len();
    let ok = results
        .iter()
        .filter(|a| a.status == AttributionStatus::Attributed)
        .count();
    println!(
        "athena: {ITEMS} items, {queries} query, {:.0} items attributed per query, {ok}/{ITEMS} attributed, {secs:.2} s end to end (100 ms polls)",
        ok as f64 / queries.max(1) as f64
    );
}

/// `n` drifted KMS keys (rotation disabled) and the CloudTrail record that changed each, with
/// `resources` set so every item needs one lookup; `tag` names event ids and addresses apart,
/// `key_prefix` keeps the key ids of different benches apart.
fn kms_keys(
    n: usize,
    tag: &str,
    key_prefix: &str,
    account: Option<&str>,
) -> (Vec<serde_json::Value>, DriftReport) {
    let mut records = Vec::new();
    let mut items = Vec::new();
    for i in 0..n {
        let key = format!("{key_prefix}-0000-4000-8000-{i:012}");
        let arn = format!("arn:aws:kms:eu-west-1:111122223333:key/{key}");
        records.push(json!({
            "eventVersion": "1.10", "eventID": format!("{tag}-{i}"), "eventName": "DisableKeyRotation",
            "eventTime": "2026-11-20T23:51:00Z", "eventSource": "kms.amazonaws.com", "awsRegion": "eu-west-1",
            "recipientAccountId": "111122223333", "readOnly": false, "eventType": "AwsApiCall",
            "userIdentity": {"type": "IAMUser", "userName": "bob", "arn": "arn:aws:iam::111122223333:user/bob"},
            "userAgent": "aws-cli/2.22.4 md/command#kms.disable-key-rotation", "sourceIPAddress": "198.51.100.23",
            "requestParameters": {"keyId": key}, "responseElements": null,
            "resources": [{"ARN": arn, "accountId": "111122223333", "type": "AWS::KMS::Key"}]
        }));
        let mut item = DriftItem::new(
            format!("{tag}-id-{i}"),
            format!("aws_kms_key.{tag}{i}"),
            "aws_kms_key".into(),
            "bench.json",
            Format::TerraformPlan,
            Kind::Modified,
        );
        item.identity.insert("arn".into(), arn);
        item.identity.insert("key_id".into(), key);
        item.region = Some("eu-west-1".into());
        item.account = account.map(Into::into);
        item.changes.push(driftdeck::model::Change::plain(
            driftdeck::model::AttrPath::keys(["enable_key_rotation"]),
            Some(json!(true)),
            Some(json!(false)),
        ));
        items.push(item);
    }
    let report = DriftReport {
        reports: vec![ReportMeta {
            path: "bench.json".into(),
            format: Format::TerraformPlan,
            tool_version: None,
            timestamp: Some("2026-11-22T07:58:41Z".into()),
            sha256: String::new(),
            warnings: Vec::new(),
            incomplete: Vec::new(),
        }],
        items,
        ..DriftReport::default()
    };
    (records, report)
}
