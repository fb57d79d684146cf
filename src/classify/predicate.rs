//! Value predicates a taxonomy rule can test on a change.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::model::compare::{embedded_json, semantic_eq};
use crate::model::{Change, Held};

/// What a rule tests on a matching change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicate {
    /// The attribute changed at all (or, for deleted/unmanaged, the resource matched).
    #[default]
    Changed,
    /// The live side contains one of `values` (anywhere inside, JSON documents included) more
    /// often than the desired side: e.g. `0.0.0.0/0` added to a rule.
    AddedValue,
    /// Like `added_value`, but a leaf counts when it *contains* one of `values` (case-insensitive):
    /// e.g. `policy/AdministratorAccess` inside an attachment id.
    AddedSubstring,
    /// The live value is one of `values` and the desired value is not: e.g. `false`.
    LiveIn,
    /// The attribute is gone from the live side.
    Removed,
    /// A number went down (backup retention 7 → 1).
    Decreased,
    /// A policy document (IAM, bucket, key, trust) grants more: a new wildcard action,
    /// resource or principal, a new `NotAction` allow, or a new principal.
    PolicyWidened,
    /// The change is to a secret value.
    Sensitive,
    /// Either side is a string that contains one of `values` (case-insensitive): e.g. the name
    /// of a deleted bucket or log group says it holds the audit trail (`cloudtrail`, `audit`).
    ValueContains,
}

fn scalar_text(v: &Value) -> Option<String> {
    scalar_raw(v).map(|t| t.to_ascii_lowercase())
}

