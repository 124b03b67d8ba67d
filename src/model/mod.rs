//! The one session model every log format is loaded into. Parsers write it, the views only
//! read it, so a rule (status, masking, pairing) is decided here once for every format.

mod reply;
mod row;
mod status;
mod step;
mod time;

pub use reply::{parse_reply_line, Enhanced, ReplyCode, ReplyLine};
pub use row::{checkpoint_line, RowArena, RowExtra, RowHead, SessionRow, CHECKPOINT_EVERY};
pub use status::{evaluate, Outcome, Status, Verdict};
pub use step::Step;
pub use time::{parse_clock, parse_hms_frac, parse_iso_local, parse_ymd, Timestamp};

use std::ops::Range;
use std::sync::Arc;

/// Who said it: the SMTP client, the SMTP server, or the program writing the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Client,
    Server,
    Info,
}

impl Direction {
    /// The word used in `--json` (`client|server|info`): part of the public contract.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Client => "client",
            Direction::Server => "server",
            Direction::Info => "info",
        }
    }
}

/// What a local/info note reports. Parsers map each log's own wording onto these so the status
/// rules need not know any format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InfoKind {
    Note,
    Connecting,
    Connected,
    TlsStarted,
    Closed,
    ConnectFailed,
    TlsFailed,
    LostConnection,
    Timeout,
    AuthSucceeded,
    AuthFailed,
    /// A delivery log says the message reached its destination.
    Delivered,
    /// A delivery log says the message will be retried later.
    Deferred,
    /// A delivery log says the message was returned to the sender.
    Bounced,
    /// A server log says it refused something (a reject line without a transcript).
    Rejected,
    /// A server log says a message it accepted in this session later reached its next hop
    /// (Postfix `status=sent` after `smtpd` received it). The onward delivery is another
    /// transaction: it does not change this session's status, only its summary.
    OnwardDelivered,
    /// As [`InfoKind::OnwardDelivered`], but the onward delivery will be retried later.
    OnwardDeferred,
    /// As [`InfoKind::OnwardDelivered`], but the onward delivery failed and the message was
    /// returned to its sender.
    OnwardBounced,
    /// An error the logging program reported that is not itself an SMTP reply.
    Error,
}

/// The role an event plays in the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A client command (`EHLO`, `MAIL FROM:`…).
    Command,
    /// A server reply; possibly several lines.
    Reply,
    /// Client lines answering a `334` challenge: credentials, masked by default.
    AuthData,
    /// Message content sent after `354` (headers, body, the final `.`).
    MessageData,
    Info(InfoKind),
}

/// One logical step of a session.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// First and last source line (1-based) the event came from.
    pub line: u64,
    pub last_line: u64,
    pub time: Option<Timestamp>,
    pub dir: Direction,
    pub kind: EventKind,
    /// The text as logged, without the log's prefix. Lines of a multi-line reply or a block of
    /// message data are joined with `\n`.
    pub text: String,
    /// For replies: the code of the first line.
    pub code: Option<ReplyCode>,
    /// For commands: which command. For replies: the command this reply answers (paired in
    /// order, so pipelined commands get the right replies).
    pub step: Option<Step>,
    /// Byte ranges of `text` that hold credentials; hidden unless the user asks to reveal.
    pub secrets: Vec<Range<usize>>,
}

impl Event {
    pub fn new(line: u64, time: Option<Timestamp>, dir: Direction, kind: EventKind, text: String) -> Self {
        Event {
            line,
            last_line: line,
            time,
            dir,
            kind,
            text,
            code: None,
            step: None,
            secrets: Vec::new(),
        }
    }

