//! Reading a settled session back from its file: the viewer keeps big logs' sessions as
//! [`SessionRow`]s and rebuilds the full session (events, explanations, summary) only when it
//! is shown, by parsing the session's own lines again with the same format. The file is only
//! read, never written or locked.

use crate::formats::Format;
use crate::load::{LoadOptions, Pipeline};
use crate::model::{
    checkpoint_line, Event, EventKind, InfoKind, RowArena, RowHead, Session, SessionRow, CHECKPOINT_EVERY,
};
use crate::source::follow::FileHistory;
use crate::source::gzip_index::{GzIndex, GzReader};
use crate::source::spool::Spool;
use crate::source::LineReader;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Where and how one source's sessions are read again.
pub struct Reread {
    pub path: PathBuf,
    pub name: Arc<str>,
    pub format: &'static dyn Format,
    pub year: i32,
    /// Where reading back starts (shared with the loader's [`RowBuilder`]).
    pub checkpoints: Arc<Checkpoints>,
    /// How the bytes are found again.
    pub back: ReadBack,
}

/// Where a source's bytes are read again.
#[derive(Debug, Clone)]
pub enum ReadBack {
    /// The file itself, at an offset.
    Plain,
    /// A gzip file, decoding resumed from the states noted while it loaded.
    Gzip(Arc<GzIndex>),
    /// Standard input, as kept while it was read.
    Spool(Arc<Spool>),
    /// A followed name: the files it has had, as far as the follower read them.
    Followed(Arc<FileHistory>),
}

impl ReadBack {
    /// The bytes of `path` (unless kept) from decoded offset `at`.
    fn open_at(&self, path: &std::path::Path, at: u64) -> std::io::Result<Box<dyn Read>> {
        Ok(match self {
            ReadBack::Plain => {
                let mut file = File::open(path)?;
                file.seek(SeekFrom::Start(at))?;
                Box::new(file)
            }
            ReadBack::Gzip(index) => Box::new(GzReader::resume(path, index, at)?),
            ReadBack::Spool(spool) => Box::new(spool.reader_at(at)),
            ReadBack::Followed(history) => Box::new(history.reader_at(at)),
        })
    }

