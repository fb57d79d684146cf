//! Live CloudTrail event history through the AWS SDK (`LookupEvents`).
//!
//! Standard AWS configuration only (env, shared files, `--profile`, SSO, `--region`,
//! `AWS_ENDPOINT_URL[_CLOUDTRAIL]`). LookupEvents allows 2 requests/s per account and region,
//! shared by every caller: one process-wide limiter per (scope, region) keeps us below it,
//! pages are followed to the end with the window frozen by the caller, and throttling is
//! retried with backoff here (SDK retries are off so every attempt passes the limiter) and
//! never surfaced.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_config::{AppName, BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::Credentials;
use aws_sdk_cloudtrail::config::retry::RetryConfig;
use aws_sdk_cloudtrail::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use futures::future::BoxFuture;
use tokio::time::Instant;

use super::accounts::Accounts;
use super::source::{Event, EventSource, Lookup, LookupKey, SourceError};

/// LookupEvents history (90 days).
pub const HISTORY_SECS: i64 = 90 * 24 * 3600;
/// Default pace: a little under the 2 requests/s limit.
pub const DEFAULT_RATE: f64 = 1.9;
const MAX_ATTEMPTS: u32 = 8;
/// Attempts for transient failures other than throttling (network, 5xx).
const MAX_TRANSIENT_ATTEMPTS: u32 = 3;
const THROTTLE_CODES: [&str; 6] = [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ThrottledException",
    "RequestThrottledException",
];

/// How to reach CloudTrail.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--region` (else the standard chain).
    pub region: Option<String>,
    /// An explicit endpoint (tests); `AWS_ENDPOINT_URL[_CLOUDTRAIL]` work without it.
    pub endpoint_url: Option<String>,
    /// Static credentials `(access key, secret)` instead of the default chain (tests).
    pub static_credentials: Option<(String, String)>,
    /// Requests per second per account+region (0 = [`DEFAULT_RATE`]); never above 2.
    pub requests_per_sec: f64,
    /// How to reach each account (`[attribution.accounts]`, `--account-profile`).
    pub accounts: super::accounts::AccountMap,
}

/// A shared pacing gate: callers wait for their slot.
#[derive(Debug)]
pub struct RateLimiter {
    next: tokio::sync::Mutex<Option<Instant>>,
    interval: Duration,
}

impl RateLimiter {
    /// A limiter allowing `per_sec` acquisitions per second.
    pub fn new(per_sec: f64) -> Self {
        RateLimiter {
            next: tokio::sync::Mutex::new(None),
            interval: Duration::from_secs_f64(1.0 / per_sec.clamp(0.01, 2.0)),
        }
    }

    /// Waits for the next slot.
    pub async fn acquire(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        let at = next.map_or(now, |n| n.max(now));
        *next = Some(at + self.interval);
        tokio::time::sleep_until(at).await;
    }
}

/// The process-wide limiter for a key (scope + region), shared by every worker.
pub fn limiter_for(key: &str, per_sec: f64) -> Arc<RateLimiter> {
    static LIMITERS: OnceLock<Mutex<HashMap<String, Arc<RateLimiter>>>> = OnceLock::new();
    let map = LIMITERS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut m = match map.lock() {
        Ok(m) => m,
        Err(p) => p.into_inner(),
    };
    m.entry(key.to_string())
        .or_insert_with(|| Arc::new(RateLimiter::new(per_sec)))
        .clone()
}

/// Live `LookupEvents`.
#[derive(Debug)]
pub struct CloudTrailSource {
    sdk: SdkConfig,
    accounts: Accounts,
    endpoint_url: Option<String>,
    clients: Mutex<HashMap<String, Client>>,
    scope: String,
    rate: f64,
    throttled: std::sync::atomic::AtomicUsize,
}

/// Loads the standard AWS configuration (no network access happens here).
pub async fn load_sdk_config(opts: &LiveOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Ok(name) = AppName::new("driftdeck") {
        loader = loader.app_name(name);
    }
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    if let Some((ak, sk)) = &opts.static_credentials {
        loader = loader.credentials_provider(Credentials::new(ak, sk, None, None, "driftdeck-static"));
    }
    loader.load().await
}

/// A service error as a [`SourceError`]; `action` is the IAM action the hint names.
fn classify(code: Option<&str>, message: &str, action: &str) -> SourceError {
    let c = code.unwrap_or("");
    let text = format!("{c}{}{message}", if c.is_empty() { "" } else { ": " });
    if matches!(
        c,
        "ExpiredTokenException"
            | "ExpiredToken"
            | "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
    ) {
        SourceError::Credentials(format!("{text} (refresh the credentials, e.g. `aws sso login`)"))
    } else if c.contains("AccessDenied")
        || c == "UnauthorizedOperation"
        || c == "OperationNotPermittedException"
    {
        SourceError::AccessDenied(format!("{text} (the principal needs {action})"))
    } else {
        SourceError::Service(text)
    }
}

