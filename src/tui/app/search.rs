//! `/` search: matches are (session, event) pairs in display order; `n`/`N` walk them and
//! wrap around. A session whose peers or summary match but no event does counts once.

use super::{App, Pane};
use crate::filter::{contains_ci, event_contains};
use crate::model::Session;

/// Matching event indexes of a session, or `[None]` when only its header matches.
fn hits(s: &Session, needle: &str) -> Vec<Option<usize>> {
    let events: Vec<Option<usize>> = s
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| event_contains(e, needle))
        .map(|(i, _)| Some(i))
        .collect();
    if !events.is_empty() {
        return events;
    }
    let header =
        contains_ci(&s.summary, needle) || contains_ci(&s.id, needle) || contains_ci(&s.peers(), needle);
    if header {
        vec![None]
    } else {
        Vec::new()
    }
}

/// How many compact sessions one search step reads back before it stops and says so.
const SEARCH_READ_BACK: usize = 20_000;

impl App {
    /// Jumps to the first match at or after the selected session.
    pub(super) fn first_match(&mut self) {
        self.search_hit = None;
        let Some(needle) = self.search.clone() else { return };
        let start = self.sel_pos;
        if let Some(s) = self.visible_at(start) {
            if let Some(&h) = hits(&s, &needle).first() {
                return self.go_to(start, h, false);
            }
        }
        self.next_match(true);
    }

    /// Moves to the next (or previous) match, wrapping around the list.
    pub(super) fn next_match(&mut self, forward: bool) {
        let Some(needle) = self.search.clone() else {
            self.message = Some("no search yet: press / to search".into());
            return;
        };
        let n = self.visible_len();
        if n == 0 {
            self.message = Some(format!("no match for \"{needle}\""));
            return;
        }
        let here = self.sel_pos;
        let cur = self.search_hit;
        // The selected session first (past the current hit), then the others, then the selected
        // session again from its other end.
        let mut read_back = 0;
        for step in 0..=n {
            let pos = if forward {
                (here + step) % n
            } else {
                (here + n - step % n) % n
            };
            if self.is_compact(pos) {
                read_back += 1;
                if read_back > SEARCH_READ_BACK {
                    // Each compact session is read back from its file to be searched: stop
                    // after a bounded amount and let the user go on.
                    self.pause();
                    self.select_pos(pos);
                    self.message = Some(format!(
                        "no match for \"{needle}\" in the next {SEARCH_READ_BACK} sessions; press {} to search on",
                        if forward { "n" } else { "N" }
                    ));
                    return;
                }
            }
            let Some(s) = self.visible_at(pos) else { continue };
            let hs = hits(&s, &needle);
            let pick = match step {
                0 if forward => hs.iter().find(|h| **h > cur).copied(),
                0 => hs.iter().rev().find(|h| cur.is_some() && **h < cur).copied(),
                _ if forward => hs.first().copied(),
                _ => hs.last().copied(),
            };
            if let Some(h) = pick {
                let wrapped = if forward {
                    pos < here || (pos == here && step > 0)
                } else {
                    pos > here || (pos == here && step > 0)
                };
                return self.go_to(pos, h, wrapped);
            }
        }
        self.message = Some(format!("no match for \"{needle}\""));
    }

    fn go_to(&mut self, pos: usize, hit: Option<usize>, wrapped: bool) {
        self.pause();
        self.select_pos(pos);
        self.search_hit = hit;
        if let Some(ev) = hit {
            if let Some(s) = self.selected_session() {
                let width = super::layout::compute(self.size, Pane::Transcript)
                    .transcript
                    .map_or(40, |a| a.width.saturating_sub(2));
                let row = super::transcript::event_row(self, &s, width, ev);
                self.scroll = row.saturating_sub(2);
            }
        }
        self.clamp_view();
        if wrapped {
            self.message = Some("search wrapped around".into());
        }
    }
}
