//! driftdeck: interactive infrastructure-drift triage.
//!
//! The architecture map, one line per module:
//! - [`model`]: the one in-memory model (reports, items, changes, severities) all formats load into.
//! - [`ingest`]: format detection and the Terraform plan, driftctl and CloudFormation loaders.
//! - [`classify`]: the taxonomy (rules as data) giving severity, controls and *why*; secret names.
//! - [`diff`]: desired vs live side by side: normalised values, aligned rows, in-line ranges, colours.
//! - [`fsutil`]: atomic file writes (unpredictable temp file, fsync, rename) and `O_NOFOLLOW`
//!   opens for every file driftdeck changes; symbolic links are refused.
//! - [`tui`]: the interactive triage screen (state, update, views, keymap, themes, event loop).
//! - [`output`]: the CLI's table and JSON renderings (the JSON is a documented contract).
//! - `par`: work shared out over the cores in contiguous chunks, results in order.
//! - `pretty`: pretty JSON made safe for a terminal in one pass (`list --format json`'s items).
//! - [`text`]: sanitising outside text for the terminal; display widths.
//! - [`config`]: config, cache and demo directories.
//! - [`attribution`]: CloudTrail attribution (live SDK, exported logs, Lake): who changed what.
//! - [`cli`] and [`commands`]: the command line, one file per subcommand.
//! - [`decide`]: decisions (approve, adopt, revert, withdraw), the hash-chained, optionally
//!   SSH-signed journal, approvals, the evidence export; `decide::store` is the one locked owner
//!   of `.driftdeck/`.
//! - [`remediate`]: revert commands (optionally run) and adoption edits to .tf / templates.
//!
//! Engine modules never import ratatui or crossterm.

pub mod attribution;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod config;
pub mod decide;
pub mod diff;
pub mod fsutil;
pub mod ingest;
pub mod model;
pub mod output;
pub(crate) mod par;
pub(crate) mod pretty;
pub mod remediate;
pub mod text;
pub mod tui;
