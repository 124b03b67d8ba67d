//! Undoing what PHPMailer's output modes did to a line: the `html` mode's `htmlentities()` and
//! trailing `<br>`, and the `Y-m-d H:i:s` stamp of the `echo` and `html` modes.

use crate::model::{parse_iso_local, Timestamp};
use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// A line with its html-mode dressing removed.
pub struct Cleaned<'a> {
    pub text: Cow<'a, str>,
    /// The line ended in `<br>`: PHPMailer's `html` mode wrote it, so entities were encoded.
    pub html: bool,
}

/// Removes a trailing `<br>` (html mode) or `<br />` (pre-2013 versions add it by hand) and
/// decodes HTML entities when the line came from html mode (`<br>`, or `decode` because earlier
/// lines did). Carriage returns at either end go too (WordPress keeps CRLF).
pub fn clean(line: &str, decode: bool) -> Cleaned<'_> {
    let mut t = line.trim_matches('\r').trim_end();
    let mut html = false;
    if let Some(s) = t.strip_suffix("<br>") {
        html = true;
        t = s;
    } else if let Some(s) = t.strip_suffix("<br />").or_else(|| t.strip_suffix("<br/>")) {
        t = s;
    }
    let t = t.trim_end();
    // Most lines have no `&`: that one-byte search goes first.
    let text = if t.contains('&') && (html || decode || t.contains("-&gt; ")) {
        Cow::Owned(decode_entities(t))
    } else {
        Cow::Borrowed(t)
    };
    Cleaned { text, html }
}

/// Decodes the entities `htmlentities($s, ENT_QUOTES, 'UTF-8')` writes: the five XML ones,
/// numeric references, and the common Latin-1 names. Unknown names are left as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after
            .find(';')
            .filter(|&semi| semi > 0 && semi <= 10)
            .and_then(|semi| entity(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "laquo" => '«',
        "raquo" => '»',
        "euro" => '€',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "auml" => 'ä',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "iacute" => 'í',
        "ntilde" => 'ñ',
        "oacute" => 'ó',
        "ouml" => 'ö',
        "uacute" => 'ú',
        "uuml" => 'ü',
        "szlig" => 'ß',
        "Auml" => 'Ä',
        "Eacute" => 'É',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        _ => return None,
    };
    Some(c)
}

/// Transcripts copied out of a database or JSON (`…\r\nSERVER -> CLIENT: …` with the escapes
/// written out), or passed through rsyslog (`#015#012`), hold many lines in one. Returns those
/// lines, or `None` for an ordinary line. Only escaped CRLFs trigger this: a lone `\n` or
/// `#012` is too common in ordinary text (Windows paths, invoice numbers).
pub fn escaped_lines(line: &str) -> Option<Vec<String>> {
    // Both escapes need a backslash or a `#`, which most lines lack: one byte search rules both out.
    memchr::memchr2(b'\\', b'#', line.as_bytes())?;
    if line.contains("\\r\\n") {
        // The export's own quotes around the value.
        let mut body = line.trim();
        body = body.strip_prefix('"').unwrap_or(body);
        if let Some(b) = body.strip_suffix("\",").or_else(|| body.strip_suffix('"')) {
            if !b.ends_with('\\') {
                body = b;
            }
        }
        let text = json_unescape(body);
        return Some(
            text.split('\n')
                .map(|l| l.trim_end_matches('\r').to_owned())
                .collect(),
        );
    }
    if line.contains("#015#012") {
        let text = line.replace("#015#012", "\n").replace("#011", "\t");
        return Some(text.split('\n').map(str::to_owned).collect());
    }
    None
}

/// `str::trim`, without decoding the characters of the (often long) run of spaces and tabs
/// that echo mode indents continuation lines with.
pub fn trim(text: &str) -> &str {
    // Unicode's ASCII whitespace, which `char::is_whitespace` also counts: tab to carriage
    // return (vertical tab included), and space. Where a run of them stops at a non-ASCII
    // character, `str::trim` goes on from there.
    let ascii_space = |c: &u8| matches!(c, b'\t'..=b'\r' | b' ');
    let b = text.as_bytes();
    let start = b.iter().position(|c| !ascii_space(c)).unwrap_or(b.len());
    let mut t = &text[start..];
    if !t.as_bytes().first().is_none_or(u8::is_ascii) {
        t = t.trim_start();
    }
    let end = t
        .as_bytes()
        .iter()
        .rposition(|c| !ascii_space(c))
        .map_or(0, |i| i + 1);
    let t = &t[..end];
    if t.as_bytes().last().is_none_or(u8::is_ascii) {
        t
    } else {
        t.trim_end()
    }
}

