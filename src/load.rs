//! The parsing pipeline for one source: wrapper stripping, format detection on the first
//! lines, line parsing, assembly. Fed line by line so whole files and growing files (live tail)
//! share one path.

mod parsing;

use crate::assemble::Assembler;
use crate::formats::{self, Format, InputLine};
use crate::model::Session;
use crate::source::{self, Input, LineReader};
use crate::wrapper;
use chrono::Datelike;
/// How the loader turns a line's bytes into text (the benchmark's stages read lines so too).
pub use parsing::line_text;
use parsing::{Front, ParseWorker, Parsed};
use std::io::BufRead;
use std::sync::Arc;

/// The parse worker's thread name (see [`Pipeline::parse_in_background`]): its panic goes on
/// in the thread that feeds the pipeline.
pub const PARSE_THREAD: &str = "smtpscope-parse";

/// How many non-blank lines detection looks at before it decides.
pub const DETECT_LINES: usize = 200;

/// Why a source yielded nothing. Messages say what, where and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Io(String),
    #[error("{name}: not a log format smtpscope knows (looked at the first {lines} lines); run `smtpscope --formats` for the list, or force one with --format NAME")]
    UnknownFormat { name: String, lines: usize },
    #[error("{name}: does not look like a text log (binary data); give a log file, or a .gz of one")]
    Binary { name: String },
}

/// Options that apply to every source.
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// Skip detection and read every source as this format.
    pub format: Option<&'static dyn Format>,
    /// Year for stamps without one (syslog); defaults to the file's modification year.
    pub year: Option<i32>,
}

/// What was learned about one source besides its sessions.
#[derive(Clone, Debug, Default)]
pub struct SourceReport {
    pub name: Arc<str>,
    pub format: Option<&'static str>,
    pub lines: u64,
    pub unparsed_count: u64,
    /// The first unparsed lines (number, text), for viewing.
    pub unparsed: Vec<(u64, String)>,
    /// Lines longer than [`source::MAX_LINE`] that were cut.
    pub truncated_lines: u64,
}

/// Everything loaded from all inputs.
#[derive(Default)]
pub struct Loaded {
    pub sessions: Vec<Session>,
    pub sources: Vec<SourceReport>,
    /// One message per input that could not be read or understood.
    pub problems: Vec<String>,
}

impl Loaded {
    pub fn unparsed_count(&self) -> u64 {
        self.sources.iter().map(|s| s.unparsed_count).sum()
    }
}

/// Line-at-a-time pipeline for one source.
pub struct Pipeline {
    name: Arc<str>,
    year: i32,
    held: Vec<(u64, String)>,
    held_nonblank: usize,
    parser: Option<(&'static dyn Format, Parsing, Assembler)>,
    report: SourceReport,
    settle_window: Option<u64>,
    settle_lines: bool,
    /// Settling keeps the change list (see [`Pipeline::settle_tracking_changes`]).
    settle_changes: bool,
    background: bool,
}

/// Where lines are parsed: here (with the buffer its records pass through) or on a worker.
enum Parsing {
    Here(Front, Vec<Parsed>),
    Worker(ParseWorker),
}

impl Parsing {
    /// Parses one line; its records (or earlier lines', from a worker) go to `asm` in order.
    fn line(&mut self, number: u64, bytes: &[u8], truncated: bool, asm: &mut Assembler) {
        match self {
            Parsing::Worker(worker) => worker.add(number, bytes, truncated, &mut push_to(asm)),
            Parsing::Here(front, parsed) => {
                front.parse(number, &line_text(bytes, truncated), parsed);
                parsed.iter_mut().for_each(push_to(asm));
                parsed.clear();
            }
        }
    }
}

/// Hands records to the assembler in order.
fn push_to(asm: &mut Assembler) -> impl FnMut(&mut Parsed) + '_ {
    |p| {
        asm.input_line(p.input_line);
        asm.push_in_place(&mut p.record, &mut p.prepared);
    }
}

