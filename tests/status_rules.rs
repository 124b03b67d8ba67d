//! The status rules and the assembler, exercised through small transcripts: each case is a
//! rule from the README's status table.

use smtpscope::assemble::Assembler;
use smtpscope::formats::{Item, Record};
use smtpscope::model::{EventKind, InfoKind, Session, Step};

/// Builds one session from `S: reply`, `C: command`, `I: note`, `X: connect failure`,
/// `E:` (end of connection) lines.
fn session(lines: &[&str]) -> Session {
    let mut asm = Assembler::new("test".into(), "test");
    for (n, l) in lines.iter().enumerate() {
        let (tag, text) = l.split_at(2);
        let text = text.trim_start().to_owned();
        let item = match tag {
            "S:" => Item::Server(text),
            "C:" => Item::Client(text),
            "I:" => Item::Info(InfoKind::Note, text),
            "X:" => Item::Info(InfoKind::ConnectFailed, text),
            "E:" => Item::End,
            other => panic!("bad tag {other}"),
        };
        asm.push(Record {
            key: Default::default(),
            line: n as u64 + 1,
            time: None,
            item,
        });
    }
    let mut r = asm.finish();
    assert_eq!(r.sessions.len(), 1, "one session expected");
    r.sessions.remove(0)
}

fn verdict(s: &Session) -> String {
    let code = s.decisive_code().map_or("-".into(), |c| c.to_string());
    format!("{} {code}", s.status().as_str())
}

const HELLO: [&str; 3] = [
    "S: 220 mx.example.net ESMTP",
    "C: EHLO client.example.org",
    "S: 250 mx.example.net",
];

