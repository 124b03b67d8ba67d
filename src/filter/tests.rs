use super::*;
use crate::model::{EventKind, Status};
use crate::testdata::all_sessions;

fn now() -> (NaiveDateTime, NaiveDateTime) {
    let t = NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(11, 45, 0)
        .unwrap();
    (t, t)
}

/// Indexes of the test sessions the filter matches: 0 AUTH 535, 1 partial 550, 2 530 5.7.57,
/// 3 delivered (Japanese), 4 open.
fn hits(text: &str) -> Vec<usize> {
    let f = Filter::parse_at(text, now().0, now().1).unwrap_or_else(|e| panic!("{text}: {e}"));
    all_sessions()
        .iter()
        .enumerate()
        .filter(|(_, s)| f.matches(s))
        .map(|(i, _)| i)
        .collect()
}

fn error(text: &str) -> String {
    Filter::parse_at(text, now().0, now().1).unwrap_err().0
}

#[test]
fn fixture_statuses_are_what_the_tests_assume() {
    let st: Vec<Status> = all_sessions().iter().map(Session::status).collect();
    assert_eq!(
        st,
        [
            Status::Failure,
            Status::Partial,
            Status::Failure,
            Status::Success,
            Status::Open
        ]
    );
}

#[test]
fn codes_match_any_reply() {
    assert_eq!(hits("535"), [0]);
    assert_eq!(hits("5xx"), [0, 1, 2]);
    assert_eq!(hits("55x"), [1]);
    assert_eq!(hits("5.7.8"), [0]);
    assert_eq!(hits("5.7.*"), [0, 2]);
    assert_eq!(hits("5.*"), [0, 1, 2]);
    assert_eq!(hits("4xx,5xx"), [0, 1, 2]);
    // Every session but the open one has a 2xx reply somewhere; the open one has its greeting.
    assert_eq!(hits("!2xx"), Vec::<usize>::new());
    assert_eq!(hits("!5xx"), [3, 4]);
    assert_eq!(hits("354"), [1, 3]);
}

#[test]
fn status_words() {
    assert_eq!(hits("failed"), [0, 2]);
    assert_eq!(hits("FAIL"), [0, 2]);
    assert_eq!(hits("failure"), [0, 2]);
    assert_eq!(hits("ok"), [3]);
    assert_eq!(hits("success"), [3]);
    assert_eq!(hits("partial"), [1]);
    assert_eq!(hits("open"), [4]);
    assert_eq!(hits("failed,partial"), [0, 1, 2]);
}

#[test]
fn free_text_is_case_insensitive_over_peers_summary_and_events() {
    assert_eq!(hits("gmail.com"), [0]);
    assert_eq!(hits("GMAIL.com"), [0]);
    assert_eq!(hits("tester@"), [3]);
    assert_eq!(hits("invoices@example.org"), [1, 2]);
    assert_eq!(hits("受信者"), [3]);
    assert_eq!(hits("\"user unknown\""), [1]);
    assert_eq!(hits("5xx gmail.com"), [0]);
    assert_eq!(hits("5xx nothing-like-this"), Vec::<usize>::new());
    // An IP address is text, not a malformed enhanced code.
    assert_eq!(hits("203.0.113.77"), [0, 2]);
}

#[test]
fn credentials_are_not_searchable() {
    // The 4D log masks payloads itself; the filter must not see through our masking either.
    let mut s = all_sessions().remove(0);
    let i = s
        .events
        .iter()
        .position(|e| e.kind == EventKind::AuthData)
        .unwrap();
    s.events[i].text = "c2VjcmV0".into();
    s.events[i].secrets.push(0..8);
    let f = Filter::parse("c2vjcmv0").unwrap();
    assert!(!f.matches(&s));
}

#[test]
fn time_ranges() {
    assert_eq!(hits("since:2026-03-02T10:00"), [2, 3, 4]);
    assert_eq!(hits("until:09:30"), [0, 1]);
    assert_eq!(hits("since:09:15 until:11:00"), [1, 2]);
    assert_eq!(hits("since:-1h"), [3, 4]);
    assert_eq!(hits("since:-20m"), [4]);
    assert_eq!(hits("until:2026-03-02"), [0, 1, 2, 3, 4]);
    assert_eq!(hits("until:2026-03-01"), Vec::<usize>::new());
    assert_eq!(hits("since:2026-03-02T09:20 until:2026-03-02T10:30"), [1, 2]);
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    assert!(error("!").contains("negate"));
    assert!(error("since:").contains("need a time"));
    assert!(error("since:yesterday").contains("expected a time"));
    assert!(error("until:25:00").contains("expected a time"));
    assert!(error("until:11:00:00.5").contains("expected a time"));
    assert!(error("since:-5y").contains("expected a time"));
    assert!(error("since:-99999999999999999h").contains("expected a time"));
    assert!(error("6xx").contains("start with 2, 3, 4 or 5"));
    assert!(error("5.7.8.*").contains("5.7.8 or 5.7.*"));
    assert!(error("1.2.*").contains("start with 2, 4 or 5"));
    assert!(error("4xx,").contains("empty alternative"));
    assert!(error("\"open quote").contains("quote"));
    for junk in [
        "!!!", ",,", "\u{0}", "since:-", "until:T", "5.*.*.*", "x:y:z", "!,",
    ] {
        let _ = Filter::parse(junk);
    }
}

#[test]
fn empty_filter_matches_everything_and_and_combines() {
    assert_eq!(hits(""), [0, 1, 2, 3, 4]);
    assert!(Filter::parse("  ").unwrap().is_empty());
    let f = Filter::parse("5xx").unwrap().and(Filter::parse("gmail").unwrap());
    assert_eq!(f.text(), "5xx gmail");
    assert_eq!(all_sessions().iter().filter(|s| f.matches(s)).count(), 1);
}

#[test]
fn contains_ci_edges() {
    assert!(contains_ci("Hello World", "o w"));
    assert!(!contains_ci("Hell", "hello"));
    assert!(contains_ci("aaab", "aab"));
    assert!(contains_ci("ÄBC", "äb"));
    assert!(contains_ci("", ""));
}

#[test]
fn command_line_options_combine() {
    assert_eq!(Filter::from_options(None, None, None).unwrap(), None);
    let f = Filter::from_options(Some("5xx"), Some("2026-03-02 09:15"), Some("10:00"))
        .unwrap()
        .unwrap();
    assert_eq!(f.text(), "5xx since:2026-03-02T09:15 until:10:00");
    let n = all_sessions().iter().filter(|s| f.matches(s)).count();
    assert_eq!(n, 1);
    assert!(Filter::from_options(None, Some("soon"), None).is_err());
}
