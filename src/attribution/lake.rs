//! CloudTrail Lake (`--event-data-store ARN`): one SQL query (`StartQuery`, then
//! `GetQueryResults` polled until `FINISHED` and paged) fetches every mutating event the
//! items could need; the engine's lookups are then answered from memory. For organisations
//! with thousands of drifted resources across accounts. (Lake is closed to new customers
//! since 2026-05-31; existing stores keep working.)

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;
use std::time::Duration;

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::QueryStatus;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::cloudtrail::{LiveOptions, load_sdk_config};
use super::source::{Event, EventSource, Lookup, LookupKey, SourceError, format_time};

/// Lake source: events fetched once by [`EventSource::prepare`].
#[derive(Debug)]
pub struct LakeSource {
    client: Client,
    store: String,
    events: RwLock<Option<Vec<Event>>>,
    covered: std::sync::Mutex<std::collections::HashSet<Lookup>>,
    poll: Duration,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn lake_time(t: i64) -> String {
    // Lake compares eventTime with 'YYYY-MM-DD HH:MM:SS' literals.
    format_time(t).replace('T', " ").trim_end_matches('Z').to_string()
}

/// The one SQL statement for a set of planned lookups: every event of the wanted calls or on
/// the wanted resources in the union of the windows. `store` is the event data store id.
pub fn build_query(store: &str, planned: &[Lookup]) -> Option<String> {
    let start = planned.iter().map(|q| q.start).min()?;
    let end = planned.iter().map(|q| q.end).max()?;
    let mut names = BTreeSet::new();
    let mut resources = BTreeSet::new();
    for q in planned {
        match &q.key {
            LookupKey::EventName(n) => names.insert(quote(n)),
            LookupKey::ResourceName(r) => resources.insert(quote(r)),
        };
    }
    let mut conds = Vec::new();
    if !names.is_empty() {
        conds.push(format!(
            "eventName IN ({})",
            names.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !resources.is_empty() {
        conds.push(format!(
            "any_match(resources, r -> r.arn IN ({0}) OR element_at(split(r.arn, '/'), -1) IN ({0}))",
            resources.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Some(format!(
        "SELECT eventID, eventTime, eventName, eventSource, awsRegion, recipientAccountId, readOnly, eventType, \
errorCode, errorMessage, sourceIPAddress, userAgent, sessionCredentialFromConsole, \
json_format(CAST(userIdentity AS JSON)) AS userIdentity, \
json_format(CAST(requestParameters AS JSON)) AS requestParameters, \
json_format(CAST(responseElements AS JSON)) AS responseElements, \
json_format(CAST(resources AS JSON)) AS resources \
FROM {store} WHERE eventTime >= {} AND eventTime <= {} AND ({})",
        quote(&lake_time(start)),
        quote(&lake_time(end)),
        conds.join(" OR ")
    ))
}

/// Lake's map columns hold nested values as JSON strings: decode those back.
pub(super) fn decode_nested(v: Value) -> Value {
    match v {
        Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
            serde_json::from_str::<Value>(&s).map_or(Value::String(s), decode_nested)
        }
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, decode_nested(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(decode_nested).collect()),
        v => v,
    }
}

/// Lower-camel JSON keys: Lake renders struct fields lower-cased (`principalid`), records use
/// camel case; the fields attribution reads are mapped back.
pub(super) fn camel_identity(v: Value) -> Value {
    const FIXES: [(&str, &str); 12] = [
        ("principalid", "principalId"),
        ("accountid", "accountId"),
        ("accesskeyid", "accessKeyId"),
        ("username", "userName"),
        ("sessioncontext", "sessionContext"),
        ("sessionissuer", "sessionIssuer"),
        ("mfaauthenticated", "mfaAuthenticated"),
        ("creationdate", "creationDate"),
        ("sourceidentity", "sourceIdentity"),
        ("invokedby", "invokedBy"),
        ("onbehalfof", "onBehalfOf"),
        ("userid", "userId"),
    ];
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let k = FIXES
                        .iter()
                        .find(|(a, _)| *a == k)
                        .map_or(k, |(_, b)| (*b).to_string());
                    (k, camel_identity(v))
                })
                .collect(),
        ),
        v => v,
    }
}

/// Turns one result row (single-entry column maps) into a record and an [`Event`].
pub fn row_to_event<S: std::hash::BuildHasher>(row: &[HashMap<String, String, S>]) -> Option<Event> {
    let cols: HashMap<&str, &str> = row
        .iter()
        .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    let json_col = |k: &str| {
        cols.get(k)
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
            .map(decode_nested)
    };
    let mut rec = Map::new();
    for k in [
        "eventID",
        "eventName",
        "eventSource",
        "awsRegion",
        "recipientAccountId",
        "readOnly",
        "eventType",
        "errorCode",
        "errorMessage",
        "sourceIPAddress",
        "userAgent",
        "sessionCredentialFromConsole",
    ] {
        if let Some(v) = cols.get(k).filter(|v| !v.is_empty()) {
            rec.insert(k.to_string(), json!(v));
        }
    }
    let t = cols.get("eventTime")?;
    // `2026-11-20 22:39:12.000` → RFC 3339.
    let t = t.split('.').next().unwrap_or(t).replace(' ', "T");
    rec.insert(
        "eventTime".into(),
        json!(if t.ends_with('Z') { t } else { format!("{t}Z") }),
    );
    rec.insert(
        "userIdentity".into(),
        json_col("userIdentity").map_or(Value::Null, camel_identity),
    );
    rec.insert(
        "requestParameters".into(),
        json_col("requestParameters").unwrap_or(Value::Null),
    );
    rec.insert(
        "responseElements".into(),
        json_col("responseElements").unwrap_or(Value::Null),
    );
    rec.insert(
        "resources".into(),
        json_col("resources").map_or(Value::Null, camel_identity),
    );
    Event::from_record(&Value::Object(rec))
}

impl LakeSource {
    /// A source for the event data store `arn` (or its id).
    pub async fn new(store_arn: &str, opts: LiveOptions) -> Result<Self, SourceError> {
        let sdk = load_sdk_config(&opts).await;
        let mut b = aws_sdk_cloudtrail::config::Builder::from(&sdk);
        if let Some(u) = &opts.endpoint_url {
            b = b.endpoint_url(u);
        }
        if sdk.region().is_none() {
            return Err(SourceError::Credentials(
                "no AWS region configured: pass --region, set AWS_REGION, or set region in the profile"
                    .into(),
            ));
        }
        Ok(LakeSource {
            client: Client::from_conf(b.build()),
            store: store_arn.to_string(),
            events: RwLock::new(None),
            covered: std::sync::Mutex::new(std::collections::HashSet::new()),
            poll: Duration::from_millis(500),
        })
    }

    fn store_id(&self) -> &str {
        self.store.rsplit('/').next().unwrap_or(&self.store)
    }

    async fn run(&self, sql: String) -> Result<Vec<Event>, SourceError> {
        let started = self
            .client
            .start_query()
            .query_statement(sql)
            .send()
            .await
            .map_err(|e| super::cloudtrail::sdk_error(&e, "cloudtrail:StartQuery"))?;
        let id = started
            .query_id()
            .ok_or_else(|| SourceError::Service("StartQuery returned no QueryId".into()))?
            .to_string();
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .get_query_results()
                .query_id(&id)
                .max_query_results(1000)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| super::cloudtrail::sdk_error(&e, "cloudtrail:GetQueryResults"))?;
            match out.query_status() {
                Some(QueryStatus::Queued | QueryStatus::Running) => {
                    tokio::time::sleep(self.poll).await;
                    continue;
                }
                Some(QueryStatus::Finished) | None => {}
                Some(other) => {
                    return Err(SourceError::Service(format!(
                        "CloudTrail Lake query {id} ended {}: {}",
                        other.as_str(),
                        out.error_message().unwrap_or("no reason given")
                    )));
                }
            }
            events.extend(out.query_result_rows().iter().filter_map(|r| row_to_event(r)));
            match out.next_token().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        Ok(events)
    }
}

impl EventSource for LakeSource {
    fn name(&self) -> &'static str {
        "lake"
    }

