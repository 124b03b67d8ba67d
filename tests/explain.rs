//! Explanations and diagnosis through the real pipeline: verdicts of the sample sessions,
//! inline notes, AUTH decoding, credential safety, timings, and `smtpscope explain`.
mod common;
use common::*;

use assert_cmd::Command;
use smtpscope::explain::{self, duration, event_note, reply_latency, slow_steps, SLOW_STEP_SECS};
use smtpscope::load::{load_input, LoadOptions};
use smtpscope::model::{
    parse_reply_line, Direction, Event, EventKind, InfoKind, Outcome, ReplyCode, Session, Step, Timestamp,
};
use smtpscope::source::Input;
use std::sync::Arc;

/// Loads a 4D-format transcript written by the test.
fn load_text(text: &str) -> Vec<Session> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.log");
    std::fs::write(&p, text).unwrap();
    load_input(&Input::File(p), &LoadOptions::default()).unwrap().0
}

fn notes(s: &Session) -> Vec<String> {
    let one_by_one: Vec<String> = (0..s.events.len())
        .map(|i| event_note(s, i).unwrap_or_default())
        .collect();
    let at_once: Vec<String> = explain::event_notes(s)
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    assert_eq!(one_by_one, at_once);
    one_by_one
}

#[test]
fn verdicts_of_the_4d_sample() {
    let (sessions, _) = load("4d-smtp.log");
    let v: Vec<&str> = sessions.iter().map(|s| s.summary.as_str()).collect();
    assert!(
        v[0].starts_with("Login rejected by smtp.gmail.com (535 5.7.8): wrong username or password"),
        "{}",
        v[0]
    );
    assert!(v[0].contains("app password"), "{}", v[0]);
    assert!(v[1].starts_with("Message accepted by mail.example.net, but recipient <old.partner@example.net> was refused (550 5.1.1)"), "{}", v[1]);
    assert!(
        v[1].contains("does not exist") && v[1].contains("check the recipient address"),
        "{}",
        v[1]
    );
    assert!(
        v[2].contains("smtp.office365.com (530 5.7.57)") && v[2].contains("without logging in"),
        "{}",
        v[2]
    );
    assert!(v[2].contains("turn on SMTP authentication"), "{}", v[2]);
    for s in &sessions {
        assert_eq!(s.summary, explain::verdict(s));
        assert!(s.summary.ends_with('.'));
    }
}

#[test]
fn every_event_with_a_code_is_explained() {
    let (sessions, _) = load("4d-smtp.log");
    for s in &sessions {
        for (i, ev) in s.events.iter().enumerate() {
            let note = event_note(s, i);
            if ev.code.is_some() || matches!(ev.kind, EventKind::Command | EventKind::AuthData) {
                assert!(
                    note.as_deref().is_some_and(|n| n.len() > 5),
                    "event {i} of {}: {:?}",
                    s.id,
                    ev.text
                );
            }
        }
    }
    let n = notes(&sessions[0]);
    assert!(
        n[4].starts_with(
            "server offers AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH, max size 35 MB"
        ),
        "{}",
        n[4]
    );
    assert!(n[4].contains("pipelining"));
    assert!(n[8].contains("Gmail needs an app password"), "{}", n[8]);
    let hint = explain::event_hint(&sessions[0], 8).expect("hint for the 535");
    assert_eq!(hint.id, "gmail-bad-credentials");
    assert!(hint.source.contains("support.google.com"));
    assert!(explain::event_hint(&sessions[0], 3).is_none());
    assert_eq!(n[2], "server is ready and greets the client (Gmail)");
    let n = notes(&sessions[1]);
    assert_eq!(n[1], "server is ready and greets the client (Postfix)");
    assert!(
        n[3].starts_with("server offers STARTTLS, no AUTH before TLS, max size 52 MB"),
        "{}",
        n[3]
    );
    assert!(n.iter().any(|x| x == "server asks: \"Username:\""), "{n:?}");
    assert!(n.iter().any(|x| x == "server asks: \"Password:\""), "{n:?}");
    assert!(
        n.iter().any(|x| x == "username sent for AUTH LOGIN (masked)"),
        "{n:?}"
    );
    assert!(n.iter().any(|x| x.contains("queue id 4XkQ2p1Rz9z9sVd")), "{n:?}");
}

