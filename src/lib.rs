//! casebook turns a git repository of incident postmortems into a static website.
//!
//! The pipeline, one module per stage: [`load`] reads records into the [`model`],
//! [`validate`] checks them, and the commands in [`cli`] drive the stages.
//! Findings are [`diag::Diagnostic`] values, printed by one reporter.

#![recursion_limit = "256"]

pub mod cli;
pub mod cmd;
pub mod config;
pub mod decode;
pub mod diag;
pub mod load;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod rules;
pub mod search;
pub mod validate;
pub mod yaml;
