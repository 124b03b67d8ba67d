//! One CSV row as RFC 4180 writes it (Exchange protocol logs): kept apart from the format so
//! other comma-separated logs can share it.

/// Splits one CSV row (RFC 4180: `"…"` quotes a field, `""` inside is one quote). An
/// unterminated quote takes the rest of the line.
pub fn split_csv(line: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