const SECRETS_LOG: &str = "\
1 2026-01-01T10:00:00.000 3 4 ### SMTP Connected to 'smtp.gmail.com' on port 587.
2 2026-01-01T10:00:00.100 3 4 S < \"220 smtp.gmail.com ESMTP x - gsmtp\"
3 2026-01-01T10:00:00.200 3 4 C > \"AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAaHVudGVyMg==\"
4 2026-01-01T10:00:00.300 3 4 S < \"535 5.7.8 Username and Password not accepted\"
5 2026-01-01T10:00:00.400 3 4 C > \"AUTH LOGIN\"
6 2026-01-01T10:00:00.500 3 4 S < \"334 VXNlcm5hbWU6\"
7 2026-01-01T10:00:00.600 3 4 C > \"dXNlckBleGFtcGxlLm9yZw==\"
8 2026-01-01T10:00:00.700 3 4 S < \"334 UGFzc3dvcmQ6\"
9 2026-01-01T10:00:00.800 3 4 C > \"aHVudGVyMg==\"
10 2026-01-01T10:00:00.900 3 4 S < \"535 5.7.8 Username and Password not accepted\"
11 2026-01-01T10:00:01.000 3 4 C > \"AUTH XOAUTH2 dXNlcj11c2VyQGV4YW1wbGUub3JnAWF1dGg9QmVhcmVyIHlhMjkuc2VjcmV0dG9rZW4BAQ==\"
12 2026-01-01T10:00:01.100 3 4 S < \"334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\"
13 2026-01-01T10:00:01.200 3 4 C > \"eyJzdGF0dXMiOiJzZWNyZXQifQ==\"
14 2026-01-01T10:00:01.300 3 4 S < \"535 5.7.8 Username and Password not accepted\"
15 2026-01-01T10:00:01.400 3 4 C > \"QUIT\"
16 2026-01-01T10:00:01.500 3 4 S < \"221 2.0.0 closing connection\"
17 2026-01-01T10:00:01.600 3 4 ### SMTP Connection closed
";

#[test]
fn auth_prompts_and_xoauth2_errors_are_decoded_but_credentials_never() {
    let sessions = load_text(SECRETS_LOG);
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let all = format!("{}\n{}", notes(s).join("\n"), s.summary);
    assert!(
        all.contains("server asks: \"Username:\"") && all.contains("server asks: \"Password:\""),
        "{all}"
    );
    assert!(all.contains("OAuth token refused: status 400"), "{all}");
    assert!(
        all.contains("schemes Bearer") && all.contains("scope https://mail.google.com/"),
        "{all}"
    );
    assert!(all.contains("client logs in with XOAUTH2"), "{all}");
    for secret in [
        "AHVzZXJAZXhhbXBsZS5vcmcAaHVudGVyMg==",
        "dXNlckBleGFtcGxlLm9yZw==",
        "aHVudGVyMg==",
        "hunter2",
        "user@example.org",
        "ya29",
        "secrettoken",
        "dXNlcj11c2Vy",
        "eyJzdGF0dXMiOiJzZWNyZXQifQ",
        "\"secret\"",
    ] {
        assert!(!all.contains(secret), "explanations leak {secret}: {all}");
    }
    // The JSON notes obey the same rule.
    let json = smtpscope::output::json::session_json(s, false);
    for secret in ["hunter2", "aHVudGVyMg==", "user@example.org", "secrettoken"] {
        assert!(!json.contains(secret), "json leaks {secret}");
    }
}

const TIMED_LOG: &str = "\
1 2026-01-01T10:00:00.000 3 4 ### SMTP Connected to 'mail.example.net' on port 587.
2 2026-01-01T10:00:05.500 3 4 S < \"220 mail.example.net ESMTP\"
3 2026-01-01T10:00:05.600 3 4 C > \"EHLO client.example.org\"
4 2026-01-01T10:00:05.650 3 4 S < \"250-mail.example.net\"
5 2026-01-01T10:00:05.650 3 4 S < \"250 PIPELINING\"
6 2026-01-01T10:00:05.700 3 4 C > \"MAIL FROM:<a@example.org>\"
7 2026-01-01T10:00:05.700 3 4 C > \"RCPT TO:<b@example.net>\"
8 2026-01-01T10:00:05.701 3 4 C > \"DATA\"
9 2026-01-01T10:00:05.800 3 4 S < \"250 2.1.0 Ok\"
10 2026-01-01T10:00:08.900 3 4 S < \"250 2.1.5 Ok\"
11 2026-01-01T10:00:09.000 3 4 S < \"354 go ahead\"
12 2026-01-01T10:00:09.100 3 4 S < \"250 2.0.0 Ok: queued as ABC123\"
13 2026-01-01T10:00:09.200 3 4 C > \"QUIT\"
14 2026-01-01T10:00:09.300 3 4 S < \"221 Bye\"
15 2026-01-01T10:00:09.400 3 4 ### SMTP Connection closed
";

