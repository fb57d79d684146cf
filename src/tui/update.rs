//! The one place state changes: `update(&mut State, Msg) -> Vec<Effect>`. Effects are
//! descriptions of work (prepare a diff off the loop, quit) that the event loop runs.

use std::sync::Arc;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::action::Action;
use super::decisions::{self, Decided, DecisionForm, DecisionJob, FormOutcome, Prepared, Verb};
use super::filter;
use super::input::{InputOutcome, TextOverlay};
use super::layout;
use super::state::{AttributionState, Decisions, Focus, GroupRow, GroupsOverlay, Level, Overlay, State};
use super::views;
use crate::attribution::ServiceEvent;
use crate::decide::evidence::ExportFormat;
use crate::diff::Detail;

/// Something that happened: terminal input, or a worker's result.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// A mouse event.
    Mouse(MouseEvent),
    /// The terminal was resized.
    Resize(u16, u16),
    /// An action, as if its key was pressed (tests, scripted input).
    Action(Action),
    /// A worker prepared an item's detail.
    DetailReady {
        /// The item index.
        index: usize,
        /// The request it answers.
        request: u64,
        /// The result.
        detail: Arc<Detail>,
    },
    /// A periodic tick while work is pending.
    Tick,
    /// Something to tell the user that is not an error of theirs (e.g. a torn journal tail).
    Warning(String),
    /// A plain message (an export written, a link opened).
    Info(String),
    /// A watched report file changed on disk (`--watch`).
    ReportsChanged,
    /// The reports were loaded again (or could not be).
    Reloaded(Result<Box<crate::model::DriftReport>, String>),
    /// The decision journal was opened (or could not be).
    DecisionsReady(Decisions),
    /// The latest decision per item, from the journal.
    DecisionNotes(Vec<(usize, Option<String>)>),
    /// What a decision form confirms was prepared (adoption diff, revert commands).
    Prepared {
        /// The decision.
        verb: Verb,
        /// Item indices.
        targets: Vec<usize>,
        /// The preview, or why it could not be made.
        result: Result<Prepared, String>,
    },
    /// One line of a running revert's output.
    Output(String),
    /// A decision was carried out (or refused).
    Decided {
        /// The decision.
        verb: Verb,
        /// The outcome.
        result: Result<Decided, String>,
        /// The journal entries it wrote (see [`decisions::own_entries`]).
        seqs: Vec<u64>,
    },
    /// The journal's last sequence number when it was opened (later entries are news).
    JournalSeq(u64),
    /// The journal or approvals file changed on disk (read off the loop by the watcher).
    JournalRead {
        /// Every journal entry.
        entries: Arc<Vec<crate::decide::JournalEntry>>,
        /// The approvals.
        approvals: Arc<crate::decide::Approvals>,
    },
    /// The attribution source was opened; lookups have been queued.
    AttributionStarted,
    /// The attribution source could not be opened (no credentials, unreadable logs …).
    AttributionFailed(String),
    /// A result, progress or warning from the attribution service.
    Attribution(ServiceEvent),
}

/// Work for the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Compute the side-by-side detail of an item off the loop, then send `Msg::DetailReady`.
    PrepareDetail {
        /// The item index.
        index: usize,
        /// The request id to answer with.
        request: u64,
    },
    /// Prepare what a decision form confirms (adoption preview, revert plan) off the loop,
    /// then send `Msg::Prepared`.
    Prepare {
        /// The decision.
        verb: Verb,
        /// Item indices.
        targets: Vec<usize>,
    },
    /// Carry out a confirmed decision off the loop (journal first), then send `Msg::Decided`.
    Decide(Box<DecisionJob>),
    /// Move this item (by id) to the front of the attribution queue: the user selected it.
    PrioritizeAttribution(String),
    /// Ask the attribution service to look these items up again (their last lookup failed).
    RetryAttribution(Vec<usize>),
    /// Put this text on the clipboard (the loop writes the OSC 52 sequence).
    Clipboard(String),
    /// Open this URL with the system opener.
    Open(String),
    /// Write the evidence export of the journal to `path` (off the loop), then report.
    Export {
        /// The format.
        format: crate::decide::evidence::ExportFormat,
        /// The journal to read.
        journal: std::path::PathBuf,
        /// The file to write.
        path: std::path::PathBuf,
    },
    /// Load the reports again off the loop, then send `Msg::Reloaded`.
    Reload,
    /// Leave the TUI.
    Quit,
}

