//! The right pane: the selected session as a conversation, one row per event (wrapped with a
//! visible mark), direction marker and colour, grouped multi-line replies, and the inline
//! explanation from `explain::event_note` under each command and reply.

use super::text::{find_ci, wrap};
use crate::explain::event_note;
use crate::model::{EventKind, Session};
use crate::sanitize::escape_controls;
use crate::tui::app::{App, Pane};
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Inner widths from which the time column is shown.
const TIME_MIN_WIDTH: u16 = 56;

/// One screen row and the event it belongs to (`None` for the header).
pub struct Row {
    pub event: Option<usize>,
    pub line: Line<'static>,
}

/// How many rows the transcript of `s` takes at inner width `width`.
pub fn row_count(app: &App, s: &Session, width: u16) -> usize {
    rows(app, s, width).len()
}

/// The first row of event `ev`.
pub fn event_row(app: &App, s: &Session, width: u16, ev: usize) -> usize {
    rows(app, s, width)
        .iter()
        .position(|r| r.event == Some(ev))
        .unwrap_or(0)
}

fn theme(app: &App) -> Theme {
    Theme {
        color: app.opts.color,
        ascii: app.opts.ascii,
    }
}

/// Column layout shared by every event row.
struct Cols {
    show_time: bool,
    prefix: usize,
    text: usize,
}

/// Every row of the transcript of `s` at inner width `width`.
pub fn rows(app: &App, s: &Session, width: u16) -> Vec<Row> {
    let t = theme(app);
    let w = usize::from(width).max(8);
    let mut out = header(app, &t, s, w);
    let show_time = width >= TIME_MIN_WIDTH;
    let prefix = if show_time { 12 } else { 3 };
    let cols = Cols {
        show_time,
        prefix,
        text: w.saturating_sub(prefix).max(4),
    };
    for i in 0..s.events.len() {
        event_rows(app, &t, s, i, &cols, &mut out);
        note_rows(app, &t, s, i, &cols, &mut out);
    }
    out
}

/// The event's text, line by line, wrapped; the first row carries time and direction.
fn event_rows(app: &App, t: &Theme, s: &Session, i: usize, cols: &Cols, out: &mut Vec<Row>) {
    let e = &s.events[i];
    let style = t.event(e);
    let needle = app.search.as_deref();
    let text = e.display_text(app.opts.reveal);
    for (k, raw) in text.split('\n').enumerate() {
        let line = escape_controls(raw.strip_suffix('\r').unwrap_or(raw));
        let marks = needle.map(|n| find_ci(&line, n)).unwrap_or_default();
        let wrapped = wrap(
            &line,
            cols.text,
            cols.text.saturating_sub(2),
            style,
            &marks,
            t.highlight(),
        );
        for (r, spans) in wrapped.into_iter().enumerate() {
            let mut row = Vec::with_capacity(spans.len() + 4);
            if k == 0 && r == 0 {
                if cols.show_time {
                    let clock = e.time.map(|t| t.clock()).unwrap_or_else(|| " ".repeat(8));
                    let ts = if app.search_hit == Some(i) {
                        t.highlight()
                    } else {
                        t.dim()
                    };
                    row.push(Span::styled(clock, ts));
                    row.push(Span::raw(" "));
                }
                let marker = if s.verdict.decisive == Some(i) {
                    style.add_modifier(Modifier::REVERSED)
                } else {
                    style
                };
                row.push(Span::styled(t.marker(e.dir), marker));
                row.push(Span::raw(" "));
            } else {
                row.push(Span::raw(" ".repeat(cols.prefix)));
            }
            if r > 0 {
                row.push(Span::styled(t.wrap_mark(), t.dim()));
            }
            row.extend(spans);
            out.push(Row {
                event: Some(i),
                line: Line::from(row),
            });
        }
    }
}

