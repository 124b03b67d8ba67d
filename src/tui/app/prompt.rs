//! The one-line prompts (search, filter, save): typing, inline validation, submitting.

use super::{App, Command, Effect, Mode, Prompt, PromptKind};
use crate::filter::Filter;
use std::path::PathBuf;

impl App {
    pub(super) fn open_prompt(&mut self, kind: PromptKind, input: String) {
        self.mode = Mode::Prompt(Prompt {
            kind,
            input,
            error: None,
        });
    }

    pub(super) fn type_char(&mut self, ch: char) {
        if let Mode::Prompt(p) = &mut self.mode {
            p.input.push(ch);
            self.validate_prompt();
        }
    }

    /// Keeps the inline error of a filter prompt current while the user types.
    pub(super) fn validate_prompt(&mut self) {
        if let Mode::Prompt(p) = &mut self.mode {
            p.error = match p.kind {
                PromptKind::Filter => Filter::parse(&p.input).err().map(|e| e.0),
                _ => None,
            };
        }
    }

    pub(super) fn prompt_command(&mut self, c: Command) {
        let Mode::Prompt(p) = &mut self.mode else { return };
        match c {
            Command::Cancel => self.mode = Mode::Normal,
            Command::DeleteBack => {
                p.input.pop();
                self.validate_prompt();
            }
            Command::ClearInput => {
                p.input.clear();
                self.validate_prompt();
            }
            Command::Submit => {
                let p = p.clone();
                self.submit(p);
            }
            _ => {}
        }
    }

    pub(super) fn submit(&mut self, p: Prompt) {
        match p.kind {
            PromptKind::Filter => match Filter::parse(&p.input) {
                Ok(f) => {
                    self.mode = Mode::Normal;
                    self.filter = Some(f).filter(|f| !f.is_empty());
                    self.refilter();
                    if self.order.is_empty() {
                        self.message = Some("no session matches the filter (c clears)".into());
                    }
                }
                Err(e) => {
                    self.mode = Mode::Prompt(Prompt {
                        error: Some(e.0),
                        ..p
                    })
                }
            },
            PromptKind::Search => {
                self.mode = Mode::Normal;
                let text = p.input.trim().to_lowercase();
                self.search_hit = None;
                if text.is_empty() {
                    self.search = None;
                } else {
                    self.search = Some(text);
                    self.first_match();
                }
            }
            PromptKind::Save => {
                self.mode = Mode::Normal;
                let name = p.input.trim();
                match self.selected_session() {
                    _ if name.is_empty() => self.message = Some("not saved: no file name given".into()),
                    None => self.message = Some("not saved: no session selected".into()),
                    Some(s) => {
                        let text = crate::tui::export::transcript_text(&s, self.opts.reveal);
                        self.effects.push(Effect::Save {
                            path: PathBuf::from(name),
                            text,
                        });
                    }
                }
            }
        }
    }
}