/// A scalar's text as a rule compares it, before lowercasing (a string is borrowed).
fn scalar_raw(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// `hay.to_ascii_lowercase().contains(lower)` for an already lowercased `lower`, without the
/// copy: UTF-8 matches only at character boundaries, so bytes compare as the strings would.
fn contains_lower(hay: &str, lower: &str) -> bool {
    let (h, n) = (hay.as_bytes(), lower.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// A rule's needles as compared: each one's lowercased text, and whether some could be (part of)
/// a number's text. Worked out once, when the taxonomy compiles, not per change tested (a rule's
/// few values meet every change of every item of its types).
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    lower: Vec<Option<String>>,
    /// When no needle can be part of a number's text, a number leaf is compared only as a
    /// number, without writing out its text.
    numeric: bool,
    /// Per needle, whether it is a string holding a JSON document: only such a needle can equal
    /// a different string semantically, so a string leaf is compared with the others by text.
    document: Vec<bool>,
}

impl Prepared {
    /// The needles `values` prepared.
    pub fn new(values: &[Value]) -> Self {
        let lower: Vec<Option<String>> = values.iter().map(scalar_text).collect();
        let numeric = lower
            .iter()
            .flatten()
            .any(|n| n.bytes().all(|b| b.is_ascii_digit() || b"+-.e".contains(&b)));
        let document = values
            .iter()
            .map(|v| v.as_str().and_then(embedded_json).is_some())
            .collect();
        Prepared {
            lower,
            numeric,
            document,
        }
    }
}

/// The needles of a rule with their [`Prepared`] texts.
struct Needles<'v> {
    values: &'v [Value],
    lower: &'v [Option<String>],
    numeric: bool,
    document: &'v [bool],
}

impl<'v> Needles<'v> {
    fn new(values: &'v [Value], prepared: &'v Prepared) -> Self {
        Needles {
            values,
            lower: &prepared.lower,
            numeric: prepared.numeric,
            document: &prepared.document,
        }
    }

    /// The first needle `v` is (semantically, or by case-insensitive text), as `v`'s text.
    fn one_of(&self, v: &Value) -> Option<String> {
        let text = scalar_raw(v)?;
        self.values
            .iter()
            .zip(self.lower)
            .find(|(c, lower)| {
                semantic_eq(v, c) || lower.as_deref().is_some_and(|l| text.eq_ignore_ascii_case(l))
            })
            .map(|_| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    }

    /// Per needle, how many leaves of `side` match it (equal, or containing it with `substring`).
    fn count_leaves(&self, side: Leaves<'_>, substring: bool) -> Vec<usize> {
        let mut counts = vec![0; self.values.len()];
        side.each(&mut |leaf| {
            if leaf.is_null() {
                return;
            }
            // A number's text is written out only when some needle could match it.
            let text = (!leaf.is_number() || self.numeric)
                .then(|| scalar_raw(leaf))
                .flatten();
            let string = leaf.is_string();
            for (i, ((needle, lower), document)) in
                self.values.iter().zip(self.lower).zip(self.document).enumerate()
            {
                let by_text = |l: &str| {
                    text.as_deref().is_some_and(|t| {
                        if substring {
                            contains_lower(t, l)
                        } else {
                            t.eq_ignore_ascii_case(l)
                        }
                    })
                };
                // A string is semantically equal to a needle only by equal text (which the
                // case-insensitive comparison finds) or as equal documents.
                let semantic = !substring && (!string || *document) && semantic_eq(leaf, needle);
                let hit = semantic || lower.as_deref().is_some_and(by_text);
                counts[i] += usize::from(hit);
            }
        });
        counts
    }
}

/// Where [`Needles::count_leaves`] finds leaves: a value, or the text an array or object is held
/// as ([`crate::model::Held`]), walked without building the value (its maps and lists were most
/// of what reading it back cost).
#[derive(Clone, Copy)]
enum Leaves<'a> {
    Value(&'a Value),
    Text(&'a str),
}

impl<'a> Leaves<'a> {
    /// A change side's leaves; absent is a null leaf.
    fn of(side: &'a Held) -> Self {
        match side.text() {
            Some(text) => Leaves::Text(text),
            // Not held as text: the value is there as it is (dereferencing parses nothing).
            None => Leaves::Value(side.as_ref().unwrap_or(&Value::Null)),
        }
    }

    /// [`for_each_leaf`] over these leaves, in the same order with the same values.
    fn each(self, f: &mut dyn FnMut(&Value)) {
        match self {
            Leaves::Value(v) => for_each_leaf(v, f),
            Leaves::Text(text) => {
                // Held text is serde_json's own writing of a value that reads back from it
                // exactly (`Held` holds nothing else), so this walk cannot fail; and where it
                // could, reading the text back as a value would fail the same way.
                let walked = serde::de::DeserializeSeed::deserialize(
                    TextLeaves(f, &mut Value::String(String::new())),
                    &mut serde_json::Deserializer::from_str(text),
                );
                debug_assert!(walked.is_ok(), "held text that does not read: {text}");
            }
        }
    }
}

/// Visits the leaves of JSON text as [`for_each_leaf`] visits a value's: scalars as the values
/// serde_json would read them as, strings holding a JSON document through that document. A
/// string leaf is given in one value whose buffer is kept from leaf to leaf (not one allocation
/// per leaf).
struct TextLeaves<'f>(&'f mut dyn FnMut(&Value), &'f mut Value);

impl<'de> serde::de::DeserializeSeed<'de> for TextLeaves<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TextLeaves<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        (self.0)(&Value::Bool(b));
        Ok(())
    }
    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        (self.0)(&Value::Number(n.into()));
        Ok(())
    }
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        (self.0)(&Value::Number(n.into()));
        Ok(())
    }
    fn visit_f64<E>(self, n: f64) -> Result<(), E> {
        (self.0)(&serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number));
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        if !document_leaves(s, self.0) {
            match &mut *self.1 {
                Value::String(buf) => {
                    buf.clear();
                    buf.push_str(s);
                }
                other => *other = Value::String(s.to_string()),
            }
            (self.0)(self.1);
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        (self.0)(&Value::Null);
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(TextLeaves(&mut *self.0, &mut *self.1))?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            map.next_value_seed(TextLeaves(&mut *self.0, &mut *self.1))?;
        }
        Ok(())
    }
}

/// Calls `f` on every scalar leaf of `v`, JSON documents held in strings included (decoded once).
fn for_each_leaf(v: &Value, f: &mut dyn FnMut(&Value)) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| for_each_leaf(x, f)),
        Value::Object(o) => o.values().for_each(|x| for_each_leaf(x, f)),
        Value::String(s) if document_leaves(s, f) => {}
        other => f(other),
    }
}

/// Calls `f` on the leaves of the JSON document `s` holds; false (nothing called) when it holds
/// none and is a leaf itself.
fn document_leaves(s: &str, f: &mut dyn FnMut(&Value)) -> bool {
    embedded_json(s).map(|doc| for_each_leaf(&doc, f)).is_some()
}

/// A change side as a scalar predicate sees it: absent, an array or an object are null.
fn scalar(side: &Held) -> &Value {
    side.scalar().flatten().unwrap_or(&Value::Null)
}

