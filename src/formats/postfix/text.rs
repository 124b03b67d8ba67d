//! Pieces of Postfix log text: queue ids, `name[ip]` peers, `status=` fields, disconnect
//! counters. Byte matching only (no regexes): these run on every line of large maillogs.

use crate::model::Step;

/// Splits `QUEUEID: rest` (short hex ids, long `enable_long_queue_ids` ids, `NOQUEUE`) off a
/// message. Lines without a queue id come back whole.
pub fn split_qid(text: &str) -> (Option<&str>, &str) {
    // An id is at most 24 bytes: a colon further on ends no id, so the rest of a long line
    // need not be searched.
    let head = &text.as_bytes()[..text.len().min(QUEUE_ID_MAX + 1)];
    let Some(colon) = memchr::memchr(b':', head) else {
        return (None, text);
    };
    let (id, rest) = (&text[..colon], &text[colon + 1..]);
    if !rest.starts_with(' ') || !is_queue_id(id) {
        return (None, text);
    }
    (Some(id), &rest[1..])
}

/// Short ids are upper-case hex (`3D770111AF50`); long ids are base-52 time, `z`, base-51
/// inode (`4Lxk3p0Ckvz9vB4`).
fn is_queue_id(id: &str) -> bool {
    let b = id.as_bytes();
    if id == "NOQUEUE" {
        return true;
    }
    let short = || b.len() >= 5 && b.len() <= 16 && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'));
    let long = || {
        b.len() >= 12 && b.len() <= QUEUE_ID_MAX && b[10] == b'z' && b.iter().all(u8::is_ascii_alphanumeric)
    };
    short() || long()
}

/// The longest queue id [`is_queue_id`] takes.
const QUEUE_ID_MAX: usize = 24;

/// A peer as Postfix names it: `name[ip]` with an optional `:port` (`unknown[192.0.2.1]`,
/// `mx.example.net[203.0.113.7]:25`, postscreen's `[192.0.2.1]:51234`). Returns the peer and
/// the byte length used.
pub fn peer_at(s: &str) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let open = memchr::memchr(b'[', b)?;
    if b[..open].iter().any(|c| c.is_ascii_whitespace()) {
        return None;
    }
    // An address (or an LMTP socket path) is short; bounding the search keeps lines full of
    // `[` linear.
    let window = &b[open..b.len().min(open + 128)];
    let close = open + memchr::memchr(b']', window)?;
    let mut end = close + 1;
    if b.get(end) == Some(&b':') {
        let digits = b[end + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    Some((&s[..end], end))
}

/// The `name[ip]` part of a peer, without any `:port`, for comparing how lines name a server.
pub fn host_part(peer: &str) -> &str {
    match peer.rfind(']') {
        Some(i) => &peer[..=i],
        None => peer,
    }
}

/// The peer after the first `" from "` (`lost connection after DATA from x[ip]`).
pub fn peer_after_from(s: &str) -> Option<&str> {
    let at = finder!(b" from ").find(s.as_bytes())? + 6;
    peer_at(&s[at..]).map(|(p, _)| p)
}

/// Which step a Postfix command word names (`RCPT`, `END-OF-MESSAGE`, `CONNECT`, `DATA`…).
pub fn step_of_word(word: &str) -> Step {
    match word {
        "CONNECT" => Step::Greeting,
        "END-OF-MESSAGE" => Step::DataEnd,
        "UNKNOWN" => Step::Other,
        w => Step::of_command(w),
    }
}

/// The command named in `(in reply to RCPT TO command)` / `while sending end of data`.
pub fn step_in_reply_to(s: &str) -> Option<Step> {
    let b = s.as_bytes();
    let at = rfinder!(b"in reply to ").rfind(b)? + 12;
    let what = &s[at..];
    Some(if what.starts_with("end of DATA") {
        Step::DataEnd
    } else if what.starts_with("MAIL FROM") {
        Step::Mail
    } else if what.starts_with("RCPT TO") {
        Step::Rcpt
    } else if what.starts_with("DATA") {
        Step::Data
    } else if what.starts_with("initial server greeting") {
        Step::Greeting
    } else {
        Step::of_command(what)
    })
}

/// One recipient line of a delivery agent:
/// `to=<…>, [orig_to=<…>,] relay=…, delay=…, delays=…, dsn=…, status=WORD (TEXT)`.
#[derive(Debug, PartialEq)]
pub struct Delivery<'a> {
    pub relay: Option<&'a str>,
    pub status: &'a str,
    /// The parenthesised reason after the status word, without the parentheses.
    pub reason: &'a str,
}

