//! Attribute paths: a list of steps, strings for attribute names and map keys, integers for
//! list indices — the encoding Terraform uses for `replace_paths` and `relevant_attributes`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One step of an [`AttrPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Step {
    /// List index.
    Index(usize),
    /// Attribute name or map key.
    Key(String),
}

/// A path into a resource's attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    /// The empty path (the whole resource).
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }

    /// A path of attribute names.
    pub fn keys<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AttrPath(keys.into_iter().map(|k| Step::Key(k.into())).collect())
    }

    /// This path with one more step.
    #[must_use]
    pub fn child(&self, step: Step) -> Self {
        let mut v = self.0.clone();
        v.push(step);
        AttrPath(v)
    }

    /// The first attribute name, if any.
    pub fn top(&self) -> Option<&str> {
        match self.0.first() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// The last attribute name or key, if any.
    pub fn leaf_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
    }

    /// Keys joined by `.`, indices left out: the form taxonomy globs match against
    /// (`ingress.cidr_blocks`, `tags.Name`).
    pub fn match_key(&self) -> String {
        let mut out = String::new();
        self.write_match_key(&mut out);
        out
    }

    /// [`Self::match_key`] appended to `out` (a buffer reused over many paths).
    pub fn write_match_key(&self, out: &mut String) {
        let start = out.len();
        for s in &self.0 {
            if let Step::Key(k) = s {
                if out.len() > start {
                    out.push('.');
                }
                out.push_str(k);
            }
        }
    }

    /// True when `self` starts with `prefix`.
    pub fn starts_with(&self, prefix: &AttrPath) -> bool {
        self.0.len() >= prefix.0.len() && self.0[..prefix.0.len()] == prefix.0[..]
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the root path.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for AttrPath {
    /// `ingress[1].cidr_blocks`, `tags["cost center"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(resource)");
        }
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Key(k) if is_ident(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Step::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_mixes_names_indices_and_quoted_keys() {
        let p = AttrPath(vec![
            Step::Key("ingress".into()),
            Step::Index(1),
            Step::Key("cidr_blocks".into()),
        ]);
        assert_eq!(p.to_string(), "ingress[1].cidr_blocks");
        assert_eq!(p.match_key(), "ingress.cidr_blocks");
        let q = AttrPath::keys(["tags", "cost center"]);
        assert_eq!(q.to_string(), "tags[\"cost center\"]");
    }

    #[test]
    fn serializes_as_strings_and_integers() {
        let p = AttrPath(vec![Step::Key("a".into()), Step::Index(0)]);
        assert_eq!(serde_json::to_string(&p).unwrap_or_default(), r#"["a",0]"#);
    }
}
