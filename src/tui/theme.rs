//! Colours, symbols and text attributes in one place. Every meaning has a word or symbol as
//! well as a colour, and the monochrome palette uses bold/reverse/underline instead, so
//! nothing depends on colour alone. Colours are from the 16-colour set every terminal has.

use crate::model::{Direction, Event, EventKind, Status};
use ratatui::style::{Color, Modifier, Style};

/// How to draw: with or without colour, Unicode or ASCII symbols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
}

impl Theme {
    /// The status badge: symbol, word, style. `✔ OK`, `✘ FAIL`, `◐ PART`, `… OPEN`.
    pub fn badge(&self, s: Status) -> (&'static str, &'static str, Style) {
        let (uni, asc, word, color, mono) = match s {
            Status::Success => ("✔", "+", "OK", Color::Green, Modifier::empty()),
            Status::Failure => ("✘", "x", "FAIL", Color::Red, Modifier::BOLD | Modifier::REVERSED),
            Status::Partial => (
                "◐",
                "~",
                "PART",
                Color::Yellow,
                Modifier::BOLD | Modifier::UNDERLINED,
            ),
            Status::Open => ("…", ".", "OPEN", Color::Cyan, Modifier::ITALIC),
        };
        let style = if self.color {
            Style::new().fg(color).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(mono)
        };
        (if self.ascii { asc } else { uni }, word, style)
    }

    /// `C>`, `S<`, `--`: who is speaking.
    pub fn marker(&self, d: Direction) -> &'static str {
        match d {
            Direction::Client => "C>",
            Direction::Server => "S<",
            Direction::Info => "--",
        }
    }

    /// The style of an event's text: client, server, info distinct; 4xx/5xx stand out.
    pub fn event(&self, e: &Event) -> Style {
        let code = e.code.map(|c| c.basic).filter(|_| e.kind == EventKind::Reply);
        if self.color {
            match (e.dir, code) {
                (_, Some(c)) if c >= 500 => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                (_, Some(c)) if c >= 400 => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                (Direction::Client, _) => Style::new().fg(Color::Cyan),
                (Direction::Server, _) => Style::new().fg(Color::Green),
                (Direction::Info, _) => Style::new().fg(Color::Magenta),
            }
        } else {
            match (e.dir, code) {
                (_, Some(c)) if c >= 400 => Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                (Direction::Client, _) => Style::new().add_modifier(Modifier::BOLD),
                (Direction::Server, _) => Style::new(),
                (Direction::Info, _) => Style::new().add_modifier(Modifier::ITALIC),
            }
        }
    }

    pub fn explanation(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::ITALIC);
        if self.color {
            s.fg(Color::Gray).add_modifier(Modifier::DIM)
        } else {
            s.add_modifier(Modifier::DIM)
        }
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// A search match.
    pub fn highlight(&self) -> Style {
        if self.color {
            Style::new().bg(Color::Yellow).fg(Color::Black)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED)
        }
    }

    /// The selected list row (reverse video reads in every palette).
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.dim(),
        }
    }

    pub fn status_bar(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn error(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    /// Marks a row that continues a wrapped line.
    pub fn wrap_mark(&self) -> &'static str {
        if self.ascii {
            "+ "
        } else {
            "↪ "
        }
    }

    /// Marks a cut-off cell (lists truncate; transcripts wrap).
    pub fn ellipsis(&self) -> &'static str {
        if self.ascii {
            ">"
        } else {
            "…"
        }
    }

    pub fn note_mark(&self) -> &'static str {
        if self.ascii {
            "# "
        } else {
            "» "
        }
    }

    pub fn arrow(&self) -> &'static str {
        if self.ascii {
            "->"
        } else {
            "→"
        }
    }

    /// Separates fields on one line.
    pub fn sep(&self) -> &'static str {
        if self.ascii {
            " | "
        } else {
            " │ "
        }
    }

    pub fn dot(&self) -> &'static str {
        if self.ascii {
            " - "
        } else {
            " · "
        }
    }

    pub fn rule(&self) -> &'static str {
        if self.ascii {
            "-"
        } else {
            "─"
        }
    }

    /// Pane borders: box drawing, or `+-|` on ASCII terminals.
    pub fn borders(&self) -> ratatui::symbols::border::Set {
        if self.ascii {
            ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            ratatui::symbols::border::PLAIN
        }
    }

    /// A bordered block in this theme.
    pub fn block(&self, focused: bool) -> ratatui::widgets::Block<'static> {
        ratatui::widgets::Block::default()
            .borders(ratatui::widgets::Borders::ALL)
            .border_set(self.borders())
            .border_style(self.border(focused))
    }

    pub fn selection_mark(&self) -> &'static str {
        if self.ascii {
            "*"
        } else {
            "▶"
        }
    }
}
