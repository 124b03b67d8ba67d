//! Postfix maillog (syslog, `maillog_file`/postlog, journald, docker): `smtpd` connections
//! bounded by `connect from` / `disconnect from` (pids are reused, so every connection gets its
//! own key), `postscreen` connections, outbound `smtp`/`lmtp` delivery attempts, and the queue-id
//! lines (`cleanup`, `qmgr`, `local`…) that tie a message to the connection that received it,
//! often after that connection ended ([`Item::Late`]). Verbose (`debug_peer_list`) `<`/`>` chat
//! lines become the transcript.
//!
//! The per-line path looks at the syslog tag first (`wrapper.program`), then matches bytes; it
//! allocates only for the records it emits.

/// A substring searcher built once per needle: `memmem::find` builds one on every call, which
/// costs more than the search itself on a short log line.
macro_rules! finder {
    ($needle:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*FINDER
    }};
}

/// As `finder!`, searching from the end.
macro_rules! rfinder {
    ($needle:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::FinderRev<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::FinderRev::new($needle));
        &*FINDER
    }};
}

mod delivery;
mod postscreen;
mod smtpd;
mod text;

use super::{Format, InputLine, Item, LineParser, Record};
use crate::fasthash::FastMap;
use crate::model::Timestamp;

pub struct Postfix;

impl Format for Postfix {
    fn name(&self) -> &'static str {
        "postfix"
    }
    fn description(&self) -> &'static str {
        "Postfix maillog (syslog, maillog_file/postlog, journald): smtpd and postscreen connections, smtp/lmtp delivery attempts, queue ids, debug_peer_list transcripts"
    }
    fn how_to_enable(&self) -> &'static str {
        "on by default (syslog mail.* → /var/log/maillog or mail.log; or maillog_file = /var/log/postfix.log, Postfix 3.4+, for containers); transcripts: debug_peer_list = <client or server host>; TLS details: smtpd_tls_loglevel = 1 and smtp_tls_loglevel = 1"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let Some(program) = line.wrapper.program else {
            return false;
        };
        line.wrapper.pid.is_some()
            && program.starts_with("postfix")
            && matches!(
                service_of(program),
                Some(
                    "smtpd"
                        | "smtp"
                        | "lmtp"
                        | "cleanup"
                        | "qmgr"
                        | "postscreen"
                        | "pickup"
                        | "local"
                        | "bounce"
                )
            )
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// `smtpd` in `postfix/submission/smtpd`; `None` for tags without a `/` (cron, sshd, dovecot).
fn service_of(program: &str) -> Option<&str> {
    // A byte loop: `rfind('/')` set up a char searcher for every line (4 % of parsing).
    let slash = program.bytes().rposition(|b| b == b'/')?;
    Some(&program[slash + 1..])
}

/// Pushes records for one input line: its number and time, and masking of unparsed text.
struct Emit<'r> {
    records: &'r mut Vec<Record>,
    line: u64,
    time: Option<Timestamp>,
    /// Notes go without their text (see [`LineParser::notes_without_text`]).
    bare_notes: bool,
}

impl Emit<'_> {
    /// The text of a note ([`Item::Info`]): the line, unless notes go without text.
    fn note(&self, text: &str) -> String {
        self.note_made(|| text.to_owned())
    }

    /// As [`Emit::note`], for a text that has to be written.
    fn note_made(&self, make: impl FnOnce() -> String) -> String {
        if self.bare_notes {
            String::new()
        } else {
            make()
        }
    }

    /// The text of a late note ([`Item::Late`]): the line, unless notes go without text and
    /// no reply code can be read from it. The assembler reads a late note's code from its text
    /// ([`crate::assemble::prepare`]), so a note with one keeps it; the others (`removed`,
    /// `message-id=`, `from=<…>`: most of a big log's queue lines) are neither copied nor
    /// freed on another thread.
    fn late_note(&self, text: &str) -> String {
        if self.bare_notes && crate::assemble::find_reply_code(text).is_none() {
            String::new()
        } else {
            text.to_owned()
        }
    }

    fn push(&mut self, key: &str, item: Item) {
        self.records.push(Record {
            key: key.into(),
            line: self.line,
            time: self.time,
            item,
        });
    }

    /// A line that belongs to no session; SASL payloads in verbose debug lines are hidden.
    fn unparsed(&mut self, text: &str) {
        let text = text::mask_debug_secrets(text).into_owned();
        self.records.push(Record {
            key: Default::default(),
            line: self.line,
            time: self.time,
            item: Item::Unparsed(text),
        });
    }
}

