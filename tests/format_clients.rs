//! Golden tests for the client debug transcripts: swaks, MailKit, Nodemailer, JavaMail, curl,
//! msmtp, Ruby and Perl Net::SMTP, and pasted telnet/openssl sessions.
mod common;
use common::*;
use smtpscope::model::{EventKind, InfoKind, Session, Step};
use smtpscope::output::json::session_json;

/// Loads a sample, checks its format and that every line was understood.
fn load_clean(name: &str, format: &str) -> Vec<Session> {
    let (sessions, report) = load(name);
    assert_eq!(report.format, Some(format), "{name}");
    assert_eq!(report.unparsed_count, 0, "{name}: {:?}", report.unparsed);
    sessions
}

fn verdicts(sessions: &[Session]) -> Vec<String> {
    sessions.iter().map(verdict).collect()
}

/// No credential in `secrets` appears in the masked JSON of any session; the first one does
/// when secrets are revealed (so the test looks at the right text).
fn assert_masked(sessions: &[Session], secrets: &[&str]) {
    for s in sessions {
        let masked = session_json(s, false);
        for secret in secrets {
            assert!(!masked.contains(secret), "{secret} leaked in {masked}");
        }
    }
    let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
    assert!(revealed.contains(secrets[0]), "{} not in the log?", secrets[0]);
}

fn count(s: &Session, kind: EventKind) -> usize {
    s.events.iter().filter(|e| e.kind == kind).count()
}

// ---- swaks ----

#[test]
fn swaks_sessions_and_verdicts() {
    let sessions = load_clean("swaks.log", "swaks");
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 2.0.0",
            "failure 535 5.7.8",
            "partial 550 5.1.1",
            "failure - -"
        ]
    );
    assert_eq!(sessions[0].server.as_deref(), Some("mail.example.net:587"));
    assert!(sessions.iter().all(|s| s.closed));
    assert_eq!(sessions[1].verdict.outcome.as_str(), "auth-failed");
    assert_eq!(sessions[3].verdict.outcome.as_str(), "connection-failed");
    // AUTH PLAIN refused, the tool's note, QUIT; the rejected recipient; the refused connect.
    assert_eq!(directions(&sessions[1]), "IISCSCSICSCSICSI");
    assert_eq!(directions(&sessions[2]), "IISCSCSCSCSCSCSCSI");
    assert_eq!(directions(&sessions[3]), "III");
}

#[test]
fn swaks_tls_multi_line_replies_and_data() {
    let sessions = load_clean("swaks.log", "swaks");
    let s = &sessions[0];
    // Trying, Connected, greeting, EHLO + 7-line reply, STARTTLS + 220, three TLS notes,
    // EHLO again, AUTH LOGIN with two challenges, the mail, QUIT, close note.
    assert_eq!(directions(s), "IISCSCSIIICSCSCSCSCSCSCSCSCSI");
    let ehlo = &s.events[4];
    assert_eq!((ehlo.step, ehlo.text.lines().count()), (Some(Step::Ehlo), 7));
    assert!(s
        .events
        .iter()
        .any(|e| e.kind == EventKind::Info(InfoKind::TlsStarted)));
    let data = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert!(data.text.starts_with("Date: ") && data.text.ends_with("\n."));
    assert_eq!(count(s, EventKind::AuthData), 2);
}

#[test]
fn swaks_credentials_are_masked() {
    let sessions = load_clean("swaks.log", "swaks");
    assert_masked(
        &sessions,
        &[
            "VGFuZ2VyaW5lLTE5",
            "ZGVwbG95QGV4YW1wbGUub3Jn",
            "AGRlcGxveUBleGFtcGxlLm9yZwB3cm9uZy1ndWVzcw==",
        ],
    );
}

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

// ---- curl ----

