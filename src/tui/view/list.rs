//! The left pane: one row per session (time, badge, peers, decisive code, summary). Cells
//! that do not fit end in a visible `…`; the transcript shows everything in full.

use super::text::{fit, marked, width};
use crate::model::Session;
use crate::sanitize::escape_controls;
use crate::tui::app::{App, Pane};
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// `client → server`, or whichever is known, or `format:id`.
pub fn peers(t: &Theme, s: &Session) -> String {
    let arrow = t.arrow();
    match (&s.client, &s.server) {
        (Some(c), Some(v)) => format!("{c} {arrow} {v}"),
        (Some(c), None) => c.clone(),
        (None, Some(v)) => v.clone(),
        (None, None) => format!("{}:{}", s.format, s.id),
    }
}

/// Column widths for an inner width.
struct Columns {
    /// Width of the time column (0: hidden; 8: `HH:MM:SS`; 14: `MM-DD HH:MM:SS`).
    time: usize,
    code: usize,
    peers: usize,
    summary: usize,
}

/// Column widths for inner width `w`; `peers_max` is the longest peers text in view.
fn columns(w: usize, peers_max: usize, multi_day: bool) -> Columns {
    let time = match w {
        0..34 => 0,
        _ if multi_day && w >= 48 => 14,
        // Sessions on several days: a time of day alone would mislead, so the seconds go.
        _ if multi_day => 11,
        _ => 8,
    };
    let fixed = 2 + 7 + if time > 0 { time + 1 } else { 0 };
    let rest = w.saturating_sub(fixed);
    let code = if rest >= 40 { 10 } else { 3 };
    let rest = rest.saturating_sub(code + 1);
    let (peers, summary) = if rest >= 30 {
        let p = peers_max.clamp(12, (rest * 3 / 5).max(12));
        (p, rest - p - 1)
    } else {
        (rest, 0)
    };
    Columns {
        time,
        code,
        peers,
        summary,
    }
}

/// One list row for `s`, selected or not.
fn row(app: &App, t: &Theme, s: &Session, c: &Columns, w: usize, selected: bool) -> Line<'static> {
    let needle = app.search.as_deref();
    let ell = t.ellipsis();
    let mut spans = Vec::with_capacity(12);
    spans.push(Span::raw(if selected {
        format!("{} ", t.selection_mark())
    } else {
        "  ".into()
    }));
    if c.time > 0 {
        let time = match s.start {
            Some(x) if c.time >= 14 && x.has_date => x.when.format("%m-%d %H:%M:%S").to_string(),
            Some(x) if c.time >= 11 && x.has_date => x.when.format("%m-%d %H:%M").to_string(),
            Some(x) => x.clock(),
            None => "-".into(),
        };
        spans.push(Span::styled(fit(&time, c.time, ell) + " ", t.dim()));
    }
    let (sym, word, style) = t.badge(s.status());
    spans.push(Span::styled(format!("{sym} {word:<4}"), style));
    spans.push(Span::raw(" "));
    let p = escape_controls(&peers(t, s)).into_owned();
    spans.extend(marked(fit(&p, c.peers, ell), Style::new(), needle, t.highlight()));
    spans.push(Span::raw(" "));
    let code = match s.decisive_code() {
        Some(code) if c.code >= 10 => code.to_string(),
        Some(code) => code.basic.to_string(),
        None => match s.verdict.outcome {
            crate::model::Outcome::ConnectionFailed => "conn".into(),
            crate::model::Outcome::TlsFailed => "tls".into(),
            _ => "-".into(),
        },
    };
    spans.push(Span::styled(fit(&code, c.code, ell), style));
    if c.summary > 0 {
        spans.push(Span::raw(" "));
        let sum = escape_controls(&s.summary).into_owned();
        spans.extend(marked(
            fit(&sum, c.summary, ell),
            Style::new(),
            needle,
            t.highlight(),
        ));
    }
    let mut line = Line::from(spans);
    if selected {
        line = line.style(t.selected());
        let used: usize = line.spans.iter().map(|s| width(&s.content)).sum();
        if used < w {
            line.spans.push(Span::raw(" ".repeat(w - used)));
        }
    }
    line
}

/// Draws the visible window of the list (never touches rows outside it).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let t = Theme {
        color: app.opts.color,
        ascii: app.opts.ascii,
    };
    let focused = app.pane == Pane::List;
    let pos = app.selected_pos().map_or(0, |p| p + 1);
    let mut title = format!(" Sessions {pos}/{} ", app.visible_len());
    if app.visible_len() != app.total() {
        title = format!(" Sessions {pos}/{} of {} ", app.visible_len(), app.total());
    }
    let block = t.block(focused).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.visible_len() == 0 {
        let msg = match (app.total(), app.done) {
            (0, false) if app.live.is_some() => "Waiting for sessions…",
            (0, false) => "Loading…",
            (0, true) => "No sessions found.",
            _ => "No session matches (c clears the filter).",
        };
        frame.render_widget(Paragraph::new(msg).style(t.dim()), inner);
        return;
    }
    let w = usize::from(inner.width);
    let sel = app.selected_pos();
    let window = || {
        (app.list_offset..)
            .take(usize::from(inner.height))
            .map_while(|p| app.visible_at(p).map(|s| (p, s)))
    };
    let peers_max = window().map(|(_, s)| width(&peers(&t, &s))).max().unwrap_or(0);
    let c = columns(w, peers_max, app.multi_day);
    let lines: Vec<Line<'static>> = window()
        .map(|(p, s)| row(app, &t, &s, &c, w, sel == Some(p)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::columns;

    #[test]
    fn sessions_on_several_days_show_the_date_even_in_a_narrow_pane() {
        // The left pane of an 80-column terminal is 34 wide inside its border.
        assert_eq!(columns(34, 20, false).time, 8, "one day: time of day is enough");
        assert_eq!(columns(34, 20, true).time, 11, "several days: MM-DD HH:MM");
        assert_eq!(columns(60, 20, true).time, 14, "room for seconds too");
        assert_eq!(columns(30, 20, true).time, 0, "too narrow for any time");
    }
}
