//! The live-tail engine against a file that a writer thread grows in random pieces, rotates,
//! truncates, deletes and recreates while the follower runs.
//!
//! Model of the updates: a map keyed by `(source, index)`. A followed path is one source for
//! its whole life, so after rotation or truncation new sessions continue with the next
//! indices and line numbers keep counting; the followed sessions must therefore equal what a
//! one-shot load of everything ever written (concatenated) gives, exactly.

use smtpscope::feed::Update;
use smtpscope::load::{load_reader, LoadOptions};
use smtpscope::model::{Session, Status};
use smtpscope::source::follow::{spawn_follower_with, FollowOptions};
use smtpscope::source::Input;
use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Small deterministic generator (xorshift64*), so chunk boundaries repeat run to run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// One smtplib (debug level 1) session; the kind cycles through failure, success, partial.
/// The last session never ends.
fn session_text(i: usize, last: bool) -> String {
    let host = format!("mx{i}.example.net");
    let mut t = format!(
        "connect: to ('{host}', 25) None\nreply: b'220 {host} ESMTP\\r\\n'\nreply: retcode (220); Msg: b'{host} ESMTP'\n\
         send: 'ehlo client.example.org\\r\\n'\nreply: b'250-{host}\\r\\n'\nreply: b'250-PIPELINING\\r\\n'\n\
         reply: b'250-AUTH PLAIN\\r\\n'\nreply: b'250 8BITMIME\\r\\n'\nreply: retcode (250); Msg: b'{host}\\nPIPELINING\\nAUTH PLAIN\\n8BITMIME'\n"
    );
    if last {
        t.push_str("send: 'mail FROM:<a@example.org>\\r\\n'\nreply: b'250 2.1.0 Ok\\r\\n'\n");
        return t;
    }
    match i % 3 {
        0 => t.push_str(
            "send: 'AUTH PLAIN AGFAZXhhbXBsZS5vcmcAd3Jvbmc=\\r\\n'\nreply: b'535 5.7.8 Error: authentication failed\\r\\n'\n",
        ),
        1 => t.push_str(
            "send: 'mail FROM:<a@example.org>\\r\\n'\nreply: b'250 2.1.0 Ok\\r\\n'\nsend: 'rcpt TO:<b@example.net>\\r\\n'\n\
             reply: b'250 2.1.5 Ok\\r\\n'\nsend: 'data\\r\\n'\nreply: b'354 Go ahead\\r\\n'\n\
             send: b'Subject: n\\r\\n\\r\\nhello\\r\\n.\\r\\n'\nreply: b'250 2.0.0 Ok: queued\\r\\n'\n",
        ),
        _ => t.push_str(
            "send: 'mail FROM:<a@example.org>\\r\\n'\nreply: b'250 2.1.0 Ok\\r\\n'\nsend: 'rcpt TO:<b@example.net>\\r\\n'\n\
             reply: b'250 2.1.5 Ok\\r\\n'\nsend: 'rcpt TO:<gone@example.net>\\r\\n'\nreply: b'550 5.1.1 User unknown\\r\\n'\n\
             send: 'data\\r\\n'\nreply: b'354 Go ahead\\r\\n'\nsend: b'Subject: n\\r\\n\\r\\nhello\\r\\n.\\r\\n'\nreply: b'250 2.0.0 Ok: queued\\r\\n'\n",
        ),
    }
    t.push_str("send: 'quit\\r\\n'\nreply: b'221 Bye\\r\\n'\nreply: retcode (221); Msg: b'Bye'\n");
    t
}

fn expected_status(i: usize, last: bool) -> Status {
    if last {
        return Status::Open;
    }
    [Status::Failure, Status::Success, Status::Partial][i % 3]
}

fn append(path: &Path) -> fs::File {
    OpenOptions::new().create(true).append(true).open(path).unwrap()
}

/// What the follower has told so far; the writer reads `lines` to wait for it to catch up.
struct Model {
    sessions: BTreeMap<(usize, usize), Session>,
    problems: Vec<String>,
}

