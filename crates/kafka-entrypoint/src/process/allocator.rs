//! The process's global allocator: dlmalloc (pure Rust) behind a spin lock, over memory the
//! kernel maps in whole (`MAP_POPULATE`).
//!
//! musl's own allocator is slow for setup's thousands of small strings, and dlmalloc's stock
//! global allocator locks a pthread mutex per call (musl's unlock alone was 6 % of setup's
//! instructions) and takes its memory page fault by page fault (about 130 of setup's 206 faults
//! on the benchmark input). The entrypoint allocates from one thread at a time nearly always, so
//! an uncontended atomic flag is the cheap lock, and a populated 64 KiB segment costs one system
//! call instead of sixteen faults.
//!
//! `tests/process.rs` runs every PID 1 case with it as its global allocator, plus threads
//! allocating at once.
//!
//! A fork while another thread holds the lock would leave it held in the child; the entrypoint
//! only forks through `std::process::Command`, whose child allocates nothing before its exec.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::libc;

/// The system side of dlmalloc: anonymous private mappings, populated at once.
struct PopulatedMappings;

// SAFETY: each method does what the trait documents, with the system calls dlmalloc's own unix
// allocator uses (mmap, mremap, munmap), plus `MAP_POPULATE`, which only pre-faults the mapping.
unsafe impl dlmalloc::Allocator for PopulatedMappings {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        // SAFETY: a new anonymous mapping; no existing memory is touched.
        let addr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_ANONYMOUS | libc::MAP_PRIVATE | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            (ptr::null_mut(), 0, 0)
        } else {
            (addr.cast(), size, 0)
        }
    }

    fn remap(&self, ptr: *mut u8, oldsize: usize, newsize: usize, can_move: bool) -> *mut u8 {
        let flags = if can_move { libc::MREMAP_MAYMOVE } else { 0 };
        // SAFETY: `ptr` and `oldsize` describe a mapping this allocator made (dlmalloc's contract).
        let moved = unsafe { libc::mremap(ptr.cast(), oldsize, newsize, flags) };
        if moved == libc::MAP_FAILED {
            ptr::null_mut()
        } else {
            moved.cast()
        }
    }

    fn free_part(&self, ptr: *mut u8, oldsize: usize, newsize: usize) -> bool {
        // SAFETY: as in `remap`; the tail past `newsize` is no longer used by dlmalloc.
        unsafe {
            if libc::mremap(ptr.cast(), oldsize, newsize, 0) != libc::MAP_FAILED {
                return true;
            }
            libc::munmap(ptr.add(newsize).cast(), oldsize - newsize) == 0
        }
    }

    fn free(&self, ptr: *mut u8, size: usize) -> bool {
        // SAFETY: a whole mapping this allocator made, no longer used by dlmalloc.
        unsafe { libc::munmap(ptr.cast(), size) == 0 }
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        true
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        4096
    }
}

/// dlmalloc over [`PopulatedMappings`], one caller at a time.
pub(crate) struct SpinLockedDlmalloc {
    locked: AtomicBool,
    heap: UnsafeCell<dlmalloc::Dlmalloc<PopulatedMappings>>,
}

// SAFETY: `heap` is only reached through `with_heap`, which holds `locked`.
unsafe impl Sync for SpinLockedDlmalloc {}

impl SpinLockedDlmalloc {
    /// The allocator, with an empty heap.
    pub(crate) const fn new() -> Self {
        Self {
            locked: AtomicBool::new(false),
            heap: UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(PopulatedMappings)),
        }
    }

    fn with_heap<T>(&self, f: impl FnOnce(&mut dlmalloc::Dlmalloc<PopulatedMappings>) -> T) -> T {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the flag gives this caller the only access until it is released below.
        let result = f(unsafe { &mut *self.heap.get() });
        self.locked.store(false, Ordering::Release);
        result
    }
}

// SAFETY: every call forwards to dlmalloc under the lock, with the layout the caller gave.
unsafe impl GlobalAlloc for SpinLockedDlmalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given (GlobalAlloc's contract holds for the caller).
        self.with_heap(|heap| unsafe { heap.malloc(layout.size(), layout.align()) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        self.with_heap(|heap| unsafe { heap.calloc(layout.size(), layout.align()) })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator with `layout` (GlobalAlloc's contract).
        self.with_heap(|heap| unsafe { heap.free(ptr, layout.size(), layout.align()) });
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in `dealloc`.
        self.with_heap(|heap| unsafe { heap.realloc(ptr, layout.size(), layout.align(), new_size) })
    }
}
