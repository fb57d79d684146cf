//! The item list, virtualised: only the rows on screen are built, so drawing costs the same for
//! twenty items or a hundred thousand.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::fit;
use crate::model::{DriftItem, Severity};
use crate::tui::layout;
use crate::tui::state::{Focus, State};
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
        .unwrap_or(4);
    let w = inner.width as usize;
    // mark(1) sp badge(4) sp kind(9) sp … sp status
    let fixed = 1 + 1 + 4 + 1 + 9 + 1 + 1 + status_w;
    let rest = w.saturating_sub(fixed);
    let addr_w = (rest * 11 / 20).max(1);
    let sum_w = rest.saturating_sub(addr_w + 1);
    let lines: Vec<Line> = shown
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let index = i as usize;
            let selected = state.list_offset + n == state.selected;
            row(
                &items[index],
                state.is_marked(index),
                selected,
                addr_w,
                sum_w,
                status_w,
                theme,
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
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
