use super::*;
use crate::testdata::{load_4d, updates, EXTRA_4D};

fn app() -> App {
    let mut a = App::new(
        Options {
            color: true,
            ..Options::default()
        },
        None,
    );
    a.update(Action::Resize(100, 30));
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

fn selected_id(a: &App) -> String {
    a.selected_session().map(|s| s.id.clone()).unwrap_or_default()
}

#[test]
fn sessions_are_ordered_by_start_and_first_is_selected() {
    let a = app();
    let ids: Vec<String> = a.visible().map(|s| s.id.clone()).collect();
    assert_eq!(ids, ["12/31", "12/33", "14/40", "20/50", "21/51"]);
    assert_eq!(a.selected_pos(), Some(0));
    assert_eq!(a.counts(), [1, 2, 1, 1]);
    assert!(!a.multi_day);
    assert!(a.done);
}

#[test]
fn navigation_moves_and_clamps() {
    let mut a = app();
    run(&mut a, &[Command::Down, Command::Down]);
    assert_eq!(selected_id(&a), "14/40");
    run(&mut a, &[Command::Bottom, Command::Down]);
    assert_eq!(a.selected_pos(), Some(4));
    run(&mut a, &[Command::Top, Command::Up]);
    assert_eq!(a.selected_pos(), Some(0));
    run(&mut a, &[Command::PageDown]);
    assert_eq!(a.selected_pos(), Some(4));
}

#[test]
fn transcript_scrolls_only_when_focused_and_stays_in_range() {
    let mut a = app();
    run(&mut a, &[Command::FocusTranscript, Command::Down, Command::Down]);
    assert_eq!(
        (a.pane, a.scroll, a.selected_pos()),
        (Pane::Transcript, 2, Some(0))
    );
    run(&mut a, &[Command::Bottom]);
    let bottom = a.scroll;
    assert!(bottom > 2);
    run(&mut a, &[Command::Down, Command::PageDown]);
    assert_eq!(a.scroll, bottom, "scroll stops at the last page");
    run(&mut a, &[Command::SwitchPane, Command::Down]);
    assert_eq!(
        (a.pane, a.scroll),
        (Pane::List, 0),
        "a new session starts at its top"
    );
}

#[test]
fn filter_prompt_applies_valid_text_and_keeps_invalid_text_with_an_error() {
    let mut a = app();
    run(&mut a, &[Command::Filter]);
    typed(&mut a, "6xx");
    let Mode::Prompt(p) = &a.mode else {
        panic!("prompt closed")
    };
    assert!(p.error.as_deref().unwrap().contains("start with 2, 3, 4 or 5"));
    run(&mut a, &[Command::Submit]);
    assert!(
        matches!(&a.mode, Mode::Prompt(p) if p.error.is_some()),
        "invalid filter keeps the prompt"
    );
    run(&mut a, &[Command::ClearInput]);
    typed(&mut a, "5.7.*");
    run(&mut a, &[Command::Submit]);
    assert_eq!(a.mode, Mode::Normal);
    let ids: Vec<String> = a.visible().map(|s| s.id.clone()).collect();
    assert_eq!(ids, ["12/31", "14/40"]);
    // Reopening shows the current filter for editing; Esc leaves it unchanged.
    run(&mut a, &[Command::Filter]);
    assert!(matches!(&a.mode, Mode::Prompt(p) if p.input == "5.7.*"));
    run(&mut a, &[Command::Cancel, Command::Clear]);
    assert_eq!(a.visible_len(), 5);
}

#[test]
fn failed_only_keeps_the_selection_when_it_still_shows() {
    let mut a = app();
    run(&mut a, &[Command::Down, Command::Down]);
    run(&mut a, &[Command::ToggleFailed]);
    assert_eq!(a.visible_len(), 3);
    assert_eq!(selected_id(&a), "14/40");
    run(
        &mut a,
        &[Command::ToggleFailed, Command::Bottom, Command::ToggleFailed],
    );
    // The open session is hidden; the selection moves to the nearest shown session.
    assert_eq!(selected_id(&a), "14/40");
}

#[test]
fn search_walks_matches_across_sessions_and_wraps() {
    let mut a = app();
    run(&mut a, &[Command::Search]);
    typed(&mut a, "EHLO office");
    run(&mut a, &[Command::Submit]);
    assert_eq!(a.search.as_deref(), Some("ehlo office"));
    assert_eq!(selected_id(&a), "12/33");
    let first_hit = a.search_hit.unwrap();
    run(&mut a, &[Command::NextMatch]);
    assert_eq!(selected_id(&a), "12/33", "the EHLO after STARTTLS matches too");
    assert!(a.search_hit.unwrap() > first_hit);
    run(&mut a, &[Command::NextMatch]);
    assert_eq!(selected_id(&a), "14/40");
    run(&mut a, &[Command::NextMatch]);
    assert_eq!(selected_id(&a), "12/33");
    assert_eq!(a.message.as_deref(), Some("search wrapped around"));
    run(&mut a, &[Command::PrevMatch]);
    assert_eq!(selected_id(&a), "14/40");
    run(&mut a, &[Command::Search]);
    typed(&mut a, "no-such-text");
    run(&mut a, &[Command::Submit]);
    assert!(a.message.as_deref().unwrap().contains("no match"));
}

#[test]
fn selection_stays_on_the_same_session_when_updates_arrive() {
    let mut a = app();
    run(&mut a, &[Command::Down, Command::Down]);
    assert_eq!(selected_id(&a), "14/40");
    // An earlier session arrives from a new source: it sorts first, the selection follows.
    let mut early = load_4d("early.log", EXTRA_4D).remove(0);
    early.id = "99/1".into();
    early.start = Some(crate::model::Timestamp::local(
        chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap(),
    ));
    a.update(Action::Feed(vec![Update::Session {
        source: 2,
        index: 0,
        session: Box::new(early),
    }]));
    assert_eq!(a.visible().next().unwrap().id, "99/1");
    assert!(a.multi_day, "sessions on 03-01 and 03-02");
    assert_eq!(selected_id(&a), "14/40");
    assert_eq!(a.selected_pos(), Some(3));
    // The open session changes (a live tail saw it close): replaced, not duplicated.
    let mut closed = load_4d("extra.log", EXTRA_4D).remove(1);
    closed.closed = true;
    closed.evaluate();
    let before = a.total();
    a.update(Action::Feed(vec![Update::Session {
        source: 1,
        index: 1,
        session: Box::new(closed),
    }]));
    assert_eq!(a.total(), before);
    assert_eq!(a.counts()[3], 0, "no open session left");
    assert_eq!(selected_id(&a), "14/40");
}

#[test]
fn undated_sessions_follow_the_dated_ones_in_source_order() {
    let mut a = app();
    let mut s = load_4d("x.log", EXTRA_4D).remove(0);
    s.start = None;
    s.id = "undated".into();
    a.update(Action::Feed(vec![Update::Session {
        source: 0,
        index: 9,
        session: Box::new(s),
    }]));
    assert_eq!(a.visible().last().unwrap().id, "undated");
}

#[test]
fn reports_problems_and_copy_save_effects() {
    let mut a = app();
    a.update(Action::Feed(vec![Update::Problem("x.log: cannot read".into())]));
    assert_eq!(a.problems, ["x.log: cannot read"]);
    run(&mut a, &[Command::Copy]);
    let effects = a.take_effects();
    assert!(matches!(&effects[..], [Effect::Copy(t)] if t.contains("535 5.7.8")));
    run(&mut a, &[Command::Save]);
    typed(&mut a, "out.txt");
    run(&mut a, &[Command::Submit]);
    assert!(matches!(&a.take_effects()[..], [Effect::Save { path, .. }] if path.as_os_str() == "out.txt"));
    run(&mut a, &[Command::Save, Command::Submit]);
    assert!(a.take_effects().is_empty());
    assert!(a.message.as_deref().unwrap().contains("no file name"));
}

#[test]
fn help_and_quit() {
    let mut a = app();
    run(&mut a, &[Command::Help]);
    assert_eq!(a.mode, Mode::Help);
    run(&mut a, &[Command::Quit]);
    assert_eq!(a.mode, Mode::Normal);
    assert!(!a.quit, "q closes the help first");
    run(&mut a, &[Command::Quit]);
    assert!(a.quit);
}

#[test]
fn save_refuses_inputs_and_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("maillog");
    std::fs::write(&input, "log").unwrap();
    let err = crate::tui::save(&input, "x", std::slice::from_ref(&input)).unwrap_err();
    assert!(err.contains("being read"), "{err}");
    let other = dir.path().join("kept.txt");
    std::fs::write(&other, "keep").unwrap();
    assert!(crate::tui::save(&other, "x", &[])
        .unwrap_err()
        .contains("already exists"));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "keep");
    let new = dir.path().join("new.txt");
    crate::tui::save(&new, "text", &[]).unwrap();
    assert_eq!(std::fs::read_to_string(&new).unwrap(), "text");
}

