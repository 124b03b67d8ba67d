//! Transport prefixes that other programs put in front of a log's own lines (syslog, journald,
//! `docker logs -t`, PHP's `error_log`), stripped before detection so the native grammar
//! underneath is recognised wherever the log was shipped.

use crate::model::{parse_hms_frac, parse_iso_local, Timestamp};
use chrono::NaiveDate;

/// What a wrapper said about a line: when, on which host, from which program and process.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wrapper<'a> {
    pub time: Option<Timestamp>,
    pub host: Option<&'a str>,
    /// `postfix/smtpd` in `postfix/smtpd[123]:`.
    pub program: Option<&'a str>,
    pub pid: Option<u32>,
}

/// A [`Wrapper`] and where the native text starts, as byte offsets into its line: stripped on
/// one thread, used on another without borrowing the line across (see
/// `crate::load::parsing`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WrapperAt {
    time: Option<Timestamp>,
    host: Option<(u32, u32)>,
    program: Option<(u32, u32)>,
    pid: Option<u32>,
    native: u32,
}

impl WrapperAt {
    /// [`strip`] of `line`, as offsets; `None` for a line too long for 32-bit offsets.
    pub fn strip(line: &str, year: i32) -> Option<WrapperAt> {
        u32::try_from(line.len()).ok()?;
        let (w, native) = strip(line, year);
        let at = |part: &str| (part.as_ptr() as usize - line.as_ptr() as usize) as u32;
        let range = |part: &str| (at(part), at(part) + part.len() as u32);
        Some(WrapperAt {
            time: w.time,
            host: w.host.map(range),
            program: w.program.map(range),
            pid: w.pid,
            native: at(native),
        })
    }

    /// The wrapper and native text of `line`, which must be the line [`WrapperAt::strip`]
    /// read; `None` when it cannot be (offsets outside it or off character boundaries).
    pub fn resolve<'a>(&self, line: &'a str) -> Option<(Wrapper<'a>, &'a str)> {
        let part = |r: Option<(u32, u32)>| -> Option<Option<&'a str>> {
            match r {
                None => Some(None),
                Some((from, to)) => line.get(from as usize..to as usize).map(Some),
            }
        };
        let wrapper = Wrapper {
            time: self.time,
            host: part(self.host)?,
            program: part(self.program)?,
            pid: self.pid,
        };
        Some((wrapper, line.get(self.native as usize..)?))
    }
}

/// Strips any known wrappers from `line` and returns them with the native text beneath.
/// `year` resolves syslog stamps, which carry no year.
pub fn strip(line: &str, year: i32) -> (Wrapper<'_>, &str) {
    let mut w = Wrapper::default();
    let mut rest = line;
    // docker logs -t: an RFC 3339 nanosecond stamp in front of anything.
    let mut fractional_stamp = None;
    if let Some((t, r)) = docker_stamp(rest) {
        w.time = Some(t);
        fractional_stamp = Some(t);
        rest = r;
    }
    if let Some(r) = php_error_log(rest, &mut w) {
        rest = r;
    }
    if let Some((t, r)) = syslog_stamp(rest, year).or_else(|| iso_syslog_stamp(rest)) {
        if let Some(r2) = host_program(r, &mut w) {
            w.time = Some(t);
            rest = r2;
        }
    } else if let Some(t) = fractional_stamp {
        // The fractional stamp was rsyslog's high-precision syslog stamp, not docker's: a
        // `host prog[pid]: ` tag follows (a non-UTC offset is never docker's).
        let mut tagged = w.clone();
        if let Some(r2) = host_program(rest, &mut tagged) {
            if tagged.pid.is_some() || t.offset != Some(0) {
                w = tagged;
                rest = r2;
            }
        }
    }
    // An application's own log shipped through syslog: `host php[12]: [11-Apr-2023 …] …`.
    if w.program.is_some() {
        if let Some(r) = php_error_log(rest, &mut w) {
            rest = r;
        }
    }
    (w, rest)
}