/// Reads the fields of a delivery line (`rest` starts with `to=<`).
pub fn delivery(rest: &str) -> Option<Delivery<'_>> {
    let b = rest.as_bytes();
    let at = finder!(b"status=").find(b)? + 7;
    let tail = &rest[at..];
    let word_len = tail.find([' ', ',']).unwrap_or(tail.len());
    let status = &tail[..word_len];
    let after = tail[word_len..].trim_start();
    let reason = after
        .strip_prefix('(')
        .map(|r| r.strip_suffix(')').unwrap_or(r))
        .unwrap_or(after);
    let relay = finder!(b"relay=").find(b).map(|i| {
        let v = &rest[i + 6..];
        &v[..v.find(',').unwrap_or(v.len())]
    });
    Some(Delivery {
        relay,
        status,
        reason,
    })
}

/// The remote reply quoted in a delivery reason: `host x[ip] said: 550 5.1.1 … (in reply to
/// RCPT TO command)` gives `550 5.1.1 …`; a reason that starts with a code (`250 2.0.0 Ok:
/// queued as …`) is the reply itself.
pub fn quoted_reply(reason: &str) -> Option<&str> {
    let text = match finder!(b" said: ").find(reason.as_bytes()) {
        Some(i) => &reason[i + 7..],
        None => reason,
    };
    crate::model::parse_reply_line(text)?;
    let end = rfinder!(b" (in reply to ")
        .rfind(text.as_bytes())
        .unwrap_or(text.len());
    Some(text[..end].trim_end())
}

/// One `name=ok` or `name=ok/total` counter of a `disconnect from` line.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Counter<'a> {
    pub name: &'a str,
    pub ok: u32,
    pub total: u32,
}

/// The counters after the peer on a `disconnect from x[ip] ehlo=1 auth=0/1 commands=1/2` line.
pub fn counters(after_peer: &str) -> impl Iterator<Item = Counter<'_>> {
    // Plain byte scans (tokens are a few bytes, shorter than a vector search pays off on):
    // every connection of a big log ends with such a line.
    after_peer.split_ascii_whitespace().filter_map(|tok| {
        let b = tok.as_bytes();
        let eq = b.iter().position(|&c| c == b'=')?;
        let val = &b[eq + 1..];
        let (ok, total) = match val.iter().position(|&c| c == b'/') {
            Some(slash) => (count(&val[..slash])?, count(&val[slash + 1..])?),
            None => {
                let n = count(val)?;
                (n, n)
            }
        };
        Some(Counter {
            name: &tok[..eq],
            ok,
            total,
        })
    })
}

/// A counter's number as `u32::from_str` reads it (an optional `+`, then digits, no overflow).
fn count(b: &[u8]) -> Option<u32> {
    let digits = b.strip_prefix(b"+").unwrap_or(b);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |n, &d| {
        d.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u32::from(d - b'0')))
            .flatten()
    })
}

