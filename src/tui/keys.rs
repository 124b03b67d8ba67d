//! Every key binding, listed once with its help text. The key handler and the `?` overlay both
//! read [`BINDINGS`], so the help can never drift from what the keys do.

use super::app::{Action, Command, Mode};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, even while typing in a prompt.
    Global,
    /// The session list, the transcript and the help overlay.
    Normal,
    /// While typing a search, filter or file name.
    Prompt,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Anywhere",
            Context::Normal => "Viewer",
            Context::Prompt => "In a prompt",
        }
    }
}

/// One key (a code plus modifiers; Shift is implied by an upper-case letter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

/// A command, the keys that run it, and what it does (shown by `?`).
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub command: Command,
    pub help: &'static str,
    /// A word for the one-line hint at the bottom of the screen, for the most used keys.
    pub hint: Option<&'static str>,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    command: Command,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        keys,
        command,
        help,
        hint,
    }
}

use Context::{Global, Normal, Prompt};

/// The one table of key bindings.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(Normal, &[key('j'), code(KeyCode::Down)], Command::Down, "next session / scroll down", Some("move")),
    bind(Normal, &[key('k'), code(KeyCode::Up)], Command::Up, "previous session / scroll up", None),
    bind(Normal, &[code(KeyCode::PageDown), key(' ')], Command::PageDown, "one page down", None),
    bind(Normal, &[code(KeyCode::PageUp)], Command::PageUp, "one page up", None),
    bind(Normal, &[key('g'), code(KeyCode::Home)], Command::Top, "first session / top", None),
    bind(Normal, &[key('G'), code(KeyCode::End)], Command::Bottom, "last session / bottom", None),
    bind(Normal, &[key('F')], Command::Follow, "follow the newest session again (-f; any move pauses)", None),
    bind(Normal, &[code(KeyCode::Tab), code(KeyCode::BackTab)], Command::SwitchPane, "switch pane (list / transcript)", Some("pane")),
    bind(Normal, &[code(KeyCode::Enter)], Command::FocusTranscript, "open the transcript of the selected session", None),
    bind(Normal, &[key('d')], Command::Decisive, "show the reply that decided the status", Some("why")),
    bind(Normal, &[key('/')], Command::Search, "search text in sessions and transcripts", Some("search")),
    bind(Normal, &[key('n')], Command::NextMatch, "next search match", None),
    bind(Normal, &[key('N')], Command::PrevMatch, "previous search match", None),
    bind(Normal, &[key('f')], Command::Filter, "filter sessions (5xx, 5.7.*, failed, gmail.com, since:-1h, ...)", Some("filter")),
    bind(Normal, &[key('x')], Command::ToggleFailed, "only sessions with a problem (FAIL, PART) on/off", Some("failed")),
    bind(Normal, &[key('c')], Command::Clear, "clear filter, failed-only and search", None),
    bind(Normal, &[key('e')], Command::ToggleExplain, "explanations under commands and replies on/off", Some("notes")),
    bind(Normal, &[key('y')], Command::Copy, "copy the transcript to the clipboard (OSC 52, credentials masked)", None),
    bind(Normal, &[key('s')], Command::Save, "save the transcript to a new file", None),
    bind(Normal, &[key('u')], Command::Unparsed, "lines of the current file no format rule understood on/off", None),
    bind(Normal, &[key('?'), code(KeyCode::F(1))], Command::Help, "this help on/off", Some("help")),
    bind(Normal, &[key('q'), code(KeyCode::Esc)], Command::Quit, "quit (closes the help first)", Some("quit")),
    bind(Global, &[ctrl('c')], Command::ForceQuit, "quit at once", None),
    bind(Global, &[ctrl('z')], Command::Suspend, "suspend to the shell (resume with fg)", None),
    bind(Prompt, &[code(KeyCode::Enter)], Command::Submit, "apply", None),
    bind(Prompt, &[code(KeyCode::Esc)], Command::Cancel, "cancel", None),
    bind(Prompt, &[code(KeyCode::Backspace)], Command::DeleteBack, "delete the last character", None),
    bind(Prompt, &[ctrl('u')], Command::ClearInput, "clear the input", None),
];

impl Key {
    fn matches(&self, ev: &KeyEvent) -> bool {
        let mut mods = ev.modifiers;
        if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        let want = match (self.code, ev.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) if self.mods.contains(KeyModifiers::CONTROL) => {
                a.eq_ignore_ascii_case(&b)
            }
            (a, b) => a == b,
        };
        want && mods == self.mods
    }

    /// How the key is written in the help: `j`, `Down`, `PgDn`, `Ctrl-C`.
    pub fn name(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Down => "Down".into(),
            KeyCode::Up => "Up".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

impl Binding {
    /// All of the binding's keys, e.g. `j Down`.
    pub fn label(&self) -> String {
        self.keys.iter().map(Key::name).collect::<Vec<_>>().join(" ")
    }
}

/// The binding table as Markdown, as the README's "Viewer" section shows it (a test keeps
/// the two identical).
pub fn markdown_table() -> String {
    let mut out = String::from("| keys | where | what it does |\n|---|---|---|\n");
    for b in BINDINGS {
        let keys: Vec<String> = b.keys.iter().map(|k| format!("`{}`", k.name())).collect();
        let ctx = b.context.title().to_lowercase();
        out.push_str(&format!("| {} | {ctx} | {} |\n", keys.join(" "), b.help));
    }
    out
}

/// The command bound to `ev` in `context`, if any.
pub fn lookup(context: Context, ev: &KeyEvent) -> Option<Command> {
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.command)
}

/// Turns a key press into an action for the current mode; `None` for keys that do nothing.
pub fn action_for(mode: &Mode, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    if let Some(c) = lookup(Global, ev) {
        return Some(Action::Run(c));
    }
    match mode {
        Mode::Prompt(_) => {
            if let Some(c) = lookup(Prompt, ev) {
                return Some(Action::Run(c));
            }
            match ev.code {
                KeyCode::Char(c) if !ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                    Some(Action::Type(c))
                }
                _ => None,
            }
        }
        Mode::Normal | Mode::Help | Mode::Unparsed => lookup(Normal, ev).map(Action::Run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn every_command_in_the_table_has_keys_and_help() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty() && !b.help.is_empty(), "{:?}", b.command);
        }
    }

    #[test]
    fn keys_map_to_commands_by_mode() {
        let n = &Mode::Normal;
        let g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(action_for(n, &g), Some(Action::Run(Command::Bottom)));
        let cc = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(n, &cc), Some(Action::Run(Command::ForceQuit)));
        let c = press(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(action_for(n, &c), Some(Action::Run(Command::Clear)));
        let prompt = &Mode::Prompt(Default::default());
        assert_eq!(action_for(prompt, &c), Some(Action::Type('c')));
        assert_eq!(action_for(prompt, &cc), Some(Action::Run(Command::ForceQuit)));
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(action_for(prompt, &q), Some(Action::Type('q')));
        let esc = press(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(action_for(prompt, &esc), Some(Action::Run(Command::Cancel)));
        assert_eq!(action_for(n, &press(KeyCode::F(9), KeyModifiers::NONE)), None);
    }

    #[test]
    fn readme_lists_exactly_these_keys() {
        let readme = include_str!("../../README.md");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README's key table is out of date; it should be:\n{table}"
        );
    }

    #[test]
    fn names_for_help() {
        assert_eq!(ctrl('z').name(), "Ctrl-Z");
        assert_eq!(BINDINGS[0].label(), "j Down");
    }
}
