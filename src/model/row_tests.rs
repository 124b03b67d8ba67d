//! Tests of compact rows and their arena (kept apart: the module itself is long enough).

use super::*;
use crate::model::{Direction, Event, EventKind, Verdict};

fn reply(text: &str) -> Event {
    let mut ev = Event::new(12, None, Direction::Server, EventKind::Reply, text.into());
    ev.code = Some(ReplyCode {
        basic: text[..3].parse().unwrap(),
        enhanced: Enhanced::parse_prefix(text.get(4..).unwrap_or("")).map(|(e, _)| e),
    });
    ev
}

fn failed_login() -> Session {
    let mut s = Session::new("f".into(), "postfix", "smtpd[42]#3".into(), 10);
    s.last_line = 400;
    s.start = crate::model::parse_iso_local("2026-11-22T10:00:01.250").map(Timestamp::local);
    s.end = Some(Timestamp::utc(s.start.unwrap().when));
    s.events.push(reply("250 ok"));
    s.events.push(reply("535 5.7.8 no"));
    s.closed = true;
    s.verdict = Verdict {
        status: Status::Failure,
        outcome: Outcome::AuthFailed,
        decisive: Some(1),
    };
    s
}

#[test]
fn a_row_keeps_what_the_list_and_filter_need() {
    let s = failed_login();
    let mut arena = RowArena::new();
    SessionRow::new(
        &Session::new("f".into(), "x", "other".into(), 1),
        &[1, 2],
        &mut arena,
    );
    let lines = [10, 12, 200, 400];
    let row = SessionRow::new(&s, &lines, &mut arena);
    assert_eq!(row.status, Status::Failure);
    assert_eq!(row.outcome, Outcome::AuthFailed);
    assert!(row.closed());
    let head = row.head(&arena);
    assert_eq!(row.start_when(), s.start.map(|t| (t.when, true)));
    // One zone is kept for both ends: the end's UTC marks the start as UTC too.
    assert_eq!(
        head.start.map(|t| (t.when, t.has_date, t.offset)),
        s.start.map(|t| (t.when, true, Some(0)))
    );
    assert_eq!(head.end, s.end);
    assert_eq!(head.decisive.map(|c| c.to_string()).as_deref(), Some("535 5.7.8"));
    assert_eq!(head.last_line, 400);
    let extra = arena.extra(&row);
    assert_eq!(extra.id, "smtpd[42]#3");
    assert_eq!(extra.lines, lines);
    assert_eq!(
        extra.replies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["250", "535 5.7.8"]
    );
    assert!(arena.any_reply(&row, |c| c.basic == 535));
    assert!(!arena.any_reply(&row, |c| c.basic == 421));
    assert_eq!(checkpoint_line(10), 1);
    assert_eq!(checkpoint_line(1025), 1025);
    assert_eq!(checkpoint_line(2000), 1025);
}

/// The viewer holds a row per session of a big log: every byte here is a megabyte and a
/// half on a 1 GiB log.
#[test]
fn a_row_is_32_bytes() {
    assert_eq!(std::mem::size_of::<SessionRow>(), 32);
}

/// Line numbers and byte offsets past 2^32, an end before the start, a zone east of UTC,
/// no start at all: all come back as they went in.
#[test]
fn the_head_round_trips_big_numbers_and_odd_times() {
    let mut arena = RowArena::new();
    let mut s = failed_login();
    s.first_line = 5 << 32;
    s.last_line = (5 << 32) + 70_000;
    let when = s.start.unwrap().when;
    s.start = Some(Timestamp {
        when,
        has_date: false,
        offset: Some(3600),
    });
    s.end = Some(Timestamp {
        when: when - chrono::Duration::milliseconds(1500),
        has_date: false,
        offset: Some(3600),
    });
    let lines = [5 << 32, (5 << 32) + 3, (5 << 32) + 70_000];
    let row = SessionRow::new(&s, &lines, &mut arena);
    let head = row.head(&arena);
    assert_eq!((head.start, head.end), (s.start, s.end));
    assert_eq!(head.last_line, s.last_line);
    assert_eq!(row.first_line, 5 << 32);
    assert_eq!(arena.extra(&row).lines, lines);

    s.start = None;
    s.end = None;
    s.verdict.decisive = None;
    let row = SessionRow::new(&s, &lines, &mut arena);
    let head = row.head(&arena);
    assert_eq!(
        (row.start_when(), head.start, head.end, head.decisive),
        (None, None, None, None)
    );
    assert_eq!(arena.extra(&row).id, "smtpd[42]#3");
}

