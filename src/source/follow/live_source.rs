//! The parsing side of one followed input: lines in, session updates out.

use super::{notice, Hangup};
use crate::assemble::Settled;
use crate::feed::{Update, PUBLISH_EVERY};
use crate::formats::Format;
use crate::load::{self, LoadError, LoadOptions, Pipeline};
use crate::model::RowArena;
use crate::reread::{settled_row, ReadBack, Reread, RowBuilder};
use crate::source::lines::LineSplitter;
use crate::source::{looks_binary, Input};
use std::path::PathBuf;
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
    /// Settled sessions go out as compact rows (for the viewer).
    compact: Option<Compact>,
}

/// How a followed input's settled sessions become rows: where their lines are read again.
struct Compact {
    path: PathBuf,
    year: i32,
    back: ReadBack,
    builder: RowBuilder,
    /// Made with the first rows (the format is known by then).
    reread: Option<Arc<Reread>>,
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
            Compact {
                path: match input {
                    Input::File(p) => p.clone(),
                    Input::Stdin => "-".into(),
                },
                year: opts.year.unwrap_or(year),
                back,
                builder: RowBuilder::default(),
                reread: None,
            }
        });
        if compact.is_none() {
            pipe.settle_tracking_changes(window);
        }
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
            c.back = back;
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
            c.builder.line(self.lines, offset);
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
    pub(super) fn publish(&mut self, tx: &Sender<Update>, total: Option<u64>) -> Result<(), Hangup> {
        self.last_publish = Instant::now();
        if self.failed || !self.pipe.try_detect() {
            return Ok(());
        }
        // Settled sessions are final: sent once more, evaluated, and no longer held here.
        let settled = self.pipe.take_settled_lines();
        send_settled(
            self.n,
            &self.name,
            self.compact.as_mut(),
            self.pipe.format(),
            settled,
            tx,
        )?;
        for index in self.pipe.take_changed() {
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
        let (n, bytes, name, mut compact) = (self.n, self.bytes, self.name, self.compact);
        let mut pipe = self.pipe;
        pipe.try_detect();
        let format = pipe.format();
        match pipe.finish_settled() {
            // The sessions not sent final yet (the others settled while reading).
            Ok((settled, report)) => {
                send_settled(n, &name, compact.as_mut(), format, settled, tx)?;
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
    name: &Arc<str>,
    compact: Option<&mut Compact>,
    format: Option<&'static dyn Format>,
    mut settled: Vec<Settled>,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    if settled.is_empty() {
        return Ok(());
    }
    let Some((c, format)) = compact.zip(format.filter(|f| f.reads_back_alone())) else {
        for mut s in settled {
            s.session.evaluate();
            tx.send(Update::Session {
                source: n,
                index: s.index,
                session: Box::new(s.session),
            })
            .map_err(|_| Hangup)?;
        }
        return Ok(());
    };
    let reread = c
        .reread
        .get_or_insert_with(|| {
            Arc::new(Reread {
                path: c.path.clone(),
                name: name.clone(),
                format,
                year: c.year,
                checkpoints: c.builder.checkpoints(),
                back: c.back.clone(),
            })
        })
        .clone();
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
                src.publish(&tx, None).ok().expect("the receiver is here");
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
        let mut streamed = Vec::new();
        let name: Arc<str> = Arc::from("-");
        load::stream_reader(
            name,
            log.as_bytes(),
            &opts,
            load::input_year(&Input::Stdin),
            window,
            &mut |b| {
                streamed.extend(b);
                Ok(())
            },
        )
        .expect("streams");
        assert!(streamed.len() >= 3000, "{} sessions", streamed.len());
        let json = |s: &[Session]| -> Vec<String> {
            s.iter()
                .map(|s| crate::output::json::session_json(s, false))
                .collect()
        };
        assert_eq!(json(&live), json(&streamed));
    }
}
