//! Pasted manual sessions: telnet, nc, `openssl s_client` (also `-starttls smtp`) and other
//! dumps with no direction markers. A line in reply grammar is the server's; anything else
//! shaped like a command is the client's, and after `354` every line up to the lone `.` is
//! message data. The tools' own framing lines (`Trying 192.0.2.1...`, `Connected to host.`,
//! `Escape character is '^]'.`, `Connection closed by foreign host.`, `CONNECTED(00000003)`)
//! become notes; openssl's certificate and session dumps become one note per block. A shell
//! prompt running one of these tools starts a session and names the server.
//!
//! This grammar matches lines of many other formats, so it is a fallback: detection picks it
//! only when no specific format matched (see [`Format::fallback`]).

use super::transcript::{note_kind, ContentDirection, InfoBlock, Said, Sequence, KEY};
use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_reply_line, InfoKind, Step, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct Manual;

/// `$ telnet mail.example.net 25`, `user@box:~$ openssl s_client -connect h:587 …`.
static PROMPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\S*[$#%>] ?)?(telnet|nc|ncat|netcat|openssl s_client|socat)\s+(.*)$")
        .expect("valid regex")
});

/// openssl s_client's report lines (certificate chain, handshake, session parameters).
const OPENSSL_DUMP: &[&str] = &[
    "depth=",
    "verify return:",
    "verify error:",
    "---",
    "Certificate chain",
    "Server certificate",
    "-----BEGIN ",
    "-----END ",
    "subject=",
    "issuer=",
    "No client certificate CA names sent",
    "Acceptable client certificate CA names",
    "Client certificate types:",
    "Requested Signature Algorithms:",
    "Shared Requested Signature Algorithms:",
    "Peer signing digest:",
    "Peer signature type:",
    "Server Temp Key:",
    "Negotiated TLS1.3 group:",
    "SSL handshake has read",
    "Verification:",
    "Verification error:",
    "New, ",
    "Server public key is",
    "Secure Renegotiation",
    "Compression:",
    "Expansion:",
    "No ALPN negotiated",
    "ALPN protocol:",
    "Early data was not sent",
    "Verify return code:",
    "SSL-Session:",
    "Post-Handshake New Session Ticket arrived:",
    "didn't find starttls in server response",
    "read R BLOCK",
];

impl Format for Manual {
    fn name(&self) -> &'static str {
        "manual"
    }
    fn description(&self) -> &'static str {
        "pasted telnet / nc / openssl s_client sessions (raw commands and replies; chosen only when no other format matches)"
    }
    fn how_to_enable(&self) -> &'static str {
        "copy the terminal of a manual session: telnet mail.example.net 25, nc mail.example.net 25, or openssl s_client -starttls smtp -connect mail.example.net:587 -crlf"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let t = line.text;
        parse_reply_line(t).is_some()
            || Step::is_known_command(t)
            || t.starts_with("CONNECTED(")
            || t.starts_with("Escape character is ")
            || t.starts_with("Connection closed by foreign host")
            || PROMPT.is_match(t)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
    fn fallback(&self) -> bool {
        true
    }
}

#[derive(Default)]
struct Parser {
    seq: Sequence,
    dir: ContentDirection,
    block: InfoBlock,
    /// Between `-----BEGIN` and `-----END`: base64 lines of a certificate.
    in_pem: bool,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let time = line.wrapper.time;
        let text = line.text.trim_end_matches(['\r', '\n']);
        if self.dir.in_data() {
            // Everything the user typed after 354, up to the lone dot.
            self.block.flush(&mut self.seq, &mut out);
            self.dir.classify(text, true);
            self.seq.client(n, time, text, &mut out);
            return;
        }
        if self.dump_line(n, time, text, &mut out) {
            return;
        }
        self.block.flush(&mut self.seq, &mut out);
        if self.framing(n, time, text, &mut out) {
            return;
        }
        match self.dir.classify(text, true) {
            Said::Server => self.seq.server(n, time, text, &mut out),
            Said::Client => self.seq.client(n, time, text, &mut out),
            Said::Unknown => out.push(KEY, n, None, Item::Unparsed(text.to_owned())),
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        let mut out = Out { records };
        self.block.flush(&mut self.seq, &mut out);
        self.seq.finish(&mut out);
    }
}

