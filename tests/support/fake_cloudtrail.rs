//! A CloudTrail-compatible HTTP endpoint on 127.0.0.1 for tests and benches: awsJson1_1,
//! `X-Amz-Target` routed on the text after the last `.` (the Rust SDK sends the short form),
//! signed requests required, LookupEvents with the service's validation, NextToken paging and
//! a ThrottlingException when more than 2 requests arrive within a second; StartQuery /
//! GetQueryResults for CloudTrail Lake with a small SQL reader.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct State {
    records: Vec<Value>,
    /// Recent LookupEvents arrivals per account (the 2 req/s limit is per account).
    arrivals: std::collections::HashMap<String, VecDeque<Instant>>,
    requests: usize,
    lookup_requests: usize,
    throttled: usize,
    throttle_first: usize,
    deny_all: bool,
    unsigned: usize,
    queries: Vec<String>,
    polls: usize,
    /// Access key → the account its requests act in (LookupEvents sees only that account).
    key_accounts: std::collections::HashMap<String, String>,
    /// (access key, operation) of every signed request.
    calls: Vec<(String, String)>,
    /// Role ARNs assumed through STS.
    assumed: Vec<String>,
    /// Athena query executions, by id.
    athena: Vec<AthenaQuery>,
    /// Keep Athena queries RUNNING until stopped.
    athena_hold: bool,
    /// Fail the next Athena query with this reason.
    athena_fail: Option<String>,
    /// Athena ids stopped by StopQueryExecution.
    athena_stopped: Vec<String>,
}

/// One Athena query execution seen by the fake.
#[derive(Clone, Debug)]
pub struct AthenaQuery {
    /// QueryExecutionId.
    pub id: String,
    /// The SQL text as received.
    pub sql: String,
    /// WorkGroup.
    pub workgroup: String,
    /// QueryExecutionContext.Database.
    pub database: String,
    /// ResultConfiguration.OutputLocation.
    pub output: Option<String>,
    polls: usize,
    state: &'static str,
    reason: Option<String>,
}

/// The account a fake access key acts in: registered keys, then `ASIA<account>` keys handed
/// out by AssumeRole, else the default account of the demo incident.
fn account_of_key(s: &State, key: &str) -> String {
    if let Some(a) = s.key_accounts.get(key) {
        return a.clone();
    }
    if let Some(rest) = key.strip_prefix("ASIA") {
        if rest.len() >= 12 && rest[..12].bytes().all(|b| b.is_ascii_digit()) {
            return rest[..12].to_string();
        }
    }
    DEFAULT_ACCOUNT.to_string()
}

/// The account unregistered keys act in.
pub const DEFAULT_ACCOUNT: &str = "111122223333";

fn access_key(auth: &str) -> String {
    auth.split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').next())
        .unwrap_or("")
        .to_string()
}

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// STS (awsQuery: form body, XML answers): GetCallerIdentity and AssumeRole.
fn sts(s: &mut State, key: &str, body: &str) -> (u16, String) {
    let action = form_value(body, "Action").unwrap_or_default();
    s.calls.push((key.to_string(), action.clone()));
    match action.as_str() {
        "GetCallerIdentity" => {
            let account = account_of_key(s, key);
            (
                200,
                format!(
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
<Arn>arn:aws:iam::{account}:user/test</Arn><UserId>AIDATEST</UserId><Account>{account}</Account>\
</GetCallerIdentityResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
                ),
            )
        }
        "AssumeRole" => {
            let role = form_value(body, "RoleArn").unwrap_or_default();
            let account = role.split(':').nth(4).unwrap_or("").to_string();
            s.assumed.push(role.clone());
            (
                200,
                format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
<Credentials><AccessKeyId>ASIA{account}ROLE</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey>\
<SessionToken>role-session-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
<AssumedRoleUser><Arn>arn:aws:sts::{account}:assumed-role/driftdeck/driftdeck</Arn><AssumedRoleId>AROATEST:driftdeck</AssumedRoleId></AssumedRoleUser>\
</AssumeRoleResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></AssumeRoleResponse>"
                ),
            )
        }
        other => (
            400,
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unknown action {other}</Message></Error><RequestId>0</RequestId></ErrorResponse>"
            ),
        ),
    }
}

