//! The verdict sentence of each session (what happened and the likely fix), and timings: how
//! long each reply took and which steps were slow.

use super::{explain_reply, server_context, ReplyExplanation};
use crate::model::{Event, EventKind, InfoKind, Outcome, Session, Step};
use std::collections::VecDeque;

/// Replies slower than this (seconds after their command) are flagged as slow steps.
pub const SLOW_STEP_SECS: f64 = 2.0;

/// For every event: the index of the event it answers (replies only). Replays the pairing the
/// assembler did (pipelining-safe), so each reply gets its own command.
pub fn prompts(session: &Session) -> Vec<Option<usize>> {
    let events = &session.events;
    let mut out = vec![None; events.len()];
    let mut pending: VecDeque<usize> = VecDeque::new();
    let mut auth_answer: Option<usize> = None;
    for (i, ev) in events.iter().enumerate() {
        match ev.kind {
            EventKind::Command => pending.push_back(i),
            EventKind::AuthData => auth_answer = Some(i),
            EventKind::Info(InfoKind::TlsStarted) => pending.clear(),
            EventKind::Reply => out[i] = reply_prompt(events, i, &mut pending, &mut auth_answer),
            _ => {}
        }
    }
    out
}

fn reply_prompt(
    events: &[Event],
    i: usize,
    pending: &mut VecDeque<usize>,
    auth_answer: &mut Option<usize>,
) -> Option<usize> {
    let ev = &events[i];
    match ev.step? {
        Step::Greeting => events[..i].iter().rposition(|e| {
            matches!(
                e.kind,
                EventKind::Info(InfoKind::Connected | InfoKind::Connecting)
            )
        }),
        // The reply to the message data answers whatever came just before it (the data, or
        // the 354 when the log leaves the data out).
        Step::DataEnd => i.checked_sub(1),
        Step::Auth => {
            let command = *pending.front()?;
            let answer = auth_answer.filter(|&a| a > command);
            if ev.code.is_some_and(|c| c.basic == 334) {
                return Some(answer.unwrap_or(command));
            }
            pending.pop_front();
            *auth_answer = None;
            Some(answer.unwrap_or(command))
        }
        _ => pending.pop_front(),
    }
}

/// Seconds from the command to this reply (`index` must be a reply), when both have times.
pub fn reply_latency(session: &Session, index: usize) -> Option<f64> {
    let prompt = *prompts(session).get(index)?;
    latency_between(session, prompt?, index)
}

/// [`reply_latency`] for every event at once (views and `--json` that need them all).
pub fn latencies(session: &Session) -> Vec<Option<f64>> {
    prompts(session)
        .iter()
        .enumerate()
        .map(|(i, p)| p.and_then(|p| latency_between(session, p, i)))
        .collect()
}

fn latency_between(session: &Session, prompt: usize, reply: usize) -> Option<f64> {
    let t1 = session.events.get(reply)?.time?;
    let t0 = session.events.get(prompt)?.time?;
    t1.seconds_since(&t0).filter(|s| *s >= 0.0)
}

/// Replies that took longer than [`SLOW_STEP_SECS`]: (event index, seconds).
pub fn slow_steps(session: &Session) -> Vec<(usize, f64)> {
    latencies(session)
        .into_iter()
        .enumerate()
        .filter_map(|(i, l)| l.filter(|s| *s > SLOW_STEP_SECS).map(|s| (i, s)))
        .collect()
}

/// Seconds from the session's first to its last timestamp.
pub fn duration(session: &Session) -> Option<f64> {
    session.end?.seconds_since(&session.start?)
}

/// The server as a short name for sentences: the session's server without the port, else the
/// host in the greeting, else "the server".
pub fn server_name(session: &Session) -> String {
    if let Some(s) = session
        .server
        .as_deref()
        .map(strip_port)
        .filter(|s| !s.is_empty())
    {
        return s.to_owned();
    }
    session
        .events
        .iter()
        .find(|e| e.step == Some(Step::Greeting))
        .and_then(|e| crate::model::parse_reply_line(e.text.lines().next()?))
        .and_then(|r| r.text.split_whitespace().next().map(str::to_owned))
        .filter(|h| h.contains('.'))
        .unwrap_or_else(|| "the server".to_owned())
}

