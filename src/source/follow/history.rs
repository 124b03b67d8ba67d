//! Every file a followed name has had, as far as it was read: the viewer keeps a live tail's
//! settled sessions as compact rows and reads their lines again from here when they are shown
//! (see [`crate::reread`]). A followed stream is one line numbering over several files (a
//! rotation starts a new file, `copytruncate` starts the same file over), so reading back
//! needs to know which file holds which part of the stream.
//!
//! Each part keeps its file open (a duplicate of the follower's descriptor, read with
//! positioned reads so the follower's own position is untouched): a file rotated away, even
//! deleted, can still be read while the viewer runs, and its disk space is freed when the
//! viewer exits. A part cut off by `copytruncate` is gone: reading it is an error that says so.

use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, RwLock};

/// The parts of one followed stream, appended to by the follower as it reads.
#[derive(Debug, Default)]
pub struct FileHistory {
    parts: RwLock<Vec<Part>>,
}

#[derive(Debug)]
struct Part {
    /// Where the part starts in the stream.
    start: u64,
    /// The stream's line number of the part's first line.
    first_line: u64,
    file: Option<File>,
    /// Bytes read from the file, from its start.
    len: u64,
    /// Why its bytes can no longer be read, once they cannot.
    lost: Option<String>,
}

impl FileHistory {
    /// A new file (or the same file from its start again) continues the stream at `start`
    /// (the splitter's offset: every line before it ended, a cut last line with a newline
    /// counted) with line `first_line`.
    pub fn begin(&self, file: io::Result<File>, start: u64, first_line: u64) {
        let (file, lost) = match file {
            Ok(f) => (Some(f), None),
            Err(e) => (
                None,
                Some(format!("it could not be kept open for reading again: {e}")),
            ),
        };
        self.write().push(Part {
            start,
            first_line,
            file,
            len: 0,
            lost,
        });
    }

    /// The current file has been read to `len` bytes.
    pub fn grew(&self, len: u64) {
        if let Some(p) = self.write().last_mut() {
            p.len = len;
        }
    }

    /// The current file's bytes are gone (it was truncated in place); its handle is let go.
    pub fn lose_current(&self, why: &'static str) {
        if let Some(p) = self.write().last_mut() {
            p.lost = Some(why.into());
            p.file = None;
        }
    }

    /// Where to start reading line `line` back, given the checkpoint `(line, offset)` before
    /// it: the checkpoint, unless a later part begins before the line (a checkpoint in an
    /// earlier file would have to be read through, and may be lost).
    pub fn start_for(&self, line: u64, checkpoint: (u64, u64)) -> (u64, u64) {
        let parts = self.read();
        let at = parts.partition_point(|p| p.first_line <= line);
        match at.checked_sub(1).map(|i| &parts[i]) {
            Some(p) if p.start > checkpoint.1 => (p.first_line, p.start),
            _ => checkpoint,
        }
    }

    /// The stream from offset `at` on, as far as it was read.
    pub fn reader_at(self: &Arc<Self>, at: u64) -> HistoryReader {
        HistoryReader {
            history: self.clone(),
            at,
            skip_lost: false,
            blanks: 0,
        }
    }