impl Pipeline {
    pub fn new(name: Arc<str>, opts: &LoadOptions, year: i32) -> Self {
        let mut p = Pipeline {
            name: name.clone(),
            year: opts.year.unwrap_or(year),
            held: Vec::new(),
            held_nonblank: 0,
            parser: None,
            report: SourceReport {
                name,
                ..SourceReport::default()
            },
            settle_window: None,
            settle_lines: false,
            settle_changes: false,
            background: false,
        };
        if let Some(f) = opts.format {
            p.start(f);
        }
        p
    }

    fn start(&mut self, f: &'static dyn Format) {
        self.report.format = Some(f.name());
        let year = self.year;
        let front = move || {
            let mut parser = f.parser();
            parser.set_year(year);
            Front::new(parser, year)
        };
        let mut asm = Assembler::new(self.name.clone(), f.name());
        if let Some(window) = self.settle_window {
            asm.settle_with(
                window,
                self.settle_lines,
                self.settle_lines || self.settle_changes,
            );
        }
        // Without a thread to spare (a process limit), parsing stays here: nothing was
        // parsed yet, so a fresh parser is the same.
        let parsing = match self.background.then(|| ParseWorker::spawn(front())) {
            Some(Ok(worker)) => Parsing::Worker(worker),
            _ => Parsing::Here(front(), Vec::new()),
        };
        self.parser = Some((f, parsing, asm));
    }

