//! The two bottom lines: a status bar (live-tail state and notices, files and formats, counts
//! per status, filter, position, unparsed lines, loading progress) and a line for the prompt,
//! a message or hints.

use super::text::{fit, width};
use crate::sanitize::escape_controls;
use crate::tui::app::{App, Mode, PromptKind};
use crate::tui::keys::{Context, BINDINGS};
use crate::tui::theme::Theme;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// `4d-smtp.log [4d]`, or `3 files [4d, postfix]`.
fn files(app: &App) -> String {
    let mut formats: Vec<&str> = app.sources.iter().filter_map(|s| s.format).collect();
    formats.dedup();
    let fmts = if formats.is_empty() {
        "?".to_owned()
    } else {
        formats.join(", ")
    };
    match app.sources.as_slice() {
        [] => "no input yet".to_owned(),
        [one] => {
            let name = super::transcript::source_name(&one.name);
            format!("{} [{fmts}]", name.rsplit('/').next().unwrap_or(name))
        }
        many => format!("{} files [{fmts}]", many.len()),
    }
}

fn progress(app: &App) -> Option<String> {
    if app.done {
        return None;
    }
    let read: u64 = app.sources.iter().map(|s| s.bytes_read).sum();
    let total: Option<u64> = app.sources.iter().map(|s| s.bytes_total).sum();
    // A follower never sends Done: once everything known has been read, stop saying "loading".
    if total.is_some_and(|t| read >= t) {
        return None;
    }
    let mb = |b: u64| b as f64 / 1_048_576.0;
    Some(match total {
        Some(t) if t > 0 => format!(
            "loading {}% ({:.1}/{:.1} MB)",
            (read.min(t) * 100 / t),
            mb(read),
            mb(t)
        ),
        _ => format!("loading {:.1} MB", mb(read)),
    })
}

/// Live tail: `LIVE 12 lines/s` or `PAUSED (F follows)`, then the follower's notice; first,
/// so a narrow screen still shows them.
fn live(app: &App) -> Vec<String> {
    let Some(live) = &app.live else { return Vec::new() };
    let mut parts = vec![match (app.done, live.following) {
        (true, _) => "ENDED (every input has ended)".to_owned(),
        (false, true) => format!("LIVE {}", live.rate_text(app.now)),
        (false, false) => format!("PAUSED (F follows) {}", live.rate_text(app.now)),
    }];
    if let Some((notice, _)) = &live.notice {
        parts.push(notice.clone());
    }
    parts
}

/// The status bar text. What a user acts on comes first (counts, filter, position), the file
/// and format list last, because a narrow terminal cuts the end of the line.
pub fn status_text(app: &App, t: &Theme) -> String {
    let [ok, fail, part, open] = app.counts();
    let mut parts = live(app);
    parts.push(format!(
        "{} sessions: {ok} OK {fail} FAIL {part} PART {open} OPEN",
        app.total()
    ));
    let mut shown = Vec::new();
    if app.failed_only {
        shown.push("failed only".to_owned());
    }
    if let Some(f) = &app.filter {
        shown.push(format!("filter: {}", f.text()));
    }
    if !shown.is_empty() {
        parts.push(shown.join(", "));
    }
    if let Some(s) = &app.search {
        parts.push(format!("search: {s}"));
    }
    let pos = app.selected_pos().map_or(0, |p| p + 1);
    parts.push(format!("{pos}/{}", app.visible_len()));
    let unparsed: u64 = app.sources.iter().map(|s| s.unparsed).sum();
    if unparsed > 0 {
        parts.push(format!("{unparsed} unparsed"));
    }
    if let Some(p) = progress(app) {
        parts.push(p);
    }
    parts.push(files(app));
    escape_controls(&parts.join(t.sep())).into_owned()
}

fn prompt_label(kind: PromptKind) -> &'static str {
    match kind {
        PromptKind::Search => "Search: ",
        PromptKind::Filter => "Filter: ",
        PromptKind::Save => "Save transcript to file: ",
    }
}

/// The key hints generated from the binding table.
pub fn hints() -> String {
    BINDINGS
        .iter()
        .filter(|b| b.context == Context::Normal)
        .filter_map(|b| b.hint.map(|h| format!("{} {h}", b.keys[0].name())))
        .collect::<Vec<_>>()
        .join("  ")
}

pub fn render(frame: &mut Frame, status: Rect, bottom: Rect, app: &App) {
    let t = Theme {
        color: app.opts.color,
        ascii: app.opts.ascii,
    };
    let w = usize::from(status.width);
    let text = status_text(app, &t);
    frame.render_widget(
        Paragraph::new(fit(&text, w, t.ellipsis())).style(t.status_bar()),
        status,
    );
    let line = match &app.mode {
        Mode::Prompt(p) => {
            let label = prompt_label(p.kind);
            let input = escape_controls(&p.input).into_owned();
            let used = width(label) + width(&input);
            let cursor = used.min(w.saturating_sub(1));
            frame.set_cursor_position(Position::new(bottom.x + cursor as u16, bottom.y));
            let room = w.saturating_sub(used);
            let mut spans = vec![Span::styled(label, t.border(true)), Span::raw(input)];
            let note = match (&p.error, p.kind) {
                (Some(e), _) => {
                    let mark = if t.ascii { "  error: " } else { "  ✘ " };
                    Some((format!("{mark}{e}"), t.error()))
                }
                (None, PromptKind::Filter) => Some((
                    "  e.g. 5xx gmail.com, 5.7.*, !2xx, failed, since:-1h".to_owned(),
                    t.dim(),
                )),
                _ => None,
            };
            if let Some((text, style)) = note.filter(|_| room > 3) {
                spans.push(Span::styled(
                    fit(&text, room, t.ellipsis()).trim_end().to_owned(),
                    style,
                ));
            }
            Line::from(spans)
        }
        _ => match &app.message {
            Some(m) => Line::styled(fit(&escape_controls(m), w, t.ellipsis()), t.border(true)),
            None => Line::styled(fit(&hints(), w, t.ellipsis()), t.dim()),
        },
    };
    frame.render_widget(Paragraph::new(line), bottom);
}
