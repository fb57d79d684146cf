//! The filter language of the `/` prompt: whitespace-separated terms, all of which must match.
//! Free text matches address, type and changed attributes (case-insensitive); `field:value`
//! terms select by severity (`sev:high`, `sev>=high`), kind, type glob, status; a leading `-`
//! negates a term. New fields are new [`Term`] variants and a line in [`parse_term`].

use globset::{GlobBuilder, GlobMatcher};

use super::state::ItemSide;
use crate::attribution::view::AttrTerm;
use crate::model::{DriftItem, Kind, Severity};

/// A comparison of severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `:` or `=`.
    Eq,
    /// `>=`.
    Ge,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `<`.
    Lt,
}

impl Cmp {
    fn test(self, a: Severity, b: Severity) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ge => a >= b,
            Cmp::Gt => a > b,
            Cmp::Le => a <= b,
            Cmp::Lt => a < b,
        }
    }
}

/// One filter term.
#[derive(Debug, Clone)]
pub enum Term {
    /// Lower-cased free text, matched as a substring of address, type and attributes.
    Text(String),
    /// Severity compared with a level.
    Severity(Cmp, Severity),
    /// Item kind.
    Kind(Kind),
    /// Resource type glob (`aws_iam_*`), case-insensitive.
    Type(GlobMatcher),
    /// Status name (`open`, `approved`, `approval-expired`, `changed-since-approval`).
    Status(String),
    /// A CloudTrail attribution term (`actor:jane`, `tool:console`, `oob:true`,
    /// `confidence:high`, `event:Authorize`), matched by
    /// [`AttrTerm::matches`]. Items not attributed (yet) match none.
    Attribution(AttrTerm),
    /// The actor session of the best candidate, exactly (`session:KEY`; the group-by-actor view
    /// applies it).
    Session(String),
    /// The negation of a term (`-kind:unmanaged`).
    Not(Box<Term>),
}

/// A `field:value` filter term: its names and what it does. [`FIELDS`] is the one table both
/// the parser and the help read, so they cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field's names (the first is the one help shows).
    pub names: &'static [&'static str],
    /// An example term.
    pub example: &'static str,
    /// What it selects.
    pub help: &'static str,
}

/// Every filter field, in the order help lists them.
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        names: &["sev", "severity"],
        example: "sev>=high",
        help: "severity: sev:high, sev>=high, sev<medium (critical, high, medium, low)",
    },
    FieldSpec {
        names: &["kind"],
        example: "kind:unmanaged",
        help: "modified, deleted or unmanaged",
    },
    FieldSpec {
        names: &["type"],
        example: "type:aws_iam_*",
        help: "resource type, glob",
    },
    FieldSpec {
        names: &["status"],
        example: "status:open",
        help: "open, approved, approval-expired, changed-since-approval, adopted, reverted, revert-failed",
    },
    FieldSpec {
        names: &["actor"],
        example: "actor:jane",
        help: "CloudTrail actor, principal, session or ARN contains text",
    },
    FieldSpec {
        names: &["tool"],
        example: "tool:console",
        help: "tool of the change: console, aws-cli, terraform, sdk, …",
    },
    FieldSpec {
        names: &["oob"],
        example: "oob:true",
        help: "changed out of band (outside the IaC pipeline): true or false",
    },
    FieldSpec {
        names: &["confidence"],
        example: "confidence:high",
        help: "attribution confidence: high, medium or low",
    },
    FieldSpec {
        names: &["event"],
        example: "event:Authorize",
        help: "CloudTrail event name contains text",
    },
    FieldSpec {
        names: &["session"],
        example: "session:KEY",
        help: "one actor session exactly (the group-by-actor view sets it)",
    },
];

/// The field names, for messages.
fn field_names() -> String {
    FIELDS.iter().map(|f| f.names[0]).collect::<Vec<_>>().join(", ")
}

/// Why a filter did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// `field:` is not a known field.
    #[error("unknown filter field {0:?} (use {names}, or plain text; ? lists them)", names = field_names())]
    UnknownField(String),
    /// The value does not fit the field.
    #[error("{field}: {value:?} is not valid; expected {expected}")]
    BadValue {
        /// The field.
        field: String,
        /// The value given.
        value: String,
        /// What would be valid.
        expected: &'static str,
    },
    /// A quote was opened and not closed.
    #[error("unclosed quote")]
    UnclosedQuote,
}

/// What a filter looks at for one item: the item, its search text and its side data
/// (attribution and decisions will be matched through `side`).
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The item.
    pub item: &'a DriftItem,
    /// Its [`haystack`].
    pub hay: &'a str,
    /// Per-item data held by the TUI, when there is any.
    pub side: Option<&'a ItemSide>,
}

impl<'a> Subject<'a> {
    /// A subject without side data.
    pub fn new(item: &'a DriftItem, hay: &'a str) -> Self {
        Subject {
            item,
            hay,
            side: None,
        }
    }
}