/// `2024-07-03T17:18:06.602438620Z ` (docker) — a `T`, a fraction and a `Z` or offset, then a space.
fn docker_stamp(s: &str) -> Option<(Timestamp, &str)> {
    let b = s.as_bytes();
    if b.len() < 21 || b[10] != b'T' || b[19] != b'.' {
        return None;
    }
    let sp = head(s, 40).find(' ')?;
    let stamp = &s[..sp];
    let (body, offset) = split_offset(stamp)?;
    let when = parse_iso_local(body)?;
    let mut t = Timestamp::local(when);
    t.offset = Some(offset);
    Some((t, &s[sp + 1..]))
}

fn split_offset(stamp: &str) -> Option<(&str, i32)> {
    if let Some(body) = stamp.strip_suffix('Z') {
        return Some((body, 0));
    }
    // `yyyy-mm-ddThh:mm:ss` is 19 bytes; an offset (`+01:00`, `+0100`) follows it directly
    // (journald short-iso) or after a fraction (rsyslog, docker).
    let b = stamp.as_bytes();
    if b.len() >= 25 {
        let tail = stamp.get(stamp.len() - 6..)?;
        let tb = tail.as_bytes();
        if (tb[0] == b'+' || tb[0] == b'-') && tb[3] == b':' {
            let h: i32 = tail.get(1..3)?.parse().ok()?;
            let m: i32 = tail.get(4..6)?.parse().ok()?;
            let sign = if tb[0] == b'-' { -1 } else { 1 };
            return Some((stamp.get(..stamp.len() - 6)?, sign * (h * 3600 + m * 60)));
        }
    }
    if b.len() >= 24 {
        let tail = stamp.get(stamp.len() - 5..)?;
        let tb = tail.as_bytes();
        if (tb[0] == b'+' || tb[0] == b'-') && tb[1..].iter().all(u8::is_ascii_digit) {
            let h: i32 = tail.get(1..3)?.parse().ok()?;
            let m: i32 = tail.get(3..5)?.parse().ok()?;
            let sign = if tb[0] == b'-' { -1 } else { 1 };
            return Some((stamp.get(..stamp.len() - 5)?, sign * (h * 3600 + m * 60)));
        }
    }
    None
}

/// The longest prefix of `s` of at most `n` bytes that ends on a character boundary.
fn head(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 3164: `Mar 22 18:20:29 ` or `Jul  7 01:02:03 ` (optionally with a fraction).
fn syslog_stamp(s: &str, year: i32) -> Option<(Timestamp, &str)> {
    let b = s.as_bytes();
    if b.len() < 16 || b[3] != b' ' {
        return None;
    }
    if b[6] != b' ' {
        return None;
    }
    // A busy log writes many lines a second: a stamp without a fraction (its 16 bytes end
    // in a space, so they decide the whole result) that equals the last line's is read once.
    thread_local! {
        static LAST_STAMP: std::cell::Cell<Option<RememberedStamp>> = const { std::cell::Cell::new(None) };
    }
    let key: Option<[u8; 16]> = (b[15] == b' ').then(|| b[..16].try_into().ok()).flatten();
    if let (Some(key), Some((last, y, t, used))) = (key, LAST_STAMP.get()) {
        if key == last && y == year {
            return Some((t, &s[used..]));
        }
    }
    let (t, rest) = read_syslog_stamp(s, year)?;
    if let Some(key) = key {
        LAST_STAMP.set(Some((key, year, t, s.len() - rest.len())));
    }
    Some((t, rest))
}

/// A stamp's 16 bytes, the year it was read in, what it read as, and the bytes it took.
type RememberedStamp = ([u8; 16], i32, Timestamp, usize);

/// [`syslog_stamp`] read from its text.
fn read_syslog_stamp(s: &str, year: i32) -> Option<(Timestamp, &str)> {
    let b = s.as_bytes();
    // A log's lines come day after day: the last `Mmm dd` read is nearly always this one's.
    thread_local! {
        static LAST_DAY: std::cell::Cell<Option<([u8; 6], i32, NaiveDate)>> = const { std::cell::Cell::new(None) };
    }
    let day_key: [u8; 6] = b[..6].try_into().ok()?;
    let date = match LAST_DAY.get() {
        Some((key, y, date)) if key == day_key && y == year => date,
        _ => {
            let month = MONTHS.iter().position(|m| Some(*m) == s.get(..3))? as u32 + 1;
            let day: u32 = s.get(4..6)?.trim_start().parse().ok()?;
            let date = NaiveDate::from_ymd_opt(year, month, day)?;
            LAST_DAY.set(Some((day_key, year, date)));
            date
        }
    };
    let rest = s.get(7..)?;
    let end = rest.bytes().position(|c| c == b' ')?;
    let time = parse_hms_frac(&rest[..end])?;
    Some((Timestamp::local(date.and_time(time)), &rest[end + 1..]))
}

/// RFC 5424 / rsyslog high precision / journald short-iso: `2024-01-02T03:04:05.123+01:00 `.
fn iso_syslog_stamp(s: &str) -> Option<(Timestamp, &str)> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' {
        return None;
    }
    let sp = head(s, 40).find(' ')?;
    let stamp = &s[..sp];
    let (body, offset) = match split_offset(stamp) {
        Some((body, off)) => (body, Some(off)),
        None => (stamp, None),
    };
    let when = parse_iso_local(body)?;
    let mut t = Timestamp::local(when);
    t.offset = offset;
    Some((t, &s[sp + 1..]))
}

