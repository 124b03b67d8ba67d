//! IIS SMTP service (Windows Server SMTP, Exchange 2000/2003) W3C extended log,
//! `…\LogFiles\SMTPSVC1\exYYMMDD.log`: space-separated columns named by `#Fields:`, `-` for
//! empty, `+` for a space inside a value. Inbound rows are one client command each with the
//! numeric reply (`sc-status`) only; the server's own outbound connections log both sides, as
//! `OutboundConnectionCommand` and `OutboundConnectionResponse` rows with the full reply text.
//!
//! The log has no connection id. Rows are grouped by client address, site and port (the
//! remote server's address for outbound rows); a new session starts when the previous one
//! under that group ended (inbound `QUIT`, or the reply to an outbound `QUIT`), when the group
//! was idle for more than [`IDLE_GAP_SECS`], or when a new greeting shows a new connection
//! (inbound `HELO`/`EHLO` after an accepted one that no `STARTTLS` explains; an outbound `220`
//! that does not answer `STARTTLS`); the session it replaces is then ended. Connections from
//! one address at the same time merge into one session.

use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_iso_local, InfoKind, Step, Timestamp};

pub struct IisSmtp;

/// Longer than this without a row and a group's next row is a new connection: IIS SMTP drops
/// idle connections after 10 minutes by default.
pub const IDLE_GAP_SECS: f64 = 600.0;

impl Format for IisSmtp {
    fn name(&self) -> &'static str {
        "iis-smtp"
    }
    fn description(&self) -> &'static str {
        "IIS SMTP service W3C extended log (SMTPSVC1\\exYYMMDD.log; Windows Server SMTP, Exchange 2000/2003)"
    }
    fn how_to_enable(&self) -> &'static str {
        "In IIS 6.0 Manager: the SMTP virtual server → Properties → General, tick \"Enable logging\", active log format \"W3C Extended Log File Format\"; Properties → Advanced (Extended Properties) tick at least Date, Time, Client IP Address, User Name, Service Name, Server Name, Server IP Address, Server Port, Method, URI Query and Protocol Status. Files exYYMMDD.log are written to %SystemRoot%\\System32\\LogFiles\\SMTPSVC1."
    }
    /// A dated row naming the SMTP service (`SMTPSVC1`), an outbound row, or a row with the
    /// `SMTP` protocol version and an SMTP verb. The `#Software:` header alone proves nothing:
    /// IIS web logs carry it too.
    fn detect(&self, line: &InputLine<'_>) -> bool {
        let text = line.text;
        if row_stamp(text, &Columns::default()).is_none() {
            return false;
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        words
            .iter()
            .any(|w| is_site_name(w) || w.starts_with("OutboundConnection"))
            || (words.contains(&"SMTP") && words.iter().any(|w| is_smtp_verb(w)))
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

fn is_site_name(word: &str) -> bool {
    word.strip_prefix("SMTPSVC")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_smtp_verb(word: &str) -> bool {
    matches!(
        word,
        "HELO" | "EHLO" | "MAIL" | "RCPT" | "DATA" | "QUIT" | "RSET" | "AUTH" | "STARTTLS" | "BDAT"
    )
}

/// Column positions from `#Fields:`; the standard selection when a file has no header.
#[derive(Clone, Debug, PartialEq)]
struct Columns {
    date: Option<usize>,
    time: usize,
    client_ip: Option<usize>,
    username: Option<usize>,
    site: Option<usize>,
    computer: Option<usize>,
    server_ip: Option<usize>,
    port: Option<usize>,
    method: usize,
    query: Option<usize>,
    status: Option<usize>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns::from_names("date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status")
            .unwrap_or(Columns {
                date: Some(0),
                time: 1,
                client_ip: Some(2),
                username: Some(3),
                site: Some(4),
                computer: Some(5),
                server_ip: Some(6),
                port: Some(7),
                method: 8,
                query: Some(10),
                status: Some(11),
            })
    }
}

impl Columns {
    /// `None` when the time or the method is not logged: rows could not be read.
    fn from_names(names: &str) -> Option<Columns> {
        let names: Vec<String> = names.split_whitespace().map(str::to_ascii_lowercase).collect();
        let at = |n: &str| names.iter().position(|x| x == n);
        Some(Columns {
            date: at("date"),
            time: at("time")?,
            client_ip: at("c-ip"),
            username: at("cs-username"),
            site: at("s-sitename"),
            computer: at("s-computername"),
            server_ip: at("s-ip"),
            port: at("s-port"),
            method: at("cs-method")?,
            query: at("cs-uri-query"),
            status: at("sc-status"),
        })
    }
}

/// The row's UTC time (W3C extended logs write UTC); time of day only without a date column.
fn row_stamp(text: &str, c: &Columns) -> Option<Timestamp> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let time = *words.get(c.time)?;
    match c.date {
        Some(d) => parse_iso_local(&format!("{} {time}", words.get(d)?)).map(Timestamp::utc),
        None => crate::model::parse_hms_frac(time).map(Timestamp::time_only),
    }
}

/// A W3C value: `-` is empty, `+` a space.
fn decode(value: &str) -> String {
    if value == "-" {
        String::new()
    } else {
        value.replace('+', " ")
    }
}

/// One connection being assembled.
struct Conv {
    key: String,
    last: Option<Timestamp>,
    last_line: u64,
    hello_accepted: bool,
    last_command: Option<Step>,
    ended: bool,
}

#[derive(Default)]
struct Parser {
    columns: Columns,
    groups: FastMap<String, Conv>,
    sessions: u32,
}

/// The values of one row the rules need.
struct RowView {
    number: u64,
    time: Option<Timestamp>,
    client_ip: String,
    username: String,
    computer: String,
    server_ip: String,
    port: String,
    site: String,
    method: String,
    query_raw: String,
    status: Option<u16>,
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text.trim_end();
        if let Some(rest) = text.strip_prefix('#') {
            if let Some(names) = rest.strip_prefix("Fields:") {
                match Columns::from_names(names) {
                    Some(c) => self.columns = c,
                    None => out.push("", line.number, None, Item::Unparsed(text.to_owned())),
                }
            }
            return;
        }
        let Some(row) = self.view(line.number, text) else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        match row.username.as_str() {
            "OutboundConnectionCommand" => self.outbound_command(&row, &mut out),
            "OutboundConnectionResponse" => self.outbound_response(&row, &mut out),
            _ => self.inbound(&row, &mut out),
        }
    }
}

