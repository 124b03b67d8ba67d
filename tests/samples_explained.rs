//! Every command and every reply code in every bundled sample gets an explanation: the
//! transcript pane never shows a code without saying what it means.
mod common;

use smtpscope::explain::event_note;
use smtpscope::load::{load_all, LoadOptions};
use smtpscope::model::EventKind;
use smtpscope::source;

#[test]
fn no_command_or_coded_reply_in_any_sample_is_left_unexplained() {
    let (inputs, _) = source::expand(&[common::sample("")]);
    let loaded = load_all(&inputs, &LoadOptions::default());
    assert!(loaded.sessions.len() > 10, "samples went missing");
    let mut checked = 0;
    for s in &loaded.sessions {
        for (i, ev) in s.events.iter().enumerate() {
            let needs_note = match ev.kind {
                EventKind::Command | EventKind::AuthData => true,
                EventKind::Reply => ev.code.is_some(),
                _ => false,
            };
            if !needs_note {
                continue;
            }
            checked += 1;
            let note = event_note(s, i).unwrap_or_default();
            assert!(
                !note.trim().is_empty(),
                "{}:{} ({}): no explanation for {:?}",
                s.source,
                ev.line,
                s.format,
                ev.text
            );
        }
    }
    assert!(checked > 100, "only {checked} events checked");
}