#[test]
fn mouse_click_selects_and_wheel_scrolls_the_pane_under_it() {
    let mut a = app();
    // Row 0 is the list's top border; row 3 is the third session.
    a.update(Action::Click(5, 3));
    assert_eq!(selected_id(&a), "14/40");
    a.update(Action::Click(5, 0));
    assert_eq!(selected_id(&a), "14/40", "a border click selects nothing");
    a.update(Action::Wheel(80, 10, 3));
    assert_eq!((a.pane, a.scroll), (Pane::Transcript, 3));
    a.update(Action::Wheel(5, 10, -3));
    assert_eq!((a.pane, selected_id(&a)), (Pane::List, "12/31".to_string()));
}

#[test]
fn d_shows_the_decisive_reply() {
    let mut a = app();
    run(&mut a, &[Command::Down, Command::Decisive]);
    assert_eq!(a.pane, Pane::Transcript);
    let s = a.selected_session().unwrap();
    let row = transcript::event_row(&a, &s, 58, s.verdict.decisive.unwrap());
    assert!(a.scroll > 0 && a.scroll <= row, "scroll {} row {row}", a.scroll);
    run(&mut a, &[Command::Bottom, Command::Down]);
    run(&mut a, &[Command::SwitchPane, Command::Bottom, Command::Decisive]);
    assert!(a.message.as_deref().unwrap().contains("nothing decided"));
}

