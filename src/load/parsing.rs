//! The parsing half of a [`super::Pipeline`]: lines to records, on the reading thread or on a
//! worker thread. Parsing a line (wrapper, format grammar) costs about as much as assembling
//! its records, so a big file loads on two cores when the two halves run side by side; the
//! records still reach the one assembler in line order, so the sessions are the same.

use crate::assemble::{prepare, Prepared};
use crate::formats::{InputLine, Item, LineParser, Record};
use crate::wrapper::{self, Wrapper, WrapperAt};
use std::borrow::Cow;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

/// A record and the input line being read when the parser wrote it (which may be a later line
/// than the record's own: see [`crate::assemble::Assembler::input_line`]).
pub struct Parsed {
    pub input_line: u64,
    pub record: Record,
    /// The record's note scanned here, on the parsing side (see [`Prepared`]).
    pub prepared: Prepared,
}

/// Line to records, with the pipeline's line accounting: a line the parser wrote nothing for
/// joins the session of the record before it as [`Item::Skipped`].
pub struct Front {
    parser: Box<dyn LineParser>,
    year: i32,
    records: Vec<Record>,
    /// The key of the last record, for lines the parser returned nothing for.
    last_key: Option<crate::formats::Key>,
    /// Lines the parser returned nothing for before its first record (headers).
    orphans: Vec<(u64, String)>,
    /// Scan notes here ([`prepare`]); off while the reading thread does it (see
    /// [`ParseWorker::strip_here`]).
    preparing: bool,
}

impl Front {
    pub fn new(parser: Box<dyn LineParser>, year: i32) -> Self {
        Front {
            parser,
            year,
            records: Vec::new(),
            last_key: None,
            orphans: Vec::new(),
            preparing: true,
        }
    }

    /// Parses one line into `out`; blank lines yield nothing.
    pub fn parse(&mut self, number: u64, text: &str, out: &mut Vec<Parsed>) {
        if text.trim().is_empty() {
            return;
        }
        let (wrapper, native) = wrapper::strip(text, self.year);
        self.parse_stripped(number, text, wrapper, native, out);
    }

    /// As [`Front::parse`], for a line not blank whose wrapper is already stripped (on the
    /// reading thread: see [`ParseWorker`]).
    fn parse_stripped(
        &mut self,
        number: u64,
        text: &str,
        wrapper: Wrapper<'_>,
        native: &str,
        out: &mut Vec<Parsed>,
    ) {
        let line = InputLine {
            number,
            text: native,
            wrapper,
        };
        self.parser.parse(&line, &mut self.records);
        // Every line is accounted for: a line no record names is recorded as skipped in the
        // session written last (before the first record: in the first session).
        if let Some(first) = self.records.first().filter(|_| !self.orphans.is_empty()) {
            let first = first.key.clone();
            for (n, t) in std::mem::take(&mut self.orphans) {
                self.records.push(Record {
                    key: first.clone(),
                    line: n,
                    time: None,
                    item: Item::Skipped(t),
                });
            }
        }
        // Most lines continue the session of the line before: keep the key without copying it.
        if let Some(last) = self.records.last() {
            if self.last_key.as_deref() != Some(last.key.as_str()) {
                self.last_key = Some(last.key.clone());
            }
        }
        if !self.parser.holds_lines() && !self.records.iter().any(|r| r.line == number) {
            match &self.last_key {
                Some(key) => self.records.push(Record {
                    key: key.clone(),
                    line: number,
                    time: None,
                    item: Item::Skipped(text.to_owned()),
                }),
                None => self.orphans.push((number, text.to_owned())),
            }
        }
        let preparing = self.preparing;
        out.extend(self.records.drain(..).map(|record| Parsed {
            input_line: number,
            prepared: if preparing {
                prepare(&record.item)
            } else {
                Prepared::default()
            },
            record,
        }));
    }

    /// See [`LineParser::notes_without_text`].
    pub fn notes_without_text(&mut self, yes: bool) {
        self.parser.notes_without_text(yes);
    }

    /// The end of the input: what the parser still held (after every line: input line 0),
    /// and the lines no record ever claimed.
    pub fn finish(mut self, out: &mut Vec<Parsed>) -> Vec<(u64, String)> {
        self.parser.finish(&mut self.records);
        out.extend(self.records.drain(..).map(|record| Parsed {
            input_line: 0,
            prepared: prepare(&record.item),
            record,
        }));
        self.orphans
    }
}