fn apply(model: &mut Model, u: Update, lines: &AtomicU64) {
    match u {
        Update::Session {
            source,
            index,
            session,
        } => {
            model.sessions.insert((source, index), *session);
        }
        Update::Report { report, .. } => lines.store(report.lines, Ordering::SeqCst),
        Update::Problem(p) => model.problems.push(p),
        Update::Done => panic!("Done while a plain file is followed"),
        Update::Rows { .. } => panic!("a followed file sends whole sessions"),
    }
}

fn wait_for(lines: &AtomicU64, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while lines.load(Ordering::SeqCst) < want {
        let seen = lines.load(Ordering::SeqCst);
        assert!(
            Instant::now() < deadline,
            "follower did not catch up to line {want} (at {seen})"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// Writes `text` in random pieces (1..120 bytes, so lines and multi-line replies are split),
/// pausing now and then so the follower sees partial lines.
fn write_pieces(f: &mut fs::File, text: &str, rng: &mut Rng) {
    let b = text.as_bytes();
    let mut at = 0;
    while at < b.len() {
        let n = (1 + rng.below(120) as usize).min(b.len() - at);
        f.write_all(&b[at..n + at]).unwrap();
        at += n;
        if rng.below(4) == 0 {
            thread::sleep(Duration::from_millis(rng.below(3)));
        }
    }
}

fn run_writer(path: PathBuf, n: usize, lines: Arc<AtomicU64>) -> String {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut all = String::new();
    let mut f = append(&path);
    let mut written_lines = 0u64;
    for i in 0..n {
        let text = session_text(i, i == n - 1);
        // Split each session at a line boundary in its middle (inside the EHLO reply), where
        // the file may be rotated, truncated or replaced.
        let cut = text.match_indices('\n').nth(5).unwrap().0 + 1;
        let (head, tail) = text.split_at(cut);
        if i == 8 || i == 24 {
            // The follower has this generation open (a file renamed away before it was ever
            // opened cannot be followed), and what comes next is written just before the
            // rename or delete, so the follower must read it from the old file afterwards.
            wait_for(&lines, written_lines);
        }
        write_pieces(&mut f, head, &mut rng);
        written_lines += head.matches('\n').count() as u64;
        match i {
            // logrotate without copytruncate: rename, then the writer reopens a new file.
            8 => {
                fs::rename(&path, path.with_extension("log.1")).unwrap();
                f = append(&path);
            }
            // copytruncate: whatever was not read before the cut is gone, as with `tail -F`,
            // so wait until the follower has read everything first.
            16 => {
                wait_for(&lines, written_lines);
                f.set_len(0).unwrap();
            }
            // Deleted and recreated.
            24 => {
                fs::remove_file(&path).unwrap();
                f = append(&path);
            }
            _ => {}
        }
        write_pieces(&mut f, tail, &mut rng);
        written_lines += tail.matches('\n').count() as u64;
        all.push_str(&text);
    }
    all
}

fn follow_through_rotations(poll_only: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.log");
    let n = 30;
    let follow = FollowOptions {
        poll_only,
        ..FollowOptions::default()
    };
    // The file does not exist yet: the follower waits for it.
    let rx: Receiver<Update> =
        spawn_follower_with(vec![Input::File(path.clone())], LoadOptions::default(), follow);
    let lines = Arc::new(AtomicU64::new(0));
    let mut model = Model {
        sessions: BTreeMap::new(),
        problems: Vec::new(),
    };
    while !model.problems.iter().any(|p| p.contains("does not exist yet")) {
        let u = rx
            .recv_timeout(Duration::from_secs(2))
            .expect("a notice that the file is awaited");
        apply(&mut model, u, &lines);
    }
    let writer = {
        let (path, lines) = (path.clone(), lines.clone());
        thread::spawn(move || run_writer(path, n, lines))
    };
    while !writer.is_finished() {
        if let Ok(u) = rx.recv_timeout(Duration::from_millis(20)) {
            apply(&mut model, u, &lines);
        }
    }
    let all = writer
        .join()
        .unwrap_or_else(|_| panic!("writer failed; notices: {:?}", model.problems));
    let total_lines = all.matches('\n').count() as u64;
    let deadline = Instant::now() + Duration::from_secs(5);
    while lines.load(Ordering::SeqCst) < total_lines || model.sessions.len() < n {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(u) => apply(&mut model, u, &lines),
            Err(RecvTimeoutError::Timeout) => panic!(
                "timed out: {} of {total_lines} lines, {} sessions; problems {:?}",
                lines.load(Ordering::SeqCst),
                model.sessions.len(),
                model.problems
            ),
            Err(e) => panic!("{e}"),
        }
    }
    // Let any last change arrive.
    while let Ok(u) = rx.recv_timeout(Duration::from_millis(300)) {
        apply(&mut model, u, &lines);
    }

    let got: Vec<&Session> = model.sessions.values().collect();
    assert!(model.sessions.keys().all(|(s, _)| *s == 0));
    assert_eq!(
        model.sessions.keys().map(|k| k.1).collect::<Vec<_>>(),
        (0..n).collect::<Vec<_>>()
    );
    for (i, s) in got.iter().enumerate() {
        assert_eq!(
            s.server.as_deref(),
            Some(format!("mx{i}.example.net:25").as_str()),
            "session {i}"
        );
        assert_eq!(
            s.status(),
            expected_status(i, i == n - 1),
            "session {i}: {}",
            s.summary
        );
    }
    // Nothing lost, nothing doubled: identical to loading everything written in one go.
    let name: Arc<str> = Arc::from(path.display().to_string());
    let (whole, _) = load_reader(name, all.as_bytes(), &LoadOptions::default(), 2026).unwrap();
    assert_eq!(got.len(), whole.len());
    for (a, b) in got.iter().zip(&whole) {
        assert_eq!(*a, b);
    }
    let said = model.problems.join("\n");
    for word in ["does not exist yet", "appeared", "rotated", "truncated"] {
        assert!(said.contains(word), "no '{word}' notice in: {said}");
    }
}

#[test]
fn follows_growth_rotation_truncation_and_recreation_with_inotify() {
    follow_through_rotations(false);
}

#[test]
fn follows_growth_rotation_truncation_and_recreation_by_polling() {
    follow_through_rotations(true);
}

/// A partial line is not read until its newline arrives; then the session shows promptly.
#[test]
fn partial_line_is_held_and_the_complete_line_arrives_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("send.log");
    let mut f = append(&path);
    let rx = spawn_follower_with(
        vec![Input::File(path)],
        LoadOptions::default(),
        FollowOptions::default(),
    );
    let mut delays = Vec::new();
    for i in 0..5 {
        f.write_all(format!("connect: to ('mx{i}.example.net', 25) No").as_bytes())
            .unwrap();
        let deadline = Instant::now() + Duration::from_millis(400);
        while let Ok(u) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            assert!(
                !matches!(u, Update::Session { index, .. } if index == i),
                "partial line was read"
            );
        }
        f.write_all(b"ne\n").unwrap();
        let start = Instant::now();
        loop {
            match rx.recv_timeout(Duration::from_secs(2)).expect("session update") {
                Update::Session { index, session, .. } if index == i => {
                    assert_eq!(
                        session.server.as_deref(),
                        Some(format!("mx{i}.example.net:25").as_str())
                    );
                    assert_eq!(session.status(), Status::Open);
                    break;
                }
                _ => {}
            }
        }
        delays.push(start.elapsed());
    }
    delays.sort();
    // The promise is 250 ms from write to update; the median keeps a busy test machine from
    // failing the run on one slow wake-up.
    assert!(delays[2] <= Duration::from_millis(250), "{delays:?}");
}

