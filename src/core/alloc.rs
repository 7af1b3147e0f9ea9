//! How the allocator treats memory a command frees. The binary uses mimalloc
//! (`src/main.rs`); this module holds its settings so the benchmarks measure the
//! same allocator the binary runs with.

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h` of mimalloc 3, which
/// libmimalloc-sys builds): how many milliseconds freed memory stays mapped before it
/// goes back to the operating system; -1 keeps it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A command that runs once and exits keeps the memory it frees for its own next
/// allocations: giving it back and faulting it in again (zeroed by the kernel) cost a
/// 10,000-record build about a tenth of its CPU time (docs/performance.md). `serve`
/// runs for hours, so it does not call this and gives memory back between rebuilds.
pub fn keep_freed_memory() {
    // SAFETY: sets one integer option of the allocator; mimalloc reads it when it
    // decides whether to purge, and any value is valid.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_names_mimallocs_option() {
        // mimalloc 3 sets the purge delay's default to 1000 ms (options.c); no other
        // option near it in the enum defaults to 1000, so a shifted index fails here.
        // SAFETY: reads one integer option.
        let value = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(value, 1000);
    }
}