#[test]
fn the_real_loader_feeds_the_same_sessions_load_all_finds() {
    real_loader_matches_load_all(u64::MAX);
}

/// Compact rows (every file counts as big here) show the same sessions, read back.
#[test]
fn compact_rows_show_the_same_sessions_load_all_finds() {
    real_loader_matches_load_all(0);
}

fn real_loader_matches_load_all(compact_from: u64) {
    use crate::load::{load_all, LoadOptions};
    use crate::source::Input;
    let dir = tempfile::tempdir().unwrap();
    let a_path = dir.path().join("a.log");
    let b_path = dir.path().join("b.log");
    std::fs::write(&a_path, crate::testdata::SAMPLE_4D).unwrap();
    std::fs::write(&b_path, EXTRA_4D).unwrap();
    let inputs = vec![Input::File(a_path), Input::File(b_path)];
    let expected = load_all(&inputs, &LoadOptions::default());
    let rx = crate::feed::spawn_loader_compacting(inputs, LoadOptions::default(), compact_from);
    let mut a = App::new(Options::default(), None);
    for u in rx {
        a.update(Action::Feed(vec![u]));
    }
    assert!(a.done);
    let got: Vec<Session> = a.visible().map(|s| (*s).clone()).collect();
    assert_eq!(got, expected.sessions);
    // The filter answers from rows as from whole sessions.
    a.update(Action::Feed(Vec::new()));
    for (filter, some_match) in [("5xx", true), ("gmail", false)] {
        let f = crate::filter::Filter::parse(filter).unwrap();
        let want = expected.sessions.iter().filter(|s| f.matches(s)).count();
        assert!(want > 0 || !some_match, "{filter}: nothing to find");
        a.filter = Some(f);
        a.refilter();
        assert_eq!(a.visible_len(), want, "{filter}");
    }
    assert_eq!(a.sources.len(), 2);
    assert_eq!(a.sources[0].format, Some("4d"));
    assert_eq!(a.sources[0].unparsed, 1);
}

/// Every sample as compact rows: each code filter keeps the sessions it keeps of whole ones
/// (rows answer `4xx`/`5xx` from two bits, the rest from their codes in the arena).
#[test]
fn code_filters_answer_from_rows_as_from_whole_sessions() {
    use crate::load::{load_all, LoadOptions};
    use crate::source::Input;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");
    let mut inputs: Vec<Input> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| Input::File(e.unwrap().path()))
        .collect();
    inputs.sort_by_key(|i| i.name());
    let expected = load_all(&inputs, &LoadOptions::default());
    let rx = crate::feed::spawn_loader_compacting(inputs, LoadOptions::default(), 0);
    let mut a = App::new(Options::default(), None);
    for u in rx {
        a.update(Action::Feed(vec![u]));
    }
    assert!(a.done);
    let rows = a
        .entries
        .iter()
        .filter(|e| matches!(e.body, Body::Row(_)))
        .count();
    assert!(rows > 100, "{rows} sessions kept as rows");
    for filter in [
        "5xx", "4xx", "2xx", "55x", "535", "45x", "!5xx", "!4xx", "4xx,5xx", "5.7.*",
    ] {
        let f = crate::filter::Filter::parse(filter).unwrap();
        let want = expected.sessions.iter().filter(|s| f.matches(s)).count();
        a.filter = Some(f);
        a.refilter();
        assert_eq!(a.visible_len(), want, "{filter}");
        assert!(want > 0, "{filter}: the samples have none to find");
    }
}

