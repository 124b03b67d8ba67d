//! Hardening tests across every output the viewer and the CLI share: credentials stay masked
//! and hostile control characters never reach a terminal, in the `--list` and `--json` text,
//! the rendered TUI buffer, the OSC 52 payload, the saved transcript, the unparsed-lines view
//! and search. Logs of several formats are generated from one SMTP dialogue.

use super::app::{Action, App, Command, Effect, Options};
use super::view::draw;
use crate::feed::Update;
use crate::load::{load_reader, LoadOptions, Loaded, SourceReport};
use crate::model::Session;
use crate::output;
use crate::testdata::{render_log, FORMATS};
use base64::Engine;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::sync::Arc;

const USER: &str = "zq.login-user@example.org";
const PASSWORD: &str = "Zq-Pass-Word-9931";
const TOKEN: &str = "ya29.ZqOauthTokenSecret5521";
const CRAM_DIGEST: &str = "b913a602c7eda7a495b4e6e7334d3890";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn plain_blob() -> String {
    b64(&format!("\0{USER}\0{PASSWORD}"))
}

fn xoauth_blob() -> String {
    b64(&format!("user={USER}\x01auth=Bearer {TOKEN}\x01\x01"))
}

fn cram_blob() -> String {
    b64(&format!("{USER} {CRAM_DIGEST}"))
}

/// Everything that must never be shown: the payloads, and what they decode to.
fn needles() -> Vec<String> {
    vec![
        plain_blob(),
        b64(USER),
        b64(PASSWORD),
        xoauth_blob(),
        cram_blob(),
        USER.into(),
        PASSWORD.into(),
        TOKEN.into(),
        CRAM_DIGEST.into(),
    ]
}

/// `(client?, text)`: one session trying AUTH PLAIN, LOGIN, XOAUTH2 and CRAM-MD5.
fn secret_dialogue() -> Vec<(bool, String)> {
    let s = |t: &str| (false, t.to_owned());
    let c = |t: String| (true, t);
    vec![
        s("220 mail.example.net ESMTP"),
        c("EHLO client.example.org".into()),
        s("250-mail.example.net"),
        s("250 AUTH PLAIN LOGIN XOAUTH2 CRAM-MD5"),
        c(format!("AUTH PLAIN {}", plain_blob())),
        s("535 5.7.8 Authentication credentials invalid"),
        c("AUTH LOGIN".into()),
        s("334 VXNlcm5hbWU6"),
        c(b64(USER)),
        s("334 UGFzc3dvcmQ6"),
        c(b64(PASSWORD)),
        s("535 5.7.8 Authentication credentials invalid"),
        c(format!("AUTH XOAUTH2 {}", xoauth_blob())),
        s("535 5.7.8 Username and Password not accepted"),
        c("AUTH CRAM-MD5".into()),
        s(&format!("334 {}", b64("<1896.697170952@mail.example.net>"))),
        c(cram_blob()),
        s("235 2.7.0 Authentication successful"),
        c("QUIT".into()),
        s("221 2.0.0 Bye"),
    ]
}

fn load(name: &str, log: &str, format: &str) -> (Vec<Session>, SourceReport) {
    let f = crate::formats::by_name(format).unwrap_or_else(|| panic!("format {format}"));
    let opts = LoadOptions {
        format: Some(f),
        year: None,
    };
    load_reader(Arc::from(name), log.as_bytes(), &opts, 2026).unwrap_or_else(|e| panic!("{format}: {e}"))
}

