//! The model as it becomes known: a background thread reads the inputs and sends [`Update`]s,
//! so a view can show the first sessions while the rest still load, and a live tail can use
//! the same channel for sessions that appear and change later.

use crate::load::{self, LoadOptions, Pipeline, SourceReport};
use crate::model::{RowArena, Session, SessionRow};
use crate::reread::{ReadBack, Reread, RereadPlan};
use crate::source::gzip_index::{self, GzReader};
use crate::source::spool::Spooling;
use crate::source::{self, Input, LineReader};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// One change to the model. Sessions are addressed by `(source, index)`: `index` is the
/// session's position within its source, stable for the life of the source.
#[derive(Debug)]
pub enum Update {
    /// A session was created (index not seen before) or changed (replace the old copy).
    Session {
        source: usize,
        index: usize,
        session: Box<Session>,
    },
    /// What is known about a source so far: name, format, line counts, unparsed lines.
    Report {
        source: usize,
        report: SourceReport,
        /// Bytes read so far and the file size when known, for a progress indicator.
        bytes_read: u64,
        bytes_total: Option<u64>,
    },
    /// Sessions of a big file that are final: kept compactly, read back from the file when
    /// shown. Each replaces any earlier copy at its index. Rows point into `arena`.
    Rows {
        source: usize,
        rows: Vec<(usize, SessionRow)>,
        arena: RowArena,
        reread: Arc<Reread>,
    },
    /// An input that could not be read or understood; the message says what, where, what to do.
    Problem(String),
    /// Every input has been read to its end (never sent while following).
    Done,
}

/// How often a loading source publishes what changed, after the first time
/// ([`FIRST_PUBLISH`]): often enough for a view that keeps up, seldom enough that sending
/// updates costs little next to parsing.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(100);

/// When a loading source publishes for the first time: the first screen waits for it, and
/// the first lines are parsed within a few milliseconds.
const FIRST_PUBLISH: Duration = Duration::from_millis(20);

/// How often a big file's settled sessions are handed to the rows thread, which sends them on
/// as rows every [`PUBLISH_EVERY`].
const SETTLED_EVERY: Duration = Duration::from_millis(20);

/// Loads `inputs` on a background thread, one after another, sending updates as it goes.
/// The thread stops early when the receiver is dropped.
pub fn spawn_loader(inputs: Vec<Input>, opts: LoadOptions) -> Receiver<Update> {
    let compact_from = std::env::var("SMTPSCOPE_COMPACT_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(COMPACT_FROM);
    spawn_loader_compacting(inputs, opts, compact_from)
}

/// Updates the loader may have sent ahead of the view.
const QUEUE: usize = 4096;

/// Files at least this big are loaded compactly: sessions become [`Update::Rows`] once
/// final, so the viewer's memory stays a fraction of the file.
pub const COMPACT_FROM: u64 = 16 << 20;

/// As [`spawn_loader`], compacting files of at least `compact_from` bytes.
pub fn spawn_loader_compacting(inputs: Vec<Input>, opts: LoadOptions, compact_from: u64) -> Receiver<Update> {
    spawn_loader_settling(inputs, opts, compact_from, load::STREAM_WINDOW)
}

/// As [`spawn_loader_compacting`], settling compacted sessions after `window` idle lines.
fn spawn_loader_settling(
    inputs: Vec<Input>,
    opts: LoadOptions,
    compact_from: u64,
    window: u64,
) -> Receiver<Update> {
    // Bounded: when the view falls behind, the loader waits instead of queueing copies of
    // sessions without limit.
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    thread::Builder::new()
        .name(LOADER_THREAD.into())
        .spawn(move || {
            // A bug in a parser must not take the viewer down with it: the panic becomes a
            // problem the viewer shows, and the terminal stays in the viewer's hands.
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if std::env::var_os("SMTPSCOPE_DEBUG_PANIC").is_some_and(|v| v == "loader") {
                    panic!("SMTPSCOPE_DEBUG_PANIC=loader: deliberate panic in the loader");
                }
                for (n, input) in inputs.iter().enumerate() {
                    if load_one(n, input, &opts, (compact_from, window), &tx).is_err() {
                        return false; // receiver gone
                    }
                }
                true
            }));
            match run {
                Ok(false) => {}
                Ok(true) => {
                    let _ = tx.send(Update::Done);
                }
                Err(payload) => {
                    let _ = tx.send(Update::Problem(panic_problem(payload.as_ref())));
                    let _ = tx.send(Update::Done);
                }
            }
        })
        .expect("spawning the loader thread");
    rx
}

