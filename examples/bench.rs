//! The big-logs benchmark: generates a large log per format (see `examples/gen.rs`) and
//! measures smtpscope on it, each measurement in a fresh child process so peak memory (VmHWM)
//! is its own:
//! - load: `load::stream_input` (what `--list`/`--json` do with one input) — MB/s, sessions/s, and
//!   a check that the session count and status totals equal what the generator wrote;
//! - viewer: `feed::spawn_loader` into the TUI's `App`, batches applied and frames drawn on an
//!   80×24 test terminal as the event loop does: time to the first screen, time until
//!   everything is loaded, then a filter change over all sessions and one frame after it.
//!
//! `cargo run --release --example bench -- [--mib 1024] [--formats postfix,phpmailer] [--dir DIR]`
//! (generated files are kept in DIR, default `target/bench`, and reused when present).
//!
//! One stage alone, on one thread (less noise than a whole load on a busy machine):
//! `target/release/examples/bench --child wrapper FILE` reads every line and strips its
//! transport prefix (`wrapper::strip`), nothing else; `--child grammar FILE [FORMAT]` (default
//! `postfix`) also runs the format's line parser, without assembling sessions.
//! `--child floor FILE [THREADS]` is a lower bound for any Postfix loader, not a parser: it
//! reads the file, splits lines, reads each syslog header's clock and pid, and groups lines by
//! smtpd pid and queue id, nothing else (no status, no rows, no checks); with 2 threads each
//! scans half the file and nothing is joined. `--child floor FILE 2 classify` also looks at
//! each grouped line's message for a delivery result and a refusal (two substring searches),
//! the least a loader adds to decide a status: what a dedicated Postfix loader costs at best.

#[path = "common/loggen/mod.rs"]
mod loggen;

use loggen::Expected;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use smtpscope::feed::{self, Update};
use smtpscope::load::{self, LoadOptions};
use smtpscope::model::Status;
use smtpscope::source::Input;
use smtpscope::tui::app::{Action, App, Command, Options};
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

/// The filter typed in the viewer for the filter-change measurement.
const FILTER: &str = "5xx";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        // As the binary does, so peak RSS is the binary's.
        smtpscope::allocator::configure();
        let (phase, file) = (&args[1], PathBuf::from(&args[2]));
        match phase.as_str() {
            "load" => child_load(&file),
            "viewer" => child_viewer(&file),
            "wrapper" => child_wrapper(&file, None),
            "grammar" => child_wrapper(&file, Some(args.get(3).map_or("postfix", String::as_str))),
            "floor" => child_floor(
                &file,
                args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1),
                args.get(4).map(String::as_str) == Some("classify"),
            ),
            _ => panic!("unknown phase {phase}"),
        }
        return;
    }
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let mib: u64 = opt("--mib").and_then(|m| m.parse().ok()).unwrap_or(100);
    let dir = PathBuf::from(opt("--dir").map_or("target/bench", String::as_str));
    let formats: Vec<String> = opt("--formats").map_or_else(
        || loggen::FORMATS.iter().map(|s| s.to_string()).collect(),
        |f| f.split(',').map(str::to_owned).collect(),
    );
    std::fs::create_dir_all(&dir).expect("creating the benchmark directory");
    println!(
        "{:<17} {:>7} {:>9} {:>8} {:>8} {:>10} {:>8} {:>9} {:>9} {:>8} {:>8}  check",
        "format",
        "MiB",
        "sessions",
        "load s",
        "MB/s",
        "sess/s",
        "RSS MiB",
        "1st scr",
        "view s",
        "filter",
        "frame"
    );
    let mut failed = false;
    for format in &formats {
        let (file, exp) = generated(&dir, format, mib);
        failed |= !report(format, &file, &exp);
    }
    if failed {
        std::process::exit(1);
    }
}

/// The generated file and its totals, generated now unless already there.
fn generated(dir: &Path, format: &str, mib: u64) -> (PathBuf, Expected) {
    let file = dir.join(format!("{format}-{mib}MiB.log"));
    let sidecar = file.with_extension("expected.json");
    if let Some(exp) = std::fs::read_to_string(&sidecar)
        .ok()
        .and_then(|t| Expected::from_json(&t))
    {
        if file.metadata().is_ok_and(|m| m.len() == exp.bytes) {
            return (file, exp);
        }
    }
    let out = std::fs::File::create(&file).expect("creating the generated log");
    let exp = loggen::generate(format, mib, 1, out).expect("writing the generated log");
    std::fs::write(&sidecar, exp.to_json()).expect("writing the expected totals");
    (file, exp)
}

