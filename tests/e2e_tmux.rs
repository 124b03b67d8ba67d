//! The real binary in a real terminal (tmux at 80×24): keys reach the viewer, the screen
//! shows what they did, and the shell is usable afterwards, also after a panic. Skips with a
//! message when tmux is not installed (`.ci/run` installs it).

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    /// The server's socket file, removed on drop so test runs leave nothing behind.
    socket_path: Option<std::path::PathBuf>,
}

impl Tmux {
    /// A detached 80×24 session running a plain `sh`, or `None` when tmux is missing.
    fn start(name: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipping {name}: tmux is not installed");
            return None;
        }
        let mut t = Tmux {
            socket: format!("smtpscope-{name}-{}", std::process::id()),
            socket_path: None,
        };
        let ok = t
            .cmd(&[
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
                "-s",
                "e2e",
            ])
            .arg("env PS1='$ ' LANG=C.UTF-8 sh")
            .status()
            .expect("running tmux")
            .success();
        assert!(ok, "tmux new-session failed");
        let out = t
            .cmd(&["display-message", "-p", "#{socket_path}"])
            .output()
            .unwrap();
        let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        t.socket_path = (!path.is_empty()).then(|| path.into());
        t.wait_for("the shell prompt", |s| s.contains('$'));
        Some(t)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        // -u: UTF-8 regardless of the locale the test runs under.
        c.args(["-u", "-L", &self.socket]).args(args);
        c
    }

    fn capture(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p", "-t", "e2e"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        assert!(self
            .cmd(&["send-keys", "-t", "e2e", "-l", text])
            .status()
            .unwrap()
            .success());
    }

    /// Sends named keys (`Enter`, `Escape`, `j`).
    fn keys(&self, keys: &[&str]) {
        assert!(self
            .cmd(&["send-keys", "-t", "e2e"])
            .args(keys)
            .status()
            .unwrap()
            .success());
    }

    fn alternate_screen(&self) -> bool {
        let out = self
            .cmd(&["display-message", "-p", "-t", "e2e", "#{alternate_on}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Polls the screen until `pred` holds (10 s at most), returning the screen.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn start_viewer(&self, env: &str) {
        let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/4d-smtp.log");
        self.start_viewer_on(env, sample);
        self.wait_for("the viewer", |s| s.contains("Sessions 1/3"));
    }

    /// Types the command that opens the viewer on `log`, without waiting for it.
    fn start_viewer_on(&self, env: &str, log: &str) {
        let bin = env!("CARGO_BIN_EXE_smtpscope");
        self.type_text(&format!("{env} '{bin}' '{log}'"));
        self.keys(&["Enter"]);
    }

    /// The shell reads a line in cooked mode again: what is typed echoes and Enter runs it.
    fn assert_shell_usable(&self) {
        self.wait_for("the shell prompt after the viewer", |s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim() == "$")
        });
        assert!(!self.alternate_screen(), "alternate screen left on");
        self.type_text("echo DONE-$((1+1))");
        self.keys(&["Enter"]);
        let screen = self.wait_for("the shell to run a command", |s| s.contains("DONE-2"));
        assert!(
            screen.contains("echo DONE-$((1+1))"),
            "typed text did not echo:\n{screen}"
        );
    }
}

