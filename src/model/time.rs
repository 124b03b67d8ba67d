//! Timestamps as logs write them: often local time without a zone, sometimes no date at all.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::fmt;

/// A point in time from a log line. Logs disagree on what they record, so this keeps what was
/// known: a date may be missing (Outlook Express, smtplib) and the zone usually is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Wall-clock time as written in the log. When `has_date` is false the date part is
    /// 1970-01-01 and only the time of day is meaningful.
    pub when: NaiveDateTime,
    pub has_date: bool,
    /// Offset from UTC in seconds when the log states one (`Z` is 0).
    pub offset: Option<i32>,
}

impl Timestamp {
    pub fn local(when: NaiveDateTime) -> Self {
        Timestamp {
            when,
            has_date: true,
            offset: None,
        }
    }

    pub fn utc(when: NaiveDateTime) -> Self {
        Timestamp {
            when,
            has_date: true,
            offset: Some(0),
        }
    }

    /// A time of day with no date (the log did not say which day).
    pub fn time_only(t: NaiveTime) -> Self {
        Timestamp {
            when: NaiveDate::from_ymd_opt(1970, 1, 1)
                .unwrap_or_default()
                .and_time(t),
            has_date: false,
            offset: None,
        }
    }

    /// `HH:MM:SS`, for narrow columns.
    pub fn clock(&self) -> String {
        self.when.format("%H:%M:%S").to_string()
    }

    /// Seconds between two stamps, when both can be compared.
    pub fn seconds_since(&self, earlier: &Timestamp) -> Option<f64> {
        if self.has_date != earlier.has_date {
            return None;
        }
        let d = self.when - earlier.when;
        Some(d.num_milliseconds() as f64 / 1000.0)
    }
}

impl Timestamp {
    /// Appends the stamp as [`fmt::Display`] writes it, without a formatter: `--list` and
    /// `--json` write several per session, and `write!` cost more than the digits.
    pub fn push_to(&self, out: &mut String) {
        let mut buf = [0u8; 32];
        match self.iso_bytes(&mut buf) {
            Some(len) => out.push_str(std::str::from_utf8(&buf[..len]).expect("ASCII digits")),
            None => {
                use fmt::Write as _;
                let _ = write!(out, "{self}");
            }
        }
    }

    /// The ISO 8601 text into `buf`, field by field, and its length; `None` for the years past
    /// 9999 (a sign in ISO 8601) and leap seconds that are left to chrono (at most 29 bytes).
    fn iso_bytes(&self, buf: &mut [u8; 32]) -> Option<usize> {
        use chrono::{Datelike, Timelike};
        let w = self.when;
        if !(0..=9999).contains(&w.year()) || w.nanosecond() >= 1_000_000_000 {
            return None;
        }
        let ms = w.and_utc().timestamp_subsec_millis();
        let mut len = 0;
        let mut put = |value: u32, digits: u32, after: Option<u8>| {
            for d in (0..digits).rev() {
                buf[len] = b'0' + (value / 10u32.pow(d) % 10) as u8;
                len += 1;
            }
            if let Some(sep) = after {
                buf[len] = sep;
                len += 1;
            }
        };
        if self.has_date {
            put(w.year() as u32, 4, Some(b'-'));
            put(w.month(), 2, Some(b'-'));
            put(w.day(), 2, Some(b'T'));
        }
        put(w.hour(), 2, Some(b':'));
        put(w.minute(), 2, Some(b':'));
        put(w.second(), 2, (ms != 0).then_some(b'.'));
        if ms != 0 {
            put(ms, 3, None);
        }
        match self.offset {
            Some(0) => put(0, 0, Some(b'Z')),
            // An offset of 100 hours or more (never parsed from a log) is left to `write!`.
            Some(s) if s.unsigned_abs() / 3600 < 100 => {
                let a = s.unsigned_abs();
                put(0, 0, Some(if s < 0 { b'-' } else { b'+' }));
                put(a / 3600, 2, Some(b':'));
                put((a % 3600) / 60, 2, None);
            }
            Some(_) => return None,
            None => {}
        }
        Some(len)
    }
}

