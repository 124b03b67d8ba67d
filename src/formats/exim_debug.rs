//! Exim debug transcripts (`exim -d`, `-d+all`, `exim -bh … -d`): the SMTP lines among Exim's
//! debug noise. Optional prefixes `HH:MM:SS[.mmm] ` (`+timestamp`) and `%5d ` pid (`+pid`).
//!
//! Role and direction. The server (smtp_in.c) writes `SMTP<< cmd` for what it read and
//! `SMTP>> reply` / `SMTP>| reply` for what it sent, at column 0; a transport (smtp_out.c)
//! writes the same arrows indented by two spaces, with the opposite meaning: `  SMTP>> cmd`,
//! `  SMTP|> cmd` (buffered for pipelining), `  SMTP+> cmd` (more to come), `  SMTP<< reply`.
//! When a paste lost the indentation, the content decides (a reply code after `SMTP<<` is a
//! transport reading a reply). Each role gets its own sessions (per pid when logged).
//! Multi-line replies continue on unprefixed lines indented 7 (server) or 9 (transport) spaces.
//!
//! Sessions start at a 220 greeting that does not answer STARTTLS, at `Process N is handling
//! incoming connection from …` or at `Connecting to host [ip]:port`; they end at a 221, at
//! `SMTP(closed)<<` or `SMTP>>(close on process exit)`.
//!
//! Credentials. The server side prints AUTH payloads and, with `+auth`, their decoded form
//! (`$auth2 = …`, `auth input decode: …`): the assembler masks the payloads, and every debug
//! line between an AUTH command and its final reply (plus any line naming `$auth`) becomes a
//! masked note. Other debug lines are unparsed.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_hms_frac, parse_reply_line, InfoKind, Step, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct EximDebug;

/// Optional time, optional `%5d` pid (either order), then the rest with its indentation.
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?) )?(?: {0,4}([0-9]{1,7}) )?(?:([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?) )?(.*)$")
        .expect("valid regex")
});

/// `Connecting to mx.example.net [198.51.100.5]:25 …` (transport) and `Process 1234 is
/// handling incoming connection from host [ip]:port` (server).
static CONNECTING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Connecting to (\S+ \[[^\]]+\](?::[0-9]+)?)").expect("valid regex"));
static HANDLING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Process [0-9]+ is handling incoming connection from (.+)$").expect("valid regex")
});

const MARKERS: [&str; 6] = ["SMTP<<", "SMTP>>", "SMTP>|", "SMTP|>", "SMTP+>", "SMTP>-"];

impl Format for EximDebug {
    fn name(&self) -> &'static str {
        "exim-debug"
    }
    fn description(&self) -> &'static str {
        "Exim debug transcript (exim -d / -d+all: SMTP<< / SMTP>> lines, server and transport side)"
    }
    fn how_to_enable(&self) -> &'static str {
        "Run Exim with debugging to a terminal or file: exim -d+all -bd -oX 2525 (a test daemon on port 2525), exim -d -bh 192.0.2.10 (a fake SMTP session from that address on stdin), or exim -d -M <message-id> (one delivery, transport side); add -d+pid+timestamp (or +all) for the pid and time prefixes. Output goes to stderr: exim -d+all -bd 2> exim-debug.log. It shows credentials: share it only after smtpscope has masked them."
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let Some(c) = PREFIX.captures(line.text) else {
            return false;
        };
        let body = c.get(4).map_or("", |m| m.as_str()).trim_start();
        MARKERS.iter().any(|m| body.starts_with(m)) || body.starts_with("SMTP(closed)<<")
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Server,
    Transport,
}

/// What is known about the session under one key.
#[derive(Default)]
struct KeyState {
    /// Something was logged since the last begin/end.
    active: bool,
    greeted: bool,
    /// The last command was STARTTLS: its 220 is not a new greeting.
    after_starttls: bool,
    /// Between an AUTH command and its final reply: debug lines may show credentials.
    in_auth: bool,
}

#[derive(Default)]
struct Parser {
    keys: FastMap<String, KeyState>,
    /// The key of the line before when it was a reply (continuation lines extend it).
    reply_key: Option<String>,
    /// The key of the last protocol line, for debug notes after it.
    last_key: Option<String>,
}

/// One line with its prefixes removed.
struct Parsed<'a> {
    number: u64,
    time: Option<Timestamp>,
    pid: Option<&'a str>,
    indent: usize,
    body: &'a str,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let Some(c) = PREFIX.captures(line.text) else {
            return;
        };
        let rest = c.get(4).map_or("", |m| m.as_str()).trim_end();
        let clock = c.get(1).or(c.get(3)).and_then(|m| parse_hms_frac(m.as_str()));
        let body = rest.trim_start();
        if body.is_empty() {
            return;
        }
        let p = Parsed {
            number: line.number,
            time: line.wrapper.time.or(clock.map(Timestamp::time_only)),
            pid: c.get(2).map(|m| m.as_str()),
            indent: rest.len() - body.len(),
            body,
        };
        if let Some((marker, payload)) = split_marker(body) {
            self.protocol(&p, marker, payload, &mut out);
        } else if self.reply_key.is_some() && p.indent >= 5 && parse_reply_line(body).is_some() {
            self.continuation(&p, &mut out);
        } else {
            self.reply_key = None;
            self.debug_note(&p, &mut out);
        }
    }
}