/// A parsed filter: every term must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The terms.
    pub terms: Vec<Term>,
}

/// The text an item is searched by, lower-cased: what the operator can see of it — address,
/// type, changed attributes, the desired and live values of the changes (`0.0.0.0/0`, an ARN;
/// masked values stay masked), the reasons for its severity and its controls. Attribution (the
/// actor and tool columns) is matched from the item's side data, see [`Term::matches`].
pub fn haystack(item: &DriftItem) -> String {
    let mut s = String::with_capacity(item.address.len() + item.resource_type.len() + 128);
    let mut add = |t: &str| {
        s.push('\n');
        s.push_str(&t.to_lowercase());
    };
    add(&item.address);
    add(&item.resource_type);
    for a in item.changed_attributes() {
        add(&a);
    }
    for c in &item.changes {
        // A string as itself, anything else as its JSON text (arrays and objects as held).
        for t in [c.desired.search_text(), c.live.search_text()]
            .into_iter()
            .flatten()
        {
            add(&t);
        }
    }
    for w in &*item.why {
        add(w);
    }
    for c in &*item.controls {
        add(c);
    }
    s
}

fn words(s: &str) -> Result<Vec<String>, FilterError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err(FilterError::UnclosedQuote);
    }
    if any {
        out.push(cur);
    }
    Ok(out)
}

/// Parses one term.
pub fn parse_term(w: &str) -> Result<Term, FilterError> {
    if let Some(rest) = w.strip_prefix('-').filter(|r| !r.is_empty()) {
        return Ok(Term::Not(Box::new(parse_term(rest)?)));
    }
    // `sev>=high`, `sev<medium`, `sev=low`, `sev:high`
    let ops = [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
        (":", Cmp::Eq),
        ("=", Cmp::Eq),
    ];
    let split = ops
        .iter()
        .filter_map(|(op, cmp)| w.find(op).map(|at| (at, *op, *cmp)))
        .min_by_key(|(at, op, _)| (*at, usize::MAX - op.len()));
    let Some((at, op, cmp)) = split else {
        return Ok(Term::Text(w.to_lowercase()));
    };
    let field = w[..at].to_ascii_lowercase();
    let value = &w[at + op.len()..];
    let bad = |expected| FilterError::BadValue {
        field: field.clone(),
        value: value.to_string(),
        expected,
    };
    // Only the fields of the table are fields; anything else with a colon is an error, except
    // text that merely contains one (an ARN, a URL).
    let known = FIELDS.iter().find(|f| f.names.contains(&field.as_str()));
    if known.is_none() {
        return match field.as_str() {
            "" | "arn" | "http" | "https" => Ok(Term::Text(w.to_lowercase())),
            _ => Err(FilterError::UnknownField(field.clone())),
        };
    }
    match field.as_str() {
        "sev" | "severity" => Severity::parse(value)
            .map(|s| Term::Severity(cmp, s))
            .ok_or_else(|| bad("critical, high, medium or low")),
        _ if cmp != Cmp::Eq => Err(FilterError::UnknownField(field.clone())),
        "kind" => Kind::parse(value)
            .map(Term::Kind)
            .ok_or_else(|| bad("modified, deleted or unmanaged")),
        "type" => GlobBuilder::new(value)
            .case_insensitive(true)
            .build()
            .map(|g| Term::Type(g.compile_matcher()))
            .map_err(|_| bad("a type or glob like aws_iam_*")),
        "status" => {
            let v = value.to_ascii_lowercase();
            if crate::model::Status::parse(&v).is_some() {
                Ok(Term::Status(v))
            } else {
                Err(bad(
                    "open, approved, approval-expired, changed-since-approval, adopted, reverted or revert-failed",
                ))
            }
        }
        "actor" | "event" | "tool" | "oob" | "confidence" => match AttrTerm::parse(&field, value) {
            Ok(Some(t)) => Ok(Term::Attribution(t)),
            Ok(None) => Err(FilterError::UnknownField(field.clone())),
            Err(valid) => Err(bad(valid)),
        },
        "session" if !value.is_empty() => Ok(Term::Session(value.to_string())),
        "session" => Err(bad("an actor session (press the group-by-actor key)")),
        // Text that merely contains a colon (an ARN, `module.x:y`) is free text.
        "" | "arn" | "http" | "https" => Ok(Term::Text(w.to_lowercase())),
        _ => Err(FilterError::UnknownField(field.clone())),
    }
}

/// Parses a whole filter line. The empty line matches everything.
pub fn parse(s: &str) -> Result<Filter, FilterError> {
    let terms = words(s)?
        .iter()
        .map(|w| parse_term(w))
        .collect::<Result<_, _>>()?;
    Ok(Filter { terms })
}

