//! `--json`: one object per session per line (NDJSON). The field names and status words are a
//! public contract (see README): add fields, never rename.

use crate::explain;
use crate::model::{Event, EventKind, Session};
use std::io::{self, Write};

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
///
/// Written by hand, field by field, into one string. Through serde the strings were escaped
/// a byte at a time (a quarter of a `--json` run's instructions on a big log), every event's
/// fields were copied into strings first, and the line was scanned again for characters a
/// terminal must not get raw. The bytes are the same: a test holds this to serde on every
/// sample.
pub fn session_json(s: &Session, reveal: bool) -> String {
    let code = s.decisive_code();
    let latencies = explain::latencies(s);
    let notes = explain::event_notes(s);
    let mut o = Object::new(String::with_capacity(256 + 256 * s.events.len()));
    o.str("source", &s.source);
    o.str("format", s.format);
    o.str("id", &s.id);
    o.time("start", s.start);
    o.time("end", s.end);
    o.str("status", s.status().as_str());
    o.code("code", code.map(|c| c.basic));
    o.enhanced("enhanced", code.and_then(|c| c.enhanced));
    o.str("summary", &s.summary);
    o.str("outcome", s.verdict.outcome.as_str());
    o.opt_str("client", s.client.as_deref());
    o.opt_str("server", s.server.as_deref());
    o.uint("first_line", s.first_line);
    o.uint("last_line", s.last_line);
    o.bool("closed", s.closed);
    if let Some(d) = explain::duration(s) {
        o.float("duration", round_ms(d));
    }
    o.key("events");
    o.out.push('[');
    for (i, e) in s.events.iter().enumerate() {
        if i > 0 {
            o.out.push(',');
        }
        let latency = latencies.get(i).copied().flatten();
        let mut ev = Object::new(std::mem::take(&mut o.out));
        ev.uint("line", e.line);
        ev.uint("last_line", e.last_line);
        ev.time("time", e.time);
        ev.str("dir", e.dir.as_str());
        ev.str("kind", kind_word(e));
        ev.str("text", &e.display_text(reveal));
        if let Some(c) = e.code {
            ev.code("code", Some(c.basic));
            if c.enhanced.is_some() {
                ev.enhanced("enhanced", c.enhanced);
            }
        }
        if let Some(Some(note)) = notes.get(i) {
            ev.str("note", note);
        }
        if let Some(l) = latency {
            ev.float("latency", round_ms(l));
            if l > explain::SLOW_STEP_SECS {
                ev.bool("slow", true);
            }
        }
        o.out = ev.finish();
    }
    o.out.push(']');
    o.finish()
}

/// A JSON object being written: keys in the order given, as serde_json writes a struct.
struct Object {
    out: String,
    empty: bool,
}

impl Object {
    fn new(mut out: String) -> Object {
        out.push('{');
        Object { out, empty: true }
    }

    fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }

    #[inline(always)]
    fn key(&mut self, name: &str) {
        if !std::mem::take(&mut self.empty) {
            self.out.push(',');
        }
        // Names are ASCII words (nothing to escape).
        self.out.push('"');
        self.out.push_str(name);
        self.out.push('"');
        self.out.push(':');
    }

    #[inline(always)]
    fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        push_json_string(&mut self.out, value);
    }

    fn opt_str(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(v) => self.str(name, v),
            None => self.null(name),
        }
    }

    #[inline(always)]
    fn null(&mut self, name: &str) {
        self.key(name);
        self.out.push_str("null");
    }

    /// A basic reply code as a string (`"550"`).
    fn code(&mut self, name: &str, value: Option<u16>) {
        let Some(v) = value else { return self.null(name) };
        self.key(name);
        self.out.push('"');
        self.out.push_str(itoa::Buffer::new().format(v));
        self.out.push('"');
    }

    /// An enhanced status code as a string (`"5.7.8"`), as its `Display` writes it.
    fn enhanced(&mut self, name: &str, value: Option<crate::model::Enhanced>) {
        let Some(e) = value else { return self.null(name) };
        self.key(name);
        let mut digits = itoa::Buffer::new();
        self.out.push('"');
        self.out.push_str(digits.format(e.class));
        self.out.push('.');
        self.out.push_str(digits.format(e.subject));
        self.out.push('.');
        self.out.push_str(digits.format(e.detail));
        self.out.push('"');
    }

    fn time(&mut self, name: &str, value: Option<crate::model::Timestamp>) {
        let Some(t) = value else { return self.null(name) };
        self.key(name);
        // A stamp is digits and `-:.+TZ`: nothing in it needs escaping.
        self.out.push('"');
        t.push_to(&mut self.out);
        self.out.push('"');
    }

    #[inline(always)]
    fn uint(&mut self, name: &str, value: u64) {
        self.key(name);
        self.out.push_str(itoa::Buffer::new().format(value));
    }

    fn float(&mut self, name: &str, value: f64) {
        self.key(name);
        // As serde_json: the shortest form that reads back the same, `null` when not finite.
        if value.is_finite() {
            self.out.push_str(ryu::Buffer::new().format_finite(value));
        } else {
            self.out.push_str("null");
        }
    }

    #[inline(always)]
    fn bool(&mut self, name: &str, value: bool) {
        self.key(name);
        self.out.push_str(if value { "true" } else { "false" });
    }
}

