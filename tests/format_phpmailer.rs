//! Golden tests for PHPMailer debug output and the WordPress plugins that store it.
mod common;
use common::*;
use smtpscope::load::{load_input, LoadOptions};
use smtpscope::model::{Direction, EventKind, Session};
use smtpscope::output::json::session_json;
use smtpscope::source::Input;

const SAMPLES: [&str; 7] = [
    "phpmailer-level4-html.log",
    "phpmailer-level3-html-source.log",
    "phpmailer-level2-echo.log",
    "phpmailer-level3-errorlog.log",
    "phpmailer-old-5.2.log",
    "wp-mail-smtp-debug-event.log",
    "post-smtp-transcript.log",
];

/// Replies of a session, in order, as their text.
fn replies(s: &Session) -> Vec<&str> {
    s.events
        .iter()
        .filter(|e| e.kind == EventKind::Reply)
        .map(|e| e.text.as_str())
        .collect()
}

#[test]
fn every_sample_is_detected_as_phpmailer() {
    for name in SAMPLES {
        let (_, report) = load(name);
        assert_eq!(report.format, Some("phpmailer"), "{name}");
    }
}

#[test]
fn level4_html_is_one_successful_session_without_repeated_replies() {
    let (sessions, report) = load("phpmailer-level4-html.log");
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(verdicts(&sessions), ["success 250 2.0.0"]);
    let s = &sessions[0];
    assert_eq!(s.server.as_deref(), Some("mail.example.net:587"));
    // Each reply once: the INBOUND lines give it, the SERVER -> CLIENT repeat is dropped.
    let r = replies(s);
    assert_eq!(r.len(), 12);
    assert_eq!(r[1].lines().count(), 6);
    assert!(r[1].ends_with("250 2.0.0 Hello web01.example.org [198.51.100.23], pleased to meet you"));
    assert_eq!(directions(s), "IISCSCSICSIIIICSCSCSCSCSCSCSCSI");
    assert_eq!(s.decisive().map(|e| e.line), Some(59));
    assert_eq!(s.start.unwrap().to_string(), "2026-11-24T14:02:31Z");
}

#[test]
fn html_page_source_is_decoded_and_run_on_replies_split() {
    let (sessions, report) = load("phpmailer-level3-html-source.log");
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(verdicts(&sessions), ["failure 550 5.7.26"]);
    let s = &sessions[0];
    let r = replies(s);
    assert_eq!(r[1].lines().count(), 8);
    assert_eq!(r[1].lines().nth(1), Some("250-SIZE 35882577"));
    let rejection = r
        .last()
        .copied()
        .filter(|t| t.starts_with("221"))
        .map(|_| r[r.len() - 2])
        .unwrap();
    assert_eq!(rejection.lines().count(), 7);
    let data = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert!(data
        .text
        .contains("From: \"Example News\" <news@newsletter.example.org>"));
    assert!(data.text.contains("what's new & what's next"));
    assert!(data.text.contains("<p>Hello reader,</p>"));
    assert!(!s
        .events
        .iter()
        .any(|e| e.text.contains("&gt;") || e.text.contains("<br>")));
}

#[test]
fn level2_echo_auth_failure_then_a_separate_send() {
    let (sessions, report) = load("phpmailer-level2-echo.log");
    assert_eq!(verdicts(&sessions), ["failure 535 5.7.8", "success 250 2.0.0"]);
    // The two application lines ("Message could not be sent…", "Message has been sent").
    assert_eq!(report.unparsed_count, 2);
    let failed = &sessions[0];
    assert_eq!(failed.verdict.outcome.as_str(), "auth-failed");
    let bad = failed.decisive().unwrap();
    assert_eq!(bad.text.lines().count(), 2);
    assert!(bad
        .text
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("535 5.7.8  https://support.google.com"));
    // The EHLO reply's indented continuation lines are one reply.
    assert_eq!(replies(failed)[1].lines().count(), 8);
    assert_eq!(sessions[1].first_line, 36);
    assert_eq!(sessions[1].start.unwrap().to_string(), "2026-11-23T09:21:40Z");
}

#[test]
fn level3_error_log_starttls_send_and_a_failed_connection() {
    let (sessions, report) = load("phpmailer-level3-errorlog.log");
    assert_eq!(verdicts(&sessions), ["success 250 -", "failure - -"]);
    // The PHP deprecation notice in between.
    assert_eq!(report.unparsed_count, 1);
    let ok = &sessions[0];
    assert_eq!(ok.server.as_deref(), Some("mail.example.net:587"));
    assert!(ok.closed);
    assert!(ok.events[0].text.contains("'verify_peer' => false"));
    assert!(ok
        .events
        .iter()
        .any(|e| e.kind == EventKind::Info(smtpscope::model::InfoKind::TlsStarted)));
    assert_eq!(ok.start.unwrap().to_string(), "2026-11-23T10:04:11Z");
    let failed = &sessions[1];
    assert_eq!(failed.verdict.outcome.as_str(), "connection-failed");
    assert_eq!(failed.server.as_deref(), Some("smtp.example.net:465"));
    assert_eq!(directions(failed), "IIII");
}