/// Applies a message; returns the work to do.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Key(key) => on_key(state, &key, &mut fx),
        Msg::Mouse(m) => on_mouse(state, m),
        Msg::Resize(w, h) => {
            state.width = w;
            state.height = h;
            keep_selection_visible(state);
            clamp_detail(state);
        }
        Msg::Action(a) => on_action(state, a, &mut fx),
        Msg::DetailReady {
            index,
            request,
            detail,
        } => {
            state.pending = state.pending.saturating_sub(1);
            let side = state.side.entry(index).or_default();
            if side.detail_request == Some(request) {
                side.detail = Some(detail);
            }
        }
        Msg::Tick => {
            if let Some(r) = &mut state.revert {
                r.elapsed = r.started.elapsed().as_secs();
                r.frame = r.frame.wrapping_add(1);
            }
        }
        Msg::DecisionsReady(d) => {
            match &d {
                Decisions::Unavailable(why) => {
                    state.set_status(Level::Warning, &format!("decisions unavailable: {why}"));
                }
                Decisions::Ready {
                    read_only: true,
                    why_read_only,
                    ..
                } => {
                    let why = why_read_only.clone().unwrap_or_else(|| "read-only mode".into());
                    state.set_status(
                        Level::Info,
                        &format!("{why}: decisions are previewed, not recorded"),
                    );
                }
                // Say once where decisions go, unless something more urgent is showing.
                Decisions::Ready { actor, journal, .. } if state.status.is_none() => {
                    let msg = format!("decisions are journaled in {journal} as {actor}");
                    state.set_status(Level::Info, &msg);
                }
                _ => {}
            }
            state.decisions = d;
        }
        Msg::Warning(w) => state.set_status(Level::Warning, &w),
        Msg::Info(m) => state.set_status(Level::Info, &m),
        Msg::ReportsChanged => {
            if !state.reloading {
                state.reloading = true;
                state.set_status(Level::Info, "a report changed on disk: reloading…");
                fx.push(Effect::Reload);
            }
        }
        Msg::Reloaded(result) => {
            state.reloading = false;
            match result {
                Ok(mut report) => {
                    report.set_noise_shown(state.show_noise);
                    let n = report.items.len();
                    state.replace_report(*report);
                    keep_selection_visible(state);
                    state.set_status(
                        Level::Info,
                        &format!("reloaded: {n} items (selection, marks, filter and decisions kept)"),
                    );
                }
                Err(e) => state.set_status(
                    Level::Error,
                    &format!("reload failed (the loaded reports stay): {e}"),
                ),
            }
        }
        Msg::DecisionNotes(notes) => {
            for (i, note) in notes {
                state.side.entry(i).or_default().decision = note;
            }
        }
        Msg::Prepared {
            verb,
            targets,
            result,
        } => on_prepared(state, verb, targets, result),
        Msg::Output(line) => {
            if line.starts_with("$ ")
                && let Some(r) = &mut state.revert
            {
                r.step = (r.step + 1).min(r.steps.len());
            }
            state.output.push(line.clone());
            let page = overlay_page(state);
            if let Some(Overlay::Output(o)) = state
                .overlays
                .iter_mut()
                .rev()
                .find(|o| matches!(o, Overlay::Output(_)))
            {
                o.push_line(&line, page);
            }
        }
        Msg::Decided { verb, result, seqs } => {
            state.own_seqs.extend(seqs);
            on_decided(state, verb, result);
        }
        Msg::JournalSeq(seq) => state.journal_seq = seq,
        Msg::JournalRead { entries, approvals } => {
            let c = super::watch::changes_from(
                &state.report,
                &entries,
                &approvals,
                state.journal_seq,
                time::OffsetDateTime::now_utc(),
            );
            on_journal_changed(state, c);
        }
        Msg::AttributionStarted => {
            if state.attribution == AttributionState::Starting {
                state.attribution = AttributionState::Running;
            }
        }
        Msg::AttributionFailed(why) => {
            let why = crate::text::sanitize(&why).into_owned();
            state.progress.retain(|p| p.label != ATTRIBUTING);
            state.set_status(Level::Warning, &format!("attribution unavailable: {why}"));
            state.attribution = AttributionState::Failed(why);
        }
        Msg::Attribution(ev) => on_attribution(state, ev),
    }
    if state.quit {
        fx.push(Effect::Quit);
    }
    request_detail(state, &mut fx);
    prioritize_selected(state, &mut fx);
    fx
}

/// The header label of attribution progress.
pub const ATTRIBUTING: &str = "attributing";

/// Label prefix of the per-account progress entries.
pub const ACCOUNT: &str = "acct ";

fn on_attribution(state: &mut State, ev: ServiceEvent) {
    match ev {
        ServiceEvent::Loaded { item_id, attribution } => {
            let Some(index) = state.index_of(&item_id) else {
                return;
            };
            state.side.entry(index).or_default().attribution = Some(std::sync::Arc::from(attribution));
            if state.filter.uses_attribution()
                || matches!(
                    state.sort,
                    super::state::SortKey::Actor | super::state::SortKey::When
                )
            {
                let keep = state.selected_index();
                let (offset, scroll) = (state.list_offset, state.detail_scroll);
                state.refresh_visible(keep);
                if state.selected_index() == keep {
                    state.list_offset = offset;
                    state.detail_scroll = scroll;
                }
                keep_selection_visible(state);
            }
            if let Some(Overlay::Groups(g)) = state.overlays.last() {
                let selected = g.selected;
                let mut fresh = groups(state);
                fresh.selected = selected.min(fresh.groups.len().saturating_sub(1));
                if let Some(Overlay::Groups(g)) = state.overlays.last_mut() {
                    *g = fresh;
                }
            }
        }
        ServiceEvent::Progress { done, total } => {
            if state.attribution == AttributionState::Starting {
                state.attribution = AttributionState::Running;
            }
            state.progress.retain(|p| p.label != ATTRIBUTING);
            if done < total {
                state.progress.push(super::state::Progress {
                    label: ATTRIBUTING.into(),
                    done,
                    total,
                });
            }
        }
        ServiceEvent::Accounts(accounts) => {
            // Per-account progress while more than one account is being attributed.
            state.progress.retain(|p| !p.label.starts_with(ACCOUNT));
            if accounts.iter().any(|(_, d, t)| d < t) {
                for (account, done, total) in accounts {
                    state.progress.push(super::state::Progress {
                        label: format!("{ACCOUNT}{account}"),
                        done,
                        total,
                    });
                }
            }
        }
        ServiceEvent::Activity(a) => state.activity = a,
        ServiceEvent::Note(n) => state.set_status(Level::Info, &n),
        ServiceEvent::Warning(w) => state.set_status(Level::Warning, &w),
    }
}

/// Asks the attribution service to look up the selected item next, once per selection, while
/// it has no result.
fn prioritize_selected(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.attribution.active() {
        return;
    }
    let Some(index) = state.selected_index() else {
        return;
    };
    if state.prioritized == Some(index) || state.attribution(index).is_some() {
        return;
    }
    state.prioritized = Some(index);
    fx.push(Effect::PrioritizeAttribution(
        state.report.items[index].id.clone(),
    ));
}

