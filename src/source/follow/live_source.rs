//! The parsing side of one followed input: lines in, session updates out.

use super::{notice, Hangup};
use crate::assemble::Settled;
use crate::feed::{final_session, Update, PUBLISH_EVERY};
use crate::formats::Format;
use crate::load::{self, LoadError, LoadOptions, Pipeline};
use crate::model::RowArena;
use crate::reread::{settled_row, ReadBack, RereadPlan};
use crate::source::lines::LineSplitter;
use crate::source::{looks_binary, Input};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

/// The parsing side of one followed input.
pub(super) struct LiveSource {
    pub(super) n: usize,
    pub(super) name: Arc<str>,
    pipe: Pipeline,
    lines: u64,
    bytes: u64,
    /// Reading stopped for good (binary data, unknown format); the message was sent.
    pub(super) failed: bool,
    published_lines: u64,
    last_publish: Instant,
    /// Settled sessions go out as compact rows (for the viewer), read back as planned.
    compact: Option<RereadPlan>,
    /// Sessions in progress were not sent while reading a backlog (see [`LiveSource::publish`]):
    /// the ones held are sent once caught up.
    resync: bool,
}

impl LiveSource {
    /// `back`: settled sessions are sent as compact rows, their lines read again from there
    /// when shown; `None` sends them whole.
    pub(super) fn new(n: usize, input: &Input, opts: &LoadOptions, back: Option<ReadBack>) -> Self {
        LiveSource::settling_after(n, input, opts, load::STREAM_WINDOW, back)
    }

    /// A source whose sessions idle for `window` lines are sent final and forgotten, as
    /// streaming does: a tail left running on a busy server (or started on a big file) holds
    /// the sessions of the last `window` lines, not every session it ever read.
    pub(super) fn settling_after(
        n: usize,
        input: &Input,
        opts: &LoadOptions,
        window: u64,
        back: Option<ReadBack>,
    ) -> Self {
        let name: Arc<str> = Arc::from(input.name());
        let year = load::input_year(input);
        let mut pipe = Pipeline::new(name.clone(), opts, year);
        let compact = back.map(|back| {
            pipe.settle_keeping_lines(window);
            let path = match input {
                Input::File(p) => p.clone(),
                Input::Stdin => "-".into(),
            };
            RereadPlan::new(path, name.clone(), opts.year.unwrap_or(year), back)
        });
        if compact.is_none() {
            pipe.settle_tracking_changes(window);
        }
        // A big file is read from its start: parsing on a second thread speeds catching up.
        pipe.parse_in_background();
        LiveSource {
            n,
            pipe,
            name,
            lines: 0,
            bytes: 0,
            failed: false,
            published_lines: 0,
            last_publish: Instant::now(),
            compact,
            resync: false,
        }
    }

    /// Lines fed so far: the stream's number of the last one.
    pub(super) fn lines(&self) -> u64 {
        self.lines
    }

    /// Rows are read back from `back` instead (a gzip file read once, through an index),
    /// when they are made at all.
    pub(super) fn read_back_from(&mut self, back: ReadBack) {
        if let Some(c) = self.compact.as_mut() {
            c.read_back_from(back);
        }
    }

    /// Feeds one complete line, which starts at `offset` in the stream. An error ends the
    /// source; its message is returned once.
    pub(super) fn line(
        &mut self,
        bytes: &[u8],
        truncated: bool,
        forced_format: bool,
        offset: u64,
    ) -> Option<String> {
        if self.failed {
            return None;
        }
        self.lines += 1;
        self.bytes += bytes.len() as u64 + 1;
        if let Some(c) = self.compact.as_mut() {
            c.line(self.lines, offset);
        }
        if self.lines == 1 && !forced_format && looks_binary(bytes) {
            self.failed = true;
            return Some(
                LoadError::Binary {
                    name: self.name.to_string(),
                }
                .to_string(),
            );
        }
        match self.pipe.feed(self.lines, bytes, truncated) {
            Ok(()) => None,
            Err(e) => {
                self.failed = true;
                Some(e.to_string())
            }
        }
    }

    /// Sends every session created or changed since the last publish, and a report when lines
    /// were read. Detection runs on what is held, so short logs show before 200 lines.
    ///
    /// `behind`: more is waiting to be read (a backlog, such as a big file read from its
    /// start). Sessions in progress are then neither evaluated nor sent: each arrives once
    /// final (a row, when compacted), as when a big file loads or streams; copying and
    /// evaluating every session while it grows cost more than reading it. Once caught up,
    /// every session still in progress is sent.
    pub(super) fn publish(
        &mut self,
        tx: &Sender<Update>,
        total: Option<u64>,
        behind: bool,
    ) -> Result<(), Hangup> {
        self.last_publish = Instant::now();
        self.pipe.catch_up();
        if self.failed || !self.pipe.try_detect() {
            return Ok(());
        }
        // Settled sessions are final: sent once more, evaluated, and no longer held here.
        let settled = self.pipe.take_settled_lines();
        send_settled(self.n, self.compact.as_mut(), self.pipe.format(), settled, tx)?;
        let changed = if behind {
            self.pipe.forget_changed();
            self.resync = true;
            Vec::new()
        } else {
            if std::mem::take(&mut self.resync) {
                self.pipe.mark_held_changed();
            }
            self.pipe.take_changed()
        };
        for index in changed {
            let Some(session) = self.pipe.session(index) else {
                continue;
            };
            let session = Box::new(session.clone());
            tx.send(Update::Session {
                source: self.n,
                index,
                session,
            })
            .map_err(|_| Hangup)?;
        }
        if self.published_lines != self.lines {
            self.published_lines = self.lines;
            tx.send(Update::Report {
                source: self.n,
                report: self.pipe.report().clone(),
                bytes_read: self.bytes,
                bytes_total: total,
            })
            .map_err(|_| Hangup)?;
        }
        Ok(())
    }

