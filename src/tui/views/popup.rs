//! Generic overlay widgets: a scrollable text box and a one-line prompt. Help and the filter use
//! them; later popups (decisions, previews, command output) reuse them.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::input::{TextInput, TextOverlay};
use crate::tui::theme::Theme;

/// Draws a bordered, scrollable text overlay in `area`.
pub fn draw_text(frame: &mut Frame, area: Rect, t: &TextOverlay, theme: &Theme) {
    frame.render_widget(Clear, area);
    let inner_h = area.height.saturating_sub(2) as usize;
    let more = t.lines.len() > t.scroll + inner_h;
    let footer = if more || t.scroll > 0 {
        format!(
            " {}-{} of {} · j/k scroll · Esc close ",
            t.scroll + 1,
            (t.scroll + inner_h).min(t.lines.len()),
            t.lines.len()
        )
    } else {
        " Esc close ".to_string()
    };
    let block = Block::bordered()
        .border_style(theme.border(true))
        .style(theme.popup())
        .title(Span::styled(format!(" {} ", t.title), theme.title()))
        .title_bottom(Span::styled(footer, theme.muted()));
    let lines: Vec<Line> = t
        .lines
        .iter()
        .skip(t.scroll)
        .take(inner_h)
        .map(|l| {
            if l.starts_with(' ') || l.is_empty() {
                Line::from(Span::styled(l.clone(), theme.text()))
            } else {
                Line::from(Span::styled(l.clone(), theme.accent()))
            }
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }),
        area,
    );
}

/// Draws a one-line prompt (`label` + input) in `area`, with an error on the right, and places
/// the cursor.
pub fn draw_prompt(
    frame: &mut Frame,
    area: Rect,
    label: &str,
    input: &TextInput,
    error: Option<&str>,
    theme: &Theme,
) {
    frame.render_widget(Clear, area);
    let text = crate::text::sanitize(&input.text).into_owned();
    let mut spans = vec![
        Span::styled(format!("{label} "), theme.accent()),
        Span::styled(text, theme.text()),
    ];
    if let Some(e) = error {
        spans.push(Span::styled(
            format!("  ✗ {}", crate::text::sanitize(e)),
            theme.error(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.popup()), area);
    let before = crate::text::width(&crate::text::sanitize(&input.text[..input.cursor]));
    let x =
        area.x + (crate::text::width(label) + 1 + before).min(area.width.saturating_sub(1) as usize) as u16;
    frame.set_cursor_position(Position::new(x, area.y));
}

/// Draws the group-by-actor overlay: one row per actor session (items, out-of-band flag,
/// actor), the highlighted row selected; scrolls to keep it visible.
pub fn draw_groups(frame: &mut Frame, area: Rect, g: &crate::tui::state::GroupsOverlay, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme.border(true))
        .style(theme.popup())
        .title(Span::styled(
            " who changed what: by actor session ",
            theme.title(),
        ))
        .title_bottom(Span::styled(
            " j/k move · Enter show the group's items · Esc close ",
            theme.muted(),
        ));
    let inner = crate::tui::layout::inner(area);
    frame.render_widget(block, area);
    let rows = (inner.height as usize).saturating_sub(1).max(1);
    let first = g.selected.saturating_sub(rows - 1);
    let w = inner.width as usize;
    let mut lines = vec![Line::from(Span::styled(
        crate::text::pad(" items  oob  actor", w),
        theme.accent(),
    ))];
    for (n, row) in g.groups.iter().enumerate().skip(first).take(rows) {
        let oob = if row.out_of_band { "yes" } else { "no " };
        let head = format!(" {:>5}  {oob}  ", row.items);
        let label = super::fit(&row.label, w.saturating_sub(crate::text::width(&head)));
        let text = crate::text::pad(&format!("{head}{label}"), w);
        let mut style = if row.out_of_band {
            theme.severity(crate::model::Severity::High)
        } else {
            theme.text()
        };
        if n == g.selected {
            style = style.patch(theme.selection());
        }
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
