//! Terraform adoption: edits `.tf` sources so the configuration matches live. This is the only
//! module that imports `hcl-edit`.
//!
//! hcl-edit parses each file and gives the byte span of every block, attribute and expression;
//! edits are spliced into the original text at those spans, so comments, ordering and
//! formatting outside the edited values stay byte-for-byte the same. The result is parsed again
//! before it is offered. Values whose expression is not a literal (variables, locals, references,
//! function calls) are never overwritten: a note says where the value comes from and what to
//! change. Sensitive live values are never written: a variable reference placeholder is.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};
use serde_json::Value;

use super::{AdoptError, AdoptNote, FileEdit, NoteKind};
use crate::model::compare::semantic_eq;
use crate::model::{Change, ConfigExpr, DriftItem, Kind, MASK, Step};

/// A parsed resource address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Module calls from the root: name and instance key (`["eu"]`, `[0]`) if any.
    pub modules: Vec<(String, Option<String>)>,
    /// Resource type.
    pub rtype: String,
    /// Resource name.
    pub name: String,
    /// Instance key of a `count`/`for_each` resource, as written (`0`, `"eu"`).
    pub instance: Option<String>,
}

/// Parses `module.a["x"].module.b.aws_x.y[0]`.
pub fn parse_address(s: &str) -> Result<Address, AdoptError> {
    let parts = address_parts(s).ok_or_else(|| AdoptError::BadAddress(s.to_string()))?;
    Ok(Address {
        modules: parts
            .modules
            .iter()
            .map(|(n, k)| ((*n).to_string(), k.map(str::to_string)))
            .collect(),
        rtype: parts.rtype.to_string(),
        name: parts.name.to_string(),
        instance: parts.instance.map(str::to_string),
    })
}

/// An [`Address`] borrowed from its text.
struct AddressParts<'a> {
    modules: Vec<(&'a str, Option<&'a str>)>,
    rtype: &'a str,
    name: &'a str,
    instance: Option<&'a str>,
}

/// [`parse_address`] without copies; `None` for what it refuses.
fn address_parts(s: &str) -> Option<AddressParts<'_>> {
    let mut segs: Vec<(&str, Option<&str>)> = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i] != b'.' && b[i] != b'[' {
            i += 1;
        }
        let name = &s[start..i];
        if name.is_empty() {
            return None;
        }
        let mut key = None;
        if i < b.len() && b[i] == b'[' {
            let kstart = i + 1;
            let mut in_str = false;
            i += 1;
            while i < b.len() && (in_str || b[i] != b']') {
                if b[i] == b'"' && b[i - 1] != b'\\' {
                    in_str = !in_str;
                }
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            key = Some(&s[kstart..i]);
            i += 1;
        }
        segs.push((name, key));
        if i < b.len() {
            if b[i] != b'.' {
                return None;
            }
            i += 1;
        }
    }
    let mut modules = Vec::new();
    let mut k = 0;
    while k + 1 < segs.len() && segs[k].0 == "module" && segs[k].1.is_none() {
        modules.push(segs[k + 1]);
        k += 2;
    }
    match segs[k..] {
        [(t, None), (n, inst)] if t != "data" => Some(AddressParts {
            modules,
            rtype: t,
            name: n,
            instance: inst,
        }),
        _ => None,
    }
}

struct SourceFile {
    rel: PathBuf,
    text: String,
    body: Body,
}

fn parse(rel: &Path, text: &str) -> Result<Body, AdoptError> {
    hcl_edit::parser::parse_body(text).map_err(|e| AdoptError::Parse {
        path: rel.to_path_buf(),
        message: e.to_string(),
    })
}

fn load_dir(iac_dir: &Path, rel_dir: &Path, ext: &str) -> Result<Vec<SourceFile>, AdoptError> {
    let dir = iac_dir.join(rel_dir);
    let names = source_names(&dir, ext).map_err(|source| AdoptError::Io {
        path: dir.clone(),
        what: "cannot list",
        source,
    })?;
    let mut out = Vec::new();
    for p in names {
        let rel = rel_dir.join(p.file_name().unwrap_or_default());
        let rel = normalize(&rel);
        let text = std::fs::read_to_string(&p).map_err(|source| AdoptError::Io {
            path: p.clone(),
            what: "cannot read",
            source,
        })?;
        let body = parse(&rel, &text)?;
        out.push(SourceFile { rel, text, body });
    }
    Ok(out)
}

/// The files of `dir` whose names end with `ext`, in name order (what [`load_dir`] reads).
fn source_names(dir: &Path, ext: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(ext)))
        .collect();
    names.sort();
    Ok(names)
}

/// Lexical normalisation (`a/./b/../c` → `a/c`).
fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<std::path::Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(out.last(), Some(std::path::Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

fn block_label(b: &Block, i: usize) -> Option<&str> {
    b.labels.get(i).map(hcl_edit::structure::BlockLabel::as_str)
}

fn attr_str<'a>(body: &'a Body, key: &str) -> Option<&'a str> {
    body.get_attribute(key).and_then(|a| a.value.as_str())
}

/// The directories (relative to the IaC dir) of the root and of each module along `names`,
/// resolved in one walk.
fn module_dirs(iac_dir: &Path, names: &[String], address: &str) -> Result<Vec<PathBuf>, AdoptError> {
    // The manifest `terraform init` writes, read once; a module missing from it is found by
    // following the local `source` of its `module` block in its parent's directory.
    let manifest: Option<Value> =
        std::fs::read_to_string(iac_dir.join(".terraform").join("modules").join("modules.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    let from_manifest = |key: &str| {
        manifest
            .as_ref()?
            .get("Modules")?
            .as_array()?
            .iter()
            .find(|e| e.get("Key").and_then(Value::as_str) == Some(key))?
            .get("Dir")?
            .as_str()
            .map(|d| normalize(Path::new(d)))
    };
    let mut dirs = vec![PathBuf::new()];
    for (i, name) in names.iter().enumerate() {
        let key = names[..=i].join(".");
        if let Some(d) = from_manifest(&key) {
            dirs.push(d);
            continue;
        }
        let parent = &dirs[i];
        let files = load_dir(iac_dir, parent, ".tf")?;
        let source = files.iter().find_map(|f| {
            f.body
                .blocks()
                .filter(|b| b.has_ident("module") && block_label(b, 0) == Some(name.as_str()))
                .find_map(|b| attr_str(&b.body, "source").map(str::to_string))
        });
        match source {
            Some(s) if s.starts_with("./") || s.starts_with("../") => dirs.push(normalize(&parent.join(s))),
            _ => {
                return Err(AdoptError::ModuleNotFound {
                    address: address.to_string(),
                    module: key,
                });
            }
        }
    }
    Ok(dirs)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |p| p + 1)
}

fn line_end(text: &str, offset: usize) -> usize {
    text[offset..].find('\n').map_or(text.len(), |p| offset + p)
}