impl fmt::Display for Timestamp {
    /// ISO 8601: `2019-02-06T15:03:12.142`, milliseconds only when non-zero, the offset when
    /// known; `15:03:12` when there is no date.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written field by field: chrono's `format` parses its pattern on every call, and
        // every session printed has two stamps.
        let mut buf = [0u8; 32];
        if let Some(len) = self.iso_bytes(&mut buf) {
            return f.write_str(std::str::from_utf8(&buf[..len]).expect("ASCII digits"));
        }
        // Years past 9999, leap seconds, bogus offsets.
        let w = self.when;
        let ms = w.and_utc().timestamp_subsec_millis();
        let body = match (self.has_date, ms) {
            (true, 0) => w.format("%Y-%m-%dT%H:%M:%S"),
            (true, _) => w.format("%Y-%m-%dT%H:%M:%S%.3f"),
            (false, 0) => w.format("%H:%M:%S"),
            (false, _) => w.format("%H:%M:%S%.3f"),
        };
        write!(f, "{body}")?;
        match self.offset {
            Some(0) => write!(f, "Z"),
            Some(s) => {
                let sign = if s < 0 { '-' } else { '+' };
                let a = s.abs();
                write!(f, "{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
            }
            None => Ok(()),
        }
    }
}

/// Parses `yyyy-mm-dd[T ]hh:mm:ss[.fff]` (the most common layout) without allocating.
pub fn parse_iso_local(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let date = parse_ymd(&s[..10], b'-')?;
    let time = parse_hms_frac(&s[11..])?;
    Some(date.and_time(time))
}

/// Parses `yyyy?mm?dd` with the given separator.
pub fn parse_ymd(s: &str, sep: u8) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != sep || b[7] != sep {
        return None;
    }
    let y = num(&b[0..4])? as i32;
    let m = num(&b[5..7])?;
    let d = num(&b[8..10])?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Parses `hh:mm:ss` optionally followed by `.fraction` (any number of digits).
pub fn parse_hms_frac(s: &str) -> Option<NaiveTime> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = num(&b[0..2])?;
    let m = num(&b[3..5])?;
    let sec = num(&b[6..8])?;
    let mut nanos = 0u32;
    if b.len() > 9 && b[8] == b'.' {
        // Up to nine digits, read in place: every stamped line of a log passes here.
        let digits = b[9..].iter().take(9).take_while(|c| c.is_ascii_digit()).count();
        if let Some(v) = num(&b[9..9 + digits]) {
            nanos = v * 10u32.pow(9 - digits as u32);
        }
    }
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
}

