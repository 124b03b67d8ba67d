//! Detection never confuses formats: every bundled sample is recognised as the format its name
//! says, on its own, behind a wrapper prefix, and when the whole folder is opened at once.
mod common;

use smtpscope::load::{load_all, load_reader, LoadOptions};
use smtpscope::source::{self, Input};
use std::path::PathBuf;

/// Sample file name prefix → the format it must be detected as. Longest prefix wins. A sample
/// without an entry fails the test, so a new sample cannot skip this check.
const EXPECTED: &[(&str, &str)] = &[
    ("4d-", "4d"),
    ("smartermail-smtp", "smartermail-smtp"),
    ("smartermail-delivery", "smartermail-delivery"),
    ("outlook-express", "outlook-express"),
    ("postfix-", "postfix"),
    ("phpmailer-", "phpmailer"),
    ("wp-mail-smtp", "phpmailer"),
    ("post-smtp", "phpmailer"),
    ("python-smtplib", "smtplib"),
    ("exim-mainlog", "exim"),
    ("exim-rejectlog", "exim"),
    ("exim-debug", "exim-debug"),
    ("exchange-smtpreceive", "exchange-receive"),
    ("exchange-smtpsend", "exchange-send"),
    ("iis-smtp", "iis-smtp"),
    ("swaks", "swaks"),
    ("mailkit", "mailkit"),
    ("nodemailer", "nodemailer"),
    ("javamail", "javamail"),
    ("curl", "curl"),
    ("msmtp", "msmtp"),
    ("ruby-net-smtp", "ruby-net-smtp"),
    ("perl-net-smtp", "perl-net-smtp"),
    ("manual", "manual"),
    ("hmailserver", "hmailserver"),
    ("haraka", "haraka"),
    ("opensmtpd", "opensmtpd"),
    ("sendmail", "sendmail"),
    ("mailenable", "mailenable"),
    ("stalwart", "stalwart"),
    ("mdaemon", "mdaemon"),
];

fn expected_format(file: &str) -> &'static str {
    EXPECTED
        .iter()
        .filter(|(prefix, _)| file.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("sample {file} has no expected format in tests/detection.rs"))
}

fn samples() -> Vec<PathBuf> {
    let dir = common::sample("");
    let (inputs, problems) = source::expand(&[dir]);
    assert!(problems.is_empty(), "{problems:?}");
    inputs
        .into_iter()
        .map(|i| match i {
            Input::File(p) => p,
            Input::Stdin => unreachable!("a folder expands to files"),
        })
        .collect()
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_sample_is_detected_as_its_own_format() {
    let files = samples();
    assert!(files.len() >= EXPECTED.len(), "fewer samples than formats");
    for path in files {
        let name = file_name(&path);
        let (sessions, report) = smtpscope::load::load_input(&Input::File(path), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.format, Some(expected_format(&name)), "{name}");
        assert!(!sessions.is_empty(), "{name}: no sessions");
    }
}

/// Prefixes that shipping a log puts in front of its lines: syslog, `docker logs -t`, and
/// journald's short-iso output.
const WRAPPERS: &[(&str, &str)] = &[
    ("syslog", "Nov 22 10:00:01 mailhost app[321]: "),
    ("docker", "2026-11-22T10:00:01.602438620Z "),
    ("journald", "2026-11-22T10:00:01+0100 mailhost app[321]: "),
];

/// Each sample with a wrapper prefix on every line: detection runs after wrapper stripping.
#[test]
fn detection_survives_wrapper_prefixes() {
    for path in samples() {
        let name = file_name(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        // A log that is syslog already (Postfix) is not shipped through syslog a second time.
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let already_syslog = smtpscope::wrapper::strip(first, 2026).0.program.is_some();
        for (wrapper, prefix) in WRAPPERS {
            if already_syslog && *wrapper != "docker" {
                continue;
            }
            let wrapped: String = text.lines().map(|l| format!("{prefix}{l}\n")).collect();
            let result = load_reader(
                name.as_str().into(),
                wrapped.as_bytes(),
                &LoadOptions::default(),
                2026,
            );
            let (sessions, report) = result.unwrap_or_else(|e| panic!("{name} ({wrapper}): {e}"));
            assert_eq!(report.format, Some(expected_format(&name)), "{name} ({wrapper})");
            assert!(!sessions.is_empty(), "{name} ({wrapper}): no sessions");
        }
    }
}

#[test]
fn opening_the_whole_folder_detects_every_file() {
    let files = samples();
    let inputs: Vec<Input> = files.iter().cloned().map(Input::File).collect();
    let loaded = load_all(&inputs, &LoadOptions::default());
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.sources.len(), files.len());
    for (src, path) in loaded.sources.iter().zip(&files) {
        assert_eq!(
            src.format,
            Some(expected_format(&file_name(path))),
            "{}",
            src.name
        );
    }
}