/// Rows spread over many chunks, and rows of a second arena taken over with `append` and
/// `rebase`, all read back their own parts.
#[test]
fn the_arena_grows_by_chunks_and_takes_over_other_arenas() {
    let mut arena = RowArena::new();
    let mut s = failed_login();
    let mut rows = Vec::new();
    for n in 0..40_000u64 {
        s.id = format!("smtpd[{n}]#with-a-longer-id-to-fill-chunks");
        s.first_line = n * 10 + 1;
        s.last_line = n * 10 + 9;
        rows.push(SessionRow::new(&s, &[n * 10 + 1, n * 10 + 9], &mut arena));
    }
    assert!(arena.chunks.len() > 1, "{} chunks", arena.chunks.len());
    assert!(arena.chunks.iter().all(|c| c.bytes.len() < CHUNK + 200));
    let mut other = RowArena::new();
    s.id = "from another batch".into();
    let mut moved = SessionRow::new(&s, &[7], &mut other);
    let by = arena.append(other);
    moved.rebase(by);
    rows.push(moved);
    for (n, row) in rows.iter().enumerate().take(40_000) {
        let extra = arena.extra(row);
        assert_eq!(extra.id, format!("smtpd[{n}]#with-a-longer-id-to-fill-chunks"));
        assert_eq!(extra.lines, [row.first_line, row.first_line + 8]);
        assert_eq!(row.head(&arena).last_line, row.first_line + 8);
    }
    assert_eq!(arena.extra(&moved).id, "from another batch");
    assert_eq!(moved.head(&arena).last_line, s.last_line);
    assert!(!arena.is_empty() && arena.len() > CHUNK as u64);
}

#[test]
fn reply_codes_round_trip_in_a_few_bytes() {
    let codes = [
        "250",
        "250 2.0.0",
        "550 5.7.1",
        "421 4.4.2",
        "554 5.999.999",
        "999",
        "200 2.17.0",
    ];
    let mut b = Vec::new();
    for c in codes {
        let code = ReplyCode {
            basic: c[..3].parse().unwrap(),
            enhanced: c.get(4..).and_then(Enhanced::parse),
        };
        put_reply(&mut b, code.basic, code.enhanced);
    }
    assert!(b.len() <= codes.len() * 4, "{} bytes", b.len());
    let mut r = Reader {
        b: &b,
        at: 0,
        stems: &[],
    };
    for c in codes {
        assert_eq!(r.reply().to_string(), c);
    }
    assert_eq!(r.left(), 0);
    // The codes of a typical delivery take three bytes each, not five or six.
    let mut b = Vec::new();
    put_reply(&mut b, 250, Enhanced::parse("2.0.0"));
    put_reply(&mut b, 250, Enhanced::parse("2.1.5"));
    assert_eq!(b.len(), 3 + 4);
}

/// A damaged or foreign position reads as empty, never panics or allocates wildly.
#[test]
fn a_row_from_an_empty_arena_reads_as_nothing() {
    let mut arena = RowArena::new();
    let row = SessionRow::new(&failed_login(), &[10, 12], &mut arena);
    let empty = RowArena::new();
    let extra = empty.extra(&row);
    assert!(extra.id.is_empty() && extra.lines.is_empty() && extra.replies.is_empty());
    assert_eq!(row.head(&empty).decisive, None);
}

