//! Sessions arriving from the loader (or a live tail): insert or replace by `(source, index)`,
//! keep counts, apply the filter, order by start time, keep the selection on its session
//! (or, while following a live tail, on the newest one).

use super::{status_slot, App, Body, Entry, SourceInfo};
use crate::feed::Update;
use crate::filter::{Filter, Filterable};
use crate::model::{ReplyCode, RowArena, SessionRow, Status, Timestamp};
use crate::reread::Reread;
use std::collections::HashMap;

impl App {
    pub(super) fn feed(&mut self, updates: Vec<Update>) {
        let mut changed = false;
        for u in updates {
            match u {
                Update::Session {
                    source,
                    index,
                    session,
                } => {
                    self.upsert((source, index), Body::Whole(session));
                    changed = true;
                }
                Update::Rows {
                    source,
                    rows,
                    arena,
                    reread,
                } => {
                    let base = self.arena.append(arena);
                    self.rereads.insert(source, reread);
                    for (index, mut row) in rows {
                        row.rebase(base);
                        self.forget_read_back((source, index));
                        self.upsert((source, index), Body::Row(row));
                    }
                    changed = true;
                }
                Update::Report {
                    source,
                    report,
                    bytes_read,
                    bytes_total,
                } => {
                    if self.sources.len() <= source {
                        self.sources.resize(source + 1, SourceInfo::default());
                    }
                    self.count_read(source, bytes_read, report.lines);
                    self.sources[source] = SourceInfo {
                        name: report.name.to_string(),
                        format: report.format,
                        unparsed: report.unparsed_count,
                        bytes_read,
                        bytes_total,
                        unparsed_lines: report.unparsed,
                    };
                }
                Update::Problem(p) => self.problem(p),
                Update::Done => self.done = true,
            }
        }
        if changed {
            self.age_notice();
            if std::mem::take(&mut self.order_dirty) {
                self.reorder();
            } else {
                // Only appends in order and in-place changes: the order stands as it is.
                if self.selected.is_none() && !self.order.is_empty() {
                    self.select_pos(self.sel_pos.min(self.order.len() - 1));
                }
                self.clamp_view();
                self.stick_to_newest();
            }
        }
    }

    /// Keeps `order` for a changed or new entry `i` without sorting everything again: a
    /// change that keeps the entry's place, or a new entry that sorts last, is handled here;
    /// anything else marks the order for a full rebuild.
    fn place(&mut self, i: usize, was: Option<(bool, Option<Start>)>) {
        let e = &self.entries[i];
        match was {
            Some(was) if was == (e.shown(), e.body.start_when()) => {}
            Some(_) => self.order_dirty = true,
            None if !e.shown() || self.order_dirty => {}
            None => {
                let last = self.order.last().map(|&l| sort_key(&self.entries[l]));
                if last.is_some_and(|last| last > sort_key(e)) {
                    self.order_dirty = true;
                    return;
                }
                let date = |e: &Entry| e.body.start_when().filter(|t| t.1).map(|t| t.0.date());
                if let (Some(first), Some(d)) =
                    (self.order.first().and_then(|&f| date(&self.entries[f])), date(e))
                {
                    self.multi_day |= first != d;
                }
                self.order.push(position(i));
            }
        }
    }

    pub(super) fn upsert(&mut self, key: (usize, usize), body: Body) {
        let shown = passes(
            self.failed_only,
            self.filter.as_ref(),
            &self.candidate(key.0, &body),
        );
        self.counts[status_slot(body.status())] += 1;
        let entry = Entry::new(key, body, shown);
        match self.entry_at(key) {
            Some(i) => {
                let old = std::mem::replace(&mut self.entries[i], entry);
                self.counts[status_slot(old.body.status())] -= 1;
                self.place(i, Some((old.shown(), old.body.start_when())));
            }
            None => {
                let i = self.entries.len();
                self.set_entry_at(key, i);
                self.entries.push(entry);
                self.place(i, None);
            }
        }
    }

