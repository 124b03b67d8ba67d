//! SmarterMail SMTP log (log level "Detailed"): SmarterMail is the server. Every line is
//! `[yyyy.MM.dd] HH:mm:ss[.fff] [client-ip][session-id] message`; `cmd:` lines are the client's,
//! `rsp:` lines the server's (the web viewer runs an EHLO reply's lines together on one line),
//! anything else is SmarterMail's own note (`connected at …`, `Authenticated as …`, blocks).

use super::{split_run_together, Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_hms_frac, parse_ymd, InfoKind, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct SmarterMailSmtp;

/// One entry: date (some builds leave it to the file name), time (fraction allowed),
/// `[ip][id]`, then the message (absent on a bare prefix line, as articles quote the prefix
/// alone).
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[([0-9]{4}\.[0-9]{2}\.[0-9]{2})\] )?([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?) \[([^\]\[]*)\]\[([0-9]+)\](?:[ \t](.*))?$")
        .expect("valid regex")
});

impl Format for SmarterMailSmtp {
    fn name(&self) -> &'static str {
        "smartermail-smtp"
    }
    fn description(&self) -> &'static str {
        "SmarterMail SMTP log (inbound SMTP sessions, yyyy.MM.dd-smtpLog.log)"
    }
    fn how_to_enable(&self) -> &'static str {
        "In SmarterMail as system administrator: Settings → Logging, set the SMTP log to \"Detailed\" (lower levels leave out the cmd:/rsp: lines). Daily files such as 2026.03.04-smtpLog.log are written to the logs folder (C:\\SmarterMail\\Logs by default); Troubleshooting → View Logs shows the same lines."
    }
    /// Only `rsp:` lines with a reply code, `cmd:` lines with an SMTP verb and bare prefixes
    /// count: SmarterMail's IMAP and POP logs share the prefix, and reading them as SMTP would
    /// show their `LOGIN` / `PASS` arguments unmasked.
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let Some(c) = ENTRY.captures(line.text) else {
            return false;
        };
        let Some(message) = c.get(5).map(|m| m.as_str()).filter(|m| !m.trim().is_empty()) else {
            return true;
        };
        if let Some(rsp) = strip_tag(message, "rsp:") {
            return crate::model::parse_reply_line(rsp).is_some();
        }
        strip_tag(message, "cmd:").is_some_and(crate::model::Step::is_known_command)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// The date and time of a SmarterMail line prefix (`2018.05.07`, `22:54:21[.123]`); server
/// local time, no zone; time of day only when the line has no date. Shared with the delivery
/// log, which uses the same prefix.
pub(super) fn stamp(date: Option<&str>, time: &str) -> Option<Timestamp> {
    let time = parse_hms_frac(time)?;
    match date {
        Some(d) => Some(Timestamp::local(parse_ymd(d, b'.')?.and_time(time))),
        None => Some(Timestamp::time_only(time)),
    }
}

/// `prefix` at the start of `text`, ignoring ASCII case; returns the rest without one space.
pub(super) fn strip_tag<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = &text[prefix.len()..];
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

#[derive(Default)]
struct Parser {
    /// Sessions seen and not yet disconnected; the flag says a `connected at` note was seen,
    /// so a second one means the id was reused for a new connection.
    open: FastMap<String, bool>,
    /// The session of the last prefixed line: unprefixed lines continue it.
    last_key: Option<String>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let Some(c) = ENTRY.captures(line.text) else {
            self.continuation(line, &mut out);
            return;
        };
        let key = c[4].to_owned();
        let time = stamp(c.get(1).map(|m| m.as_str()), &c[2]);
        if !self.open.contains_key(&key) {
            self.open.insert(key.clone(), false);
            let ip = c[3].trim();
            let client = (!ip.is_empty()).then(|| ip.to_owned());
            out.push(&key, line.number, time, Item::Peers { client, server: None });
        }
        self.last_key = Some(key.clone());
        let message = c.get(5).map_or("", |m| m.as_str()).trim_end();
        if !message.is_empty() {
            self.message(&key, line.number, time, message, &mut out);
        }
    }
}

impl Parser {
    fn message(&mut self, key: &str, number: u64, time: Option<Timestamp>, message: &str, out: &mut Out<'_>) {
        if let Some(cmd) = strip_tag(message, "cmd:") {
            out.push(key, number, time, Item::Client(cmd.to_owned()));
        } else if let Some(rsp) = strip_tag(message, "rsp:") {
            for part in split_run_together(rsp) {
                out.push(key, number, time, Item::Server(part.to_owned()));
            }
        } else {
            self.note(key, number, time, message, out);
        }
    }

    fn note(&mut self, key: &str, number: u64, time: Option<Timestamp>, note: &str, out: &mut Out<'_>) {
        let lower = note.to_ascii_lowercase();
        if lower.starts_with("connected at") {
            if self.open.insert(key.to_owned(), true) == Some(true) {
                // A second connect under one id: a new connection reusing it.
                out.push(key, number, time, Item::Begin);
            }
            out.push(
                key,
                number,
                time,
                Item::Info(InfoKind::Connected, note.to_owned()),
            );
        } else if lower.starts_with("disconnected at") {
            out.push(key, number, time, Item::Info(InfoKind::Closed, note.to_owned()));
            out.push(key, number, time, Item::End);
            self.open.remove(key);
            // Unprefixed lines after a disconnect belong to no session.
            self.last_key = None;
        } else {
            out.push(key, number, time, Item::Info(note_kind(&lower), note.to_owned()));
        }
    }