/// `R`: the items whose lookup ended in an error are looked up again (e.g. after `aws sso
/// login`); their pane says "looking up" until the new result arrives.
fn retry_attribution(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.attribution.active() {
        let why = match &state.attribution {
            AttributionState::Off(w) | AttributionState::Failed(w) => w.clone(),
            AttributionState::Starting | AttributionState::Running => String::new(),
        };
        state.set_status(Level::Info, &format!("no attribution to retry: {why}"));
        return;
    }
    let failed: Vec<usize> = state
        .side
        .iter()
        .filter(|(_, s)| {
            s.attribution
                .as_ref()
                .is_some_and(|a| a.status == crate::attribution::AttributionStatus::Error)
        })
        .map(|(i, _)| *i)
        .collect();
    if failed.is_empty() {
        state.set_status(Level::Info, "no failed CloudTrail lookups to retry");
        return;
    }
    let mut failed = failed;
    failed.sort_unstable();
    for i in &failed {
        if let Some(side) = state.side.get_mut(i) {
            side.attribution = None;
        }
    }
    state.prioritized = None;
    let n = failed.len();
    state.set_status(Level::Info, &format!("looking up {n} item(s) again"));
    fx.push(Effect::RetryAttribution(failed));
}

/// The group-by-actor rows from the attributions received so far.
fn groups(state: &State) -> GroupsOverlay {
    let mut indices: Vec<usize> = state
        .side
        .iter()
        .filter(|(_, s)| s.attribution.is_some())
        .map(|(i, _)| *i)
        .collect();
    indices.sort_unstable();
    let all = indices
        .iter()
        .filter_map(|i| state.attribution(*i).map(std::convert::AsRef::as_ref));
    let groups = crate::attribution::group_by_actor(all)
        .into_iter()
        .map(|g| GroupRow {
            label: g.label,
            key: g.key,
            items: g.item_ids.len(),
            out_of_band: g.out_of_band,
        })
        .collect();
    GroupsOverlay { groups, selected: 0 }
}

fn open_groups(state: &mut State) {
    match &state.attribution {
        AttributionState::Off(why) | AttributionState::Failed(why) => {
            let why = why.clone();
            state.set_status(Level::Info, &format!("no attribution: {why}"));
            return;
        }
        AttributionState::Starting | AttributionState::Running => {}
    }
    let g = groups(state);
    if g.groups.is_empty() {
        state.set_status(Level::Info, "no item is attributed yet");
        return;
    }
    state.overlays.push(Overlay::Groups(g));
}

/// Keys of the group-by-actor overlay: j/k move, Enter filters to the group, Esc closes.
fn on_groups_action(state: &mut State, a: Action) -> bool {
    let Some(Overlay::Groups(g)) = state.overlays.last_mut() else {
        return false;
    };
    let last = g.groups.len().saturating_sub(1);
    match a {
        Action::Down => g.selected = (g.selected + 1).min(last),
        Action::Up => g.selected = g.selected.saturating_sub(1),
        Action::Top => g.selected = 0,
        Action::Bottom => g.selected = last,
        Action::PageDown | Action::HalfPageDown => g.selected = (g.selected + 10).min(last),
        Action::PageUp | Action::HalfPageUp => g.selected = g.selected.saturating_sub(10),
        Action::Focus => {
            let row = g.groups.get(g.selected).cloned();
            state.overlays.pop();
            if let Some(row) = row {
                let key = row.key.replace('"', "");
                apply_filter(state, &format!("session:\"{key}\""));
                state.set_status(
                    Level::Info,
                    &format!(
                        "{} item(s) changed by {} (Esc clears the filter)",
                        row.items, row.label
                    ),
                );
            }
        }
        Action::Close | Action::GroupByActor | Action::Help => {
            state.overlays.pop();
        }
        Action::Quit => state.quit = true,
        _ => {}
    }
    true
}

/// Asks for the selected item's detail when it is neither computed nor requested.
fn request_detail(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(index) = state.selected_index() else {
        return;
    };
    let request = state.next_request;
    let side = state.side.entry(index).or_default();
    if side.detail.is_some() || side.detail_request.is_some() {
        return;
    }
    side.detail_request = Some(request);
    state.next_request += 1;
    state.pending += 1;
    fx.push(Effect::PrepareDetail { index, request });
}

fn signed(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

/// Quit, unless a decision is running: then the first press warns and the second leaves.
fn request_quit(state: &mut State) {
    if state.deciding && !state.quit_armed {
        state.quit_armed = true;
        state.set_status(
            Level::Warning,
            "a decision is still being carried out: press quit again to leave anyway",
        );
    } else {
        state.quit = true;
    }
}

fn on_key(state: &mut State, key: &KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    // Ctrl-C always quits, whatever the keymap or overlay.
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        state.quit = true;
        return;
    }
    // Nothing is typed blind: while "terminal too small" hides the screen, every key but quit is
    // ignored, and quit leaves without touching an open form (it stays as it was).
    if layout::too_small(state.width, state.height) {
        if state.keymap.action(key) == Some(Action::Quit) {
            request_quit(state);
        }
        return;
    }
    if let Some(Overlay::Filter { .. }) = state.overlays.last() {
        on_filter_key(state, key);
        return;
    }
    if let Some(Overlay::Decision(_)) = state.overlays.last() {
        on_form_key(state, key, fx);
        return;
    }
    if let KeyCode::Char(c) = key.code
        && export_digit(state, c, fx)
    {
        return;
    }
    if let Some(a) = state.keymap.action(key) {
        on_action(state, a, fx);
    }
}

