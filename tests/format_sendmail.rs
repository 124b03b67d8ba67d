//! Golden tests for sendmail: syslog lines (connections by pid, deliveries by queue id) and
//! the `-X` traffic log (direction from each process's role).
mod common;
use common::*;
use smtpscope::model::{EventKind, InfoKind, Step};
use smtpscope::output::json::session_json;

#[test]
fn syslog_sessions_statuses_and_peers() {
    let (sessions, report) = load("sendmail.log");
    assert_eq!(report.format, Some("sendmail"));
    assert_eq!(
        ids(&sessions),
        [
            "4301",
            "4303",
            "613E9E2x004301",
            "4306",
            "4310",
            "4312",
            "613EA14a004310",
            "613EB0Qk004320",
            "613EB0Ql004321",
            "613EA15b004330"
        ]
    );
    assert_eq!(
        verdicts(&sessions),
        [
            "success - -",       // pid 4301: TLS, AUTH, message queued (from= nrcpts=1)
            "failure - -",       // pid 4303: AUTH failure, then no MAIL
            "success - -",       // delivery of 4301's message: stat=Sent
            "failure 550 5.7.1", // pid 4306: relaying denied, transaction dropped (nrcpts=0)
            "partial 550 5.7.1", // pid 4310: one recipient refused, message queued
            "failure - -",       // pid 4312: lost input channel
            "success - -",       // local delivery of 4310's message
            "failure 451 4.7.1", // deferred: greylisted
            "failure - -",       // bounced: dsn=5.1.1 User unknown
            "success - -",       // the bounce (DSN) delivered locally
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(outcomes[1], "auth-failed");
    assert_eq!(outcomes[5], "connection-failed");
    assert_eq!(outcomes[7], "deferred");
    assert_eq!(outcomes[8], "rejected");
    assert_eq!(
        sessions[0].client.as_deref(),
        Some("dsl-45.example.com [203.0.113.45]")
    );
    assert_eq!(
        sessions[1].client.as_deref(),
        Some("laptop-07.example.com [198.51.100.23]")
    );
    assert_eq!(
        sessions[2].server.as_deref(),
        Some("mx.partner.example.org. [192.0.2.61]")
    );
    // The daemon start-up line and a dovecot line in the same maillog.
    assert_eq!(report.unparsed_count, 2);
}

#[test]
fn syslog_event_shapes() {
    let (sessions, _) = load("sendmail.log");
    // STARTTLS=server, AUTH=server, from=.
    let kinds: Vec<_> = sessions[0].events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Info(InfoKind::TlsStarted),
            EventKind::Info(InfoKind::AuthSucceeded),
            EventKind::Info(InfoKind::Delivered)
        ]
    );
    // The delivery carries the STARTTLS=client line its process logged before it.
    assert_eq!(directions(&sessions[2]), "II");
    assert!(sessions[2].events[0].text.starts_with("STARTTLS=client"));
    // A ruleset rejection is a reply to the command the ruleset checks.
    let relay = sessions[3].decisive().unwrap();
    assert_eq!((relay.dir.as_str(), relay.step), ("server", Some(Step::Rcpt)));
    assert!(relay.text.ends_with("Relaying denied"));
    assert_eq!(directions(&sessions[3]), "SI");
    // The bounce's DSN note joins the message's deliveries, not a session of its own.
    assert_eq!(directions(&sessions[8]), "II");
    assert!(sessions[8].events[1].text.contains("DSN: User unknown"));
}

#[test]
fn traffic_log_roles_and_directions() {
    let (sessions, report) = load("sendmail-traffic.log");
    assert_eq!(report.format, Some("sendmail"));
    assert_eq!(ids(&sessions), ["05120", "05121", "05133"]);
    assert_eq!(
        verdicts(&sessions),
        ["success 250 2.0.0", "failure 550 5.7.1", "success 250 2.0.0"]
    );
    // Daemon process: `>>>` replies, `<<<` commands and the message it read.
    let inbound = &sessions[0];
    assert_eq!(directions(inbound), "SCSCSCSCSCSCSCSCSCS");
    assert_eq!(inbound.events[2].text.lines().count(), 7);
    assert_eq!(inbound.events[15].kind, EventKind::MessageData);
    // Delivery process: `=== CONNECT`, `<<<` replies, `>>>` pipelined commands and data.
    let outbound = &sessions[2];
    assert_eq!(directions(outbound), "ISCSCCCSSSCSCS");
    assert_eq!(outbound.server.as_deref(), Some("mx.partner.example.org."));
    let steps: Vec<_> = outbound.events[7..10].iter().map(|e| e.step).collect();
    assert_eq!(steps, [Some(Step::Mail), Some(Step::Rcpt), Some(Step::Data)]);
    assert!(sessions.iter().all(|s| s.closed));
    assert_eq!(report.unparsed_count, 0);
}

