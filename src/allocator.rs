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

/// Sets up memory for loading big logs; call first thing in `main`: no transparent huge pages
/// ([`use_small_pages`]), and freed pages change hands between threads.
///
/// A session is made on the reading thread and freed on another (the one printing it, or the
/// viewer's rows thread). By default mimalloc hands a page it had given up back only to the
/// thread that made it, so every free there went the slow way. Letting the freeing thread
/// take the page (`page_reclaim_on_free = 1`) took that thread from 65 M to 32 M instructions
/// on 16 MiB of Postfix, and 1 GiB streamed in 11.3–11.8 s instead of 13.1–13.2 s; the
/// viewer peaked at 222–227 MiB instead of 217 MiB.
pub fn configure() {
    use_small_pages();
    // SAFETY: sets one of mimalloc's integer options; any value is valid for it.
    unsafe {
        libmimalloc_sys::mi_option_set(PAGE_RECLAIM_ON_FREE, 1);
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
    /// The option's number is v3's: its neighbours have their defaults (`generic_collect`
    /// 10000 before it, `page_full_retain` 2 and `page_max_candidates` 4 after), and after
    /// the call it is set.
    #[test]
    fn the_reclaim_option_is_the_one_set() {
        use libmimalloc_sys::mi_option_get;
        let at = super::PAGE_RECLAIM_ON_FREE;
        // SAFETY: reads mimalloc's integer options.
        let neighbours = unsafe {
            [
                mi_option_get(at - 1),
                mi_option_get(at + 1),
                mi_option_get(at + 2),
            ]
        };
        assert_eq!(neighbours, [10_000, 2, 4]);
        super::configure();
        // SAFETY: as above.
        assert_eq!(unsafe { mi_option_get(at) }, 1);
    }

    #[test]
    fn huge_pages_are_off_for_the_process_after_the_call() {
        super::use_small_pages();
        // SAFETY: PR_GET_THP_DISABLE reads a flag of the process.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