/// The running fake endpoint.
#[derive(Clone)]
pub struct FakeCloudTrail {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Bound address.
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

fn time_of(r: &Value) -> i64 {
    r.get("eventTime")
        .and_then(Value::as_str)
        .and_then(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
        .map_or(0, time::OffsetDateTime::unix_timestamp)
}

/// Every record of an exported log tree (duplicates kept, as delivered).
pub fn load_records(dir: &Path) -> Vec<Value> {
    fn walk(d: &Path, out: &mut Vec<Value>) {
        let mut entries: Vec<_> = std::fs::read_dir(d)
            .expect("log dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else {
                let _ = driftdeck::attribution::archive::read_records(&p, &mut |v| out.push(v));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// The demo incident's records.
pub fn demo_records() -> Vec<Value> {
    load_records(&Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/cloudtrail"))
}

fn username(r: &Value) -> String {
    let ui = &r["userIdentity"];
    match ui["type"].as_str() {
        Some("AssumedRole") => ui["arn"]
            .as_str()
            .and_then(|a| a.rsplit('/').next())
            .unwrap_or("")
            .to_string(),
        Some("Root") => "root".into(),
        _ => ui["userName"].as_str().unwrap_or("").to_string(),
    }
}

/// LookupEvents `Resources` of a record: each ARN, plus the bare name for S3 buckets.
fn resources(r: &Value) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    for res in r["resources"].as_array().into_iter().flatten() {
        let ty = res["type"].as_str().map(str::to_string);
        if let Some(arn) = res["ARN"].as_str() {
            out.push((ty.clone(), arn.to_string()));
            if let Some(name) = arn.strip_prefix("arn:aws:s3:::") {
                out.push((ty.clone(), name.to_string()));
            }
        }
    }
    out
}

fn error(status: u16, code: &str, message: &str) -> (u16, Value) {
    (status, json!({"__type": code, "message": message}))
}

impl FakeCloudTrail {
    /// Starts the endpoint with these records.
    pub async fn start(records: Vec<Value>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut recs = records;
        recs.sort_by_key(|r| std::cmp::Reverse(time_of(r)));
        let state = Arc::new(Mutex::new(State {
            records: recs,
            ..State::default()
        }));
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, st).await;
                });
            }
        });
        FakeCloudTrail {
            url: format!("http://{addr}"),
            addr,
            state,
        }
    }

    /// All requests received.
    pub fn requests(&self) -> usize {
        self.state.lock().expect("state").requests
    }
    /// LookupEvents requests received (throttled ones included).
    pub fn lookup_requests(&self) -> usize {
        self.state.lock().expect("state").lookup_requests
    }
    /// ThrottlingException responses sent.
    pub fn throttled(&self) -> usize {
        self.state.lock().expect("state").throttled
    }
    /// Unsigned requests rejected.
    pub fn unsigned(&self) -> usize {
        self.state.lock().expect("state").unsigned
    }
    /// Throttle the next `n` requests regardless of rate.
    pub fn throttle_next(&self, n: usize) {
        self.state.lock().expect("state").throttle_first = n;
    }
    /// Answer every LookupEvents with AccessDeniedException.
    pub fn deny_all(&self, on: bool) {
        self.state.lock().expect("state").deny_all = on;
    }
    /// Requests signed with `access_key` act in `account` (LookupEvents then answers only that
    /// account's events, GetCallerIdentity names it).
    pub fn bind_key(&self, access_key: &str, account: &str) {
        self.state
            .lock()
            .expect("state")
            .key_accounts
            .insert(access_key.to_string(), account.to_string());
    }
    /// (access key, operation) of every signed request, in arrival order.
    pub fn calls(&self) -> Vec<(String, String)> {
        self.state.lock().expect("state").calls.clone()
    }
    /// Role ARNs assumed through STS AssumeRole.
    pub fn assumed_roles(&self) -> Vec<String> {
        self.state.lock().expect("state").assumed.clone()
    }
    /// Athena query executions received.
    pub fn athena_queries(&self) -> Vec<AthenaQuery> {
        self.state.lock().expect("state").athena.clone()
    }
    /// Keep Athena queries RUNNING until StopQueryExecution.
    pub fn athena_hold(&self, on: bool) {
        self.state.lock().expect("state").athena_hold = on;
    }
    /// Fail the next Athena query with `reason`.
    pub fn athena_fail_next(&self, reason: &str) {
        self.state.lock().expect("state").athena_fail = Some(reason.to_string());
    }
    /// Athena query ids stopped by StopQueryExecution.
    pub fn athena_stopped(&self) -> Vec<String> {
        self.state.lock().expect("state").athena_stopped.clone()
    }
    /// SQL statements received by StartQuery.
    pub fn queries(&self) -> Vec<String> {
        self.state.lock().expect("state").queries.clone()
    }
}

