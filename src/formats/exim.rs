//! Exim mainlog and rejectlog: `YYYY-MM-DD HH:MM:SS[.ffffff] [+zone] [[pid]] [message-id] text`.
//!
//! Sessions. An inbound SMTP connection is one session, opened by `SMTP connection from
//! host [ip]:port (TCP/IP connection count = n)` (log_selector `+smtp_connection`) and keyed by
//! that `[ip]:port`. Later lines find it by `[ip]:port`, else by the pid of the receiving
//! process (`+pid`; learned from the first later line that also names the address, since the
//! connection line itself is written by the daemon), else by the newest open connection from
//! the same IP. Message lines carry the message id: `<=` (received) goes to the connection
//! that sent it and accepts the message there; `=>`, `->`, `**`, `==`, `*>`, `Completed`
//! follow as [`Item::Late`] notes on that session, informational only (the inbound
//! conversation already succeeded when the message was received). Each `=>` / `**` / `==`
//! line is also an outbound delivery session of its own (`<msgid>><n>`), which that line
//! decides: delivered, bounced (the remote server's quoted reply, e.g. `550 5.1.1`, is its
//! decisive reply) or deferred; `->` lines join the delivery before them.
//!
//! Logs without connection lines (the default log_selector, the rejectlog): a `<=` line
//! forms a session of its own under its message id, and a refusal, authentication failure or
//! broken connection forms a one-line session under its `[ip]:port`. Notes that belong to no
//! session are unparsed. Unprefixed lines (the rejectlog's envelope and header dumps) are
//! notes on the session of the line before.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_iso_local, InfoKind, Step, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct Exim;

/// Date, time (fraction with `+millisec`/`+microsec`), zone (`log_timezone`), pid (`+pid`),
/// message id (old 6-6-2 or 4.97+ 6-11-4), text.
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)(?: ([+-][0-9]{4}))?(?: \[([0-9]+)\])?(?: ([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}))?(?: (.*))?$")
        .expect("valid regex")
});

/// The same line under a syslog wrapper with `syslog_timestamp = false`: no date.
static NO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[([0-9]+)\] )?(?:([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) )?(.*)$")
        .expect("valid regex")
});

/// A host as Exim writes it: optional name, optional `(helo)`, `[ip]`, optional `:port`.
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^((?:[^\s\[\]()]+ )?(?:\([^)]*\) )?\[([0-9A-Fa-f:.]+)\](?::([0-9]+))?)")
        .expect("valid regex")
});

/// `SMTP error from remote mail server after RCPT TO:<x>: 550 5.1.1 …` in `**` / `==` lines.
static REMOTE_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"SMTP error from remote (?:mail )?server after (.+?): ([2-5][0-9]{2}(?:[ -].*)?)$")
        .expect("valid regex")
});

/// `C="250 2.0.0 OK …"`: the remote server's answer to the data (`smtp_confirmation`).
static CONFIRMATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bC="([2-5][0-9]{2}[^"]*)""#).expect("valid regex"));

/// Words that make a line Exim's own, for detection.
const SIGNATURES: [&str; 10] = [
    "<= ",
    "=> ",
    ">> ",
    "-> ",
    "** ",
    "== ",
    "*> ",
    "SMTP connection ",
    "H=",
    "Completed",
];

impl Format for Exim {
    fn name(&self) -> &'static str {
        "exim"
    }
    fn description(&self) -> &'static str {
        "Exim mainlog / rejectlog (received, delivered, deferred, bounced, rejected; SMTP connections)"
    }
    fn how_to_enable(&self) -> &'static str {
        "The mainlog is on by default (/var/log/exim4/mainlog on Debian, /var/log/exim/main.log or /var/spool/exim/log/mainlog elsewhere; rejectlog beside it). For per-connection sessions add to the main configuration: log_selector = +smtp_connection +smtp_protocol_error +smtp_syntax_error +tls_cipher +incoming_port +pid (+millisec or +microsec for fractions; log_timezone = true adds the zone)."
    }
    /// A dated line whose text starts with a flag, a connection note or `H=`.
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let text = match LINE.captures(line.text) {
            Some(c) => c.get(5).map_or("", |m| m.as_str()),
            // syslog_timestamp = false: no date, the wrapper names the program.
            None if is_exim_program(line) => NO_DATE
                .captures(line.text)
                .and_then(|c| c.get(3))
                .map_or("", |m| m.as_str()),
            None => return false,
        };
        SIGNATURES.iter().any(|s| text.starts_with(s))
            || text.contains(" authenticator failed for ")
            || text.starts_with("SMTP protocol synchronization error")
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// Most connections kept open for matching; older ones whose close is missing are forgotten.
const MAX_OPEN: usize = 4096;

