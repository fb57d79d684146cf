//! Drawing: pure functions of `&State` and the theme into a ratatui frame. Views never change
//! state; anything they need to remember lives in [`State`].

pub mod attribution;
pub mod decision;
pub mod detail;
pub mod header;
pub mod help;
pub mod list;
pub mod popup;
pub mod status;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout;
use super::state::{Overlay, State};
use super::theme::Theme;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    if layout::too_small(area.width, area.height) {
        draw_too_small(frame, area, theme);
        return;
    }
    // The theme's background under everything, so its contrast promise holds.
    frame.render_widget(ratatui::widgets::Block::new().style(theme.base()), area);
    let a = layout::areas_for(area.width, area.height, state.zoom);
    header::draw(frame, a.header, state, theme);
    if a.list.height > 0 {
        list::draw(frame, a.list, state, theme);
    }
    detail::draw(frame, a.detail, state, theme);
    status::draw(frame, a.status, state, theme);
    for o in &state.overlays {
        match o {
            Overlay::Help(t) | Overlay::Text(t) | Overlay::Output(t) => {
                popup::draw_text(frame, overlay_area(area.width, area.height), t, theme);
            }
            Overlay::Decision(form) => {
                decision::draw(frame, overlay_area(area.width, area.height), form, theme);
            }
            Overlay::Groups(g) => {
                attribution::draw_groups(frame, overlay_area(area.width, area.height), g, theme);
            }
            Overlay::Export(selected) => popup::draw_export(frame, area, *selected, theme),
            Overlay::Filter { input, .. } => {
                popup::draw_prompt(frame, a.status, "/", input, state.filter_error.as_deref(), theme);
            }
        }
    }
}

/// Where centred overlays (help, previews) go.
pub fn overlay_area(width: u16, height: u16) -> Rect {
    layout::centered(
        Rect::new(0, 0, width, height),
        width.saturating_sub(4).min(84),
        height.saturating_sub(2),
    )
}

fn draw_too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let msg = vec![
        Line::from(Span::styled("terminal too small", theme.error())),
        Line::from(Span::styled(
            format!(
                "{}x{}: driftdeck needs at least {}x{}",
                area.width,
                area.height,
                layout::MIN_WIDTH,
                layout::MIN_HEIGHT
            ),
            theme.text(),
        )),
        Line::from(Span::styled(
            "enlarge the window, or press q to quit",
            theme.muted(),
        )),
    ];
    let h = (msg.len() as u16).min(area.height);
    let r = Rect::new(area.x, area.y + area.height.saturating_sub(h) / 2, area.width, h);
    frame.render_widget(
        Paragraph::new(msg)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(ratatui::widgets::Wrap { trim: true }),
        r,
    );
}

/// Cuts `s` to `w` display columns, ending with `…` when something was cut.
pub fn fit(s: &str, w: usize) -> String {
    if crate::text::width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w - 1 {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}
