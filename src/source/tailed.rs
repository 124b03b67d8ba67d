//! One file being followed by path, as `tail -F` does: it notices when the path is given to a
//! new file (rotation by rename, delete and recreate), when the file is cut back in place
//! (`copytruncate`), and when the path does not exist (yet). Read-only; never locks.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes remembered from the end of what was read. If they are no longer at the same place,
/// the file was truncated and written again past the old length between two looks.
const FINGERPRINT: usize = 64;

/// What [`TailedFile::check`] found since the last look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Same file as before (it may have grown).
    Same,
    /// The path exists now and is open, read from its start.
    Appeared,
    /// Nothing at the path. A file already open stays open: whoever still writes to it (a
    /// daemon not yet told about a rotation) can still be read.
    Missing,
    /// Another file now has the path. The old one is still open so its last lines can be read
    /// with [`TailedFile::read`] before [`TailedFile::reopen`] switches to the new one.
    Replaced,
    /// The file is shorter than what was read, or what was read is no longer there: it was
    /// truncated in place. Call [`TailedFile::rewind`] to read it again from its start.
    Truncated,
}

/// A path, the file open under it, and how far it was read.
pub struct TailedFile {
    path: PathBuf,
    file: Option<File>,
    id: FileId,
    pos: u64,
    tail: Vec<u8>,
}

/// Device and inode: what tells two files at one path apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct FileId(u64, u64);

