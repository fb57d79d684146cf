//! Pure helpers over [`Attribution`]s for the TUI and the CLI: filter terms (`actor:jane`,
//! `tool:console`, `oob:true`), grouping by actor session, and the CLI's table and JSON.
//! Everything shown on a terminal goes through [`crate::text::sanitize`].

use serde_json::{Value, json};

use super::{Attribution, Candidate};
use crate::text::{pad, sanitize};

/// One attribution filter term, parsed once (values lower-cased): `actor:TEXT` (substring, any
/// case, of the actor, principal, session, source identity or ARN), `tool:NAME` (`console`,
/// `aws-cli`, …), `oob:true|false`, `confidence:high|medium|low`, `event:TEXT` (event name
/// substring). An item without a best candidate (not yet attributed, no events, error) matches
/// no attribution term, not even `oob:false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrTerm {
    /// `actor:TEXT`.
    Actor(String),
    /// `tool:NAME`.
    Tool(String),
    /// `oob:BOOL`.
    Oob(bool),
    /// `confidence:LEVEL`.
    Confidence(String),
    /// `event:TEXT`.
    Event(String),
}

impl AttrTerm {
    /// Parses `field:value`: `Ok(None)` when the field is not an attribution field, `Err` with
    /// what the value may be when it is but the value is not valid.
    pub fn parse(field: &str, value: &str) -> Result<Option<AttrTerm>, &'static str> {
        let v = value.trim().to_ascii_lowercase();
        let named = |t: fn(String) -> AttrTerm| {
            if v.is_empty() {
                Err("a name, e.g. actor:jane, tool:console")
            } else {
                Ok(Some(t(v.clone())))
            }
        };
        match field.trim().to_ascii_lowercase().as_str() {
            "actor" => named(AttrTerm::Actor),
            "tool" => named(AttrTerm::Tool),
            "event" => named(AttrTerm::Event),
            "oob" => match v.as_str() {
                "true" | "yes" | "1" => Ok(Some(AttrTerm::Oob(true))),
                "false" | "no" | "0" => Ok(Some(AttrTerm::Oob(false))),
                _ => Err("true or false"),
            },
            "confidence" => match v.as_str() {
                "high" | "medium" | "low" => Ok(Some(AttrTerm::Confidence(v))),
                _ => Err("high, medium or low"),
            },
            _ => Ok(None),
        }
    }

    /// Whether an attribution satisfies the term.
    pub fn matches(&self, a: &Attribution) -> bool {
        let Some(b) = &a.best else { return false };
        let contains = |s: Option<&str>, v: &str| s.is_some_and(|s| s.to_ascii_lowercase().contains(v));
        match self {
            AttrTerm::Actor(v) => {
                contains(Some(&b.actor.display), v)
                    || contains(b.actor.principal.as_deref(), v)
                    || contains(b.actor.session.as_deref(), v)
                    || contains(b.actor.source_identity.as_deref(), v)
                    || contains(b.actor.arn.as_deref(), v)
            }
            AttrTerm::Tool(v) => b.tool.as_str() == v,
            AttrTerm::Oob(want) => b.out_of_band == *want,
            AttrTerm::Confidence(v) => b.confidence.as_str() == v,
            AttrTerm::Event(v) => contains(Some(&b.event_name), v),
        }
    }
}

/// Whether an attribution satisfies one filter term given as text (`actor:jane`): `None` when
/// it is not an attribution term (so the caller's other filters handle it); an invalid value
/// matches nothing. See [`AttrTerm`].
pub fn filter_matches(term: &str, a: &Attribution) -> Option<bool> {
    let (k, v) = term.split_once(':')?;
    match AttrTerm::parse(k, v) {
        Ok(Some(t)) => Some(t.matches(a)),
        Ok(None) => None,
        Err(_) => Some(false),
    }
}

/// The items one actor session changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorGroup {
    /// Display line of the actor (sanitised).
    pub label: String,
    /// Stable grouping key (principal + session).
    pub key: String,
    /// Item ids, in input order.
    pub item_ids: Vec<String>,
    /// Any change in the group was out-of-band.
    pub out_of_band: bool,
}

/// Groups attributed items by actor session (one person's session = one group), largest
/// group first; unattributed items are left out.
pub fn group_by_actor<'a>(attributions: impl IntoIterator<Item = &'a Attribution>) -> Vec<ActorGroup> {
    let mut groups: Vec<ActorGroup> = Vec::new();
    for a in attributions {
        let Some(b) = &a.best else { continue };
        let key = b.actor.session_key();
        if let Some(g) = groups.iter_mut().find(|g| g.key == key) {
            g.item_ids.push(a.item_id.clone());
            g.out_of_band |= b.out_of_band;
        } else {
            groups.push(ActorGroup {
                label: sanitize(&b.actor.describe()).into_owned(),
                key,
                item_ids: vec![a.item_id.clone()],
                out_of_band: b.out_of_band,
            });
        }
    }
    groups.sort_by(|a, b| {
        b.item_ids
            .len()
            .cmp(&a.item_ids.len())
            .then(a.label.cmp(&b.label))
    });
    groups
}

