//! Golden tests for the transcripts of SMTP test tools: swaks, curl -v, msmtp --debug, and
//! pasted telnet/nc/openssl sessions.
mod clients_common;
mod common;
use clients_common::*;
use common::*;
use smtpscope::model::{EventKind, InfoKind, Step};

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

/// Some curl versions log the QUIT after "left intact": it stays in the same run.
#[test]
fn curl_quit_after_left_intact_stays_in_the_run() {
    use smtpscope::load::{load_reader, LoadOptions};
    let log = "*   Trying 192.0.2.44:25...\n* Connected to mx.example.net (192.0.2.44) port 25\n\
               < 220 mx.example.net ESMTP\n> EHLO ci\n< 250 mx.example.net\n\
               * Connection #0 to host mx.example.net left intact\n> QUIT\n< 221 2.0.0 Bye\n\
               * Closing connection 0\n*   Trying 192.0.2.45:25...\n";
    let (sessions, report) =
        load_reader("curl".into(), log.as_bytes(), &LoadOptions::default(), 2026).unwrap();
    assert_eq!(report.format, Some("curl"));
    assert_eq!(sessions.len(), 2);
    assert_eq!(directions(&sessions[0]), "IISCSICSI");
    assert_eq!(verdict(&sessions[0]), "success - -");
    assert!(sessions[0].closed);
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
