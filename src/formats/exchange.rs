//! Microsoft Exchange 2007–2019/SE SMTP protocol logs (`SmtpReceive\RECV*.log`,
//! `SmtpSend\SEND*.log`): CSV rows `date-time,connector-id,session-id,sequence-number,
//! local-endpoint,remote-endpoint,event,data,context` under `#`-header lines. The event
//! character's meaning depends on the log: in a Receive log `<` is the client's command and `>`
//! Exchange's reply; in a Send log Exchange is the client, so `>` is the command and `<` the
//! remote reply. `+`/`-` are connect/disconnect, `*` (or nothing) Exchange's own notes.

use super::csv::split_csv;
use super::{Format, InputLine, Item, LineParser, Out, Record};
use crate::fasthash::FastMap;
use crate::model::{parse_iso_local, parse_reply_line, InfoKind, Step, Timestamp};
use std::borrow::Cow;

/// Which protocol log: who Exchange is in the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `SMTP Receive Protocol Log`: Exchange is the server.
    Receive,
    /// `SMTP Send Protocol Log`: Exchange is the client.
    Send,
}

/// The SmtpReceive protocol log.
pub struct ExchangeReceive;
/// The SmtpSend protocol log.
pub struct ExchangeSend;

const RECEIVE_HOWTO: &str = "In the Exchange Management Shell: Set-ReceiveConnector \"<connector>\" -ProtocolLoggingLevel Verbose (per Receive connector; Get-ReceiveConnector lists them). Files RECVyyyymmdd-n.log are written to %ExchangeInstallPath%TransportRoles\\Logs\\FrontEnd\\ProtocolLog\\SmtpReceive (front end) and …\\Logs\\Hub\\ProtocolLog\\SmtpReceive (mailbox transport); Set-TransportService <server> -ReceiveProtocolLogPath <folder> (Set-FrontendTransportService for the front end) moves them.";
const SEND_HOWTO: &str = "In the Exchange Management Shell: Set-SendConnector \"<connector>\" -ProtocolLoggingLevel Verbose (for the intra-organization connector: Set-TransportService <server> -IntraOrgConnectorProtocolLoggingLevel Verbose). Files SENDyyyymmdd-n.log are written to %ExchangeInstallPath%TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend (and …\\FrontEnd\\ProtocolLog\\SmtpSend); Set-TransportService <server> -SendProtocolLogPath <folder> moves them.";

impl Format for ExchangeReceive {
    fn name(&self) -> &'static str {
        "exchange-receive"
    }
    fn description(&self) -> &'static str {
        "Microsoft Exchange 2007–2019/SE SmtpReceive protocol log (RECV*.log): Exchange as the server"
    }
    fn how_to_enable(&self) -> &'static str {
        RECEIVE_HOWTO
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        detect_as(line.text, Role::Receive)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::new(Role::Receive))
    }
}

impl Format for ExchangeSend {
    fn name(&self) -> &'static str {
        "exchange-send"
    }
    fn description(&self) -> &'static str {
        "Microsoft Exchange 2007–2019/SE SmtpSend protocol log (SEND*.log): Exchange as the client"
    }
    fn how_to_enable(&self) -> &'static str {
        SEND_HOWTO
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        detect_as(line.text, Role::Send)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::new(Role::Send))
    }
}