/// The loader thread's name.
pub const LOADER_THREAD: &str = "smtpscope-loader";

/// The thread that makes rows beside the loader (see [`RowMaker`]).
const ROWS_THREAD: &str = "smtpscope-rows";

/// Whether a panic on the thread named `name` goes on in the loader (or a live tail's
/// follower), which reports it through the viewer: the viewer's panic hook must leave the
/// screen alone for those.
pub fn panic_reaches_the_loader(name: Option<&str>) -> bool {
    use crate::source::follow::{FILES_THREAD, STDIN_THREAD};
    matches!(name, Some(n) if [LOADER_THREAD, ROWS_THREAD, load::PARSE_THREAD, FILES_THREAD, STDIN_THREAD].contains(&n))
}

/// How the problem a panic while loading or following becomes starts.
pub const INTERNAL_ERROR: &str = "internal error while loading";

/// What the user is told when loading panicked.
pub(crate) fn panic_problem(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("{INTERNAL_ERROR} ({what}); the sessions shown may be incomplete; please report this")
}

/// The receiver hung up; stop working.
struct Hangup;

fn load_one(
    n: usize,
    input: &Input,
    opts: &LoadOptions,
    (compact_from, window): (u64, u64),
    tx: &SyncSender<Update>,
) -> Result<(), Hangup> {
    let send = |u: Update| tx.send(u).map_err(|_| Hangup);
    let name: Arc<str> = Arc::from(input.name());
    let gzip = matches!(input, Input::File(p) if source::is_gzip(p));
    let total = match input {
        // A gzip file's decoded size, as its trailer says (its own size, when that is less:
        // several members, or more than 4 GiB).
        Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()).map(|len| match gzip {
            true => gzip_index::decoded_size_hint(p)
                .filter(|&d| d >= len)
                .unwrap_or(len),
            false => len,
        }),
        Input::Stdin => None,
    };
    let year = load::input_year(input);
    // A file is read again at an offset: a plain one directly, a gzip one from the decoder
    // state noted before it. Standard input is kept as it is read (its size is not known
    // beforehand, and it cannot be read twice).
    let compact = match input {
        Input::File(p) if total.is_some_and(|t| t >= compact_from) => Some(match gzip {
            true => (p.clone(), ReadBack::Gzip(Arc::default())),
            false => (p.clone(), ReadBack::Plain),
        }),
        Input::Stdin if compact_from < u64::MAX => Some(("-".into(), ReadBack::Spool(Arc::default()))),
        _ => None,
    };
    let buffered = |r: Box<dyn std::io::Read + Send>| -> Box<dyn std::io::BufRead + Send> {
        Box::new(std::io::BufReader::with_capacity(256 * 1024, r))
    };
    let opened = match &compact {
        Some((path, ReadBack::Gzip(index))) => {
            std::fs::File::open(path).map(|f| buffered(Box::new(GzReader::indexing(f, index.clone()))))
        }
        Some((_, ReadBack::Spool(spool))) => {
            source::open(input).map(|r| buffered(Box::new(Spooling::new(r, spool.clone()))))
        }
        _ => source::open(input),
    };
    let reader = match opened {
        Ok(r) => r,
        Err(e) => {
            let msg = match input {
                Input::File(p) => source::describe_io(p, &e),
                Input::Stdin => format!("standard input: cannot read: {e}"),
            };
            return send(Update::Problem(msg));
        }
    };
    let mut lines = LineReader::new(reader);
    let mut pipe = Pipeline::new(name.clone(), opts, year);
    pipe.parse_in_background();
    let mut compact = compact.map(|(path, back)| {
        pipe.settle_keeping_lines(window);
        Compacting {
            plan: RereadPlan::new(path, name.clone(), opts.year.unwrap_or(year), back),
            rows_flowing: false,
            maker: None,
            rows_here: false,
        }
    });
    let mut read: u64 = 0;
    let mut last = Instant::now();
    let mut publish_after = FIRST_PUBLISH;
    let mut last_settled = Instant::now();
    let mut first = true;
    loop {
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                send(Update::Problem(format!(
                    "{name}: reading stopped early: {e}; showing what was read"
                )))?;
                break;
            }
        };
        read += line.bytes.len() as u64 + 1;
        if first {
            first = false;
            if source::looks_binary(line.bytes) && opts.format.is_none() {
                return send(Update::Problem(
                    load::LoadError::Binary {
                        name: name.to_string(),
                    }
                    .to_string(),
                ));
            }
        }
        if let Some(c) = compact.as_mut() {
            c.plan.line(line.number, line.offset);
        }
        if let Err(e) = pipe.feed(line.number, line.bytes, line.truncated) {
            return send(Update::Problem(e.to_string()));
        }
        // Reading the clock for every line cost 1 % of a big load; a big plain file never
        // waits for its next line, a pipe may (so it looks at every line).
        let look = compact.is_none() || line.number % 64 == 0;
        if !look {
            continue;
        }
        if let Some(c) = compact.as_mut() {
            // Settled sessions go to the rows thread a few at a time: sessions waiting there
            // and here are memory the viewer's peak counts (see `RowMaker`).
            if last_settled.elapsed() >= SETTLED_EVERY {
                last_settled = Instant::now();
                let settled = pipe.take_settled_lines();
                // Once rows flow, sessions in progress are not sent whole any more: each
                // arrives as a row soon after (within the settle window), and evaluating and
                // copying every session while it is in progress cost as much as assembling it.
                // Nothing shows their notes' text either (a row is read back to be shown).
                if !settled.is_empty() && !c.rows_flowing {
                    c.rows_flowing = true;
                    pipe.stop_tracking_changes();
                    pipe.notes_without_text();
                }
                c.send(n, pipe.format(), settled, tx)?;
            }
        }
        if last.elapsed() >= publish_after {
            last = Instant::now();
            publish_after = PUBLISH_EVERY;
            publish(n, &mut pipe, tx)?;
            send(Update::Report {
                source: n,
                report: pipe.report().clone(),
                bytes_read: read,
                bytes_total: total,
            })?;
        }
    }
    let final_report = |report| Update::Report {
        source: n,
        report,
        bytes_read: read,
        bytes_total: total,
    };
    if let Some(mut c) = compact {
        pipe.try_detect();
        let format = pipe.format();
        return match pipe.finish_settled() {
            Ok((settled, report)) => {
                c.send(n, format, settled, tx)?;
                // Every row is out before the report that says the file is read.
                c.finish()?;
                send(final_report(report))
            }
            Err(e) => send(Update::Problem(e.to_string())),
        };
    }
    match pipe.finish_changed() {
        Ok((sessions, report, changed)) => {
            // Sessions unchanged since they were published are already in the view as they
            // are: resending a big log's sessions would only cost time.
            // `changed` is ascending.
            let mut changed = changed.into_iter().peekable();
            for (index, session) in sessions.into_iter().enumerate() {
                if changed.next_if_eq(&index).is_none() {
                    continue;
                }
                send(Update::Session {
                    source: n,
                    index,
                    session: Box::new(session),
                })?;
            }
            send(final_report(report))
        }
        Err(e) => send(Update::Problem(e.to_string())),
    }
}

