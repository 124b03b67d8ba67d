//! The interactive viewer: a session list and a transcript pane over the model as it loads.
//! Input, loader updates and resizes all become [`app::Action`]s; the screen is redrawn only
//! after something changed, so an idle viewer uses no CPU and sends nothing over SSH.

pub mod app;
mod export;
pub mod keys;
#[cfg(test)]
mod safety_tests;
mod terminal;
pub mod theme;
pub mod view;

use crate::cli::{Cli, ColorChoice};
use crate::feed::{self, Update};
use crate::filter::Filter;
use crate::load::LoadOptions;
use crate::source::Input;
use app::{Action, App, Effect, Options};
use crossterm::event::{self, Event, MouseButton, MouseEventKind};
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;

/// Everything the loop waits for, merged into one channel so it can block on all at once.
enum Msg {
    Term(Event),
    Feed(Update),
    InputGone,
}

/// How many queued messages are applied before the screen is redrawn.
pub const BATCH: usize = 20_000;

/// True when the locale promises UTF-8 (LC_ALL, then LC_CTYPE, then LANG, as libc does).
pub fn locale_is_utf8() -> bool {
    let vars = ["LC_ALL", "LC_CTYPE", "LANG"].map(|k| std::env::var(k).ok());
    utf8_locale(&vars)
}

/// The first set, non-empty value decides; no value at all is the C locale (not UTF-8).
fn utf8_locale(values: &[Option<String>]) -> bool {
    let value = values
        .iter()
        .flatten()
        .find(|v| !v.is_empty())
        .map(|v| v.to_ascii_lowercase())
        .unwrap_or_default();
    value.contains("utf-8") || value.contains("utf8")
}

/// Colour unless `--color never`, or `auto` with `NO_COLOR` set to anything non-empty.
fn use_color(choice: ColorChoice, no_color: Option<&std::ffi::OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => no_color.is_none_or(|v| v.is_empty()),
    }
}

/// How the viewer looks and what it may write, from the command line and environment:
/// `--ascii` or a non-UTF-8 locale, `--color` and `NO_COLOR`, `--reveal-secrets`.
pub fn options_from_cli(cli: &Cli, inputs: &[Input]) -> Options {
    Options {
        ascii: cli.ascii || !locale_is_utf8(),
        color: use_color(cli.color, std::env::var_os("NO_COLOR").as_deref()),
        reveal: cli.reveal_secrets,
        inputs: inputs
            .iter()
            .filter_map(|i| match i {
                Input::File(p) => Some(p.clone()),
                Input::Stdin => None,
            })
            .collect(),
        live: cli.follow,
    }
}

/// Runs the viewer over `inputs` (loaded in the background) until the user quits; returns the
/// process exit code.
pub fn run(inputs: Vec<Input>, load: LoadOptions, opts: Options, filter: Option<Filter>) -> i32 {
    run_updates(feed::spawn_loader(inputs, load), opts, filter)
}

/// Runs the viewer over any source of [`Update`]s, e.g. a live-tail follower that never sends
/// `Done`; returns the process exit code.
pub fn run_updates(updates: Receiver<Update>, opts: Options, filter: Option<Filter>) -> i32 {
    let mut app = App::new(opts, filter);
    let result = event_loop(&mut app, updates);
    terminal::restore();
    let mut err = io::stderr();
    for p in &app.problems {
        let _ = writeln!(err, "smtpscope: {}", crate::sanitize::escape_controls(p));
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "smtpscope: terminal error: {e}");
            crate::run::EXIT_NO_INPUT
        }
    }
}

fn spawn_inputs(updates: Receiver<Update>) -> Receiver<Msg> {
    // Bounded like the loader's queue, so a slow screen holds back loading, not memory.
    let (tx, rx) = mpsc::sync_channel(BATCH);
    let keys = tx.clone();
    thread::spawn(move || loop {
        match event::read() {
            Ok(ev) => {
                if keys.send(Msg::Term(ev)).is_err() {
                    return;
                }
            }
            Err(_) => {
                let _ = keys.send(Msg::InputGone);
                return;
            }
        }
    });
    thread::spawn(move || {
        for u in updates {
            if tx.send(Msg::Feed(u)).is_err() {
                return;
            }
        }
    });
    rx
}

