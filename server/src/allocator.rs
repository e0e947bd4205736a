//! glibc's allocator, set for a server that runs for months: memory freed after a busy moment
//! goes back to the system instead of staying with the process.
//!
//! Left to itself glibc raises its mmap and trim thresholds after the first large free (up to
//! 32 and 64 MiB; tantivy's indexing buffers and the saves of long documents are such frees)
//! and from then on keeps freed memory, so an idle server's resident memory shows its busiest
//! moment rather than what it holds. Setting both thresholds fixes them at glibc's own start
//! values: large buffers are mapped and unmapped on their own, and free memory at the top of
//! the heap is handed back.
//!
//! The only `unsafe` code of the workspace: a call into the C library, which Rust cannot check.

#![allow(unsafe_code)]

/// glibc's initial value for both thresholds.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const THRESHOLD_BYTES: libc::c_int = 128 * 1024;

/// Fixes the thresholds. Call it first thing in `main`, before other threads start.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters; it takes the allocator's own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD_BYTES);
        libc::mallopt(libc::M_TRIM_THRESHOLD, THRESHOLD_BYTES);
    }
}
