//! Golden tests for the Exim mainlog / rejectlog and `exim -d` debug transcripts.
mod common;
use common::*;
use smtpscope::load::{load_reader, LoadOptions};
use smtpscope::model::{Direction, EventKind, InfoKind, Session};
use smtpscope::output::json::session_json;
use std::io::Cursor;

fn by_id<'a>(sessions: &'a [Session], id: &str) -> &'a Session {
    sessions
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no session {id}"))
}

#[test]
fn mainlog_sessions_and_verdicts() {
    let (sessions, report) = load("exim-mainlog.log");
    assert_eq!(report.format, Some("exim"));
    assert_eq!(
        ids(&sessions),
        [
            "[203.0.113.45]:52814",
            "[198.51.100.23]:40112",
            "1tQx7b-0000Ac-5T>1",
            "1tQx7a-0000Ab-3K>1",
            "[198.51.100.140]:51000",
            "[192.0.2.200]:61022",
            "[203.0.113.88]:49870",
            "1tQx8c-0000Ad-7R>1",
            "1tQx8c-0000Ad-7R>2",
            "1tQx8d-0000Ae-9V",
            "1tQx8d-0000Ae-9V>1",
            "[198.51.100.7]:33310",
            "[203.0.113.200]:41555",
            "[192.0.2.99]:40400",
            "[198.51.100.66]:50123",
            "[203.0.113.9]:60001",
        ]
    );
    assert_eq!(
        verdicts(&sessions),
        [
            "success - -",       // TLS + AUTH submission, message received
            "partial 550 -",     // one RCPT rejected (unrouteable), message received
            "success - -",       // local delivery of that message
            "success 250 2.0.0", // remote delivery, C="250 2.0.0 …"
            "failure 550 -",     // relay not permitted
            "failure 535 -",     // authenticator failed
            "success - -",       // submission whose deliveries later failed
            "failure 451 4.7.1", // == deferred (greylisted)
            "failure 550 5.1.1", // ** bounced by the remote
            "success - -",       // the bounce message, generated locally
            "success - -",       // its local delivery
            "failure - -",       // lost while reading message data
            "failure - -",       // synchronization error
            "failure - -",       // TLS handshake error
            "failure - -",       // dropped after protocol errors
            "open - -",          // still connected at the end of the file
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(outcomes[5], "auth-failed");
    assert_eq!(outcomes[7], "deferred");
    assert_eq!(outcomes[8], "rejected");
    assert_eq!(outcomes[11], "connection-failed");
    assert_eq!(outcomes[13], "tls-failed");
    assert!(sessions[..15].iter().all(|s| s.closed));
    assert!(!sessions[15].closed);
    // Only the daemon's start-up line belongs to no session.
    assert_eq!(report.unparsed_count, 1);
    assert!(report.unparsed[0].1.contains("daemon started"));
}

#[test]
fn mainlog_peers_and_pid_learning() {
    let (sessions, _) = load("exim-mainlog.log");
    let peers: Vec<_> = sessions.iter().map(Session::peers).collect();
    assert_eq!(peers[0], "[203.0.113.45]:52814 → [192.0.2.10]:587");
    assert_eq!(
        peers[1],
        "mail.example.org [198.51.100.23]:40112 → [192.0.2.10]:25"
    );
    assert_eq!(peers[2], "→ transport local_delivery");
    assert_eq!(peers[3], "→ mx1.example.net [198.51.100.80]:25");
    assert_eq!(peers[9], "local user Debian-exim");
    // `no host name found for IP address …` names no port: found by the IP.
    let a = &sessions[0];
    assert!(a.events[1].text.starts_with("no host name found"));
}

#[test]
fn late_delivery_lines_attach_to_the_receiving_session() {
    let (sessions, _) = load("exim-mainlog.log");
    let a = by_id(&sessions, "[203.0.113.45]:52814");
    // connected, host-name note, <= received, => / -> / Completed late, closed.
    assert_eq!(directions(a), "IIIIIII");
    let texts: Vec<&str> = a.events.iter().map(|e| e.text.as_str()).collect();
    assert!(texts[2].starts_with("1tQx7a-0000Ab-3K <= alice@example.com"));
    assert!(texts[3].starts_with("1tQx7a-0000Ab-3K => bob@example.net"));
    assert!(texts[4].starts_with("1tQx7a-0000Ab-3K -> carol@example.net"));
    assert!(texts[5].ends_with("Completed"));
    assert_eq!(a.events[2].kind, EventKind::Info(InfoKind::Delivered));
    // Late lines inform without deciding: the reply they quote is found, the kind is a note.
    assert_eq!(a.events[3].kind, EventKind::Info(InfoKind::Note));
    assert_eq!(
        a.events[3].code.map(|c| c.to_string()).as_deref(),
        Some("250 2.0.0")
    );

    // The deliveries of the message sent by 203.0.113.88 came after its connection closed.
    let f = by_id(&sessions, "[203.0.113.88]:49870");
    assert_eq!(f.status().as_str(), "success");
    let late: Vec<&str> = f.events.iter().map(|e| e.text.as_str()).skip(2).collect();
    assert!(late[1].contains(" == erin@example.org"), "{late:?}");
    assert!(late[2].contains(" ** frank@example.net"), "{late:?}");
    assert_eq!(
        f.events[4].code.map(|c| c.to_string()).as_deref(),
        Some("550 5.1.1")
    );

    // The bounce is its own delivery session, decided by the remote server's reply to RCPT.
    let bounce = by_id(&sessions, "1tQx8c-0000Ad-7R>2");
    assert_eq!(directions(bounce), "IS");
    assert_eq!(bounce.events[1].dir, Direction::Server);
    assert!(bounce.events[1].text.starts_with("550 5.1.1 <frank@example.net>"));
    // The additional address joins the delivery before it.
    let delivered = by_id(&sessions, "1tQx7a-0000Ab-3K>1");
    assert_eq!(directions(delivered), "ISI");
    assert_eq!(delivered.events[1].text, "250 2.0.0 Ok: queued as 4Xk2M1");
}

#[test]
fn mainlog_refusals_are_replies_to_their_commands() {
    let (sessions, _) = load("exim-mainlog.log");
    let b = by_id(&sessions, "[198.51.100.23]:40112");
    // connected, rejected RCPT (as the server's refusal), <= received, late =>, Completed, closed
    assert_eq!(directions(b), "ISIIII");
    assert_eq!(b.events[1].step, Some(smtpscope::model::Step::Rcpt));
    let auth = by_id(&sessions, "[192.0.2.200]:61022");
    assert_eq!(directions(auth), "ISI");
    assert!(auth.events[1]
        .text
        .starts_with("535 Incorrect authentication data"));
    let ehlo = by_id(&sessions, "[198.51.100.66]:50123");
    assert_eq!(ehlo.events[1].code.map(|c| c.basic), Some(501));
}

#[test]
fn rejectlog_entries_and_header_dumps() {
    let (sessions, report) = load("exim-rejectlog.log");
    assert_eq!(report.format, Some("exim"));
    assert_eq!(
        verdicts(&sessions),
        ["failure 550 -", "failure 550 -", "failure 550 -", "failure 451 -"]
    );
    assert_eq!(sessions[3].verdict.outcome.as_str(), "deferred");
    assert_eq!(
        sessions[2].client.as_deref(),
        Some("bulk.example.org [203.0.113.77]:39001")
    );
    // Refusal after the data, then its envelope and header dump (11 lines) as notes.
    let dump = &sessions[2];
    assert_eq!(directions(dump), format!("S{}", "I".repeat(11)));
    assert_eq!(dump.events[1].text, "Envelope-from: <promo@example.org>");
    assert_eq!(report.unparsed_count, 0);
}

#[test]
fn mainlog_prefix_variants_and_no_connection_lines() {
    // log_timezone and microseconds, no pid; the default selector writes no connection lines.
    let (sessions, report) = load_text(concat!(
        "2026-03-04 09:00:00.250000 +0100 1tQx9a-0000Af-1A <= a@example.org H=mx.example.org [198.51.100.9] P=esmtp S=900\n",
        "2026-03-04 09:00:01.000001 +0100 1tQx9a-0000Af-1A => b@example.com R=local_user T=local_delivery\n",
        "2026-03-04 09:00:02.000000 +0100 1tQx9a-0000Af-1A Completed\n",
        "2026-03-04 09:00:03.000000 +0100 H=(x.example) [203.0.113.4] F=<c@x.example> rejected RCPT <d@example.com>: relay not permitted\n",
    ));
    assert_eq!(report.format, Some("exim"));
    assert_eq!(
        ids(&sessions),
        ["1tQx9a-0000Af-1A", "1tQx9a-0000Af-1A>1", "[203.0.113.4]"]
    );
    assert_eq!(
        verdicts(&sessions),
        ["success - -", "success - -", "failure 550 -"]
    );
    assert_eq!(
        sessions[0].start.map(|t| t.to_string()).as_deref(),
        Some("2026-03-04T09:00:00.250+01:00")
    );
    // Completed went to the receiving session as a late note.
    assert_eq!(sessions[0].events.len(), 3);
    assert_eq!(report.unparsed_count, 0);
}

#[test]
fn debug_sessions_directions_and_grouping() {
    let (sessions, report) = load("exim-debug.log");
    assert_eq!(report.format, Some("exim-debug"));
    assert_eq!(ids(&sessions), ["23810/server", "23815/transport"]);
    assert_eq!(verdicts(&sessions), ["success 250 -", "success 250 2.0.0"]);
    let server = &sessions[0];
    assert_eq!(server.client.as_deref(), Some("[203.0.113.45]:52814"));
    // connect note, greeting, EHLO, 6-line reply, STARTTLS, 220, EHLO, 6-line reply, AUTH,
    // the nine debug lines echoing the credentials (one masked note), 235, MAIL, 250, RCPT,
    // 250, DATA, 354, 250, QUIT, 221, close.
    assert_eq!(directions(server), "ISCSCSCSCISCSCSCSSCSI");
    assert_eq!((server.events[9].line, server.events[9].last_line), (30, 38));
    assert_eq!(
        server.events[9].display_text(false),
        smtpscope::model::SECRET_MASK
    );
    assert_eq!(server.events[3].text.lines().count(), 6);
    assert_eq!(server.events[3].text.lines().last(), Some("250 HELP"));
    assert_eq!((server.events[3].line, server.events[3].last_line), (12, 17));
    assert!(server.closed);

    let client = &sessions[1];
    assert_eq!(
        client.server.as_deref(),
        Some("mx1.example.net [198.51.100.80]:25")
    );
    // connecting, 220, EHLO, 6-line reply, STARTTLS, 220, EHLO, 4-line reply, MAIL, RCPT,
    // DATA (pipelined), three replies, the final dot, 250, QUIT, 221, closed.
    assert_eq!(directions(client), "ISCSCSCSCCCSSSCSCSI");
    assert_eq!(client.events[3].text.lines().count(), 6);
    let pipelined: Vec<_> = client.events[11..14]
        .iter()
        .map(|e| e.step.map(|s| s.name()))
        .collect();
    assert_eq!(pipelined, [Some("MAIL FROM"), Some("RCPT TO"), Some("DATA")]);
    // Debug noise outside AUTH is unparsed, not shown in a session.
    assert_eq!(report.unparsed_count, 19);
}

#[test]
fn debug_credentials_never_reach_json() {
    let (sessions, report) = load("exim-debug.log");
    let base64 = "AGFsaWNlQGV4YW1wbGUuY29tAE1hcGxlLVN5cnVwLTkx";
    let decoded = "Maple-Syrup-91";
    let text = sample_text("exim-debug.log");
    assert!(text.contains(base64) && text.contains(decoded));
    let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
    assert!(revealed.contains(base64) && revealed.contains(decoded));
    for s in &sessions {
        let json = session_json(s, false);
        assert!(!json.contains(base64), "{}", s.id);
        assert!(!json.contains(decoded), "{}", s.id);
    }
    assert!(report.unparsed.iter().all(|(_, t)| !t.contains(decoded)));
}

#[test]
fn debug_without_pid_and_with_a_login_echo() {
    let (sessions, report) = load_text(concat!(
        "12:00:01 SMTP>> 220 mail.example.com ESMTP\n",
        "12:00:01 SMTP<< EHLO pc.example.org\n",
        "12:00:01 SMTP>> 250-mail.example.com Hello\n",
        "                250 AUTH LOGIN\n",
        "12:00:02 SMTP<< AUTH LOGIN\n",
        "12:00:02 SMTP>> 334 VXNlcm5hbWU6\n",
        "12:00:02 SMTP<< Ym9iQGV4YW1wbGUub3Jn\n",
        "12:00:02 auth input decode: 'bob@example.org'\n",
        "12:00:02 SMTP>> 334 UGFzc3dvcmQ6\n",
        "12:00:03 SMTP<< c2VjcmV0LXBhc3M=\n",
        "12:00:03 SMTP>> 535 Incorrect authentication data\n",
        "12:00:04 SMTP<< QUIT\n",
        "12:00:04 SMTP>> 221 bye\n",
        "12:00:05 SMTP>> 220 mail.example.com ESMTP\n",
    ));
    assert_eq!(report.format, Some("exim-debug"));
    assert_eq!(ids(&sessions), ["server", "server#2"]);
    assert_eq!(verdicts(&sessions), ["failure 535 -", "open - -"]);
    assert_eq!(directions(&sessions[0]), "SCSCSCISCSCS");
    assert_eq!(sessions[0].events[2].text.lines().count(), 2);
    let json = session_json(&sessions[0], false);
    for secret in ["Ym9iQGV4YW1wbGUub3Jn", "bob@example.org", "c2VjcmV0LXBhc3M="] {
        assert!(!json.contains(secret), "{secret}");
    }
}

#[test]
fn each_sample_detected_as_its_own_format_also_under_docker() {
    for (name, format) in [
        ("exim-mainlog.log", "exim"),
        ("exim-rejectlog.log", "exim"),
        ("exim-debug.log", "exim-debug"),
    ] {
        let text = sample_text(name);
        let (plain, report) = load_text(&text);
        assert_eq!(report.format, Some(format), "{name}");
        let docker: String = text
            .lines()
            .map(|l| format!("2026-03-04T08:12:01.123456789Z {l}\n"))
            .collect();
        let (wrapped, report) = load_text(&docker);
        assert_eq!(report.format, Some(format), "{name} under docker -t");
        assert_eq!(verdicts(&plain), verdicts(&wrapped), "{name}");
    }
}

#[test]
fn syslog_mainlog_without_dates_uses_the_wrapper_time_and_pid() {
    // syslog_timestamp = false: Exim's own date is left out, syslog's pid tells processes apart.
    let (sessions, report) = load_text(concat!(
        "Mar  4 09:30:00 mail exim[100]: SMTP connection from [198.51.100.9]:40001 (TCP/IP connection count = 1)\n",
        "Mar  4 09:30:00 mail exim[100]: SMTP connection from [198.51.100.9]:40002 (TCP/IP connection count = 2)\n",
        "Mar  4 09:30:01 mail exim[202]: H=(b.example) [198.51.100.9]:40002 Warning: slow\n",
        "Mar  4 09:30:01 mail exim[201]: H=(a.example) [198.51.100.9]:40001 Warning: slow\n",
        "Mar  4 09:30:02 mail exim[201]: 1tQxCC-0000Aj-4D <= a@example.org H=(a.example) [198.51.100.9] P=esmtp S=10\n",
        "Mar  4 09:30:03 mail exim[203]: 1tQxCC-0000Aj-4D >> b@example.com R=cut T=remote_smtp H=mx.example.com [192.0.2.44]:25 C=\"250 2.0.0 queued\"\n",
    ));
    assert_eq!(report.format, Some("exim"));
    assert_eq!(
        ids(&sessions),
        [
            "[198.51.100.9]:40001",
            "[198.51.100.9]:40002",
            "1tQxCC-0000Aj-4D>1"
        ]
    );
    assert_eq!(
        verdicts(&sessions),
        ["success - -", "open - -", "success 250 2.0.0"]
    );
    assert_eq!(
        sessions[0].start.map(|t| t.to_string()).as_deref(),
        Some("2026-03-04T09:30:00")
    );
}

#[test]
fn indented_debug_text_after_a_reply_is_not_part_of_it() {
    let (sessions, report) = load_text(concat!(
        "SMTP>> 220 mail.example.com ESMTP\n",
        "SMTP<< EHLO pc.example.org\n",
        "SMTP>> 250-mail.example.com Hello\n",
        "       250 HELP\n",
        "          result: true\n",
        "SMTP<< QUIT\n",
        "SMTP>> 221 bye\n",
    ));
    assert_eq!(directions(&sessions[0]), "SCSCS");
    assert_eq!(sessions[0].events[2].text, "250-mail.example.com Hello\n250 HELP");
    assert_eq!(report.unparsed_count, 1);
}

use proptest::prelude::*;

/// Pieces of both Exim grammars, so random input reaches the parsers' inner rules.
const FRAGMENTS: &[&str] = &[
    "2026-03-04 09:12:01 ",
    "2026-03-04 09:12:01.123456 +0100 ",
    "[2301] ",
    "1tQx7a-0000Ab-3K ",
    "<= ",
    "=> ",
    "-> ",
    "** ",
    "== ",
    "H=",
    "(helo) ",
    "[192.0.2.1]",
    ":25",
    " I=[",
    "SMTP connection from ",
    "(TCP/IP connection count = 1)",
    " closed by QUIT",
    " lost",
    " rejected RCPT <a@b>: ",
    " authenticator failed for ",
    ": 535 Incorrect",
    "SMTP error from remote mail server after RCPT TO:<a@b>: 550 5.1.1 x",
    "C=\"250 ok\"",
    "no host name found for IP address ",
    "SMTP<< ",
    "SMTP>> ",
    "  SMTP<< ",
    "  SMTP|> ",
    "       ",
    "12345 ",
    "AUTH PLAIN AGE=",
    "334 ",
    "$auth2 = x",
    "Connecting to h [192.0.2.9]:25",
    "Process 1 is handling incoming connection from [192.0.2.1]:1",
    "SMTP(closed)<<",
    "日本",
    "\t",
];

fn exim_soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..8),
            Just(b"\n".to_vec()),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Both Exim parsers survive any mix of their grammar: no panic, only the four statuses.
    #[test]
    fn exim_parsers_survive_their_own_grammar(data in exim_soup()) {
        for name in ["exim", "exim-debug"] {
            let opts = LoadOptions { format: smtpscope::formats::by_name(name), year: None };
            if let Ok((sessions, _)) = load_reader("fuzz".into(), Cursor::new(data.clone()), &opts, 2026) {
                for s in &sessions {
                    prop_assert!(["success", "failure", "partial", "open"].contains(&s.status().as_str()));
                    let _ = session_json(s, false);
                }
            }
        }
    }
}
