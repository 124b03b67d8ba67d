//! What commands, replies and sessions mean: reply codes, the enhanced status code registry,
//! commands and extensions, AUTH exchanges, provider hints and the per-session verdict. The
//! TUI, `--list`, `--json` and `smtpscope explain` all ask here; nothing in this module knows
//! how text is drawn.

pub mod auth;
pub mod commands;
pub mod diagnosis;
pub mod enhanced;
pub mod hints;
pub mod lookup;
pub mod reply_codes;

pub use commands::command_meaning;
pub use diagnosis::{duration, latencies, reply_latency, slow_steps, verdict, SLOW_STEP_SECS};

use crate::model::{Enhanced, EventKind, InfoKind, ReplyCode, Session, Step};
use enhanced::EnhancedInfo;
use hints::Hint;
use reply_codes::{BasicCode, CodeClass};

/// Everything known about one reply: basic code, enhanced code, provider hint.
#[derive(Clone, Debug)]
pub struct ReplyExplanation {
    pub code: Option<u16>,
    pub step: Option<Step>,
    pub basic: Option<&'static BasicCode>,
    pub enhanced: Option<EnhancedInfo>,
    pub hint: Option<&'static Hint>,
}

impl ReplyExplanation {
    /// Permanent, temporary, … from the basic code, else from the enhanced class.
    pub fn class(&self) -> CodeClass {
        match (self.code, &self.enhanced) {
            (Some(c), _) => CodeClass::of(c),
            (None, Some(e)) => CodeClass::of(u16::from(e.code.class) * 100),
            (None, None) => CodeClass::Unknown,
        }
    }

    /// The most specific meaning known: the enhanced detail (unless it is a generic `X.y.0`),
    /// else the basic code's meaning, else the class.
    pub fn phrase(&self) -> String {
        if let Some(e) = &self.enhanced {
            if e.detail.is_some() && e.code.detail != 0 {
                return e.phrase();
            }
        }
        match (self.basic, self.code, &self.enhanced) {
            (Some(b), _, _) => b.meaning.to_owned(),
            (None, Some(c), _) => reply_codes::meaning(c, self.step),
            (None, None, Some(e)) => e.phrase(),
            (None, None, None) => "no status code".to_owned(),
        }
    }

    /// One line for a negative or unusual reply: class, meaning, and the hint's action.
    pub fn note(&self) -> String {
        let class = match self.class() {
            CodeClass::Permanent => "permanent failure: ",
            CodeClass::Temporary => "temporary failure: ",
            _ => "",
        };
        match self.hint {
            Some(h) => format!("{class}{} — {}", h.meaning, h.action),
            None => format!("{class}{}", self.phrase()),
        }
    }
}

/// Explains a reply from its parts; `text` is the reply text (codes removed, lines joined)
/// and `server` what is known about the server (name, greeting) for provider hints.
pub fn explain_reply(
    code: Option<u16>,
    enhanced: Option<Enhanced>,
    step: Option<Step>,
    text: &str,
    server: &str,
) -> ReplyExplanation {
    ReplyExplanation {
        code,
        step,
        basic: code.and_then(|c| reply_codes::lookup(c, step)),
        enhanced: enhanced.map(enhanced::lookup),
        hint: hints::find(code, enhanced, text, server),
    }
}

/// What the session tells about its server, for matching provider hints: the server's name
/// and the greeting and EHLO reply's first lines.
pub fn server_context(session: &Session) -> String {
    let mut ctx = session.server.clone().unwrap_or_default();
    for e in session
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Reply)
        .take(3)
    {
        if matches!(e.step, Some(Step::Greeting | Step::Ehlo | Step::Helo)) {
            ctx.push(' ');
            ctx.push_str(e.text.lines().next().unwrap_or(""));
        }
    }
    ctx
}