    /// Parses on a second thread while this one assembles: for reading whole files, where
    /// sessions may lag the lines fed by a few thousand lines until [`Pipeline::finish`].
    /// Live tail parses here, so what it shows is never behind what it read. Call before the
    /// first line; without a second core it changes nothing.
    pub fn parse_in_background(&mut self) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.background = cores > 1 && self.parser.is_none();
    }

    /// Streaming: sessions idle for `window` lines are handed out by
    /// [`Pipeline::take_settled_unevaluated`] and forgotten (see [`Assembler::settle_after`]). Call before
    /// the first line.
    pub fn settle_after(&mut self, window: u64) {
        self.settle_window = Some(window);
        if let Some((_, _, asm)) = self.parser.as_mut() {
            asm.settle_after(window);
        }
    }

    /// As [`Pipeline::settle_after`], keeping the change list for the sessions in progress:
    /// what live tail needs (it shows sessions as they change, and forgets the settled ones).
    pub fn settle_tracking_changes(&mut self, window: u64) {
        self.settle_window = Some(window);
        self.settle_changes = true;
        if let Some((_, _, asm)) = self.parser.as_mut() {
            asm.settle_with(window, false, true);
        }
    }

    /// As [`Pipeline::settle_after`], keeping each session's line numbers and the change list
    /// for the sessions in progress: what the viewer's loader needs.
    pub fn settle_keeping_lines(&mut self, window: u64) {
        self.settle_window = Some(window);
        self.settle_lines = true;
        if let Some((_, _, asm)) = self.parser.as_mut() {
            asm.settle_with(window, true, true);
        }
    }

    /// Tells the parser that from the next line on, sessions only become compact rows (see
    /// [`formats::LineParser::notes_without_text`]); nothing for formats that are not read back.
    pub fn notes_without_text(&mut self) {
        if let Some((f, parsing, _)) = self.parser.as_mut() {
            if f.reads_back_alone() {
                match parsing {
                    Parsing::Here(front, _) => front.notes_without_text(true),
                    Parsing::Worker(worker) => worker.notes_without_text(true),
                }
            }
        }
    }

    /// See [`Assembler::stop_tracking_changes`]: [`Pipeline::take_changed`] returns nothing
    /// from now on.
    pub fn stop_tracking_changes(&mut self) {
        if let Some((_, _, asm)) = self.parser.as_mut() {
            asm.stop_tracking_changes();
        }
    }

    /// Sessions settled since the last call, with their indices and lines, not evaluated yet
    /// (the caller evaluates them, on another thread if it likes).
    pub fn take_settled_lines(&mut self) -> Vec<crate::assemble::Settled> {
        match self.parser.as_mut() {
            Some((_, _, asm)) => asm.take_ready(),
            None => Vec::new(),
        }
    }

    /// The session at absolute index `i`, unless settled and handed out.
    pub fn session(&self, i: usize) -> Option<&Session> {
        self.parser.as_ref().and_then(|p| p.2.session(i))
    }

    /// Ends a source read with [`Pipeline::settle_keeping_lines`]: every session still held is
    /// settled and returned with the others not taken yet (not evaluated, as
    /// [`Pipeline::take_settled_lines`]).
    pub fn finish_settled(mut self) -> Result<(Vec<crate::assemble::Settled>, SourceReport), LoadError> {
        let Some(mut asm) = self.end_input()? else {
            return Ok((Vec::new(), self.report));
        };
        asm.settle_rest();
        let settled = asm.take_ready();
        let result = asm.finish();
        self.report.unparsed_count = result.unparsed_count;
        self.report.unparsed = result.unparsed;
        Ok((settled, self.report))
    }

    /// The end of the input: detects on what is held if needed, lets the parser emit what it
    /// held, and hands over the assembler with everything pushed (`None`: nothing to assemble).
    fn end_input(&mut self) -> Result<Option<Assembler>, LoadError> {
        if self.parser.is_none() {
            if self.held_nonblank == 0 {
                return Ok(None);
            }
            self.detect()?;
        }
        let Some((_, parsing, mut asm)) = self.parser.take() else {
            return Ok(None);
        };
        let front = match parsing {
            Parsing::Here(front, _) => front,
            Parsing::Worker(worker) => worker.finish(&mut push_to(&mut asm)),
        };
        let mut parsed = Vec::new();
        let orphans = front.finish(&mut parsed);
        parsed.iter_mut().for_each(push_to(&mut asm));
        for (n, t) in orphans {
            asm.unparsed_line(n, &t);
        }
        Ok(Some(asm))
    }

    /// Sessions settled since the last call, in session order, not evaluated yet: the caller
    /// calls [`Session::evaluate`] (another thread may do it).
    pub fn take_settled_unevaluated(&mut self) -> Vec<Session> {
        match self.parser.as_mut() {
            Some((_, _, asm)) => asm.take_ready().into_iter().map(|s| s.session).collect(),
            None => Vec::new(),
        }
    }

    /// The format in use, once detected.
    pub fn format(&self) -> Option<&'static dyn Format> {
        self.parser.as_ref().map(|p| p.0)
    }

    /// Feeds one line. Before the format is known lines are held; detection runs once
    /// [`DETECT_LINES`] non-blank lines are held (or at [`Pipeline::finish`]).
    pub fn feed(&mut self, number: u64, bytes: &[u8], truncated: bool) -> Result<(), LoadError> {
        self.report.lines = self.report.lines.max(number);
        if truncated {
            self.report.truncated_lines += 1;
        }
        match self.parser.as_mut() {
            None => {
                let text = line_text(bytes, truncated);
                if !text.trim().is_empty() {
                    self.held_nonblank += 1;
                }
                self.held.push((number, text.into_owned()));
                if self.held_nonblank >= DETECT_LINES {
                    self.detect()?;
                }
            }
            Some((_, parsing, asm)) => parsing.line(number, bytes, truncated, asm),
        }
        Ok(())
    }

    /// Detects the format now on the lines held so far, if it is not known yet. Live tail calls
    /// this whenever it has caught up, so a short log shows before [`DETECT_LINES`] lines
    /// arrive; when nothing matches yet the lines stay held for the next try. True once known.
    pub fn try_detect(&mut self) -> bool {
        if self.parser.is_some() {
            return true;
        }
        self.held_nonblank > 0 && self.detect().is_ok()
    }

    fn detect(&mut self) -> Result<(), LoadError> {
        let year = self.year;
        let lines: Vec<InputLine<'_>> = self
            .held
            .iter()
            .filter(|(_, t)| !t.trim().is_empty())
            .map(|(n, t)| {
                let (wrapper, text) = wrapper::strip(t, year);
                InputLine {
                    number: *n,
                    text,
                    wrapper,
                }
            })
            .collect();
        let Some(f) = formats::detect(&lines) else {
            drop(lines);
            // The first line alone may pass as text (random bytes often do): judged on all
            // that was held, such a file gets the message that says what it is.
            if held_looks_binary(&self.held) {
                return Err(LoadError::Binary {
                    name: self.name.to_string(),
                });
            }
            return Err(LoadError::UnknownFormat {
                name: self.name.to_string(),
                lines: self.held_nonblank,
            });
        };
        drop(lines);
        self.start(f);
        let Some((_, parsing, asm)) = self.parser.as_mut() else {
            unreachable!("started above")
        };
        // Held lines are text already (a cut line carries its note).
        for (n, t) in std::mem::take(&mut self.held) {
            parsing.line(n, t.as_bytes(), false, asm);
        }
        Ok(())
    }

    /// Hands every line fed so far to the assembler (lines parsed on the worker come back in
    /// batches): live tail calls this before it looks at what changed.
    pub fn catch_up(&mut self) {
        if let Some((_, Parsing::Worker(worker), asm)) = self.parser.as_mut() {
            worker.flush(&mut push_to(asm));
        }
    }

    /// See [`Assembler::forget_changed`].
    pub fn forget_changed(&mut self) {
        if let Some((_, _, asm)) = self.parser.as_mut() {
            asm.forget_changed();
        }
    }

    /// See [`Assembler::mark_held_changed`].
    pub fn mark_held_changed(&mut self) {
        if let Some((_, _, asm)) = self.parser.as_mut() {
            asm.mark_held_changed();
        }
    }

    /// The indices of the sessions held (not settled and handed out yet).
    pub fn held_sessions(&self) -> std::ops::Range<usize> {
        self.parser.as_ref().map_or(0..0, |p| p.2.held_indices())
    }

    /// Evaluates sessions changed since the last call; for live views.
    pub fn take_changed(&mut self) -> Vec<usize> {
        match self.parser.as_mut() {
            Some((_, _, asm)) => asm.take_changed(),
            None => Vec::new(),
        }
    }

    /// What is known about the source so far (unparsed counts are filled in at the end).
    pub fn report(&self) -> &SourceReport {
        &self.report
    }

    /// Ends the source: detects on what is held if needed, flushes the parser, evaluates.
    pub fn finish(self) -> Result<(Vec<Session>, SourceReport), LoadError> {
        self.finish_changed()
            .map(|(sessions, report, _)| (sessions, report))
    }

    /// As [`Pipeline::finish`], plus the indices of the sessions that changed since the last
    /// [`Pipeline::take_changed`]: a live view only needs those again.
    pub fn finish_changed(mut self) -> Result<(Vec<Session>, SourceReport, Vec<usize>), LoadError> {
        let Some(asm) = self.end_input()? else {
            return Ok((Vec::new(), self.report, Vec::new()));
        };
        let result = asm.finish();
        self.report.unparsed_count = result.unparsed_count;
        self.report.unparsed = result.unparsed;
        Ok((result.sessions, self.report, result.changed))
    }
}

