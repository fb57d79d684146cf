//! The attribution service the TUI drives: a queue of items worked off by a few tokio tasks.
//! Every method returns at once (commands go over a channel); results come back on an
//! unbounded receiver, each carrying its item id. The selected item can jump the queue.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinSet;

use super::Attribution;
use super::engine::Engine;
use crate::model::DriftItem;

/// What the service reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceEvent {
    /// An item's attribution is ready.
    Loaded {
        /// [`DriftItem::id`] of the item.
        item_id: String,
        /// The result (`status: error` carries the message).
        attribution: Box<Attribution>,
    },
    /// Items finished out of all requested so far (`attributing 12/40`).
    Progress {
        /// Finished.
        done: usize,
        /// Requested.
        total: usize,
    },
    /// Items finished per AWS account, sent beside [`ServiceEvent::Progress`] when the items
    /// span more than one account: `(account, done, total)`, sorted by account (`?` when an
    /// item's account is unknown).
    Accounts(Vec<(String, usize, usize)>),
    /// What the source is doing now (`athena: query running 12 s, 1.4 GB scanned`), `None`
    /// when it went idle. Sent when it changes, checked about twice a second.
    Activity(Option<String>),
    /// A fact to tell once (a finished Athena query's data scanned and cost).
    Note(String),
    /// Something the user should know that is not tied to one item (a malformed log file).
    Warning(String),
}

enum Command {
    RequestAll(Vec<DriftItem>),
    Prioritize(String),
    CancelPending,
}

/// Handle to the running service. Dropping it stops the dispatcher after running work ends.
#[derive(Debug, Clone)]
pub struct AttributionService {
    tx: UnboundedSender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::RequestAll(v) => write!(f, "RequestAll({})", v.len()),
            Command::Prioritize(id) => write!(f, "Prioritize({id})"),
            Command::CancelPending => f.write_str("CancelPending"),
        }
    }
}

impl AttributionService {
    /// Starts the dispatcher on the current tokio runtime (must be called inside one).
    pub fn start(engine: Arc<Engine>) -> (Self, UnboundedReceiver<ServiceEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (etx, erx) = mpsc::unbounded_channel();
        tokio::spawn(dispatch(engine, rx, etx));
        (AttributionService { tx }, erx)
    }

    /// Queues items. Ids already queued, running or attributed are not repeated; items whose
    /// last result was an error are queued again (a retry).
    pub fn request_all(&self, items: Vec<DriftItem>) {
        let _ = self.tx.send(Command::RequestAll(items));
    }

    /// Moves a queued item to the front (the TUI's selected item).
    pub fn prioritize(&self, item_id: &str) {
        let _ = self.tx.send(Command::Prioritize(item_id.to_string()));
    }

    /// Drops everything not yet started; running lookups finish and are reported.
    pub fn cancel_pending(&self) {
        let _ = self.tx.send(Command::CancelPending);
    }
}

/// How often a running source's activity (an Athena query's state) is checked.
const ACTIVITY_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Counts per account, reported when the items span more than one.
#[derive(Default)]
struct Counts {
    done: usize,
    total: usize,
    by_account: std::collections::BTreeMap<String, (usize, usize)>,
    account_of: std::collections::HashMap<String, String>,
}

impl Counts {
    fn add(&mut self, item: &DriftItem) {
        let account = item.account.clone().unwrap_or_else(|| "?".into());
        self.by_account.entry(account.clone()).or_default().1 += 1;
        self.account_of.insert(item.id.clone(), account);
        self.total += 1;
    }

    fn remove(&mut self, item: &DriftItem) {
        if let Some(a) = self.account_of.remove(&item.id) {
            if let Some(c) = self.by_account.get_mut(&a) {
                c.1 = c.1.saturating_sub(1);
            }
        }
        self.total = self.total.saturating_sub(1);
    }

    fn finished(&mut self, item_id: &str) {
        if let Some(a) = self.account_of.get(item_id) {
            if let Some(c) = self.by_account.get_mut(a) {
                c.0 += 1;
            }
        }
        self.done += 1;
    }

    fn send(&self, tx: &UnboundedSender<ServiceEvent>) {
        let _ = tx.send(ServiceEvent::Progress {
            done: self.done,
            total: self.total,
        });
        if self.by_account.keys().filter(|a| *a != "?").count() > 1 {
            let accounts = self
                .by_account
                .iter()
                .map(|(a, (d, t))| (a.clone(), *d, *t))
                .collect();
            let _ = tx.send(ServiceEvent::Accounts(accounts));
        }
    }
}

