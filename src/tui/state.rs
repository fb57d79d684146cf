//! Everything the TUI shows, in one struct. Only [`update`](super::update::update) changes it;
//! views read it.

use std::collections::HashMap;
use std::sync::Arc;

use super::decisions::DecisionForm;
use super::filter::{self, Filter};
use super::input::{TextInput, TextOverlay};
use super::keymap::Keymap;
use crate::diff::Detail;
use crate::model::{DriftItem, DriftReport, Severity};

/// Which pane keys go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The item list.
    List,
    /// The detail pane (keys scroll it).
    Detail,
}

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Most severe first, then by address.
    Severity,
    /// By address.
    Address,
    /// By kind (modified, deleted, unmanaged), then most severe first.
    Kind,
    /// By status, the ones needing attention first, then most severe first.
    Status,
    /// By the CloudTrail actor (unattributed last), then most severe first.
    Actor,
    /// Most recent change first (CloudTrail event time; unattributed last).
    When,
}

impl SortKey {
    /// Every order, in the `s` cycle.
    pub const ALL: [SortKey; 6] = [
        SortKey::Severity,
        SortKey::Address,
        SortKey::Kind,
        SortKey::Status,
        SortKey::Actor,
        SortKey::When,
    ];

    /// The next order in the `s` cycle.
    #[must_use]
    pub fn next(self) -> Self {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }

    /// Its name in the header.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Severity => "severity",
            SortKey::Address => "address",
            SortKey::Kind => "kind",
            SortKey::Status => "status",
            SortKey::Actor => "actor",
            SortKey::When => "when",
        }
    }

    /// The cache slot of an order that depends on the report alone (`None`: it depends on
    /// statuses or attribution and is computed each time).
    fn slot(self) -> Option<usize> {
        match self {
            SortKey::Severity => Some(0),
            SortKey::Address => Some(1),
            SortKey::Kind => Some(2),
            SortKey::Status | SortKey::Actor | SortKey::When => None,
        }
    }
}

/// An overlay drawn above the panes; the top one receives the keys. New popups (decisions,
/// confirmations, previews) are new variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Key help generated from the keymap.
    Help(TextOverlay),
    /// The `/` filter prompt; `before` is restored on Esc.
    Filter {
        /// The prompt's input.
        input: TextInput,
        /// The filter that was active when the prompt opened.
        before: String,
    },
    /// A scrollable text (previews, command output).
    Text(TextOverlay),
    /// A decision form (approve, adopt, revert, undo) with its context.
    Decision(Box<DecisionForm>),
    /// Output of a running revert; new lines are appended as they arrive.
    Output(TextOverlay),
    /// The group-by-actor view: one row per actor session.
    Groups(GroupsOverlay),
    /// The export format chooser (`e`); the index of the highlighted format in
    /// [`ExportFormat::ALL`](crate::decide::evidence::ExportFormat::ALL).
    Export(usize),
}

/// The group-by-actor overlay: attributed items grouped by actor session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupsOverlay {
    /// The groups, largest first.
    pub groups: Vec<GroupRow>,
    /// The highlighted row.
    pub selected: usize,
}

/// One row of the group-by-actor overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// The actor, sanitized.
    pub label: String,
    /// The session key the `session:` filter term matches.
    pub key: String,
    /// Items in the group.
    pub items: usize,
    /// Any change in the group was out of band.
    pub out_of_band: bool,
}

/// Whether CloudTrail attribution runs in this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributionState {
    /// No source was configured; why (shown in the pane).
    Off(String),
    /// The source is being opened.
    Starting,
    /// Lookups are running or done; results arrive per item.
    Running,
    /// The source could not be opened (no credentials, unreadable logs …); the message.
    Failed(String),
}

impl AttributionState {
    /// Attribution is (or is about to be) producing results.
    pub fn active(&self) -> bool {
        matches!(self, AttributionState::Starting | AttributionState::Running)
    }
}

