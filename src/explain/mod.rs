//! What commands and replies mean, for inline explanations and verdicts. The views ask here;
//! nothing in this module knows how text is drawn.

use crate::model::{EventKind, ReplyCode, Session, Step};

/// A one-line explanation of event `index` of `session`, or `None` when there is nothing
/// useful to add (e.g. message data).
pub fn event_note(session: &Session, index: usize) -> Option<String> {
    let ev = session.events.get(index)?;
    match ev.kind {
        EventKind::Command => ev.step.map(command_meaning).map(str::to_owned),
        EventKind::Reply => ev.code.map(|c| reply_meaning(&c, ev.step)),
        EventKind::AuthData => Some("credentials sent for AUTH (masked)".to_owned()),
        EventKind::MessageData | EventKind::Info(_) => None,
    }
}

/// What the client asks for with this command.
pub fn command_meaning(step: Step) -> &'static str {
    match step {
        Step::Helo => "client introduces itself (plain SMTP)",
        Step::Ehlo => "client introduces itself and asks for the server's extensions",
        Step::Lhlo => "client introduces itself (LMTP)",
        Step::StartTls => "client asks to switch to an encrypted (TLS) connection",
        Step::Auth => "client starts authentication",
        Step::Mail => "client names the sender: a new message begins",
        Step::Rcpt => "client names a recipient",
        Step::Data => "client asks to send the message content",
        Step::Bdat | Step::BdatLast => "client sends a chunk of the message (CHUNKING)",
        Step::Rset => "client abandons the current message",
        Step::Noop => "client checks the connection is alive",
        Step::Quit => "client ends the session",
        Step::Vrfy => "client asks whether a mailbox exists",
        Step::Expn => "client asks to expand a mailing list",
        Step::Help => "client asks for help",
        Step::Turn | Step::Etrn => "client asks the server to start delivering queued mail",
        Step::Xclient | Step::Xforward => "proxy passes the original client's details",
        Step::Greeting | Step::DataEnd | Step::Other => "command",
    }
}

/// The meaning of a reply code by its class, with the step it answers.
pub fn reply_meaning(code: &ReplyCode, step: Option<Step>) -> String {
    let class = match code.basic / 100 {
        2 => "success",
        3 => "server waits for more input",
        4 => "temporary failure: retry later",
        5 => "permanent failure",
        _ => "unknown reply class",
    };
    match step {
        Some(s) if s != Step::Other => format!("{class} ({} reply)", s.name()),
        _ => class.to_owned(),
    }
}
