//! Golden tests for the IIS SMTP service W3C extended log.
mod common;
use common::*;
use smtpscope::formats::{self, InputLine};
use smtpscope::load::{load_reader, LoadOptions};
use smtpscope::model::{Direction, EventKind, InfoKind, Session, Step};
use smtpscope::output::json::session_json;
use smtpscope::wrapper::Wrapper;
use std::io::Cursor;

const IIS: &str = "iis-smtp-w3c.log";

const HEADER: &str = "\
#Software: Microsoft Internet Information Services 6.0
#Version: 1.0
#Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status sc-win32-status sc-bytes cs-bytes time-taken cs-version cs-host cs(User-Agent) cs(Cookie) cs(Referer)
";

/// One inbound row of the standard field selection: `time client helo method query status`.
fn row(time: &str, ip: &str, method: &str, query: &str, status: u16) -> String {
    format!("2026-03-05 {time} {ip} client.example.org SMTPSVC1 RELAY01 192.0.2.25 0 {method} - {query} {status} 0 40 20 0 SMTP - - - -\n")
}

#[test]
fn sessions_statuses_and_peers() {
    let (sessions, report) = load(IIS);
    assert_eq!(report.format, Some("iis-smtp"));
    assert_eq!(ids(&sessions), ["#1", "#2", "#3", "#4"]);
    assert_eq!(
        verdicts(&sessions),
        [
            "success 250 -",     // inbound relay, message accepted (status on the DATA row)
            "failure 550 -",     // inbound, the only recipient refused
            "success 250 2.0.0", // outbound delivery, full replies logged
            "partial 550 -",     // the same client again after QUIT: one recipient refused
        ]
    );
    let peers: Vec<_> = sessions.iter().map(Session::peers).collect();
    assert_eq!(
        peers,
        [
            "198.51.100.33 → RELAY01",
            "203.0.113.99 → RELAY01",
            "RELAY01 → 203.0.113.50:25",
            "198.51.100.33 → RELAY01"
        ]
    );
    assert!(sessions.iter().all(|s| s.closed));
    assert_eq!(
        sessions[0].start.map(|t| t.to_string()).as_deref(),
        Some("2026-03-04T10:00:01Z")
    );
    // The cut-off last row.
    assert_eq!(report.unparsed_count, 1);
    assert!(report.unparsed[0].1.starts_with("2026-03-04 10:12:09"));
}

#[test]
fn inbound_rows_become_commands_with_replies_from_the_status() {
    let (sessions, _) = load(IIS);
    let s = &sessions[0];
    // EHLO, MAIL, RCPT, DATA with their status replies, QUIT and the close note.
    assert_eq!(directions(s), "CSCSCSCSCI");
    let texts: Vec<_> = s
        .events
        .iter()
        .filter(|e| e.dir == Direction::Client)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "EHLO app01.example.org",
            "MAIL FROM:<alerts@example.org>",
            "RCPT TO:<ops@example.net>",
            "DATA",
            "QUIT"
        ]
    );
    let steps: Vec<_> = s
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Reply)
        .map(|e| (e.step, e.code.map(|c| c.basic)))
        .collect();
    assert_eq!(
        steps,
        [
            (Some(Step::Ehlo), Some(250)),
            (Some(Step::Mail), Some(250)),
            (Some(Step::Rcpt), Some(250)),
            // The DATA row is written after the message: its status judges the message.
            (Some(Step::DataEnd), Some(250)),
        ]
    );
    assert!(s.events[7]
        .text
        .contains("<20260304100001.7731@app01.example.org>"));
    // QUIT's 240 is IIS's own number, not an SMTP reply.
    assert!(s.events.iter().all(|e| e.code.map(|c| c.basic) != Some(240)));
    assert_eq!(s.events[9].kind, EventKind::Info(InfoKind::Closed));
    // The unknown command and its 500 decide nothing.
    let junk = &sessions[1];
    assert!(junk.events.iter().any(|e| e.text == "xxxx"));
    assert_eq!(junk.decisive().and_then(|e| e.step), Some(Step::Rcpt));
}

#[test]
fn outbound_rows_keep_both_sides() {
    let (sessions, _) = load(IIS);
    let s = &sessions[2];
    // Greeting, EHLO, three-line reply, MAIL, 250, RCPT, 250, DATA, 354, 250, QUIT, 221.
    assert_eq!(directions(s), "SCSCSCSCSSCS");
    assert_eq!(s.events[0].step, Some(Step::Greeting));
    assert_eq!(s.events[1].text, "EHLO relay01.example.org");
    assert_eq!(
        s.events[2].text,
        "250-mx.example.net\n250-SIZE 10240000\n250 8BITMIME"
    );
    assert_eq!(s.events[3].text, "MAIL FROM:<alerts@example.org> SIZE=2210");
    let accepted = s.decisive().expect("decisive reply");
    assert_eq!(accepted.text, "250 2.0.0 Ok: queued as 4F2A91C07");
    assert_eq!(accepted.step, Some(Step::DataEnd));
}

