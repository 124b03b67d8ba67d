//! Standard input kept for reading back. A log piped in (`journalctl -u postfix | smtpscope`,
//! the way to read a mail log that only the journal holds) cannot be read a second time, so
//! the viewer held every session whole: five times the log in memory. Instead the bytes are
//! kept as they pass, deflated in chunks of [`CHUNK`], and a compact row's lines are read back
//! from the chunks that hold them.

use std::io::{self, Read};
use std::sync::{Arc, RwLock};

/// Bytes of input per deflated chunk: reading a row back inflates at most this much before
/// its first line (a few milliseconds).
pub const CHUNK: usize = 1 << 20;

/// The input read so far: whole chunks deflated, the rest as it came.
pub struct Spool(RwLock<Held>);

struct Held {
    /// Bytes of input per chunk: [`CHUNK`] but in tests.
    chunk: usize,
    chunks: Vec<Vec<u8>>,
    tail: Vec<u8>,
}

impl Default for Spool {
    fn default() -> Self {
        Spool::with_chunks_of(CHUNK)
    }
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.0.read().unwrap_or_else(|e| e.into_inner());
        write!(
            f,
            "Spool({} chunks, {} bytes after)",
            held.chunks.len(),
            held.tail.len()
        )
    }
}

impl Spool {
    /// A spool deflating every `chunk` bytes (tests use small ones).
    pub fn with_chunks_of(chunk: usize) -> Spool {
        Spool(RwLock::new(Held {
            chunk: chunk.max(1),
            chunks: Vec::new(),
            tail: Vec::new(),
        }))
    }

    /// Bytes deflated and not: what keeping the input costs.
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        let held = self.0.read().unwrap_or_else(|e| e.into_inner());
        held.chunks.iter().map(Vec::len).sum::<usize>() + held.tail.len()
    }

    fn push(&self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let mut held = self.0.write().unwrap_or_else(|e| e.into_inner());
            let room = held.chunk - held.tail.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            held.tail.extend_from_slice(now);
            bytes = rest;
            if held.tail.len() == held.chunk {
                // Under the lock, so a reader never finds the chunk in neither place (reading
                // back waits a few milliseconds at most).
                let deflated = miniz_oxide::deflate::compress_to_vec(&held.tail, 1);
                held.chunks.push(deflated);
                held.tail.clear();
            }
        }
    }

    /// The bytes from offset `at` on, as far as they have been read.
    pub fn reader_at(self: &Arc<Self>, at: u64) -> SpoolReader {
        SpoolReader {
            spool: self.clone(),
            at,
            cur: Vec::new(),
            pos: 0,
        }
    }
}

/// Passes a reader's bytes through, keeping them in a [`Spool`].
pub struct Spooling<R> {
    inner: R,
    spool: Arc<Spool>,
}

impl<R: Read> Spooling<R> {
    pub fn new(inner: R, spool: Arc<Spool>) -> Self {
        Spooling { inner, spool }
    }
}

impl<R: Read> Read for Spooling<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.spool.push(&buf[..n]);
        Ok(n)
    }
}

/// Reads a [`Spool`] from an offset.
pub struct SpoolReader {
    spool: Arc<Spool>,
    /// Offset of the byte after `cur`.
    at: u64,
    cur: Vec<u8>,
    pos: usize,
}

impl SpoolReader {
    /// The piece holding offset `at`: its chunk inflated, or the tail; empty past the end.
    fn refill(&mut self) -> io::Result<()> {
        let (deflated, within) = {
            let held = self.spool.0.read().unwrap_or_else(|e| e.into_inner());
            let size = held.chunk as u64;
            let (chunk, within) = ((self.at / size) as usize, (self.at % size) as usize);
            match held.chunks.get(chunk) {
                Some(d) => (d.clone(), within),
                None => {
                    // The tail is chunk `chunks.len()`; a later chunk is not read yet.
                    let tail = if chunk == held.chunks.len() {
                        held.tail.get(within..).unwrap_or_default()
                    } else {
                        &[]
                    };
                    self.cur = tail.to_vec();
                    self.pos = 0;
                    self.at += self.cur.len() as u64;
                    return Ok(());
                }
            }
        };
        let whole = miniz_oxide::inflate::decompress_to_vec(&deflated).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("kept input is damaged: {e:?}"),
            )
        })?;
        self.cur = whole;
        self.pos = within.min(self.cur.len());
        self.at += (self.cur.len() - self.pos) as u64;
        Ok(())
    }
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.cur.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes kept as they pass read back from any offset, across chunks and into the tail,
    /// while more are still arriving.
    #[test]
    fn reads_back_from_any_offset() {
        let data: Vec<u8> = (0..(2 * CHUNK + 12_345) as u64)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 % 64 + b' ')
            .collect();
        let spool = Arc::new(Spool::default());
        let mut passed = Vec::new();
        let mut src = Spooling::new(&data[..], spool.clone());
        let mut buf = vec![0u8; 70_001];
        let n = data.len() as u64;
        let offsets = [
            0,
            1,
            CHUNK as u64 - 1,
            CHUNK as u64,
            CHUNK as u64 + 1,
            2 * CHUNK as u64 + 5,
            n - 1,
            n,
        ];
        loop {
            let got = src.read(&mut buf).unwrap();
            if got == 0 {
                break;
            }
            passed.extend_from_slice(&buf[..got]);
            // Midway, offsets already read give what was read so far.
            if passed.len() > CHUNK + 200_000 && passed.len() < CHUNK + 300_000 {
                let mut part = Vec::new();
                spool.reader_at(CHUNK as u64 - 7).read_to_end(&mut part).unwrap();
                assert_eq!(part, &passed[CHUNK - 7..]);
            }
        }
        assert_eq!(passed, data);
        assert!(
            spool.held_bytes() < data.len() / 2,
            "{} bytes held",
            spool.held_bytes()
        );
        for at in offsets {
            let mut back = Vec::new();
            spool.reader_at(at).read_to_end(&mut back).unwrap();
            assert_eq!(back, &data[at as usize..], "at {at}");
        }
    }
}