    /// The text with credentials replaced by a mask unless `reveal` is set.
    pub fn display_text(&self, reveal: bool) -> std::borrow::Cow<'_, str> {
        if reveal || self.secrets.is_empty() {
            return std::borrow::Cow::Borrowed(&self.text);
        }
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for r in &self.secrets {
            if r.start < at
                || r.end > self.text.len()
                || !self.text.is_char_boundary(r.start)
                || !self.text.is_char_boundary(r.end)
            {
                continue;
            }
            out.push_str(&self.text[at..r.start]);
            out.push_str(SECRET_MASK);
            at = r.end;
        }
        out.push_str(&self.text[at..]);
        std::borrow::Cow::Owned(out)
    }
}

/// `text` with the byte range `secret` (if any) replaced by [`SECRET_MASK`].
pub fn mask_ranges(text: &str, secret: Option<Range<usize>>) -> String {
    match secret {
        Some(r) if text.is_char_boundary(r.start) && text.is_char_boundary(r.end) && r.end <= text.len() => {
            format!("{}{SECRET_MASK}{}", &text[..r.start], &text[r.end..])
        }
        _ => text.to_owned(),
    }
}

/// What a hidden credential is shown as. Fixed length, so the mask leaks nothing.
pub const SECRET_MASK: &str = "********";

/// One SMTP connection as reconstructed from the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// The file (or `-`) the session was read from.
    pub source: Arc<str>,
    /// The format's short name (see `--formats`).
    pub format: &'static str,
    /// The log's own id for the connection, or a generated `#n` when the log has none.
    pub id: String,
    pub first_line: u64,
    pub last_line: u64,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// Client and server as the log names them (host, `host[ip]`, `ip:port`).
    pub client: Option<String>,
    pub server: Option<String>,
    pub events: Vec<Event>,
    /// True once the log shows the connection ended (close, disconnect, QUIT answered).
    pub closed: bool,
    pub verdict: Verdict,
    /// One sentence saying what happened, for lists and scripts.
    pub summary: String,
}

impl Session {
    pub fn new(source: Arc<str>, format: &'static str, id: String, line: u64) -> Self {
        Session {
            source,
            format,
            id,
            first_line: line,
            last_line: line,
            start: None,
            end: None,
            client: None,
            server: None,
            events: Vec::new(),
            closed: false,
            verdict: Verdict::default(),
            summary: String::new(),
        }
    }

    pub fn status(&self) -> Status {
        self.verdict.status
    }

    /// The reply that decided the status, if any.
    pub fn decisive(&self) -> Option<&Event> {
        self.verdict.decisive.and_then(|i| self.events.get(i))
    }

    /// The decisive reply's code, if the decisive event is a reply.
    pub fn decisive_code(&self) -> Option<ReplyCode> {
        self.decisive().and_then(|e| e.code)
    }

    /// Re-derives status, decisive reply and summary from the events.
    pub fn evaluate(&mut self) {
        self.verdict = evaluate(self);
        self.summary = crate::explain::verdict(self);
    }

    /// As [`Session::evaluate`] without the summary sentence: for sessions kept only as
    /// compact rows, which are read back (and summarised) when shown. Writing a sentence for
    /// every session of a big log costs a tenth of loading it.
    pub fn evaluate_status(&mut self) {
        self.verdict = evaluate(self);
        self.summary.clear();
    }

    /// The codes of the server's replies, in order: what code filters match and compact rows
    /// keep.
    pub fn reply_codes(&self) -> impl Iterator<Item = ReplyCode> + '_ {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Reply)
            .filter_map(|e| e.code)
    }

    /// `client → server` as far as known, for one-line views.
    pub fn peers(&self) -> String {
        let mut out = String::new();
        self.write_peers(&mut out);
        out
    }

    /// As [`Session::peers`], appended to `out` (the list writes a million of them).
    pub fn write_peers(&self, out: &mut String) {
        if let Some(c) = &self.client {
            out.push_str(c);
            if self.server.is_some() {
                out.push(' ');
            }
        }
        if let Some(s) = &self.server {
            out.push_str("→ ");
            out.push_str(s);
        }
    }
}