fn event_loop(app: &mut App, updates: Receiver<Update>) -> io::Result<()> {
    let mut term = terminal::enter()?;
    let size = term.size()?;
    app.update(Action::Resize(size.width, size.height));
    let rx = spawn_inputs(updates);
    // Hidden switch for the terminal-restore tests: panic on the first key press (`1`), or
    // while drawing the screen after it (`draw`).
    let debug_panic = std::env::var("SMTPSCOPE_DEBUG_PANIC").unwrap_or_default();
    let mut panic_in_draw = false;
    term.draw(|f| view::draw(app, f))?;
    while let Ok(first) = rx.recv() {
        let mut changed = false;
        let mut fed = Vec::new();
        for msg in std::iter::once(first).chain(rx.try_iter().take(BATCH)) {
            match msg {
                Msg::Feed(u) => fed.push(u),
                Msg::Term(ev) => {
                    if matches!(ev, Event::Key(_)) {
                        match debug_panic.as_str() {
                            "1" => panic!("SMTPSCOPE_DEBUG_PANIC=1: deliberate panic inside the viewer"),
                            "draw" => panic_in_draw = true,
                            _ => {}
                        }
                    }
                    if !fed.is_empty() {
                        changed |= app.update(Action::Feed(std::mem::take(&mut fed)));
                    }
                    changed |= handle_event(app, ev);
                }
                Msg::InputGone => app.quit = true,
            }
        }
        if !fed.is_empty() {
            changed |= app.update(Action::Feed(fed));
        }
        for effect in app.take_effects() {
            let notice = perform(&mut term, app, effect)?;
            changed = true;
            if let Some(n) = notice {
                app.update(Action::Notice(n));
            }
        }
        if app.quit {
            break;
        }
        if changed {
            term.draw(|f| {
                if panic_in_draw {
                    panic!("SMTPSCOPE_DEBUG_PANIC=draw: deliberate panic while drawing");
                }
                view::draw(app, f)
            })?;
        }
    }
    Ok(())
}

fn handle_event(app: &mut App, ev: Event) -> bool {
    match ev {
        Event::Key(k) => match keys::action_for(&app.mode, &k) {
            Some(a) => app.update(a),
            None => false,
        },
        Event::Resize(w, h) => app.update(Action::Resize(w, h)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => app.update(Action::Click(m.column, m.row)),
            MouseEventKind::ScrollDown => app.update(Action::Wheel(m.column, m.row, 3)),
            MouseEventKind::ScrollUp => app.update(Action::Wheel(m.column, m.row, -3)),
            _ => false,
        },
        _ => false,
    }
}

/// Carries out an effect; the returned text is shown to the user.
fn perform(term: &mut terminal::Term, app: &App, effect: Effect) -> io::Result<Option<String>> {
    Ok(Some(match effect {
        Effect::Suspend => {
            terminal::suspend(term)?;
            return Ok(None);
        }
        Effect::Copy(text) => {
            let lines = text.lines().count();
            terminal::write_raw(&export::osc52(&text))?;
            format!(
                "sent {lines} lines to the clipboard via OSC 52 (credentials masked; needs terminal support)"
            )
        }
        Effect::Save { path, text } => match save(&path, &text, &app.opts.inputs) {
            Ok(()) => format!("saved the transcript to {}", path.display()),
            Err(e) => format!("not saved: {e}"),
        },
    }))
}

/// Writes `text` to a new file; refuses inputs and existing files (never overwrites).
pub fn save(path: &Path, text: &str, inputs: &[std::path::PathBuf]) -> Result<(), String> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    if let Some(target) = canon(path) {
        if inputs.iter().any(|i| canon(i).as_ref() == Some(&target)) {
            return Err(format!("{} is one of the logs being read", path.display()));
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => format!("{} already exists; choose another name", path.display()),
            _ => format!("{}: {e}", path.display()),
        })?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_decides_unicode_symbols() {
        let v = |s: &[Option<&str>]| s.iter().map(|x| x.map(str::to_owned)).collect::<Vec<_>>();
        assert!(utf8_locale(&v(&[None, None, Some("en_US.UTF-8")])));
        assert!(utf8_locale(&v(&[Some(""), Some("C.utf8"), Some("C")])));
        assert!(
            !utf8_locale(&v(&[Some("C"), None, Some("en_US.UTF-8")])),
            "LC_ALL wins"
        );
        assert!(!utf8_locale(&v(&[None, None, Some("de_DE.ISO-8859-1")])));
        assert!(!utf8_locale(&v(&[None, None, None])));
    }

    #[test]
    fn no_color_only_affects_auto() {
        use std::ffi::OsStr;
        assert!(use_color(ColorChoice::Auto, None));
        assert!(use_color(ColorChoice::Auto, Some(OsStr::new(""))));
        assert!(!use_color(ColorChoice::Auto, Some(OsStr::new("1"))));
        assert!(use_color(ColorChoice::Always, Some(OsStr::new("1"))));
        assert!(!use_color(ColorChoice::Never, None));
    }
}