/// The policy document a change side holds: the document in a JSON string, or an object as it
/// is (one held as text is read from it once, not read and then copied).
fn document(side: &Held) -> Option<Value> {
    match side.text() {
        Some(text) => serde_json::from_str::<Value>(text).ok().filter(Value::is_object),
        None => match side.as_ref()? {
            Value::String(s) => embedded_json(s),
            v @ Value::Object(_) => Some(v.clone()),
            _ => None,
        },
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::Object(o)) => o.values().flat_map(|x| strings(Some(x))).collect(),
        _ => Vec::new(),
    }
}

/// The grants of a policy document that matter for widening, as comparable markers.
fn grants(doc: &Value) -> Vec<String> {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        let effect = st.get("Effect").and_then(Value::as_str).unwrap_or("Allow");
        if !effect.eq_ignore_ascii_case("allow") {
            continue;
        }
        for a in strings(st.get("Action")) {
            if a == "*" || a.ends_with(":*") || a.ends_with('*') {
                out.push(format!("Action \"{a}\""));
            }
        }
        for a in strings(st.get("NotAction")) {
            out.push(format!("NotAction \"{a}\""));
        }
        for r in strings(st.get("Resource")) {
            if r == "*" {
                out.push("Resource \"*\"".to_string());
            }
        }
        match st.get("Principal") {
            Some(Value::String(p)) => out.push(format!("Principal \"{p}\"")),
            Some(p @ Value::Object(_)) => {
                for who in strings(Some(p)) {
                    out.push(format!("Principal \"{who}\""));
                }
            }
            _ => {}
        }
    }
    out
}

impl Predicate {
    /// Checks `values` fit the predicate when the taxonomy loads.
    pub fn validate(self, values: &[Value]) -> Result<(), String> {
        match self {
            Predicate::AddedValue
            | Predicate::AddedSubstring
            | Predicate::LiveIn
            | Predicate::ValueContains
                if values.is_empty() =>
            {
                Err(format!("predicate {self:?} needs `values`"))
            }
            _ => Ok(()),
        }
    }

    /// Whether the predicate can fire on a whole resource (deleted/unmanaged, no changes).
    pub fn whole_resource(self) -> bool {
        self == Predicate::Changed
    }

    /// `Some(matched value text)` when the predicate holds for the change.
    pub fn test(self, c: &Change, values: &[Value]) -> Option<String> {
        self.test_prepared(c, values, &Prepared::new(values))
    }

