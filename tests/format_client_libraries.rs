//! Golden tests for the debug logs of mail libraries: MailKit, Nodemailer, JavaMail, Ruby and
//! Perl Net::SMTP; and a fuzz test over every client format.
mod clients_common;
mod common;
use clients_common::*;
use common::*;
use proptest::prelude::*;
use smtpscope::model::{EventKind, InfoKind, Step};
use smtpscope::output::json::session_json;

// ---- MailKit ----

#[test]
fn mailkit_connections_verdicts_and_stamps() {
    let (sessions, report) = load("mailkit-protocol.log");
    assert_eq!(report.format, Some("mailkit"));
    // The IMAP connection is not SMTP: its five lines are left unparsed, not made a session.
    assert_eq!(report.unparsed_count, 5, "{:?}", report.unparsed);
    assert!(report.unparsed[0].1.contains("imaps://"));
    assert_eq!(
        verdicts(&sessions),
        ["success 250 -", "failure 535 5.7.8", "failure 554 5.7.1"]
    );
    let servers: Vec<_> = sessions.iter().map(|s| s.server.as_deref().unwrap()).collect();
    assert_eq!(
        servers,
        [
            "smtp.example.net:587",
            "smtp.example.com:465",
            "relay.example.org:25"
        ]
    );
    let start = sessions[0].start.unwrap();
    assert_eq!(start.offset, Some(0));
    assert_eq!(start.when.to_string(), "2026-12-01 08:02:11");
    assert_eq!(sessions[2].end.unwrap().when.to_string(), "2026-12-01 09:45:51");
    assert!(sessions.iter().all(|s| s.closed));
}

#[test]
fn mailkit_pipelining_data_and_multi_line_replies() {
    let (sessions, _) = load("mailkit-protocol.log");
    let s = &sessions[0];
    // Connected, greeting, EHLO/6 lines, STARTTLS/220, EHLO/6 lines, AUTH LOGIN exchange,
    // pipelined MAIL+RCPT then both replies, DATA/354, message, 250, QUIT/221.
    assert_eq!(directions(s), "ISCSCSCSCSCSCSCCSSCSCSCS");
    let rcpt_reply = &s.events[17];
    assert_eq!(
        (rcpt_reply.step, rcpt_reply.text.as_str()),
        (Some(Step::Rcpt), "250 Accepted")
    );
    let data = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert_eq!(data.text.lines().count(), 10);
    let auth_fail = sessions[1].decisive().unwrap();
    assert_eq!(auth_fail.text.lines().count(), 2);
    assert_eq!(auth_fail.step, Some(Step::Auth));
}

#[test]
fn mailkit_redacted_and_clear_credentials() {
    let (sessions, _) = load("mailkit-protocol.log");
    // MailKit's own `********` stays as written; an unredacted AUTH PLAIN is masked.
    assert_eq!(count(&sessions[0], EventKind::AuthData), 2);
    assert_masked(&sessions, &["AGludm9pY2VzQGV4YW1wbGUub3JnAFBlcHBlci1Nb29uLTQ0"]);
    let auth = sessions[1]
        .events
        .iter()
        .find(|e| e.step == Some(Step::Auth))
        .unwrap();
    assert_eq!(auth.text, "AUTH PLAIN ********");
}

// ---- Nodemailer ----

#[test]
fn nodemailer_interleaved_connections_by_id() {
    let sessions = load_clean("nodemailer.log", "nodemailer");
    let ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["q3Vd7aLk0wE", "Xk0p2Qd9uZs", "Rz8mW1b4cHe"]);
    assert_eq!(
        verdicts(&sessions),
        ["success 250 2.0.0", "failure 535 5.7.8", "failure 550 5.1.1"]
    );
    assert_eq!(sessions[0].server.as_deref(), Some("192.0.2.31:587"));
    assert!(sessions.iter().all(|s| s.closed));
    let start = sessions[1].start.unwrap();
    assert_eq!(
        (start.when.to_string().as_str(), start.offset),
        ("2026-12-01 07:20:44", Some(0))
    );
    // The two pooled connections interleave line by line; each keeps only its own lines.
    assert_eq!(directions(&sessions[1]), "IISCSCSCSCSIIII");
    assert_eq!(directions(&sessions[2]), "ISCSCSCSCSICSCSICSCSI");
}

