//! PHPMailer's message vocabulary: which `edebug()` message a piece of text is, where the next
//! one starts when entries run together, and whether an entry's text continues on the next line.

use crate::model::{parse_reply_line, InfoKind, Step};
use regex::Regex;
use std::sync::LazyLock;

/// One kind of `edebug()` message (current wording and the pre-5.2.7 one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `SERVER -> CLIENT: <reply>` / old `SMTP -> FROM SERVER:<reply>`.
    Server,
    /// `CLIENT -> SERVER: <line>` / old `CLIENT -> SMTP: <line>`.
    Client,
    /// `SMTP INBOUND: "<line>"` (level 4: each received line, before the whole reply).
    Inbound,
    /// `Connection: opening to host:port, timeout=n, options=…`.
    Opening,
    Opened,
    Closed,
    /// Any other `Connection: …` note (`closing due to error`, fsockopen fallback).
    ConnectionNote,
    /// `Connection failed. Error #n: <PHP warning> [file line n]` (PHPMailer's error handler).
    SocketError,
    /// `SMTP ERROR: …` / old `SMTP -> ERROR: …`.
    SmtpError,
    /// `SMTP NOTICE: …` / old `SMTP -> NOTICE: …`.
    Notice,
    /// `SMTP -> get_lines(): …` (level 4 reader notes).
    GetLines,
    /// `Auth method requested: …` and friends (level 4).
    AuthNote,
    /// PHPMailer's own messages: `SMTP Error: Could not authenticate.`, `SMTP connect() failed.`
    MailerError,
    /// A stamped line in none of the above wordings.
    Other,
}

impl Kind {
    /// Client and server messages carry their own CRLF; every other message is written
    /// without one, so where output is concatenated raw (Post SMTP, pre-2013 echo mode) the
    /// next message starts on the same line.
    pub fn ends_with_newline(self) -> bool {
        matches!(self, Kind::Server | Kind::Client | Kind::Other)
    }
}

/// `(prefix, kind)`, longest first where one prefix starts another. Case matters: `SMTP ERROR:`
/// is the SMTP class's debug message, `SMTP Error:` PHPMailer's translated error text.
const PREFIXES: &[(&str, Kind)] = &[
    ("SERVER -> CLIENT:", Kind::Server),
    ("CLIENT -> SERVER:", Kind::Client),
    ("SMTP INBOUND:", Kind::Inbound),
    ("Connection: opening to ", Kind::Opening),
    ("Connection: opened", Kind::Opened),
    ("Connection: closed", Kind::Closed),
    ("Connection: ", Kind::ConnectionNote),
    ("Connection failed. ", Kind::SocketError),
    ("SMTP ERROR: ", Kind::SmtpError),
    ("SMTP NOTICE: ", Kind::Notice),
    ("SMTP Error: ", Kind::MailerError),
    ("SMTP connect() failed", Kind::MailerError),
    ("SMTP -> FROM SERVER:", Kind::Server),
    ("SMTP -> ERROR: ", Kind::SmtpError),
    ("SMTP -> NOTICE: ", Kind::Notice),
    ("SMTP -> get_lines(): ", Kind::GetLines),
    ("CLIENT -> SMTP:", Kind::Client),
    ("Auth method", Kind::AuthNote),
    ("Requested auth method", Kind::AuthNote),
];

static ANY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<String> = PREFIXES.iter().map(|(p, _)| regex::escape(p)).collect();
    Regex::new(&alternatives.join("|")).expect("valid regex")
});

/// The kind of message `text` starts with, and the prefix length.
pub fn classify(text: &str) -> Option<(Kind, usize)> {
    PREFIXES
        .iter()
        .find(|(p, _)| text.starts_with(p))
        .map(|(p, k)| (*k, p.len()))
}

/// Where the next message starts inside `text`, after its first byte.
pub fn next_start(text: &str) -> Option<usize> {
    ANY_PREFIX.find_at(text, 1).map(|m| m.start()).filter(|&s| s > 0)
}

/// Whether a detection-strength prefix starts `text` (the messages only PHPMailer writes).
pub fn is_signature(text: &str) -> bool {
    matches!(
        classify(text),
        Some((
            Kind::Server
                | Kind::Client
                | Kind::Inbound
                | Kind::Opening
                | Kind::Opened
                | Kind::Closed
                | Kind::SmtpError,
            _
        ))
    )
}