    /// A line without the prefix: a command or reply (or a reply's next line) of the session
    /// on the line before, as pasted excerpts and multi-line replies show them; anything else
    /// is unparsed.
    fn continuation(&mut self, line: &InputLine<'_>, out: &mut Out<'_>) {
        let text = line.text.trim_end();
        if text.trim().is_empty() {
            return;
        }
        let Some(key) = self.last_key.clone() else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        let trimmed = text.trim_start();
        if strip_tag(trimmed, "cmd:").is_some() || strip_tag(trimmed, "rsp:").is_some() {
            self.message(&key, line.number, None, trimmed, out);
        } else if crate::model::parse_reply_line(trimmed).is_some() {
            out.push(&key, line.number, None, Item::Server(trimmed.to_owned()));
        } else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
        }
    }
}

/// What a SmarterMail note reports, from its wording (lower-cased).
fn note_kind(lower: &str) -> InfoKind {
    if lower.starts_with("authenticated as") {
        InfoKind::AuthSucceeded
    } else if lower.contains("authentication failed")
        || lower.contains("login failed")
        || lower.contains("too many authentication failures")
    {
        InfoKind::AuthFailed
    } else if lower.contains("blacklisted")
        || (lower.contains("blocked") && !lower.contains("not blocked"))
        || lower.contains("blocking rule")
        || lower.contains("spam blocking")
        || lower.contains("rejected")
    {
        InfoKind::Rejected
    } else if lower.contains("timed out") || lower.contains("timeout") {
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

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser::default(), lines)
    }

    #[test]
    fn reads_prefix_directions_and_notes() {
        let r = parse(&[
            "[2026.03.04] 09:12:01.250 [192.0.2.7][1001] rsp: 220 mail.example.net",
            "[2026.03.04] 09:12:01 [192.0.2.7][1001] connected at 3/4/2026 9:12:01 AM",
            "[2026.03.04] 09:12:02 [192.0.2.7][1001] cmd: EHLO pc.example.org",
        ]);
        assert_eq!(
            r[0].item,
            Item::Peers {
                client: Some("192.0.2.7".into()),
                server: None
            }
        );
        assert_eq!(r[1].item, Item::Server("220 mail.example.net".into()));
        assert_eq!(r[1].time.unwrap().to_string(), "2026-03-04T09:12:01.250");
        assert_eq!(
            r[2].item,
            Item::Info(InfoKind::Connected, "connected at 3/4/2026 9:12:01 AM".into())
        );
        assert_eq!(r[3].item, Item::Client("EHLO pc.example.org".into()));
        assert!(r.iter().all(|x| x.key == "1001"));
    }

    #[test]
    fn block_and_login_wordings() {
        let k = |s: &str| note_kind(&s.to_ascii_lowercase());
        assert_eq!(
            k("IP blocked by brute force abuse detection rule 'x'"),
            InfoKind::Rejected
        );
        assert_eq!(
            k("The domain given in the EHLO command violates an EHLO SMTP blocking rule"),
            InfoKind::Rejected
        );
        assert_eq!(k("Mail rejected due to SMTP Spam Blocking"), InfoKind::Rejected);
        assert_eq!(k("IP is blacklisted"), InfoKind::Rejected);
        assert_eq!(k("Too many authentication failures"), InfoKind::AuthFailed);
        assert_eq!(k("login failed for bob@example.net"), InfoKind::AuthFailed);
        assert_eq!(k("Authenticating as bob@example.net"), InfoKind::Note);
    }

    #[test]
    fn lines_without_a_date_keep_the_time_of_day() {
        let r = parse(&["09:12:01.250 [192.0.2.7][1001] rsp: 220 mail.example.net"]);
        assert_eq!(r[1].item, Item::Server("220 mail.example.net".into()));
        assert_eq!(r[1].time.unwrap().to_string(), "09:12:01.250");
    }

    #[test]
    fn second_connect_under_one_id_begins_a_new_session() {
        let r = parse(&[
            "[2026.03.04] 09:12:01 [192.0.2.7][1001] connected at 3/4/2026 9:12:01 AM",
            "[2026.03.04] 09:15:00 [192.0.2.7][1001] connected at 3/4/2026 9:15:00 AM",
        ]);
        assert!(r.iter().any(|x| x.item == Item::Begin));
    }

    #[test]
    fn unprefixed_lines_continue_the_last_session_or_are_unparsed() {
        let r = parse(&[
            "stray text before anything",
            "[2026.03.04] 09:12:01 [192.0.2.7][1001]",
            "rsp: 220 mail.example.net",
            "[2026.03.04] 09:12:02 [192.0.2.7][1001] rsp: 550-5.7.1 first line",
            "550 5.7.1 second line",
            "some other text",
        ]);
        let items: Vec<&Item> = r.iter().map(|x| &x.item).collect();
        assert!(matches!(items[0], Item::Unparsed(_)));
        assert_eq!(*items[2], Item::Server("220 mail.example.net".into()));
        assert_eq!(r[2].key, "1001");
        assert_eq!(*items[4], Item::Server("550 5.7.1 second line".into()));
        assert!(matches!(items[5], Item::Unparsed(_)));
    }
}
