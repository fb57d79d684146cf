//! One side of a [`Change`](super::Change) as the model holds it.
//!
//! A change's value is read everywhere as an `Option<Value>` (this type dereferences to one),
//! but an array or object is held as its compact JSON text until something asks for it as a
//! value. On a drift-dense plan most of the kept values are rule lists (security-group ingress
//! sets), and as `serde_json` values each small object is a 632-byte map node: held as text,
//! the 20,000-item bench's peak RSS went from 92 to 71 MB. Passes over every item read the text
//! itself ([`Held::text`], [`Held::search_text`]) or a parse they do not keep ([`Held::value`]);
//! the first deref (detail view, decisions, adoption) parses it once and keeps it.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A change side: absent, a scalar, or an array/object held as text (see the module docs). As
/// large as the `Option<Value>` it stands for: a wide report of scalar changes costs no more.
#[derive(Clone)]
pub struct Held(Repr);

#[derive(Clone)]
enum Repr {
    /// Absent, or a scalar (or, only if it could not be written as text, a whole value).
    Ready(Option<Value>),
    /// An array or object as its compact JSON text, and its parse once something dereferenced
    /// it (always `Some` then).
    Text(Box<(Box<str>, OnceLock<Option<Value>>)>),
}

impl Default for Held {
    fn default() -> Self {
        Held(Repr::Ready(None))
    }
}

impl Held {
    /// Holds `value`: an array or object as its text, anything else as it is.
    pub fn new(value: Option<Value>) -> Self {
        match value {
            Some(v @ (Value::Array(_) | Value::Object(_))) if reads_back(&v, 100) => {
                match serde_json::to_string(&v) {
                    Ok(text) => Held(Repr::Text(Box::new((text.into_boxed_str(), OnceLock::new())))),
                    // Cannot happen for a `Value` (its keys are strings); kept as the value then.
                    Err(_) => Held(Repr::Ready(Some(v))),
                }
            }
            other => Held(Repr::Ready(other)),
        }
    }

    /// The side as a value, without keeping a parse of held text (for passes over every item,
    /// which would otherwise grow the model back to full values).
    pub fn value(&self) -> Option<Cow<'_, Value>> {
        match &self.0 {
            Repr::Ready(v) => v.as_ref().map(Cow::Borrowed),
            Repr::Text(t) => match t.1.get() {
                Some(v) => v.as_ref().map(Cow::Borrowed),
                None => Some(Cow::Owned(parse(&t.0))),
            },
        }
    }

    /// The side when it is absent or a scalar, `Some(None)` for absent; `None` for an array or
    /// object (its text not parsed). For checks that only look at scalars.
    pub fn scalar(&self) -> Option<Option<&Value>> {
        match &self.0 {
            Repr::Ready(Some(Value::Array(_) | Value::Object(_))) | Repr::Text(_) => None,
            Repr::Ready(v) => Some(v.as_ref()),
        }
    }

    /// What a search matches the side by: a string as itself, anything else as its compact JSON
    /// text (an array or object's held text, not parsed). `None` when absent.
    pub fn search_text(&self) -> Option<Cow<'_, str>> {
        match &self.0 {
            Repr::Text(t) => Some(Cow::Borrowed(&t.0)),
            Repr::Ready(Some(Value::String(s))) => Some(Cow::Borrowed(s)),
            Repr::Ready(Some(other)) => Some(Cow::Owned(other.to_string())),
            Repr::Ready(None) => None,
        }
    }

    /// True when the side is absent (`Option::is_none`, without parsing held text).
    pub fn is_none(&self) -> bool {
        matches!(self.0, Repr::Ready(None))
    }

    /// True when the side is present (`Option::is_some`, without parsing held text).
    pub fn is_some(&self) -> bool {
        !self.is_none()
    }

    /// The compact JSON text an array or object is held as; `None` for a scalar or absent side.
    pub fn text(&self) -> Option<&str> {
        match &self.0 {
            Repr::Text(t) => Some(&t.0),
            Repr::Ready(_) => None,
        }
    }
}

