//! Golden tests for MDaemon SMTP logs: session blocks, `-->`/`<--` by role, `[n:m]` ids.
mod common;
use common::*;
use smtpscope::model::EventKind;
use smtpscope::output::json::session_json;

#[test]
fn blocks_statuses_and_peers() {
    let (sessions, report) = load("mdaemon-smtp.log");
    assert_eq!(report.format, Some("mdaemon"));
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["04101", "04102", "04103", "04104", "04105", "04106"]);
    let verdicts: Vec<_> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        [
            "success 250 2.6.0", // AUTH LOGIN, message saved
            "failure 535 5.7.8", // AUTH PLAIN refused
            "failure 552 5.7.1", // relay refused
            "partial 550 5.1.1", // one recipient unknown
            "failure - -",       // connection reset after MAIL FROM
            "failure 451 4.7.1", // outbound: greylisted
        ]
    );
    assert_eq!(sessions[0].peers(), "203.0.113.45:52114 → 192.0.2.10:587");
    assert_eq!(sessions[5].peers(), "→ 203.0.113.130:25");
    assert!(sessions.iter().all(|s| s.closed));
    // The log's start banner belongs to no session.
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn arrows_follow_the_role() {
    let (sessions, _) = load("mdaemon-smtp.log");
    // Inbound: `-->` replies, `<--` commands; eight 250 lines are one reply.
    let a = &sessions[0];
    assert_eq!(directions(a), "IISCSCSCSCISCSCSCSISCSI");
    assert_eq!(a.events[4].text.lines().count(), 8);
    assert_eq!(a.events[7].kind, EventKind::AuthData);
    // Delivery: `<--` the remote replies, `-->` MDaemon's commands.
    let out = &sessions[5];
    assert_eq!(directions(out), "IIIIIISCSCSCSCSI");
    assert_eq!(out.events[7].text, "EHLO mail.example.net");
}

#[test]
fn credentials_never_reach_json() {
    let (sessions, _) = load("mdaemon-smtp.log");
    for secret in [
        "bWFyaWFAZXhhbXBsZS5uZXQ=",
        "Q29iYWx0LUNvdmUtNzc=",
        "AGJvYkBleGFtcGxlLm5ldAB3cm9uZy1vbmUtNA==",
    ] {
        let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
        assert!(revealed.contains(secret), "the sample must carry {secret}");
        for s in &sessions {
            assert!(!session_json(s, false).contains(secret), "{}", s.id);
        }
    }
}

#[test]
fn real_time_logging_with_id_strings_interleaves() {
    let text = "\
Tue 2026-02-03 09:14:02.100: [4201:1] --> 220 mx ESMTP MDaemon
Tue 2026-02-03 09:14:02.110: [4202:1] --> 220 mx ESMTP MDaemon
Tue 2026-02-03 09:14:02.120: [4201:1] <-- QUIT
Tue 2026-02-03 09:14:02.130: [4202:1] <-- HELO x
Tue 2026-02-03 09:14:02.140: [4201:1] --> 221 bye
Tue 2026-02-03 09:14:02.150: [4202:1] --> 250 hi
";
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("mdaemon"));
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["4201:1", "4202:1"]);
    assert_eq!(directions(&sessions[0]), "SCS");
    assert!(sessions[0].closed && !sessions[1].closed);
}

mod hostile {
    /// Grammar pieces mixed with junk, so random input reaches the parser's deeper rules.
    const FRAGMENTS: &[&str] = &[
        "Tue 2026-02-03 09:14:02.100: ",
        "05: ",
        "[4201:1] ",
        "Session 04101; child 0001",
        "----------",
        "--> ",
        "<-- ",
        "Accepting SMTP connection from 192.0.2.1:5 to [192.0.2.2 : 25]",
        "Socket connection established (",
        "SMTP session successful",
        "250-",
        "354 ",
        "AUTH LOGIN",
        "日本語",
        "\u{1b}[2J",
    ];

    crate::common::soup_never_panics!("mdaemon", FRAGMENTS);
}
