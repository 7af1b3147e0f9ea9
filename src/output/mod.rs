//! Where a built site goes: a folder on disk ([`write`](mod@write)) or the preview server
//! ([`serve`]).

pub mod build;
pub mod serve;
pub mod write;
