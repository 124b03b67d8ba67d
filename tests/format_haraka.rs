//! Golden tests for the Haraka log: uuid-keyed sessions with `uuid.N` transactions, S:/C:
//! protocol lines, connect/disconnect notices, multilog stamps and outbound results.
mod common;
use common::*;
use smtpscope::model::EventKind;
use smtpscope::output::json::session_json;

#[test]
fn sessions_statuses_and_peers() {
    let (sessions, report) = load("haraka.log");
    assert_eq!(report.format, Some("haraka"));
    let ids: Vec<_> = sessions.iter().map(|s| &s.id[..8]).collect();
    assert_eq!(
        ids,
        ["3F2A9C41", "8D41B0E2", "C7E3F1A9", "0A9B8C7D", "E1D2C3B4", "4B6C8DA0", "9F8E7D6C"]
    );
    let verdicts: Vec<_> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        [
            "success 250 -",     // AUTH PLAIN, message queued
            "failure 535 5.7.8", // AUTH LOGIN refused
            "failure 550 -",     // relay denied
            "partial 550 5.1.1", // one recipient unknown, the other accepted
            "failure - -",       // client dropped the connection after MAIL FROM
            "failure 451 4.7.1", // outbound: greylisted, temp_fail
            "success 250 2.0.0", // outbound: delivered
        ]
    );
    let outcomes: Vec<_> = sessions.iter().map(|s| s.verdict.outcome.as_str()).collect();
    assert_eq!(outcomes[1], "auth-failed");
    assert_eq!(outcomes[4], "connection-failed");
    assert_eq!(outcomes[5], "deferred");
    assert_eq!(sessions[0].peers(), "203.0.113.45:52114 → 192.0.2.10:587");
    // The outbound delivery names its server only in the `delivered` notice.
    assert_eq!(sessions[6].peers(), "→ 192.0.2.61:25");
    assert!(sessions[..5].iter().all(|s| s.closed));
    // The start-up line belongs to no connection.
    assert_eq!(report.unparsed_count, 1);
    assert!(report.unparsed[0].1.contains("Listening on"));
}

#[test]
fn transactions_join_their_connection_and_directions() {
    let (sessions, _) = load("haraka.log");
    let a = &sessions[0];
    // connect, greeting, EHLO, six-line reply, AUTH, plugin note, 235, MAIL, 250, RCPT, 250,
    // DATA, 354, queued, queue note, QUIT, 221, disconnect.
    assert_eq!(directions(a), "ISCSCISCSCSCSSICSI");
    assert_eq!(a.events[3].text.lines().count(), 6);
    // `state=1` is Haraka's, not the client's.
    assert_eq!(a.events[2].text, "EHLO [10.1.4.22]");
    assert_eq!(a.events[7].text, "MAIL FROM:<maria@example.net> SIZE=18244");
    assert_eq!(a.events[13].step.map(|s| s.name()), Some("end of data"));
    assert_eq!(directions(&sessions[4]), "ISCSCSII");
    // The outbound delivered notice repeats the accepted 250: it counts no second message.
    let out = &sessions[6];
    assert_eq!(directions(out), "SCSCSCSCSSCSI");
    assert_eq!(
        out.events.last().unwrap().kind,
        EventKind::Info(smtpscope::model::InfoKind::Note)
    );
}

#[test]
fn credentials_never_reach_json() {
    let (sessions, _) = load("haraka.log");
    let text = std::fs::read_to_string(sample("haraka.log")).unwrap();
    for secret in [
        "AG1hcmlhQGV4YW1wbGUubmV0AFRpZGUtUG9vbC04OA==",
        "Ym9iQGV4YW1wbGUubmV0",
        "d3Jvbmctb25lLTE=",
    ] {
        assert!(text.contains(secret));
        let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
        assert!(revealed.contains(secret), "the sample must carry {secret}");
        for s in &sessions {
            assert!(!session_json(s, false).contains(secret), "{}", s.id);
        }
    }
}

#[test]
fn plain_lines_without_stamps_and_delivered_alone() {
    let u = "AB12CD34-0000-4000-8000-00000000AB12";
    let text = format!(
        "[NOTICE] [{u}] [core] connect ip=192.0.2.8 port=4000 local_ip=192.0.2.1 local_port=25\n\
         [PROTOCOL] [{u}] [core] S: 220 mx ESMTP Haraka ready\n\
         [PROTOCOL] [{u}] [core] C: QUIT state=1\n\
         [PROTOCOL] [{u}] [core] S: 221 mx closing connection\n\
         [NOTICE] [{u}] [core] disconnect ip=192.0.2.8 rcpts=0/0/0 msgs=0/0/0\n\
         [NOTICE] [9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B99] [outbound] delivered file=x domain=example.org host=mx.example.org ip=198.51.100.4 port=25 mode=SMTP response=\"2.0.0 Ok\"\n"
    );
    let (sessions, report) = load_text(&text);
    assert_eq!(report.format, Some("haraka"));
    let verdicts: Vec<_> = sessions.iter().map(verdict).collect();
    // Without a transcript the delivered notice decides the delivery.
    assert_eq!(verdicts, ["success - -", "success - -"]);
    assert_eq!(sessions[1].verdict.outcome.as_str(), "delivered");
    assert_eq!(report.unparsed_count, 0);
}

mod hostile {
    /// Grammar pieces mixed with junk, so random input reaches the parser's deeper rules.
    const FRAGMENTS: &[&str] = &[
        "[PROTOCOL] [3F2A9C41-6B7D-4E10-9A2B-5C8D7E6F1A01] [core] ",
        "[NOTICE] [3F2A9C41-6B7D-4E10-9A2B-5C8D7E6F1A01.1] [outbound] ",
        "2026-07-23 10:05:00.123456789  ",
        "@4000000069d1a0c11dcd6500 ",
        "@4fffffffffffffffffffffff ",
        "S: ",
        "C: ",
        " state=1",
        "connect ip=192.0.2.1 port=1 local_ip=",
        "disconnect ip=",
        "delivered ip=",
        "temp_fail",
        "bounce",
        "dropped connection",
        "\\r\\n",
    ];

    crate::common::soup_never_panics!("haraka", FRAGMENTS);
}
