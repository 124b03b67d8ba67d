//! Snapshot tests: the real pipeline's sessions drawn into a `TestBackend`. Snapshots contain
//! summaries and explanations from `explain`; when those change on purpose,
//! review the diff with `cargo insta review`.

use super::draw;
use crate::testdata::updates;
use crate::tui::app::{Action, App, Command, Options};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use unicode_width::UnicodeWidthStr;

fn app(w: u16, h: u16, color: bool, ascii: bool) -> App {
    let mut a = App::new(
        Options {
            color,
            ascii,
            ..Options::default()
        },
        None,
    );
    a.update(Action::Resize(w, h));
    a.update(Action::Feed(updates()));
    a
}

fn run(a: &mut App, cmds: &[Command]) {
    for c in cmds {
        a.update(Action::Run(*c));
    }
}

fn typed(a: &mut App, text: &str) {
    for ch in text.chars() {
        a.update(Action::Type(ch));
    }
}

fn render(a: &App) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(a.size.0, a.size.1)).unwrap();
    term.draw(|f| draw(a, f)).unwrap();
    term.backend().buffer().clone()
}

/// The buffer as text, one line per row; wide characters take their two columns.
fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = sym.width().saturating_sub(1);
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

/// Cells whose symbols start the first occurrence of `needle` on a row.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = text(buf);
    t.lines().enumerate().find_map(|(y, line)| {
        line.find(needle)
            .map(|b| (UnicodeWidthStr::width(&line[..b]) as u16, y as u16))
    })
}

#[test]
fn list_with_every_badge() {
    let a = app(120, 12, true, false);
    let buf = render(&a);
    let t = text(&buf);
    for badge in ["✔ OK", "✘ FAIL", "◐ PART", "… OPEN"] {
        assert!(t.contains(badge), "{badge} missing:\n{t}");
    }
    let (x, y) = find(&buf, "✘ FAIL").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    insta::assert_snapshot!(t);
}

#[test]
fn transcript_with_explanations_and_decisive_reply() {
    let mut a = app(120, 40, true, false);
    run(
        &mut a,
        &[Command::Down, Command::FocusTranscript, Command::Bottom],
    );
    let t = text(&render(&a));
    assert!(t.contains("» "), "explanations shown:\n{t}");
    assert!(t.contains("decisive:"), "{t}");
    assert!(t.contains("C> RCPT TO:<old.partner@example.net>"));
    insta::assert_snapshot!(t);
    run(&mut a, &[Command::ToggleExplain]);
    let t = text(&render(&a));
    assert!(!t.contains("» client"), "explanations hidden:\n{t}");
}

#[test]
fn cjk_text_aligns_and_escapes_are_visible() {
    let mut a = app(90, 30, true, false);
    run(&mut a, &[Command::Bottom]);
    let buf = render(&a);
    let t = text(&buf);
    assert!(t.contains("^[[31mESMTP^[[0m"), "escape shown visibly:\n{t}");
    run(&mut a, &[Command::Up]);
    let buf = render(&a);
    let t = text(&buf);
    assert!(t.contains("日本語メールサーバー"), "{t}");
    // Every row keeps the pane borders in their columns despite double-width text.
    let list_w = super::layout::compute(a.size, a.pane).list.unwrap().width;
    for y in 1..27 {
        assert_eq!(buf[(list_w - 1, y)].symbol(), "│", "row {y}:\n{t}");
        assert_eq!(buf[(89, y)].symbol(), "│", "row {y}:\n{t}");
    }
    insta::assert_snapshot!(t);
}

