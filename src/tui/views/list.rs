//! The item list, virtualised: only the rows on screen are built, so drawing costs the same for
//! twenty items or a hundred thousand.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::fit;
use crate::attribution::{Attribution, AttributionStatus};
use crate::model::{DriftItem, Severity};
use crate::tui::layout;
use crate::tui::state::{AttributionState, Focus, State};
use crate::tui::theme::Theme;

/// The four-letter badge of a severity.
pub fn badge(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRIT",
        Severity::High => "HIGH",
        Severity::Medium => "MED ",
        Severity::Low => "LOW ",
    }
}

/// Draws the list pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Focus::List && state.overlays.is_empty();
    let title = format!(" items {}/{} ", state.visible.len(), state.report.items.len());
    let block = Block::bordered()
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.title()));
    let inner = layout::inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let head = ratatui::layout::Rect::new(inner.x, inner.y, inner.width, 1);
    let inner = ratatui::layout::Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    let rows = inner.height as usize;
    let end = (state.list_offset + rows).min(state.visible.len());
    let shown = state.visible.get(state.list_offset..end).unwrap_or(&[]);
    if shown.is_empty() {
        let msg = if state.report.items.is_empty() {
            "no drift: every resource matches its IaC"
        } else {
            "no item matches the filter (Esc clears it)"
        };
        frame.render_widget(Paragraph::new(Span::styled(msg, theme.muted())), inner);
        return;
    }
    let items = &state.report.items;
    let status_w = shown
        .iter()
        .map(|&i| items[i as usize].status.as_str().len())
        .max()
        .unwrap_or(6)
        .max(6);
    let w = inner.width as usize;
    let cols = attribution_columns(&state.attribution, w);
    // mark(1) sp badge(4) sp kind(9) sp … sp status [sp actor [sp tool]]
    let fixed = 1 + 1 + 4 + 1 + 9 + 1 + 1 + status_w + cols.width();
    let rest = w.saturating_sub(fixed);
    let addr_w = (rest * 11 / 20).max(1);
    let sum_w = rest.saturating_sub(addr_w + 1);
    frame.render_widget(
        Paragraph::new(headers(state, addr_w, sum_w, status_w, cols, theme)),
        head,
    );
    let lines: Vec<Line> = shown
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let index = i as usize;
            let selected = state.list_offset + n == state.selected;
            let mut line = row(
                &items[index],
                state.is_marked(index),
                selected,
                addr_w,
                sum_w,
                status_w,
                theme,
            );
            if cols.actor > 0 {
                let cells =
                    attribution_cells(&state.attribution, state.attribution(index).map(AsRef::as_ref));
                let mut extra = vec![
                    Span::raw(" "),
                    Span::styled(
                        crate::text::pad(&fit(&cells.actor, cols.actor), cols.actor),
                        if cells.out_of_band {
                            theme.severity(Severity::High)
                        } else {
                            theme.text()
                        },
                    ),
                ];
                if cols.tool > 0 {
                    extra.push(Span::raw(" "));
                    extra.push(Span::styled(
                        crate::text::pad(&fit(&cells.tool, cols.tool), cols.tool),
                        theme.muted(),
                    ));
                }
                if selected {
                    let sel = theme.selection();
                    for s in &mut extra {
                        s.style = s.style.patch(sel);
                    }
                }
                line.spans.extend(extra);
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The column headers, matching the columns shown at this width; the sorted column is marked
/// (`▼`, or `▲` reversed).
fn headers(
    state: &State,
    addr_w: usize,
    sum_w: usize,
    status_w: usize,
    cols: AttributionColumns,
    theme: &Theme,
) -> Line<'static> {
    use crate::tui::state::SortKey;
    let arrow = if state.sort_reverse { "▲" } else { "▼" };
    let label = |name: &str, key: Option<SortKey>, w: usize| {
        let text = if key == Some(state.sort) {
            format!("{name}{arrow}")
        } else {
            name.to_string()
        };
        let style = if key == Some(state.sort) {
            theme.accent()
        } else {
            theme.muted()
        };
        Span::styled(crate::text::pad(&fit(&text, w), w), style)
    };
    let mut spans = vec![
        Span::raw("  "),
        label("sev", Some(SortKey::Severity), 4),
        Span::raw(" "),
        label("kind", Some(SortKey::Kind), 9),
        Span::raw(" "),
        label("address", Some(SortKey::Address), addr_w),
        Span::raw(" "),
        label("changed", None, sum_w),
        Span::raw(" "),
        label("status", Some(SortKey::Status), status_w),
    ];
    if cols.actor > 0 {
        let name = if state.sort == SortKey::When {
            "actor (when)"
        } else {
            "actor"
        };
        let key = if state.sort == SortKey::When {
            Some(SortKey::When)
        } else {
            Some(SortKey::Actor)
        };
        spans.push(Span::raw(" "));
        spans.push(label(name, key, cols.actor));
        if cols.tool > 0 {
            spans.push(Span::raw(" "));
            spans.push(label("tool", None, cols.tool));
        }
    }
    Line::from(spans)
}

