//! Golden tests for the hMailServer log: SMTPD (server) and SMTPC (client) sessions, `[nl]`
//! joined replies, `***` masking and session notes from DEBUG lines.
mod common;
use common::*;
use smtpscope::model::EventKind;
use smtpscope::output::json::session_json;

#[test]
fn sessions_statuses_and_peers() {
    let (sessions, report) = load("hmailserver.log");
    assert_eq!(report.format, Some("hmailserver"));
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["4101", "4102", "4103", "4104", "4105", "4106", "4107", "4108"]
    );
    let verdicts: Vec<_> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        [
            "success 250 -",     // AUTH LOGIN, message queued
            "failure 535 -",     // AUTH LOGIN refused
            "success 250 2.0.0", // SMTPC: delivered to the partner's MX
            "failure 550 -",     // relay denied
            "partial 550 -",     // one recipient unknown, the other accepted
            "failure - -",       // connection lost after MAIL FROM
            "failure 451 4.7.1", // SMTPC: greylisted, deferred
            "failure 550 5.1.1", // SMTPC: unknown recipient, bounced
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(outcomes[1], "auth-failed");
    assert_eq!(outcomes[5], "connection-failed");
    assert_eq!(outcomes[6], "deferred");
    // SMTPD names the client, SMTPC the server it delivered to.
    assert_eq!(sessions[0].client.as_deref(), Some("203.0.113.45"));
    assert_eq!(sessions[0].server, None);
    assert_eq!(sessions[2].server.as_deref(), Some("192.0.2.61"));
    assert_eq!(sessions[2].client, None);
    assert!(sessions.iter().all(|s| s.closed));
    // APPLICATION lines and the TCP/IP connect line name no session.
    assert_eq!(report.unparsed_count, 6);
    assert!(report
        .unparsed
        .iter()
        .any(|(_, t)| t.starts_with("TCP - 203.0.113.45")));
}

#[test]
fn directions_follow_the_role() {
    let (sessions, _) = load("hmailserver.log");
    // Creating-session note, greeting, EHLO, reply, AUTH, 334, user, 334, password, 235,
    // MAIL, 250, RCPT, 250, DATA, 354, 250, QUIT, 221, ending note.
    assert_eq!(directions(&sessions[0]), "ISCSCSCSCSCSCSCSSCSI");
    // SMTPC: RECEIVED lines are the remote server's replies, SENT lines hMailServer's commands.
    let out = &sessions[2];
    assert_eq!(directions(out), "ISCSCSCSCSCSCSI");
    assert!(out.events[1].text.starts_with("220 mx.partner.example.org"));
    assert_eq!(out.events[2].text, "EHLO mail.example.net");
    // `SENT: [nl].` is the end of the message data.
    assert_eq!(out.events[10].kind, EventKind::MessageData);
    assert_eq!(out.events[10].text, ".");
    // The lost connection: a note naming the session, then its end.
    assert_eq!(directions(&sessions[5]), "ISCSCSII");
}

#[test]
fn nl_joined_replies_become_multi_line_replies() {
    let (sessions, _) = load("hmailserver.log");
    let ehlo = &sessions[0].events[3];
    assert_eq!(ehlo.kind, EventKind::Reply);
    assert_eq!(
        ehlo.text.lines().collect::<Vec<_>>(),
        [
            "250-mail.example.net",
            "250-SIZE 20480000",
            "250-AUTH LOGIN PLAIN",
            "250 HELP"
        ]
    );
    assert_eq!(ehlo.line, ehlo.last_line);
}

#[test]
fn credentials_never_reach_json() {
    let (sessions, _) = load("hmailserver.log");
    let text = std::fs::read_to_string(sample("hmailserver.log")).unwrap();
    for user in ["bWFyaWFAZXhhbXBsZS5uZXQ=", "Ym9iQGV4YW1wbGUubmV0"] {
        assert!(text.contains(user));
        let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
        assert!(revealed.contains(user), "the sample must carry {user}");
        for s in &sessions {
            assert!(!session_json(s, false).contains(user), "{}", s.id);
        }
    }
    // hMailServer's own `***` stays as written: it is already a mask.
    let pass = &sessions[0].events[8];
    assert_eq!(pass.kind, EventKind::AuthData);
    assert_eq!(pass.display_text(false), "***");
}

