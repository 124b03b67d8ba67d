//! `curl -v smtp://…` / `smtps://…` output: `* ` notes (connect, TLS, certificate), `> ` what
//! curl sent, `< ` what the server replied, and a final `curl: (N) …` error line. One connection
//! per run, from `*   Trying ip:port...` to `* Connection #0 to host … left intact` (curl is
//! done and exits, often without a QUIT in the log: the session is over) or `* Closing
//! connection`. No
//! timestamps; AUTH payloads are in clear (the assembler masks them).

use super::transcript::{note_kind, InfoBlock, Sequence, KEY};
use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{InfoKind, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct Curl;

/// `Connected to host (ip) port 587` (older curl adds ` (#0)`).
static CONNECTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Connected to (\S+) \(([^)]*)\) port ([0-9]+)").expect("valid regex"));

/// curl's closing error line: `curl: (67) Login denied`.
static CURL_ERROR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^curl: \(([0-9]+)\) ").expect("valid regex"));

/// `* ` notes that only curl writes, for detection.
static CURL_NOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\*\s+(Trying \S+\.\.\.|Connected to \S+ \(|Connection #[0-9]+ to host|Closing connection|SSL connection using|TLSv1\.[0-3] \((IN|OUT)\)|ALPN|Server certificate:|Host \S+ was resolved|IPv[46]: |Failed to connect to|We are completely uploaded)",
    )
    .expect("valid regex")
});

impl Format for Curl {
    fn name(&self) -> &'static str {
        "curl"
    }
    fn description(&self) -> &'static str {
        "curl -v smtp:// transcripts (* notes, > sent, < received)"
    }
    fn how_to_enable(&self) -> &'static str {
        "add -v: curl -v --url smtp://mail.example.net:587 --ssl-reqd --mail-from … --mail-rcpt … --upload-file mail.txt 2> curl.log"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let t = line.text;
        CURL_NOTE.is_match(t)
            || CURL_ERROR.is_match(t)
            || t.strip_prefix("< ")
                .is_some_and(|r| crate::model::parse_reply_line(r).is_some())
            || t.strip_prefix("> ")
                .is_some_and(crate::model::Step::is_known_command)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    seq: Sequence,
    /// Consecutive detail notes (TLS handshake steps, certificate fields) form one event.
    block: InfoBlock,
    /// The last note was "left intact": the run is over unless a QUIT or the close follows.
    left_intact: bool,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let time = line.wrapper.time;
        let text = line.text.trim_end_matches(['\r', '\n']);
        if let Some(note) = text.strip_prefix('*') {
            if note.starts_with("  ") && self.block.is_open() && !note.trim_start().starts_with("Trying") {
                // `*  subject: CN=…`: a field of the certificate note above.
                self.block
                    .add(n, time, note.trim_start(), &mut self.seq, &mut out);
                return;
            }
            self.note(n, time, note.trim_start(), &mut out);
            return;
        }
        self.block.flush(&mut self.seq, &mut out);
        if let Some(sent) = text.strip_prefix("> ").or((text == ">").then_some("")) {
            self.seq.client(n, time, sent, &mut out);
        } else if let Some(got) = text.strip_prefix("< ") {
            self.seq.server(n, time, got, &mut out);
        } else if let Some(c) = CURL_ERROR.captures(text) {
            let kind = match &c[1] {
                "6" | "7" => InfoKind::ConnectFailed,
                "28" => InfoKind::Timeout,
                "35" | "60" | "64" => InfoKind::TlsFailed,
                "56" => InfoKind::LostConnection,
                "67" => InfoKind::AuthFailed,
                _ => InfoKind::Error,
            };
            // Written after the connection closed; it still belongs to it.
            out.push(KEY, n, time, Item::Late(kind, text.to_owned()));
        } else if text.starts_with("{ [") || text.starts_with("} [") {
            self.seq.info(n, time, InfoKind::Note, text, &mut out);
        } else {
            out.push(KEY, n, None, Item::Unparsed(text.to_owned()));
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        let mut out = Out { records };
        self.block.flush(&mut self.seq, &mut out);
        self.seq.finish(&mut out);
    }
}

impl Parser {
    fn note(&mut self, n: u64, time: Option<Timestamp>, note: &str, out: &mut Out<'_>) {
        let text = format!("* {note}");
        if std::mem::take(&mut self.left_intact) && !note.starts_with("Closing connection") {
            // A note after "left intact" (other than the close) belongs to the next run.
            self.block.flush(&mut self.seq, out);
            self.seq.end(n, time, out);
        }
        if note.starts_with("Trying ") {
            self.block.flush(&mut self.seq, out);
            if !self.seq.in_session || self.seq.protocol_seen {
                self.seq.begin(n, time, out);
            }
            self.seq.info(n, time, InfoKind::Connecting, &text, out);
            return;
        }
        if let Some(c) = CONNECTED.captures(note) {
            self.block.flush(&mut self.seq, out);
            self.seq.ensure(n, time, out);
            let server = Some(format!("{}[{}]:{}", &c[1], &c[2], &c[3]));
            out.push(KEY, n, time, Item::Peers { client: None, server });
            self.seq.info(n, time, InfoKind::Connected, &text, out);
            return;
        }
        let l = note.to_ascii_lowercase();
        let (kind, ends) = if l.starts_with("connection #") && l.contains("left intact") {
            // curl is done with the connection and exits; some versions still log the QUIT
            // that follows, so the session stays open to lines until the next run.
            (InfoKind::Closed, false)
        } else if l.starts_with("closing connection") {
            (InfoKind::Closed, true)
        } else if l.starts_with("ssl connection using") {
            (InfoKind::TlsStarted, false)
        } else if l.starts_with("connect to ") {
            // One address of several failed; curl tries the next.
            (InfoKind::Note, false)
        } else if l.starts_with("recv failure") || l.starts_with("send failure") {
            (InfoKind::LostConnection, false)
        } else {
            (note_kind(note), false)
        };
        if kind == InfoKind::Note {
            self.block.add(n, time, &text, &mut self.seq, out);
            return;
        }
        self.block.flush(&mut self.seq, out);
        self.seq.info(n, time, kind, &text, out);
        if ends {
            self.seq.end(n, time, out);
        }
        self.left_intact = kind == InfoKind::Closed && !ends;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_line() {
        let c = CONNECTED
            .captures("Connected to smtp.example.net (192.0.2.5) port 587 (#0)")
            .unwrap();
        assert_eq!((&c[1], &c[2], &c[3]), ("smtp.example.net", "192.0.2.5", "587"));
        assert!(CURL_NOTE.is_match("*   Trying 192.0.2.5:587..."));
        assert!(!CURL_NOTE.is_match("* a markdown bullet"));
    }
}
