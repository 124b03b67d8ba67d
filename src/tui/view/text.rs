//! Text measuring, fitting and wrapping by display width (CJK is two columns), with search
//! highlights. Callers pass text already passed through `sanitize::escape_controls`.

use ratatui::style::Style;
use ratatui::text::Span;
use std::ops::Range;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to `w` columns with `mark` at the end when it did not fit, padded to exactly `w`.
pub fn fit(s: &str, w: usize, mark: &str) -> String {
    let mut out = String::new();
    if width(s) <= w {
        out.push_str(s);
    } else {
        let room = w.saturating_sub(width(mark));
        let mut used = 0;
        for c in s.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > room {
                break;
            }
            used += cw;
            out.push(c);
        }
        if w >= width(mark) {
            out.push_str(mark);
        }
    }
    let pad = w.saturating_sub(width(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// Byte ranges of `hay` that match `needle` (lowercase) ignoring case, not overlapping.
pub fn find_ci(hay: &str, needle: &str) -> Vec<Range<usize>> {
    let want: Vec<char> = needle.chars().collect();
    if want.is_empty() {
        return Vec::new();
    }
    // Each lowercased char with the byte range of the original char it came from.
    let mut low: Vec<(char, usize, usize)> = Vec::with_capacity(hay.len());
    for (i, c) in hay.char_indices() {
        for l in c.to_lowercase() {
            low.push((l, i, i + c.len_utf8()));
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i + want.len() <= low.len() {
        if low[i..i + want.len()].iter().zip(&want).all(|(a, b)| a.0 == *b) {
            out.push(low[i].1..low[i + want.len() - 1].2);
            i += want.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the rows `text` wraps into: at most `first` columns, then `rest` columns.
/// Breaks after a space when the row has one, else inside the word; never drops a character
/// and never splits a wide character.
pub fn break_rows(text: &str, first: usize, rest: usize) -> Vec<Range<usize>> {
    let mut rows = Vec::new();
    let mut start = 0;
    let mut used = 0;
    // Byte offset just after the last space in the current row, and the columns up to it.
    let mut last_space: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        let cw = c.width().unwrap_or(0);
        let limit = if rows.is_empty() { first } else { rest }.max(2);
        if cw > 0 && used + cw > limit && i > start {
            match last_space {
                Some((at, cols)) if at > start && at < i + c.len_utf8() => {
                    rows.push(start..at);
                    start = at;
                    used -= cols;
                }
                _ => {
                    rows.push(start..i);
                    start = i;
                    used = 0;
                }
            }
            last_space = None;
            // The carried-over word may itself fill the new row.
            if used + cw > rest.max(2) && i > start {
                rows.push(start..i);
                start = i;
                used = 0;
            }
        }
        used += cw;
        if c == ' ' {
            last_space = Some((i + 1, used));
        }
    }
    rows.push(start..text.len());
    rows
}

/// Splits `text` into rows (see [`break_rows`]), styling the `marks` ranges with `hl` and
/// everything else with `base`.
pub fn wrap(
    text: &str,
    first: usize,
    rest: usize,
    base: Style,
    marks: &[Range<usize>],
    hl: Style,
) -> Vec<Vec<Span<'static>>> {
    break_rows(text, first, rest)
        .into_iter()
        .map(|r| styled(text, r, base, marks, hl))
        .collect()
}

/// Spans for `text[range]` with the parts inside `marks` in `hl`.
fn styled(
    text: &str,
    range: Range<usize>,
    base: Style,
    marks: &[Range<usize>],
    hl: Style,
) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_style = base;
    for (i, c) in text[range.clone()].char_indices() {
        let at = range.start + i;
        let style = if marks.iter().any(|m| m.contains(&at)) {
            hl
        } else {
            base
        };
        if style != cur_style && !cur.is_empty() {
            out.push(Span::styled(std::mem::take(&mut cur), cur_style));
        }
        cur_style = style;
        cur.push(c);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(Span::styled(cur, cur_style));
    }
    out
}

/// Spans for a one-row cell with search marks.
pub fn marked(text: String, base: Style, needle: Option<&str>, hl: Style) -> Vec<Span<'static>> {
    let marks = needle.map(|n| find_ci(&text, n)).unwrap_or_default();
    if marks.is_empty() {
        return vec![Span::styled(text, base)];
    }
    wrap(&text, usize::MAX / 2, usize::MAX / 2, base, &marks, hl)
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(rows: &[Vec<Span<'static>>]) -> Vec<String> {
        rows.iter()
            .map(|r| r.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn fit_counts_columns_not_bytes() {
        assert_eq!(fit("日本語テキスト", 7, "…"), "日本語…");
        assert_eq!(width(&fit("日本語テキスト", 7, "…")), 7);
        assert_eq!(fit("abc", 5, "…"), "abc  ");
        assert_eq!(fit("abcdef", 4, "~"), "abc~");
    }

    #[test]
    fn wrap_keeps_every_char_and_never_splits_a_wide_char() {
        let rows = wrap("日本語のメール", 5, 4, Style::new(), &[], Style::new());
        assert_eq!(plain(&rows), ["日本", "語の", "メー", "ル"]);
        let rows = wrap("250 2.1.5 ok fine", 10, 10, Style::new(), &[], Style::new());
        assert_eq!(plain(&rows), ["250 2.1.5 ", "ok fine"]);
        let rows = wrap("abcdefghij", 4, 4, Style::new(), &[], Style::new());
        assert_eq!(plain(&rows), ["abcd", "efgh", "ij"]);
        let rows = wrap("a bcdefgh", 4, 4, Style::new(), &[], Style::new());
        assert!(rows
            .iter()
            .all(|r| r.iter().map(|s| width(&s.content)).sum::<usize>() <= 4));
        assert!(rows
            .iter()
            .all(|r| r.iter().map(|s| width(&s.content)).sum::<usize>() <= 5));
        assert_eq!(plain(&wrap("", 5, 5, Style::new(), &[], Style::new())), [""]);
    }

    #[test]
    fn find_ci_maps_back_to_original_bytes() {
        assert_eq!(find_ci("Hello HELLO", "hello"), [0..5, 6..11]);
        assert_eq!(find_ci("ÄÖ x", "äö").first(), Some(&(0..4)));
        assert!(find_ci("abc", "").is_empty());
    }
}