/// An inbound connection seen opening and not yet closed.
struct Conn {
    key: String,
    ip: String,
    port: Option<String>,
    pid: Option<String>,
}

/// What one line says, after the prefix.
struct Line<'a> {
    number: u64,
    time: Option<Timestamp>,
    /// `[pid]` of `+pid`, else the pid of a syslog wrapper (`exim[2301]:`).
    pid: Option<String>,
    text: &'a str,
}

#[derive(Default)]
struct Parser {
    open: Vec<Conn>,
    key_uses: FastMap<String, u32>,
    /// Message id → key of the session that received it.
    received: FastMap<String, String>,
    /// Message id → key of its latest delivery session, and how many it has had.
    deliveries: FastMap<String, (String, u32)>,
    /// The session of the last dated line, for unprefixed dump lines after it.
    last_key: Option<String>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let (time, pid, msgid, text) = match LINE.captures(line.text) {
            Some(c) => (
                stamp(&c[1], c.get(2).map(|m| m.as_str())),
                c.get(3).map(|m| m.as_str()),
                c.get(4).map(|m| m.as_str()),
                c.get(5).map_or("", |m| m.as_str()),
            ),
            None if is_exim_program(line) => {
                let Some(c) = NO_DATE.captures(line.text) else {
                    return;
                };
                (
                    line.wrapper.time,
                    c.get(1).map(|m| m.as_str()),
                    c.get(2).map(|m| m.as_str()),
                    c.get(3).map_or("", |m| m.as_str()),
                )
            }
            None => return self.unprefixed(line, &mut out),
        };
        let l = Line {
            number: line.number,
            time,
            pid: pid.map(str::to_owned).or_else(|| {
                line.wrapper
                    .pid
                    .filter(|_| is_exim_program(line))
                    .map(|p| p.to_string())
            }),
            text: text.trim_end(),
        };
        self.last_key = match msgid {
            Some(id) => self.message_line(id, &l, &mut out),
            None => self.connection_line(&l, &mut out),
        };
    }
}

/// True when a syslog wrapper names Exim as the program (`exim[123]:`, `exim4[123]:`).
fn is_exim_program(line: &InputLine<'_>) -> bool {
    line.wrapper.program.is_some_and(|p| p.starts_with("exim"))
}

/// The line's local time, with the zone when `log_timezone` wrote one.
fn stamp(datetime: &str, zone: Option<&str>) -> Option<Timestamp> {
    let mut t = Timestamp::local(parse_iso_local(datetime)?);
    if let Some(z) = zone {
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let h: i32 = z.get(1..3)?.parse().ok()?;
        let m: i32 = z.get(3..5)?.parse().ok()?;
        t.offset = Some(sign * (h * 3600 + m * 60));
    }
    Some(t)
}

impl Parser {
    /// A new, never reused key for a connection or delivery.
    fn fresh_key(&mut self, base: &str) -> String {
        let n = self.key_uses.entry(base.to_owned()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base.to_owned()
        } else {
            format!("{base}#{n}")
        }
    }

    /// The open connection a line is about: by `[ip]:port` when the line names a port, else by
    /// pid, else the newest from the IP. A pid is learned only from a line naming the port.
    fn find_conn(&mut self, l: &Line<'_>, ip: Option<&str>, port: Option<&str>) -> Option<usize> {
        if let (Some(ip), Some(port)) = (ip, port) {
            let found = self
                .open
                .iter()
                .rposition(|c| c.ip == ip && c.port.as_deref() == Some(port));
            if let (Some(i), Some(pid)) = (found, l.pid.as_deref()) {
                self.open[i].pid.get_or_insert_with(|| pid.to_owned());
            }
            // A port that matches no open connection names one whose opening is not in the log.
            return found;
        }
        if let Some(i) = l
            .pid
            .as_deref()
            .and_then(|pid| self.open.iter().rposition(|c| c.pid.as_deref() == Some(pid)))
        {
            return Some(i);
        }
        let ip = ip?;
        self.open
            .iter()
            .rposition(|c| c.ip == ip && (c.pid.is_none() || c.pid == l.pid))
    }

