//! Amazon Athena over the organization trail (`--athena-table DB.TABLE`): the trail's S3
//! archive queried with SQL, for reports too large (or too old) for `LookupEvents`.
//!
//! One query per batch of at most [`BATCH_ITEMS`] items (the engine batches) selects every event
//! the batch could need: the type map's mutating calls, and events naming the items' resources in
//! `resources`, `requestparameters` or `responseelements`. Every query is restricted by the
//! table's partition columns (accounts, regions, delivery dates of the window) so it never scans
//! the whole archive, and is built from escaped literals only ([`sql_literal`]). The engine's
//! lookups are then answered from memory, and cached on disk like live lookups.
//!
//! The table is the one AWS documents for CloudTrail (`CloudTrailInputFormat`, `JsonSerDe`) with
//! partition projection on `account`, `region` and `date`; [`ddl`] prints it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use aws_sdk_athena::Client;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use super::cloudtrail::{LiveOptions, load_sdk_config, sdk_error};
use super::source::{Event, EventSource, Lookup, LookupKey, SourceError, format_time};

/// Most items per query (the engine splits larger reports into batches).
pub const BATCH_ITEMS: usize = 1000;
/// Public Athena price per TB scanned (USD), for the estimate shown after a query.
pub const USD_PER_TB: f64 = 5.0;
/// Events may be delivered up to this long after they happen (the `date` partition is the
/// delivery date), so the date range ends one day after the window.
const DELIVERY_SLACK_SECS: i64 = 86_400;

/// `--athena-*` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AthenaOptions {
    /// `--athena-table DB.TABLE` (or `TABLE` with `--athena-database`).
    pub table: String,
    /// `--athena-database` (when the table is not qualified).
    pub database: Option<String>,
    /// `--athena-workgroup` (default `primary`).
    pub workgroup: String,
    /// `--athena-output s3://…` (required when the workgroup has no output location).
    pub output: Option<String>,
}

impl AthenaOptions {
    /// Options for `table` with the defaults.
    pub fn new(table: &str) -> Self {
        AthenaOptions {
            table: table.to_string(),
            database: None,
            workgroup: "primary".into(),
            output: None,
        }
    }

    /// `(database, table)`, validated as Glue names (letters, digits, `_`, `-`).
    pub fn table_ref(&self) -> Result<(String, String), SourceError> {
        let (db, table) = match self.table.split_once('.') {
            Some((d, t)) => (d.to_string(), t.to_string()),
            None => match &self.database {
                Some(d) => (d.clone(), self.table.clone()),
                None => {
                    return Err(SourceError::Service(format!(
                        "--athena-table {:?}: give DATABASE.TABLE, or the database with --athena-database",
                        self.table
                    )));
                }
            },
        };
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !ok(&db) || !ok(&table) {
            return Err(SourceError::Service(format!(
                "--athena-table {:?}: database and table names may only hold letters, digits, '_' and '-'",
                self.table
            )));
        }
        if let Some(o) = &self.output {
            if !o.starts_with("s3://") {
                return Err(SourceError::Service(format!(
                    "--athena-output {o:?}: expected an S3 location like s3://my-athena-results/driftdeck/"
                )));
            }
        }
        Ok((db.to_ascii_lowercase(), table.to_ascii_lowercase()))
    }
}

/// A SQL string literal holding exactly `s`: `'…'` with quotes doubled; text with anything but
/// printable ASCII becomes a Unicode literal (`U&'…'` with `\XXXX` escapes), so no item text
/// (quotes, `--`, newlines, control characters) can end the literal or change the statement.
pub fn sql_literal(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::from("U&'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\+{:06X}", c as u32);
            }
        }
    }
    out.push('\'');
    out
}

