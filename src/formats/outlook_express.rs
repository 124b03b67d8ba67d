//! Outlook Express / Internet Mail and News `Smtp.log` (Microsoft KB 155455): lines
//! `SMTP: hh:mm:ss [rx|tx|db] text` after a product banner and a `SMTP Log started at …` header
//! written at each client start. Also reads the KB's pasted form, where the `SMTP:` tag and the
//! time are gone and lines may be numbered (`06) [tx] EHLO desk`).
//!
//! Times are time-of-day only; the date comes from the latest `SMTP Log started at` header, which
//! has no year: the pipeline's year (`--year`, else the file's modification year) is used, and the
//! date rolls forward a day whenever the time of day goes backwards by more than an hour.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_clock, InfoKind, Timestamp};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use regex::Regex;
use std::sync::LazyLock;

pub struct OutlookExpress;

/// A full log line: optional `SMTP:` tag (a syslog wrapper may have eaten it), clock, tag, text.
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:SMTP:[ \t]*)?([0-9]{1,2}:[0-9]{2}:[0-9]{2})[ \t]+\[(rx|tx|db)\][ \t]?(.*)$")
        .expect("valid regex")
});

/// The KB's stripped form: optional `nn) ` line number, tag, text.
static KB_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[0-9]{1,4}\)[ \t]*)?\[(rx|tx|db)\][ \t]?(.*)$").expect("valid regex")
});

/// The header written at every client start; its date has no year in IMN/OE 4.
static STARTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[0-9]{1,4}\)[ \t]*)?SMTP Log started at[ \t]*(.*)$").expect("valid regex")
});

/// The product banner line above the header (`Microsoft Outlook Express 4.72.3110.1`).
static BANNER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[0-9]{1,4}\)[ \t]*)?(?:Microsoft|Outlook Express|Internet Mail|Windows (?:Live )?Mail)\b.*[0-9]+\.[0-9]+",
    )
    .expect("valid regex")
});

/// The end-of-data dot, logged on its own physical line after an empty `[tx]`.
static DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[0-9]{1,4}\)[ \t]*)?\.$").expect("valid regex"));

static SRV_ADDR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^srv_addr[ \t]*=[ \t]*(\S+)").expect("valid regex"));

impl Format for OutlookExpress {
    fn name(&self) -> &'static str {
        "outlook-express"
    }
    fn description(&self) -> &'static str {
        "Outlook Express / Internet Mail and News Smtp.log ([rx]/[tx]/[db] lines, KB 155455), also the KB's pasted form"
    }
    fn how_to_enable(&self) -> &'static str {
        "Outlook Express: Tools > Options > Advanced > Troubleshooting, tick \"Mail Transport\" (Smtp.log in the mail store folder); Internet Mail and News: in HKCU\\Software\\Microsoft\\Internet Mail and News\\Mail set DWORD \"Log SMTP (0/1)\" = 1 and string \"Log File (SMTP)\" = the log path"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        ENTRY.is_match(line.text) || KB_ENTRY.is_match(line.text) || STARTED.is_match(line.text)
    }
    /// The date of a session's lines comes from the log's header before it.
    fn reads_back_alone(&self) -> bool {
        false
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// The log has no connection ids: sessions follow one another under this key and the
/// assembler numbers them `#1`, `#2`, ….
const KEY: &str = "";

#[derive(Default)]
struct Parser {
    year: Option<i32>,
    /// The date of the current line, from the last header plus day rollovers.
    date: Option<NaiveDate>,
    last_clock: Option<NaiveTime>,
    in_session: bool,
    /// The server host and port the `Connecting to` line names, held back until `srv_addr`
    /// adds the address (`host[ip]:port`) or another line arrives.
    peer: Option<(String, Option<String>)>,
    /// The line of that `Connecting to` note.
    peer_line: u64,
    /// The server said `221`/`421`: the connection is over even without a close note.
    said_goodbye: bool,
    /// An empty `[tx]` was logged (the start of `<CRLF>.<CRLF>`); the `.` line is its text.
    dot_pending: Option<Option<Timestamp>>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text.trim_end();
        let dot = self.dot_pending.take();
        let n = line.number;
        if let Some(c) = ENTRY.captures(text) {
            let clock = parse_clock(&c[1]);
            let time = self.stamp(clock, line.wrapper.time);
            self.entry(&c[2], c[3].trim_end(), n, time, &mut out);
        } else if let Some(c) = KB_ENTRY.captures(text) {
            let time = line.wrapper.time;
            self.entry(&c[1], c[2].trim_end(), n, time, &mut out);
        } else if let Some(c) = STARTED.captures(text) {
            self.restart(n, &mut out);
            match self.header_date(&c[1]) {
                Some(when) => {
                    self.date = Some(when.date());
                    self.last_clock = Some(when.time());
                }
                None => {
                    self.date = None;
                    self.last_clock = None;
                    out.push(KEY, n, None, Item::Unparsed(text.to_owned()));
                }
            }
        } else if BANNER.is_match(text) {
            // The client started again; the header line that follows carries the date.
            self.restart(n, &mut out);
        } else if let (Some(time), true) = (dot, DOT.is_match(text)) {
            self.emit(n, time, Item::Client(".".to_owned()), &mut out);
        } else if !text.trim().is_empty() {
            out.push(KEY, n, None, Item::Unparsed(text.to_owned()));
        }
    }

    fn set_year(&mut self, year: i32) {
        self.year = Some(year);
    }

    fn finish(&mut self, out: &mut Vec<Record>) {
        let n = self.peer_line;
        self.flush_peer(n, None, &mut Out { records: out });
    }
}

