//! Python `smtplib` debug transcript (`SMTP.set_debuglevel(1)` or `(2)`, printed to stderr):
//! `send: 'ehlo x\r\n'`, `reply: b'250-…\r\n'`, `connect: to ('host', 25) None`. Level 2 puts
//! the local time of day (`HH:MM:SS.ffffff `) in front of every line. Payloads are Python
//! `repr()`s of str or bytes, decoded here; summaries that repeat a reply are skipped.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_hms_frac, InfoKind, Step, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct Smtplib;

/// `[HH:MM:SS.ffffff ]word: payload`, the shape of every line `_print_debug` writes.
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:([0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,9}) )?(send|reply|connect|connect fail|data):[ ]?(.*)$",
    )
    .expect("valid regex")
});

/// The `host` and `port` of `('host', 25)`.
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\(['"]([^'"]*)['"], ?([0-9]+)\)"#).expect("valid regex"));

/// Sessions follow one another; a constant key gets generated ids `#1`, `#2`, ….
const KEY: &str = "";

impl Format for Smtplib {
    fn name(&self) -> &'static str {
        "smtplib"
    }
    fn description(&self) -> &'static str {
        "Python smtplib debug output (SMTP.set_debuglevel(1) or (2), written to stderr)"
    }
    fn how_to_enable(&self) -> &'static str {
        "call server.set_debuglevel(2) (or 1) on the smtplib.SMTP object before connect(), and redirect stderr to a file: python3 send.py 2> send.log"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let Some(c) = LINE.captures(line.text) else {
            return false;
        };
        let payload = c.get(3).map_or("", |m| m.as_str());
        match &c[2] {
            "send" | "reply" => payload.starts_with(['\'', '"', 'b']) || payload.starts_with("retcode ("),
            "connect" => payload.starts_with(['(', '\'', '"', 'b']) || payload.starts_with("to ("),
            "data" => payload.starts_with('('),
            _ => false,
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    /// The line before was SMTP_SSL's `connect: (…)`, so the `connect: to (…)` that follows it
    /// belongs to the same connection.
    after_ssl_connect: bool,
    /// The last command sent was QUIT: its reply ends the session.
    quit_sent: bool,
    /// Lines of a Python traceback being collected, with the first line's number.
    traceback: Option<(u64, Vec<String>)>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        if self.traceback_line(line, &mut out) {
            return;
        }
        let Some(c) = LINE.captures(line.text) else {
            if line.text.starts_with("Traceback (most recent call last):") {
                self.traceback = Some((line.number, vec![line.text.to_owned()]));
            } else {
                out.push(KEY, line.number, None, Item::Unparsed(line.text.to_owned()));
            }
            return;
        };
        let time = c
            .get(1)
            .and_then(|m| parse_hms_frac(m.as_str()))
            .map(Timestamp::time_only)
            .or(line.wrapper.time);
        let payload = c.get(3).map_or("", |m| m.as_str());
        let n = line.number;
        let after_ssl_connect = std::mem::take(&mut self.after_ssl_connect);
        match &c[2] {
            "connect" => self.connect(payload, after_ssl_connect, n, time, &mut out),
            "connect fail" => {
                out.push(KEY, n, time, Item::Begin);
                out.push(
                    KEY,
                    n,
                    time,
                    Item::Info(InfoKind::ConnectFailed, format!("connect failed: {payload}")),
                );
                out.push(KEY, n, time, Item::End);
            }
            "send" => self.send(payload, n, time, &mut out),
            "reply" => self.reply(payload, n, time, &mut out),
            // `data: (354, b'…')` repeats the reply just logged.
            _ => {}
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        let mut out = Out { records };
        self.flush_traceback(&mut out);
    }
}

impl Parser {
    fn connect(
        &mut self,
        payload: &str,
        after_ssl: bool,
        n: u64,
        time: Option<Timestamp>,
        out: &mut Out<'_>,
    ) {
        let (address, starts) = match payload.strip_prefix("to ") {
            Some(rest) => (rest, !after_ssl),
            None if payload.starts_with('(') => {
                self.after_ssl_connect = true;
                (payload, true)
            }
            // `connect: b'mail.example ESMTP'`: the greeting again, already logged as a reply.
            None => return,
        };
        let Some(a) = ADDRESS.captures(address) else {
            out.push(KEY, n, None, Item::Unparsed(format!("connect: {payload}")));
            return;
        };
        if starts {
            out.push(KEY, n, time, Item::Begin);
            out.push(
                KEY,
                n,
                time,
                Item::Peers {
                    client: None,
                    server: Some(format!("{}:{}", &a[1], &a[2])),
                },
            );
            out.push(
                KEY,
                n,
                time,
                Item::Info(InfoKind::Connecting, format!("connecting to {}:{}", &a[1], &a[2])),
            );
        }
        self.quit_sent = false;
    }

