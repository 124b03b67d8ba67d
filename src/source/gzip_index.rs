//! Random access into gzip files. Rotated mail logs are usually gzip (`maillog.2.gz`), and
//! the viewer keeps a big log's sessions as compact rows read back from the file when shown.
//! A gzip stream decodes only from its start, so while the file loads the decoder's whole
//! state is noted every [`SNAPSHOT_EVERY`] bytes of output; reading a row back resumes from
//! the last state before its first line instead of decoding the file from the top. Without
//! this a gzip log was held whole: 1.4 GB for 256 MiB of Postfix log.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, RwLock};

/// Output bytes between two noted decoder states. Reading a row back decodes at most this
/// much before its first line (a few milliseconds); a state is about 43 KiB (the 32 KiB
/// window and the decoder's tables), so the index is about 2% of the decoded size.
pub const SNAPSHOT_EVERY: u64 = 2 << 20;

/// The decoder states noted while a gzip file was read, shared with the viewer's read-back
/// (it grows while the file still loads).
#[derive(Default)]
pub struct GzIndex(RwLock<Vec<Snapshot>>);

impl std::fmt::Debug for GzIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.read().map_or(0, |s| s.len());
        write!(f, "GzIndex({n} states)")
    }
}

/// The decoder part-way through a member.
#[derive(Clone)]
struct Snapshot {
    /// Bytes of output before this point.
    out: u64,
    /// File offset of the next compressed byte.
    input: u64,
    state: Box<InflateState>,
    /// Of the member's output so far, to check its trailer.
    crc: crc32fast::Hasher,
}

enum Phase {
    /// Before a member's header (or the end of the file).
    Header,
    Body(Box<InflateState>),
    Trailer,
}

/// A gzip file decoded as one stream of bytes (members one after another, each checked
/// against its CRC and length), optionally noting its states in a [`GzIndex`].
pub struct GzReader {
    file: File,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// File offset just past `buf[..len]`.
    file_at: u64,
    phase: Phase,
    out: u64,
    crc: crc32fast::Hasher,
    members: u64,
    index: Option<(Arc<GzIndex>, u64)>,
    next_snapshot: u64,
}

