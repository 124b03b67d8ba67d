//! Perl Net::SMTP debug output (`Debug => 1`, printed by Net::Cmd): `Net::SMTP=GLOB(0x…)>>> `
//! for what Perl sent and `…<<< ` for what it received. The GLOB address names the connection
//! object, so it is the session id (after STARTTLS the class becomes `Net::SMTP::_SSL`, the
//! address stays). Lines without an address (`Net::SMTP>>> Net::SMTP(3.15)`, older
//! `Net::SMTP: Net::SMTP(2.31)`) list module versions and join the next connection.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_reply_line, InfoKind};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

pub struct PerlNetSmtp;

static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Net::SMTP[\w:]*(?:=GLOB\((0x[0-9A-Fa-f]+)\))?(>>>|<<<|:) ?(.*)$").expect("valid regex")
});

impl Format for PerlNetSmtp {
    fn name(&self) -> &'static str {
        "perl-net-smtp"
    }
    fn description(&self) -> &'static str {
        "Perl Net::SMTP debug output (Net::SMTP=GLOB(0x…)>>> sent, <<< received)"
    }
    fn how_to_enable(&self) -> &'static str {
        "Net::SMTP->new($host, Debug => 1) (or $smtp->debug(1)); it prints to STDERR: perl send.pl 2> smtp.log"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        ENTRY
            .captures(line.text)
            .is_some_and(|c| c.get(1).is_some() || &c[2] != ":")
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    /// Connections seen: their first line begins a session.
    seen: HashSet<String>,
    /// Connections whose server said `221`/`421`: their next line is a new connection.
    done: HashSet<String>,
    /// Version lines waiting for the next connection.
    held: Vec<(u64, String)>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let n = line.number;
        let time = line.wrapper.time;
        let text = line.text.trim_end_matches(['\r', '\n']);
        let Some(c) = ENTRY.captures(text) else {
            out.push("", n, None, Item::Unparsed(text.to_owned()));
            return;
        };
        let Some(key) = c.get(1).map(|m| m.as_str().to_ascii_lowercase()) else {
            self.held.push((n, text.to_owned()));
            return;
        };
        let body = c.get(3).map_or("", |m| m.as_str());
        if self.seen.insert(key.clone()) || self.done.remove(&key) {
            out.push(&key, n, time, Item::Begin);
            for (line, note) in std::mem::take(&mut self.held) {
                out.push(&key, line, None, Item::Info(InfoKind::Note, note));
            }
        }
        match &c[2] {
            ">>>" => out.push(&key, n, time, Item::Client(body.to_owned())),
            "<<<" => {
                if parse_reply_line(body).is_some_and(|r| !r.more && matches!(r.code, 221 | 421)) {
                    self.done.insert(key.clone());
                }
                out.push(&key, n, time, Item::Server(body.to_owned()));
            }
            _ => out.push(&key, n, time, Item::Info(InfoKind::Note, text.to_owned())),
        }
    }

    fn finish(&mut self, records: &mut Vec<Record>) {
        for (line, note) in std::mem::take(&mut self.held) {
            records.push(Record {
                key: Default::default(),
                line,
                time: None,
                item: Item::Unparsed(note),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        let c = ENTRY
            .captures("Net::SMTP=GLOB(0x55d1c3a0e2b8)>>> EHLO build.example.org")
            .unwrap();
        assert_eq!(
            (&c[1], &c[2], &c[3]),
            ("0x55d1c3a0e2b8", ">>>", "EHLO build.example.org")
        );
        let c = ENTRY
            .captures("Net::SMTP::_SSL=GLOB(0x55d1c3a0e2b8)<<< 250 ok")
            .unwrap();
        assert_eq!((&c[1], &c[2]), ("0x55d1c3a0e2b8", "<<<"));
        let c = ENTRY.captures("Net::SMTP>>>   Net::Cmd(3.15)").unwrap();
        assert!(c.get(1).is_none());
        assert!(ENTRY.captures("Net::SMTP: Net::SMTP(2.31)").is_some());
    }
}