    pub(super) fn due(&self) -> bool {
        self.last_publish.elapsed() >= PUBLISH_EVERY
    }

    /// The input ended: flush the parser and send every session in its final state.
    pub(super) fn end(self, tx: &Sender<Update>) -> Result<(), Hangup> {
        if self.failed {
            return Ok(());
        }
        let (n, bytes, mut compact) = (self.n, self.bytes, self.compact);
        let mut pipe = self.pipe;
        pipe.try_detect();
        let format = pipe.format();
        match pipe.finish_settled() {
            // The sessions not sent final yet (the others settled while reading).
            Ok((settled, report)) => {
                send_settled(n, compact.as_mut(), format, settled, tx)?;
                tx.send(Update::Report {
                    source: n,
                    report,
                    bytes_read: bytes,
                    bytes_total: Some(bytes),
                })
                .map_err(|_| Hangup)
            }
            Err(e) => notice(tx, e.to_string()),
        }
    }
}

/// Sends settled sessions, evaluated: as one batch of rows when they are compacted and their
/// format reads back alone, else whole.
fn send_settled(
    n: usize,
    compact: Option<&mut RereadPlan>,
    format: Option<&'static dyn Format>,
    mut settled: Vec<Settled>,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    if settled.is_empty() {
        return Ok(());
    }
    let Some((c, format)) = compact.zip(format.filter(|f| f.reads_back_alone())) else {
        for s in settled {
            tx.send(final_session(n, s)).map_err(|_| Hangup)?;
        }
        return Ok(());
    };
    let reread = c.reread(format);
    let mut arena = RowArena::new();
    let rows = settled
        .iter_mut()
        .map(|s| (s.index, settled_row(s, &mut arena)))
        .collect();
    tx.send(Update::Rows {
        source: n,
        rows,
        arena,
        reread,
    })
    .map_err(|_| Hangup)
}

/// Pushes `chunk` through `split` into `src`, sending any error as a problem.
pub(super) fn feed_chunk(
    src: &mut LiveSource,
    split: &mut LineSplitter,
    chunk: &[u8],
    forced: bool,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    split.push(chunk, |line, cut, at| match src.line(line, cut, forced, at) {
        Some(msg) => notice(tx, msg),
        None => Ok(()),
    })
}

