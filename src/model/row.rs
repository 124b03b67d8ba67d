//! A settled session kept compactly: what the list, the counts and the filter need, plus the
//! numbers of the lines its records came from, so its transcript is read back from the file
//! when it is shown (see `crate::reread`). A big log's million sessions fit in a few dozen
//! bytes each this way instead of a few kilobytes.

use super::{Enhanced, EventKind, Outcome, ReplyCode, Session, Status, Timestamp};
use chrono::DateTime;

/// Every this many lines the loader notes a line's byte offset; reading a session again starts
/// at the last such line before it.
pub const CHECKPOINT_EVERY: u64 = 1024;

/// The line number reading again starts at for a session beginning at `first_line`.
pub fn checkpoint_line(first_line: u64) -> u64 {
    (first_line.max(1) - 1) / CHECKPOINT_EVERY * CHECKPOINT_EVERY + 1
}

const HAS_START: u8 = 1;
const START_DATED: u8 = 2;
const HAS_END: u8 = 4;
const END_DATED: u8 = 8;
const ZONED: u8 = 16;
const CLOSED: u8 = 32;

/// The compact form of one session. Variable-length parts (id, reply codes, lines) live in a
/// [`RowArena`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRow {
    start_s: i64,
    end_s: i64,
    start_ns: u32,
    end_ns: u32,
    pub first_line: u64,
    pub last_line: u64,
    /// Byte offset of line [`checkpoint_line`]`(first_line)` in the file.
    pub scan_from: u64,
    extra_at: u64,
    zone: i32,
    enhanced: u32,
    code: u16,
    pub status: Status,
    pub outcome: Outcome,
    flags: u8,
}

/// The id, reply codes and line numbers of many [`SessionRow`]s, one after another.
#[derive(Clone, Debug, Default)]
pub struct RowArena {
    bytes: Vec<u8>,
}

impl SessionRow {
    /// Compacts `s`, read from `lines` (ascending), into a row and `arena`.
    pub fn new(s: &Session, lines: &[u64], scan_from: u64, arena: &mut RowArena) -> SessionRow {
        let mut flags = 0;
        let (start_s, start_ns, start_dated, zone) = pack_time(s.start);
        let (end_s, end_ns, end_dated, end_zone) = pack_time(s.end);
        if s.start.is_some() {
            flags |= HAS_START;
        }
        if start_dated {
            flags |= START_DATED;
        }
        if s.end.is_some() {
            flags |= HAS_END;
        }
        if end_dated {
            flags |= END_DATED;
        }
        let zone = zone.or(end_zone);
        if zone.is_some() {
            flags |= ZONED;
        }
        if s.closed {
            flags |= CLOSED;
        }
        let decisive = s.decisive_code();
        let replies: Vec<ReplyCode> = s
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Reply)
            .filter_map(|e| e.code)
            .collect();
        let extra_at = arena.push(&s.id, &replies, s.first_line, lines);
        SessionRow {
            start_s,
            end_s,
            start_ns,
            end_ns,
            first_line: s.first_line,
            last_line: s.last_line,
            scan_from,
            extra_at,
            zone: zone.unwrap_or(0),
            enhanced: decisive.and_then(|c| c.enhanced).map_or(0, pack_enhanced),
            code: decisive.map_or(0, |c| c.basic),
            status: s.status(),
            outcome: s.verdict.outcome,
            flags,
        }
    }

    pub fn start(&self) -> Option<Timestamp> {
        self.time(self.start_s, self.start_ns, HAS_START, START_DATED)
    }

    pub fn end(&self) -> Option<Timestamp> {
        self.time(self.end_s, self.end_ns, HAS_END, END_DATED)
    }

    pub fn closed(&self) -> bool {
        self.flags & CLOSED != 0
    }

    /// The decisive reply's code, as [`Session::decisive_code`] had it.
    pub fn decisive_code(&self) -> Option<ReplyCode> {
        (self.code != 0).then(|| ReplyCode {
            basic: self.code,
            enhanced: unpack_enhanced(self.enhanced),
        })
    }

    /// Moves the row's arena position by `by` (rows built in one arena, kept in another).
    pub fn rebase(&mut self, by: u64) {
        self.extra_at += by;
    }

    fn time(&self, secs: i64, nanos: u32, has: u8, dated: u8) -> Option<Timestamp> {
        if self.flags & has == 0 {
            return None;
        }
        let when = DateTime::from_timestamp(secs, nanos)?.naive_utc();
        Some(Timestamp {
            when,
            has_date: self.flags & dated != 0,
            offset: (self.flags & ZONED != 0).then_some(self.zone),
        })
    }
}

fn pack_time(t: Option<Timestamp>) -> (i64, u32, bool, Option<i32>) {
    match t {
        Some(t) => {
            let utc = t.when.and_utc();
            (
                utc.timestamp(),
                utc.timestamp_subsec_nanos(),
                t.has_date,
                t.offset,
            )
        }
        None => (0, 0, false, None),
    }
}

/// `class.subject.detail` in one word (class ≤ 9, subject and detail ≤ 999); 0 is none.
fn pack_enhanced(e: Enhanced) -> u32 {
    u32::from(e.class) * 1_000_000 + u32::from(e.subject.min(999)) * 1000 + u32::from(e.detail.min(999))
}