async fn serve(mut sock: TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let header_end = loop {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut headers = Vec::new();
    for line in head.lines().skip(1) {
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let h = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let len: usize = h("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < header_end + len {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let raw = &buf[header_end..(header_end + len).min(buf.len())];
    let target = h("x-amz-target");
    let auth = h("authorization");
    let (status, text, ctype) = if target.is_none()
        && h("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        let mut s = st.lock().expect("state");
        s.requests += 1;
        let key = auth.as_deref().map(access_key).unwrap_or_default();
        let (status, xml) = sts(&mut s, &key, &String::from_utf8_lossy(raw));
        (status, xml, "text/xml")
    } else {
        let body: Value = serde_json::from_slice(raw).unwrap_or(json!({}));
        let (status, out) = handle(&st, target.as_deref(), auth.as_deref(), &body);
        (status, out.to_string(), "application/x-amz-json-1.1")
    };
    let reason = if status == 200 { "OK" } else { "Bad Request" };
    let resp = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    sock.write_all(resp.as_bytes()).await?;
    sock.shutdown().await
}

fn handle(st: &Arc<Mutex<State>>, target: Option<&str>, auth: Option<&str>, body: &Value) -> (u16, Value) {
    let mut s = st.lock().expect("state");
    s.requests += 1;
    if !auth.is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 Credential=")) {
        s.unsigned += 1;
        return error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    let op = target
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("")
        .to_string();
    let key = auth.map(access_key).unwrap_or_default();
    s.calls.push((key.clone(), op.clone()));
    if target.is_some_and(|t| t.starts_with("AmazonAthena")) {
        return athena(&mut s, &op, body);
    }
    match op.as_str() {
        "LookupEvents" => {
            let account = account_of_key(&s, &key);
            lookup_events(&mut s, body, &account)
        }
        "StartQuery" => {
            let sql = body["QueryStatement"].as_str().unwrap_or("").to_string();
            s.queries.push(sql);
            s.polls = 0;
            (200, json!({"QueryId": format!("q-{}", s.queries.len())}))
        }
        "GetQueryResults" => get_query_results(&mut s, body),
        _ => error(
            400,
            "UnknownOperationException",
            &format!("unknown operation {op:?}"),
        ),
    }
}

fn lookup_events(s: &mut State, body: &Value, account: &str) -> (u16, Value) {
    s.lookup_requests += 1;
    let now = Instant::now();
    let arrivals = s.arrivals.entry(account.to_string()).or_default();
    while arrivals
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        arrivals.pop_front();
    }
    let busy = arrivals.len() >= 2;
    arrivals.push_back(now);
    if s.throttle_first > 0 || busy {
        s.throttle_first = s.throttle_first.saturating_sub(1);
        s.throttled += 1;
        return error(400, "ThrottlingException", "Rate exceeded");
    }
    if s.deny_all {
        return error(
            400,
            "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/test is not authorized to perform: cloudtrail:LookupEvents",
        );
    }
    let attrs = body["LookupAttributes"].as_array().cloned().unwrap_or_default();
    if attrs.len() > 1 {
        return error(
            400,
            "InvalidLookupAttributesException",
            "You cannot specify more than one lookup attribute.",
        );
    }
    let max = body["MaxResults"].as_i64().unwrap_or(50);
    if !(1..=50).contains(&max) {
        return error(
            400,
            "InvalidMaxResultsException",
            "MaxResults must be between 1 and 50",
        );
    }
    let start = body["StartTime"].as_f64().map_or(i64::MIN, |v| v as i64);
    let end = body["EndTime"].as_f64().map_or(i64::MAX, |v| v as i64);
    if start > end {
        return error(
            400,
            "InvalidTimeRangeException",
            "StartTime must be before EndTime",
        );
    }
    let mut params = body.clone();
    let token = params.as_object_mut().and_then(|o| o.remove("NextToken"));
    let sig = format!("{:x}", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        params.to_string().hash(&mut h);
        h.finish()
    });
    let offset = match token.as_ref().and_then(Value::as_str) {
        None => 0,
        Some(t) => match t.split_once(':') {
            Some((o, sg)) if sg == sig => o.parse::<usize>().unwrap_or(0),
            _ => {
                return error(
                    400,
                    "InvalidNextTokenException",
                    "the token does not match the request",
                );
            }
        },
    };
    let (key, value) = attrs
        .first()
        .map(|a| {
            (
                a["AttributeKey"].as_str().unwrap_or("").to_string(),
                a["AttributeValue"].as_str().unwrap_or("").to_string(),
            )
        })
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let matching: Vec<&Value> = s
        .records
        .iter()
        .filter(|r| seen.insert(r["eventID"].as_str().unwrap_or("").to_string()))
        // Event history is per account: records of other accounts are invisible.
        .filter(|r| r["recipientAccountId"].as_str().is_none_or(|a| a == account))
        .filter(|r| {
            let t = time_of(r);
            t >= start && t <= end
        })
        .filter(|r| match key.as_str() {
            "" => true,
            "EventName" => r["eventName"] == value.as_str(),
            "EventId" => r["eventID"] == value.as_str(),
            "EventSource" => r["eventSource"] == value.as_str(),
            "Username" => username(r) == value,
            "ResourceName" => resources(r).iter().any(|(_, n)| *n == value),
            "ReadOnly" => r["readOnly"].to_string().trim_matches('"') == value,
            _ => false,
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(max as usize)
        .map(|r| {
            json!({
                "EventId": r["eventID"],
                "EventName": r["eventName"],
                "ReadOnly": r["readOnly"].to_string().trim_matches('"'),
                "AccessKeyId": r["userIdentity"]["accessKeyId"],
                "EventTime": time_of(r),
                "EventSource": r["eventSource"],
                "Username": username(r),
                "Resources": resources(r).into_iter().map(|(t, n)| json!({"ResourceType": t, "ResourceName": n})).collect::<Vec<_>>(),
                "CloudTrailEvent": r.to_string(),
            })
        })
        .collect();
    let next = offset + page.len();
    let mut out = json!({"Events": page});
    if next < matching.len() {
        out["NextToken"] = json!(format!("{next}:{sig}"));
    }
    (200, out)
}

fn list_after(sql: &str, marker: &str) -> Vec<String> {
    let Some(i) = sql.find(marker) else {
        return Vec::new();
    };
    let rest = &sql[i + marker.len()..];
    let inner = &rest[..rest.find(')').unwrap_or(rest.len())];
    inner
        .split(", ")
        .map(|x| x.trim().trim_matches('\'').replace("''", "'"))
        .collect()
}

fn get_query_results(s: &mut State, _body: &Value) -> (u16, Value) {
    s.polls += 1;
    if s.polls == 1 {
        return (200, json!({"QueryStatus": "RUNNING", "QueryResultRows": []}));
    }
    let sql = s.queries.last().cloned().unwrap_or_default();
    let names = list_after(&sql, "eventName IN (");
    let res = list_after(&sql, "r.arn IN (");
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<Value> = s
        .records
        .iter()
        .filter(|r| seen.insert(r["eventID"].as_str().unwrap_or("").to_string()))
        .filter(|r| {
            names.iter().any(|n| r["eventName"] == n.as_str())
                || resources(r)
                    .iter()
                    .any(|(_, n)| res.contains(n) || res.iter().any(|x| n.ends_with(&format!("/{x}"))))
        })
        .map(|r| {
            let cell = |k: &str, v: &Value| match v {
                Value::Null => json!({k: ""}),
                Value::String(s) => json!({k: s}),
                other => json!({k: other.to_string()}),
            };
            // Lake renders struct fields lower-case and map values as strings.
            let ui = r["userIdentity"]
                .to_string()
                .replace("\"principalId\"", "\"principalid\"")
                .replace("\"userName\"", "\"username\"");
            let t = r["eventTime"]
                .as_str()
                .unwrap_or("")
                .replace('T', " ")
                .replace('Z', ".000");
            let mut row = vec![json!({"eventTime": t}), json!({"userIdentity": ui})];
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
                "requestParameters",
                "responseElements",
                "resources",
            ] {
                row.push(cell(k, &r[k]));
            }
            Value::Array(row)
        })
        .collect();
    (200, json!({"QueryStatus": "FINISHED", "QueryResultRows": rows}))
}

/// Reads SQL string literals (`'…'` with `''`, and `U&'…'` with `\XXXX` / `\+XXXXXX`) from the
/// start of `s` separated by `, ` up to the closing `)`.
pub fn sql_literals(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    loop {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == ',') {
            i += 1;
        }
        let unicode = chars[i..].starts_with(&['U', '&', '\'']);
        if unicode {
            i += 2;
        }
        if i >= chars.len() || chars[i] != '\'' {
            return out;
        }
        i += 1;
        let mut lit = String::new();
        while i < chars.len() {
            match chars[i] {
                '\'' if chars.get(i + 1) == Some(&'\'') => {
                    lit.push('\'');
                    i += 2;
                }
                '\'' => {
                    i += 1;
                    break;
                }
                '\\' if unicode => {
                    if chars.get(i + 1) == Some(&'\\') {
                        lit.push('\\');
                        i += 2;
                    } else {
                        let long = chars.get(i + 1) == Some(&'+');
                        let (from, n) = if long { (i + 2, 6) } else { (i + 1, 4) };
                        let hex: String = chars[from..from + n].iter().collect();
                        lit.push(char::from_u32(u32::from_str_radix(&hex, 16).expect("hex")).expect("char"));
                        i = from + n;
                    }
                }
                c => {
                    lit.push(c);
                    i += 1;
                }
            }
        }
        out.push(lit);
        if chars.get(i) != Some(&',') {
            return out;
        }
    }
}

/// The literals of the first `marker (` list in `sql`, or `None` when the predicate is absent.
pub fn predicate(sql: &str, marker: &str) -> Option<Vec<String>> {
    sql.find(marker).map(|i| sql_literals(&sql[i + marker.len()..]))
}

fn lower_keys(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), lower_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(lower_keys).collect()),
        v => v.clone(),
    }
}