/// A `#Log-type:` header names its log; a row of the standard shape counts for both logs
/// unless a `>`/`<` row shows, by carrying a reply or a command, which side Exchange is on.
fn detect_as(text: &str, role: Role) -> bool {
    if let Some(kind) = header_value(text, "#Log-type:") {
        return log_type_role(kind) == Some(role);
    }
    // Cheap test first: detection runs on the first lines of every file.
    let b = text.as_bytes();
    if b.len() < 30 || b[4] != b'-' || b[10] != b'T' || !b[..30].windows(2).any(|w| w == b"Z,") {
        return false;
    }
    let fields = split_csv(text);
    let c = Columns::default();
    let shaped = fields.len() >= 8
        && field(&fields, Some(c.time)).is_some_and(|t| t.ends_with('Z') && utc_stamp(t).is_some())
        && field(&fields, Some(c.session))
            .is_some_and(|s| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        && field(&fields, Some(c.seq))
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        && field(&fields, Some(c.event)).is_some_and(|e| matches!(e, "" | "+" | "-" | "<" | ">" | "*"));
    if !shaped {
        return false;
    }
    let event = field(&fields, Some(c.event)).unwrap_or("");
    let data = field(&fields, Some(c.data)).unwrap_or("");
    let reply = parse_reply_line(data).is_some();
    let command = !reply && Step::is_known_command(data);
    match (event, reply, command) {
        (">", true, _) | ("<", _, true) => role == Role::Receive,
        ("<", true, _) | (">", _, true) => role == Role::Send,
        _ => true,
    }
}

/// `SMTP Receive Protocol Log` / `SMTP Send Protocol Log`.
fn log_type_role(kind: &str) -> Option<Role> {
    let lower = kind.to_ascii_lowercase();
    if !lower.contains("protocol log") {
        return None;
    }
    if lower.contains("receive") {
        Some(Role::Receive)
    } else if lower.contains("send") {
        Some(Role::Send)
    } else {
        None
    }
}

/// The value of a `#Name: value` header line.
fn header_value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let head = text.get(..name.len())?;
    head.eq_ignore_ascii_case(name).then(|| text[name.len()..].trim())
}

fn field<'a>(fields: &'a [Cow<'_, str>], index: Option<usize>) -> Option<&'a str> {
    fields.get(index?).map(|f| &**f)
}

/// `2026-03-04T09:12:01.250Z`: UTC.
fn utc_stamp(text: &str) -> Option<Timestamp> {
    let body = text.trim().strip_suffix('Z')?;
    parse_iso_local(body).map(Timestamp::utc)
}

/// Column positions, read from `#Fields:` (the standard order when a file has none).
#[derive(Clone, Debug, PartialEq)]
struct Columns {
    time: usize,
    session: usize,
    seq: usize,
    event: usize,
    connector: Option<usize>,
    local: Option<usize>,
    remote: Option<usize>,
    data: usize,
    context: Option<usize>,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            time: 0,
            connector: Some(1),
            session: 2,
            seq: 3,
            local: Some(4),
            remote: Some(5),
            event: 6,
            data: 7,
            context: Some(8),
        }
    }
}

impl Columns {
    /// From the names in a `#Fields:` line; `None` when a column every row needs is missing.
    fn from_names(names: &str) -> Option<Columns> {
        let names: Vec<String> = names.split(',').map(|n| n.trim().to_ascii_lowercase()).collect();
        let at = |n: &str| names.iter().position(|x| x == n);
        Some(Columns {
            time: at("date-time")?,
            session: at("session-id")?,
            seq: at("sequence-number")?,
            event: at("event")?,
            connector: at("connector-id"),
            local: at("local-endpoint"),
            remote: at("remote-endpoint"),
            data: at("data")?,
            context: at("context"),
        })
    }
}

/// What the parser remembers about a session it has seen.
#[derive(Default)]
struct Seen {
    client_known: bool,
    server_known: bool,
}

struct Parser {
    role: Role,
    columns: Columns,
    /// Sessions begun and not yet disconnected (looked up for every row).
    open: FastMap<String, Seen>,
}

impl Parser {
    fn new(role: Role) -> Self {
        Parser {
            role,
            columns: Columns::default(),
            open: FastMap::default(),
        }
    }
}

impl LineParser for Parser {
    fn parse(&mut self, line: &InputLine<'_>, records: &mut Vec<Record>) {
        let mut out = Out { records };
        let text = line.text.trim_end();
        if text.starts_with('#') {
            self.header(line.number, text, &mut out);
            return;
        }
        let fields = split_csv(text);
        let c = &self.columns;
        let time = field(&fields, Some(c.time)).and_then(utc_stamp);
        let session = field(&fields, Some(c.session)).unwrap_or("").trim();
        let event = field(&fields, Some(c.event)).map(str::trim);
        let (Some(time), Some(event)) = (time, event) else {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        };
        if session.is_empty() || !matches!(event, "" | "+" | "-" | "<" | ">" | "*") {
            out.push("", line.number, None, Item::Unparsed(text.to_owned()));
            return;
        }
        let key = session.to_owned();
        let row = Row {
            raw: text,
            key: &key,
            number: line.number,
            time: Some(time),
            seq: field(&fields, Some(c.seq)).and_then(|s| s.trim().parse::<u64>().ok()),
            data: field(&fields, Some(c.data)).unwrap_or(""),
            context: field(&fields, c.context).unwrap_or(""),
        };
        self.begin_if_new(&row, &mut out);
        self.peers(&row, &fields, &mut out);
        self.event(&row, event, &mut out);
    }
}

