//! Parser tests on short invented transcripts, run through the real assembler.

use super::PhpMailer;
use crate::assemble::Assembler;
use crate::formats::{Format, InputLine};
use crate::model::{Direction, Session};
use crate::wrapper::Wrapper;

fn sessions(log: &str) -> (Vec<Session>, u64) {
    let mut parser = PhpMailer.parser();
    let mut asm = Assembler::new("t".into(), "phpmailer");
    let mut records = Vec::new();
    for (i, l) in log.lines().enumerate() {
        let line = InputLine {
            number: i as u64 + 1,
            text: l,
            wrapper: Wrapper::default(),
        };
        parser.parse(&line, &mut records);
    }
    parser.finish(&mut records);
    for r in records {
        asm.push(r);
    }
    let res = asm.finish();
    (res.sessions, res.unparsed_count)
}

fn dirs(s: &Session) -> String {
    s.events
        .iter()
        .map(|e| match e.dir {
            Direction::Client => 'C',
            Direction::Server => 'S',
            Direction::Info => 'I',
        })
        .collect()
}

fn verdict(s: &Session) -> String {
    let code = s.decisive_code();
    format!(
        "{} {}",
        s.status().as_str(),
        code.map_or("-".to_string(), |c| c.to_string())
    )
}

fn line(text: &str) -> InputLine<'_> {
    InputLine {
        number: 1,
        text,
        wrapper: Wrapper::default(),
    }
}

/// Echo mode: stamp, TAB, and continuation lines indented by 19 spaces, TAB, 18 spaces.
fn echo(entries: &[&str]) -> String {
    let indent = format!("\n{}\t{}", " ".repeat(19), " ".repeat(18));
    entries
        .iter()
        .map(|e| format!("2026-11-30 12:00:00\t{}\n", e.replace('\n', &indent)))
        .collect()
}

#[test]
fn inbound_lines_are_the_reply_and_the_whole_reply_is_not_repeated() {
    let log = "\
Connection: opening to mx.example.net:25, timeout=300, options=array()
Connection: opened
SMTP INBOUND: \"220-mx.example.net ESMTP\"
SMTP INBOUND: \"220 no UCE\"
SERVER -> CLIENT: 220-mx.example.net ESMTP
220 no UCE
CLIENT -> SERVER: QUIT
SMTP INBOUND: &quot;221 2.0.0 Bye&quot;<br>
SERVER -&gt; CLIENT: 221 2.0.0 Bye<br>
Connection: closed<br>";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(dirs(&s[0]), "IISCSI");
    assert_eq!(s[0].events[2].text, "220-mx.example.net ESMTP\n220 no UCE");
    assert_eq!(s[0].events[4].text, "221 2.0.0 Bye");
    assert_eq!(verdict(&s[0]), "success -");
}

#[test]
fn html_mode_replies_are_resplit_and_entities_decoded() {
    let log = "\
2026-11-30 12:00:00 SERVER -&gt; CLIENT: 220 mx.example.net ESMTP<br>
2026-11-30 12:00:00 CLIENT -&gt; SERVER: EHLO www.example.org<br>
2026-11-30 12:00:00 SERVER -&gt; CLIENT: 250-mx.example.net250-SIZE 1000250-AUTH PLAIN LOGIN250 8BITMIME<br>
2026-11-30 12:00:00 CLIENT -&gt; SERVER: MAIL FROM:&lt;a&amp;b@example.org&gt;<br>
2026-11-30 12:00:00 SERVER -&gt; CLIENT: 250 &quot;OK&quot; it&#039;s fine<br>";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(dirs(&s[0]), "SCSCS");
    assert_eq!(
        s[0].events[2].text,
        "250-mx.example.net\n250-SIZE 1000\n250-AUTH PLAIN LOGIN\n250 8BITMIME"
    );
    assert_eq!(s[0].events[3].text, "MAIL FROM:<a&b@example.org>");
    assert_eq!(s[0].events[4].text, "250 \"OK\" it's fine");
    assert_eq!(s[0].events[0].time.unwrap().to_string(), "2026-11-30T12:00:00Z");
}

