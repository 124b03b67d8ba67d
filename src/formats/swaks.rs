//! swaks (Swiss Army Knife for SMTP) transcripts: every line starts with a three-character hint
//! and a space (`=== ` info, `*** ` error, ` -> ` sent, ` ~> ` sent inside TLS, `<-  ` received,
//! `<~  ` received inside TLS, `<** ` / `<~* ` an error reply, `**> ` / `*~> ` a send error).
//! One connection per run, from `=== Trying host:port...` to `=== Connection closed with remote
//! host.`; a file may hold several runs. No timestamps. AUTH payloads are shown in clear (the
//! assembler masks them).

use super::transcript::{note_kind, Sequence, KEY};
use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{InfoKind, Timestamp};

pub struct Swaks;

impl Format for Swaks {
    fn name(&self) -> &'static str {
        "swaks"
    }
    fn description(&self) -> &'static str {
        "swaks transcripts (=== / -> / <- lines, ~ inside TLS)"
    }
    fn how_to_enable(&self) -> &'static str {
        "swaks prints it on every run: swaks --to rcpt@example.net --server mail.example.net [--tls --auth-user …] 2>&1 | tee swaks.log"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        split(line.text).is_some()
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hint {
    Info,
    Error,
    Sent,
    SendError,
    Received,
    ReceivedError,
}

/// The hint and the text after it, when the line has one of swaks's prefixes.
fn split(line: &str) -> Option<(Hint, &str)> {
    // An empty sent line whose trailing space was trimmed away (` ->`) is still one.
    let hint = match line
        .get(..4)
        .or_else(|| matches!(line, " ->" | " ~>").then_some(" -> "))?
    {
        "=== " => Hint::Info,
        "*** " => Hint::Error,
        " -> " | " ~> " => Hint::Sent,
        "**> " | "*~> " => Hint::SendError,
        "<-  " | "<~  " => Hint::Received,
        "<** " | "<~* " => Hint::ReceivedError,
        _ => return None,
    };
    // Received lines carry the hint, its space, then the reply: `<-  220 …`.
    let text = line.get(4..).unwrap_or("");
    Some((hint, text.trim_end_matches(['\r', '\n'])))
}

#[derive(Default)]
struct Parser {
    seq: Sequence,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let time = line.wrapper.time;
        let Some((hint, text)) = split(line.text) else {
            out.push(KEY, n, None, Item::Unparsed(line.text.to_owned()));
            return;
        };
        match hint {
            Hint::Sent => self.seq.client(n, time, text, &mut out),
            Hint::Received | Hint::ReceivedError => self.seq.server(n, time, text, &mut out),
            Hint::Info => self.info(n, time, text, &mut out),
            Hint::Error | Hint::SendError => {
                let kind = match note_kind(text) {
                    InfoKind::Note => InfoKind::Error,
                    k => k,
                };
                self.seq.info(n, time, kind, text, &mut out);
            }
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        self.seq.finish(&mut Out { records });
    }
}

impl Parser {
    fn info(&mut self, n: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) {
        if let Some(target) = text.strip_prefix("Trying ") {
            self.seq.begin(n, time, out);
            let server = target.trim_end_matches('.').trim();
            if !server.is_empty() {
                out.push(
                    KEY,
                    n,
                    time,
                    Item::Peers {
                        client: None,
                        server: Some(server.to_owned()),
                    },
                );
            }
            self.seq.info(n, time, InfoKind::Connecting, text, out);
        } else if text.starts_with("Connected to ") {
            self.seq.info(n, time, InfoKind::Connected, text, out);
        } else if text.starts_with("TLS started") {
            self.seq.info(n, time, InfoKind::TlsStarted, text, out);
        } else if text.starts_with("Connection closed") {
            self.seq.info(n, time, InfoKind::Closed, text, out);
            self.seq.end(n, time, out);
        } else {
            self.seq.info(n, time, note_kind(text), text, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(split("<-  220 mx ready"), Some((Hint::Received, "220 mx ready")));
        assert_eq!(split(" ~> QUIT"), Some((Hint::Sent, "QUIT")));
        assert_eq!(
            split("<~* 535 5.7.8 no"),
            Some((Hint::ReceivedError, "535 5.7.8 no"))
        );
        assert_eq!(split("<- \"220 ruby\\r\\n\""), None);
        assert_eq!(split("=="), None);
    }
}