/// One message being gathered: its first line and any continuation lines.
#[derive(Clone, Debug)]
pub struct Entry {
    pub kind: Kind,
    pub line: u64,
    pub time: Option<crate::model::Timestamp>,
    /// The message as written, prefix included.
    pub text: String,
    /// The prefix length (`text[prefix..]` is the message's own content).
    pub prefix: usize,
    /// Continuation lines (line number, text with indentation removed).
    pub more: Vec<(u64, String)>,
}

/// No message continues for more lines than this (a runaway quote or parenthesis).
const MAX_MORE: usize = 200;

impl Entry {
    /// The content after the prefix.
    pub fn body(&self) -> &str {
        // The text was trimmed, so a prefix ending in a space may be longer than it.
        self.text.get(self.prefix..).unwrap_or("")
    }

    /// The whole message, lines joined with `\n`.
    pub fn full_text(&self) -> String {
        let mut s = self.text.trim_end().to_owned();
        for (_, m) in &self.more {
            s.push('\n');
            s.push_str(m);
        }
        s
    }

    /// True when the next unprefixed line is still part of this message: a reply whose last
    /// line was `ddd-`, an error quoting such a reply, an `options=array (` still open, a
    /// quoted `get_lines()` value still open, a PHP warning not yet at its `[file line n]`.
    pub fn wants_more(&self) -> bool {
        if self.more.len() >= MAX_MORE {
            return false;
        }
        let last = self.more.last().map_or(self.body(), |(_, m)| m.as_str());
        match self.kind {
            Kind::Server => {
                let body = self.body().trim();
                if body.is_empty() && self.more.is_empty() {
                    // Very old versions wrote `SMTP -> FROM SERVER:` then the reply below it.
                    return self.text.starts_with("SMTP -> ");
                }
                let tail = crate::formats::split_run_together(last.trim());
                tail.last()
                    .and_then(|l| parse_reply_line(l))
                    .is_some_and(|r| r.more)
            }
            Kind::SmtpError => {
                let quoted = if self.more.is_empty() {
                    embedded_reply(self.body())
                } else {
                    Some(last)
                };
                quoted
                    .and_then(|q| parse_reply_line(q.trim()))
                    .is_some_and(|r| r.more)
            }
            Kind::Opening => paren_depth(&self.full_text()) > 0,
            Kind::GetLines => self.full_text().matches('"').count() % 2 == 1,
            Kind::SocketError => !ends_with_source_location(&self.full_text()),
            _ => false,
        }
    }
}

/// The reply quoted at the end of an error: `RCPT TO command failed: 550 5.1.1 …` → `550 5.1.1 …`.
pub fn embedded_reply(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = text[from..].find(": ") {
        let cand = &text[from + i + 2..];
        if parse_reply_line(cand).is_some() {
            return Some(cand);
        }
        from += i + 2;
    }
    None
}

