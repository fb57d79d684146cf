//! CloudTrail attribution: the demo incident attributed offline and through the real SDK
//! against a CloudTrail-compatible endpoint on 127.0.0.1; paging, throttling, dedupe, cache,
//! malformed archives, actor/tool resolution, the service queue and the CLI's JSON contract.

#[path = "support/fake_cloudtrail.rs"]
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use driftdeck::attribution::actor::{PipelinePrincipals, mfa_of, out_of_band, resolve_actor, resolve_tool};
use driftdeck::attribution::archive::ArchiveSource;
use driftdeck::attribution::cache::Cache;
use driftdeck::attribution::cloudtrail::{CloudTrailSource, LiveOptions};
use driftdeck::attribution::lake::LakeSource;
use driftdeck::attribution::{
    Attribution, AttributionConfig, AttributionService, AttributionStatus, Confidence, Engine, EngineOptions,
    EventSource, ServiceEvent, SourceChoice, Tool, filter_matches, group_by_actor, view,
};
use driftdeck::classify::Taxonomy;
use driftdeck::model::{DriftItem, DriftReport};
use serde_json::{Value, json};
use support::FakeCloudTrail;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

fn demo_report() -> DriftReport {
    let dir = demo_dir().join("reports");
    let paths: Vec<String> = [
        "terraform-plan.json",
        "driftctl-scan.json",
        "cloudformation-drift.json",
    ]
    .iter()
    .map(|f| dir.join(f).display().to_string())
    .collect();
    driftdeck::ingest::load_paths(&paths, &Taxonomy::defaults().expect("taxonomy")).expect("demo loads")
}

/// STORY.md's attribution table: key (address, or id for driftctl/CloudFormation items) →
/// (eventID, actor, tool, out-of-band).
const STORY: [(&str, &str, &str, &str, bool); 23] = [
    (
        "aws_security_group.web",
        "8df08078-a22e-4180-85c2-c2af3977a654",
        "jane.doe@corp.example",
        "console",
        true,
    ),
    (
        "aws_iam_role_policy.deploy",
        "c1b87f1a-7323-491b-99f9-cbef0f69a4d0",
        "bob",
        "aws-cli",
        true,
    ),
    (
        "aws_iam_role.ci",
        "3a124c64-7e02-4f05-b7c1-dce27f7695f5",
        "gha-finops-tagging-4471",
        "terraform",
        false,
    ),
    (
        "module.app[\"eu\"].aws_db_instance.main[0]",
        "9ad9b9a2-5e78-454d-b065-a1c284cc4549",
        "oncall-sre",
        "sdk",
        true,
    ),
    (
        "module.app[\"eu\"].aws_s3_bucket_server_side_encryption_configuration.data",
        "2f314fdb-43c4-4bc7-a4cc-dcf9ea5ee53c",
        "jane.doe@corp.example",
        "console",
        true,
    ),
    (
        "module.app[\"eu\"].aws_s3_bucket_public_access_block.data",
        "614d292e-1f1e-4bfa-a300-3324c470d28b",
        "backdoor-admin",
        "aws-cli",
        true,
    ),
    (
        "aws_instance.web[0]",
        "78b7d0ac-8477-4ce0-8e4c-da11b43c589b",
        "oncall-sre",
        "aws-cli",
        true,
    ),
    (
        "aws_instance.web[1]",
        "f3194a3b-381e-43e7-952c-466e473a1797",
        "jane.doe@corp.example",
        "console",
        true,
    ),
    (
        "aws_cloudwatch_log_group.audit",
        "f054e0b8-3ce3-494d-b394-7d9c777a5bbb",
        "backdoor-admin",
        "aws-cli",
        true,
    ),
    (
        "aws_kms_key.data",
        "bafe9bd1-20c5-4152-9127-c47089bf36a2",
        "bob",
        "aws-cli",
        true,
    ),
    (
        "aws_lambda_function.ingest",
        "c1acc990-6424-450a-a36b-f9b3ddcb369d",
        "oncall-sre",
        "sdk",
        true,
    ),
    (
        "aws_cloudtrail.main",
        "90237de7-232a-49de-bed4-32292ed99a49",
        "backdoor-admin",
        "aws-cli",
        true,
    ),
    (
        "backdoor-admin",
        "98daa4bf-7559-4f89-b3fb-95ee22432045",
        "root",
        "console",
        true,
    ),
    (
        "AKIARZ3Q4EXMPLBDADM7",
        "6a015b66-5e4a-429c-9be7-df00cba497dd",
        "root",
        "console",
        true,
    ),
    (
        "backdoor-admin-arn:aws:iam::aws:policy/AdministratorAccess",
        "b6d9f6f4-5cdc-48b9-9a64-00c790010259",
        "root",
        "console",
        true,
    ),
    (
        "sgrule-950722393",
        "23961c52-2970-4819-ae6f-8f356f02bfb4",
        "backdoor-admin",
        "aws-cli",
        true,
    ),
    (
        "aws_s3_bucket_policy.flowlogs",
        "df219833-d97b-401b-b581-437a489229e0",
        "backdoor-admin",
        "aws-cli",
        true,
    ),
    (
        "module.edge.aws_route53_record.status",
        "fe014372-9313-4adf-bba3-fec76ca387b5",
        "bob",
        "aws-cli",
        true,
    ),
    (
        "aws_lb_listener.https",
        "521b55ad-a989-48e5-9645-f8997a98714f",
        "oncall-sre",
        "aws-cli",
        true,
    ),
    (
        "sg-0c9d8e7f6a5b4c3d2",
        "9e450909-a8d1-4dea-9ddf-c65e144b2080",
        "oncall-sre",
        "aws-cli",
        true,
    ),
    (
        "payments-prod-receipts-111122223333",
        "13d38b63-47e3-4c09-b70c-349f6dcb6633",
        "bob",
        "aws-cli",
        true,
    ),
    (
        "https://sqs.eu-west-1.amazonaws.com/111122223333/payments-prod-settlement",
        "1e527ff9-160e-47a4-89f1-c7e23916e1df",
        "jane.doe@corp.example",
        "console",
        true,
    ),
    (
        "/aws/payments-prod/audit",
        "27f82f94-6709-4347-bf02-83a32bc318aa",
        "backdoor-admin",
        "aws-cli",
        true,
    ),
];

fn find<'a>(report: &'a DriftReport, key: &str) -> &'a DriftItem {
    report
        .items
        .iter()
        .find(|i| i.address == key)
        .or_else(|| {
            report
                .items
                .iter()
                .find(|i| i.identity.get("id").map(String::as_str) == Some(key))
        })
        .unwrap_or_else(|| panic!("no demo item {key}"))
}

fn check_story(report: &DriftReport, results: &[Attribution], keys: &[&str]) {
    for (key, event, actor, tool, oob) in STORY.iter().filter(|s| keys.is_empty() || keys.contains(&s.0)) {
        let item = find(report, key);
        let a = results
            .iter()
            .find(|a| a.item_id == item.id)
            .unwrap_or_else(|| panic!("no result for {key}"));
        let best = a
            .best
            .as_ref()
            .unwrap_or_else(|| panic!("{key}: not attributed: {a:?}"));
        assert_eq!(
            best.event_id, *event,
            "{key}: wrong event {} {}",
            best.event_name, best.event_time
        );
        assert_eq!(best.actor.display, *actor, "{key}");
        assert_eq!(best.tool.as_str(), *tool, "{key}");
        assert_eq!(best.out_of_band, *oob, "{key}");
        assert_eq!(a.status, AttributionStatus::Attributed);
    }
}

fn archive_engine(report: &DriftReport) -> Engine {
    let src = ArchiveSource::open(&demo_dir().join("cloudtrail")).expect("demo archive");
    Engine::new(Arc::new(src), report, EngineOptions::default()).expect("engine")
}

#[tokio::test]
async fn archive_attributes_every_demo_item_as_the_story_says() {
    let report = demo_report();
    assert_eq!(report.items.len(), 23);
    let engine = archive_engine(&report);
    let results = engine.attribute_all(&report.items).await;
    check_story(&report, &results, &[]);
    // Denied attempts are context, never the cause.
    let t1 = &results[report
        .items
        .iter()
        .position(|i| i.address == "aws_security_group.web")
        .expect("T1")];
    assert!(
        t1.denied
            .iter()
            .any(|d| d.event_id == "99356597-6fba-4662-b6a7-30b7b12e9eed" && d.actor.display == "bob")
    );
    let t2 = &results[report
        .items
        .iter()
        .position(|i| i.address == "aws_iam_role_policy.deploy")
        .expect("T2")];
    assert!(
        t2.denied
            .iter()
            .any(|d| d.event_id == "ab57f985-4332-43da-a75a-2e199b58ba8d")
    );
    assert!(
        t2.candidates
            .iter()
            .any(|c| c.event_id == "9dfb369b-ab13-4fae-a276-55daa05f1119"),
        "in-band apply kept as context"
    );
    assert_eq!(t1.best.as_ref().map(|b| b.confidence), Some(Confidence::High));
    assert_eq!(
        t1.best.as_ref().map(|b| b.matched.clone()),
        Some(vec!["ingress".to_string()])
    );
    assert!(t1.best.as_ref().is_some_and(|b| b.mfa));
    assert_eq!(
        t1.best
            .as_ref()
            .map(driftdeck::attribution::Candidate::console_link)
            .as_deref(),
        Some(
            "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/8df08078-a22e-4180-85c2-c2af3977a654"
        )
    );
    assert!(engine.take_warnings().is_empty());
    let rows = view::details(t1);
    let get = |k: &str| rows.iter().find(|(l, _)| *l == k).map(|(_, v)| v.as_str());
    assert_eq!(
        get("actor"),
        Some("jane.doe@corp.example (Identity Center, AdministratorAccess)")
    );
    assert_eq!(get("mfa"), Some("yes"));
    assert_eq!(get("confidence"), Some("high: ingress"));
    assert!(get("denied").is_some_and(|d| d.contains("bob") && d.contains("Client.UnauthorizedOperation")));
}

#[test]
fn archive_dedupes_deliveries_and_reads_the_plain_json_file() {
    let src = ArchiveSource::open(&demo_dir().join("cloudtrail")).expect("demo archive");
    assert_eq!(src.file_count(), 25);
    assert_eq!(src.duplicate_count(), 1, "E12 is delivered twice");
    let ids: std::collections::HashSet<_> = src.events().iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), src.events().len());
    assert!(ids.contains("8df08078-a22e-4180-85c2-c2af3977a654"));
    // The plain .json file (03:15Z on the 21st) holds the trail stop.
    assert!(ids.contains("90237de7-232a-49de-bed4-32292ed99a49"));
    assert!(SourceChoice::demo().is_some());
}

fn gz(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let f = std::fs::File::create(path).expect("create");
    let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    e.write_all(text.as_bytes()).expect("write");
    e.finish().expect("finish");
}

