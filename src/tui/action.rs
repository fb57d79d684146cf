//! What the user asked for, independent of which key asked. Keymaps map keys to these; `update`
//! turns them into state changes.

/// A user intent. The names (snake_case) are the keys of `keymap.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Next item (or scroll the detail down).
    Down,
    /// Previous item (or scroll the detail up).
    Up,
    /// First item.
    Top,
    /// Last item.
    Bottom,
    /// One page down.
    PageDown,
    /// One page up.
    PageUp,
    /// Half a page down.
    HalfPageDown,
    /// Half a page up.
    HalfPageUp,
    /// Move focus between the list and the detail pane.
    Focus,
    /// Open the filter prompt.
    Filter,
    /// Cycle the sort order.
    Sort,
    /// Reverse the sort order.
    SortReverse,
    /// Mark or unmark the selected item (for batch decisions).
    Mark,
    /// Revert the selected (or marked) items: bring live back to the IaC.
    Revert,
    /// Adopt the selected item's live values into the IaC source.
    Adopt,
    /// Approve the selected (or marked) items as temporary divergence.
    Approve,
    /// Withdraw the selected item's latest decision.
    Undo,
    /// Group attributed items by actor session (CloudTrail).
    GroupByActor,
    /// Look up again the items whose CloudTrail lookup failed.
    RetryAttribution,
    /// Scroll the detail to the next changed attribute.
    NextChange,
    /// Scroll the detail to the previous changed attribute.
    PrevChange,
    /// Zoom the detail pane to the whole screen, and back.
    Zoom,
    /// Show or hide noise (read-back attributes, `ignore_changes`, irrelevant drift).
    ToggleNoise,
    /// Show the message log (every message of the session, newest first).
    Messages,
    /// Reopen the output pane of the last (or running) revert.
    Output,
    /// Copy the selected item's address to the clipboard.
    Yank,
    /// Copy the ARN, the CloudTrail event id and the console link.
    YankMore,
    /// Open the CloudTrail console link of the selected item.
    OpenLink,
    /// Export the evidence of the journal to a file.
    Export,
    /// Reload the reports from disk.
    Reload,
    /// Show the key help.
    Help,
    /// Close the overlay, or clear the filter.
    Close,
    /// Quit.
    Quit,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: [Action; 33] = [
        Action::Down,
        Action::Up,
        Action::Top,
        Action::Bottom,
        Action::PageDown,
        Action::PageUp,
        Action::HalfPageDown,
        Action::HalfPageUp,
        Action::Focus,
        Action::Filter,
        Action::Sort,
        Action::SortReverse,
        Action::Mark,
        Action::Revert,
        Action::Adopt,
        Action::Approve,
        Action::Undo,
        Action::GroupByActor,
        Action::RetryAttribution,
        Action::NextChange,
        Action::PrevChange,
        Action::Zoom,
        Action::ToggleNoise,
        Action::Messages,
        Action::Output,
        Action::Yank,
        Action::YankMore,
        Action::OpenLink,
        Action::Export,
        Action::Reload,
        Action::Help,
        Action::Close,
        Action::Quit,
    ];

    /// The name used in `keymap.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Down => "down",
            Action::Up => "up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::HalfPageDown => "half_page_down",
            Action::HalfPageUp => "half_page_up",
            Action::Focus => "focus",
            Action::Filter => "filter",
            Action::Sort => "sort",
            Action::SortReverse => "sort_reverse",
            Action::Mark => "mark",
            Action::Revert => "revert",
            Action::Adopt => "adopt",
            Action::Approve => "approve",
            Action::Undo => "undo",
            Action::GroupByActor => "group_by_actor",
            Action::RetryAttribution => "retry_attribution",
            Action::NextChange => "next_change",
            Action::PrevChange => "prev_change",
            Action::Zoom => "zoom",
            Action::ToggleNoise => "toggle_noise",
            Action::Messages => "messages",
            Action::Output => "output",
            Action::Yank => "yank",
            Action::YankMore => "yank_more",
            Action::OpenLink => "open_link",
            Action::Export => "export",
            Action::Reload => "reload",
            Action::Help => "help",
            Action::Close => "close",
            Action::Quit => "quit",
        }
    }

    /// Parses a `keymap.toml` name.
    pub fn from_name(s: &str) -> Option<Self> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    /// What it does, for help.
    pub fn description(self) -> &'static str {
        match self {
            Action::Down => "next item / scroll detail down",
            Action::Up => "previous item / scroll detail up",
            Action::Top => "first item",
            Action::Bottom => "last item",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::HalfPageDown => "half page down",
            Action::HalfPageUp => "half page up",
            Action::Focus => "switch focus: list / detail",
            Action::Filter => "filter: text sev>= kind: type: status: actor: tool: oob:",
            Action::Sort => "cycle sort: severity, address, kind, status, actor, when",
            Action::SortReverse => "reverse the sort order",
            Action::Mark => "mark / unmark item",
            Action::Revert => "revert: bring live back to the IaC (selected or marked)",
            Action::Adopt => "adopt: write the live values into the IaC (diff first)",
            Action::Approve => "approve as temporary divergence (reason, expiry)",
            Action::Undo => "undo: withdraw the item's latest decision",
            Action::GroupByActor => "group by actor (Enter shows the group's items)",
            Action::RetryAttribution => "retry the CloudTrail lookups that failed",
            Action::NextChange => "next changed attribute in the detail",
            Action::PrevChange => "previous changed attribute in the detail",
            Action::Zoom => "zoom the detail to the whole screen / back",
            Action::ToggleNoise => "show / hide noise (read-back, ignore_changes, irrelevant)",
            Action::Messages => "message log: every message of the session, newest first",
            Action::Output => "reopen the revert output pane",
            Action::Yank => "yank the address to the clipboard (OSC 52)",
            Action::YankMore => "yank the ARN, CloudTrail event id and console link",
            Action::OpenLink => "open the CloudTrail console link ($BROWSER, xdg-open, open)",
            Action::Export => "export the evidence (md, json, sarif, csv) next to the journal",
            Action::Reload => "reload the reports (keeps selection, marks, filter, decisions)",
            Action::Help => "this help",
            Action::Close => "close overlay / clear filter",
            Action::Quit => "quit",
        }
    }

    /// A short label for the status-bar hints, when the action deserves one.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Action::Filter => Some("filter"),
            Action::Sort => Some("sort"),
            Action::Mark => Some("mark"),
            Action::Revert => Some("revert"),
            Action::Adopt => Some("adopt"),
            Action::Approve => Some("approve"),
            Action::Focus => Some("focus"),
            Action::Help => Some("help"),
            Action::Quit => Some("quit"),
            _ => None,
        }
    }
}