    fn connection_line(&mut self, l: &Line<'_>, out: &mut Out<'_>) -> Option<String> {
        let text = l.text;
        let host = host_of(text);
        if text.starts_with("SMTP connection from ") && text.contains("(TCP/IP connection count") {
            return self.open_conn(l, host.as_ref(), out);
        }
        let (items, ends) = classify(text);
        let unnamed_ip = text
            .strip_prefix("no host name found for IP address ")
            .map(str::trim);
        let ip = host
            .as_ref()
            .map(|h| h.get(2).map_or("", |m| m.as_str()))
            .or(unnamed_ip);
        let port = host.as_ref().and_then(|h| h.get(3)).map(|m| m.as_str());
        let idx = self.find_conn(l, ip, port);
        let key = match idx {
            Some(i) => self.open[i].key.clone(),
            None if items.iter().any(decides) => {
                // The connection's opening is not in the log: a session of this line alone.
                let key = self.fresh_key(&address_of(host.as_ref()).unwrap_or_else(|| "exim".to_owned()));
                out.push(&key, l.number, l.time, Item::Begin);
                push_peer(&key, l, host.as_ref(), out);
                for item in items {
                    out.push(&key, l.number, l.time, item);
                }
                out.push(&key, l.number, l.time, Item::End);
                return Some(key);
            }
            None => {
                out.push("", l.number, l.time, Item::Unparsed(text.to_owned()));
                return None;
            }
        };
        for item in items {
            out.push(&key, l.number, l.time, item);
        }
        if ends {
            out.push(&key, l.number, l.time, Item::End);
            if let Some(i) = idx {
                self.open.remove(i);
            }
        }
        Some(key)
    }

    fn open_conn(
        &mut self,
        l: &Line<'_>,
        host: Option<&regex::Captures<'_>>,
        out: &mut Out<'_>,
    ) -> Option<String> {
        let Some(h) = host else {
            out.push("", l.number, l.time, Item::Unparsed(l.text.to_owned()));
            return None;
        };
        let key = self.fresh_key(&address_of(Some(h)).unwrap_or_default());
        out.push(&key, l.number, l.time, Item::Begin);
        let server = l
            .text
            .find("I=[")
            .map(|i| l.text[i + 2..].split_whitespace().next().unwrap_or("").to_owned());
        out.push(
            &key,
            l.number,
            l.time,
            Item::Peers {
                client: Some(h[1].to_owned()),
                server,
            },
        );
        out.push(
            &key,
            l.number,
            l.time,
            Item::Info(InfoKind::Connected, l.text.to_owned()),
        );
        if self.open.len() >= MAX_OPEN {
            // Connections whose close was never logged stop being candidates.
            self.open.remove(0);
        }
        self.open.push(Conn {
            key: key.clone(),
            ip: h[2].to_owned(),
            port: h.get(3).map(|m| m.as_str().to_owned()),
            pid: None,
        });
        Some(key)
    }

    fn message_line(&mut self, id: &str, l: &Line<'_>, out: &mut Out<'_>) -> Option<String> {
        let text = l.text;
        if let Some(rest) = text.strip_prefix("<= ") {
            return Some(self.received_line(id, rest, l, out));
        }
        if text.starts_with("H=") {
            // A refusal after the data names the message id it would have had.
            return self.connection_line(l, out);
        }
        let note = format!("{id} {text}");
        let inbound = self.received.get(id).cloned();
        if let Some(key) = &inbound {
            out.push(key, l.number, l.time, Item::Late(InfoKind::Note, note.clone()));
        }
        let flag = text.get(..3).unwrap_or("");
        match flag {
            "=> " | ">> " | "** " | "== " => return Some(self.delivery(id, flag, l, out)),
            "-> " => {
                if let Some((key, _)) = self.deliveries.get(id) {
                    out.push(key, l.number, l.time, Item::Late(InfoKind::Delivered, note));
                    return Some(key.clone());
                }
            }
            _ => {}
        }
        if inbound.is_none() {
            match self.deliveries.get(id) {
                Some((key, _)) => out.push(key, l.number, l.time, Item::Late(InfoKind::Note, note)),
                None => out.push("", l.number, l.time, Item::Unparsed(text.to_owned())),
            }
        }
        if text.starts_with("Completed") {
            // The message left the queue: nothing more will be logged under its id.
            self.received.remove(id);
            self.deliveries.remove(id);
        }
        inbound
    }

