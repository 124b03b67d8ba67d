//! Golden tests for the Stalwart log: raw SMTP input/output events split into lines, sessions
//! by remote address and port, connection start/end events.
mod common;
use common::*;
use smtpscope::model::{EventKind, InfoKind, Step};
use smtpscope::output::json::session_json;

#[test]
fn sessions_statuses_and_peers() {
    let (sessions, report) = load("stalwart.log");
    assert_eq!(report.format, Some("stalwart"));
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "203.0.113.45:52114",
            "198.51.100.23:40022",
            "198.51.100.140:33871",
            "192.0.2.61:45190",
            "203.0.113.77:60001"
        ]
    );
    let verdicts: Vec<_> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        [
            "success 250 2.0.0", // AUTH PLAIN, pipelined transaction, queued
            "failure 535 5.7.8", // AUTH LOGIN refused
            "failure 550 5.1.2", // relay not allowed
            "partial 550 5.1.1", // one of two pipelined recipients refused
            "failure - -",       // connection reset after MAIL FROM
        ]
    );
    assert_eq!(sessions[1].verdict.outcome.as_str(), "auth-failed");
    assert_eq!(sessions[4].verdict.outcome.as_str(), "connection-failed");
    assert_eq!(sessions[0].client.as_deref(), Some("203.0.113.45:52114"));
    assert!(sessions.iter().all(|s| s.closed));
    // The start-up event and the expression evaluation (TRACE internals).
    assert_eq!(report.unparsed_count, 2);
}

#[test]
fn raw_events_become_lines_and_pipelined_replies_pair() {
    let (sessions, _) = load("stalwart.log");
    let a = &sessions[0];
    // start, greeting, EHLO, EHLO note, 6-line reply, AUTH, auth note, 235, three pipelined
    // commands in one event, their three replies in another, queued, QUIT, 221, end.
    assert_eq!(directions(a), "ISCISCISCCCSSSSCSI");
    assert_eq!(a.events[4].text.lines().count(), 6);
    let steps: Vec<_> = a.events[11..15].iter().map(|e| e.step).collect();
    assert_eq!(
        steps,
        [
            Some(Step::Mail),
            Some(Step::Rcpt),
            Some(Step::Data),
            Some(Step::DataEnd)
        ]
    );
    assert_eq!(a.events[6].kind, EventKind::Info(InfoKind::AuthSucceeded));
}

#[test]
fn credentials_never_reach_json() {
    let (sessions, _) = load("stalwart.log");
    for secret in [
        "AG1hcmlhQGV4YW1wbGUubmV0AFF1YXJ0ei1MYWdvb24tMzE=",
        "Ym9iQGV4YW1wbGUubmV0",
        "d3Jvbmctb25lLTM=",
    ] {
        let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
        assert!(revealed.contains(secret), "the sample must carry {secret}");
        for s in &sessions {
            assert!(!session_json(s, false).contains(secret), "{}", s.id);
        }
    }
}

mod hostile {
    /// Grammar pieces mixed with junk, so random input reaches the parser's deeper rules.
    const FRAGMENTS: &[&str] = &[
        "2026-02-03T09:14:02Z TRACE Raw SMTP input received (smtp.raw-input) ",
        "2026-02-03T09:14:02.5+01:00 INFO x (smtp.connection-start) ",
        "DEBUG y (network.read-error) ",
        "(delivery.raw-output) ",
        "remoteIp = 192.0.2.1, remotePort = 1",
        ", contents = \"",
        "\\r\\n",
        "\\\"",
        "\\",
        "\"",
        "250-a",
        "354 ",
        "AUTH PLAIN ",
        "日本語",
        "\u{1b}[2J",
    ];

    crate::common::soup_never_panics!("stalwart", FRAGMENTS);
}
