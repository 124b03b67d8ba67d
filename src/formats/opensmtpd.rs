//! OpenSMTPD log (6.0 and later), usually via syslog as `smtpd[pid]: …`. Two kinds of line:
//! - reports `<16-hex session id> <smtp|mta|mda> <event> key=value…`: `smtp connected`,
//!   `smtp failed-command command="…" result="…"` (the only replies the log shows),
//!   `smtp message …` (a message accepted), `mta delivery … result="Ok|TempFail|PermFail"
//!   stat="…"`, `smtp|mta disconnected reason=…`; the hex id keys the session;
//! - traces (`smtpd -T smtp,mta`, `smtpctl trace smtp`): `smtp: 0x<ptr>: >>> line` is a reply
//!   OpenSMTPD sent as the server, `<<< line` a command it received; for `mta:` (OpenSMTPD as
//!   the client) `>>>` is a command and `<<<` a reply. The pointer keys the session.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{InfoKind, Step, Timestamp};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

pub struct OpenSmtpd;

/// A report line: session id, subsystem, event, the rest.
static REPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9a-f]{16}) (smtp|mta|mda) ([a-z][a-z-]*)(?: (.*))?$").expect("valid regex")
});

/// A trace line: subsystem, pointer, arrow, the SMTP line.
static TRACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(smtp|mta): (0x[0-9a-f]+): (>>>|<<<) ?(.*)$").expect("valid regex"));

/// `key=value` or `key="value with spaces"`.
static KV: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?:^| )([a-z-]+)=(?:"([^"]*)"|([^ ]*))"#).expect("valid regex"));

impl Format for OpenSmtpd {
    fn name(&self) -> &'static str {
        "opensmtpd"
    }
    fn description(&self) -> &'static str {
        "OpenSMTPD log (smtpd[pid]: <session> smtp|mta|mda … reports, and -T smtp,mta traces)"
    }
    fn how_to_enable(&self) -> &'static str {
        "OpenSMTPD logs its session reports to syslog's mail facility by default (/var/log/maillog or the journal). For the full dialogue add traces: run `smtpd -d -T smtp -T mta` in the foreground, or `smtpctl trace smtp` and `smtpctl trace mta` on a running daemon (`smtpctl untrace …` stops it); `smtpd -v` or `smtpctl log verbose` adds debug lines."
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let text = native(line.text, 2000).0;
        REPORT.is_match(text) || TRACE.is_match(text)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// The OpenSMTPD text of a line, and a syslog stamp found on the way: a line shipped inside a
/// second wrapper (syslog relayed through another logger) still carries `… smtpd[pid]: `.
fn native(text: &str, year: i32) -> (&str, Option<Timestamp>) {
    if REPORT.is_match(text) || TRACE.is_match(text) {
        return (text, None);
    }
    let (w, rest) = crate::wrapper::strip(text, year);
    if rest.len() < text.len() && w.program == Some("smtpd") {
        return (rest, w.time);
    }
    (text, None)
}

fn value<'a>(rest: &'a str, key: &str) -> Option<&'a str> {
    KV.captures_iter(rest)
        .find(|c| &c[1] == key)
        .and_then(|c| c.get(2).or_else(|| c.get(3)))
        .map(|m| m.as_str())
}

#[derive(Default)]
struct Parser {
    /// Trace sessions seen, and those with a STARTTLS outstanding (its `220` is no greeting).
    traced: HashSet<String>,
    starttls: HashSet<String>,
    /// For syslog stamps found inside the text (they carry no year).
    year: i32,
}

impl LineParser for Parser {
    fn set_year(&mut self, year: i32) {
        self.year = year;
    }

    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let (text, inner_time) = native(line.text.trim_end(), self.year);
        let time = inner_time.or(line.wrapper.time);
        if let Some(c) = REPORT.captures(text) {
            let rest = c.get(4).map_or("", |m| m.as_str());
            report(&c[1], &c[2], &c[3], rest, line.number, time, &mut out);
        } else if let Some(c) = TRACE.captures(text) {
            let key = format!("{}:{}", &c[1], &c[2]);
            self.trace(
                &key,
                &c[1] == "smtp",
                &c[3] == ">>>",
                &c[4],
                line.number,
                time,
                &mut out,
            );
        } else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
        }
    }
}

