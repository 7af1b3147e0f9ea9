//! Command-line interface: clap structures and the dispatch to one function per
//! command in [`crate::cli::cmd`]. Nothing here touches the archive.

pub mod cmd;
pub mod table;

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;

use crate::analysis::select;
use crate::core::diag::Format;

/// Turns a git repository of incident postmortems into a fast, searchable static website.
#[derive(Debug, Parser)]
#[command(
    name = "casebook",
    version,
    about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The archive's root folder (the one with site.toml)
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Print only findings and errors, no summary
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour; `auto` means on a terminal and never with NO_COLOR
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Whether output is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl GlobalArgs {
    /// Colour for stderr: on a terminal, unless NO_COLOR is set or the user said no.
    pub fn stderr_color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every record and report findings like a compiler
    Check(CheckArgs),
    /// Create a new archive that passes `check`
    Init(InitArgs),
    /// Write a new record from the house template and print its path
    New(NewArgs),
    /// Print the JSON Schema of the front matter, for editors
    Schema,
    /// Check the archive, then build the static website
    Build(BuildArgs),
    /// Build the site in memory, serve it, and rebuild it as the archive changes
    Serve(ServeArgs),
    /// List action items across the archive, with their state and days overdue
    Actions(ActionsArgs),
    /// Print the insight figures: incident trends, services, action-item follow-through
    Stats(StatsArgs),
    /// Turn a Slack, PagerDuty, Opsgenie or CSV export into timeline entries: printed
    /// as YAML, or merged into a record with --into
    Import(ImportArgs),
}

impl Command {
    /// The selection flags of a command that takes them.
    pub fn select(&self) -> Option<&SelectArgs> {
        match self {
            Command::Build(args) => Some(&args.select),
            Command::Serve(args) => Some(&args.select),
            Command::Actions(args) => Some(&args.select),
            Command::Stats(args) => Some(&args.select),
            Command::Check(_)
            | Command::Init(_)
            | Command::New(_)
            | Command::Schema
            | Command::Import(_) => None,
        }
    }
}

/// What fails a run besides errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Warnings fail the run too
    Warnings,
}

/// Options of `casebook check`.
#[derive(Debug, Args)]
#[command(after_long_help = crate::core::rules::Rule::help_table())]
pub struct CheckArgs {
    /// How to print findings
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Make warnings fail the check
    #[arg(long, value_enum, value_name = "WHAT")]
    pub deny: Option<Deny>,
    /// Which records to cover: warnings about records this profile leaves out are
    /// not shown (errors always are: they stop a build of any profile)
    #[arg(long, value_enum, default_value_t = ProfileArg::Internal)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub today: TodayArg,
    /// Print how long each stage took
    #[arg(long)]
    pub timings: bool,
}

/// The `--today` option: the day overdue items are judged on, or (`new`) the new
/// record's date. A command whose use differs rewords its help with [`TODAY_FOR_NEW`]
/// or [`TODAY_FOR_STATS`].
#[derive(Debug, Args)]
pub struct TodayArg {
    /// The day that decides which action items are overdue [default: SOURCE_DATE_EPOCH, else the system date]
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub today: Option<Date>,
}

/// `casebook new --help`'s words for `--today`: there it dates the record.
const TODAY_FOR_NEW: &str = "The new record's date, also the year in its id \
     [default: SOURCE_DATE_EPOCH, else the system date]";

/// `casebook stats --help`'s words for `--today`: the figures run up to it.
const TODAY_FOR_STATS: &str = "The day the figures are taken on: it decides which action \
     items are overdue, and the period runs at least to its month \
     [default: SOURCE_DATE_EPOCH, else the system date]";

/// What `--today` must look like, for its error message.
const DAY_FORM: &str = "expected a date as YYYY-MM-DD, such as 2024-09-18";

/// Reads `--today` in the one form its help names, and says that form when the
/// value is something else, instead of the date library's parse error.
fn parse_day(text: &str) -> Result<Date, String> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(DAY_FORM.to_string());
    }
    text.parse()
        .map_err(|_| format!("there is no such day in the calendar; {DAY_FORM}"))
}

