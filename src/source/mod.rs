//! Where log text comes from: files, directories, standard input, gzip-rotated files. Reads
//! are streaming and read-only; lines are capped so one enormous line cannot exhaust memory.

pub mod follow;
pub mod gzip_index;
pub mod lines;
pub mod spool;
pub mod tailed;

use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Longest line kept; the rest of a longer line is skipped and the line marked truncated.
pub const MAX_LINE: usize = 64 * 1024;

/// A thing to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name shown to users and in `--json`'s `source`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// Turns command-line arguments into inputs: `-` is standard input, a directory contributes
/// its regular files (sorted, not recursive, hidden files skipped). Problems are returned as
/// messages so the other inputs still load.
pub fn expand(args: &[PathBuf]) -> (Vec<Input>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(arg) {
            Ok(m) if m.is_dir() => match std::fs::read_dir(arg) {
                Ok(entries) => {
                    let (files, skipped) = directory_files(entries);
                    inputs.extend(files.into_iter().map(Input::File));
                    problems.extend(skipped);
                }
                Err(e) => problems.push(format!("{}: cannot list directory: {e}", arg.display())),
            },
            Ok(_) => inputs.push(Input::File(arg.clone())),
            Err(e) => problems.push(describe_io(arg, &e)),
        }
    }
    (inputs, problems)
}

/// The regular files of a directory listing, sorted, hidden files left out; and a message for
/// each entry that is not read: a FIFO or socket would block the load forever, and
/// directories are not read recursively.
fn directory_files(entries: std::fs::ReadDir) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in entries.filter_map(Result::ok).map(|e| e.path()) {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => files.push(p),
            Ok(m) if m.is_dir() => skipped.push(format!(
                "{}: skipped: a directory (directories inside directories are not read; name it to read it)",
                p.display()
            )),
            Ok(_) => skipped.push(format!(
                "{}: skipped: not a regular file (FIFO, socket or device); name it to read it",
                p.display()
            )),
            Err(e) => skipped.push(describe_io(&p, &e)),
        }
    }
    files.sort();
    skipped.sort();
    (files, skipped)
}

/// A user-facing sentence for an I/O error on `path`: what happened and what to try.
pub fn describe_io(path: &Path, e: &io::Error) -> String {
    let hint = match e.kind() {
        io::ErrorKind::NotFound => " (check the path)",
        io::ErrorKind::PermissionDenied => " (try sudo, or ask for read access)",
        _ => "",
    };
    format!("{}: cannot read: {e}{hint}", path.display())
}

/// True when the file starts with gzip's magic bytes (it is read again at an offset through
/// [`gzip_index`], not directly).
pub fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == [0x1f, 0x8b])
}

/// Opens an input for reading, transparently decompressing gzip (recognised by its magic
/// bytes, not its name). Files are opened read-only and never locked.
pub fn open(input: &Input) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File(p) => Box::new(File::open(p)?),
    };
    let mut buf = BufReader::with_capacity(256 * 1024, raw);
    let head = buf.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        return Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(buf),
        )));
    }
    Ok(Box::new(buf))
}

/// Splits a byte stream into lines without ever holding more than [`MAX_LINE`] of one line.
/// A line that lies whole in the reader's buffer (nearly every line) is lent from there, not
/// copied.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    number: u64,
    /// Bytes consumed so far, plus where reading started.
    pos: u64,
    /// Bytes of `inner`'s buffer the last line was lent from, consumed on the next call.
    lent: usize,
}

