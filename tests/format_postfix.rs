//! Golden tests for the Postfix maillog: smtpd connections bounded by connect/disconnect,
//! queue-id lines attached late after pid reuse, outbound delivery attempts decided by the
//! remote reply, postscreen, verbose transcripts, wrappers and masking.
mod common;
use common::*;
use smtpscope::load::{load_reader, LoadOptions};
use smtpscope::model::{Direction, EventKind, InfoKind, Session, Status, Step};
use smtpscope::output::json::session_json;
use std::sync::Arc;

fn by_id<'a>(sessions: &'a [Session], id: &str) -> &'a Session {
    sessions.iter().find(|s| s.id == id).unwrap_or_else(|| {
        panic!(
            "no session {id}; have {:?}",
            sessions.iter().map(|s| &s.id).collect::<Vec<_>>()
        )
    })
}

/// Loads log text given inline, with detection and a fixed year.
fn load_text(text: &str) -> (Vec<Session>, smtpscope::load::SourceReport) {
    let opts = LoadOptions {
        format: None,
        year: Some(2026),
    };
    load_reader(Arc::from("inline"), text.as_bytes(), &opts, 2026).expect("loads")
}

#[test]
fn maillog_sessions_and_verdicts() {
    let (sessions, report) = load("postfix-maillog.log");
    assert_eq!(report.format, Some("postfix"));
    let got: Vec<(String, String)> = sessions.iter().map(|s| (s.id.clone(), verdict(s))).collect();
    let want = [
        ("postscreen[2001] [198.51.100.23]:48812", "success - -"),
        ("smtpd[4242]", "success - -"),
        ("smtpd[4243]", "failure 554 5.7.1"),
        ("smtp[5201]:4B7E21A3C9", "success 250 2.0.0"),
        ("smtpd[4244]", "partial 550 5.1.1"),
        ("submission/smtpd[4300]", "failure - -"),
        ("smtpd[4243]#2", "failure - -"),
        ("smtpd[4245]", "success - -"),
        ("smtpd[4245]#2", "success - -"),
        ("smtp[5202]:2E5F6A7B8C", "failure 550 5.1.1"),
        ("submission/smtpd[4301]", "success - -"),
        ("smtp[5204]", "failure - -"),
        ("smtp[5204]#2:6A7B8C9D0E", "failure 450 4.7.1"),
        ("smtp[5205]:8B9C0D1E2F", "failure - -"),
        ("postscreen[2001] [203.0.113.200]:60123", "failure 550 5.7.1"),
        ("smtpd[4247]", "open - -"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(got, want);
    // master, cron, sshd, dovecot, anvil, the bounce notice's cleanup line, and the locally
    // submitted message's pickup/cleanup/qmgr lines belong to no SMTP session.
    assert_eq!(report.unparsed_count, 9);
    assert!(report.unparsed.iter().any(|(_, t)| t.starts_with("(root) CMD")));
}

#[test]
fn outcomes_say_why() {
    let (sessions, _) = load("postfix-maillog.log");
    let outcome = |id: &str| by_id(&sessions, id).verdict.outcome.as_str();
    assert_eq!(outcome("submission/smtpd[4300]"), "auth-failed");
    assert_eq!(outcome("smtpd[4243]#2"), "connection-failed");
    // The name check's warning is logged before `connect from` and belongs to that connection.
    let lost = by_id(&sessions, "smtpd[4243]#2");
    assert!(lost.events[0]
        .text
        .starts_with("warning: hostname laptop.example.org"));
    assert_eq!(lost.client.as_deref(), Some("unknown[198.51.100.77]"));
    assert_eq!(outcome("smtp[5204]"), "connection-failed");
    assert_eq!(outcome("smtp[5205]:8B9C0D1E2F"), "connection-failed");
    assert_eq!(outcome("smtp[5204]#2:6A7B8C9D0E"), "deferred");
    assert_eq!(outcome("smtpd[4243]"), "rejected");
    // The relay-denied reply answers RCPT, with the envelope kept as a note.
    let relay = by_id(&sessions, "smtpd[4243]");
    assert_eq!(relay.decisive().and_then(|e| e.step), Some(Step::Rcpt));
    assert_eq!(directions(relay), "ISII");
    assert!(relay.events[2].text.starts_with("from=<offers@example.biz>"));
}

#[test]
fn late_queue_lines_reach_the_right_connection_after_pid_reuse() {
    let (sessions, _) = load("postfix-maillog.log");
    let first = by_id(&sessions, "smtpd[4245]");
    let second = by_id(&sessions, "smtpd[4245]#2");
    // The bounce of the first connection's message is logged after the pid served a second
    // client; it still belongs to the first.
    let bounce = first
        .events
        .iter()
        .find(|e| e.text.contains("status=bounced"))
        .expect("bounce attached to the first connection");
    assert_eq!(bounce.kind, EventKind::Info(InfoKind::OnwardBounced));
    assert_eq!(bounce.code.map(|c| c.to_string()).as_deref(), Some("550 5.1.1"));
    assert!(first.events.iter().any(|e| e.text == "2E5F6A7B8C: removed"));
    assert!(!second.events.iter().any(|e| e.text.contains("2E5F6A7B8C")));
    assert!(second.events.iter().any(|e| e.text == "5D6E7F8A9B: removed"));
    // Received and accepted, bounced later: the SMTP session succeeded, the summary says the
    // delivery bounced.
    assert_eq!(first.status(), Status::Success);
    assert!(first.summary.contains("bounced"), "{}", first.summary);
    let deferred = by_id(&sessions, "submission/smtpd[4301]");
    assert!(deferred.summary.contains("deferred"), "{}", deferred.summary);
    // Local and relayed deliveries of one message both land on the receiving connection.
    let relayed = by_id(&sessions, "smtpd[4242]");
    let onward = relayed
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Info(InfoKind::OnwardDelivered))
        .count();
    assert_eq!(onward, 2);
    assert!(relayed.closed);
    // The connection ended at its disconnect, not when the last delivery was logged.
    assert_eq!(
        relayed.end.unwrap().to_string(),
        format!("{}-11-22T10:00:03", relayed.start.unwrap().when.format("%Y"))
    );
}

#[test]
fn outbound_attempts_carry_the_remote_reply_and_peers() {
    let (sessions, _) = load("postfix-maillog.log");
    let bounced = by_id(&sessions, "smtp[5202]:2E5F6A7B8C");
    let decisive = bounced.decisive().expect("decisive reply");
    assert_eq!(decisive.dir, Direction::Server);
    assert_eq!(decisive.step, Some(Step::Rcpt));
    assert!(decisive.text.starts_with("550 5.1.1 <jane@example.net>"));
    assert_eq!(bounced.server.as_deref(), Some("mx.example.net[203.0.113.25]:25"));
    assert_eq!(bounced.client.as_deref(), Some("mx1"));
    let sent = by_id(&sessions, "smtp[5201]:4B7E21A3C9");
    assert_eq!(directions(sent), "ISI");
    assert_eq!(sent.decisive().map(|e| e.step), Some(Some(Step::DataEnd)));
    // The connection that was refused and the one that greylisted are two attempts.
    assert_eq!(
        by_id(&sessions, "smtp[5204]").server.as_deref(),
        Some("mx1.example.biz[203.0.113.80]:25")
    );
    // relay=none: the server comes from the connect error, and the deferral joins that attempt.
    let timed_out = by_id(&sessions, "smtp[5205]:8B9C0D1E2F");
    assert_eq!(
        timed_out.server.as_deref(),
        Some("mail.example.info[198.51.100.90]:25")
    );
    assert_eq!(timed_out.events.len(), 2);
    let inbound = by_id(&sessions, "smtpd[4244]");
    assert_eq!(
        inbound.client.as_deref(),
        Some("relay.example.org[198.51.100.40]")
    );
    assert_eq!(inbound.server.as_deref(), Some("mx1"));
}

#[test]
fn verbose_transcript_is_the_conversation() {
    let (sessions, report) = load("postfix-verbose.log");
    assert_eq!(report.format, Some("postfix"));
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        ["success 250 2.0.0", "success 250 2.0.0", "failure 535 5.7.8"]
    );
    let inbound = &sessions[0];
    assert_eq!(inbound.id, "smtpd[6001]");
    // connect, greeting, EHLO, one 7-line reply, STARTTLS, 220, TLS note, EHLO, reply, AUTH,
    // 235, MAIL, 250, RCPT, client= note, 250, RCPT, 250, DATA, 354, message-id, 250 queued,
    // queue note, QUIT, 221, disconnect, local delivery, relay delivery, removed.
    assert_eq!(directions(inbound), "ISCSCSICSCSCSCISCSCSISICSIIII");
    assert_eq!(inbound.events[3].text.lines().count(), 7);
    assert_eq!(inbound.decisive().map(|e| e.step), Some(Some(Step::DataEnd)));
    let outbound = &sessions[1];
    assert_eq!(outbound.id, "smtp[6101]:9A8B7C6D5E");
    assert_eq!(directions(outbound), "SCSCCCSSSCSICS");
    assert!(outbound.closed);
    // AUTH LOGIN: both answers to the 334 challenges are credentials; the SASL warning is a
    // note beside the 535 that decides.
    let login = &sessions[2];
    assert_eq!(directions(login), "ISCSCSCSCISCSI");
    assert_eq!(login.verdict.outcome.as_str(), "auth-failed");
    let auth_data = login
        .events
        .iter()
        .filter(|e| e.kind == EventKind::AuthData)
        .count();
    assert_eq!(auth_data, 2);
    // Debug noise is kept as unparsed, never in a session.
    assert_eq!(report.unparsed_count, 3);
}

