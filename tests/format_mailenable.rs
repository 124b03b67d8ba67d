//! Golden tests for the MailEnable SMTP activity log: one line per command and reply, inbound
//! (`SMTP-IN`) and outbound (`SMTP-OU`) connections, base64 AUTH arguments masked.
mod common;
use common::*;
use smtpscope::model::{EventKind, Step};
use smtpscope::output::json::session_json;

const SAMPLE: &str = "mailenable-smtp-activity.log";

#[test]
fn sessions_statuses_and_peers() {
    let (sessions, report) = load(SAMPLE);
    assert_eq!(report.format, Some("mailenable"));
    let ids: Vec<_> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["IN-816", "IN-817", "OU-411", "IN-818", "IN-819", "OU-412", "IN-820"]
    );
    let verdicts: Vec<_> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        [
            "success 250 -",     // AUTH, message accepted
            "failure 535 -",     // AUTH refused
            "success 250 2.0.0", // outbound delivery
            "failure 503 -",     // relaying needs authentication
            "partial 550 -",     // one recipient unknown
            "failure 451 4.7.1", // outbound: greylisted
            "open - -",          // the file ends mid-session
        ]
    );
    assert_eq!(sessions[1].verdict.outcome.as_str(), "auth-failed");
    assert_eq!(sessions[0].client.as_deref(), Some("203.0.113.45"));
    assert_eq!(sessions[2].server.as_deref(), Some("192.0.2.61"));
    assert_eq!(sessions[2].client, None);
    assert!(sessions[..6].iter().all(|s| s.closed));
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn each_line_is_a_command_and_its_reply() {
    let (sessions, _) = load(SAMPLE);
    let a = &sessions[0];
    // Greeting, EHLO + run-together reply, AUTH + credential + 235, account note, MAIL,
    // RCPT, DATA (each with reply), the data's reply on a line without a verb, QUIT.
    assert_eq!(directions(a), "SCSCCSICSCSCSSCS");
    assert_eq!(a.events[2].text.lines().count(), 5);
    assert_eq!(a.events[4].kind, EventKind::AuthData);
    assert_eq!(a.events[5].step, Some(Step::Auth));
    assert_eq!(a.events[6].text, "account: maria@example.net");
    assert_eq!(a.events[7].text, "MAIL FROM:<maria@example.net> SIZE=18244");
    assert_eq!(a.events[13].step, Some(Step::DataEnd));
    // Outbound: MailEnable's commands, the remote server's replies.
    let out = &sessions[2];
    assert_eq!(directions(out), "SCSCSCSCSSCS");
    assert_eq!(out.events[1].text, "EHLO mail.example.net");
}

#[test]
fn credentials_never_reach_json() {
    let (sessions, _) = load(SAMPLE);
    for secret in ["TmlnaHQtSGVyb24tNTU=", "d3Jvbmctb25lLTI="] {
        let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
        assert!(revealed.contains(secret), "the sample must carry {secret}");
        for s in &sessions {
            assert!(!session_json(s, false).contains(secret), "{}", s.id);
        }
    }
}

#[test]
fn auth_with_a_mechanism_keeps_it_and_masks_the_response() {
    let text = "02/03/26 10:00:00\tSMTP-IN\tX.MAI\t9\t192.0.2.9\t\t\t220 mx ready\t0\t0\r\n\
                02/03/26 10:00:01\tSMTP-IN\tX.MAI\t9\t192.0.2.9\tAUTH\tPLAIN AGJvYgBodW50ZXIy\t235 Authenticated\t19\t30\tbob\r\n\
                02/03/26 10:05:00\tSMTP-IN\tY.MAI\t9\t192.0.2.10\t\t\t220 mx ready\t0\t0\r\n";
    let (sessions, _) = load_text(text);
    assert_eq!(
        sessions.len(),
        2,
        "a second greeting under one number is a new connection"
    );
    assert_eq!(sessions[1].client.as_deref(), Some("192.0.2.10"));
    assert_eq!(sessions[0].events[1].text, "AUTH PLAIN AGJvYgBodW50ZXIy");
    assert!(!session_json(&sessions[0], false).contains("AGJvYgBodW50ZXIy"));
}

mod hostile {
    /// Grammar pieces mixed with junk, so random input reaches the parser's deeper rules.
    const FRAGMENTS: &[&str] = &[
        "02/03/26 09:14:02\tSMTP-IN\tA.MAI\t816\t192.0.2.4\t",
        "02/03/26 09:14:02\tSMTP-OU\tA.MAI\t411\t\t",
        "13/45/99 99:99:99\tSMTP-IN\t",
        "AUTH\t",
        "PLAIN ",
        "MAIL\tFROM:<a@b>\t",
        "\t\t",
        "220 mx ready",
        "250-a250-b250 c",
        "354 ",
        "535 ",
        "\t0\t0",
        "\tbob@example.net",
        "\r",
        "日本語",
        "\u{1b}[2J",
    ];

    crate::common::soup_never_panics!("mailenable", FRAGMENTS);
}