fn on_filter_key(state: &mut State, key: &KeyEvent) {
    let Some(Overlay::Filter { input, before }) = state.overlays.last_mut() else {
        return;
    };
    match input.handle_key(key) {
        InputOutcome::Changed => {
            let text = input.text.clone();
            let before = before.clone();
            // While the text does not parse, the list shows the filter the prompt opened with,
            // never a half-typed term.
            if let Err(e) = filter::parse(&text) {
                apply_filter(state, &before);
                state.filter_error = Some(e.to_string());
            } else {
                apply_filter(state, &text);
            }
        }
        InputOutcome::Submit => {
            let before = before.clone();
            state.overlays.pop();
            if let Some(e) = state.filter_error.take() {
                apply_filter(state, &before);
                let kept = if before.is_empty() {
                    "no filter".to_string()
                } else {
                    format!("kept {before}")
                };
                state.set_status(Level::Warning, &format!("filter not applied ({kept}): {e}"));
            }
        }
        InputOutcome::Cancel => {
            let before = before.clone();
            state.overlays.pop();
            apply_filter(state, &before);
        }
        InputOutcome::Moved | InputOutcome::Ignored => {}
    }
}

/// Parses and applies a filter; on a parse error the previous filter stays and the error is kept
/// for the prompt to show.
pub fn apply_filter(state: &mut State, text: &str) {
    match filter::parse(text) {
        Ok(f) => {
            let keep = state.selected_index();
            state.filter = f;
            state.filter_text = text.trim().to_string();
            state.filter_error = None;
            state.refresh_visible(keep);
            keep_selection_visible(state);
        }
        Err(e) => state.filter_error = Some(e.to_string()),
    }
}

fn on_overlay_action(state: &mut State, a: Action) -> bool {
    let page = overlay_page(state);
    let Some(Overlay::Help(o) | Overlay::Text(o) | Overlay::Output(o)) = state.overlays.last_mut() else {
        return false;
    };
    let half = signed((page / 2).max(1));
    match a {
        Action::Down => o.scroll_by(1, page),
        Action::Up => o.scroll_by(-1, page),
        Action::PageDown => o.scroll_by(signed(page), page),
        Action::PageUp => o.scroll_by(-(signed(page)), page),
        Action::HalfPageDown => o.scroll_by(half, page),
        Action::HalfPageUp => o.scroll_by(-half, page),
        Action::Top => o.scroll_by(isize::MIN / 2, page),
        Action::Bottom => o.scroll_by(isize::MAX / 2, page),
        Action::Close | Action::Help | Action::Focus => {
            state.overlays.pop();
        }
        Action::Quit => state.quit = true,
        _ => {}
    }
    true
}

/// Lines visible inside a text overlay.
pub fn overlay_page(state: &State) -> usize {
    views::overlay_area(state.width, state.height)
        .height
        .saturating_sub(2) as usize
}

// `fx` collects the effects of actions; navigation needs none (the selected item's detail is
// requested once per message in `update`), decisions will.
fn on_action(state: &mut State, a: Action, fx: &mut Vec<Effect>) {
    if on_overlay_action(state, a) || on_groups_action(state, a) || on_export_action(state, a, fx) {
        return;
    }
    state.status = None;
    let page = layout::list_rows(state.width, state.height).max(1);
    match (a, state.focus) {
        (Action::Quit, _) => request_quit(state),
        (Action::Output, _) => {
            if state.output.is_empty() && state.revert.is_none() {
                state.set_status(Level::Info, "no revert output yet in this session");
            } else {
                let mut o = TextOverlay::new("revert output", state.output.clone());
                o.follow = state.revert.is_some();
                let page = overlay_page(state);
                o.scroll_by(isize::MAX / 2, page);
                state.overlays.push(Overlay::Output(o));
            }
        }
        (Action::Yank, _) => yank(state, false, fx),
        (Action::YankMore, _) => yank(state, true, fx),
        (Action::OpenLink, _) => open_link(state, fx),
        (Action::Export, _) => export(state),
        (Action::Reload, _) => {
            if !state.can_reload {
                state.set_status(Level::Info, "these reports cannot be reloaded");
            } else if !state.reloading {
                state.reloading = true;
                state.set_status(Level::Info, "reloading the reports…");
                fx.push(Effect::Reload);
            }
        }
        (Action::Messages, _) => {
            let lines = state.message_lines();
            state
                .overlays
                .push(Overlay::Text(TextOverlay::new("messages (newest first)", lines)));
        }
        (Action::Help, _) => {
            let lines = views::help::lines(&state.keymap);
            state
                .overlays
                .push(Overlay::Help(TextOverlay::new("help", lines)));
        }
        (Action::Filter, _) => {
            let before = state.filter_text.clone();
            // The current filter opens selected, so typing replaces it and ←/→ edit it.
            state.overlays.push(Overlay::Filter {
                input: super::input::TextInput::selected(&before),
                before,
            });
        }
        (Action::Close, _) => {
            if state.focus == Focus::Detail {
                state.focus = Focus::List;
            } else if !state.filter_text.is_empty() {
                apply_filter(state, "");
                state.set_status(Level::Info, "filter cleared");
            }
        }
        (Action::Focus, _) => {
            state.focus = match state.focus {
                Focus::List => Focus::Detail,
                Focus::Detail => Focus::List,
            };
        }
        (Action::Sort, _) => {
            let keep = state.selected_index();
            state.sort = state.sort.next();
            state.refresh_visible(keep);
            keep_selection_visible(state);
            state.set_status(Level::Info, &format!("sorted by {}", state.sort.label()));
        }
        (Action::SortReverse, _) => {
            let keep = state.selected_index();
            state.sort_reverse = !state.sort_reverse;
            state.refresh_visible(keep);
            keep_selection_visible(state);
            let dir = if state.sort_reverse { "reversed" } else { "normal" };
            state.set_status(Level::Info, &format!("sorted by {} ({dir})", state.sort.label()));
        }
        (Action::Mark, _) => toggle_mark(state),
        (Action::Approve, _) => start_decision(state, Verb::Approve, fx),
        (Action::Adopt, _) => start_decision(state, Verb::Adopt, fx),
        (Action::Revert, _) => start_decision(state, Verb::Revert, fx),
        (Action::Undo, _) => start_decision(state, Verb::Undo, fx),
        (Action::GroupByActor, _) => open_groups(state),
        (Action::Zoom, _) => {
            state.zoom = !state.zoom;
            clamp_detail(state);
            if state.zoom {
                state.set_status(Level::Info, "detail zoomed to the whole screen (z restores)");
            }
        }
        (Action::ToggleNoise, _) => toggle_noise(state),
        (Action::NextChange, _) => jump_change(state, true),
        (Action::PrevChange, _) => jump_change(state, false),
        (Action::RetryAttribution, _) => retry_attribution(state, fx),
        (_, Focus::Detail) => {
            let dpage = layout::detail_rows_for(state.width, state.height, state.zoom).max(1);
            let delta: isize = match a {
                Action::Down => 1,
                Action::Up => -1,
                Action::PageDown => signed(dpage),
                Action::PageUp => -(signed(dpage)),
                Action::HalfPageDown => signed((dpage / 2).max(1)),
                Action::HalfPageUp => -(signed((dpage / 2).max(1))),
                Action::Top => isize::MIN / 2,
                Action::Bottom => isize::MAX / 2,
                _ => 0,
            };
            scroll_detail(state, delta);
        }
        (_, Focus::List) => {
            let delta: isize = match a {
                Action::Down => 1,
                Action::Up => -1,
                Action::PageDown => signed(page),
                Action::PageUp => -(signed(page)),
                Action::HalfPageDown => signed((page / 2).max(1)),
                Action::HalfPageUp => -(signed((page / 2).max(1))),
                Action::Top => isize::MIN / 2,
                Action::Bottom => isize::MAX / 2,
                _ => 0,
            };
            move_selection(state, delta);
        }
    }
}