/// Whether the lines held for detection are mostly not text: control bytes, or bytes that
/// are not UTF-8 (held as U+FFFD), in more than a tenth of their characters.
fn held_looks_binary(held: &[(u64, String)]) -> bool {
    let (mut chars, mut odd) = (0usize, 0usize);
    for c in held.iter().flat_map(|(_, t)| t.chars()).take(64 * 1024) {
        chars += 1;
        if c == char::REPLACEMENT_CHARACTER || (c.is_control() && !matches!(c, '\t' | '\x0c' | '\x1b')) {
            odd += 1;
        }
    }
    chars > 0 && odd * 10 > chars
}

/// The promise of line accounting, for tests and fuzzing to check: the non-blank lines of
/// `text` that are neither inside some event's `line..=last_line` nor unparsed, as
/// `(number, text)`. Empty when nothing was silently lost.
pub fn lost_lines(text: &str, sessions: &[Session], report: &SourceReport) -> Vec<(u64, String)> {
    let mut covered = std::collections::BTreeSet::new();
    for s in sessions {
        for e in &s.events {
            covered.extend(e.line..=e.last_line);
        }
    }
    covered.extend(report.unparsed.iter().map(|(n, _)| *n));
    text.lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
        .filter(|(n, l)| !l.trim().is_empty() && !covered.contains(n))
        .map(|(n, l)| (n, l.to_owned()))
        .collect()
}