/// Several files at once keep their own sources; a gzip file is read once, not followed.
#[test]
fn several_files_and_a_gzip_file() {
    use flate2::write::GzEncoder;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    let gz = dir.path().join("old.log.gz");
    fs::write(&a, session_text(1, false)).unwrap();
    fs::write(&b, "").unwrap();
    let mut enc = GzEncoder::new(fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(session_text(0, false).as_bytes()).unwrap();
    enc.finish().unwrap();
    let rx = spawn_follower_with(
        vec![Input::File(a.clone()), Input::File(b.clone()), Input::File(gz)],
        LoadOptions::default(),
        FollowOptions::default(),
    );
    let mut sessions = BTreeMap::new();
    let mut problems = Vec::new();
    let mut wrote_b = false;
    let deadline = Instant::now() + Duration::from_secs(5);
    while sessions.len() < 3 {
        if !wrote_b && sessions.len() == 2 {
            wrote_b = true;
            write!(append(&b), "{}", session_text(2, false)).unwrap();
        }
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Update::Session {
                source,
                index,
                session,
            }) => {
                sessions.insert((source, index), session);
            }
            Ok(Update::Problem(p)) => problems.push(p),
            Ok(Update::Done) => panic!("Done while plain files are followed"),
            Ok(Update::Report { .. }) => {}
            Ok(Update::Rows { .. }) => panic!("a followed file sends whole sessions"),
            Err(e) => panic!("{e}: got {:?}", sessions.keys().collect::<Vec<_>>()),
        }
    }
    let statuses: Vec<(usize, usize, Status)> = sessions
        .iter()
        .map(|(&(s, i), sess)| (s, i, sess.status()))
        .collect();
    assert_eq!(
        statuses,
        [
            (0, 0, Status::Success),
            (1, 0, Status::Partial),
            (2, 0, Status::Failure)
        ]
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("old.log.gz") && p.contains("not followed")),
        "{problems:?}"
    );
}