enum Verdict {
    Retry(SourceError),
    Fail(SourceError),
}

/// How an SDK error of a `LookupEvents` call is handled.
fn judge<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
) -> Verdict {
    judge_for(err, "cloudtrail:LookupEvents")
}

/// An SDK error of another CloudTrail call (Lake's `StartQuery`, …) as a [`SourceError`], with
/// the same reading of credentials, access and network failures as lookups get.
pub(super) fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
    action: &str,
) -> SourceError {
    match judge_for(err, action) {
        Verdict::Retry(e) | Verdict::Fail(e) => e,
    }
}

fn judge_for<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
    action: &str,
) -> Verdict {
    match err {
        SdkError::ServiceError(se) => {
            let code = se.err().code();
            if code.is_some_and(|c| THROTTLE_CODES.contains(&c)) {
                return Verdict::Retry(SourceError::Service("throttled".into()));
            }
            let msg = se.err().message().unwrap_or("").to_string();
            if code.is_none() {
                return Verdict::Retry(SourceError::Service(format!(
                    "unexpected response: {}",
                    concise(&DisplayErrorContext(err).to_string())
                )));
            }
            Verdict::Fail(classify(code, &msg, action))
        }
        SdkError::TimeoutError(_) => Verdict::Retry(SourceError::Network("the request timed out".into())),
        SdkError::DispatchFailure(d) => {
            let text = concise(&DisplayErrorContext(err).to_string());
            if d.is_user() || text.contains("credential") || text.contains("token") || text.contains("SSO") {
                Verdict::Fail(SourceError::Credentials(text))
            } else if d.is_timeout() || d.is_io() {
                Verdict::Retry(SourceError::Network(text))
            } else {
                Verdict::Fail(SourceError::Network(text))
            }
        }
        SdkError::ConstructionFailure(_) => {
            let text = concise(&DisplayErrorContext(err).to_string());
            if text.contains("credential") || text.contains("region") || text.contains("Region") {
                Verdict::Fail(SourceError::Credentials(text))
            } else {
                Verdict::Fail(SourceError::Service(text))
            }
        }
        _ => Verdict::Retry(SourceError::Service(concise(
            &DisplayErrorContext(err).to_string(),
        ))),
    }
}

/// The SDK's error text without its debug dump, on one line; missing or expired credentials
/// get a plain explanation and what to do.
pub fn concise(text: &str) -> String {
    let mut t = text;
    for marker in [
        " (DispatchFailure(",
        " (ConstructionFailure(",
        " (TimeoutError(",
        " (ResponseError(",
        " (ServiceError(",
    ] {
        if let Some(i) = t.find(marker) {
            t = &t[..i];
        }
    }
    if t.contains("no credentials found in chain") || t.contains("CredentialsNotLoaded") {
        return "no AWS credentials found (tried the environment, the shared config/credentials files, web \
identity, ECS and instance metadata): pass --profile, set AWS_PROFILE, or run `aws sso login`"
            .to_string();
    }
    if t.contains("SSO") && (t.contains("expired") || t.contains("token")) {
        return format!(
            "the SSO session is missing or has expired: run `aws sso login` ({})",
            t.replace('\n', "; ")
        );
    }
    t.replace('\n', "; ").replace("\\n", "; ")
}

/// Backoff for attempt `n` (1-based): 250 ms doubling to 8 s, with jitter.
fn backoff(n: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << n.min(5)).min(8000);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    ) % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter)
}