/// Generic advice for failures no provider hint covers, by enhanced code then basic code.
pub fn advice(ex: &ReplyExplanation, step: Option<Step>) -> Option<&'static str> {
    let code = ex.code.unwrap_or(0);
    if let Some(e) = &ex.enhanced {
        let a = match (e.code.subject, e.code.detail) {
            (1, 1) | (1, 0) if step != Some(Step::Mail) => "check the recipient address",
            (1, 2) => "check the domain after the @",
            (1, 3) | (1, 7) => "check the address syntax",
            (1, 8) => "use a sender domain that exists and accepts mail",
            (1, 10) => "the domain accepts no mail; use another address",
            (2, 1) => "contact the recipient another way",
            (2, 2) => "the recipient must free space in the mailbox",
            (2, 3) | (3, 4) => "send a smaller message (share big attachments as links)",
            (7, 8) => "check the username and password",
            (7, 9) | (7, 10) | (7, 11) => "use TLS and a mechanism the server accepts",
            (7, 13) => "ask the administrator to re-enable the account",
            (7, 20..=24) | (7, 26) => "fix SPF, DKIM and DMARC for the sender's domain",
            (7, 25) => "set reverse DNS (PTR) for the sending IP",
            (7, 30) => "send without REQUIRETLS or through servers that support it",
            _ => "",
        };
        if !a.is_empty() {
            return Some(a);
        }
    }
    Some(match code {
        421 => "retry later",
        530 => "log in (and use STARTTLS) before sending",
        535 => "check the username and password",
        534 | 538 => "use TLS and a mechanism the server accepts",
        552 if matches!(step, Some(Step::DataEnd | Step::BdatLast | Step::Mail)) => "send a smaller message",
        550 | 551 if step == Some(Step::Rcpt) => "check the recipient address",
        554 if step == Some(Step::Greeting) => "the server refuses this client outright (often a blocklist)",
        500..=504 | 555 => {
            "the client sent a command or parameter the server does not accept; check its settings"
        }
        c if (400..500).contains(&c) => "retry later",
        _ => return None,
    })
}

/// A one-line explanation of event `index` of `session`, or `None` when there is nothing
/// useful to add (message data, plain notes). Never reveals credentials: client lines of an
/// AUTH exchange are only named, never decoded. Log text quoted in it (hosts, addresses) has
/// its control characters escaped, so the note is safe to print.
pub fn event_note(session: &Session, index: usize) -> Option<String> {
    with_latency(base_note(session, index)?, reply_latency(session, index))
}

/// [`event_note`] for every event at once, pairing replies with commands only once: what
/// `--json` uses, so long sessions stay linear.
pub fn event_notes(session: &Session) -> Vec<Option<String>> {
    let lat = latencies(session);
    (0..session.events.len())
        .map(|i| with_latency(base_note(session, i)?, lat.get(i).copied().flatten()))
        .collect()
}

fn with_latency(note: String, latency: Option<f64>) -> Option<String> {
    let note = crate::sanitize::escape_controls(&note).into_owned();
    match latency {
        Some(s) if s > SLOW_STEP_SECS => Some(format!("{note} (slow: {s:.1} s)")),
        _ => Some(note),
    }
}

/// The provider hint for event `index` (a reply, or a note quoting one), for views that show
/// what to do and the source in a detail pane.
pub fn event_hint(session: &Session, index: usize) -> Option<&'static Hint> {
    let ev = session.events.get(index)?;
    let code = ev.code?;
    let text = diagnosis::reply_text(ev);
    explain_reply(
        Some(code.basic),
        code.enhanced,
        ev.step,
        &text,
        &server_context(session),
    )
    .hint
}

fn base_note(session: &Session, index: usize) -> Option<String> {
    let ev = session.events.get(index)?;
    match ev.kind {
        EventKind::Command => Some(commands::command_note(&ev.display_text(false))),
        EventKind::Reply => Some(reply_note(session, index)),
        EventKind::AuthData => {
            let (challenge, mech) = auth_context(session, index);
            Some(auth::answer_note(challenge.as_ref(), mech.as_deref()))
        }
        EventKind::MessageData => None,
        EventKind::Info(kind) => info_note(session, index, kind),
    }
}

/// The challenge just before a client AUTH line, and the mechanism in use.
fn auth_context(session: &Session, index: usize) -> (Option<auth::Challenge>, Option<String>) {
    let before = &session.events[..index];
    let mech = before
        .iter()
        .rev()
        .find(|e| e.step == Some(Step::Auth) && e.kind == EventKind::Command)
        .and_then(|e| auth::mechanism_of(&e.text));
    let challenge = before
        .last()
        .filter(|e| e.code.is_some_and(|c| c.basic == 334))
        .map(|e| auth::decode_challenge(&diagnosis::reply_text(e), mech.as_deref()));
    (challenge, mech)
}

fn reply_note(session: &Session, index: usize) -> String {
    let ev = &session.events[index];
    let Some(code) = ev.code else {
        return "server text without a status code".to_owned();
    };
    let text = diagnosis::reply_text(ev);
    if code.basic == 334 {
        let (_, mech) = auth_context(session, index);
        return auth::decode_challenge(&text, mech.as_deref()).note();
    }
    if code.is_positive() {
        if let Some(n) = positive_note(ev.step, code, &ev.text, &text) {
            return n;
        }
    }
    explain_reply(
        Some(code.basic),
        code.enhanced,
        ev.step,
        &text,
        &server_context(session),
    )
    .note()
}

