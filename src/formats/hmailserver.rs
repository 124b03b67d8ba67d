//! hMailServer log (`hmailserver_YYYY-MM-DD.log`): TAB-separated, text fields in quotes.
//! Protocol lines are `"SMTPD"|"SMTPC" TAB thread TAB session TAB "time" TAB "ip" TAB "text"`;
//! `SMTPD` means hMailServer is the server (`RECEIVED:` = client command, `SENT:` = reply),
//! `SMTPC` means it is delivering as a client (`SENT:` = command, `RECEIVED:` = reply).
//! Line breaks inside one entry are written as `[nl]`; hMailServer masks passwords as `***`.
//! `DEBUG`/`TCPIP`/`ERROR`/`APPLICATION` lines have no session column: the ones naming a
//! session (`Creating session 12`, `… Session: 12, …`) become that session's notes, the rest
//! are counted unparsed.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_iso_local, InfoKind, Timestamp};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

pub struct HMailServer;

/// The strong signature: an SMTP protocol line's first three columns.
static SIGNATURE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^"(SMTPD|SMTPC)"\t[0-9]+\t[0-9]+\t""#).expect("valid regex"));

/// A session number named inside a note: `Creating session 12`, `Session: 12`, `Session Id: 12`.
static NAMED_SESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bsession(?: id)?:? ([0-9]+)\b").expect("valid regex"));

impl Format for HMailServer {
    fn name(&self) -> &'static str {
        "hmailserver"
    }
    fn description(&self) -> &'static str {
        "hMailServer log (hmailserver_YYYY-MM-DD.log): SMTPD inbound and SMTPC outbound sessions"
    }
    fn how_to_enable(&self) -> &'static str {
        "hMailServer Administrator → Settings → Logging: tick \"Enabled\" and \"SMTP\" (add \"TCP/IP\" and \"Debug\" to see connections open and close). Daily files hmailserver_YYYY-MM-DD.log are written to the Logs folder of the installation (C:\\Program Files (x86)\\hMailServer\\Logs by default)."
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        SIGNATURE.is_match(line.text)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// `"text"` → `text`; fields without quotes stay as they are.
fn unquote(field: &str) -> &str {
    let f = field.trim_end_matches(['\r', ' ']);
    f.strip_prefix('"')
        .map(|x| x.strip_suffix('"').unwrap_or(x))
        .unwrap_or(f)
}

fn stamp(field: &str) -> Option<Timestamp> {
    parse_iso_local(unquote(field)).map(Timestamp::local)
}

/// The pieces of one `[nl]`-joined entry, without the empty ones a leading `[nl]` leaves.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    text.split("[nl]")
        .map(|p| p.trim_end_matches('\r'))
        .filter(|p| !p.is_empty())
}

#[derive(Default)]
struct Parser {
    /// Session ids that have appeared and not yet ended: notes may only join these.
    known: HashSet<String>,
    /// Sessions whose peer address has been given.
    with_peer: HashSet<String>,
    /// Sessions that have shown their greeting, and those waiting for STARTTLS's `220`.
    greeted: HashSet<String>,
    starttls: HashSet<String>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let fields: Vec<&str> = line.text.split('\t').collect();
        match unquote(fields[0]) {
            "SMTPD" | "SMTPC" if fields.len() >= 6 => self.protocol(line.number, &fields, &mut out),
            "DEBUG" | "TCPIP" | "ERROR" | "APPLICATION" if fields.len() >= 4 => {
                let text = fields[3..].join("\t");
                self.note(line.number, stamp(fields[2]), unquote(&text), &mut out);
            }
            _ => out.push("", line.number, None, Item::Unparsed(line.text.to_owned())),
        }
    }
}

