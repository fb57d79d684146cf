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

/// Why a filter did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// `field:` is not a known field.
    #[error(
        "unknown filter field {0:?} (use sev, kind, type, status, actor, tool, oob, confidence, event, \
         session, or plain text)"
    )]
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

/// The text an item is searched by: address, type and changed attributes, lower-cased.
pub fn haystack(item: &DriftItem) -> String {
    let mut s = String::with_capacity(item.address.len() + item.resource_type.len() + 32);
    s.push_str(&item.address.to_lowercase());
    s.push('\n');
    s.push_str(&item.resource_type.to_lowercase());
    for a in item.changed_attributes() {
        s.push('\n');
        s.push_str(&a.to_lowercase());
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
            if ["open", "approved", "approval-expired", "changed-since-approval"].contains(&v.as_str()) {
                Ok(Term::Status(v))
            } else {
                Err(bad("open, approved, approval-expired or changed-since-approval"))
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
            Term::Text(t) => s.hay.contains(t.as_str()),
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
            Term::Attribution(_) | Term::Session(_) => true,
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