    fn forget_read_back(&self, key: (usize, usize)) {
        self.read_back.borrow_mut().retain(|(k, _)| *k != key);
    }

    /// What the filter looks at for a session of source `source`.
    fn candidate<'a>(&'a self, source: usize, body: &'a Body) -> Candidate<'a> {
        Candidate {
            source,
            body,
            arena: &self.arena,
            rereads: &self.rereads,
            text_hits: &self.text_hits,
        }
    }

    /// Before a text filter runs over compact rows: searches each of their files once for
    /// the filter's words, so rows answer from line numbers instead of being read back.
    fn search_files_for_text(&mut self) {
        let words: Vec<String> = self
            .filter
            .as_ref()
            .map(|f| f.text_terms().into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        self.text_hits.retain(|(_, w), _| words.contains(w));
        if words.is_empty() {
            return;
        }
        for (&source, reread) in &self.rereads {
            let missing: Vec<&str> = words
                .iter()
                .filter(|w| !self.text_hits.contains_key(&(source, (*w).clone())))
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                continue;
            }
            if let Ok((found, read_to)) = reread.lines_containing(&missing) {
                for (w, lines) in missing.iter().zip(found) {
                    self.text_hits.insert((source, (*w).to_owned()), (lines, read_to));
                }
            }
        }
    }

    /// Applies the filter to every session, split over two threads when there are many, so a
    /// filter change over a million sessions stays quick.
    pub(super) fn refilter(&mut self) {
        self.search_files_for_text();
        let (failed_only, filter) = (self.failed_only, self.filter.as_ref());
        let (arena, rereads, text_hits) = (&self.arena, &self.rereads, &self.text_hits);
        let check = |chunks: &mut [Vec<Entry>]| {
            for e in chunks.iter_mut().flatten() {
                let source = e.key().0;
                let c = Candidate {
                    source,
                    body: &e.body,
                    arena,
                    rereads,
                    text_hits,
                };
                let shown = passes(failed_only, filter, &c);
                e.set_shown(shown);
            }
        };
        let chunks = self.entries.chunks_mut();
        if chunks.len() < 2 {
            check(chunks);
        } else {
            let mid = chunks.len() / 2;
            let (a, b) = chunks.split_at_mut(mid);
            std::thread::scope(|scope| {
                scope.spawn(|| check(a));
                check(b);
            });
        }
        self.reorder();
    }

    /// Rebuilds the display order and puts the selection back on the same session (or the
    /// nearest position when that session is no longer shown).
    pub(super) fn reorder(&mut self) {
        self.order_dirty = false;
        // The old order goes first: a big log's old and new orders need not be held at once.
        self.order = Vec::new();
        let entries = &self.entries;
        let mut order: Vec<u32> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.shown())
            .map(|(i, _)| position(i))
            .collect();
        // Entries arrive nearly in order, and a stable sort of presorted runs costs about one
        // comparison per entry; caching the keys would cost a big log tens of megabytes.
        order.sort_by_key(|&i| sort_key(&entries[i]));
        let date = |i: &u32| entries[*i].body.start_when().filter(|t| t.1).map(|t| t.0.date());
        self.multi_day = match (order.first().and_then(date), order.iter().rev().find_map(date)) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        self.order = order;
        let pos = self
            .selected
            .and_then(|k| self.order.iter().position(|&i| self.entries[i].key() == k));
        match pos {
            // Until the user picks a session, the selection is the first in the list, even
            // when sessions loaded later sort before the one selected so far.
            Some(_) if !self.touched && !self.order.is_empty() => self.select_pos(0),
            Some(p) => {
                self.sel_pos = p;
                self.clamp_view();
            }
            None if self.order.is_empty() => {
                self.selected = None;
                self.sel_pos = 0;
                self.list_offset = 0;
            }
            None => self.select_pos(self.sel_pos.min(self.order.len() - 1)),
        }
        self.stick_to_newest();
    }
}

