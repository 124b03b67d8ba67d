//! `--list`/`--json` of several inputs print their sessions merged by start time, so nothing
//! can be printed before the last input is read. The sessions themselves are not kept until
//! then (a gigabyte of log is several gigabytes of sessions): each input is streamed, and
//! each session's output line is kept, compressed in blocks, with its start. At the end the
//! lines are printed in order: by start when every session has a dated start (ties keep
//! input and file order), else in input and file order.

use chrono::NaiveDateTime;
use std::io::{self, Write};

/// Bytes of output lines per compressed block; a longer line gets a block of its own.
const BLOCK: usize = 256 * 1024;

/// Decompressed blocks kept while printing: a few inputs whose times interleave read their
/// blocks in turn.
const CACHED_BLOCKS: usize = 8;

/// Output lines waiting to be printed in start order.
pub struct HeldLines {
    blocks: Vec<Vec<u8>>,
    tail: Vec<u8>,
    entries: Vec<Entry>,
    all_dated: bool,
}

/// One held line: its session's start, and where its bytes are.
struct Entry {
    start: Option<NaiveDateTime>,
    block: u32,
    at: u32,
    len: u32,
}

impl Default for HeldLines {
    fn default() -> Self {
        HeldLines {
            blocks: Vec::new(),
            tail: Vec::new(),
            entries: Vec::new(),
            all_dated: true,
        }
    }
}

impl HeldLines {
    /// Call for every session read, printed or not: lines are ordered by start only when
    /// every session has a dated start.
    pub fn saw(&mut self, dated_start: bool) {
        self.all_dated &= dated_start;
    }

    /// Keeps `line` (without its newline), to be printed in `start` order.
    pub fn push(&mut self, start: Option<NaiveDateTime>, line: &[u8]) {
        if !self.tail.is_empty() && self.tail.len() + line.len() > BLOCK {
            self.seal();
        }
        self.entries.push(Entry {
            start,
            block: self.blocks.len() as u32,
            at: self.tail.len() as u32,
            len: line.len() as u32,
        });
        self.tail.extend_from_slice(line);
    }

    /// Lines held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn seal(&mut self) {
        self.blocks
            .push(lz4_flex::block::compress_prepend_size(&self.tail));
        self.tail.clear();
    }

    /// Writes every line, each with a newline, in order.
    pub fn write_to(mut self, out: &mut impl Write) -> io::Result<()> {
        if !self.tail.is_empty() {
            self.seal();
        }
        if self.all_dated {
            // Stable: ties keep input and file order.
            self.entries.sort_by_key(|e| e.start);
        }
        let mut cache: Vec<(u32, Vec<u8>)> = Vec::with_capacity(CACHED_BLOCKS);
        for e in &self.entries {
            let at = match cache.iter().position(|(b, _)| *b == e.block) {
                Some(at) => at,
                None => {
                    let bytes = lz4_flex::block::decompress_size_prepended(&self.blocks[e.block as usize])
                        .map_err(|err| io::Error::other(format!("held output damaged: {err}")))?;
                    if cache.len() == CACHED_BLOCKS {
                        cache.remove(0);
                    }
                    cache.push((e.block, bytes));
                    cache.len() - 1
                }
            };
            let block = &cache[at].1;
            let (from, to) = (e.at as usize, e.at as usize + e.len as usize);
            out.write_all(&block[from..to])?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn when(secs: i64) -> Option<NaiveDateTime> {
        chrono::DateTime::from_timestamp(secs, 0).map(|t| t.naive_utc())
    }

    fn printed(held: HeldLines) -> Vec<String> {
        let mut out = Vec::new();
        held.write_to(&mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Lines come out by start, ties in the order they were held, across many blocks (and
    /// a line longer than a block), as a stable sort of the lines themselves gives.
    #[test]
    fn lines_come_out_as_a_stable_sort_by_start() {
        let mut held = HeldLines::default();
        let mut want = Vec::new();
        let long = "x".repeat(BLOCK + 10);
        for i in 0..20_000i64 {
            // Two inputs' times interleaving, with ties.
            let start = if i < 10_000 {
                i * 2
            } else {
                (i - 10_000) * 2 + i % 3
            };
            let line = match i {
                12_345 => format!("{i} {long}"),
                _ => format!("{i} session line {}", "y".repeat((i % 50) as usize)),
            };
            held.saw(true);
            held.push(when(start), line.as_bytes());
            want.push((start, line));
        }
        assert_eq!(held.len(), 20_000);
        want.sort_by_key(|w| w.0);
        let want: Vec<String> = want.into_iter().map(|w| w.1).collect();
        assert_eq!(printed(held), want);
    }

    /// One session without a dated start anywhere (printed or not) keeps the held order.
    #[test]
    fn an_undated_session_keeps_input_order() {
        let mut held = HeldLines::default();
        for (i, start) in [5, 3, 9, 1].into_iter().enumerate() {
            held.saw(true);
            held.push(when(start), format!("line {i}").as_bytes());
        }
        held.saw(false);
        assert_eq!(printed(held), ["line 0", "line 1", "line 2", "line 3"]);
        assert!(printed(HeldLines::default()).is_empty());
    }
}