#[test]
fn run_together_entries_are_split_on_message_prefixes() {
    let log = "\
Connection: opening to ssl://smtp.example.net:465, timeout=10, options=array()Connection: openedSERVER -> CLIENT: 220 smtp.example.net ESMTP
CLIENT -> SERVER: QUIT
SERVER -> CLIENT: 221 Bye
Connection: closed";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (1, 0));
    // Connecting, connected, implicit TLS, greeting, QUIT, 221, closed.
    assert_eq!(dirs(&s[0]), "IIISCSI");
    assert_eq!(s[0].server.as_deref(), Some("smtp.example.net:465"));
    assert_eq!(s[0].events[1].text, "Connection: opened");
    assert_eq!(s[0].events[3].text, "220 smtp.example.net ESMTP");
}

#[test]
fn echo_continuation_lines_join_their_reply_and_application_output_is_unparsed() {
    let log = echo(&[
        "SERVER -> CLIENT: 220 mx.example.net",
        "CLIENT -> SERVER: EHLO a.example.org",
        "SERVER -> CLIENT: 250-mx.example.net\n250-PIPELINING\n250 SIZE 1000",
        "CLIENT -> SERVER: QUIT",
        "SERVER -> CLIENT: 221 Bye",
    ]) + "Message has been sent\n";
    let (s, unparsed) = sessions(&log);
    assert_eq!((s.len(), unparsed), (1, 1));
    assert_eq!(dirs(&s[0]), "SCSCS");
    assert_eq!(
        s[0].events[2].text,
        "250-mx.example.net\n250-PIPELINING\n250 SIZE 1000"
    );
    assert_eq!((s[0].events[2].line, s[0].events[2].last_line), (3, 5));
}

#[test]
fn exported_options_stay_in_the_connection_note() {
    let log = echo(&[
        "Connection: opening to mx.example.net:587, timeout=300, options=array (\n  'ssl' => \n  array (\n    'verify_peer' => false,\n  ),\n)",
        "Connection: opened",
    ]);
    let (s, unparsed) = sessions(&log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(dirs(&s[0]), "II");
    assert!(s[0].events[0]
        .text
        .ends_with("    'verify_peer' => false,\n  ),\n)"));
}

#[test]
fn old_wording_and_quoted_reader_notes() {
    let log = "SMTP -> get_lines(): $data was \"\"SMTP -> get_lines(): $str is \"220 mx.example.net ESMTP\r
\"SMTP -> FROM SERVER:220 mx.example.net ESMTP\r
CLIENT -> SMTP: QUIT\r
SMTP -> FROM SERVER:221 Bye\r
SMTP -> ERROR: Failed to connect to server: Connection refused (111)";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (2, 0));
    // Two reader notes (held until the greeting opened the session), greeting, QUIT, 221.
    assert_eq!(dirs(&s[0]), "IISCS");
    assert!(s[0].events[1].text.ends_with("ESMTP\n\""));
    assert_eq!(verdict(&s[0]), "success -");
    // The refused connection after it is a session of its own.
    assert_eq!(s[1].verdict.outcome.as_str(), "connection-failed");
}

#[test]
fn sessions_split_at_the_next_greeting_or_command_after_quit() {
    // Level 1: commands only.
    let log = echo(&[
        "CLIENT -> SERVER: EHLO a",
        "CLIENT -> SERVER: QUIT",
        "CLIENT -> SERVER: EHLO a",
        "CLIENT -> SERVER: QUIT",
    ]);
    assert_eq!(sessions(&log).0.len(), 2);
    // Level 2: a new greeting after QUIT/221 is a new connection.
    let log = echo(&[
        "SERVER -> CLIENT: 220 a",
        "CLIENT -> SERVER: QUIT",
        "SERVER -> CLIENT: 221 b",
        "SERVER -> CLIENT: 220 a",
        "CLIENT -> SERVER: QUIT",
        "SERVER -> CLIENT: 221 b",
    ]);
    let (s, _) = sessions(&log);
    assert_eq!(s.len(), 2);
    assert_eq!(dirs(&s[1]), "SCS");
}

#[test]
fn keepalive_sends_several_messages_in_one_connection() {
    let mut entries = vec![
        "SERVER -> CLIENT: 220 a",
        "CLIENT -> SERVER: EHLO b",
        "SERVER -> CLIENT: 250 a",
    ];
    let message = [
        "CLIENT -> SERVER: MAIL FROM:<x@example.org>",
        "SERVER -> CLIENT: 250 ok",
        "CLIENT -> SERVER: RCPT TO:<y@example.org>",
        "SERVER -> CLIENT: 250 ok",
        "CLIENT -> SERVER: DATA",
        "SERVER -> CLIENT: 354 go",
        "CLIENT -> SERVER: Subject: hi",
        "CLIENT -> SERVER:",
        "CLIENT -> SERVER: QUIT",
        "CLIENT -> SERVER: .",
        "SERVER -> CLIENT: 250 2.0.0 queued",
        "CLIENT -> SERVER: RSET",
        "SERVER -> CLIENT: 250 2.0.0 Ok",
    ];
    entries.extend(message);
    entries.extend(message);
    entries.extend(["CLIENT -> SERVER: QUIT", "SERVER -> CLIENT: 221 bye"]);
    let (s, unparsed) = sessions(&echo(&entries));
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(verdict(&s[0]), "success 250 2.0.0");
    // A body line reading `QUIT` is message data, not the end of the session.
    let data: Vec<_> = s[0]
        .events
        .iter()
        .filter(|e| e.kind == crate::model::EventKind::MessageData)
        .collect();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0].text, "Subject: hi\n\nQUIT\n.");
}