/// A settled session of source `n`, evaluated, sent whole: for formats whose sessions are not
/// read back (the loader's and live tail's).
pub(crate) fn final_session(n: usize, mut s: crate::assemble::Settled) -> Update {
    s.session.evaluate();
    Update::Session {
        source: n,
        index: s.index,
        session: Box::new(s.session),
    }
}

/// A big file loaded compactly: final sessions go out as rows.
struct Compacting {
    /// How its rows are read back.
    plan: RereadPlan,
    /// Settled sessions have started to go out as rows.
    rows_flowing: bool,
    /// Where settled sessions become rows; started with the first of them.
    maker: Option<RowMaker>,
    /// No thread could be started for that: rows are made on the loader.
    rows_here: bool,
}

impl Compacting {
    /// Sends settled sessions: as rows when their format reads back alone, else whole.
    fn send(
        &mut self,
        n: usize,
        format: Option<&'static dyn crate::formats::Format>,
        settled: Vec<crate::assemble::Settled>,
        tx: &SyncSender<Update>,
    ) -> Result<(), Hangup> {
        if settled.is_empty() {
            return Ok(());
        }
        let format = format.filter(|f| f.reads_back_alone());
        let Some(format) = format else {
            for s in settled {
                tx.send(final_session(n, s)).map_err(|_| Hangup)?;
            }
            return Ok(());
        };
        let reread = self.plan.reread(format);
        let job = RowJob {
            source: n,
            settled,
            reread,
        };
        if self.maker.is_none() && !self.rows_here {
            match RowMaker::spawn(tx.clone()) {
                Ok(maker) => self.maker = Some(maker),
                // Without a thread to spare, rows are made here from now on.
                Err(_) => self.rows_here = true,
            }
        }
        if self.rows_here {
            return tx.send(job.rows()).map_err(|_| Hangup);
        }
        self.maker.as_mut().map_or(Ok(()), |maker| maker.send(job))
    }

