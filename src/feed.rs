//! The model as it becomes known: a background thread reads the inputs and sends [`Update`]s,
//! so a view can show the first sessions while the rest still load, and a live tail can use
//! the same channel for sessions that appear and change later.

use crate::load::{self, LoadOptions, Pipeline, SourceReport};
use crate::model::Session;
use crate::source::{self, Input, LineReader};
use std::sync::mpsc::{self, Receiver, Sender};
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
    /// An input that could not be read or understood; the message says what, where, what to do.
    Problem(String),
    /// Every input has been read to its end (never sent while following).
    Done,
}

/// How often a loading source publishes what changed. Small enough for a first screen well
/// under 300 ms, large enough that sending updates costs little next to parsing.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(100);

/// Loads `inputs` on a background thread, one after another, sending updates as it goes.
/// The thread stops early when the receiver is dropped.
pub fn spawn_loader(inputs: Vec<Input>, opts: LoadOptions) -> Receiver<Update> {
    let (tx, rx) = mpsc::channel();
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
                    if load_one(n, input, &opts, &tx).is_err() {
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

/// The loader thread's name; the viewer's panic hook leaves panics there to the loader.
pub const LOADER_THREAD: &str = "smtpscope-loader";

/// What the user is told when loading panicked.
fn panic_problem(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error while loading ({what}); the sessions shown may be incomplete; please report this")
}

/// The receiver hung up; stop working.
struct Hangup;

fn load_one(n: usize, input: &Input, opts: &LoadOptions, tx: &Sender<Update>) -> Result<(), Hangup> {
    let send = |u: Update| tx.send(u).map_err(|_| Hangup);
    let name: Arc<str> = Arc::from(input.name());
    let reader = match source::open(input) {
        Ok(r) => r,
        Err(e) => {
            let msg = match input {
                Input::File(p) => source::describe_io(p, &e),
                Input::Stdin => format!("standard input: cannot read: {e}"),
            };
            return send(Update::Problem(msg));
        }
    };
    let total = match input {
        Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        Input::Stdin => None,
    };
    let year = load::input_year(input);
    let mut lines = LineReader::new(reader);
    let mut pipe = Pipeline::new(name.clone(), opts, year);
    let mut read: u64 = 0;
    let mut last = Instant::now();
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
        if let Err(e) = pipe.feed(line.number, line.bytes, line.truncated) {
            return send(Update::Problem(e.to_string()));
        }
        if last.elapsed() >= PUBLISH_EVERY {
            last = Instant::now();
            publish(n, &mut pipe, tx)?;
            send(Update::Report {
                source: n,
                report: pipe.report().clone(),
                bytes_read: read,
                bytes_total: total,
            })?;
        }
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
            send(Update::Report {
                source: n,
                report,
                bytes_read: read,
                bytes_total: total,
            })
        }
        Err(e) => send(Update::Problem(e.to_string())),
    }
}

/// Sends every session that changed since the last publish.
fn publish(n: usize, pipe: &mut Pipeline, tx: &Sender<Update>) -> Result<(), Hangup> {
    for index in pipe.take_changed() {
        let session = Box::new(pipe.sessions()[index].clone());
        tx.send(Update::Session {
            source: n,
            index,
            session,
        })
        .map_err(|_| Hangup)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn loader_sends_every_session_then_done() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("4d.log");
        let mut f = std::fs::File::create(&path).unwrap();
        let sample = include_str!("../sample-logs/4d-smtp.log");
        f.write_all(sample.as_bytes()).unwrap();
        drop(f);
        let expected = load::load_all(&[Input::File(path.clone())], &LoadOptions::default());
        let rx = spawn_loader(
            vec![Input::File(path), Input::File("/nonexistent/x.log".into())],
            LoadOptions::default(),
        );
        let mut sessions: Vec<Option<Session>> = Vec::new();
        let mut problems = 0;
        let mut done = false;
        for u in rx {
            match u {
                Update::Session {
                    source,
                    index,
                    session,
                } => {
                    assert_eq!(source, 0);
                    if sessions.len() <= index {
                        sessions.resize(index + 1, None);
                    }
                    sessions[index] = Some(*session);
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
        let got: Vec<Session> = sessions.into_iter().map(Option::unwrap).collect();
        assert_eq!(got, expected.sessions);
    }
}
