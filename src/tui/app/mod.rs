//! The viewer's whole state and the one place it changes: [`App::update`]. Keys, loader
//! updates and resizes all arrive as [`Action`]s, so every behaviour is testable without a
//! terminal. Side effects (clipboard, files, suspending) leave as [`Effect`]s for the loop.

mod data;
pub mod live;
mod nav;
mod prompt;
mod search;
mod store;

use super::view::{layout, transcript};
use crate::feed::Update;
use crate::filter::Filter;
use crate::model::{RowArena, Session, SessionRow, Status};
use crate::reread::Reread;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// What a key can ask for; bound to keys in `keys::BINDINGS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    SwitchPane,
    FocusTranscript,
    Decisive,
    Search,
    NextMatch,
    PrevMatch,
    Filter,
    ToggleFailed,
    Clear,
    ToggleExplain,
    Copy,
    Save,
    Unparsed,
    Help,
    Follow,
    Quit,
    ForceQuit,
    Suspend,
    Submit,
    Cancel,
    DeleteBack,
    ClearInput,
}

/// Everything that can change the state.
#[derive(Debug)]
pub enum Action {
    Run(Command),
    /// A character typed into the open prompt.
    Type(char),
    /// Updates from the loader (or a live tail), applied as one batch.
    Feed(Vec<Update>),
    Resize(u16, u16),
    /// The result of an [`Effect`], shown in the message line.
    Notice(String),
    /// A left click at (column, row): selects the list row, or focuses the pane.
    Click(u16, u16),
    /// The mouse wheel at (column, row): rows to move (negative: up).
    Wheel(u16, u16, i8),
}

impl PartialEq for Action {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Action::Run(a), Action::Run(b)) => a == b,
            (Action::Type(a), Action::Type(b)) => a == b,
            (Action::Resize(a, b), Action::Resize(c, d)) => (a, b) == (c, d),
            (Action::Notice(a), Action::Notice(b)) => a == b,
            (Action::Click(a, b), Action::Click(c, d)) => (a, b) == (c, d),
            (Action::Wheel(a, b, x), Action::Wheel(c, d, y)) => (a, b, x) == (c, d, y),
            _ => false,
        }
    }
}

/// Work the event loop does on the state's behalf.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Write text to a new file (never overwrite, never an input).
    Save {
        path: PathBuf,
        text: String,
    },
    Suspend,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    List,
    Transcript,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PromptKind {
    #[default]
    Search,
    Filter,
    Save,
}

/// A one-line text prompt at the bottom of the screen.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    /// Shown inline (e.g. an invalid filter); the prompt stays open.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    Help,
    /// The unparsed lines of the current source, as an overlay (scrolls like the help).
    Unparsed,
    Prompt(Prompt),
}

/// How the viewer was asked to look and behave.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// ASCII symbols instead of Unicode (non-UTF-8 terminals).
    pub ascii: bool,
    /// Colours; without them bold/reverse/underline carry the meaning.
    pub color: bool,
    /// Show credentials instead of masking them.
    pub reveal: bool,
    /// Files being read: `s` refuses to write to any of them.
    pub inputs: Vec<PathBuf>,
    /// A live tail (`-f`): follow new sessions, show LIVE/PAUSED and the read rate.
    pub live: bool,
}

/// What the status bar says about one source.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceInfo {
    pub name: String,
    pub format: Option<&'static str>,
    pub unparsed: u64,
    pub bytes_read: u64,
    pub bytes_total: Option<u64>,
    /// The first unparsed lines (number, text) for the `u` view; `unparsed` counts them all.
    pub unparsed_lines: Vec<(u64, String)>,
}

use store::Chunked;
pub use store::Entry;

/// A session as the viewer holds it: whole, or (a big file's final sessions) as a compact row
/// read back from its file when shown.
enum Body {
    Whole(Box<Session>),
    Row(SessionRow),
}

/// A session to show: borrowed when whole, read back (and cached) when compact.
pub enum Shown<'a> {
    Whole(&'a Session),
    ReadBack(Rc<Session>),
}

