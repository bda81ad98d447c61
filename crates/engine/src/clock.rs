//! Time as a dependency: the engine reads a [`Clock`] it is given, and every
//! instant it stores is a [`Timestamp`] (milliseconds since the Unix epoch).

use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

/// An instant as ISO 8601 text, `2024-05-01T08:00:00Z`, held inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso8601 {
    bytes: [u8; 20],
}

impl Iso8601 {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.bytes).unwrap_or("1970-01-01T00:00:00Z")
    }
}

impl std::fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Iso8601 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Timestamp {
    /// Whole seconds since the epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This instant plus a duration.
    pub fn after(self, d: Duration) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add(d.as_millis().min(i64::MAX as u128) as i64),
        )
    }

    /// This instant minus a duration.
    pub fn before(self, d: Duration) -> Timestamp {
        Timestamp(
            self.0
                .saturating_sub(d.as_millis().min(i64::MAX as u128) as i64),
        )
    }

    /// Time left from `now` until this instant (zero if it has passed).
    pub fn remaining_from(self, now: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(now.0).max(0) as u64)
    }

    fn datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.unix_seconds())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// ISO 8601 UTC with a `Z` suffix and whole seconds: `2024-05-01T08:00:00Z`.
    pub fn iso8601(self) -> String {
        self.iso().as_str().to_string()
    }

    /// [`Timestamp::iso8601`] without allocating or formatting machinery:
    /// views render several per instance, and `format!` was an eighth of a
    /// listing's CPU.
    pub fn iso(self) -> Iso8601 {
        let t = self.datetime();
        let mut bytes = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                bytes[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        // The calendar's years 0..=9999, the four digits the format has.
        put(0, 4, t.year().clamp(0, 9999) as u32);
        put(5, 2, u8::from(t.month()).into());
        put(8, 2, t.day().into());
        put(11, 2, t.hour().into());
        put(14, 2, t.minute().into());
        put(17, 2, t.second().into());
        Iso8601 { bytes }
    }

    /// Parses `YYYY-MM-DD hh:mm:ss` (UTC).
    pub fn parse_plain_datetime(s: &str) -> Option<Timestamp> {
        let format =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        let t = time::PrimitiveDateTime::parse(s.trim(), &format).ok()?;
        Some(Timestamp(t.assume_utc().unix_timestamp() * 1000))
    }

    /// `YYYY-MM-DD` of this instant in UTC. Every signed Tencent request
    /// asks for it, so the digits are written directly rather than through
    /// the formatting machinery.
    pub fn utc_date(self) -> String {
        let t = self.datetime();
        let (month, day) = (u32::from(u8::from(t.month())), u32::from(t.day()));
        let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
            return format!("{:04}-{month:02}-{day:02}", t.year());
        };
        let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
        [
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            '-',
            digit(month / 10),
            digit(month),
            '-',
            digit(day / 10),
            digit(day),
        ]
        .into_iter()
        .collect()
    }

    /// `YYYY-MM-DD hh:mm:ss` in UTC, the form some vendors use for times.
    pub fn plain_datetime(self) -> String {
        let t = self.datetime();
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// Where the engine reads the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_iso8601_and_date() {
        let t = Timestamp(1_551_113_065_000);
        assert_eq!(t.iso8601(), "2019-02-25T16:44:25Z");
        assert_eq!(t.utc_date(), "2019-02-25");
        assert_eq!(t.plain_datetime(), "2019-02-25 16:44:25");
        assert_eq!(
            Timestamp::parse_plain_datetime("2019-02-25 16:44:25"),
            Some(Timestamp(1_551_113_065_000))
        );
        assert_eq!(Timestamp::parse_plain_datetime("yesterday"), None);
    }

    #[test]
    fn iso_agrees_with_the_calendar_at_its_edges() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (999, "1970-01-01T00:00:00Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (1_551_113_065_000, "2019-02-25T16:44:25Z"),
            (4_102_444_799_000, "2099-12-31T23:59:59Z"),
            (253_402_300_799_000, "9999-12-31T23:59:59Z"),
            (-1000, "1969-12-31T23:59:59Z"),
        ];
        for (ms, text) in cases {
            let t = Timestamp(ms);
            assert_eq!(t.iso().as_str(), text, "{ms}");
            assert_eq!(t.iso8601(), text);
            assert_eq!(t.utc_date(), text[..10], "{ms}");
            assert_eq!(
                serde_json::to_string(&t.iso()).expect("renders"),
                format!("\"{text}\"")
            );
        }
    }

    #[test]
    fn remaining_is_never_negative() {
        assert_eq!(Timestamp(10).remaining_from(Timestamp(20)), Duration::ZERO);
        assert_eq!(
            Timestamp(30).remaining_from(Timestamp(20)),
            Duration::from_millis(10)
        );
    }
}
