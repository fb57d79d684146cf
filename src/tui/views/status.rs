//! The status bar: the message line when there is a message, otherwise key hints generated from
//! the live keymap; the position on the right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::state::{Level, State};
use crate::tui::theme::Theme;

/// Key hints from the keymap, e.g. `j/↓ k/↑ move  / filter  ? help`.
pub fn hints(state: &State) -> String {
    let mut parts = Vec::new();
    if let (Some(d), Some(u)) = (
        state.keymap.keys(Action::Down).first(),
        state.keymap.keys(Action::Up).first(),
    ) {
        parts.push(format!("{d}/{u} move"));
    }
    for a in Action::ALL {
        if let (Some(h), Some(k)) = (a.hint(), state.keymap.keys(a).first()) {
            parts.push(format!("{k} {h}"));
        }
    }
    parts.join("  ")
}

/// The status line's text of a message: its first line, with `…` when more follows (the
/// message log, `L`, has all of it).
fn first_line(text: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    if lines.next().is_some() {
        format!(" {first} …")
    } else {
        format!(" {first}")
    }
}

/// Draws the status bar.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let pos = if state.visible.is_empty() {
        "0/0 ".to_string()
    } else {
        format!("{}/{} ", state.selected + 1, state.visible.len())
    };
    let left_w = (area.width as usize).saturating_sub(pos.len() + 1);
    let left = match &state.status {
        Some(m) => Span::styled(
            super::fit(&first_line(&m.text), left_w),
            match m.level {
                Level::Info => theme.ok(),
                Level::Warning | Level::Error => theme.error(),
            },
        ),
        None => Span::styled(super::fit(&format!(" {}", hints(state)), left_w), theme.muted()),
    };
    let pad = (area.width as usize).saturating_sub(crate::text::width(&left.content) + pos.len());
    let line = Line::from(vec![
        left,
        Span::raw(" ".repeat(pad)),
        Span::styled(pos, theme.text()),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.status_bar()), area);
}