/// Shows or hides noise: noise-only items join or leave the list, noise changes join or leave
/// each item's detail (marked `noise` with the reason). Selection, marks and filter are kept.
fn toggle_noise(state: &mut State) {
    let keep = state.selected_index();
    let mut report = (*state.report).clone();
    state.show_noise = !state.show_noise;
    report.set_noise_shown(state.show_noise);
    let noise_items = if state.show_noise {
        report.items.iter().filter(|i| i.is_noise_only()).count()
    } else {
        report.not_drift.noise
    };
    state.replace_report(report);
    if state.selected_index().is_none() {
        state.refresh_visible(keep);
    }
    keep_selection_visible(state);
    let msg = if state.show_noise {
        format!("noise shown: {noise_items} noise-only items listed, noise changes marked (H hides)")
    } else {
        format!("noise hidden: {noise_items} noise-only items not listed (H shows)")
    };
    state.set_status(Level::Info, &msg);
}

fn toggle_mark(state: &mut State) {
    let Some(index) = state.selected_index() else {
        return;
    };
    let side = state.side.entry(index).or_default();
    side.marked = !side.marked;
    if side.marked {
        state.marked += 1;
    } else {
        state.marked = state.marked.saturating_sub(1);
    }
    // Marking moves on, so a run of items can be marked with repeated Space.
    move_selection(state, 1);
}

/// Moves the selection by `delta` rows (clamped) and keeps it on screen.
pub fn move_selection(state: &mut State, delta: isize) {
    if state.visible.is_empty() {
        return;
    }
    let last = state.visible.len() - 1;
    let next = state.selected.saturating_add_signed(delta).min(last);
    state.select_row(next);
    keep_selection_visible(state);
}

fn keep_selection_visible(state: &mut State) {
    let rows = layout::list_rows(state.width, state.height).max(1);
    if state.selected < state.list_offset {
        state.list_offset = state.selected;
    } else if state.selected >= state.list_offset + rows {
        state.list_offset = state.selected + 1 - rows;
    }
    let max_offset = state.visible.len().saturating_sub(rows);
    state.list_offset = state.list_offset.min(max_offset);
}

/// `y`: the selected item's address to the clipboard; `Y`: its ARN, the CloudTrail event id and
/// the console link (whichever are known). The text is shown too, for terminals without OSC 52.
fn yank(state: &mut State, more: bool, fx: &mut Vec<Effect>) {
    let Some(index) = state.selected_index() else {
        state.set_status(Level::Info, "no item selected");
        return;
    };
    let item = &state.report.items[index];
    let text = if more {
        let mut parts: Vec<String> = Vec::new();
        if let Some(arn) = item.identity.get("arn") {
            parts.push(arn.clone());
        }
        if let Some(b) = state.attribution(index).and_then(|a| a.best.as_ref()) {
            parts.push(b.event_id.clone());
            parts.push(b.console_link());
        }
        if parts.is_empty() {
            state.set_status(
                Level::Info,
                "nothing more to yank: no ARN in the report and no CloudTrail event yet",
            );
            return;
        }
        parts.join("\n")
    } else {
        item.address.clone()
    };
    let shown = crate::text::sanitize(&text.replace('\n', "  ")).into_owned();
    if super::clipboard::osc52_supported(state.term.as_deref()) {
        state.set_status(Level::Info, &format!("yanked to the clipboard: {shown}"));
        fx.push(Effect::Clipboard(text));
    } else {
        state.set_status(
            Level::Info,
            &format!("this terminal cannot set the clipboard; copy it from here: {shown}"),
        );
    }
}

