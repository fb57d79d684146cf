//! One item → one [`Attribution`]: plan the lookups (ResourceName first, then the type's
//! mutating calls by EventName), run them through the cache and the source with identical
//! lookups shared, rank the events. The time window is computed once per run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt, Shared};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::actor::PipelinePrincipals;
use super::cache::Cache;
use super::matcher::{self, Plan, TypeMap};
use super::source::{Event, EventSource, Lookup, LookupKey, SourceError, format_time};
use super::{Attribution, AttributionConfig, AttributionError, AttributionStatus, Candidate, Confidence};
use crate::model::{DriftItem, DriftReport};

/// Default look-back before the report time (LookupEvents keeps 90 days).
pub const LOOKBACK_SECS: i64 = 90 * 24 * 3600;
/// Slack after the report time (events are delivered late and clocks differ).
pub const SLACK_SECS: i64 = 3600;
/// CloudTrail's delivery delay: younger windows may simply not have their events yet.
pub const DELIVERY_LAG_SECS: i64 = 20 * 60;

/// An inclusive time window, epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// Start.
    pub start: i64,
    /// End.
    pub end: i64,
}

/// Engine settings.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// `--since`: RFC 3339 or `YYYY-MM-DD`.
    pub since: Option<String>,
    /// `--until`: RFC 3339 or `YYYY-MM-DD`.
    pub until: Option<String>,
    /// `pipeline_principals` and friends.
    pub config: AttributionConfig,
    /// The type map; `None` = the built-in one.
    pub map: Option<TypeMap>,
    /// The disk cache; `None` = no caching.
    pub cache: Option<Cache>,
    /// The frozen "now" (epoch seconds); `None` = the clock, read once.
    pub now: Option<i64>,
    /// Concurrent item lookups in [`Engine::attribute_all`] (0 = 4).
    pub concurrency: usize,
}

type SharedLookup = Shared<BoxFuture<'static, Result<Arc<Vec<Event>>, SourceError>>>;

/// Attributes items against one source.
pub struct Engine {
    source: Arc<dyn EventSource>,
    map: TypeMap,
    pipeline: PipelinePrincipals,
    windows: Vec<Window>,
    default_window: Window,
    now: i64,
    cache: Option<Cache>,
    inflight: Mutex<HashMap<Lookup, SharedLookup>>,
    sent: Arc<AtomicUsize>,
    cache_warnings: Arc<Mutex<Vec<String>>>,
    concurrency: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("source", &self.source.name())
            .field("windows", &self.windows)
            .finish_non_exhaustive()
    }
}

