//! The detail pane, diff first: a pinned one-line headline (severity, why, actor · tool ·
//! out-of-band · when) and pinned column labels `desired (IaC)` | `live (cloud)`, then each
//! changed attribute side by side, aligned row by row; the item's facts, controls and decision
//! and the full attribution follow the diff. Each part is its own small function. Syntax colours
//! give the foreground, the diff gives backgrounds; changed words are emphasised; long lines
//! wrap with a `↪` gutter, so nothing is cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use unicode_width::UnicodeWidthChar;

use crate::diff::{Row, RowKind, Section, Side};
use crate::model::{DriftItem, MASK};
use crate::tui::layout;
use crate::tui::state::{Focus, State};
use crate::tui::theme::Theme;

/// Rows of the detail pane that stay put while the body scrolls: the headline and the column
/// labels.
pub const PINNED: usize = 2;

/// The scrolling part of the detail: its lines and where each changed attribute starts.
#[derive(Debug, Default)]
pub struct Body {
    /// Wrapped lines.
    pub lines: Vec<Line<'static>>,
    /// Line index of each changed attribute's rule (for `n` / `N`).
    pub anchors: Vec<usize>,
}

/// Draws the detail pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Focus::Detail && state.overlays.is_empty();
    let inner = layout::inner(area);
    let width = inner.width as usize;
    let body = body(state, theme, width);
    let rows = (inner.height as usize).saturating_sub(PINNED);
    let all = body.lines;
    let scroll = state.detail_scroll.min(all.len().saturating_sub(rows));
    let more = if all.len() > rows {
        format!(
            " {}-{} of {} ",
            scroll + 1,
            (scroll + rows).min(all.len()),
            all.len()
        )
    } else {
        String::new()
    };
    let title = state.selected_item().map_or_else(String::new, |it| {
        let t = format!(
            " {} · {} ",
            crate::text::sanitize(&it.address),
            it.status.as_str()
        );
        super::fit(&t, width.saturating_sub(2))
    });
    let block = Block::bordered()
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.title()))
        .title_bottom(Span::styled(more, theme.muted()));
    frame.render_widget(block, area);
    let mut shown = vec![headline(state, theme, width), labels(theme, width)];
    shown.extend(all.into_iter().skip(scroll).take(rows));
    frame.render_widget(Paragraph::new(shown), inner);
}

/// Width of the detail pane's text at the current size and zoom.
fn text_width(state: &State) -> usize {
    layout::inner(layout::areas_for(state.width, state.height, state.zoom).detail).width as usize
}

/// Number of body lines the selected item's detail takes at the current width (for scrolling).
pub fn total_lines(state: &State) -> usize {
    body(state, &Theme::monochrome(), text_width(state)).lines.len()
}

/// Where each changed attribute starts in the body (for `n` / `N`).
pub fn anchors(state: &State) -> Vec<usize> {
    body(state, &Theme::monochrome(), text_width(state)).anchors
}

/// The pinned headline: severity, the first reason, and who changed it with what, whether out
/// of band, and when — cut with `…` to one line.
pub fn headline(state: &State, theme: &Theme, width: usize) -> Line<'static> {
    let Some(index) = state.selected_index() else {
        return Line::from(Span::styled("nothing selected", theme.muted()));
    };
    let item = &state.report.items[index];
    let badge = super::list::badge(item.severity);
    let why = item
        .why
        .first()
        .map_or_else(|| item.summary(), |w| crate::text::sanitize(w).into_owned());
    let mut who: Vec<String> = Vec::new();
    let mut oob = false;
    if let Some(b) = state.attribution(index).and_then(|a| a.best.as_ref()) {
        who.push(crate::text::sanitize(&b.actor.display).into_owned());
        who.push(b.tool.as_str().to_string());
        oob = b.out_of_band;
        who.push(crate::text::sanitize(&b.event_time).into_owned());
    }
    let mut spans = vec![
        Span::styled(badge.to_string(), theme.severity(item.severity)),
        Span::raw(" "),
    ];
    let mut used = crate::text::width(badge) + 1;
    let tail = if who.is_empty() {
        String::new()
    } else {
        format!(" · {}", who.join(" · "))
    };
    let flag = if oob { " · ⚑ out-of-band" } else { "" };
    let avail = width.saturating_sub(used);
    let rest_w = crate::text::width(&tail) + crate::text::width(flag);
    let why_w = avail.saturating_sub(rest_w).max(avail.min(20));
    let why = super::fit(&why, why_w);
    used += crate::text::width(&why);
    spans.push(Span::styled(why, theme.text()));
    let tail = super::fit(&tail, width.saturating_sub(used + crate::text::width(flag)));
    used += crate::text::width(&tail);
    spans.push(Span::styled(tail, theme.muted()));
    if used + crate::text::width(flag) <= width {
        spans.push(Span::styled(
            flag.to_string(),
            theme.severity(crate::model::Severity::High),
        ));
    }
    Line::from(spans)
}

