//! Golden tests for the Exchange SmtpReceive and SmtpSend protocol logs.
mod common;
use common::*;
use smtpscope::formats::{self, InputLine};
use smtpscope::model::{Direction, EventKind, Session, Step};
use smtpscope::output::json::session_json;
use smtpscope::wrapper::Wrapper;

const RECV: &str = "exchange-smtpreceive.log";
const SEND: &str = "exchange-smtpsend.log";

/// The first event whose text starts with `prefix`.
fn event_starting<'s>(s: &'s Session, prefix: &str) -> &'s smtpscope::model::Event {
    s.events
        .iter()
        .find(|e| e.text.starts_with(prefix))
        .unwrap_or_else(|| panic!("{}: no event starting {prefix:?}", s.id))
}

#[test]
fn receive_log_sessions_statuses_and_peers() {
    let (sessions, report) = load(RECV);
    assert_eq!(report.format, Some("exchange-receive"));
    assert_eq!(
        ids(&sessions),
        [
            "08DE5A1B2C3D4E01",
            "08DE5A1B2C3D4E02",
            "08DE5A1B2C3D4E03",
            "08DE5A1B2C3D4E04",
            "08DE5A1B2C3D4E05",
            "08DE5A1B2C3D4E06"
        ]
    );
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 2.6.0",  // STARTTLS, message queued
            "failure 535 5.7.3",  // AUTH LOGIN refused
            "partial 550 5.1.10", // one recipient unknown, the other accepted (BDAT LAST)
            "failure - -",        // TLS negotiation failed
            "failure 550 5.1.10", // tarpitted harvest: every recipient unknown
            "open - -",           // cut off after 354
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "delivered",
            "auth-failed",
            "some-recipients-rejected",
            "tls-failed",
            "rejected",
            "in-progress"
        ]
    );
    // Exchange is the server: the local endpoint.
    assert_eq!(sessions[0].peers(), "198.51.100.20:51123 → 192.0.2.10:25");
    assert_eq!(sessions[1].peers(), "203.0.113.77:60412 → 192.0.2.10:587");
    assert!(sessions[..5].iter().all(|s| s.closed));
    assert!(!sessions[5].closed);
    assert_eq!(
        sessions[0].start.map(|t| t.to_string()).as_deref(),
        Some("2026-03-04T09:00:01.012Z")
    );
    assert_eq!(report.unparsed_count, 0);
}

#[test]
fn send_log_sessions_statuses_and_peers() {
    let (sessions, report) = load(SEND);
    assert_eq!(report.format, Some("exchange-send"));
    assert_eq!(
        ids(&sessions),
        [
            "08DE5A1B2C3D5F01",
            "08DE5A1B2C3D5F02",
            "08DE5A1B2C3D5F03",
            "08DE5A1B2C3D5F04",
            "08DE5A1B2C3D5F05"
        ]
    );
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 2.0.0",   // delivered to the remote MX
            "failure 451 4.7.500", // server busy: deferred
            "failure - -",         // connect timed out
            "failure - -",         // connection refused
            "failure 550 5.7.1",   // refused after the data
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "delivered",
            "deferred",
            "connection-failed",
            "connection-failed",
            "rejected"
        ]
    );
    // Exchange is the client: the local endpoint, known only once connected.
    assert_eq!(sessions[0].peers(), "192.0.2.10:28301 → 198.51.100.80:25");
    assert_eq!(sessions[2].peers(), "→ 198.51.100.90:25");
    assert_eq!(sessions[4].decisive().map(|e| e.step), Some(Some(Step::DataEnd)));
    assert_eq!(report.unparsed_count, 0);
}

