//! Haraka log (DEFAULT logger format): `[LEVEL] [uuid[.txn]] [origin] message`, optionally after
//! a timestamp (`log_timestamps`, or multilog's `@4000…` TAI64N label / its `tai64nlocal`
//! rendering). At level PROTOCOL, `S: …` lines are the server's reply lines and `C: … state=N`
//! the client's commands (Haraka inbound is the server; outbound deliveries log the remote
//! side's replies as `S:` too). The connection uuid keys the session; `uuid.N` is its N-th
//! transaction. `connect ip=…` and `disconnect ip=…` notices bound a connection.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_iso_local, InfoKind, Timestamp};
use chrono::DateTime;
use regex::Regex;
use std::sync::LazyLock;

pub struct Haraka;

/// Optional stamp, level, uuid (with a transaction suffix), origin, message.
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(@[0-9a-fA-F]{24})[ \t]+|([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)(Z|[+-][0-9]{2}:?[0-9]{2})?[ \t]+)?\[([A-Z]+)\] \[([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|-)(?:\.[0-9]+)?\] \[([^\]]*)\] ?(.*)$",
    )
    .expect("valid regex")
});

/// `key=value` in a notice (value up to the next space).
static KV: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^| )([a-z_]+)=([^ ]*)").expect("valid regex"));

/// The `state=N` (or logfmt state object) Haraka appends to a client line.
static STATE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r" state=[^ ]*$").expect("valid regex"));

impl Format for Haraka {
    fn name(&self) -> &'static str {
        "haraka"
    }
    fn description(&self) -> &'static str {
        "Haraka log (DEFAULT format, loglevel protocol): [LEVEL] [uuid] [origin] S:/C: lines"
    }
    fn how_to_enable(&self) -> &'static str {
        "In Haraka's config/log.ini set `[main] level=protocol` (older versions: config/loglevel containing `protocol`, or `haraka -c <dir> --loglevel protocol`); optionally `timestamps=true`. The log goes to standard output: wherever the service manager sends it (journald, multilog, a file)."
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        ENTRY.captures(line.text).is_some_and(|c| &c[5] != "-")
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// A multilog TAI64N label: 2^62 + 10 + Unix seconds, then nanoseconds (daemontools convention).
fn tai64n(label: &str) -> Option<Timestamp> {
    let secs = u64::from_str_radix(label.get(1..17)?, 16).ok()?;
    let nanos = u32::from_str_radix(label.get(17..25)?, 16).ok()?;
    let unix = secs.checked_sub(0x4000_0000_0000_000a)?;
    let when = DateTime::from_timestamp(i64::try_from(unix).ok()?, nanos)?.naive_utc();
    Some(Timestamp::utc(when))
}

fn stamp(c: &regex::Captures<'_>) -> Option<Timestamp> {
    if let Some(label) = c.get(1) {
        return tai64n(label.as_str());
    }
    let when = parse_iso_local(c.get(2)?.as_str())?;
    Some(match c.get(3).map(|m| m.as_str()) {
        Some("Z") => Timestamp::utc(when),
        _ => Timestamp::local(when),
    })
}

/// How far a session's transcript has shown the message data, so an outbound `delivered`
/// notice does not count a message the transcript already showed accepted.
#[derive(Clone, Copy, PartialEq)]
enum Data {
    Sent,
    Accepted,
}

#[derive(Default)]
struct Parser {
    data: FastMap<String, Data>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text.trim_end();
        let Some(c) = ENTRY.captures(text) else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        let key = &c[5];
        if key == "-" {
            // Start-up and plugin notes outside any connection.
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        }
        let time = stamp(&c).or(line.wrapper.time);
        let message = &c[7];
        let (n, key) = (line.number, key.to_ascii_uppercase());
        if let Some(reply) = message.strip_prefix("S: ") {
            self.track_data(&key, reply);
            out.push(&key, n, time, Item::Server(unescape(reply)));
        } else if let Some(cmd) = message.strip_prefix("C: ") {
            let cmd = STATE_SUFFIX.replace(cmd, "");
            out.push(&key, n, time, Item::Client(unescape(&cmd)));
        } else if message.starts_with("delivered ") {
            self.delivered(&key, n, time, message, &mut out);
        } else {
            if message.starts_with("connect ip=") {
                self.data.remove(&key);
            }
            notice(&key, n, time, &c[4], message, &mut out);
        }
    }
}

impl Parser {
    fn track_data(&mut self, key: &str, reply: &str) {
        if reply.starts_with("354") {
            self.data.insert(key.to_owned(), Data::Sent);
        } else if reply.starts_with('2') && self.data.get(key) == Some(&Data::Sent) {
            self.data.insert(key.to_owned(), Data::Accepted);
        } else if reply.starts_with(['4', '5']) && self.data.get(key) == Some(&Data::Sent) {
            self.data.remove(key);
        }
    }

    /// An outbound `delivered host=… ip=… port=…` notice: names the server, and decides the
    /// delivery only when no transcript showed the message accepted.
    fn delivered(&mut self, key: &str, n: u64, time: Option<Timestamp>, message: &str, out: &mut Out<'_>) {
        let server =
            value(message, "ip")
                .filter(|ip| !ip.is_empty())
                .map(|ip| match value(message, "port") {
                    Some(p) if !p.is_empty() => format!("{ip}:{p}"),
                    _ => ip.to_owned(),
                });
        out.push(key, n, time, Item::Peers { client: None, server });
        let kind = if self.data.remove(key) == Some(Data::Accepted) {
            InfoKind::Note
        } else {
            InfoKind::Delivered
        };
        out.push(key, n, time, Item::Late(kind, message.to_owned()));
    }
}

