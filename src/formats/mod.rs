//! Log formats: each file teaches one log's grammar by implementing [`Format`]. A format turns
//! lines into [`Record`]s keyed by session; [`crate::assemble`] builds sessions from them, so
//! formats never decide status, pairing or masking.

use crate::model::{InfoKind, Timestamp};
use crate::wrapper::Wrapper;

pub mod csv;
pub mod curl;
pub mod exchange;
pub mod exim;
pub mod exim_debug;
pub mod fourd;
pub mod haraka;
pub mod hmailserver;
pub mod iis_smtp;
pub mod javamail;
pub mod mailenable;
pub mod mailkit;
pub mod manual;
pub mod mdaemon;
pub mod msmtp;
pub mod nodemailer;
pub mod opensmtpd;
pub mod outlook_express;
pub mod perl_net_smtp;
pub mod phpmailer;
pub mod postfix;
pub mod ruby_net_smtp;
pub mod sendmail;
pub mod smartermail_delivery;
pub mod smartermail_smtp;
pub mod smtplib;
pub mod stalwart;
pub mod swaks;
pub mod transcript;

/// One input line after wrapper stripping.
#[derive(Clone, Debug)]
pub struct InputLine<'a> {
    /// 1-based line number in the source.
    pub number: u64,
    /// The native text, wrapper removed, line ending removed.
    pub text: &'a str,
    pub wrapper: Wrapper<'a>,
}

/// A session key: short (a pid, a queue id, a connection id), so it is kept inline without
/// an allocation; a big log has one record per line, each with its key.
pub type Key = compact_str::CompactString;

/// What a format reads out of a line. Several may come from one line (run-together entries).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Groups records into sessions: the log's connection id, a pid, or a constant for logs
    /// that hold one session after another.
    pub key: Key,
    pub line: u64,
    pub time: Option<Timestamp>,
    pub item: Item,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A new connection starts under this key; a session still open under it is ended.
    Begin,
    /// A line the client sent (command, credentials or message data: the assembler decides).
    Client(String),
    /// One line the server sent; `250-…` lines are joined with the following ones.
    Server(String),
    /// More text for the server reply before it, with no code of its own (unprefixed
    /// continuation lines).
    ServerMore(String),
    /// A server reply whose command the log names but does not show (summary logs:
    /// `NOQUEUE: reject: RCPT from …: 554 5.7.1 …`). Text starts with the reply code.
    ServerFor(crate::model::Step, String),
    /// A refusal a server log reports without quoting its reply (Exim `rejected RCPT <x>:
    /// reason`): the format knows which command was refused and the code the server sends for
    /// that wording, the text stays as logged. Counts for status like a reply with that code.
    Refused(crate::model::Step, u16, String),
    /// A note from the program that wrote the log.
    Info(InfoKind, String),
    /// A note that quotes credentials (Exim's debug echo of decoded AUTH data): the whole
    /// text is a secret, masked unless the user asks to reveal.
    Secret(InfoKind, String),
    /// A note that may arrive after the connection ended (a delivery result logged later:
    /// Postfix `status=sent`, Exim `=>`). Attaches to the last session under this key, ended
    /// or not; the format must therefore use keys that are unique per connection.
    Late(InfoKind, String),
    /// Who is talking, when the log says so.
    Peers {
        client: Option<String>,
        server: Option<String>,
    },
    /// An explicit session id learned after the session began (it replaces a generated one).
    Id(String),
    /// The connection ended.
    End,
    /// A line this format recognises as its own but cannot interpret.
    Unparsed(String),
    /// A line the format read but that adds nothing to the conversation (a repeated summary of
    /// a reply, a header). The pipeline sends it for every line a parser returns no record
    /// for, so the line is still accounted for in a session (see [`crate::assemble`]).
    Skipped(String),
}

/// Builds records from a parser; keeps the push calls short.
pub struct Out<'v> {
    pub records: &'v mut Vec<Record>,
}

impl Out<'_> {
    pub fn push(&mut self, key: &str, line: u64, time: Option<Timestamp>, item: Item) {
        self.records.push(Record {
            key: key.into(),
            line,
            time,
            item,
        });
    }
}