pub(super) fn feed_rest(
    src: &mut LiveSource,
    split: &mut LineSplitter,
    forced: bool,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    split.finish(|line, cut, at| match src.line(line, cut, forced, at) {
        Some(msg) => notice(tx, msg),
        None => Ok(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Session;

    /// The sessions streaming `log` (as standard input) with `window` gives.
    fn streamed(log: &str, window: u64) -> Vec<Session> {
        let mut streamed = Vec::new();
        let year = load::input_year(&Input::Stdin);
        let opts = LoadOptions::default();
        load::stream_reader(Arc::from("-"), log.as_bytes(), &opts, year, window, &mut |b| {
            streamed.extend(b);
            Ok(())
        })
        .expect("streams");
        streamed
    }

    /// A live source settles as streaming does: the sessions it sends, last copy of each,
    /// are the sessions a streamed load gives, and the early ones are no longer held.
    #[test]
    fn settled_sessions_are_sent_final_and_forgotten() {
        let log = crate::testdata::postfix_connections(3000);
        let window = 200;
        let opts = LoadOptions::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut src = LiveSource::settling_after(0, &Input::Stdin, &opts, window, None);
        for (i, line) in log.lines().enumerate() {
            assert!(src.line(line.as_bytes(), false, false, 0).is_none());
            if i % 500 == 499 {
                src.publish(&tx, None, false).ok().expect("the receiver is here");
            }
        }
        assert!(src.pipe.session(0).is_none(), "the first session is still held");
        src.end(&tx).ok().expect("the receiver is here");
        drop(tx);
        let mut live: Vec<Option<Session>> = Vec::new();
        for u in rx {
            if let Update::Session { index, session, .. } = u {
                if live.len() <= index {
                    live.resize(index + 1, None);
                }
                live[index] = Some(*session);
            }
        }
        let live: Vec<Session> = live.into_iter().map(|s| s.expect("every index sent")).collect();
        let streamed = streamed(&log, window);
        assert!(streamed.len() >= 3000, "{} sessions", streamed.len());
        let json = |s: &[Session]| -> Vec<String> {
            s.iter()
                .map(|s| crate::output::json::session_json(s, false))
                .collect()
        };
        assert_eq!(json(&live), json(&streamed));
    }

    /// Behind a backlog, a compacted source sends settled sessions as rows and no copies of
    /// sessions in progress; caught up, it sends every session still held, so each session
    /// reaches the view once as a row or whole, as streaming gives it.
    #[test]
    fn a_backlog_sends_rows_then_the_sessions_held() {
        use crate::source::spool::{Spool, Spooling};
        let log = crate::testdata::postfix_connections(3000);
        let (window, opts) = (200, LoadOptions::default());
        let spool = Arc::new(Spool::default());
        let mut kept = Spooling::new(log.as_bytes(), spool.clone());
        std::io::copy(&mut kept, &mut std::io::sink()).expect("kept");
        let back = Some(ReadBack::Spool(spool));
        let mut src = LiveSource::settling_after(0, &Input::Stdin, &opts, window, back);
        let (tx, rx) = std::sync::mpsc::channel();
        let mut offset = 0;
        for (i, line) in log.lines().enumerate() {
            assert!(src.line(line.as_bytes(), false, false, offset).is_none());
            offset += line.len() as u64 + 1;
            if i % 500 == 499 {
                src.publish(&tx, None, true).ok().expect("the receiver is here");
            }
        }
        src.publish(&tx, None, true).ok().expect("the receiver is here");
        let behind: Vec<Update> = rx.try_iter().collect();
        assert!(behind.iter().any(|u| matches!(u, Update::Rows { .. })));
        assert!(!behind.iter().any(|u| matches!(u, Update::Session { .. })));
        let held: Vec<usize> = src.pipe.held_sessions().collect();
        assert!(held.len() > 10, "{} held", held.len());
        src.publish(&tx, None, false).ok().expect("the receiver is here");
        let mut got: Vec<Option<Session>> = Vec::new();
        let mut put = |index: usize, s: Session| {
            if got.len() <= index {
                got.resize(index + 1, None);
            }
            assert!(got[index].replace(s).is_none(), "session {index} sent twice");
        };
        let mut copied = Vec::new();
        for u in behind.into_iter().chain(rx.try_iter()) {
            match u {
                Update::Rows {
                    rows, arena, reread, ..
                } => rows
                    .into_iter()
                    .for_each(|(i, row)| put(i, reread.session(&row, &arena))),
                Update::Session { index, session, .. } => {
                    copied.push(index);
                    put(index, *session);
                }
                _ => {}
            }
        }
        assert_eq!(copied, held, "caught up, the sessions held are sent");
        let streamed = streamed(&log, window);
        let got: Vec<Session> = got.into_iter().map(|s| s.expect("every index sent")).collect();
        assert_eq!(got, streamed);
    }

    /// Printing (`-f --list`, sessions sent whole), a backlog is sent as it settles too: while
    /// behind, only final sessions go out, and caught up, the sessions held. The last copy of
    /// each is what streaming gives.
    #[test]
    fn a_backlog_printed_sends_final_sessions_then_the_sessions_held() {
        let log = crate::testdata::postfix_connections(3000);
        let window = 200;
        let mut src = LiveSource::settling_after(0, &Input::Stdin, &LoadOptions::default(), window, None);
        let (tx, rx) = std::sync::mpsc::channel();
        let mut last: Vec<Option<Session>> = Vec::new();
        let mut keep = |u: Update| {
            if let Update::Session { index, session, .. } = u {
                if last.len() <= index {
                    last.resize(index + 1, None);
                }
                last[index] = Some(*session);
            }
        };
        for (i, line) in log.lines().enumerate() {
            assert!(src.line(line.as_bytes(), false, false, 0).is_none());
            if i % 500 == 499 {
                src.publish(&tx, None, true).ok().expect("the receiver is here");
                let held = src.pipe.held_sessions();
                for u in rx.try_iter() {
                    if let Update::Session { index, .. } = &u {
                        assert!(
                            *index < held.start,
                            "session {index} sent in progress while behind"
                        );
                    }
                    keep(u);
                }
            }
        }
        src.publish(&tx, None, false).ok().expect("the receiver is here");
        let held: Vec<usize> = src.pipe.held_sessions().collect();
        let sent: Vec<usize> = rx
            .try_iter()
            .filter_map(|u| match u {
                Update::Session { index, .. } => {
                    let i = index;
                    keep(u);
                    Some(i)
                }
                _ => None,
            })
            .collect();
        assert!(
            held.iter().all(|i| sent.contains(i)),
            "caught up, the sessions held are sent"
        );
        src.end(&tx).ok().expect("the receiver is here");
        drop(tx);
        rx.into_iter().for_each(&mut keep);
        let got: Vec<Session> = last.into_iter().map(|s| s.expect("every index sent")).collect();
        assert_eq!(got, streamed(&log, window));
    }
}
