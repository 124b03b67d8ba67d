//! A settled session kept compactly: what the list, the counts and the filter need, plus the
//! numbers of the lines its records came from, so its transcript is read back from the file
//! when it is shown (see `crate::reread`). A big log's million sessions fit in a few dozen
//! bytes each this way instead of a few kilobytes.
//!
//! The row itself holds only what sorting and counting touch for every session (start, first
//! line, status); the rest (end, zone, decisive code, last line, id, reply codes, line
//! numbers) is varint-encoded in a [`RowArena`], read when asked for. Where reading back
//! starts in the file is shared by all rows of a file (`crate::reread::Checkpoints`).

use super::{Enhanced, EventKind, Outcome, ReplyCode, Session, Status, Timestamp};
use crate::fasthash::FastMap;
use chrono::{DateTime, NaiveDateTime};

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

/// The compact form of one session: 32 bytes. Variable-length and rarely read parts live in a
/// [`RowArena`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRow {
    start_s: i64,
    pub first_line: u64,
    /// Chunk (high 32 bits) and offset in it (low 32 bits) of the row's part of the arena.
    extra_at: u64,
    start_ns: u32,
    pub status: Status,
    pub outcome: Outcome,
    flags: u8,
}

/// What the arena holds of a row besides id, replies and lines: cheap to decode (no
/// allocation), for the filter's time terms and for reading back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowHead {
    pub last_line: u64,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// The decisive reply's code, as [`Session::decisive_code`] had it.
    pub decisive: Option<ReplyCode>,
}

/// Arena chunks are closed at this size, so the arena never copies itself to grow: a big
/// log's arena is many chunks, each written once.
const CHUNK: usize = 1 << 20;

/// The id, reply codes, line numbers and [`RowHead`] of many [`SessionRow`]s, in chunks.
#[derive(Clone, Debug, Default)]
pub struct RowArena {
    chunks: Vec<Chunk>,
    /// While the last chunk is written: each id stem seen in it, and its place in the
    /// chunk's stem table once it came a second time (see [`split_id`]).
    seen: FastMap<String, Option<u32>>,
}

/// Part of an arena: rows' bytes, and the id stems they share. A Postfix log's ids are a
/// few dozen process ids each reused thousands of times (`smtpd[4030]#17321`): a stem
/// written once per chunk and a number per row, instead of 18 bytes a row.
#[derive(Clone, Debug, Default)]
struct Chunk {
    bytes: Vec<u8>,
    stems: Vec<Box<str>>,
}

/// Ids of stems a chunk has at most; others are written out.
const MAX_STEMS: usize = 4096;

impl SessionRow {
    /// Compacts `s`, read from `lines` (ascending), into a row and `arena`.
    pub fn new(s: &Session, lines: &[u64], arena: &mut RowArena) -> SessionRow {
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
        let head = Head {
            last_delta: s.last_line.wrapping_sub(s.first_line),
            end: (s.end.is_some()).then_some((end_s.wrapping_sub(start_s), end_ns)),
            zone,
            decisive,
        };
        let extra_at = arena.push(&head, &s.id, &replies, s.first_line, lines);
        SessionRow {
            start_s,
            first_line: s.first_line,
            extra_at,
            start_ns,
            status: s.status(),
            outcome: s.verdict.outcome,
            flags,
        }
    }

    /// The start time as the display order needs it (wall clock, whether dated), without the
    /// zone, which is in the arena (see [`SessionRow::head`]).
    pub fn start_when(&self) -> Option<(NaiveDateTime, bool)> {
        if self.flags & HAS_START == 0 {
            return None;
        }
        let when = DateTime::from_timestamp(self.start_s, self.start_ns)?.naive_utc();
        Some((when, self.flags & START_DATED != 0))
    }

    pub fn closed(&self) -> bool {
        self.flags & CLOSED != 0
    }

    /// Everything else the row knows, from `arena` (the arena it was built in or moved to).
    pub fn head(&self, arena: &RowArena) -> RowHead {
        let mut r = arena.reader(self.extra_at);
        let head = r.head(self.flags & HAS_END != 0, self.flags & ZONED != 0);
        let stamp = |secs: i64, nanos: u32, has: u8, dated: u8| -> Option<Timestamp> {
            if self.flags & has == 0 {
                return None;
            }
            let when = DateTime::from_timestamp(secs, nanos)?.naive_utc();
            Some(Timestamp {
                when,
                has_date: self.flags & dated != 0,
                offset: head.zone,
            })
        };
        let (end_delta, end_ns) = head.end.unwrap_or((0, 0));
        RowHead {
            last_line: self.first_line.wrapping_add(head.last_delta),
            start: stamp(self.start_s, self.start_ns, HAS_START, START_DATED),
            end: stamp(self.start_s.wrapping_add(end_delta), end_ns, HAS_END, END_DATED),
            decisive: head.decisive,
        }
    }