/// The parts of a row every event needs.
struct Row<'r> {
    /// The whole line, for rows kept as unparsed.
    raw: &'r str,
    key: &'r str,
    number: u64,
    time: Option<Timestamp>,
    seq: Option<u64>,
    data: &'r str,
    context: &'r str,
}

impl Parser {
    fn header(&mut self, number: u64, text: &str, out: &mut Out<'_>) {
        if let Some(kind) = header_value(text, "#Log-type:") {
            if let Some(role) = log_type_role(kind) {
                self.role = role;
            }
        } else if let Some(names) = header_value(text, "#Fields:") {
            match Columns::from_names(names) {
                Some(c) => self.columns = c,
                None => out.push("", number, None, Item::Unparsed(text.to_owned())),
            }
        }
    }

    /// A session begins at its first row (SmtpSend writes notes before the connect), and again
    /// when its id comes back after a disconnect or its sequence restarts at 0 (logs with
    /// anonymised all-zero ids).
    fn begin_if_new(&mut self, row: &Row<'_>, out: &mut Out<'_>) {
        let restart = row.seq == Some(0) && self.open.contains_key(row.key);
        if restart || !self.open.contains_key(row.key) {
            self.open.insert(row.key.to_owned(), Seen::default());
            out.push(row.key, row.number, row.time, Item::Begin);
        }
    }

    /// Endpoints as they become known: the local one is Exchange (the server in Receive logs,
    /// the client in Send logs), the remote one the other side.
    fn peers(&mut self, row: &Row<'_>, fields: &[Cow<'_, str>], out: &mut Out<'_>) {
        let local = field(fields, self.columns.local)
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let remote = field(fields, self.columns.remote)
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let (client, server) = match self.role {
            Role::Receive => (remote, local),
            Role::Send => (local, remote),
        };
        let Some(seen) = self.open.get_mut(row.key) else {
            return;
        };
        let client = client.filter(|_| !seen.client_known).map(str::to_owned);
        let server = server.filter(|_| !seen.server_known).map(str::to_owned);
        if client.is_none() && server.is_none() {
            return;
        }
        seen.client_known |= client.is_some();
        seen.server_known |= server.is_some();
        out.push(row.key, row.number, row.time, Item::Peers { client, server });
    }

    fn event(&mut self, row: &Row<'_>, event: &str, out: &mut Out<'_>) {
        let (key, n, t) = (row.key, row.number, row.time);
        let data = row.data.trim_end();
        match event {
            "+" => out.push(
                key,
                n,
                t,
                Item::Info(InfoKind::Connected, note_text("connected", row.context)),
            ),
            "-" => {
                let text = match row.context.trim() {
                    "Local" => "disconnected (closed by Exchange)".to_owned(),
                    "Remote" => "disconnected (closed by the remote side)".to_owned(),
                    other => note_text("disconnected", other),
                };
                out.push(key, n, t, Item::Info(InfoKind::Closed, text));
                out.push(key, n, t, Item::End);
                self.open.remove(key);
            }
            ">" | "<" if data.is_empty() => {
                out.push("", n, None, Item::Unparsed(row.raw.to_owned()));
            }
            ">" | "<" => {
                let from_client = (event == "<") == (self.role == Role::Receive);
                let item = if from_client {
                    Item::Client(data.to_owned())
                } else {
                    Item::Server(data.to_owned())
                };
                out.push(key, n, t, item);
            }
            _ => {
                let text = info_text(data, row.context.trim());
                if text.is_empty() {
                    out.push("", n, None, Item::Unparsed(row.raw.to_owned()));
                } else {
                    out.push(key, n, t, Item::Info(info_kind(data, row.context), text));
                }
            }
        }
    }
}