/// Whether decisions can be made in this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decisions {
    /// The journal is being opened (and the actor resolved).
    Opening,
    /// Ready.
    Ready {
        /// Read-only: previews only.
        read_only: bool,
        /// Why read-only when it was not asked for (`iac/ not writable`), for the header.
        why_read_only: Option<String>,
        /// Who decisions are recorded under.
        actor: String,
        /// The journal file.
        journal: String,
        /// The IaC directory.
        iac_dir: String,
    },
    /// Decisions cannot be recorded; why.
    Unavailable(String),
}

/// Severity of a status-bar message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Information.
    Info,
    /// Something went wrong but the program carries on.
    Warning,
    /// An action failed.
    Error,
}

/// The message line of the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// Sanitized text.
    pub text: String,
    /// How it is shown.
    pub level: Level,
}

/// One message of the session, for the message log (`L`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When it was shown (UTC, `HH:MM:SS`).
    pub time: String,
    /// How it was shown.
    pub level: Level,
    /// The whole text (sanitized line by line; newlines kept).
    pub text: String,
}

/// A revert being carried out: its steps, the current one, how long it has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevertRun {
    /// What is reverted (an address, or `3 items`).
    pub what: String,
    /// Step names in order (`plan`, `apply`, `verify`).
    pub steps: Vec<&'static str>,
    /// Steps started so far (1-based index of the current one; 0 before the first).
    pub step: usize,
    /// When it started.
    pub started: std::time::Instant,
    /// Whole seconds elapsed at the last tick.
    pub elapsed: u64,
    /// Spinner frame.
    pub frame: usize,
}

/// Background work shown in the header (e.g. `attributing 12/40`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What is being done.
    pub label: String,
    /// Done so far.
    pub done: usize,
    /// Total.
    pub total: usize,
}

/// Per-item data that is not part of the report: marks now; attribution and decisions later.
#[derive(Debug, Clone, Default)]
pub struct ItemSide {
    /// Marked with Space for a batch decision.
    pub marked: bool,
    /// The prepared side-by-side diff, once computed.
    pub detail: Option<Arc<Detail>>,
    /// The latest detail request for this item (older results are dropped).
    pub detail_request: Option<u64>,
    /// The latest decision in effect (one line), from the journal.
    pub decision: Option<String>,
    /// The CloudTrail attribution, once looked up.
    pub attribution: Option<Arc<crate::attribution::Attribution>>,
    /// The outcome of the last revert run from this TUI (`revert failed: …`), shown in the
    /// detail.
    pub outcome: Option<String>,
    /// The detail's scroll position when the item was last left, restored when it is selected
    /// again.
    pub scroll: usize,
}

/// Each item's filter text ([`filter::haystack`]), built on a thread of its own when a report is
/// loaded: the first frame does not wait for it (20,000 items took 50 ms), and a filter typed
/// before it is ready waits only for the rest.
#[derive(Debug, Clone)]
struct Haystacks(Arc<std::sync::OnceLock<Vec<String>>>);

impl Haystacks {
    fn build(report: &Arc<DriftReport>) -> Self {
        let cell: Arc<std::sync::OnceLock<Vec<String>>> = Arc::default();
        let (c, r) = (Arc::clone(&cell), Arc::clone(report));
        // Without a thread (none can be started), the first filter builds them.
        let _ = std::thread::Builder::new()
            .name("haystacks".into())
            .spawn(move || {
                c.get_or_init(|| all_haystacks(&r));
            });
        Haystacks(cell)
    }

    /// The haystacks of `report`'s items (the report they were built for), waiting for them if
    /// they are still being built.
    fn get(&self, report: &DriftReport) -> &[String] {
        self.0.get_or_init(|| all_haystacks(report))
    }
}

fn all_haystacks(report: &DriftReport) -> Vec<String> {
    report.items.iter().map(filter::haystack).collect()
}

