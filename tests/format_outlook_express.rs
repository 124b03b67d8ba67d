//! Golden tests for the Outlook Express / Internet Mail and News `Smtp.log`.
mod common;
use common::*;
use proptest::prelude::*;
use smtpscope::load::{load_input, load_reader, LoadOptions};
use smtpscope::model::{EventKind, Session, Step};
use smtpscope::output::json::session_json;
use smtpscope::source::Input;
use std::io::Cursor;

const FULL: &str = "outlook-express-smtp.log";
const KB: &str = "outlook-express-kb-style.log";

/// The full sample with the year pinned, so dates do not depend on the checkout's mtime.
fn load_2008() -> Vec<Session> {
    let opts = LoadOptions {
        format: None,
        year: Some(2008),
    };
    load_input(&Input::File(sample(FULL)), &opts).unwrap().0
}

#[test]
fn sessions_statuses_ids_and_peers() {
    let (sessions, report) = load(FULL);
    assert_eq!(report.format, Some("outlook-express"));
    assert_eq!(report.unparsed_count, 0, "{:?}", report.unparsed);
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        [
            "success 250 2.0.0",
            "success 250 -",
            "partial 550 5.1.1",
            "failure 554 5.7.1",
            "failure 535 5.7.8",
            "failure - -",
            "open - -",
        ]
    );
    let ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["#1", "#2", "#3", "#4", "#5", "#6", "#7"]);
    assert_eq!(
        sessions[0].server.as_deref(),
        Some("smtp.example.net[192.0.2.25]:25")
    );
    assert_eq!(
        sessions[1].server.as_deref(),
        Some("mail.oldhost.example[198.51.100.14]")
    );
    assert_eq!(sessions[5].server.as_deref(), Some("smtp.nowhere.example"));
    assert_eq!(sessions[5].verdict.outcome.as_str(), "connection-failed");
    assert!(!sessions[6].closed);
}

#[test]
fn two_messages_in_one_session_both_count() {
    let (sessions, _) = load(FULL);
    let s = &sessions[0];
    let accepted: Vec<&str> = s
        .events
        .iter()
        .filter(|e| e.step == Some(Step::DataEnd) && e.code.is_some_and(|c| c.basic == 250))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(accepted.len(), 2);
    // The decisive reply is the last acceptance.
    assert!(s.decisive().unwrap().text.ends_with("3B7C21A0F"));
    assert!(s.summary.contains('2'), "{}", s.summary);
    // Connecting, srv_addr, greeting, EHLO + grouped reply, AUTH LOGIN with two challenges
    // and answers, 235, then RSET/MAIL/RCPT/DATA/./250 twice, QUIT, 221, close note.
    let message = "CSCSCSCSCS";
    assert_eq!(directions(s), format!("IISCSCSCSCS{message}{message}CSI"));
}

#[test]
fn ehlo_refused_then_helo_is_a_success() {
    let (sessions, _) = load(FULL);
    let s = &sessions[1];
    assert_eq!(s.events[4].code.map(|c| c.basic), Some(500));
    assert_eq!(s.events[4].step, Some(Step::Ehlo));
    assert_eq!(s.events[6].step, Some(Step::Helo));
    assert_eq!(verdict(s), "success 250 -");
    assert_eq!(directions(s), "IISCSCSCSCSCSCSCSCSI");
}

#[test]
fn multi_line_replies_are_one_event() {
    let (sessions, _) = load(FULL);
    let ehlo = &sessions[0].events[4];
    assert_eq!(ehlo.kind, EventKind::Reply);
    assert_eq!(ehlo.step, Some(Step::Ehlo));
    assert_eq!(ehlo.text.lines().count(), 5);
    assert_eq!((ehlo.line, ehlo.last_line), (7, 11));
    assert_eq!(ehlo.text.lines().last(), Some("250 PIPELINING"));
}

#[test]
fn times_carry_the_header_date_and_roll_past_midnight() {
    let sessions = load_2008();
    let start = |i: usize| sessions[i].start.unwrap().to_string();
    let end = |i: usize| sessions[i].end.unwrap().to_string();
    assert_eq!(start(0), "2008-03-14T23:41:12");
    // Session 2 starts before midnight and ends after it.
    assert_eq!(start(1), "2008-03-14T23:59:48");
    assert_eq!(end(1), "2008-03-15T00:00:05");
    assert_eq!(start(2), "2008-03-15T00:12:30");
    assert_eq!(start(4), "2008-03-15T08:10:40");
    // A new "SMTP Log started at" header resets the date.
    assert_eq!(start(5), "2008-03-17T09:02:09");
    assert_eq!(start(6), "2008-03-17T09:04:30");
}