impl Tmux {
    /// CPU time (clock ticks) the program running in the pane uses over `span`, from /proc;
    /// `None` where there is no /proc.
    fn viewer_cpu_ticks(&self, span: Duration) -> Option<u64> {
        let out = self
            .cmd(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"])
            .output()
            .ok()?;
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        let pid = children.split_whitespace().next()?.to_owned();
        let ticks = || -> Option<u64> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
            Some(fields[11].parse::<u64>().ok()? + fields[12].parse::<u64>().ok()?)
        };
        let before = ticks()?;
        std::thread::sleep(span);
        Some(ticks()? - before)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[test]
fn keys_drive_the_viewer_and_quit_restores_the_shell() {
    let Some(t) = Tmux::start("keys") else { return };
    t.start_viewer("");
    let screen = t.capture();
    assert!(screen.contains("✘ FAIL") && screen.contains("◐ PART"), "{screen}");
    assert!(screen.contains("Transcript"), "both panes at 80x24:\n{screen}");
    assert!(t.alternate_screen());

    t.keys(&["j"]);
    t.wait_for("the second session", |s| {
        s.contains("Sessions 2/3") && s.contains("PART  some recipients")
    });

    t.keys(&["/"]);
    t.type_text("gmail");
    t.keys(&["Enter"]);
    t.wait_for("the search match", |s| {
        s.contains("search: gmail") && s.contains("Sessions 1/3")
    });

    t.keys(&["f"]);
    t.type_text("6xx");
    t.wait_for("the inline filter error", |s| {
        s.contains("start with 2, 3, 4 or 5")
    });
    t.keys(&["C-u"]);
    t.type_text("535");
    t.keys(&["Enter"]);
    let s = t.wait_for("the filter", |s| {
        s.contains("filter: 535") && s.contains("Sessions 1/1 of 3")
    });
    assert!(s.contains("smtp.gmail"), "{s}");

    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| s.contains("Keys (? or Esc closes"));
    t.keys(&["?"]);
    t.wait_for("the help to close", |s| !s.contains("Keys (? or Esc closes"));

    t.keys(&["q"]);
    t.wait_for("the viewer to exit", |s| !s.contains("Sessions 1/1"));
    t.assert_shell_usable();
}

#[test]
fn a_panic_inside_the_viewer_restores_the_terminal() {
    let Some(t) = Tmux::start("panic") else { return };
    t.start_viewer("SMTPSCOPE_DEBUG_PANIC=1");
    t.keys(&["j"]);
    t.wait_for("the panic message", |s| s.contains("deliberate panic"));
    t.assert_shell_usable();
}

#[test]
fn ctrl_z_suspends_to_the_shell_and_fg_resumes() {
    let Some(t) = Tmux::start("suspend") else { return };
    t.start_viewer("");
    t.keys(&["j"]);
    t.wait_for("the second session", |s| s.contains("Sessions 2/3"));
    t.keys(&["C-z"]);
    t.wait_for("the shell after suspending", |s| {
        s.to_lowercase().contains("stopped")
    });
    assert!(
        !t.alternate_screen(),
        "suspended viewer left the alternate screen on"
    );
    t.type_text("fg");
    t.keys(&["Enter"]);
    t.wait_for("the viewer to come back as it was", |s| {
        s.contains("Sessions 2/3") && s.contains("Transcript")
    });
    t.keys(&["q"]);
    t.assert_shell_usable();
}

/// `smtpscope -f FILE` on a terminal: the live viewer. A session appears as `OPEN` while its
/// lines arrive and turns `OK` when the message is accepted; `q` exits at once although the
/// follower is still watching the file.
#[test]
fn live_tail_viewer_shows_a_session_grow_and_quits_promptly() {
    use std::io::Write;
    let Some(t) = Tmux::start("live") else { return };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("send.log");
    std::fs::write(&log, "").unwrap();
    let bin = env!("CARGO_BIN_EXE_smtpscope");
    t.type_text(&format!("'{bin}' -f '{}'", log.display()));
    t.keys(&["Enter"]);
    t.wait_for("the live viewer", |s| {
        s.contains("LIVE") && s.contains("Waiting for sessions")
    });
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let mut append = |lines: &[&str]| {
        for l in lines {
            f.write_all(format!("{l}\n").as_bytes()).unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(30));
        }
    };
    append(&[
        "connect: to ('mx.example.net', 25) None",
        r"reply: b'220 mx.example.net ESMTP\r\n'",
        r"send: 'ehlo client.example.org\r\n'",
        r"reply: b'250 mx.example.net\r\n'",
        r"send: 'mail FROM:<me@example.org>\r\n'",
        r"reply: b'250 2.1.0 Ok\r\n'",
    ]);
    let s = t.wait_for("the open session", |s| {
        s.contains("… OPEN") && s.contains("mail FROM:<me@example.org>")
    });
    assert!(s.contains("Sessions 1/1") && s.contains("LIVE"), "{s}");
    append(&[
        r"send: 'rcpt TO:<you@example.net>\r\n'",
        r"reply: b'250 2.1.5 Ok\r\n'",
        r"send: 'data\r\n'",
        r"reply: b'354 Go ahead\r\n'",
        r"send: b'Subject: test\r\n\r\nhello\r\n.\r\n'",
        r"reply: b'250 2.0.0 Ok: queued as 4F2A\r\n'",
        r"send: 'quit\r\n'",
        r"reply: b'221 2.0.0 Bye\r\n'",
    ]);
    let s = t.wait_for("the session to turn OK", |s| s.contains("✔ OK"));
    assert!(!s.contains("… OPEN"), "{s}");
    assert!(
        s.contains("221 2.0.0 Bye"),
        "transcript followed to its end:\n{s}"
    );
    if let Some(ticks) = t.viewer_cpu_ticks(Duration::from_millis(1500)) {
        // A tick is 10 ms; a viewer redrawing on a timer or spinning would use far more.
        assert!(ticks <= 5, "{ticks} ticks of CPU in 1.5 s on an idle file");
    }
    let asked = Instant::now();
    t.keys(&["q"]);
    t.assert_shell_usable();
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "quitting took {:?}",
        asked.elapsed()
    );
}

