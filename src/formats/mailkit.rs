//! MailKit `ProtocolLogger` files (.NET): `Connected to smtp://host:587/?starttls=when-available`
//! starts each connection, then every client line is `C: …` and every server line `S: …`
//! (GMass's tester prints `>> ` / `<< ` instead). Since 2021 lines may start with a UTC stamp
//! (`LogTimestamps`, `yyyy-MM-ddTHH:mm:ssZ`) and secrets are redacted to `********`. One file
//! often holds many connections, IMAP and POP3 ones too: those are not SMTP and are left
//! unparsed.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_iso_local, InfoKind, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct MailKit;

/// `[stamp ]Connected to scheme://host[:port][/…]`.
static CONNECTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^Connected to ([a-z0-9+.-]+)://([^/:?\s]+|\[[^\]]*\])(?::([0-9]+))?\S*\s*$")
        .expect("valid regex")
});

impl Format for MailKit {
    fn name(&self) -> &'static str {
        "mailkit"
    }
    fn description(&self) -> &'static str {
        "MailKit ProtocolLogger (.NET): Connected to smtp://…, C: / S: lines"
    }
    fn how_to_enable(&self) -> &'static str {
        "new SmtpClient(new ProtocolLogger(\"smtp.log\")) (or ProtocolLogger(Console.OpenStandardOutput())); LogTimestamps = true adds UTC stamps"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let (_, rest) = split_stamp(line.text);
        rest.starts_with("C: ") || rest.starts_with("S: ") || CONNECTED.is_match(rest)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// The optional `LogTimestamps` stamp (any ISO-8601 stamp, `Z` means UTC) and the rest.
fn split_stamp(text: &str) -> (Option<Timestamp>, &str) {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' {
        return (None, text);
    }
    let Some(sp) = text.find(' ') else {
        return (None, text);
    };
    let stamp = &text[..sp];
    let (body, utc) = match stamp.strip_suffix('Z') {
        Some(body) => (body, true),
        None => (stamp.get(..19).unwrap_or(stamp), false),
    };
    match parse_iso_local(body) {
        Some(when) if utc => (Some(Timestamp::utc(when)), &text[sp + 1..]),
        Some(when) => (Some(Timestamp::local(when)), &text[sp + 1..]),
        None => (None, text),
    }
}

/// The connection the lines belong to.
#[derive(Default, PartialEq)]
enum Conn {
    #[default]
    None,
    Smtp,
    /// IMAP or POP3: not SMTP, lines are left unparsed.
    Other,
}

#[derive(Default)]
struct Parser {
    conn: Conn,
}

/// MailKit logs have no connection ids: sessions follow one another.
const KEY: &str = "";

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let (stamp, rest) = split_stamp(line.text);
        let time = stamp.or(line.wrapper.time);
        let rest = rest.trim_end_matches(['\r', '\n']);
        if let Some(c) = CONNECTED.captures(rest) {
            let scheme = c[1].to_ascii_lowercase();
            if scheme == "smtp" || scheme == "smtps" {
                self.conn = Conn::Smtp;
                out.push(KEY, n, time, Item::Begin);
                let server = match c.get(3) {
                    Some(port) => format!("{}:{}", &c[2], port.as_str()),
                    None => c[2].to_owned(),
                };
                out.push(
                    KEY,
                    n,
                    time,
                    Item::Peers {
                        client: None,
                        server: Some(server),
                    },
                );
                out.push(KEY, n, time, Item::Info(InfoKind::Connected, rest.to_owned()));
            } else {
                self.conn = Conn::Other;
                out.push(KEY, n, time, Item::Unparsed(line.text.to_owned()));
            }
            return;
        }
        let item = match (rest.get(..3), rest.get(3..)) {
            (Some("C: " | ">> "), Some(text)) => Item::Client(text.to_owned()),
            (Some("S: " | "<< "), Some(text)) => Item::Server(text.to_owned()),
            // An empty message-data line whose trailing space was trimmed.
            _ if rest == "C:" || rest == ">>" => Item::Client(String::new()),
            _ => {
                out.push(KEY, n, None, Item::Unparsed(line.text.to_owned()));
                return;
            }
        };
        if self.conn == Conn::Other {
            out.push(KEY, n, None, Item::Unparsed(line.text.to_owned()));
            return;
        }
        if self.conn == Conn::None {
            // A log that starts midway: the lines still form a session.
            self.conn = Conn::Smtp;
            out.push(KEY, n, time, Item::Begin);
        }
        out.push(KEY, n, time, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        let (t, rest) = split_stamp("2026-12-01T09:00:01Z C: EHLO x");
        assert_eq!(rest, "C: EHLO x");
        assert_eq!(t.unwrap().offset, Some(0));
        let (t, rest) = split_stamp("C: EHLO x");
        assert!(t.is_none());
        assert_eq!(rest, "C: EHLO x");
        assert!(split_stamp("2026-99-01T09:00:01Z C: x").0.is_none());
    }

    #[test]
    fn connect_lines() {
        let c = CONNECTED
            .captures("Connected to smtp://smtp.example.net:587/?starttls=when-available")
            .unwrap();
        assert_eq!((&c[1], &c[2], &c[3]), ("smtp", "smtp.example.net", "587"));
        assert!(CONNECTED.is_match("Connected to imaps://imap.example.net:993/"));
        assert!(!CONNECTED.is_match("Connected to host."));
    }
}