fn corrupt(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl GzReader {
    fn new(file: File, file_at: u64) -> GzReader {
        GzReader {
            file,
            buf: vec![0; 256 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            file_at,
            phase: Phase::Header,
            out: 0,
            crc: crc32fast::Hasher::new(),
            members: 0,
            index: None,
            next_snapshot: u64::MAX,
        }
    }

    /// Reads `file` from its start, noting a state in `index` every [`SNAPSHOT_EVERY`] bytes
    /// of output.
    pub fn indexing(file: File, index: Arc<GzIndex>) -> GzReader {
        GzReader::indexing_every(file, index, SNAPSHOT_EVERY)
    }

    /// As [`GzReader::indexing`], noting a state every `every` bytes (tests use small ones).
    pub fn indexing_every(file: File, index: Arc<GzIndex>, every: u64) -> GzReader {
        let mut r = GzReader::new(file, 0);
        r.index = Some((index, every));
        r.next_snapshot = every;
        r
    }

    /// The file at `path`, decoded from output offset `at`: from the last state noted at or
    /// before it (the file's start when none is), the bytes before `at` decoded and dropped.
    pub fn resume(path: &Path, index: &GzIndex, at: u64) -> io::Result<GzReader> {
        let snapshot = {
            let states = index.0.read().unwrap_or_else(|e| e.into_inner());
            let i = states.partition_point(|s| s.out <= at);
            i.checked_sub(1).map(|i| states[i].clone())
        };
        let mut file = File::open(path)?;
        let mut r = match snapshot {
            Some(s) => {
                file.seek(SeekFrom::Start(s.input))?;
                let mut r = GzReader::new(file, s.input);
                r.phase = Phase::Body(s.state);
                r.out = s.out;
                r.crc = s.crc;
                r.members = 1;
                r
            }
            None => GzReader::new(file, 0),
        };
        let mut skip = at - r.out;
        let mut scratch = vec![0u8; 64 * 1024];
        while skip > 0 {
            let n = r.read(&mut scratch[..skip.min(64 * 1024) as usize])?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            skip -= n as u64;
        }
        Ok(r)
    }

    /// Compressed bytes at hand, reading more when none are; false at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        let n = loop {
            match self.file.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        self.pos = 0;
        self.len = n;
        self.file_at += n as u64;
        Ok(n > 0)
    }

    /// File offset of the next compressed byte.
    fn input_at(&self) -> u64 {
        self.file_at - (self.len - self.pos) as u64
    }

    fn byte(&mut self) -> io::Result<u8> {
        if !self.fill()? {
            return Err(self.cut_short());
        }
        self.pos += 1;
        Ok(self.buf[self.pos - 1])
    }

    fn cut_short(&self) -> io::Error {
        corrupt(format!(
            "gzip data ends early (after {} bytes of output): the file is truncated",
            self.out
        ))
    }

    /// A member's header (RFC 1952 §2.3); false at the end of the file after a member.
    fn header(&mut self) -> io::Result<bool> {
        if !self.fill()? {
            if self.members == 0 {
                return Err(corrupt("empty gzip file".into()));
            }
            return Ok(false);
        }
        let at = self.input_at();
        let mut fixed = [0u8; 10];
        for b in &mut fixed {
            *b = self.byte()?;
        }
        if fixed[..3] != [0x1f, 0x8b, 8] || fixed[3] & 0xe0 != 0 {
            return Err(corrupt(format!("not gzip data at byte {at} of the file")));
        }
        let flags = fixed[3];
        if flags & 4 != 0 {
            let n = u16::from(self.byte()?) | u16::from(self.byte()?) << 8;
            for _ in 0..n {
                self.byte()?;
            }
        }
        for flag in [8, 16] {
            if flags & flag != 0 {
                while self.byte()? != 0 {}
            }
        }
        if flags & 2 != 0 {
            self.byte()?;
            self.byte()?;
        }
        Ok(true)
    }

    fn trailer(&mut self) -> io::Result<()> {
        let mut t = [0u8; 8];
        for b in &mut t {
            *b = self.byte()?;
        }
        let crc = std::mem::take(&mut self.crc);
        let (want_len, len) = (
            u32::from_le_bytes([t[4], t[5], t[6], t[7]]),
            crc.total_len() as u32,
        );
        if crc.finalize() != u32::from_le_bytes([t[0], t[1], t[2], t[3]]) {
            return Err(corrupt(format!(
                "gzip member {} fails its CRC check",
                self.members + 1
            )));
        }
        if len != want_len {
            return Err(corrupt(format!(
                "gzip member {} has the wrong length",
                self.members + 1
            )));
        }
        self.members += 1;
        Ok(())
    }

    fn snapshot(&mut self) {
        let Some((index, every)) = &self.index else { return };
        if self.out < self.next_snapshot {
            return;
        }
        let Phase::Body(state) = &self.phase else { return };
        let s = Snapshot {
            out: self.out,
            input: self.input_at(),
            state: state.clone(),
            crc: self.crc.clone(),
        };
        index.0.write().unwrap_or_else(|e| e.into_inner()).push(s);
        self.next_snapshot = self.out + every;
    }
}

impl Read for GzReader {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        if dst.is_empty() {
            return Ok(0);
        }
        // A state is noted between two calls of the inflater: output stops where the next
        // one is due.
        let due = self.next_snapshot.saturating_sub(self.out).max(1);
        let cap = dst.len().min(usize::try_from(due).unwrap_or(usize::MAX));
        let dst = &mut dst[..cap];
        loop {
            match &mut self.phase {
                Phase::Header => {
                    if !self.header()? {
                        return Ok(0);
                    }
                    self.phase = Phase::Body(InflateState::new_boxed(DataFormat::Raw));
                }
                Phase::Trailer => {
                    self.trailer()?;
                    self.phase = Phase::Header;
                }
                Phase::Body(_) => {
                    let more = self.fill()?;
                    let Phase::Body(state) = &mut self.phase else {
                        unreachable!()
                    };
                    let r = inflate(state, &self.buf[self.pos..self.len], dst, MZFlush::None);
                    self.pos += r.bytes_consumed;
                    let written = r.bytes_written;
                    self.crc.update(&dst[..written]);
                    self.out += written as u64;
                    match r.status {
                        Ok(MZStatus::StreamEnd) => self.phase = Phase::Trailer,
                        Ok(_) => {}
                        Err(MZError::Buf) if more => {}
                        Err(MZError::Buf) => return Err(self.cut_short()),
                        Err(e) => {
                            return Err(corrupt(format!(
                                "gzip data is damaged after {} bytes of output ({e:?})",
                                self.out
                            )))
                        }
                    }
                    self.snapshot();
                    if written > 0 {
                        return Ok(written);
                    }
                    if !more && !matches!(self.phase, Phase::Trailer) {
                        return Err(self.cut_short());
                    }
                }
            }
        }
    }
}

