//! [`Identity`]: the few identifying attributes of an item, kept compact.

/// Identifying, non-sensitive attributes of a resource (`id`, `arn`, `name`, …), by name, in
/// name order. Usually one to four entries: held as a sorted list, not a tree (an empty
/// `BTreeMap` node is over 500 bytes, and a wide report has hundreds of thousands of items).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity(Vec<(String, String)>);

impl Identity {
    /// An empty identity.
    pub fn new() -> Self {
        Identity(Vec::new())
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
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
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
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
    type Item = (&'a String, &'a String);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, String)>, fn(&'a (String, String)) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
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
        assert!(id.insert("arn".into(), "arn:x".into()).is_none());
        assert_eq!(id.insert("name".into(), "b".into()).as_deref(), Some("a"));
        let keys: Vec<&String> = id.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["arn", "name"]);
        assert_eq!(id.get("name").map(String::as_str), Some("b"));
        assert!(id.contains_key("arn") && !id.contains_key("id"));
        id.retain(|k, _| k != "arn");
        assert_eq!(id.len(), 1);
        assert_eq!(id.get("arn"), None);
    }
}