/// Ids sharing a stem are written once per chunk and then as numbers; every kind of id
/// (reused key, first use, odd suffixes, a key containing `#`) reads back exactly.
#[test]
fn ids_read_back_exactly_and_shared_stems_cost_a_few_bytes() {
    let ids = [
        "smtpd[4030]",
        "smtpd[4030]#2",
        "smtpd[4030]#17321",
        "smtpd[4030]#17322",
        "a#1",
        "a#01",
        "a#+5",
        "a#",
        "#",
        "#3",
        "#4",
        "x#y#9",
        "x#y#10",
        "",
        "smtpd[4030]#18446744073709551615",
    ];
    let mut arena = RowArena::new();
    let mut s = failed_login();
    let rows: Vec<SessionRow> = ids
        .iter()
        .map(|id| {
            s.id = (*id).to_owned();
            SessionRow::new(&s, &[10], &mut arena)
        })
        .collect();
    for (row, id) in rows.iter().zip(ids) {
        assert_eq!(arena.extra(row).id, id);
        assert!(arena.any_reply(row, |c| c.basic == 535), "{id}");
    }
    assert_eq!(split_id("smtpd[4030]#17321"), ("smtpd[4030]", 17321));
    assert_eq!(split_id("a#1"), ("a#1", 0));
    // A thousand sessions of one process: the stem is kept once, and a row takes at
    // least ten bytes less than with ids that share nothing (and are shorter).
    let mut bytes = |id: &dyn Fn(u32) -> String| {
        let mut arena = RowArena::new();
        for n in 2..1002 {
            s.id = id(n);
            SessionRow::new(&s, &[10], &mut arena);
        }
        (arena.len() / 1000, arena.chunks[0].stems.len())
    };
    let (shared, stems) = bytes(&|n| format!("smtpd[4030]#{n}"));
    let (unique, no_stems) = bytes(&|n| format!("smtpd[{n:05}]"));
    assert_eq!((stems, no_stems), (1, 0));
    assert!(shared + 10 <= unique, "{shared} against {unique} bytes a row");
}

/// The display order compares rows by their stored seconds and nanoseconds: that must order
/// them exactly as their start times do, before and after 1970 and to the nanosecond, and
/// leave undated and timeless rows out.
#[test]
fn the_order_key_orders_rows_as_their_start_times() {
    let mut arena = RowArena::new();
    let stamps = [
        "1969-12-31T23:59:59.999999999",
        "1970-01-01T00:00:00",
        "2026-11-22T10:00:01.250",
        "2026-11-22T10:00:01.250000001",
        "2026-11-22T10:00:02",
        "2099-01-01T00:00:00",
    ];
    let mut rows = Vec::new();
    for (i, stamp) in stamps.iter().enumerate() {
        let mut s = Session::new("f".into(), "x", format!("s{i}"), 1);
        s.start = crate::model::parse_iso_local(stamp).map(Timestamp::local);
        assert!(s.start.is_some(), "{stamp}");
        rows.push(SessionRow::new(&s, &[1], &mut arena));
    }
    for a in &rows {
        for b in &rows {
            assert_eq!(
                a.dated_start_key().cmp(&b.dated_start_key()),
                a.start_when().cmp(&b.start_when()),
            );
        }
    }
    let mut undated = Session::new("f".into(), "x", "u".into(), 1);
    undated.start = rows[2].start_when().map(|(when, _)| Timestamp {
        when,
        has_date: false,
        offset: None,
    });
    assert_eq!(
        SessionRow::new(&undated, &[1], &mut arena).dated_start_key(),
        None
    );
    let timeless = Session::new("f".into(), "x", "t".into(), 1);
    assert_eq!(
        SessionRow::new(&timeless, &[1], &mut arena).dated_start_key(),
        None
    );
}
