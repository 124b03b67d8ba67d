//! Log text is untrusted: it may carry terminal escape sequences, control bytes or bidi
//! overrides written by whoever chose an EHLO name or a reply text. Everything shown to a
//! terminal goes through here first.

use std::borrow::Cow;

/// True for characters that must never reach a terminal raw.
pub fn is_dangerous(c: char) -> bool {
    let u = c as u32;
    u < 0x20 || u == 0x7f || (0x80..0xa0).contains(&u) || is_bidi_control(c)
}

/// Unicode bidirectional controls (Trojan Source): embeddings, overrides, isolates, marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// True when `s` holds a character [`is_dangerous`] flags; the same answer as decoding every
/// character, from the UTF-8 bytes: a C0 control or DEL is one byte, a C1 control is `C2 80`
/// to `C2 9F`, and the bidi controls are `D8 9C` (U+061C), `E2 80 8E`/`8F`, `E2 80 AA` to
/// `AE` and `E2 81 A6` to `A9`. Every line printed passes here, most with nothing to escape.
fn has_dangerous(s: &str) -> bool {
    let b = s.as_bytes();
    // One branch-free pass (the compiler vectorizes it) answers for ASCII text.
    let (control, high) = b.iter().fold((false, false), |(control, high), &c| {
        (control | (c < 0x20) | (c == 0x7f), high | (c >= 0x80))
    });
    if control || !high {
        return control;
    }
    memchr::memchr3_iter(0xc2, 0xd8, 0xe2, b).any(|i| {
        let next = b.get(i + 1).copied().unwrap_or(0);
        let third = b.get(i + 2).copied().unwrap_or(0);
        match b[i] {
            0xc2 => (0x80..=0x9f).contains(&next),
            0xd8 => next == 0x9c,
            _ => {
                (next == 0x80 && matches!(third, 0x8e | 0x8f | 0xaa..=0xae))
                    || (next == 0x81 && (0xa6..=0xa9).contains(&third))
            }
        }
    })
}

/// Makes text safe for a terminal: C0 controls become caret notation (`ESC` → `^[`), DEL `^?`,
/// C1 controls and bidi controls `<U+XXXX>`; a tab becomes one space. Borrowed when already
/// safe, which is the common case.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !has_dangerous(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        let u = c as u32;
        match c {
            '\t' => out.push(' '),
            _ if u < 0x20 => {
                out.push('^');
                out.push((u as u8 + 0x40) as char);
            }
            '\u{7f}' => out.push_str("^?"),
            _ if is_dangerous(c) => out.push_str(&format!("<U+{u:04X}>")),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Makes serialized JSON safe to print on a terminal: serde_json escapes C0 controls but
/// writes DEL, C1 controls and bidi controls raw. Those can only occur inside JSON strings,
/// where `\uXXXX` is the same character, so the document's meaning does not change.
pub fn escape_json_text(json: String) -> String {
    if !has_dangerous(&json) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_check_agrees_with_decoding_every_character() {
        let mut flagged = 0;
        for u in (0..0x3_0000u32).chain(0xe_0000..0x11_0000) {
            let Some(c) = char::from_u32(u) else { continue };
            // Alone, and between neighbours that could confuse a byte scan.
            for text in [c.to_string(), format!("a{c}\u{e9}"), format!("\u{20ac}{c}")] {
                assert_eq!(
                    has_dangerous(&text),
                    text.chars().any(is_dangerous),
                    "U+{u:04X} in {text:?}"
                );
            }
            flagged += usize::from(is_dangerous(c));
        }
        // C0 (32) + DEL + C1 (32) + the 12 bidi controls.
        assert_eq!(flagged, 32 + 1 + 32 + 12);
    }

    #[test]
    fn escapes_terminal_attacks() {
        assert_eq!(escape_controls("a\x1b[2Jb"), "a^[[2Jb");
        assert_eq!(escape_controls("\x1b]52;c;aGk=\x07"), "^[]52;c;aGk=^G");
        assert_eq!(escape_controls("x\u{202E}y"), "x<U+202E>y");
        assert_eq!(escape_controls("c1\u{9b}"), "c1<U+009B>");
        assert_eq!(escape_controls("back\x08\r"), "back^H^M");
        assert!(matches!(escape_controls("plain 日本語"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_meaning_without_raw_controls() {
        let json = serde_json::to_string("a\u{7f}b\u{9b}c\u{202e}d\u{1b}").unwrap();
        let safe = escape_json_text(json);
        assert!(!safe.chars().any(is_dangerous), "{safe}");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "a\u{7f}b\u{9b}c\u{202e}d\u{1b}");
    }
}