impl Parser {
    fn view(&self, number: u64, text: &str) -> Option<RowView> {
        let c = &self.columns;
        let words: Vec<&str> = text.split_whitespace().collect();
        let get = |i: Option<usize>| i.and_then(|i| words.get(i)).map_or(String::new(), |w| decode(w));
        let time = row_stamp(text, c)?;
        let method = words.get(c.method)?;
        Some(RowView {
            number,
            time: Some(time),
            client_ip: get(c.client_ip),
            username: get(c.username),
            computer: get(c.computer),
            server_ip: get(c.server_ip),
            port: get(c.port),
            site: get(c.site),
            method: decode(method),
            query_raw: c.query.and_then(|i| words.get(i)).map_or("-", |w| w).to_owned(),
            status: c.status.and_then(|i| words.get(i)).and_then(|w| w.parse().ok()),
        })
    }

    /// The session key for a row, beginning a new session when the rules in the module
    /// comment say a new connection started.
    fn session(&mut self, row: &RowView, outbound: bool, new_greeting: bool, out: &mut Out<'_>) -> String {
        let group = format!(
            "{} {} {} {}",
            if outbound { "out" } else { "in" },
            row.client_ip,
            row.site,
            row.port
        );
        let idle = |c: &Conv| match (row.time, c.last) {
            (Some(now), Some(last)) => now.seconds_since(&last).is_some_and(|s| s > IDLE_GAP_SECS),
            _ => false,
        };
        let fresh = match self.groups.get(&group) {
            None => true,
            Some(c) => c.ended || idle(c) || (new_greeting && c.last_command != Some(Step::StartTls)),
        };
        if fresh {
            if let Some(old) = self.groups.get(&group).filter(|c| !c.ended) {
                // A new connection under this group means the previous one is gone.
                out.push(&old.key, old.last_line, None, Item::End);
            }
            self.sessions += 1;
            let key = format!("#{}", self.sessions);
            out.push(&key, row.number, row.time, Item::Begin);
            out.push(&key, row.number, row.time, peers(row, outbound));
            self.groups.insert(
                group.clone(),
                Conv {
                    key,
                    last: None,
                    last_line: row.number,
                    hello_accepted: false,
                    last_command: None,
                    ended: false,
                },
            );
        }
        match self.groups.get_mut(&group) {
            Some(conv) => {
                conv.last = row.time.or(conv.last);
                conv.last_line = row.number;
                conv.key.clone()
            }
            None => String::new(),
        }
    }

    fn group_of(&mut self, row: &RowView, outbound: bool) -> Option<&mut Conv> {
        let group = format!(
            "{} {} {} {}",
            if outbound { "out" } else { "in" },
            row.client_ip,
            row.site,
            row.port
        );
        self.groups.get_mut(&group)
    }