fn list(values: &BTreeSet<String>) -> String {
    values
        .iter()
        .map(|v| sql_literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

fn iso(t: i64) -> String {
    format_time(t)
}

fn day(t: i64) -> String {
    // `yyyy/MM/dd`, the projected `date` partition.
    format_time(t).get(..10).unwrap_or("1970-01-01").replace('-', "/")
}

/// What one query covers: the partitions and the items' keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryScope {
    /// `account` partition values.
    pub accounts: BTreeSet<String>,
    /// `region` partition values.
    pub regions: BTreeSet<String>,
    /// Window start and end (epoch seconds).
    pub start: i64,
    /// Window end.
    pub end: i64,
    /// Event names to fetch whatever resource they name (the type map's mutating calls).
    pub event_names: BTreeSet<String>,
    /// Resource names and ARNs to find in `resources`, `requestparameters`, `responseelements`.
    pub resources: BTreeSet<String>,
    /// `eventsource` values, when every type of the batch has a known service.
    pub event_sources: Option<BTreeSet<String>>,
}

/// The one SQL statement for a batch: partition predicates first (accounts, regions, delivery
/// dates), then the window, the services, and the calls or resources wanted.
pub fn build_query(db: &str, table: &str, scope: &QueryScope) -> Option<String> {
    if scope.accounts.is_empty() || scope.regions.is_empty() {
        return None;
    }
    if scope.event_names.is_empty() && scope.resources.is_empty() {
        return None;
    }
    let mut wanted = Vec::new();
    if !scope.event_names.is_empty() {
        wanted.push(format!("eventname IN ({})", list(&scope.event_names)));
    }
    if !scope.resources.is_empty() {
        let names = list(&scope.resources);
        wanted.push(format!(
            "any_match(resources, r -> r.arn IN ({names}) OR element_at(split(r.arn, '/'), -1) IN ({names}) OR element_at(split(r.arn, ':'), -1) IN ({names}))"
        ));
        // Names as JSON strings inside the parameters/response documents.
        let quoted: BTreeSet<String> = scope
            .resources
            .iter()
            .map(|r| serde_json::to_string(r).unwrap_or_default())
            .collect();
        for col in ["requestparameters", "responseelements"] {
            let any = quoted
                .iter()
                .map(|q| format!("strpos({col}, {}) > 0", sql_literal(q)))
                .collect::<Vec<_>>()
                .join(" OR ");
            wanted.push(format!("({any})"));
        }
    }
    let sources = scope
        .event_sources
        .as_ref()
        .filter(|s| !s.is_empty())
        .map(|s| format!(" AND eventsource IN ({})", list(s)))
        .unwrap_or_default();
    Some(format!(
        "SELECT eventid, eventtime, eventname, eventsource, awsregion, recipientaccountid, readonly, eventtype, \
errorcode, errormessage, sourceipaddress, useragent, sessioncredentialfromconsole, \
json_format(CAST(useridentity AS JSON)) AS useridentity, requestparameters, responseelements, \
json_format(CAST(resources AS JSON)) AS resources, addendum.reason AS addendumreason, \
addendum.originaleventid AS originaleventid \
FROM \"{db}\".\"{table}\" \
WHERE account IN ({}) AND region IN ({}) AND date BETWEEN {} AND {} \
AND eventtime >= {} AND eventtime <= {}{sources} AND ({})",
        list(&scope.accounts),
        list(&scope.regions),
        sql_literal(&day(scope.start)),
        sql_literal(&day(scope.end + DELIVERY_SLACK_SECS)),
        sql_literal(&iso(scope.start)),
        sql_literal(&iso(scope.end)),
        wanted.join(" OR ")
    ))
}

/// One result row (by lower-case column name) as an [`Event`].
pub fn row_to_event<S: std::hash::BuildHasher>(cols: &HashMap<String, String, S>) -> Option<Event> {
    let get = |k: &str| cols.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let json_col = |k: &str| get(k).and_then(|s| serde_json::from_str::<Value>(s).ok());
    let mut rec = Map::new();
    for (col, key) in [
        ("eventid", "eventID"),
        ("eventtime", "eventTime"),
        ("eventname", "eventName"),
        ("eventsource", "eventSource"),
        ("awsregion", "awsRegion"),
        ("recipientaccountid", "recipientAccountId"),
        ("readonly", "readOnly"),
        ("eventtype", "eventType"),
        ("errorcode", "errorCode"),
        ("errormessage", "errorMessage"),
        ("sourceipaddress", "sourceIPAddress"),
        ("useragent", "userAgent"),
        ("sessioncredentialfromconsole", "sessionCredentialFromConsole"),
    ] {
        if let Some(v) = get(col) {
            rec.insert(key.into(), json!(v));
        }
    }
    // Struct columns come back as JSON with the table's lower-case field names.
    rec.insert(
        "userIdentity".into(),
        json_col("useridentity").map_or(Value::Null, |v| {
            super::lake::camel_identity(super::lake::decode_nested(v))
        }),
    );
    rec.insert(
        "requestParameters".into(),
        json_col("requestparameters").unwrap_or(Value::Null),
    );
    rec.insert(
        "responseElements".into(),
        json_col("responseelements").unwrap_or(Value::Null),
    );
    rec.insert("resources".into(), json_col("resources").unwrap_or(Value::Null));
    if let (Some(reason), Some(orig)) = (get("addendumreason"), get("originaleventid")) {
        rec.insert(
            "addendum".into(),
            json!({"reason": reason, "originalEventID": orig}),
        );
    }
    Event::from_record(&Value::Object(rec))
}

/// Bytes as `1.4 GB` (decimal units, as the Athena console shows them).
pub fn human_bytes(b: i64) -> String {
    let b = b.max(0) as f64;
    for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] {
        if b >= size {
            return format!("{:.1} {unit}", b / size);
        }
    }
    format!("{b} B")
}

