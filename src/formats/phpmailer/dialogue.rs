//! How each message moves the conversation: replies (and their level-4 repeats), commands,
//! connection attempts and SMTP errors become records, and the connection's phase follows.

use super::entry::{command_step, embedded_reply, smtp_error_kind, Entry};
use super::parser::{Parser, Phase, Tls, KEY};
use super::text::split_spaced_reply;
use crate::formats::{split_run_together, Item, Out};
use crate::model::{parse_reply_line, InfoKind, Step};

impl Parser {
    pub(super) fn opening(&mut self, e: &Entry, out: &mut Out<'_>) {
        self.begin(e.line, e.time, out);
        let target = e.body().split(", timeout=").next().unwrap_or("").trim();
        let (implicit, host) = match target.split_once("://") {
            Some((scheme, host)) => (matches!(scheme, "ssl" | "tls"), host),
            None => (false, target),
        };
        self.implicit_tls = implicit;
        if !host.is_empty() {
            out.push(
                KEY,
                e.line,
                e.time,
                Item::Peers {
                    client: None,
                    server: Some(host.to_owned()),
                },
            );
        }
        out.push(
            KEY,
            e.line,
            e.time,
            Item::Info(InfoKind::Connecting, e.full_text()),
        );
    }

    /// Whether a reply with this code starts a new connection (its greeting).
    fn reply_begins_session(&self, code: Option<u16>) -> bool {
        let greeting = code == Some(220) && self.tls != Tls::Asked;
        match self.phase {
            Phase::NoSession | Phase::Closed => true,
            Phase::QuitSent => greeting,
            Phase::Active => greeting && self.last_command.is_some(),
        }
    }

    /// State changes once a reply line is read; `complete` when it was the reply's last line.
    fn after_reply(&mut self, code: Option<u16>, complete: bool) {
        self.tls = match self.tls {
            Tls::Asked if code == Some(220) => Tls::Accepted,
            Tls::Asked => Tls::None,
            t => t,
        };
        if self.in_data && self.last_command == Some(Step::Data) && code != Some(354) {
            self.in_data = false;
        }
        if complete && self.phase == Phase::QuitSent {
            self.phase = Phase::Closed;
        }
    }

    pub(super) fn server(&mut self, e: &Entry, out: &mut Out<'_>) {
        if std::mem::take(&mut self.inbound_seen) {
            // The same reply again, whole: already shown line by line.
            return;
        }
        let mut lines: Vec<(u64, &str)> = split_run_together(e.body().trim())
            .into_iter()
            .map(|l| (e.line, l))
            .collect();
        for (n, m) in &e.more {
            lines.extend(split_run_together(m).into_iter().map(|l| (*n, l)));
        }
        if self.collapsed {
            lines = lines
                .into_iter()
                .flat_map(|(n, l)| split_spaced_reply(l).into_iter().map(move |p| (n, p)))
                .collect();
        }
        let lines: Vec<(u64, &str)> = lines
            .into_iter()
            .map(|(n, l)| (n, l.trim()))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        let Some(&(_, first)) = lines.first() else {
            let mut silent = e.clone();
            silent.text = format!(
                "{} (nothing read: the server closed the connection or did not answer)",
                e.text
            );
            self.note(&silent, InfoKind::LostConnection, out);
            return;
        };
        let code = parse_reply_line(first).map(|r| r.code);
        if self.reply_begins_session(code) {
            self.begin(e.line, e.time, out);
        }
        let mut complete = true;
        for (n, l) in lines {
            let reply = parse_reply_line(l);
            complete = reply.is_none_or(|r| !r.more);
            let item = if reply.is_some() {
                Item::Server(l.to_owned())
            } else {
                Item::ServerMore(l.to_owned())
            };
            out.push(KEY, n, if n == e.line { e.time } else { None }, item);
        }
        (self.reply_shown, self.any_reply) = (true, true);
        self.after_reply(code, complete);
    }

    pub(super) fn inbound(&mut self, e: &Entry, out: &mut Out<'_>) {
        let body = e.body().trim();
        // Straight quotes as written; curly ones where a web page typeset them.
        let body = body
            .strip_prefix(['"', '“'])
            .and_then(|b| b.strip_suffix(['"', '”']))
            .unwrap_or(body)
            .trim();
        if body.is_empty() {
            // End of input: the empty `SERVER -> CLIENT:` after it reports it.
            return;
        }
        let reply = parse_reply_line(body);
        let code = reply.map(|r| r.code);
        if self.reply_begins_session(code) {
            self.begin(e.line, e.time, out);
        }
        out.push(KEY, e.line, e.time, Item::Server(body.to_owned()));
        self.inbound_seen = true;
        (self.reply_shown, self.any_reply) = (true, true);
        self.after_reply(code, reply.is_none_or(|r| !r.more));
    }

    pub(super) fn client(&mut self, e: &Entry, out: &mut Out<'_>) {
        self.inbound_seen = false;
        self.reply_shown = false;
        let body = e.body();
        let body = body.strip_prefix(' ').unwrap_or(body).to_owned();
        if self.in_data && self.phase == Phase::Active {
            if body == "." {
                self.in_data = false;
            }
            out.push(KEY, e.line, e.time, Item::Client(body));
            return;
        }
        let step = Step::of_command(&body);
        if self.phase != Phase::Active {
            self.begin(e.line, e.time, out);
        }
        if self.tls == Tls::Accepted && matches!(step, Step::Ehlo | Step::Helo) {
            out.push(
                KEY,
                e.line,
                e.time,
                Item::Info(
                    InfoKind::TlsStarted,
                    "TLS started: the client repeated its greeting after STARTTLS was accepted".into(),
                ),
            );
            self.tls = Tls::None;
        }
        out.push(KEY, e.line, e.time, Item::Client(body));
        self.last_command = Some(step);
        match step {
            Step::StartTls => self.tls = Tls::Asked,
            Step::Data => self.in_data = true,
            Step::Quit => {
                self.phase = Phase::QuitSent;
                self.quit_at = (e.line, e.time);
            }
            _ => {}
        }
    }

    pub(super) fn smtp_error(&mut self, e: &Entry, out: &mut Out<'_>) {
        let body = e.body();
        if body.starts_with("Failed to connect to server") {
            if self.phase != Phase::Active {
                self.begin(e.line, e.time, out);
            }
            self.note(e, InfoKind::ConnectFailed, out);
            self.phase = Phase::Closed;
            return;
        }
        if !self.reply_shown && self.phase != Phase::NoSession {
            // SMTPDebug 1: the error quotes the reply the log did not show.
            if let Some((command, _)) = body.split_once(" command failed: ") {
                if let Some(reply) = embedded_reply(body) {
                    let mut lines = vec![reply.trim().to_owned()];
                    lines.extend(e.more.iter().map(|(_, m)| m.clone()));
                    let item = Item::ServerFor(command_step(command), lines.join("\n"));
                    out.push(KEY, e.line, e.time, item);
                }
            }
        }
        self.note(e, smtp_error_kind(body), out);
    }
}
