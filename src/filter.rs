//! The filter language shared by the viewer's `f` prompt and the `--filter` option: a few
//! words that pick sessions by reply code, status, time or text. Parsing never panics; bad
//! input is an error message saying which word is wrong and what was expected.
//!
//! Words separated by spaces must all match (AND); `a,b` matches either (OR); a leading `!`
//! negates a word. A code word (`5xx`, `535`, `5.7.8`, `5.7.*`) matches a session when ANY
//! reply in it carries that code, not only the decisive one: searching `535` finds a failed
//! login the client later recovered from. `!2xx` therefore means "no 2xx reply at all".

use crate::model::{Enhanced, Event, Session, Status, Timestamp};
use chrono::{Duration, Local, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use std::fmt;

/// A parsed filter: every term must match.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    terms: Vec<Term>,
    source: String,
}

/// Why filter text could not be parsed; shown inline in the prompt and by `--filter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

#[derive(Clone, Debug, PartialEq)]
enum Term {
    Not(Box<Term>),
    Any(Vec<Term>),
    Basic(CodePattern),
    Enhanced(EnhancedPattern),
    Status(Status),
    /// Lowercase text searched case-insensitively.
    Text(String),
    Since(Bound),
    Until(Bound),
}

/// A basic reply code where `None` digits are wildcards (`5xx` = `[Some(5), None, None]`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct CodePattern([Option<u8>; 3]);

/// An enhanced code where `None` parts are wildcards (`5.7.*`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct EnhancedPattern {
    class: u8,
    subject: Option<u16>,
    detail: Option<u16>,
}

/// A point a session is compared with.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bound {
    /// A date and time as written (compared with the log's wall clock).
    At(NaiveDateTime),
    /// A time of day without a date: compared with each session's time of day, so it also
    /// works for logs that record no date.
    Clock(NaiveTime),
    /// Relative to when the filter was parsed (`-1h`): local wall clock and UTC instant, so
    /// sessions with and without a stated offset compare correctly.
    Instant {
        local: NaiveDateTime,
        utc: NaiveDateTime,
    },
}

