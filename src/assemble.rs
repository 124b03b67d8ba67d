//! Streaming assembly: records in, sessions out. Shared by every format and by both whole-file
//! loading and live tail, so multi-line replies, command/reply pairing, credential masking and
//! status are handled once.

use crate::fasthash::{FastMap, FastSet};
use crate::formats::{Item, Key, Record};
use crate::model::{
    parse_reply_line, Direction, Enhanced, Event, EventKind, InfoKind, ReplyCode, Session, Step, Timestamp,
};
use std::collections::VecDeque;
use std::sync::Arc;

/// Most unparsed lines kept for viewing per source; the count covers all of them.
pub const UNPARSED_KEEP: usize = 10_000;

/// Per-session state that only matters while lines are still arriving.
#[derive(Default)]
struct Track {
    /// Commands sent and not yet answered, oldest first (pipelining sends several).
    pending: VecDeque<Step>,
    /// The last reply's last line ended in `ddd-`: more lines of it will follow.
    reply_open: bool,
    replies: u32,
    /// Between a `354` and the final `.`: client lines are message content.
    in_data: bool,
    /// The next reply answers the end of the message data.
    await_data_end: bool,
    /// A `334` challenge is outstanding: client lines are credentials.
    in_auth: bool,
    /// The first and last lines of the session read before its first event (a `Begin`, a
    /// header, lines a parser holds to emit as one note); the first event is widened to cover
    /// them, so they stay accounted for.
    before_first_event: Option<(u64, u64)>,
    /// The record key the session was opened under (its id may change), so a settled session
    /// can be taken out of the key maps.
    key: Key,
    /// The lines records came from, when settled sessions keep them (to be read again).
    lines: Vec<u64>,
}

/// Streaming mode (see [`Assembler::settle_after`]): sessions nothing has touched for
/// `window` lines are evaluated, handed out in order and forgotten, so memory stays bounded
/// by the window instead of growing with the file.
struct Settle {
    window: u64,
    /// Keep each session's line numbers for [`Assembler::take_ready`].
    keep_lines: bool,
    /// Keep the change list for [`Assembler::take_changed`] (a viewer shows sessions while
    /// they are in progress; a streamed list only prints them once).
    track_changes: bool,
    /// The highest line number seen so far.
    high_line: u64,
    /// Records pushed since the last look for settled sessions.
    since_check: u32,
    /// Absolute index of the next session to hand out.
    next_out: usize,
    ready: Vec<Settled>,
    /// See [`Assembler::input_line`].
    input_line: u64,
}

/// A session handed out by settle mode, with the lines its records came from (sorted; empty
/// unless asked for).
pub struct Settled {
    /// Its absolute index (the position a whole-file load would have given it).
    pub index: usize,
    pub session: Session,
    pub lines: Vec<u64>,
}

/// The longest event range (in lines) taken whole into a settled session's lines.
const HELD_BLOCK_MAX: u64 = 64;

/// How many records pass between two looks for settled sessions.
const SETTLE_CHECK_EVERY: u32 = 4096;

/// What the assembler reads out of a note's text (its reply code, the credentials to mask),
/// worked out beforehand by [`prepare`]: a big log's notes can be scanned on the parsing
/// thread, which has time to spare, instead of on the assembling thread, which has none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prepared {
    /// Only for [`Item::Late`]: a delivery result quotes the remote's reply.
    code: Option<ReplyCode>,
    /// For [`Item::Late`] and [`Item::Info`]: an `AUTH` payload quoted in the note.
    secret: Option<std::ops::Range<usize>>,
}

#[cfg(test)]
impl Prepared {
    /// The reply code the note quotes, the part of a scan that a note without text (see
    /// [`crate::formats::LineParser::notes_without_text`]) must still give.
    pub(crate) fn code(&self) -> Option<ReplyCode> {
        self.code
    }
}

/// Scans a record's note text as the assembler needs it; any thread may call it.
pub fn prepare(item: &Item) -> Prepared {
    match item {
        Item::Late(_, text) => Prepared {
            code: find_reply_code(text),
            secret: auth_argument_in(text),
        },
        Item::Info(_, text) => Prepared {
            code: None,
            secret: auth_argument_in(text),
        },
        _ => Prepared::default(),
    }
}

/// What [`Assembler`] knows of a record key.
struct KeySlot {
    /// The absolute index of the last session opened under the key, ended or not (for
    /// [`Item::Late`]).
    last: usize,
    /// That session still takes the key's records.
    active: bool,
}

/// Groups records into sessions.
pub struct Assembler {
    source: Arc<str>,
    format: &'static str,
    /// Sessions from absolute index `base` on (earlier ones were settled and handed out, from
    /// the front: a queue holds the settle window and no more).
    sessions: VecDeque<Session>,
    tracks: VecDeque<Track>,
    base: usize,
    settle: Option<Settle>,
    /// The last session opened under each key, and whether it is still active (not ended,
    /// not begun again): one map, since a key's active session is always its last one, so a
    /// record costs one lookup and a new session one insert.
    by_key: FastMap<Key, KeySlot>,
    /// The keys that opened a session, by keyed SipHash (a big log has a million keys; with a
    /// random key a crafted log cannot make two of them collide): each as 8 bytes, and a
    /// count only for the few used again (the count would double what every key costs).
    used_keys: FastSet<u64>,
    reused_keys: FastMap<u64, u32>,
    key_hasher: std::hash::RandomState,
    generated: u32,
    /// Per session: changed since the last [`Assembler::take_changed`]; `changed` lists those
    /// indices, so taking them costs what changed, not what was loaded.
    dirty: VecDeque<bool>,
    changed: Vec<usize>,
    /// Lines no rule understood: total count and the first [`UNPARSED_KEEP`] of them.
    pub unparsed_count: u64,
    pub unparsed: Vec<(u64, String)>,
}

