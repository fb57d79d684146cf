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

async fn dispatch(
    engine: Arc<Engine>,
    mut rx: UnboundedReceiver<Command>,
    tx: UnboundedSender<ServiceEvent>,
) {
    const WORKERS: usize = 4;
    let mut queue: VecDeque<DriftItem> = VecDeque::new();
    let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut running: JoinSet<(String, Attribution)> = JoinSet::new();
    let (mut done, mut total) = (0usize, 0usize);
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
        if !open && running.is_empty() && queue.is_empty() {
            break;
        }
        tokio::select! {
            cmd = rx.recv(), if open => match cmd {
                None => {
                    // The TUI quit: stop a running bulk query (Athena StopQueryExecution).
                    engine.cancel().await;
                    open = false;
                }
                Some(Command::RequestAll(items)) => {
                    let new: Vec<DriftItem> = items.into_iter().filter(|i| known.insert(i.id.clone())).collect();
                    // Every new set of items is prepared (bulk sources query each batch once;
                    // cached lookups are skipped), not only the first.
                    if !new.is_empty() {
                        if let Err(e) = engine.prepare(&new).await {
                            let _ = tx.send(ServiceEvent::Warning(format!("attribution: {e}")));
                        }
                    }
                    total += new.len();
                    queue.extend(new);
                    let _ = tx.send(ServiceEvent::Progress { done, total });
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
                        total -= 1;
                    }
                    let _ = tx.send(ServiceEvent::Progress { done, total });
                }
            },
            Some(res) = running.join_next(), if !running.is_empty() => {
                done += 1;
                match res {
                    Ok((item_id, a)) => {
                        if a.status == super::AttributionStatus::Error {
                            // A failed item may be requested again (e.g. after `aws sso login`).
                            known.remove(&item_id);
                        }
                        let _ = tx.send(ServiceEvent::Loaded { item_id, attribution: Box::new(a) });
                    }
                    Err(e) => {
                        let _ = tx.send(ServiceEvent::Warning(format!("attribution worker failed: {e}")));
                    }
                }
                let _ = tx.send(ServiceEvent::Progress { done, total });
            }
        }
    }
}