fn render(app: &App) -> String {
    let mut term = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    term.draw(|f| draw(app, f)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn viewer(sessions: &[Session], report: &SourceReport, reveal: bool) -> App {
    let mut app = App::new(
        Options {
            reveal,
            ..Options::default()
        },
        None,
    );
    app.update(Action::Resize(250, 120));
    let mut updates = vec![Update::Report {
        source: 0,
        report: report.clone(),
        bytes_read: 1,
        bytes_total: Some(1),
    }];
    for (index, s) in sessions.iter().enumerate() {
        updates.push(Update::Session {
            source: 0,
            index,
            session: Box::new(s.clone()),
        });
    }
    updates.push(Update::Done);
    app.update(Action::Feed(updates));
    app
}

/// Every text a user can see or export for these sessions, labelled by where it appears.
fn every_output(sessions: &[Session], report: &SourceReport, reveal: bool) -> Vec<(String, String)> {
    let loaded = Loaded {
        sessions: sessions.to_vec(),
        sources: vec![report.clone()],
        problems: Vec::new(),
    };
    let refs: Vec<&Session> = loaded.sessions.iter().collect();
    let mut outs = Vec::new();
    let mut list = Vec::new();
    output::list::write(&mut list, &loaded, &refs).unwrap();
    outs.push(("--list".to_owned(), String::from_utf8(list).unwrap()));
    let mut json = Vec::new();
    output::json::write(&mut json, &refs, reveal).unwrap();
    outs.push(("--json".to_owned(), String::from_utf8(json).unwrap()));

    let dir = tempfile::tempdir().unwrap();
    let mut app = viewer(sessions, report, reveal);
    outs.push(("tui list".into(), render(&app)));
    for i in 0..sessions.len() {
        app.update(Action::Run(Command::FocusTranscript));
        outs.push((format!("tui transcript {i}"), render(&app)));
        app.update(Action::Run(Command::ToggleExplain));
        outs.push((format!("tui transcript {i} without notes"), render(&app)));
        app.update(Action::Run(Command::ToggleExplain));
        app.update(Action::Run(Command::Copy));
        app.update(Action::Run(Command::Save));
        let path = dir.path().join(format!("saved-{i}.txt"));
        for ch in path.to_str().unwrap().chars() {
            app.update(Action::Type(ch));
        }
        app.update(Action::Run(Command::Submit));
        for effect in app.take_effects() {
            match effect {
                Effect::Copy(text) => {
                    let seq = super::export::osc52(&text);
                    let payload = seq.trim_start_matches("\x1b]52;c;").trim_end_matches('\x07');
                    let decoded = base64::engine::general_purpose::STANDARD.decode(payload).unwrap();
                    outs.push((format!("osc52 {i}"), seq.clone()));
                    outs.push((format!("osc52 decoded {i}"), String::from_utf8(decoded).unwrap()));
                }
                Effect::Save { path, text } => {
                    super::save(&path, &text, &[]).unwrap();
                    outs.push((format!("saved {i}"), std::fs::read_to_string(&path).unwrap()));
                }
                Effect::Suspend => {}
            }
        }
        app.update(Action::Run(Command::SwitchPane));
        app.update(Action::Run(Command::Down));
    }
    app.update(Action::Run(Command::Unparsed));
    outs.push(("tui unparsed view".into(), render(&app)));
    outs
}

#[test]
fn credentials_never_appear_in_any_output_unless_revealed() {
    for format in FORMATS {
        let log = render_log(format, &secret_dialogue());
        let (sessions, report) = load("auth.log", &log, format);
        assert_eq!(sessions.len(), 1, "{format}: {sessions:#?}");
        let events = &sessions[0].events;
        assert!(
            events.iter().any(|e| !e.secrets.is_empty()),
            "{format}: nothing masked"
        );
        for (place, text) in every_output(&sessions, &report, false) {
            for n in needles() {
                assert!(!text.contains(&n), "{format}: {n:?} leaks in {place}:\n{text}");
            }
        }
        for (line, text) in &report.unparsed {
            for n in needles() {
                assert!(
                    !text.contains(&n),
                    "{format}: {n:?} leaks in unparsed line {line}"
                );
            }
        }
        // Searching and filtering for a credential must not find the session.
        for n in needles() {
            assert!(
                !crate::filter::session_contains(&sessions[0], &n.to_lowercase()),
                "{format}: {n}"
            );
            let filter = crate::filter::Filter::parse(&format!("\"{n}\"")).unwrap();
            assert!(!filter.matches(&sessions[0]), "{format}: filter finds {n}");
            let mut app = viewer(&sessions, &report, false);
            app.search = Some(n.to_lowercase());
            app.update(Action::Run(Command::NextMatch));
            assert!(app.search_hit.is_none(), "{format}: search finds {n}");
        }
        // With --reveal-secrets the same outputs do show them: the checks above can fail.
        let revealed = every_output(&sessions, &report, true);
        for place in ["--json", "tui transcript 0", "saved 0"] {
            let text = &revealed.iter().find(|(p, _)| p == place).unwrap().1;
            assert!(
                text.contains(&b64(PASSWORD)),
                "{format}: {place} does not reveal:\n{text}"
            );
        }
    }
}

#[test]
fn credentials_in_lines_a_format_cannot_read_are_masked_too() {
    // smtplib lines whose repr is cut off cannot be read: they land among the unparsed lines.
    let log: String = render_log("smtplib", &secret_dialogue())
        .lines()
        .map(|l| match l.strip_prefix("send: '") {
            Some(rest) => format!("send: '{}\n", rest.trim_end_matches("\\r\\n'")),
            None => format!("{l}\n"),
        })
        .collect();
    let (sessions, report) = load("cut.log", &log, "smtplib");
    assert!(report.unparsed_count >= 5, "{:?}", report.unparsed);
    for (place, text) in every_output(&sessions, &report, false) {
        for n in needles() {
            assert!(!text.contains(&n), "{n:?} leaks in {place}:\n{text}");
        }
    }
    for (line, text) in &report.unparsed {
        for n in needles() {
            assert!(!text.contains(&n), "{n:?} leaks in unparsed line {line}: {text}");
        }
    }
}

/// Text with every kind of control a hostile peer might plant.
const HOSTILE: &str = "\x1b[2J\x1b]52;c;aGFjaw==\x07\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\\x07\x08\r\x01\x7f\u{80}\u{9b}31m\u{9f}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}end";

fn dangerous(c: char) -> bool {
    let u = c as u32;
    u < 0x20 && c != '\n' || u == 0x7f || (0x80..0xa0).contains(&u) || crate::sanitize::is_bidi_control(c)
}

fn hostile_dialogue() -> Vec<(bool, String)> {
    let h = HOSTILE;
    vec![
        (false, format!("220 mail{h}.example.net ESMTP {h}")),
        (true, format!("EHLO client{h}.example.org")),
        (false, format!("250 mail.example.net hello {h}")),
        (true, format!("MAIL FROM:<a{h}@example.org>")),
        (false, format!("250 2.1.0 ok {h}")),
        (true, "RCPT TO:<b@example.net>".into()),
        (false, format!("550 5.1.1 no such user {h}")),
        (true, "QUIT".into()),
        (false, "221 bye".into()),
    ]
}

#[test]
fn no_raw_control_character_reaches_any_output() {
    for format in FORMATS {
        let mut log = render_log(format, &hostile_dialogue());
        log.push_str(&format!("garbage line the format cannot read {HOSTILE}\n"));
        let name = format!("/tmp/evil{HOSTILE}.log");
        let (sessions, report) = load(&name, &log, format);
        assert!(!sessions.is_empty(), "{format}");
        let outs = every_output(&sessions, &report, false);
        for (place, text) in &outs {
            // The OSC 52 sequence itself is ours; its decoded payload is checked separately.
            if place.starts_with("osc52 ") && !place.contains("decoded") {
                continue;
            }
            if let Some(c) = text.chars().find(|&c| dangerous(c)) {
                panic!("{format}: raw {c:?} in {place}:\n{text}");
            }
        }
        let shown = |place: &str| &outs.iter().find(|(p, _)| p == place).unwrap().1;
        assert!(
            shown("tui transcript 0").contains("^[[2J"),
            "{format}: escape shown visibly"
        );
        assert!(
            shown("tui transcript 0").contains("<U+202E>"),
            "{format}: bidi shown visibly"
        );
        assert!(
            shown("tui list").contains("evil^[[2J"),
            "{format}: file name escaped in the status bar"
        );
        let unparsed = shown("tui unparsed view");
        if report.unparsed.iter().any(|(_, t)| t.starts_with("garbage line")) {
            assert!(
                unparsed.contains("garbage line the format cannot read ^[[2J"),
                "{format}:\n{unparsed}"
            );
        }
        let json = shown("--json");
        for line in json.lines() {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("{format}: {e}: {line}"));
        }
    }
}

#[test]
fn u_shows_the_unparsed_lines_of_the_selected_source_and_closes_again() {
    let log = render_log("4d", &hostile_dialogue()) + "first stray line\nsecond stray line\n";
    let (sessions, report) = load("stray.log", &log, "4d");
    assert_eq!(report.unparsed_count, 2);
    let mut app = viewer(&sessions, &report, false);
    let before = render(&app);
    assert!(before.contains("2 unparsed"), "status bar counts them:\n{before}");
    assert!(!before.contains("second stray line"));
    let key = crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('u'),
        crossterm::event::KeyModifiers::NONE,
    );
    let action = super::keys::action_for(&app.mode, &key).unwrap();
    app.update(action);
    let shown = render(&app);
    assert!(shown.contains("2 unparsed lines of stray.log"), "{shown}");
    assert!(
        shown.contains("first stray line") && shown.contains("second stray line"),
        "{shown}"
    );
    let action = super::keys::action_for(&app.mode, &key).unwrap();
    app.update(action);
    assert!(!render(&app).contains("second stray line"));
}