/// Parses `--since`/`--until` and report timestamps: RFC 3339 or a plain date (midnight UTC).
pub fn parse_when(what: &str, s: &str) -> Result<i64, AttributionError> {
    let t = s.trim();
    if let Ok(d) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(d.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(t, &fmt) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    Err(AttributionError::Time {
        what: what.to_string(),
        value: s.to_string(),
    })
}

impl Engine {
    /// An engine for the items of `report`. The windows (per report: 90 days before its
    /// timestamp to one hour after, or now when it has none; `since`/`until` override) are
    /// frozen here for the whole run.
    pub fn new(
        source: Arc<dyn EventSource>,
        report: &DriftReport,
        opts: EngineOptions,
    ) -> Result<Self, AttributionError> {
        let now = opts
            .now
            .unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp());
        let since = opts
            .since
            .as_deref()
            .map(|s| parse_when("--since", s))
            .transpose()?;
        let until = opts
            .until
            .as_deref()
            .map(|s| parse_when("--until", s))
            .transpose()?;
        let max_back = source.max_history_secs();
        let make = |anchor: Option<i64>| {
            let end = until.unwrap_or_else(|| anchor.map_or(now, |a| a + SLACK_SECS));
            let mut start = since.unwrap_or_else(|| anchor.unwrap_or(now) - LOOKBACK_SECS);
            if let Some(max) = max_back {
                // LookupEvents rejects a start older than its history; stay a little inside it.
                // Rounded up to the next midnight so the window (and the cache key) stays the
                // same for a whole day of reopening.
                let oldest = (now - max).div_euclid(86_400) * 86_400 + 86_400;
                start = start.max(oldest);
            }
            Window {
                start: start.min(end),
                end,
            }
        };
        let mut windows = Vec::new();
        let mut warnings = Vec::new();
        for r in &report.reports {
            // An unreadable report timestamp should not stop attribution: search up to now.
            let anchor = r.timestamp.as_deref().and_then(|ts| {
                parse_when(&format!("{}: timestamp", r.path), ts)
                    .map_err(|e| warnings.push(format!("{e}; searching up to now instead")))
                    .ok()
            });
            windows.push(make(anchor));
        }
        let pipeline = PipelinePrincipals::new(&opts.config.pipeline_principals).map_err(|message| {
            AttributionError::Config {
                file: "config.toml".to_string(),
                message,
            }
        })?;
        let map = match opts.map {
            Some(m) => m,
            None => TypeMap::builtin()?,
        };
        Ok(Engine {
            source,
            map,
            pipeline,
            windows,
            default_window: make(None),
            now,
            cache: opts.cache,
            inflight: Mutex::new(HashMap::new()),
            sent: Arc::new(AtomicUsize::new(0)),
            cache_warnings: Arc::new(Mutex::new(warnings)),
            concurrency: if opts.concurrency == 0 {
                4
            } else {
                opts.concurrency
            },
        })
    }

    /// The frozen window for an item (from its report).
    pub fn window_for(&self, item: &DriftItem) -> Window {
        self.windows
            .get(item.report_index)
            .copied()
            .unwrap_or(self.default_window)
    }

    /// Lookups that reached the source (cache hits and shared duplicates excluded).
    pub fn lookups_sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Warnings from the source and the cache, each returned once.
    pub fn take_warnings(&self) -> Vec<String> {
        let mut w = self.source.take_warnings();
        if let Ok(mut c) = self.cache_warnings.lock() {
            w.append(&mut c);
        }
        w
    }

    fn query(&self, item: &DriftItem, plan: &Plan, key: LookupKey) -> Lookup {
        let w = self.window_for(item);
        Lookup {
            account: item.account.clone(),
            region: plan.region.clone(),
            key,
            start: w.start,
            end: w.end,
        }
    }

    /// Every lookup the items may need (for bulk sources' `prepare`).
    pub fn planned_lookups(&self, items: &[DriftItem]) -> Vec<Lookup> {
        let mut out: Vec<Lookup> = Vec::new();
        let mut seen: std::collections::HashSet<Lookup> = std::collections::HashSet::new();
        for item in items {
            let plan = matcher::plan(&self.map, item);
            let keys = plan
                .resource_names
                .iter()
                .map(|r| LookupKey::ResourceName(r.clone()))
                .chain(
                    plan.fallback_events
                        .iter()
                        .map(|e| LookupKey::EventName(e.clone())),
                );
            for k in keys {
                let q = self.query(item, &plan, k);
                if seen.insert(q.clone()) {
                    out.push(q);
                }
            }
        }
        out
    }

    /// Lets a bulk source fetch everything up front: one query per batch of at most
    /// [`BATCH_ITEMS`](super::athena::BATCH_ITEMS) items, each batch's results merged into the
    /// source. Lookups already in the disk cache are left out, so a reopened report costs no
    /// query at all. `progress(done, total)` is called after each batch.
    pub async fn prepare(&self, items: &[DriftItem]) -> Result<(), SourceError> {
        self.prepare_with(items, |_, _| {}).await
    }

    /// [`Engine::prepare`] with a progress callback `(batches done, batches)`.
    pub async fn prepare_with(
        &self,
        items: &[DriftItem],
        mut progress: impl FnMut(usize, usize),
    ) -> Result<(), SourceError> {
        if !self.source.wants_prepare() {
            return Ok(());
        }
        let batches: Vec<&[DriftItem]> = items.chunks(super::athena::BATCH_ITEMS).collect();
        let total = batches.len();
        for (n, batch) in batches.into_iter().enumerate() {
            let mut sources = HashMap::new();
            for item in batch {
                let plan = matcher::plan(&self.map, item);
                let service = plan.entry.as_ref().and_then(|e| e.source.clone());
                for k in plan
                    .resource_names
                    .iter()
                    .map(|r| LookupKey::ResourceName(r.clone()))
                    .chain(
                        plan.fallback_events
                            .iter()
                            .map(|e| LookupKey::EventName(e.clone())),
                    )
                {
                    let d = k.describe();
                    let merged = match sources.get(&d) {
                        Some(old) if *old != service => None,
                        _ => service.clone(),
                    };
                    sources.insert(d, merged);
                }
            }
            self.source.set_event_sources(sources);
            let scope = self.source.cache_scope();
            let planned: Vec<Lookup> = self
                .planned_lookups(batch)
                .into_iter()
                .filter(|q| match (&self.cache, &scope) {
                    (Some(c), Some(s)) => c.get(s, q).is_none(),
                    _ => true,
                })
                .collect();
            if !planned.is_empty() {
                self.source.prepare(&planned).await?;
                // Every planned lookup is answered from memory now: cache them all, so that
                // reopening plans nothing that is not cached and sends no query.
                if let (Some(c), Some(s)) = (&self.cache, &scope) {
                    for q in &planned {
                        if let Ok(events) = self.source.lookup(q).await {
                            if let Err(e) = c.put(s, q, &events) {
                                if let Ok(mut w) = self.cache_warnings.lock() {
                                    w.push(e);
                                }
                            }
                        }
                    }
                }
            }
            progress(n + 1, total);
        }
        Ok(())
    }

    /// What the source is doing right now (a bulk query's state, time and data scanned).
    pub fn activity(&self) -> Option<String> {
        self.source.activity()
    }

    /// Facts to tell once (a finished query's data scanned and cost).
    pub fn take_notes(&self) -> Vec<String> {
        self.source.take_notes()
    }

    /// SQL statements the source sent (for `--show-query`), each returned once.
    pub fn take_queries(&self) -> Vec<String> {
        self.source.take_queries()
    }

    /// Stops the source's running work (`StopQueryExecution` for Athena).
    pub async fn cancel(&self) {
        self.source.cancel().await;
    }

    /// Runs one lookup: cache, then the source; identical lookups share one request.
    pub async fn lookup(&self, q: Lookup) -> Result<Arc<Vec<Event>>, SourceError> {
        let q_key = q.clone();
        let fut = {
            let mut map = self
                .inflight
                .lock()
                .map_err(|_| SourceError::Io("lookup table poisoned".into()))?;
            if let Some(f) = map.get(&q) {
                f.clone()
            } else {
                let source = self.source.clone();
                let cache = self.cache.clone();
                let sent = self.sent.clone();
                let warnings = self.cache_warnings.clone();
                let query = q.clone();
                let f: BoxFuture<'static, Result<Arc<Vec<Event>>, SourceError>> = async move {
                    let scope = source.cache_scope();
                    if let (Some(c), Some(s)) = (&cache, &scope) {
                        if let Some(hit) = c.get(s, &query) {
                            return Ok(Arc::new(hit));
                        }
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                    let events = source.lookup(&query).await?;
                    if let (Some(c), Some(s)) = (&cache, &scope) {
                        if let Err(e) = c.put(s, &query, &events) {
                            if let Ok(mut w) = warnings.lock() {
                                w.push(e);
                            }
                        }
                    }
                    Ok(Arc::new(events))
                }
                .boxed();
                let shared = f.shared();
                map.insert(q, shared.clone());
                shared
            }
        };
        let out = fut.await;
        if out.is_err() {
            // Failures are not remembered: after `aws sso login` a retry must reach AWS.
            if let Ok(mut map) = self.inflight.lock() {
                map.remove(&q_key);
            }
        }
        out
    }

    /// Attributes one item. Never fails: problems become `status: error` with a message.
    pub async fn attribute(&self, item: &DriftItem) -> Attribution {
        let plan = matcher::plan(&self.map, item);
        if plan.keys.is_empty() {
            return Attribution::empty(
                item,
                AttributionStatus::NoEvents,
                Some(
                    "the report gives no id, ARN or name for this resource, so CloudTrail cannot be searched"
                        .into(),
                ),
            );
        }
        let mut events: Vec<Event> = Vec::new();
        let mut errors: Vec<SourceError> = Vec::new();
        let mut ok_lookups = 0usize;
        let mut ranked: Option<(Vec<Candidate>, Vec<Candidate>)> = None;
        for rn in &plan.resource_names {
            match self
                .lookup(self.query(item, &plan, LookupKey::ResourceName(rn.clone())))
                .await
            {
                Ok(evs) => {
                    ok_lookups += 1;
                    events.extend(evs.iter().cloned());
                    // The first name that finds the change settles it: no further lookups.
                    let r = matcher::rank(item, &plan, &events, &self.pipeline);
                    let high = r.0.first().is_some_and(|c| c.confidence == Confidence::High);
                    ranked = Some(r);
                    if high {
                        break;
                    }
                }
                Err(e) => {
                    errors.push(e);
                    break;
                }
            }
        }
        // The events only grew before a failed lookup, so the last ranking stands unless none ran.
        let (mut ok, mut denied) =
            ranked.unwrap_or_else(|| matcher::rank(item, &plan, &events, &self.pipeline));
        let settled = ok.first().is_some_and(|c| c.confidence == Confidence::High);
        if !settled && errors.is_empty() {
            for name in &plan.fallback_events {
                match self
                    .lookup(self.query(item, &plan, LookupKey::EventName(name.clone())))
                    .await
                {
                    Ok(evs) => {
                        ok_lookups += 1;
                        events.extend(evs.iter().cloned());
                    }
                    Err(e) => {
                        errors.push(e);
                        break;
                    }
                }
            }
            (ok, denied) = matcher::rank(item, &plan, &events, &self.pipeline);
        }
        let window = self.window_for(item);
        let mut result = Attribution {
            denied,
            ..Attribution::empty(item, AttributionStatus::Attributed, None)
        };
        if ok.is_empty() {
            if let Some(e) = errors.first() {
                result.status = AttributionStatus::Error;
                result.message = Some(if ok_lookups > 0 {
                    format!("some lookups failed, nothing found in the others: {e}")
                } else {
                    e.to_string()
                });
                return result;
            }
            result.status = AttributionStatus::NoEvents;
            result.message = Some(
                if self.now - window.end < DELIVERY_LAG_SECS && window.end >= self.now - SLACK_SECS {
                    "no events yet (CloudTrail delivers events 5–15 minutes late); this does not mean nobody changed it".to_string()
                } else if result.denied.is_empty() {
                    format!(
                        "no successful change to this resource found between {} and {} (the trail may not record it, or it is older)",
                        format_time(window.start),
                        format_time(window.end)
                    )
                } else {
                    "only denied attempts found".to_string()
                },
            );
            return result;
        }
        let mut it = ok.into_iter();
        result.best = it.next();
        result.candidates = it.collect();
        if let Some(e) = errors.first() {
            result.message = Some(format!("partial: a lookup failed ({e})"));
        }
        result
    }

    /// Attributes many items concurrently; results come back in the items' order.
    pub async fn attribute_all(&self, items: &[DriftItem]) -> Vec<Attribution> {
        futures::stream::iter(items.iter().map(|i| self.attribute(i)))
            .buffered(self.concurrency)
            .collect()
            .await
    }
}
