//! The event loop: one `tokio::select!` over terminal events, worker results, signals and a tick
//! that runs only while work is pending. Messages are drained, then the screen is drawn once.
//! Terminal setup and restoration (quit, panic, SIGTERM, SIGHUP, SIGINT) live here too.

use std::io::{Stdout, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::decisions;
use super::state::{AttributionState, Decisions, State};
use super::theme::Theme;
use super::update::{Effect, Msg, update};
use super::{TuiError, views};
use crate::attribution::{AttributionService, Setup};
use crate::decide::{Decider, DeciderOptions};
use crate::diff::{self, Highlighter};

/// Puts the terminal back: mouse off, main screen, cursor visible, cooked mode. Safe to call
/// more than once (from the panic hook and on the way out).
pub fn restore_terminal() {
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// The last panic of a worker thread, for the message the loop shows instead.
static WORKER_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// A panic on the TUI's own thread restores the terminal, then reports as usual. A panic on a
/// worker thread must not tear the screen down (or print over it) while the TUI keeps running:
/// its message is kept and the worker's job reports it as an error (see [`guarded`]).
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            restore_terminal();
            previous(info);
        } else {
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let what = info
                .payload()
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a worker stopped".to_string());
            *WORKER_PANIC
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(format!("{what}{at}"));
        }
    }));
}

/// Runs a worker's job; a panic becomes an error message (so a decision never stays "running").
fn guarded<T>(job: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or_else(|_| {
        let why = WORKER_PANIC
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| "a worker stopped".to_string());
        Err(format!(
            "internal error ({why}); nothing further was done — please report it"
        ))
    })
}

fn to_msg(ev: &Event) -> Option<Msg> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(*k)),
        Event::Mouse(m) => Some(Msg::Mouse(*m)),
        Event::Resize(w, h) => Some(Msg::Resize(*w, *h)),
        _ => None,
    }
}

/// Runs effects. It holds no report of its own: each job takes the state's report when it
/// starts, so a status change after a decision (`Arc::make_mut`) copies nothing unless a job
/// is running at that moment.
struct Runner {
    /// Loads the reports again (Ctrl-R, `--watch`).
    reload: Option<super::LoadFn>,
    highlighter: Arc<Option<Highlighter>>,
    tx: mpsc::UnboundedSender<Msg>,
    /// The decision journal, once opened (decisions run one at a time under this lock).
    decider: Arc<Mutex<Option<Decider>>>,
    /// The attribution service once its source is open, and the item to look up first.
    attribution: Arc<Mutex<Attribution>>,
}

#[derive(Default)]
struct Attribution {
    service: Option<AttributionService>,
    first: Option<String>,
}

fn lock(m: &Mutex<Option<Decider>>) -> std::sync::MutexGuard<'_, Option<Decider>> {
    // A worker that panicked mid-decision left the journal consistent (appends are atomic).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Runner {
    /// Opens the CloudTrail source off the loop, starts the attribution service, queues every
    /// item and forwards the service's events to the loop. A source that cannot be opened (no
    /// credentials, no network, an unreadable log directory) becomes a message in the pane.
    fn start_attribution(&self, setup: Setup, report: &Arc<crate::model::DriftReport>) {
        let report = Arc::clone(report);
        let slot = Arc::clone(&self.attribution);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            // Reading exported logs and config files is blocking work: keep it off the loop's
            // thread (the loop's `block_on` drives the I/O this future may need).
            let handle = tokio::runtime::Handle::current();
            let r = Arc::clone(&report);
            let built = tokio::task::spawn_blocking(move || handle.block_on(setup.engine(&r))).await;
            let engine = match built {
                Ok(Ok(e)) => e,
                Ok(Err(e)) => {
                    let _ = tx.send(Msg::AttributionFailed(e.to_string()));
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Msg::AttributionFailed(format!(
                        "the attribution setup stopped: {e}"
                    )));
                    return;
                }
            };
            let (svc, mut events) = AttributionService::start(engine);
            {
                let mut a = slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                svc.request_all(report.items.clone());
                if let Some(first) = a.first.take() {
                    svc.prioritize(&first);
                }
                a.service = Some(svc);
            }
            // The service has its copies of the items; this task only forwards events now.
            drop(report);
            let _ = tx.send(Msg::AttributionStarted);
            while let Some(ev) = events.recv().await {
                if tx.send(Msg::Attribution(ev)).is_err() {
                    break;
                }
            }
        });
    }

    /// Opens the decision journal off the loop (resolving the actor can ask the AWS CLI), then
    /// reports it and the latest decision per item.
    fn open_decider(&self, opts: DeciderOptions, report: &Arc<crate::model::DriftReport>) {
        let slot = Arc::clone(&self.decider);
        let report = Arc::clone(report);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            // A read-only IaC directory is found now, not at the first decision: decisions
            // become previews and the header says why.
            let mut opts = opts;
            let why_read_only = if !opts.read_only && !crate::fsutil::dir_writable(&opts.iac_dir) {
                opts.read_only = true;
                let name = opts.iac_dir.file_name().map_or_else(
                    || opts.iac_dir.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                Some(format!("read-only: {name}/ not writable"))
            } else {
                None
            };
            let watch = opts.clone();
            open_decider_now(opts, why_read_only, &slot, &report, &tx);
            watch_journal(&watch, &slot, &tx);
        });
    }
}

