//! A session kept as a compact row and read back from its file is the session a whole-file
//! load gives: same events, status, summary and id. Checked on every sample and on generated
//! big-log shapes, with a settle window small enough that most sessions settle mid-file, and
//! with notes parsed without their text once rows flow, as the viewer's loader does.

#[path = "../examples/common/loggen/mod.rs"]
mod loggen;

use smtpscope::load::{load_reader, LoadOptions, Pipeline};
use smtpscope::model::{RowArena, SessionRow};
use smtpscope::output::json::session_json;
use smtpscope::reread::{settled_row, ReadBack, Reread, RowBuilder};
use smtpscope::source::gzip_index::{GzIndex, GzReader};
use smtpscope::source::spool::{Spool, Spooling};
use smtpscope::source::LineReader;
use std::path::Path;
use std::sync::Arc;

/// Reads `path` as the viewer's loader does for a big file, returning rows and how to reread.
/// With `gzip_every`, the file is gzip, and the decoder's state is noted that often; with
/// `spooled`, its bytes are kept as they pass (as standard input's are) and read back from there.
fn rows_of(
    path: &Path,
    window: u64,
    gzip_every: Option<u64>,
) -> (Vec<(usize, SessionRow)>, RowArena, Option<Reread>) {
    rows_kept(path, window, gzip_every, false)
}

fn rows_kept(
    path: &Path,
    window: u64,
    gzip_every: Option<u64>,
    spooled: bool,
) -> (Vec<(usize, SessionRow)>, RowArena, Option<Reread>) {
    let name: Arc<str> = Arc::from(path.display().to_string());
    let file = std::fs::File::open(path).unwrap();
    let (back, from): (ReadBack, Box<dyn std::io::Read>) = match gzip_every {
        Some(every) => {
            let index = Arc::new(GzIndex::default());
            (
                ReadBack::Gzip(index.clone()),
                Box::new(GzReader::indexing_every(file, index, every)),
            )
        }
        None if spooled => {
            // Small chunks, so most rows are read back from a deflated one.
            let spool = Arc::new(Spool::with_chunks_of(16 * 1024));
            (
                ReadBack::Spool(spool.clone()),
                Box::new(Spooling::new(file, spool)),
            )
        }
        None => (ReadBack::Plain, Box::new(file)),
    };
    let mut lines = LineReader::new(std::io::BufReader::new(from));
    let mut pipe = Pipeline::new(name.clone(), &LoadOptions::default(), 2026);
    pipe.parse_in_background();
    pipe.settle_keeping_lines(window);
    let mut builder = RowBuilder::default();
    let mut arena = RowArena::new();
    let mut rows = Vec::new();
    while let Some(line) = lines.next_line().unwrap() {
        builder.line(line.number, line.offset);
        pipe.feed(line.number, line.bytes, line.truncated).unwrap();
        let settled = pipe.take_settled_lines();
        if rows.is_empty() && !settled.is_empty() {
            // As the loader does once rows flow: notes may come without text from here on,
            // so the rows after this point are made from text-less notes.
            pipe.notes_without_text();
        }
        for mut s in settled {
            rows.push((s.index, settled_row(&mut s, &mut arena)));
        }
        // The viewer also asks for changes while loading; that must not disturb settling.
        pipe.take_changed();
    }
    pipe.try_detect();
    let format = pipe.format();
    let (rest, _) = pipe.finish_settled().unwrap();
    for mut s in rest {
        rows.push((s.index, settled_row(&mut s, &mut arena)));
    }
    let reread = format.map(|format| Reread {
        path: path.to_owned(),
        name,
        format,
        year: 2026,
        checkpoints: builder.checkpoints(),
        back,
    });
    (rows, arena, reread)
}

fn check(path: &Path, window: u64) -> usize {
    check_as(path, window, None, false)
}

/// [`check`], the file plain or (`gzip_every`) gzip.
fn check_as(path: &Path, window: u64, gzip_every: Option<u64>, spooled: bool) -> usize {
    let log = smtpscope::source::open(&smtpscope::source::Input::File(path.to_owned())).unwrap();
    let name: Arc<str> = Arc::from(path.display().to_string());
    let (whole, _) = load_reader(name, log, &LoadOptions::default(), 2026).unwrap();
    let (rows, arena, reread) = rows_kept(path, window, gzip_every, spooled);
    assert_eq!(rows.len(), whole.len(), "{}: session count", path.display());
    let Some(reread) = reread.filter(|r| r.format.reads_back_alone()) else {
        return 0;
    };
    let mut by_first: Vec<_> = whole.iter().collect();
    by_first.sort_by_key(|s| s.first_line);
    let mut rows = rows;
    rows.sort_by_key(|(_, r)| r.first_line);
    for ((_, row), want) in rows.iter().zip(by_first) {
        assert_eq!(row.status, want.status(), "{}: row status", path.display());
        let head = row.head(&arena);
        assert_eq!(head.decisive, want.decisive_code());
        assert_eq!((head.start, head.end), (want.start, want.end));
        assert_eq!(row.start_when(), want.start.map(|t| (t.when, t.has_date)));
        let extra = arena.extra(row);
        assert_eq!(extra.id, want.id);
        let replies: Vec<_> = want.reply_codes().collect();
        assert_eq!(extra.replies, replies, "{}: codes of {}", path.display(), want.id);
        assert_eq!(
            (row.first_line, head.last_line),
            (want.first_line, want.last_line)
        );
        let got = reread.session(row, &arena);
        assert_eq!(
            session_json(&got, false),
            session_json(want, false),
            "{}: session at line {} read back",
            path.display(),
            row.first_line
        );
    }
    rows.len()
}

