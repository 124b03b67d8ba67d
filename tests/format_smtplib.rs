//! Golden tests for Python smtplib debug transcripts (levels 1 and 2).
mod common;
use common::*;
use smtpscope::model::{EventKind, InfoKind, Step};

#[test]
fn debuglevel_2_starttls_auth_success_and_auth_failure() {
    let (sessions, report) = load("python-smtplib-debug2.log");
    assert_eq!(report.format, Some("smtplib"));
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(verdicts, ["success 250 2.0.0", "failure 535 5.7.8"]);
    assert_eq!(report.unparsed_count, 0);
    let ok = &sessions[0];
    assert_eq!(ok.id, "#1");
    assert_eq!(ok.server.as_deref(), Some("mail.example.net:587"));
    assert!(ok.closed, "the reply to quit ends the session");
    // connect note, greeting, ehlo + grouped reply, STARTTLS + 220, ehlo again + reply, AUTH + 235,
    // mail, rcpt, data + 354, the message (one event), 250, quit + 221. The retcode summaries and
    // `data:` repeats add nothing.
    assert_eq!(directions(ok), "ISCSCSCSCSCSCSCSCSCS");
    assert_eq!(ok.events[3].text.lines().count(), 7);
    assert!(ok.start.is_some_and(|t| !t.has_date && t.clock() == "09:14:02"));
    let auth = ok.events.iter().find(|e| e.step == Some(Step::Auth)).unwrap();
    assert_eq!(auth.display_text(false), "AUTH PLAIN ********");
    assert_eq!(auth.display_text(true), "AUTH PLAIN AGJ1aWxkYm90AGh1bnRlcjI=");
    let body = ok
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert!(body.text.contains("It's green ✓"), "{}", body.text);
    assert!(body.text.ends_with("\n."));

    let bad = &sessions[1];
    assert_eq!(bad.id, "#2");
    assert_eq!(bad.verdict.outcome.as_str(), "auth-failed", "{}", bad.summary);
    // The LOGIN password sent after the 334 is masked too.
    let secret = bad.events.iter().find(|e| e.kind == EventKind::AuthData).unwrap();
    assert_eq!(secret.display_text(false), "********");
    // The traceback is one note, exception line first.
    let last = bad.events.last().unwrap();
    assert_eq!(last.kind, EventKind::Info(InfoKind::Error));
    assert!(last.text.starts_with("smtplib.SMTPAuthenticationError: (535"));
    assert_eq!(last.text.lines().count(), 11);
    // smtplib gave up after the refusal: the script ended, so did the session (a live tail
    // prints it without waiting for another session).
    assert!(bad.closed);
}

#[test]
fn debuglevel_1_ssl_partial_delivery_and_refused_connection() {
    let (sessions, report) = load("python-smtplib-debug1.log");
    assert_eq!(report.format, Some("smtplib"));
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(verdicts, ["partial 550 5.1.1", "failure - -"]);
    assert_eq!(report.unparsed_count, 0);
    // SMTP_SSL logs `connect: (…)` and then `connect: to (…)`: one session, not two.
    assert_eq!(sessions[0].server.as_deref(), Some("smtp.example.net:465"));
    assert!(sessions[0].start.is_none(), "level 1 has no timestamps");
    assert_eq!(directions(&sessions[0]), "ISCSCSCSCSCSCSCSCS");
    let refused = &sessions[1];
    assert_eq!(refused.server.as_deref(), Some("203.0.113.9:25"));
    assert!(refused.closed);
    assert_eq!(directions(refused), "II");
    assert_eq!(refused.events[1].kind, EventKind::Info(InfoKind::ConnectFailed));
}

#[test]
fn detected_without_a_connect_line() {
    // set_debuglevel after SMTP(host) already connected: the log starts at ehlo.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.log");
    std::fs::write(
        &path,
        "send: 'ehlo [127.0.1.1]\\r\\n'\nreply: b'250 mail.example.net\\r\\n'\nreply: retcode (250); Msg: b'mail.example.net'\nsend: 'quit\\r\\n'\nreply: b'221 Bye\\r\\n'\nreply: retcode (221); Msg: b'Bye'\n",
    )
    .unwrap();
    let (sessions, report) = smtpscope::load::load_input(
        &smtpscope::source::Input::File(path),
        &smtpscope::load::LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(report.format, Some("smtplib"));
    assert_eq!(sessions.len(), 1);
    assert_eq!(verdict(&sessions[0]), "success - -");
    assert_eq!(directions(&sessions[0]), "CSCS");
}

#[test]
fn a_new_connect_begins_a_new_session_even_without_quit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.log");
    std::fs::write(
        &path,
        "connect: to ('a.example.net', 25) None\nreply: b'220 a ready\\r\\n'\nsend: 'ehlo x\\r\\n'\nreply: b'250 a\\r\\n'\n\
         connect: to ('b.example.net', 25) None\nreply: b'220 b ready\\r\\n'\n",
    )
    .unwrap();
    let (sessions, _) = smtpscope::load::load_input(
        &smtpscope::source::Input::File(path),
        &smtpscope::load::LoadOptions::default(),
    )
    .unwrap();
    let servers: Vec<_> = sessions.iter().map(|s| s.server.as_deref()).collect();
    assert_eq!(servers, [Some("a.example.net:25"), Some("b.example.net:25")]);
}
