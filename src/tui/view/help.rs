//! The `?` overlay, generated from the binding table so it always matches the keys.

use super::text::wrap;
use crate::tui::app::App;
use crate::tui::keys::{Context, BINDINGS};
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// Every line of the help text at inner width `w` (descriptions wrap under themselves).
pub fn lines(w: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let key_w = BINDINGS.iter().map(|b| b.label().len()).max().unwrap_or(8);
    let text_w = w.saturating_sub(key_w + 4).max(10);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    for ctx in [Context::Normal, Context::Global, Context::Prompt] {
        out.push(Line::styled(ctx.title(), bold.add_modifier(Modifier::UNDERLINED)));
        for b in BINDINGS.iter().filter(|b| b.context == ctx) {
            for (i, spans) in wrap(b.help, text_w, text_w, Style::new(), &[], Style::new())
                .into_iter()
                .enumerate()
            {
                let keys = if i == 0 { b.label() } else { String::new() };
                let mut row = vec![Span::styled(format!("  {keys:<key_w$}  "), bold)];
                row.extend(spans);
                out.push(Line::from(row));
            }
        }
    }
    out
}

/// The overlay's rectangle on a screen of `size`.
fn area(size: (u16, u16)) -> Rect {
    let (w, h) = size;
    let ow = w.saturating_sub(4).min(86);
    let wanted = lines(usize::from(ow.saturating_sub(2))).len() as u16 + 2;
    let oh = h.saturating_sub(2).min(wanted);
    Rect::new((w - ow) / 2, (h - oh) / 2, ow, oh)
}

/// How far the help can scroll on a screen of `size`.
pub fn max_scroll(size: (u16, u16)) -> usize {
    let a = area(size);
    let inner = usize::from(a.height.saturating_sub(2));
    lines(usize::from(a.width.saturating_sub(2)))
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
    let more = if max_scroll(app.size) > 0 {
        ", j/k scroll"
    } else {
        ""
    };
    let block = t.block(true).title(format!(" Keys (? or Esc closes{more}) "));
    let inner = block.inner(a);
    frame.render_widget(block, a);
    let shown: Vec<Line<'static>> = lines(usize::from(inner.width))
        .into_iter()
        .skip(app.help_scroll)
        .take(usize::from(inner.height))
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
