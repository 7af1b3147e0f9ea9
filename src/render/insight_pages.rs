//! The insights page (`insights/`) and the small version of it on the first page
//! of each service's and tag's list.
//!
//! In: the build's [`Insights`] and [`crate::analysis::insights::Facts`] (computed once in
//! [`super::render`]). Out: the page, and [`Summary`] values that the list pages of
//! [`super::indexes`] put in their template context. Which charts a page shows, with
//! their words and tables, comes from [`crate::analysis::insights::chart_specs`]; the
//! drawing from [`crate::render::charts`]; this module puts them on the pages.

use serde::Serialize;

use super::{RenderContext, RenderError};
use crate::analysis::insights::chart_specs::{insight_charts, summary_charts, Unit};
use crate::analysis::insights::Insights;
use crate::render::charts::{draw, Chart};
use crate::render::sink::OutputFile;

/// Where the insights page lives, relative to the site root.
pub const PATH: &str = "insights/index.html";

/// The headline numbers above the charts, already in words.
#[derive(Serialize)]
struct Headline {
    incidents: usize,
    action_items: usize,
    open: usize,
    overdue: usize,
    time_to_detect: Option<String>,
    time_to_resolve: Option<String>,
    /// `done_pct` with one decimal and a `%`.
    done_share: Option<String>,
}

impl Headline {
    fn of(insights: &Insights) -> Headline {
        let t = &insights.totals;
        let median = |value: Option<i64>| value.map(|v| Unit::Seconds.format(v));
        Headline {
            incidents: t.incidents,
            action_items: t.action_items,
            open: t.open,
            overdue: t.overdue,
            time_to_detect: median(insights.time_to_detect.overall.median),
            time_to_resolve: median(insights.time_to_resolve.overall.median),
            done_share: insights.follow_through.done_pct.map(|p| format!("{p:.1}%")),
        }
    }
}

/// A service's or tag's figures as its list page shows them.
#[derive(Serialize)]
pub(super) struct Summary {
    headline: Headline,
    charts: Vec<Chart>,
}

/// The small figures of the records at `positions` of the selection.
pub(super) fn summary(site: &RenderContext<'_>, positions: &[usize]) -> Summary {
    let insights = site.facts.subset(positions);
    Summary {
        headline: Headline::of(&insights),
        charts: summary_charts(&insights, "summary-")
            .into_iter()
            .map(|spec| draw(spec, site.config))
            .collect(),
    }
}

/// The insights page: every chart of the build's records, each with its table.
pub(super) fn page(site: &RenderContext<'_>) -> Result<OutputFile, RenderError> {
    let charts: Vec<Chart> = insight_charts(&site.insights, "")
        .into_iter()
        .map(|spec| draw(spec, site.config))
        .collect();
    let headline = Headline::of(&site.insights);
    site.page("insights.html", PATH.to_string(), |c| {
        c.insert("insights", &site.insights);
        c.insert("headline", &headline);
        c.insert("charts", &charts);
        c.insert("nav", "insights");
    })
}