#[test]
fn arrows_flip_between_receive_and_send_logs() {
    let (recv, _) = load(RECV);
    let (send, _) = load(SEND);
    // The raw logs write EHLO with opposite arrows…
    assert!(sample_text(RECV).contains(",<,EHLO "));
    assert!(!sample_text(RECV).contains(",>,EHLO "));
    assert!(sample_text(SEND).contains(",>,EHLO "));
    assert!(!sample_text(SEND).contains(",<,EHLO "));
    // …and both are the client's command; the 220 greeting is the server's in both.
    for s in [&recv[0], &send[0]] {
        let ehlo = event_starting(s, "EHLO ");
        assert_eq!(
            (ehlo.dir, ehlo.kind),
            (Direction::Client, EventKind::Command),
            "{}",
            s.id
        );
        let greeting = event_starting(s, "220 ");
        assert_eq!(greeting.dir, Direction::Server, "{}", s.id);
        assert_eq!(greeting.step, Some(Step::Greeting), "{}", s.id);
    }
    // Connect, permissions, greeting, EHLO, reply, STARTTLS, 220, certificate and TLS notes,
    // EHLO, reply, MAIL, "receiving message", 250, RCPT, 250, DATA, 354, 250, QUIT, 221,
    // disconnect.
    assert_eq!(directions(&recv[0]), "IISCSCSIICSCISCSCSSCSI");
    // Notes and the connect come before the greeting in a Send log.
    assert_eq!(directions(&send[0]), "IIISCSCSIIICSICCSSCSSCSI");
    // The AUTH LOGIN failure: both challenges and Exchange's own masked answers.
    assert_eq!(directions(&recv[1]), "IISCSCSCSCIISCSI");
    let answers: Vec<_> = recv[1]
        .events
        .iter()
        .filter(|e| e.kind == EventKind::AuthData)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(answers, ["****", "****"]);
}

#[test]
fn multi_line_replies_are_grouped() {
    let (recv, _) = load(RECV);
    let (send, _) = load(SEND);
    let ehlo_reply = &recv[0].events[4];
    assert_eq!(ehlo_reply.text.lines().count(), 9);
    assert_eq!(ehlo_reply.text.lines().last(), Some("250 CHUNKING"));
    assert_eq!(ehlo_reply.step, Some(Step::Ehlo));
    assert_eq!(ehlo_reply.last_line - ehlo_reply.line, 8);
    let remote_ehlo = &send[0].events[5];
    assert_eq!(remote_ehlo.text.lines().count(), 7);
    assert_eq!(remote_ehlo.text.lines().nth(3), Some("250-STARTTLS"));
}

#[test]
fn quoted_csv_fields_keep_their_commas() {
    let (recv, _) = load(RECV);
    let (send, _) = load(SEND);
    let greeting = event_starting(&recv[0], "220 ");
    assert_eq!(
        greeting.text,
        "220 mail.example.net Microsoft ESMTP MAIL Service ready at Wed, 4 Mar 2026 09:00:01 +0000"
    );
    let queued = recv[0].decisive().expect("decisive reply");
    assert!(queued
        .text
        .contains("[InternalId=10316511428609, Hostname=EX01.corp.example.net]"));
    assert!(queued
        .text
        .ends_with("0.221, 80.932 KB/sec Queued mail for delivery"));
    let cert = event_starting(&recv[0], "Sending certificate");
    assert_eq!(
        cert.text,
        "Sending certificate: CN=mail.example.net, O=Example Net, C=US"
    );
    let tls = event_starting(&recv[0], "TLS protocol");
    assert_eq!(tls.kind, EventKind::Info(smtpscope::model::InfoKind::TlsStarted));
    assert!(tls.text.ends_with("with strength 384 bits"));
    let rejected = send[4].decisive().expect("decisive reply");
    assert_eq!(
        rejected.text,
        "550 5.7.1 Message rejected, content matches a spam signature"
    );
}

