//! Stalwart mail server log (0.9 and later, text format): `<RFC 3339 time> LEVEL Description
//! (event.id) key = value, key = value, …`. At TRACE level `smtp.raw-input` holds what the
//! client sent and `smtp.raw-output` what Stalwart answered, as escaped `contents = "…\r\n"`
//! (several lines in one event when pipelined or multi-line); for outbound deliveries
//! (`delivery.raw-*`) Stalwart is the client, so input is the remote reply. Sessions are keyed
//! by remote address and port (`remoteIp`, `remotePort`); other events of the connection
//! become its notes.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_iso_local, InfoKind, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct Stalwart;

/// Optional stamp (a wrapper may have taken it), level, description, event id, fields.
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+)(Z|[+-][0-9]{2}:?[0-9]{2})?\s+)?(TRACE|DEBUG|INFO|WARN|ERROR) (.*?) \(([a-z0-9-]+\.[a-z0-9.-]+)\)(?: (.*))?$")
        .expect("valid regex")
});

/// `key = value` or `key = "escaped value"`.
static KV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|, )([A-Za-z]+) = (?:"((?:[^"\\]|\\.)*)"|([^,]*))"#).expect("valid regex")
});

impl Format for Stalwart {
    fn name(&self) -> &'static str {
        "stalwart"
    }
    fn description(&self) -> &'static str {
        "Stalwart mail server log (text tracer): raw SMTP input/output events at TRACE level"
    }
    fn how_to_enable(&self) -> &'static str {
        "Stalwart web admin → Settings → Telemetry → Tracing (or the config keys tracer.<id>.*): set the log tracer's level to \"trace\" to get the smtp.raw-input / smtp.raw-output events with the dialogue; the log goes to the tracer's file (logs/ in the installation by default), the console or the journal."
    }
    /// Only SMTP and delivery events count: IMAP and JMAP events share the line shape.
    fn detect(&self, line: &InputLine<'_>) -> bool {
        ENTRY
            .captures(line.text)
            .is_some_and(|c| c[5].starts_with("smtp.") || c[5].starts_with("delivery."))
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser)
    }
}

fn fields(rest: &str) -> Vec<(&str, String)> {
    KV.captures_iter(rest)
        .map(|c| {
            let v = match c.get(2) {
                Some(q) => unescape(q.as_str()),
                None => c.get(3).map_or("", |m| m.as_str()).trim().to_owned(),
            };
            (c.get(1).map_or("", |m| m.as_str()), v)
        })
        .collect()
}

fn get<'a>(f: &'a [(&str, String)], key: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
}

/// Undoes Rust's debug escapes: `\r`, `\n`, `\t`, `\"`, `\\`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

struct Parser;

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text.trim_end();
        let Some(c) = ENTRY.captures(text) else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        let time = c
            .get(1)
            .and_then(|t| parse_iso_local(t.as_str()))
            .map(|w| match c.get(2).map(|z| z.as_str()) {
                Some("Z") => Timestamp::utc(w),
                _ => Timestamp::local(w),
            })
            .or(line.wrapper.time);
        let (level, description, event) = (&c[3], &c[4], &c[5]);
        let f = fields(c.get(6).map_or("", |m| m.as_str()));
        let key = match (get(&f, "remoteIp"), get(&f, "remotePort")) {
            (Some(ip), Some(port)) => format!("{ip}:{port}"),
            (Some(ip), None) => ip.to_owned(),
            _ => get(&f, "queueId")
                .map(|q| format!("queue {q}"))
                .unwrap_or_default(),
        };
        if key.is_empty()
            || !(event.starts_with("smtp.") || event.starts_with("delivery.") || known_session(&f))
        {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        }
        let n = line.number;
        let server_role = event.starts_with("smtp.");
        if event.ends_with(".raw-input") || event.ends_with(".raw-output") {
            let from_server = event.ends_with(".raw-output") == server_role;
            for l in get(&f, "contents").unwrap_or("").split('\n') {
                let l = l.trim_end_matches('\r');
                if l.is_empty() {
                    continue;
                }
                let item = if from_server {
                    Item::Server(l.to_owned())
                } else {
                    Item::Client(l.to_owned())
                };
                out.push(&key, n, time, item);
            }
            return;
        }
        let note = format!("{description} ({event})");
        if event.ends_with("connection-start") {
            out.push(&key, n, time, Item::Begin);
            out.push(
                &key,
                n,
                time,
                Item::Peers {
                    client: Some(key.clone()),
                    server: None,
                },
            );
            out.push(&key, n, time, Item::Info(InfoKind::Connected, note));
        } else if event.ends_with("connection-end") {
            out.push(&key, n, time, Item::Info(InfoKind::Closed, note));
            out.push(&key, n, time, Item::End);
        } else if level == "TRACE" {
            // Expression evaluations and similar internals: kept out of the transcript.
            out.push("", n, None, Item::Unparsed(text.to_owned()));
        } else {
            out.push(&key, n, time, Item::Info(event_kind(event, level), note));
        }
    }
}

/// Events of other subsystems (`tls.handshake`, `auth.failed`) that carry a session address.
fn known_session(f: &[(&str, String)]) -> bool {
    get(f, "remotePort").is_some()
}

fn event_kind(event: &str, level: &str) -> InfoKind {
    match event {
        "tls.handshake" => InfoKind::TlsStarted,
        e if e.starts_with("tls.") && level != "INFO" => InfoKind::TlsFailed,
        "auth.success" => InfoKind::AuthSucceeded,
        "auth.failed" | "auth.error" => InfoKind::AuthFailed,
        e if e.ends_with("timeout") => InfoKind::Timeout,
        e if e.starts_with("network.") && (e.contains("error") || e.contains("reset")) => {
            InfoKind::LostConnection
        }
        _ if level == "ERROR" => InfoKind::Error,
        _ => InfoKind::Note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser, lines)
    }

    #[test]
    fn raw_events_split_into_lines_by_role() {
        let r = parse(&[
            r#"2026-02-03T09:14:02Z TRACE Raw SMTP output sent (smtp.raw-output) listenerId = "smtp", localPort = 25, remoteIp = 192.0.2.7, remotePort = 50412, size = 40, contents = "250-mx.example.net\r\n250 8BITMIME\r\n""#,
            r#"2026-02-03T09:14:02Z TRACE Raw SMTP input received (smtp.raw-input) listenerId = "smtp", localPort = 25, remoteIp = 192.0.2.7, remotePort = 50412, size = 29, contents = "MAIL FROM:<a@example.org>\r\n""#,
            r#"2026-02-03T09:14:03Z TRACE Expression evaluation result (eval.result) listenerId = "smtp", remoteIp = 192.0.2.7, remotePort = 50412, id = "x", result = "Integer(0)""#,
        ]);
        assert_eq!(r[0].item, Item::Server("250-mx.example.net".into()));
        assert_eq!(r[1].item, Item::Server("250 8BITMIME".into()));
        assert_eq!(r[2].item, Item::Client("MAIL FROM:<a@example.org>".into()));
        assert_eq!(r[2].key, "192.0.2.7:50412");
        assert_eq!(r[0].time.unwrap().to_string(), "2026-02-03T09:14:02Z");
        assert!(matches!(r[3].item, Item::Unparsed(_)));
    }

    #[test]
    fn escapes_are_undone() {
        assert_eq!(unescape(r#"a\"b\\c\r\n"#), "a\"b\\c\r\n");
    }
}