#[test]
fn search_highlight() {
    let mut a = app(100, 24, true, false);
    run(&mut a, &[Command::Search]);
    typed(&mut a, "gmail");
    run(&mut a, &[Command::Submit]);
    let buf = render(&a);
    let (x, y) = find(&buf, "smtp.gmail.com").unwrap();
    assert_eq!(buf[(x + 5, y)].bg, Color::Yellow, "match highlighted");
    assert_ne!(buf[(x, y)].bg, Color::Yellow, "only the match");
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn filter_prompt_and_invalid_filter() {
    let mut a = app(100, 16, true, false);
    run(&mut a, &[Command::Filter]);
    typed(&mut a, "5.7.*");
    let t = text(&render(&a));
    assert!(t.contains("Filter: 5.7.*"), "{t}");
    insta::assert_snapshot!("filter_prompt", t);
    run(&mut a, &[Command::ClearInput]);
    typed(&mut a, "since:yesterday");
    run(&mut a, &[Command::Submit]);
    let t = text(&render(&a));
    assert!(t.contains("✘ `yesterday`: expected a time"), "{t}");
    insta::assert_snapshot!("filter_invalid", t);
    run(&mut a, &[Command::ClearInput]);
    typed(&mut a, "535");
    run(&mut a, &[Command::Submit]);
    let t = text(&render(&a));
    assert!(
        t.contains("filter: 535") && t.contains("Sessions 1/1 of 5"),
        "{t}"
    );
}

#[test]
fn help_overlay_lists_every_binding() {
    let mut a = app(80, 24, true, false);
    run(&mut a, &[Command::Help]);
    let t = text(&render(&a));
    assert!(t.contains("Keys (? or Esc closes"), "{t}");
    insta::assert_snapshot!(t);
    // Scrolling reaches the last binding.
    run(&mut a, &[Command::Bottom]);
    let t = text(&render(&a));
    assert!(t.contains("Ctrl-U") && t.contains("clear the input"), "{t}");
}

#[test]
fn eighty_by_twenty_four_shows_both_panes() {
    let a = app(80, 24, true, false);
    let t = text(&render(&a));
    assert!(t.contains("Sessions 1/5") && t.contains("Transcript"), "{t}");
    insta::assert_snapshot!(t);
}

#[test]
fn sixty_by_twenty_shows_one_pane_and_tab_switches() {
    let mut a = app(60, 20, true, false);
    let t = text(&render(&a));
    assert!(t.contains("Sessions 1/5") && !t.contains("Transcript"), "{t}");
    insta::assert_snapshot!("narrow_list", t);
    run(&mut a, &[Command::SwitchPane]);
    let t = text(&render(&a));
    assert!(!t.contains("Sessions 1/5") && t.contains("Transcript"), "{t}");
    insta::assert_snapshot!("narrow_transcript", t);
}

#[test]
fn monochrome_ascii_relies_on_no_colour() {
    let mut a = app(100, 20, false, true);
    run(&mut a, &[Command::FocusTranscript]);
    let buf = render(&a);
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "colour used in monochrome mode"
        );
        assert!(cell.symbol().is_ascii(), "non-ASCII {:?}", cell.symbol());
    }
    let (x, y) = find(&buf, "x FAIL").unwrap();
    assert!(
        buf[(x + 2, y + 1)].modifier.contains(Modifier::BOLD)
            || buf[(x + 2, y)].modifier.contains(Modifier::BOLD)
    );
    insta::assert_snapshot!(text(&buf));
}

#[test]
fn resize_relays_out_at_once() {
    let mut a = app(100, 24, true, false);
    assert!(text(&render(&a)).contains("Transcript"));
    a.update(Action::Resize(50, 24));
    assert!(!text(&render(&a)).contains("Transcript"));
}

#[test]
fn tiny_and_odd_sizes_never_panic() {
    for (w, h) in [(1, 1), (2, 2), (10, 3), (20, 5), (69, 10), (70, 4), (300, 100)] {
        let mut a = app(w, h, true, false);
        for c in [
            Command::Help,
            Command::Bottom,
            Command::Help,
            Command::FocusTranscript,
            Command::Bottom,
            Command::Filter,
        ] {
            a.update(Action::Run(c));
            render(&a);
        }
        typed(&mut a, "日本語 since:");
        render(&a);
    }
}

#[test]
fn loading_progress_shows_in_the_status_bar() {
    let mut a = App::new(Options::default(), None);
    a.update(Action::Resize(100, 20));
    let mut ups = updates();
    ups.pop(); // no Done yet
    if let Some(crate::feed::Update::Report { bytes_read, .. }) = ups.get_mut(0) {
        *bytes_read = 50;
    }
    a.update(Action::Feed(ups));
    let t = text(&render(&a));
    assert!(t.contains("loading 75%"), "{t}");
    a.update(Action::Feed(vec![crate::feed::Update::Done]));
    assert!(!text(&render(&a)).contains("loading"));
}

#[test]
fn sessions_on_several_days_show_dates() {
    let mut a = app(120, 12, true, false);
    let mut s = crate::testdata::load_4d("late.log", crate::testdata::EXTRA_4D).remove(0);
    s.start = s.start.map(|mut t| {
        t.when += chrono::Duration::days(1);
        t
    });
    a.update(Action::Feed(vec![crate::feed::Update::Session {
        source: 5,
        index: 0,
        session: Box::new(s),
    }]));
    let t = text(&render(&a));
    assert!(
        t.contains("03-02 09:14:02 ✘ FAIL") && t.contains("03-03 11:00:00 ✔ OK"),
        "{t}"
    );
}

#[test]
fn live_tail_shows_live_and_the_rate_then_paused() {
    let mut a = App::new(
        Options {
            color: true,
            live: true,
            ..Options::default()
        },
        None,
    );
    a.set_clock(std::time::Instant::now());
    a.update(Action::Resize(80, 24));
    let mut ups = updates();
    ups.pop(); // a follower never sends Done for a file
    a.update(Action::Feed(ups));
    let t = text(&render(&a));
    let status = t.lines().nth(22).unwrap();
    assert!(status.starts_with("LIVE 20 lines/s"), "{t}");
    assert!(t.contains("Sessions 5/5"), "newest selected:\n{t}");
    insta::assert_snapshot!(t);
    run(&mut a, &[Command::Up]);
    a.update(Action::Feed(vec![crate::feed::Update::Problem(
        "extra.log: truncated; reading it again from its start".into(),
    )]));
    let t = text(&render(&a));
    let status = t.lines().nth(22).unwrap();
    assert!(
        status.starts_with("PAUSED (F follows) 20 lines/s │ extra.log: truncated"),
        "{t}"
    );
    assert!(
        !t.lines().nth(23).unwrap().contains("truncated"),
        "not an error line"
    );
}
