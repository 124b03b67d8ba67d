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
        let name: Arc<str> = Arc::from(input.name());
        LiveSource {
            n,
            pipe: Pipeline::new(name.clone(), opts, load::input_year(input)),
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
        match self.pipe.finish() {
            Ok((sessions, report)) => {
                for (index, session) in sessions.into_iter().enumerate() {
                    tx.send(Update::Session {
                        source: n,
                        index,
                        session: Box::new(session),
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
