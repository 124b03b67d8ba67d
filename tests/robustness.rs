//! Hostile and broken input: no panic, no raw control characters on output, files untouched.

use assert_cmd::Command;
use proptest::prelude::*;
use smtpscope::formats;
use smtpscope::load::{load_reader, LoadOptions};
use std::io::Cursor;

fn smtpscope() -> Command {
    Command::cargo_bin("smtpscope").expect("binary built")
}

/// Pieces of real grammar so random input reaches deep into the parsers, not only their
/// first regex.
const FRAGMENTS: &[&str] = &[
    "1 2026-01-01T10:00:00.000 5 7 ",
    "### SMTP Connected to 'h' on port 25.",
    "### SMTP Connection closed",
    "S < \"",
    "C > \"",
    "250-",
    "250 ",
    "334 ",
    "354 ",
    "535 5.7.8 ",
    "AUTH PLAIN ",
    "MAIL FROM:<a@b>",
    "RCPT TO:<c@d>",
    "DATA",
    ".",
    "QUIT",
    "\"",
    "\u{202E}",
    "\u{1b}[2J",
    "日本",
    "\t",
    "Nov 22 10:00:01 host postfix/smtpd[1]: ",
    "2024-07-03T17:18:06.602438620Z ",
    "[11-Apr-2023 10:49:15 UTC] ",
    "SERVER -> CLIENT: ",
    "CLIENT -> SERVER: ",
    "[2018.05.07] 22:54:21 [1.2.3.4][1] ",
    "SMTP: 17:22:27 [tx] ",
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context",
];

fn grammar_soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..12),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Detection, every parser and the assembler survive any bytes, and statuses are always
    /// one of the four words.
    #[test]
    fn no_input_panics_any_format(data in grammar_soup()) {
        let _ = load_reader("fuzz".into(), Cursor::new(data.clone()), &LoadOptions::default(), 2026);
        for f in formats::all() {
            let opts = LoadOptions { format: Some(*f), year: None };
            if let Ok((sessions, _)) = load_reader("fuzz".into(), Cursor::new(data.clone()), &opts, 2026) {
                for s in &sessions {
                    prop_assert!(["success", "failure", "partial", "open"].contains(&s.status().as_str()));
                    for (i, e) in s.events.iter().enumerate() {
                        let _ = e.display_text(false);
                        let note = smtpscope::explain::event_note(s, i);
                        prop_assert!(!note.unwrap_or_default().chars().any(|c| c.is_control()));
                    }
                    prop_assert!(!s.summary.chars().any(|c| c.is_control()));
                }
            }
        }
    }
}

fn log_with_hostile_text() -> String {
    "1 2026-01-01T10:00:00.000 3 4 ### SMTP Connected to 'mx.example.net' on port 25.\n\
     2 2026-01-01T10:00:00.100 3 4 S < \"220 mx\u{1b}[2J\u{1b}]52;c;aGFjaw==\u{7} \u{202E}evil\u{8}\r ESMTP\"\n\
     3 2026-01-01T10:00:00.200 3 4 C > \"EHLO \u{1b}]8;;http://x\u{1b}\\\\link\"\n\
     4 2026-01-01T10:00:00.300 3 4 S < \"550 5.7.1 go away \u{1b}[31mred\"\n\
     5 2026-01-01T10:00:00.400 3 4 ### SMTP Connection closed\n"
        .to_string()
}

#[test]
fn list_output_never_carries_raw_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hostile.log");
    std::fs::write(&p, log_with_hostile_text()).unwrap();
    let out = smtpscope()
        .args(["--list", p.to_str().unwrap()])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for bad in ['\u{1b}', '\u{7}', '\u{8}', '\r', '\u{202E}'] {
        assert!(!text.contains(bad), "raw {bad:?} in {text:?}");
    }
    assert!(text.contains("^[[31mred") || text.contains("<U+202E>") || text.contains("550"));
}

#[test]
fn json_escapes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hostile.log");
    std::fs::write(&p, log_with_hostile_text()).unwrap();
    let out = smtpscope()
        .args(["--json", p.to_str().unwrap()])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
    assert!(text.contains("\\u001b"));
    let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(v["code"], "550");
}