#[test]
fn curl_runs_and_verdicts() {
    let sessions = load_clean("curl-verbose.log", "curl");
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 2.0.0",
            "failure 535 5.7.8",
            "partial 550 5.1.1",
            "failure - -"
        ]
    );
    assert_eq!(
        sessions[0].server.as_deref(),
        Some("smtp.example.net[192.0.2.44]:587")
    );
    // curl ends a run without QUIT ("left intact"): the session is over, not open.
    assert!(sessions.iter().all(|s| s.closed));
    assert_eq!(sessions[3].verdict.outcome.as_str(), "connection-failed");
    // The closing `curl: (67) Login denied` line belongs to the run it ends.
    let last = sessions[1].events.last().unwrap();
    assert_eq!(last.kind, EventKind::Info(InfoKind::AuthFailed));
    assert!(last.text.starts_with("curl: (67)"));
}

#[test]
fn curl_notes_are_grouped_and_replies_paired() {
    let sessions = load_clean("curl-verbose.log", "curl");
    let s = &sessions[0];
    // resolve notes, Trying, Connected, greeting, EHLO, STARTTLS, handshake notes, TLS up,
    // certificate, EHLO, AUTH, MAIL, RCPT, DATA, upload note, 250, left intact.
    assert_eq!(directions(s), "IIISCSCSIIICSCSCSCSCSISI");
    let cert = s
        .events
        .iter()
        .find(|e| e.text.starts_with("* Server certificate:"))
        .unwrap();
    assert_eq!(cert.text.lines().count(), 7);
    let tls = s
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Info(InfoKind::TlsStarted))
        .count();
    assert_eq!(tls, 1);
    let accepted = s.decisive().unwrap();
    assert_eq!(accepted.step, Some(Step::DataEnd));
    assert_eq!(directions(&sessions[3]), "IIIII");
}

#[test]
fn curl_credentials_are_masked() {
    let sessions = load_clean("curl-verbose.log", "curl");
    assert_masked(
        &sessions,
        &[
            "AHJlcG9ydHNAZXhhbXBsZS5vcmcAUXVhcnR6LUhlcm9uLTgx",
            "UXVhcnR6LUhlcm9uLTgx",
            "cmVwb3J0c0BleGFtcGxlLm9yZw==",
        ],
    );
}

// ---- msmtp ----

#[test]
fn msmtp_runs_and_verdicts() {
    let sessions = load_clean("msmtp-debug.log", "msmtp");
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 2.0.0",
            "failure 535 5.7.8",
            "partial 550 5.1.1",
            "failure - -"
        ]
    );
    let servers: Vec<_> = sessions.iter().map(|s| s.server.as_deref().unwrap()).collect();
    assert_eq!(
        servers,
        [
            "smtp.example.net:587",
            "smtp.example.net:587",
            "mx.example.com:25",
            "smtp.old.example:587"
        ]
    );
    assert_eq!(sessions[3].verdict.outcome.as_str(), "connection-failed");
    assert_eq!(sessions[1].verdict.outcome.as_str(), "auth-failed");
}

#[test]
fn msmtp_config_and_tls_blocks_are_single_notes() {
    let sessions = load_clean("msmtp-debug.log", "msmtp");
    let s = &sessions[0];
    // config dump, greeting, EHLO, STARTTLS, TLS parameters, certificate, EHLO, AUTH,
    // pipelined MAIL/RCPT/DATA and their replies, message, 250, QUIT.
    assert_eq!(directions(s), "ISCSCSIICSCSCCCSSSCSCS");
    assert_eq!(s.events[0].text.lines().count(), 44);
    assert_eq!(s.events[6].kind, EventKind::Info(InfoKind::TlsStarted));
    assert_eq!(s.events[7].text.lines().count(), 10);
    let replies: Vec<_> = s.events[15..18].iter().map(|e| e.step).collect();
    assert_eq!(replies, [Some(Step::Mail), Some(Step::Rcpt), Some(Step::Data)]);
    let data = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert_eq!(data.text.lines().count(), 8);
}