/// The cost of scanning `bytes` at [`USD_PER_TB`] (Athena bills at least 10 MB per query).
pub fn cost_usd(bytes: i64) -> f64 {
    let billed = bytes.max(10_000_000) as f64;
    billed / 1e12 * USD_PER_TB
}

/// Athena source: events fetched by [`EventSource::prepare`], one query per batch.
pub struct AthenaSource {
    client: Client,
    sdk: aws_config::SdkConfig,
    opts: AthenaOptions,
    db: String,
    table: String,
    default_region: String,
    caller: OnceCell<Result<String, SourceError>>,
    events: RwLock<Vec<Event>>,
    covered: Mutex<HashSet<Lookup>>,
    activity: Mutex<Option<String>>,
    running: Mutex<Option<String>>,
    cancelled: AtomicBool,
    notes: Mutex<Vec<String>>,
    queries: Mutex<Vec<String>>,
    scanned: Mutex<i64>,
    types: Mutex<HashMap<String, Option<String>>>,
    poll: Duration,
    page_size: i32,
}

impl std::fmt::Debug for AthenaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AthenaSource")
            .field("table", &format!("{}.{}", self.db, self.table))
            .field("workgroup", &self.opts.workgroup)
            .finish_non_exhaustive()
    }
}

impl AthenaSource {
    /// Sets the client up (no AWS call yet). `live` gives the profile, region and endpoint.
    pub async fn new(opts: AthenaOptions, live: LiveOptions) -> Result<Self, SourceError> {
        let (db, table) = opts.table_ref()?;
        let sdk = load_sdk_config(&live).await;
        let Some(region) = sdk.region().map(ToString::to_string) else {
            return Err(SourceError::Credentials(
                "no AWS region configured: pass --region, set AWS_REGION, or set region in the profile"
                    .into(),
            ));
        };
        let mut b = aws_sdk_athena::config::Builder::from(&sdk);
        if let Some(u) = &live.endpoint_url {
            b = b.endpoint_url(u);
        }
        Ok(AthenaSource {
            client: Client::from_conf(b.build()),
            sdk,
            opts,
            db,
            table,
            default_region: region,
            caller: OnceCell::new(),
            events: RwLock::new(Vec::new()),
            covered: Mutex::new(HashSet::new()),
            activity: Mutex::new(None),
            running: Mutex::new(None),
            cancelled: AtomicBool::new(false),
            notes: Mutex::new(Vec::new()),
            queries: Mutex::new(Vec::new()),
            scanned: Mutex::new(0),
            types: Mutex::new(HashMap::new()),
            poll: Duration::from_secs(1),
            page_size: 1000,
        })
    }

    /// Polls `GetQueryExecution` this often (tests use a few milliseconds).
    #[must_use]
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Rows per `GetQueryResults` page (1–1000; tests use small pages).
    #[must_use]
    pub fn with_page_size(mut self, rows: i32) -> Self {
        self.page_size = rows.clamp(1, 1000);
        self
    }

