//! The status rules, applied the same way to every format: what decides success, partial
//! delivery, failure, or a session still in progress.

use super::{EventKind, InfoKind, Session, Step};

/// The public status words of `--json`: `success`, `failure`, `partial`, `open`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Status {
    Success,
    Partial,
    Failure,
    #[default]
    Open,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failure => "failure",
            Status::Partial => "partial",
            Status::Open => "open",
        }
    }

    pub const ALL: [Status; 4] = [Status::Success, Status::Partial, Status::Failure, Status::Open];
}

/// Finer than [`Status`]: why a session ended as it did, for badges and summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Outcome {
    /// At least one message was accepted and nothing failed.
    Delivered,
    /// The session ended cleanly without sending a message (e.g. an AUTH test).
    NoMessage,
    /// A message was accepted but some recipients were refused.
    SomeRecipientsRejected,
    AuthFailed,
    /// A permanent (5xx) refusal of the message, sender or recipients.
    Rejected,
    /// A temporary (4xx) refusal: the sender should retry later.
    Deferred,
    /// The connection could not be made or broke (refused, timeout, lost).
    ConnectionFailed,
    TlsFailed,
    #[default]
    InProgress,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::NoMessage => "no-message",
            Outcome::SomeRecipientsRejected => "some-recipients-rejected",
            Outcome::AuthFailed => "auth-failed",
            Outcome::Rejected => "rejected",
            Outcome::Deferred => "deferred",
            Outcome::ConnectionFailed => "connection-failed",
            Outcome::TlsFailed => "tls-failed",
            Outcome::InProgress => "in-progress",
        }
    }
}

/// Status plus the event (index into `Session::events`) that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Verdict {
    pub status: Status,
    pub outcome: Outcome,
    pub decisive: Option<usize>,
}

/// The mail transaction in progress (MAIL … end of data).
#[derive(Default)]
struct Transaction {
    active: bool,
    failed: Option<usize>,
    rcpt_accepted: u32,
    first_rcpt_rejected: Option<usize>,
}

#[derive(Default)]
struct Walk {
    tx: Transaction,
    /// Negative replies that a later success may still recover from.
    hello_failed: Option<usize>,
    auth_failed: Option<usize>,
    tls_failed: Option<usize>,
    tx_failed: Option<usize>,
    /// Failures nothing recovers from: 421, a refused greeting, a broken connection.
    fatal: Option<usize>,
    accepted: Option<usize>,
    partial: Option<usize>,
    last_positive: Option<usize>,
}

impl Walk {
    fn end_transaction(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        if !tx.active {
            return;
        }
        if let Some(i) = tx.failed {
            self.tx_failed = Some(i);
        } else if tx.rcpt_accepted == 0 {
            if let Some(i) = tx.first_rcpt_rejected {
                self.tx_failed = Some(i);
            }
        }
    }

    fn message_accepted(&mut self, i: usize) {
        if let Some(rej) = self.tx.first_rcpt_rejected {
            self.partial = Some(rej);
        }
        self.accepted = Some(i);
        self.last_positive = Some(i);
        // A later accepted message is taken as the retry that recovers earlier refusals.
        self.tx_failed = None;
        self.auth_failed = None;
        self.hello_failed = None;
        self.tls_failed = None;
        self.tx = Transaction::default();
    }
}

/// Applies the status rules to a session's events.
pub fn evaluate(session: &Session) -> Verdict {
    let mut w = Walk::default();
    for (i, ev) in session.events.iter().enumerate() {
        match ev.kind {
            EventKind::Reply => reply(&mut w, i, ev.code.map(|c| c.basic), ev.step),
            EventKind::Info(kind) => info(&mut w, i, kind),
            EventKind::Command => {
                if matches!(ev.step, Some(Step::Mail)) {
                    w.end_transaction();
                }
            }
            EventKind::AuthData | EventKind::MessageData => {}
        }
    }
    if session.closed {
        w.end_transaction();
    }
    decide(&w, session)
}