/// A live-tail viewer (`-f`) fed the test sessions without `Done`, at a fixed time.
fn live_app(t0: std::time::Instant) -> App {
    let mut a = App::new(
        Options {
            live: true,
            ..Options::default()
        },
        None,
    );
    a.set_clock(t0);
    a.update(Action::Resize(100, 12));
    let mut ups = updates();
    ups.pop();
    a.update(Action::Feed(ups));
    a
}

/// The transcript scroll that shows the selected session's last row.
fn bottom_scroll(a: &App) -> usize {
    let area = layout::compute(a.size, a.pane).transcript.unwrap();
    let rows = transcript::row_count(a, &a.selected_session().unwrap(), area.width - 2);
    rows.saturating_sub(usize::from(area.height - 2))
}

/// A session of its own source starting `hours` after the extra log's first one.
fn later_session(id: &str, hours: i64) -> Update {
    let mut s = load_4d("new.log", EXTRA_4D).remove(0);
    s.id = id.into();
    s.start = s.start.map(|mut t| {
        t.when += chrono::Duration::hours(hours);
        t
    });
    Update::Session {
        source: 7,
        index: hours as usize,
        session: Box::new(s),
    }
}

/// The open session of the extra log with `more` further lines: it grows in place.
fn grown_open_session(more: &[&str]) -> Update {
    let mut text = EXTRA_4D.to_owned();
    for (i, line) in more.iter().enumerate() {
        text.push_str(&format!("{} 2026-03-02T11:30:01.000 21 51 {line}\n", 18 + i));
    }
    Update::Session {
        source: 1,
        index: 1,
        session: Box::new(load_4d("extra.log", &text).remove(1)),
    }
}

#[test]
fn following_selects_the_newest_session_and_sticks_to_its_bottom() {
    let mut a = live_app(std::time::Instant::now());
    assert!(a.following());
    assert_eq!(selected_id(&a), "21/51", "the newest session");
    a.update(Action::Feed(vec![grown_open_session(&[
        "S < \"250-relay.example.com\"",
        "S < \"250-PIPELINING\"",
        "S < \"250 AUTH PLAIN LOGIN\"",
        "C > \"AUTH PLAIN AGFAZXhhbXBsZS5vcmcAc2VjcmV0\"",
        "S < \"235 2.7.0 Authentication successful\"",
    ])]));
    assert_eq!(selected_id(&a), "21/51");
    assert!(a.scroll > 0, "the grown transcript does not fit");
    assert_eq!(a.scroll, bottom_scroll(&a), "transcript at its end");
    a.update(Action::Feed(vec![later_session("new/1", 2)]));
    assert_eq!(selected_id(&a), "new/1", "a new session is selected at once");
    assert_eq!(a.selected_pos(), Some(a.visible_len() - 1));
    assert_eq!(a.scroll, bottom_scroll(&a));
    // Switching panes is not a move: still following.
    run(&mut a, &[Command::SwitchPane]);
    a.update(Action::Feed(vec![later_session("new/2", 3)]));
    assert!(a.following());
    assert_eq!(selected_id(&a), "new/2");
}

#[test]
fn a_move_pauses_following_and_f_resumes_it() {
    let mut a = live_app(std::time::Instant::now());
    run(&mut a, &[Command::Up]);
    assert!(!a.following(), "any move pauses");
    assert_eq!(selected_id(&a), "20/50");
    a.update(Action::Feed(vec![later_session("new/1", 2)]));
    assert_eq!(selected_id(&a), "20/50", "paused: the selection stays put");
    assert_eq!(a.visible_len(), 6, "the new session is listed");
    // The transcript of a growing session keeps the user's scroll while paused.
    run(&mut a, &[Command::Down, Command::FocusTranscript, Command::Top]);
    assert_eq!(selected_id(&a), "21/51");
    a.update(Action::Feed(vec![grown_open_session(&[
        "S < \"250 relay.example.com\"",
    ])]));
    assert_eq!((selected_id(&a), a.scroll), ("21/51".to_owned(), 0));
    run(&mut a, &[Command::Follow]);
    assert!(a.following());
    assert_eq!(selected_id(&a), "new/1");
    assert_eq!(a.scroll, bottom_scroll(&a));
    // Every kind of move pauses: a page, a search match, the decisive reply, a click.
    for cmds in [
        &[Command::PageUp][..],
        &[Command::Bottom],
        &[Command::Decisive],
        &[Command::Search, Command::Submit, Command::NextMatch],
    ] {
        run(&mut a, &[Command::Follow]);
        run(&mut a, cmds);
        assert!(!a.following(), "{cmds:?} pauses");
    }
    run(&mut a, &[Command::Follow]);
    a.update(Action::Click(5, 2));
    assert!(!a.following(), "a click on a session pauses");
}

