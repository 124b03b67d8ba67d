//! `smtpscope -f` from the command line: standard input followed to its end.
mod common;
use assert_cmd::Command;
use predicates::prelude::*;

fn smtpscope() -> Command {
    Command::cargo_bin("smtpscope").unwrap()
}

#[test]
fn follow_stdin_lists_every_session_and_the_footer_at_eof() {
    let log = std::fs::read(common::sample("4d-smtp.log")).unwrap();
    smtpscope()
        .args(["-f", "-"])
        .write_stdin(log)
        .timeout(std::time::Duration::from_secs(10))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("FAIL")
                .and(predicate::str::contains("PART"))
                .and(predicate::str::contains(
                    "3 sessions: 0 OK, 2 FAIL, 1 PART, 0 OPEN",
                )),
        );
}

#[test]
fn follow_json_prints_one_object_per_session_open_ones_at_the_end() {
    let mut log = std::fs::read_to_string(common::sample("python-smtplib-debug1.log")).unwrap();
    // A session that never ends: printed, as open, when the input ends.
    log.push_str("connect: to ('mx.example.net', 25) None\nreply: b'220 mx.example.net ESMTP\\r\\n'\n");
    let out = smtpscope()
        .args(["-f", "--json", "-"])
        .write_stdin(log)
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert!(out.status.success());
    let statuses: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["partial", "failure", "open"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 sessions"));
}

#[test]
fn follow_masks_credentials_unless_asked() {
    let log = std::fs::read(common::sample("python-smtplib-debug2.log")).unwrap();
    smtpscope()
        .args(["-f", "--json", "-"])
        .write_stdin(log.clone())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("AUTH PLAIN ********")
                .and(predicate::str::contains("AGJ1aWxkYm90").not()),
        );
    smtpscope()
        .args(["-f", "--json", "--reveal-secrets", "-"])
        .write_stdin(log)
        .assert()
        .success()
        .stdout(predicate::str::contains("AGJ1aWxkYm90AGh1bnRlcjI="));
}

/// CPU time (user + system, in clock ticks) a process has used so far, from /proc.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Following an idle file costs next to no CPU, with inotify and when polling.
#[test]
fn idle_follow_uses_almost_no_cpu() {
    if !std::path::Path::new("/proc/self/stat").exists() {
        return; // no /proc: nothing to measure with
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("idle.log");
    std::fs::write(
        &log,
        std::fs::read(common::sample("python-smtplib-debug1.log")).unwrap(),
    )
    .unwrap();
    for extra in [None, Some("--poll")] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_smtpscope"))
            .args(["-f", "--list"])
            .args(extra)
            .arg(&log)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Let it read the file and settle, then measure a quiet second.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let before = cpu_ticks(child.id());
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let used = cpu_ticks(child.id()) - before;
        let _ = child.kill();
        let _ = child.wait();
        // A tick is 10 ms: a spinning loop would use ~150 here.
        assert!(used <= 5, "{extra:?}: {used} ticks in 1.5 s idle");
    }
}

#[test]
fn follow_stdin_with_binary_data_says_why_and_exits_1() {
    smtpscope()
        .args(["-f", "-"])
        .write_stdin(vec![0u8, 159, 146, 150, 0, 0, 1, 2, 3, 0, 0, 0, b'\n'])
        .timeout(std::time::Duration::from_secs(10))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("does not look like a text log"));
}

#[test]
fn follow_stdin_survives_huge_lines_and_invalid_utf8() {
    let mut log = std::fs::read(common::sample("python-smtplib-debug1.log")).unwrap();
    log.extend(std::iter::repeat_n(b'x', 200_000));
    log.extend(b"\n\xff\xfe reply: junk\n");
    let out = smtpscope()
        .args(["-f", "--json", "-"])
        .write_stdin(log)
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 unparsed lines"));
}

/// One smtplib (debug level 1) session to `host`: delivered, refused at AUTH (535), or
/// still open (greeting only).
fn smtplib_session(host: &str, kind: &str) -> String {
    let mut t = format!(
        "connect: to ('{host}', 25) None\nreply: b'220 {host} ESMTP\\r\\n'\n\
         send: 'ehlo client.example.org\\r\\n'\nreply: b'250 {host}\\r\\n'\n"
    );
    match kind {
        "ok" => t.push_str(
            "send: 'mail FROM:<a@example.org>\\r\\n'\nreply: b'250 2.1.0 Ok\\r\\n'\n\
             send: 'rcpt TO:<b@example.net>\\r\\n'\nreply: b'250 2.1.5 Ok\\r\\n'\n\
             send: 'data\\r\\n'\nreply: b'354 Go ahead\\r\\n'\n\
             send: b'Subject: hi\\r\\n\\r\\nhello\\r\\n.\\r\\n'\nreply: b'250 2.0.0 Ok: queued\\r\\n'\n\
             send: 'quit\\r\\n'\nreply: b'221 2.0.0 Bye\\r\\n'\n",
        ),
        "535" => t.push_str(
            "send: 'AUTH PLAIN AGFAZXhhbXBsZS5vcmcAd3Jvbmc=\\r\\n'\n\
             reply: b'535 5.7.8 Error: authentication failed\\r\\n'\n",
        ),
        _ => {}
    }
    t
}

#[test]
fn follow_list_prints_only_finished_sessions_matching_the_filter() {
    let log = [
        smtplib_session("mx1.example.net", "ok"),
        smtplib_session("mx2.example.net", "535"),
        smtplib_session("mx3.example.net", "ok"),
        smtplib_session("mx4.example.net", "open"),
    ]
    .concat();
    let out = smtpscope()
        .args(["-f", "--list", "--filter", "5xx", "-"])
        .write_stdin(log.clone())
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one session and the footer:\n{text}");
    assert!(
        lines[0].contains("mx2.example.net") && lines[0].contains("535"),
        "{text}"
    );
    assert_eq!(lines[1], "1 sessions: 0 OK, 1 FAIL, 0 PART, 0 OPEN");
    // The same input without the filter prints all four (the open one at the end).
    let all = smtpscope()
        .args(["-f", "--list", "-"])
        .write_stdin(log)
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&all.stdout).contains("4 sessions: 2 OK, 1 FAIL, 0 PART, 1 OPEN"));
}

#[test]
fn follow_json_applies_since() {
    let log = std::fs::read(common::sample("4d-smtp.log")).unwrap();
    let out = smtpscope()
        .args(["-f", "--json", "--since", "2026-03-02T10:00", "-"])
        .write_stdin(log)
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert!(out.status.success());
    let codes: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["code"].to_string())
        .collect();
    assert_eq!(codes, ["\"530\""], "only the session after 10:00");
}

/// A followed file (not standard input): a matching session is printed as soon as it has
/// finished, while the follower keeps running.
#[test]
fn follow_file_prints_a_matching_session_when_it_finishes() {
    use std::io::{BufRead, Write};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("send.log");
    std::fs::write(&path, smtplib_session("mx1.example.net", "ok")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_smtpscope"))
        .args(["-f", "--list", "--filter", "failed"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(smtplib_session("mx2.example.net", "535").as_bytes())
        .unwrap();
    f.write_all(smtplib_session("mx3.example.net", "ok").as_bytes())
        .unwrap();
    let line = rx.recv_timeout(std::time::Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("the failed session was printed while following");
    assert!(
        line.contains("mx2.example.net") && line.contains("FAIL"),
        "{line}"
    );
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(200)).is_err(),
        "nothing else matches"
    );
}
