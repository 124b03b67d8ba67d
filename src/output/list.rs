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
pub fn session_line(s: &Session) -> String {
    let start = s.start.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
    let code = s
        .decisive_code()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "-".into());
    let peers = s.peers();
    let peers = if peers.is_empty() {
        format!("{}:{}", s.format, s.id)
    } else {
        peers
    };
    let line = format!(
        "{start:<23} {:<4} {peers:<32} {code:<9} {}",
        status_word(s.status()),
        s.summary
    );
    match escape_controls(&line) {
        std::borrow::Cow::Borrowed(_) => line,
        std::borrow::Cow::Owned(safe) => safe,
    }
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