/// True when `v` reads back from its text as exactly itself: it nests at most `levels` deep
/// (serde_json reads 128 levels back) and holds no fractional number (serde_json's default float
/// parsing is not correctly rounded: `254128.16856311678` written and read back can come out one
/// unit in the last place off, found by a proptest). Anything else is kept as the value.
fn reads_back(v: &Value, levels: usize) -> bool {
    match v {
        Value::Array(a) => levels > 0 && a.iter().all(|c| reads_back(c, levels - 1)),
        Value::Object(o) => levels > 0 && o.values().all(|c| reads_back(c, levels - 1)),
        Value::Number(n) => !n.is_f64(),
        _ => true,
    }
}

/// Reads held text back. Only a value that [`reads_back`] is held as text, so it reads back as
/// that value; `null` if it ever did not.
fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

impl Deref for Held {
    type Target = Option<Value>;

    fn deref(&self) -> &Option<Value> {
        match &self.0 {
            Repr::Ready(v) => v,
            Repr::Text(t) => t.1.get_or_init(|| Some(parse(&t.0))),
        }
    }
}

impl From<Option<Value>> for Held {
    fn from(value: Option<Value>) -> Self {
        Held::new(value)
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Held) -> bool {
        // Equal texts are equal values; anything else compares as values (a side may be held
        // as a value, e.g. one with a fraction).
        (self.text().is_some() && self.text() == other.text()) || self.value() == other.value()
    }
}

impl PartialEq<Option<Value>> for Held {
    fn eq(&self, other: &Option<Value>) -> bool {
        self.value().as_deref() == other.as_ref()
    }
}

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value().as_deref().fmt(f)
    }
}

