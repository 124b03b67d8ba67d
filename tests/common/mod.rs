//! Helpers shared by the integration tests: load a sample through the real pipeline and
//! describe sessions compactly so golden assertions stay readable.
#![allow(dead_code)]

use smtpscope::load::{load_input, LoadOptions, SourceReport};
use smtpscope::model::{Direction, Session};
use smtpscope::source::Input;
use std::path::PathBuf;

/// Path of a file in `sample-logs/`.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs")
        .join(name)
}

/// Loads a sample with format detection, panicking with the loader's message on failure.
pub fn load(name: &str) -> (Vec<Session>, SourceReport) {
    load_input(&Input::File(sample(name)), &LoadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `status code enhanced` of a session, e.g. `failure 535 5.7.8` or `success - -`.
pub fn verdict(s: &Session) -> String {
    let code = s.decisive_code();
    format!(
        "{} {} {}",
        s.status().as_str(),
        code.map_or("-".to_string(), |c| c.basic.to_string()),
        code.and_then(|c| c.enhanced)
            .map_or("-".to_string(), |e| e.to_string())
    )
}

/// One letter per event: `C` client, `S` server, `I` info — the shape of the conversation.
pub fn directions(s: &Session) -> String {
    s.events
        .iter()
        .map(|e| match e.dir {
            Direction::Client => 'C',
            Direction::Server => 'S',
            Direction::Info => 'I',
        })
        .collect()
}

/// SMTP pieces every format's soup gets besides its own grammar: replies, commands, the end of
/// data, a tab, non-ASCII text and a terminal escape.
const SMTP_FRAGMENTS: &[&str] = &[
    "250-",
    "250 ",
    "334 ",
    "354 ",
    "550 5.1.1 ",
    "AUTH LOGIN",
    "MAIL FROM:<a@b>",
    ".",
    "\t",
    "日本語",
    "\u{1b}[2J",
];

/// Random input mixing a format's grammar `fragments` (and [`SMTP_FRAGMENTS`]) with junk
/// bytes and line breaks, so a property test reaches the parser's deeper rules rather than
/// only its first check.
pub fn grammar_soup(
    fragments: &'static [&'static str],
) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(fragments).prop_map(|s| s.as_bytes().to_vec()),
            prop::sample::select(SMTP_FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..8),
            Just(b"\n".to_vec()),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

/// The sessions' ids, in order.
pub fn ids(sessions: &[Session]) -> Vec<&str> {
    sessions.iter().map(|s| s.id.as_str()).collect()
}

/// [`verdict`] of every session, in order.
pub fn verdicts(sessions: &[Session]) -> Vec<String> {
    sessions.iter().map(verdict).collect()
}

/// Loads log text given inline, with detection, as a file would be.
pub fn load_text(text: &str) -> (Vec<Session>, SourceReport) {
    smtpscope::load::load_reader("inline".into(), text.as_bytes(), &LoadOptions::default(), 2026)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The text of a file in `sample-logs/`.
pub fn sample_text(name: &str) -> String {
    std::fs::read_to_string(sample(name)).expect("sample readable")
}

/// A proptest that the named format's parser survives any mix of `fragments` (pieces of its
/// grammar) and junk bytes: loading never panics and never fails.
#[allow(unused_macros)]
macro_rules! soup_never_panics {
    ($format:literal, $fragments:expr) => {
        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig {
                cases: 128,
                ..proptest::prelude::ProptestConfig::default()
            })]

            /// The parser survives any mix of its grammar and junk.
            #[test]
            fn parser_never_panics(data in crate::common::grammar_soup($fragments)) {
                let opts = smtpscope::load::LoadOptions {
                    format: smtpscope::formats::by_name($format),
                    year: None,
                };
                proptest::prop_assert!(opts.format.is_some());
                let loaded = smtpscope::load::load_reader("fuzz".into(), std::io::Cursor::new(data), &opts, 2026);
                proptest::prop_assert!(loaded.is_ok());
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use soup_never_panics;