fn reply(w: &mut Walk, i: usize, code: Option<u16>, step: Option<Step>) {
    let Some(code) = code else { return };
    let positive = code < 400;
    if code == 421 || (step == Some(Step::Greeting) && !positive) {
        w.fatal.get_or_insert(i);
        return;
    }
    match step {
        Some(Step::Helo | Step::Ehlo | Step::Lhlo) => {
            w.hello_failed = if positive { None } else { Some(i) };
        }
        Some(Step::StartTls) => {
            w.tls_failed = if positive { None } else { Some(i) };
        }
        Some(Step::Auth) => {
            if code == 334 {
                return;
            }
            if positive {
                w.auth_failed = None;
                w.last_positive = Some(i);
            } else {
                w.auth_failed = Some(i);
            }
        }
        Some(Step::Mail) => {
            w.end_transaction();
            w.tx.active = true;
            if !positive {
                w.tx.failed = Some(i);
            }
        }
        Some(Step::Rcpt) => {
            w.tx.active = true;
            if positive {
                w.tx.rcpt_accepted += 1;
            } else if w.tx.first_rcpt_rejected.is_none() {
                w.tx.first_rcpt_rejected = Some(i);
            }
        }
        Some(Step::Data | Step::Bdat) if !positive => {
            w.tx.active = true;
            w.tx.failed.get_or_insert(i);
        }
        Some(Step::DataEnd | Step::BdatLast) => {
            if positive {
                w.message_accepted(i);
            } else {
                w.tx.active = true;
                w.tx.failed = Some(i);
                w.end_transaction();
            }
        }
        Some(Step::Rset | Step::Quit) => w.end_transaction(),
        _ => {}
    }
}

fn info(w: &mut Walk, i: usize, kind: InfoKind) {
    match kind {
        InfoKind::ConnectFailed | InfoKind::Timeout => {
            w.fatal.get_or_insert(i);
        }
        InfoKind::TlsFailed => {
            w.tls_failed = Some(i);
            w.fatal.get_or_insert(i);
        }
        // Losing the connection after the message was accepted and no new transaction
        // started is harmless (clients that never send QUIT); anything else is a failure.
        InfoKind::LostConnection if w.tx.active || w.accepted.is_none() => {
            w.fatal.get_or_insert(i);
        }
        // A note repeating a refusal the reply already showed (`535` then "login failed")
        // leaves the reply decisive.
        InfoKind::AuthFailed => {
            w.auth_failed.get_or_insert(i);
        }
        InfoKind::AuthSucceeded => {
            w.auth_failed = None;
            w.last_positive.get_or_insert(i);
        }
        InfoKind::Delivered => w.message_accepted(i),
        InfoKind::Deferred | InfoKind::Bounced | InfoKind::Rejected => {
            w.tx = Transaction::default();
            w.tx_failed = Some(i);
        }
        _ => {}
    }
}

fn decide(w: &Walk, s: &Session) -> Verdict {
    let failure = w.fatal.or(w.auth_failed).or(w.tx_failed);
    if let Some(i) = failure {
        return Verdict {
            status: Status::Failure,
            outcome: failure_outcome(s, i, w),
            decisive: Some(i),
        };
    }
    if let Some(i) = w.partial {
        return Verdict {
            status: Status::Partial,
            outcome: Outcome::SomeRecipientsRejected,
            decisive: Some(i),
        };
    }
    if let Some(i) = w.accepted {
        return Verdict {
            status: Status::Success,
            outcome: Outcome::Delivered,
            decisive: Some(i),
        };
    }
    if !s.closed {
        return Verdict::default();
    }
    if let Some(i) = w.hello_failed.or(w.tls_failed) {
        return Verdict {
            status: Status::Failure,
            outcome: failure_outcome(s, i, w),
            decisive: Some(i),
        };
    }
    Verdict {
        status: Status::Success,
        outcome: Outcome::NoMessage,
        decisive: w.last_positive,
    }
}

fn failure_outcome(s: &Session, i: usize, w: &Walk) -> Outcome {
    let ev = &s.events[i];
    match ev.kind {
        EventKind::Info(InfoKind::TlsFailed) => return Outcome::TlsFailed,
        EventKind::Info(InfoKind::ConnectFailed | InfoKind::Timeout | InfoKind::LostConnection) => {
            return Outcome::ConnectionFailed
        }
        EventKind::Info(InfoKind::AuthFailed) => return Outcome::AuthFailed,
        EventKind::Info(InfoKind::Deferred) => return Outcome::Deferred,
        _ => {}
    }
    if Some(i) == w.auth_failed && w.fatal.is_none() {
        return Outcome::AuthFailed;
    }
    if Some(i) == w.tls_failed {
        return Outcome::TlsFailed;
    }
    match ev.code {
        Some(c) if c.is_transient() => Outcome::Deferred,
        _ => Outcome::Rejected,
    }
}
