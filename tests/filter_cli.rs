//! `--filter`, `--since`, `--until` on the non-interactive outputs, and the list a pipe gets
//! instead of the viewer.

use assert_cmd::Command;
use predicates::prelude::*;

fn sample() -> String {
    format!("{}/sample-logs/4d-smtp.log", env!("CARGO_MANIFEST_DIR"))
}

fn stdout(args: &[&str]) -> String {
    let out = Command::cargo_bin("smtpscope")
        .unwrap()
        .args(args)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn filter_applies_to_list_and_json() {
    let list = stdout(&["--list", "--filter", "535", &sample()]);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains("535 5.7.8") && list.contains("1 sessions: 0 OK, 1 FAIL"));
    let json = stdout(&["--json", "--filter", "5.7.* failed", &sample()]);
    assert_eq!(json.lines().count(), 2, "{json}");
    let json = stdout(&["--json", "--filter", "partial", &sample()]);
    assert!(json.contains("\"status\":\"partial\"") && json.lines().count() == 1);
}

#[test]
fn since_and_until_narrow_by_time() {
    let list = stdout(&[
        "--list",
        "--since",
        "2026-03-02 09:15",
        "--until",
        "10:00",
        &sample(),
    ]);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains("PART"));
}

#[test]
fn relative_times_can_follow_the_option_directly() {
    // The sample is from 2026-03-02: nothing in it is within the last hour of any test run
    // after that day, everything is within the last 100000 days.
    let none = stdout(&["--list", "--since", "-1h", &sample()]);
    assert!(none.starts_with("0 sessions"), "{none}");
    let all = stdout(&["--list", "--since", "-100000d", &sample()]);
    assert!(all.contains("3 sessions"), "{all}");
}

#[test]
fn invalid_filter_is_a_usage_error() {
    Command::cargo_bin("smtpscope")
        .unwrap()
        .args(["--list", "--filter", "6xx", &sample()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("start with 2, 3, 4 or 5"));
}

#[test]
fn a_pipe_gets_the_list_instead_of_the_viewer() {
    let out = stdout(&[&sample()]);
    assert!(out.contains("3 sessions") && !out.contains('\x1b'), "{out}");
}