#[test]
fn nodemailer_transport_notes_and_message_line() {
    let sessions = load_clean("nodemailer.log", "nodemailer");
    let s = &sessions[0];
    // The id-less "Sending mail using SMTP" note joins the connection that follows it.
    assert!(s.events[0].text.starts_with("Sending mail using SMTP"));
    assert_eq!(directions(s), "IIISCSCSICSICSIICSCSCSCSII");
    let body = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert!(body.text.contains("bytes encoded mime message"));
    assert_eq!(s.decisive().unwrap().step, Some(Step::DataEnd));
    // The transport's id-less "Send Error" after the close lands in the connection it is about.
    let last = sessions[1].events.last().unwrap();
    assert!(
        last.text.starts_with("Send Error: Invalid login"),
        "{}",
        last.text
    );
    assert!(sessions[2].events[0]
        .text
        .contains("Secure connection established"));
}

#[test]
fn nodemailer_credentials_are_masked() {
    let sessions = load_clean("nodemailer.log", "nodemailer");
    // The usernames and the PLAIN blob are hidden; nodemailer's own `/* secret */` stays.
    assert_masked(
        &sessions,
        &[
            "AGFsZXJ0c0BleGFtcGxlLm9yZwAvKiBzZWNyZXQgKi8=",
            "cmVwb3J0c0BleGFtcGxlLm9yZw==",
            "YWxlcnRzQGV4YW1wbGUub3Jn",
        ],
    );
    assert!(session_json(&sessions[1], false).contains("Lyogc2VjcmV0ICov"));
    assert_eq!(count(&sessions[1], EventKind::AuthData), 2);
}

// ---- JavaMail ----

#[test]
fn javamail_sessions_and_verdicts() {
    let sessions = load_clean("javamail-debug.log", "javamail");
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 2.0.0",
            "failure 535 5.7.8",
            "failure 550 5.1.1",
            "failure - -"
        ]
    );
    let servers: Vec<_> = sessions.iter().map(|s| s.server.as_deref().unwrap()).collect();
    assert_eq!(
        servers,
        [
            "smtp.example.net:587",
            "smtp.example.com:465",
            "relay.example.org:25",
            "mail.internal.example:25"
        ]
    );
    assert_eq!(sessions[1].verdict.outcome.as_str(), "auth-failed");
    assert_eq!(sessions[3].verdict.outcome.as_str(), "connection-failed");
    // The notes before each connect (version, provider) belong to that connection.
    assert!(sessions[1].events[0]
        .text
        .starts_with("DEBUG: Jakarta Mail version"));
    assert_eq!(sessions[3].events.len(), 3);
}

#[test]
fn javamail_raw_lines_get_their_direction_from_content() {
    let sessions = load_clean("javamail-debug.log", "javamail");
    let s = &sessions[0];
    let shape: String = directions(s).chars().filter(|c| *c != 'I').collect();
    // greeting, EHLO, STARTTLS, EHLO (AUTH hidden by JavaMail), MAIL, RCPT, DATA, message, QUIT.
    assert_eq!(shape, "SCSCSCSCSCSCSCSCS");
    let data = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    // Eight headers, the body line and the final dot (the loader skips blank lines).
    assert_eq!(data.text.lines().count(), 10);
    assert!(data.text.ends_with("pickup.\n."));
    assert_eq!(
        s.events
            .iter()
            .filter(|e| e.step == Some(Step::Ehlo) && e.kind == EventKind::Reply)
            .count(),
        2
    );
    assert!(s
        .events
        .iter()
        .any(|e| e.kind == EventKind::Info(InfoKind::AuthSucceeded)));
}