/// Verbose-mode internals (`match_list_match: …`, `send attr request = …`,
/// `xsasl_cyrus_server_first: …`) rather than something that happened in the session.
pub fn is_debug_noise(rest: &str) -> bool {
    let b = rest.as_bytes();
    let word = b
        .iter()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || **c == b'_')
        .count();
    if word > 0 && b.get(word) == Some(&b':') && b[..word].contains(&b'_') {
        return true;
    }
    [
        "send attr ",
        "input attribute ",
        "connect to subsystem ",
        "private/",
        "public/",
        "event_",
        "watchdog_",
        "vstream_",
    ]
    .iter()
    .any(|p| rest.starts_with(p))
}

/// Hides SASL payloads that verbose logging prints inside debug lines (`init_response …`,
/// dovecot `CONT\t1\t…`), so unparsed lines shown to the user carry no credentials.
pub fn mask_debug_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let start = if let Some(i) = finder!(b"init_response ").find(b) {
        i + 14
    } else if let Some(i) = finder!(b"CONT\t").find(b) {
        match text[i + 5..].find('\t') {
            Some(j) => i + 5 + j + 1,
            None => return std::borrow::Cow::Borrowed(text),
        }
    } else {
        return std::borrow::Cow::Borrowed(text);
    };
    let len = text[start..]
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(text.len() - start);
    if len == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(crate::model::SECRET_MASK);
    out.push_str(&text[start + len..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids() {
        assert_eq!(
            split_qid("3D770111AF50: client=x[192.0.2.1]"),
            (Some("3D770111AF50"), "client=x[192.0.2.1]")
        );
        assert_eq!(
            split_qid("NOQUEUE: reject: RCPT"),
            (Some("NOQUEUE"), "reject: RCPT")
        );
        assert_eq!(
            split_qid("4Lxk3p0Ckvz9vB4: removed"),
            (Some("4Lxk3p0Ckvz9vB4"), "removed")
        );
        assert_eq!(split_qid("warning: x").0, None);
        assert_eq!(split_qid("connect from x[1.2.3.4]").0, None);
        assert_eq!(split_qid("statistics: max").0, None);
    }

    /// `split_qid` before it bounded its search: the reading it must keep.
    fn split_qid_plainly(text: &str) -> (Option<&str>, &str) {
        let Some((id, rest)) = text.split_once(':') else {
            return (None, text);
        };
        let b = id.as_bytes();
        let short = (5..=16).contains(&b.len()) && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'));
        let long = (12..=24).contains(&b.len()) && b[10] == b'z' && b.iter().all(u8::is_ascii_alphanumeric);
        match rest.strip_prefix(' ') {
            Some(rest) if id == "NOQUEUE" || short || long => (Some(id), rest),
            _ => (None, text),
        }
    }

    fn owned((id, rest): (Option<&str>, &str)) -> (Option<String>, String) {
        (id.map(str::to_owned), rest.to_owned())
    }

    #[test]
    fn queue_id_split_agrees_with_a_plain_split() {
        let pieces = [
            "3D770111AF50",
            "4Lxk3p0Ckvz9vB4",
            "z",
            "A",
            "9",
            "g",
            ":",
            ": ",
            " ",
            "NOQUEUE",
            "removed",
            "0123456789",
            "abcdefghijklmn",
            "é",
            "connect from x[1.2.3.4]",
        ];
        let ids = crate::testdata::assert_same_on_texts(
            (&pieces, 8, 40_000),
            |t| owned(split_qid(t)),
            |t| owned(split_qid_plainly(t)),
            |r| usize::from(r.0.is_some()),
        );
        // The texts really hold ids, short and long, not only noise.
        assert!(ids > 500, "{ids}");
    }

    #[test]
    fn peers() {
        assert_eq!(
            peer_at("unknown[192.0.2.1]: 554 x"),
            Some(("unknown[192.0.2.1]", 18))
        );
        assert_eq!(
            peer_at("[192.0.2.1]:51234: 550 x").map(|p| p.0),
            Some("[192.0.2.1]:51234")
        );
        assert_eq!(
            peer_at("mx[2001:db8::1]:25, delay").map(|p| p.0),
            Some("mx[2001:db8::1]:25")
        );
        assert_eq!(peer_at("a b[1.2.3.4]"), None);
        assert_eq!(host_part("mx[203.0.113.7]:25"), "mx[203.0.113.7]");
        assert_eq!(
            peer_after_from("lost connection after DATA (0 bytes) from a.example[192.0.2.4]"),
            Some("a.example[192.0.2.4]")
        );
    }

    #[test]
    fn delivery_fields_and_quoted_replies() {
        let d = delivery("to=<a@b>, relay=mx.example.net[203.0.113.7]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[203.0.113.7] said: 550 5.1.1 <a@b>: User unknown (in reply to RCPT TO command))").unwrap();
        assert_eq!(d.relay, Some("mx.example.net[203.0.113.7]:25"));
        assert_eq!(d.status, "bounced");
        assert_eq!(quoted_reply(d.reason), Some("550 5.1.1 <a@b>: User unknown"));
        assert_eq!(step_in_reply_to(d.reason), Some(Step::Rcpt));
        assert_eq!(
            quoted_reply("250 2.0.0 Ok: queued as 4F1C2D"),
            Some("250 2.0.0 Ok: queued as 4F1C2D")
        );
        assert_eq!(
            quoted_reply("connect to mx[203.0.113.9]:25: Connection refused"),
            None
        );
        assert_eq!(
            step_in_reply_to("x (in reply to end of DATA command)"),
            Some(Step::DataEnd)
        );
    }

    /// `counters` as first written, with `split_once` and `str::parse`: the byte scans must
    /// read every counter line the same.
    fn counters_by_parse(after_peer: &str) -> Vec<(String, u32, u32)> {
        after_peer
            .split_ascii_whitespace()
            .filter_map(|tok| {
                let (name, val) = tok.split_once('=')?;
                let (ok, total) = match val.split_once('/') {
                    Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                    None => {
                        let n = val.parse().ok()?;
                        (n, n)
                    }
                };
                Some((name.to_owned(), ok, total))
            })
            .collect()
    }

    #[test]
    fn counters_read_as_str_parse_reads_them() {
        let pieces = [
            " ",
            "ehlo",
            "=",
            "/",
            "1",
            "0",
            "+",
            "-",
            "4294967295",
            "4294967296",
            "é",
            "\t",
            "x",
            "==",
            " rcpt=1",
            " auth=0/1",
            " commands=2/3",
        ];
        let read = crate::testdata::assert_same_on_texts(
            (&pieces, 12, 50_000),
            |t| {
                counters(t)
                    .map(|c| (c.name.to_owned(), c.ok, c.total))
                    .collect::<Vec<_>>()
            },
            counters_by_parse,
            Vec::len,
        );
        assert!(read > 5_000, "only {read} counters read");
    }

    #[test]
    fn disconnect_counters() {
        let c: Vec<_> = counters(" ehlo=1 auth=0/1 rset=1 commands=2/3").collect();
        assert_eq!(
            c[1],
            Counter {
                name: "auth",
                ok: 0,
                total: 1
            }
        );
        assert_eq!(
            c[3],
            Counter {
                name: "commands",
                ok: 2,
                total: 3
            }
        );
    }

    #[test]
    fn noise_and_masking() {
        assert!(is_debug_noise("match_list_match: mail.example: no match"));
        assert!(is_debug_noise("send attr request = connect"));
        assert!(!is_debug_noise("warning: hostname x does not resolve"));
        assert!(!is_debug_noise("connect from x[1.2.3.4]"));
        assert_eq!(
            mask_debug_secrets("xsasl_dovecot_server_first: sasl_method PLAIN, init_response AGFsaWNl"),
            "xsasl_dovecot_server_first: sasl_method PLAIN, init_response ********"
        );
        assert_eq!(mask_debug_secrets("nothing here"), "nothing here");
    }
}