fn strip_port(s: &str) -> &str {
    let s = s.trim();
    if let Some(host) = s
        .strip_suffix(']')
        .and_then(|x| x.split_once('['))
        .map(|(h, _)| h)
    {
        if !host.is_empty() {
            return host;
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => s,
    }
}

/// The session's verdict: one sentence saying what happened and, for failures, the likely fix.
pub fn verdict(session: &Session) -> String {
    let server = server_name(session);
    let decisive = session
        .verdict
        .decisive
        .and_then(|i| session.events.get(i).map(|e| (i, e)));
    let sentence = match session.verdict.outcome {
        Outcome::Delivered => delivered(session, &server, decisive.map(|d| d.1)),
        Outcome::NoMessage => no_message(session, &server),
        Outcome::InProgress => in_progress(session, &server),
        outcome => match decisive {
            Some((i, ev)) => failure(session, outcome, &server, i, ev),
            None => format!("Failed with {server} ({})", outcome.as_str()),
        },
    };
    match session.verdict.outcome {
        Outcome::Delivered | Outcome::SomeRecipientsRejected => match onward_problem(session) {
            Some(note) => finish(format!("{}; {note}", sentence.trim_end_matches('.'))),
            None => finish(sentence),
        },
        _ => finish(sentence),
    }
}

/// `later delivery bounced (550 5.1.1)` when a message this session handed over failed onward
/// (server logs report that after the connection closed); a bounce outranks a deferral, and a
/// deferral followed by a delivery is not worth saying.
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
    Some(match s.events[at].code {
        Some(c) => format!("later delivery {word} ({c})"),
        None => format!("later delivery {word}"),
    })
}