fn row<'a>(
    it: &DriftItem,
    marked: bool,
    selected: bool,
    addr_w: usize,
    sum_w: usize,
    status_w: usize,
    theme: &Theme,
) -> Line<'a> {
    let address = crate::text::sanitize(&it.address);
    let summary = crate::text::sanitize(&it.summary()).into_owned();
    let mut spans = vec![
        Span::styled(if marked { "●" } else { " " }, theme.mark()),
        Span::raw(" "),
        Span::styled(badge(it.severity), theme.severity(it.severity)),
        Span::raw(" "),
        Span::styled(format!("{:<9}", it.kind.as_str()), theme.kind(it.kind)),
        Span::raw(" "),
        Span::styled(crate::text::pad(&fit(&address, addr_w), addr_w), theme.text()),
        Span::raw(" "),
        Span::styled(crate::text::pad(&fit(&summary, sum_w), sum_w), theme.muted()),
        Span::raw(" "),
        Span::styled(format!("{:<status_w$}", it.status.as_str()), theme.text()),
    ];
    if selected {
        let sel = theme.selection();
        for s in &mut spans {
            s.style = s.style.patch(sel);
        }
    }
    Line::from(spans)
}

/// Widths of the actor and tool columns (0 = hidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionColumns {
    /// Actor column width.
    pub actor: usize,
    /// Tool column width.
    pub tool: usize,
}

impl AttributionColumns {
    /// Columns taken, separators included.
    pub fn width(self) -> usize {
        let sep = |w: usize| if w > 0 { w + 1 } else { 0 };
        sep(self.actor) + sep(self.tool)
    }
}

/// Which attribution columns fit: none when attribution is off; the actor from 70 columns;
/// the tool too from 110. Narrow terminals keep the address readable.
pub fn attribution_columns(a: &AttributionState, width: usize) -> AttributionColumns {
    let on = !matches!(a, AttributionState::Off(_));
    match width {
        _ if !on => AttributionColumns { actor: 0, tool: 0 },
        w if w >= 110 => AttributionColumns { actor: 20, tool: 9 },
        w if w >= 70 => AttributionColumns { actor: 14, tool: 0 },
        _ => AttributionColumns { actor: 0, tool: 0 },
    }
}

/// The text of an item's actor and tool cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionCells {
    /// Actor display name, or the state of the lookup (`…`, `no events`, `error`).
    pub actor: String,
    /// Claimed tool, or empty.
    pub tool: String,
    /// The change was made outside the IaC pipeline (drawn as a warning).
    pub out_of_band: bool,
}

/// The actor and tool cells for an item (sanitized).
pub fn attribution_cells(state: &AttributionState, a: Option<&Attribution>) -> AttributionCells {
    let (actor, tool, out_of_band) = match (a, state) {
        (Some(a), _) => match &a.best {
            // Out of band shows as a glyph, not by colour alone (NO_COLOR too).
            Some(b) => (
                format!(
                    "{}{}",
                    if b.out_of_band { "⚑ " } else { "" },
                    crate::text::sanitize(&b.actor.display)
                ),
                b.tool.as_str().to_string(),
                b.out_of_band,
            ),
            None if a.status == AttributionStatus::Error => ("error".into(), String::new(), false),
            None => ("no events".into(), String::new(), false),
        },
        (None, AttributionState::Failed(_)) => ("unavailable".into(), String::new(), false),
        (None, _) => ("…".into(), String::new(), false),
    };
    AttributionCells {
        actor,
        tool,
        out_of_band,
    }
}
