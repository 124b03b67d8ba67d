//! Line splitting for input that arrives in pieces (a growing file, a pipe): complete lines
//! are handed on as soon as their newline arrives; a partial last line is held until the rest
//! of it comes, so a line written in two `write`s is never read as two lines. Each line comes
//! with its offset in the stream, so it can be found again (see [`crate::reread`]).

use super::MAX_LINE;

/// Holds the unfinished tail of a byte stream between chunks. Lines longer than
/// [`MAX_LINE`] are cut to that length and flagged, and the rest of them is skipped without
/// being kept in memory.
#[derive(Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
    /// The held line passed [`MAX_LINE`]; its further bytes are dropped until the newline.
    overflow: bool,
    /// Where the held line starts in the stream, and how many bytes of it arrived (dropped
    /// and carriage-return bytes included).
    start: u64,
    held_raw: u64,
}

impl LineSplitter {
    pub fn new() -> Self {
        LineSplitter::default()
    }

    /// Splits `chunk`, calling `each(bytes, truncated, offset)` for every line completed by it
    /// (line ending, CR included, removed; `offset`: where the line starts in the stream).
    /// Bytes after the last newline are held. Stops at the first error `each` returns; the
    /// rest of the chunk is then discarded.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(&[u8], bool, u64) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.hold(&rest[..i]);
            rest = &rest[i + 1..];
            let result = self.emit(&mut each);
            result?;
        }
        self.hold(rest);
        Ok(())
    }

    /// Hands on the held partial line, if any, as a final line: for the true end of an input
    /// (end of a pipe, a rotated-away file), never for a pause in a growing file. The stream
    /// counts a newline after it, as if the line had ended with one.
    pub fn finish<E>(&mut self, mut each: impl FnMut(&[u8], bool, u64) -> Result<(), E>) -> Result<(), E> {
        if self.held_raw == 0 {
            return Ok(());
        }
        self.emit(&mut each)
    }

    /// Where the next line starts in the stream: the bytes of every line handed on so far,
    /// with their newlines (one counted after a line [`LineSplitter::finish`] ended).
    pub fn offset(&self) -> u64 {
        self.start
    }

    /// Bytes of a partial line held, waiting for its newline.
    pub fn held(&self) -> usize {
        self.pending.len()
    }

    fn hold(&mut self, bytes: &[u8]) {
        self.held_raw += bytes.len() as u64;
        let room = MAX_LINE.saturating_sub(self.pending.len());
        if bytes.len() > room {
            self.overflow = true;
        }
        self.pending.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn emit<E>(&mut self, each: &mut impl FnMut(&[u8], bool, u64) -> Result<(), E>) -> Result<(), E> {
        let mut end = self.pending.len();
        if end > 0 && self.pending[end - 1] == b'\r' {
            end -= 1;
        }
        let result = each(&self.pending[..end], self.overflow, self.start);
        self.start += self.held_raw + 1;
        self.held_raw = 0;
        self.pending.clear();
        self.overflow = false;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(chunks: &[&[u8]], finish: bool) -> Vec<(String, bool)> {
        let mut s = LineSplitter::new();
        let mut out = Vec::new();
        let mut take = |b: &[u8], t: bool, _at: u64| -> Result<(), ()> {
            out.push((String::from_utf8_lossy(b).into_owned(), t));
            Ok(())
        };
        for c in chunks {
            s.push(c, &mut take).unwrap();
        }
        if finish {
            s.finish(&mut take).unwrap();
        }
        out
    }

    #[test]
    fn partial_lines_are_held_until_their_newline() {
        let got = lines_of(&[b"250-mail.exa", b"mple\r", b"\n250 OK\r\n", b"QUI"], false);
        assert_eq!(
            got,
            [("250-mail.example".into(), false), ("250 OK".into(), false)]
        );
        // At the true end of input the held tail is a line of its own.
        let got = lines_of(&[b"a\nQUI", b"T"], true);
        assert_eq!(got, [("a".into(), false), ("QUIT".into(), false)]);
    }

    #[test]
    fn held_bytes_are_reported_and_empty_lines_kept() {
        let mut s = LineSplitter::new();
        let mut n = 0;
        s.push(b"\n\nabc", |_, _, _| -> Result<(), ()> {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!((n, s.held()), (2, 3));
    }

    #[test]
    fn huge_lines_are_cut_and_flagged_across_chunks() {
        let big = vec![b'x'; MAX_LINE - 10];
        let got = lines_of(&[&big, &big, b"\nnext\n"], false);
        assert_eq!(got.len(), 2);
        assert!(got[0].1 && got[0].0.len() == MAX_LINE);
        assert_eq!(got[1], ("next".into(), false));
    }

    /// Every line's offset is where its bytes start in the stream, through carriage returns,
    /// cut lines and chunk boundaries; a line ended by `finish` counts a newline after it.
    #[test]
    fn offsets_find_each_line_in_the_stream() {
        let big = vec![b'y'; MAX_LINE + 500];
        let mut stream = b"one\r\n\ntwo\n".to_vec();
        stream.extend_from_slice(&big);
        stream.extend_from_slice(b"\nthree\r\nfour");
        let mut s = LineSplitter::new();
        let mut got = Vec::new();
        for chunk in stream.chunks(7) {
            s.push(chunk, |b: &[u8], _, at| -> Result<(), ()> {
                got.push((b.to_vec(), at));
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(
            s.offset(),
            stream.len() as u64 - 4,
            "the held line has not started a line"
        );
        s.finish(|b: &[u8], _, at| -> Result<(), ()> {
            got.push((b.to_vec(), at));
            Ok(())
        })
        .unwrap();
        assert_eq!(s.offset(), stream.len() as u64 + 1);
        assert_eq!(got.len(), 6);
        for (bytes, at) in &got {
            let at = *at as usize;
            assert_eq!(&stream[at..at + bytes.len()], &bytes[..], "line at {at}");
        }
        let starts: Vec<u64> = got.iter().map(|g| g.1).collect();
        let big_at = 10;
        let three = big_at + big.len() as u64 + 1;
        assert_eq!(starts, [0, 5, 6, big_at, three, three + 7]);
    }
}