/// `… | smtpscope -f -` on a terminal: when standard input ends, every session is final and
/// becomes a compact row, read back from the input kept as it passed: the transcript still
/// shows the log's own lines.
#[test]
fn live_viewer_on_standard_input_reads_rows_back_from_the_kept_input() {
    let Some(t) = Tmux::start("livestdin") else { return };
    let bin = env!("CARGO_BIN_EXE_smtpscope");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/4d-smtp.log");
    t.type_text(&format!("cat '{sample}' | '{bin}' -f -"));
    t.keys(&["Enter"]);
    // Following: the newest session, its transcript at its end.
    let s = t.wait_for("the ended live viewer", |s| {
        s.contains("ENDED") && s.contains("Sessions 3/3") && s.contains("530 5.7.57")
    });
    assert!(!s.contains("could not read"), "{s}");
    t.keys(&["g"]);
    let s = t.wait_for("the first session's transcript", |s| {
        s.contains("Sessions 1/3") && s.contains("220 smtp.gmail.com")
    });
    assert!(!s.contains("could not read"), "{s}");
    t.keys(&["q"]);
    t.assert_shell_usable();
}

#[test]
fn a_panic_while_drawing_restores_the_terminal() {
    let Some(t) = Tmux::start("drawpanic") else { return };
    t.start_viewer("SMTPSCOPE_DEBUG_PANIC=draw");
    t.keys(&["j"]);
    t.wait_for("the panic message", |s| {
        s.contains("deliberate panic while drawing")
    });
    t.assert_shell_usable();
}

#[test]
fn a_panic_in_the_loader_is_shown_and_quitting_restores_the_terminal() {
    let Some(t) = Tmux::start("loaderpanic") else {
        return;
    };
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/4d-smtp.log");
    t.start_viewer_on("SMTPSCOPE_DEBUG_PANIC=loader", sample);
    t.wait_for("the loader's problem in the viewer", |s| {
        s.contains("internal error while loading") && s.contains("Sessions")
    });
    assert!(
        t.alternate_screen(),
        "the viewer keeps the terminal after a loader panic"
    );
    t.keys(&["q"]);
    let screen = t.wait_for("the problem printed on exit", |s| {
        s.contains("smtpscope: internal error while loading")
    });
    assert!(screen.contains("SMTPSCOPE_DEBUG_PANIC=loader"), "{screen}");
    t.assert_shell_usable();
}

/// A panic in live tail's follower (a parser bug there) is a problem the live viewer shows,
/// the screen untouched, as for the loader.
#[test]
fn a_panic_in_the_follower_is_shown_and_quitting_restores_the_terminal() {
    let Some(t) = Tmux::start("followpanic") else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_smtpscope");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/4d-smtp.log");
    t.type_text(&format!("SMTPSCOPE_DEBUG_PANIC=follow '{bin}' -f '{sample}'"));
    t.keys(&["Enter"]);
    t.wait_for("the follower's problem in the live viewer", |s| {
        s.contains("internal error while loading") && s.contains("LIVE")
    });
    assert!(
        t.alternate_screen(),
        "the viewer keeps the terminal after a follower panic"
    );
    t.keys(&["q"]);
    let screen = t.wait_for("the problem printed on exit", |s| {
        s.contains("smtpscope: internal error while loading")
    });
    assert!(screen.contains("SMTPSCOPE_DEBUG_PANIC=follow"), "{screen}");
    t.assert_shell_usable();
}