impl Filter {
    /// Parses filter text; "now" (for `since:-1h`) is the current local time.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        Filter::parse_at(text, Local::now().naive_local(), Utc::now().naive_utc())
    }

    /// Parses filter text with an explicit "now" (local wall clock and UTC), for tests.
    pub fn parse_at(
        text: &str,
        now_local: NaiveDateTime,
        now_utc: NaiveDateTime,
    ) -> Result<Filter, FilterError> {
        let now = (now_local, now_utc);
        let mut terms = Vec::new();
        for word in split_words(text)? {
            terms.push(parse_word(&word, now)?);
        }
        Ok(Filter {
            terms,
            source: text.trim().to_owned(),
        })
    }

    /// `--filter`, `--since` and `--until` as one filter (all must match); `None` when empty.
    /// A space in a time (`2026-03-02 10:00`) is read as the `T` of ISO 8601.
    pub fn from_options(
        filter: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Option<Filter>, FilterError> {
        let mut text = filter.unwrap_or_default().to_owned();
        for (key, value) in [("since", since), ("until", until)] {
            if let Some(v) = value {
                text.push_str(&format!(" {key}:{}", v.trim().replace(' ', "T")));
            }
        }
        let f = Filter::parse(&text)?;
        Ok((!f.is_empty()).then_some(f))
    }

    /// True when the filter has no terms (matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The text the filter was parsed from, for the status bar.
    pub fn text(&self) -> &str {
        &self.source
    }

    /// Adds the terms of `other` (both must match).
    pub fn and(mut self, other: Filter) -> Filter {
        if !other.source.is_empty() {
            if !self.source.is_empty() {
                self.source.push(' ');
            }
            self.source.push_str(&other.source);
        }
        self.terms.extend(other.terms);
        self
    }

    /// True when `session` satisfies every term. Does not allocate for ASCII text terms.
    pub fn matches(&self, session: &Session) -> bool {
        self.matches_any(session)
    }

    /// The lowercase text words of the filter (inside `!` and `,` too).
    pub fn text_terms(&self) -> Vec<&str> {
        fn walk<'a>(t: &'a Term, out: &mut Vec<&'a str>) {
            match t {
                Term::Text(s) => out.push(s),
                Term::Not(t) => walk(t, out),
                Term::Any(ts) => ts.iter().for_each(|t| walk(t, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        self.terms.iter().for_each(|t| walk(t, &mut out));
        out
    }

    /// As [`Filter::matches`], for anything that can answer the questions a filter asks (a
    /// whole session, or a compact row that reads its text back only when a term needs it).
    pub fn matches_any(&self, item: &dyn Filterable) -> bool {
        self.terms.iter().all(|t| t.matches(item))
    }
}

/// What a filter asks of a session.
pub trait Filterable {
    fn status(&self) -> Status;
    fn start(&self) -> Option<Timestamp>;
    fn end(&self) -> Option<Timestamp>;
    /// True when `each` is true for some reply code of the session.
    fn any_reply(&self, each: &mut dyn FnMut(crate::model::ReplyCode) -> bool) -> bool;
    /// Whether some reply code starts with the digit `class`, when the answer is at hand
    /// without looking at every reply (a compact row keeps it for 4 and 5); else `None`.
    fn has_reply_class(&self, _class: u8) -> Option<bool> {
        None
    }
    /// See [`session_contains`]; `needle` is lowercase.
    fn contains_text(&self, needle: &str) -> bool;
}

impl Filterable for Session {
    fn status(&self) -> Status {
        Session::status(self)
    }
    fn start(&self) -> Option<Timestamp> {
        self.start
    }
    fn end(&self) -> Option<Timestamp> {
        self.end
    }
    fn any_reply(&self, each: &mut dyn FnMut(crate::model::ReplyCode) -> bool) -> bool {
        self.reply_codes().any(each)
    }
    fn contains_text(&self, needle: &str) -> bool {
        session_contains(self, needle)
    }
}

impl Term {
    fn matches(&self, s: &dyn Filterable) -> bool {
        match self {
            Term::Not(t) => !t.matches(s),
            Term::Any(ts) => ts.iter().any(|t| t.matches(s)),
            Term::Basic(p) => {
                // `5xx` over a million rows: answered from the rows' bits, not their codes.
                if let Some(known) = p.0[0].and_then(|class| s.has_reply_class(class)) {
                    if !known {
                        return false;
                    }
                    if p.0[1..].iter().all(Option::is_none) {
                        return true;
                    }
                }
                s.any_reply(&mut |c| p.matches(c.basic))
            }
            Term::Enhanced(p) => s.any_reply(&mut |c| c.enhanced.is_some_and(|e| p.matches(e))),
            Term::Status(st) => s.status() == *st,
            Term::Text(t) => s.contains_text(t),
            Term::Since(b) => s.end().or(s.start()).is_some_and(|t| b.cmp_stamp(&t).is_le()),
            Term::Until(b) => s.start().is_some_and(|t| b.cmp_stamp(&t).is_ge()),
        }
    }
}

impl CodePattern {
    fn matches(&self, code: u16) -> bool {
        let digits = [(code / 100) as u8, (code / 10 % 10) as u8, (code % 10) as u8];
        self.0.iter().zip(digits).all(|(p, d)| p.is_none_or(|p| p == d))
    }
}

impl EnhancedPattern {
    fn matches(&self, e: Enhanced) -> bool {
        self.class == e.class
            && self.subject.is_none_or(|s| s == e.subject)
            && self.detail.is_none_or(|d| d == e.detail)
    }
}

impl Bound {
    /// How the bound compares with a session time (`Less`: the bound is earlier).
    fn cmp_stamp(&self, t: &Timestamp) -> std::cmp::Ordering {
        match self {
            Bound::At(at) if t.has_date => at.cmp(&t.when),
            Bound::At(at) => at.time().cmp(&t.when.time()),
            Bound::Clock(c) => c.cmp(&t.when.time()),
            Bound::Instant { local, utc } => match t.offset {
                Some(off) => utc.cmp(&(t.when - Duration::seconds(i64::from(off)))),
                None if t.has_date => local.cmp(&t.when),
                None => local.time().cmp(&t.when.time()),
            },
        }
    }
}

/// True when the session's peers, id, summary or any event text (credentials masked) contains
/// `needle` (already lowercase), ignoring case.
pub fn session_contains(s: &Session, needle: &str) -> bool {
    contains_ci(&s.summary, needle)
        || contains_ci(&s.id, needle)
        || s.client.as_deref().is_some_and(|c| contains_ci(c, needle))
        || s.server.as_deref().is_some_and(|c| contains_ci(c, needle))
        || s.events.iter().any(|e| event_contains(e, needle))
}

/// True when the event's text (credentials masked) contains `needle` (lowercase).
pub fn event_contains(e: &Event, needle: &str) -> bool {
    contains_ci(&e.display_text(false), needle)
}

/// Case-insensitive substring test; `needle` must already be lowercase. ASCII needles are
/// matched byte-wise without allocating; others fall back to lowercasing the haystack.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if !needle.is_ascii() {
        return hay.to_lowercase().contains(needle);
    }
    find_ascii_ci(hay, needle.as_bytes()).is_some()
}

/// Where `needle` (lowercase ASCII, not empty) first occurs in `hay`, ignoring ASCII case:
/// the byte offset `hay.to_ascii_lowercase().find(needle)` gives, without the copy.
pub fn find_ascii_ci(hay: &str, needle: &[u8]) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle);
    let first = *n.first()?;
    let mut from = 0;
    while let Some(pos) = memchr::memchr2(first, first.to_ascii_uppercase(), h.get(from..)?) {
        let at = from + pos;
        if h.get(at..at + n.len())?.eq_ignore_ascii_case(n) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Splits on whitespace; `"double quotes"` keep spaces inside one text word.
fn split_words(text: &str) -> Result<Vec<String>, FilterError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut had_quote = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                had_quote = true;
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() || had_quote {
                    words.push(std::mem::take(&mut cur));
                }
                had_quote = false;
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(FilterError("unclosed \" quote".into()));
    }
    if !cur.is_empty() || had_quote {
        words.push(cur);
    }
    Ok(words)
}

