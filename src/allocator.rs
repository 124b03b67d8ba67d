//! The process's allocator, and how its memory is backed.
//!
//! A big log's sessions are made and freed by the million. glibc's allocator fragments and
//! slows down as the file goes on (1 GiB of Postfix: 34.5 s against 27 s); mimalloc keeps
//! loading linear. Set here so the binary, the tests and the benchmarks measure the same thing.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_page_reclaim_on_free` (v3's numbering; a test checks it against the
/// defaults of its neighbours).
const PAGE_RECLAIM_ON_FREE: libmimalloc_sys::mi_option_t = 35;

/// mimalloc's `mi_option_purge_delay` (v3's numbering, checked as above): how long freed
/// memory stays committed before it goes back to the kernel.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds freed memory waits before it is returned; v3's default is 1000.
///
/// Loading frees sessions as fast as it makes them, and with the default a second's worth of
/// freed pages counted in RSS: the viewer on a 256 MiB Exchange log peaked at 63–75 MiB and
/// fell to 43 MiB a second in. With 100 ms it peaks at 56–60 MiB (0.22–0.23× the file), and
/// 1 GiB of Postfix under `--list` at 92 MiB instead of 97–102 MiB, with no more time in the
/// kernel than before (0.6–0.8 s); 20 ms saved a little more and doubled the kernel's time.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Sets up memory for loading big logs; call first thing in `main`: no transparent huge pages
/// ([`use_small_pages`]), freed pages change hands between threads, and freed memory goes
/// back to the kernel soon ([`PURGE_DELAY_MS`]).
///
/// A session is made on the reading thread and freed on another (the one printing it, or the
/// viewer's rows thread). By default mimalloc hands a page it had given up back only to the
/// thread that made it, so every free there went the slow way. Letting the freeing thread
/// take the page (`page_reclaim_on_free = 1`) took that thread from 65 M to 32 M instructions
/// on 16 MiB of Postfix, and 1 GiB streamed in 11.3–11.8 s instead of 13.1–13.2 s; the
/// viewer peaked at 222–227 MiB instead of 217 MiB.
pub fn configure() {
    use_small_pages();
    // SAFETY: sets two of mimalloc's integer options; any value is valid for them.
    unsafe {
        libmimalloc_sys::mi_option_set(PAGE_RECLAIM_ON_FREE, 1);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
    }
}

/// Asks the kernel not to back this process's memory with transparent huge pages.
///
/// mimalloc asks for huge pages on its arenas (`madvise`), and a 2 MiB page counts whole in
/// RSS once one byte of it is touched. Loading a big log touches memory sparsely (sessions of
/// the last lines are freed while rows grow), so the viewer on 1 GiB of Postfix peaked at
/// 270–300 MiB with huge pages and 235 MiB without, at the same speed. Best effort: a kernel
/// without the setting leaves things as they were.
pub fn use_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use libmimalloc_sys::{mi_option_get, mi_option_t};
    use std::ffi::c_long;

    /// Checks that option `at` is the one meant, by v3's numbering: the options after it
    /// (and the one before) hold their defaults, `before` and `after`; and that after
    /// [`super::configure`] it holds `set`.
    fn assert_option(at: mi_option_t, before: c_long, after: &[c_long], set: c_long) {
        // SAFETY: reads mimalloc's integer options.
        let get = |o| unsafe { mi_option_get(o) };
        let next: Vec<c_long> = (1..=after.len() as mi_option_t).map(|d| get(at + d)).collect();
        assert_eq!((get(at - 1), next.as_slice()), (before, after));
        super::configure();
        assert_eq!(get(at), set);
    }

    /// `generic_collect` 10000 before it, `page_full_retain` 2 and `page_max_candidates` 4
    /// after.
    #[test]
    fn the_reclaim_option_is_the_one_set() {
        assert_option(super::PAGE_RECLAIM_ON_FREE, 10_000, &[2, 4], 1);
    }

    /// `eager_commit_delay` 1 before it; `use_numa_nodes` 0, `disallow_os_alloc` 0, `os_tag`
    /// 100 and `max_errors` 32 after.
    #[test]
    fn the_purge_option_is_the_one_set() {
        assert_option(super::PURGE_DELAY, 1, &[0, 0, 100, 32], super::PURGE_DELAY_MS);
    }

    #[test]
    fn huge_pages_are_off_for_the_process_after_the_call() {
        super::use_small_pages();
        // SAFETY: PR_GET_THP_DISABLE reads a flag of the process.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