impl Parser {
    #[allow(clippy::too_many_arguments)]
    fn trace(
        &mut self,
        key: &str,
        server_role: bool,
        sent: bool,
        text: &str,
        n: u64,
        time: Option<Timestamp>,
        out: &mut Out<'_>,
    ) {
        let from_server = sent == server_role;
        if from_server && text.starts_with("220") {
            if !self.starttls.remove(key) && !self.traced.insert(key.to_owned()) {
                // A new greeting under a pointer already used: memory reused by a new session.
                out.push(key, n, time, Item::Begin);
            }
        } else if !from_server && text.trim().eq_ignore_ascii_case("STARTTLS") {
            self.starttls.insert(key.to_owned());
        }
        self.traced.insert(key.to_owned());
        let item = if from_server {
            Item::Server(text.to_owned())
        } else {
            Item::Client(text.to_owned())
        };
        out.push(key, n, time, item);
    }
}

fn report(
    id: &str,
    subsystem: &str,
    event: &str,
    rest: &str,
    n: u64,
    time: Option<Timestamp>,
    out: &mut Out<'_>,
) {
    let line = format!(
        "{subsystem} {event}{}{rest}",
        if rest.is_empty() { "" } else { " " }
    );
    let info = |kind| Item::Info(kind, line.clone());
    match (subsystem, event) {
        ("smtp", "connected") => {
            out.push(id, n, time, Item::Begin);
            let client = peer(value(rest, "host"), value(rest, "address"));
            out.push(id, n, time, Item::Peers { client, server: None });
            out.push(id, n, time, info(InfoKind::Connected));
        }
        ("mta", "connecting") => {
            out.push(id, n, time, Item::Begin);
            let address = value(rest, "address").map(|a| a.split("://").last().unwrap_or(a));
            let server = peer(value(rest, "host"), address);
            out.push(id, n, time, Item::Peers { client: None, server });
            out.push(id, n, time, info(InfoKind::Connecting));
        }
        (_, "connected") => out.push(id, n, time, info(InfoKind::Connected)),
        (_, "tls") => out.push(id, n, time, info(InfoKind::TlsStarted)),
        ("smtp", "authentication") => {
            let kind = if value(rest, "result") == Some("ok") {
                InfoKind::AuthSucceeded
            } else {
                InfoKind::AuthFailed
            };
            out.push(id, n, time, info(kind));
        }
        ("smtp", "failed-command") => {
            let command = value(rest, "command").unwrap_or("").trim();
            let step = if command.is_empty() {
                Step::Greeting
            } else {
                Step::of_command(command)
            };
            let result = value(rest, "result").unwrap_or(rest).to_owned();
            out.push(id, n, time, Item::ServerFor(step, result));
        }
        ("smtp", "bad-input") => {
            let result = value(rest, "result").unwrap_or(rest).to_owned();
            out.push(id, n, time, Item::ServerFor(Step::Other, result));
        }
        // The message is queued: for the session that received it, the transaction succeeded.
        ("smtp", "message") => out.push(id, n, time, info(InfoKind::Delivered)),
        ("mta" | "mda", "delivery") => {
            let kind = match value(rest, "result") {
                Some("Ok") => InfoKind::Delivered,
                Some("TempFail") => InfoKind::Deferred,
                Some("PermFail") => InfoKind::Bounced,
                _ => InfoKind::Note,
            };
            out.push(id, n, time, Item::Late(kind, line.clone()));
        }
        (_, "disconnected") => {
            let reason = value(rest, "reason").unwrap_or("");
            let kind = match reason {
                "quit" => None,
                r if r.contains("timeout") => Some(InfoKind::Timeout),
                r if r.contains("tls") => Some(InfoKind::TlsFailed),
                _ => Some(InfoKind::LostConnection),
            };
            if let Some(kind) = kind.filter(|_| subsystem == "smtp") {
                out.push(id, n, time, Item::Info(kind, line.clone()));
            }
            out.push(id, n, time, info(InfoKind::Closed));
            out.push(id, n, time, Item::End);
        }
        (_, "error") => out.push(id, n, time, info(InfoKind::Error)),
        _ => out.push(id, n, time, info(InfoKind::Note)),
    }
}

