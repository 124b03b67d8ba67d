//! The command line against hostile logs, leaked credentials and bad files: every message names
//! the file, the other inputs still load, and nothing raw reaches the terminal.

use assert_cmd::Command;
use base64::Engine;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn smtpscope() -> Command {
    let mut c = Command::cargo_bin("smtpscope").expect("binary built");
    c.timeout(Duration::from_secs(60));
    c
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs")
        .join(name)
}

fn stdout_of(args: &[&str]) -> (String, String) {
    let out = smtpscope().args(args).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PASSWORD: &str = "Zq-Cli-Secret-4417";
const USER: &str = "zq.cli-user@example.org";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A smtplib debug log logging in with AUTH LOGIN (user, password answering the 334s) after
/// a failed AUTH PLAIN.
fn smtplib_auth_log() -> String {
    let plain = b64(&format!("\0{USER}\0{PASSWORD}"));
    [
        "connect: ('mail.example.net', 587)".to_owned(),
        "reply: b'220 mail.example.net ESMTP\\r\\n'".into(),
        "send: 'ehlo client.example.org\\r\\n'".into(),
        "reply: b'250 AUTH PLAIN LOGIN\\r\\n'".into(),
        format!("send: 'AUTH PLAIN {plain}\\r\\n'"),
        "reply: b'535 5.7.8 Authentication credentials invalid\\r\\n'".into(),
        format!("send: 'AUTH LOGIN {}\\r\\n'", b64(USER)),
        "reply: b'334 UGFzc3dvcmQ6\\r\\n'".into(),
        format!("send: '{}\\r\\n'", b64(PASSWORD)),
        "reply: b'235 2.7.0 Authentication successful\\r\\n'".into(),
        "send: 'quit\\r\\n'".into(),
        "reply: b'221 2.0.0 Bye\\r\\n'".into(),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn credentials_are_masked_in_list_json_and_filter_unless_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("auth.log");
    std::fs::write(&p, smtplib_auth_log()).unwrap();
    let path = p.to_str().unwrap();
    let secrets = [b64(PASSWORD), b64(USER), PASSWORD.to_owned(), USER.to_owned()];
    for mode in ["--list", "--json"] {
        let (out, err) = stdout_of(&[mode, path]);
        assert!(
            out.contains("smtplib") || out.contains("mail.example.net") || out.contains("235"),
            "{out}{err}"
        );
        for s in &secrets {
            assert!(
                !out.contains(s.as_str()) && !err.contains(s.as_str()),
                "{s} in {mode}:\n{out}{err}"
            );
        }
    }
    let (out, _) = stdout_of(&["--json", "--reveal-secrets", path]);
    assert!(
        out.contains(&b64(PASSWORD)),
        "--reveal-secrets shows them:\n{out}"
    );
    // Filtering for the password (or its base64) finds nothing.
    for s in [b64(PASSWORD), PASSWORD.to_owned()] {
        let (out, _) = stdout_of(&["--list", "--filter", &s, path]);
        assert!(out.starts_with("0 sessions"), "filter {s} found:\n{out}");
    }
    let (out, _) = stdout_of(&["--list", "--filter", "235", path]);
    assert!(out.contains("1 sessions"), "{out}");
}

const HOSTILE: &str = "\x1b[2J\x1b]52;c;aGFjaw==\x07\x1b]8;;http://evil.example/\x1b\\x\x08\r\x7f\u{9b}1m\u{85}\u{202e}\u{2066}\u{2069}\u{200f}z";

fn raw_control(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        let u = c as u32;
        (u < 0x20 && c != '\n')
            || u == 0x7f
            || (0x80..0xa0).contains(&u)
            || smtpscope::sanitize::is_bidi_control(c)
    })
}

