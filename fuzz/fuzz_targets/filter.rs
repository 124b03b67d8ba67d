//! The filter language over arbitrary text: parsing never panics, and a parsed filter can be
//! matched against real sessions (every status, codes, times) without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpscope::filter::Filter;
use smtpscope::load::{load_reader, LoadOptions};
use smtpscope::model::Session;
use std::sync::LazyLock;

/// A few sessions with every status, codes and timestamps, loaded once through the real pipeline.
static SESSIONS: LazyLock<Vec<Session>> = LazyLock::new(|| {
    let log = include_str!("../../sample-logs/4d-smtp.log");
    load_reader("fuzz".into(), log.as_bytes(), &LoadOptions::default(), 2026)
        .map(|(s, _)| s)
        .unwrap_or_default()
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(filter) = Filter::parse(&text) {
        for s in SESSIONS.iter() {
            let _ = filter.matches(s);
        }
    }
});