/// `o`: opens the CloudTrail console page of the selected item's event.
fn open_link(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(index) = state.selected_index() else {
        state.set_status(Level::Info, "no item selected");
        return;
    };
    match state.attribution(index).and_then(|a| a.best.as_ref()) {
        Some(b) => fx.push(Effect::Open(b.console_link())),
        None => state.set_status(
            Level::Info,
            "no CloudTrail event for this item (yet): nothing to open",
        ),
    }
}

/// `e`: asks which format (the `export` command's), then writes the evidence export of the
/// journal next to it, named with the time and the format's extension.
fn export(state: &mut State) {
    if !matches!(state.decisions, Decisions::Ready { .. }) {
        state.set_status(Level::Info, "no journal open: nothing to export");
        return;
    }
    state.overlays.push(Overlay::Export(0));
}

/// Keys of the export chooser: j/k move, Enter (or the format's number) exports, Esc closes.
fn on_export_action(state: &mut State, a: Action, fx: &mut Vec<Effect>) -> bool {
    let Some(Overlay::Export(selected)) = state.overlays.last_mut() else {
        return false;
    };
    let last = ExportFormat::ALL.len() - 1;
    match a {
        Action::Down => *selected = (*selected + 1).min(last),
        Action::Up => *selected = selected.saturating_sub(1),
        Action::Top => *selected = 0,
        Action::Bottom => *selected = last,
        Action::Focus => {
            let format = ExportFormat::ALL[*selected];
            state.overlays.pop();
            write_export(state, format, fx);
        }
        Action::Close | Action::Export | Action::Help => {
            state.overlays.pop();
        }
        Action::Quit => state.quit = true,
        _ => {}
    }
    true
}

/// A digit picks the format straight away in the export chooser.
fn export_digit(state: &mut State, c: char, fx: &mut Vec<Effect>) -> bool {
    if !matches!(state.overlays.last(), Some(Overlay::Export(_))) {
        return false;
    }
    let Some(format) = c
        .to_digit(10)
        .and_then(|d| usize::try_from(d).ok())
        .and_then(|d| d.checked_sub(1))
        .and_then(|d| ExportFormat::ALL.get(d).copied())
    else {
        return false;
    };
    state.overlays.pop();
    write_export(state, format, fx);
    true
}

fn write_export(state: &mut State, format: ExportFormat, fx: &mut Vec<Effect>) {
    let Decisions::Ready { journal, .. } = &state.decisions else {
        state.set_status(Level::Info, "no journal open: nothing to export");
        return;
    };
    let journal = std::path::PathBuf::from(journal);
    let now = time::OffsetDateTime::now_utc();
    let name = format!(
        "driftdeck-evidence-{:04}{:02}{:02}-{:02}{:02}{:02}.{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        format.extension()
    );
    let path = journal
        .parent()
        .map_or_else(|| std::path::PathBuf::from(&name), |d| d.join(&name));
    state.set_status(
        Level::Info,
        &format!("exporting the evidence to {}…", path.display()),
    );
    fx.push(Effect::Export {
        format,
        journal,
        path,
    });
}

/// `n` / `N`: scrolls the detail so the next (previous) changed attribute is at the top.
fn jump_change(state: &mut State, forward: bool) {
    let anchors = views::detail::anchors(state);
    if anchors.is_empty() {
        state.set_status(Level::Info, "no changed attribute to jump to");
        return;
    }
    let rows = layout::detail_rows_for(state.width, state.height, state.zoom);
    let total = views::detail::total_lines(state);
    let max = total.saturating_sub(rows);
    let cur = state.detail_scroll;
    let target = if forward {
        // An anchor that cannot reach the top because the end is on screen counts as passed.
        anchors.iter().copied().find(|&a| a.min(max) > cur)
    } else {
        anchors.iter().rev().copied().find(|&a| a < cur)
    };
    match target {
        Some(a) => {
            state.detail_scroll = a.min(max);
            let n = anchors.iter().position(|&x| x == a).map_or(0, |p| p + 1);
            state.set_status(
                Level::Info,
                &format!("changed attribute {n} of {}", anchors.len()),
            );
        }
        None => state.set_status(
            Level::Info,
            if forward {
                "no further changed attribute"
            } else {
                "no earlier changed attribute"
            },
        ),
    }
}

fn scroll_detail(state: &mut State, delta: isize) {
    state.detail_scroll = state.detail_scroll.saturating_add_signed(delta);
    clamp_detail(state);
}

fn clamp_detail(state: &mut State) {
    let rows = layout::detail_rows_for(state.width, state.height, state.zoom);
    let total = views::detail::total_lines(state);
    state.detail_scroll = state.detail_scroll.min(total.saturating_sub(rows));
}

fn on_mouse(state: &mut State, m: MouseEvent) {
    if layout::too_small(state.width, state.height) || !state.overlays.is_empty() {
        return;
    }
    let a = layout::areas_for(state.width, state.height, state.zoom);
    let list = layout::inner(a.list);
    let detail = layout::inner(a.detail);
    let inside = |r: ratatui::layout::Rect| {
        m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
    };
    match m.kind {
        // The first row of the list is the column headers.
        MouseEventKind::Down(MouseButton::Left) if inside(list) && m.row > list.y => {
            let row = state.list_offset + (m.row - list.y - 1) as usize;
            if row < state.visible.len() {
                state.focus = Focus::List;
                state.select_row(row);
            }
        }
        MouseEventKind::Down(MouseButton::Left) if inside(detail) => state.focus = Focus::Detail,
        MouseEventKind::ScrollDown if inside(detail) => scroll_detail(state, 3),
        MouseEventKind::ScrollUp if inside(detail) => scroll_detail(state, -3),
        MouseEventKind::ScrollDown => move_selection(state, 3),
        MouseEventKind::ScrollUp => move_selection(state, -3),
        _ => {}
    }
}