impl Term {
    /// Whether an item matches.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        let item = s.item;
        match self {
            Term::Text(t) => {
                s.hay.contains(t.as_str())
                    || s.side
                        .and_then(|side| side.attribution.as_deref())
                        .and_then(|a| a.best.as_ref())
                        .is_some_and(|b| {
                            b.actor.display.to_lowercase().contains(t.as_str())
                                || b.tool.as_str().contains(t.as_str())
                        })
            }
            Term::Severity(cmp, s) => cmp.test(item.severity, *s),
            Term::Kind(k) => item.kind == *k,
            Term::Type(g) => g.is_match(&item.resource_type),
            Term::Status(s) => item.status.as_str() == s,
            Term::Attribution(t) => s
                .side
                .and_then(|side| side.attribution.as_deref())
                .is_some_and(|a| t.matches(a)),
            Term::Session(k) => s
                .side
                .and_then(|side| side.attribution.as_deref())
                .and_then(|a| a.best.as_ref())
                .is_some_and(|b| b.actor.session_key() == *k),
            Term::Not(t) => !t.matches(s),
        }
    }

    /// Whether the term looks at attribution results (so the list must be refiltered when
    /// results arrive).
    pub fn uses_attribution(&self) -> bool {
        match self {
            // Free text matches the actor and tool columns too.
            Term::Attribution(_) | Term::Session(_) | Term::Text(_) => true,
            Term::Not(t) => t.uses_attribution(),
            _ => false,
        }
    }
}

impl Filter {
    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether any term looks at attribution results.
    pub fn uses_attribution(&self) -> bool {
        self.terms.iter().any(Term::uses_attribution)
    }

    /// Whether an item matches every term.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.terms.iter().all(|t| t.matches(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Format;

    fn item(addr: &str, ty: &str, sev: Severity, kind: Kind) -> DriftItem {
        let mut i = DriftItem::new(
            "x".into(),
            addr.into(),
            ty.into(),
            "p",
            Format::TerraformPlan,
            kind,
        );
        i.severity = sev;
        i
    }

    fn m(f: &str, i: &DriftItem) -> bool {
        parse(f).expect("parses").matches(&Subject::new(i, &haystack(i)))
    }

    #[test]
    fn terms_combine() {
        let a = item("aws_iam_role.ci", "aws_iam_role", Severity::Low, Kind::Modified);
        let b = item(
            "aws_security_group.web",
            "aws_security_group",
            Severity::Critical,
            Kind::Modified,
        );
        let c = item("backdoor-admin", "aws_iam_user", Severity::High, Kind::Unmanaged);
        assert!(m("sev>=high", &b) && m("sev>=high", &c) && !m("sev>=high", &a));
        assert!(m("sev:critical", &b) && !m("sev:high", &b));
        assert!(m("type:aws_iam_*", &a) && m("TYPE:AWS_IAM_*", &c) && !m("type:aws_iam_*", &b));
        assert!(m("kind:unmanaged", &c) && !m("kind:unmanaged", &a));
        assert!(m("status:open", &a));
        assert!(m("SECURITY web", &b) && !m("security ci", &b));
        assert!(m("-kind:unmanaged type:aws_iam_*", &a) && !m("-kind:unmanaged type:aws_iam_*", &c));
        assert!(m("\"group.web\"", &b));
        assert!(m("", &a));
    }

    #[test]
    fn errors_say_what_is_valid() {
        assert_eq!(
            parse("color:red").expect_err("field"),
            FilterError::UnknownField("color".into())
        );
        let e = parse("sev>=urgent").expect_err("value").to_string();
        assert!(e.contains("critical, high, medium or low"), "{e}");
        assert!(parse("kind:gone").is_err());
        assert!(parse("\"open").is_err());
        assert!(matches!(
            parse("arn:aws:iam::1:role/x").expect("text").terms[0],
            Term::Text(_)
        ));
    }

    #[test]
    fn attribution_terms_parse_and_need_results() {
        let f = parse("actor:jane tool:console oob:true confidence:HIGH event:Authorize").expect("parses");
        assert_eq!(f.terms.len(), 5);
        assert!(f.terms.iter().all(|t| matches!(t, Term::Attribution(_))));
        assert!(f.uses_attribution() && parse("-actor:bob").expect("not").uses_attribution());
        assert!(!parse("sev:high kind:modified").expect("plain").uses_attribution());
        assert!(matches!(
            &parse("session:\"arn:aws:iam::1:user/bob|bob|\"").expect("session").terms[0],
            Term::Session(k) if k == "arn:aws:iam::1:user/bob|bob|"
        ));
        let e = parse("oob:maybe").expect_err("bad").to_string();
        assert!(e.contains("true or false"), "{e}");
        assert!(parse("confidence:certain").is_err() && parse("actor:").is_err());
        // Without a result an item matches no attribution term, not even a negated one's inner.
        let a = item("aws_iam_role.ci", "aws_iam_role", Severity::Low, Kind::Modified);
        assert!(!m("actor:jane", &a) && m("-actor:jane", &a) && !m("oob:false", &a));
    }
}
