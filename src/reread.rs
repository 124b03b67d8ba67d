//! Reading a settled session back from its file: the viewer keeps big logs' sessions as
//! [`SessionRow`]s and rebuilds the full session (events, explanations, summary) only when it
//! is shown, by parsing the session's own lines again with the same format. The file is only
//! read, never written or locked.

use crate::formats::Format;
use crate::load::{LoadOptions, Pipeline};
use crate::model::{checkpoint_line, Event, EventKind, InfoKind, RowArena, RowHead, Session, SessionRow};
use crate::source::LineReader;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

/// Where and how one source's sessions are read again.
pub struct Reread {
    pub path: PathBuf,
    pub name: Arc<str>,
    pub format: &'static dyn Format,
    pub year: i32,
}

impl std::fmt::Debug for Reread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reread({}, {})", self.path.display(), self.format.name())
    }
}

impl Reread {
    /// The full session for `row`. When the file can no longer be read as it was (deleted,
    /// truncated, rewritten), the session says so in a note and keeps the row's status.
    pub fn session(&self, row: &SessionRow, arena: &RowArena) -> Session {
        let extra = arena.extra(row);
        let head = row.head(arena);
        match self.parse_lines(row, &head, &extra.lines) {
            Ok(Some(mut s)) => {
                s.id = extra.id;
                s
            }
            Ok(None) => self.stub(
                row,
                &head,
                extra.id,
                "its lines are no longer in the file as they were".into(),
            ),
            Err(e) => self.stub(row, &head, extra.id, e.to_string()),
        }
    }

    fn parse_lines(
        &self,
        row: &SessionRow,
        head: &RowHead,
        wanted: &[u64],
    ) -> std::io::Result<Option<Session>> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(head.scan_from))?;
        let mut lines = LineReader::starting_at(
            BufReader::with_capacity(64 * 1024, file),
            checkpoint_line(row.first_line),
            head.scan_from,
        );
        let opts = LoadOptions {
            format: Some(self.format),
            year: Some(self.year),
        };
        let mut pipe = Pipeline::new(self.name.clone(), &opts, self.year);
        let mut want = wanted.iter().copied().peekable();
        while want.peek().is_some() {
            let Some(line) = lines.next_line()? else { break };
            while want.next_if(|&w| w < line.number).is_some() {}
            if want.next_if_eq(&line.number).is_some() {
                pipe.feed(line.number, line.bytes, line.truncated)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
            }
        }
        let (sessions, _) = pipe.finish().map_err(|e| std::io::Error::other(e.to_string()))?;
        // The lines may hold the ends of neighbouring sessions too (a line that ended one
        // connection and began the next): the one wanted starts where the row does.
        Ok(sessions.into_iter().find(|s| s.first_line == row.first_line))
    }

    /// The numbers of the lines of the file that contain any of `needles` (lowercase),
    /// ignoring case: one pass over the file, so a text filter over a million compact rows
    /// reads the file once instead of reading every session back.
    /// Also returns the last line searched (a growing file has more later).
    pub fn lines_containing(&self, needles: &[&str]) -> std::io::Result<(Vec<Vec<u64>>, u64)> {
        let file = File::open(&self.path)?;
        let mut lines = LineReader::new(BufReader::with_capacity(256 * 1024, file));
        // A case-insensitive literal regex scans bytes with SIMD prefilters: a gigabyte in
        // about a second, where lowercasing every line took several.
        let patterns: Vec<regex::bytes::Regex> = needles
            .iter()
            .map(|n| {
                regex::bytes::RegexBuilder::new(&regex::escape(n))
                    .case_insensitive(true)
                    .build()
                    .map_err(std::io::Error::other)
            })
            .collect::<Result<_, _>>()?;
        let mut found = vec![Vec::new(); needles.len()];
        let mut last = 0;
        while let Some(line) = lines.next_line()? {
            last = line.number;
            for (n, p) in patterns.iter().enumerate() {
                if p.is_match(line.bytes) {
                    found[n].push(line.number);
                }
            }
        }
        Ok((found, last))
    }

    fn stub(&self, row: &SessionRow, head: &RowHead, id: String, why: String) -> Session {
        let mut s = Session::new(self.name.clone(), self.format.name(), id, row.first_line);
        s.last_line = head.last_line;
        s.start = head.start;
        s.end = head.end;
        s.closed = row.closed();
        let text = format!(
            "smtpscope could not read lines {}–{} of {} again: {why}",
            row.first_line,
            head.last_line,
            self.path.display()
        );
        s.events.push(Event::new(
            row.first_line,
            None,
            crate::model::Direction::Info,
            EventKind::Info(InfoKind::Error),
            text,
        ));
        s.verdict.status = row.status;
        s.verdict.outcome = row.outcome;
        s.summary = format!("({})", s.events[0].text);
        s
    }
}

/// Builds rows while a file is read: notes where every [`CHECKPOINT_EVERY`]th line starts, so
/// each row knows where reading it again begins.
///
/// [`CHECKPOINT_EVERY`]: crate::model::CHECKPOINT_EVERY
#[derive(Default)]
pub struct RowBuilder {
    checkpoints: Vec<u64>,
}

impl RowBuilder {
    /// Call for every line read, in order.
    pub fn line(&mut self, number: u64, offset: u64) {
        if number % crate::model::CHECKPOINT_EVERY == 1 {
            self.checkpoints.push(offset);
        }
    }

    /// The row of a settled session; its id, replies and lines go to `arena`.
    pub fn row(&self, settled: &crate::assemble::Settled, arena: &mut RowArena) -> SessionRow {
        let at = (checkpoint_line(settled.session.first_line) / crate::model::CHECKPOINT_EVERY) as usize;
        let scan_from = self.checkpoints.get(at).copied().unwrap_or(0);
        SessionRow::new(&settled.session, &settled.lines, scan_from, arena)
    }
}
