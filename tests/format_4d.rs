//! Golden tests for the 4D SMTP log.
mod common;
use common::*;

#[test]
fn four_d_sessions_statuses_and_shapes() {
    let (sessions, report) = load("4d-smtp.log");
    assert_eq!(report.format, Some("4d"));
    let verdicts: Vec<String> = sessions.iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        ["failure 535 5.7.8", "partial 550 5.1.1", "failure 530 5.7.57"]
    );
    // Connect and implicit-TLS notes, greeting, EHLO, one grouped EHLO reply, AUTH, 334, masked payload, the
    // two-line 535 as one reply, QUIT, 221, close note.
    assert_eq!(directions(&sessions[0]), "IISCSCSCSCSI");
    assert_eq!(sessions[0].events[4].text.lines().count(), 8);
    assert_eq!(sessions[0].id, "12/31");
    assert_eq!(sessions[0].server.as_deref(), Some("smtp.gmail.com:465"));
    // The stray close fragment run into the last line belongs to no session.
    assert_eq!(report.unparsed_count, 1);
}