impl Assembler {
    pub fn new(source: Arc<str>, format: &'static str) -> Self {
        Assembler {
            source,
            format,
            sessions: VecDeque::new(),
            tracks: VecDeque::new(),
            base: 0,
            settle: None,
            by_key: FastMap::default(),
            used_keys: Default::default(),
            reused_keys: FastMap::default(),
            key_hasher: std::hash::RandomState::new(),
            generated: 0,
            dirty: VecDeque::new(),
            changed: Vec::new(),
            unparsed_count: 0,
            unparsed: Vec::new(),
        }
    }

    /// How many sessions are held: all of them, unless [`Assembler::settle_after`] handed
    /// some out.
    pub fn held(&self) -> usize {
        self.sessions.len()
    }

    /// Streaming mode for whole files: a session no record has touched for `window` lines is
    /// final enough to print. It is queued for [`Assembler::take_ready`] (in session order: an
    /// older session still in progress holds the later ones back) and dropped; whoever takes
    /// it evaluates it, on another thread if it likes. A record arriving later for its key
    /// opens a new session, so the window must be wider than the gaps a log leaves between a
    /// connection's lines (Postfix writes delivery results shortly after the disconnect).
    pub fn settle_after(&mut self, window: u64) {
        self.settle_with(window, false, false);
    }

    /// As [`Assembler::settle_after`]; `keep_lines` records each session's line numbers,
    /// `track_changes` keeps [`Assembler::take_changed`] working for the sessions in progress.
    pub fn settle_with(&mut self, window: u64, keep_lines: bool, track_changes: bool) {
        self.settle = Some(Settle {
            window,
            keep_lines,
            track_changes,
            high_line: 0,
            since_check: 0,
            next_out: self.base,
            ready: Vec::new(),
            input_line: 0,
        });
    }

    /// Settle mode: stops keeping the change list (see [`Assembler::settle_with`]); for a
    /// viewer that gets every session once it settles and needs no in-progress copies.
    pub fn stop_tracking_changes(&mut self) {
        if let Some(st) = self.settle.as_mut() {
            st.track_changes = false;
        }
        self.changed.clear();
    }

    /// The sessions settled since the last call, in order, with their indices and lines (when
    /// kept), not evaluated yet.
    pub fn take_ready(&mut self) -> Vec<Settled> {
        match self.settle.as_mut() {
            // The next batch gets as much room as this one needed: grown from nothing, the
            // queue copied its sessions (~300 bytes each) again at every doubling.
            Some(st) => {
                let room = st.ready.len();
                std::mem::replace(&mut st.ready, Vec::with_capacity(room))
            }
            None => Vec::new(),
        }
    }

    /// The session at absolute index `i`, unless it was settled and handed out.
    pub fn session(&self, i: usize) -> Option<&Session> {
        let handed_out = self.settle.as_ref().map_or(0, |st| st.next_out);
        if i < handed_out {
            return None;
        }
        self.sessions.get(i.checked_sub(self.base)?)
    }

    /// The indices of the sessions held: not settled and handed out yet.
    pub fn held_indices(&self) -> std::ops::Range<usize> {
        let handed_out = self.settle.as_ref().map_or(0, |st| st.next_out);
        handed_out.max(self.base)..self.base + self.sessions.len()
    }

    /// Settle mode at the end of the input: hands out every session still held.
    pub fn settle_rest(&mut self) {
        self.settle_idle(true);
    }

    /// Hands out, in order, the leading sessions idle for the whole window (all, if `all`).
    fn settle_idle(&mut self, all: bool) {
        let Some(st) = self.settle.as_mut() else { return };
        while let Some(front) = self.sessions.front() {
            if !all && front.last_line.saturating_add(st.window) > st.high_line {
                break;
            }
            // Evaluated by whoever takes it (see `take_ready`).
            let s = self.sessions.pop_front().expect("a front session");
            let mut track = self.tracks.pop_front().unwrap_or_default();
            self.dirty.pop_front();
            let index = self.base;
            self.base += 1;
            st.next_out = self.base;
            if st.keep_lines {
                // Lines a parser held and wrote as one record (a block of notes) are inside
                // the event's range but named by no record: take the ranges too. Such blocks
                // are short; a long range is an event widened over other connections' lines
                // (interleaved logs), which reading back does not need.
                for e in s.events.iter().filter(|e| e.last_line - e.line < HELD_BLOCK_MAX) {
                    track.lines.extend(e.line..=e.last_line);
                }
            }
            track.lines.sort_unstable();
            track.lines.dedup();
            st.ready.push(Settled {
                index,
                session: s,
                lines: track.lines,
            });
            let key = track.key;
            if self.by_key.get(&key).is_some_and(|k| k.last == index) {
                self.by_key.remove(&key);
            }
        }
    }

