//! MailEnable SMTP activity log (`SMTP-Activity-YYMMDD.log`): TAB-separated, one line per
//! command **with** its reply: `MM/dd/yy HH:mm:ss TAB SMTP-IN|SMTP-OU TAB message-file TAB
//! connection TAB ip TAB verb TAB arguments TAB reply TAB bytes-out TAB bytes-in [TAB account]`.
//! `SMTP-IN` lines are inbound connections (MailEnable the server, `ip` the client), `SMTP-OU`
//! outbound ones (MailEnable the client, `ip` the remote server); both show the client's
//! command then the server's reply. The greeting has an empty verb. Sessions are keyed by the
//! service and connection number. AUTH lines carry base64 credentials in the arguments.

use super::{split_run_together, Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::{FastMap, FastSet};
use crate::model::{parse_hms_frac, InfoKind, Timestamp};
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

pub struct MailEnable;

static SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{2}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\tSMTP-(IN|OU)\t")
        .expect("valid regex")
});

/// SASL mechanisms: `AUTH <mechanism> …` arguments start with one of these.
const MECHANISMS: &[&str] = &[
    "LOGIN",
    "PLAIN",
    "CRAM-MD5",
    "DIGEST-MD5",
    "NTLM",
    "XOAUTH2",
    "OAUTHBEARER",
    "GSSAPI",
];

impl Format for MailEnable {
    fn name(&self) -> &'static str {
        "mailenable"
    }
    fn description(&self) -> &'static str {
        "MailEnable SMTP activity log (SMTP-Activity-YYMMDD.log): one line per command and reply"
    }
    fn how_to_enable(&self) -> &'static str {
        "MailEnable Administration → Servers → localhost → Services → SMTP → Properties → Logging: tick \"Enable activity logging\". Daily files SMTP-Activity-YYMMDD.log are written to the Logging\\SMTP folder of the installation (C:\\Program Files (x86)\\Mail Enable\\Logging\\SMTP by default)."
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        SIGNATURE.is_match(line.text)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// `MM/dd/yy HH:mm:ss`, local time; two-digit years are 20yy.
fn stamp(field: &str) -> Option<Timestamp> {
    let (date, time) = field.split_once(' ')?;
    let mut parts = date.split('/').map(|p| p.parse::<u32>().ok());
    let (m, d, y) = (parts.next()??, parts.next()??, parts.next()??);
    let date = NaiveDate::from_ymd_opt(2000 + i32::try_from(y).ok()?, m, d)?;
    Some(Timestamp::local(date.and_time(parse_hms_frac(time)?)))
}

#[derive(Default)]
struct Parser {
    /// Sessions that have shown their greeting: a second one means a new connection.
    greeted: FastSet<String>,
    seen: FastSet<String>,
    /// The account last noted per session: the column repeats on every line after AUTH.
    account: FastMap<String, String>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text.trim_end_matches(['\r', '\n']);
        let f: Vec<&str> = text.split('\t').collect();
        if f.len() < 8 || !SIGNATURE.is_match(text) {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        }
        let inbound = f[1] == "SMTP-IN";
        let key = format!("{}-{}", if inbound { "IN" } else { "OU" }, f[3].trim());
        let (n, time) = (line.number, stamp(f[0]));
        let (verb, args, reply) = (f[5].trim(), f[6].trim(), f[7].trim());
        if verb.is_empty() && reply.starts_with("220") && !self.greeted.insert(key.clone()) {
            out.push(&key, n, time, Item::Begin);
            self.seen.remove(&key);
            self.account.remove(&key);
        }
        if self.seen.insert(key.clone()) {
            let ip = Some(f[4].trim().to_owned()).filter(|i| !i.is_empty());
            let (client, server) = if inbound { (ip, None) } else { (None, ip) };
            out.push(&key, n, time, Item::Peers { client, server });
        }
        command(&key, n, time, verb, args, &mut out);
        for part in split_run_together(reply).into_iter().filter(|p| !p.is_empty()) {
            out.push(&key, n, time, Item::Server(part.to_owned()));
        }
        let account = f.get(10).map(|a| a.trim()).filter(|a| !a.is_empty());
        if let Some(account) = account.filter(|a| self.account.get(&key).map(String::as_str) != Some(*a)) {
            self.account.insert(key.clone(), account.to_owned());
            let note = format!("account: {account}");
            out.push(&key, n, time, Item::Info(InfoKind::Note, note));
        }
    }
}

/// The client's side of a line. AUTH arguments that are not a mechanism are the credential
/// the client answered with: sent as its own line so it is masked as authentication data.
fn command(key: &str, n: u64, time: Option<Timestamp>, verb: &str, args: &str, out: &mut Out<'_>) {
    if verb.is_empty() {
        return;
    }
    let mechanism = args
        .split_whitespace()
        .next()
        .is_some_and(|w| MECHANISMS.iter().any(|m| m.eq_ignore_ascii_case(w)));
    if verb.eq_ignore_ascii_case("AUTH") && !args.is_empty() && !mechanism {
        out.push(key, n, time, Item::Client(verb.to_owned()));
        out.push(key, n, time, Item::Client(args.to_owned()));
        return;
    }
    let text = if args.is_empty() {
        verb.to_owned()
    } else if args.starts_with(':') || verb.ends_with(':') {
        format!("{verb}{args}")
    } else {
        format!("{verb} {args}")
    };
    out.push(key, n, time, Item::Client(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Vec<Record> {
        crate::formats::parse_lines(&mut Parser::default(), lines)
    }

    #[test]
    fn command_then_reply_and_auth_credential_apart() {
        let r = parse(&[
            "02/03/26 09:14:02\tSMTP-IN\tA1.MAI\t816\t192.0.2.4\t\t\t220 mx ESMTP MailEnable Service ready\t0\t0",
            "02/03/26 09:14:03\tSMTP-IN\tA1.MAI\t816\t192.0.2.4\tAUTH\tc2VjcmV0\t535 Invalid Username or Password\t34\t14\tbob@example.net",
        ]);
        let items: Vec<&Item> = r.iter().map(|x| &x.item).collect();
        assert_eq!(r[0].key, "IN-816");
        assert_eq!(
            *items[1],
            Item::Server("220 mx ESMTP MailEnable Service ready".into())
        );
        assert_eq!(*items[2], Item::Client("AUTH".into()));
        assert_eq!(*items[3], Item::Client("c2VjcmV0".into()));
        assert_eq!(*items[4], Item::Server("535 Invalid Username or Password".into()));
        assert_eq!(
            *items[5],
            Item::Info(InfoKind::Note, "account: bob@example.net".into())
        );
        assert_eq!(r[0].time.unwrap().to_string(), "2026-02-03T09:14:02");
    }

    #[test]
    fn mail_from_arguments_join_the_verb() {
        let r = parse(&[
            "02/03/26 09:14:04\tSMTP-OU\tB2.MAI\t77\t198.51.100.9\tMAIL\tFROM:<a@example.net>\t250 OK\t30\t8",
        ]);
        assert_eq!(r[1].item, Item::Client("MAIL FROM:<a@example.net>".into()));
        assert_eq!(r[0].key, "OU-77");
    }
}
