//! Line accounting on generated logs: every non-blank line ends up inside some event's
//! `line..=last_line` or in the unparsed bucket, whatever the dialogue and the noise around it.

use crate::load::{load_reader, lost_lines, LoadOptions};
use crate::testdata::{render_log, FORMATS};
use proptest::prelude::*;

const CLIENT: &[&str] = &[
    "EHLO client.example.org",
    "HELO client",
    "STARTTLS",
    "AUTH LOGIN",
    "AUTH PLAIN AGFAYg==",
    "dXNlcg==",
    "MAIL FROM:<a@example.org>",
    "RCPT TO:<b@example.net>",
    "DATA",
    "Subject: hi",
    "",
    ".",
    "RSET",
    "NOOP",
    "QUIT",
    "garbage \u{1b}[2J",
];

const SERVER: &[&str] = &[
    "220 mail.example.net ESMTP",
    "250-mail.example.net",
    "250-SIZE 1000",
    "250 OK",
    "334 VXNlcm5hbWU6",
    "235 2.7.0 ok",
    "354 go ahead",
    "421 4.7.0 closing",
    "451 4.3.0 later",
    "535 5.7.8 bad",
    "550 5.1.1 unknown",
    "221 bye",
    "not a reply at all",
];

fn dialogue() -> impl Strategy<Value = Vec<(bool, String)>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(CLIENT).prop_map(|t| (true, t.to_owned())),
            prop::sample::select(SERVER).prop_map(|t| (false, t.to_owned())),
        ],
        0..40,
    )
}

/// A log of several generated sessions, with junk lines inserted between them.
fn generated() -> impl Strategy<Value = (usize, String)> {
    (
        0..FORMATS.len(),
        prop::collection::vec(dialogue(), 1..4),
        prop::collection::vec(("[ -~]{0,30}", 0usize..200), 0..6),
    )
        .prop_map(|(f, sessions, junk)| {
            let mut lines: Vec<String> = sessions
                .iter()
                .flat_map(|d| {
                    render_log(FORMATS[f], d)
                        .lines()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect();
            for (text, at) in junk {
                let at = at % (lines.len() + 1);
                lines.insert(at, text);
            }
            (f, lines.join("\n") + "\n")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_line_is_in_a_session_or_unparsed((f, log) in generated()) {
        let opts = LoadOptions { format: crate::formats::by_name(FORMATS[f]), year: None };
        let (sessions, report) = load_reader("gen".into(), log.as_bytes(), &opts, 2026).unwrap();
        let lost = lost_lines(&log, &sessions, &report);
        prop_assert!(lost.is_empty(), "{}: lost {:?}\nin:\n{}", FORMATS[f], lost, log);
        prop_assert_eq!(report.unparsed_count, report.unparsed.len() as u64);
    }
}