fn record(id: &str, name: &str, time: &str, group: &str) -> Value {
    json!({"eventVersion":"1.10","eventID":id,"eventName":name,"eventTime":time,"eventSource":"ec2.amazonaws.com",
        "awsRegion":"eu-west-1","recipientAccountId":"111122223333","readOnly":false,"eventType":"AwsApiCall",
        "userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::111122223333:user/alice"},
        "userAgent":"aws-cli/2.22.4 md/command#ec2.authorize-security-group-ingress","sourceIPAddress":"198.51.100.1",
        "requestParameters":{"groupId":group,"ipPermissions":{"items":[{"fromPort":22,"toPort":22}]}},"responseElements":{"_return":true}})
}

#[tokio::test]
async fn malformed_files_are_named_and_the_rest_still_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let day = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20");
    let a = record(
        "e-1",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T10:00:00Z",
        "sg-0123456789abcdef0",
    );
    let b = record(
        "e-2",
        "RevokeSecurityGroupIngress",
        "2026-11-20T11:00:00Z",
        "sg-0123456789abcdef0",
    );
    gz(
        &day.join("f1.json.gz"),
        &json!({"Records": [a.clone(), b.clone()]}).to_string(),
    );
    gz(&day.join("f2.json.gz"), &json!({"Records": [a, b]}).to_string()); // duplicate delivery
    // Truncated gzip: the records before the cut are still read.
    let mut full = Vec::new();
    {
        let mut e = flate2::write::GzEncoder::new(&mut full, flate2::Compression::default());
        let many: Vec<Value> = (0..400)
            .map(|i| {
                record(
                    &format!("e-3-{i}"),
                    "AuthorizeSecurityGroupIngress",
                    "2026-11-20T12:00:00Z",
                    &format!("sg-{i:017}"),
                )
            })
            .collect();
        e.write_all(json!({"Records": many}).to_string().as_bytes())
            .expect("w");
        e.finish().expect("f");
    }
    std::fs::write(day.join("cut.json.gz"), &full[..full.len() - 40]).expect("write");
    std::fs::write(day.join("junk.json"), b"{\"Records\": [ not json").expect("write");
    std::fs::write(day.join("other.json"), b"{\"foo\": 1}").expect("write");
    gz(&day.join("notgz.json.gz"), "");
    std::fs::write(day.join("plain-bytes.json.gz"), b"this is not gzip").expect("write");
    let src = ArchiveSource::open(dir.path()).expect("opens");
    let warnings = src.take_warnings();
    for f in ["cut.json.gz", "junk.json", "other.json", "plain-bytes.json.gz"] {
        assert!(
            warnings.iter().any(|w| w.contains(f)),
            "no warning names {f}: {warnings:?}"
        );
    }
    let ids: Vec<&str> = src.events().iter().map(|e| e.event_id.as_str()).collect();
    assert!(ids.contains(&"e-1") && ids.contains(&"e-2"), "{ids:?}");
    assert_eq!(
        ids.iter().filter(|i| **i == "e-1").count(),
        1,
        "duplicates collapse"
    );
    assert!(ids.contains(&"e-3-0"), "records before the cut are kept");
    assert!(!ids.contains(&"e-3-399"), "the cut-off tail is not invented");
    assert!(src.duplicate_count() >= 2);
    // Not a directory → a clear error.
    let err = ArchiveSource::open(&dir.path().join("missing")).expect_err("missing dir");
    assert!(err.to_string().contains("not a directory"), "{err}");
}

fn live_opts(url: &str) -> LiveOptions {
    LiveOptions {
        region: Some("eu-west-1".into()),
        endpoint_url: Some(url.to_string()),
        static_credentials: Some(("AKIDTESTTESTTEST".into(), "secret".into())),
        ..LiveOptions::default()
    }
}

fn subset(report: &DriftReport, keys: &[&str]) -> DriftReport {
    let mut r = report.clone();
    r.items = keys.iter().map(|k| find(report, k).clone()).collect();
    r
}

#[tokio::test]
async fn live_sdk_attributes_a_realistic_incident_and_the_cache_makes_reopening_free() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let keys = [
        "aws_security_group.web",     // no Resources: EventName fallback
        "aws_iam_role_policy.deploy", // us-east-1, denied attempt first
        "module.app[\"eu\"].aws_s3_bucket_server_side_encryption_configuration.data", // ResourceName hit
        "sgrule-950722393",           // flat AuthorizeSecurityGroupIngress
    ];
    let report = subset(&demo_report(), &keys);
    let cache_dir = tempfile::tempdir().expect("tmp");
    let run = || async {
        let src = CloudTrailSource::new(live_opts(&server.url))
            .await
            .expect("source");
        let engine = Engine::new(
            Arc::new(src),
            &report,
            EngineOptions {
                cache: Some(Cache::new(cache_dir.path())),
                ..EngineOptions::default()
            },
        )
        .expect("engine");
        let results = engine.attribute_all(&report.items).await;
        (results, engine.lookups_sent())
    };
    let (results, sent) = run().await;
    for a in &results {
        assert_eq!(a.status, AttributionStatus::Attributed, "{a:?}");
        assert!(a.message.is_none(), "no error reaches the caller: {a:?}");
    }
    check_story(&report, &results, &keys);
    assert!(
        results[0].denied.iter().any(|d| d.actor.display == "bob"),
        "denied attempt shown as context"
    );
    assert_ne!(
        results[1].best.as_ref().map(|b| b.actor.display.as_str()),
        Some("oncall-sre")
    );
    assert!(results[0].best.as_ref().is_some_and(|b| b.region == "eu-west-1"));
    assert!(results[1].best.as_ref().is_some_and(|b| b.region == "us-east-1"));
    let first = server.lookup_requests();
    assert!(sent >= 4 && first >= sent, "sent {sent}, server saw {first}");
    assert_eq!(server.unsigned(), 0, "the SDK signs every request");
    // Reopening: every lookup comes from the disk cache.
    let (again, sent2) = run().await;
    assert_eq!(sent2, 0);
    assert_eq!(server.lookup_requests(), first, "the second run sent no request");
    assert_eq!(again, results);
}

#[tokio::test]
async fn throttling_is_retried_and_never_surfaced_and_pages_are_followed() {
    // 60 events of one call: two pages of 50 + 10.
    let mut recs = Vec::new();
    for i in 0..60 {
        recs.push(record(
            &format!("bulk-{i:02}"),
            "RevokeSecurityGroupIngress",
            &format!("2026-11-20T10:{i:02}:00Z"),
            "sg-0fffffffffffffff0",
        ));
    }
    recs.push(record(
        "target",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T12:00:00Z",
        "sg-0aaaaaaaaaaaaaaa0",
    ));
    let server = FakeCloudTrail::start(recs).await;
    server.throttle_next(3);
    let src = CloudTrailSource::new(live_opts(&server.url))
        .await
        .expect("source");
    let q = driftdeck::attribution::Lookup {
        account: None,
        region: Some("eu-west-1".into()),
        key: driftdeck::attribution::LookupKey::EventName("RevokeSecurityGroupIngress".into()),
        start: 1_795_000_000,
        end: 1_796_000_000,
    };
    let events = src.lookup(&q).await.expect("throttling never surfaces");
    assert_eq!(events.len(), 60, "both pages read");
    assert_eq!(server.throttled(), 3);
    assert_eq!(src.throttles_absorbed(), 3);
}

#[tokio::test]
async fn the_endpoint_enforces_the_service_rules() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let sdk = driftdeck::attribution::cloudtrail::load_sdk_config(&live_opts(&server.url)).await;
    let client = aws_sdk_cloudtrail::Client::new(&sdk);
    let attr = |k, v: &str| {
        LookupAttribute::builder()
            .attribute_key(k)
            .attribute_value(v)
            .build()
            .expect("attr")
    };
    let err = client
        .lookup_events()
        .lookup_attributes(attr(LookupAttributeKey::EventName, "PutRolePolicy"))
        .lookup_attributes(attr(LookupAttributeKey::ResourceName, "platform-deploy"))
        .send()
        .await
        .expect_err("two attributes are rejected");
    assert_eq!(
        err.as_service_error().and_then(|e| e.code()),
        Some("InvalidLookupAttributesException")
    );
    assert!(err.as_service_error().is_some_and(aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError::is_invalid_lookup_attributes_exception));
    // More than 2 requests within a second are throttled (SDK retries are off in this config).
    let calls = (0..4).map(|_| client.lookup_events().max_results(1).send());
    let results = futures::future::join_all(calls).await;
    assert!(
        results.iter().any(|r| r
            .as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .and_then(|e| e.code())
            == Some("ThrottlingException")),
        "a burst is throttled"
    );
    assert!(server.throttled() >= 1);
    // An unsigned request is refused.
    let mut s = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: CloudTrail_20131101.LookupEvents\r\nContent-Length: 2\r\n\r\n{}").await.expect("w");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("r");
    assert!(
        out.starts_with("HTTP/1.1 403") && out.contains("MissingAuthenticationTokenException"),
        "{out}"
    );
}

#[tokio::test]
async fn failures_become_per_item_errors_with_clear_messages() {
    let report = subset(&demo_report(), &["aws_kms_key.data"]);
    // Access denied.
    let server = FakeCloudTrail::start(Vec::new()).await;
    server.deny_all(true);
    let src = CloudTrailSource::new(live_opts(&server.url))
        .await
        .expect("source");
    let engine = Engine::new(Arc::new(src), &report, EngineOptions::default()).expect("engine");
    let a = engine.attribute(&report.items[0]).await;
    assert_eq!(a.status, AttributionStatus::Error);
    let m = a.message.unwrap_or_default();
    assert!(
        m.contains("access denied") && m.contains("cloudtrail:LookupEvents"),
        "{m}"
    );
    // Nothing listening.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let src = CloudTrailSource::new(live_opts(&url)).await.expect("source");
    let engine = Engine::new(Arc::new(src), &report, EngineOptions::default()).expect("engine");
    let a = engine.attribute(&report.items[0]).await;
    assert_eq!(a.status, AttributionStatus::Error);
    assert!(
        a.message
            .as_deref()
            .is_some_and(|m| m.contains("cannot reach CloudTrail")),
        "{a:?}"
    );
}

#[tokio::test]
async fn lake_answers_every_item_from_one_query() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let keys = [
        "aws_security_group.web",
        "aws_iam_role_policy.deploy",
        "backdoor-admin",
        "aws_kms_key.data",
    ];
    let report = subset(&demo_report(), &keys);
    let src = LakeSource::new(
        "arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/eds-demo",
        live_opts(&server.url),
    )
    .await
    .expect("lake");
    let engine = Engine::new(Arc::new(src), &report, EngineOptions::default()).expect("engine");
    engine.prepare(&report.items).await.expect("query runs");
    let results = engine.attribute_all(&report.items).await;
    check_story(&report, &results, &keys);
    let queries = server.queries();
    assert_eq!(queries.len(), 1, "one SQL query for all items");
    assert!(queries[0].contains("FROM eds-demo"), "{}", queries[0]);
    assert_eq!(server.lookup_requests(), 0);
}

