//! Sessions for unit tests, loaded through the real pipeline (4D format) so tests see what
//! users see: the bundled sample plus a few small transcripts with every status.

use crate::load::{load_reader, LoadOptions};
use crate::model::Session;
use std::sync::Arc;

/// The bundled 4D sample: AUTH 535 failure, partial (550 5.1.1), 530 5.7.57 failure.
pub const SAMPLE_4D: &str = include_str!("../sample-logs/4d-smtp.log");

/// A delivered message with Japanese text, an open session (no close), and a reply carrying a
/// terminal escape sequence.
pub const EXTRA_4D: &str = concat!(
    "1 2026-03-02T11:00:00.100 20 50 ### SMTP Connected to 'mx.example.jp' on port 25.\n",
    "2 2026-03-02T11:00:00.200 20 50 S < \"220 mx.example.jp ESMTP 日本語メールサーバー\"\n",
    "3 2026-03-02T11:00:00.300 20 50 C > \"EHLO client.example.org\"\n",
    "4 2026-03-02T11:00:00.400 20 50 S < \"250 mx.example.jp\"\n",
    "5 2026-03-02T11:00:00.500 20 50 C > \"MAIL FROM:<tester@example.org>\"\n",
    "6 2026-03-02T11:00:00.600 20 50 S < \"250 2.1.0 送信者 OK\"\n",
    "7 2026-03-02T11:00:00.700 20 50 C > \"RCPT TO:<yamada@example.jp>\"\n",
    "8 2026-03-02T11:00:00.800 20 50 S < \"250 2.1.5 受信者 OK\"\n",
    "9 2026-03-02T11:00:00.900 20 50 C > \"DATA\"\n",
    "10 2026-03-02T11:00:01.000 20 50 S < \"354 Go ahead\"\n",
    "11 2026-03-02T11:00:01.100 20 50 S < \"250 2.0.0 Ok: queued as 7F3A\"\n",
    "12 2026-03-02T11:00:01.200 20 50 C > \"QUIT\"\n",
    "13 2026-03-02T11:00:01.300 20 50 S < \"221 2.0.0 Bye\"\n",
    "14 2026-03-02T11:00:01.400 20 50 ### SMTP Connection closed\n",
    "15 2026-03-02T11:30:00.000 21 51 ### SMTP Connected to 'relay.example.com' on port 587.\n",
    "16 2026-03-02T11:30:00.100 21 51 S < \"220 relay.example.com \x1b[31mESMTP\x1b[0m ready\"\n",
    "17 2026-03-02T11:30:00.200 21 51 C > \"EHLO client.example.org\"\n",
);

/// Loads 4D log text through the real pipeline.
pub fn load_4d(name: &str, text: &str) -> Vec<Session> {
    let (sessions, _) = load_reader(Arc::from(name), text.as_bytes(), &LoadOptions::default(), 2026)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    sessions
}

/// The sample's three sessions followed by the extra two (success, open).
pub fn all_sessions() -> Vec<Session> {
    let mut v = load_4d("4d-smtp.log", SAMPLE_4D);
    v.extend(load_4d("extra.log", EXTRA_4D));
    v
}

/// The test sessions as loader updates: the sample as source 0, the extra log as source 1.
pub fn updates() -> Vec<crate::feed::Update> {
    let mut out = Vec::new();
    for (source, sessions) in [load_4d("4d-smtp.log", SAMPLE_4D), load_4d("extra.log", EXTRA_4D)]
        .into_iter()
        .enumerate()
    {
        let name = ["4d-smtp.log", "extra.log"][source];
        out.push(crate::feed::Update::Report {
            source,
            report: crate::load::SourceReport {
                name: Arc::from(name),
                format: Some("4d"),
                lines: 10,
                unparsed_count: 1 - source as u64,
                ..Default::default()
            },
            bytes_read: 100,
            bytes_total: Some(100),
        });
        for (index, session) in sessions.into_iter().enumerate() {
            out.push(crate::feed::Update::Session {
                source,
                index,
                session: Box::new(session),
            });
        }
    }
    out.push(crate::feed::Update::Done);
    out
}