/// `SMTP<< text` → (`<<`, `text`); also the bare `SMTP(closed)<<` and `SMTP>>(close …)`.
fn split_marker(body: &str) -> Option<(&str, &str)> {
    if body.starts_with("SMTP(closed)<<") {
        return Some(("closed", ""));
    }
    if body.starts_with("SMTP>>(close") {
        return Some(("close", ""));
    }
    let m = MARKERS.iter().find(|m| body.starts_with(*m))?;
    let payload = &body[m.len()..];
    Some((&m[4..], payload.strip_prefix(' ').unwrap_or(payload)))
}

impl Parser {
    fn key(role: Role, pid: Option<&str>) -> String {
        let r = match role {
            Role::Server => "server",
            Role::Transport => "transport",
        };
        match pid {
            Some(pid) => format!("{pid}/{r}"),
            None => r.to_owned(),
        }
    }

    fn protocol(&mut self, p: &Parsed<'_>, marker: &str, payload: &str, out: &mut Out<'_>) {
        let role = role_of(p.indent, marker, payload);
        let key = Self::key(role, p.pid);
        self.last_key = Some(key.clone());
        self.reply_key = None;
        match marker {
            "-" => return, // SMTP>- only marks a flush of the output buffer.
            "closed" | "close" => {
                out.push(
                    &key,
                    p.number,
                    p.time,
                    Item::Info(InfoKind::Closed, p.body.to_owned()),
                );
                out.push(&key, p.number, p.time, Item::End);
                self.keys.remove(&key);
                return;
            }
            _ => {}
        }
        let from_server = matches!(
            (role, marker),
            (Role::Server, ">>" | ">|") | (Role::Transport, "<<")
        );
        let state = self.keys.entry(key.clone()).or_default();
        if from_server {
            let code = parse_reply_line(payload).map(|r| r.code);
            if code == Some(220) && !state.after_starttls {
                if state.greeted {
                    out.push(&key, p.number, p.time, Item::Begin);
                }
                state.greeted = true;
            }
            state.after_starttls = false;
            if code.is_some_and(|c| c != 334) {
                state.in_auth = false;
            }
            state.active = true;
            out.push(&key, p.number, p.time, Item::Server(payload.to_owned()));
            self.reply_key = Some(key);
        } else {
            let step = Step::of_command(payload);
            state.after_starttls = step == Step::StartTls;
            if step == Step::Auth {
                state.in_auth = true;
            }
            state.active = true;
            out.push(&key, p.number, p.time, Item::Client(payload.to_owned()));
        }
    }

    /// A 7- or 9-space indented reply line after a reply: the reply's next line (Exim
    /// writes the code on every line, so indented debug text is never taken for one).
    fn continuation(&mut self, p: &Parsed<'_>, out: &mut Out<'_>) {
        let Some(key) = self.reply_key.clone() else { return };
        out.push(&key, p.number, p.time, Item::Server(p.body.to_owned()));
    }

    /// Any other debug line: a session start, a masked credential echo, or unparsed noise.
    fn debug_note(&mut self, p: &Parsed<'_>, out: &mut Out<'_>) {
        let body = p.body;
        if let Some(c) = CONNECTING.captures(body) {
            self.begin(
                Role::Transport,
                p,
                Some(c[1].to_owned()),
                out,
                InfoKind::Connecting,
            );
            return;
        }
        if let Some(c) = HANDLING.captures(body) {
            let client = c[1].trim().to_owned();
            let key = Self::key(Role::Server, p.pid);
            out.push(&key, p.number, p.time, Item::Begin);
            out.push(
                &key,
                p.number,
                p.time,
                Item::Peers {
                    client: Some(client),
                    server: None,
                },
            );
            out.push(
                &key,
                p.number,
                p.time,
                Item::Info(InfoKind::Connected, body.to_owned()),
            );
            self.keys.insert(
                key.clone(),
                KeyState {
                    active: true,
                    ..KeyState::default()
                },
            );
            self.last_key = Some(key);
            return;
        }
        let auth_key = self
            .last_key
            .clone()
            .filter(|k| self.keys.get(k).is_some_and(|s| s.in_auth));
        match auth_key {
            Some(key) => out.push(
                &key,
                p.number,
                p.time,
                Item::Secret(InfoKind::Note, body.to_owned()),
            ),
            None if shows_credentials(body) => match self.last_key.clone() {
                Some(key) => out.push(
                    &key,
                    p.number,
                    p.time,
                    Item::Secret(InfoKind::Note, body.to_owned()),
                ),
                // Kept out of the unparsed list too, which is shown unmasked.
                None => out.push(
                    "",
                    p.number,
                    p.time,
                    Item::Unparsed(crate::model::SECRET_MASK.to_owned()),
                ),
            },
            None => out.push("", p.number, p.time, Item::Unparsed(body.to_owned())),
        }
    }

