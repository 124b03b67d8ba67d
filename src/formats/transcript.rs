//! Pieces shared by the client debug transcripts (swaks, curl, msmtp, JavaMail, manual
//! telnet/openssl pastes…): they hold one connection after another with no ids, mark sessions
//! only by connect/close lines, and several of them say nothing about direction, so it is read
//! from the line's content.

use super::{Item, Out};
use crate::model::{parse_reply_line, InfoKind, Step, Timestamp};

/// One connection after another under a single key, so the assembler numbers them `#1`, `#2`.
/// Notes written before any connection (version banners, config dumps) wait for the next one.
#[derive(Default)]
pub struct Sequence {
    pub in_session: bool,
    /// The session has shown an SMTP line (a reply or a command).
    pub protocol_seen: bool,
    /// The server said `221`/`421`: a later greeting is a new connection.
    pub said_goodbye: bool,
    held: Vec<(u64, Option<Timestamp>, InfoKind, String)>,
    /// The last line given to the current session.
    last_line: u64,
}

/// The key of every record from a [`Sequence`].
pub const KEY: &str = "";

impl Sequence {
    /// A connection starts here. These tools make one connection at a time, so the previous
    /// one (if any) is over, even when the log never said so (no QUIT after an error).
    pub fn begin(&mut self, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if self.in_session {
            // Ends at its own last line, not at the line that starts the next connection.
            out.push(KEY, self.last_line, None, Item::End);
            self.in_session = false;
        }
        out.push(KEY, n, time, Item::Begin);
        self.last_line = n;
        self.in_session = true;
        self.protocol_seen = false;
        self.said_goodbye = false;
        for (line, t, kind, text) in std::mem::take(&mut self.held) {
            out.push(KEY, line, t, Item::Info(kind, text));
        }
    }

    /// Protocol lines with no connect line before them (a paste that starts midway) still form
    /// a session; a greeting after the server said goodbye starts the next one.
    pub fn ensure(&mut self, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if !self.in_session {
            self.begin(n, time, out);
        }
    }

    pub fn client(&mut self, n: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) {
        self.ensure(n, time, out);
        self.protocol_seen = true;
        self.last_line = n;
        out.push(KEY, n, time, Item::Client(text.to_owned()));
    }

    pub fn server(&mut self, n: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) {
        let reply = parse_reply_line(text);
        if self.said_goodbye && reply.is_some_and(|r| r.code == 220) {
            self.begin(n, time, out);
        }
        self.ensure(n, time, out);
        self.protocol_seen = true;
        self.last_line = n;
        if let Some(r) = reply.filter(|r| !r.more) {
            self.said_goodbye = matches!(r.code, 221 | 421);
        }
        out.push(KEY, n, time, Item::Server(text.to_owned()));
    }

    /// A note from the logging program. Outside a connection, a failure starts one (the
    /// connection that failed); other notes wait for the next connection.
    pub fn info(&mut self, n: u64, time: Option<Timestamp>, kind: InfoKind, text: &str, out: &mut Out<'_>) {
        if !self.in_session {
            if !is_failure(kind) {
                self.held.push((n, time, kind, text.to_owned()));
                return;
            }
            self.begin(n, time, out);
        }
        self.last_line = n;
        out.push(KEY, n, time, Item::Info(kind, text.to_owned()));
    }

    /// The connection ended.
    pub fn end(&mut self, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        if self.in_session {
            out.push(KEY, n, time, Item::End);
        }
        self.in_session = false;
    }

    /// Notes still waiting for a connection at the end of the input belong to none.
    pub fn finish(&mut self, out: &mut Out<'_>) {
        for (line, _, _, text) in std::mem::take(&mut self.held) {
            out.push(KEY, line, None, Item::Unparsed(text));
        }
    }
}

/// Notes that say the connection failed or broke: outside a session they are the session.
pub fn is_failure(kind: InfoKind) -> bool {
    matches!(
        kind,
        InfoKind::ConnectFailed | InfoKind::Timeout | InfoKind::LostConnection | InfoKind::TlsFailed
    )
}

/// Maps a client tool's error or progress wording onto what the status rules understand.
/// Tools mostly say the same things: "connection refused", "timed out", "TLS handshake failed".
pub fn note_kind(text: &str) -> InfoKind {
    let l = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    if has(&["timed out", "timeout"]) && !has(&["timeout =", "timeout:"]) {
        InfoKind::Timeout
    } else if has(&[
        "connection refused",
        "could not connect",
        "couldn't connect",
        "unable to connect",
        "cannot connect",
        "can't connect",
        "failed to connect",
        "error connecting",
        "no route to host",
        "network is unreachable",
        "could not resolve",
        "cannot locate host",
        "name or service not known",
        "unknown host",
    ]) {
        InfoKind::ConnectFailed
    } else if has(&["tls", "ssl", "certificate", "handshake"])
        && has(&[
            "fail",
            "error",
            "not supported",
            "not available",
            "unable",
            "wrong version",
            "problem",
        ])
    {
        InfoKind::TlsFailed
    } else if has(&["auth"])
        && has(&[
            "fail",
            "denied",
            "not accepted",
            "no authentication type succeeded",
        ])
    {
        InfoKind::AuthFailed
    } else if has(&[
        "connection reset",
        "connection lost",
        "lost connection",
        "broken pipe",
        "closed connection unexpectedly",
        "connection closed unexpectedly",
        "unexpected eof",
        "stream closed",
    ]) {
        InfoKind::LostConnection
    } else if has(&["error", "failed", "failure", "exception", "cannot", "could not"]) {
        InfoKind::Error
    } else {
        InfoKind::Note
    }
}