/// `host prog[pid]: ` or `host prog: ` after a syslog stamp.
fn host_program<'a>(s: &'a str, w: &mut Wrapper<'a>) -> Option<&'a str> {
    // Every line of a syslog file passes here, and host and tag are a few dozen bytes: one
    // scan for the next delimiter eight bytes at a time, where a `memchr` per delimiter
    // spent more on setting up than on searching. The delimiters are ASCII, so every cut is
    // on a character boundary.
    let b = s.as_bytes();
    let sp = next_delimiter(b, 0)?;
    if sp == 0 || b[sp] != b' ' {
        return None;
    }
    let host = &s[..sp];
    let start = sp + 1;
    // The tag ends at the first `": "` (or a `:` ending the line); a space before it would
    // put a space in the tag: not a syslog tag.
    let mut open = None;
    let mut at = start;
    let colon = loop {
        let i = next_delimiter(b, at)?;
        match b[i] {
            b':' if i + 1 == b.len() || b[i + 1] == b' ' => break i,
            b' ' => return None,
            b'[' if open.is_none() => open = Some(i),
            _ => {}
        }
        at = i + 1;
    };
    let tag = &s[start..colon];
    if tag.is_empty() {
        return None;
    }
    let (program, pid) = match open {
        Some(open) if tag.ends_with(']') => (&s[start..open], pid_of(&s[open + 1..colon - 1])),
        Some(_) => return None,
        None => (tag, None),
    };
    w.host = Some(host);
    w.program = Some(program);
    w.pid = pid;
    Some(s.get(colon + 2..).unwrap_or(""))
}

/// Where the first space, `:` or `[` at or after `from` is.
fn next_delimiter(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero: its high bit is set here, and no lower byte's is unless that
    // byte is zero too, so the lowest set bit is the first match.
    let zero_at = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = zero_at(word ^ (ONES * u64::from(b' ')))
            | zero_at(word ^ (ONES * u64::from(b':')))
            | zero_at(word ^ (ONES * u64::from(b'[')));
        if found != 0 {
            return Some(i + found.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|c| matches!(c, b' ' | b':' | b'['))
        .map(|p| i + p)
}

/// A tag's pid as `str::parse` reads it, summed in place when it is plain digits.
fn pid_of(digits: &str) -> Option<u32> {
    let b = digits.as_bytes();
    if (1..=9).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        return Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')));
    }
    digits.parse().ok()
}