/// Reads a whole source through a [`Pipeline`].
pub fn load_reader(
    name: Arc<str>,
    reader: impl BufRead,
    opts: &LoadOptions,
    year: i32,
) -> Result<(Vec<Session>, SourceReport), LoadError> {
    let mut lines = LineReader::new(reader);
    let mut pipe = Pipeline::new(name.clone(), opts, year);
    pipe.parse_in_background();
    let mut first = true;
    loop {
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => return stopped_early(&name, pipe, e),
        };
        if first {
            first = false;
            if source::looks_binary(line.bytes) && opts.format.is_none() {
                return Err(LoadError::Binary {
                    name: name.to_string(),
                });
            }
        }
        pipe.feed(line.number, line.bytes, line.truncated)?;
    }
    pipe.finish()
}

/// How long (in lines) a session must be left alone before streaming prints it: far more than
/// the gap between a connection's last line and the delivery results logged after it, small
/// enough that a big log's sessions never pile up in memory.
pub const STREAM_WINDOW: u64 = 100_000;

/// Why streaming stopped.
#[derive(Debug)]
pub enum StreamError {
    Load(LoadError),
    /// The sink failed (a closed pipe, a full disk): stop reading.
    Write(std::io::Error),
}

/// Reads one input and hands its sessions to `sink` in batches, each once it is final enough
/// (see [`STREAM_WINDOW`]), in session order, so `--list`/`--json` print the first sessions of
/// a big log at once and hold only the window in memory. Returns the source's report.
pub fn stream_input(
    input: &Input,
    opts: &LoadOptions,
    sink: &mut dyn FnMut(Vec<Session>) -> std::io::Result<()>,
) -> Result<SourceReport, StreamError> {
    let name: Arc<str> = Arc::from(input.name());
    let reader = source::open(input)
        .map_err(|e| match input {
            Input::File(p) => LoadError::Io(source::describe_io(p, &e)),
            Input::Stdin => LoadError::Io(format!("standard input: cannot read: {e}")),
        })
        .map_err(StreamError::Load)?;
    stream_reader(name, reader, opts, input_year(input), STREAM_WINDOW, sink)
}

/// As [`stream_input`], from any reader and with a chosen settle window (tests use small ones).
///
/// With a core to spare, reading and assembling run on a thread of their own while this one
/// evaluates the settled sessions and hands them to `sink`: assembling is the slowest stage of
/// a big load, and evaluating, printing and freeing a session cost a good part of it.
pub fn stream_reader(
    name: Arc<str>,
    reader: impl BufRead + Send,
    opts: &LoadOptions,
    year: i32,
    window: u64,
    sink: &mut dyn FnMut(Vec<Session>) -> std::io::Result<()>,
) -> Result<SourceReport, StreamError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    stream_reader_on(cores > 1, name, reader, opts, year, window, sink)
}

/// [`stream_reader`], evaluating and sinking on this thread or (`threaded`) beside the reading.
fn stream_reader_on(
    threaded: bool,
    name: Arc<str>,
    reader: impl BufRead + Send,
    opts: &LoadOptions,
    year: i32,
    window: u64,
    sink: &mut dyn FnMut(Vec<Session>) -> std::io::Result<()>,
) -> Result<SourceReport, StreamError> {
    let here = |name, reader, sink: &mut dyn FnMut(Vec<Session>) -> std::io::Result<()>| {
        stream_settled(name, reader, opts, year, window, &mut |mut batch| {
            evaluate_unevaluated(&mut batch);
            sink(batch.sessions)
        })
    };
    if !threaded {
        return here(name, reader, sink);
    }
    // The reader waits here until the thread takes it, so it is still at hand when no thread
    // can be started (a process limit): then everything runs on this thread.
    let slot = std::sync::Mutex::new(Some(reader));
    std::thread::scope(|scope| {
        // A few batches in flight keep both threads busy; more would only hold memory.
        let (to_sink, batches) = std::sync::mpsc::sync_channel::<SettledBatch>(4);
        let (slot_ref, thread_name) = (&slot, name.clone());
        let assembling = crate::threads::helper("smtpscope-assemble").and_then(|b| {
            b.spawn_scoped(scope, move || {
                let reader = slot_ref.lock().unwrap_or_else(|e| e.into_inner()).take();
                let reader = reader.expect("the reader is taken once");
                stream_settled(thread_name, reader, opts, year, window, &mut |batch| {
                    to_sink
                        .send(batch)
                        .map_err(|_| std::io::ErrorKind::BrokenPipe.into())
                })
            })
        });
        let Ok(assembling) = assembling else {
            let reader = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            return here(name, reader.expect("no thread took the reader"), sink);
        };
        let mut failed = None;
        for mut batch in batches {
            evaluate_unevaluated(&mut batch);
            if let Err(e) = sink(batch.sessions) {
                // Dropping the receiver stops the reading thread at its next batch.
                failed = Some(e);
                break;
            }
        }
        let result = match assembling.join() {
            Ok(result) => result,
            Err(payload) => std::panic::resume_unwind(payload),
        };
        match failed {
            Some(e) => Err(StreamError::Write(e)),
            None => result,
        }
    })
}

