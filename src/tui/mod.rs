//! The interactive triage screen. Elm-style: [`state::State`] holds everything,
//! [`update::update`] is the only place it changes (returning [`update::Effect`]s the loop runs),
//! [`views`] draw it, [`app`] owns the terminal and the event loop. Keys ([`keymap`]) and colours
//! ([`theme`]) are data.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod decisions;
pub mod filter;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod state;
pub mod theme;
pub mod update;
pub mod views;
pub mod watch;

use std::sync::Arc;

use crate::diff::{self, Highlighter};
use crate::model::DriftReport;

pub use action::Action;
pub use keymap::Keymap;
pub use state::State;
pub use theme::Theme;
pub use update::{Effect, Msg, update};

/// Why the TUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The terminal could not be set up, read or written.
    #[error("terminal error: {0}")]
    Io(#[from] std::io::Error),
}

/// Loads the reports again, as at start (statuses from the journal included).
pub type LoadFn = Arc<dyn Fn() -> Result<DriftReport, String> + Send + Sync>;

/// How to reload the reports: `Ctrl-R`, and on a change of the watched files (`--watch`).
#[derive(Clone)]
pub struct Reload {
    /// The load.
    pub load: LoadFn,
    /// Report files whose change reloads (empty without `--watch`).
    pub watch: Vec<std::path::PathBuf>,
}

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reload")
            .field("watch", &self.watch)
            .finish_non_exhaustive()
    }
}

/// What the user chose on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--theme NAME|PATH`.
    pub theme: Option<String>,
    /// `NO_COLOR` is set (and not empty).
    pub no_color: bool,
    /// Where decisions are journaled; `None` disables the decision keys.
    pub decide: Option<crate::decide::DeciderOptions>,
    /// Where CloudTrail events come from; `None` turns attribution off (the pane says how to
    /// turn it on).
    pub attribution: Option<crate::attribution::Setup>,
    /// How to reload the reports; `None` disables `Ctrl-R`.
    pub reload: Option<Reload>,
}

/// Runs the TUI on a loaded report. Problems with the user's keymap or theme files are shown in
/// the status bar and returned, so the caller can repeat them once the terminal is restored.
pub fn run(report: DriftReport, options: &Options) -> Result<Vec<String>, TuiError> {
    let mut warnings = Vec::new();
    let keymap = Keymap::load(None, &mut |w| warnings.push(w));
    let theme = Theme::load(options.theme.as_deref(), options.no_color, &mut |w| {
        warnings.push(w);
    });
    let mut state = State::new(report, keymap, 80, 24);
    state.approvals_problem = options
        .decide
        .as_ref()
        .and_then(crate::decide::DeciderOptions::approvals_problem);
    // Every reason in the message log (L); the header shows the first.
    let incomplete: Vec<String> = state
        .report
        .reports
        .iter()
        .flat_map(|r| r.incomplete.iter().map(move |w| format!("{}: {w}", r.path)))
        .collect();
    for w in incomplete {
        state.set_status(
            state::Level::Warning,
            &format!("drift could not be fully determined: {w}"),
        );
    }
    if let Some(w) = warnings.first() {
        state.set_status(state::Level::Warning, w);
    }
    if options.reload.is_some() {
        state.can_reload = true;
    }
    state.show_noise = options.decide.as_ref().is_some_and(|d| d.show_noise);
    app::run(
        state,
        &theme,
        options.decide.clone(),
        options.attribution.clone(),
        options.reload.clone(),
    )?;
    Ok(warnings)
}

/// Runs effects synchronously until none are left (tests, benches, scripted use): prepares
/// details in place instead of on a worker. Attribution effects (`PrioritizeAttribution`,
/// `RetryAttribution`) are dropped: there is no service; feed [`Msg::Attribution`] results
/// directly.
pub fn settle(state: &mut State, effects: Vec<Effect>, highlighter: Option<&Highlighter>) {
    settle_with(state, effects, highlighter, None, &mut |_| {});
}

/// [`settle`] with a decider: decision effects are carried out in place too, revert output
/// lines go to `output` as well as to the output overlay.
pub fn settle_with(
    state: &mut State,
    effects: Vec<Effect>,
    highlighter: Option<&Highlighter>,
    mut decider: Option<&mut crate::decide::Decider>,
    output: &mut dyn FnMut(&str),
) {
    let mut queue = effects;
    while let Some(e) = queue.pop() {
        match e {
            Effect::Prepare { verb, targets } => {
                let report = Arc::clone(&state.report);
                let result = match decider.as_deref() {
                    Some(d) => decisions::prepare(d, &report, verb, &targets),
                    None => Err("no decider".into()),
                };
                queue.extend(update(
                    state,
                    Msg::Prepared {
                        verb,
                        targets,
                        result,
                    },
                ));
            }
            Effect::Decide(job) => {
                let report = Arc::clone(&state.report);
                let mut lines = Vec::new();
                let sums = decisions::attribution_summaries(state, &job.targets);
                let mut seqs = Vec::new();
                let result = match decider.as_deref_mut() {
                    Some(d) => {
                        let before = watch::last_seq(&d.options().journal_path());
                        let r = decisions::run_job(d, &report, &job, &|i| sums.get(&i).cloned(), &mut |l| {
                            lines.push(l);
                        });
                        seqs = decisions::own_entries(d, before);
                        r
                    }
                    None => Err("no decider".into()),
                };
                for l in lines {
                    output(&l);
                    queue.extend(update(state, Msg::Output(l)));
                }
                queue.extend(update(
                    state,
                    Msg::Decided {
                        verb: job.verb,
                        result,
                        seqs,
                    },
                ));
            }
            Effect::PrepareDetail { index, request } => {
                let Some(item) = state.report.items.get(index) else {
                    continue;
                };
                let detail = Arc::new(diff::prepare(item, highlighter));
                queue.extend(update(
                    state,
                    Msg::DetailReady {
                        index,
                        request,
                        detail,
                    },
                ));
            }
            Effect::Quit
            | Effect::PrioritizeAttribution(_)
            | Effect::RetryAttribution(_)
            | Effect::Clipboard(_)
            | Effect::Open(_)
            | Effect::Export { .. }
            | Effect::Reload => {}
        }
    }
}
