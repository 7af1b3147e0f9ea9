//! What a build publishes and what it says about it: the records a build selects
//! ([`select`]), each record's computed figures ([`metrics`]) and the archive-wide
//! [`insights`].

pub mod insights;
pub mod metrics;
pub mod select;

use jiff::civil::Date;
use rayon::prelude::*;

use crate::analysis::insights::{Entry, Facts};
use crate::analysis::metrics::Figures;
use crate::core::config::SiteConfig;
use crate::core::model::Record;

/// Computes the [`Figures`] of each record once, in parallel, in the given order.
/// Record pages, `incidents.json`, the insights and `casebook actions` all read these.
pub fn figures(records: &[&Record], today: Date) -> Vec<Figures> {
    records
        .par_iter()
        .map(|record| Figures::of(record, today))
        .collect()
}

/// What the insights read of each record, prepared once (docs/insights.md).
pub fn facts(records: &[&Record], figures: &[Figures], config: &SiteConfig, today: Date) -> Facts {
    let entries: Vec<Entry<'_>> = records
        .iter()
        .zip(figures)
        .map(|(&record, figures)| Entry { record, figures })
        .collect();
    Facts::new(&entries, config, today)
}