#[test]
fn hostile_text_and_file_names_are_escaped_on_stdout_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(format!("evil{}.log", HOSTILE.replace('/', "_")));
    let log = format!(
        "1 2026-01-01T10:00:00.000 3 4 ### SMTP Connected to 'mx{HOSTILE}' on port 25.\n\
         2 2026-01-01T10:00:00.100 3 4 S < \"220 mx {HOSTILE}\"\n\
         3 2026-01-01T10:00:00.200 3 4 C > \"EHLO {HOSTILE}\"\n\
         4 2026-01-01T10:00:00.300 3 4 S < \"550 5.7.1 {HOSTILE}\"\n\
         not a 4D line {HOSTILE}\n\
         5 2026-01-01T10:00:00.400 3 4 ### SMTP Connection closed {HOSTILE}\n"
    );
    std::fs::write(&p, log).unwrap();
    let path = p.to_str().unwrap();
    for mode in ["--list", "--json"] {
        let (out, err) = stdout_of(&[mode, path]);
        assert!(!out.is_empty(), "{mode}: {err}");
        assert_eq!(raw_control(&out), None, "{mode} stdout: {out:?}");
        assert_eq!(raw_control(&err), None, "{mode} stderr: {err:?}");
        if mode == "--json" {
            let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
            assert_eq!(
                v["source"].as_str().unwrap(),
                path,
                "the name survives, escaped as JSON"
            );
            assert!(v["events"][1]["text"].as_str().unwrap().contains('\u{202e}'));
        } else {
            assert!(out.contains("1 unparsed lines"), "{out}");
        }
    }
    // A path that cannot be read is escaped in the message.
    let missing = dir.path().join(format!("gone{}.log", HOSTILE.replace('/', "_")));
    let (_, err) = stdout_of(&["--list", missing.to_str().unwrap()]);
    assert!(
        err.contains("cannot read") && err.contains("gone^[[2J"),
        "{err:?}"
    );
    assert_eq!(raw_control(&err), None, "{err:?}");
    // `explain` with a hostile argument, as text and as JSON.
    for args in [
        vec!["explain", &format!("550 5.7.1 {HOSTILE}")],
        vec!["explain", "--json", &format!("550 {HOSTILE}")],
        vec!["explain", HOSTILE],
    ] {
        let (out, err) = stdout_of(&args);
        assert_eq!(raw_control(&out), None, "{args:?}: {out:?}");
        assert_eq!(raw_control(&err), None, "{args:?}: {err:?}");
        assert!(!(out.is_empty() && err.is_empty()));
    }
}