/// Which records a build publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// Every record, drafts and records in review too (marked as such), for readers
    /// inside the company
    Internal,
    /// Only records that are `review: approved` and `visibility: public`
    Public,
}

/// Options of `casebook build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Where to write the site [default: site.toml's `output_dir`, else `public`]
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The site's address, overriding site.toml's `base_url`
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub today: TodayArg,
    /// Print how long each stage took
    #[arg(long)]
    pub timings: bool,
}

/// Options of `casebook serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on; 0 picks a free one
    #[arg(long, default_value_t = 1111)]
    pub port: u16,
    /// The address to listen on; only this machine can reach the default
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub today: TodayArg,
    /// Print how long each stage of every rebuild took, and the whole rebuild
    #[arg(long)]
    pub timings: bool,
}

/// Which records a command publishes or reports on: `build`, `serve`, `stats` and
/// `actions` take the same flags (and `check` the same `--profile`), so their
/// figures and findings agree for the same flags.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Which records to include
    #[arg(long, value_enum, default_value_t = ProfileArg::Internal)]
    pub profile: ProfileArg,
    /// Accepted so existing scripts keep working: every profile decides on drafts
    /// itself now (the internal one publishes them, marked). A note on stderr says so.
    #[arg(long, hide = true)]
    pub drafts: bool,
}

impl SelectArgs {
    /// The profile these flags ask for.
    pub fn profile(&self) -> select::Profile {
        self.profile.profile()
    }

    /// Tells the user, on stderr, that `--drafts` no longer changes anything, so a
    /// CI script that passes it learns why without failing.
    pub fn warn_deprecated(&self) {
        if self.drafts {
            crate::core::say!(
                "note: --drafts is deprecated and changes nothing: the internal profile publishes every record, drafts marked as such, and the public profile only approved public records"
            );
        }
    }
}

impl ProfileArg {
    /// The profile this value names.
    pub fn profile(self) -> select::Profile {
        match self {
            ProfileArg::Internal => select::Profile::Internal,
            ProfileArg::Public => select::Profile::Public,
        }
    }
}

/// Options of `casebook init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the archive [default: the current folder]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Options of `casebook new`.
#[derive(Debug, Args)]
#[command(mut_arg("today", |arg| arg.help(TODAY_FOR_NEW)))]
pub struct NewArgs {
    /// The incident's title
    ///
    /// It names the file too: `DATE-SLUG.md`, where SLUG is the title's ASCII
    /// letters and digits in lower case with `-` between words, at most 60
    /// characters. A title without any (`障害報告`, `!!!`) names the file after the
    /// new id instead, such as `2026-12-07-inc-2026-0001.md`.
    pub title: String,
    /// Severity, one of site.toml's [default: the least severe]
    #[arg(long)]
    pub severity: Option<String>,
    /// An affected service (repeat for more)
    #[arg(long = "service", value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Write a bundle (a folder with index.md) so assets can sit beside it
    #[arg(long)]
    pub bundle: bool,
    #[command(flatten)]
    pub today: TodayArg,
}

/// How `casebook actions` prints its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for a terminal
    Table,
    /// One JSON array of items (see docs/actions.md)
    Json,
    /// Comma-separated values with a header line, for spreadsheets, in the
    /// columns of the site's action-items.csv
    Csv,
}

/// What makes `casebook actions` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any listed item is overdue
    Overdue,
}

/// Options of `casebook actions`.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// List only overdue items (open or in progress, past their due date)
    #[arg(long)]
    pub overdue: bool,
    /// List only this owner's items (letter case ignored)
    #[arg(long, value_name = "OWNER")]
    pub owner: Option<String>,
    /// List only items of incidents that name this service
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// How to print the list
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Exit with 1 when a listed item is overdue, so a scheduled CI job can nag
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub today: TodayArg,
}

