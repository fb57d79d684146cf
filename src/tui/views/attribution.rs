//! CloudTrail attribution on screen: the detail pane's attribution section and the
//! group-by-actor overlay. Every string comes sanitized from `attribution::view` or is
//! sanitized here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::state::{AttributionState, GroupsOverlay, State};
use crate::tui::theme::Theme;

/// The attribution section: who changed the item, when, with what, how sure; or why there is
/// no answer (off, unavailable, still looking, no events, an error).
pub fn section(out: &mut Vec<Line<'static>>, state: &State, index: usize, theme: &Theme, width: usize) {
    let label = |t: &str| Span::styled(format!("{t:<12}"), theme.muted());
    let a = match (&state.attribution, state.attribution(index)) {
        (_, Some(a)) => a,
        (AttributionState::Off(why), _) => {
            super::detail::wrap_text(
                out,
                &[label("attribution")],
                &format!("off: {why}"),
                theme.muted(),
                width,
            );
            return;
        }
        (AttributionState::Failed(why), None) => {
            rule(out, "attribution", theme, width);
            super::detail::wrap_text(out, &[label("unavailable")], why, theme.error(), width);
            return;
        }
        (_, None) => {
            rule(out, "attribution", theme, width);
            super::detail::wrap_text(
                out,
                &[label("status")],
                "looking up CloudTrail…",
                theme.muted(),
                width,
            );
            return;
        }
    };
    rule(out, "attribution", theme, width);
    for (name, value) in crate::attribution::view::details(a) {
        let style = match name {
            "out of band" if value == "yes" => theme.severity(crate::model::Severity::High),
            "denied" => theme.error(),
            "why" if a.status == crate::attribution::AttributionStatus::Error => theme.error(),
            // Underlined as well as coloured: a link reads as one without colour (NO_COLOR).
            "link" => theme.accent().add_modifier(ratatui::style::Modifier::UNDERLINED),
            "actor" => theme.accent(),
            _ => theme.text(),
        };
        super::detail::wrap_text(out, &[label(name)], &value, style, width);
    }
}

/// The `── attribution ───` rule.
fn rule(out: &mut Vec<Line<'static>>, title: &str, theme: &Theme, width: usize) {
    let spans = vec![
        Span::styled("── ".to_string(), theme.muted()),
        Span::styled(title.to_string(), theme.accent()),
    ];
    super::detail::rule(out, spans, theme, width);
}

/// Draws the group-by-actor overlay: one row per actor session (items, out-of-band flag,
/// actor), the highlighted row selected; scrolls to keep it visible.
pub fn draw_groups(frame: &mut Frame, area: Rect, g: &GroupsOverlay, theme: &Theme) {
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