#[test]
fn each_log_is_detected_as_its_own_format() {
    fn line(text: &str) -> InputLine<'_> {
        InputLine {
            number: 1,
            text,
            wrapper: Wrapper::default(),
        }
    }
    let recv_f = formats::by_name("exchange-receive").expect("registered");
    let send_f = formats::by_name("exchange-send").expect("registered");
    let hits = |f: &dyn formats::Format, text: &str| text.lines().filter(|l| f.detect(&line(l))).count();
    let (recv, send) = (sample_text(RECV), sample_text(SEND));
    assert!(hits(recv_f, &recv) > hits(send_f, &recv));
    assert!(hits(send_f, &send) > hits(recv_f, &send));
    // The Log-type header names one log only.
    assert!(recv_f.detect(&line("#Log-type: SMTP Receive Protocol Log")));
    assert!(!send_f.detect(&line("#Log-type: SMTP Receive Protocol Log")));
    assert!(!recv_f.detect(&line("#Log-type: Message Tracking Log")));
    // No other format claims these lines.
    for f in formats::all() {
        if !f.name().starts_with("exchange-") {
            assert_eq!(hits(*f, &recv) + hits(*f, &send), 0, "{}", f.name());
        }
    }
}

#[test]
fn pasted_excerpts_without_header_are_read_from_the_row_shape() {
    for (name, format) in [(RECV, "exchange-receive"), (SEND, "exchange-send")] {
        let (plain, _) = load(name);
        let excerpt: String = sample_text(name)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let (sessions, report) = load_text(&excerpt);
        assert_eq!(report.format, Some(format), "{name}");
        assert_eq!(verdicts(&sessions), verdicts(&plain), "{name}");
        assert_eq!(directions(&sessions[0]), directions(&plain[0]), "{name}");
    }
}

#[test]
fn detected_behind_syslog_and_docker_prefixes() {
    for (name, format) in [(RECV, "exchange-receive"), (SEND, "exchange-send")] {
        let (plain, _) = load(name);
        for prefix in [
            "Mar  4 09:14:02 ex01 MSExchangeTransport[2212]: ",
            "2026-03-04T09:14:02.602438620Z ",
        ] {
            let wrapped: String = sample_text(name)
                .lines()
                .map(|l| format!("{prefix}{l}\n"))
                .collect();
            let (sessions, report) = load_text(&wrapped);
            assert_eq!(report.format, Some(format), "{name} behind {prefix:?}");
            assert_eq!(verdicts(&sessions), verdicts(&plain), "{name} behind {prefix:?}");
            assert_eq!(report.unparsed_count, 0, "{name} behind {prefix:?}");
        }
    }
}

#[test]
fn credentials_never_reach_json() {
    // Exchange masks the answers itself: they are shown as logged, not masked again.
    let (sessions, _) = load(RECV);
    let answers = sessions[1]
        .events
        .iter()
        .filter(|e| e.kind == EventKind::AuthData);
    assert!(answers.clone().count() == 2 && answers.clone().all(|e| e.secrets.is_empty()));
    // A log that shows the payloads (not Exchange's default) is masked by smtpscope.
    let plain = "AGFubkBleGFtcGxlLm5ldABXaW50ZXItR2FyZGVuLTQy";
    let user = "YW5uQGV4YW1wbGUubmV0";
    let pass = "V2ludGVyLUdhcmRlbi00Mg==";
    let text = format!(
        "\
#Log-type: SMTP Receive Protocol Log
2026-03-04T11:00:00.000Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A01,0,192.0.2.10:587,203.0.113.9:50000,+,,
2026-03-04T11:00:00.001Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A01,1,192.0.2.10:587,203.0.113.9:50000,>,220 mail.example.net ready,
2026-03-04T11:00:00.002Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A01,2,192.0.2.10:587,203.0.113.9:50000,<,AUTH PLAIN {plain},
2026-03-04T11:00:00.003Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A01,3,192.0.2.10:587,203.0.113.9:50000,*,ann@example.net,authenticated
2026-03-04T11:00:00.004Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A01,4,192.0.2.10:587,203.0.113.9:50000,>,235 2.7.0 Authentication successful,
2026-03-04T11:00:00.005Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A01,5,192.0.2.10:587,203.0.113.9:50000,-,,Remote
2026-03-04T11:00:01.000Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,0,192.0.2.10:587,203.0.113.9:50001,+,,
2026-03-04T11:00:01.001Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,1,192.0.2.10:587,203.0.113.9:50001,<,AUTH LOGIN,
2026-03-04T11:00:01.002Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,2,192.0.2.10:587,203.0.113.9:50001,>,334 VXNlcm5hbWU6,
2026-03-04T11:00:01.003Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,3,192.0.2.10:587,203.0.113.9:50001,<,{user},
2026-03-04T11:00:01.004Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,4,192.0.2.10:587,203.0.113.9:50001,>,334 UGFzc3dvcmQ6,
2026-03-04T11:00:01.005Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,5,192.0.2.10:587,203.0.113.9:50001,<,{pass},
2026-03-04T11:00:01.006Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,6,192.0.2.10:587,203.0.113.9:50001,>,235 2.7.0 Authentication successful,
2026-03-04T11:00:01.007Z,EX01\\Client Frontend EX01,08DE5A1B2C3D6A02,7,192.0.2.10:587,203.0.113.9:50001,-,,Remote
"
    );
    let (sessions, report) = load_text(&text);
    assert_eq!(report.format, Some("exchange-receive"));
    assert_eq!(verdicts(&sessions), ["success 235 2.7.0", "success 235 2.7.0"]);
    let hidden: String = sessions.iter().map(|s| session_json(s, false)).collect();
    let shown: String = sessions.iter().map(|s| session_json(s, true)).collect();
    for secret in [plain, user, pass] {
        assert!(shown.contains(secret), "the log carries {secret}");
        assert!(!hidden.contains(secret), "{secret} leaked");
    }
    assert!(sessions[0]
        .events
        .iter()
        .any(|e| e.kind == EventKind::Info(smtpscope::model::InfoKind::AuthSucceeded)));
}