    /// Records a line that belongs to no session.
    pub fn unparsed_line(&mut self, line: u64, text: &str) {
        self.unparsed_count += 1;
        if self.unparsed.len() < UNPARSED_KEEP {
            self.unparsed.push((line, text.to_owned()));
        }
    }

    pub fn push(&mut self, rec: Record) {
        let prepared = prepare(&rec.item);
        self.push_prepared(rec, prepared);
    }

    /// As [`Assembler::push`], with the note scanned beforehand: `prepared` must be
    /// [`prepare`] of the same item.
    pub fn push_prepared(&mut self, mut rec: Record, mut prepared: Prepared) {
        self.push_in_place(&mut rec, &mut prepared);
    }

    /// As [`Assembler::push_prepared`], taking the item's text out of a record that stays
    /// where it is (a parse batch): records are handed over by the million, and moving each
    /// (152 bytes with its scan) through the calls copied it three times. The record is left
    /// spent (its item a bare `Begin`, its scan empty): drop it, do not push it again.
    pub fn push_in_place(&mut self, rec: &mut Record, prepared: &mut Prepared) {
        if let Some(st) = self.settle.as_mut() {
            st.high_line = st.high_line.max(rec.line);
            st.since_check += 1;
            if st.since_check >= SETTLE_CHECK_EVERY {
                st.since_check = 0;
                self.settle_idle(false);
            }
        }
        if let Item::Unparsed(text) = &rec.item {
            // Unparsed lines are shown as they are, so credentials in them are masked here:
            // a line read while a `334` is outstanding, or an `AUTH <mechanism> <response>`.
            let base = self.base;
            let in_auth = self.active(&rec.key).is_some_and(|i| {
                let last_code = self.sessions[i - base].events.last().and_then(|e| e.code);
                self.tracks[i - base].in_auth || last_code.is_some_and(|c| c.basic == 334)
            });
            let masked = if in_auth && !is_already_masked(text) {
                crate::model::SECRET_MASK.to_owned()
            } else {
                crate::model::mask_ranges(text, auth_argument_in(text))
            };
            self.unparsed_line(rec.line, &masked);
            return;
        }
        if let Item::Skipped(text) = &rec.item {
            // A skipped line joins the session it was written in, ended or not; it never
            // opens one.
            match self.by_key.get(&rec.key).map(|k| k.last) {
                Some(i) => {
                    self.mark(i);
                    self.note_line(i, rec.line);
                    let s = &mut self.sessions[i - self.base];
                    s.last_line = s.last_line.max(rec.line);
                    account_line(s, &mut self.tracks[i - self.base], rec.line);
                }
                None => self.unparsed_line(rec.line, text),
            }
            return;
        }
        let line = rec.line;
        let idx = match rec.item {
            Item::Begin => self.open(&rec.key, rec.line),
            Item::Late(..) => match self.by_key.get(&rec.key) {
                Some(k) => k.last,
                None => self.open(&rec.key, rec.line),
            },
            _ => match self.active(&rec.key) {
                Some(i) => i,
                None => self.open(&rec.key, rec.line),
            },
        };
        self.mark(idx);
        self.note_line(idx, rec.line);
        let s = &mut self.sessions[idx - self.base];
        s.last_line = s.last_line.max(rec.line);
        s.first_line = s.first_line.min(rec.line);
        if let Some(t) = rec.time {
            if s.start.is_none() {
                s.start = Some(t);
            }
            // A delivery result logged after the connection closed does not lengthen it.
            if !(s.closed && matches!(rec.item, Item::Late(..))) {
                s.end = Some(t);
            }
        }
        let track = &mut self.tracks[idx - self.base];
        match std::mem::replace(&mut rec.item, Item::Begin) {
            Item::Begin | Item::Unparsed(_) | Item::Skipped(_) => {}
            Item::Client(text) => client(s, track, rec.line, rec.time, text),
            Item::Server(text) => server(s, track, rec.line, rec.time, text),
            Item::ServerMore(text) => server_more(s, track, rec.line, rec.time, text),
            Item::ServerFor(step, text) => {
                let mut ev = Event::new(rec.line, rec.time, Direction::Server, EventKind::Reply, text);
                ev.code = parse_reply_line(&ev.text).map(|r| ReplyCode {
                    basic: r.code,
                    enhanced: r.enhanced,
                });
                ev.step = Some(step);
                s.events.push(ev);
            }
            Item::Refused(step, code, text) => {
                let mut ev = Event::new(rec.line, rec.time, Direction::Server, EventKind::Reply, text);
                ev.code = Some(ReplyCode {
                    basic: code,
                    enhanced: None,
                });
                ev.step = Some(step);
                s.events.push(ev);
            }
            Item::Secret(kind, text) => secret_note(s, rec.line, rec.time, kind, text),
            Item::Late(kind, text) => {
                let mut ev = Event::new(rec.line, rec.time, Direction::Info, EventKind::Info(kind), text);
                ev.code = prepared.code;
                ev.secrets.extend(prepared.secret.take());
                s.events.push(ev);
            }
            Item::Info(kind, text) => {
                if matches!(kind, InfoKind::Closed | InfoKind::ConnectFailed) {
                    s.closed = true;
                }
                if kind == InfoKind::TlsStarted {
                    track.pending.clear();
                }
                let mut ev = Event::new(rec.line, rec.time, Direction::Info, EventKind::Info(kind), text);
                ev.secrets.extend(prepared.secret.take());
                s.events.push(ev);
            }
            Item::Peers { client, server } => {
                if s.client.is_none() {
                    s.client = client;
                }
                if s.server.is_none() {
                    s.server = server;
                }
            }
            Item::Id(id) => s.id = id,
            Item::End => {
                s.closed = true;
                if let Some(k) = self.by_key.get_mut(&rec.key) {
                    k.active = false;
                }
            }
        }
        account_line(s, track, line);
    }