#[test]
fn sessions_split_on_quit_idle_gap_and_new_greeting() {
    let mut text = HEADER.to_owned();
    // One connection: EHLO, STARTTLS, EHLO again (the TLS restart), MAIL.
    text += &row("08:00:00", "198.51.100.1", "EHLO", "+a.example.org", 250);
    text += &row("08:00:01", "198.51.100.1", "STARTTLS", "-", 220);
    text += &row("08:00:01", "198.51.100.1", "EHLO", "+a.example.org", 250);
    text += &row("08:00:02", "198.51.100.1", "MAIL", "+FROM:<a@example.org>", 250);
    // No QUIT, but a new EHLO: a new connection.
    text += &row("08:01:00", "198.51.100.1", "EHLO", "+a.example.org", 250);
    text += &row("08:01:01", "198.51.100.1", "MAIL", "+FROM:<a@example.org>", 451);
    // Quiet for more than ten minutes: a new connection even without a greeting.
    text += &row("08:20:00", "198.51.100.1", "RCPT", "+TO:<b@example.net>", 550);
    // Another client meanwhile is its own session.
    text += &row("08:20:01", "198.51.100.2", "HELO", "+b.example.org", 250);
    let (sessions, report) = load_text(&text);
    assert_eq!(report.format, Some("iis-smtp"));
    assert_eq!(ids(&sessions), ["#1", "#2", "#3", "#4"]);
    assert_eq!(directions(&sessions[0]), "CSCSCSCS");
    // A session replaced by a new connection has ended; the last one may still be going.
    assert_eq!(
        verdicts(&sessions),
        ["success - -", "failure 451 -", "open - -", "open - -"]
    );
    assert!(sessions[..2].iter().all(|s| s.closed));
    assert!(!sessions[2].closed);
    assert_eq!((sessions[0].first_line, sessions[0].last_line), (4, 7));
    assert_eq!(sessions[1].events[3].code.map(|c| c.basic), Some(451));
    assert_eq!(sessions[3].client.as_deref(), Some("198.51.100.2"));
}

/// One outbound row: `kind` is `Command` or `Response`.
fn out_row(time: &str, kind: &str, method: &str, query: &str) -> String {
    format!("2026-03-05 {time} 198.51.100.9 OutboundConnection{kind} SMTPSVC1 RELAY01 - 25 {method} - {query} 0 0 4 0 0 SMTP - - - -\n")
}

#[test]
fn outbound_starttls_stays_in_its_session_and_a_new_greeting_starts_one() {
    let mut text = HEADER.to_owned();
    text += &out_row("11:00:00", "Response", "-", "220+mx.example.com+ESMTP");
    text += &out_row("11:00:00", "Command", "EHLO", "relay01.example.org");
    text += &out_row("11:00:00", "Response", "-", "250+STARTTLS");
    text += &out_row("11:00:00", "Command", "STARTTLS", "-");
    text += &out_row("11:00:01", "Response", "-", "220+2.0.0+Ready+to+start+TLS");
    text += &out_row("11:00:01", "Command", "EHLO", "relay01.example.org");
    text += &out_row("11:00:01", "Response", "-", "250+mx.example.com");
    text += &out_row("11:00:01", "Command", "MAIL", "FROM:<a@example.org>");
    text += &out_row("11:00:01", "Response", "-", "421+4.7.0+Try+again+later");
    // No QUIT logged; the next greeting is a new connection.
    text += &out_row("11:05:00", "Response", "-", "220+mx.example.com+ESMTP");
    let (sessions, report) = load_text(&text);
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(ids(&sessions), ["#1", "#2"]);
    assert_eq!(directions(&sessions[0]), "SCSCSCSCS");
    assert_eq!(sessions[0].events[4].step, Some(Step::StartTls));
    assert_eq!(verdicts(&sessions), ["failure 421 4.7.0", "open - -"]);
    assert_eq!(sessions[1].events[0].step, Some(Step::Greeting));
}

#[test]
fn fields_header_decides_the_column_order() {
    let text = "\
#Software: Microsoft Internet Information Services 7.5
#Fields: time c-ip cs-method cs-uri-query sc-status s-sitename
10:00:00 192.0.2.50 HELO +host.example.org 250 SMTPSVC2
10:00:01 192.0.2.50 MAIL +FROM:<x@example.org> 250 SMTPSVC2
10:00:01 192.0.2.50 RCPT +TO:<y@example.net> 550 SMTPSVC2
10:00:02 192.0.2.50 QUIT - 240 SMTPSVC2
";
    let opts = LoadOptions {
        format: formats::by_name("iis-smtp"),
        year: None,
    };
    let (sessions, report) = load_reader("inline".into(), Cursor::new(text), &opts, 2026).expect("loads");
    assert_eq!(report.unparsed_count, 0);
    assert_eq!(verdicts(&sessions), ["failure 550 -"]);
    assert_eq!(sessions[0].events[2].text, "MAIL FROM:<x@example.org>");
    // No date column: time of day only.
    assert_eq!(
        sessions[0].start.map(|t| t.to_string()).as_deref(),
        Some("10:00:00")
    );
}

