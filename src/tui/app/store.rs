//! How the viewer holds a million sessions without a peak twice their size: entries live in
//! fixed-size chunks (appending never copies what is there, as a growing `Vec` does when it
//! doubles), and each entry packs its address and filter flag into one word.

use super::Body;

/// A list that grows by chunks of `N` items, each allocated once at full size: no item is
/// ever moved, so growing needs no old-plus-new copy.
pub struct Chunked<T, const N: usize = 65_536> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T, const N: usize> Default for Chunked<T, N> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T, const N: usize> Chunked<T, N> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn push(&mut self, item: T) {
        if self.chunks.last().is_none_or(|c| c.len() == N) {
            self.chunks.push(Vec::with_capacity(N));
        }
        self.chunks.last_mut().expect("a chunk with room").push(item);
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / N)?.get(i % N)
    }

    /// Every item, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }

    /// The chunks themselves, for splitting work over threads.
    pub fn chunks_mut(&mut self) -> &mut [Vec<T>] {
        &mut self.chunks
    }
}

impl<T, const N: usize> std::ops::Index<usize> for Chunked<T, N> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / N][i % N]
    }
}

/// Positions as the display order keeps them (four bytes each).
impl<T, const N: usize> std::ops::Index<u32> for Chunked<T, N> {
    type Output = T;
    fn index(&self, i: u32) -> &T {
        &self[i as usize]
    }
}

impl<T, const N: usize> std::ops::IndexMut<usize> for Chunked<T, N> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / N][i % N]
    }
}

/// Bits of [`Entry`]'s packed word: the filter flag, then the session index, then the source.
const SHOWN_BIT: u64 = 1;
const INDEX_BITS: u32 = 40;
const SOURCE_BITS: u32 = 63 - INDEX_BITS;

/// One session and its address in the feed: 40 bytes with a compact row.
pub struct Entry {
    /// Shown (bit 0), index (40 bits: a trillion sessions a source), source (23 bits: eight
    /// million inputs). Larger numbers saturate, which no log that fits a disk reaches.
    packed: u64,
    pub(super) body: Body,
}

impl Entry {
    pub(super) fn new((source, index): (usize, usize), body: Body, shown: bool) -> Entry {
        let source = (source as u64).min((1 << SOURCE_BITS) - 1);
        let index = (index as u64).min((1 << INDEX_BITS) - 1);
        Entry {
            packed: source << (INDEX_BITS + 1) | index << 1 | u64::from(shown),
            body,
        }
    }

    /// The session's address: (source, index).
    pub fn key(&self) -> (usize, usize) {
        let index = (self.packed >> 1) & ((1 << INDEX_BITS) - 1);
        ((self.packed >> (INDEX_BITS + 1)) as usize, index as usize)
    }

    /// Cached result of the filter and failed-only switch.
    pub fn shown(&self) -> bool {
        self.packed & SHOWN_BIT != 0
    }

    pub(super) fn set_shown(&mut self, shown: bool) {
        self.packed = (self.packed & !SHOWN_BIT) | u64::from(shown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RowArena, Session, SessionRow};

    #[test]
    fn chunked_push_get_len_and_iteration_agree_with_a_vec() {
        let mut c: Chunked<u32, 4> = Chunked::default();
        assert!(c.len() == 0 && c.get(0).is_none());
        let want: Vec<u32> = (0..11).map(|n| n * 3).collect();
        for &n in &want {
            c.push(n);
        }
        assert_eq!(c.len(), 11);
        assert_eq!(c.chunks_mut().len(), 3);
        assert_eq!(c.iter().copied().collect::<Vec<_>>(), want);
        for (i, &n) in want.iter().enumerate() {
            assert_eq!((c[i], c.get(i), c[i as u32]), (n, Some(&n), n));
        }
        assert!(c.get(11).is_none());
        c[5usize] = 99;
        c[10usize] += 1;
        assert_eq!((c[5usize], c[10usize]), (99, 31));
    }

    /// Growing never moves an item: a chunk, once made, keeps its buffer.
    #[test]
    fn chunked_growth_keeps_items_in_place() {
        let mut c: Chunked<u64, 8> = Chunked::default();
        c.push(1);
        let first = &c[0usize] as *const u64;
        for n in 0..1000 {
            c.push(n);
        }
        assert_eq!(&c[0usize] as *const u64, first);
        assert!(c.chunks_mut().iter().all(|ch| ch.capacity() == 8));
    }

    #[test]
    fn entry_keys_round_trip_and_shown_is_its_own_bit() {
        let row = || {
            let mut arena = RowArena::new();
            Body::Row(SessionRow::new(
                &Session::new("f".into(), "x", "i".into(), 1),
                &[1],
                &mut arena,
            ))
        };
        for key in [(0, 0), (1, 2), (7, (1 << 32) + 5), ((1 << 23) - 1, (1 << 40) - 1)] {
            for shown in [false, true] {
                let mut e = Entry::new(key, row(), shown);
                assert_eq!((e.key(), e.shown()), (key, shown));
                e.set_shown(!shown);
                assert_eq!((e.key(), e.shown()), (key, !shown));
            }
        }
        // Past the limits the numbers saturate instead of spilling into each other.
        let e = Entry::new((usize::MAX, usize::MAX), row(), true);
        assert_eq!(e.key(), ((1 << 23) - 1, (1 << 40) - 1));
        assert!(e.shown());
    }

    #[test]
    fn an_entry_with_a_row_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 40);
    }
}