fn indent_at(text: &str, offset: usize) -> String {
    let s = line_start(text, offset);
    text[s..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// True when only whitespace precedes `offset` on its line.
fn alone_before(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset].trim().is_empty()
}

/// The range removing a structure that sits on its own lines (with any trailing comment).
fn removal_range(text: &str, span: Range<usize>) -> Range<usize> {
    if alone_before(text, span.start) {
        let end = line_end(text, span.end);
        let rest = text[span.end..end].trim();
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with("//") {
            return line_start(text, span.start)..(end + 1).min(text.len());
        }
    }
    span
}

fn is_ident(k: &str) -> bool {
    let mut c = k.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '-')
}

/// A map key or attribute name as written: bare when a plain identifier (no `-`, which reads
/// as subtraction inside an object), quoted otherwise.
fn key_text(k: &str) -> String {
    if is_ident(k) && !k.contains('-') {
        k.to_string()
    } else {
        quote(k)
    }
}

/// An HCL string literal, encoded by hcl-edit (quotes, backslashes, control characters and
/// `${`/`%{` template markers escaped, so the value stays one literal whatever it holds).
/// Invisible characters that could make the file read differently from what it does (bidi
/// controls, zero-width and line/paragraph separators) are written as `\uNNNN` escapes too.
fn quote(s: &str) -> String {
    let lit = Expression::from(s).to_string();
    if !lit.chars().any(crate::text::is_invisible) {
        return lit;
    }
    let mut o = String::with_capacity(lit.len() + 16);
    for c in lit.chars() {
        if crate::text::is_invisible(c) {
            let _ = write!(o, "\\u{:04x}", c as u32);
        } else {
            o.push(c);
        }
    }
    o
}

/// True for a resource type driftdeck will write: `^[a-z0-9_]+$`. Types come from reports, so a
/// newline, a quote or `../` in one must never reach a file name or the HCL.
pub fn valid_resource_type(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Renders a JSON value as HCL at the given indentation (of the line holding it).
pub fn render(v: &Value, indent: &str) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(|x| render(x, indent)).collect();
            let one = format!("[{}]", parts.join(", "));
            if one.len() <= 80 && !one.contains('\n') {
                one
            } else {
                let inner = format!("{indent}  ");
                let items: Vec<String> = a
                    .iter()
                    .map(|x| format!("{inner}{},", render(x, &inner)))
                    .collect();
                format!("[\n{}\n{indent}]", items.join("\n"))
            }
        }
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(o) => {
            let inner = format!("{indent}  ");
            let width = o.keys().map(|k| key_text(k).len()).max().unwrap_or(0);
            let items: Vec<String> = o
                .iter()
                .map(|(k, x)| format!("{inner}{:width$} = {}", key_text(k), render(x, &inner)))
                .collect();
            format!("{{\n{}\n{indent}}}", items.join("\n"))
        }
    }
}

/// True when `k` (and, for a list of objects written as blocks, every key of them) can be
/// written as a name: a body's attribute and block names are syntax, never quoted.
fn block_safe(k: &str, live: &Value) -> bool {
    let name = |s: &str| is_ident(s) && !s.contains('-');
    name(k)
        && match live {
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_object)
                .all(|o| o.keys().all(|key| name(key))),
            _ => true,
        }
}

/// A block `ident { … }` from a live object; `order` gives the preferred attribute order.
fn render_block(ident: &str, obj: &serde_json::Map<String, Value>, indent: &str, order: &[String]) -> String {
    let inner = format!("{indent}  ");
    let mut keys: Vec<&String> = obj
        .iter()
        .filter(|(_, v)| !crate::model::compare::is_absent(v))
        .map(|(k, _)| k)
        .collect();
    keys.sort_by_key(|k| {
        (
            order.iter().position(|o| o == *k).unwrap_or(usize::MAX),
            (*k).clone(),
        )
    });
    let width = keys.iter().map(|k| key_text(k).len()).max().unwrap_or(0);
    let mut o = format!("{indent}{ident} {{\n");
    for k in keys {
        let _ = writeln!(o, "{inner}{:width$} = {}", key_text(k), render(&obj[k], &inner));
    }
    let _ = write!(o, "{indent}}}");
    o
}

/// The JSON value of a literal expression; `None` when it is not a literal.
fn literal(e: &Expression) -> Option<Value> {
    Some(match e {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => serde_json::from_str(&n.value().to_string()).ok()?,
        Expression::String(s) => Value::String(s.value().clone()),
        Expression::Array(a) => Value::Array(a.iter().map(literal).collect::<Option<Vec<_>>>()?),
        Expression::Object(o) => {
            let mut m = serde_json::Map::new();
            for (k, v) in o {
                let key = match k {
                    ObjectKey::Ident(i) => i.value().as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                    ObjectKey::Expression(_) => return None,
                };
                m.insert(key, literal(v.expr())?);
            }
            Value::Object(m)
        }
        Expression::Parenthesis(p) => literal(p.inner())?,
        _ => return None,
    })
}

/// References written in an expression's source text (`var.x`, `local.y`, `module.m`, …).
fn references_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let b = text.as_bytes();
    for root in ["var.", "local.", "module.", "each.", "count.", "data."] {
        let mut from = 0;
        while let Some(p) = text[from..].find(root) {
            let start = from + p;
            let boundary = start == 0
                || !(b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_' || b[start - 1] == b'.');
            let mut end = start + root.len();
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_' || b[end] == b'-') {
                end += 1;
            }
            if boundary && end > start + root.len() {
                let r = text[start..end].to_string();
                if !out.contains(&r) {
                    out.push(r);
                }
            }
            from = end.max(start + 1);
        }
    }
    out
}

struct Ctx<'a> {
    iac_dir: &'a Path,
    module_dirs: Vec<PathBuf>,
    module_names: Vec<String>,
    rel: PathBuf,
    text: &'a str,
    edits: Vec<(Range<usize>, String)>,
    notes: Vec<AdoptNote>,
    address: String,
    rname: String,
    extra_vars: Vec<String>,
}

