//! `--list`/`--json` of several inputs print their sessions merged by start time, so nothing
//! can be printed before the last input is read. The sessions themselves are not kept until
//! then (a gigabyte of log is several gigabytes of sessions): each input is streamed, and
//! each session's output line is kept, compressed in blocks, with its start. At the end the
//! lines are printed in order: by start when every session has a dated start (ties keep
//! input and file order), else in input and file order.
//!
//! Even compressed, `--json` lines are a good part of the logs' size (their text is 2.6× the
//! log, lz4 makes that 0.4×), so past [`SPILL_AFTER`] the blocks go to an unnamed temporary
//! file, as `sort` does: the kernel keeps them in its page cache while there is room, and
//! writes them out, instead of this process holding them. Where no such file can be made or
//! written (no space, a read-only directory), the blocks stay in memory.

use chrono::NaiveDateTime;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// Bytes of output lines per compressed block; a longer line gets a block of its own.
const BLOCK: usize = 256 * 1024;

/// Decompressed blocks kept while printing: a few inputs whose times interleave read their
/// blocks in turn.
const CACHED_BLOCKS: usize = 8;

/// Compressed bytes kept in memory before blocks go to a temporary file: a few inputs'
/// `--list` lines of a normal day stay in memory.
const SPILL_AFTER: usize = 32 * 1024 * 1024;

/// Output lines waiting to be printed in start order.
pub struct HeldLines {
    blocks: Vec<Block>,
    tail: Vec<u8>,
    entries: Vec<Entry>,
    all_dated: bool,
    spill: Spill,
}

/// A sealed, compressed block of lines.
enum Block {
    Memory(Vec<u8>),
    /// In the spill file, at this offset.
    File {
        at: u64,
        len: u32,
    },
}

/// Where blocks go once memory holds [`Spill::after`] bytes of them.
struct Spill {
    after: usize,
    /// The directory of the temporary file; `None`: the system's (see [`spill_dir`]).
    dir: Option<PathBuf>,
    in_memory: usize,
    file: Option<File>,
    written: u64,
    /// Making or writing the file failed once: everything stays in memory from then on.
    failed: bool,
}

/// [`SPILL_AFTER`]; `SMTPSCOPE_DEBUG_SPILL_AFTER` (bytes) lets tests spill small outputs.
fn spill_after() -> usize {
    std::env::var("SMTPSCOPE_DEBUG_SPILL_AFTER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SPILL_AFTER)
}

/// `TMPDIR` if set, else `/var/tmp`, which is on disk where `/tmp` may be memory (tmpfs),
/// else the system's temporary directory.
fn spill_dir() -> PathBuf {
    match std::env::var_os("TMPDIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ if std::path::Path::new("/var/tmp").is_dir() => PathBuf::from("/var/tmp"),
        _ => std::env::temp_dir(),
    }
}

impl Spill {
    /// Where a sealed block is kept: in the file when memory holds enough already and the
    /// file takes it, else in memory.
    fn keep(&mut self, bytes: Vec<u8>) -> Block {
        if self.in_memory + bytes.len() > self.after && !self.failed {
            if self.file.is_none() {
                let dir = self.dir.clone().unwrap_or_else(spill_dir);
                // Unnamed (O_TMPFILE) where the system can: nothing is left behind, even
                // when the process is killed.
                match tempfile::tempfile_in(&dir) {
                    Ok(file) => self.file = Some(file),
                    Err(_) => self.failed = true,
                }
            }
            if let Some(file) = &self.file {
                match file.write_all_at(&bytes, self.written) {
                    Ok(()) => {
                        let at = self.written;
                        self.written += bytes.len() as u64;
                        return Block::File {
                            at,
                            len: bytes.len() as u32,
                        };
                    }
                    Err(_) => self.failed = true,
                }
            }
        }
        self.in_memory += bytes.len();
        Block::Memory(bytes)
    }

    /// The compressed bytes of `block`.
    fn read<'b>(&self, block: &'b Block) -> io::Result<Cow<'b, [u8]>> {
        match block {
            Block::Memory(bytes) => Ok(Cow::Borrowed(bytes)),
            Block::File { at, len } => {
                let file = self
                    .file
                    .as_ref()
                    .ok_or_else(|| io::Error::other("held output lost its file"))?;
                let mut bytes = vec![0; *len as usize];
                file.read_exact_at(&mut bytes, *at)?;
                Ok(Cow::Owned(bytes))
            }
        }
    }
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
            spill: Spill {
                after: spill_after(),
                dir: None,
                in_memory: 0,
                file: None,
                written: 0,
                failed: false,
            },
        }
    }
}

