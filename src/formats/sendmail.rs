//! Sendmail logs, two kinds:
//! - syslog (`sendmail[pid]:` / `sm-mta[pid]:`), `<qid>: key=value, …` and a few free-text
//!   lines. One sendmail process serves one inbound connection, so connection lines (`from=`,
//!   `ruleset=… reject=…`, `STARTTLS=server`, `AUTH=server`, `AUTH failure`, `lost input
//!   channel`, `did not issue MAIL…`) are keyed by the **pid**; delivery lines (`to=…, stat=…`)
//!   are keyed by the **queue id**, one session per message's deliveries, because sendmail
//!   usually delivers from another process, later, and retries under the same queue id.
//!   Rejections become replies to the command their ruleset checks; `from=… nrcpts=0` (the
//!   transaction was dropped with no recipient) ends the transaction. A reused pid is noticed
//!   only when a TLS or AUTH line follows a transaction (both come before MAIL).
//! - the `-X file` traffic log: `<pid> <<< line` (read), `>>> line` (written), `=== event`.
//!   Direction depends on the role, taken from the content: a process that writes the
//!   greeting (`>>> 220`) is the server, one that reads it (or logs `=== CONNECT`) the client.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::{FastMap, FastSet};
use crate::model::{InfoKind, Step, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct Sendmail;

/// A `-X` traffic line: pid, marker, text.
static TRAFFIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]{5,7}) (<<<|>>>|===) ?(.*)$").expect("valid regex"));

/// A queue id (`qA7LqlqC029841`, 8.12+: 14 characters) or `NOQUEUE`, then the message.
static QUEUED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9A-Za-z]{8,20}|NOQUEUE): (.*)$").expect("valid regex"));

/// `key=value` up to the next `, ` (sendmail's separator).
static KV: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|, )([a-zA-Z0-9_]+)=((?:[^,]|,[^ ])*)").expect("valid regex"));

fn is_sendmail(program: Option<&str>) -> bool {
    program.is_some_and(|p| {
        let p = p.rsplit('/').next().unwrap_or(p);
        matches!(p, "sendmail" | "sm-mta" | "sm-msp-queue")
    })
}

impl Format for Sendmail {
    fn name(&self) -> &'static str {
        "sendmail"
    }
    fn description(&self) -> &'static str {
        "Sendmail syslog lines (sendmail[pid]/sm-mta[pid]) and the -X traffic log"
    }
    fn how_to_enable(&self) -> &'static str {
        "Sendmail logs to syslog's mail facility (/var/log/maillog or mail.log); `O LogLevel=9` (the default) logs every message and rejection, 10 and up add more detail (define(`confLOG_LEVEL', `10') in sendmail.mc). For the SMTP dialogue itself start the daemon with a traffic log: `sendmail -bd -q30m -X /tmp/smtp-traffic.log` (or test one delivery with `sendmail -v -X /tmp/t.log user@example.org`); remove -X afterwards, the file grows fast and holds whole messages."
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        if TRAFFIC.is_match(line.text) {
            return true;
        }
        syslog_part(line, 2000).is_some()
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// The sendmail text of a syslog line with its pid and stamp; also read through a second
/// wrapper (syslog relayed by another logger) that leaves `… sm-mta[pid]: ` in the text.
fn syslog_part<'a>(line: &InputLine<'a>, year: i32) -> Option<(&'a str, u32, Option<Timestamp>)> {
    if is_sendmail(line.wrapper.program) {
        return Some((line.text, line.wrapper.pid?, line.wrapper.time));
    }
    let (w, rest) = crate::wrapper::strip(line.text, year);
    if is_sendmail(w.program) {
        return Some((rest, w.pid?, w.time));
    }
    None
}

fn value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    KV.captures_iter(text)
        .find(|c| &c[1] == key)
        .map(|c| c.get(2).map_or("", |m| m.as_str()).trim())
}

/// The role of a `-X` process, once its first dialogue line shows it.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Server,
    Client,
}

#[derive(Default)]
struct Parser {
    year: i32,
    roles: FastMap<String, Role>,
    /// `STARTTLS=client` lines by pid: they name no queue id, and belong to the delivery
    /// the same process logs next.
    client_tls: FastMap<String, (u64, Option<Timestamp>, String)>,
    /// Pids that logged a connection line: their other queue-id notes are the connection's;
    /// other processes' notes (`DSN:` after a bounce) belong to the message's deliveries.
    connections: FastSet<String>,
    /// Pids whose connection already logged a transaction: a TLS or AUTH line after that
    /// (both only come before MAIL) is a new connection by a reused pid.
    transacted: FastSet<String>,
    /// `-X` daemon pids that wrote their greeting, and those waiting for STARTTLS's `220`.
    greeted: FastSet<String>,
    starttls: FastSet<String>,
}

