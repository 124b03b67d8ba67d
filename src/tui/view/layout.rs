//! Where each part of the screen goes, as a pure function of the terminal size, so the state
//! can page and scroll by the same rows the view draws.

use crate::tui::app::Pane;
use ratatui::layout::Rect;

/// Below this width only one pane is shown at a time (Tab switches).
pub const TWO_PANE_MIN_WIDTH: u16 = 70;

/// The screen's parts; a pane is `None` when it is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub list: Option<Rect>,
    pub transcript: Option<Rect>,
    /// Counts, filter, position, progress.
    pub status: Rect,
    /// Prompt, message or key hints.
    pub bottom: Rect,
}

/// Lays out a `(width, height)` screen with `focus` shown when only one pane fits.
pub fn compute(size: (u16, u16), focus: Pane) -> Areas {
    let (w, h) = size;
    let body_h = h.saturating_sub(2);
    let status = Rect::new(0, body_h, w, h.min(1));
    let bottom = Rect::new(0, body_h + 1, w, h.saturating_sub(1).min(1));
    if w < TWO_PANE_MIN_WIDTH {
        let full = Rect::new(0, 0, w, body_h);
        return match focus {
            Pane::List => Areas {
                list: Some(full),
                transcript: None,
                status,
                bottom,
            },
            Pane::Transcript => Areas {
                list: None,
                transcript: Some(full),
                status,
                bottom,
            },
        };
    }
    let list_w = (w * 45 / 100).clamp(36, 64);
    Areas {
        list: Some(Rect::new(0, 0, list_w, body_h)),
        transcript: Some(Rect::new(list_w, 0, w - list_w, body_h)),
        status,
        bottom,
    }
}