impl CloudTrailSource {
    /// Sets up the client from the standard AWS configuration. Does not call AWS; credential
    /// problems surface per lookup (and so per item) as clear errors.
    pub async fn new(opts: LiveOptions) -> Result<Self, SourceError> {
        let sdk = load_sdk_config(&opts).await;
        if sdk.region().is_none() {
            return Err(SourceError::Credentials(
                "no AWS region configured: pass --region, set AWS_REGION, or set region in the profile"
                    .into(),
            ));
        }
        let profile = opts
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .unwrap_or_else(|| "default".into());
        let endpoint = opts
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_CLOUDTRAIL").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .unwrap_or_else(|| "aws".into());
        let rate = if opts.requests_per_sec > 0.0 {
            opts.requests_per_sec.min(2.0)
        } else {
            DEFAULT_RATE
        };
        Ok(CloudTrailSource {
            accounts: Accounts::new(opts.clone(), sdk.clone()),
            sdk,
            endpoint_url: opts.endpoint_url,
            clients: Mutex::new(HashMap::new()),
            scope: format!("cloudtrail|{profile}|{endpoint}"),
            rate,
            throttled: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Throttling responses absorbed by retries so far.
    pub fn throttles_absorbed(&self) -> usize {
        self.throttled.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn region_of(&self, q: &Lookup) -> String {
        q.region
            .clone()
            .or_else(|| self.sdk.region().map(ToString::to_string))
            .unwrap_or_else(|| "us-east-1".into())
    }

    /// The client for one account (its own credential provider) and region.
    fn client(&self, sdk: &SdkConfig, account_key: &str, region: &str) -> Client {
        let mut m = match self.clients.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.entry(format!("{account_key}|{region}"))
            .or_insert_with(|| {
                let mut b =
                    aws_sdk_cloudtrail::config::Builder::from(sdk).region(Region::new(region.to_string()));
                if let Some(u) = &self.endpoint_url {
                    b = b.endpoint_url(u);
                }
                Client::from_conf(b.build())
            })
            .clone()
    }

    async fn page(
        &self,
        client: &Client,
        limiter: &RateLimiter,
        attr: &LookupAttribute,
        q: &Lookup,
        token: Option<String>,
    ) -> Result<aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput, SourceError> {
        let mut last = SourceError::Service("no attempt made".into());
        let mut transient = 0;
        for n in 1..=MAX_ATTEMPTS {
            limiter.acquire().await;
            let res = client
                .lookup_events()
                .lookup_attributes(attr.clone())
                .start_time(DateTime::from_secs(q.start))
                .end_time(DateTime::from_secs(q.end))
                .max_results(50)
                .set_next_token(token.clone())
                .send()
                .await;
            match res.map_err(|e| judge(&e)) {
                Ok(out) => return Ok(out),
                Err(Verdict::Fail(e)) => return Err(e),
                Err(Verdict::Retry(e)) => {
                    let throttled = matches!(&e, SourceError::Service(m) if m == "throttled");
                    if throttled {
                        self.throttled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    } else {
                        transient += 1;
                        if transient >= MAX_TRANSIENT_ATTEMPTS {
                            return Err(e);
                        }
                    }
                    last = e;
                    tokio::time::sleep(backoff(n)).await;
                }
            }
        }
        Err(match last {
            SourceError::Service(m) if m == "throttled" => SourceError::Service(format!(
                "still throttled after {MAX_ATTEMPTS} attempts: other callers are using this account's LookupEvents quota"
            )),
            e => e,
        })
    }
}

fn to_event(e: &aws_sdk_cloudtrail::types::Event) -> Option<Event> {
    let mut ev = e
        .cloud_trail_event()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| Event::from_record(&v))?;
    for r in e.resources() {
        if let Some(n) = r.resource_name() {
            if !ev.resources.iter().any(|x| x == n) {
                ev.resources.push(n.to_string());
            }
        }
    }
    if let Some(ro) = e.read_only() {
        ev.read_only |= ro.eq_ignore_ascii_case("true");
    }
    Some(ev)
}

impl EventSource for CloudTrailSource {
    fn name(&self) -> &'static str {
        "cloudtrail"
    }

    fn cache_scope(&self) -> Option<String> {
        Some(self.scope.clone())
    }

    fn max_history_secs(&self) -> Option<i64> {
        Some(HISTORY_SECS)
    }

    fn lookup<'a>(&'a self, q: &'a Lookup) -> BoxFuture<'a, Result<Vec<Event>, SourceError>> {
        Box::pin(async move {
            let region = self.region_of(q);
            let resolved = self.accounts.resolve(q.account.as_deref()).await?;
            let client = self.client(&resolved.config, &resolved.key, &region);
            // LookupEvents allows 2 req/s per account and region: one limiter per account (the
            // item's, or the default credentials' scope when the item does not say) and region.
            let limiter = limiter_for(&format!("{}|{}|{region}", self.scope, resolved.key), self.rate);
            let routed = q
                .account
                .as_deref()
                .and_then(|a| self.accounts.route_of(a).map(|(_, r)| (a, r.describe())));
            let (key, value) = match &q.key {
                LookupKey::ResourceName(v) => (LookupAttributeKey::ResourceName, v),
                LookupKey::EventName(v) => (LookupAttributeKey::EventName, v),
            };
            let attr = LookupAttribute::builder()
                .attribute_key(key)
                .attribute_value(value)
                .build()
                .map_err(|e| SourceError::Service(e.to_string()))?;
            let mut events = Vec::new();
            let mut token: Option<String> = None;
            let mut seen_tokens = std::collections::HashSet::new();
            loop {
                let out = self
                    .page(&client, &limiter, &attr, q, token.clone())
                    .await
                    .map_err(|e| match (&routed, e) {
                        // Say which mapping failed: with many accounts the bare SDK text does not.
                        (Some((a, how)), SourceError::Credentials(m)) => {
                            SourceError::Credentials(format!("account {a} ({how}): {m}"))
                        }
                        (Some((a, how)), SourceError::AccessDenied(m)) => {
                            SourceError::AccessDenied(format!("account {a} ({how}): {m}"))
                        }
                        (_, e) => e,
                    })?;
                events.extend(out.events().iter().filter_map(to_event));
                match out.next_token().filter(|t| !t.is_empty()) {
                    Some(t) if seen_tokens.insert(t.to_string()) => token = Some(t.to_string()),
                    _ => break,
                }
            }
            Ok(events)
        })
    }
}