/// The items a decision applies to: the marked ones, else the selected one.
fn decision_targets(state: &State) -> Vec<usize> {
    let marked = state.marked_indices();
    if marked.is_empty() {
        state.selected_index().into_iter().collect()
    } else {
        marked
    }
}

/// `r`, `a`, `p`, `u`: checks what can be decided, then opens the form (approve, undo) or asks
/// for the preview it confirms (adopt, revert).
fn start_decision(state: &mut State, verb: Verb, fx: &mut Vec<Effect>) {
    let read_only = match &state.decisions {
        Decisions::Ready { read_only, .. } => *read_only,
        Decisions::Opening => {
            state.set_status(
                Level::Info,
                "the decision journal is still opening; try again in a moment",
            );
            return;
        }
        Decisions::Unavailable(why) => {
            let why = why.clone();
            state.set_status(Level::Error, &format!("decisions unavailable: {why}"));
            return;
        }
    };
    if state.deciding {
        state.set_status(
            Level::Info,
            "a decision is still being carried out; wait for it to finish",
        );
        return;
    }
    let targets = decision_targets(state);
    if targets.is_empty() {
        state.set_status(Level::Info, "no item selected");
        return;
    }
    let items: Vec<&crate::model::DriftItem> = targets.iter().map(|&i| &state.report.items[i]).collect();
    if targets.len() > 1 {
        if matches!(verb, Verb::Adopt | Verb::Undo) {
            state.set_status(
                Level::Error,
                &format!(
                    "{} works on one item at a time: unmark items (Space) first",
                    verb.label()
                ),
            );
            return;
        }
        // The tier rule lives in the library: only batchable (low) items go together.
        if let Some(big) = items
            .iter()
            .find(|i| !crate::decide::requirements(i, verb.kind()).batchable)
        {
            let msg = format!(
                "batch decisions are for low items only: {} is {} and needs its own decision",
                big.address, big.severity
            );
            state.set_status(Level::Error, &msg);
            return;
        }
    }
    match verb {
        Verb::Approve | Verb::Undo => {
            if read_only {
                let why = match &state.decisions {
                    Decisions::Ready {
                        why_read_only: Some(w),
                        ..
                    } => w.clone(),
                    _ => "read-only mode".into(),
                };
                state.set_status(
                    Level::Error,
                    &format!("{why}: nothing can be recorded (adopt and revert only preview)"),
                );
                return;
            }
            let last: Vec<Option<String>> = targets
                .iter()
                .map(|i| state.side.get(i).and_then(|s| s.decision.clone()))
                .collect();
            if verb == Verb::Undo && last.iter().all(Option::is_none) {
                let address = items[0].address.clone();
                state.set_status(
                    Level::Info,
                    &format!("no decision in effect on {address} to undo"),
                );
                return;
            }
            let context = decisions::plain_context(verb, &items, &last);
            let form = DecisionForm::new(verb, targets, &items, context, Prepared::None, read_only);
            state.overlays.push(Overlay::Decision(Box::new(form)));
        }
        Verb::Adopt | Verb::Revert => {
            state.deciding = true;
            state.pending += 1;
            state.set_status(Level::Info, &format!("preparing {}…", verb.label()));
            fx.push(Effect::Prepare { verb, targets });
        }
    }
}

fn on_prepared(state: &mut State, verb: Verb, targets: Vec<usize>, result: Result<Prepared, String>) {
    state.deciding = false;
    state.pending = state.pending.saturating_sub(1);
    let prepared = match result {
        Ok(p) => p,
        Err(e) => {
            state.set_status(Level::Error, &format!("{} not possible: {e}", verb.label()));
            return;
        }
    };
    state.status = None;
    let read_only = matches!(state.decisions, Decisions::Ready { read_only: true, .. });
    let context = match &prepared {
        Prepared::Adopt(p) => decisions::adopt_context(p),
        Prepared::Revert(p) => decisions::revert_context(p),
        Prepared::None => Vec::new(),
    };
    let report = std::sync::Arc::clone(&state.report);
    let items: Vec<&crate::model::DriftItem> = targets.iter().filter_map(|&i| report.items.get(i)).collect();
    let mut form = DecisionForm::new(verb, targets, &items, context, prepared, read_only);
    // Say why it only previews when the IaC directory itself is the reason.
    if let Decisions::Ready {
        why_read_only: Some(why),
        ..
    } = &state.decisions
    {
        for line in &mut form.context.lines {
            if line.starts_with("read-only mode: shown only") {
                *line = format!("{why}: shown only; nothing is recorded, written or run");
            }
        }
    }
    state.overlays.push(Overlay::Decision(Box::new(form)));
}