#[tokio::test]
async fn the_service_streams_results_and_the_selected_item_jumps_the_queue() {
    let report = demo_report();
    let engine = Arc::new(archive_engine(&report));
    let (svc, mut rx) = AttributionService::start(engine);
    let last = report.items.last().expect("items").id.clone();
    svc.request_all(report.items.clone());
    svc.prioritize(&last);
    let mut loaded = Vec::new();
    let mut final_progress = None;
    while loaded.len() < report.items.len() {
        match tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("no stall")
        {
            Some(ServiceEvent::Loaded { item_id, attribution }) => {
                assert_eq!(item_id, attribution.item_id);
                loaded.push(item_id);
            }
            Some(ServiceEvent::Progress { done, total }) => final_progress = Some((done, total)),
            Some(ServiceEvent::Warning(w)) => panic!("unexpected warning {w}"),
            Some(ServiceEvent::Accounts(_) | ServiceEvent::Activity(_) | ServiceEvent::Note(_)) => {}
            None => break,
        }
    }
    assert_eq!(loaded.len(), 23);
    assert!(
        loaded.iter().position(|i| *i == last).expect("last loaded") < 6,
        "prioritised item came early: {loaded:?}"
    );
    // Drain the last progress message.
    while let Ok(Some(ev)) = tokio::time::timeout(std::time::Duration::from_millis(200), rx.recv()).await {
        if let ServiceEvent::Progress { done, total } = ev {
            final_progress = Some((done, total));
        }
    }
    assert_eq!(final_progress, Some((23, 23)));
    svc.cancel_pending();
}

#[tokio::test]
async fn filter_terms_and_group_by_actor_over_the_demo() {
    let report = demo_report();
    let results = archive_engine(&report).attribute_all(&report.items).await;
    let count = |t: &str| {
        results
            .iter()
            .filter(|a| filter_matches(t, a) == Some(true))
            .count()
    };
    assert_eq!(count("actor:jane"), 4);
    assert_eq!(count("tool:console"), 7);
    assert_eq!(count("oob:false"), 1);
    assert_eq!(count("oob:true"), 22);
    assert_eq!(
        count("actor:sam.okafor"),
        5,
        "source identity matches the human behind oncall-sre"
    );
    assert_eq!(
        filter_matches("severity:high", &results[0]),
        None,
        "not an attribution term"
    );
    let groups = group_by_actor(&results);
    let backdoor = groups
        .iter()
        .find(|g| g.label.starts_with("backdoor-admin"))
        .expect("group");
    assert_eq!(backdoor.item_ids.len(), 6);
    // jane's Friday and Saturday sessions use different keys but one role session name.
    assert!(
        groups
            .iter()
            .any(|g| g.label.starts_with("root") && g.item_ids.len() == 3)
    );
    assert_eq!(groups.iter().map(|g| g.item_ids.len()).sum::<usize>(), 23);
}

#[test]
fn actor_and_tool_resolution_table() {
    let sso = json!({"type":"AssumedRole","principalId":"AROARZ3Q4EXMPLSSOADM1:jane.doe@corp.example",
        "arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b/jane.doe@corp.example",
        "accountId":"111122223333","accessKeyId":"ASIARZ3Q4EXMPLJANE01",
        "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROARZ3Q4EXMPLSSOADM1",
            "arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b",
            "accountId":"111122223333","userName":"AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b"},
            "attributes":{"creationDate":"2026-11-20T22:31:05Z","mfaAuthenticated":"true"}}});
    let role = json!({"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/incident-responder/oncall-sre",
        "sessionContext":{"sessionIssuer":{"userName":"incident-responder","arn":"arn:aws:iam::111122223333:role/incident-responder"},
        "sourceIdentity":"sam.okafor@corp.example","attributes":{"mfaAuthenticated":"false"}}});
    let user = json!({"type":"IAMUser","principalId":"AIDARZ3Q4EXMPLBOB0042","arn":"arn:aws:iam::111122223333:user/bob",
        "accountId":"111122223333","accessKeyId":"AKIARZ3Q4EXMPLBOB042","userName":"bob"});
    let root = json!({"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","userName":"corp-prod"});
    let idc = json!({"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"94482488-3041-7026-18f3-be45837cd0e4",
        "identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"},"credentialId":"EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"});
    let svc = json!({"type":"AWSService","invokedBy":"autoscaling.amazonaws.com"});
    let via = json!({"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/platform-ingest/platform-ingest","invokedBy":"s3.amazonaws.com",
        "sessionContext":{"sessionIssuer":{"userName":"platform-ingest"}}});
    let cases: [(&Value, &str, &str, Option<&str>); 7] = [
        (
            &sso,
            "AssumedRole",
            "jane.doe@corp.example",
            Some("AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b"),
        ),
        (&role, "AssumedRole", "oncall-sre", Some("incident-responder")),
        (&user, "IAMUser", "bob", Some("bob")),
        (&root, "Root", "root", None),
        (
            &idc,
            "IdentityCenterUser",
            "94482488-3041-7026-18f3-be45837cd0e4",
            Some("94482488-3041-7026-18f3-be45837cd0e4"),
        ),
        (&svc, "AWSService", "autoscaling.amazonaws.com", None),
        (&via, "AssumedRole", "platform-ingest", Some("platform-ingest")),
    ];
    for (ui, kind, display, principal) in cases {
        let a = resolve_actor(ui);
        assert_eq!(
            (a.kind.as_str(), a.display.as_str(), a.principal.as_deref()),
            (kind, display, principal),
            "{ui}"
        );
    }
    assert_eq!(
        resolve_actor(&sso).permission_set.as_deref(),
        Some("AdministratorAccess")
    );
    assert_eq!(
        resolve_actor(&role).source_identity.as_deref(),
        Some("sam.okafor@corp.example")
    );
    assert!(mfa_of(&sso) && !mfa_of(&role) && !mfa_of(&user));

    let none = json!({});
    let tools: [(&str, &Value, bool, &str, Tool); 13] = [
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            &sso,
            false,
            "203.0.113.45",
            Tool::Console,
        ),
        (
            "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.432-b06]",
            &sso,
            true,
            "203.0.113.45",
            Tool::Console,
        ),
        (
            "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-49-generic md/command#ec2.authorize-security-group-ingress",
            &user,
            false,
            "198.51.100.23",
            Tool::AwsCli,
        ),
        (
            "aws-cli/2.15.30 Python/3.11.8 Windows/10 exe/AMD64 prompt/off command/s3api.put-public-access-block",
            &user,
            false,
            "192.0.2.77",
            Tool::AwsCli,
        ),
        (
            "[aws-cli/2.15.30 Python/3.11.8 Windows/10 exe/AMD64 prompt/off command/s3api.delete-bucket-policy]",
            &user,
            false,
            "192.0.2.77",
            Tool::AwsCli,
        ),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2",
            &role,
            false,
            "198.51.100.200",
            Tool::Terraform,
        ),
        (
            "APN/1.0 OpenTofu/1.8.5 terraform-provider-aws/5.70.0 aws-sdk-go-v2/1.32.2",
            &role,
            false,
            "198.51.100.200",
            Tool::Terraform,
        ),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.0 Pulumi/1.0 Pulumi-Aws/6.54.0 aws-sdk-go/1.50.36",
            &role,
            false,
            "198.51.100.200",
            Tool::Pulumi,
        ),
        (
            "cloudformation.amazonaws.com",
            &role,
            false,
            "cloudformation.amazonaws.com",
            Tool::Cloudformation,
        ),
        (
            "Boto3/1.35.64 md/Botocore#1.35.64 ua/2.0 os/linux#6.1.112 Botocore/1.35.64 runbook/incident-tools-0.9",
            &role,
            false,
            "198.51.100.61",
            Tool::Sdk,
        ),
        (
            "aws-sdk-go/1.44.201 (go1.20.4; linux; amd64)",
            &role,
            false,
            "10.40.3.14",
            Tool::Sdk,
        ),
        (
            "autoscaling.amazonaws.com",
            &svc,
            false,
            "autoscaling.amazonaws.com",
            Tool::AwsService,
        ),
        ("curl/8.5.0", &none, false, "198.51.100.9", Tool::Unknown),
    ];
    for (ua, ui, console, ip, want) in tools {
        assert_eq!(resolve_tool(Some(ua), ui, console, Some(ip)), want, "{ua}");
    }
    // Out-of-band: IaC tools and pipeline principals are in-band.
    let pipeline = PipelinePrincipals::new(&["incident-*".to_string()]).expect("globs");
    assert!(!out_of_band(
        Tool::Terraform,
        &resolve_actor(&user),
        &PipelinePrincipals::default()
    ));
    assert!(out_of_band(Tool::AwsCli, &resolve_actor(&user), &pipeline));
    assert!(!out_of_band(Tool::AwsCli, &resolve_actor(&role), &pipeline));
    let cfg = AttributionConfig::parse(
        "[attribution]\npipeline_principals = [\"terraform-ci\", \"arn:aws:iam::*:role/deploy-*\"]\n",
    )
    .expect("config");
    assert_eq!(cfg.pipeline_principals.len(), 2);
    assert!(AttributionConfig::parse("pipeline_principals = \"x\"").is_err());
}

#[tokio::test]
async fn pipeline_principals_make_a_role_in_band() {
    let report = subset(&demo_report(), &["aws_instance.web[0]"]);
    let src = ArchiveSource::open(&demo_dir().join("cloudtrail")).expect("demo archive");
    let mut opts = EngineOptions::default();
    opts.config.pipeline_principals = vec!["arn:aws:iam::*:role/incident-*".into()];
    let engine = Engine::new(Arc::new(src), &report, opts).expect("engine");
    let a = engine.attribute(&report.items[0]).await;
    assert_eq!(a.best.as_ref().map(|b| b.out_of_band), Some(false));
}

#[tokio::test]
async fn window_overrides_and_no_events() {
    let report = subset(&demo_report(), &["aws_security_group.web"]);
    let src = ArchiveSource::open(&demo_dir().join("cloudtrail")).expect("demo archive");
    let engine = Engine::new(
        Arc::new(src),
        &report,
        EngineOptions {
            since: Some("2026-11-21".into()),
            until: Some("2026-11-22T00:00:00Z".into()),
            ..EngineOptions::default()
        },
    )
    .expect("engine");
    let a = engine.attribute(&report.items[0]).await;
    assert_eq!(a.status, AttributionStatus::NoEvents);
    assert!(
        a.message
            .as_deref()
            .is_some_and(|m| m.contains("2026-11-21T00:00:00Z")),
        "{a:?}"
    );
    let src = ArchiveSource::open(&demo_dir().join("cloudtrail")).expect("demo archive");
    let bad = Engine::new(
        Arc::new(src),
        &report,
        EngineOptions {
            since: Some("last tuesday".into()),
            ..EngineOptions::default()
        },
    );
    assert!(bad.expect_err("bad time").to_string().contains("--since"));
}