#[test]
fn reply_latency_and_slow_steps_on_a_timed_transcript() {
    let sessions = load_text(TIMED_LOG);
    let s = &sessions[0];
    let idx = |text: &str| s.events.iter().position(|e| e.text.starts_with(text)).unwrap();
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-6);
    // Greeting: measured from the connection.
    assert!(close(reply_latency(s, idx("220 ")), 5.5));
    assert!(close(reply_latency(s, idx("250-mail")), 0.05));
    // Pipelined: each reply is measured from its own command.
    assert!(close(reply_latency(s, idx("250 2.1.0")), 0.1));
    assert!(close(reply_latency(s, idx("250 2.1.5")), 3.2));
    assert!(close(reply_latency(s, idx("354")), 3.299));
    assert!(close(reply_latency(s, idx("221")), 0.1));
    assert_eq!(reply_latency(s, idx("EHLO")), None, "commands have no latency");
    let slow: Vec<usize> = slow_steps(s).iter().map(|(i, _)| *i).collect();
    assert_eq!(slow, [idx("220 "), idx("250 2.1.5"), idx("354")]);
    assert!(slow_steps(s).iter().all(|(_, t)| *t > SLOW_STEP_SECS));
    assert!(event_note(s, idx("250 2.1.5"))
        .unwrap()
        .ends_with("(slow: 3.2 s)"));
    assert!(!event_note(s, idx("250 2.1.0")).unwrap().contains("slow"));
    assert!(close(duration(s), 9.4));
    let json: serde_json::Value =
        serde_json::from_str(&smtpscope::output::json::session_json(s, false)).unwrap();
    assert_eq!(json["duration"], 9.4);
    let ev = &json["events"][idx("250 2.1.5")];
    assert_eq!(ev["latency"], 3.2);
    assert_eq!(ev["slow"], true);
    assert!(ev["note"].as_str().unwrap().contains("recipient accepted"));
    assert!(json["events"][idx("250 2.1.0")].get("slow").is_none());
}

// ---- one verdict per outcome, on sessions built by hand ----

fn at(sec: u32) -> Option<Timestamp> {
    let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(10, 0, sec)
        .unwrap();
    Some(Timestamp::local(t))
}

fn session(server: &str, events: &[(&str, &str)]) -> Session {
    let mut s = Session::new(Arc::from("test"), "test", "#1".into(), 1);
    s.server = Some(server.into());
    let mut pending: Vec<Step> = Vec::new();
    for (n, (who, text)) in events.iter().enumerate() {
        let line = n as u64 + 1;
        let ev = match *who {
            "C" => {
                let mut e = Event::new(
                    line,
                    at(n as u32),
                    Direction::Client,
                    EventKind::Command,
                    text.to_string(),
                );
                e.step = Some(Step::of_command(text));
                pending.push(Step::of_command(text));
                e
            }
            "S" => {
                let r = parse_reply_line(text).unwrap();
                let mut e = Event::new(
                    line,
                    at(n as u32),
                    Direction::Server,
                    EventKind::Reply,
                    text.to_string(),
                );
                e.code = Some(ReplyCode {
                    basic: r.code,
                    enhanced: r.enhanced,
                });
                e.step = Some(if n == 0 {
                    Step::Greeting
                } else if pending.is_empty() {
                    Step::DataEnd
                } else {
                    pending.remove(0)
                });
                e
            }
            kind => {
                let k = match kind {
                    "refused" => InfoKind::ConnectFailed,
                    "tls" => InfoKind::TlsFailed,
                    "lost" => InfoKind::LostConnection,
                    "bounced" => InfoKind::Bounced,
                    "deferred" => InfoKind::Deferred,
                    _ => InfoKind::Closed,
                };
                let mut e = Event::new(
                    line,
                    at(n as u32),
                    Direction::Info,
                    EventKind::Info(k),
                    text.to_string(),
                );
                e.code = smtpscope::assemble::find_reply_code(text);
                e
            }
        };
        s.events.push(ev);
    }
    s.closed = events
        .iter()
        .any(|(w, _)| matches!(*w, "closed" | "refused" | "tls"));
    s.evaluate();
    s
}

