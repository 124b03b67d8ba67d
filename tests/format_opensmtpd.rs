//! Golden tests for the OpenSMTPD log: session reports keyed by the hex session id
//! (failed-command replies, message and delivery results) and `-T smtp,mta` traces.
mod common;
use common::*;
use smtpscope::model::{EventKind, InfoKind, Step};
use smtpscope::output::json::session_json;

#[test]
fn report_sessions_statuses_and_peers() {
    let (sessions, report) = load("opensmtpd.log");
    assert_eq!(report.format, Some("opensmtpd"));
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "6c1f0a2b3d4e5f60",
            "6c1f0a2c7e8d9a01",
            "6c1f0a3112345678",
            "6c1f0a2d11223344",
            "6c1f0a2e55667788",
            "6c1f0a2f99aabbcc",
            "6c1f0a30ddeeff00",
            "6c1f0a34456789bc",
            "6c1f0a3223456789",
            "6c1f0a33345678ab"
        ]
    );
    assert_eq!(
        verdicts(&sessions),
        [
            "success - -",       // smtp: authenticated, message queued
            "failure 535 -",     // smtp: AUTH LOGIN refused
            "success 250 2.0.0", // mta: delivered to the partner's MX
            "failure 550 -",     // smtp: relay denied
            "partial 550 -",     // smtp: one recipient refused, message queued for the other
            "failure - -",       // smtp: client vanished
            "failure 550 5.7.1", // smtp: refused at connect (no rDNS)
            "success - -",       // mda: local delivery
            "failure 451 4.7.1", // mta: greylisted (TempFail)
            "failure 550 5.1.1", // mta: unknown recipient (PermFail)
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(outcomes[1], "auth-failed");
    assert_eq!(outcomes[5], "connection-failed");
    assert_eq!(outcomes[8], "deferred");
    assert_eq!(
        sessions[0].client.as_deref(),
        Some("dsl-45.example.com[203.0.113.45]")
    );
    assert_eq!(sessions[5].client.as_deref(), Some("203.0.113.77"));
    assert_eq!(
        sessions[2].server.as_deref(),
        Some("mx.partner.example.org[192.0.2.61:25]")
    );
    assert!(sessions
        .iter()
        .filter(|s| s.id != "6c1f0a34456789bc")
        .all(|s| s.closed));
    // The start-up line.
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn failed_commands_answer_the_command_they_name() {
    let (sessions, _) = load("opensmtpd.log");
    // connect, tls, authentication note, 535 reply, disconnect.
    assert_eq!(directions(&sessions[1]), "IIISI");
    let refused = &sessions[1].events[3];
    assert_eq!((refused.kind, refused.step), (EventKind::Reply, Some(Step::Auth)));
    let relay = sessions[3].decisive().unwrap();
    assert_eq!(relay.step, Some(Step::Rcpt));
    assert!(relay.text.starts_with("550 Invalid recipient"));
    // An empty command is the connection itself: the reply refused the greeting.
    assert_eq!(sessions[6].decisive().unwrap().step, Some(Step::Greeting));
    // reason=disconnect without QUIT reads as a lost connection.
    assert_eq!(
        sessions[5].decisive().unwrap().kind,
        EventKind::Info(InfoKind::LostConnection)
    );
}

#[test]
fn trace_sessions_and_directions() {
    let (sessions, report) = load("opensmtpd-trace.log");
    assert_eq!(report.format, Some("opensmtpd"));
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "smtp:0x7f3a1c2d4e80",
            "mta:0x7f3a1c2d5f10",
            "smtp:0x7f3a1c2d4e80#2"
        ]
    );
    // The second smtp session reuses the first one's pointer and is cut off after a refusal.
    assert_eq!(
        verdicts(&sessions),
        ["success 250 2.0.0", "success 250 2.0.0", "open - -"]
    );
    // smtp: `>>>` is the reply OpenSMTPD sent, `<<<` the command it received.
    let inbound = &sessions[0];
    assert_eq!(directions(inbound), "SCSCSCSCSCSSCS");
    assert_eq!(inbound.events[2].text.lines().count(), 7);
    // mta: `>>>` is OpenSMTPD's command, `<<<` the remote reply.
    let outbound = &sessions[1];
    assert_eq!(directions(outbound), "SCSCSCSCSCSCS");
    assert_eq!(outbound.events[1].text, "EHLO mx1.example.net");
    assert!(outbound.events[0].text.starts_with("220 mx.partner"));
    assert_eq!(outbound.events[9].kind, EventKind::MessageData);
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn credentials_never_reach_json() {
    let (sessions, _) = load("opensmtpd-trace.log");
    let secret = "AG1hcmlhQGV4YW1wbGUubmV0AFNhbHQtTWFyc2gtMTc=";
    let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
    assert!(revealed.contains(secret), "the sample must carry the credential");
    for s in &sessions {
        assert!(!session_json(s, false).contains(secret), "{}", s.id);
    }
}

#[test]
fn bare_report_lines_without_syslog() {
    let text = "\
0a0b0c0d0e0f1011 smtp connected address=192.0.2.5 host=<unknown>
0a0b0c0d0e0f1011 smtp failed-command command=\"DATA\" result=\"451 Try again later\"
0a0b0c0d0e0f1011 smtp disconnected reason=quit
";
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("opensmtpd"));
    assert_eq!(verdicts(&sessions), ["failure 451 -"]);
    assert_eq!(sessions[0].verdict.outcome.as_str(), "deferred");
    assert_eq!(sessions[0].client.as_deref(), Some("192.0.2.5"));
}

mod hostile {
    /// Grammar pieces mixed with junk, so random input reaches the parser's deeper rules.
    const FRAGMENTS: &[&str] = &[
        "0123456789abcdef smtp ",
        "0123456789abcdef mta ",
        "0123456789abcdef mda ",
        "connected address=",
        "connecting address=smtp://",
        "failed-command command=\"",
        "result=\"",
        "disconnected reason=",
        "delivery result=\"TempFail\" stat=\"",
        "message msgid=1",
        "authentication user=a result=",
        "smtp: 0x1: >>> ",
        "mta: 0x1: <<< ",
        "Feb  3 09:14:02 mx1 smtpd[4242]: ",
    ];

    crate::common::soup_never_panics!("opensmtpd", FRAGMENTS);
}