/// PHP `error_log()`: `[11-Apr-2023 10:49:15 UTC] `.
fn php_error_log<'a>(s: &'a str, w: &mut Wrapper<'a>) -> Option<&'a str> {
    let b = s.as_bytes();
    if b.len() < 23 || b[0] != b'[' || b[3] != b'-' || b[7] != b'-' || b[12] != b' ' {
        return None;
    }
    let close = head(s, 40).find("] ")?;
    let inner = s.get(1..close)?;
    let day: u32 = inner.get(0..2)?.parse().ok()?;
    let month = MONTHS.iter().position(|m| Some(*m) == inner.get(3..6))? as u32 + 1;
    let year: i32 = inner.get(7..11)?.parse().ok()?;
    let time = parse_hms_frac(inner.get(12..20)?)?;
    let when = NaiveDate::from_ymd_opt(year, month, day)?.and_time(time);
    w.time = Some(if inner.ends_with("UTC") {
        Timestamp::utc(when)
    } else {
        Timestamp::local(when)
    });
    Some(&s[close + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_syslog() {
        let (w, rest) = strip(
            "Nov 22 10:00:01 mx1 postfix/smtpd[4242]: connect from a[1.2.3.4]",
            2026,
        );
        assert_eq!(w.program, Some("postfix/smtpd"));
        assert_eq!(w.pid, Some(4242));
        assert_eq!(w.host, Some("mx1"));
        assert_eq!(rest, "connect from a[1.2.3.4]");
        assert_eq!(w.time.unwrap().to_string(), "2026-11-22T10:00:01");
        let (_, rest) = strip("Jul  7 01:02:03 h app: hello", 2026);
        assert_eq!(rest, "hello");
    }

    /// The last stamp is remembered: every line, repeated stamp or not, in any year, with a
    /// fraction or a short time, reads as it does without the memory.
    #[test]
    fn remembered_stamps_read_as_fresh_ones() {
        let stamps = [
            "Nov 22 10:00:01 ",
            "Nov 22 10:00:01.250 ",
            "Nov 22 10:00:02 ",
            "Jul  7 01:02:03 ",
            "Feb 29 10:00:01 ",
            "Nov 22 1:00:01 x ",
            "Nov 22 10:00:61 ",
            "Nov 22 10:00:01x",
        ];
        let tails = ["mx1 postfix/smtpd[1]: connect", "h app: hi", "", "é"];
        let mut seen = 0;
        for round in 0..3 {
            for (i, stamp) in stamps.iter().enumerate() {
                for (j, tail) in tails.iter().enumerate() {
                    let year = [2024, 2025][(round + i + j) % 2];
                    let line = format!("{stamp}{tail}");
                    // Twice in a row: the second one reads from the memory.
                    for _ in 0..2 {
                        let fresh = read_syslog_stamp(&line, year);
                        assert_eq!(syslog_stamp(&line, year), fresh, "{line:?} in {year}");
                        seen += usize::from(fresh.is_some());
                    }
                }
            }
        }
        assert!(seen > 100, "{seen} stamps read");
    }

    /// `host_program` as it was, with a `memchr` per delimiter: the reading it must keep.
    fn host_program_plainly<'a>(s: &'a str, w: &mut Wrapper<'a>) -> Option<&'a str> {
        // Byte scans: every line of a syslog file passes here (the delimiters are ASCII).
        let sp = memchr::memchr(b' ', s.as_bytes())?;
        let host = &s[..sp];
        if host.is_empty() || memchr::memchr2(b'[', b':', host.as_bytes()).is_some() {
            return None;
        }
        let rest = &s[sp + 1..];
        let colon = colon_space(rest).or_else(|| rest.strip_suffix(':').map(|r| r.len()))?;
        let tag = &rest[..colon];
        if tag.is_empty() || memchr::memchr(b' ', tag.as_bytes()).is_some() {
            return None;
        }
        let (program, pid) = match memchr::memchr(b'[', tag.as_bytes()) {
            Some(open) if tag.ends_with(']') => (&tag[..open], tag[open + 1..tag.len() - 1].parse().ok()),
            Some(_) => return None,
            None => (tag, None),
        };
        w.host = Some(host);
        w.program = Some(program);
        w.pid = pid;
        Some(rest.get(colon + 2..).unwrap_or(""))
    }

    /// Where `": "` first occurs; a byte scan for the colon is cheaper than a substring search
    /// set up for every line.
    fn colon_space(s: &str) -> Option<usize> {
        let b = s.as_bytes();
        memchr::memchr_iter(b':', b).find(|&i| b.get(i + 1) == Some(&b' '))
    }

    /// Hosts and tags of every shape, cut anywhere: the eight-byte scan finds what the
    /// plain one does.
    #[test]
    fn host_and_tag_read_as_a_plain_scan_reads_them() {
        // Each part of `host tag[pid]: text` drawn from good and broken shapes.
        let hosts = ["mx1", "", "a:b", "h[1]", "mail.example.org", "é"];
        let gaps = [" ", "", "  ", ":"];
        let programs = [
            "postfix/smtpd",
            "",
            "a b",
            "x:y",
            "CRON",
            "postfix/submission/smtpd",
        ];
        let pids = [
            "[4242]",
            "",
            "[]",
            "[+7]",
            "[99999999999]",
            "[12",
            "[1]x",
            "[1][2]",
            "[é]",
        ];
        let colons = [": ", ":", "", " : ", ":x: ", "::"];
        let texts = ["connect from a[192.0.2.1]", "", "x: y", " lead", "é"];
        let mut state = 7u64;
        let mut pick = |parts: &[&'static str]| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            parts[(state >> 33) as usize % parts.len()]
        };
        let mut matched = 0;
        for _ in 0..50_000 {
            let text = [
                pick(&hosts),
                pick(&gaps),
                pick(&programs),
                pick(&pids),
                pick(&colons),
                pick(&texts),
            ]
            .concat();
            let (mut fast, mut plain) = (Wrapper::default(), Wrapper::default());
            let got = host_program(&text, &mut fast);
            assert_eq!(got, host_program_plainly(&text, &mut plain), "{text:?}");
            assert_eq!(fast, plain, "{text:?}");
            matched += usize::from(got.is_some() && fast.pid.is_some());
        }
        assert!(matched > 200, "{matched} tags with a pid");
    }

    #[test]
    fn strips_docker_then_syslog() {
        let (w, rest) = strip(
            "2024-07-03T17:18:06.602438620Z Jul 03 19:18:06 mail postfix/smtpd[7610]: disconnect from x",
            2024,
        );
        assert_eq!(w.program, Some("postfix/smtpd"));
        assert_eq!(rest, "disconnect from x");
    }

    #[test]
    fn leaves_native_lines_alone() {
        for line in [
            "2023-04-11 10:49:15 CLIENT -> SERVER: EHLO x",
            "1 2019-02-06T15:03:11.586 5 7 ### SMTP Connected",
            "2022-10-19T08:44:41.856Z,EX01\\Default,08DAB1,0,10.0.0.1:25,10.0.0.2:1234,+,,",
            "[2018.05.07] 22:54:21 [1.2.3.4][63985015] cmd: EHLO x",
            "SMTP: 17:22:27 [tx] EHLO x",
        ] {
            assert_eq!(strip(line, 2026).1, line);
        }
    }

    #[test]
    fn keeps_journald_short_iso_offsets() {
        for (line, stamp) in [
            (
                "2026-11-22T10:00:01+0100 mx1 postfix/smtpd[4242]: connect from a[192.0.2.1]",
                "2026-11-22T10:00:01+01:00",
            ),
            (
                "2026-11-22T10:00:01-05:00 mx1 postfix/smtpd[4242]: connect from a[192.0.2.1]",
                "2026-11-22T10:00:01-05:00",
            ),
            (
                "2026-11-22T10:00:01.250+01:00 mx1 postfix/smtpd[4242]: connect from a[192.0.2.1]",
                "2026-11-22T10:00:01.250+01:00",
            ),
        ] {
            let (w, rest) = strip(line, 2000);
            assert_eq!(rest, "connect from a[192.0.2.1]");
            assert_eq!(w.pid, Some(4242));
            assert_eq!(w.time.unwrap().to_string(), stamp, "{line}");
        }
    }

    #[test]
    fn strips_php_error_log() {
        let (w, rest) = strip("[11-Apr-2023 10:49:15 UTC] SERVER -> CLIENT: 220 hi", 2026);
        assert_eq!(rest, "SERVER -> CLIENT: 220 hi");
        assert_eq!(w.time.unwrap().to_string(), "2023-04-11T10:49:15Z");
        let (w, rest) = strip(
            "Nov 22 10:00:01 web1 php[77]: [11-Apr-2023 10:49:15 UTC] Connection: opened",
            2026,
        );
        assert_eq!((w.program, rest), (Some("php"), "Connection: opened"));
        assert_eq!(w.time.unwrap().to_string(), "2023-04-11T10:49:15Z");
    }
}
