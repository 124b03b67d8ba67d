//! Drawing: a pure function of [`App`]. Nothing here changes state.

pub mod help;
pub mod layout;
pub mod list;
pub mod status;
pub mod text;
pub mod transcript;
pub mod unparsed;

use super::app::{App, Mode};
use ratatui::Frame;

/// Draws the whole screen for the current state.
pub fn draw(app: &App, frame: &mut Frame) {
    let areas = layout::compute(app.size, app.pane);
    if let Some(a) = areas.list {
        list::render(frame, a, app);
    }
    if let Some(a) = areas.transcript {
        transcript::render(frame, a, app);
    }
    status::render(frame, areas.status, areas.bottom, app);
    match app.mode {
        Mode::Help => help::render(frame, app),
        Mode::Unparsed => unparsed::render(frame, app),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