    fn open(&mut self, key: &str, line: u64) -> usize {
        let id = if key.is_empty() {
            self.generated += 1;
            format!("#{}", self.generated)
        } else {
            let hash = std::hash::BuildHasher::hash_one(&self.key_hasher, key);
            if self.used_keys.insert(hash) {
                key.to_owned()
            } else {
                let n = self.reused_keys.entry(hash).or_insert(1);
                *n += 1;
                format!("{key}#{n}")
            }
        };
        let mut s = Session::new(self.source.clone(), self.format, id, line);
        // Most sessions have a handful of events: one allocation instead of three growths.
        s.events.reserve(8);
        self.sessions.push_back(s);
        self.tracks.push_back(Track {
            key: if self.settle.is_some() {
                Key::from(key)
            } else {
                Key::default()
            },
            ..Track::default()
        });
        self.dirty.push_back(false);
        let i = self.base + self.sessions.len() - 1;
        self.mark(i);
        self.by_key.insert(
            Key::from(key),
            KeySlot {
                last: i,
                active: true,
            },
        );
        i
    }

    /// The session records under `key` go to, unless it ended (or none was opened).
    fn active(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).filter(|k| k.active).map(|k| k.last)
    }

    fn mark(&mut self, i: usize) {
        // Streaming evaluates a session once, when it settles; nothing asks what changed.
        if self.settle.as_ref().is_some_and(|st| !st.track_changes) {
            return;
        }
        if !self.dirty[i - self.base] {
            self.dirty[i - self.base] = true;
            self.changed.push(i);
        }
    }

    /// Notes that a record of `line` went to session `i`, when lines are kept; so does the
    /// input line being read, which may be another (a parser ends a session when the next one
    /// begins, and dates the end to the session's own last line).
    fn note_line(&mut self, i: usize, line: u64) {
        let Some(st) = self.settle.as_ref().filter(|st| st.keep_lines) else {
            return;
        };
        let input = st.input_line;
        let lines = &mut self.tracks[i - self.base].lines;
        for l in [line, input] {
            if l != 0 && lines.last() != Some(&l) {
                lines.push(l);
            }
        }
    }

    /// The input line whose records are pushed next (0: none, as at the end of input).
    pub fn input_line(&mut self, line: u64) {
        if let Some(st) = self.settle.as_mut() {
            st.input_line = line;
        }
    }

    /// Forgets what changed, without evaluating it: live tail reading a backlog sends no
    /// session in progress (see [`Assembler::mark_held_changed`] for when it has caught up).
    pub fn forget_changed(&mut self) {
        for i in std::mem::take(&mut self.changed) {
            if let Some(d) = i.checked_sub(self.base).and_then(|r| self.dirty.get_mut(r)) {
                *d = false;
            }
        }
    }

    /// Counts every session held as changed, so the next [`Assembler::take_changed`]
    /// evaluates and returns them all.
    pub fn mark_held_changed(&mut self) {
        for i in self.held_indices() {
            self.mark(i);
        }
    }

    /// Re-evaluates changed sessions and returns their indices, ascending (for live views).
    pub fn take_changed(&mut self) -> Vec<usize> {
        let mut out = std::mem::take(&mut self.changed);
        out.sort_unstable();
        // Settled sessions were evaluated when they were handed out.
        let handed_out = self.settle.as_ref().map_or(0, |st| st.next_out);
        out.retain(|&i| i >= handed_out);
        let rel: Vec<usize> = out.iter().map(|&i| i - self.base).collect();
        for &i in &rel {
            self.dirty[i] = false;
        }
        evaluate_all(self.sessions.make_contiguous(), &rel);
        out
    }

    /// Ends assembly: every session is evaluated and returned in order of first line (in
    /// streaming mode: those not handed out yet, after the settled ones still queued).
    pub fn finish(mut self) -> AssemblyResult {
        if let Some(st) = self.settle.take() {
            let mut sessions: Vec<Session> = st.ready.into_iter().map(|s| s.session).collect();
            sessions.extend(self.sessions);
            evaluate_each(&mut sessions);
            return AssemblyResult {
                sessions,
                changed: Vec::new(),
                unparsed_count: self.unparsed_count,
                unparsed: self.unparsed,
            };
        }
        let changed = self.take_changed();
        AssemblyResult {
            sessions: self.sessions.into(),
            changed,
            unparsed_count: self.unparsed_count,
            unparsed: self.unparsed,
        }
    }
}

