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
    for (t, d) in [
        ("text", "address, type or changed attribute contains text"),
        ("sev:high", "severity high; also sev>=high, sev<medium"),
        ("kind:unmanaged", "modified, deleted or unmanaged"),
        ("type:aws_iam_*", "resource type, glob"),
        (
            "status:open",
            "open, approved, approval-expired, changed-since-approval",
        ),
    ] {
        out.push(format!("  {}{d}", crate::text::pad(t, kw)));
    }
    out.push(String::new());
    out.push("Mouse: click selects an item; the wheel scrolls the list or the detail.".to_string());
    out
}