impl Parser {
    /// A line of an openssl dump: kept in the current note block.
    fn dump_line(&mut self, n: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) -> bool {
        let indented = text.starts_with([' ', '\t']) && self.block.is_open();
        if !(self.in_pem || indented || OPENSSL_DUMP.iter().any(|p| text.starts_with(p))) {
            return false;
        }
        if text.starts_with("-----BEGIN ") {
            self.in_pem = true;
        } else if text.starts_with("-----END ") {
            self.in_pem = false;
        }
        self.seq.ensure(n, time, out);
        self.block.add(n, time, text, &mut self.seq, out);
        if text.starts_with("New, TLS") || text.starts_with("SSL handshake has read") {
            self.block.set_kind(InfoKind::TlsStarted);
        }
        true
    }

    /// The tools' own lines around the conversation.
    fn framing(&mut self, n: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) -> bool {
        if let Some(c) = PROMPT.captures(text) {
            self.start(n, time, out);
            if let Some(server) = target(&c[1], &c[2]) {
                out.push(
                    KEY,
                    n,
                    time,
                    Item::Peers {
                        client: None,
                        server: Some(server),
                    },
                );
            }
            self.seq.info(n, time, InfoKind::Connecting, text, out);
            return true;
        }
        if text.starts_with("Trying ") && text.ends_with("...") {
            if !self.seq.in_session || self.seq.protocol_seen {
                self.start(n, time, out);
            }
            self.seq.info(n, time, InfoKind::Connecting, text, out);
            return true;
        }
        if text.starts_with("CONNECTED(") {
            if !self.seq.in_session || self.seq.protocol_seen {
                self.start(n, time, out);
            }
            self.seq.info(n, time, InfoKind::Connected, text, out);
            return true;
        }
        if let Some(host) = text.strip_prefix("Connected to ").filter(|_| text.ends_with('.')) {
            self.seq.ensure(n, time, out);
            let server = Some(host.trim_end_matches('.').to_owned());
            out.push(KEY, n, time, Item::Peers { client: None, server });
            self.seq.info(n, time, InfoKind::Connected, text, out);
            return true;
        }
        let kind = if text.starts_with("Escape character is ") || text.starts_with("telnet> ") || text == "^]"
        {
            InfoKind::Note
        } else if text.starts_with("Connection to ") && text.ends_with("succeeded!") {
            InfoKind::Connected
        } else if text.starts_with("Connection closed") || matches!(text, "DONE" | "closed" | "read:errno=0")
        {
            InfoKind::Closed
        } else if text.contains(":error:") && text.contains("SSL routines") {
            InfoKind::TlsFailed
        } else if text.starts_with("connect:errno=") {
            InfoKind::ConnectFailed
        } else if ["telnet: ", "nc: ", "ncat: ", "socat"]
            .iter()
            .any(|p| text.starts_with(p))
            || text == "RENEGOTIATING"
        {
            note_kind(text)
        } else {
            return false;
        };
        self.seq.info(n, time, kind, text, out);
        if kind == InfoKind::Closed {
            self.seq.end(n, time, out);
        }
        true
    }

    fn start(&mut self, n: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        self.seq.begin(n, time, out);
        self.dir.reset();
        self.in_pem = false;
    }
}

/// The server a prompt's command line names: `host port` for telnet/nc, `-connect host:port`
/// for openssl.
fn target(tool: &str, args: &str) -> Option<String> {
    let words: Vec<&str> = args.split_whitespace().collect();
    if tool == "openssl s_client" {
        let at = words.iter().position(|w| *w == "-connect")?;
        return words.get(at + 1).map(|s| (*s).to_owned());
    }
    let plain: Vec<&str> = words.into_iter().filter(|w| !w.starts_with('-')).collect();
    match plain[..] {
        [host, port, ..] if port.bytes().all(|b| b.is_ascii_digit()) => Some(format!("{host}:{port}")),
        [host, ..] => Some(host.to_owned()),
        [] => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_targets() {
        assert_eq!(
            target("telnet", "mx.example.net 25").as_deref(),
            Some("mx.example.net:25")
        );
        assert_eq!(
            target("nc", "-C smtp.example.org 587").as_deref(),
            Some("smtp.example.org:587")
        );
        assert_eq!(
            target(
                "openssl s_client",
                "-starttls smtp -connect smtp.example.net:587 -crlf"
            )
            .as_deref(),
            Some("smtp.example.net:587")
        );
        assert_eq!(target("openssl s_client", "-quiet"), None);
        let c = PROMPT.captures("user@desk:~$ telnet mx.example.net 25").unwrap();
        assert_eq!(&c[1], "telnet");
    }
}