/// With only inputs that end (a gzip file), the follower finishes and says Done.
#[test]
fn done_when_every_input_has_ended() {
    use flate2::write::GzEncoder;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("old.log.gz");
    let mut enc = GzEncoder::new(fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(session_text(1, false).as_bytes()).unwrap();
    enc.finish().unwrap();
    let rx = spawn_follower_with(
        vec![Input::File(gz)],
        LoadOptions::default(),
        FollowOptions::default(),
    );
    let mut done = false;
    let mut sessions = 0;
    while let Ok(u) = rx.recv_timeout(Duration::from_secs(5)) {
        match u {
            Update::Session { .. } => sessions += 1,
            Update::Done => done = true,
            _ => {}
        }
    }
    assert!(done, "no Done");
    assert!(sessions >= 1);
}

/// For the viewer (`compact`), settled sessions arrive as rows and are read back from the
/// files the followed name has had: through a rotation (the old file renamed away, still
/// read) and a `copytruncate` (the cut part is gone: its sessions keep their status and say
/// why they cannot be shown). Everything else reads back to exactly what streaming the whole
/// text gives, and a text search over the rows finds its lines at their stream numbers.
#[test]
fn compacted_rows_read_back_through_rotation_and_truncation() {
    use smtpscope::model::{RowArena, SessionRow};
    use smtpscope::reread::Reread;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.log");
    // Enough lines for the assembler to look for settled sessions (every 4,096 records).
    let (n, window) = (600, 30);
    let follow = FollowOptions {
        compact: true,
        settle_window: window,
        ..FollowOptions::default()
    };
    fs::write(&path, "").unwrap();
    let rx = spawn_follower_with(vec![Input::File(path.clone())], LoadOptions::default(), follow);
    let lines = AtomicU64::new(0);
    let mut whole: BTreeMap<usize, Session> = BTreeMap::new();
    let mut rows: BTreeMap<usize, (SessionRow, Arc<RowArena>, Arc<Reread>)> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut take = |u: Update| match u {
        Update::Session { index, session, .. } => {
            rows.remove(&index);
            whole.insert(index, *session);
        }
        Update::Rows {
            rows: batch,
            arena,
            reread,
            ..
        } => {
            let arena = Arc::new(arena);
            for (index, row) in batch {
                whole.remove(&index);
                rows.insert(index, (row, arena.clone(), reread.clone()));
            }
        }
        Update::Report { report, .. } => lines.store(report.lines, Ordering::SeqCst),
        Update::Problem(p) => problems.push(p),
        Update::Done => panic!("Done while a plain file is followed"),
    };
    let mut all = String::new();
    let mut written = 0u64;
    let mut rng = Rng(0x0dd_5eed);
    // Session halves in pieces (the follower sees partial lines), whole sessions at once.
    let mut write = |f: &mut fs::File, text: &str, all: &mut String| {
        match text.starts_with("connect:") && text.ends_with("'Bye'\n") {
            true => f.write_all(text.as_bytes()).unwrap(),
            false => write_pieces(f, text, &mut rng),
        }
        all.push_str(text);
        written += text.matches('\n').count() as u64;
        written
    };
    let catch_up = |want: u64, take: &mut dyn FnMut(Update)| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while lines.load(Ordering::SeqCst) < want {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "follower stuck before line {want}");
            if let Ok(u) = rx.recv_timeout(left.min(Duration::from_millis(50))) {
                take(u);
            }
        }
    };
    let halves = |i: usize| {
        let text = session_text(i, i == n - 1);
        let cut = text.match_indices('\n').nth(5).unwrap().0 + 1;
        (text[..cut].to_owned(), text[cut..].to_owned())
    };
    let mut f = append(&path);
    for i in 0..15 {
        write(&mut f, &session_text(i, false), &mut all);
    }
    // Session 15 spans the rotation, 25 the truncation.
    let (head, tail) = halves(15);
    let at = write(&mut f, &head, &mut all);
    catch_up(at, &mut take);
    fs::rename(&path, path.with_extension("log.1")).unwrap();
    let mut f = append(&path);
    write(&mut f, &tail, &mut all);
    for i in 16..25 {
        write(&mut f, &session_text(i, false), &mut all);
    }
    let (head, tail) = halves(25);
    let at = write(&mut f, &head, &mut all);
    catch_up(at, &mut take);
    f.set_len(0).unwrap();
    write(&mut f, &tail, &mut all);
    for i in 26..n {
        write(&mut f, &session_text(i, i == n - 1), &mut all);
    }
    catch_up(written, &mut take);
    while let Ok(u) = rx.recv_timeout(Duration::from_millis(300)) {
        take(u);
    }

    let streamed = streamed(&path, &all, window);
    assert_eq!(streamed.len(), n);
    assert!(rows.len() >= n / 2, "{} rows of {n} sessions", rows.len());
    assert!(
        rows.contains_key(&3) && rows.contains_key(&40),
        "rows on both sides of the cut"
    );
    assert_eq!(rows.len() + whole.len(), n, "every session, once");
    let lost = 15..=25;
    for (&i, (row, arena, reread)) in &rows {
        let back = reread.session(row, arena);
        if lost.contains(&i) {
            assert_eq!(back.status(), streamed[i].status(), "session {i}");
            assert!(
                back.events[0].text.contains("truncated in place"),
                "session {i}: {}",
                back.events[0].text
            );
        } else {
            assert_eq!(back, streamed[i], "session {i}");
        }
    }
    // A search reads the lost lines as empty ones: what follows them keeps its numbers.
    let reread = &rows.values().next().unwrap().2;
    let (found, _) = reread
        .lines_containing(&["mx30.example.net", "mx20.example.net"])
        .unwrap();
    let want: Vec<u64> = all
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("mx30.example.net"))
        .map(|(k, _)| k as u64 + 1)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(found[0], want);
    assert!(found[1].is_empty(), "lines of the cut part: {:?}", found[1]);
    let said = problems.join("\n");
    assert!(said.contains("rotated") && said.contains("truncated"), "{said}");
}