/// `--watch`: polls the report files (size and time) on a worker thread until the loop ends; a
/// change sends [`Msg::ReportsChanged`].
fn watch_reports(paths: Vec<std::path::PathBuf>, tx: mpsc::UnboundedSender<Msg>) {
    std::thread::spawn(move || {
        let mut watched = super::watch::Watched::new(paths);
        while !tx.is_closed() {
            std::thread::sleep(super::watch::POLL);
            if watched.changed() {
                let _ = tx.send(Msg::ReportsChanged);
            }
        }
    });
}

/// Polls the journal and approvals files (size and time, [`super::watch::POLL`]) until the loop
/// ends; a change is read and sent as [`Msg::JournalRead`]. Runs on its own blocking worker.
fn watch_journal(
    opts: &DeciderOptions,
    decider: &Arc<Mutex<Option<Decider>>>,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    let journal = opts.journal_path();
    let approvals = opts.approvals_path();
    let mut watched = super::watch::Watched::new([journal.clone(), approvals.clone()]);
    let mut warned = false;
    while !tx.is_closed() {
        std::thread::sleep(super::watch::POLL);
        if !watched.changed() {
            continue;
        }
        // Wait for a decision of this TUI to finish and report first (see Effect::Decide).
        let guard = lock(decider);
        let read = crate::decide::status::read(&journal, &approvals);
        drop(guard);
        match read {
            Ok((entries, approvals)) => {
                warned = false;
                let _ = tx.send(Msg::JournalRead {
                    entries: Arc::new(entries),
                    approvals: Arc::new(approvals),
                });
            }
            Err(e) if !warned => {
                warned = true;
                let _ = tx.send(Msg::Warning(format!("cannot follow others' decisions: {e}")));
            }
            Err(_) => {}
        }
    }
}

/// Opens the journal and reports it (see [`Runner::open_decider`]).
fn open_decider_now(
    opts: DeciderOptions,
    why_read_only: Option<String>,
    slot: &Arc<Mutex<Option<Decider>>>,
    report: &Arc<crate::model::DriftReport>,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    match Decider::open(opts) {
        Ok(d) => {
            let ready = Decisions::Ready {
                why_read_only,
                read_only: d.read_only(),
                actor: d.actor().name.clone(),
                journal: d.options().journal_path().display().to_string(),
                iac_dir: d.options().iac_dir.display().to_string(),
            };
            let warning = d.journal_warning();
            let notes = decisions::latest_notes(&d, report);
            let seq = super::watch::last_seq(&d.options().journal_path());
            let _ = tx.send(Msg::JournalSeq(seq));
            *lock(slot) = Some(d);
            let _ = tx.send(Msg::DecisionsReady(ready));
            match notes {
                Ok(n) => {
                    let _ = tx.send(Msg::DecisionNotes(n));
                }
                Err(e) => {
                    let _ = tx.send(Msg::DecisionsReady(Decisions::Unavailable(e)));
                }
            }
            if let Some(w) = warning {
                let _ = tx.send(Msg::Warning(w));
            }
        }
        Err(e) => {
            let _ = tx.send(Msg::DecisionsReady(Decisions::Unavailable(e.to_string())));
        }
    }
}