/// `postfix/smtpd[4242]`-style key stem, `name[pid]`.
fn proc_key(name: &str, pid: Option<u32>) -> String {
    let mut digits = itoa::Buffer::new();
    let pid = digits.format(pid.unwrap_or(0));
    // With room for the `#n` that [`Parser::new_key`] appends when the pid is reused, as it
    // is for most connections of a big log: appending reallocated the key every time.
    let mut key = String::with_capacity(name.len() + pid.len() + 2 + REUSE_SUFFIX_MAX);
    key.push_str(name);
    key.push('[');
    key.push_str(pid);
    key.push(']');
    key
}

/// The longest `#n` suffix of a reused key: `#` and the ten digits of a `u32`.
const REUSE_SUFFIX_MAX: usize = 11;

/// The parts one after another. Keys and notes are written for every connection of a big
/// log, and `format!` (with its number formatting) cost several times as much.
fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    parts.iter().for_each(|p| s.push_str(p));
    s
}

/// Identifies one process (host, syslog tag, pid) without allocating.
type ProcId = u64;

fn proc_id(line: &InputLine<'_>) -> ProcId {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fasthash::FastHasher::default();
    line.wrapper.host.hash(&mut h);
    line.wrapper.program.hash(&mut h);
    line.wrapper.pid.hash(&mut h);
    h.finish()
}

/// Steps known to have failed in a connection, so the disconnect counters add nothing twice.
#[derive(Default, Clone, Copy)]
struct Failed {
    auth: bool,
    mail: bool,
    rcpt: bool,
    data: bool,
}

/// An `smtpd` connection between `connect from` and `disconnect from`.
struct Inbound {
    key: String,
    /// Verbose `<`/`>` lines were seen: the transcript decides, not the counters.
    transcript: bool,
    /// Messages known to be queued (qmgr saw them) while the connection was open.
    accepted: u32,
    auth_ok: bool,
    failed: Failed,
}

/// The current delivery attempt (one connection) of an `smtp`/`lmtp` process.
struct Outbound {
    key: String,
    /// `name[ip]` of the server, without the port.
    server: Option<String>,
    qid: Option<String>,
    /// A `to=… status=` line was seen: a connection-level line after it is a new connection.
    has_status: bool,
    /// Verbose chat lines were seen: the transcript decides.
    verbose: bool,
    /// 0: no QUIT yet; 1: QUIT sent; 2: QUIT answered (the connection is over).
    quit: u8,
    /// The remote's reply to the end of data was already shown (one per attempt).
    data_end_shown: bool,
    connect_failed: bool,
    /// An End was sent (after a recipient line without a transcript): later lines of this
    /// attempt can only be late notes.
    ended: bool,
    /// The last line that added to this attempt (where [`LineParser::finish`] ends it).
    last_line: u64,
}

/// What is known about a queue id: the connection that received it, the last delivery attempt.
#[derive(Default)]
struct Queued {
    inbound: Option<(String, ProcId)>,
    outbound: Option<String>,
}

#[derive(Default)]
struct Parser {
    inbound: FastMap<ProcId, Inbound>,
    outbound: FastMap<ProcId, Outbound>,
    /// postscreen connections by client `[ip]:port`.
    postscreen: FastMap<String, String>,
    queue: FastMap<String, Queued>,
    /// A pre-connect warning per smtpd process, waiting for the `connect from` it precedes.
    held: FastMap<ProcId, Record>,
    key_uses: FastMap<String, u32>,
    bare_notes: bool,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut e = Emit {
            records,
            line: line.number,
            time: line.wrapper.time,
            bare_notes: self.bare_notes,
        };
        let Some(program) = line.wrapper.program else {
            e.unparsed(line.text);
            return;
        };
        let Some(service) = service_of(program) else {
            e.unparsed(line.text);
            return;
        };
        let name = program.strip_prefix("postfix/").unwrap_or(program);
        match service {
            "smtpd" => self.smtpd(line, name, &mut e),
            "smtp" | "lmtp" => self.outbound_line(line, name, &mut e),
            "postscreen" => self.postscreen_line(line, name, &mut e),
            _ => self.queue_line(line, service, &mut e),
        }
    }

    /// Delivery attempts log nothing after their last recipient line, so the ones still
    /// current end here; `smtpd` connections without a `disconnect` stay open.
    fn holds_lines(&self) -> bool {
        true
    }

    fn notes_without_text(&mut self, yes: bool) {
        self.bare_notes = yes;
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        self.release_all_held(&mut Emit {
            records,
            line: 0,
            time: None,
            bare_notes: self.bare_notes,
        });
        let mut open: Vec<Outbound> = self
            .outbound
            .drain()
            .map(|(_, o)| o)
            .filter(|o| !o.ended)
            .collect();
        open.sort_by_key(|o| o.last_line);
        for o in open {
            records.push(Record {
                key: o.key.into(),
                line: o.last_line,
                time: None,
                item: Item::End,
            });
        }
    }
}

