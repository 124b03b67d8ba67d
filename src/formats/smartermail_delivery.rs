//! SmarterMail Delivery log (log level "Detailed"): SmarterMail delivering spooled messages,
//! as the SMTP *client* for remote recipients. Lines are `[yyyy.MM.dd] HH:mm:ss [delivery-id]
//! message`; `CMD:` is SmarterMail's command, `RSP:` the remote server's reply, the rest notes.
//!
//! Sessions. One SMTP connection is one session, so a delivery (one spool item, one id) that
//! tries several connections (`Initiating connection to …` again after a refused one or for a
//! second domain) becomes several sessions: the first keeps the delivery id, later ones get
//! `<id>#2`, `#3`…, and the notes before the first connection (`Delivery started for …`) open
//! the first one. A local delivery (no SMTP at all) is one session of notes only, its server
//! shown as `local mailbox`, decided by SmarterMail's result line.
//!
//! Result lines (`Delivery for <from> to <to> has completed (Delivered)`) are SmarterMail's
//! per-recipient verdicts. When the connection's transcript already shows how the message
//! ended (a reply after the data, or a refusal), they are plain notes and the replies decide;
//! otherwise (local delivery, no transcript at this log level, connection lost mid-way) they
//! carry the delivered / deferred / bounced meaning.

use super::smartermail_smtp::{stamp, strip_tag};
use super::{split_run_together, Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_reply_line, InfoKind, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct SmarterMailDelivery;

/// One entry: date (some builds leave it to the file name), time (fraction allowed),
/// `[delivery-id]`, then the message (absent on a bare prefix line).
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[([0-9]{4}\.[0-9]{2}\.[0-9]{2})\] )?([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?) \[([0-9]+)\](?:[ \t](.*))?$")
        .expect("valid regex")
});

/// `Connection to <server> from <client> …`.
static CONNECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^connection to (\S+?)(?: from (\S+?))?(?: |$|\.$|:\s)").expect("valid regex")
});

/// What the server side of a local delivery is called.
pub const LOCAL_MAILBOX: &str = "local mailbox";

impl Format for SmarterMailDelivery {
    fn name(&self) -> &'static str {
        "smartermail-delivery"
    }
    fn description(&self) -> &'static str {
        "SmarterMail Delivery log (spool deliveries, local and outbound SMTP, yyyy.MM.dd-delivery.log)"
    }
    fn how_to_enable(&self) -> &'static str {
        "In SmarterMail as system administrator: Settings → Logging, set the Delivery log to \"Detailed\" (lower levels leave out the CMD:/RSP: lines). Daily files such as 2026.03.04-delivery.log are written to the logs folder (C:\\SmarterMail\\Logs by default); Troubleshooting → View Logs shows the same lines."
    }
    /// Counts lines with this prefix whose message is a `CMD:`, a coded `RSP:` or a known
    /// delivery note, so other logs with a `[date] time [n]` prefix are not taken for it; and,
    /// for pasted excerpts, a bare prefix or an unprefixed note only SmarterMail writes.
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let Some(c) = ENTRY.captures(line.text) else {
            let lower: String = line
                .text
                .chars()
                .take(24)
                .collect::<String>()
                .to_ascii_lowercase();
            return [
                "delivery started for ",
                "delivery finished for ",
                "removing spool message:",
            ]
            .iter()
            .any(|o| lower.starts_with(o));
        };
        let Some(message) = c.get(4).map(|m| m.as_str().trim()).filter(|m| !m.is_empty()) else {
            return true;
        };
        match strip_tag(message, "RSP:") {
            Some(rsp) => parse_reply_line(rsp).is_some(),
            None => strip_tag(message, "CMD:").is_some() || is_known_note(message),
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// What is known about one delivery while its lines arrive.
#[derive(Default)]
struct Delivery {
    /// Connections started so far (`Initiating connection to …`).
    connections: u32,
    /// The host of the connection being attempted, until the log names both ends.
    target: Option<String>,
    /// A `354` was seen on this connection: the next reply ends the message.
    after_354: bool,
    /// This connection's replies already decided the message (reply after the data, or a
    /// refusal), so result lines only confirm it.
    decided: bool,
}

#[derive(Default)]
struct Parser {
    deliveries: FastMap<String, Delivery>,
    /// The delivery of the last prefixed line: unprefixed lines continue it.
    last_key: Option<String>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let Some(c) = ENTRY.captures(line.text) else {
            self.continuation(line, &mut out);
            return;
        };
        let key = c[3].to_owned();
        let time = stamp(c.get(1).map(|m| m.as_str()), &c[2]);
        self.last_key = Some(key.clone());
        let message = c.get(4).map_or("", |m| m.as_str()).trim();
        if !message.is_empty() {
            self.message(&key, line.number, time, message, &mut out);
        }
    }
}

