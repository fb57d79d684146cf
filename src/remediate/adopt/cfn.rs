//! CloudFormation adoption: edits the stack template at the drifted property paths so it
//! matches live. YAML templates are edited line by line (indentation-aware), so every other
//! line — comments, intrinsic functions, ordering — stays as it was. JSON templates are
//! re-serialised (pretty, two-space indent) after the edit. Values set by an intrinsic
//! function (`!Ref`, `Fn::…`) are reported, not overwritten; sensitive values are never written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{AdoptError, AdoptNote, FileEdit, NoteKind};
use crate::model::{Change, DriftItem, Kind, Step};

fn find_template(iac_dir: &Path, stack: &str) -> Result<PathBuf, AdoptError> {
    let mut tried = Vec::new();
    for dir in ["cloudformation", "cfn", "templates", ""] {
        for ext in ["yaml", "yml", "json", "template"] {
            let rel = if dir.is_empty() {
                PathBuf::from(format!("{stack}.{ext}"))
            } else {
                PathBuf::from(dir).join(format!("{stack}.{ext}"))
            };
            if iac_dir.join(&rel).is_file() {
                return Ok(rel);
            }
            tried.push(rel.display().to_string());
        }
    }
    Err(AdoptError::TemplateNotFound {
        stack: stack.to_string(),
        tried: tried.join(", "),
    })
}

fn note(notes: &mut Vec<AdoptNote>, attribute: &str, kind: NoteKind, message: impl Into<String>) {
    notes.push(AdoptNote::new(attribute, kind, message));
}

/// Computes the template edit for a CloudFormation item.
pub fn adopt(item: &DriftItem, iac_dir: &Path) -> Result<(Vec<FileEdit>, Vec<AdoptNote>), AdoptError> {
    let (stack, logical) = item
        .address
        .split_once('/')
        .unwrap_or(("", item.address.as_str()));
    let rel = find_template(iac_dir, stack)?;
    let full = iac_dir.join(&rel);
    let text = std::fs::read_to_string(&full).map_err(|source| AdoptError::Io {
        path: full.clone(),
        what: "cannot read",
        source,
    })?;
    let mut notes = Vec::new();
    if item.kind != Kind::Modified {
        note(
            &mut notes,
            "",
            NoteKind::Unsupported,
            match item.kind {
                Kind::Deleted => format!(
                    "{logical} was deleted outside CloudFormation: adopting means removing it from the template (and anything referencing it) by hand; or revert to re-create it"
                ),
                _ => "unmanaged resources are imported with `aws cloudformation create-change-set --change-set-type IMPORT`".to_string(),
            },
        );
        return Ok((Vec::new(), notes));
    }
    let after = if text.trim_start().starts_with('{') {
        edit_json(&rel, &text, logical, &item.changes, &mut notes)?
    } else {
        edit_yaml(&text, logical, &item.changes, &mut notes)
    };
    let edits = if after == text {
        Vec::new()
    } else {
        vec![FileEdit {
            path: rel,
            before: text,
            after,
            new_file: false,
        }]
    };
    Ok((edits, notes))
}

fn is_intrinsic(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 1 && o.keys().any(|k| k == "Ref" || k.starts_with("Fn::")))
}