const ATHENA_COLUMNS: [&str; 19] = [
    "eventid",
    "eventtime",
    "eventname",
    "eventsource",
    "awsregion",
    "recipientaccountid",
    "readonly",
    "eventtype",
    "errorcode",
    "errormessage",
    "sourceipaddress",
    "useragent",
    "sessioncredentialfromconsole",
    "useridentity",
    "requestparameters",
    "responseelements",
    "resources",
    "addendumreason",
    "originaleventid",
];

/// Evaluates the driftdeck query shape over the records: partition predicates are required
/// (as Athena's injected projection requires them), then window, services, calls, resources.
/// Result rows (one optional text per column) and bytes scanned.
type AthenaRows = (Vec<Vec<Option<String>>>, i64);

fn athena_rows(s: &State, sql: &str) -> Result<AthenaRows, String> {
    let accounts = predicate(sql, "account IN (").ok_or(
        "CONSTRAINT_VIOLATION: For the injected projected partition column account, the WHERE clause must contain only static equality conditions, and at least one such condition must be present.",
    )?;
    let regions = predicate(sql, "region IN (").ok_or("query scans every region: no region predicate")?;
    let dates = predicate(sql, "date BETWEEN ").ok_or("query scans every day: no date predicate")?;
    let date_hi = predicate(
        sql,
        &format!("date BETWEEN {} AND ", {
            let d = dates.first().cloned().unwrap_or_default();
            format!("'{d}'")
        }),
    )
    .and_then(|v| v.first().cloned())
    .unwrap_or_default();
    let from = predicate(sql, "eventtime >= ")
        .and_then(|v| v.first().cloned())
        .unwrap_or_default();
    let to = predicate(sql, "eventtime <= ")
        .and_then(|v| v.first().cloned())
        .unwrap_or_default();
    let sources = predicate(sql, "eventsource IN (");
    let names = predicate(sql, "eventname IN (").unwrap_or_default();
    let res = predicate(sql, "r.arn IN (").unwrap_or_default();
    let date_lo = dates.first().cloned().unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let mut scanned = 0i64;
    let mut rows = Vec::new();
    for r in &s.records {
        if !seen.insert(r["eventID"].as_str().unwrap_or("").to_string()) {
            continue;
        }
        let acct = r["recipientAccountId"].as_str().unwrap_or("");
        let region = r["awsRegion"].as_str().unwrap_or("");
        let t = r["eventTime"].as_str().unwrap_or("");
        let day = t.get(..10).unwrap_or("").replace('-', "/");
        if !accounts.iter().any(|a| a == acct)
            || !regions.iter().any(|x| x == region)
            || day < date_lo
            || day > date_hi
        {
            continue;
        }
        scanned += 1500;
        if t < from.as_str() || t > to.as_str() {
            continue;
        }
        if let Some(src) = &sources {
            if !src.iter().any(|x| r["eventSource"] == x.as_str()) {
                continue;
            }
        }
        let arns: Vec<String> = r["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["ARN"].as_str().map(str::to_string))
            .collect();
        let in_json = |k: &str| {
            let text = r[k].to_string();
            res.iter()
                .any(|n| text.contains(&serde_json::to_string(n).unwrap_or_default()))
        };
        let hit = names.iter().any(|n| r["eventName"] == n.as_str())
            || arns.iter().any(|a| {
                res.iter().any(|n| {
                    a == n
                        || a.rsplit('/').next() == Some(n.as_str())
                        || a.rsplit(':').next() == Some(n.as_str())
                })
            })
            || in_json("requestParameters")
            || in_json("responseElements");
        if !hit {
            continue;
        }
        let text = |v: &Value| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        let row = ATHENA_COLUMNS
            .iter()
            .map(|c| match *c {
                "eventid" => text(&r["eventID"]),
                "eventtime" => text(&r["eventTime"]),
                "eventname" => text(&r["eventName"]),
                "eventsource" => text(&r["eventSource"]),
                "awsregion" => text(&r["awsRegion"]),
                "recipientaccountid" => text(&r["recipientAccountId"]),
                "readonly" => text(&r["readOnly"]),
                "eventtype" => text(&r["eventType"]),
                "errorcode" => text(&r["errorCode"]),
                "errormessage" => text(&r["errorMessage"]),
                "sourceipaddress" => text(&r["sourceIPAddress"]),
                "useragent" => text(&r["userAgent"]),
                "sessioncredentialfromconsole" => text(&r["sessionCredentialFromConsole"]),
                // Struct columns cast to JSON carry the table's lower-case field names.
                "useridentity" => text(&lower_keys(&r["userIdentity"])),
                "requestparameters" => text(&r["requestParameters"]),
                "responseelements" => text(&r["responseElements"]),
                "resources" => text(&lower_keys(&r["resources"])),
                "addendumreason" => text(&r["addendum"]["reason"]),
                "originaleventid" => text(&r["addendum"]["originalEventID"]),
                _ => None,
            })
            .collect();
        rows.push(row);
    }
    Ok((rows, scanned))
}

fn athena(s: &mut State, op: &str, body: &Value) -> (u16, Value) {
    let find = |s: &State, id: &str| s.athena.iter().position(|q| q.id == id);
    let id = body["QueryExecutionId"].as_str().unwrap_or("").to_string();
    match op {
        "StartQueryExecution" => {
            let id = format!("aq-{}", s.athena.len() + 1);
            let fail = s.athena_fail.take();
            s.athena.push(AthenaQuery {
                id: id.clone(),
                sql: body["QueryString"].as_str().unwrap_or("").to_string(),
                workgroup: body["WorkGroup"].as_str().unwrap_or("").to_string(),
                database: body["QueryExecutionContext"]["Database"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                output: body["ResultConfiguration"]["OutputLocation"]
                    .as_str()
                    .map(str::to_string),
                polls: 0,
                state: "QUEUED",
                reason: fail,
            });
            (200, json!({"QueryExecutionId": id}))
        }
        "GetQueryExecution" => {
            let Some(i) = find(s, &id) else {
                return error(400, "InvalidRequestException", "QueryExecution not found");
            };
            let hold = s.athena_hold;
            let scanned = athena_rows(s, &s.athena[i].sql).map_or(0, |(_, b)| b);
            let q = &mut s.athena[i];
            q.polls += 1;
            if q.state != "CANCELLED" {
                q.state = match q.polls {
                    1 => "QUEUED",
                    2 => "RUNNING",
                    _ if hold => "RUNNING",
                    _ => "SUCCEEDED",
                };
                if q.state == "SUCCEEDED" && q.reason.is_some() {
                    q.state = "FAILED";
                }
            }
            let q = q.clone();
            let reason = q.reason.clone().or_else(|| {
                (q.state == "SUCCEEDED")
                    .then(|| athena_rows(s, &q.sql).err())
                    .flatten()
            });
            let state = if reason.is_some() && q.state == "SUCCEEDED" {
                "FAILED"
            } else {
                q.state
            };
            let mut status = json!({"State": state});
            if let Some(r) = reason.filter(|_| state == "FAILED") {
                status["StateChangeReason"] = json!(r);
            }
            (
                200,
                json!({"QueryExecution": {
                    "QueryExecutionId": q.id, "Query": q.sql, "Status": status,
                    "Statistics": {"DataScannedInBytes": if q.polls > 1 { scanned } else { 0 }},
                    "WorkGroup": q.workgroup,
                }}),
            )
        }
        "GetQueryResults" => {
            let Some(i) = find(s, &id) else {
                return error(400, "InvalidRequestException", "QueryExecution not found");
            };
            if s.athena[i].state != "SUCCEEDED" {
                return error(400, "InvalidRequestException", "Query has not yet finished");
            }
            let (rows, _) = match athena_rows(s, &s.athena[i].sql) {
                Ok(r) => r,
                Err(e) => return error(400, "InvalidRequestException", &e),
            };
            let max = body["MaxResults"].as_u64().unwrap_or(1000).clamp(1, 1000) as usize;
            let offset: usize = body["NextToken"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            // The header row is the first row of the first page.
            let mut all = vec![
                ATHENA_COLUMNS
                    .iter()
                    .map(|c| Some((*c).to_string()))
                    .collect::<Vec<_>>(),
            ];
            all.extend(rows);
            let page: Vec<Value> = all
                .iter()
                .skip(offset)
                .take(max)
                .map(|r| {
                    json!({"Data": r.iter().map(|c| c.as_ref().map_or(json!({}), |v| json!({"VarCharValue": v}))).collect::<Vec<_>>()})
                })
                .collect();
            let mut out = json!({"ResultSet": {"Rows": page}, "UpdateCount": 0});
            if offset + max < all.len() {
                out["NextToken"] = json!((offset + max).to_string());
            }
            (200, out)
        }
        "StopQueryExecution" => {
            if let Some(i) = find(s, &id) {
                s.athena[i].state = "CANCELLED";
                s.athena[i].reason = Some("Query cancelled by user".into());
            }
            s.athena_stopped.push(id);
            (200, json!({}))
        }
        other => error(
            400,
            "UnknownOperationException",
            &format!("unknown Athena operation {other:?}"),
        ),
    }
}