/// Writes `s` as a JSON string: quotes, backslashes and C0 controls escaped as serde_json
/// escapes them, and DEL, C1 controls and bidi controls as `\uXXXX`, so the line is safe on a
/// terminal (see [`crate::sanitize::escape_json_text`]) without a second pass.
pub fn push_json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    let b = s.as_bytes();
    let mut plain_from = 0;
    let mut i = 0;
    while i < b.len() {
        // Sixteen bytes at a time (the last few padded with plain ones): most text has
        // nothing to escape; a chunk that has is looked at byte by byte.
        let end = (i + 16).min(b.len());
        let plain = match b.get(i..i + 16) {
            Some(chunk) => !needs_a_look(chunk.try_into().expect("sixteen bytes")),
            None => {
                let mut padded = [b'a'; 16];
                padded[..end - i].copy_from_slice(&b[i..end]);
                !needs_a_look(&padded)
            }
        };
        if plain {
            i = end;
            continue;
        }
        while i < end {
            let (escape, len): (Option<&str>, usize) = match b[i] {
                b'"' => (Some("\\\""), 1),
                b'\\' => (Some("\\\\"), 1),
                b'\n' => (Some("\\n"), 1),
                b'\r' => (Some("\\r"), 1),
                b'\t' => (Some("\\t"), 1),
                0x08 => (Some("\\b"), 1),
                0x0c => (Some("\\f"), 1),
                0..0x20 | 0x7f => (Some(""), 1),
                0x20..0x7f => (None, 1),
                _ => {
                    let ch = s[i..].chars().next().expect("a character starts here");
                    (crate::sanitize::is_dangerous(ch).then_some(""), ch.len_utf8())
                }
            };
            if let Some(escape) = escape {
                out.push_str(&s[plain_from..i]);
                if escape.is_empty() {
                    let ch = s[i..].chars().next().expect("a character starts here");
                    let _ = write!(out, "\\u{:04x}", ch as u32);
                } else {
                    out.push_str(escape);
                }
                plain_from = i + len;
            }
            i += len;
        }
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

/// Whether any of the bytes is not plain ASCII for a JSON string: a control, DEL, `"`, `\`
/// or a byte of a multi-byte character. Branch-free over a fixed length, so the compiler
/// checks the sixteen bytes at once (vector compares).
#[inline]
fn needs_a_look(chunk: &[u8; 16]) -> bool {
    chunk.iter().fold(false, |any, &c| {
        any | !(0x20..0x7f).contains(&c) | (c == b'"') | (c == b'\\')
    })
}

/// Seconds to the millisecond, so JSON shows 0.026 rather than 0.026000000000000002.
fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

/// Writes one line per session, on this thread: for a stream of settled sessions, whose
/// reading and parsing already keep both cores busy (a second thread for half of each block,
/// as [`write`] has, made 256 MiB of Postfix 1–11% slower in seven alternating runs).
pub fn write_streamed(out: &mut impl Write, sessions: &[&Session], reveal: bool) -> io::Result<()> {
    for s in sessions {
        out.write_all(session_json(s, reveal).as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes one line per session, of sessions loaded whole.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

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

    /// `session_json` as it was, through serde: what the hand-written one must equal.
    fn session_json_by_serde(s: &Session, reveal: bool) -> String {
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

    /// Every sample, and the test sessions (an escape sequence, Japanese text, every status),
    /// with credentials masked and revealed.
    fn sessions_to_compare() -> Vec<Session> {
        let mut all = crate::testdata::all_sessions();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
        for entry in std::fs::read_dir(dir).expect("sample-logs") {
            let input = crate::source::Input::File(entry.expect("entry").path());
            let (sessions, _) = crate::load::load_input(&input, &crate::load::LoadOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            all.extend(sessions);
        }
        all
    }

    #[test]
    fn sessions_are_written_as_serde_wrote_them() {
        let sessions = sessions_to_compare();
        assert!(sessions.len() > 150, "only {} sessions", sessions.len());
        let mut with_secrets = 0;
        for s in &sessions {
            for reveal in [false, true] {
                assert_eq!(
                    session_json(s, reveal),
                    session_json_by_serde(s, reveal),
                    "{}",
                    s.id
                );
            }
            with_secrets += usize::from(s.events.iter().any(|e| !e.secrets.is_empty()));
        }
        assert!(
            with_secrets > 5,
            "only {with_secrets} sessions with masked credentials"
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_and_the_terminal_check_escape_them() {
        let pieces = [
            "a",
            "plain text ",
            "\"",
            "\\",
            "\n",
            "\r",
            "\t",
            "\u{8}",
            "\u{c}",
            "\u{1b}[31m",
            "\u{0}",
            "\u{1f}",
            "\u{7f}",
            "\u{80}",
            "\u{9f}",
            "\u{a0}",
            "\u{e9}",
            "\u{202e}",
            "\u{2066}",
            "\u{200e}",
            "\u{61c}",
            "\u{2028}",
            "日本",
            "\u{1f600}",
            "/",
            "12345678",
        ];
        let escaped = crate::testdata::assert_same_on_texts(
            (&pieces, 12, 40_000),
            |t| {
                let mut out = String::new();
                push_json_string(&mut out, t);
                out
            },
            |t| crate::sanitize::escape_json_text(serde_json::to_string(t).expect("a string")),
            |json| json.matches("\\u").count(),
        );
        assert!(escaped > 10_000, "only {escaped} \\u escapes");
    }
}
