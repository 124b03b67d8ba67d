//! The line reader: gathers each `edebug()` message (with its continuation lines), then turns it
//! into records. PHPMailer names no session, so connections are delimited by what it prints:
//! `Connection: opening to` (level 3+), the `220` greeting (level 2), the first command after a
//! `QUIT` (level 1), `Connection: closed`.

use super::entry::{classify, continuation, is_signature, next_start, socket_error_kind, Entry, Kind};
use super::text::{clean, escaped_lines, split_collapsed, split_monolog, split_stamp, strip_level, trim};
use crate::formats::{InputLine, Item, LineParser, Out, Record};
use crate::model::{InfoKind, Step, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

/// Every session of a PHPMailer log is keyed alike: they follow one another.
pub(super) const KEY: &str = "";

/// Post SMTP puts the transport URI in front of the transcript: `smtp:tls:login://host:587`.
pub static POST_SMTP_URI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^smtps?(?::[a-z0-9_-]+)*://\S+:[0-9]+$").expect("valid regex"));

/// Where the current connection stands, as far as the log shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Nothing yet: notes are held for the first session.
    NoSession,
    Active,
    /// `QUIT` sent; its reply still belongs to this session.
    QuitSent,
    /// Closed, failed to connect, or `QUIT` answered: the next connection starts a new session.
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tls {
    None,
    /// `STARTTLS` sent.
    Asked,
    /// `220` to `STARTTLS`: the next `EHLO` shows the handshake worked.
    Accepted,
}

pub struct Parser {
    pub(super) pending: Option<Entry>,
    /// Earlier lines ended in `<br>`: entities are decoded even where the `<br>` is missing.
    pub(super) html: bool,
    /// Echo output whose line breaks a browser turned into spaces: replies are re-split there.
    pub(super) collapsed: bool,
    pub(super) phase: Phase,
    pub(super) last_command: Option<Step>,
    pub(super) in_data: bool,
    pub(super) tls: Tls,
    pub(super) implicit_tls: bool,
    /// Level 4 printed this reply line by line (`SMTP INBOUND:`); the whole-reply
    /// `SERVER -> CLIENT:` that follows repeats it.
    pub(super) inbound_seen: bool,
    /// Where the last `QUIT` was sent.
    pub(super) quit_at: (u64, Option<Timestamp>),
    /// A reply was shown since the last command (SMTPDebug 1 shows none).
    pub(super) reply_shown: bool,
    /// This session showed any reply at all.
    pub(super) any_reply: bool,
    /// Notes that belong to the next session (WordPress event header, Post SMTP transport, or
    /// notes before any connection).
    pub(super) held: Vec<Record>,
    /// Inside a WP Mail SMTP event header (`Mailer: …` until `Debug Output:`).
    pub(super) wp_header: bool,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            pending: None,
            html: false,
            collapsed: false,
            phase: Phase::NoSession,
            last_command: None,
            in_data: false,
            tls: Tls::None,
            implicit_tls: false,
            inbound_seen: false,
            quit_at: (0, None),
            reply_shown: false,
            any_reply: false,
            held: Vec::new(),
            wp_header: false,
        }
    }
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        match escaped_lines(line.text) {
            Some(lines) => {
                for text in &lines {
                    self.parse_joined(text, line, records);
                }
            }
            None => self.parse_joined(line.text, line, records),
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        let mut out = Out { records };
        self.flush(&mut out);
        self.end_silent_quit(&mut out);
        if let Some(first) = self.held.first() {
            let (line, time) = (first.line, first.time);
            self.begin(line, time, &mut out);
        }
    }
}

impl Parser {
    /// Reads a line that may hold a whole transcript collapsed by a browser.
    fn parse_joined(&mut self, text: &str, line: &InputLine<'_>, records: &mut Vec<Record>) {
        match split_collapsed(text) {
            Some(parts) => {
                self.collapsed = true;
                for part in parts {
                    self.parse_text(part, line, records);
                }
            }
            None => self.parse_text(text, line, records),
        }
    }