    fn inbound(&mut self, row: &RowView, out: &mut Out<'_>) {
        // From the whole command: `BDAT n LAST` is a different step from `BDAT n`.
        let command = inbound_command(row, Step::of_command(&row.method));
        let step = Step::of_command(&command);
        let greeting = matches!(step, Step::Helo | Step::Ehlo)
            && self.group_of(row, false).is_some_and(|c| c.hello_accepted);
        let key = self.session(row, false, greeting, out);
        let (n, t) = (row.number, row.time);
        out.push(&key, n, t, Item::Client(command));
        let positive = row.status.is_some_and(|s| (200..400).contains(&s));
        if let Some(conv) = self.group_of(row, false) {
            conv.last_command = Some(step);
            if matches!(step, Step::Helo | Step::Ehlo) && positive {
                conv.hello_accepted = true;
            }
        }
        match (step, row.status) {
            (Step::Quit, Some(status)) if status != 221 => {
                let note = format!("QUIT logged with IIS's own status {status}: the connection ended");
                out.push(&key, n, t, Item::Info(InfoKind::Closed, note));
            }
            (_, Some(status)) if (200..600).contains(&status) => {
                let (step, text) = inbound_reply(row, step, status);
                out.push(&key, n, t, Item::ServerFor(step, text));
            }
            _ => {}
        }
        if step == Step::Quit {
            out.push(&key, n, t, Item::End);
            if let Some(conv) = self.group_of(row, false) {
                conv.ended = true;
            }
        }
    }

    fn outbound_command(&mut self, row: &RowView, out: &mut Out<'_>) {
        let key = self.session(row, true, false, out);
        let query = decode(&row.query_raw);
        let text = if query.is_empty() {
            row.method.clone()
        } else {
            format!("{} {}", row.method, query.trim_start())
        };
        let step = Step::of_command(&text);
        out.push(&key, row.number, row.time, Item::Client(text));
        if let Some(conv) = self.group_of(row, true) {
            conv.last_command = Some(step);
        }
    }

    fn outbound_response(&mut self, row: &RowView, out: &mut Out<'_>) {
        let reply = decode(&row.query_raw);
        let greeting =
            reply.starts_with("220") && self.group_of(row, true).is_some_and(|c| c.last_command.is_some());
        let key = self.session(row, true, greeting, out);
        if reply.is_empty() {
            out.push("", row.number, None, Item::Unparsed(row.method.clone()));
            return;
        }
        out.push(&key, row.number, row.time, Item::Server(reply));
        if let Some(conv) = self.group_of(row, true) {
            if conv.last_command == Some(Step::Quit) {
                conv.ended = true;
                out.push(&key, row.number, row.time, Item::End);
            }
        }
    }
}

/// Who talks: inbound, the row's client address and this server; outbound, this server and
/// the remote address (`c-ip` then holds the remote server).
fn peers(row: &RowView, outbound: bool) -> Item {
    let local = [&row.computer, &row.server_ip]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned();
    let remote = (!row.client_ip.is_empty()).then(|| row.client_ip.clone());
    if outbound {
        let port = row.port.as_str();
        let server = remote.map(|ip| match port {
            "" | "0" => ip,
            p => format!("{ip}:{p}"),
        });
        Item::Peers {
            client: local,
            server,
        }
    } else {
        Item::Peers {
            client: remote,
            server: local,
        }
    }
}

/// The command as the client sent it: the verb, then the argument IIS logged with `+` for
/// spaces (`+FROM:+<a@b>` → `MAIL FROM: <a@b>`). `QUIT` and `DATA` rows carry the HELO name
/// and the message id there, not an argument.
fn inbound_command(row: &RowView, step: Step) -> String {
    let query = decode(&row.query_raw);
    if matches!(step, Step::Quit | Step::Data) || query.is_empty() {
        return row.method.clone();
    }
    if row.query_raw.starts_with('+') {
        format!("{}{query}", row.method)
    } else {
        format!("{} {query}", row.method)
    }
}

/// A reply built from the status code, since IIS does not log reply text. The `DATA` row is
/// written after the message, so its 2xx status is the verdict on the message itself.
fn inbound_reply(row: &RowView, step: Step, status: u16) -> (Step, String) {
    let mut text = format!("{status} (IIS logs the reply code only)");
    if step == Step::Data {
        let id = decode(&row.query_raw);
        if !id.is_empty() {
            text = format!("{status} (IIS logs the reply code only; message {id})");
        }
        if (200..300).contains(&status) {
            return (Step::DataEnd, text);
        }
    }
    (step, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_values() {
        assert_eq!(decode("-"), "");
        assert_eq!(decode("+FROM:+<a@example.net>"), " FROM: <a@example.net>");
    }

    #[test]
    fn fields_header_maps_columns() {
        let c = Columns::from_names("time c-ip cs-method cs-uri-query sc-status").unwrap();
        assert_eq!((c.date, c.time, c.method, c.status), (None, 0, 2, Some(4)));
        assert!(Columns::from_names("date c-ip").is_none());
        assert_eq!(Columns::default().status, Some(11));
    }
}