fn edit_json(
    rel: &Path,
    text: &str,
    logical: &str,
    changes: &[Change],
    notes: &mut Vec<AdoptNote>,
) -> Result<String, AdoptError> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| AdoptError::Parse {
        path: rel.to_path_buf(),
        message: e.to_string(),
    })?;
    let Some(props) = doc.pointer_mut(&format!(
        "/Resources/{}/Properties",
        logical.replace('~', "~0").replace('/', "~1")
    )) else {
        note(
            notes,
            "",
            NoteKind::Unsupported,
            format!("no Resources.{logical}.Properties in the template"),
        );
        return Ok(text.to_string());
    };
    for c in changes {
        let label = c.path.to_string();
        if c.sensitive {
            notes.push(AdoptNote::sensitive(&label, "the template"));
            continue;
        }
        let mut cur = &mut *props;
        let n = c.path.0.len();
        for (i, s) in c.path.0.iter().enumerate() {
            let last = i + 1 == n;
            if is_intrinsic(cur) {
                note(
                    notes,
                    &label,
                    NoteKind::NotLiteral,
                    "set by an intrinsic function (Ref/Fn::…): not overwritten; change its source",
                );
                break;
            }
            match (s, cur) {
                (Step::Key(k), Value::Object(o)) => {
                    if last {
                        match &*c.live {
                            Some(v) => {
                                if o.get(k).is_some_and(is_intrinsic) {
                                    note(
                                        notes,
                                        &label,
                                        NoteKind::NotLiteral,
                                        "set by an intrinsic function: not overwritten",
                                    );
                                } else {
                                    o.insert(k.clone(), v.clone());
                                }
                            }
                            None => {
                                o.remove(k);
                            }
                        }
                        break;
                    }
                    cur = o
                        .entry(k.clone())
                        .or_insert_with(|| Value::Object(serde_json::Map::new()));
                }
                (Step::Index(idx), Value::Array(a)) => {
                    if last {
                        match (&*c.live, *idx < a.len()) {
                            (Some(v), true) => a[*idx] = v.clone(),
                            (Some(v), false) => a.push(v.clone()),
                            (None, true) => {
                                a.remove(*idx);
                            }
                            (None, false) => {}
                        }
                        break;
                    }
                    while a.len() <= *idx {
                        a.push(Value::Object(serde_json::Map::new()));
                    }
                    cur = &mut a[*idx];
                }
                _ => {
                    note(
                        notes,
                        &label,
                        NoteKind::Unsupported,
                        "the template's shape differs from the drift path: edit by hand",
                    );
                    break;
                }
            }
        }
    }
    note(
        notes,
        "",
        NoteKind::Info,
        "JSON template: re-serialised with two-space indentation after the edit",
    );
    Ok(serde_json::to_string_pretty(&doc).unwrap_or_else(|_| text.to_string()) + "\n")
}

#[derive(Debug, Clone)]
struct Line {
    indent: usize,
    /// Content after the indentation.
    content: String,
    blank: bool,
}

fn lines_of(text: &str) -> Vec<Line> {
    text.split('\n')
        .map(|l| {
            let indent = l.len() - l.trim_start_matches(' ').len();
            let content = l[indent..].to_string();
            let t = content.trim();
            Line {
                indent,
                blank: t.is_empty() || t.starts_with('#'),
                content,
            }
        })
        .collect()
}

/// The key of a `key: value` line (quotes removed).
fn key_of(content: &str) -> Option<&str> {
    let c = content.strip_prefix("- ").unwrap_or(content);
    let i = c.find(':')?;
    if !(c[i + 1..].is_empty() || c[i + 1..].starts_with(' ')) {
        return None;
    }
    Some(c[..i].trim().trim_matches('"').trim_matches('\''))
}

/// Lines `start+1..end` belong to the node at `start` (more indented, or blank).
fn node_end(lines: &[Line], start: usize, indent: usize) -> usize {
    let mut e = start + 1;
    while e < lines.len() && (lines[e].blank || lines[e].indent > indent) {
        e += 1;
    }
    // Trailing blank/comment lines belong to what follows.
    while e > start + 1 && lines[e - 1].blank {
        e -= 1;
    }
    e
}

/// A located YAML node: the line range and the indentation of its children.
#[derive(Debug, Clone, Copy)]
struct Node {
    line: usize,
    end: usize,
    /// Indent of the key (or of the `- ` of a list item).
    indent: usize,
    /// For a list item: content starts after `- ` on the first line.
    item: bool,
}

fn children(lines: &[Line], n: Node) -> Vec<Node> {
    // For a list item, the first key sits on the dash line itself.
    let mut out = Vec::new();
    let body_start = n.line + 1;
    if n.item {
        let ci = n.indent + 2;
        out.push(Node {
            line: n.line,
            end: node_end_item_first(lines, n),
            indent: ci,
            item: false,
        });
        let mut i = out[0].end;
        while i < n.end {
            if !lines[i].blank && lines[i].indent == ci {
                let e = node_end(lines, i, ci);
                out.push(Node {
                    line: i,
                    end: e,
                    indent: ci,
                    item: false,
                });
                i = e;
            } else {
                i += 1;
            }
        }
        return out;
    }
    let ci = (body_start..n.end)
        .find(|i| !lines[*i].blank)
        .map(|i| lines[i].indent);
    let Some(ci) = ci else { return out };
    let mut i = body_start;
    while i < n.end {
        if !lines[i].blank && lines[i].indent == ci {
            let item = lines[i].content.starts_with("- ") || lines[i].content == "-";
            let e = node_end(lines, i, ci);
            let e = if item {
                let mut e2 = i + 1;
                while e2 < n.end && (lines[e2].blank || lines[e2].indent > ci) {
                    e2 += 1;
                }
                while e2 > i + 1 && lines[e2 - 1].blank {
                    e2 -= 1;
                }
                e2
            } else {
                e
            };
            out.push(Node {
                line: i,
                end: e,
                indent: ci,
                item,
            });
            i = e;
        } else {
            i += 1;
        }
    }
    out
}

