//! `--list`: one line per session, for humans reading a pipe or a pager.

use crate::load::Loaded;
use crate::model::{Session, Status};
use crate::sanitize::escape_controls;
use std::io::{self, Write};

/// The status word as a fixed-width column.
pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Success => "OK",
        Status::Failure => "FAIL",
        Status::Partial => "PART",
        Status::Open => "OPEN",
    }
}

/// One line: start, status, peers, decisive code, summary.
///
/// Written piece by piece into one buffer: `--list` of a big log prints a million of these,
/// and `format!` with padded arguments cost a tenth of the whole run.
pub fn session_line(s: &Session) -> String {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(96 + s.summary.len());
    match s.start {
        Some(t) => t.push_to(&mut line),
        None => line.push('-'),
    }
    pad(&mut line, 0, 23);
    line.push(' ');
    let at = line.len();
    line.push_str(status_word(s.status()));
    pad(&mut line, at, 4);
    line.push(' ');
    let at = line.len();
    s.write_peers(&mut line);
    if line.len() == at {
        line.push_str(s.format);
        line.push(':');
        line.push_str(&s.id);
    }
    pad(&mut line, at, 32);
    line.push(' ');
    let at = line.len();
    match s.decisive_code() {
        Some(c) => {
            let _ = write!(line, "{c}");
        }
        None => line.push('-'),
    }
    pad(&mut line, at, 9);
    line.push(' ');
    line.push_str(&s.summary);
    match escape_controls(&line) {
        std::borrow::Cow::Borrowed(_) => line,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

/// Pads what was written from `from` on to `width` characters, as `{:<width}` does.
fn pad(line: &mut String, from: usize, width: usize) {
    let written = line[from..].chars().count();
    line.extend(std::iter::repeat_n(' ', width.saturating_sub(written)));
}

/// Writes the list and a footer with counts per status and unparsed lines.
pub fn write(out: &mut impl Write, loaded: &Loaded, sessions: &[&Session]) -> io::Result<()> {
    for s in sessions {
        writeln!(out, "{}", session_line(s))?;
    }
    writeln!(out, "{}", footer(loaded, sessions))
}

/// Sessions counted per status as they are printed, for the footer; streamed and live output
/// never hold the whole list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub success: u64,
    pub failure: u64,
    pub partial: u64,
    pub open: u64,
}

impl Tally {
    pub fn add(&mut self, s: Status) {
        match s {
            Status::Success => self.success += 1,
            Status::Failure => self.failure += 1,
            Status::Partial => self.partial += 1,
            Status::Open => self.open += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.success + self.failure + self.partial + self.open
    }

    /// `12 sessions: 9 OK, 2 FAIL, 1 PART, 0 OPEN; 3 unparsed lines`.
    pub fn footer(&self, unparsed: u64) -> String {
        let mut f = format!(
            "{} sessions: {} OK, {} FAIL, {} PART, {} OPEN",
            self.total(),
            self.success,
            self.failure,
            self.partial,
            self.open
        );
        if unparsed > 0 {
            f.push_str(&format!("; {unparsed} unparsed lines"));
        }
        f
    }
}

/// The footer for `sessions` out of everything `loaded`.
pub fn footer(loaded: &Loaded, sessions: &[&Session]) -> String {
    let mut tally = Tally::default();
    for s in sessions {
        tally.add(s.status());
    }
    tally.footer(loaded.unparsed_count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Direction, Event, EventKind, ReplyCode, Timestamp};

    /// The columns as `format!` pads them: what the hand-written line must equal.
    fn padded_by_format(s: &Session) -> String {
        let start = s.start.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
        let code = s
            .decisive_code()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let peers = match s.peers() {
            p if p.is_empty() => format!("{}:{}", s.format, s.id),
            p => p,
        };
        let line = format!(
            "{start:<23} {:<4} {peers:<32} {code:<9} {}",
            status_word(s.status()),
            s.summary
        );
        escape_controls(&line).into_owned()
    }

    #[test]
    fn columns_pad_by_characters_as_format_does() {
        let peers = [
            (None, None),
            (Some("mail.example.net[192.0.2.1]"), None),
            (None, Some("mx1")),
            (Some("ünïcödé.example[192.0.2.7]"), Some("mx1")),
            (
                Some("a-very-long-client-name.example.org[203.0.113.250]"),
                Some("mx1.example.net"),
            ),
            (Some(""), None),
        ];
        for (i, (client, server)) in peers.into_iter().enumerate() {
            let mut s = Session::new("t".into(), "postfix", format!("smtpd[{i}]"), 1);
            s.client = client.map(str::to_owned);
            s.server = server.map(str::to_owned);
            if i % 2 == 1 {
                s.start = crate::model::parse_iso_local("2026-11-22T10:00:01.250").map(Timestamp::local);
                let mut ev = Event::new(
                    2,
                    None,
                    Direction::Server,
                    EventKind::Reply,
                    "535 5.7.8 no".into(),
                );
                ev.code = Some(ReplyCode {
                    basic: 535,
                    enhanced: crate::model::Enhanced::parse_prefix("5.7.8").map(|(e, _)| e),
                });
                s.events.push(ev);
            }
            s.evaluate();
            s.summary.push_str(" \u{1b}[31m");
            assert_eq!(session_line(&s), padded_by_format(&s), "{client:?} {server:?}");
        }
    }
}