#[test]
fn fields_header_decides_the_column_order() {
    let text = "\
#Software: Microsoft Exchange Server
#Log-type: SMTP Send Protocol Log
#Fields: session-id,date-time,sequence-number,event,data,context,remote-endpoint,local-endpoint,connector-id
08DE5A1B2C3D7B01,2026-03-04T12:00:00.000Z,0,+,,,198.51.100.5:25,192.0.2.10:30000,Outbound
08DE5A1B2C3D7B01,2026-03-04T12:00:00.100Z,1,<,\"220 mx.example.com ESMTP, hello\",,198.51.100.5:25,192.0.2.10:30000,Outbound
08DE5A1B2C3D7B01,2026-03-04T12:00:00.200Z,2,>,EHLO mail.example.net,,198.51.100.5:25,192.0.2.10:30000,Outbound
08DE5A1B2C3D7B01,2026-03-04T12:00:00.300Z,3,<,421 4.3.2 Service shutting down,,198.51.100.5:25,192.0.2.10:30000,Outbound
08DE5A1B2C3D7B01,2026-03-04T12:00:00.400Z,4,-,,Remote,198.51.100.5:25,192.0.2.10:30000,Outbound
";
    // This column order defeats row-shape detection; the Log-type header still decides.
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("exchange-send"));
    assert_eq!(verdicts(&sessions), ["failure 421 4.3.2"]);
    assert_eq!(directions(&sessions[0]), "ISCSI");
    assert_eq!(sessions[0].peers(), "192.0.2.10:30000 → 198.51.100.5:25");
    assert_eq!(sessions[0].events[1].text, "220 mx.example.com ESMTP, hello");
    assert_eq!(report.unparsed_count, 0);
}