impl Parser {
    /// One `[rx]`, `[tx]` or `[db]` entry.
    fn entry(&mut self, tag: &str, text: &str, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        match tag.to_ascii_lowercase().as_str() {
            "rx" => {
                self.implicit_begin(n, time, out);
                if text.starts_with("221") || text.starts_with("421") {
                    self.said_goodbye = true;
                }
                self.emit(n, time, Item::Server(text.to_owned()), out);
            }
            "tx" if text.is_empty() => {
                self.implicit_begin(n, time, out);
                self.dot_pending = Some(time);
            }
            "tx" => {
                self.implicit_begin(n, time, out);
                self.emit(n, time, Item::Client(text.to_owned()), out);
            }
            _ => self.note(text, n, time, out),
        }
    }

    /// A `[db]` note: connection start and end, the server address, failures.
    fn note(&mut self, text: &str, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if let Some(target) = connecting_target(text) {
            self.flush_peer(n, time, out);
            self.in_session = true;
            self.said_goodbye = false;
            out.push(KEY, n, time, Item::Begin);
            self.peer = target;
            self.peer_line = n;
            out.push(KEY, n, time, Item::Info(InfoKind::Connecting, text.to_owned()));
            return;
        }
        if let Some(c) = SRV_ADDR.captures(text).filter(|_| self.in_session) {
            let server = match self.peer.take() {
                Some((host, Some(port))) => format!("{host}[{}]:{port}", &c[1]),
                Some((host, None)) => format!("{host}[{}]", &c[1]),
                None => c[1].to_owned(),
            };
            out.push(
                KEY,
                n,
                time,
                Item::Peers {
                    client: None,
                    server: Some(server),
                },
            );
            out.push(KEY, n, time, Item::Info(InfoKind::Note, text.to_owned()));
            return;
        }
        let kind = note_kind(text);
        if kind == InfoKind::Closed {
            if !self.in_session {
                out.push(KEY, n, None, Item::Unparsed(text.to_owned()));
                return;
            }
            self.emit(n, time, Item::Info(kind, text.to_owned()), out);
            out.push(KEY, n, time, Item::End);
            self.in_session = false;
            return;
        }
        let failure = matches!(
            kind,
            InfoKind::ConnectFailed | InfoKind::Timeout | InfoKind::LostConnection
        );
        if !self.in_session && !failure {
            // A note outside any connection tells nothing about a session.
            out.push(KEY, n, None, Item::Unparsed(text.to_owned()));
            return;
        }
        self.implicit_begin(n, time, out);
        self.emit(n, time, Item::Info(kind, text.to_owned()), out);
    }

    /// Protocol lines without a `Connecting to` line before them (a paste that starts midway)
    /// still form a session.
    fn implicit_begin(&mut self, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if !self.in_session {
            self.in_session = true;
            self.said_goodbye = false;
            self.peer = None;
            out.push(KEY, n, time, Item::Begin);
        }
    }

    /// Pushes a session record, first naming the server if that is still held back.
    fn emit(&mut self, n: u64, time: Option<Timestamp>, item: Item, out: &mut Out<'_>) {
        self.flush_peer(n, time, out);
        out.push(KEY, n, time, item);
    }

    fn flush_peer(&mut self, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if let Some((host, port)) = self.peer.take() {
            let server = match port {
                Some(p) => format!("{host}:{p}"),
                None => host,
            };
            out.push(
                KEY,
                n,
                time,
                Item::Peers {
                    client: None,
                    server: Some(server),
                },
            );
        }
    }