#[test]
fn a_panic_while_making_rows_is_shown_as_a_loader_problem() {
    let Some(t) = Tmux::start("rowspanic") else {
        return;
    };
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/postfix-maillog.log");
    // Loaded as a big file is (rows made on their own thread), whatever its size.
    t.start_viewer_on("SMTPSCOPE_DEBUG_PANIC=rows SMTPSCOPE_COMPACT_FROM=0", sample);
    t.wait_for("the rows thread's problem in the viewer", |s| {
        s.contains("internal error while loading") && s.contains("Sessions")
    });
    assert!(
        t.alternate_screen(),
        "the viewer keeps the terminal after a panic making rows"
    );
    t.keys(&["q"]);
    let screen = t.wait_for("the problem printed on exit", |s| {
        s.contains("smtpscope: internal error while loading")
    });
    assert!(screen.contains("SMTPSCOPE_DEBUG_PANIC=rows"), "{screen}");
    t.assert_shell_usable();
}

#[test]
fn the_viewer_leaves_its_input_untouched_and_will_not_save_over_it() {
    let Some(t) = Tmux::start("readonly") else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.log");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/4d-smtp.log"),
        &input,
    )
    .unwrap();
    let before = std::fs::read(&input).unwrap();
    let mtime = std::fs::metadata(&input).unwrap().modified().unwrap();
    t.start_viewer_on("", input.to_str().unwrap());
    t.wait_for("the viewer", |s| s.contains("Sessions 1/3"));
    t.keys(&["j", "Enter", "G", "/"]);
    t.type_text("550");
    t.keys(&["Enter", "s"]);
    t.type_text(input.to_str().unwrap());
    t.keys(&["Enter"]);
    t.wait_for("the refusal", |s| {
        s.contains("not saved") && s.contains("one of the logs being read")
    });
    let saved = dir.path().join("saved.txt");
    t.keys(&["s"]);
    t.type_text(saved.to_str().unwrap());
    t.keys(&["Enter"]);
    t.wait_for("the save", |s| s.contains("saved the transcript"));
    t.keys(&["s"]);
    t.type_text(saved.to_str().unwrap());
    t.keys(&["Enter"]);
    t.wait_for("no overwrite", |s| s.contains("already exists"));
    t.keys(&["q"]);
    t.assert_shell_usable();
    assert_eq!(std::fs::read(&input).unwrap(), before, "input changed");
    assert_eq!(
        std::fs::metadata(&input).unwrap().modified().unwrap(),
        mtime,
        "input mtime changed"
    );
    assert!(std::fs::read_to_string(&saved).unwrap().contains("550 5.1.1"));
}

/// A big file's sessions reach the viewer as compact rows (forced here for a small file): the
/// transcript on screen is read back from the file, and a text filter searches the file.
#[test]
fn compact_rows_are_read_back_from_the_file_when_shown() {
    browse_compact_rows("compact", "SMTPSCOPE_COMPACT_FROM=0");
}

/// As above with no helper thread to be had (a process limit): the loader parses and makes
/// the rows itself, and the viewer shows the same.
#[test]
fn compact_rows_are_the_same_without_helper_threads() {
    browse_compact_rows(
        "onethread",
        "SMTPSCOPE_COMPACT_FROM=0 SMTPSCOPE_DEBUG_NO_THREADS=1",
    );
}

fn browse_compact_rows(name: &str, env: &str) {
    let Some(t) = Tmux::start(name) else { return };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("maillog");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/postfix-maillog.log");
    std::fs::copy(sample, &log).unwrap();
    t.start_viewer_on(env, log.to_str().unwrap());
    t.wait_for("the first session read back", |s| {
        s.contains("Sessions 1/16") && s.contains("CONNECT from [198.51.100.23]")
    });
    t.keys(&["f"]);
    t.type_text("203.0.113.66");
    t.keys(&["Enter"]);
    t.wait_for("the text filter over rows", |s| {
        s.contains("Sessions 1/1 of 16") && s.contains("unknown[203.0.113.66] → mx1")
    });
    t.keys(&["c"]);
    t.wait_for("the filter cleared", |s| s.contains("Sessions 3/16"));
    t.keys(&["G"]);
    t.wait_for("the last session read back", |s| {
        s.contains("Sessions 16/16") && s.contains("OPEN") && s.contains("slow.example")
    });
    t.keys(&["q"]);
    t.assert_shell_usable();
}
