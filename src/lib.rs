//! casebook turns a git repository of incident postmortems into a static website.
//!
//! The pipeline, one module per stage: [`load`] reads records into the [`model`],
//! [`validate`] checks them, [`select`] picks the records a build publishes,
//! [`link`] connects them (related, backlinks, mentions and [`similar`] incidents),
//! [`render`] turns them into pages, [`search`] indexes them for the search page,
//! and [`write`](mod@write) puts the site on disk safely.
//! [`pipeline`] runs the stages in order; the commands in [`cli`] drive it.
//! Findings are [`diag::Diagnostic`] values, printed by one reporter.

#![recursion_limit = "256"]

pub mod alloc;
pub mod charts;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod decode;
pub mod diag;
pub mod insights;
pub mod link;
pub mod load;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod prose;
pub mod render;
pub mod rules;
pub mod search;
pub mod select;
pub mod serve;
pub mod similar;
pub mod table;
pub mod validate;
pub mod write;
pub mod yaml;