/// Runs both phases on one file and prints a row; false when a check failed.
fn report(format: &str, file: &Path, exp: &Expected) -> bool {
    let load = child(file, "load");
    let mb = exp.bytes as f64 / 1e6;
    let Some(load) = load else {
        println!("{format:<17} skipped: smtpscope does not read this format yet (no parser registered)");
        return true;
    };
    let get = |m: &[(String, f64)], k: &str| m.iter().find(|(n, _)| n == k).map_or(f64::NAN, |p| p.1);
    let secs = get(&load, "secs");
    let found = [
        get(&load, "sessions"),
        get(&load, "success"),
        get(&load, "failure"),
        get(&load, "partial"),
        get(&load, "open"),
    ];
    let want = [exp.sessions, exp.success, exp.failure, exp.partial, exp.open].map(|n| n as f64);
    let view = child(file, "viewer").unwrap_or_default();
    let in_view = ["sessions", "success", "failure", "partial", "open"].map(|k| get(&view, k));
    let ok = found == want && in_view == want;
    println!(
        "{:<17} {:>7.0} {:>9} {:>8.3} {:>8.0} {:>10.0} {:>8.0} {:>7.0}ms {:>9.3} {:>6.0}ms {:>6.1}ms  {}",
        format,
        exp.bytes as f64 / 1048576.0,
        exp.sessions,
        secs,
        mb / secs,
        exp.sessions as f64 / secs,
        get(&load, "rss_kb") / 1024.0,
        get(&view, "first_screen_ms"),
        get(&view, "loaded_secs"),
        get(&view, "filter_ms"),
        get(&view, "frame_ms"),
        if ok {
            "ok".to_owned()
        } else {
            format!(
                "MISMATCH: loaded {found:?}, viewer {in_view:?}, generator wrote {want:?} (sessions ok fail part open)"
            )
        }
    );
    if !view.is_empty() {
        println!(
            "{:<17} viewer: peak RSS {:.0} MiB, {:.0} frames drawn while loading",
            "",
            get(&view, "rss_kb") / 1024.0,
            get(&view, "frames")
        );
    }
    ok
}

/// Runs this program again for one phase; its last stdout line is `name=value` pairs.
fn child(file: &Path, phase: &str) -> Option<Vec<(String, f64)>> {
    let exe = std::env::current_exe().expect("own path");
    let out = Process::new(exe)
        .args(["--child", phase])
        .arg(file)
        .output()
        .expect("running the benchmark child");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last()?;
    if line.starts_with("unsupported") {
        return None;
    }
    Some(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.parse().unwrap_or(f64::NAN)))
            .collect(),
    )
}

/// Peak resident memory of this process so far, in KiB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// What `--list`/`--json` do with one input: stream it, sessions handed out as they settle.
fn child_load(file: &Path) {
    let t = Instant::now();
    let mut n = [0u64; 4];
    let mut first_out = None;
    let mut sink = |batch: Vec<smtpscope::model::Session>| {
        first_out.get_or_insert_with(|| t.elapsed());
        for s in &batch {
            n[match s.status() {
                Status::Success => 0,
                Status::Failure => 1,
                Status::Partial => 2,
                Status::Open => 3,
            }] += 1;
        }
        Ok(())
    };
    let result = load::stream_input(&Input::File(file.to_owned()), &LoadOptions::default(), &mut sink);
    let secs = t.elapsed().as_secs_f64();
    if let Err(e) = result {
        println!("unsupported {e:?}");
        return;
    }
    println!(
        "secs={secs} sessions={} success={} failure={} partial={} open={} first_out_ms={} rss_kb={}",
        n.iter().sum::<u64>(),
        n[0],
        n[1],
        n[2],
        n[3],
        first_out.unwrap_or_default().as_secs_f64() * 1e3,
        peak_rss_kb()
    );
}