fn unpack_enhanced(v: u32) -> Option<Enhanced> {
    (v != 0).then_some(Enhanced {
        class: (v / 1_000_000) as u8,
        subject: (v / 1000 % 1000) as u16,
        detail: (v % 1000) as u16,
    })
}

/// What the arena holds for one row.
pub struct RowExtra {
    pub id: String,
    /// Every reply code of the session, in order (the filter matches any of them).
    pub replies: Vec<ReplyCode>,
    /// The lines the session was read from, ascending.
    pub lines: Vec<u64>,
}

impl RowArena {
    pub fn new() -> Self {
        RowArena::default()
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Appends another arena (rows built in it then need [`SessionRow::rebase`] by the length
    /// this one had).
    pub fn append(&mut self, other: &RowArena) {
        self.bytes.extend_from_slice(&other.bytes);
    }

    fn push(&mut self, id: &str, replies: &[ReplyCode], first_line: u64, lines: &[u64]) -> u64 {
        let at = self.bytes.len() as u64;
        let b = &mut self.bytes;
        put(b, id.len() as u64);
        b.extend_from_slice(id.as_bytes());
        put(b, replies.len() as u64);
        for r in replies {
            put(b, u64::from(r.basic));
            put(b, u64::from(r.enhanced.map_or(0, pack_enhanced)));
        }
        put(b, lines.len() as u64);
        let mut prev = first_line.min(lines.first().copied().unwrap_or(first_line));
        put(b, prev);
        for &l in lines {
            put(b, l - prev);
            prev = l;
        }
        at
    }

    /// The id, replies and lines of `row`.
    pub fn extra(&self, row: &SessionRow) -> RowExtra {
        let mut r = Reader {
            b: &self.bytes,
            at: row.extra_at as usize,
        };
        let id_len = r.get() as usize;
        let id = r.bytes(id_len);
        let id = String::from_utf8_lossy(id).into_owned();
        let n = r.get() as usize;
        let replies = (0..n)
            .map(|_| ReplyCode {
                basic: r.get() as u16,
                enhanced: unpack_enhanced(r.get() as u32),
            })
            .collect();
        let n = r.get() as usize;
        let mut line = r.get();
        let lines = (0..n)
            .map(|_| {
                line += r.get();
                line
            })
            .collect();
        RowExtra { id, replies, lines }
    }

    /// Calls `each` with every reply code of `row` until it returns true.
    pub fn any_reply(&self, row: &SessionRow, mut each: impl FnMut(ReplyCode) -> bool) -> bool {
        let mut r = Reader {
            b: &self.bytes,
            at: row.extra_at as usize,
        };
        let id_len = r.get() as usize;
        r.bytes(id_len);
        let n = r.get();
        (0..n).any(|_| {
            let code = ReplyCode {
                basic: r.get() as u16,
                enhanced: unpack_enhanced(r.get() as u32),
            };
            each(code)
        })
    }
}

/// LEB128: seven bits per byte, low first.
fn put(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn get(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        while let Some(&byte) = self.b.get(self.at) {
            self.at += 1;
            if shift < 64 {
                v |= u64::from(byte & 0x7f) << shift;
            }
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        v
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let end = (self.at + n).min(self.b.len());
        let s = &self.b[self.at.min(end)..end];
        self.at = end;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Direction, Event, Verdict};

    #[test]
    fn a_row_keeps_what_the_list_and_filter_need() {
        let mut s = Session::new("f".into(), "postfix", "smtpd[42]#3".into(), 10);
        s.last_line = 400;
        s.start = crate::model::parse_iso_local("2026-11-22T10:00:01.250").map(Timestamp::local);
        s.end = Some(Timestamp::utc(s.start.unwrap().when));
        let mut ev = Event::new(
            12,
            None,
            Direction::Server,
            EventKind::Reply,
            "535 5.7.8 no".into(),
        );
        ev.code = Some(ReplyCode {
            basic: 535,
            enhanced: Enhanced::parse("5.7.8"),
        });
        s.events.push(ev);
        s.closed = true;
        s.verdict = Verdict {
            status: Status::Failure,
            outcome: Outcome::AuthFailed,
            decisive: Some(0),
        };
        let mut arena = RowArena::new();
        arena.push("other", &[], 1, &[1, 2]);
        let lines = [10, 12, 200, 400];
        let row = SessionRow::new(&s, &lines, 777, &mut arena);
        assert_eq!(row.status, Status::Failure);
        assert_eq!(row.outcome, Outcome::AuthFailed);
        assert!(row.closed());
        assert_eq!(
            row.start().map(|t| (t.when, t.has_date)),
            s.start.map(|t| (t.when, true))
        );
        assert_eq!(row.end().and_then(|t| t.offset), Some(0));
        assert_eq!(
            row.decisive_code().map(|c| c.to_string()).as_deref(),
            Some("535 5.7.8")
        );
        let extra = arena.extra(&row);
        assert_eq!(extra.id, "smtpd[42]#3");
        assert_eq!(extra.lines, lines);
        assert_eq!(extra.replies.len(), 1);
        assert!(arena.any_reply(&row, |c| c.basic == 535));
        assert!(!arena.any_reply(&row, |c| c.basic == 250));
        assert_eq!((row.first_line, row.last_line, row.scan_from), (10, 400, 777));
        assert_eq!(checkpoint_line(10), 1);
        assert_eq!(checkpoint_line(1025), 1025);
        assert_eq!(checkpoint_line(2000), 1025);
    }
}
