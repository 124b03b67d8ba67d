//! Followed files: one thread looks at every file when inotify wakes it (or on each poll),
//! handles rotation, truncation and appearance, and reads what is new.

use super::history::FileHistory;
use super::live_source::{feed_chunk, feed_rest, LiveSource};
use super::{notice, FollowOptions, Hangup};
use crate::feed::Update;
use crate::load::LoadOptions;
use crate::reread::ReadBack;
use crate::source::gzip_index::GzReader;
use crate::source::lines::LineSplitter;
use crate::source::tailed::{Change, TailedFile};
use crate::source::{describe_io, Input, LineReader};
use notify::Watcher;
use std::path::PathBuf;
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

/// With inotify, a look even without an event, in case one was missed.
const SAFETY_LOOK: Duration = Duration::from_secs(1);
/// Most bytes read from one file before the others get a turn.
const READ_BUDGET: usize = 4 << 20;
/// One followed file: where it is read from, and what was already said about it.
struct FileSource {
    src: LiveSource,
    file: TailedFile,
    split: LineSplitter,
    said_missing: bool,
    said_error: bool,
    /// Read to its end once and not followed (gzip), or failed for good.
    finished: bool,
    /// The files read so far, when settled sessions become rows read back from them.
    history: Option<Arc<FileHistory>>,
}

impl FileSource {
    /// The open file now continues the stream (read from its start): noted for reading back.
    fn note_new_file(&self) {
        if let Some(h) = &self.history {
            h.begin(self.file.handle(), self.split.offset(), self.src.lines() + 1);
        }
    }
}

pub(super) fn follow_files(
    files: Vec<(usize, PathBuf)>,
    opts: &LoadOptions,
    follow: &FollowOptions,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    let (wake_tx, wake) = mpsc::sync_channel::<()>(1);
    let dirs: Vec<PathBuf> = files.iter().map(|(_, p)| parent_dir(p)).collect();
    // Both kept alive for as long as the loop runs: without a live sender, waiting for a
    // wake-up would return at once and the loop would spin.
    let _keep_waiting = wake_tx.clone();
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
        .map(|(n, path)| {
            let history = follow.compact.then(Arc::<FileHistory>::default);
            let back = history.clone().map(ReadBack::Followed);
            FileSource {
                src: LiveSource::settling_after(
                    n,
                    &Input::File(path.clone()),
                    opts,
                    follow.settle_window,
                    back,
                ),
                file: TailedFile::new(path),
                split: LineSplitter::new(),
                said_missing: false,
                said_error: false,
                finished: false,
                history,
            }
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
    if !react(s, buf, forced, opts, tx)? {
        return Ok(false);
    }
    let more = drain(s, buf, forced, tx, READ_BUDGET)?;
    if !more || s.src.due() {
        let total = std::fs::metadata(s.file.path()).ok().map(|m| m.len());
        s.src.publish(tx, total, more)?;
    }
    if s.src.failed {
        s.finished = true;
    }
    Ok(more)
}

/// Sends `text` unless `said` shows it was already said.
fn say_once(said: &mut bool, tx: &Sender<Update>, text: String) -> Result<(), Hangup> {
    if !*said {
        *said = true;
        notice(tx, text)?;
    }
    Ok(())
}

/// Handles what changed at the path since the last look; true when there is a file to read.
fn react(
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
            let msg = format!("{}; will keep trying", describe_io(s.file.path(), &e));
            say_once(&mut s.said_error, tx, msg)?;
            return Ok(false);
        }
        Ok(Change::Missing) if !was_open => {
            let msg = format!("{name}: does not exist yet; waiting for it to appear");
            say_once(&mut s.said_missing, tx, msg)?;
            return Ok(false);
        }
        Ok(Change::Missing) => {
            let msg =
                format!("{name}: removed or renamed; reading what is left of it and waiting for a new file");
            say_once(&mut s.said_missing, tx, msg)?;
        }
        Ok(Change::Appeared) => {
            s.said_error = false;
            if std::mem::take(&mut s.said_missing) {
                notice(tx, format!("{name}: appeared; following it"))?;
            }
            if s.file.is_gzip() {
                read_gzip_once(s, opts, tx)?;
                return Ok(false);
            }
            s.note_new_file();
        }
        Ok(Change::Replaced) => {
            // The rest of the old file first; its unterminated last line ends with it.
            drain(s, buf, forced, tx, usize::MAX)?;
            feed_rest(&mut s.src, &mut s.split, forced, tx)?;
            s.said_missing = false;
            if let Err(e) = s.file.reopen() {
                notice(tx, describe_io(s.file.path(), &e))?;
                return Ok(false);
            }
            s.note_new_file();
            notice(
                tx,
                format!("{name}: rotated (a new file has its name); reading the new file from its start"),
            )?;
        }
        Ok(Change::Truncated) => {
            feed_rest(&mut s.src, &mut s.split, forced, tx)?;
            if let Some(h) = &s.history {
                h.lose_current("the file was truncated in place (copytruncate) after they were read");
            }
            if let Err(e) = s.file.rewind() {
                notice(tx, describe_io(s.file.path(), &e))?;
                return Ok(false);
            }
            s.note_new_file();
            notice(tx, format!("{name}: truncated; reading it again from its start"))?;
        }
        Ok(Change::Same) => {}
    }
    Ok(true)
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
        if let Some(h) = &s.history {
            h.grew(s.file.position());
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
    let placeholder = LiveSource::new(s.src.n, &input, opts, None);
    let mut src = std::mem::replace(&mut s.src, placeholder);
    // With rows, decoded through an index of the decoder's states, so rows read back from it.
    let opened = match s.history {
        Some(_) => std::fs::File::open(s.file.path()).map(|f| {
            let index = Arc::default();
            src.read_back_from(ReadBack::Gzip(Arc::clone(&index)));
            let r: Box<dyn std::io::BufRead + Send> = Box::new(std::io::BufReader::with_capacity(
                256 * 1024,
                GzReader::indexing(f, index),
            ));
            r
        }),
        None => crate::source::open(&input),
    };
    let reader = match opened {
        Ok(r) => r,
        Err(e) => return notice(tx, describe_io(s.file.path(), &e)),
    };
    let mut lines = LineReader::new(reader);
    loop {
        match lines.next_line() {
            Ok(Some(l)) => {
                if let Some(msg) = src.line(l.bytes, l.truncated, opts.format.is_some(), l.offset) {
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