#[test]
fn every_sample_reads_back_to_the_same_sessions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        total += check(&entry.unwrap().path(), 5);
    }
    assert!(total > 100, "{total} sessions checked");
}

/// `path` gzip-compressed into `dir`, in two members (as `cat a.gz b.gz` makes).
fn gzipped(path: &Path, dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    let text = std::fs::read(path).unwrap();
    let half = text.len() / 2;
    let out = dir.join(format!("{}.gz", path.file_name().unwrap().to_string_lossy()));
    let mut f = std::fs::File::create(&out).unwrap();
    for part in [&text[..half], &text[half..]] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(part).unwrap();
        f.write_all(&e.finish().unwrap()).unwrap();
    }
    out
}

/// Rows of a gzip file read back through the decoder states noted while it loaded: every
/// sample and every generated log, states noted often enough that most rows resume from one.
#[test]
fn gzip_logs_read_back_to_the_same_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
    let mut total = 0;
    for entry in std::fs::read_dir(samples).unwrap() {
        total += check_as(&gzipped(&entry.unwrap().path(), dir.path()), 5, Some(2048), false);
    }
    assert!(total > 100, "{total} sample sessions checked");
    for format in loggen::FORMATS {
        let path = dir.path().join(format!("{format}.log"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        loggen::generate(format, 1, 11, &mut f).unwrap();
        drop(f);
        assert!(check_as(&gzipped(&path, dir.path()), 300, Some(32 * 1024), false) > 100);
    }
}

/// Rows of standard input read back from its bytes as kept: every sample, and a generated
/// log of many chunks.
#[test]
fn kept_input_reads_back_to_the_same_sessions() {
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
    let mut total = 0;
    for entry in std::fs::read_dir(samples).unwrap() {
        total += check_as(&entry.unwrap().path(), 5, None, true);
    }
    assert!(total > 100, "{total} sample sessions checked");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postfix.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    loggen::generate("postfix", 1, 5, &mut f).unwrap();
    drop(f);
    assert!(check_as(&path, 300, None, true) > 1000);
}

#[test]
fn generated_logs_read_back_to_the_same_sessions() {
    let dir = tempfile::tempdir().unwrap();
    for format in loggen::FORMATS {
        let path = dir.path().join(format!("{format}.log"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        loggen::generate(format, 1, 11, &mut f).unwrap();
        drop(f);
        assert!(check(&path, 300) > 100);
    }
}

/// A row lists the lines of its own connection, not the interleaved lines of others that an
/// event's range was widened over: reading back stays proportional to the session.
#[test]
fn rows_of_interleaved_logs_keep_about_their_own_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exchange.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let exp = loggen::generate("exchange-receive", 1, 11, &mut f).unwrap();
    drop(f);
    let (rows, arena, _) = rows_of(&path, 300, None);
    let listed: u64 = rows.iter().map(|(_, r)| arena.extra(r).lines.len() as u64).sum();
    assert!(
        listed < exp.lines * 2,
        "{listed} lines listed for a file of {}",
        exp.lines
    );
}

#[test]
fn a_file_changed_under_a_row_gives_a_note_not_a_wrong_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maillog");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs/postfix-maillog.log");
    std::fs::copy(sample, &path).unwrap();
    let (rows, arena, reread) = rows_of(&path, 5, None);
    let reread = reread.unwrap();
    let (_, row) = rows.iter().find(|(_, r)| r.first_line > 20).unwrap();
    let before = reread.session(row, &arena);
    assert!(before.events.len() > 1);
    // Rotated: the same name now holds other lines.
    std::fs::write(
        &path,
        "Nov 23 00:00:00 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\n",
    )
    .unwrap();
    let after = reread.session(row, &arena);
    assert_eq!(after.status(), row.status);
    assert_eq!(after.id, before.id);
    assert!(
        after.events[0].text.contains("could not read lines"),
        "{:?}",
        after.events
    );
    std::fs::remove_file(&path).unwrap();
    let gone = reread.session(row, &arena);
    assert!(
        gone.events[0].text.contains("could not read lines"),
        "{:?}",
        gone.events
    );
}
