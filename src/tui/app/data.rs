//! Sessions arriving from the loader (or a live tail): insert or replace by `(source, index)`,
//! keep counts, apply the filter, order by start time, keep the selection on its session
//! (or, while following a live tail, on the newest one).

use super::{status_slot, App, Entry, SourceInfo};
use crate::feed::Update;
use crate::filter::Filter;
use crate::model::{Session, Status};

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
                    self.upsert((source, index), *session);
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
            self.reorder();
        }
    }

    pub(super) fn upsert(&mut self, key: (usize, usize), session: Session) {
        let shown = self.passes(&session);
        self.counts[status_slot(session.status())] += 1;
        match self.by_key.get(&key) {
            Some(&i) => {
                let old = std::mem::replace(&mut self.entries[i], Entry { key, session, shown });
                self.counts[status_slot(old.session.status())] -= 1;
            }
            None => {
                self.by_key.insert(key, self.entries.len());
                self.entries.push(Entry { key, session, shown });
            }
        }
    }

    /// The filter and failed-only switch applied to one session.
    pub(super) fn passes(&self, s: &Session) -> bool {
        passes(self.failed_only, self.filter.as_ref(), s)
    }

    /// Applies the filter to every session, split over two threads when there are many, so a
    /// filter change over a million sessions stays quick.
    pub(super) fn refilter(&mut self) {
        let (failed_only, filter) = (self.failed_only, self.filter.as_ref());
        let check = |chunk: &mut [Entry]| {
            for e in chunk {
                e.shown = passes(failed_only, filter, &e.session);
            }
        };
        if self.entries.len() < 20_000 {
            check(&mut self.entries);
        } else {
            let mid = self.entries.len() / 2;
            let (a, b) = self.entries.split_at_mut(mid);
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
        let entries = &self.entries;
        let mut order: Vec<usize> = (0..entries.len()).filter(|&i| entries[i].shown).collect();
        // Keys computed once per entry, not per comparison: with a million sessions the
        // comparisons would each reach into two far-apart sessions.
        order.sort_by_cached_key(|&i| {
            let e = &entries[i];
            let dated = e.session.start.filter(|t| t.has_date).map(|t| t.when);
            (dated.is_none(), dated, e.key)
        });
        let date = |i: &usize| {
            entries[*i]
                .session
                .start
                .filter(|t| t.has_date)
                .map(|t| t.when.date())
        };
        self.multi_day = match (order.first().and_then(date), order.iter().rev().find_map(date)) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        self.order = order;
        let pos = self
            .selected
            .and_then(|k| self.order.iter().position(|&i| self.entries[i].key == k));
        match pos {
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

/// The filter and failed-only switch applied to one session.
fn passes(failed_only: bool, filter: Option<&Filter>, s: &Session) -> bool {
    (!failed_only || matches!(s.status(), Status::Failure | Status::Partial))
        && filter.is_none_or(|f| f.matches(s))
}