/// Settled sessions on their way to the sink; those taken while reading are not evaluated
/// yet (the sink's thread does it), the last ones are.
struct SettledBatch {
    sessions: Vec<Session>,
    evaluated: bool,
}

fn evaluate_unevaluated(batch: &mut SettledBatch) {
    if !batch.evaluated {
        batch.sessions.iter_mut().for_each(Session::evaluate);
        batch.evaluated = true;
    }
}

/// Reads and assembles, handing settled sessions to `emit` as they settle.
fn stream_settled(
    name: Arc<str>,
    reader: impl BufRead,
    opts: &LoadOptions,
    year: i32,
    window: u64,
    emit: &mut dyn FnMut(SettledBatch) -> std::io::Result<()>,
) -> Result<SourceReport, StreamError> {
    let mut lines = LineReader::new(reader);
    let mut pipe = Pipeline::new(name.clone(), opts, year);
    pipe.parse_in_background();
    pipe.settle_after(window);
    let mut first = true;
    let mut read_error = None;
    loop {
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        };
        if first {
            first = false;
            if source::looks_binary(line.bytes) && opts.format.is_none() {
                return Err(StreamError::Load(LoadError::Binary {
                    name: name.to_string(),
                }));
            }
        }
        let number = line.number;
        pipe.feed(number, line.bytes, line.truncated)
            .map_err(StreamError::Load)?;
        if number % 4096 == 0 {
            let settled = pipe.take_settled_unevaluated();
            if !settled.is_empty() {
                emit(SettledBatch {
                    sessions: settled,
                    evaluated: false,
                })
                .map_err(StreamError::Write)?;
            }
        }
    }
    let (sessions, report) = pipe.finish().map_err(StreamError::Load)?;
    if let Some(e) = read_error {
        if report.lines == 0 {
            return Err(StreamError::Load(LoadError::Io(format!(
                "{name}: cannot read: {e}"
            ))));
        }
        eprintln!(
            "smtpscope: {}: reading stopped early: {e}; showing what was read",
            crate::sanitize::escape_controls(&name)
        );
    }
    if !sessions.is_empty() {
        emit(SettledBatch {
            sessions,
            evaluated: true,
        })
        .map_err(StreamError::Write)?;
    }
    Ok(report)
}

/// Keeps what was read before a read error; says where reading stopped.
fn stopped_early(
    name: &str,
    pipe: Pipeline,
    e: std::io::Error,
) -> Result<(Vec<Session>, SourceReport), LoadError> {
    match pipe.finish() {
        Ok(ok) if !ok.0.is_empty() => {
            eprintln!(
                "smtpscope: {}: reading stopped early: {e}; showing what was read",
                crate::sanitize::escape_controls(name)
            );
            Ok(ok)
        }
        _ => Err(LoadError::Io(format!("{name}: cannot read: {e}"))),
    }
}