/// Haraka escapes CR and LF inside protocol lines as `\r` / `\n`; a trailing one is noise.
fn unescape(s: &str) -> String {
    s.trim_end_matches("\\r\\n")
        .trim_end_matches("\\n")
        .trim_end_matches("\\r")
        .to_owned()
}

fn value<'a>(message: &'a str, key: &str) -> Option<&'a str> {
    KV.captures_iter(message)
        .find(|c| &c[1] == key)
        .map(|c| c.get(2).map_or("", |m| m.as_str()))
}

fn notice(key: &str, n: u64, time: Option<Timestamp>, level: &str, message: &str, out: &mut Out<'_>) {
    let text = message.to_owned();
    if message.starts_with("connect ip=") {
        out.push(key, n, time, Item::Begin);
        let join = |ip: Option<&str>, port: Option<&str>| {
            ip.filter(|i| !i.is_empty()).map(|i| match port {
                Some(p) if !p.is_empty() => format!("{i}:{p}"),
                _ => i.to_owned(),
            })
        };
        let client = join(value(message, "ip"), value(message, "port"));
        let server = join(value(message, "local_ip"), value(message, "local_port"));
        out.push(key, n, time, Item::Peers { client, server });
        out.push(key, n, time, Item::Info(InfoKind::Connected, text));
    } else if message.starts_with("disconnect ip=") || message == "disconnect" {
        out.push(key, n, time, Item::Info(InfoKind::Closed, text));
        out.push(key, n, time, Item::End);
    } else {
        let kind = note_kind(level, message);
        // Delivery results quote the remote reply; as late notes they carry its code.
        let item = if matches!(kind, InfoKind::Deferred | InfoKind::Bounced) {
            Item::Late(kind, text)
        } else {
            Item::Info(kind, text)
        };
        out.push(key, n, time, item);
    }
}

/// What a Haraka note reports, from its level and wording.
fn note_kind(level: &str, message: &str) -> InfoKind {
    let lower = message.to_ascii_lowercase();
    if lower.contains("dropped connection")
        || lower.contains("half closed connection")
        || lower.contains("connection error")
    {
        InfoKind::LostConnection
    } else if lower.contains("timed out") {
        InfoKind::Timeout
    } else if lower.starts_with("temp_fail") || lower.starts_with("deferred") {
        InfoKind::Deferred
    } else if lower.starts_with("bounce") {
        InfoKind::Bounced
    } else if lower.contains("authentication failed") || lower.contains("auth failed") {
        InfoKind::AuthFailed
    } else if matches!(level, "ERROR" | "CRIT" | "ALERT" | "EMERG") {
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

    const U: &str = "5C0B2E61-9A4D-4F1B-8C3E-7D2A61F0B9C4";

    #[test]
    fn protocol_lines_and_transaction_suffix() {
        let r = parse(&[
            &format!("[PROTOCOL] [{U}] [core] S: 220 mx ESMTP Haraka ready"),
            &format!("[PROTOCOL] [{U}] [core] C: EHLO pc.example.org state=1"),
            &format!("[PROTOCOL] [{U}.1] [core] C: MAIL FROM:<a@example.org> state=1"),
        ]);
        assert_eq!(r[0].item, Item::Server("220 mx ESMTP Haraka ready".into()));
        assert_eq!(r[1].item, Item::Client("EHLO pc.example.org".into()));
        assert_eq!(r[2].item, Item::Client("MAIL FROM:<a@example.org>".into()));
        assert!(r.iter().all(|x| x.key == U));
    }

    #[test]
    fn stamps_in_front() {
        let r = parse(&[
            &format!("2026-07-23 22:36:18.985711500  [PROTOCOL] [{U}] [core] S: 220 mx"),
            &format!("2026-07-23T22:36:19.000Z [PROTOCOL] [{U}] [core] C: QUIT state=1"),
            &format!("@4000000069d1a0c11dcd6500 [PROTOCOL] [{U}] [core] S: 221 bye"),
        ]);
        assert_eq!(r[0].time.unwrap().to_string(), "2026-07-23T22:36:18.985");
        assert_eq!(r[1].time.unwrap().to_string(), "2026-07-23T22:36:19Z");
        // 0x69d1a0c1 - 10 = 1775345847 = 2026-04-04T23:37:27Z
        assert_eq!(r[2].time.unwrap().to_string(), "2026-04-04T23:37:27.500Z");
    }

    #[test]
    fn connect_and_disconnect_bound_the_session() {
        let r = parse(&[
            &format!(
                "[NOTICE] [{U}] [core] connect ip=192.0.2.7 port=51234 local_ip=192.0.2.1 local_port=25"
            ),
            &format!("[NOTICE] [{U}] [core] disconnect ip=192.0.2.7 rdns=pc helo=pc relay=N rcpts=0/0/0"),
            "[NOTICE] [-] [core] Listening on 0.0.0.0:25",
        ]);
        assert_eq!(r[0].item, Item::Begin);
        assert_eq!(
            r[1].item,
            Item::Peers {
                client: Some("192.0.2.7:51234".into()),
                server: Some("192.0.2.1:25".into())
            }
        );
        assert!(matches!(r[3].item, Item::Info(InfoKind::Closed, _)));
        assert_eq!(r[4].item, Item::End);
        assert!(matches!(r[5].item, Item::Unparsed(_)));
    }
}