fn positive_note(step: Option<Step>, code: ReplyCode, raw: &str, text: &str) -> Option<String> {
    Some(match (step?, code.basic) {
        (Step::Ehlo | Step::Lhlo, 250) => commands::ehlo_summary(raw),
        (Step::Helo, 250) => "server accepts the greeting".to_owned(),
        (Step::Greeting, 220) => match server_software(text) {
            Some(sw) => format!("server is ready and greets the client ({sw})"),
            None => "server is ready and greets the client".to_owned(),
        },
        (Step::Auth, 235) => "login accepted".to_owned(),
        (Step::Mail, 250) => "sender accepted".to_owned(),
        (Step::Rcpt, 250) => "recipient accepted".to_owned(),
        (Step::Data, 354) => "server is ready for the message content".to_owned(),
        (Step::DataEnd | Step::BdatLast, 250) => match diagnosis::queue_id(text) {
            Some(q) => format!("message accepted for delivery (queue id {q})"),
            None => "message accepted for delivery".to_owned(),
        },
        (Step::Bdat, 250) => "chunk received".to_owned(),
        (Step::Rset, 250) => "transaction reset".to_owned(),
        (Step::Quit, 221) => "server closes the connection".to_owned(),
        _ => return None,
    })
}

/// The mail server software or provider a greeting names, when it says.
pub fn server_software(greeting: &str) -> Option<&'static str> {
    let g = greeting.to_ascii_lowercase();
    const KNOWN: &[(&str, &str)] = &[
        ("gsmtp", "Gmail"),
        ("microsoft esmtp", "Microsoft Exchange / Microsoft 365"),
        ("outlook.com", "Microsoft 365 / Outlook.com"),
        ("postfix", "Postfix"),
        ("exim", "Exim"),
        ("sendmail", "Sendmail"),
        ("hmailserver", "hMailServer"),
        ("mailenable", "MailEnable"),
        ("smartermail", "SmarterMail"),
        ("mdaemon", "MDaemon"),
        ("zimbra", "Zimbra"),
        ("qmail", "qmail"),
        ("opensmtpd", "OpenSMTPD"),
        ("haraka", "Haraka"),
        ("kerio", "Kerio Connect"),
        ("yahoo", "Yahoo"),
        ("amazon ses", "Amazon SES"),
    ];
    KNOWN.iter().find(|(k, _)| g.contains(k)).map(|(_, name)| *name)
}

fn info_note(session: &Session, index: usize, kind: InfoKind) -> Option<String> {
    let ev = &session.events[index];
    let base = match kind {
        InfoKind::Note => "",
        InfoKind::Connecting => "client is connecting",
        InfoKind::Connected => "connection established",
        InfoKind::TlsStarted => "TLS negotiated: everything from here on is encrypted",
        InfoKind::Closed => "connection closed",
        InfoKind::ConnectFailed => "the connection could not be made",
        InfoKind::TlsFailed => "TLS handshake failed: check the port (465 implicit TLS, 587 STARTTLS), TLS versions and certificates",
        InfoKind::LostConnection => "the connection was lost before the session ended",
        InfoKind::Timeout => "timed out waiting for the other side",
        InfoKind::AuthSucceeded => "login succeeded",
        InfoKind::AuthFailed => "login failed",
        InfoKind::Delivered => "the message reached its destination",
        InfoKind::Deferred => "delivery deferred: it will be retried",
        InfoKind::Bounced => "the message was returned to the sender",
        InfoKind::Rejected => "the server refused it",
        InfoKind::Error => "the logging program reported an error",
        InfoKind::OnwardDelivered => "later: the accepted message was delivered onward",
        InfoKind::OnwardDeferred => "later: onward delivery of the accepted message was deferred; it will be retried",
        InfoKind::OnwardBounced => "later: onward delivery of the accepted message failed and it was bounced",
    };
    let code_note = ev.code.map(|c| {
        let text = ev.text.clone();
        explain_reply(Some(c.basic), c.enhanced, None, &text, &server_context(session)).note()
    });
    match (base.is_empty(), code_note) {
        (true, None) => None,
        (true, Some(c)) => Some(c),
        (false, None) => Some(base.to_owned()),
        (false, Some(c)) => Some(format!("{base}: {c}")),
    }
}