impl Ctx<'_> {
    fn note(&mut self, attribute: &str, kind: NoteKind, message: String) {
        self.notes.push(AdoptNote::new(attribute, kind, message));
    }

    fn snippet(&self, span: Option<Range<usize>>) -> String {
        span.and_then(|s| self.text.get(s)).map_or_else(String::new, |s| {
            let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
            if one.chars().count() > 80 {
                format!("{}…", one.chars().take(80).collect::<String>())
            } else {
                one
            }
        })
    }

    /// Where a referenced value comes from, and what to change.
    fn explain(&self, refs: &[String], live: Option<&Value>, sensitive: bool) -> String {
        let target = if sensitive {
            "the new secret (never in code: use TF_VAR_… or a secret store)".to_string()
        } else {
            let full = live.map_or_else(|| "null".to_string(), |v| render(v, ""));
            if full.chars().count() > 120 {
                format!(
                    "the live value (shown in the diff view; {} characters)",
                    full.chars().count()
                )
            } else {
                full
            }
        };
        let depth = self.module_dirs.len() - 1;
        let mut parts = Vec::new();
        for r in refs {
            let mut it = r.split('.');
            let root = it.next().unwrap_or_default();
            let name = it
                .next()
                .unwrap_or_default()
                .split('[')
                .next()
                .unwrap_or_default();
            let msg = match root {
                "var" if depth > 0 => self.explain_module_var(depth, name),
                "var" => self.explain_root_var(name),
                "local" => self.explain_local(&self.module_dirs[depth], name),
                "count" | "each" => {
                    format!("{r} differs per instance: the value cannot be set for one instance alone")
                }
                "module" => format!("{r} is an output of module {name}: change it in that module"),
                _ => format!("{r} is another resource's attribute: it follows that resource"),
            };
            if !parts.contains(&msg) {
                parts.push(msg);
            }
        }
        if parts.is_empty() {
            parts.push("set by a computed expression (a function call such as jsonencode or merge): edit the expression by hand".into());
        }
        format!(
            "not a literal, so not overwritten. {}. To adopt, make it evaluate to {target}.",
            parts.join("; ")
        )
    }

    fn find_attr_in(
        &self,
        dir: &Path,
        pick: &dyn Fn(&Body) -> Option<Range<usize>>,
    ) -> Option<(PathBuf, usize, String)> {
        let files = load_dir(self.iac_dir, dir, ".tf").ok()?;
        files.iter().find_map(|f| {
            pick(&f.body).map(|span| {
                let text = f.text[span.clone()]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                (f.rel.clone(), line_of(&f.text, span.start), text)
            })
        })
    }

    fn explain_root_var(&self, name: &str) -> String {
        let mut tfvars: Vec<SourceFile> =
            load_dir(self.iac_dir, Path::new(""), ".tfvars").unwrap_or_default();
        tfvars.sort_by_key(|f| (f.rel != Path::new("terraform.tfvars"), f.rel.clone()));
        let in_tfvars = tfvars.iter().rev().find_map(|f| {
            f.body.get_attribute(name).and_then(|a| {
                a.span().map(|s| {
                    (
                        f.rel.clone(),
                        line_of(&f.text, s.start),
                        f.text[s].trim().to_string(),
                    )
                })
            })
        });
        let default = self.find_attr_in(Path::new(""), &|b: &Body| {
            b.blocks()
                .find(|bl| bl.has_ident("variable") && block_label(bl, 0) == Some(name))
                .and_then(|bl| bl.body.get_attribute("default"))
                .and_then(Span::span)
        });
        match (in_tfvars, default) {
            (Some((f, l, t)), d) => format!(
                "var.{name} is set in {}:{l} (`{t}`){}: change it there",
                f.display(),
                d.map(|(df, dl, _)| format!(
                    "; the default in {}:{dl} is not the value in use",
                    df.display()
                ))
                .unwrap_or_default()
            ),
            (None, Some((f, l, t))) => format!(
                "var.{name} takes its default in {}:{l} (`{t}`) unless the pipeline passes -var or TF_VAR_{name}",
                f.display()
            ),
            (None, None) => format!(
                "var.{name} has no value in any .tfvars file or default: it comes from TF_VAR_{name} or -var at run time"
            ),
        }
    }

    fn explain_module_var(&self, depth: usize, name: &str) -> String {
        let module = &self.module_names[depth - 1];
        let parent = &self.module_dirs[depth - 1];
        let call = self.find_attr_in(parent, &|b: &Body| {
            b.blocks()
                .find(|bl| bl.has_ident("module") && block_label(bl, 0) == Some(module.as_str()))
                .and_then(|bl| bl.body.get_attribute(name))
                .and_then(Span::span)
        });
        match call {
            Some((f, l, t)) => {
                let upstream = references_in(&t);
                let more = upstream
                    .iter()
                    .filter(|r| r.starts_with("var.") && depth == 1)
                    .map(|r| self.explain_root_var(r.trim_start_matches("var.")))
                    .collect::<Vec<_>>();
                format!(
                    "var.{name} is the module input set by the call `module \"{module}\"` in {}:{l} (`{t}`){}",
                    f.display(),
                    if more.is_empty() {
                        String::new()
                    } else {
                        format!(", where {}", more.join("; "))
                    }
                )
            }
            None => format!(
                "var.{name} is an input of module {module} that its caller does not set (its default applies)"
            ),
        }
    }

    fn explain_local(&self, dir: &Path, name: &str) -> String {
        match self.find_attr_in(dir, &|b: &Body| {
            b.blocks()
                .filter(|bl| bl.has_ident("locals"))
                .find_map(|bl| bl.body.get_attribute(name))
                .and_then(Span::span)
        }) {
            Some((f, l, t)) => format!(
                "local.{name} is defined in {}:{l} (`{t}`); changing it changes every use of local.{name}",
                f.display()
            ),
            None => format!("local.{name} is defined in a locals block of this module"),
        }
    }

    /// Handles a leaf: the expression `e` (at `span`) should become `live`.
    fn set_expr(&mut self, attr: &str, e: &Expression, change: &Change, removal: Range<usize>) {
        let span = e.span();
        let Some(span) = span else { return };
        if literal(e).is_none() {
            let refs = references_in(&self.text[span.clone()]);
            let msg = format!(
                "set by `{}`: {}",
                self.snippet(Some(span)),
                self.explain(&refs, change.live.as_ref(), change.sensitive)
            );
            self.note(attr, NoteKind::NotLiteral, msg);
            return;
        }
        if change.sensitive {
            // A variable name is syntax: built from the sanitised label and attribute only.
            let var = sanitize_name(&format!("{}_{attr}", self.rname));
            self.edits.push((span, format!("var.{var}")));
            self.extra_vars.push(var.clone());
            self.note(
                attr,
                NoteKind::Sensitive,
                format!(
                    "the live value is sensitive and is never written into code: the literal was replaced by var.{var} (declared sensitive); supply it with TF_VAR_{var} or from a secret store"
                ),
            );
            return;
        }
        match (&*change.live, literal(e)) {
            (None, _) => self.edits.push((removal, String::new())),
            (Some(Value::Object(l)), Some(Value::Object(cur))) if !l.is_empty() && !cur.is_empty() => {
                // A map: edit key by key so untouched entries keep their formatting.
                if let Expression::Object(obj) = e {
                    let mut keys: Vec<&String> = l.keys().chain(cur.keys()).collect();
                    keys.sort();
                    keys.dedup();
                    for k in keys {
                        let (c, lv) = (cur.get(k), l.get(k));
                        if c.zip(lv).is_some_and(|(a, b)| semantic_eq(a, b)) {
                            continue;
                        }
                        let sub =
                            Change::plain(change.path.child(Step::Key(k.clone())), c.cloned(), lv.cloned());
                        self.object_key(&format!("{attr}.{k}"), obj, k, &sub);
                    }
                }
            }
            (Some(v), _) => {
                let ind = indent_at(self.text, span.start);
                self.edits.push((span, render(v, &ind)));
            }
        }
    }

    /// Edits key `k` of an object literal.
    fn object_key(&mut self, attr: &str, obj: &hcl_edit::expr::Object, k: &str, change: &Change) {
        let found = obj.iter().find(|(key, _)| match key {
            ObjectKey::Ident(i) => i.value().as_str() == k,
            ObjectKey::Expression(Expression::String(s)) => s.value() == k,
            ObjectKey::Expression(_) => false,
        });
        if let Some((key, val)) = found {
            let (Some(ks), Some(vs)) = (key.span(), val.expr().span()) else {
                return;
            };
            let mut removal = removal_range(self.text, ks.start..vs.end);
            if removal == (ks.start..vs.end) && self.text[vs.end..].starts_with(',') {
                removal.end += 1;
            }
            self.set_expr(attr, val.expr(), change, removal);
            return;
        }
        let Some(live) = &*change.live else { return };
        if change.sensitive {
            self.notes.push(AdoptNote::sensitive(attr, "code"));
            return;
        }
        let Some(span) = Expression::Object(obj.clone()).span().or_else(|| obj.span()) else {
            return;
        };
        let body = &self.text[span.clone()];
        if body.contains('\n') {
            let last_end = obj
                .iter()
                .last()
                .and_then(|(_, v)| v.expr().span())
                .map(|s| s.end);
            let (pos, ind) = match last_end {
                Some(e) => (line_end(self.text, e), indent_at(self.text, e)),
                None => (span.start + 1, format!("{}  ", indent_at(self.text, span.start))),
            };
            self.edits.push((
                pos..pos,
                format!("\n{ind}{} = {}", key_text(k), render(live, &ind)),
            ));
        } else {
            let close = span.end - 1;
            let before = self.text[span.start + 1..close].trim_end();
            let pos = span.start + 1 + before.len();
            let sep = if before.trim().is_empty() { " " } else { ", " };
            let trail = if before.trim().is_empty() { " " } else { "" };
            self.edits.push((
                pos..pos,
                format!("{sep}{} = {}{trail}", key_text(k), render(live, "")),
            ));
        }
    }

    /// Applies `change` at `steps` inside an expression.
    fn in_expr(
        &mut self,
        attr: &str,
        e: &Expression,
        steps: &[Step],
        change: &Change,
        removal: Range<usize>,
    ) {
        match (steps.first(), e) {
            (None, _) => self.set_expr(attr, e, change, removal),
            (Some(Step::Key(k)), Expression::Object(obj)) => {
                if steps.len() == 1 {
                    self.object_key(attr, obj, k, change);
                } else if let Some((key, val)) = obj.iter().find(|(key, _)| match key {
                    ObjectKey::Ident(i) => i.value().as_str() == k,
                    ObjectKey::Expression(Expression::String(s)) => s.value() == k,
                    ObjectKey::Expression(_) => false,
                }) {
                    let r = key
                        .span()
                        .zip(val.expr().span())
                        .map_or(0..0, |(a, b)| a.start..b.end);
                    self.in_expr(attr, val.expr(), &steps[1..], change, r);
                } else {
                    self.note(
                        attr,
                        NoteKind::Unsupported,
                        format!("no key {k} in the map: set it by hand"),
                    );
                }
            }
            (Some(Step::Index(i)), Expression::Array(a)) => match a.iter().nth(*i) {
                Some(el) => {
                    let r = el.span().unwrap_or(0..0);
                    self.in_expr(attr, el, &steps[1..], change, r);
                }
                None => self.note(
                    attr,
                    NoteKind::Unsupported,
                    format!("the list in the code has no element {i}: set the whole list by hand"),
                ),
            },
            _ => {
                let refs = references_in(e.span().and_then(|s| self.text.get(s)).unwrap_or_default());
                let msg = format!(
                    "set by `{}`: {}",
                    self.snippet(e.span()),
                    self.explain(&refs, change.live.as_ref(), change.sensitive)
                );
                self.note(attr, NoteKind::NotLiteral, msg);
            }
        }
    }

    /// Applies `change` at `steps` inside a block body whose closing brace is at `close`.
    fn in_body(&mut self, body: &Body, close: usize, steps: &[Step], change: &Change, attr: &str) {
        let Some(Step::Key(k)) = steps.first() else {
            self.note(
                attr,
                NoteKind::Unsupported,
                "unexpected path: edit by hand".into(),
            );
            return;
        };
        if let Some(a) = body.get_attribute(k) {
            let removal = a.span().map_or(0..0, |s| removal_range(self.text, s));
            self.in_expr(attr, &a.value, &steps[1..], change, removal);
            return;
        }
        let blocks: Vec<&Block> = body.get_blocks(k).collect();
        let dynamic = body
            .blocks()
            .any(|b| b.has_ident("dynamic") && block_label(b, 0) == Some(k.as_str()));
        if dynamic {
            self.note(
                attr,
                NoteKind::NotLiteral,
                format!("built by a `dynamic \"{k}\"` block: change its for_each collection to produce the live value"),
            );
            return;
        }
        if !blocks.is_empty() {
            match steps.get(1) {
                None => self.reconcile_blocks(k, &blocks, change, attr),
                Some(Step::Index(i)) => match blocks.get(*i) {
                    Some(b) => {
                        let c = b.span().map_or(0, |s| s.end - 1);
                        self.in_body(&b.body, c, &steps[2..], change, attr);
                    }
                    None => self.reconcile_blocks(k, &blocks, change, attr),
                },
                Some(Step::Key(_)) => {
                    let b = blocks[0];
                    let c = b.span().map_or(0, |s| s.end - 1);
                    self.in_body(&b.body, c, &steps[1..], change, attr);
                }
            }
            return;
        }
        // Not set in the code at all.
        if k == "tags_all" {
            self.note(
                attr,
                NoteKind::Info,
                "tags_all adds the provider's default_tags: change default_tags in the provider block, or tags".into(),
            );
            return;
        }
        let Some(live) = &*change.live else {
            self.note(
                attr,
                NoteKind::Info,
                "not set in the code (the desired value is a default): nothing to remove".into(),
            );
            return;
        };
        if change.sensitive {
            self.notes.push(AdoptNote::sensitive(attr, "code"));
            return;
        }
        if !block_safe(k, live) {
            self.note(
                attr,
                NoteKind::Unsupported,
                "the name is not a valid HCL attribute or block name: add it by hand".into(),
            );
            return;
        }
        // Build the value for the remaining key path.
        let mut value = live.clone();
        for s in steps[1..].iter().rev() {
            match s {
                Step::Key(key) => {
                    let mut m = serde_json::Map::new();
                    m.insert(key.clone(), value);
                    value = Value::Object(m);
                }
                Step::Index(_) => {
                    self.note(
                        attr,
                        NoteKind::Unsupported,
                        "not set in the code: add it by hand".into(),
                    );
                    return;
                }
            }
        }
        let ind = body.iter().next().and_then(Structure::span).map_or_else(
            || format!("{}  ", indent_at(self.text, close)),
            |s| indent_at(self.text, s.start),
        );
        let text = match &value {
            Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object) => a
                .iter()
                .filter_map(Value::as_object)
                .fold(String::new(), |mut acc, o| {
                    acc.push_str(&render_block(k, o, &ind, &[]));
                    acc.push('\n');
                    acc
                }),
            v => format!("{ind}{} = {}\n", key_text(k), render(v, &ind)),
        };
        let pos = if alone_before(self.text, close) {
            line_start(self.text, close)
        } else {
            close
        };
        self.edits.push((pos..pos, text));
    }

    /// Makes the `k` blocks match the live list: unmatched live elements become new blocks,
    /// blocks matching no live element are removed; matching blocks stay untouched.
    fn reconcile_blocks(&mut self, k: &str, blocks: &[&Block], change: &Change, attr: &str) {
        if change.sensitive {
            self.notes.push(AdoptNote::sensitive(attr, "code"));
            return;
        }
        let live: Vec<serde_json::Map<String, Value>> = match &*change.live {
            None => Vec::new(),
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_object().cloned()).collect(),
            Some(Value::Object(o)) => vec![o.clone()],
            Some(_) => {
                self.note(
                    attr,
                    NoteKind::Unsupported,
                    "live value is not a list of blocks: edit by hand".into(),
                );
                return;
            }
        };
        if live
            .iter()
            .any(|o| !o.keys().all(|key| is_ident(key) && !key.contains('-')))
        {
            self.note(
                attr,
                NoteKind::Unsupported,
                "a live block has attribute names that are not valid in HCL: edit by hand".into(),
            );
            return;
        }
        let shapes: Vec<BTreeMap<String, Option<Value>>> = blocks
            .iter()
            .map(|b| {
                b.body
                    .attributes()
                    .map(|a| (a.key.value().as_str().to_string(), literal(&a.value)))
                    .collect()
            })
            .collect();
        let matches = |shape: &BTreeMap<String, Option<Value>>, obj: &serde_json::Map<String, Value>| {
            shape.iter().all(|(key, v)| match v {
                None => true,
                Some(v) => semantic_eq(v, obj.get(key).unwrap_or(&Value::Null)),
            })
        };
        let mut used_blocks = vec![false; blocks.len()];
        let mut unmatched_live = Vec::new();
        for obj in &live {
            match (0..blocks.len()).find(|i| !used_blocks[*i] && matches(&shapes[*i], obj)) {
                Some(i) => used_blocks[i] = true,
                None => unmatched_live.push(obj),
            }
        }
        let order: Vec<String> = blocks
            .first()
            .map(|b| {
                b.body
                    .attributes()
                    .map(|a| a.key.value().as_str().to_string())
                    .collect()
            })
            .unwrap_or_default();
        for (i, b) in blocks.iter().enumerate() {
            if !used_blocks[i]
                && let Some(s) = b.span()
            {
                let r = removal_range(self.text, s);
                self.edits.push((r, String::new()));
                self.note(
                    attr,
                    NoteKind::Info,
                    format!("a `{k}` block that is not live any more is removed"),
                );
            }
        }
        // New blocks go after the last block that stays, or where the first removed one was.
        let kept = blocks
            .iter()
            .enumerate()
            .rev()
            .find(|(i, _)| used_blocks[*i])
            .and_then(|(_, b)| b.span());
        let anchor = kept.clone().or_else(|| blocks.first().and_then(|b| b.span()));
        if let Some(a) = anchor {
            let ind = indent_at(self.text, a.start);
            let rendered: Vec<String> = unmatched_live
                .iter()
                .map(|o| render_block(k, o, &ind, &order))
                .collect();
            if !rendered.is_empty() {
                if kept.is_some() {
                    let pos = line_end(self.text, a.end);
                    let text = rendered.iter().fold(String::new(), |acc, b| acc + "\n" + b);
                    self.edits.push((pos..pos, text));
                } else {
                    let pos = line_start(self.text, a.start);
                    let text = rendered.iter().fold(String::new(), |acc, b| acc + b + "\n");
                    self.edits.push((pos..pos, text));
                }
            }
        }
    }
}

