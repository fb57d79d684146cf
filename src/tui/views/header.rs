//! The two header lines: what is loaded and counted; the active filter, sort and background work.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::Severity;
use crate::tui::state::{AttributionState, State};
use crate::tui::theme::Theme;

/// Draws the header.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let narrow = area.width < 100;
    let sep = || Span::styled(" │ ", theme.muted());
    let reports = &state.report.reports;
    let mut l1 = vec![Span::styled(" driftdeck", theme.title()), sep()];
    let names = if reports.len() == 1 {
        let p = std::path::Path::new(&reports[0].path);
        let name = p
            .file_name()
            .map_or_else(|| reports[0].path.clone(), |n| n.to_string_lossy().into_owned());
        super::fit(&crate::text::sanitize(&name), 30)
    } else {
        format!("{} reports", reports.len())
    };
    l1.push(Span::styled(names, theme.text()));
    l1.push(sep());
    l1.push(Span::styled(
        format!("{} items:", state.report.items.len()),
        theme.text(),
    ));
    for (sev, n) in state.counts_by_severity() {
        let name = if narrow {
            match sev {
                Severity::Critical => "crit",
                Severity::High => "high",
                Severity::Medium => "med",
                Severity::Low => "low",
            }
        } else {
            sev.as_str()
        };
        l1.push(Span::raw(" "));
        l1.push(Span::styled(
            format!("{n} {name}"),
            if n > 0 { theme.severity(sev) } else { theme.muted() },
        ));
    }
    l1.push(sep());
    let statuses: Vec<String> = state
        .counts_by_status()
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    l1.push(Span::styled(statuses.join(" "), theme.text()));

    let mut l2 = vec![Span::styled(" filter: ", theme.muted())];
    if state.filter_text.is_empty() {
        l2.push(Span::styled("none", theme.muted()));
    } else {
        l2.push(Span::styled(
            crate::text::sanitize(&state.filter_text).into_owned(),
            theme.accent(),
        ));
        l2.push(Span::styled(
            format!(" ({} of {})", state.visible.len(), state.report.items.len()),
            theme.text(),
        ));
    }
    l2.push(sep());
    l2.push(Span::styled("sort: ", theme.muted()));
    l2.push(Span::styled(state.sort.label(), theme.text()));
    if state.marked > 0 {
        l2.push(sep());
        l2.push(Span::styled(format!("{} marked", state.marked), theme.mark()));
    }
    if state.attribution == AttributionState::Starting && state.progress.is_empty() {
        l2.push(sep());
        l2.push(Span::styled("opening CloudTrail…", theme.muted()));
    }
    if let Some(problem) = &state.approvals_problem {
        // The file and line are what the user needs; the first line of the error carries them.
        let first = problem.lines().next().unwrap_or(problem);
        l2.push(sep());
        l2.push(Span::styled(
            super::fit(
                &format!(
                    "approvals not applied, all open: {}",
                    crate::text::sanitize(first)
                ),
                usize::from(area.width).saturating_sub(40).max(20),
            ),
            theme.severity(Severity::High),
        ));
    }
    for p in &state.progress {
        l2.push(sep());
        l2.push(Span::styled(
            format!("{} {}/{}", crate::text::sanitize(&p.label), p.done, p.total),
            theme.accent(),
        ));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(l1), Line::from(l2)]).style(theme.header()),
        area,
    );
}
