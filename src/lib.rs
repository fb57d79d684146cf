//! driftdeck: interactive infrastructure-drift triage.
//!
//! The architecture map, one line per module:
//! - [`model`]: the one in-memory model (reports, items, changes, severities) all formats load into.
//! - [`ingest`]: format detection and the Terraform plan, driftctl and CloudFormation loaders.
//! - [`classify`]: the taxonomy (rules as data) giving severity, controls and *why*; secret names.
//! - [`output`]: the CLI's table and JSON renderings (the JSON is a documented contract).
//! - [`text`]: sanitising outside text for the terminal; display widths.
//! - [`config`]: config, cache and demo directories.
//! - [`attribution`]: CloudTrail attribution (live SDK, exported logs, Lake): who changed what.
//! - [`cli`] and [`commands`]: the command line, one file per subcommand.
//!
//! Engine modules never import ratatui or crossterm.

pub mod attribution;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod config;
pub mod ingest;
pub mod model;
pub mod output;
pub mod text;
