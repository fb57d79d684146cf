//! The diff engine behind the detail pane: normalise each changed attribute's desired and live
//! values into lines ([`render`]), align them side by side with in-line changed ranges
//! ([`align`]), and add syntax colours ([`highlight`]). Pure data; no terminal types here, so the
//! TUI, exports and tests share it.

pub mod align;
pub mod highlight;
pub mod render;

use serde_json::Value;

pub use align::{Row, RowKind};
pub use highlight::{Highlighter, Rgb, Segment};
pub use render::Lang;

use crate::model::{DriftItem, Format, Kind};

/// One side (desired or live) of a section: its lines and their syntax colours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Side {
    /// Normalised, sanitized lines. Empty when the value is absent.
    pub lines: Vec<String>,
    /// Foreground segments per line; empty when not highlighted.
    pub highlight: Vec<Vec<Segment>>,
}

impl Side {
    fn new(v: Option<&Value>, lang: Lang, h: Option<&Highlighter>) -> Self {
        let lines = v.map(|v| render::value_lines(v, lang)).unwrap_or_default();
        let highlight = h.map(|h| h.highlight(&lines, lang)).unwrap_or_default();
        Side { lines, highlight }
    }
}

/// One attribute (or the whole resource, for deleted and unmanaged items), side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The attribute path (or `resource`), sanitized.
    pub title: String,
    /// The values are secret and shown masked.
    pub sensitive: bool,
    /// A remark shown next to the title (e.g. "computed by the provider").
    pub note: Option<String>,
    /// What the IaC says.
    pub desired: Side,
    /// What the cloud has.
    pub live: Side,
    /// The aligned rows.
    pub rows: Vec<Row>,
}

/// Everything the detail pane needs for one item, computed off the render path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// The syntax used.
    pub lang: Lang,
    /// One section per changed attribute.
    pub sections: Vec<Section>,
}

/// The syntax an item's values are shown in: JSON for CloudFormation, HCL otherwise.
pub fn lang_for(item: &DriftItem) -> Lang {
    if item.format == Some(Format::Cloudformation) {
        Lang::Json
    } else {
        Lang::Hcl
    }
}

fn section(
    title: &str,
    desired: Option<&Value>,
    live: Option<&Value>,
    lang: Lang,
    h: Option<&Highlighter>,
) -> Section {
    let desired = Side::new(desired, lang, h);
    let live = Side::new(live, lang, h);
    let rows = align::align(&desired.lines, &live.lines);
    Section {
        title: crate::text::sanitize(title).into_owned(),
        sensitive: false,
        note: None,
        desired,
        live,
        rows,
    }
}

/// Builds the side-by-side detail of an item; `h` adds syntax colours (None: monochrome).
pub fn prepare(item: &DriftItem, h: Option<&Highlighter>) -> Detail {
    let lang = lang_for(item);
    let mut sections = Vec::with_capacity(item.changes.len().max(1));
    for c in &item.changes {
        let mut s = section(&c.path.to_string(), c.desired.as_ref(), c.live.as_ref(), lang, h);
        s.sensitive = c.sensitive;
        if let Some(why) = &c.noise {
            s.note = Some(format!("noise: {why}"));
        } else if c.computed {
            s.note = Some("computed by the provider".to_string());
        }
        sections.push(s);
    }
    if sections.is_empty() {
        let identity = || {
            let mut m = serde_json::Map::new();
            for (k, v) in &item.identity {
                m.insert(k.to_string(), Value::String(v.clone()));
            }
            Value::Object(m)
        };
        let s = match item.kind {
            Kind::Unmanaged => {
                let live = item.live_attributes.clone().unwrap_or_else(identity);
                section("resource", None, Some(&live), lang, h)
            }
            Kind::Deleted => section("resource", Some(&identity()), None, lang, h),
            Kind::Modified => section("resource", None, None, lang, h),
        };
        sections.push(s);
    }
    Detail { lang, sections }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AttrPath, Change, MASK};
    use serde_json::json;

    fn item(changes: Vec<Change>) -> DriftItem {
        let mut i = DriftItem::new(
            "id".into(),
            "aws_iam_role_policy.deploy".into(),
            "aws_iam_role_policy".into(),
            "plan.json",
            Format::TerraformPlan,
            Kind::Modified,
        );
        i.changes = changes;
        i
    }

    #[test]
    fn policy_diff_is_structural() {
        let d = r#"{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}]}"#;
        let l = r#"{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}]}"#;
        let it = item(vec![Change::plain(
            AttrPath::keys(["policy"]),
            Some(json!(d)),
            Some(json!(l)),
        )]);
        let det = prepare(&it, None);
        let s = &det.sections[0];
        let changed: Vec<&Row> = s.rows.iter().filter(|r| r.kind == RowKind::Changed).collect();
        assert_eq!(changed.len(), 1, "{:?}", s.rows);
        let left = &s.desired.lines[changed[0].left.expect("left")];
        assert_eq!(&left[changed[0].left_ranges[0].clone()], "s3:GetObject");
    }

    #[test]
    fn sensitive_values_stay_masked() {
        let mut c = Change::plain(AttrPath::keys(["password"]), Some(json!(MASK)), Some(json!(MASK)));
        c.sensitive = true;
        let det = prepare(&item(vec![c]), None);
        assert!(det.sections[0].sensitive);
        assert_eq!(det.sections[0].live.lines, vec![MASK.to_string()]);
    }
}
