//! The status bar: the message line when there is a message, otherwise key hints generated from
//! the live keymap; the position on the right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::state::{Focus, Level, Overlay, State};
use crate::tui::theme::Theme;

/// Key hints from the live keymap for where the keys go now (list, detail, a form or a pane):
/// as many as fit in `width`, most useful first, always ending with the help key.
pub fn hints(state: &State, width: usize) -> String {
    let key = |a: Action| state.keymap.keys(a).first().copied();
    let mut parts: Vec<String> = Vec::new();
    let push = |parts: &mut Vec<String>, a: Action, label: &str| {
        if let Some(k) = key(a) {
            parts.push(format!("{k} {label}"));
        }
    };
    match state.overlay() {
        Some(Overlay::Decision(_)) => {
            return super::fit(" Tab next field  Enter confirm  Esc cancel (then ? help)", width);
        }
        Some(Overlay::Filter { .. }) => {
            return super::fit(
                " Enter apply  Esc restore the previous filter  (then ? help)",
                width,
            );
        }
        Some(_) => {
            push(&mut parts, Action::Down, "scroll");
            push(&mut parts, Action::Close, "close");
        }
        None => match state.focus {
            Focus::List => {
                if let (Some(d), Some(u)) = (key(Action::Down), key(Action::Up)) {
                    parts.push(format!("{d}/{u} move"));
                }
                push(&mut parts, Action::Focus, "detail");
                push(&mut parts, Action::Filter, "filter");
                push(&mut parts, Action::Approve, "approve");
                push(&mut parts, Action::Adopt, "adopt");
                push(&mut parts, Action::Revert, "revert");
                push(&mut parts, Action::NextChange, "next change");
                push(&mut parts, Action::Sort, "sort");
                push(&mut parts, Action::Mark, "mark");
                push(&mut parts, Action::Zoom, "zoom");
            }
            Focus::Detail => {
                if let (Some(d), Some(u)) = (key(Action::Down), key(Action::Up)) {
                    parts.push(format!("{d}/{u} scroll"));
                }
                if let (Some(n), Some(p)) = (key(Action::NextChange), key(Action::PrevChange)) {
                    parts.push(format!("{n}/{p} change"));
                }
                push(&mut parts, Action::Zoom, "zoom");
                push(&mut parts, Action::Focus, "list");
                push(&mut parts, Action::Approve, "approve");
                push(&mut parts, Action::Adopt, "adopt");
                push(&mut parts, Action::Revert, "revert");
            }
        },
    }
    if !state.output.is_empty() || state.revert.is_some() {
        let k = key(Action::Output);
        if let Some(k) = k {
            parts.insert(parts.len().min(2), format!("{k} output"));
        }
    }
    if state.overlay().is_none() {
        push_last(&mut parts, key(Action::Messages).map(|k| format!("{k} messages")));
        push_last(&mut parts, key(Action::Quit).map(|k| format!("{k} quit")));
    }
    let help = key(Action::Help).map_or_else(|| "help".to_string(), |k| format!("{k} help"));
    // Drop hints from the end until the line, with the help key, fits.
    loop {
        let line = if parts.is_empty() {
            format!(" {help}")
        } else {
            format!(" {}  {help}", parts.join("  "))
        };
        if crate::text::width(&line) <= width || parts.is_empty() {
            return super::fit(&line, width);
        }
        parts.pop();
    }
}

fn push_last(parts: &mut Vec<String>, s: Option<String>) {
    if let Some(s) = s {
        parts.push(s);
    }
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
    let left = if let Some(r) = &state.revert {
        Span::styled(super::fit(&progress(r), left_w), theme.accent())
    } else {
        message_or_hints(state, left_w, theme)
    };
    let pad = (area.width as usize).saturating_sub(crate::text::width(&left.content) + pos.len());
    let line = Line::from(vec![
        left,
        Span::raw(" ".repeat(pad)),
        Span::styled(pos, theme.text()),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.status_bar()), area);
}

/// A running revert: spinner, what, the current step (`apply 2/3`) and the elapsed time.
pub fn progress(r: &crate::tui::state::RevertRun) -> String {
    const SPIN: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let spin = SPIN[r.frame % SPIN.len()];
    let step = match r.step.checked_sub(1).and_then(|i| r.steps.get(i)) {
        Some(name) => format!("{name} {}/{}", r.step, r.steps.len()),
        None => "starting".to_string(),
    };
    format!(" {spin} revert {}: {step} · {}s", r.what, r.elapsed)
}

fn message_or_hints(state: &State, left_w: usize, theme: &Theme) -> Span<'static> {
    match &state.status {
        Some(m) => Span::styled(
            super::fit(&first_line(&m.text), left_w),
            match m.level {
                Level::Info => theme.ok(),
                Level::Warning | Level::Error => theme.error(),
            },
        ),
        None => Span::styled(hints(state, left_w), theme.muted()),
    }
}