impl std::ops::Deref for Shown<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        match self {
            Shown::Whole(s) => s,
            Shown::ReadBack(s) => s,
        }
    }
}

/// A session's address in the feed: (source, index).
type EntryKey = (usize, usize);

/// How many sessions read back from files are kept: a screen of them, and then some.
const READ_BACK_CACHE: usize = 256;

/// The viewer state.
pub struct App {
    pub opts: Options,
    entries: Chunked<Entry>,
    /// Ids, replies and lines of the compact rows.
    arena: RowArena,
    /// Per source: how its compact rows are read back.
    rereads: HashMap<usize, Arc<Reread>>,
    /// For a text filter over compact rows: per (source, word), the lines of the file holding
    /// the word, and up to which line the file was searched.
    text_hits: HashMap<(usize, String), (Vec<u64>, u64)>,
    /// Sessions read back recently, newest last.
    read_back: RefCell<VecDeque<(EntryKey, Rc<Session>)>>,
    /// Per source, per session index: the entry's position + 1 (0: not seen yet). Dense,
    /// since indices count up from 0: four bytes a session instead of a hash entry; chunked,
    /// so growing never holds an old copy next to the new.
    by_key: Vec<Chunked<u32>>,
    /// Entries shown, in display order (start time, else source and position).
    order: Vec<u32>,
    /// `order` needs a full rebuild before it is shown (see `data::place`).
    order_dirty: bool,
    /// The user pressed a key or used the mouse: the selection is theirs to keep.
    touched: bool,
    selected: Option<(usize, usize)>,
    sel_pos: usize,
    pub list_offset: usize,
    pub pane: Pane,
    pub scroll: usize,
    pub explain: bool,
    pub failed_only: bool,
    pub filter: Option<Filter>,
    /// Lowercase search text.
    pub search: Option<String>,
    /// The event of the current search match in the selected session.
    pub search_hit: Option<usize>,
    pub mode: Mode,
    pub help_scroll: usize,
    pub sources: Vec<SourceInfo>,
    pub problems: Vec<String>,
    pub done: bool,
    pub message: Option<String>,
    pub size: (u16, u16),
    pub quit: bool,
    /// The shown sessions start on more than one day: the list shows dates too.
    pub multi_day: bool,
    counts: [usize; 4],
    effects: Vec<Effect>,
    /// Live-tail state; `None` when the inputs are read once.
    pub live: Option<live::Live>,
    /// When the current (or last) action was handled: the status bar's rate is as of then.
    pub now: Instant,
    /// A fixed clock for tests.
    fixed_now: Option<Instant>,
}

fn status_slot(s: Status) -> usize {
    match s {
        Status::Success => 0,
        Status::Failure => 1,
        Status::Partial => 2,
        Status::Open => 3,
    }
}

impl App {
    pub fn new(opts: Options, filter: Option<Filter>) -> App {
        App {
            live: opts.live.then(live::Live::new),
            now: Instant::now(),
            fixed_now: None,
            opts,
            entries: Chunked::default(),
            arena: RowArena::new(),
            rereads: HashMap::new(),
            text_hits: HashMap::new(),
            read_back: RefCell::new(VecDeque::new()),
            by_key: Vec::new(),
            order: Vec::new(),
            order_dirty: false,
            touched: false,
            selected: None,
            sel_pos: 0,
            list_offset: 0,
            pane: Pane::List,
            scroll: 0,
            explain: true,
            failed_only: false,
            filter: filter.filter(|f| !f.is_empty()),
            search: None,
            search_hit: None,
            mode: Mode::Normal,
            help_scroll: 0,
            sources: Vec::new(),
            problems: Vec::new(),
            done: false,
            message: None,
            size: (80, 24),
            quit: false,
            multi_day: false,
            counts: [0; 4],
            effects: Vec::new(),
        }
    }

    /// The sessions shown, in order.
    pub fn visible(&self) -> impl ExactSizeIterator<Item = Shown<'_>> + '_ {
        self.order.iter().map(|&i| self.shown(&self.entries[i]))
    }