    fn send(&mut self, payload: &str, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        let Some(text) = decode_repr(payload) else {
            out.push(KEY, n, time, Item::Unparsed(format!("send: {payload}")));
            return;
        };
        let body = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text);
        // A command is one line; the message data goes out in one send of many lines (a
        // `quit` inside the message is not the command).
        self.quit_sent = !body.contains('\n') && Step::of_command(body) == Step::Quit;
        for piece in body.split('\n') {
            let piece = piece.strip_suffix('\r').unwrap_or(piece);
            out.push(KEY, n, time, Item::Client(piece.to_owned()));
        }
    }

    fn reply(&mut self, payload: &str, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if payload.starts_with("retcode (") {
            // The summary repeats the lines just logged, joined with `\n`.
            return;
        }
        let Some(text) = decode_repr(payload) else {
            out.push(KEY, n, time, Item::Unparsed(format!("reply: {payload}")));
            return;
        };
        let line = text.trim_end_matches(['\r', '\n']).to_owned();
        let last_line = line.as_bytes().get(3) != Some(&b'-');
        out.push(KEY, n, time, Item::Server(line));
        if self.quit_sent && last_line {
            out.push(KEY, n, time, Item::End);
            self.quit_sent = false;
        }
    }

    /// Collects the lines of a traceback; true when `line` was taken.
    fn traceback_line(&mut self, line: &InputLine<'_>, out: &mut Out<'_>) -> bool {
        let Some((_, lines)) = self.traceback.as_mut() else {
            return false;
        };
        let text = line.text;
        if text.starts_with([' ', '\t'])
            || text.starts_with("During handling of the above exception")
            || text.starts_with("The above exception was the direct cause")
            || text.starts_with("Traceback (most recent call last):")
        {
            lines.push(text.to_owned());
            return true;
        }
        // The exception line ends the traceback.
        lines.push(text.to_owned());
        self.flush_traceback(out);
        true
    }

    fn flush_traceback(&mut self, out: &mut Out<'_>) {
        let Some((first, lines)) = self.traceback.take() else {
            return;
        };
        let last = lines.last().map_or("", String::as_str);
        let kind = exception_kind(last);
        // A connection error, or smtplib giving up after a refusal (`smtplib.SMTPAuthenticationError`
        // and friends), ends the conversation; the script stopped. Other exceptions (a bug in the
        // script) say nothing about the connection, so the session stays as it was.
        let ends = last.starts_with("smtplib.SMTP")
            || matches!(
                kind,
                InfoKind::ConnectFailed | InfoKind::LostConnection | InfoKind::Timeout | InfoKind::TlsFailed
            );
        // The exception line first: it says what went wrong; the frames say where.
        let mut text = last.to_owned();
        for l in &lines[..lines.len().saturating_sub(1)] {
            text.push('\n');
            text.push_str(l);
        }
        out.push(KEY, first, None, Item::Info(kind, text));
        if ends {
            out.push(KEY, first, None, Item::End);
        }
    }
}

/// What the exception that ended a script says about the connection.
fn exception_kind(line: &str) -> InfoKind {
    let name = line.split(':').next().unwrap_or("");
    let name = name.rsplit('.').next().unwrap_or(name);
    match name {
        "ConnectionRefusedError" | "gaierror" | "SMTPConnectError" | "OSError" => InfoKind::ConnectFailed,
        "TimeoutError" | "timeout" => InfoKind::Timeout,
        "SMTPServerDisconnected" | "ConnectionResetError" | "BrokenPipeError" => InfoKind::LostConnection,
        "SSLError" | "SSLCertVerificationError" => InfoKind::TlsFailed,
        _ => InfoKind::Error,
    }
}

/// Decodes a Python `repr()` of a str or bytes object (`'a\r\n'`, `b"it's"`), undoing the
/// escapes `repr` writes. Bytes literals are decoded as UTF-8 (lossy), so `b'\xe2\x9c\x93'`
/// is `✓`. `None` when `s` is not a complete quoted literal.
pub fn decode_repr(s: &str) -> Option<String> {
    let s = s.trim_end();
    let (bytes_literal, body) = match s.strip_prefix('b') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let quote = body.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = body.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    let push = |out: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            push(&mut out, c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('x') => {
                let v = hex_value(&mut chars, 2)?;
                match (bytes_literal, u8::try_from(v)) {
                    (true, Ok(b)) => out.push(b),
                    _ => push(&mut out, char::from_u32(v)?),
                }
            }
            Some('u') => push(&mut out, char::from_u32(hex_value(&mut chars, 4)?)?),
            Some('U') => push(&mut out, char::from_u32(hex_value(&mut chars, 8)?)?),
            Some(other) => push(&mut out, other),
            None => out.push(b'\\'),
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The value of the next `digits` hex digits.
fn hex_value(chars: &mut std::str::Chars<'_>, digits: usize) -> Option<u32> {
    let hex: String = chars.by_ref().take(digits).collect();
    if hex.len() != digits {
        return None;
    }
    u32::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_python_reprs() {
        assert_eq!(decode_repr(r"'ehlo x\r\n'").as_deref(), Some("ehlo x\r\n"));
        assert_eq!(decode_repr(r#"b"it's""#).as_deref(), Some("it's"));
        assert_eq!(decode_repr(r"b'a\\b \'q\' \x41'").as_deref(), Some("a\\b 'q' A"));
        assert_eq!(decode_repr(r"b'ok \xe2\x9c\x93'").as_deref(), Some("ok ✓"));
        assert_eq!(decode_repr(r"'\u00e9t\xe9'").as_deref(), Some("été"));
        assert_eq!(decode_repr("'unterminated"), None);
        assert_eq!(decode_repr(r"'bad \x4'"), None);
        assert_eq!(decode_repr("no quotes"), None);
    }

    #[test]
    fn exception_names_map_to_kinds() {
        assert_eq!(
            exception_kind("ConnectionRefusedError: [Errno 111] Connection refused"),
            InfoKind::ConnectFailed
        );
        assert_eq!(
            exception_kind("smtplib.SMTPServerDisconnected: Connection unexpectedly closed"),
            InfoKind::LostConnection
        );
        // The 535 reply itself decides the failure; the exception only repeats it.
        assert_eq!(
            exception_kind("smtplib.SMTPAuthenticationError: (535, b'x')"),
            InfoKind::Error
        );
        assert_eq!(exception_kind("ValueError: x"), InfoKind::Error);
    }
}