/// Makes sure `line` lies within an event of the session: records such as `Begin`, `Peers`,
/// `Id`, `End` and skipped lines create no event, so the event before the line is widened to
/// reach it (or the first event, for lines before it; once there is one).
fn account_line(s: &mut Session, t: &mut Track, line: u64) {
    if let Some((lo, hi)) = t.before_first_event {
        if let Some(ev) = s.events.first_mut() {
            ev.line = ev.line.min(lo);
            ev.last_line = ev.last_line.max(hi);
            t.before_first_event = None;
        }
    }
    // The event the line follows: usually the last one, so the search stops at once.
    match s.events.iter_mut().rev().find(|e| e.line <= line) {
        Some(ev) => ev.last_line = ev.last_line.max(line),
        None => match s.events.first_mut() {
            Some(ev) => ev.line = line,
            None => {
                t.before_first_event = Some(match t.before_first_event {
                    Some((lo, hi)) => (lo.min(line), hi.max(line)),
                    None => (line, line),
                })
            }
        },
    }
}

/// Evaluates the sessions at `indices` (ascending), on two threads when there are many: the
/// status rules and summaries are per session, and the final evaluation of a big file is a
/// noticeable part of loading it.
fn evaluate_all(sessions: &mut [Session], indices: &[usize]) {
    const PARALLEL_FROM: usize = 4096;
    if indices.len() < PARALLEL_FROM {
        for &i in indices {
            sessions[i].evaluate();
        }
        return;
    }
    let split = indices[indices.len() / 2];
    let (low, high) = sessions.split_at_mut(split);
    let (low_idx, high_idx) = indices.split_at(indices.len() / 2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for &i in low_idx {
                low[i].evaluate();
            }
        });
        for &i in high_idx {
            high[i - split].evaluate();
        }
    });
}

/// Evaluates every session, on two threads when there are many.
fn evaluate_each(sessions: &mut [Session]) {
    const PARALLEL_FROM: usize = 512;
    let each = Session::evaluate;
    if sessions.len() < PARALLEL_FROM {
        sessions.iter_mut().for_each(each);
        return;
    }
    let (low, high) = sessions.split_at_mut(sessions.len() / 2);
    std::thread::scope(|scope| {
        scope.spawn(|| low.iter_mut().for_each(each));
        high.iter_mut().for_each(each);
    });
}

/// What one source produced.
pub struct AssemblyResult {
    pub sessions: Vec<Session>,
    /// Indices of the sessions that changed since the last [`Assembler::take_changed`]
    /// (all of them when it was never called): what a live view has not seen yet.
    pub changed: Vec<usize>,
    pub unparsed_count: u64,
    pub unparsed: Vec<(u64, String)>,
}

fn client(s: &mut Session, t: &mut Track, line: u64, time: Option<Timestamp>, text: String) {
    if t.in_data {
        let is_end = text == ".";
        append_or_push(s, line, time, Direction::Client, EventKind::MessageData, text);
        if is_end {
            t.in_data = false;
            t.await_data_end = true;
        }
        return;
    }
    let step = Step::of_command(&text);
    let auth_answer = t.in_auth || (t.pending.front() == Some(&Step::Auth) && step == Step::Other);
    if auth_answer && !(t.in_auth && step == Step::Quit) {
        let mut ev = Event::new(line, time, Direction::Client, EventKind::AuthData, text);
        if !is_already_masked(&ev.text) {
            ev.secrets.push(0..ev.text.len());
        }
        s.events.push(ev);
        return;
    }
    let mut ev = Event::new(line, time, Direction::Client, EventKind::Command, text);
    ev.step = Some(step);
    if step == Step::Auth {
        if let Some(r) = auth_initial_response(&ev.text) {
            ev.secrets.push(r);
        }
    }
    t.pending.push_back(step);
    s.events.push(ev);
}

/// The byte range of the initial response in `AUTH <mechanism> <initial-response>`.
fn auth_initial_response(text: &str) -> Option<std::ops::Range<usize>> {
    // The initial response is the third word.
    let mut word = 0;
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if !space && prev_space {
            word += 1;
            if word == 3 {
                let arg = text[i..].trim_end();
                if arg == "=" || is_already_masked(arg) {
                    return None;
                }
                return Some(i..i + arg.len());
            }
        }
        prev_space = space;
    }
    None
}

/// The initial response of an `AUTH <mechanism> <response>` quoted anywhere in a note or an
/// unparsed line (`SMTP Error: AUTH PLAIN AGFs… failed`).
fn auth_argument_in(text: &str) -> Option<std::ops::Range<usize>> {
    // Nearly every note has no `auth ` at all: jump between the (rare) `h`s and look back,
    // instead of testing every byte.
    let b = text.as_bytes();
    let at = memchr::memchr2_iter(b'h', b'H', b)
        .filter(|&h| h >= 3)
        .map(|h| h - 3)
        .find(|&i| b.get(i..i + 5).is_some_and(|w| w.eq_ignore_ascii_case(b"auth ")))?;
    if at > 0 && b[at - 1].is_ascii_alphanumeric() {
        return None;
    }
    let r = auth_initial_response(&text[at..])?;
    Some(r.start + at..r.end + at)
}