    /// The shown session at list position `pos`.
    pub fn visible_at(&self, pos: usize) -> Option<Shown<'_>> {
        self.order.get(pos).map(|&i| self.shown(&self.entries[i]))
    }

    /// Where the entry of `key` is, if it arrived.
    fn entry_at(&self, (source, index): (usize, usize)) -> Option<usize> {
        let slot = *self.by_key.get(source)?.get(index)?;
        (slot > 0).then(|| slot as usize - 1)
    }

    fn set_entry_at(&mut self, (source, index): (usize, usize), at: usize) {
        if self.by_key.len() <= source {
            self.by_key.resize_with(source + 1, Chunked::default);
        }
        let slots = &mut self.by_key[source];
        // Indices count up from 0 as sessions appear, so this fills a few slots at most.
        while slots.len() <= index {
            slots.push(0);
        }
        slots[index] = u32::try_from(at + 1).unwrap_or(u32::MAX);
    }

    /// True when the shown session at `pos` is a compact row (showing it reads the file).
    fn is_compact(&self, pos: usize) -> bool {
        self.order
            .get(pos)
            .is_some_and(|&i| matches!(self.entries[i].body, Body::Row(_)))
    }

    /// The entry's session, read back from its file (through the cache) when compact.
    fn shown<'a>(&'a self, e: &'a Entry) -> Shown<'a> {
        match &e.body {
            Body::Whole(s) => Shown::Whole(s),
            Body::Row(row) => Shown::ReadBack(self.read_back(e.key(), row)),
        }
    }

    fn read_back(&self, key: (usize, usize), row: &SessionRow) -> Rc<Session> {
        let mut cache = self.read_back.borrow_mut();
        if let Some(at) = cache.iter().position(|(k, _)| *k == key) {
            let hit = cache.remove(at).expect("position is in range");
            let s = hit.1.clone();
            cache.push_back(hit);
            return s;
        }
        let s = Rc::new(match self.rereads.get(&key.0) {
            Some(r) => r.session(row, &self.arena),
            None => Session::new(Arc::from("?"), "?", String::new(), row.first_line),
        });
        if cache.len() >= READ_BACK_CACHE {
            cache.pop_front();
        }
        cache.push_back((key, s.clone()));
        s
    }

    pub fn visible_len(&self) -> usize {
        self.order.len()
    }

    pub fn total(&self) -> usize {
        self.entries.len()
    }

    /// Sessions per status over everything loaded: OK, FAIL, PART, OPEN.
    pub fn counts(&self) -> [usize; 4] {
        self.counts
    }

    /// The selected session's list position, when something is selected.
    pub fn selected_pos(&self) -> Option<usize> {
        self.selected.map(|_| self.sel_pos)
    }

    pub fn selected_session(&self) -> Option<Shown<'_>> {
        self.selected
            .and_then(|k| self.entries.get(self.entry_at(k)?))
            .map(|e| self.shown(e))
    }

    /// Side effects requested since the last call, for the event loop to carry out.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Applies one action. Returns true when something visible may have changed.
    pub fn update(&mut self, action: Action) -> bool {
        self.now = self.clock();
        if matches!(
            action,
            Action::Run(_) | Action::Type(_) | Action::Click(..) | Action::Wheel(..)
        ) {
            self.touched = true;
        }
        match action {
            Action::Run(c) => self.run(c),
            Action::Type(ch) => self.type_char(ch),
            Action::Feed(updates) => self.feed(updates),
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.clamp_view();
            }
            Action::Notice(m) => self.message = Some(m),
            Action::Click(x, y) => self.click(x, y),
            Action::Wheel(x, y, delta) => {
                if self.mode == Mode::Normal {
                    if let Some(pane) = self.pane_at(x, y) {
                        self.pause();
                        self.pane = pane;
                        self.move_by(isize::from(delta));
                    }
                }
            }
        }
        true
    }

    fn run(&mut self, c: Command) {
        if !matches!(c, Command::Suspend) {
            self.message = None;
        }
        match c {
            Command::ForceQuit => self.quit = true,
            Command::Suspend => self.effects.push(Effect::Suspend),
            Command::Submit | Command::Cancel | Command::DeleteBack | Command::ClearInput => {
                self.prompt_command(c)
            }
            _ if matches!(self.mode, Mode::Help | Mode::Unparsed) => self.help_command(c),
            _ => self.normal_command(c),
        }
    }

    fn help_command(&mut self, c: Command) {
        match c {
            Command::Help if self.mode == Mode::Unparsed => self.open_overlay(Mode::Help),
            Command::Unparsed if self.mode == Mode::Help => self.open_overlay(Mode::Unparsed),
            Command::Help | Command::Unparsed | Command::Quit => self.mode = Mode::Normal,
            Command::Down => self.help_scroll += 1,
            Command::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
            Command::PageDown => self.help_scroll += 10,
            Command::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
            Command::Top => self.help_scroll = 0,
            Command::Bottom => self.help_scroll = usize::MAX,
            _ => {}
        }
        let max = match self.mode {
            Mode::Unparsed => super::view::unparsed::max_scroll(self),
            _ => super::view::help::max_scroll(self.size),
        };
        self.help_scroll = self.help_scroll.min(max);
    }

    /// Shows the help or unparsed-lines overlay from its top.
    fn open_overlay(&mut self, mode: Mode) {
        self.mode = mode;
        self.help_scroll = 0;
    }

    /// The source the unparsed view shows: the selected session's, else the first one.
    pub fn current_source(&self) -> Option<&SourceInfo> {
        let n = self.selected.map_or(0, |(source, _)| source);
        self.sources.get(n).or(self.sources.first())
    }

    fn normal_command(&mut self, c: Command) {
        self.pause_if_moving(c);
        match c {
            Command::Down => self.move_by(1),
            Command::Up => self.move_by(-1),
            Command::PageDown => self.move_by(self.page() as isize),
            Command::PageUp => self.move_by(-(self.page() as isize)),
            Command::Top => self.move_by(isize::MIN),
            Command::Bottom => self.move_by(isize::MAX),
            Command::SwitchPane => {
                self.pane = match self.pane {
                    Pane::List => Pane::Transcript,
                    Pane::Transcript => Pane::List,
                }
            }
            Command::FocusTranscript => self.pane = Pane::Transcript,
            Command::Decisive => self.show_decisive(),
            Command::Search => self.open_prompt(PromptKind::Search, self.search.clone().unwrap_or_default()),
            Command::Filter => {
                let text = self
                    .filter
                    .as_ref()
                    .map(|f| f.text().to_owned())
                    .unwrap_or_default();
                self.open_prompt(PromptKind::Filter, text)
            }
            Command::Save => self.open_prompt(PromptKind::Save, String::new()),
            Command::NextMatch => self.next_match(true),
            Command::PrevMatch => self.next_match(false),
            Command::ToggleFailed => {
                self.failed_only = !self.failed_only;
                self.refilter();
            }
            Command::Clear => {
                self.failed_only = false;
                self.filter = None;
                self.search = None;
                self.search_hit = None;
                self.refilter();
            }
            Command::ToggleExplain => {
                self.explain = !self.explain;
                self.clamp_view();
            }
            Command::Copy => match self.selected_session() {
                Some(s) => self
                    .effects
                    .push(Effect::Copy(super::export::transcript_text(&s, false))),
                None => self.message = Some("nothing to copy: no session selected".into()),
            },
            Command::Help => self.open_overlay(Mode::Help),
            Command::Unparsed => self.open_overlay(Mode::Unparsed),
            Command::Follow => self.resume(),
            Command::Quit => self.quit = true,
            _ => {}
        }
    }

    /// Tests: handle every following action at time `t`.
    #[cfg(test)]
    pub(crate) fn set_clock(&mut self, t: Instant) {
        self.fixed_now = Some(t);
    }
}

#[cfg(test)]
mod tests;