impl HeldLines {
    /// Tests: blocks go to a file in `dir` once memory holds `after` bytes of them.
    #[cfg(test)]
    fn spilling(after: usize, dir: PathBuf) -> Self {
        let mut held = HeldLines::default();
        held.spill.after = after;
        held.spill.dir = Some(dir);
        held
    }

    /// Blocks kept in the temporary file.
    #[cfg(test)]
    fn spilled(&self) -> usize {
        self.blocks
            .iter()
            .filter(|b| matches!(b, Block::File { .. }))
            .count()
    }

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
        let sealed = lz4_flex::block::compress_prepend_size(&self.tail);
        let block = self.spill.keep(sealed);
        self.blocks.push(block);
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
                    let compressed = self.spill.read(&self.blocks[e.block as usize])?;
                    let bytes = lz4_flex::block::decompress_size_prepended(&compressed)
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

    /// Holds 20,000 lines in `held` (two inputs' interleaving times, with ties, across many
    /// blocks, one line longer than a block); gives them as a stable sort by start orders them.
    fn hold_lines(held: &mut HeldLines) -> Vec<String> {
        let mut want = Vec::new();
        let long = "x".repeat(BLOCK + 10);
        for i in 0..20_000i64 {
            let start = if i < 10_000 {
                i * 2
            } else {
                (i - 10_000) * 2 + i % 3
            };
            // A number that changes from line to line, so blocks compress to several sizes.
            let noise = (i as u64).wrapping_mul(2_654_435_761) % 1_000_003;
            let line = match i {
                12_345 => format!("{i} {long}"),
                _ => format!("{i} session line {noise} {}", "y".repeat((i % 50) as usize)),
            };
            held.saw(true);
            held.push(when(start), line.as_bytes());
            want.push((start, line));
        }
        assert_eq!(held.len(), 20_000);
        want.sort_by_key(|w| w.0);
        want.into_iter().map(|w| w.1).collect()
    }

    #[test]
    fn lines_come_out_as_a_stable_sort_by_start() {
        let mut held = HeldLines::default();
        let want = hold_lines(&mut held);
        assert_eq!(held.spilled(), 0);
        assert_eq!(printed(held), want);
    }

    /// Past the limit, blocks go to the temporary file and come back the same: every block,
    /// or all but the first.
    #[test]
    fn spilled_blocks_come_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let mut held = HeldLines::spilling(0, dir.path().to_owned());
        let want = hold_lines(&mut held);
        held.seal();
        assert_eq!(held.spilled(), held.blocks.len());
        assert!(held.blocks.len() > 4, "{} blocks", held.blocks.len());
        assert_eq!(printed(held), want);

        let mut in_memory = HeldLines::default();
        hold_lines(&mut in_memory);
        let Block::Memory(first) = &in_memory.blocks[0] else {
            panic!("the first block is in memory")
        };
        let mut held = HeldLines::spilling(first.len(), dir.path().to_owned());
        let want = hold_lines(&mut held);
        held.seal();
        assert!(matches!(held.blocks[0], Block::Memory(_)));
        assert_eq!(held.spilled(), held.blocks.len() - 1);
        assert_eq!(printed(held), want);
        // The file has no name: nothing is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// Where no temporary file can be made, the blocks stay in memory and print the same.
    #[test]
    fn without_a_temporary_file_blocks_stay_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let mut held = HeldLines::spilling(0, dir.path().join("no such directory"));
        let want = hold_lines(&mut held);
        assert_eq!(held.spilled(), 0);
        assert!(held.spill.failed);
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
