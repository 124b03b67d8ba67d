//! The parsing side of one followed input: lines in, session updates out.

use super::{notice, Hangup};
use crate::feed::{Update, PUBLISH_EVERY};
use crate::load::{self, LoadError, LoadOptions, Pipeline};
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
}

impl LiveSource {
    pub(super) fn new(n: usize, input: &Input, opts: &LoadOptions) -> Self {
        LiveSource::settling_after(n, input, opts, load::STREAM_WINDOW)
    }

    /// A source whose sessions idle for `window` lines are sent final and forgotten, as
    /// streaming does: a tail left running on a busy server (or started on a big file) holds
    /// the sessions of the last `window` lines, not every session it ever read.
    fn settling_after(n: usize, input: &Input, opts: &LoadOptions, window: u64) -> Self {
        let name: Arc<str> = Arc::from(input.name());
        let mut pipe = Pipeline::new(name.clone(), opts, load::input_year(input));
        pipe.settle_tracking_changes(window);
        LiveSource {
            n,
            pipe,
            name,
            lines: 0,
            bytes: 0,
            failed: false,
            published_lines: 0,
            last_publish: Instant::now(),
        }
    }

    /// Feeds one complete line. An error ends the source; its message is returned once.
    pub(super) fn line(&mut self, bytes: &[u8], truncated: bool, forced_format: bool) -> Option<String> {
        if self.failed {
            return None;
        }
        self.lines += 1;
        self.bytes += bytes.len() as u64 + 1;
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
        for mut s in self.pipe.take_settled_lines() {
            s.session.evaluate();
            tx.send(Update::Session {
                source: self.n,
                index: s.index,
                session: Box::new(s.session),
            })
            .map_err(|_| Hangup)?;
        }
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
        let (n, bytes) = (self.n, self.bytes);
        match self.pipe.finish_settled() {
            // The sessions not sent final yet (the others settled while reading).
            Ok((settled, report)) => {
                for mut s in settled {
                    s.session.evaluate();
                    tx.send(Update::Session {
                        source: n,
                        index: s.index,
                        session: Box::new(s.session),
                    })
                    .map_err(|_| Hangup)?;
                }
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

/// Pushes `chunk` through `split` into `src`, sending any error as a problem.
pub(super) fn feed_chunk(
    src: &mut LiveSource,
    split: &mut LineSplitter,
    chunk: &[u8],
    forced: bool,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    split.push(chunk, |line, cut| match src.line(line, cut, forced) {
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
    split.finish(|line, cut| match src.line(line, cut, forced) {
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
        let mut src = LiveSource::settling_after(0, &Input::Stdin, &opts, window);
        for (i, line) in log.lines().enumerate() {
            assert!(src.line(line.as_bytes(), false, false).is_none());
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