#[test]
fn every_outcome_gets_a_verdict_with_its_reason() {
    let cases: Vec<(Session, Outcome, &[&str])> = vec![
        (
            session("mx.example.net:25", &[("S", "220 mx.example.net"), ("C", "MAIL FROM:<a@example.org>"), ("S", "250 ok"), ("C", "RCPT TO:<b@example.net>"), ("S", "250 ok"), ("C", "DATA"), ("S", "354 go"), ("S", "250 2.0.0 Ok: queued as 9F2C1A"), ("C", "QUIT"), ("S", "221 bye"), ("closed", "closed")]),
            Outcome::Delivered,
            &["Message accepted by mx.example.net (250 2.0.0), queued as 9F2C1A."],
        ),
        (
            session("mx.example.net", &[("S", "220 mx.example.net"), ("C", "AUTH PLAIN AGEAYg=="), ("S", "235 2.7.0 ok"), ("C", "QUIT"), ("S", "221 bye"), ("closed", "closed")]),
            Outcome::NoMessage,
            &["Logged in to mx.example.net; no message was sent."],
        ),
        (
            session("mx.example.net", &[("S", "220 mx.example.net"), ("C", "MAIL FROM:<a@example.org>"), ("S", "250 ok"), ("C", "RCPT TO:<b@example.net>"), ("S", "250 ok"), ("C", "RCPT TO:<gone@example.net>"), ("S", "550 5.1.1 User unknown"), ("C", "DATA"), ("S", "354 go"), ("S", "250 2.0.0 queued"), ("closed", "closed")]),
            Outcome::SomeRecipientsRejected,
            &["but recipient <gone@example.net> was refused (550 5.1.1)", "check the recipient address"],
        ),
        (
            session("smtp.office365.com:587", &[("S", "220 outlook.office365.com"), ("C", "AUTH LOGIN"), ("S", "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."), ("closed", "closed")]),
            Outcome::AuthFailed,
            &["Login rejected by smtp.office365.com (535 5.7.139)", "SMTP AUTH", "enable Authenticated SMTP"],
        ),
        (
            session("mail.example.net", &[("S", "220 mail.example.net"), ("C", "MAIL FROM:<a@example.org>"), ("S", "530 5.7.0 Must issue a STARTTLS command first"), ("closed", "closed")]),
            Outcome::Rejected,
            &["MAIL FROM:<a@example.org> refused by mail.example.net (530 5.7.0)", "encrypted", "STARTTLS"],
        ),
        (
            session("mx.example.net", &[("S", "220 mx.example.net"), ("C", "MAIL FROM:<a@example.org>"), ("S", "250 ok"), ("C", "RCPT TO:<b@example.net>"), ("S", "450 4.7.1 <b@example.net>: Recipient address rejected: Greylisted"), ("C", "QUIT"), ("S", "221 bye"), ("closed", "closed")]),
            Outcome::Deferred,
            &["Recipient <b@example.net> temporarily refused by mx.example.net (450 4.7.1)", "greylist"],
        ),
        (
            session("mx.example.net:25", &[("refused", "connect to mx.example.net: Connection refused")]),
            Outcome::ConnectionFailed,
            &["Could not connect to mx.example.net: connection refused", "check host and port"],
        ),
        (
            session("mx.example.net:465", &[("tls", "TLS handshake failed: wrong version number")]),
            Outcome::TlsFailed,
            &["TLS with mx.example.net failed", "465 implicit TLS"],
        ),
        (
            session("mx.example.net", &[("S", "220 mx.example.net"), ("C", "EHLO me.example.org")]),
            Outcome::InProgress,
            &["In progress with mx.example.net; last: client introduces itself as me.example.org"],
        ),
    ];
    for (s, outcome, words) in &cases {
        assert_eq!(s.verdict.outcome, *outcome, "{}", s.summary);
        for w in *words {
            assert!(s.summary.contains(w), "{outcome:?}: '{}' lacks '{w}'", s.summary);
        }
        assert!(!s.summary.contains("AGEAYg"), "verdict leaks a credential");
    }
    let lost = session(
        "mx.example.net",
        &[
            ("S", "220 mx.example.net"),
            ("C", "MAIL FROM:<a@example.org>"),
            ("S", "250 ok"),
            ("lost", "connection lost"),
        ],
    );
    assert_eq!(lost.verdict.outcome, Outcome::ConnectionFailed);
    assert!(
        lost.summary
            .starts_with("Connection to mx.example.net lost during MAIL FROM"),
        "{}",
        lost.summary
    );
    let bounced = session("relay.example.net", &[("bounced", "to=<x@example.com>, status=bounced (host mx.example.com said: 550 5.1.1 <x@example.com>: User unknown)"), ("closed", "")]);
    assert!(
        bounced
            .summary
            .starts_with("Message bounced (550 5.1.1): the recipient mailbox does not exist"),
        "{}",
        bounced.summary
    );
    let deferred = session(
        "relay.example.net",
        &[
            (
                "deferred",
                "status=deferred (host mx.example.com said: 451 4.7.1 Greylisted, try again later)",
            ),
            ("closed", ""),
        ],
    );
    assert_eq!(deferred.verdict.outcome, Outcome::Deferred);
    assert!(
        deferred.summary.starts_with("Delivery deferred (451 4.7.1)")
            && deferred.summary.contains("greylist"),
        "{}",
        deferred.summary
    );
    let sender = session(
        "mx.example.net",
        &[
            ("S", "220 mx.example.net"),
            ("C", "MAIL FROM:<a@nowhere.invalid>"),
            ("S", "553 5.1.8 Sender address rejected: Domain not found"),
            ("closed", ""),
        ],
    );
    assert!(
        sender
            .summary
            .starts_with("Sender <a@nowhere.invalid> refused by mx.example.net (553 5.1.8)"),
        "{}",
        sender.summary
    );
    let closed = session(
        "mx.example.net",
        &[
            (
                "S",
                "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred",
            ),
            ("closed", "closed"),
        ],
    );
    assert!(
        closed
            .summary
            .starts_with("mx.example.net closed the connection (421 4.7.0)"),
        "{}",
        closed.summary
    );
    assert!(closed.summary.contains("Yahoo"), "{}", closed.summary);
}

