//! A one-line account of each session for lists and scripts, built from the verdict.

use crate::model::{Event, EventKind, InfoKind, Outcome, Session};

/// One sentence: what happened and the reply that decided it, plus what became of an
/// accepted message afterwards when the log says it bounced or was deferred onward.
pub fn summarize(s: &Session) -> String {
    let mut out = verdict_sentence(s);
    if matches!(
        s.verdict.outcome,
        Outcome::Delivered | Outcome::SomeRecipientsRejected
    ) {
        if let Some(note) = onward_problem(s) {
            out.push_str("; ");
            out.push_str(&note);
        }
    }
    out
}

/// `later delivery bounced (550 5.1.1)` when a message this session handed over failed onward;
/// a bounce outranks a deferral, and a deferral followed by a delivery is not worth saying.
fn onward_problem(s: &Session) -> Option<String> {
    let last = |kind: InfoKind| s.events.iter().rposition(|e| e.kind == EventKind::Info(kind));
    let (word, at) = match last(InfoKind::OnwardBounced) {
        Some(i) => ("bounced", i),
        None => {
            let deferred = last(InfoKind::OnwardDeferred)?;
            if last(InfoKind::OnwardDelivered).is_some_and(|d| d > deferred) {
                return None;
            }
            ("deferred", deferred)
        }
    };
    let ev = &s.events[at];
    Some(match ev.code {
        Some(c) => format!("later delivery {word} ({c})"),
        None => format!("later delivery {word}"),
    })
}

fn verdict_sentence(s: &Session) -> String {
    let decisive = s.decisive();
    let reply = decisive.map(first_line).unwrap_or_default();
    let step = decisive.and_then(|e| e.step).map(|st| st.name()).unwrap_or("");
    let accepted = s
        .events
        .iter()
        .filter(|e| {
            e.kind == EventKind::Reply
                && matches!(
                    e.step,
                    Some(crate::model::Step::DataEnd | crate::model::Step::BdatLast)
                )
                && e.code.is_some_and(|c| c.basic < 400)
        })
        .count();
    match s.verdict.outcome {
        Outcome::Delivered if accepted > 1 => format!("{accepted} messages accepted: {reply}"),
        Outcome::Delivered => format!("Message accepted: {reply}"),
        Outcome::NoMessage => match decisive {
            Some(e) if e.step == Some(crate::model::Step::Auth) || matches!(e.kind, EventKind::Info(_)) => {
                format!("Authenticated, no message sent: {reply}")
            }
            _ => "Session ended without sending a message".to_owned(),
        },
        Outcome::SomeRecipientsRejected => format!("Message accepted, but a recipient was refused: {reply}"),
        Outcome::AuthFailed => format!("Authentication failed: {reply}"),
        Outcome::Rejected => format!("{} refused: {reply}", capitalize(step_or(step, "Request"))),
        Outcome::Deferred => format!(
            "{} temporarily refused: {reply}",
            capitalize(step_or(step, "Request"))
        ),
        Outcome::ConnectionFailed => format!("Connection failed: {reply}"),
        Outcome::TlsFailed => format!("TLS failed: {reply}"),
        Outcome::InProgress => match s.events.last() {
            Some(e) => format!("In progress; last: {}", first_line(e)),
            None => "In progress".to_owned(),
        },
    }
}

fn step_or<'a>(step: &'a str, other: &'a str) -> &'a str {
    if step.is_empty() {
        other
    } else {
        step
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The first line of an event's text (replies: the line with the most specific text is often
/// the last, but the first carries the code everyone searches for).
fn first_line(e: &Event) -> String {
    let text = e.display_text(false);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim();
    match lines.last() {
        Some(last) if e.kind == EventKind::Reply => {
            let rest = crate::model::parse_reply_line(last.trim()).map_or(last.trim(), |r| r.text);
            format!("{first} {rest}")
        }
        _ => first.to_owned(),
    }
}