#[test]
fn auth_plain_payload_is_masked_everywhere() {
    let secret = "AGFsaWNlQGV4YW1wbGUub3JnAFMzY3JldC1QYXNz";
    let (sessions, report) = load("postfix-verbose.log");
    for s in &sessions {
        let json = session_json(s, false);
        for hidden in [secret, "bWFsbG9yeUBleGFtcGxlLm9yZw==", "aHVudGVyMi1ndWVzcw=="] {
            assert!(!json.contains(hidden), "{} shows {hidden}", s.id);
        }
    }
    assert!(session_json(&sessions[0], true).contains(secret));
    assert!(report.unparsed.iter().all(|(_, t)| !t.contains(secret)));
}

#[test]
fn detected_behind_docker_and_journald_prefixes() {
    for name in ["postfix-maillog.log", "postfix-verbose.log"] {
        let raw = std::fs::read_to_string(sample(name)).unwrap();
        let (plain, _) = load_text(&raw);
        let docker: String = raw
            .lines()
            .map(|l| format!("2026-11-22T09:00:01.602438620Z {l}\n"))
            .collect();
        // journald short-iso: an ISO stamp with offset instead of the syslog stamp.
        let journald: String = raw
            .lines()
            .map(|l| format!("2026-11-22T{}+0100 {}\n", &l[7..15], &l[16..]))
            .collect();
        for text in [docker, journald] {
            let (sessions, report) = load_text(&text);
            assert_eq!(report.format, Some("postfix"), "{name}");
            let a: Vec<String> = plain.iter().map(verdict).collect();
            let b: Vec<String> = sessions.iter().map(verdict).collect();
            assert_eq!(a, b, "{name}");
        }
    }
    let (sessions, _) =
        load_text("2026-11-22T10:00:01+0100 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]\n");
    assert_eq!(
        sessions[0].start.unwrap().to_string(),
        "2026-11-22T10:00:01+01:00"
    );
}