#[test]
fn nothing_read_is_a_lost_connection() {
    let log = echo(&[
        "Connection: opening to mx.example.net:465, timeout=30, options=array()",
        "Connection: opened",
        "SMTP -> get_lines(): timed-out (30 sec)",
        "SERVER -> CLIENT: ",
        "SMTP ERROR: EHLO command failed: ",
        "SMTP NOTICE: EOF caught while checking if connected",
        "Connection: closed",
    ]);
    let (s, unparsed) = sessions(&log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(s[0].status().as_str(), "failure");
    assert_eq!(s[0].verdict.outcome.as_str(), "connection-failed");
}

#[test]
fn tls_handshake_failure_after_starttls() {
    let log = echo(&[
        "SERVER -> CLIENT: 220 mx.example.net",
        "CLIENT -> SERVER: STARTTLS",
        "SERVER -> CLIENT: 220 2.0.0 Ready to start TLS",
        "Connection failed. Error #2: stream_socket_enable_crypto(): SSL operation failed with code 1. OpenSSL Error messages:\nerror:0A000086:SSL routines::certificate verify failed [/srv/vendor/phpmailer/phpmailer/src/SMTP.php line 476]",
        "SMTP Error: Could not connect to SMTP host.",
        "CLIENT -> SERVER: QUIT",
        "SERVER -> CLIENT: 221 bye",
    ]);
    let (s, unparsed) = sessions(&log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(s[0].verdict.outcome.as_str(), "tls-failed");
    assert!(s[0].events[3].text.contains("certificate verify failed"));
}

#[test]
fn xoauth2_refusal_in_a_334_is_an_authentication_failure() {
    let log = echo(&[
        "SERVER -> CLIENT: 220 smtp.gmail.com ESMTP",
        "CLIENT -> SERVER: AUTH XOAUTH2 dXNlcj1hQGV4YW1wbGUub3JnAWF1dGg9QmVhcmVyIHRva2VuAQE=",
        "SERVER -> CLIENT: 334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
        "SMTP ERROR: AUTH command failed: 334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
        "CLIENT -> SERVER: QUIT",
        "SERVER -> CLIENT: 535-5.7.8 Username and Password not accepted.\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials",
    ]);
    let (s, _) = sessions(&log);
    assert_eq!(s[0].verdict.outcome.as_str(), "auth-failed");
    assert_eq!(verdict(&s[0]), "failure 535 5.7.8");
    let json = crate::output::json::session_json(&s[0], false);
    assert!(!json.contains("dXNlcj1hQGV4YW1wbGUub3Jn"));
}

#[test]
fn wordpress_event_headers_belong_to_the_transcript_after_them() {
    let log = "\
Mailer: Other SMTP\r
SMTP Error: Could not connect to SMTP host.\r
Mailer: Other SMTP\r
SMTP Error: Could not authenticate.\r
Debug Output:\r
Connection: opening to mx.example.net:587, timeout=300, options=array()\r
Connection: opened\r
SERVER -> CLIENT: 220 mx.example.net\r";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (2, 0));
    assert_eq!(dirs(&s[0]), "II");
    assert_eq!(dirs(&s[1]), "IIIIS");
    assert_eq!(s[1].events[1].text, "SMTP Error: Could not authenticate.");
}

#[test]
fn detects_every_output_mode() {
    let f = PhpMailer;
    for l in [
        "2026-11-30 12:00:00\tSERVER -> CLIENT: 220 x",
        "2026-11-30 12:00:00 CLIENT -&gt; SERVER: EHLO x<br>",
        "SMTP INBOUND: \"250 ok\"",
        "Connection: opening to a:25, timeout=1, options=array()",
        "SMTP -> FROM SERVER:220 x",
        "CLIENT -> SMTP: EHLO x",
        "smtp:tls:login://smtp.example.com:587",
        "Debug Output:",
    ] {
        assert!(f.detect(&line(l)), "{l}");
    }
    for l in [
        "220 mx ESMTP",
        "EHLO x",
        "Mailer: Gmail",
        "2026-11-30 12:00:00 hello",
    ] {
        assert!(!f.detect(&line(l)), "{l}");
    }
}

#[test]
fn truncated_and_jumbled_messages_never_panic() {
    let fragments = [
        "Connection: opening to ",
        "Connection: opened",
        "SMTP ERROR: ",
        "SMTP INBOUND: \"",
        "SERVER -> CLIENT: ",
        "CLIENT -> SERVER: ",
        "SMTP -> get_lines(): \"",
        "options=array (",
        "250-",
        "é",
        "&gt;",
        "<br>",
        "2026-11-30 12:00:00\t",
        "Mailer: x",
        "Debug Output:",
        "smtp:tls:login://a:1",
        " ",
        "\"",
        ")",
    ];
    // Every ordered pair and triple, on one line and on separate lines.
    for a in fragments {
        for b in fragments {
            for c in fragments {
                let one = format!("{a}{b}{c}");
                let (s, _) = sessions(&one);
                for sess in &s {
                    let _ = crate::output::json::session_json(sess, false);
                }
                let _ = sessions(&format!("{a}\n{b}\n{c}"));
            }
        }
    }
}

#[test]
fn echo_output_collapsed_by_a_browser_reads_like_the_original() {
    let log = "2026-11-30 12:00:00 SERVER -> CLIENT: 220 smtp.example.com ESMTP 2026-11-30 12:00:00 CLIENT -> SERVER: EHLO www.example.org 2026-11-30 12:00:00 SERVER -> CLIENT: 250-smtp.example.com 250-SIZE 10240000 250 AUTH LOGIN PLAIN 2026-11-30 12:00:00 CLIENT -> SERVER: AUTH LOGIN 2026-11-30 12:00:00 SERVER -> CLIENT: 334 VXNlcm5hbWU6 2026-11-30 12:00:00 CLIENT -> SERVER: [credentials hidden] 2026-11-30 12:00:00 SERVER -> CLIENT: 334 UGFzc3dvcmQ6 2026-11-30 12:00:00 CLIENT -> SERVER: [credentials hidden] 2026-11-30 12:00:01 SERVER -> CLIENT: 535-5.7.8 Username and Password not accepted. 535 5.7.8 https://support.example.com/bad-credentials 2026-11-30 12:00:01 SMTP ERROR: Password command failed: 535-5.7.8 Username and Password not accepted. 535 5.7.8 https://support.example.com/bad-credentials 2026-11-30 12:00:01 SMTP Error: Could not authenticate. 2026-11-30 12:00:01 CLIENT -> SERVER: QUIT 2026-11-30 12:00:01 SERVER -> CLIENT: 221 2.0.0 Bye";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(verdict(&s[0]), "failure 535 5.7.8");
    assert_eq!(dirs(&s[0]), "SCSCSCSCSIICS");
    assert_eq!(
        s[0].events[2].text,
        "250-smtp.example.com\n250-SIZE 10240000\n250 AUTH LOGIN PLAIN"
    );
    assert_eq!(s[0].events[8].text.lines().count(), 2);
}

#[test]
fn documented_callables_and_typeset_quotes() {
    let log = "\
debug level 1; message: CLIENT -> SERVER: EHLO a.example.org
debug level 2; message: SERVER -> CLIENT: 250 ok
2026-11-30 12:00:00\t4\tSMTP INBOUND: “250 2.1.0 Sender ok”
2026-11-30 12:00:00\t2\tSERVER -> CLIENT: 250 2.1.0 Sender ok";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(dirs(&s[0]), "CSS");
    assert_eq!(s[0].events[2].text, "250 2.1.0 Sender ok");
    assert!(PhpMailer.detect(&line("debug level 2; message: SERVER -> CLIENT: 250 ok")));
}

#[test]
fn level1_errors_carry_the_replies_the_log_does_not_show() {
    let log = echo(&[
        "CLIENT -> SERVER: EHLO www.example.org",
        "CLIENT -> SERVER: AUTH LOGIN",
        "CLIENT -> SERVER: [credentials hidden]",
        "CLIENT -> SERVER: [credentials hidden]",
        "SMTP ERROR: Password command failed: 535-5.7.8 Username and Password not accepted.\n535 5.7.8 https://support.example.com/bad",
        "SMTP Error: Could not authenticate.",
        "CLIENT -> SERVER: QUIT",
        "CLIENT -> SERVER: EHLO www.example.org",
        "CLIENT -> SERVER: MAIL FROM:<a@example.org>",
        "CLIENT -> SERVER: RCPT TO:<nobody@example.net>",
        "SMTP ERROR: RCPT TO command failed: 550 5.1.1 <nobody@example.net>: Recipient address rejected",
        "CLIENT -> SERVER: QUIT",
    ]);
    let (s, unparsed) = sessions(&log);
    assert_eq!((s.len(), unparsed), (2, 0));
    assert_eq!(verdict(&s[0]), "failure 535 5.7.8");
    assert_eq!(s[0].decisive().unwrap().text.lines().count(), 2);
    assert_eq!(verdict(&s[1]), "failure 550 5.1.1");
    assert!(s.iter().all(|x| x.closed));
    assert_eq!((s[0].last_line, s[1].last_line), (8, 13));
}

#[test]
fn psr3_logger_lines_through_monolog() {
    let log = "\
[2026-11-30T12:00:00.000000+00:00] mailer.DEBUG: Connection: opening to mx.example.net:587, timeout=300, options=array () [] []
[2026-11-30T12:00:00.000000+00:00] mailer.DEBUG: SERVER -> CLIENT: 220 mx.example.net ESMTP [] []
[2026-11-30T12:00:00.000000+00:00] mailer.DEBUG: CLIENT -> SERVER: EHLO www.example.org [] []
[2026-11-30T12:00:00.000000+00:00] mailer.DEBUG: SERVER -> CLIENT: 250-mx.example.net 250-SIZE 1000 250 8BITMIME [] []
[2026-11-30T12:00:01.000000+00:00] mailer.DEBUG: CLIENT -> SERVER: QUIT [] []
[2026-11-30T12:00:01.000000+00:00] mailer.DEBUG: SERVER -> CLIENT: 221 Bye [] []";
    let (s, unparsed) = sessions(log);
    assert_eq!((s.len(), unparsed), (1, 0));
    assert_eq!(dirs(&s[0]), "ISCSCS");
    assert_eq!(
        s[0].events[3].text,
        "250-mx.example.net\n250-SIZE 1000\n250 8BITMIME"
    );
    assert_eq!(s[0].end.unwrap().to_string(), "2026-11-30T12:00:01Z");
    assert!(PhpMailer.detect(&line(log.lines().next().unwrap())));
}