    /// The whole stream for a search: a lost part reads as as many empty lines as it had,
    /// so the lines after it keep their numbers.
    pub fn reader_skipping_lost(self: &Arc<Self>) -> HistoryReader {
        HistoryReader {
            skip_lost: true,
            ..self.reader_at(0)
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Part>> {
        self.parts.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Part>> {
        self.parts.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads a followed stream back across its files, as it was read.
pub struct HistoryReader {
    history: Arc<FileHistory>,
    at: u64,
    skip_lost: bool,
    /// Empty lines still to give for a lost part skipped.
    blanks: u64,
}

impl Read for HistoryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.blanks > 0 {
            let n = (buf.len() as u64).min(self.blanks) as usize;
            buf[..n].fill(b'\n');
            self.blanks -= n as u64;
            return Ok(n);
        }
        let parts = self.history.read();
        let Some(i) = parts.partition_point(|p| p.start <= self.at).checked_sub(1) else {
            return Ok(0);
        };
        let part = &parts[i];
        // A part ends where the next begins: its bytes, and a newline after a cut last line.
        let end = parts.get(i + 1).map_or(part.start + part.len, |next| next.start);
        if self.at >= end {
            return Ok(0);
        }
        let Some(file) = part.file.as_ref().filter(|_| part.lost.is_none()) else {
            if !self.skip_lost {
                let why = part.lost.clone().unwrap_or_default();
                return Err(io::Error::other(why));
            }
            let next_line = parts.get(i + 1).map_or(part.first_line, |next| next.first_line);
            self.blanks = next_line - part.first_line;
            self.at = end;
            drop(parts);
            return self.read(buf);
        };
        let local = self.at - part.start;
        let n = if local >= part.len {
            buf[0] = b'\n';
            1
        } else {
            let want = (buf.len() as u64).min(part.len - local) as usize;
            match read_at(file, &mut buf[..want], local)? {
                // The file is shorter than it was when read: what is left is all there is.
                0 => return Ok(0),
                n => n,
            }
        };
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_file: &File, _buf: &mut [u8], _at: u64) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "reading a followed file again is not supported on this system",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(dir: &std::path::Path, name: &str, text: &[u8]) -> File {
        let path = dir.join(name);
        std::fs::File::create(&path).unwrap().write_all(text).unwrap();
        File::open(&path).unwrap()
    }

    fn read_from(h: &Arc<FileHistory>, at: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        // Small reads, so part boundaries fall inside and between them.
        let mut r = h.reader_at(at);
        let mut buf = [0u8; 3];
        loop {
            match r.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Two files read one after the other are one stream: the first's cut last line gets
    /// the newline the splitter counted, only what was read of a file is read back, and a
    /// truncated part says why it cannot be read.
    #[test]
    fn parts_read_back_as_one_stream() {
        let dir = tempfile::tempdir().unwrap();
        let h = Arc::new(FileHistory::default());
        h.begin(Ok(file_with(dir.path(), "a", b"one\ntwo")), 0, 1);
        h.grew(7);
        // The follower finished the cut line `two`: the stream counted 8 bytes.
        h.begin(Ok(file_with(dir.path(), "b", b"three\nfour\nnot read yet")), 8, 3);
        h.grew(11);
        assert_eq!(read_from(&h, 0).unwrap(), b"one\ntwo\nthree\nfour\n");
        assert_eq!(read_from(&h, 6).unwrap(), b"o\nthree\nfour\n");
        assert_eq!(read_from(&h, 8).unwrap(), b"three\nfour\n");
        assert_eq!(read_from(&h, 19).unwrap(), b"");
        // A line in the second file starts there, not at a checkpoint in the first.
        assert_eq!(h.start_for(4, (1, 0)), (3, 8));
        assert_eq!(h.start_for(2, (1, 0)), (1, 0));
        assert_eq!(h.start_for(4, (4, 14)), (4, 14));
        h.begin(Ok(file_with(dir.path(), "c", b"five\n")), 19, 5);
        h.grew(5);
        assert_eq!(read_from(&h, 14).unwrap(), b"four\nfive\n");
        // `a` lost: reading through it fails; after it the stream is still there.
        let lost = Arc::new(FileHistory::default());
        lost.begin(Ok(file_with(dir.path(), "a2", b"one\ntwo\n")), 0, 1);
        lost.grew(8);
        lost.lose_current("truncated in place after it was read");
        lost.begin(Ok(file_with(dir.path(), "b2", b"three\n")), 8, 3);
        lost.grew(6);
        let err = read_from(&lost, 0).unwrap_err();
        assert!(err.to_string().contains("truncated in place"), "{err}");
        assert_eq!(read_from(&lost, 8).unwrap(), b"three\n");
        // A search reads the lost lines as empty ones: `three` is still line 3.
        let mut all = Vec::new();
        lost.reader_skipping_lost().read_to_end(&mut all).unwrap();
        assert_eq!(all, b"\n\nthree\n");
    }

    /// A file shorter than what was read (cut before the follower noticed) ends the stream
    /// where its bytes end, without an error.
    #[test]
    fn a_file_cut_short_reads_what_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let h = Arc::new(FileHistory::default());
        h.begin(Ok(file_with(dir.path(), "a", b"one\n")), 0, 1);
        h.grew(10);
        assert_eq!(read_from(&h, 0).unwrap(), b"one\n");
    }
}