type Now = (NaiveDateTime, NaiveDateTime);

fn parse_word(word: &str, now: Now) -> Result<Term, FilterError> {
    if let Some(rest) = word.strip_prefix('!') {
        if rest.is_empty() {
            return Err(FilterError(
                "`!` must be followed by a word to negate, e.g. !2xx".into(),
            ));
        }
        return Ok(Term::Not(Box::new(parse_word(rest, now)?)));
    }
    if word.contains(',') && !word.contains(':') {
        let mut alts = Vec::new();
        for part in word.split(',') {
            if part.is_empty() {
                return Err(FilterError(format!("empty alternative in `{word}` (write a,b)")));
            }
            alts.push(parse_single(part, now)?);
        }
        return Ok(Term::Any(alts));
    }
    parse_single(word, now)
}

fn parse_single(word: &str, now: Now) -> Result<Term, FilterError> {
    let lower = word.to_lowercase();
    if let Some(v) = lower.strip_prefix("since:") {
        return Ok(Term::Since(parse_bound(v, now, false)?));
    }
    if let Some(v) = lower.strip_prefix("until:") {
        return Ok(Term::Until(parse_bound(v, now, true)?));
    }
    match lower.as_str() {
        "failed" | "fail" | "failure" => return Ok(Term::Status(Status::Failure)),
        "ok" | "success" | "succeeded" => return Ok(Term::Status(Status::Success)),
        "partial" | "part" => return Ok(Term::Status(Status::Partial)),
        "open" => return Ok(Term::Status(Status::Open)),
        _ => {}
    }
    if let Some(p) = parse_basic(&lower)? {
        return Ok(Term::Basic(p));
    }
    if let Some(p) = parse_enhanced(&lower)? {
        return Ok(Term::Enhanced(p));
    }
    Ok(Term::Text(lower))
}