fn apply_edits(text: &str, mut edits: Vec<(Range<usize>, String)>) -> (String, usize) {
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut pos = 0;
    let mut skipped = 0;
    for (r, t) in edits {
        if r.start < pos {
            skipped += 1;
            continue;
        }
        out.push_str(&text[pos..r.start]);
        out.push_str(&t);
        pos = r.end;
    }
    out.push_str(&text[pos..]);
    (out, skipped)
}

fn find_resource<'a>(files: &'a [SourceFile], rtype: &str, name: &str) -> Option<(usize, &'a Block)> {
    files.iter().enumerate().find_map(|(i, f)| {
        f.body
            .blocks()
            .find(|b| b.has_ident("resource") && b.has_exact_labels(&[rtype, name]))
            .map(|b| (i, b))
    })
}

fn sanitize_name(s: &str) -> String {
    let mut o: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while o.contains("__") {
        o = o.replace("__", "_");
    }
    let o = o.trim_matches('_').to_string();
    if o.is_empty() || o.starts_with(|c: char| c.is_ascii_digit()) {
        format!("r_{o}")
    } else {
        o
    }
}

/// Attributes of a live object that an import skeleton leaves out (computed by the provider).
const COMPUTED: &[&str] = &[
    "id",
    "arn",
    "unique_id",
    "create_date",
    "owner_id",
    "tags_all",
    "encrypted_secret",
    "encrypted_ses_smtp_password_v4",
    "key_fingerprint",
    "secret",
    "ses_smtp_password_v4",
];

