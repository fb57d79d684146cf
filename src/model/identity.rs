//! [`Identity`]: the few identifying attributes of an item, kept compact.

use std::borrow::Cow;

/// Non-sensitive identifying attributes kept for attribution.
pub(crate) const IDENTITY_KEYS: &[&str] = &[
    "id",
    "arn",
    "name",
    "bucket",
    "role",
    "user",
    "group",
    "identifier",
    "function_name",
    "security_group_id",
    "key_id",
    "zone_id",
    "listener_arn",
    "load_balancer_arn",
    "policy_arn",
    "cluster_identifier",
    "cluster_name",
    "instance_id",
    "log_group_name",
    "region",
    "owner_id",
    "account_id",
    "type",
    "fqdn",
    "records",
];

/// Names loaders give that are not resource attributes.
const OTHER_NAMES: &[&str] = &["stack_id", "logical_id", "previous_address"];

/// The `'static` text of a known name (nearly every name is one), so an entry's name costs no
/// allocation.
fn known(key: &str) -> Option<&'static str> {
    IDENTITY_KEYS
        .iter()
        .chain(OTHER_NAMES)
        .find(|k| **k == key)
        .copied()
}

/// Identifying, non-sensitive attributes of a resource (`id`, `arn`, `name`, …), by name, in
/// name order. Usually one to four entries: held as a sorted list, not a tree (an empty
/// `BTreeMap` node is over 500 bytes, and a wide report has hundreds of thousands of items).
/// A known name (nearly every one) is held as a `'static` text, not allocated per item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity(Vec<(Cow<'static, str>, String)>);

impl Identity {
    /// An empty identity.
    pub fn new() -> Self {
        Identity(Vec::new())
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        self.put(known(&key).map_or(Cow::Owned(key), Cow::Borrowed), value)
    }

    /// [`Identity::insert`] for a name the caller holds as a `&str` (loaders: no allocation for
    /// a known name).
    pub fn set(&mut self, key: &str, value: String) -> Option<String> {
        self.put(
            known(key).map_or_else(|| Cow::Owned(key.to_string()), Cow::Borrowed),
            value,
        )
    }

    fn put(&mut self, key: Cow<'static, str>, value: String) -> Option<String> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Keeps only the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }

    /// The entries, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &String)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops spare room (the list is final once an item is loaded).
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

impl<'a> IntoIterator for &'a Identity {
    type Item = (&'a str, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Cow<'static, str>, String)>,
        fn(&'a (Cow<'static, str>, String)) -> Self::Item,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (&**k, v))
    }
}

impl FromIterator<(String, String)> for Identity {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut id = Identity::new();
        for (k, v) in iter {
            id.insert(k, v);
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_sorted_map() {
        let mut id = Identity::new();
        assert!(id.insert("name".into(), "a".into()).is_none());
        assert!(id.set("arn", "arn:x".into()).is_none());
        assert_eq!(id.insert("name".into(), "b".into()).as_deref(), Some("a"));
        let keys: Vec<&str> = id.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["arn", "name"]);
        assert_eq!(id.get("name").map(String::as_str), Some("b"));
        assert!(id.contains_key("arn") && !id.contains_key("id"));
        id.retain(|k, _| k != "arn");
        assert_eq!(id.len(), 1);
        assert_eq!(id.get("arn"), None);
    }

    #[test]
    fn known_names_are_not_allocated() {
        let mut id = Identity::new();
        id.set("stack_id", "arn:aws:cloudformation:x".into());
        id.set("PhysicalResourceIdContextKey", "k".into());
        id.insert("arn".into(), "arn:x".into());
        id.insert("Other".into(), "o".into());
        let owned: Vec<&str> =
            id.0.iter()
                .filter(|(k, _)| matches!(k, Cow::Owned(_)))
                .map(|(k, _)| &**k)
                .collect();
        assert_eq!(owned, ["Other", "PhysicalResourceIdContextKey"]);
        assert_eq!(
            id.get("stack_id").map(String::as_str),
            Some("arn:aws:cloudformation:x")
        );
    }
}