impl LineParser for Parser {
    fn set_year(&mut self, year: i32) {
        self.year = year;
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        let mut held: Vec<_> = self.client_tls.drain().collect();
        held.sort_by_key(|(_, (n, _, _))| *n);
        for (pid, (n, t, held)) in held {
            records.push(Record {
                key: pid.into(),
                line: n,
                time: t,
                item: Item::Info(InfoKind::TlsStarted, held),
            });
        }
    }

    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        if let Some(c) = TRAFFIC.captures(line.text) {
            self.traffic(&c[1], &c[2], c[3].trim_end_matches('\r'), line.number, &mut out);
        } else if let Some((text, pid, time)) = syslog_part(line, self.year) {
            let (pid, text) = (pid.to_string(), text.trim_end());
            if text.starts_with("STARTTLS=client") {
                if let Some((n, t, held)) = self
                    .client_tls
                    .insert(pid.clone(), (line.number, time, text.to_owned()))
                {
                    out.push(&pid, n, t, Item::Info(InfoKind::TlsStarted, held));
                }
                return;
            }
            if let Some((n, t, held)) = self.client_tls.remove(&pid) {
                let key = delivery_key(text).unwrap_or(&pid).to_owned();
                out.push(&key, n, t, Item::Info(InfoKind::TlsStarted, held));
            }
            self.pid_reuse(&pid, text, line.number, time, &mut out);
            syslog(&pid, text, line.number, time, &mut self.connections, &mut out);
        } else {
            out.push("", line.number, None, Item::Unparsed(line.text.to_owned()));
        }
    }
}

impl Parser {
    fn pid_reuse(&mut self, pid: &str, text: &str, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        let message = QUEUED
            .captures(text)
            .and_then(|c| c.get(2))
            .map_or(text, |m| m.as_str());
        if message.starts_with("from=") || message.starts_with("ruleset=") {
            self.transacted.insert(pid.to_owned());
        } else if (message.starts_with("STARTTLS=server") || message.starts_with("AUTH"))
            && self.transacted.remove(pid)
        {
            out.push(pid, n, time, Item::Begin);
        }
    }

    /// A daemon pid writing a second greeting (not STARTTLS's `220`) serves a new connection.
    fn server_greeting(&mut self, pid: &str, from_server: bool, text: &str, n: u64, out: &mut Out<'_>) {
        if !from_server {
            if text.trim().eq_ignore_ascii_case("STARTTLS") {
                self.starttls.insert(pid.to_owned());
            }
        } else if text.starts_with("220")
            && !self.starttls.remove(pid)
            && !self.greeted.insert(pid.to_owned())
        {
            out.push(pid, n, None, Item::Begin);
        }
    }

    fn traffic(&mut self, pid: &str, marker: &str, text: &str, n: u64, out: &mut Out<'_>) {
        if marker == "===" {
            if text.starts_with("CONNECT") || text.starts_with("EXEC") {
                self.roles.insert(pid.to_owned(), Role::Client);
                out.push(pid, n, None, Item::Begin);
                if let Some(host) = text
                    .strip_prefix("CONNECT ")
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                {
                    let server = Some(host.to_owned());
                    out.push(pid, n, None, Item::Peers { client: None, server });
                }
                out.push(pid, n, None, Item::Info(InfoKind::Connecting, text.to_owned()));
            } else {
                out.push(pid, n, None, Item::Info(InfoKind::Note, text.to_owned()));
            }
            return;
        }
        let written = marker == ">>>";
        let role = *self.roles.entry(pid.to_owned()).or_insert_with(|| {
            // Whoever writes a reply code first is the server.
            let reply = crate::model::parse_reply_line(text).is_some();
            if reply == written {
                Role::Server
            } else {
                Role::Client
            }
        });
        let from_server = written == (role == Role::Server);
        if role == Role::Server {
            self.server_greeting(pid, from_server, text, n, out);
        }
        let item = if from_server {
            Item::Server(text.to_owned())
        } else {
            Item::Client(text.to_owned())
        };
        out.push(pid, n, None, item);
    }
}