impl Parser {
    fn message(&mut self, key: &str, number: u64, time: Option<Timestamp>, message: &str, out: &mut Out<'_>) {
        if let Some(cmd) = strip_tag(message, "CMD:") {
            out.push(key, number, time, Item::Client(cmd.to_owned()));
        } else if let Some(rsp) = strip_tag(message, "RSP:") {
            for part in split_run_together(rsp) {
                self.reply_seen(key, part);
                out.push(key, number, time, Item::Server(part.to_owned()));
            }
        } else {
            self.note(key, number, time, message, out);
        }
    }

    /// Notes whether a reply decides the message, for the meaning of later result lines.
    fn reply_seen(&mut self, key: &str, reply: &str) {
        let d = self.deliveries.entry(key.to_owned()).or_default();
        let Some(r) = parse_reply_line(reply) else { return };
        if d.after_354 || r.code >= 400 {
            d.decided = true;
        }
        d.after_354 = r.code == 354;
    }

    fn note(&mut self, key: &str, number: u64, time: Option<Timestamp>, note: &str, out: &mut Out<'_>) {
        let lower = note.to_ascii_lowercase();
        let info = |kind| Item::Info(kind, note.to_owned());
        if lower.starts_with("delivery started for") {
            self.deliveries.insert(key.to_owned(), Delivery::default());
            out.push(key, number, time, Item::Begin);
            out.push(key, number, time, info(InfoKind::Note));
        } else if lower.starts_with("initiating connection to") {
            let d = self.deliveries.entry(key.to_owned()).or_default();
            if d.connections > 0 {
                out.push(key, number, time, Item::Begin);
            }
            *d = Delivery {
                connections: d.connections + 1,
                target: note.split_whitespace().nth(3).map(str::to_owned),
                ..Delivery::default()
            };
            out.push(key, number, time, info(InfoKind::Connecting));
        } else if lower.starts_with("connection to")
            || ["unable to connect", "failed to connect", "could not connect"]
                .iter()
                .any(|w| lower.contains(w))
        {
            self.connection(key, number, time, note, &lower, out);
        } else if lower.starts_with("delivery for ") {
            let decided = self.deliveries.get(key).is_some_and(|d| d.decided);
            let kind = if decided {
                InfoKind::Note
            } else {
                result_kind(&lower)
            };
            out.push(key, number, time, info(kind));
        } else if lower.starts_with("delivery finished for") {
            out.push(key, number, time, info(InfoKind::Closed));
            out.push(key, number, time, Item::End);
            self.deliveries.remove(key);
            // Unprefixed lines after the finish belong to no session.
            self.last_key = None;
        } else if lower.contains("local delivery") {
            let server = Some(LOCAL_MAILBOX.to_owned());
            out.push(key, number, time, Item::Peers { client: None, server });
            out.push(key, number, time, info(InfoKind::Note));
        } else {
            out.push(key, number, time, info(note_kind(&lower)));
        }
    }

    /// `Connection to <ip>:25 from <ip>:<port> succeeded (Id: 1)`, or a failure to connect.
    fn connection(
        &mut self,
        key: &str,
        number: u64,
        time: Option<Timestamp>,
        note: &str,
        lower: &str,
        out: &mut Out<'_>,
    ) {
        let target = self.deliveries.get_mut(key).and_then(|d| d.target.take());
        let (server, client) = match CONNECTION.captures(note) {
            Some(c) => (
                Some(c[1].trim_end_matches([',', '.']).to_owned()),
                c.get(2)
                    .map(|m| m.as_str().trim_end_matches([',', '.']).to_owned()),
            ),
            None => (target, None),
        };
        out.push(key, number, time, Item::Peers { client, server });
        let kind = if lower.contains("succeeded") || lower.contains("established") {
            InfoKind::Connected
        } else if lower.contains("timed out") || lower.contains("did not properly respond") {
            InfoKind::Timeout
        } else {
            InfoKind::ConnectFailed
        };
        out.push(key, number, time, Item::Info(kind, note.to_owned()));
    }