    fn begin(
        &mut self,
        role: Role,
        p: &Parsed<'_>,
        server: Option<String>,
        out: &mut Out<'_>,
        kind: InfoKind,
    ) {
        let key = Self::key(role, p.pid);
        out.push(&key, p.number, p.time, Item::Begin);
        out.push(&key, p.number, p.time, Item::Peers { client: None, server });
        out.push(&key, p.number, p.time, Item::Info(kind, p.body.to_owned()));
        self.keys.insert(
            key.clone(),
            KeyState {
                active: true,
                ..KeyState::default()
            },
        );
        self.last_key = Some(key);
    }
}

/// The role of an SMTP line: the indentation says it, unless the content contradicts an
/// unindented line (a paste that lost its leading spaces).
fn role_of(indent: usize, marker: &str, payload: &str) -> Role {
    match marker {
        "|>" | "+>" => Role::Transport,
        ">|" => Role::Server,
        _ if indent >= 2 => Role::Transport,
        "<<" if parse_reply_line(payload).is_some() && !Step::is_known_command(payload) => Role::Transport,
        ">>" if Step::is_known_command(payload) && parse_reply_line(payload).is_none() => Role::Transport,
        _ => Role::Server,
    }
}

/// Debug lines that echo decoded AUTH data (`$auth2 = …`, `$1 = …`, `auth input decode`).
fn shows_credentials(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    lower.contains("$auth")
        || lower.contains("auth input decode")
        || lower.contains("decoded")
        || (body.starts_with('$')
            && body[1..].starts_with(|c: char| c.is_ascii_digit())
            && body.contains(" = "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser::default(), lines)
    }

    #[test]
    fn indentation_decides_the_role() {
        let r = parse(&[
            "SMTP<< EHLO pc.example.org",
            "SMTP>> 250-mail.example.net Hello",
            "       250 HELP",
            "  SMTP<< 220 mx.example.net ESMTP",
            "  SMTP>> EHLO mail.example.net",
            "  SMTP<< 250-mx.example.net",
            "         250 PIPELINING",
            "  SMTP|> MAIL FROM:<a@example.net>",
        ]);
        let shape: Vec<(String, &Item)> = r.iter().map(|x| (x.key.to_string(), &x.item)).collect();
        assert_eq!(
            shape[0],
            ("server".into(), &Item::Client("EHLO pc.example.org".into()))
        );
        assert_eq!(shape[2], ("server".into(), &Item::Server("250 HELP".into())));
        assert_eq!(
            shape[3],
            (
                "transport".into(),
                &Item::Server("220 mx.example.net ESMTP".into())
            )
        );
        assert_eq!(shape[4].1, &Item::Client("EHLO mail.example.net".into()));
        assert_eq!(
            shape[6],
            ("transport".into(), &Item::Server("250 PIPELINING".into()))
        );
        assert_eq!(shape[7].1, &Item::Client("MAIL FROM:<a@example.net>".into()));
    }

    #[test]
    fn pid_and_time_prefixes_key_sessions() {
        let r = parse(&["10:15:02.120  4321 SMTP<< QUIT", " 4321 10:15:02 SMTP>> 221 bye"]);
        assert!(r.iter().all(|x| x.key == "4321/server"));
        assert_eq!(r[0].time.unwrap().to_string(), "10:15:02.120");
        assert_eq!(r[1].item, Item::Server("221 bye".into()));
    }

    #[test]
    fn lost_indentation_falls_back_to_content() {
        assert_eq!(role_of(0, "<<", "250 OK"), Role::Transport);
        assert_eq!(role_of(0, ">>", "EHLO x"), Role::Transport);
        assert_eq!(role_of(0, "<<", "EHLO x"), Role::Server);
        assert_eq!(role_of(0, ">>", "250 OK"), Role::Server);
    }

    #[test]
    fn debug_lines_inside_auth_are_secret() {
        let r = parse(&[
            "SMTP<< AUTH LOGIN",
            "SMTP>> 334 VXNlcm5hbWU6",
            "SMTP<< Ym9i",
            "auth input decode: 'bob'",
            "SMTP>> 235 Authentication succeeded",
            "considering: something else",
            "  $auth2 = hunter2",
        ]);
        assert_eq!(
            r[3].item,
            Item::Secret(InfoKind::Note, "auth input decode: 'bob'".into())
        );
        assert!(matches!(r[5].item, Item::Unparsed(_)));
        assert!(matches!(r[6].item, Item::Secret(..)));
    }
}
