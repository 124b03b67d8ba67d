//! 4D `SMTP New transporter` log (4DSMTPLog_n.txt or a transporter's `logFile`), 4D v17 R5+:
//! `seq datetime pid [upid] payload`, payload `### info`, `S < "reply"` or `C > "command"`.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::model::{parse_iso_local, InfoKind, Timestamp};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

pub struct FourD;

/// One entry: counter, date-time (publication-damaged variants accepted), one or two ids, payload.
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^([0-9]+)[ \t]+([0-9]{4}-[0-9]{2}-[0-9]{2}t[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)*)[ \t]+(-?[0-9]+)(?:[ \t]+(-?[0-9]+))?[ \t]+(###.*|[sc][ \t]*[<>][ \t]*.*)$")
        .expect("valid regex")
});

/// Where a second entry starts inside a line (two entries run together).
static NEXT_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2}t[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+ -?[0-9]+ ")
        .expect("valid regex")
});

impl Format for FourD {
    fn name(&self) -> &'static str {
        "4d"
    }
    fn description(&self) -> &'static str {
        "4D SMTP log (4DSMTPLog_n.txt, SMTP New transporter logFile), 4D v17 R5 and later"
    }
    fn how_to_enable(&self) -> &'static str {
        "SET DATABASE PARAMETER(SMTP Log; 1), or set the transporter's logFile property, or \"Start Request and Debug Logs\" in 4D Server administration"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        ENTRY.is_match(line.text)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    seen: HashSet<String>,
    /// Key and direction of the last quoted payload left without its closing quote.
    open_quote: Option<(String, bool)>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text;
        if !ENTRY.is_match(text) {
            if let Some((key, server)) = self.open_quote.clone() {
                let piece = text.strip_suffix('"').unwrap_or(text).to_owned();
                if text.ends_with('"') {
                    self.open_quote = None;
                }
                let item = if server {
                    Item::ServerMore(piece)
                } else {
                    Item::Client(piece)
                };
                out.push(&key, line.number, None, item);
            } else if !text.trim().is_empty() {
                out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            }
            return;
        }
        // Split run-together entries at each later "<seq> <datetime> <pid> " start.
        let mut starts: Vec<usize> = NEXT_ENTRY
            .find_iter(text)
            .map(|m| m.start())
            .filter(|&s| s > 0)
            .collect();
        starts.insert(0, 0);
        for (n, &from) in starts.iter().enumerate() {
            let to = starts.get(n + 1).copied().unwrap_or(text.len());
            self.entry(&text[from..to], line.number, &mut out);
        }
    }
}

impl Parser {
    fn entry(&mut self, entry: &str, number: u64, out: &mut Out<'_>) {
        let Some(c) = ENTRY.captures(entry) else {
            out.push("", number, None, Item::Unparsed(entry.to_owned()));
            return;
        };
        let stamp = c[2].to_ascii_uppercase();
        let stamp = stamp.get(..23).unwrap_or(&stamp);
        let time = parse_iso_local(stamp).map(Timestamp::local);
        let key = match c.get(4) {
            Some(upid) => format!("{}/{}", &c[3], upid.as_str()),
            None => c[3].to_owned(),
        };
        let payload = c.get(5).map_or("", |m| m.as_str());
        if let Some(info) = payload.strip_prefix("###") {
            self.info(info.trim(), &key, number, time, out);
            return;
        }
        let server = payload.starts_with(['S', 's']);
        let quoted = payload[1..]
            .trim_start()
            .trim_start_matches(['<', '>'])
            .trim_start();
        let inner = quoted.strip_prefix('"').unwrap_or(quoted);
        let body = match inner.strip_suffix('"') {
            Some(b) => {
                self.open_quote = None;
                b
            }
            None => {
                self.open_quote = Some((key.clone(), server));
                inner
            }
        };
        self.seen.insert(key.clone());
        let item = if server {
            Item::Server(body.to_owned())
        } else {
            Item::Client(body.to_owned())
        };
        out.push(&key, number, time, item);
    }

    fn info(&mut self, info: &str, key: &str, number: u64, time: Option<Timestamp>, out: &mut Out<'_>) {
        let lower = info.to_ascii_lowercase();
        if lower.starts_with("smtp connected to") {
            self.seen.insert(key.to_owned());
            out.push(key, number, time, Item::Begin);
            let server = info.split('\'').nth(1).map(|host| match port(info) {
                Some(p) => format!("{host}:{p}"),
                None => host.to_owned(),
            });
            out.push(key, number, time, Item::Peers { client: None, server });
            out.push(
                key,
                number,
                time,
                Item::Info(InfoKind::Connected, info.to_owned()),
            );
            if lower.contains("(secured)") {
                out.push(
                    key,
                    number,
                    time,
                    Item::Info(
                        InfoKind::TlsStarted,
                        "TLS in use from the start (implicit TLS)".into(),
                    ),
                );
            }
        } else if lower.starts_with("smtp connection closed") {
            if !self.seen.remove(key) {
                // A close for a connection this file never showed: nothing to attach it to.
                out.push("", number, None, Item::Unparsed(format!("### {info}")));
                return;
            }
            out.push(key, number, time, Item::Info(InfoKind::Closed, info.to_owned()));
            out.push(key, number, time, Item::End);
        } else {
            let kind = if lower.contains("error") || lower.contains("failed") {
                InfoKind::Error
            } else if lower.contains("tls") && (lower.contains("negotiated") || lower.contains("established"))
            {
                InfoKind::TlsStarted
            } else {
                InfoKind::Note
            };
            self.seen.insert(key.to_owned());
            out.push(key, number, time, Item::Info(kind, info.to_owned()));
        }
    }
}

fn port(info: &str) -> Option<&str> {
    let at = info.find(" on port ")? + 9;
    let digits = info[at..].split(|c: char| !c.is_ascii_digit()).next()?;
    (!digits.is_empty()).then_some(digits)
}