/// A gzip file followed for the viewer is read once; its sessions arrive as rows at its end
/// and read back, through the decoder states noted while it was read, to the sessions a
/// whole load gives.
#[test]
fn compacted_gzip_rows_read_back() {
    use flate2::write::GzEncoder;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("old.log.gz");
    let text: String = (0..5).map(|i| session_text(i, false)).collect();
    let mut enc = GzEncoder::new(fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let follow = FollowOptions {
        compact: true,
        ..FollowOptions::default()
    };
    let rx = spawn_follower_with(vec![Input::File(gz.clone())], LoadOptions::default(), follow);
    let mut got = BTreeMap::new();
    while let Ok(u) = rx.recv_timeout(Duration::from_secs(5)) {
        match u {
            Update::Rows {
                rows, arena, reread, ..
            } => {
                for (index, row) in rows {
                    got.insert(index, reread.session(&row, &arena));
                }
            }
            Update::Session { .. } => panic!("a gzip file read to its end sends rows"),
            Update::Done => break,
            _ => {}
        }
    }
    let name: Arc<str> = Arc::from(gz.display().to_string());
    let year = smtpscope::load::input_year(&Input::File(gz.clone()));
    let (whole, _) = load_reader(name, text.as_bytes(), &LoadOptions::default(), year).unwrap();
    assert_eq!(got.into_values().collect::<Vec<_>>(), whole);
}

/// The sessions streaming `all` (named as `path`) with `window` gives: what a follower that
/// settles after `window` lines must send, last copy of each.
fn streamed(path: &Path, all: &str, window: u64) -> Vec<Session> {
    let mut streamed = Vec::new();
    let name: Arc<str> = Arc::from(path.display().to_string());
    let opts = LoadOptions::default();
    smtpscope::load::stream_reader(name, all.as_bytes(), &opts, 2026, window, &mut |b| {
        streamed.extend(b);
        Ok(())
    })
    .unwrap();
    streamed
}

/// What a compacted follower sent: sessions whole, rows read back, copies of sessions sent.
#[derive(Default)]
struct Seen {
    whole: BTreeMap<usize, Session>,
    rows: BTreeMap<usize, Session>,
    copies: usize,
    lines: u64,
}

impl Seen {
    fn take(&mut self, u: Update) {
        match u {
            Update::Session { index, session, .. } => {
                self.copies += 1;
                self.whole.insert(index, *session);
            }
            Update::Rows {
                rows, arena, reread, ..
            } => {
                for (index, row) in rows {
                    self.whole.remove(&index);
                    self.rows.insert(index, reread.session(&row, &arena));
                }
            }
            Update::Report { report, .. } => self.lines = report.lines,
            _ => {}
        }
    }
}

/// A backlog (a big file followed from its start) reaches the viewer as rows only: sessions
/// in progress are not copied while more is waiting to be read. Once caught up, the sessions
/// still in progress arrive whole, and new lines show as before. Every session is there once,
/// as streaming the whole text gives it.
#[test]
fn a_compacted_backlog_arrives_as_rows_then_the_sessions_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.log");
    // More than the follower reads in one go (4 MiB), so it starts behind.
    let n = 9000;
    let mut all: String = (0..n).map(|i| session_text(i, false)).collect();
    assert!(all.len() > 5 << 20);
    fs::write(&path, &all).unwrap();
    let follow = FollowOptions {
        compact: true,
        settle_window: 2000,
        ..FollowOptions::default()
    };
    let rx = spawn_follower_with(vec![Input::File(path.clone())], LoadOptions::default(), follow);
    let mut seen = Seen::default();
    let total = all.matches('\n').count() as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lines < total {
        assert!(
            Instant::now() < deadline,
            "stuck at line {} of {total}",
            seen.lines
        );
        if let Ok(u) = rx.recv_timeout(Duration::from_millis(50)) {
            seen.take(u);
        }
    }
    while let Ok(u) = rx.recv_timeout(Duration::from_millis(300)) {
        seen.take(u);
    }
    assert!(seen.rows.len() > n * 9 / 10, "{} rows", seen.rows.len());
    assert!(
        !seen.whole.is_empty(),
        "the sessions of the last 2,000 lines are in progress"
    );
    // Nothing was copied while behind: each copy is of a session still in progress.
    assert_eq!(seen.copies, seen.whole.len());
    // New lines after catching up: the new session shows as it grows.
    let new = session_text(n, true);
    append(&path).write_all(new.as_bytes()).unwrap();
    all.push_str(&new);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !seen.whole.contains_key(&n) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the new session did not arrive");
        if let Ok(u) = rx.recv_timeout(left) {
            seen.take(u);
        }
    }
    let streamed = streamed(&path, &all, 2000);
    assert_eq!(
        seen.rows.len() + seen.whole.len(),
        streamed.len(),
        "every session, once"
    );
    for (i, s) in seen.rows.iter().chain(seen.whole.iter()) {
        assert_eq!(s, &streamed[*i], "session {i}");
    }
}