impl Parser {
    /// A key no earlier connection used: `smtpd[4242]`, then `smtpd[4242]#2` when the pid is
    /// reused, so late lines reach the right connection.
    fn new_key(&mut self, base: String) -> String {
        // A pid is reused thousands of times in a big log: look it up without a copy, and
        // write the number onto the base itself.
        let n = match self.key_uses.get_mut(base.as_str()) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => {
                self.key_uses.insert(base.clone(), 1);
                1
            }
        };
        let mut key = base;
        if n > 1 {
            key.push('#');
            key.push_str(itoa::Buffer::new().format(n));
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrapper;

    fn input(raw: &str) -> (wrapper::Wrapper<'_>, &str) {
        wrapper::strip(raw, 2026)
    }

    /// Records of `lines`, with notes written with or without their text.
    fn records_of(lines: &[&str], bare: bool) -> Vec<Record> {
        let mut parser = Postfix.parser();
        parser.notes_without_text(bare);
        let mut out = Vec::new();
        for (i, raw) in lines.iter().enumerate() {
            let (wrapper, text) = input(raw);
            let line = InputLine {
                number: i as u64 + 1,
                text,
                wrapper,
            };
            parser.parse(&line, &mut out);
        }
        parser.finish(&mut out);
        out
    }

    /// Without note texts the records are the same but for the notes' text, and every late
    /// note still gives the assembler the reply code it quotes (a deferred recipient of an
    /// attempt that already ended decides its session by that code).
    #[test]
    fn notes_without_text_keep_the_codes_they_quote() {
        let crafted = [
            "Nov 22 10:10:00 mx1 postfix/smtp[5301]: 9A8B7C6D5E: to=<a@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1F2E3D)",
            "Nov 22 10:10:01 mx1 postfix/smtp[5301]: 9A8B7C6D5E: to=<b@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.2.2, status=deferred (host mx.example.net[203.0.113.25] said: 452 4.2.2 <b@example.net>: mailbox full (in reply to RCPT TO command))",
            "Nov 22 10:10:02 mx1 postfix/qmgr[5000]: 9A8B7C6D5E: removed",
        ];
        let samples = [
            include_str!("../../../sample-logs/postfix-maillog.log"),
            include_str!("../../../sample-logs/postfix-verbose.log"),
        ];
        let lines: Vec<&str> = samples.iter().flat_map(|s| s.lines()).chain(crafted).collect();
        let (full, bare) = (records_of(&lines, false), records_of(&lines, true));
        assert_eq!(full.len(), bare.len());
        let mut coded = 0;
        for (f, b) in full.iter().zip(&bare) {
            assert_eq!((&f.key, f.line, f.time), (&b.key, b.line, b.time));
            match (&f.item, &b.item) {
                (Item::Info(fk, _), Item::Info(bk, _)) => assert_eq!(fk, bk),
                (Item::Late(fk, _), Item::Late(bk, _)) => {
                    assert_eq!(fk, bk);
                    let code = crate::assemble::prepare(&f.item).code();
                    assert_eq!(code, crate::assemble::prepare(&b.item).code(), "line {}", f.line);
                    coded += usize::from(code.is_some());
                }
                (f, b) => assert_eq!(f, b),
            }
        }
        assert!(coded >= 3, "{coded} late notes with a code");
        // Queue lines (`removed`, `message-id=`, `from=<…>`) quote no code: they go without text.
        let emptied = bare
            .iter()
            .filter(|r| matches!(&r.item, Item::Late(_, t) if t.is_empty()))
            .count();
        assert!(emptied > 10, "{emptied} late notes without text");
    }

    #[test]
    fn detects_postfix_tags_only() {
        let yes = [
            "Nov 22 10:00:01 mx1 postfix/smtpd[4242]: connect from a[192.0.2.1]",
            "Nov 02 10:00:01 mx1 postfix/submission/smtpd[4242]: connect from a[192.0.2.1]",
            "Nov 22 10:00:01 mx1 postfix-out/smtp[77]: 4F1C2D3E4A: to=<a@b>, relay=none, status=deferred (x)",
        ];
        let no = [
            "Nov 22 10:00:01 mx1 sshd[99]: Accepted publickey for root",
            "Nov 22 10:00:01 mx1 dovecot: imap-login: Login: user=<a>",
            "Nov 22 10:00:01 mx1 postfix/master[1]: daemon started",
        ];
        for (raw, want) in yes.iter().map(|l| (l, true)).chain(no.iter().map(|l| (l, false))) {
            let (wrapper, text) = input(raw);
            let line = InputLine {
                number: 1,
                text,
                wrapper,
            };
            assert_eq!(Postfix.detect(&line), want, "{raw}");
        }
    }
}