/// Parses `h:mm:ss` or `hh:mm:ss`.
pub fn parse_clock(s: &str) -> Option<NaiveTime> {
    if s.len() == 7 {
        return parse_hms_frac(&format!("0{s}"));
    }
    parse_hms_frac(s)
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, c| a * 10 + u32::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fraction as it was read before: digits gathered into a vector.
    fn parse_hms_frac_gathered(s: &str) -> Option<NaiveTime> {
        let b = s.as_bytes();
        if b.len() < 8 || b[2] != b':' || b[5] != b':' {
            return None;
        }
        let (h, m, sec) = (num(&b[0..2])?, num(&b[3..5])?, num(&b[6..8])?);
        let mut nanos = 0u32;
        if b.len() > 9 && b[8] == b'.' {
            let digits: Vec<u8> = b[9..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .take(9)
                .copied()
                .collect();
            if let Some(v) = num(&digits) {
                nanos = v * 10u32.pow(9 - digits.len() as u32);
            }
        }
        NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
    }

    #[test]
    fn fractions_read_as_before() {
        let pieces = [
            "12:34:56.",
            "12:34:56",
            "23:59:60.",
            ".",
            "1",
            "0",
            "98765",
            "x",
            "Z",
            " ",
        ];
        let fractional = crate::testdata::assert_same_on_texts(
            (&pieces, 6, 20_000),
            parse_hms_frac,
            parse_hms_frac_gathered,
            |t| usize::from(t.is_some_and(|t| chrono::Timelike::nanosecond(&t) > 0)),
        );
        assert!(fractional > 500, "{fractional}");
    }

    #[test]
    fn iso_round_trip() {
        let t = Timestamp::local(parse_iso_local("2019-02-06T15:03:12.142").unwrap());
        assert_eq!(t.to_string(), "2019-02-06T15:03:12.142");
        let t = Timestamp::utc(parse_iso_local("2023-04-11 10:49:15").unwrap());
        assert_eq!(t.to_string(), "2023-04-11T10:49:15Z");
        assert!(parse_iso_local("2019-13-06T15:03:12").is_none());
        assert!(parse_iso_local("2019-02-06T25:03:12").is_none());
    }

    /// The stamp as chrono and `write!` print it: what the field-by-field writer must equal
    /// (`Display` and [`Timestamp::push_to`] alike).
    fn printed_by_chrono(t: &Timestamp) -> String {
        let ms = t.when.and_utc().timestamp_subsec_millis();
        let pattern = match (t.has_date, ms) {
            (true, 0) => "%Y-%m-%dT%H:%M:%S",
            (true, _) => "%Y-%m-%dT%H:%M:%S%.3f",
            (false, 0) => "%H:%M:%S",
            (false, _) => "%H:%M:%S%.3f",
        };
        let mut out = t.when.format(pattern).to_string();
        match t.offset {
            Some(0) => out.push('Z'),
            Some(s) => {
                let sign = if s < 0 { '-' } else { '+' };
                let a = s.unsigned_abs();
                out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60));
            }
            None => {}
        }
        out
    }

    #[test]
    fn stamps_with_offsets_leap_seconds_and_far_years_print_as_chrono_does() {
        let offsets = [
            None,
            Some(0),
            Some(3600),
            Some(-18_000),
            Some(19_800),
            Some(-34_200),
            Some(5_400_000),
            Some(i32::MAX),
            Some(i32::MIN + 1),
        ];
        let mut seed = 11u64;
        let mut far = 0;
        for i in 0..30_000u64 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Mostly this century; one in eight past the year 9999.
            let secs = if i % 8 == 0 {
                253_402_300_800 + (seed >> 24) as i64 % 1_000_000_000
            } else {
                (seed >> 20) as i64 % 8_000_000_000 - 1_000_000_000
            };
            let nanos = match seed % 4 {
                0 => 0,
                1 => (seed >> 8) as u32 % 1_000_000_000,
                _ => (seed >> 8) as u32 % 1_000 * 1_000_000,
            };
            let mut when = chrono::DateTime::from_timestamp(secs, nanos)
                .expect("in range")
                .naive_utc();
            if i % 16 == 1 {
                // A leap second: 23:59:60.
                let date = when.date();
                let leap =
                    chrono::NaiveTime::from_hms_nano_opt(23, 59, 59, 1_000_000_000 + nanos % 1_000_000_000);
                when = date.and_time(leap.expect("a leap second"));
            }
            far += usize::from(chrono::Datelike::year(&when) > 9999);
            let t = Timestamp {
                when,
                has_date: seed & 2 == 0,
                offset: offsets[(seed >> 40) as usize % offsets.len()],
            };
            let want = printed_by_chrono(&t);
            assert_eq!(t.to_string(), want);
            let mut pushed = String::from("x");
            t.push_to(&mut pushed);
            assert_eq!(pushed, format!("x{want}"));
        }
        assert!(far > 1000, "only {far} stamps past 9999");
    }

    #[test]
    fn time_only_prints_clock() {
        let t = Timestamp::time_only(parse_clock("9:05:01").unwrap());
        assert_eq!(t.to_string(), "09:05:01");
    }
}