    /// Total bytes scanned by this source's queries so far.
    pub fn bytes_scanned(&self) -> i64 {
        self.scanned.lock().map_or(0, |s| *s)
    }

    fn set_activity(&self, text: Option<String>) {
        if let Ok(mut a) = self.activity.lock() {
            *a = text;
        }
    }

    /// The account the configured credentials act in (for items that do not name theirs).
    async fn caller(&self) -> Result<String, SourceError> {
        self.caller
            .get_or_init(|| async {
                let out = aws_sdk_sts::Client::new(&self.sdk)
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| sdk_error(&e, "sts:GetCallerIdentity"))?;
                out.account()
                    .map(str::to_string)
                    .ok_or_else(|| SourceError::Service("GetCallerIdentity returned no account".into()))
            })
            .await
            .clone()
    }

    async fn scope_of(&self, planned: &[Lookup]) -> Result<QueryScope, SourceError> {
        let mut scope = QueryScope {
            start: planned.iter().map(|q| q.start).min().unwrap_or(0),
            end: planned.iter().map(|q| q.end).max().unwrap_or(0),
            ..QueryScope::default()
        };
        let mut sources = Some(BTreeSet::new());
        let types = self.types.lock().map(|t| t.clone()).unwrap_or_default();
        for q in planned {
            let account = match &q.account {
                Some(a) => a.clone(),
                None => self.caller().await.map_err(|e| {
                    SourceError::Account(format!(
                        "an item does not name its account, and the account of the Athena credentials could not be read: {e}"
                    ))
                })?,
            };
            scope.accounts.insert(account);
            scope
                .regions
                .insert(q.region.clone().unwrap_or_else(|| self.default_region.clone()));
            match &q.key {
                LookupKey::EventName(n) => scope.event_names.insert(n.clone()),
                LookupKey::ResourceName(r) => scope.resources.insert(r.clone()),
            };
            match types.get(&q.key.describe()) {
                Some(Some(s)) => {
                    if let Some(set) = sources.as_mut() {
                        set.insert(s.clone());
                    }
                }
                _ => sources = None,
            }
        }
        scope.event_sources = sources;
        Ok(scope)
    }

    async fn run(&self, sql: String) -> Result<Vec<Event>, SourceError> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(SourceError::Service("the Athena query was stopped".into()));
        }
        if let Ok(mut q) = self.queries.lock() {
            q.push(sql.clone());
        }
        let mut start = self
            .client
            .start_query_execution()
            .query_string(sql)
            .work_group(&self.opts.workgroup)
            .query_execution_context(QueryExecutionContext::builder().database(&self.db).build());
        if let Some(o) = &self.opts.output {
            start = start.result_configuration(ResultConfiguration::builder().output_location(o).build());
        }
        let started = start.send().await.map_err(|e| {
            sdk_error(
                &e,
                "athena:StartQueryExecution (and s3 write on the output location)",
            )
        })?;
        let id = started
            .query_execution_id()
            .ok_or_else(|| SourceError::Service("StartQueryExecution returned no QueryExecutionId".into()))?
            .to_string();
        if let Ok(mut r) = self.running.lock() {
            *r = Some(id.clone());
        }
        let result = self.wait_and_read(&id).await;
        if let Ok(mut r) = self.running.lock() {
            *r = None;
        }
        self.set_activity(None);
        result
    }

    async fn wait_and_read(&self, id: &str) -> Result<Vec<Event>, SourceError> {
        let began = Instant::now();
        loop {
            let out = self
                .client
                .get_query_execution()
                .query_execution_id(id)
                .send()
                .await
                .map_err(|e| sdk_error(&e, "athena:GetQueryExecution"))?;
            let exec = out.query_execution();
            let status = exec.and_then(|e| e.status());
            let scanned = exec
                .and_then(|e| e.statistics())
                .and_then(aws_sdk_athena::types::QueryExecutionStatistics::data_scanned_in_bytes)
                .unwrap_or(0);
            let state = status.and_then(|s| s.state()).cloned();
            match state {
                Some(QueryExecutionState::Succeeded) => {
                    if let Ok(mut s) = self.scanned.lock() {
                        *s += scanned;
                    }
                    if let Ok(mut n) = self.notes.lock() {
                        n.push(format!(
                            "Athena query {id} finished in {} s: {} scanned, about ${:.4} at ${USD_PER_TB}/TB",
                            began.elapsed().as_secs(),
                            human_bytes(scanned),
                            cost_usd(scanned)
                        ));
                    }
                    break;
                }
                Some(QueryExecutionState::Failed | QueryExecutionState::Cancelled) => {
                    let reason = status
                        .and_then(|s| s.state_change_reason())
                        .unwrap_or("no reason given");
                    let what = if state == Some(QueryExecutionState::Cancelled) {
                        "was cancelled"
                    } else {
                        "failed"
                    };
                    return Err(SourceError::Service(format!(
                        "the Athena query {id} {what}: {reason} (check athena:StartQueryExecution, glue:GetTable on {}.{}, s3 read on the trail bucket and write on the output location)",
                        self.db, self.table
                    )));
                }
                _ => {
                    let phase = if state == Some(QueryExecutionState::Queued) {
                        "queued"
                    } else {
                        "running"
                    };
                    self.set_activity(Some(format!(
                        "query {phase} {} s, {} scanned",
                        began.elapsed().as_secs(),
                        human_bytes(scanned)
                    )));
                }
            }
            if self.cancelled.load(Ordering::Relaxed) {
                return Err(SourceError::Service(format!("the Athena query {id} was stopped")));
            }
            tokio::time::sleep(self.poll).await;
        }
        self.read_results(id).await
    }

    async fn read_results(&self, id: &str) -> Result<Vec<Event>, SourceError> {
        let mut events = Vec::new();
        let mut header: Option<Vec<String>> = None;
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let out = self
                .client
                .get_query_results()
                .query_execution_id(id)
                .max_results(self.page_size)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_error(&e, "athena:GetQueryResults"))?;
            let rows = out
                .result_set()
                .map(aws_sdk_athena::types::ResultSet::rows)
                .unwrap_or_default();
            for row in rows {
                let cells: Vec<String> = row
                    .data()
                    .iter()
                    .map(|d| d.var_char_value().unwrap_or("").to_string())
                    .collect();
                // The first row of the first page names the columns.
                let Some(names) = &header else {
                    header = Some(cells.iter().map(|c| c.to_ascii_lowercase()).collect());
                    continue;
                };
                let cols: HashMap<String, String> = names.iter().cloned().zip(cells).collect();
                if let Some(e) = row_to_event(&cols) {
                    events.push(e);
                }
            }
            match out.next_token().filter(|t| !t.is_empty()) {
                Some(t) if seen.insert(t.to_string()) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(events)
    }
}

