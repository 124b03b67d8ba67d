//! Moving around: selection, scrolling, paging, mouse, and keeping both in range of the
//! layout the view will draw.

use super::{App, Mode, Pane};
use crate::tui::view::{layout, transcript};

impl App {
    /// The pane under screen cell (x, y).
    pub(super) fn pane_at(&self, x: u16, y: u16) -> Option<Pane> {
        let l = layout::compute(self.size, self.pane);
        let hit = |r: Option<ratatui::layout::Rect>| r.is_some_and(|r| r.contains((x, y).into()));
        if hit(l.list) {
            Some(Pane::List)
        } else if hit(l.transcript) {
            Some(Pane::Transcript)
        } else {
            None
        }
    }

    pub(super) fn click(&mut self, x: u16, y: u16) {
        if self.mode != Mode::Normal {
            return;
        }
        match self.pane_at(x, y) {
            Some(Pane::List) => {
                self.pane = Pane::List;
                let area = layout::compute(self.size, self.pane).list.unwrap_or_default();
                if y > area.y && y + 1 < area.bottom() {
                    let pos = self.list_offset + usize::from(y - area.y - 1);
                    if pos < self.order.len() {
                        self.pause();
                        self.select_pos(pos);
                    }
                }
            }
            Some(Pane::Transcript) => self.pane = Pane::Transcript,
            None => {}
        }
    }

    /// Focuses the transcript scrolled to the reply that decided the status.
    pub(super) fn show_decisive(&mut self) {
        let Some(ev) = self.selected_session().and_then(|s| s.verdict.decisive) else {
            self.message = Some("nothing decided this session yet".into());
            return;
        };
        self.pane = Pane::Transcript;
        let width = layout::compute(self.size, Pane::Transcript)
            .transcript
            .map_or(40, |a| a.width.saturating_sub(2));
        if let Some(s) = self.selected_session() {
            self.scroll = transcript::event_row(self, &s, width, ev).saturating_sub(2);
        }
        self.clamp_view();
    }

    /// Rows of one page in the focused pane.
    pub(super) fn page(&self) -> usize {
        let l = layout::compute(self.size, self.pane);
        let area = match self.pane {
            Pane::List => l.list,
            Pane::Transcript => l.transcript,
        };
        area.map_or(1, |a| usize::from(a.height.saturating_sub(2)).max(1))
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        match self.pane {
            Pane::List => {
                if self.order.is_empty() {
                    return;
                }
                let last = self.order.len() - 1;
                let pos = self.sel_pos.saturating_add_signed(delta).min(last);
                self.select_pos(pos);
            }
            Pane::Transcript => {
                self.scroll = self.scroll.saturating_add_signed(delta);
                self.clamp_view();
            }
        }
    }

    /// Selects list position `pos`; a different session starts at the top of its transcript.
    pub(super) fn select_pos(&mut self, pos: usize) {
        let key = self.order.get(pos).map(|&i| self.entries[i].key());
        if key != self.selected {
            self.scroll = 0;
            self.search_hit = None;
        }
        self.selected = key;
        self.sel_pos = pos;
        self.clamp_view();
    }

    /// Keeps the selection inside the list window and the transcript scroll in range.
    pub(super) fn clamp_view(&mut self) {
        let l = layout::compute(self.size, self.pane);
        let rows = l
            .list
            .map_or(1, |a| usize::from(a.height.saturating_sub(2)).max(1));
        if self.sel_pos < self.list_offset {
            self.list_offset = self.sel_pos;
        } else if self.sel_pos >= self.list_offset + rows {
            self.list_offset = self.sel_pos + 1 - rows;
        }
        self.list_offset = self.list_offset.min(self.order.len().saturating_sub(rows));
        let (total, height) = match (self.selected_session(), l.transcript) {
            (Some(s), Some(area)) => (
                transcript::row_count(self, &s, area.width.saturating_sub(2)),
                usize::from(area.height.saturating_sub(2)),
            ),
            _ => (0, 1),
        };
        self.scroll = self.scroll.min(total.saturating_sub(height));
    }
}
