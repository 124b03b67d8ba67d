//! JavaMail / Jakarta Mail / Angus Mail debug output (`mail.debug=true`): `DEBUG: …` and
//! `DEBUG SMTP: …` notes around the raw protocol lines, which have no prefix at all, so their
//! direction comes from their content (reply grammar, known verbs, message data after `354`).
//! A connection starts at `DEBUG SMTP: trying to connect to host "h", port 587, isSSL false`.
//! JavaMail hides the AUTH exchange itself (`AUTH LOGIN command trace suppressed`); when the
//! login fails the server's reply only appears in the exception printed afterwards, which is
//! read as that reply. Stack traces become one note.

use super::transcript::{self, ContentDirection, InfoBlock, Said, Sequence, KEY};
use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_reply_line, InfoKind, Step, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct JavaMail;

static TRYING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^trying to connect to host "([^"]*)", port ([0-9]+)"#).expect("valid regex")
});

/// `javax.mail.AuthenticationFailedException: 535 …`, possibly after `Exception in thread "x" `.
static EXCEPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(?:Exception in thread "[^"]*" )?([A-Za-z_$][\w$]*(?:\.[\w$]+)+(?:Exception|Error)):?\s*(.*)$"#,
    )
    .expect("valid regex")
});

impl Format for JavaMail {
    fn name(&self) -> &'static str {
        "javamail"
    }
    fn description(&self) -> &'static str {
        "JavaMail / Jakarta Mail debug output (DEBUG SMTP: notes, raw protocol lines)"
    }
    fn how_to_enable(&self) -> &'static str {
        "set the property mail.debug=true (or session.setDebug(true)); it prints to stdout, or to session.setDebugOut(stream)"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        line.text.starts_with("DEBUG SMTP: ") || line.text.starts_with("DEBUG: ")
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    seq: Sequence,
    dir: ContentDirection,
    block: InfoBlock,
    /// `AUTH … failed` was logged: the exception that follows quotes the server's reply.
    auth_failed: bool,
    /// The reply quoted in that exception ended in `ddd-`: its next raw line continues it.
    quoted_reply_open: bool,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let time = line.wrapper.time;
        let text = line.text.trim_end_matches(['\r', '\n']);
        if let Some(note) = text.strip_prefix("DEBUG SMTP: ") {
            self.block.flush(&mut self.seq, &mut out);
            self.smtp_note(n, time, note, &mut out);
        } else if text.starts_with("DEBUG: ") || text.starts_with("DEBUG SMTP:") {
            self.block.flush(&mut self.seq, &mut out);
            // `DEBUG: JavaMail version`, `getProvider()`: the application opened a new mail
            // session, so the previous connection is over even without QUIT.
            if self.seq.protocol_seen || self.seq.said_goodbye {
                self.seq.end(n, time, &mut out);
            }
            self.seq.info(n, time, InfoKind::Note, text, &mut out);
        } else if starts_indented(text)
            && !self.dir.in_data()
            && (self.block.is_open() || self.seq.in_session)
        {
            self.block.add(n, time, text, &mut self.seq, &mut out);
        } else {
            self.block.flush(&mut self.seq, &mut out);
            self.raw(n, time, text, &mut out);
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        let mut out = Out { records };
        self.block.flush(&mut self.seq, &mut out);
        self.seq.finish(&mut out);
    }
}

/// Stack-trace and nested-exception lines: `\tat …`, `  nested exception is:`, `Caused by:`.
fn starts_indented(text: &str) -> bool {
    text.starts_with([' ', '\t']) || text.starts_with("Caused by:")
}

impl Parser {
    /// After QUIT was answered the connection is over; the next notes belong to the next one.
    fn close_if_done(&mut self, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if self.seq.said_goodbye {
            self.seq.end(n, time, out);
        }
    }

    fn smtp_note(&mut self, n: u64, time: Option<Timestamp>, note: &str, out: &mut Out<'_>) {
        let full = format!("DEBUG SMTP: {note}");
        if let Some(c) = TRYING.captures(note) {
            self.seq.begin(n, time, out);
            self.dir.reset();
            self.auth_failed = false;
            let server = Some(format!("{}:{}", &c[1], &c[2]));
            out.push(KEY, n, time, Item::Peers { client: None, server });
            self.seq.info(n, time, InfoKind::Connecting, &full, out);
            return;
        }
        self.close_if_done(n, time, out);
        let l = note.to_ascii_lowercase();
        let kind = if l.starts_with("connected to host") {
            InfoKind::Connected
        } else if l.starts_with("could not connect") {
            InfoKind::ConnectFailed
        } else if l.starts_with("auth ") && l.ends_with(" succeeded") {
            InfoKind::AuthSucceeded
        } else if l.starts_with("auth ") && l.ends_with(" failed") {
            self.auth_failed = true;
            InfoKind::AuthFailed
        } else {
            transcript::note_kind(note)
        };
        self.seq.info(n, time, kind, &full, out);
    }

    /// A line without prefix: protocol, or an exception printed by the application.
    fn raw(&mut self, n: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) {
        if std::mem::take(&mut self.quoted_reply_open) {
            if let Some(r) = parse_reply_line(text) {
                self.quoted_reply_open = r.more;
                out.push(KEY, n, time, Item::ServerMore(text.to_owned()));
                return;
            }
        }
        if let Some(c) = EXCEPTION.captures(text).filter(|_| !self.dir.in_data()) {
            let message = c.get(2).map_or("", |m| m.as_str());
            let quoted = parse_reply_line(message);
            if let (true, Some(r)) = (std::mem::take(&mut self.auth_failed), quoted) {
                self.seq.ensure(n, time, out);
                let head = text[..c.get(2).map_or(text.len(), |m| m.start())].trim_end();
                self.seq.info(n, time, InfoKind::Error, head, out);
                self.quoted_reply_open = r.more;
                out.push(KEY, n, time, Item::ServerFor(Step::Auth, message.to_owned()));
            } else {
                self.block
                    .start(n, time, InfoKind::Error, text, &mut self.seq, out);
            }
            return;
        }
        match self.dir.classify(text, false) {
            Said::Server => self.seq.server(n, time, text, out),
            Said::Client => self.seq.client(n, time, text, out),
            Said::Unknown => out.push(KEY, n, None, Item::Unparsed(text.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_lines() {
        let c = EXCEPTION
            .captures(
                "javax.mail.AuthenticationFailedException: 535-5.7.8 Username and Password not accepted.",
            )
            .unwrap();
        assert_eq!(&c[1], "javax.mail.AuthenticationFailedException");
        assert!(c[2].starts_with("535-5.7.8"));
        let c = EXCEPTION
            .captures("Exception in thread \"main\" jakarta.mail.MessagingException: Could not connect to SMTP host")
            .unwrap();
        assert_eq!(&c[1], "jakarta.mail.MessagingException");
        assert!(!EXCEPTION.is_match("250 2.0.0 Ok"));
        assert!(!EXCEPTION.is_match("MAIL FROM:<a@b.example>"));
    }
}
