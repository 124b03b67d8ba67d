//! One CSV row as RFC 4180 writes it (Exchange protocol logs): kept apart from the format so
//! other comma-separated logs can share it.

use std::borrow::Cow;

/// Splits one CSV row (RFC 4180: `"…"` quotes a field, `""` inside is one quote). An
/// unterminated quote takes the rest of the line.
///
/// A field is borrowed from the row unless it held a doubled quote or text after its closing
/// quote: every row of a big log passes here, and building each field character by character
/// cost two thirds of reading an Exchange log.
pub fn split_csv(line: &str) -> Vec<Cow<'_, str>> {
    let b = line.as_bytes();
    let mut fields = Vec::with_capacity(12);
    let mut at = 0;
    loop {
        if b.get(at) != Some(&b'"') {
            // Unquoted: up to the next comma.
            match memchr::memchr(b',', &b[at..]) {
                Some(n) => {
                    fields.push(Cow::Borrowed(&line[at..at + n]));
                    at += n + 1;
                }
                None => {
                    fields.push(Cow::Borrowed(&line[at..]));
                    return fields;
                }
            }
            continue;
        }
        // Quoted: to the closing quote (a doubled one is one quote), then anything up to the
        // next comma belongs to the field as written.
        let mut owned: Option<String> = None;
        let mut from = at + 1;
        let closed_at = loop {
            match memchr::memchr(b'"', &b[from..]).map(|n| from + n) {
                Some(q) if b.get(q + 1) == Some(&b'"') => {
                    owned.get_or_insert_with(String::new).push_str(&line[from..=q]);
                    from = q + 2;
                }
                Some(q) => break Some(q),
                None => break None,
            }
        };
        let Some(q) = closed_at else {
            fields.push(joined(owned, &line[from..]));
            return fields;
        };
        let inside = &line[from..q];
        let comma = memchr::memchr(b',', &b[q + 1..]).map(|n| q + 1 + n);
        let after = &line[q + 1..comma.unwrap_or(line.len())];
        let field = match (owned, after.is_empty()) {
            (None, true) => Cow::Borrowed(inside),
            (owned, _) => {
                let mut f = joined(owned, inside).into_owned();
                f.push_str(after);
                Cow::Owned(f)
            }
        };
        fields.push(field);
        match comma {
            Some(c) => at = c + 1,
            None => return fields,
        }
    }
}

/// What a quoted field gathered so far, and its last piece.
fn joined<'a>(owned: Option<String>, last: &'a str) -> Cow<'a, str> {
    match owned {
        Some(mut s) => {
            s.push_str(last);
            Cow::Owned(s)
        }
        None => Cow::Borrowed(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The character-by-character split `split_csv` replaced.
    fn split_csv_by_chars(line: &str) -> Vec<String> {
        let mut fields = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        let mut field_start = true;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if quoted {
                if c != '"' {
                    current.push(c);
                } else if chars.peek() == Some(&'"') {
                    chars.next();
                    current.push('"');
                } else {
                    quoted = false;
                }
            } else if c == ',' {
                fields.push(std::mem::take(&mut current));
                field_start = true;
                continue;
            } else if c == '"' && field_start {
                quoted = true;
            } else {
                current.push(c);
            }
            field_start = false;
        }
        fields.push(current);
        fields
    }

    #[test]
    fn fields_are_those_of_the_character_split() {
        let pieces = [
            ",",
            "\"",
            "\"\"",
            "a",
            "bc",
            " ",
            "é",
            ",\"",
            "\",",
            "220 mx, ready",
            "\"\"\"",
        ];
        let fields = crate::testdata::assert_same_on_texts(
            (&pieces, 12, 40_000),
            |t| split_csv(t).into_iter().map(Cow::into_owned).collect::<Vec<_>>(),
            split_csv_by_chars,
            Vec::len,
        );
        assert!(fields > 100_000, "{fields}");
    }

    #[test]
    fn csv_quoting_and_empty_fields() {
        assert_eq!(split_csv("a,,b,"), ["a", "", "b", ""]);
        assert_eq!(
            split_csv(r#"t,>,"220 mx ready at Tue, 3 Mar 2026",x"#),
            ["t", ">", "220 mx ready at Tue, 3 Mar 2026", "x"]
        );
        assert_eq!(
            split_csv(r#"a,"say ""hi"", ok",b"#),
            ["a", r#"say "hi", ok"#, "b"]
        );
        assert_eq!(split_csv(r#"a,"unterminated, rest"#), ["a", "unterminated, rest"]);
        assert_eq!(split_csv(r#"a,"q","#), ["a", "q", ""]);
        assert_eq!(split_csv("solo"), ["solo"]);
    }
}
