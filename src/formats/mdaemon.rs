//! MDaemon SMTP logs (`MDaemon-…-SMTP-(in).log`, `-(out)`, or the "All" log). Lines are
//! `Www yyyy-mm-dd hh:mm:ss[.fff]: [NN: ][[id] ]text`; `-->` is what MDaemon sent and `<--`
//! what it received, so the role decides direction: a session whose first dialogue line is
//! MDaemon sending a reply (`--> 220`) is inbound (MDaemon the server), one that receives the
//! greeting is a delivery (MDaemon the client). By default MDaemon writes each session as one
//! block after it ends (`Session 00012; child 0001` … `SMTP session successful` and a dashed
//! separator), so lines belong to the block they are in; with "log ID string" on, a `[n:m]`
//! id keys the session instead. Confidence in the grammar is lower than for other formats:
//! it comes from MDaemon's documentation and third-party parsers, not the writer's source.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_iso_local, parse_reply_line, InfoKind, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct MDaemon;

/// Weekday, date-time, an optional two-digit token, an optional `[n:m]` id, the text.
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?): (?:[0-9]{2}: )?(?:\[([0-9]+:[0-9]+)\] )?(.*)$")
        .expect("valid regex")
});

/// `Session 00012; child 0001…`: the start of a session block.
static SESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Session ([0-9]+); child ([0-9]+)").expect("valid regex"));

/// An address in `… from [ip : port]` / `… to [ip : port]`, or `ip:port`.
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(from|to) \[?([0-9A-Fa-f.:]+?)(?: : |:)([0-9]+)\]?").expect("valid regex"));

impl Format for MDaemon {
    fn name(&self) -> &'static str {
        "mdaemon"
    }
    fn description(&self) -> &'static str {
        "MDaemon SMTP logs (SMTP-(in), SMTP-(out) or the All log): --> sent, <-- received"
    }
    fn how_to_enable(&self) -> &'static str {
        "MDaemon: Setup → Server Settings → Logging → Select Data to Log: tick \"Log SMTP activity\" (\"Log sessions in real time\" interleaves sessions; then also tick \"Log ID string in mail session logs\" so smtpscope can tell them apart). Files such as MDaemon-20260203-SMTP-(in).log are written to the Logs folder (C:\\MDaemon\\Logs by default)."
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        ENTRY.captures(line.text).is_some_and(|c| {
            let t = &c[3];
            t.starts_with("--> ") || t.starts_with("<-- ") || SESSION.is_match(t)
        })
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    /// The block being read (sessions logged after they end, one after another).
    current: Option<String>,
    /// Per session: true when MDaemon is the server, once a dialogue line shows it.
    server_role: FastMap<String, bool>,
    blocks: u32,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text.trim_end();
        let Some(c) = ENTRY.captures(text) else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        let time = parse_iso_local(&c[1]).map(Timestamp::local);
        let message = c.get(3).map_or("", |m| m.as_str());
        let n = line.number;
        if message.starts_with("-----") {
            // The separator after a block: the session is over.
            if let Some(key) = self.current.take() {
                out.push(&key, n, time, Item::End);
            }
            return;
        }
        let key = match c.get(2) {
            Some(id) => id.as_str().to_owned(),
            None => self.block_key(message, n, time, &mut out),
        };
        let Some(key) = Some(key).filter(|k| !k.is_empty()) else {
            out.push("", n, None, Item::Unparsed(text.to_owned()));
            return;
        };
        if let Some(payload) = message
            .strip_prefix("--> ")
            .or_else(|| message.strip_prefix("<-- "))
        {
            let sent = message.starts_with("-->");
            let server = *self.server_role.entry(key.clone()).or_insert_with(|| {
                // Whoever sends a reply code first is the server.
                parse_reply_line(payload).is_some() == sent
            });
            let item = if sent == server {
                Item::Server(payload.to_owned())
            } else {
                Item::Client(payload.to_owned())
            };
            out.push(&key, n, time, item);
        } else {
            note(&key, n, time, message, &mut out);
        }
    }
}