#[test]
fn pop3_and_imap_lines_are_not_smtp() {
    let text = "\
\"SMTPD\"\t10\t5\t\"2026-02-03 10:00:00.000\"\t\"192.0.2.4\"\t\"SENT: 220 mx ESMTP\"
\"POP3D\"\t10\t6\t\"2026-02-03 10:00:00.000\"\t\"192.0.2.4\"\t\"RECEIVED: USER bob\"
\"SMTPD\"\t10\t5\t\"2026-02-03 10:00:01.000\"\t\"192.0.2.4\"\t\"RECEIVED: QUIT\"
\"SMTPD\"\t10\t5\t\"2026-02-03 10:00:01.000\"\t\"192.0.2.4\"\t\"SENT: 221 goodbye\"
";
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("hmailserver"));
    assert_eq!(sessions.len(), 1);
    assert_eq!(verdict(&sessions[0]), "success - -");
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn a_reused_session_id_after_creating_session_is_a_new_session() {
    let text = "\
\"DEBUG\"\t1\t\"2026-02-03 10:00:00.000\"\t\"Creating session 5\"
\"SMTPD\"\t1\t5\t\"2026-02-03 10:00:00.000\"\t\"192.0.2.4\"\t\"SENT: 220 mx ESMTP\"
\"DEBUG\"\t1\t\"2026-02-03 11:00:00.000\"\t\"Creating session 5\"
\"SMTPD\"\t1\t5\t\"2026-02-03 11:00:00.000\"\t\"192.0.2.9\"\t\"SENT: 554 go away\"
";
    let (sessions, _) = load_text(text);
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[1].client.as_deref(), Some("192.0.2.9"));
    assert_eq!(verdict(&sessions[1]), "failure 554 -");
}

#[test]
fn without_debug_lines_a_second_greeting_begins_a_new_session() {
    let text = "\
\"SMTPD\"\t1\t3\t\"2026-02-03 10:00:00.000\"\t\"192.0.2.4\"\t\"SENT: 220 mx ESMTP\"
\"SMTPD\"\t1\t3\t\"2026-02-03 10:00:00.100\"\t\"192.0.2.4\"\t\"RECEIVED: STARTTLS\"
\"SMTPD\"\t1\t3\t\"2026-02-03 10:00:00.200\"\t\"192.0.2.4\"\t\"SENT: 220 Ready to start TLS\"
\"SMTPD\"\t1\t3\t\"2026-02-03 10:00:01.000\"\t\"192.0.2.4\"\t\"RECEIVED: QUIT\"
\"SMTPD\"\t1\t3\t\"2026-02-03 10:00:01.000\"\t\"192.0.2.4\"\t\"SENT: 221 goodbye\"
\"SMTPD\"\t1\t3\t\"2026-02-04 08:00:00.000\"\t\"203.0.113.9\"\t\"SENT: 220 mx ESMTP\"
";
    let (sessions, _) = load_text(text);
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["3", "3#2"]);
    assert_eq!(directions(&sessions[0]), "SCSCS");
    assert_eq!(sessions[1].client.as_deref(), Some("203.0.113.9"));
}

mod hostile {
    /// Grammar pieces mixed with junk, so random input reaches the parser's deeper rules.
    const FRAGMENTS: &[&str] = &[
        "\"SMTPD\"\t12\t4101\t\"2026-02-03 09:14:02.113\"\t\"192.0.2.4\"\t\"",
        "\"SMTPC\"\t12\t4101\t\"2026-02-03 09:14:02\"\t\"\"\t\"",
        "\"DEBUG\"\t3\t\"2026-02-03 09:14:02.000\"\t\"",
        "Creating session 4101",
        "Ending session 4101",
        "Session: 4101, ",
        "SENT: ",
        "RECEIVED: ",
        "[nl]",
        "***",
        "\"POP3D\"\t",
    ];

    crate::common::soup_never_panics!("hmailserver", FRAGMENTS);
}
