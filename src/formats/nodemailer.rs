//! Nodemailer's built-in logger (`logger: true, debug: true`): `[YYYY-MM-DD HH:MM:SS] LEVEL
//! [#cid] [sid] S: line` with a UTC stamp cut to seconds, the level padded to five, `[#cid]` only
//! for pooled connections and `[sid]` a random id per connection, so pooled sessions may
//! interleave. `C: ` / `S: ` mark direction; nodemailer's smtp-server leaves `S: ` off the
//! continuation lines of a multi-line reply. Nodemailer masks passwords itself (`/* secret */`,
//! base64 `Lyogc2VjcmV0ICov`); the message body is one `<N bytes encoded mime message …>` line.
//! Lines without an id come from the transport: notes before a connection wait for the next
//! one, errors after it attach to the connection just used.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_iso_local, parse_reply_line, InfoKind, Timestamp};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

pub struct Nodemailer;

static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\[([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) +(?:\[#([^\]\s]+)\] )?(?:\[([^\]\s#][^\]\s]*)\] )?(.*)$",
    )
    .expect("valid regex")
});

/// `Connection established to 192.0.2.1:587` / `Secure connection established to …`.
static ESTABLISHED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:secure )?connection established to (\S+)").expect("valid regex"));

impl Format for Nodemailer {
    fn name(&self) -> &'static str {
        "nodemailer"
    }
    fn description(&self) -> &'static str {
        "Nodemailer logger (Node.js): [date] LEVEL [id] C: / S: lines, sessions keyed by connection id"
    }
    fn how_to_enable(&self) -> &'static str {
        "nodemailer.createTransport({ …, logger: true, debug: true }) prints it to stdout (node app.js > smtp.log)"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        ENTRY.is_match(line.text)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    /// Connection ids seen so far: the first line of a new one begins its session.
    seen: HashSet<String>,
    /// The connection of the last line with an id.
    last_key: Option<String>,
    /// Id-less notes waiting for the next connection.
    held: Vec<(u64, Option<Timestamp>, String)>,
    /// Keys whose last line was a server line, so an unprefixed reply line continues it.
    server_last: HashSet<String>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let Some(c) = ENTRY.captures(line.text) else {
            out.push("", n, None, Item::Unparsed(line.text.to_owned()));
            return;
        };
        let time = parse_iso_local(&c[1]).map(Timestamp::utc).or(line.wrapper.time);
        let level = &c[2];
        let text = c[5].trim_end_matches(['\r', '\n']);
        let key = match (c.get(4), c.get(3)) {
            (Some(sid), _) => sid.as_str().to_owned(),
            (None, Some(cid)) => format!("#{}", cid.as_str()),
            (None, None) => {
                self.transport_note(n, time, level, text, &mut out);
                return;
            }
        };
        if self.seen.insert(key.clone()) {
            out.push(&key, n, time, Item::Begin);
            for (line, t, note) in std::mem::take(&mut self.held) {
                out.push(&key, line, t, Item::Info(InfoKind::Note, note));
            }
        }
        self.last_key = Some(key.clone());
        let item = self.item(&key, level, text);
        let closed = matches!(item, Item::Info(InfoKind::Closed, _));
        if let Item::Info(InfoKind::Connected, _) = item {
            if let Some(addr) = ESTABLISHED.captures(text) {
                let server = Some(addr[1].trim_end_matches('.').to_owned());
                out.push(&key, n, time, Item::Peers { client: None, server });
            }
        }
        out.push(&key, n, time, item);
        if closed {
            out.push(&key, n, time, Item::End);
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        for (line, _, note) in std::mem::take(&mut self.held) {
            records.push(Record {
                key: Default::default(),
                line,
                time: None,
                item: Item::Unparsed(note),
            });
        }
    }
}