/// Loads one input.
pub fn load_input(input: &Input, opts: &LoadOptions) -> Result<(Vec<Session>, SourceReport), LoadError> {
    let name: Arc<str> = Arc::from(input.name());
    let reader = source::open(input).map_err(|e| match input {
        Input::File(p) => LoadError::Io(source::describe_io(p, &e)),
        Input::Stdin => LoadError::Io(format!("standard input: cannot read: {e}")),
    })?;
    load_reader(name, reader, opts, input_year(input))
}

/// The year assumed for stamps that carry none: the file's modification year, or this year.
pub fn input_year(input: &Input) -> i32 {
    match input {
        Input::File(p) => std::fs::metadata(p)
            .and_then(|m| m.modified())
            .map(|t| chrono::DateTime::<chrono::Local>::from(t).year())
            .unwrap_or_else(|_| chrono::Local::now().year()),
        Input::Stdin => chrono::Local::now().year(),
    }
}

/// Loads every input; an input that fails is reported in `problems` and the rest still load.
/// Sessions are ordered by start time where every session has a dated start, otherwise by
/// input order and position in the file.
pub fn load_all(inputs: &[Input], opts: &LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    for input in inputs {
        match load_input(input, opts) {
            Ok((sessions, report)) => {
                if report.lines == 0 {
                    loaded
                        .problems
                        .push(format!("{}: empty file (nothing to read)", report.name));
                }
                loaded.sessions.extend(sessions);
                loaded.sources.push(report);
            }
            Err(e) => loaded.problems.push(e.to_string()),
        }
    }
    sort_sessions(&mut loaded.sessions);
    loaded
}

/// Orders sessions by start time when all have dated starts (stable, so ties keep file order).
pub fn sort_sessions(sessions: &mut [Session]) {
    if sessions.iter().all(|s| s.start.is_some_and(|t| t.has_date)) {
        sessions.sort_by_key(|s| s.start.map(|t| t.when));
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    /// Streams `log` on one thread or two; the sessions as JSON, or the error.
    fn streamed(
        threaded: bool,
        log: &str,
        fail_at: Option<usize>,
    ) -> (Vec<String>, usize, Result<(), String>) {
        let mut out = Vec::new();
        let mut batches = 0;
        let mut sink = |batch: Vec<Session>| {
            batches += 1;
            if Some(batches) == fail_at {
                return Err(std::io::Error::other("disk full"));
            }
            out.extend(batch.iter().map(|s| crate::output::json::session_json(s, false)));
            Ok(())
        };
        let result = stream_reader_on(
            threaded,
            Arc::from("t"),
            log.as_bytes(),
            &LoadOptions::default(),
            2026,
            300,
            &mut sink,
        );
        let result = result.map(|_| ()).map_err(|e| match e {
            StreamError::Write(e) => format!("write: {e}"),
            StreamError::Load(e) => format!("load: {e}"),
        });
        (out, batches, result)
    }

    fn log() -> String {
        crate::testdata::postfix_connections(6_000)
    }

    #[test]
    fn sinking_beside_the_reading_gives_the_same_evaluated_sessions() {
        let log = log();
        let (here, here_batches, ok) = streamed(false, &log, None);
        assert_eq!(ok, Ok(()));
        assert!(
            here_batches > 3,
            "{here_batches} batches: the window settled nothing mid-file"
        );
        let (beside, _, ok) = streamed(true, &log, None);
        assert_eq!(ok, Ok(()));
        assert_eq!(beside, here);
        // Evaluated before they reach the sink: every session has its status and summary.
        let (whole, _) =
            load_reader(Arc::from("t"), log.as_bytes(), &LoadOptions::default(), 2026).expect("loads");
        let mut whole: Vec<String> = whole
            .iter()
            .map(|s| crate::output::json::session_json(s, false))
            .collect();
        let mut beside = beside;
        whole.sort();
        beside.sort();
        assert_eq!(beside, whole);
    }

    #[test]
    fn a_failing_sink_stops_the_reading_and_its_error_is_returned() {
        let log = log();
        for threaded in [false, true] {
            let (_, batches, result) = streamed(threaded, &log, Some(2));
            assert_eq!(result, Err("write: disk full".to_owned()), "threaded: {threaded}");
            assert_eq!(
                batches, 2,
                "threaded: {threaded}: the sink was called after it failed"
            );
        }
    }
}