fn on_form_key(state: &mut State, key: &KeyEvent, fx: &mut Vec<Effect>) {
    let page = views::decision::context_rows(state.width, state.height);
    let Some(Overlay::Decision(form)) = state.overlays.last_mut() else {
        return;
    };
    match form.handle_key(key, page) {
        FormOutcome::Stay => {}
        FormOutcome::Cancel => {
            state.overlays.pop();
            state.set_status(Level::Info, "cancelled: nothing was recorded");
        }
        FormOutcome::Submit(job) => {
            let verb = job.verb;
            if let Some(Overlay::Decision(form)) = state.overlays.pop() {
                state.submitted = Some(form);
            }
            state.deciding = true;
            state.pending += 1;
            if verb == Verb::Revert {
                let mut o = super::input::TextOverlay::new("revert output", Vec::new());
                o.follow = true;
                state.overlays.push(Overlay::Output(o));
                state.output.clear();
                let steps = match &job.prepared {
                    decisions::Prepared::Revert(p) => p
                        .steps
                        .iter()
                        .map(|s| match s.role {
                            crate::remediate::revert::StepRole::Plan => "plan",
                            crate::remediate::revert::StepRole::Apply => "apply",
                            crate::remediate::revert::StepRole::Verify => "verify",
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let what = match job.targets.as_slice() {
                    [one] => state
                        .report
                        .items
                        .get(*one)
                        .map_or_else(String::new, |i| i.address.clone()),
                    many => format!("{} items", many.len()),
                };
                state.revert = Some(super::state::RevertRun {
                    what: crate::text::sanitize(&what).into_owned(),
                    steps,
                    step: 0,
                    started: std::time::Instant::now(),
                    elapsed: 0,
                    frame: 0,
                });
            }
            state.set_status(
                Level::Info,
                &format!("{}: recording in the journal…", verb.label()),
            );
            fx.push(Effect::Decide(job));
        }
    }
}

/// Applies what the journal watcher found: statuses and decision lines of every item, and a
/// message naming who decided what when it was not this TUI. An open form whose item was just
/// decided says so (and asks for a second Enter before recording).
fn on_journal_changed(state: &mut State, c: super::watch::JournalChanges) {
    let differs = c.statuses.iter().any(|(i, s, e)| {
        state
            .report
            .items
            .get(*i)
            .is_some_and(|it| it.status != *s || it.approval_expires != *e)
    });
    if differs {
        let keep = state.selected_index();
        let report = Arc::make_mut(&mut state.report);
        for (i, s, e) in c.statuses {
            if let Some(item) = report.items.get_mut(i) {
                item.status = s;
                item.set_approval_expires(e);
            }
        }
        state.recount();
        let offset = state.list_offset;
        state.refresh_visible(keep);
        state.list_offset = offset;
        keep_selection_visible(state);
    }
    for (i, note) in c.notes {
        if note.is_some() || state.side.contains_key(&i) {
            state.side.entry(i).or_default().decision = note;
        }
    }
    state.journal_seq = state.journal_seq.max(c.last_seq);
    let foreign: Vec<&super::watch::Foreign> = c
        .new
        .iter()
        .filter(|f| !state.own_seqs.contains(&f.seq))
        .collect();
    if foreign.is_empty() {
        return;
    }
    for o in &mut state.overlays {
        if let Overlay::Decision(form) = o
            && let Some(f) = foreign
                .iter()
                .find(|f| f.index.is_some_and(|i| form.targets.contains(&i)))
        {
            let note = format!("{} meanwhile", f.line());
            form.error = Some(format!("{note}: check before recording"));
            form.stale = Some(note);
            form.stale_acknowledged = false;
        }
    }
    let lines: Vec<String> = foreign.iter().map(|f| f.line()).collect();
    let text = if lines.len() == 1 {
        lines[0].clone()
    } else {
        format!("{} decisions by others:\n{}", lines.len(), lines.join("\n"))
    };
    state.set_status(Level::Info, &text);
}

fn on_decided(state: &mut State, verb: Verb, result: Result<Decided, String>) {
    state.deciding = false;
    state.pending = state.pending.saturating_sub(1);
    let form = state.submitted.take();
    let reverted: Vec<usize> = if verb == Verb::Revert {
        state.revert = None;
        form.as_ref().map(|f| f.targets.clone()).unwrap_or_default()
    } else {
        Vec::new()
    };
    // The outcome of a revert stays in each item's detail and in the (reopenable) output pane.
    let outcome = match &result {
        Ok(d) => d.summary.clone(),
        Err(e) => format!("revert failed: {e}"),
    };
    for i in &reverted {
        state.side.entry(*i).or_default().outcome = Some(outcome.clone());
    }
    if verb == Verb::Revert
        && let Err(e) = &result
    {
        let page = overlay_page(state);
        let lines: Vec<String> = crate::text::sanitize_multiline(&format!("! revert failed: {e}"))
            .lines()
            .map(str::to_string)
            .collect();
        for l in lines {
            state.output.push(l.clone());
            if let Some(Overlay::Output(o)) = state
                .overlays
                .iter_mut()
                .rev()
                .find(|o| matches!(o, Overlay::Output(_)))
            {
                o.push_line(&l, page);
            }
        }
    }
    match result {
        Ok(d) => {
            let changed = !d.statuses.is_empty();
            if changed {
                let keep = state.selected_index();
                let report = std::sync::Arc::make_mut(&mut state.report);
                for (i, status, expires) in &d.statuses {
                    if let Some(item) = report.items.get_mut(*i) {
                        item.status = *status;
                        item.set_approval_expires(expires.clone());
                    }
                }
                state.recount();
                state.refresh_visible(keep);
                keep_selection_visible(state);
            }
            for (i, note) in d.notes {
                let side = state.side.entry(i).or_default();
                side.decision = note;
                if side.marked {
                    side.marked = false;
                    state.marked = state.marked.saturating_sub(1);
                }
            }
            state.set_status(Level::Info, &d.summary);
        }
        Err(e) => {
            state.set_status(Level::Error, &format!("{} failed: {e}", verb.label()));
            // A refused approval, adoption or undo reopens its form with everything typed, the
            // reason shown in place (a revert's output pane shows its failure instead).
            if let Some(mut form) = form
                && verb != Verb::Revert
            {
                form.error = Some(e);
                form.stale_acknowledged = false;
                state.overlays.push(Overlay::Decision(form));
            }
        }
    }
}