/// A line as text: valid UTF-8 (nearly every line) is borrowed, not copied; a cut line says
/// so at its end.
pub fn line_text(bytes: &[u8], truncated: bool) -> Cow<'_, str> {
    // `from_utf8` checks valid text faster than `from_utf8_lossy` walks it.
    let mut text = match std::str::from_utf8(bytes) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    if truncated {
        text.to_mut().push_str(" [… line truncated: longer than 64 KiB]");
    }
    text
}

/// Lines sent to the worker at a time: enough to make a send cheap, few enough that records
/// reach the assembler soon (a viewer shows sessions while they load).
const BATCH_LINES: usize = 1024;

/// Batches the worker may hold before the reader waits for its records: bounds the memory
/// between the two threads.
const IN_FLIGHT: usize = 3;

/// Raw lines, one after another, and (coming back) their records. Batches go back and forth
/// and are reused, so their buffers are allocated once.
#[derive(Default)]
struct LineBatch {
    bytes: Vec<u8>,
    /// Per line: number, end in `bytes`, cut at [`crate::source::MAX_LINE`].
    lines: Vec<(u64, usize, bool)>,
    /// Per line, what the reading thread found before sending the batch ([`strip_batch`]);
    /// empty when the batch is not valid text as a whole.
    heads: Vec<Head>,
    /// The reading thread scans the notes of this batch's records when they come back
    /// (it strips the wrappers too: the worker is behind).
    prepared_by_reader: bool,
    parsed: Vec<Parsed>,
    /// See [`LineParser::notes_without_text`]; a batch says it so the worker learns it in
    /// line order.
    notes_without_text: bool,
}

/// A line as the reading thread left it for the worker.
#[derive(Clone, Copy)]
enum Head {
    Blank,
    Stripped(WrapperAt),
    /// Cut, or not text: the worker makes its text and strips it.
    Raw,
}

/// Strips the wrappers of a batch's lines, on the reading thread, when the worker is behind
/// (see [`ParseWorker::strip_here`]); the notes of its records are scanned here too.
fn strip_batch(batch: &mut LineBatch, year: i32) {
    batch.heads.clear();
    let Ok(whole) = std::str::from_utf8(&batch.bytes) else {
        return;
    };
    let mut start = 0;
    for &(_, end, truncated) in &batch.lines {
        let head = match whole.get(start..end) {
            Some(_) if truncated => Head::Raw,
            Some(t) if t.trim().is_empty() => Head::Blank,
            Some(t) => WrapperAt::strip(t, year).map_or(Head::Raw, Head::Stripped),
            None => Head::Raw,
        };
        batch.heads.push(head);
        start = end;
    }
}

/// A [`Front`] on its own thread, fed batches of lines; its records come back in order.
pub struct ParseWorker {
    batch: LineBatch,
    spare: Vec<LineBatch>,
    to_worker: Option<Sender<LineBatch>>,
    from_worker: Receiver<LineBatch>,
    handle: Option<JoinHandle<Front>>,
    in_flight: usize,
    notes_without_text: bool,
    /// For the wrappers stripped on this side (the worker's [`Front`] has the same).
    year: i32,
    /// The last wait for the worker's records found none ready: the worker is behind, so
    /// this thread strips the wrappers of the next batch and scans its records' notes (both
    /// are stateless; the grammar is not). Whichever thread has time to spare does it: for
    /// PHPMailer and Exchange logs the worker is the slow side, for Postfix it is about even
    /// with assembling.
    strip_here: bool,
    /// Tests: strip every batch here, whoever is behind.
    strip_always: bool,
}

impl ParseWorker {
    /// Starts the thread; fails only when the system cannot start one.
    pub fn spawn(mut front: Front) -> std::io::Result<ParseWorker> {
        let year = front.year;
        let (to_worker, lines) = mpsc::channel::<LineBatch>();
        let (records, from_worker) = mpsc::channel();
        let handle = crate::threads::helper(super::PARSE_THREAD)?.spawn(move || {
            for mut batch in lines {
                front.notes_without_text(batch.notes_without_text);
                front.preparing = !batch.prepared_by_reader;
                // One check of the whole batch is cheaper than one per line; a line is
                // then valid when it starts and ends on character boundaries.
                let whole = std::str::from_utf8(&batch.bytes).ok();
                let mut start = 0;
                for (i, &(number, end, truncated)) in batch.lines.iter().enumerate() {
                    let text = match whole.and_then(|w| w.get(start..end)) {
                        Some(t) if !truncated => Cow::Borrowed(t),
                        _ => line_text(&batch.bytes[start..end], truncated),
                    };
                    start = end;
                    let stripped = match batch.heads.get(i) {
                        Some(Head::Blank) => continue,
                        Some(Head::Stripped(at)) => at.resolve(&text),
                        Some(Head::Raw) | None => None,
                    };
                    match stripped {
                        Some((wrapper, native)) => {
                            front.parse_stripped(number, &text, wrapper, native, &mut batch.parsed)
                        }
                        None => front.parse(number, &text, &mut batch.parsed),
                    }
                }
                if records.send(batch).is_err() {
                    break;
                }
            }
            front
        })?;
        Ok(ParseWorker {
            batch: LineBatch::default(),
            spare: Vec::new(),
            to_worker: Some(to_worker),
            from_worker,
            handle: Some(handle),
            in_flight: 0,
            notes_without_text: false,
            year,
            strip_here: false,
            strip_always: false,
        })
    }