#[test]
fn year_comes_from_the_options() {
    let raw = std::fs::read_to_string(sample("postfix-maillog.log")).unwrap();
    let opts = LoadOptions {
        format: None,
        year: Some(2024),
    };
    let (sessions, _) = load_reader(Arc::from("x"), raw.as_bytes(), &opts, 2030).unwrap();
    assert_eq!(sessions[0].start.unwrap().to_string(), "2024-11-22T10:00:01");
}

#[test]
fn disconnect_counters_decide_without_a_transcript() {
    let (sessions, _) = load_text(concat!(
        "Nov 22 10:00:00 mx1 postfix/smtpd[10]: connect from a.example[192.0.2.1]\n",
        "Nov 22 10:00:01 mx1 postfix/smtpd[10]: disconnect from a.example[192.0.2.1] ehlo=1 auth=0/1 commands=1/2\n",
        "Nov 22 10:00:02 mx1 postfix/smtpd[10]: connect from b.example[192.0.2.2]\n",
        "Nov 22 10:00:03 mx1 postfix/smtpd[10]: disconnect from b.example[192.0.2.2] ehlo=1 auth=1 quit=1 commands=3\n",
        "Nov 22 10:00:04 mx1 postfix/smtpd[11]: disconnect from c.example[192.0.2.3] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n",
        "Nov 22 10:00:05 mx1 postfix/smtpd[12]: timeout after RCPT from d.example[192.0.2.4]\n",
        "Nov 22 10:00:05 mx1 postfix/smtpd[12]: disconnect from d.example[192.0.2.4] ehlo=1 mail=1 rcpt=1 commands=3\n",
        // Postfix 3.10 puts the queue id (or NOQUEUE) in front of these.
        "Nov 22 10:00:06 mx1 postfix/smtpd[13]: connect from e.example[192.0.2.5]\n",
        "Nov 22 10:00:07 mx1 postfix/smtpd[13]: NOQUEUE: lost connection after EHLO from e.example[192.0.2.5]\n",
        "Nov 22 10:00:07 mx1 postfix/smtpd[13]: disconnect from e.example[192.0.2.5] ehlo=1 commands=1\n",
    ));
    let got: Vec<(String, &str)> = sessions
        .iter()
        .map(|s| (s.id.clone(), s.verdict.outcome.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("smtpd[10]".to_string(), "auth-failed"),
            ("smtpd[10]#2".to_string(), "no-message"),
            // A connection whose connect line was in an earlier file still counts.
            ("smtpd[11]".to_string(), "delivered"),
            ("smtpd[12]".to_string(), "connection-failed"),
            ("smtpd[13]".to_string(), "connection-failed"),
        ]
    );
    assert_eq!(sessions[2].client.as_deref(), Some("c.example[192.0.2.3]"));
}

