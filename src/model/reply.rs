//! SMTP reply codes: the basic three-digit code and the RFC 3463 enhanced status code.

use std::fmt;

/// An RFC 3463 enhanced status code such as `5.7.8` (class.subject.detail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Enhanced {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl Enhanced {
    /// Parses `c.s.d` at the start of `text` (class 2, 4 or 5; subject and detail 1–3 digits).
    /// Returns the code and the number of bytes it used.
    pub fn parse_prefix(text: &str) -> Option<(Enhanced, usize)> {
        let b = text.as_bytes();
        if b.len() < 5 || !matches!(b[0], b'2' | b'4' | b'5') || b[1] != b'.' {
            return None;
        }
        let (subject, n1) = digits(&b[2..])?;
        let rest = 2 + n1;
        if b.get(rest) != Some(&b'.') {
            return None;
        }
        let (detail, n2) = digits(&b[rest + 1..])?;
        let end = rest + 1 + n2;
        if b.get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
        {
            return None;
        }
        Some((
            Enhanced {
                class: b[0] - b'0',
                subject,
                detail,
            },
            end,
        ))
    }

    /// Parses a whole string like `5.7.8`.
    pub fn parse(text: &str) -> Option<Enhanced> {
        match Enhanced::parse_prefix(text.trim()) {
            Some((e, n)) if n == text.trim().len() => Some(e),
            _ => None,
        }
    }
}

fn digits(b: &[u8]) -> Option<(u16, usize)> {
    let n = b.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 3 {
        return None;
    }
    let v = b[..n].iter().fold(0u16, |acc, c| acc * 10 + u16::from(c - b'0'));
    Some((v, n))
}

impl fmt::Display for Enhanced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// The code part of a server reply. Only the first line's codes are kept: RFC 5321 requires
/// every line of a multi-line reply to carry the same code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplyCode {
    pub basic: u16,
    pub enhanced: Option<Enhanced>,
}

impl ReplyCode {
    /// True for 2xx and 3xx replies: the server did what was asked or wants more input.
    pub fn is_positive(&self) -> bool {
        self.basic < 400
    }
    /// True for 4xx: a temporary failure the sender may retry.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.basic)
    }
    /// True for 5xx: a permanent failure.
    pub fn is_permanent(&self) -> bool {
        self.basic >= 500
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.enhanced {
            Some(e) => write!(f, "{} {}", self.basic, e),
            None => write!(f, "{}", self.basic),
        }
    }
}

/// One physical reply line split into its parts: `250-SIZE 1000` is
/// `{code: 250, more: true, text: "SIZE 1000"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    pub code: u16,
    /// `true` when the line ends with `-` after the code: more lines of this reply follow.
    pub more: bool,
    pub enhanced: Option<Enhanced>,
    pub text: &'a str,
}

/// Splits a reply line per RFC 5321 §4.2: three digits (2–5 first) then `-`, space or end.
pub fn parse_reply_line(line: &str) -> Option<ReplyLine<'_>> {
    let b = line.as_bytes();
    if b.len() < 3 || !(b'2'..=b'5').contains(&b[0]) || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    let code = u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
    let (more, rest) = match b.get(3) {
        None => (false, ""),
        Some(b'-') => (true, &line[4..]),
        Some(b' ') | Some(b'\t') => (false, &line[4..]),
        Some(_) => return None,
    };
    let trimmed = rest.trim_start();
    let (enhanced, text) = match Enhanced::parse_prefix(trimmed) {
        Some((e, n)) if e.class == b[0] - b'0' => (Some(e), trimmed[n..].trim_start()),
        _ => (None, rest),
    };
    Some(ReplyLine {
        code,
        more,
        enhanced,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_codes() {
        let r = parse_reply_line("535-5.7.8 Username and Password not accepted").unwrap();
        assert_eq!((r.code, r.more), (535, true));
        assert_eq!(r.enhanced.unwrap().to_string(), "5.7.8");
        assert_eq!(r.text, "Username and Password not accepted");
        let r = parse_reply_line("250").unwrap();
        assert!(!r.more && r.enhanced.is_none());
        assert!(parse_reply_line("2500 x").is_none());
        assert!(parse_reply_line("EHLO x").is_none());
        assert!(parse_reply_line("650 x").is_none());
    }

    #[test]
    fn enhanced_code_must_match_class_and_shape() {
        assert!(parse_reply_line("250 5.1.1 odd").unwrap().enhanced.is_none());
        assert!(Enhanced::parse("5.7.139").is_some());
        assert!(Enhanced::parse("5.7.1234").is_none());
        assert!(Enhanced::parse("1.2.3").is_none());
        assert!(Enhanced::parse_prefix("2.0.0.1").is_none());
    }
}