/// Display order: dated sessions by start, then the rest; ties by source and position.
fn sort_key(e: &Entry) -> (bool, Option<(i64, u32)>, (usize, usize)) {
    let dated = match &e.body {
        Body::Whole(s) => s.start.filter(|t| t.has_date).map(|t| {
            let utc = t.when.and_utc();
            (utc.timestamp(), utc.timestamp_subsec_nanos())
        }),
        Body::Row(r) => r.dated_start_key(),
    };
    (dated.is_none(), dated, e.key())
}

/// An entry's position as `order` keeps it: four bytes (the dense `by_key` slots are four
/// bytes too, so no more than `u32::MAX` sessions are addressed anyway).
fn position(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A start time as the order sees it: wall clock, and whether it has a date.
type Start = (chrono::NaiveDateTime, bool);

/// The filter and failed-only switch applied to one session.
fn passes(failed_only: bool, filter: Option<&Filter>, s: &dyn Filterable) -> bool {
    (!failed_only || matches!(s.status(), Status::Failure | Status::Partial))
        && filter.is_none_or(|f| f.matches_any(s))
}

impl Body {
    fn status(&self) -> Status {
        match self {
            Body::Whole(s) => s.status(),
            Body::Row(r) => r.status,
        }
    }

    fn start_when(&self) -> Option<Start> {
        match self {
            Body::Whole(s) => s.start.map(|t| (t.when, t.has_date)),
            Body::Row(r) => r.start_when(),
        }
    }
}

/// A session as the filter sees it. A compact row answers from the row; only a text term
/// reads the session back from its file.
struct Candidate<'a> {
    source: usize,
    body: &'a Body,
    arena: &'a RowArena,
    /// Looked up only by a text term: a million rows filtered by code need no lookup.
    rereads: &'a HashMap<usize, std::sync::Arc<Reread>>,
    text_hits: &'a HashMap<(usize, String), (Vec<u64>, u64)>,
}

impl Candidate<'_> {
    fn row(&self) -> Option<&SessionRow> {
        match self.body {
            Body::Row(r) => Some(r),
            Body::Whole(_) => None,
        }
    }
}

impl Filterable for Candidate<'_> {
    fn status(&self) -> Status {
        self.body.status()
    }
    fn start(&self) -> Option<Timestamp> {
        match self.body {
            Body::Whole(s) => s.start,
            Body::Row(r) => r.head(self.arena).start,
        }
    }
    fn end(&self) -> Option<Timestamp> {
        match self.body {
            Body::Whole(s) => s.end,
            Body::Row(r) => r.head(self.arena).end,
        }
    }
    fn has_reply_class(&self, class: u8) -> Option<bool> {
        self.row().and_then(|r| r.has_reply_class(class))
    }
    fn any_reply(&self, each: &mut dyn FnMut(ReplyCode) -> bool) -> bool {
        match (self.body, self.row()) {
            (Body::Whole(s), _) => s.any_reply(each),
            (_, Some(r)) => self.arena.any_reply(r, each),
            _ => false,
        }
    }
    /// A compact row matches text in its log lines or its id (the file was searched once,
    /// see `search_files_for_text`); a row newer than that search is read back.
    fn contains_text(&self, needle: &str) -> bool {
        let reread = self.rereads.get(&self.source).map(|r| &**r);
        let (row, reread) = match (self.body, self.row(), reread) {
            (Body::Whole(s), _, _) => return s.contains_text(needle),
            (_, Some(r), Some(reread)) => (r, reread),
            _ => return false,
        };
        match self.text_hits.get(&(self.source, needle.to_owned())) {
            Some((lines, read_to)) if row.head(self.arena).last_line <= *read_to => {
                let extra = self.arena.extra(row);
                crate::filter::contains_ci(&extra.id, needle)
                    || extra.lines.iter().any(|l| lines.binary_search(l).is_ok())
            }
            _ => reread.session(row, self.arena).contains_text(needle),
        }
    }
}