fn good_log_copy(dir: &Path) -> PathBuf {
    let p = dir.join("good.log");
    std::fs::copy(sample("4d-smtp.log"), &p).unwrap();
    p
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn bad_files_in_a_directory_are_named_and_skipped_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    good_log_copy(dir.path());
    let mut bin = vec![0u8, 1, 2, 3, 0xff, 0xfe];
    bin.extend((0..4000u32).map(|i| (i * 7 % 256) as u8));
    std::fs::write(dir.path().join("blob.bin"), bin).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("empty.log"), "").unwrap();
    let fifo = dir.path().join("pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("sock")).unwrap();
    let locked = dir.path().join("locked.log");
    std::fs::copy(sample("4d-smtp.log"), &locked).unwrap();
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let out = smtpscope()
        .timeout(Duration::from_secs(20))
        .args(["--list", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("blob.bin: does not look like a text log"),
        "{stderr}"
    );
    assert!(stderr.contains("pipe: skipped: not a regular file"), "{stderr}");
    assert!(stderr.contains("sock: skipped: not a regular file"), "{stderr}");
    assert!(stderr.contains("sub: skipped: a directory"), "{stderr}");
    assert!(stderr.contains("empty.log: empty file"), "{stderr}");
    if is_root() {
        eprintln!(
            "note: running as root, which reads every file: the permission-denied case is not checked here"
        );
        assert!(stdout.contains("6 sessions"), "{stdout}");
    } else {
        assert!(
            stderr.contains("locked.log: cannot read") && stderr.contains("ermission denied"),
            "{stderr}"
        );
        assert!(stdout.contains("3 sessions"), "{stdout}");
    }
}

#[test]
fn permission_denied_names_the_file() {
    if is_root() {
        eprintln!("note: running as root, which reads every file: permission denied cannot be produced");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = good_log_copy(dir.path());
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (_, err) = stdout_of(&["--list", p.to_str().unwrap()]);
    assert!(
        err.contains("good.log: cannot read") && err.contains("try sudo"),
        "{err}"
    );
}

#[test]
fn a_file_deleted_while_open_is_still_read() {
    use smtpscope::load::{load_reader, LoadOptions};
    let dir = tempfile::tempdir().unwrap();
    let p = good_log_copy(dir.path());
    let file = std::fs::File::open(&p).unwrap();
    std::fs::remove_file(&p).unwrap();
    let (sessions, _) = load_reader(
        "deleted".into(),
        std::io::BufReader::new(file),
        &LoadOptions::default(),
        2026,
    )
    .unwrap();
    assert_eq!(sessions.len(), 3);
}

#[test]
fn a_truncated_gzip_says_so_and_shows_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..2000 {
        log.push_str(&format!(
            "{} 2026-03-02T09:14:02.000 12 {i} ### SMTP Connected to 'mx{i}.example.net' on port 25.\n\
             {} 2026-03-02T09:14:02.100 12 {i} S < \"220 mx ESMTP {i:08x}{}\"\n\
             {} 2026-03-02T09:14:02.200 12 {i} ### SMTP Connection closed\n",
            3 * i + 1,
            3 * i + 2,
            (i * 7919) % 104729,
            3 * i + 3
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(log.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let p = dir.path().join("cut.log.gz");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let (out, err) = stdout_of(&["--list", p.to_str().unwrap()]);
    assert!(err.contains("cut.log.gz: reading stopped early"), "{err}");
    let footer = out.lines().last().unwrap();
    let n: usize = footer.split(' ').next().unwrap().parse().unwrap();
    assert!(n > 10 && n < 2000, "{footer}");
}

#[test]
fn nul_bytes_in_the_middle_of_a_text_log_cost_only_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = std::fs::read(sample("4d-smtp.log")).unwrap();
    let mid = data.len() / 2;
    let at = mid + data[mid..].iter().position(|&b| b == b'\n').unwrap() + 1;
    data.splice(at..at, b"\0\0\0garbage\0with NULs\0\n".iter().copied());
    let p = dir.path().join("nul.log");
    std::fs::write(&p, data).unwrap();
    let (out, err) = stdout_of(&["--list", p.to_str().unwrap()]);
    let (before, _) = stdout_of(&["--list", sample("4d-smtp.log").to_str().unwrap()]);
    let unparsed = |t: &str| -> u64 {
        let footer = t.lines().last().unwrap_or_default();
        footer
            .split("; ")
            .nth(1)
            .map_or(0, |u| u.split(' ').next().unwrap().parse().unwrap())
    };
    assert!(out.contains("3 sessions"), "{out}{err}");
    assert_eq!(unparsed(&out), unparsed(&before) + 1, "{out}");
    assert_eq!(raw_control(&out), None);
}

/// A 4D log of `n` short sessions (connect, greeting, close).
fn many_sessions(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(
            f,
            "{} 2026-03-02T09:14:02.000 12 {i} ### SMTP Connected to 'mx.example.net' on port 25.\n\
             {} 2026-03-02T09:14:02.100 12 {i} S < \"220 mx ESMTP\"\n\
             {} 2026-03-02T09:14:02.200 12 {i} ### SMTP Connection closed",
            3 * i + 1,
            3 * i + 2,
            3 * i + 3
        )
        .unwrap();
    }
    f.flush().unwrap();
}

fn list_tail_of_many(n: usize, limit: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.log");
    many_sessions(&p, n);
    let started = std::time::Instant::now();
    let out = smtpscope()
        .timeout(limit)
        .args(["--list", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    assert!(tail[0].starts_with(&format!("{n} sessions")), "{tail:?}");
    assert!(
        tail[1].contains("mx.example.net") || tail[1].contains("4d:"),
        "{tail:?}"
    );
    eprintln!("{n} sessions listed in {:?}", started.elapsed());
}

#[test]
fn a_hundred_thousand_sessions_load_in_bounded_time() {
    list_tail_of_many(100_000, Duration::from_secs(60));
}

/// The full-size variant: minutes in a debug build, so run it with `--ignored` (or in release).
#[test]
#[ignore]
fn a_million_sessions_load_and_list() {
    list_tail_of_many(1_000_000, Duration::from_secs(600));
}