/// Ends the sentence and escapes control characters of quoted log text.
fn finish(mut s: String) -> String {
    // Most sentences need no escape: keep their buffer instead of copying it.
    s.truncate(s.trim_end().len());
    if let std::borrow::Cow::Owned(safe) = crate::sanitize::escape_controls(&s) {
        s = safe;
    }
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

fn delivered(session: &Session, server: &str, decisive: Option<&Event>) -> String {
    let accepted = session
        .events
        .iter()
        .filter(|e| is_final_acceptance(e) || e.kind == EventKind::Info(InfoKind::Delivered))
        .count();
    // One buffer, written in place: nearly every session of a big log ends here.
    use std::fmt::Write as _;
    let mut out = String::with_capacity(64 + server.len());
    if accepted > 1 {
        let _ = write!(out, "{accepted} messages accepted by {server}");
    } else {
        out.push_str("Message accepted by ");
        out.push_str(server);
    }
    if let Some(c) = decisive.and_then(|e| e.code) {
        let _ = write!(out, " ({c})");
    }
    if accepted <= 1 {
        if let Some(q) = decisive.and_then(|e| queue_id(&e.text)) {
            out.push_str(", queued as ");
            out.push_str(&q);
        }
    }
    out
}

fn is_final_acceptance(e: &Event) -> bool {
    e.kind == EventKind::Reply
        && matches!(e.step, Some(Step::DataEnd | Step::BdatLast))
        && e.code.is_some_and(|c| c.basic < 400)
}

/// `queued as 4XkQ2p1Rz9z9sVd`, `Queued mail for delivery -> 1a2b`, `id=1a2b-000X`.
pub fn queue_id(text: &str) -> Option<String> {
    use crate::filter::find_ascii_ci;
    let at = find_ascii_ci(text, b"queued as ")
        .map(|i| i + 10)
        .or_else(|| find_ascii_ci(text, b"id=").map(|i| i + 3))?;
    // Every byte an id is made of is ASCII, so the id ends at the first other byte.
    let len = text.as_bytes()[at..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
        .count();
    let id = text[at..at + len].trim_end_matches('.');
    (id.len() >= 4).then(|| id.to_owned())
}

fn no_message(session: &Session, server: &str) -> String {
    let logged_in = session.events.iter().any(|e| {
        e.kind == EventKind::Info(InfoKind::AuthSucceeded)
            || (e.step == Some(Step::Auth) && e.code.is_some_and(|c| c.basic == 235))
    });
    if logged_in {
        format!("Logged in to {server}; no message was sent")
    } else {
        format!("Session with {server} ended without sending a message")
    }
}

fn in_progress(session: &Session, server: &str) -> String {
    match session
        .events
        .iter()
        .rposition(|e| e.kind != EventKind::MessageData)
    {
        Some(i) => {
            let what = super::event_note(session, i).unwrap_or_else(|| short_text(&session.events[i]));
            format!("In progress with {server}; last: {what}")
        }
        None => format!("In progress with {server}"),
    }
}

fn failure(session: &Session, outcome: Outcome, server: &str, i: usize, ev: &Event) -> String {
    if let EventKind::Info(kind) = ev.kind {
        if ev.code.is_none() {
            return info_failure(session, kind, server, ev);
        }
    }
    let Some(code) = ev.code else {
        return format!("Failed with {server}: {}", short_text(ev));
    };
    let ctx = server_context(session);
    let ex = explain_reply(Some(code.basic), code.enhanced, ev.step, &reply_text(ev), &ctx);
    let what = match outcome {
        Outcome::AuthFailed => format!("Login rejected by {server}"),
        Outcome::SomeRecipientsRejected => partial_subject(session, server),
        Outcome::TlsFailed => format!("STARTTLS refused by {server}"),
        _ => refused_subject(session, i, ev, server),
    };
    format!("{what} ({code}): {}", fix_clause(&ex, ev.step))
}

/// "meaning; fix" from a hint, or the registry meaning plus generic advice.
fn fix_clause(ex: &ReplyExplanation, step: Option<Step>) -> String {
    if let Some(h) = ex.hint {
        return format!("{}; {}", h.meaning, h.short_action());
    }
    let phrase = ex.phrase();
    match super::advice(ex, step) {
        Some(a) => format!("{phrase}; {a}"),
        None => phrase,
    }
}

fn partial_subject(session: &Session, server: &str) -> String {
    let rejected: Vec<usize> = session
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.kind == EventKind::Reply && e.step == Some(Step::Rcpt) && e.code.is_some_and(|c| c.basic >= 400)
        })
        .map(|(i, _)| i)
        .collect();
    let prompts = prompts(session);
    let first = rejected
        .first()
        .and_then(|&i| prompts[i])
        .and_then(|c| address_of(&session.events[c]));
    match (rejected.len(), first) {
        (n, Some(a)) if n > 1 => {
            format!("Message accepted by {server}, but {n} recipients were refused (first {a})")
        }
        (n, None) if n > 1 => format!("Message accepted by {server}, but {n} recipients were refused"),
        (_, Some(a)) => format!("Message accepted by {server}, but recipient {a} was refused"),
        _ => format!("Message accepted by {server}, but a recipient was refused"),
    }
}

fn refused_subject(session: &Session, i: usize, ev: &Event, server: &str) -> String {
    let command = prompts(session)
        .get(i)
        .copied()
        .flatten()
        .map(|c| &session.events[c]);
    let addr = command.and_then(address_of);
    let temporary = ev.code.is_some_and(|c| c.is_transient());
    let verb = if temporary {
        "temporarily refused by"
    } else {
        "refused by"
    };
    if ev.code.is_some_and(|c| c.basic == 421) {
        return format!("{server} closed the connection");
    }
    match (ev.step, ev.kind) {
        (_, EventKind::Info(InfoKind::Deferred)) => "Delivery deferred".to_owned(),
        (_, EventKind::Info(InfoKind::Bounced)) => "Message bounced".to_owned(),
        (_, EventKind::Info(_)) => format!("Message {verb} {server}"),
        (Some(Step::Greeting), _) => format!("Connection {verb} {server}"),
        (Some(Step::Helo | Step::Ehlo | Step::Lhlo), _) => format!("Greeting {verb} {server}"),
        (Some(Step::Mail), _) => match addr {
            // Only address problems are about the sender; the rest refuse the whole message.
            Some(a) if ev.code.and_then(|c| c.enhanced).is_some_and(|e| e.subject == 1) => {
                format!("Sender {a} {verb} {server}")
            }
            Some(a) => format!("MAIL FROM:{a} {verb} {server}"),
            None => format!("MAIL FROM {verb} {server}"),
        },
        (Some(Step::Rcpt), _) => format!(
            "Recipient {}{verb} {server}",
            addr.map(|a| a + " ").unwrap_or_default()
        ),
        (Some(Step::Data | Step::DataEnd | Step::Bdat | Step::BdatLast), _) => {
            format!("Message {verb} {server}")
        }
        (Some(s), _) => format!("{} {verb} {server}", s.name()),
        (None, _) => format!("Request {verb} {server}"),
    }
}