/// One line as read: its number, where it starts in the input, its bytes (CR/LF removed), and
/// whether it was cut short.
pub struct RawLine<'a> {
    pub number: u64,
    pub offset: u64,
    pub bytes: &'a [u8],
    pub truncated: bool,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        Self::starting_at(inner, 1, 0)
    }

    /// A reader positioned at line `number` (1-based), byte `offset` of its input: for
    /// reading part of a file again.
    pub fn starting_at(inner: R, number: u64, offset: u64) -> Self {
        LineReader {
            inner,
            buf: Vec::with_capacity(1024),
            number: number.saturating_sub(1),
            pos: offset,
            lent: 0,
        }
    }

    /// The next line, or `None` at end of input. A final line without a newline is returned.
    pub fn next_line(&mut self) -> io::Result<Option<RawLine<'_>>> {
        let lent = std::mem::take(&mut self.lent);
        self.inner.consume(lent);
        self.pos += lent as u64;
        let offset = self.pos;
        // Errors and lines that are long or cross the buffer's end take the copying path.
        let whole = self
            .inner
            .fill_buf()
            .ok()
            .and_then(|avail| memchr::memchr(b'\n', avail))
            .filter(|&i| i <= MAX_LINE);
        if let Some(i) = whole {
            // Asking again returns the same buffered bytes: nothing was consumed.
            let avail = self.inner.fill_buf()?;
            self.lent = i + 1;
            self.number += 1;
            return Ok(Some(RawLine {
                number: self.number,
                offset,
                bytes: strip_cr(&avail[..i]),
                truncated: false,
            }));
        }
        self.buf.clear();
        let mut truncated = false;
        let mut saw_any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = MAX_LINE.saturating_sub(self.buf.len());
            if take > room {
                truncated = true;
            }
            self.buf.extend_from_slice(&avail[..take.min(room)]);
            let consumed = if done { take + 1 } else { take };
            self.inner.consume(consumed);
            self.pos += consumed as u64;
            if done {
                break;
            }
        }
        self.number += 1;
        Ok(Some(RawLine {
            number: self.number,
            offset,
            bytes: strip_cr(&self.buf),
            truncated,
        }))
    }
}

/// The line without the CR of a CRLF ending.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// True when the start of a file looks like binary data rather than a text log: NUL bytes or
/// mostly non-text control bytes.
pub fn looks_binary(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let sample = &head[..head.len().min(8192)];
    let nul = sample.iter().filter(|&&b| b == 0).count();
    let ctrl = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    nul * 100 > sample.len() || ctrl * 10 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_caps_lines() {
        let mut data = b"a\r\nbb\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        data.extend(b"\nlast");
        let mut r = LineReader::new(io::Cursor::new(data));
        let l = r.next_line().unwrap().unwrap();
        assert_eq!((l.number, l.bytes, l.truncated), (1, &b"a"[..], false));
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"bb");
        let l = r.next_line().unwrap().unwrap();
        assert!(l.truncated && l.bytes.len() == MAX_LINE);
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"last");
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn lines_lent_from_the_buffer_or_copied_across_its_end_are_the_same() {
        let text: Vec<u8> = (0..200)
            .flat_map(|i| format!("line {i} {}\r\n", "x".repeat(i % 23)).into_bytes())
            .collect();
        let want: Vec<(u64, Vec<u8>)> = text
            .split_inclusive(|&b| b == b'\n')
            .scan(0u64, |at, l| {
                let start = *at;
                *at += l.len() as u64;
                Some((start, l.strip_suffix(b"\r\n").unwrap_or(l).to_vec()))
            })
            .collect();
        for capacity in [7, 16, 64, 8192] {
            let mut r = LineReader::new(io::BufReader::with_capacity(capacity, &text[..]));
            let mut got = Vec::new();
            while let Some(l) = r.next_line().unwrap() {
                assert!(!l.truncated);
                assert_eq!(l.number, got.len() as u64 + 1);
                got.push((l.offset, l.bytes.to_vec()));
            }
            assert_eq!(got, want, "buffer of {capacity}");
        }
    }

    #[test]
    fn binary_detection() {
        assert!(looks_binary(&[0u8, 1, 2, 3, 0, 0, 7, 8]));
        assert!(!looks_binary(b"220 mail.example ESMTP\r\n"));
    }
}