impl Parser {
    fn protocol(&mut self, number: u64, fields: &[&str], out: &mut Out<'_>) {
        let server_role = unquote(fields[0]) == "SMTPD";
        let key = fields[2].trim();
        let time = stamp(fields[3]);
        let ip = unquote(fields[4]).trim();
        let text = fields[5..].join("\t");
        let text = unquote(&text);
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
            out.push("", number, None, Item::Unparsed(fields.join("\t")));
            return;
        }
        let direction = if let Some(p) = text.strip_prefix("SENT: ") {
            Some((true, p))
        } else {
            text.strip_prefix("RECEIVED: ").map(|p| (false, p))
        };
        // The logger's own side is the server in SMTPD lines and the client in SMTPC lines.
        let from_server = direction.map(|(sent, _)| sent == server_role);
        if let Some((_, payload)) = direction {
            self.track_greeting(key, from_server == Some(true), payload, number, time, out);
        }
        self.known.insert(key.to_owned());
        if self.with_peer.insert(key.to_owned()) {
            let peer = (!ip.is_empty()).then(|| ip.to_owned());
            let (client, server) = if server_role { (peer, None) } else { (None, peer) };
            out.push(key, number, time, Item::Peers { client, server });
        }
        let (Some((_, payload)), Some(from_server)) = (direction, from_server) else {
            out.push(key, number, time, Item::Info(InfoKind::Note, text.to_owned()));
            return;
        };
        for piece in pieces(payload) {
            let item = if from_server {
                Item::Server(piece.to_owned())
            } else {
                Item::Client(piece.to_owned())
            };
            out.push(key, number, time, item);
        }
    }

    /// A second greeting under one session id (ids restart at 1 when the service restarts,
    /// and without debug logging no `Creating session` line says so) begins a new session;
    /// the `220` after STARTTLS is no greeting.
    fn track_greeting(
        &mut self,
        key: &str,
        from_server: bool,
        payload: &str,
        number: u64,
        time: Option<Timestamp>,
        out: &mut Out<'_>,
    ) {
        if !from_server {
            if payload.trim().eq_ignore_ascii_case("STARTTLS") {
                self.starttls.insert(key.to_owned());
            }
            return;
        }
        if !payload.starts_with("220") || self.starttls.remove(key) {
            return;
        }
        if !self.greeted.insert(key.to_owned()) {
            out.push(key, number, time, Item::Begin);
            self.with_peer.remove(key);
        }
    }

    /// A line without a session column: a session's note when it names an open session.
    fn note(&mut self, number: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) {
        let named = NAMED_SESSION.captures(text).map(|c| c[1].to_owned());
        let lower = text.to_ascii_lowercase();
        match named {
            Some(key) if lower.starts_with("creating session") => {
                self.known.insert(key.clone());
                self.with_peer.remove(&key);
                self.greeted.remove(&key);
                self.starttls.remove(&key);
                out.push(&key, number, time, Item::Begin);
                out.push(
                    &key,
                    number,
                    time,
                    Item::Info(InfoKind::Connected, text.to_owned()),
                );
            }
            Some(key) if self.known.contains(&key) => {
                if lower.starts_with("ending session") {
                    out.push(&key, number, time, Item::Info(InfoKind::Closed, text.to_owned()));
                    out.push(&key, number, time, Item::End);
                    self.known.remove(&key);
                    self.with_peer.remove(&key);
                } else {
                    out.push(&key, number, time, Item::Info(note_kind(&lower), text.to_owned()));
                }
            }
            _ => out.push("", number, None, Item::Unparsed(text.to_owned())),
        }
    }
}