impl Runner {
    /// Runs effects; returns true when the loop should end.
    fn run(&self, state: &State, effects: Vec<Effect>) -> bool {
        let mut quit = false;
        for e in effects {
            match e {
                Effect::Quit => quit = true,
                Effect::Reload => {
                    let tx = self.tx.clone();
                    match &self.reload {
                        Some(load) => {
                            let load = Arc::clone(load);
                            tokio::task::spawn_blocking(move || {
                                let result = guarded(|| load().map(Box::new));
                                let _ = tx.send(Msg::Reloaded(result));
                            });
                        }
                        None => {
                            let _ = tx.send(Msg::Reloaded(Err("these reports cannot be reloaded".into())));
                        }
                    }
                }
                Effect::Clipboard(text) => {
                    // Written between frames; the terminal takes it as a command, not text.
                    let mut out = std::io::stdout();
                    let _ = out.write_all(super::clipboard::osc52(&text).as_bytes());
                    let _ = out.flush();
                }
                Effect::Open(url) => {
                    let tx = self.tx.clone();
                    std::thread::spawn(move || {
                        let opener = super::clipboard::opener(std::env::var("BROWSER").ok().as_deref());
                        let run = std::process::Command::new(&opener)
                            .arg(&url)
                            .stdin(std::process::Stdio::null())
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::null())
                            .status();
                        let msg = match run {
                            Ok(s) if s.success() => Msg::Info(format!("opened {url} with {opener}")),
                            Ok(s) => {
                                Msg::Warning(format!("{opener} could not open {url} ({s}): copy it with Y"))
                            }
                            Err(e) => Msg::Warning(format!(
                                "cannot run {opener} to open {url}: {e} (set $BROWSER, or copy it with Y)"
                            )),
                        };
                        let _ = tx.send(msg);
                    });
                }
                Effect::Export {
                    format,
                    journal,
                    path,
                } => {
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let msg = match crate::decide::Journal::read_all(&journal) {
                            Ok(entries) => {
                                let text = crate::decide::evidence::export_safe(&entries, format);
                                match crate::fsutil::atomic_write(&path, text.as_bytes()) {
                                    Ok(()) => Msg::Info(format!(
                                        "exported the evidence of {} journal entries to {}",
                                        entries.len(),
                                        path.display()
                                    )),
                                    Err(e) => Msg::Warning(format!("cannot write {}: {e}", path.display())),
                                }
                            }
                            Err(e) => Msg::Warning(format!("cannot export: {e}")),
                        };
                        let _ = tx.send(msg);
                    });
                }
                Effect::PrioritizeAttribution(id) => {
                    let mut a = self
                        .attribution
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    match &a.service {
                        Some(svc) => svc.prioritize(&id),
                        None => a.first = Some(id),
                    }
                }
                Effect::RetryAttribution(indices) => {
                    let items: Vec<_> = indices
                        .iter()
                        .filter_map(|&i| state.report.items.get(i).cloned())
                        .collect();
                    let a = self
                        .attribution
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if let Some(svc) = &a.service {
                        svc.request_all(items);
                    }
                }
                Effect::Prepare { verb, targets } => {
                    let slot = Arc::clone(&self.decider);
                    let report = Arc::clone(&state.report);
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let result = guarded(|| match lock(&slot).as_ref() {
                            Some(d) => decisions::prepare(d, &report, verb, &targets),
                            None => Err("the decision journal is not open".into()),
                        });
                        let _ = tx.send(Msg::Prepared {
                            verb,
                            targets,
                            result,
                        });
                    });
                }
                Effect::Decide(job) => {
                    let slot = Arc::clone(&self.decider);
                    let report = Arc::clone(&state.report);
                    let tx = self.tx.clone();
                    let sums = decisions::attribution_summaries(state, &job.targets);
                    tokio::task::spawn_blocking(move || {
                        let out = tx.clone();
                        let mut sink = |line: String| {
                            let _ = out.send(Msg::Output(line));
                        };
                        // The lock is held until `Decided` is sent: the journal watcher takes it
                        // before reading, so it sees this job's entries only after the loop
                        // knows they are its own.
                        let mut guard = lock(&slot);
                        let mut seqs = Vec::new();
                        let result = guarded(|| match guard.as_mut() {
                            Some(d) => {
                                let before = super::watch::last_seq(&d.options().journal_path());
                                let r = decisions::run_job(
                                    d,
                                    &report,
                                    &job,
                                    &|i| sums.get(&i).cloned(),
                                    &mut sink,
                                );
                                seqs = decisions::own_entries(d, before);
                                r
                            }
                            None => Err("the decision journal is not open".into()),
                        });
                        let _ = tx.send(Msg::Decided {
                            verb: job.verb,
                            result,
                            seqs,
                        });
                        drop(guard);
                    });
                }
                Effect::PrepareDetail { index, request } => {
                    let report = Arc::clone(&state.report);
                    let h = Arc::clone(&self.highlighter);
                    let tx = self.tx.clone();
                    tokio::task::spawn_blocking(move || {
                        if let Some(item) = report.items.get(index) {
                            match guarded(|| Ok(Arc::new(diff::prepare(item, h.as_ref().as_ref())))) {
                                Ok(detail) => {
                                    let _ = tx.send(Msg::DetailReady {
                                        index,
                                        request,
                                        detail,
                                    });
                                }
                                Err(e) => {
                                    let _ = tx.send(Msg::Warning(format!(
                                        "cannot show the diff of {}: {e}",
                                        item.address
                                    )));
                                }
                            }
                        }
                    });
                }
            }
        }
        quit
    }
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    mut state: State,
    theme: &Theme,
    decide: Option<DeciderOptions>,
    attribution: Option<Setup>,
    reload: Option<super::Reload>,
) -> Result<(), TuiError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    if let Some(r) = &reload
        && !r.watch.is_empty()
    {
        watch_reports(r.watch.clone(), tx.clone());
    }
    let runner = Runner {
        reload: reload.map(|r| r.load),
        highlighter: Arc::new(theme.highlighter()),
        tx,
        decider: Arc::new(Mutex::new(None)),
        attribution: Arc::new(Mutex::new(Attribution::default())),
    };
    if let Some(opts) = decide {
        state.decisions = Decisions::Opening;
        runner.open_decider(opts, &state.report);
    }
    if let Some(setup) = attribution {
        state.attribution = AttributionState::Starting;
        runner.start_attribution(setup, &state.report);
    }
    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let fx = update(&mut state, Msg::Tick);
    if runner.run(&state, fx) {
        return Ok(());
    }
    loop {
        let frame = terminal.draw(|f| views::draw(f, &state, theme))?;
        // The selected item's console link, where it is on screen, becomes an OSC 8 hyperlink.
        if let Some(url) = state
            .selected_index()
            .and_then(|i| state.attribution(i))
            .and_then(|a| a.best.as_ref())
            .map(crate::attribution::Candidate::console_link)
        {
            let area = frame.buffer.area;
            let rows: Vec<Vec<char>> = (area.top()..area.bottom())
                .map(|y| {
                    (area.left()..area.right())
                        .map(|x| frame.buffer[(x, y)].symbol().chars().next().unwrap_or(' '))
                        .collect()
                })
                .collect();
            let segments = super::clipboard::link_segments(&rows, &url);
            if !segments.is_empty() {
                let mut out = std::io::stdout();
                let buffer = frame.buffer;
                let styled = |x: u16, y: u16, text: &str| {
                    use ratatui::backend::IntoCrossterm as _;
                    let style: crossterm::style::ContentStyle = buffer[(x, y)].style().into_crossterm();
                    style.apply(text).to_string()
                };
                let _ = out.write_all(super::clipboard::osc8(&url, &segments, styled).as_bytes());
                let _ = out.flush();
            }
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => match to_msg(&ev) {
                    Some(m) => m,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            Some(m) = rx.recv() => m,
            _ = tick.tick(), if state.pending > 0 => Msg::Tick,
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
        };
        let fx = update(&mut state, msg);
        if runner.run(&state, fx) {
            return Ok(());
        }
        // Drain what else arrived, then draw once.
        while let Ok(m) = rx.try_recv() {
            let fx = update(&mut state, m);
            if runner.run(&state, fx) {
                return Ok(());
            }
        }
    }
}

/// Takes over the terminal, runs the TUI until the user quits (or a signal arrives) and restores
/// the terminal whatever happens.
pub fn run(
    mut state: State,
    theme: &Theme,
    decide: Option<DeciderOptions>,
    attribution: Option<Setup>,
    reload: Option<super::Reload>,
) -> Result<(), TuiError> {
    install_panic_hook();
    enable_raw_mode()?;
    let _guard = Guard;
    let mut stdout = std::io::stdout();
    execute!(stdout, EnterAlternateScreen, EnableMouseCapture)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(stdout))?;
    terminal.hide_cursor()?;
    let size = terminal.size()?;
    state.width = size.width;
    state.height = size.height;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let res = rt.block_on(event_loop(
        &mut terminal,
        state,
        theme,
        decide,
        attribution,
        reload,
    ));
    // Workers still computing a diff are not waited for.
    rt.shutdown_background();
    res
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_panicking_job_becomes_an_error_not_a_stuck_decision() {
        let r: Result<(), String> = guarded(|| panic!("boom"));
        let e = r.expect_err("the panic is an error");
        assert!(e.contains("internal error"), "{e}");
        assert_eq!(guarded(|| Ok::<_, String>(7)), Ok(7));
    }
}