/// One session assembled from `items` under one key.
fn assembled(items: Vec<smtpscope::formats::Item>) -> Session {
    use smtpscope::assemble::Assembler;
    use smtpscope::formats::Record;
    let mut asm = Assembler::new("t".into(), "postfix");
    for (n, item) in items.into_iter().enumerate() {
        asm.push(Record {
            key: "k".into(),
            line: n as u64 + 1,
            time: None,
            item,
        });
    }
    asm.finish().sessions.remove(0)
}

#[test]
fn onward_notes_leave_the_status_alone() {
    use smtpscope::formats::Item;
    let accepted = || {
        vec![
            Item::Begin,
            Item::Info(
                InfoKind::Delivered,
                "A1: from=<a@b>, size=1, nrcpt=1 (queue active)".into(),
            ),
            Item::End,
        ]
    };
    let mut bounced = accepted();
    bounced.push(Item::Late(
        InfoKind::OnwardBounced,
        "A1: to=<c@d>, status=bounced (host x[192.0.2.9] said: 550 5.1.1 no (in reply to RCPT TO command))"
            .into(),
    ));
    let s = assembled(bounced);
    assert_eq!(s.status(), Status::Success);
    assert_eq!(
        s.events[1].code.map(|c| c.to_string()).as_deref(),
        Some("550 5.1.1")
    );
    assert!(s.summary.contains("bounced (550 5.1.1)"), "{}", s.summary);
    // A deferral that a later delivery resolved is not news.
    let mut retried = accepted();
    retried.push(Item::Late(
        InfoKind::OnwardDeferred,
        "A1: to=<e@f>, status=deferred (x)".into(),
    ));
    retried.push(Item::Late(
        InfoKind::OnwardDelivered,
        "A1: to=<e@f>, status=sent (250 ok)".into(),
    ));
    let s = assembled(retried);
    assert_eq!(s.status(), Status::Success);
    assert!(!s.summary.contains("deferred"), "{}", s.summary);
}