/// Parenthesis depth of a `var_export()` dump, ignoring parentheses inside quoted strings.
fn paren_depth(text: &str) -> i32 {
    let Some(at) = text.find("options=") else {
        return 0;
    };
    let mut depth = 0;
    let mut quoted = false;
    let mut escaped = false;
    for c in text[at..].chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// PHP warnings end with `[/path/file.php line 123]`.
fn ends_with_source_location(text: &str) -> bool {
    let t = text.trim_end();
    let Some(inner) = t.strip_suffix(']') else {
        return false;
    };
    let digits = inner.trim_end_matches(|c: char| c.is_ascii_digit());
    digits.len() < inner.len() && digits.ends_with(" line ")
}

/// Echo mode indents continuation lines by 19 spaces, a TAB and 18 spaces.
const ECHO_INDENT: &str = "                   \t                  ";

/// A continuation line without the echo indent; reply lines also lose any other indentation
/// (pastes turn the TAB into spaces), dumps keep their own.
pub fn continuation(line: &str, kind: Kind) -> &str {
    let line = line.strip_prefix(ECHO_INDENT).unwrap_or(line);
    match kind {
        Kind::Server | Kind::SmtpError => line.trim(),
        _ => line.trim_end(),
    }
}

/// `SMTP ERROR: <command> command failed: <reply>`. A failed authentication step whose reply
/// is not itself negative (XOAUTH2's `334 <error JSON>`) is an authentication failure the
/// status rules could not see; anything else only repeats the reply shown before it.
pub fn smtp_error_kind(body: &str) -> InfoKind {
    let Some((command, reply)) = body.split_once(" command failed: ") else {
        return InfoKind::Error;
    };
    let auth_step = matches!(
        command,
        "AUTH" | "Username" | "Password" | "User & Password" | "AUTH CRAM-MD5"
    );
    let positive = parse_reply_line(reply.trim()).is_some_and(|r| r.code < 400);
    if auth_step && positive {
        InfoKind::AuthFailed
    } else {
        InfoKind::Error
    }
}

/// PHP warnings caught by PHPMailer's error handler, by what failed.
pub fn socket_error_kind(body: &str) -> InfoKind {
    if body.contains("stream_socket_enable_crypto") {
        InfoKind::TlsFailed
    } else if body.contains("stream_socket_client") || body.contains("fsockopen") {
        InfoKind::ConnectFailed
    } else if body.contains("Broken pipe") || body.contains("reset by peer") {
        InfoKind::LostConnection
    } else {
        InfoKind::Error
    }
}

/// The SMTP step a PHPMailer command name (`sendCommand()`'s first argument) stands for.
pub fn command_step(command: &str) -> Step {
    match command {
        "AUTH" | "Username" | "Password" | "User & Password" | "AUTH CRAM-MD5" => Step::Auth,
        "DATA END" => Step::DataEnd,
        other => Step::of_command(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str, more: &[&str]) -> Entry {
        let (kind, prefix) = classify(text).unwrap();
        Entry {
            kind,
            line: 1,
            time: None,
            text: text.to_owned(),
            prefix,
            more: more.iter().map(|s| (2, s.to_string())).collect(),
        }
    }

    #[test]
    fn classifies_case_sensitively() {
        assert_eq!(classify("SMTP ERROR: x").unwrap().0, Kind::SmtpError);
        assert_eq!(
            classify("SMTP Error: Could not authenticate.").unwrap().0,
            Kind::MailerError
        );
        assert_eq!(classify("Connection: opened").unwrap().0, Kind::Opened);
        assert_eq!(
            classify("Connection: closing due to error").unwrap().0,
            Kind::ConnectionNote
        );
        assert_eq!(classify("SMTP -> FROM SERVER:220 x").unwrap().0, Kind::Server);
        assert!(classify("smtp error: x").is_none());
        assert!(!is_signature("Auth method selected: LOGIN"));
    }

    #[test]
    fn finds_run_together_starts() {
        let t = "Connection: opening to a:587, timeout=10, options=array()Connection: openedSERVER -> CLIENT: 220 a";
        let first = next_start(t).unwrap();
        assert!(t[first..].starts_with("Connection: opened"));
        let second = first + next_start(&t[first..]).unwrap();
        assert!(t[second..].starts_with("SERVER -> CLIENT:"));
        assert_eq!(next_start("SERVER -> CLIENT: 250 ok"), None);
    }

    #[test]
    fn knows_when_a_message_continues() {
        assert!(entry("SERVER -> CLIENT: 250-a", &[]).wants_more());
        assert!(!entry("SERVER -> CLIENT: 250-a", &["250 b"]).wants_more());
        assert!(!entry("SERVER -> CLIENT: ", &[]).wants_more());
        assert!(entry("SMTP -> FROM SERVER:", &[]).wants_more());
        assert!(entry("SMTP ERROR: Password command failed: 535-5.7.8 no", &[]).wants_more());
        assert!(!entry("SMTP ERROR: Password command failed: 535 5.7.8 no", &[]).wants_more());
        assert!(entry(
            "Connection: opening to a:25, timeout=5, options=array (",
            &["  'ssl' => "]
        )
        .wants_more());
        assert!(!entry(
            "Connection: opening to a:25, timeout=5, options=array (",
            &["  'ssl' => ", "  array ('x' => ')'),", ")"]
        )
        .wants_more());
        assert!(entry("SMTP -> get_lines(): $data was \"250-a", &[]).wants_more());
        assert!(!entry("SMTP -> get_lines(): $data was \"250-a", &["\""]).wants_more());
        assert!(entry(
            "Connection failed. Error #2: stream_socket_enable_crypto(): x",
            &["OpenSSL Error messages:"]
        )
        .wants_more());
        assert!(!entry("Connection failed. Error #2: x [/a/SMTP.php line 412]", &[]).wants_more());
    }
}