/// Logs that mask credentials themselves write these; they are not secrets to hide again.
pub fn is_already_masked(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || (t.len() >= 3 && t.bytes().all(|b| b == b'*'))
        || t.eq_ignore_ascii_case("[credentials hidden]")
        || t == "Lyogc2VjcmV0ICov"
        || t.eq_ignore_ascii_case("<redacted>")
}

fn server(s: &mut Session, t: &mut Track, line: u64, time: Option<Timestamp>, text: String) {
    let Some(parsed) = parse_reply_line(&text) else {
        server_more(s, t, line, time, text);
        return;
    };
    let (more, code, enhanced) = (parsed.more, parsed.code, parsed.enhanced);
    if t.reply_open {
        if let Some(ev) = s.events.last_mut().filter(|e| e.kind == EventKind::Reply) {
            ev.text.push('\n');
            ev.text.push_str(&text);
            ev.last_line = line;
            t.reply_open = more;
            if !more {
                reply_complete(s, t);
            }
            return;
        }
    }
    let step = pair(t, code);
    let mut ev = Event::new(line, time, Direction::Server, EventKind::Reply, text);
    ev.code = Some(crate::model::ReplyCode {
        basic: code,
        enhanced,
    });
    ev.step = step;
    s.events.push(ev);
    t.replies += 1;
    t.reply_open = more;
    if !more {
        reply_complete(s, t);
    }
}

/// Decides which command a new reply answers.
fn pair(t: &mut Track, code: u16) -> Option<Step> {
    if t.await_data_end || t.in_data {
        // After `354` the next reply answers the message data, even when the log left the
        // data (or its final `.`) out.
        t.await_data_end = false;
        t.in_data = false;
        return Some(Step::DataEnd);
    }
    if t.replies == 0 && t.pending.is_empty() {
        return Some(Step::Greeting);
    }
    if code == 334 && t.pending.front() == Some(&Step::Auth) {
        return Some(Step::Auth);
    }
    if t.in_auth {
        // The final answer to an AUTH exchange.
        t.pending.pop_front();
        return Some(Step::Auth);
    }
    t.pending.pop_front()
}

fn reply_complete(s: &mut Session, t: &mut Track) {
    let Some(ev) = s.events.last() else { return };
    let code = ev.code.map(|c| c.basic).unwrap_or(0);
    t.in_auth = code == 334 && ev.step == Some(Step::Auth);
    match (ev.step, code) {
        (Some(Step::Data), 354) => t.in_data = true,
        (Some(Step::Quit), 221) | (_, 421) => s.closed = true,
        (Some(Step::StartTls), 220) => t.pending.clear(),
        _ => {}
    }
}

fn server_more(s: &mut Session, t: &mut Track, line: u64, time: Option<Timestamp>, text: String) {
    if let Some(ev) = s.events.last_mut().filter(|e| e.kind == EventKind::Reply) {
        ev.text.push('\n');
        ev.text.push_str(&text);
        ev.last_line = line;
        return;
    }
    t.reply_open = false;
    s.events
        .push(Event::new(line, time, Direction::Server, EventKind::Reply, text));
}

/// A note that is all credential, masked whole; consecutive ones become one event, so a
/// run of echoed credential lines shows as one mask.
fn secret_note(s: &mut Session, line: u64, time: Option<Timestamp>, kind: InfoKind, text: String) {
    if let Some(ev) = s.events.last_mut().filter(|e| {
        e.kind == EventKind::Info(kind) && e.secrets.len() == 1 && e.secrets[0] == (0..e.text.len())
    }) {
        ev.text.push('\n');
        ev.text.push_str(&text);
        ev.secrets[0] = 0..ev.text.len();
        ev.last_line = line;
        return;
    }
    let mut ev = Event::new(line, time, Direction::Info, EventKind::Info(kind), text);
    if !is_already_masked(&ev.text) {
        ev.secrets.push(0..ev.text.len());
    }
    s.events.push(ev);
}

/// Consecutive message-data lines become one event.
fn append_or_push(
    s: &mut Session,
    line: u64,
    time: Option<Timestamp>,
    dir: Direction,
    kind: EventKind,
    text: String,
) {
    if let Some(ev) = s.events.last_mut().filter(|e| e.kind == kind) {
        ev.text.push('\n');
        ev.text.push_str(&text);
        ev.last_line = line;
        return;
    }
    s.events.push(Event::new(line, time, dir, kind, text));
}