/// The queue id a delivery (`to=… stat=…`) line is keyed by.
fn delivery_key(text: &str) -> Option<&str> {
    let c = QUEUED.captures(text)?;
    let message = c.get(2)?.as_str();
    let qid = c.get(1)?.as_str();
    (message.starts_with("to=") && value(message, "stat").is_some() && qid != "NOQUEUE").then_some(qid)
}

fn syslog(
    pid: &str,
    text: &str,
    n: u64,
    time: Option<Timestamp>,
    connections: &mut FastSet<String>,
    out: &mut Out<'_>,
) {
    let (qid, message) = match QUEUED.captures(text) {
        Some(c) => (
            Some(c.get(1).map_or("", |m| m.as_str())),
            c.get(2).map_or("", |m| m.as_str()),
        ),
        None => (None, text),
    };
    let note = |kind| Item::Info(kind, message.to_owned());
    let delivery_line = message.starts_with("to=") && value(message, "stat").is_some();
    if !delivery_line && is_connection_line(message) {
        connections.insert(pid.to_owned());
        if let Some(client) = connection_client(message) {
            out.push(
                pid,
                n,
                time,
                Item::Peers {
                    client: Some(client.to_owned()),
                    server: None,
                },
            );
        }
    }
    if delivery_line {
        delivery(delivery_key(text).unwrap_or(pid), message, n, time, out);
    } else if message.starts_with("from=") {
        // Logged when the transaction ends: with recipients, the message was queued; with
        // none, everything was refused and the transaction is over.
        let kind = match value(message, "nrcpts") {
            Some("0") => InfoKind::Closed,
            _ => InfoKind::Delivered,
        };
        out.push(pid, n, time, note(kind));
    } else if let Some(reply) = value(message, "reject") {
        let step = match value(message, "ruleset") {
            Some("check_rcpt" | "check_compat") => Step::Rcpt,
            Some("check_mail") => Step::Mail,
            Some("check_relay") => Step::Greeting,
            Some("check_data") => Step::Data,
            Some("check_eom" | "check_eoh") => Step::DataEnd,
            _ => Step::Other,
        };
        out.push(pid, n, time, Item::ServerFor(step, reply.to_owned()));
    } else if message.starts_with("lost input channel") {
        out.push(pid, n, time, note(InfoKind::LostConnection));
        out.push(pid, n, time, Item::End);
    } else if message.contains("did not issue MAIL/EXPN/VRFY/ETRN") {
        out.push(pid, n, time, note(InfoKind::Closed));
        out.push(pid, n, time, Item::End);
    } else if message.starts_with("timeout waiting for input") {
        out.push(pid, n, time, note(InfoKind::Timeout));
        out.push(pid, n, time, Item::End);
    } else if message.starts_with("AUTH failure") || message.starts_with("AUTH=server, ") {
        let kind = if message.starts_with("AUTH=") {
            InfoKind::AuthSucceeded
        } else {
            InfoKind::AuthFailed
        };
        out.push(pid, n, time, note(kind));
    } else if let Some(tls) = message.strip_prefix("STARTTLS") {
        let kind = if tls.starts_with("=server") || tls.starts_with("=client") {
            InfoKind::TlsStarted
        } else if tls.contains("error") || tls.contains("failed") {
            InfoKind::TlsFailed
        } else {
            InfoKind::Note
        };
        out.push(pid, n, time, note(kind));
    } else if let Some(qid) = qid {
        let key = if connections.contains(pid) || qid == "NOQUEUE" {
            pid
        } else {
            qid
        };
        out.push(key, n, time, note(InfoKind::Note));
    } else {
        // Daemon notes (start-up, alias rebuilds, queue runs) belong to no connection.
        out.push("", n, None, Item::Unparsed(text.to_owned()));
    }
}

/// Lines only the process serving an inbound connection writes.
fn is_connection_line(message: &str) -> bool {
    message.starts_with("from=")
        || message.starts_with("ruleset=")
        || message.starts_with("lost input channel")
        || message.starts_with("timeout waiting for input")
        || message.starts_with("AUTH")
        || message.starts_with("STARTTLS=server")
        || message.contains("did not issue MAIL/EXPN/VRFY/ETRN")
}

