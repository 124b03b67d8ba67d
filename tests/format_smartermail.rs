//! Golden tests for the SmarterMail SMTP log and Delivery log.
mod common;
use common::*;
use smtpscope::formats::{self, InputLine};
use smtpscope::load::{load_reader, LoadOptions};
use smtpscope::model::Session;
use smtpscope::output::json::session_json;
use smtpscope::wrapper::Wrapper;
use std::io::Cursor;

#[test]
fn smtp_log_sessions_statuses_and_peers() {
    let (sessions, report) = load("smartermail-smtp.log");
    assert_eq!(report.format, Some("smartermail-smtp"));
    assert_eq!(
        ids(&sessions),
        ["48213375", "48213390", "48213412", "48213440", "48213466", "48213530", "48213501"]
    );
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 -",     // STARTTLS, AUTH PLAIN, message accepted
            "failure 535 -",     // AUTH LOGIN refused
            "partial 550 5.1.1", // one recipient unknown, the other accepted
            "failure 550 5.7.1", // relay denied
            "failure 554 -",     // blocked at connect
            "success 235 -",     // CRAM-MD5 login only
            "open - -",          // cut off in the middle of DATA
        ]
    );
    let clients: Vec<_> = sessions
        .iter()
        .map(|s| s.client.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(
        clients,
        [
            "203.0.113.45",
            "198.51.100.23",
            "192.0.2.61",
            "198.51.100.140",
            "192.0.2.200",
            "192.0.2.14",
            "203.0.113.88"
        ]
    );
    assert!(sessions[..6].iter().all(|s| s.closed));
    assert!(!sessions[6].closed);
    assert_eq!(sessions[1].verdict.outcome.as_str(), "auth-failed");
    assert_eq!(report.unparsed_count, 0);
}

#[test]
fn smtp_log_directions_and_run_together_ehlo() {
    let (sessions, _) = load("smartermail-smtp.log");
    let a = &sessions[0];
    // Greeting, connected note, EHLO, run-together reply, STARTTLS, 220, EHLO, reply in five
    // prefixed lines, AUTH, note, 235, note, MAIL, 250, RCPT, 250, DATA, 354, 250, QUIT, 221,
    // disconnect note.
    assert_eq!(directions(a), "SICSCSCSCISICSCSCSSCSI");
    assert_eq!(a.events[3].text.lines().count(), 6);
    assert_eq!(a.events[3].text.lines().nth(2), Some("250-STARTTLS"));
    assert_eq!(a.events[7].text.lines().count(), 5);
    assert_eq!((a.events[7].line, a.events[7].last_line), (10, 14));
    // The AUTH LOGIN failure: both challenges shown, no credential lines.
    assert_eq!(directions(&sessions[1]), "SICSCSISSI");
    // Blocked at connect: connect note, block note, 554, disconnect.
    assert_eq!(directions(&sessions[4]), "IISI");
}

#[test]
fn smtp_log_credentials_never_reach_json() {
    let (sessions, _) = load("smartermail-smtp.log");
    let secret = "AGFsaWNlQGV4YW1wbGUubmV0AFdpbnRlci1HYXJkZW4tNDI=";
    assert!(sample_text("smartermail-smtp.log").contains(secret));
    let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
    assert!(revealed.contains(secret), "the sample must carry the credential");
    for s in &sessions {
        let json = session_json(s, false);
        assert!(!json.contains(secret), "{}", s.id);
        assert!(!json.contains("Winter-Garden"), "{}", s.id);
    }
}

#[test]
fn delivery_log_sessions_statuses_and_peers() {
    let (sessions, report) = load("smartermail-delivery.log");
    assert_eq!(report.format, Some("smartermail-delivery"));
    assert_eq!(
        ids(&sessions),
        ["40211", "40288", "40262", "40262#2", "40230", "40247"]
    );
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 2.0.0", // delivered to a remote server
            "success - -",       // local delivery, decided by SmarterMail's result line
            "failure - -",       // first MX refused the connection
            "success 250 -",     // second MX took the message
            "failure 451 4.7.1", // greylisted: deferred
            "failure 550 5.1.1", // unknown recipient: bounced
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "delivered",
            "delivered",
            "connection-failed",
            "delivered",
            "deferred",
            "rejected"
        ]
    );
    let peers: Vec<_> = sessions.iter().map(Session::peers).collect();
    assert_eq!(peers[0], "203.0.113.5:50412 → 192.0.2.61:25");
    assert_eq!(peers[1], "→ local mailbox");
    assert_eq!(peers[2], "→ 198.51.100.77:25");
    assert_eq!(peers[3], "203.0.113.5:50533 → 198.51.100.78:25");
    assert!(sessions.iter().all(|s| s.closed));
    // The two unprefixed lines of the .NET exception trace.
    assert_eq!(report.unparsed_count, 2);
    assert!(report.unparsed[0]
        .1
        .starts_with("System.Net.Sockets.SocketException"));
}