/// The whole TUI state.
#[derive(Debug, Clone)]
pub struct State {
    /// The loaded reports.
    pub report: Arc<DriftReport>,
    /// The live keymap.
    pub keymap: Keymap,
    /// `$TERM`, to know whether the clipboard can be set through the terminal.
    pub term: Option<String>,
    /// The accounts and regions of the loaded items, for the header (`123456789012 · eu-west-1`).
    pub scope: String,
    hay: Haystacks,
    sev_counts: [(Severity, usize); 4],
    status_counts: Vec<(&'static str, usize)>,
    orders: [Option<Arc<Vec<u32>>>; 3],
    /// Item indices shown, filtered and sorted.
    pub visible: Vec<u32>,
    /// Selected position in `visible`.
    pub selected: usize,
    /// First visible row of the list.
    pub list_offset: usize,
    /// First visible row of the detail pane's body (kept per item in [`ItemSide::scroll`]).
    pub detail_scroll: usize,
    /// The detail pane fills the screen (`z`).
    pub zoom: bool,
    /// Noise is listed (`--show-noise`, `H`), each noise change marked with its reason.
    pub show_noise: bool,
    /// What the attribution source is doing now (an Athena query's state), for the header.
    pub activity: Option<String>,
    /// Which pane has focus.
    pub focus: Focus,
    /// The list order.
    pub sort: SortKey,
    /// The order is reversed (`S`).
    pub sort_reverse: bool,
    /// The active filter's text.
    pub filter_text: String,
    /// The active filter.
    pub filter: Filter,
    /// Why the text in the filter prompt does not parse (the previous filter stays active).
    pub filter_error: Option<String>,
    /// Overlays, bottom to top.
    pub overlays: Vec<Overlay>,
    /// The status-bar message.
    pub status: Option<StatusMessage>,
    /// The revert being carried out, for the status line.
    pub revert: Option<RevertRun>,
    /// The output of the last revert (the pane can be reopened).
    pub output: Vec<String>,
    /// Every message of the session, oldest first (the log shows them newest first).
    pub messages: Vec<LogEntry>,
    /// Background work for the header.
    pub progress: Vec<Progress>,
    /// Why the approvals file cannot be used (file and line), shown in the header: no approval
    /// applies, every item counts as open (`DeciderOptions::approvals_problem`).
    pub approvals_problem: Option<String>,
    /// Terminal size.
    pub width: u16,
    /// Terminal size.
    pub height: u16,
    /// Per-item side data, by item index.
    pub side: HashMap<usize, ItemSide>,
    /// Number of marked items.
    pub marked: usize,
    /// Worker jobs in flight (the loop ticks only while this is non-zero).
    pub pending: usize,
    /// The next request id.
    pub next_request: u64,
    /// Set when the user asked to quit.
    pub quit: bool,
    /// The reports can be reloaded (`Ctrl-R`).
    pub can_reload: bool,
    /// A reload is running.
    pub reloading: bool,
    /// Whether decisions can be made.
    pub decisions: Decisions,
    /// A decision (or its preparation) is running; another waits until it ends.
    pub deciding: bool,
    /// Journal entries this TUI wrote (the watcher announces only others').
    pub own_seqs: std::collections::HashSet<u64>,
    /// The last journal sequence number the screen reflects.
    pub journal_seq: u64,
    /// The form of the decision being carried out, reopened with what was typed when the
    /// decision is refused (nothing typed is lost).
    pub submitted: Option<Box<DecisionForm>>,
    /// Quit was pressed once while a decision was running.
    pub quit_armed: bool,
    /// Whether attribution runs.
    pub attribution: AttributionState,
    /// The item whose attribution was last asked to jump the queue.
    pub prioritized: Option<usize>,
    ids: HashMap<String, usize>,
}

/// The distinct accounts and regions of the items, e.g. `acct 123456789012 · eu-west-1, us-east-1`.
pub fn scope(report: &DriftReport) -> String {
    let mut accounts: Vec<&str> = report.items.iter().filter_map(|i| i.account.as_deref()).collect();
    let mut regions: Vec<&str> = report.items.iter().filter_map(|i| i.region.as_deref()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    regions.sort_unstable();
    regions.dedup();
    let mut parts = Vec::new();
    if !accounts.is_empty() {
        parts.push(format!("acct {}", accounts.join(", ")));
    }
    if !regions.is_empty() {
        parts.push(regions.join(", "));
    }
    crate::text::sanitize(&parts.join(" · ")).into_owned()
}

fn order(report: &DriftReport, key: SortKey, side: &HashMap<usize, ItemSide>) -> Vec<u32> {
    let items = &report.items;
    let mut v: Vec<u32> = (0..items.len() as u32).collect();
    let cmp_addr = |a: &DriftItem, b: &DriftItem| a.address.cmp(&b.address).then_with(|| a.id.cmp(&b.id));
    let best = |i: u32| {
        side.get(&(i as usize))
            .and_then(|s| s.attribution.as_deref())
            .and_then(|a| a.best.as_ref())
    };
    let rank = |s: crate::model::Status| {
        crate::model::Status::ALL
            .iter()
            .position(|x| *x == s)
            .unwrap_or(0)
    };
    match key {
        SortKey::Status => v.sort_by(|&a, &b| {
            let (x, y) = (&items[a as usize], &items[b as usize]);
            rank(x.status)
                .cmp(&rank(y.status))
                .then_with(|| y.severity.cmp(&x.severity))
                .then_with(|| cmp_addr(x, y))
        }),
        SortKey::Actor => v.sort_by(|&a, &b| {
            let (x, y) = (&items[a as usize], &items[b as usize]);
            let ax = best(a).map(|c| c.actor.display.to_lowercase());
            let ay = best(b).map(|c| c.actor.display.to_lowercase());
            // Attributed first (None sorts last), then by name.
            (ax.is_none(), ax)
                .cmp(&(ay.is_none(), ay))
                .then_with(|| y.severity.cmp(&x.severity))
                .then_with(|| cmp_addr(x, y))
        }),
        SortKey::When => v.sort_by(|&a, &b| {
            let (x, y) = (&items[a as usize], &items[b as usize]);
            let tx = best(a).map(|c| c.event_time.clone());
            let ty = best(b).map(|c| c.event_time.clone());
            // Newest first; RFC 3339 UTC times compare as text.
            (ty.is_some(), ty)
                .cmp(&(tx.is_some(), tx))
                .then_with(|| cmp_addr(x, y))
        }),
        SortKey::Severity => v.sort_by(|&a, &b| {
            let (x, y) = (&items[a as usize], &items[b as usize]);
            y.severity.cmp(&x.severity).then_with(|| cmp_addr(x, y))
        }),
        SortKey::Address => v.sort_by(|&a, &b| cmp_addr(&items[a as usize], &items[b as usize])),
        SortKey::Kind => v.sort_by(|&a, &b| {
            let (x, y) = (&items[a as usize], &items[b as usize]);
            x.kind
                .cmp(&y.kind)
                .then_with(|| y.severity.cmp(&x.severity))
                .then_with(|| cmp_addr(x, y))
        }),
    }
    v
}

impl State {
    /// A state over `report`, sorted by severity, sized `width`x`height`.
    pub fn new(report: DriftReport, keymap: Keymap, width: u16, height: u16) -> Self {
        let report = Arc::new(report);
        let hay = Haystacks::build(&report);
        let mut s = State {
            scope: scope(&report),
            term: std::env::var("TERM").ok(),
            report,
            keymap,
            hay,
            sev_counts: Severity::ALL_DESC.map(|s| (s, 0)),
            status_counts: Vec::new(),
            orders: [None, None, None],
            visible: Vec::new(),
            selected: 0,
            list_offset: 0,
            detail_scroll: 0,
            zoom: false,
            show_noise: false,
            activity: None,
            focus: Focus::List,
            sort: SortKey::Severity,
            sort_reverse: false,
            filter_text: String::new(),
            filter: Filter::default(),
            filter_error: None,
            overlays: Vec::new(),
            status: None,
            revert: None,
            output: Vec::new(),
            messages: Vec::new(),
            progress: Vec::new(),
            approvals_problem: None,
            width,
            height,
            side: HashMap::new(),
            marked: 0,
            pending: 0,
            next_request: 1,
            quit: false,
            can_reload: false,
            reloading: false,
            decisions: Decisions::Unavailable("no IaC directory was given".into()),
            deciding: false,
            own_seqs: std::collections::HashSet::new(),
            journal_seq: 0,
            submitted: None,
            quit_armed: false,
            attribution: AttributionState::Off(
                "pass --cloudtrail-logs, --event-data-store or --profile".into(),
            ),
            prioritized: None,
            ids: HashMap::new(),
        };
        s.ids = s
            .report
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i))
            .collect();
        s.recount();
        s.refresh_visible(None);
        s
    }