    /// A line without the prefix: a command, reply or delivery note of the delivery on the
    /// line before (as pasted excerpts show them, and as a multi-line remote reply continues);
    /// anything else (exception traces, stray text) is unparsed.
    fn continuation(&mut self, line: &InputLine<'_>, out: &mut Out<'_>) {
        let text = line.text.trim();
        if text.is_empty() {
            return;
        }
        let Some(key) = self.last_key.clone() else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        if strip_tag(text, "CMD:").is_some() || strip_tag(text, "RSP:").is_some() || is_known_note(text) {
            self.message(&key, line.number, None, text, out);
        } else if parse_reply_line(text).is_some() {
            self.reply_seen(&key, text);
            out.push(&key, line.number, None, Item::Server(text.to_owned()));
        } else {
            out.push("", line.number, None, Item::Unparsed(line.text.to_owned()));
        }
    }
}

/// Notes this format knows by their opening words, recognised even without the prefix.
fn is_known_note(text: &str) -> bool {
    const OPENINGS: [&str; 9] = [
        "delivery started for",
        "delivery for ",
        "delivery finished for",
        "initiating connection to",
        "connection to ",
        "sending remote mail",
        "removing spool message",
        "starting local delivery",
        "end local delivery",
    ];
    let lower = text
        .get(..30.min(text.len()))
        .unwrap_or(text)
        .to_ascii_lowercase();
    OPENINGS.iter().any(|o| lower.starts_with(o))
}

/// The meaning of a result line (lower-cased): the status in parentheses, or its wording.
fn result_kind(lower: &str) -> InfoKind {
    let status = lower
        .rfind('(')
        .map(|i| lower[i + 1..].trim_end_matches([')', '.', ' ']))
        .unwrap_or("");
    let has = |words: &[&str]| words.iter().any(|w| status == *w || lower.contains(w));
    if has(&["deferred", "delayed", "will retry", "retrying", "requeued"]) {
        InfoKind::Deferred
    } else if has(&["failed", "bounced", "rejected", "undeliverable", "expired"]) {
        InfoKind::Bounced
    } else if has(&["delivered"]) {
        InfoKind::Delivered
    } else {
        InfoKind::Note
    }
}

/// What another delivery note reports, from its wording (lower-cased).
fn note_kind(lower: &str) -> InfoKind {
    if lower.contains("timed out") {
        InfoKind::Timeout
    } else if lower.contains("forcibly closed") || lower.contains("connection lost") {
        InfoKind::LostConnection
    } else if lower.contains("exception") || lower.contains("error") {
        InfoKind::Error
    } else {
        InfoKind::Note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_wordings() {
        let k = |s: &str| result_kind(&s.to_ascii_lowercase());
        assert_eq!(
            k("Delivery for a@x to b@y has completed (Delivered)"),
            InfoKind::Delivered
        );
        assert_eq!(
            k("Delivery for a@x to b@y has completed (Deferred)"),
            InfoKind::Deferred
        );
        assert_eq!(
            k("Delivery for a@x to b@y has completed (Failed)"),
            InfoKind::Bounced
        );
        assert_eq!(k("Delivery for a@x to b@y has bounced"), InfoKind::Bounced);
    }

    #[test]
    fn dateless_lines_are_read_and_detected() {
        use crate::wrapper::Wrapper;
        let line = InputLine {
            number: 1,
            text: "22:57:34.120 [61003] RSP: 250 2.0.0 OK",
            wrapper: Wrapper::default(),
        };
        assert!(SmarterMailDelivery.detect(&line));
        let mut out = Vec::new();
        Parser::default().parse(&line, &mut out);
        assert_eq!(out[0].item, Item::Server("250 2.0.0 OK".into()));
        assert_eq!(out[0].time.unwrap().to_string(), "22:57:34.120");
    }

    #[test]
    fn connection_peers() {
        let c = CONNECTION
            .captures("Connection to 198.51.100.25:25 from 203.0.113.5:52003 succeeded (Id: 1)")
            .unwrap();
        assert_eq!(&c[1], "198.51.100.25:25");
        assert_eq!(&c[2], "203.0.113.5:52003");
        let c = CONNECTION
            .captures("Connection to 198.51.100.9:25 failed.")
            .unwrap();
        assert_eq!(&c[1], "198.51.100.9:25");
    }
}