    /// `<= sender H=… P=… S=… id=…`: the message was accepted on its connection.
    fn received_line(&mut self, id: &str, rest: &str, l: &Line<'_>, out: &mut Out<'_>) -> String {
        let host = rest.find(" H=").and_then(|i| HOST.captures(&rest[i + 3..]));
        let note = format!("{id} {}", l.text);
        let ip = host.as_ref().map(|h| h.get(2).map_or("", |m| m.as_str()));
        let port = host.as_ref().and_then(|h| h.get(3)).map(|m| m.as_str());
        let key = match self.find_conn(l, ip, port) {
            Some(i) => self.open[i].key.clone(),
            None => {
                let key = self.fresh_key(id);
                out.push(&key, l.number, l.time, Item::Begin);
                let client = host
                    .as_ref()
                    .map(|h| h[1].to_owned())
                    .or_else(|| field(rest, "U=").map(|u| format!("local user {u}")));
                out.push(&key, l.number, l.time, Item::Peers { client, server: None });
                out.push(&key, l.number, l.time, Item::Info(InfoKind::Delivered, note));
                out.push(&key, l.number, l.time, Item::End);
                self.received.insert(id.to_owned(), key.clone());
                return key;
            }
        };
        out.push(&key, l.number, l.time, Item::Info(InfoKind::Delivered, note));
        self.received.insert(id.to_owned(), key.clone());
        key
    }

    /// `=>` / `>>` (cutthrough) / `**` / `==`: one delivery attempt, a session of its own decided by this line.
    fn delivery(&mut self, id: &str, flag: &str, l: &Line<'_>, out: &mut Out<'_>) -> String {
        let n = self.deliveries.get(id).map_or(0, |d| d.1) + 1;
        let key = format!("{id}>{n}");
        self.deliveries.insert(id.to_owned(), (key.clone(), n));
        let text = l.text;
        let server = text
            .find(" H=")
            .and_then(|i| HOST.captures(&text[i + 3..]))
            .map(|h| h[1].to_owned())
            .or_else(|| field(text, "T=").map(|t| format!("transport {t}")));
        out.push(&key, l.number, l.time, Item::Begin);
        out.push(&key, l.number, l.time, Item::Peers { client: None, server });
        let kind = match flag {
            "=> " | ">> " => InfoKind::Delivered,
            "** " => InfoKind::Bounced,
            _ => InfoKind::Deferred,
        };
        out.push(&key, l.number, l.time, Item::Late(kind, format!("{id} {text}")));
        if let Some(c) = REMOTE_ERROR.captures(text) {
            out.push(
                &key,
                l.number,
                l.time,
                Item::ServerFor(step_after(&c[1]), c[2].to_owned()),
            );
        } else if let Some(c) = CONFIRMATION
            .captures(text)
            .filter(|_| kind == InfoKind::Delivered)
        {
            out.push(
                &key,
                l.number,
                l.time,
                Item::ServerFor(Step::DataEnd, c[1].to_owned()),
            );
        }
        out.push(&key, l.number, l.time, Item::End);
        key
    }

    /// A line without Exim's prefix: a rejectlog dump line of the entry before, else unparsed.
    fn unprefixed(&mut self, line: &InputLine<'_>, out: &mut Out<'_>) {
        let text = line.text.trim_end();
        if text.trim().is_empty() {
            return;
        }
        match &self.last_key {
            Some(key) => out.push(
                key,
                line.number,
                None,
                Item::Late(InfoKind::Note, text.to_owned()),
            ),
            None => out.push("", line.number, None, Item::Unparsed(text.to_owned())),
        }
    }
}

/// The host a line is about: after `H=`, else after ` from ` or ` for ` (`SMTP connection
/// from …`, `authenticator failed for …`).
fn host_of(text: &str) -> Option<regex::Captures<'_>> {
    let at = if let Some(rest) = text.strip_prefix("H=") {
        rest
    } else if let Some(i) = text.find(" H=") {
        &text[i + 3..]
    } else if let Some(i) = text.find(" from ") {
        let rest = &text[i + 6..];
        rest.strip_prefix("H=").unwrap_or(rest)
    } else {
        &text[text.find(" for ")? + 5..]
    };
    HOST.captures(at)
}