impl Parser {
    /// What one line of a connection says.
    fn item(&mut self, key: &str, level: &str, text: &str) -> Item {
        let was_server = self.server_last.remove(key);
        if let Some(t) = text.strip_prefix("S: ") {
            self.server_last.insert(key.to_owned());
            return Item::Server(t.to_owned());
        }
        if let Some(t) = text.strip_prefix("C: ") {
            return Item::Client(t.to_owned());
        }
        if was_server && parse_reply_line(text).is_some() {
            // smtp-server: the continuation lines of a reply carry no `S: `.
            self.server_last.insert(key.to_owned());
            return Item::Server(text.to_owned());
        }
        if text.starts_with('<') && text.contains("bytes encoded mime message") {
            return Item::Client(text.to_owned());
        }
        Item::Info(note_kind(level, text), text.to_owned())
    }

    /// A line without a connection id, from the transport around the connections.
    fn transport_note(
        &mut self,
        n: u64,
        time: Option<Timestamp>,
        level: &str,
        text: &str,
        out: &mut Out<'_>,
    ) {
        let error = matches!(level, "WARN" | "ERROR" | "FATAL");
        match (&self.last_key, error) {
            (Some(key), true) => out.push(key, n, time, Item::Late(InfoKind::Error, text.to_owned())),
            _ => self.held.push((n, time, text.to_owned())),
        }
    }
}

/// Nodemailer's wording for connection events and errors.
fn note_kind(level: &str, text: &str) -> InfoKind {
    let l = text.to_ascii_lowercase();
    if l.starts_with("connection closed") {
        return InfoKind::Closed;
    }
    if ESTABLISHED.is_match(text) {
        return InfoKind::Connected;
    }
    if l.starts_with("connection upgraded with starttls") {
        return InfoKind::TlsStarted;
    }
    if l.starts_with("user ") && l.ends_with(" authenticated") {
        return InfoKind::AuthSucceeded;
    }
    if l.contains("invalid login") {
        return InfoKind::AuthFailed;
    }
    if l.contains("econnrefused") || l.contains("enotfound") {
        return InfoKind::ConnectFailed;
    }
    if l.contains("etimedout") || l.contains("timeout") || l.contains("greeting never received") {
        return InfoKind::Timeout;
    }
    if l.contains("econnreset") || l.contains("unexpected socket close") {
        return InfoKind::LostConnection;
    }
    match level {
        "WARN" | "ERROR" | "FATAL" => match super::transcript::note_kind(text) {
            InfoKind::Note => InfoKind::Error,
            k => k,
        },
        _ => InfoKind::Note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids() {
        let c = ENTRY
            .captures("[2026-12-01 10:00:00] DEBUG [#3] [Rz8mW1b4cHe] C: QUIT")
            .unwrap();
        assert_eq!((&c[3], &c[4], &c[5]), ("3", "Rz8mW1b4cHe", "C: QUIT"));
        let c = ENTRY
            .captures("[2026-12-01 10:00:00] INFO  Sending mail using SMTP/6.9.16[client:6.9.16]")
            .unwrap();
        assert!(c.get(3).is_none() && c.get(4).is_none());
        let c = ENTRY
            .captures("[2025-04-01 17:22:47] DEBUG [#mc2bdn7ochjjf6ip] 250-PIPELINING")
            .unwrap();
        assert_eq!((&c[3], &c[5]), ("mc2bdn7ochjjf6ip", "250-PIPELINING"));
    }

    #[test]
    fn wording() {
        assert_eq!(note_kind("INFO", "Connection closed"), InfoKind::Closed);
        assert_eq!(
            note_kind("ERROR", "Invalid login: 535 5.7.8 Authentication failed"),
            InfoKind::AuthFailed
        );
        assert_eq!(
            note_kind("ERROR", "connect ECONNREFUSED 192.0.2.9:587"),
            InfoKind::ConnectFailed
        );
        assert_eq!(
            note_kind("INFO", "Resolved smtp.example.net as 192.0.2.9"),
            InfoKind::Note
        );
    }
}
