//! msmtp `--debug` output: a configuration dump (`loaded system configuration file …`,
//! `host = …`, `port = …`) at the start of each run, then `<-- ` for every received line and
//! `--> ` for every sent one (message data included), `TLS session parameters:` and
//! `TLS certificate information:` blocks with indented details, and `msmtp: …` errors. One
//! connection per run; no timestamps; AUTH payloads in clear (the assembler masks them).

use super::transcript::{note_kind, InfoBlock, Sequence, KEY};
use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{InfoKind, Timestamp};
use regex::Regex;
use std::sync::LazyLock;

pub struct Msmtp;

/// A configuration line of the dump (`tls_trust_file = system`, `source ip = (not set)`) or
/// one of msmtp's notes about where it read the configuration.
static CONFIG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[a-z][a-z_ ]{1,30} = .*|(?:loaded|ignoring) (?:system|user) configuration file.*|using account .*|falling back to default account.*|reading recipients from .*|envelope from address extracted.*)$",
    )
    .expect("valid regex")
});

impl Format for Msmtp {
    fn name(&self) -> &'static str {
        "msmtp"
    }
    fn description(&self) -> &'static str {
        "msmtp --debug output (<-- received, --> sent, configuration dump, TLS blocks)"
    }
    fn how_to_enable(&self) -> &'static str {
        "add --debug: msmtp --debug -a default rcpt@example.net < mail.txt 2>&1 | tee msmtp.log"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let t = line.text;
        t.starts_with("<-- ")
            || t.starts_with("--> ")
            || t.starts_with("msmtp: ")
            || t.starts_with("TLS session parameters:")
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    seq: Sequence,
    block: InfoBlock,
    /// `host = …` from the dump, waiting for `port = …`.
    host: Option<String>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let time = line.wrapper.time;
        let text = line.text.trim_end_matches(['\r', '\n']);
        if text.starts_with([' ', '\t']) && self.block.is_open() {
            self.block.add(n, time, text, &mut self.seq, &mut out);
            return;
        }
        if let Some(got) = text.strip_prefix("<-- ") {
            self.block.flush(&mut self.seq, &mut out);
            self.seq.server(n, time, got, &mut out);
        } else if let Some(sent) = text.strip_prefix("--> ").or((text == "-->").then_some("")) {
            self.block.flush(&mut self.seq, &mut out);
            self.seq.client(n, time, sent, &mut out);
        } else if CONFIG.is_match(text) {
            self.config(n, time, text, &mut out);
        } else if text.starts_with("TLS session parameters:") {
            self.block
                .start(n, time, InfoKind::TlsStarted, text, &mut self.seq, &mut out);
        } else if text.starts_with("TLS certificate information:") {
            self.block
                .start(n, time, InfoKind::Note, text, &mut self.seq, &mut out);
        } else if let Some(msg) = text.strip_prefix("msmtp: ") {
            self.block.flush(&mut self.seq, &mut out);
            let kind = match note_kind(msg) {
                _ if msg.starts_with("server message:") => InfoKind::Note,
                InfoKind::Note => InfoKind::Error,
                k => k,
            };
            self.seq.info(n, time, kind, text, &mut out);
        } else {
            self.block.flush(&mut self.seq, &mut out);
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
    /// A line of the configuration dump: the first one of a run starts its session.
    fn config(&mut self, n: u64, time: Option<Timestamp>, text: &str, out: &mut Out<'_>) {
        if !self.seq.in_session || self.seq.protocol_seen {
            self.block.flush(&mut self.seq, out);
            self.seq.begin(n, time, out);
            self.host = None;
        }
        if let Some(host) = text.strip_prefix("host = ") {
            self.host = Some(host.trim().to_owned());
        } else if let (Some(port), Some(host)) = (text.strip_prefix("port = "), self.host.take()) {
            let server = Some(format!("{host}:{}", port.trim()));
            out.push(KEY, n, time, Item::Peers { client: None, server });
        }
        if self.block.is_open() {
            self.block.add(n, time, text, &mut self.seq, out);
        } else {
            self.block
                .start(n, time, InfoKind::Note, text, &mut self.seq, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines() {
        for l in [
            "host = smtp.example.net",
            "tls_trust_file = system",
            "source ip = (not set)",
            "loaded system configuration file /etc/msmtprc",
            "using account default from /etc/msmtprc",
        ] {
            assert!(CONFIG.is_match(l), "{l}");
        }
        assert!(!CONFIG.is_match("<-- 250 = ok"));
        assert!(!CONFIG.is_match("msmtp: could not send mail"));
    }
}