fn note_text(what: &str, context: &str) -> String {
    let context = context.trim();
    if context.is_empty() {
        what.to_owned()
    } else {
        format!("{what} ({context})")
    }
}

/// `*` rows put the note in `context` and what it is about in `data`
/// (`*,SMTPSubmit SMTPAcceptAnyRecipient …,Set Session Permissions`).
fn info_text(data: &str, context: &str) -> String {
    match (data.trim().is_empty(), context.is_empty()) {
        (true, _) => context.to_owned(),
        (false, true) => data.trim().to_owned(),
        (false, false) => format!("{context}: {}", data.trim()),
    }
}

/// What an Exchange note reports, from its wording. The context column names the note; when
/// it is empty the data column is the note.
fn info_kind(data: &str, context: &str) -> InfoKind {
    let note = if context.trim().is_empty() { data } else { context };
    let lower = note.trim().to_ascii_lowercase();
    let has = |w: &str| lower.contains(w);
    if has("tls") && (has("failed") || has("error")) {
        InfoKind::TlsFailed
    } else if has("tls") && has("negotiation succeeded") {
        InfoKind::TlsStarted
    } else if has("auth") && (has("failed") || has("logondenied")) {
        InfoKind::AuthFailed
    } else if lower == "authenticated" || lower.starts_with("authenticated as") {
        InfoKind::AuthSucceeded
    } else if has("timed out") || has("timeout") || has("did not properly respond") || has("10060") {
        InfoKind::Timeout
    } else if has("failed to connect")
        || has("actively refused")
        || has("connection refused")
        || has("unable to connect")
        || has("winsock error")
    {
        InfoKind::ConnectFailed
    } else if has("forcibly closed") || has("connection was reset") || has("lost connection") {
        InfoKind::LostConnection
    } else if has("attempting to connect") {
        InfoKind::Connecting
    } else {
        InfoKind::Note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localized_connector_names_are_detected() {
        let row = "2026-03-04T09:20:01.191Z,组织内 SMTP 发送连接器,08DE5A1B2C3D5F01,4,192.0.2.10:28301,198.51.100.80:25,>,EHLO mail.example.net,";
        assert!(detect_as(row, Role::Send));
        assert!(!detect_as(row, Role::Receive));
        assert!(!detect_as(
            "2026-03-04T09:20:01.191Z,组织内组织内组织内组织内",
            Role::Send
        ));
    }

    #[test]
    fn fields_header_sets_column_order() {
        let c = Columns::from_names(
            "date-time,session-id,connector-id,sequence-number,event,data,context,local-endpoint,remote-endpoint",
        )
        .unwrap();
        assert_eq!((c.time, c.session, c.connector, c.event), (0, 1, Some(2), 4));
        assert!(Columns::from_names("date-time,event,data").is_none());
    }

    #[test]
    fn note_wordings() {
        assert_eq!(
            info_kind("", "Inbound AUTH LOGIN failed because of LogonDenied"),
            InfoKind::AuthFailed
        );
        assert_eq!(
            info_kind("ann@example.net", "authenticated"),
            InfoKind::AuthSucceeded
        );
        assert_eq!(
            info_kind("", "TLS negotiation failed with error UnknownCredentials"),
            InfoKind::TlsFailed
        );
        assert_eq!(
            info_kind("", "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm CALG_AES_256"),
            InfoKind::TlsStarted
        );
        assert_eq!(
            info_kind(
                "SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAuthenticationFlag",
                "Set Session Permissions"
            ),
            InfoKind::Note
        );
        assert_eq!(
            info_kind("", "Tarpit for '0.00:00:05' due to 'DelayedAck'"),
            InfoKind::Note
        );
        assert_eq!(
            info_kind(
                "",
                "Failed to connect. Winsock error code: 10061, Win32 error code: 10061."
            ),
            InfoKind::ConnectFailed
        );
    }
}