#[test]
fn cli_attribute_prints_the_json_contract_for_the_demo() {
    let dir = demo_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .arg("attribute")
        .arg(dir.join("reports/terraform-plan.json"))
        .arg(dir.join("reports/driftctl-scan.json"))
        .arg(dir.join("reports/cloudformation-drift.json"))
        .arg("--cloudtrail-logs")
        .arg(dir.join("cloudtrail"))
        .args(["--format", "json"])
        .env("DRIFTDECK_CONFIG_DIR", tempfile::tempdir().expect("tmp").path())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let items = doc["items"].as_array().expect("items");
    assert_eq!(items.len(), 23);
    let t1 = items
        .iter()
        .find(|i| i["address"] == "aws_security_group.web")
        .expect("T1");
    let keys: Vec<&str> = t1.as_object().expect("obj").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["address", "best", "candidates", "denied", "message", "status"]
    );
    assert_eq!(t1["status"], "attributed");
    let best = &t1["best"];
    let mut bk: Vec<&str> = best
        .as_object()
        .expect("best")
        .keys()
        .map(String::as_str)
        .collect();
    bk.sort_unstable();
    assert_eq!(
        bk,
        [
            "actor",
            "confidence",
            "event_id",
            "event_name",
            "event_time",
            "matched",
            "mfa",
            "out_of_band",
            "region",
            "source_ip",
            "tool",
            "user_agent"
        ]
    );
    assert_eq!(best["event_name"], "AuthorizeSecurityGroupIngress");
    assert_eq!(best["event_time"], "2026-11-20T22:39:18Z");
    assert_eq!(best["actor"]["type"], "AssumedRole");
    assert_eq!(best["actor"]["display"], "jane.doe@corp.example");
    assert_eq!(best["tool"], "console");
    assert_eq!(best["confidence"], "high");
    assert_eq!(best["matched"], json!(["ingress"]));
    assert_eq!(t1["denied"][0]["error_code"], "Client.UnauthorizedOperation");
    // The table form.
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .arg("attribute")
        .arg(dir.join("reports/terraform-plan.json"))
        .arg("--cloudtrail-logs")
        .arg(dir.join("cloudtrail"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ADDRESS"), "{text}");
    assert!(text.contains("denied:"), "{text}");
    assert!(!text.contains("DEMO-CANARY"));
    assert_eq!(view::to_table(&[]).lines().count(), 1, "header only");
}

fn live_cli(url: &str, cache: &Path, with_keys: bool) -> std::process::Output {
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attribution/receipts-drift.json");
    let mut c = Command::new(env!("CARGO_BIN_EXE_driftdeck"));
    c.arg("attribute")
        .arg(fixture)
        .args(["--format", "json"])
        .env("AWS_ENDPOINT_URL_CLOUDTRAIL", url)
        // The item names its account: the default credentials' account is confirmed with STS.
        .env("AWS_ENDPOINT_URL_STS", url)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_CONFIG_FILE", cache.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", cache.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("DRIFTDECK_CACHE_DIR", cache)
        .env("DRIFTDECK_CONFIG_DIR", cache)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE");
    if with_keys {
        c.env("AWS_ACCESS_KEY_ID", "AKIDTESTTESTTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret");
    }
    c.output().expect("runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_live_reads_the_standard_environment_and_caches_on_disk() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let cache = tempfile::tempdir().expect("tmp");
    let (url, dir) = (server.url.clone(), cache.path().to_path_buf());
    let run = move || {
        let (url, dir) = (url.clone(), dir.clone());
        tokio::task::spawn_blocking(move || live_cli(&url, &dir, true))
    };
    let out = run().await.expect("join");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let item = &doc["items"][0];
    assert_eq!(item["status"], "attributed", "{doc}");
    assert_eq!(item["best"]["event_id"], "13d38b63-47e3-4c09-b70c-349f6dcb6633");
    assert_eq!(item["best"]["matched"], json!(["BucketEncryption"]));
    assert_eq!(
        server.lookup_requests(),
        1,
        "a ResourceName hit settles it in one request"
    );
    let again = run().await.expect("join");
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(server.lookup_requests(), 1, "reopening costs zero API calls");
    // Without credentials: a per-item error with a clear message, exit code 0.
    let (url, dir) = (
        server.url.clone(),
        tempfile::tempdir().expect("tmp").path().to_path_buf(),
    );
    let out = tokio::task::spawn_blocking(move || live_cli(&url, &dir, false))
        .await
        .expect("join");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["items"][0]["status"], "error", "{doc}");
    let msg = doc["items"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("credentials"), "{msg}");
    assert_eq!(
        server.lookup_requests(),
        1,
        "nothing unsigned reached the endpoint"
    );
}

fn sg_item(id: &str) -> (DriftReport, DriftItem) {
    let mut item = DriftItem::new(
        "sg-item".into(),
        "aws_security_group.x".into(),
        "aws_security_group".into(),
        "t.json",
        driftdeck::model::Format::TerraformPlan,
        driftdeck::model::Kind::Modified,
    );
    item.identity.insert("id".into(), id.into());
    item.region = Some("eu-west-1".into());
    item.changes.push(driftdeck::model::Change::plain(
        driftdeck::model::AttrPath::keys(["ingress"]),
        None,
        Some(json!([{"from_port": 22}])),
    ));
    let report = DriftReport {
        reports: vec![driftdeck::model::ReportMeta {
            path: "t.json".into(),
            format: driftdeck::model::Format::TerraformPlan,
            tool_version: None,
            timestamp: Some("2026-11-21T00:00:00Z".into()),
            sha256: String::new(),
            warnings: Vec::new(),
            incomplete: Vec::new(),
        }],
        items: vec![item.clone()],
        not_drift: driftdeck::model::NotDrift::default(),
        noise: Vec::new(),
    };
    (report, item)
}

#[tokio::test]
async fn corrections_supersede_originals_and_anonymous_calls_are_low_guesses() {
    let dir = tempfile::tempdir().expect("tmp");
    let day = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20");
    let original = record(
        "orig",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T10:00:00Z",
        "sg-0123456789abcdef0",
    );
    let mut fixed = record(
        "fixed",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T09:00:00Z",
        "sg-0123456789abcdef0",
    );
    fixed["addendum"] =
        json!({"reason": "UPDATED_DATA", "originalEventID": "orig", "updatedFields": "userIdentity"});
    fixed["userIdentity"]["userName"] = json!("carol");
    gz(
        &day.join("a.json.gz"),
        &json!({"Records": [original, fixed]}).to_string(),
    );
    let (report, item) = sg_item("sg-0123456789abcdef0");
    let engine = Engine::new(
        Arc::new(ArchiveSource::open(dir.path()).expect("open")),
        &report,
        EngineOptions::default(),
    )
    .expect("engine");
    let a = engine.attribute(&item).await;
    assert_eq!(
        a.best.as_ref().map(|b| b.event_id.as_str()),
        Some("fixed"),
        "{a:?}"
    );
    assert!(a.candidates.is_empty(), "the superseded original is gone: {a:?}");

    // A record with its parameters omitted cannot be tied to the resource: a low guess only.
    let dir = tempfile::tempdir().expect("tmp");
    let mut anon = record(
        "anon",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T10:00:00Z",
        "x",
    );
    anon["requestParameters"] = Value::Null;
    anon["responseElements"] = Value::Null;
    let other = record(
        "other",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T11:00:00Z",
        "sg-0fffffffffffffff0",
    );
    gz(
        &dir.path()
            .join("AWSLogs/1/CloudTrail/eu-west-1/2026/11/20/b.json.gz"),
        &json!({"Records": [anon, other]}).to_string(),
    );
    let engine = Engine::new(
        Arc::new(ArchiveSource::open(dir.path()).expect("open")),
        &report,
        EngineOptions::default(),
    )
    .expect("engine");
    let a = engine.attribute(&item).await;
    let best = a.best.expect("a guess");
    assert_eq!(
        (best.event_id.as_str(), best.confidence),
        ("anon", Confidence::Low)
    );
    assert!(
        a.candidates.is_empty(),
        "an event on another group is never a candidate"
    );
}

#[tokio::test]
async fn a_failed_item_can_be_requested_again_once_access_works() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    server.deny_all(true);
    let report = subset(&demo_report(), &["aws_kms_key.data"]);
    let src = CloudTrailSource::new(live_opts(&server.url))
        .await
        .expect("source");
    let engine = Arc::new(Engine::new(Arc::new(src), &report, EngineOptions::default()).expect("engine"));
    let (svc, mut rx) = AttributionService::start(engine);
    let mut next_loaded = async || loop {
        match tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("no stall")
        {
            Some(ServiceEvent::Loaded { attribution, .. }) => return attribution,
            Some(_) => {}
            None => panic!("service stopped"),
        }
    };
    svc.request_all(report.items.clone());
    let first = next_loaded().await;
    assert_eq!(first.status, AttributionStatus::Error);
    server.deny_all(false);
    svc.request_all(report.items.clone());
    let second = next_loaded().await;
    assert_eq!(second.status, AttributionStatus::Attributed, "{second:?}");
    assert_eq!(
        second.best.map(|b| b.event_id),
        Some("bafe9bd1-20c5-4152-9127-c47089bf36a2".to_string())
    );
}

#[tokio::test]
async fn hostile_cloudtrail_strings_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut r = record(
        "evil\u{1b}]0;x\u{7}",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T10:00:00Z",
        "sg-0123456789abcdef0",
    );
    r["userIdentity"]["userName"] = json!("mallory\u{1b}[2J\u{202e}");
    r["userAgent"] = json!("aws-cli/2.0 \u{1b}[31m");
    gz(
        &dir.path()
            .join("AWSLogs/1/CloudTrail/eu-west-1/2026/11/20/e.json.gz"),
        &json!({"Records": [r]}).to_string(),
    );
    let (report, item) = sg_item("sg-0123456789abcdef0");
    let engine = Engine::new(
        Arc::new(ArchiveSource::open(dir.path()).expect("open")),
        &report,
        EngineOptions::default(),
    )
    .expect("engine");
    let a = engine.attribute(&item).await;
    assert_eq!(a.status, AttributionStatus::Attributed);
    let table = view::to_table(std::slice::from_ref(&a));
    let pane: String = view::details(&a).into_iter().map(|(_, v)| v).collect();
    for text in [&table, &pane] {
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        assert!(!text.contains('\u{202e}'));
    }
    assert!(table.contains("mallory\\u{1b}[2J"), "{table}");
    let groups = group_by_actor(std::slice::from_ref(&a));
    assert!(!groups[0].label.chars().any(char::is_control));
}

// ---- CloudTrail exports as people have them, and a hardened archive reader ----

use driftdeck::attribution::archive::{ArchiveOptions, ReadError, events_from_bytes};

fn exports_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attribution/exports")
}

const SYNTHETIC_INSTANCE_CALL: &str = "ModifyInstanceAttribute";