fn candidate_json(c: &Candidate) -> Value {
    let mut v = json!({
        "event_id": c.event_id,
        "event_name": c.event_name,
        "event_time": c.event_time,
        "region": c.region,
        "actor": {"type": c.actor.kind, "arn": c.actor.arn, "display": c.actor.display},
        "source_ip": c.source_ip,
        "user_agent": c.user_agent,
        "tool": c.tool.as_str(),
        "mfa": c.mfa,
        "out_of_band": c.out_of_band,
        "confidence": c.confidence.as_str(),
        "matched": c.matched,
    });
    if let (true, Value::Object(o)) = (c.event_id_synthetic, &mut v) {
        o.insert("event_id_synthetic".into(), json!(true));
    }
    if let (Some(code), Value::Object(o)) = (&c.error_code, &mut v) {
        o.insert("error_code".into(), json!(code));
        o.insert("error_message".into(), json!(c.error_message));
    }
    v
}

/// The `attribute --format json` document (the contract in the README).
pub fn to_json(attributions: &[Attribution]) -> Value {
    json!({
        "items": attributions.iter().map(|a| json!({
            "address": a.address,
            "status": a.status.as_str(),
            "message": a.message,
            "best": a.best.as_ref().map(candidate_json),
            "candidates": a.candidates.iter().map(candidate_json).collect::<Vec<_>>(),
            "denied": a.denied.iter().map(candidate_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>()
    })
}

/// The `attribute --format table` text: one line per item, denied attempts indented below.
pub fn to_table(attributions: &[Attribution]) -> String {
    let mut rows: Vec<[String; 7]> = vec![[
        "ADDRESS".into(),
        "ACTOR".into(),
        "TOOL".into(),
        "OOB".into(),
        "WHEN".into(),
        "EVENT".into(),
        "CONF".into(),
    ]];
    let mut notes: Vec<(usize, Vec<String>)> = Vec::new();
    for a in attributions {
        let addr = sanitize(&a.address).into_owned();
        let mut extra = Vec::new();
        match &a.best {
            Some(b) => rows.push([
                addr,
                sanitize(&b.actor.display).into_owned(),
                b.tool.as_str().into(),
                if b.out_of_band { "yes".into() } else { "no".into() },
                b.event_time.clone(),
                sanitize(&b.event_name).into_owned(),
                b.confidence.as_str().into(),
            ]),
            None => rows.push([
                addr,
                format!("({})", a.status.as_str().replace('_', " ")),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]),
        }
        if let Some(m) = &a.message {
            extra.push(format!("  note: {}", sanitize(m)));
        }
        for d in &a.denied {
            extra.push(format!("  denied: {}", denied_line(d)));
        }
        if !extra.is_empty() {
            notes.push((rows.len() - 1, extra));
        }
    }
    let mut widths = [0usize; 7];
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(crate::text::width(c));
        }
    }
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r.iter().enumerate().map(|(j, c)| pad(c, widths[j])).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if let Some((_, extra)) = notes.iter().find(|(n, _)| *n == i) {
            for e in extra {
                out.push_str(e);
                out.push('\n');
            }
        }
    }
    out
}

/// The attribution pane's content as label/value rows, sanitised: actor, principal, when,
/// tool, source IP, MFA, console session, event, confidence, out-of-band, link, denied
/// attempts, and the message when there is no result.
pub fn details(a: &Attribution) -> Vec<(&'static str, String)> {
    let mut rows: Vec<(&'static str, String)> = Vec::new();
    let s = |t: &str| sanitize(t).into_owned();
    let Some(b) = &a.best else {
        rows.push(("status", a.status.as_str().replace('_', " ")));
        if let Some(m) = &a.message {
            rows.push(("why", s(m)));
        }
        push_denied(&mut rows, a);
        return rows;
    };
    rows.push(("actor", s(&b.actor.describe())));
    if let Some(arn) = b.actor.principal_arn.as_deref().or(b.actor.arn.as_deref()) {
        rows.push(("principal", s(arn)));
    }
    rows.push(("when", b.event_time.clone()));
    rows.push(("tool", format!("{} (claimed by the user agent)", b.tool.as_str())));
    if let Some(ip) = &b.source_ip {
        rows.push(("source ip", s(ip)));
    }
    rows.push(("mfa", if b.mfa { "yes".into() } else { "no".into() }));
    if b.console_session {
        rows.push(("session", "console".into()));
    }
    rows.push((
        "event",
        format!("{} ({}, {})", s(&b.event_name), s(&b.event_source), s(&b.region)),
    ));
    let matched = if b.matched.is_empty() {
        String::new()
    } else {
        format!(": {}", s(&b.matched.join(", ")))
    };
    rows.push(("confidence", format!("{}{matched}", b.confidence.as_str())));
    rows.push((
        "out of band",
        if b.out_of_band {
            "yes".into()
        } else {
            "no (IaC pipeline)".into()
        },
    ));
    if b.event_id_synthetic {
        // No console page exists for an id we made up; say why there is no link.
        rows.push((
            "event id",
            format!("{} (synthetic: the record has no eventID)", s(&b.event_id)),
        ));
    } else {
        rows.push(("event id", s(&b.event_id)));
        rows.push(("link", s(&b.console_link())));
    }
    if let Some(m) = &a.message {
        rows.push(("note", s(m)));
    }
    push_denied(&mut rows, a);
    rows
}

fn push_denied(rows: &mut Vec<(&'static str, String)>, a: &Attribution) {
    for d in &a.denied {
        rows.push(("denied", denied_line(d)));
    }
}

/// A denied attempt on one line: when, what, who, why it failed (sanitised).
fn denied_line(d: &Candidate) -> String {
    format!(
        "{} {} by {} ({})",
        sanitize(&d.event_time),
        sanitize(&d.event_name),
        sanitize(&d.actor.display),
        sanitize(d.error_code.as_deref().unwrap_or("error"))
    )
}