#[test]
fn javamail_failed_login_reply_comes_from_the_exception() {
    let sessions = load_clean("javamail-debug.log", "javamail");
    let reply = sessions[1].decisive().unwrap();
    assert_eq!(reply.step, Some(Step::Auth));
    assert_eq!(reply.text.lines().count(), 2);
    assert!(reply.text.lines().nth(1).unwrap().starts_with("535 5.7.8"));
    // The stack trace is one note, not one event per frame.
    let trace = sessions[1].events.last().unwrap();
    assert_eq!(trace.text.lines().count(), 4);
    // The address-failure exception quotes a reply already shown: it stays a note.
    let s = &sessions[2];
    assert_eq!(s.events.iter().filter(|e| e.kind == EventKind::Reply).count(), 6);
    assert!(s.events.iter().any(|e| e.text.contains("nested exception is:")));
}

// ---- Ruby Net::SMTP ----

#[test]
fn ruby_arrows_read_the_right_way_round() {
    let sessions = load_clean("ruby-net-smtp.log", "ruby-net-smtp");
    assert_eq!(
        verdicts(&sessions),
        ["success 250 2.0.0", "failure 550 5.1.1", "failure 535 5.7.8"]
    );
    let s = &sessions[0];
    // `->` is what Ruby read (the server), `<-` what it wrote (the client).
    assert_eq!(directions(s), "ISCSCSCSCSCSCSCSCSCSIISCS");
    assert_eq!(s.events[1].text, "220 smtp.example.net ESMTP Postfix");
    assert_eq!(s.events[2].text, "EHLO rails-web-2.example.org");
    // The hidden body: the 250 after `wrote N bytes` still answers the message.
    assert_eq!(s.decisive().unwrap().step, Some(Step::DataEnd));
    // String#dump escapes are undone.
    assert_eq!(
        sessions[1].events[1].text,
        "220 mx.example.com ESMTP \"Grüße\" service ready"
    );
    // Ruby sends no QUIT after an error; the next connection ends the one before.
    assert!(sessions[1].closed);
    assert_eq!(sessions[1].last_line, 42);
}

#[test]
fn ruby_credentials_are_masked() {
    let sessions = load_clean("ruby-net-smtp.log", "ruby-net-smtp");
    assert_masked(
        &sessions,
        &[
            "Q29iYWx0LUZpbmNoLTYz",
            "bWFpbGVyQGV4YW1wbGUub3Jn",
            "AG1haWxlckBleGFtcGxlLm9yZwBDb2JhbHQtRmluY2gtNjM=",
        ],
    );
}

// ---- Perl Net::SMTP ----

#[test]
fn perl_sessions_keyed_by_glob_address() {
    let sessions = load_clean("perl-net-smtp.log", "perl-net-smtp");
    let ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    // The STARTTLS class change (Net::SMTP::_SSL) keeps the same connection.
    assert_eq!(ids, ["0x55d1c3a0e2b8", "0x55d1c3b17f40"]);
    assert_eq!(verdicts(&sessions), ["partial 550 5.1.1", "failure 535 5.7.8"]);
    let s = &sessions[0];
    // Module version lines join the first connection as one note each.
    assert_eq!(directions(s), "IIIIIISCSCSCSCSCSCSCSCSCSCSCSCS");
    let data = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert_eq!(data.text.lines().count(), 5);
    assert!(sessions.iter().all(|s| s.closed));
}

#[test]
fn perl_credentials_are_masked() {
    let sessions = load_clean("perl-net-smtp.log", "perl-net-smtp");
    assert_masked(
        &sessions,
        &[
            "Q29iYWx0LUZpbmNoLTYz",
            "bWFpbGVyQGV4YW1wbGUub3Jn",
            "AG1haWxlckBleGFtcGxlLm9yZwBDb2JhbHQtRmluY2gtMzY=",
        ],
    );
}

// ---- robustness ----