/// The pinned column labels above the two sides of the diff.
pub fn labels(theme: &Theme, width: usize) -> Line<'static> {
    let col = width.saturating_sub(3) / 2;
    Line::from(vec![
        Span::styled(
            crate::text::pad(&super::fit(" desired (IaC)", col), col),
            theme.accent(),
        ),
        Span::styled(" │ ", theme.muted()),
        Span::styled(super::fit(" live (cloud)", col), theme.accent()),
    ])
}

/// The scrolling body of the selected item's detail, wrapped to `width`: the diff, then the
/// item's facts and decision, then the attribution.
pub fn body(state: &State, theme: &Theme, width: usize) -> Body {
    let mut b = Body::default();
    let Some(index) = state.selected_index() else {
        return b;
    };
    let item = &state.report.items[index];
    if let Some(o) = state.side.get(&index).and_then(|s| s.outcome.as_deref()) {
        let style = if o.starts_with("revert failed") {
            theme.error()
        } else {
            theme.ok()
        };
        wrap_text(&mut b.lines, &[], o, style, width);
    }
    diff_sections(&mut b, state, index, theme, width);
    facts(&mut b.lines, item, theme, width);
    if let Some(d) = state.side.get(&index).and_then(|s| s.decision.as_deref()) {
        wrap_text(
            &mut b.lines,
            &[Span::styled("decision ".to_string(), theme.muted())],
            d,
            theme.ok(),
            width,
        );
    }
    super::attribution::section(&mut b.lines, state, index, theme, width);
    b
}

/// The diff: one section per changed attribute.
fn diff_sections(b: &mut Body, state: &State, index: usize, theme: &Theme, width: usize) {
    match state.detail(index) {
        None => b
            .lines
            .push(Line::from(Span::styled("preparing the diff…", theme.muted()))),
        Some(d) => {
            for s in &d.sections {
                b.anchors.push(b.lines.len());
                section(&mut b.lines, s, theme, width);
            }
        }
    }
}