fn with_hello(rest: &[&'static str]) -> Vec<&'static str> {
    let mut v = HELLO.to_vec();
    v.extend_from_slice(rest);
    v
}

#[test]
fn delivered_message_is_success_with_final_acceptance_decisive() {
    let s = session(&with_hello(&[
        "C: MAIL FROM:<a@example.org>",
        "S: 250 2.1.0 Ok",
        "C: RCPT TO:<b@example.net>",
        "S: 250 2.1.5 Ok",
        "C: DATA",
        "S: 354 go ahead",
        "C: Subject: hi",
        "C: .",
        "S: 250 2.0.0 Ok: queued as ABC",
        "C: QUIT",
        "S: 221 2.0.0 Bye",
    ]));
    assert_eq!(verdict(&s), "success 250 2.0.0");
    assert!(s.closed);
    assert_eq!(
        s.events
            .iter()
            .filter(|e| e.kind == EventKind::MessageData)
            .count(),
        1
    );
}

#[test]
fn ehlo_refused_then_helo_recovers() {
    let s = session(&[
        "S: 220 old.example.net",
        "C: EHLO client",
        "S: 502 Command not implemented",
        "C: HELO client",
        "S: 250 old.example.net",
        "C: MAIL FROM:<a@example.org>",
        "S: 250 ok",
        "C: RCPT TO:<b@example.net>",
        "S: 250 ok",
        "C: DATA",
        "S: 354 send",
        "S: 250 accepted",
        "C: QUIT",
        "S: 221 bye",
    ]);
    assert_eq!(verdict(&s), "success 250");
}

#[test]
fn auth_mechanism_refused_then_another_accepted() {
    let s = session(&with_hello(&[
        "C: AUTH CRAM-MD5",
        "S: 504 5.5.4 Unrecognized authentication type",
        "C: AUTH LOGIN",
        "S: 334 VXNlcm5hbWU6",
        "C: dXNlckBleGFtcGxlLm9yZw==",
        "S: 334 UGFzc3dvcmQ6",
        "C: c2VjcmV0LXBhc3M=",
        "S: 235 2.7.0 Authentication successful",
        "C: QUIT",
        "S: 221 bye",
    ]));
    assert_eq!(verdict(&s), "success 235 2.7.0");
    let shown: Vec<String> = s
        .events
        .iter()
        .map(|e| e.display_text(false).into_owned())
        .collect();
    assert!(!shown
        .iter()
        .any(|t| t.contains("dXNlckBleGFtcGxlLm9yZw") || t.contains("c2VjcmV0LXBhc3M")));
    let revealed: Vec<String> = s
        .events
        .iter()
        .map(|e| e.display_text(true).into_owned())
        .collect();
    assert!(revealed.iter().any(|t| t == "c2VjcmV0LXBhc3M="));
}

#[test]
fn auth_plain_initial_response_is_masked_and_535_fails() {
    let s = session(&with_hello(&[
        "C: AUTH PLAIN AHVzZXIAcGFzc3dvcmQ=",
        "S: 535 5.7.8 Authentication credentials invalid",
        "C: QUIT",
        "S: 221 bye",
    ]));
    assert_eq!(verdict(&s), "failure 535 5.7.8");
    assert_eq!(s.verdict.outcome.as_str(), "auth-failed");
    assert_eq!(s.events[3].display_text(false), "AUTH PLAIN ********");
    assert_eq!(s.events[3].step, Some(Step::Auth));
}

#[test]
fn refused_recipient_then_rset_and_successful_retry() {
    let s = session(&with_hello(&[
        "C: MAIL FROM:<a@example.org>",
        "S: 250 ok",
        "C: RCPT TO:<typo@example.net>",
        "S: 550 5.1.1 No such user",
        "C: RSET",
        "S: 250 ok",
        "C: MAIL FROM:<a@example.org>",
        "S: 250 ok",
        "C: RCPT TO:<right@example.net>",
        "S: 250 ok",
        "C: DATA",
        "S: 354 go",
        "C: .",
        "S: 250 2.0.0 queued",
        "C: QUIT",
        "S: 221 bye",
    ]));
    assert_eq!(verdict(&s), "success 250 2.0.0");
}

#[test]
fn one_recipient_refused_one_accepted_is_partial() {
    let s = session(&with_hello(&[
        "C: MAIL FROM:<a@example.org>",
        "S: 250 ok",
        "C: RCPT TO:<b@example.net>",
        "S: 250 ok",
        "C: RCPT TO:<gone@example.net>",
        "S: 550 5.1.1 <gone@example.net>: Recipient address rejected",
        "C: DATA",
        "S: 354 go",
        "S: 250 2.0.0 queued",
        "C: QUIT",
        "S: 221 bye",
    ]));
    assert_eq!(verdict(&s), "partial 550 5.1.1");
}

#[test]
fn pipelined_commands_pair_with_their_replies_in_order() {
    let s = session(&with_hello(&[
        "C: MAIL FROM:<a@example.org>",
        "C: RCPT TO:<b@example.net>",
        "C: RCPT TO:<c@example.net>",
        "C: DATA",
        "S: 250 2.1.0 ok",
        "S: 250 2.1.5 ok",
        "S: 550 5.7.1 relay denied",
        "S: 354 go",
        "C: .",
        "S: 250 2.0.0 queued",
    ]));
    let steps: Vec<Option<Step>> = s
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Reply)
        .map(|e| e.step)
        .skip(2)
        .collect();
    assert_eq!(
        steps,
        [
            Some(Step::Mail),
            Some(Step::Rcpt),
            Some(Step::Rcpt),
            Some(Step::Data),
            Some(Step::DataEnd)
        ]
    );
    assert_eq!(verdict(&s), "partial 550 5.7.1");
}

#[test]
fn every_recipient_refused_is_failure() {
    let s = session(&with_hello(&[
        "C: MAIL FROM:<a@example.org>",
        "S: 250 ok",
        "C: RCPT TO:<b@example.com>",
        "S: 554 5.7.1 <b@example.com>: Relay access denied",
        "C: QUIT",
        "S: 221 bye",
    ]));
    assert_eq!(verdict(&s), "failure 554 5.7.1");
    assert_eq!(s.verdict.outcome.as_str(), "rejected");
}

#[test]
fn rejection_after_data_and_temporary_failure() {
    let s = session(&with_hello(&[
        "C: MAIL FROM:<a@example.org>",
        "S: 250 ok",
        "C: RCPT TO:<b@example.net>",
        "S: 250 ok",
        "C: DATA",
        "S: 354 go",
        "S: 451 4.7.1 Try again later",
        "C: QUIT",
        "S: 221 bye",
    ]));
    assert_eq!(verdict(&s), "failure 451 4.7.1");
    assert_eq!(s.verdict.outcome.as_str(), "deferred");
}

#[test]
fn greeting_421_and_connect_failure_fail() {
    let s = session(&["S: 421 4.3.2 Service not available", "E:"]);
    assert_eq!(verdict(&s), "failure 421 4.3.2");
    let s = session(&["I: connecting to mx.example.net:25", "X: Connection refused"]);
    assert_eq!(s.status().as_str(), "failure");
    assert_eq!(s.verdict.outcome.as_str(), "connection-failed");
}

#[test]
fn unfinished_session_is_open_but_accepted_message_without_close_is_success() {
    let s = session(&with_hello(&["C: MAIL FROM:<a@example.org>", "S: 250 ok"]));
    assert_eq!(verdict(&s), "open -");
    let s = session(&with_hello(&[
        "C: MAIL FROM:<a@example.org>",
        "S: 250 ok",
        "C: RCPT TO:<b@example.net>",
        "S: 250 ok",
        "C: DATA",
        "S: 354 go",
        "C: .",
        "S: 250 2.0.0 queued",
    ]));
    assert_eq!(verdict(&s), "success 250 2.0.0");
    assert!(!s.closed);
}

#[test]
fn auth_only_session_closed_is_success() {
    let s = session(&with_hello(&[
        "C: AUTH LOGIN",
        "S: 334 VXNlcm5hbWU6",
        "C: ****",
        "S: 334 UGFzc3dvcmQ6",
        "C: ****",
        "S: 235 2.7.0 ok",
        "C: QUIT",
        "S: 221 bye",
    ]));
    assert_eq!(verdict(&s), "success 235 2.7.0");
    assert_eq!(s.verdict.outcome.as_str(), "no-message");
    // Already-masked payloads are recognised: nothing to hide twice.
    assert!(s
        .events
        .iter()
        .filter(|e| e.kind == EventKind::AuthData)
        .all(|e| e.secrets.is_empty()));
}

#[test]
fn multi_line_reply_is_one_event_with_first_code() {
    let s = session(&[
        "S: 220 mx",
        "C: EHLO a",
        "S: 250-mx.example.net",
        "S: 250-SIZE 1000",
        "S: 250 STARTTLS",
        "C: QUIT",
        "S: 221 bye",
    ]);
    let ehlo = &s.events[2];
    assert_eq!(ehlo.text.lines().count(), 3);
    assert_eq!((ehlo.line, ehlo.last_line), (3, 5));
    assert_eq!(ehlo.step, Some(Step::Ehlo));
    assert_eq!(s.events.len(), 5);
}