#[test]
fn reused_ids_junk_and_empty_rows() {
    // An anonymised log with all-zero ids: each restart at sequence 0 is a new session.
    let text = "\
#Log-type: SMTP Receive Protocol Log
2026-03-04T13:00:00.000Z,EX\\Default ,0000000000000000,0,192.0.2.10:25,198.51.100.7:4000,+,,
2026-03-04T13:00:00.001Z,EX\\Default ,0000000000000000,1,192.0.2.10:25,198.51.100.7:4000,>,220 mail.example.net ready,
2026-03-04T13:00:00.002Z,EX\\Default ,0000000000000000,2,192.0.2.10:25,198.51.100.7:4000,<,HELO a,
2026-03-04T13:00:00.003Z,EX\\Default ,0000000000000000,3,192.0.2.10:25,198.51.100.7:4000,>,250 mail.example.net Hello,
this line is not a protocol log row
2026-03-04T13:00:00.004Z,EX\\Default ,0000000000000000,4,192.0.2.10:25,198.51.100.7:4000,<,,
2026-03-04T13:00:05.000Z,EX\\Default ,0000000000000000,0,192.0.2.10:25,198.51.100.8:4001,+,,
2026-03-04T13:00:05.001Z,EX\\Default ,0000000000000000,1,192.0.2.10:25,198.51.100.8:4001,>,554 5.7.1 Access denied,
2026-03-04T13:00:05.002Z,EX\\Default ,0000000000000000,2,192.0.2.10:25,198.51.100.8:4001,-,,Local
";
    let (sessions, report) = load_text(text);
    assert_eq!(ids(&sessions), ["0000000000000000", "0000000000000000#2"]);
    assert_eq!(verdicts(&sessions), ["open - -", "failure 554 5.7.1"]);
    assert_eq!(sessions[1].client.as_deref(), Some("198.51.100.8:4001"));
    // The prose line and the `<` row without data, kept whole.
    assert_eq!(report.unparsed_count, 2);
    assert!(report.unparsed[1]
        .1
        .ends_with(",4,192.0.2.10:25,198.51.100.7:4000,<,,"));
}

#[test]
fn receive_and_send_logs_in_one_input_follow_each_header() {
    let both = format!("{}{}", sample_text(RECV), sample_text(SEND));
    let (sessions, _) = load_text(&both);
    assert_eq!(sessions.len(), 11);
    for s in &sessions {
        let ehlo = s
            .events
            .iter()
            .find(|e| e.text.starts_with("EHLO ") || e.text.starts_with("HELO "));
        if let Some(e) = ehlo {
            assert_eq!(e.dir, Direction::Client, "{}", s.id);
        }
    }
    let send = sessions
        .iter()
        .find(|s| s.id == "08DE5A1B2C3D5F05")
        .expect("send session");
    assert_eq!(verdict(send), "failure 550 5.7.1");
    assert_eq!(send.client.as_deref(), Some("192.0.2.10:28390"));
}

mod hostile {
    use proptest::prelude::*;
    use smtpscope::formats;
    use smtpscope::load::{load_reader, LoadOptions};
    use std::io::Cursor;

    /// Exchange grammar pieces mixed with junk, so random input reaches every rule.
    const FRAGMENTS: &[&str] = &[
        "2026-03-04T09:00:01.012Z,",
        "EX01\\Default Frontend EX01,",
        "08DE5A1B2C3D4E01,",
        "0000000000000000,",
        "0,",
        "17,",
        "192.0.2.10:25,",
        "[::1]:25,",
        "+,,",
        "-,,Local",
        ">,",
        "<,",
        "*,,",
        ",,attempting to connect",
        "\"",
        "\"\"",
        ",",
        "250-SIZE",
        "334 VXNlcm5hbWU6",
        "AUTH LOGIN",
        "DATA",
        "354 go",
        "TLS negotiation failed",
        "#Log-type: SMTP Send Protocol Log",
        "#Fields: event,date-time,session-id,sequence-number,data",
        "#Fields: nothing",
        "日本語",
    ];

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        crate::common::grammar_soup(FRAGMENTS)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Both Exchange parsers survive any mix of their grammar and junk.
        #[test]
        fn exchange_parsers_never_panic(data in soup()) {
            for name in ["exchange-receive", "exchange-send"] {
                let opts = LoadOptions { format: formats::by_name(name), year: None };
                let loaded = load_reader("fuzz".into(), Cursor::new(data.clone()), &opts, 2026);
                prop_assert!(loaded.is_ok());
            }
        }
    }
}