/// Reading and the wrapper alone (what every line costs before any format sees it), and with
/// `format` that format's line parser too.
fn child_wrapper(file: &Path, format: Option<&str>) {
    let mut parser = format.map(|name| {
        smtpscope::formats::by_name(name)
            .unwrap_or_else(|| panic!("unknown format {name}"))
            .parser()
    });
    let mut records = Vec::new();
    let mut written = 0u64;
    let t = Instant::now();
    let input = Input::File(file.to_owned());
    let mut reader =
        smtpscope::source::LineReader::new(smtpscope::source::open(&input).expect("opening the file"));
    let (mut lines, mut tagged) = (0u64, 0u64);
    while let Some(line) = reader.next_line().expect("reading the file") {
        lines += 1;
        let text = load::line_text(line.bytes, line.truncated);
        let (wrapper, native) = smtpscope::wrapper::strip(&text, 2026);
        tagged += u64::from(wrapper.program.is_some());
        if let Some(parser) = parser.as_mut() {
            let line = smtpscope::formats::InputLine {
                number: lines,
                text: native,
                wrapper,
            };
            parser.parse(&line, &mut records);
            written += records.len() as u64;
            records.clear();
        }
    }
    println!(
        "secs={} lines={lines} tagged={tagged} records={written} rss_kb={}",
        t.elapsed().as_secs_f64(),
        peak_rss_kb()
    );
}

/// See the module comment: the least work a Postfix loader does per line, on `threads` parts
/// of the file at once.
fn child_floor(file: &Path, threads: u64, classify: bool) {
    use std::os::unix::fs::FileExt;
    let t = Instant::now();
    let f = std::fs::File::open(file).expect("opening the file");
    let size = f.metadata().expect("file size").len();
    // Each part starts after the first newline at or past its share (the first at 0) and ends
    // with the line that crosses the next part's start.
    let starts: Vec<u64> = (0..threads)
        .map(|i| {
            if i == 0 {
                return 0;
            }
            let mut at = size * i / threads;
            let mut b = [0u8; 4096];
            loop {
                let n = f.read_at(&mut b, at).expect("reading the file");
                if n == 0 {
                    return size;
                }
                if let Some(p) = memchr::memchr(b'\n', &b[..n]) {
                    return at + p as u64 + 1;
                }
                at += n as u64;
            }
        })
        .chain([size])
        .collect();
    let parts: Vec<(u64, u64)> = std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = starts
            .windows(2)
            .map(|w| (w[0], w[1]))
            .map(|(from, to)| s.spawn(move || floor_scan(f, from, to, classify)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a floor thread"))
            .collect()
    });
    let (lines, groups) = parts.iter().fold((0, 0), |a, p| (a.0 + p.0, a.1 + p.1));
    println!(
        "secs={} lines={lines} groups={groups} threads={threads} classify={classify} rss_kb={}",
        t.elapsed().as_secs_f64(),
        peak_rss_kb()
    );
}