/// A PSR-3 logger line as Monolog's default format writes it:
/// `[2026-11-30T12:00:00.123456+00:00] channel.DEBUG: <message> [] []`.
static MONOLOG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)(Z|[+-][0-9]{2}:?[0-9]{2})?\] [A-Za-z0-9_.-]+\.[A-Z]+: (.*?)(?: \[\] \[\])?$")
        .expect("valid regex")
});

/// Splits a Monolog line into its stamp and PHPMailer's message. Monolog flattens line breaks
/// into spaces, so a multi-line reply arrives on one line.
pub fn split_monolog(line: &str) -> Option<(Option<Timestamp>, &str)> {
    // The pattern is anchored at `[`: asking the regex for its captures on every other line
    // of a log cost a tenth of reading it.
    if !line.starts_with('[') {
        return None;
    }
    let c = MONOLOG.captures(line)?;
    let mut time = parse_iso_local(&c[1]).map(Timestamp::local);
    if let (Some(t), Some(off)) = (time.as_mut(), c.get(2)) {
        t.offset = parse_offset(off.as_str());
    }
    Some((time, c.get(3).map_or("", |m| m.as_str())))
}

/// `Z`, `+01:00` or `-0500` as seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    if s == "Z" {
        return Some(0);
    }
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let digits: String = s[1..].chars().filter(char::is_ascii_digit).collect();
    let h: i32 = digits.get(..2)?.parse().ok()?;
    let m: i32 = digits.get(2..4)?.parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

/// Callables from PHPMailer's documentation print the level too: `debug level 2; message: …`,
/// or stamp, TAB, level, TAB, message. Returns the message.
pub fn strip_level(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix("debug level ") {
        if let Some((level, msg)) = rest.split_once("; message: ") {
            if !level.is_empty() && level.bytes().all(|c| c.is_ascii_digit()) {
                return msg;
            }
        }
    }
    let b = text.as_bytes();
    if b.len() > 2 && (b'1'..=b'4').contains(&b[0]) && matches!(b[1], b'\t' | b' ') {
        let msg = text[2..].trim_start();
        if super::entry::classify(msg).is_some() {
            return msg;
        }
    }
    text
}

/// Where a browser joined echo-mode lines, a stamp inside the line (`… 250 OK 2026-11-30
/// 12:00:00 CLIENT -> …`): a space or tab, `dddd-dd-dd dd:dd:dd`, a space or tab. The start
/// and end of each, left to right and not overlapping, as a regex's `find_iter` gives them.
///
/// Found from the stamp's first colon, 14 bytes in: a line has few colons, and every line of
/// a log passes here (a regex search cost a fifth of reading the log).
fn inner_stamps(line: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    const LEN: usize = 21;
    let b = line.as_bytes();
    let mut next = 0;
    memchr::memchr_iter(b':', b).filter_map(move |colon| {
        let start = colon.checked_sub(14).filter(|&s| s >= next)?;
        let w = b.get(start..start + LEN)?;
        let digits = [1, 2, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19];
        let shaped = matches!(w[0], b' ' | b'\t')
            && matches!(w[LEN - 1], b' ' | b'\t')
            && w[5] == b'-'
            && w[8] == b'-'
            && w[11] == b' '
            && w[17] == b':'
            && digits.iter().all(|&i| w[i].is_ascii_digit());
        shaped.then(|| {
            next = start + LEN;
            (start, start + LEN)
        })
    })
}

/// Echo-mode output shown in a browser collapses every line break into a space, so a whole
/// transcript arrives as one line. Returns its stamped entries when `line` holds two or more.
pub fn split_collapsed(line: &str) -> Option<Vec<&str>> {
    let starts: Vec<usize> = inner_stamps(line)
        .filter(|&(_, end)| super::entry::classify(line[end..].trim_start()).is_some())
        .map(|(start, _)| start + 1)
        .collect();
    if starts.is_empty() || split_stamp(line).is_none() {
        return None;
    }
    let mut parts = Vec::with_capacity(starts.len() + 1);
    let mut from = 0;
    for s in starts {
        parts.push(line[from..s].trim_end());
        from = s;
    }
    parts.push(&line[from..]);
    Some(parts)
}