#[test]
fn every_export_shape_is_read_from_one_mixed_directory() {
    let src = ArchiveSource::open(&exports_dir()).expect("exports open");
    // S3 log file, NDJSON, NDJSON.gz, lookup-events output, bare event; the digest file and
    // make_exports.py are not read.
    assert_eq!(src.file_count(), 5);
    let by_name = |n: &str| {
        src.events()
            .iter()
            .filter(|e| e.event_name == n)
            .collect::<Vec<_>>()
    };
    // {"Records"} in .json.gz: the mutating call and the denied attempt; the Describe is dropped.
    assert_eq!(
        by_name("AuthorizeSecurityGroupIngress").len(),
        1,
        "delivered twice, kept once"
    );
    assert!(by_name("RevokeSecurityGroupIngress")[0].error_code.is_some());
    assert!(
        by_name("DescribeSecurityGroups").is_empty(),
        "read-only calls are dropped"
    );
    // Saved lookup-events output: CloudTrailEvent decoded, Resources merged.
    let role = by_name("UpdateAssumeRolePolicy");
    assert_eq!(role.len(), 1);
    assert_eq!(role[0].event_id, "5d4c3b2a-1908-4e7f-8a6b-5c4d3e2f1a09");
    assert_eq!(role[0].region, "us-east-1");
    assert!(role[0].names_resource("platform-ci"));
    assert_eq!(role[0].request_parameters["roleName"], "platform-ci");
    // One bare event per file.
    assert_eq!(by_name("UpdateFunctionConfiguration20150331v2").len(), 1);
    // SIEM NDJSON: no eventID → a stable synthetic id; moved fields → unknown, event kept;
    // readOnly "true" as a string → dropped; the .jsonl.gz replay of the same line collapses.
    let inst = by_name(SYNTHETIC_INSTANCE_CALL);
    assert_eq!(inst.len(), 1, "{inst:?}");
    assert!(inst[0].event_id_synthetic);
    assert!(inst[0].event_id.starts_with("synthetic-"), "{}", inst[0].event_id);
    assert_eq!(inst[0].source_ip, None);
    assert_eq!(inst[0].user_agent, None);
    assert_eq!(
        inst[0].event_time, 1_795_257_464,
        "milliseconds in eventTime are read"
    );
    assert!(by_name("GetBucketPolicy").is_empty());
    assert_eq!(src.duplicate_count(), 2);
    // The id is the same on every open (stable), and serialised with the flag.
    let again = ArchiveSource::open(&exports_dir()).expect("again");
    let inst2 = again
        .events()
        .iter()
        .find(|e| e.event_name == SYNTHETIC_INSTANCE_CALL)
        .expect("inst");
    assert_eq!(inst2.event_id, inst[0].event_id);
    let ser = serde_json::to_value(inst[0]).expect("ser");
    assert_eq!(ser["event_id_synthetic"], true);
    let plain = serde_json::to_value(role[0]).expect("ser");
    assert!(
        plain.get("event_id_synthetic").is_none(),
        "only marked when synthetic"
    );
    // The digest file is skipped quietly: one summary line with its count, nothing else.
    assert_eq!(src.skipped().digest_files, 1);
    let w = src.take_warnings();
    assert_eq!(w, vec!["skipped 1 digest file".to_string()]);
}

#[test]
fn synthetic_ids_ignore_key_order_and_collapse_duplicates() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = r#"{"eventName":"CreateTags","eventTime":"2026-11-20T10:00:00Z","awsRegion":"eu-west-1","requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-1"}]},"tagSet":{}}}"#;
    let b = r#"{"requestParameters":{"tagSet":{},"resourcesSet":{"items":[{"resourceId":"i-1"}]}},"awsRegion":"eu-west-1","eventTime":"2026-11-20T10:00:00Z","eventName":"CreateTags"}"#;
    std::fs::write(dir.path().join("a.json"), a).expect("w");
    std::fs::write(dir.path().join("b.jsonl"), format!("{b}\n")).expect("w");
    let src = ArchiveSource::open(dir.path()).expect("open");
    assert_eq!(src.events().len(), 1);
    assert_eq!(src.duplicate_count(), 1);
    assert!(src.events()[0].event_id_synthetic);
    assert!(src.take_warnings().is_empty(), "nothing skipped, nothing said");
}

#[tokio::test]
async fn attribute_json_marks_synthetic_ids_and_the_cli_prints_one_skip_line() {
    // Library path (the same function `attribute --format json` prints).
    let report = {
        let taxonomy = Taxonomy::defaults().expect("taxonomy");
        let plan = demo_dir().join("reports/terraform-plan.json");
        driftdeck::ingest::load_paths(&[plan.to_string_lossy().into_owned()], &taxonomy).expect("plan")
    };
    let engine = Engine::new(
        Arc::new(ArchiveSource::open(&exports_dir()).expect("open")),
        &report,
        EngineOptions::default(),
    )
    .expect("engine");
    let results = engine.attribute_all(&report.items).await;
    let doc = view::to_json(&results);
    let item = |addr: &str| {
        doc["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["address"] == addr)
            .cloned()
            .expect("item")
    };
    let web0 = item("aws_instance.web[0]");
    assert_eq!(web0["status"], "attributed", "{web0}");
    // The detail pane says the id is synthetic and offers no console link for it.
    let a0 = results
        .iter()
        .find(|a| a.address == "aws_instance.web[0]")
        .expect("web0");
    let rows = view::details(a0);
    let id_row = rows.iter().find(|(k, _)| *k == "event id").expect("id row");
    assert!(
        id_row.1.ends_with("(synthetic: the record has no eventID)"),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|(k, _)| *k == "link"), "{rows:?}");
    // The journal's evidence keeps the mark (and writes nothing extra for real ids).
    let ev = driftdeck::decide::AttributionSummary::of(a0).expect("summary");
    assert_eq!(
        serde_json::to_value(&ev).expect("ser")["event_id_synthetic"],
        true
    );
    let sg_rows = view::details(
        results
            .iter()
            .find(|a| a.address == "aws_security_group.web")
            .expect("sg"),
    );
    assert!(sg_rows.iter().any(|(k, _)| *k == "link"));
    assert_eq!(web0["best"]["event_name"], SYNTHETIC_INSTANCE_CALL);
    assert_eq!(web0["best"]["event_id_synthetic"], true);
    assert_eq!(
        web0["best"]["source_ip"],
        Value::Null,
        "moved field shown as unknown"
    );
    let sg = item("aws_security_group.web");
    assert_eq!(sg["best"]["event_id"], "3b7f4c2e-91a6-4d0b-8e5f-2c6a9d1b7e40");
    assert!(sg["best"].get("event_id_synthetic").is_none());
    assert_eq!(sg["denied"][0]["error_code"], "Client.UnauthorizedOperation");
    assert_eq!(
        item("aws_iam_role.ci")["best"]["event_name"],
        "UpdateAssumeRolePolicy"
    );
    assert_eq!(
        item("aws_lambda_function.ingest")["best"]["event_name"],
        "UpdateFunctionConfiguration20150331v2"
    );
    // The binary: same JSON, and the skip summary on stderr as one line.
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .arg("attribute")
        .arg(demo_dir().join("reports/terraform-plan.json"))
        .arg("--cloudtrail-logs")
        .arg(exports_dir())
        .args(["--format", "json"])
        .env("DRIFTDECK_CONFIG_DIR", tempfile::tempdir().expect("tmp").path())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let web0 = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["address"] == "aws_instance.web[0]")
        .expect("web0");
    assert_eq!(web0["best"]["event_id_synthetic"], true);
    let err = String::from_utf8_lossy(&out.stderr);
    let skip_lines: Vec<&str> = err.lines().filter(|l| l.contains("skipped")).collect();
    assert_eq!(skip_lines, ["driftdeck: warning: skipped 1 digest file"], "{err}");
}

/// A gzip member whose text is a valid log file padded with `pad` bytes of whitespace: a few
/// KiB on disk, `pad` bytes once expanded.
fn gzip_bomb(pad: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
    let head = json!({"Records": [record("bomb-1", "AuthorizeSecurityGroupIngress", "2026-11-20T10:00:00Z", "sg-0123456789abcdef0")]})
        .to_string();
    // Whitespace inside the array, after the first record: valid JSON all the way.
    let (open, close) = head.split_at(head.len() - 2);
    e.write_all(open.as_bytes()).expect("w");
    let chunk = vec![b' '; 1 << 20];
    let mut left = pad;
    while left > 0 {
        let n = left.min(chunk.len());
        e.write_all(&chunk[..n]).expect("w");
        left -= n;
    }
    e.write_all(close.as_bytes()).expect("w");
    e.finish().expect("finish");
    out
}