impl EventSource for AthenaSource {
    fn name(&self) -> &'static str {
        "athena"
    }

    fn cache_scope(&self) -> Option<String> {
        Some(format!("athena|{}.{}", self.db, self.table))
    }

    fn wants_prepare(&self) -> bool {
        true
    }

    fn prepare<'a>(&'a self, planned: &'a [Lookup]) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let todo: Vec<Lookup> = {
                let covered = self
                    .covered
                    .lock()
                    .map_err(|_| SourceError::Io("athena state poisoned".into()))?;
                planned.iter().filter(|q| !covered.contains(q)).cloned().collect()
            };
            if todo.is_empty() {
                return Ok(());
            }
            let scope = self.scope_of(&todo).await?;
            let fetched = match build_query(&self.db, &self.table, &scope) {
                Some(sql) => self.run(sql).await?,
                None => Vec::new(),
            };
            if let Ok(mut ev) = self.events.write() {
                let known: HashSet<String> = ev.iter().map(|e| e.event_id.clone()).collect();
                ev.extend(fetched.into_iter().filter(|e| !known.contains(&e.event_id)));
            }
            if let Ok(mut c) = self.covered.lock() {
                c.extend(todo);
            }
            Ok(())
        })
    }

    fn lookup<'a>(&'a self, q: &'a Lookup) -> BoxFuture<'a, Result<Vec<Event>, SourceError>> {
        Box::pin(async move {
            let covered = self.covered.lock().is_ok_and(|c| c.contains(q));
            if !covered {
                // Not in any batch (an item requested later): one query of its own.
                self.prepare(std::slice::from_ref(q)).await?;
            }
            let guard = self
                .events
                .read()
                .map_err(|_| SourceError::Io("athena results poisoned".into()))?;
            let mut out = super::archive::filter_events(&guard, q);
            if let LookupKey::ResourceName(name) = &q.key {
                // Athena also finds the name inside the parameters and the response, which
                // LookupEvents cannot search.
                let extra = guard.iter().filter(|e| {
                    !e.names_resource(name)
                        && e.event_time >= q.start
                        && e.event_time <= q.end
                        && q.region.as_ref().is_none_or(|r| &e.region == r)
                        && q.account
                            .as_ref()
                            .is_none_or(|a| e.account.as_ref().is_none_or(|ea| ea == a))
                        && (super::matcher::contains_value(&e.request_parameters, name)
                            || super::matcher::contains_value(&e.response_elements, name))
                });
                out.extend(extra.cloned());
            }
            Ok(out)
        })
    }

    fn set_event_sources(&self, sources: HashMap<String, Option<String>>) {
        if let Ok(mut t) = self.types.lock() {
            for (k, v) in sources {
                // A key planned for types of different services lifts the restriction.
                let merged = match t.get(&k) {
                    Some(old) if *old != v => None,
                    _ => v,
                };
                t.insert(k, merged);
            }
        }
    }

    fn activity(&self) -> Option<String> {
        self.activity.lock().ok().and_then(|a| a.clone())
    }

    fn take_notes(&self) -> Vec<String> {
        self.notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    fn take_queries(&self) -> Vec<String> {
        self.queries
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    fn cancel(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.cancelled.store(true, Ordering::Relaxed);
            let id = self.running.lock().ok().and_then(|r| r.clone());
            if let Some(id) = id {
                // Best effort: the query is abandoned either way.
                let _ = self
                    .client
                    .stop_query_execution()
                    .query_execution_id(id)
                    .send()
                    .await;
            }
        })
    }
}

