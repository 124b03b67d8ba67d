//! PHPMailer's SMTP debug output (`SMTPDebug` 1–4) in every output mode — `echo` (stamp + TAB,
//! indented continuation lines), `html` (stamp + space, entities, run-on replies, `<br>`),
//! `error_log`, callables — and as WordPress plugins store it (WP Mail SMTP debug events, Post
//! SMTP session transcripts whose messages run together), plus the pre-5.2.7 wording.

mod dialogue;
mod entry;
mod parser;
mod text;

use super::{Format, InputLine, LineParser};

pub struct PhpMailer;

impl Format for PhpMailer {
    fn name(&self) -> &'static str {
        "phpmailer"
    }
    fn description(&self) -> &'static str {
        "PHPMailer SMTP debug output (SMTPDebug 1-4; echo, html, error_log or callable), also as stored by WP Mail SMTP debug events and Post SMTP transcripts"
    }
    fn how_to_enable(&self) -> &'static str {
        "$mail->SMTPDebug = SMTP::DEBUG_SERVER; (DEBUG_CONNECTION adds connection lines, DEBUG_LOWLEVEL every line read, credentials unmasked) and $mail->Debugoutput = 'echo' | 'html' | 'error_log' | a callable; WP Mail SMTP: turn on Tools > Debug Events (a failed send keeps its debug output there) or use Tools > Email Test; Post SMTP: the email log's session transcript"
    }
    fn detect(&self, line: &InputLine<'_>) -> bool {
        match text::escaped_lines(line.text) {
            Some(lines) => lines.iter().any(|l| is_own_line(l)),
            None => is_own_line(line.text),
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(parser::Parser::default())
    }
}

/// One line carries a PHPMailer signature (after html cleaning and the stamp).
fn is_own_line(line: &str) -> bool {
    let cleaned = text::clean(line, false);
    let t: &str = &cleaned.text;
    let rest = match text::split_monolog(t) {
        Some((_, msg)) => msg,
        None => text::strip_level(text::split_stamp(t).map_or(t, |(_, r)| r)),
    }
    .trim();
    entry::is_signature(rest) || rest == "Debug Output:" || parser::POST_SMTP_URI.is_match(rest)
}

#[cfg(test)]
mod tests;