#[test]
fn traffic_log_credentials_never_reach_json() {
    let (sessions, _) = load("sendmail-traffic.log");
    for secret in ["bWFyaWE=", "Q29yYWwtUmVlZi00Mg=="] {
        let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
        assert!(revealed.contains(secret), "the sample must carry {secret}");
        for s in &sessions {
            assert!(!session_json(s, false).contains(secret), "{}", s.id);
        }
    }
}

#[test]
fn sendmail_binary_name_and_pid_reuse_after_lost_connection() {
    let text = "\
Mar  1 10:00:00 host sendmail[900]: 621A0000000900: lost input channel from pc [192.0.2.1] to MTA after rcpt
Mar  1 10:05:00 host sendmail[900]: 621A0500000900: from=<a@example.org>, size=100, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=pc2 [192.0.2.2]
";
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("sendmail"));
    assert_eq!(ids(&sessions), ["900", "900#2"]);
    assert_eq!(verdicts(&sessions), ["failure - -", "success - -"]);
    assert_eq!(sessions[1].client.as_deref(), Some("pc2 [192.0.2.2]"));
}

#[test]
fn a_tls_line_after_a_transaction_is_a_new_connection_by_a_reused_pid() {
    let text = "\
Mar  1 10:00:00 host sm-mta[700]: 621A0000000700: from=<a@example.org>, size=100, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=pc [192.0.2.1]
Mar  1 11:00:00 host sm-mta[700]: STARTTLS=server, relay=other [192.0.2.9], version=TLSv1.3, verify=NO, cipher=TLS_AES_128_GCM_SHA256, bits=128/128
Mar  1 11:00:01 host sm-mta[700]: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=x, relay=other [192.0.2.9]
";
    let (sessions, _) = load_text(text);
    assert_eq!(ids(&sessions), ["700", "700#2"]);
    assert_eq!(verdicts(&sessions), ["success - -", "failure - -"]);
    assert_eq!(sessions[1].client.as_deref(), Some("other [192.0.2.9]"));
}

#[test]
fn traffic_log_pid_reuse_and_starttls() {
    let text = "\
07001 >>> 220 mx1.example.net ESMTP Sendmail
07001 <<< STARTTLS
07001 >>> 220 2.0.0 Ready to start TLS
07001 <<< QUIT
07001 >>> 221 2.0.0 closing connection
07001 >>> 220 mx1.example.net ESMTP Sendmail
07001 <<< QUIT
07001 >>> 221 2.0.0 closing connection
";
    let (sessions, report) = load_text(text);
    assert_eq!(report.format, Some("sendmail"));
    assert_eq!(ids(&sessions), ["07001", "07001#2"]);
    assert_eq!(directions(&sessions[0]), "SCSCS");
    assert_eq!(directions(&sessions[1]), "SCS");
}

mod hostile {
    /// Grammar pieces mixed with junk, so random input reaches the parser's deeper rules.
    const FRAGMENTS: &[&str] = &[
        "Feb  3 09:14:02 mx1 sm-mta[4301]: ",
        "613E9E2x004301: ",
        "NOQUEUE: ",
        "from=<a@b>, nrcpts=0, relay=",
        "to=<a@b>, dsn=",
        ", stat=Deferred: ",
        "ruleset=check_rcpt, reject=",
        "lost input channel from ",
        " did not issue MAIL/EXPN/VRFY/ETRN",
        "STARTTLS=client, relay=",
        "AUTH failure ",
        "05120 >>> ",
        "05120 <<< ",
        "05133 === CONNECT ",
    ];

    crate::common::soup_never_panics!("sendmail", FRAGMENTS);
}