fn node_end_item_first(lines: &[Line], n: Node) -> usize {
    let ci = n.indent + 2;
    let mut e = n.line + 1;
    while e < n.end && (lines[e].blank || lines[e].indent > ci) {
        e += 1;
    }
    e
}

fn find_key(lines: &[Line], parent: Node, key: &str) -> Option<Node> {
    children(lines, parent)
        .into_iter()
        .find(|c| !c.item && key_of(&lines[c.line].content) == Some(key))
}

fn plain_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " _./:-@".contains(c))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '/')
        && !s.ends_with(' ')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        )
        && s.parse::<f64>().is_err()
        && !s.contains(": ")
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if plain_ok(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A list item `- …` rendering `v` at `indent` (the dash's column).
fn render_item(v: &Value, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(o) if !o.is_empty() => o
            .iter()
            .enumerate()
            .map(|(i, (k, x))| {
                let lead = if i == 0 {
                    format!("{pad}- ")
                } else {
                    format!("{pad}  ")
                };
                format!("{lead}{}: {}", scalar(&Value::String(k.clone())), scalar(x))
            })
            .collect(),
        other => vec![format!("{pad}- {}", scalar(other))],
    }
}

/// A list item to append: the list, its members so far, or the whole value.
type PendingItem = (Node, serde_json::Map<String, Value>, Option<Value>);

fn edit_yaml(text: &str, logical: &str, changes: &[Change], notes: &mut Vec<AdoptNote>) -> String {
    let lines = lines_of(text);
    // Top-level keys (the document root has no line of its own).
    let top: Vec<Node> = {
        let mut out = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            if !lines[i].blank && lines[i].indent == 0 {
                let e = node_end(&lines, i, 0);
                out.push(Node {
                    line: i,
                    end: e,
                    indent: 0,
                    item: false,
                });
                i = e;
            } else {
                i += 1;
            }
        }
        out
    };
    let props = top
        .into_iter()
        .find(|n| key_of(&lines[n.line].content) == Some("Resources"))
        .and_then(|r| find_key(&lines, r, logical))
        .and_then(|r| find_key(&lines, r, "Properties"));
    let Some(props) = props else {
        note(
            notes,
            "",
            NoteKind::Unsupported,
            format!("no Resources.{logical}.Properties in the template"),
        );
        return text.to_string();
    };
    // Edits: replace line range [a, b) by new lines.
    let mut edits: Vec<(usize, usize, Vec<String>)> = Vec::new();
    // New list items, grouped per list node and index.
    let mut appends: BTreeMap<(usize, usize), PendingItem> = BTreeMap::new();
    for c in changes {
        let label = c.path.to_string();
        if c.sensitive {
            notes.push(AdoptNote::sensitive(&label, "the template"));
            continue;
        }
        let mut cur = props;
        let steps = &c.path.0;
        let mut i = 0;
        let mut done = false;
        while i < steps.len() {
            let first = lines[cur.line].content.clone();
            let after_colon = first
                .split_once(": ")
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default();
            if after_colon.starts_with('!')
                || first.contains("Fn::")
                || first.trim_start_matches("- ").starts_with("Ref:")
            {
                note(
                    notes,
                    &label,
                    NoteKind::NotLiteral,
                    format!(
                        "set by an intrinsic function (`{}`): not overwritten; change its source",
                        first.trim()
                    ),
                );
                done = true;
                break;
            }
            let last = i + 1 == steps.len();
            match &steps[i] {
                Step::Key(k) => match find_key(&lines, cur, k) {
                    Some(n) => cur = n,
                    None if last => {
                        if let Some(v) = &*c.live {
                            let kids = children(&lines, cur);
                            let ind = kids.first().map_or(cur.indent + 2, |k| k.indent);
                            let at = kids.last().map_or(cur.line + 1, |k| k.end);
                            edits.push((at, at, vec![format!("{}{k}: {}", " ".repeat(ind), scalar(v))]));
                        }
                        done = true;
                        break;
                    }
                    None => {
                        note(
                            notes,
                            &label,
                            NoteKind::Unsupported,
                            format!("no {k} in the template here: edit by hand"),
                        );
                        done = true;
                        break;
                    }
                },
                Step::Index(idx) => {
                    let items: Vec<Node> = children(&lines, cur).into_iter().filter(|n| n.item).collect();
                    if let Some(n) = items.get(*idx) {
                        cur = *n;
                    } else if c.live.is_some() {
                        let ind = items.first().map_or(cur.indent + 2, |n| n.indent);
                        let entry = appends.entry((cur.line, *idx)).or_insert_with(|| {
                            (
                                Node {
                                    line: items.last().map_or(cur.line, |n| n.line),
                                    end: items.last().map_or(cur.line + 1, |n| n.end),
                                    indent: ind,
                                    item: true,
                                },
                                serde_json::Map::new(),
                                None,
                            )
                        });
                        let rest = &steps[i + 1..];
                        match rest {
                            [] => entry.2.clone_from(&*c.live),
                            [Step::Key(k)] => {
                                if let Some(v) = &*c.live {
                                    entry.1.insert(k.clone(), v.clone());
                                }
                            }
                            _ => note(
                                notes,
                                &label,
                                NoteKind::Unsupported,
                                "nested list element: edit by hand",
                            ),
                        }
                        done = true;
                        break;
                    } else {
                        done = true;
                        break;
                    }
                }
            }
            i += 1;
        }
        if done {
            continue;
        }
        // `cur` is the node to set to live.
        let first = &lines[cur.line];
        match &*c.live {
            None => edits.push((cur.line, cur.end, Vec::new())),
            Some(v) => {
                let pad = " ".repeat(first.indent);
                let prefix = if cur.item {
                    "- ".to_string()
                } else {
                    let k = first.content.split_once(':').map_or("", |(k, _)| k);
                    format!("{k}: ")
                };
                let comment = first
                    .content
                    .find(" #")
                    .map(|p| first.content[p..].to_string())
                    .unwrap_or_default();
                if cur.item && v.is_object() {
                    edits.push((cur.line, cur.end, render_item(v, first.indent)));
                } else {
                    let val = if v.is_object() || v.is_array() {
                        v.to_string()
                    } else {
                        scalar(v)
                    };
                    edits.push((cur.line, cur.end, vec![format!("{pad}{prefix}{val}{comment}")]));
                }
            }
        }
    }
    for (_, (list, obj, whole)) in appends {
        let v = whole.unwrap_or(Value::Object(obj));
        let at = list.end;
        edits.push((at, at, render_item(&v, list.indent)));
    }
    edits.sort_by_key(|(a, b, _)| (*a, *b));
    let src: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::new();
    let mut pos = 0;
    for (a, b, new) in edits {
        if a < pos {
            continue;
        }
        out.extend(src[pos..a].iter().map(|s| (*s).to_string()));
        out.extend(new);
        pos = b;
    }
    out.extend(src[pos..].iter().map(|s| (*s).to_string()));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttrPath;
    use serde_json::json;

    const T: &str = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 120 # two minutes\n      Tags:\n        - Key: team\n          Value: payments\n  B:\n    Type: AWS::S3::Bucket\n";

    #[test]
    fn scalar_edit_keeps_comment_and_rest() {
        let c = Change::plain(
            AttrPath::keys(["VisibilityTimeout"]),
            Some(json!(120)),
            Some(json!(300)),
        );
        let mut notes = Vec::new();
        let out = edit_yaml(T, "Q", &[c], &mut notes);
        assert_eq!(out, T.replace("120 # two", "300 # two"));
    }

    #[test]
    fn list_items_are_appended() {
        let mut p = AttrPath::keys(["Tags"]);
        p.0.push(Step::Index(1));
        let c = Change::plain(p, None, Some(json!({"Key": "owner", "Value": "jane"})));
        let mut notes = Vec::new();
        let out = edit_yaml(T, "Q", &[c], &mut notes);
        assert!(
            out.contains("          Value: payments\n        - Key: owner\n          Value: jane\n  B:"),
            "{out}"
        );
    }
}