impl Serialize for Held {
    /// As the value. Text not yet read back is passed from its reader to `s` as it is read
    /// (`list --format json` writes every item): the same calls a value read from it would make,
    /// since the text is that value's own serialisation (keys in its map order), without
    /// building the value's maps and strings.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Text(t) if t.1.get().is_none() => {
                let mut read = serde_json::Deserializer::from_str(&t.0);
                serde_transcode::transcode(&mut read, s)
            }
            _ => self.value().as_deref().serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Held {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<Value>::deserialize(d).map(Held::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_side_is_as_large_as_the_option_it_stands_for() {
        assert_eq!(std::mem::size_of::<Held>(), std::mem::size_of::<Option<Value>>());
    }

    #[test]
    fn arrays_and_objects_are_held_as_text_and_read_back_equal() {
        let list = json!([{"cidr_blocks": ["0.0.0.0/0"], "from_port": 22, "to_port": -23}, {"e": {}}]);
        let h = Held::new(Some(list.clone()));
        assert!(h.text().is_some());
        assert!(h.is_some() && !h.is_none());
        assert_eq!(h.scalar(), None, "not parsed for a scalar check");
        assert_eq!(h.value().as_deref(), Some(&list));
        assert!(
            matches!(&h.0, Repr::Text(t) if t.1.get().is_none()),
            "value() keeps no parse"
        );
        assert_eq!(h, Some(list.clone()));
        assert_eq!(h.as_ref(), Some(&list), "deref parses and keeps");
        assert!(matches!(&h.0, Repr::Text(t) if t.1.get().is_some()));
        assert_eq!(h.search_text().as_deref(), Some(list.to_string().as_str()));
        assert_eq!(
            Held::new(Some(json!("A b"))).search_text().as_deref(),
            Some("A b")
        );
        assert_eq!(Held::new(Some(json!(2.5))).search_text().as_deref(), Some("2.5"));
        assert_eq!(Held::new(None).search_text(), None);
        for v in [
            None,
            Some(json!(null)),
            Some(json!("x")),
            Some(json!(1)),
            Some(json!(true)),
        ] {
            let h = Held::new(v.clone());
            assert!(h.text().is_none());
            assert_eq!((h.is_none(), h.is_some()), (v.is_none(), v.is_some()));
            assert_eq!(h.scalar(), Some(v.as_ref()));
            assert_eq!(*h, v);
        }
    }

    #[test]
    fn a_value_too_deep_to_read_back_is_kept_as_it_is() {
        let mut deep = json!(1);
        for _ in 0..200 {
            deep = json!([deep]);
        }
        let h = Held::new(Some(deep.clone()));
        assert!(h.text().is_none());
        assert_eq!(h.as_ref(), Some(&deep));
        let shallow = json!([[[1]]]);
        assert!(Held::new(Some(shallow)).text().is_some());
        assert!(!reads_back(&json!([[1]]), 1) && reads_back(&json!([[1]]), 2));
    }

    #[test]
    fn a_value_with_a_fraction_is_kept_as_it_is() {
        // Written as `254128.16856311678`, read back by serde_json's default parser one unit in
        // the last place off.
        let v = json!({"ports": [22, -1, u64::MAX], "w": [254_128.168_563_116_78]});
        let h = Held::new(Some(v.clone()));
        assert!(h.text().is_none());
        assert_eq!(h.as_ref(), Some(&v));
        assert!(
            Held::new(Some(json!({"ports": [22, -1, u64::MAX]})))
                .text()
                .is_some()
        );
    }

    #[test]
    fn equality_serde_and_debug_are_the_values() {
        let a = Held::new(Some(json!({"b": [1, 2], "a": "x"})));
        let b = Held::new(Some(json!({"a": "x", "b": [1, 2]})));
        assert_eq!(a, b);
        assert_ne!(a, Held::new(Some(json!({"a": "x"}))));
        assert_eq!(Held::new(Some(json!([-0.0]))), Held::new(Some(json!([0.0]))));
        assert_ne!(a, Held::new(None));
        let v = json!({"a": "x\u{1b}\"", "b": [1, 25, null]});
        let h = Held::new(Some(v.clone()));
        assert_eq!(serde_json::to_string(&h).ok(), serde_json::to_string(&v).ok());
        assert_eq!(
            serde_json::to_string_pretty(&h).ok(),
            serde_json::to_string_pretty(&v).ok()
        );
        assert_eq!(format!("{h:?}"), format!("{:?}", Some(&v)));
        let back: Held =
            serde_json::from_str(&serde_json::to_string(&h).unwrap_or_default()).unwrap_or_default();
        assert_eq!(back, h);
        assert!(back.text().is_some());
        let none: Held = serde_json::from_str("null").unwrap_or_else(|_| Held::new(Some(json!(1))));
        assert_eq!(*none, None);
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[a\"\\\\\u{0}\u{1f}\u{7f}\u{85}\u{202e}\u{e9}\u{1f600}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-c\"\u{e9}]{0,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Compact, serde_json pretty and the terminal-safe pretty writer.
    fn serialised(v: &impl Serialize) -> (String, String, Vec<u8>) {
        let mut pretty = Vec::new();
        let written = v.serialize(&mut crate::pretty::Pretty::at_level(&mut pretty, 2));
        (
            serde_json::to_string(v).unwrap_or_else(|e| format!("error {e}")),
            serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("error {e}")),
            written.map_or_else(|e| format!("error {e}").into_bytes(), |()| pretty),
        )
    }

    proptest::proptest! {
        /// Held text is serialised straight from its text, without reading it back, and gives
        /// the value's bytes in every writer; so does it once read back.
        #[test]
        fn held_text_serialises_as_its_value(v in any_value()) {
            let expected = serialised(&Some(&v));
            let h = Held::new(Some(v));
            proptest::prop_assert_eq!(&serialised(&h), &expected);
            if let Repr::Text(t) = &h.0 {
                proptest::prop_assert!(t.1.get().is_none(), "serialising does not keep a value");
            }
            let read: &Option<Value> = &h;
            proptest::prop_assert!(read.is_some());
            if let Repr::Text(t) = &h.0 {
                proptest::prop_assert!(t.1.get().is_some(), "read back through deref");
            }
            proptest::prop_assert_eq!(&serialised(&h), &expected);
        }
    }
}
