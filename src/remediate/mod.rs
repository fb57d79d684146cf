//! Carrying out decisions on the IaC side: [`revert`] (the IaC tool's commands, optionally run)
//! and [`adopt`] (editing the IaC sources to match live). No terminal UI here: output is
//! streamed through callbacks so the TUI can show it in a pane from a worker thread.

pub mod adopt;
pub mod revert;