    /// Waits until every row handed over is sent.
    fn finish(&mut self) -> Result<(), Hangup> {
        self.maker.take().map_or(Ok(()), RowMaker::finish)
    }
}

/// Settled sessions of one batch, to become one [`Update::Rows`].
struct RowJob {
    source: usize,
    settled: Vec<crate::assemble::Settled>,
    reread: Arc<Reread>,
}

impl RowJob {
    /// Evaluates the sessions and compacts them.
    fn rows(self) -> Update {
        let mut out = RowsOut::new(&self);
        out.add(self);
        out.update()
    }
}

/// Rows made since the last [`Update::Rows`] was sent.
struct RowsOut {
    source: usize,
    reread: Arc<Reread>,
    rows: Vec<(usize, SessionRow)>,
    arena: RowArena,
}

impl RowsOut {
    fn new(job: &RowJob) -> RowsOut {
        RowsOut {
            source: job.source,
            reread: job.reread.clone(),
            rows: Vec::new(),
            arena: RowArena::new(),
        }
    }

    /// Evaluates and compacts the job's sessions, and frees them.
    fn add(&mut self, mut job: RowJob) {
        let arena = &mut self.arena;
        self.rows.extend(
            job.settled
                .iter_mut()
                .map(|s| (s.index, crate::reread::settled_row(s, arena))),
        );
    }

    fn update(self) -> Update {
        Update::Rows {
            source: self.source,
            rows: self.rows,
            arena: self.arena,
            reread: self.reread,
        }
    }
}

/// A thread that evaluates settled sessions, makes their rows and frees them, beside the
/// loader: with reading and assembling, that was a fifth of what the loader did, and the
/// viewer's own thread is idle while a file loads.
struct RowMaker {
    jobs: Option<SyncSender<RowJob>>,
    handle: Option<thread::JoinHandle<()>>,
}

