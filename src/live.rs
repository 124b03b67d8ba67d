//! `-f` without the viewer: follows the inputs and prints each session once it has finished,
//! as a `--list` line or a `--json` object, flushing after each so `smtpscope -f --json log |
//! jq` shows sessions as they end. Sessions still open when every input has ended (standard
//! input closed) are printed then. `--filter/--since/--until` choose which finished sessions
//! are printed. On a terminal without `--list`/`--json`, `-f` opens the viewer in live mode.

use crate::cli::Cli;
use crate::feed::Update;
use crate::filter::Filter;
use crate::load::{LoadOptions, SourceReport};
use crate::model::{Session, Status};
use crate::output;
use crate::run::{EXIT_NO_INPUT, EXIT_USAGE};
use crate::source::follow::{spawn_follower_with, FollowOptions};
use crate::source::{self, Input};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

/// Runs live tail; returns the exit code.
pub fn run(cli: &Cli, opts: LoadOptions, filter: Option<Filter>) -> i32 {
    let inputs = if cli.files.is_empty() {
        if io::stdin().is_terminal() {
            eprintln!("smtpscope: -f needs something to follow: give log files, or pipe a log into `smtpscope -f -`. Try --help.");
            return EXIT_USAGE;
        }
        vec![Input::Stdin]
    } else {
        follow_inputs(&cli.files)
    };
    if inputs.is_empty() {
        return EXIT_NO_INPUT;
    }
    let follow = FollowOptions {
        poll_only: cli.poll,
        ..FollowOptions::default()
    };
    if !cli.list && !cli.json && io::stdout().is_terminal() {
        // The viewer in live mode (`options_from_cli` sees `-f`); settled sessions become
        // rows, so a long tail costs the viewer what loading the same file does.
        let viewer = crate::tui::options_from_cli(cli, &inputs);
        let follow = FollowOptions {
            compact: true,
            ..follow
        };
        return crate::tui::run_updates(spawn_follower_with(inputs, opts, follow), viewer, filter);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut printer = Printer::new(cli.json, cli.reveal_secrets).with_filter(filter);
    let result = (|| -> io::Result<()> {
        for update in spawn_follower_with(inputs, opts, follow) {
            if printer.apply(update, &mut out)? {
                break;
            }
        }
        if printer.read_any_source() {
            printer.finish(&mut out)?;
        }
        Ok(())
    })();
    match result {
        // Every input ended and none could be read (binary data, unknown format), as without -f.
        Ok(()) if !printer.read_any_source() => EXIT_NO_INPUT,
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("smtpscope: writing output: {e}");
            EXIT_NO_INPUT
        }
    }
}

/// Like [`source::expand`], but a path that does not exist yet is kept: it is waited for.
/// Problems (unreadable directories) are printed to stderr. Also for the viewer's live mode.
pub fn follow_inputs(args: &[PathBuf]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for arg in args {
        if arg.as_os_str() != "-"
            && std::fs::metadata(arg).is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
        {
            inputs.push(Input::File(arg.clone()));
            continue;
        }
        let (found, problems) = source::expand(std::slice::from_ref(arg));
        for p in problems {
            eprintln!("smtpscope: {}", crate::sanitize::escape_controls(&p));
        }
        inputs.extend(found);
    }
    inputs
}

/// True when a session will not change in a way that matters: decided and either closed,
/// or followed by a later session of the same source.
pub fn is_finished(s: &Session, later_session_seen: bool) -> bool {
    s.status() != Status::Open && (s.closed || later_session_seen)
}

/// Which sessions were printed: a bit per session index, per source. A tail left running
/// prints millions of sessions; a set of their addresses grew by about 50 MB a million.
#[derive(Default)]
struct Printed(Vec<Vec<u64>>);

impl Printed {
    fn insert(&mut self, source: usize, index: usize) {
        if self.0.len() <= source {
            self.0.resize_with(source + 1, Vec::new);
        }
        let bits = &mut self.0[source];
        if bits.len() <= index / 64 {
            bits.resize(index / 64 + 1, 0);
        }
        bits[index / 64] |= 1 << (index % 64);
    }

    fn contains(&self, source: usize, index: usize) -> bool {
        let word = self.0.get(source).and_then(|bits| bits.get(index / 64));
        word.is_some_and(|w| w & (1 << (index % 64)) != 0)
    }
}

/// Turns the update stream into printed sessions, each printed exactly once.
pub struct Printer {
    json: bool,
    reveal: bool,
    /// Sessions seen but not printed yet, by (source, index).
    waiting: BTreeMap<(usize, usize), Session>,
    printed: Printed,
    highest_index: HashMap<usize, usize>,
    reports: BTreeMap<usize, SourceReport>,
    counts: crate::output::list::Tally,
    /// Only finished sessions matching this are printed.
    filter: Option<Filter>,
}

impl Printer {
    pub fn new(json: bool, reveal: bool) -> Self {
        Printer {
            json,
            reveal,
            waiting: BTreeMap::new(),
            printed: Printed::default(),
            highest_index: HashMap::new(),
            reports: BTreeMap::new(),
            counts: Default::default(),
            filter: None,
        }
    }

    /// Prints only the sessions that match `filter` (`--filter/--since/--until`), judged
    /// once each has finished.
    pub fn with_filter(mut self, filter: Option<Filter>) -> Self {
        self.filter = filter;
        self
    }

