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
    let ids: Vec<&str> = a.visible().map(|s| s.id.as_str()).collect();
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
    let ids: Vec<&str> = a.visible().map(|s| s.id.as_str()).collect();
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
    let row = transcript::event_row(&a, s, 58, s.verdict.decisive.unwrap());
    assert!(a.scroll > 0 && a.scroll <= row, "scroll {} row {row}", a.scroll);
    run(&mut a, &[Command::Bottom, Command::Down]);
    run(&mut a, &[Command::SwitchPane, Command::Bottom, Command::Decisive]);
    assert!(a.message.as_deref().unwrap().contains("nothing decided"));
}

#[test]
fn the_real_loader_feeds_the_same_sessions_load_all_finds() {
    use crate::load::{load_all, LoadOptions};
    use crate::source::Input;
    let dir = tempfile::tempdir().unwrap();
    let a_path = dir.path().join("a.log");
    let b_path = dir.path().join("b.log");
    std::fs::write(&a_path, crate::testdata::SAMPLE_4D).unwrap();
    std::fs::write(&b_path, EXTRA_4D).unwrap();
    let inputs = vec![Input::File(a_path), Input::File(b_path)];
    let expected = load_all(&inputs, &LoadOptions::default());
    let rx = crate::feed::spawn_loader(inputs, LoadOptions::default());
    let mut a = App::new(Options::default(), None);
    for u in rx {
        a.update(Action::Feed(vec![u]));
    }
    assert!(a.done);
    let got: Vec<&Session> = a.visible().collect();
    let want: Vec<&Session> = expected.sessions.iter().collect();
    assert_eq!(got, want);
    assert_eq!(a.sources.len(), 2);
    assert_eq!(a.sources[0].format, Some("4d"));
    assert_eq!(a.sources[0].unparsed, 1);
}
