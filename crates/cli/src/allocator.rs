//! glibc's allocator tuned for training: under autodiff nearly every op allocates a fresh 2–8 MB
//! output, which glibc maps and unmaps (above its mmap threshold) or trims back to the system, so
//! the next step faults every page in again (~4 µs a page on these machines). Keeping freed memory
//! in the process removes that churn; the cost is that memory stays at the step's peak.

/// glibc's ceiling for `M_MMAP_THRESHOLD` on 64-bit targets (`4 MiB × sizeof(long)`): every
/// activation of the models this program trains is below it and comes from the heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Keeps freed buffers for reuse instead of returning them to the system. Call first in `main`,
/// before any thread allocates.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn keep_freed_memory() {
    // SAFETY: mallopt only sets the allocator's parameters, and no other thread exists yet. A
    // refused value (0 returned) leaves glibc's default, which is only slower.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
    }
}

/// Other allocators do not unmap per buffer the way glibc does: nothing to tune.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_freed_memory() {}