    /// A banner or header means the client started again: a connection still open in the log
    /// was cut off (unless the server had already said goodbye).
    fn restart(&mut self, n: u64, out: &mut Out<'_>) {
        if !self.in_session {
            return;
        }
        self.flush_peer(n, None, out);
        if !self.said_goodbye {
            out.push(
                KEY,
                n,
                None,
                Item::Info(
                    InfoKind::LostConnection,
                    "Smtp.log restarted (the mail client was started again) before this connection closed"
                        .to_owned(),
                ),
            );
        }
        out.push(KEY, n, None, Item::End);
        self.in_session = false;
    }

    /// The stamp of a full line: its clock on the header's date (rolled past midnight), else
    /// the wrapper's stamp, else the clock alone.
    fn stamp(&mut self, clock: Option<NaiveTime>, wrapper: Option<Timestamp>) -> Option<Timestamp> {
        let Some(clock) = clock else { return wrapper };
        let Some(mut date) = self.date else {
            return wrapper.or(Some(Timestamp::time_only(clock)));
        };
        if self
            .last_clock
            .is_some_and(|last| last.signed_duration_since(clock) > TimeDelta::hours(1))
        {
            date = date.succ_opt().unwrap_or(date);
            self.date = Some(date);
        }
        self.last_clock = Some(clock);
        Some(Timestamp::local(date.and_time(clock)))
    }

    fn header_date(&self, rest: &str) -> Option<NaiveDateTime> {
        let year = self.year.unwrap_or_else(|| chrono::Local::now().year());
        parse_started(rest, year)
    }
}

/// For `Connecting to 'host'[ on port n].`: `Some(host and port)`, `Some(None)` when the
/// line names no host; `None` when the note is not a connection start.
fn connecting_target(text: &str) -> Option<Option<(String, Option<String>)>> {
    let rest = text
        .get(..14)
        .filter(|h| h.eq_ignore_ascii_case("connecting to "))?;
    let rest = text[rest.len()..].trim_start();
    let host = match rest.strip_prefix('\'') {
        Some(quoted) => quoted.split('\'').next().unwrap_or(""),
        None => rest.split_whitespace().next().unwrap_or("").trim_end_matches('.'),
    };
    let lower = rest.to_ascii_lowercase();
    let port = lower.find(" on port ").and_then(|at| {
        let digits: String = rest[at + 9..].chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    });
    Some((!host.is_empty()).then(|| (host.to_owned(), port)))
}