// ---- the explain subcommand ----

fn smtpscope() -> Command {
    Command::cargo_bin("smtpscope").expect("binary built")
}

fn stdout_of(args: &[&str]) -> String {
    let out = smtpscope().args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn explain_prints_codes_registry_entries_and_hints() {
    let t = stdout_of(&["explain", "535"]);
    assert!(
        t.contains("535: authentication credentials invalid") && t.contains("permanent failure"),
        "{t}"
    );
    let t = stdout_of(&["explain", "5.7.8"]);
    assert!(
        t.contains(
            "5.7.8: Permanent failure / Security or policy status / Authentication credentials invalid"
        ),
        "{t}"
    );
    assert!(!t.contains("535:"), "{t}");
    for args in [&["explain", "535 5.7.8"][..], &["explain", "535", "5.7.8"][..]] {
        let t = stdout_of(args);
        assert!(
            t.starts_with("535 5.7.8\n") && t.contains("535: ") && t.contains("5.7.8: "),
            "{t}"
        );
    }
    let t = stdout_of(&[
        "explain",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try gsmtp",
    ]);
    assert!(
        t.contains("550: requested action not taken") && t.contains("Bad destination mailbox address"),
        "{t}"
    );
    let t = stdout_of(&[
        "explain",
        "535-5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials",
    ]);
    assert!(
        t.contains("Hint (Gmail)") && t.contains("What to do:") && t.contains("Source: Google"),
        "{t}"
    );
    let t = stdout_of(&[
        "explain",
        "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to user complaints",
    ]);
    assert!(
        t.contains("Hint (Yahoo/AOL)") && t.contains("temporary failure"),
        "{t}"
    );
    let t = stdout_of(&["explain", "5.7.139", "4.4.99"]);
    assert!(
        t.contains("Hint (Microsoft 365)") && t.contains("4.4.x: network and routing status"),
        "{t}"
    );
}

#[test]
fn explain_json_and_errors() {
    let t = stdout_of(&[
        "explain",
        "--json",
        "530 5.7.0 Must issue a STARTTLS command first",
        "451",
    ]);
    let lines: Vec<serde_json::Value> = t.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["code"], 530);
    assert_eq!(lines[0]["hint"]["id"], "starttls-required");
    assert_eq!(
        lines[0]["enhanced_info"]["detail"],
        "Other or undefined security status"
    );
    assert_eq!(lines[1]["class"], "temporary");
    assert!(lines[1]["hint"].is_null());
    smtpscope()
        .args(["explain", "hello"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("'hello' is not a reply code"));
    smtpscope().args(["explain"]).assert().code(2);
    smtpscope()
        .args(["--json", "explain", "535"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("smtpscope explain [--json] CODE"));
}

#[test]
fn file_arguments_still_load_beside_the_subcommand() {
    let path = sample("4d-smtp.log");
    let t = stdout_of(&["--list", path.to_str().unwrap()]);
    assert!(
        t.contains("3 sessions") && t.contains("Login rejected by smtp.gmail.com"),
        "{t}"
    );
    let t = stdout_of(&[path.to_str().unwrap(), "--list"]);
    assert!(t.contains("3 sessions"), "{t}");
}