#[test]
fn detection_rows_not_the_web_server_header() {
    fn line(text: &str) -> InputLine<'_> {
        InputLine {
            number: 1,
            text,
            wrapper: Wrapper::default(),
        }
    }
    let iis = formats::by_name("iis-smtp").expect("registered");
    let text = sample_text(IIS);
    let rows = text.lines().filter(|l| !l.starts_with('#')).count();
    let hits = text.lines().filter(|l| iis.detect(&line(l))).count();
    assert_eq!(hits, rows - 1, "every full row counts");
    // IIS web logs share the header but not the rows.
    let web = "\
#Software: Microsoft Internet Information Services 10.0
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status
2026-03-04 10:00:01 192.0.2.80 GET /index.html - 443 - 198.51.100.4 Mozilla/5.0 200
";
    assert!(web.lines().all(|l| !iis.detect(&line(l))));
    let loaded = load_reader("web".into(), Cursor::new(web), &LoadOptions::default(), 2026);
    assert!(loaded.map_or(true, |(_, r)| r.format != Some("iis-smtp")));
    // Exchange rows are not IIS rows, and no other format claims the IIS sample.
    for l in sample_text("exchange-smtpreceive.log").lines() {
        assert!(!iis.detect(&line(l)), "{l}");
    }
    for f in formats::all() {
        if f.name() != "iis-smtp" {
            assert!(text.lines().all(|l| !f.detect(&line(l))), "{}", f.name());
        }
    }
}

#[test]
fn detected_behind_docker_and_syslog_prefixes() {
    let (plain, _) = load(IIS);
    for prefix in [
        "2026-03-04T10:14:02.602438620Z ",
        "Mar  4 10:14:02 relay01 smtpsvc[880]: ",
    ] {
        let wrapped: String = sample_text(IIS)
            .lines()
            .map(|l| format!("{prefix}{l}\n"))
            .collect();
        let (sessions, report) = load_text(&wrapped);
        assert_eq!(report.format, Some("iis-smtp"), "behind {prefix:?}");
        assert_eq!(verdicts(&sessions), verdicts(&plain), "behind {prefix:?}");
    }
}

#[test]
fn auth_argument_is_masked_and_bdat_last_decides() {
    let secret = "AGFubkBleGFtcGxlLm5ldABXaW50ZXItR2FyZGVuLTQy";
    let mut text = HEADER.to_owned();
    text += &row("09:00:00", "203.0.113.4", "EHLO", "+pc.example.org", 250);
    text += &row(
        "09:00:01",
        "203.0.113.4",
        "AUTH",
        &format!("+PLAIN+{secret}"),
        235,
    );
    text += &row("09:00:02", "203.0.113.4", "QUIT", "pc.example.org", 240);
    text += &row("09:00:03", "203.0.113.4", "EHLO", "+pc.example.org", 250);
    text += &row("09:00:03", "203.0.113.4", "MAIL", "+FROM:<ann@example.net>", 250);
    text += &row("09:00:03", "203.0.113.4", "RCPT", "+TO:<bob@example.com>", 250);
    text += &row("09:00:04", "203.0.113.4", "BDAT", "+2210+LAST", 250);
    let (sessions, _) = load_text(&text);
    assert_eq!(verdicts(&sessions), ["success 235 -", "success 250 -"]);
    // The last chunk's reply judges the message.
    assert_eq!(sessions[1].decisive().and_then(|e| e.step), Some(Step::BdatLast));
    assert!(session_json(&sessions[0], true).contains(secret));
    assert!(!session_json(&sessions[0], false).contains(secret));
}

mod hostile {
    use proptest::prelude::*;
    use smtpscope::formats;
    use smtpscope::load::{load_reader, LoadOptions};
    use std::io::Cursor;

    const FRAGMENTS: &[&str] = &[
        "2026-03-04 10:00:01 ",
        "198.51.100.33 ",
        "OutboundConnectionCommand ",
        "OutboundConnectionResponse ",
        "SMTPSVC1 RELAY01 192.0.2.25 0 ",
        "- 25 ",
        "EHLO - +a ",
        "QUIT - a 240 ",
        "DATA - <id> 250 ",
        "220+hi ",
        "250 ",
        "550 ",
        "-",
        "+",
        "#Fields: time c-ip cs-method ",
        "#Fields: date ",
        "日本語",
    ];

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        crate::common::grammar_soup(FRAGMENTS)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// The IIS parser survives any mix of its grammar and junk.
        #[test]
        fn iis_parser_never_panics(data in soup()) {
            let opts = LoadOptions { format: formats::by_name("iis-smtp"), year: None };
            let loaded = load_reader("fuzz".into(), Cursor::new(data), &opts, 2026);
            prop_assert!(loaded.is_ok());
        }
    }
}
