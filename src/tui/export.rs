//! The selected session as plain text, for `y` (clipboard via OSC 52) and `s` (save).
//! Control characters are escaped here too: the text may end up pasted into a terminal.

use crate::model::Session;
use crate::sanitize::escape_controls;
use base64::Engine;

/// A header (status, peers, summary) and one line per event line: `time dir text`.
/// Credentials are masked unless `reveal`.
pub fn transcript_text(s: &Session, reveal: bool) -> String {
    let mut out = String::new();
    let code = s.decisive_code().map(|c| format!(" {c}")).unwrap_or_default();
    let header = format!(
        "# {} {}{} — {}\n# {} lines {}-{} ({}, id {})",
        crate::output::list::status_word(s.status()),
        s.verdict.outcome.as_str(),
        code,
        s.summary,
        s.source,
        s.first_line,
        s.last_line,
        s.format,
        s.id
    );
    for line in header.split('\n') {
        out.push_str(&escape_controls(line));
        out.push('\n');
    }
    for e in &s.events {
        let time = e.time.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
        let dir = match e.dir {
            crate::model::Direction::Client => "C>",
            crate::model::Direction::Server => "S<",
            crate::model::Direction::Info => "--",
        };
        for line in e.display_text(reveal).split('\n') {
            let line = escape_controls(line.trim_end_matches('\r'));
            out.push_str(&format!("{time} {dir} {line}\n"));
        }
    }
    out
}

/// The OSC 52 sequence that asks the terminal (also over SSH) to put `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{load_4d, EXTRA_4D, SAMPLE_4D};

    #[test]
    fn text_has_every_event_and_no_raw_escapes() {
        let s = &load_4d("extra.log", EXTRA_4D)[1];
        let t = transcript_text(s, false);
        assert!(t.contains("S< 220 relay.example.com ^[[31mESMTP"), "{t}");
        assert!(!t.contains('\x1b'));
        assert_eq!(t.lines().filter(|l| l.contains(" C> ")).count(), 1);
        let first = &load_4d("s.log", SAMPLE_4D)[0];
        assert!(transcript_text(first, false).contains("535 5.7.8 https://support.google.com"));
    }

    #[test]
    fn osc52_is_base64() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }
}