#[test]
fn msmtp_credentials_are_masked() {
    let sessions = load_clean("msmtp-debug.log", "msmtp");
    assert_masked(
        &sessions,
        &[
            "AGJhY2t1cABMYW50ZXJuLUZvZy0yNw==",
            "AGJhY2t1cABsYW50ZXJuLWZvZy0yNw==",
        ],
    );
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

// ---- manual telnet / nc / openssl sessions ----

#[test]
fn manual_sessions_and_verdicts() {
    let sessions = load_clean("manual-session.log", "manual");
    assert_eq!(
        verdicts(&sessions),
        [
            "partial 550 5.1.1",
            "failure 535 5.7.8",
            "success 250 2.0.0",
            "failure - -"
        ]
    );
    let servers: Vec<_> = sessions.iter().map(|s| s.server.as_deref().unwrap()).collect();
    assert_eq!(
        servers,
        [
            "mx.example.net:25",
            "smtp.example.net:587",
            "smtp.example.org:587",
            "smtp.old.example:25"
        ]
    );
    assert_eq!(sessions[3].verdict.outcome.as_str(), "connection-failed");
    assert!(sessions.iter().all(|s| s.closed));
}

#[test]
fn manual_direction_comes_from_content() {
    let sessions = load_clean("manual-session.log", "manual");
    let s = &sessions[0];
    // prompt, Trying, Connected, Escape note, then the typed dialogue, then the close note.
    assert_eq!(directions(s), "IIIISCSCSCSCSCSCSCSI");
    assert_eq!(s.events[5].step, Some(Step::Ehlo));
    assert_eq!(s.events[6].text.lines().count(), 9);
    let data = s
        .events
        .iter()
        .find(|e| e.kind == EventKind::MessageData)
        .unwrap();
    assert_eq!(data.text.lines().count(), 3);
    // A mistyped command is still the client's; the 500 it got is recovered by the EHLO.
    let nc = &sessions[2];
    assert_eq!(nc.events[2].text, "EHLLO desk.example.org");
    assert_eq!(nc.events[2].kind, EventKind::Command);
    assert_eq!(nc.events[3].code.map(|c| c.basic), Some(500));
}

#[test]
fn manual_openssl_dumps_are_grouped_notes() {
    let sessions = load_clean("manual-session.log", "manual");
    let s = &sessions[1];
    // prompt, CONNECTED, the handshake dump, EHLO, the ticket dump, reply, AUTH exchange,
    // 535, QUIT (openssl says DONE instead of sending it), DONE.
    assert_eq!(directions(s), "IIICISCSCSCSCI");
    let dump = &s.events[2];
    assert_eq!(dump.kind, EventKind::Info(InfoKind::TlsStarted));
    assert_eq!(dump.text.lines().count(), 37);
    let ticket = &s.events[4];
    assert_eq!(ticket.kind, EventKind::Info(InfoKind::Note));
    assert!(ticket.text.contains("Post-Handshake New Session Ticket"));
    // The EHLO typed before the ticket dump still gets its reply.
    assert_eq!(s.events[5].step, Some(Step::Ehlo));
}

#[test]
fn manual_credentials_are_masked() {
    let sessions = load_clean("manual-session.log", "manual");
    assert_masked(
        &sessions,
        &[
            "U2FmZnJvbi1LaXRlLTkw",
            "aGVscGRlc2tAZXhhbXBsZS5vcmc=",
            "AGhlbHBkZXNrQGV4YW1wbGUub3JnAFNhZmZyb24tS2l0ZS0wOQ==",
        ],
    );
}

/// The catch-all never wins over a specific format whose lines are also raw SMTP (JavaMail's
/// prefixless lines outnumber its `DEBUG` notes), yet a bare paste with no framing is found.
#[test]
fn manual_is_only_a_fallback() {
    use smtpscope::load::{load_reader, LoadOptions};
    let (_, report) = load("javamail-debug.log");
    assert_eq!(report.format, Some("javamail"));
    let bare = "220 mx.example.net ESMTP\nEHLO me.example.org\n250 mx.example.net\nQUIT\n221 Bye\n";
    let (sessions, report) =
        load_reader("bare".into(), bare.as_bytes(), &LoadOptions::default(), 2026).unwrap();
    assert_eq!(report.format, Some("manual"));
    assert_eq!(verdict(&sessions[0]), "success - -");
    // Two matching lines are not enough to call a file a pasted session.
    let thin = "250 ok\nsomething else entirely\nQUIT\n";
    assert!(load_reader("thin".into(), thin.as_bytes(), &LoadOptions::default(), 2026).is_err());
}