#[test]
fn a_gzip_bomb_is_cut_off_at_the_configured_limit_and_skipped() {
    let bomb = gzip_bomb(64 << 20); // 64 MiB of text
    assert!(bomb.len() < 512 << 10, "a small file on disk: {}", bomb.len());
    let low = ArchiveOptions {
        max_file_bytes: 1 << 20,
    };
    let started = std::time::Instant::now();
    let err = events_from_bytes(&bomb, "x.json.gz", low).expect_err("over the limit");
    assert_eq!(err, ReadError::TooLarge { limit: 1 << 20 });
    assert!(err.to_string().contains("1 MiB"), "{err}");
    // Only the first MiB was expanded: far quicker than inflating 64 MiB.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Under a limit above its size, the same file is fine.
    let ok = events_from_bytes(
        &bomb,
        "x.json.gz",
        ArchiveOptions {
            max_file_bytes: 65 << 20,
        },
    )
    .expect("fits");
    assert_eq!(ok.events.len(), 1);

    // In a directory: the bomb is skipped whole (its leading record is not kept), named in the
    // summary, and the good file beside it is read.
    let dir = tempfile::tempdir().expect("tmp");
    let day = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20");
    std::fs::create_dir_all(&day).expect("mkdir");
    std::fs::write(day.join("bomb.json.gz"), &bomb).expect("w");
    gz(
        &day.join("good.json.gz"),
        &json!({"Records": [record("good-1", "AuthorizeSecurityGroupIngress", "2026-11-20T11:00:00Z", "sg-0123456789abcdef0")]})
            .to_string(),
    );
    let src = ArchiveSource::open_with(dir.path(), low).expect("open");
    let ids: Vec<&str> = src.events().iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["good-1"]);
    assert_eq!(src.skipped().too_large.len(), 1);
    let w = src.take_warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("1 file over the per-file size limit") && w[0].contains("bomb.json.gz"),
        "{w:?}"
    );
    assert!(
        w[0].contains("archive_max_file_mib"),
        "says how to raise it: {w:?}"
    );

    // The binary reads the limit from config.toml.
    let cfg = tempfile::tempdir().expect("cfg");
    std::fs::write(
        cfg.path().join("config.toml"),
        "[attribution]\narchive_max_file_mib = 1\n",
    )
    .expect("w");
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .arg("attribute")
        .arg(demo_dir().join("reports/terraform-plan.json"))
        .arg("--cloudtrail-logs")
        .arg(dir.path())
        .args(["--format", "json"])
        .env("DRIFTDECK_CONFIG_DIR", cfg.path())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bomb.json.gz"), "{err}");
    // A bad limit is a clear error naming the file and the key.
    std::fs::write(
        cfg.path().join("config.toml"),
        "[attribution]\narchive_max_file_mib = 0\n",
    )
    .expect("w");
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .arg("attribute")
        .arg(demo_dir().join("reports/terraform-plan.json"))
        .arg("--cloudtrail-logs")
        .arg(dir.path())
        .env("DRIFTDECK_CONFIG_DIR", cfg.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml") && err.contains("archive_max_file_mib"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_end_and_each_folder_is_read_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().to_path_buf();
    let day = root.join("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20");
    gz(
        &day.join("a.json.gz"),
        &json!({"Records": [record("loop-1", "AuthorizeSecurityGroupIngress", "2026-11-20T10:00:00Z", "sg-0123456789abcdef0")]})
            .to_string(),
    );
    // Loop 1: a folder linking to its own ancestor. Loop 2: two folders linking to each other.
    symlink(&root, day.join("up")).expect("link");
    std::fs::create_dir_all(root.join("x")).expect("mkdir");
    std::fs::create_dir_all(root.join("y")).expect("mkdir");
    symlink(root.join("y"), root.join("x/to-y")).expect("link");
    symlink(root.join("x"), root.join("y/to-x")).expect("link");
    // A dangling link named like a log, and a link to a real log file (read like the file).
    symlink(root.join("nowhere.json"), root.join("dangling.json")).expect("link");
    symlink(day.join("a.json.gz"), root.join("x/linked.json.gz")).expect("link");
    // A FIFO named like a log would block a reader forever: never opened.
    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("pipe.json"))
        .status();
    let have_fifo = fifo.is_ok_and(|s| s.success());

    let (tx, rx) = std::sync::mpsc::channel();
    let r = root.clone();
    std::thread::spawn(move || {
        let _ = tx.send(ArchiveSource::open(&r).map(|s| {
            (
                s.events().len(),
                s.duplicate_count(),
                s.skipped().clone(),
                s.take_warnings(),
            )
        }));
    });
    let (events, dupes, skipped, warnings) = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the walk ends (no hang on link loops)")
        .expect("opens");
    assert_eq!(events, 1);
    assert_eq!(dupes, 1, "the linked file is the same delivery");
    assert!(skipped.revisited_dirs >= 2, "{skipped:?}");
    assert_eq!(skipped.not_regular, usize::from(have_fifo));
    assert!(
        skipped.unreadable.iter().any(|(f, _)| f == "dangling.json"),
        "{skipped:?}"
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("reached again through a link"),
        "{warnings:?}"
    );
}

#[test]
fn each_shape_from_bytes_and_bad_input_is_a_clear_error() {
    let o = ArchiveOptions::default();
    let r1 = record(
        "r-1",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T10:00:00Z",
        "sg-1",
    );
    let r2 = record(
        "r-2",
        "RevokeSecurityGroupIngress",
        "2026-11-20T11:00:00Z",
        "sg-1",
    );
    let ids = |p: &driftdeck::attribution::archive::ParsedExport| -> Vec<String> {
        p.events.iter().map(|e| e.event_id.clone()).collect()
    };
    // Records, plain and gzipped.
    let doc = json!({"Records": [r1, r2]}).to_string();
    assert_eq!(
        ids(&events_from_bytes(doc.as_bytes(), "f.json", o).expect("records")),
        ["r-1", "r-2"]
    );
    let mut gzd = Vec::new();
    {
        let mut e = flate2::write::GzEncoder::new(&mut gzd, flate2::Compression::default());
        e.write_all(doc.as_bytes()).expect("w");
        e.finish().expect("f");
    }
    assert_eq!(
        events_from_bytes(&gzd, "f.json.gz", o).expect("gz").events.len(),
        2
    );
    // A bare event, and a JSON array of events.
    let bare = serde_json::to_string_pretty(&r1).expect("s");
    assert_eq!(
        ids(&events_from_bytes(bare.as_bytes(), "e.json", o).expect("bare")),
        ["r-1"]
    );
    let arr = json!([r1, r2]).to_string();
    assert_eq!(
        events_from_bytes(arr.as_bytes(), "a.json", o)
            .expect("array")
            .events
            .len(),
        2
    );
    // NDJSON: a bad line is counted with its line number and the rest is read.
    let nd = format!("{r1}\n{{\"eventName\": oops}}\n\n{r2}\n{{\"eventName\":\"X\"}}\n");
    let p = events_from_bytes(nd.as_bytes(), "siem.ndjson", o).expect("ndjson");
    assert_eq!(ids(&p), ["r-1", "r-2"]);
    assert_eq!(p.bad_count, 2);
    assert!(p.bad[0].starts_with("line 2: expected value"), "{:?}", p.bad);
    assert_eq!(p.bad[1], "line 5: no readable eventTime");
    // NDJSON named .json (SIEM exports do this): values one after the other.
    assert_eq!(
        events_from_bytes(format!("{r1}\n{r2}\n").as_bytes(), "siem.json", o)
            .expect("concat")
            .events
            .len(),
        2
    );
    // lookup-events output with NextToken; EventTime as the CLI prints it or as epoch seconds.
    let mut no_time = r2.clone();
    no_time.as_object_mut().expect("obj").remove("eventTime");
    let le = json!({"Events": [
        {"EventId": "r-1", "EventName": "AuthorizeSecurityGroupIngress", "ReadOnly": "false",
         "EventTime": "2026-11-20T10:00:00+00:00", "CloudTrailEvent": r1.to_string(),
         "Resources": [{"ResourceType": "AWS::EC2::SecurityGroup", "ResourceName": "sg-1"}]},
        {"EventId": "r-2", "EventTime": 1_795_172_400, "CloudTrailEvent": no_time.to_string()},
        {"EventId": "r-3", "CloudTrailEvent": "{not json"}
    ], "NextToken": "abc"});
    let p = events_from_bytes(le.to_string().as_bytes(), "le.json", o).expect("lookup");
    assert_eq!(ids(&p), ["r-1", "r-2"]);
    assert!(p.events[0].names_resource("sg-1"));
    assert_eq!(p.events[1].event_time, 1_795_172_400);
    assert_eq!(p.bad_count, 1);
    assert!(
        p.bad[0].starts_with("record 3: CloudTrailEvent is not a JSON record"),
        "{:?}",
        p.bad
    );
    // Clear errors for what is not an export.
    let e = events_from_bytes(b"{\"foo\": 1}", "o.json", o).expect_err("not an export");
    assert!(
        e.to_string().contains("not a CloudTrail export") && e.to_string().contains("foo"),
        "{e}"
    );
    assert_eq!(
        events_from_bytes(b"plain", "p.json.gz", o).expect_err("not gzip"),
        ReadError::NotGzip
    );
    assert_eq!(
        events_from_bytes(b"  \n", "w.json", o).expect_err("empty"),
        ReadError::Empty
    );
    let e = events_from_bytes(b"{\"Records\": [ not json", "j.json", o).expect_err("junk");
    assert!(matches!(e, ReadError::Syntax { line: 1, .. }), "{e:?}");
    // A truncated gzip: an I/O error after the records before the cut.
    let e = events_from_bytes(&gzd[..gzd.len() - 10], "t.json.gz", o).expect_err("truncated");
    assert!(matches!(e, ReadError::Io(_) | ReadError::Syntax { .. }), "{e:?}");
}

#[test]
fn no_input_bytes_make_the_reader_panic() {
    // A cheap deterministic stand-in for the fuzz target: every prefix of every fixture shape,
    // and byte flips through them, read under every name hint.
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for f in [
        "cli/lookup-events-platform-ci.json",
        "single/lambda-update-2026-11-21.json",
        "siem/cloudtrail-2026-11-21.ndjson",
        "siem/cloudtrail-2026-11-21-replay.jsonl.gz",
    ] {
        inputs.push(std::fs::read(exports_dir().join(f)).expect("fixture"));
    }
    let small = ArchiveOptions { max_file_bytes: 4096 };
    let mut seed = 0x9e37_79b9_u32;
    for input in &inputs {
        let step = (input.len() / 97).max(1);
        for cut in (0..input.len()).step_by(step) {
            let mut flipped = input.clone();
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let at = seed as usize % flipped.len();
            flipped[at] ^= (seed >> 8) as u8 | 1;
            for bytes in [&input[..cut], &flipped[..]] {
                for name in ["x.json", "x.json.gz", "x.ndjson", "x.jsonl.gz"] {
                    let _ = events_from_bytes(bytes, name, ArchiveOptions::default());
                    let _ = events_from_bytes(bytes, name, small);
                }
            }
        }
    }
    // Deep nesting stops at serde_json's recursion limit instead of overflowing the stack.
    let deep = "[".repeat(100_000);
    assert!(events_from_bytes(deep.as_bytes(), "d.json", ArchiveOptions::default()).is_err());
}

#[tokio::test]
async fn unreadable_files_are_counted_in_one_line_with_their_line_numbers() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = record(
        "g-1",
        "AuthorizeSecurityGroupIngress",
        "2026-11-20T10:00:00Z",
        "sg-0123456789abcdef0",
    );
    std::fs::write(
        dir.path().join("good.json"),
        json!({"Records": [good]}).to_string(),
    )
    .expect("w");
    std::fs::write(dir.path().join("a.json"), "{\n \"Records\": [\n  {},\n  oops\n]}").expect("w");
    std::fs::write(
        dir.path().join("b.ndjson"),
        "{\"eventID\":\"n\",\"eventName\":\"X\"}\n",
    )
    .expect("w");
    std::fs::write(dir.path().join("notes.txt"), "not a log").expect("w");
    let digest = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/20");
    for i in 0..3 {
        gz(
            &digest.join(format!(
                "111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20261120T22{i}512Z.json.gz"
            )),
            "{}",
        );
    }
    let src = ArchiveSource::open(dir.path()).expect("open");
    let w = src.take_warnings();
    assert_eq!(w.len(), 1, "one line: {w:?}");
    let line = &w[0];
    assert!(
        line.starts_with("skipped 3 digest files; 1 unreadable file: a.json (line 4: expected value)"),
        "{line}"
    );
    assert!(line.contains("2 records that are not events: a.json (record 1: no eventName), b.ndjson (line 1: no readable eventTime)"), "{line}");
    assert!(!line.contains("notes.txt"), "other names are not logs: {line}");
    assert_eq!(src.events().len(), 1);
    assert!(src.take_warnings().is_empty(), "said once");
    // An export folder holding only digests says so.
    let only = tempfile::tempdir().expect("tmp");
    gz(&only.path().join("CloudTrail-Digest/x.json.gz"), "{}");
    let err = ArchiveSource::open(only.path()).expect_err("no logs");
    assert!(err.to_string().contains("only 1 digest file"), "{err}");
}

