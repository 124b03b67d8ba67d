//! The command line as users and scripts meet it: outputs, exit codes, error messages.

use assert_cmd::Command;
use predicates::prelude::*;
use std::io::Write;

fn smtpscope() -> Command {
    Command::cargo_bin("smtpscope").expect("binary built")
}

fn sample(name: &str) -> String {
    format!("{}/sample-logs/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn list_prints_one_line_per_session_and_a_footer() {
    let out = smtpscope()
        .args(["--list", &sample("4d-smtp.log")])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].contains("FAIL") && lines[0].contains("535 5.7.8"));
    assert!(lines[1].contains("PART") && lines[1].contains("550 5.1.1"));
    assert!(lines[3].starts_with("3 sessions: 0 OK, 2 FAIL, 1 PART, 0 OPEN"));
}

#[test]
fn json_has_the_contract_fields() {
    let out = smtpscope()
        .args(["--json", &sample("4d-smtp.log")])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    for field in [
        "source", "format", "id", "start", "end", "status", "code", "enhanced", "summary", "events",
    ] {
        assert!(first.get(field).is_some(), "missing {field}");
    }
    assert_eq!(first["status"], "failure");
    assert_eq!(first["code"], "535");
    assert_eq!(first["enhanced"], "5.7.8");
    assert_eq!(first["format"], "4d");
    let ev = &first["events"][0];
    for field in ["line", "time", "dir", "text"] {
        assert!(ev.get(field).is_some(), "event missing {field}");
    }
    assert_eq!(ev["dir"], "info");
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn missing_file_exits_1_and_names_it() {
    smtpscope()
        .args(["--list", "/nonexistent/maillog"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("/nonexistent/maillog").and(predicate::str::contains("check the path")),
        );
}

#[test]
fn one_bad_input_among_good_ones_warns_and_goes_on() {
    smtpscope()
        .args(["--list", "/nonexistent/maillog", &sample("4d-smtp.log")])
        .assert()
        .success()
        .stderr(predicate::str::contains("/nonexistent/maillog"))
        .stdout(predicate::str::contains("3 sessions"));
}

#[test]
fn unknown_format_is_an_error_that_points_to_formats() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    std::fs::write(&p, "shopping list\nmilk\neggs\n").unwrap();
    smtpscope()
        .args(["--list", p.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("notes.txt").and(predicate::str::contains("--formats")));
}

#[test]
fn binary_file_gets_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("blob.bin");
    std::fs::write(&p, [0u8, 159, 146, 150, 0, 0, 1, 2, 3, 0, 0, 0]).unwrap();
    smtpscope()
        .args(["--list", p.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("blob.bin")
                .and(predicate::str::contains("does not look like a text log")),
        );
}

/// Junk whose first line passes as text is still called binary (judged on every line held for
/// detection); text in a language other than English is not.
#[test]
fn junk_after_a_text_line_is_called_binary_and_foreign_text_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("core.dump");
    let mut bytes = b"ELF header follows\n".to_vec();
    // Deterministic noise: bytes over 0x7f that are not UTF-8, controls, a newline now and then.
    let mut x: u32 = 12345;
    for _ in 0..20_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((x >> 16) as u8);
    }
    std::fs::write(&junk, bytes).unwrap();
    smtpscope()
        .args(["--list", junk.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("core.dump")
                .and(predicate::str::contains("does not look like a text log")),
        );
    let foreign = dir.path().join("notes-ja.txt");
    std::fs::write(
        &foreign,
        "買い物リスト\n牛乳と卵\n明日の会議は十時から\n".repeat(50),
    )
    .unwrap();
    smtpscope()
        .args(["--list", foreign.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a log format smtpscope knows"));
}

#[test]
fn usage_errors_exit_2() {
    smtpscope().args(["--no-such-flag"]).assert().code(2);
    smtpscope()
        .args(["--format", "nonsense", &sample("4d-smtp.log")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown format 'nonsense'"));
}

#[test]
fn reads_stdin_gzip_and_directories() {
    let log = std::fs::read(sample("4d-smtp.log")).unwrap();
    smtpscope()
        .args(["--list", "-"])
        .write_stdin(log.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("3 sessions"));

    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("4d.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&log).unwrap();
    enc.finish().unwrap();
    std::fs::write(dir.path().join("4d.log"), &log).unwrap();
    smtpscope()
        .args(["--list", dir.path().to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("6 sessions"));
}

#[test]
fn forced_format_and_formats_listing() {
    smtpscope()
        .args(["--formats"])
        .assert()
        .success()
        .stdout(predicate::str::contains("4d").and(predicate::str::contains("turn it on")));
    smtpscope()
        .args(["--list", "--format", "4d", &sample("4d-smtp.log")])
        .assert()
        .success();
}

#[test]
fn credentials_masked_unless_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("creds.log");
    std::fs::write(
        &p,
        "1 2026-01-01T10:00:00.000 3 4 ### SMTP Connected to 'mx.example.net' on port 587.\n\
         2 2026-01-01T10:00:00.100 3 4 S < \"220 mx.example.net\"\n\
         3 2026-01-01T10:00:00.200 3 4 C > \"AUTH PLAIN AHVzZXIAaHVudGVyMg==\"\n\
         4 2026-01-01T10:00:00.300 3 4 S < \"235 2.7.0 ok\"\n",
    )
    .unwrap();
    let path = p.to_str().unwrap();
    let masked = smtpscope().args(["--json", path]).assert().success();
    let out = String::from_utf8(masked.get_output().stdout.clone()).unwrap();
    assert!(!out.contains("AHVzZXIAaHVudGVyMg=="), "{out}");
    assert!(out.contains("AUTH PLAIN ********"));
    let revealed = smtpscope()
        .args(["--json", "--reveal-secrets", path])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&revealed.get_output().stdout).contains("AHVzZXIAaHVudGVyMg=="));
}