    /// Where reading line `line` back starts, from the checkpoint before it.
    fn start_for(&self, line: u64, checkpoint: (u64, u64)) -> (u64, u64) {
        match self {
            ReadBack::Followed(history) => history.start_for(line, checkpoint),
            _ => checkpoint,
        }
    }
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
        match self.parse_lines(row, &extra.lines) {
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

    fn parse_lines(&self, row: &SessionRow, wanted: &[u64]) -> std::io::Result<Option<Session>> {
        let checkpoint = self.checkpoints.start_for(row.first_line);
        let (first, offset) = self.back.start_for(row.first_line, checkpoint);
        let from = self.back.open_at(&self.path, offset)?;
        let mut lines = LineReader::starting_at(BufReader::with_capacity(64 * 1024, from), first, offset);
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
        // Plain or gzip, read from the start; or as kept or followed.
        let from: Box<dyn std::io::BufRead> = match &self.back {
            ReadBack::Plain | ReadBack::Gzip(_) => {
                crate::source::open(&crate::source::Input::File(self.path.clone()))?
            }
            ReadBack::Spool(spool) => Box::new(BufReader::with_capacity(256 * 1024, spool.reader_at(0))),
            ReadBack::Followed(history) => Box::new(BufReader::with_capacity(
                256 * 1024,
                history.reader_skipping_lost(),
            )),
        };
        let mut lines = LineReader::new(from);
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

/// The row of a settled session, evaluated here (status only: a row has no summary, it is
/// read back to be shown); its id, replies and lines go to `arena`.
pub fn settled_row(settled: &mut crate::assemble::Settled, arena: &mut RowArena) -> SessionRow {
    settled.session.evaluate_status();
    SessionRow::new(&settled.session, &settled.lines, arena)
}

/// How one source's rows will be read back, gathered while it is read: where its bytes are,
/// and where every [`CHECKPOINT_EVERY`]th line starts. The [`Reread`] is made once the format
/// is known (with the first rows) and shares the checkpoints noted after it.
pub struct RereadPlan {
    path: PathBuf,
    name: Arc<str>,
    year: i32,
    back: ReadBack,
    builder: RowBuilder,
    made: Option<Arc<Reread>>,
}

impl RereadPlan {
    pub fn new(path: PathBuf, name: Arc<str>, year: i32, back: ReadBack) -> Self {
        RereadPlan {
            path,
            name,
            year,
            back,
            builder: RowBuilder::default(),
            made: None,
        }
    }

    /// Call for every line read, in order.
    pub fn line(&mut self, number: u64, offset: u64) {
        self.builder.line(number, offset);
    }

    /// The bytes are found elsewhere (before any row is made): a gzip file read through an
    /// index, say.
    pub fn read_back_from(&mut self, back: ReadBack) {
        self.back = back;
    }

    /// The source's [`Reread`], made the first time.
    pub fn reread(&mut self, format: &'static dyn Format) -> Arc<Reread> {
        self.made
            .get_or_insert_with(|| {
                Arc::new(Reread {
                    path: self.path.clone(),
                    name: self.name.clone(),
                    format,
                    year: self.year,
                    checkpoints: self.builder.checkpoints(),
                    back: self.back.clone(),
                })
            })
            .clone()
    }
}

/// Builds rows while a file is read: notes where every [`CHECKPOINT_EVERY`]th line starts, so
/// each row can be read again from there.
#[derive(Default)]
pub struct RowBuilder {
    checkpoints: Arc<Checkpoints>,
}

impl RowBuilder {
    /// Call for every line read, in order.
    pub fn line(&mut self, number: u64, offset: u64) {
        if number % CHECKPOINT_EVERY == 1 {
            self.checkpoints.push(offset);
        }
    }

    /// The offsets noted so far and from now on, for the [`Reread`] of this file's rows.
    pub fn checkpoints(&self) -> Arc<Checkpoints> {
        self.checkpoints.clone()
    }
}

/// The byte offset of every [`CHECKPOINT_EVERY`]th line of a file, noted while it loads:
/// where reading a row back starts. One word per 1,024 lines, shared by all the file's rows
/// instead of a word in each.
#[derive(Debug, Default)]
pub struct Checkpoints(RwLock<Vec<u64>>);

impl Checkpoints {
    fn push(&self, offset: u64) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).push(offset);
    }

    /// Where reading a session that begins at `first_line` starts: line number and byte
    /// offset (the file's start when that checkpoint was never noted).
    pub fn start_for(&self, first_line: u64) -> (u64, u64) {
        let line = checkpoint_line(first_line);
        let at = ((line - 1) / CHECKPOINT_EVERY) as usize;
        let noted = self.0.read().unwrap_or_else(|e| e.into_inner()).get(at).copied();
        noted.map_or((1, 0), |offset| (line, offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows find where reading back starts from the offsets the builder noted, including
    /// offsets noted after the reread was made; a line never noted starts at the top.
    #[test]
    fn checkpoints_give_the_noted_line_and_offset() {
        let mut builder = RowBuilder::default();
        let shared = builder.checkpoints();
        for n in 1..=2048u64 {
            builder.line(n, n * 100);
        }
        assert_eq!(shared.start_for(1), (1, 100));
        assert_eq!(shared.start_for(1024), (1, 100));
        assert_eq!(shared.start_for(1025), (1025, 102_500));
        assert_eq!(shared.start_for(2048), (1025, 102_500));
        assert_eq!(shared.start_for(2049), (1, 0));
        builder.line(2049, 7 << 33);
        assert_eq!(shared.start_for(3000), (2049, 7 << 33));
    }
}