    /// [`Self::test`] with the needles `values` already prepared ([`Prepared::new`]).
    pub fn test_prepared(self, c: &Change, values: &[Value], prepared: &Prepared) -> Option<String> {
        // The sides as scalars: an array or object is as good as null to the predicates that
        // look at scalars only. The others read held arrays and objects from their text without
        // keeping a parse (classification passes over every item): added_value/added_substring
        // walk its leaves, policy_widened reads the document.
        let (desired, live) = (scalar(&c.desired), scalar(&c.live));
        match self {
            Predicate::Changed => Some(String::new()),
            Predicate::Sensitive => c.sensitive.then(String::new),
            Predicate::ValueContains => {
                if c.sensitive {
                    return None;
                }
                let needles = Needles::new(values, prepared);
                [desired, live].into_iter().find_map(|side| {
                    let text = side.as_str()?;
                    needles
                        .lower
                        .iter()
                        .flatten()
                        .any(|n| contains_lower(text, n))
                        .then(|| text.to_string())
                })
            }
            Predicate::Removed => (c.live.is_none() && c.desired.is_some()).then(String::new),
            Predicate::LiveIn => {
                if c.sensitive {
                    return None;
                }
                let needles = Needles::new(values, prepared);
                let hit = needles.one_of(live)?;
                needles.one_of(desired).is_none().then_some(hit)
            }
            Predicate::AddedValue | Predicate::AddedSubstring => {
                let substring = self == Predicate::AddedSubstring;
                let needles = Needles::new(values, prepared);
                // Leaves are counted from the held text itself (no value is built).
                let (l, d) = (
                    needles.count_leaves(Leaves::of(&c.live), substring),
                    needles.count_leaves(Leaves::of(&c.desired), substring),
                );
                needles
                    .lower
                    .iter()
                    .zip(l.iter().zip(&d))
                    .find_map(|(lower, (l, d))| (l > d).then(|| lower.clone().unwrap_or_default()))
            }
            Predicate::Decreased => {
                let to_f = |v: &Value| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
                let (d, l) = (to_f(desired)?, to_f(live)?);
                (l < d).then(|| format!("{d} → {l}"))
            }
            Predicate::PolicyWidened => {
                let live_doc = document(&c.live)?;
                let live_grants = grants(&live_doc);
                let desired_grants = document(&c.desired).map(|d| grants(&d)).unwrap_or_default();
                live_grants.into_iter().find(|g| !desired_grants.contains(g))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttrPath;
    use serde_json::json;

    fn change(d: Value, l: Value) -> Change {
        Change::plain(AttrPath::keys(["policy"]), Some(d), Some(l))
    }

    fn leaves(side: Leaves<'_>) -> Vec<Value> {
        let mut out = Vec::new();
        side.each(&mut |v| out.push(v.clone()));
        out
    }

    #[test]
    fn held_text_has_the_leaves_of_its_value() {
        let v = json!([
            {"cidr_blocks": ["0.0.0.0/0", null], "from_port": 22, "n": -3, "f": 25, "t": true},
            "{\"Statement\":[{\"Action\":\"s3:*\"}]}",
            " [1, \"x\"]",
            "[not json",
            "esc\u{e9}\"q",
            {},
            [],
            u64::MAX
        ]);
        let held = crate::model::Held::new(Some(v.clone()));
        assert!(matches!(Leaves::of(&held), Leaves::Text(_)));
        assert_eq!(leaves(Leaves::of(&held)), leaves(Leaves::Value(&v)));
        assert_eq!(
            leaves(Leaves::of(&crate::model::Held::new(None))),
            vec![Value::Null]
        );
        let mut deep = json!(["0.0.0.0/0"]);
        for _ in 0..120 {
            deep = json!([deep]);
        }
        let kept = crate::model::Held::new(Some(deep));
        assert_eq!(
            leaves(Leaves::of(&kept)),
            vec![json!("0.0.0.0/0")],
            "a value kept as it is"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        #[test]
        fn any_held_value_has_the_leaves_of_its_value(v in any_json()) {
            let held = crate::model::Held::new(Some(v.clone()));
            proptest::prop_assert_eq!(leaves(Leaves::of(&held)), leaves(Leaves::Value(&v)));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Leaves are counted as comparing every leaf with every needle both semantically and by
        /// text would count them (a string leaf skips the semantic comparison with a needle that
        /// holds no document).
        #[test]
        fn leaves_are_counted_as_by_every_comparison(
            side in few_sides(),
            needles in proptest::collection::vec(few_leaves(), 0..4),
            substring: bool,
        ) {
            let prepared = Prepared::new(&needles);
            let held = crate::model::Held::new(Some(side.clone()));
            let counts = Needles::new(&needles, &prepared).count_leaves(Leaves::of(&held), substring);
            let mut expected = vec![0; needles.len()];
            for_each_leaf(&side, &mut |leaf| {
                if leaf.is_null() {
                    return;
                }
                for (i, needle) in needles.iter().enumerate() {
                    let by_text = scalar_raw(leaf).zip(scalar_text(needle)).is_some_and(|(t, l)| {
                        if substring { contains_lower(&t, &l) } else { t.eq_ignore_ascii_case(&l) }
                    });
                    expected[i] += usize::from((!substring && semantic_eq(leaf, needle)) || by_text);
                }
            });
            proptest::prop_assert_eq!(counts, expected);
        }
    }

    /// Leaves that equal each other in the ways predicates compare: by value, semantically
    /// (`1` and `1.0`, documents spaced differently), by text in any ASCII case, or inside a
    /// document held in a string.
    fn few_leaves() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(json!(1)),
            Just(json!(1.0)),
            Just(json!("1")),
            Just(json!(true)),
            Just(json!("TRUE")),
            Just(json!(null)),
            Just(json!("0.0.0.0/0")),
            Just(json!("0.0.0.0/0x")),
            Just(json!("{\"a\":[1,\"0.0.0.0/0\"]}")),
            Just(json!(" { \"a\": [1, \"0.0.0.0/0\"] }")),
            Just(json!("[1")),
            Just(json!("X")),
            Just(json!("x")),
        ]
    }

    /// A list of [`few_leaves`] (held as text, as a change side is).
    fn few_sides() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        proptest::collection::vec(few_leaves(), 0..6).prop_map(Value::Array)
    }

    /// Any JSON value, strings including embedded documents and escapes.
    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            (-1e6f64..1e6).prop_map(|n| json!(n)),
            "[a-z0-9./:* \"\\\\\u{e9}]{0,8}".prop_map(Value::String),
            prop_oneof![
                Just("{\"a\":[1,\"0.0.0.0/0\"]}"),
                Just(" [true, null]"),
                Just("[1"),
                Just("{}")
            ]
            .prop_map(|s| Value::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn widened_policy_is_found_in_objects_held_as_text() {
        let d = json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        let l = json!({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]});
        let c = change(d.clone(), l.clone());
        assert!(c.live.text().is_some(), "held as text");
        assert_eq!(
            Predicate::PolicyWidened.test(&c, &[]),
            Some("Action \"iam:*\"".into())
        );
        assert_eq!(Predicate::PolicyWidened.test(&change(l, d), &[]), None);
        let list = change(
            json!([]),
            json!([{"Statement": [{"Effect": "Allow", "Action": "*"}]}]),
        );
        assert_eq!(
            Predicate::PolicyWidened.test(&list, &[]),
            None,
            "a list is no document"
        );
    }

    #[test]
    fn widened_policy_is_found_in_json_strings() {
        let d = json!(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
        );
        let l = json!(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        );
        assert_eq!(
            Predicate::PolicyWidened.test(&change(d.clone(), l.clone()), &[]),
            Some("Action \"*\"".into())
        );
        assert_eq!(
            Predicate::PolicyWidened.test(&change(l, d), &[]),
            None,
            "narrowing is not widening"
        );
    }

    #[test]
    fn added_value_counts_occurrences() {
        let d = json!([{"cidr_blocks": ["0.0.0.0/0"], "from_port": 443}]);
        let l = json!([{"cidr_blocks": ["0.0.0.0/0"], "from_port": 443}, {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22}]);
        let vals = [json!("0.0.0.0/0"), json!("::/0")];
        assert!(
            Predicate::AddedValue
                .test(&change(d.clone(), l.clone()), &vals)
                .is_some()
        );
        assert!(Predicate::AddedValue.test(&change(l, d), &vals).is_none());
    }

    #[test]
    fn live_in_accepts_stringly_booleans() {
        let c = change(json!("true"), json!("false"));
        assert_eq!(Predicate::LiveIn.test(&c, &[json!(false)]), Some("false".into()));
    }

    /// Text comparisons ignore ASCII case only, numbers compare by their text too, and a leaf
    /// counts once per needle it matches, JSON documents inside strings included.
    #[test]
    fn leaf_and_text_comparisons_ignore_ascii_case_only() {
        let admin = [json!("policy/AdministratorAccess")];
        let c = change(
            json!(["arn:aws:iam::aws:policy/ReadOnly"]),
            json!(["arn:aws:iam::aws:POLICY/administratoraccess"]),
        );
        assert_eq!(
            Predicate::AddedSubstring.test(&c, &admin),
            Some("policy/administratoraccess".into())
        );
        // `to_ascii_lowercase` leaves `É` alone: no match against `é`.
        let c = change(json!("x"), json!("CAFÉ-audit"));
        assert_eq!(Predicate::ValueContains.test(&c, &[json!("café")]), None);
        assert_eq!(
            Predicate::ValueContains.test(&c, &[json!("AUDIT")]),
            Some("CAFÉ-audit".into())
        );
        let c = change(json!(443), json!(22));
        assert_eq!(Predicate::LiveIn.test(&c, &[json!("22")]), Some("22".into()));
        let doc = |cidr: &str| {
            json!(format!(
                "{{\"rules\":[{{\"cidr\":\"{cidr}\"}},{{\"cidr\":\"10.0.0.0/8\"}}]}}"
            ))
        };
        let c = change(doc("10.0.0.0/8"), doc("0.0.0.0/0"));
        let vals = [json!("::/0"), json!("0.0.0.0/0")];
        assert_eq!(Predicate::AddedValue.test(&c, &vals), Some("0.0.0.0/0".into()));
        assert_eq!(
            Predicate::AddedValue.test(&change(doc("0.0.0.0/0"), doc("0.0.0.0/0")), &vals),
            None
        );
    }
}