#[cfg(unix)]
fn file_id(m: &Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId(m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_id(_m: &Metadata) -> FileId {
    FileId::default()
}

impl TailedFile {
    pub fn new(path: PathBuf) -> Self {
        TailedFile {
            path,
            file: None,
            id: FileId::default(),
            pos: 0,
            tail: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True while a file is open (the path may already name another one or nothing).
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Bytes read from the open file.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Another handle to the open file, for reading it again elsewhere (positioned reads leave
    /// this one's position alone).
    pub fn handle(&self) -> io::Result<File> {
        match &self.file {
            Some(f) => f.try_clone(),
            None => Err(io::Error::other("no file is open")),
        }
    }

    /// Looks at the path and the open file. Errors other than "not found" are returned.
    pub fn check(&mut self) -> io::Result<Change> {
        let Some(file) = self.file.as_ref() else {
            return match self.open() {
                Ok(()) => Ok(Change::Appeared),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Change::Missing),
                Err(e) => Err(e),
            };
        };
        match std::fs::metadata(&self.path) {
            Ok(m) if file_id(&m) != self.id => return Ok(Change::Replaced),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Change::Missing),
            Err(e) => return Err(e),
        }
        let len = file.metadata()?.len();
        if len < self.pos || (len > self.pos && !self.fingerprint_matches(file)) {
            return Ok(Change::Truncated);
        }
        Ok(Change::Same)
    }

    /// Switches to the file now at the path, read from its start.
    pub fn reopen(&mut self) -> io::Result<()> {
        self.file = None;
        self.open()
    }

    /// Reads the open file again from its start (after [`Change::Truncated`]).
    pub fn rewind(&mut self) -> io::Result<()> {
        if let Some(f) = self.file.as_mut() {
            f.seek(SeekFrom::Start(0))?;
        }
        self.pos = 0;
        self.tail.clear();
        Ok(())
    }

    /// Reads what is there after the position; 0 at the current end (or with no file open).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(f) = self.file.as_mut() else {
            return Ok(0);
        };
        let n = loop {
            match f.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        self.pos += n as u64;
        self.tail.extend_from_slice(&buf[..n]);
        if self.tail.len() > FINGERPRINT {
            self.tail.drain(..self.tail.len() - FINGERPRINT);
        }
        Ok(n)
    }

    /// True when the file starts with the gzip magic bytes.
    pub fn is_gzip(&self) -> bool {
        let mut magic = [0u8; 2];
        File::open(&self.path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && magic == [0x1f, 0x8b]
    }

    fn open(&mut self) -> io::Result<()> {
        let f = File::open(&self.path)?;
        self.id = file_id(&f.metadata()?);
        self.file = Some(f);
        self.pos = 0;
        self.tail.clear();
        Ok(())
    }

    #[cfg(unix)]
    fn fingerprint_matches(&self, file: &File) -> bool {
        use std::os::unix::fs::FileExt;
        let mut now = vec![0u8; self.tail.len()];
        let at = self.pos - self.tail.len() as u64;
        file.read_exact_at(&mut now, at).is_ok() && now == self.tail
    }

    #[cfg(not(unix))]
    fn fingerprint_matches(&self, _file: &File) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;
    use std::io::Write;

    fn read_all(t: &mut TailedFile) -> String {
        let mut buf = [0u8; 7];
        let mut out = Vec::new();
        loop {
            let n = t.read(&mut buf).unwrap();
            if n == 0 {
                return String::from_utf8(out).unwrap();
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    fn append(path: &Path, text: &str) {
        let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn waits_for_the_file_then_reads_growth() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        let mut t = TailedFile::new(path.clone());
        assert_eq!(t.check().unwrap(), Change::Missing);
        assert!(!t.is_open());
        append(&path, "one\n");
        assert_eq!(t.check().unwrap(), Change::Appeared);
        assert_eq!(read_all(&mut t), "one\n");
        assert_eq!(t.check().unwrap(), Change::Same);
        append(&path, "two\n");
        assert_eq!(t.check().unwrap(), Change::Same);
        assert_eq!(read_all(&mut t), "two\n");
        assert_eq!(t.position(), 8);
    }

    #[test]
    fn rotation_by_rename_keeps_the_old_file_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        append(&path, "old 1\n");
        let mut t = TailedFile::new(path.clone());
        assert_eq!(t.check().unwrap(), Change::Appeared);
        assert_eq!(read_all(&mut t), "old 1\n");
        std::fs::rename(&path, dir.path().join("mail.log.1")).unwrap();
        assert_eq!(t.check().unwrap(), Change::Missing);
        // The writer has not reopened yet: its last line lands in the rotated file.
        append(&dir.path().join("mail.log.1"), "old 2\n");
        append(&path, "new 1\n");
        assert_eq!(t.check().unwrap(), Change::Replaced);
        assert_eq!(read_all(&mut t), "old 2\n");
        t.reopen().unwrap();
        assert_eq!(read_all(&mut t), "new 1\n");
        assert_eq!(t.check().unwrap(), Change::Same);
    }

    #[test]
    fn delete_and_recreate_is_a_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        append(&path, "first\n");
        let mut t = TailedFile::new(path.clone());
        t.check().unwrap();
        read_all(&mut t);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(t.check().unwrap(), Change::Missing);
        append(&path, "second\n");
        assert_eq!(t.check().unwrap(), Change::Replaced);
        t.reopen().unwrap();
        assert_eq!(read_all(&mut t), "second\n");
    }

    #[test]
    fn truncation_is_noticed_even_when_refilled_past_the_old_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        append(&path, "session one\n");
        let mut t = TailedFile::new(path.clone());
        t.check().unwrap();
        read_all(&mut t);
        // copytruncate: cut to zero in place.
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        assert_eq!(t.check().unwrap(), Change::Truncated);
        t.rewind().unwrap();
        append(&path, "two\n");
        assert_eq!(read_all(&mut t), "two\n");
        // Cut and written again beyond the old length before the next look.
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        append(&path, "a much longer third session line\n");
        assert_eq!(t.check().unwrap(), Change::Truncated);
        t.rewind().unwrap();
        assert_eq!(read_all(&mut t), "a much longer third session line\n");
        assert_eq!(t.check().unwrap(), Change::Same);
    }

    #[test]
    fn gzip_is_recognised_by_magic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.log.gz");
        std::fs::write(&path, [0x1f, 0x8b, 8, 0]).unwrap();
        assert!(TailedFile::new(path).is_gzip());
        let plain = dir.path().join("plain.log");
        std::fs::write(&plain, "220 x\n").unwrap();
        assert!(!TailedFile::new(plain).is_gzip());
    }
}