/// Longest label (and so file-name part) an import skeleton gets: ids can be kilobytes long
/// (policy ARNs, hostile reports) and file names stop at 255 bytes.
const MAX_LABEL: usize = 64;

fn adopt_unmanaged(item: &DriftItem, iac_dir: &Path) -> Result<(Vec<FileEdit>, Vec<AdoptNote>), AdoptError> {
    let rtype = item.resource_type.as_str();
    if !valid_resource_type(rtype) {
        return Err(AdoptError::BadResourceType {
            address: item.address.clone(),
            rtype: rtype.to_string(),
        });
    }
    let id = item.identity.get("id").cloned().unwrap_or_else(|| {
        item.address
            .rsplit('.')
            .next()
            .unwrap_or(&item.address)
            .to_string()
    });
    let label = item
        .identity
        .get("name")
        .map_or_else(|| sanitize_name(&id), |n| sanitize_name(n));
    let label: String = label.chars().take(MAX_LABEL).collect();
    let label = label.trim_end_matches('_').to_string();
    let mut notes = Vec::new();
    let mut body = String::new();
    match &item.live_attributes {
        Some(Value::Object(o)) if !o.is_empty() => {
            let mut keys: Vec<&String> = Vec::new();
            for k in o.keys() {
                if COMPUTED.contains(&k.as_str()) || crate::model::compare::is_absent(&o[k]) {
                    continue;
                }
                if is_ident(k) && !k.contains('-') {
                    keys.push(k);
                } else {
                    // Only identifiers are attribute names; anything else would have to be
                    // spliced in as syntax, so it is left out and said so.
                    notes.push(AdoptNote::new(
                        k,
                        NoteKind::Unsupported,
                        "not a valid attribute name: left out of the skeleton",
                    ));
                }
            }
            let secret = |v: &Value| v.as_str() == Some(MASK) || v.to_string().contains(MASK);
            let width = keys
                .iter()
                .filter(|k| !secret(&o[**k]))
                .map(|k| k.len())
                .max()
                .unwrap_or(0);
            for k in keys {
                let v = &o[k];
                if secret(v) {
                    let _ = writeln!(
                        body,
                        "  # {k}: sensitive in live, not written; set it from a secret store"
                    );
                    notes.push(AdoptNote::sensitive(k, "code"));
                } else {
                    let _ = writeln!(body, "  {k:width$} = {}", render(v, "  "));
                }
            }
        }
        _ => {
            body.push_str("  # live attributes are not in the report: generate them with\n  #   terraform plan -generate-config-out=generated.tf\n");
        }
    }
    // The file name is built from the validated type and the sanitised label only, and a name
    // taken by anything (a file, a directory, a dangling link) is skipped.
    let taken = |rel: &Path| iac_dir.join(rel).symlink_metadata().is_ok();
    let mut rel = PathBuf::from(format!("driftdeck_import_{rtype}_{label}.tf"));
    let mut n = 2;
    while taken(&rel) {
        rel = PathBuf::from(format!("driftdeck_import_{rtype}_{label}_{n}.tf"));
        n += 1;
    }
    // Every value goes through `quote` (hcl-edit's string literal); the only other text spliced
    // in is the validated type, the sanitised label and identifier attribute names.
    let text = format!(
        "# Written by driftdeck adopt: this {rtype} exists in the cloud but no IaC manages it.\n\
         # Review every attribute, then `terraform plan` must show the import and no changes.\n\n\
         import {{\n  to = {rtype}.{label}\n  id = {idq}\n}}\n\n\
         resource {rtq} {lq} {{\n{body}}}\n",
        idq = quote(&id),
        rtq = quote(rtype),
        lq = quote(&label),
    );
    check_skeleton(&rel, &text, rtype, &label, &id)?;
    notes.push(AdoptNote::new(
        "",
        NoteKind::Info,
        format!(
            "unmanaged: an import block and a resource skeleton go into the new file {}",
            rel.display()
        ),
    ));
    Ok((
        vec![FileEdit {
            path: rel,
            before: String::new(),
            after: text,
            new_file: true,
        }],
        notes,
    ))
}

