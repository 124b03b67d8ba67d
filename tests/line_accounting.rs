//! Nothing is silently lost: every non-blank input line ends up in a session (inside some
//! event's `line..=last_line`) or in the unparsed bucket.

mod common;

use smtpscope::load::lost_lines;

#[test]
fn every_sample_line_is_accounted_for() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for name in names {
        let text = String::from_utf8_lossy(&std::fs::read(dir.join(&name)).unwrap()).into_owned();
        let (sessions, report) = common::load(&name);
        for (n, l) in lost_lines(&text, &sessions, &report) {
            failures.push(format!("{name}:{n}: {l}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} lines lost:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