/// `[ip]:port` (or `[ip]`) of a host, the key of its connection.
fn address_of(host: Option<&regex::Captures<'_>>) -> Option<String> {
    let h = host?;
    Some(match h.get(3) {
        Some(p) => format!("[{}]:{}", &h[2], p.as_str()),
        None => format!("[{}]", &h[2]),
    })
}

fn push_peer(key: &str, l: &Line<'_>, host: Option<&regex::Captures<'_>>, out: &mut Out<'_>) {
    let client = host.map(|h| h[1].to_owned());
    out.push(key, l.number, l.time, Item::Peers { client, server: None });
}

/// The value of a `X=value` field.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(name))
        .filter(|v| !v.is_empty())
}

/// Which command a remote server's error answered (`RCPT TO:<x>`, `end of data`, …).
fn step_after(what: &str) -> Step {
    let what = what.strip_prefix("pipelined ").unwrap_or(what);
    let lower = what.to_ascii_lowercase();
    if lower.starts_with("end of data") {
        Step::DataEnd
    } else if lower.starts_with("initial connection") {
        Step::Greeting
    } else {
        Step::of_command(what)
    }
}

/// True for items that decide a session's status (they may form a session of their own;
/// a mere close of a connection opened before the log began does not).
fn decides(item: &Item) -> bool {
    match item {
        Item::Refused(..) | Item::ServerFor(..) => true,
        Item::Info(kind, _) => !matches!(kind, InfoKind::Note | InfoKind::Closed),
        _ => false,
    }
}