/// Every commercial region, for the `region` partition's enum projection.
const REGIONS: &str = "us-east-1,us-east-2,us-west-1,us-west-2,af-south-1,ap-east-1,ap-south-1,ap-south-2,\
ap-southeast-1,ap-southeast-2,ap-southeast-3,ap-southeast-4,ap-southeast-5,ap-southeast-7,ap-northeast-1,\
ap-northeast-2,ap-northeast-3,ca-central-1,ca-west-1,eu-central-1,eu-central-2,eu-west-1,eu-west-2,eu-west-3,\
eu-south-1,eu-south-2,eu-north-1,il-central-1,me-south-1,me-central-1,mx-central-1,sa-east-1";

/// The `CREATE EXTERNAL TABLE` for a trail delivering to `bucket` (optionally under `prefix`,
/// and for an organization trail `org_id`): the columns AWS documents for CloudTrail in
/// Athena, with partition projection on `account` (injected: every query names its accounts),
/// `region` and the delivery `date`.
pub fn ddl(table: &str, bucket: &str, prefix: Option<&str>, org_id: Option<&str>) -> Result<String, String> {
    let ok = |s: &str, extra: &[u8]| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    if !ok(bucket, b"-.") {
        return Err(format!("--bucket {bucket:?}: not an S3 bucket name"));
    }
    if let Some(o) = org_id {
        if !o.starts_with("o-") || !ok(o, b"-") {
            return Err(format!(
                "--org-id {o:?}: expected an organization id like o-a1b2c3d4e5"
            ));
        }
    }
    let prefix = prefix.map(|p| p.trim_matches('/')).filter(|p| !p.is_empty());
    if let Some(p) = prefix {
        if !ok(p, b"-._/") {
            return Err(format!(
                "--prefix {p:?}: may only hold letters, digits and - . _ /"
            ));
        }
    }
    let (db, name) = table.split_once('.').unwrap_or(("default", table));
    if !ok(db, b"_-") || !ok(name, b"_-") {
        return Err(format!(
            "--table {table:?}: expected DATABASE.TABLE of letters, digits and '_'"
        ));
    }
    let mut root = format!("s3://{bucket}/");
    if let Some(p) = prefix {
        root.push_str(p);
        root.push('/');
    }
    root.push_str("AWSLogs/");
    if let Some(o) = org_id {
        root.push_str(o);
        root.push('/');
    }
    Ok(format!(
        r"CREATE EXTERNAL TABLE IF NOT EXISTS `{db}`.`{name}` (
    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
            userid: STRING,
            identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            sourceidentity: STRING,
            ec2roledelivery: STRING,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: MAP<STRING,STRING>>>>,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
        reason: STRING,
        updatedfields: STRING,
        originalrequestid: STRING,
        originaleventid: STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
        tlsversion: STRING,
        ciphersuite: STRING,
        clientprovidedhostheader: STRING>
)
PARTITIONED BY (account STRING, region STRING, date STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{root}'
TBLPROPERTIES (
    'projection.enabled' = 'true',
    'projection.account.type' = 'injected',
    'projection.region.type' = 'enum',
    'projection.region.values' = '{REGIONS}',
    'projection.date.type' = 'date',
    'projection.date.format' = 'yyyy/MM/dd',
    'projection.date.interval' = '1',
    'projection.date.interval.unit' = 'DAYS',
    'projection.date.range' = '2013/11/01,NOW',
    'storage.location.template' = '{root}${{account}}/CloudTrail/${{region}}/${{date}}'
);
"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_never_end_early() {
        assert_eq!(sql_literal("sg-1"), "'sg-1'");
        assert_eq!(sql_literal("o'brien -- x"), "'o''brien -- x'");
        assert_eq!(sql_literal("a\nb'c\\"), "U&'a\\000Ab''c\\\\'");
        assert_eq!(sql_literal("é"), "U&'\\00E9'");
        assert_eq!(sql_literal("😀"), "U&'\\+01F600'");
    }

    #[test]
    fn queries_are_restricted_by_every_partition() {
        let scope = QueryScope {
            accounts: ["111122223333".to_string()].into(),
            regions: ["eu-west-1".to_string(), "us-east-1".to_string()].into(),
            start: 1_795_000_000,
            end: 1_795_300_000,
            event_names: ["PutRolePolicy".to_string()].into(),
            resources: ["sg-1".to_string()].into(),
            event_sources: Some(["iam.amazonaws.com".to_string()].into()),
        };
        let sql = build_query("trail", "logs", &scope).expect("sql");
        assert!(sql.contains("FROM \"trail\".\"logs\""), "{sql}");
        assert!(sql.contains("account IN ('111122223333')"), "{sql}");
        assert!(sql.contains("region IN ('eu-west-1', 'us-east-1')"), "{sql}");
        assert!(
            sql.contains("date BETWEEN '2026/11/18' AND '2026/11/22'"),
            "{sql}"
        );
        assert!(sql.contains("eventsource IN ('iam.amazonaws.com')"), "{sql}");
        assert!(sql.contains("strpos(requestparameters, '\"sg-1\"') > 0"), "{sql}");
        let none = QueryScope {
            accounts: BTreeSet::new(),
            ..scope
        };
        assert_eq!(
            build_query("trail", "logs", &none),
            None,
            "never without partitions"
        );
    }

    #[test]
    fn ddl_projects_account_region_and_date() {
        let d = ddl("cloudtrail.org_trail", "corp-trail", None, Some("o-a1b2c3d4e5")).expect("ddl");
        assert!(
            d.contains("LOCATION 's3://corp-trail/AWSLogs/o-a1b2c3d4e5/'"),
            "{d}"
        );
        assert!(d.contains("'storage.location.template' = 's3://corp-trail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${date}'"), "{d}");
        assert!(d.contains("PARTITIONED BY (account STRING, region STRING, date STRING)"));
        assert!(ddl("t", "bad bucket", None, None).is_err());
        assert!(ddl("t", "b", None, Some("x")).is_err());
    }

    #[test]
    fn bytes_and_cost() {
        assert_eq!(human_bytes(1_400_000_000), "1.4 GB");
        assert!((cost_usd(1_000_000_000_000) - 5.0).abs() < 1e-9);
        assert!((cost_usd(0) - 0.00005).abs() < 1e-9, "10 MB minimum");
    }
}
