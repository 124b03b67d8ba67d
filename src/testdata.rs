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