/// Parses the skeleton back and checks it holds exactly the import block and the resource block
/// it was meant to, with the id as one string literal: whatever a hostile report put in the id or
/// the attributes, nothing else can have become syntax.
fn check_skeleton(rel: &Path, text: &str, rtype: &str, label: &str, id: &str) -> Result<(), AdoptError> {
    let broke = |message: String| AdoptError::EditBroke {
        path: rel.to_path_buf(),
        message,
    };
    let body = hcl_edit::parser::parse_body(text).map_err(|e| broke(e.to_string()))?;
    if body.attributes().count() != 0 || body.blocks().count() != 2 {
        return Err(broke(
            "the skeleton holds more than an import and a resource block".into(),
        ));
    }
    let import_ok = body.blocks().any(|b| {
        b.has_ident("import")
            && b.labels.is_empty()
            && b.body.blocks().count() == 0
            && b.body.get_attribute("id").and_then(|a| a.value.as_str()) == Some(id)
    });
    let resource_ok = body.blocks().any(|b| {
        b.has_ident("resource") && b.has_exact_labels(&[rtype, label]) && b.body.blocks().count() == 0
    });
    if import_ok && resource_ok {
        Ok(())
    } else {
        Err(broke(
            "the skeleton does not read back as the import it was built as".into(),
        ))
    }
}

/// Computes the Terraform adoption edits and notes for `item`.
pub fn adopt(item: &DriftItem, iac_dir: &Path) -> Result<(Vec<FileEdit>, Vec<AdoptNote>), AdoptError> {
    if item.kind == Kind::Unmanaged {
        return adopt_unmanaged(item, iac_dir);
    }
    let addr = parse_address(&item.address)?;
    let names: Vec<String> = addr.modules.iter().map(|(n, _)| n.clone()).collect();
    let module_dirs = module_dirs(iac_dir, &names, &item.address)?;
    let dir = module_dirs.last().cloned().unwrap_or_default();
    let files = load_dir(iac_dir, &dir, ".tf")?;
    let (fi, block) =
        find_resource(&files, &addr.rtype, &addr.name).ok_or_else(|| AdoptError::ResourceNotFound {
            address: item.address.clone(),
            rtype: addr.rtype.clone(),
            name: addr.name.clone(),
            dir: iac_dir.join(&dir),
        })?;
    let file = &files[fi];
    let mut ctx = Ctx {
        iac_dir,
        module_dirs,
        module_names: names,
        rel: file.rel.clone(),
        text: &file.text,
        edits: Vec::new(),
        notes: Vec::new(),
        address: item.address.clone(),
        rname: addr.name.clone(),
        extra_vars: Vec::new(),
    };
    if let Some(inst) = &addr.instance {
        let rep = ["count", "for_each"].iter().find_map(|k| {
            block
                .body
                .get_attribute(k)
                .map(|a| (*k, ctx.snippet(a.value.span())))
        });
        let (what, expr) = rep.map_or(("count/for_each", String::new()), |(k, e)| (k, format!(" = {e}")));
        ctx.note(
            "",
            NoteKind::Repetition,
            format!(
                "{} is instance [{inst}] of a resource with {what}{expr}: the block configures every instance, so a literal edit changes them all; to change only this instance make the value depend on {} (e.g. a map or list keyed by it)",
                item.address,
                if what == "for_each" { "each.key" } else { "count.index" }
            ),
        );
    }
    if let Some((m, Some(key))) = addr.modules.iter().rev().find(|(_, k)| k.is_some()) {
        ctx.note(
            "",
            NoteKind::SharedModule,
            format!(
                "module.{m}[{key}] is one instance of a repeated module: {} is shared by every instance, so the edit changes all of them",
                dir.display()
            ),
        );
    }
    let Some(bspan) = block.span() else {
        return Ok((Vec::new(), ctx.notes));
    };
    if item.kind == Kind::Deleted {
        if addr.instance.is_some() {
            ctx.note(
                "",
                NoteKind::Unsupported,
                "one instance of a repeated resource cannot be removed on its own: lower count or remove its key from for_each".into(),
            );
        } else {
            let r = removal_range(ctx.text, bspan);
            ctx.edits.push((r, String::new()));
            ctx.note(
                "",
                NoteKind::Info,
                "deleted outside the IaC: adopting removes its block, so the next apply forgets it (nothing is destroyed); revert instead to re-create it".into(),
            );
        }
    } else {
        let config = item.config.as_ref();
        for change in &item.changes {
            let label = change.path.to_string();
            let top = change.path.top().unwrap_or_default();
            match config.and_then(|c| c.attributes.get(top)) {
                Some(ConfigExpr::Reference { references }) => {
                    let msg = ctx.explain(references, change.live.as_ref(), change.sensitive);
                    ctx.note(
                        &label,
                        NoteKind::NotLiteral,
                        format!("set by an expression: {msg}"),
                    );
                    if change.sensitive {
                        ctx.notes.push(AdoptNote::sensitive(&label, "code"));
                    }
                }
                Some(ConfigExpr::Computed) => {
                    let msg = ctx.explain(&[], change.live.as_ref(), change.sensitive);
                    ctx.note(&label, NoteKind::NotLiteral, msg);
                }
                None if config.is_some_and(|c| !c.attributes.is_empty()) => ctx.note(
                    &label,
                    NoteKind::Info,
                    "not set in the configuration (computed by the provider or a default): nothing to adopt"
                        .into(),
                ),
                _ => ctx.in_body(&block.body, bspan.end - 1, &change.path.0, change, &label),
            }
        }
    }
    let mut edits_text = std::mem::take(&mut ctx.edits);
    if !ctx.extra_vars.is_empty() {
        let mut decl = String::new();
        for v in &ctx.extra_vars {
            // The address comes from the report: it goes in through the string literal only.
            let description = quote(&format!(
                "live value adopted by driftdeck for {}; secret: supply it via TF_VAR_{v}",
                ctx.address
            ));
            let _ = write!(
                decl,
                "\nvariable \"{v}\" {{\n  description = {description}\n  type        = string\n  sensitive   = true\n}}\n",
            );
        }
        let end = ctx.text.len();
        edits_text.push((end..end, decl));
    }
    let mut out = Vec::new();
    if !edits_text.is_empty() {
        let (after, skipped) = apply_edits(ctx.text, edits_text);
        if skipped > 0 {
            ctx.note(
                "",
                NoteKind::Unsupported,
                format!("{skipped} overlapping edit(s) left out: review the diff"),
            );
        }
        if let Err(e) = hcl_edit::parser::parse_body(&after) {
            return Err(AdoptError::EditBroke {
                path: ctx.rel.clone(),
                message: e.to_string(),
            });
        }
        if after != file.text {
            out.push(FileEdit {
                path: ctx.rel.clone(),
                before: file.text.clone(),
                after,
                new_file: false,
            });
        }
    }
    Ok((out, ctx.notes))
}

