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
        Span::styled(
            text,
            if input.selected {
                theme.selection()
            } else {
                theme.text()
            },
        ),
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

/// The export format chooser: one row per format, numbered, the highlighted one selected.
pub fn draw_export(frame: &mut Frame, screen: Rect, selected: usize, theme: &Theme) {
    use crate::decide::evidence::ExportFormat;
    let rows = u16::try_from(ExportFormat::ALL.len()).unwrap_or(4);
    let area = crate::tui::layout::centered(screen, screen.width.saturating_sub(4).min(72), rows + 2);
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme.border(true))
        .style(theme.popup())
        .title(Span::styled(" export the evidence as ", theme.title()))
        .title_bottom(Span::styled(
            " j/k move · Enter or 1-4 export · Esc cancel ",
            theme.muted(),
        ));
    let inner = crate::tui::layout::inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let lines: Vec<Line> = ExportFormat::ALL
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let text = crate::text::pad(
                &super::fit(&format!(" {}  .{:<5} {}", i + 1, f.extension(), f.label()), w),
                w,
            );
            let style = if i == selected {
                theme.text().patch(theme.selection())
            } else {
                theme.text()
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