/// The explanation under a command or reply (when shown), and the decisive reply's mark.
fn note_rows(app: &App, t: &Theme, s: &Session, i: usize, cols: &Cols, out: &mut Vec<Row>) {
    let note = match s.events[i].kind {
        EventKind::Command | EventKind::Reply | EventKind::AuthData if app.explain => event_note(s, i),
        _ => None,
    };
    let note = match (note, s.verdict.decisive == Some(i)) {
        (Some(n), true) => format!("decisive: {n}"),
        (None, true) => "decisive: this decided the session's status".to_owned(),
        (Some(n), false) => n,
        (None, false) => return,
    };
    let note = escape_controls(&note).into_owned();
    let w = cols.text.saturating_sub(super::text::width(t.note_mark()));
    let style = t.explanation();
    for (r, spans) in wrap(&note, w, w, style, &[], style).into_iter().enumerate() {
        let mut row = vec![Span::raw(" ".repeat(cols.prefix))];
        row.push(Span::styled(if r == 0 { t.note_mark() } else { "  " }, style));
        row.extend(spans);
        out.push(Row {
            event: Some(i),
            line: Line::from(row),
        });
    }
}

/// How a source is named on screen (`-` is standard input).
pub fn source_name(name: &str) -> &str {
    if name == "-" {
        "standard input"
    } else {
        name
    }
}

/// Status, outcome and decisive code; peers; where the session is; the summary.
fn header(app: &App, t: &Theme, s: &Session, w: usize) -> Vec<Row> {
    let (sym, word, bs) = t.badge(s.status());
    let code = s.decisive_code().map(|c| c.to_string()).unwrap_or_default();
    let mut first = vec![
        Span::styled(format!("{sym} {word}"), bs),
        Span::raw(format!("  {}  ", s.verdict.outcome.as_str().replace('-', " "))),
        Span::styled(code, bs),
    ];
    if !s.closed {
        first.push(Span::styled("  (no close in the log)", t.dim()));
    }
    let mut lines: Vec<Line<'static>> = vec![Line::from(first)];
    let peers = super::list::peers(t, s);
    let place = format!(
        "{}{d}lines {}-{}{d}{}{d}id {}{}",
        source_name(&s.source),
        s.first_line,
        s.last_line,
        s.format,
        s.id,
        s.start.map(|x| format!("{}{x}", t.dot())).unwrap_or_default(),
        d = t.dot()
    );
    let needle = app.search.as_deref();
    for (text, style) in [(peers, Style::new()), (place, t.dim())] {
        let text = escape_controls(&text).into_owned();
        let marks = needle.map(|n| find_ci(&text, n)).unwrap_or_default();
        for spans in wrap(&text, w, w, style, &marks, t.highlight()) {
            lines.push(Line::from(spans));
        }
    }
    let summary = escape_controls(&s.summary).into_owned();
    let marks = needle.map(|n| find_ci(&summary, n)).unwrap_or_default();
    let bold = Style::new().add_modifier(Modifier::BOLD);
    for spans in wrap(&summary, w, w, bold, &marks, t.highlight()) {
        lines.push(Line::from(spans));
    }
    lines.push(Line::styled(t.rule().repeat(w), t.dim()));
    lines.into_iter().map(|line| Row { event: None, line }).collect()
}

/// Draws the pane; only the rows in view are handed to the terminal.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let t = theme(app);
    let focused = app.pane == Pane::Transcript;
    let title = match (app.explain, area.width < 50) {
        (true, false) => " Transcript (e: hide notes) ",
        (false, false) => " Transcript (e: show notes) ",
        _ => " Transcript ",
    };
    let block = t.block(focused).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(s) = app.selected_session() else {
        let msg = if app.done {
            "No session to show."
        } else if app.live.is_some() {
            "Waiting for sessions…"
        } else {
            "Loading…"
        };
        frame.render_widget(Paragraph::new(msg).style(t.dim()), inner);
        return;
    };
    let rows = rows(app, &s, inner.width);
    let shown: Vec<Line<'static>> = rows
        .into_iter()
        .skip(app.scroll)
        .take(usize::from(inner.height))
        .map(|r| r.line)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
