//! A settled session kept compactly: what the list, the counts and the filter need, plus the
//! numbers of the lines its records came from, so its transcript is read back from the file
//! when it is shown (see `crate::reread`). A big log's million sessions fit in a few dozen
//! bytes each this way instead of a few kilobytes.
//!
//! The row itself holds only what sorting and counting touch for every session (start, first
//! line, status); the rest (end, zone, decisive code, last line, id, reply codes, line
//! numbers) is varint-encoded in a [`RowArena`], read when asked for. Where reading back
//! starts in the file is shared by all rows of a file (`crate::reread::Checkpoints`).

use super::{Enhanced, Outcome, ReplyCode, Session, Status, Timestamp};
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
/// Some reply of the session is a 4xx / a 5xx: the `4xx` and `5xx` filters answer from the
/// row without reading its codes in the arena.
const HAS_4XX: u8 = 64;
const HAS_5XX: u8 = 128;

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
        let replies: Vec<ReplyCode> = s.reply_codes().collect();
        for c in &replies {
            match c.basic / 100 {
                4 => flags |= HAS_4XX,
                5 => flags |= HAS_5XX,
                _ => {}
            }
        }
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

    /// The start as the display order compares it, when dated: wall-clock seconds and
    /// nanoseconds as stored, which order as [`SessionRow::start_when`] does without building
    /// a date (sorting a big log's order calls this twice per comparison).
    pub fn dated_start_key(&self) -> Option<(i64, u32)> {
        (self.flags & (HAS_START | START_DATED) == HAS_START | START_DATED)
            .then_some((self.start_s, self.start_ns))
    }

    pub fn closed(&self) -> bool {
        self.flags & CLOSED != 0
    }

    /// Whether some reply code of the row starts with `class`, for the classes the row keeps
    /// a bit for (4 and 5); `None` for the others (read the codes from the arena).
    pub fn has_reply_class(&self, class: u8) -> Option<bool> {
        match class {
            4 => Some(self.flags & HAS_4XX != 0),
            5 => Some(self.flags & HAS_5XX != 0),
            _ => None,
        }
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
#[path = "row_tests.rs"]
mod tests;