#[test]
fn invalid_utf8_and_nul_bytes_still_parse_the_good_lines() {
    let mut data = b"1 2026-01-01T10:00:00.000 3 4 ### SMTP Connected to 'mx' on port 25.\n".to_vec();
    data.extend(b"2 2026-01-01T10:00:00.100 3 4 S < \"220 mx \xff\xfe\x00 hello\"\n");
    data.extend(b"\xc3\x28 garbage line\n");
    data.extend(
        b"3 2026-01-01T10:00:00.200 3 4 C > \"QUIT\"\n4 2026-01-01T10:00:00.300 3 4 S < \"221 bye\"\n",
    );
    let (sessions, report) =
        load_reader("bad".into(), Cursor::new(data), &LoadOptions::default(), 2026).unwrap();
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].events[1].text.contains('\u{FFFD}'));
    assert_eq!(sessions[0].status().as_str(), "success");
    assert_eq!(report.unparsed_count, 1);
}

#[test]
fn a_huge_line_is_cut_with_a_marker_and_the_rest_still_loads() {
    let mut data = b"1 2026-01-01T10:00:00.000 3 4 ### SMTP Connected to 'mx' on port 25.\n".to_vec();
    data.extend(b"2 2026-01-01T10:00:00.100 3 4 S < \"220 ");
    data.extend(std::iter::repeat_n(b'A', 50 * 1024 * 1024));
    data.extend(
        b"\"\n3 2026-01-01T10:00:00.200 3 4 C > \"QUIT\"\n4 2026-01-01T10:00:00.300 3 4 S < \"221 bye\"\n",
    );
    let (sessions, report) =
        load_reader("huge".into(), Cursor::new(data), &LoadOptions::default(), 2026).unwrap();
    assert_eq!(report.truncated_lines, 1);
    assert_eq!(sessions.len(), 1);
    let greeting = &sessions[0].events[1].text;
    assert!(greeting.len() < 70 * 1024 && greeting.contains("line truncated"));
    assert_eq!(sessions[0].events.len(), 4);
}

#[test]
fn inputs_are_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("4d.log");
    let original = std::fs::read(format!("{}/sample-logs/4d-smtp.log", env!("CARGO_MANIFEST_DIR"))).unwrap();
    std::fs::write(&p, &original).unwrap();
    let before = std::fs::metadata(&p).unwrap().modified().unwrap();
    smtpscope()
        .args(["--list", p.to_str().unwrap()])
        .assert()
        .success();
    smtpscope()
        .args(["--json", p.to_str().unwrap()])
        .assert()
        .success();
    // Following (-f) keeps the file open for a while: still read-only.
    let mut follower = std::process::Command::new(env!("CARGO_BIN_EXE_smtpscope"))
        .args(["-f", "--list", p.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    follower.kill().unwrap();
    let out = follower.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("FAIL"),
        "the follower printed sessions"
    );
    assert_eq!(std::fs::read(&p).unwrap(), original);
    assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), before);
}

#[test]
fn saving_a_transcript_never_overwrites_an_input_or_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.log");
    std::fs::write(&input, "original").unwrap();
    let err = smtpscope::tui::save(&input, "new text", std::slice::from_ref(&input)).unwrap_err();
    assert!(err.contains("one of the logs being read"), "{err}");
    // The same file named another way is still refused.
    let other_name = dir.path().join(".").join("in.log");
    let err = smtpscope::tui::save(&other_name, "new text", std::slice::from_ref(&input)).unwrap_err();
    assert!(err.contains("one of the logs being read"), "{err}");
    let err = smtpscope::tui::save(&input, "new text", &[]).unwrap_err();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "original");
    let fresh = dir.path().join("out.txt");
    smtpscope::tui::save(&fresh, "text", std::slice::from_ref(&input)).unwrap();
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "text");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_read_like_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.log");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let log =
                std::fs::read(format!("{}/sample-logs/4d-smtp.log", env!("CARGO_MANIFEST_DIR"))).unwrap();
            std::fs::write(fifo, log).unwrap();
        })
    };
    smtpscope()
        .args(["--list", fifo.to_str().unwrap()])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success()
        .stdout(predicates::str::contains("3 sessions"));
    writer.join().unwrap();
}
