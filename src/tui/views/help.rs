//! The help text, generated from the live keymap (never hand-written key lists).

use crate::tui::keymap::Keymap;

/// Help lines: every bound action with its keys, then the filter terms and the mouse.
pub fn lines(keymap: &Keymap) -> Vec<String> {
    let rows = keymap.help_rows();
    let kw = rows
        .iter()
        .map(|(k, _)| crate::text::width(k))
        .max()
        .unwrap_or(4)
        .max(14)
        + 2;
    let mut out = vec!["Keys".to_string()];
    for (keys, desc) in rows {
        out.push(format!("  {}{desc}", crate::text::pad(&keys, kw)));
    }
    out.push(format!("  {}quit (always)", crate::text::pad("Ctrl-C", kw)));
    out.push(String::new());
    out.push("Filter terms (all must match; a leading - negates a term)".to_string());
    out.push(format!(
        "  {}{}",
        crate::text::pad("text", kw),
        "address, type, attribute, a desired or live value, why, controls, actor or tool contains text"
    ));
    // The parser's own table, so help and parser never disagree.
    for f in crate::tui::filter::FIELDS {
        out.push(format!("  {}{}", crate::text::pad(f.example, kw), f.help));
    }
    out.push(String::new());
    out.push("Mouse: click selects an item; the wheel scrolls the list or the detail.".to_string());
    out
}