    /// Tests: strips the wrappers on this thread for every batch from now on.
    #[cfg(test)]
    fn strip_always(&mut self) {
        self.strip_always = true;
        self.strip_here = true;
    }

    /// See [`LineParser::notes_without_text`]: for the lines queued from now on.
    pub fn notes_without_text(&mut self, yes: bool) {
        self.notes_without_text = yes;
        self.batch.notes_without_text = yes;
    }

    /// Queues a line; records parsed meanwhile are handed to `push`, in order.
    pub fn add(&mut self, number: u64, bytes: &[u8], truncated: bool, push: &mut dyn FnMut(&mut Parsed)) {
        self.batch.bytes.extend_from_slice(bytes);
        self.batch.lines.push((number, self.batch.bytes.len(), truncated));
        if self.batch.lines.len() >= BATCH_LINES {
            self.send(push);
        }
    }

    fn send(&mut self, push: &mut dyn FnMut(&mut Parsed)) {
        if self.batch.lines.is_empty() {
            return;
        }
        if self.in_flight >= IN_FLIGHT {
            self.receive(push);
        }
        if self.strip_here {
            strip_batch(&mut self.batch, self.year);
        }
        self.batch.prepared_by_reader = self.strip_here;
        let mut next = self.spare.pop().unwrap_or_default();
        next.notes_without_text = self.notes_without_text;
        let batch = std::mem::replace(&mut self.batch, next);
        let sent = self.to_worker.as_ref().is_some_and(|tx| tx.send(batch).is_ok());
        if !sent {
            self.rethrow();
        }
        self.in_flight += 1;
        while let Ok(batch) = self.from_worker.try_recv() {
            self.take_back(batch, push);
        }
    }

    /// Hands a parsed batch's records on and keeps the batch for reuse.
    fn take_back(&mut self, mut batch: LineBatch, push: &mut dyn FnMut(&mut Parsed)) {
        self.in_flight -= 1;
        // Handed over where they lie: the assembler takes their text, not the whole record.
        for p in &mut batch.parsed {
            if batch.prepared_by_reader {
                p.prepared = prepare(&p.record.item);
            }
            push(p);
        }
        batch.parsed.clear();
        batch.bytes.clear();
        batch.lines.clear();
        batch.heads.clear();
        self.spare.push(batch);
    }

    /// Waits for the oldest batch's records.
    fn receive(&mut self, push: &mut dyn FnMut(&mut Parsed)) {
        let ready = self.from_worker.try_recv();
        self.strip_here = self.strip_always || matches!(ready, Err(mpsc::TryRecvError::Empty));
        match ready.or_else(|_| self.from_worker.recv()) {
            Ok(batch) => self.take_back(batch, push),
            Err(_) => self.rethrow(),
        }
    }

    /// Sends what is queued and waits until every record is handed to `push`, the worker
    /// staying ready for more: live tail, before it shows what changed.
    pub fn flush(&mut self, push: &mut dyn FnMut(&mut Parsed)) {
        self.send(push);
        while self.in_flight > 0 {
            self.receive(push);
        }
    }

