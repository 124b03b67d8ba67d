//! The benchmark's generated logs load to exactly the sessions and statuses the generator says
//! it wrote (the same check the benchmark makes on its big files, here on small ones).

#[path = "../examples/common/loggen/mod.rs"]
mod loggen;

use smtpscope::load::{load_reader, LoadOptions};
use smtpscope::model::Status;
use std::sync::Arc;

fn check(format: &str, seed: u64) {
    let mut log = Vec::new();
    let exp = loggen::generate(format, 1, seed, &mut log).expect("generates");
    assert!(exp.bytes >= 1 << 20 && exp.bytes == log.len() as u64, "{exp:?}");
    let (sessions, report) = load_reader(Arc::from(format), &log[..], &LoadOptions::default(), 2026)
        .unwrap_or_else(|e| panic!("{format}: {e}"));
    let count = |st: Status| sessions.iter().filter(|s| s.status() == st).count() as u64;
    let found = [
        sessions.len() as u64,
        count(Status::Success),
        count(Status::Failure),
        count(Status::Partial),
        count(Status::Open),
    ];
    let want = [exp.sessions, exp.success, exp.failure, exp.partial, exp.open];
    assert_eq!(found, want, "{format} seed {seed}: sessions ok fail part open");
    assert!(
        exp.failure > exp.sessions / 20 && exp.partial > 0,
        "realistic mix: {exp:?}"
    );
    assert_eq!(report.lines, exp.lines);
}

#[test]
fn postfix_totals_match_the_generator() {
    check("postfix", 1);
    check("postfix", 7);
}

#[test]
fn phpmailer_totals_match_the_generator() {
    check("phpmailer", 3);
}

#[test]
fn exchange_receive_totals_match_the_generator() {
    check("exchange-receive", 5);
}

#[test]
fn expected_totals_survive_their_json() {
    let mut sink = Vec::new();
    let exp = loggen::generate("exchange-receive", 1, 5, &mut sink).expect("generates");
    assert!(exp.sessions > 100);
    assert_eq!(loggen::Expected::from_json(&exp.to_json()), Some(exp));
}
