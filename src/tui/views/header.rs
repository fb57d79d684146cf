//! The two header lines: what is loaded and counted; the active filter, sort and background work.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::Severity;
use crate::tui::state::{AttributionState, Decisions, State};
use crate::tui::theme::Theme;

/// Draws the header.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let narrow = area.width < 100;
    let sep = || Span::styled(" │ ", theme.muted());
    let reports = &state.report.reports;
    let incomplete = !state.report.is_complete();
    // On a narrow screen an incomplete report's marker takes the title's place.
    let mut l1 = if narrow && incomplete {
        vec![Span::raw(" ")]
    } else {
        vec![Span::styled(" driftdeck", theme.title()), sep()]
    };
    // The report files by short name (no directory, no `.json`); a count where they do not fit.
    let short: Vec<String> = reports
        .iter()
        .map(|r| {
            let p = std::path::Path::new(&r.path);
            let name = p
                .file_stem()
                .map_or_else(|| r.path.clone(), |n| n.to_string_lossy().into_owned());
            crate::text::sanitize(&name).into_owned()
        })
        .collect();
    let joined = short.join(", ");
    let names = if reports.len() == 1 {
        super::fit(&joined, 30)
    } else if !narrow && area.width >= 160 {
        super::fit(&joined, 60)
    } else {
        format!("{} reports", reports.len())
    };
    l1.push(Span::styled(names, theme.text()));
    // Fail closed on screen too: absence of drift in an incomplete report proves nothing.
    if let Some(reason) = reports.iter().find_map(|r| r.incomplete.first()) {
        let n: usize = reports.iter().map(|r| r.incomplete.len()).sum();
        let more = if n > 1 { format!(" ×{n}") } else { String::new() };
        // Narrow screens keep the counts: the marker alone, every reason in the message log.
        let text = if narrow {
            "⚠ INCOMPLETE".to_string()
        } else {
            // The reason first: the file and every other reason are in the message log.
            super::fit(
                &format!("⚠ INCOMPLETE{more}: {}", crate::text::sanitize(reason)),
                (usize::from(area.width) / 3).max(usize::from(area.width).saturating_sub(85)),
            )
        };
        l1.push(Span::raw(" "));
        l1.push(Span::styled(text, theme.severity(Severity::High)));
    }
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
    l2.push(Span::styled(
        format!(
            "{}{}",
            state.sort.label(),
            if state.sort_reverse { " ▲" } else { "" }
        ),
        theme.text(),
    ));
    let hidden = state.report.not_drift.noise;
    if state.show_noise {
        l2.push(sep());
        l2.push(Span::styled("noise shown (H hides)", theme.accent()));
    } else if hidden > 0 {
        l2.push(sep());
        l2.push(Span::styled(
            format!("{hidden} noise-only hidden (H)"),
            theme.muted(),
        ));
    }
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
    if let Some(a) = &state.activity {
        l2.push(sep());
        l2.push(Span::styled(
            crate::text::sanitize(a).into_owned(),
            theme.accent(),
        ));
    }
    for p in &state.progress {
        l2.push(sep());
        l2.push(Span::styled(
            format!("{} {}/{}", crate::text::sanitize(&p.label), p.done, p.total),
            theme.accent(),
        ));
    }
    where_(&mut l2, state, theme);
    frame.render_widget(
        Paragraph::new(vec![Line::from(l1), Line::from(l2)]).style(theme.header()),
        area,
    );
}

/// Where things are: read-only (and why), the accounts and regions, the IaC directory and the
/// journal (short names; the paragraph clips what does not fit on narrow screens).
fn where_(l2: &mut Vec<Span<'static>>, state: &State, theme: &Theme) {
    let sep = || Span::styled(" │ ", theme.muted());
    let short = |p: &str| {
        let path = std::path::Path::new(p);
        let name = path
            .file_name()
            .map_or_else(|| p.to_string(), |n| n.to_string_lossy().into_owned());
        crate::text::sanitize(&name).into_owned()
    };
    if let Decisions::Ready {
        read_only,
        why_read_only,
        journal,
        iac_dir,
        ..
    } = &state.decisions
    {
        if *read_only {
            l2.push(sep());
            l2.push(Span::styled(
                why_read_only.clone().unwrap_or_else(|| "read-only".into()),
                theme.error(),
            ));
        }
        if !state.scope.is_empty() {
            l2.push(sep());
            l2.push(Span::styled(state.scope.clone(), theme.text()));
        }
        l2.push(sep());
        l2.push(Span::styled("iac: ", theme.muted()));
        let dir = if iac_dir == "." {
            ".".to_string()
        } else {
            short(iac_dir)
        };
        l2.push(Span::styled(format!("{dir}/"), theme.text()));
        l2.push(Span::styled(" journal: ", theme.muted()));
        l2.push(Span::styled(short(journal), theme.text()));
    } else if !state.scope.is_empty() {
        l2.push(sep());
        l2.push(Span::styled(state.scope.clone(), theme.text()));
    }
}