/// What a note about a session reports, from its wording (lower-cased).
fn note_kind(lower: &str) -> InfoKind {
    if lower.contains("handshake failed") || (lower.contains("tls/ssl") && lower.contains("fail")) {
        InfoKind::TlsFailed
    } else if lower.contains("timed out") || lower.contains("timeout") {
        InfoKind::Timeout
    } else if lower.contains("forcibly closed")
        || lower.contains("read operation failed")
        || lower.contains("write operation failed")
        || lower.contains("connection reset")
    {
        InfoKind::LostConnection
    } else if lower.contains("error") || lower.contains("failed") {
        InfoKind::Error
    } else {
        InfoKind::Note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser::default(), lines)
    }

    #[test]
    fn direction_depends_on_role() {
        let r = parse(&[
            "\"SMTPD\"\t10\t5\t\"2026-02-03 10:00:00.125\"\t\"192.0.2.4\"\t\"SENT: 220 mx ESMTP\"",
            "\"SMTPD\"\t11\t5\t\"2026-02-03 10:00:00.200\"\t\"192.0.2.4\"\t\"RECEIVED: HELO pc\"",
            "\"SMTPC\"\t12\t6\t\"2026-02-03 10:00:01.000\"\t\"198.51.100.9\"\t\"RECEIVED: 220 far ESMTP\"",
            "\"SMTPC\"\t12\t6\t\"2026-02-03 10:00:01.010\"\t\"198.51.100.9\"\t\"SENT: EHLO mx\"",
        ]);
        let items: Vec<&Item> = r.iter().map(|x| &x.item).collect();
        assert_eq!(
            *items[0],
            Item::Peers {
                client: Some("192.0.2.4".into()),
                server: None
            }
        );
        assert_eq!(*items[1], Item::Server("220 mx ESMTP".into()));
        assert_eq!(r[1].time.unwrap().to_string(), "2026-02-03T10:00:00.125");
        assert_eq!(*items[2], Item::Client("HELO pc".into()));
        assert_eq!(
            *items[3],
            Item::Peers {
                client: None,
                server: Some("198.51.100.9".into())
            }
        );
        assert_eq!(*items[4], Item::Server("220 far ESMTP".into()));
        assert_eq!(*items[5], Item::Client("EHLO mx".into()));
        assert_eq!(r[5].key, "6");
    }

    #[test]
    fn nl_tokens_split_lines() {
        let r = parse(&[
            "\"SMTPD\"\t1\t7\t\"2026-02-03 10:00:00.000\"\t\"192.0.2.4\"\t\"SENT: 250-mx[nl]250-SIZE 20480000[nl]250 HELP\"",
            "\"SMTPC\"\t1\t8\t\"2026-02-03 10:00:00.000\"\t\"192.0.2.5\"\t\"SENT: [nl].\"",
        ]);
        let texts: Vec<String> = r
            .iter()
            .filter_map(|x| match &x.item {
                Item::Server(t) | Item::Client(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["250-mx", "250-SIZE 20480000", "250 HELP", "."]);
    }

    #[test]
    fn notes_join_named_sessions_only() {
        let r = parse(&[
            "\"DEBUG\"\t3\t\"2026-02-03 10:00:00.000\"\t\"Creating session 9\"",
            "\"DEBUG\"\t3\t\"2026-02-03 10:00:01.000\"\t\"The read operation failed. Bytes transferred: 0 Remote IP: 192.0.2.4, Session: 9, Code: 10054, Message: An existing connection was forcibly closed by the remote host\"",
            "\"DEBUG\"\t3\t\"2026-02-03 10:00:01.000\"\t\"Ending session 9\"",
            "\"DEBUG\"\t3\t\"2026-02-03 10:00:02.000\"\t\"Session: 9, late note\"",
            "\"APPLICATION\"\t3\t\"2026-02-03 10:00:02.000\"\t\"hMailServer: Service started\"",
            "random junk",
        ]);
        let items: Vec<&Item> = r.iter().map(|x| &x.item).collect();
        assert_eq!(*items[0], Item::Begin);
        assert!(matches!(items[2], Item::Info(InfoKind::LostConnection, _)));
        assert!(matches!(items[3], Item::Info(InfoKind::Closed, _)));
        assert_eq!(*items[4], Item::End);
        assert!(items[5..].iter().all(|i| matches!(i, Item::Unparsed(_))));
        assert_eq!(items.len(), 8);
    }
}