    /// Applies one update, printing what it finished; true on [`Update::Done`]. A session
    /// that changes after it was printed (a late delivery note) is not printed again.
    pub fn apply(&mut self, update: Update, out: &mut impl Write) -> io::Result<bool> {
        match update {
            Update::Session {
                source,
                index,
                session,
            } => {
                if self.printed.contains(source, index) {
                    return Ok(false);
                }
                let high = self.highest_index.entry(source).or_insert(index);
                *high = (*high).max(index);
                self.waiting.insert((source, index), *session);
                self.print_finished(source, out)?;
            }
            Update::Rows {
                source,
                rows,
                arena,
                reread,
            } => {
                // Follow sources send whole sessions; compact rows are read back to print.
                for (index, row) in rows {
                    let session = Box::new(reread.session(&row, &arena));
                    self.apply(
                        Update::Session {
                            source,
                            index,
                            session,
                        },
                        out,
                    )?;
                }
            }
            Update::Report { source, report, .. } => {
                self.reports.insert(source, report);
            }
            Update::Problem(p) => eprintln!("smtpscope: {}", crate::sanitize::escape_controls(&p)),
            Update::Done => return Ok(true),
        }
        Ok(false)
    }

    fn print_finished(&mut self, source: usize, out: &mut impl Write) -> io::Result<()> {
        let high = self.highest_index.get(&source).copied().unwrap_or(0);
        let ready: Vec<(usize, usize)> = self
            .waiting
            .range((source, 0)..=(source, usize::MAX))
            .filter(|((_, i), s)| is_finished(s, *i < high))
            .map(|(k, _)| *k)
            .collect();
        for key in ready {
            if let Some(s) = self.waiting.remove(&key) {
                self.print(key, &s, out)?;
            }
        }
        Ok(())
    }

    fn print(&mut self, key: (usize, usize), s: &Session, out: &mut impl Write) -> io::Result<()> {
        self.printed.insert(key.0, key.1);
        if self.filter.as_ref().is_some_and(|f| !f.matches(s)) {
            return Ok(());
        }
        if self.json {
            writeln!(out, "{}", output::json::session_json(s, self.reveal))?;
        } else {
            writeln!(out, "{}", output::list::session_line(s))?;
        }
        out.flush()?;
        self.counts.add(s.status());
        Ok(())
    }

    /// True once some input was read and understood (it sent a report).
    pub fn read_any_source(&self) -> bool {
        !self.reports.is_empty()
    }

    /// Every input ended: prints the sessions still waiting (open ones included) and the
    /// footer (stdout for the list, stderr for JSON, as without `-f`).
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        for (key, s) in std::mem::take(&mut self.waiting) {
            self.print(key, &s, out)?;
        }
        let unparsed = self.reports.values().map(|r| r.unparsed_count).sum();
        let footer = self.counts.footer(unparsed);
        if self.json {
            eprintln!("smtpscope: {footer}");
            Ok(())
        } else {
            writeln!(out, "{footer}")?;
            out.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Direction, Event, EventKind};
    use std::sync::Arc;

    /// A session whose AUTH was refused (decided) or not answered yet (open).
    fn session(id: &str, decided: bool, closed: bool) -> Box<Session> {
        let mut s = Session::new(Arc::from("x.log"), "smtplib", id.into(), 1);
        let mut auth = Event::new(
            1,
            None,
            Direction::Client,
            EventKind::Command,
            "AUTH PLAIN AGE=".into(),
        );
        auth.step = Some(crate::model::Step::Auth);
        s.events.push(auth);
        if decided {
            let mut r = Event::new(
                2,
                None,
                Direction::Server,
                EventKind::Reply,
                "535 5.7.8 no".into(),
            );
            r.code = crate::model::parse_reply_line("535 5.7.8 no").map(|p| crate::model::ReplyCode {
                basic: p.code,
                enhanced: p.enhanced,
            });
            r.step = Some(crate::model::Step::Auth);
            s.events.push(r);
        }
        s.closed = closed;
        s.evaluate();
        Box::new(s)
    }

    fn update(index: usize, s: Box<Session>) -> Update {
        Update::Session {
            source: 0,
            index,
            session: s,
        }
    }

    #[test]
    fn prints_when_closed_or_when_a_later_session_starts_and_only_once() {
        let mut p = Printer::new(false, false);
        let mut out = Vec::new();
        p.apply(update(0, session("#1", false, false)), &mut out).unwrap();
        assert!(out.is_empty(), "an open session is not printed");
        p.apply(update(0, session("#1", true, false)), &mut out).unwrap();
        assert!(
            out.is_empty(),
            "decided but neither closed nor followed by another"
        );
        p.apply(update(1, session("#2", false, false)), &mut out).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out).lines().count(),
            1,
            "the source moved on"
        );
        p.apply(update(0, session("#1", true, true)), &mut out).unwrap();
        assert_eq!(String::from_utf8_lossy(&out).lines().count(), 1, "printed once");
        p.apply(update(1, session("#2", true, true)), &mut out).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out).lines().count(),
            2,
            "closed and decided"
        );
        p.apply(update(2, session("#3", false, false)), &mut out).unwrap();
        assert!(p.apply(Update::Done, &mut out).unwrap());
        p.finish(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().count(),
            4,
            "the open one at the end, then the footer"
        );
        assert!(
            text.ends_with("3 sessions: 0 OK, 2 FAIL, 0 PART, 1 OPEN\n"),
            "{text}"
        );
    }

    #[test]
    fn printed_sessions_are_remembered_per_source_and_index() {
        let mut p = Printed::default();
        let marked = [(0, 0), (0, 63), (0, 64), (2, 5), (2, 1_000_000)];
        for &(s, i) in &marked {
            p.insert(s, i);
        }
        for s in 0..4 {
            for i in [0, 1, 5, 62, 63, 64, 65, 999_999, 1_000_000, 1_000_001] {
                assert_eq!(p.contains(s, i), marked.contains(&(s, i)), "({s}, {i})");
            }
        }
    }
}
