//! The decision popup: the context (adoption diff, revert commands, what the tier asks) in a
//! scrollable area, then one line per input field, the error, and the keys.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::decisions::DecisionForm;
use crate::tui::theme::Theme;

/// Rows below the context: fields, a blank, the error line.
fn tail_rows(form: &DecisionForm) -> u16 {
    form.fields.len() as u16 + 2
}

/// Rows of context visible for a terminal of `width` x `height` (for paging keys).
pub fn context_rows(width: u16, height: u16) -> usize {
    // The largest form has four fields.
    let area = super::overlay_area(width, height);
    area.height.saturating_sub(2 + 6).max(1) as usize
}

/// Draws `form` in `area`.
pub fn draw(frame: &mut Frame, area: Rect, form: &DecisionForm, theme: &Theme) {
    frame.render_widget(Clear, area);
    let keys = if form.can_submit {
        " Tab next field · Enter confirm · Esc cancel · PgUp/PgDn scroll "
    } else {
        " Esc close · PgUp/PgDn scroll "
    };
    let block = Block::bordered()
        .border_style(theme.border(true))
        .style(theme.popup())
        .title(Span::styled(
            format!(" {} ", crate::text::sanitize(&form.title)),
            theme.title(),
        ))
        .title_bottom(Span::styled(keys, theme.muted()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let tail = tail_rows(form).min(inner.height);
    let ctx_h = inner.height - tail;
    let ctx_area = Rect::new(inner.x, inner.y, inner.width, ctx_h);
    let ctx: Vec<Line> = form
        .context
        .lines
        .iter()
        .skip(form.context.scroll)
        .take(ctx_h as usize)
        .map(|l| {
            let style = if l.starts_with(" +") && !l.starts_with(" +++") {
                theme.diff_side(crate::diff::RowKind::Added, true)
            } else if l.starts_with(" -") && !l.starts_with(" ---") {
                theme.diff_side(crate::diff::RowKind::Removed, false)
            } else if l.starts_with('!') {
                theme.error()
            } else if l.starts_with(' ') || l.is_empty() {
                theme.text()
            } else {
                theme.accent()
            };
            Line::from(Span::styled(l.clone(), style))
        })
        .collect();
    frame.render_widget(Paragraph::new(ctx).wrap(Wrap { trim: false }), ctx_area);
    let mut y = inner.y + ctx_h;
    for (i, f) in form.fields.iter().enumerate() {
        if y >= inner.y + inner.height {
            break;
        }
        let focused = i == form.focus;
        let label = format!("{}: ", f.label);
        let text = crate::text::sanitize(&f.input.text).into_owned();
        let line = Line::from(vec![
            Span::styled(
                label.clone(),
                if focused { theme.accent() } else { theme.muted() },
            ),
            Span::styled(text, theme.text()),
        ]);
        let row = Rect::new(inner.x, y, inner.width, 1);
        frame.render_widget(Paragraph::new(line), row);
        if focused && form.can_submit {
            let before = crate::text::width(&crate::text::sanitize(&f.input.text[..f.input.cursor]));
            let x = inner.x
                + (crate::text::width(&label) + before).min(inner.width.saturating_sub(1) as usize) as u16;
            frame.set_cursor_position(Position::new(x, y));
        }
        y += 1;
    }
    if let Some(e) = &form.error
        && y < inner.y + inner.height
    {
        let row = Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1);
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("✗ {}", crate::text::sanitize(e)),
                theme.error(),
            )),
            row,
        );
    }
}
