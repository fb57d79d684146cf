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
}

impl SortKey {
    /// The next order in the `s` cycle.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            SortKey::Severity => SortKey::Address,
            SortKey::Address => SortKey::Kind,
            SortKey::Kind => SortKey::Severity,
        }
    }

    /// Its name in the header.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Severity => "severity",
            SortKey::Address => "address",
            SortKey::Kind => "kind",
        }
    }

    fn slot(self) -> usize {
        match self {
            SortKey::Severity => 0,
            SortKey::Address => 1,
            SortKey::Kind => 2,
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
        /// Who decisions are recorded under.
        actor: String,
        /// The journal file.
        journal: String,
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
}

/// The whole TUI state.
#[derive(Debug, Clone)]
pub struct State {
    /// The loaded reports.
    pub report: Arc<DriftReport>,
    /// The live keymap.
    pub keymap: Keymap,
    hay: Vec<String>,
    sev_counts: [(Severity, usize); 4],
    status_counts: Vec<(&'static str, usize)>,
    orders: [Option<Arc<Vec<u32>>>; 3],
    /// Item indices shown, filtered and sorted.
    pub visible: Vec<u32>,
    /// Selected position in `visible`.
    pub selected: usize,
    /// First visible row of the list.
    pub list_offset: usize,
    /// First visible row of the detail pane.
    pub detail_scroll: usize,
    /// Which pane has focus.
    pub focus: Focus,
    /// The list order.
    pub sort: SortKey,
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
    /// Whether decisions can be made.
    pub decisions: Decisions,
    /// A decision (or its preparation) is running; another waits until it ends.
    pub deciding: bool,
    /// Quit was pressed once while a decision was running.
    pub quit_armed: bool,
    /// Whether attribution runs.
    pub attribution: AttributionState,
    /// The item whose attribution was last asked to jump the queue.
    pub prioritized: Option<usize>,
    ids: HashMap<String, usize>,
}

fn order(report: &DriftReport, key: SortKey) -> Vec<u32> {
    let items = &report.items;
    let mut v: Vec<u32> = (0..items.len() as u32).collect();
    let cmp_addr = |a: &DriftItem, b: &DriftItem| a.address.cmp(&b.address).then_with(|| a.id.cmp(&b.id));
    match key {
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
        let hay = report.items.iter().map(filter::haystack).collect();
        let mut s = State {
            report: Arc::new(report),
            keymap,
            hay,
            sev_counts: Severity::ALL_DESC.map(|s| (s, 0)),
            status_counts: Vec::new(),
            orders: [None, None, None],
            visible: Vec::new(),
            selected: 0,
            list_offset: 0,
            detail_scroll: 0,
            focus: Focus::List,
            sort: SortKey::Severity,
            filter_text: String::new(),
            filter: Filter::default(),
            filter_error: None,
            overlays: Vec::new(),
            status: None,
            progress: Vec::new(),
            approvals_problem: None,
            width,
            height,
            side: HashMap::new(),
            marked: 0,
            pending: 0,
            next_request: 1,
            quit: false,
            decisions: Decisions::Unavailable("no IaC directory was given".into()),
            deciding: false,
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

    /// Shows a message in the status bar (sanitized here).
    pub fn set_status(&mut self, level: Level, text: &str) {
        self.status = Some(StatusMessage {
            text: crate::text::sanitize(text).into_owned(),
            level,
        });
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
        let slot = self.sort.slot();
        if let Some(o) = &self.orders[slot] {
            return Arc::clone(o);
        }
        let o = Arc::new(order(&self.report, self.sort));
        self.orders[slot] = Some(Arc::clone(&o));
        o
    }

    /// Recomputes `visible` from the sort and filter, keeping `keep` (an item index) selected
    /// when it is still shown.
    pub fn refresh_visible(&mut self, keep: Option<usize>) {
        let order = self.sorted();
        let items = &self.report.items;
        self.visible = if self.filter.is_empty() {
            order.as_ref().clone()
        } else {
            order
                .iter()
                .copied()
                .filter(|&i| {
                    let i = i as usize;
                    self.filter.matches(&filter::Subject {
                        item: &items[i],
                        hay: &self.hay[i],
                        side: self.side.get(&i),
                    })
                })
                .collect()
        };
        self.selected = keep
            .and_then(|k| self.visible.iter().position(|&i| i as usize == k))
            .unwrap_or(0);
        self.list_offset = 0;
        self.detail_scroll = 0;
    }
}