    fn wants_prepare(&self) -> bool {
        true
    }

    fn cache_scope(&self) -> Option<String> {
        Some(format!("lake|{}", self.store_id()))
    }

    /// Called once per batch: each batch's results are merged into what earlier batches
    /// fetched (deduplicated by event id), so every item of a report is answered.
    fn prepare<'a>(&'a self, planned: &'a [Lookup]) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let events = match build_query(self.store_id(), planned) {
                Some(sql) => self.run(sql).await?,
                None => Vec::new(),
            };
            if let Ok(mut slot) = self.events.write() {
                let all = slot.get_or_insert_with(Vec::new);
                let known: std::collections::HashSet<String> =
                    all.iter().map(|e| e.event_id.clone()).collect();
                all.extend(events.into_iter().filter(|e| !known.contains(&e.event_id)));
            }
            if let Ok(mut c) = self.covered.lock() {
                c.extend(planned.iter().cloned());
            }
            Ok(())
        })
    }

    fn lookup<'a>(&'a self, q: &'a Lookup) -> BoxFuture<'a, Result<Vec<Event>, SourceError>> {
        Box::pin(async move {
            if !self.covered.lock().is_ok_and(|c| c.contains(q)) {
                // Not in any batch (an item requested later): a query of its own.
                self.prepare(std::slice::from_ref(q)).await?;
            }
            let guard = self
                .events
                .read()
                .map_err(|_| SourceError::Io("lake results poisoned".into()))?;
            let Some(events) = guard.as_ref() else {
                return Err(SourceError::Service(
                    "the CloudTrail Lake query has not run (prepare was not called)".into(),
                ));
            };
            Ok(super::archive::filter_events(events, q))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_query_for_all_lookups() {
        let q = |k| Lookup {
            account: None,
            region: None,
            key: k,
            start: 1_700_000_000,
            end: 1_700_003_600,
        };
        let sql = build_query(
            "eds-1",
            &[
                q(LookupKey::EventName("PutRolePolicy".into())),
                q(LookupKey::ResourceName("o'brien".into())),
            ],
        )
        .expect("sql");
        assert!(
            sql.contains("FROM eds-1 WHERE eventTime >= '2023-11-14 22:13:20'"),
            "{sql}"
        );
        assert!(sql.contains("eventName IN ('PutRolePolicy')"), "{sql}");
        assert!(sql.contains("'o''brien'"), "{sql}");
    }

    #[test]
    fn rows_become_events() {
        let row: Vec<HashMap<String, String>> = [
            ("eventID", "e1"),
            ("eventTime", "2026-11-20 22:39:12.000"),
            ("eventName", "PutRolePolicy"),
            ("awsRegion", "us-east-1"),
            (
                "userIdentity",
                r#"{"type":"IAMUser","username":"bob","arn":"arn:aws:iam::1:user/bob"}"#,
            ),
            (
                "requestParameters",
                r#"{"roleName":"deploy","policyDocument":"{\"a\":1}"}"#,
            ),
        ]
        .into_iter()
        .map(|(k, v)| HashMap::from([(k.to_string(), v.to_string())]))
        .collect();
        let e = row_to_event(&row).expect("event");
        assert_eq!(e.event_time, 1_795_214_352);
        assert_eq!(e.user_identity["userName"], "bob");
        assert_eq!(e.request_parameters["policyDocument"]["a"], 1);
    }
}
