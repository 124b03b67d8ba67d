//! Live tail: reads each input from its start, then keeps reading as it grows, and sends the
//! same [`Update`]s as [`crate::feed::spawn_loader`], so a view can take either receiver.
//!
//! Each input is one source for its whole life: after a rotation or truncation the new
//! content continues the same source, its sessions get the next indices, and line numbers
//! keep counting (they number lines of the followed stream, not of the current file). A
//! session that spans a rotation therefore stays one session. Files wake the reader through
//! inotify (the `notify` crate, watching each file's directory), with a safety look every
//! second; where that is unavailable the files are polled every 250 ms.

mod files;
mod history;
mod live_source;

pub use history::{FileHistory, HistoryReader};

use super::lines::LineSplitter;
use super::spool::{Spool, Spooling};
use super::Input;
use crate::feed::Update;
use crate::load::LoadOptions;
use crate::reread::ReadBack;
use live_source::{feed_chunk, feed_rest, LiveSource};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How the follower notices growth.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// Poll instead of using inotify (network file systems, or to test the fallback).
    pub poll_only: bool,
    /// Time between looks when polling; also bounds the delay before a line is sent.
    pub poll_every: Duration,
    /// Settled sessions go out as compact rows ([`Update::Rows`]), their lines read again
    /// from the files (or kept standard input) when shown: for the viewer, which would
    /// otherwise hold every session of a long tail whole. Printing wants them whole.
    pub compact: bool,
    /// Lines a session may go untouched before it is final: sent once more and forgotten.
    pub settle_window: u64,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            poll_only: false,
            poll_every: Duration::from_millis(250),
            compact: false,
            settle_window: crate::load::STREAM_WINDOW,
        }
    }
}

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
        let follow = follow.clone();
        spawn(STDIN_THREAD, tx.clone(), move || {
            if follow_stdin(n, &opts, &follow, &tx).is_ok() {
                ended(&running, &tx);
            }
        });
    }
    if !files.is_empty() {
        spawn(FILES_THREAD, tx.clone(), move || {
            if files::follow_files(files, &opts, &follow, &tx).is_ok() {
                ended(&running, &tx);
            }
        });
    }
    rx
}

/// The follower threads' names.
pub const FILES_THREAD: &str = "smtpscope-follow-files";
pub const STDIN_THREAD: &str = "smtpscope-follow-stdin";

/// Starts a follower thread. A bug in a parser must not take the viewer down or leave the
/// tail stopped without a word: a panic there (or on its helper threads, which pass theirs on)
/// becomes a problem sent like any other, and the thread ends.
fn spawn(name: &str, tx: Sender<Update>, f: impl FnOnce() + Send + 'static) {
    let run = move || {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if std::env::var_os("SMTPSCOPE_DEBUG_PANIC").is_some_and(|v| v == "follow") {
                panic!("SMTPSCOPE_DEBUG_PANIC=follow: deliberate panic in the follower");
            }
            f()
        }));
        if let Err(payload) = caught {
            let _ = tx.send(Update::Problem(crate::feed::panic_problem(payload.as_ref())));
        }
    };
    thread::Builder::new()
        .name(name.into())
        .spawn(run)
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

/// Reads standard input until its end, publishing as lines arrive. Compacted, its bytes are
/// kept as they pass (deflated), for reading rows back.
fn follow_stdin(
    n: usize,
    opts: &LoadOptions,
    follow: &FollowOptions,
    tx: &Sender<Update>,
) -> Result<(), Hangup> {
    let forced = opts.format.is_some();
    let spool = follow.compact.then(Arc::<Spool>::default);
    let back = spool.clone().map(ReadBack::Spool);
    let mut src = LiveSource::settling_after(n, &Input::Stdin, opts, follow.settle_window, back);
    let mut split = LineSplitter::new();
    let stdin = std::io::stdin().lock();
    let mut stdin: Box<dyn Read> = match spool {
        Some(spool) => Box::new(Spooling::new(stdin, spool)),
        None => Box::new(stdin),
    };
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
            src.publish(tx, None, got == buf.len())?;
        }
    }
    feed_rest(&mut src, &mut split, forced, tx)?;
    src.end(tx)
}