#[test]
fn connect_reject_and_unanswered_warnings() {
    let (sessions, report) = load_text(concat!(
        "Nov 22 10:00:00 mx1 postfix/smtpd[10]: warning: database /etc/postfix/access.db is older than source file\n",
        "Nov 22 10:00:00 mx1 postfix/smtpd[10]: warning: hostname a.example does not resolve to address 192.0.2.1\n",
        "Nov 22 10:00:01 mx1 postfix/smtpd[10]: connect from unknown[192.0.2.1]\n",
        "Nov 22 10:00:01 mx1 postfix/smtpd[10]: NOQUEUE: reject: CONNECT from unknown[192.0.2.1]: 554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied; proto=SMTP\n",
        "Nov 22 10:00:01 mx1 postfix/smtpd[10]: disconnect from unknown[192.0.2.1] commands=0/0\n",
    ));
    assert_eq!(sessions.len(), 1);
    assert_eq!(verdict(&sessions[0]), "failure 554 5.7.1");
    let reply = sessions[0].decisive().unwrap();
    assert_eq!(reply.step, Some(Step::Greeting));
    assert!(reply.text.ends_with("Access denied"), "{}", reply.text);
    // The warning right before the connect line belongs to it; the one before that does not.
    assert!(sessions[0].events[0].text.contains("does not resolve"));
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn content_rejects_end_the_message() {
    let (sessions, _) = load_text(concat!(
        "Nov 22 10:00:00 mx1 postfix/smtpd[20]: connect from a.example[192.0.2.1]\n",
        "Nov 22 10:00:01 mx1 postfix/smtpd[20]: 11AA22BB33: client=a.example[192.0.2.1]\n",
        "Nov 22 10:00:02 mx1 postfix/cleanup[30]: 11AA22BB33: milter-reject: END-OF-MESSAGE from a.example[192.0.2.1]: 5.7.1 Spam message rejected; from=<a@a.example> to=<b@example.com> proto=ESMTP helo=<a.example>\n",
        "Nov 22 10:00:02 mx1 postfix/smtpd[20]: disconnect from a.example[192.0.2.1] ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 commands=4/5\n",
        "Nov 22 10:00:03 mx1 postfix/smtpd[21]: connect from b.example[192.0.2.2]\n",
        "Nov 22 10:00:04 mx1 postfix/smtpd[21]: 44CC55DD66: proxy-reject: END-OF-MESSAGE: 554 5.7.1 Message rejected by content filter; from=<c@b.example> to=<d@example.com> proto=ESMTP helo=<b.example>\n",
        "Nov 22 10:00:04 mx1 postfix/smtpd[21]: disconnect from b.example[192.0.2.2] ehlo=1 mail=1 rcpt=1 data=0/1 quit=1 commands=4/5\n",
    ));
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(verdicts, ["failure - -", "failure 554 5.7.1"]);
    assert_eq!(sessions[0].decisive().map(|e| e.line), Some(3));
    assert_eq!(sessions[1].decisive().and_then(|e| e.step), Some(Step::DataEnd));
}

#[test]
fn one_attempt_for_several_recipients() {
    let (sessions, _) = load_text(concat!(
        "Nov 22 10:00:00 mx1 postfix/smtp[40]: A1B2C3D4E5: to=<x@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[203.0.113.25] said: 550 5.1.1 <x@example.net>: User unknown (in reply to RCPT TO command))\n",
        "Nov 22 10:00:01 mx1 postfix/smtp[40]: A1B2C3D4E5: to=<y@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as F00D)\n",
        "Nov 22 10:00:01 mx1 postfix/smtp[40]: A1B2C3D4E5: to=<z@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as F00D)\n",
        "Nov 22 10:00:02 mx1 postfix/smtp[40]: warning: unexpected reply after QUIT\n",
        "Nov 22 10:01:00 mx1 postfix/smtp[40]: B1B2C3D4E5: to=<w@example.net>, relay=mx.example.net[203.0.113.25]:25, conn_use=2, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as F00E)\n",
    ));
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(verdicts, ["partial 550 5.1.1", "success 250 2.0.0"]);
    // The rejected recipient's reply, three recipient notes, the warning.
    assert_eq!(directions(&sessions[0]), "SIIII");
    assert!(sessions[0].closed);
    assert_eq!(sessions[1].id, "smtp[40]#2:B1B2C3D4E5");
}

#[test]
fn hostile_lines_do_not_panic() {
    let (_, report) = load_text(concat!(
        "Nov 22 10:00:00 mx1 postfix/smtpd[10]: connect from\n",
        "Nov 22 10:00:00 mx1 postfix/smtpd[10]: < [\n",
        "Nov 22 10:00:00 mx1 postfix/smtpd[10]: NOQUEUE: reject: \n",
        "Nov 22 10:00:00 mx1 postfix/smtp[11]: ABCDEF1234: to=<x\n",
        "Nov 22 10:00:00 mx1 postfix/smtp[11]: connect to ]]]: é\n",
        "Nov 22 10:00:00 mx1 postfix/postscreen[12]: CONNECT from [\u{e9}]:\n",
        "Nov 22 10:00:00 mx1 postfix/qmgr[13]: ABCDEF1234: removed\n",
        "Nov 22 10:00:00 mx1 postfix/smtpd[10]: disconnect from é[\n",
    ));
    assert_eq!(report.format, Some("postfix"));
}

#[test]
fn lines_full_of_brackets_stay_fast() {
    let junk = "[".repeat(60_000);
    let text = format!(
        "Nov 22 10:00:00 mx1 postfix/postscreen[1]: CONNECT from [192.0.2.1]:5 to [192.0.2.2]:25\nNov 22 10:00:00 mx1 postfix/postscreen[1]: DNSBL {junk}\nNov 22 10:00:00 mx1 postfix/smtpd[2]: lost connection after {junk} from {junk}\n"
    );
    let started = std::time::Instant::now();
    let (_, report) = load_text(&text);
    assert_eq!(report.format, Some("postfix"));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
