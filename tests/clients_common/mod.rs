//! Helpers shared by the client-transcript golden tests.
#![allow(dead_code)]

use crate::common::load;
use smtpscope::model::{EventKind, Session};
use smtpscope::output::json::session_json;

/// Loads a sample, checks its format and that every line was understood.
pub fn load_clean(name: &str, format: &str) -> Vec<Session> {
    let (sessions, report) = load(name);
    assert_eq!(report.format, Some(format), "{name}");
    assert_eq!(report.unparsed_count, 0, "{name}: {:?}", report.unparsed);
    sessions
}

/// No credential in `secrets` appears in the masked JSON of any session; the first one does
/// when secrets are revealed (so the test looks at the right text).
pub fn assert_masked(sessions: &[Session], secrets: &[&str]) {
    for s in sessions {
        let masked = session_json(s, false);
        for secret in secrets {
            assert!(!masked.contains(secret), "{secret} leaked in {masked}");
        }
    }
    let revealed: String = sessions.iter().map(|s| session_json(s, true)).collect();
    assert!(revealed.contains(secrets[0]), "{} not in the log?", secrets[0]);
}

pub fn count(s: &Session, kind: EventKind) -> usize {
    s.events.iter().filter(|e| e.kind == kind).count()
}