/// `<a@example.net>` from a MAIL/RCPT command.
fn address_of(ev: &Event) -> Option<String> {
    let t = &ev.text;
    let start = t.find('<')?;
    let end = start + t[start..].find('>')?;
    Some(t[start..=end].to_owned())
}

fn info_failure(session: &Session, kind: InfoKind, server: &str, ev: &Event) -> String {
    let during = session
        .events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Command)
        .and_then(|e| e.step)
        .map(|s| format!(" during {}", s.name()))
        .unwrap_or_default();
    let text = short_text(ev);
    let lower = text.to_ascii_lowercase();
    match kind {
        InfoKind::ConnectFailed if lower.contains("refused") => format!("Could not connect to {server}: connection refused ({text}); check host and port, and that the server listens there"),
        InfoKind::ConnectFailed if lower.contains("resolve") || lower.contains("not known") || lower.contains("no such host") => {
            format!("Could not connect to {server}: the name did not resolve ({text}); check the host name")
        }
        InfoKind::ConnectFailed => format!("Could not connect to {server} ({text}); check host, port and firewall"),
        InfoKind::Timeout => format!("Timed out talking to {server}{during} ({text}); check host, port and firewall, or the server is overloaded"),
        InfoKind::LostConnection => format!("Connection to {server} lost{during} ({text})"),
        InfoKind::TlsFailed => format!(
            "TLS with {server} failed ({text}); check the port (465 implicit TLS, 587 STARTTLS), TLS versions and certificates"
        ),
        InfoKind::AuthFailed => format!("Login rejected by {server} ({text}); check the username and password"),
        InfoKind::Deferred => format!("Delivery deferred ({text}); it will be retried"),
        InfoKind::Bounced => format!("Message bounced ({text})"),
        _ => format!("Failed with {server}: {text}"),
    }
}

/// The reply's text without codes, every line joined: what hints match against.
pub fn reply_text(ev: &Event) -> String {
    ev.text
        .lines()
        .map(|l| crate::model::parse_reply_line(l.trim()).map_or(l.trim(), |r| r.text))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An event's text on one line, cut to a readable length (credentials masked).
fn short_text(ev: &Event) -> String {
    let t = ev.display_text(false).replace('\n', " ");
    let t = t.trim();
    if t.chars().count() > 100 {
        format!("{}…", t.chars().take(100).collect::<String>())
    } else {
        t.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::queue_id;

    /// `queue_id` as first written, on a lowercased copy: the copy-free search must find the
    /// same id in every text.
    fn queue_id_on_a_lowercase_copy(text: &str) -> Option<String> {
        let lower = text.to_ascii_lowercase();
        let at = lower
            .find("queued as ")
            .map(|i| i + 10)
            .or_else(|| lower.find("id=").map(|i| i + 3))?;
        let id: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
            .collect();
        let id = id.trim_end_matches('.').to_owned();
        (id.len() >= 4).then_some(id)
    }

    #[test]
    fn finds_the_id_a_lowercase_copy_finds() {
        let pieces = [
            "250 2.0.0 Ok: ",
            "Queued as ",
            "queued AS ",
            "id=",
            "ID=",
            "4F1C2D3E4A",
            "ab",
            ".",
            "..",
            "é",
            " ",
            "-x_y@h",
            "queued as",
            "i",
            "d=",
            "ü1234",
        ];
        let found = crate::testdata::assert_same_on_texts(
            (&pieces, 7, 30_000),
            queue_id,
            queue_id_on_a_lowercase_copy,
            |id| usize::from(id.is_some()),
        );
        assert!(found > 3000, "only {found} texts with an id");
    }
}