    /// Recomputes the header counts; call after item severities or statuses change (the
    /// header reads the cached counts so drawing never walks all items).
    pub fn recount(&mut self) {
        let mut sev = Severity::ALL_DESC.map(|s| (s, 0));
        let mut status: Vec<(&'static str, usize)> = Vec::new();
        for it in &self.report.items {
            if let Some(slot) = sev.iter_mut().find(|(s, _)| *s == it.severity) {
                slot.1 += 1;
            }
            let name = it.status.as_str();
            match status.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 += 1,
                None => status.push((name, 1)),
            }
        }
        self.sev_counts = sev;
        self.status_counts = status;
    }

    /// Replaces the report with a reloaded one, keeping what the operator did: the selection,
    /// marks, decision lines, attributions, scroll positions (matched by item id, then address),
    /// the filter and the sort. Prepared diffs are dropped (the values may have changed).
    pub fn replace_report(&mut self, report: DriftReport) {
        let keep = self.selected_item().map(|i| (i.id.clone(), i.address.clone()));
        let old: Vec<(String, String)> = self
            .report
            .items
            .iter()
            .map(|i| (i.id.clone(), i.address.clone()))
            .collect();
        let by_id: HashMap<&str, usize> = report
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.as_str(), i))
            .collect();
        let by_addr: HashMap<&str, usize> = report
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.address.as_str(), i))
            .collect();
        let find = |id: &str, addr: &str| by_id.get(id).or_else(|| by_addr.get(addr)).copied();
        let mut side = HashMap::new();
        for (i, mut s) in std::mem::take(&mut self.side) {
            let Some((id, addr)) = old.get(i) else { continue };
            if let Some(n) = find(id, addr) {
                s.detail = None;
                s.detail_request = None;
                side.insert(n, s);
            }
        }
        let selected = keep.and_then(|(id, addr)| find(&id, &addr));
        self.side = side;
        self.marked = self.side.values().filter(|s| s.marked).count();
        self.scope = scope(&report);
        self.ids = report
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i))
            .collect();
        self.report = Arc::new(report);
        self.hay = Haystacks::build(&self.report);
        self.orders = [None, None, None];
        self.prioritized = None;
        self.recount();
        let scroll = self.detail_scroll;
        // The old positions mean nothing in the new report.
        self.visible.clear();
        self.refresh_visible(selected);
        if self.selected_index() == selected {
            self.detail_scroll = scroll;
        }
    }

    /// The selected item's index in `report.items`.
    pub fn selected_index(&self) -> Option<usize> {
        self.visible.get(self.selected).map(|i| *i as usize)
    }

    /// The selected item.
    pub fn selected_item(&self) -> Option<&DriftItem> {
        self.selected_index().map(|i| &self.report.items[i])
    }

    /// Whether item `index` is marked.
    pub fn is_marked(&self, index: usize) -> bool {
        self.side.get(&index).is_some_and(|s| s.marked)
    }

    /// Marked item indices, in report order.
    pub fn marked_indices(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .side
            .iter()
            .filter(|(_, s)| s.marked)
            .map(|(i, _)| *i)
            .collect();
        v.sort_unstable();
        v
    }

    /// The prepared detail of item `index`, if computed.
    pub fn detail(&self, index: usize) -> Option<&Arc<Detail>> {
        self.side.get(&index).and_then(|s| s.detail.as_ref())
    }

    /// The index of the item with this id.
    pub fn index_of(&self, item_id: &str) -> Option<usize> {
        self.ids.get(item_id).copied()
    }

    /// The attribution of item `index`, once looked up.
    pub fn attribution(&self, index: usize) -> Option<&Arc<crate::attribution::Attribution>> {
        self.side.get(&index).and_then(|s| s.attribution.as_ref())
    }

    /// The top overlay.
    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlays.last()
    }

    /// Shows a message in the status bar (sanitized here, newlines kept) and logs it.
    pub fn set_status(&mut self, level: Level, text: &str) {
        let text = crate::text::sanitize_multiline(text.trim_end());
        let now = time::OffsetDateTime::now_utc();
        self.messages.push(LogEntry {
            time: format!("{:02}:{:02}:{:02}", now.hour(), now.minute(), now.second()),
            level,
            text: text.clone(),
        });
        // A long session keeps its last thousand messages.
        if self.messages.len() > 1000 {
            self.messages.remove(0);
        }
        self.status = Some(StatusMessage { text, level });
    }

    /// The message log, newest first, one line per message line, with time stamps.
    pub fn message_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in self.messages.iter().rev() {
            let level = match m.level {
                Level::Info => "info",
                Level::Warning => "warning",
                Level::Error => "error",
            };
            for (n, line) in m.text.lines().enumerate() {
                if n == 0 {
                    out.push(format!("{} {level:<7} {line}", m.time));
                } else {
                    out.push(format!("{} {line}", " ".repeat(8 + 1 + 7)));
                }
            }
        }
        if out.is_empty() {
            out.push("no messages yet".into());
        }
        out
    }

    /// Counts of all items by severity, most severe first.
    pub fn counts_by_severity(&self) -> [(Severity, usize); 4] {
        self.sev_counts
    }

    /// Counts of all items by status, in first-seen order.
    pub fn counts_by_status(&self) -> &[(&'static str, usize)] {
        &self.status_counts
    }

    fn sorted(&mut self) -> Arc<Vec<u32>> {
        let Some(slot) = self.sort.slot() else {
            return Arc::new(order(&self.report, self.sort, &self.side));
        };
        if let Some(o) = &self.orders[slot] {
            return Arc::clone(o);
        }
        let o = Arc::new(order(&self.report, self.sort, &self.side));
        self.orders[slot] = Some(Arc::clone(&o));
        o
    }

    /// Recomputes `visible` from the sort and filter, keeping `keep` (an item index) selected
    /// when it is still shown.
    pub fn refresh_visible(&mut self, keep: Option<usize>) {
        let order = self.sorted();
        let items = &self.report.items;
        let mut visible: Vec<u32> = if self.filter.is_empty() {
            order.as_ref().clone()
        } else {
            let hay = self.hay.get(&self.report);
            order
                .iter()
                .copied()
                .filter(|&i| {
                    let i = i as usize;
                    self.filter.matches(&filter::Subject {
                        item: &items[i],
                        hay: &hay[i],
                        side: self.side.get(&i),
                    })
                })
                .collect()
        };
        if self.sort_reverse {
            visible.reverse();
        }
        let before = self.selected_index();
        self.stash_scroll(before);
        self.visible = visible;
        self.selected = keep
            .and_then(|k| self.visible.iter().position(|&i| i as usize == k))
            .unwrap_or(0);
        self.list_offset = 0;
        self.restore_scroll();
    }

    /// Remembers the detail scroll of item `index` (the one being left).
    fn stash_scroll(&mut self, index: Option<usize>) {
        if let Some(i) = index {
            self.side.entry(i).or_default().scroll = self.detail_scroll;
        }
    }

    /// Restores the selected item's remembered detail scroll (0 the first time).
    fn restore_scroll(&mut self) {
        self.detail_scroll = self
            .selected_index()
            .and_then(|i| self.side.get(&i))
            .map_or(0, |s| s.scroll);
    }

    /// Selects row `row` of `visible`, keeping each item's detail scroll position.
    pub fn select_row(&mut self, row: usize) {
        if row == self.selected {
            return;
        }
        let before = self.selected_index();
        self.stash_scroll(before);
        self.selected = row;
        self.restore_scroll();
    }
}