/// One SMTP dialogue `(client?, text)` written as a log of `format` (one with a generator
/// in [`FORMATS`]): the formats whose logs show client lines.
pub fn render_log(format: &str, dialogue: &[(bool, String)]) -> String {
    let mut out = String::new();
    let mut push = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    let n = dialogue.len();
    match format {
        "4d" => {
            push(
                "1 2026-03-02T09:14:02.000 12 31 ### SMTP Connected to 'mail.example.net' on port 587."
                    .into(),
            );
            for (i, (client, t)) in dialogue.iter().enumerate() {
                let arrow = if *client { "C >" } else { "S <" };
                push(format!(
                    "{} 2026-03-02T09:14:02.{:03} 12 31 {arrow} \"{t}\"",
                    i + 2,
                    i + 1
                ));
            }
            push(format!(
                "{} 2026-03-02T09:14:03.000 12 31 ### SMTP Connection closed",
                n + 2
            ));
        }
        "phpmailer" => {
            push("2026-11-24 14:02:31 Connection: opening to mail.example.net:587, timeout=300, options=array()".into());
            push("2026-11-24 14:02:31 Connection: opened".into());
            for (client, t) in dialogue {
                if *client {
                    push(format!("2026-11-24 14:02:31 CLIENT -> SERVER: {t}"));
                } else {
                    push(format!("2026-11-24 14:02:31 SMTP INBOUND: \"{t}\""));
                    push(format!("2026-11-24 14:02:31 SERVER -> CLIENT: {t}"));
                }
            }
            push("2026-11-24 14:02:32 Connection: closed".into());
        }
        "smtplib" => {
            push("connect: ('mail.example.net', 587)".into());
            for (client, t) in dialogue {
                if *client {
                    push(format!("send: '{t}\\r\\n'"));
                } else {
                    push(format!("reply: b'{t}\\r\\n'"));
                    if t.as_bytes().get(3) == Some(&b' ') {
                        push(format!("reply: retcode ({}); Msg: b'{}'", &t[..3], &t[4..]));
                    }
                }
            }
        }
        "postfix" => {
            let p = "Nov 22 11:00:00 mx1 postfix/submission/smtpd[6001]:";
            let peer = "client.example.org[198.51.100.5]";
            push(format!("{p} connect from {peer}"));
            for (client, t) in dialogue {
                let arrow = if *client { '<' } else { '>' };
                push(format!("{p} {arrow} {peer}: {t}"));
                if let Some(blob) = t.strip_prefix("AUTH PLAIN ") {
                    push(format!(
                        "{p} xsasl_dovecot_server_first: sasl_method PLAIN, init_response {blob}"
                    ));
                }
            }
            push(format!(
                "{p} disconnect from {peer} ehlo=1 auth=1/4 quit=1 commands=3/6"
            ));
        }
        "smartermail-smtp" => {
            let p = "[2026.03.04] 09:14:02 [203.0.113.45][48213375]";
            push(format!("{p} connected at 3/4/2026 9:14:02 AM"));
            for (client, t) in dialogue {
                let kind = if *client { "cmd" } else { "rsp" };
                push(format!("{p} {kind}: {t}"));
            }
        }
        "outlook-express" => {
            push("Microsoft Outlook Express 6.00.2900.5512".into());
            push("SMTP Log started at 03/14/2026 23:41:05".into());
            push("SMTP: 23:41:12 [db] Connecting to 'mail.example.net' on port 25.".into());
            for (client, t) in dialogue {
                let kind = if *client { "tx" } else { "rx" };
                push(format!("SMTP: 23:41:13 [{kind}] {t}"));
            }
        }
        other => panic!("no generator for {other}"),
    }
    out
}

/// Formats with a generator above.
pub const FORMATS: &[&str] = &[
    "4d",
    "phpmailer",
    "smtplib",
    "postfix",
    "smartermail-smtp",
    "outlook-express",
];

/// Holds `fast` to `plain` on the texts of [`texts_from`], panicking at the first text they
/// read differently; returns the sum of `hits` over the answers, so a test can check that the
/// texts held what it meant to test (codes, ids, counters), not only noise.
pub fn assert_same_on_texts<T: PartialEq + std::fmt::Debug>(
    (pieces, max_pieces, count): (&[&str], u64, usize),
    fast: impl Fn(&str) -> T,
    plain: impl Fn(&str) -> T,
    hits: impl Fn(&T) -> usize,
) -> usize {
    let mut total = 0;
    for text in texts_from(pieces, max_pieces, count) {
        let want = plain(&text);
        total += hits(&want);
        assert_eq!(fast(&text), want, "{text:?}");
    }
    total
}

/// `count` texts, each a run of up to `max_pieces` of `pieces` picked by a fixed xorshift
/// sequence (every run tests the same texts): inputs for holding a fast scan to the plain
/// code it replaced.
fn texts_from<'p>(pieces: &'p [&'p str], max_pieces: u64, count: usize) -> impl Iterator<Item = String> + 'p {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count).map(move |_| {
        let mut text = String::new();
        for _ in 0..1 + seed % max_pieces {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
        }
        seed = seed.wrapping_add(1);
        text
    })
}

/// A Postfix log of `n` connections one after another (about 4 lines each): accepted,
/// rejected, failed logins; queue ids never repeat, so sessions settle as a big log's do.
pub fn postfix_connections(n: u32) -> String {
    use std::fmt::Write as _;
    let mut log = String::new();
    for i in 0..n {
        let (pid, qid, at) = (
            100 + i % 7,
            format!("{:010X}", 0xA00_0000 + i),
            format!("Nov 22 10:{:02}:{:02}", i / 60 % 60, i % 60),
        );
        let client = format!("c{i}.example.org[192.0.2.{}]", i % 250 + 1);
        let _ = writeln!(log, "{at} mx1 postfix/smtpd[{pid}]: connect from {client}");
        match i % 3 {
            0 => {
                let _ = writeln!(log, "{at} mx1 postfix/smtpd[{pid}]: {qid}: client={client}");
                let _ = writeln!(log, "{at} mx1 postfix/qmgr[9]: {qid}: from=<a{i}@example.org>, size=900, nrcpt=1 (queue active)");
                let _ = writeln!(log, "{at} mx1 postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
                let _ = writeln!(log, "{at} mx1 postfix/local[8]: {qid}: to=<u@mx1.example.net>, relay=local, delay=0.1, status=sent (delivered to mailbox)");
            }
            1 => {
                let _ = writeln!(log, "{at} mx1 postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from {client}: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<c>");
                let _ = writeln!(log, "{at} mx1 postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4");
            }
            _ => {
                let _ = writeln!(log, "{at} mx1 postfix/smtpd[{pid}]: warning: {client}: SASL LOGIN authentication failed: UGFzc3dvcmQ6");
                let _ = writeln!(log, "{at} mx1 postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 auth=0/1 quit=1 commands=2/3");
            }
        }
    }
    log
}