    /// Moves the row's arena position by `by` chunks (rows built in one arena, kept in
    /// another; see [`RowArena::append`]).
    pub fn rebase(&mut self, by: u64) {
        self.extra_at = self.extra_at.wrapping_add(by << 32);
    }
}

/// The head as stored: deltas against the row's own fields.
struct Head {
    last_delta: u64,
    /// End seconds minus start seconds (wrapping), end nanoseconds.
    end: Option<(i64, u32)>,
    zone: Option<i32>,
    decisive: Option<ReplyCode>,
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

/// Zigzag: small negative and positive numbers both become small varints.
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
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

    /// Bytes held (not counting chunk capacity not yet used).
    pub fn len(&self) -> u64 {
        self.chunks.iter().map(|c| c.bytes.len() as u64).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.iter().all(|c| c.bytes.is_empty())
    }

    /// Takes over another arena's chunks (trimmed to their length). Rows built in `other`
    /// then need [`SessionRow::rebase`] by the returned number.
    pub fn append(&mut self, other: RowArena) -> u64 {
        let by = self.chunks.len() as u64;
        for mut chunk in other.chunks {
            chunk.bytes.shrink_to_fit();
            chunk.stems.shrink_to_fit();
            self.chunks.push(chunk);
        }
        by
    }

    /// The chunk a new row's bytes go to: the last one until it is full.
    fn open_chunk(&mut self) -> (u64, &mut Chunk) {
        if self.chunks.last().is_none_or(|c| c.bytes.len() >= CHUNK) {
            self.chunks.push(Chunk::default());
            self.seen.clear();
        }
        let n = self.chunks.len() - 1;
        (n as u64, &mut self.chunks[n])
    }

    /// Writes `id`: a stem seen before in this chunk as its number, else the text.
    fn put_id(&mut self, id: &str) {
        let (stem, suffix) = split_id(id);
        let seen = &mut self.seen;
        let chunk = self.chunks.last_mut().expect("an open chunk");
        let at = match seen.get_mut(stem) {
            Some(Some(at)) => Some(*at),
            Some(slot @ None) if chunk.stems.len() < MAX_STEMS => {
                chunk.stems.push(stem.into());
                let at = (chunk.stems.len() - 1) as u32;
                *slot = Some(at);
                Some(at)
            }
            Some(None) => None,
            None => {
                seen.insert(stem.to_owned(), None);
                None
            }
        };
        let b = &mut chunk.bytes;
        match at {
            Some(at) => {
                put(b, u64::from(at) + 1);
                put(b, suffix);
            }
            None => {
                put(b, 0);
                put(b, id.len() as u64);
                b.extend_from_slice(id.as_bytes());
            }
        }
    }

    fn push(&mut self, head: &Head, id: &str, replies: &[ReplyCode], first_line: u64, lines: &[u64]) -> u64 {
        let (chunk, c) = self.open_chunk();
        let at = (chunk << 32) | c.bytes.len() as u64;
        let b = &mut c.bytes;
        put(b, head.last_delta);
        if let Some((delta, nanos)) = head.end {
            put(b, zigzag(delta));
            put(b, u64::from(nanos));
        }
        if let Some(zone) = head.zone {
            put(b, zigzag(i64::from(zone)));
        }
        match head.decisive {
            Some(c) => put_reply(b, c.basic, c.enhanced),
            None => put(b, 0),
        }
        self.put_id(id);
        let b = &mut self.chunks.last_mut().expect("an open chunk").bytes;
        put(b, replies.len() as u64);
        for r in replies {
            put_reply(b, r.basic, r.enhanced);
        }
        put(b, lines.len() as u64);
        // The first line is written as its distance back from the row's first line: a byte.
        let mut prev = first_line.min(lines.first().copied().unwrap_or(first_line));
        put(b, first_line - prev);
        for &l in lines {
            put(b, l.wrapping_sub(prev));
            prev = l;
        }
        at
    }

