//! A real test send, end to end: a tiny SMTP server on 127.0.0.1, Python's smtplib sending
//! one message with `set_debuglevel(2)` and its stderr going to a file, and `smtpscope -f
//! --json FILE` following that file. Only loopback traffic; bounded in time.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Answers one SMTP conversation: greeting, EHLO, MAIL, RCPT, DATA, QUIT.
fn serve_one(stream: TcpStream) {
    let mut out = stream.try_clone().unwrap();
    let mut say = |s: &str| out.write_all(format!("{s}\r\n").as_bytes()).unwrap();
    say("220 mail.example.net ESMTP test server");
    let mut lines = BufReader::new(stream).lines();
    let mut in_data = false;
    while let Some(Ok(line)) = lines.next() {
        if in_data {
            if line == "." {
                in_data = false;
                say("250 2.0.0 Ok: queued as 7F3A21");
            }
            continue;
        }
        let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                say("250-mail.example.net");
                say("250-PIPELINING");
                say("250 8BITMIME");
            }
            "MAIL" => say("250 2.1.0 Ok"),
            "RCPT" => say("250 2.1.5 Ok"),
            "DATA" => {
                in_data = true;
                say("354 End data with <CR><LF>.<CR><LF>");
            }
            "QUIT" => {
                say("221 2.0.0 Bye");
                return;
            }
            _ => say("502 5.5.2 Error: command not recognized"),
        }
    }
}

const CLIENT: &str = r#"
import smtplib, sys
s = smtplib.SMTP()
s.set_debuglevel(2)
s.connect("127.0.0.1", int(sys.argv[1]))
s.ehlo("client.example.org")
s.sendmail("alice@example.org", ["bob@example.net"], "Subject: live tail test\r\n\r\nHello.\r\n")
s.quit()
"#;

#[test]
fn a_python_smtplib_send_is_followed_live() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            serve_one(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("send.log");
    // smtpscope starts first: the transcript file does not exist yet.
    let mut scope = Command::new(env!("CARGO_BIN_EXE_smtpscope"))
        .args(["-f", "--json"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = scope.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    thread::sleep(Duration::from_millis(200));
    let client = Command::new("python3")
        .arg("-c")
        .arg(CLIENT)
        .arg(port.to_string())
        .stderr(std::fs::File::create(&log).unwrap())
        .status()
        .expect("python3 must be installed to run this test");
    assert!(
        client.success(),
        "the smtplib client failed: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    let got = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    let _ = scope.kill();
    let _ = scope.wait();
    let line = got.unwrap_or_else(|_| {
        panic!(
            "no session printed within 10 s; transcript:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["format"], "smtplib");
    assert_eq!(v["status"], "success", "{line}");
    assert_eq!(v["code"], "250");
    assert_eq!(v["enhanced"], "2.0.0");
    assert_eq!(v["server"], format!("127.0.0.1:{port}"));
    assert_eq!(v["closed"], true);
    let events = v["events"].as_array().unwrap();
    assert!(events
        .iter()
        .any(|e| e["dir"] == "client" && e["text"] == "ehlo client.example.org"));
    // Level 2 stamps every line with the time of day.
    assert!(v["start"]
        .as_str()
        .is_some_and(|s| s.len() >= 8 && s.as_bytes()[2] == b':'));
}