#[tokio::test]
async fn the_skip_line_reaches_the_tui_through_the_service_warning() {
    let report = demo_report();
    let engine = Arc::new(
        Engine::new(
            Arc::new(ArchiveSource::open(&exports_dir()).expect("open")),
            &report,
            EngineOptions::default(),
        )
        .expect("engine"),
    );
    let (svc, mut rx) = AttributionService::start(engine);
    svc.request_all(report.items.clone());
    let mut warnings = Vec::new();
    let mut loaded = 0;
    while loaded < report.items.len() {
        match tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("no stall")
        {
            Some(ServiceEvent::Loaded { .. }) => loaded += 1,
            Some(ServiceEvent::Warning(w)) => warnings.push(w),
            Some(
                ServiceEvent::Progress { .. }
                | ServiceEvent::Accounts(_)
                | ServiceEvent::Activity(_)
                | ServiceEvent::Note(_),
            ) => {}
            None => break,
        }
    }
    assert_eq!(warnings, ["skipped 1 digest file"], "once, as one line");
    svc.cancel_pending();
}

/// A `DeleteBucketEncryption` on `audit-logs-<account>` recorded in `account`.
fn bucket_encryption_event(account: &str, id: &str, user: &str) -> Value {
    let bucket = format!("audit-logs-{account}");
    json!({
        "eventVersion": "1.10", "eventID": id, "eventName": "DeleteBucketEncryption",
        "eventTime": "2026-11-21T10:31:26Z", "eventSource": "s3.amazonaws.com", "awsRegion": "eu-west-1",
        "recipientAccountId": account, "readOnly": false, "eventType": "AwsApiCall",
        "userIdentity": {"type": "IAMUser", "userName": user, "accountId": account,
            "arn": format!("arn:aws:iam::{account}:user/{user}"), "principalId": "AIDATEST"},
        "userAgent": "aws-cli/2.22.4 md/command#s3api.delete-bucket-encryption", "sourceIPAddress": "198.51.100.23",
        "requestParameters": {"bucketName": bucket, "encryption": ""}, "responseElements": null,
        "resources": [{"ARN": format!("arn:aws:s3:::{bucket}"), "accountId": account, "type": "AWS::S3::Bucket"}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_account_is_looked_up_with_its_own_credentials_and_unmapped_ones_are_named() {
    let records = vec![
        bucket_encryption_event("111122223333", "ev-acct-a", "alice"),
        bucket_encryption_event("444455556666", "ev-acct-b", "bruno"),
        bucket_encryption_event("777788889999", "ev-acct-c", "carol"),
    ];
    let server = FakeCloudTrail::start(records).await;
    // The default credentials act in a fourth account; each mapping reaches its own.
    server.bind_key("AKIDDEFAULT", "555566667777");
    server.bind_key("AKIDACCOUNTA", "111122223333");
    server.bind_key("AKIDSECURITY", "555566667777");
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("aws-config"),
        "[profile acct-a]\nregion = eu-west-1\n[profile sso-security]\nregion = eu-west-1\n",
    )
    .expect("config");
    std::fs::write(
        dir.path().join("aws-credentials"),
        "[acct-a]\naws_access_key_id = AKIDACCOUNTA\naws_secret_access_key = secret-a\n\
[sso-security]\naws_access_key_id = AKIDSECURITY\naws_secret_access_key = secret-s\n",
    )
    .expect("credentials");
    std::fs::write(
        dir.path().join("config.toml"),
        "[attribution.accounts]\n\"444455556666\" = { role_arn = \"arn:aws:iam::444455556666:role/driftdeck-readonly\", source_profile = \"sso-security\" }\n",
    )
    .expect("config.toml");
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/attribution/multi-account-drift.json");
    let (url, path) = (server.url.clone(), dir.path().to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_driftdeck"))
            .arg("attribute")
            .arg(fixture)
            .args(["--format", "json", "--account-profile", "111122223333=acct-a"])
            .env("AWS_ENDPOINT_URL", &url)
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_CONFIG_FILE", path.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", path.join("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "AKIDDEFAULT")
            .env("AWS_SECRET_ACCESS_KEY", "secret-default")
            .env("DRIFTDECK_CACHE_DIR", path.join("cache"))
            .env("DRIFTDECK_CONFIG_DIR", &path)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_ENDPOINT_URL_CLOUDTRAIL")
            .output()
            .expect("runs")
    })
    .await
    .expect("join");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let by_account = |a: &str| {
        doc["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| {
                i["address"]
                    .as_str()
                    .is_some_and(|s| s.contains(&format!("audit-logs-{a}")) || s.contains(a))
            })
            .cloned()
            .unwrap_or_else(|| panic!("no item of {a} in {doc}"))
    };
    let a = by_account("payments-prod");
    assert_eq!(a["status"], "attributed", "{doc}");
    assert_eq!(a["best"]["event_id"], "ev-acct-a");
    let b = by_account("security-tooling");
    assert_eq!(b["status"], "attributed", "{doc}");
    assert_eq!(b["best"]["event_id"], "ev-acct-b");
    let c = by_account("sandbox");
    assert_eq!(
        c["status"], "error",
        "never a silent no_events from the wrong account: {doc}"
    );
    let msg = c["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("777788889999") && msg.contains("--account-profile 777788889999=PROFILE"),
        "{msg}"
    );
    assert!(
        msg.contains("555566667777"),
        "names the default credentials' account: {msg}"
    );
    let calls = server.calls();
    let keys_of = |op: &str| -> Vec<String> {
        calls
            .iter()
            .filter(|(_, o)| o == op)
            .map(|(k, _)| k.clone())
            .collect()
    };
    let lookups = keys_of("LookupEvents");
    assert!(lookups.contains(&"AKIDACCOUNTA".to_string()), "{calls:?}");
    assert!(
        lookups.contains(&"ASIA444455556666ROLE".to_string()),
        "the assumed role's keys: {calls:?}"
    );
    assert!(
        !lookups.contains(&"AKIDDEFAULT".to_string()),
        "nothing looked up in the wrong account: {calls:?}"
    );
    assert_eq!(
        keys_of("AssumeRole"),
        vec!["AKIDSECURITY".to_string()],
        "one cached role session"
    );
    assert_eq!(
        keys_of("GetCallerIdentity"),
        vec!["AKIDDEFAULT".to_string()],
        "asked once"
    );
    assert_eq!(
        server.assumed_roles(),
        vec!["arn:aws:iam::444455556666:role/driftdeck-readonly".to_string()]
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("secret"),
        "no secret printed"
    );
}

async fn athena_source(url: &str) -> driftdeck::attribution::athena::AthenaSource {
    use driftdeck::attribution::athena::{AthenaOptions, AthenaSource};
    let mut opts = AthenaOptions::new("cloudtrail.org_trail");
    opts.output = Some("s3://athena-results/driftdeck/".into());
    AthenaSource::new(opts, live_opts(url))
        .await
        .expect("athena source")
        .with_poll_interval(std::time::Duration::from_millis(5))
        .with_page_size(7)
}

#[tokio::test]
async fn athena_answers_like_lookup_events_in_one_partitioned_query_and_caches() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let keys = [
        "aws_security_group.web",
        "aws_iam_role_policy.deploy",
        "module.app[\"eu\"].aws_s3_bucket_server_side_encryption_configuration.data",
        "sgrule-950722393",
        "backdoor-admin",
        "aws_kms_key.data",
    ];
    let report = subset(&demo_report(), &keys);
    let live = Engine::new(
        Arc::new(CloudTrailSource::new(live_opts(&server.url)).await.expect("live")),
        &report,
        EngineOptions::default(),
    )
    .expect("engine");
    let expected = live.attribute_all(&report.items).await;
    let cache_dir = tempfile::tempdir().expect("tmp");
    let run = || async {
        let engine = Engine::new(
            Arc::new(athena_source(&server.url).await),
            &report,
            EngineOptions {
                cache: Some(Cache::new(cache_dir.path())),
                ..EngineOptions::default()
            },
        )
        .expect("engine");
        engine.prepare(&report.items).await.expect("query runs");
        let notes = engine.take_notes();
        (engine.attribute_all(&report.items).await, notes)
    };
    let (results, notes) = run().await;
    for (a, l) in results.iter().zip(&expected) {
        // The same cause, status and denied attempts as LookupEvents; Athena may list more
        // context, because it also finds names inside requestParameters/responseElements.
        assert_eq!(
            (a.status, &a.best, &a.denied),
            (l.status, &l.best, &l.denied),
            "{}",
            a.address
        );
        for c in &l.candidates {
            assert!(a.candidates.contains(c), "{}: {} missing", a.address, c.event_id);
        }
    }
    check_story(&report, &results, &keys);
    let queries = server.athena_queries();
    assert_eq!(queries.len(), 1, "one query for the whole report");
    let q = &queries[0];
    assert_eq!(
        (q.workgroup.as_str(), q.database.as_str()),
        ("primary", "cloudtrail")
    );
    assert_eq!(q.output.as_deref(), Some("s3://athena-results/driftdeck/"));
    assert!(q.sql.contains("FROM \"cloudtrail\".\"org_trail\""), "{}", q.sql);
    assert_eq!(
        support::predicate(&q.sql, "account IN ("),
        Some(vec!["111122223333".to_string()])
    );
    let regions = support::predicate(&q.sql, "region IN (").expect("region predicate");
    assert!(
        regions.contains(&"eu-west-1".to_string()) && regions.contains(&"us-east-1".to_string()),
        "{regions:?}"
    );
    assert!(q.sql.contains("date BETWEEN '2026/"), "{}", q.sql);
    assert!(q.sql.contains("eventsource IN ("), "{}", q.sql);
    assert!(
        notes.iter().any(|n| n.contains("scanned") && n.contains('$')),
        "{notes:?}"
    );
    // Reopening: everything comes from the cache, no query at all.
    let (again, _) = run().await;
    assert_eq!(again, results);
    assert_eq!(
        server.athena_queries().len(),
        1,
        "a reopened report costs zero queries"
    );
}

#[tokio::test]
async fn athena_literals_arrive_exactly_and_failures_and_cancel_are_reported() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let (mut report, mut item) = sg_item("sg-0a1b2c3d4e5f60718");
    let hostile = "o'brien -- ');DROP TABLE x;--\n\u{202e}";
    item.identity.insert("name".into(), hostile.into());
    item.identity.insert("id".into(), "it's -- fine".into());
    item.account = Some("111122223333".into());
    report.items = vec![item.clone()];
    let engine = Engine::new(
        Arc::new(athena_source(&server.url).await),
        &report,
        EngineOptions::default(),
    )
    .expect("engine");
    engine.prepare(&report.items).await.expect("runs");
    let sql = server.athena_queries()[0].sql.clone();
    let names = support::predicate(&sql, "r.arn IN (").expect("resource predicate");
    assert!(
        names.contains(&"it's -- fine".to_string()),
        "{names:?} from {sql}"
    );
    assert!(names.contains(&hostile.to_string()), "{names:?} from {sql}");
    assert!(
        !sql.contains('\n'),
        "control characters are escaped, not embedded"
    );
    // A failed query is a per-run error with the AWS reason.
    server.athena_fail_next("Access denied when writing output to url: s3://athena-results/driftdeck/");
    let engine = Engine::new(
        Arc::new(athena_source(&server.url).await),
        &report,
        EngineOptions::default(),
    )
    .expect("engine");
    let err = engine.prepare(&report.items).await.expect_err("fails");
    assert!(
        err.to_string().contains("Access denied when writing output"),
        "{err}"
    );
    // Cancel while running sends StopQueryExecution.
    server.athena_hold(true);
    let engine = Arc::new(
        Engine::new(
            Arc::new(athena_source(&server.url).await),
            &report,
            EngineOptions::default(),
        )
        .expect("engine"),
    );
    let e2 = engine.clone();
    let items = report.items.clone();
    let running = tokio::spawn(async move { e2.prepare(&items).await });
    let mut seen = None;
    for _ in 0..200 {
        if let Some(a) = engine.activity().filter(|a| a.contains("running")) {
            seen = Some(a);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let seen = seen.expect("progress shows the running query");
    assert!(seen.contains("scanned"), "{seen}");
    engine.cancel().await;
    let res = running.await.expect("join");
    assert!(res.is_err(), "the stopped query yields no results");
    let id = server.athena_queries().last().expect("query").id.clone();
    assert_eq!(server.athena_stopped(), vec![id]);
}

/// The TUI's service while an Athena query runs: its state reaches the header (queued/running,
/// data scanned), the items of two accounts are counted per account, and quitting the TUI
/// (dropping the service) stops the query.
#[tokio::test]
async fn the_service_reports_athena_progress_per_account_and_quitting_stops_the_query() {
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let (mut report, mut item) = sg_item("sg-0a1b2c3d4e5f60718");
    item.account = Some("111122223333".into());
    let mut other = item.clone();
    other.id = format!("{}-other", other.id);
    other.address = "aws_security_group.other".into();
    other.account = Some("444455556666".into());
    report.items = vec![item, other];
    server.athena_hold(true);
    let engine = Arc::new(
        Engine::new(
            Arc::new(athena_source(&server.url).await),
            &report,
            EngineOptions::default(),
        )
        .expect("engine"),
    );
    let (svc, mut rx) = AttributionService::start(engine);
    svc.request_all(report.items.clone());
    let mut activity = None;
    while activity.is_none() {
        match tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("activity while the query runs")
        {
            Some(ServiceEvent::Activity(Some(a))) if a.contains("running") => activity = Some(a),
            Some(_) => {}
            None => panic!("service ended"),
        }
    }
    let activity = activity.expect("seen");
    assert!(activity.contains("scanned"), "{activity}");
    // Quitting the TUI drops the service: the running query is stopped.
    drop(svc);
    let mut stopped = Vec::new();
    for _ in 0..400 {
        stopped = server.athena_stopped();
        if !stopped.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let id = server.athena_queries().last().expect("query").id.clone();
    assert_eq!(stopped, vec![id]);

    // Per-account counts, from a source that answers at once.
    let engine = Arc::new(archive_engine(&report));
    let (svc, mut rx) = AttributionService::start(engine);
    svc.request_all(report.items.clone());
    let mut last_accounts = None;
    let mut loaded = 0;
    while loaded < 2
        || last_accounts
            .as_ref()
            .is_none_or(|a: &Vec<(String, usize, usize)>| a.iter().any(|(_, d, t)| d < t))
    {
        match tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("no stall")
        {
            Some(ServiceEvent::Accounts(a)) => last_accounts = Some(a),
            Some(ServiceEvent::Loaded { .. }) => loaded += 1,
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(
        last_accounts,
        Some(vec![
            ("111122223333".to_string(), 1, 1),
            ("444455556666".to_string(), 1, 1)
        ])
    );
}

#[test]
fn athena_ddl_prints_the_projected_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .args([
            "athena-ddl",
            "--bucket",
            "corp-cloudtrail",
            "--org-id",
            "o-a1b2c3d4e5",
        ])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ddl = String::from_utf8_lossy(&out.stdout);
    assert!(
        ddl.starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS `cloudtrail`.`organization_trail`"),
        "{ddl}"
    );
    assert!(ddl.contains("'projection.account.type' = 'injected'"), "{ddl}");
    assert!(
        ddl.contains("s3://corp-cloudtrail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${date}"),
        "{ddl}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .args(["athena-ddl", "--bucket", "corp cloudtrail"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an S3 bucket name"));
}

#[tokio::test]
async fn lake_answers_every_item_of_a_report_larger_than_one_batch() {
    // 1,001 items: two batches, two queries, every item answered from the merged results.
    let server = FakeCloudTrail::start(support::demo_records()).await;
    let base = demo_report();
    let web = find(&base, "aws_security_group.web").clone();
    let kms = find(&base, "aws_kms_key.data").clone();
    let mut report = base.clone();
    report.items = (0..1000)
        .map(|i| {
            let mut it = web.clone();
            it.id = format!("web-{i}");
            it
        })
        .chain(std::iter::once(kms))
        .collect();
    let src = LakeSource::new(
        "arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/eds-demo",
        live_opts(&server.url),
    )
    .await
    .expect("lake");
    let engine = Engine::new(Arc::new(src), &report, EngineOptions::default()).expect("engine");
    let mut progress = Vec::new();
    engine
        .prepare_with(&report.items, |d, t| progress.push((d, t)))
        .await
        .expect("queries run");
    assert_eq!(progress, vec![(1, 2), (2, 2)]);
    assert_eq!(server.queries().len(), 2, "one query per batch");
    let last = engine.attribute(report.items.last().expect("kms")).await;
    assert_eq!(last.status, AttributionStatus::Attributed, "{last:?}");
    assert_eq!(
        last.best.as_ref().map(|b| b.event_id.as_str()),
        Some("bafe9bd1-20c5-4152-9127-c47089bf36a2"),
        "the item of the second batch is answered"
    );
    assert_eq!(server.queries().len(), 2);
}

#[test]
fn the_cache_expires_empty_lookups_keeps_found_ones_and_is_private() {
    use driftdeck::attribution::{Lookup, LookupKey};
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("attribution");
    let q = |k: &str| Lookup {
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        key: LookupKey::ResourceName(k.into()),
        start: 1,
        end: 2,
    };
    let ev = driftdeck::attribution::Event::from_record(&record(
        "e1",
        "CreateTags",
        "2026-11-20T00:00:00Z",
        "sg-1",
    ))
    .expect("event");
    let cache = Cache::new(&root).with_negative_ttl(0);
    cache
        .put("s", &q("found"), std::slice::from_ref(&ev))
        .expect("put");
    cache.put("s", &q("empty"), &[]).expect("put");
    let kept = cache.get("s", &q("found")).expect("found results are kept");
    assert_eq!(kept.len(), 1);
    let k = &kept[0];
    assert_eq!(
        (
            &k.event_id,
            &k.event_name,
            k.event_time,
            &k.user_identity,
            &k.source_ip
        ),
        (
            &ev.event_id,
            &ev.event_name,
            ev.event_time,
            &ev.user_identity,
            &ev.source_ip
        )
    );
    // The payload is reduced to the identifiers it mentions; the raw parameters are gone.
    assert_eq!(k.request_parameters, json!({"mentions": ["sg-1"]}));
    assert_eq!(k.response_elements, json!({"mentions": []}));
    assert_eq!(cache.get("s", &q("empty")), None, "no_events expired (ttl 0)");
    let hour = Cache::new(&root);
    assert_eq!(
        hour.get("s", &q("empty")),
        Some(vec![]),
        "within the default hour"
    );
    assert_eq!(
        Cache::new(&root).with_refresh(true).get("s", &q("found")),
        None,
        "--refresh"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&root), 0o700);
        for e in std::fs::read_dir(&root).expect("dir") {
            assert_eq!(mode(&e.expect("entry").path()), 0o600);
        }
    }
    assert_eq!(hour.clear().expect("clear"), 2);
    assert_eq!(hour.get("s", &q("found")), None);
}

#[tokio::test]
async fn the_cache_keeps_no_payload_and_no_secret_yet_reopening_attributes_the_same() {
    const SECRET: &str = "Hunter2-cache-leak-9f3b7c1e";
    const TOKEN: &str = "sk-live-7Qp2Rz9Xw4Lm8Nv3Tb6Yc1Hd5Jf0Kg2";
    // Every demo record carries secrets in its payload, as Secrets Manager and RDS calls do.
    let records: Vec<Value> = support::demo_records()
        .into_iter()
        .map(|mut r| {
            if let Some(p) = r.get_mut("requestParameters").and_then(Value::as_object_mut) {
                p.insert("secretString".into(), json!(SECRET));
                p.insert("masterUserPassword".into(), json!(SECRET));
                p.insert(
                    "containerDefinitions".into(),
                    json!(format!(
                        r#"[{{"environment":[{{"name":"API_TOKEN","value":"{TOKEN}"}}]}}]"#
                    )),
                );
            }
            if let Some(p) = r.get_mut("responseElements").and_then(Value::as_object_mut) {
                p.insert("password".into(), json!(SECRET));
            }
            r
        })
        .collect();
    let server = FakeCloudTrail::start(records).await;
    let keys = [
        "aws_security_group.web",
        "aws_iam_role_policy.deploy",
        "sgrule-950722393",
    ];
    let report = subset(&demo_report(), &keys);
    let cache_dir = tempfile::tempdir().expect("tmp");
    let run = || async {
        let src = CloudTrailSource::new(live_opts(&server.url))
            .await
            .expect("source");
        let engine = Engine::new(
            Arc::new(src),
            &report,
            EngineOptions {
                cache: Some(Cache::new(cache_dir.path())),
                ..EngineOptions::default()
            },
        )
        .expect("engine");
        let results = engine.attribute_all(&report.items).await;
        (results, engine.lookups_sent())
    };
    let (results, sent) = run().await;
    assert!(sent > 0);
    for a in &results {
        assert_eq!(a.status, AttributionStatus::Attributed, "{a:?}");
    }
    let mut files = 0;
    for f in std::fs::read_dir(cache_dir.path()).expect("cache dir").flatten() {
        let text = std::fs::read_to_string(f.path()).expect("cache file");
        files += 1;
        assert!(!text.contains(SECRET), "secret on disk: {text}");
        assert!(!text.contains(TOKEN), "token from embedded JSON on disk: {text}");
        for raw in [
            "requestParameters",
            "responseElements",
            "request_parameters",
            "CloudTrailEvent",
            "ipPermissions",
            "fromPort",
        ] {
            assert!(!text.contains(raw), "raw payload `{raw}` on disk: {text}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = f.metadata().expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
    assert!(files > 0, "lookups were cached");
    let lookups = server.lookup_requests();
    let (again, sent2) = run().await;
    assert_eq!(sent2, 0);
    assert_eq!(server.lookup_requests(), lookups, "reopening sent no request");
    assert_eq!(
        again, results,
        "the minimal records attribute exactly as the full ones"
    );
}