    fn reader(&self, at: u64) -> Reader<'_> {
        let (b, stems) = self
            .chunks
            .get((at >> 32) as usize)
            .map_or((&[][..], &[][..]), |c| (c.bytes.as_slice(), c.stems.as_slice()));
        Reader {
            b,
            at: (at & u64::from(u32::MAX)) as usize,
            stems,
        }
    }

    /// The reader at `row`'s id (past the head).
    fn after_head(&self, row: &SessionRow) -> Reader<'_> {
        let mut r = self.reader(row.extra_at);
        r.head(row.flags & HAS_END != 0, row.flags & ZONED != 0);
        r
    }

    /// The id, replies and lines of `row`.
    pub fn extra(&self, row: &SessionRow) -> RowExtra {
        let mut r = self.after_head(row);
        let id = r.id();
        let n = r.get() as usize;
        let replies = (0..n.min(r.left())).map(|_| r.reply()).collect();
        let n = r.get() as usize;
        let mut line = row.first_line.wrapping_sub(r.get());
        let lines = (0..n.min(r.left()))
            .map(|_| {
                line = line.wrapping_add(r.get());
                line
            })
            .collect();
        RowExtra { id, replies, lines }
    }

    /// Calls `each` with every reply code of `row` until it returns true.
    pub fn any_reply(&self, row: &SessionRow, mut each: impl FnMut(ReplyCode) -> bool) -> bool {
        let mut r = self.after_head(row);
        r.skip_id();
        let n = r.get();
        (0..n.min(r.left() as u64)).any(|_| each(r.reply()))
    }
}

/// An id as the assembler makes them, `key` or `key#n` (n ≥ 2): the key and n (0: none).
/// Anything else is the whole id and 0, so joining gives back exactly the id.
fn split_id(id: &str) -> (&str, u64) {
    if let Some((stem, n)) = id.rsplit_once('#') {
        if let Ok(v) = n.parse::<u64>() {
            if v >= 2 && !n.starts_with(['0', '+']) {
                return (stem, v);
            }
        }
    }
    (id, 0)
}

fn join_id(stem: &str, suffix: u64) -> String {
    match suffix {
        0 => stem.to_owned(),
        n => format!("{stem}#{n}"),
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

/// A reply code in two or three bytes: basic code and enhanced class in one varint, then (when
/// there is an enhanced code) subject and detail in another. Basic 0 is "no code".
fn put_reply(b: &mut Vec<u8>, basic: u16, enhanced: Option<Enhanced>) {
    let tag = enhanced.map_or(0, |e| u64::from(e.class.min(14)) + 1);
    put(b, (u64::from(basic) << 4) | tag);
    if let Some(e) = enhanced {
        put(
            b,
            u64::from(e.subject.min(999)) * 1000 + u64::from(e.detail.min(999)),
        );
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    /// The chunk's id stems.
    stems: &'a [Box<str>],
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

    /// Bytes left: a count read from a damaged arena never allocates more than this.
    fn left(&self) -> usize {
        self.b.len().saturating_sub(self.at)
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let end = self.at.saturating_add(n).min(self.b.len());
        let s = &self.b[self.at.min(end)..end];
        self.at = end;
        s
    }

    fn id(&mut self) -> String {
        match self.get() {
            0 => {
                let n = self.get() as usize;
                String::from_utf8_lossy(self.bytes(n)).into_owned()
            }
            at => {
                let stem = self.stems.get(at as usize - 1).map_or("", |s| &**s);
                join_id(stem, self.get())
            }
        }
    }

    fn skip_id(&mut self) {
        match self.get() {
            0 => {
                let n = self.get() as usize;
                self.bytes(n);
            }
            _ => {
                self.get();
            }
        }
    }

    fn reply(&mut self) -> ReplyCode {
        let v = self.get();
        let enhanced = (v & 15 != 0).then(|| {
            let rest = self.get();
            Enhanced {
                class: (v & 15) as u8 - 1,
                subject: (rest / 1000 % 1000) as u16,
                detail: (rest % 1000) as u16,
            }
        });
        ReplyCode {
            basic: (v >> 4) as u16,
            enhanced,
        }
    }

    fn head(&mut self, has_end: bool, zoned: bool) -> Head {
        let last_delta = self.get();
        let end = has_end.then(|| (unzigzag(self.get()), self.get() as u32));
        let zone = zoned.then(|| unzigzag(self.get()) as i32);
        let decisive = self.reply();
        Head {
            last_delta,
            end,
            zone,
            decisive: (decisive.basic != 0).then_some(decisive),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Direction, Event, Verdict};

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
}