/// `535`, `5xx`, `55x`: three characters, the first a digit. `Ok(None)` means "not a code".
fn parse_basic(w: &str) -> Result<Option<CodePattern>, FilterError> {
    let b = w.as_bytes();
    if b.len() != 3 || !b[0].is_ascii_digit() {
        return Ok(None);
    }
    if !b[1..]
        .iter()
        .all(|c| c.is_ascii_digit() || *c == b'x' || *c == b'*')
    {
        return Ok(None);
    }
    if !(b'2'..=b'5').contains(&b[0]) {
        if b[1..].iter().all(u8::is_ascii_digit) {
            return Ok(None); // a number such as 127 is text
        }
        return Err(FilterError(format!("`{w}`: reply codes start with 2, 3, 4 or 5")));
    }
    let digit = |c: u8| c.is_ascii_digit().then(|| c - b'0');
    Ok(Some(CodePattern([digit(b[0]), digit(b[1]), digit(b[2])])))
}

/// `5.7.8`, `5.7.*`, `5.*`. `Ok(None)` means "not an enhanced code".
fn parse_enhanced(w: &str) -> Result<Option<EnhancedPattern>, FilterError> {
    let parts: Vec<&str> = w.split('.').collect();
    let is_part =
        |p: &str| p == "*" || (!p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()));
    if parts.len() < 2
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit() || c == b'*'))
    {
        return Ok(None);
    }
    if parts.len() > 3 || !parts.iter().all(|p| is_part(p)) || parts[0] == "*" {
        if w.contains('*') {
            return Err(FilterError(format!(
                "`{w}`: enhanced codes look like 5.7.8 or 5.7.* (class.subject.detail)"
            )));
        }
        return Ok(None); // e.g. an IP address: text
    }
    let class: u8 = parts[0].parse().unwrap_or(0);
    if !matches!(class, 2 | 4 | 5) {
        if w.contains('*') {
            return Err(FilterError(format!("`{w}`: enhanced codes start with 2, 4 or 5")));
        }
        return Ok(None);
    }
    let num = |p: Option<&&str>| p.and_then(|p| p.parse::<u16>().ok());
    Ok(Some(EnhancedPattern {
        class,
        subject: num(parts.get(1)),
        detail: num(parts.get(2)),
    }))
}

/// `2026-03-02T10:00[:ss]`, `2026-03-02`, `11:30[:ss]`, `-1h` / `-30m` / `-2d` / `-1w` / `-90s`.
/// A date alone means its start for `since:` and its end for `until:`.
fn parse_bound(v: &str, now: Now, until: bool) -> Result<Bound, FilterError> {
    let bad = || {
        FilterError(format!(
            "`{v}`: expected a time: 2026-03-02T10:00, 2026-03-02, 11:30, or -1h (s m h d w)"
        ))
    };
    if v.is_empty() {
        return Err(FilterError(
            "since:/until: need a time, e.g. since:-1h or until:11:30".into(),
        ));
    }
    if let Some(rel) = v.strip_prefix('-') {
        let (n, unit) = rel.split_at(rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len()));
        let n: i64 = n.parse().map_err(|_| bad())?;
        let secs = match unit {
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return Err(bad()),
        };
        let d = Duration::try_seconds(n.checked_mul(secs).ok_or_else(bad)?).ok_or_else(bad)?;
        return Ok(Bound::Instant {
            local: now.0.checked_sub_signed(d).ok_or_else(bad)?,
            utc: now.1.checked_sub_signed(d).ok_or_else(bad)?,
        });
    }
    let clock = |s: &str| {
        NaiveTime::parse_from_str(s, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
            .ok()
    };
    if let Some((d, t)) = v.split_once('t') {
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad())?;
        return Ok(Bound::At(date.and_time(clock(t).ok_or_else(bad)?)));
    }
    if let Ok(date) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let t = if until {
            NaiveTime::from_hms_opt(23, 59, 59)
        } else {
            NaiveTime::from_hms_opt(0, 0, 0)
        };
        return Ok(Bound::At(date.and_time(t.unwrap_or_default())));
    }
    clock(v).map(Bound::Clock).ok_or_else(bad)
}

#[cfg(test)]
mod tests;