/// Finds the SMTP reply quoted inside a note (`… said: 550 5.1.1 <x>: User unknown`,
/// `… 554 5.7.1 Relay access denied`): a `[245]xx` code followed by an enhanced code, or a
/// code right after `said:`.
pub fn find_reply_code(text: &str) -> Option<ReplyCode> {
    let b = text.as_bytes();
    let mut fallback = None;
    let mut i = 0;
    while i + 2 < b.len() {
        // A code's digits are b[i..i + 3]: when b[i + 2] is no digit, no code starts at i,
        // i + 1 or i + 2, so three positions are skipped at once.
        if !b[i + 2].is_ascii_digit() {
            i += 3;
            continue;
        }
        let at = i;
        i += 1;
        if !(b'2'..=b'5').contains(&b[at])
            || !b[at + 1].is_ascii_digit()
            || !b[at + 2].is_ascii_digit()
            || (at > 0
                && (b[at - 1].is_ascii_alphanumeric() || matches!(b[at - 1], b'.' | b'-' | b':' | b'/')))
        {
            continue;
        }
        let after = b.get(at + 3).copied();
        if !matches!(after, None | Some(b' ') | Some(b'-')) {
            continue;
        }
        let code =
            u16::from(b[at] - b'0') * 100 + u16::from(b[at + 1] - b'0') * 10 + u16::from(b[at + 2] - b'0');
        let rest = text.get(at + 4..).unwrap_or("").trim_start();
        if let Some((e, _)) = Enhanced::parse_prefix(rest) {
            if e.class == b[at] - b'0' {
                return Some(ReplyCode {
                    basic: code,
                    enhanced: Some(e),
                });
            }
        }
        if fallback.is_none() && text[..at].trim_end().ends_with("said:") {
            fallback = Some(ReplyCode {
                basic: code,
                enhanced: None,
            });
        }
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find_reply_code` skips ahead; this is the plain scan it must agree with.
    fn find_reply_code_plainly(text: &str) -> Option<ReplyCode> {
        let b = text.as_bytes();
        let mut fallback = None;
        for i in 0..b.len().saturating_sub(2) {
            let before_ok = i == 0
                || !(b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'.' | b'-' | b':' | b'/'));
            if !(b'2'..=b'5').contains(&b[i])
                || !b[i + 1].is_ascii_digit()
                || !b[i + 2].is_ascii_digit()
                || !before_ok
            {
                continue;
            }
            if !matches!(b.get(i + 3), None | Some(b' ') | Some(b'-')) {
                continue;
            }
            let code = text[i..i + 3].parse().expect("digits");
            if let Some((e, _)) = Enhanced::parse_prefix(text.get(i + 4..).unwrap_or("").trim_start()) {
                if e.class == b[i] - b'0' {
                    return Some(ReplyCode {
                        basic: code,
                        enhanced: Some(e),
                    });
                }
            }
            if fallback.is_none() && text[..i].trim_end().ends_with("said:") {
                fallback = Some(ReplyCode {
                    basic: code,
                    enhanced: None,
                });
            }
        }
        fallback
    }

    #[test]
    fn reply_code_search_agrees_with_a_plain_scan() {
        let pieces = [
            "250",
            "550",
            "4",
            "5",
            "2",
            ".",
            "1",
            "0",
            " ",
            "-",
            ":",
            "/",
            "x",
            "said:",
            "5.1.1",
            "4.7.0",
            "2.0.0",
            "(",
            ")",
            "999",
            "55",
            "3",
            "said: ",
            "é",
            "550 5.1.1 ",
            "said: 421 ",
            " 250-2.0.0",
        ];
        let found = crate::testdata::assert_same_on_texts(
            (&pieces, 12, 20_000),
            find_reply_code,
            find_reply_code_plainly,
            |code| usize::from(code.is_some()),
        );
        // The texts really hold codes, not just noise.
        assert!(found > 1000, "{found}");
    }

    #[test]
    fn finds_quoted_reply_codes() {
        let c =
            find_reply_code("to=<a@b>, status=bounced (host x[1.2.3.4] said: 550 5.1.1 <a@b>: User unknown)")
                .unwrap();
        assert_eq!(c.to_string(), "550 5.1.1");
        let c = find_reply_code("host said: 451 try later").unwrap();
        assert_eq!(c.to_string(), "451");
        assert!(find_reply_code("size=1234 nrcpt=1 (queue active)").is_none());
        assert!(find_reply_code("port 587 at 10:22:33").is_none());
    }
}

#[cfg(test)]
mod item_tests {
    use super::*;
    use crate::model::Status;

    fn rec(line: u64, item: Item) -> Record {
        Record {
            key: "k".into(),
            line,
            time: None,
            item,
        }
    }

    #[test]
    fn refused_counts_as_a_reply_to_its_command() {
        let mut a = Assembler::new("t".into(), "test");
        a.push(rec(
            1,
            Item::Refused(Step::Rcpt, 550, "rejected RCPT <a@b>: relay not permitted".into()),
        ));
        a.push(rec(2, Item::Info(InfoKind::Delivered, "<= c@d".into())));
        a.push(rec(3, Item::End));
        let r = a.finish();
        let s = &r.sessions[0];
        assert_eq!(s.events[0].dir, Direction::Server);
        assert_eq!(s.events[0].code.map(|c| c.basic), Some(550));
        assert_eq!(s.events[0].text, "rejected RCPT <a@b>: relay not permitted");
        assert_eq!(s.status(), Status::Partial);
    }

    #[test]
    fn notes_scanned_beforehand_assemble_as_notes_scanned_here() {
        let notes = [
            Item::Late(
                InfoKind::Delivered,
                "to=<a@b>, status=bounced (host x[192.0.2.1] said: 550 5.1.1 <a@b>: User unknown)".into(),
            ),
            Item::Late(
                InfoKind::Delivered,
                "to=<a@b>, status=deferred (said: 451 try later)".into(),
            ),
            Item::Info(
                InfoKind::Note,
                "client sent AUTH PLAIN dXNlcgB1c2VyAHNlY3JldA==".into(),
            ),
            Item::Late(InfoKind::Note, "AUTH LOGIN dXNlcg== then 535 5.7.8 failed".into()),
            Item::Info(InfoKind::Note, "nothing to see".into()),
        ];
        let assemble = |prepared: bool| {
            let mut a = Assembler::new("t".into(), "test");
            a.push(rec(1, Item::Begin));
            for (n, item) in notes.iter().enumerate() {
                let r = rec(n as u64 + 2, item.clone());
                if prepared {
                    let p = prepare(&r.item);
                    a.push_prepared(r, p);
                } else {
                    a.push(r);
                }
            }
            a.finish().sessions.remove(0).events
        };
        let here = assemble(false);
        let codes: Vec<Option<String>> = here.iter().map(|e| e.code.map(|c| c.to_string())).collect();
        assert_eq!(
            codes,
            [Some("550 5.1.1"), Some("451"), None, Some("535 5.7.8"), None].map(|c| c.map(str::to_owned))
        );
        assert_eq!(here.iter().filter(|e| !e.secrets.is_empty()).count(), 2);
        let beforehand = assemble(true);
        for (b, h) in beforehand.iter().zip(&here) {
            assert_eq!((b.code, &b.secrets, &b.text), (h.code, &h.secrets, &h.text));
        }
        assert_eq!(beforehand.len(), here.len());
    }

    #[test]
    fn settling_hands_out_idle_sessions_and_forgets_them() {
        let mut a = Assembler::new("t".into(), "test");
        a.settle_after(100);
        let mut out = 0;
        for n in 0..20_000u64 {
            let key = format!("k{n}");
            for (line, item) in [(3 * n + 1, Item::Begin), (3 * n + 2, Item::End)] {
                a.push(Record {
                    key: key.as_str().into(),
                    line,
                    time: None,
                    item,
                });
            }
            out += a.take_ready().len();
            // Only the window (34 sessions) and those opened since the last look stay in
            // memory: nothing settled lingers.
            let bound = SETTLE_CHECK_EVERY as usize / 2 + 40;
            assert!(a.held() <= bound, "{} kept", a.held());
        }
        assert!(out > 17_000, "{out} handed out while reading");
        let rest = a.finish().sessions;
        assert_eq!(out + rest.len(), 20_000);
        assert!(rest.iter().all(|s| s.closed && s.id.starts_with('k')));
    }

    #[test]
    fn rows_come_without_summaries_and_changes_can_stop() {
        let mut a = Assembler::new("t".into(), "test");
        a.settle_with(10, true, true);
        let push = |a: &mut Assembler, n: u64| {
            for (line, item) in [(2 * n + 1, Item::Begin), (2 * n + 2, Item::End)] {
                a.push(Record {
                    key: format!("k{n}").as_str().into(),
                    line,
                    time: None,
                    item,
                });
            }
        };
        for n in 0..5 {
            push(&mut a, n);
        }
        assert_eq!(a.take_changed(), vec![0, 1, 2, 3, 4]);
        assert!(
            a.session(4).is_some_and(|s| !s.summary.is_empty()),
            "in progress: summarised"
        );
        a.stop_tracking_changes();
        for n in 5..20_000 {
            push(&mut a, n);
        }
        assert!(a.take_changed().is_empty());
        assert!(a.changed.capacity() < 64, "the change list stopped growing");
        a.settle_rest();
        let mut settled = a.take_ready();
        let mut arena = crate::model::RowArena::new();
        for s in &mut settled {
            crate::reread::settled_row(s, &mut arena);
        }
        assert_eq!(settled.len(), 20_000);
        assert!(settled
            .iter()
            .all(|s| s.session.summary.is_empty() && !s.lines.is_empty()));
    }

    #[test]
    fn a_key_used_again_numbers_its_sessions() {
        let mut a = Assembler::new("t".into(), "test");
        for (n, key) in ["a", "b", "a", "a", "b", "c"].iter().enumerate() {
            a.push(Record {
                key: (*key).into(),
                line: n as u64 + 1,
                time: None,
                item: Item::Begin,
            });
        }
        let ids: Vec<String> = a.finish().sessions.into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["a", "b", "a#2", "a#3", "b#2", "c"]);
    }

    #[test]
    fn secret_notes_are_masked() {
        let mut a = Assembler::new("t".into(), "test");
        a.push(rec(
            1,
            Item::Secret(InfoKind::Note, "auth input decode: 'bob pw'".into()),
        ));
        a.push(rec(2, Item::Secret(InfoKind::Note, "$auth3 = pw".into())));
        a.push(rec(3, Item::Info(InfoKind::Note, "between".into())));
        a.push(rec(4, Item::Secret(InfoKind::Note, "****".into())));
        let r = a.finish();
        let s = &r.sessions[0];
        assert_eq!(s.events.len(), 3);
        assert_eq!(s.events[0].display_text(false), crate::model::SECRET_MASK);
        assert_eq!(
            s.events[0].display_text(true),
            "auth input decode: 'bob pw'\n$auth3 = pw"
        );
        assert_eq!((s.events[0].line, s.events[0].last_line), (1, 2));
        assert!(s.events[2].secrets.is_empty());
    }
}