impl RowMaker {
    fn spawn(tx: SyncSender<Update>) -> std::io::Result<RowMaker> {
        // One job waiting: sessions waiting are memory the viewer's peak counts (with four,
        // and the loader's 100 ms batches, a 256 MiB PHPMailer log peaked at 0.27x its size).
        let (jobs, incoming) = mpsc::sync_channel::<RowJob>(1);
        let debug_panic = std::env::var_os("SMTPSCOPE_DEBUG_PANIC").is_some_and(|v| v == "rows");
        let handle = crate::threads::helper(ROWS_THREAD)?.spawn(move || {
            // Jobs come small and often; rows go out together, as one arena per
            // `PUBLISH_EVERY` (an arena chunk writes each id stem once), and no later than
            // that when no more jobs come for a while.
            let mut out: Option<RowsOut> = None;
            let mut last = Instant::now();
            loop {
                let wait = PUBLISH_EVERY.saturating_sub(last.elapsed());
                match incoming.recv_timeout(wait) {
                    Ok(job) => {
                        if debug_panic {
                            panic!("SMTPSCOPE_DEBUG_PANIC=rows: deliberate panic while making rows");
                        }
                        out.get_or_insert_with(|| RowsOut::new(&job)).add(job);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if last.elapsed() >= PUBLISH_EVERY {
                    last = Instant::now();
                    if out.take().is_some_and(|o| tx.send(o.update()).is_err()) {
                        return; // the viewer is gone
                    }
                }
            }
            if let Some(o) = out {
                let _ = tx.send(o.update());
            }
        })?;
        Ok(RowMaker {
            jobs: Some(jobs),
            handle: Some(handle),
        })
    }

    fn send(&mut self, job: RowJob) -> Result<(), Hangup> {
        let sent = self.jobs.as_ref().is_some_and(|j| j.send(job).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped: it panicked, or the viewer is gone.
        self.join();
        Err(Hangup)
    }

    fn finish(mut self) -> Result<(), Hangup> {
        self.join();
        Ok(())
    }

    /// Lets the thread finish its jobs; its panic goes on here, where the loader reports it.
    fn join(&mut self) {
        self.jobs = None;
        if let Some(Err(payload)) = self.handle.take().map(thread::JoinHandle::join) {
            std::panic::resume_unwind(payload);
        }
    }
}

/// Sends every session that changed since the last publish.
fn publish(n: usize, pipe: &mut Pipeline, tx: &SyncSender<Update>) -> Result<(), Hangup> {
    for index in pipe.take_changed() {
        let Some(session) = pipe.session(index) else {
            continue;
        };
        tx.send(Update::Session {
            source: n,
            index,
            session: Box::new(session.clone()),
        })
        .map_err(|_| Hangup)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Everything a loader sends for the 4D sample plus a missing file: the sessions (rows
    /// read back) and how many arrived as compact rows.
    fn load_sample(compact_from: u64) -> (Vec<Session>, Vec<Session>, usize) {
        load_sample_as(compact_from, false)
    }

    /// [`load_sample`], the sample written plain or gzip-compressed.
    fn load_sample_as(compact_from: u64, gzip: bool) -> (Vec<Session>, Vec<Session>, usize) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("4d.log");
        let f = std::fs::File::create(&path).unwrap();
        let sample = include_str!("../sample-logs/4d-smtp.log");
        if gzip {
            let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
            e.write_all(sample.as_bytes()).unwrap();
            e.finish().unwrap();
        } else {
            let mut f = f;
            f.write_all(sample.as_bytes()).unwrap();
        }
        let expected = load::load_all(&[Input::File(path.clone())], &LoadOptions::default());
        let rx = spawn_loader_compacting(
            vec![Input::File(path), Input::File("/nonexistent/x.log".into())],
            LoadOptions::default(),
            compact_from,
        );
        let mut sessions: Vec<Option<Session>> = Vec::new();
        let mut put = |index: usize, s: Session| {
            if sessions.len() <= index {
                sessions.resize(index + 1, None);
            }
            sessions[index] = Some(s);
        };
        let (mut problems, mut rows_seen) = (0, 0);
        let mut done = false;
        for u in rx {
            match u {
                Update::Session {
                    source,
                    index,
                    session,
                } => {
                    assert_eq!(source, 0);
                    put(index, *session);
                }
                Update::Rows {
                    source,
                    rows,
                    arena,
                    reread,
                } => {
                    assert_eq!(source, 0);
                    for (index, row) in rows {
                        rows_seen += 1;
                        put(index, reread.session(&row, &arena));
                    }
                }
                Update::Problem(p) => {
                    assert!(p.contains("/nonexistent/x.log"), "{p}");
                    problems += 1;
                }
                Update::Report { .. } => {}
                Update::Done => done = true,
            }
        }
        assert!(done && problems == 1);
        let got = sessions.into_iter().map(Option::unwrap).collect();
        (got, expected.sessions, rows_seen)
    }

    #[test]
    fn loader_sends_every_session_then_done() {
        let (got, expected, rows) = load_sample(u64::MAX);
        assert_eq!(got, expected);
        assert_eq!(rows, 0);
    }

    #[test]
    fn rows_made_beside_the_loader_arrive_once_each_with_their_status() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maillog");
        let log = crate::testdata::postfix_connections(6_000);
        std::fs::write(&path, &log).unwrap();
        let (whole, _) =
            load::load_reader(Arc::from("t"), log.as_bytes(), &LoadOptions::default(), 2026).unwrap();
        // A small window, so most sessions settle long before the end.
        let rx = spawn_loader_settling(vec![Input::File(path)], LoadOptions::default(), 0, 2_000);
        let mut status = vec![None; whole.len()];
        let (mut updates, mut done) = (0, false);
        for u in rx {
            match u {
                Update::Rows { rows, .. } => {
                    updates += 1;
                    for (index, row) in rows {
                        assert!(status[index].is_none(), "session {index} came twice");
                        status[index] = Some(row.status);
                    }
                }
                Update::Done => done = true,
                Update::Problem(p) => panic!("{p}"),
                _ => {}
            }
        }
        // (How many updates carried them depends on the clock; not asserted.)
        assert!(done && updates > 0);
        let want: Vec<_> = whole.iter().map(|s| Some(s.status())).collect();
        assert_eq!(status, want);
    }

    #[test]
    fn a_big_file_arrives_as_rows_that_read_back_to_the_same_sessions() {
        for gzip in [false, true] {
            let (got, expected, rows) = load_sample_as(0, gzip);
            assert_eq!(rows, expected.len(), "gzip: {gzip}");
            assert_eq!(got, expected, "gzip: {gzip}");
        }
    }
}
