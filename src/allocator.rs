//! The process's allocator, and how its memory is backed.
//!
//! A big log's sessions are made and freed by the million. glibc's allocator fragments and
//! slows down as the file goes on (1 GiB of Postfix: 34.5 s against 27 s); mimalloc keeps
//! loading linear. Set here so the binary, the tests and the benchmarks measure the same thing.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Asks the kernel not to back this process's memory with transparent huge pages; call first
/// thing in `main`.
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
    #[test]
    fn huge_pages_are_off_for_the_process_after_the_call() {
        super::use_small_pages();
        // SAFETY: PR_GET_THP_DISABLE reads a flag of the process.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