/// Maps a `[db]` note's wording onto what the status rules understand.
fn note_kind(text: &str) -> InfoKind {
    let l = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    if l.starts_with("connection") && l.trim_end_matches('.').ends_with("closed") {
        InfoKind::Closed
    } else if has(&["timed out", "timeout"]) {
        InfoKind::Timeout
    } else if has(&[
        "not found",
        "could not be found",
        "could not connect",
        "unable to connect",
        "cannot connect",
        "can't connect",
        "connect failed",
        "connection failed",
        "refused",
        "unreachable",
        "no such host",
        "could not be resolved",
    ]) {
        InfoKind::ConnectFailed
    } else if has(&[
        "lost",
        "reset",
        "aborted",
        "dropped",
        "disconnected",
        "terminated",
    ]) {
        InfoKind::LostConnection
    } else if has(&["error", "failed"]) {
        InfoKind::Error
    } else if l.starts_with("connected") {
        InfoKind::Connected
    } else {
        InfoKind::Note
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Reads the header's date: `Thu Aug 01 17:22:27` (no year: `year` is used; a trailing year is
/// honoured) or the numeric `08/01/2002 17:22:27` (month first, day first when that is the
/// only valid reading).
fn parse_started(rest: &str, year: i32) -> Option<NaiveDateTime> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let clock_at = words.iter().position(|w| parse_clock(w).is_some())?;
    let clock = parse_clock(words[clock_at])?;
    let before = &words[..clock_at];
    let date = match before {
        [.., month, day] => month_day(month, day, words.get(clock_at + 1), year),
        _ => None,
    };
    let date = match (date, before.last()) {
        (Some(d), _) => d,
        (None, Some(numeric)) => numeric_date(numeric)?,
        (None, None) => return None,
    };
    Some(date.and_time(clock))
}

/// `Aug` `01`, with the year after the clock when there is one.
fn month_day(month: &str, day: &str, after: Option<&&str>, year: i32) -> Option<NaiveDate> {
    let m3 = month.get(..3)?;
    let month = MONTHS.iter().position(|m| m3.eq_ignore_ascii_case(m))? as u32 + 1;
    let year = after
        .filter(|y| y.len() == 4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(year);
    NaiveDate::from_ymd_opt(year, month, day.parse().ok()?)
}

/// `mm/dd/yyyy` (or `dd/mm/yyyy` when only that is a valid date); two-digit years are 19xx/20xx.
fn numeric_date(s: &str) -> Option<NaiveDate> {
    let parts: Vec<u32> = s
        .split(['/', '.', '-'])
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [a, b, y] = parts[..] else { return None };
    let y = match y {
        0..=69 => 2000 + y,
        70..=99 => 1900 + y,
        _ => y,
    } as i32;
    NaiveDate::from_ymd_opt(y, a, b).or_else(|| NaiveDate::from_ymd_opt(y, b, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrapper::Wrapper;

    fn run(lines: &[&str]) -> Vec<Record> {
        let mut p = Parser::default();
        p.set_year(2008);
        let mut out = Vec::new();
        for (i, text) in lines.iter().enumerate() {
            let line = InputLine {
                number: i as u64 + 1,
                text,
                wrapper: Wrapper::default(),
            };
            p.parse(&line, &mut out);
        }
        p.finish(&mut out);
        out
    }

    #[test]
    fn header_dates() {
        let d = parse_started("Thu Aug 01 17:22:27", 1996).unwrap();
        assert_eq!(d.to_string(), "1996-08-01 17:22:27");
        let d = parse_started("Fri Mar 14 23:41:05 2008", 1999).unwrap();
        assert_eq!(d.to_string(), "2008-03-14 23:41:05");
        let d = parse_started("03/14/2008 23:41:05", 1999).unwrap();
        assert_eq!(d.to_string(), "2008-03-14 23:41:05");
        let d = parse_started("14/03/08 23:41:05", 1999).unwrap();
        assert_eq!(d.to_string(), "2008-03-14 23:41:05");
        assert!(parse_started("Foo Bar 99 23:41:05", 1999).is_none());
        assert!(parse_started("", 1999).is_none());
    }

    #[test]
    fn srv_addr_completes_the_server_name() {
        let recs = run(&[
            "SMTP: 10:00:00 [db] Connecting to 'smtp.example.net' on port 25.",
            "SMTP: 10:00:00 [db] srv_addr = 192.0.2.25",
            "SMTP: 10:00:01 [rx] 220 smtp.example.net ready",
        ]);
        let servers: Vec<_> = recs
            .iter()
            .filter_map(|r| match &r.item {
                Item::Peers { server, .. } => server.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(servers, ["smtp.example.net[192.0.2.25]:25"]);
    }

    #[test]
    fn a_file_ending_at_connecting_still_names_the_server() {
        let recs = run(&["", "[db] Connecting to 'smtp.example.net'."]);
        let last = recs.last().unwrap();
        assert_eq!(last.line, 2);
        assert!(matches!(&last.item, Item::Peers { server: Some(s), .. } if s == "smtp.example.net"));
    }

    #[test]
    fn restart_inside_a_connection_cuts_it_off() {
        let recs = run(&[
            "SMTP Log started at Fri Mar 14 23:41:05",
            "SMTP: 23:41:06 [db] Connecting to 'smtp.example.net'.",
            "SMTP: 23:41:07 [rx] 220 smtp.example.net ready",
            "Microsoft Outlook Express 4.72.3110.1",
            "SMTP Log started at Fri Mar 14 23:50:00",
        ]);
        let kinds: Vec<_> = recs.iter().map(|r| &r.item).collect();
        assert!(matches!(
            kinds[kinds.len() - 2],
            Item::Info(InfoKind::LostConnection, _)
        ));
        assert_eq!(kinds.last(), Some(&&Item::End));
        assert!(!recs.iter().any(|r| matches!(r.item, Item::Unparsed(_))));
    }

    #[test]
    fn lone_dot_only_after_an_empty_tx() {
        let recs = run(&["[tx] DATA", "[rx] 354 go ahead", "[tx]", ".", "."]);
        let client: Vec<_> = recs
            .iter()
            .filter_map(|r| match &r.item {
                Item::Client(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(client, ["DATA", "."]);
        assert!(matches!(recs.last().map(|r| &r.item), Some(Item::Unparsed(_))));
    }

    #[test]
    fn note_wording() {
        assert_eq!(note_kind("Connection to 'x' closed."), InfoKind::Closed);
        assert_eq!(note_kind("Host 'x' could not be found."), InfoKind::ConnectFailed);
        assert_eq!(note_kind("Connection to 'x' timed out."), InfoKind::Timeout);
        assert_eq!(note_kind("Connected to host."), InfoKind::Connected);
        assert_eq!(note_kind("Socket error 10053"), InfoKind::Error);
    }
}