/// The client a connection line names: `relay=host [ip]`, `lost input channel from host to`,
/// `[ip] did not issue …`.
fn connection_client(message: &str) -> Option<&str> {
    if let Some(rest) = message.strip_prefix("lost input channel from ") {
        return rest.split(" to ").next().filter(|c| !c.is_empty());
    }
    if message.contains("did not issue MAIL") {
        return message.split(" did not issue").next().filter(|c| !c.is_empty());
    }
    value(message, "relay").filter(|r| !r.is_empty())
}

/// A `to=` line: one delivery attempt's result for the message `key`.
fn delivery(key: &str, message: &str, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
    if let Some(relay) = value(message, "relay") {
        out.push(
            key,
            n,
            time,
            Item::Peers {
                client: None,
                server: Some(relay.to_owned()),
            },
        );
    }
    let stat = value(message, "stat").unwrap_or("");
    let kind = match value(message, "dsn").and_then(|d| d.bytes().next()) {
        Some(b'2') => InfoKind::Delivered,
        Some(b'4') => InfoKind::Deferred,
        Some(b'5') => InfoKind::Bounced,
        _ if stat.starts_with("Sent") => InfoKind::Delivered,
        _ if stat.starts_with("Deferred") => InfoKind::Deferred,
        _ => InfoKind::Bounced,
    };
    out.push(key, n, time, Item::Late(kind, message.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrapper::{self, Wrapper};

    fn parse(lines: &[&str]) -> Vec<Record> {
        let mut p = Parser {
            year: 2026,
            ..Parser::default()
        };
        let mut out = Vec::new();
        for (i, raw) in lines.iter().enumerate() {
            let (w, text) = wrapper::strip(raw, 2026);
            let line = InputLine {
                number: i as u64 + 1,
                text,
                wrapper: w,
            };
            p.parse(&line, &mut out);
        }
        out
    }

    #[test]
    fn connection_lines_by_pid_deliveries_by_queue_id() {
        let r = parse(&[
            "Feb  3 09:14:03 mx1 sm-mta[4301]: 613EE3aB004301: ruleset=check_rcpt, arg1=<x@elsewhere.example>, relay=pc.example.org [192.0.2.5], reject=550 5.7.1 <x@elsewhere.example>... Relaying denied",
            "Feb  3 09:14:04 mx1 sm-mta[4301]: 613EE3aB004301: from=<a@example.org>, size=310, class=0, nrcpts=1, msgid=<1@example.org>, proto=ESMTP, daemon=MTA, relay=pc.example.org [192.0.2.5]",
            "Feb  3 09:14:05 mx1 sm-mta[4305]: 613EE3aB004301: to=<b@example.net>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120310, relay=mx.example.net. [198.51.100.2], dsn=4.0.0, stat=Deferred: 451 4.7.1 try later",
        ]);
        assert!(r[..4].iter().all(|x| x.key == "4301"));
        assert_eq!(
            r[1].item,
            Item::ServerFor(
                Step::Rcpt,
                "550 5.7.1 <x@elsewhere.example>... Relaying denied".into()
            )
        );
        assert!(matches!(r[3].item, Item::Info(InfoKind::Delivered, _)));
        assert_eq!(r[4].key, "613EE3aB004301");
        assert_eq!(
            r[4].item,
            Item::Peers {
                client: None,
                server: Some("mx.example.net. [198.51.100.2]".into())
            }
        );
        assert!(matches!(r[5].item, Item::Late(InfoKind::Deferred, _)));
    }

    #[test]
    fn traffic_direction_follows_the_role() {
        let mut p = Parser::default();
        let mut out = Vec::new();
        for (i, text) in [
            "04321 >>> 220 mx1.example.net ESMTP Sendmail 8.18.1",
            "04321 <<< EHLO pc.example.org",
            "04400 === CONNECT mx.example.com",
            "04400 <<< 220 mx.example.com ESMTP",
            "04400 >>> EHLO mx1.example.net",
        ]
        .iter()
        .enumerate()
        {
            let line = InputLine {
                number: i as u64 + 1,
                text,
                wrapper: Wrapper::default(),
            };
            p.parse(&line, &mut out);
        }
        let items: Vec<&Item> = out.iter().map(|r| &r.item).collect();
        assert!(matches!(items[0], Item::Server(_)));
        assert!(matches!(items[1], Item::Client(_)));
        assert_eq!(*items[2], Item::Begin);
        assert_eq!(
            *items[3],
            Item::Peers {
                client: None,
                server: Some("mx.example.com".into())
            }
        );
        assert!(matches!(items[5], Item::Server(_)));
        assert!(matches!(items[6], Item::Client(_)));
    }
}