/// What a resource's `lifecycle { ignore_changes = ... }` tells Terraform to leave alone: drift
/// in those attributes is expected divergence, not something to act on.
#[derive(Debug, Clone, PartialEq)]
pub struct IgnoreChanges {
    /// `ignore_changes = all`: every attribute.
    pub all: bool,
    /// The attributes listed (`tags`, `tags["Name"]`, `ebs_block_device[0].volume_size`).
    pub paths: Vec<crate::model::AttrPath>,
    /// The `.tf` file (relative to the IaC directory) and line of the `ignore_changes`.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

impl IgnoreChanges {
    /// True when Terraform ignores changes at `path`.
    pub fn covers(&self, path: &crate::model::AttrPath) -> bool {
        self.all || self.paths.iter().any(|p| path.starts_with(p))
    }
}

/// Reads `lifecycle.ignore_changes` from an IaC directory, parsing each module directory once
/// however many resources are asked about.
pub struct LifecycleReader<'a> {
    iac_dir: &'a Path,
    /// Per module path (each module name followed by `.`; empty for the root): what its
    /// directory's blocks ignore, or why it could not be read.
    dirs: BTreeMap<String, Result<ModuleLifecycles, String>>,
    /// The key of the last lookup, kept to build the next one without allocating.
    key: String,
    /// Whether the directory has sources to read at all, once asked ([`Self::has_sources`]).
    has_sources: Option<bool>,
}

/// Per resource type, per resource name, what the first `resource` block of that name in a module
/// directory ignores (`None`: the block ignores nothing). Built in one pass over the directory's
/// blocks: looking each drifted resource up among all of them was quadratic (20,000 drifted
/// resources against a directory of 20,000 blocks took seconds).
type ModuleLifecycles = foldhash::HashMap<String, foldhash::HashMap<String, Option<IgnoreChanges>>>;

fn module_lifecycles(files: &[SourceFile]) -> ModuleLifecycles {
    let mut out = ModuleLifecycles::default();
    for file in files {
        // Blocks come in file order: lines are counted on from the previous block, not from the
        // top of the file each time.
        let (mut pos, mut line) = (0, 1);
        let mut line_at = |offset: usize| {
            let offset = offset.min(file.text.len());
            if offset < pos {
                return line_of(&file.text, offset);
            }
            line += file.text[pos..offset].matches('\n').count();
            pos = offset;
            line
        };
        for block in file.body.blocks().filter(|b| b.has_ident("resource")) {
            let [rtype, name] = &block.labels[..] else {
                continue;
            };
            let names = out.entry(rtype.as_str().to_string()).or_default();
            // The first block of a name is the one Terraform would have rejected the others for,
            // and the one a lookup found before.
            if !names.contains_key(name.as_str()) {
                names.insert(
                    name.as_str().to_string(),
                    block_ignore_changes(file, block, &mut line_at),
                );
            }
        }
    }
    out
}

impl<'a> LifecycleReader<'a> {
    /// A reader over `iac_dir`.
    pub fn new(iac_dir: &'a Path) -> Self {
        LifecycleReader {
            iac_dir,
            dirs: BTreeMap::new(),
            key: String::new(),
            has_sources: None,
        }
    }

    /// Whether any lookup could find a `lifecycle` or fail: false when the directory lists with
    /// no `.tf` file and has no module manifest (`terraform init`'s `modules.json`), since then
    /// the root has no blocks and no module can be located, so every lookup is `Ok(None)`. Run
    /// from outside a Terraform directory, `check` looked up every drifted resource for nothing
    /// (serially, after the load).
    pub fn has_sources(&mut self) -> bool {
        let dir = self.iac_dir;
        *self.has_sources.get_or_insert_with(|| {
            dir.join(".terraform")
                .join("modules")
                .join("modules.json")
                .exists()
                || !source_names(dir, ".tf").is_ok_and(|names| names.is_empty())
        })
    }

    /// The `ignore_changes` of the resource at `address` (module instance keys do not matter:
    /// one block configures every instance). `Ok(None)` when the resource is not in the
    /// sources or sets none; an error when its sources cannot be read or parsed.
    pub fn ignore_changes(&mut self, address: &str) -> Result<Option<IgnoreChanges>, String> {
        // Asked for every drifted resource: the address is taken apart without copies, and its
        // module directory looked up by a key built in a buffer kept between calls.
        if !self.has_sources() {
            return Ok(None);
        }
        let Some(addr) = address_parts(address) else {
            return Ok(None);
        };
        self.key.clear();
        for (name, _) in &addr.modules {
            self.key.push_str(name);
            self.key.push('.');
        }
        if !self.dirs.contains_key(self.key.as_str()) {
            let names: Vec<String> = addr.modules.iter().map(|(n, _)| (*n).to_string()).collect();
            // A module that cannot be located is not an error here (the IaC directory may not
            // be the plan's root): nothing is then treated as ignored.
            let read = match module_dirs(self.iac_dir, &names, address) {
                Ok(mut d) => load_dir(self.iac_dir, &d.pop().unwrap_or_default(), ".tf")
                    .map(|files| module_lifecycles(&files))
                    .map_err(|e| e.to_string()),
                Err(AdoptError::ModuleNotFound { .. }) => Ok(ModuleLifecycles::default()),
                Err(e) => Err(e.to_string()),
            };
            self.dirs.insert(self.key.clone(), read);
        }
        let Some(lifecycles) = self.dirs.get(self.key.as_str()) else {
            return Ok(None);
        };
        let lifecycles = lifecycles.as_ref().map_err(Clone::clone)?;
        Ok(lifecycles
            .get(addr.rtype)
            .and_then(|by_name| by_name.get(addr.name))
            .cloned()
            .flatten())
    }
}