/// What a connection-level line reports, and whether the connection ended with it.
fn classify(text: &str) -> (Vec<Item>, bool) {
    let note = |k: InfoKind| vec![Item::Info(k, text.to_owned())];
    let temporary = text.contains("temporarily rejected");
    let code = |permanent: u16| if temporary { 451 } else { permanent };
    if let Some(i) = text.find(" authenticator failed for ") {
        let rest = &text[i..];
        if let Some(r) = rest
            .find(": ")
            .map(|p| &rest[p + 2..])
            .filter(|r| crate::model::parse_reply_line(r).is_some())
        {
            return (vec![Item::ServerFor(Step::Auth, r.to_owned())], false);
        }
        return (note(InfoKind::AuthFailed), false);
    }
    if text.contains("rejected RCPT ") {
        return (vec![Item::Refused(Step::Rcpt, code(550), text.to_owned())], false);
    }
    if text.contains("rejected MAIL ") {
        return (vec![Item::Refused(Step::Mail, code(550), text.to_owned())], false);
    }
    if text.contains("rejected after DATA") {
        return (
            vec![Item::Refused(Step::DataEnd, code(550), text.to_owned())],
            false,
        );
    }
    if let Some(step) = ["EHLO", "HELO"]
        .iter()
        .find(|v| text.starts_with(&format!("rejected {v} ")))
    {
        let step = if *step == "EHLO" { Step::Ehlo } else { Step::Helo };
        let c = if text.contains("syntactically invalid") {
            501
        } else {
            550
        };
        return (vec![Item::Refused(step, c, text.to_owned())], false);
    }
    if text.contains("rejected connection in \"connect\" ACL") {
        return (
            vec![Item::Refused(Step::Greeting, code(550), text.to_owned())],
            true,
        );
    }
    if text.starts_with("SMTP protocol synchronization error")
        || text.starts_with("SMTP call from ")
        || (text.starts_with("Connection from ") && text.contains(" refused"))
    {
        return (note(InfoKind::Rejected), true);
    }
    if text.starts_with("TLS error on connection from ") {
        let handshake = text.contains("accept") || text.contains("handshake");
        return (note(InfoKind::TlsFailed), handshake);
    }
    if text.starts_with("SMTP connection ") {
        if text.contains(" closed by ") {
            return (note(InfoKind::Closed), true);
        }
        if text.contains(" lost") {
            return (note(InfoKind::LostConnection), true);
        }
    }
    if text.contains(" timeout ") && text.contains("connection from ") {
        return (note(InfoKind::Timeout), true);
    }
    if text.starts_with("unexpected disconnection while reading") {
        return (note(InfoKind::LostConnection), true);
    }
    (note(InfoKind::Note), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser::default(), lines)
    }

    #[test]
    fn prefix_variants_give_time_zone_and_pid() {
        let r = parse(&[
            "2026-03-04 10:00:00.123456 +0100 [4100] SMTP connection from [192.0.2.7]:40001 (TCP/IP connection count = 1)",
            "2026-03-04 10:00:01 [4111] H=(pc) [192.0.2.7] F=<a@example.org> rejected RCPT <b@example.net>: relay not permitted",
        ]);
        assert_eq!(r[0].key, "[192.0.2.7]:40001");
        let r2 = parse(&["2026-03-04 10:00:00 10HmaX-000000005vi-0000 <= a@example.org U=bob P=local S=5"]);
        assert_eq!(r2[0].key, "10HmaX-000000005vi-0000");
        assert_eq!(r[0].time.unwrap().to_string(), "2026-03-04T10:00:00.123+01:00");
        let refused = r.iter().find(|x| matches!(x.item, Item::Refused(..))).unwrap();
        assert_eq!(refused.key, "[192.0.2.7]:40001");
        assert!(matches!(refused.item, Item::Refused(Step::Rcpt, 550, _)));
    }

    #[test]
    fn pid_tells_two_connections_from_one_ip_apart() {
        let r = parse(&[
            "2026-03-04 10:00:00 [100] SMTP connection from [192.0.2.7]:40001 (TCP/IP connection count = 1)",
            "2026-03-04 10:00:00 [100] SMTP connection from [192.0.2.7]:40002 (TCP/IP connection count = 2)",
            "2026-03-04 10:00:01 [202] H=(pc) [192.0.2.7]:40002 Warning: slow client",
            "2026-03-04 10:00:01 [201] H=(pc) [192.0.2.7]:40001 Warning: slow client",
            "2026-03-04 10:00:02 [201] 1a2B3c-000AbC-De <= a@example.org H=(pc) [192.0.2.7] P=esmtp S=10",
        ]);
        let rec = r.iter().find(|x| x.line == 5).unwrap();
        assert_eq!(rec.key, "[192.0.2.7]:40001");
    }

    #[test]
    fn delivery_lines_form_sessions_and_late_notes() {
        let r = parse(&[
            "2026-03-04 10:00:00 SMTP connection from [192.0.2.7]:40001 (TCP/IP connection count = 1)",
            "2026-03-04 10:00:02 1a2B3c-000AbC-De <= a@example.org H=(pc) [192.0.2.7]:40001 P=esmtp S=10",
            "2026-03-04 10:00:03 1a2B3c-000AbC-De ** b@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.5]: SMTP error from remote mail server after RCPT TO:<b@example.net>: 550 5.1.1 no such user",
        ]);
        let late: Vec<_> = r.iter().filter(|x| matches!(x.item, Item::Late(..))).collect();
        assert_eq!(late[0].key, "[192.0.2.7]:40001");
        assert_eq!(late[1].key, "1a2B3c-000AbC-De>1");
        assert!(r
            .iter()
            .any(|x| x.item == Item::ServerFor(Step::Rcpt, "550 5.1.1 no such user".into())));
    }

    #[test]
    fn unknown_notes_are_unparsed_and_refusals_stand_alone() {
        let closed = parse(&[
            "2026-03-04 10:00:00 SMTP connection from [192.0.2.1]:5 closed by QUIT",
            "2026-03-04 10:00:00 Connection from [192.0.2.2] refused: too many connections from that IP address",
        ]);
        assert!(matches!(closed[0].item, Item::Unparsed(_)));
        let other_port = parse(&[
            "2026-03-04 10:00:00 SMTP connection from [192.0.2.1]:5 (TCP/IP connection count = 1)",
            "2026-03-04 10:00:01 H=[192.0.2.1]:6 F=<a@b> rejected RCPT <c@d>: relay not permitted",
        ]);
        assert!(other_port[3..].iter().all(|r| r.key == "[192.0.2.1]:6"));
        assert_eq!(closed[1].item, Item::Begin);
        assert_eq!(closed[1].key, "[192.0.2.2]");
        let r = parse(&[
            "2026-03-04 10:00:00 Warning: something odd",
            "2026-03-04 10:00:01 H=(x) [203.0.113.5]:5000 F=<a@b> rejected RCPT <c@d>: relay not permitted",
            "Envelope-from: <a@b>",
        ]);
        assert!(matches!(r[0].item, Item::Unparsed(_)));
        assert_eq!(r[1].item, Item::Begin);
        assert_eq!(r.last().unwrap().key, "[203.0.113.5]:5000");
        assert!(matches!(r.last().unwrap().item, Item::Late(InfoKind::Note, _)));
    }
}
