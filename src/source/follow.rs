//! Live tail: reads each input from its start, then keeps reading as it grows, and sends the
//! same [`Update`]s as [`crate::feed::spawn_loader`], so a view can take either receiver.
//!
//! Each input is one source for its whole life: after a rotation or truncation the new
//! content continues the same source, its sessions get the next indices, and line numbers
//! keep counting (they number lines of the followed stream, not of the current file). A
//! session that spans a rotation therefore stays one session. Files wake the reader through
//! inotify (the `notify` crate, watching each file's directory), with a safety look every
//! second; where that is unavailable the files are polled every 250 ms.

use super::lines::LineSplitter;
use super::tailed::{Change, TailedFile};
use super::{describe_io, looks_binary, Input, LineReader};
use crate::feed::{Update, PUBLISH_EVERY};
use crate::load::{self, LoadError, LoadOptions, Pipeline};
use notify::Watcher;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// How the follower notices growth.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// Poll instead of using inotify (network file systems, or to test the fallback).
    pub poll_only: bool,
    /// Time between looks when polling; also bounds the delay before a line is sent.
    pub poll_every: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            poll_only: false,
            poll_every: Duration::from_millis(250),
        }
    }
}

/// With inotify, a look even without an event, in case one was missed.
const SAFETY_LOOK: Duration = Duration::from_secs(1);
/// Most bytes read from one file before the others get a turn.
const READ_BUDGET: usize = 4 << 20;

/// Follows `inputs` with default [`FollowOptions`]. See [`spawn_follower_with`].
pub fn spawn_follower(inputs: Vec<Input>, opts: LoadOptions) -> Receiver<Update> {
    spawn_follower_with(inputs, opts, FollowOptions::default())
}

/// Follows `inputs` on background threads (one for files, one for standard input). Sessions
/// are sent when their first line is read and again whenever they change. Files are followed
/// forever; standard input until its end, gzip files are read once. [`Update::Done`] is sent
/// only when every input has ended, so never while a plain file is followed. The threads stop
/// at their next send after the receiver is dropped.
pub fn spawn_follower_with(inputs: Vec<Input>, opts: LoadOptions, follow: FollowOptions) -> Receiver<Update> {
    let (tx, rx) = mpsc::channel();
    let mut files = Vec::new();
    let mut stdin = None;
    for (n, input) in inputs.into_iter().enumerate() {
        match input {
            Input::File(path) => files.push((n, path)),
            Input::Stdin => stdin = Some(n),
        }
    }
    let running = Arc::new(AtomicUsize::new(
        usize::from(!files.is_empty()) + usize::from(stdin.is_some()),
    ));
    if running.load(Ordering::SeqCst) == 0 {
        let _ = tx.send(Update::Done);
        return rx;
    }
    if let Some(n) = stdin {
        let (tx, opts, running) = (tx.clone(), opts.clone(), running.clone());
        spawn("smtpscope-follow-stdin", move || {
            if follow_stdin(n, &opts, &tx).is_ok() {
                ended(&running, &tx);
            }
        });
    }
    if !files.is_empty() {
        spawn("smtpscope-follow-files", move || {
            if follow_files(files, &opts, &follow, &tx).is_ok() {
                ended(&running, &tx);
            }
        });
    }
    rx
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) {
    thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .expect("spawning a follower thread");
}

/// The last thread to finish says so.
fn ended(running: &AtomicUsize, tx: &Sender<Update>) {
    if running.fetch_sub(1, Ordering::SeqCst) == 1 {
        let _ = tx.send(Update::Done);
    }
}

/// The receiver hung up; stop working.
struct Hangup;

fn notice(tx: &Sender<Update>, text: String) -> Result<(), Hangup> {
    tx.send(Update::Problem(text)).map_err(|_| Hangup)
}

/// The parsing side of one followed input.
struct LiveSource {
    n: usize,
    name: Arc<str>,
    pipe: Pipeline,
    lines: u64,
    bytes: u64,
    /// Reading stopped for good (binary data, unknown format); the message was sent.
    failed: bool,
    published_lines: u64,
    last_publish: Instant,
}