/// The decoded size a gzip file's last trailer gives (modulo 2^32): for the usual file of
/// one member under 4 GiB, its size once read, for a progress indicator and for choosing to
/// keep it compactly.
pub fn decoded_size_hint(path: &Path) -> Option<u64> {
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len < 18 {
        return None;
    }
    f.seek(SeekFrom::Start(len - 4)).ok()?;
    let mut b = [0u8; 4];
    f.read_exact(&mut b).ok()?;
    Some(u64::from(u32::from_le_bytes(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A text like a log's, `n` lines, every one different.
    fn text(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut seed: u64 = 7;
        for i in 0..n {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            writeln!(
                out,
                "Nov 22 10:{:02}:{:02} mx1 postfix/smtpd[{}]: line {i} {seed:x}",
                i / 60 % 60,
                i % 60,
                seed % 90_000
            )
            .unwrap();
        }
        out
    }

    fn gzip(parts: &[&[u8]], named: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for p in parts {
            let builder = if named {
                flate2::GzBuilder::new()
                    .filename("maillog")
                    .comment("rotated")
                    .extra(vec![1, 2, 3])
            } else {
                flate2::GzBuilder::new()
            };
            let mut e = builder.write(Vec::new(), flate2::Compression::fast());
            e.write_all(p).unwrap();
            out.extend(e.finish().unwrap());
        }
        out
    }

    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.gz");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    fn read_all(mut r: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    /// Decoded whole, as flate2 decodes it: one member or several, with header fields or
    /// none, and an empty member among them.
    #[test]
    fn decodes_members_as_flate2_does() {
        let (a, b) = (text(3000), text(500));
        for (parts, named) in [(vec![&a[..]], false), (vec![&a[..], &[][..], &b[..]], true)] {
            let gz = gzip(&parts, named);
            let (_dir, path) = file_of(&gz);
            let index = Arc::new(GzIndex::default());
            let ours = read_all(GzReader::indexing_every(File::open(&path).unwrap(), index, 4096)).unwrap();
            let theirs = read_all(flate2::read::MultiGzDecoder::new(&gz[..])).unwrap();
            assert_eq!(ours, theirs);
            assert_eq!(ours, parts.concat());
        }
    }

    /// Resuming anywhere gives the bytes from there to the end, across states and members.
    #[test]
    fn resumes_at_any_offset() {
        let (a, b) = (text(4000), text(2500));
        let whole = [&a[..], &b[..]].concat();
        let (_dir, path) = file_of(&gzip(&[&a, &b], true));
        let index = Arc::new(GzIndex::default());
        let every = 16 * 1024;
        let first = read_all(GzReader::indexing_every(
            File::open(&path).unwrap(),
            index.clone(),
            every,
        ))
        .unwrap();
        assert_eq!(first, whole);
        let states = index.0.read().unwrap().len();
        assert!(states as u64 >= whole.len() as u64 / every - 2, "{states} states");
        let n = whole.len() as u64;
        let mut offsets: Vec<u64> = (0..n).step_by(7919).collect();
        offsets.extend([
            every - 1,
            every,
            every + 1,
            a.len() as u64 - 1,
            a.len() as u64,
            n - 1,
            n,
        ]);
        for at in offsets {
            let r = GzReader::resume(&path, &index, at).unwrap();
            assert_eq!(read_all(r).unwrap(), &whole[at as usize..], "at {at}");
        }
    }

    /// A damaged or cut file gives what decoded before the damage, then an error that says
    /// what happened; so does data that is not gzip.
    #[test]
    fn damage_is_an_error_after_the_good_bytes() {
        let a = text(2000);
        let gz = gzip(&[&a], false);
        let mut bad_crc = gz.clone();
        let at = bad_crc.len() - 6;
        bad_crc[at] ^= 0xff;
        let cut = &gz[..gz.len() / 2];
        let mut garbage = gz.clone();
        garbage.extend_from_slice(b"not gzip at all");
        for (bytes, says) in [
            (&bad_crc[..], "CRC"),
            (cut, "truncated"),
            (&garbage[..], "not gzip data at byte"),
            (&b"\x1f\x8b"[..], "truncated"),
        ] {
            let (_dir, path) = file_of(bytes);
            let mut r = GzReader::indexing(File::open(&path).unwrap(), Arc::default());
            let mut got = Vec::new();
            let err = r.read_to_end(&mut got).expect_err(says);
            assert!(err.to_string().contains(says), "{err}");
            assert!(a.starts_with(&got), "only good bytes come out");
        }
        let (_dir, path) = file_of(&gz);
        assert_eq!(decoded_size_hint(&path), Some(a.len() as u64));
    }
}