/// One log format: how to recognise it and how to read it.
pub trait Format: Sync {
    /// Short name used by `--format` and in output (`4d`, `phpmailer`, …).
    fn name(&self) -> &'static str;
    /// One line: what writes this log.
    fn description(&self) -> &'static str;
    /// How to turn this log on in the software that writes it.
    fn how_to_enable(&self) -> &'static str;
    /// True when the line is unmistakably this format. Detection counts hits over the first
    /// lines of a file, so one odd line does not decide.
    fn detect(&self, line: &InputLine<'_>) -> bool;
    /// A fresh parser; parsers may keep state between lines (dates from headers, pending ids).
    fn parser(&self) -> Box<dyn LineParser>;
    /// True for a catch-all grammar (pasted raw sessions) whose signature also matches lines of
    /// other formats: it is chosen only when no other format matched any line, and only with
    /// at least [`FALLBACK_MIN_HITS`] hits.
    fn fallback(&self) -> bool {
        false
    }
    /// True when a session parses the same from its own lines alone as in its file, so the
    /// viewer may keep a big log's sessions compactly and read them back when shown (see
    /// `crate::reread`). False for logs whose lines lean on earlier context, such as a date
    /// written once in a header.
    fn reads_back_alone(&self) -> bool {
        true
    }
}

/// Hits a fallback format needs before it is chosen (a greeting, a command and a reply).
pub const FALLBACK_MIN_HITS: usize = 3;

/// Reads lines of one source in order.
pub trait LineParser: Send {
    fn parse(&mut self, line: &InputLine<'_>, out: &mut Vec<Record>);
    /// The year to assume for dates the log writes without one (`--year`, else the file's
    /// modification year). Called once, before the first line.
    fn set_year(&mut self, _year: i32) {}
    /// Called at the end of the input (or before a live source pauses) to flush held state.
    fn finish(&mut self, _out: &mut Vec<Record>) {}
    /// True when the parser may emit a line's records only while reading later lines (it holds
    /// lines until it knows their session). The pipeline then does not mark lines that yielded
    /// no record yet as [`Item::Skipped`]: the parser accounts for every line itself.
    fn holds_lines(&self) -> bool {
        false
    }
    /// From now on (`true`) the sessions only become compact rows, read back from the file
    /// when shown: a note ([`Item::Info`], or an [`Item::Late`] that quotes no reply code) may
    /// come with empty text, since only the transcript reads it and reading back makes the
    /// transcript again. Status, codes, ids and lines must come out the same. A parser may
    /// ignore this; the text it saves is copied on one thread and freed on the other for
    /// nearly every line of a big log.
    fn notes_without_text(&mut self, _yes: bool) {}
}

/// Feeds `lines` (numbered from 1, no wrapper) to `parser` and returns what it recorded: the
/// formats' unit tests look at records before the assembler sees them.
#[cfg(test)]
pub(crate) fn parse_lines(parser: &mut dyn LineParser, lines: &[&str]) -> Vec<Record> {
    let mut out = Vec::new();
    for (i, text) in lines.iter().enumerate() {
        let line = InputLine {
            number: i as u64 + 1,
            text,
            wrapper: Wrapper::default(),
        };
        parser.parse(&line, &mut out);
    }
    out
}

/// Every format smtpscope knows, in detection priority order (more specific first).
pub fn all() -> &'static [&'static dyn Format] {
    &[
        &fourd::FourD,
        &smartermail_smtp::SmarterMailSmtp,
        &smartermail_delivery::SmarterMailDelivery,
        &outlook_express::OutlookExpress,
        &postfix::Postfix,
        &phpmailer::PhpMailer,
        &smtplib::Smtplib,
        &exim::Exim,
        &exim_debug::EximDebug,
        &exchange::ExchangeReceive,
        &exchange::ExchangeSend,
        &iis_smtp::IisSmtp,
        &swaks::Swaks,
        &mailkit::MailKit,
        &nodemailer::Nodemailer,
        &javamail::JavaMail,
        &curl::Curl,
        &msmtp::Msmtp,
        &ruby_net_smtp::RubyNetSmtp,
        &perl_net_smtp::PerlNetSmtp,
        &hmailserver::HMailServer,
        &haraka::Haraka,
        &opensmtpd::OpenSmtpd,
        &sendmail::Sendmail,
        &mailenable::MailEnable,
        &stalwart::Stalwart,
        &mdaemon::MDaemon,
        // Last: the catch-all for pasted telnet/openssl sessions.
        &manual::Manual,
    ]
}

/// Finds a format by its `--format` name.
pub fn by_name(name: &str) -> Option<&'static dyn Format> {
    all()
        .iter()
        .copied()
        .find(|f| f.name().eq_ignore_ascii_case(name))
}

/// Picks the format with the most signature hits over `lines`; ties go to the earlier format.
/// `None` when no line matched any format.
/// Fallback formats (see [`Format::fallback`]) count only when no other format matched.
pub fn detect(lines: &[InputLine<'_>]) -> Option<&'static dyn Format> {
    let mut best: Option<(&'static dyn Format, usize)> = None;
    for fallback in [false, true] {
        for f in all().iter().filter(|f| f.fallback() == fallback) {
            let hits = lines.iter().filter(|l| f.detect(l)).count();
            let enough = if fallback { FALLBACK_MIN_HITS } else { 1 };
            if hits >= enough && best.is_none_or(|(_, b)| hits > b) {
                best = Some((*f, hits));
            }
        }
        if best.is_some() {
            break;
        }
    }
    best.map(|(f, _)| f)
}

/// Splits run-together reply lines (`250-a250-b250 c`, as web viewers and PHPMailer's html
/// mode print them) back into lines. Only splits before a code that repeats the first line's
/// code followed by `-` (or by a space after a letter), so most digits inside the text stay put.
pub fn split_run_together(reply: &str) -> Vec<&str> {
    let b = reply.as_bytes();
    if b.len() < 8 || !b[..3].iter().all(u8::is_ascii_digit) || b[3] != b'-' {
        return vec![reply];
    }
    let code = &reply[..3];
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 4;
    while i + 4 <= b.len() {
        if &b[i..i + 3] == code.as_bytes()
            && i > start
            && (b[i + 3] == b'-'
                || (b[i + 3] == b' ' && !b[i - 1].is_ascii_digit() && !b[i - 1].is_ascii_whitespace()))
        {
            parts.push(&reply[start..i]);
            start = i;
            i += 4;
            continue;
        }
        i += 1;
    }
    parts.push(&reply[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resplits_ehlo_lists() {
        let parts = split_run_together(
            "250-mail.example Hello [1.2.3.4]250-SIZE 31457280250-AUTH LOGIN CRAM-MD5250-8BITMIME250 OK",
        );
        assert_eq!(
            parts,
            vec![
                "250-mail.example Hello [1.2.3.4]",
                "250-SIZE 31457280",
                "250-AUTH LOGIN CRAM-MD5",
                "250-8BITMIME",
                "250 OK"
            ]
        );
        assert_eq!(split_run_together("250 OK 250 times"), vec!["250 OK 250 times"]);
    }
}