#[test]
fn follower_notices_show_as_notices_not_problems() {
    let t0 = std::time::Instant::now();
    let mut a = live_app(t0);
    a.update(Action::Feed(vec![Update::Problem(
        "send.log: does not exist yet; waiting for it to appear".into(),
    )]));
    assert!(a.problems.is_empty() && a.message.is_none());
    let notice = |a: &App| a.live.as_ref().unwrap().notice.as_ref().map(|n| n.0.clone());
    assert!(notice(&a).unwrap().contains("waiting"));
    a.set_clock(t0 + std::time::Duration::from_secs(1));
    a.update(Action::Feed(vec![later_session("new/1", 2)]));
    assert!(notice(&a).is_some(), "a fresh notice stays a while");
    a.set_clock(t0 + std::time::Duration::from_secs(9));
    run(&mut a, &[Command::Up]);
    assert!(notice(&a).is_some(), "a key does not clear it");
    a.update(Action::Feed(vec![later_session("new/2", 3)]));
    assert_eq!(notice(&a), None, "later data replaces an old notice");
    // Without -f, F says what it is for and nothing follows.
    let mut once = app();
    run(&mut once, &[Command::Follow]);
    assert!(!once.following());
    assert!(once.message.as_deref().unwrap().contains("-f"));
}

/// Feeding keeps the order incrementally (appends in order, changes in place) and falls back
/// to a full sort otherwise; either way it is the order a full rebuild gives.
#[test]
fn incremental_order_equals_a_full_rebuild() {
    use crate::model::{Status, Verdict};
    let base = load_4d("x.log", EXTRA_4D).remove(0);
    let mut a = App::new(Options::default(), None);
    a.update(Action::Resize(100, 30));
    a.failed_only = true;
    let mut seed = 7u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for round in 0..40 {
        let mut batch = Vec::new();
        for k in 0..1 + next(30) {
            let index = (round * 30 + k) as usize;
            // Mostly later and later, sometimes earlier, sometimes a change to an old one.
            let (index, minutes) = match next(10) {
                0 => (next(index as u64 + 1) as usize, next(2000) as i64),
                1 => (index, next(100) as i64),
                _ => (index, index as i64 * 3),
            };
            let mut s = base.clone();
            s.id = format!("s{index}");
            s.start = s.start.map(|mut t| {
                t.when += chrono::Duration::minutes(minutes);
                t
            });
            s.verdict = Verdict {
                status: [Status::Success, Status::Failure, Status::Partial][next(3) as usize],
                ..s.verdict
            };
            batch.push(Update::Session {
                source: (index % 2),
                index,
                session: Box::new(s),
            });
        }
        a.update(Action::Feed(batch));
        let kept = a.order.clone();
        let multi_day = a.multi_day;
        a.reorder();
        assert_eq!(kept, a.order, "round {round}");
        assert_eq!(multi_day, a.multi_day, "round {round}");
    }
    assert!(a.visible_len() > 100);
}

/// Before the user moves, the selection is the top of the list even when earlier sessions
/// arrive later; once they have moved, it stays on their session.
#[test]
fn the_selection_stays_on_top_until_the_user_moves() {
    let mut a = App::new(Options::default(), None);
    a.update(Action::Resize(100, 30));
    a.update(Action::Feed(vec![later_session("late", 5)]));
    a.update(Action::Feed(vec![later_session("early", 1)]));
    assert_eq!(selected_id(&a), "early");
    assert_eq!(a.selected_pos(), Some(0));
    run(&mut a, &[Command::Down]);
    assert_eq!(selected_id(&a), "late");
    a.update(Action::Feed(vec![later_session("earliest", 0)]));
    assert_eq!(selected_id(&a), "late");
    assert_eq!(a.selected_pos(), Some(2));
}