pub(super) fn wrap_text(
    out: &mut Vec<Line<'static>>,
    prefix: &[Span<'static>],
    text: &str,
    style: Style,
    width: usize,
) {
    let indent: usize = prefix.iter().map(|s| crate::text::width(&s.content)).sum();
    let avail = width.saturating_sub(indent).max(1);
    // Prose wraps at spaces; a word longer than the line is broken.
    let mut rows: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let need = crate::text::width(&cur) + usize::from(!cur.is_empty()) + crate::text::width(word);
        if !cur.is_empty() && need > avail {
            rows.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    rows.push(cur);
    let mut n = 0;
    for row in rows {
        let chars: Vec<(char, Style)> = row.chars().map(|c| (c, style)).collect();
        for piece in wrap(&chars, avail) {
            let mut spans = if n == 0 {
                prefix.to_vec()
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            spans.extend(piece);
            out.push(Line::from(spans));
            n += 1;
        }
    }
}

/// The item's facts after the diff: address, type, kind, source, region, status; every reason
/// for its severity; the controls.
fn facts(out: &mut Vec<Line<'static>>, item: &DriftItem, theme: &Theme, width: usize) {
    let s = |t: &str| crate::text::sanitize(t).into_owned();
    rule(
        out,
        vec![
            Span::styled("── ".to_string(), theme.muted()),
            Span::styled("item".to_string(), theme.accent()),
        ],
        theme,
        width,
    );
    wrap_text(out, &[], &s(&item.address), theme.title(), width);
    let mut facts = vec![
        s(&item.resource_type),
        item.kind.as_str().to_string(),
        s(&item.source),
    ];
    if let Some(r) = &item.region {
        facts.push(s(r));
    }
    facts.push(item.status.as_str().to_string());
    if let Some(exp) = &item.approval_expires {
        facts.push(format!("until {}", s(exp)));
    }
    wrap_text(out, &[], &facts.join(" · "), theme.muted(), width);
    let badge = super::list::badge(item.severity);
    if item.why.is_empty() {
        wrap_text(
            out,
            &[
                Span::styled(badge.to_string(), theme.severity(item.severity)),
                Span::raw(" "),
            ],
            "no rule fired; default severity for its kind",
            theme.text(),
            width,
        );
    }
    for (n, why) in item.why.iter().enumerate() {
        let lead = if n == 0 {
            badge.to_string()
        } else {
            " ".repeat(badge.len())
        };
        wrap_text(
            out,
            &[Span::styled(lead, theme.severity(item.severity)), Span::raw(" ")],
            &s(why),
            theme.text(),
            width,
        );
    }
    if !item.controls.is_empty() {
        wrap_text(
            out,
            &[Span::styled("controls ".to_string(), theme.muted())],
            &s(&item.controls.join(", ")),
            theme.text(),
            width,
        );
    }
}

/// A section rule: the title spans (starting `── `), then `─` to the full width.
pub(super) fn rule(out: &mut Vec<Line<'static>>, mut spans: Vec<Span<'static>>, theme: &Theme, width: usize) {
    let used: usize = spans.iter().map(|s| crate::text::width(&s.content)).sum();
    if used + 1 < width {
        spans.push(Span::styled(
            format!(" {}", "─".repeat(width - used - 1)),
            theme.muted(),
        ));
    }
    out.push(Line::from(spans));
}

fn section(out: &mut Vec<Line<'static>>, s: &Section, theme: &Theme, width: usize) {
    let mut title = vec![
        Span::styled("── ".to_string(), theme.muted()),
        Span::styled(s.title.clone(), theme.accent()),
    ];
    if s.sensitive {
        title.push(Span::styled(
            " (sensitive: changed, value hidden)".to_string(),
            theme.sensitive(),
        ));
    }
    if let Some(n) = &s.note {
        title.push(Span::styled(format!(" ({n})"), theme.muted()));
    }
    rule(out, title, theme, width);
    // Each side: a one-column gutter (-, +) and the text; a 3-column separator between.
    let col = width.saturating_sub(3) / 2;
    let text_w = col.saturating_sub(1).max(1);
    for row in &s.rows {
        let left = side_cells(&s.desired, row.left, row, false, theme);
        let right = side_cells(&s.live, row.right, row, true, theme);
        let lw = wrap(&left, text_w);
        let rw = wrap(&right, text_w);
        let h = lw.len().max(rw.len()).max(1);
        let (lg, rg) = gutters(row.kind);
        for k in 0..h {
            let mut spans = Vec::new();
            let lbase = theme.diff_side(row.kind, false);
            let rbase = theme.diff_side(row.kind, true);
            spans.push(Span::styled(gutter(k, lg, lw.len()), lbase.patch(theme.muted())));
            push_padded(
                &mut spans,
                lw.get(k),
                text_w,
                if row.left.is_some() {
                    lbase
                } else {
                    Style::default()
                },
            );
            spans.push(Span::styled(" │ ", theme.muted()));
            spans.push(Span::styled(gutter(k, rg, rw.len()), rbase.patch(theme.muted())));
            push_padded(
                &mut spans,
                rw.get(k),
                text_w,
                if row.right.is_some() {
                    rbase
                } else {
                    Style::default()
                },
            );
            out.push(Line::from(spans));
        }
    }
    if s.rows.is_empty() {
        out.push(Line::from(Span::styled(
            "  (absent on both sides)",
            theme.muted(),
        )));
    }
}

/// The gutter of the `k`th screen row of a value that wrapped to `rows` rows: the diff mark on
/// the first, `↪` on continuations, blank below a shorter side.
fn gutter(k: usize, mark: &'static str, rows: usize) -> &'static str {
    match k {
        0 => mark,
        k if k < rows => "↪",
        _ => " ",
    }
}

fn gutters(kind: RowKind) -> (&'static str, &'static str) {
    match kind {
        RowKind::Equal => (" ", " "),
        RowKind::Changed => ("-", "+"),
        RowKind::Removed => ("-", " "),
        RowKind::Added => (" ", "+"),
    }
}

fn push_padded(spans: &mut Vec<Span<'static>>, piece: Option<&Vec<Span<'static>>>, w: usize, base: Style) {
    let mut used = 0;
    if let Some(p) = piece {
        for s in p {
            used += crate::text::width(&s.content);
            spans.push(s.clone());
        }
    }
    if used < w {
        spans.push(Span::styled(" ".repeat(w - used), base));
    }
}

/// The styled characters of one side of a row: syntax foreground, diff background, emphasised
/// changed ranges, highlighted masks; `(absent)` when the side has no value at all.
fn side_cells(side: &Side, line: Option<usize>, row: &Row, live: bool, theme: &Theme) -> Vec<(char, Style)> {
    let Some(i) = line else {
        if side.lines.is_empty() && row.left.or(row.right) == Some(0) {
            return "(absent)".chars().map(|c| (c, theme.muted())).collect();
        }
        return Vec::new();
    };
    let text = &side.lines[i];
    let base = theme.diff_side(row.kind, live).patch(theme.text());
    let mut styles: Vec<Style> = vec![base; text.len()];
    if let Some(segs) = side.highlight.get(i) {
        for seg in segs {
            for st in styles.iter_mut().take(seg.range.end).skip(seg.range.start) {
                *st = st.patch(theme.syntax(seg.fg, seg.bold));
            }
        }
    }
    let ranges = if live { &row.right_ranges } else { &row.left_ranges };
    for r in ranges {
        for st in styles.iter_mut().take(r.end).skip(r.start) {
            *st = st.patch(theme.diff_inline(live));
        }
    }
    let mut from = 0;
    while let Some(at) = text[from..].find(MASK) {
        let start = from + at;
        for st in styles.iter_mut().take(start + MASK.len()).skip(start) {
            *st = st.patch(theme.sensitive());
        }
        from = start + MASK.len();
    }
    text.char_indices().map(|(b, c)| (c, styles[b])).collect()
}

/// Wraps styled characters to `w` columns, merging runs of equal style into spans.
fn wrap(chars: &[(char, Style)], w: usize) -> Vec<Vec<Span<'static>>> {
    let mut lines: Vec<Vec<Span<'static>>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut buf = String::new();
    let mut buf_style: Option<Style> = None;
    let mut used = 0;
    let flush = |cur: &mut Vec<Span<'static>>, buf: &mut String, st: Option<Style>| {
        if !buf.is_empty() {
            cur.push(Span::styled(std::mem::take(buf), st.unwrap_or_default()));
        }
    };
    for &(c, st) in chars {
        let cw = c.width().unwrap_or(0);
        if used + cw > w && used > 0 {
            flush(&mut cur, &mut buf, buf_style);
            lines.push(std::mem::take(&mut cur));
            used = 0;
        }
        if buf_style != Some(st) {
            flush(&mut cur, &mut buf, buf_style);
            buf_style = Some(st);
        }
        buf.push(c);
        used += cw;
    }
    flush(&mut cur, &mut buf, buf_style);
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}