/// Sends the source's activity when it changed since `last`.
fn send_activity(engine: &Engine, tx: &UnboundedSender<ServiceEvent>, last: &mut Option<String>) {
    let now = engine.activity();
    if now != *last {
        let _ = tx.send(ServiceEvent::Activity(now.clone()));
        *last = now;
    }
}

async fn dispatch(
    engine: Arc<Engine>,
    mut rx: UnboundedReceiver<Command>,
    tx: UnboundedSender<ServiceEvent>,
) {
    const WORKERS: usize = 4;
    let mut queue: VecDeque<DriftItem> = VecDeque::new();
    let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut running: JoinSet<(String, Attribution)> = JoinSet::new();
    let mut counts = Counts::default();
    let mut activity: Option<String> = None;
    // Commands that arrived while a batch was being prepared, handled next.
    let mut deferred: VecDeque<Command> = VecDeque::new();
    let mut tick = tokio::time::interval(ACTIVITY_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut open = true;
    loop {
        while running.len() < WORKERS {
            let Some(item) = queue.pop_front() else { break };
            let e = engine.clone();
            running.spawn(async move {
                let a = e.attribute(&item).await;
                (item.id.clone(), a)
            });
        }
        for w in engine.take_warnings() {
            let _ = tx.send(ServiceEvent::Warning(w));
        }
        for n in engine.take_notes() {
            let _ = tx.send(ServiceEvent::Note(n));
        }
        send_activity(&engine, &tx, &mut activity);
        if !open && running.is_empty() && queue.is_empty() {
            break;
        }
        let cmd = if let Some(c) = deferred.pop_front() {
            Some(c)
        } else {
            tokio::select! {
                cmd = rx.recv(), if open => {
                    if cmd.is_none() {
                        // The TUI quit: stop a running bulk query (Athena StopQueryExecution).
                        engine.cancel().await;
                        open = false;
                    }
                    cmd
                }
                Some(res) = running.join_next(), if !running.is_empty() => {
                    match res {
                        Ok((item_id, a)) => {
                            counts.finished(&item_id);
                            if a.status == super::AttributionStatus::Error {
                                // A failed item may be requested again (e.g. after `aws sso login`).
                                known.remove(&item_id);
                            }
                            let _ = tx.send(ServiceEvent::Loaded { item_id, attribution: Box::new(a) });
                        }
                        Err(e) => {
                            counts.done += 1;
                            let _ = tx.send(ServiceEvent::Warning(format!("attribution worker failed: {e}")));
                        }
                    }
                    counts.send(&tx);
                    None
                }
                _ = tick.tick() => None,
            }
        };
        match cmd {
            None => {}
            Some(Command::RequestAll(items)) => {
                let new: Vec<DriftItem> = items.into_iter().filter(|i| known.insert(i.id.clone())).collect();
                // Every new set of items is prepared (bulk sources query each batch once;
                // cached lookups are skipped), not only the first. While a bulk query runs its
                // progress is reported, and quitting stops it.
                if !new.is_empty() {
                    let prepare = engine.prepare(&new);
                    tokio::pin!(prepare);
                    let result = loop {
                        tokio::select! {
                            r = &mut prepare => break Some(r),
                            _ = tick.tick() => send_activity(&engine, &tx, &mut activity),
                            cmd = rx.recv(), if open => {
                                let Some(c) = cmd else {
                                    engine.cancel().await;
                                    open = false;
                                    break None;
                                };
                                deferred.push_back(c);
                            }
                        }
                    };
                    if let Some(Err(e)) = result {
                        let _ = tx.send(ServiceEvent::Warning(format!("attribution: {e}")));
                    }
                    send_activity(&engine, &tx, &mut activity);
                }
                for i in &new {
                    counts.add(i);
                }
                if open {
                    queue.extend(new);
                }
                counts.send(&tx);
            }
            Some(Command::Prioritize(id)) => {
                if let Some(pos) = queue.iter().position(|i| i.id == id) {
                    if let Some(item) = queue.remove(pos) {
                        queue.push_front(item);
                    }
                }
            }
            Some(Command::CancelPending) => {
                for i in queue.drain(..) {
                    known.remove(&i.id);
                    counts.remove(&i);
                }
                counts.send(&tx);
            }
        }
    }
}
