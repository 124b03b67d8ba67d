//! Streamed `--list`/`--json` (sessions printed as they settle, then forgotten) gives the same
//! sessions, in file order, as loading the whole file: on generated logs with a settle window
//! small enough that most sessions are handed out long before the end, and on every sample.

#[path = "../examples/common/loggen/mod.rs"]
mod loggen;

use smtpscope::load::{load_reader, stream_reader, LoadOptions};
use smtpscope::model::Session;
use smtpscope::output::json::session_json;
use std::sync::Arc;

/// Streams `log` with `window`, returning the sessions and how many arrived before the end.
fn streamed(name: &str, log: &[u8], window: u64) -> (Vec<Session>, usize) {
    let mut out = Vec::new();
    let mut batches = Vec::new();
    let mut sink = |batch: Vec<Session>| {
        batches.push(batch.len());
        out.extend(batch);
        Ok(())
    };
    stream_reader(
        Arc::from(name),
        log,
        &LoadOptions::default(),
        2026,
        window,
        &mut sink,
    )
    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let before_end = batches.iter().rev().skip(1).sum();
    (out, before_end)
}

fn whole(name: &str, log: &[u8]) -> Vec<Session> {
    let (mut sessions, _) = load_reader(Arc::from(name), log, &LoadOptions::default(), 2026)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    // File order, as streaming prints them (the whole load may sort by start time).
    sessions.sort_by_key(|s| s.first_line);
    sessions
}

fn as_json(sessions: &[Session]) -> Vec<String> {
    sessions.iter().map(|s| session_json(s, false)).collect()
}

fn same_sessions(name: &str, log: &[u8], window: u64) -> usize {
    let (mut got, before_end) = streamed(name, log, window);
    got.sort_by_key(|s| s.first_line);
    let want = whole(name, log);
    assert_eq!(got.len(), want.len(), "{name}: session count");
    for (g, w) in as_json(&got).iter().zip(as_json(&want)) {
        assert_eq!(g, &w, "{name}: streamed session differs");
    }
    before_end
}

#[test]
fn generated_logs_stream_to_the_same_sessions() {
    for format in loggen::FORMATS {
        let mut log = Vec::new();
        let exp = loggen::generate(format, 3, 3, &mut log).expect("generates");
        let before_end = same_sessions(format, &log, 300);
        // The window really was used: most sessions were handed out while reading.
        assert!(
            before_end as u64 > exp.sessions / 2,
            "{format}: only {before_end} of {} sessions settled before the end",
            exp.sessions
        );
    }
}

#[test]
fn streamed_sessions_come_in_file_order() {
    let mut log = Vec::new();
    loggen::generate("postfix", 1, 5, &mut log).expect("generates");
    let (got, _) = streamed("postfix", &log, 2_000);
    assert!(got.windows(2).all(|w| w[0].first_line <= w[1].first_line));
}

#[test]
fn every_sample_streams_to_the_same_sessions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
    for entry in std::fs::read_dir(dir).expect("sample-logs") {
        let path = entry.expect("entry").path();
        let log = std::fs::read(&path).expect("reads");
        let name = path.display().to_string();
        // A window of a few lines settles sessions mid-file even in the small samples; only
        // sessions whose lines are further apart than that could differ.
        same_sessions(&name, &log, 5_000);
    }
}

/// `--list`/`--json` of several inputs (each streamed, its lines held compressed, then merged
/// by start time) print exactly what loading every input whole and sorting gives: two logs
/// whose times interleave, with ties, and then with an input without dates, which keeps
/// input order. Also with every compressed block spilled to the temporary file, which
/// leaves nothing behind.
#[test]
fn several_inputs_merge_as_a_whole_load_sorts_them() {
    use smtpscope::load::load_all;
    use smtpscope::output::list;
    use smtpscope::source::Input;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, format, seed) in [
        ("a.log", "postfix", 1),
        ("b.log", "postfix", 2),
        ("c.log", "exchange-receive", 3),
    ] {
        let path = dir.path().join(name);
        loggen::generate(format, 1, seed, std::fs::File::create(&path).unwrap()).expect("generates");
        files.push(path);
    }
    let undated = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample-logs/python-smtplib-debug1.log"
    );
    let with_undated = [files[0].clone(), undated.into(), files[1].clone()];
    for (inputs, sorted) in [(&files[..], true), (&with_undated[..], false)] {
        let loaded = load_all(
            &inputs.iter().cloned().map(Input::File).collect::<Vec<_>>(),
            &LoadOptions::default(),
        );
        let all: Vec<&Session> = loaded.sessions.iter().collect();
        let dated = all.iter().all(|s| s.start.is_some_and(|t| t.has_date));
        assert_eq!(dated, sorted, "{inputs:?}");
        if sorted {
            // The inputs' times interleave: the order is not input order.
            assert!(all
                .windows(2)
                .any(|w| w[0].source != w[1].source && w[1].source.ends_with("a.log")));
        }
        let mut want_list = Vec::new();
        list::write(&mut want_list, &loaded, &all).unwrap();
        let want_json: String = all.iter().map(|s| session_json(s, false) + "\n").collect();
        for (mode, want) in [("--list", want_list), ("--json", want_json.into_bytes())] {
            for spill_after in [None, Some("0")] {
                let tmp = tempfile::tempdir().unwrap();
                let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_smtpscope"));
                cmd.arg(mode).args(inputs).env("TMPDIR", tmp.path());
                if let Some(after) = spill_after {
                    cmd.env("SMTPSCOPE_DEBUG_SPILL_AFTER", after);
                }
                let out = cmd.output().unwrap();
                assert!(
                    out.status.success(),
                    "{mode}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(
                    out.stdout == want,
                    "{mode} of {inputs:?} (spilled after {spill_after:?}) differs from a whole load"
                );
                assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
            }
        }
    }
}