    /// Sends what is queued and waits until every record is handed to `push`: the worker is
    /// idle and its [`Front`] comes back.
    pub fn finish(mut self, push: &mut dyn FnMut(&mut Parsed)) -> Front {
        self.send(push);
        while self.in_flight > 0 {
            self.receive(push);
        }
        self.to_worker = None;
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(front)) => front,
            Some(Err(payload)) => std::panic::resume_unwind(payload),
            None => unreachable!("the worker is joined once"),
        }
    }

    /// The worker stopped early: only a panic does that; it goes on here as the same panic.
    fn rethrow(&mut self) -> ! {
        self.to_worker = None;
        match self.handle.take().map(JoinHandle::join) {
            Some(Err(payload)) => std::panic::resume_unwind(payload),
            _ => panic!("the parse thread stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::formats::{self, Format, InputLine, LineParser, Record};
    use crate::load::{LoadOptions, Pipeline};
    use std::sync::Arc;

    /// Feeds `text` through a pipeline, parsing on a worker or not.
    fn load(text: &str, background: bool, opts: &LoadOptions) -> Vec<String> {
        let lines: Vec<(Vec<u8>, bool)> = text.lines().map(|l| (l.into(), false)).collect();
        load_bytes(&lines, background, opts)
    }

    /// Lines as bytes (each with whether it was cut) through a pipeline: its sessions as
    /// JSON, the line counts, and the unparsed lines kept.
    fn load_bytes(lines: &[(Vec<u8>, bool)], background: bool, opts: &LoadOptions) -> Vec<String> {
        let mut pipe = Pipeline::new(Arc::from("t"), opts, 2026);
        if background {
            pipe.parse_in_background();
        }
        for (i, (line, truncated)) in lines.iter().enumerate() {
            pipe.feed(i as u64 + 1, line, *truncated).expect("feeds");
        }
        let (sessions, report) = pipe.finish().expect("finishes");
        let mut out: Vec<String> = sessions
            .iter()
            .map(|s| crate::output::json::session_json(s, false))
            .collect();
        out.push(format!(
            "{} lines, {} unparsed",
            report.lines, report.unparsed_count
        ));
        out.extend(
            report
                .unparsed
                .iter()
                .map(|(n, text)| format!("unparsed {n}: {text}")),
        );
        out
    }

    #[test]
    fn a_worker_parses_to_the_same_sessions() {
        // Enough lines for many batches, so records cross between the threads mid-file.
        let sample = include_str!("../../sample-logs/postfix-maillog.log");
        let text = sample.repeat(1 + 3 * super::BATCH_LINES * super::IN_FLIGHT / sample.lines().count());
        let opts = LoadOptions::default();
        let inline = load(&text, false, &opts);
        assert!(inline.len() > 100, "{} sessions", inline.len());
        assert_eq!(load(&text, true, &opts), inline);
    }

    /// The worker checks a batch's text once, not line by line: a line that is not valid
    /// UTF-8 alone (a character split across two lines, which is valid once they are joined),
    /// a stray byte, and a cut line read as they do on this thread.
    #[test]
    fn a_worker_reads_broken_text_as_this_thread_does() {
        let tag = "Nov 22 10:00:02 mx1 postfix/smtpd[4242]: ";
        // After enough lines for the format to be known and batches to go to the worker.
        let sample = include_str!("../../sample-logs/postfix-maillog.log");
        let before = sample.repeat(1 + 2 * super::BATCH_LINES / sample.lines().count());
        let mut lines: Vec<(Vec<u8>, bool)> = before.lines().map(|l| (l.into(), false)).collect();
        lines.push((format!("{tag}connect from a[192.0.2.1]").into(), false));
        let mut split_start: Vec<u8> = format!("{tag}warning: caf").into();
        split_start.push(0xC3);
        let mut split_end = vec![0xA9];
        split_end.extend_from_slice(format!(" {tag}warning: after").as_bytes());
        let mut stray: Vec<u8> = format!("{tag}warning: bad ").into();
        stray.extend_from_slice(&[0xFF, b'x']);
        lines.extend([
            (split_start, false),
            (split_end, false),
            (format!("{tag}warning: cut here").into(), true),
            (
                format!("{tag}disconnect from a[192.0.2.1] quit=1 commands=1").into(),
                false,
            ),
        ]);
        // Joined, these lines are valid text; with the stray byte the batch is not.
        let mut with_stray = lines.clone();
        with_stray.insert(lines.len() - 3, (stray, false));
        for (lines, want) in [(lines, "warning: caf\u{FFFD}"), (with_stray, "bad \u{FFFD}x")] {
            let inline = load_bytes(&lines, false, &LoadOptions::default());
            let all = inline.join("\n");
            assert!(all.contains(want), "{all}");
            assert!(all.contains(": \u{FFFD} Nov 22"), "{all}");
            assert!(all.contains("cut here [… line truncated"), "{all}");
            assert_eq!(load_bytes(&lines, true, &LoadOptions::default()), inline);
        }
    }

    /// Records of `lines` parsed by `format`: on this thread, or on a worker with every
    /// wrapper stripped on the sending side (`stripped_here`) or none.
    fn records(
        format: &'static dyn Format,
        lines: &[(Vec<u8>, bool)],
        on_worker: Option<bool>,
    ) -> Vec<String> {
        let front = super::Front::new(format.parser(), 2026);
        let mut out = Vec::new();
        let mut keep =
            |p: &mut super::Parsed| out.push(format!("{} {:?} {:?}", p.input_line, p.record, p.prepared));
        let Some(stripped_here) = on_worker else {
            let mut front = front;
            let mut parsed = Vec::new();
            for (i, (bytes, truncated)) in lines.iter().enumerate() {
                front.parse(i as u64 + 1, &super::line_text(bytes, *truncated), &mut parsed);
            }
            front.finish(&mut parsed);
            parsed.iter_mut().for_each(&mut keep);
            return out;
        };
        let mut worker = super::ParseWorker::spawn(front).expect("a thread");
        if stripped_here {
            worker.strip_always();
        }
        for (i, (bytes, truncated)) in lines.iter().enumerate() {
            worker.add(i as u64 + 1, bytes, *truncated, &mut keep);
        }
        let front = worker.finish(&mut keep);
        let mut parsed = Vec::new();
        front.finish(&mut parsed);
        parsed.iter_mut().for_each(&mut keep);
        out
    }

    /// Wrappers stripped and notes scanned on the reading thread give the same records, and
    /// the same scans, as when the worker does both: every sample in its format, over a few batches, with blank
    /// lines, cut lines and a batch that is not valid text among them.
    #[test]
    fn wrappers_stripped_on_the_reading_side_parse_the_same() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).expect("sample-logs") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("a sample");
            let heads: Vec<_> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| crate::wrapper::strip(l, 2026))
                .collect();
            let input: Vec<InputLine<'_>> = heads
                .iter()
                .map(|(wrapper, text)| InputLine {
                    number: 1,
                    text,
                    wrapper: wrapper.clone(),
                })
                .collect();
            let format = formats::detect(&input).unwrap_or_else(|| panic!("{path:?}: no format"));
            // Whole batches of valid text first (stripped on the sending side), then a batch
            // that is not valid text as a whole (left to the worker).
            let mut lines: Vec<(Vec<u8>, bool)> = Vec::new();
            let rounds = 2 + super::BATCH_LINES / text.lines().count();
            for round in 0..rounds {
                for (i, l) in text.lines().enumerate() {
                    lines.push((l.into(), round == 1 && i % 7 == 3));
                    if i % 11 == 0 {
                        lines.push((b"   ".to_vec(), false));
                    }
                }
                if round == rounds - 1 {
                    lines.push((vec![b'x', 0xFF, b'y'], false));
                }
            }
            let here = records(format, &lines, None);
            assert!(here.len() > 3, "{path:?}");
            assert_eq!(records(format, &lines, Some(true)), here, "{path:?}");
            assert_eq!(records(format, &lines, Some(false)), here, "{path:?}");
            checked += 1;
        }
        assert!(checked >= 30, "{checked} samples");
    }

    /// A parser that fails on a given line, as a bug would.
    struct Breaks;
    struct BreaksParser;
    impl Format for Breaks {
        fn name(&self) -> &'static str {
            "breaks"
        }
        fn description(&self) -> &'static str {
            "test"
        }
        fn how_to_enable(&self) -> &'static str {
            "test"
        }
        fn detect(&self, _: &InputLine<'_>) -> bool {
            false
        }
        fn parser(&self) -> Box<dyn LineParser> {
            Box::new(BreaksParser)
        }
    }
    impl LineParser for BreaksParser {
        fn parse(&mut self, line: &InputLine<'_>, out: &mut Vec<Record>) {
            assert!(line.text != "boom", "the parser broke on line {}", line.number);
            out.push(Record {
                key: "k".into(),
                line: line.number,
                time: None,
                item: formats::Item::Begin,
            });
        }
    }

    #[test]
    fn a_panic_on_the_worker_reaches_the_reader() {
        static BREAKS: Breaks = Breaks;
        let opts = LoadOptions {
            format: Some(&BREAKS),
            year: None,
        };
        let text = format!("{}boom\n{}", "fine\n".repeat(5000), "fine\n".repeat(5000));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load(&text, true, &opts)));
        let payload = caught.expect_err("the worker's panic goes on in the reader");
        let message = payload.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("broke on line 5001"), "{message:?}");
    }
}
