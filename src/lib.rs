//! casebook turns a git repository of incident postmortems into a static website.
//!
//! The crate is one pipeline, a folder per stage, each importing only from the
//! stages before it and from [`core`] (docs/architecture.md):
//!
//! 1. [`core`]: the model, site.toml, findings and their rules, Markdown and paths;
//! 2. [`load`]: record files into the model;
//!    [`import`]: timelines from other tools, merged into record files;
//! 3. [`history`]: what git knows about each record (dates, people, follow-through);
//! 4. [`check`]: every finding about the records;
//! 5. [`link`]: related records, backlinks, mentions and similar incidents;
//! 6. [`analysis`]: which records a build publishes, their figures and the insights;
//! 7. [`render`]: pages, charts and exports;
//! 8. [`search`]: the search index;
//! 9. [`pipeline`]: runs the stages in order into a [`render::sink::Sink`];
//! 10. [`output`]: the site on disk ([`output::write`]) or served ([`output::serve`]);
//! 11. [`cli`]: arguments resolved once, one module per command.

#![recursion_limit = "256"]

pub mod analysis;
pub mod check;
pub mod cli;
pub mod core;
pub mod history;
pub mod import;
pub mod link;
pub mod load;
pub mod output;
pub mod pipeline;
pub mod render;
pub mod search;