/// Line starts and words of every client format here, so random input reaches their rules.
const FRAGMENTS: &[&str] = &[
    "=== Trying ",
    "=== Connection closed with remote host.",
    " -> ",
    " ~> ",
    "<-  ",
    "<~* ",
    "*** ",
    "2026-12-01T08:02:11Z ",
    "Connected to smtp://h:587/",
    "Connected to imap://h/",
    "C: ",
    "S: ",
    "[2026-12-01 07:15:02] DEBUG [abc] ",
    "[2026-12-01 07:15:02] ERROR ",
    "[#1] ",
    "Connection closed",
    "DEBUG SMTP: trying to connect to host \"h\", port 25, isSSL false",
    "DEBUG SMTP: AUTH LOGIN failed",
    "DEBUG: ",
    "javax.mail.AuthenticationFailedException: ",
    "\tat x.y(Z.java:1)",
    "*   Trying ",
    "* Connected to h (1.2.3.4) port 25",
    "* Connection #0 to host h left intact",
    "> ",
    "< ",
    "curl: (67) ",
    "<-- ",
    "--> ",
    "host = ",
    "port = ",
    "TLS session parameters:",
    "msmtp: ",
    "-> \"",
    "<- \"",
    "\\r\\n\"",
    "\\x",
    "\\u{",
    "Connection opened: ",
    "Net::SMTP=GLOB(0x1)>>> ",
    "Net::SMTP=GLOB(0x1)<<< ",
    "Net::SMTP>>> ",
    "$ telnet h 25",
    "CONNECTED(00000003)",
    "-----BEGIN CERTIFICATE-----",
    "---",
    "New, TLSv1.3, Cipher is X",
    "DONE",
    "220 ",
    "250-",
    "334 VXNlcm5hbWU6",
    "354 go",
    "535-5.7.8 ",
    "221 bye",
    "AUTH LOGIN",
    "DATA",
    ".",
    "日本",
    "\u{1b}[2J",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any mix of these pieces and random bytes loads in every client format without a panic,
    /// and every session gets one of the four status words.
    #[test]
    fn random_client_logs_never_panic(parts in prop::collection::vec(
        prop_oneof![
            prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..8),
            Just(b"\n".to_vec()),
        ],
        0..60,
    )) {
        let data = parts.concat();
        for name in [
            "swaks", "mailkit", "nodemailer", "javamail", "curl", "msmtp", "ruby-net-smtp",
            "perl-net-smtp", "manual",
        ] {
            let opts = smtpscope::load::LoadOptions {
                format: smtpscope::formats::by_name(name),
                year: Some(2026),
            };
            prop_assert!(opts.format.is_some(), "{} not registered", name);
            let loaded = smtpscope::load::load_reader("fuzz".into(), data.as_slice(), &opts, 2026);
            if let Ok((sessions, _)) = loaded {
                for s in &sessions {
                    prop_assert!(["success", "failure", "partial", "open"].contains(&s.status().as_str()));
                    let _ = session_json(s, false);
                }
            }
        }
    }
}

/// nodemailer's smtp-server (the server side) keys lines by `[#cid]` and leaves `S: ` off the
/// continuation lines of a multi-line reply.
#[test]
fn nodemailer_smtp_server_continuation_lines() {
    use smtpscope::load::{load_reader, LoadOptions};
    let log = "\
[2026-12-01 09:00:00] INFO  [#k3p9x2] Connection from [192.0.2.80]
[2026-12-01 09:00:00] DEBUG [#k3p9x2] S: 220 mx.example.net ESMTP
[2026-12-01 09:00:00] DEBUG [#k3p9x2] C: EHLO client.example.org
[2026-12-01 09:00:00] DEBUG [#k3p9x2] S: 250-mx.example.net Nice to meet you, client.example.org
[2026-12-01 09:00:00] DEBUG [#k3p9x2] 250-PIPELINING
[2026-12-01 09:00:00] DEBUG [#k3p9x2] 250-8BITMIME
[2026-12-01 09:00:00] DEBUG [#k3p9x2] 250 SMTPUTF8
[2026-12-01 09:00:01] DEBUG [#k3p9x2] C: QUIT
[2026-12-01 09:00:01] DEBUG [#k3p9x2] S: 221 Bye
[2026-12-01 09:00:01] INFO  [#k3p9x2] Connection closed to [192.0.2.80]
";
    let (sessions, report) =
        load_reader("srv".into(), log.as_bytes(), &LoadOptions::default(), 2026).unwrap();
    assert_eq!(report.format, Some("nodemailer"));
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.id, "#k3p9x2");
    assert_eq!(directions(s), "ISCSCSI");
    assert_eq!(s.events[3].text.lines().count(), 4);
    assert!(s.events.last().unwrap().kind == EventKind::Info(InfoKind::Closed));
    assert_eq!(verdict(s), "success - -");
}
