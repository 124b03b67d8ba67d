//! The `u` overlay: the lines of the current source that no rule of its format understood, so
//! nothing the loader skipped is hidden from the user. Log text, so it is escaped.

use super::text::fit;
use crate::sanitize::escape_controls;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// The overlay's rows at inner width `w`: `  line  text`, cut to fit, then a note when more
/// lines were counted than kept.
pub fn lines(app: &App, w: usize) -> Vec<String> {
    let Some(src) = app.current_source() else {
        return vec!["no input yet".into()];
    };
    if src.unparsed == 0 {
        return vec!["every line of this file was understood".into()];
    }
    let mut out: Vec<String> = src
        .unparsed_lines
        .iter()
        .map(|(n, text)| fit(&format!("{n:>7}  {}", escape_controls(text)), w, "…"))
        .collect();
    let kept = out.len() as u64;
    if src.unparsed > kept {
        out.push(format!("… and {} more not kept", src.unparsed - kept));
    }
    out
}

fn area(size: (u16, u16)) -> Rect {
    let (w, h) = size;
    let ow = w.saturating_sub(4);
    let oh = h.saturating_sub(2);
    Rect::new((w - ow) / 2, (h - oh) / 2, ow, oh)
}

/// How far the overlay can scroll.
pub fn max_scroll(app: &App) -> usize {
    let a = area(app.size);
    let inner = usize::from(a.height.saturating_sub(2));
    lines(app, usize::from(a.width.saturating_sub(2)))
        .len()
        .saturating_sub(inner)
}

pub fn render(frame: &mut Frame, app: &App) {
    let t = Theme {
        color: app.opts.color,
        ascii: app.opts.ascii,
    };
    let a = area(app.size);
    frame.render_widget(Clear, a);
    let (name, count) = app
        .current_source()
        .map_or(("", 0), |s| (s.name.as_str(), s.unparsed));
    let name = super::transcript::source_name(name);
    let title = format!(
        " {count} unparsed lines of {} (u or Esc closes, j/k scroll) ",
        name.rsplit('/').next().unwrap_or(name)
    );
    let block = t.block(true).title(escape_controls(&title).into_owned());
    let inner = block.inner(a);
    frame.render_widget(block, a);
    let shown: Vec<Line<'static>> = lines(app, usize::from(inner.width))
        .into_iter()
        .skip(app.help_scroll)
        .take(usize::from(inner.height))
        .map(Line::raw)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