impl Parser {
    /// The block a line without an id belongs to; `Session …; child …` starts a new one.
    fn block_key(&mut self, message: &str, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) -> String {
        if let Some(c) = SESSION.captures(message) {
            self.blocks += 1;
            let key = format!("{}/{}", &c[1], self.blocks);
            out.push(&key, n, time, Item::Begin);
            out.push(&key, n, time, Item::Id(c[1].to_owned()));
            self.current = Some(key.clone());
            return key;
        }
        self.current.clone().unwrap_or_default()
    }
}

fn note(key: &str, n: u64, time: Option<Timestamp>, message: &str, out: &mut Out<'_>) {
    let lower = message.to_ascii_lowercase();
    if lower.starts_with("accepting smtp connection") || lower.starts_with("socket connection established") {
        let mut client = None;
        let mut server = None;
        for c in ADDRESS.captures_iter(message) {
            let addr = format!("{}:{}", &c[2], &c[3]);
            match &c[1] {
                "from" => client = Some(addr),
                _ => server = Some(addr),
            }
        }
        out.push(key, n, time, Item::Peers { client, server });
        out.push(key, n, time, Item::Info(InfoKind::Connected, message.to_owned()));
        return;
    }
    let kind = if lower.starts_with("smtp session successful") || lower.starts_with("smtp session terminated")
    {
        InfoKind::Closed
    } else if lower.starts_with("attempting smtp connection") {
        InfoKind::Connecting
    } else if lower.contains("timed out") || lower.contains("timeout") {
        InfoKind::Timeout
    } else if lower.contains("connection refused") || lower.contains("unable to connect") {
        InfoKind::ConnectFailed
    } else if lower.contains("connection reset")
        || lower.contains("connection closed by")
        || lower.contains("socket error")
    {
        InfoKind::LostConnection
    } else if lower.contains("authentication failed") {
        InfoKind::AuthFailed
    } else {
        InfoKind::Note
    };
    out.push(key, n, time, Item::Info(kind, message.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser::default(), lines)
    }

    #[test]
    fn blocks_and_roles() {
        let r = parse(&[
            "Tue 2026-02-03 09:14:02.120: 05: Session 00012; child 0001",
            "Tue 2026-02-03 09:14:02.121: 05: Accepting SMTP connection from 192.0.2.4:50412 to 192.0.2.10:25",
            "Tue 2026-02-03 09:14:02.122: 03: --> 220 mx ESMTP MDaemon",
            "Tue 2026-02-03 09:14:02.130: 02: <-- EHLO pc",
            "Tue 2026-02-03 09:14:03.000: ----------",
            "Tue 2026-02-03 09:15:00.000: Session 00013; child 0002",
            "Tue 2026-02-03 09:15:00.100: <-- 220 far ESMTP",
            "Tue 2026-02-03 09:15:00.200: --> EHLO mx",
        ]);
        let items: Vec<&Item> = r.iter().map(|x| &x.item).collect();
        assert_eq!(*items[0], Item::Begin);
        assert_eq!(*items[1], Item::Id("00012".into()));
        assert!(matches!(items[2], Item::Info(InfoKind::Note, _)));
        assert_eq!(
            *items[3],
            Item::Peers {
                client: Some("192.0.2.4:50412".into()),
                server: Some("192.0.2.10:25".into())
            }
        );
        assert_eq!(*items[5], Item::Server("220 mx ESMTP MDaemon".into()));
        assert_eq!(*items[6], Item::Client("EHLO pc".into()));
        assert_eq!(*items[7], Item::End);
        assert_eq!(*items[11], Item::Server("220 far ESMTP".into()));
        assert_eq!(*items[12], Item::Client("EHLO mx".into()));
        assert_eq!(r[12].key, "00013/2");
    }

    #[test]
    fn id_strings_key_interleaved_sessions() {
        let r = parse(&[
            "Tue 2026-02-03 09:14:02.122: [4101:1] --> 220 mx ESMTP MDaemon",
            "Tue 2026-02-03 09:14:02.123: [4102:1] --> 220 mx ESMTP MDaemon",
            "Tue 2026-02-03 09:14:02.130: [4101:1] <-- QUIT",
        ]);
        assert_eq!(r[0].key, "4101:1");
        assert_eq!(r[1].key, "4102:1");
        assert_eq!(r[2].item, Item::Client("QUIT".into()));
    }
}
