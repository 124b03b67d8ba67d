//! Ruby Net::SMTP debug output (`smtp.debug_output = $stderr`): `-> "…"` is what Ruby *read*
//! (the server's reply) and `<- "…"` what it *wrote* (the client's command), the reverse of most
//! tools; the quoted text is Ruby's `String#dump` (`\r\n`, `\"`, `\xNN` escapes). The connection
//! starts at `Connection opened: host:port` (older: `opening connection to host:port...`,
//! `opened`); the message body is hidden behind `writing message from String` / `wrote N bytes`.
//! No timestamps; AUTH payloads in clear (the assembler masks them).

use super::transcript::{Sequence, KEY};
use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{InfoKind, Timestamp};

pub struct RubyNetSmtp;

impl Format for RubyNetSmtp {
    fn name(&self) -> &'static str {
        "ruby-net-smtp"
    }
    fn description(&self) -> &'static str {
        "Ruby Net::SMTP debug output (<- \"sent\", -> \"received\")"
    }
    fn how_to_enable(&self) -> &'static str {
        "smtp = Net::SMTP.new(host, port); smtp.debug_output = $stderr (or a File) before smtp.start"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let t = line.text;
        t.starts_with("-> \"")
            || t.starts_with("<- \"")
            || t.starts_with("Connection opened: ")
            || t.starts_with("opening connection to ")
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    seq: Sequence,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let time = line.wrapper.time;
        let text = line.text.trim_end_matches(['\r', '\n']);
        if let Some(quoted) = text.strip_prefix("-> ").and_then(dumped) {
            for l in quoted.lines() {
                self.seq.server(n, time, l, &mut out);
            }
        } else if let Some(quoted) = text.strip_prefix("<- ").and_then(dumped) {
            for l in split_sent(&quoted) {
                self.seq.client(n, time, l, &mut out);
            }
        } else if let Some(target) = text
            .strip_prefix("Connection opened: ")
            .or_else(|| text.strip_prefix("opening connection to "))
        {
            self.open(n, time, text, target.trim_end_matches('.'), &mut out);
        } else if text == "opened" {
            self.seq.info(n, time, InfoKind::Connected, text, &mut out);
        } else if is_progress(text) {
            self.seq.info(n, time, InfoKind::Note, text, &mut out);
        } else if text == "Conn close" {
            self.seq.info(n, time, InfoKind::Closed, text, &mut out);
            self.seq.end(n, time, &mut out);
        } else {
            out.push(KEY, n, None, Item::Unparsed(text.to_owned()));
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        self.seq.finish(&mut Out { records });
    }
}

impl Parser {
    fn open(&mut self, n: u64, time: Option<Timestamp>, text: &str, target: &str, out: &mut Out<'_>) {
        self.seq.begin(n, time, out);
        if !target.is_empty() {
            let server = Some(target.to_owned());
            out.push(KEY, n, time, Item::Peers { client: None, server });
        }
        let kind = if text.starts_with("Connection opened") {
            InfoKind::Connected
        } else {
            InfoKind::Connecting
        };
        self.seq.info(n, time, kind, text, out);
    }
}

/// `read 32 bytes`, `wrote 412 bytes`, `writing message from String`: what Ruby did with the
/// message body it does not print.
fn is_progress(text: &str) -> bool {
    let counted = |verb: &str| {
        text.strip_prefix(verb)
            .and_then(|r| r.strip_suffix(" bytes"))
            .is_some_and(|num| !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()))
    };
    counted("read ") || counted("wrote ") || text.starts_with("writing message from ")
}

/// A sent chunk holds one command, or several when pipelined: one line each.
fn split_sent(s: &str) -> Vec<&str> {
    let lines: Vec<&str> = s.lines().collect();
    if lines.is_empty() {
        vec![""]
    } else {
        lines
    }
}

/// The text of a `String#dump` literal (`"220 ready\r\n"`), escapes undone, line end removed.
fn dumped(s: &str) -> Option<String> {
    let inner = s.trim_end().strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush_bytes(&mut bytes, &mut out);
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('r') => {}
            Some('n') => {
                flush_bytes(&mut bytes, &mut out);
                out.push('\n');
            }
            Some('t') => out.push('\t'),
            Some('e') => out.push('\u{1b}'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                match u8::from_str_radix(&hex, 16) {
                    Ok(b) => bytes.push(b),
                    Err(_) => out.push_str(&hex),
                }
            }
            Some('u') => {
                flush_bytes(&mut bytes, &mut out);
                let hex: String = if chars.peek() == Some(&'{') {
                    chars.next();
                    chars.by_ref().take_while(|c| *c != '}').collect()
                } else {
                    chars.by_ref().take(4).collect()
                };
                let ch = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                out.push(ch.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Some(other) => {
                flush_bytes(&mut bytes, &mut out);
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    flush_bytes(&mut bytes, &mut out);
    Some(out.trim_end_matches('\n').to_owned())
}

/// `\xNN` escapes are bytes of UTF-8 (or junk): decode them together.
fn flush_bytes(bytes: &mut Vec<u8>, out: &mut String) {
    if !bytes.is_empty() {
        out.push_str(&String::from_utf8_lossy(bytes));
        bytes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_escapes() {
        assert_eq!(dumped(r#""220 ready\r\n""#).as_deref(), Some("220 ready"));
        assert_eq!(dumped(r#""a\"b\\c\#{x}""#).as_deref(), Some("a\"b\\c#{x}"));
        assert_eq!(
            dumped(r#""caf\xC3\xA9 \u00E9\u{1F600}""#).as_deref(),
            Some("café é😀")
        );
        assert_eq!(dumped(r#""a\r\nb\r\n""#).as_deref(), Some("a\nb"));
        assert_eq!(dumped("no quotes"), None);
        // Broken escapes are kept as text, never a panic.
        assert_eq!(
            dumped(r#""bad \xZZ \u{zz} end""#).as_deref(),
            Some("bad ZZ \u{fffd} end")
        );
        assert_eq!(dumped(r#""trailing \""#).as_deref(), Some("trailing \\"));
    }

    #[test]
    fn progress_lines() {
        assert!(is_progress("wrote 412 bytes"));
        assert!(is_progress("read 32 bytes"));
        assert!(is_progress("writing message from String"));
        assert!(!is_progress("read all bytes"));
    }
}