    /// Reads one logical line (a physical line, or one of the lines an escaped transcript held).
    fn parse_text(&mut self, raw: &str, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let cleaned = clean(raw, self.html);
        self.html |= cleaned.html;
        let text: &str = &cleaned.text;
        if trim(text).is_empty() {
            return;
        }
        let (time, rest, stamped) = if let Some((t, msg)) = split_monolog(text) {
            self.collapsed = true;
            (t, msg, true)
        } else if let Some((t, r)) = split_stamp(text) {
            (Some(t), strip_level(r), true)
        } else {
            (line.wrapper.time, strip_level(text), false)
        };
        if !stamped && self.plugin_line(rest, line.number, time, &mut out) {
            return;
        }
        if stamped || classify(rest).is_some() {
            self.flush(&mut out);
            self.start(rest, line.number, time, &mut out);
            return;
        }
        let Some(e) = self.pending.as_mut().filter(|e| e.wants_more()) else {
            out.push(KEY, line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        let piece = continuation(rest, e.kind);
        match next_start(piece).filter(|_| !e.kind.ends_with_newline()) {
            Some(at) => {
                e.more.push((line.number, piece[..at].to_owned()));
                self.flush(&mut out);
                self.start(&piece[at..], line.number, time, &mut out);
            }
            None => e.more.push((line.number, piece.to_owned())),
        }
    }

    /// Starts the message(s) on one line; messages without their own line ending may have
    /// the next one run into them.
    fn start(&mut self, text: &str, line: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        let mut text = text;
        loop {
            let (kind, prefix) = classify(text).unwrap_or((Kind::Other, 0));
            let end = if kind.ends_with_newline() {
                None
            } else {
                next_start(text)
            };
            let this = end.map_or(text, |e| &text[..e]);
            self.pending = Some(Entry {
                kind,
                line,
                time,
                text: this.trim_end().to_owned(),
                prefix,
                more: Vec::new(),
            });
            match end {
                Some(e) => {
                    self.flush(out);
                    text = &text[e..];
                }
                None => break,
            }
        }
    }

    /// WP Mail SMTP event headers and the Post SMTP transport line. True when consumed.
    fn plugin_line(&mut self, text: &str, line: u64, time: Option<Timestamp>, out: &mut Out<'_>) -> bool {
        if text.starts_with("Mailer: ") {
            self.flush(out);
            if let Some(first) = self.held.first() {
                // An earlier event without a transcript: it stands alone.
                let (l, t) = (first.line, first.time);
                self.begin(l, t, out);
            }
            self.wp_header = true;
            self.hold(line, time, InfoKind::Note, text.to_owned());
            return true;
        }
        let trimmed = trim(text);
        if trimmed == "Debug Output:" {
            self.flush(out);
            self.wp_header = false;
            return true;
        }
        if self.wp_header {
            if is_signature(text) {
                self.wp_header = false;
                return false;
            }
            // PHPMailer's ErrorInfo, as the plugin stored it.
            self.hold(line, time, InfoKind::Error, trimmed.to_owned());
            return true;
        }
        // The pattern is anchored at `smtp`: most lines are ruled out without the regex.
        if trimmed.starts_with("smtp") && POST_SMTP_URI.is_match(trimmed) {
            self.flush(out);
            self.hold(
                line,
                time,
                InfoKind::Note,
                format!("Post SMTP transport: {trimmed}"),
            );
            return true;
        }
        false
    }

    pub(super) fn hold(&mut self, line: u64, time: Option<Timestamp>, kind: InfoKind, text: String) {
        self.held.push(Record {
            key: KEY.into(),
            line,
            time,
            item: Item::Info(kind, text),
        });
    }

    /// A new connection: `Begin`, then the notes that were waiting for it.
    pub(super) fn begin(&mut self, line: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        self.end_silent_quit(out);
        out.push(KEY, line, time, Item::Begin);
        out.records.append(&mut self.held);
        self.phase = Phase::Active;
        self.last_command = None;
        self.in_data = false;
        self.tls = Tls::None;
        self.implicit_tls = false;
        self.inbound_seen = false;
        self.reply_shown = false;
        self.any_reply = false;
    }

    /// At SMTPDebug 1 no reply is logged, so nothing answers `QUIT`: the session ends when
    /// the next one starts or the log does.
    fn end_silent_quit(&mut self, out: &mut Out<'_>) {
        if self.phase == Phase::QuitSent && !self.any_reply {
            let (line, time) = self.quit_at;
            let note = "QUIT sent (this log shows no replies: SMTPDebug 1)".to_owned();
            out.push(KEY, line, time, Item::Info(InfoKind::Closed, note));
            self.phase = Phase::Closed;
        }
    }

    /// A local note; held when no session exists yet.
    pub(super) fn note(&mut self, e: &Entry, kind: InfoKind, out: &mut Out<'_>) {
        let text = e.full_text();
        if self.phase == Phase::NoSession {
            self.hold(e.line, e.time, kind, text);
        } else {
            out.push(KEY, e.line, e.time, Item::Info(kind, text));
        }
    }

    fn flush(&mut self, out: &mut Out<'_>) {
        let Some(e) = self.pending.take() else { return };
        match e.kind {
            Kind::Server => self.server(&e, out),
            Kind::Client => self.client(&e, out),
            Kind::Inbound => self.inbound(&e, out),
            Kind::Opening => self.opening(&e, out),
            Kind::Opened => {
                self.note(&e, InfoKind::Connected, out);
                if self.implicit_tls {
                    out.push(
                        KEY,
                        e.line,
                        e.time,
                        Item::Info(
                            InfoKind::TlsStarted,
                            "Implicit TLS (ssl://): the connection is encrypted from the start".into(),
                        ),
                    );
                }
            }
            Kind::Closed => {
                self.note(&e, InfoKind::Closed, out);
                self.phase = Phase::Closed;
            }
            Kind::ConnectionNote => {
                let kind = if e.body().contains("error") {
                    InfoKind::Error
                } else {
                    InfoKind::Note
                };
                self.note(&e, kind, out);
            }
            Kind::SocketError => self.note(&e, socket_error_kind(e.body()), out),
            Kind::SmtpError => self.smtp_error(&e, out),
            Kind::Notice => {
                let kind = if e.body().contains("EOF caught") {
                    InfoKind::LostConnection
                } else {
                    InfoKind::Note
                };
                self.note(&e, kind, out);
            }
            Kind::GetLines => {
                let b = e.body();
                let kind = if b.contains("timed-out") || b.contains("timelimit reached") {
                    InfoKind::Timeout
                } else {
                    InfoKind::Note
                };
                self.note(&e, kind, out);
            }
            Kind::MailerError => self.note(&e, InfoKind::Error, out),
            Kind::AuthNote | Kind::Other => self.note(&e, InfoKind::Note, out),
        }
    }
}
