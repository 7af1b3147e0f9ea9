//! "Today", the day that decides what is overdue, as the command line asked for it.
//!
//! The CLI reads `--today` and `SOURCE_DATE_EPOCH` once and hands the library a
//! [`Today`]; the library reads the date from it in the archive's timezone for each
//! run, so `casebook serve` moves on at midnight and follows a changed timezone.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Where the day comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Today {
    /// A given day (`--today`).
    On(Date),
    /// The day a fixed instant falls on (`SOURCE_DATE_EPOCH`, for reproducible builds).
    At(Timestamp),
    /// The system clock's day.
    Clock,
}

impl Today {
    /// The day, in `timezone`.
    pub fn date(self, timezone: &TimeZone) -> Date {
        match self {
            Today::On(date) => date,
            Today::At(instant) => instant.to_zoned(timezone.clone()).date(),
            Today::Clock => Timestamp::now().to_zoned(timezone.clone()).date(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_read_in_the_archives_timezone() {
        let instant: Timestamp = "2024-09-18T23:30:00Z".parse().expect("a timestamp");
        let berlin = TimeZone::get("Europe/Berlin").expect("the bundled tzdb");
        assert_eq!(
            Today::At(instant).date(&TimeZone::UTC),
            jiff::civil::date(2024, 9, 18)
        );
        assert_eq!(
            Today::At(instant).date(&berlin),
            jiff::civil::date(2024, 9, 19)
        );
        let day = jiff::civil::date(2020, 1, 2);
        assert_eq!(Today::On(day).date(&berlin), day);
    }
}