/// Splits a reply whose line breaks became spaces (`250-a 250-b 250 c`): before each later
/// ` ddd-` with the first line's code, and before the first ` ddd ` that ends the reply.
pub fn split_spaced_reply(reply: &str) -> Vec<&str> {
    let b = reply.as_bytes();
    if b.len() < 5 || !b[..3].iter().all(u8::is_ascii_digit) || b[3] != b'-' {
        return vec![reply];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 4;
    while i + 4 < b.len() {
        if b[i] == b' ' && b[i + 1..i + 4] == b[..3] && matches!(b[i + 4], b'-' | b' ') {
            parts.push(&reply[start..i]);
            start = i + 1;
            if b[i + 4] == b' ' {
                break;
            }
            i += 5;
            continue;
        }
        i += 1;
    }
    parts.push(&reply[start..]);
    parts
}

/// Undoes JSON string escapes (also what SQL dumps write for CR, LF and backslash).
fn json_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Splits off the `gmdate('Y-m-d H:i:s')` stamp of echo/html output (TAB in echo mode, space
/// in html mode; pastes often turn the TAB into spaces). PHPMailer writes UTC.
pub fn split_stamp(line: &str) -> Option<(Timestamp, &str)> {
    let b = line.as_bytes();
    if b.len() < 20 || !matches!(b[19], b'\t' | b' ') {
        return None;
    }
    let when = parse_iso_local(line.get(..19)?)?;
    Some((Timestamp::utc(when), line[20..].trim_start_matches([' ', '\t'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `inner_stamps` replaced.
    static INNER_STAMP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[ \t][0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}[ \t]").expect("valid regex")
    });

    #[test]
    fn inner_stamps_are_the_regex_matches() {
        let pieces = [
            " ",
            "\t",
            "2026-11-30",
            "2026-11-30 ",
            "12:00:00",
            "12:00:00 ",
            " 2026-11-30 12:00:00 ",
            "\t2026-11-30 12:00:00\t",
            ":",
            "1",
            "-",
            "x",
            "é",
            "CLIENT -> SERVER: ",
            "250 OK",
            "12:00.00 ",
            " 2026-11-30 12:0000 ",
            " 2026/11-30 12:00:00 ",
        ];
        let found = crate::testdata::assert_same_on_texts(
            (&pieces, 12, 40_000),
            |t| inner_stamps(t).collect::<Vec<_>>(),
            |t| INNER_STAMP.find_iter(t).map(|m| (m.start(), m.end())).collect(),
            Vec::len,
        );
        // The texts really hold stamps, overlapping ones among them.
        assert!(found > 5_000, "{found}");
        let twice = " 2026-11-30 12:00:00 2026-11-30 12:00:00 ";
        assert_eq!(
            inner_stamps(twice).count(),
            1,
            "the second shares the first's space"
        );
    }

    #[test]
    fn trim_is_str_trim() {
        let pieces = [
            " ", "\t", "\r", "\n", "\u{b}", "\u{c}", "\u{a0}", "\u{85}", "\u{2003}", "\u{3000}", "x", "é",
            "\u{200b}", "ab",
        ];
        let blank = crate::testdata::assert_same_on_texts(
            (&pieces, 8, 40_000),
            |t| trim(t).to_owned(),
            |t| t.trim().to_owned(),
            |t| usize::from(t.is_empty()),
        );
        assert!(blank > 1_000, "{blank}");
    }

    #[test]
    fn monolog_lines_start_with_a_bracket() {
        let line = "[2026-11-30T12:00:00.123456+00:00] mail.DEBUG: SERVER -> CLIENT: 250 OK [] []";
        let (t, msg) = split_monolog(line).expect("a monolog line");
        assert_eq!(msg, "SERVER -> CLIENT: 250 OK");
        assert_eq!(t.and_then(|t| t.offset), Some(0));
        assert!(split_monolog(&line[1..]).is_none());
        assert!(split_monolog(&format!(" {line}")).is_none());
    }

    #[test]
    fn html_lines_lose_br_and_entities() {
        let c = clean(
            "SERVER -&gt; CLIENT: 250 OK &lt;a@b&gt; &quot;x&quot; &#039;y&#39; &amp;lt;<br>",
            false,
        );
        assert!(c.html);
        assert_eq!(c.text, "SERVER -> CLIENT: 250 OK <a@b> \"x\" 'y' &lt;");
        let c = clean("SMTP -> FROM SERVER:220 hi <br />", false);
        assert!(!c.html);
        assert_eq!(c.text, "SMTP -> FROM SERVER:220 hi");
        // Without html mode an ampersand in echo output is text.
        assert_eq!(
            clean("CLIENT -> SERVER: a &amp; b", false).text,
            "CLIENT -> SERVER: a &amp; b"
        );
        assert_eq!(clean("x &eacute; &bogus; & &#xE9;", true).text, "x é &bogus; & é");
    }

    #[test]
    fn escaped_transcripts_become_lines() {
        let l = escaped_lines(
            r#"Mailer: Other SMTP\r\nDebug Output:\r\nSERVER -> CLIENT: 250-a\r\n250 \"b\" C:\\new\r\n"#,
        )
        .unwrap();
        assert_eq!(
            l,
            [
                "Mailer: Other SMTP",
                "Debug Output:",
                "SERVER -> CLIENT: 250-a",
                "250 \"b\" C:\\new",
                ""
            ]
        );
        let l = escaped_lines("SERVER -> CLIENT: 250-a#015#012250 b#015#012").unwrap();
        assert_eq!(l, ["SERVER -> CLIENT: 250-a", "250 b", ""]);
        assert!(escaped_lines(r"Connection failed. [C:\xampp\new\SMTP.php line 1] invoice #012").is_none());
    }

    #[test]
    fn collapsed_echo_output_is_split_back() {
        let l = "2026-11-30 12:00:00 SERVER -> CLIENT: 250-a 250-SIZE 100 250 OK 2026-11-30 12:00:01 CLIENT -> SERVER: QUIT";
        let parts = split_collapsed(l).unwrap();
        assert_eq!(
            parts,
            [
                "2026-11-30 12:00:00 SERVER -> CLIENT: 250-a 250-SIZE 100 250 OK",
                "2026-11-30 12:00:01 CLIENT -> SERVER: QUIT"
            ]
        );
        assert!(split_collapsed("2026-11-30 12:00:00 CLIENT -> SERVER: QUIT").is_none());
        assert!(
            split_collapsed("2026-11-30 12:00:00 CLIENT -> SERVER: Date: 2026-11-30 12:00:00 +0000")
                .is_none()
        );
        assert_eq!(
            split_spaced_reply("250-a 250-SIZE 100 250 OK 250 more"),
            ["250-a", "250-SIZE 100", "250 OK 250 more"]
        );
        assert_eq!(split_spaced_reply("250 OK 250-x"), ["250 OK 250-x"]);
    }

    #[test]
    fn callable_level_prefixes_go() {
        assert_eq!(
            strip_level("debug level 2; message: SERVER -> CLIENT: 220 x"),
            "SERVER -> CLIENT: 220 x"
        );
        assert_eq!(strip_level("3\tConnection: opened"), "Connection: opened");
        assert_eq!(strip_level("3 little pigs"), "3 little pigs");
    }

    #[test]
    fn monolog_lines_give_stamp_and_message() {
        let (t, msg) = split_monolog(
            "[2026-11-30T12:00:00.123456+01:00] mailer.DEBUG: SERVER -> CLIENT: 250-a 250 b [] []",
        )
        .unwrap();
        assert_eq!(t.unwrap().to_string(), "2026-11-30T12:00:00.123+01:00");
        assert_eq!(msg, "SERVER -> CLIENT: 250-a 250 b");
        assert!(split_monolog("[23-Nov-2026 10:04:11 UTC] x").is_none());
    }

    #[test]
    fn stamps_are_utc_with_tab_or_spaces() {
        let (t, rest) = split_stamp("2026-11-30 08:00:01\tSERVER -> CLIENT: 220 x").unwrap();
        assert_eq!(t.to_string(), "2026-11-30T08:00:01Z");
        assert_eq!(rest, "SERVER -> CLIENT: 220 x");
        assert_eq!(
            split_stamp("2026-11-30 08:00:01    CLIENT -> SERVER: QUIT")
                .unwrap()
                .1,
            "CLIENT -> SERVER: QUIT"
        );
        assert!(split_stamp("2026-11-30T08:00:01 x").is_some());
        assert!(split_stamp("not a stamp at all, really").is_none());
        assert!(split_stamp("2026-11-30 08:00:0é x").is_none());
    }
}