/// What one `resource` block's `lifecycle { ignore_changes }` ignores, if anything.
/// `line_at` turns a byte offset in the file into its 1-based line.
fn block_ignore_changes(
    file: &SourceFile,
    block: &Block,
    line_at: &mut dyn FnMut(usize) -> usize,
) -> Option<IgnoreChanges> {
    let attr = block
        .body
        .blocks()
        .filter(|b| b.has_ident("lifecycle"))
        .find_map(|b| b.body.get_attribute("ignore_changes"))?;
    let line = attr.span().map_or(0, |sp| line_at(sp.start));
    let mut out = IgnoreChanges {
        all: false,
        paths: Vec::new(),
        file: file.rel.clone(),
        line,
    };
    match &attr.value {
        Expression::Variable(v) if v.as_str() == "all" => out.all = true,
        Expression::Array(items) => {
            for e in items {
                match e {
                    // Terraform 0.11 wrote `["*"]` for all.
                    Expression::String(s) if s.as_str() == "*" => out.all = true,
                    _ => {
                        // An entry that is not a plain attribute path (a splat, a
                        // computed key) is not understood: it ignores nothing here, so
                        // the drift stays visible (fail closed).
                        if let Some(p) = ignore_path(e) {
                            out.paths.push(p);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    (out.all || !out.paths.is_empty()).then_some(out)
}

/// An `ignore_changes` entry as a path: `tags`, `tags["Name"]`, `a.b[0]`, or the legacy string
/// form `"tags"`.
fn ignore_path(e: &Expression) -> Option<crate::model::AttrPath> {
    use hcl_edit::expr::TraversalOperator;
    let mut steps = Vec::new();
    match e {
        Expression::Variable(v) => steps.push(Step::Key(v.as_str().to_string())),
        Expression::String(s) => {
            for k in s.as_str().split('.') {
                steps.push(match k.parse::<usize>() {
                    Ok(n) => Step::Index(n),
                    Err(_) => Step::Key(k.to_string()),
                });
            }
        }
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else {
                return None;
            };
            steps.push(Step::Key(root.as_str().to_string()));
            for op in &t.operators {
                steps.push(match op.value() {
                    TraversalOperator::GetAttr(id) => Step::Key(id.as_str().to_string()),
                    TraversalOperator::LegacyIndex(n) => Step::Index(usize::try_from(*n.value()).ok()?),
                    TraversalOperator::Index(Expression::Number(n)) => {
                        Step::Index(usize::try_from(n.value().as_u64()?).ok()?)
                    }
                    TraversalOperator::Index(Expression::String(k)) => Step::Key(k.as_str().to_string()),
                    _ => return None,
                });
            }
        }
        _ => return None,
    }
    Some(crate::model::AttrPath(steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every resource's `ignore_changes` is found with its own file and line, whichever file it
    /// is in and in whatever order it is asked for; the first block of a repeated name counts.
    #[test]
    fn lifecycles_are_read_per_block_with_their_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let block = |kind: &str, name: &str, ignore: &str| {
            format!(
                "resource \"{kind}\" \"{name}\" {{\n  x = 1\n\n  lifecycle {{\n    ignore_changes = {ignore}\n  }}\n}}\n\n"
            )
        };
        let a = [
            block("aws_s3_bucket", "one", "[tags]"),
            "resource \"aws_s3_bucket\" \"plain\" {}\n".to_string(),
            block("aws_instance", "two", "all"),
            block("aws_s3_bucket", "one", "all"),
        ]
        .concat();
        std::fs::write(dir.path().join("a.tf"), &a).expect("write");
        std::fs::write(
            dir.path().join("b.tf"),
            block("aws_sqs_queue", "three", "[tags, policy]"),
        )
        .expect("write");
        let mut reader = LifecycleReader::new(dir.path());
        for (address, file, line, all, paths) in [
            ("aws_sqs_queue.three", "b.tf", 5, false, 2),
            ("aws_instance.two[0]", "a.tf", 14, true, 0),
            ("aws_s3_bucket.one", "a.tf", 5, false, 1),
        ] {
            let got = reader
                .ignore_changes(address)
                .expect("readable")
                .expect("ignores");
            assert_eq!(
                (got.file.to_str(), got.line, got.all, got.paths.len()),
                (Some(file), line, all, paths),
                "{address}"
            );
        }
        assert_eq!(reader.ignore_changes("aws_s3_bucket.plain"), Ok(None));
        assert_eq!(reader.ignore_changes("aws_s3_bucket.missing"), Ok(None));
    }

    /// A directory is passed over only when no lookup could find anything or fail: no `.tf`
    /// file (a directory named `x.tf` is not one) and no module manifest. A manifest alone, a
    /// `.tf` file, or a directory that cannot be listed (its error is then the lookups' warning)
    /// are read as before.
    #[test]
    fn only_a_directory_without_sources_is_passed_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("old.tf")).expect("mkdir");
        std::fs::write(dir.path().join("notes.md"), "resource").expect("write");
        let mut reader = LifecycleReader::new(dir.path());
        assert!(!reader.has_sources());
        assert_eq!(reader.ignore_changes("module.app.aws_s3_bucket.b"), Ok(None));

        let manifest = dir.path().join(".terraform").join("modules");
        std::fs::create_dir_all(&manifest).expect("mkdir");
        std::fs::write(manifest.join("modules.json"), "{\"Modules\":[]}").expect("write");
        assert!(LifecycleReader::new(dir.path()).has_sources());
        std::fs::remove_dir_all(dir.path().join(".terraform")).expect("rm");

        std::fs::write(
            dir.path().join("main.tf"),
            "resource \"aws_s3_bucket\" \"b\" {\n  lifecycle {\n    ignore_changes = all\n  }\n}\n",
        )
        .expect("write");
        let mut reader = LifecycleReader::new(dir.path());
        assert!(reader.has_sources());
        assert!(
            reader
                .ignore_changes("aws_s3_bucket.b")
                .expect("readable")
                .is_some_and(|i| i.all)
        );

        let missing = dir.path().join("missing");
        let mut reader = LifecycleReader::new(&missing);
        assert!(reader.has_sources());
        assert!(
            reader.ignore_changes("aws_s3_bucket.b").is_err(),
            "the listing error is still told"
        );
    }

    #[test]
    fn addresses() {
        let a = parse_address("module.app[\"eu\"].aws_db_instance.main[0]").ok();
        assert_eq!(
            a,
            Some(Address {
                modules: vec![("app".into(), Some("\"eu\"".into()))],
                rtype: "aws_db_instance".into(),
                name: "main".into(),
                instance: Some("0".into()),
            })
        );
        assert!(parse_address("data.aws_x.y").is_err());
        assert!(parse_address("aws_x").is_err());
    }

    #[test]
    fn quoting_keeps_templates_literal() {
        assert_eq!(quote("a${b}\"c"), "\"a$${b}\\\"c\"");
        assert_eq!(render(&serde_json::json!(["a", 1, true]), ""), "[\"a\", 1, true]");
    }

    #[test]
    fn references_are_found_in_text() {
        assert_eq!(
            references_in("merge(local.web_tags, { Name = \"web-${count.index}\" }) + var.x"),
            vec!["var.x", "local.web_tags", "count.index"]
        );
    }
}