#[test]
fn delivery_log_directions_and_continuations() {
    let (sessions, _) = load("smartermail-delivery.log");
    // Five notes, the SMTP exchange (EHLO reply cut to its first line as SmarterMail logs it,
    // no message body between 354 and 250), result, spool and finish notes.
    assert_eq!(directions(&sessions[0]), "IIIIISCSCSCSCSSCSIII");
    assert_eq!(directions(&sessions[1]), "IIIIIII");
    assert!(sessions[1].events.iter().all(|e| e.code.is_none()));
    // The refused connection keeps the preamble; the retry starts at its own connection.
    assert_eq!(directions(&sessions[2]), "IIIII");
    assert!(sessions[3].events[0]
        .text
        .starts_with("Initiating connection to 198.51.100.78"));
    // The bounce's unprefixed continuation lines belong to its 550 reply.
    let bounce = sessions[5].decisive().expect("decisive reply");
    assert_eq!(bounce.text.lines().count(), 3);
    assert_eq!(bounce.last_line, bounce.line + 2);
}

#[test]
fn each_log_is_detected_as_its_own_format_only() {
    let smtp = sample_text("smartermail-smtp.log");
    let delivery = sample_text("smartermail-delivery.log");
    fn line(text: &str) -> InputLine<'_> {
        InputLine {
            number: 1,
            text,
            wrapper: Wrapper::default(),
        }
    }
    let smtp_f = formats::by_name("smartermail-smtp").expect("registered");
    let delivery_f = formats::by_name("smartermail-delivery").expect("registered");
    let hits = |f: &dyn formats::Format, text: &str| text.lines().filter(|l| f.detect(&line(l))).count();
    for l in smtp.lines() {
        assert!(!delivery_f.detect(&line(l)), "{l}");
    }
    for l in delivery.lines() {
        assert!(!smtp_f.detect(&line(l)), "{l}");
    }
    // Every command and reply line counts; notes do not.
    assert_eq!(
        hits(smtp_f, &smtp),
        smtp.matches("] cmd: ").count() + smtp.matches("] rsp: ").count()
    );
    assert!(hits(delivery_f, &delivery) > delivery.lines().count() * 3 / 4);
}

#[test]
fn imap_log_with_the_same_prefix_is_not_taken_for_smtp() {
    let text = "\
[2026.05.11] 10:00:00 [192.0.2.9][501] connected at 5/11/2026 10:00:00 AM
[2026.05.11] 10:00:00 [192.0.2.9][501] rsp: * OK IMAP4rev1 server ready
[2026.05.11] 10:00:00 [192.0.2.9][501] cmd: A1 LOGIN bob@example.net hunter2
[2026.05.11] 10:00:00 [192.0.2.9][501] rsp: A1 OK LOGIN completed
";
    let err = load_reader("imap".into(), Cursor::new(text), &LoadOptions::default(), 2026);
    assert!(err.is_err(), "an IMAP log must not be read as SMTP");
}

#[test]
fn detected_behind_syslog_and_docker_prefixes() {
    let (plain_smtp, _) = load("smartermail-smtp.log");
    let (plain_delivery, _) = load("smartermail-delivery.log");
    for (name, plain, format) in [
        ("smartermail-smtp.log", &plain_smtp, "smartermail-smtp"),
        (
            "smartermail-delivery.log",
            &plain_delivery,
            "smartermail-delivery",
        ),
    ] {
        for prefix in [
            "Mar  4 09:14:02 mailhost SmarterMail[2212]: ",
            "2026-03-04T09:14:02.602438620Z ",
        ] {
            let wrapped: String = sample_text(name)
                .lines()
                .map(|l| format!("{prefix}{l}\n"))
                .collect();
            let (sessions, report) = load_text(&wrapped);
            assert_eq!(report.format, Some(format), "{name} behind {prefix:?}");
            assert_eq!(verdicts(&sessions), verdicts(plain), "{name} behind {prefix:?}");
        }
    }
}

