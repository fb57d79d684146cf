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
