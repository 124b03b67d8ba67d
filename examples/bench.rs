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