#[test]
fn without_a_year_the_header_date_still_applies() {
    let (sessions, _) = load(FULL);
    let t = sessions[0].start.unwrap();
    assert!(t.has_date);
    assert!(t.to_string().ends_with("-03-14T23:41:12"), "{t}");
}

#[test]
fn auth_login_payloads_never_reach_the_json() {
    let (sessions, _) = load(FULL);
    for s in [&sessions[0], &sessions[4]] {
        let masked = session_json(s, false);
        for b64 in ["cm9iaW5AZXhhbXBsZS5uZXQ=", "Qmx1ZVNreTQy", "b2xkcGFzc3dvcmQ="] {
            assert!(!masked.contains(b64), "{b64} leaked in {masked}");
        }
        assert!(session_json(s, true).contains("cm9iaW5AZXhhbXBsZS5uZXQ="));
        let auth = s.events.iter().filter(|e| e.kind == EventKind::AuthData).count();
        assert_eq!(auth, 2);
    }
}

#[test]
fn kb_style_paste_gives_sessions() {
    let (sessions, report) = load(KB);
    assert_eq!(report.format, Some("outlook-express"));
    assert_eq!(report.unparsed_count, 0, "{:?}", report.unparsed);
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(verdicts, ["success 250 -", "success 250 -"]);
    // The seed's shape: EHLO answered 500, HELO accepted, one message.
    assert_eq!(directions(&sessions[0]), "IISCSCSCSCSCSCSCSCSI");
    assert_eq!(sessions[0].events[4].code.map(|c| c.basic), Some(500));
    assert_eq!(sessions[1].events[4].text.lines().count(), 4);
    // The `.` on its own line, numbered or not, ends the data.
    for s in &sessions {
        let dot = s
            .events
            .iter()
            .find(|e| e.kind == EventKind::MessageData)
            .unwrap();
        assert_eq!(dot.text, ".");
    }
    assert_eq!(
        sessions[1].server.as_deref(),
        Some("relay.example.com[203.0.113.9]")
    );
}

#[test]
fn detected_behind_a_syslog_prefix() {
    let text = std::fs::read_to_string(sample(FULL)).unwrap();
    let wrapped: String = text
        .lines()
        .map(|l| format!("Mar 14 23:41:20 frontdesk msimn[412]: {l}\n"))
        .collect();
    let (sessions, report) = load_reader(
        "wrapped".into(),
        Cursor::new(wrapped),
        &LoadOptions::default(),
        2008,
    )
    .unwrap();
    assert_eq!(report.format, Some("outlook-express"));
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(verdicts.len(), 7);
    assert_eq!(verdicts[2], "partial 550 5.1.1");
    assert_eq!(sessions[1].end.unwrap().to_string(), "2008-03-15T00:00:05");
}

/// Pieces of this format's grammar, so random input reaches the header, note and dot rules.
const FRAGMENTS: &[&str] = &[
    "SMTP: 23:59:59 [rx] ",
    "SMTP: 00:00:01 [tx] ",
    "SMTP: 7:05:00 [db] ",
    "06) [tx] ",
    "[db] ",
    "Connecting to '",
    "' on port ",
    "Connection to 'h' closed.",
    "srv_addr = ",
    "SMTP Log started at ",
    "Thu Aug 01 17:22:27",
    "13/31/99 25:61:61",
    "Microsoft Outlook Express 4.72.3110.1",
    "could not be found",
    "'",
    ".",
    "250-",
    "334 VXNlcm5hbWU6",
    "221 bye",
    "AUTH LOGIN",
    "DATA",
    "354 go",
    "日本",
    "\u{1b}[2J",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any mix of this format's pieces and random bytes loads without panicking, and every
    /// session gets one of the four status words.
    #[test]
    fn random_oe_like_input_never_panics(parts in prop::collection::vec(
        prop_oneof![
            prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..8),
            Just(b"\n".to_vec()),
        ],
        0..60,
    )) {
        let opts = LoadOptions {
            format: smtpscope::formats::by_name("outlook-express"),
            year: Some(1996),
        };
        if let Ok((sessions, _)) = load_reader("fuzz".into(), Cursor::new(parts.concat()), &opts, 1996) {
            for s in &sessions {
                prop_assert!(["success", "failure", "partial", "open"].contains(&s.status().as_str()));
                let _ = session_json(s, false);
            }
        }
    }
}