#[test]
fn pasted_excerpt_with_prefix_only_on_the_first_line() {
    // How articles quote a delivery: one bare prefix, then the messages without it.
    let text = "\
[2026.05.11] 14:02:10 [7781]
Delivery started for web@example.net at 2:02:10 PM
Initiating connection to 198.51.100.9
Connection to 198.51.100.9:25 from 203.0.113.5:51000 succeeded (Id: 1)
RSP: 220 mx.example.com ESMTP
CMD: EHLO mail.example.net
RSP: 250 mx.example.com
CMD: MAIL FROM:<web@example.net>
RSP: 250 2.1.0 Ok
CMD: RCPT TO:<ann@example.com>
RSP: 250 2.1.5 Ok
CMD: DATA
RSP: 354  Go ahead
RSP: 250 2.0.0 Ok: queued
Step 15 - the message is handed over
Delivery finished for web@example.net at 2:02:11 PM
";
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("smartermail-delivery"));
    assert_eq!(ids(&sessions), ["7781"]);
    assert_eq!(verdicts(&sessions), ["success 250 2.0.0"]);
    assert_eq!(directions(&sessions[0]), "IIISCSCSCSCSSI");
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn smtp_log_details() {
    let text = "\
[2026.05.11] 10:00:00 [2001:db8::25][9001] rsp: 220 mail.example.net
[2026.05.11] 10:00:00 [2001:db8::25][9001] connected at 5/11/2026 10:00:00 AM
[2026.05.11] 10:00:01 [2001:db8::25][9001] cmd: AUTH LOGIN
[2026.05.11] 10:00:01 [2001:db8::25][9001] rsp: 334 VXNlcm5hbWU6
[2026.05.11] 10:00:01 [2001:db8::25][9001] cmd: ZGF2ZUBleGFtcGxlLm5ldA==
[2026.05.11] 10:00:01 [2001:db8::25][9001] rsp: 334 UGFzc3dvcmQ6
[2026.05.11] 10:00:01 [2001:db8::25][9001] cmd: c2VjcmV0LXNhdWNl
[2026.05.11] 10:00:02 [2001:db8::25][9001] rsp: 535 5.7.8 Authentication failed
[2026.05.11] 10:00:02 [2001:db8::25][9001] login failed for dave@example.net
[2026.05.11] 10:00:02 [2001:db8::25][9001] disconnected at 5/11/2026 10:00:02 AM
";
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("smartermail-smtp"));
    assert_eq!(sessions[0].client.as_deref(), Some("2001:db8::25"));
    // The note after the reply repeats the refusal; the reply stays decisive.
    assert_eq!(verdicts(&sessions), ["failure 535 5.7.8"]);
    let json = session_json(&sessions[0], false);
    assert!(!json.contains("ZGF2ZUBleGFtcGxlLm5ldA==") && !json.contains("c2VjcmV0LXNhdWNl"));
}

#[test]
fn lines_after_the_end_open_no_phantom_session() {
    let text = "\
[2026.05.11] 10:00:00 [192.0.2.9][77] rsp: 220 mail.example.net
[2026.05.11] 10:00:00 [192.0.2.9][77] disconnected at 5/11/2026 10:00:00 AM
250 stray reply after the disconnect
";
    let (sessions, report) = load_text(text);
    assert_eq!(ids(&sessions), ["77"]);
    assert_eq!(report.unparsed_count, 1);
}

mod hostile {
    use proptest::prelude::*;
    use smtpscope::formats;
    use smtpscope::load::{load_reader, LoadOptions};
    use std::io::Cursor;

    /// SmarterMail grammar pieces mixed with junk, so random input reaches the note rules.
    const FRAGMENTS: &[&str] = &[
        "[2026.03.04] 09:14:02 [203.0.113.45][1] ",
        "[2026.03.04] 09:14:02.5 [][2] ",
        "[2026.03.04] 09:14:02 [40211] ",
        "cmd: ",
        "rsp: ",
        "CMD: ",
        "RSP: ",
        "250-a250-b250 c",
        "354 ",
        "550-5.1.1 ",
        "connected at ",
        "disconnected at ",
        "Authenticated as ",
        "login failed",
        "Delivery started for ",
        "Initiating connection to ",
        "Connection to 192.0.2.1:25 from ",
        " succeeded (Id: 1)",
        " failed",
        "Delivery for a to b has completed (",
        "Delivered)",
        "Delivery finished for ",
        "Starting local delivery to ",
        "日本語",
        "\t",
        "(",
    ];

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        crate::common::grammar_soup(FRAGMENTS)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Both SmarterMail parsers survive any mix of their grammar and junk.
        #[test]
        fn smartermail_parsers_never_panic(data in soup()) {
            for name in ["smartermail-smtp", "smartermail-delivery"] {
                let opts = LoadOptions { format: formats::by_name(name), year: None };
                let loaded = load_reader("fuzz".into(), Cursor::new(data.clone()), &opts, 2026);
                prop_assert!(loaded.is_ok());
            }
        }
    }
}