#[test]
fn old_wording_before_5_2_7() {
    let (sessions, report) = load("phpmailer-old-5.2.log");
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(
        verdicts(&sessions),
        ["success 250 2.0.0", "failure 550 5.1.1", "failure - -"]
    );
    assert_eq!(replies(&sessions[0])[1].lines().count(), 10);
    assert_eq!(sessions[2].verdict.outcome.as_str(), "connection-failed");
    // The application's message ran into the error line: two notes.
    assert_eq!(directions(&sessions[2]), "II");
}

#[test]
fn wp_mail_smtp_event_keeps_its_header_with_the_transcript() {
    let (sessions, report) = load("wp-mail-smtp-debug-event.log");
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(verdicts(&sessions), ["failure 550 5.1.1"]);
    let s = &sessions[0];
    assert_eq!(s.events[0].text, "Mailer: Other SMTP");
    assert!(s.events[1]
        .text
        .starts_with("SMTP Error: The following recipients failed"));
    assert_eq!(s.first_line, 1);
    assert!(s.closed);
}

#[test]
fn post_smtp_run_together_entries() {
    let (sessions, report) = load("post-smtp-transcript.log");
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(verdicts(&sessions), ["success 250 2.0.0", "failure 535 5.7.8"]);
    for s in &sessions {
        // Transport note, connecting, connected (same line), greeting, EHLO.
        assert!(directions(s).starts_with("IIISC"), "{}", directions(s));
        assert_eq!(s.events[2].text, "Connection: opened");
        assert!(s.closed);
    }
    assert_eq!(sessions[0].server.as_deref(), Some("smtp.gmail.com:587"));
    let last = sessions[1].events.last().unwrap();
    assert_eq!(last.text, "Connection: closed");
    // `SMTP Error: Could not authenticate.CLIENT -> SERVER: QUIT` is a note and a command.
    let quit = sessions[1]
        .events
        .iter()
        .position(|e| e.dir == Direction::Client && e.text == "QUIT")
        .unwrap();
    assert_eq!(
        sessions[1].events[quit - 1].text,
        "SMTP Error: Could not authenticate."
    );
    assert_eq!(sessions[1].events[quit].line, sessions[1].events[quit - 1].line);
}

#[test]
fn base64_credentials_never_reach_the_json() {
    let secrets = [
        ("phpmailer-level4-html.log", "d2ViZm9ybUBleGFtcGxlLm9yZw=="),
        ("phpmailer-level4-html.log", "VHIwdWI0ZG9yLUxhbnRlcm45"),
        ("phpmailer-old-5.2.log", "AHNob3BAZXhhbXBsZS5jb20AV2ludDNyLUdyM2VuLUtpdGU="),
        (
            "post-smtp-transcript.log",
            "dXNlcj1hbGVydHNAZXhhbXBsZS5vcmcBYXV0aD1CZWFyZXIgeWEyOS5hMEFmQl9ieUNleGFtcGxlVG9rZW5Pbmx5MTIzNDU2Nzg5MAEB",
        ),
    ];
    for (name, secret) in secrets {
        let raw = std::fs::read_to_string(sample(name)).unwrap();
        assert!(raw.contains(secret), "{name} should hold {secret}");
        let (sessions, _) = load(name);
        let masked: String = sessions.iter().map(|s| session_json(s, false)).collect();
        let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
        assert!(!masked.contains(secret), "{name} leaks {secret}");
        assert!(revealed.contains(secret), "{name} lost {secret}");
    }
}

#[test]
fn syslog_wrapped_lines_are_detected_and_read_alike() {
    let raw = std::fs::read_to_string(sample("phpmailer-level4-html.log")).unwrap();
    let wrapped: String = raw
        .lines()
        .map(|l| format!("Nov 24 14:02:31 web01 php-fpm[2211]: {l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("php.log");
    std::fs::write(&path, wrapped).unwrap();
    let (sessions, report) = load_input(&Input::File(path), &LoadOptions::default()).unwrap();
    assert_eq!(report.format, Some("phpmailer"));
    let (plain, _) = load("phpmailer-level4-html.log");
    assert_eq!(verdicts(&sessions), verdicts(&plain));
    assert_eq!(directions(&sessions[0]), directions(&plain[0]));
}

#[test]
fn a_json_escaped_event_reads_like_the_stored_one() {
    let raw = std::fs::read_to_string(sample("wp-mail-smtp-debug-event.log")).unwrap();
    // As copied from a database export: one line, CRLF and quotes escaped.
    let escaped = format!("\"{}\"\n", raw.replace('"', "\\\"").replace("\r\n", "\\r\\n"));
    assert_eq!(escaped.lines().count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(&path, escaped).unwrap();
    let (sessions, report) = load_input(&Input::File(path), &LoadOptions::default()).unwrap();
    assert_eq!(report.format, Some("phpmailer"));
    let (plain, _) = load("wp-mail-smtp-debug-event.log");
    assert_eq!(verdicts(&sessions), verdicts(&plain));
    assert_eq!(directions(&sessions[0]), directions(&plain[0]));
}
