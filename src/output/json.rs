//! `--json`: one object per session per line (NDJSON). The field names and status words are a
//! public contract (see README): add fields, never rename.

use crate::explain;
use crate::model::{Event, EventKind, Session};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct JsonSession<'a> {
    source: &'a str,
    format: &'a str,
    id: &'a str,
    start: Option<String>,
    end: Option<String>,
    status: &'a str,
    code: Option<String>,
    enhanced: Option<String>,
    summary: &'a str,
    outcome: &'a str,
    client: Option<&'a str>,
    server: Option<&'a str>,
    first_line: u64,
    last_line: u64,
    closed: bool,
    /// Seconds from the first to the last timestamp, when the log has times.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<f64>,
    events: Vec<JsonEvent>,
}

#[derive(Serialize)]
struct JsonEvent {
    line: u64,
    last_line: u64,
    time: Option<String>,
    dir: &'static str,
    kind: &'static str,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enhanced: Option<String>,
    /// The inline explanation (see `explain::event_note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// Seconds from the command to this reply, when the log has times.
    #[serde(skip_serializing_if = "Option::is_none")]
    latency: Option<f64>,
    /// True when `latency` exceeds `explain::SLOW_STEP_SECS`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    slow: bool,
}

fn kind_word(e: &Event) -> &'static str {
    match e.kind {
        EventKind::Command => "command",
        EventKind::Reply => "reply",
        EventKind::AuthData => "auth-data",
        EventKind::MessageData => "message-data",
        EventKind::Info(_) => "info",
    }
}

/// The JSON value of one session; credentials masked unless `reveal`.
pub fn session_json(s: &Session, reveal: bool) -> String {
    let code = s.decisive_code();
    let latencies = explain::latencies(s);
    let notes = explain::event_notes(s);
    let js = JsonSession {
        source: &s.source,
        format: s.format,
        id: &s.id,
        start: s.start.map(|t| t.to_string()),
        end: s.end.map(|t| t.to_string()),
        status: s.status().as_str(),
        code: code.map(|c| c.basic.to_string()),
        enhanced: code.and_then(|c| c.enhanced).map(|e| e.to_string()),
        summary: &s.summary,
        outcome: s.verdict.outcome.as_str(),
        client: s.client.as_deref(),
        server: s.server.as_deref(),
        first_line: s.first_line,
        last_line: s.last_line,
        closed: s.closed,
        duration: explain::duration(s).map(round_ms),
        events: s
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| JsonEvent {
                line: e.line,
                last_line: e.last_line,
                time: e.time.map(|t| t.to_string()),
                dir: e.dir.as_str(),
                kind: kind_word(e),
                text: e.display_text(reveal).into_owned(),
                code: e.code.map(|c| c.basic.to_string()),
                enhanced: e.code.and_then(|c| c.enhanced).map(|x| x.to_string()),
                note: notes.get(i).cloned().flatten(),
                latency: latencies.get(i).copied().flatten().map(round_ms),
                slow: latencies
                    .get(i)
                    .copied()
                    .flatten()
                    .is_some_and(|l| l > explain::SLOW_STEP_SECS),
            })
            .collect(),
    };
    let json = serde_json::to_string(&js).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    crate::sanitize::escape_json_text(json)
}

/// Seconds to the millisecond, so JSON shows 0.026 rather than 0.026000000000000002.
fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Writes one line per session.
/// Sessions are turned into JSON a block at a time, half of each block on a second thread
/// (explanations make this the costly part of `--json` on a big log); lines stay in order.
pub fn write(out: &mut impl Write, sessions: &[&Session], reveal: bool) -> io::Result<()> {
    const BLOCK: usize = 2048;
    let lines = |part: &[&Session]| -> Vec<String> { part.iter().map(|s| session_json(s, reveal)).collect() };
    for block in sessions.chunks(BLOCK) {
        let (a, b) = block.split_at(block.len() / 2);
        let (a, b) = if block.len() < 64 {
            (lines(a), lines(b))
        } else {
            std::thread::scope(|scope| {
                let first = scope.spawn(|| lines(a));
                let second = lines(b);
                (first.join().expect("JSON thread panicked"), second)
            })
        };
        for line in a.iter().chain(&b) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