impl LiveSource {
    fn new(n: usize, input: &Input, opts: &LoadOptions) -> Self {
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
    fn line(&mut self, bytes: &[u8], truncated: bool, forced_format: bool) -> Option<String> {
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
    fn publish(&mut self, tx: &Sender<Update>, total: Option<u64>) -> Result<(), Hangup> {
        self.last_publish = Instant::now();
        if self.failed || !self.pipe.try_detect() {
            return Ok(());
        }
        for index in self.pipe.take_changed() {
            let session = Box::new(self.pipe.sessions()[index].clone());
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

    fn due(&self) -> bool {
        self.last_publish.elapsed() >= PUBLISH_EVERY
    }

    /// The input ended: flush the parser and send every session in its final state.
    fn end(self, tx: &Sender<Update>) -> Result<(), Hangup> {
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
fn feed_chunk(
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

fn feed_rest(
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

/// Reads standard input until its end, publishing as lines arrive.
fn follow_stdin(n: usize, opts: &LoadOptions, tx: &Sender<Update>) -> Result<(), Hangup> {
    let forced = opts.format.is_some();
    let mut src = LiveSource::new(n, &Input::Stdin, opts);
    let mut split = LineSplitter::new();
    let mut stdin = std::io::stdin().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let got = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                notice(tx, format!("standard input: reading stopped: {e}"))?;
                break;
            }
        };
        feed_chunk(&mut src, &mut split, &buf[..got], forced, tx)?;
        // A short read means the writer has nothing more for now: show what arrived.
        if got < buf.len() || src.due() {
            src.publish(tx, None)?;
        }
    }
    feed_rest(&mut src, &mut split, forced, tx)?;
    src.end(tx)
}

/// One followed file: where it is read from, and what was already said about it.
struct FileSource {
    src: LiveSource,
    file: TailedFile,
    split: LineSplitter,
    said_missing: bool,
    said_error: bool,
    /// Read to its end once and not followed (gzip), or failed for good.
    finished: bool,
}

fn follow_files(
    files: Vec<(usize, PathBuf)>,
    opts: &LoadOptions,
    follow: &FollowOptions,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    let (wake_tx, wake) = mpsc::sync_channel::<()>(1);
    let dirs: Vec<PathBuf> = files.iter().map(|(_, p)| parent_dir(p)).collect();
    // Kept alive for as long as the loop runs.
    let (_watcher, timeout) = match watch(&dirs, wake_tx, follow) {
        Ok(w) => (Some(w), SAFETY_LOOK),
        Err(why) => {
            if !follow.poll_only {
                notice(
                    tx,
                    format!(
                        "following by polling every {} ms ({why})",
                        follow.poll_every.as_millis()
                    ),
                )?;
            }
            (None, follow.poll_every)
        }
    };
    let mut sources: Vec<FileSource> = files
        .into_iter()
        .map(|(n, path)| FileSource {
            src: LiveSource::new(n, &Input::File(path.clone()), opts),
            file: TailedFile::new(path),
            split: LineSplitter::new(),
            said_missing: false,
            said_error: false,
            finished: false,
        })
        .collect();
    let forced = opts.format.is_some();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let mut more = false;
        for s in sources.iter_mut().filter(|s| !s.finished) {
            more |= step(s, &mut buf, forced, opts, tx)?;
        }
        if sources.iter().all(|s| s.finished) {
            return Ok(());
        }
        if !more {
            let _ = wake.recv_timeout(timeout);
            while wake.try_recv().is_ok() {}
        }
    }
}

fn parent_dir(p: &std::path::Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Watches the directories holding the files (a watch on the file itself is lost when the
/// file is renamed away). Any event just wakes the loop, which then looks at every file.
fn watch(
    dirs: &[PathBuf],
    wake: mpsc::SyncSender<()>,
    follow: &FollowOptions,
) -> Result<notify::RecommendedWatcher, String> {
    if follow.poll_only {
        return Err("polling asked for".into());
    }
    let mut w = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
        let _ = wake.try_send(());
    })
    .map_err(|e| format!("file notifications unavailable: {e}"))?;
    let mut seen = Vec::new();
    for d in dirs {
        if seen.contains(d) {
            continue;
        }
        w.watch(d, notify::RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", d.display()))?;
        seen.push(d.clone());
    }
    Ok(w)
}

/// One look at one file: notice rotation, truncation, appearance; read what is new; publish.
/// True when the read budget ran out and more may be waiting.
fn step(
    s: &mut FileSource,
    buf: &mut [u8],
    forced: bool,
    opts: &LoadOptions,
    tx: &Sender<Update>,
) -> Result<bool, Hangup> {
    let name = s.src.name.clone();
    let was_open = s.file.is_open();
    match s.file.check() {
        Err(e) => {
            if !s.said_error {
                s.said_error = true;
                notice(
                    tx,
                    format!("{}; will keep trying", describe_io(s.file.path(), &e)),
                )?;
            }
            return Ok(false);
        }
        Ok(Change::Missing) if !was_open => {
            if !s.said_missing {
                s.said_missing = true;
                notice(
                    tx,
                    format!("{name}: does not exist yet; waiting for it to appear"),
                )?;
            }
            return Ok(false);
        }
        Ok(Change::Missing) => {
            if !s.said_missing {
                s.said_missing = true;
                notice(
                    tx,
                    format!(
                        "{name}: removed or renamed; reading what is left of it and waiting for a new file"
                    ),
                )?;
            }
        }
        Ok(Change::Appeared) => {
            s.said_error = false;
            if s.said_missing {
                s.said_missing = false;
                notice(tx, format!("{name}: appeared; following it"))?;
            }
            if s.file.is_gzip() {
                return read_gzip_once(s, opts, tx).map(|()| false);
            }
        }
        Ok(Change::Replaced) => {
            drain(s, buf, forced, tx, usize::MAX)?;
            feed_rest(&mut s.src, &mut s.split, forced, tx)?;
            s.said_missing = false;
            if let Err(e) = s.file.reopen() {
                notice(tx, describe_io(s.file.path(), &e))?;
                return Ok(false);
            }
            notice(
                tx,
                format!("{name}: rotated (a new file has its name); reading the new file from its start"),
            )?;
        }
        Ok(Change::Truncated) => {
            feed_rest(&mut s.src, &mut s.split, forced, tx)?;
            if let Err(e) = s.file.rewind() {
                notice(tx, describe_io(s.file.path(), &e))?;
                return Ok(false);
            }
            notice(tx, format!("{name}: truncated; reading it again from its start"))?;
        }
        Ok(Change::Same) => {}
    }
    let more = drain(s, buf, forced, tx, READ_BUDGET)?;
    if !more || s.src.due() {
        let total = std::fs::metadata(s.file.path()).ok().map(|m| m.len());
        s.src.publish(tx, total)?;
    }
    if s.src.failed {
        s.finished = true;
    }
    Ok(more)
}

/// Reads up to `budget` bytes; true when it stopped because of the budget.
fn drain(
    s: &mut FileSource,
    buf: &mut [u8],
    forced: bool,
    tx: &Sender<Update>,
    budget: usize,
) -> Result<bool, Hangup> {
    let mut read = 0usize;
    loop {
        let n = match s.file.read(buf) {
            Ok(n) => n,
            Err(e) => {
                notice(
                    tx,
                    format!("{}; will keep trying", describe_io(s.file.path(), &e)),
                )?;
                return Ok(false);
            }
        };
        if n == 0 {
            return Ok(false);
        }
        feed_chunk(&mut s.src, &mut s.split, &buf[..n], forced, tx)?;
        read += n;
        if read >= budget || s.src.failed {
            return Ok(!s.src.failed);
        }
    }
}

/// Compressed files are rotated-away logs: read once, completely, and not followed.
fn read_gzip_once(s: &mut FileSource, opts: &LoadOptions, tx: &Sender<Update>) -> Result<(), Hangup> {
    s.finished = true;
    let name = s.src.name.clone();
    notice(tx, format!("{name}: compressed; read once, not followed"))?;
    let input = Input::File(s.file.path().to_path_buf());
    let reader = match super::open(&input) {
        Ok(r) => r,
        Err(e) => return notice(tx, describe_io(s.file.path(), &e)),
    };
    let placeholder = LiveSource::new(s.src.n, &input, opts);
    let mut src = std::mem::replace(&mut s.src, placeholder);
    let mut lines = LineReader::new(reader);
    loop {
        match lines.next_line() {
            Ok(Some(l)) => {
                if let Some(msg) = src.line(l.bytes, l.truncated, opts.format.is_some()) {
                    return notice(tx, msg);
                }
            }
            Ok(None) => break,
            Err(e) => {
                notice(
                    tx,
                    format!("{name}: reading stopped early: {e}; showing what was read"),
                )?;
                break;
            }
        }
    }
    src.end(tx)
}