/// Lines and line groups (smtpd connections) of bytes `from..to`; with `classify`, each
/// grouped line is also searched for `status=sent` and `reject` (a stand-in for the status
/// rules, which need at least that).
fn floor_scan(f: &std::fs::File, from: u64, to: u64, classify: bool) -> (u64, u64) {
    use smtpscope::fasthash::FastMap;
    use std::os::unix::fs::FileExt;
    const BLOCK: usize = 1 << 20;
    let mut buf = vec![0u8; BLOCK + 65536];
    let (mut kept, mut at) = (0usize, from);
    let (mut lines, mut check) = (0u64, 0u64);
    // Group by pid, then by queue id; each group's line numbers, as a loader keeps them.
    let mut by_pid: FastMap<u64, u32> = FastMap::default();
    let mut by_qid: FastMap<u64, u32> = FastMap::default();
    let mut groups: Vec<Vec<u64>> = Vec::new();
    let (sent, reject) = (
        memchr::memmem::Finder::new(b"status=sent"),
        memchr::memmem::Finder::new(b"reject"),
    );
    while at < to {
        let want = (BLOCK as u64).min(to - at) as usize;
        let n = f
            .read_at(&mut buf[kept..kept + want], at)
            .expect("reading the file");
        if n == 0 {
            break;
        }
        at += n as u64;
        let end = kept + n;
        let mut start = 0;
        let last = at >= to;
        let mut each = |line: &[u8]| {
            lines += 1;
            let Some(head) = line.get(..16) else { return };
            let clock = head[7..15].iter().fold(0u64, |a, c| a * 10 + u64::from(c & 15));
            check = check.wrapping_add(clock);
            let rest = &line[16..];
            let Some(sp) = memchr::memchr(b' ', rest) else {
                return;
            };
            let tag = &rest[sp + 1..];
            let Some(open) = memchr::memchr(b'[', &tag[..tag.len().min(64)]) else {
                return;
            };
            let digits = tag[open + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            let pid = tag[open + 1..open + 1 + digits]
                .iter()
                .fold(0u64, |a, c| a * 10 + u64::from(c - b'0'));
            let msg = tag.get(open + 1 + digits + 3..).unwrap_or_default();
            let smtpd = tag[..open].ends_with(b"smtpd");
            let key = pid ^ ((tag[..open].len() as u64) << 32);
            let qid = (msg.len() > 11 && msg[10] == b':' && msg[..10].iter().all(u8::is_ascii_hexdigit))
                .then(|| msg[..10].iter().fold(0u64, |a, c| a << 6 | u64::from(c & 63)));
            let mut group = if !smtpd {
                None
            } else if msg.starts_with(b"connect from ") {
                groups.push(Vec::with_capacity(8));
                let g = groups.len() as u32 - 1;
                by_pid.insert(key, g);
                Some(g)
            } else {
                by_pid.get(&key).copied()
            };
            if let Some(q) = qid {
                match group {
                    Some(g) => {
                        by_qid.insert(q, g);
                    }
                    None => group = by_qid.get(&q).copied(),
                }
                if msg.ends_with(b" removed") {
                    by_qid.remove(&q);
                }
            }
            if let Some(g) = group {
                let mut line_of = lines;
                if classify {
                    // Kept in the line number's top bits, so the searches are not optimised away.
                    let found =
                        u64::from(sent.find(msg).is_some()) | u64::from(reject.find(msg).is_some()) << 1;
                    line_of |= found << 62;
                }
                groups[g as usize].push(line_of);
            }
        };
        for nl in memchr::memchr_iter(b'\n', &buf[..end]) {
            each(&buf[start..nl]);
            start = nl + 1;
        }
        if last && start < end {
            each(&buf[start..end]);
            start = end;
        }
        buf.copy_within(start..end, 0);
        kept = end - start;
        assert!(kept <= 65536, "a line longer than the floor scan reads at once");
    }
    std::hint::black_box(check);
    (lines, groups.len() as u64)
}

fn draw(term: &mut Terminal<TestBackend>, app: &App) -> Duration {
    let t = Instant::now();
    term.draw(|f| smtpscope::tui::view::draw(app, f))
        .expect("drawing");
    t.elapsed()
}

/// The viewer's event loop without a terminal: batches of updates, one frame after each.
fn child_viewer(file: &Path) {
    let opts = Options {
        ascii: false,
        color: true,
        reveal: false,
        inputs: vec![file.to_owned()],
        live: false,
    };
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    let t = Instant::now();
    let rx = feed::spawn_loader(vec![Input::File(file.to_owned())], LoadOptions::default());
    let mut app = App::new(opts, None);
    app.update(Action::Resize(80, 24));
    let mut first_screen = None;
    let mut frames = 0u64;
    while let Ok(first) = rx.recv() {
        let batch: Vec<Update> = std::iter::once(first)
            .chain(rx.try_iter().take(smtpscope::tui::BATCH))
            .collect();
        app.update(Action::Feed(batch));
        draw(&mut term, &app);
        frames += 1;
        if first_screen.is_none() && app.total() > 0 {
            first_screen = Some(t.elapsed());
        }
        if app.done {
            break;
        }
    }
    let loaded = t.elapsed();
    if app.total() == 0 {
        println!("unsupported {}", app.problems.join("; "));
        return;
    }
    // A filter change as the user makes it: open the prompt, type, submit.
    let t = Instant::now();
    app.update(Action::Run(Command::Filter));
    app.update(Action::Run(Command::ClearInput));
    for ch in FILTER.chars() {
        app.update(Action::Type(ch));
    }
    app.update(Action::Run(Command::Submit));
    let filter = t.elapsed();
    assert!(
        app.visible_len() < app.total(),
        "the filter {FILTER} changed nothing"
    );
    let frame = draw(&mut term, &app);
    let [ok, fail, part, open] = app.counts();
    println!(
        "sessions={} success={ok} failure={fail} partial={part} open={open} first_screen_ms={} loaded_secs={} filter_ms={} frame_ms={} frames={frames} rss_kb={}",
        app.total(),
        first_screen.unwrap_or_default().as_secs_f64() * 1e3,
        loaded.as_secs_f64(),
        filter.as_secs_f64() * 1e3,
        frame.as_secs_f64() * 1e3,
        peak_rss_kb()
    );
}