/// `host[ip]` from a report's host and address fields, either of which may be missing.
fn peer(host: Option<&str>, address: Option<&str>) -> Option<String> {
    let host = host.filter(|h| !h.is_empty() && *h != "<unknown>");
    match (host, address.filter(|a| !a.is_empty())) {
        (Some(h), Some(a)) if h != a => Some(format!("{h}[{a}]")),
        (Some(h), _) => Some(h.to_owned()),
        (None, Some(a)) => Some(a.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser::default(), lines)
    }

    #[test]
    fn failed_commands_become_replies_to_the_named_command() {
        let r = parse(&[
            "0123456789abcdef smtp connected address=192.0.2.5 host=pc.example.org",
            "0123456789abcdef smtp failed-command command=\"RCPT TO:<x@example.net> \" result=\"550 Invalid recipient: <x@example.net>\"",
            "0123456789abcdef smtp failed-command command=\"\" result=\"421 go away\"",
        ]);
        assert_eq!(
            r[1].item,
            Item::Peers {
                client: Some("pc.example.org[192.0.2.5]".into()),
                server: None
            }
        );
        assert_eq!(
            r[3].item,
            Item::ServerFor(Step::Rcpt, "550 Invalid recipient: <x@example.net>".into())
        );
        assert_eq!(r[4].item, Item::ServerFor(Step::Greeting, "421 go away".into()));
    }

    #[test]
    fn trace_direction_depends_on_subsystem() {
        let r = parse(&[
            "smtp: 0x5a1b2c3d4e50: >>> 220 mx ESMTP OpenSMTPD",
            "smtp: 0x5a1b2c3d4e50: <<< EHLO pc",
            "mta: 0x5a1b2c3d4f00: <<< 220 far ESMTP",
            "mta: 0x5a1b2c3d4f00: >>> EHLO mx",
            "smtp: 0x5a1b2c3d4e50: <<< STARTTLS",
            "smtp: 0x5a1b2c3d4e50: >>> 220 2.0.0 Ready to start TLS",
            "smtp: 0x5a1b2c3d4e50: >>> 220 mx ESMTP OpenSMTPD",
        ]);
        assert_eq!(r[0].item, Item::Server("220 mx ESMTP OpenSMTPD".into()));
        assert_eq!(r[1].item, Item::Client("EHLO pc".into()));
        assert_eq!(r[2].item, Item::Server("220 far ESMTP".into()));
        assert_eq!(r[3].item, Item::Client("EHLO mx".into()));
        assert_eq!(r[3].key, "mta:0x5a1b2c3d4f00");
        // The TLS 220 continues the session; a later greeting under the same pointer begins anew.
        assert_eq!(r[5].item, Item::Server("220 2.0.0 Ready to start TLS".into()));
        assert_eq!(r[6].item, Item::Begin);
    }

    #[test]
    fn double_syslog_prefix_is_read_through() {
        let (text, time) = native(
            "Feb  3 09:14:02 mx1 smtpd[4242]: 0123456789abcdef smtp connected address=local host=mx1",
            2026,
        );
        assert!(text.starts_with("0123456789abcdef smtp connected"));
        assert!(time.is_some());
        assert_eq!(
            native("Feb  3 09:14:02 mx1 other[1]: hi", 2026).0,
            "Feb  3 09:14:02 mx1 other[1]: hi"
        );
    }
}