/// Which way a line with no direction marker went, judged by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    Server,
    Client,
    /// Neither a reply nor something a client would send.
    Unknown,
}

/// Tells replies from commands in prefixless transcripts (JavaMail raw lines, telnet pastes):
/// a line in reply grammar is the server's, except inside message data (after `354`, up to the
/// lone `.`) and right after a `334` challenge, where the client is talking.
#[derive(Default)]
pub struct ContentDirection {
    in_data: bool,
    after_challenge: bool,
}

impl ContentDirection {
    /// Classifies `text`; `loose` also takes command-shaped words that are no SMTP verb (a
    /// mistyped command in a telnet session) as the client's.
    pub fn classify(&mut self, text: &str, loose: bool) -> Said {
        if self.in_data {
            if text == "." {
                self.in_data = false;
            }
            return Said::Client;
        }
        if let Some(r) = parse_reply_line(text) {
            if !r.more {
                self.in_data = r.code == 354;
                self.after_challenge = r.code == 334;
            }
            return Said::Server;
        }
        if std::mem::take(&mut self.after_challenge) && !text.contains(' ') {
            return Said::Client;
        }
        if Step::is_known_command(text) || (loose && looks_like_command(text)) {
            return Said::Client;
        }
        Said::Unknown
    }

    /// True between a `354` and the lone `.`: every line is message content.
    pub fn in_data(&self) -> bool {
        self.in_data
    }

    /// Forgets data/challenge state (a new connection).
    pub fn reset(&mut self) {
        *self = ContentDirection::default();
    }
}

/// A word of 3–12 letters, alone or followed by a space: how a typed command looks.
fn looks_like_command(text: &str) -> bool {
    let verb = text.split(' ').next().unwrap_or("");
    (3..=12).contains(&verb.len()) && verb.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Consecutive lines of one note (a certificate dump, a TLS parameter block) kept together so
/// they become one info event instead of dozens.
#[derive(Default)]
pub struct InfoBlock {
    block: Option<(u64, Option<Timestamp>, InfoKind, String)>,
}

impl InfoBlock {
    pub fn is_open(&self) -> bool {
        self.block.is_some()
    }

    /// Starts a block, handing a previous one to the sequence first.
    pub fn start(
        &mut self,
        n: u64,
        time: Option<Timestamp>,
        kind: InfoKind,
        text: &str,
        seq: &mut Sequence,
        out: &mut Out<'_>,
    ) {
        self.flush(seq, out);
        self.block = Some((n, time, kind, text.to_owned()));
    }

    /// Adds a line to the open block (starts one when none is open).
    pub fn add(
        &mut self,
        n: u64,
        time: Option<Timestamp>,
        text: &str,
        seq: &mut Sequence,
        out: &mut Out<'_>,
    ) {
        match &mut self.block {
            Some((_, _, _, body)) => {
                body.push('\n');
                body.push_str(text);
            }
            None => self.start(n, time, InfoKind::Note, text, seq, out),
        }
    }

    /// Raises the block's kind (a dump that shows the cipher means TLS is up).
    pub fn set_kind(&mut self, kind: InfoKind) {
        if let Some(b) = &mut self.block {
            b.2 = kind;
        }
    }

    pub fn flush(&mut self, seq: &mut Sequence, out: &mut Out<'_>) {
        if let Some((n, time, kind, text)) = self.block.take() {
            seq.info(n, time, kind, &text, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_direction_follows_data_and_challenges() {
        let mut d = ContentDirection::default();
        let said: Vec<Said> = [
            "220 mx ready",
            "EHLO me",
            "250-mx",
            "250 OK",
            "AUTH LOGIN",
            "334 VXNlcm5hbWU6",
            "dXNlcg==",
            "334 UGFzc3dvcmQ6",
            "123",
            "235 ok",
            "DATA",
            "354 go",
            "250 not a reply inside data",
            ".",
            "250 queued",
            "helo-ish text here",
        ]
        .iter()
        .map(|l| d.classify(l, false))
        .collect();
        use Said::*;
        assert_eq!(
            said,
            [
                Server, Client, Server, Server, Client, Server, Client, Server, Client, Server, Client,
                Server, Client, Client, Server, Unknown
            ]
        );
        assert_eq!(d.classify("EHLLO typo", true), Client);
        assert_eq!(d.classify("-----BEGIN CERTIFICATE-----", true), Unknown);
    }

    #[test]
    fn note_wording() {
        assert_eq!(note_kind("connect: Connection refused"), InfoKind::ConnectFailed);
        assert_eq!(note_kind("Operation timed out after 3000 ms"), InfoKind::Timeout);
        assert_eq!(
            note_kind("TLS handshake failed: wrong version"),
            InfoKind::TlsFailed
        );
        assert_eq!(
            note_kind("authentication failed (method PLAIN)"),
            InfoKind::AuthFailed
        );
        assert_eq!(
            note_kind("Remote host closed connection unexpectedly."),
            InfoKind::LostConnection
        );
        assert_eq!(note_kind("timeout = off"), InfoKind::Note);
        assert_eq!(note_kind("TLS started with cipher X"), InfoKind::Note);
    }
}