/// How `casebook stats` prints the figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    /// One aligned table per figure
    Table,
    /// The figures as JSON, the same object incidents.json carries (docs/insights.md)
    Json,
}

/// Options of `casebook stats`.
#[derive(Debug, Args)]
#[command(mut_arg("today", |arg| arg.help(TODAY_FOR_STATS)))]
pub struct StatsArgs {
    /// How to print the figures
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub today: TodayArg,
    /// Print how long each stage took
    #[arg(long)]
    pub timings: bool,
}

/// Options of `casebook import`: the source, each a subcommand.
#[derive(Debug, Args)]
#[command(after_long_help = IMPORT_HELP)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: ImportSource,
}

/// `casebook import --help`'s closing words.
const IMPORT_HELP: &str = "Without --into, the entries are printed as a `timeline:` block of YAML \
     to paste into a record. With --into RECORD they are merged into that record's timeline in \
     time order; nothing else in the file changes, and entries it already has are not added \
     again. docs/import.md has how to get each export and what maps to what.";

/// The tools casebook imports from.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// A channel of a Slack workspace export (the folder, or the .zip Slack gives)
    Slack(SlackArgs),
    /// An incident's log entries from PagerDuty's REST API: the JSON of
    /// GET /incidents/{id}/log_entries (`{"log_entries": [...]}` or the bare list)
    #[command(name = "pagerduty")]
    PagerDuty(AlertLogArgs),
    /// An Opsgenie incident timeline or alert log: the JSON of
    /// GET /v2/incident-timelines/{id}/entries or GET /v2/alerts/{id}/logs
    Opsgenie(AlertLogArgs),
    /// A CSV file with the columns at, event, source, actor, kind
    Csv(CsvArgs),
}

/// Options every importer takes.
#[derive(Debug, Args)]
pub struct ImportCommon {
    /// Merge the entries into this record file's timeline instead of printing them
    #[arg(long, value_name = "RECORD")]
    pub into: Option<PathBuf>,
    /// Import nothing before this time: RFC 3339, a date and time in site.toml's
    /// timezone, or a date (its start)
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Import nothing after this time: RFC 3339, a date and time in site.toml's
    /// timezone, or a date (its end)
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// The date of the record the printed YAML is for: entries on it print as HH:MM,
    /// others with full timestamps [default: the day of the first entry]
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day, conflicts_with = "into")]
    pub date: Option<Date>,
}

/// Options of `casebook import slack`.
#[derive(Debug, Args)]
#[command(
    after_help = "With --into and neither --from nor --to, the window is the record's own: \
     from `started` less an hour to `resolved` plus an hour (docs/import.md)."
)]
pub struct SlackArgs {
    /// The export: its folder (with channels.json), or the .zip as downloaded
    #[arg(value_name = "EXPORT")]
    pub export: PathBuf,
    /// The channel to import, such as `inc-2024-0918` or `#inc-2024-0918`
    #[arg(long, value_name = "NAME")]
    pub channel: String,
    /// Import thread replies too, not only messages in the channel itself
    #[arg(long)]
    pub threads: bool,
    #[command(flatten)]
    pub common: ImportCommon,
}

/// Options of `casebook import pagerduty` and `casebook import opsgenie`.
#[derive(Debug, Args)]
pub struct AlertLogArgs {
    /// The JSON the tool's REST API returned (docs/import.md says which call)
    #[arg(value_name = "LOG.json")]
    pub log: PathBuf,
    /// Import notifications too (who was paged, and how)
    #[arg(long)]
    pub notifications: bool,
    /// With --into, leave the record's `detected`, `acknowledged` and `resolved`
    /// alone even where it lacks them
    #[arg(long)]
    pub no_fill: bool,
    #[command(flatten)]
    pub common: ImportCommon,
}

/// Options of `casebook import csv`.
#[derive(Debug, Args)]
pub struct CsvArgs {
    /// A CSV file whose first line names its columns (docs/import.md)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub common: ImportCommon,
}
